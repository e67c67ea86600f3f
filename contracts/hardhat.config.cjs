// Hardhat 2 project for Pars, rooted at contracts/ (CommonJS: the root package.json is "type": "module").
// Run from the repository root:  npx hardhat --config contracts/hardhat.config.cjs <task>
// Hardhat takes the directory of this file as the project root, so the paths below are relative to contracts/.
'use strict'

const { subtask } = require('hardhat/config')
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names')

// The compiler is the solcjs build shipped by the `solc` npm package (a devDependency), never a
// download: Hardhat's own subtask fetches soljson/native solc from binaries.soliditylang.org, which
// is unreachable here and would make builds depend on the network. See docs/contracts.md.
const solc = require('solc')
const SOLC_VERSION = require('solc/package.json').version // e.g. 0.8.30

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) {
    // Only the bundled compiler is available offline; fail loudly rather than download.
    throw new Error(
      `Pars contracts compile offline with the npm solc ${SOLC_VERSION} only; ` +
        `a source asked for solc ${args.solcVersion}. Set the pragma/config to ${SOLC_VERSION}.`,
    )
  }
  void runSuper
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  }
})

const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Cancun: supported by the EthereumJS VM in parsd, Hardhat's EDR and anvil alike.
      evmVersion: 'cancun',
    },
  },
  paths: {
    root: __dirname,
    sources: 'src',
    artifacts: 'artifacts',
    cache: 'cache',
    tests: 'test',
  },
  defaultNetwork: 'hardhat',
  networks: {
    hardhat: {},
    pars: {
      url: process.env.PARS_RPC_URL || 'http://127.0.0.1:8545',
      chainId: 6133,
      // HD accounts: Hardhat derives the keys and signs locally, then sends eth_sendRawTransaction.
      accounts: { mnemonic: DEV_MNEMONIC, count: 20 },
    },
  },
}
