//! Published models and their versions, subscriptions, version notices and obligations.
//!
//! The store does not read models: the server loads and validates a model's YAML with
//! onus-model and passes what the store needs (ids, the duties a party holds, a diff as
//! JSON). Callbacks ([`DutiesOf`], [`DiffWith`]) run inside the write transaction, so that
//! what they are computed from cannot change before the commit.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::access::{OrgKind, OrgRef, Principal};
use crate::db::Write;
use crate::{new_id, Result, Store, StoreError};

/// A published model.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelInfo {
    /// The store's id of the model.
    pub pk: String,
    /// The model's own id (`ovhcloud-mks`).
    pub model_id: String,
    pub title: String,
    pub provider: OrgRef,
    pub created_at: String,
    /// The newest version.
    pub latest: Option<VersionInfo>,
}

/// A published version (immutable).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    pub id: String,
    pub model_pk: String,
    /// 1, 2, ... in order of publication.
    pub seq: i64,
    /// The model's `version` field.
    pub version: String,
    pub sha256: String,
    pub published_at: String,
    pub published_by: String,
}

/// A version with its YAML body and the findings of its validation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionBody {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub body: String,
    pub findings: serde_json::Value,
}

/// A duty a party holds (R or A) in a version: becomes an obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    pub activity_id: String,
    pub party_id: String,
}

/// What a subscription's notice records: the diff from the subscribed version to the new
/// one, and whether it moves R or A onto the customer.
#[derive(Debug, Clone)]
pub struct NoticeDiff {
    pub diff: serde_json::Value,
    pub moves_duty: bool,
}

/// The duties a party holds in a version (the server loads the body).
pub type DutiesOf<'a> = &'a (dyn Fn(&VersionBody) -> std::result::Result<Vec<Duty>, String> + Sync);
/// The diff from a subscribed version (`from`) to the new one.
pub type DiffWith<'a> =
    &'a (dyn Fn(&VersionBody) -> std::result::Result<NoticeDiff, String> + Sync);

/// A new version to publish.
pub struct NewVersion<'a> {
    pub model_id: &'a str,
    pub title: &'a str,
    pub version: &'a str,
    pub body: &'a str,
    pub findings: serde_json::Value,
    /// The provider's own duties in it.
    pub provider_duties: Vec<Duty>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: String,
    pub org: OrgRef,
    pub model_pk: String,
    pub model_id: String,
    pub model_title: String,
    pub provider: OrgRef,
    /// The version the customer is on (the last it acknowledged).
    pub version: VersionInfo,
    pub created_at: String,
    /// Newer versions not yet acknowledged.
    pub pending: i64,
    /// Whether one of them moves R or A onto the customer.
    pub pending_moves_duty: bool,
    /// The end of the service, once a party asked for it.
    pub end: Option<crate::ending::SubscriptionEnd>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: String,
    pub subscription_id: String,
    pub model_id: String,
    pub from: VersionInfo,
    pub to: VersionInfo,
    pub diff: serde_json::Value,
    pub moves_duty: bool,
    pub created_at: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Obligation {
    pub id: String,
    pub org_id: String,
    /// The customer's subscription; `None` for a provider's own duties.
    pub subscription_id: Option<String>,
    pub model_pk: String,
    pub activity_id: String,
    pub party_id: String,
    /// Who in the organisation carries it: a user or a team name.
    pub owner: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
}

const VERSION_COLS: &str =
    "v.id, v.model_pk, v.seq, v.version, v.sha256, v.published_at, v.published_by";

fn version_from(r: &AnyRow) -> Result<VersionInfo> {
    Ok(VersionInfo {
        id: r.try_get("id")?,
        model_pk: r.try_get("model_pk")?,
        seq: r.try_get("seq")?,
        version: r.try_get("version")?,
        sha256: r.try_get("sha256")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

fn body_from(r: &AnyRow) -> Result<VersionBody> {
    let findings: String = r.try_get("findings")?;
    Ok(VersionBody {
        info: version_from(r)?,
        body: r.try_get("body")?,
        findings: serde_json::from_str(&findings).map_err(|e| StoreError::Data(e.to_string()))?,
    })
}

fn obligation_from(r: &AnyRow) -> Result<Obligation> {
    Ok(Obligation {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        subscription_id: r.try_get("subscription_id")?,
        model_pk: r.try_get("model_pk")?,
        activity_id: r.try_get("activity_id")?,
        party_id: r.try_get("party_id")?,
        owner: r.try_get("owner")?,
        notes: r.try_get("notes")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) async fn version_body(c: &mut AnyConnection, id: &str) -> Result<VersionBody> {
    let r = sqlx::query(&format!(
        "SELECT {VERSION_COLS}, v.body, v.findings FROM model_versions v WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?
    .ok_or(StoreError::NotFound("model version"))?;
    body_from(&r)
}

async fn latest_version(c: &mut AnyConnection, model_pk: &str) -> Result<Option<VersionBody>> {
    let r = sqlx::query(&format!(
        "SELECT {VERSION_COLS}, v.body, v.findings FROM model_versions v WHERE v.model_pk = $1 ORDER BY v.seq DESC LIMIT 1"
    ))
    .bind(model_pk)
    .fetch_optional(c)
    .await?;
    r.as_ref().map(body_from).transpose()
}

/// Makes the organisation's active obligations under a model exactly `duties`: new ones are
/// created, ones no longer held are deactivated (kept, with their notes, for history), ones
/// held again are reactivated. Returns how many rows changed.
pub(crate) async fn sync_obligations(
    w: &mut Write,
    org_id: &str,
    subscription_id: Option<&str>,
    model_pk: &str,
    duties: &[Duty],
) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT id, activity_id, party_id, subscription_id, active FROM obligations WHERE org_id = $1 AND model_pk = $2",
    )
    .bind(org_id)
    .bind(model_pk)
    .fetch_all(&mut *w.tx)
    .await?;
    let mut existing = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let act: String = r.try_get("activity_id")?;
        let party: String = r.try_get("party_id")?;
        let sub: Option<String> = r.try_get("subscription_id")?;
        let active: i64 = r.try_get("active")?;
        existing.push((id, act, party, sub, active));
    }
    let mut changed = 0;
    for d in duties {
        match existing.iter().find(|(_, a, ..)| *a == d.activity_id) {
            Some((id, _, party, sub, active)) => {
                if *active != 0 && *party == d.party_id && sub.as_deref() == subscription_id {
                    continue;
                }
                sqlx::query("UPDATE obligations SET active = 1, party_id = $1, subscription_id = $2 WHERE id = $3")
                    .bind(&d.party_id)
                    .bind(subscription_id)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                changed += 1;
            }
            None => {
                sqlx::query(
                    "INSERT INTO obligations (id, org_id, subscription_id, model_pk, activity_id, party_id, owner, notes, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, 1, $7)",
                )
                .bind(new_id())
                .bind(org_id)
                .bind(subscription_id)
                .bind(model_pk)
                .bind(&d.activity_id)
                .bind(&d.party_id)
                .bind(&w.at)
                .execute(&mut *w.tx)
                .await?;
                changed += 1;
            }
        }
    }
    for (id, act, _, _, active) in &existing {
        if *active != 0 && !duties.iter().any(|d| d.activity_id == *act) {
            sqlx::query("UPDATE obligations SET active = 0 WHERE id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

impl Store {
    /// Publishes a version of a model (a provider's members and admins). A published version
    /// never changes: publishing an existing `version` again is a conflict. Each subscription
    /// on an older version gets a notice with `diff`'s result, to acknowledge.
    pub async fn publish_version(
        &self,
        p: &Principal,
        org_id: &str,
        v: NewVersion<'_>,
        diff: DiffWith<'_>,
    ) -> Result<VersionInfo> {
        p.write(org_id)?;
        p.org_of_kind(org_id, OrgKind::Provider)?;
        let mut w = self.write(p).await?;
        let model = sqlx::query("SELECT id FROM models WHERE org_id = $1 AND model_id = $2")
            .bind(org_id)
            .bind(v.model_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        let model_pk = match model {
            Some(r) => {
                let pk: String = r.try_get("id")?;
                sqlx::query("UPDATE models SET title = $1 WHERE id = $2")
                    .bind(v.title)
                    .bind(&pk)
                    .execute(&mut *w.tx)
                    .await?;
                pk
            }
            None => {
                let pk = new_id();
                sqlx::query(
                    "INSERT INTO models (id, org_id, model_id, title, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&pk)
                .bind(org_id)
                .bind(v.model_id)
                .bind(v.title)
                .bind(&w.at)
                .execute(&mut *w.tx)
                .await?;
                pk
            }
        };
        if sqlx::query("SELECT id FROM model_versions WHERE model_pk = $1 AND version = $2")
            .bind(&model_pk)
            .bind(v.version)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                field: "version",
                message: format!(
                    "version `{}` of `{}` is already published, and a published version never changes: give the model a new `version`",
                    v.version, v.model_id
                ),
            });
        }
        let seq: i64 = sqlx::query("SELECT COUNT(*) AS n FROM model_versions WHERE model_pk = $1")
            .bind(&model_pk)
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>("n")?
            + 1;
        let id = new_id();
        let sha = crate::sha256_hex(v.body.as_bytes());
        sqlx::query(
            "INSERT INTO model_versions (id, model_pk, org_id, seq, version, body, sha256, findings, published_at, published_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&model_pk)
        .bind(org_id)
        .bind(seq)
        .bind(v.version)
        .bind(v.body)
        .bind(&sha)
        .bind(v.findings.to_string())
        .bind(&w.at)
        .bind(&p.user_id)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(org_id),
            "model.publish",
            &id,
            json!({"model": v.model_id, "version": v.version, "seq": seq, "sha256": sha}),
        )
        .await?;
        sync_obligations(&mut w, org_id, None, &model_pk, &v.provider_duties).await?;
        // Every subscription gets a notice against the version it is on.
        let subs =
            sqlx::query("SELECT id, org_id, version_id FROM subscriptions WHERE model_pk = $1")
                .bind(&model_pk)
                .fetch_all(&mut *w.tx)
                .await?;
        for s in &subs {
            let sub_id: String = s.try_get("id")?;
            let cust: String = s.try_get("org_id")?;
            let from: String = s.try_get("version_id")?;
            let old = version_body(&mut w.tx, &from).await?;
            let d = diff(&old).map_err(|message| StoreError::Invalid {
                field: "body",
                message,
            })?;
            let notice = new_id();
            sqlx::query(
                "INSERT INTO version_notices (id, org_id, subscription_id, from_version_id, to_version_id, diff, moves_duty, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&notice)
            .bind(&cust)
            .bind(&sub_id)
            .bind(&from)
            .bind(&id)
            .bind(d.diff.to_string())
            .bind(i64::from(d.moves_duty))
            .bind(&w.at)
            .execute(&mut *w.tx)
            .await?;
            crate::evidence::enqueue(
                &mut w,
                &cust,
                "model.version",
                json!({"notice": notice, "model": v.model_id, "version": v.version, "moves_duty": d.moves_duty}),
            )
            .await?;
            w.log(
                Some(&cust),
                "notice.create",
                &notice,
                json!({"model": v.model_id, "version": v.version, "moves_duty": d.moves_duty}),
            )
            .await?;
        }
        let at = w.at.clone();
        w.commit().await?;
        Ok(VersionInfo {
            id,
            model_pk,
            seq,
            version: v.version.into(),
            sha256: sha,
            published_at: at,
            published_by: p.user_id.clone(),
        })
    }

    async fn models_where(&self, filter: &str, arg: &str) -> Result<Vec<ModelInfo>> {
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT m.id AS pk, m.model_id, m.title, m.created_at, o.id, o.slug, o.name, o.kind \
                     FROM models m JOIN orgs o ON o.id = m.org_id WHERE {filter} ORDER BY m.model_id"
                ))
                .bind(arg),
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let pk: String = r.try_get("pk")?;
            let latest = self
                .fetch_optional(
                    sqlx::query(&format!(
                        "SELECT {VERSION_COLS} FROM model_versions v WHERE v.model_pk = $1 ORDER BY v.seq DESC LIMIT 1"
                    ))
                    .bind(&pk),
                )
                .await?
                .as_ref()
                .map(version_from)
                .transpose()?;
            out.push(ModelInfo {
                pk,
                model_id: r.try_get("model_id")?,
                title: r.try_get("title")?,
                provider: crate::identity::org_from(r)?,
                created_at: r.try_get("created_at")?,
                latest,
            });
        }
        Ok(out)
    }

    /// A provider's published models: readable by every signed-in user.
    pub async fn models_of(&self, _p: &Principal, org_id: &str) -> Result<Vec<ModelInfo>> {
        self.models_where("m.org_id = $1", org_id).await
    }

    /// Every published model of the instance (what a customer may subscribe to).
    pub async fn all_models(&self, _p: &Principal) -> Result<Vec<ModelInfo>> {
        self.models_where("o.kind = $1", "provider").await
    }

    /// One model by its store id.
    pub async fn model(&self, _p: &Principal, model_pk: &str) -> Result<ModelInfo> {
        self.models_where("m.id = $1", model_pk)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound("model"))
    }

    /// The versions of a model, newest first.
    pub async fn versions(&self, _p: &Principal, model_pk: &str) -> Result<Vec<VersionInfo>> {
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {VERSION_COLS} FROM model_versions v WHERE v.model_pk = $1 ORDER BY v.seq DESC"
                ))
                .bind(model_pk),
            )
            .await?;
        rows.iter().map(version_from).collect()
    }

    /// A version with its body (published versions are readable by every signed-in user).
    pub async fn version(&self, _p: &Principal, version_id: &str) -> Result<VersionBody> {
        let mut c = self.pool.acquire().await?;
        version_body(&mut c, version_id).await
    }

    /// Subscribes a customer organisation to a model's latest version and instantiates its
    /// obligations (`duties` gives the customer's duties in a version).
    pub async fn subscribe(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
        duties: DutiesOf<'_>,
    ) -> Result<Subscription> {
        p.write(org_id)?;
        p.org_of_kind(org_id, OrgKind::Customer)?;
        let mut w = self.write(p).await?;
        let latest = latest_version(&mut w.tx, model_pk)
            .await?
            .ok_or(StoreError::NotFound("model"))?;
        if sqlx::query("SELECT id FROM subscriptions WHERE org_id = $1 AND model_pk = $2")
            .bind(org_id)
            .bind(model_pk)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                field: "model",
                message: "the organisation is already subscribed to this model".into(),
            });
        }
        let list = duties(&latest).map_err(|message| StoreError::Invalid {
            field: "model",
            message,
        })?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO subscriptions (id, org_id, model_pk, version_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(model_pk)
        .bind(&latest.info.id)
        .bind(&w.at)
        .bind(&p.user_id)
        .execute(&mut *w.tx)
        .await?;
        sync_obligations(&mut w, org_id, Some(&id), model_pk, &list).await?;
        w.log(
            Some(org_id),
            "subscription.create",
            &id,
            json!({"model_pk": model_pk, "version": latest.info.version, "obligations": list.len()}),
        )
        .await?;
        w.commit().await?;
        self.subscription(p, org_id, &id).await
    }

    async fn subscriptions_where(&self, filter: &str, arg: &str) -> Result<Vec<Subscription>> {
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT s.id AS sid, s.model_pk, s.created_at AS screated, s.version_id, \
                     s.end_date, s.ended_by_party, s.end_requested_at, s.end_requested_by, s.end_reason, \
                     c.id AS cid, c.slug AS cslug, c.name AS cname, c.kind AS ckind, \
                     m.model_id, m.title, o.id, o.slug, o.name, o.kind, \
                     v.id AS vid, v.model_pk AS vmodel_pk, v.seq AS vseq, v.version AS vversion, v.sha256 AS vsha256, \
                     v.published_at AS vpublished_at, v.published_by AS vpublished_by, \
                     (SELECT COUNT(*) FROM version_notices n WHERE n.subscription_id = s.id AND n.acknowledged_at IS NULL) AS pending, \
                     (SELECT COUNT(*) FROM version_notices n WHERE n.subscription_id = s.id AND n.acknowledged_at IS NULL AND n.moves_duty = 1) AS moving \
                     FROM subscriptions s JOIN orgs c ON c.id = s.org_id JOIN models m ON m.id = s.model_pk JOIN orgs o ON o.id = m.org_id \
                     JOIN model_versions v ON v.id = s.version_id \
                     WHERE {filter} ORDER BY c.name, m.model_id"
                ))
                .bind(arg),
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let ckind: String = r.try_get("ckind")?;
            // The version's columns come with the row (aliased): its body is not read.
            let version = VersionInfo {
                id: r.try_get("vid")?,
                model_pk: r.try_get("vmodel_pk")?,
                seq: r.try_get("vseq")?,
                version: r.try_get("vversion")?,
                sha256: r.try_get("vsha256")?,
                published_at: r.try_get("vpublished_at")?,
                published_by: r.try_get("vpublished_by")?,
            };
            out.push(Subscription {
                id: r.try_get("sid")?,
                org: OrgRef {
                    id: r.try_get("cid")?,
                    slug: r.try_get("cslug")?,
                    name: r.try_get("cname")?,
                    kind: OrgKind::parse(&ckind).unwrap_or(OrgKind::Customer),
                },
                model_pk: r.try_get("model_pk")?,
                model_id: r.try_get("model_id")?,
                model_title: r.try_get("title")?,
                provider: crate::identity::org_from(r)?,
                version,
                created_at: r.try_get("screated")?,
                pending: r.try_get("pending")?,
                pending_moves_duty: r.try_get::<i64, _>("moving")? > 0,
                end: crate::ending::end_from(r)?,
            });
        }
        Ok(out)
    }

    /// The customer organisation's subscriptions.
    pub async fn subscriptions(&self, p: &Principal, org_id: &str) -> Result<Vec<Subscription>> {
        p.read(org_id)?;
        self.subscriptions_where("s.org_id = $1", org_id).await
    }

    /// One subscription of the organisation.
    pub async fn subscription(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
    ) -> Result<Subscription> {
        p.read(org_id)?;
        self.subscriptions_where("s.id = $1", id)
            .await?
            .into_iter()
            .find(|s| s.org.id == org_id)
            .ok_or(StoreError::NotFound("subscription"))
    }

    /// The subscriptions to a provider's models (the provider's members see who subscribes,
    /// to which version, and what is acknowledged; nothing of the customers' evidence).
    pub async fn subscribers(
        &self,
        p: &Principal,
        provider_org_id: &str,
    ) -> Result<Vec<Subscription>> {
        p.org_of_kind(provider_org_id, OrgKind::Provider)?;
        self.subscriptions_where("m.org_id = $1", provider_org_id)
            .await
    }

    /// The organisation's notices of new versions, newest first.
    pub async fn notices(
        &self,
        p: &Principal,
        org_id: &str,
        pending_only: bool,
    ) -> Result<Vec<Notice>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT n.id, n.subscription_id, n.from_version_id, n.to_version_id, n.diff, n.moves_duty, n.created_at, \
                     n.acknowledged_at, n.acknowledged_by, m.model_id FROM version_notices n \
                     JOIN subscriptions s ON s.id = n.subscription_id JOIN models m ON m.id = s.model_pk \
                     WHERE n.org_id = $1 {} ORDER BY n.created_at DESC",
                    if pending_only { "AND n.acknowledged_at IS NULL" } else { "" }
                ))
                .bind(org_id),
            )
            .await?;
        let mut out = Vec::new();
        let mut infos: std::collections::HashMap<String, VersionInfo> =
            std::collections::HashMap::new();
        for r in &rows {
            let diff: String = r.try_get("diff")?;
            let from: String = r.try_get("from_version_id")?;
            let to: String = r.try_get("to_version_id")?;
            for id in [&from, &to] {
                if !infos.contains_key(id) {
                    let v = self
                        .fetch_optional(
                            sqlx::query(&format!(
                                "SELECT {VERSION_COLS} FROM model_versions v WHERE v.id = $1"
                            ))
                            .bind(id),
                        )
                        .await?
                        .ok_or(StoreError::NotFound("model version"))?;
                    infos.insert(id.clone(), version_from(&v)?);
                }
            }
            out.push(Notice {
                id: r.try_get("id")?,
                subscription_id: r.try_get("subscription_id")?,
                model_id: r.try_get("model_id")?,
                from: infos[&from].clone(),
                to: infos[&to].clone(),
                diff: serde_json::from_str(&diff).map_err(|e| StoreError::Data(e.to_string()))?,
                moves_duty: r.try_get::<i64, _>("moves_duty")? != 0,
                created_at: r.try_get("created_at")?,
                acknowledged_at: r.try_get("acknowledged_at")?,
                acknowledged_by: r.try_get("acknowledged_by")?,
            });
        }
        Ok(out)
    }

    /// How many notices of the organisation wait for an acknowledgement (every page shows it).
    pub async fn pending_notices(&self, p: &Principal, org_id: &str) -> Result<i64> {
        p.read(org_id)?;
        Ok(self
            .fetch_optional(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM version_notices WHERE org_id = $1 AND acknowledged_at IS NULL",
                )
                .bind(org_id),
            )
            .await?
            .map(|r| r.try_get::<i64, _>("n"))
            .transpose()?
            .unwrap_or(0))
    }

    /// Acknowledges a notice: the subscription moves to its version (and every older pending
    /// notice of the subscription is acknowledged with it); obligations follow the version.
    pub async fn acknowledge(
        &self,
        p: &Principal,
        org_id: &str,
        notice_id: &str,
        duties: DutiesOf<'_>,
    ) -> Result<Notice> {
        p.write(org_id)?;
        let mut w = self.write(p).await?;
        let r = sqlx::query(
            "SELECT n.subscription_id, n.to_version_id, n.acknowledged_at, v.seq FROM version_notices n \
             JOIN model_versions v ON v.id = n.to_version_id WHERE n.id = $1 AND n.org_id = $2",
        )
        .bind(notice_id)
        .bind(org_id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or(StoreError::NotFound("notice"))?;
        if r.try_get::<Option<String>, _>("acknowledged_at")?.is_some() {
            return Err(StoreError::Conflict {
                field: "notice",
                message: "this version was already acknowledged".into(),
            });
        }
        let sub: String = r.try_get("subscription_id")?;
        let to: String = r.try_get("to_version_id")?;
        let seq: i64 = r.try_get("seq")?;
        let current: String = sqlx::query("SELECT v.seq, s.model_pk FROM subscriptions s JOIN model_versions v ON v.id = s.version_id WHERE s.id = $1")
            .bind(&sub)
            .fetch_one(&mut *w.tx)
            .await
            .and_then(|r| r.try_get::<String, _>("model_pk"))?;
        let body = version_body(&mut w.tx, &to).await?;
        let list = duties(&body).map_err(|message| StoreError::Invalid {
            field: "notice",
            message,
        })?;
        sqlx::query(
            "UPDATE version_notices SET acknowledged_at = $1, acknowledged_by = $2 WHERE subscription_id = $3 AND acknowledged_at IS NULL \
             AND to_version_id IN (SELECT id FROM model_versions WHERE model_pk = $4 AND seq <= $5)",
        )
        .bind(&w.at)
        .bind(&p.name)
        .bind(&sub)
        .bind(&current)
        .bind(seq)
        .execute(&mut *w.tx)
        .await?;
        // Never move a subscription backwards (acknowledging an old notice after a newer one).
        sqlx::query(
            "UPDATE subscriptions SET version_id = $1 WHERE id = $2 AND \
             (SELECT seq FROM model_versions WHERE id = subscriptions.version_id) < $3",
        )
        .bind(&to)
        .bind(&sub)
        .bind(seq)
        .execute(&mut *w.tx)
        .await?;
        sync_obligations(&mut w, org_id, Some(&sub), &current, &list).await?;
        w.log(
            Some(org_id),
            "notice.acknowledge",
            notice_id,
            json!({"subscription": sub, "version": body.info.version}),
        )
        .await?;
        w.commit().await?;
        self.notices(p, org_id, false)
            .await?
            .into_iter()
            .find(|n| n.id == notice_id)
            .ok_or(StoreError::NotFound("notice"))
    }

    /// The organisation's active obligations (its own duties, customer or provider).
    pub async fn obligations(&self, p: &Principal, org_id: &str) -> Result<Vec<Obligation>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT id, org_id, subscription_id, model_pk, activity_id, party_id, owner, notes, created_at \
                     FROM obligations WHERE org_id = $1 AND active = 1 ORDER BY model_pk, activity_id",
                )
                .bind(org_id),
            )
            .await?;
        rows.iter().map(obligation_from).collect()
    }

    /// One obligation of the organisation.
    pub async fn obligation(&self, p: &Principal, org_id: &str, id: &str) -> Result<Obligation> {
        p.read(org_id)?;
        let r = self
            .fetch_optional(
                sqlx::query(
                    "SELECT id, org_id, subscription_id, model_pk, activity_id, party_id, owner, notes, created_at \
                     FROM obligations WHERE id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(org_id),
            )
            .await?
            .ok_or(StoreError::NotFound("obligation"))?;
        obligation_from(&r)
    }

    /// Sets who carries an obligation and its notes (the organisation's members).
    pub async fn update_obligation(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        owner: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Obligation> {
        p.write(org_id)?;
        for (field, v, max) in [("owner", owner, 200), ("notes", notes, 10_000)] {
            if v.is_some_and(|v| v.len() > max) {
                return Err(StoreError::Invalid {
                    field,
                    message: format!("at most {max} bytes"),
                });
            }
        }
        let mut w = self.write(p).await?;
        let n = sqlx::query(
            "UPDATE obligations SET owner = $1, notes = $2 WHERE id = $3 AND org_id = $4",
        )
        .bind(owner.map(str::trim).filter(|s| !s.is_empty()))
        .bind(notes.filter(|s| !s.trim().is_empty()))
        .bind(id)
        .bind(org_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("obligation"));
        }
        w.log(
            Some(org_id),
            "obligation.update",
            id,
            json!({"owner": owner, "notes": notes}),
        )
        .await?;
        w.commit().await?;
        self.obligation(p, org_id, id).await
    }

    /// The provider's own obligations under a model the customer organisation subscribes
    /// to: what the customer may see of the other party's duties.
    pub async fn provider_obligations(
        &self,
        p: &Principal,
        customer_org_id: &str,
        model_pk: &str,
    ) -> Result<Vec<Obligation>> {
        self.require_subscribed(p, customer_org_id, model_pk)
            .await?;
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT b.id, b.org_id, b.subscription_id, b.model_pk, b.activity_id, b.party_id, b.owner, b.notes, b.created_at \
                     FROM obligations b JOIN models m ON m.id = b.model_pk \
                     WHERE b.model_pk = $1 AND b.org_id = m.org_id AND b.active = 1 ORDER BY b.activity_id",
                )
                .bind(model_pk),
            )
            .await?;
        rows.iter().map(obligation_from).collect()
    }

    /// Errs `NotFound` unless `p` is a member of `org_id`, which subscribes to `model_pk`.
    pub(crate) async fn require_subscribed(
        &self,
        p: &Principal,
        org_id: &str,
        model_pk: &str,
    ) -> Result<()> {
        p.read(org_id)?;
        self.fetch_optional(
            sqlx::query("SELECT id FROM subscriptions WHERE org_id = $1 AND model_pk = $2")
                .bind(org_id)
                .bind(model_pk),
        )
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound("subscription"))
    }
}
