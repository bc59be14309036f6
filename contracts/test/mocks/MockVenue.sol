// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IVenue} from "../../src/venues/IVenue.sol";

/// @title MockVenue
/// @notice A venue that settles from its own inventory at whatever price it is asked, and can misbehave: deliver
///         `shortfall` units less than asked, or hand `refund` units of the input back (so the vault spent less).
contract MockVenue is IVenue {
    uint256 public shortfall;
    uint256 public refund;

    /// @notice Makes the venue misbehave.
    function setMisbehaviour(uint256 shortfall_, uint256 refund_) external {
        (shortfall, refund) = (shortfall_, refund_);
    }

    /// @inheritdoc IVenue
    function inputRecipient(IERC20, IERC20) external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IVenue
    function swap(IERC20 tokenIn, IERC20 tokenOut, uint256, uint256 amountOut, address recipient) external {
        if (refund != 0) require(tokenIn.transfer(recipient, refund), "refund failed");
        require(tokenOut.transfer(recipient, amountOut - shortfall), "payout failed");
    }
}
