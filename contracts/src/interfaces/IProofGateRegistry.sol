// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRegistryErrors
/// @notice Custom errors of {ProofGateRegistry}.
interface IRegistryErrors {
    /// @notice The caller is neither the guardian nor the owner.
    /// @param caller The refused caller.
    error UnauthorizedGuardian(address caller);

    /// @notice A commitment is zero or not below the BN254 scalar order r, so no proof could ever use it.
    /// @param commitment The refused commitment.
    error InvalidCommitment(uint256 commitment);

    /// @notice The model commitment is already certified.
    /// @param commitment The model commitment.
    error ModelAlreadyCertified(uint256 commitment);

    /// @notice The model commitment is not certified.
    /// @param commitment The model commitment.
    error ModelNotCertified(uint256 commitment);

    /// @notice The risk-parameter commitment is already certified.
    /// @param commitment The parameters' commitment.
    error ParamsAlreadyCertified(uint256 commitment);

    /// @notice The risk-parameter commitment is not certified.
    /// @param commitment The parameters' commitment.
    error ParamsNotCertified(uint256 commitment);

    /// @notice The agent address is zero.
    error InvalidAgent();

    /// @notice The agent is already registered (use `rebindAgent`).
    /// @param agent The agent.
    error AgentAlreadyRegistered(address agent);

    /// @notice The agent is not registered.
    /// @param agent The agent.
    error AgentNotRegistered(address agent);

    /// @notice The agent is already in the requested pause state.
    /// @param agent The agent.
    /// @param active Its current `active` flag.
    error AgentStateUnchanged(address agent, bool active);
}

/// @title IRegistryEvents
/// @notice Events of {ProofGateRegistry}: the audit trail of every governance decision.
interface IRegistryEvents {
    /// @notice A model commitment was certified.
    /// @param commitment The model commitment (a BN254 scalar).
    /// @param name The model's name.
    /// @param version The model's version.
    /// @param architecture The model's architecture, e.g. "mlp 16-32-16-1 relu, 8-bit weights".
    /// @param artifactsHash Hash of the off-chain artifacts (weights, keys) the commitment was made from.
    event ModelCertified(
        uint256 indexed commitment, string name, string version, string architecture, bytes32 artifactsHash
    );

    /// @notice A model commitment lost its certification: no agent can trade with it any more.
    /// @param commitment The model commitment.
    event ModelDecertified(uint256 indexed commitment);

    /// @notice A risk-parameter commitment was certified.
    /// @param commitment The parameters' commitment.
    /// @param description What the parameters are (limits, source of the covariance).
    /// @param documentHash Hash of the off-chain parameter file.
    event ParamsCertified(uint256 indexed commitment, string description, bytes32 documentHash);

    /// @notice A risk-parameter commitment lost its certification.
    /// @param commitment The parameters' commitment.
    event ParamsDecertified(uint256 indexed commitment);

    /// @notice An agent was registered or rebound to a model and parameters.
    /// @param agent The agent.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The risk parameters it must prove against.
    event AgentBound(address indexed agent, uint256 indexed modelCommitment, uint256 indexed paramsCommitment);

    /// @notice An agent was removed.
    /// @param agent The agent.
    event AgentRemoved(address indexed agent);

    /// @notice An agent was paused (by the guardian or the owner).
    /// @param agent The agent.
    /// @param by Who paused it.
    event AgentPaused(address indexed agent, address indexed by);

    /// @notice An agent was unpaused (by the owner).
    /// @param agent The agent.
    event AgentUnpaused(address indexed agent);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);
}

/// @title IProofGateRegistry
/// @notice Certified models, certified risk parameters and the agents bound to them. Every mutation is the
///         owner's (a `TimelockController`), except pausing an agent, which the guardian may also do.
interface IProofGateRegistry is IRegistryErrors, IRegistryEvents {
    /// @notice Off-chain description of a certified model.
    /// @param name The model's name.
    /// @param version The model's version.
    /// @param architecture The model's architecture.
    /// @param artifactsHash Hash of the off-chain artifacts the commitment was made from.
    struct ModelMetadata {
        string name;
        string version;
        string architecture;
        bytes32 artifactsHash;
    }

    /// @notice Certifies a model commitment.
    /// @param commitment The model commitment (nonzero, below r).
    /// @param metadata Its description.
    function certifyModel(uint256 commitment, ModelMetadata calldata metadata) external;

    /// @notice Withdraws a model's certification; agents bound to it can no longer trade.
    /// @param commitment The model commitment.
    function decertifyModel(uint256 commitment) external;

    /// @notice Certifies a risk-parameter commitment.
    /// @param commitment The parameters' commitment (nonzero, below r).
    /// @param description What the parameters are.
    /// @param documentHash Hash of the off-chain parameter file.
    function certifyParams(uint256 commitment, string calldata description, bytes32 documentHash) external;

    /// @notice Withdraws a risk-parameter commitment's certification.
    /// @param commitment The parameters' commitment.
    function decertifyParams(uint256 commitment) external;

    /// @notice Registers an agent, active, bound to a certified model and certified parameters.
    /// @param agent The agent's address.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The parameters it must prove against.
    function registerAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external;

    /// @notice Binds a registered agent to another certified model and parameters; its pause state is kept.
    /// @param agent The agent's address.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The parameters it must prove against.
    function rebindAgent(address agent, uint256 modelCommitment, uint256 paramsCommitment) external;

    /// @notice Removes an agent.
    /// @param agent The agent's address.
    function removeAgent(address agent) external;

    /// @notice Pauses an agent: the guardian's (or the owner's) emergency stop.
    /// @param agent The agent's address.
    function pauseAgent(address agent) external;

    /// @notice Unpauses an agent (owner only).
    /// @param agent The agent's address.
    function unpauseAgent(address agent) external;

    /// @notice Sets the guardian (owner only).
    /// @param newGuardian The new guardian.
    function setGuardian(address newGuardian) external;

    /// @notice The guardian, who may pause agents.
    /// @return The guardian's address.
    function guardian() external view returns (address);

    /// @notice What the vault needs to know about an agent.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered).
    /// @return active Whether it is registered and not paused.
    function agentBinding(address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active);

    /// @notice Everything a vault checks about an agent before a gated trade, in one call: its binding and
    ///         whether the model and the parameters it is bound to are certified now.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered).
    /// @return active Whether it is registered and not paused.
    /// @return modelCertified Whether `modelCommitment` is certified (false when not registered).
    /// @return paramsCertified Whether `paramsCommitment` is certified (false when not registered).
    function tradingStatus(address agent)
        external
        view
        returns (
            uint256 modelCommitment,
            uint256 paramsCommitment,
            bool active,
            bool modelCertified,
            bool paramsCertified
        );

    /// @notice Whether a model commitment is certified.
    /// @param commitment The model commitment.
    /// @return True when certified.
    function isModelCertified(uint256 commitment) external view returns (bool);

    /// @notice Whether a risk-parameter commitment is certified.
    /// @param commitment The parameters' commitment.
    /// @return True when certified.
    function isParamsCertified(uint256 commitment) external view returns (bool);

    /// @notice A model's metadata and certification state.
    /// @param commitment The model commitment.
    /// @return certified Whether it is certified now.
    /// @return certifiedAt When it was last certified (0 if never).
    /// @return metadata Its description (kept after decertification, for the audit trail).
    function modelInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, ModelMetadata memory metadata);

    /// @notice A risk-parameter commitment's description and certification state.
    /// @param commitment The parameters' commitment.
    /// @return certified Whether it is certified now.
    /// @return certifiedAt When it was last certified (0 if never).
    /// @return description What the parameters are.
    /// @return documentHash Hash of the off-chain parameter file.
    function paramsInfo(uint256 commitment)
        external
        view
        returns (bool certified, uint64 certifiedAt, string memory description, bytes32 documentHash);
}
