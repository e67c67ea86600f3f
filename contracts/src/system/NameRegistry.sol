// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ParsPrecompiles} from "../precompiles/ParsPrecompiles.sol";

/// @title NameRegistry — the Session Name Service: `alice.pars` names a Session ID
/// @notice A system contract, in every genesis at 0x5A00000000000000000000000000000000000002
/// (docs/bridge.md). A name is 3 to 64 characters of [a-z0-9-] (clients lower-case it and drop a
/// ".pars" suffix first). Registering one needs the Session key's consent: an ML-DSA-87 signature, with
/// the context "pars-name-v1", over abi.encode(keccak256("pars-name-v1"), name, owner, chain id), by the
/// key whose SHA3-256 is the Session ID (checked through the 0x0600 and 0x0603 precompiles). The fee is
/// burned (sent to the zero address). A name lasts a year from registration or renewal; after that
/// anyone may register it again.
contract NameRegistry {
    bytes32 public constant NAME_DOMAIN = keccak256("pars-name-v1");
    bytes internal constant NAME_CONTEXT = "pars-name-v1";
    uint256 public constant FEE = 1 ether;
    uint256 public constant TERM = 365 days;
    uint256 internal constant MLDSA87_PUBLIC_KEY_BYTES = 2592;

    struct Record {
        bytes32 sessionId;
        address owner;
        uint64 expiry;
    }

    mapping(bytes32 => Record) private records;

    event NameRegistered(string name, bytes32 indexed sessionId, address indexed owner, uint64 expiry);
    event NameRenewed(string name, uint64 expiry);
    event NameTransferred(string name, address indexed from, address indexed to);
    event NameReleased(string name);

    error InvalidName(string name);
    error NameTaken(string name, uint64 expiry);
    error NameNotFound(string name);
    error NotOwner(address owner);
    error FeeTooLow(uint256 sent, uint256 fee);
    error NotMLDSA87Key(uint256 length);
    error KeyNotForSession(bytes32 sessionId, bytes32 keyHash);
    error BadProof();
    error BurnFailed();

    /// @notice Register `name` for the Session ID, owned by the sender, for a year.
    function register(string calldata name, bytes32 sessionId, bytes calldata mldsaPublicKey, bytes calldata proof) external payable {
        _checkName(name);
        bytes32 key = keccak256(bytes(name));
        Record storage r = records[key];
        if (r.owner != address(0) && r.expiry >= block.timestamp) revert NameTaken(name, r.expiry);
        _checkConsent(name, sessionId, mldsaPublicKey, proof);
        _burn();
        uint64 expiry = uint64(block.timestamp + TERM);
        records[key] = Record({sessionId: sessionId, owner: msg.sender, expiry: expiry});
        emit NameRegistered(name, sessionId, msg.sender, expiry);
    }

    /// @notice Another year, from the current expiry (or from now, if it has passed): the owner only.
    function renew(string calldata name) external payable {
        Record storage r = _owned(name);
        _burn();
        uint256 from = r.expiry > block.timestamp ? r.expiry : block.timestamp;
        r.expiry = uint64(from + TERM);
        emit NameRenewed(name, r.expiry);
    }

    /// @notice Hand the name (and the right to renew, transfer or release it) to another address.
    function transfer(string calldata name, address to) external {
        Record storage r = _owned(name);
        r.owner = to;
        emit NameTransferred(name, msg.sender, to);
    }

    /// @notice Give the name up.
    function release(string calldata name) external {
        _owned(name);
        delete records[keccak256(bytes(name))];
        emit NameReleased(name);
    }

    /// @notice The Session ID (32-byte body), owner and expiry of a live name; zeros when there is none.
    function resolve(string calldata name) external view returns (bytes32 sessionId, address owner, uint64 expiry) {
        Record storage r = records[keccak256(bytes(name))];
        if (r.owner == address(0) || r.expiry < block.timestamp) return (bytes32(0), address(0), 0);
        return (r.sessionId, r.owner, r.expiry);
    }

    function _owned(string calldata name) internal view returns (Record storage r) {
        r = records[keccak256(bytes(name))];
        if (r.owner == address(0) || r.expiry < block.timestamp) revert NameNotFound(name);
        if (r.owner != msg.sender) revert NotOwner(r.owner);
    }

    function _checkName(string calldata name) internal pure {
        bytes memory b = bytes(name);
        if (b.length < 3 || b.length > 64) revert InvalidName(name);
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d;
            if (!ok) revert InvalidName(name);
        }
    }

    function _checkConsent(string calldata name, bytes32 sessionId, bytes calldata publicKey, bytes calldata proof) internal view {
        if (publicKey.length != MLDSA87_PUBLIC_KEY_BYTES) revert NotMLDSA87Key(publicKey.length);
        bytes32 keyHash = ParsPrecompiles.sessionIdOf(publicKey);
        if (keyHash != sessionId) revert KeyNotForSession(sessionId, keyHash);
        bytes memory statement = abi.encode(NAME_DOMAIN, name, msg.sender, block.chainid);
        if (!ParsPrecompiles.MLDSA.verifyWithContext(publicKey, statement, proof, NAME_CONTEXT)) revert BadProof();
    }

    function _burn() internal {
        if (msg.value < FEE) revert FeeTooLow(msg.value, FEE);
        (bool ok, ) = address(0).call{value: msg.value}("");
        if (!ok) revert BurnFailed();
    }
}
