// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IHPKE — RFC 9180 HPKE base-mode seal, precompile 0x0702 on Pars.
/// @notice suite 0: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, 32-byte key, 32 bytes
/// of randomness; suite 1: X-Wing (ML-KEM-768 + X25519) / HKDF-SHA256 / ChaCha20-Poly1305, 1216-byte
/// key, 64 bytes of randomness. The randomness is the caller's and public on-chain: whoever sees the
/// call can read the plaintext (docs/precompiles.md). open is refused (a secret key in calldata).
interface IHPKE {
    function seal(
        uint8 suite,
        bytes calldata recipientPublicKey,
        bytes calldata info,
        bytes calldata aad,
        bytes calldata plaintext,
        bytes calldata randomness
    ) external view returns (bytes memory enc, bytes memory ciphertext);
}
