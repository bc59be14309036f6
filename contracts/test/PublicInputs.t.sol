// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IPublicInputsErrors, PublicInputs} from "../src/libraries/PublicInputs.sol";
import {Test} from "./utils/Test.sol";

/// @dev Exposes the library's internal functions, so that reverts happen one call deeper than the test.
contract PublicInputsHarness {
    function binding(address agent, address vault, uint256 chainId, uint256 nonce, uint256 deadline)
        external
        pure
        returns (uint256)
    {
        return PublicInputs.binding(agent, vault, chainId, nonce, deadline);
    }

    function encode(PublicInputs.Statement memory s) external pure returns (uint256[] memory) {
        return PublicInputs.encode(s);
    }

    function inputCount(uint256 n) external pure returns (uint256) {
        return PublicInputs.inputCount(n);
    }
}

/// @notice The public-input packing against the prover's layout (prover/src/statement.rs, fixed.rs): a known
///         binding vector checked against Rust, packed vectors, the closed-form length against a bit-by-bit greedy
///         simulation, round trips, and a typed error naming every field that does not fit. (The fixture tests add
///         the strongest check: the vault's inputs equal the Rust prover's for every fixture trade.)
contract PublicInputsTest is Test {
    PublicInputsHarness internal harness;

    function setUp() public {
        harness = new PublicInputsHarness();
    }

    // ---------------------------------------------------------------- helpers

    /// @dev The statement of the packed-vector tests: holdings (k+1)·1e12 + k, debts k·1e9 + 7.
    function _statement(uint256 n) internal pure returns (PublicInputs.Statement memory s) {
        s.holdings = new uint256[](n);
        s.debts = new uint256[](n);
        for (uint256 k = 0; k < n; ++k) {
            s.holdings[k] = (k + 1) * 1e12 + k;
            s.debts[k] = k * 1e9 + 7;
        }
        (s.valueIn, s.valueOut, s.sellAsset, s.buyAsset) = (5, 6, 1, 0);
        (s.binding, s.modelCommitment, s.paramsCommitment) = (11, 22, 33);
    }

    /// @dev The greedy rule of prover/src/fixed.rs `pack_layout`, bit by bit: number of elements.
    function _greedyLength(uint256 n) internal pure returns (uint256) {
        (uint256 element, uint256 offset) = (0, 0);
        for (uint256 i = 0; i < 2 * n + 4; ++i) {
            uint256 bits = i < 2 * n + 2 ? PublicInputs.VALUE_BITS : PublicInputs.ASSET_INDEX_BITS;
            if (offset + bits > PublicInputs.PACK_CAPACITY_BITS) (element, offset) = (element + 1, 0);
            offset += bits;
        }
        return element + 1;
    }

    /// @dev Unpacks the fields of `inputs` with the greedy rule; fails on bits outside every field.
    function _unpack(uint256[] memory inputs, uint256 n) internal pure returns (uint256[] memory fields) {
        fields = new uint256[](2 * n + 4);
        uint256[] memory used = new uint256[](inputs.length);
        (uint256 element, uint256 offset) = (0, 0);
        for (uint256 i = 0; i < fields.length; ++i) {
            uint256 bits = i < 2 * n + 2 ? PublicInputs.VALUE_BITS : PublicInputs.ASSET_INDEX_BITS;
            if (offset + bits > PublicInputs.PACK_CAPACITY_BITS) (element, offset) = (element + 1, 0);
            fields[i] = (inputs[element] >> offset) & (type(uint256).max >> (256 - bits));
            offset += bits;
            used[element] = offset;
        }
        for (uint256 e = 0; e < used.length - PublicInputs.TRAILING_INPUTS; ++e) {
            assertEq(inputs[e] >> used[e], 0, "bits above the last field of an element");
        }
    }

    // ---------------------------------------------------------------- binding

    function test_Binding_MatchesTheRustVector() public view {
        // prover/src/statement.rs: the_binding_hash_is_keccak_of_the_abi_encoding_masked_to_253_bits.
        uint256 binding = harness.binding(
            0x1111111111111111111111111111111111111111, 0x2222222222222222222222222222222222222222, 31337, 7, 1
        );
        assertEq(binding, 8515884054352502598582900857127203913191795941878862507492858430910090154893, "binding");
    }

    function testFuzz_Binding_IsBelow2To253AndChangesWithEveryField(
        address agent,
        address vault,
        uint256 chainId,
        uint256 nonce,
        uint256 deadline
    ) public view {
        uint256 b = harness.binding(agent, vault, chainId, nonce, deadline);
        assertEq(b >> 253, 0, "masked to 253 bits");
        unchecked {
            assertTrue(b != harness.binding(agent, vault, chainId, nonce + 1, deadline), "nonce");
            assertTrue(b != harness.binding(agent, vault, chainId + 1, nonce, deadline), "chain id");
            assertTrue(b != harness.binding(agent, vault, chainId, nonce, deadline + 1), "deadline");
        }
        assertTrue(b != harness.binding(address(uint160(agent) ^ 1), vault, chainId, nonce, deadline), "agent");
        assertTrue(b != harness.binding(agent, address(uint160(vault) ^ 1), chainId, nonce, deadline), "vault");
    }

    // ---------------------------------------------------------------- layout

    function test_InputCount_IsEightForEightAssets() public view {
        // prover/src/statement.rs: eight_assets_take_eight_public_inputs.
        assertEq(harness.inputCount(8), 8, "8 assets");
        assertEq(harness.inputCount(16), 12, "16 assets");
        assertEq(harness.inputCount(2), 5, "2 assets");
    }

    function test_PackedLength_EqualsTheGreedySimulation_ForEverySupportedAssetCount() public pure {
        for (uint256 n = PublicInputs.MIN_ASSETS; n <= PublicInputs.MAX_ASSETS; ++n) {
            assertEq(PublicInputs.packedLength(n), _greedyLength(n), string.concat("n = ", Strings.toString(n)));
        }
    }

    function test_Encode_MatchesKnownVector_EightAssets() public view {
        PublicInputs.Statement memory s = _statement(8);
        (s.valueIn, s.valueOut, s.sellAsset, s.buyAsset) = ((1 << 63) - 1, 123456789, 3, 255);
        uint256[] memory inputs = harness.encode(s);
        // Packed independently (Python, the greedy rule of prover/src/fixed.rs).
        uint256[8] memory expected = [
            uint256(3138550867695694295323876492081145617884318766017332260624426751823872),
            6277101735392173228449746910988175466514289355500088277582237956395012,
            2353913156262469305071907886115154025197644392641782005041607999495,
            5492464023955809687330084964639925696749090210452986576181607999495,
            5553663439924907566257775770094348462456831,
            11,
            22,
            33
        ];
        assertEq(inputs.length, 8, "length");
        for (uint256 i = 0; i < 8; ++i) {
            assertEq(inputs[i], expected[i], string.concat("input ", Strings.toString(i)));
        }
    }

    function test_Encode_MatchesKnownVectors_TwoAndThreeAssets() public view {
        uint256[] memory two = harness.encode(_statement(2));
        assertEq(two.length, 5, "2 assets: length");
        assertEq(two[0], 784637722415799113942819346852768207877888929427245880060479344640, "2 assets: element 0");
        assertEq(two[1], 85070591730234615921183884079070707717, "2 assets: element 1 (values and indices)");
        uint256[] memory three = harness.encode(_statement(3));
        assertEq(three.length, 6, "3 assets: length");
        assertEq(three[0], 5492464273675120859230304544744876993366181898658769080320, "3 assets: element 0");
        assertEq(three[1], 4707826301540010573302195026075369635544257998512719579655, "3 assets: element 1");
        // Eight values fill two elements exactly; the indices open the third (sell = 1 at bit 0, buy = 0).
        assertEq(three[2], 1, "3 assets: the indices open element 2");
        assertEq(three[3], 11, "3 assets: binding");
    }

    function testFuzz_Encode_RoundTripsThroughTheGreedyLayout(uint256 seed, uint8 assets) public view {
        uint256 n = bound(assets, PublicInputs.MIN_ASSETS, PublicInputs.MAX_ASSETS);
        PublicInputs.Statement memory s;
        s.holdings = new uint256[](n);
        s.debts = new uint256[](n);
        uint256 max = (1 << 63) - 1;
        for (uint256 k = 0; k < n; ++k) {
            s.holdings[k] = uint256(keccak256(abi.encode(seed, "h", k))) & max;
            s.debts[k] = uint256(keccak256(abi.encode(seed, "d", k))) & max;
        }
        s.valueIn = uint256(keccak256(abi.encode(seed, "in"))) & max;
        s.valueOut = uint256(keccak256(abi.encode(seed, "out"))) & max;
        // Truncation wanted: the low bytes of the seed as 8-bit indices.
        // forge-lint: disable-next-line(unsafe-typecast)
        s.sellAsset = uint8(seed);
        // forge-lint: disable-next-line(unsafe-typecast)
        s.buyAsset = uint8(seed >> 8);
        s.binding = uint256(keccak256(abi.encode(seed, "b"))) >> 3;
        s.modelCommitment = 1;
        s.paramsCommitment = 2;

        uint256[] memory inputs = harness.encode(s);
        assertEq(inputs.length, PublicInputs.inputCount(n), "length");
        uint256[] memory fields = _unpack(inputs, n);
        for (uint256 k = 0; k < n; ++k) {
            assertEq(fields[k], s.holdings[k], "holding");
            assertEq(fields[n + k], s.debts[k], "debt");
        }
        assertEq(fields[2 * n], s.valueIn, "valueIn");
        assertEq(fields[2 * n + 1], s.valueOut, "valueOut");
        assertEq(fields[2 * n + 2], s.sellAsset, "sellAsset");
        assertEq(fields[2 * n + 3], s.buyAsset, "buyAsset");
        uint256 packed = inputs.length - PublicInputs.TRAILING_INPUTS;
        assertEq(inputs[packed], s.binding, "binding");
        assertEq(inputs[packed + 1], 1, "model");
        assertEq(inputs[packed + 2], 2, "params");
        for (uint256 e = 0; e < packed; ++e) {
            assertEq(inputs[e] >> PublicInputs.PACK_CAPACITY_BITS, 0, "packed elements stay below 2^252");
        }
    }

    // ---------------------------------------------------------------- range errors

    function _expectOutOfRange(IPublicInputsErrors.Field field, uint256 index, uint256 value, uint256 bits) internal {
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.FieldOutOfRange.selector, field, index, value, bits));
    }

    function test_RevertEncode_WhenHoldingDoesNotFit63Bits() public {
        PublicInputs.Statement memory s = _statement(8);
        s.holdings[5] = 1 << 63;
        _expectOutOfRange(IPublicInputsErrors.Field.Holding, 5, 1 << 63, 63);
        harness.encode(s);
    }

    function test_RevertEncode_WhenDebtDoesNotFit63Bits() public {
        PublicInputs.Statement memory s = _statement(8);
        s.debts[7] = type(uint256).max;
        _expectOutOfRange(IPublicInputsErrors.Field.Debt, 7, type(uint256).max, 63);
        harness.encode(s);
    }

    function test_RevertEncode_WhenTradeValuesDoNotFit63Bits() public {
        PublicInputs.Statement memory s = _statement(8);
        s.valueIn = 1 << 63;
        _expectOutOfRange(IPublicInputsErrors.Field.ValueIn, 0, 1 << 63, 63);
        harness.encode(s);
        s.valueIn = 1;
        s.valueOut = 1 << 64;
        _expectOutOfRange(IPublicInputsErrors.Field.ValueOut, 0, 1 << 64, 63);
        harness.encode(s);
    }

    function test_RevertEncode_WhenAssetIndexDoesNotFit8Bits() public {
        PublicInputs.Statement memory s = _statement(8);
        s.sellAsset = 256;
        _expectOutOfRange(IPublicInputsErrors.Field.SellAsset, 0, 256, 8);
        harness.encode(s);
        s.sellAsset = 0;
        s.buyAsset = 300;
        _expectOutOfRange(IPublicInputsErrors.Field.BuyAsset, 0, 300, 8);
        harness.encode(s);
    }

    function test_RevertEncode_WhenLengthsDiffer() public {
        PublicInputs.Statement memory s = _statement(8);
        s.debts = new uint256[](7);
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.AssetCountMismatch.selector, 8, 7));
        harness.encode(s);
    }

    function test_RevertEncode_WhenAssetCountUnsupported() public {
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.UnsupportedAssetCount.selector, 1));
        harness.encode(_statement(1));
        vm.expectRevert(abi.encodeWithSelector(IPublicInputsErrors.UnsupportedAssetCount.selector, 17));
        harness.encode(_statement(17));
    }
}
