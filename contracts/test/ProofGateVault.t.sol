// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {IProofGateVault, IVaultErrors, IVaultEvents} from "../src/interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../src/interfaces/IRiskVerifier.sol";
import {IPublicInputsErrors, PublicInputs} from "../src/libraries/PublicInputs.sol";
import {IUniswapV2VenueErrors} from "../src/venues/UniswapV2Venue.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {MockVenue} from "./mocks/MockVenue.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {MockVerifierBase} from "./utils/ProofGateBase.sol";

/// @notice The vault's own logic, on the scenario's 8 assets and real Uniswap V2, with a mock verifier that accepts
///         exactly the (proof, public inputs) pairs the test registers: so a proof "for" a statement passes exactly
///         when the vault computes that statement. The real verifier and real proofs are in
///         ProofGateVault.fixtures.t.sol.
contract ProofGateVaultTest is MockVerifierBase, IVaultEvents {
    IProofGateVault.Trade internal trade;

    function setUp() public {
        _setUpSystem();
        trade = tradeSpecs[0].trade; // sell 10.5 WETH for USDC
    }

    // ---------------------------------------------------------------- helpers

    function _execute(address who, IProofGateVault.Trade memory t, uint256 dl, uint256[8] memory proof) internal {
        vm.prank(who);
        vault.executeTrade(t, dl, proof);
    }

    /// @dev Expects `executeTrade` to revert with exactly `revertData` and to leave every balance, position,
    ///      reserve and nonce as it was.
    function _assertRefused(
        address who,
        IProofGateVault.Trade memory t,
        uint256 dl,
        uint256[8] memory proof,
        bytes memory revertData
    ) internal {
        State memory before = _state();
        vm.expectRevert(revertData);
        _execute(who, t, dl, proof);
        _assertUnchanged(before);
    }

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    /// @dev Value field `i` of packed public inputs (63 bits at element i / 4, bit 63 · (i % 4)).
    function _valueField(uint256[] memory inputs, uint256 i) internal pure returns (uint256) {
        return (inputs[i / 4] >> (63 * (i % 4))) & ((1 << 63) - 1);
    }

    // ---------------------------------------------------------------- the gated trade

    function test_Executes_WhenProofValid() public {
        // Ask for 1 % less than the pool gives: the vault still credits the whole quote.
        trade.amountOut = venue.quote(tokens[trade.sellAsset], tokens[trade.buyAsset], trade.amountIn) * 99 / 100;
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256[] memory inputs = vault.publicInputs(agent, trade, deadline);
        State memory before = _state();
        uint256 sell = trade.sellAsset;
        uint256 buy = trade.buyAsset;
        uint256 received = venue.quote(tokens[sell], tokens[buy], trade.amountIn);
        assertTrue(received > trade.amountOut, "the pool gives more than the proven minimum");
        // Rounding: the sold value is the drop of the holding's rounded-down value, the bought value rounds down.
        assertEq(_valueField(inputs, 16), _soldValue(sell, trade.amountIn), "valueIn: value(H) - value(H - amountIn)");
        uint256 price = uint256(assetSpecs[buy].price);
        assertEq(_valueField(inputs, 17), Math.mulDiv(trade.amountOut, price, 1e6), "valueOut rounds down");

        _expectTradeExecuted(agent, 0, trade, inputs, received);
        _execute(agent, trade, deadline, proof);

        State memory afterTrade = _state();
        assertEq(afterTrade.vaultBalances[sell], before.vaultBalances[sell] - trade.amountIn, "sold exactly amountIn");
        assertEq(afterTrade.vaultBalances[buy], before.vaultBalances[buy] + received, "bought the whole quote");
        assertEq(afterTrade.holdings[sell], before.holdings[sell] - trade.amountIn, "sell holding");
        assertEq(afterTrade.holdings[buy], before.holdings[buy] + received, "buy holding credits what was received");
        for (uint256 k = 0; k < tokens.length; ++k) {
            if (k != sell && k != buy) assertEq(afterTrade.vaultBalances[k], before.vaultBalances[k], "other asset");
        }
        assertEq(afterTrade.agentNonce, 1, "nonce consumed");
        assertEq(afterTrade.otherAgentNonce, 0, "other agent's nonce untouched");
        assertEq(tokens[sell].balanceOf(address(pairs[0])), before.pairReserves[_reserveIndex(sell)] + trade.amountIn);
    }

    /// @dev Expects the vault's {TradeExecuted} for `t` by `who` at `nonce`, with the statement `inputs`, crediting
    ///      `received` (valued at the scenario price of the bought asset, an 8-decimal feed) and charging the
    ///      shortfall.
    function _expectTradeExecuted(
        address who,
        uint256 nonce,
        IProofGateVault.Trade memory t,
        uint256[] memory inputs,
        uint256 received
    ) internal {
        uint256 valueIn = _valueField(inputs, 16);
        uint256 valueReceived =
            Math.mulDiv(received, uint256(assetSpecs[t.buyAsset].price), 10 ** assetSpecs[t.buyAsset].decimals);
        vm.expectEmit(true, true, true, true, address(vault));
        emit TradeExecuted(
            who,
            nonce,
            keccak256(abi.encode(inputs)),
            modelCommitment,
            t.sellAsset,
            t.buyAsset,
            t.amountIn,
            t.amountOut,
            valueIn,
            _valueField(inputs, 17),
            received,
            valueIn > valueReceived ? valueIn - valueReceived : 0
        );
    }

    /// @dev The vault's rule for the sold value: value(H) - value(H - amountIn), both rounded down, for an asset of
    ///      the scenario with an 8-decimal feed at its scenario price.
    function _soldValue(uint256 asset, uint256 amountIn) internal view returns (uint256) {
        uint256 held = vault.asset(asset).holding;
        uint256 price = uint256(assetSpecs[asset].price);
        uint256 unit = 10 ** assetSpecs[asset].decimals;
        return Math.mulDiv(held, price, unit) - Math.mulDiv(held - amountIn, price, unit);
    }

    /// @dev Index in `State.pairReserves` of `asset`'s reserve in pair 0 (WETH/USDC).
    function _reserveIndex(uint256 asset) internal view returns (uint256) {
        return address(tokens[asset]) == pairs[0].token0() ? 0 : 1;
    }

    function test_RevertExecute_WhenProofInvalid() public {
        _acceptedProof(agent, trade, 1);
        uint256[8] memory garbage;
        for (uint256 j = 0; j < 8; ++j) {
            garbage[j] = j + 1;
        }
        _assertRefused(agent, trade, deadline, garbage, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenNonceReused() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _execute(agent, trade, deadline, proof);
        // The same proof again: the statement now carries nonce 1 (and the new holdings).
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenNonceReused_EvenIfTheStateIsRestored() public {
        // Isolate the nonce: a proof at nonce 0, the nonce moved to 1 by a trade, and the holdings restored by the
        // owner exactly (so only the nonce differs from the proven statement).
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256[] memory provenInputs = vault.publicInputs(agent, trade, deadline);
        uint256 sell = trade.sellAsset;
        uint256 buy = trade.buyAsset;
        uint256 received = venue.quote(tokens[sell], tokens[buy], trade.amountIn);
        _execute(agent, trade, deadline, proof);
        tokens[sell].mint(address(this), trade.amountIn);
        tokens[sell].approve(address(vault), trade.amountIn);
        vault.deposit(sell, trade.amountIn);
        vault.withdraw(buy, received, address(this));
        uint256[] memory now_ = vault.publicInputs(agent, trade, deadline);
        for (uint256 i = 0; i < 5; ++i) {
            assertEq(now_[i], provenInputs[i], "packed statement restored");
        }
        assertTrue(now_[5] != provenInputs[5], "only the binding (nonce) differs");
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenProofIsForAnotherTrade() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        IProofGateVault.Trade memory other = trade;
        other.amountOut += 1;
        _assertRefused(agent, other, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
        other = trade;
        other.amountIn -= 1e15; // 0.001 WETH, about $3
        _assertRefused(agent, other, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
        other = tradeSpecs[1].trade;
        _assertRefused(agent, other, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_Statement_BindsTheTradeThroughItsUsdValues() public view {
        // The circuit's statement carries the trade as USD values at 1e8 (and asset indices), so amounts that
        // round to the same values are the same statement: one wei of WETH is worth 3e-7 of a unit.
        IProofGateVault.Trade memory dust = trade;
        dust.amountIn -= 1;
        uint256[] memory a = vault.publicInputs(agent, trade, deadline);
        uint256[] memory b = vault.publicInputs(agent, dust, deadline);
        for (uint256 i = 0; i < a.length; ++i) {
            assertEq(b[i], a[i], "same statement");
        }
    }

    function test_RevertExecute_WhenProofIsForAnotherDeadline() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _assertRefused(agent, trade, deadline + 1, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenProofIsForAnotherAgent() public {
        uint256[8] memory proof = _acceptedProof(otherAgent, trade, 1);
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
        // The agent it was made for can use it.
        _execute(otherAgent, trade, deadline, proof);
        assertEq(vault.nonces(otherAgent), 1, "other agent traded");
    }

    function test_RevertExecute_WhenProofIsForAnotherVault() public {
        uint256[8] memory proof;
        proof[0] = 42;
        uint256[] memory inputs = vault.publicInputs(agent, trade, deadline);
        inputs[5] = PublicInputs.binding(agent, address(0xB0B), block.chainid, 0, deadline);
        mockVerifier.accept(proof, inputs);
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenProofIsForAnotherChain() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.chainId(1);
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenStateChangedSinceTheProof() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.prank(address(timelock));
        vault.setDebt(3, assetSpecs[3].debt + 1);
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_RevertExecute_WhenPriceMovedSinceTheProof() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        feeds[5].submit(assetSpecs[5].price + 1);
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.InvalidProof.selector));
    }

    function test_Statement_IgnoresTokensSentToTheVaultDirectly() public {
        uint256[] memory before = vault.publicInputs(agent, trade, deadline);
        tokens[1].mint(address(vault), 1); // one unit of USDC: $0.000001, which would change holding[1]
        uint256[] memory afterDonation = vault.publicInputs(agent, trade, deadline);
        for (uint256 i = 0; i < before.length; ++i) {
            assertEq(afterDonation[i], before[i], "a donation cannot invalidate a pending proof");
        }
        vm.expectEmit(true, true, true, true, address(vault));
        emit HoldingSynced(1, assetSpecs[1].balance, assetSpecs[1].balance + 1);
        vm.prank(address(timelock));
        vault.syncHolding(1);
        assertTrue(vault.publicInputs(agent, trade, deadline)[0] != before[0], "adopted by the owner");
    }

    // ---------------------------------------------------------------- registry

    function test_RevertExecute_WhenModelDecertified() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _govern(abi.encodeCall(registry.decertifyModel, (modelCommitment)));
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(IVaultErrors.ModelNotCertified.selector, modelCommitment)
        );
    }

    function test_RevertExecute_WhenParamsDecertified() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _govern(abi.encodeCall(registry.decertifyParams, (paramsCommitment)));
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(IVaultErrors.ParamsNotCertified.selector, paramsCommitment)
        );
    }

    function test_RevertExecute_WhenAgentNotRegistered() public {
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        _assertRefused(
            stranger, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.AgentNotRegistered.selector, stranger)
        );
    }

    function test_RevertExecute_WhenAgentPaused() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.prank(guardian);
        registry.pauseAgent(address(vault), agent);
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.AgentNotActive.selector, agent)
        );
        // Governance unpauses; the same proof then passes.
        _govern(abi.encodeCall(registry.unpauseAgent, (address(vault), agent)));
        _execute(agent, trade, deadline, proof);
    }

    /// @dev The solvency gate: governance requires a fresh attestation (this test plays the attestor), with the
    ///      stablecoins (USDC, DAI, USDT) as reserve assets.
    function test_SolvencyGate_StopsOnlyRiskIncreasingTradesUntilAFreshAttestation() public {
        _govern(abi.encodeCall(registry.setAttestor, (address(this))));
        uint16 reserves = uint16((1 << 1) | (1 << 6) | (1 << 7));
        _govern(abi.encodeCall(registry.setSolvencyRequirement, (address(vault), true, reserves)));
        IProofGateVault.Trade memory risky = tradeSpecs[1].trade; // sell USDC, buy WBTC
        uint256[8] memory none;

        // Never attested: the risk-increasing trade is refused before its proof is looked at.
        _assertRefused(
            agent, risky, deadline, none, abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0)
        );
        // Stale (fresh until a second ago): still refused, with when it went stale.
        uint64 generation = vault.configGeneration();
        registry.recordSolvency(address(vault), uint64(block.timestamp - 1), generation);
        _assertRefused(
            agent,
            risky,
            deadline,
            none,
            abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, block.timestamp - 1)
        );
        // A de-risking trade into a reserve asset still goes through.
        _execute(agent, trade, deadline, _acceptedProof(agent, trade, 1));
        // Fresh until now (inclusive): the risk-increasing trade goes through.
        registry.recordSolvency(address(vault), uint64(block.timestamp), generation);
        _execute(agent, risky, deadline, _acceptedProof(agent, risky, 2));
    }

    /// @dev A fresh attestation counts only while the vault's configuration generation is the one it was made under:
    ///      one of another generation is no attestation (AgentNotSolvent with 0), for risk-increasing trades only.
    function test_SolvencyGate_CountsAnAttestationOnlyUnderTheGenerationItWasMadeUnder() public {
        _govern(abi.encodeCall(registry.setAttestor, (address(this))));
        uint16 reserves = uint16((1 << 1) | (1 << 6) | (1 << 7));
        _govern(abi.encodeCall(registry.setSolvencyRequirement, (address(vault), true, reserves)));
        IProofGateVault.Trade memory risky = tradeSpecs[1].trade; // sell USDC, buy WBTC
        uint256[8] memory none;
        uint64 generation = vault.configGeneration();
        uint64 until = uint64(block.timestamp + 1 days);

        registry.recordSolvency(address(vault), until, generation + 1);
        _assertRefused(
            agent, risky, deadline, none, abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0)
        );
        registry.recordSolvency(address(vault), until, generation - 1);
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0));
        vault.publicInputs(agent, risky, deadline);
        // De-risking still goes through under any generation.
        _execute(agent, trade, deadline, _acceptedProof(agent, trade, 1));

        registry.recordSolvency(address(vault), until, generation);
        _execute(agent, risky, deadline, _acceptedProof(agent, risky, 2));

        // The owner's withdrawal moves the generation: the same record no longer counts.
        vault.withdraw(0, 1, address(this));
        assertEq(uint256(vault.configGeneration()), uint256(generation) + 1, "withdraw bumps");
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotSolvent.selector, agent, 0));
        vault.publicInputs(agent, risky, deadline);
        // Without a requirement the generation does not matter.
        _govern(abi.encodeCall(registry.setSolvencyRequirement, (address(vault), false, 0)));
        vault.publicInputs(agent, risky, deadline);
    }

    /// @dev Every change of what an attestation counted moves the generation by one (each governance change of the
    ///      table, a holding's sync, a withdrawal); deposits, pausing and the guardian do not.
    function test_ConfigGeneration_MovesWithEveryChangeAnAttestationCounted() public {
        uint64 g = vault.configGeneration();
        // The set-up's 8 addAsset, setVenue and 8 setDebt.
        assertEq(uint256(g), 17, "set-up: 8 assets, the venue, 8 debts");
        address v = address(vault);
        _govern(v, abi.encodeCall(vault.setFeed, (0, feeds[0], HEARTBEAT)));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "setFeed");
        _govern(v, abi.encodeCall(vault.setVenue, (venue)));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "setVenue");
        _govern(v, abi.encodeCall(vault.setSequencerFeed, (AggregatorV3Interface(address(0)), 0)));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "setSequencerFeed");
        _govern(v, abi.encodeCall(vault.setDebt, (1, 5)));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "setDebt");
        _govern(v, abi.encodeCall(vault.syncHolding, (1)));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "syncHolding");
        vault.withdraw(1, 1, address(this));
        assertEq(uint256(vault.configGeneration()), uint256(++g), "withdraw");

        tokens[1].mint(address(this), 10);
        tokens[1].approve(v, 10);
        vault.deposit(1, 10);
        _govern(v, abi.encodeCall(vault.setGuardian, (guardian)));
        vm.prank(guardian);
        vault.pause();
        _govern(v, abi.encodeCall(vault.unpause, ()));
        assertEq(uint256(vault.configGeneration()), uint256(g), "deposit, guardian, pause: unchanged");
        // A trade does not move it either.
        _execute(agent, trade, deadline, _acceptedProof(agent, trade, 1));
        assertEq(uint256(vault.configGeneration()), uint256(g), "a trade: unchanged");
    }

    function test_RevertExecute_WhenAgentRemoved() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _govern(abi.encodeCall(registry.removeAgent, (address(vault), agent)));
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.AgentNotRegistered.selector, agent)
        );
    }

    // ---------------------------------------------------------------- pause, deadline

    function test_RevertExecute_WhenVaultPaused() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.expectEmit(true, true, true, true, address(vault));
        emit Paused(guardian);
        vm.prank(guardian);
        vault.pause();
        assertTrue(vault.paused(), "paused");
        _assertRefused(agent, trade, deadline, proof, _err(IVaultErrors.EnforcedPause.selector));

        // The guardian cannot unpause; governance can, and the proof then passes.
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnauthorizedGovernance.selector, guardian));
        vm.prank(guardian);
        vault.unpause();
        vm.expectEmit(true, true, true, true, address(vault));
        emit Unpaused(address(timelock));
        vm.prank(address(timelock));
        vault.unpause();
        _execute(agent, trade, deadline, proof);
    }

    function test_RevertPause_WhenNeitherGuardianNorGovernance() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnauthorizedPauser.selector, stranger));
        vm.prank(stranger);
        vault.pause();
        // The owner (a depositor) may not pause.
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnauthorizedPauser.selector, address(this)));
        vault.pause();
        vm.prank(address(timelock)); // governance may
        vault.pause();
        vm.expectRevert(IVaultErrors.EnforcedPause.selector);
        vm.prank(guardian);
        vault.pause();
        vm.prank(address(timelock));
        vault.unpause();
        vm.expectRevert(IVaultErrors.ExpectedPause.selector);
        vm.prank(address(timelock));
        vault.unpause();
    }

    function test_RevertExecute_WhenDeadlinePassed() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.warp(deadline + 1);
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(IVaultErrors.DeadlinePassed.selector, deadline, deadline + 1)
        );
    }

    function test_Executes_AtTheDeadlineItself() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.warp(deadline);
        // The heartbeat still holds at the deadline (prices are 60 s + 900 s old, heartbeat 1 h).
        _execute(agent, trade, deadline, proof);
    }

    // ---------------------------------------------------------------- oracle

    function test_RevertExecute_WhenPriceStale() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256 updatedAt = block.timestamp - HEARTBEAT - 1;
        vm.warp(updatedAt);
        vm.warp(tradeTime);
        // A feed that has not updated for longer than its heartbeat.
        vm.mockCall(
            address(feeds[4]),
            abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector),
            abi.encode(uint80(9), assetSpecs[4].price, updatedAt, updatedAt, uint80(9))
        );
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.StalePrice.selector, 4, updatedAt)
        );
    }

    function test_RevertExecute_WhenPriceStale_AfterTimePasses() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256 updatedAt = tradeTime - PRICE_AGE;
        // Every feed is stale one second past its heartbeat; the first one read (asset 0) is reported.
        vm.warp(updatedAt + HEARTBEAT + 1);
        _assertRefused(
            agent,
            trade,
            updatedAt + HEARTBEAT + 1,
            proof,
            abi.encodeWithSelector(IVaultErrors.StalePrice.selector, 0, updatedAt)
        );
    }

    function test_RevertExecute_WhenPriceZero() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        feeds[2].submit(0);
        _assertRefused(agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.InvalidPrice.selector, 2, 0));
    }

    function test_RevertExecute_WhenPriceNegative() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        feeds[6].submit(-1e8);
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.InvalidPrice.selector, 6, int256(-1e8))
        );
    }

    function test_RevertExecute_WhenPriceImplausiblyLarge() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        int256 huge = int256(uint256(type(uint128).max)) + 1;
        feeds[7].submit(huge);
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.InvalidPrice.selector, 7, huge)
        );
    }

    function test_RevertExecute_WhenRoundIncomplete() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.mockCall(
            address(feeds[1]),
            abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector),
            abi.encode(uint80(3), assetSpecs[1].price, uint256(0), uint256(0), uint80(3))
        );
        _assertRefused(agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.StalePrice.selector, 1, 0));
    }

    function test_RevertExecute_WhenUpdatedAtInTheFuture() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256 future = block.timestamp + 1;
        vm.mockCall(
            address(feeds[3]),
            abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector),
            abi.encode(uint80(3), assetSpecs[3].price, future, future, uint80(3))
        );
        _assertRefused(
            agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.StalePrice.selector, 3, future)
        );
    }

    function test_RevertExecute_WhenFeedReturnsTooLittle() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        vm.mockCall(
            address(feeds[0]),
            abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector),
            abi.encode(uint80(3), assetSpecs[0].price)
        );
        _assertRefused(agent, trade, deadline, proof, abi.encodeWithSelector(IVaultErrors.InvalidPrice.selector, 0, 0));
    }

    function test_Statement_NormalisesFeedDecimals() public {
        uint256[] memory before = vault.publicInputs(agent, trade, deadline);
        // The same WETH price through an 18-decimal feed gives the same statement.
        PriceFeed feed18 = new PriceFeed(18, "WETH / USD (18)", assetSpecs[0].price * 1e10);
        vm.expectEmit(true, true, true, true, address(vault));
        emit FeedUpdated(0, address(feed18), 600, 18);
        vm.prank(address(timelock));
        vault.setFeed(0, feed18, 600);
        uint256[] memory after18 = vault.publicInputs(agent, trade, deadline);
        for (uint256 i = 0; i < before.length; ++i) {
            assertEq(after18[i], before[i], "18-decimal feed");
        }
        assertEq(uint256(vault.asset(0).heartbeat), 600, "heartbeat");
        assertEq(uint256(vault.asset(0).feedDecimals), 18, "feed decimals");
    }

    // ---------------------------------------------------------------- venue

    function _useMockVenue(uint256 shortfall, uint256 refund) internal returns (MockVenue mock) {
        mock = new MockVenue();
        tokens[trade.buyAsset].mint(address(mock), trade.amountOut);
        mock.setMisbehaviour(shortfall, refund);
        vm.prank(address(timelock));
        vault.setVenue(mock);
    }

    function test_RevertExecute_WhenVenueDeliversLessThanProven() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _useMockVenue(1, 0);
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(IVaultErrors.VenueShortfall.selector, trade.amountOut - 1, trade.amountOut)
        );
    }

    function test_RevertExecute_WhenVenueTakesLessThanProven() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _useMockVenue(0, 5);
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(IVaultErrors.VenueSpentMismatch.selector, trade.amountIn - 5, trade.amountIn)
        );
    }

    function test_Executes_OnAnHonestMockVenue() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        _useMockVenue(0, 0);
        _execute(agent, trade, deadline, proof);
        assertEq(vault.asset(trade.buyAsset).holding, assetSpecs[trade.buyAsset].balance + trade.amountOut, "bought");
    }

    function test_RevertExecute_WhenPoolCannotDeliver() public {
        IProofGateVault.Trade memory greedy = trade;
        uint256 max = venue.quote(tokens[greedy.sellAsset], tokens[greedy.buyAsset], greedy.amountIn);
        greedy.amountOut = max + 1;
        uint256[8] memory proof = _acceptedProof(agent, greedy, 1);
        _assertRefused(
            agent,
            greedy,
            deadline,
            proof,
            abi.encodeWithSelector(IUniswapV2VenueErrors.InsufficientOutput.selector, max, max + 1)
        );
    }

    function test_RevertExecute_WhenVenueNotSet() public {
        ProofGateVault bare = new ProofGateVault(address(this), address(this), guardian, registry, verifier, 8);
        uint256[8] memory proof;
        vm.expectRevert(IVaultErrors.VenueNotSet.selector);
        vm.prank(agent);
        bare.executeTrade(trade, deadline, proof);
    }

    // ---------------------------------------------------------------- trade shape

    function test_RevertExecute_WhenTradeMalformed() public {
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        IProofGateVault.Trade memory t = trade;
        t.sellAsset = 8;
        _assertRefused(agent, t, deadline, proof, abi.encodeWithSelector(IVaultErrors.UnknownAsset.selector, 8));
        t = trade;
        t.buyAsset = 200;
        _assertRefused(agent, t, deadline, proof, abi.encodeWithSelector(IVaultErrors.UnknownAsset.selector, 200));
        t = trade;
        t.buyAsset = t.sellAsset;
        _assertRefused(agent, t, deadline, proof, abi.encodeWithSelector(IVaultErrors.SameAsset.selector, t.sellAsset));
        t = trade;
        t.amountIn = 0;
        _assertRefused(agent, t, deadline, proof, _err(IVaultErrors.ZeroAmount.selector));
        t = trade;
        t.amountOut = 0;
        _assertRefused(agent, t, deadline, proof, _err(IVaultErrors.ZeroAmount.selector));
        t = trade;
        t.amountOut = uint256(type(uint128).max) + 1;
        _assertRefused(
            agent, t, deadline, proof, abi.encodeWithSelector(IVaultErrors.AmountTooLarge.selector, t.amountOut)
        );
        t = trade;
        t.amountIn = assetSpecs[t.sellAsset].balance + 1;
        _assertRefused(
            agent,
            t,
            deadline,
            proof,
            abi.encodeWithSelector(
                IVaultErrors.InsufficientHolding.selector, t.sellAsset, assetSpecs[t.sellAsset].balance, t.amountIn
            )
        );
    }

    function test_RevertExecute_WhenValueDoesNotFit63Bits() public {
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        IProofGateVault.Trade memory t = trade;
        t.amountOut = type(uint128).max; // about 3.4e32 USD at the USDC price
        uint256 value = Math.mulDiv(t.amountOut, uint256(assetSpecs[1].price), 1e6);
        _assertRefused(
            agent,
            t,
            deadline,
            proof,
            abi.encodeWithSelector(
                IPublicInputsErrors.FieldOutOfRange.selector, IPublicInputsErrors.Field.ValueOut, 0, value, 63
            )
        );
    }

    function test_RevertExecute_WhenAHoldingsValueDoesNotFit63Bits() public {
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        uint256 extra = 1e30; // UNI (asset 4): about $7.9e20 in all, above 2^63 / 1e8 dollars
        tokens[4].mint(address(this), extra);
        tokens[4].approve(address(vault), extra);
        vault.deposit(4, extra);
        uint256 value = Math.mulDiv(assetSpecs[4].balance + extra, uint256(assetSpecs[4].price), 1e18);
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(
                IPublicInputsErrors.FieldOutOfRange.selector, IPublicInputsErrors.Field.Holding, 4, value, 63
            )
        );
    }

    function test_RevertExecute_WhenADebtsValueDoesNotFit63Bits() public {
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint256[8] memory proof;
        uint256 debt = type(uint128).max; // WBTC (asset 2), rounded up
        vm.prank(address(timelock));
        vault.setDebt(2, debt);
        uint256 value = Math.mulDiv(debt, uint256(assetSpecs[2].price), 1e8, Math.Rounding.Ceil);
        _assertRefused(
            agent,
            trade,
            deadline,
            proof,
            abi.encodeWithSelector(
                IPublicInputsErrors.FieldOutOfRange.selector, IPublicInputsErrors.Field.Debt, 2, value, 63
            )
        );
    }

    function test_Statement_ScalesUp_WhenTokenAndFeedHaveFewerThan8Decimals() public {
        // USDC (6 decimals) through a 0-decimal feed answering 1 (USD 1): values are amount · 1 · 10^2.
        PriceFeed feed0 = new PriceFeed(0, "USDC / USD (0)", 1);
        vm.prank(address(timelock));
        vault.setFeed(1, feed0, 600);
        IProofGateVault.Trade memory t = IProofGateVault.Trade(1, 0, 25_000e6, 8e18); // sell USDC
        uint256[] memory inputs = vault.publicInputs(agent, t, deadline);
        assertEq(_valueField(inputs, 1), assetSpecs[1].balance * 100, "holding");
        assertEq(_valueField(inputs, 9), assetSpecs[1].debt * 100, "debt");
        assertEq(_valueField(inputs, 16), t.amountIn * 100, "valueIn");
        assertEq(_valueField(inputs, 17), Math.mulDiv(t.amountOut, uint256(assetSpecs[0].price), 1e18), "valueOut");
    }

    // ---------------------------------------------------------------- views

    function test_CheckTrade_TellsWhetherTheProofWouldPass() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        assertTrue(vault.checkTrade(agent, trade, deadline, proof), "the accepted proof");
        assertFalse(vault.checkTrade(otherAgent, trade, deadline, proof), "for another agent");
        proof[0] ^= 1;
        assertFalse(vault.checkTrade(agent, trade, deadline, proof), "a different proof");
        vm.expectRevert(
            abi.encodeWithSelector(IVaultErrors.DeadlinePassed.selector, block.timestamp - 1, block.timestamp)
        );
        vault.checkTrade(agent, trade, block.timestamp - 1, proof);
        vm.prank(guardian);
        vault.pause();
        vm.expectRevert(IVaultErrors.EnforcedPause.selector);
        vault.checkTrade(agent, trade, deadline, proof);
    }

    function test_PublicInputs_UseTheAgentsCurrentNonce() public {
        uint256[8] memory proof = _acceptedProof(agent, trade, 1);
        uint256[] memory at0 = vault.publicInputs(agent, trade, deadline);
        assertEq(at0[5], PublicInputs.binding(agent, address(vault), block.chainid, 0, deadline), "binding at nonce 0");
        assertEq(at0[6], modelCommitment, "model");
        assertEq(at0[7], paramsCommitment, "params");
        _execute(agent, trade, deadline, proof);
        uint256[] memory at1 = vault.publicInputs(agent, trade, deadline);
        assertEq(at1[5], PublicInputs.binding(agent, address(vault), block.chainid, 1, deadline), "binding at nonce 1");
    }

    function test_RevertPublicInputs_WhenAgentNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AgentNotRegistered.selector, stranger));
        vault.publicInputs(stranger, trade, deadline);
    }

    function testFuzz_Statement_RoundsHoldingsAndBoughtValueDown_DebtsUp_SoldValueIsTheHoldingsDrop(
        uint256 amountIn,
        uint256 amountOut,
        uint256 debt
    ) public {
        amountIn = bound(amountIn, 1, assetSpecs[0].balance);
        amountOut = bound(amountOut, 1, 1e15);
        debt = bound(debt, 0, 1e24);
        vm.prank(address(timelock));
        vault.setDebt(0, debt);
        IProofGateVault.Trade memory t = IProofGateVault.Trade(0, 1, amountIn, amountOut);
        uint256[] memory inputs = vault.publicInputs(agent, t, deadline);
        uint256 weth = uint256(assetSpecs[0].price);
        uint256 usdc = uint256(assetSpecs[1].price);
        assertEq(_valueField(inputs, 0), Math.mulDiv(assetSpecs[0].balance, weth, 1e18), "holding: down");
        assertEq(_valueField(inputs, 8), Math.mulDiv(debt, weth, 1e18, Math.Rounding.Ceil), "debt: up");
        uint256 held = assetSpecs[0].balance;
        uint256 valueIn = Math.mulDiv(held, weth, 1e18) - Math.mulDiv(held - amountIn, weth, 1e18);
        assertEq(_valueField(inputs, 16), valueIn, "valueIn: value(H) - value(H - amountIn)");
        assertEq(_valueField(inputs, 17), Math.mulDiv(amountOut, usdc, 1e6), "valueOut: down");
        // Within one unit of the exact value either way, and what remains is valued exactly as a holding.
        uint256 exact = Math.mulDiv(amountIn, weth, 1e18);
        assertTrue(valueIn >= exact && valueIn <= exact + 1, "valueIn within a unit of the exact value");
        assertEq(_valueField(inputs, 0) - valueIn, Math.mulDiv(held - amountIn, weth, 1e18), "remainder's value");
    }

    function test_FullExit_SellingTheWholeHoldingIsProvableAndExecutes() public {
        // WETH's holding value has a remainder: rounded up, the old sold value exceeded the holding's value, which
        // the circuit refuses (a position could not be closed). Now the sold value is exactly the holding's value.
        uint256 held = assetSpecs[0].balance;
        uint256 price = uint256(assetSpecs[0].price);
        uint256 holdingValue = Math.mulDiv(held, price, 1e18);
        assertTrue(Math.mulDiv(held, price, 1e18, Math.Rounding.Ceil) > holdingValue, "the value has a remainder");
        // Sold at the oracle price (a venue with the depth for it): the loss budget is not under test here.
        uint256 amountOut = Math.mulDiv(holdingValue, 1e6, uint256(assetSpecs[1].price));
        IProofGateVault.Trade memory exit = IProofGateVault.Trade(0, 1, held, amountOut);
        MockVenue deep = new MockVenue();
        tokens[1].mint(address(deep), amountOut);
        vm.prank(address(timelock));
        vault.setVenue(deep);
        uint256[] memory inputs = vault.publicInputs(agent, exit, deadline);
        assertEq(_valueField(inputs, 0), holdingValue, "holding value");
        assertEq(_valueField(inputs, 16), holdingValue, "valueIn = the holding's value");
        _execute(agent, exit, deadline, _acceptedProof(agent, exit, 7));
        assertEq(vault.asset(0).holding, 0, "position closed");
        assertEq(tokens[0].balanceOf(address(vault)), 0, "no WETH left");
        assertEq(vault.asset(1).holding, assetSpecs[1].balance + amountOut, "proceeds credited");
    }

    // ---------------------------------------------------------------- owner: funds and configuration

    function test_DepositAndWithdraw_MoveHoldingsAndEmit() public {
        tokens[2].mint(address(this), 5e8);
        tokens[2].approve(address(vault), 5e8);
        vm.expectEmit(true, true, true, true, address(vault));
        emit Deposited(2, address(this), 5e8);
        vault.deposit(2, 5e8);
        assertEq(vault.asset(2).holding, assetSpecs[2].balance + 5e8, "deposited");
        vm.expectEmit(true, true, true, true, address(vault));
        emit Withdrawn(2, address(0xCAFE), 7e8);
        vault.withdraw(2, 7e8, address(0xCAFE));
        assertEq(tokens[2].balanceOf(address(0xCAFE)), 7e8, "sent");
        assertEq(vault.asset(2).holding, assetSpecs[2].balance - 2e8, "withdrawn");
    }

    function test_Withdraw_WorksWhilePaused() public {
        vm.prank(guardian);
        vault.pause();
        vault.withdraw(0, 1e18, address(0xCAFE));
        assertEq(tokens[0].balanceOf(address(0xCAFE)), 1e18, "emergency exit");
    }

    function test_RevertWithdraw_WhenMoreThanHeld() public {
        uint256 held = assetSpecs[2].balance;
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.InsufficientHolding.selector, 2, held, held + 1));
        vault.withdraw(2, held + 1, address(this));
    }

    function test_RevertOwnerFunctions_WhenNotOwner() public {
        bytes memory notOwner = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, agent);
        vm.startPrank(agent);
        vm.expectRevert(notOwner);
        vault.deposit(0, 1);
        vm.expectRevert(notOwner);
        vault.withdraw(0, 1, agent);
        vm.stopPrank();
        // Governance has no access to the funds either.
        bytes memory notOwnerTimelock =
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(timelock));
        vm.startPrank(address(timelock));
        vm.expectRevert(notOwnerTimelock);
        vault.deposit(0, 1);
        vm.expectRevert(notOwnerTimelock);
        vault.withdraw(0, 1, address(timelock));
        vm.stopPrank();
    }

    function test_SetDebt_ChangesTheStatementAndEmits() public {
        vm.expectEmit(true, true, true, true, address(vault));
        emit DebtSet(4, assetSpecs[4].debt, 123e18);
        vm.prank(address(timelock));
        vault.setDebt(4, 123e18);
        assertEq(vault.asset(4).debt, 123e18, "debt");
        uint256[] memory inputs = vault.publicInputs(agent, trade, deadline);
        uint256 price = uint256(assetSpecs[4].price);
        assertEq(_valueField(inputs, 8 + 4), Math.mulDiv(123e18, price, 1e18, Math.Rounding.Ceil), "debt in USD");
    }

    function test_SetVenueAndGuardian_Emit() public {
        MockVenue other = new MockVenue();
        vm.expectEmit(true, true, true, true, address(vault));
        emit VenueUpdated(address(venue), address(other));
        vm.prank(address(timelock));
        vault.setVenue(other);
        assertEq(address(vault.venue()), address(other), "venue");
        vm.expectEmit(true, true, true, true, address(vault));
        emit GuardianUpdated(guardian, stranger);
        vm.prank(address(timelock));
        vault.setGuardian(stranger);
        assertEq(vault.guardian(), stranger, "guardian");
        vm.expectRevert(IVaultErrors.ZeroAddress.selector);
        vm.prank(address(timelock));
        vault.setVenue(MockVenue(address(0)));
    }

    function test_Asset_ReportsConfigurationAndPosition() public view {
        IProofGateVault.AssetView memory a = vault.asset(2);
        assertEq(address(a.token), address(tokens[2]), "token");
        assertEq(address(a.feed), address(feeds[2]), "feed");
        assertEq(uint256(a.heartbeat), HEARTBEAT, "heartbeat");
        assertEq(uint256(a.tokenDecimals), assetSpecs[2].decimals, "token decimals");
        assertEq(uint256(a.feedDecimals), FEED_DECIMALS, "feed decimals");
        assertEq(a.holding, assetSpecs[2].balance, "holding");
        assertEq(a.debt, assetSpecs[2].debt, "debt");
        assertEq(vault.ASSET_COUNT(), 8, "asset count");
        assertEq(uint256(vault.assetsRegistered()), 8, "registered");
        assertEq(vault.MAX_ASSETS(), PublicInputs.MAX_ASSETS, "max assets");
    }

    function test_RevertAsset_WhenUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnknownAsset.selector, 8));
        vault.asset(8);
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnknownAsset.selector, 9));
        vm.prank(address(timelock));
        vault.setDebt(9, 1);
    }

    // ---------------------------------------------------------------- construction and registration

    function test_RevertConstructor_WhenArgumentsInvalid() public {
        vm.expectRevert(IVaultErrors.ZeroAddress.selector);
        new ProofGateVault(address(this), address(this), guardian, registry, IRiskVerifier(address(0)), 8);
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.UnsupportedAssetCount.selector, 17));
        new ProofGateVault(address(this), address(this), guardian, registry, verifier, 17);
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.UnsupportedAssetCount.selector, 1));
        new ProofGateVault(address(this), address(this), guardian, registry, verifier, 1);
        // The verifier has 8 inputs: the layout for 4 assets has 6.
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.VerifierInputCountMismatch.selector, 8, 6));
        new ProofGateVault(address(this), address(this), guardian, registry, verifier, 4);
    }

    function test_AddAsset_RegistersInOrderAndRefusesDuplicatesAndExtras() public {
        ProofGateVault two =
            new ProofGateVault(address(this), address(this), guardian, registry, new MockVerifier(5), 2);
        vm.expectEmit(true, true, true, true, address(two));
        emit AssetAdded(0, address(tokens[0]), address(feeds[0]), 3600, 18, 8);
        assertEq(two.addAsset(tokens[0], feeds[0], 3600), 0, "index 0");

        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AssetAlreadyRegistered.selector, address(tokens[0])));
        two.addAsset(tokens[0], feeds[1], 3600);
        vm.expectRevert(IVaultErrors.InvalidHeartbeat.selector);
        two.addAsset(tokens[1], feeds[1], 0);
        vm.expectRevert(IVaultErrors.ZeroAddress.selector);
        two.addAsset(tokens[1], AggregatorV3Interface(address(0)), 3600);
        MockERC20 wide = new MockERC20("W", "W", 37);
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.UnsupportedDecimals.selector, 37));
        two.addAsset(wide, feeds[1], 3600);

        // Trading needs every asset.
        two.setVenue(venue);
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AssetsNotConfigured.selector, 1, 2));
        two.publicInputs(agent, IProofGateVault.Trade(0, 1, 1, 1), deadline);

        assertEq(two.addAsset(tokens[1], feeds[1], 3600), 1, "index 1");
        vm.expectRevert(abi.encodeWithSelector(IVaultErrors.AllAssetsRegistered.selector, 2));
        two.addAsset(tokens[2], feeds[2], 3600);
        assertEq(address(two.venue()), address(venue), "venue kept across table rewrites");
        assertEq(address(two.asset(0).token), address(tokens[0]), "asset 0 kept");
    }
}
