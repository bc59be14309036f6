// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title IPriceFeedErrors
/// @notice Custom errors of {PriceFeed}.
interface IPriceFeedErrors {
    /// @notice `getRoundData` was asked for a round that does not exist (0, or later than the latest round).
    /// @param roundId The requested round id.
    error UnknownRound(uint80 roundId);

    /// @notice `submitAt` was given an `updatedAt` later than the current block timestamp.
    /// @param updatedAt The rejected timestamp.
    /// @param currentTime The current block timestamp.
    error UpdatedAtInFuture(uint256 updatedAt, uint256 currentTime);

    /// @notice `submitAt` was given an `updatedAt` earlier than the previous round's `updatedAt`.
    /// @param updatedAt The rejected timestamp.
    /// @param previousUpdatedAt The `updatedAt` of the latest round.
    error UpdatedAtBeforePreviousRound(uint256 updatedAt, uint256 previousUpdatedAt);
}

/// @title IPriceFeedEvents
/// @notice Events of {PriceFeed}; same signatures as Chainlink's `AggregatorInterface`.
interface IPriceFeedEvents {
    /// @notice A round's answer was set.
    /// @param current The new answer.
    /// @param roundId The round the answer belongs to.
    /// @param updatedAt The round's `updatedAt`.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice A new round was started.
    /// @param roundId The new round id.
    /// @param startedBy The account that started it.
    /// @param startedAt The round's `startedAt`.
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);
}

/// @title IPriceFeed
/// @notice A Chainlink-shaped price feed whose answers are pushed by its owner (local chains, demos, tests).
interface IPriceFeed is AggregatorV3Interface, IPriceFeedErrors, IPriceFeedEvents {
    /// @notice Starts a new round with `answer`, timestamped now.
    /// @dev Sets `startedAt = updatedAt = block.timestamp` and `answeredInRound = roundId`.
    ///      Non-positive answers are accepted on purpose (see {PriceFeed}).
    /// @param answer The new answer, with {decimals} decimals.
    /// @return roundId The id of the new round.
    function submit(int256 answer) external returns (uint80 roundId);

    /// @notice Starts a new round with `answer`, timestamped `updatedAt` (for backdated, i.e. stale, data).
    /// @dev Sets `startedAt = updatedAt` and `answeredInRound = roundId`. `updatedAt` must not be in the
    ///      future and must not be earlier than the previous round's `updatedAt` (equal is allowed).
    /// @param answer The new answer, with {decimals} decimals.
    /// @param updatedAt The round's timestamp.
    /// @return roundId The id of the new round.
    function submitAt(int256 answer, uint256 updatedAt) external returns (uint80 roundId);
}
