// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {ProofGateVault} from "../../src/ProofGateVault.sol";
import {PriceFeed} from "../../src/feeds/PriceFeed.sol";
import {ProofGateRegistry} from "../../src/governance/ProofGateRegistry.sol";
import {SolvencyAttestor} from "../../src/governance/SolvencyAttestor.sol";
import {IProofGateRegistry} from "../../src/interfaces/IProofGateRegistry.sol";
import {IProofGateVault, IVaultErrors} from "../../src/interfaces/IProofGateVault.sol";
import {ISolvencyAttestor, ISolvencyAttestorEvents} from "../../src/interfaces/ISolvencyAttestor.sol";
import {PublicInputs} from "../../src/libraries/PublicInputs.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {MockVerifier} from "../mocks/MockVerifier.sol";
import {Test} from "./Test.sol";

/// @title SolvencyAttestorBase
/// @notice A real {ProofGateVault} with three assets of different token and feed decimals (6/8, 18/18, 8/6), its
///         registry (owned by the test, which also governs and owns the vault), and two attestors with a
///         {MockVerifier} in `Exact` mode, for 64-bit balances in batches of 2^10 leaves (sums of 74 bits, three per
///         public input): `attestor`, owned by the test and the registry's attestor, and `governed`, owned by a
///         timelock. The known book: holdings, no debts, haircuts 98 %, 90 %, 85 %, margin 5 %, totals that both
///         coverage checks pass, and a three-batch split of them.
/// @dev Three assets in one packed input with three lanes (the top lane at bit 148); three decimals pairs, so that
///      the scale and the price conversion are exercised.
abstract contract SolvencyAttestorBase is Test, ISolvencyAttestorEvents {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant N = 3;
    uint256 internal constant BALANCE_BITS = 64;
    uint256 internal constant BATCH_DEPTH = 10;
    /// @dev BALANCE_BITS + BATCH_DEPTH.
    uint256 internal constant SUM_BITS = 74;
    /// @dev floor(253 / 74).
    uint256 internal constant LANES = 3;
    uint256 internal constant INPUTS = 3; // 2 + ceil(3 / 3)
    /// @dev Batches of the known book's three-batch upload.
    uint32 internal constant BATCHES = 3;
    uint256 internal constant DELAY = 2 days;
    uint32 internal constant HEARTBEAT = 1 hours;
    uint32 internal constant RESERVE_HEARTBEAT = 1 days;
    uint64 internal constant MAX_AGE = 1 days;
    uint256 internal constant START = 1_750_000_000;
    /// @dev Every attestation's deadline: far enough that no test's clock passes it unless it means to.
    // casting to 'uint64' is safe because START is a 2025 timestamp
    // forge-lint: disable-next-line(unsafe-typecast)
    uint64 internal constant DEADLINE = uint64(START + 365 days);
    uint16 internal constant MARGIN = 500;
    uint16 internal constant BPS = 10_000;
    uint256 internal constant ROOT = 0x0badc0ffee0ddf00d5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5e;
    uint256 internal constant MODEL = 0x10de1;
    uint256 internal constant PARAMS = 0x9a9a5;
    /// @dev The reserve assets of the vault's gate: asset 0.
    uint16 internal constant RESERVE_ASSETS = 1;

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
    /// @dev Owned by this test, the registry's attestor.
    SolvencyAttestor internal attestor;
    /// @dev Owned by the timelock (for governance).
    SolvencyAttestor internal governed;
    TimelockController internal timelock;
    ProofGateRegistry internal registry;

    function setUp() public virtual {
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
        attestor = new SolvencyAttestor(address(this), guardian, verifier, N, BALANCE_BITS, BATCH_DEPTH, registry);
        governed = new SolvencyAttestor(address(timelock), guardian, verifier, N, BALANCE_BITS, BATCH_DEPTH, registry);
        // The agent trades on the vault under the solvency gate, with asset 0 as its reserve.
        registry.setAttestor(address(attestor));
        registry.certifyModel(MODEL, IProofGateRegistry.ModelMetadata("m", "1", "mlp", bytes32(0)));
        registry.certifyParams(PARAMS, "p", bytes32(0));
        registry.registerAgent(address(vault), agent, MODEL, PARAMS);
        registry.setSolvencyRequirement(address(vault), true, RESERVE_ASSETS);
        _configure(attestor, address(vault));
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Gives `vault_` the known parameters on `attestor_` (owned by this test).
    function _configure(SolvencyAttestor attestor_, address vault_) internal {
        attestor_.setMaxAttestationAge(vault_, MAX_AGE);
        attestor_.setMargin(vault_, MARGIN);
        for (uint256 i = 0; i < N; ++i) {
            attestor_.setHaircut(vault_, i, haircuts[i]);
        }
    }

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

    /// @dev The public inputs of a one-batch attestation, computed independently of the attestor.
    function _expected(address who, uint64 epoch, uint256 root, uint256[] memory sums)
        internal
        view
        returns (uint256[] memory inputs)
    {
        return _batchExpected(who, epoch, DEADLINE, 0, 1, root, sums);
    }

    /// @dev The public inputs of batch `index` of `count`, computed independently of the attestor (spec sections 1
    ///      and 4): the masked binding, the root, then the sums three to a word at 74-bit lanes.
    function _batchExpected(
        address who,
        uint64 epoch,
        uint64 deadline,
        uint32 index,
        uint32 count,
        uint256 root,
        uint256[] memory sums
    ) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](INPUTS);
        bytes memory context = abi.encode(
            who,
            address(attestor),
            address(vault),
            block.chainid,
            uint256(epoch),
            uint256(deadline),
            uint256(index),
            uint256(count)
        );
        inputs[0] = uint256(keccak256(context)) & ((1 << 253) - 1);
        inputs[1] = root;
        inputs[2] = sums[0] + sums[1] * 2 ** 74 + sums[2] * 2 ** 148;
    }

    /// @dev The known book's batch `i` of three: the three splits add up to {_totals}.
    function _batchSums(uint256 i) internal pure returns (uint256[] memory sums) {
        sums = new uint256[](N);
        if (i == 0) (sums[0], sums[1], sums[2]) = (1_000_000e6, 300e18, 5e8);
        else if (i == 1) (sums[0], sums[1], sums[2]) = (2_000_000e6, 500e18, 15e8);
        else (sums[0], sums[1], sums[2]) = (1_000_000e6, 200e18, 5e8);
    }

    /// @dev Batch `i`'s root hash (below r).
    function _batchRoot(uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("batch root", i))) % R;
    }

    /// @dev A distinct proof for batch `i` of `epoch`.
    function _batchProof(uint64 epoch, uint256 i) internal pure returns (uint256[8] memory) {
        return _proof(uint256(epoch) * 1_000 + i);
    }

    /// @dev Begins `epoch` of the known book's three batches as the agent.
    function _begin(uint64 epoch) internal {
        vm.prank(agent);
        attestor.beginEpoch(address(vault), epoch, DEADLINE, BATCHES);
    }

    /// @dev Submits the known book's batch `i` of three for `epoch` as the agent, with a proof the mock accepts for
    ///      exactly its expected inputs.
    function _submit(uint64 epoch, uint32 i) internal {
        _acceptBatch(epoch, i);
        vm.prank(agent);
        attestor.submitBatch(address(vault), epoch, i, _batchRoot(i), _batchSums(i), _batchProof(epoch, i));
    }

    /// @dev Makes the mock accept batch `i` of three of `epoch` by the agent (and only that statement).
    function _acceptBatch(uint64 epoch, uint32 i) internal {
        verifier.accept(
            _batchProof(epoch, i), _batchExpected(agent, epoch, DEADLINE, i, BATCHES, _batchRoot(i), _batchSums(i))
        );
    }

    /// @dev Uploads and seals `epoch` of the known book's three batches.
    function _upload(uint64 epoch) internal {
        _begin(epoch);
        for (uint32 i = 0; i < BATCHES; ++i) {
            _submit(epoch, i);
        }
        vm.prank(agent);
        attestor.sealEpoch(address(vault), epoch);
    }

    /// @dev The accumulator of the known book's three batches, computed independently of the attestor.
    function _bookAccumulator() internal pure returns (bytes32 acc) {
        for (uint256 i = 0; i < BATCHES; ++i) {
            uint256[] memory s = _batchSums(i);
            acc = keccak256(bytes.concat(acc, bytes32(_batchRoot(i)), bytes32(s[0]), bytes32(s[1]), bytes32(s[2])));
        }
    }

    /// @dev Check 2's two sides for the known book with `totals`, debts `debts` and reserves `reserves` (token
    ///      units), computed independently of the attestor.
    function _values(uint256[] memory totals, uint256[N] memory debts, uint256[N] memory reserves, uint16 margin_)
        internal
        view
        returns (uint256 haircutValue, uint256 requiredValue)
    {
        uint256 liabilitiesValue;
        for (uint256 i = 0; i < N; ++i) {
            uint256 assets = (holdings[i] > debts[i] ? holdings[i] - debts[i] : 0) + reserves[i];
            uint256 liabilities = totals[i] + (debts[i] > holdings[i] ? debts[i] - holdings[i] : 0);
            haircutValue += uint256(haircuts[i]) * assets * prices[i] * scales[i];
            liabilitiesValue += liabilities * prices[i] * scales[i];
        }
        requiredValue = (uint256(BPS) + margin_) * liabilitiesValue;
    }

    /// @dev Attests `epoch` as the agent with a proof the mock accepts for exactly the expected inputs.
    function _attest(uint64 epoch) internal returns (uint256[] memory inputs) {
        inputs = _expected(agent, epoch, ROOT, _totals());
        verifier.accept(_proof(epoch), inputs);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), epoch, DEADLINE, ROOT, _totals(), _proof(epoch));
    }

    /// @dev Expects an attestation of the known book by the agent at `epoch` to revert with `revertData`.
    function _assertAttestRefused(uint64 epoch, bytes memory revertData) internal {
        verifier.accept(_proof(epoch), _expected(agent, epoch, ROOT, _totals()));
        vm.expectRevert(revertData);
        attestor.checkCoverage(address(vault), _totals());
        vm.expectRevert(revertData);
        vm.prank(agent);
        attestor.attestSolvency(address(vault), epoch, DEADLINE, ROOT, _totals(), _proof(epoch));
    }

    /// @dev A risk-increasing trade (buys asset 1, not a reserve asset) and a de-risking one (buys asset 0).
    function _trades() internal pure returns (IProofGateVault.Trade memory risky, IProofGateVault.Trade memory derisk) {
        risky = IProofGateVault.Trade(0, 1, 1e6, 1e15);
        derisk = IProofGateVault.Trade(1, 0, 1e15, 1e6);
    }

    /// @dev Fails unless the vault's attestation has ended: not solvent, validUntil 0 in the attestor (when
    ///      `inAttestor`), and the vault's gate closed for a risk-increasing trade (open for a de-risking one).
    function _assertEnded(bool inAttestor, string memory what) internal {
        assertFalse(attestor.isSolvent(address(vault)), string.concat(what, ": not solvent"));
        if (inAttestor) {
            assertEq(uint256(attestor.attestation(address(vault)).validUntil), 0, string.concat(what, ": ended"));
            (,, uint64 validUntil,) = registry.solvencyStatus(address(vault));
            assertEq(uint256(validUntil), 0, string.concat(what, ": ended in the registry"));
        }
        (IProofGateVault.Trade memory risky, IProofGateVault.Trade memory derisk) = _trades();
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0));
        vault.publicInputs(agent, risky, block.timestamp + 1 hours);
        vault.publicInputs(agent, derisk, block.timestamp + 1 hours);
    }

    /// @dev Fails unless the vault's attestation is fresh and its gate open.
    function _assertFresh(string memory what) internal view {
        assertTrue(attestor.isSolvent(address(vault)), string.concat(what, ": solvent"));
        (IProofGateVault.Trade memory risky,) = _trades();
        vault.publicInputs(agent, risky, block.timestamp + 1 hours);
    }

    function _noAttestation() internal view {
        ISolvencyAttestor.Attestation memory a = attestor.attestation(address(vault));
        assertEq(uint256(a.epoch), 0, "epoch");
        assertEq(uint256(a.attestedAt), 0, "attestedAt");
        assertEq(a.liabilitiesRoot, 0, "root");
        assertEq(a.totalsHash, bytes32(0), "totals hash");
        assertFalse(attestor.isSolvent(address(vault)), "not solvent");
    }
}
