// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IVenue
/// @notice A trading venue as the vault uses it: an exact-in, exact-out swap paid in advance.
/// @dev The vault transfers exactly `amountIn` of `tokenIn` to `inputRecipient(tokenIn, tokenOut)` and then
///      calls `swap`, which must deliver exactly `amountOut` of `tokenOut` to `recipient` in the same call.
///      Paying the venue's settlement address directly (a Uniswap V2 pair, say) saves a token hop and any
///      allowance; a venue that settles itself returns its own address. The vault checks both balances
///      afterwards and reverts the whole trade when the venue took more or delivered less.
interface IVenue {
    /// @notice Where the vault must send `tokenIn` before calling {swap} for this pair of tokens.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @return The address to pay.
    function inputRecipient(IERC20 tokenIn, IERC20 tokenOut) external view returns (address);

    /// @notice Swaps the `amountIn` of `tokenIn` already paid to {inputRecipient} for exactly `amountOut` of
    ///         `tokenOut`, sent to `recipient`.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @param amountIn The amount paid in, in `tokenIn` units.
    /// @param amountOut The exact amount to deliver, in `tokenOut` units.
    /// @param recipient Who receives `tokenOut`.
    function swap(IERC20 tokenIn, IERC20 tokenOut, uint256 amountIn, uint256 amountOut, address recipient) external;
}
