// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ProofGateVault} from "../../src/ProofGateVault.sol";
import {PriceFeed} from "../../src/feeds/PriceFeed.sol";
import {ProofGateRegistry} from "../../src/governance/ProofGateRegistry.sol";
import {IProofGateRegistry} from "../../src/interfaces/IProofGateRegistry.sol";
import {IProofGateVault} from "../../src/interfaces/IProofGateVault.sol";
import {IRiskVerifier} from "../../src/interfaces/IRiskVerifier.sol";
import {IUniswapV2Factory, IUniswapV2Pair} from "../../src/venues/IUniswapV2.sol";
import {UniswapV2Venue} from "../../src/venues/UniswapV2Venue.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {MockVerifier} from "../mocks/MockVerifier.sol";
import {SlippageVerifier} from "../mocks/SlippageVerifier.sol";
import {Test} from "./Test.sol";
import {UniswapV2Deployer} from "./UniswapV2Deployer.sol";

/// @title ProofGateBase
/// @notice Deploys the whole system from `test/fixtures/scenario.json`: 8 tokens with their feeds, the real
///         Uniswap V2 factory with seeded pairs, a `TimelockController` owning the registry and governing the vault,
///         the verifier (the generated one, or a mock), the vault with its deposits and debts, and the Uniswap V2
///         venue.
/// @dev The scenario is the input of the Rust fixture generator, which proves its trades bound to the vault
///      address it names; so the CREATE order below is part of the fixtures' contract. `setUp` checks that the
///      vault lands at the scenario's address. Timeline (all relative to the scenario's `timestamp` T):
///      deployments and pair seeding at T - 2 days; the governance bootstrap (the vault's assets, venue and debts;
///      the registry's model, parameters, agents and loss budgets) scheduled then and executed after the
///      timelock's delay; the owner's deposits; fresh prices at T - 60 s; trades at T.
abstract contract ProofGateBase is Test {
    string internal constant SCENARIO_PATH = "test/fixtures/scenario.json";
    string internal constant PROOFS_PATH = "test/fixtures/proofs.json";
    string internal constant REAL_VERIFIER_ARTIFACT = "RiskVerifier.sol:RiskVerifier";
    string internal constant STALE_FIXTURES = "fixtures stale: run scripts/regen-fixtures";

    uint256 internal constant GOVERNANCE_DELAY = 1 days;
    uint256 internal constant SETUP_LEAD = 2 days;
    uint256 internal constant PRICE_AGE = 60;
    uint32 internal constant HEARTBEAT = 1 hours;
    uint8 internal constant FEED_DECIMALS = 8;
    /// @dev Each agent's loss budget: 1 % of the vault's net asset value (about 78,000 USD) per day.
    uint16 internal constant LOSS_BUDGET_BPS = 100;
    uint32 internal constant LOSS_WINDOW = 1 days;
    uint256 internal constant SCALAR_FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    struct AssetSpec {
        string symbol;
        uint8 decimals;
        uint256 balance;
        uint256 debt;
        int256 price;
    }

    struct PairSpec {
        uint8 a;
        uint8 b;
        uint256 reserveA;
        uint256 reserveB;
    }

    /// @dev A scenario trade; `previous` names the trade the same agent executes just before it (the scenario's
    ///      `after`), "" for a trade on the state as deployed.
    struct TradeSpec {
        string name;
        IProofGateVault.Trade trade;
        uint256 nonce;
        string previous;
    }

    /// @dev One proof case of `proofs.json`.
    struct ProofCase {
        string name;
        uint256[] publicInputs;
        uint256[8] proof;
        bool expectedValid;
    }

    /// @dev Everything a refused call must leave unchanged: balances, positions, reserves, and the nonce and loss
    ///      bucket of every watched agent (both scenario agents, and any added with {_watch}).
    struct State {
        uint256[] vaultBalances;
        uint256[] holdings;
        uint256[] debts;
        uint256[] pairReserves;
        uint256 agentNonce;
        uint256 otherAgentNonce;
        uint256[] nonces;
        uint256[] bucketSpent;
        uint256[] bucketUpdatedAt;
    }

    // Scenario.
    string internal scenarioJson;
    address internal scenarioVault;
    address internal agent;
    address internal otherAgent;
    uint256 internal deadline;
    uint256 internal tradeTime;
    AssetSpec[] internal assetSpecs;
    PairSpec[] internal pairSpecs;
    TradeSpec[] internal tradeSpecs;

    // Proof fixtures (when present).
    bool internal haveProofs;
    string internal proofsJson;
    uint256 internal modelCommitment;
    uint256 internal paramsCommitment;
    uint256 internal uncertifiedModelCommitment;

    /// @dev Makes every governance operation's salt unique (the same call may be proposed twice).
    uint256 internal governanceNonce;

    /// @dev Agents whose nonce and loss bucket {_state} records besides the scenario's two.
    address[] internal watchedAgents;

    // Roles.
    address internal guardian = address(uint160(uint256(keccak256("proofgate.test.guardian"))));
    address internal stranger = address(uint160(uint256(keccak256("proofgate.test.stranger"))));

    // System.
    MockERC20[] internal tokens;
    PriceFeed[] internal feeds;
    IUniswapV2Factory internal factory;
    IUniswapV2Pair[] internal pairs;
    TimelockController internal timelock;
    ProofGateRegistry internal registry;
    IRiskVerifier internal verifier;
    ProofGateVault internal vault;
    UniswapV2Venue internal venue;

    /// @dev Deploys the verifier (exactly one CREATE from this contract).
    function _deployVerifier() internal virtual returns (IRiskVerifier);

    // ---------------------------------------------------------------- set-up

    /// @dev Loads the scenario (and the proofs when present) and deploys and configures everything.
    function _setUpSystem() internal {
        _loadScenario();
        _loadProofs();
        vm.warp(tradeTime - SETUP_LEAD);
        _deployContracts();
        _seedPairs();
        _bootstrapGovernance();
        _fundVault();
        // A live pool has nonzero price accumulators: sync once after time has passed, so that the first
        // trade's gas is not inflated by the accumulators' zero-to-nonzero writes.
        for (uint256 i = 0; i < pairs.length; ++i) {
            pairs[i].sync();
        }
        vm.warp(tradeTime - PRICE_AGE);
        for (uint256 i = 0; i < feeds.length; ++i) {
            feeds[i].submit(assetSpecs[i].price);
        }
        vm.warp(tradeTime);
    }

    /// @dev Every CREATE from this contract happens here, in a fixed order (the vault's address depends on it).
    function _deployContracts() private {
        uint256 n = assetSpecs.length;
        for (uint256 i = 0; i < n; ++i) {
            AssetSpec storage spec = assetSpecs[i];
            tokens.push(new MockERC20(spec.symbol, spec.symbol, spec.decimals));
            vm.label(address(tokens[i]), spec.symbol);
        }
        for (uint256 i = 0; i < n; ++i) {
            AssetSpec storage spec = assetSpecs[i];
            feeds.push(new PriceFeed(FEED_DECIMALS, string.concat(spec.symbol, " / USD"), spec.price));
        }
        factory = UniswapV2Deployer.deployFactory(vm, address(this));
        address[] memory governors = new address[](1);
        governors[0] = address(this);
        timelock = new TimelockController(GOVERNANCE_DELAY, governors, governors, address(0));
        registry = new ProofGateRegistry(address(timelock), guardian);
        verifier = _deployVerifier();
        assertEq(
            vm.computeCreateAddress(address(this), vm.getNonce(address(this))),
            scenarioVault,
            string.concat("vault address: ", STALE_FIXTURES)
        );
        vault = new ProofGateVault(address(this), address(timelock), guardian, registry, verifier, n);
        venue = new UniswapV2Venue(factory, address(vault), UniswapV2Deployer.pairInitCodeHash(vm));
        vm.label(address(vault), "ProofGateVault");
        vm.label(address(venue), "UniswapV2Venue");
        vm.label(agent, "agent");
        vm.label(otherAgent, "otherAgent");
    }

    /// @dev Creates and seeds the scenario's Uniswap V2 pairs (liquidity to this contract).
    function _seedPairs() private {
        for (uint256 i = 0; i < pairSpecs.length; ++i) {
            PairSpec storage spec = pairSpecs[i];
            (MockERC20 a, MockERC20 b) = (tokens[spec.a], tokens[spec.b]);
            IUniswapV2Pair pair = IUniswapV2Pair(factory.createPair(address(a), address(b)));
            a.mint(address(pair), spec.reserveA);
            b.mint(address(pair), spec.reserveB);
            pair.mint(address(this));
            pairs.push(pair);
        }
    }

    /// @dev The owner deposits the scenario's balances.
    function _fundVault() private {
        for (uint256 i = 0; i < tokens.length; ++i) {
            uint256 balance = assetSpecs[i].balance;
            tokens[i].mint(address(this), balance);
            tokens[i].approve(address(vault), balance);
            vault.deposit(i, balance);
        }
    }

    /// @dev Through the timelock, in one batch: registers the vault's assets, sets its venue and debts; certifies
    ///      the model and parameters, registers both agents for the vault and gives each a loss budget.
    function _bootstrapGovernance() private {
        uint256 n = tokens.length;
        uint256 count = 2 * n + 7;
        address[] memory targets = new address[](count);
        bytes[] memory payloads = new bytes[](count);
        uint256 k = 0;
        for (uint256 i = 0; i < n; ++i) {
            (targets[k], payloads[k]) =
            (address(vault), abi.encodeCall(vault.addAsset, (tokens[i], feeds[i], HEARTBEAT)));
            ++k;
        }
        (targets[k], payloads[k]) = (address(vault), abi.encodeCall(vault.setVenue, (venue)));
        ++k;
        for (uint256 i = 0; i < n; ++i) {
            (targets[k], payloads[k]) = (address(vault), abi.encodeCall(vault.setDebt, (i, assetSpecs[i].debt)));
            ++k;
        }
        for (uint256 i = k; i < count; ++i) {
            targets[i] = address(registry);
        }
        address v = address(vault);
        payloads[k] = abi.encodeCall(registry.certifyModel, (modelCommitment, _modelMetadata("risk-mlp")));
        payloads[k + 1] =
            abi.encodeCall(registry.certifyParams, (paramsCommitment, "typical limits", keccak256("params.json")));
        payloads[k + 2] = abi.encodeCall(registry.registerAgent, (v, agent, modelCommitment, paramsCommitment));
        payloads[k + 3] = abi.encodeCall(registry.registerAgent, (v, otherAgent, modelCommitment, paramsCommitment));
        payloads[k + 4] = abi.encodeCall(registry.setLossBudget, (v, agent, LOSS_BUDGET_BPS, LOSS_WINDOW));
        payloads[k + 5] = abi.encodeCall(registry.setLossBudget, (v, otherAgent, LOSS_BUDGET_BPS, LOSS_WINDOW));
        _governBatch(targets, payloads);
    }

    // ---------------------------------------------------------------- governance helpers

    /// @dev Schedules a batch on the timelock, waits out the delay and executes it.
    function _governBatch(address[] memory targets, bytes[] memory payloads) internal {
        uint256[] memory values = new uint256[](targets.length);
        bytes32 salt = keccak256(abi.encode(++governanceNonce, payloads));
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, GOVERNANCE_DELAY);
        vm.warp(block.timestamp + GOVERNANCE_DELAY);
        timelock.executeBatch(targets, values, payloads, bytes32(0), salt);
    }

    /// @dev One governance call to the registry through the timelock, keeping the current time (for tests after
    ///      set-up).
    function _govern(bytes memory payload) internal {
        _govern(address(registry), payload);
    }

    /// @dev One governance call to `target` through the timelock, keeping the current time.
    function _govern(address target, bytes memory payload) internal {
        uint256 start = block.timestamp;
        bytes32 salt = keccak256(abi.encode(++governanceNonce, payload));
        timelock.schedule(target, 0, payload, bytes32(0), salt, GOVERNANCE_DELAY);
        vm.warp(start + GOVERNANCE_DELAY);
        timelock.execute(target, 0, payload, bytes32(0), salt);
        vm.warp(start);
    }

    /// @dev Metadata of a test model.
    function _modelMetadata(string memory name) internal pure returns (IProofGateRegistry.ModelMetadata memory) {
        return IProofGateRegistry.ModelMetadata({
            name: name,
            version: "1.0.0",
            architecture: "mlp 16-32-16-1, relu, 8-bit weights",
            artifactsHash: keccak256(bytes(name))
        });
    }

    // ---------------------------------------------------------------- scenario

    function _loadScenario() private {
        string memory json = vm.readFile(SCENARIO_PATH);
        scenarioJson = json;
        assertEq(vm.parseJsonUint(json, ".version"), 1, "scenario version");
        assertEq(vm.parseJsonUint(json, ".chain_id"), block.chainid, "scenario chain id");
        scenarioVault = vm.parseJsonAddress(json, ".vault");
        agent = vm.parseJsonAddress(json, ".agent");
        otherAgent = vm.parseJsonAddress(json, ".other_agent");
        deadline = vm.parseJsonUint(json, ".deadline");
        tradeTime = vm.parseJsonUint(json, ".timestamp");
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".assets", i)); ++i) {
            string memory key = _at(".assets", i);
            assetSpecs.push(
                AssetSpec({
                    symbol: vm.parseJsonString(json, string.concat(key, ".symbol")),
                    decimals: uint8(vm.parseJsonUint(json, string.concat(key, ".decimals"))),
                    balance: vm.parseJsonUint(json, string.concat(key, ".balance")),
                    debt: vm.parseJsonUint(json, string.concat(key, ".debt")),
                    price: int256(vm.parseJsonUint(json, string.concat(key, ".price")))
                })
            );
        }
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".pairs", i)); ++i) {
            string memory key = _at(".pairs", i);
            pairSpecs.push(
                PairSpec({
                    a: uint8(vm.parseJsonUint(json, string.concat(key, ".a"))),
                    b: uint8(vm.parseJsonUint(json, string.concat(key, ".b"))),
                    reserveA: vm.parseJsonUint(json, string.concat(key, ".reserve_a")),
                    reserveB: vm.parseJsonUint(json, string.concat(key, ".reserve_b"))
                })
            );
        }
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".trades", i)); ++i) {
            string memory key = _at(".trades", i);
            string memory afterKey = string.concat(key, ".after");
            tradeSpecs.push(
                TradeSpec({
                    name: vm.parseJsonString(json, string.concat(key, ".name")),
                    trade: IProofGateVault.Trade({
                        sellAsset: uint8(vm.parseJsonUint(json, string.concat(key, ".sell"))),
                        buyAsset: uint8(vm.parseJsonUint(json, string.concat(key, ".buy"))),
                        amountIn: vm.parseJsonUint(json, string.concat(key, ".amount_in")),
                        amountOut: vm.parseJsonUint(json, string.concat(key, ".amount_out"))
                    }),
                    nonce: vm.parseJsonUint(json, string.concat(key, ".nonce")),
                    previous: vm.keyExistsJson(json, afterKey) ? vm.parseJsonString(json, afterKey) : ""
                })
            );
        }
    }

    /// @dev Reads `proofs.json` when it exists; otherwise fixed stand-in commitments (for the mock verifier).
    function _loadProofs() private {
        haveProofs = vm.exists(PROOFS_PATH);
        if (!haveProofs) {
            modelCommitment = uint256(keccak256("proofgate.test.model")) % SCALAR_FIELD_ORDER;
            paramsCommitment = uint256(keccak256("proofgate.test.params")) % SCALAR_FIELD_ORDER;
            uncertifiedModelCommitment = uint256(keccak256("proofgate.test.other-model")) % SCALAR_FIELD_ORDER;
            return;
        }
        string memory json = vm.readFile(PROOFS_PATH);
        proofsJson = json;
        assertEq(vm.parseJsonUint(json, ".version"), 1, "proofs version");
        modelCommitment = vm.parseJsonUint(json, ".model_commitment");
        paramsCommitment = vm.parseJsonUint(json, ".params_commitment");
        uncertifiedModelCommitment = vm.parseJsonUint(json, ".uncertified_model_commitment");
    }

    /// @dev The JSON key (`.cases[i]`) of the proof case named `name`, or "" when there is none.
    function _caseKey(string memory name) internal view returns (string memory) {
        string memory json = proofsJson;
        for (uint256 i = 0; vm.keyExistsJson(json, _at(".cases", i)); ++i) {
            string memory key = _at(".cases", i);
            if (Strings.equal(vm.parseJsonString(json, string.concat(key, ".name")), name)) return key;
        }
        return "";
    }

    /// @dev The proof case named `name`; fails when there is none.
    function _proofCase(string memory name) internal view returns (ProofCase memory c) {
        string memory json = proofsJson;
        string memory key = _caseKey(name);
        if (bytes(key).length != 0) {
            c.name = name;
            c.publicInputs = vm.parseJsonUintArray(json, string.concat(key, ".public_inputs"));
            uint256[] memory proof = vm.parseJsonUintArray(json, string.concat(key, ".proof"));
            assertEq(proof.length, 8, string.concat(name, ": proof length"));
            for (uint256 j = 0; j < 8; ++j) {
                c.proof[j] = proof[j];
            }
            string memory expected = vm.parseJsonString(json, string.concat(key, ".expected"));
            c.expectedValid = Strings.equal(expected, "valid");
            return c;
        }
        fail(string.concat("no proof case named ", name));
    }

    /// @dev The scenario trade named `name`; fails when there is none.
    function _tradeSpec(string memory name) internal view returns (TradeSpec memory spec) {
        for (uint256 i = 0; i < tradeSpecs.length; ++i) {
            if (Strings.equal(tradeSpecs[i].name, name)) return tradeSpecs[i];
        }
        fail(string.concat("no scenario trade named ", name));
    }

    /// @dev `prefix[i]`.
    function _at(string memory prefix, uint256 i) internal pure returns (string memory) {
        return string.concat(prefix, "[", Strings.toString(i), "]");
    }

    // ---------------------------------------------------------------- state snapshots

    /// @dev Balances, positions, reserves and nonces now.
    function _state() internal view returns (State memory s) {
        uint256 n = tokens.length;
        s.vaultBalances = new uint256[](n);
        s.holdings = new uint256[](n);
        s.debts = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            s.vaultBalances[i] = tokens[i].balanceOf(address(vault));
            IProofGateVault.AssetView memory a = vault.asset(i);
            (s.holdings[i], s.debts[i]) = (a.holding, a.debt);
        }
        s.pairReserves = new uint256[](2 * pairs.length);
        for (uint256 i = 0; i < pairs.length; ++i) {
            (uint112 r0, uint112 r1,) = pairs[i].getReserves();
            (s.pairReserves[2 * i], s.pairReserves[2 * i + 1]) = (r0, r1);
        }
        s.agentNonce = vault.nonces(agent);
        s.otherAgentNonce = vault.nonces(otherAgent);
        uint256 w = watchedAgents.length;
        (s.nonces, s.bucketSpent, s.bucketUpdatedAt) =
        (new uint256[](w + 2), new uint256[](w + 2), new uint256[](w + 2));
        for (uint256 i = 0; i < w + 2; ++i) {
            address who = i == 0 ? agent : i == 1 ? otherAgent : watchedAgents[i - 2];
            s.nonces[i] = vault.nonces(who);
            (uint256 spent, uint64 updatedAt) = vault.lossBucket(who);
            (s.bucketSpent[i], s.bucketUpdatedAt[i]) = (spent, updatedAt);
        }
    }

    /// @dev Adds `who` to the agents whose nonce and loss bucket {_state} records.
    function _watch(address who) internal {
        watchedAgents.push(who);
    }

    /// @dev The vault's net asset value now at its feeds' prices (8-decimal feeds): the holdings' values rounded
    ///      down less the debts' values rounded up, as the statement values them (0 when negative).
    function _netAssetValue() internal view returns (uint256) {
        uint256 holdingsValue;
        uint256 debtsValue;
        for (uint256 i = 0; i < tokens.length; ++i) {
            IProofGateVault.AssetView memory a = vault.asset(i);
            (, int256 answer,,,) = feeds[i].latestRoundData();
            // casting to 'uint256' is safe because the tests' feeds answer positive prices
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 price = uint256(answer);
            uint256 unit = 10 ** a.tokenDecimals;
            holdingsValue += Math.mulDiv(a.holding, price, unit);
            debtsValue += Math.mulDiv(a.debt, price, unit, Math.Rounding.Ceil);
        }
        return holdingsValue > debtsValue ? holdingsValue - debtsValue : 0;
    }

    /// @dev Fails unless the state equals `before`.
    function _assertUnchanged(State memory before) internal view {
        State memory now_ = _state();
        for (uint256 i = 0; i < before.vaultBalances.length; ++i) {
            assertEq(now_.vaultBalances[i], before.vaultBalances[i], _at("vault balance", i));
            assertEq(now_.holdings[i], before.holdings[i], _at("holding", i));
            assertEq(now_.debts[i], before.debts[i], _at("debt", i));
        }
        for (uint256 i = 0; i < before.pairReserves.length; ++i) {
            assertEq(now_.pairReserves[i], before.pairReserves[i], _at("pair reserve", i));
        }
        assertEq(now_.agentNonce, before.agentNonce, "agent nonce");
        assertEq(now_.otherAgentNonce, before.otherAgentNonce, "other agent nonce");
        for (uint256 i = 0; i < before.nonces.length; ++i) {
            assertEq(now_.nonces[i], before.nonces[i], _at("watched agent's nonce", i));
            assertEq(now_.bucketSpent[i], before.bucketSpent[i], _at("watched agent's bucket: spent", i));
            assertEq(now_.bucketUpdatedAt[i], before.bucketUpdatedAt[i], _at("watched agent's bucket: updatedAt", i));
        }
    }
}

/// @title MockVerifierBase
/// @notice {ProofGateBase} with a {MockVerifier} (exact mode) in the verifier's place, for unit tests of the
///         vault's own logic. Its vault lands at the same address as with the real verifier.
abstract contract MockVerifierBase is ProofGateBase {
    MockVerifier internal mockVerifier;

    function _deployVerifier() internal override returns (IRiskVerifier) {
        mockVerifier = new MockVerifier(8);
        return mockVerifier;
    }

    /// @dev A proof the mock accepts for exactly `trade` by `who` now (at its current nonce).
    function _acceptedProof(address who, IProofGateVault.Trade memory trade, uint256 seed)
        internal
        returns (uint256[8] memory proof)
    {
        for (uint256 j = 0; j < 8; ++j) {
            proof[j] = uint256(keccak256(abi.encode("proof", seed, j))) % SCALAR_FIELD_ORDER;
        }
        mockVerifier.accept(proof, vault.publicInputs(who, trade, deadline));
    }
}

/// @title SlippageVerifierBase
/// @notice {ProofGateBase} with a {SlippageVerifier} in the verifier's place: a stand-in for the circuit's price bound
///         that accepts any proof of exactly the statements within {MAX_SLIPPAGE_BPS}, for hostile-agent tests of what
///         the vault does with the trades the bound admits. (The circuit's own check is tested in the prover and end
///         to end.)
abstract contract SlippageVerifierBase is ProofGateBase {
    /// @dev The governed bound of the scenario's risk parameters (`RiskParams::typical`).
    uint256 internal constant MAX_SLIPPAGE_BPS = 100;
    SlippageVerifier internal slippageVerifier;

    function _deployVerifier() internal override returns (IRiskVerifier) {
        slippageVerifier = new SlippageVerifier(8, MAX_SLIPPAGE_BPS);
        return slippageVerifier;
    }

    /// @dev The least `amountOut` of `t` whose statement by `who` is within the bound now (a hostile agent asks for
    ///      exactly this: the worst price the circuit admits).
    function _minimumAtTheBound(address who, IProofGateVault.Trade memory t) internal view returns (uint256 amountOut) {
        IProofGateVault.Trade memory probe = t;
        probe.amountOut = 1;
        uint256 valueIn = _valueOf(vault.publicInputs(who, probe, block.timestamp + 1), 16);
        (, int256 answer,,,) = feeds[t.buyAsset].latestRoundData();
        // casting to 'uint256' is safe because the tests' feeds answer positive prices
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 price = uint256(answer);
        uint256 unit = 10 ** assetSpecs[t.buyAsset].decimals;
        uint256 minValueOut = Math.mulDiv(valueIn, 10_000 - MAX_SLIPPAGE_BPS, 10_000, Math.Rounding.Ceil);
        amountOut = Math.mulDiv(minValueOut, unit, price, Math.Rounding.Ceil);
        while (!slippageVerifier.withinBound(valueIn, Math.mulDiv(amountOut, price, unit))) {
            ++amountOut;
        }
        while (amountOut > 1 && slippageVerifier.withinBound(valueIn, Math.mulDiv(amountOut - 1, price, unit))) {
            --amountOut;
        }
    }

    /// @dev Value field `i` of packed public inputs.
    function _valueOf(uint256[] memory inputs, uint256 i) internal pure returns (uint256) {
        return (inputs[i / 4] >> (63 * (i % 4))) & ((1 << 63) - 1);
    }
}

/// @title RealVerifierBase
/// @notice {ProofGateBase} with the generated verifier (`src/verifier/RiskVerifier.sol`) and the Rust prover's
///         fixture proofs (`test/fixtures/proofs.json`); skips every test when either is missing.
abstract contract RealVerifierBase is ProofGateBase {
    function _deployVerifier() internal override returns (IRiskVerifier deployed) {
        bytes memory code = vm.getCode(REAL_VERIFIER_ARTIFACT);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(address(deployed) != address(0), "RiskVerifier deployment failed");
    }

    /// @dev Sets the system up, or skips when the generated verifier or the proofs are missing.
    function _setUpWithFixtures() internal returns (bool ready) {
        if (!vm.exists(PROOFS_PATH) || !vm.exists("src/verifier/RiskVerifier.sol")) {
            vm.skip(true);
            return false;
        }
        _setUpSystem();
        bytes32 keyHash = vm.parseJsonBytes32(proofsJson, ".verifier_key_hash");
        (bool ok, bytes memory ret) = address(verifier).staticcall(abi.encodeWithSignature("VERIFYING_KEY_HASH()"));
        assertTrue(ok, "VERIFYING_KEY_HASH");
        assertEq(abi.decode(ret, (bytes32)), keyHash, string.concat("verifier key hash: ", STALE_FIXTURES));
        return true;
    }
}

