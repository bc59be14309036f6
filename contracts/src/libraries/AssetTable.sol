// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title AssetTable
/// @notice What the vault reads on every trade but changes only by governance's decision (the venue, the L2
///         sequencer-uptime feed and its grace period, and per asset token, feed, heartbeat, decimals and debt),
///         kept as the code of a small data contract: written rarely (each change deploys a new table), read with
///         one EXTCODECOPY (about 2.7k gas for 8 assets, where 17 cold storage slots would cost 36k).
/// @dev Code layout: a STOP byte (so the table can never run as code), then the 44-byte header: venue (20),
///      sequencer-uptime feed (20; zero on L1), grace period (4, big-endian, seconds); then one 62-byte entry per
///      asset: token (20), feed (20), heartbeat (4, big-endian), token decimals (1), feed decimals (1), debt (16,
///      big-endian). The table's address is the only thing the vault stores. A loaded table is the raw bytes after
///      the STOP byte; the accessors below read them in place.
library AssetTable {
    /// @notice One asset's configuration.
    /// @param token The ERC-20 token.
    /// @param feed Its USD feed.
    /// @param heartbeat Largest accepted age of the feed's answer, in seconds.
    /// @param tokenDecimals The token's decimals.
    /// @param feedDecimals The feed's decimals.
    /// @param debt Token units owed.
    struct Entry {
        IERC20 token;
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint8 tokenDecimals;
        uint8 feedDecimals;
        uint128 debt;
    }

    /// @notice What the table holds besides the assets.
    /// @param venue The venue trades are executed on (zero until set).
    /// @param sequencerFeed The Chainlink L2 sequencer-uptime feed (zero: none, as on L1).
    /// @param gracePeriod Seconds after the sequencer comes back up during which trades are still refused.
    struct Header {
        address venue;
        AggregatorV3Interface sequencerFeed;
        uint32 gracePeriod;
    }

    /// @notice Bytes of the header: venue, sequencer feed, grace period.
    uint256 internal constant HEADER_BYTES = 44;
    /// @notice Bytes of one entry.
    uint256 internal constant ENTRY_BYTES = 62;

    /// @notice Deploying the table failed.
    error TableDeploymentFailed();

    /// @notice Deploys a table of `header_` and `entries_` as a data contract.
    /// @return pointer The data contract's address.
    function store(Header memory header_, Entry[] memory entries_) internal returns (address pointer) {
        bytes memory data = abi.encodePacked(bytes1(0x00), header_.venue, header_.sequencerFeed, header_.gracePeriod);
        for (uint256 i = 0; i < entries_.length; ++i) {
            Entry memory e = entries_[i];
            data = abi.encodePacked(data, e.token, e.feed, e.heartbeat, e.tokenDecimals, e.feedDecimals, e.debt);
        }
        // Init code: PUSH2 len, DUP1, PUSH1 10, PUSH0, CODECOPY (copy the `len` bytes after this 10-byte prefix to
        // memory 0), PUSH0, RETURN (return them as the runtime code).
        // casting to 'uint16' is safe because a table is at most 1 + 44 + 16 * 62 bytes
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes memory init =
            abi.encodePacked(bytes1(0x61), uint16(data.length), bytes4(0x80600a5f), bytes3(0x395ff3), data);
        assembly ("memory-safe") {
            pointer := create(0, add(init, 0x20), mload(init))
        }
        if (pointer == address(0)) revert TableDeploymentFailed();
    }

    /// @notice The raw table at `pointer`, which holds `size` entries (just a zero header when `pointer` is zero).
    function load(address pointer, uint256 size) internal view returns (bytes memory table) {
        if (pointer == address(0)) return new bytes(HEADER_BYTES + size * ENTRY_BYTES);
        // On every trade: allocated by hand, without zeroing what EXTCODECOPY overwrites (bytes past the code's end
        // read as zero). `size` is at most MAX_ASSETS.
        assembly ("memory-safe") {
            table := mload(0x40)
            let length := add(HEADER_BYTES, mul(size, ENTRY_BYTES))
            mstore(table, length)
            mstore(0x40, add(add(table, 0x20), and(add(length, 0x1f), not(0x1f))))
            // Zero the last word first, so that the padding after `length` is clean.
            mstore(add(add(table, 0x20), and(sub(length, 1), not(0x1f))), 0)
            extcodecopy(pointer, add(table, 0x20), 1, length)
        }
    }

    // The accessors read a loaded table in place; count, venue and token, which every trade runs, in assembly
    // (without helper calls or checked arithmetic the optimizer inlines them). Callers pass i < count (reads past the
    // table's end would see whatever follows it in memory). The vault's valuation loop reads the entries' feed,
    // heartbeat, decimals and debt in assembly of its own, as {pricing} does.

    /// @notice Number of entries of a loaded table.
    function count(bytes memory table) internal pure returns (uint256 n) {
        // A loaded table is at least the header long (load allocates HEADER_BYTES + size * ENTRY_BYTES).
        assembly ("memory-safe") {
            n := div(sub(mload(table), HEADER_BYTES), ENTRY_BYTES)
        }
    }

    /// @notice The venue of a loaded table.
    function venue(bytes memory table) internal pure returns (address venue_) {
        assembly ("memory-safe") {
            venue_ := shr(96, mload(add(table, 0x20)))
        }
    }

    /// @notice The sequencer-uptime feed (zero when none) and its grace period of a loaded table.
    function sequencer(bytes memory table) internal pure returns (address feed, uint256 gracePeriod) {
        assembly ("memory-safe") {
            let word := mload(add(table, 0x34))
            feed := shr(96, word)
            gracePeriod := and(shr(64, word), 0xffffffff)
        }
    }

    /// @notice The header of a loaded table.
    function header(bytes memory table) internal pure returns (Header memory h) {
        (address feed, uint256 gracePeriod) = sequencer(table);
        h.venue = venue(table);
        h.sequencerFeed = AggregatorV3Interface(feed);
        // casting to 'uint32' is safe because `sequencer` masks the grace period to 32 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        h.gracePeriod = uint32(gracePeriod);
    }

    /// @notice The token of entry `i` of a loaded table.
    function token(bytes memory table, uint256 i) internal pure returns (IERC20 token_) {
        assembly ("memory-safe") {
            token_ := shr(96, mload(add(add(table, 0x20), add(HEADER_BYTES, mul(i, ENTRY_BYTES)))))
        }
    }

    /// @notice What valuing entry `i` needs: its feed, heartbeat, token plus feed decimals, and debt.
    function pricing(bytes memory table, uint256 i)
        internal
        pure
        returns (AggregatorV3Interface feed, uint256 heartbeat, uint256 decimals, uint256 debt)
    {
        unchecked {
            uint256 at = HEADER_BYTES + i * ENTRY_BYTES + 20;
            feed = AggregatorV3Interface(address(bytes20(_word(table, at))));
            // The entry's last 22 bytes, at the top of `tail`: heartbeat (4), token decimals (1), feed decimals
            // (1), debt (16).
            uint256 tail = uint256(_word(table, at + 20));
            heartbeat = tail >> 224;
            decimals = ((tail >> 216) & 0xff) + ((tail >> 208) & 0xff);
            debt = (tail >> 80) & type(uint128).max;
        }
    }

    /// @notice Entry `i` of a loaded table.
    function entry(bytes memory table, uint256 i) internal pure returns (Entry memory e) {
        uint256 at = HEADER_BYTES + i * ENTRY_BYTES;
        uint256 tail = uint256(_word(table, at + 40));
        e.token = IERC20(address(bytes20(_word(table, at))));
        e.feed = AggregatorV3Interface(address(bytes20(_word(table, at + 20))));
        // casting to 'uint32'/'uint8'/'uint128' is safe because each takes exactly its own bytes of `tail`
        // forge-lint: disable-next-line(unsafe-typecast)
        e.heartbeat = uint32(tail >> 224);
        // forge-lint: disable-next-line(unsafe-typecast)
        e.tokenDecimals = uint8(tail >> 216);
        // forge-lint: disable-next-line(unsafe-typecast)
        e.feedDecimals = uint8(tail >> 208);
        // forge-lint: disable-next-line(unsafe-typecast)
        e.debt = uint128(tail >> 80);
    }

    /// @notice Every entry of a loaded table.
    function entries(bytes memory table) internal pure returns (Entry[] memory all) {
        all = new Entry[](count(table));
        for (uint256 i = 0; i < all.length; ++i) {
            all[i] = entry(table, i);
        }
    }

    /// @dev The 32 bytes of `table` from `offset` (bytes past the end read as whatever follows in memory; callers
    ///      only use the leading bytes that lie inside).
    function _word(bytes memory table, uint256 offset) private pure returns (bytes32 word) {
        assembly ("memory-safe") {
            word := mload(add(add(table, 0x20), offset))
        }
    }
}
