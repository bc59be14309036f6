// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRiskVerifier} from "./IRiskVerifier.sol";
import {IProofGateRegistry} from "./IProofGateRegistry.sol";

/// @title ISolvencyAttestorErrors
/// @notice Custom errors of {SolvencyAttestor}.
interface ISolvencyAttestorErrors {
    /// @notice The packed statement fields whose width is checked (used to name the one that does not fit).
    enum Field {
        Holding,
        Price,
        Total
    }

    /// @notice A required address is zero.
    error ZeroAddress();

    /// @notice The asset count is outside 1..16 (the solvency circuit's range).
    /// @param assetCount The refused count.
    error UnsupportedAssetCount(uint256 assetCount);

    /// @notice The verifier's public-input count is not `5 + n + ceil(n / 2)` for the attestor's asset count `n`.
    /// @param verifierInputs What the verifier expects.
    /// @param layoutInputs What the layout has.
    error VerifierInputCountMismatch(uint256 verifierInputs, uint256 layoutInputs);

    /// @notice The maximum attestation age is zero.
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

    /// @notice The vault's asset count is not the attestor's.
    /// @param vault The vault.
    /// @param vaultAssets The vault's asset count.
    /// @param expected The attestor's asset count.
    error VaultAssetCountMismatch(address vault, uint256 vaultAssets, uint256 expected);

    /// @notice The caller is not registered and active for the vault in the registry, so it cannot attest for it.
    /// @param vault The vault.
    /// @param agent The agent (the caller of an attestation).
    error AgentNotAuthorized(address vault, address agent);

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

    /// @notice The off-vault commitment is not below the BN254 scalar order r, so no proof can carry it.
    /// @param commitment The refused commitment.
    error CommitmentNotInField(uint256 commitment);

    /// @notice A statement value does not fit its field's width.
    /// @param field Which field.
    /// @param asset The asset.
    /// @param value The value that does not fit.
    /// @param bits The field's width.
    error ValueOutOfRange(Field field, uint256 asset, uint256 value, uint256 bits);

    /// @notice A feed's answer is not positive, is above 2^128 - 1, or is zero once brought to 8 decimals.
    /// @param asset The asset.
    /// @param answer The feed's answer.
    error InvalidPrice(uint256 asset, int256 answer);

    /// @notice A feed's `updatedAt` is zero, in the future, or older than the vault's heartbeat for the asset.
    /// @param asset The asset.
    /// @param updatedAt The answer's `updatedAt`.
    error StalePrice(uint256 asset, uint256 updatedAt);

    /// @notice A token has more than 18 decimals, so its scale `10^(18 - decimals)` is not an integer.
    /// @param asset The asset.
    /// @param tokenDecimals The token's decimals.
    error UnsupportedDecimals(uint256 asset, uint8 tokenDecimals);

    /// @notice The proof does not verify for the statement the attestor computed. Every proof failure (a bad
    ///         proof, or a good proof of another agent, vault, chain, epoch, state or price) is this one.
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
    /// @notice An agent attested its vault's solvency.
    /// @param agent The attesting agent (registered and active for the vault).
    /// @param vault The vault.
    /// @param epoch The attestation's epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash (depositors check inclusion against it).
    /// @param previousCommitment The off-vault commitment the new one chains from.
    /// @param offVaultCommitment The new off-vault commitment.
    /// @param totals The liabilities' per-asset totals, token units.
    /// @param statementHash `keccak256(abi.encode(publicInputs))`, the public inputs as a `uint256[]`.
    event SolvencyAttested(
        address indexed agent,
        address indexed vault,
        uint64 indexed epoch,
        uint256 liabilitiesRoot,
        uint256 previousCommitment,
        uint256 offVaultCommitment,
        uint256[] totals,
        bytes32 statementHash
    );

    /// @notice The margin changed.
    /// @param previous The previous margin, basis points.
    /// @param margin The new margin, basis points.
    event MarginUpdated(uint16 previous, uint16 margin);

    /// @notice An asset's haircut changed.
    /// @param asset The asset.
    /// @param previous The previous haircut, basis points.
    /// @param haircut The new haircut, basis points.
    event HaircutUpdated(uint256 indexed asset, uint16 previous, uint16 haircut);

    /// @notice The maximum attestation age changed.
    /// @param previous The previous maximum age, seconds.
    /// @param maxAge The new maximum age, seconds.
    event MaxAttestationAgeUpdated(uint64 previous, uint64 maxAge);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);

    /// @notice A vault's attestation is fresh until `validUntil` (set by an attestation, a sync after a change
    ///         of the maximum age, or a revocation, which sets it to 0).
    /// @param vault The vault.
    /// @param validUntil Last second at which it is fresh (0: none).
    event SolvencyValidUntil(address indexed vault, uint64 validUntil);

    /// @notice The guardian or the owner revoked a vault's attestation (for example after an off-chain audit
    ///         failed); one of its agents must attest again.
    /// @param vault The vault.
    /// @param by Who revoked it.
    event AttestationRevoked(address indexed vault, address indexed by);
}

/// @title ISolvencyAttestor
/// @notice A vault's agents attest, with a Groth16 proof, that the vault's fund is solvent: the vault's holdings
///         plus committed positions held elsewhere cover the liabilities to depositors (committed in a Merkle-sum
///         tree), per asset and in total, with governed haircuts and margin, at the feeds' prices of the
///         attestation's block. Attestations are per vault (a vault's liabilities are the vault's): any agent
///         registered and active for the vault may attest, epochs increase per vault, and the registry's solvency
///         gate of the vault follows the last one. Other contracts read {isSolvent}. Parameters are the owner's (a
///         `TimelockController`); the guardian may only pause and revoke.
interface ISolvencyAttestor is ISolvencyAttestorErrors, ISolvencyAttestorEvents {
    /// @notice A vault's last attestation.
    /// @param epoch Its epoch (0 before the first).
    /// @param attestedAt Its block timestamp (0 before the first).
    /// @param validUntil Last second at which it is fresh: `attestedAt` plus the maximum age when it was made or last
    ///        synced (0 before the first and after a revocation).
    /// @param liabilitiesRoot The liabilities tree's root hash.
    /// @param offVaultCommitment The off-vault commitment (the next attestation's previous commitment).
    /// @param totalsHash `keccak256(abi.encodePacked(totals))`: the per-asset totals, one 32-byte word each.
    struct Attestation {
        uint64 epoch;
        uint64 attestedAt;
        uint64 validUntil;
        uint256 liabilitiesRoot;
        uint256 offVaultCommitment;
        bytes32 totalsHash;
    }

    /// @notice Attests `vault`'s solvency at `epoch`; the caller must be registered and active for `vault` in the
    ///         registry, and the proof is bound to it (the attesting agent).
    /// @param vault The vault (its asset count must be the attestor's).
    /// @param epoch The epoch: above the vault's last attested epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash (below r).
    /// @param totals The liabilities' per-asset totals, token units (one per asset, each below 2^96).
    /// @param offVaultCommitment The new off-vault commitment (below r), chained from the vault's stored one.
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment,
        uint256[8] calldata proof
    ) external;

    /// @notice The public inputs `agent` must prove for an attestation of `vault` now, with the vault's holdings and
    ///         the feeds' prices of now; reverts as {attestSolvency} would before verifying (an agent not
    ///         authorised for the vault included).
    /// @param agent The attesting agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash.
    /// @param totals The per-asset totals.
    /// @param offVaultCommitment The new off-vault commitment.
    /// @return inputs The public inputs, in the circuit's order.
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment
    ) external view returns (uint256[] memory inputs);

    /// @notice The call-context hash an attestation is bound to, on this chain.
    /// @param agent The attesting agent.
    /// @param vault The vault.
    /// @param epoch The epoch.
    /// @return The low 253 bits of `keccak256(abi.encode(agent, vault, block.chainid, epoch))`.
    function binding(address agent, address vault, uint64 epoch) external view returns (uint256);

    /// @notice Whether `vault` has a fresh attestation (not revoked, at most the maximum age in force when it was
    ///         made or last synced old).
    /// @param vault The vault.
    /// @return True when solvent by a fresh attestation.
    function isSolvent(address vault) external view returns (bool);

    /// @notice Re-times a vault's attestation with the maximum age in force now (anyone may call it, so that a
    ///         change of {maxAttestationAge} reaches every vault, shorter or longer); mirrored to the registry.
    /// @param vault The vault.
    function syncSolvency(address vault) external;

    /// @notice Revokes a vault's attestation at once (guardian or owner): {isSolvent} is false and the registry
    ///         stops its agents' risk-increasing trades until one of them attests again.
    /// @param vault The vault.
    function revokeAttestation(address vault) external;

    /// @notice The registry that authorises attesting agents per vault and records each vault's freshness (read by
    ///         the vaults on every trade).
    /// @return The registry.
    // forge-lint: disable-next-line(mixed-case-function)
    function REGISTRY() external view returns (IProofGateRegistry);

    /// @notice A vault's last attestation.
    /// @param vault The vault.
    /// @return The attestation (all zero before the first).
    function attestation(address vault) external view returns (Attestation memory);

    /// @notice Sets the margin (owner only).
    /// @param marginBps The margin, basis points.
    function setMargin(uint16 marginBps) external;

    /// @notice Sets an asset's haircut (owner only).
    /// @param asset The asset index.
    /// @param haircutBps The share of the asset's units counted, basis points (at most 10,000).
    function setHaircut(uint256 asset, uint16 haircutBps) external;

    /// @notice Sets the maximum attestation age (owner only); applies to attestations made from now on, and to an
    ///         earlier one once {syncSolvency} is called for its vault.
    /// @param maxAge Seconds (nonzero).
    function setMaxAttestationAge(uint64 maxAge) external;

    /// @notice Sets the guardian, who may pause attestations (owner only).
    /// @param newGuardian The guardian.
    function setGuardian(address newGuardian) external;

    /// @notice Pauses attestations (guardian or owner); stored attestations keep ageing.
    function pause() external;

    /// @notice Resumes attestations (owner only).
    function unpause() external;

    /// @notice The generated Groth16 verifier of the solvency circuit.
    /// @return The verifier.
    // forge-lint: disable-next-line(mixed-case-function)
    function VERIFIER() external view returns (IRiskVerifier);

    /// @notice Number of assets: the `n` of the verifier's public-input layout.
    /// @return The count.
    // forge-lint: disable-next-line(mixed-case-function)
    function ASSET_COUNT() external view returns (uint256);

    /// @notice The margin over the liabilities' value.
    /// @return Basis points.
    function margin() external view returns (uint16);

    /// @notice An asset's haircut.
    /// @param asset The asset index.
    /// @return Basis points of the asset's units counted.
    function haircut(uint256 asset) external view returns (uint16);

    /// @notice The largest age of an attestation {isSolvent} accepts.
    /// @return Seconds.
    function maxAttestationAge() external view returns (uint64);

    /// @notice The guardian, who may pause attestations.
    /// @return The guardian's address.
    function guardian() external view returns (address);
}
