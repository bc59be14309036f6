// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRiskVerifier
/// @notice The ABI of the Groth16 verifier that `verifier-codegen` generates for the risk circuit
///         (`contracts/src/verifier/RiskVerifier.sol`), as the vault uses it.
interface IRiskVerifier {
    /// @notice Reverts unless `proof` is valid for `input` (`PublicInputNotInField`, `PublicInputCountMismatch`
    ///         or `ProofInvalid`).
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param input The public inputs, each below the scalar field order r.
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view;

    /// @notice Whether `proof` is valid for `input`; never reverts on a bad proof or input.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param input The public inputs.
    /// @return valid True exactly when `verifyProof` would not revert.
    function isValidProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool valid);

    /// @notice Number of public inputs the verifying key expects.
    /// @return The count.
    // forge-lint: disable-next-line(mixed-case-function)
    function PUBLIC_INPUT_COUNT() external view returns (uint256);
}
