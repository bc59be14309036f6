// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRiskVerifier} from "../../src/interfaces/IRiskVerifier.sol";

/// @title MockVerifier
/// @notice A stand-in for the generated verifier in unit tests of the vault's logic: it accepts exactly the
///         (proof, inputs) pairs it was told to, or everything, or nothing. Same ABI and errors as the real one.
contract MockVerifier is IRiskVerifier {
    /// @notice What the mock accepts.
    enum Mode {
        Exact,
        AcceptAll,
        RejectAll
    }

    error PublicInputCountMismatch(uint256 given, uint256 expected);
    error ProofInvalid();

    /// @inheritdoc IRiskVerifier
    uint256 public immutable PUBLIC_INPUT_COUNT;
    Mode public mode;
    mapping(bytes32 pairHash => bool) public accepted;

    constructor(uint256 publicInputCount) {
        PUBLIC_INPUT_COUNT = publicInputCount;
    }

    /// @notice Sets the mode.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Accepts exactly `proof` for exactly `inputs` (in {Mode.Exact}).
    function accept(uint256[8] calldata proof, uint256[] calldata inputs) external {
        accepted[keccak256(abi.encode(proof, inputs))] = true;
    }

    /// @inheritdoc IRiskVerifier
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view {
        if (input.length != PUBLIC_INPUT_COUNT) revert PublicInputCountMismatch(input.length, PUBLIC_INPUT_COUNT);
        if (!_valid(proof, input)) revert ProofInvalid();
    }

    /// @inheritdoc IRiskVerifier
    function isValidProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool) {
        return input.length == PUBLIC_INPUT_COUNT && _valid(proof, input);
    }

    function _valid(uint256[8] calldata proof, uint256[] calldata input) private view returns (bool) {
        if (mode == Mode.AcceptAll) return true;
        if (mode == Mode.RejectAll) return false;
        return accepted[keccak256(abi.encode(proof, input))];
    }
}
