//! The portable proofs of a portal tenant's data, readable without the portal.
//!
//! - [`archive`]: the `onus.export/v1` archive, a plain tar of JSON, JSON Lines, YAML and
//!   evidence files with a manifest holding the SHA-256 of every file, written and read as a
//!   stream (an entry at a time, never the whole archive in memory), with deterministic tar
//!   headers so that the same data always gives the same bytes.
//! - [`format`]: the serde types of the archive's files (their JSON Schema is
//!   `schema/export.schema.json`, generated from them).
//! - [`chain`]: the hash chain of the portal's log (how an entry's hash is computed) and the
//!   offline check of the proof an export carries that its entries belong to the chain.
//! - [`cert`]: deletion certificates signed with the instance's Ed25519 key, and their
//!   offline verification.
//!
//! **Invariants.** Knows no SQL, HTTP or terminal: `onus-store` writes and reads archives
//! through it, the CLI verifies them with it. Verifying an archive, a log proof or a
//! certificate needs nothing but the files and, for signatures, the instance's public key.

pub mod archive;
pub mod cert;
pub mod chain;
pub mod format;

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
