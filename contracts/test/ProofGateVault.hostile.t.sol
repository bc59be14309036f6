// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {IUniswapV2Pair} from "../src/venues/IUniswapV2.sol";
import {IUniswapV2VenueErrors} from "../src/venues/UniswapV2Venue.sol";
import {HostileAgent} from "./mocks/HostileAgent.sol";
import {SlippageVerifierBase} from "./utils/ProofGateBase.sol";
import {console} from "./utils/console.sol";

/// @notice A hostile agent that is a contract, on the scenario's real Uniswap V2 pairs, against a vault whose
///         verifier admits exactly the trades within the circuit's price bound (`max_slippage_bps` = 1 %; the
///         {SlippageVerifier} stand-in). It asks for one unit, sandwiches its own trade inside a flash swap, and
///         churns trades at the bound: the bound refuses the first, the venue's minimum or the bound caps the
///         second, and the loss budget stops the third within `budget · (1 + T / window)`.
contract ProofGateVaultHostileTest is SlippageVerifierBase {
    /// @dev Uniswap V2's output for an input (the venue's and the pair's formula).
    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        uint256 withFee = amountIn * 997;
        return (withFee * reserveOut) / (reserveIn * 1000 + withFee);
    }

    HostileAgent internal hostile;

    function setUp() public {
        _setUpSystem();
        hostile = new HostileAgent(vault);
        vm.label(address(hostile), "HostileAgent");
        _govern(
            abi.encodeCall(
                registry.registerAgent, (address(vault), address(hostile), modelCommitment, paramsCommitment)
            )
        );
        _govern(
            abi.encodeCall(registry.setLossBudget, (address(vault), address(hostile), LOSS_BUDGET_BPS, LOSS_WINDOW))
        );
        _watch(address(hostile));
    }

    // ---------------------------------------------------------------- (a) one unit out

    /// @dev (a) On every real pair, both ways: handing a tenth of a holding away for one unit is refused (the price
    ///      bound), with nothing changed; the same trade at the bound passes the vault's check.
    function test_RevertExecute_WhenAHostileAgentAsksForOneUnit_OnEveryRealPair() public {
        uint256[8] memory proof;
        for (uint256 p = 0; p < pairSpecs.length; ++p) {
            for (uint256 d = 0; d < 2; ++d) {
                (uint8 sell, uint8 buy) = d == 0 ? (pairSpecs[p].a, pairSpecs[p].b) : (pairSpecs[p].b, pairSpecs[p].a);
                IProofGateVault.Trade memory t = IProofGateVault.Trade(sell, buy, assetSpecs[sell].balance / 10, 1);
                State memory before = _state();
                vm.expectRevert(abi.encodeWithSelector(IVaultErrors.InvalidProof.selector));
                hostile.trade(t, deadline, proof);
                _assertUnchanged(before);
                // The venue would give the pool's whole quote: only the bound stands between the agent and a trade
                // at the pool's price; what the bound admits is the pool price within 1 % of the oracle.
                t.amountOut = _minimumAtTheBound(address(hostile), t);
                assertTrue(vault.checkTrade(address(hostile), t, deadline, proof), "the same trade at the bound");
            }
        }
    }

    // ---------------------------------------------------------------- (b) flash-swap sandwich

    /// @dev The hostile agent's trade: sell 10 WETH for USDC at the worst price the bound admits.
    function _victimTrade() internal view returns (IProofGateVault.Trade memory t) {
        t = IProofGateVault.Trade(0, 1, 10e18, 0);
        t.amountOut = _minimumAtTheBound(address(hostile), t);
    }

    /// @dev What the vault receives for `amountIn` WETH after a front-run selling `push` WETH into pair 0.
    function _victimOutput(uint256 push, uint256 amountIn) internal view returns (uint256) {
        (uint256 reserveWeth, uint256 reserveUsdc) = _wethUsdcReserves();
        uint256 frontOut = _amountOut(push, reserveWeth, reserveUsdc);
        return _amountOut(amountIn, reserveWeth + push, reserveUsdc - frontOut);
    }

    function _wethUsdcReserves() internal view returns (uint256 reserveWeth, uint256 reserveUsdc) {
        (uint112 r0, uint112 r1,) = pairs[0].getReserves();
        (reserveWeth, reserveUsdc) = pairs[0].token0() == address(tokens[0]) ? (r0, r1) : (r1, r0);
    }

    /// @dev The largest front-run (WETH sold into pair 0) after which the vault still receives `amountOut`.
    function _largestPush(IProofGateVault.Trade memory t) internal view returns (uint256 lo) {
        uint256 hi = 500e18;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (_victimOutput(mid, t.amountIn) >= t.amountOut) lo = mid;
            else hi = mid - 1;
        }
    }

    /// @dev A sandwich of `t` pushing `push` WETH, flash-borrowed from the LINK/WETH pair (pair 2).
    function _sandwich(IProofGateVault.Trade memory t, uint256 push)
        internal
        view
        returns (HostileAgent.Sandwich memory)
    {
        return HostileAgent.Sandwich({
            lender: pairs[2],
            target: pairs[0],
            pushToken: IERC20(address(tokens[0])),
            otherToken: IERC20(address(tokens[1])),
            borrowAmount: push,
            trade: t,
            deadline: deadline
        });
    }

    /// @dev The hostile agent's holdings at the feeds' prices (WETH and USDC, the only tokens it touches).
    function _hostileValue() internal view returns (uint256) {
        return Math.mulDiv(tokens[0].balanceOf(address(hostile)), uint256(assetSpecs[0].price), 1e18)
            + Math.mulDiv(tokens[1].balanceOf(address(hostile)), uint256(assetSpecs[1].price), 1e6);
    }

    /// @dev (b) A front-run that pushes the pool past the proven minimum makes the whole bundle revert (the venue's
    ///      minimum, bubbled up through the vault and the flash swap), with nothing changed.
    function test_RevertSandwich_WhenThePushBreaksTheProvenMinimum() public {
        IProofGateVault.Trade memory t = _victimTrade();
        uint256 push = _largestPush(t) + 1e18;
        uint256 victimOut = _victimOutput(push, t.amountIn);
        assertTrue(victimOut < t.amountOut, "the push breaks the minimum");
        tokens[0].mint(address(hostile), 10e18); // for the flash swap's fee
        State memory before = _state();
        vm.expectRevert(
            abi.encodeWithSelector(IUniswapV2VenueErrors.InsufficientOutput.selector, victimOut, t.amountOut)
        );
        hostile.sandwich(_sandwich(t, push));
        _assertUnchanged(before);
    }

    /// @dev (b) The largest push the proven minimum lets through: the trade executes, and the vault's loss at its
    ///      oracle prices is at most the slippage bound of the sold value (valueIn · max_slippage_bps / 10^4), all of
    ///      it charged to the agent's loss budget.
    function test_Sandwich_CostsTheVaultAtMostTheSlippageBound_WhenItGoesThrough() public {
        IProofGateVault.Trade memory t = _victimTrade();
        uint256 push = _largestPush(t);
        assertTrue(push > 0, "some push fits under the bound");
        uint256 valueIn = _valueOf(vault.publicInputs(address(hostile), t, deadline), 16);
        tokens[0].mint(address(hostile), 10e18); // for the flash swap's fee
        uint256 navBefore = _netAssetValue();
        uint256 hostileBefore = _hostileValue();

        hostile.sandwich(_sandwich(t, push));

        uint256 loss = navBefore - _netAssetValue();
        assertEq(vault.nonces(address(hostile)), 1, "the trade executed");
        assertTrue(loss * 10_000 <= valueIn * MAX_SLIPPAGE_BPS, "vault's loss within the slippage bound");
        (uint256 spent,) = vault.lossBucket(address(hostile));
        assertTrue(spent >= loss, "the whole loss is charged to the agent's budget");
        uint256 hostileAfter = _hostileValue();
        console.log("sandwich: pushed WETH (1e18)", push);
        console.log("sandwich: vault loss at oracle prices (USD 1e8)", loss);
        console.log("sandwich: slippage bound on it (USD 1e8)", valueIn * MAX_SLIPPAGE_BPS / 10_000);
        console.log(
            "sandwich: attacker gain at oracle prices (USD 1e8, 0 if none)",
            hostileAfter > hostileBefore ? hostileAfter - hostileBefore : 0
        );
    }

    // ---------------------------------------------------------------- (c) churning at the bound

    /// @dev The next churn trade: sell ~12 WETH or ~36,000 USDC back, at the pool's whole quote (its shortfall is
    ///      the pool's fee and price impact, about 0.9 %: just inside the 1 % bound).
    function _churnTrade(uint256 i) internal view returns (IProofGateVault.Trade memory t, uint256 quote) {
        t = i % 2 == 0 ? IProofGateVault.Trade(0, 1, 12e18, 0) : IProofGateVault.Trade(1, 0, 36_000e6, 0);
        quote = venue.quote(tokens[t.sellAsset], tokens[t.buyAsset], t.amountIn);
        t.amountOut = _minimumAtTheBound(address(hostile), t);
        assertTrue(quote >= t.amountOut, "the pool's quote is within the bound");
    }

    /// @dev The bucket's expected state before a trade: capacity from the statement's net asset value, spent after
    ///      the refill; and the trade's shortfall at the statement's prices.
    function _expectedCharge(IProofGateVault.Trade memory t, uint256 quote, uint16 budgetBps)
        internal
        view
        returns (uint256 capacity, uint256 available, uint256 shortfall)
    {
        uint256[] memory inputs = vault.publicInputs(address(hostile), t, block.timestamp + 60);
        uint256 nav;
        for (uint256 k = 0; k < 8; ++k) {
            nav += _valueOf(inputs, k);
        }
        for (uint256 k = 0; k < 8; ++k) {
            nav -= _valueOf(inputs, 8 + k);
        }
        capacity = nav * budgetBps / 10_000;
        (uint256 spent, uint64 updatedAt) = vault.lossBucket(address(hostile));
        uint256 refill = capacity * (block.timestamp - updatedAt) / LOSS_WINDOW;
        spent = spent > refill ? spent - refill : 0;
        available = capacity > spent ? capacity - spent : 0;
        uint256 received =
            Math.mulDiv(quote, uint256(assetSpecs[t.buyAsset].price), 10 ** assetSpecs[t.buyAsset].decimals);
        uint256 valueIn = _valueOf(inputs, 16);
        shortfall = valueIn > received ? valueIn - received : 0;
    }

    /// @dev (c) Round trips at the bound, one a block: every one is proven (within 1 %) and loses the pool's fee and
    ///      impact. The loss budget (10 bps of NAV a day) stops them with LossBudgetExceeded and its exact data,
    ///      nothing changed by the refused trade, and the vault's loss at fixed oracle prices over the whole run is
    ///      within the bucket's bound `capacity · (1 + T / window)`.
    function test_Churn_StopsAtTheLossBudget_AndTheLossStaysWithinTheBucketsBound() public {
        uint16 budgetBps = 10;
        _govern(abi.encodeCall(registry.setLossBudget, (address(vault), address(hostile), budgetBps, LOSS_WINDOW)));
        uint256 start = block.timestamp;
        uint256 navStart = _netAssetValue();
        uint256 capacityStart = navStart * budgetBps / 10_000;
        uint256[8] memory proof;
        uint256 executed;
        bool stopped;
        for (uint256 i = 0; i < 200 && !stopped; ++i) {
            vm.warp(block.timestamp + 12);
            (IProofGateVault.Trade memory t, uint256 quote) = _churnTrade(i);
            (, uint256 available, uint256 shortfall) = _expectedCharge(t, quote, budgetBps);
            if (shortfall > available) {
                State memory before = _state();
                vm.expectRevert(
                    abi.encodeWithSelector(
                        IVaultErrors.LossBudgetExceeded.selector, address(hostile), shortfall, available
                    )
                );
                hostile.trade(t, block.timestamp + 60, proof);
                _assertUnchanged(before);
                stopped = true;
            } else {
                hostile.trade(t, block.timestamp + 60, proof);
                ++executed;
            }
        }
        assertTrue(stopped, "the loss budget stopped the churn");
        uint256 elapsed = block.timestamp - start;
        uint256 loss = navStart - _netAssetValue();
        uint256 bound = capacityStart + capacityStart * elapsed / LOSS_WINDOW;
        assertTrue(loss <= bound, "loss within budget * (1 + T / window)");
        assertTrue(loss * 2 > capacityStart, "the churn used most of the budget before it stopped");
        console.log("churn: trades executed", executed);
        console.log("churn: seconds", elapsed);
        console.log("churn: vault loss at oracle prices (USD 1e8)", loss);
        console.log("churn: bound budget * (1 + T / window) (USD 1e8)", bound);
    }
}
