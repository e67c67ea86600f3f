// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IMLDSA} from "./IMLDSA.sol";
import {IMLKEM} from "./IMLKEM.sol";
import {ISLHDSA} from "./ISLHDSA.sol";
import {ISHA3} from "./ISHA3.sol";
import {IRingSignature} from "./IRingSignature.sol";
import {IECIES} from "./IECIES.sol";
import {IHPKE} from "./IHPKE.sol";

/// @title ParsPrecompiles — the addresses of the Pars precompiles (docs/precompiles.md).
library ParsPrecompiles {
    IMLDSA internal constant MLDSA = IMLDSA(address(0x0600));
    IMLKEM internal constant MLKEM = IMLKEM(address(0x0601));
    ISLHDSA internal constant SLHDSA = ISLHDSA(address(0x0602));
    ISHA3 internal constant SHA3 = ISHA3(address(0x0603));
    IRingSignature internal constant RING = IRingSignature(address(0x0700));
    IECIES internal constant ECIES = IECIES(address(0x0701));
    IHPKE internal constant HPKE = IHPKE(address(0x0702));

    /// @notice The 32-byte body of the Session ID of an ML-DSA public key (the ID is 0x05 ++ this).
    function sessionIdOf(bytes calldata mldsaPublicKey) internal view returns (bytes32) {
        return SHA3.sha3_256(mldsaPublicKey);
    }
}
