// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ProofGateVault} from "../src/ProofGateVault.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {ProofGateRegistry} from "../src/governance/ProofGateRegistry.sol";
import {SolvencyAttestor} from "../src/governance/SolvencyAttestor.sol";
import {IProofGateRegistry} from "../src/interfaces/IProofGateRegistry.sol";
import {IProofGateVault, IVaultErrors} from "../src/interfaces/IProofGateVault.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {MockVenue} from "./mocks/MockVenue.sol";
import {MockVerifier} from "./mocks/MockVerifier.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";
import {Test} from "./utils/Test.sol";

/// @notice A malicious token that re-enters the vault from inside its own transfer, on the way out (sold) and on
///         the way in (bought): the guard refuses the inner call, the whole trade reverts, nothing moves.
contract ProofGateVaultReentrancyTest is Test {
    address internal agent = address(0xA6E7);
    uint256 internal deadline;

    ReentrantToken internal evil;
    MockERC20 internal usdc;
    MockVenue internal venue;
    MockVerifier internal verifier;
    ProofGateVault internal vault;

    IProofGateVault.Trade internal sellEvil = IProofGateVault.Trade(0, 1, 10e18, 30_000e6);
    IProofGateVault.Trade internal buyEvil = IProofGateVault.Trade(1, 0, 30_000e6, 10e18);
    uint256[8] internal proof;

    function setUp() public {
        vm.warp(1_750_000_000);
        deadline = block.timestamp + 600;
        evil = new ReentrantToken("Evil", "EVIL", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        PriceFeed evilFeed = new PriceFeed(8, "EVIL / USD", 3_000e8);
        PriceFeed usdcFeed = new PriceFeed(8, "USDC / USD", 1e8);

        ProofGateRegistry registry = new ProofGateRegistry(address(this), address(0));
        registry.certifyModel(1, IProofGateRegistry.ModelMetadata("m", "1", "mlp", bytes32(0)));
        registry.certifyParams(2, "p", bytes32(0));

        verifier = new MockVerifier(5); // 2 assets: 2 packed elements + 3
        verifier.setMode(MockVerifier.Mode.AcceptAll); // the guard, not the proof, is under test
        vault = new ProofGateVault(address(this), address(this), address(0), registry, verifier, 2);
        registry.registerAgent(address(vault), agent, 1, 2);
        vault.addAsset(evil, evilFeed, 3600);
        vault.addAsset(usdc, usdcFeed, 3600);
        venue = new MockVenue();
        vault.setVenue(venue);

        evil.mint(address(this), 100e18);
        usdc.mint(address(this), 300_000e6);
        evil.approve(address(vault), 100e18);
        usdc.approve(address(vault), 300_000e6);
        vault.deposit(0, 100e18);
        vault.deposit(1, 300_000e6);
        evil.mint(address(venue), 100e18);
        usdc.mint(address(venue), 300_000e6);
    }

    function _snapshot() internal view returns (uint256[5] memory s) {
        s = [
            evil.balanceOf(address(vault)),
            usdc.balanceOf(address(vault)),
            vault.asset(0).holding,
            vault.asset(1).holding,
            vault.nonces(agent)
        ];
    }

    function _assertSame(uint256[5] memory a, uint256[5] memory b) internal pure {
        for (uint256 i = 0; i < 5; ++i) {
            assertEq(b[i], a[i], "state changed");
        }
    }

    function test_RevertExecute_WhenSoldTokenReenters() public {
        // On the vault's transfer of EVIL to the venue, EVIL calls executeTrade again.
        evil.arm(address(vault), address(vault), abi.encodeCall(vault.executeTrade, (sellEvil, deadline, proof)));
        uint256[5] memory before = _snapshot();
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vm.prank(agent);
        vault.executeTrade(sellEvil, deadline, proof);
        _assertSame(before, _snapshot());
        assertEq(evil.successfulReentries(), 0, "no re-entry succeeded");
    }

    function test_RevertExecute_WhenBoughtTokenReenters() public {
        // On the venue's transfer of EVIL to the vault, EVIL calls executeTrade again.
        evil.arm(address(venue), address(vault), abi.encodeCall(vault.executeTrade, (sellEvil, deadline, proof)));
        uint256[5] memory before = _snapshot();
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vm.prank(agent);
        vault.executeTrade(buyEvil, deadline, proof);
        _assertSame(before, _snapshot());
    }

    function test_RevertExecute_WhenTokenReentersADeposit() public {
        // The owner's deposit path is guarded too: EVIL re-enters deposit from inside transferFrom.
        evil.arm(address(this), address(vault), abi.encodeCall(vault.deposit, (0, 1)));
        evil.mint(address(this), 1e18);
        evil.approve(address(vault), 1e18);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vault.deposit(0, 1e18);
    }

    function test_CheckSettled_RevertsOnlyWhileAVaultOperationIsInProgress() public {
        vault.checkSettled();
        evil.arm(address(this), address(vault), abi.encodeCall(vault.checkSettled, ()));
        evil.mint(address(this), 1e18);
        evil.approve(address(vault), 1e18);
        vm.expectRevert(IVaultErrors.OperationInProgress.selector);
        vault.deposit(0, 1e18);
    }

    /// @dev A token hook that reads the vault mid-trade for the solvency attestor (holdings half-updated: the sold
    ///      asset already gone to the venue, the bought one not yet in) is refused, so the trade reverts.
    function test_RevertAttestorRead_WhenATokenHookReentersMidTrade() public {
        // 2 assets, 64-bit balances, batches of 2^10: binding, root, one packed element.
        MockVerifier solvencyVerifier = new MockVerifier(3);
        SolvencyAttestor attestor =
            new SolvencyAttestor(address(this), address(0), solvencyVerifier, 2, 64, 10, vault.REGISTRY());
        attestor.setMaxAttestationAge(address(vault), 1 days);
        attestor.setHaircut(address(vault), 0, 10_000);
        attestor.setHaircut(address(vault), 1, 10_000);
        uint256[] memory totals = new uint256[](2);
        attestor.checkCoverage(address(vault), totals);
        evil.arm(address(vault), address(attestor), abi.encodeCall(attestor.checkCoverage, (address(vault), totals)));
        uint256[5] memory before = _snapshot();
        vm.expectRevert(IVaultErrors.OperationInProgress.selector);
        vm.prank(agent);
        vault.executeTrade(sellEvil, deadline, proof);
        _assertSame(before, _snapshot());
    }

    function test_Executes_WhenTheTokenIsDisarmed() public {
        vm.prank(agent);
        vault.executeTrade(sellEvil, deadline, proof);
        assertEq(vault.asset(0).holding, 90e18, "sold");
        assertEq(vault.asset(1).holding, 330_000e6, "bought");
    }
}
