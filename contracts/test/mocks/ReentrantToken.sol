// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockERC20} from "./MockERC20.sol";

/// @title ReentrantToken
/// @notice A malicious ERC-20: once armed, every transfer sent FROM `trigger` first calls `target` with `payload`
///         (re-entering it mid-operation) and bubbles up the callee's revert.
contract ReentrantToken is MockERC20 {
    address public trigger;
    address public target;
    bytes public payload;
    /// @notice How many re-entries returned successfully (stays 0 when the target is guarded).
    uint256 public successfulReentries;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) MockERC20(name_, symbol_, decimals_) {}

    /// @notice Arms the attack.
    /// @param trigger_ Transfers from this address trigger the call.
    /// @param target_ The contract to re-enter.
    /// @param payload_ The calldata to re-enter with.
    function arm(address trigger_, address target_, bytes calldata payload_) external {
        (trigger, target, payload) = (trigger_, target_, payload_);
    }

    /// @dev Re-enters before moving the balance, as a hostile token hook would.
    function _update(address from, address to, uint256 value) internal override {
        if (from == trigger && target != address(0)) {
            (bool ok, bytes memory data) = target.call(payload);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(data, 0x20), mload(data))
                }
            }
            ++successfulReentries;
        }
        super._update(from, to, value);
    }
}
