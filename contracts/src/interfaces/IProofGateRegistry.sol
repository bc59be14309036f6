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

    /// @notice The vault address is zero.
    error InvalidVault();

    /// @notice The agent is already registered for the vault (use `rebindAgent`).
    /// @param vault The vault.
    /// @param agent The agent.
    error AgentAlreadyRegistered(address vault, address agent);

    /// @notice The agent is not registered for the vault.
    /// @param vault The vault.
    /// @param agent The agent.
    error AgentNotRegistered(address vault, address agent);

    /// @notice The agent is already in the requested pause state for the vault.
    /// @param vault The vault.
    /// @param agent The agent.
    /// @param active Its current `active` flag.
    error AgentStateUnchanged(address vault, address agent, bool active);

    /// @notice A loss budget above 10,000 basis points, or a refill window shorter than an hour.
    /// @param budgetBps The refused budget, basis points of the vault's net asset value.
    /// @param window The refused window, seconds.
    error InvalidLossBudget(uint16 budgetBps, uint32 window);

    /// @notice Ownership cannot be renounced: governance would be frozen for good.
    error OwnershipCannotBeRenounced();

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

    /// @notice An agent was registered for a vault, or rebound there, to a model and parameters.
    /// @param vault The vault.
    /// @param agent The agent.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The risk parameters it must prove against.
    event AgentBound(
        address indexed vault, address indexed agent, uint256 indexed modelCommitment, uint256 paramsCommitment
    );

    /// @notice An agent was removed from a vault.
    /// @param vault The vault.
    /// @param agent The agent.
    event AgentRemoved(address indexed vault, address indexed agent);

    /// @notice An agent was paused for a vault (by the guardian or the owner).
    /// @param vault The vault.
    /// @param agent The agent.
    /// @param by Who paused it.
    event AgentPaused(address indexed vault, address indexed agent, address indexed by);

    /// @notice An agent was unpaused for a vault (by the owner).
    /// @param vault The vault.
    /// @param agent The agent.
    event AgentUnpaused(address indexed vault, address indexed agent);

    /// @notice An agent's loss budget for a vault was set by governance, or zeroed (`budgetBps` 0) by the guardian
    ///         or governance.
    /// @param vault The vault.
    /// @param agent The agent.
    /// @param budgetBps The budget: basis points of the vault's net asset value the agent may lose per window.
    /// @param window The refill window, seconds.
    event LossBudgetSet(address indexed vault, address indexed agent, uint16 budgetBps, uint32 window);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianUpdated(address indexed previous, address indexed guardian);

    /// @notice The solvency attestor changed.
    /// @param previous The previous attestor.
    /// @param attestor The new attestor (zero: no attestations are recorded).
    event AttestorUpdated(address indexed previous, address indexed attestor);

    /// @notice Governance set whether a vault's agents need a fresh solvency attestation of the vault for
    ///         risk-increasing trades.
    /// @param vault The vault.
    /// @param required Whether they do.
    /// @param reserveAssets Bit mask of the vault's asset indices its agents may buy without one (de-risking).
    event SolvencyRequirementSet(address indexed vault, bool required, uint16 reserveAssets);

    /// @notice The attestor recorded until when a vault's solvency attestation is fresh (0: revoked or ended), and
    ///         the vault configuration generation it was made under.
    /// @param vault The vault.
    /// @param validUntil Last second at which the attestation is fresh.
    /// @param generation The vault's configuration generation at attestation.
    event SolvencyRecorded(address indexed vault, uint64 validUntil, uint64 generation);
}

/// @title IProofGateRegistry
/// @notice Certified models, certified risk parameters, and the agents certified for each vault: an agent trades a
///         vault only when it is registered for THAT vault, bound to a (model, parameters) pair, under a loss
///         budget. Every mutation is the owner's (a `TimelockController`), except the guardian's emergency powers:
///         pausing an agent and zeroing its loss budget.
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

    /// @notice Certifies a model commitment (owner only).
    /// @param commitment The model commitment (nonzero, below r).
    /// @param metadata Its description.
    function certifyModel(uint256 commitment, ModelMetadata calldata metadata) external;

    /// @notice Withdraws a model's certification (owner only); agents bound to it can no longer trade.
    /// @param commitment The model commitment.
    function decertifyModel(uint256 commitment) external;

    /// @notice Certifies a risk-parameter commitment (owner only).
    /// @param commitment The parameters' commitment (nonzero, below r).
    /// @param description What the parameters are.
    /// @param documentHash Hash of the off-chain parameter file.
    function certifyParams(uint256 commitment, string calldata description, bytes32 documentHash) external;

    /// @notice Withdraws a risk-parameter commitment's certification (owner only).
    /// @param commitment The parameters' commitment.
    function decertifyParams(uint256 commitment) external;

    /// @notice Registers an agent for a vault (owner only), active, bound to a certified model and certified
    ///         parameters, with a loss budget of 0 (only trades without a shortfall) until {setLossBudget}.
    /// @param vault The vault the agent may trade.
    /// @param agent The agent's address.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The parameters it must prove against.
    function registerAgent(address vault, address agent, uint256 modelCommitment, uint256 paramsCommitment) external;

    /// @notice Binds an agent registered for a vault to another certified model and parameters (owner only); its
    ///         pause state and loss budget are kept.
    /// @param vault The vault.
    /// @param agent The agent's address.
    /// @param modelCommitment The model it must prove with.
    /// @param paramsCommitment The parameters it must prove against.
    function rebindAgent(address vault, address agent, uint256 modelCommitment, uint256 paramsCommitment) external;

    /// @notice Removes an agent from a vault (owner only), with its loss budget.
    /// @param vault The vault.
    /// @param agent The agent's address.
    function removeAgent(address vault, address agent) external;

    /// @notice Pauses an agent for a vault: the guardian's (or the owner's) emergency stop.
    /// @param vault The vault.
    /// @param agent The agent's address.
    function pauseAgent(address vault, address agent) external;

    /// @notice Unpauses an agent for a vault (owner only).
    /// @param vault The vault.
    /// @param agent The agent's address.
    function unpauseAgent(address vault, address agent) external;

    /// @notice Sets an agent's loss budget for a vault (owner only): over any `window` seconds the vault lets the
    ///         agent's trades fall short of their sold value (at the vault's oracle prices) by at most about
    ///         `budgetBps` of its net asset value (the vault's token bucket).
    /// @param vault The vault.
    /// @param agent The agent's address (registered for the vault).
    /// @param budgetBps The budget, basis points of the vault's net asset value (at most 10,000).
    /// @param window The refill window, seconds (at least an hour: `MIN_LOSS_WINDOW`).
    function setLossBudget(address vault, address agent, uint16 budgetBps, uint32 window) external;

    /// @notice Zeroes an agent's loss budget for a vault at once (guardian or owner): its next trade with any
    ///         shortfall reverts. The window is kept; governance restores a budget with {setLossBudget}.
    /// @param vault The vault.
    /// @param agent The agent's address (registered for the vault).
    function revokeLossBudget(address vault, address agent) external;

    /// @notice Sets the guardian (owner only).
    /// @param newGuardian The new guardian.
    function setGuardian(address newGuardian) external;

    /// @notice The guardian, who may pause agents and zero their loss budgets.
    /// @return The guardian's address.
    function guardian() external view returns (address);

    /// @notice Sets the solvency attestor, the one contract allowed to record attestations (owner only). Attestations
    ///         the previous attestor recorded stay until they go stale, the vault's configuration moves, or the
    ///         guardian or owner clears them with {clearSolvency} (the previous attestor can no longer revoke them).
    /// @param newAttestor The attestor (zero: none).
    function setAttestor(address newAttestor) external;

    /// @notice Ends `vault`'s recorded solvency attestation at once (guardian or owner), whichever attestor recorded
    ///         it: for one recorded by an attestor governance has since replaced, or any emergency.
    /// @param vault The vault.
    function clearSolvency(address vault) external;

    /// @notice The solvency attestor.
    /// @return The attestor's address (zero when none is set).
    function attestor() external view returns (address);

    /// @notice Sets whether a vault's agents need a fresh solvency attestation of the vault for risk-increasing
    ///         trades (owner only). A trade is risk-increasing unless the asset it buys is in `reserveAssets`.
    /// @param vault The vault.
    /// @param required Whether they need one.
    /// @param reserveAssets Bit mask of the vault's asset indices (bit i: asset i) they may buy without one.
    function setSolvencyRequirement(address vault, bool required, uint16 reserveAssets) external;

    /// @notice Records until when a vault's solvency attestation is fresh and the vault configuration generation it
    ///         was made under (attestor only; validUntil 0 revokes it). A vault's liabilities are the vault's:
    ///         whichever of its agents attested, the gate opens for all of them, while the vault's
    ///         `configGeneration()` is still `generation`.
    /// @param vault The vault.
    /// @param validUntil Last second at which the attestation is fresh.
    /// @param generation The vault's configuration generation at attestation.
    function recordSolvency(address vault, uint64 validUntil, uint64 generation) external;

    /// @notice A vault's solvency requirement and its attestation's freshness and generation.
    /// @param vault The vault.
    /// @return required Whether risk-increasing trades need a fresh attestation.
    /// @return reserveAssets Bit mask of the asset indices its agents may buy without one.
    /// @return validUntil Last second at which its attestation is fresh (0: none).
    /// @return generation The vault configuration generation the attestation was made under.
    function solvencyStatus(address vault)
        external
        view
        returns (bool required, uint16 reserveAssets, uint64 validUntil, uint64 generation);

    /// @notice What an agent is bound to for a vault.
    /// @param vault The vault.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered for the vault).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered for the vault).
    /// @return active Whether it is registered for the vault and not paused there.
    function agentBinding(address vault, address agent)
        external
        view
        returns (uint256 modelCommitment, uint256 paramsCommitment, bool active);

    /// @notice Everything a vault checks about an agent before a gated trade, in one call (the vault passes itself):
    ///         the agent's binding for the vault, whether the model and parameters it is bound to are certified now,
    ///         the vault's solvency gate, and the agent's loss-budget terms.
    /// @param vault The vault.
    /// @param agent The agent's address.
    /// @return modelCommitment The model it must prove with (0 when not registered for the vault).
    /// @return paramsCommitment The parameters it must prove against (0 when not registered for the vault).
    /// @return active Whether it is registered for the vault and not paused there.
    /// @return modelCertified Whether `modelCommitment` is certified (false when not registered).
    /// @return paramsCertified Whether `paramsCommitment` is certified (false when not registered).
    /// @return solventUntil Last second at which risk-increasing trades are allowed: the vault's attestation's
    ///         `validUntil` when a fresh attestation is required, `type(uint64).max` when it is not.
    /// @return reserveAssets Bit mask of the asset indices the agent may buy after `solventUntil`.
    /// @return lossBudgetBps The agent's loss budget, basis points of the vault's net asset value (0: none).
    /// @return lossWindow The budget's refill window, seconds (0 until governance sets a budget).
    /// @return solvencyGeneration The vault configuration generation the vault's last attestation was made under:
    ///         the vault counts the attestation only while its own `configGeneration()` equals it.
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
