// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IUniswapV2Factory, IUniswapV2Pair} from "./IUniswapV2.sol";
import {IVenue} from "./IVenue.sol";

/// @title IUniswapV2VenueErrors
/// @notice Custom errors of {UniswapV2Venue}.
interface IUniswapV2VenueErrors {
    /// @notice Only the vault may swap through the adapter.
    /// @param caller The refused caller.
    error UnauthorizedCaller(address caller);

    /// @notice The factory has no pair for these tokens.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    error PairNotFound(address tokenIn, address tokenOut);

    /// @notice The pair has received less than `amountIn` since its last update.
    /// @param paid What the pair has received.
    /// @param amountIn What the swap needs.
    error InputNotPaid(uint256 paid, uint256 amountIn);

    /// @notice The pair gives less for the input than the caller's minimum (constant product, 0.3 % fee).
    /// @param amountOut What the pair gives for the input paid.
    /// @param minAmountOut The caller's minimum.
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);

    /// @notice A pair or token answered with fewer bytes than its function returns (or a reserve wider than 112
    ///         bits): it is not what it claims to be.
    /// @param target The contract that answered.
    error MalformedReturnData(address target);
}

/// @title UniswapV2Venue
/// @notice The vault's adapter to Uniswap V2: the exact input paid in, everything the pair gives for it out (at
///         least the caller's minimum), on the factory's pair of the two tokens.
/// @dev Settlement: the vault transfers `amountIn` straight to the pair (this adapter's {inputRecipient}), then
///      calls {swap}, which quotes the input the pair has received (its balance above its reserve) with the
///      constant-product formula and the 0.3 % fee, from the pair's reserves, and calls `pair.swap` for exactly
///      that quote to the recipient. The quote is the largest output the pair accepts, so nothing is left in the
///      pair beyond its fee: no slippage tolerance is donated to the pool (where a back-runner would take it).
///      An output below the caller's minimum fails with a typed error ({InsufficientOutput}). No token ever sits
///      in the adapter and no allowance is needed. Only the vault may call {swap}.
///
///      The pair's address is derived as the factory derives it (CREATE2 from the factory, salt
///      `keccak256(token0, token1)`, the pair's init code hash), like Uniswap's own router library, rather than read
///      with `factory.getPair` (a cold account and a cold slot: about 5k gas on every gated trade); a derived
///      address without code means the factory has no such pair ({PairNotFound}). The tests check the derivation
///      against `getPair` and the init code hash against the v2-core npm artifact.
contract UniswapV2Venue is IVenue, IUniswapV2VenueErrors {
    /// @notice Uniswap V2's fee: an input counts for 997/1000 of itself.
    uint256 public constant FEE_NUMERATOR = 997;
    /// @notice See {FEE_NUMERATOR}.
    uint256 public constant FEE_DENOMINATOR = 1000;

    /// @notice Uniswap V2's pair init code hash (keccak256 of `UniswapV2Pair`'s creation code), as on Ethereum
    ///         mainnet and in the v2-core npm artifacts.
    bytes32 public constant UNISWAP_V2_PAIR_INIT_CODE_HASH =
        0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f;

    /// @notice The Uniswap V2 factory whose pairs the adapter trades on.
    IUniswapV2Factory public immutable FACTORY;
    /// @notice The only caller of {swap}.
    address public immutable VAULT;
    /// @notice keccak256 of the pair creation code the factory deploys (for a fork of Uniswap V2, its own).
    bytes32 public immutable PAIR_INIT_CODE_HASH;

    /// @notice Deploys the adapter.
    /// @param factory The Uniswap V2 factory.
    /// @param vault The vault allowed to swap.
    /// @param pairInitCodeHash The factory's pair init code hash ({UNISWAP_V2_PAIR_INIT_CODE_HASH} for Uniswap V2).
    constructor(IUniswapV2Factory factory, address vault, bytes32 pairInitCodeHash) {
        FACTORY = factory;
        VAULT = vault;
        PAIR_INIT_CODE_HASH = pairInitCodeHash;
    }

    /// @inheritdoc IVenue
    /// @dev The pair of the two tokens; reverts with {PairNotFound} when there is none.
    function inputRecipient(IERC20 tokenIn, IERC20 tokenOut) external view returns (address) {
        return address(_pair(tokenIn, tokenOut));
    }

    /// @inheritdoc IVenue
    /// @dev Swaps everything the pair has received since its last update (at least `amountIn`, else
    ///      {InputNotPaid}): a donation sitting in the pair goes to the recipient too, so nothing stays behind. On
    ///      every gated trade, so the pair's calls are made in assembly, without the ABI coder: each bubbles up the
    ///      pair's or token's revert data, and a reply too short to decode reverts with {MalformedReturnData}.
    function swap(IERC20 tokenIn, IERC20 tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient) external {
        if (msg.sender != VAULT) revert UnauthorizedCaller(msg.sender);
        IUniswapV2Pair pair = _pair(tokenIn, tokenOut);
        bool inIsToken0 = address(tokenIn) < address(tokenOut);
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pair, inIsToken0);
        uint256 balanceIn = _balanceOf(tokenIn, address(pair));
        uint256 paid;
        unchecked {
            paid = balanceIn > reserveIn ? balanceIn - reserveIn : 0;
        }
        if (paid < amountIn) revert InputNotPaid(paid, amountIn);
        uint256 amountOut = getAmountOut(paid, reserveIn, reserveOut);
        if (amountOut < minAmountOut || amountOut == 0) revert InsufficientOutput(amountOut, minAmountOut);
        (uint256 amount0Out, uint256 amount1Out) = inIsToken0 ? (uint256(0), amountOut) : (amountOut, uint256(0));
        bytes4 selector = IUniswapV2Pair.swap.selector;
        assembly ("memory-safe") {
            // pair.swap(amount0Out, amount1Out, recipient, ""): the empty bytes at offset 0x80, length 0.
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), amount0Out)
            mstore(add(m, 0x24), amount1Out)
            mstore(add(m, 0x44), recipient)
            mstore(add(m, 0x64), 0x80)
            mstore(add(m, 0x84), 0)
            if iszero(call(gas(), pair, 0, m, 0xa4, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// @notice The most `tokenOut` the pair gives now for `amountIn` of `tokenIn`.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @param amountIn The amount sold.
    /// @return amountOut The largest output the pair accepts.
    function quote(IERC20 tokenIn, IERC20 tokenOut, uint256 amountIn) external view returns (uint256 amountOut) {
        IUniswapV2Pair pair = _pair(tokenIn, tokenOut);
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pair, address(tokenIn) < address(tokenOut));
        return getAmountOut(amountIn, reserveIn, reserveOut);
    }

    /// @notice Uniswap V2's output for an input: `in·997·rOut / (rIn·1000 + in·997)`, rounded down.
    /// @param amountIn The input.
    /// @param reserveIn The input token's reserve.
    /// @param reserveOut The output token's reserve.
    /// @return The output.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        if (amountIn == 0 || reserveOut == 0) return 0;
        uint256 amountInWithFee = amountIn * FEE_NUMERATOR;
        return (amountInWithFee * reserveOut) / (reserveIn * FEE_DENOMINATOR + amountInWithFee);
    }

    /// @notice The address the factory deploys (or deployed) the pair of two tokens at, in either order.
    /// @param tokenA One token.
    /// @param tokenB The other token.
    /// @return pair The pair's address (without code when the pair does not exist).
    function pairFor(IERC20 tokenA, IERC20 tokenB) public view returns (address pair) {
        (address token0, address token1) =
            address(tokenA) < address(tokenB) ? (address(tokenA), address(tokenB)) : (address(tokenB), address(tokenA));
        (address factory, bytes32 initCodeHash) = (address(FACTORY), PAIR_INIT_CODE_HASH);
        // keccak256(0xff ++ factory ++ keccak256(token0 ++ token1) ++ initCodeHash), in scratch memory (twice on
        // every gated trade; the encodePacked form allocates and copies).
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(96, token0))
            mstore(add(m, 0x14), shl(96, token1))
            let salt := keccak256(m, 0x28)
            mstore(m, or(shl(248, 0xff), shl(88, factory)))
            mstore(add(m, 0x15), salt)
            mstore(add(m, 0x35), initCodeHash)
            pair := and(keccak256(m, 0x55), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @dev The factory's pair of the two tokens; reverts with {PairNotFound} when it does not exist.
    function _pair(IERC20 tokenIn, IERC20 tokenOut) private view returns (IUniswapV2Pair pair) {
        pair = IUniswapV2Pair(pairFor(tokenIn, tokenOut));
        if (address(pair).code.length == 0) revert PairNotFound(address(tokenIn), address(tokenOut));
    }

    /// @dev The pair's reserves as (input, output).
    function _reserves(IUniswapV2Pair pair, bool inIsToken0)
        private
        view
        returns (uint256 reserveIn, uint256 reserveOut)
    {
        bytes4 selector = IUniswapV2Pair.getReserves.selector;
        uint256 reserve0;
        uint256 reserve1;
        bool malformed;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            if iszero(staticcall(gas(), pair, m, 0x04, m, 0x40)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            reserve0 := mload(m)
            reserve1 := mload(add(m, 0x20))
            // (uint112, uint112, uint32): both reserves present and clean.
            malformed := or(lt(returndatasize(), 0x60), shr(112, or(reserve0, reserve1)))
        }
        if (malformed) revert MalformedReturnData(address(pair));
        return inIsToken0 ? (reserve0, reserve1) : (reserve1, reserve0);
    }

    /// @dev `token.balanceOf(account)`.
    function _balanceOf(IERC20 token, address account) private view returns (uint256 amount) {
        bytes4 selector = IERC20.balanceOf.selector;
        bool malformed;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, account)
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            malformed := lt(returndatasize(), 0x20)
            amount := mload(0x00)
        }
        if (malformed) revert MalformedReturnData(address(token));
    }
}
