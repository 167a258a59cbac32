//! The portal's hash-chained log, and the proof an export carries that an organisation's
//! entries belong to it.
//!
//! An entry's **content hash** is `sha256(json([seq, at, actor, actor_name, org_id, action,
//! subject, detail]))`; its **hash** is `sha256(prev_hash ‖ "\n" ‖ content_hash)`, the first
//! entry chaining to 64 zeros ([`GENESIS`]). Two levels so that an entry's content can be
//! removed (a deleted tenant's, see docs/portal.md, "Retention") while the chain stays
//! verifiable: the redacted entry keeps its content hash, which is all a link needs.
//!
//! **The proof** in an export (`log/entries.jsonl` and `log/head.json`) is every entry from
//! the organisation's first to the log's head at export time: the organisation's own with
//! their content, every other as its seq and content hash only (which reveals nothing of
//! another tenant). [`verify_proof`] recomputes each content hash it can and every link, from
//! the hash before the first entry to the head: the organisation's entries are then part of
//! the chain whose entry `head.seq` hashes to `head.hash`, the value `onus log verify` and the
//! export's signature vouch for.

use serde::{Deserialize, Serialize};

use crate::format::{LogHead, LogLine};
use crate::sha256_hex;

/// What the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's content, the fields its content hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Content {
    pub at: String,
    /// The acting user's id, or `system`.
    pub actor: String,
    pub actor_name: String,
    pub org_id: Option<String>,
    /// What was done: `org.create`, `audit.upload`, ...
    pub action: String,
    /// The id of what it was done to.
    pub subject: String,
    /// JSON text: the change's particulars.
    pub detail: String,
}

/// `sha256(json([seq, at, actor, actor_name, org_id, action, subject, detail]))`.
pub fn content_hash(seq: i64, c: &Content) -> String {
    let body = serde_json::json!([
        seq,
        c.at,
        c.actor,
        c.actor_name,
        c.org_id,
        c.action,
        c.subject,
        c.detail
    ]);
    sha256_hex(body.to_string().as_bytes())
}

/// `sha256(prev_hash ‖ "\n" ‖ content_hash)`.
pub fn link_hash(prev: &str, content_hash: &str) -> String {
    sha256_hex(format!("{prev}\n{content_hash}").as_bytes())
}

/// What a proof proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proven {
    /// Lines read (the organisation's entries and the others between them).
    pub lines: u64,
    /// The organisation's entries, each checked against its content.
    pub own: u64,
    /// The head the chain was followed to.
    pub head_seq: i64,
    pub head_hash: String,
}

/// Why a proof does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("log line {line}: entry {found} follows entry {prev}: entries must be consecutive")]
    Gap { line: u64, prev: i64, found: i64 },
    #[error(
        "log line {line}: entry {seq}'s content hashes to {computed}, the line records {recorded}"
    )]
    Content {
        line: u64,
        seq: i64,
        computed: String,
        recorded: String,
    },
    #[error("log line {line}: entry {seq} hashes to {computed} from the entry before it, the line records {recorded}")]
    Link {
        line: u64,
        seq: i64,
        computed: String,
        recorded: String,
    },
    #[error("the chain ends at entry {seq} with hash {hash}, the head records entry {head_seq} with hash {head_hash}")]
    Head {
        seq: i64,
        hash: String,
        head_seq: i64,
        head_hash: String,
    },
    #[error("log line {line}: {message}")]
    Line { line: u64, message: String },
}

/// Follows a proof, line by line (bounded memory: one line at a time).
pub struct ProofCheck {
    head: LogHead,
    prev_hash: String,
    prev_seq: i64,
    lines: u64,
    own: u64,
}

impl ProofCheck {
    pub fn new(head: LogHead) -> ProofCheck {
        ProofCheck {
            prev_hash: head.prev_hash.clone(),
            prev_seq: head.first_seq - 1,
            head,
            lines: 0,
            own: 0,
        }
    }

    /// Checks the next line.
    pub fn line(&mut self, l: &LogLine) -> Result<(), ProofError> {
        self.lines += 1;
        let line = self.lines;
        if l.seq != self.prev_seq + 1 {
            return Err(ProofError::Gap {
                line,
                prev: self.prev_seq,
                found: l.seq,
            });
        }
        if let Some(c) = &l.entry {
            let computed = content_hash(l.seq, c);
            if computed != l.content_hash {
                return Err(ProofError::Content {
                    line,
                    seq: l.seq,
                    computed,
                    recorded: l.content_hash.clone(),
                });
            }
            self.own += 1;
        }
        let h = link_hash(&self.prev_hash, &l.content_hash);
        if let Some(recorded) = &l.hash {
            if *recorded != h {
                return Err(ProofError::Link {
                    line,
                    seq: l.seq,
                    computed: h,
                    recorded: recorded.clone(),
                });
            }
        }
        self.prev_hash = h;
        self.prev_seq = l.seq;
        Ok(())
    }

    /// Checks that the lines reached the head.
    pub fn finish(self) -> Result<Proven, ProofError> {
        if self.prev_seq != self.head.seq || self.prev_hash != self.head.hash {
            return Err(ProofError::Head {
                seq: self.prev_seq,
                hash: self.prev_hash,
                head_seq: self.head.seq,
                head_hash: self.head.hash,
            });
        }
        Ok(Proven {
            lines: self.lines,
            own: self.own,
            head_seq: self.head.seq,
            head_hash: self.head.hash,
        })
    }
}

/// Checks a whole proof: `head` and the lines of `log/entries.jsonl`.
pub fn verify_proof(head: LogHead, text: &str) -> Result<Proven, ProofError> {
    let mut check = ProofCheck::new(head);
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let l: LogLine = serde_json::from_str(raw).map_err(|e| ProofError::Line {
            line: i as u64 + 1,
            message: e.to_string(),
        })?;
        check.line(&l)?;
    }
    check.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(org: Option<&str>, action: &str) -> Content {
        Content {
            at: "2026-01-01T00:00:00.000000Z".into(),
            actor: "u1".into(),
            actor_name: "Alice".into(),
            org_id: org.map(str::to_string),
            action: action.into(),
            subject: "s".into(),
            detail: "{}".into(),
        }
    }

    /// A chain of five entries, the org's at 2 and 4; the proof from 2 to the head.
    fn chain() -> (LogHead, Vec<LogLine>) {
        let mut prev = GENESIS.to_string();
        let mut lines = Vec::new();
        let mut before_first = String::new();
        for seq in 1..=5i64 {
            let own = seq % 2 == 0;
            let c = content(Some(if own { "org" } else { "other" }), "x.y");
            let ch = content_hash(seq, &c);
            let h = link_hash(&prev, &ch);
            if seq == 2 {
                before_first = prev.clone();
            }
            if seq >= 2 {
                lines.push(LogLine {
                    seq,
                    content_hash: ch,
                    hash: own.then(|| h.clone()),
                    entry: own.then_some(c),
                });
            }
            prev = h;
        }
        (
            LogHead {
                first_seq: 2,
                prev_hash: before_first,
                seq: 5,
                hash: prev,
            },
            lines,
        )
    }

    fn text(lines: &[LogLine]) -> String {
        lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap() + "\n")
            .collect()
    }

    #[test]
    fn a_proof_holds_and_tampering_is_named() {
        let (head, lines) = chain();
        let p = verify_proof(head.clone(), &text(&lines)).unwrap();
        assert_eq!((p.lines, p.own, p.head_seq), (4, 2, 5));

        let mut altered = lines.clone();
        altered[0].entry.as_mut().unwrap().detail = r#"{"x":1}"#.into();
        assert!(matches!(
            verify_proof(head.clone(), &text(&altered)),
            Err(ProofError::Content { seq: 2, .. })
        ));

        let mut other = lines.clone();
        other[1].content_hash = sha256_hex(b"forged");
        assert!(matches!(
            verify_proof(head.clone(), &text(&other)),
            Err(ProofError::Link { seq: 4, .. })
        ));

        let mut removed = lines.clone();
        removed.remove(1);
        assert!(matches!(
            verify_proof(head.clone(), &text(&removed)),
            Err(ProofError::Gap { found: 4, .. })
        ));

        let mut cut = lines;
        cut.pop();
        assert!(matches!(
            verify_proof(head, &text(&cut)),
            Err(ProofError::Head { seq: 4, .. })
        ));
    }
}
