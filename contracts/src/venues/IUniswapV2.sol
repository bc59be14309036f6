// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IUniswapV2Factory
/// @notice The part of Uniswap V2's factory the venue adapter and the tests use.
interface IUniswapV2Factory {
    /// @notice The pair of `tokenA` and `tokenB` (in either order), or zero when there is none.
    /// @param tokenA One token.
    /// @param tokenB The other token.
    /// @return pair The pair's address.
    function getPair(address tokenA, address tokenB) external view returns (address pair);

    /// @notice Creates the pair of `tokenA` and `tokenB`.
    /// @param tokenA One token.
    /// @param tokenB The other token.
    /// @return pair The new pair's address.
    function createPair(address tokenA, address tokenB) external returns (address pair);
}

/// @title IUniswapV2Pair
/// @notice The part of a Uniswap V2 pair the venue adapter and the tests use.
interface IUniswapV2Pair {
    /// @notice The pair's lower-addressed token.
    /// @return The token's address.
    function token0() external view returns (address);

    /// @notice The pair's higher-addressed token.
    /// @return The token's address.
    function token1() external view returns (address);

    /// @notice The reserves as of the last update.
    /// @return reserve0 Reserve of token0.
    /// @return reserve1 Reserve of token1.
    /// @return blockTimestampLast Timestamp (mod 2^32) of the last update.
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    /// @notice Sends the requested outputs to `to`; the inputs must already have been paid to the pair, and
    ///         the pair checks its constant product (after the 0.3 % fee) on the new balances.
    /// @param amount0Out Amount of token0 to send.
    /// @param amount1Out Amount of token1 to send.
    /// @param to The recipient.
    /// @param data Flash-swap callback data; empty for a plain swap.
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;

    /// @notice Sets the reserves to the balances (and updates the price accumulators).
    function sync() external;

    /// @notice Mints liquidity tokens to `to` for the tokens paid to the pair since the last update.
    /// @param to The recipient.
    /// @return liquidity The liquidity minted.
    function mint(address to) external returns (uint256 liquidity);
}
