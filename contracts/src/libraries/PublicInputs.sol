// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IPublicInputsErrors
/// @notice Errors of {PublicInputs}, in an interface so that contracts using the library can inherit them
///         into their ABI and tests can name their selectors.
interface IPublicInputsErrors {
    /// @notice The fields of the statement, in layout order (used to name the field that does not fit).
    enum Field {
        Holding,
        Debt,
        ValueIn,
        ValueOut,
        SellAsset,
        BuyAsset
    }

    /// @notice A statement value does not fit its field's bit width.
    /// @param field Which field.
    /// @param index The asset index for holdings and debts, 0 otherwise.
    /// @param value The value that does not fit.
    /// @param bits The field's width.
    error FieldOutOfRange(Field field, uint256 index, uint256 value, uint256 bits);

    /// @notice The statement's holdings and debts have different lengths.
    /// @param holdings Number of holdings.
    /// @param debts Number of debts.
    error AssetCountMismatch(uint256 holdings, uint256 debts);

    /// @notice The asset count is outside 2..16 (the circuit's range).
    /// @param assetCount The refused count.
    error UnsupportedAssetCount(uint256 assetCount);
}

/// @title PublicInputs
/// @notice Packs a gated trade's statement into the risk circuit's public inputs, exactly as the prover's
///         documented layout says (`prover/src/statement.rs`).
/// @dev Wire order:
///      1. Packed elements. Fields, in order: `holdings[0..n]` (63 bits each, USD at 1e8), `debts[0..n]` (63),
///         `valueIn` (63), `valueOut` (63), `sellAsset` (8), `buyAsset` (8). Greedy little-endian packing
///         from bit 0 of element 0; an element holds at most 252 bits and a field never straddles two
///         elements (when `offset + bits > 252` the field starts a new element at offset 0). With 63-bit
///         fields that is four values per element: 5 elements for 8 assets.
///      2. `binding = uint256(keccak256(abi.encode(agent, vault, chainId, nonce, deadline))) & (2^253 - 1)`.
///      3. `modelCommitment`. 4. `paramsCommitment`.
///      Every packed element is below 2^252 and the binding below 2^253, so all are below the BN254 scalar
///      order r; the commitments are checked below r where they are certified (the registry).
library PublicInputs {
    // The widths below are copies of the prover's: prover/src/config.rs (VALUE_BITS, ASSET_INDEX_BITS) and
    // prover/src/fixed.rs (PACK_CAPACITY_BITS) are the source of truth. Change them there first.

    /// @notice Bits of a holding, debt or trade value (USD at 1e8): below 2^63, about $92 billion.
    uint256 internal constant VALUE_BITS = 63;
    /// @notice Bits of an asset index.
    uint256 internal constant ASSET_INDEX_BITS = 8;
    /// @notice Bits of one packed field element.
    uint256 internal constant PACK_CAPACITY_BITS = 252;
    /// @notice The binding hash keeps its low 253 bits (always below r).
    uint256 internal constant BINDING_MASK = (1 << 253) - 1;
    /// @notice Smallest number of assets a circuit supports (prover/src/config.rs MIN_ASSETS).
    uint256 internal constant MIN_ASSETS = 2;
    /// @notice Largest number of assets a circuit supports (prover/src/config.rs MAX_ASSETS).
    uint256 internal constant MAX_ASSETS = 16;
    /// @notice 63-bit values per packed element: exactly 252 bits, so an element holds four and nothing else fits
    ///         beside them.
    uint256 internal constant VALUES_PER_ELEMENT = PACK_CAPACITY_BITS / VALUE_BITS;
    /// @notice Public inputs after the packed elements: binding, model and params commitments.
    uint256 internal constant TRAILING_INPUTS = 3;

    /// @notice The statement of one gated trade, every value already in the circuit's units.
    /// @param holdings Pre-trade holdings per asset, USD at 1e8.
    /// @param debts Pre-trade debts per asset, USD at 1e8.
    /// @param valueIn USD value sold, at 1e8.
    /// @param valueOut USD value bought, at 1e8.
    /// @param sellAsset Index of the asset sold.
    /// @param buyAsset Index of the asset bought.
    /// @param binding The call-context hash, from {binding}.
    /// @param modelCommitment The certified model's commitment.
    /// @param paramsCommitment The risk parameters' commitment.
    struct Statement {
        uint256[] holdings;
        uint256[] debts;
        uint256 valueIn;
        uint256 valueOut;
        uint256 sellAsset;
        uint256 buyAsset;
        uint256 binding;
        uint256 modelCommitment;
        uint256 paramsCommitment;
    }

    /// @notice The call-context hash a proof is bound to.
    /// @return The low 253 bits of `keccak256(abi.encode(agent, vault, chainId, nonce, deadline))`.
    function binding(address agent, address vault, uint256 chainId, uint256 nonce, uint256 deadline)
        internal
        pure
        returns (uint256)
    {
        // keccak256(abi.encode(...)) over the five words in free memory (not allocated), without the ABI encoder.
        bytes32 digest;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, agent)
            mstore(add(m, 0x20), vault)
            mstore(add(m, 0x40), chainId)
            mstore(add(m, 0x60), nonce)
            mstore(add(m, 0x80), deadline)
            digest := keccak256(m, 0xa0)
        }
        return uint256(digest) & BINDING_MASK;
    }

    /// @notice Number of packed elements for `assetCount` assets.
    /// @dev The greedy layout in closed form: `2n + 2` values of 63 bits fill elements four at a time (4 · 63 =
    ///      252 bits, exactly an element), and the two 8-bit indices share the last partial element or, when
    ///      there is none, open one more. The test suite checks this against a bit-by-bit simulation of the
    ///      greedy rule for every supported asset count.
    function packedLength(uint256 assetCount) internal pure returns (uint256) {
        // Unchecked: callers pass asset counts of at most MAX_ASSETS (allocate checks), far from overflow.
        unchecked {
            return (2 * assetCount + 2) / VALUES_PER_ELEMENT + 1;
        }
    }

    /// @notice Number of public inputs of a circuit for `assetCount` assets (8 for 8 assets).
    function inputCount(uint256 assetCount) internal pure returns (uint256) {
        unchecked {
            return packedLength(assetCount) + TRAILING_INPUTS;
        }
    }

    /// @notice The public inputs of `s`, in wire order.
    /// @dev Reverts with {IPublicInputsErrors.FieldOutOfRange} naming the first value that does not fit.
    function encode(Statement memory s) internal pure returns (uint256[] memory inputs) {
        uint256 n = s.holdings.length;
        if (n != s.debts.length) revert IPublicInputsErrors.AssetCountMismatch(n, s.debts.length);
        inputs = allocate(n);
        for (uint256 k = 0; k < n; ++k) {
            putHolding(inputs, k, s.holdings[k]);
        }
        for (uint256 k = 0; k < n; ++k) {
            putDebt(inputs, n, k, s.debts[k]);
        }
        putTrade(inputs, n, s.valueIn, s.valueOut, s.sellAsset, s.buyAsset);
        putContext(inputs, s.binding, s.modelCommitment, s.paramsCommitment);
    }

    // The streaming form of {encode}, for callers that compute the fields one by one (the vault): allocate, then put
    // every field exactly once (fields are OR-ed into zeroed elements), in any order.

    /// @notice Zeroed public inputs for `n` assets (2 to 16).
    function allocate(uint256 n) internal pure returns (uint256[] memory inputs) {
        if (n < MIN_ASSETS || n > MAX_ASSETS) revert IPublicInputsErrors.UnsupportedAssetCount(n);
        return new uint256[](inputCount(n));
    }

    /// @notice Puts holding `k` (USD at 1e8): value field `k`.
    function putHolding(uint256[] memory inputs, uint256 k, uint256 value) internal pure {
        if (value >> VALUE_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(IPublicInputsErrors.Field.Holding, k, value, VALUE_BITS);
        }
        _orValue(inputs, k, value);
    }

    /// @notice Puts debt `k` of `n` (USD at 1e8): value field `n + k`.
    function putDebt(uint256[] memory inputs, uint256 n, uint256 k, uint256 value) internal pure {
        if (value >> VALUE_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(IPublicInputsErrors.Field.Debt, k, value, VALUE_BITS);
        }
        unchecked {
            _orValue(inputs, n + k, value);
        }
    }

    /// @notice Puts the trade: value fields `2n` (valueIn) and `2n + 1` (valueOut), then the two 8-bit asset
    ///         indices, after the last value in its element (or at the start of the next one when it is full).
    function putTrade(
        uint256[] memory inputs,
        uint256 n,
        uint256 valueIn,
        uint256 valueOut,
        uint256 sellAsset,
        uint256 buyAsset
    ) internal pure {
        // One test for the common case that everything fits, then the first field that does not.
        if ((valueIn | valueOut) >> VALUE_BITS != 0 || (sellAsset | buyAsset) >> ASSET_INDEX_BITS != 0) {
            _revertTradeOutOfRange(valueIn, valueOut, sellAsset, buyAsset);
        }
        unchecked {
            _orValue(inputs, 2 * n, valueIn);
            _orValue(inputs, 2 * n + 1, valueOut);
            // The indices sit right after the last value field (2n + 1), where value field 2n + 2 would start.
            _orValue(inputs, 2 * n + 2, sellAsset | (buyAsset << ASSET_INDEX_BITS));
        }
    }

    /// @dev Reverts with {IPublicInputsErrors.FieldOutOfRange} for the first of the trade's fields that does not fit.
    function _revertTradeOutOfRange(uint256 valueIn, uint256 valueOut, uint256 sellAsset, uint256 buyAsset)
        private
        pure
    {
        if (valueIn >> VALUE_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(IPublicInputsErrors.Field.ValueIn, 0, valueIn, VALUE_BITS);
        }
        if (valueOut >> VALUE_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(IPublicInputsErrors.Field.ValueOut, 0, valueOut, VALUE_BITS);
        }
        if (sellAsset >> ASSET_INDEX_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(
                IPublicInputsErrors.Field.SellAsset, 0, sellAsset, ASSET_INDEX_BITS
            );
        }
        if (buyAsset >> ASSET_INDEX_BITS != 0) {
            revert IPublicInputsErrors.FieldOutOfRange(
                IPublicInputsErrors.Field.BuyAsset, 0, buyAsset, ASSET_INDEX_BITS
            );
        }
    }

    /// @notice Puts the binding and the model and parameters' commitments: the last three inputs.
    function putContext(uint256[] memory inputs, uint256 binding_, uint256 model, uint256 params) internal pure {
        uint256 packed = inputs.length - TRAILING_INPUTS; // reverts (underflow) for an array shorter than that
        // The three last elements, written in place (packed + 2 < length).
        assembly ("memory-safe") {
            let at := add(add(inputs, 0x20), shl(5, packed))
            mstore(at, binding_)
            mstore(add(at, 0x20), model)
            mstore(add(at, 0x40), params)
        }
    }

    /// @dev ORs `bits` (already range-checked) in at value field `i`'s slot: element i / 4, bit 63 · (i % 4).
    function _orValue(uint256[] memory inputs, uint256 i, uint256 bits) private pure {
        uint256 element;
        uint256 shift;
        unchecked {
            (element, shift) = (i / VALUES_PER_ELEMENT, VALUE_BITS * (i % VALUES_PER_ELEMENT));
        }
        // Every field index the puts pass is at most 2n + 2, whose element is below packedLength(n) <= length.
        assembly ("memory-safe") {
            let at := add(add(inputs, 0x20), shl(5, element))
            mstore(at, or(mload(at), shl(shift, bits)))
        }
    }
}
