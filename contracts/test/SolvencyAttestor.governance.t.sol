// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateRegistry} from "../src/interfaces/IProofGateRegistry.sol";
import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../src/interfaces/IRiskVerifier.sol";
import {ISolvencyAttestorErrors} from "../src/interfaces/ISolvencyAttestor.sol";
import {IVenue} from "../src/venues/IVenue.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {SolvencyAttestorBase} from "./utils/SolvencyAttestorBase.sol";

/// @notice The attestor's governance and freshness: per-vault parameters through the timelock, the guardian, every
///         range check of the setters; every change of a vault's parameters in the attestor (haircut, margin,
///         maximum age, reserve feed) and of what the vault's attestation counted in the vault (feed, venue,
///         sequencer feed, debt, holding sync, withdrawal) ends its fresh attestation and closes the vault's gate for
///         risk-increasing trades; {syncSolvency} never extends an attestation (fuzzed); revocation.
contract SolvencyAttestorGovernanceTest is SolvencyAttestorBase {
    /// @dev TimelockController's state bitmap for `Ready` (1 << OperationState.Ready).
    bytes32 internal constant READY = bytes32(uint256(1 << 2));

    // ---------------------------------------------------------------- governance and guardian

    function test_Governance_SetsPerVaultParametersOnlyAfterTheTimelockDelay() public {
        PriceFeed feed = new PriceFeed(8, "PoR", 1e8);
        address v = address(vault);
        address[] memory targets = new address[](5);
        bytes[] memory payloads = new bytes[](5);
        uint256[] memory values = new uint256[](5);
        for (uint256 i = 0; i < 5; ++i) {
            targets[i] = address(governed);
        }
        payloads[0] = abi.encodeCall(governed.setMargin, (v, 700));
        payloads[1] = abi.encodeCall(governed.setHaircut, (v, 2, 9_500));
        payloads[2] = abi.encodeCall(governed.setMaxAttestationAge, (v, 6 hours));
        payloads[3] = abi.encodeCall(governed.setReserveFeed, (v, 1, feed, RESERVE_HEARTBEAT));
        payloads[4] = abi.encodeCall(governed.setGuardian, (stranger));
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), bytes32(0), DELAY);
        bytes32 id = timelock.hashOperationBatch(targets, values, payloads, bytes32(0), bytes32(0));

        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));
        assertEq(uint256(governed.margin(v)), 0, "margin unchanged during the delay");

        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(governed));
        emit MarginUpdated(v, 0, 700);
        vm.expectEmit(true, true, true, true, address(governed));
        emit HaircutUpdated(v, 2, 0, 9_500);
        vm.expectEmit(true, true, true, true, address(governed));
        emit MaxAttestationAgeUpdated(v, 0, 6 hours);
        vm.expectEmit(true, true, true, true, address(governed));
        emit ReserveFeedUpdated(v, 1, address(feed), RESERVE_HEARTBEAT);
        vm.expectEmit(true, true, true, true, address(governed));
        emit GuardianUpdated(guardian, stranger);
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));
        assertEq(uint256(governed.margin(v)), 700, "margin");
        assertEq(uint256(governed.haircut(v, 2)), 9_500, "haircut");
        assertEq(uint256(governed.maxAttestationAge(v)), 6 hours, "max age");
        (address registered,,) = governed.reserveFeed(v, 1);
        assertEq(registered, address(feed), "reserve feed");
        assertEq(governed.guardian(), stranger, "guardian");
        // Per vault: another vault's parameters are untouched.
        assertEq(uint256(governed.margin(stranger)), 0, "another vault's margin");
        assertEq(uint256(governed.haircut(stranger, 2)), 0, "another vault's haircut");
    }

    function test_RevertGovernedCall_WhenNotThroughTheTimelock() public {
        address v = address(vault);
        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this));
        vm.expectRevert(unauthorized);
        governed.setMargin(v, 1);
        vm.expectRevert(unauthorized);
        governed.setHaircut(v, 0, 1);
        vm.expectRevert(unauthorized);
        governed.setMaxAttestationAge(v, 1);
        vm.expectRevert(unauthorized);
        governed.setReserveFeed(v, 0, AggregatorV3Interface(address(0)), 0);
        vm.expectRevert(unauthorized);
        governed.setGuardian(stranger);
        vm.expectRevert(unauthorized);
        governed.unpause();
        vm.expectRevert(unauthorized);
        governed.transferOwnership(stranger);
        // Nobody can renounce (the timelock included): the parameters would be frozen for good.
        vm.expectRevert(ISolvencyAttestorErrors.OwnershipCannotBeRenounced.selector);
        vm.prank(address(timelock));
        governed.renounceOwnership();
        assertEq(governed.owner(), address(timelock), "still the timelock's");
    }

    function test_Guardian_PausesAtOnceButCannotConfigure() public {
        vm.prank(guardian);
        governed.pause();
        assertTrue(governed.paused(), "paused by the guardian");
        address v = address(vault);
        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian);
        vm.startPrank(guardian);
        vm.expectRevert(unauthorized);
        governed.unpause();
        vm.expectRevert(unauthorized);
        governed.setMargin(v, 0);
        vm.expectRevert(unauthorized);
        governed.setHaircut(v, 0, 10_000);
        vm.expectRevert(unauthorized);
        governed.setMaxAttestationAge(v, 365 days);
        vm.expectRevert(unauthorized);
        governed.setReserveFeed(v, 0, AggregatorV3Interface(address(0)), 0);
        vm.expectRevert(unauthorized);
        governed.setGuardian(stranger);
        vm.stopPrank();
    }

    function test_RevertPause_WhenNeitherGuardianNorOwner() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnauthorizedPauser.selector, stranger));
        vm.prank(stranger);
        attestor.pause();
    }

    function test_RevertSetParameters_WhenOutOfRange() public {
        address v = address(vault);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidHaircut.selector, 0, 10_001));
        attestor.setHaircut(v, 0, 10_001);
        bytes memory unknown = abi.encodeWithSelector(ISolvencyAttestorErrors.UnknownAsset.selector, N);
        vm.expectRevert(unknown);
        attestor.setHaircut(v, N, 1);
        vm.expectRevert(unknown);
        attestor.haircut(v, N);
        vm.expectRevert(unknown);
        attestor.setReserveFeed(v, N, AggregatorV3Interface(address(0)), 0);
        vm.expectRevert(unknown);
        attestor.reserveFeed(v, N);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        attestor.setMaxAttestationAge(v, 0);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        attestor.setMaxAttestationAge(v, 365 days + 1);
        attestor.setMaxAttestationAge(v, 365 days);
        PriceFeed feed = new PriceFeed(8, "PoR", 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidHeartbeat.selector, 1));
        attestor.setReserveFeed(v, 1, feed, 0);
        PriceFeed wide = new PriceFeed(37, "PoR", 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedFeedDecimals.selector, 1, 37));
        attestor.setReserveFeed(v, 1, wide, RESERVE_HEARTBEAT);
        attestor.setReserveFeed(v, 1, new PriceFeed(36, "PoR", 1), RESERVE_HEARTBEAT);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        attestor.setHaircut(address(0), 0, 1);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        attestor.setMargin(address(0), 1);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        attestor.setMaxAttestationAge(address(0), 1);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        attestor.setReserveFeed(address(0), 0, feed, 1);
    }

    function test_RevertConstructor_WhenVerifierAssetCountOrShapeWrong() public {
        uint256 b = BALANCE_BITS;
        uint256 k = BATCH_DEPTH;
        // The base's verifier has 3 inputs; 8 assets at 3 lanes need 2 + 3.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.VerifierInputCountMismatch.selector, 3, 5));
        new SolvencyAttestor(address(this), guardian, verifier, 8, b, k, registry);
        // 128-bit balances: one lane per input, 2 + 3 for three assets.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.VerifierInputCountMismatch.selector, 3, 5));
        new SolvencyAttestor(address(this), guardian, verifier, N, 128, k, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedAssetCount.selector, 0));
        new SolvencyAttestor(address(this), guardian, verifier, 0, b, k, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedAssetCount.selector, 17));
        new SolvencyAttestor(address(this), guardian, verifier, 17, b, k, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedBalanceBits.selector, 0));
        new SolvencyAttestor(address(this), guardian, verifier, N, 0, k, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedBalanceBits.selector, 129));
        new SolvencyAttestor(address(this), guardian, verifier, N, 129, k, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedBatchDepth.selector, 21));
        new SolvencyAttestor(address(this), guardian, verifier, N, b, 21, registry);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        new SolvencyAttestor(address(this), guardian, IRiskVerifier(address(0)), N, b, k, registry);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        new SolvencyAttestor(address(this), guardian, verifier, N, b, k, IProofGateRegistry(address(0)));
        // The widest and the narrowest shapes: 128 + 20 bits is one lane; 1 + 0 bits is 253 lanes.
        new SolvencyAttestor(address(this), guardian, new MockVerifier(18), 16, 128, 20, registry);
        new SolvencyAttestor(address(this), guardian, new MockVerifier(3), 16, 1, 0, registry);
        new SolvencyAttestor(address(this), guardian, new MockVerifier(5), 8, b, k, registry);
    }

    // ---------------------------------------------------------------- every change ends a fresh attestation

    /// @dev Attests, then expects the attestor to end the attestation (SolvencyValidUntil 0, mirrored to the
    ///      registry) in the next call.
    function _attestAndExpectEnd(uint64 epoch) internal {
        _attest(epoch);
        _assertFresh("before the change");
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), 0);
    }

    function test_SetHaircut_EndsAFreshAttestation_EvenAHigherOne() public {
        _attestAndExpectEnd(1);
        attestor.setHaircut(address(vault), 1, haircuts[1] + 1);
        _assertEnded(true, "setHaircut");
        _attest(2);
        _assertFresh("a new attestation under the new haircut");
    }

    function test_SetMargin_EndsAFreshAttestation_EvenALowerOne() public {
        _attestAndExpectEnd(1);
        attestor.setMargin(address(vault), MARGIN - 1);
        _assertEnded(true, "setMargin");
    }

    function test_SetMaxAttestationAge_EndsAFreshAttestation_LongerOrShorter() public {
        _attestAndExpectEnd(1);
        attestor.setMaxAttestationAge(address(vault), MAX_AGE * 2);
        _assertEnded(true, "a longer age");
        // It cannot be revived by a sync under the longer age.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.syncSolvency(address(vault));
        _attest(2);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), 0);
        attestor.setMaxAttestationAge(address(vault), 1 hours);
        _assertEnded(true, "a shorter age");
    }

    function test_SetReserveFeed_EndsAFreshAttestation_OnRegistrationReplacementAndRemoval() public {
        PriceFeed feed = new PriceFeed(8, "PoR", 1e8);
        _attestAndExpectEnd(1);
        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        _assertEnded(true, "registered");
        _attestAndExpectEnd(2);
        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT / 2);
        _assertEnded(true, "another heartbeat");
        _attest(3);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), 0);
        attestor.setReserveFeed(address(vault), 1, AggregatorV3Interface(address(0)), 0);
        _assertEnded(true, "removed");
    }

    /// @dev Setting a parameter to the value it has is no change: the attestation stays fresh; and a change for
    ///      another vault does not touch this vault's.
    function test_Governance_LeavesTheAttestation_WhenNothingChangesForTheVault() public {
        _attest(1);
        attestor.setHaircut(address(vault), 1, haircuts[1]);
        attestor.setMargin(address(vault), MARGIN);
        attestor.setMaxAttestationAge(address(vault), MAX_AGE);
        attestor.setReserveFeed(address(vault), 2, AggregatorV3Interface(address(0)), 0);
        attestor.setHaircut(stranger, 1, 1);
        attestor.setMargin(stranger, 1);
        attestor.setMaxAttestationAge(stranger, 1);
        attestor.setReserveFeed(stranger, 1, new PriceFeed(8, "PoR", 1e8), 1);
        _assertFresh("unchanged");
        assertEq(uint256(attestor.attestation(address(vault)).validUntil), START + MAX_AGE, "validUntil kept");
    }

    /// @dev A change in the vault moves its generation: the attestation no longer counts (isSolvent false, the gate
    ///      closed) at once, and a sync writes it off in the attestor and the registry.
    function _assertEndedByTheVault(string memory what) internal {
        _assertEnded(false, what);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), 0);
        vm.prank(stranger);
        attestor.syncSolvency(address(vault));
        _assertEnded(true, what);
    }

    function test_VaultSetFeed_EndsAFreshAttestation() public {
        _attest(1);
        vault.setFeed(1, feeds[1], HEARTBEAT);
        _assertEndedByTheVault("setFeed");
        _attest(2);
        _assertFresh("a new attestation under the new generation");
    }

    function test_VaultSetVenue_EndsAFreshAttestation() public {
        _attest(1);
        vault.setVenue(IVenue(address(0x7e57)));
        _assertEndedByTheVault("setVenue");
    }

    function test_VaultSetSequencerFeed_EndsAFreshAttestation() public {
        _attest(1);
        vault.setSequencerFeed(AggregatorV3Interface(address(0)), 0);
        _assertEndedByTheVault("setSequencerFeed");
    }

    function test_VaultSetDebt_EndsAFreshAttestation() public {
        _attest(1);
        vault.setDebt(2, 1);
        _assertEndedByTheVault("setDebt");
    }

    function test_VaultSyncHolding_EndsAFreshAttestation() public {
        _attest(1);
        vault.syncHolding(1);
        _assertEndedByTheVault("syncHolding");
    }

    function test_VaultWithdraw_EndsAFreshAttestation() public {
        _attest(1);
        vault.withdraw(1, 1, address(this));
        _assertEndedByTheVault("withdraw");
    }

    function test_VaultDeposit_LeavesAFreshAttestation() public {
        _attest(1);
        tokens[1].mint(address(this), 1e18);
        tokens[1].approve(address(vault), 1e18);
        vault.deposit(1, 1e18);
        _assertFresh("a deposit only adds assets");
    }

    // ---------------------------------------------------------------- freshness

    function test_IsSolvent_FollowsTheMaximumAge() public {
        assertFalse(attestor.isSolvent(address(vault)), "no attestation yet");
        assertFalse(attestor.isSolvent(stranger), "not a vault, no attestation");
        _attest(1);
        vm.warp(START + MAX_AGE);
        assertTrue(attestor.isSolvent(address(vault)), "exactly the maximum age");
        vm.warp(START + MAX_AGE + 1);
        assertFalse(attestor.isSolvent(address(vault)), "stale");
        (IProofGateVault.Trade memory risky,) = _trades();
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, START + MAX_AGE));
        vault.publicInputs(agent, risky, block.timestamp + 1 hours);
        // A sync of a stale attestation keeps when it went stale (it only ever shortens).
        attestor.syncSolvency(address(vault));
        assertEq(uint256(attestor.attestation(address(vault)).validUntil), START + MAX_AGE, "kept");
        _refreshPrices();
        _attest(2);
        assertTrue(attestor.isSolvent(address(vault)), "fresh again");
    }

    function test_Revoke_StopsTheVaultAtOnceUntilItAttestsAgain() public {
        _attest(1);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), 0);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit AttestationRevoked(address(vault), guardian);
        vm.prank(guardian);
        attestor.revokeAttestation(address(vault));
        _assertEnded(true, "revoked");
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.syncSolvency(address(vault));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.revokeAttestation(address(vault));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnauthorizedPauser.selector, stranger));
        vm.prank(stranger);
        attestor.revokeAttestation(address(vault));
        _attest(2);
        _assertFresh("a new attestation");
        attestor.revokeAttestation(address(vault)); // the owner may too
        _assertEnded(true, "revoked by the owner");
    }

    /// @dev Whatever happens after an attestation (time, a change of the maximum age, a change in the vault, a
    ///      revocation), a sync never moves validUntil later: it is at most what it was, at most attestedAt plus the
    ///      vault's maximum age now, and 0 when the vault's generation moved; the registry mirrors it.
    function testFuzz_SyncSolvency_NeverExtends(
        uint64 firstAge,
        uint64 secondAge,
        uint32 elapsed,
        bool changeAge,
        bool changeVault,
        bool revoke
    ) public {
        firstAge = uint64(bound(firstAge, 1, 365 days));
        secondAge = uint64(bound(secondAge, 1, 365 days));
        attestor.setMaxAttestationAge(address(vault), firstAge);
        _attest(1);
        vm.warp(START + bound(elapsed, 0, 400 days));
        if (changeAge) attestor.setMaxAttestationAge(address(vault), secondAge);
        if (changeVault) vault.setDebt(0, 1);
        uint64 before = attestor.attestation(address(vault)).validUntil;
        if (revoke && before != 0) attestor.revokeAttestation(address(vault));
        before = attestor.attestation(address(vault)).validUntil;

        if (before == 0) {
            vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
            attestor.syncSolvency(address(vault));
            return;
        }
        attestor.syncSolvency(address(vault));
        uint64 afterSync = attestor.attestation(address(vault)).validUntil;
        assertTrue(afterSync <= before, "never later");
        assertTrue(afterSync <= START + attestor.maxAttestationAge(address(vault)), "within the age now");
        if (changeVault) assertEq(uint256(afterSync), 0, "the generation moved");
        (,, uint64 mirrored,) = registry.solvencyStatus(address(vault));
        assertEq(uint256(mirrored), afterSync, "mirrored");
        // A second sync changes nothing (or has nothing left to re-time).
        if (afterSync == 0) {
            vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        }
        attestor.syncSolvency(address(vault));
        assertEq(uint256(attestor.attestation(address(vault)).validUntil), afterSync, "idempotent");
    }

    function test_RevertSync_WhenNoAttestation() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, stranger));
        attestor.syncSolvency(stranger);
    }
}
