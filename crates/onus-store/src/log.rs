//! The append-only, hash-chained log of every write.
//!
//! Entry `n` stores its content hash, the hash of entry `n - 1` and its own hash:
//! `content_hash = sha256(json([seq, at, actor, actor_name, org_id, action, subject,
//! detail]))`, `hash = sha256(prev_hash ‖ "\n" ‖ content_hash)`, the first entry chaining to
//! 64 zeros (the scheme is `onus_archive::chain`'s, which exports and their offline check
//! share). `log_head` keeps the last entry's seq and hash, updated in the same transaction,
//! so that removing the newest entries is caught too. [`Store::verify_log`] recomputes
//! everything and names the first entry that does not hold.
//!
//! **Redaction.** A deleted tenant's entries lose their content (every field but `seq`, the
//! hashes and `redacted_by`, the seq of the entry that records why): the content hash is all
//! a link needs, so the chain stays verifiable, and verification checks that the entry
//! `redacted_by` names is a deletion or a retention purge that came after. Until issue 14 the
//! hash covered the content directly (`sha256(prev ‖ "\n" ‖ json(...))`, no content hash);
//! [`Store::open`] re-chains such a log once, after verifying it, and records the old head
//! in a `log.upgrade` entry.
//!
//! Writers are serialised by `log_head` (see [`crate::Store::write`]): seqs are dense and the
//! chain cannot fork, whatever the number of server instances on one PostgreSQL.

use onus_archive::chain::{content_hash, link_hash, Content};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::Principal;
use crate::{sha256_hex, Page, Result, Store};

pub use onus_archive::chain::GENESIS;

/// The hash of an entry before issue 14 (content and link in one hash), for the upgrade.
pub(crate) fn v1_hash(prev: &str, seq: i64, c: &Content) -> String {
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
    sha256_hex(format!("{prev}\n{body}").as_bytes())
}

/// The actions whose entries may redact earlier ones.
pub(crate) const REDACTING: &[&str] = &["org.delete", "log.redact"];

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
    /// SHA-256 of the content (`onus_archive::chain::content_hash`).
    pub content_hash: String,
    pub prev_hash: String,
    pub hash: String,
    /// The seq of the deletion (or retention purge) that removed the content.
    pub redacted_by: Option<i64>,
}

impl LogEntry {
    pub fn content(&self) -> Content {
        Content {
            at: self.at.clone(),
            actor: self.actor.clone(),
            actor_name: self.actor_name.clone(),
            org_id: self.org_id.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            detail: self.detail.clone(),
        }
    }
}

pub(crate) fn entry_from(r: &AnyRow) -> Result<LogEntry> {
    Ok(LogEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        actor_name: r.try_get("actor_name")?,
        org_id: r.try_get("org_id")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        content_hash: r
            .try_get::<Option<String>, _>("content_hash")?
            .unwrap_or_default(),
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        redacted_by: r.try_get("redacted_by")?,
    })
}

/// What [`Store::verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// Entries read.
    pub entries: i64,
    /// Entries whose content was removed (a deleted tenant's), checked by their hashes only.
    pub redacted: i64,
    /// The last seq the head records.
    pub head_seq: i64,
    /// The head's hash.
    pub head_hash: String,
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

pub(crate) const COLS: &str = "seq, at, actor, actor_name, org_id, action, subject, detail, content_hash, prev_hash, hash, redacted_by";

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
        let mut redacted = 0i64;
        // Redactions named by entries, checked when the entry they name is reached.
        let mut pending: std::collections::BTreeMap<i64, i64> = Default::default();
        let hh = head_hash.clone();
        let found = move |entries, redacted, seq, kind, message: String| {
            Ok(Verification {
                entries,
                redacted,
                head_seq,
                head_hash: hh.clone(),
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
                        redacted,
                        expect,
                        ProblemKind::Removed,
                        format!("entry {expect} is missing (the next is {})", e.seq),
                    );
                }
                if e.prev_hash != prev {
                    return found(
                        entries,
                        redacted,
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
                if let Some(by) = pending.remove(&e.seq) {
                    if !REDACTING.contains(&e.action.as_str()) {
                        return found(
                            entries,
                            redacted,
                            by,
                            ProblemKind::Altered,
                            format!(
                                "entry {by}'s content was removed in the name of entry {}, which is `{}`, not a deletion",
                                e.seq, e.action
                            ),
                        );
                    }
                }
                match e.redacted_by {
                    Some(by) => {
                        let empty = e.at.is_empty()
                            && e.actor.is_empty()
                            && e.actor_name.is_empty()
                            && e.org_id.is_none()
                            && e.action.is_empty()
                            && e.subject.is_empty()
                            && e.detail.is_empty();
                        if by <= e.seq || !empty {
                            return found(
                                entries,
                                redacted,
                                e.seq,
                                ProblemKind::Altered,
                                format!("entry {} is marked redacted by entry {by}, which cannot be (a redaction comes later and leaves no content)", e.seq),
                            );
                        }
                        pending.entry(by).or_insert(e.seq);
                        redacted += 1;
                    }
                    None => {
                        let computed = content_hash(e.seq, &e.content());
                        if computed != e.content_hash {
                            return found(
                                entries,
                                redacted,
                                e.seq,
                                ProblemKind::Altered,
                                format!(
                                    "entry {} ({} at {}) was altered: its content hashes to {computed}, it records {}",
                                    e.seq, e.action, e.at, e.content_hash
                                ),
                            );
                        }
                    }
                }
                let h = link_hash(&prev, &e.content_hash);
                if h != e.hash {
                    return found(
                        entries,
                        redacted,
                        e.seq,
                        ProblemKind::Altered,
                        format!(
                            "entry {} was altered: it hashes to {h} from its content hash and the entry before, it records {}",
                            e.seq, e.hash
                        ),
                    );
                }
                prev = h;
                expect += 1;
            }
        }
        let last = expect - 1;
        if let Some((by, seq)) = pending.into_iter().next() {
            return found(
                entries,
                redacted,
                seq,
                ProblemKind::Altered,
                format!("entry {seq}'s content was removed in the name of entry {by}, which does not exist"),
            );
        }
        if last < head_seq {
            return found(
                entries,
                redacted,
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
                redacted,
                last,
                ProblemKind::Altered,
                format!("the log's head records entry {head_seq} with hash {head_hash}, the chain ends at entry {last} with hash {prev}"),
            );
        }
        Ok(Verification {
            entries,
            redacted,
            head_seq,
            head_hash,
            problem: None,
        })
    }

    /// Re-chains a log written before content hashes existed (see the module's doc): verifies
    /// it under the old scheme first, refuses to touch a broken one, then computes every
    /// entry's content hash and hash and records the old head in a `log.upgrade` entry, all
    /// in one transaction. Does nothing on an upgraded log.
    pub(crate) async fn upgrade_log(&self) -> Result<()> {
        let old = self
            .fetch_optional(sqlx::query(
                "SELECT seq FROM log WHERE content_hash IS NULL LIMIT 1",
            ))
            .await?;
        if old.is_none() {
            return Ok(());
        }
        let mut w = self.write_system().await?;
        let mut prev_old = GENESIS.to_string();
        let mut prev_new = GENESIS.to_string();
        let mut expect = 1i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLS} FROM log WHERE seq >= $1 ORDER BY seq LIMIT 1000"
            ))
            .bind(expect)
            .fetch_all(&mut *w.tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = entry_from(r)?;
                let c = e.content();
                if e.seq != expect
                    || e.prev_hash != prev_old
                    || v1_hash(&prev_old, e.seq, &c) != e.hash
                {
                    return Err(crate::StoreError::Data(format!(
                        "the log is broken at entry {}: it cannot be upgraded; `onus log verify` with the previous onus names the problem",
                        e.seq
                    )));
                }
                prev_old = e.hash.clone();
                let ch = content_hash(e.seq, &c);
                let h = link_hash(&prev_new, &ch);
                sqlx::query(
                    "UPDATE log SET content_hash = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
                )
                .bind(&ch)
                .bind(&prev_new)
                .bind(&h)
                .bind(e.seq)
                .execute(&mut *w.tx)
                .await?;
                prev_new = h;
                expect += 1;
            }
        }
        w.rechain(expect - 1, prev_new);
        w.log(
            None,
            "log.upgrade",
            "log",
            serde_json::json!({"entries": expect - 1, "old_head_hash": prev_old, "scheme": "content hash, then link"}),
        )
        .await?;
        w.commit().await
    }
}
