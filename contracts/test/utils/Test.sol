// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @title Test
/// @notice Minimal stand-in for forge-std's `Test` (not available offline): the cheatcode handle and
///         assertion helpers. Every failed assertion reverts with a readable message, and forge counts a
///         reverting test as failed.
abstract contract Test {
    // forge-lint: disable-next-line(screaming-snake-case-const)
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev Fails the current test with `message`.
    function fail(string memory message) internal pure {
        revert(string.concat("test failed: ", message));
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) _fail("assertTrue", message, "true", "false");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) _fail("assertFalse", message, "false", "true");
    }

    function assertEq(uint256 actual, uint256 expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) {
            _fail("assertEq(uint256)", message, Strings.toString(expected), Strings.toString(actual));
        }
    }

    function assertEq(int256 actual, int256 expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(int256 actual, int256 expected, string memory message) internal pure {
        if (actual != expected) {
            _fail("assertEq(int256)", message, Strings.toStringSigned(expected), Strings.toStringSigned(actual));
        }
    }

    function assertEq(address actual, address expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(address actual, address expected, string memory message) internal pure {
        if (actual != expected) {
            _fail(
                "assertEq(address)", message, Strings.toChecksumHexString(expected), Strings.toChecksumHexString(actual)
            );
        }
    }

    function assertEq(bytes32 actual, bytes32 expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) {
            _fail("assertEq(bytes32)", message, _toHex(expected), _toHex(actual));
        }
    }

    function assertEq(bool actual, bool expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(bool actual, bool expected, string memory message) internal pure {
        if (actual != expected) {
            _fail("assertEq(bool)", message, _toString(expected), _toString(actual));
        }
    }

    function assertEq(string memory actual, string memory expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(string memory actual, string memory expected, string memory message) internal pure {
        if (!Strings.equal(actual, expected)) {
            _fail("assertEq(string)", message, string.concat('"', expected, '"'), string.concat('"', actual, '"'));
        }
    }

    /// @dev Clamps `x` into `[min, max]` (wrapping), like forge-std's `bound`, for fuzz inputs.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (min == 0 && max == type(uint256).max) return x;
        return min + (x % (max - min + 1));
    }

    function _fail(string memory assertion, string memory message, string memory expected, string memory actual)
        private
        pure
    {
        string memory prefix = bytes(message).length == 0 ? assertion : string.concat(assertion, " ", message);
        revert(string.concat(prefix, ": expected ", expected, ", got ", actual));
    }

    function _toHex(bytes32 value) private pure returns (string memory) {
        return Strings.toHexString(uint256(value), 32);
    }

    function _toString(bool value) private pure returns (string memory) {
        return value ? "true" : "false";
    }
}
