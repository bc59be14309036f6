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
        Price
    }

    /// @notice A required address is zero.
    error ZeroAddress();

    /// @notice The asset count is outside 1..16 (the solvency circuit's range).
    /// @param assetCount The refused count.
    error UnsupportedAssetCount(uint256 assetCount);

    /// @notice The verifier's public-input count is not `2 + ceil(n / 2)` for the attestor's asset count `n`.
    /// @param verifierInputs What the verifier expects.
    /// @param layoutInputs What the layout has.
    error VerifierInputCountMismatch(uint256 verifierInputs, uint256 layoutInputs);

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

    /// @notice The epoch is not above the vault's last attested epoch (a replayed or older attestation).
    /// @param epoch The refused epoch.
    /// @param lastEpoch The vault's last attested epoch (0 before the first attestation).
    error EpochNotIncreasing(uint64 epoch, uint64 lastEpoch);

    /// @notice The number of totals is not the attestor's asset count.
    /// @param given Totals given.
    /// @param expected The asset count.
    error TotalsLengthMismatch(uint256 given, uint256 expected);

    /// @notice The liabilities root is not below the BN254 scalar order r, so no proof can carry it.
    /// @param root The refused root.
    error RootNotInField(uint256 root);

    /// @notice A value does not fit its width.
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
    ///         proof, or a good proof of another agent, vault, chain, epoch, root or totals) is this one.
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
    /// @notice An agent attested its vault's solvency. Depositors read the root hash and the totals from here.
    /// @param agent The attesting agent (registered and active for the vault).
    /// @param vault The vault.
    /// @param epoch The attestation's epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash (depositors check inclusion against it).
    /// @param totals The liabilities' per-asset totals, token units.
    /// @param generation The vault's configuration generation the attestation was made under.
    /// @param haircutValue Check 2's left side, `sum h·A·p·s`.
    /// @param requiredValue Check 2's right side, `(10,000 + margin) · sum L·p·s`.
    /// @param inputsHash `keccak256(abi.encode(publicInputs))`, the public inputs as a `uint256[]`.
    event SolvencyAttested(
        address indexed agent,
        address indexed vault,
        uint64 indexed epoch,
        uint256 liabilitiesRoot,
        uint256[] totals,
        uint64 generation,
        uint256 haircutValue,
        uint256 requiredValue,
        bytes32 inputsHash
    );

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

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);
}

/// @title ISolvencyAttestor
/// @notice A vault's agents attest that the vault's fund is solvent. A Groth16 proof shows that the liabilities to
///         depositors form a Merkle-sum tree (every balance range-checked) with the given root hash and per-asset
///         totals; the attestor reads the assets from the chain (the vault's holdings less its debts, plus positions
///         held elsewhere reported by governance-registered proof-of-reserve feeds) and checks the coverage itself,
///         per asset with the vault's haircuts and in total value with its margin, at the feeds' prices of the
///         attestation's block. Attestations are per vault: any agent registered and active for the vault may
///         attest, epochs increase per vault, and the registry's solvency gate of the vault follows the last one
///         while the vault's configuration generation is the one it was made under. Parameters are per vault and the
///         owner's (a `TimelockController`); each change ends the vault's fresh attestation. The guardian may only
///         pause and revoke.
interface ISolvencyAttestor is ISolvencyAttestorErrors, ISolvencyAttestorEvents {
    /// @notice A vault's last attestation.
    /// @param epoch Its epoch (0 before the first).
    /// @param attestedAt Its block timestamp (0 before the first).
    /// @param validUntil Last second at which it is fresh: `attestedAt` plus the vault's maximum age when it was made,
    ///        possibly shortened by {syncSolvency} (0 before the first, after a revocation and after a governance
    ///        change of the vault's parameters).
    /// @param generation The vault's configuration generation when it was made.
    /// @param liabilitiesRoot The liabilities tree's root hash.
    /// @param totalsHash `keccak256(abi.encodePacked(totals))`: the per-asset totals, one 32-byte word each.
    struct Attestation {
        uint64 epoch;
        uint64 attestedAt;
        uint64 validUntil;
        uint64 generation;
        uint256 liabilitiesRoot;
        bytes32 totalsHash;
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

    /// @notice Attests `vault`'s solvency at `epoch`; the caller must be registered and active for `vault` in the
    ///         registry, and the proof is bound to it (the attesting agent). Reverts unless both coverage checks
    ///         pass (see {checkCoverage}) and the proof verifies.
    /// @param vault The vault (its asset count must be the attestor's; governance must have configured it).
    /// @param epoch The epoch: above the vault's last attested epoch.
    /// @param deadline Unix time after which the attestation is refused (part of the proven statement).
    /// @param liabilitiesRoot The liabilities tree's root hash (below r).
    /// @param totals The liabilities' per-asset totals, token units (one per asset, each below 2^96).
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256[8] calldata proof
    ) external;

    /// @notice The public inputs `agent` must prove for an attestation of `vault`: `binding`, `liabilitiesRoot`, then
    ///         the totals two per element (`T_2i | T_2i+1 << 96`). Reverts as {attestSolvency} would before its
    ///         coverage checks (an agent not authorised for the vault included).
    /// @param agent The attesting agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param deadline The attestation's deadline.
    /// @param liabilitiesRoot The liabilities tree's root hash.
    /// @param totals The per-asset totals.
    /// @return inputs The public inputs, in the circuit's order.
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint64 deadline,
        uint256 liabilitiesRoot,
        uint256[] calldata totals
    ) external view returns (uint256[] memory inputs);

    /// @notice What the coverage checks see for `vault` with liabilities `totals`, now: per asset, and check 2's two
    ///         sides, `haircutValue = sum h·A·p·s` and `requiredValue = (10,000 + margin) · sum L·p·s` with
    ///         `s = 10^(18 - tokenDecimals)`. Reads everything an attestation reads and reverts on what it refuses
    ///         (bad or stale feeds, widths, the vault's asset count, the totals' count), but not on a shortfall.
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
    ///         {attestSolvency} would): {VaultNotConfigured}, then the vault's `checkSettled` (no vault operation in
    ///         progress, the L2 sequencer up past its grace period; the vault's own errors), then what {coverage}
    ///         refuses, then check 1 per asset
    ///         ({AssetNotCovered}), then check 2 ({ValueNotCovered}).
    /// @param vault The vault.
    /// @param totals The per-asset totals of the liabilities.
    function checkCoverage(address vault, uint256[] calldata totals) external view;

    /// @notice The call-context hash an attestation is bound to: the agent, this attestor (the verifying contract),
    ///         the vault, the chain, the epoch (the vault's nonce) and the deadline.
    /// @param agent The attesting agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param deadline The attestation's deadline.
    /// @return The low 253 bits of `keccak256(abi.encode(agent, address(this), vault, block.chainid, epoch, deadline))`.
    function binding(address agent, address vault, uint64 epoch, uint64 deadline) external view returns (uint256);

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

    /// @notice Pauses attestations (guardian or owner); stored attestations keep ageing.
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

    /// @notice The guardian, who may pause attestations.
    /// @return The guardian's address.
    function guardian() external view returns (address);
}
