// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IRingSignature — linkable ring signature verification (LSAG over secp256k1), precompile
/// 0x0700 on Pars.
/// @notice `ring` is 2 to 64 members' 33-byte compressed secp256k1 public keys, concatenated;
/// `signature` is keyImage (33) || c0 (32) || one 32-byte scalar per member (docs/precompiles.md).
/// A valid signature proves that one member signed `message` without saying which; `keyImage`
/// (33 bytes, empty when invalid) is the same for every signature one key makes, so a contract that
/// records it can allow one action per member. Signing is off-chain (ringSign in the TypeScript
/// package); the precompile refuses sign and keyImage, which would put a secret key in calldata.
interface IRingSignature {
    function verify(bytes calldata ring, bytes calldata message, bytes calldata signature)
        external
        view
        returns (bool valid, bytes memory keyImage);
}
