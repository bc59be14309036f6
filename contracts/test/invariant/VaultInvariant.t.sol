// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofGateVault} from "../../src/ProofGateVault.sol";
import {PriceFeed} from "../../src/feeds/PriceFeed.sol";
import {ProofGateRegistry} from "../../src/governance/ProofGateRegistry.sol";
import {IProofGateVault, IVaultEvents} from "../../src/interfaces/IProofGateVault.sol";
import {UniswapV2Venue} from "../../src/venues/UniswapV2Venue.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {MockVerifier} from "../mocks/MockVerifier.sol";
import {MockVerifierBase, RealVerifierBase} from "../utils/ProofGateBase.sol";
import {VM_ADDRESS, Vm} from "../utils/Vm.sol";

/// @notice Drives the vault with everything but a valid proof of the exact trade: agents (and strangers) submitting
///         garbage proofs, genuine fixture proofs for the wrong trade, agent, vault or chain, while the owner
///         deposits, anyone donates, prices move and time passes. It counts every trade that went through.
/// @dev What both handlers do besides their own calls: the owner deposits, anyone donates, a feed moves.
abstract contract VaultActions {
    Vm internal constant vm = Vm(VM_ADDRESS);

    ProofGateVault internal immutable vault;
    /// @dev The vault's owner, who also owns the feeds.
    address internal immutable owner;
    MockERC20[] internal tokens;
    PriceFeed[] internal feeds;

    constructor(ProofGateVault vault_, address owner_, MockERC20[] memory tokens_, PriceFeed[] memory feeds_) {
        (vault, owner) = (vault_, owner_);
        for (uint256 i = 0; i < tokens_.length; ++i) {
            tokens.push(tokens_[i]);
            feeds.push(feeds_[i]);
        }
    }

    /// @notice A feed moves (by up to ±10 %).
    function movePrice(uint256 asset, uint256 bps) external {
        asset %= feeds.length;
        (, int256 answer,,,) = feeds[asset].latestRoundData();
        // casting to 'int256' is safe because bps % 2001 < 2001
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 change = answer * (int256(bps % 2001) - 1000) / 10_000;
        vm.prank(owner);
        feeds[asset].submit(answer + change);
    }

    /// @dev The owner deposits some of an asset (both fuzzed values bounded); returns the asset and amount used.
    function _deposit(uint256 assetSeed, uint256 amountSeed) internal returns (uint256 asset, uint256 amount) {
        (asset, amount) = (assetSeed % tokens.length, amountSeed % 1e21 + 1);
        tokens[asset].mint(owner, amount);
        vm.startPrank(owner);
        tokens[asset].approve(address(vault), amount);
        vault.deposit(asset, amount);
        vm.stopPrank();
    }

    /// @dev Anyone sends some of an asset to the vault directly; returns the asset and amount used.
    function _donate(uint256 assetSeed, uint256 amountSeed) internal returns (uint256 asset, uint256 amount) {
        (asset, amount) = (assetSeed % tokens.length, amountSeed % 1e21 + 1);
        tokens[asset].mint(address(vault), amount);
    }
}

contract VaultHandler is VaultActions {
    uint256 internal constant TX_GAS_LIMIT = 1_500_000;

    address internal immutable agent;
    address internal immutable otherAgent;
    uint256 internal immutable deadline;

    /// @dev Genuine fixture proofs and the trade each proves, and whether it is valid for `agent` as fixtured.
    uint256[8][] internal proofs;
    IProofGateVault.Trade[] internal trades;
    bool[] internal validForAgent;

    /// @notice Trades that went through (must stay 0).
    uint256 public executed;
    /// @notice Attempts made.
    uint256 public attempts;
    /// @notice Token units the owner deposited, per asset.
    mapping(uint256 asset => uint256) public deposited;
    /// @notice Token units sent to the vault directly, per asset.
    mapping(uint256 asset => uint256) public donated;

    constructor(
        ProofGateVault vault_,
        address owner_,
        address agent_,
        address otherAgent_,
        uint256 deadline_,
        MockERC20[] memory tokens_,
        PriceFeed[] memory feeds_
    ) VaultActions(vault_, owner_, tokens_, feeds_) {
        (agent, otherAgent, deadline) = (agent_, otherAgent_, deadline_);
    }

    /// @notice Adds a genuine proof of `trade` (set-up only).
    function addProof(uint256[8] calldata proof, IProofGateVault.Trade calldata trade, bool valid) external {
        proofs.push(proof);
        trades.push(trade);
        validForAgent.push(valid);
    }

    function _submit(address who, IProofGateVault.Trade memory trade, uint256 dl, uint256[8] memory proof) internal {
        ++attempts;
        vm.prank(who);
        try vault.executeTrade{gas: TX_GAS_LIMIT}(trade, dl, proof) {
            ++executed;
        } catch {}
    }

    function _who(uint256 seed) internal view returns (address) {
        uint256 pick = seed % 3;
        return pick == 0 ? agent : pick == 1 ? otherAgent : address(uint160(uint256(keccak256(abi.encode(seed)))));
    }

    /// @notice A random trade with a random proof, by a random caller.
    function submitGarbage(
        uint256 seed,
        uint8 sell,
        uint8 buy,
        uint256 amountIn,
        uint256 amountOut,
        uint256[8] memory proof
    ) external {
        IProofGateVault.Trade memory trade = IProofGateVault.Trade(sell % 9, buy % 9, amountIn % 1e24, amountOut % 1e24);
        _submit(_who(seed), trade, deadline, proof);
    }

    /// @notice A genuine fixture proof, for a perturbed trade, or by the wrong caller, or with a wrong deadline.
    function submitGenuineProofOfSomethingElse(uint256 which, uint256 how, uint256 amount) external {
        if (proofs.length == 0) return;
        uint256 i = which % proofs.length;
        IProofGateVault.Trade memory trade = trades[i];
        uint256 dl = deadline;
        address who = agent;
        uint256 mode = how % 5;
        if (mode == 0) {
            trade.amountOut += trade.amountOut / 1000 + amount % 1e18; // 0.1 % more: a different USD value
        } else if (mode == 1) {
            trade.amountIn = trade.amountIn / 2 + 1;
        } else if (mode == 2) {
            (trade.sellAsset, trade.buyAsset) = (trade.buyAsset, trade.sellAsset);
        } else if (mode == 3) {
            dl = deadline - 1 - amount % 100;
        } else {
            who = address(uint160(uint256(keccak256(abi.encode(amount)))) | 1);
        }
        _submit(who, trade, dl, proofs[i]);
        // Proofs fixtured as invalid for the agent (another vault, agent, chain or model), unperturbed.
        if (!validForAgent[i]) _submit(agent, trades[i], deadline, proofs[i]);
    }

    /// @notice The owner deposits.
    function deposit(uint256 assetSeed, uint256 amountSeed) external {
        (uint256 asset, uint256 amount) = _deposit(assetSeed, amountSeed);
        deposited[asset] += amount;
    }

    /// @notice Anyone sends tokens to the vault directly.
    function donate(uint256 assetSeed, uint256 amountSeed) external {
        (uint256 asset, uint256 amount) = _donate(assetSeed, amountSeed);
        donated[asset] += amount;
    }

    /// @notice Time passes (up to 20 minutes; the deadline stays ahead for a while).
    function warp(uint256 secondsLater) external {
        vm.warp(block.timestamp + secondsLater % 1200);
    }
}

/// @notice No sequence of agent calls without a valid proof of the exact trade moves any asset: every vault balance
///         and holding is what the owner deposited (plus donations, for balances), the pools are untouched, no nonce
///         was consumed, and no trade went through. Runs with the generated verifier and the fixture proofs.
contract VaultInvariantTest is RealVerifierBase {
    VaultHandler internal handler;
    uint256[] internal initialBalances;
    uint256[] internal initialHoldings;
    uint256[] internal initialReserves;

    function setUp() public {
        if (!_setUpWithFixtures()) return;
        handler = new VaultHandler(vault, address(this), agent, otherAgent, deadline, tokens, feeds);
        string[7] memory names = [
            "valid_sell_weth_buy_usdc",
            "valid_sell_usdc_buy_wbtc",
            "valid_sell_link_buy_weth",
            "uncertified_model",
            "other_vault",
            "other_agent",
            "other_chain"
        ];
        for (uint256 i = 0; i < names.length; ++i) {
            ProofCase memory c = _proofCase(names[i]);
            string memory tradeName = vm.parseJsonString(proofsJson, string.concat(_caseKey(names[i]), ".trade"));
            handler.addProof(c.proof, _tradeSpec(tradeName).trade, c.expectedValid);
        }
        State memory s = _state();
        (initialBalances, initialHoldings, initialReserves) = (s.vaultBalances, s.holdings, s.pairReserves);
        // The handler may prank this contract (the vault's owner and the feeds' owner).
    }

    /// @notice Forge's invariant fuzzer calls only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler's attempts are refused, and the system still trades with a valid proof afterwards (so the
    ///      invariants are not true merely because everything is broken).
    function test_Handler_AttemptsAreRefused_AndAValidProofStillExecutes() public {
        uint256[8] memory garbage;
        garbage[0] = 1;
        handler.submitGarbage(0, 0, 1, 1e18, 1e9, garbage);
        handler.submitGarbage(1, 0, 1, 1e18, 1e9, garbage);
        for (uint256 i = 0; i < 7; ++i) {
            for (uint256 how = 0; how < 5; ++how) {
                handler.submitGenuineProofOfSomethingElse(i, how, 12345);
            }
        }
        assertEq(handler.executed(), 0, "nothing executed");
        assertTrue(handler.attempts() >= 2 + 7 * 5 + 4 * 5, "attempts made");
        ProofCase memory c = _proofCase("valid_sell_weth_buy_usdc");
        vm.prank(agent);
        vault.executeTrade(_tradeSpec("valid_sell_weth_buy_usdc").trade, deadline, c.proof);
        assertEq(vault.nonces(agent), 1, "the valid proof executed");
    }

    function invariant_NoAssetMovesWithoutAValidProof() public view {
        State memory s = _state();
        for (uint256 k = 0; k < tokens.length; ++k) {
            uint256 expectedHolding = initialHoldings[k] + handler.deposited(k);
            assertEq(s.holdings[k], expectedHolding, _at("holding", k));
            assertEq(s.vaultBalances[k], expectedHolding + handler.donated(k), _at("vault balance", k));
        }
        for (uint256 i = 0; i < initialReserves.length; ++i) {
            assertEq(s.pairReserves[i], initialReserves[i], _at("pool reserve", i));
        }
    }

    function invariant_NoNonceConsumedAndNoTradeExecuted() public view {
        assertEq(vault.nonces(agent), 0, "agent nonce");
        assertEq(vault.nonces(otherAgent), 0, "other agent nonce");
        assertEq(handler.executed(), 0, "trades executed");
    }
}

/// @notice Drives the vault with trades that PASS (a mock verifier that accepts every proof, so the loss budget is
///         the only economic bound) on the real Uniswap V2 venue, by both agents, at any price from the pool's quote
///         down to 10 % below it, while the owner deposits and withdraws, anyone donates, prices move, time passes,
///         the guardian zeroes budgets and governance sets them and syncs holdings. It records, for each agent, the
///         bucket's capacity at the time of its last charge (a trade with a shortfall).
contract TradingHandler is VaultActions {
    uint256 internal constant BPS = 10_000;

    UniswapV2Venue internal immutable venue;
    ProofGateRegistry internal immutable registry;
    address internal immutable governance;
    address internal immutable guardian;
    address[2] internal agents;
    uint8[2][] internal pairAssets;

    /// @notice The capacity of each agent's bucket when its last shortfall was charged.
    mapping(address agent => uint256) public capacityAtLastCharge;
    /// @notice Trades that went through, and those that charged a shortfall.
    uint256 public executed;
    uint256 public charged;

    constructor(
        ProofGateVault vault_,
        UniswapV2Venue venue_,
        ProofGateRegistry registry_,
        address[5] memory roles, // owner, governance, guardian, agent, other agent
        MockERC20[] memory tokens_,
        PriceFeed[] memory feeds_,
        uint8[2][] memory pairAssets_
    ) VaultActions(vault_, roles[0], tokens_, feeds_) {
        (venue, registry) = (venue_, registry_);
        (governance, guardian) = (roles[1], roles[2]);
        agents = [roles[3], roles[4]];
        for (uint256 i = 0; i < pairAssets_.length; ++i) {
            pairAssets.push(pairAssets_[i]);
        }
    }

    /// @notice The agents (for the invariants).
    function agent(uint256 i) external view returns (address) {
        return agents[i];
    }

    /// @notice A trade on one of the pools, at the quote or up to 10 % below it, which the vault executes when the
    ///         agent's loss budget allows.
    function trade(uint256 who, uint256 pairSeed, bool forward, uint256 amountSeed, uint256 discountSeed) external {
        address agent_ = agents[who % 2];
        uint8[2] memory p = pairAssets[pairSeed % pairAssets.length];
        (uint8 sell, uint8 buy) = forward ? (p[0], p[1]) : (p[1], p[0]);
        uint256 holding = vault.asset(sell).holding;
        if (holding < 4) return;
        uint256 amountIn = amountSeed % (holding / 4) + 1;
        uint256 quote = venue.quote(tokens[sell], tokens[buy], amountIn);
        if (quote == 0) return;
        uint256 amountOut = quote - quote * (discountSeed % 1001) / BPS;
        if (amountOut == 0) amountOut = 1;
        _refreshFeeds();
        IProofGateVault.Trade memory t = IProofGateVault.Trade(sell, buy, amountIn, amountOut);
        uint256 deadline = block.timestamp + 60;
        uint256 capacity;
        try vault.publicInputs(agent_, t, deadline) returns (uint256[] memory inputs) {
            capacity = _capacity(agent_, inputs);
        } catch {
            return;
        }
        uint256[8] memory proof;
        vm.recordLogs();
        vm.prank(agent_);
        try vault.executeTrade(t, deadline, proof) {
            ++executed;
            uint256 shortfall = _shortfall(vm.getRecordedLogs());
            if (shortfall != 0) {
                ++charged;
                capacityAtLastCharge[agent_] = capacity;
            }
        } catch {}
    }

    /// @notice The owner deposits.
    function deposit(uint256 assetSeed, uint256 amountSeed) external {
        _deposit(assetSeed, amountSeed);
    }

    /// @notice The owner withdraws part of a holding.
    function withdraw(uint256 asset, uint256 amount) external {
        asset %= tokens.length;
        uint256 holding = vault.asset(asset).holding;
        if (holding == 0) return;
        vm.prank(owner);
        vault.withdraw(asset, amount % holding + 1, owner);
    }

    /// @notice Anyone sends tokens to the vault directly.
    function donate(uint256 assetSeed, uint256 amountSeed) external {
        _donate(assetSeed, amountSeed);
    }

    /// @notice Governance adopts an asset's balance as its holding.
    function syncHolding(uint256 asset) external {
        vm.prank(governance);
        vault.syncHolding(asset % tokens.length);
    }

    /// @notice Time passes (up to 6 hours).
    function warp(uint256 secondsLater) external {
        vm.warp(block.timestamp + secondsLater % 6 hours);
    }

    /// @notice The guardian zeroes an agent's budget.
    function revokeBudget(uint256 who) external {
        vm.prank(guardian);
        registry.revokeLossBudget(address(vault), agents[who % 2]);
    }

    /// @notice Governance sets an agent's budget (up to 5 % of NAV, a window of an hour to two days).
    function setBudget(uint256 who, uint16 budgetBps, uint32 window) external {
        vm.prank(governance);
        registry.setLossBudget(address(vault), agents[who % 2], budgetBps % 501, window % 2 days + 1 hours);
    }

    /// @dev Every feed re-submits its answer now (trades need fresh prices; time passes in the handler).
    function _refreshFeeds() internal {
        for (uint256 i = 0; i < feeds.length; ++i) {
            (, int256 answer,,,) = feeds[i].latestRoundData();
            vm.prank(owner);
            feeds[i].submit(answer);
        }
    }

    /// @dev The bucket's capacity for the statement `inputs`: NAV · the agent's budget / 10^4.
    function _capacity(address agent_, uint256[] memory inputs) internal view returns (uint256) {
        uint256 holdings;
        uint256 debts;
        for (uint256 k = 0; k < tokens.length; ++k) {
            holdings += _field(inputs, k);
            debts += _field(inputs, tokens.length + k);
        }
        (,,,,,,, uint16 budgetBps,,) = registry.tradingStatus(address(vault), agent_);
        return (holdings > debts ? holdings - debts : 0) * budgetBps / BPS;
    }

    /// @dev The shortfall of the vault's TradeExecuted in `logs` (its last data word).
    function _shortfall(Vm.Log[] memory logs) internal view returns (uint256 shortfall) {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(vault) && logs[i].topics[0] == IVaultEvents.TradeExecuted.selector) {
                (,,,,,,,, shortfall) = abi.decode(
                    logs[i].data, (uint256, uint8, uint8, uint256, uint256, uint256, uint256, uint256, uint256)
                );
            }
        }
    }

    function _field(uint256[] memory inputs, uint256 i) internal pure returns (uint256) {
        return (inputs[i / 4] >> (63 * (i % 4))) & ((1 << 63) - 1);
    }
}

/// @notice With trades that pass (mock verifier accepting every proof; the real Uniswap V2 venue), after every call:
///         for each asset the accounted holding is at most the tokens the vault owns, and no agent's loss bucket is
///         overdrawn (spent <= the capacity at the time of its last charge).
contract VaultTradingInvariantTest is MockVerifierBase {
    TradingHandler internal handler;

    function setUp() public {
        _setUpSystem();
        mockVerifier.setMode(MockVerifier.Mode.AcceptAll);
        uint8[2][] memory pairAssets = new uint8[2][](pairSpecs.length);
        for (uint256 i = 0; i < pairSpecs.length; ++i) {
            pairAssets[i] = [pairSpecs[i].a, pairSpecs[i].b];
        }
        handler = new TradingHandler(
            vault,
            venue,
            registry,
            [address(this), address(timelock), guardian, agent, otherAgent],
            tokens,
            feeds,
            pairAssets
        );
    }

    /// @notice Forge's invariant fuzzer calls only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler's trades do execute and charge (so the invariants are not true merely because nothing
    ///      trades), and a trade breaking the budget is refused.
    function test_Handler_ExecutesAndChargesTrades() public {
        for (uint256 i = 0; i < 6; ++i) {
            handler.trade(i, i, i % 2 == 0, 1e18 + i, 500);
        }
        assertTrue(handler.executed() >= 3, "trades executed");
        assertTrue(handler.charged() >= 3, "shortfalls charged");
        invariant_HoldingNeverExceedsTheVaultsBalance();
        invariant_LossBucketNeverOverdrawn();
    }

    function invariant_HoldingNeverExceedsTheVaultsBalance() public view {
        for (uint256 k = 0; k < tokens.length; ++k) {
            assertTrue(vault.asset(k).holding <= tokens[k].balanceOf(address(vault)), _at("holding <= balance", k));
        }
    }

    function invariant_LossBucketNeverOverdrawn() public view {
        for (uint256 i = 0; i < 2; ++i) {
            address who = handler.agent(i);
            (uint256 spent,) = vault.lossBucket(who);
            assertTrue(spent <= handler.capacityAtLastCharge(who), "spent <= capacity at the last charge");
        }
    }
}
