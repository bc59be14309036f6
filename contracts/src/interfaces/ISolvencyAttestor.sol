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

    /// @notice The agent has no vault set by governance, so it cannot attest.
    /// @param agent The agent (the caller of an attestation).
    error AgentNotRegistered(address agent);

    /// @notice The epoch is not above the agent's last attested epoch (a replayed or older attestation).
    /// @param epoch The refused epoch.
    /// @param lastEpoch The agent's last attested epoch (0 before the first attestation).
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

    /// @notice The agent has no attestation to revoke or re-time.
    /// @param agent The agent.
    error NoAttestation(address agent);
}

/// @title ISolvencyAttestorEvents
/// @notice Events of {SolvencyAttestor}: the audit trail of attestations and of every parameter change. (Pausing
///         emits OpenZeppelin's `Paused` and `Unpaused`.)
interface ISolvencyAttestorEvents {
    /// @notice An agent attested its fund's solvency.
    /// @param agent The agent.
    /// @param vault Its vault.
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

    /// @notice An agent's vault changed (zero: the agent can no longer attest).
    /// @param agent The agent.
    /// @param previous The previous vault.
    /// @param vault The new vault.
    event AgentVaultUpdated(address indexed agent, address indexed previous, address indexed vault);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);

    /// @notice An agent's attestation is fresh until `validUntil` (set by an attestation, a sync after a change
    ///         of the maximum age, a revocation or a change of vault, which set it to 0).
    /// @param agent The agent.
    /// @param validUntil Last second at which it is fresh (0: none).
    event SolvencyValidUntil(address indexed agent, uint64 validUntil);

    /// @notice The guardian or the owner revoked an agent's attestation (for example after an off-chain audit
    ///         failed); the agent must attest again.
    /// @param agent The agent.
    /// @param by Who revoked it.
    event AttestationRevoked(address indexed agent, address indexed by);
}

/// @title ISolvencyAttestor
/// @notice Agents attest, with a Groth16 proof, that their fund is solvent: the vault's holdings plus committed
///         positions held elsewhere cover the liabilities to depositors (committed in a Merkle-sum tree), per
///         asset and in total, with governed haircuts and margin, at the feeds' prices of the attestation's block.
///         Other contracts read {isSolvent}. Parameters are the owner's (a `TimelockController`); the guardian may
///         only pause.
interface ISolvencyAttestor is ISolvencyAttestorErrors, ISolvencyAttestorEvents {
    /// @notice An agent's last attestation.
    /// @param epoch Its epoch (0 before the first).
    /// @param attestedAt Its block timestamp (0 before the first, and after the agent's vault changed).
    /// @param validUntil Last second at which it is fresh: `attestedAt` plus the maximum age when it was made or last
    ///        synced (0 before the first, after a revocation and after the agent's vault changed).
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

    /// @notice Attests the calling agent's solvency for its vault at `epoch`.
    /// @param epoch The epoch: above the agent's last attested epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash (below r).
    /// @param totals The liabilities' per-asset totals, token units (one per asset, each below 2^96).
    /// @param offVaultCommitment The new off-vault commitment (below r), chained from the stored one.
    /// @param proof The Groth16 proof, [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function attestSolvency(
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment,
        uint256[8] calldata proof
    ) external;

    /// @notice The public inputs `agent` must prove for an attestation now, with the vault's holdings and the
    ///         feeds' prices of now; reverts as {attestSolvency} would before verifying.
    /// @param agent The agent.
    /// @param epoch The epoch.
    /// @param liabilitiesRoot The liabilities tree's root hash.
    /// @param totals The per-asset totals.
    /// @param offVaultCommitment The new off-vault commitment.
    /// @return inputs The public inputs, in the circuit's order.
    function publicInputs(
        address agent,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment
    ) external view returns (uint256[] memory inputs);

    /// @notice The call-context hash an attestation is bound to, on this chain.
    /// @param agent The agent.
    /// @param vault Its vault.
    /// @param epoch The epoch.
    /// @return The low 253 bits of `keccak256(abi.encode(agent, vault, block.chainid, epoch))`.
    function binding(address agent, address vault, uint64 epoch) external view returns (uint256);

    /// @notice Whether `agent` has a fresh attestation (for its current vault, not revoked, at most the maximum age
    ///         in force when it was made or last synced old).
    /// @param agent The agent.
    /// @return True when solvent by a fresh attestation.
    function isSolvent(address agent) external view returns (bool);

    /// @notice Re-times an agent's attestation with the maximum age in force now (anyone may call it, so that a
    ///         change of {maxAttestationAge} reaches every agent, shorter or longer); mirrored to the registry.
    /// @param agent The agent.
    function syncSolvency(address agent) external;

    /// @notice Revokes an agent's attestation at once (guardian or owner): {isSolvent} is false and the registry
    ///         stops its risk-increasing trades until it attests again.
    /// @param agent The agent.
    function revokeAttestation(address agent) external;

    /// @notice The registry the attestor records freshness in (read by the vaults on every trade); zero for none.
    /// @return The registry.
    // forge-lint: disable-next-line(mixed-case-function)
    function REGISTRY() external view returns (IProofGateRegistry);

    /// @notice An agent's last attestation.
    /// @param agent The agent.
    /// @return The attestation (all zero before the first).
    function attestation(address agent) external view returns (Attestation memory);

    /// @notice Sets the vault an agent attests for (owner only). A change of vault voids the agent's current
    ///         attestation ({isSolvent} is false until the next one); its epoch and commitment chain are kept.
    /// @param agent The agent.
    /// @param vault Its vault (zero: the agent can no longer attest).
    function setAgentVault(address agent, address vault) external;

    /// @notice Sets the margin (owner only).
    /// @param marginBps The margin, basis points.
    function setMargin(uint16 marginBps) external;

    /// @notice Sets an asset's haircut (owner only).
    /// @param asset The asset index.
    /// @param haircutBps The share of the asset's units counted, basis points (at most 10,000).
    function setHaircut(uint256 asset, uint16 haircutBps) external;

    /// @notice Sets the maximum attestation age (owner only); applies to attestations made from now on, and to an
    ///         earlier one once {syncSolvency} is called for its agent.
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

    /// @notice The vault an agent attests for.
    /// @param agent The agent.
    /// @return The vault (zero when none).
    function agentVault(address agent) external view returns (address);

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
