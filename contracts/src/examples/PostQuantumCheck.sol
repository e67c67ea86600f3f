// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ParsPrecompiles} from "../precompiles/ParsPrecompiles.sol";

/// @title PostQuantumCheck — an example using each Pars precompile (ML-DSA, ML-KEM, SLH-DSA,
/// SHA3-256, linkable ring signatures, ECIES, HPKE).
/// @notice Records which Session identities (by SHA3-256 of their ML-DSA key) signed a statement,
/// and accepts SLH-DSA signatures for keys that prefer hash-based signatures.
contract PostQuantumCheck {
    event Signed(bytes32 indexed sessionId, bytes32 indexed statement);

    event Endorsed(bytes32 indexed ringHash, bytes32 indexed keyImageHash, bytes32 statement);

    mapping(bytes32 => mapping(bytes32 => bool)) public signedBy;
    /// keccak256 of each key image that has endorsed: one endorsement per key, whatever the ring
    mapping(bytes32 => bool) public endorsedBy;

    /// @notice Record that the holder of `pk` (ML-DSA) signed `statement`.
    function recordMLDSA(bytes calldata pk, bytes32 statement, bytes calldata sig) external returns (bytes32 id) {
        require(ParsPrecompiles.MLDSA.verify(pk, abi.encodePacked(statement), sig), "bad ML-DSA signature");
        id = ParsPrecompiles.sessionIdOf(pk);
        signedBy[id][statement] = true;
        emit Signed(id, statement);
    }

    /// @notice The same with an SLH-DSA key of parameter set `set` (identified by SHA3-256 of the key).
    function recordSLHDSA(uint8 set, bytes calldata pk, bytes32 statement, bytes calldata sig) external returns (bytes32 id) {
        require(ParsPrecompiles.SLHDSA.verify(set, pk, abi.encodePacked(statement), sig), "bad SLH-DSA signature");
        id = ParsPrecompiles.SHA3.sha3_256(pk);
        signedBy[id][statement] = true;
        emit Signed(id, statement);
    }

    /// @notice An anonymous endorsement of `statement` by one member of `ring` (their 33-byte
    /// secp256k1 keys concatenated): the contract learns that some member endorsed, never which,
    /// and refuses a second endorsement by the same key, even in another ring.
    function endorse(bytes calldata ring, bytes32 statement, bytes calldata signature) external returns (bytes32 tag) {
        (bool valid, bytes memory keyImage) = ParsPrecompiles.RING.verify(ring, abi.encodePacked(address(this), statement), signature);
        require(valid, "bad ring signature");
        tag = keccak256(keyImage);
        require(!endorsedBy[tag], "this key has already endorsed");
        endorsedBy[tag] = true;
        emit Endorsed(keccak256(ring), tag, statement);
    }

    /// @notice A receipt for `statement`, encrypted to the recorder's secp256k1 key with the caller's
    /// randomness (public on-chain, see IECIES): readable by that key's holder off-chain.
    function sealReceipt(bytes calldata recipientKey, bytes32 statement, bytes32 randomness) external view returns (bytes memory) {
        return ParsPrecompiles.ECIES.encrypt(recipientKey, abi.encodePacked(statement), randomness);
    }

    /// @notice A public ML-KEM encapsulation to `pk` (its secret is public, see IMLKEM): the holder of
    /// the key can check off-chain that the contract derived the same shared secret.
    function encapsulateTo(bytes calldata pk) external view returns (bytes memory ct, bytes32 ssHash) {
        bytes memory ss;
        (ct, ss) = ParsPrecompiles.MLKEM.encapsulate(pk);
        ssHash = keccak256(ss);
    }

    /// @notice `statement` sealed with HPKE (suite 0 X25519 or 1 X-Wing) to the recipient's key, with
    /// the caller's (public) randomness: the recipient opens it off-chain with hpkeOpen.
    function sealStatement(uint8 suite, bytes calldata recipientKey, bytes32 statement, bytes calldata randomness)
        external
        view
        returns (bytes memory enc, bytes memory ciphertext)
    {
        return ParsPrecompiles.HPKE.seal(suite, recipientKey, "pars-example", "", abi.encodePacked(statement), randomness);
    }
}
