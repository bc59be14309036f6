// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {ProofGateRegistry} from "../src/governance/ProofGateRegistry.sol";
import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateRegistry, IRegistryErrors, IRegistryEvents} from "../src/interfaces/IProofGateRegistry.sol";
import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../src/interfaces/IRiskVerifier.sol";
import {
    ISolvencyAttestor,
    ISolvencyAttestorErrors,
    ISolvencyAttestorEvents
} from "../src/interfaces/ISolvencyAttestor.sol";
import {PublicInputs} from "../src/libraries/PublicInputs.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {Test} from "./utils/Test.sol";

/// @notice The solvency attestor: the public inputs it computes (against vectors computed here, and one computed
///         by the Rust prover's `SolvencyStatement::public_inputs`), what an attestation stores and emits, every
///         refusal (proof, epoch, prices, widths, caller), freshness, and governance through the timelock.
/// @dev Runs on a real {ProofGateVault} with three assets of different token and feed decimals (6/8, 18/18, 8/6),
///      so that the scale and the price conversion are exercised, and an odd asset count, so that the last totals
///      element has an empty high half. The solvency verifier is a {MockVerifier} in `Exact` mode: it accepts a
///      proof only for the exact inputs the test expects, so every accepted attestation checks the inputs.
contract SolvencyAttestorTest is Test, ISolvencyAttestorEvents {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant N = 3;
    uint256 internal constant INPUTS = 10; // 5 + 3 + ceil(3 / 2)
    uint256 internal constant DELAY = 2 days;
    uint32 internal constant HEARTBEAT = 1 hours;
    uint64 internal constant MAX_AGE = 1 days;
    uint256 internal constant START = 1_750_000_000;
    uint16 internal constant MARGIN = 500;
    uint256 internal constant ROOT = 0x0badc0ffee0ddf00d5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5e;
    uint256 internal constant COMMITMENT = 0x1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee;
    uint256 internal constant NEXT_COMMITMENT = 0x2defaced2defaced2defaced2defaced2defaced2defaced2defaced2defac;
    /// @dev Where setUp deploys the vault (part of the Rust vector's binding).
    address internal constant RUST_VAULT = 0x5991A2dF15A8F6A256D3Ec51E99254Cd3fb576A9;
    uint256 internal constant MODEL = 0x10de1;
    uint256 internal constant PARAMS = 0x9a9a5;
    /// @dev TimelockController's state bitmap for `Ready` (1 << OperationState.Ready).
    bytes32 internal constant READY = bytes32(uint256(1 << 2));

    address internal guardian = address(0x6A2D);
    address internal stranger = address(0xBEEF);
    address internal agent = address(0xA6E7);

    // The known state: per asset the token's and the feed's decimals, the feed's answer, the price at 1e8 it
    // gives, the vault's holding, the haircut and the scale.
    uint8[N] internal tokenDecimals = [6, 18, 8];
    uint8[N] internal feedDecimals = [8, 18, 6];
    int256[N] internal answers = [int256(100_000_000), 3_000_123_456_789_012_345_678, 65_000_123_456];
    uint256[N] internal prices = [uint256(100_000_000), 300_012_345_678, 6_500_012_345_600];
    uint256[N] internal holdings = [uint256(5_000_000e6), 1_200e18, 30e8];
    uint16[N] internal haircuts = [9_800, 9_000, 8_500];
    uint256[N] internal scales = [uint256(1e12), 1, 1e10];

    MockERC20[] internal tokens;
    PriceFeed[] internal feeds;
    ProofGateVault internal vault;
    MockVerifier internal verifier;
    /// @dev Owned by this test (for the attestor's own logic).
    SolvencyAttestor internal attestor;
    /// @dev Owned by the timelock (for governance).
    SolvencyAttestor internal governed;
    TimelockController internal timelock;
    /// @dev The vault's registry, owned by this test; `attestor` records its attestations in it.
    ProofGateRegistry internal registry;

    function setUp() public {
        vm.warp(START);
        address[] memory governors = new address[](1);
        governors[0] = address(this);
        timelock = new TimelockController(DELAY, governors, governors, address(0));
        registry = new ProofGateRegistry(address(this), guardian);
        MockVerifier vaultVerifier = new MockVerifier(PublicInputs.inputCount(N));
        vault = new ProofGateVault(address(this), address(this), guardian, registry, vaultVerifier, N);
        for (uint256 i = 0; i < N; ++i) {
            tokens.push(new MockERC20("Token", "TKN", tokenDecimals[i]));
            feeds.push(new PriceFeed(feedDecimals[i], "TKN / USD", answers[i]));
            vault.addAsset(tokens[i], feeds[i], HEARTBEAT);
            _setHolding(i, holdings[i]);
        }
        verifier = new MockVerifier(INPUTS);
        attestor = new SolvencyAttestor(address(this), guardian, verifier, N, MAX_AGE, registry);
        governed = new SolvencyAttestor(address(timelock), guardian, verifier, N, MAX_AGE, registry);
        // The agent trades on the vault under the solvency gate, with asset 0 as its reserve.
        registry.setAttestor(address(attestor));
        registry.certifyModel(MODEL, IProofGateRegistry.ModelMetadata("m", "1", "mlp", bytes32(0)));
        registry.certifyParams(PARAMS, "p", bytes32(0));
        registry.registerAgent(address(vault), agent, MODEL, PARAMS);
        registry.setSolvencyRequirement(address(vault), true, 1);
        attestor.setMargin(MARGIN);
        for (uint256 i = 0; i < N; ++i) {
            attestor.setHaircut(i, haircuts[i]);
        }
    }

    // ---------------------------------------------------------------- helpers

    function _proof(uint256 salt) internal pure returns (uint256[8] memory proof) {
        for (uint256 i = 0; i < 8; ++i) {
            proof[i] = uint256(keccak256(abi.encode(salt, i))) % R;
        }
    }

    function _totals() internal pure returns (uint256[] memory totals) {
        totals = new uint256[](N);
        (totals[0], totals[1], totals[2]) = (4_000_000e6, 1_000e18, 25e8);
    }

    /// @dev Sets the vault's accounted holding of asset `i` (the vault is owned by this test).
    function _setHolding(uint256 i, uint256 amount) internal {
        uint256 current = vault.asset(i).holding;
        if (current > 0) vault.withdraw(i, current, address(0xdead));
        if (amount > 0) {
            tokens[i].mint(address(this), amount);
            tokens[i].approve(address(vault), amount);
            vault.deposit(i, amount);
        }
        holdings[i] = amount;
    }

    /// @dev Submits every feed's answer again, timestamped now.
    function _refreshPrices() internal {
        for (uint256 i = 0; i < N; ++i) {
            feeds[i].submit(answers[i]);
        }
    }

    /// @dev The public inputs of the known state, computed independently of the attestor (see attestation.rs).
    function _expected(uint64 epoch, uint256 root, uint256[] memory totals, uint256 previous, uint256 commitment)
        internal
        view
        returns (uint256[] memory inputs)
    {
        inputs = new uint256[](INPUTS);
        inputs[0] =
            uint256(keccak256(abi.encode(agent, address(vault), block.chainid, uint256(epoch)))) & ((1 << 253) - 1);
        (inputs[1], inputs[2], inputs[3]) = (root, previous, commitment);
        inputs[4] = uint256(epoch) + uint256(MARGIN) * 2 ** 64;
        for (uint256 i = 0; i < N; ++i) {
            inputs[5 + i] = holdings[i] + prices[i] * 2 ** 96 + uint256(haircuts[i]) * 2 ** 160 + scales[i] * 2 ** 176;
        }
        inputs[8] = totals[0] + totals[1] * 2 ** 96;
        inputs[9] = totals[2];
    }

    /// @dev Attests `epoch` as the agent with a proof the mock accepts for exactly the expected inputs.
    function _attest(uint64 epoch, uint256 commitment) internal returns (uint256[] memory inputs) {
        uint256 previous = attestor.attestation(address(vault)).offVaultCommitment;
        inputs = _expected(epoch, ROOT, _totals(), previous, commitment);
        verifier.accept(_proof(epoch), inputs);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), epoch, ROOT, _totals(), commitment, _proof(epoch));
    }

    function _assertInputs(uint256[] memory actual, uint256[] memory expected) internal pure {
        assertEq(actual.length, expected.length, "input count");
        for (uint256 i = 0; i < expected.length; ++i) {
            assertEq(actual[i], expected[i], string.concat("input ", Strings.toString(i)));
        }
    }

    function _assertNoAttestation() internal view {
        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), 0, "epoch");
        assertEq(uint256(a.attestedAt), 0, "attestedAt");
        assertEq(a.liabilitiesRoot, 0, "root");
        assertEq(a.offVaultCommitment, 0, "commitment");
        assertEq(a.totalsHash, bytes32(0), "totals hash");
        assertFalse(attestor.isSolvent(address(vault)), "not solvent");
    }

    /// @dev See {test_PublicInputs_EqualTheRustProversVector}.
    function _rustVector() internal pure returns (uint256[INPUTS] memory v) {
        v[0] = 0x1a34ba468a3a8beea75959a70e49f79e6a110e1677f61550323839bd9badaa58;
        v[1] = 0xbadc0ffee0ddf00d5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5e;
        v[2] = 0;
        v[3] = 0x1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffee;
        v[4] = 0x1f40000000000000007;
        v[5] = 0xe8d4a5100026480000000005f5e100000000000000048c27395000;
        v[6] = 0x1232800000045da21194e000000410d586a20a4c00000;
        v[7] = 0x2540be4002134000005e966ed49000000000000000000b2d05e00;
        v[8] = 0x3635c9adc5dea0000000000000000003a352944000;
        v[9] = 0x9502f900;
    }

    // ---------------------------------------------------------------- public inputs

    function test_PublicInputs_MatchTheLayoutForAKnownState() public view {
        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), 7, ROOT, _totals(), COMMITMENT);
        _assertInputs(inputs, _expected(7, ROOT, _totals(), 0, COMMITMENT));
        // The packed elements written out, computed by hand from attestation.rs's layout.
        assertEq(inputs[4], 0x1f40000000000000007, "epoch | margin << 64");
        // 5e12 | 1e8 << 96 | 9800 << 160 | 1e12 << 176
        assertEq(inputs[5], 0xe8d4a5100026480000000005f5e100000000000000048c27395000, "asset 0");
        // 1.2e21 | 300012345678 << 96 | 9000 << 160 | 1 << 176
        assertEq(inputs[6], 0x1232800000045da21194e000000410d586a20a4c00000, "asset 1");
        // 3e9 | 6500012345600 << 96 | 8500 << 160 | 1e10 << 176
        assertEq(inputs[7], 0x2540be4002134000005e966ed49000000000000000000b2d05e00, "asset 2");
        // 4e12 | 1e21 << 96, then 2.5e9 alone
        assertEq(inputs[8], 0x3635c9adc5dea0000000000000000003a352944000, "totals 0 and 1");
        assertEq(inputs[9], 2_500_000_000, "total 2, empty high half");
    }

    /// @dev The vector the Rust prover computes (`SolvencyStatement::public_inputs`, prover/src/solvency/
    ///      attestation.rs) for this test's known state at epoch 7 on chain 31337, with the agent 0xA6E7 and the
    ///      vault at the address this test deploys it to ({RUST_VAULT}: it follows from setUp's CREATE order, so a
    ///      change there fails the address check first): printed by a throwaway program that builds that
    ///      `SolvencyStatement` against the prover crate (not kept in the repository) and pasted here.
    function test_PublicInputs_EqualTheRustProversVector() public view {
        assertEq(block.chainid, 31337, "chain id of the vector");
        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), 7, ROOT, _totals(), COMMITMENT);
        uint256[INPUTS] memory rust = _rustVector();
        assertEq(address(vault), RUST_VAULT, "vault address of the vector");
        for (uint256 i = 0; i < INPUTS; ++i) {
            assertEq(inputs[i], rust[i], string.concat("rust input ", Strings.toString(i)));
        }
    }

    function test_Binding_IsTheMaskedKeccakOfAgentVaultChainAndEpoch() public view {
        uint256 expected = uint256(keccak256(abi.encode(agent, address(vault), block.chainid, uint256(9))));
        assertEq(attestor.binding(agent, address(vault), 9), expected & ((1 << 253) - 1), "binding");
        assertTrue(attestor.binding(agent, address(vault), 9) >> 253 == 0, "below 2^253");
    }

    function test_InputCount_MatchesTheProver() public view {
        // prover/src/solvency/attestation.rs public_input_count: 5 + n + ceil(n / 2).
        assertEq(attestor.inputCount(1), 7, "1 asset");
        assertEq(attestor.inputCount(2), 8, "2 assets");
        assertEq(attestor.inputCount(3), 10, "3 assets");
        assertEq(attestor.inputCount(8), 17, "8 assets");
        assertEq(attestor.inputCount(16), 29, "16 assets");
    }

    // ---------------------------------------------------------------- attestations

    function test_Attest_StoresStateAndEmits_WhenProofValid() public {
        uint256[] memory expected = _expected(7, ROOT, _totals(), 0, COMMITMENT);
        verifier.accept(_proof(7), expected);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyAttested(agent, address(vault), 7, ROOT, 0, COMMITMENT, _totals(), keccak256(abi.encode(expected)));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, ROOT, _totals(), COMMITMENT, _proof(7));

        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), 7, "epoch");
        assertEq(uint256(a.attestedAt), START, "attestedAt");
        assertEq(a.liabilitiesRoot, ROOT, "root");
        assertEq(a.offVaultCommitment, COMMITMENT, "commitment");
        assertEq(a.totalsHash, keccak256(abi.encodePacked(_totals())), "totals hash");
        assertEq(uint256(a.validUntil), START + MAX_AGE, "validUntil");
        assertTrue(attestor.isSolvent(address(vault)), "solvent");
        (bool required, uint16 reserve, uint64 validUntil) = registry.solvencyStatus(address(vault));
        assertTrue(required, "required");
        assertEq(uint256(reserve), 1, "reserve mask");
        assertEq(uint256(validUntil), START + MAX_AGE, "mirrored to the registry");
    }

    function test_Attest_ChainsThePreviousCommitment() public {
        _attest(1, COMMITMENT);
        vm.warp(block.timestamp + 10);
        uint256[] memory second = _attest(2, NEXT_COMMITMENT);
        assertEq(second[2], COMMITMENT, "previous commitment is the stored one");
        assertEq(second[3], NEXT_COMMITMENT, "new commitment");
        assertEq(attestor.attestation(address(vault)).offVaultCommitment, NEXT_COMMITMENT, "stored");
        assertEq(uint256(attestor.attestation(address(vault)).attestedAt), START + 10, "attestedAt");
    }

    function test_RevertAttest_WhenProofInvalid() public {
        verifier.setMode(MockVerifier.Mode.RejectAll);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, ROOT, _totals(), COMMITMENT, _proof(7));
        _assertNoAttestation();
    }

    function test_RevertAttest_WhenProofIsForAnotherStatement() public {
        // A good proof of epoch 7, submitted for epoch 8, or with another total.
        verifier.accept(_proof(7), _expected(7, ROOT, _totals(), 0, COMMITMENT));
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 8, ROOT, _totals(), COMMITMENT, _proof(7));
        uint256[] memory totals = _totals();
        totals[2] -= 1;
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 7, ROOT, totals, COMMITMENT, _proof(7));
        // And by another agent of the same vault: the binding names the attesting agent.
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidProof.selector);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 7, ROOT, _totals(), COMMITMENT, _proof(7));
        _assertNoAttestation();
    }

    function test_RevertAttest_WhenEpochReplayedOrOlder() public {
        _attest(5, COMMITMENT);
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 5, 5));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 5, ROOT, _totals(), COMMITMENT, _proof(5));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 4, 5));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 4, ROOT, _totals(), COMMITMENT, _proof(4));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 5, "epoch kept");
    }

    function test_RevertAttest_WhenFirstEpochIsZero() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 0, 0));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 0, ROOT, _totals(), COMMITMENT, _proof(0));
    }

    function test_RevertAttest_WhenCallerIsNotRegisteredAndActiveForTheVault() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        bytes memory notAuthorized =
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(vault), stranger);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        vm.expectRevert(notAuthorized);
        attestor.publicInputs(stranger, address(vault), 1, ROOT, _totals(), COMMITMENT);
        // Registered, but paused for the vault: refused too.
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        registry.pauseAgent(address(vault), stranger);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        // Active, but its model decertified: refused too (governance has stopped it from trading).
        registry.unpauseAgent(address(vault), stranger);
        registry.decertifyModel(MODEL);
        vm.expectRevert(notAuthorized);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        _assertNoAttestation();
    }

    function test_RevertAttest_WhenPriceStale() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        // At exactly the heartbeat's age the prices are still good.
        vm.warp(START + HEARTBEAT);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        // One second later asset 1's is stale (the others were refreshed).
        vm.warp(START + HEARTBEAT + 1);
        feeds[0].submit(answers[0]);
        feeds[2].submit(answers[2]);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 1, START));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, ROOT, _totals(), NEXT_COMMITMENT, _proof(2));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 1, "nothing changed");
    }

    function test_RevertAttest_WhenUpdatedAtZeroOrInTheFuture() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        bytes memory call = abi.encodeCall(AggregatorV3Interface.latestRoundData, ());
        vm.mockCall(address(feeds[2]), call, abi.encode(uint80(1), answers[2], 0, 0, uint80(1)));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 2, 0));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        vm.mockCall(address(feeds[2]), call, abi.encode(uint80(1), answers[2], START + 1, START + 1, uint80(1)));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.StalePrice.selector, 2, START + 1));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
    }

    function test_RevertAttest_WhenPriceNotPositive() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        feeds[1].submit(0);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(0)));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        feeds[1].submit(-1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(-1)));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        _assertNoAttestation();
    }

    function test_RevertAttest_WhenPriceZeroAt8DecimalsOrTooWide() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        // An 18-decimal answer below 1e10 is 0 at 8 decimals.
        feeds[1].submit(1e10 - 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 1, int256(1e10 - 1)));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        // A 6-decimal answer is multiplied by 100: 2^64 / 100 rounded up no longer fits 64 bits.
        uint256 wideAnswer = (uint256(1) << 64) / 100 + 1;
        // casting to 'int256' is safe because the value is below 2^58
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 wide = int256(wideAnswer);
        feeds[2].submit(wide);
        feeds[1].submit(answers[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Price,
                2,
                wideAnswer * 100,
                64
            )
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        // Above the vault's largest answer (2^128 - 1).
        int256 huge = int256(uint256(type(uint128).max) + 1);
        feeds[2].submit(huge);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidPrice.selector, 2, huge));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
    }

    function test_RevertAttest_WhenHoldingNotBelow2To96() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        _setHolding(1, 1 << 96);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Holding,
                1,
                uint256(1 << 96),
                96
            )
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        _assertNoAttestation();
    }

    function test_RevertAttest_WhenTotalNotBelow2To96OrCountWrong() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[] memory totals = _totals();
        totals[2] = 1 << 96;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Total, 2, totals[2], 96
            )
        );
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, totals, COMMITMENT, _proof(1));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.TotalsLengthMismatch.selector, 2, N));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, new uint256[](2), COMMITMENT, _proof(1));
    }

    function test_RevertAttest_WhenRootOrCommitmentNotBelowR() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.RootNotInField.selector, R));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, R, _totals(), COMMITMENT, _proof(1));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.CommitmentNotInField.selector, R));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), R, _proof(1));
    }

    function test_RevertAttest_WhenTokenDecimalsAbove18() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        IProofGateVault.AssetView memory view0 = vault.asset(0);
        view0.tokenDecimals = 19;
        vm.mockCall(address(vault), abi.encodeCall(IProofGateVault.asset, (0)), abi.encode(view0));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedDecimals.selector, 0, 19));
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 1, ROOT, _totals(), COMMITMENT, _proof(1));
    }

    // ---------------------------------------------------------------- freshness

    function test_IsSolvent_FollowsTheMaximumAge() public {
        assertFalse(attestor.isSolvent(address(vault)), "no attestation yet");
        _attest(1, COMMITMENT);
        assertTrue(attestor.isSolvent(address(vault)), "fresh");
        vm.warp(START + MAX_AGE);
        assertTrue(attestor.isSolvent(address(vault)), "exactly the maximum age");
        vm.warp(START + MAX_AGE + 1);
        assertFalse(attestor.isSolvent(address(vault)), "stale");
        _refreshPrices();
        _attest(2, NEXT_COMMITMENT);
        assertTrue(attestor.isSolvent(address(vault)), "fresh again");
        // A shorter maximum age applies once the agent is synced (by anyone), in the attestor and the registry.
        vm.warp(block.timestamp + 2 hours);
        attestor.setMaxAttestationAge(1 hours);
        assertTrue(attestor.isSolvent(address(vault)), "the age it was made under until synced");
        vm.expectEmit(true, true, true, true, address(attestor));
        emit SolvencyValidUntil(address(vault), uint64(block.timestamp - 1 hours));
        vm.prank(stranger);
        attestor.syncSolvency(address(vault));
        assertFalse(attestor.isSolvent(address(vault)), "stale under the new maximum age");
        (,, uint64 validUntil) = registry.solvencyStatus(address(vault));
        assertEq(uint256(validUntil), block.timestamp - 1 hours, "registry synced");
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, stranger));
        attestor.syncSolvency(stranger);
    }

    function test_Revoke_StopsTheAgentAtOnceUntilItAttestsAgain() public {
        _attest(1, COMMITMENT);
        vm.expectEmit(true, true, true, true, address(attestor));
        emit AttestationRevoked(address(vault), guardian);
        vm.prank(guardian);
        attestor.revokeAttestation(address(vault));
        assertFalse(attestor.isSolvent(address(vault)), "revoked");
        (,, uint64 validUntil) = registry.solvencyStatus(address(vault));
        assertEq(uint256(validUntil), 0, "revoked in the registry");
        // A sync cannot bring a revoked attestation back; a second revocation has nothing to revoke.
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.syncSolvency(address(vault));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.NoAttestation.selector, address(vault)));
        attestor.revokeAttestation(address(vault));
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnauthorizedPauser.selector, stranger));
        vm.prank(stranger);
        attestor.revokeAttestation(address(vault));
        _attest(2, NEXT_COMMITMENT);
        assertTrue(attestor.isSolvent(address(vault)), "a new attestation");
    }

    /// @dev The gate end to end on a real vault and registry: without an attestation, stale or fresh, the vault's
    ///      statement (what executeTrade and checkTrade compute first) refuses a risk-increasing trade and allows a
    ///      de-risking one into the reserve asset.
    function test_Gate_StaleAttestationPausesRiskIncreasingTradesAndAFreshOneResumesThem() public {
        IProofGateVault.Trade memory risky = IProofGateVault.Trade(0, 1, 1e6, 1e15);
        IProofGateVault.Trade memory derisk = IProofGateVault.Trade(1, 0, 1e15, 1e6);
        uint256 deadline = block.timestamp + 1 hours;
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0));
        vault.publicInputs(agent, risky, deadline);
        vault.publicInputs(agent, derisk, deadline);

        _attest(1, COMMITMENT);
        vault.publicInputs(agent, risky, deadline);

        vm.warp(START + MAX_AGE + 1);
        _refreshPrices();
        deadline = block.timestamp + 1 hours;
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, START + MAX_AGE));
        vault.publicInputs(agent, risky, deadline);
        vault.publicInputs(agent, derisk, deadline);

        _attest(2, NEXT_COMMITMENT);
        vault.publicInputs(agent, risky, deadline);
    }

    /// @dev Attestations are the vault's: another of its agents continues the epochs and the commitment chain, and
    ///      its attestation opens the gate for every agent of the vault.
    function test_Attest_IsPerVault_AnyOfItsAgentsContinuesTheChain() public {
        _attest(3, COMMITMENT);
        registry.registerAgent(address(vault), stranger, MODEL, PARAMS);
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.EpochNotIncreasing.selector, 3, 3));
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 3, ROOT, _totals(), NEXT_COMMITMENT, _proof(3));
        uint256[] memory inputs = attestor.publicInputs(stranger, address(vault), 4, ROOT, _totals(), NEXT_COMMITMENT);
        assertEq(inputs[0], attestor.binding(stranger, address(vault), 4), "bound to the attesting agent");
        assertEq(inputs[2], COMMITMENT, "chained from the vault's last commitment");
        vm.warp(block.timestamp + 5);
        vm.prank(stranger);
        attestor.attestSolvency(address(vault), 4, ROOT, _totals(), NEXT_COMMITMENT, _proof(4));
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 4, "the vault's epoch");
        assertEq(attestor.attestation(address(vault)).offVaultCommitment, NEXT_COMMITMENT, "the vault's chain");
        (,,,,, uint64 until,,,) = registry.tradingStatus(address(vault), agent);
        assertEq(uint256(until), START + 5 + MAX_AGE, "the gate opens for the vault's other agent too");
    }

    /// @dev An agent registered for one vault cannot attest for another, even with the same registry and verifier;
    ///      and a vault whose asset count is not the attestor's is refused.
    function test_RevertAttest_WhenAgentIsRegisteredOnlyForAnotherVault_OrTheVaultsAssetCountDiffers() public {
        verifier.setMode(MockVerifier.Mode.AcceptAll);
        ProofGateVault other =
            new ProofGateVault(address(this), address(this), guardian, vault.REGISTRY(), vault.VERIFIER(), N);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.AgentNotAuthorized.selector, address(other), agent)
        );
        vm.prank(agent);
        attestor.attestSolvency(address(other), 1, ROOT, _totals(), COMMITMENT, _proof(1));
        assertEq(uint256(attestor.attestation(address(other)).epoch), 0, "nothing recorded for the other vault");

        ProofGateVault small = new ProofGateVault(
            address(this), address(this), guardian, registry, new MockVerifier(PublicInputs.inputCount(2)), 2
        );
        registry.registerAgent(address(small), agent, MODEL, PARAMS);
        vm.expectRevert(
            abi.encodeWithSelector(ISolvencyAttestorErrors.VaultAssetCountMismatch.selector, address(small), 2, N)
        );
        vm.prank(agent);
        attestor.attestSolvency(address(small), 1, ROOT, _totals(), COMMITMENT, _proof(1));
    }

    // ---------------------------------------------------------------- governance and guardian

    function test_Governance_SetsParametersOnlyAfterTheTimelockDelay() public {
        address[] memory targets = new address[](4);
        bytes[] memory payloads = new bytes[](4);
        uint256[] memory values = new uint256[](4);
        for (uint256 i = 0; i < 4; ++i) {
            targets[i] = address(governed);
        }
        payloads[0] = abi.encodeCall(governed.setMargin, (700));
        payloads[1] = abi.encodeCall(governed.setHaircut, (2, 9_500));
        payloads[2] = abi.encodeCall(governed.setMaxAttestationAge, (6 hours));
        payloads[3] = abi.encodeCall(governed.setGuardian, (stranger));
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), bytes32(0), DELAY);
        bytes32 id = timelock.hashOperationBatch(targets, values, payloads, bytes32(0), bytes32(0));

        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, id, READY));
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));
        assertEq(uint256(governed.margin()), 0, "margin unchanged during the delay");

        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(governed));
        emit MarginUpdated(0, 700);
        vm.expectEmit(true, true, true, true, address(governed));
        emit HaircutUpdated(2, 0, 9_500);
        vm.expectEmit(true, true, true, true, address(governed));
        emit MaxAttestationAgeUpdated(MAX_AGE, 6 hours);
        vm.expectEmit(true, true, true, true, address(governed));
        emit GuardianUpdated(guardian, stranger);
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));
        assertEq(uint256(governed.margin()), 700, "margin");
        assertEq(uint256(governed.haircut(2)), 9_500, "haircut");
        assertEq(uint256(governed.maxAttestationAge()), 6 hours, "max age");
        assertEq(governed.guardian(), stranger, "guardian");
    }

    function test_RevertGovernedCall_WhenNotThroughTheTimelock() public {
        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this));
        vm.expectRevert(unauthorized);
        governed.setMargin(1);
        vm.expectRevert(unauthorized);
        governed.setHaircut(0, 1);
        vm.expectRevert(unauthorized);
        governed.setMaxAttestationAge(1);
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

        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian);
        vm.startPrank(guardian);
        vm.expectRevert(unauthorized);
        governed.unpause();
        vm.expectRevert(unauthorized);
        governed.setMargin(0);
        vm.expectRevert(unauthorized);
        governed.setHaircut(0, 10_000);
        vm.expectRevert(unauthorized);
        governed.setMaxAttestationAge(365 days);
        vm.expectRevert(unauthorized);
        governed.setGuardian(stranger);
        vm.stopPrank();
    }

    function test_Pause_StopsAttestationsUntilTheOwnerUnpauses() public {
        _attest(1, COMMITMENT);
        vm.prank(guardian);
        attestor.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), 2, ROOT, _totals(), NEXT_COMMITMENT, _proof(2));
        assertTrue(attestor.isSolvent(address(vault)), "a stored attestation keeps its age while paused");
        attestor.unpause();
        _attest(2, NEXT_COMMITMENT);
        assertEq(uint256(attestor.attestation(address(vault)).epoch), 2, "attested after unpause");
    }

    function test_RevertPause_WhenNeitherGuardianNorOwner() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnauthorizedPauser.selector, stranger));
        vm.prank(stranger);
        attestor.pause();
    }

    function test_RevertSetParameters_WhenOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.InvalidHaircut.selector, 0, 10_001));
        attestor.setHaircut(0, 10_001);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnknownAsset.selector, N));
        attestor.setHaircut(N, 1);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnknownAsset.selector, N));
        attestor.haircut(N);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        attestor.setMaxAttestationAge(0);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        attestor.setMaxAttestationAge(365 days + 1);
    }

    function test_RevertConstructor_WhenVerifierOrAssetCountWrong() public {
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.VerifierInputCountMismatch.selector, 10, 8));
        new SolvencyAttestor(address(this), guardian, verifier, 2, MAX_AGE, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedAssetCount.selector, 0));
        new SolvencyAttestor(address(this), guardian, verifier, 0, MAX_AGE, registry);
        vm.expectRevert(abi.encodeWithSelector(ISolvencyAttestorErrors.UnsupportedAssetCount.selector, 17));
        new SolvencyAttestor(address(this), guardian, verifier, 17, MAX_AGE, registry);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        new SolvencyAttestor(address(this), guardian, IRiskVerifier(address(0)), N, MAX_AGE, registry);
        vm.expectRevert(ISolvencyAttestorErrors.ZeroAddress.selector);
        new SolvencyAttestor(address(this), guardian, verifier, N, MAX_AGE, IProofGateRegistry(address(0)));
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        new SolvencyAttestor(address(this), guardian, verifier, N, 0, registry);
        vm.expectRevert(ISolvencyAttestorErrors.InvalidMaxAge.selector);
        new SolvencyAttestor(address(this), guardian, verifier, N, 365 days + 1, registry);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_PublicInputs_PackHoldingsPricesAndTotals(
        uint256 holding0,
        uint256 holding1,
        uint256 answer2,
        uint256 total0,
        uint256 total1,
        uint256 total2,
        uint16 haircut1
    ) public {
        _setHolding(0, bound(holding0, 0, (1 << 96) - 1));
        _setHolding(1, bound(holding1, 0, (1 << 96) - 1));
        // A 6-decimal feed: the price at 1e8 is the answer times 100, below 2^64.
        answers[2] = int256(bound(answer2, 1, uint256(type(uint64).max) / 100));
        prices[2] = uint256(answers[2]) * 100;
        feeds[2].submit(answers[2]);
        haircuts[1] = uint16(bound(haircut1, 0, 10_000));
        attestor.setHaircut(1, haircuts[1]);
        uint256[] memory totals = new uint256[](N);
        totals[0] = bound(total0, 0, (1 << 96) - 1);
        totals[1] = bound(total1, 0, (1 << 96) - 1);
        totals[2] = bound(total2, 0, (1 << 96) - 1);

        uint256[] memory inputs = attestor.publicInputs(agent, address(vault), 11, ROOT, totals, COMMITMENT);
        _assertInputs(inputs, _expected(11, ROOT, totals, 0, COMMITMENT));
        for (uint256 i = 0; i < INPUTS; ++i) {
            assertTrue(inputs[i] < R, "below r");
        }
        // The fields read back from the elements.
        assertEq(inputs[6] & ((1 << 96) - 1), holdings[1], "holding 1");
        assertEq((inputs[6] >> 160) & 0xffff, haircuts[1], "haircut 1");
        assertEq((inputs[7] >> 96) & type(uint64).max, prices[2], "price 2");
        assertEq(inputs[8] >> 96, totals[1], "total 1");
    }

    function testFuzz_RevertPublicInputs_WhenAValueDoesNotFit(uint256 holding, uint256 total, uint256 answer) public {
        holding = bound(holding, 1 << 96, type(uint128).max);
        total = bound(total, 1 << 96, type(uint256).max);
        answer = bound(answer, type(uint64).max / 100 + 1, type(uint128).max / 100);

        uint256[] memory totals = _totals();
        totals[1] = total;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Total, 1, total, 96
            )
        );
        attestor.publicInputs(agent, address(vault), 1, ROOT, totals, COMMITMENT);

        // casting to 'int256' is safe because the answer is bounded below 2^128
        // forge-lint: disable-next-line(unsafe-typecast)
        feeds[2].submit(int256(answer));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector,
                ISolvencyAttestorErrors.Field.Price,
                2,
                answer * 100,
                64
            )
        );
        attestor.publicInputs(agent, address(vault), 1, ROOT, _totals(), COMMITMENT);

        _setHolding(0, holding);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISolvencyAttestorErrors.ValueOutOfRange.selector, ISolvencyAttestorErrors.Field.Holding, 0, holding, 96
            )
        );
        attestor.publicInputs(agent, address(vault), 1, ROOT, _totals(), COMMITMENT);
    }
}
