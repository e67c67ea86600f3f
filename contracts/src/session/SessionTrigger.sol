// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ParsPrecompiles} from "../precompiles/ParsPrecompiles.sol";

/// @title SessionTrigger — contracts acted on by signed Session messages (docs/bridge.md)
/// @notice A Session user signs an action with their identity's ML-DSA-87 key; anyone (a relay) submits
/// it with `executeFromSession`, and the contract checks everything itself:
///   - the signature, through the 0x0600 precompile, with the context "pars-session-trigger-v1";
///   - that the key is the one the Session ID names: the ID is 0x05 ++ SHA3-256(key) (FIPS 202, through
///     the 0x0603 precompile — not keccak256);
///   - the action's domain, chain id and target (this contract), its expiry, and its nonce (the next one
///     of that Session ID: each action runs once, in order).
/// Then it runs the action's call on itself, with `sessionSender()` telling the function who asked.
/// Apps inherit this and decide, in `_authorizeSession`, which Session IDs may call which functions.
///
/// The signed action is `abi.encode(bytes32 domain, uint256 chainId, address target, bytes32 sessionId,
/// uint256 nonce, uint64 expiry, bytes callData)` with domain = keccak256("pars-session-trigger-v1").
abstract contract SessionTrigger {
    bytes32 public constant TRIGGER_DOMAIN = keccak256("pars-session-trigger-v1");
    bytes internal constant TRIGGER_CONTEXT = "pars-session-trigger-v1";
    uint256 internal constant MLDSA87_PUBLIC_KEY_BYTES = 2592;

    /// @notice The nonce the next action of a Session ID (its 32-byte body) must carry.
    mapping(bytes32 => uint256) public sessionNonces;

    /// the Session ID whose action is running (zero outside one)
    bytes32 private currentSession;

    event SessionAction(bytes32 indexed sessionId, uint256 nonce, bytes4 selector);

    error WrongDomain(bytes32 domain);
    error WrongChain(uint256 expected, uint256 actual);
    error WrongTarget(address expected, address actual);
    error Expired(uint64 expiry, uint256 blockTime);
    error BadNonce(uint256 expected, uint256 actual);
    error NotMLDSA87Key(uint256 length);
    error KeyNotForSession(bytes32 sessionId, bytes32 keyHash);
    error BadSessionSignature();
    error NotAllowed(bytes32 sessionId, bytes4 selector);
    error OnlyFromSession();
    error Reentrant();

    /// @notice A decoded action.
    struct SessionAction_ {
        bytes32 domain;
        uint256 chainId;
        address target;
        bytes32 sessionId;
        uint256 nonce;
        uint64 expiry;
        bytes callData;
    }

    /// @notice Verify a signed action and run it. Reverts with one of the errors above, or with the
    /// action's own revert (so a relay's eth_call shows it before any gas is spent).
    function executeFromSession(bytes calldata sessionMessage, bytes calldata mldsaSignature, bytes calldata mldsaPublicKey)
        external
        returns (bytes memory)
    {
        if (currentSession != bytes32(0)) revert Reentrant();
        SessionAction_ memory a = _decodeAction(sessionMessage);
        _checkAction(a);
        _checkSigner(a.sessionId, sessionMessage, mldsaSignature, mldsaPublicKey);
        bytes4 selector = a.callData.length >= 4 ? bytes4(a.callData) : bytes4(0);
        if (!_authorizeSession(a.sessionId, selector)) revert NotAllowed(a.sessionId, selector);
        sessionNonces[a.sessionId] = a.nonce + 1;
        emit SessionAction(a.sessionId, a.nonce, selector);
        currentSession = a.sessionId;
        (bool ok, bytes memory ret) = address(this).call(a.callData);
        currentSession = bytes32(0);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function _decodeAction(bytes calldata sessionMessage) internal pure returns (SessionAction_ memory a) {
        (a.domain, a.chainId, a.target, a.sessionId, a.nonce, a.expiry, a.callData) =
            abi.decode(sessionMessage, (bytes32, uint256, address, bytes32, uint256, uint64, bytes));
    }

    function _checkAction(SessionAction_ memory a) internal view {
        if (a.domain != TRIGGER_DOMAIN) revert WrongDomain(a.domain);
        if (a.chainId != block.chainid) revert WrongChain(block.chainid, a.chainId);
        if (a.target != address(this)) revert WrongTarget(address(this), a.target);
        if (block.timestamp > a.expiry) revert Expired(a.expiry, block.timestamp);
        if (a.nonce != sessionNonces[a.sessionId]) revert BadNonce(sessionNonces[a.sessionId], a.nonce);
    }

    function _checkSigner(bytes32 sessionId, bytes calldata message, bytes calldata signature, bytes calldata publicKey) internal view {
        if (publicKey.length != MLDSA87_PUBLIC_KEY_BYTES) revert NotMLDSA87Key(publicKey.length);
        bytes32 keyHash = ParsPrecompiles.sessionIdOf(publicKey);
        if (keyHash != sessionId) revert KeyNotForSession(sessionId, keyHash);
        if (!ParsPrecompiles.MLDSA.verifyWithContext(publicKey, message, signature, TRIGGER_CONTEXT)) revert BadSessionSignature();
    }

    /// @notice The Session ID (32-byte body) of the action being run; zero outside one.
    function sessionSender() public view returns (bytes32) {
        return currentSession;
    }

    /// @dev Functions only a Session action may call.
    modifier onlySession() {
        if (msg.sender != address(this) || currentSession == bytes32(0)) revert OnlyFromSession();
        _;
    }

    /// @dev Which Session IDs may call which functions (selector). The app decides.
    function _authorizeSession(bytes32 sessionId, bytes4 selector) internal view virtual returns (bool);
}
