// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IProofGateRegistry} from "../interfaces/IProofGateRegistry.sol";

/// @title ProofGateRegistry
/// @notice Which models and risk parameters are certified, and which agents may trade which vault: an agent is
///         certified for a (vault, model, parameters) triple, under a loss budget. Vaults read it on every gated
///         trade, so a change here takes effect at once everywhere.
/// @dev The owner is meant to be an OpenZeppelin `TimelockController`: every certification, registration, loss
///      budget and revocation is then scheduled, public for the timelock's delay, and only then executed. The
///      guardian can only pause agents and zero their loss budgets (emergency stops without delay); undoing either
///      goes through the owner again.
///
///      Authority is per vault: an agent registered for vault A has no standing at vault B, even when both share
///      this registry and a verifier. The solvency gate is per vault too (a vault's liabilities are the vault's):
///      governance marks a vault as needing a fresh solvency attestation, and the attestor (a
///      {SolvencyAttestor}) records until when the vault's last valid attestation is fresh, whichever of its
///      agents made it. The vault's one registry read per trade ({tradingStatus}) tells it the agent's binding, the
///      certifications, the gate and the loss-budget terms.
///      Commitments are BN254 scalars; zero and values not below r are refused, since no proof can carry them.
contract ProofGateRegistry is IProofGateRegistry, Ownable2Step {
    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Basis points in one: the largest loss budget.
    uint16 public constant BPS = 10_000;
    /// @notice The shortest loss-budget refill window: a shorter one would refill the bucket so fast that the budget
    ///         bounded next to nothing (with a 1 s window an agent could lose its whole capacity every second).
    uint32 public constant MIN_LOSS_WINDOW = 1 hours;

    /// @dev A model: its id (see {_modelWords}; 0 until first certified), when it was last certified, its metadata.
    struct ModelRecord {
        uint32 id;
        uint64 certifiedAt;
        ModelMetadata metadata;
    }

    /// @dev A risk-parameter set, like {ModelRecord}.
    struct ParamsRecord {
        uint32 id;
        uint64 certifiedAt;
        bytes32 documentHash;
        string description;
    }

    /// @dev The certified flag's bit in a commitment word: commitments are below r < 2^254, so bit 255 is free.
    uint256 private constant CERTIFIED_FLAG = 1 << 255;
    /// @dev An agent word's layout (per vault and agent): model id in bits 0-31, parameters id in bits 32-63, active
    ///      flag in bit 64, loss budget (basis points) in bits 80-95, loss window (seconds) in bits 96-127.
    uint256 private constant ID_MASK = type(uint32).max;
    uint256 private constant PARAMS_ID_SHIFT = 32;
    uint256 private constant ACTIVE_FLAG = 1 << 64;
    uint256 private constant BUDGET_SHIFT = 80;
    uint256 private constant WINDOW_SHIFT = 96;
    /// @dev The loss-budget bits of an agent word, kept when it is rebound.
    uint256 private constant BUDGET_BITS =
        (uint256(type(uint16).max) << BUDGET_SHIFT) | (uint256(type(uint32).max) << WINDOW_SHIFT);
    /// @dev A vault word's layout: solvency-required flag in bit 0, reserve-asset mask in bits 16-31, attestation
    ///      fresh until (seconds) in bits 64-127, the vault configuration generation it was made under in bits
    ///      128-191.
    uint256 private constant SOLVENCY_REQUIRED_FLAG = 1;
    uint256 private constant RESERVE_SHIFT = 16;
    uint256 private constant VALID_UNTIL_SHIFT = 64;
    uint256 private constant GENERATION_SHIFT = 128;

    // Storage is laid out for the vault's read on every trade ({tradingStatus}): four storage slots, the agent's
    // word for the vault, the vault's solvency word, and the commitment words of the agent's model and parameters.
    // A commitment gets a small id when it is first certified (kept for good); its word holds the commitment and the
    // certified flag. An agent's word holds the two ids, its active flag and its loss-budget terms; 0 means not
    // registered (ids start at 1).

    /// @inheritdoc IProofGateRegistry
    address public guardian;
    /// @dev Ids handed out so far (beside the guardian, in its slot).
    uint32 private _modelIdCount;
    uint32 private _paramsIdCount;

    mapping(uint256 commitment => ModelRecord) private _models;
    mapping(uint256 commitment => ParamsRecord) private _params;
    /// @dev Model commitment words by id: the commitment, with {CERTIFIED_FLAG} while certified.
    mapping(uint256 id => uint256 word) private _modelWords;
    /// @dev Parameter commitment words by id, like {_modelWords}.
    mapping(uint256 id => uint256 word) private _paramsWords;
    /// @dev Agent words by vault (see {ID_MASK}).
    mapping(address vault => mapping(address agent => uint256 word)) private _agents;
    /// @dev Vault solvency words (see {SOLVENCY_REQUIRED_FLAG}).
    mapping(address vault => uint256 word) private _vaults;
    /// @inheritdoc IProofGateRegistry
    address public attestor;

    /// @dev Only the guardian or the owner.
    modifier onlyGuardianOrOwner() {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedGuardian(msg.sender);
        _;
    }

    /// @notice Deploys the registry.
    /// @param initialOwner The owner: a `TimelockController` in production.
    /// @param initialGuardian The guardian, who may pause agents and zero loss budgets (may be zero: then only the
    ///        owner can).
    constructor(address initialOwner, address initialGuardian) Ownable(initialOwner) {
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
    }

    /// @notice Always reverts: an owner-less registry could never certify, revoke or unpause again.
    function renounceOwnership() public pure override {
        revert OwnershipCannotBeRenounced();
    }

    // ---------------------------------------------------------------- models and parameters

    /// @inheritdoc IProofGateRegistry
    function certifyModel(uint256 commitment, ModelMetadata calldata metadata) external onlyOwner {
        _checkCommitment(commitment);
        ModelRecord storage model = _models[commitment];
        uint32 id = model.id;
        if (id == 0) {
            id = ++_modelIdCount;
            model.id = id;
        } else if (_modelWords[id] & CERTIFIED_FLAG != 0) {
            revert ModelAlreadyCertified(commitment);
        }
        _modelWords[id] = commitment | CERTIFIED_FLAG;
        model.certifiedAt = uint64(block.timestamp);
        model.metadata = metadata;
        emit ModelCertified(commitment, metadata.name, metadata.version, metadata.architecture, metadata.artifactsHash);
    }

    /// @inheritdoc IProofGateRegistry
    function decertifyModel(uint256 commitment) external onlyOwner {
        uint256 id = _models[commitment].id;
        if (_modelWords[id] & CERTIFIED_FLAG == 0) revert ModelNotCertified(commitment);
        _modelWords[id] = commitment;
        emit ModelDecertified(commitment);
    }

    /// @inheritdoc IProofGateRegistry
    function certifyParams(uint256 commitment, string calldata description, bytes32 documentHash) external onlyOwner {
        _checkCommitment(commitment);
        ParamsRecord storage params = _params[commitment];
        uint32 id = params.id;
        if (id == 0) {
            id = ++_paramsIdCount;
            params.id = id;
        } else if (_paramsWords[id] & CERTIFIED_FLAG != 0) {
            revert ParamsAlreadyCertified(commitment);
        }
        _paramsWords[id] = commitment | CERTIFIED_FLAG;
        params.certifiedAt = uint64(block.timestamp);
        params.documentHash = documentHash;
        params.description = description;
        emit ParamsCertified(commitment, description, documentHash);
    }

    /// @inheritdoc IProofGateRegistry
    function decertifyParams(uint256 commitment) external onlyOwner {
        uint256 id = _params[commitment].id;
        if (_paramsWords[id] & CERTIFIED_FLAG == 0) revert ParamsNotCertified(commitment);
        _paramsWords[id] = commitment;
        emit ParamsDecertified(commitment);
    }

    // ---------------------------------------------------------------- agents

    /// @inheritdoc IProofGateRegistry
    function registerAgent(address vault, address agent, uint256 modelCommitment, uint256 paramsCommitment)
        external
        onlyOwner
    {
        if (vault == address(0)) revert InvalidVault();
        if (agent == address(0)) revert InvalidAgent();
        if (_agents[vault][agent] != 0) revert AgentAlreadyRegistered(vault, agent);
        _bind(vault, agent, modelCommitment, paramsCommitment, ACTIVE_FLAG);
    }

    /// @inheritdoc IProofGateRegistry
    function rebindAgent(address vault, address agent, uint256 modelCommitment, uint256 paramsCommitment)
        external
        onlyOwner
    {
        uint256 word = _registered(vault, agent);
        _bind(vault, agent, modelCommitment, paramsCommitment, word & (ACTIVE_FLAG | BUDGET_BITS));
    }

    /// @inheritdoc IProofGateRegistry
    function removeAgent(address vault, address agent) external onlyOwner {
        _registered(vault, agent);
        delete _agents[vault][agent];
        emit AgentRemoved(vault, agent);
    }

    /// @inheritdoc IProofGateRegistry
    function pauseAgent(address vault, address agent) external onlyGuardianOrOwner {
        uint256 word = _registered(vault, agent);
        if (word & ACTIVE_FLAG == 0) revert AgentStateUnchanged(vault, agent, false);
        _agents[vault][agent] = word & ~ACTIVE_FLAG;
        emit AgentPaused(vault, agent, msg.sender);
    }

    /// @inheritdoc IProofGateRegistry
    function unpauseAgent(address vault, address agent) external onlyOwner {
        uint256 word = _registered(vault, agent);
        if (word & ACTIVE_FLAG != 0) revert AgentStateUnchanged(vault, agent, true);
        _agents[vault][agent] = word | ACTIVE_FLAG;
        emit AgentUnpaused(vault, agent);
    }

    /// @inheritdoc IProofGateRegistry
    function setLossBudget(address vault, address agent, uint16 budgetBps, uint32 window) external onlyOwner {
        if (budgetBps > BPS || window < MIN_LOSS_WINDOW) revert InvalidLossBudget(budgetBps, window);
        uint256 word = _registered(vault, agent) & ~BUDGET_BITS;
        _agents[vault][agent] = word | (uint256(budgetBps) << BUDGET_SHIFT) | (uint256(window) << WINDOW_SHIFT);
        emit LossBudgetSet(vault, agent, budgetBps, window);
    }

    /// @inheritdoc IProofGateRegistry
    function revokeLossBudget(address vault, address agent) external onlyGuardianOrOwner {
        uint256 word = _registered(vault, agent);
        _agents[vault][agent] = word & ~(uint256(type(uint16).max) << BUDGET_SHIFT);
        // casting to 'uint32' is safe because it takes exactly the window's bits of the word
        // forge-lint: disable-next-line(unsafe-typecast)
        emit LossBudgetSet(vault, agent, 0, uint32(word >> WINDOW_SHIFT));
    }

    /// @inheritdoc IProofGateRegistry
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianUpdated(guardian, newGuardian);
        guardian = newGuardian;
    }

    // ---------------------------------------------------------------- solvency gate

    /// @inheritdoc IProofGateRegistry
    function setAttestor(address newAttestor) external onlyOwner {
        emit AttestorUpdated(attestor, newAttestor);
        attestor = newAttestor;
    }

    /// @inheritdoc IProofGateRegistry
    function setSolvencyRequirement(address vault, bool required, uint16 reserveAssets) external onlyOwner {
        if (vault == address(0)) revert InvalidVault();
        uint256 word = _vaults[vault] & ~(SOLVENCY_REQUIRED_FLAG | (uint256(type(uint16).max) << RESERVE_SHIFT));
        _vaults[vault] = word | (required ? SOLVENCY_REQUIRED_FLAG : 0) | (uint256(reserveAssets) << RESERVE_SHIFT);
        emit SolvencyRequirementSet(vault, required, reserveAssets);
    }

    /// @inheritdoc IProofGateRegistry
    function recordSolvency(address vault, uint64 validUntil, uint64 generation) external {
        if (msg.sender != attestor) revert UnauthorizedAttestor(msg.sender);
        uint256 kept = _vaults[vault] & ~(uint256(type(uint128).max) << VALID_UNTIL_SHIFT);
        _vaults[vault] = kept | (uint256(validUntil) << VALID_UNTIL_SHIFT) | (uint256(generation) << GENERATION_SHIFT);
        emit SolvencyRecorded(vault, validUntil, generation);
    }

    /// @inheritdoc IProofGateRegistry
    function clearSolvency(address vault) external onlyGuardianOrOwner {
        uint256 word = _vaults[vault];
        // casting to 'uint64' is safe because it takes exactly the generation's bits of the word
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 generation = uint64(word >> GENERATION_SHIFT);
        _vaults[vault] = word & ~(uint256(type(uint64).max) << VALID_UNTIL_SHIFT);
        emit SolvencyRecorded(vault, 0, generation);
    }

    /// @inheritdoc IProofGateRegistry
    function solvencyStatus(address vault)
        external
        view
        returns (bool required, uint16 reserveAssets, uint64 validUntil, uint64 generation)
    {
        uint256 word = _vaults[vault];
        // casting to 'uint16'/'uint64' is safe because each takes exactly its own bits of the word
        // forge-lint: disable-start(unsafe-typecast)
        (reserveAssets, validUntil) = (uint16(word >> RESERVE_SHIFT), uint64(word >> VALID_UNTIL_SHIFT));
        generation = uint64(word >> GENERATION_SHIFT);
        // forge-lint: disable-end(unsafe-typecast)
        required = word & SOLVENCY_REQUIRED_FLAG != 0;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProofGateRegistry
    function agentBinding(address vault, address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active)
    {
        (modelCommitment, paramsCommitment, active,,,,,,,) = _status(vault, agent);
    }

    /// @inheritdoc IProofGateRegistry
    /// @dev The vault's one registry call per trade: four storage reads (see the storage notes). The vault compares
    ///      `solvencyGeneration` with its own configuration generation.
    function tradingStatus(address vault, address agent)
        external
        view
        returns (
            uint256 modelCommitment,
            uint256 paramsCommitment,
            bool active,
            bool modelCertified,
            bool paramsCertified,
            uint64 solventUntil,
            uint16 reserveAssets,
            uint16 lossBudgetBps,
            uint32 lossWindow,
            uint64 solvencyGeneration
        )
    {
        return _status(vault, agent);
    }

    /// @inheritdoc IProofGateRegistry
    function isModelCertified(uint256 commitment) external view returns (bool) {
        return _modelWords[_models[commitment].id] & CERTIFIED_FLAG != 0;
    }

    /// @inheritdoc IProofGateRegistry
    function isParamsCertified(uint256 commitment) external view returns (bool) {
        return _paramsWords[_params[commitment].id] & CERTIFIED_FLAG != 0;
    }

    /// @inheritdoc IProofGateRegistry
    function modelInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, ModelMetadata memory metadata)
    {
        ModelRecord storage model = _models[commitment];
        return (_modelWords[model.id] & CERTIFIED_FLAG != 0, model.certifiedAt, model.metadata);
    }

    /// @inheritdoc IProofGateRegistry
    function paramsInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, string memory description, bytes32 documentHash)
    {
        ParamsRecord storage params = _params[commitment];
        return
            (_paramsWords[params.id] & CERTIFIED_FLAG != 0, params.certifiedAt, params.description, params.documentHash);
    }

    // ---------------------------------------------------------------- internals

    /// @dev An agent's binding for a vault, its certification state, the vault's solvency gate and the agent's
    ///      loss-budget terms (binding, certification and terms all zero and false when the agent is not registered
    ///      for the vault; `solventUntil` is `type(uint64).max` when the vault needs no attestation;
    ///      `solvencyGeneration` is the vault configuration generation its last attestation was made under).
    function _status(address vault, address agent)
        private
        view
        returns (
            uint256 modelCommitment,
            uint256 paramsCommitment,
            bool active,
            bool modelCertified,
            bool paramsCertified,
            uint64 solventUntil,
            uint16 reserveAssets,
            uint16 lossBudgetBps,
            uint32 lossWindow,
            uint64 solvencyGeneration
        )
    {
        uint256 word = _agents[vault][agent];
        uint256 gate = _vaults[vault];
        // An unregistered agent's word is 0, and id 0 never has a word: all zero and false, without a branch.
        uint256 modelWord = _modelWords[word & ID_MASK];
        uint256 paramsWord = _paramsWords[(word >> PARAMS_ID_SHIFT) & ID_MASK];
        (modelCommitment, paramsCommitment) = (modelWord & ~CERTIFIED_FLAG, paramsWord & ~CERTIFIED_FLAG);
        active = word & ACTIVE_FLAG != 0;
        (modelCertified, paramsCertified) = (modelWord & CERTIFIED_FLAG != 0, paramsWord & CERTIFIED_FLAG != 0);
        // casting to 'uint64'/'uint16'/'uint32' is safe because each takes exactly its own bits of its word
        // forge-lint: disable-start(unsafe-typecast)
        solventUntil = gate & SOLVENCY_REQUIRED_FLAG != 0 ? uint64(gate >> VALID_UNTIL_SHIFT) : type(uint64).max;
        reserveAssets = uint16(gate >> RESERVE_SHIFT);
        lossBudgetBps = uint16(word >> BUDGET_SHIFT);
        lossWindow = uint32(word >> WINDOW_SHIFT);
        solvencyGeneration = uint64(gate >> GENERATION_SHIFT);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Binds `agent` for `vault` to a certified model and certified parameters, keeping the `kept` bits (its
    ///      active flag and loss-budget terms).
    function _bind(address vault, address agent, uint256 modelCommitment, uint256 paramsCommitment, uint256 kept)
        private
    {
        uint256 modelId = _models[modelCommitment].id;
        if (_modelWords[modelId] & CERTIFIED_FLAG == 0) revert ModelNotCertified(modelCommitment);
        uint256 paramsId = _params[paramsCommitment].id;
        if (_paramsWords[paramsId] & CERTIFIED_FLAG == 0) revert ParamsNotCertified(paramsCommitment);
        // Certified commitments have ids of at least 1, so the word is nonzero (registered).
        _agents[vault][agent] = kept | modelId | (paramsId << PARAMS_ID_SHIFT);
        emit AgentBound(vault, agent, modelCommitment, paramsCommitment);
    }

    /// @dev The word of an agent registered for a vault; reverts when there is none.
    function _registered(address vault, address agent) private view returns (uint256 word) {
        word = _agents[vault][agent];
        if (word == 0) revert AgentNotRegistered(vault, agent);
    }

    /// @dev Reverts unless `commitment` is a nonzero BN254 scalar.
    function _checkCommitment(uint256 commitment) private pure {
        if (commitment == 0 || commitment >= SCALAR_FIELD_ORDER) revert InvalidCommitment(commitment);
    }
}
