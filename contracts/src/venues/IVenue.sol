// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IVenue
/// @notice A trading venue as the vault uses it: an exact-input swap paid in advance, for at least a minimum.
/// @dev The vault transfers exactly `amountIn` of `tokenIn` to `inputRecipient(tokenIn, tokenOut)` and then
///      calls `swap`, which must deliver to `recipient`, in the same call, everything the venue gives for that
///      input, and at least `minAmountOut` (the proven `amountOut`). Paying the venue's settlement address
///      directly (a Uniswap V2 pair, say) saves a token hop and any allowance; a venue that settles itself returns
///      its own address. The vault checks both balances afterwards (it trusts no return value), reverts the whole
///      trade when the venue took more or delivered less than the minimum, and credits what it received.
interface IVenue {
    /// @notice Where the vault must send `tokenIn` before calling {swap} for this pair of tokens.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @return The address to pay.
    function inputRecipient(IERC20 tokenIn, IERC20 tokenOut) external view returns (address);

    /// @notice Swaps the `amountIn` of `tokenIn` already paid to {inputRecipient} for what the venue gives for it,
    ///         at least `minAmountOut` of `tokenOut`, sent to `recipient`.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @param amountIn The amount paid in, in `tokenIn` units.
    /// @param minAmountOut The least acceptable output, in `tokenOut` units.
    /// @param recipient Who receives `tokenOut`.
    function swap(IERC20 tokenIn, IERC20 tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient) external;
}
