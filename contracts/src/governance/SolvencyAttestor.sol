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
/// @notice Records vaults' solvency attestations, made by their agents over one or several transactions. The
///         depositors are split into batches of `2^BATCH_DEPTH` leaves; each batch's Groth16 proof covers its
///         liabilities only (its leaves, every balance range-checked, hash to its root and sum to its per-asset sums).
///         Batches are accepted in order and chained here into a keccak accumulator and per-asset totals; the assets
///         are read at the seal, from the chain, and the coverage of the totals is checked here: per asset with the
///         vault's haircuts, and in total value with the vault's margin. {isSolvent} is true while a vault's last
///         attestation is fresh and the vault's configuration is the one it was made under.
/// @dev A batch proof's public inputs, in the order and packing of the prover's statement
///      (`prover/src/solvency`, `BatchStatement::public_inputs`), for `n` assets (`2 + ceil(n / LANES)` inputs, each
///      below r, with `SUM_BITS = BALANCE_BITS + BATCH_DEPTH` and `LANES = floor(253 / SUM_BITS)`):
///      1. `binding = keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline, batchIndex, batchCount))
///         & (2^253 - 1)`, where `attestor` is this contract (the verifying one), `deadline` the epoch's, `batchIndex`
///         the batch's and `batchCount` the epoch's number of batches;
///      2. the batch tree's root hash (below r);
///      3. the sums, `LANES` per element: `word_j = sum_i sums[j·LANES + i] << (SUM_BITS · i)`. Each sum is checked
///         below `2^SUM_BITS` before it is packed: a wider one would spill into the next lane, and a proof of one set
///         of sums would then credit another with the same words.
///
///      The epoch: {beginEpoch} burns the epoch (above the last attested and the last begun) and fixes the uploader,
///      the deadline, the batch count and the expiry (now plus the vault's upload window); {submitBatch} accepts
///      batch `i` only after batch `i - 1`, and continues `acc_{i+1} = keccak256(abi.encodePacked(acc_i, root_i,
///      sums_i))` (from `acc_0 = 0`) and the totals; {sealEpoch}, once every batch is in, checks the uploader is
///      still authorised and the coverage of the totals now, and records `liabilitiesRoot = acc_m`. While an upload
///      is open nothing of it counts: the vault's previous attestation stands as it was, and no other epoch begins.
///      {attestSolvency} is a one-batch epoch in one transaction. The upload's scalar fields take two storage slots,
///      its accumulator one, and its totals (each below 2^96) two per slot; a slot is overwritten by the next upload
///      rather than cleared.
///
///      Coverage, per asset `a`, everything read at the seal: `holding`, `debt`, the token's decimals and the
///      price feed from `vault.asset(a)`; the price read as the vault reads it (`0 < answer <= 2^128 - 1`,
///      `updatedAt` nonzero, not in the future and at most the vault's heartbeat old, brought to 8 decimals rounded
///      down, below 2^64); `reserve` = the vault's registered proof-of-reserve feed's answer in token units
///      (`answer · 10^tokenDecimals / 10^feedDecimals`, rounded down; answer not negative, `updatedAt` nonzero, not
///      in the future and at most the registered heartbeat old), 0 without a feed. Holding, debt, reserve and total
///      are each below 2^96 (a total at or above it could not be covered by a holding and a reserve below it). Then
///      `assets_a = max(holding - debt, 0) + reserve`, `liabilities_a = T_a + max(debt - holding, 0)`;
///      check 1: `haircut_a · assets_a >= 10,000 · liabilities_a` for every asset;
///      check 2: `sum h_a·A_a·p_a·s_a >= (10,000 + margin) · sum L_a·p_a·s_a` with `s_a = 10^(18 - tokenDecimals)`.
///      No sum overflows: 16 terms of at most 2^14 · 2^97 · 2^64 · 2^60, and the margin below 2^17.
///      Before reading, the vault's `checkSettled` must pass: no vault operation in progress (a token hook that
///      re-enters mid-trade sees holdings half-updated) and its L2 sequencer, if any, up past the grace period.
///
///      Every external call (vault, feeds, verifier, the registry's reads) is a view, so a STATICCALL: nothing can
///      re-enter. The one call that is not, `REGISTRY.recordSolvency`, goes to the immutable registry, after the
///      upload is marked sealed.
///
///      Attestations and parameters are per vault. The registry says which agents may attest for a vault (those
///      registered and active for it with certified model and parameters); epochs are the vault's; the registry's
///      solvency gate of the vault follows its last attestation, whichever of its agents made it, together with the
///      vault's configuration generation at attestation (the vault compares it with its own on every trade). Every
///      change of a vault's haircuts, margin, maximum age or reserve feeds ends its fresh attestation at once, and
///      {syncSolvency} only ever shortens one. The owner is meant to be a `TimelockController`; the guardian may only
///      pause attestations, revoke one and abandon an upload.
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

    /// @dev A vault's parameters: margin, maximum age, the mask of assets with a reserve feed and the upload window
    ///      in one slot (read together by an attestation), the sixteen haircuts in the next, then one slot per
    ///      reserve feed (read only for the assets in the mask).
    struct VaultParams {
        uint16 margin;
        uint64 maxAge;
        uint16 reserveMask;
        uint64 uploadWindow;
        uint16[16] haircuts;
        ReserveFeed[16] reserves;
    }

    /// @dev A vault's last upload: the uploader, the epoch and the batch count in one slot (read by every batch);
    ///      the deadline, the expiry, the batches received and the state in the next (the state is `Open`, `Sealed`
    ///      or `Abandoned`; `Expired` is only reported by {upload}); the accumulator; the totals, two per slot. The
    ///      accumulator and the totals are valid only once a batch is received (batch 0 overwrites them).
    struct UploadRecord {
        address agent;
        uint64 epoch;
        uint32 batchCount;
        uint64 deadline;
        uint64 expiresAt;
        uint32 received;
        UploadState state;
        bytes32 accumulator;
        uint128[16] totals;
    }

    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Most assets the solvency circuit supports.
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Widest balance the batch circuit supports, bits.
    uint256 public constant MAX_BALANCE_BITS = 128;
    /// @notice Deepest batch the batch circuit supports (2^20 leaves).
    uint256 public constant MAX_BATCH_DEPTH = 20;
    /// @notice Most batches in an epoch.
    uint32 public constant MAX_BATCH_COUNT = 65_536;
    /// @notice Bits of a public input the sums are packed into (below r, which has 254).
    uint256 public constant PACKED_BITS = 253;
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
    /// @notice Bits of a total, a holding, a debt and a reserve (token units).
    uint256 public constant AMOUNT_BITS = 96;
    /// @notice Bits of a price (USD at 1e8): keeps check 2's sums far from overflowing.
    uint256 public constant PRICE_BITS = 64;
    /// @notice The binding hash keeps its low 253 bits (always below r).
    uint256 public constant BINDING_MASK = (1 << 253) - 1;
    /// @notice Public inputs before the sums: binding and batch root.
    uint256 public constant LEADING_INPUTS = 2;
    /// @notice The largest maximum attestation age governance may set: a year (keeps `validUntil` far inside uint64).
    uint64 public constant MAX_ATTESTATION_AGE_LIMIT = 365 days;
    /// @notice The most a new epoch may be above the vault's last attested or begun one (agents count up by one).
    uint64 public constant MAX_EPOCH_STEP = 1000;
    /// @notice A vault's upload window until governance sets one.
    uint64 public constant DEFAULT_UPLOAD_WINDOW = 1 hours;
    /// @notice The shortest upload window governance may set.
    uint64 public constant MIN_UPLOAD_WINDOW = 60;
    /// @notice The longest upload window governance may set.
    uint64 public constant MAX_UPLOAD_WINDOW = 7 days;

    /// @inheritdoc ISolvencyAttestor
    IRiskVerifier public immutable VERIFIER;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable ASSET_COUNT;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable BALANCE_BITS;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable BATCH_DEPTH;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable SUM_BITS;
    /// @inheritdoc ISolvencyAttestor
    uint256 public immutable LANES;
    /// @inheritdoc ISolvencyAttestor
    IProofGateRegistry public immutable REGISTRY;

    /// @inheritdoc ISolvencyAttestor
    address public guardian;

    mapping(address vault => VaultParams) private _params;
    mapping(address vault => Attestation) private _attestations;
    mapping(address vault => UploadRecord) private _uploads;

    /// @dev Only the guardian or the owner.
    modifier onlyPauser() {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedPauser(msg.sender);
        _;
    }

    /// @notice Deploys the attestor for one batch shape. Vaults are configured afterwards, each with its own maximum
    ///         age, margin, haircuts, reserve feeds and upload window.
    /// @param initialOwner The owner: a `TimelockController` in production.
    /// @param initialGuardian The guardian, who may pause attestations (may be zero: then only the owner can).
    /// @param verifier The generated batch verifier, for this shape (`2 + ceil(assetCount / LANES)` public inputs).
    /// @param assetCount Number of assets (1 to 16): the vaults' asset count and the circuit's.
    /// @param balanceBits Bits of a depositor's balance in the circuit (1 to 128).
    /// @param batchDepth Depth of a batch (0 to 20): `2^batchDepth` leaves.
    /// @param registry The registry that authorises attesting agents per vault and whose solvency gate the vaults
    ///        read (it must name this contract its attestor).
    constructor(
        address initialOwner,
        address initialGuardian,
        IRiskVerifier verifier,
        uint256 assetCount,
        uint256 balanceBits,
        uint256 batchDepth,
        IProofGateRegistry registry
    ) Ownable(initialOwner) {
        if (address(verifier) == address(0) || address(registry) == address(0)) {
            revert ZeroAddress();
        }
        if (assetCount == 0 || assetCount > MAX_ASSETS) revert UnsupportedAssetCount(assetCount);
        if (balanceBits == 0 || balanceBits > MAX_BALANCE_BITS) revert UnsupportedBalanceBits(balanceBits);
        if (batchDepth > MAX_BATCH_DEPTH) revert UnsupportedBatchDepth(batchDepth);
        // At most 148 bits: at least one lane per input.
        uint256 sumBits = balanceBits + batchDepth;
        uint256 lanes = PACKED_BITS / sumBits;
        uint256 layoutInputs = _inputCount(assetCount, lanes);
        uint256 verifierInputs = verifier.PUBLIC_INPUT_COUNT();
        if (verifierInputs != layoutInputs) revert VerifierInputCountMismatch(verifierInputs, layoutInputs);
        (VERIFIER, ASSET_COUNT, REGISTRY) = (verifier, assetCount, registry);
        (BALANCE_BITS, BATCH_DEPTH, SUM_BITS, LANES) = (balanceBits, batchDepth, sumBits, lanes);
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
    }

    /// @notice Always reverts: an owner-less attestor could never change its parameters again.
    function renounceOwnership() public pure override {
        revert OwnershipCannotBeRenounced();
    }

    /// @inheritdoc ISolvencyAttestor
    function inputCount() external view returns (uint256) {
        return _inputCount(ASSET_COUNT, LANES);
    }

    // ---------------------------------------------------------------- the multi-transaction epoch

    /// @inheritdoc ISolvencyAttestor
    function beginEpoch(address vault, uint64 epoch, uint64 deadline, uint32 batchCount) external whenNotPaused {
        _checkBegin(vault, epoch, deadline, batchCount);
        // Windows are minutes to days: a validator's few seconds of drift do not matter.
        uint64 expiresAt = uint64(block.timestamp) + uploadWindow(vault);
        UploadRecord storage u = _uploads[vault];
        (u.agent, u.epoch, u.batchCount) = (msg.sender, epoch, batchCount);
        (u.deadline, u.expiresAt, u.received, u.state) = (deadline, expiresAt, 0, UploadState.Open);
        emit SolvencyEpochBegun(msg.sender, vault, epoch, deadline, batchCount, expiresAt);
    }

    /// @inheritdoc ISolvencyAttestor
    /// @dev Order: pause; the upload (open, this epoch, the uploader, not expired, the deadline); the batch's place;
    ///      the statement's widths; the proof; then the accumulator, the totals (each below 2^96) and the event.
    function submitBatch(
        address vault,
        uint64 epoch,
        uint32 batchIndex,
        uint256 batchRoot,
        uint256[] calldata sums,
        uint256[8] calldata proof
    ) external whenNotPaused {
        UploadRecord storage u = _uploads[vault];
        uint64 deadline = _checkUploader(vault, u, epoch);
        (uint32 count, uint32 next) = (u.batchCount, u.received);
        if (batchIndex >= count) revert BatchIndexOutOfRange(batchIndex, count);
        if (batchIndex != next) revert BatchOutOfOrder(batchIndex, next);
        uint256[] memory inputs = _batchInputs(msg.sender, vault, epoch, deadline, batchIndex, count, batchRoot, sums);
        if (!VERIFIER.isValidProof(proof, inputs)) revert InvalidProof();
        bool first = batchIndex == 0;
        bytes32 acc = _accumulate(first ? bytes32(0) : u.accumulator, batchRoot, sums);
        (u.accumulator, u.received) = (acc, next + 1);
        _addTotals(u.totals, sums, first);
        emit SolvencyBatchAccepted(vault, epoch, batchIndex, batchRoot, sums, acc);
    }

    /// @inheritdoc ISolvencyAttestor
    /// @dev Order: pause; the upload (as {submitBatch}); every batch in; the uploader still authorised; the vault
    ///      configured and settled; the coverage checks; then the record, the registry's gate and the event. The epoch
    ///      is above the last attested one: it was at {beginEpoch}, and no attestation can be made while it is open.
    function sealEpoch(address vault, uint64 epoch) external whenNotPaused {
        UploadRecord storage u = _uploads[vault];
        _checkUploader(vault, u, epoch);
        (uint32 count, uint32 received) = (u.batchCount, u.received);
        if (received != count) revert EpochIncomplete(received, count);
        _checkAgent(vault, msg.sender);
        uint256 n = ASSET_COUNT;
        uint256[] memory totals = new uint256[](n);
        for (uint256 a = 0; a < n; ++a) {
            totals[a] = u.totals[a];
        }
        u.state = UploadState.Sealed;
        _checkReadable(vault);
        (uint256 haircutValue, uint256 requiredValue) = _checkCoverage(vault, totals);
        _attest(vault, epoch, uint256(u.accumulator), totals, count, haircutValue, requiredValue);
    }

    /// @inheritdoc ISolvencyAttestor
    function abandonUpload(address vault) external {
        UploadRecord storage u = _uploads[vault];
        uint64 epoch = u.epoch;
        if (!_isOpen(u)) revert NotUploading(vault, epoch);
        if (msg.sender != u.agent && msg.sender != guardian && msg.sender != owner()) {
            revert UnauthorizedAbandon(msg.sender);
        }
        u.state = UploadState.Abandoned;
        emit SolvencyUploadAbandoned(vault, epoch, msg.sender);
    }

    /// @inheritdoc ISolvencyAttestor
    /// @dev Order: pause; the checks of {beginEpoch} (deadline, agent, the vault's asset count, configured, no open
    ///      upload, epoch, and the batch count of 1); the statement's widths and the totals' (each below 2^96); the
    ///      vault settled and the coverage checks (see {checkCoverage}); the proof; then the events, the record and
    ///      the registry's gate.
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 batchRoot,
        uint256[] calldata sums,
        uint256[8] calldata proof
    ) external whenNotPaused {
        _checkBegin(vault, epoch, deadline, 1);
        uint256[] memory inputs = _batchInputs(msg.sender, vault, epoch, deadline, 0, 1, batchRoot, sums);
        uint256[] memory totals = sums;
        _checkTotals(totals, totals.length);
        _checkSettled(vault);
        (uint256 haircutValue, uint256 requiredValue) = _checkCoverage(vault, totals);
        if (!VERIFIER.isValidProof(proof, inputs)) revert InvalidProof();
        bytes32 acc = _accumulate(bytes32(0), batchRoot, sums);
        emit SolvencyBatchAccepted(vault, epoch, 0, batchRoot, sums, acc);
        _attest(vault, epoch, uint256(acc), totals, 1, haircutValue, requiredValue);
    }

    /// @inheritdoc ISolvencyAttestor
    function setUploadWindow(address vault, uint64 window) external onlyOwner {
        if (vault == address(0)) revert ZeroAddress();
        if (window < MIN_UPLOAD_WINDOW || window > MAX_UPLOAD_WINDOW) revert InvalidUploadWindow(window);
        uint64 previous = uploadWindow(vault);
        _params[vault].uploadWindow = window;
        emit UploadWindowUpdated(vault, previous, window);
    }

    // ---------------------------------------------------------------- statement views

    /// @inheritdoc ISolvencyAttestor
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint32 batchIndex,
        uint32 batchCount,
        uint256 batchRoot,
        uint256[] calldata sums
    ) external view returns (uint256[] memory inputs) {
        _checkBatchCount(batchCount);
        if (batchIndex >= batchCount) revert BatchIndexOutOfRange(batchIndex, batchCount);
        return _batchInputs(agent, vault, epoch, deadline, batchIndex, batchCount, batchRoot, sums);
    }

    /// @inheritdoc ISolvencyAttestor
    function binding(address agent, address vault, uint64 epoch, uint64 deadline, uint32 batchIndex, uint32 batchCount)
        public
        view
        returns (uint256)
    {
        bytes32 hash =
            keccak256(abi.encode(agent, address(this), vault, block.chainid, epoch, deadline, batchIndex, batchCount));
        return uint256(hash) & BINDING_MASK;
    }

    /// @inheritdoc ISolvencyAttestor
    function accumulate(bytes32 acc, uint256 batchRoot, uint256[] calldata sums) external pure returns (bytes32) {
        return _accumulate(acc, batchRoot, sums);
    }

    /// @inheritdoc ISolvencyAttestor
    function upload(address vault) external view returns (Upload memory view_) {
        UploadRecord storage u = _uploads[vault];
        view_.state = u.state;
        if (view_.state == UploadState.Open && !_isOpen(u)) view_.state = UploadState.Expired;
        (view_.agent, view_.epoch, view_.batchCount) = (u.agent, u.epoch, u.batchCount);
        (view_.deadline, view_.expiresAt, view_.received) = (u.deadline, u.expiresAt, u.received);
        uint256 n = ASSET_COUNT;
        view_.totals = new uint256[](n);
        // Before batch 0 the accumulator and the totals are the previous upload's: reported as zero.
        if (view_.received == 0) return view_;
        view_.accumulator = u.accumulator;
        for (uint256 a = 0; a < n; ++a) {
            view_.totals[a] = u.totals[a];
        }
    }

    /// @inheritdoc ISolvencyAttestor
    function uploadWindow(address vault) public view returns (uint64) {
        uint64 window = _params[vault].uploadWindow;
        return window == 0 ? DEFAULT_UPLOAD_WINDOW : window;
    }

    // ---------------------------------------------------------------- attestations

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

    /// @dev Records `vault`'s attestation of `epoch` now (its accumulator `liabilitiesRoot` and `totals`), under the
    ///      vault's configuration generation now, fresh for the vault's maximum age, mirrors it to the registry's
    ///      gate and emits it.
    function _attest(
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] memory totals,
        uint32 batchCount,
        uint256 haircutValue,
        uint256 requiredValue
    ) private {
        uint64 generation = IProofGateVault(vault).configGeneration();
        Attestation storage record = _attestations[vault];
        (record.epoch, record.attestedAt, record.generation) = (epoch, uint64(block.timestamp), generation);
        (record.liabilitiesRoot, record.totalsHash) = (liabilitiesRoot, keccak256(abi.encodePacked(totals)));
        _setValidUntil(vault, record, uint64(block.timestamp) + _params[vault].maxAge);
        emit SolvencyAttested(
            msg.sender, vault, epoch, liabilitiesRoot, totals, batchCount, generation, haircutValue, requiredValue
        );
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

    /// @dev Adds a batch's `sums` to the upload's `totals` (or, for batch 0, overwrites them); reverts when a total
    ///      reaches 2^96 (it could not be covered by holdings and reserves below 2^96).
    function _addTotals(uint128[16] storage totals, uint256[] calldata sums, bool first) private {
        uint256 n = sums.length;
        for (uint256 a = 0; a < n; ++a) {
            // Each sum is below 2^SUM_BITS <= 2^148 and each stored total below 2^96: no overflow.
            uint256 total = first ? sums[a] : totals[a] + sums[a];
            if (total >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Total, a, total, AMOUNT_BITS);
            // casting to 'uint128' is safe because total < 2^96
            // forge-lint: disable-next-line(unsafe-typecast)
            totals[a] = uint128(total);
        }
    }

    // ---------------------------------------------------------------- internals: statement

    /// @dev The checks of a new epoch of `vault` by the caller: the deadline, the agent registered and active for the
    ///      vault with certified model and parameters, the vault's asset count, the vault configured, no open upload,
    ///      the epoch above the last attested and the last begun, the batch count.
    function _checkBegin(address vault, uint64 epoch, uint64 deadline, uint32 batchCount) private view {
        // Deadlines are minutes to hours away: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
        _checkAgent(vault, msg.sender);
        _checkVault(vault);
        if (_params[vault].maxAge == 0) revert VaultNotConfigured(vault);
        UploadRecord storage u = _uploads[vault];
        uint64 begun = u.epoch;
        if (_isOpen(u)) revert UploadInProgress(vault, begun, u.expiresAt);
        uint64 last = _attestations[vault].epoch;
        if (begun > last) last = begun;
        if (epoch <= last) revert EpochNotIncreasing(epoch, last);
        // Beginning an epoch needs no proof: without a bound, one begin at type(uint64).max would burn every epoch
        // number and end the vault's attestations for good.
        if (epoch - last > MAX_EPOCH_STEP) revert EpochTooFarAhead(epoch, last, MAX_EPOCH_STEP);
        _checkBatchCount(batchCount);
    }

    /// @dev Reverts unless `vault`'s upload `u` is open for `epoch`, the caller is its uploader, and neither its
    ///      expiry nor its deadline has passed; returns the deadline.
    function _checkUploader(address vault, UploadRecord storage u, uint64 epoch) private view returns (uint64) {
        if (u.state != UploadState.Open || u.epoch != epoch) revert NotUploading(vault, epoch);
        address uploader = u.agent;
        if (msg.sender != uploader) revert NotUploader(msg.sender, uploader);
        (uint64 expiresAt, uint64 deadline) = (u.expiresAt, u.deadline);
        // Windows and deadlines are minutes to hours: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > expiresAt) revert UploadExpired(vault, epoch, expiresAt);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
        return deadline;
    }

    /// @dev Whether the upload `u` is open: begun, neither sealed nor abandoned, and not expired.
    function _isOpen(UploadRecord storage u) private view returns (bool) {
        // forge-lint: disable-next-line(block-timestamp)
        return u.state == UploadState.Open && block.timestamp <= u.expiresAt;
    }

    /// @dev Reverts unless `agent` is registered and active for `vault`, with its model and parameters certified.
    function _checkAgent(address vault, address agent) private view {
        // An agent governance has stopped from trading (paused, or its model or limits decertified) cannot keep the
        // vault's gate open.
        (,, bool active, bool modelCertified, bool paramsCertified,,,,,) = REGISTRY.tradingStatus(vault, agent);
        if (!(active && modelCertified && paramsCertified)) revert AgentNotAuthorized(vault, agent);
    }

    /// @dev Reverts unless `batchCount` is 1 to {MAX_BATCH_COUNT}.
    function _checkBatchCount(uint32 batchCount) private pure {
        if (batchCount == 0 || batchCount > MAX_BATCH_COUNT) revert InvalidBatchCount(batchCount);
    }

    /// @dev The public inputs of a batch (see the contract's notes), after checking the number of sums, each sum
    ///      below `2^SUM_BITS` (before it is packed) and the root below r.
    function _batchInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint32 batchIndex,
        uint32 batchCount,
        uint256 batchRoot,
        uint256[] calldata sums
    ) private view returns (uint256[] memory inputs) {
        (uint256 n, uint256 bits, uint256 lanes) = (ASSET_COUNT, SUM_BITS, LANES);
        if (sums.length != n) revert SumsLengthMismatch(sums.length, n);
        if (batchRoot >= SCALAR_FIELD_ORDER) revert RootNotInField(batchRoot);
        inputs = new uint256[](_inputCount(n, lanes));
        inputs[0] = binding(agent, vault, epoch, deadline, batchIndex, batchCount);
        inputs[1] = batchRoot;
        for (uint256 a = 0; a < n; ++a) {
            uint256 sum = sums[a];
            // A wider sum would spill into the next lane: the same words, so the same proof, for other sums.
            if (sum >> bits != 0) revert ValueOutOfRange(Field.Sum, a, sum, bits);
            inputs[LEADING_INPUTS + a / lanes] |= sum << (bits * (a % lanes));
        }
    }

    /// @dev `keccak256(abi.encodePacked(acc, batchRoot, sums))`.
    function _accumulate(bytes32 acc, uint256 batchRoot, uint256[] calldata sums) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(acc, batchRoot, sums));
    }

    /// @dev `2 + ceil(assetCount / lanes)`.
    function _inputCount(uint256 assetCount, uint256 lanes) private pure returns (uint256) {
        return LEADING_INPUTS + (assetCount + lanes - 1) / lanes;
    }

    /// @dev Reverts unless the vault's asset count is the attestor's; returns it.
    function _checkVault(address vault) private view returns (uint256 n) {
        n = ASSET_COUNT;
        uint256 vaultAssets = ProofGateVault(vault).ASSET_COUNT();
        if (vaultAssets != n) revert VaultAssetCountMismatch(vault, vaultAssets, n);
    }

    /// @dev Reverts unless there are `n` totals, each below 2^96.
    function _checkTotals(uint256[] memory totals, uint256 n) private pure {
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
        _checkSettled(vault);
    }

    /// @dev Reverts unless `vault`'s state reads as settled now.
    function _checkSettled(address vault) private view {
        // Mid-operation (a token hook re-entering a trade) holdings are half-updated, and while an L2 sequencer is
        // down its feeds' answers are not to be trusted: the vault refuses both with its own errors.
        IProofGateVault(vault).checkSettled();
    }

    /// @dev Reverts unless the vault's asset count and the number of totals are the attestor's, each total below
    ///      2^96.
    function _checkShape(address vault, uint256[] memory totals) private view {
        _checkTotals(totals, _checkVault(vault));
    }

    /// @dev Both coverage checks of `vault` with liabilities `totals` (see the contract's notes; the caller has
    ///      checked the shape); reverts with the first that fails. Returns check 2's two sides.
    function _checkCoverage(address vault, uint256[] memory totals)
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
    function _coverage(address vault, uint256[] memory totals)
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
