// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ServiceNodeRegistry
/// @notice Nodes that join the Pars session network (message storage and onion relay) by staking PARS.
/// Genesis validators that list an onion key serve without registering. A system contract: deployed in
/// the genesis at 0x5A00000000000000000000000000000000000001 (docs/contracts.md).
/// @dev The registration carries an Ed25519 signature by the node's libp2p key over
/// "pars-service-node-v1" || chain id (32 bytes) || this contract || operator || onion key. The EVM has
/// no Ed25519, so the nodes and clients that read the events check it, and all of them ignore an entry
/// whose signature does not verify; the stake is what a registration costs either way.
contract ServiceNodeRegistry {
    uint256 public constant MIN_STAKE = 1_000 ether;
    uint256 public constant UNBONDING_BLOCKS = 1_000;
    uint256 public constant ONION_KEY_BYTES = 1_216;
    uint256 public constant MAX_PEER_ID_BYTES = 64;

    struct Entry {
        address operator;
        uint256 stake;
        uint256 exitBlock;
        bool active;
    }

    mapping(bytes32 => Entry) private entries;
    uint256 public activeCount;

    event Registered(bytes peerId, address indexed operator, bytes onionKey, bytes signature, uint256 stake);
    event Deregistered(bytes peerId, address indexed operator, uint256 exitBlock);
    event Withdrawn(bytes peerId, address indexed operator, uint256 amount);

    error StakeTooLow(uint256 sent, uint256 minimum);
    error BadPeerId();
    error BadOnionKey(uint256 length);
    error BadSignature(uint256 length);
    error AlreadyRegistered();
    error NotOperator();
    error NotActive();
    error StillBonded(uint256 exitBlock);
    error NothingToWithdraw();
    error TransferFailed();

    /// @notice Join with at least MIN_STAKE (msg.value), the node's libp2p peer id (binary), its X-Wing
    /// onion public key, and the Ed25519 signature described above.
    function register(bytes calldata peerId, bytes calldata onionKey, bytes calldata signature) external payable {
        if (msg.value < MIN_STAKE) revert StakeTooLow(msg.value, MIN_STAKE);
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_BYTES) revert BadPeerId();
        if (onionKey.length != ONION_KEY_BYTES) revert BadOnionKey(onionKey.length);
        if (signature.length != 64) revert BadSignature(signature.length);
        bytes32 id = keccak256(peerId);
        Entry storage e = entries[id];
        if (e.active || e.stake != 0) revert AlreadyRegistered();
        entries[id] = Entry({operator: msg.sender, stake: msg.value, exitBlock: 0, active: true});
        activeCount += 1;
        emit Registered(peerId, msg.sender, onionKey, signature, msg.value);
    }

    /// @notice Leave the network; the stake can be withdrawn UNBONDING_BLOCKS later.
    function deregister(bytes calldata peerId) external {
        Entry storage e = entries[keccak256(peerId)];
        if (!e.active) revert NotActive();
        if (e.operator != msg.sender) revert NotOperator();
        e.active = false;
        e.exitBlock = block.number + UNBONDING_BLOCKS;
        activeCount -= 1;
        emit Deregistered(peerId, msg.sender, e.exitBlock);
    }

    /// @notice The operator takes the stake back once the unbonding period is over.
    function withdraw(bytes calldata peerId) external {
        bytes32 id = keccak256(peerId);
        Entry storage e = entries[id];
        if (e.operator != msg.sender) revert NotOperator();
        if (e.active || e.stake == 0) revert NothingToWithdraw();
        if (block.number < e.exitBlock) revert StillBonded(e.exitBlock);
        uint256 amount = e.stake;
        delete entries[id];
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
        emit Withdrawn(peerId, msg.sender, amount);
    }

    function entry(bytes calldata peerId) external view returns (address operator, uint256 stake, uint256 exitBlock, bool active) {
        Entry storage e = entries[keccak256(peerId)];
        return (e.operator, e.stake, e.exitBlock, e.active);
    }
}
