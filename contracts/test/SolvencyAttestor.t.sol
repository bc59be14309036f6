// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {ISolvencyAttestor, ISolvencyAttestorErrors} from "../src/interfaces/ISolvencyAttestor.sol";
import {PublicInputs} from "../src/libraries/PublicInputs.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {SolvencyAttestorBase} from "./utils/SolvencyAttestorBase.sol";

/// @notice The solvency attestor with a mock verifier: the public inputs it computes, what an attestation stores and
///         emits, the coverage it computes from the chain (holdings, debts, proof-of-reserve feeds, prices, haircuts,
///         margin), each coverage check failing alone, and every refusal of an attestation. Governance, freshness
///         and the end of attestations are in SolvencyAttestor.governance.t.sol; the real generated verifier and
///         the prover's proofs in SolvencyAttestor.real.t.sol.
contract SolvencyAttestorTest is SolvencyAttestorBase {
    uint256[N] internal noDebts;
    uint256[N] internal noReserves;

    function _assertInputs(uint256[] memory actual, uint256[] memory expected) internal pure {
        assertEq(actual.length, expected.length, "input count");
        for (uint256 i = 0; i < expected.length; ++i) {
            assertEq(actual[i], expected[i], string.concat("input ", Strings.toString(i)));
        }
    }

    /// @dev A proof-of-reserve feed for asset `asset` of the vault with `decimals` decimals answering `answer`.
    function _reserveFeed(uint256 asset, uint8 decimals, int256 answer) internal returns (PriceFeed feed) {
        feed = new PriceFeed(decimals, "PoR", answer);
        attestor.setReserveFeed(address(vault), asset, feed, RESERVE_HEARTBEAT);
    }

    // ---------------------------------------------------------------- public inputs

    function test_PublicInputs_AreBindingRootAndPackedSums() public view {
        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), 7, DEADLINE, 0, 1, ROOT, _totals());
        _assertInputs(inputs, _expected(agent, 7, ROOT, _totals()));
        // 4e12 | 1e21 << 74 | 2.5e9 << 148: three 74-bit lanes in one word.
        assertEq(inputs[2], 0x9502f9000d8d726b7177a80000000000003a352944000, "sums 0, 1 and 2");
        // Batch 1 of 3 of another epoch and deadline: the binding names them.
        inputs = attestor.publicInputs(agent, address(vault), 8, DEADLINE - 1, 1, 3, ROOT, _totals());
        _assertInputs(inputs, _batchExpected(agent, 8, DEADLINE - 1, 1, 3, ROOT, _totals()));
    }

    function test_Binding_IsTheMaskedKeccakOfAgentAttestorVaultChainEpochDeadlineIndexAndCount() public view {
        uint256 expected = uint256(
            keccak256(
                abi.encode(
                    agent,
                    address(attestor),
                    address(vault),
                    block.chainid,
                    uint256(9),
                    DEADLINE,
                    uint256(2),
                    uint256(5)
                )
            )
        );
        uint256 bound = attestor.binding(agent, address(vault), 9, DEADLINE, 2, 5);
        assertEq(bound, expected & ((1 << 253) - 1), "binding");
        assertTrue(bound >> 253 == 0, "below 2^253");
        assertTrue(bound != attestor.binding(agent, address(vault), 9, DEADLINE, 1, 5), "the index is bound");
        assertTrue(bound != attestor.binding(agent, address(vault), 9, DEADLINE, 2, 4), "the count is bound");
    }

    /// @dev 2 + ceil(n / floor(253 / (B + k))), as prover/src/solvency's SolvencyShape::public_input_count.
    function test_InputCount_MatchesTheShape() public {
        assertEq(attestor.inputCount(), 3, "3 assets, B 64, k 10: S 74, 3 lanes");
        assertEq(attestor.SUM_BITS(), SUM_BITS, "sum bits");
        assertEq(attestor.LANES(), LANES, "lanes");
        assertEq(attestor.BALANCE_BITS(), BALANCE_BITS, "balance bits");
        assertEq(attestor.BATCH_DEPTH(), BATCH_DEPTH, "batch depth");
        _assertShape(8, 64, 2, 66, 3, 5); // the fixtures' shape
        _assertShape(8, 64, 10, 74, 3, 5);
        _assertShape(8, 96, 10, 106, 2, 6);
        _assertShape(8, 128, 10, 138, 1, 10);
        _assertShape(16, 128, 20, 148, 1, 18);
        _assertShape(1, 1, 0, 1, 253, 3);
        _assertShape(16, 64, 20, 84, 3, 8);
    }

    function _assertShape(uint256 n, uint256 b, uint256 k, uint256 sumBits, uint256 lanes, uint256 inputs) internal {
        SolvencyAttestor shaped =
            new SolvencyAttestor(address(this), guardian, new MockVerifier(inputs), n, b, k, registry);
        string memory what = string.concat("n ", Strings.toString(n), " B ", Strings.toString(b));
        assertEq(shaped.SUM_BITS(), sumBits, string.concat(what, ": sum bits"));
        assertEq(shaped.LANES(), lanes, string.concat(what, ": lanes"));
        assertEq(shaped.inputCount(), inputs, string.concat(what, ": inputs"));
    }

    function testFuzz_PublicInputs_PackTheSums(uint256 sum0, uint256 sum1, uint256 sum2) public view {
        uint256[] memory sums = new uint256[](N);
        sums[0] = bound(sum0, 0, (1 << 74) - 1);
        sums[1] = bound(sum1, 0, (1 << 74) - 1);
        sums[2] = bound(sum2, 0, (1 << 74) - 1);
        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), 11, DEADLINE, 0, 1, ROOT, sums);
        _assertInputs(inputs, _expected(agent, 11, ROOT, sums));
        for (uint256 i = 0; i < INPUTS; ++i) {
            assertTrue(inputs[i] < R, "below r");
        }
        assertEq(inputs[2] & ((1 << 74) - 1), sums[0], "sum 0");
        assertEq((inputs[2] >> 74) & ((1 << 74) - 1), sums[1], "sum 1");
        assertEq(inputs[2] >> 148, sums[2], "sum 2");
    }

    // ---------------------------------------------------------------- attestations

    function test_Attest_StoresStateAndEmits_WhenCoveredAndProofValid() public {
        uint256[] memory expected = _expected(agent, 7, ROOT, _totals());
        verifier.accept(_proof(7), expected);
        (uint256 haircutValue, uint256 requiredValue) = _values(_totals(), noDebts, noReserves, MARGIN);
        uint64 generation = vault.configGeneration();
        // A one-batch epoch: its chain is one link from zero.
        uint256[] memory t = _totals();
        bytes32 acc = keccak256(abi.encodePacked(bytes32(0), ROOT, t[0], t[1], t[2]));
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyBatchAccepted(address(vault), 7, 0, ROOT, _totals(), acc);
        vm.expectEmit(true, true, true, true, address(attestor));
        // casting to 'uint64' is safe because START is a 2025 timestamp
        // forge-lint: disable-next-line(unsafe-typecast)
        emit SolvencyValidUntil(address(vault), uint64(START + MAX_AGE));
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyAttested(
            agent, address(vault), 7, uint256(acc), _totals(), 1, generation, haircutValue, requiredValue
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, DEADLINE, ROOT, _totals(), _proof(7));

        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), 7, "epoch");
        assertEq(uint256(a.attestedAt), START, "attestedAt");
        assertEq(uint256(a.validUntil), START + MAX_AGE, "validUntil");
        assertEq(uint256(a.generation), generation, "generation");
        assertEq(a.liabilitiesRoot, uint256(acc), "the accumulator");
        assertEq(a.liabilitiesRoot, uint256(attestor.accumulate(bytes32(0), ROOT, t)), "accumulate()");
        assertEq(a.totalsHash, keccak256(abi.encodePacked(_totals())), "totals hash");
        assertTrue(attestor.isSolvent(address(vault)), "solvent");
        (bool required, uint16 reserve, uint64 validUntil, uint64 recorded) = registry.solvencyStatus(address(vault));
        assertTrue(required, "required");
        assertEq(uint256(reserve), RESERVE_ASSETS, "reserve mask");
        assertEq(uint256(validUntil), START + MAX_AGE, "mirrored to the registry");
        assertEq(uint256(recorded), generation, "generation mirrored");
        _assertFresh("attested");
    }

    function test_RevertAttest_WhenProofInvalid() public {
        verifier.setMode(MockVerifier.Mode.RejectAll);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, DEADLINE, ROOT, _totals(), _proof(7));
        _noAttestation();
    }

    function test_RevertAttest_WhenProofIsForAnotherStatement() public {
        // A good proof of epoch 7, submitted for epoch 8, another root, another total, or by another agent.
        verifier.accept(_proof(7), _expected(agent, 7, ROOT, _totals()));
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 8, DEADLINE, ROOT, _totals(), _proof(7));
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, DEADLINE, ROOT + 1, _totals(), _proof(7));
        uint256[] memory totals = _totals();
        totals[2] -= 1;
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, DEADLINE, ROOT, totals, _proof(7));
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 7, DEADLINE, ROOT, _totals(), _proof(7));
        _noAttestation();
    }

    function test_RevertAttest_WhenEpochReplayedOrOlder_OrFirstEpochZero() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 0, 0));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 0, DEADLINE, ROOT, _totals(), _proof(0));
        _attest(5);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 5, 5));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 5, DEADLINE, ROOT, _totals(), _proof(5));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 4, 5));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 4, DEADLINE, ROOT, _totals(), _proof(4));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 5, "epoch kept");
    }

    function test_RevertAttest_WhenCallerIsNotRegisteredAndActiveForTheVault() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        bytes memory notAuthorized =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(vault), stranger);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        // Registered, but paused for the vault: refused too.
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        registry.pauseAgent(address(vault), stranger);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        // Active, but its model decertified: refused too (governance has stopped it from trading).
        registry.unpauseAgent(address(vault), stranger);
        registry.decertifyModel(MODEL);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        _noAttestation();
    }

    function test_RevertAttest_WhenSumNotBelow2ToSumBits_OrCountWrong_OrRootNotBelowR() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[] memory sums = _totals();
        sums[2] = 1 << 74;
        bytes memory wide = abi.encodeWithSelector(
            ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Sum, 2, sums[2], 74
        );
        vm.expectRevert(wide);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, sums, _proof(1));
        vm.expectRevert(wide);
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, 1, ROOT, sums);
        bytes memory count = abi.encodeWithSelector(ISolvencyAttestorErrors.SumsLengthMismatch.selector, 2, N);
        vm.expectRevert(count);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, new uint256[](2), _proof(1));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.SumsLengthMismatch.selector, 4, N));
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, 1, ROOT, new uint256[](4));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.RootNotInField.selector, R));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, R, _totals(), _proof(1));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.RootNotInField.selector, R));
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, 1, R, _totals());
        // The views' totals are the coverage's: below 2^96, one per asset.
        uint256[] memory totals = _totals();
        totals[2] = 1 << 96;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Total, 2, totals[2], 96
            )
        );
        attestor.coverage(address(vault), totals);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.TotalsLengthMismatch.selector, 2, N));
        attestor.coverage(address(vault), new uint256[](2));
        _noAttestation();
    }

    function test_RevertPublicInputs_WhenBatchIndexOrCountOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.BatchIndexOutOfRange.selector, 3, 3));
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 3, 3, ROOT, _totals());
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidBatchCount.selector, 0));
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, 0, ROOT, _totals());
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidBatchCount.selector, 65_537));
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 0, 65_537, ROOT, _totals());
        attestor.publicInputs(agent, address(vault), 1, DEADLINE, 65_535, 65_536, ROOT, _totals());
    }

    function test_RevertAttest_WhenVaultNotConfigured() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        ProofGateVault other = new ProofGateVault(
            address(this), address(this), guardian, registry, new MockVerifier(PublicInputs.inputCount(N)), N
        );
        for (uint256 i = 0; i < N; ++i) {
            other.addAsset(tokens[i], feeds[i], HEARTBEAT);
        }
        registry.registerAgent(address(other), agent, MODEL, PARAMS);
        bytes memory notConfigured =
            abi.encodeWithSelector(ISolvencyAttestorErrors.VaultNotConfigured.selector, address(other));
        vm.expectRevert(notConfigured);
        vm.prank(agent);
        attestor.attestSolvency(address(other), 1, DEADLINE, ROOT, new uint256[](N), _proof(1));
        vm.expectRevert(notConfigured);
        attestor.checkCoverage(address(other), new uint256[](N));
        // Haircuts and margin alone do not configure it: the maximum age does.
        attestor.setHaircut(address(other), 0, 9_000);
        attestor.setMargin(address(other), 100);
        vm.expectRevert(notConfigured);
        attestor.checkCoverage(address(other), new uint256[](N));
        attestor.setMaxAttestationAge(address(other), 1 hours);
        attestor.checkCoverage(address(other), new uint256[](N));
        vm.prank(agent);
        attestor.attestSolvency(address(other), 1, DEADLINE, ROOT, new uint256[](N), _proof(1));
        assertEq(uint256(attestor.attestation(address(other)).validUntil), START + 1 hours, "the vault's own age");
    }

    /// @dev Attestations are the vault's: another of its agents continues the epochs, and its attestation opens the
    ///      gate for every agent of the vault.
    function test_Attest_IsPerVault_AnyOfItsAgentsContinuesTheEpochs() public {
        _attest(3);
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 3, 3));
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 3, DEADLINE, ROOT, _totals(), _proof(3));
        uint256[] memory inputs = attestor.publicInputs(stranger, address(vault), 4, DEADLINE, 0, 1, ROOT, _totals());
        assertEq(inputs[0], attestor.binding(stranger, address(vault), 4, DEADLINE, 0, 1), "bound to the attester");
        vm.warp(block.timestamp + 5);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 4, DEADLINE, ROOT, _totals(), _proof(4));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 4, "the vault's epoch");
        (,,,,, uint64 until,,,,) = registry.tradingStatus(address(vault), agent);
        assertEq(uint256(until), START + 5 + MAX_AGE, "the gate opens for the vault's other agent too");
    }

    /// @dev An agent registered for one vault cannot attest for another; a vault whose asset count is not the
    ///      attestor's is refused.
    function test_RevertAttest_WhenAgentIsRegisteredOnlyForAnotherVault_OrTheVaultsAssetCountDiffers() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        ProofGateVault other =
            new ProofGateVault(address(this), address(this), guardian, vault.REGISTRY(), vault.VERIFIER(), N);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(other), agent)
        );
        vm.prank(agent);
        attestor.attestSolvency(address(other), 1, DEADLINE, ROOT, _totals(), _proof(1));

        ProofGateVault small = new ProofGateVault(
            address(this), address(this), guardian, registry, new MockVerifier(PublicInputs.inputCount(2)), 2
        );
        registry.registerAgent(address(small), agent, MODEL, PARAMS);
        bytes memory mismatch =
            abi.encodeWithSelector(ISolvencyAttestorErrors.VaultAssetCountMismatch.selector, address(small), 2, N);
        vm.expectRevert(mismatch);
        vm.prank(agent);
        attestor.attestSolvency(address(small), 1, DEADLINE, ROOT, _totals(), _proof(1));
        vm.expectRevert(mismatch);
        attestor.coverage(address(small), _totals());
    }

    function test_RevertAttest_WhilePaused() public {
        vm.prank(guardian);
        attestor.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        attestor.unpause();
        _attest(1);
    }

    // ---------------------------------------------------------------- coverage

    function test_Coverage_ReportsEachAssetAndBothSides() public view {
        (ISolvencyAttestor.AssetCoverage[] memory assets, uint256 haircutValue, uint256 requiredValue) =
            attestor.coverage(address(vault), _totals());
        uint256[] memory totals = _totals();
        assertEq(assets.length, N, "one per asset");
        for (uint256 i = 0; i < N; ++i) {
            ISolvencyAttestor.AssetCoverage memory c = assets[i];
            assertEq(c.holding, holdings[i], "holding");
            assertEq(c.debt, 0, "debt");
            assertEq(c.reserve, 0, "no reserve feed");
            assertEq(c.assets, holdings[i], "assets");
            assertEq(c.liabilities, totals[i], "liabilities");
            assertEq(c.price, prices[i], "price at 1e8");
            assertEq(uint256(c.haircutBps), haircuts[i], "haircut");
        }
        (uint256 h, uint256 r) = _values(totals, noDebts, noReserves, MARGIN);
        assertEq(haircutValue, h, "haircut value");
        assertEq(requiredValue, r, "required value");
        assertTrue(haircutValue >= requiredValue, "covered");
        attestor.checkCoverage(address(vault), totals);
    }

    /// @dev The issue's first fiction: borrowing raises the holding and the debt alike. With debts equal to holdings
    ///      the vault has no assets of its own, and nonzero liabilities are not covered.
    function test_RevertAttest_WhenDebtsEqualHoldings_WithNonzeroLiabilities() public {
        for (uint256 i = 0; i < N; ++i) {
            vault.setDebt(i, holdings[i]);
        }
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 0, 0, 4_000_000e6, 9_800)
        );
        // Borrowing more raises both sides: still nothing of the vault's own.
        _setHolding(0, holdings[0] + 1_000_000e6);
        vault.setDebt(0, holdings[0]);
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 0, 0, 4_000_000e6, 9_800)
        );
        _noAttestation();
    }

    /// @dev A debt above the holding adds its excess to the asset's liabilities; the attestation passes exactly at
    ///      the boundary (here reached with a reserve feed) and not a unit below.
    function test_DebtAboveTheHolding_CountsAsALiability() public {
        // Asset 2: holding 30e8, total 25e8, haircut 85 %. A debt of 31e8 leaves no assets and adds 1e8 owed.
        vault.setDebt(2, 31e8);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[2].assets, 0, "no assets");
        assertEq(assets[2].liabilities, 25e8 + 1e8, "the excess debt is owed");
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 0, 26e8, 8_500)
        );
        // 8,500 · reserve >= 10,000 · 26e8: reserve >= 30.588235294e8, i.e. 3_058_823_530 units (8 decimals). A
        // reserve feed at 18 decimals reports it; one wei below rounds down to a unit less.
        PriceFeed feed = _reserveFeed(2, 18, 30_588_235_300_000_000_000 - 1);
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 3_058_823_529, 26e8, 8_500)
        );
        feed.submit(30_588_235_300_000_000_000);
        (assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[2].reserve, 3_058_823_530, "reserve in token units");
        assertEq(assets[2].assets, 3_058_823_530, "assets are the reserve alone");
        _attest(1);
        assertTrue(attestor.isSolvent(address(vault)), "covered at the boundary");
    }

    /// @dev Positions held elsewhere count only through a registered proof-of-reserve feed: an uncovered book attests
    ///      once the feed reports enough.
    function test_ReserveFeed_CoversAnOtherwiseUncoveredBook() public {
        _setHolding(1, 500e18); // total 1,000e18 at 90 %: needs 1,111.2e18 of assets
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 1, 500e18, 1_000e18, 9_000)
        );
        PriceFeed feed = _reserveFeed(1, 8, 600e8);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, 600e18, "8-decimal answer in 18-decimal token units");
        assertEq(assets[1].assets, 1_100e18, "holding plus reserve");
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 1, 1_100e18, 1_000e18, 9_000)
        );
        feed.submit(700e8);
        _attest(1);
        assertTrue(attestor.isSolvent(address(vault)), "covered with the reserve");
        (address registered, uint32 heartbeat, uint8 decimals) = attestor.reserveFeed(address(vault), 1);
        assertEq(registered, address(feed), "feed");
        assertEq(uint256(heartbeat), RESERVE_HEARTBEAT, "heartbeat");
        assertEq(uint256(decimals), 8, "decimals read at registration");
    }

    function test_RevertAttest_WhenReserveFeedStaleOrInTheFutureOrRoundIncomplete() public {
        _setHolding(1, 500e18);
        PriceFeed feed = _reserveFeed(1, 8, 700e8);
        // At exactly the heartbeat's age the reserve still counts (prices refreshed).
        vm.warp(START + RESERVE_HEARTBEAT);
        _refreshPrices();
        attestor.checkCoverage(address(vault), _totals());
        vm.warp(START + RESERVE_HEARTBEAT + 1);
        _refreshPrices();
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, START));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, START));
        attestor.coverage(address(vault), _totals());
        bytes memory call = abi.encodeCall(AggregatorV3Interface.latestRoundData, ());
        vm.mockCall(address(feed), call, abi.encode(uint80(1), int256(700e8), 0, 0, uint80(1)));
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, 0));
        uint256 future = block.timestamp + 1;
        vm.mockCall(address(feed), call, abi.encode(uint80(1), int256(700e8), future, future, uint80(1)));
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.StaleReserve.selector, 1, future));
        _noAttestation();
    }

    function test_RevertAttest_WhenReserveNegative_ButAZeroReserveCountsNothing() public {
        PriceFeed feed = _reserveFeed(1, 8, -1);
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidReserve.selector, 1, int256(-1)));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidReserve.selector, 1, int256(-1)));
        attestor.coverage(address(vault), _totals());
        feed.submit(0);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, 0, "zero reserve");
        _attest(1);
    }

    /// @dev A feed registered for another vault, or removed, counts nothing for this vault.
    function test_ReserveFeed_OfAnotherVaultOrRemovedCountsNothing() public {
        _setHolding(1, 500e18);
        PriceFeed feed = new PriceFeed(8, "PoR", 10_000e8);
        attestor.setReserveFeed(stranger, 1, feed, RESERVE_HEARTBEAT);
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, 0, "another vault's feed");
        bytes memory uncovered =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 1, 500e18, 1_000e18, 9_000);
        _assertAttestRefused(1, uncovered);

        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        (assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, 10_000e18, "registered for this vault");
        vm.expectEmit(true, true, true, true, address(attestor));
        emit ReserveFeedUpdated(address(vault), 1, address(0), 0);
        attestor.setReserveFeed(address(vault), 1, AggregatorV3Interface(address(0)), 7);
        (address registered, uint32 heartbeat, uint8 decimals) = attestor.reserveFeed(address(vault), 1);
        assertEq(registered, address(0), "removed");
        assertEq(uint256(heartbeat) + decimals, 0, "cleared");
        (assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, 0, "removed");
        _assertAttestRefused(1, uncovered);
        // A removed feed is not read at all: one that reverts does not matter.
        vm.mockCall(address(feed), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), abi.encode());
        _setHolding(1, 1_200e18);
        _attest(1);
    }

    function test_RevertAttest_WhenReserveNotBelow2To96() public {
        // 2^96 units of an 18-decimal token from an 18-decimal feed; and an overflowing product saturates.
        PriceFeed feed = _reserveFeed(1, 18, int256(uint256(1 << 96)));
        bytes memory wide = abi.encodeWithSelector(
            ISolvencyAttestorErrors.ValueOutOfRange.selector,
            ISolvencyAttestorErrors.Field.Reserve,
            1,
            uint256(1 << 96),
            96
        );
        _assertAttestRefused(1, wide);
        attestor.setReserveFeed(address(vault), 1, new PriceFeed(0, "PoR", type(int256).max), RESERVE_HEARTBEAT);
        _assertAttestRefused(
            1,
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Reserve,
                1,
                type(uint256).max,
                96
            )
        );
        // Just below 2^96 counts.
        attestor.setReserveFeed(address(vault), 1, feed, RESERVE_HEARTBEAT);
        feed.submit(int256(uint256((1 << 96) - 1)));
        (ISolvencyAttestor.AssetCoverage[] memory assets,,) = attestor.coverage(address(vault), _totals());
        assertEq(assets[1].reserve, (1 << 96) - 1, "the widest reserve");
    }

    function test_RevertAttest_WhenHoldingOrDebtNotBelow2To96() public {
        _setHolding(1, 1 << 96);
        _assertAttestRefused(
            1,
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Holding,
                1,
                uint256(1 << 96),
                96
            )
        );
        _setHolding(1, 1_200e18);
        vault.setDebt(2, 1 << 96);
        _assertAttestRefused(
            1,
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Debt,
                2,
                uint256(1 << 96),
                96
            )
        );
        _noAttestation();
    }

    /// @dev Check 1 alone: with margin 0 the total value is covered with room to spare, but one asset is not.
    function test_RevertAttest_WhenOneAssetIsNotCovered_ThoughTheTotalValueIs() public {
        attestor.setMargin(address(vault), 0);
        _setHolding(2, 29e8); // 85 % of 29e8 < 25e8
        (, uint256 haircutValue, uint256 requiredValue) = attestor.coverage(address(vault), _totals());
        assertTrue(haircutValue >= requiredValue, "check 2 alone would pass");
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 2, 29e8, 25e8, 8_500)
        );
    }

    /// @dev Check 2 alone: every asset covered exactly (haircut · assets = 10,000 · liabilities), but not the margin.
    function test_RevertAttest_WhenEveryAssetIsCoveredExactly_ButNotTheMargin() public {
        uint256[] memory totals = _totals();
        for (uint256 i = 0; i < N; ++i) {
            attestor.setHaircut(address(vault), i, BPS);
            haircuts[i] = BPS;
            _setHolding(i, totals[i]);
        }
        (uint256 haircutValue, uint256 requiredValue) = _values(totals, noDebts, noReserves, MARGIN);
        assertTrue(haircutValue < requiredValue, "short of the margin");
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.ValueNotCovered.selector, haircutValue, requiredValue)
        );
        // Without a margin the exact cover passes (the boundary is inclusive).
        attestor.setMargin(address(vault), 0);
        _attest(1);
    }

    /// @dev An asset whose haircut governance has not set counts for nothing.
    function test_RevertAttest_WhenAHaircutIsUnset() public {
        attestor.setHaircut(address(vault), 0, 0);
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.AssetNotCovered.selector, 0, 5_000_000e6, 4_000_000e6, 0)
        );
        // With nothing owed in it, an asset needs no haircut.
        uint256[] memory totals = _totals();
        totals[0] = 0;
        attestor.checkCoverage(address(vault), totals);
    }

    // ---------------------------------------------------------------- deadline and reserve decimals

    function test_RevertAttest_WhenTheDeadlinePassed() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.warp(DEADLINE);
        _refreshPrices();
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        vm.warp(uint256(DEADLINE) + 1);
        _refreshPrices();
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.DeadlinePassed.selector, DEADLINE, uint256(DEADLINE) + 1)
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 1, "nothing changed");
    }

    /// @dev A reserve feed whose proxy now reports at other decimals would be read at the wrong scale (10^10 times
    ///      the reserve here): refused until governance registers it again.
    function test_RevertAttest_WhenAReserveFeedsDecimalsChangedSinceRegistration() public {
        PriceFeed feed = _reserveFeed(1, 8, 700e8);
        _setHolding(1, 500e18);
        _attest(1);
        vm.mockCall(address(feed), abi.encodeCall(AggregatorV3Interface.decimals, ()), abi.encode(uint8(18)));
        _assertAttestRefused(
            2, abi.encodeWithSelector(ISolvencyAttestorErrors.ReserveDecimalsChanged.selector, 1, 8, 18)
        );
    }

    // ---------------------------------------------------------------- the vault settled

    function test_RevertAttest_WhileTheVaultsL2SequencerIsDownOrInItsGracePeriod() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        // Chainlink's sequencer-uptime feed: answer 0 = up, 1 = down; `startedAt` = when that status began.
        PriceFeed sequencer = new PriceFeed(0, "L2 sequencer uptime", 1);
        vault.setSequencerFeed(sequencer, 3600);
        _refreshPrices();
        vm.expectRevert(IVaultErrors.SequencerDown.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        vm.expectRevert(IVaultErrors.SequencerDown.selector);
        attestor.checkCoverage(address(vault), _totals());
        sequencer.submit(0);
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.SequencerGracePeriod.selector, block.timestamp, 3600));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        vm.warp(block.timestamp + 3601);
        _refreshPrices();
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        assertTrue(attestor.isSolvent(address(vault)), "up past the grace period: attested");
    }

    // ---------------------------------------------------------------- prices

    function test_RevertAttest_WhenPriceStale() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.warp(START + HEARTBEAT);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, DEADLINE, ROOT, _totals(), _proof(1));
        vm.warp(START + HEARTBEAT + 1);
        feeds[0].submit(answers[0]);
        feeds[2].submit(answers[2]);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 1, START));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, DEADLINE, ROOT, _totals(), _proof(2));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 1, "nothing changed");
        bytes memory call = abi.encodeCall(AggregatorV3Interface.latestRoundData, ());
        vm.mockCall(address(feeds[2]), call, abi.encode(uint80(1), answers[2], 0, 0, uint80(1)));
        feeds[1].submit(answers[1]);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 2, 0));
        attestor.coverage(address(vault), _totals());
        uint256 future = block.timestamp + 1;
        vm.mockCall(address(feeds[2]), call, abi.encode(uint80(1), answers[2], future, future, uint80(1)));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 2, future));
        attestor.coverage(address(vault), _totals());
    }

    function test_RevertAttest_WhenPriceNotPositiveOrZeroAt8DecimalsOrTooWide() public {
        feeds[1].submit(0);
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(0)));
        feeds[1].submit(-1);
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(-1)));
        // An 18-decimal answer below 1e10 is 0 at 8 decimals.
        feeds[1].submit(1e10 - 1);
        _assertAttestRefused(
            1, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(1e10 - 1))
        );
        feeds[1].submit(answers[1]);
        // A 6-decimal answer is multiplied by 100: 2^64 / 100 rounded up no longer fits 64 bits.
        uint256 wideAnswer = (uint256(1) << 64) / 100 + 1;
        // casting to 'int256' is safe because the value is below 2^58
        // forge-lint: disable-next-line(unsafe-typecast)
        feeds[2].submit(int256(wideAnswer));
        _assertAttestRefused(
            1,
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Price,
                2,
                wideAnswer * 100,
                64
            )
        );
        int256 huge = int256(uint256(type(uint128).max) + 1);
        feeds[2].submit(huge);
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 2, huge));
        _noAttestation();
    }

    function test_RevertAttest_WhenTokenDecimalsAbove18() public {
        IProofGateVault.AssetView memory view0 = vault.asset(0);
        view0.tokenDecimals = 19;
        vm.mockCall(address(vault), abi.encodeCall(IProofGateVault.asset, (0)), abi.encode(view0));
        _assertAttestRefused(1, abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedDecimals.selector, 0, 19));
    }

    /// @dev Over random holdings, debts, reserves, prices and margins: the coverage view equals an independent
    ///      computation, and checkCoverage reverts with exactly the first failed check (or passes).
    function testFuzz_Coverage_MatchesAnIndependentComputation(
        uint256 holding1,
        uint256 debt2,
        uint256 reserve0,
        uint256 answer2,
        uint16 margin_
    ) public {
        holding1 = bound(holding1, 0, (1 << 96) - 1);
        uint256[N] memory debts;
        debts[2] = bound(debt2, 0, 1e12);
        uint256[N] memory reserves;
        reserves[0] = bound(reserve0, 0, 1e15);
        answers[2] = int256(bound(answer2, 1, 1e12));
        prices[2] = uint256(answers[2]) * 100;
        _setHolding(1, holding1);
        vault.setDebt(2, debts[2]);
        feeds[2].submit(answers[2]);
        // An 8-decimal reserve feed for a 6-decimal token: the answer is 100 times the units.
        _reserveFeed(0, 8, int256(reserves[0] * 100 + 99));
        attestor.setMargin(address(vault), margin_);

        (ISolvencyAttestor.AssetCoverage[] memory assets, uint256 haircutValue, uint256 requiredValue) =
            attestor.coverage(address(vault), _totals());
        (uint256 h, uint256 r) = _values(_totals(), debts, reserves, margin_);
        assertEq(haircutValue, h, "haircut value");
        assertEq(requiredValue, r, "required value");
        assertEq(assets[0].reserve, reserves[0], "reserve rounded down");
        bool check1 = true;
        for (uint256 i = 0; i < N; ++i) {
            check1 = check1 && uint256(assets[i].haircutBps) * assets[i].assets >= uint256(BPS) * assets[i].liabilities;
        }
        if (!check1) {
            // The first uncovered asset is named.
            for (uint256 i = 0; i < N; ++i) {
                ISolvencyAttestor.AssetCoverage memory c = assets[i];
                if (uint256(c.haircutBps) * c.assets < uint256(BPS) * c.liabilities) {
                    vm.expectRevert(
                        abi.encodeWithSelector(
                            ISolvencyAttestorErrors.AssetNotCovered.selector, i, c.assets, c.liabilities, c.haircutBps
                        )
                    );
                    break;
                }
            }
        } else if (h < r) {
            vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.ValueNotCovered.selector, h, r));
        }
        attestor.checkCoverage(address(vault), _totals());
    }
}
