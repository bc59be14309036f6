// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ProofGateVault} from "../ProofGateVault.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IProofGateRegistry} from "../interfaces/IProofGateRegistry.sol";
import {IProofGateVault} from "../interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../interfaces/IRiskVerifier.sol";
import {ISolvencyAttestor} from "../interfaces/ISolvencyAttestor.sol";

/// @title SolvencyAttestor
/// @notice Records vaults' solvency attestations, made by their agents. The Groth16 proof covers the liabilities
///         only (a Merkle-sum tree of depositors' balances with the given root hash and per-asset totals); the assets
///         are read here, from the chain, and the coverage is checked here: per asset with the vault's haircuts, and
///         in total value with the vault's margin. {isSolvent} is true while a vault's last attestation is fresh and
///         the vault's configuration is the one it was made under.
/// @dev Public inputs, in the order and packing of the prover's statement (`prover/src/solvency/attestation.rs`,
///      `SolvencyStatement::public_inputs`), for `n` assets (`2 + ceil(n / 2)` inputs, each below r):
///      1. `binding = keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline)) & (2^253 - 1)`, where
///         `attestor` is this contract (the verifying one) and `deadline` the attestation's own;
///      2. the liabilities tree's root hash (below r; depositors check inclusion against it);
///      3. the totals, two per element: `T_2i | T_2i+1 << 96` (each below 2^96; the last element's high half is 0
///         for odd `n`).
///
///      Coverage, per asset `a`, everything read at attestation: `holding`, `debt`, the token's decimals and the
///      price feed from `vault.asset(a)`; the price read as the vault reads it (`0 < answer <= 2^128 - 1`,
///      `updatedAt` nonzero, not in the future and at most the vault's heartbeat old, brought to 8 decimals rounded
///      down, below 2^64); `reserve` = the vault's registered proof-of-reserve feed's answer in token units
///      (`answer · 10^tokenDecimals / 10^feedDecimals`, rounded down; answer not negative, `updatedAt` nonzero, not
///      in the future and at most the registered heartbeat old), 0 without a feed. Holding, debt and reserve are
///      each below 2^96. Then
///      `assets_a = max(holding - debt, 0) + reserve`, `liabilities_a = T_a + max(debt - holding, 0)`;
///      check 1: `haircut_a · assets_a >= 10,000 · liabilities_a` for every asset;
///      check 2: `sum h_a·A_a·p_a·s_a >= (10,000 + margin) · sum L_a·p_a·s_a` with `s_a = 10^(18 - tokenDecimals)`.
///      No sum overflows: 16 terms of at most 2^14 · 2^97 · 2^64 · 2^60, and the margin below 2^17.
///      Before reading, the vault's `checkSettled` must pass: no vault operation in progress (a token hook that
///      re-enters mid-trade sees holdings half-updated) and its L2 sequencer, if any, up past the grace period.
///
///      Every external call (vault, feeds, verifier, the registry's reads) is a view, so a STATICCALL: nothing can
///      re-enter. The one call that is not, `REGISTRY.recordSolvency`, goes to the immutable registry.
///
///      Attestations and parameters are per vault. The registry says which agents may attest for a vault (those
///      registered and active for it with certified model and parameters); epochs are the vault's; the registry's
///      solvency gate of the vault follows its last attestation, whichever of its agents made it, together with the
///      vault's configuration generation at attestation (the vault compares it with its own on every trade). Every
///      change of a vault's haircuts, margin, maximum age or reserve feeds ends its fresh attestation at once, and
///      {syncSolvency} only ever shortens one. The owner is meant to be a `TimelockController`; the guardian may only
///      pause attestations and revoke one.
contract SolvencyAttestor is ISolvencyAttestor, Ownable2Step, Pausable {
    /// @dev A vault's proof-of-reserve feed of one asset (one storage slot).
    /// @param feed The feed (zero: none).
    /// @param heartbeat Largest accepted age of its answer, seconds.
    /// @param decimals The feed's decimals, read at registration.
    struct ReserveFeed {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint8 decimals;
    }

    /// @dev A vault's parameters: margin, maximum age and the mask of assets with a reserve feed in one slot (read
    ///      together by an attestation), the sixteen haircuts in the next, then one slot per reserve feed (read only
    ///      for the assets in the mask).
    struct VaultParams {
        uint16 margin;
        uint64 maxAge;
        uint16 reserveMask;
        uint16[16] haircuts;
        ReserveFeed[16] reserves;
    }

    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Most assets the solvency circuit supports.
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Basis points in one: the largest haircut.
    uint16 public constant BPS = 10_000;
    /// @notice Decimals of a price (Chainlink's USD convention).
    uint256 public constant PRICE_DECIMALS = 8;
    /// @notice Decimals every token is scaled to in check 2.
    uint8 public constant SCALED_DECIMALS = 18;
    /// @notice Largest accepted price-feed answer (as the vault's `MAX_ANSWER`).
    uint256 public constant MAX_ANSWER = type(uint128).max;
    /// @notice Largest accepted decimals of a reserve feed (as the vault's `MAX_DECIMALS` for price feeds).
    uint8 public constant MAX_FEED_DECIMALS = 36;

    // Widths: AMOUNT_BITS is a copy of prover/src/solvency/attestation.rs (the totals' width), the source of truth.
    // Change it there first.

    /// @notice Bits of a total, a holding, a debt and a reserve (token units).
    uint256 public constant AMOUNT_BITS = 96;
    /// @notice Bits of a price (USD at 1e8): keeps check 2's sums far from overflowing.
    uint256 public constant PRICE_BITS = 64;
    /// @notice The binding hash keeps its low 253 bits (always below r).
    uint256 public constant BINDING_MASK = (1 << 253) - 1;
    /// @notice Public inputs before the totals: binding and root.
    uint256 public constant LEADING_INPUTS = 2;
    /// @notice The largest maximum attestation age governance may set: a year (keeps `validUntil` far inside uint64).
    uint64 public constant MAX_ATTESTATION_AGE_LIMIT = 365 days;

    /// @inheritdoc ISolvencyAttestor
    IRiskVerifier public immutable VERIFIER;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable ASSET_COUNT;
    /// @inheritdoc ISolvencyAttestor
    IProofGateRegistry public immutable REGISTRY;

    /// @inheritdoc ISolvencyAttestor
    address public guardian;

    mapping(address vault => VaultParams) private _params;
    mapping(address vault => Attestation) private _attestations;

    /// @dev Only the guardian or the owner.
    modifier onlyPauser() {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedPauser(msg.sender);
        _;
    }

    /// @notice Deploys the attestor. Vaults are configured afterwards, each with its own maximum age, margin,
    ///         haircuts and reserve feeds.
    /// @param initialOwner The owner: a `TimelockController` in production.
    /// @param initialGuardian The guardian, who may pause attestations (may be zero: then only the owner can).
    /// @param verifier The generated solvency verifier, for `assetCount` assets.
    /// @param assetCount Number of assets (1 to 16): the vaults' asset count and the circuit's.
    /// @param registry The registry that authorises attesting agents per vault and whose solvency gate the vaults
    ///        read (it must name this contract its attestor).
    constructor(
        address initialOwner,
        address initialGuardian,
        IRiskVerifier verifier,
        uint256 assetCount,
        IProofGateRegistry registry
    ) Ownable(initialOwner) {
        if (address(verifier) == address(0) || address(registry) == address(0)) {
            revert ZeroAddress();
        }
        if (assetCount == 0 || assetCount > MAX_ASSETS) revert UnsupportedAssetCount(assetCount);
        uint256 layoutInputs = inputCount(assetCount);
        uint256 verifierInputs = verifier.PUBLIC_INPUT_COUNT();
        if (verifierInputs != layoutInputs) revert VerifierInputCountMismatch(verifierInputs, layoutInputs);
        (VERIFIER, ASSET_COUNT, REGISTRY) = (verifier, assetCount, registry);
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
    }

    /// @notice Always reverts: an owner-less attestor could never change its parameters again.
    function renounceOwnership() public pure override {
        revert OwnershipCannotBeRenounced();
    }

    /// @notice Number of public inputs of the solvency circuit for `assetCount` assets: `2 + ceil(n / 2)`.
    /// @param assetCount The number of assets.
    /// @return The count (6 for 8 assets).
    function inputCount(uint256 assetCount) public pure returns (uint256) {
        return LEADING_INPUTS + (assetCount + 1) / 2;
    }

    // ---------------------------------------------------------------- attestations

    /// @inheritdoc ISolvencyAttestor
    /// @dev Order: pause; the statement's checks (agent, the vault's asset count, epoch, totals, root); the coverage
    ///      checks (see {checkCoverage}); the proof; then the record, the registry's gate and the event.
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256[8] calldata proof
    ) external whenNotPaused {
        // Deadlines are minutes to hours away: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
        uint256[] memory inputs = _statement(msg.sender, vault, epoch, deadline, liabilitiesRoot, totals);
        // _statement checked the vault's asset count and the totals.
        _checkReadable(vault);
        (uint256 haircutValue, uint256 requiredValue) = _checkCoverage(vault, totals);
        if (!VERIFIER.isValidProof(proof, inputs)) revert InvalidProof();
        uint64 generation = _record(vault, epoch, liabilitiesRoot, totals);
        emit SolvencyAttested(
            msg.sender,
            vault,
            epoch,
            liabilitiesRoot,
            totals,
            generation,
            haircutValue,
            requiredValue,
            keccak256(abi.encode(inputs))
        );
    }

    /// @inheritdoc ISolvencyAttestor
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 liabilitiesRoot,
        uint256[] calldata totals
    ) external view returns (uint256[] memory inputs) {
        return _statement(agent, vault, epoch, deadline, liabilitiesRoot, totals);
    }

    /// @inheritdoc ISolvencyAttestor
    function coverage(address vault, uint256[] calldata totals)
        external
        view
        returns (AssetCoverage[] memory assets, uint256 haircutValue, uint256 requiredValue)
    {
        _checkShape(vault, totals);
        return _coverage(vault, totals);
    }

    /// @inheritdoc ISolvencyAttestor
    function checkCoverage(address vault, uint256[] calldata totals) external view {
        _checkReadable(vault);
        _checkShape(vault, totals);
        _checkCoverage(vault, totals);
    }

    /// @inheritdoc ISolvencyAttestor
    function binding(address agent, address vault, uint64 epoch, uint64 deadline) public view returns (uint256) {
        return
            uint256(keccak256(abi.encode(agent, address(this), vault, block.chainid, epoch, deadline))) & BINDING_MASK;
    }

    /// @inheritdoc ISolvencyAttestor
    function isSolvent(address vault) external view returns (bool) {
        Attestation storage record = _attestations[vault];
        // Ages are hours to days: a validator's few seconds of drift do not matter. (No attestation: validUntil 0.)
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > record.validUntil) return false;
        return record.generation == IProofGateVault(vault).configGeneration();
    }

    /// @inheritdoc ISolvencyAttestor
    function syncSolvency(address vault) external {
        Attestation storage record = _attestations[vault];
        uint64 validUntil = record.validUntil;
        if (validUntil == 0) revert NoAttestation(vault);
        // maxAge is nonzero here: a vault without one has never been attested, and it cannot be unset.
        uint64 limit = record.attestedAt + _params[vault].maxAge;
        if (limit < validUntil) validUntil = limit;
        if (record.generation != IProofGateVault(vault).configGeneration()) validUntil = 0;
        _setValidUntil(vault, record, validUntil);
    }

    /// @inheritdoc ISolvencyAttestor
    function revokeAttestation(address vault) external onlyPauser {
        Attestation storage record = _attestations[vault];
        if (record.validUntil == 0) revert NoAttestation(vault);
        _setValidUntil(vault, record, 0);
        emit AttestationRevoked(vault, msg.sender);
    }

    /// @inheritdoc ISolvencyAttestor
    function attestation(address vault) external view returns (Attestation memory) {
        return _attestations[vault];
    }

    // ---------------------------------------------------------------- governance (per vault)

    /// @inheritdoc ISolvencyAttestor
    function setHaircut(address vault, uint256 asset, uint16 haircutBps) external onlyOwner {
        _checkParamsTarget(vault, asset);
        if (haircutBps > BPS) revert InvalidHaircut(asset, haircutBps);
        VaultParams storage params = _params[vault];
        uint16 previous = params.haircuts[asset];
        params.haircuts[asset] = haircutBps;
        emit HaircutUpdated(vault, asset, previous, haircutBps);
        if (previous != haircutBps) _endAttestation(vault);
    }

    /// @inheritdoc ISolvencyAttestor
    function setMargin(address vault, uint16 marginBps) external onlyOwner {
        if (vault == address(0)) revert ZeroAddress();
        VaultParams storage params = _params[vault];
        uint16 previous = params.margin;
        params.margin = marginBps;
        emit MarginUpdated(vault, previous, marginBps);
        if (previous != marginBps) _endAttestation(vault);
    }

    /// @inheritdoc ISolvencyAttestor
    function setMaxAttestationAge(address vault, uint64 maxAge) external onlyOwner {
        if (vault == address(0)) revert ZeroAddress();
        if (maxAge == 0 || maxAge > MAX_ATTESTATION_AGE_LIMIT) revert InvalidMaxAge();
        VaultParams storage params = _params[vault];
        uint64 previous = params.maxAge;
        params.maxAge = maxAge;
        emit MaxAttestationAgeUpdated(vault, previous, maxAge);
        if (previous != maxAge) _endAttestation(vault);
    }

    /// @inheritdoc ISolvencyAttestor
    function setReserveFeed(address vault, uint256 asset, AggregatorV3Interface feed, uint32 heartbeat)
        external
        onlyOwner
    {
        _checkParamsTarget(vault, asset);
        ReserveFeed memory next;
        if (address(feed) != address(0)) {
            if (heartbeat == 0) revert InvalidHeartbeat(asset);
            uint8 feedDecimals = feed.decimals();
            if (feedDecimals > MAX_FEED_DECIMALS) revert UnsupportedFeedDecimals(asset, feedDecimals);
            next = ReserveFeed(feed, heartbeat, feedDecimals);
        }
        VaultParams storage params = _params[vault];
        ReserveFeed memory current = params.reserves[asset];
        params.reserves[asset] = next;
        // casting to 'uint16' is safe because asset < ASSET_COUNT <= 16
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 bit = uint16(2 ** asset);
        params.reserveMask = address(feed) == address(0) ? params.reserveMask & ~bit : params.reserveMask | bit;
        emit ReserveFeedUpdated(vault, asset, address(feed), next.heartbeat);
        if (current.feed != next.feed || current.heartbeat != next.heartbeat || current.decimals != next.decimals) {
            _endAttestation(vault);
        }
    }

    /// @inheritdoc ISolvencyAttestor
    function haircut(address vault, uint256 asset) external view returns (uint16) {
        _checkAsset(asset);
        return _params[vault].haircuts[asset];
    }

    /// @inheritdoc ISolvencyAttestor
    function margin(address vault) external view returns (uint16) {
        return _params[vault].margin;
    }

    /// @inheritdoc ISolvencyAttestor
    function maxAttestationAge(address vault) external view returns (uint64) {
        return _params[vault].maxAge;
    }

    /// @inheritdoc ISolvencyAttestor
    function reserveFeed(address vault, uint256 asset)
        external
        view
        returns (address feed, uint32 heartbeat, uint8 decimals)
    {
        _checkAsset(asset);
        ReserveFeed storage reserve = _params[vault].reserves[asset];
        return (address(reserve.feed), reserve.heartbeat, reserve.decimals);
    }

    /// @inheritdoc ISolvencyAttestor
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianUpdated(guardian, newGuardian);
        guardian = newGuardian;
    }

    /// @inheritdoc ISolvencyAttestor
    function pause() external onlyPauser {
        _pause();
    }

    /// @inheritdoc ISolvencyAttestor
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- internals: records

    /// @dev Records `vault`'s attestation of `epoch` now, under the vault's configuration generation now (returned),
    ///      fresh for the vault's maximum age, and mirrors it to the registry's gate.
    function _record(address vault, uint64 epoch, uint256 liabilitiesRoot, uint256[] calldata totals)
        private
        returns (uint64 generation)
    {
        generation = IProofGateVault(vault).configGeneration();
        Attestation storage record = _attestations[vault];
        (record.epoch, record.attestedAt, record.generation) = (epoch, uint64(block.timestamp), generation);
        (record.liabilitiesRoot, record.totalsHash) = (liabilitiesRoot, keccak256(abi.encodePacked(totals)));
        _setValidUntil(vault, record, uint64(block.timestamp) + _params[vault].maxAge);
    }

    /// @dev Stores until when `vault`'s attestation is fresh and mirrors it, with the attestation's generation, to the
    ///      registry's solvency gate.
    function _setValidUntil(address vault, Attestation storage record, uint64 validUntil) private {
        record.validUntil = validUntil;
        emit SolvencyValidUntil(vault, validUntil);
        REGISTRY.recordSolvency(vault, validUntil, record.generation);
    }

    /// @dev Ends `vault`'s attestation after a change of its parameters (nothing to do when it has none, or one
    ///      already ended or revoked).
    function _endAttestation(address vault) private {
        Attestation storage record = _attestations[vault];
        if (record.validUntil != 0) _setValidUntil(vault, record, 0);
    }

    // ---------------------------------------------------------------- internals: statement

    /// @dev The checks of an attestation of `vault` by `agent` before the coverage checks (the agent registered and
    ///      active for the vault with certified model and parameters, the vault's asset count, the epoch, the totals,
    ///      the root), and its public inputs (see the contract's notes).
    function _statement(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 liabilitiesRoot,
        uint256[] calldata totals
    ) private view returns (uint256[] memory inputs) {
        // An agent governance has stopped from trading (paused, or its model or limits decertified) cannot keep the
        // vault's gate open.
        (,, bool active, bool modelCertified, bool paramsCertified,,,,,) = REGISTRY.tradingStatus(vault, agent);
        if (!(active && modelCertified && paramsCertified)) revert AgentNotAuthorized(vault, agent);
        uint256 n = _checkVault(vault);
        uint64 lastEpoch = _attestations[vault].epoch;
        if (epoch <= lastEpoch) revert EpochNotIncreasing(epoch, lastEpoch);
        _checkTotals(totals, n);
        if (liabilitiesRoot >= SCALAR_FIELD_ORDER) revert RootNotInField(liabilitiesRoot);

        inputs = new uint256[](inputCount(n));
        (inputs[0], inputs[1]) = (binding(agent, vault, epoch, deadline), liabilitiesRoot);
        for (uint256 a = 0; a < n; ++a) {
            inputs[LEADING_INPUTS + a / 2] |= totals[a] << (AMOUNT_BITS * (a % 2));
        }
    }

    /// @dev Reverts unless the vault's asset count is the attestor's; returns it.
    function _checkVault(address vault) private view returns (uint256 n) {
        n = ASSET_COUNT;
        uint256 vaultAssets = ProofGateVault(vault).ASSET_COUNT();
        if (vaultAssets != n) revert VaultAssetCountMismatch(vault, vaultAssets, n);
    }

    /// @dev Reverts unless there are `n` totals, each below 2^96.
    function _checkTotals(uint256[] calldata totals, uint256 n) private pure {
        if (totals.length != n) revert TotalsLengthMismatch(totals.length, n);
        for (uint256 a = 0; a < n; ++a) {
            uint256 total = totals[a];
            if (total >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Total, a, total, AMOUNT_BITS);
        }
    }

    // ---------------------------------------------------------------- internals: coverage

    /// @dev Reverts unless `vault` is configured here and its state reads as settled now.
    function _checkReadable(address vault) private view {
        if (_params[vault].maxAge == 0) revert VaultNotConfigured(vault);
        // Mid-operation (a token hook re-entering a trade) holdings are half-updated, and while an L2 sequencer is
        // down its feeds' answers are not to be trusted: the vault refuses both with its own errors.
        IProofGateVault(vault).checkSettled();
    }

    /// @dev Reverts unless the vault's asset count and the number of totals are the attestor's, each total below
    ///      2^96.
    function _checkShape(address vault, uint256[] calldata totals) private view {
        _checkTotals(totals, _checkVault(vault));
    }

    /// @dev Both coverage checks of `vault` with liabilities `totals` (see the contract's notes; the caller has
    ///      checked the shape); reverts with the first that fails. Returns check 2's two sides.
    function _checkCoverage(address vault, uint256[] calldata totals)
        private
        view
        returns (uint256 haircutValue, uint256 requiredValue)
    {
        AssetCoverage[] memory assets;
        (assets, haircutValue, requiredValue) = _coverage(vault, totals);
        for (uint256 a = 0; a < assets.length; ++a) {
            AssetCoverage memory c = assets[a];
            if (uint256(c.haircutBps) * c.assets < uint256(BPS) * c.liabilities) {
                revert AssetNotCovered(a, c.assets, c.liabilities, c.haircutBps);
            }
        }
        if (haircutValue < requiredValue) revert ValueNotCovered(haircutValue, requiredValue);
    }

    /// @dev Reads every asset of `vault` (see the contract's notes; the caller has checked the shape, so there are
    ///      {ASSET_COUNT} of them and as many totals) and sums check 2's two sides.
    function _coverage(address vault, uint256[] calldata totals)
        private
        view
        returns (AssetCoverage[] memory assets, uint256 haircutValue, uint256 requiredValue)
    {
        uint256 n = ASSET_COUNT;
        VaultParams storage params = _params[vault];
        uint256 liabilitiesValue;
        assets = new AssetCoverage[](n);
        for (uint256 a = 0; a < n; ++a) {
            (AssetCoverage memory c, uint256 scale) = _assetCoverage(IProofGateVault(vault), params, a, totals[a]);
            assets[a] = c;
            haircutValue += uint256(c.haircutBps) * c.assets * c.price * scale;
            liabilitiesValue += c.liabilities * c.price * scale;
        }
        requiredValue = (uint256(BPS) + params.margin) * liabilitiesValue;
    }

    /// @dev Asset `a`'s part in the checks with the vault's parameters `params` and liabilities total `total`, and
    ///      its scale `10^(18 - tokenDecimals)`. The reserve feed's slot is read only when the vault has one for `a`.
    function _assetCoverage(IProofGateVault vault, VaultParams storage params, uint256 a, uint256 total)
        private
        view
        returns (AssetCoverage memory c, uint256 scale)
    {
        IProofGateVault.AssetView memory entry = vault.asset(a);
        if (entry.tokenDecimals > SCALED_DECIMALS) revert UnsupportedDecimals(a, entry.tokenDecimals);
        (uint256 holding, uint256 debt) = (entry.holding, entry.debt);
        if (holding >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Holding, a, holding, AMOUNT_BITS);
        if (debt >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Debt, a, debt, AMOUNT_BITS);
        (c.holding, c.debt, c.haircutBps) = (holding, debt, params.haircuts[a]);
        c.price = _price(entry, a);
        if ((params.reserveMask >> a) & 1 != 0) c.reserve = _reserve(params.reserves[a], entry.tokenDecimals, a);
        c.assets = (holding > debt ? holding - debt : 0) + c.reserve;
        c.liabilities = total + (debt > holding ? debt - holding : 0);
        scale = 10 ** (SCALED_DECIMALS - entry.tokenDecimals);
    }

    /// @dev Asset `a`'s price, USD at 1e8, read from its feed with the vault's rules (see the contract's notes).
    function _price(IProofGateVault.AssetView memory entry, uint256 a) private view returns (uint256 price) {
        (, int256 answer,, uint256 updatedAt,) = entry.feed.latestRoundData();
        // casting to 'uint256' is safe because the answer is positive when it is used
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 positive = uint256(answer);
        if (answer <= 0 || positive > MAX_ANSWER) revert InvalidPrice(a, answer);
        // The heartbeat check is Chainlink's (and the vault's); a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > entry.heartbeat) {
            revert StalePrice(a, updatedAt);
        }
        uint256 feedDecimals = entry.feedDecimals;
        // positive < 2^128 and feed decimals are at most 36 (the vault checks them), so neither side overflows.
        price = feedDecimals >= PRICE_DECIMALS
            ? positive / 10 ** (feedDecimals - PRICE_DECIMALS)
            : positive * 10 ** (PRICE_DECIMALS - feedDecimals);
        if (price == 0) revert InvalidPrice(a, answer);
        if (price >> PRICE_BITS != 0) revert ValueOutOfRange(Field.Price, a, price, PRICE_BITS);
    }

    /// @dev Asset `a`'s reserve in token units from the vault's proof-of-reserve feed `reserve` (0 without one):
    ///      `answer · 10^tokenDecimals / 10^feedDecimals`, rounded down; refused when negative, at other decimals than
    ///      at registration, stale or not below 2^96 (a product that overflows is reported as 2^256 - 1).
    function _reserve(ReserveFeed memory reserve, uint8 tokenDecimals, uint256 a)
        private
        view
        returns (uint256 amount)
    {
        if (address(reserve.feed) == address(0)) return 0;
        (, int256 answer,, uint256 updatedAt,) = reserve.feed.latestRoundData();
        if (answer < 0) revert InvalidReserve(a, answer);
        uint8 feedDecimals = reserve.feed.decimals();
        if (feedDecimals != reserve.decimals) revert ReserveDecimalsChanged(a, reserve.decimals, feedDecimals);
        // Proof-of-reserve heartbeats are hours to a day: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > reserve.heartbeat) {
            revert StaleReserve(a, updatedAt);
        }
        // casting to 'uint256' is safe because the answer is not negative
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 units = uint256(answer);
        if (reserve.decimals >= tokenDecimals) {
            // At most 36 decimals: the divisor fits.
            amount = units / 10 ** (reserve.decimals - tokenDecimals);
        } else {
            // Token decimals are at most 18 (checked before): the factor fits; the product saturates.
            uint256 factor = 10 ** (tokenDecimals - reserve.decimals);
            amount = units > type(uint256).max / factor ? type(uint256).max : units * factor;
        }
        if (amount >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Reserve, a, amount, AMOUNT_BITS);
    }

    // ---------------------------------------------------------------- internals: arguments

    /// @dev Reverts unless `index` is below the asset count.
    function _checkAsset(uint256 index) private view {
        if (index >= ASSET_COUNT) revert UnknownAsset(index);
    }

    /// @dev Reverts unless `vault` is nonzero and `asset` below the asset count.
    function _checkParamsTarget(address vault, uint256 asset) private view {
        if (vault == address(0)) revert ZeroAddress();
        _checkAsset(asset);
    }
}
