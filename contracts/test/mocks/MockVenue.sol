// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IVenue} from "../../src/venues/IVenue.sol";

/// @title MockVenue
/// @notice A venue that settles from its own inventory at whatever price it is asked (it pays `minAmountOut`), and
///         can misbehave or be generous: deliver `shortfall` units less than asked, hand `refund` units of the
///         input back (so the vault spent less), or deliver `bonus` units more.
contract MockVenue is IVenue {
    uint256 public shortfall;
    uint256 public refund;
    uint256 public bonus;

    /// @notice Makes the venue misbehave.
    function setMisbehaviour(uint256 shortfall_, uint256 refund_) external {
        (shortfall, refund) = (shortfall_, refund_);
    }

    /// @notice Makes the venue deliver `bonus_` units more than the minimum.
    function setBonus(uint256 bonus_) external {
        bonus = bonus_;
    }

    /// @inheritdoc IVenue
    function inputRecipient(IERC20, IERC20) external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IVenue
    function swap(IERC20 tokenIn, IERC20 tokenOut, uint256, uint256 minAmountOut, address recipient) external {
        if (refund != 0) require(tokenIn.transfer(recipient, refund), "refund failed");
        require(tokenOut.transfer(recipient, minAmountOut + bonus - shortfall), "payout failed");
    }
}
