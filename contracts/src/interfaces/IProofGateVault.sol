// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IPublicInputsErrors} from "../libraries/PublicInputs.sol";
import {IVenue} from "../venues/IVenue.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title IVaultErrors
/// @notice Custom errors of {ProofGateVault} (and, inherited, those of the public-input packing).
interface IVaultErrors is IPublicInputsErrors {
    /// @notice The verifier's public-input count is not the layout's for the vault's asset count.
    /// @param verifierInputs What the verifier expects.
    /// @param layoutInputs What the layout for `assetCount` assets has.
    error VerifierInputCountMismatch(uint256 verifierInputs, uint256 layoutInputs);

    /// @notice A required address is zero.
    error ZeroAddress();

    /// @notice The vault is paused (same error as OpenZeppelin's `Pausable`).
    error EnforcedPause();

    /// @notice The vault is not paused (same error as OpenZeppelin's `Pausable`).
    error ExpectedPause();

    /// @notice The caller may not pause: it is neither the guardian nor governance.
    /// @param caller The refused caller.
    error UnauthorizedPauser(address caller);

    /// @notice The caller is not governance (the timelock).
    /// @param caller The refused caller.
    error UnauthorizedGovernance(address caller);

    /// @notice Ownership cannot be renounced: nobody could withdraw the vault's funds again.
    error OwnershipCannotBeRenounced();

    /// @notice The L2 sequencer is down (its uptime feed answers 1).
    error SequencerDown();

    /// @notice A vault operation (a trade, deposit, withdrawal or holding sync) is in progress: its holdings may be
    ///         half-updated, so nothing may read them as settled (a token hook re-entering mid-trade).
    error OperationInProgress();

    /// @notice The L2 sequencer came back up at most `gracePeriod` seconds ago (or its feed gives no start time).
    /// @param startedAt When the sequencer's current status began (the uptime feed's `startedAt`).
    /// @param gracePeriod The vault's grace period, seconds.
    error SequencerGracePeriod(uint256 startedAt, uint256 gracePeriod);

    /// @notice Every asset slot is already registered.
    /// @param assetCount The vault's asset count.
    error AllAssetsRegistered(uint256 assetCount);

    /// @notice The token is already one of the vault's assets.
    /// @param token The token.
    error AssetAlreadyRegistered(address token);

    /// @notice A token's or feed's decimals are above 36.
    /// @param decimals The refused decimals.
    error UnsupportedDecimals(uint8 decimals);

    /// @notice A feed's heartbeat is zero.
    error InvalidHeartbeat();

    /// @notice Trading needs all `expected` assets registered; `registered` are.
    /// @param registered Assets registered so far.
    /// @param expected The vault's asset count.
    error AssetsNotConfigured(uint256 registered, uint256 expected);

    /// @notice No venue is set.
    error VenueNotSet();

    /// @notice The asset index is not a registered asset.
    /// @param index The refused index.
    error UnknownAsset(uint256 index);

    /// @notice The trade sells and buys the same asset.
    /// @param index The asset.
    error SameAsset(uint256 index);

    /// @notice The trade's `amountIn` or `amountOut` is zero.
    error ZeroAmount();

    /// @notice An amount is above 2^128 - 1 token units.
    /// @param amount The refused amount.
    error AmountTooLarge(uint256 amount);

    /// @notice The vault's accounted holding is less than the amount to sell or withdraw.
    /// @param asset The asset.
    /// @param holding The accounted holding.
    /// @param amount The amount requested.
    error InsufficientHolding(uint256 asset, uint256 holding, uint256 amount);

    /// @notice The trade's deadline has passed.
    /// @param deadline The deadline.
    /// @param timestamp The current block timestamp.
    error DeadlinePassed(uint256 deadline, uint256 timestamp);

    /// @notice The caller is not registered in the registry for THIS vault (a registration for another vault gives
    ///         no standing here).
    /// @param agent The caller.
    error AgentNotRegistered(address agent);

    /// @notice The agent is registered but paused.
    /// @param agent The agent.
    error AgentNotActive(address agent);

    /// @notice The agent's model is no longer certified.
    /// @param commitment The model commitment.
    error ModelNotCertified(uint256 commitment);

    /// @notice The agent's risk parameters are no longer certified.
    /// @param commitment The parameters' commitment.
    error ParamsNotCertified(uint256 commitment);

    /// @notice The vault's required solvency attestation is missing, stale, revoked or made under another
    ///         configuration of the vault (see {IProofGateVault-configGeneration}), and the trade buys an asset
    ///         outside the reserve assets (a risk-increasing trade).
    /// @param agent The agent.
    /// @param solventUntil Until when the last attestation was fresh (0: none, or none made under the vault's current
    ///        configuration).
    error AgentNotSolvent(address agent, uint256 solventUntil);

    /// @notice A feed's answer is not positive, or implausibly large (above 2^128 - 1).
    /// @param asset The asset.
    /// @param answer The answer.
    error InvalidPrice(uint256 asset, int256 answer);

    /// @notice A feed's `updatedAt` is zero, in the future, or older than the heartbeat allows.
    /// @param asset The asset.
    /// @param updatedAt The answer's `updatedAt`.
    error StalePrice(uint256 asset, uint256 updatedAt);

    /// @notice The proof does not verify for the statement the vault computed. Every proof failure (a bad
    ///         proof, or a good proof of another trade, vault, agent, chain, nonce, model or state) is this one.
    error InvalidProof();

    /// @notice The venue took a different amount of the sold token than `amountIn`.
    /// @param spent The vault's balance decrease.
    /// @param amountIn The proven amount.
    error VenueSpentMismatch(uint256 spent, uint256 amountIn);

    /// @notice The venue delivered less of the bought token than the proven `amountOut`.
    /// @param received The vault's balance increase.
    /// @param amountOut The proven amount.
    error VenueShortfall(uint256 received, uint256 amountOut);

    /// @notice The trade's shortfall (its sold value less the value of what the vault received, at the statement's
    ///         oracle prices) does not fit in what is left of the agent's loss budget.
    /// @param agent The agent.
    /// @param shortfall The trade's shortfall, USD at 1e8.
    /// @param available What the agent's bucket had left after its refill, USD at 1e8.
    error LossBudgetExceeded(address agent, uint256 shortfall, uint256 available);
}

/// @title IVaultEvents
/// @notice Events of {ProofGateVault}: the audit trail of trades and of every configuration change.
interface IVaultEvents {
    /// @notice A gated trade was executed.
    /// @param agent The agent.
    /// @param nonce The nonce the proof was bound to (consumed).
    /// @param statementHash `keccak256(abi.encode(publicInputs))`, the public inputs as a `uint256[]`.
    /// @param modelCommitment The certified model the proof was made with.
    /// @param sellAsset Index of the asset sold.
    /// @param buyAsset Index of the asset bought.
    /// @param amountIn Token units sold.
    /// @param amountOut The proven minimum of token units bought.
    /// @param valueIn USD value sold at 1e8: value(holding) - value(holding - amountIn), both rounded down.
    /// @param valueOut USD value of `amountOut` at 1e8, rounded down.
    /// @param amountReceived Token units the vault received and credited (at least `amountOut`).
    /// @param shortfall `max(0, valueIn - value(amountReceived))`, USD at 1e8 at the statement's prices: what the
    ///        trade charged to the agent's loss budget.
    event TradeExecuted(
        address indexed agent,
        uint256 indexed nonce,
        bytes32 indexed statementHash,
        uint256 modelCommitment,
        uint8 sellAsset,
        uint8 buyAsset,
        uint256 amountIn,
        uint256 amountOut,
        uint256 valueIn,
        uint256 valueOut,
        uint256 amountReceived,
        uint256 shortfall
    );

    /// @notice An asset was registered.
    /// @param index Its index in the statement.
    /// @param token The ERC-20 token.
    /// @param feed The Chainlink-shaped USD feed.
    /// @param heartbeat Largest accepted age of the feed's answer, in seconds.
    /// @param tokenDecimals The token's decimals.
    /// @param feedDecimals The feed's decimals.
    event AssetAdded(
        uint256 indexed index,
        address indexed token,
        address indexed feed,
        uint32 heartbeat,
        uint8 tokenDecimals,
        uint8 feedDecimals
    );

    /// @notice An asset's feed or heartbeat changed.
    /// @param index The asset.
    /// @param feed The new feed.
    /// @param heartbeat The new heartbeat, in seconds.
    /// @param feedDecimals The new feed's decimals.
    event FeedUpdated(uint256 indexed index, address indexed feed, uint32 heartbeat, uint8 feedDecimals);

    /// @notice Trading was paused (same event as OpenZeppelin's `Pausable`).
    /// @param account Who paused.
    event Paused(address account);

    /// @notice Trading was resumed (same event as OpenZeppelin's `Pausable`).
    /// @param account Who unpaused.
    event Unpaused(address account);

    /// @notice The venue changed.
    /// @param previous The previous venue.
    /// @param venue The new venue.
    event VenueUpdated(address indexed previous, address indexed venue);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);

    /// @notice The L2 sequencer-uptime feed or its grace period changed.
    /// @param feed The new feed (zero: none, as on L1).
    /// @param gracePeriod The new grace period, seconds.
    event SequencerFeedUpdated(address indexed feed, uint32 gracePeriod);

    /// @notice The owner deposited tokens.
    /// @param asset The asset.
    /// @param from The payer.
    /// @param amount Token units received.
    event Deposited(uint256 indexed asset, address indexed from, uint256 amount);

    /// @notice The owner withdrew tokens.
    /// @param asset The asset.
    /// @param to The recipient.
    /// @param amount Token units sent.
    event Withdrawn(uint256 indexed asset, address indexed to, uint256 amount);

    /// @notice Governance set an asset's debt.
    /// @param asset The asset.
    /// @param previous The previous debt, in token units.
    /// @param debt The new debt, in token units.
    event DebtSet(uint256 indexed asset, uint256 previous, uint256 debt);

    /// @notice Governance set an asset's accounted holding to the vault's token balance.
    /// @param asset The asset.
    /// @param previous The previous accounted holding.
    /// @param holding The new accounted holding.
    event HoldingSynced(uint256 indexed asset, uint256 previous, uint256 holding);
}

/// @title IProofGateVault
/// @notice A vault whose agent trades only with a zero-knowledge proof that the exact trade passes the certified
///         risk model and limits on the vault's state at that moment.
interface IProofGateVault is IVaultErrors, IVaultEvents {
    /// @notice A trade: sell exactly `amountIn` of asset `sellAsset` for at least `amountOut` of `buyAsset` (the
    ///         venue delivers what the pool gives; the vault credits what it received).
    /// @param sellAsset Index of the asset sold.
    /// @param buyAsset Index of the asset bought.
    /// @param amountIn Token units sold.
    /// @param amountOut Token units bought.
    struct Trade {
        uint8 sellAsset;
        uint8 buyAsset;
        uint256 amountIn;
        uint256 amountOut;
    }

    /// @notice An asset's configuration and the vault's position in it.
    /// @param token The ERC-20 token.
    /// @param feed The USD feed.
    /// @param heartbeat Largest accepted age of the feed's answer, in seconds.
    /// @param tokenDecimals The token's decimals.
    /// @param feedDecimals The feed's decimals.
    /// @param holding Accounted holding, in token units.
    /// @param debt Debt, in token units.
    struct AssetView {
        IERC20 token;
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint8 tokenDecimals;
        uint8 feedDecimals;
        uint256 holding;
        uint256 debt;
    }

    /// @notice Executes `trade` for the calling agent when `proof` proves it against the vault's state now.
    /// @param trade The trade.
    /// @param deadline Unix time after which the trade is refused (part of the proven statement).
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function executeTrade(Trade calldata trade, uint256 deadline, uint256[8] calldata proof) external;

    /// @notice The public inputs `agent` must prove for `trade` at its current nonce, with the state and prices
    ///         of now.
    /// @param agent The agent.
    /// @param trade The trade.
    /// @param deadline The deadline the agent will submit.
    /// @return inputs The public inputs, in wire order.
    function publicInputs(address agent, Trade calldata trade, uint256 deadline)
        external
        view
        returns (uint256[] memory inputs);

    /// @notice Whether `proof` would pass if `agent` submitted `trade` now.
    /// @param agent The agent.
    /// @param trade The trade.
    /// @param deadline The deadline.
    /// @param proof The proof.
    /// @return True when the verifier accepts the proof for the statement of now.
    function checkTrade(address agent, Trade calldata trade, uint256 deadline, uint256[8] calldata proof)
        external
        view
        returns (bool);

    /// @notice Registers the next asset (governance only); its index is the number of assets registered before.
    /// @param token The ERC-20 token; its decimals are read now.
    /// @param feed Its USD feed; its decimals are read now.
    /// @param heartbeat Largest accepted age of the feed's answer, in seconds.
    /// @return index The asset's index.
    function addAsset(IERC20 token, AggregatorV3Interface feed, uint32 heartbeat) external returns (uint256 index);

    /// @notice Replaces an asset's feed and heartbeat (governance only).
    /// @param index The asset.
    /// @param feed The new USD feed; its decimals are read now.
    /// @param heartbeat Largest accepted age of the feed's answer, in seconds.
    function setFeed(uint256 index, AggregatorV3Interface feed, uint32 heartbeat) external;

    /// @notice Sets the venue (governance only).
    /// @param newVenue The venue.
    function setVenue(IVenue newVenue) external;

    /// @notice Sets the L2 sequencer-uptime feed and its grace period (governance only). While a feed is set,
    ///         trades, {checkTrade} and {publicInputs} revert with {SequencerDown} while its answer is not 0, and
    ///         with {SequencerGracePeriod} while `block.timestamp - startedAt <= gracePeriod`.
    /// @param feed The Chainlink sequencer-uptime feed (zero: none, as on L1).
    /// @param gracePeriod Seconds after the sequencer comes back up during which trades are still refused.
    function setSequencerFeed(AggregatorV3Interface feed, uint32 gracePeriod) external;

    /// @notice The L2 sequencer-uptime feed and its grace period.
    /// @return feed The feed (zero: none).
    /// @return gracePeriod The grace period, seconds.
    function sequencerFeed() external view returns (address feed, uint32 gracePeriod);

    /// @notice Reverts unless the vault's state reads as settled now: no vault operation is in progress
    ///         ({OperationInProgress}: a token hook re-entering mid-trade would see holdings half-updated) and the L2
    ///         sequencer, when the vault names one, is up past its grace period ({SequencerDown},
    ///         {SequencerGracePeriod}), as for a trade. The solvency attestor calls it before it reads the vault.
    function checkSettled() external view;

    /// @notice Sets the guardian, who may pause the vault (governance only).
    /// @param newGuardian The guardian.
    function setGuardian(address newGuardian) external;

    /// @notice Pauses trading (guardian or governance).
    function pause() external;

    /// @notice Resumes trading (governance only).
    function unpause() external;

    /// @notice Whether trading is paused.
    /// @return True while paused.
    function paused() external view returns (bool);

    /// @notice Pulls `amount` of an asset from the owner (owner only; needs an allowance).
    /// @param index The asset.
    /// @param amount Token units.
    function deposit(uint256 index, uint256 amount) external;

    /// @notice Sends `amount` of an asset to `to` (owner only; allowed while paused).
    /// @param index The asset.
    /// @param amount Token units.
    /// @param to The recipient.
    function withdraw(uint256 index, uint256 amount, address to) external;

    /// @notice Sets an asset's debt, in token units (governance only).
    /// @param index The asset.
    /// @param debt Token units owed.
    function setDebt(uint256 index, uint256 debt) external;

    /// @notice Sets an asset's accounted holding to the vault's token balance (governance only): adopts tokens
    ///         sent to the vault directly, or follows a balance that fell.
    /// @param index The asset.
    function syncHolding(uint256 index) external;

    /// @notice An asset's configuration and position.
    /// @param index The asset.
    /// @return The asset.
    function asset(uint256 index) external view returns (AssetView memory);

    /// @notice The vault's configuration generation: a counter that every change of what a solvency attestation
    ///         counted moves (addAsset, setFeed, setVenue, setSequencerFeed, setDebt, syncHolding, and the owner's
    ///         withdraw). A solvency attestation counts for the vault's gate only while the generation it was made
    ///         under is the vault's current one.
    /// @return The generation (0 at deployment).
    function configGeneration() external view returns (uint64);

    /// @notice The venue trades are executed on (zero until set).
    /// @return The venue.
    function venue() external view returns (IVenue);

    /// @notice The agent's next nonce.
    /// @param agent The agent.
    /// @return The nonce its next proof must be bound to.
    function nonces(address agent) external view returns (uint256);

    /// @notice The agent's loss bucket as its last trade left it (not refilled since). At each trade the bucket
    ///         first refills, `spent := spent - min(spent, capacity · elapsed / window)`, with `capacity =
    ///         max(0, NAV) · lossBudgetBps / 10^4` (NAV: the statement's holdings' values less its debts' values) and
    ///         the agent's terms in the registry; a trade with a shortfall then needs `spent + shortfall <= capacity`
    ///         ({LossBudgetExceeded}) and adds it. Over any interval of length T the agent's trades lose at most about
    ///         `capacity · (1 + T / window)` at the vault's oracle prices.
    /// @param agent The agent.
    /// @return spent USD at 1e8 charged and not yet refilled, as of `updatedAt`.
    /// @return updatedAt When the agent last traded (0 before its first trade).
    function lossBucket(address agent) external view returns (uint256 spent, uint64 updatedAt);
}
