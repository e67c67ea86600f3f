// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ISHA3 — FIPS 202 SHA3-256, precompile 0x0603 on Pars.
/// @notice Not keccak256: a Session ID is 0x05 followed by SHA3-256 of the identity's ML-DSA key, so
/// contracts that check Session identities need this function.
interface ISHA3 {
    function sha3_256(bytes calldata data) external view returns (bytes32);
}
