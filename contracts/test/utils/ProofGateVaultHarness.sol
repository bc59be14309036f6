// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofGateVault} from "../../src/ProofGateVault.sol";
import {IProofGateRegistry} from "../../src/interfaces/IProofGateRegistry.sol";
import {IRiskVerifier} from "../../src/interfaces/IRiskVerifier.sol";

/// @title ProofGateVaultHarness
/// @notice The vault with one extra entry point for the gas breakdown: the loss-budget step of a trade on its own.
contract ProofGateVaultHarness is ProofGateVault {
    constructor(address governance, IProofGateRegistry registry, IRiskVerifier verifier, uint256 assetCount)
        ProofGateVault(msg.sender, governance, address(0), registry, verifier, assetCount)
    {}

    /// @notice The gas of {_chargeLoss} for the caller as a trade runs it: the caller's state slot already written
    ///         once in the transaction (the nonce), so warm and dirty.
    /// @param v The statement's valuation (net asset value, bought asset's price and scaling, budget terms, valueIn).
    /// @param received Token units received.
    /// @return gasUsed Gas of the step: valuing what was received, the shortfall, the refill, the check, the write.
    /// @return shortfall The shortfall charged.
    function measureChargeLoss(Valuation memory v, uint256 received)
        external
        returns (uint256 gasUsed, uint256 shortfall)
    {
        uint256 state = _agentStates[msg.sender] + 1;
        _agentStates[msg.sender] = state;
        uint256 before = gasleft();
        shortfall = _chargeLoss(state, v, received);
        gasUsed = before - gasleft();
    }
}
