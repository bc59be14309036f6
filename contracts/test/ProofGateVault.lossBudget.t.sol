// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IProofGateVault, IVaultErrors, IVaultEvents} from "../src/interfaces/IProofGateVault.sol";
import {MockVenue} from "./mocks/MockVenue.sol";
import {MockVerifierBase} from "./utils/ProofGateBase.sol";

/// @notice The vault's loss budget on the scenario's vault and real Uniswap V2 (mock verifier): each trade's
///         shortfall (its sold value less the value of what the vault received, at the statement's prices) is
///         charged to the agent's token bucket, packed with its nonce; the bucket refills linearly over the window;
///         a trade that would overdraw it reverts with LossBudgetExceeded and its exact data, nothing changed; the
///         guardian zeroes a budget at once; an agent without a budget trades only without a shortfall.
contract ProofGateVaultLossBudgetTest is MockVerifierBase, IVaultEvents {
    IProofGateVault.Trade internal trade;

    function setUp() public {
        _setUpSystem();
        trade = tradeSpecs[0].trade; // sell 10.5 WETH for USDC
    }

    /// @dev Value field `i` of packed public inputs.
    function _field(uint256[] memory inputs, uint256 i) internal pure returns (uint256) {
        return (inputs[i / 4] >> (63 * (i % 4))) & ((1 << 63) - 1);
    }

    /// @dev The bucket's capacity for `who` at `budgetBps` now (the statement's net asset value), `t`'s sold value,
    ///      and its shortfall if the vault receives `received`.
    function _charge(address who, IProofGateVault.Trade memory t, uint256 received, uint256 budgetBps)
        internal
        view
        returns (uint256 capacity, uint256 shortfall)
    {
        uint256[] memory inputs = vault.publicInputs(who, t, deadline);
        uint256 nav;
        for (uint256 k = 0; k < 8; ++k) {
            nav += _field(inputs, k);
        }
        for (uint256 k = 0; k < 8; ++k) {
            nav -= _field(inputs, 8 + k);
        }
        capacity = nav * budgetBps / 10_000;
        uint256 valueReceived =
            Math.mulDiv(received, uint256(assetSpecs[t.buyAsset].price), 10 ** assetSpecs[t.buyAsset].decimals);
        uint256 valueIn = _field(inputs, 16);
        shortfall = valueIn > valueReceived ? valueIn - valueReceived : 0;
    }

    function _quote(IProofGateVault.Trade memory t) internal view returns (uint256) {
        return venue.quote(tokens[t.sellAsset], tokens[t.buyAsset], t.amountIn);
    }

    function _execute(address who, IProofGateVault.Trade memory t, uint256 seed) internal {
        uint256[8] memory proof = _acceptedProof(who, t, seed);
        vm.prank(who);
        vault.executeTrade(t, deadline, proof);
    }

    function _assertRefusedWith(address who, IProofGateVault.Trade memory t, uint256 seed, bytes memory err) internal {
        uint256[8] memory proof = _acceptedProof(who, t, seed);
        State memory before = _state();
        vm.expectRevert(err);
        vm.prank(who);
        vault.executeTrade(t, deadline, proof);
        _assertUnchanged(before);
    }

    /// @dev A venue that pays `amount` of the bought token for the trade (at the oracle price or better: no
    ///      shortfall).
    function _generousVenue(IProofGateVault.Trade memory t, uint256 amount) internal {
        MockVenue mock = new MockVenue();
        tokens[t.buyAsset].mint(address(mock), amount);
        mock.setBonus(amount - t.amountOut);
        vm.prank(address(timelock));
        vault.setVenue(mock);
    }

    // ---------------------------------------------------------------- charging

    function test_LossBucket_ChargesTheShortfall_PackedWithTheNonce() public {
        uint256 received = _quote(trade);
        (, uint256 shortfall) = _charge(agent, trade, received, LOSS_BUDGET_BPS);
        assertTrue(shortfall > 0, "the pool's fee and impact");
        (uint256 spent, uint64 updatedAt) = vault.lossBucket(agent);
        assertEq(spent, 0, "empty before the first trade");
        assertEq(uint256(updatedAt), 0, "never traded");
        _execute(agent, trade, 1);
        (spent, updatedAt) = vault.lossBucket(agent);
        assertEq(spent, shortfall, "charged");
        assertEq(uint256(updatedAt), block.timestamp, "updated");
        assertEq(vault.nonces(agent), 1, "the nonce beside it");
        (spent,) = vault.lossBucket(otherAgent);
        assertEq(spent, 0, "per agent");
    }

    function test_LossBucket_RefillsLinearlyOverTheWindow() public {
        uint256 received = _quote(trade);
        (, uint256 first) = _charge(agent, trade, received, LOSS_BUDGET_BPS);
        _execute(agent, trade, 1);
        // A minute later, the same trade on the moved pool.
        vm.warp(block.timestamp + 1 minutes);
        IProofGateVault.Trade memory again = tradeSpecs[3].trade;
        (uint256 capacity, uint256 second) = _charge(agent, again, _quote(again), LOSS_BUDGET_BPS);
        uint256 refill = capacity * 1 minutes / LOSS_WINDOW;

        assertTrue(refill < first, "a partial refill (the test's premise)");
        _execute(agent, again, 2);
        (uint256 spent,) = vault.lossBucket(agent);
        assertEq(spent, first - refill + second, "spent - capacity * elapsed / window + shortfall");
        // After a whole window the bucket is empty again: a trade without a shortfall leaves it at 0.
        vm.warp(block.timestamp + LOSS_WINDOW);
        for (uint256 i = 0; i < feeds.length; ++i) {
            feeds[i].submit(assetSpecs[i].price);
        }
        deadline = block.timestamp + 600;
        IProofGateVault.Trade memory fair = IProofGateVault.Trade(1, 0, 30_000e6, 9e18);
        _generousVenue(fair, 10e18); // 10 WETH for 30,000 USDC: more than the oracle's value
        _execute(agent, fair, 3);
        (spent,) = vault.lossBucket(agent);
        assertEq(spent, 0, "refilled");
    }

    function test_RevertExecute_WhenTheShortfallExceedsWhatIsLeft() public {
        // 1 bp of NAV (about 780 USD): the first trade (about 110 USD short) fits; the second, eight times its size
        // (about 4 % of price impact, several thousand USD short), does not.
        _govern(abi.encodeCall(registry.setLossBudget, (address(vault), agent, 1, LOSS_WINDOW)));
        _execute(agent, trade, 1);
        IProofGateVault.Trade memory again = tradeSpecs[3].trade;
        again.amountIn *= 8;
        again.amountOut = 1;
        (uint256 capacity, uint256 shortfall) = _charge(agent, again, _quote(again), 1);
        (uint256 spent,) = vault.lossBucket(agent);
        // Same block: no refill.
        assertTrue(spent <= capacity && spent + shortfall > capacity, "the second does not fit (the test's premise)");
        _assertRefusedWith(
            agent,
            again,
            2,
            abi.encodeWithSelector(IVaultErrors.LossBudgetExceeded.selector, agent, shortfall, capacity - spent)
        );
        // A block later the refill (capacity · 12 s / 1 day) is far too little: still refused, with the new figures.
        vm.warp(block.timestamp + 12);
        uint256 refill = capacity * 12 / LOSS_WINDOW;
        _assertRefusedWith(
            agent,
            again,
            3,
            abi.encodeWithSelector(
                IVaultErrors.LossBudgetExceeded.selector, agent, shortfall, capacity - (spent - refill)
            )
        );
    }

    function test_TradeWithoutShortfall_PassesEvenWithNoBudget() public {
        _govern(abi.encodeCall(registry.setLossBudget, (address(vault), agent, 0, LOSS_WINDOW)));
        IProofGateVault.Trade memory fair = IProofGateVault.Trade(1, 0, 30_000e6, 9e18);
        _generousVenue(fair, 10e18);
        (, uint256 shortfall) = _charge(agent, fair, 10e18, 0);
        assertEq(shortfall, 0, "no shortfall");
        _execute(agent, fair, 1);
        (uint256 spent,) = vault.lossBucket(agent);
        assertEq(spent, 0, "nothing charged");
    }

    // ---------------------------------------------------------------- guardian and new agents

    /// @dev The guardian zeroes the agent's budget at once (no timelock): its next trade with a shortfall reverts,
    ///      with nothing changed; a trade without one still goes through; governance restores the budget.
    function test_Guardian_ZeroesTheBudgetAtOnce_NextTradeWithAShortfallReverts() public {
        _execute(agent, trade, 1);
        vm.prank(guardian);
        registry.revokeLossBudget(address(vault), agent);
        IProofGateVault.Trade memory again = tradeSpecs[3].trade;
        (, uint256 shortfall) = _charge(agent, again, _quote(again), 0);
        assertTrue(shortfall > 0, "the pool's fee and impact");
        _assertRefusedWith(
            agent, again, 2, abi.encodeWithSelector(IVaultErrors.LossBudgetExceeded.selector, agent, shortfall, 0)
        );
        // The other agent's budget is its own.
        _execute(otherAgent, again, 3);
        // Governance restores it (through the timelock); the trade then fits.
        _govern(abi.encodeCall(registry.setLossBudget, (address(vault), agent, LOSS_BUDGET_BPS, LOSS_WINDOW)));
        IProofGateVault.Trade memory third = tradeSpecs[3].trade;
        third.amountOut = 1;
        _execute(agent, third, 4);
        assertEq(vault.nonces(agent), 2, "traded again");
    }

    function test_NewAgent_HasNoBudget_UntilGovernanceSetsOne() public {
        address newcomer = address(0x4E3C);
        _govern(abi.encodeCall(registry.registerAgent, (address(vault), newcomer, modelCommitment, paramsCommitment)));
        _watch(newcomer);
        (, uint256 shortfall) = _charge(newcomer, trade, _quote(trade), 0);
        _assertRefusedWith(
            newcomer, trade, 1, abi.encodeWithSelector(IVaultErrors.LossBudgetExceeded.selector, newcomer, shortfall, 0)
        );
        _govern(abi.encodeCall(registry.setLossBudget, (address(vault), newcomer, 50, 1 days)));
        _execute(newcomer, trade, 2);
        (uint256 spent,) = vault.lossBucket(newcomer);
        assertEq(spent, shortfall, "charged once it has a budget");
    }
}
