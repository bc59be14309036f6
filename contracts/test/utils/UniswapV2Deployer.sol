// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IUniswapV2Factory} from "../../src/venues/IUniswapV2.sol";
import {Vm} from "./Vm.sol";

/// @title UniswapV2Deployer
/// @notice Deploys the real Uniswap V2 factory from the `@uniswap/v2-core` npm artifact (compiled by Uniswap with
///         solc 0.5.16; its pairs are created by the factory itself, from the pair bytecode it embeds).
library UniswapV2Deployer {
    /// @notice The artifact, relative to the project root (node_modules links to the repository's).
    string internal constant FACTORY_ARTIFACT = "node_modules/@uniswap/v2-core/build/UniswapV2Factory.json";

    /// @notice The pair artifact, relative to the project root.
    string internal constant PAIR_ARTIFACT = "node_modules/@uniswap/v2-core/build/UniswapV2Pair.json";

    /// @notice keccak256 of the pair's creation code in the artifact (what the factory's CREATE2 uses).
    function pairInitCodeHash(Vm vm) internal view returns (bytes32) {
        return keccak256(_bytecode(vm, PAIR_ARTIFACT));
    }

    /// @notice Deploys the factory with `feeToSetter` (CREATE from the calling contract: one nonce).
    function deployFactory(Vm vm, address feeToSetter) internal returns (IUniswapV2Factory factory) {
        bytes memory initCode = abi.encodePacked(_bytecode(vm, FACTORY_ARTIFACT), abi.encode(feeToSetter));
        address deployed;
        assembly ("memory-safe") {
            deployed := create(0, add(initCode, 0x20), mload(initCode))
        }
        require(deployed != address(0), "UniswapV2Deployer: factory deployment failed");
        return IUniswapV2Factory(deployed);
    }

    /// @dev The creation code in an artifact (its "bytecode" is hex without the 0x prefix).
    function _bytecode(Vm vm, string memory path) private view returns (bytes memory) {
        return vm.parseBytes(string.concat("0x", vm.parseJsonString(vm.readFile(path), ".bytecode")));
    }
}
