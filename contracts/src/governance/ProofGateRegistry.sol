// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IProofGateRegistry} from "../interfaces/IProofGateRegistry.sol";

/// @title ProofGateRegistry
/// @notice Which models and risk parameters are certified, and which model and parameters each agent is
///         bound to. Vaults read it on every gated trade, so a change here takes effect at once everywhere.
/// @dev The owner is meant to be an OpenZeppelin `TimelockController`: every certification, registration and
///      revocation is then scheduled, public for the timelock's delay, and only then executed. The guardian can
///      only pause agents (an emergency stop without delay); unpausing goes through the owner again.
///      The solvency gate: governance marks an agent as needing a fresh solvency attestation, and the attestor
///      (a {SolvencyAttestor}) records until when each valid attestation is fresh. It lives in the agent's word, so
///      the vault's one registry read per trade also tells it whether a risk-increasing trade is allowed.
///      Commitments are BN254 scalars; zero and values not below r are refused, since no proof can carry them.
contract ProofGateRegistry is IProofGateRegistry, Ownable2Step {
    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

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
    /// @dev An agent word's layout: model id in bits 0-31, parameters id in bits 32-63, active flag in bit 64,
    ///      solvency-required flag in bit 65, reserve-asset mask in bits 80-95, attestation fresh until (seconds) in
    ///      bits 128-191.
    uint256 private constant ID_MASK = type(uint32).max;
    uint256 private constant PARAMS_ID_SHIFT = 32;
    uint256 private constant ACTIVE_FLAG = 1 << 64;
    uint256 private constant SOLVENCY_REQUIRED_FLAG = 1 << 65;
    uint256 private constant RESERVE_SHIFT = 80;
    uint256 private constant VALID_UNTIL_SHIFT = 128;
    /// @dev The solvency bits of an agent word (flag, reserve mask, valid-until), kept when it is rebound.
    uint256 private constant SOLVENCY_BITS = SOLVENCY_REQUIRED_FLAG | (uint256(type(uint16).max) << RESERVE_SHIFT)
        | (uint256(type(uint64).max) << VALID_UNTIL_SHIFT);

    // Storage is laid out for the vault's read on every trade ({tradingStatus}): three storage slots, the agent's
    // word and the commitment words of its model and parameters. A commitment gets a small id when it is first
    // certified (kept for good); its word holds the commitment and the certified flag. An agent's word holds the
    // two ids and its active flag; 0 means not registered (ids start at 1).

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
    /// @dev Agent words (see {ID_MASK}).
    mapping(address agent => uint256 word) private _agents;
    /// @inheritdoc IProofGateRegistry
    address public attestor;

    /// @notice Deploys the registry.
    /// @param initialOwner The owner: a `TimelockController` in production.
    /// @param initialGuardian The guardian, who may pause agents (may be zero: then only the owner can).
    constructor(address initialOwner, address initialGuardian) Ownable(initialOwner) {
        guardian = initialGuardian;
        emit GuardianUpdated(address(0), initialGuardian);
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
    function registerAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external onlyOwner {
        if (agent == address(0)) revert InvalidAgent();
        if (_agents[agent] != 0) revert AgentAlreadyRegistered(agent);
        _bind(agent, modelCommitment, paramsCommitment, true);
    }

    /// @inheritdoc IProofGateRegistry
    function rebindAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external onlyOwner {
        _bind(agent, modelCommitment, paramsCommitment, _registered(agent) & ACTIVE_FLAG != 0);
    }

    /// @inheritdoc IProofGateRegistry
    function removeAgent(address agent) external onlyOwner {
        _registered(agent);
        delete _agents[agent];
        emit AgentRemoved(agent);
    }

    /// @inheritdoc IProofGateRegistry
    function pauseAgent(address agent) external {
        if (msg.sender != guardian && msg.sender != owner()) revert UnauthorizedGuardian(msg.sender);
        uint256 word = _registered(agent);
        if (word & ACTIVE_FLAG == 0) revert AgentStateUnchanged(agent, false);
        _agents[agent] = word & ~ACTIVE_FLAG;
        emit AgentPaused(agent, msg.sender);
    }

    /// @inheritdoc IProofGateRegistry
    function unpauseAgent(address agent) external onlyOwner {
        uint256 word = _registered(agent);
        if (word & ACTIVE_FLAG != 0) revert AgentStateUnchanged(agent, true);
        _agents[agent] = word | ACTIVE_FLAG;
        emit AgentUnpaused(agent);
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
    function setSolvencyRequirement(address agent, bool required, uint16 reserveAssets) external onlyOwner {
        uint256 word = _registered(agent) & ~(SOLVENCY_REQUIRED_FLAG | (uint256(type(uint16).max) << RESERVE_SHIFT));
        _agents[agent] = word | (required ? SOLVENCY_REQUIRED_FLAG : 0) | (uint256(reserveAssets) << RESERVE_SHIFT);
        emit SolvencyRequirementSet(agent, required, reserveAssets);
    }

    /// @inheritdoc IProofGateRegistry
    /// @dev An agent that is not registered has no word to keep it in: its attestation is still recorded by the
    ///      attestor, just not here (registering it later starts without one).
    function recordSolvency(address agent, uint64 validUntil) external {
        if (msg.sender != attestor) revert UnauthorizedAttestor(msg.sender);
        uint256 word = _agents[agent];
        if (word == 0) return;
        _agents[agent] =
            (word & ~(uint256(type(uint64).max) << VALID_UNTIL_SHIFT)) | (uint256(validUntil) << VALID_UNTIL_SHIFT);
        emit SolvencyRecorded(agent, validUntil);
    }

    /// @inheritdoc IProofGateRegistry
    function solvencyStatus(address agent)
        external
        view
        returns (bool required, uint16 reserveAssets, uint64 validUntil)
    {
        uint256 word = _agents[agent];
        // casting to 'uint16'/'uint64' is safe because each takes exactly its own bits of the word
        // forge-lint: disable-next-line(unsafe-typecast)
        (reserveAssets, validUntil) = (uint16(word >> RESERVE_SHIFT), uint64(word >> VALID_UNTIL_SHIFT));
        required = word & SOLVENCY_REQUIRED_FLAG != 0;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProofGateRegistry
    function agentBinding(address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active)
    {
        (modelCommitment, paramsCommitment, active,,,,) = _status(agent);
    }

    /// @inheritdoc IProofGateRegistry
    /// @dev The vault's one registry call per trade: three storage reads (see the storage notes).
    function tradingStatus(address agent)
        external
        view
        returns (
            uint256 modelCommitment,
            uint256 paramsCommitment,
            bool active,
            bool modelCertified,
            bool paramsCertified,
            uint64 solventUntil,
            uint16 reserveAssets
        )
    {
        return _status(agent);
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

    /// @dev An agent's binding, certification state and solvency gate (all zero and false when it is not registered;
    ///      `solventUntil` is `type(uint64).max` when no attestation is required).
    function _status(address agent)
        private
        view
        returns (
            uint256 modelCommitment,
            uint256 paramsCommitment,
            bool active,
            bool modelCertified,
            bool paramsCertified,
            uint64 solventUntil,
            uint16 reserveAssets
        )
    {
        uint256 word = _agents[agent];
        // An unregistered agent's word is 0, and id 0 never has a word: all zero and false, without a branch.
        uint256 modelWord = _modelWords[word & ID_MASK];
        uint256 paramsWord = _paramsWords[(word >> PARAMS_ID_SHIFT) & ID_MASK];
        return (
            modelWord & ~CERTIFIED_FLAG,
            paramsWord & ~CERTIFIED_FLAG,
            word & ACTIVE_FLAG != 0,
            modelWord & CERTIFIED_FLAG != 0,
            paramsWord & CERTIFIED_FLAG != 0,
            // casting to 'uint64'/'uint16' is safe because each takes exactly its own bits of the word
            // forge-lint: disable-next-line(unsafe-typecast)
            word & SOLVENCY_REQUIRED_FLAG != 0 ? uint64(word >> VALID_UNTIL_SHIFT) : type(uint64).max,
            // forge-lint: disable-next-line(unsafe-typecast)
            uint16(word >> RESERVE_SHIFT)
        );
    }

    /// @dev Binds `agent` to a certified model and certified parameters, with the given active flag; its solvency
    ///      gate is kept.
    function _bind(address agent, uint256 modelCommitment, uint256 paramsCommitment, bool active) private {
        uint256 modelId = _models[modelCommitment].id;
        if (_modelWords[modelId] & CERTIFIED_FLAG == 0) revert ModelNotCertified(modelCommitment);
        uint256 paramsId = _params[paramsCommitment].id;
        if (_paramsWords[paramsId] & CERTIFIED_FLAG == 0) revert ParamsNotCertified(paramsCommitment);
        // Certified commitments have ids of at least 1, so the word is nonzero (registered).
        _agents[agent] =
            (_agents[agent] & SOLVENCY_BITS) | modelId | (paramsId << PARAMS_ID_SHIFT) | (active ? ACTIVE_FLAG : 0);
        emit AgentBound(agent, modelCommitment, paramsCommitment);
    }

    /// @dev The word of a registered agent; reverts when there is none.
    function _registered(address agent) private view returns (uint256 word) {
        word = _agents[agent];
        if (word == 0) revert AgentNotRegistered(agent);
    }

    /// @dev Reverts unless `commitment` is a nonzero BN254 scalar.
    function _checkCommitment(uint256 commitment) private pure {
        if (commitment == 0 || commitment >= SCALAR_FIELD_ORDER) revert InvalidCommitment(commitment);
    }
}
