// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IMLKEM — FIPS 203 ML-KEM encapsulation, precompile 0x0601 on Pars.
/// @notice The level (512, 768, 1024) follows from the key's length (800, 1184, 1568 bytes).
/// Deterministic: the encapsulation randomness is SHA3-256("pars-mlkem-v1" || prevRandao ||
/// block number || tx origin || pk), all public, so the returned shared secret is public too
/// (docs/precompiles.md). keyGen and decapsulate are refused: they would put a secret key in calldata.
interface IMLKEM {
    function encapsulate(bytes calldata pk) external view returns (bytes memory ct, bytes memory ss);
}
