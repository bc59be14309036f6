// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IPriceFeedErrors, IPriceFeedEvents} from "../src/feeds/IPriceFeed.sol";
import {PriceFeed} from "../src/feeds/PriceFeed.sol";
import {Test} from "./utils/Test.sol";

contract PriceFeedTest is Test, IPriceFeedEvents {
    uint8 internal constant DECIMALS = 8;
    string internal constant DESCRIPTION = "ETH / USD";
    int256 internal constant INITIAL_ANSWER = 3_000e8;
    uint256 internal constant DEPLOYED_AT = 1_700_000_000;

    address internal owner = address(this);
    address internal stranger = address(0xBEEF);

    PriceFeed internal feed;

    function setUp() public {
        vm.warp(DEPLOYED_AT);
        feed = new PriceFeed(DECIMALS, DESCRIPTION, INITIAL_ANSWER);
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Checks every field of a round read through `getRoundData` and, when `latest`, `latestRoundData`.
    function _assertRound(uint80 id, int256 answer, uint256 timestamp, bool latest) internal view {
        (uint80 roundId, int256 gotAnswer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
            feed.getRoundData(id);
        assertEq(uint256(roundId), uint256(id), "getRoundData roundId");
        assertEq(gotAnswer, answer, "getRoundData answer");
        assertEq(startedAt, timestamp, "getRoundData startedAt");
        assertEq(updatedAt, timestamp, "getRoundData updatedAt");
        assertEq(uint256(answeredInRound), uint256(id), "getRoundData answeredInRound");
        if (latest) {
            (roundId, gotAnswer, startedAt, updatedAt, answeredInRound) = feed.latestRoundData();
            assertEq(uint256(roundId), uint256(id), "latestRoundData roundId");
            assertEq(gotAnswer, answer, "latestRoundData answer");
            assertEq(startedAt, timestamp, "latestRoundData startedAt");
            assertEq(updatedAt, timestamp, "latestRoundData updatedAt");
            assertEq(uint256(answeredInRound), uint256(id), "latestRoundData answeredInRound");
        }
    }

    function _latestRoundId() internal view returns (uint80 roundId) {
        (roundId,,,,) = feed.latestRoundData();
    }

    // ---------------------------------------------------------------- constructor

    function test_Constructor_SetsMetadata() public view {
        assertEq(uint256(feed.decimals()), uint256(DECIMALS), "decimals");
        assertEq(feed.description(), DESCRIPTION, "description");
        assertEq(feed.version(), 1, "version");
        assertEq(feed.VERSION(), 1, "VERSION");
        assertEq(feed.owner(), owner, "owner is the deployer");
    }

    function test_Constructor_SubmitsFirstRound() public view {
        _assertRound(1, INITIAL_ANSWER, DEPLOYED_AT, true);
    }

    function test_Constructor_EmitsFirstRoundEvents() public {
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectEmit(true, true, true, true, expected);
        emit NewRound(1, address(this), DEPLOYED_AT);
        vm.expectEmit(true, true, true, true, expected);
        emit AnswerUpdated(42, 1, DEPLOYED_AT);
        PriceFeed other = new PriceFeed(18, "DAI / ETH", 42);
        assertEq(address(other), expected, "deployed where predicted");
    }

    function test_Constructor_AcceptsNonPositiveInitialAnswer() public {
        PriceFeed zero = new PriceFeed(DECIMALS, DESCRIPTION, 0);
        (, int256 answer,,,) = zero.latestRoundData();
        assertEq(answer, 0, "zero initial answer");

        PriceFeed negative = new PriceFeed(DECIMALS, DESCRIPTION, -1);
        (, answer,,,) = negative.latestRoundData();
        assertEq(answer, -1, "negative initial answer");
    }

    function test_Constructor_StoresAnyDecimals() public {
        PriceFeed feed18 = new PriceFeed(18, "", INITIAL_ANSWER);
        assertEq(uint256(feed18.decimals()), 18, "decimals");
        assertEq(feed18.description(), "", "empty description");
    }

    // ---------------------------------------------------------------- submit

    function test_Submit_StartsNewRound() public {
        vm.warp(DEPLOYED_AT + 60);
        uint80 roundId = feed.submit(3_100e8);

        assertEq(uint256(roundId), 2, "returned round id");
        _assertRound(2, 3_100e8, DEPLOYED_AT + 60, true);
        _assertRound(1, INITIAL_ANSWER, DEPLOYED_AT, false);
    }

    function test_Submit_EmitsNewRoundAndAnswerUpdated() public {
        vm.warp(DEPLOYED_AT + 60);
        vm.expectEmit(true, true, true, true, address(feed));
        emit NewRound(2, owner, DEPLOYED_AT + 60);
        vm.expectEmit(true, true, true, true, address(feed));
        emit AnswerUpdated(3_100e8, 2, DEPLOYED_AT + 60);
        feed.submit(3_100e8);
    }

    function test_Submit_SameBlockStartsAnotherRound() public {
        feed.submit(1);
        feed.submit(2);
        _assertRound(2, 1, DEPLOYED_AT, false);
        _assertRound(3, 2, DEPLOYED_AT, true);
    }

    function test_Submit_AcceptsZeroAnswer() public {
        feed.submit(0);
        _assertRound(2, 0, DEPLOYED_AT, true);
    }

    function test_Submit_AcceptsNegativeAnswer() public {
        feed.submit(type(int256).min);
        _assertRound(2, type(int256).min, DEPLOYED_AT, true);
    }

    function test_RevertSubmit_WhenNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        feed.submit(1);
    }

    function testFuzz_Submit_RecordsAnswer(int256 answer) public {
        vm.warp(DEPLOYED_AT + 1);
        uint80 roundId = feed.submit(answer);
        assertEq(uint256(roundId), 2, "round id");
        _assertRound(2, answer, DEPLOYED_AT + 1, true);
        _assertRound(1, INITIAL_ANSWER, DEPLOYED_AT, false);
    }

    function testFuzz_RevertSubmit_WhenNotOwner(address caller, int256 answer) public {
        vm.assume(caller != owner);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        feed.submit(answer);
    }

    // ---------------------------------------------------------------- submitAt

    function test_SubmitAt_BackdatesRound() public {
        vm.warp(DEPLOYED_AT + 1 days);
        uint80 roundId = feed.submitAt(2_900e8, DEPLOYED_AT + 1 hours);

        assertEq(uint256(roundId), 2, "returned round id");
        _assertRound(2, 2_900e8, DEPLOYED_AT + 1 hours, true);
    }

    function test_SubmitAt_EmitsEventsWithGivenTimestamp() public {
        vm.warp(DEPLOYED_AT + 1 days);
        vm.expectEmit(true, true, true, true, address(feed));
        emit NewRound(2, owner, DEPLOYED_AT + 1 hours);
        vm.expectEmit(true, true, true, true, address(feed));
        emit AnswerUpdated(2_900e8, 2, DEPLOYED_AT + 1 hours);
        feed.submitAt(2_900e8, DEPLOYED_AT + 1 hours);
    }

    function test_SubmitAt_AcceptsCurrentTimestamp() public {
        vm.warp(DEPLOYED_AT + 10);
        feed.submitAt(7, DEPLOYED_AT + 10);
        _assertRound(2, 7, DEPLOYED_AT + 10, true);
    }

    function test_SubmitAt_AcceptsPreviousRoundTimestamp() public {
        vm.warp(DEPLOYED_AT + 10);
        feed.submitAt(7, DEPLOYED_AT);
        _assertRound(2, 7, DEPLOYED_AT, true);
    }

    function test_SubmitAt_RevertWhenInFuture() public {
        vm.expectRevert(
            abi.encodeWithSelector(IPriceFeedErrors.UpdatedAtInFuture.selector, DEPLOYED_AT + 1, DEPLOYED_AT)
        );
        feed.submitAt(1, DEPLOYED_AT + 1);
    }

    function test_SubmitAt_RevertWhenBeforePreviousRound() public {
        vm.warp(DEPLOYED_AT + 100);
        feed.submit(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPriceFeedErrors.UpdatedAtBeforePreviousRound.selector, DEPLOYED_AT + 99, DEPLOYED_AT + 100
            )
        );
        feed.submitAt(2, DEPLOYED_AT + 99);
    }

    function test_RevertSubmitAt_WhenNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        feed.submitAt(1, DEPLOYED_AT);
    }

    function testFuzz_SubmitAt_RecordsBackdatedRound(int256 answer, uint256 elapsed, uint256 age) public {
        elapsed = bound(elapsed, 0, 10 * 365 days);
        age = bound(age, 0, elapsed);
        vm.warp(DEPLOYED_AT + elapsed);
        feed.submitAt(answer, DEPLOYED_AT + elapsed - age);
        _assertRound(2, answer, DEPLOYED_AT + elapsed - age, true);
    }

    function testFuzz_SubmitAt_RevertWhenInFuture(uint256 updatedAt) public {
        updatedAt = bound(updatedAt, DEPLOYED_AT + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeedErrors.UpdatedAtInFuture.selector, updatedAt, DEPLOYED_AT));
        feed.submitAt(1, updatedAt);
    }

    function testFuzz_SubmitAt_RevertWhenBeforePreviousRound(uint256 previous, uint256 updatedAt) public {
        previous = bound(previous, DEPLOYED_AT, DEPLOYED_AT + 365 days);
        updatedAt = bound(updatedAt, 0, previous - 1);
        vm.warp(DEPLOYED_AT + 365 days);
        feed.submitAt(1, previous);
        vm.expectRevert(
            abi.encodeWithSelector(IPriceFeedErrors.UpdatedAtBeforePreviousRound.selector, updatedAt, previous)
        );
        feed.submitAt(2, updatedAt);
    }

    // ---------------------------------------------------------------- history and reads

    function test_GetRoundData_KeepsHistory() public {
        vm.warp(DEPLOYED_AT + 10);
        feed.submit(-5);
        vm.warp(DEPLOYED_AT + 20);
        feed.submitAt(0, DEPLOYED_AT + 15);
        vm.warp(DEPLOYED_AT + 30);
        feed.submit(3_200e8);

        _assertRound(1, INITIAL_ANSWER, DEPLOYED_AT, false);
        _assertRound(2, -5, DEPLOYED_AT + 10, false);
        _assertRound(3, 0, DEPLOYED_AT + 15, false);
        _assertRound(4, 3_200e8, DEPLOYED_AT + 30, true);
    }

    function test_RevertGetRoundData_WhenUnknownRound() public {
        vm.expectRevert(abi.encodeWithSelector(IPriceFeedErrors.UnknownRound.selector, uint80(2)));
        feed.getRoundData(2);
    }

    function test_RevertGetRoundData_WhenRoundZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPriceFeedErrors.UnknownRound.selector, uint80(0)));
        feed.getRoundData(0);
    }

    function testFuzz_RevertGetRoundData_WhenUnknownRound(uint80 roundId) public {
        feed.submit(1);
        feed.submit(2);
        vm.assume(roundId == 0 || roundId > 3);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeedErrors.UnknownRound.selector, roundId));
        feed.getRoundData(roundId);
    }

    function testFuzz_History_KeepsEveryRound(uint8 count, int256 seed) public {
        count = uint8(bound(count, 1, 32));
        for (uint256 i = 0; i < count; i++) {
            vm.warp(DEPLOYED_AT + i * 60);
            feed.submit(_answerAt(seed, i));
        }
        assertEq(uint256(_latestRoundId()), uint256(count) + 1, "latest round id");
        _assertRound(1, INITIAL_ANSWER, DEPLOYED_AT, false);
        for (uint256 i = 0; i < count; i++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            _assertRound(uint80(i + 2), _answerAt(seed, i), DEPLOYED_AT + i * 60, i + 1 == count);
        }
    }

    function _answerAt(int256 seed, uint256 i) internal pure returns (int256) {
        return int256(uint256(keccak256(abi.encode(seed, i))));
    }

    function test_LatestRoundData_DoesNotRefreshWithTime() public {
        vm.warp(DEPLOYED_AT + 7 days);
        (,,, uint256 updatedAt,) = feed.latestRoundData();
        assertEq(updatedAt, DEPLOYED_AT, "updatedAt stays at the last submission (stale data is visible)");
    }

    // ---------------------------------------------------------------- ownership

    function test_TransferOwnership_MovesSubmitRight() public {
        feed.transferOwnership(stranger);

        vm.prank(stranger);
        feed.submit(11);
        _assertRound(2, 11, DEPLOYED_AT, true);

        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        feed.submit(12);
    }

    function test_Submit_NewRoundNamesSubmitterAsStartedBy() public {
        feed.transferOwnership(stranger);
        vm.expectEmit(true, true, true, true, address(feed));
        emit NewRound(2, stranger, DEPLOYED_AT);
        vm.prank(stranger);
        feed.submit(11);
    }
}
