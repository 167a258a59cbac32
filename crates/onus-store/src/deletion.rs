//! Deleting a tenant, for real, with proof: every row and file of the organisation (its
//! sessions and tokens included) in one transaction, the content of its log entries removed
//! (their hashes kept, so the chain stays verifiable), a deletion certificate signed with
//! the instance's key, then the space reclaimed so that nothing of it stays in the database
//! files (docs/portal.md, "Deletion").
//!
//! **SQLite.** Connections run with `secure_delete=ON` (deleted content is overwritten with
//! zeros in place), and after the deletion commits the store runs `VACUUM` (the file is
//! rewritten without free pages, so it shrinks and no old page survives) and
//! `wal_checkpoint(TRUNCATE)` (the write-ahead log, which holds earlier versions of pages, is
//! emptied). `VACUUM` rather than `auto_vacuum=INCREMENTAL`: a deletion is rare, a full
//! rewrite is what guarantees no stale page (incremental vacuum only returns free pages to the
//! file system, and would need a rebuild of every existing database to be switched on, plus
//! pointer-map pages on every write).
//!
//! **PostgreSQL.** Deleted rows are invisible at once; the store then runs `VACUUM` on the
//! tables it deleted from, which removes the dead row versions from their pages. What the
//! server's write-ahead log and backups keep is the operator's to manage (docs/portal.md).
//!
//! **What remains** is the deletion record (`deletions`: the signed certificate, which names
//! the organisation, who deleted it, counts and the export's manifest hash) and the
//! `org.delete` log entry; with a retention setting (`Retention`), the content of the
//! organisation's log entries until the date it gives, then the purge removes it.

use std::collections::BTreeMap;

use onus_archive::cert::{Actor, Certificate, ChecklistLine, ExportRef, Kept, Subject};
use serde_json::json;
use sqlx::{Executor as _, Row};

use crate::access::OrgKind;
use crate::export::Acting;
use crate::{new_id, Backend, Result, Store, StoreError};

/// How reversibility treats a table (see [`TABLES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// A tenant's data: exported to these archive files, and deleted with the tenant.
    Exported(&'static str),
    /// A tenant's credentials or this instance's bookkeeping about it: deleted with the
    /// tenant, not exported (why).
    DeletedOnly(&'static str),
    /// Not a tenant's data (why).
    Instance(&'static str),
}

/// Every table of the schema and what export and deletion do with it. A test enumerates the
/// database's tables and fails on one missing here, and on a table with an `org_id` column
/// marked [`Coverage::Instance`]: a branch that adds a table must say how it leaves.
pub const TABLES: &[(&str, Coverage)] = &[
    ("orgs", Coverage::Exported("organisation.json")),
    (
        "users",
        Coverage::Exported("users.jsonl (without password hashes)"),
    ),
    (
        "sessions",
        Coverage::DeletedOnly("credentials valid on this instance only"),
    ),
    (
        "api_tokens",
        Coverage::DeletedOnly("credentials valid on this instance only: create new tokens on the new instance"),
    ),
    (
        "login_attempts",
        Coverage::DeletedOnly("sign-in counters keyed by e-mail address: the tenant's users' are deleted"),
    ),
    (
        "models",
        Coverage::Exported("models.jsonl (a provider's own; a customer's export names those it needs)"),
    ),
    ("model_versions", Coverage::Exported("models/PROVIDER/MODEL/SHA256.yaml, models.jsonl")),
    ("subscriptions", Coverage::Exported("subscriptions.jsonl")),
    ("version_notices", Coverage::Exported("notices.jsonl")),
    ("obligations", Coverage::Exported("obligations.jsonl")),
    (
        "blobs",
        Coverage::Exported("files/SHA256 (deleted once no other organisation references the content)"),
    ),
    ("files", Coverage::Exported("files.jsonl")),
    ("audits", Coverage::Exported("audits.jsonl, audits/ID.json")),
    ("attestations", Coverage::Exported("attestations.jsonl")),
    ("status_history", Coverage::Exported("status_history.jsonl")),
    (
        "outbox",
        Coverage::DeletedOnly("messages queued for delivery by this instance"),
    ),
    (
        "end_of_service_items",
        Coverage::Exported("end_of_service.jsonl"),
    ),
    (
        "log",
        Coverage::Exported("log/entries.jsonl with the chain's proof; a deleted tenant's entries keep their hashes only"),
    ),
    ("log_head", Coverage::Instance("the chain's head")),
    ("instance_keys", Coverage::Instance("the instance's signing key")),
    (
        "deletions",
        Coverage::Instance("deletion certificates: the record that a tenant was deleted"),
    ),
    ("_sqlx_migrations", Coverage::Instance("the schema's version")),
    // Events (issue 13), deleted with the organisation (see `delete_org`), exported by
    // `event_archive` (what of an event is whose: see there).
    ("events", Coverage::Exported("events.jsonl: those a customer takes part in, those a provider published")),
    ("event_parties", Coverage::Exported("events.jsonl (`parties`: the organisation's part and, a customer's, the provider's)")),
    ("event_steps", Coverage::Exported("events.jsonl (`steps`: the timeline the organisation sees, a provider's own steps)")),
    ("event_consultations", Coverage::Exported("events.jsonl (`consultations`)")),
    ("notifications", Coverage::Exported("notifications.jsonl")),
    ("notification_prefs", Coverage::Exported("notification_prefs.jsonl")),
    ("webhooks", Coverage::Exported("webhooks.jsonl (with their signing secrets: see onus_archive::format::Webhook)")),
    ("deliveries", Coverage::DeletedOnly("this instance's delivery queue: operational state, what it sent and is sending")),
    ("delivery_attempts", Coverage::DeletedOnly("this instance's delivery log")),
];

/// The instance's retention settings (`onus serve --retain-log-content`): what the law may
/// require to be kept after a tenant leaves, explicit and written into each certificate.
#[derive(Debug, Clone, Default)]
pub struct Retention {
    /// Keep the content of a deleted tenant's log entries this long after the deletion
    /// (`None`: removed at once, only their hashes stay).
    pub log_content: Option<chrono::Duration>,
    /// The setting as the operator wrote it (`P5Y`), for the certificate.
    pub log_content_setting: Option<String>,
}

/// A deletion done.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub certificate: Certificate,
    /// The signed certificate, as stored and served (pretty JSON).
    pub text: String,
    /// Whether reclaiming space after the commit worked (the deletion itself is committed
    /// either way; a failure is for the operator to retry with `VACUUM`).
    pub reclaimed: std::result::Result<(), String>,
}

impl Store {
    /// Deletes the organisation `org_id` (see the module's doc). `confirm` must be its slug.
    /// A customer's subscriptions must all have ended (an end date today or before); a
    /// provider may be deleted only while no customer subscribes to its models.
    pub async fn delete_org(
        &self,
        who: Acting<'_>,
        org_id: &str,
        confirm: &str,
        retention: &Retention,
    ) -> Result<Deleted> {
        if let Acting::User(p) = who {
            crate::ending::may_delete(p, org_id)?;
        }
        let mut w = match who {
            Acting::User(p) => self.write(p).await?,
            Acting::Operator => self.write_system().await?,
        };
        let org_row = sqlx::query("SELECT id, slug, name, kind FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        let org = crate::identity::org_from(&org_row)?;
        if confirm != org.slug {
            return Err(StoreError::Invalid {
                field: "confirm",
                message: format!("type the organisation's slug, `{}`, to confirm", org.slug),
            });
        }
        let today = chrono::Utc::now().date_naive().to_string();
        match org.kind {
            OrgKind::Customer => {
                let running = sqlx::query(
                    "SELECT m.model_id, s.end_date FROM subscriptions s JOIN models m ON m.id = s.model_pk \
                     WHERE s.org_id = $1 AND (s.end_date IS NULL OR s.end_date > $2) ORDER BY m.model_id",
                )
                .bind(org_id)
                .bind(&today)
                .fetch_all(&mut *w.tx)
                .await?;
                if let Some(r) = running.first() {
                    let model: String = r.try_get("model_id")?;
                    let end: Option<String> = r.try_get("end_date")?;
                    return Err(StoreError::Conflict {
                        field: "subscriptions",
                        message: match end {
                            Some(d) => format!("the service of `{model}` runs until {d}: delete the organisation after its end"),
                            None => format!("the subscription to `{model}` has not ended: cancel it first (End of service)"),
                        },
                    });
                }
            }
            OrgKind::Provider => {
                let subscribed = sqlx::query(
                    "SELECT s.id FROM subscriptions s JOIN models m ON m.id = s.model_pk WHERE m.org_id = $1 LIMIT 1",
                )
                .bind(org_id)
                .fetch_optional(&mut *w.tx)
                .await?;
                if subscribed.is_some() {
                    return Err(StoreError::Conflict {
                        field: "subscriptions",
                        message: "customers subscribe to this provider's models: their services must end and their organisations leave first".into(),
                    });
                }
            }
        }

        // What the certificate says, read before deleting.
        let export = sqlx::query(
            "SELECT at, detail FROM log WHERE org_id = $1 AND action = 'org.export' ORDER BY seq DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(&mut *w.tx)
        .await?
        .map(|r| -> Result<ExportRef> {
            let detail: String = r.try_get("detail")?;
            let d: serde_json::Value =
                serde_json::from_str(&detail).map_err(|e| StoreError::Data(e.to_string()))?;
            Ok(ExportRef {
                manifest_sha256: d
                    .get("manifest_sha256")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                exported_at: r.try_get("at")?,
            })
        })
        .transpose()?;
        let checklist = sqlx::query(
            "SELECT m.model_id, i.activity_id, i.party_kind, i.due, i.done_at FROM end_of_service_items i \
             JOIN subscriptions s ON s.id = i.subscription_id JOIN models m ON m.id = s.model_pk \
             WHERE i.org_id = $1 ORDER BY i.due, m.model_id, i.activity_id",
        )
        .bind(org_id)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| {
            Ok(ChecklistLine {
                model: r.try_get("model_id")?,
                activity_id: r.try_get("activity_id")?,
                party_kind: r.try_get("party_kind")?,
                due: r.try_get("due")?,
                done_at: r.try_get("done_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let user_ids: Vec<String> = sqlx::query("SELECT id FROM users WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let emails: Vec<String> = sqlx::query("SELECT email FROM users WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.try_get("email"))
            .collect::<Result<_, _>>()?;
        let shas: Vec<String> = sqlx::query("SELECT DISTINCT sha256 FROM files WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.try_get("sha256"))
            .collect::<Result<_, _>>()?;

        let mut deleted: BTreeMap<String, i64> = BTreeMap::new();
        const EVENTS_OF: &str = "SELECT id FROM events WHERE org_id = $1 OR provider_org_id = $1";
        const USERS_OF: &str = "SELECT id FROM users WHERE org_id = $1";
        // What other organisations were told about those events (the provider's users'
        // notifications of the customer's incident, their deliveries) names them by id.
        let event_ids: Vec<String> = sqlx::query(EVENTS_OF)
            .bind(org_id)
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        for id in &event_ids {
            let pattern = format!("%\"{id}\"%");
            for (what, sql) in [
                ("delivery_attempts", "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE payload LIKE $1)"),
                ("deliveries", "DELETE FROM deliveries WHERE payload LIKE $1"),
                ("notifications", "DELETE FROM notifications WHERE payload LIKE $1"),
                ("outbox", "DELETE FROM outbox WHERE payload LIKE $1"),
            ] {
                let n = sqlx::query(sql)
                    .bind(&pattern)
                    .execute(&mut *w.tx)
                    .await?
                    .rows_affected();
                *deleted.entry(what.to_string()).or_default() +=
                    i64::try_from(n).unwrap_or(i64::MAX);
            }
        }
        let mut del = async |w: &mut crate::Write, what: &str, sql: &str| -> Result<()> {
            let n = sqlx::query(sql)
                .bind(org_id)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
            *deleted.entry(what.to_string()).or_default() += i64::try_from(n).unwrap_or(i64::MAX);
            Ok(())
        };
        // Children first (foreign keys).
        // Events (issue 13): the organisation's deliveries and their attempts, its users'
        // notifications and choices, its webhooks; every event it opened (or, a provider,
        // published) with all their parties, steps and consultations; its part in other
        // organisations' events (its party row, its steps, the steps addressed to it alone,
        // its consultations).
        for (what, sql) in [
            ("delivery_attempts", "DELETE FROM delivery_attempts WHERE org_id = $1 OR delivery_id IN (SELECT id FROM deliveries WHERE org_id = $1)".to_string()),
            ("deliveries", "DELETE FROM deliveries WHERE org_id = $1".to_string()),
            ("notifications", format!("DELETE FROM notifications WHERE org_id = $1 OR user_id IN ({USERS_OF})")),
            ("notification_prefs", format!("DELETE FROM notification_prefs WHERE org_id = $1 OR user_id IN ({USERS_OF})")),
            ("webhooks", "DELETE FROM webhooks WHERE org_id = $1".to_string()),
            ("event_consultations", format!("DELETE FROM event_consultations WHERE org_id = $1 OR event_id IN ({EVENTS_OF})")),
            ("event_steps", format!("DELETE FROM event_steps WHERE org_id = $1 OR audience_org_id = $1 OR event_id IN ({EVENTS_OF}) OR file_id IN (SELECT id FROM files WHERE org_id = $1)")),
            ("event_parties", format!("DELETE FROM event_parties WHERE org_id = $1 OR event_id IN ({EVENTS_OF}) OR assignee IN ({USERS_OF}) OR subscription_id IN (SELECT id FROM subscriptions WHERE org_id = $1)")),
            ("events", "DELETE FROM events WHERE org_id = $1 OR provider_org_id = $1".to_string()),
        ] {
            del(&mut w, what, &sql).await?;
        }
        // Then the organisation's own rows, children before parents.
        for (what, sql) in [
            ("end_of_service_items", "DELETE FROM end_of_service_items WHERE org_id = $1"),
            ("notices", "DELETE FROM version_notices WHERE org_id = $1"),
            ("status_history", "DELETE FROM status_history WHERE org_id = $1"),
            ("outbox", "DELETE FROM outbox WHERE org_id = $1"),
            ("attestations", "DELETE FROM attestations WHERE org_id = $1"),
            ("audits", "DELETE FROM audits WHERE org_id = $1"),
            ("obligations", "DELETE FROM obligations WHERE org_id = $1"),
            ("files", "DELETE FROM files WHERE org_id = $1"),
            ("subscriptions", "DELETE FROM subscriptions WHERE org_id = $1"),
            ("model_versions", "DELETE FROM model_versions WHERE org_id = $1"),
            ("models", "DELETE FROM models WHERE org_id = $1"),
            ("sessions", "DELETE FROM sessions WHERE org_id = $1 OR user_id IN (SELECT id FROM users WHERE org_id = $1)"),
            ("api_tokens", "DELETE FROM api_tokens WHERE org_id = $1"),
            ("users", "DELETE FROM users WHERE org_id = $1"),
            ("organisations", "DELETE FROM orgs WHERE id = $1"),
        ] {
            del(&mut w, what, sql).await?;
        }
        let mut blobs = 0i64;
        let mut shared = 0i64;
        for sha in &shas {
            let n = sqlx::query(
                "DELETE FROM blobs WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = blobs.sha256)",
            )
            .bind(sha)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            if n == 0 {
                shared += 1;
            }
            blobs += i64::try_from(n).unwrap_or(0);
        }
        deleted.insert("blobs".into(), blobs);
        let mut attempts = 0i64;
        for email in &emails {
            attempts += i64::try_from(
                sqlx::query("DELETE FROM login_attempts WHERE key = $1")
                    .bind(format!("login:email:{email}"))
                    .execute(&mut *w.tx)
                    .await?
                    .rows_affected(),
            )
            .unwrap_or(0);
        }
        deleted.insert("login_attempts".into(), attempts);

        // The log: content removed now, or kept until the retention date. The organisation's
        // entries, and other organisations' entries of what its users did or about its events
        // (a provider's record of the customer's incident): they name its users and events.
        let mut log_targets: Vec<(&str, &str)> = vec![("org_id", org_id)];
        log_targets.extend(user_ids.iter().map(|u| ("actor", u.as_str())));
        log_targets.extend(event_ids.iter().map(|e| ("subject", e.as_str())));
        let seq = w.next_seq();
        let deleted_at = w.at.clone();
        let mut kept = vec![Kept {
            what: "this certificate, and the log entry that records the deletion".into(),
            why: "the proof that the organisation was deleted, and when".into(),
            until: None,
        }];
        let until = retention
            .log_content
            .map(|d| crate::stamp(chrono::Utc::now() + d));
        let n = match &until {
            None => {
                kept.push(Kept {
                    what: "the organisation's log entries as hashes only (seq, content hash, link), their content removed".into(),
                    why: "the log is one hash chain for every organisation: the hashes keep it verifiable".into(),
                    until: None,
                });
                let mut n = 0;
                for (column, value) in &log_targets {
                    n += sqlx::query(&format!(
                        "UPDATE log SET at = '', actor = '', actor_name = '', org_id = NULL, action = '', subject = '', detail = '', redacted_by = $1, redact_after = NULL \
                         WHERE {column} = $2 AND redacted_by IS NULL"
                    ))
                    .bind(seq)
                    .bind(value)
                    .execute(&mut *w.tx)
                    .await?
                    .rows_affected();
                }
                n
            }
            Some(u) => {
                kept.push(Kept {
                    what: "the content of the organisation's log entries, then their hashes only".into(),
                    why: format!(
                        "the instance's retention setting (--retain-log-content {}): records a law or a contract requires to be kept",
                        retention.log_content_setting.as_deref().unwrap_or("set")
                    ),
                    until: Some(u.clone()),
                });
                let mut n = 0;
                for (column, value) in &log_targets {
                    n += sqlx::query(&format!(
                        "UPDATE log SET redact_after = $1 WHERE {column} = $2 AND redacted_by IS NULL"
                    ))
                    .bind(u)
                    .bind(value)
                    .execute(&mut *w.tx)
                    .await?
                    .rows_affected();
                }
                n
            }
        };
        deleted.insert(
            "log_entries_redacted".into(),
            if until.is_some() {
                0
            } else {
                i64::try_from(n).unwrap_or(0)
            },
        );
        if shared > 0 {
            kept.push(Kept {
                what: format!("{shared} file content(s) another organisation also stored (its own copy, not the deleted organisation's reference to it)"),
                why: "files are stored once per content; the other organisation's copy is its own".into(),
                until: None,
            });
        }
        let storage = match self.backend() {
            Backend::Sqlite => "sqlite: rows deleted with secure_delete (overwritten with zeros), then VACUUM and wal_checkpoint(TRUNCATE)",
            Backend::Postgres => "postgresql: rows deleted, then VACUUM of the tables deleted from",
        };
        let (actor_name, role) = match who {
            Acting::User(p) if p.instance_admin => (p.name.clone(), "instance administrator"),
            Acting::User(p) => (p.name.clone(), "organisation admin"),
            Acting::Operator => ("system".to_string(), "operator (database access)"),
        };
        let id = new_id();
        let mut certificate = Certificate {
            format: onus_archive::cert::FORMAT.into(),
            id: id.clone(),
            organisation: Subject {
                id: org.id.clone(),
                slug: org.slug.clone(),
                name: org.name.clone(),
                kind: org.kind.as_str().into(),
            },
            deleted_at: deleted_at.clone(),
            deleted_by: Actor {
                name: actor_name,
                role: role.into(),
            },
            export,
            deleted,
            checklist,
            kept,
            storage: storage.into(),
            log_seq: seq,
            signature: None,
        };
        let digest = certificate.digest();
        let secret = self.secret_key().await?;
        certificate
            .sign(&secret)
            .map_err(|e| StoreError::Data(e.to_string()))?;
        let mut text = serde_json::to_string_pretty(&certificate)
            .map_err(|e| StoreError::Data(e.to_string()))?;
        text.push('\n');
        sqlx::query(
            "INSERT INTO deletions (id, deleted_at, log_seq, certificate) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&deleted_at)
        .bind(seq)
        .bind(&text)
        .execute(&mut *w.tx)
        .await?;
        // The entry's actor is the system when the deleting user was one of the deleted
        // accounts: its id must not outlive it; the certificate, which the entry's digest
        // covers, names who deleted.
        if matches!(who, Acting::User(p) if p.is_member_of(org_id)) {
            w.as_system();
        }
        w.log(
            None,
            "org.delete",
            &id,
            json!({"certificate_digest": digest, "entries_redacted": n, "content_kept_until": until}),
        )
        .await?;
        w.commit().await?;
        let reclaimed = self.reclaim().await;
        Ok(Deleted {
            certificate,
            text,
            reclaimed,
        })
    }

    /// Makes deleted content unrecoverable from the database files and returns the space
    /// (see the module's doc).
    pub async fn reclaim(&self) -> std::result::Result<(), String> {
        match self.backend() {
            Backend::Sqlite => {
                let mut c = self.pool.acquire().await.map_err(|e| e.to_string())?;
                c.execute("VACUUM")
                    .await
                    .map_err(|e| format!("VACUUM: {e}"))?;
                // A reader may hold the write-ahead log for a moment: retry, then say so.
                for _ in 0..50 {
                    let r = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(&mut *c)
                        .await
                        .map_err(|e| format!("wal_checkpoint: {e}"))?;
                    let busy: i64 = r.try_get(0).map_err(|e| e.to_string())?;
                    if busy == 0 {
                        return Ok(());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err("the write-ahead log stayed busy: run `PRAGMA wal_checkpoint(TRUNCATE)` when the server is idle".into())
            }
            Backend::Postgres => {
                for (table, cov) in TABLES {
                    if matches!(cov, Coverage::Instance(_)) && *table != "log" {
                        continue;
                    }
                    self.pool
                        .execute(format!("VACUUM {table}").as_str())
                        .await
                        .map_err(|e| format!("VACUUM {table}: {e}"))?;
                }
                Ok(())
            }
        }
    }

    /// Removes the content of log entries whose retention ended (`redact_after` passed), in
    /// the name of a `log.redact` entry. Returns how many. The server runs it at start and
    /// every hour.
    pub async fn redact_expired(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        let due = self
            .fetch_optional(
                sqlx::query("SELECT seq FROM log WHERE redact_after IS NOT NULL AND redact_after <= $1 LIMIT 1")
                    .bind(crate::stamp(now)),
            )
            .await?;
        if due.is_none() {
            return Ok(0);
        }
        let mut w = self.write_system().await?;
        let seq = w.next_seq();
        let n = sqlx::query(
            "UPDATE log SET at = '', actor = '', actor_name = '', org_id = NULL, action = '', subject = '', detail = '', redacted_by = $1, redact_after = NULL \
             WHERE redact_after IS NOT NULL AND redact_after <= $2",
        )
        .bind(seq)
        .bind(crate::stamp(now))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.log(
            None,
            "log.redact",
            "log",
            json!({"entries": n, "why": "retention ended"}),
        )
        .await?;
        w.commit().await?;
        self.reclaim().await.map_err(StoreError::Data)?;
        Ok(n)
    }

    /// The deletion certificates this instance issued, newest first (the instance
    /// administrator).
    pub async fn deletions(&self, p: &crate::Principal) -> Result<Vec<(String, String, String)>> {
        p.instance_admin()?;
        let rows = self
            .fetch_all(sqlx::query(
                "SELECT id, deleted_at, certificate FROM deletions ORDER BY deleted_at DESC",
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("deleted_at")?,
                    r.try_get("certificate")?,
                ))
            })
            .collect()
    }

    /// One deletion certificate, by its id: anyone who has the id may fetch it (it is what
    /// the deleted organisation's admin downloads after losing its account).
    pub async fn deletion_certificate(&self, id: &str) -> Result<String> {
        let r = self
            .fetch_optional(sqlx::query("SELECT certificate FROM deletions WHERE id = $1").bind(id))
            .await?
            .ok_or(StoreError::NotFound("deletion certificate"))?;
        Ok(r.try_get("certificate")?)
    }
}
