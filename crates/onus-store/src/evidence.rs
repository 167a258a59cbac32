//! Evidence: audit runs, attestations and the files behind them; what is shared with the
//! other party; the status history behind the compliance chart; the outbox.
//!
//! Files are content-addressed: `blobs` holds each distinct content once, by SHA-256;
//! `files` are an organisation's references to it, with a name and a media type.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::access::{OrgKind, OrgRef, Principal};
use crate::db::Write;
use crate::{new_id, Page, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileInfo {
    pub id: String,
    pub org_id: String,
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub created_at: String,
}

/// An uploaded audit run (the `onus.audit/v1` report).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Audit {
    pub id: String,
    pub org_id: String,
    pub model_pk: String,
    /// The raw report as uploaded.
    pub file_id: String,
    /// `Vec<CheckResult>` as JSON text (the report's `checks[].result`), when asked for.
    #[serde(skip)]
    pub results: Option<String>,
    pub problems: serde_json::Value,
    pub inputs: serde_json::Value,
    pub objects: i64,
    pub k8s_latest: String,
    /// The report's `now`.
    pub ran_at: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
    pub shared: bool,
}

/// An audit to store.
pub struct NewAudit<'a> {
    pub model_pk: &'a str,
    pub file_name: &'a str,
    pub raw: &'a [u8],
    pub results: String,
    pub problems: serde_json::Value,
    pub inputs: serde_json::Value,
    pub objects: i64,
    pub k8s_latest: &'a str,
    pub ran_at: &'a str,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attestation {
    pub id: String,
    pub org_id: String,
    pub model_pk: String,
    pub activity_id: String,
    pub date: String,
    pub by: String,
    pub valid: Option<String>,
    pub note: Option<String>,
    pub evidence_ref: String,
    pub evidence_sha256: String,
    pub file_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub shared: bool,
}

/// An attestation to store; its file, if any, is stored with it.
pub struct NewAttestation<'a> {
    pub activity_id: String,
    pub date: String,
    pub by: String,
    pub valid: Option<String>,
    pub note: Option<String>,
    /// Where the evidence is, when it is not an uploaded file.
    pub evidence_ref: Option<String>,
    pub evidence_sha256: Option<String>,
    pub file: Option<(&'a str, &'a str, &'a [u8])>,
}

/// Everything a status is computed from: the organisation's latest audit of a model (with
/// its results) and its attestations.
#[derive(Debug, Clone, Default)]
pub struct EvidenceSet {
    pub latest_audit: Option<Audit>,
    pub attestations: Vec<Attestation>,
}

/// Which kind of evidence an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    Audit,
    Attestation,
}

/// Counts after a change of evidence (computed by the caller from the new [`EvidenceSet`]).
pub type CountsOf<'a> = &'a (dyn Fn(&EvidenceSet) -> serde_json::Value + Sync);

/// What follows from a change of evidence, computed by the caller inside the write.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    /// The organisation's duties by status (a point of the compliance chart).
    pub counts: serde_json::Value,
    /// The duties the organisation now holds under the model, when they depend on the
    /// evidence (a model's conditions, decided by the latest audit): its active obligations
    /// are made exactly these, in the same transaction.
    pub duties: Option<Vec<crate::models::Duty>>,
}

/// Computes [`Effects`] from the evidence after the change. The latest audit of the set comes
/// without its results (`results: None`) when it is the audit this write added (second
/// argument: its id) or one the caller said it holds (`known`): the caller has them parsed
/// already, and a large report is not read back.
pub type EffectsOf<'a> =
    &'a (dyn Fn(&EvidenceSet, Option<&str>) -> std::result::Result<Effects, String> + Sync);

/// A point of the compliance chart.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusPoint {
    pub at: String,
    pub counts: serde_json::Value,
}

/// A piece of evidence a customer shared with its provider.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedItem {
    pub customer: OrgRef,
    pub model_pk: String,
    pub audit: Option<Audit>,
    pub attestation: Option<Attestation>,
}

const AUDIT_COLS: &str = "id, org_id, model_pk, file_id, problems, inputs, objects, k8s_latest, ran_at, uploaded_at, uploaded_by, shared";
const ATT_COLS: &str = "id, org_id, model_pk, activity_id, date, by_name, valid, note, evidence_ref, evidence_sha256, file_id, created_at, created_by, shared";

/// A JSON text column, parsed (the column named in the error).
pub(crate) fn json_col(r: &AnyRow, c: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(c)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Data(format!("{c}: {e}")))
}

fn audit_from(r: &AnyRow, with_results: bool) -> Result<Audit> {
    Ok(Audit {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        model_pk: r.try_get("model_pk")?,
        file_id: r.try_get("file_id")?,
        results: if with_results {
            Some(r.try_get("results")?)
        } else {
            None
        },
        problems: json_col(r, "problems")?,
        inputs: json_col(r, "inputs")?,
        objects: r.try_get("objects")?,
        k8s_latest: r.try_get("k8s_latest")?,
        ran_at: r.try_get("ran_at")?,
        uploaded_at: r.try_get("uploaded_at")?,
        uploaded_by: r.try_get("uploaded_by")?,
        shared: r.try_get::<i64, _>("shared")? != 0,
    })
}

fn attestation_from(r: &AnyRow) -> Result<Attestation> {
    Ok(Attestation {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        model_pk: r.try_get("model_pk")?,
        activity_id: r.try_get("activity_id")?,
        date: r.try_get("date")?,
        by: r.try_get("by_name")?,
        valid: r.try_get("valid")?,
        note: r.try_get("note")?,
        evidence_ref: r.try_get("evidence_ref")?,
        evidence_sha256: r.try_get("evidence_sha256")?,
        file_id: r.try_get("file_id")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        shared: r.try_get::<i64, _>("shared")? != 0,
    })
}

fn file_from(r: &AnyRow) -> Result<FileInfo> {
    Ok(FileInfo {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        sha256: r.try_get("sha256")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Stores a file for an organisation inside a write: the content once (by SHA-256), the
/// reference for this organisation.
pub(crate) async fn put_file(
    w: &mut Write,
    org_id: &str,
    name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<FileInfo> {
    let sha = crate::sha256_hex(bytes);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    if sqlx::query("SELECT sha256 FROM blobs WHERE sha256 = $1")
        .bind(&sha)
        .fetch_optional(&mut *w.tx)
        .await?
        .is_none()
    {
        sqlx::query(
            "INSERT INTO blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&sha)
        .bind(size)
        .bind(bytes.to_vec())
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
    }
    let id = new_id();
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "file".to_string()
    } else {
        name
    };
    sqlx::query(
        "INSERT INTO files (id, org_id, sha256, name, media_type, size, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&sha)
    .bind(&name)
    .bind(media_type)
    .bind(size)
    .bind(&w.at)
    .bind(&w.actor)
    .execute(&mut *w.tx)
    .await?;
    w.log(
        Some(org_id),
        "file.store",
        &id,
        json!({"name": name, "sha256": sha, "size": size}),
    )
    .await?;
    Ok(FileInfo {
        id,
        org_id: org_id.into(),
        sha256: sha,
        name,
        media_type: media_type.into(),
        size,
        created_at: w.at.clone(),
    })
}

/// Queues a message for delivery (issue 13's notifications read the outbox).
pub(crate) async fn enqueue(
    w: &mut Write,
    org_id: &str,
    topic: &str,
    payload: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, org_id, topic, payload, created_at, available_at, attempts) VALUES ($1, $2, $3, $4, $5, $5, 0)",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(topic)
    .bind(payload.to_string())
    .bind(&w.at)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

async fn evidence_set_on(
    c: &mut AnyConnection,
    org_id: &str,
    model_pk: &str,
    shared_only: bool,
) -> Result<EvidenceSet> {
    evidence_on(c, org_id, model_pk, shared_only, true).await
}

/// The latest audit (with its results when `with_results`) and the attestations.
async fn evidence_on(
    c: &mut AnyConnection,
    org_id: &str,
    model_pk: &str,
    shared_only: bool,
    with_results: bool,
) -> Result<EvidenceSet> {
    let shared = if shared_only { " AND shared = 1" } else { "" };
    let results = if with_results { ", results" } else { "" };
    let audit = sqlx::query(&format!(
        "SELECT {AUDIT_COLS}{results} FROM audits WHERE org_id = $1 AND model_pk = $2{shared} ORDER BY uploaded_at DESC, id DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(model_pk)
    .fetch_optional(&mut *c)
    .await?;
    let atts = sqlx::query(&format!(
        "SELECT {ATT_COLS} FROM attestations WHERE org_id = $1 AND model_pk = $2{shared} ORDER BY date, created_at"
    ))
    .bind(org_id)
    .bind(model_pk)
    .fetch_all(&mut *c)
    .await?;
    Ok(EvidenceSet {
        latest_audit: audit.map(|r| audit_from(&r, with_results)).transpose()?,
        attestations: atts.iter().map(attestation_from).collect::<Result<_>>()?,
    })
}

async fn record_status(
    w: &mut Write,
    org_id: &str,
    model_pk: &str,
    counts: CountsOf<'_>,
) -> Result<()> {
    let set = evidence_set_on(&mut w.tx, org_id, model_pk, false).await?;
    insert_status(w, org_id, model_pk, &counts(&set)).await
}

async fn insert_status(
    w: &mut Write,
    org_id: &str,
    model_pk: &str,
    counts: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO status_history (id, org_id, model_pk, at, counts) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(model_pk)
    .bind(&w.at)
    .bind(counts.to_string())
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// Applies [`Effects`] inside the write: the chart's point and, when given, the duties.
async fn apply_effects(
    w: &mut Write,
    org_id: &str,
    model_pk: &str,
    added: Option<&str>,
    known: &[&str],
    effects: EffectsOf<'_>,
) -> Result<()> {
    let mut set = evidence_on(&mut w.tx, org_id, model_pk, false, false).await?;
    if let Some(a) = &mut set.latest_audit {
        if Some(a.id.as_str()) != added && !known.contains(&a.id.as_str()) {
            a.results = Some(
                sqlx::query("SELECT results FROM audits WHERE id = $1")
                    .bind(&a.id)
                    .fetch_one(&mut *w.tx)
                    .await?
                    .try_get("results")?,
            );
        }
    }
    let e = effects(&set, added).map_err(|message| StoreError::Invalid {
        field: "model",
        message,
    })?;
    insert_status(w, org_id, model_pk, &e.counts).await?;
    if let Some(duties) = &e.duties {
        let sub: Option<String> =
            sqlx::query("SELECT id FROM subscriptions WHERE org_id = $1 AND model_pk = $2")
                .bind(org_id)
                .bind(model_pk)
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?;
        let changed =
            crate::models::sync_obligations(w, org_id, sub.as_deref(), model_pk, duties).await?;
        if changed > 0 {
            w.log(
                Some(org_id),
                "obligations.follow",
                model_pk,
                json!({"model_pk": model_pk, "changed": changed, "audit": set.latest_audit.as_ref().map(|a| a.id.clone())}),
            )
            .await?;
        }
    }
    Ok(())
}

/// What an evidence write computes before it commits.
enum After<'a> {
    /// The chart's counts, from the whole evidence set (results included).
    Counts(CountsOf<'a>),
    /// [`Effects`], with the audits whose results the caller holds.
    Effects(&'a [&'a str], EffectsOf<'a>),
}

impl After<'_> {
    async fn apply(
        &self,
        w: &mut Write,
        org_id: &str,
        model_pk: &str,
        added: Option<&str>,
    ) -> Result<()> {
        match self {
            After::Counts(c) => record_status(w, org_id, model_pk, *c).await,
            After::Effects(known, e) => apply_effects(w, org_id, model_pk, added, known, *e).await,
        }
    }
}

impl Store {
    /// Errs unless the organisation holds duties under the model: a customer subscribed to
    /// it, or the provider that publishes it.
    async fn require_party(&self, p: &Principal, org_id: &str, model_pk: &str) -> Result<()> {
        p.read(org_id)?;
        let row = self
            .fetch_optional(
                sqlx::query(
                    "SELECT id FROM subscriptions WHERE org_id = $1 AND model_pk = $2 \
                     UNION SELECT id FROM models WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id)
                .bind(model_pk),
            )
            .await?;
        row.map(|_| ()).ok_or(StoreError::NotFound("subscription"))
    }

    /// Stores an audit run of the organisation for a model it holds duties under; records
    /// the new counts for the chart.
    pub async fn add_audit(
        &self,
        p: &Principal,
        org_id: &str,
        a: NewAudit<'_>,
        counts: CountsOf<'_>,
    ) -> Result<Audit> {
        self.insert_audit(p, org_id, a, After::Counts(counts)).await
    }

    /// [`Store::add_audit`], with the [`Effects`] the caller computes inside the write (the
    /// chart's point, and the duties the audit's conditions give): the audit's results are
    /// not read back for it.
    pub async fn add_audit_with(
        &self,
        p: &Principal,
        org_id: &str,
        a: NewAudit<'_>,
        effects: EffectsOf<'_>,
    ) -> Result<Audit> {
        self.insert_audit(p, org_id, a, After::Effects(&[], effects))
            .await
    }

    async fn insert_audit(
        &self,
        p: &Principal,
        org_id: &str,
        a: NewAudit<'_>,
        after: After<'_>,
    ) -> Result<Audit> {
        p.write(org_id)?;
        self.require_party(p, org_id, a.model_pk).await?;
        let mut w = self.write(p).await?;
        let file = put_file(&mut w, org_id, a.file_name, "application/json", a.raw).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO audits (id, org_id, model_pk, file_id, results, problems, inputs, objects, k8s_latest, ran_at, uploaded_at, uploaded_by, shared) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(a.model_pk)
        .bind(&file.id)
        .bind(&a.results)
        .bind(a.problems.to_string())
        .bind(a.inputs.to_string())
        .bind(a.objects)
        .bind(a.k8s_latest)
        .bind(a.ran_at)
        .bind(&w.at)
        .bind(&p.name)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(org_id),
            "audit.upload",
            &id,
            json!({"model_pk": a.model_pk, "file": file.id, "sha256": file.sha256, "objects": a.objects, "ran_at": a.ran_at}),
        )
        .await?;
        after.apply(&mut w, org_id, a.model_pk, Some(&id)).await?;
        w.commit().await?;
        self.audit_meta(p, org_id, &id).await
    }

    /// One audit run of the organisation, without its results.
    pub async fn audit_meta(&self, p: &Principal, org_id: &str, id: &str) -> Result<Audit> {
        self.audit_with(p, org_id, id, false).await
    }

    /// The stored results of one audit run of the organisation (`Audit::results`).
    pub async fn audit_results(&self, p: &Principal, org_id: &str, id: &str) -> Result<String> {
        p.read(org_id)?;
        Ok(self
            .fetch_optional(
                sqlx::query("SELECT results FROM audits WHERE id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(org_id),
            )
            .await?
            .ok_or(StoreError::NotFound("audit"))?
            .try_get("results")?)
    }

    /// The results of an audit the provider of a model published (shared), as a customer
    /// subscribed to the model may read them.
    pub async fn published_audit_results(
        &self,
        p: &Principal,
        customer_org_id: &str,
        model_pk: &str,
        id: &str,
    ) -> Result<String> {
        self.require_subscribed(p, customer_org_id, model_pk)
            .await?;
        Ok(self
            .fetch_optional(
                sqlx::query(
                    "SELECT a.results FROM audits a JOIN models m ON m.id = a.model_pk \
                     WHERE a.id = $1 AND a.model_pk = $2 AND a.org_id = m.org_id AND a.shared = 1",
                )
                .bind(id)
                .bind(model_pk),
            )
            .await?
            .ok_or(StoreError::NotFound("audit"))?
            .try_get("results")?)
    }

    /// The organisation's audit runs, newest first (without results).
    pub async fn audits(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: Option<&str>,
        page: Page,
    ) -> Result<Vec<Audit>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLS} FROM audits WHERE org_id = $1 AND ($2 = '' OR model_pk = $2) \
                     ORDER BY uploaded_at DESC, id DESC LIMIT $3 OFFSET $4"
                ))
                .bind(org_id)
                .bind(model_pk.unwrap_or(""))
                .bind(page.limit)
                .bind(page.offset),
            )
            .await?;
        rows.iter().map(|r| audit_from(r, false)).collect()
    }

    /// One audit run of the organisation, with its results.
    pub async fn audit(&self, p: &Principal, org_id: &str, id: &str) -> Result<Audit> {
        self.audit_with(p, org_id, id, true).await
    }

    async fn audit_with(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        with_results: bool,
    ) -> Result<Audit> {
        p.read(org_id)?;
        let results = if with_results { ", results" } else { "" };
        let r = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLS}{results} FROM audits WHERE id = $1 AND org_id = $2"
                ))
                .bind(id)
                .bind(org_id),
            )
            .await?
            .ok_or(StoreError::NotFound("audit"))?;
        audit_from(&r, with_results)
    }

    /// Stores attestations of the organisation for a model it holds duties under (with
    /// their files); records the new counts for the chart.
    pub async fn add_attestations(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
        list: Vec<NewAttestation<'_>>,
        counts: CountsOf<'_>,
    ) -> Result<Vec<Attestation>> {
        self.insert_attestations(p, org_id, model_pk, list, After::Counts(counts))
            .await
    }

    /// [`Store::add_attestations`], with the [`Effects`] the caller computes inside the
    /// write; `known` names the audits whose results it holds (not read back).
    pub async fn add_attestations_with(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
        list: Vec<NewAttestation<'_>>,
        known: &[&str],
        effects: EffectsOf<'_>,
    ) -> Result<Vec<Attestation>> {
        self.insert_attestations(p, org_id, model_pk, list, After::Effects(known, effects))
            .await
    }

    async fn insert_attestations(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
        list: Vec<NewAttestation<'_>>,
        after: After<'_>,
    ) -> Result<Vec<Attestation>> {
        p.write(org_id)?;
        self.require_party(p, org_id, model_pk).await?;
        let mut w = self.write(p).await?;
        let mut ids = Vec::new();
        for a in list {
            let (file_id, reference, sha) = match a.file {
                Some((name, media, bytes)) => {
                    let f = put_file(&mut w, org_id, name, media, bytes).await?;
                    (Some(f.id.clone()), format!("onus:file/{}", f.id), f.sha256)
                }
                None => match (a.evidence_ref, a.evidence_sha256) {
                    (Some(r), Some(s)) => (None, r, s.to_lowercase()),
                    _ => return Err(StoreError::Invalid {
                        field: "evidence",
                        message:
                            "an attestation needs a file, or an evidence reference and its sha256"
                                .into(),
                    }),
                },
            };
            let id = new_id();
            sqlx::query(
                "INSERT INTO attestations (id, org_id, model_pk, activity_id, date, by_name, valid, note, evidence_ref, evidence_sha256, file_id, created_at, created_by, shared) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0)",
            )
            .bind(&id)
            .bind(org_id)
            .bind(model_pk)
            .bind(&a.activity_id)
            .bind(&a.date)
            .bind(&a.by)
            .bind(a.valid.clone())
            .bind(a.note.clone())
            .bind(&reference)
            .bind(&sha)
            .bind(file_id.clone())
            .bind(&w.at)
            .bind(&p.name)
            .execute(&mut *w.tx)
            .await?;
            w.log(
                Some(org_id),
                "attestation.add",
                &id,
                json!({"model_pk": model_pk, "activity": a.activity_id, "date": a.date, "by": a.by, "sha256": sha}),
            )
            .await?;
            ids.push(id);
        }
        after.apply(&mut w, org_id, model_pk, None).await?;
        w.commit().await?;
        let all = self.attestations(p, org_id, Some(model_pk)).await?;
        Ok(all.into_iter().filter(|a| ids.contains(&a.id)).collect())
    }

    /// The organisation's attestations (of one model, or all), oldest first.
    pub async fn attestations(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: Option<&str>,
    ) -> Result<Vec<Attestation>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {ATT_COLS} FROM attestations WHERE org_id = $1 AND ($2 = '' OR model_pk = $2) ORDER BY date, created_at"
                ))
                .bind(org_id)
                .bind(model_pk.unwrap_or("")),
            )
            .await?;
        rows.iter().map(attestation_from).collect()
    }

    /// What a status of the organisation under a model is computed from.
    pub async fn evidence_set(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
    ) -> Result<EvidenceSet> {
        p.read(org_id)?;
        let mut c = self.pool.acquire().await?;
        evidence_set_on(&mut c, org_id, model_pk, false).await
    }

    /// [`Store::evidence_set`] without the latest audit's results (fetch them with
    /// [`Store::audit_results`] when they are not at hand).
    pub async fn evidence_meta(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
    ) -> Result<EvidenceSet> {
        p.read(org_id)?;
        let mut c = self.pool.acquire().await?;
        evidence_on(&mut c, org_id, model_pk, false, false).await
    }

    /// [`Store::published_evidence`] without the latest audit's results (fetch them with
    /// [`Store::published_audit_results`]).
    pub async fn published_evidence_meta(
        &self,
        p: &Principal,
        customer_org_id: &str,
        model_pk: &str,
    ) -> Result<EvidenceSet> {
        self.published_on(p, customer_org_id, model_pk, false).await
    }

    /// What the provider of a model published about its own duties, as a subscribed
    /// customer may see it.
    pub async fn published_evidence(
        &self,
        p: &Principal,
        customer_org_id: &str,
        model_pk: &str,
    ) -> Result<EvidenceSet> {
        self.published_on(p, customer_org_id, model_pk, true).await
    }

    async fn published_on(
        &self,
        p: &Principal,
        customer_org_id: &str,
        model_pk: &str,
        with_results: bool,
    ) -> Result<EvidenceSet> {
        self.require_subscribed(p, customer_org_id, model_pk)
            .await?;
        let provider: String = self
            .fetch_optional(sqlx::query("SELECT org_id FROM models WHERE id = $1").bind(model_pk))
            .await?
            .ok_or(StoreError::NotFound("model"))?
            .try_get("org_id")?;
        let mut c = self.pool.acquire().await?;
        evidence_on(&mut c, &provider, model_pk, true, with_results).await
    }

    /// Shares an item of evidence with the other party, or stops sharing it. A customer's
    /// item becomes visible to the model's provider; a provider's, to every subscribed
    /// customer of the model.
    pub async fn set_shared(
        &self,
        p: &Principal,
        org_id: &str,
        kind: EvidenceKind,
        id: &str,
        shared: bool,
    ) -> Result<()> {
        p.write(org_id)?;
        let table = match kind {
            EvidenceKind::Audit => "audits",
            EvidenceKind::Attestation => "attestations",
        };
        let mut w = self.write(p).await?;
        let n = sqlx::query(&format!(
            "UPDATE {table} SET shared = $1 WHERE id = $2 AND org_id = $3"
        ))
        .bind(i64::from(shared))
        .bind(id)
        .bind(org_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(match kind {
                EvidenceKind::Audit => "audit",
                EvidenceKind::Attestation => "attestation",
            }));
        }
        w.log(
            Some(org_id),
            if shared {
                "evidence.share"
            } else {
                "evidence.unshare"
            },
            id,
            json!({"kind": table}),
        )
        .await?;
        w.commit().await
    }

    /// The evidence customers shared with a provider, item by item, newest first.
    pub async fn shared_with_provider(
        &self,
        p: &Principal,
        provider_org_id: &str,
    ) -> Result<Vec<SharedItem>> {
        p.org_of_kind(provider_org_id, OrgKind::Provider)?;
        let mut out = Vec::new();
        let customers = "SELECT o.id FROM orgs o WHERE o.kind = 'customer'";
        let audits = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLS} FROM audits WHERE shared = 1 AND org_id IN ({customers}) \
                     AND model_pk IN (SELECT id FROM models WHERE org_id = $1) ORDER BY uploaded_at DESC"
                ))
                .bind(provider_org_id),
            )
            .await?;
        let atts = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {ATT_COLS} FROM attestations WHERE shared = 1 AND org_id IN ({customers}) \
                     AND model_pk IN (SELECT id FROM models WHERE org_id = $1) ORDER BY created_at DESC"
                ))
                .bind(provider_org_id),
            )
            .await?;
        for r in &audits {
            let a = audit_from(r, false)?;
            out.push(SharedItem {
                customer: self.org_by_id(&a.org_id).await?,
                model_pk: a.model_pk.clone(),
                audit: Some(a),
                attestation: None,
            });
        }
        for r in &atts {
            let a = attestation_from(r)?;
            out.push(SharedItem {
                customer: self.org_by_id(&a.org_id).await?,
                model_pk: a.model_pk.clone(),
                audit: None,
                attestation: Some(a),
            });
        }
        Ok(out)
    }

    /// The results of a customer's audit shared with the provider (for the provider's view
    /// of one shared audit).
    pub async fn shared_audit(
        &self,
        p: &Principal,
        provider_org_id: &str,
        audit_id: &str,
    ) -> Result<Audit> {
        p.org_of_kind(provider_org_id, OrgKind::Provider)?;
        let r = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLS}, results FROM audits WHERE id = $1 AND shared = 1 \
                     AND model_pk IN (SELECT id FROM models WHERE org_id = $2)"
                ))
                .bind(audit_id)
                .bind(provider_org_id),
            )
            .await?
            .ok_or(StoreError::NotFound("audit"))?;
        audit_from(&r, true)
    }

    async fn org_by_id(&self, id: &str) -> Result<OrgRef> {
        let r = self
            .fetch_optional(
                sqlx::query("SELECT id, slug, name, kind FROM orgs WHERE id = $1").bind(id),
            )
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        crate::identity::org_from(&r)
    }

    /// A stored file and its content, if the principal may read it: its organisation's
    /// members; the provider of the model when the item it backs is shared; a subscribed
    /// customer when the provider published the item.
    pub async fn file(&self, p: &Principal, id: &str) -> Result<(FileInfo, Vec<u8>)> {
        let r = self
            .fetch_optional(
                sqlx::query(
                    "SELECT f.id, f.org_id, f.sha256, f.name, f.media_type, f.size, f.created_at, b.content \
                     FROM files f JOIN blobs b ON b.sha256 = f.sha256 WHERE f.id = $1",
                )
                .bind(id),
            )
            .await?
            .ok_or(StoreError::NotFound("file"))?;
        let info = file_from(&r)?;
        if !p.is_member_of(&info.org_id)
            && !self.file_shared_with(p, id).await?
            && !self.file_in_event(p, id).await?
        {
            return Err(StoreError::NotFound("file"));
        }
        Ok((info, r.try_get("content")?))
    }

    async fn file_shared_with(&self, p: &Principal, file_id: &str) -> Result<bool> {
        let Some(own) = &p.org else { return Ok(false) };
        // The shared items the file backs, with the model's provider.
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT x.org_id, x.model_pk, m.org_id AS provider FROM \
                     (SELECT org_id, model_pk FROM audits WHERE file_id = $1 AND shared = 1 \
                      UNION ALL SELECT org_id, model_pk FROM attestations WHERE file_id = $1 AND shared = 1) x \
                     JOIN models m ON m.id = x.model_pk",
                )
                .bind(file_id),
            )
            .await?;
        for r in &rows {
            let owner: String = r.try_get("org_id")?;
            let model_pk: String = r.try_get("model_pk")?;
            let provider: String = r.try_get("provider")?;
            if own.id == provider && owner != provider {
                return Ok(true);
            }
            if owner == provider && self.require_subscribed(p, &own.id, &model_pk).await.is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The organisation's status counts under a model over time, oldest first.
    pub async fn status_history(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
    ) -> Result<Vec<StatusPoint>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query("SELECT at, counts FROM status_history WHERE org_id = $1 AND model_pk = $2 ORDER BY at")
                    .bind(org_id)
                    .bind(model_pk),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StatusPoint {
                    at: r.try_get("at")?,
                    counts: json_col(r, "counts")?,
                })
            })
            .collect()
    }
}
