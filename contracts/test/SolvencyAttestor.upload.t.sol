// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {ISolvencyAttestor, ISolvencyAttestorErrors} from "../src/interfaces/ISolvencyAttestor.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {SolvencyAttestorBase} from "./utils/SolvencyAttestorBase.sol";
import {VM_ADDRESS} from "./utils/Vm.sol";
import {console} from "./utils/console.sol";

/// @dev Forge's `cool` cheatcode (not in the project's small Vm interface): marks an account and its storage cold, so
///      that a measured call pays what it would as its own transaction.
interface VmCool {
    function cool(address target) external;
}

/// @notice The multi-transaction epoch with a mock verifier: an epoch's batches accepted in order and chained into
///         the accumulator and the totals (equal to an independent computation), the seal's checks, the previous
///         attestation standing until the seal, expiry, abandonment, pause, the upload window's governance, and
///         every hostile order of calls: a batch out of order, repeated, skipped, beyond the count, from another
///         epoch or agent, after the expiry or the deadline; the lane-aliasing attack on the packed sums; the gas of
///         each step.
contract SolvencyAttestorUploadTest is SolvencyAttestorBase {
    address internal otherAgent = address(0xA6E8);
    /// @dev START plus the default window (1 hour): an upload begun at START expires after this second.
    uint64 internal constant OPEN_UNTIL = 1_750_003_600;
    /// @dev START plus 10 minutes.
    uint64 internal constant START_PLUS_10_MINUTES = 1_750_000_600;

    function _state() internal view returns (ISolvencyAttestor.UploadState) {
        return attestor.upload(address(vault)).state;
    }

    function _submitAs(address who, uint64 epoch, uint32 i) internal {
        vm.prank(who);
        attestor.submitBatch(address(vault), epoch, i, _batchRoot(i), _batchSums(i), _batchProof(epoch, i));
    }

    function _sealAs(address who, uint64 epoch) internal {
        vm.prank(who);
        attestor.sealEpoch(address(vault), epoch);
    }

    // ---------------------------------------------------------------- the happy path

    function test_Upload_ThreeBatches_SealRecordsTheAccumulatorAndTotals() public {
        uint64 expiresAt = OPEN_UNTIL;
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyEpochBegun(agent, address(vault), 4, DEADLINE, BATCHES, expiresAt);
        _begin(4);
        ISolvencyAttestor.Upload memory u = attestor.upload(address(vault));
        assertEq(uint256(u.state), uint256(ISolvencyAttestor.UploadState.Open), "open");
        assertEq(u.agent, agent, "uploader");
        assertEq(uint256(u.epoch), 4, "epoch");
        assertEq(uint256(u.deadline), DEADLINE, "deadline");
        assertEq(uint256(u.expiresAt), expiresAt, "expiry: now plus the default window");
        assertEq(uint256(u.batchCount), BATCHES, "batch count");
        assertEq(uint256(u.received), 0, "nothing received");
        assertEq(u.accumulator, bytes32(0), "the chain starts at zero");

        bytes32 acc;
        uint256[] memory totals = new uint256[](N);
        for (uint32 i = 0; i < BATCHES; ++i) {
            uint256[] memory s = _batchSums(i);
            acc = keccak256(bytes.concat(acc, bytes32(_batchRoot(i)), bytes32(s[0]), bytes32(s[1]), bytes32(s[2])));
            for (uint256 a = 0; a < N; ++a) {
                totals[a] += s[a];
            }
            _acceptBatch(4, i);
            vm.expectEmit(true, true, true, true, address(attestor));
            emit SolvencyBatchAccepted(address(vault), 4, i, _batchRoot(i), s, acc);
            _submitAs(agent, 4, i);
            u = attestor.upload(address(vault));
            assertEq(uint256(u.received), i + 1, "received");
            assertEq(u.accumulator, acc, "the accumulator so far");
            for (uint256 a = 0; a < N; ++a) {
                assertEq(u.totals[a], totals[a], "the totals so far");
            }
        }
        assertEq(acc, _bookAccumulator(), "the book's accumulator");
        assertEq(keccak256(abi.encodePacked(totals)), keccak256(abi.encodePacked(_totals())), "the book's totals");

        (uint256 haircutValue, uint256 requiredValue) = _values(totals, [uint256(0), 0, 0], [uint256(0), 0, 0], MARGIN);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyAttested(
            agent,
            address(vault),
            4,
            uint256(acc),
            totals,
            BATCHES,
            vault.configGeneration(),
            haircutValue,
            requiredValue
        );
        _sealAs(agent, 4);
        ISolvencyAttestor.Attestation memory record = attestor.attestation(address(vault));
        assertEq(uint256(record.epoch), 4, "epoch");
        assertEq(record.liabilitiesRoot, uint256(acc), "the accumulator is the liabilities root");
        assertEq(record.totalsHash, keccak256(abi.encodePacked(totals)), "totals hash");
        assertEq(uint256(record.validUntil), START + MAX_AGE, "fresh");
        assertEq(uint256(_state()), uint256(ISolvencyAttestor.UploadState.Sealed), "sealed");
        _assertFresh("sealed");
        // The next epoch reuses the slots: batch 0 overwrites the accumulator and the totals.
        vm.warp(START + 10);
        _refreshPrices();
        _upload(5);
        assertEq(attestor.attestation(address(vault)).liabilitiesRoot, uint256(acc), "the same book, the same chain");
        assertEq(attestor.attestation(address(vault)).totalsHash, keccak256(abi.encodePacked(totals)), "same totals");
    }

    /// @dev Over random batch counts and sums: the accumulator, the totals and the attestation equal an independent
    ///      computation (spec section 3).
    function testFuzz_Upload_AccumulatorAndTotalsMatchAnIndependentComputation(uint8 count, uint256 seed) public {
        uint32 m = uint32(bound(count, 1, 6));
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 9, DEADLINE, m);
        bytes32 acc;
        uint256[] memory totals = new uint256[](N);
        uint256[] memory limits = _totals();
        for (uint32 i = 0; i < m; ++i) {
            uint256[] memory sums = new uint256[](N);
            for (uint256 a = 0; a < N; ++a) {
                sums[a] = uint256(keccak256(abi.encode(seed, i, a))) % (limits[a] / m + 1);
                totals[a] += sums[a];
            }
            uint256 root = uint256(keccak256(abi.encode(seed, i))) % R;
            acc = keccak256(abi.encodePacked(acc, root, sums));
            vm.prank(agent);
            attestor.submitBatch(address(vault), 9, i, root, sums, _proof(i));
            assertEq(attestor.upload(address(vault)).accumulator, acc, "accumulator");
        }
        _sealAs(agent, 9);
        ISolvencyAttestor.Attestation memory record = attestor.attestation(address(vault));
        assertEq(record.liabilitiesRoot, uint256(acc), "root");
        assertEq(record.totalsHash, keccak256(abi.encodePacked(totals)), "totals");
    }

    // ---------------------------------------------------------------- batches out of place

    function test_RevertSubmit_WhenBatchOutOfOrder_RepeatedSkippedOrBeyondTheCount() public {
        _begin(1);
        _acceptBatch(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 1, 0));
        _submitAs(agent, 1, 1);
        _submit(1, 0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 0, 1));
        _submitAs(agent, 1, 0);
        _acceptBatch(1, 2);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 2, 1));
        _submitAs(agent, 1, 2);
        _submit(1, 1);
        _submit(1, 2);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 2, 3));
        _submitAs(agent, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchIndexOutOfRange.selector, 3, 3));
        _submitAs(agent, 1, 3);
        assertEq(uint256(attestor.upload(address(vault)).received), 3, "three received");
        assertEq(attestor.upload(address(vault)).accumulator, _bookAccumulator(), "each once, in order");
    }

    function test_RevertSubmitAndSeal_WhenFromAnotherEpoch_OrNoneOpen() public {
        bytes memory noUpload = abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 1);
        vm.expectRevert(noUpload);
        _submitAs(agent, 1, 0);
        vm.expectRevert(noUpload);
        _sealAs(agent, 1);
        _begin(2);
        // Epoch 2's upload: a batch (with its valid proof) of epoch 1 or 3 is refused.
        _acceptBatch(3, 0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 3));
        _submitAs(agent, 3, 0);
        vm.expectRevert(noUpload);
        _submitAs(agent, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 3));
        _sealAs(agent, 3);
        // A proof of epoch 3's batch 0, sent as epoch 2's: the binding differs.
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 2, 0, _batchRoot(0), _batchSums(0), _batchProof(3, 0));
        // A proof of batch 0 of a two-batch epoch 2: the count is bound too.
        verifier.accept(_proof(77), _batchExpected(agent, 2, DEADLINE, 0, 2, _batchRoot(0), _batchSums(0)));
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 2, 0, _batchRoot(0), _batchSums(0), _proof(77));
        // Sealed epochs are no longer open.
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(2, i);
        }
        _sealAs(agent, 2);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 2));
        _sealAs(agent, 2);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 2));
        _submitAs(agent, 2, 2);
    }

    function test_RevertSubmitAndSeal_WhenFromAnotherAgentOfTheVault() public {
        registry.registerAgent(address(vault), otherAgent, MODEL, PARAMS);
        _begin(1);
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        bytes memory notUploader =
            abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploader.selector, otherAgent, agent);
        vm.expectRevert(notUploader);
        _submitAs(otherAgent, 1, 0);
        _submitAs(agent, 1, 0);
        _submitAs(agent, 1, 1);
        _submitAs(agent, 1, 2);
        vm.expectRevert(notUploader);
        _sealAs(otherAgent, 1);
        // Nor can it begin another epoch while this one is open.
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.UploadInProgress.selector, address(vault), 1, OPEN_UNTIL)
        );
        vm.prank(otherAgent);
        attestor.beginEpoch(address(vault), 2, DEADLINE, 1);
        _sealAs(agent, 1);
    }

    function test_RevertSubmitAndSeal_AfterTheExpiry() public {
        _begin(1);
        uint64 expiresAt = OPEN_UNTIL;
        _submit(1, 0);
        vm.warp(expiresAt);
        _refreshPrices();
        _submit(1, 1);
        vm.warp(uint256(expiresAt) + 1);
        _acceptBatch(1, 2);
        bytes memory expired =
            abi.encodeWithSelector(ISolvencyAttestorErrors.UploadExpired.selector, address(vault), 1, expiresAt);
        vm.expectRevert(expired);
        _submitAs(agent, 1, 2);
        vm.expectRevert(expired);
        _sealAs(agent, 1);
        assertEq(uint256(_state()), uint256(ISolvencyAttestor.UploadState.Expired), "reported expired");
        // Nothing to abandon.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), 1));
        vm.prank(guardian);
        attestor.abandonUpload(address(vault));
    }

    function test_Seal_AtTheLastSecondOfTheWindow() public {
        _begin(1);
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(1, i);
        }
        vm.warp(START + 1 hours);
        _refreshPrices();
        _sealAs(agent, 1);
        assertTrue(attestor.isSolvent(address(vault)), "sealed");
    }

    function test_RevertBeginSubmitAndSeal_AfterTheDeadline() public {
        uint64 deadline = START_PLUS_10_MINUTES;
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 1, deadline, 1);
        verifier.accept(_proof(1), _batchExpected(agent, 1, deadline, 0, 1, ROOT, _totals()));
        vm.warp(uint256(deadline) + 1);
        _refreshPrices();
        bytes memory passed =
            abi.encodeWithSelector(ISolvencyAttestorErrors.DeadlinePassed.selector, deadline, uint256(deadline) + 1);
        vm.expectRevert(passed);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, ROOT, _totals(), _proof(1));
        vm.expectRevert(passed);
        _sealAs(agent, 1);
        // Submitted in time, sealed too late.
        vm.warp(START);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, ROOT, _totals(), _proof(1));
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(passed);
        _sealAs(agent, 1);
        vm.expectRevert(passed);
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 2, deadline, 1);
    }

    // ---------------------------------------------------------------- the seal

    function test_RevertSeal_WhenIncomplete() public {
        _begin(1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochIncomplete.selector, 0, 3));
        _sealAs(agent, 1);
        _submit(1, 0);
        _submit(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochIncomplete.selector, 2, 3));
        _sealAs(agent, 1);
        _noAttestation();
    }

    function test_RevertSeal_WhenTheUploaderWasPausedOrDecertified() public {
        _begin(1);
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(1, i);
        }
        bytes memory notAuthorized =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(vault), agent);
        registry.pauseAgent(address(vault), agent);
        vm.expectRevert(notAuthorized);
        _sealAs(agent, 1);
        registry.unpauseAgent(address(vault), agent);
        registry.decertifyParams(PARAMS);
        vm.expectRevert(notAuthorized);
        _sealAs(agent, 1);
        _noAttestation();
    }

    function test_RevertSeal_WhenTheTotalsAreNotCovered_AndThePreviousAttestationStands() public {
        _attest(1);
        _begin(2);
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(2, i);
        }
        _setHolding(2, 29e8); // 85 % of 29e8 < 25e8
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 29e8, 25e8, 8_500));
        _sealAs(agent, 2);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 1, "epoch 1 stands");
        assertEq(uint256(_state()), uint256(ISolvencyAttestor.UploadState.Open), "still open");
        _setHolding(2, 30e8);
        _sealAs(agent, 2);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 2, "sealed once covered");
    }

    /// @dev While epoch 2 uploads, epoch 1's attestation keeps its freshness and the vault's gate stays open;
    ///      only the seal replaces it.
    function test_PreviousAttestation_StaysAsItIsDuringAnUpload_AndIsReplacedOnlyAtTheSeal() public {
        _attest(1);
        ISolvencyAttestor.Attestation memory first = attestor.attestation(address(vault));
        vm.warp(START + 100);
        _refreshPrices();
        _begin(2);
        _submit(2, 0);
        _submit(2, 1);
        _submit(2, 2);
        ISolvencyAttestor.Attestation memory during = attestor.attestation(address(vault));
        assertEq(keccak256(abi.encode(during)), keccak256(abi.encode(first)), "unchanged while uploading");
        _assertFresh("during the upload");
        (,, uint64 validUntil,) = registry.solvencyStatus(address(vault));
        assertEq(uint256(validUntil), START + MAX_AGE, "the registry's gate unchanged");
        _sealAs(agent, 2);
        ISolvencyAttestor.Attestation memory sealed_ = attestor.attestation(address(vault));
        assertEq(uint256(sealed_.epoch), 2, "replaced at the seal");
        assertEq(uint256(sealed_.validUntil), START + 100 + MAX_AGE, "fresh from the seal");
        assertEq(sealed_.liabilitiesRoot, uint256(_bookAccumulator()), "the new chain");
    }

    // ---------------------------------------------------------------- beginning an epoch

    function test_ExpiredUpload_LetsANewEpochBegin_AndItsNumberIsBurnt() public {
        _begin(1);
        _submit(1, 0);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.UploadInProgress.selector, address(vault), 1, OPEN_UNTIL)
        );
        _begin(2);
        vm.warp(START + 1 hours + 1);
        _refreshPrices();
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 1, 1));
        _begin(1);
        _upload(2);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 2, "a new epoch after the expiry");
        // The last begun epoch counts even when the last attested is lower: 3 is burnt once begun.
        _begin(3);
        vm.prank(agent);
        attestor.abandonUpload(address(vault));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 3, 3));
        _begin(3);
        verifier.accept(_proof(3), _expected(agent, 3, ROOT, _totals()));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 3, 3));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 3, DEADLINE, ROOT, _totals(), _proof(3));
        _attest(4);
    }

    /// A begin needs no proof: a hostile agent of the vault must not be able to burn every epoch number at once.
    function test_RevertBegin_WhenTheEpochJumpsMoreThanTheMaxStep_SoNoAgentCanBurnEveryEpoch() public {
        _attest(5);
        uint64 step = attestor.MAX_EPOCH_STEP();
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.EpochTooFarAhead.selector, type(uint64).max, 5, step)
        );
        _begin(type(uint64).max);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.EpochTooFarAhead.selector, 5 + step + 1, 5, step)
        );
        _begin(5 + step + 1);
        verifier.accept(_proof(5 + step + 1), _expected(agent, 5 + step + 1, ROOT, _totals()));
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.EpochTooFarAhead.selector, 5 + step + 1, 5, step)
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 5 + step + 1, DEADLINE, ROOT, _totals(), _proof(5 + step + 1));
        _begin(5 + step);
        assertEq(uint256(attestor.upload(address(vault)).epoch), 5 + step, "a step of MAX_EPOCH_STEP is allowed");
    }

    function test_RevertBegin_WhenEpochBatchCountAgentOrVaultRefused() public {
        _attest(5);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 5, 5));
        _begin(5);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidBatchCount.selector, 0));
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 6, DEADLINE, 0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidBatchCount.selector, 65_537));
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 6, DEADLINE, 65_537);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(vault), stranger)
        );
        vm.prank(stranger);
        attestor.beginEpoch(address(vault), 6, DEADLINE, 3);
        vm.prank(agent);
        attestor.beginEpoch(address(vault), 6, DEADLINE, 65_536);
        assertEq(uint256(attestor.upload(address(vault)).batchCount), 65_536, "the largest count");
    }

    function test_RevertAttestSolvency_WhileAnUploadIsOpen() public {
        _begin(1);
        bytes memory inProgress =
            abi.encodeWithSelector(ISolvencyAttestorErrors.UploadInProgress.selector, address(vault), 1, OPEN_UNTIL);
        verifier.accept(_proof(2), _expected(agent, 2, ROOT, _totals()));
        vm.expectRevert(inProgress);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(1, i);
        }
        vm.expectRevert(inProgress);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        _sealAs(agent, 1);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 2, "after the seal");
    }

    // ---------------------------------------------------------------- abandonment and pause

    function test_Abandon_ByTheUploaderTheGuardianOrTheOwner_NotAStranger() public {
        address[3] memory who = [agent, guardian, address(this)];
        for (uint64 k = 0; k < 3; ++k) {
            uint64 epoch = k + 1;
            _begin(epoch);
            _submit(epoch, 0);
            vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnauthorizedAbandon.selector, stranger));
            vm.prank(stranger);
            attestor.abandonUpload(address(vault));
            vm.expectEmit(true, true, true, true, address(attestor));
            emit SolvencyUploadAbandoned(address(vault), epoch, who[k]);
            vm.prank(who[k]);
            attestor.abandonUpload(address(vault));
            assertEq(uint256(_state()), uint256(ISolvencyAttestor.UploadState.Abandoned), "abandoned");
            bytes memory closed =
                abi.encodeWithSelector(ISolvencyAttestorErrors.NotUploading.selector, address(vault), epoch);
            vm.expectRevert(closed);
            _submitAs(agent, epoch, 1);
            vm.expectRevert(closed);
            vm.prank(who[k]);
            attestor.abandonUpload(address(vault));
        }
        _noAttestation();
        // The abandoned epochs are burnt; the next begins at once.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 3, 3));
        _begin(3);
        _upload(4);
    }

    function test_RevertBeginSubmitSealAndAttest_WhilePaused_ButAbandonWorks() public {
        _begin(1);
        _submit(1, 0);
        vm.prank(guardian);
        attestor.pause();
        _acceptBatch(1, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _submitAs(agent, 1, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _sealAs(agent, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _begin(2);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        vm.prank(guardian);
        attestor.abandonUpload(address(vault));
        attestor.unpause();
        _upload(2);
    }

    // ---------------------------------------------------------------- the upload window

    function test_UploadWindow_GovernedThroughTheTimelock_WithinBounds() public {
        address v = address(vault);
        assertEq(uint256(governed.uploadWindow(v)), 1 hours, "the default");
        bytes memory payload = abi.encodeCall(governed.setUploadWindow, (v, 2 hours));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        governed.setUploadWindow(v, 2 hours);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian));
        vm.prank(guardian);
        governed.setUploadWindow(v, 2 hours);
        timelock.schedule(address(governed), 0, payload, bytes32(0), bytes32(0), DELAY);
        vm.warp(block.timestamp + DELAY);
        vm.expectEmit(true, true, true, true, address(governed));
        emit UploadWindowUpdated(v, 1 hours, 2 hours);
        timelock.execute(address(governed), 0, payload, bytes32(0), bytes32(0));
        assertEq(uint256(governed.uploadWindow(v)), 2 hours, "set");
        assertEq(uint256(governed.uploadWindow(stranger)), 1 hours, "per vault");

        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidUploadWindow.selector, 59));
        attestor.setUploadWindow(v, 59);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidUploadWindow.selector, 7 days + 1));
        attestor.setUploadWindow(v, 7 days + 1);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        attestor.setUploadWindow(address(0), 60);
        attestor.setUploadWindow(v, 60);
        attestor.setUploadWindow(v, 7 days);
    }

    function test_UploadWindow_SetsTheExpiryOfLaterUploadsOnly_AndLeavesTheAttestation() public {
        _attest(1);
        attestor.setUploadWindow(address(vault), 10 minutes);
        _assertFresh("a window change does not end the attestation");
        _begin(2);
        assertEq(uint256(attestor.upload(address(vault)).expiresAt), START + 10 minutes, "the vault's window");
        attestor.setUploadWindow(address(vault), 1 days);
        assertEq(uint256(attestor.upload(address(vault)).expiresAt), START + 10 minutes, "an open upload keeps it");
        vm.warp(START + 10 minutes + 1);
        _refreshPrices();
        _acceptBatch(2, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.UploadExpired.selector, address(vault), 2, START_PLUS_10_MINUTES
            )
        );
        _submitAs(agent, 2, 0);
        _begin(3);
        assertEq(uint256(attestor.upload(address(vault)).expiresAt), block.timestamp + 1 days, "the new window");
    }

    // ---------------------------------------------------------------- widths: the lane-aliasing attack

    /// @dev The sums share a public input, 74 bits a lane. `(s0 + 2^74, s1 - 1, s2)` packs to exactly the words of
    ///      `(s0, s1, s2)`, so the honest batch's valid proof would verify for it and credit 2^74 more of asset 0
    ///      (2^74 is below 2^96: the totals' width alone does not stop it). Each sum is checked below 2^SUM_BITS
    ///      before it is packed.
    function test_RevertSubmitAndAttest_LaneAliasing_ASumSpillingIntoTheNextLane() public {
        uint256[] memory honest = _batchSums(0);
        uint256[] memory aliased = _batchSums(0);
        aliased[0] += 1 << 74;
        aliased[1] -= 1;
        uint256 honestWord = honest[0] + (honest[1] << 74) + (honest[2] << 148);
        uint256 aliasedWord = aliased[0] + (aliased[1] << 74) + (aliased[2] << 148);
        assertEq(aliasedWord, honestWord, "the same packed word");
        assertTrue(aliased[0] < 1 << 96, "below the totals' width");
        bytes memory wide = abi.encodeWithSelector(
            ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Sum, 0, aliased[0], 74
        );

        _begin(1);
        _acceptBatch(1, 0);
        vm.expectRevert(wide);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, _batchRoot(0), aliased, _batchProof(1, 0));
        vm.expectRevert(wide);
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, BATCHES, _batchRoot(0), aliased);
        _submit(1, 0);
        assertEq(attestor.upload(address(vault)).totals[0], honest[0], "the honest sum only");
        vm.prank(agent);
        attestor.abandonUpload(address(vault));

        // The one-batch attestation: the same refusal.
        verifier.accept(_proof(2), _expected(agent, 2, ROOT, honest));
        vm.expectRevert(wide);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, aliased, _proof(2));
        // The top lane (bits 148..221) has no next lane, but is checked alike.
        aliased = _batchSums(0);
        aliased[2] += 1 << 74;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Sum, 2, aliased[2], 74
            )
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, aliased, _proof(2));
        _noAttestation();
    }

    function test_RevertSubmit_WhenSumsCountWrong_RootNotBelowR_OrProofInvalid() public {
        _begin(1);
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.SumsLengthMismatch.selector, 2, N));
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, ROOT, new uint256[](2), _proof(1));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.RootNotInField.selector, R));
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, R, _batchSums(0), _proof(1));
        verifier.setMode(MockVerifier.Mode.RejectAll);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.submitBatch(address(vault), 1, 0, ROOT, _batchSums(0), _proof(1));
        assertEq(uint256(attestor.upload(address(vault)).received), 0, "nothing accepted");
    }

    /// @dev With 128-bit balances in batches of one leaf (one 128-bit sum per input) a batch's sum may exceed
    ///      2^96: a running total at 2^96 is refused at once (no holding or reserve below 2^96 could cover it).
    function test_RevertSubmit_WhenARunningTotalReaches2To96() public {
        MockVerifier wideVerifier = new MockVerifier(2 + N);
        wideVerifier.setMode(MockVerifier.Mode.AcceptAll);
        SolvencyAttestor wide = new SolvencyAttestor(address(this), guardian, wideVerifier, N, 128, 0, registry);
        assertEq(wide.LANES(), 1, "one lane");
        wide.setMaxAttestationAge(address(vault), MAX_AGE);
        vm.prank(agent);
        wide.beginEpoch(address(vault), 1, DEADLINE, 2);
        uint256[] memory sums = new uint256[](N);
        sums[1] = (1 << 96) - 1;
        vm.prank(agent);
        wide.submitBatch(address(vault), 1, 0, ROOT, sums, _proof(1));
        sums[1] = 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Total, 1, 1 << 96, 96
            )
        );
        vm.prank(agent);
        wide.submitBatch(address(vault), 1, 1, ROOT, sums, _proof(1));
        // A single sum of 2^127 fits its lane but not the totals' width.
        vm.prank(agent);
        wide.abandonUpload(address(vault));
        sums[1] = 1 << 127;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Total, 1, sums[1], 96
            )
        );
        vm.prank(agent);
        wide.attestSolvency(address(vault), 2, DEADLINE, ROOT, sums, _proof(1));
    }

    // ---------------------------------------------------------------- gas

    /// @dev Marks every account a step reads cold (the attestor, the vault, the registry, the verifier, the tokens
    ///      and the feeds), as at the start of a transaction.
    function _cool() internal {
        VmCool cheats = VmCool(VM_ADDRESS);
        cheats.cool(address(attestor));
        cheats.cool(address(vault));
        cheats.cool(address(registry));
        cheats.cool(address(verifier));
        for (uint256 i = 0; i < N; ++i) {
            cheats.cool(address(tokens[i]));
            cheats.cool(address(feeds[i]));
        }
    }

    /// @dev Gas of each step with the mock verifier and 3 assets, each call's accounts cold as in its own
    ///      transaction (the verifier's own cost excluded: add the real one's, about 181,000 + 6,150 per public
    ///      input; a transaction adds the 21,000 base and its calldata). Printed with `-vv`.
    function test_Gas_BeginSubmitSealAndAttest_MockVerifier() public {
        for (uint32 i = 0; i < BATCHES; ++i) {
            _acceptBatch(1, i);
            _acceptBatch(2, i);
        }
        uint256 before;
        for (uint64 epoch = 1; epoch <= 2; ++epoch) {
            string memory tag = epoch == 1 ? " (the vault's first upload)" : " (a later upload)";
            _cool();
            vm.prank(agent);
            before = gasleft();
            attestor.beginEpoch(address(vault), epoch, DEADLINE, BATCHES);
            console.log(string.concat("beginEpoch", tag), before - gasleft());
            for (uint32 i = 0; i < BATCHES; ++i) {
                uint256[] memory sums = _batchSums(i);
                uint256 root = _batchRoot(i);
                uint256[8] memory proof = _batchProof(epoch, i);
                _cool();
                vm.prank(agent);
                before = gasleft();
                attestor.submitBatch(address(vault), epoch, i, root, sums, proof);
                console.log(
                    string.concat(i == 0 ? "submitBatch, batch 0" : "submitBatch, a later batch", tag),
                    before - gasleft()
                );
            }
            _cool();
            vm.prank(agent);
            before = gasleft();
            attestor.sealEpoch(address(vault), epoch);
            console.log(string.concat("sealEpoch, 3 assets", tag), before - gasleft());
            vm.warp(block.timestamp + 1);
            _refreshPrices();
        }
        verifier.accept(_proof(3), _expected(agent, 3, ROOT, _totals()));
        uint256[] memory totals = _totals();
        uint256[8] memory p = _proof(3);
        _cool();
        vm.prank(agent);
        before = gasleft();
        attestor.attestSolvency(address(vault), 3, DEADLINE, ROOT, totals, p);
        console.log("attestSolvency, one batch, 3 assets", before - gasleft());
    }
}
