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
        registry.registerAgent(agent, MODEL, PARAMS);
    }

    function _assertBinding(uint256 model, uint256 params, bool active) internal view {
        (uint256 m, uint256 p, bool a) = registry.agentBinding(agent);
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
        payloads[2] = abi.encodeCall(governed.registerAgent, (agent, MODEL, PARAMS));
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), bytes32(0), DELAY);
        vm.warp(block.timestamp + DELAY);
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));

        // The emergency stop needs no delay...
        vm.prank(guardian);
        governed.pauseAgent(agent);
        (,, bool active) = governed.agentBinding(agent);
        assertFalse(active, "paused at once");
        // ...but the guardian cannot undo it: unpausing is governance's.
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        governed.unpauseAgent(agent);
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
        emit AgentBound(agent, MODEL, PARAMS);
        registry.registerAgent(agent, MODEL, PARAMS);
        _assertBinding(MODEL, PARAMS, true);
    }

    function test_AgentBinding_IsZeroForAnUnknownAgent() public view {
        (uint256 m, uint256 p, bool a) = registry.agentBinding(stranger);
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
        registry.pauseAgent(agent);
        _assertStatus(agent, MODEL, PARAMS, false, true, true);
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.rebindAgent(agent, OTHER_MODEL, PARAMS);
        _assertStatus(agent, OTHER_MODEL, PARAMS, false, true, true);
        registry.removeAgent(agent);
        _assertStatus(agent, 0, 0, false, false, false);
    }

    function _assertStatus(address who, uint256 model, uint256 params, bool active, bool modelOk, bool paramsOk)
        internal
        view
    {
        (uint256 m, uint256 p, bool a, bool mc, bool pc, uint64 until, uint16 reserve) = registry.tradingStatus(who);
        assertEq(uint256(until), type(uint64).max, "no solvency requirement: unbounded");
        assertEq(uint256(reserve), 0, "no reserve assets");
        assertEq(m, model, "model");
        assertEq(p, params, "params");
        assertEq(a, active, "active");
        assertEq(mc, modelOk, "model certified");
        assertEq(pc, paramsOk, "params certified");
        assertEq(mc, model != 0 && registry.isModelCertified(model), "agrees with isModelCertified");
        assertEq(pc, params != 0 && registry.isParamsCertified(params), "agrees with isParamsCertified");
    }

    // ---------------------------------------------------------------- solvency gate

    function test_SolvencyGate_RecordsOnlyFromTheAttestorAndSurvivesRebindAndPause() public {
        _certifyAndRegister();
        address attestor = address(0xA77E);
        vm.expectEmit(true, true, true, true, address(registry));
        emit AttestorUpdated(address(0), attestor);
        registry.setAttestor(attestor);
        assertEq(registry.attestor(), attestor, "attestor");

        vm.expectEmit(true, true, true, true, address(registry));
        emit SolvencyRequirementSet(agent, true, 0x18);
        registry.setSolvencyRequirement(agent, true, 0x18);
        (,,,,, uint64 until, uint16 reserve) = registry.tradingStatus(agent);
        assertEq(uint256(until), 0, "required and never attested");
        assertEq(uint256(reserve), 0x18, "reserve mask");

        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedAttestor.selector, stranger));
        vm.prank(stranger);
        registry.recordSolvency(agent, 123);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedAttestor.selector, address(this)));
        registry.recordSolvency(agent, 123);

        vm.expectEmit(true, true, true, true, address(registry));
        emit SolvencyRecorded(agent, 2_000_000_000);
        vm.prank(attestor);
        registry.recordSolvency(agent, 2_000_000_000);
        (,,,,, until,) = registry.tradingStatus(agent);
        assertEq(uint256(until), 2_000_000_000, "recorded");

        // Pausing, rebinding and unpausing keep the gate; the binding is unchanged by it.
        vm.prank(guardian);
        registry.pauseAgent(agent);
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        registry.rebindAgent(agent, OTHER_MODEL, PARAMS);
        registry.unpauseAgent(agent);
        _assertBinding(OTHER_MODEL, PARAMS, true);
        (bool required, uint16 mask, uint64 validUntil) = registry.solvencyStatus(agent);
        assertTrue(required, "still required");
        assertEq(uint256(mask), 0x18, "mask kept");
        assertEq(uint256(validUntil), 2_000_000_000, "validUntil kept");

        // Lifting the requirement leaves the record but unbounds the gate.
        registry.setSolvencyRequirement(agent, false, 0);
        (,,,,, until, reserve) = registry.tradingStatus(agent);
        assertEq(uint256(until), type(uint64).max, "not required");
        (,, validUntil) = registry.solvencyStatus(agent);
        assertEq(uint256(validUntil), 2_000_000_000, "record kept");

        // Removing the agent forgets its gate; an unregistered agent's record is not kept.
        registry.removeAgent(agent);
        vm.prank(attestor);
        registry.recordSolvency(agent, 5);
        (required, mask, validUntil) = registry.solvencyStatus(agent);
        assertFalse(required, "forgotten");
        assertEq(uint256(validUntil), 0, "nothing kept for an unregistered agent");
    }

    function test_RevertSolvencyGovernance_WhenNotOwnerOrNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, agent));
        registry.setSolvencyRequirement(agent, true, 0);
        _certifyAndRegister();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.setSolvencyRequirement(agent, false, 0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.setAttestor(guardian);
    }

    function test_RevertRegisterAgent_WhenUncertifiedOrInvalid() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ParamsNotCertified.selector, PARAMS));
        registry.registerAgent(agent, MODEL, PARAMS);
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.ModelNotCertified.selector, OTHER_MODEL));
        registry.registerAgent(agent, OTHER_MODEL, PARAMS);
        vm.expectRevert(IRegistryErrors.InvalidAgent.selector);
        registry.registerAgent(address(0), MODEL, PARAMS);
        registry.registerAgent(agent, MODEL, PARAMS);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentAlreadyRegistered.selector, agent));
        registry.registerAgent(agent, MODEL, PARAMS);
    }

    function test_RevertRegisterAgent_WhenNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        registry.registerAgent(agent, MODEL, PARAMS);
    }

    function test_RebindAgent_ChangesModelAndKeepsPauseState() public {
        _certifyAndRegister();
        registry.certifyModel(OTHER_MODEL, _metadata("risk-mlp v2"));
        vm.prank(guardian);
        registry.pauseAgent(agent);
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentBound(agent, OTHER_MODEL, PARAMS);
        registry.rebindAgent(agent, OTHER_MODEL, PARAMS);
        _assertBinding(OTHER_MODEL, PARAMS, false);
        registry.unpauseAgent(agent);
        registry.rebindAgent(agent, MODEL, PARAMS);
        _assertBinding(MODEL, PARAMS, true);
    }

    function test_RevertRebindAgent_WhenNotRegistered() public {
        registry.certifyModel(MODEL, _metadata("risk-mlp"));
        registry.certifyParams(PARAMS, "typical", PARAMS_HASH);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, agent));
        registry.rebindAgent(agent, MODEL, PARAMS);
    }

    function test_RemoveAgent_ForgetsIt() public {
        _certifyAndRegister();
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentRemoved(agent);
        registry.removeAgent(agent);
        _assertBinding(0, 0, false);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, agent));
        registry.removeAgent(agent);
    }

    function test_PauseAgent_ByGuardianOrOwner_UnpauseByOwnerOnly() public {
        _certifyAndRegister();
        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentPaused(agent, guardian);
        vm.prank(guardian);
        registry.pauseAgent(agent);
        _assertBinding(MODEL, PARAMS, false);

        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentStateUnchanged.selector, agent, false));
        vm.prank(guardian);
        registry.pauseAgent(agent);

        vm.expectEmit(true, true, true, true, address(registry));
        emit AgentUnpaused(agent);
        registry.unpauseAgent(agent);
        _assertBinding(MODEL, PARAMS, true);
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentStateUnchanged.selector, agent, true));
        registry.unpauseAgent(agent);

        registry.pauseAgent(agent); // the owner may pause too
        _assertBinding(MODEL, PARAMS, false);
    }

    function test_RevertPauseAgent_WhenNeitherGuardianNorOwner() public {
        _certifyAndRegister();
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.UnauthorizedGuardian.selector, stranger));
        vm.prank(stranger);
        registry.pauseAgent(agent);
    }

    function test_RevertPauseAgent_WhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistryErrors.AgentNotRegistered.selector, agent));
        vm.prank(guardian);
        registry.pauseAgent(agent);
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
        registry.registerAgent(agent, model, params);
        if (paused) registry.pauseAgent(agent);
        _assertBinding(model, params, !paused);
    }
}
