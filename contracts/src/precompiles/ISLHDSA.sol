// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ISLHDSA — FIPS 205 SLH-DSA signature verification, precompile 0x0602 on Pars.
/// @notice parameterSet, in FIPS 205 table order: 0 SHA2-128s, 1 SHAKE-128s, 2 SHA2-128f,
/// 3 SHAKE-128f, 4 SHA2-192s, 5 SHAKE-192s, 6 SHA2-192f, 7 SHAKE-192f, 8 SHA2-256s, 9 SHAKE-256s,
/// 10 SHA2-256f, 11 SHAKE-256f. Gas depends on the set (SHAKE sets cost several times more).
interface ISLHDSA {
    function verify(uint8 parameterSet, bytes calldata pk, bytes calldata msg, bytes calldata sig)
        external
        view
        returns (bool);
}
