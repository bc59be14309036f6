// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title AggregatorV3Interface
/// @notice The read interface of a Chainlink price feed (same shape and semantics as Chainlink's
///         `AggregatorV3Interface`), written out here so the project does not depend on Chainlink's package.
/// @dev Consumers are expected to check, at least, that `answer > 0` and that `updatedAt` is recent enough
///      (within the feed's heartbeat). `updatedAt == 0` means the round is not complete.
interface AggregatorV3Interface {
    /// @notice Number of decimals in `answer` (e.g. 8 means `answer = 1e8` is 1.0).
    /// @return The number of decimals of every answer this feed reports.
    function decimals() external view returns (uint8);

    /// @notice Human-readable description of the feed, e.g. "ETH / USD".
    /// @return The description.
    function description() external view returns (string memory);

    /// @notice Version of the aggregator implementation.
    /// @return The version number.
    function version() external view returns (uint256);

    /// @notice Data of a given round.
    /// @dev Implementations revert when `_roundId` is unknown.
    /// @param _roundId The round to read.
    /// @return roundId The round id (equal to `_roundId`).
    /// @return answer The answer of that round.
    /// @return startedAt When the round started.
    /// @return updatedAt When the round's answer was last updated (0 means the round is not complete).
    /// @return answeredInRound The round in which `answer` was computed.
    function getRoundData(uint80 _roundId)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice Data of the latest round.
    /// @return roundId The latest round id.
    /// @return answer The latest answer.
    /// @return startedAt When the latest round started.
    /// @return updatedAt When the latest answer was last updated (0 means the round is not complete).
    /// @return answeredInRound The round in which `answer` was computed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
