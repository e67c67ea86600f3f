// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SessionTrigger} from "../session/SessionTrigger.sol";
import {SessionNotifier} from "../session/SessionNotifier.sol";
import {Strings} from "../session/Strings.sol";

/// @title SessionCounter — the SessionTrigger example: a counter any Session identity may increment
/// through a signed action (`parsctl session trigger --to ADDR --function "increment()"`), counted per
/// Session ID as well. Each increment also sends a notice to the Session ID that made it (its inbox
/// shows "SessionCounter: number is N").
contract SessionCounter is SessionTrigger, SessionNotifier {
    uint256 public number;
    mapping(bytes32 => uint256) public incrementsBy;

    event Incremented(bytes32 indexed sessionId, uint256 number);

    function increment() external onlySession {
        number += 1;
        incrementsBy[sessionSender()] += 1;
        emit Incremented(sessionSender(), number);
        _notifySession(sessionSender(), string.concat("SessionCounter: number is ", Strings.toString(number)));
    }

    /// @dev Every Session ID may call increment(); nothing else.
    function _authorizeSession(bytes32, bytes4 selector) internal pure override returns (bool) {
        return selector == this.increment.selector;
    }
}
