// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
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
///        to the vault directly do not, until governance calls {syncHolding}), so that nobody can change the
///        statement under a pending proof by donating dust to the vault;
///      - debts: per-asset token units owed, set by governance;
///      - prices: every asset's Chainlink-shaped USD feed, read with Chainlink semantics (answer > 0, updatedAt
///        nonzero, not in the future and at most `heartbeat` seconds old);
///      - the trade's values, the agent (the caller), this vault, the chain id, the agent's nonce, the deadline;
///      - the model and risk-parameter commitments the registry binds the agent to FOR THIS VAULT, which must be
///        certified.
///      On an L2 with a sequencer-uptime feed set, nothing is computed while the sequencer is down or inside its
///      grace period after coming back (prices may be stale in ways the heartbeat does not catch).
///
///      USD values are at 1e8 and computed in one division, whatever the feed's decimals:
///      `value = amount · answer · 10^8 / 10^(tokenDecimals + feedDecimals)`, rounded DOWN for holdings and for the
///      bought value `valueOut`, and UP for debts (as Aave values collateral down and debt up). The sold value is
///      the difference of two rounded-down values, `valueIn = value(H) - value(H - amountIn)` with `H` the accounted
///      holding of the sold asset: the value left after the trade is then exactly the rounded-down value of what
///      remains, and selling the whole holding gives `valueIn` = the holding's value (a full exit is provable). The
///      Rust prover values the same way (prover/src/valuation.rs, for 8-decimal feeds); the fixture tests check that
///      both give identical inputs.
///
///      After the swap the vault values what it received at the statement's price of the bought asset and charges
///      the trade's shortfall against the agent's loss budget (a token bucket; see {lossBucket}): the proof bounds
///      each trade's price, the bucket bounds the loss of many.
///
///      The venue, the sequencer feed and every asset's token, feed, heartbeat and decimals live in an
///      {AssetTable} (the code of a data contract, rewritten by each configuration change and read with one
///      EXTCODECOPY per trade); the debts (token units) there too; only the holdings (token units, two assets per
///      slot) and each agent's nonce and loss bucket (one slot per agent) live in storage.
///
///      The vault's solvency gate (when the registry requires an attestation) counts an attestation only while it is
///      fresh and was made under the vault's current {configGeneration}: every change of what an attestation counted
///      (assets, feeds, venue, sequencer feed, debts, holdings' sync, the owner's withdrawals) moves the generation,
///      so a trade after it is risk-increasing only once one of the vault's agents attests again. The generation
///      shares the slot the trade reads first, and the registry's answer carries the attestation's generation.
///
///      Roles: the owner deposits and withdraws, nothing else (ownership cannot be renounced); governance
///      ({GOVERNANCE}, a timelock) changes everything the statement is computed from (assets, feeds, venue, debts,
///      holdings' sync, sequencer feed), sets the guardian and unpauses; the guardian (or governance) pauses.
///      Models, parameters, agents and loss budgets are governed in the registry, behind the same kind of timelock.
///      The verifier, the registry and governance are immutable.
contract ProofGateVault is IProofGateVault, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev What a statement computation yields besides the public inputs: the trade's values, the vault's net
    ///      asset value, how the bought asset is valued (to value what the venue delivers at the same price), and the
    ///      agent's loss-budget terms.
    struct Valuation {
        uint256[] inputs;
        uint256 modelCommitment;
        uint256 valueIn;
        uint256 valueOut;
        uint256 netAssetValue;
        uint256 buyPrice;
        uint256 buyDivisor;
        uint256 buyMultiplier;
        uint256 lossBudgetBps;
        uint256 lossWindow;
    }

    /// @notice Decimals of every USD value in the statement (Chainlink's USD convention).
    uint256 public constant USD_DECIMALS = 8;
    /// @notice Largest token or feed decimals accepted.
    uint8 public constant MAX_DECIMALS = 36;
    /// @notice Most assets a vault can hold (the circuit's limit, `PublicInputs.MAX_ASSETS`).
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Largest accepted feed answer; larger ones are treated as broken (no real feed comes close).
    uint256 public constant MAX_ANSWER = type(uint128).max;

    // The valuation loop ({_value}) is assembly, which cannot name a library's constants: these restate the layouts
    // of {AssetTable} and {PublicInputs}, and the constructor asserts that they agree (a check folded away at
    // compile time).

    /// @dev AssetTable.HEADER_BYTES: the venue, the sequencer feed and its grace period before the entries.
    uint256 private constant _TABLE_HEADER_BYTES = 44;
    /// @dev AssetTable.ENTRY_BYTES.
    uint256 private constant _TABLE_ENTRY_BYTES = 62;
    /// @dev PublicInputs.VALUE_BITS.
    uint256 private constant _VALUE_BITS = 63;
    /// @dev PublicInputs.VALUES_PER_ELEMENT.
    uint256 private constant _VALUES_PER_ELEMENT = 4;
    /// @dev The largest value a value field holds: 2^63 - 1.
    uint256 private constant _VALUE_MAX = 0x7fffffffffffffff;

    /// @notice Basis points in one (the loss budget's unit).
    uint256 public constant BPS = 10_000;

    // An agent's state word: its nonce (bits 0-63), its loss bucket's spent value (USD at 1e8, bits 64-191) and the
    // bucket's last update (seconds, bits 192-255). One storage slot, written by every trade anyway for the nonce.

    /// @dev Mask of the nonce in an agent's state word.
    uint256 private constant _NONCE_MASK = 0xffffffffffffffff;
    /// @dev Shift of the bucket's spent value.
    uint256 private constant _SPENT_SHIFT = 64;
    /// @dev Mask of the spent value, once shifted down.
    uint256 private constant _SPENT_MASK = 0xffffffffffffffffffffffffffffffff;
    /// @dev Shift of the bucket's last update.
    uint256 private constant _UPDATED_SHIFT = 192;

    // What stopped the valuation loop ({_value}).

    /// @dev Nothing: every asset was valued.
    uint256 private constant _VALUATION_OK = 0;
    /// @dev A feed's answer: {InvalidPrice}.
    uint256 private constant _BAD_ANSWER = 1;
    /// @dev A feed's age: {StalePrice}.
    uint256 private constant _STALE_ANSWER = 2;
    /// @dev A holding's value does not fit its field.
    uint256 private constant _HOLDING_TOO_LARGE = 3;
    /// @dev A debt's value does not fit its field.
    uint256 private constant _DEBT_TOO_LARGE = 4;

    /// @notice The generated Groth16 verifier of the risk circuit.
    IRiskVerifier public immutable VERIFIER;
    /// @notice The registry of certified models, parameters and agents.
    IProofGateRegistry public immutable REGISTRY;
    /// @notice Governance (a `TimelockController`): the only caller of everything that changes what the statement is
    ///         computed from (assets, feeds, venue, debts, holdings' sync, sequencer feed), of {setGuardian} and of
    ///         {unpause}.
    address public immutable GOVERNANCE;
    /// @notice Number of assets: the `n` of the verifier's public-input layout.
    uint256 public immutable ASSET_COUNT;

    // The four fields every trade reads first share one storage slot (one cold SLOAD): the asset table, the number
    // of assets registered, the pause flag and the configuration generation. The pause logic is therefore the
    // vault's own rather than OpenZeppelin's `Pausable` (whose flag has a slot of its own); its events and errors
    // are the same.

    /// @notice The data contract holding the venue and every asset's token, feed, heartbeat, decimals and debt
    ///         (see {AssetTable}); replaced by every configuration change.
    address public assetTable;
    /// @notice Number of assets registered so far; trading needs all {ASSET_COUNT}.
    uint8 public assetsRegistered;
    /// @inheritdoc IProofGateVault
    bool public paused;
    /// @inheritdoc IProofGateVault
    /// @dev Bumped by {_bumpGeneration}; 2^64 configuration changes cannot happen.
    uint64 public configGeneration;
    /// @notice Who may pause the vault (besides governance).
    address public guardian;
    /// @dev Agents' state words (nonce, loss bucket; see {_NONCE_MASK}). Internal for the tests' gas harness.
    mapping(address agent => uint256 word) internal _agentStates;

    /// @dev Accounted holdings in token units, two assets per storage slot.
    uint128[MAX_ASSETS] private _holdings;
    mapping(IERC20 token => bool) private _isAsset;

    /// @notice Only the guardian or governance.
    modifier onlyPauser() {
        if (msg.sender != guardian && msg.sender != GOVERNANCE) revert UnauthorizedPauser(msg.sender);
        _;
    }

    /// @notice Only governance (the timelock).
    modifier onlyGovernance() {
        if (msg.sender != GOVERNANCE) revert UnauthorizedGovernance(msg.sender);
        _;
    }

    /// @notice Deploys the vault; governance then adds the assets with {addAsset} and sets the venue with
    ///         {setVenue}.
    /// @param initialOwner The vault's owner: deposits and withdraws, nothing else.
    /// @param governance Governance (a `TimelockController`): configuration, guardian, unpause.
    /// @param initialGuardian Who may pause (may be zero: then only governance can).
    /// @param registry The registry of models, parameters and agents.
    /// @param verifier The generated verifier; its public-input count must be the layout's for `assetCount`.
    /// @param assetCount Number of assets, 2 to 16 (8 for the default circuit).
    constructor(
        address initialOwner,
        address governance,
        address initialGuardian,
        IProofGateRegistry registry,
        IRiskVerifier verifier,
        uint256 assetCount
    ) Ownable(initialOwner) {
        if (governance == address(0) || address(registry) == address(0) || address(verifier) == address(0)) {
            revert ZeroAddress();
        }
        if (assetCount < PublicInputs.MIN_ASSETS || assetCount > MAX_ASSETS) {
            revert UnsupportedAssetCount(assetCount);
        }
        assert(
            _TABLE_HEADER_BYTES == AssetTable.HEADER_BYTES && _TABLE_ENTRY_BYTES == AssetTable.ENTRY_BYTES
                && _VALUE_BITS == PublicInputs.VALUE_BITS && _VALUES_PER_ELEMENT == PublicInputs.VALUES_PER_ELEMENT
                && _VALUE_MAX == type(uint256).max >> (256 - PublicInputs.VALUE_BITS)
                && MAX_ANSWER == type(uint256).max >> 128
        );
        uint256 expected = PublicInputs.inputCount(assetCount);
        uint256 actual = verifier.PUBLIC_INPUT_COUNT();
        if (actual != expected) revert VerifierInputCountMismatch(actual, expected);
        REGISTRY = registry;
        VERIFIER = verifier;
        ASSET_COUNT = assetCount;
        GOVERNANCE = governance;
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
    }

    // ---------------------------------------------------------------- trading

    /// @inheritdoc IProofGateVault
    /// @dev Order: pause, deadline; the caller's nonce is consumed before any external call; the statement is
    ///      computed (sequencer, the registry's binding for this vault and certification, every feed; see the
    ///      contract's notes on values and rounding); the proof is checked (any failure is {InvalidProof});
    ///      `amountIn` is paid to the venue, which swaps it for what the pool gives, at least `amountOut` (the
    ///      vault's sell balance must fall by exactly `amountIn` and its buy balance rise by at least `amountOut`; it
    ///      credits what it received); the shortfall is charged to the agent's loss bucket ({LossBudgetExceeded}).
    ///      Any failure reverts everything, the nonce and the bucket included.
    function executeTrade(Trade calldata trade, uint256 deadline, uint256[8] calldata proof) external nonReentrant {
        (address pointer, uint256 registered, bool isPaused, uint256 generation) = _configuration();
        if (isPaused) revert EnforcedPause();
        _checkDeadline(deadline);
        // The nonce is consumed first (the same slot is written again, warm, with the loss bucket). It cannot carry
        // into the bucket's bits: 2^64 trades of one agent cannot happen.
        uint256 state = _agentStates[msg.sender];
        uint256 nonce = state & _NONCE_MASK;
        _agentStates[msg.sender] = ++state;
        bytes memory table = AssetTable.load(pointer, registered);
        if (AssetTable.venue(table) == address(0)) revert VenueNotSet();
        Valuation memory v = _statement(table, generation, msg.sender, trade, nonce, deadline);
        if (!_verify(proof, v.inputs)) revert InvalidProof();
        uint256 received = _swap(table, trade);
        uint256 shortfall = _chargeLoss(state, v, received);
        _emitTradeExecuted(nonce, trade, v, received, shortfall);
    }

    /// @inheritdoc IProofGateVault
    /// @dev Uses `agent`'s current nonce; reverts with the errors {executeTrade} would for the statement
    ///      (sequencer, agent not registered for this vault or paused, uncertified commitments, solvency gate, bad
    ///      trade, bad prices), but not for the deadline or the pause.
    function publicInputs(address agent, Trade calldata trade, uint256 deadline)
        external
        view
        returns (uint256[] memory inputs)
    {
        return _statementNow(agent, trade, deadline, false).inputs;
    }

    /// @inheritdoc IProofGateVault
    /// @dev Reverts with the error {executeTrade} would revert with before its proof check (pause, deadline,
    ///      venue, sequencer, agent, commitments, solvency gate, trade, prices); otherwise returns whether the
    ///      verifier accepts the proof. What follows the proof (the venue's output, the loss budget) is not checked.
    function checkTrade(address agent, Trade calldata trade, uint256 deadline, uint256[8] calldata proof)
        external
        view
        returns (bool)
    {
        _requireNotPaused();
        _checkDeadline(deadline);
        return _verify(proof, _statementNow(agent, trade, deadline, true).inputs);
    }

    // ---------------------------------------------------------------- configuration (governance)

    /// @inheritdoc IProofGateVault
    function addAsset(IERC20 token, AggregatorV3Interface feed, uint32 heartbeat)
        external
        onlyGovernance
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
        assetTable = AssetTable.store(AssetTable.header(table), entries);
        // casting to 'uint8' is safe because index < ASSET_COUNT <= 16
        // forge-lint: disable-next-line(unsafe-typecast)
        assetsRegistered = uint8(index + 1);
        _bumpGeneration();
        emit AssetAdded(index, address(token), address(feed), heartbeat, tokenDecimals, feedDecimals);
    }

    /// @inheritdoc IProofGateVault
    function setFeed(uint256 index, AggregatorV3Interface feed, uint32 heartbeat) external onlyGovernance {
        _checkAsset(index);
        uint8 feedDecimals = _checkFeed(feed, heartbeat);
        bytes memory table = _table();
        AssetTable.Entry[] memory entries = AssetTable.entries(table);
        AssetTable.Entry memory entry = entries[index];
        (entry.feed, entry.heartbeat, entry.feedDecimals) = (feed, heartbeat, feedDecimals);
        assetTable = AssetTable.store(AssetTable.header(table), entries);
        _bumpGeneration();
        emit FeedUpdated(index, address(feed), heartbeat, feedDecimals);
    }

    /// @inheritdoc IProofGateVault
    function setVenue(IVenue newVenue) external onlyGovernance {
        if (address(newVenue) == address(0)) revert ZeroAddress();
        bytes memory table = _table();
        AssetTable.Header memory header = AssetTable.header(table);
        emit VenueUpdated(header.venue, address(newVenue));
        header.venue = address(newVenue);
        assetTable = AssetTable.store(header, AssetTable.entries(table));
        _bumpGeneration();
    }

    /// @inheritdoc IProofGateVault
    function setSequencerFeed(AggregatorV3Interface feed, uint32 gracePeriod) external onlyGovernance {
        bytes memory table = _table();
        AssetTable.Header memory header = AssetTable.header(table);
        (header.sequencerFeed, header.gracePeriod) = (feed, gracePeriod);
        assetTable = AssetTable.store(header, AssetTable.entries(table));
        _bumpGeneration();
        emit SequencerFeedUpdated(address(feed), gracePeriod);
    }

    /// @inheritdoc IProofGateVault
    function setGuardian(address newGuardian) external onlyGovernance {
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
    function unpause() external onlyGovernance {
        if (!paused) revert ExpectedPause();
        paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------- funds (owner)

    /// @notice Always reverts: an owner-less vault could never release its funds (withdrawals are the owner's).
    function renounceOwnership() public pure override {
        revert OwnershipCannotBeRenounced();
    }

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
        // Assets an attestation counted leave: it no longer counts for the gate.
        _bumpGeneration();
        token.safeTransfer(to, amount);
        emit Withdrawn(index, to, amount);
    }

    /// @inheritdoc IProofGateVault
    /// @dev Debts live in the asset table (read on every trade, changed rarely): this writes a new table.
    function setDebt(uint256 index, uint256 debt) external onlyGovernance {
        _checkAsset(index);
        bytes memory table = _table();
        AssetTable.Entry[] memory entries = AssetTable.entries(table);
        emit DebtSet(index, entries[index].debt, debt);
        entries[index].debt = debt.toUint128();
        assetTable = AssetTable.store(AssetTable.header(table), entries);
        _bumpGeneration();
    }

    /// @inheritdoc IProofGateVault
    function syncHolding(uint256 index) external nonReentrant onlyGovernance {
        uint256 balance = _token(index).balanceOf(address(this));
        emit HoldingSynced(index, _holdings[index], balance);
        _holdings[index] = balance.toUint128();
        _bumpGeneration();
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

    /// @inheritdoc IProofGateVault
    function checkSettled() external view {
        if (_reentrancyGuardEntered()) revert OperationInProgress();
        _checkSequencer(_table());
    }

    /// @inheritdoc IProofGateVault
    function sequencerFeed() external view returns (address feed, uint32 gracePeriod) {
        (address feed_, uint256 grace) = AssetTable.sequencer(_table());
        // casting to 'uint32' is safe because the table stores the grace period in 4 bytes
        // forge-lint: disable-next-line(unsafe-typecast)
        return (feed_, uint32(grace));
    }

    /// @inheritdoc IProofGateVault
    function nonces(address agent) external view returns (uint256) {
        return _agentStates[agent] & _NONCE_MASK;
    }

    /// @inheritdoc IProofGateVault
    function lossBucket(address agent) external view returns (uint256 spent, uint64 updatedAt) {
        uint256 state = _agentStates[agent];
        // casting to 'uint64' is safe because it takes exactly the top 64 bits of the word
        // forge-lint: disable-next-line(unsafe-typecast)
        return ((state >> _SPENT_SHIFT) & _SPENT_MASK, uint64(state >> _UPDATED_SHIFT));
    }

    // ---------------------------------------------------------------- internals

    /// @dev The statement of `trade` by `agent` at its current nonce, for the views; with `needsVenue`, reverts
    ///      first when the venue is not set (as {executeTrade} does).
    function _statementNow(address agent, Trade calldata trade, uint256 deadline, bool needsVenue)
        private
        view
        returns (Valuation memory)
    {
        bytes memory table = _table();
        if (needsVenue && AssetTable.venue(table) == address(0)) revert VenueNotSet();
        return _statement(table, configGeneration, agent, trade, _agentStates[agent] & _NONCE_MASK, deadline);
    }

    /// @dev The statement of `trade` by `agent` at `nonce` with the state and prices of now; `generation` is the
    ///      vault's {configGeneration} (read with the table).
    function _statement(
        bytes memory table,
        uint256 generation,
        address agent,
        Trade calldata trade,
        uint256 nonce,
        uint256 deadline
    ) private view returns (Valuation memory v) {
        uint256 n = ASSET_COUNT;
        uint256 registered = AssetTable.count(table);
        if (registered != n) revert AssetsNotConfigured(registered, n);
        _checkSequencer(table);
        (uint256 sell, uint256 buy) = _checkTrade(trade, n);
        (uint256 paramsCommitment, uint256 solventUntil, uint256 reserveAssets) = _binding(agent, generation, v);
        // The solvency gate: past a required attestation's freshness (or under another configuration than the one it
        // was made under: `solventUntil` is then 0) only de-risking trades (into a reserve asset) go through.
        // Attestations are fresh for hours: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > solventUntil && (reserveAssets >> buy) & 1 == 0) {
            revert AgentNotSolvent(agent, solventUntil);
        }

        v.inputs = PublicInputs.allocate(n);
        _value(v, table, n, trade);
        PublicInputs.putTrade(v.inputs, n, v.valueIn, v.valueOut, sell, buy);
        uint256 binding = PublicInputs.binding(agent, address(this), block.chainid, nonce, deadline);
        PublicInputs.putContext(v.inputs, binding, v.modelCommitment, paramsCommitment);
    }

    /// @dev The agent's model and parameters for this vault, which must be certified (the model into `v`), the
    ///      vault's solvency gate, and the agent's loss-budget terms (into `v`); reverts for an agent not registered
    ///      for this vault, or paused here. One registry call, {IProofGateRegistry.tradingStatus}(this, agent), made
    ///      in assembly: a registry that reverts makes this revert with its revert data, a reply shorter than the ten
    ///      words reverts without data (as the ABI decoder would), a flag counts as set only when it is exactly 1,
    ///      and the gate's words are masked to their declared widths. A required attestation (`solventUntil` below
    ///      2^64 - 1) made under another configuration generation than `generation` (the vault's now) counts as
    ///      none: `solventUntil` is then 0.
    function _binding(address agent, uint256 generation, Valuation memory v)
        private
        view
        returns (uint256 paramsCommitment, uint256 solventUntil, uint256 reserveAssets)
    {
        IProofGateRegistry registry = REGISTRY;
        bytes4 selector = IProofGateRegistry.tradingStatus.selector;
        uint256 modelCommitment;
        bool active;
        bool modelCertified;
        bool paramsCertified;
        assembly ("memory-safe") {
            // Scratch memory above the free memory pointer (not allocated).
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), address())
            mstore(add(m, 0x24), agent)
            if iszero(staticcall(gas(), registry, m, 0x44, m, 0x140)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x140) { revert(0x00, 0x00) }
            modelCommitment := mload(m)
            paramsCommitment := mload(add(m, 0x20))
            active := eq(mload(add(m, 0x40)), 1)
            modelCertified := eq(mload(add(m, 0x60)), 1)
            paramsCertified := eq(mload(add(m, 0x80)), 1)
            solventUntil := and(mload(add(m, 0xa0)), 0xffffffffffffffff)
            // solvencyGeneration (the tenth word): an attestation of another configuration does not count.
            if and(
                iszero(eq(solventUntil, 0xffffffffffffffff)),
                iszero(eq(and(mload(add(m, 0x120)), 0xffffffffffffffff), generation))
            ) { solventUntil := 0 }
            reserveAssets := and(mload(add(m, 0xc0)), 0xffff)
            // Valuation's words: inputs, modelCommitment, valueIn, valueOut, netAssetValue, buyPrice, buyDivisor,
            // buyMultiplier, lossBudgetBps, lossWindow.
            mstore(add(v, 0x100), and(mload(add(m, 0xe0)), 0xffff))
            mstore(add(v, 0x120), and(mload(add(m, 0x100)), 0xffffffff))
        }
        v.modelCommitment = modelCommitment;
        if (modelCommitment == 0) revert AgentNotRegistered(agent);
        if (!active) revert AgentNotActive(agent);
        if (!modelCertified) revert ModelNotCertified(modelCommitment);
        if (!paramsCertified) revert ParamsNotCertified(paramsCommitment);
    }

    /// @dev Reads every asset's feed and puts its holding (rounded down) and debt (rounded up), in USD at 1e8, into
    ///      `v.inputs`; sets the trade's values (sold: `value(H) - value(H - amountIn)`, both rounded down; bought:
    ///      rounded down), the net asset value (the holdings' values less the debts', as in the statement; 0 when
    ///      negative) and the bought asset's price and scaling. See the contract's notes.
    ///
    ///      The vault's hottest code (n feed calls and 2n + 2 values on every trade) is one assembly loop. Per asset,
    ///      in this order: the feed's `latestRoundData` (a feed that reverts makes this revert with its revert
    ///      data); all five words returned and 0 < answer <= MAX_ANSWER, else {InvalidPrice} (answer 0 when fewer
    ///      words came back); updatedAt nonzero, not in the future and at most the heartbeat old, else
    ///      {StalePrice}; the holding's value, then the debt's, below 2^63, else
    ///      {IPublicInputsErrors.FieldOutOfRange}. The first failure stops the loop and reverts after it.
    ///
    ///      No arithmetic overflows: holdings and debts are uint128, `_checkTrade` bounds the trade's amounts below
    ///      2^128 and prices are below 2^128, so `amount · price < 2^256`; scaling up (fewer than 8 decimals)
    ///      saturates, and a saturated value fails the 63-bit check; 10^(decimals - 8) and 10^(8 - decimals) fit, as
    ///      decimals are at most 36 + 36 (checked when an asset is added). Reads the trade's words from calldata
    ///      directly: `_checkTrade` has already decoded (and so validated) them.
    function _value(Valuation memory v, bytes memory table, uint256 n, Trade calldata trade) private view {
        // Memory for the loop (allocated): the feed call (selector, then the five words returned), what stopped the
        // loop (see {_checkValuation}), then the sums of the holdings' and the debts' values.
        uint256 scratch;
        uint256[] memory inputs = v.inputs;
        assembly ("memory-safe") {
            // amount · price · multiplier / divisor, rounded down (roundUp 0) or up (1); multiplying saturates.
            function usd(amount, price, divisor, multiplier, roundUp) -> usdValue {
                let product := mul(amount, price)
                let scaled := mul(product, multiplier)
                scaled := or(scaled, sub(0, iszero(eq(div(scaled, multiplier), product))))
                usdValue := add(div(scaled, divisor), and(roundUp, iszero(iszero(mod(scaled, divisor)))))
            }

            // ORs `value` into value field i of the packed inputs: element i / 4, bit 63 · (i % 4).
            function put(inputs_, i, value) {
                let at := add(add(inputs_, 0x20), shl(5, div(i, _VALUES_PER_ELEMENT)))
                mstore(at, or(mload(at), shl(mul(_VALUE_BITS, mod(i, _VALUES_PER_ELEMENT)), value)))
            }

            // Records why the loop stops: the failed check, the asset, and the refused value.
            function fail(s, code, k, value) {
                mstore(add(s, 0xc0), code)
                mstore(add(s, 0xe0), k)
                mstore(add(s, 0x100), value)
            }

            // Asset k, whose table entry is at `entry`: checks its feed's answer, puts its holding and debt, and
            // returns its price and scaling; or records a failure and returns price 0 (never a valid answer).
            function valueAsset(k, entry, holding, inputs_, n_, s) -> price, divisor, multiplier {
                // Entry: token (20 bytes), feed (20), heartbeat (4), token decimals (1), feed decimals (1), debt (16).
                let tail := mload(add(entry, 40))
                if iszero(staticcall(gas(), shr(96, mload(add(entry, 20))), s, 4, add(s, 0x20), 0xa0)) {
                    returndatacopy(s, 0, returndatasize())
                    revert(s, returndatasize())
                }
                // Returned: roundId, answer, startedAt, updatedAt, answeredInRound (all five, else answer 0).
                price := mul(mload(add(s, 0x40)), iszero(lt(returndatasize(), 0xa0)))
                // 0 < answer <= MAX_ANSWER (2^128 - 1).
                if or(iszero(sgt(price, 0)), shr(128, price)) {
                    fail(s, _BAD_ANSWER, k, price)
                    leave
                }
                // updatedAt nonzero, not in the future, at most the heartbeat old.
                let updatedAt := mload(add(s, 0x80))
                if or(
                    or(iszero(updatedAt), gt(updatedAt, timestamp())),
                    gt(sub(timestamp(), updatedAt), shr(224, tail))
                ) {
                    fail(s, _STALE_ANSWER, k, updatedAt)
                    price := 0
                    leave
                }
                // USD at 1e8 = amount · price / 10^(decimals - 8), or · 10^(8 - decimals) when fewer.
                let decimals := add(byte(4, tail), byte(5, tail))
                let up := lt(decimals, USD_DECIMALS)
                divisor := exp(10, mul(sub(decimals, USD_DECIMALS), iszero(up)))
                multiplier := exp(10, mul(sub(USD_DECIMALS, decimals), up))
                let value := usd(holding, price, divisor, multiplier, 0)
                if gt(value, _VALUE_MAX) {
                    fail(s, _HOLDING_TOO_LARGE, k, value)
                    price := 0
                    leave
                }
                put(inputs_, k, value)
                mstore(add(s, 0x120), add(mload(add(s, 0x120)), value))
                value := usd(shr(128, shl(48, tail)), price, divisor, multiplier, 1)
                if gt(value, _VALUE_MAX) {
                    fail(s, _DEBT_TOO_LARGE, k, value)
                    price := 0
                    leave
                }
                put(inputs_, add(n_, k), value)
                mstore(add(s, 0x140), add(mload(add(s, 0x140)), value))
            }

            // The trade's values when asset k is sold or bought (the trade's words: sellAsset, buyAsset, amountIn,
            // amountOut), into the Valuation's words (inputs, modelCommitment, valueIn, valueOut, netAssetValue,
            // buyPrice, buyDivisor, buyMultiplier, ...).
            function tradeValues(k, holding, price, divisor, multiplier, trade_, v_) {
                if eq(k, calldataload(trade_)) {
                    // value(H) - value(H - amountIn), both rounded down (_checkTrade: amountIn <= H); at most the
                    // holding's value, which fits its field.
                    mstore(
                        add(v_, 0x40),
                        sub(
                            usd(holding, price, divisor, multiplier, 0),
                            usd(sub(holding, calldataload(add(trade_, 0x40))), price, divisor, multiplier, 0)
                        )
                    )
                }
                if eq(k, calldataload(add(trade_, 0x20))) {
                    mstore(add(v_, 0x60), usd(calldataload(add(trade_, 0x60)), price, divisor, multiplier, 0))
                    mstore(add(v_, 0xa0), price)
                    mstore(add(v_, 0xc0), divisor)
                    mstore(add(v_, 0xe0), multiplier)
                }
            }

            scratch := mload(0x40)
            mstore(0x40, add(scratch, 0x160))
            mstore(add(scratch, 0x120), 0)
            mstore(add(scratch, 0x140), 0)
            mstore(scratch, shl(224, 0xfeaf968c)) // latestRoundData()
            mstore(add(scratch, 0xc0), _VALUATION_OK)
            let entry := add(add(table, 0x20), _TABLE_HEADER_BYTES)
            let pair := 0 // the holdings slot of assets k and k + 1 (k even): k in the low 128 bits
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let holding := shr(128, pair)
                if iszero(and(k, 1)) {
                    pair := sload(add(_holdings.slot, shr(1, k)))
                    holding := and(pair, 0xffffffffffffffffffffffffffffffff)
                }
                let price, divisor, multiplier := valueAsset(k, entry, holding, inputs, n, scratch)
                if iszero(price) { break }
                tradeValues(k, holding, price, divisor, multiplier, trade, v)
                entry := add(entry, _TABLE_ENTRY_BYTES)
            }
            // Net asset value: at most 16 values below 2^63 on each side, so neither sum overflows.
            let holdings := mload(add(scratch, 0x120))
            let debts := mload(add(scratch, 0x140))
            mstore(add(v, 0x80), mul(sub(holdings, debts), gt(holdings, debts)))
        }
        _checkValuation(scratch);
    }

    /// @dev Reverts with the typed error of the check that stopped {_value}'s loop, if one did: `scratch` words 6, 7
    ///      and 8 hold the failed check, the asset, and the refused answer, updatedAt or value.
    function _checkValuation(uint256 scratch) private pure {
        uint256 failure;
        uint256 index;
        uint256 detail;
        assembly ("memory-safe") {
            failure := mload(add(scratch, 0xc0))
            index := mload(add(scratch, 0xe0))
            detail := mload(add(scratch, 0x100))
        }
        if (failure == _VALUATION_OK) return;
        // casting to 'int256' is safe because `detail` holds the feed's int256 answer's own bits
        // forge-lint: disable-next-line(unsafe-typecast)
        if (failure == _BAD_ANSWER) revert InvalidPrice(index, int256(detail));
        if (failure == _STALE_ANSWER) revert StalePrice(index, detail);
        if (failure == _HOLDING_TOO_LARGE) revert FieldOutOfRange(Field.Holding, index, detail, _VALUE_BITS);
        revert FieldOutOfRange(Field.Debt, index, detail, _VALUE_BITS);
    }

    /// @dev When the table names a sequencer-uptime feed: reverts while the L2 sequencer is down ({SequencerDown}:
    ///      the feed's answer is not 0) or has been up for at most the grace period ({SequencerGracePeriod}; also
    ///      when `startedAt` is 0 or in the future: nothing says for how long it has been up). Chainlink's
    ///      sequencer-uptime feed semantics. Nothing is read on L1 (no feed).
    function _checkSequencer(bytes memory table) private view {
        (address feed, uint256 gracePeriod) = AssetTable.sequencer(table);
        if (feed == address(0)) return;
        (, int256 answer, uint256 startedAt,,) = AggregatorV3Interface(feed).latestRoundData();
        if (answer != 0) revert SequencerDown();
        // The grace period is an hour or so: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (startedAt == 0 || startedAt > block.timestamp || block.timestamp - startedAt <= gracePeriod) {
            revert SequencerGracePeriod(startedAt, gracePeriod);
        }
    }

    /// @dev Checks the trade's shape and that the vault holds what it sells; returns the sold and bought assets.
    function _checkTrade(Trade calldata trade, uint256 n) private view returns (uint256 sell, uint256 buy) {
        (uint256 amountIn, uint256 amountOut) = (trade.amountIn, trade.amountOut);
        (sell, buy) = (trade.sellAsset, trade.buyAsset);
        if (sell >= n) revert UnknownAsset(sell);
        if (buy >= n) revert UnknownAsset(buy);
        if (sell == buy) revert SameAsset(sell);
        if (amountIn == 0 || amountOut == 0) revert ZeroAmount();
        if (amountOut > type(uint128).max) revert AmountTooLarge(amountOut);
        uint256 holding;
        assembly ("memory-safe") {
            // _holdings[sell]: the 128 bits at bit 128 · (sell % 2) of slot sell / 2 (sell < n <= MAX_ASSETS).
            holding := and(shr(shl(7, and(sell, 1)), sload(add(_holdings.slot, shr(1, sell)))), sub(shl(128, 1), 1))
        }
        if (amountIn > holding) revert InsufficientHolding(sell, holding, amountIn);
    }

    /// @dev Whether the verifier accepts `proof` for `inputs`. The call is made in assembly (the ABI coder would
    ///      copy the proof and the inputs twice): a verifier that reverts or answers anything but `true` rejects.
    function _verify(uint256[8] calldata proof, uint256[] memory inputs) private view returns (bool valid) {
        IRiskVerifier verifier = VERIFIER;
        bytes4 selector = IRiskVerifier.isValidProof.selector;
        assembly ("memory-safe") {
            // isValidProof(uint256[8] proof, uint256[] input): the proof in place, then the array's offset (0x120),
            // length and elements. Scratch memory above the free memory pointer (not allocated).
            let m := mload(0x40)
            mstore(m, selector)
            calldatacopy(add(m, 0x04), proof, 0x100)
            mstore(add(m, 0x104), 0x120)
            let size := shl(5, add(mload(inputs), 1))
            mcopy(add(m, 0x124), inputs, size)
            let ok := staticcall(gas(), verifier, m, add(0x124, size), 0x00, 0x20)
            valid := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
    }

    /// @dev Pays the venue, swaps, and checks what the vault's balances did; then updates the holdings. Returns what
    ///      the vault received (at least `amountOut`).
    function _swap(bytes memory table, Trade calldata trade) private returns (uint256 received) {
        (uint256 sell, uint256 buy) = (trade.sellAsset, trade.buyAsset);
        (uint256 amountIn, uint256 amountOut) = (trade.amountIn, trade.amountOut);
        (IERC20 sellToken, IERC20 buyToken) = (AssetTable.token(table, sell), AssetTable.token(table, buy));
        IVenue venue_ = IVenue(AssetTable.venue(table));
        uint256 sellBefore = _balance(sellToken);
        uint256 buyBefore = _balance(buyToken);

        sellToken.safeTransfer(_inputRecipient(venue_, sellToken, buyToken), amountIn);
        _venueSwap(venue_, sellToken, buyToken, amountIn, amountOut);

        uint256 spent;
        unchecked {
            uint256 sellAfter = _balance(sellToken);
            spent = sellBefore > sellAfter ? sellBefore - sellAfter : 0;
            uint256 buyAfter = _balance(buyToken);
            received = buyAfter > buyBefore ? buyAfter - buyBefore : 0;
        }
        if (spent != amountIn) revert VenueSpentMismatch(spent, amountIn);
        if (received < amountOut) revert VenueShortfall(received, amountOut);

        _settle(sell, buy, amountIn, received);
    }

    /// @dev Books a trade: the holding of `sell` falls by `amountIn` (at most the holding: checked by _checkTrade,
    ///      and nothing can change the holding since, the guard keeping re-entry out), that of `buy` rises by
    ///      `received` (refused above 2^128 - 1). One write when both share a storage slot.
    function _settle(uint256 sell, uint256 buy, uint256 amountIn, uint256 received) private {
        // Asset k's holding: the 128 bits at bit 128 · (k % 2) of slot k / 2. Each slot is read and written once.
        uint256 sellSlot;
        uint256 buySlot;
        uint256 sellWord;
        uint256 buyWord;
        uint256 sellHolding;
        uint256 buyHolding;
        assembly ("memory-safe") {
            sellSlot := add(_holdings.slot, shr(1, sell))
            buySlot := add(_holdings.slot, shr(1, buy))
            sellWord := sload(sellSlot)
            buyWord := sellWord
            if iszero(eq(sellSlot, buySlot)) { buyWord := sload(buySlot) }
            sellHolding := and(shr(shl(7, and(sell, 1)), sellWord), 0xffffffffffffffffffffffffffffffff)
            buyHolding := and(shr(shl(7, and(buy, 1)), buyWord), 0xffffffffffffffffffffffffffffffff)
        }
        uint256 sold = sellHolding - amountIn; // checked again, cheaply
        uint256 bought = (buyHolding + received).toUint128();
        assembly ("memory-safe") {
            function replace(word, k, value) -> w {
                let shift := shl(7, and(k, 1))
                w := or(and(word, not(shl(shift, 0xffffffffffffffffffffffffffffffff))), shl(shift, value))
            }
            sellWord := replace(sellWord, sell, sold)
            switch eq(sellSlot, buySlot)
            case 0 {
                sstore(sellSlot, sellWord)
                sstore(buySlot, replace(buyWord, buy, bought))
            }
            default { sstore(sellSlot, replace(sellWord, buy, bought)) }
        }
    }

    /// @dev `venue_.inputRecipient(sellToken, buyToken)`, in assembly; bubbles up a revert, and refuses an answer
    ///      that is not an address (reverting without data, as the ABI decoder would).
    function _inputRecipient(IVenue venue_, IERC20 sellToken, IERC20 buyToken)
        private
        view
        returns (address recipient)
    {
        bytes4 selector = IVenue.inputRecipient.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), sellToken)
            mstore(add(m, 0x24), buyToken)
            if iszero(staticcall(gas(), venue_, m, 0x44, 0x00, 0x20)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            recipient := mload(0x00)
            if or(lt(returndatasize(), 0x20), shr(160, recipient)) { revert(0x00, 0x00) }
        }
    }

    /// @dev `venue_.swap(sellToken, buyToken, amountIn, amountOut, this)`, in assembly (`amountOut` is the venue's
    ///      minimum); bubbles up a revert. (No code check: the venue answered {inputRecipient} just before.)
    function _venueSwap(IVenue venue_, IERC20 sellToken, IERC20 buyToken, uint256 amountIn, uint256 amountOut) private {
        bytes4 selector = IVenue.swap.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), sellToken)
            mstore(add(m, 0x24), buyToken)
            mstore(add(m, 0x44), amountIn)
            mstore(add(m, 0x64), amountOut)
            mstore(add(m, 0x84), address())
            if iszero(call(gas(), venue_, 0, m, 0xa4, 0x00, 0x00)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// @dev The vault's balance of `token`: `token.balanceOf(this)` made in assembly (four times a trade). Bubbles up
    ///      a revert; an answer shorter than a word reverts without data, as the ABI decoder would.
    function _balance(IERC20 token) private view returns (uint256 amount) {
        bytes4 selector = IERC20.balanceOf.selector;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, address())
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                let m := mload(0x40)
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0x00, 0x00) }
            amount := mload(0x00)
        }
    }

    /// @dev Charges the trade's shortfall to the agent's loss bucket and stores the agent's state word (`state`: the
    ///      word with the nonce already consumed); returns the shortfall. See {IProofGateVault-lossBucket}: the
    ///      shortfall is `max(0, valueIn - value(received))`, the received tokens valued rounded down at the price and
    ///      scaling the statement used for the bought asset; the capacity is `netAssetValue · lossBudgetBps /
    ///      10^4`; the bucket first refills by `capacity · elapsed / window` (rounded down) and a trade with a
    ///      shortfall needs `spent + shortfall <= capacity`, else {LossBudgetExceeded}. A trade without a shortfall
    ///      is never refused here (it only refills the bucket). No arithmetic overflows: the net asset value is below
    ///      2^67, the budget at most 10^4, the elapsed time below 2^64, and `spent` at most a capacity.
    ///      Internal (not private) for the tests' gas harness.
    function _chargeLoss(uint256 state, Valuation memory v, uint256 received) internal returns (uint256 shortfall) {
        uint256 valueReceived;
        uint256 capacity;
        uint256 spent;
        unchecked {
            (uint256 price, uint256 divisor, uint256 multiplier) = (v.buyPrice, v.buyDivisor, v.buyMultiplier);
            assembly ("memory-safe") {
                // usd(received, price, divisor, multiplier), rounded down, saturating like {_value}'s (received is
                // below 2^128: _settle refused more).
                let product := mul(received, price)
                let scaled := mul(product, multiplier)
                scaled := or(scaled, sub(0, iszero(eq(div(scaled, multiplier), product))))
                valueReceived := div(scaled, divisor)
            }
            uint256 valueIn = v.valueIn;
            shortfall = valueIn > valueReceived ? valueIn - valueReceived : 0;
            capacity = v.netAssetValue * v.lossBudgetBps / BPS;
            spent = (state >> _SPENT_SHIFT) & _SPENT_MASK;
            uint256 window = v.lossWindow;
            if (window != 0) {
                // forge-lint: disable-next-line(block-timestamp)
                uint256 refill = capacity * (block.timestamp - (state >> _UPDATED_SHIFT)) / window;
                spent = spent > refill ? spent - refill : 0;
            }
        }
        if (shortfall != 0) {
            if (spent + shortfall > capacity) {
                revert LossBudgetExceeded(msg.sender, shortfall, capacity > spent ? capacity - spent : 0);
            }
            spent += shortfall;
        }
        _agentStates[msg.sender] = (state & _NONCE_MASK) | (spent << _SPENT_SHIFT) | (block.timestamp << _UPDATED_SHIFT);
    }

    /// @dev Emits {TradeExecuted}, in assembly: the statement hash `keccak256(abi.encode(inputs))` is taken over a
    ///      copy of the inputs behind their ABI offset, without the ABI encoder.
    function _emitTradeExecuted(
        uint256 nonce,
        Trade calldata trade,
        Valuation memory v,
        uint256 received,
        uint256 shortfall
    ) private {
        bytes32 topic = TradeExecuted.selector;
        (uint256[] memory inputs, uint256 model, uint256 valueIn, uint256 valueOut) =
            (v.inputs, v.modelCommitment, v.valueIn, v.valueOut);
        assembly ("memory-safe") {
            // Scratch memory above the free memory pointer (not allocated).
            let m := mload(0x40)
            mstore(m, 0x20)
            let size := shl(5, add(mload(inputs), 1))
            mcopy(add(m, 0x20), inputs, size)
            let statementHash := keccak256(m, add(size, 0x20))
            // Data: modelCommitment, then the trade's four words (sellAsset, buyAsset, amountIn, amountOut; already
            // decoded, so validated, by _checkTrade), valueIn, valueOut, amountReceived, shortfall.
            mstore(m, model)
            calldatacopy(add(m, 0x20), trade, 0x80)
            mstore(add(m, 0xa0), valueIn)
            mstore(add(m, 0xc0), valueOut)
            mstore(add(m, 0xe0), received)
            mstore(add(m, 0x100), shortfall)
            log4(m, 0x120, topic, caller(), nonce, statementHash)
        }
    }

    /// @dev The asset table (venue and assets).
    function _table() private view returns (bytes memory) {
        (address pointer, uint256 registered,,) = _configuration();
        return AssetTable.load(pointer, registered);
    }

    /// @dev The fields of the vault's first storage slot, read together (one SLOAD).
    function _configuration()
        private
        view
        returns (address pointer, uint256 registered, bool isPaused, uint256 generation)
    {
        return (assetTable, assetsRegistered, paused, configGeneration);
    }

    /// @dev Moves the configuration generation on: solvency attestations made before stop counting for the gate.
    function _bumpGeneration() private {
        ++configGeneration;
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
