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

    /// @notice The caller is not the solvency attestor.
    /// @param caller The refused caller.
    error UnauthorizedAttestor(address caller);
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

    /// @notice The solvency attestor changed.
    /// @param previous The previous attestor.
    /// @param attestor The new attestor (zero: no attestations are recorded).
    event AttestorUpdated(address indexed previous, address indexed attestor);

    /// @notice Governance set whether an agent needs a fresh solvency attestation for risk-increasing trades.
    /// @param agent The agent.
    /// @param required Whether it does.
    /// @param reserveAssets Bit mask of the vault's asset indices the agent may buy without one (de-risking).
    event SolvencyRequirementSet(address indexed agent, bool required, uint16 reserveAssets);

    /// @notice The attestor recorded until when an agent's solvency attestation is fresh (0: revoked).
    /// @param agent The agent.
    /// @param validUntil Last second at which the attestation is fresh.
    event SolvencyRecorded(address indexed agent, uint64 validUntil);
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

    /// @notice Sets the solvency attestor, the one contract allowed to record attestations (owner only).
    /// @param newAttestor The attestor (zero: none).
    function setAttestor(address newAttestor) external;

    /// @notice The solvency attestor.
    /// @return The attestor's address (zero when none is set).
    function attestor() external view returns (address);

    /// @notice Sets whether a registered agent needs a fresh solvency attestation for risk-increasing trades
    ///         (owner only). A trade is risk-increasing unless the asset it buys is in `reserveAssets`.
    /// @param agent The agent's address.
    /// @param required Whether it needs one.
    /// @param reserveAssets Bit mask of the vault's asset indices (bit i: asset i) it may buy without one.
    function setSolvencyRequirement(address agent, bool required, uint16 reserveAssets) external;

    /// @notice Records until when an agent's solvency attestation is fresh (attestor only; 0 revokes it). Kept for
    ///         registered agents only.
    /// @param agent The agent's address.
    /// @param validUntil Last second at which the attestation is fresh.
    function recordSolvency(address agent, uint64 validUntil) external;

    /// @notice An agent's solvency requirement and its attestation's freshness.
    /// @param agent The agent's address.
    /// @return required Whether risk-increasing trades need a fresh attestation.
    /// @return reserveAssets Bit mask of the asset indices it may buy without one.
    /// @return validUntil Last second at which its attestation is fresh (0: none).
    function solvencyStatus(address agent)
        external
        view
        returns (bool required, uint16 reserveAssets, uint64 validUntil);

    /// @notice What the vault needs to know about an agent.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered).
    /// @return active Whether it is registered and not paused.
    function agentBinding(address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active);

    /// @notice Everything a vault checks about an agent before a gated trade, in one call: its binding, whether
    ///         the model and the parameters it is bound to are certified now, and its solvency gate.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered).
    /// @return active Whether it is registered and not paused.
    /// @return modelCertified Whether `modelCommitment` is certified (false when not registered).
    /// @return paramsCertified Whether `paramsCommitment` is certified (false when not registered).
    /// @return solventUntil Last second at which risk-increasing trades are allowed: the attestation's
    ///         `validUntil` when a fresh attestation is required, `type(uint64).max` when it is not.
    /// @return reserveAssets Bit mask of the asset indices the agent may buy after `solventUntil`.
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
