// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IMLDSA — FIPS 204 ML-DSA signature verification, precompile 0x0600 on Pars.
/// @notice The level (ML-DSA-44, -65, -87) follows from the public key's length (1312, 1952, 2592
/// bytes). A wrong signature returns false; malformed input (a key of no level, a signature of the
/// wrong size for the key's level, a context over 255 bytes) reverts with a reason.
/// There is no keyGen or sign: they would put a secret key in public calldata (the precompile
/// refuses them). Sign off-chain.
interface IMLDSA {
    function verify(bytes calldata pk, bytes calldata msg, bytes calldata sig) external view returns (bool);

    function verifyWithContext(bytes calldata pk, bytes calldata msg, bytes calldata sig, bytes calldata ctx)
        external
        view
        returns (bool);
}
