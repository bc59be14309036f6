// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {AssetTable} from "../src/libraries/AssetTable.sol";
import {Test} from "./utils/Test.sol";

/// @dev Exposes the library (a table is written by the contract that calls `store`).
contract AssetTableHarness {
    function store(AssetTable.Header memory header, AssetTable.Entry[] memory entries) external returns (address) {
        return AssetTable.store(header, entries);
    }

    function load(address pointer, uint256 count)
        external
        view
        returns (
            AssetTable.Header memory header,
            AssetTable.Entry[] memory entries,
            uint256[] memory decimals,
            uint256[] memory debts
        )
    {
        bytes memory table = AssetTable.load(pointer, count);
        header = AssetTable.header(table);
        require(AssetTable.venue(table) == header.venue, "venue disagrees with header");
        entries = AssetTable.entries(table);
        decimals = new uint256[](count);
        debts = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            (AggregatorV3Interface feed, uint256 heartbeat, uint256 d, uint256 debt) = AssetTable.pricing(table, i);
            require(feed == entries[i].feed && heartbeat == entries[i].heartbeat, "pricing disagrees with entry");
            require(AssetTable.token(table, i) == entries[i].token, "token disagrees with entry");
            (decimals[i], debts[i]) = (d, debt);
        }
    }
}

/// @notice The vault's asset table (configuration kept as a data contract's code) round-trips every field.
contract AssetTableTest is Test {
    AssetTableHarness internal harness;

    function setUp() public {
        harness = new AssetTableHarness();
    }

    function testFuzz_StoreThenLoad_RoundTripsEveryField(uint256 seed, uint8 size) public {
        uint256 count = bound(size, 0, 16);
        AssetTable.Entry[] memory entries = new AssetTable.Entry[](count);
        for (uint256 i = 0; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Truncation wanted: each field takes some bits of the random word.
            // forge-lint: disable-start(unsafe-typecast)
            entries[i] = AssetTable.Entry({
                token: IERC20(address(uint160(r))),
                feed: AggregatorV3Interface(address(uint160(r >> 96))),
                heartbeat: uint32(r >> 32),
                tokenDecimals: uint8(r >> 8),
                feedDecimals: uint8(r >> 16),
                debt: uint128(r >> 100)
            });
            // forge-lint: disable-end(unsafe-typecast)
        }
        // forge-lint: disable-start(unsafe-typecast)
        AssetTable.Header memory header = AssetTable.Header({
            venue: address(uint160(seed)),
            sequencerFeed: AggregatorV3Interface(address(uint160(seed >> 80))),
            gracePeriod: uint32(seed >> 224)
        });
        // forge-lint: disable-end(unsafe-typecast)
        address pointer = harness.store(header, entries);
        assertEq(pointer.code.length, 1 + AssetTable.HEADER_BYTES + count * AssetTable.ENTRY_BYTES, "code size");
        assertEq(uint8(pointer.code[0]), 0, "starts with STOP");

        (AssetTable.Header memory h, AssetTable.Entry[] memory got, uint256[] memory decimals, uint256[] memory debts) =
            harness.load(pointer, count);
        assertEq(h.venue, header.venue, "venue");
        assertEq(address(h.sequencerFeed), address(header.sequencerFeed), "sequencer feed");
        assertEq(uint256(h.gracePeriod), header.gracePeriod, "grace period");
        assertEq(got.length, count, "count");
        for (uint256 i = 0; i < count; ++i) {
            assertEq(address(got[i].token), address(entries[i].token), "token");
            assertEq(address(got[i].feed), address(entries[i].feed), "feed");
            assertEq(uint256(got[i].heartbeat), entries[i].heartbeat, "heartbeat");
            assertEq(uint256(got[i].tokenDecimals), entries[i].tokenDecimals, "token decimals");
            assertEq(uint256(got[i].feedDecimals), entries[i].feedDecimals, "feed decimals");
            assertEq(uint256(got[i].debt), entries[i].debt, "debt");
            assertEq(decimals[i], uint256(entries[i].tokenDecimals) + entries[i].feedDecimals, "summed decimals");
            assertEq(debts[i], entries[i].debt, "pricing debt");
        }
    }

    function test_Load_OfNoTable_IsEmptyWithZeroVenue() public view {
        (AssetTable.Header memory h, AssetTable.Entry[] memory got,,) = harness.load(address(0), 0);
        assertEq(h.venue, address(0), "venue");
        assertEq(address(h.sequencerFeed), address(0), "sequencer feed");
        assertEq(uint256(h.gracePeriod), 0, "grace period");
        assertEq(got.length, 0, "entries");
    }
}
