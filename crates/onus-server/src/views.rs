//! What the API and the pages show of obligations: each with its status computed by
//! [`crate::domain`], shared by both interfaces so that they never differ.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use onus_model::{Model, PartyKind};
use onus_store::models::{Obligation, Subscription};
use onus_store::{OrgKind, OrgRef, Principal};
use serde::Serialize;
use utoipa::ToSchema;

use crate::cache::{Joined, Source};
use crate::domain::{self, Status};
use crate::error::ApiError;
use crate::App;

/// An obligation with where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObligationView {
    pub id: String,
    pub org_id: String,
    pub model_pk: String,
    /// The model's id (`ovhcloud-mks`).
    pub model_id: String,
    /// The version the status is computed against (the subscribed one).
    pub version: String,
    pub version_id: String,
    pub activity_id: String,
    /// The section's number and title.
    pub section: String,
    pub text: String,
    pub party_id: String,
    /// The party's letters (`RA`).
    pub letters: String,
    pub owner: Option<String>,
    pub notes: Option<String>,
    pub cadence: Option<String>,
    pub status: Status,
    /// The CLI's duty status (`pass`, `fail`, `needs-attestation`, ...), from the same code.
    pub duty_status: String,
    /// The checks that speak to it.
    pub checks: Vec<String>,
    /// The latest attestation, as `onus audit` reports it (null when none).
    #[schema(value_type = Option<Object>)]
    pub attestation: Option<serde_json::Value>,
    /// When it is next due (RFC 3339).
    pub due: Option<String>,
}

/// A model and version an organisation holds duties under.
#[derive(Clone)]
pub struct Context {
    pub model_pk: String,
    pub model_id: String,
    pub version_id: String,
    pub version: String,
    pub model: Arc<Model>,
    /// The organisation's party in the model.
    pub party_id: String,
    /// Since when (the subscription's or the model's creation).
    pub since: String,
    /// The slug of the organisation that publishes the model.
    pub provider_slug: String,
}

pub fn now() -> DateTime<FixedOffset> {
    chrono::Utc::now().fixed_offset()
}

fn section_title(model: &Model, section: &str, lang: &str) -> String {
    let path = model.section_path(section);
    let number = path.last().and_then(|s| s.number.clone());
    let title = path
        .iter()
        .map(|s| s.title.best(lang).to_string())
        .collect::<Vec<_>>()
        .join(" › ");
    match number {
        Some(n) => format!("{n} {title}"),
        None => title,
    }
}

impl App {
    /// The contexts (model, version, party) of every model the organisation holds duties
    /// under: its subscriptions (customer) or its published models (provider).
    pub async fn contexts(&self, p: &Principal, org: &OrgRef) -> Result<Vec<Context>, ApiError> {
        let mut out = Vec::new();
        match org.kind {
            OrgKind::Customer => {
                for s in self.store.subscriptions(p, &org.id).await? {
                    out.push(self.context_of_subscription(p, &s).await?);
                }
            }
            OrgKind::Provider => {
                for m in self.store.models_of(p, &org.id).await? {
                    let Some(latest) = m.latest else { continue };
                    let model = self.model_by_version(p, &latest.id).await?;
                    let party = domain::party_of(&model, PartyKind::Provider)
                        .map_err(ApiError::internal)?
                        .id
                        .clone();
                    out.push(Context {
                        model_pk: m.pk,
                        model_id: m.model_id,
                        version_id: latest.id,
                        version: latest.version,
                        model,
                        party_id: party,
                        since: m.created_at,
                        provider_slug: m.provider.slug,
                    });
                }
            }
        }
        Ok(out)
    }

    pub async fn context_of_subscription(
        &self,
        p: &Principal,
        s: &Subscription,
    ) -> Result<Context, ApiError> {
        let model = self.model_by_version(p, &s.version.id).await?;
        let party = domain::party_of(&model, PartyKind::Customer)
            .map_err(ApiError::internal)?
            .id
            .clone();
        Ok(Context {
            model_pk: s.model_pk.clone(),
            model_id: s.model_id.clone(),
            version_id: s.version.id.clone(),
            version: s.version.version.clone(),
            model,
            party_id: party,
            since: s.created_at.clone(),
            provider_slug: s.provider.slug.clone(),
        })
    }

    /// The context for evidence the organisation uploads about `model_id` (of `provider`,
    /// when several providers publish that id).
    pub async fn context_for(
        &self,
        p: &Principal,
        org: &OrgRef,
        model_id: &str,
        provider: Option<&str>,
    ) -> Result<Context, ApiError> {
        let mut found: Vec<Context> = Vec::new();
        if org.kind == OrgKind::Customer {
            for s in self.store.subscriptions(p, &org.id).await? {
                if s.model_id == model_id && provider.is_none_or(|pr| pr == s.provider.slug) {
                    found.push(self.context_of_subscription(p, &s).await?);
                }
            }
        } else {
            for c in self.contexts(p, org).await? {
                if c.model_id == model_id {
                    found.push(c);
                }
            }
        }
        match found.len() {
            0 => Err(ApiError::invalid(
                "model",
                format!(
                    "the organisation holds no duties under a model `{model_id}`{}: subscribe to it first",
                    provider.map(|p| format!(" of `{p}`")).unwrap_or_default()
                ),
            )),
            1 => Ok(found.remove(0)),
            _ => Err(ApiError::invalid(
                "provider",
                format!("several providers publish `{model_id}`: say which with `provider`"),
            )),
        }
    }

    /// Views of obligations under one context, from the statuses joined from its evidence.
    pub fn views(
        &self,
        ctx: &Context,
        obligations: &[Obligation],
        joined: &Joined,
        lang: &str,
    ) -> Result<Vec<ObligationView>, ApiError> {
        // The party of this model's obligations: an organisation subscribed to several
        // models may be a different party id in each (`customer` in one, `client` in another).
        let party = obligations
            .iter()
            .find(|o| o.model_pk == ctx.model_pk)
            .map_or(ctx.party_id.as_str(), |o| o.party_id.as_str());
        let duties = joined.duties(party);
        let mut out = Vec::new();
        for o in obligations.iter().filter(|o| o.model_pk == ctx.model_pk) {
            let Some(act) = ctx.model.activity(&o.activity_id) else {
                continue;
            };
            let duty = duties.get(o.activity_id.as_str()).copied();
            let status = duty.map_or(Status::Unknown, |d| Status::of(d.status));
            out.push(ObligationView {
                id: o.id.clone(),
                org_id: o.org_id.clone(),
                model_pk: o.model_pk.clone(),
                model_id: ctx.model_id.clone(),
                version: ctx.version.clone(),
                version_id: ctx.version_id.clone(),
                activity_id: o.activity_id.clone(),
                section: section_title(&ctx.model, &act.section, lang),
                text: act.text.best(lang).to_string(),
                party_id: o.party_id.clone(),
                letters: ctx.model.letters(act, &o.party_id).to_string(),
                owner: o.owner.clone(),
                notes: o.notes.clone(),
                cadence: act.cadence.clone(),
                status,
                duty_status: duty
                    .map_or("needs-attestation", |d| d.status.as_str())
                    .to_string(),
                checks: duty.map(|d| d.checks.clone()).unwrap_or_default(),
                attestation: duty
                    .and_then(|d| d.attestation.as_ref())
                    .and_then(|a| serde_json::to_value(a).ok()),
                due: duty.and_then(|d| domain::due(d, &ctx.since)),
            });
        }
        Ok(out)
    }

    /// The organisation's own obligations with their statuses.
    pub async fn obligation_views(
        &self,
        p: &Principal,
        org: &OrgRef,
        lang: &str,
    ) -> Result<Vec<ObligationView>, ApiError> {
        Ok(self.org_views(p, org, lang).await?.views.clone())
    }

    /// The organisation's contexts and its obligations with their statuses, as of the
    /// store's current revision: computed once per revision (and per language), then shared
    /// by every request that reads the same revision (see [`OrgViews`]).
    pub async fn org_views(
        &self,
        p: &Principal,
        org: &OrgRef,
        lang: &str,
    ) -> Result<Arc<OrgViews>, ApiError> {
        p.read(&org.id)?;
        let revision = self.store.revision().await?;
        self.org_views_at(p, org, lang, revision).await
    }

    /// [`App::org_views`] at a revision the caller read before any of its reads (the one its
    /// authentication read, [`crate::auth::Auth::revision`], in a handler that writes nothing).
    pub async fn org_views_at(
        &self,
        p: &Principal,
        org: &OrgRef,
        lang: &str,
        revision: i64,
    ) -> Result<Arc<OrgViews>, ApiError> {
        // Security: a cached value skips the store's reads, and with them the store's access
        // check; the same check is made here, before the cache is looked at. What it holds
        // is the same for every principal that passes it (no read below filters by role).
        p.read(&org.id)?;
        let now = now();
        let key = (org.id.clone(), revision, lang.to_string());
        self.org_views
            .get_or_compute(
                &key,
                |v| v.fresh(now),
                || async {
                    let contexts = self.contexts(p, org).await?;
                    let obligations = self.store.obligations(p, &org.id).await?;
                    let mut views = Vec::new();
                    let mut valid_until: Option<DateTime<FixedOffset>> = None;
                    for ctx in &contexts {
                        let joined = self.own_joined(p, org, ctx).await?;
                        if let Some(t) = joined.valid_until {
                            valid_until = Some(valid_until.map_or(t, |v| v.min(t)));
                        }
                        views.extend(self.views(ctx, &obligations, &joined, lang)?);
                    }
                    Ok::<_, ApiError>(Arc::new(OrgViews {
                        revision,
                        contexts,
                        views,
                        valid_until,
                    }))
                },
            )
            .await
    }

    /// The statuses of the organisation's own duties under a context.
    pub async fn own_joined(
        &self,
        p: &Principal,
        org: &OrgRef,
        ctx: &Context,
    ) -> Result<Arc<Joined>, ApiError> {
        let set = self.store.evidence_meta(p, &org.id, &ctx.model_pk).await?;
        self.joined(
            p,
            &ctx.model,
            &ctx.version_id,
            &set,
            Source::Own(&org.id),
            None,
        )
        .await
    }

    /// The provider's obligations under a subscription, with the evidence the provider
    /// published, as the subscribed customer sees them (against the customer's version).
    pub async fn provider_views(
        &self,
        p: &Principal,
        org: &OrgRef,
        s: &Subscription,
        lang: &str,
    ) -> Result<Vec<ObligationView>, ApiError> {
        let mut ctx = self.context_of_subscription(p, s).await?;
        ctx.party_id = domain::party_of(&ctx.model, PartyKind::Provider)
            .map_err(ApiError::internal)?
            .id
            .clone();
        let obligations = self
            .store
            .provider_obligations(p, &org.id, &s.model_pk)
            .await?;
        let set = self
            .store
            .published_evidence_meta(p, &org.id, &s.model_pk)
            .await?;
        // Who holds what is decided on the customer's cluster: the conditions of the
        // customer's latest audit apply to the provider's duties it sees too.
        let own = self.store.evidence_meta(p, &org.id, &s.model_pk).await?;
        let own_joined = self
            .joined(
                p,
                &ctx.model,
                &ctx.version_id,
                &own,
                Source::Own(&org.id),
                None,
            )
            .await?;
        let conditions = own
            .latest_audit
            .as_ref()
            .map(|a| (a.id.as_str(), own_joined.conditions.as_slice()));
        let joined = self
            .joined(
                p,
                &ctx.model,
                &ctx.version_id,
                &set,
                Source::Published(&org.id),
                conditions,
            )
            .await?;
        // The provider's duties in the customer's version on the customer's cluster (the
        // provider's rows follow its latest version; the customer sees the version it
        // acknowledged).
        let duties = joined.held(&ctx.party_id);
        let rows: Vec<Obligation> = duties
            .iter()
            .map(|d| {
                obligations
                    .iter()
                    .find(|o| o.activity_id == d.activity_id)
                    .cloned()
                    .unwrap_or(Obligation {
                        id: String::new(),
                        org_id: s.provider.id.clone(),
                        subscription_id: None,
                        model_pk: s.model_pk.clone(),
                        activity_id: d.activity_id.clone(),
                        party_id: d.party_id.clone(),
                        owner: None,
                        notes: None,
                        created_at: s.created_at.clone(),
                    })
            })
            .collect();
        self.views(&ctx, &rows, &joined, lang)
    }
}

/// An organisation's contexts and obligation views at one revision of the store. A pure
/// function of the tenant data at that revision and of time; time enters only through the
/// joins' horizons (an attestation starting or expiring), kept as `valid_until`, after which
/// the value is computed again. Another instance computing it from the same revision gets the
/// same value, so nothing here is state another instance would need.
pub struct OrgViews {
    /// The store's revision it was computed at.
    pub revision: i64,
    pub contexts: Vec<Context>,
    pub views: Vec<ObligationView>,
    pub valid_until: Option<DateTime<FixedOffset>>,
}

impl OrgViews {
    pub fn fresh(&self, now: DateTime<FixedOffset>) -> bool {
        self.valid_until.is_none_or(|t| now < t)
    }
}

/// Obligations counted by status.
pub fn by_status(views: &[ObligationView]) -> HashMap<&'static str, usize> {
    let mut c: HashMap<&'static str, usize> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for v in views {
        *c.entry(v.status.as_str()).or_default() += 1;
    }
    c
}
