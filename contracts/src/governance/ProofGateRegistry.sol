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
///      Commitments are BN254 scalars; zero and values not below r are refused, since no proof can carry them.
contract ProofGateRegistry is IProofGateRegistry, Ownable2Step {
    /// @notice The BN254 scalar field order r.
    uint256 public constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev A model: `certified` and `certifiedAt` share the first slot (the vault's hot read).
    struct ModelRecord {
        bool certified;
        uint64 certifiedAt;
        ModelMetadata metadata;
    }

    /// @dev A risk-parameter set.
    struct ParamsRecord {
        bool certified;
        uint64 certifiedAt;
        bytes32 documentHash;
        string description;
    }

    /// @dev An agent, in two storage slots (vaults read it on every trade). `modelWord` is the model commitment
    ///      with the active flag in bit 255: commitments are below r < 2^254, so that bit is otherwise zero.
    ///      `modelWord == 0` means not registered (0 is never certified).
    struct AgentRecord {
        uint256 modelWord;
        uint256 paramsCommitment;
    }

    /// @dev The active flag's bit in {AgentRecord.modelWord}.
    uint256 private constant ACTIVE_FLAG = 1 << 255;

    /// @inheritdoc IProofGateRegistry
    address public guardian;

    mapping(uint256 commitment => ModelRecord) private _models;
    mapping(uint256 commitment => ParamsRecord) private _params;
    mapping(address agent => AgentRecord) private _agents;

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
        if (model.certified) revert ModelAlreadyCertified(commitment);
        model.certified = true;
        model.certifiedAt = uint64(block.timestamp);
        model.metadata = metadata;
        emit ModelCertified(commitment, metadata.name, metadata.version, metadata.architecture, metadata.artifactsHash);
    }

    /// @inheritdoc IProofGateRegistry
    function decertifyModel(uint256 commitment) external onlyOwner {
        ModelRecord storage model = _models[commitment];
        if (!model.certified) revert ModelNotCertified(commitment);
        model.certified = false;
        emit ModelDecertified(commitment);
    }

    /// @inheritdoc IProofGateRegistry
    function certifyParams(uint256 commitment, string calldata description, bytes32 documentHash) external onlyOwner {
        _checkCommitment(commitment);
        ParamsRecord storage params = _params[commitment];
        if (params.certified) revert ParamsAlreadyCertified(commitment);
        params.certified = true;
        params.certifiedAt = uint64(block.timestamp);
        params.documentHash = documentHash;
        params.description = description;
        emit ParamsCertified(commitment, description, documentHash);
    }

    /// @inheritdoc IProofGateRegistry
    function decertifyParams(uint256 commitment) external onlyOwner {
        ParamsRecord storage params = _params[commitment];
        if (!params.certified) revert ParamsNotCertified(commitment);
        params.certified = false;
        emit ParamsDecertified(commitment);
    }

    // ---------------------------------------------------------------- agents

    /// @inheritdoc IProofGateRegistry
    function registerAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external onlyOwner {
        if (agent == address(0)) revert InvalidAgent();
        AgentRecord storage record = _agents[agent];
        if (record.modelWord != 0) revert AgentAlreadyRegistered(agent);
        _bind(record, agent, modelCommitment, paramsCommitment, true);
    }

    /// @inheritdoc IProofGateRegistry
    function rebindAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external onlyOwner {
        AgentRecord storage record = _registered(agent);
        _bind(record, agent, modelCommitment, paramsCommitment, record.modelWord & ACTIVE_FLAG != 0);
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
        AgentRecord storage record = _registered(agent);
        if (record.modelWord & ACTIVE_FLAG == 0) revert AgentStateUnchanged(agent, false);
        record.modelWord &= ~ACTIVE_FLAG;
        emit AgentPaused(agent, msg.sender);
    }

    /// @inheritdoc IProofGateRegistry
    function unpauseAgent(address agent) external onlyOwner {
        AgentRecord storage record = _registered(agent);
        if (record.modelWord & ACTIVE_FLAG != 0) revert AgentStateUnchanged(agent, true);
        record.modelWord |= ACTIVE_FLAG;
        emit AgentUnpaused(agent);
    }

    /// @inheritdoc IProofGateRegistry
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianUpdated(guardian, newGuardian);
        guardian = newGuardian;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProofGateRegistry
    function agentBinding(address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active)
    {
        AgentRecord storage record = _agents[agent];
        uint256 modelWord = record.modelWord;
        return (modelWord & ~ACTIVE_FLAG, record.paramsCommitment, modelWord & ACTIVE_FLAG != 0);
    }

    /// @inheritdoc IProofGateRegistry
    function isModelCertified(uint256 commitment) external view returns (bool) {
        return _models[commitment].certified;
    }

    /// @inheritdoc IProofGateRegistry
    function isParamsCertified(uint256 commitment) external view returns (bool) {
        return _params[commitment].certified;
    }

    /// @inheritdoc IProofGateRegistry
    function modelInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, ModelMetadata memory metadata)
    {
        ModelRecord storage model = _models[commitment];
        return (model.certified, model.certifiedAt, model.metadata);
    }

    /// @inheritdoc IProofGateRegistry
    function paramsInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, string memory description, bytes32 documentHash)
    {
        ParamsRecord storage params = _params[commitment];
        return (params.certified, params.certifiedAt, params.description, params.documentHash);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Binds `record` to a certified model and certified parameters, with the given active flag.
    function _bind(
        AgentRecord storage record,
        address agent,
        uint256 modelCommitment,
        uint256 paramsCommitment,
        bool active
    ) private {
        if (!_models[modelCommitment].certified) revert ModelNotCertified(modelCommitment);
        if (!_params[paramsCommitment].certified) revert ParamsNotCertified(paramsCommitment);
        // Certified commitments are below r < 2^254 (checked in _checkCommitment), so bit 255 is free.
        record.modelWord = active ? modelCommitment | ACTIVE_FLAG : modelCommitment;
        record.paramsCommitment = paramsCommitment;
        emit AgentBound(agent, modelCommitment, paramsCommitment);
    }

    /// @dev The record of a registered agent; reverts when there is none.
    function _registered(address agent) private view returns (AgentRecord storage record) {
        record = _agents[agent];
        if (record.modelWord == 0) revert AgentNotRegistered(agent);
    }

    /// @dev Reverts unless `commitment` is a nonzero BN254 scalar.
    function _checkCommitment(uint256 commitment) private pure {
        if (commitment == 0 || commitment >= SCALAR_FIELD_ORDER) revert InvalidCommitment(commitment);
    }
}
