// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IECIES — ECIES encryption to a secp256k1 public key, precompile 0x0701 on Pars.
/// @notice out = R || ChaCha20-Poly1305 ciphertext, with the ephemeral key derived from the caller's
/// 32 bytes of randomness (docs/precompiles.md). That randomness is public on-chain: anyone who sees
/// the call can decrypt. Decryption is off-chain (eciesDecrypt in the TypeScript package); the
/// precompile refuses decrypt, which would put a secret key in calldata.
interface IECIES {
    function encrypt(bytes calldata publicKey, bytes calldata plaintext, bytes32 randomness)
        external
        view
        returns (bytes memory ciphertext);
}
