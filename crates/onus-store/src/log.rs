//! The append-only, hash-chained log of every write.
//!
//! Entry `n` stores the hash of entry `n - 1` and its own hash:
//! `hash = sha256(prev_hash ‖ "\n" ‖ json([seq, at, actor, actor_name, org_id, action,
//! subject, detail]))`, with the first entry chaining to 64 zeros. `log_head` keeps the last
//! entry's seq and hash, updated in the same transaction, so that removing the newest entries
//! is caught too. [`Store::verify_log`] recomputes everything and names the first entry that
//! does not hold.
//!
//! Writers are serialised by `log_head` (see [`crate::Store::write`]): seqs are dense and the
//! chain cannot fork, whatever the number of server instances on one PostgreSQL.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::Principal;
use crate::{sha256_hex, Page, Result, Store};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) struct EntryFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub actor_name: &'a str,
    pub org_id: Option<&'a str>,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

pub(crate) fn entry_hash(prev: &str, e: &EntryFields) -> String {
    let body = serde_json::json!([
        e.seq,
        e.at,
        e.actor,
        e.actor_name,
        e.org_id,
        e.action,
        e.subject,
        e.detail
    ]);
    sha256_hex(format!("{prev}\n{body}").as_bytes())
}

/// One entry, as stored.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub seq: i64,
    pub at: String,
    /// The acting user's id, or `system`.
    pub actor: String,
    pub actor_name: String,
    pub org_id: Option<String>,
    /// What was done: `org.create`, `model.publish`, `audit.upload`, ...
    pub action: String,
    /// The id of what it was done to.
    pub subject: String,
    /// JSON text: the change's particulars.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_from(r: &AnyRow) -> Result<LogEntry> {
    Ok(LogEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        actor_name: r.try_get("actor_name")?,
        org_id: r.try_get("org_id")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// What [`Store::verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// Entries read.
    pub entries: i64,
    /// The last seq the head records.
    pub head_seq: i64,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The entry concerned.
    pub seq: i64,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// Its content no longer matches its hash, or its link to the previous entry is broken.
    Altered,
    /// It is missing from the chain.
    Removed,
}

const COLS: &str = "seq, at, actor, actor_name, org_id, action, subject, detail, prev_hash, hash";

impl Store {
    /// The organisation's entries, newest first (its members may read them).
    pub async fn log_entries(
        &self,
        p: &Principal,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<LogEntry>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {COLS} FROM log WHERE org_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
                ))
                .bind(org_id)
                .bind(page.limit)
                .bind(page.offset),
            )
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Recomputes the whole chain, in batches (bounded memory), and names the first entry
    /// that was altered or removed. An operator's command (`onus log verify`): it needs the
    /// database, not a principal.
    pub async fn verify_log(&self) -> Result<Verification> {
        let head = self
            .fetch_optional(sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1"))
            .await?;
        let (head_seq, head_hash): (i64, String) = match head {
            Some(r) => (r.try_get("seq")?, r.try_get("hash")?),
            None => (0, GENESIS.to_string()),
        };
        let mut prev = GENESIS.to_string();
        let mut expect = 1i64;
        let mut entries = 0i64;
        let found = |entries, seq, kind, message: String| {
            Ok(Verification {
                entries,
                head_seq,
                problem: Some(Problem { seq, kind, message }),
            })
        };
        loop {
            let rows = self
                .fetch_all(
                    sqlx::query(&format!(
                        "SELECT {COLS} FROM log WHERE seq >= $1 ORDER BY seq LIMIT 1000"
                    ))
                    .bind(expect),
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = entry_from(r)?;
                entries += 1;
                if e.seq != expect {
                    return found(
                        entries,
                        expect,
                        ProblemKind::Removed,
                        format!("entry {expect} is missing (the next is {})", e.seq),
                    );
                }
                if e.prev_hash != prev {
                    return found(
                        entries,
                        e.seq,
                        ProblemKind::Altered,
                        format!(
                            "entry {} does not chain to entry {}: it records previous hash {}, entry {} hashes to {}",
                            e.seq,
                            e.seq - 1,
                            e.prev_hash,
                            e.seq - 1,
                            prev
                        ),
                    );
                }
                let h = entry_hash(
                    &prev,
                    &EntryFields {
                        seq: e.seq,
                        at: &e.at,
                        actor: &e.actor,
                        actor_name: &e.actor_name,
                        org_id: e.org_id.as_deref(),
                        action: &e.action,
                        subject: &e.subject,
                        detail: &e.detail,
                    },
                );
                if h != e.hash {
                    return found(
                        entries,
                        e.seq,
                        ProblemKind::Altered,
                        format!(
                            "entry {} ({} at {}) was altered: its content hashes to {h}, it records {}",
                            e.seq, e.action, e.at, e.hash
                        ),
                    );
                }
                prev = h;
                expect += 1;
            }
        }
        let last = expect - 1;
        if last < head_seq {
            return found(
                entries,
                last + 1,
                ProblemKind::Removed,
                format!(
                    "entries {} to {head_seq} are missing (the log ends at {last})",
                    last + 1
                ),
            );
        }
        if last > head_seq || prev != head_hash {
            return found(
                        entries,
                last,
                ProblemKind::Altered,
                format!("the log's head records entry {head_seq} with hash {head_hash}, the chain ends at entry {last} with hash {prev}"),
            );
        }
        Ok(Verification {
            entries,
            head_seq,
            problem: None,
        })
    }
}
