// Deploys the example contracts (ParsToken, PostQuantumCheck, Counter, then SessionCounter) with Hardhat's own provider.
//
//   npm run deploy:example -- --network pars          (PARS_RPC_URL overrides http://127.0.0.1:8545)
//
// hardhat-ethers is not installed on purpose: this uses `hre.network.provider` (which, for `pars`,
// signs locally with the HD accounts from the config and sends eth_sendRawTransaction) and the
// compiled artifacts. Each address is printed as "<Name> deployed at 0x..."; SessionCounter's is the LAST line.
'use strict'

const hre = require('hardhat')
const { encodeDeployData } = require('viem')

const RECEIPT_TIMEOUT_MS = 60_000
const POLL_MS = 25

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitForReceipt(provider, hash) {
  const deadline = Date.now() + RECEIPT_TIMEOUT_MS
  for (;;) {
    const receipt = await provider.request({ method: 'eth_getTransactionReceipt', params: [hash] })
    if (receipt) return receipt
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${RECEIPT_TIMEOUT_MS} ms`)
    await sleep(POLL_MS)
  }
}

async function deploy(provider, from, name, args = []) {
  const artifact = await hre.artifacts.readArtifact(name)
  const data = encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args })
  const hash = await provider.request({ method: 'eth_sendTransaction', params: [{ from, data }] })
  const receipt = await waitForReceipt(provider, hash)
  if (receipt.status !== '0x1' || !receipt.contractAddress) {
    throw new Error(`${name} deployment failed: tx ${hash} status ${receipt.status}`)
  }
  return receipt.contractAddress
}

async function main() {
  const provider = hre.network.provider
  const [deployer] = await provider.request({ method: 'eth_accounts' })
  if (!deployer) throw new Error(`network ${hre.network.name} has no accounts`)
  const chainId = Number(await provider.request({ method: 'eth_chainId' }))
  console.log(`network ${hre.network.name} (chain ${chainId}), deployer ${deployer}`)

  const token = await deploy(provider, deployer, 'ParsToken', ['Pars Token', 'PARS', 1_000_000n * 10n ** 18n])
  console.log(`ParsToken deployed at ${token}`)
  const pq = await deploy(provider, deployer, 'PostQuantumCheck')
  console.log(`PostQuantumCheck deployed at ${pq}`)
  const counter = await deploy(provider, deployer, 'Counter')
  console.log(`Counter deployed at ${counter}`)
  const sessionCounter = await deploy(provider, deployer, 'SessionCounter')
  console.log(`SessionCounter deployed at ${sessionCounter}`)
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
