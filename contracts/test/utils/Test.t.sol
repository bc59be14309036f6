// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {VM_ADDRESS} from "./Vm.sol";

/// @dev Target for the cheatcode checks below.
contract CheatcodeProbe {
    error Nope();

    event Ping(uint256 indexed id, address indexed from, uint256 value);

    function whoAndWhen() external view returns (address, uint256, uint256) {
        return (msg.sender, block.timestamp, block.number);
    }

    function nope() external pure {
        revert Nope();
    }

    function ping(uint256 id, uint256 value) external {
        emit Ping(id, msg.sender, value);
    }
}

/// @notice Self-test of the hand-written forge-std stand-ins: every declared cheatcode signature is one
///         Foundry knows, and every assertion fails (reverts) with the documented message.
contract TestHelpersTest is Test {
    event Ping(uint256 indexed id, address indexed from, uint256 value);

    CheatcodeProbe internal probe = new CheatcodeProbe();

    function _error(string memory message) internal pure returns (bytes memory) {
        return abi.encodeWithSignature("Error(string)", message);
    }

    // ---------------------------------------------------------------- cheatcodes

    function test_Vm_AddressIsFoundrys() public pure {
        assertEq(VM_ADDRESS, 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D, "cheatcode address");
    }

    function test_Vm_WarpAndRoll() public {
        vm.warp(1234);
        vm.roll(99);
        (, uint256 timestamp, uint256 number) = probe.whoAndWhen();
        assertEq(timestamp, 1234, "timestamp");
        assertEq(number, 99, "block number");
    }

    function test_Vm_PrankAffectsOnlyNextCall() public {
        vm.prank(address(0xA11CE));
        (address first,,) = probe.whoAndWhen();
        (address second,,) = probe.whoAndWhen();
        assertEq(first, address(0xA11CE), "pranked call");
        assertEq(second, address(this), "next call");
    }

    function test_Vm_StartPrankUntilStopPrank() public {
        vm.startPrank(address(0xB0B));
        (address first,,) = probe.whoAndWhen();
        (address second,,) = probe.whoAndWhen();
        vm.stopPrank();
        (address third,,) = probe.whoAndWhen();
        assertEq(first, address(0xB0B), "first pranked call");
        assertEq(second, address(0xB0B), "second pranked call");
        assertEq(third, address(this), "after stopPrank");
    }

    function test_Vm_ExpectRevertSelector() public {
        vm.expectRevert(CheatcodeProbe.Nope.selector);
        probe.nope();
    }

    function test_Vm_ExpectRevertData() public {
        vm.expectRevert(abi.encodeWithSelector(CheatcodeProbe.Nope.selector));
        probe.nope();
    }

    function test_Vm_ExpectEmitAnyEmitter() public {
        vm.expectEmit(true, true, false, true);
        emit Ping(1, address(this), 2);
        probe.ping(1, 2);
    }

    function test_Vm_ExpectEmitFromEmitter() public {
        vm.expectEmit(true, true, true, true, address(probe));
        emit Ping(1, address(this), 2);
        probe.ping(1, 2);
    }

    function testFuzz_Vm_Assume(uint256 x) public pure {
        vm.assume(x % 2 == 0);
        assertEq(x % 2, 0, "assumed even");
    }

    function test_Vm_ComputeCreateAddress() public {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        assertEq(address(new CheatcodeProbe()), predicted, "predicted address");
    }

    // ---------------------------------------------------------------- assertions fail with clear messages

    function assertEqUint(uint256 a, uint256 b) external pure {
        assertEq(a, b, "amount");
    }

    function assertEqInt(int256 a, int256 b) external pure {
        assertEq(a, b);
    }

    function assertEqAddress(address a, address b) external pure {
        assertEq(a, b, "who");
    }

    function assertEqBytes32(bytes32 a, bytes32 b) external pure {
        assertEq(a, b, "hash");
    }

    function assertEqBool(bool a, bool b) external pure {
        assertEq(a, b, "flag");
    }

    function assertEqString(string memory a, string memory b) external pure {
        assertEq(a, b, "name");
    }

    function assertTrueExternal(bool condition) external pure {
        assertTrue(condition, "must hold");
    }

    function assertFalseExternal(bool condition) external pure {
        assertFalse(condition, "must not hold");
    }

    function failExternal() external pure {
        fail("boom");
    }

    function test_AssertEq_Uint_Fails() public {
        vm.expectRevert(_error("assertEq(uint256) amount: expected 2, got 1"));
        this.assertEqUint(1, 2);
    }

    function test_AssertEq_Int_FailsWithoutMessage() public {
        vm.expectRevert(_error("assertEq(int256): expected 5, got -5"));
        this.assertEqInt(-5, 5);
    }

    function test_AssertEq_Address_Fails() public {
        vm.expectRevert(
            _error(
                "assertEq(address) who: expected 0x0000000000000000000000000000000000000002, got 0x0000000000000000000000000000000000000001"
            )
        );
        this.assertEqAddress(address(1), address(2));
    }

    function test_AssertEq_Bytes32_Fails() public {
        vm.expectRevert(
            _error(
                "assertEq(bytes32) hash: expected 0x0000000000000000000000000000000000000000000000000000000000000000, got 0x00000000000000000000000000000000000000000000000000000000000000ff"
            )
        );
        this.assertEqBytes32(bytes32(uint256(0xff)), bytes32(0));
    }

    function test_AssertEq_Bool_Fails() public {
        vm.expectRevert(_error("assertEq(bool) flag: expected false, got true"));
        this.assertEqBool(true, false);
    }

    function test_AssertEq_String_Fails() public {
        vm.expectRevert(_error('assertEq(string) name: expected "b", got "a"'));
        this.assertEqString("a", "b");
    }

    function test_AssertTrue_Fails() public {
        vm.expectRevert(_error("assertTrue must hold: expected true, got false"));
        this.assertTrueExternal(false);
    }

    function test_AssertFalse_Fails() public {
        vm.expectRevert(_error("assertFalse must not hold: expected false, got true"));
        this.assertFalseExternal(true);
    }

    function test_Fail_Reverts() public {
        vm.expectRevert(_error("test failed: boom"));
        this.failExternal();
    }

    function test_Assertions_PassWhenEqual() public view {
        this.assertEqUint(1, 1);
        this.assertEqInt(-1, -1);
        this.assertEqAddress(address(this), address(this));
        this.assertEqBytes32(bytes32(0), bytes32(0));
        this.assertEqBool(true, true);
        this.assertEqString("x", "x");
        this.assertTrueExternal(true);
        this.assertFalseExternal(false);
    }

    function testFuzz_Bound_StaysInRange(uint256 x, uint256 min, uint256 max) public pure {
        vm.assume(min <= max);
        uint256 y = bound(x, min, max);
        assertTrue(y >= min && y <= max, "bound result in [min, max]");
    }
}
