// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IPriceFeed} from "./IPriceFeed.sol";

/// @title PriceFeed
/// @notice A Chainlink-shaped price feed for local chains and demos: the owner pushes answers, and readers
///         use it exactly like a Chainlink aggregator (`latestRoundData`, `getRoundData`, `decimals`).
/// @dev Every submission starts a new round: round ids count up from 1, `startedAt == updatedAt`, and
///      `answeredInRound == roundId`. Every round is kept, so `getRoundData` works for past rounds.
///
///      Non-positive answers (zero or negative) are accepted on purpose: this feed also models a
///      misbehaving oracle, so that consumers (the vault) can be tested against the `answer > 0` check.
///      Likewise `submitAt` can backdate a round to model stale data for the heartbeat check.
///
///      The constructor always submits the first round, so `latestRoundData` never runs without data.
contract PriceFeed is IPriceFeed, Ownable {
    /// @dev One round. `startedAt` is not stored: it always equals `updatedAt`.
    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    /// @dev The latest round in one storage slot, so that `latestRoundData` costs a single storage read (consumers
    ///      such as the vault read one feed per asset in every transaction). An answer that does not fit 128 bits
    ///      is flagged `wide` and read from the round's full record instead.
    struct Latest {
        uint32 roundId;
        uint64 updatedAt;
        int128 answer;
        bool wide;
    }

    /// @notice Implementation version reported by {version}.
    uint256 public constant VERSION = 1;

    uint8 private immutable _decimals;
    string private _description;

    /// @dev The latest round (the first round has id 1).
    Latest private _latest;
    mapping(uint80 roundId => Round) private _rounds;

    /// @notice Deploys the feed, owned by the deployer, and submits round 1 with `initialAnswer`.
    /// @param decimals_ Decimals of every answer (callers use 8, like Chainlink's USD feeds).
    /// @param description_ Human-readable description, e.g. "ETH / USD".
    /// @param initialAnswer The answer of round 1, timestamped at deployment (may be non-positive).
    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) Ownable(msg.sender) {
        _decimals = decimals_;
        _description = description_;
        _startRound(initialAnswer, block.timestamp);
    }

    /// @inheritdoc IPriceFeed
    function submit(int256 answer) external onlyOwner returns (uint80 roundId) {
        return _startRound(answer, block.timestamp);
    }

    /// @inheritdoc IPriceFeed
    function submitAt(int256 answer, uint256 updatedAt) external onlyOwner returns (uint80 roundId) {
        // The comparison only bounds what the owner may claim; validator drift is irrelevant here.
        // forge-lint: disable-next-line(block-timestamp)
        if (updatedAt > block.timestamp) revert UpdatedAtInFuture(updatedAt, block.timestamp);
        uint256 previousUpdatedAt = _latest.updatedAt;
        if (updatedAt < previousUpdatedAt) revert UpdatedAtBeforePreviousRound(updatedAt, previousUpdatedAt);
        return _startRound(answer, updatedAt);
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return VERSION;
    }

    /// @inheritdoc AggregatorV3Interface
    /// @dev Reverts with {UnknownRound} for round 0 and for rounds after the latest one.
    function getRoundData(uint80 _roundId)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (_roundId == 0 || _roundId > _latest.roundId) revert UnknownRound(_roundId);
        return _roundData(_roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Latest memory latest = _latest;
        roundId = latest.roundId;
        answer = latest.wide ? _rounds[roundId].answer : int256(latest.answer);
        return (roundId, answer, latest.updatedAt, latest.updatedAt, roundId);
    }

    /// @dev Records the next round and emits Chainlink's `NewRound` and `AnswerUpdated`.
    function _startRound(int256 answer, uint256 updatedAt) private returns (uint80 roundId) {
        uint32 id = _latest.roundId + 1;
        roundId = id;
        bool wide = answer > type(int128).max || answer < type(int128).min;
        // casting to 'int128' is safe because the answer is narrowed only when it fits (else it is `wide`)
        // forge-lint: disable-next-line(unsafe-typecast)
        int128 narrow = wide ? int128(0) : int128(answer);
        // casting to 'uint64' is safe because updatedAt <= block.timestamp (checked by submitAt, equal in submit)
        // forge-lint: disable-next-line(unsafe-typecast)
        _latest = Latest({roundId: id, updatedAt: uint64(updatedAt), answer: narrow, wide: wide});
        _rounds[roundId] = Round({answer: answer, updatedAt: updatedAt});
        emit NewRound(roundId, msg.sender, updatedAt);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    /// @dev Chainlink's five-value tuple for a known round.
    function _roundData(uint80 id)
        private
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round storage round = _rounds[id];
        return (id, round.answer, round.updatedAt, round.updatedAt, id);
    }
}
