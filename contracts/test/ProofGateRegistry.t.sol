// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {ProofGateRegistry} from "../src/governance/ProofGateRegistry.sol";
import {IProofGateRegistry, IRegistryErrors, IRegistryEvents} from "../src/interfaces/IProofGateRegistry.sol";
import {Test} from "./utils/Test.sol";

/// @notice The registry: certification and agent binding, the guardian's pause-only power, and governance that
///         takes effect only after the `TimelockController`'s delay.
contract ProofGateRegistryTest is Test, IRegistryEvents {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant DELAY = 2 days;
    uint256 internal constant MODEL = 0x1234;
    uint256 internal constant OTHER_MODEL = 0x5678;
    uint256 internal constant PARAMS = 0xabcd;
    bytes32 internal constant PARAMS_HASH = keccak256("params.json");
    /// @dev TimelockController's state bitmap for `Ready` (1 << OperationState.Ready).
    bytes32 internal constant READY = bytes32(uint256(1 << 2));

    address internal guardian = address(0x6A2D);
    address internal stranger = address(0xBEEF);
    address internal agent = address(0xA6E7);
    address internal vault = address(0xFA17);
    address internal otherVault = address(0xFA18);

    /// @dev Owned by this test (for the registry's own logic).
    ProofGateRegistry internal registry;
    /// @dev Owned by the timelock (for governance).
    ProofGateRegistry internal governed;
    TimelockController internal timelock;

    function setUp() public {
        vm.warp(1_750_000_000);
        registry = new ProofGateRegistry(address(this), guardian);
        address[] memory governors = new address[](1);
        governors[0] = address(this);
        timelock = new TimelockController(DELAY, governors, governors, address(0));
        governed = new ProofGateRegistry(address(timelock), guardian);
    }

    // ---------------------------------------------------------------- helpers

    function _metadata(string memory name) internal pure returns (IProofGateRegistry.ModelMetadata memory) {
        return IProofGateRegistry.ModelMetadata({
            name: name, version: "1.0.0", architecture: "mlp 16-32-16-1", artifactsHash: keccak256(bytes(name))
        });
    }

    function _certifyAndRegister() internal {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        registry.registerAgent(vault, agent, MODEL, PARAMS);
    }

    function _assertBinding(uint256 model, uint256 params, bool active) internal view {
        (uint256 m, uint256 p, bool a) = registry.agentBinding(vault, agent);
        assertEq(m, model, "model");
        assertEq(p, params, "params");
        assertEq(a, active, "active");
    }

    // ---------------------------------------------------------------- governance through the timelock

    function test_Governance_CertifiesOnlyAfterTheTimelockDelay() public {
        bytes memory call = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("risk-mlp")));
        bytes32 id = timelock.hashOperation(address(governed), 0, call, bytes32(0), bytes32(0));
        timelock.schedule(address(governed), 0, call, bytes32(0), bytes32(0), DELAY);

        // Too early: at once, and one second before the delay is over.
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.execute(address(governed), 0, call, bytes32(0), bytes32(0));
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.execute(address(governed), 0, call, bytes32(0), bytes32(0));
        assertFalse(governed.isModelCertified(MODEL), "not certified before the delay");

        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(governed));
        emit ModelCertified(MODEL, "risk-mlp", "1.0.0", "mlp 16-32-16-1", keccak256("risk-mlp"));
        timelock.execute(address(governed), 0, call, bytes32(0), bytes32(0));
        assertTrue(governed.isModelCertified(MODEL), "certified after the delay");
    }

    function test_Governance_RevokesOnlyAfterTheTimelockDelay() public {
        bytes memory certify = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("risk-mlp")));
        timelock.schedule(address(governed), 0, certify, bytes32(0), bytes32(0), DELAY);
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(governed), 0, certify, bytes32(0), bytes32(0));

        bytes memory revoke = abi.encodeCall(governed.decertifyModel, (MODEL));
        timelock.schedule(address(governed), 0, revoke, bytes32(0), bytes32(0), DELAY);
        vm.warp(block.timestamp + DELAY / 2);
        bytes32 id = timelock.hashOperation(address(governed), 0, revoke, bytes32(0), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.execute(address(governed), 0, revoke, bytes32(0), bytes32(0));
        assertTrue(governed.isModelCertified(MODEL), "still certified during the delay");
        vm.warp(block.timestamp + DELAY / 2);
        timelock.execute(address(governed), 0, revoke, bytes32(0), bytes32(0));
        assertFalse(governed.isModelCertified(MODEL), "revoked after the delay");
    }

    function test_RevertGovernedCall_WhenNotThroughTheTimelock() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        governed.certifyModel(MODEL, _metadata("risk-mlp"));
    }

    function test_RevertSchedule_WhenDelayBelowMinimum() public {
        bytes memory call = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("risk-mlp")));
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, DELAY - 1, DELAY));
        timelock.schedule(address(governed), 0, call, bytes32(0), bytes32(0), DELAY - 1);
    }

    function test_RevertSchedule_WhenNotProposer() public {
        bytes memory call = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("risk-mlp")));
        bytes32 role = timelock.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role)
        );
        vm.prank(stranger);
        timelock.schedule(address(governed), 0, call, bytes32(0), bytes32(0), DELAY);
    }

    function test_Guardian_PausesAGovernedAgentAtOnce() public {
        address[] memory targets = new address[](3);
        bytes[] memory payloads = new bytes[](3);
        uint256[] memory values = new uint256[](3);
        for (uint256 i = 0; i < 3; ++i) {
            targets[i] = address(governed);
        }
        payloads[0] = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("risk-mlp")));
        payloads[1] = abi.encodeCall(governed.certifyParams, (PARAMS, "typical", PARAMS_HASH));
        payloads[2] = abi.encodeCall(governed.registerAgent, (vault, agent, MODEL, PARAMS));
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), bytes32(0), DELAY);
        vm.warp(block.timestamp + DELAY);
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));

        // The emergency stop needs no delay...
        vm.prank(guardian);
        governed.pauseAgent(vault, agent);
        (,, bool active) = governed.agentBinding(vault, agent);
        assertFalse(active, "paused at once");
        // ...but the guardian cannot undo it: unpausing is governance's.
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        governed.unpauseAgent(vault, agent);
    }

    // ---------------------------------------------------------------- models and parameters

    function test_CertifyModel_RecordsMetadataAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ModelCertified(MODEL, "risk-mlp", "1.0.0", "mlp 16-32-16-1", keccak256("risk-mlp"));
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        (bool certified, uint64 at, IProofGateRegistry.ModelMetadata memory m) = registry.modelInfo(MODEL);
        assertTrue(certified, "certified");
        assertEq(uint256(at), block.timestamp, "certifiedAt");
        assertEq(m.name, "risk-mlp", "name");
        assertEq(m.version, "1.0.0", "version");
        assertEq(m.architecture, "mlp 16-32-16-1", "architecture");
        assertEq(m.artifactsHash, keccak256("risk-mlp"), "artifactsHash");
    }

    function test_DecertifyModel_KeepsMetadataForTheAuditTrail() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        vm.expectEmit(true, true, true, true, address(registry));
        emit ModelDecertified(MODEL);
        registry.decertifyModel(MODEL);
        (bool certified,, IProofGateRegistry.ModelMetadata memory m) = registry.modelInfo(MODEL);
        assertFalse(certified, "decertified");
        assertEq(m.name, "risk-mlp", "metadata kept");
        // And it can be certified again.
        registry.certifyModel(MODEL, _metadata("risk-mlp v2"));
        assertTrue(registry.isModelCertified(MODEL), "recertified");
    }

    function test_RevertCertifyModel_WhenCommitmentZeroOrNotBelowR() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidCommitment.selector, 0));
        registry.certifyModel(0, _metadata("zero"));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidCommitment.selector, R));
        registry.certifyModel(R, _metadata("r"));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidCommitment.selector, R));
        registry.certifyParams(R, "r", PARAMS_HASH);
    }

    function test_RevertCertifyModel_WhenAlreadyCertified() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ModelAlreadyCertified.selector, MODEL));
        registry.certifyModel(MODEL, _metadata("again"));
    }

    function test_RevertDecertifyModel_WhenNotCertified() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ModelNotCertified.selector, MODEL));
        registry.decertifyModel(MODEL);
    }

    function test_CertifyParams_RecordsDescriptionAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ParamsCertified(PARAMS, "typical", PARAMS_HASH);
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        (bool certified, uint64 at, string memory description, bytes32 documentHash) = registry.paramsInfo(PARAMS);
        assertTrue(certified, "certified");
        assertEq(uint256(at), block.timestamp, "certifiedAt");
        assertEq(description, "typical", "description");
        assertEq(documentHash, PARAMS_HASH, "document hash");
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ParamsAlreadyCertified.selector, PARAMS));
        registry.certifyParams(PARAMS, "again", PARAMS_HASH);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ParamsDecertified(PARAMS);
        registry.decertifyParams(PARAMS);
        assertFalse(registry.isParamsCertified(PARAMS), "decertified");
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ParamsNotCertified.selector, PARAMS));
        registry.decertifyParams(PARAMS);
    }

    // ---------------------------------------------------------------- agents

    function test_RegisterAgent_BindsAndActivates() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentBound(vault, agent, MODEL, PARAMS);
        registry.registerAgent(vault, agent, MODEL, PARAMS);
        _assertBinding(MODEL, PARAMS, true);
    }

    function test_AgentBinding_IsZeroForAnUnknownAgent() public view {
        (uint256 m, uint256 p, bool a) = registry.agentBinding(vault, stranger);
        assertEq(m, 0, "model");
        assertEq(p, 0, "params");
        assertFalse(a, "active");
    }

    function test_TradingStatus_FollowsCertificationAndPauseAtOnce() public {
        _assertStatus(stranger, 0, 0, false, false, false);
        _certifyAndRegister();
        _assertStatus(agent, MODEL, PARAMS, true, true, true);
        registry.decertifyModel(MODEL);
        _assertStatus(agent, MODEL, PARAMS, true, false, true);
        registry.decertifyParams(PARAMS);
        _assertStatus(agent, MODEL, PARAMS, true, false, false);
        // Certified again: the same commitments, certified for every agent bound to them.
        registry.certifyModel(MODEL, _metadata("risk-mlp again"));
        registry.certifyParams(PARAMS, "typical again", PARAMS_HASH);
        _assertStatus(agent, MODEL, PARAMS, true, true, true);
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);
        _assertStatus(agent, MODEL, PARAMS, false, true, true);
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.rebindAgent(vault, agent, OTHER_MODEL, PARAMS);
        _assertStatus(agent, OTHER_MODEL, PARAMS, false, true, true);
        registry.removeAgent(vault, agent);
        _assertStatus(agent, 0, 0, false, false, false);
    }

    function _assertStatus(address who, uint256 model, uint256 params, bool active, bool modelOk, bool paramsOk)
        internal
        view
    {
        _assertUnboundedGate(who);
        (uint256 m, uint256 p, bool a, bool mc, bool pc,,,,,) = registry.tradingStatus(vault, who);
        assertEq(m, model, "model");
        assertEq(p, params, "params");
        assertEq(a, active, "active");
        assertEq(mc, modelOk, "model certified");
        assertEq(pc, paramsOk, "params certified");
        assertEq(mc, model != 0 && registry.isModelCertified(model), "agrees with isModelCertified");
        assertEq(pc, params != 0 && registry.isParamsCertified(params), "agrees with isParamsCertified");
    }

    /// @dev No solvency requirement, no reserve assets, no loss budget.
    function _assertUnboundedGate(address who) internal view {
        (,,,,, uint64 until, uint16 reserve, uint16 budget, uint32 window,) = registry.tradingStatus(vault, who);
        assertEq(uint256(until), type(uint64).max, "no solvency requirement: unbounded");
        assertEq(uint256(reserve), 0, "no reserve assets");
        assertEq(uint256(budget), 0, "no loss budget until governance sets one");
        assertEq(uint256(window), 0, "no window");
    }

    // ---------------------------------------------------------------- solvency gate

    /// @dev An attestation the previous attestor recorded outlives its replacement (which cannot end it, and the old
    ///      one no longer may); the guardian or the owner clears it at once, nobody else can.
    function test_ClearSolvency_EndsARecordLeftByAReplacedAttestor_GuardianOrOwnerOnly() public {
        _certifyAndRegister();
        address oldAttestor = address(0xA77E);
        registry.setAttestor(oldAttestor);
        registry.setSolvencyRequirement(vault, true, 0);
        vm.prank(oldAttestor);
        registry.recordSolvency(vault, 2_000_000_000, 7);
        registry.setAttestor(address(0xBEEF));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedAttestor.selector, oldAttestor));
        vm.prank(oldAttestor);
        registry.recordSolvency(vault, 0, 7);
        (,,,,, uint64 until,,,,) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), 2_000_000_000, "still open after the replacement");

        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedGuardian.selector, stranger));
        vm.prank(stranger);
        registry.clearSolvency(vault);
        vm.expectEmit(true, true, true, true, address(registry));
        emit SolvencyRecorded(vault, 0, 7);
        vm.prank(guardian);
        registry.clearSolvency(vault);
        (bool required, uint16 reserve, uint64 validUntil, uint64 generation) = registry.solvencyStatus(vault);
        assertTrue(required, "still required");
        assertEq(uint256(reserve), 0, "reserve mask kept");
        assertEq(uint256(validUntil), 0, "cleared");
        assertEq(uint256(generation), 7, "generation kept");
        (,,,,, until,,,,) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), 0, "the vault's gate is closed");
        registry.clearSolvency(vault); // the owner too
    }

    function test_SolvencyGate_IsPerVault_RecordsOnlyFromTheAttestor_AndSurvivesRebindAndPause() public {
        _certifyAndRegister();
        address attestor = address(0xA77E);
        vm.expectEmit(true, true, true, true, address(registry));
        emit AttestorUpdated(address(0), attestor);
        registry.setAttestor(attestor);
        assertEq(registry.attestor(), attestor, "attestor");

        vm.expectEmit(true, true, true, true, address(registry));
        emit SolvencyRequirementSet(vault, true, 0x18);
        registry.setSolvencyRequirement(vault, true, 0x18);
        (,,,,, uint64 until, uint16 reserve,,,) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), 0, "required and never attested");
        assertEq(uint256(reserve), 0x18, "reserve mask");
        // The gate is the vault's: the same agent at another vault has none.
        (,,,,, until, reserve,,,) = registry.tradingStatus(otherVault, agent);
        assertEq(uint256(until), type(uint64).max, "another vault's gate is its own");

        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedAttestor.selector, stranger));
        vm.prank(stranger);
        registry.recordSolvency(vault, 123, 1);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedAttestor.selector, address(this)));
        registry.recordSolvency(vault, 123, 1);

        vm.expectEmit(true, true, true, true, address(registry));
        emit SolvencyRecorded(vault, 2_000_000_000, 7);
        vm.prank(attestor);
        registry.recordSolvency(vault, 2_000_000_000, 7);
        uint64 generation;
        (,,,,, until,,,, generation) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), 2_000_000_000, "recorded");
        assertEq(uint256(generation), 7, "the generation recorded");
        (, reserve,,) = registry.solvencyStatus(vault);
        assertEq(uint256(reserve), 0x18, "the mask is kept by a record");
        // Every agent of the vault sees it (a vault's liabilities are the vault's).
        registry.registerAgent(vault, stranger, MODEL, PARAMS);
        (,,,,, until,,,,) = registry.tradingStatus(vault, stranger);
        assertEq(uint256(until), 2_000_000_000, "the vault's other agent");

        // Pausing, rebinding, unpausing and removing agents keep the vault's gate.
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.rebindAgent(vault, agent, OTHER_MODEL, PARAMS);
        registry.unpauseAgent(vault, agent);
        registry.removeAgent(vault, stranger);
        _assertBinding(OTHER_MODEL, PARAMS, true);
        (bool required, uint16 mask, uint64 validUntil, uint64 recorded) = registry.solvencyStatus(vault);
        assertTrue(required, "still required");
        assertEq(uint256(mask), 0x18, "mask kept");
        assertEq(uint256(validUntil), 2_000_000_000, "validUntil kept");
        assertEq(uint256(recorded), 7, "generation kept");

        // Lifting the requirement leaves the record but unbounds the gate.
        registry.setSolvencyRequirement(vault, false, 0);
        (,,,,, until, reserve,,,) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), type(uint64).max, "not required");
        (,, validUntil, recorded) = registry.solvencyStatus(vault);
        assertEq(uint256(validUntil), 2_000_000_000, "record kept");
        assertEq(uint256(recorded), 7, "generation kept");

        // A later record replaces both the freshness and the generation; validUntil 0 ends it.
        registry.setSolvencyRequirement(vault, true, 0x18);
        vm.prank(attestor);
        registry.recordSolvency(vault, 0, 9);
        (required, mask, validUntil, recorded) = registry.solvencyStatus(vault);
        assertTrue(required, "required again");
        assertEq(uint256(mask), 0x18, "mask");
        assertEq(uint256(validUntil), 0, "ended");
        assertEq(uint256(recorded), 9, "generation replaced");
        vm.prank(attestor);
        registry.recordSolvency(vault, type(uint64).max - 1, type(uint64).max);
        (,,,,, until,,,, generation) = registry.tradingStatus(vault, agent);
        assertEq(uint256(until), type(uint64).max - 1, "widest validUntil");
        assertEq(uint256(generation), type(uint64).max, "widest generation, no bleed into other fields");
        (required, mask,,) = registry.solvencyStatus(vault);
        assertTrue(required && mask == 0x18, "flag and mask untouched");
    }

    function test_RevertSolvencyGovernance_WhenNotOwnerOrVaultZero() public {
        vm.expectRevert(IRegistryErrors.InvalidVault.selector);
        registry.setSolvencyRequirement(address(0), true, 0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.setSolvencyRequirement(vault, false, 0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.setAttestor(guardian);
    }

    // ---------------------------------------------------------------- per-vault authority

    function test_Registration_IsPerVault() public {
        _certifyAndRegister();
        // Registered for `vault` only: no standing at `otherVault`.
        (uint256 m, uint256 p, bool a) = registry.agentBinding(otherVault, agent);
        assertEq(m, 0, "no model at the other vault");
        assertEq(p, 0, "no params at the other vault");
        assertFalse(a, "not active at the other vault");
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, otherVault, agent));
        registry.pauseAgent(otherVault, agent);
        // A registration there is independent: pausing it leaves the first one active.
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.registerAgent(otherVault, agent, OTHER_MODEL, PARAMS);
        registry.pauseAgent(otherVault, agent);
        _assertBinding(MODEL, PARAMS, true);
        (m,, a) = registry.agentBinding(otherVault, agent);
        assertEq(m, OTHER_MODEL, "its own model there");
        assertFalse(a, "paused there only");
        registry.removeAgent(otherVault, agent);
        _assertBinding(MODEL, PARAMS, true);
    }

    // ---------------------------------------------------------------- loss budget

    function _lossBudget(address v, address who) internal view returns (uint16 budget, uint32 window) {
        (,,,,,,, budget, window,) = registry.tradingStatus(v, who);
    }

    function test_LossBudget_SetByTheOwner_ZeroedByTheGuardianAtOnce_KeptOnRebindAndPause() public {
        _certifyAndRegister();
        (uint16 budget, uint32 window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 0, "a new agent has no budget");
        vm.expectEmit(true, true, true, true, address(registry));
        emit LossBudgetSet(vault, agent, 150, 1 days);
        registry.setLossBudget(vault, agent, 150, 1 days);
        (budget, window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 150, "budget");
        assertEq(uint256(window), 1 days, "window");
        (, uint32 otherBudget) = _lossBudget(otherVault, agent);
        assertEq(uint256(otherBudget), 0, "per vault");

        // Kept across a pause and a rebind; the binding is unchanged by it.
        registry.pauseAgent(vault, agent);
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.rebindAgent(vault, agent, OTHER_MODEL, PARAMS);
        registry.unpauseAgent(vault, agent);
        _assertBinding(OTHER_MODEL, PARAMS, true);
        (budget, window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 150, "budget kept");
        assertEq(uint256(window), 1 days, "window kept");

        // The guardian zeroes it at once; the window stays.
        vm.expectEmit(true, true, true, true, address(registry));
        emit LossBudgetSet(vault, agent, 0, 1 days);
        vm.prank(guardian);
        registry.revokeLossBudget(vault, agent);
        (budget, window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 0, "zeroed");
        assertEq(uint256(window), 1 days, "window kept");
        _assertBinding(OTHER_MODEL, PARAMS, true);
        // But cannot restore it.
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.setLossBudget(vault, agent, 150, 1 days);

        // Removal forgets it: a re-registered agent starts at 0 again.
        registry.setLossBudget(vault, agent, 10_000, type(uint32).max);
        (budget, window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 10_000, "the largest budget");
        assertEq(uint256(window), type(uint32).max, "the longest window");
        registry.removeAgent(vault, agent);
        registry.registerAgent(vault, agent, MODEL, PARAMS);
        (budget, window) = _lossBudget(vault, agent);
        assertEq(uint256(budget), 0, "forgotten");
        assertEq(uint256(window), 0, "forgotten window");
    }

    function test_RevertSetLossBudget_WhenOutOfRangeOrNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, vault, agent));
        registry.setLossBudget(vault, agent, 100, 1 days);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, vault, agent));
        registry.revokeLossBudget(vault, agent);
        _certifyAndRegister();
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidLossBudget.selector, uint16(10_001), 1 days));
        registry.setLossBudget(vault, agent, 10_001, 1 days);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidLossBudget.selector, uint16(100), 0));
        registry.setLossBudget(vault, agent, 100, 0);
        // A window that refills within minutes bounds next to nothing: an hour at least.
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.InvalidLossBudget.selector, uint16(100), 1 hours - 1));
        registry.setLossBudget(vault, agent, 100, 1 hours - 1);
        registry.setLossBudget(vault, agent, 100, 1 hours);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedGuardian.selector, stranger));
        vm.prank(stranger);
        registry.revokeLossBudget(vault, agent);
    }

    // ---------------------------------------------------------------- owner-only surface

    /// @dev (e) Every owner function refuses any other caller, the guardian included, with the exact error; and
    ///      ownership cannot be renounced (governance would be frozen).
    function test_RevertEveryOwnerFunction_WhenNotTheTimelock() public {
        bytes[] memory calls = new bytes[](13);
        calls[0] = abi.encodeCall(governed.certifyModel, (MODEL, _metadata("m")));
        calls[1] = abi.encodeCall(governed.decertifyModel, (MODEL));
        calls[2] = abi.encodeCall(governed.certifyParams, (PARAMS, "p", PARAMS_HASH));
        calls[3] = abi.encodeCall(governed.decertifyParams, (PARAMS));
        calls[4] = abi.encodeCall(governed.registerAgent, (vault, agent, MODEL, PARAMS));
        calls[5] = abi.encodeCall(governed.rebindAgent, (vault, agent, MODEL, PARAMS));
        calls[6] = abi.encodeCall(governed.removeAgent, (vault, agent));
        calls[7] = abi.encodeCall(governed.unpauseAgent, (vault, agent));
        calls[8] = abi.encodeCall(governed.setLossBudget, (vault, agent, 100, 1 days));
        calls[9] = abi.encodeCall(governed.setGuardian, (stranger));
        calls[10] = abi.encodeCall(governed.setAttestor, (stranger));
        calls[11] = abi.encodeCall(governed.setSolvencyRequirement, (vault, true, 0));
        calls[12] = abi.encodeCall(governed.transferOwnership, (stranger));
        address[3] memory callers = [address(this), guardian, stranger];
        for (uint256 c = 0; c < callers.length; ++c) {
            for (uint256 i = 0; i < calls.length; ++i) {
                vm.prank(callers[c]);
                (bool ok, bytes memory err) = address(governed).call(calls[i]);
                assertFalse(ok, "refused");
                assertEq(
                    keccak256(err),
                    keccak256(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, callers[c])),
                    "OwnableUnauthorizedAccount(caller)"
                );
            }
        }
        assertEq(governed.owner(), address(timelock), "still the timelock's");
    }

    function test_RevertRenounceOwnership_Always() public {
        vm.expectRevert(IRegistryErrors.OwnershipCannotBeRenounced.selector);
        registry.renounceOwnership();
        vm.expectRevert(IRegistryErrors.OwnershipCannotBeRenounced.selector);
        vm.prank(address(timelock));
        governed.renounceOwnership();
        assertEq(registry.owner(), address(this), "owner kept");
        assertEq(governed.owner(), address(timelock), "timelock kept");
    }

    function test_RevertRegisterAgent_WhenUncertifiedOrInvalid() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ParamsNotCertified.selector, PARAMS));
        registry.registerAgent(vault, agent, MODEL, PARAMS);
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ModelNotCertified.selector, OTHER_MODEL));
        registry.registerAgent(vault, agent, OTHER_MODEL, PARAMS);
        vm.expectRevert(IRegistryErrors.InvalidAgent.selector);
        registry.registerAgent(vault, address(0), MODEL, PARAMS);
        vm.expectRevert(IRegistryErrors.InvalidVault.selector);
        registry.registerAgent(address(0), agent, MODEL, PARAMS);
        registry.registerAgent(vault, agent, MODEL, PARAMS);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentAlreadyRegistered.selector, vault, agent));
        registry.registerAgent(vault, agent, MODEL, PARAMS);
    }

    function test_RevertRegisterAgent_WhenNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.registerAgent(vault, agent, MODEL, PARAMS);
    }

    function test_RebindAgent_ChangesModelAndKeepsPauseState() public {
        _certifyAndRegister();
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentBound(vault, agent, OTHER_MODEL, PARAMS);
        registry.rebindAgent(vault, agent, OTHER_MODEL, PARAMS);
        _assertBinding(OTHER_MODEL, PARAMS, false);
        registry.unpauseAgent(vault, agent);
        registry.rebindAgent(vault, agent, MODEL, PARAMS);
        _assertBinding(MODEL, PARAMS, true);
    }

    function test_RevertRebindAgent_WhenNotRegistered() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, vault, agent));
        registry.rebindAgent(vault, agent, MODEL, PARAMS);
    }

    function test_RemoveAgent_ForgetsIt() public {
        _certifyAndRegister();
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentRemoved(vault, agent);
        registry.removeAgent(vault, agent);
        _assertBinding(0, 0, false);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, vault, agent));
        registry.removeAgent(vault, agent);
    }

    function test_PauseAgent_ByGuardianOrOwner_UnpauseByOwnerOnly() public {
        _certifyAndRegister();
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentPaused(vault, agent, guardian);
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);
        _assertBinding(MODEL, PARAMS, false);

        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentStateUnchanged.selector, vault, agent, false));
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);

        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentUnpaused(vault, agent);
        registry.unpauseAgent(vault, agent);
        _assertBinding(MODEL, PARAMS, true);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentStateUnchanged.selector, vault, agent, true));
        registry.unpauseAgent(vault, agent);

        registry.pauseAgent(vault, agent); // the owner may pause too
        _assertBinding(MODEL, PARAMS, false);
    }

    function test_RevertPauseAgent_WhenNeitherGuardianNorOwner() public {
        _certifyAndRegister();
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedGuardian.selector, stranger));
        vm.prank(stranger);
        registry.pauseAgent(vault, agent);
    }

    function test_RevertPauseAgent_WhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, vault, agent));
        vm.prank(guardian);
        registry.pauseAgent(vault, agent);
    }

    function test_SetGuardian_OnlyOwner() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit GuardianUpdated(guardian, stranger);
        registry.setGuardian(stranger);
        assertEq(registry.guardian(), stranger, "guardian");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        registry.setGuardian(guardian);
    }

    function testFuzz_AgentBinding_RoundTripsAnyCommitmentsAndPauseState(uint256 model, uint256 params, bool paused)
        public
    {
        model = bound(model, 1, R - 1);
        params = bound(params, 1, R - 1);
        registry.certifyModel(model, _metadata("m"));
        if (!registry.isParamsCertified(params)) registry.certifyParams(params, "p", PARAMS_HASH);
        registry.registerAgent(vault, agent, model, params);
        if (paused) registry.pauseAgent(vault, agent);
        _assertBinding(model, params, !paused);
    }
}
