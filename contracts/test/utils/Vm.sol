// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev Address of Foundry's cheatcode contract: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
address constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

/// @title Vm
/// @notice The few Foundry cheatcodes this project's tests use (forge-std is not available offline).
///         Signatures must match Foundry's exactly; add more here as tests need them.
interface Vm {
    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @notice Sets `block.number`.
    function roll(uint256 newHeight) external;

    /// @notice Makes the next call's `msg.sender` be `msgSender`.
    function prank(address msgSender) external;

    /// @notice Makes every following call's `msg.sender` be `msgSender`, until {stopPrank}.
    function startPrank(address msgSender) external;

    /// @notice Ends a {startPrank}.
    function stopPrank() external;

    /// @notice Expects the next call to revert with exactly `revertData` as its selector (no arguments).
    function expectRevert(bytes4 revertData) external;

    /// @notice Expects the next call to revert with exactly `revertData` (selector and encoded arguments).
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expects the next emitted event to match the one emitted next by the test, comparing the
    ///         chosen topics and the data, from any emitter.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;

    /// @notice Like the four-flag form, but the event must also come from `emitter`.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    /// @notice Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    /// @notice The address `deployer` will deploy its next contract to, for nonce `nonce`.
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);

    /// @notice Current nonce of `account`.
    function getNonce(address account) external view returns (uint64);
}
