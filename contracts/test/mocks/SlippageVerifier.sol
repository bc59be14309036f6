// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRiskVerifier} from "../../src/interfaces/IRiskVerifier.sol";
import {PublicInputs} from "../../src/libraries/PublicInputs.sol";

/// @title SlippageVerifier
/// @notice A STAND-IN for the risk circuit's execution-price bound, for the vault's hostile-agent tests: it accepts
///         any proof for exactly the statements whose packed `value_in` and `value_out` satisfy the circuit's
///         slippage relation `value_in · 10^4 <= value_out · 10^4 + value_in · max_slippage_bps`, and refuses every
///         other statement. It checks nothing else (no model, no limits, no binding): it models an honest prover
///         that proves whatever trade the agent asks for, as long as the circuit's price bound holds.
/// @dev The real bound is enforced by the circuit and its native reference (prover/, tested there and end to end
///      with real proofs); this contract only lets the forge tests exercise what the vault does with a trade the
///      bound admits (the loss budget, the venue's minimum, sandwiches). `value_in` and `value_out` are value
///      fields `2n` and `2n + 1` of the packed inputs (63 bits each, four per element; see {PublicInputs}).
contract SlippageVerifier is IRiskVerifier {
    /// @notice Basis points in one.
    uint256 public constant BPS = 10_000;

    /// @inheritdoc IRiskVerifier
    uint256 public immutable PUBLIC_INPUT_COUNT;
    /// @notice Number of assets of the statements it checks.
    uint256 public immutable ASSET_COUNT;
    /// @notice The governed bound it enforces, basis points.
    uint256 public immutable MAX_SLIPPAGE_BPS;

    /// @notice The statement breaks the slippage bound (or has the wrong length).
    error ProofInvalid();

    /// @param assetCount Number of assets `n`.
    /// @param maxSlippageBps The bound, basis points (at most 10,000).
    constructor(uint256 assetCount, uint256 maxSlippageBps) {
        require(maxSlippageBps <= BPS, "slippage above 100 %");
        (ASSET_COUNT, MAX_SLIPPAGE_BPS) = (assetCount, maxSlippageBps);
        PUBLIC_INPUT_COUNT = PublicInputs.inputCount(assetCount);
    }

    /// @inheritdoc IRiskVerifier
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view {
        if (!isValidProof(proof, input)) revert ProofInvalid();
    }

    /// @inheritdoc IRiskVerifier
    function isValidProof(uint256[8] calldata, uint256[] calldata input) public view returns (bool) {
        if (input.length != PUBLIC_INPUT_COUNT) return false;
        (uint256 valueIn, uint256 valueOut) = tradeValues(input);
        return withinBound(valueIn, valueOut);
    }

    /// @notice The circuit's relation: `valueIn · 10^4 <= valueOut · 10^4 + valueIn · MAX_SLIPPAGE_BPS`.
    /// @param valueIn The sold value.
    /// @param valueOut The bought value.
    /// @return Whether the bound holds.
    function withinBound(uint256 valueIn, uint256 valueOut) public view returns (bool) {
        return valueIn * BPS <= valueOut * BPS + valueIn * MAX_SLIPPAGE_BPS;
    }

    /// @notice The statement's `value_in` and `value_out` (value fields `2n` and `2n + 1`).
    /// @param input The packed public inputs.
    /// @return valueIn The sold value, USD at 1e8.
    /// @return valueOut The bought value, USD at 1e8.
    function tradeValues(uint256[] calldata input) public view returns (uint256 valueIn, uint256 valueOut) {
        uint256 i = 2 * ASSET_COUNT;
        valueIn = _field(input, i);
        valueOut = _field(input, i + 1);
    }

    function _field(uint256[] calldata input, uint256 i) private pure returns (uint256) {
        uint256 per = PublicInputs.VALUES_PER_ELEMENT;
        uint256 mask = type(uint256).max >> (256 - PublicInputs.VALUE_BITS);
        return (input[i / per] >> (PublicInputs.VALUE_BITS * (i % per))) & mask;
    }
}
