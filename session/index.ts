// session: identities, the post-quantum session protocol and its message format (issue 4). The
// network (service nodes, swarms, onion requests, the daemon) comes in a later issue.
export * from './errors.js'
export * from './crypto/identity.js'
export * from './crypto/bundle.js'
export * from './crypto/keystore.js'
export { RATCHET_DEFAULTS, type RatchetOptions } from './crypto/ratchet.js'
export { osRandom, type RandomSource } from './crypto/primitives.js'
export * from './protocol/message.js'
export * from './session.js'
export * from './storage/store.js'
export * from './swarm/swarms.js'
export * from './onion/onion.js'
