// Benchmark peer: @signalapp/libsignal-client (optional dependency), measured so the session-crypto benchmark
// can print Signal's figures next to ours. Two parties live in one process with minimal in-memory stores
// (records kept as objects, no serialization); every async libsignal call is awaited sequentially.
//
// handshakesPerSec — one full PQXDH session establishment per iteration, which includes:
//   Bob: fresh one-time EC prekey, fresh signed EC prekey, fresh ML-KEM-1024 (Kyber) prekey + both signatures;
//   Alice: processPreKeyBundle + signalEncrypt of the first message (a PreKeySignalMessage);
//   Bob: signalDecryptPreKey. Long-term identity keys are generated once, outside the timed loop.
// messagesPerSec — encrypt+decrypt pairs of `messageBytes` messages, alternating direction each message so the
//   DH ratchet (and libsignal's SPQR post-quantum ratchet, on by default in 0.103) turns.
// overheadBytes — mean over the timed loop of serialized SignalMessage length minus plaintext length (SPQR
//   messages carry ratchet chunks, so the size varies per message); handshakeBytes — the same for the first
//   PreKeySignalMessage.
// Run directly (`node bench/peers/libsignal.mjs`) to print the figures as JSON.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'

const PKG = '@signalapp/libsignal-client'

const memoryStores = (S, identity, registrationId) => {
  const pair = new S.IdentityKeyPair(identity.getPublicKey(), identity)
  const sessions = new Map()
  const identities = new Map()
  const preKeys = new Map()
  const signedPreKeys = new Map()
  const kyberPreKeys = new Map()
  return {
    session: new (class extends S.SessionStore {
      async saveSession(address, record) {
        sessions.set(address.toString(), record)
      }
      async getSession(address) {
        return sessions.get(address.toString()) ?? null
      }
      async getExistingSessions(addresses) {
        return addresses.map((a) => sessions.get(a.toString()))
      }
    })(),
    identity: new (class extends S.IdentityKeyStore {
      async getIdentityKey() {
        return identity
      }
      async getIdentityKeyPair() {
        return pair
      }
      async getLocalRegistrationId() {
        return registrationId
      }
      async saveIdentity(address, key) {
        const old = identities.get(address.toString())
        identities.set(address.toString(), key)
        return old && !old.equals(key) ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged
      }
      async isTrustedIdentity() {
        return true
      }
      async getIdentity(address) {
        return identities.get(address.toString()) ?? null
      }
    })(),
    preKey: new (class extends S.PreKeyStore {
      async savePreKey(id, record) {
        preKeys.set(id, record)
      }
      async getPreKey(id) {
        return preKeys.get(id)
      }
      async removePreKey(id) {
        preKeys.delete(id)
      }
    })(),
    signedPreKey: new (class extends S.SignedPreKeyStore {
      async saveSignedPreKey(id, record) {
        signedPreKeys.set(id, record)
      }
      async getSignedPreKey(id) {
        return signedPreKeys.get(id)
      }
    })(),
    kyberPreKey: new (class extends S.KyberPreKeyStore {
      async saveKyberPreKey(id, record) {
        kyberPreKeys.set(id, record)
      }
      async getKyberPreKey(id) {
        return kyberPreKeys.get(id)
      }
      async markKyberPreKeyUsed(id) {
        kyberPreKeys.delete(id)
      }
    })(),
    resetSessions: () => sessions.clear(),
  }
}

// Runs `step` for a short warm-up, then for at least minMs; returns iterations per second.
const rate = async (step, minMs) => {
  const warmEnd = performance.now() + Math.min(200, minMs / 5)
  while (performance.now() < warmEnd) await step(false)
  let n = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < minMs) {
    await step(true)
    n++
    elapsed = performance.now() - start
  }
  return (n * 1000) / elapsed
}

export async function libsignalFigures({ minMs = 1500, messageBytes = 1024 } = {}) {
  let S
  try {
    S = await import(PKG)
  } catch (err) {
    console.warn(`libsignal peer skipped: cannot import ${PKG} (${err.message})`)
    return undefined
  }
  const { version } = createRequire(import.meta.url)(`${PKG}/package.json`)
  const aliceAddr = S.ProtocolAddress.new('alice', 1)
  const bobAddr = S.ProtocolAddress.new('bob', 1)
  const bobIdentity = S.PrivateKey.generate()
  const alice = memoryStores(S, S.PrivateKey.generate(), 1)
  const bob = memoryStores(S, bobIdentity, 2)
  const plaintext = new Uint8Array(messageBytes).fill(0x61)

  const handshake = async () => {
    alice.resetSessions()
    bob.resetSessions()
    const preKey = S.PrivateKey.generate()
    const signedPreKey = S.PrivateKey.generate()
    const signedPub = signedPreKey.getPublicKey()
    const signedSig = bobIdentity.sign(signedPub.serialize())
    const kyber = S.KEMKeyPair.generate()
    const kyberSig = bobIdentity.sign(kyber.getPublicKey().serialize())
    await bob.preKey.savePreKey(1, S.PreKeyRecord.new(1, preKey.getPublicKey(), preKey))
    await bob.signedPreKey.saveSignedPreKey(1, S.SignedPreKeyRecord.new(1, Date.now(), signedPub, signedPreKey, signedSig))
    await bob.kyberPreKey.saveKyberPreKey(1, S.KyberPreKeyRecord.new(1, Date.now(), kyber, kyberSig))
    const bobPub = bobIdentity.getPublicKey()
    const bundle = S.PreKeyBundle.new(2, 1, 1, preKey.getPublicKey(), 1, signedPub, signedSig, bobPub, 1, kyber.getPublicKey(), kyberSig)
    await S.processPreKeyBundle(bundle, bobAddr, aliceAddr, alice.session, alice.identity)
    const first = await S.signalEncrypt(plaintext, bobAddr, aliceAddr, alice.session, alice.identity)
    if (first.type() !== S.CiphertextMessageType.PreKey) throw new Error('expected a PreKeySignalMessage')
    const bytes = first.serialize()
    const message = S.PreKeySignalMessage.deserialize(bytes)
    const args = [bob.session, bob.identity, bob.preKey, bob.signedPreKey, bob.kyberPreKey]
    const out = await S.signalDecryptPreKey(message, aliceAddr, bobAddr, ...args)
    if (out.length !== plaintext.length) throw new Error('PreKeySignalMessage round trip failed')
    return bytes.length - plaintext.length
  }

  let handshakeBytes = 0
  const handshakesPerSec = await rate(async () => (handshakeBytes = await handshake()), minMs)

  // Fresh session, then one reply from Bob so both sides are past the PreKeySignalMessage stage.
  await handshake()
  const parties = [
    { from: alice, fromAddr: aliceAddr, to: bob, toAddr: bobAddr },
    { from: bob, fromAddr: bobAddr, to: alice, toAddr: aliceAddr },
  ]
  let turn = 1
  let overheadSum = 0
  let overheadCount = 0
  const exchange = async (measured) => {
    const { from, fromAddr, to, toAddr } = parties[turn]
    turn ^= 1
    const ct = await S.signalEncrypt(plaintext, toAddr, fromAddr, from.session, from.identity)
    if (ct.type() !== S.CiphertextMessageType.Whisper) throw new Error('expected a SignalMessage')
    const bytes = ct.serialize()
    const out = await S.signalDecrypt(S.SignalMessage.deserialize(bytes), fromAddr, toAddr, to.session, to.identity)
    if (out.length !== plaintext.length) throw new Error('SignalMessage round trip failed')
    if (measured) {
      overheadSum += bytes.length - plaintext.length
      overheadCount++
    }
  }
  await exchange(false)
  const messagesPerSec = await rate(exchange, minMs)

  return { version, handshakesPerSec, messagesPerSec, overheadBytes: Math.round(overheadSum / overheadCount), handshakeBytes }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await libsignalFigures(), null, 2))
}
