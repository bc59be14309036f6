// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title DemoToken
/// @notice An ERC-20 with configurable decimals that only its owner can mint: the assets of a demo or testnet
///         deployment, where no real token exists. Production vaults register existing tokens instead.
contract DemoToken is ERC20, Ownable {
    uint8 private immutable _decimals;

    /// @notice Deploys the token, owned by `owner_`.
    /// @param name_ The name.
    /// @param symbol_ The symbol.
    /// @param decimals_ The decimals.
    /// @param owner_ Who may mint.
    constructor(string memory name_, string memory symbol_, uint8 decimals_, address owner_)
        ERC20(name_, symbol_)
        Ownable(owner_)
    {
        _decimals = decimals_;
    }

    /// @notice Mints `amount` to `to`.
    /// @param to The recipient.
    /// @param amount Token units.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
