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
import {console} from "./utils/console.sol";

/// @notice The solvency attestor with the real generated solvency verifier (`test/fixtures/SolvencyVerifier.sol`)
///         and the Rust prover's proofs (`test/fixtures/solvency.json`), on the scenario's vault and agent: the
///         attestor's public inputs equal the prover's; debts equal to holdings are refused; a debt above the
///         holding is owed; a reserve feed counts, and a stale, negative or unregistered one does not; every
///         governance change, in the attestor or in the vault, ends a fresh attestation and closes the vault's gate
///         for risk-increasing trades; the real proof is refused for another epoch, agent, vault, root or totals.
///         Skips when the fixtures are missing.
contract SolvencyAttestorRealTest is RealVerifierBase {
    string internal constant SOLVENCY_PATH = "test/fixtures/solvency.json";
    string internal constant SOLVENCY_VERIFIER_PATH = "test/fixtures/SolvencyVerifier.sol";
    string internal constant SOLVENCY_VERIFIER_ARTIFACT = "SolvencyVerifier.sol:SolvencyVerifier";
    uint64 internal constant MAX_AGE = 1 days;
    uint16 internal constant MARGIN = 1_000;
    uint16 internal constant HAIRCUT = 9_000;
    uint32 internal constant RESERVE_HEARTBEAT = 1 days;
    /// @dev The stablecoins (USDC, DAI, USDT) are the gate's reserve assets.
    uint16 internal constant RESERVE_ASSETS = uint16((1 << 1) | (1 << 6) | (1 << 7));

    /// @dev One case of solvency.json.
    struct SolvencyCase {
        uint64 epoch;
        uint64 deadline;
        uint256 root;
        uint256[] totals;
        uint256[] publicInputs;
        uint256[8] proof;
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
        assertEq(vm.parseJsonUint(json, ".version"), 1, "solvency fixture version");
        assertEq(vm.parseJsonUint(json, ".chain_id"), block.chainid, string.concat("chain id: ", STALE_FIXTURES));
        assertEq(vm.parseJsonAddress(json, ".vault"), address(vault), string.concat("vault: ", STALE_FIXTURES));
        assertEq(vm.parseJsonAddress(json, ".agent"), agent, string.concat("agent: ", STALE_FIXTURES));
        assertEq(vm.parseJsonUint(json, ".n_assets"), tokens.length, "asset count");

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

    /// @dev Deploys the attestor at `target`, whatever this contract's nonce (forge's isolated gas-report runs make
    ///      every call a transaction, which moves it): its creation code runs there as code, then what it returns
    ///      (the runtime code, with the immutables filled in) replaces it. The constructor's storage lands at
    ///      `target`, with this contract as `msg.sender`.
    function _deployAttestorAt(address target) internal returns (SolvencyAttestor) {
        bytes memory creation = abi.encodePacked(
            type(SolvencyAttestor).creationCode,
            abi.encode(address(this), guardian, solvencyVerifier, tokens.length, registry)
        );
        vm.etch(target, creation);
        (bool ok, bytes memory runtime) = target.call("");
        require(ok, "attestor constructor");
        vm.etch(target, runtime);
        return SolvencyAttestor(target);
    }

    /// @dev The solvency case named `name`; fails when there is none.
    function _case(string memory name) internal view returns (SolvencyCase memory c) {
        string memory json = solvencyJson;
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".cases", i)); ++i) {
            string memory key = _at(".cases", i);
            if (!Strings.equal(vm.parseJsonString(json, string.concat(key, ".name")), name)) continue;
            c.epoch = uint64(vm.parseJsonUint(json, string.concat(key, ".epoch")));
            c.deadline = uint64(vm.parseJsonUint(json, string.concat(key, ".deadline")));
            c.root = vm.parseJsonUint(json, string.concat(key, ".root"));
            c.totals = vm.parseJsonUintArray(json, string.concat(key, ".totals"));
            c.publicInputs = vm.parseJsonUintArray(json, string.concat(key, ".public_inputs"));
            uint256[] memory proof = vm.parseJsonUintArray(json, string.concat(key, ".proof"));
            assertEq(proof.length, 8, "proof length");
            for (uint256 j = 0; j < 8; ++j) {
                c.proof[j] = proof[j];
            }
            return c;
        }
        fail(string.concat("no solvency case named ", name));
    }

    function _attest(SolvencyCase memory c) internal {
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root, c.totals, c.proof);
    }

    function _expectAttestRevert(SolvencyCase memory c, bytes memory revertData) internal {
        vm.expectRevert(revertData);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root, c.totals, c.proof);
    }

    /// @dev The case's proof verifies for its own inputs (so a refusal is the attestor's, not the proof's).
    function _assertProofValid(SolvencyCase memory c) internal view {
        assertTrue(solvencyVerifier.isValidProof(c.proof, c.publicInputs), "the fixture proof verifies");
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

    // ---------------------------------------------------------------- attestations with the real proofs

    function test_PublicInputs_EqualTheProvers_AndTheRealProofAttests() public {
        SolvencyCase memory c = _case("book_epoch_1");
        _assertProofValid(c);
        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), c.epoch, c.deadline, c.root, c.totals);
        assertEq(inputs.length, c.publicInputs.length, "input count");
        for (uint256 i = 0; i < inputs.length; ++i) {
            assertEq(inputs[i], c.publicInputs[i], string.concat("input ", Strings.toString(i)));
        }
        _assertGateClosed("never attested");
        uint64 generation = vault.configGeneration();
        _attest(c);
        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), 1, "epoch");
        assertEq(a.liabilitiesRoot, c.root, "root");
        assertEq(a.totalsHash, keccak256(abi.encodePacked(c.totals)), "totals hash");
        assertEq(uint256(a.generation), generation, "generation");
        (,, uint64 validUntil, uint64 recorded) = registry.solvencyStatus(address(vault));
        assertEq(uint256(validUntil), block.timestamp + MAX_AGE, "the registry's gate");
        assertEq(uint256(recorded), generation, "the registry's generation");
        _assertGateOpen("attested");
        // The next epochs of the same book, and an empty book.
        _attest(_case("book_epoch_2"));
        _attest(_case("book_epoch_3"));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 3, "epoch 3");
    }

    function test_Attest_EmptyBook() public {
        _attest(_case("empty_epoch_1"));
        _assertGateOpen("an empty book");
    }

    /// @dev Measures the attestation's gas with 8 assets (the real verifier, 8 price feeds, one reserve feed).
    /// @dev The attestor is etched (see {_deployAttestorAt}), so forge's gas report does not list it: the call's gas
    ///      is measured here and printed (`forge test --match-test test_Gas_AttestSolvency -vv`); a transaction adds
    ///      the 21,000 base and its calldata. Registering the feed in the same test warms some of the slots the
    ///      attestation reads, so this figure is below a real first attestation with a feed.
    function test_Gas_AttestSolvency_8Assets_WithAReserveFeed() public {
        attestor.setReserveFeed(address(vault), 2, new PriceFeed(8, "WBTC PoR", 1e8), RESERVE_HEARTBEAT);
        console.log("attestSolvency call gas, 8 assets, one reserve feed", _measuredAttest(_case("book_epoch_1")));
    }

    function test_Gas_AttestSolvency_8Assets() public {
        console.log("attestSolvency call gas, 8 assets", _measuredAttest(_case("book_epoch_1")));
    }

    /// @dev The gas of the vault's first attestation (cold storage), as a `gasleft()` delta around the call.
    function _measuredAttest(SolvencyCase memory c) internal returns (uint256 used) {
        vm.prank(agent);
        uint256 before = gasleft();
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root, c.totals, c.proof);
        used = before - gasleft();
        assertTrue(attestor.isSolvent(address(vault)), "attested");
    }

    function test_RevertAttest_WhenDebtsEqualHoldings_WithNonzeroLiabilities() public {
        SolvencyCase memory c = _case("book_epoch_1");
        _assertProofValid(c);
        for (uint256 i = 0; i < tokens.length; ++i) {
            _govern(address(vault), abi.encodeCall(vault.setDebt, (i, vault.asset(i).holding)));
        }
        _expectAttestRevert(
            c, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 0, 0, c.totals[0], HAIRCUT)
        );
        _assertGateClosed("refused");
    }

    /// @dev WBTC: a debt 1,670,000 units above the holding makes its liabilities 18,000,000 units (the total
    ///      16,330,000 plus the excess); at 90 % a reserve of exactly 20,000,000 covers it, a unit less does not.
    function test_DebtAboveTheHolding_CountsAsALiability_ExactlyAtTheBoundary() public {
        SolvencyCase memory c = _case("book_epoch_1");
        assertEq(c.totals[2], 16_330_000, "the fixture's WBTC total");
        uint256 holding = vault.asset(2).holding;
        _govern(address(vault), abi.encodeCall(vault.setDebt, (2, holding + 1_670_000)));
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), c.totals);
        assertEq(assets[2].assets, 0, "no assets");
        assertEq(assets[2].liabilities, 18_000_000, "total plus the excess debt");
        _expectAttestRevert(
            c, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 0, 18_000_000, HAIRCUT)
        );
        // An 18-decimal reserve feed: 0.2 WBTC less one wei rounds down to 19,999,999 units.
        PriceFeed feed = new PriceFeed(18, "WBTC PoR", 2e17 - 1);
        attestor.setReserveFeed(address(vault), 2, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(
            c,
            abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 19_999_999, 18_000_000, HAIRCUT)
        );
        feed.submit(2e17);
        _attest(c);
        _assertGateOpen("covered exactly");
    }

    /// @dev USDC held as much as owed: uncovered until a reserve feed reports the rest; a stale or negative answer is
    ///      refused, and a feed of another vault or a removed one counts nothing.
    function test_ReserveFeed_CountsWhenFreshAndRegistered_RefusedOtherwise() public {
        SolvencyCase memory c = _case("book_epoch_1");
        uint256 debt = vault.asset(1).debt;
        vault.withdraw(1, vault.asset(1).holding - debt, address(this));
        bytes memory uncovered =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 1, 0, c.totals[1], HAIRCUT);
        _expectAttestRevert(c, uncovered);

        // A feed whose last answer is a heartbeat and a second old.
        uint256 now_ = block.timestamp;
        uint256 old = now_ - RESERVE_HEARTBEAT - 1;
        vm.warp(old);
        PriceFeed feed = new PriceFeed(8, "USDC PoR", 20_000e8);
        vm.warp(now_);
        // Another vault's feed counts nothing here.
        attestor.setReserveFeed(address(0xBEEF), 1, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(c, uncovered);

        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        _expectAttestRevert(c, abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, old));
        feed.submit(-1);
        _expectAttestRevert(c, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidReserve.selector, 1, int256(-1)));
        attestor.setReserveFeed(address(vault), 1, AggregatorV3Interface(address(0)), 0);
        feed.submit(20_000e8);
        _expectAttestRevert(c, uncovered);

        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), c.totals);
        assertEq(assets[1].reserve, 20_000e6, "20,000 USDC held elsewhere");
        _attest(c);
        _assertGateOpen("covered by the reserve");
    }

    // ---------------------------------------------------------------- the real proof for another statement

    function test_RevertAttest_WhenTheRealProofIsForAnotherEpochAgentRootOrTotals() public {
        SolvencyCase memory c = _case("book_epoch_2");
        _assertProofValid(c);
        bytes memory invalid = abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 3, c.deadline, c.root, c.totals, c.proof);
        vm.expectRevert(invalid);
        vm.prank(otherAgent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root, c.totals, c.proof);
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root + 1, c.totals, c.proof);
        uint256[] memory totals = new uint256[](c.totals.length);
        for (uint256 i = 0; i < totals.length; ++i) {
            totals[i] = c.totals[i];
        }
        totals[0] -= 1;
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline, c.root, totals, c.proof);
        // The empty book's proof does not carry the book's totals.
        SolvencyCase memory empty = _case("empty_epoch_1");
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, c.deadline, c.root, c.totals, empty.proof);
        // Nor for another deadline (a later one would let it be held back and sent later).
        vm.expectRevert(invalid);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), c.epoch, c.deadline + 1, c.root, c.totals, c.proof);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 0, "nothing recorded");
        _attest(c);
    }

    /// @dev A second vault with the same assets, registry and agent: the proof bound to the scenario's vault is
    ///      refused there.
    function test_RevertAttest_WhenTheRealProofIsForAnotherVault() public {
        SolvencyCase memory c = _case("book_epoch_1");
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
        attestor.attestSolvency(address(other), c.epoch, c.deadline, c.root, c.totals, c.proof);
    }

    // ---------------------------------------------------------------- governance ends a fresh attestation

    function _attestFresh() internal {
        _attest(_case("book_epoch_1"));
        _assertGateOpen("before the change");
    }

    function test_AttestorSetHaircut_EndsTheAttestationAndClosesTheGate() public {
        _attestFresh();
        attestor.setHaircut(address(vault), 3, HAIRCUT - 1);
        _assertGateClosed("setHaircut");
        _attest(_case("book_epoch_2"));
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
        _attest(_case("book_epoch_2"));
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
        _attest(_case("book_epoch_2"));
        _govern(address(vault), abi.encodeCall(vault.setSequencerFeed, (AggregatorV3Interface(address(0)), 0)));
        _assertEndedByTheVault("setSequencerFeed");
    }
}
