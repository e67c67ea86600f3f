// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Counter
/// @notice The example contract: a counter with an event, a revert with a reason string and one with a
///         custom error, so tests can check logs and revert data end to end.
contract Counter {
    uint256 public number;

    event Incremented(address indexed by, uint256 value);

    error NotBelow(uint256 value, uint256 limit);

    function increment() external {
        number += 1;
        emit Incremented(msg.sender, number);
    }

    /// @notice Adds `by`; reverts with the reason string "Counter: zero increment" when `by` is 0.
    function incrementBy(uint256 by) external {
        require(by > 0, "Counter: zero increment");
        number += by;
        emit Incremented(msg.sender, number);
    }

    function setNumber(uint256 value) external {
        number = value;
        emit Incremented(msg.sender, value);
    }

    /// @notice Always reverts with the reason string "Counter: always reverts".
    function failWithReason() external pure {
        revert("Counter: always reverts");
    }

    /// @notice Reverts with the custom error NotBelow(number, limit) unless number < limit.
    function requireBelow(uint256 limit) external view returns (uint256) {
        if (number >= limit) revert NotBelow(number, limit);
        return number;
    }
}
