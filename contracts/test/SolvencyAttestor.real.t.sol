// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../src/interfaces/IRiskVerifier.sol";
import {ISolvencyAttestor, ISolvencyAttestorErrors} from "../src/interfaces/ISolvencyAttestor.sol";
import {IVenue} from "../src/venues/IVenue.sol";
import {RealVerifierBase} from "./utils/ProofGateBase.sol";
import {VM_ADDRESS} from "./utils/Vm.sol";
import {console} from "./utils/console.sol";

/// @dev Forge's `cool` cheatcode (not in the project's small Vm interface): marks an account and its storage cold, so
///      that a measured call pays what it would as its own transaction.
interface VmCool {
    function cool(address target) external;
}

/// @notice The solvency attestor with the real generated batch verifier (`test/fixtures/SolvencyVerifier.sol`) and the
///         Rust prover's batch proofs (`test/fixtures/solvency.json`, version 3), on the scenario's vault and agent:
///         the attestor's public inputs equal the prover's; a three-batch epoch uploaded batch by batch seals the
///         fixture's accumulator and totals; a one-batch epoch attests in one transaction; a tampered proof, sum or
///         root, a batch out of place, another agent or deadline are refused; the gas of each step with the real
///         verifier; debts equal to holdings are refused; a reserve feed counts, and a stale, negative or
///         unregistered one does not; every governance change, in the attestor or in the vault, ends a fresh
///         attestation and closes the vault's gate for risk-increasing trades. Skips when the fixtures are missing.
contract SolvencyAttestorRealTest is RealVerifierBase {
    string internal constant SOLVENCY_PATH = "test/fixtures/solvency.json";
    string internal constant SOLVENCY_VERIFIER_PATH = "test/fixtures/SolvencyVerifier.sol";
    string internal constant SOLVENCY_VERIFIER_ARTIFACT = "SolvencyVerifier.sol:SolvencyVerifier";
    uint256 internal constant SOLVENCY_FIXTURE_VERSION = 3;
    uint64 internal constant MAX_AGE = 1 days;
    uint16 internal constant MARGIN = 1_000;
    uint16 internal constant HAIRCUT = 9_000;
    uint32 internal constant RESERVE_HEARTBEAT = 1 days;
    /// @dev The stablecoins (USDC, DAI, USDT) are the gate's reserve assets.
    uint16 internal constant RESERVE_ASSETS = uint16((1 << 1) | (1 << 6) | (1 << 7));

    /// @dev One batch of a case of solvency.json.
    struct Batch {
        uint32 index;
        uint256 root;
        uint256[] sums;
        uint256[] publicInputs;
        uint256[8] proof;
    }

    /// @dev One case (an epoch) of solvency.json.
    struct EpochCase {
        uint64 epoch;
        uint64 deadline;
        uint32 batchCount;
        Batch[] batches;
        bytes32 accumulator;
        uint256[] totals;
    }

    string internal solvencyJson;
    IRiskVerifier internal solvencyVerifier;
    SolvencyAttestor internal attestor;
    IProofGateVault.Trade internal risky;

    function setUp() public {
        if (!vm.exists(SOLVENCY_PATH) || !vm.exists(SOLVENCY_VERIFIER_PATH)) {
            vm.skip(true);
            return;
        }
        if (!_setUpWithFixtures()) return;
        solvencyJson = vm.readFile(SOLVENCY_PATH);
        string memory json = solvencyJson;
        assertEq(vm.parseJsonUint(json, ".version"), SOLVENCY_FIXTURE_VERSION, "solvency fixture version");
        assertEq(vm.parseJsonUint(json, ".chain_id"), block.chainid, string.concat("chain id: ", STALE_FIXTURES));
        assertEq(vm.parseJsonAddress(json, ".vault"), address(vault), string.concat("vault: ", STALE_FIXTURES));
        assertEq(vm.parseJsonAddress(json, ".agent"), agent, string.concat("agent: ", STALE_FIXTURES));
        assertEq(vm.parseJsonUint(json, ".shape.n_assets"), tokens.length, "asset count");
        assertEq(
            vm.parseJsonAddress(json, ".attestor"),
            vm.parseJsonAddress(scenarioJson, ".solvency_attestor"),
            string.concat("attestor: ", STALE_FIXTURES)
        );

        bytes memory code = vm.getCode(SOLVENCY_VERIFIER_ARTIFACT);
        IRiskVerifier deployed;
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(address(deployed) != address(0), "SolvencyVerifier deployment failed");
        solvencyVerifier = deployed;
        (bool ok, bytes memory ret) = address(deployed).staticcall(abi.encodeWithSignature("VERIFYING_KEY_HASH()"));
        assertTrue(ok, "VERIFYING_KEY_HASH");
        assertEq(
            abi.decode(ret, (bytes32)),
            vm.parseJsonBytes32(json, ".verifier_key_hash"),
            string.concat("solvency verifier key hash: ", STALE_FIXTURES)
        );

        // The proofs are bound to the attestor (the verifying contract): it is deployed where the fixtures say.
        attestor = _deployAttestorAt(vm.parseJsonAddress(json, ".attestor"));
        _govern(abi.encodeCall(registry.setAttestor, (address(attestor))));
        _govern(abi.encodeCall(registry.setSolvencyRequirement, (address(vault), true, RESERVE_ASSETS)));
        attestor.setMaxAttestationAge(address(vault), MAX_AGE);
        attestor.setMargin(address(vault), MARGIN);
        for (uint256 i = 0; i < tokens.length; ++i) {
            attestor.setHaircut(address(vault), i, HAIRCUT);
        }
        risky = tradeSpecs[1].trade; // sell USDC, buy WBTC
        assertEq(RESERVE_ASSETS >> risky.buyAsset & 1, 0, "the trade is risk-increasing");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Deploys the attestor, with the fixtures' shape, at `target`, whatever this contract's nonce (forge's
    ///      isolated gas-report runs make every call a transaction, which moves it): its creation code runs there as
    ///      code, then what it returns (the runtime code, with the immutables filled in) replaces it. The
    ///      constructor's storage lands at `target`, with this contract as `msg.sender`.
    function _deployAttestorAt(address target) internal returns (SolvencyAttestor) {
        string memory json = solvencyJson;
        bytes memory args = abi.encode(
            address(this),
            guardian,
            solvencyVerifier,
            tokens.length,
            vm.parseJsonUint(json, ".shape.balance_bits"),
            vm.parseJsonUint(json, ".shape.batch_depth"),
            registry
        );
        vm.etch(target, abi.encodePacked(type(SolvencyAttestor).creationCode, args));
        (bool ok, bytes memory runtime) = target.call("");
        require(ok, "attestor constructor");
        vm.etch(target, runtime);
        return SolvencyAttestor(target);
    }

    /// @dev The case of `epoch` with `batchCount` batches whose totals are all zero (`empty`) or not; fails when
    ///      there is none. (The fixtures: a three-batch book at epochs 1 and 2, a one-batch book at epoch 3, an empty
    ///      one-batch book at epoch 1.)
    function _case(uint64 epoch, uint32 batchCount, bool empty) internal view returns (EpochCase memory c) {
        string memory json = solvencyJson;
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".cases", i)); ++i) {
            string memory key = _at(".cases", i);
            if (vm.parseJsonUint(json, string.concat(key, ".epoch")) != epoch) continue;
            if (vm.parseJsonUint(json, string.concat(key, ".batch_count")) != batchCount) continue;
            uint256[] memory totals = vm.parseJsonUintArray(json, string.concat(key, ".totals"));
            if (_isZero(totals) != empty) continue;
            return _parseCase(key, totals);
        }
        fail(string.concat("no solvency case of epoch ", Strings.toString(epoch)));
    }

    function _parseCase(string memory key, uint256[] memory totals) internal view returns (EpochCase memory c) {
        string memory json = solvencyJson;
        c.epoch = uint64(vm.parseJsonUint(json, string.concat(key, ".epoch")));
        c.deadline = uint64(vm.parseJsonUint(json, string.concat(key, ".deadline")));
        c.batchCount = uint32(vm.parseJsonUint(json, string.concat(key, ".batch_count")));
        c.accumulator = vm.parseJsonBytes32(json, string.concat(key, ".accumulator"));
        c.totals = totals;
        assertEq(totals.length, tokens.length, "one total per asset");
        c.batches = new Batch[](c.batchCount);
        for (uint256 j = 0; j < c.batchCount; ++j) {
            string memory b = _at(string.concat(key, ".batches"), j);
            Batch memory batch = c.batches[j];
            batch.index = uint32(vm.parseJsonUint(json, string.concat(b, ".index")));
            assertEq(uint256(batch.index), j, "batches in index order");
            batch.root = vm.parseJsonUint(json, string.concat(b, ".root"));
            batch.sums = vm.parseJsonUintArray(json, string.concat(b, ".sums"));
            batch.publicInputs = vm.parseJsonUintArray(json, string.concat(b, ".public_inputs"));
            uint256[] memory proof = vm.parseJsonUintArray(json, string.concat(b, ".proof"));
            assertEq(proof.length, 8, "proof length");
            for (uint256 w = 0; w < 8; ++w) {
                batch.proof[w] = proof[w];
            }
        }
    }

    function _isZero(uint256[] memory values) internal pure returns (bool) {
        for (uint256 i = 0; i < values.length; ++i) {
            if (values[i] != 0) return false;
        }
        return true;
    }

    function _book(uint64 epoch) internal view returns (EpochCase memory) {
        return _case(epoch, epoch == 3 ? 1 : 3, false);
    }

    function _begin(EpochCase memory c) internal {
        vm.prank(agent);
        attestor.beginEpoch(address(vault), c.epoch, c.deadline, c.batchCount);
    }

    function _submit(EpochCase memory c, uint256 j) internal {
        Batch memory b = c.batches[j];
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, b.index, b.root, b.sums, b.proof);
    }

    function _seal(EpochCase memory c) internal {
        vm.prank(agent);
        attestor.sealEpoch(address(vault), c.epoch);
    }

    /// @dev Uploads every batch of `c` and seals it.
    function _upload(EpochCase memory c) internal {
        _begin(c);
        for (uint256 j = 0; j < c.batchCount; ++j) {
            _submit(c, j);
        }
        _seal(c);
    }

    /// @dev Attests a one-batch case in one transaction.
    function _attest(EpochCase memory c) internal {
        assertEq(uint256(c.batchCount), 1, "a one-batch case");
        Batch memory b = c.batches[0];
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root, b.sums, b.proof);
    }

    function _expectAttestRevert(EpochCase memory c, bytes memory revertData) internal {
        Batch memory b = c.batches[0];
        vm.expectRevert(revertData);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root, b.sums, b.proof);
    }

    /// @dev Every batch proof of `c` verifies for its own inputs, which are the attestor's (so a refusal is the
    ///      attestor's, not the proof's).
    function _assertStatements(EpochCase memory c) internal view {
        for (uint256 j = 0; j < c.batchCount; ++j) {
            Batch memory b = c.batches[j];
            assertTrue(solvencyVerifier.isValidProof(b.proof, b.publicInputs), "the fixture proof verifies");
            uint256[] memory inputs = attestor.publicInputs(
                agent, address(vault), c.epoch, c.deadline, b.index, c.batchCount, b.root, b.sums
            );
            assertEq(inputs.length, b.publicInputs.length, "input count");
            for (uint256 i = 0; i < inputs.length; ++i) {
                assertEq(inputs[i], b.publicInputs[i], string.concat("input ", Strings.toString(i)));
            }
        }
    }

    /// @dev The chain of `c` computed here (spec section 3): its accumulator and totals are the fixture's.
    function _assertChain(EpochCase memory c) internal pure {
        bytes32 acc;
        uint256[] memory totals = new uint256[](c.totals.length);
        for (uint256 j = 0; j < c.batchCount; ++j) {
            Batch memory b = c.batches[j];
            acc = keccak256(abi.encodePacked(acc, b.root, b.sums));
            for (uint256 a = 0; a < totals.length; ++a) {
                totals[a] += b.sums[a];
            }
        }
        assertEq(acc, c.accumulator, "the fixture's accumulator");
        assertEq(keccak256(abi.encodePacked(totals)), keccak256(abi.encodePacked(c.totals)), "the fixture's totals");
    }

    /// @dev The vault's attestation is `c`'s: its epoch, the accumulator as root, the totals' hash.
    function _assertAttested(EpochCase memory c) internal view {
        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), c.epoch, "epoch");
        assertEq(a.liabilitiesRoot, uint256(c.accumulator), "the accumulator is the liabilities root");
        assertEq(a.totalsHash, keccak256(abi.encodePacked(c.totals)), "totals hash");
        assertEq(uint256(a.generation), vault.configGeneration(), "generation");
        (,, uint64 validUntil, uint64 recorded) = registry.solvencyStatus(address(vault));
        assertEq(uint256(validUntil), block.timestamp + MAX_AGE, "the registry's gate");
        assertEq(uint256(recorded), vault.configGeneration(), "the registry's generation");
    }

    function _assertGateOpen(string memory what) internal view {
        assertTrue(attestor.isSolvent(address(vault)), string.concat(what, ": solvent"));
        vault.publicInputs(agent, risky, deadline);
    }

    function _assertGateClosed(string memory what) internal {
        assertFalse(attestor.isSolvent(address(vault)), string.concat(what, ": not solvent"));
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0));
        vault.publicInputs(agent, risky, deadline);
        // De-risking (selling WETH for USDC) still goes through.
        vault.publicInputs(agent, tradeSpecs[0].trade, deadline);
    }

    // ---------------------------------------------------------------- epochs with the real proofs

    function test_ThreeBatchEpoch_UploadedBatchByBatch_SealsTheFixturesAccumulatorAndTotals() public {
        EpochCase memory c = _book(1);
        assertEq(uint256(c.batchCount), 3, "three batches");
        _assertStatements(c);
        _assertChain(c);
        _assertGateClosed("never attested");
        _begin(c);
        for (uint256 j = 0; j < c.batchCount; ++j) {
            _submit(c, j);
            ISolvencyAttestor.Upload memory u = attestor.upload(address(vault));
            assertEq(uint256(u.received), j + 1, "received");
            assertEq(
                u.accumulator,
                attestor.accumulate(j == 0 ? bytes32(0) : _linkBefore(c, j), c.batches[j].root, c.batches[j].sums),
                "link"
            );
        }
        _assertGateClosed("nothing counts before the seal");
        _seal(c);
        _assertAttested(c);
        _assertGateOpen("sealed");
        ISolvencyAttestor.Upload memory done = attestor.upload(address(vault));
        assertEq(uint256(done.state), uint256(ISolvencyAttestor.UploadState.Sealed), "sealed");
        assertEq(keccak256(abi.encodePacked(done.totals)), keccak256(abi.encodePacked(c.totals)), "totals");
        // The same book at epoch 2, then the one-batch book at epoch 3 in one transaction.
        EpochCase memory next = _book(2);
        _assertStatements(next);
        _assertChain(next);
        _upload(next);
        _assertAttested(next);
        EpochCase memory one = _book(3);
        _assertStatements(one);
        _assertChain(one);
        _attest(one);
        _assertAttested(one);
        _assertGateOpen("epoch 3");
    }

    /// @dev The accumulator before batch `j` of `c`.
    function _linkBefore(EpochCase memory c, uint256 j) internal pure returns (bytes32 acc) {
        for (uint256 i = 0; i < j; ++i) {
            acc = keccak256(abi.encodePacked(acc, c.batches[i].root, c.batches[i].sums));
        }
    }

    function test_OneBatchEpochs_AttestInOneTransaction_TheEmptyBookToo() public {
        EpochCase memory empty = _case(1, 1, true);
        _assertStatements(empty);
        _assertChain(empty);
        _attest(empty);
        _assertAttested(empty);
        _assertGateOpen("an empty book");
        EpochCase memory one = _book(3);
        _attest(one);
        _assertAttested(one);
    }

    /// @dev A one-batch case may also go through the upload path: the statement is the same (batch 0 of 1).
    function test_OneBatchEpoch_UploadedAndSealed() public {
        EpochCase memory one = _book(3);
        _upload(one);
        _assertAttested(one);
    }

    function test_RevertSubmit_WhenTheRealProofSumsOrRootAreTampered_OrTheBatchIsOutOfPlace() public {
        EpochCase memory c = _book(1);
        _begin(c);
        Batch memory b = c.batches[0];
        bytes memory invalid = abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidProof.selector);
        // A and C swapped.
        uint256[8] memory proof;
        for (uint256 w = 0; w < 8; ++w) {
            proof[w] = b.proof[w];
        }
        (proof[0], proof[1], proof[6], proof[7]) = (b.proof[6], b.proof[7], b.proof[0], b.proof[1]);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, 0, b.root, b.sums, proof);
        uint256[] memory sums = _copy(b.sums);
        sums[0] += 1;
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, 0, b.root, sums, b.proof);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, 0, b.root + 1, b.sums, b.proof);
        // Batch 1's proof as batch 0 (its binding names index 1).
        Batch memory second = c.batches[1];
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, 0, second.root, second.sums, second.proof);
        // Epoch 2's batch 0 in epoch 1's upload.
        Batch memory other = _book(2).batches[0];
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.submitBatch(address(vault), c.epoch, 0, other.root, other.sums, other.proof);
        assertEq(uint256(attestor.upload(address(vault)).received), 0, "nothing accepted");
        _submit(c, 0);
        // Repeated and skipped.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 0, 1));
        _submit(c, 0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchOutOfOrder.selector, 2, 1));
        _submit(c, 2);
    }

    function test_RevertAttest_WhenTheRealProofIsForAnotherEpochAgentDeadlineRootOrSums() public {
        EpochCase memory c = _book(3);
        Batch memory b = c.batches[0];
        bytes memory invalid = abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 4, c.deadline, b.root, b.sums, b.proof);
        vm.expectRevert(invalid);
        vm.prank(otherAgent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root, b.sums, b.proof);
        // Another deadline (a later one would let it be held back and sent later).
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline + 1, b.root, b.sums, b.proof);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root + 1, b.sums, b.proof);
        uint256[] memory sums = _copy(b.sums);
        sums[0] -= 1;
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root, sums, b.proof);
        // The empty book's proof does not carry this book's sums.
        Batch memory empty = _case(1, 1, true).batches[0];
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, b.root, b.sums, empty.proof);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 0, "nothing recorded");
        _attest(c);
    }

    /// @dev A second vault with the same assets, registry and agent: the proof bound to the scenario's vault is
    ///      refused there.
    function test_RevertAttest_WhenTheRealProofIsForAnotherVault() public {
        EpochCase memory c = _book(3);
        Batch memory b = c.batches[0];
        ProofGateVault other =
            new ProofGateVault(address(this), address(this), guardian, registry, verifier, tokens.length);
        for (uint256 i = 0; i < tokens.length; ++i) {
            other.addAsset(tokens[i], feeds[i], HEARTBEAT);
            uint256 balance = vault.asset(i).holding;
            tokens[i].mint(address(this), balance);
            tokens[i].approve(address(other), balance);
            other.deposit(i, balance);
            attestor.setHaircut(address(other), i, HAIRCUT);
        }
        attestor.setMaxAttestationAge(address(other), MAX_AGE);
        _govern(abi.encodeCall(registry.registerAgent, (address(other), agent, modelCommitment, paramsCommitment)));
        attestor.checkCoverage(address(other), c.totals);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(other), c.epoch, c.deadline, b.root, b.sums, b.proof);
    }

    function _copy(uint256[] memory values) internal pure returns (uint256[] memory out) {
        out = new uint256[](values.length);
        for (uint256 i = 0; i < values.length; ++i) {
            out[i] = values[i];
        }
    }

    // ---------------------------------------------------------------- gas with the real verifier

    /// @dev Marks every account a step reads cold (the attestor, the vault, the registry, the verifier, the tokens
    ///      and the feeds), as at the start of a transaction.
    function _cool() internal {
        VmCool cheats = VmCool(VM_ADDRESS);
        cheats.cool(address(attestor));
        cheats.cool(address(vault));
        cheats.cool(address(registry));
        cheats.cool(address(solvencyVerifier));
        for (uint256 i = 0; i < tokens.length; ++i) {
            cheats.cool(address(tokens[i]));
            cheats.cool(address(feeds[i]));
        }
    }

    /// @dev `beginEpoch` of `c` as the agent, its accounts cold; returns its gas.
    function _measuredBegin(EpochCase memory c) internal returns (uint256 used) {
        _cool();
        vm.prank(agent);
        uint256 before = gasleft();
        attestor.beginEpoch(address(vault), c.epoch, c.deadline, c.batchCount);
        used = before - gasleft();
    }

    /// @dev `submitBatch` of batch `j` of `c` as the agent, its accounts cold; returns its gas.
    function _measuredSubmit(EpochCase memory c, uint256 j) internal returns (uint256 used) {
        Batch memory b = c.batches[j];
        _cool();
        vm.prank(agent);
        uint256 before = gasleft();
        attestor.submitBatch(address(vault), c.epoch, b.index, b.root, b.sums, b.proof);
        used = before - gasleft();
    }

    /// @dev `sealEpoch` of `c` as the agent, its accounts cold; returns its gas.
    function _measuredSeal(EpochCase memory c) internal returns (uint256 used) {
        _cool();
        vm.prank(agent);
        uint256 before = gasleft();
        attestor.sealEpoch(address(vault), c.epoch);
        used = before - gasleft();
    }

    /// @dev The gas of each step with the real verifier and 8 assets, each call's accounts cold as in its own
    ///      transaction (`gasleft()` deltas, printed with `forge test --match-test test_Gas -vv`): the vault's first
    ///      upload (its slots zero), a later one (its slots reused), and a one-batch attestation. The attestor is
    ///      etched (see {_deployAttestorAt}), so forge's gas report does not list it; a transaction adds the 21,000
    ///      base and its calldata.
    function test_Gas_ThreeBatchEpochAndOneBatchAttestation_RealVerifier() public {
        for (uint64 epoch = 1; epoch <= 2; ++epoch) {
            EpochCase memory c = _book(epoch);
            string memory tag = epoch == 1 ? " (the vault's first upload)" : " (a later upload)";
            uint256 total = _measuredBegin(c);
            console.log(string.concat("beginEpoch gas", tag), total);
            for (uint256 j = 0; j < c.batchCount; ++j) {
                uint256 used = _measuredSubmit(c, j);
                total += used;
                console.log(string.concat("submitBatch gas, real verifier, batch ", Strings.toString(j), tag), used);
            }
            uint256 sealGas = _measuredSeal(c);
            console.log(string.concat("sealEpoch gas, 8 assets", tag), sealGas);
            console.log(string.concat("three-batch epoch total (begin + 3 batches + seal)", tag), total + sealGas);
            _assertAttested(c);
            vm.warp(block.timestamp + 1);
        }
        EpochCase memory one = _book(3);
        Batch memory only = one.batches[0];
        _cool();
        vm.prank(agent);
        uint256 before = gasleft();
        attestor.attestSolvency(address(vault), one.epoch, one.deadline, only.root, only.sums, only.proof);
        console.log("attestSolvency gas, one batch, 8 assets", before - gasleft());
        _assertAttested(one);
    }

    // ---------------------------------------------------------------- coverage with the real proofs

    function test_RevertAttest_WhenDebtsEqualHoldings_WithNonzeroLiabilities() public {
        EpochCase memory c = _book(3);
        _assertStatements(c);
        for (uint256 i = 0; i < tokens.length; ++i) {
            _govern(address(vault), abi.encodeCall(vault.setDebt, (i, vault.asset(i).holding)));
        }
        _expectAttestRevert(
            c, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 0, 0, c.totals[0], HAIRCUT)
        );
        _assertGateClosed("refused");
    }

    /// @dev WBTC: a debt above the holding makes its liabilities the total plus the excess (chosen so that the
    ///      liabilities are a multiple of 9); at 90 % a reserve of exactly 10/9 of them covers it, a unit less does
    ///      not.
    function test_DebtAboveTheHolding_CountsAsALiability_ExactlyAtTheBoundary() public {
        EpochCase memory c = _book(3);
        uint256 excess = 9 + (9 - c.totals[2] % 9) % 9;
        uint256 owed = c.totals[2] + excess;
        uint256 needed = owed / 9 * 10;
        uint256 holding = vault.asset(2).holding;
        _govern(address(vault), abi.encodeCall(vault.setDebt, (2, holding + excess)));
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), c.totals);
        assertEq(assets[2].assets, 0, "no assets");
        assertEq(assets[2].liabilities, owed, "total plus the excess debt");
        _expectAttestRevert(
            c, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 0, owed, HAIRCUT)
        );
        // An 18-decimal reserve feed for the 8-decimal WBTC: one wei below rounds down to a unit less.
        // casting to 'int256' is safe because needed is a WBTC amount below 2^96 (the totals' width)
        // forge-lint: disable-next-line(unsafe-typecast)
        PriceFeed feed = new PriceFeed(18, "WBTC PoR", int256(needed * 1e10 - 1));
        attestor.setReserveFeed(address(vault), 2, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(
            c, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, needed - 1, owed, HAIRCUT)
        );
        // casting to 'int256' is safe because needed is a WBTC amount below 2^96 (the totals' width)
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.submit(int256(needed * 1e10));
        _attest(c);
        _assertGateOpen("covered exactly");
    }

    /// @dev USDC held as much as owed: uncovered until a reserve feed reports the rest; a stale or negative answer is
    ///      refused, and a feed of another vault or a removed one counts nothing.
    function test_ReserveFeed_CountsWhenFreshAndRegistered_RefusedOtherwise() public {
        EpochCase memory c = _book(3);
        uint256 debt = vault.asset(1).debt;
        vault.withdraw(1, vault.asset(1).holding - debt, address(this));
        bytes memory uncovered =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 1, 0, c.totals[1], HAIRCUT);
        _expectAttestRevert(c, uncovered);

        // Twice the USDC owed (and a whole USDC) held elsewhere, reported by a feed at 8 decimals (100 per unit),
        // whose last answer is a heartbeat and a second old.
        uint256 reserve = 2 * c.totals[1] + 1e6;
        // casting to 'int256' is safe because the total is below 2^96
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 answer = int256(reserve * 100);
        uint256 now_ = block.timestamp;
        uint256 old = now_ - RESERVE_HEARTBEAT - 1;
        vm.warp(old);
        PriceFeed feed = new PriceFeed(8, "USDC PoR", answer);
        vm.warp(now_);
        // Another vault's feed counts nothing here.
        attestor.setReserveFeed(address(0xBEEF), 1, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(c, uncovered);

        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(c, abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, old));
        feed.submit(-1);
        _expectAttestRevert(c, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidReserve.selector, 1, int256(-1)));
        attestor.setReserveFeed(address(vault), 1, AggregatorV3Interface(address(0)), 0);
        feed.submit(answer);
        _expectAttestRevert(c, uncovered);

        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), c.totals);
        assertEq(assets[1].reserve, reserve, "USDC held elsewhere, in token units");
        _attest(c);
        _assertGateOpen("covered by the reserve");
    }

    // ---------------------------------------------------------------- governance ends a fresh attestation

    /// @dev Uploads the three-batch book at epoch 1.
    function _attestFresh() internal {
        _upload(_book(1));
        _assertGateOpen("before the change");
    }

    function test_AttestorSetHaircut_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        attestor.setHaircut(address(vault), 3, HAIRCUT - 1);
        _assertGateClosed("setHaircut");
        _upload(_book(2));
        _assertGateOpen("attested again");
    }

    function test_AttestorSetMargin_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        attestor.setMargin(address(vault), MARGIN + 1);
        _assertGateClosed("setMargin");
    }

    function test_AttestorSetReserveFeed_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        attestor.setReserveFeed(address(vault), 0, new PriceFeed(18, "WETH PoR", 1e18), RESERVE_HEARTBEAT);
        _assertGateClosed("setReserveFeed");
    }

    function test_AttestorSetMaxAttestationAge_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        attestor.setMaxAttestationAge(address(vault), 2 * MAX_AGE);
        _assertGateClosed("setMaxAttestationAge");
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.syncSolvency(address(vault));
    }

    /// @dev A vault change leaves the registry's record but moves the vault's generation: the gate closes at once;
    ///      a sync then ends the record too.
    function _assertEndedByTheVault(string memory what) internal {
        _assertGateClosed(what);
        attestor.syncSolvency(address(vault));
        assertEq(uint256(attestor.attestation(address(vault)).validUntil), 0, string.concat(what, ": synced"));
        _assertGateClosed(what);
    }

    function test_VaultSetFeed_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        _govern(address(vault), abi.encodeCall(vault.setFeed, (3, feeds[3], HEARTBEAT)));
        _assertEndedByTheVault("setFeed");
        _upload(_book(2));
        _assertGateOpen("attested again under the new generation");
    }

    function test_VaultSetVenue_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        _govern(address(vault), abi.encodeCall(vault.setVenue, (IVenue(address(venue)))));
        _assertEndedByTheVault("setVenue");
    }

    function test_VaultSetDebt_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        _govern(address(vault), abi.encodeCall(vault.setDebt, (4, 1)));
        _assertEndedByTheVault("setDebt");
    }

    function test_VaultWithdraw_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        vault.withdraw(4, 1e18, address(this));
        _assertEndedByTheVault("withdraw");
    }

    function test_VaultSyncHoldingAndSequencerFeed_EndTheAttestationAndCloseTheGate() public {
        _attestFresh();
        _govern(address(vault), abi.encodeCall(vault.syncHolding, (4)));
        _assertEndedByTheVault("syncHolding");
        _upload(_book(2));
        _govern(address(vault), abi.encodeCall(vault.setSequencerFeed, (AggregatorV3Interface(address(0)), 0)));
        _assertEndedByTheVault("setSequencerFeed");
    }
}
