// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateVault, IVaultErrors, IVaultEvents} from "../src/interfaces/IProofGateVault.sol";
import {MockVenue} from "./mocks/MockVenue.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {MockVerifierBase} from "./utils/ProofGateBase.sol";

/// @notice Governed administration of the scenario's vault (governance = its `TimelockController`): every setter
///         refuses any other caller with the exact error and nothing changed, and works through the timelock after
///         its delay; ownership cannot be renounced; the L2 sequencer gate (down, inside the grace period, up after
///         it); per-vault authority (an agent certified for another vault has no standing here).
contract ProofGateVaultGovernanceTest is MockVerifierBase, IVaultEvents {
    /// @dev TimelockController's state bitmap for `Ready` (1 << OperationState.Ready).
    bytes32 internal constant READY = bytes32(uint256(1 << 2));
    uint32 internal constant GRACE = 1 hours;

    IProofGateVault.Trade internal trade;

    function setUp() public {
        _setUpSystem();
        trade = tradeSpecs[0].trade; // sell 10.5 WETH for USDC
    }

    // ---------------------------------------------------------------- (e) every setter is governance's

    /// @dev Every governance setter of the vault, with arguments that would change something.
    function _setterCalls() internal returns (bytes[] memory calls) {
        calls = new bytes[](8);
        calls[0] = abi.encodeCall(vault.addAsset, (tokens[0], feeds[0], HEARTBEAT));
        calls[1] = abi.encodeCall(vault.setFeed, (0, feeds[1], HEARTBEAT));
        calls[2] = abi.encodeCall(vault.setVenue, (new MockVenue()));
        calls[3] = abi.encodeCall(vault.setDebt, (0, 0));
        calls[4] = abi.encodeCall(vault.syncHolding, (0));
        calls[5] = abi.encodeCall(vault.setGuardian, (stranger));
        calls[6] = abi.encodeCall(vault.setSequencerFeed, (feeds[0], GRACE));
        calls[7] = abi.encodeCall(vault.unpause, ());
    }

    /// @dev (e) Each of addAsset, setFeed, setVenue, setDebt, syncHolding, setGuardian, setSequencerFeed and unpause
    ///      reverts with UnauthorizedGovernance(caller) for the owner, the guardian, an agent and a stranger, and
    ///      changes nothing (positions, balances, nonces, buckets, the asset table, the guardian, the pause).
    function test_RevertEveryGovernanceSetter_WhenNotCalledByTheTimelock() public {
        tokens[0].mint(address(vault), 1e18); // so that syncHolding would change the holding
        vm.prank(guardian);
        vault.pause(); // so that unpause would change something
        bytes[] memory calls = _setterCalls();
        address[4] memory callers = [address(this), guardian, agent, stranger];
        State memory before = _state();
        address table = vault.assetTable();
        for (uint256 c = 0; c < callers.length; ++c) {
            for (uint256 i = 0; i < calls.length; ++i) {
                vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnauthorizedGovernance.selector, callers[c]));
                vm.prank(callers[c]);
                (bool ok,) = address(vault).call(calls[i]);
                ok; // expectRevert has checked the call reverted, with exactly this error
            }
        }
        _assertUnchanged(before);
        assertEq(vault.assetTable(), table, "asset table unchanged");
        assertEq(vault.guardian(), guardian, "guardian unchanged");
        assertTrue(vault.paused(), "still paused");
        (address seq,) = vault.sequencerFeed();
        assertEq(seq, address(0), "no sequencer feed");
        assertEq(vault.GOVERNANCE(), address(timelock), "governance is the timelock");
    }

    /// @dev Through the timelock every setter takes effect, and only after the delay.
    function test_GovernanceSetters_TakeEffectThroughTheTimelockAfterItsDelay() public {
        bytes[] memory calls = new bytes[](5);
        calls[0] = abi.encodeCall(vault.setDebt, (4, 123e18));
        calls[1] = abi.encodeCall(vault.setFeed, (0, feeds[0], 600));
        calls[2] = abi.encodeCall(vault.setGuardian, (stranger));
        calls[3] = abi.encodeCall(vault.setSequencerFeed, (feeds[7], GRACE));
        calls[4] = abi.encodeCall(vault.syncHolding, (1));
        address[] memory targets = new address[](5);
        uint256[] memory values = new uint256[](5);
        for (uint256 i = 0; i < 5; ++i) {
            targets[i] = address(vault);
        }
        tokens[1].mint(address(vault), 5);
        timelock.scheduleBatch(targets, values, calls, bytes32(0), bytes32(0), GOVERNANCE_DELAY);
        bytes32 id = timelock.hashOperationBatch(targets, values, calls, bytes32(0), bytes32(0));
        vm.warp(block.timestamp + GOVERNANCE_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.executeBatch(targets, values, calls, bytes32(0), bytes32(0));
        assertEq(vault.asset(4).debt, assetSpecs[4].debt, "nothing during the delay");
        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(vault));
        emit DebtSet(4, assetSpecs[4].debt, 123e18);
        timelock.executeBatch(targets, values, calls, bytes32(0), bytes32(0));
        assertEq(vault.asset(4).debt, 123e18, "debt");
        assertEq(uint256(vault.asset(0).heartbeat), 600, "heartbeat");
        assertEq(vault.guardian(), stranger, "guardian");
        (address seq, uint32 grace) = vault.sequencerFeed();
        assertEq(seq, address(feeds[7]), "sequencer feed");
        assertEq(uint256(grace), GRACE, "grace period");
        assertEq(vault.asset(1).holding, assetSpecs[1].balance + 5, "holding synced");
        assertEq(address(vault.venue()), address(venue), "the venue survives the table rewrites");

        // addAsset, on a fresh vault governed by the same timelock.
        ProofGateVault fresh =
            new ProofGateVault(address(this), address(timelock), guardian, registry, new MockVerifier(5), 2);
        _govern(address(fresh), abi.encodeCall(fresh.addAsset, (tokens[0], feeds[0], HEARTBEAT)));
        assertEq(uint256(fresh.assetsRegistered()), 1, "asset added through the timelock");
    }

    /// @dev Pausing is the guardian's or governance's; unpausing governance's only.
    function test_GuardianPauses_OnlyGovernanceUnpauses() public {
        vm.prank(guardian);
        vault.pause();
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnauthorizedGovernance.selector, guardian));
        vm.prank(guardian);
        vault.unpause();
        _govern(address(vault), abi.encodeCall(vault.unpause, ()));
        assertFalse(vault.paused(), "unpaused through the timelock");
    }

    function test_RevertRenounceOwnership_Always() public {
        vm.expectRevert(IVaultErrors.OwnershipCannotBeRenounced.selector);
        vault.renounceOwnership();
        vm.expectRevert(IVaultErrors.OwnershipCannotBeRenounced.selector);
        vm.prank(address(timelock));
        vault.renounceOwnership();
        assertEq(vault.owner(), address(this), "owner kept");
        // Governance cannot take the funds either: ownership moves only by the owner's two-step transfer.
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(timelock)));
        vm.prank(address(timelock));
        vault.transferOwnership(address(timelock));
    }

    function test_RevertConstructor_WhenGovernanceZero() public {
        vm.expectRevert(IVaultErrors.ZeroAddress.selector);
        new ProofGateVault(address(this), address(0), guardian, registry, verifier, 8);
    }

    // ---------------------------------------------------------------- L2 sequencer

    /// @dev A Chainlink-shaped sequencer-uptime feed ({PriceFeed}: answer 0 up, 1 down; startedAt = when the
    ///      status began) reporting `answer` since `since`.
    function _sequencerFeed(int256 answer, uint256 since) internal returns (PriceFeed feed) {
        uint256 now_ = block.timestamp;
        vm.warp(since);
        feed = new PriceFeed(0, "L2 sequencer uptime", answer);
        vm.warp(now_);
    }

    /// @dev Sets `feed` as the vault's sequencer feed as governance (the timelock's address; the timelock's own path
    ///      is tested above), checking the event and the view.
    function _setSequencer(AggregatorV3Interface feed) internal {
        uint32 grace = address(feed) == address(0) ? 0 : GRACE;
        vm.expectEmit(true, true, true, true, address(vault));
        emit SequencerFeedUpdated(address(feed), grace);
        vm.prank(address(timelock));
        vault.setSequencerFeed(feed, grace);
        (address seq, uint32 g) = vault.sequencerFeed();
        assertEq(seq, address(feed), "sequencer feed");
        assertEq(uint256(g), grace, "grace period");
    }

    /// @dev The trade with `proof` (accepted before the feed was set) is refused with `err`, nothing changed; so
    ///      are the statement and the check.
    function _assertSequencerRefuses(uint256[8] memory proof, bytes memory err) internal {
        State memory before = _state();
        vm.expectRevert(err);
        vm.prank(agent);
        vault.executeTrade(trade, deadline, proof);
        _assertUnchanged(before);
        vm.expectRevert(err);
        vault.publicInputs(agent, trade, deadline);
        vm.expectRevert(err);
        vault.checkTrade(agent, trade, deadline, proof);
    }

    function test_RevertExecute_WhenSequencerDown() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _setSequencer(_sequencerFeed(1, block.timestamp - 3 hours));
        _assertSequencerRefuses(proof, abi.encodeWithSelector(IVaultErrors.SequencerDown.selector));
    }

    function test_RevertExecute_WhenSequencerInsideItsGracePeriod() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        // Up for exactly the grace period: still refused (`block.timestamp - startedAt <= gracePeriod`).
        uint256 since = block.timestamp - GRACE;
        _setSequencer(_sequencerFeed(0, since));
        _assertSequencerRefuses(proof, abi.encodeWithSelector(IVaultErrors.SequencerGracePeriod.selector, since, GRACE));
    }

    function test_RevertExecute_WhenSequencerStatusHasNoOrAFutureStart() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        // startedAt 0 (no status yet) and startedAt in the future are both treated as inside the grace period.
        _setSequencer(_sequencerFeed(0, 0));
        _assertSequencerRefuses(proof, abi.encodeWithSelector(IVaultErrors.SequencerGracePeriod.selector, 0, GRACE));
        uint256 later = block.timestamp + 1;
        _setSequencer(_sequencerFeed(0, later));
        _assertSequencerRefuses(proof, abi.encodeWithSelector(IVaultErrors.SequencerGracePeriod.selector, later, GRACE));
    }

    function test_Executes_WhenSequencerUpPastItsGracePeriod() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        PriceFeed feed = _sequencerFeed(0, block.timestamp - GRACE - 1);
        _setSequencer(feed);
        vm.prank(agent);
        vault.executeTrade(trade, deadline, proof);
        assertEq(vault.nonces(agent), 1, "traded");
        // The sequencer goes down: refused at once; the zero feed (L1) turns the check off again.
        feed.submit(1);
        IProofGateVault.Trade memory next = tradeSpecs[3].trade;
        vm.expectRevert(IVaultErrors.SequencerDown.selector);
        vault.publicInputs(agent, next, deadline);
        _setSequencer(AggregatorV3Interface(address(0)));
        vault.publicInputs(agent, next, deadline);
    }

    // ---------------------------------------------------------------- (d) per-vault authority (mock)

    /// @dev (d) An agent certified only for vault A (same registry, same verifier) cannot trade this vault: its
    ///      trade reverts AgentNotRegistered(agent) before any proof is looked at (the verifier here ACCEPTS
    ///      EVERYTHING, standing in for an honest proof of this vault's state), nothing changed. The same check with
    ///      the prover's real proof is in ProofGateVault.fixtures.t.sol.
    function test_RevertExecute_WhenAgentIsCertifiedOnlyForAnotherVault() public {
        ProofGateVault vaultA = new ProofGateVault(address(this), address(timelock), guardian, registry, verifier, 8);
        address onlyA = address(0xA11CE);
        _govern(abi.encodeCall(registry.registerAgent, (address(vaultA), onlyA, modelCommitment, paramsCommitment)));
        _govern(abi.encodeCall(registry.setLossBudget, (address(vaultA), onlyA, LOSS_BUDGET_BPS, LOSS_WINDOW)));
        _watch(onlyA);
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        bytes memory err = abi.encodeWithSelector(IVaultErrors.AgentNotRegistered.selector, onlyA);
        State memory before = _state();
        vm.expectRevert(err);
        vm.prank(onlyA);
        vault.executeTrade(trade, deadline, proof);
        _assertUnchanged(before);
        vm.expectRevert(err);
        vault.publicInputs(onlyA, trade, deadline);
        (,, bool activeHere) = registry.agentBinding(address(vault), onlyA);
        (,, bool activeThere) = registry.agentBinding(address(vaultA), onlyA);
        assertFalse(activeHere, "no standing here");
        assertTrue(activeThere, "certified for vault A");
    }
}
