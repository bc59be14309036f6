// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title console
/// @notice The two forms of Foundry's `console.log` the tests use (forge-std is not available offline): calls to
///         the console address that forge prints with `-vv`.
library console {
    address internal constant CONSOLE_ADDRESS = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory message) internal view {
        _send(abi.encodeWithSignature("log(string)", message));
    }

    function log(string memory message, uint256 value) internal view {
        _send(abi.encodeWithSignature("log(string,uint256)", message, value));
    }

    function _send(bytes memory payload) private view {
        (bool ok,) = CONSOLE_ADDRESS.staticcall(payload);
        ok;
    }
}
