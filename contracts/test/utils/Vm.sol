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

    /// @notice Sets `block.chainid`.
    function chainId(uint256 newChainId) external;

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

    /// @notice Sets the code at `target` to `newRuntimeBytecode`.
    function etch(address target, bytes calldata newRuntimeBytecode) external;

    /// @notice The address `deployer` will deploy its next contract to, for nonce `nonce`.
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);

    /// @notice Current nonce of `account`.
    function getNonce(address account) external view returns (uint64);

    /// @notice Makes calls to `callee` with exactly `data` (or a prefix of it) return `returnData`.
    function mockCall(address callee, bytes calldata data, bytes calldata returnData) external;

    /// @notice Gives `account` a name in traces.
    function label(address account, string calldata newLabel) external;

    /// @notice Skips the current test when `skipTest` is true.
    function skip(bool skipTest) external;

    /// @notice Whether `path` (relative to the project root) exists; needs `fs_permissions`.
    function exists(string calldata path) external view returns (bool result);

    /// @notice The whole text of the file at `path` (relative to the project root); needs `fs_permissions`.
    function readFile(string calldata path) external view returns (string memory data);

    /// @notice Creation bytecode of a compiled artifact, e.g. `"RiskVerifier.sol:RiskVerifier"`.
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);

    /// @notice Whether the JSON path `key` exists in `json`.
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);

    /// @notice The unsigned integer at `key` (a JSON number or a decimal/hex string).
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);

    /// @notice The unsigned integers at `key` (an array of numbers or decimal/hex strings).
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);

    /// @notice The bytes32 at `key` (a 0x-prefixed hex string).
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);

    /// @notice The address at `key`.
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);

    /// @notice The string at `key`.
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);

    /// @notice `stringifiedValue` (a 0x-prefixed hex string) as bytes.
    function parseBytes(string calldata stringifiedValue) external pure returns (bytes memory parsedValue);

    /// @notice One log recorded after {recordLogs}.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    /// @notice Starts recording every emitted log.
    function recordLogs() external;

    /// @notice The logs recorded since {recordLogs} or the previous call, which it clears.
    function getRecordedLogs() external returns (Log[] memory logs);
}
