// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IProofGateRegistry} from "./interfaces/IProofGateRegistry.sol";
import {IProofGateVault} from "./interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "./interfaces/IRiskVerifier.sol";
import {AssetTable} from "./libraries/AssetTable.sol";
import {PublicInputs} from "./libraries/PublicInputs.sol";
import {IVenue} from "./venues/IVenue.sol";

/// @title ProofGateVault
/// @notice Holds ERC-20 assets and tracks per-asset debts; its agent trades only with a Groth16 proof that the
///         exact trade passes the certified risk model and limits, on the vault's state at that moment.
/// @dev The vault computes every public input itself, at execution time (see {PublicInputs} for the layout):
///      - holdings: the vault's ACCOUNTED holding per asset (deposits, withdrawals and trades move it; tokens sent
///        to the vault directly do not, until the owner calls {syncHolding}), so that nobody can change the
///        statement under a pending proof by donating dust to the vault;
///      - debts: per-asset token units owed, set by the owner;
///      - prices: every asset's Chainlink-shaped USD feed, read with Chainlink semantics (answer > 0, updatedAt
///        nonzero, not in the future and at most `heartbeat` seconds old);
///      - the trade's values, the agent (the caller), this vault, the chain id, the agent's nonce, the deadline;
///      - the model and risk-parameter commitments the registry binds the agent to, which must be certified.
///
///      USD values are at 1e8 and computed in one division, whatever the feed's decimals:
///      `value = amount · answer · 10^8 / 10^(tokenDecimals + feedDecimals)`, rounded DOWN for holdings and for the
///      bought value `valueOut`, and UP for debts and for the sold value `valueIn` (as Aave values collateral down
///      and debt up: every rounding makes the statement more conservative). The Rust prover values the same way
///      (prover/src/valuation.rs, for 8-decimal feeds); the fixture tests check that both give identical inputs.
///
///      The venue and every asset's token, feed, heartbeat and decimals live in an {AssetTable} (the code of a
///      data contract, rewritten by each configuration change and read with one EXTCODECOPY per trade); the
///      debts (token units, set by the owner) there too; only the holdings (token units) live in storage, two assets
///      per slot.
///
///      Roles: the owner (deposits, withdrawals, debts, assets, venue, guardian, unpause); the guardian (pause
///      only); governance of models, parameters and agents lives in the registry, behind a timelock. The verifier
///      and the registry are immutable.
contract ProofGateVault is IProofGateVault, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev What a statement computation yields besides the public inputs.
    struct Valuation {
        uint256[] inputs;
        uint256 modelCommitment;
        uint256 valueIn;
        uint256 valueOut;
    }

    /// @notice Decimals of every USD value in the statement (Chainlink's USD convention).
    uint256 public constant USD_DECIMALS = 8;
    /// @notice Largest token or feed decimals accepted.
    uint8 public constant MAX_DECIMALS = 36;
    /// @notice Most assets a vault can hold (the circuit's limit, `PublicInputs.MAX_ASSETS`).
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Largest accepted feed answer; larger ones are treated as broken (no real feed comes close).
    uint256 public constant MAX_ANSWER = type(uint128).max;

    /// @notice The generated Groth16 verifier of the risk circuit.
    IRiskVerifier public immutable VERIFIER;
    /// @notice The registry of certified models, parameters and agents.
    IProofGateRegistry public immutable REGISTRY;
    /// @notice Number of assets: the `n` of the verifier's public-input layout.
    uint256 public immutable ASSET_COUNT;

    // The three fields every trade reads first share one storage slot (one cold SLOAD): the asset table, the number
    // of assets registered, and the pause flag. The pause logic is therefore the vault's own rather than
    // OpenZeppelin's `Pausable` (whose flag has a slot of its own); its events and errors are the same.

    /// @notice The data contract holding the venue and every asset's token, feed, heartbeat, decimals and debt
    ///         (see {AssetTable}); replaced by every configuration change.
    address public assetTable;
    /// @notice Number of assets registered so far; trading needs all {ASSET_COUNT}.
    uint8 public assetsRegistered;
    /// @inheritdoc IProofGateVault
    bool public paused;
    /// @notice Who may pause the vault (besides the owner).
    address public guardian;
    /// @inheritdoc IProofGateVault
    mapping(address agent => uint256) public nonces;

    /// @dev Accounted holdings in token units, two assets per storage slot.
    uint128[MAX_ASSETS] private _holdings;
    mapping(IERC20 token => bool) private _isAsset;

    /// @notice Only while not paused.
    modifier whenNotPaused() {
        _requireNotPaused();
        _;
    }

    /// @notice Only the guardian or the owner.
    modifier onlyPauser() {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedPauser(msg.sender);
        _;
    }

    /// @notice Deploys the vault; assets are then added with {addAsset} and the venue set with {setVenue}.
    /// @param initialOwner The vault's owner.
    /// @param initialGuardian Who may pause (may be zero: then only the owner can).
    /// @param registry The registry of models, parameters and agents.
    /// @param verifier The generated verifier; its public-input count must be the layout's for `assetCount`.
    /// @param assetCount Number of assets, 2 to 16 (8 for the default circuit).
    constructor(
        address initialOwner,
        address initialGuardian,
        IProofGateRegistry registry,
        IRiskVerifier verifier,
        uint256 assetCount
    ) Ownable(initialOwner) {
        if (address(registry) == address(0) || address(verifier) == address(0)) {
            revert ZeroAddress();
        }
        if (assetCount < PublicInputs.MIN_ASSETS || assetCount > MAX_ASSETS) {
            revert UnsupportedAssetCount(assetCount);
        }
        uint256 expected = PublicInputs.inputCount(assetCount);
        uint256 actual = verifier.PUBLIC_INPUT_COUNT();
        if (actual != expected) revert VerifierInputCountMismatch(actual, expected);
        REGISTRY = registry;
        VERIFIER = verifier;
        ASSET_COUNT = assetCount;
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
    }

    // ---------------------------------------------------------------- trading

    /// @inheritdoc IProofGateVault
    /// @dev Order: deadline; the caller's nonce is consumed before any external call; the statement is computed
    ///      (registry binding and certification, every feed; see the contract's notes on values and rounding);
    ///      the proof is checked (any failure is {InvalidProof}); `amountIn` is paid to the venue and the venue
    ///      must deliver exactly `amountOut` (the vault's sell balance must fall by exactly `amountIn` and its buy
    ///      balance rise by at least `amountOut`). Any failure reverts everything, the nonce included.
    function executeTrade(Trade calldata trade, uint256 deadline, uint256[8] calldata proof)
        external
        nonReentrant
        whenNotPaused
    {
        _checkDeadline(deadline);
        uint256 nonce = nonces[msg.sender]++;
        bytes memory table = _table();
        if (AssetTable.venue(table) == address(0)) revert VenueNotSet();
        Valuation memory v = _statement(table, msg.sender, trade, nonce, deadline);
        if (!VERIFIER.isValidProof(proof, v.inputs)) revert InvalidProof();
        _swap(table, trade);
        _emitTradeExecuted(nonce, trade, v);
    }

    /// @inheritdoc IProofGateVault
    /// @dev Uses `agent`'s current nonce; reverts with the errors {executeTrade} would for the statement
    ///      (unregistered or paused agent, uncertified commitments, bad trade, bad prices), but not for the
    ///      deadline or the pause.
    function publicInputs(address agent, Trade calldata trade, uint256 deadline)
        external
        view
        returns (uint256[] memory inputs)
    {
        return _statement(_table(), agent, trade, nonces[agent], deadline).inputs;
    }

    /// @inheritdoc IProofGateVault
    /// @dev Reverts with the error {executeTrade} would revert with before its proof check (pause, deadline,
    ///      venue, agent, commitments, trade, prices); otherwise returns whether the verifier accepts the proof.
    function checkTrade(address agent, Trade calldata trade, uint256 deadline, uint256[8] calldata proof)
        external
        view
        returns (bool)
    {
        _requireNotPaused();
        _checkDeadline(deadline);
        bytes memory table = _table();
        if (AssetTable.venue(table) == address(0)) revert VenueNotSet();
        return VERIFIER.isValidProof(proof, _statement(table, agent, trade, nonces[agent], deadline).inputs);
    }

    // ---------------------------------------------------------------- configuration (owner)

    /// @inheritdoc IProofGateVault
    function addAsset(IERC20 token, AggregatorV3Interface feed, uint32 heartbeat)
        external
        onlyOwner
        returns (uint256 index)
    {
        index = assetsRegistered;
        if (index >= ASSET_COUNT) revert AllAssetsRegistered(ASSET_COUNT);
        if (address(token) == address(0)) revert ZeroAddress();
        if (_isAsset[token]) revert AssetAlreadyRegistered(address(token));
        uint8 tokenDecimals = _checkDecimals(IERC20Metadata(address(token)).decimals());
        uint8 feedDecimals = _checkFeed(feed, heartbeat);
        _isAsset[token] = true;

        bytes memory table = _table();
        AssetTable.Entry[] memory entries = new AssetTable.Entry[](index + 1);
        for (uint256 i = 0; i < index; ++i) {
            entries[i] = AssetTable.entry(table, i);
        }
        entries[index] = AssetTable.Entry(token, feed, heartbeat, tokenDecimals, feedDecimals, 0);
        assetTable = AssetTable.store(AssetTable.venue(table), entries);
        // casting to 'uint8' is safe because index < ASSET_COUNT <= 16
        // forge-lint: disable-next-line(unsafe-typecast)
        assetsRegistered = uint8(index + 1);
        emit AssetAdded(index, address(token), address(feed), heartbeat, tokenDecimals, feedDecimals);
    }

    /// @inheritdoc IProofGateVault
    function setFeed(uint256 index, AggregatorV3Interface feed, uint32 heartbeat) external onlyOwner {
        _checkAsset(index);
        uint8 feedDecimals = _checkFeed(feed, heartbeat);
        bytes memory table = _table();
        AssetTable.Entry[] memory entries = AssetTable.entries(table);
        AssetTable.Entry memory entry = entries[index];
        (entry.feed, entry.heartbeat, entry.feedDecimals) = (feed, heartbeat, feedDecimals);
        assetTable = AssetTable.store(AssetTable.venue(table), entries);
        emit FeedUpdated(index, address(feed), heartbeat, feedDecimals);
    }

    /// @inheritdoc IProofGateVault
    function setVenue(IVenue newVenue) external onlyOwner {
        if (address(newVenue) == address(0)) revert ZeroAddress();
        bytes memory table = _table();
        emit VenueUpdated(AssetTable.venue(table), address(newVenue));
        assetTable = AssetTable.store(address(newVenue), AssetTable.entries(table));
    }

    /// @inheritdoc IProofGateVault
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianUpdated(guardian, newGuardian);
        guardian = newGuardian;
    }

    /// @inheritdoc IProofGateVault
    function pause() external onlyPauser {
        _requireNotPaused();
        paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IProofGateVault
    function unpause() external onlyOwner {
        if (!paused) revert ExpectedPause();
        paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------- funds (owner)

    /// @inheritdoc IProofGateVault
    /// @dev Credits what the vault actually received (a fee-charging token credits less than `amount`).
    function deposit(uint256 index, uint256 amount) external nonReentrant onlyOwner {
        IERC20 token = _token(index);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        _holdings[index] = (_holdings[index] + received).toUint128();
        emit Deposited(index, msg.sender, received);
    }

    /// @inheritdoc IProofGateVault
    function withdraw(uint256 index, uint256 amount, address to) external nonReentrant onlyOwner {
        IERC20 token = _token(index);
        uint256 holding = _holdings[index];
        if (amount > holding) revert InsufficientHolding(index, holding, amount);
        // casting to 'uint128' is safe because holding - amount <= holding, itself a uint128
        // forge-lint: disable-next-line(unsafe-typecast)
        _holdings[index] = uint128(holding - amount);
        token.safeTransfer(to, amount);
        emit Withdrawn(index, to, amount);
    }

    /// @inheritdoc IProofGateVault
    /// @dev Debts live in the asset table (read on every trade, changed rarely): this writes a new table.
    function setDebt(uint256 index, uint256 debt) external onlyOwner {
        _checkAsset(index);
        bytes memory table = _table();
        AssetTable.Entry[] memory entries = AssetTable.entries(table);
        emit DebtSet(index, entries[index].debt, debt);
        entries[index].debt = debt.toUint128();
        assetTable = AssetTable.store(AssetTable.venue(table), entries);
    }

    /// @inheritdoc IProofGateVault
    function syncHolding(uint256 index) external nonReentrant onlyOwner {
        uint256 balance = _token(index).balanceOf(address(this));
        emit HoldingSynced(index, _holdings[index], balance);
        _holdings[index] = balance.toUint128();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProofGateVault
    function asset(uint256 index) external view returns (AssetView memory) {
        _checkAsset(index);
        AssetTable.Entry memory entry = AssetTable.entry(_table(), index);
        return AssetView({
            token: entry.token,
            feed: entry.feed,
            heartbeat: entry.heartbeat,
            tokenDecimals: entry.tokenDecimals,
            feedDecimals: entry.feedDecimals,
            holding: _holdings[index],
            debt: entry.debt
        });
    }

    /// @inheritdoc IProofGateVault
    function venue() external view returns (IVenue) {
        return IVenue(AssetTable.venue(_table()));
    }

    // ---------------------------------------------------------------- internals

    /// @dev The statement of `trade` by `agent` at `nonce` with the state and prices of now.
    function _statement(bytes memory table, address agent, Trade calldata trade, uint256 nonce, uint256 deadline)
        private
        view
        returns (Valuation memory v)
    {
        uint256 n = ASSET_COUNT;
        uint256 registered = AssetTable.count(table);
        if (registered != n) revert AssetsNotConfigured(registered, n);
        _checkTrade(trade, n);
        (uint256 modelCommitment, uint256 paramsCommitment) = _binding(agent);

        v.inputs = PublicInputs.allocate(n);
        (v.valueIn, v.valueOut) = _value(v.inputs, table, n, trade);
        PublicInputs.putTrade(v.inputs, n, v.valueIn, v.valueOut, trade.sellAsset, trade.buyAsset);
        uint256 binding = PublicInputs.binding(agent, address(this), block.chainid, nonce, deadline);
        PublicInputs.putContext(v.inputs, binding, modelCommitment, paramsCommitment);
        v.modelCommitment = modelCommitment;
    }

    /// @dev The agent's model and parameters, which must be certified; reverts for an unregistered or paused
    ///      agent.
    function _binding(address agent) private view returns (uint256 modelCommitment, uint256 paramsCommitment) {
        bool active;
        (modelCommitment, paramsCommitment, active) = REGISTRY.agentBinding(agent);
        if (modelCommitment == 0) revert AgentNotRegistered(agent);
        if (!active) revert AgentNotActive(agent);
        if (!REGISTRY.isModelCertified(modelCommitment)) revert ModelNotCertified(modelCommitment);
        if (!REGISTRY.isParamsCertified(paramsCommitment)) revert ParamsNotCertified(paramsCommitment);
    }

    /// @dev Reads every feed and puts every holding and debt (USD at 1e8) into `inputs`; returns the trade's values.
    function _value(uint256[] memory inputs, bytes memory table, uint256 n, Trade calldata trade)
        private
        view
        returns (uint256 valueIn, uint256 valueOut)
    {
        (uint256 sell, uint256 buy) = (trade.sellAsset, trade.buyAsset);
        for (uint256 k = 0; k < n; ++k) {
            (uint256 price, uint256 divisor, uint256 multiplier) = _valueAsset(inputs, table, n, k);
            if (k == sell) valueIn = _usd(trade.amountIn, price, divisor, multiplier, true);
            if (k == buy) valueOut = _usd(trade.amountOut, price, divisor, multiplier, false);
        }
    }

    /// @dev Reads asset `k`'s feed and puts its holding (rounded down) and debt (rounded up) into `inputs`; returns
    ///      the price and the scaling that turns `amount · price` into USD at 1e8.
    function _valueAsset(uint256[] memory inputs, bytes memory table, uint256 n, uint256 k)
        private
        view
        returns (uint256 price, uint256 divisor, uint256 multiplier)
    {
        (AggregatorV3Interface feed, uint256 heartbeat, uint256 decimals, uint256 debt) = AssetTable.pricing(table, k);
        price = _price(k, feed, heartbeat);
        // USD (8 decimals) = amount · price / 10^(decimals - 8), or · 10^(8 - decimals) when fewer.
        (divisor, multiplier) = decimals >= USD_DECIMALS
            ? (_pow10(decimals - USD_DECIMALS), uint256(1))
            : (uint256(1), _pow10(USD_DECIMALS - decimals));
        PublicInputs.putHolding(inputs, k, _usd(_holdings[k], price, divisor, multiplier, false));
        PublicInputs.putDebt(inputs, n, k, _usd(debt, price, divisor, multiplier, true));
    }

    /// @dev Checks the trade's shape and that the vault holds what it sells.
    function _checkTrade(Trade calldata trade, uint256 n) private view {
        (uint256 sell, uint256 buy) = (trade.sellAsset, trade.buyAsset);
        if (sell >= n) revert UnknownAsset(sell);
        if (buy >= n) revert UnknownAsset(buy);
        if (sell == buy) revert SameAsset(sell);
        if (trade.amountIn == 0 || trade.amountOut == 0) revert ZeroAmount();
        if (trade.amountOut > type(uint128).max) revert AmountTooLarge(trade.amountOut);
        uint256 holding = _holdings[sell];
        if (trade.amountIn > holding) revert InsufficientHolding(sell, holding, trade.amountIn);
    }

    /// @dev Pays the venue, swaps, and checks what the vault's balances did; then updates the holdings.
    function _swap(bytes memory table, Trade calldata trade) private {
        (uint256 sell, uint256 buy) = (trade.sellAsset, trade.buyAsset);
        (IERC20 sellToken, IERC20 buyToken) = (AssetTable.token(table, sell), AssetTable.token(table, buy));
        IVenue venue_ = IVenue(AssetTable.venue(table));
        uint256 sellBefore = sellToken.balanceOf(address(this));
        uint256 buyBefore = buyToken.balanceOf(address(this));

        sellToken.safeTransfer(venue_.inputRecipient(sellToken, buyToken), trade.amountIn);
        venue_.swap(sellToken, buyToken, trade.amountIn, trade.amountOut, address(this));

        uint256 sellAfter = sellToken.balanceOf(address(this));
        uint256 spent = sellBefore > sellAfter ? sellBefore - sellAfter : 0;
        if (spent != trade.amountIn) revert VenueSpentMismatch(spent, trade.amountIn);
        uint256 buyAfter = buyToken.balanceOf(address(this));
        uint256 received = buyAfter > buyBefore ? buyAfter - buyBefore : 0;
        if (received < trade.amountOut) revert VenueShortfall(received, trade.amountOut);

        // casting to 'uint128' is safe because amountIn <= holding, a uint128 (checked in _checkTrade)
        // forge-lint: disable-next-line(unsafe-typecast)
        _holdings[sell] -= uint128(trade.amountIn);
        _holdings[buy] = (_holdings[buy] + received).toUint128();
    }

    /// @dev Emits {TradeExecuted} (its own frame keeps the stack shallow).
    function _emitTradeExecuted(uint256 nonce, Trade calldata trade, Valuation memory v) private {
        emit TradeExecuted(
            msg.sender,
            nonce,
            keccak256(abi.encode(v.inputs)),
            v.modelCommitment,
            trade.sellAsset,
            trade.buyAsset,
            trade.amountIn,
            trade.amountOut,
            v.valueIn,
            v.valueOut
        );
    }

    /// @dev A feed's answer, checked with Chainlink semantics. The call is made in assembly, without the ABI
    ///      decoder, as it runs once per asset on every trade: a feed that reverts makes this revert with the feed's
    ///      revert data; one that returns fewer than `latestRoundData`'s five words is an {InvalidPrice}.
    function _price(uint256 index, AggregatorV3Interface feed, uint256 heartbeat) private view returns (uint256) {
        bytes4 selector = AggregatorV3Interface.latestRoundData.selector;
        bool complete;
        int256 answer;
        uint256 updatedAt;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            if iszero(staticcall(gas(), feed, 0x00, 0x04, 0x00, 0x00)) {
                let p := mload(0x40)
                returndatacopy(p, 0x00, returndatasize())
                revert(p, returndatasize())
            }
            complete := gt(returndatasize(), 0x9f)
            if complete {
                // (roundId, answer, startedAt, updatedAt, answeredInRound): words 1 and 3.
                returndatacopy(0x00, 0x20, 0x20)
                returndatacopy(0x20, 0x60, 0x20)
                answer := mload(0x00)
                updatedAt := mload(0x20)
            }
        }
        if (!complete || answer <= 0) revert InvalidPrice(index, answer);
        // casting to 'uint256' is safe because answer > 0
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 price = uint256(answer);
        if (price > MAX_ANSWER) revert InvalidPrice(index, answer);
        // Staleness is measured in seconds against the heartbeat; validator drift is negligible at that scale.
        // forge-lint: disable-next-line(block-timestamp)
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > heartbeat) {
            revert StalePrice(index, updatedAt);
        }
        return price;
    }

    /// @dev `amount · price · multiplier / divisor`, rounded up or down (one of `divisor` and `multiplier` is 1).
    ///      `amount` and `price` are both below 2^128, so their product cannot overflow, nor can rounding up; a
    ///      result too large for 256 bits saturates (and is then refused by the 63-bit field check).
    function _usd(uint256 amount, uint256 price, uint256 divisor, uint256 multiplier, bool roundUp)
        private
        pure
        returns (uint256)
    {
        unchecked {
            uint256 product = amount * price;
            if (multiplier != 1) return Math.saturatingMul(product, multiplier);
            return roundUp ? (product + divisor - 1) / divisor : product / divisor;
        }
    }

    /// @dev 10^`exponent`, for `exponent` <= 64 (decimals are at most 36 each).
    function _pow10(uint256 exponent) private pure returns (uint256) {
        unchecked {
            return 10 ** exponent;
        }
    }

    /// @dev The asset table (venue and assets).
    function _table() private view returns (bytes memory) {
        return AssetTable.load(assetTable, assetsRegistered);
    }

    /// @dev The token of a registered asset.
    function _token(uint256 index) private view returns (IERC20) {
        _checkAsset(index);
        return AssetTable.token(_table(), index);
    }

    /// @dev Reverts while paused.
    function _requireNotPaused() private view {
        if (paused) revert EnforcedPause();
    }

    /// @dev Reverts when the deadline has passed.
    function _checkDeadline(uint256 deadline) private view {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
    }

    /// @dev Reverts unless `index` is a registered asset.
    function _checkAsset(uint256 index) private view {
        if (index >= assetsRegistered) revert UnknownAsset(index);
    }

    /// @dev Checks a feed and heartbeat; returns the feed's decimals.
    function _checkFeed(AggregatorV3Interface feed, uint32 heartbeat) private view returns (uint8) {
        if (address(feed) == address(0)) revert ZeroAddress();
        if (heartbeat == 0) revert InvalidHeartbeat();
        return _checkDecimals(feed.decimals());
    }

    /// @dev Reverts when `decimals` is above {MAX_DECIMALS}.
    function _checkDecimals(uint8 decimals) private pure returns (uint8) {
        if (decimals > MAX_DECIMALS) revert UnsupportedDecimals(decimals);
        return decimals;
    }
}
