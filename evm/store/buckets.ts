/**
 * Key prefixes ("buckets") of the chain database. One byte each; never renumber a bucket, add new
 * ones at the end. docs/architecture.md lists them.
 */
export const Bucket = {
  /** number (u64 BE) -> block hash, canonical chain */
  canonical: Uint8Array.of(0x01),
  /** block hash -> block RLP */
  block: Uint8Array.of(0x02),
  /** block hash -> number (u64 BE) */
  hashToNumber: Uint8Array.of(0x03),
  /** block hash -> receipts RLP */
  receipts: Uint8Array.of(0x04),
  /** tx hash -> block hash (32) ++ index (u32 BE) */
  txIndex: Uint8Array.of(0x05),
  /** meta name (utf8) -> value */
  meta: Uint8Array.of(0x06),
  /** state trie nodes and contract code */
  trie: Uint8Array.of(0x07),
  /** log index: address (20) ++ number (u64 BE) -> empty */
  logAddress: Uint8Array.of(0x08),
  /** log index: topic position (1) ++ topic (32) ++ number (u64 BE) -> empty */
  logTopic: Uint8Array.of(0x09),
  /** block hash -> the seal consensus finalized it with (proposer, consensus timestamp, signature), opaque here */
  seal: Uint8Array.of(0x0a),
} as const
