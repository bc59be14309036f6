// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IUniswapV2Factory, IUniswapV2Pair} from "../src/venues/IUniswapV2.sol";
import {IUniswapV2VenueErrors, UniswapV2Venue} from "../src/venues/UniswapV2Venue.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {Test} from "./utils/Test.sol";
import {UniswapV2Deployer} from "./utils/UniswapV2Deployer.sol";

/// @notice The Uniswap V2 adapter against the real factory and pair bytecode from `@uniswap/v2-core`; this test
///         contract plays the vault (the adapter's only caller).
contract UniswapV2VenueTest is Test {
    uint256 internal constant RESERVE_A = 1_000e18;
    uint256 internal constant RESERVE_B = 3_000_000e6;

    MockERC20 internal tokenA;
    MockERC20 internal tokenB;
    MockERC20 internal unpaired;
    IUniswapV2Factory internal factory;
    IUniswapV2Pair internal pair;
    UniswapV2Venue internal venue;

    function setUp() public {
        vm.warp(1_750_000_000);
        tokenA = new MockERC20("A", "A", 18);
        tokenB = new MockERC20("B", "B", 6);
        unpaired = new MockERC20("C", "C", 18);
        factory = UniswapV2Deployer.deployFactory(vm, address(this));
        pair = IUniswapV2Pair(factory.createPair(address(tokenA), address(tokenB)));
        tokenA.mint(address(pair), RESERVE_A);
        tokenB.mint(address(pair), RESERVE_B);
        pair.mint(address(this));
        venue = new UniswapV2Venue(factory, address(this), UniswapV2Deployer.pairInitCodeHash(vm));
    }

    function _pay(MockERC20 token, uint256 amount) internal {
        token.mint(address(venue.inputRecipient(tokenA, tokenB)), amount);
    }

    function test_PairInitCodeHash_OfTheNpmArtifact_IsUniswapV2sOnMainnet() public view {
        assertEq(UniswapV2Deployer.pairInitCodeHash(vm), venue.UNISWAP_V2_PAIR_INIT_CODE_HASH(), "init code hash");
    }

    function test_PairFor_EqualsFactoryGetPair_InBothOrders() public view {
        assertEq(venue.pairFor(tokenA, tokenB), address(pair), "A, B");
        assertEq(venue.pairFor(tokenB, tokenA), address(pair), "B, A");
        assertEq(venue.pairFor(tokenA, tokenB), factory.getPair(address(tokenA), address(tokenB)), "getPair");
        assertEq(venue.inputRecipient(tokenB, tokenA), address(pair), "inputRecipient");
    }

    function test_Swap_DeliversExactlyTheRequestedOutput_BothDirections() public {
        uint256 amountIn = 10e18;
        uint256 out = venue.quote(tokenA, tokenB, amountIn);
        assertEq(out, venue.getAmountOut(amountIn, RESERVE_A, RESERVE_B), "quote");
        _pay(tokenA, amountIn);
        venue.swap(tokenA, tokenB, amountIn, out - 1, address(0xCAFE));
        assertEq(tokenB.balanceOf(address(0xCAFE)), out - 1, "exact output A -> B");

        uint256 backIn = 20_000e6;
        uint256 backOut = venue.quote(tokenB, tokenA, backIn);
        _pay(tokenB, backIn);
        venue.swap(tokenB, tokenA, backIn, backOut, address(0xCAFE));
        assertEq(tokenA.balanceOf(address(0xCAFE)), backOut, "exact output B -> A");
    }

    function testFuzz_Quote_IsExactlyTheMostThePairAccepts(uint256 amountIn) public {
        amountIn = bound(amountIn, 1e12, 10_000e18);
        uint256 max = venue.quote(tokenA, tokenB, amountIn);
        vm.assume(max > 0);
        _pay(tokenA, amountIn);
        // One unit more breaks the pair's constant product: the adapter refuses it first, with the bound...
        vm.expectRevert(abi.encodeWithSelector(IUniswapV2VenueErrors.ExcessiveOutput.selector, max + 1, max));
        venue.swap(tokenA, tokenB, amountIn, max + 1, address(this));
        // ...and the pair itself agrees.
        (uint256 out0, uint256 out1) = address(tokenA) < address(tokenB) ? (uint256(0), max + 1) : (max + 1, 0);
        vm.expectRevert(bytes("UniswapV2: K"));
        pair.swap(out0, out1, address(this), "");
        // The bound itself goes through.
        venue.swap(tokenA, tokenB, amountIn, max, address(0xCAFE));
        assertEq(tokenB.balanceOf(address(0xCAFE)), max, "max output");
    }

    function test_RevertSwap_WhenCallerIsNotTheVault() public {
        _pay(tokenA, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IUniswapV2VenueErrors.UnauthorizedCaller.selector, address(0xBAD)));
        vm.prank(address(0xBAD));
        venue.swap(tokenA, tokenB, 1e18, 1, address(0xBAD));
    }

    function test_RevertSwap_WhenInputNotPaid() public {
        _pay(tokenA, 1e18 - 1);
        vm.expectRevert(abi.encodeWithSelector(IUniswapV2VenueErrors.InputNotPaid.selector, 1e18 - 1, 1e18));
        venue.swap(tokenA, tokenB, 1e18, 1, address(this));
    }

    function test_RevertInputRecipientAndSwap_WhenNoPair() public {
        vm.expectRevert(
            abi.encodeWithSelector(IUniswapV2VenueErrors.PairNotFound.selector, address(tokenA), address(unpaired))
        );
        venue.inputRecipient(tokenA, unpaired);
        vm.expectRevert(
            abi.encodeWithSelector(IUniswapV2VenueErrors.PairNotFound.selector, address(unpaired), address(tokenB))
        );
        venue.swap(unpaired, tokenB, 1, 1, address(this));
    }
}
