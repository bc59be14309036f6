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

    /// @dev The pair's reserves and balances of (tokenIn, tokenOut).
    function _pairState(MockERC20 tokenIn, MockERC20 tokenOut)
        internal
        view
        returns (uint256 reserveIn, uint256 reserveOut, uint256 balanceIn, uint256 balanceOut)
    {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        (reserveIn, reserveOut) = address(tokenIn) < address(tokenOut) ? (r0, r1) : (r1, r0);
        (balanceIn, balanceOut) = (tokenIn.balanceOf(address(pair)), tokenOut.balanceOf(address(pair)));
    }

    /// @dev Swaps `amountIn` (paid first) with `minAmountOut` and checks that the recipient got the whole quote and
    ///      the pair kept nothing beyond its fee: its reserves equal its balances (nothing to skim), the product grew,
    ///      and one more unit of output would have broken the pair's fee-adjusted constant product.
    function _swapAndCheck(MockERC20 tokenIn, MockERC20 tokenOut, uint256 amountIn, uint256 minAmountOut) internal {
        (uint256 reserveIn, uint256 reserveOut,,) = _pairState(tokenIn, tokenOut);
        uint256 quoted = venue.quote(tokenIn, tokenOut, amountIn);
        assertEq(quoted, venue.getAmountOut(amountIn, reserveIn, reserveOut), "quote");
        uint256 before = tokenOut.balanceOf(address(0xCAFE));
        _pay(tokenIn, amountIn);
        venue.swap(tokenIn, tokenOut, amountIn, minAmountOut, address(0xCAFE));
        assertEq(tokenOut.balanceOf(address(0xCAFE)) - before, quoted, "the recipient got the whole quote");

        (uint256 newIn, uint256 newOut, uint256 balanceIn, uint256 balanceOut) = _pairState(tokenIn, tokenOut);
        assertEq(balanceIn, newIn, "pair: input balance = reserve (nothing left to skim)");
        assertEq(balanceOut, newOut, "pair: output balance = reserve");
        assertEq(newIn, reserveIn + amountIn, "pair: input reserve");
        assertEq(newOut, reserveOut - quoted, "pair: output reserve");
        assertTrue(newIn * newOut > reserveIn * reserveOut, "k grew (the fee)");
        // Uniswap V2's check: (balanceIn·1000 - amountIn·3) · balanceOut·1000 >= k·1000². It holds with the quote
        // and fails with one unit more: the pair keeps exactly its fee and the rounding of the last unit.
        uint256 adjustedIn = newIn * 1000 - amountIn * 3;
        uint256 k = reserveIn * reserveOut * 1e6;
        assertTrue(adjustedIn * newOut * 1000 >= k, "the quote passes the pair's K check");
        assertTrue(adjustedIn * (newOut - 1) * 1000 < k, "one unit more would not");
    }

    function test_Swap_DeliversTheWholeQuote_AndLeavesNothingInThePair_BothDirections() public {
        _swapAndCheck(tokenA, tokenB, 10e18, 1);
        _swapAndCheck(tokenB, tokenA, 20_000e6, 0);
    }

    function test_Swap_DeliversMoreThanTheMinimum_WithoutDonatingTheDifference() public {
        uint256 amountIn = 10e18;
        uint256 quoted = venue.quote(tokenA, tokenB, amountIn);
        // A 1 % tolerance: the old exact-output adapter left it in the pair; now the recipient gets it.
        _swapAndCheck(tokenA, tokenB, amountIn, quoted * 99 / 100);
    }

    function testFuzz_Swap_LeavesNothingInThePair(uint256 amountIn, bool aToB) public {
        amountIn = aToB ? bound(amountIn, 1e12, 10_000e18) : bound(amountIn, 1e3, 30_000_000e6);
        (MockERC20 tokenIn, MockERC20 tokenOut) = aToB ? (tokenA, tokenB) : (tokenB, tokenA);
        vm.assume(venue.quote(tokenIn, tokenOut, amountIn) > 0);
        _swapAndCheck(tokenIn, tokenOut, amountIn, 1);
    }

    function testFuzz_RevertSwap_WhenTheMinimumIsAboveTheQuote(uint256 amountIn) public {
        amountIn = bound(amountIn, 1e12, 10_000e18);
        uint256 max = venue.quote(tokenA, tokenB, amountIn);
        vm.assume(max > 0);
        _pay(tokenA, amountIn);
        // One unit more than the pair gives: refused with the quote and the minimum...
        vm.expectRevert(abi.encodeWithSelector(IUniswapV2VenueErrors.InsufficientOutput.selector, max, max + 1));
        venue.swap(tokenA, tokenB, amountIn, max + 1, address(this));
        // ...as the pair itself would refuse that output.
        (uint256 out0, uint256 out1) = address(tokenA) < address(tokenB) ? (uint256(0), max + 1) : (max + 1, 0);
        vm.expectRevert(bytes("UniswapV2: K"));
        pair.swap(out0, out1, address(this), "");
        // The quote itself as the minimum goes through.
        venue.swap(tokenA, tokenB, amountIn, max, address(0xCAFE));
        assertEq(tokenB.balanceOf(address(0xCAFE)), max, "max output");
    }

    function test_Swap_PassesADonationInThePairOnToTheRecipient() public {
        // Tokens someone sent to the pair before the trade count as input: the recipient gets their output too, so
        // nothing sits in the pair for a back-runner.
        tokenA.mint(address(pair), 1e18);
        uint256 quoted = venue.quote(tokenA, tokenB, 11e18);
        _pay(tokenA, 10e18);
        venue.swap(tokenA, tokenB, 10e18, 1, address(0xCAFE));
        assertEq(tokenB.balanceOf(address(0xCAFE)), quoted, "output of input and donation");
        (uint256 reserveIn,, uint256 balanceIn,) = _pairState(tokenA, tokenB);
        assertEq(balanceIn, reserveIn, "nothing left to skim");
    }

    function test_RevertSwap_WhenOutputWouldBeZero() public {
        _pay(tokenA, 1);
        vm.expectRevert(abi.encodeWithSelector(IUniswapV2VenueErrors.InsufficientOutput.selector, 0, 0));
        venue.swap(tokenA, tokenB, 1, 0, address(this));
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
