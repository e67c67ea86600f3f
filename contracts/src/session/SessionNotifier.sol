// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SessionNotifier — contracts that write to a Session ID's inbox (chain to inbox, docs/bridge.md)
/// @notice A `SessionNotice` event at a finalized block is stored by every member of the Session ID's
/// swarm, and the owner's daemon shows it in its `notices` conversation. Everything in it is public (it
/// is an event on chain): never put a secret in a notice.
abstract contract SessionNotifier {
    /// @param sessionId the 32-byte body of the Session ID (its hex without the leading 05)
    /// @param message shown to the user as text (the first 1,024 bytes)
    event SessionNotice(bytes32 indexed sessionId, string message);

    function _notifySession(bytes32 sessionId, string memory message) internal {
        emit SessionNotice(sessionId, message);
    }
}
