// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IProofGateVault} from "../../src/interfaces/IProofGateVault.sol";
import {IUniswapV2Pair} from "../../src/venues/IUniswapV2.sol";

/// @title IUniswapV2Callee
/// @notice Uniswap V2's flash-swap callback: a pair's `swap` with non-empty data calls it on the recipient after
///         sending the outputs and before checking its constant product.
interface IUniswapV2Callee {
    /// @notice The flash-swap callback.
    /// @param sender Who called the pair's `swap`.
    /// @param amount0 Token0 sent.
    /// @param amount1 Token1 sent.
    /// @param data The swap's data.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

/// @title HostileAgent
/// @notice An agent that is a contract and wants the vault's value: it submits whatever trade it likes (any
///         `amountOut`, with whatever proof), and it can sandwich its own gated trade inside a Uniswap V2 flash swap
///         (borrow from one pair, push the price of another, trade the vault through the pushed pair, push it back,
///         repay). Everything it gains it keeps; it is funded by the test (tokens mint freely).
contract HostileAgent is IUniswapV2Callee {
    /// @notice A sandwich: flash-borrow `borrowAmount` of `pushToken` from `lender`, sell all of it into `target`
    ///         for `otherToken` (the front-run), make the vault's gated `trade` through `target`, then buy
    ///         `pushToken` back from `target` with everything the front-run gave (the back-run), and repay `lender`
    ///         in `pushToken` with its fee.
    struct Sandwich {
        IUniswapV2Pair lender;
        IUniswapV2Pair target;
        IERC20 pushToken;
        IERC20 otherToken;
        uint256 borrowAmount;
        IProofGateVault.Trade trade;
        uint256 deadline;
    }

    IProofGateVault public immutable VAULT;

    constructor(IProofGateVault vault) {
        VAULT = vault;
    }

    /// @notice Submits a gated trade as this agent.
    function trade(IProofGateVault.Trade calldata t, uint256 deadline, uint256[8] calldata proof) external {
        VAULT.executeTrade(t, deadline, proof);
    }

    /// @notice Runs `s` (see {Sandwich}); reverts with whatever reverted inside (the vault's error bubbles up
    ///         through the pair).
    function sandwich(Sandwich calldata s) external {
        (uint256 out0, uint256 out1) =
            s.lender.token0() == address(s.pushToken) ? (s.borrowAmount, uint256(0)) : (uint256(0), s.borrowAmount);
        s.lender.swap(out0, out1, address(this), abi.encode(s));
    }

    /// @inheritdoc IUniswapV2Callee
    function uniswapV2Call(address, uint256, uint256, bytes calldata data) external {
        Sandwich memory s = abi.decode(data, (Sandwich));
        require(msg.sender == address(s.lender), "not the lender");
        // Front-run: sell the borrowed tokens into the target pair.
        uint256 frontOut = _swapAll(s.target, s.pushToken, s.borrowAmount);
        // The victim: the vault's gated trade, through the pushed pair.
        uint256[8] memory proof;
        VAULT.executeTrade(s.trade, s.deadline, proof);
        // Back-run: buy the pushed token back with everything the front-run gave.
        _swapAll(s.target, s.otherToken, frontOut);
        // Repay the lender in the borrowed token, with Uniswap V2's fee (amount · 1000 / 997, rounded up).
        uint256 owed = (s.borrowAmount * 1000) / 997 + 1;
        require(s.pushToken.transfer(address(s.lender), owed), "repay failed");
    }

    /// @dev Sells `amountIn` of `tokenIn` (held by this contract) into `pair` for all it gives of its other token.
    function _swapAll(IUniswapV2Pair pair, IERC20 tokenIn, uint256 amountIn) private returns (uint256 amountOut) {
        (uint256 r0, uint256 r1,) = pair.getReserves();
        bool inIs0 = pair.token0() == address(tokenIn);
        (uint256 reserveIn, uint256 reserveOut) = inIs0 ? (r0, r1) : (r1, r0);
        amountOut = (amountIn * 997 * reserveOut) / (reserveIn * 1000 + amountIn * 997);
        require(tokenIn.transfer(address(pair), amountIn), "pay failed");
        (uint256 out0, uint256 out1) = inIs0 ? (uint256(0), amountOut) : (amountOut, uint256(0));
        pair.swap(out0, out1, address(this), "");
    }
}
