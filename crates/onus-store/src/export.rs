//! Exporting an organisation: everything of its own in one `onus.export/v1` archive
//! (`onus_archive`; docs/portal.md, "Leaving: the export archive").
//!
//! **What is its own.** Every row whose `org_id` is the organisation's, and for a customer the
//! exact model versions it is or was on (their YAML), so that another instance can restore it.
//! Nothing of another organisation: a provider's export never holds a customer's evidence,
//! even shared with it (those rows are the customer's), nor a customer's subscription; a
//! customer's export holds its provider's published models, which every signed-in user may
//! read anyway. Credentials (password hashes, sessions, API tokens) and delivery state (the
//! outbox, the delivery queue and its attempts) are not exported. Events, notifications and
//! webhooks: see `event_archive`.
//!
//! **Consistent and streaming.** The whole export reads in one transaction (a snapshot:
//! `REPEATABLE READ` on PostgreSQL, a WAL read transaction on SQLite), and the archive goes to
//! the caller chunk by chunk through a bounded channel: memory holds one stored value (a file,
//! an audit run) and the chunks in flight, never the archive (`bench/export.sh` measures it).
//! Rows are read in pages and written in id order, so the same data gives the same archive.

use std::collections::{BTreeSet, HashMap};

use onus_archive::archive::Writer;
use onus_archive::chain::Content;
use onus_archive::format as f;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::access::{OrgKind, OrgRef, Principal};
use crate::{Result, Store, StoreError};

/// Who acts on a whole organisation: a signed-in user (or token), or the operator running
/// the CLI with the database's credentials.
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    User(&'a Principal),
    Operator,
}

impl Acting<'_> {
    pub fn name(&self) -> String {
        match self {
            Acting::User(p) => p.name.clone(),
            Acting::Operator => "system".into(),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    pub org: OrgRef,
    /// SHA-256 of `manifest.json`: the archive's identity.
    pub manifest_sha256: String,
    pub files: usize,
    pub bytes: u64,
}

/// Rows fetched per query when paging through a table.
pub(crate) const PAGE: i64 = 1000;

pub(crate) struct Out<'t> {
    pub(crate) w: Writer<Vec<u8>>,
    tx: &'t tokio::sync::mpsc::Sender<Vec<u8>>,
    bytes: u64,
}

impl Out<'_> {
    /// Hands what the tar holds so far to the reader (waits while it is slow).
    pub(crate) async fn drain(&mut self) -> Result<()> {
        let chunk = std::mem::take(self.w.get_mut());
        if chunk.is_empty() {
            return Ok(());
        }
        self.bytes += chunk.len() as u64;
        self.tx
            .send(chunk)
            .await
            .map_err(|_| StoreError::Data("the export's reader went away".into()))
    }
}

pub(crate) fn opt(r: &AnyRow, c: &str) -> Result<Option<String>> {
    Ok(r.try_get(c)?)
}

/// Pages through `sql` (which must take the org id as `$1`, a lower bound on `key` as `$2`
/// and end with `ORDER BY key LIMIT $3`), writing one line per row.
pub(crate) async fn lines(
    tx: &mut Transaction<'static, Any>,
    out: &mut Out<'_>,
    path: &str,
    sql: &str,
    org: &str,
    key: &str,
    mut line: impl FnMut(&AnyRow) -> Result<serde_json::Value>,
) -> Result<usize> {
    let mut e = out.w.entry(path)?;
    let mut after = String::new();
    let mut n = 0;
    loop {
        let rows = sqlx::query(sql)
            .bind(org)
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&mut **tx)
            .await?;
        for r in &rows {
            e.line(&line(r)?)?;
            after = r.try_get(key)?;
            n += 1;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    e.finish()?;
    out.drain().await?;
    Ok(n)
}

/// A line of `files.jsonl` from a row of `files`.
pub(crate) fn file_from(r: &AnyRow) -> Result<f::File> {
    Ok(f::File {
        id: r.try_get("id")?,
        sha256: r.try_get("sha256")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// What an archive calls the models an organisation's rows point to.
pub(crate) async fn model_refs(
    tx: &mut sqlx::AnyConnection,
) -> Result<HashMap<String, f::ModelRef>> {
    let rows =
        sqlx::query("SELECT m.id, m.model_id, o.slug FROM models m JOIN orgs o ON o.id = m.org_id")
            .fetch_all(tx)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                f::ModelRef {
                    provider: r.try_get("slug")?,
                    model: r.try_get("model_id")?,
                },
            ))
        })
        .collect()
}

impl Store {
    /// An organisation by slug, for the operator's CLI (database access is its authority).
    pub async fn operator_org(&self, slug: &str) -> Result<OrgRef> {
        let r = self
            .fetch_optional(
                sqlx::query("SELECT id, slug, name, kind FROM orgs WHERE slug = $1").bind(slug),
            )
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        crate::identity::org_from(&r)
    }

    /// Exports the organisation `org_id` to `out`, chunk by chunk; logs `org.export` with
    /// the manifest's hash once the archive is complete. Its admins may (a token with the
    /// admin role too: backups from a job), and the operator.
    pub async fn export_org(
        &self,
        who: Acting<'_>,
        org_id: &str,
        generator: &str,
        out: tokio::sync::mpsc::Sender<Vec<u8>>,
    ) -> Result<Exported> {
        if let Acting::User(p) = who {
            p.admin(org_id)?;
        }
        let mut tx = self.pool.begin().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let org_row =
            sqlx::query("SELECT id, slug, name, kind, created_at FROM orgs WHERE id = $1")
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("organisation"))?;
        let org = crate::identity::org_from(&org_row)?;
        let secret = self.secret_key().await?;
        let public =
            onus_archive::cert::public_of(&secret).map_err(|e| StoreError::Data(e.to_string()))?;
        let mut o = Out {
            w: Writer::new(Vec::new()),
            tx: &out,
            bytes: 0,
        };
        o.w.add_json(
            "export.json",
            &f::Export {
                format: f::FORMAT.into(),
                organisation: org.slug.clone(),
                scope: org.kind.as_str().into(),
                exported_at: crate::now(),
                exported_by: who.name(),
                instance_key: Some(onus_archive::cert::b64(&public)),
                generator: generator.into(),
            },
        )?;
        o.w.add_json(
            "organisation.json",
            &f::Organisation {
                id: org.id.clone(),
                slug: org.slug.clone(),
                name: org.name.clone(),
                kind: org.kind.as_str().into(),
                created_at: org_row.try_get("created_at")?,
            },
        )?;
        lines(
            &mut tx,
            &mut o,
            "users.jsonl",
            "SELECT id, email, name, role, lang, created_at FROM users WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                Ok(json!(f::User {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    lang: opt(r, "lang")?,
                    created_at: r.try_get("created_at")?,
                }))
            },
        )
        .await?;

        // The model versions it needs, bodies first (an import reads them before their index).
        let filter = match org.kind {
            OrgKind::Customer => format!(
                "v.id IN (SELECT version_id FROM subscriptions WHERE org_id = $1 \
                 UNION SELECT from_version_id FROM version_notices WHERE org_id = $1 \
                 UNION SELECT to_version_id FROM version_notices WHERE org_id = $1 \
                 UNION {})",
                crate::event_archive::EVENT_VERSIONS
            ),
            OrgKind::Provider => "m.org_id = $1".into(),
        };
        let versions = sqlx::query(&format!(
            "SELECT v.id, v.version, v.body, v.sha256, v.findings, v.published_at, m.model_id, m.title, o.slug, o.name \
             FROM model_versions v JOIN models m ON m.id = v.model_pk JOIN orgs o ON o.id = m.org_id \
             WHERE {filter} ORDER BY o.slug, m.model_id, v.seq"
        ))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut version_of: HashMap<String, String> = HashMap::new();
        let mut index = Vec::new();
        for r in &versions {
            let model = f::ModelRef {
                provider: r.try_get("slug")?,
                model: r.try_get("model_id")?,
            };
            let sha: String = r.try_get("sha256")?;
            let path = format!("models/{}/{}/{sha}.yaml", model.provider, model.model);
            let body: String = r.try_get("body")?;
            o.w.add_bytes(&path, body.as_bytes())?;
            o.drain().await?;
            let version: String = r.try_get("version")?;
            version_of.insert(r.try_get("id")?, version.clone());
            index.push(f::ModelVersion {
                model,
                provider_name: r.try_get("name")?,
                title: r.try_get("title")?,
                version,
                sha256: sha,
                published_at: r.try_get("published_at")?,
                findings: crate::evidence::json_col(r, "findings")?,
                path,
            });
        }
        let mut e = o.w.entry("models.jsonl")?;
        for v in &index {
            e.line(v)?;
        }
        e.finish()?;
        let refs = model_refs(&mut tx).await?;
        let model_ref = |pk: String| {
            refs.get(&pk)
                .cloned()
                .ok_or_else(|| StoreError::Data(format!("model {pk} has no provider")))
        };
        let version = |id: String| {
            version_of
                .get(&id)
                .cloned()
                .ok_or_else(|| StoreError::Data(format!("version {id} is not exported")))
        };
        lines(
            &mut tx,
            &mut o,
            "subscriptions.jsonl",
            "SELECT id, model_pk, version_id, created_at, created_by, end_date, ended_by_party, end_requested_at, end_requested_by, end_reason \
             FROM subscriptions WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                let end = crate::ending::end_from(r)?.map(|e| f::End {
                    end_date: e.end_date,
                    ended_by_party: e.ended_by_party.as_str().into(),
                    requested_by: e.requested_by,
                    requested_at: e.requested_at,
                    reason: e.reason,
                });
                Ok(json!(f::Subscription {
                    id: r.try_get("id")?,
                    model: model_ref(r.try_get("model_pk")?)?,
                    version: version(r.try_get("version_id")?)?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    end,
                }))
            },
        )
        .await?;
        lines(
            &mut tx,
            &mut o,
            "notices.jsonl",
            "SELECT id, subscription_id, from_version_id, to_version_id, diff, moves_duty, created_at, acknowledged_at, acknowledged_by \
             FROM version_notices WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                Ok(json!(f::Notice {
                    id: r.try_get("id")?,
                    subscription_id: r.try_get("subscription_id")?,
                    from_version: version(r.try_get("from_version_id")?)?,
                    to_version: version(r.try_get("to_version_id")?)?,
                    diff: crate::evidence::json_col(r, "diff")?,
                    moves_duty: r.try_get::<i64, _>("moves_duty")? != 0,
                    created_at: r.try_get("created_at")?,
                    acknowledged_at: opt(r, "acknowledged_at")?,
                    acknowledged_by: opt(r, "acknowledged_by")?,
                }))
            },
        )
        .await?;
        lines(
            &mut tx,
            &mut o,
            "obligations.jsonl",
            "SELECT id, subscription_id, model_pk, activity_id, party_id, owner, notes, active, created_at \
             FROM obligations WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                Ok(json!(f::Obligation {
                    id: r.try_get("id")?,
                    subscription_id: opt(r, "subscription_id")?,
                    model: model_ref(r.try_get("model_pk")?)?,
                    activity_id: r.try_get("activity_id")?,
                    party_id: r.try_get("party_id")?,
                    owner: opt(r, "owner")?,
                    notes: opt(r, "notes")?,
                    active: r.try_get::<i64, _>("active")? != 0,
                    created_at: r.try_get("created_at")?,
                }))
            },
        )
        .await?;

        // File contents (each distinct one once), one at a time, then their references; a
        // customer's include the provider's files attached to events it sees.
        let shas_sql = match org.kind {
            OrgKind::Customer => format!(
                "SELECT sha256 FROM files WHERE org_id = $1 UNION {}",
                crate::event_archive::VISIBLE_FILE_SHAS
            ),
            OrgKind::Provider => "SELECT DISTINCT sha256 FROM files WHERE org_id = $1".into(),
        };
        let shas: BTreeSet<String> = sqlx::query(&shas_sql)
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("sha256"))
            .collect::<Result<_, _>>()?;
        for sha in &shas {
            let r = sqlx::query("SELECT content FROM blobs WHERE sha256 = $1")
                .bind(sha)
                .fetch_one(&mut *tx)
                .await?;
            let content: Vec<u8> = r.try_get("content")?;
            o.w.add_bytes(&format!("files/{sha}"), &content)?;
            drop(content);
            o.drain().await?;
        }
        lines(
            &mut tx,
            &mut o,
            "files.jsonl",
            "SELECT id, sha256, name, media_type, size, created_at, created_by FROM files WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| Ok(json!(file_from(r)?)),
        )
        .await?;
        crate::event_archive::export_event_files(&mut tx, &mut o, &org).await?;
        let audit_ids: Vec<String> = {
            let mut ids = Vec::new();
            let n = lines(
                &mut tx,
                &mut o,
                "audits.jsonl",
                "SELECT id, model_pk, file_id, problems, inputs, objects, k8s_latest, ran_at, uploaded_at, uploaded_by, shared \
                 FROM audits WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                org_id,
                "id",
                |r| {
                    let id: String = r.try_get("id")?;
                    ids.push(id.clone());
                    Ok(json!(f::Audit {
                        run: format!("audits/{id}.json"),
                        id,
                        model: model_ref(r.try_get("model_pk")?)?,
                        file_id: r.try_get("file_id")?,
                        problems: crate::evidence::json_col(r, "problems")?,
                        inputs: crate::evidence::json_col(r, "inputs")?,
                        objects: r.try_get("objects")?,
                        k8s_latest: r.try_get("k8s_latest")?,
                        ran_at: r.try_get("ran_at")?,
                        uploaded_at: r.try_get("uploaded_at")?,
                        uploaded_by: r.try_get("uploaded_by")?,
                        shared: r.try_get::<i64, _>("shared")? != 0,
                    }))
                },
            )
            .await?;
            debug_assert_eq!(n, ids.len());
            ids
        };
        for id in &audit_ids {
            let r = sqlx::query("SELECT results FROM audits WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let run: String = r.try_get("results")?;
            o.w.add_bytes(&format!("audits/{id}.json"), run.as_bytes())?;
            drop(run);
            o.drain().await?;
        }
        lines(
            &mut tx,
            &mut o,
            "attestations.jsonl",
            "SELECT id, model_pk, activity_id, date, by_name, valid, note, evidence_ref, evidence_sha256, file_id, created_at, created_by, shared \
             FROM attestations WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                Ok(json!(f::Attestation {
                    id: r.try_get("id")?,
                    model: model_ref(r.try_get("model_pk")?)?,
                    activity_id: r.try_get("activity_id")?,
                    date: r.try_get("date")?,
                    by: r.try_get("by_name")?,
                    valid: opt(r, "valid")?,
                    note: opt(r, "note")?,
                    evidence_ref: r.try_get("evidence_ref")?,
                    evidence_sha256: r.try_get("evidence_sha256")?,
                    file_id: opt(r, "file_id")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    shared: r.try_get::<i64, _>("shared")? != 0,
                }))
            },
        )
        .await?;
        lines(
            &mut tx,
            &mut o,
            "status_history.jsonl",
            "SELECT id, model_pk, at, counts FROM status_history WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            org_id,
            "id",
            |r| {
                Ok(json!(f::StatusPoint {
                    id: r.try_get("id")?,
                    model: model_ref(r.try_get("model_pk")?)?,
                    at: r.try_get("at")?,
                    counts: crate::evidence::json_col(r, "counts")?,
                }))
            },
        )
        .await?;
        lines(
            &mut tx,
            &mut o,
            "end_of_service.jsonl",
            &format!(
                "SELECT {} FROM end_of_service_items i WHERE i.org_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3",
                crate::ending::ITEM_COLS
            ),
            org_id,
            "id",
            |r| {
                let i = crate::ending::item_from(r)?;
                Ok(json!(f::EndItem {
                    id: i.id,
                    subscription_id: i.subscription_id,
                    activity_id: i.activity_id,
                    party_id: i.party_id,
                    party_kind: i.party_kind.as_str().into(),
                    due: i.due,
                    done_at: i.done_at,
                    done_by: i.done_by,
                    note: i.note,
                }))
            },
        )
        .await?;
        crate::event_archive::export(&mut tx, &mut o, &org, &refs, &version_of).await?;
        write_log_proof(&mut tx, &mut o, org_id).await?;
        tx.rollback().await?;

        let sign = |m: &[u8]| {
            onus_archive::cert::sign_bytes(&secret, m)
                .map(|s| (public.clone(), s))
                .map_err(|e| e.to_string())
        };
        let Out {
            w,
            tx: _,
            mut bytes,
        } = o;
        let (rest, manifest, sha) = w.finish(Some(&sign))?;
        bytes += rest.len() as u64;
        out.send(rest)
            .await
            .map_err(|_| StoreError::Data("the export's reader went away".into()))?;

        let mut wr = match who {
            Acting::User(p) => self.write(p).await?,
            Acting::Operator => self.write_system().await?,
        };
        wr.log(
            Some(org_id),
            "org.export",
            org_id,
            json!({"manifest_sha256": sha, "files": manifest.files.len(), "bytes": bytes, "scope": org.kind.as_str()}),
        )
        .await?;
        wr.commit().await?;
        Ok(Exported {
            org,
            manifest_sha256: sha,
            files: manifest.files.len() + 1,
            bytes,
        })
    }

    /// Exports to a file (the CLI's `onus org export`), through the same stream.
    pub async fn export_org_to<W: std::io::Write + Send + 'static>(
        &self,
        who: Acting<'_>,
        org_id: &str,
        generator: &str,
        mut file: W,
    ) -> Result<(Exported, W)> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<W> {
            while let Some(chunk) = rx.blocking_recv() {
                file.write_all(&chunk)?;
            }
            file.flush()?;
            Ok(file)
        });
        let done = self.export_org(who, org_id, generator, tx).await;
        let file = writer
            .await
            .map_err(|e| StoreError::Data(format!("writing the archive: {e}")))?
            .map_err(|e| StoreError::Archive(e.into()))?;
        Ok((done?, file))
    }
}

/// `log/head.json` and `log/entries.jsonl`: every entry from the organisation's first to the
/// head, its own with their content (see `onus_archive::chain`).
async fn write_log_proof(
    tx: &mut Transaction<'static, Any>,
    o: &mut Out<'_>,
    org_id: &str,
) -> Result<()> {
    let head = sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let first: Option<i64> = sqlx::query("SELECT MIN(seq) AS s FROM log WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("s")?;
    let (first_seq, prev_hash) = match first {
        Some(s) => {
            let r = sqlx::query("SELECT prev_hash FROM log WHERE seq = $1")
                .bind(s)
                .fetch_one(&mut **tx)
                .await?;
            (s, r.try_get::<String, _>("prev_hash")?)
        }
        None => (head_seq + 1, head_hash.clone()),
    };
    o.w.add_json(
        "log/head.json",
        &f::LogHead {
            first_seq,
            prev_hash,
            seq: head_seq,
            hash: head_hash,
        },
    )?;
    let mut e = o.w.entry("log/entries.jsonl")?;
    let mut next = first_seq;
    while next <= head_seq {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            crate::log::COLS
        ))
        .bind(next)
        .bind(head_seq)
        .bind(PAGE * 5)
        .fetch_all(&mut **tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let entry = crate::log::entry_from(r)?;
            next = entry.seq + 1;
            let own = entry.org_id.as_deref() == Some(org_id);
            e.line(&f::LogLine {
                seq: entry.seq,
                content_hash: entry.content_hash.clone(),
                hash: own.then(|| entry.hash.clone()),
                entry: own.then_some(Content {
                    at: entry.at,
                    actor: entry.actor,
                    actor_name: entry.actor_name,
                    org_id: entry.org_id,
                    action: entry.action,
                    subject: entry.subject,
                    detail: entry.detail,
                }),
            })?;
        }
    }
    e.finish()?;
    o.drain().await
}
