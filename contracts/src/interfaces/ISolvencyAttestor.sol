// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {IProofGateRegistry} from "./IProofGateRegistry.sol";
import {IRiskVerifier} from "./IRiskVerifier.sol";

/// @title ISolvencyAttestorErrors
/// @notice Custom errors of {SolvencyAttestor}.
interface ISolvencyAttestorErrors {
    /// @notice The values whose width is checked (used to name the one that does not fit).
    enum Field {
        Holding,
        Debt,
        Reserve,
        Total,
        Price,
        Sum
    }

    /// @notice A required address is zero.
    error ZeroAddress();

    /// @notice The asset count is outside 1..16 (the solvency circuit's range).
    /// @param assetCount The refused count.
    error UnsupportedAssetCount(uint256 assetCount);

    /// @notice The balance width is outside 1..128 bits (the batch circuit's range).
    /// @param balanceBits The refused width.
    error UnsupportedBalanceBits(uint256 balanceBits);

    /// @notice The batch depth is outside 0..20 (a batch has `2^batchDepth` leaves).
    /// @param batchDepth The refused depth.
    error UnsupportedBatchDepth(uint256 batchDepth);

    /// @notice The verifier's public-input count is not `2 + ceil(n / LANES)` for the attestor's asset count `n`.
    /// @param verifierInputs What the verifier expects.
    /// @param layoutInputs What the layout has.
    error VerifierInputCountMismatch(uint256 verifierInputs, uint256 layoutInputs);

    /// @notice An upload window is outside 60 seconds..7 days.
    /// @param window The refused window, seconds.
    error InvalidUploadWindow(uint64 window);

    /// @notice An epoch's batch count is outside 1..{MAX_BATCH_COUNT}.
    /// @param batchCount The refused count.
    error InvalidBatchCount(uint256 batchCount);

    /// @notice The vault has an unsealed upload that has not expired: no other epoch may begin, and no one-batch
    ///         attestation is accepted, until it is sealed, abandoned or expired.
    /// @param vault The vault.
    /// @param epoch The epoch being uploaded.
    /// @param expiresAt Last second at which it may still be continued or sealed.
    error UploadInProgress(address vault, uint64 epoch, uint64 expiresAt);

    /// @notice The vault has no open upload of `epoch` (none begun, another epoch's, or already sealed or
    ///         abandoned).
    /// @param vault The vault.
    /// @param epoch The epoch named by the call.
    error NotUploading(address vault, uint64 epoch);

    /// @notice Only the agent that began the upload may continue or seal it.
    /// @param caller The refused caller.
    /// @param uploader The agent that began the upload.
    error NotUploader(address caller, address uploader);

    /// @notice The caller may not abandon the upload: it is neither its uploader, nor the guardian, nor the owner.
    /// @param caller The refused caller.
    error UnauthorizedAbandon(address caller);

    /// @notice The upload's window has passed: it can no longer be continued or sealed (a new epoch may begin).
    /// @param vault The vault.
    /// @param epoch The upload's epoch.
    /// @param expiresAt Its last second.
    error UploadExpired(address vault, uint64 epoch, uint64 expiresAt);

    /// @notice The batch index is not below the epoch's batch count.
    /// @param batchIndex The refused index.
    /// @param batchCount The epoch's batch count.
    error BatchIndexOutOfRange(uint32 batchIndex, uint32 batchCount);

    /// @notice The batch is not the next one of the upload (a repeated or a skipped batch).
    /// @param given The batch index given.
    /// @param expected The next batch index.
    error BatchOutOfOrder(uint32 given, uint32 expected);

    /// @notice The upload does not hold all its batches yet.
    /// @param received Batches accepted.
    /// @param batchCount The epoch's batch count.
    error EpochIncomplete(uint32 received, uint32 batchCount);

    /// @notice The number of a batch's sums is not the attestor's asset count.
    /// @param given Sums given.
    /// @param expected The asset count.
    error SumsLengthMismatch(uint256 given, uint256 expected);

    /// @notice A maximum attestation age is outside 1 second..365 days.
    error InvalidMaxAge();

    /// @notice The caller may not pause: it is neither the guardian nor the owner.
    /// @param caller The refused caller.
    error UnauthorizedPauser(address caller);

    /// @notice The asset index is not below the attestor's asset count.
    /// @param index The refused index.
    error UnknownAsset(uint256 index);

    /// @notice A haircut is above 10,000 basis points.
    /// @param asset The asset.
    /// @param haircutBps The refused haircut.
    error InvalidHaircut(uint256 asset, uint256 haircutBps);

    /// @notice A reserve feed's heartbeat is zero.
    /// @param asset The asset.
    error InvalidHeartbeat(uint256 asset);

    /// @notice A reserve feed reports more than 36 decimals.
    /// @param asset The asset.
    /// @param feedDecimals The feed's decimals.
    error UnsupportedFeedDecimals(uint256 asset, uint8 feedDecimals);

    /// @notice The vault has no maximum attestation age yet (governance has not configured it): no attestation of
    ///         it is accepted.
    /// @param vault The vault.
    error VaultNotConfigured(address vault);

    /// @notice The vault's asset count is not the attestor's.
    /// @param vault The vault.
    /// @param vaultAssets The vault's asset count.
    /// @param expected The attestor's asset count.
    error VaultAssetCountMismatch(address vault, uint256 vaultAssets, uint256 expected);

    /// @notice The caller is not registered and active for the vault in the registry (or its model or parameters
    ///         are not certified), so it cannot attest for it.
    /// @param vault The vault.
    /// @param agent The agent (the caller of an attestation).
    error AgentNotAuthorized(address vault, address agent);

    /// @notice The attestation's deadline (part of the proven statement) has passed.
    /// @param deadline The deadline, unix seconds.
    /// @param timestamp The block's timestamp.
    error DeadlinePassed(uint64 deadline, uint256 timestamp);

    /// @notice The epoch is not above both the vault's last attested epoch and its last begun upload's epoch (a
    ///         replayed or older attestation, or the number of an expired or abandoned upload).
    /// @param epoch The refused epoch.
    /// @param lastEpoch The larger of the two (0 before the first attestation or upload).
    error EpochNotIncreasing(uint64 epoch, uint64 lastEpoch);

    /// @notice The epoch is more than `maxStep` above the vault's last attested or begun epoch (a begin needs no
    ///         proof, so an unbounded jump could burn every epoch number).
    /// @param epoch The refused epoch.
    /// @param lastEpoch The larger of the last attested and the last begun epoch.
    /// @param maxStep The largest step, `MAX_EPOCH_STEP`.
    error EpochTooFarAhead(uint64 epoch, uint64 lastEpoch, uint64 maxStep);

    /// @notice The number of totals is not the attestor's asset count.
    /// @param given Totals given.
    /// @param expected The asset count.
    error TotalsLengthMismatch(uint256 given, uint256 expected);

    /// @notice A batch root is not below the BN254 scalar order r, so no proof can carry it.
    /// @param root The refused root.
    error RootNotInField(uint256 root);

    /// @notice A value does not fit its width. A batch's sum must be below `2^SUM_BITS` (wider, it would spill into
    ///         the next lane of its packed public input, so a proof of one set of sums would credit another); a total,
    ///         an epoch's running one included, below 2^96.
    /// @param field Which value.
    /// @param asset The asset.
    /// @param value The value that does not fit (a reserve that overflows 256 bits is reported as 2^256 - 1).
    /// @param bits The width.
    error ValueOutOfRange(Field field, uint256 asset, uint256 value, uint256 bits);

    /// @notice A price feed's answer is not positive, is above 2^128 - 1, or is zero once brought to 8 decimals.
    /// @param asset The asset.
    /// @param answer The feed's answer.
    error InvalidPrice(uint256 asset, int256 answer);

    /// @notice A price feed's `updatedAt` is zero, in the future, or older than the vault's heartbeat for the asset.
    /// @param asset The asset.
    /// @param updatedAt The answer's `updatedAt`.
    error StalePrice(uint256 asset, uint256 updatedAt);

    /// @notice A proof-of-reserve feed reports at other decimals than when governance registered it (its proxy was
    ///         repointed): its answers would be read at the wrong scale.
    /// @param asset The asset.
    /// @param registered The decimals at registration.
    /// @param current The feed's decimals now.
    error ReserveDecimalsChanged(uint256 asset, uint8 registered, uint8 current);

    /// @notice A proof-of-reserve feed's answer is negative.
    /// @param asset The asset.
    /// @param answer The feed's answer.
    error InvalidReserve(uint256 asset, int256 answer);

    /// @notice A proof-of-reserve feed's `updatedAt` is zero, in the future, or older than its registered heartbeat.
    /// @param asset The asset.
    /// @param updatedAt The answer's `updatedAt`.
    error StaleReserve(uint256 asset, uint256 updatedAt);

    /// @notice A token has more than 18 decimals, so its scale `10^(18 - decimals)` is not an integer.
    /// @param asset The asset.
    /// @param tokenDecimals The token's decimals.
    error UnsupportedDecimals(uint256 asset, uint8 tokenDecimals);

    /// @notice Check 1 failed: an asset's haircut assets do not cover its liabilities,
    ///         `haircutBps · assets < 10,000 · liabilities` (token units).
    /// @param asset The asset.
    /// @param assets `max(holding - debt, 0) + reserve`.
    /// @param liabilities `total + max(debt - holding, 0)`.
    /// @param haircutBps The asset's haircut for the vault.
    error AssetNotCovered(uint256 asset, uint256 assets, uint256 liabilities, uint16 haircutBps);

    /// @notice Check 2 failed: the haircut value of the assets is below the liabilities' value with the margin.
    /// @param haircutValue `sum h·A·p·s` (see {ISolvencyAttestor-coverage}).
    /// @param requiredValue `(10,000 + margin) · sum L·p·s`.
    error ValueNotCovered(uint256 haircutValue, uint256 requiredValue);

    /// @notice The proof does not verify for the statement the attestor computed. Every proof failure (a bad
    ///         proof, or a good proof of another agent, vault, chain, epoch, deadline, batch, root or sums) is this
    ///         one.
    error InvalidProof();

    /// @notice The vault has no attestation to revoke or re-time.
    /// @param vault The vault.
    error NoAttestation(address vault);

    /// @notice Ownership cannot be renounced: the attestor's parameters would be frozen for good.
    error OwnershipCannotBeRenounced();
}

/// @title ISolvencyAttestorEvents
/// @notice Events of {SolvencyAttestor}: the audit trail of attestations and of every parameter change. (Pausing
///         emits OpenZeppelin's `Paused` and `Unpaused`.)
interface ISolvencyAttestorEvents {
    /// @notice An agent attested its vault's solvency: a sealed upload, or a one-batch epoch. Depositors read the
    ///         accumulator and the totals from here, and each batch's root and sums from {SolvencyBatchAccepted}.
    /// @param agent The attesting agent (registered and active for the vault).
    /// @param vault The vault.
    /// @param epoch The attestation's epoch.
    /// @param liabilitiesRoot The epoch's accumulator over its batches (see {accumulate}), as an integer.
    /// @param totals The liabilities' per-asset totals (the sums of every batch), token units.
    /// @param batchCount The epoch's number of batches.
    /// @param generation The vault's configuration generation the attestation was made under.
    /// @param haircutValue Check 2's left side, `sum h·A·p·s`.
    /// @param requiredValue Check 2's right side, `(10,000 + margin) · sum L·p·s`.
    event SolvencyAttested(
        address indexed agent,
        address indexed vault,
        uint64 indexed epoch,
        uint256 liabilitiesRoot,
        uint256[] totals,
        uint32 batchCount,
        uint64 generation,
        uint256 haircutValue,
        uint256 requiredValue
    );

    /// @notice An agent began uploading an epoch of `batchCount` batches; nothing of it counts until it is sealed.
    /// @param agent The uploader: the only one who may continue and seal it.
    /// @param vault The vault.
    /// @param epoch The epoch (burnt from now on, sealed or not).
    /// @param deadline The epoch's deadline (part of every batch's proven statement).
    /// @param batchCount The number of batches.
    /// @param expiresAt Last second at which the upload may be continued or sealed.
    event SolvencyEpochBegun(
        address indexed agent,
        address indexed vault,
        uint64 indexed epoch,
        uint64 deadline,
        uint32 batchCount,
        uint64 expiresAt
    );

    /// @notice A batch proof verified and was chained into the epoch's accumulator (also emitted, with index 0, by a
    ///         one-batch attestation). The published chain of an epoch is its batches' events in index order.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param batchIndex The batch's index.
    /// @param batchRoot The batch tree's root hash (depositors' inclusion proofs end here).
    /// @param sums The batch's per-asset sums, token units.
    /// @param accumulator The accumulator after this batch.
    event SolvencyBatchAccepted(
        address indexed vault,
        uint64 indexed epoch,
        uint32 indexed batchIndex,
        uint256 batchRoot,
        uint256[] sums,
        bytes32 accumulator
    );

    /// @notice An upload was abandoned before its seal; its epoch stays burnt.
    /// @param vault The vault.
    /// @param epoch The abandoned epoch.
    /// @param by Who abandoned it (its uploader, the guardian or the owner).
    event SolvencyUploadAbandoned(address indexed vault, uint64 indexed epoch, address indexed by);

    /// @notice A vault's attestation is fresh until `validUntil` (set by an attestation, shortened by a sync, or 0
    ///         after a revocation or a governance change of the vault's parameters).
    /// @param vault The vault.
    /// @param validUntil Last second at which it is fresh (0: none).
    event SolvencyValidUntil(address indexed vault, uint64 validUntil);

    /// @notice The guardian or the owner revoked a vault's attestation (for example after an off-chain audit
    ///         failed); one of its agents must attest again.
    /// @param vault The vault.
    /// @param by Who revoked it.
    event AttestationRevoked(address indexed vault, address indexed by);

    /// @notice A vault's haircut of an asset changed.
    /// @param vault The vault.
    /// @param asset The asset.
    /// @param previous The previous haircut, basis points.
    /// @param current The new haircut, basis points.
    event HaircutUpdated(address indexed vault, uint256 indexed asset, uint16 previous, uint16 current);

    /// @notice A vault's margin changed.
    /// @param vault The vault.
    /// @param previous The previous margin, basis points.
    /// @param current The new margin, basis points.
    event MarginUpdated(address indexed vault, uint16 previous, uint16 current);

    /// @notice A vault's maximum attestation age changed.
    /// @param vault The vault.
    /// @param previous The previous maximum age, seconds.
    /// @param current The new maximum age, seconds.
    event MaxAttestationAgeUpdated(address indexed vault, uint64 previous, uint64 current);

    /// @notice A vault's proof-of-reserve feed of an asset changed.
    /// @param vault The vault.
    /// @param asset The asset.
    /// @param feed The feed (zero: removed).
    /// @param heartbeat Largest accepted age of its answer, seconds (0 when removed).
    event ReserveFeedUpdated(address indexed vault, uint256 indexed asset, address feed, uint32 heartbeat);

    /// @notice A vault's upload window changed (uploads begun before keep their expiry).
    /// @param vault The vault.
    /// @param previous The previous window, seconds (the default's value when it was unset).
    /// @param current The new window, seconds.
    event UploadWindowUpdated(address indexed vault, uint64 previous, uint64 current);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);
}

/// @title ISolvencyAttestor
/// @notice A vault's agents attest that the vault's fund is solvent. The depositors are split into batches of
///         `2^BATCH_DEPTH` leaves; a Groth16 proof per batch shows that the batch's leaves (every balance
///         range-checked to `BALANCE_BITS`) hash to its root and sum to its per-asset sums. An epoch's batches are
///         accepted in order, over several transactions ({beginEpoch}, {submitBatch}, {sealEpoch}) or in one for a
///         one-batch epoch ({attestSolvency}); each continues the epoch's keccak accumulator and totals on chain.
///         At the seal the attestor reads the assets from the chain (the vault's holdings less its debts, plus
///         positions held elsewhere reported by governance-registered proof-of-reserve feeds) and checks the coverage
///         of the totals itself, per asset with the vault's haircuts and in total value with its margin, at the
///         feeds' prices of the seal's block. Until then the vault's previous attestation stands as it was; an
///         unsealed upload expires after the vault's governed upload window. Attestations are per vault: any agent
///         registered and active for the vault may attest, epochs increase per vault (an epoch begun is burnt,
///         sealed or not), and the registry's solvency gate of the vault follows the last attestation while the
///         vault's configuration generation is the one it was made under. Parameters are per vault and the owner's
///         (a `TimelockController`); each change of a coverage parameter ends the vault's fresh attestation. The
///         guardian may only pause, revoke and abandon an upload.
interface ISolvencyAttestor is ISolvencyAttestorErrors, ISolvencyAttestorEvents {
    /// @notice A vault's last attestation.
    /// @param epoch Its epoch (0 before the first).
    /// @param attestedAt Its block timestamp (0 before the first).
    /// @param validUntil Last second at which it is fresh: `attestedAt` plus the vault's maximum age when it was made,
    ///        possibly shortened by {syncSolvency} (0 before the first, after a revocation and after a governance
    ///        change of the vault's parameters).
    /// @param generation The vault's configuration generation when it was made.
    /// @param liabilitiesRoot The epoch's accumulator over its batches (see {accumulate}), as an integer.
    /// @param totalsHash `keccak256(abi.encodePacked(totals))`: the per-asset totals, one 32-byte word each.
    struct Attestation {
        uint64 epoch;
        uint64 attestedAt;
        uint64 validUntil;
        uint64 generation;
        uint256 liabilitiesRoot;
        bytes32 totalsHash;
    }

    /// @notice Where a vault's last upload stands.
    /// @param None No upload was ever begun.
    /// @param Open Begun, not sealed, and its window has not passed: only its uploader may continue and seal it.
    /// @param Expired Begun, not sealed, and its window has passed: it can no longer be continued or sealed.
    /// @param Sealed Sealed: its epoch is the vault's attestation (unless a later one replaced it).
    /// @param Abandoned Abandoned before its seal.
    enum UploadState {
        None,
        Open,
        Expired,
        Sealed,
        Abandoned
    }

    /// @notice A vault's last upload (the fields of the last one begun, whatever its state).
    /// @param state Where it stands.
    /// @param agent Its uploader.
    /// @param epoch Its epoch (the last epoch begun for the vault).
    /// @param deadline Its deadline.
    /// @param expiresAt Last second at which it could be continued or sealed.
    /// @param batchCount Its number of batches.
    /// @param received Batches accepted so far (the next batch's index).
    /// @param accumulator The accumulator after the batches received.
    /// @param totals The per-asset sums of the batches received (one per asset).
    struct Upload {
        UploadState state;
        address agent;
        uint64 epoch;
        uint64 deadline;
        uint64 expiresAt;
        uint32 batchCount;
        uint32 received;
        bytes32 accumulator;
        uint256[] totals;
    }

    /// @notice One asset's part in the coverage checks (token units unless said otherwise).
    /// @param holding The vault's accounted holding.
    /// @param debt The vault's debt.
    /// @param reserve The registered proof-of-reserve feed's answer in token units (0 without a feed).
    /// @param assets `max(holding - debt, 0) + reserve`.
    /// @param liabilities The total owed to depositors plus `max(debt - holding, 0)`.
    /// @param price The asset's price, USD at 1e8.
    /// @param haircutBps The vault's haircut of the asset, basis points.
    struct AssetCoverage {
        uint256 holding;
        uint256 debt;
        uint256 reserve;
        uint256 assets;
        uint256 liabilities;
        uint256 price;
        uint16 haircutBps;
    }

    // ---------------------------------------------------------------- the multi-transaction epoch

    /// @notice Begins uploading `vault`'s epoch `epoch` of `batchCount` batches; the caller (registered and active for
    ///         the vault) becomes its uploader. The epoch is burnt from now on, whether it is sealed or not. The
    ///         vault's previous attestation stands as it is until the seal.
    /// @dev Reverts when paused; {DeadlinePassed}; {AgentNotAuthorized}; {VaultAssetCountMismatch};
    ///      {VaultNotConfigured}; {UploadInProgress} while the vault's last upload is open; {EpochNotIncreasing}
    ///      unless `epoch` is above both the last attested and the last begun epoch, {EpochTooFarAhead} when it is
    ///      more than `MAX_EPOCH_STEP` above them; {InvalidBatchCount}. The upload
    ///      expires at `block.timestamp + uploadWindow(vault)`.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param deadline Unix time after which no batch of the epoch is accepted and it cannot be sealed (part of every
    ///        batch's proven statement).
    /// @param batchCount The number of batches, 1 to {MAX_BATCH_COUNT} (part of every batch's proven statement).
    function beginEpoch(address vault, uint64 epoch, uint64 deadline, uint32 batchCount) external;

    /// @notice Accepts the next batch of the open upload of `vault`'s `epoch` (its uploader only): verifies its proof
    ///         for the statement of {publicInputs}, then continues the accumulator and adds the sums to the totals.
    /// @dev Reverts when paused; {NotUploading}; {NotUploader}; {UploadExpired}; {DeadlinePassed};
    ///      {BatchIndexOutOfRange}; {BatchOutOfOrder} unless `batchIndex` is the next one (a repeated or skipped
    ///      batch); {SumsLengthMismatch}, {ValueOutOfRange} (a sum not below `2^SUM_BITS`), {RootNotInField};
    ///      {InvalidProof}; {ValueOutOfRange} when a running total reaches 2^96 (such an epoch could never be sealed).
    /// @param vault The vault.
    /// @param epoch The epoch being uploaded.
    /// @param batchIndex The batch's index: the number of batches accepted so far.
    /// @param batchRoot The batch tree's root hash (below r).
    /// @param sums The batch's per-asset sums, token units (one per asset, each below `2^SUM_BITS`).
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function submitBatch(
        address vault,
        uint64 epoch,
        uint32 batchIndex,
        uint256 batchRoot,
        uint256[] calldata sums,
        uint256[8] calldata proof
    ) external;

    /// @notice Seals the open upload of `vault`'s `epoch` once all its batches are in (its uploader only): checks the
    ///         coverage of the epoch's totals now and records the attestation (the accumulator as `liabilitiesRoot`),
    ///         which replaces the vault's previous one and opens the registry's gate.
    /// @dev Reverts when paused; {NotUploading}; {NotUploader}; {UploadExpired}; {DeadlinePassed};
    ///      {EpochIncomplete}; {AgentNotAuthorized} when the uploader is no longer registered and active; then the
    ///      coverage checks as {checkCoverage} (the totals each below 2^96).
    /// @param vault The vault.
    /// @param epoch The epoch being uploaded.
    function sealEpoch(address vault, uint64 epoch) external;

    /// @notice Abandons `vault`'s open upload (its uploader, the guardian or the owner; also while paused), so that
    ///         a new epoch can begin at once. Its epoch stays burnt.
    /// @dev Reverts with {NotUploading} (epoch 0) when the vault has no open upload, {UnauthorizedAbandon} for anyone
    ///      else.
    /// @param vault The vault.
    function abandonUpload(address vault) external;

    /// @notice Attests `vault`'s solvency at `epoch` with a one-batch epoch in one transaction: the checks of
    ///         {beginEpoch}, {submitBatch} (batch 0 of 1) and {sealEpoch} at once. The caller must be registered and
    ///         active for `vault`; the proof is bound to it.
    /// @dev Refused with {UploadInProgress} while the vault's last upload is open.
    /// @param vault The vault (its asset count must be the attestor's; governance must have configured it).
    /// @param epoch The epoch: above the vault's last attested and last begun epoch.
    /// @param deadline Unix time after which the attestation is refused (part of the proven statement).
    /// @param batchRoot The batch tree's root hash (below r).
    /// @param sums The per-asset sums, token units (one per asset, each below `2^SUM_BITS` and 2^96): the totals.
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 batchRoot,
        uint256[] calldata sums,
        uint256[8] calldata proof
    ) external;

    /// @notice Sets how long a vault's upload may stay unsealed (owner only). Uploads begun before keep their
    ///         expiry; the vault's attestation is not affected.
    /// @param vault The vault.
    /// @param window Seconds, 60 to 7 days (the default, while unset, is 1 hour).
    function setUploadWindow(address vault, uint64 window) external;

    // ---------------------------------------------------------------- statement views

    /// @notice The public inputs of batch `batchIndex` of `batchCount` of `vault`'s `epoch` by `agent`:
    ///         `[binding, batchRoot, word_0, ..]` with `word_j = sum_{i < LANES} sums[j·LANES + i] << (SUM_BITS · i)`.
    ///         A function of its arguments, this contract and the chain only (no state is checked).
    /// @dev Reverts with {InvalidBatchCount}, {BatchIndexOutOfRange}, {SumsLengthMismatch}, {ValueOutOfRange} (a sum
    ///      not below `2^SUM_BITS`) or {RootNotInField}.
    /// @param agent The uploading agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param deadline The epoch's deadline.
    /// @param batchIndex The batch's index.
    /// @param batchCount The epoch's number of batches.
    /// @param batchRoot The batch tree's root hash.
    /// @param sums The batch's per-asset sums.
    /// @return inputs The public inputs, in the circuit's order ({inputCount} of them).
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint32 batchIndex,
        uint32 batchCount,
        uint256 batchRoot,
        uint256[] calldata sums
    ) external view returns (uint256[] memory inputs);

    /// @notice The call-context hash a batch proof is bound to: the agent, this attestor (the verifying contract),
    ///         the vault, the chain, the epoch (the vault's nonce), the deadline, the batch's index and the epoch's
    ///         batch count.
    /// @param agent The uploading agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param deadline The epoch's deadline.
    /// @param batchIndex The batch's index.
    /// @param batchCount The epoch's number of batches.
    /// @return The low 253 bits of `keccak256(abi.encode(agent, address(this), vault, block.chainid, epoch, deadline,
    ///         batchIndex, batchCount))`.
    function binding(address agent, address vault, uint64 epoch, uint64 deadline, uint32 batchIndex, uint32 batchCount)
        external
        view
        returns (uint256);

    /// @notice One link of an epoch's published chain: `keccak256(abi.encodePacked(acc, batchRoot, sums))` (the
    ///         accumulator, the root and each sum as 32-byte big-endian words). An epoch's chain starts at zero.
    /// @param acc The accumulator before the batch.
    /// @param batchRoot The batch's root hash.
    /// @param sums The batch's per-asset sums.
    /// @return The accumulator after the batch.
    function accumulate(bytes32 acc, uint256 batchRoot, uint256[] calldata sums) external pure returns (bytes32);

    /// @notice Number of public inputs of a batch proof: `2 + ceil(ASSET_COUNT / LANES)`.
    /// @return The count (5 for 8 assets, 64-bit balances and batch depth 2).
    function inputCount() external view returns (uint256);

    /// @notice A vault's last upload (see {Upload}).
    /// @param vault The vault.
    /// @return The upload (state {UploadState.None} and all zero before the first).
    function upload(address vault) external view returns (Upload memory);

    /// @notice How long an upload of `vault` may stay unsealed.
    /// @param vault The vault.
    /// @return Seconds (1 hour until governance sets it).
    function uploadWindow(address vault) external view returns (uint64);

    /// @notice What the coverage checks see for `vault` with liabilities `totals`, now: per asset, and check 2's two
    ///         sides, `haircutValue = sum h·A·p·s` and `requiredValue = (10,000 + margin) · sum L·p·s` with
    ///         `s = 10^(18 - tokenDecimals)`. Reads everything a seal reads and reverts on what it refuses (bad or
    ///         stale feeds, widths, the vault's asset count, the totals' count), but not on a shortfall.
    /// @param vault The vault.
    /// @param totals The per-asset totals of the liabilities.
    /// @return assets Each asset's part.
    /// @return haircutValue Check 2's left side.
    /// @return requiredValue Check 2's right side.
    function coverage(address vault, uint256[] calldata totals)
        external
        view
        returns (AssetCoverage[] memory assets, uint256 haircutValue, uint256 requiredValue);

    /// @notice Reverts with the first failed coverage check of `vault` with liabilities `totals` now (as
    ///         {sealEpoch} and {attestSolvency} would): {VaultNotConfigured}, then the vault's `checkSettled` (no vault operation in
    ///         progress, the L2 sequencer up past its grace period; the vault's own errors), then what {coverage}
    ///         refuses, then check 1 per asset
    ///         ({AssetNotCovered}), then check 2 ({ValueNotCovered}).
    /// @param vault The vault.
    /// @param totals The per-asset totals of the liabilities.
    function checkCoverage(address vault, uint256[] calldata totals) external view;

    /// @notice Whether `vault` has a fresh attestation (not revoked or ended, at most its maximum age old) made
    ///         under the vault's current configuration generation.
    /// @param vault The vault.
    /// @return True when solvent by a fresh attestation.
    function isSolvent(address vault) external view returns (bool);

    /// @notice Re-times a vault's attestation (anyone may call it): `validUntil` becomes
    ///         `min(validUntil, attestedAt + maxAttestationAge(vault))`, or 0 when the vault's configuration
    ///         generation has moved since the attestation; mirrored to the registry. It never extends one.
    /// @param vault The vault.
    function syncSolvency(address vault) external;

    /// @notice Revokes a vault's attestation at once (guardian or owner): {isSolvent} is false and the registry
    ///         stops its agents' risk-increasing trades until one of them attests again.
    /// @param vault The vault.
    function revokeAttestation(address vault) external;

    /// @notice A vault's last attestation.
    /// @param vault The vault.
    /// @return The attestation (all zero before the first).
    function attestation(address vault) external view returns (Attestation memory);

    /// @notice Sets a vault's haircut of an asset (owner only); a change ends the vault's fresh attestation.
    /// @param vault The vault.
    /// @param asset The asset index.
    /// @param haircutBps The share of the asset's assets counted, basis points (at most 10,000).
    function setHaircut(address vault, uint256 asset, uint16 haircutBps) external;

    /// @notice Sets a vault's margin over its liabilities' value (owner only); a change ends the vault's fresh
    ///         attestation.
    /// @param vault The vault.
    /// @param marginBps The margin, basis points.
    function setMargin(address vault, uint16 marginBps) external;

    /// @notice Sets a vault's maximum attestation age (owner only); a change ends the vault's fresh attestation. A
    ///         vault is accepted for attestations once it has one.
    /// @param vault The vault.
    /// @param maxAge Seconds, 1 to 365 days.
    function setMaxAttestationAge(address vault, uint64 maxAge) external;

    /// @notice Registers, replaces or removes a vault's proof-of-reserve feed of an asset (owner only): an
    ///         `AggregatorV3Interface` whose answer is the amount of the asset held for the vault elsewhere, in the
    ///         feed's decimals (read and checked now). A change ends the vault's fresh attestation.
    /// @param vault The vault.
    /// @param asset The asset index.
    /// @param feed The feed (zero removes it).
    /// @param heartbeat Largest accepted age of its answer, seconds (nonzero; ignored when removing).
    function setReserveFeed(address vault, uint256 asset, AggregatorV3Interface feed, uint32 heartbeat) external;

    /// @notice A vault's haircut of an asset.
    /// @param vault The vault.
    /// @param asset The asset index.
    /// @return Basis points of the asset's assets counted (0 until set: the asset counts for nothing).
    function haircut(address vault, uint256 asset) external view returns (uint16);

    /// @notice A vault's margin over its liabilities' value.
    /// @param vault The vault.
    /// @return Basis points.
    function margin(address vault) external view returns (uint16);

    /// @notice A vault's maximum attestation age.
    /// @param vault The vault.
    /// @return Seconds (0: not configured, no attestation accepted).
    function maxAttestationAge(address vault) external view returns (uint64);

    /// @notice A vault's proof-of-reserve feed of an asset.
    /// @param vault The vault.
    /// @param asset The asset index.
    /// @return feed The feed (zero: none).
    /// @return heartbeat Largest accepted age of its answer, seconds.
    /// @return decimals The feed's decimals, read at registration.
    function reserveFeed(address vault, uint256 asset)
        external
        view
        returns (address feed, uint32 heartbeat, uint8 decimals);

    /// @notice Sets the guardian, who may pause attestations (owner only).
    /// @param newGuardian The guardian.
    function setGuardian(address newGuardian) external;

    /// @notice Pauses attestations, uploads and seals (guardian or owner); stored attestations keep ageing and open
    ///         uploads keep expiring.
    function pause() external;

    /// @notice Resumes attestations (owner only).
    function unpause() external;

    /// @notice The registry that authorises attesting agents per vault and records each vault's freshness and
    ///         generation (read by the vaults on every trade).
    /// @return The registry.
    // forge-lint: disable-next-line(mixed-case-function)
    function REGISTRY() external view returns (IProofGateRegistry);

    /// @notice The generated Groth16 verifier of the solvency circuit.
    /// @return The verifier.
    // forge-lint: disable-next-line(mixed-case-function)
    function VERIFIER() external view returns (IRiskVerifier);

    /// @notice Number of assets: the `n` of the verifier's public-input layout.
    /// @return The count.
    // forge-lint: disable-next-line(mixed-case-function)
    function ASSET_COUNT() external view returns (uint256);

    /// @notice Bits of a depositor's balance in the batch circuit (`B`).
    /// @return The width.
    // forge-lint: disable-next-line(mixed-case-function)
    function BALANCE_BITS() external view returns (uint256);

    /// @notice Depth of a batch: a batch has `2^BATCH_DEPTH` leaves (`k`).
    /// @return The depth.
    // forge-lint: disable-next-line(mixed-case-function)
    function BATCH_DEPTH() external view returns (uint256);

    /// @notice Bits of a batch's per-asset sum, `BALANCE_BITS + BATCH_DEPTH`: each sum is below `2^SUM_BITS`.
    /// @return The width.
    // forge-lint: disable-next-line(mixed-case-function)
    function SUM_BITS() external view returns (uint256);

    /// @notice Sums packed per public input, `floor(253 / SUM_BITS)`.
    /// @return The count.
    // forge-lint: disable-next-line(mixed-case-function)
    function LANES() external view returns (uint256);

    /// @notice The guardian, who may pause attestations.
    /// @return The guardian's address.
    function guardian() external view returns (address);
}
