// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {IProofGateVault, IVaultErrors, IVaultEvents} from "../src/interfaces/IProofGateVault.sol";
import {RealVerifierBase} from "./utils/ProofGateBase.sol";
import {ProofGateVaultHarness} from "./utils/ProofGateVaultHarness.sol";
import {Vm} from "./utils/Vm.sol";
import {console} from "./utils/console.sol";

/// @notice The headline tests: the GENERATED verifier (src/verifier/RiskVerifier.sol) and REAL proofs from the Rust
///         prover (test/fixtures/proofs.json, made from test/fixtures/scenario.json by scripts/regen-fixtures), on
///         real Uniswap V2. A valid proof executes exactly its trade; a genuine proof of anything else (another
///         trade, vault, agent, chain, model, nonce) is refused with nothing changed. Skipped when the fixtures are
///         missing; fails with "fixtures stale" when they no longer match the scenario's deployment.
contract ProofGateVaultFixturesTest is RealVerifierBase, IVaultEvents {
    /// @dev BN254 base field modulus p (proof coordinates live in it).
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    string internal constant FIRST = "valid_sell_weth_buy_usdc";
    /// @dev The same agent's next trade after {FIRST} (nonce 1), proven against the state {FIRST} leaves.
    string internal constant LATER = "valid_sell_weth_buy_usdc_again";
    uint256 internal constant TX_GAS_LIMIT = 1_500_000;

    function setUp() public {
        _setUpWithFixtures();
    }

    // ---------------------------------------------------------------- helpers

    function _assertRefused(address who, IProofGateVault.Trade memory t, uint256[8] memory proof, bytes memory err)
        internal
    {
        State memory before = _state();
        vm.expectRevert(err);
        vm.prank(who);
        // A realistic transaction gas limit: a proof whose points are not on the curve makes the pairing precompile
        // fail, and a failing precompile consumes all the gas it was given (63/64 of what is left).
        vault.executeTrade{gas: TX_GAS_LIMIT}(t, deadline, proof);
        _assertUnchanged(before);
    }

    /// @dev A copy (memory arrays assign by reference).
    function _copy(uint256[8] memory proof) internal pure returns (uint256[8] memory copy) {
        for (uint256 j = 0; j < 8; ++j) {
            copy[j] = proof[j];
        }
    }

    function _invalidProof() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IVaultErrors.InvalidProof.selector);
    }

    /// @dev The scenario trade a proof case proves (its "trade" field).
    function _tradeOf(ProofCase memory c) internal view returns (IProofGateVault.Trade memory) {
        return _tradeSpec(vm.parseJsonString(proofsJson, string.concat(_caseKey(c.name), ".trade"))).trade;
    }

    /// @dev Executes, with their fixture proofs, the trades the scenario trade `name` comes after, oldest first.
    function _executePrevious(string memory name) internal {
        string memory previous = _tradeSpec(name).previous;
        if (bytes(previous).length == 0) return;
        _executeValid(previous);
    }

    /// @dev Executes the scenario trade `name` with its fixture proof (after the trades it comes after) and checks
    ///      balances, holdings, nonce, event.
    function _executeValid(string memory name) internal {
        _executePrevious(name);
        ProofCase memory c = _proofCase(name);
        TradeSpec memory spec = _tradeSpec(name);
        IProofGateVault.Trade memory t = spec.trade;
        State memory before = _state();
        assertEq(before.agentNonce, spec.nonce, "the scenario's nonce");
        uint256[] memory inputs = vault.publicInputs(agent, t, deadline);
        uint256 received = venue.quote(tokens[t.sellAsset], tokens[t.buyAsset], t.amountIn);
        assertTrue(received >= t.amountOut, "the pool gives at least the proven amount");

        vm.recordLogs();
        vm.prank(agent);
        vault.executeTrade(t, deadline, c.proof);

        State memory afterTrade = _state();
        (uint256 sell, uint256 buy) = (t.sellAsset, t.buyAsset);
        assertEq(afterTrade.vaultBalances[sell], before.vaultBalances[sell] - t.amountIn, "sold exactly amountIn");
        assertEq(afterTrade.vaultBalances[buy], before.vaultBalances[buy] + received, "bought the whole quote");
        assertEq(afterTrade.holdings[sell], before.holdings[sell] - t.amountIn, "sell holding");
        assertEq(afterTrade.holdings[buy], before.holdings[buy] + received, "buy holding credits what was received");
        for (uint256 k = 0; k < tokens.length; ++k) {
            if (k == sell || k == buy) continue;
            assertEq(afterTrade.vaultBalances[k], before.vaultBalances[k], "other assets untouched");
        }
        assertEq(afterTrade.agentNonce, before.agentNonce + 1, "nonce consumed");

        _assertTradeEvent(vm.getRecordedLogs(), before.agentNonce, c.publicInputs, t, received);
        assertEq(keccak256(abi.encode(inputs)), keccak256(abi.encode(c.publicInputs)), "proven statement");
    }

    /// @dev The recorded logs hold the vault's {TradeExecuted} for `t` by the agent at `nonce`, bound to the proven
    ///      statement, crediting `received`.
    function _assertTradeEvent(
        Vm.Log[] memory logs,
        uint256 nonce,
        uint256[] memory provenInputs,
        IProofGateVault.Trade memory t,
        uint256 received
    ) internal view {
        bool found;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter != address(vault) || logs[i].topics[0] != TradeExecuted.selector) continue;
            found = true;
            assertEq(logs[i].topics[1], bytes32(uint256(uint160(agent))), "event: agent");
            assertEq(logs[i].topics[2], bytes32(nonce), "event: nonce");
            assertEq(logs[i].topics[3], keccak256(abi.encode(provenInputs)), "event: statement hash = the proof's");
            (uint256 model, uint8 s, uint8 b, uint256 amountIn, uint256 amountOut,,, uint256 got,) =
                abi.decode(logs[i].data, (uint256, uint8, uint8, uint256, uint256, uint256, uint256, uint256, uint256));
            assertEq(model, modelCommitment, "event: model");
            assertEq(uint256(s), t.sellAsset, "event: sell");
            assertEq(uint256(b), t.buyAsset, "event: buy");
            assertEq(amountIn, t.amountIn, "event: amountIn");
            assertEq(amountOut, t.amountOut, "event: amountOut");
            assertEq(got, received, "event: amountReceived");
        }
        assertTrue(found, "TradeExecuted emitted");
    }

    // ---------------------------------------------------------------- the fixtures themselves

    function test_FixtureProofs_VerifyForTheirOwnPublicInputs() public view {
        string[8] memory names = [
            FIRST,
            "valid_sell_usdc_buy_wbtc",
            "valid_sell_link_buy_weth",
            LATER,
            "uncertified_model",
            "other_vault",
            "other_agent",
            "other_chain"
        ];
        for (uint256 i = 0; i < names.length; ++i) {
            ProofCase memory c = _proofCase(names[i]);
            assertTrue(verifier.isValidProof(c.proof, c.publicInputs), string.concat(names[i], ": genuine proof"));
        }
    }

    function test_PublicInputs_EqualTheRustProversForEveryValidTrade() public view {
        for (uint256 i = 0; i < tradeSpecs.length; ++i) {
            ProofCase memory c = _proofCase(tradeSpecs[i].name);
            // A trade after another is checked on the state that one leaves (the next test).
            if (!c.expectedValid || bytes(tradeSpecs[i].previous).length != 0) continue;
            _assertInputsEqualTheProvers(tradeSpecs[i].name);
        }
    }

    function test_PublicInputs_EqualTheRustProversForALaterTrade_OnTheStateTheFirstLeaves() public {
        assertEq(_tradeSpec(LATER).previous, FIRST, "scenario: LATER comes after FIRST");
        _executePrevious(LATER);
        assertEq(vault.nonces(agent), 1, "nonce after the first trade");
        _assertInputsEqualTheProvers(LATER);
    }

    /// @dev The vault's public inputs for the scenario trade `name` now equal the prover's, input by input, and
    ///      the vault's `checkTrade` accepts the fixture proof.
    function _assertInputsEqualTheProvers(string memory name) internal view {
        ProofCase memory c = _proofCase(name);
        IProofGateVault.Trade memory t = _tradeSpec(name).trade;
        uint256[] memory mine = vault.publicInputs(agent, t, deadline);
        assertEq(mine.length, c.publicInputs.length, "input count");
        for (uint256 j = 0; j < mine.length; ++j) {
            assertEq(mine[j], c.publicInputs[j], string.concat(name, _at(": input", j)));
        }
        assertTrue(vault.checkTrade(agent, t, deadline, c.proof), "checkTrade agrees");
    }

    // ---------------------------------------------------------------- valid proofs execute

    function test_Executes_WhenProofValid() public {
        _executeValid(FIRST);
    }

    function test_Executes_WhenProofValid_UsdcForWbtc() public {
        _executeValid("valid_sell_usdc_buy_wbtc");
    }

    function test_Executes_WhenProofValid_LinkForWeth() public {
        _executeValid("valid_sell_link_buy_weth");
    }

    function test_Executes_WhenProofValid_LaterTradeOfTheAgent() public {
        _executeValid(LATER); // FIRST, then LATER at nonce 1 on the state FIRST left
        assertEq(vault.nonces(agent), 2, "two trades");
    }

    function test_RevertExecute_WhenALaterTradesProofIsSubmittedFirst() public {
        // Its statement carries nonce 1 and the state after FIRST: at nonce 0, on the deployed state, it is refused.
        _assertRefused(agent, _tradeSpec(LATER).trade, _proofCase(LATER).proof, _invalidProof());
    }

    // The whole gated trade's gas (transaction base and calldata, proof verification, 8 oracle reads, registry,
    // Uniswap V2 swap, loss budget, bookkeeping) is read from `forge test --match-test test_Gas --gas-report` (row
    // `executeTrade` of ProofGateVault; the report runs every call as its own transaction). The first test makes one
    // call (the agent's FIRST trade: the report's max), the second two (FIRST, then the LATER one: the report's min).
    // They differ by the agent's state slot (nonce and loss bucket, written twice per trade, the second time warm):
    // the first trade's goes from zero to nonzero, 17,100 gas more than any later trade (EIP-2200/2929: 22,100 for a
    // cold zero-to-nonzero SSTORE, 5,000 for nonzero to nonzero). test_Gas_Breakdown_FirstTrade prints the parts.

    function test_Gas_GatedTrade_FirstTradeOfTheAgent() public {
        _executeFixtureTrade(FIRST);
    }

    function test_Gas_GatedTrade_LaterTradeOfTheAgent() public {
        _executeFixtureTrade(FIRST);
        // The steady state, in a later block: within the same second Uniswap V2 skips its two price-accumulator
        // writes (about 10,000 gas), which no real later trade does. The feeds (updated a minute before the first
        // trade, heartbeat one hour) and the deadline still hold 12 s later.
        vm.warp(block.timestamp + 12);
        _executeFixtureTrade(LATER);
    }

    /// @dev The first trade's parts, each measured on its own from cold state with gasleft() deltas and printed
    ///      (`forge test --match-test test_Gas_Breakdown -vv`); the whole transaction is the gas report's max row of
    ///      `executeTrade` (test_Gas_GatedTrade_FirstTradeOfTheAgent). Parts: verification (the generated verifier
    ///      on the statement: 4 pairings, 8 scalar multiplications); valuation (the vault's statement: the asset
    ///      table, the registry's tradingStatus, 8 feeds, the packing; measured through `publicInputs`, so with an
    ///      external call and the ABI encoding of its return the trade does not pay); loss budget (valuing what was
    ///      received, the shortfall, the refill, the check and the bucket's write into the already-written nonce
    ///      slot; on a harness); swap (the vault's four balance reads, its transfer to the pair, the venue's quote
    ///      and the pair's swap).
    function test_Gas_Breakdown_FirstTrade() public {
        ProofCase memory c = _proofCase(FIRST);
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;

        uint256 g = gasleft();
        bool valid = verifier.isValidProof(c.proof, c.publicInputs);
        uint256 verification = g - gasleft();
        assertTrue(valid, "the fixture proof verifies");

        g = gasleft();
        uint256[] memory inputs = vault.publicInputs(agent, t, deadline);
        uint256 valuation = g - gasleft();

        uint256 received = venue.quote(tokens[t.sellAsset], tokens[t.buyAsset], t.amountIn);
        ProofGateVaultHarness harness = new ProofGateVaultHarness(address(timelock), registry, verifier, 8);
        (uint256 lossBudget, uint256 shortfall) = harness.measureChargeLoss(_valuation(inputs), received);
        assertTrue(shortfall > 0, "a real shortfall was charged");

        address pair = venue.inputRecipient(tokens[t.sellAsset], tokens[t.buyAsset]);
        vm.startPrank(address(vault));
        g = gasleft();
        tokens[t.sellAsset].balanceOf(address(vault));
        tokens[t.buyAsset].balanceOf(address(vault));
        tokens[t.sellAsset].transfer(pair, t.amountIn);
        venue.swap(tokens[t.sellAsset], tokens[t.buyAsset], t.amountIn, t.amountOut, address(vault));
        tokens[t.sellAsset].balanceOf(address(vault));
        tokens[t.buyAsset].balanceOf(address(vault));
        uint256 swap = g - gasleft();
        vm.stopPrank();

        console.log("gas breakdown, first trade: verification", verification);
        console.log("gas breakdown, first trade: valuation (statement, via publicInputs)", valuation);
        console.log("gas breakdown, first trade: loss budget", lossBudget);
        console.log("gas breakdown, first trade: swap (balances, transfer, venue, pair)", swap);
        // Loose bounds, so that a regression in one part shows here and not only in the total.
        assertTrue(verification < 260_000, "verification");
        assertTrue(valuation < 110_000, "valuation");
        assertTrue(lossBudget < 3_000, "loss budget");
        assertTrue(swap < 110_000, "swap");
    }

    /// @dev The vault's valuation of the FIRST trade for the harness, from its public inputs and the scenario.
    function _valuation(uint256[] memory inputs) internal view returns (ProofGateVault.Valuation memory v) {
        uint256 nav;
        for (uint256 k = 0; k < 8; ++k) {
            nav += _valueField(inputs, k);
        }
        for (uint256 k = 0; k < 8; ++k) {
            nav -= _valueField(inputs, 8 + k);
        }
        v.netAssetValue = nav;
        v.valueIn = _valueField(inputs, 16);
        v.valueOut = _valueField(inputs, 17);
        // USDC: 6 token decimals and 8 feed decimals, so value = amount · price / 10^6.
        (v.buyPrice, v.buyDivisor, v.buyMultiplier) = (uint256(assetSpecs[1].price), 1e6, 1);
        (v.lossBudgetBps, v.lossWindow) = (LOSS_BUDGET_BPS, LOSS_WINDOW);
    }

    function _valueField(uint256[] memory inputs, uint256 i) internal pure returns (uint256) {
        return (inputs[i / 4] >> (63 * (i % 4))) & ((1 << 63) - 1);
    }

    /// @dev Submits the scenario trade `name` with its fixture proof, and nothing else (a clean gas measurement).
    function _executeFixtureTrade(string memory name) internal {
        ProofCase memory c = _proofCase(name);
        IProofGateVault.Trade memory t = _tradeSpec(name).trade;
        vm.prank(agent);
        vault.executeTrade(t, deadline, c.proof);
    }

    // ---------------------------------------------------------------- genuine proofs of something else

    function test_RevertExecute_WhenNonceReused() public {
        ProofCase memory c = _proofCase(FIRST);
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;
        vm.prank(agent);
        vault.executeTrade(t, deadline, c.proof);
        _assertRefused(agent, t, c.proof, _invalidProof());
    }

    function test_RevertExecute_WhenMalleatedProofReplayed() public {
        // Groth16 proofs are malleable: (-A, -B, C) verifies like (A, B, C). Replay protection is the nonce in the
        // statement, not the proof's bytes, so a re-randomised copy is refused once the original executed.
        ProofCase memory c = _proofCase(FIRST);
        uint256[8] memory twin = _copy(c.proof);
        twin[1] = P - twin[1]; // -A
        twin[4] = P - twin[4]; // -B (y.c1)
        twin[5] = P - twin[5]; // -B (y.c0)
        assertTrue(verifier.isValidProof(twin, c.publicInputs), "the twin verifies for the same statement");
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;
        vm.prank(agent);
        vault.executeTrade(t, deadline, c.proof);
        _assertRefused(agent, t, twin, _invalidProof());
    }

    function test_RevertExecute_WhenProofIsForAnotherTrade() public {
        ProofCase memory c = _proofCase(FIRST);
        _assertRefused(agent, _tradeSpec("valid_sell_usdc_buy_wbtc").trade, c.proof, _invalidProof());
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;
        t.amountOut -= 1e6; // one USDC less than proven
        _assertRefused(agent, t, c.proof, _invalidProof());
    }

    function test_RevertExecute_WhenProofIsForAnotherVault() public {
        ProofCase memory c = _proofCase("other_vault");
        assertFalse(c.expectedValid, "fixture says invalid");
        _assertRefused(agent, _tradeOf(c), c.proof, _invalidProof());
    }

    function test_RevertExecute_WhenProofIsForAnotherAgent() public {
        ProofCase memory c = _proofCase("other_agent");
        assertFalse(c.expectedValid, "fixture says invalid");
        _assertRefused(agent, _tradeOf(c), c.proof, _invalidProof());
        // The agent it is bound to can use it: the binding is the only difference.
        vm.prank(otherAgent);
        vault.executeTrade(_tradeOf(c), deadline, c.proof);
        assertEq(vault.nonces(otherAgent), 1, "other agent traded");
    }

    function test_RevertExecute_WhenProofIsForAnotherChain() public {
        ProofCase memory c = _proofCase("other_chain");
        assertFalse(c.expectedValid, "fixture says invalid");
        _assertRefused(agent, _tradeOf(c), c.proof, _invalidProof());
        // On chain id 1 (the chain it is bound to) the same vault state accepts it.
        vm.chainId(1);
        assertTrue(vault.checkTrade(agent, _tradeOf(c), deadline, c.proof), "valid on chain 1");
    }

    function test_RevertExecute_WhenProofMadeWithUncertifiedModel() public {
        ProofCase memory c = _proofCase("uncertified_model");
        assertFalse(c.expectedValid, "fixture says invalid");
        IProofGateVault.Trade memory t = _tradeOf(c);
        // Bound to the certified model, the agent's statement carries that model's commitment.
        _assertRefused(agent, t, c.proof, _invalidProof());
        // Bound to the other model, which is not certified: refused before the proof is even checked.
        _govern(abi.encodeCall(registry.certifyModel, (uncertifiedModelCommitment, _modelMetadata("rogue"))));
        _govern(
            abi.encodeCall(registry.rebindAgent, (address(vault), agent, uncertifiedModelCommitment, paramsCommitment))
        );
        _govern(abi.encodeCall(registry.decertifyModel, (uncertifiedModelCommitment)));
        _assertRefused(
            agent,
            t,
            c.proof,
            abi.encodeWithSelector(IVaultErrors.ModelNotCertified.selector, uncertifiedModelCommitment)
        );
        // Only governance's certification stands between this (genuine) proof and execution.
        _govern(abi.encodeCall(registry.certifyModel, (uncertifiedModelCommitment, _modelMetadata("rogue"))));
        assertTrue(vault.checkTrade(agent, t, deadline, c.proof), "passes once certified");
    }

    function test_RevertExecute_WhenTradeBreaksTheRiskLimits() public {
        // No proof of a trade the risk checks refuse can exist; what an agent can submit is the proof of another
        // trade. Here: handing the whole WETH holding away for one unit of USDC, which the circuit's price bound
        // refuses (value_out far below value_in · (1 - max_slippage)). A "limit_breaking" fixture case is used when
        // the generator provides one.
        IProofGateVault.Trade memory refused = _tradeSpec(FIRST).trade;
        refused.amountIn = assetSpecs[refused.sellAsset].balance;
        refused.amountOut = 1;
        uint256[] memory inputs = vault.publicInputs(agent, refused, deadline);
        uint256 valueIn = (inputs[4] >> 0) & ((1 << 63) - 1); // value field 16: element 4, bit 0
        uint256 holding = inputs[0] & ((1 << 63) - 1); // value field 0: holding of WETH
        assertEq(valueIn, holding, "a full exit sells exactly the holding's value");
        string memory name = bytes(_caseKey("limit_breaking")).length != 0 ? "limit_breaking" : FIRST;
        uint256[8] memory proof = _proofCase(name).proof;
        _assertRefused(agent, refused, proof, _invalidProof());
    }

    /// @dev (d) With the prover's real proof: the agent's honest proof of THIS vault's state (the fixture FIRST, bound
    ///      to this vault) is refused once the agent is certified only for another vault A sharing the registry and
    ///      the verifier: AgentNotRegistered(agent), before the proof is looked at, with nothing changed.
    function test_RevertExecute_WhenAgentIsCertifiedOnlyForAnotherVault_WithTheRealProof() public {
        ProofCase memory c = _proofCase(FIRST);
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;
        assertTrue(verifier.isValidProof(c.proof, c.publicInputs), "a genuine proof");
        assertEq(c.publicInputs[5], _bindingOf(address(vault)), "bound to this vault");
        ProofGateVault vaultA = new ProofGateVault(address(this), address(timelock), guardian, registry, verifier, 8);
        _govern(abi.encodeCall(registry.removeAgent, (address(vault), agent)));
        _govern(abi.encodeCall(registry.registerAgent, (address(vaultA), agent, modelCommitment, paramsCommitment)));
        _govern(abi.encodeCall(registry.setLossBudget, (address(vaultA), agent, LOSS_BUDGET_BPS, LOSS_WINDOW)));
        _assertRefused(agent, t, c.proof, abi.encodeWithSelector(IVaultErrors.AgentNotRegistered.selector, agent));
    }

    /// @dev The binding of FIRST (agent, `target`, this chain, nonce 0, the scenario's deadline).
    function _bindingOf(address target) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(agent, target, block.chainid, uint256(0), deadline))) & ((1 << 253) - 1);
    }

    // ---------------------------------------------------------------- damaged proofs

    function test_RevertExecute_WhenProofTampered() public {
        ProofCase memory c = _proofCase(FIRST);
        IProofGateVault.Trade memory t = _tradeSpec(FIRST).trade;
        for (uint256 j = 0; j < 8; ++j) {
            uint256[8] memory bad = _copy(c.proof);
            bad[j] = bad[j] ^ 1;
            _assertRefused(agent, t, bad, _invalidProof());
        }
        uint256[8] memory outOfField = _copy(c.proof);
        outOfField[6] += P; // C.x + p: the same point only if reduced, which the precompile refuses to do
        _assertRefused(agent, t, outOfField, _invalidProof());
        uint256[8] memory zero;
        _assertRefused(agent, t, zero, _invalidProof());
        // And the untouched proof still passes afterwards: nothing was consumed by the failures.
        vm.prank(agent);
        vault.executeTrade(t, deadline, c.proof);
    }

    function testFuzz_RevertExecute_WhenProofIsGarbage(uint256[8] memory garbage) public {
        _assertRefused(agent, _tradeSpec(FIRST).trade, garbage, _invalidProof());
    }
}
