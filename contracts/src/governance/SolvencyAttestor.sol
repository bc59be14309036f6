// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ProofGateVault} from "../ProofGateVault.sol";
import {IProofGateRegistry} from "../interfaces/IProofGateRegistry.sol";
import {IProofGateVault} from "../interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../interfaces/IRiskVerifier.sol";
import {ISolvencyAttestor} from "../interfaces/ISolvencyAttestor.sol";

/// @title SolvencyAttestor
/// @notice Records vaults' Groth16-proven solvency attestations, made by their agents: the vault's holdings plus
///         committed off-vault positions cover the liabilities to depositors, per asset in units and in haircut
///         value, and in total value with the governed margin. {isSolvent} is true while a vault's last
///         attestation is fresh.
/// @dev The attestor computes every public input itself, in the order and packing of the prover's statement
///      (`prover/src/solvency/attestation.rs`, `SolvencyStatement::public_inputs`), for `n` assets:
///      1. `binding = keccak256(abi.encode(agent, vault, chainId, epoch)) & (2^253 - 1)`;
///      2. the liabilities tree's root hash (below r; depositors check inclusion against it);
///      3. the vault's previous off-vault commitment (0 before its first attestation);
///      4. the new off-vault commitment (below r);
///      5. `epoch | margin << 64`;
///      6. per asset `a`: `holding_a | price_a << 96 | haircut_a << 160 | scale_a << 176`, where `holding_a` is
///         the vault's accounted holding (below 2^96), `price_a` the feed's answer at 8 decimals (positive, below
///         2^64), `haircut_a` the governed haircut (basis points, at most 10,000) and
///         `scale_a = 10^(18 - tokenDecimals_a)` (token decimals at most 18);
///      7. the totals, two per element: `T_2i | T_2i+1 << 96` (each below 2^96; the last element's high half
///         is 0 for odd `n`).
///      That is `5 + n + ceil(n / 2)` inputs, every one below r (the widest packed element has 240 bits).
///
///      Prices are read as the vault reads them: the asset's feed and heartbeat from `vault.asset(a)`,
///      `0 < answer <= 2^128 - 1`, `updatedAt` nonzero, not in the future and at most the heartbeat old; the
///      answer is brought to 8 decimals as `answer · 10^8 / 10^feedDecimals`, rounded down (the vault's valuation
///      rule for the price alone; exact for 8-decimal feeds).
///
///      Every external call (vault, feeds, verifier) is a view, so a STATICCALL: nothing can re-enter.
///
///      Attestations are per vault: the registry says which agents may attest for a vault (those registered and
///      active for it), epochs and the off-vault commitment chain are the vault's, and the registry's solvency gate
///      of the vault follows its last attestation, whichever of its agents made it. The owner is meant to be a
///      `TimelockController`; the guardian may only pause attestations and revoke one.
contract SolvencyAttestor is ISolvencyAttestor, Ownable2Step, Pausable {
    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Most assets the solvency circuit supports.
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Basis points in one: the largest haircut.
    uint16 public constant BPS = 10_000;
    /// @notice Decimals of a price in the statement (Chainlink's USD convention).
    uint256 public constant PRICE_DECIMALS = 8;
    /// @notice Decimals every token is scaled to in the statement.
    uint8 public constant SCALED_DECIMALS = 18;
    /// @notice Largest accepted feed answer (as the vault's `MAX_ANSWER`).
    uint256 public constant MAX_ANSWER = type(uint128).max;

    // Widths of the statement's fields: copies of prover/src/solvency/attestation.rs (AMOUNT_BITS, PRICE_BITS,
    // BPS_BITS, EPOCH_BITS), the source of truth. Change them there first.

    /// @notice Bits of a vault holding and of a total (token units).
    uint256 public constant AMOUNT_BITS = 96;
    /// @notice Bits of a price (USD at 1e8).
    uint256 public constant PRICE_BITS = 64;
    /// @notice Bits of a haircut or the margin.
    uint256 public constant BPS_BITS = 16;
    /// @notice Bits of the epoch.
    uint256 public constant EPOCH_BITS = 64;
    /// @notice The binding hash keeps its low 253 bits (always below r).
    uint256 public constant BINDING_MASK = (1 << 253) - 1;
    /// @notice Public inputs before the per-asset elements: binding, root, previous and new commitments, epoch.
    uint256 public constant LEADING_INPUTS = 5;
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
    /// @inheritdoc ISolvencyAttestor
    uint16 public margin;
    /// @inheritdoc ISolvencyAttestor
    uint64 public maxAttestationAge;
    /// @dev Haircuts by asset index, basis points: all sixteen in one slot (0 until governance sets them, so an
    ///      asset counts for nothing until then).
    uint16[MAX_ASSETS] private _haircuts;

    mapping(address vault => Attestation) private _attestations;

    /// @dev Only the guardian or the owner.
    modifier onlyPauser() {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedPauser(msg.sender);
        _;
    }

    /// @notice Deploys the attestor.
    /// @param initialOwner The owner: a `TimelockController` in production.
    /// @param initialGuardian The guardian, who may pause attestations (may be zero: then only the owner can).
    /// @param verifier The generated solvency verifier, for `assetCount` assets.
    /// @param assetCount Number of assets (1 to 16): the vaults' asset count and the circuit's.
    /// @param maxAge The largest age of an attestation {isSolvent} accepts, seconds (nonzero).
    /// @param registry The registry that authorises attesting agents per vault and whose solvency gate the vaults
    ///        read (it must name this contract its attestor).
    constructor(
        address initialOwner,
        address initialGuardian,
        IRiskVerifier verifier,
        uint256 assetCount,
        uint64 maxAge,
        IProofGateRegistry registry
    ) Ownable(initialOwner) {
        if (address(verifier) == address(0) || address(registry) == address(0)) {
            revert ZeroAddress();
        }
        if (assetCount == 0 || assetCount > MAX_ASSETS) revert UnsupportedAssetCount(assetCount);
        uint256 layoutInputs = inputCount(assetCount);
        uint256 verifierInputs = verifier.PUBLIC_INPUT_COUNT();
        if (verifierInputs != layoutInputs) revert VerifierInputCountMismatch(verifierInputs, layoutInputs);
        if (maxAge == 0 || maxAge > MAX_ATTESTATION_AGE_LIMIT) revert InvalidMaxAge();
        (VERIFIER, ASSET_COUNT, REGISTRY) = (verifier, assetCount, registry);
        guardian = initialGuardian;
        maxAttestationAge = maxAge;
        emit GuardianUpdated(address(0), initialGuardian);
        emit MaxAttestationAgeUpdated(0, maxAge);
    }

    /// @notice Always reverts: an owner-less attestor could never change its haircuts, margin or age again.
    function renounceOwnership() public pure override {
        revert OwnershipCannotBeRenounced();
    }

    /// @notice Number of public inputs of the solvency circuit for `assetCount` assets: `5 + n + ceil(n / 2)`.
    /// @param assetCount The number of assets.
    /// @return The count (17 for 8 assets).
    function inputCount(uint256 assetCount) public pure returns (uint256) {
        return LEADING_INPUTS + assetCount + (assetCount + 1) / 2;
    }

    // ---------------------------------------------------------------- attestations

    /// @inheritdoc ISolvencyAttestor
    function attestSolvency(
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment,
        uint256[8] calldata proof
    ) external whenNotPaused {
        (uint256 previous, uint256[] memory inputs) =
            _statement(msg.sender, vault, epoch, liabilitiesRoot, totals, offVaultCommitment);
        if (!VERIFIER.isValidProof(proof, inputs)) revert InvalidProof();
        Attestation storage record = _attestations[vault];
        (record.epoch, record.attestedAt) = (epoch, uint64(block.timestamp));
        _setValidUntil(vault, record, uint64(block.timestamp) + maxAttestationAge);
        (record.liabilitiesRoot, record.offVaultCommitment) = (liabilitiesRoot, offVaultCommitment);
        record.totalsHash = keccak256(abi.encodePacked(totals));
        emit SolvencyAttested(
            msg.sender,
            vault,
            epoch,
            liabilitiesRoot,
            previous,
            offVaultCommitment,
            totals,
            keccak256(abi.encode(inputs))
        );
    }

    /// @inheritdoc ISolvencyAttestor
    function publicInputs(
        address agent,
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment
    ) external view returns (uint256[] memory inputs) {
        (, inputs) = _statement(agent, vault, epoch, liabilitiesRoot, totals, offVaultCommitment);
    }

    /// @inheritdoc ISolvencyAttestor
    function binding(address agent, address vault, uint64 epoch) public view returns (uint256) {
        return uint256(keccak256(abi.encode(agent, vault, block.chainid, epoch))) & BINDING_MASK;
    }

    /// @inheritdoc ISolvencyAttestor
    function isSolvent(address vault) external view returns (bool) {
        // Ages are hours to days: a validator's few seconds of drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp <= _attestations[vault].validUntil;
    }

    /// @inheritdoc ISolvencyAttestor
    function syncSolvency(address vault) external {
        Attestation storage record = _attestations[vault];
        uint64 attestedAt = record.attestedAt;
        if (attestedAt == 0 || record.validUntil == 0) revert NoAttestation(vault);
        _setValidUntil(vault, record, attestedAt + maxAttestationAge);
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

    /// @inheritdoc ISolvencyAttestor
    function haircut(uint256 asset) external view returns (uint16) {
        _checkAsset(asset);
        return _haircuts[asset];
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc ISolvencyAttestor
    function setMargin(uint16 marginBps) external onlyOwner {
        emit MarginUpdated(margin, marginBps);
        margin = marginBps;
    }

    /// @inheritdoc ISolvencyAttestor
    function setHaircut(uint256 asset, uint16 haircutBps) external onlyOwner {
        _checkAsset(asset);
        if (haircutBps > BPS) revert InvalidHaircut(asset, haircutBps);
        emit HaircutUpdated(asset, _haircuts[asset], haircutBps);
        _haircuts[asset] = haircutBps;
    }

    /// @inheritdoc ISolvencyAttestor
    function setMaxAttestationAge(uint64 maxAge) external onlyOwner {
        if (maxAge == 0 || maxAge > MAX_ATTESTATION_AGE_LIMIT) revert InvalidMaxAge();
        emit MaxAttestationAgeUpdated(maxAttestationAge, maxAge);
        maxAttestationAge = maxAge;
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

    // ---------------------------------------------------------------- internals

    /// @dev Stores until when `vault`'s attestation is fresh and mirrors it to the registry's solvency gate.
    function _setValidUntil(address vault, Attestation storage record, uint64 validUntil) private {
        record.validUntil = validUntil;
        emit SolvencyValidUntil(vault, validUntil);
        REGISTRY.recordSolvency(vault, validUntil);
    }

    /// @dev The checks of an attestation of `vault` by `agent` before the proof (the agent registered and active
    ///      for the vault, the vault's asset count, the epoch, the ranges), and its public inputs (see the
    ///      contract's notes); also returns the vault's previous off-vault commitment.
    function _statement(
        address agent,
        address vault,
        uint64 epoch,
        uint256 liabilitiesRoot,
        uint256[] calldata totals,
        uint256 offVaultCommitment
    ) private view returns (uint256 previous, uint256[] memory inputs) {
        // Registered and active for this vault, with a model and parameters certified now: an agent governance has
        // stopped from trading (paused, or its model or limits decertified) cannot keep the vault's gate open.
        (,, bool active, bool modelCertified, bool paramsCertified,,,,) = REGISTRY.tradingStatus(vault, agent);
        if (!(active && modelCertified && paramsCertified)) revert AgentNotAuthorized(vault, agent);
        uint256 n = ASSET_COUNT;
        uint256 vaultAssets = ProofGateVault(vault).ASSET_COUNT();
        if (vaultAssets != n) revert VaultAssetCountMismatch(vault, vaultAssets, n);
        Attestation storage last = _attestations[vault];
        if (epoch <= last.epoch) revert EpochNotIncreasing(epoch, last.epoch);
        if (totals.length != n) revert TotalsLengthMismatch(totals.length, n);
        if (liabilitiesRoot >= SCALAR_FIELD_ORDER) revert RootNotInField(liabilitiesRoot);
        if (offVaultCommitment >= SCALAR_FIELD_ORDER) revert CommitmentNotInField(offVaultCommitment);
        previous = last.offVaultCommitment;

        inputs = new uint256[](inputCount(n));
        (inputs[0], inputs[1], inputs[2], inputs[3]) =
        (binding(agent, vault, epoch), liabilitiesRoot, previous, offVaultCommitment);
        inputs[4] = uint256(epoch) | (uint256(margin) << EPOCH_BITS);
        for (uint256 a = 0; a < n; ++a) {
            inputs[LEADING_INPUTS + a] = _assetElement(IProofGateVault(vault), a);
        }
        uint256 first = LEADING_INPUTS + n;
        for (uint256 a = 0; a < n; ++a) {
            uint256 total = totals[a];
            if (total >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Total, a, total, AMOUNT_BITS);
            inputs[first + a / 2] |= total << (AMOUNT_BITS * (a % 2));
        }
    }

    /// @dev Asset `a`'s element: `holding | price << 96 | haircut << 160 | scale << 176`.
    function _assetElement(IProofGateVault vault, uint256 a) private view returns (uint256) {
        IProofGateVault.AssetView memory entry = vault.asset(a);
        if (entry.holding >> AMOUNT_BITS != 0) revert ValueOutOfRange(Field.Holding, a, entry.holding, AMOUNT_BITS);
        if (entry.tokenDecimals > SCALED_DECIMALS) revert UnsupportedDecimals(a, entry.tokenDecimals);
        uint256 scale = 10 ** (SCALED_DECIMALS - entry.tokenDecimals);
        uint256 price = _price(entry, a);
        return entry.holding | (price << AMOUNT_BITS) | (uint256(_haircuts[a]) << (AMOUNT_BITS + PRICE_BITS))
            | (scale << (AMOUNT_BITS + PRICE_BITS + BPS_BITS));
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

    /// @dev Reverts unless `index` is below the asset count.
    function _checkAsset(uint256 index) private view {
        if (index >= ASSET_COUNT) revert UnknownAsset(index);
    }
}
