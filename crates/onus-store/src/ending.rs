//! The end of a service: a customer cancels its subscription, or the provider terminates
//! it, with an end date; the model's end-of-service activities become a checklist, each line
//! with the party that does it and its deadline, ticked off by that party.
//!
//! Who may do what (docs/portal.md, "Security model"): the customer's admins cancel; the
//! provider's members and admins terminate; each party's members tick off its own lines; both
//! parties read the checklist. An end, once asked, is not withdrawn here: a mistake is the
//! two parties' to settle, and a new subscription can be taken after the end.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::{OrgKind, Principal, Role};
use crate::models::VersionBody;
use crate::{new_id, Result, Store, StoreError};

/// A line to create: the activity, the party doing it, its deadline (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub activity_id: String,
    pub party_id: String,
    pub party_kind: OrgKind,
    pub due: String,
}

/// The checklist's lines for a version ending on a date (the server reads the model's
/// `end_of_service`).
pub type StepsOf<'a> =
    &'a (dyn Fn(&VersionBody, &str) -> std::result::Result<Vec<Step>, String> + Sync);

/// A subscription's end, as asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionEnd {
    /// `YYYY-MM-DD`: the last day of the service.
    pub end_date: String,
    /// Which party ended it: `customer` (cancellation) or `provider` (termination).
    pub ended_by_party: OrgKind,
    pub requested_at: String,
    /// The name of who asked.
    pub requested_by: String,
    pub reason: Option<String>,
}

/// A line of a checklist.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndItem {
    pub id: String,
    /// The customer organisation whose service ends.
    pub org_id: String,
    pub subscription_id: String,
    pub activity_id: String,
    pub party_id: String,
    pub party_kind: OrgKind,
    pub due: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

pub(crate) fn end_from(r: &AnyRow) -> Result<Option<SubscriptionEnd>> {
    let date: Option<String> = r.try_get("end_date")?;
    let Some(end_date) = date else {
        return Ok(None);
    };
    let by: String = r
        .try_get::<Option<String>, _>("ended_by_party")?
        .unwrap_or_default();
    Ok(Some(SubscriptionEnd {
        end_date,
        ended_by_party: OrgKind::parse(&by)
            .ok_or_else(|| StoreError::Data(format!("ended_by_party {by}")))?,
        requested_at: r
            .try_get::<Option<String>, _>("end_requested_at")?
            .unwrap_or_default(),
        requested_by: r
            .try_get::<Option<String>, _>("end_requested_by")?
            .unwrap_or_default(),
        reason: r.try_get("end_reason")?,
    }))
}

pub(crate) fn item_from(r: &AnyRow) -> Result<EndItem> {
    let kind: String = r.try_get("party_kind")?;
    Ok(EndItem {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        subscription_id: r.try_get("subscription_id")?,
        activity_id: r.try_get("activity_id")?,
        party_id: r.try_get("party_id")?,
        party_kind: OrgKind::parse(&kind)
            .ok_or_else(|| StoreError::Data(format!("party_kind {kind}")))?,
        due: r.try_get("due")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        note: r.try_get("note")?,
    })
}

pub(crate) const ITEM_COLS: &str = "i.id, i.org_id, i.subscription_id, i.activity_id, i.party_id, i.party_kind, i.due, i.done_at, i.done_by, i.note";

/// `YYYY-MM-DD`, a real date.
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl Store {
    /// Which party `p` acts as on a subscription: the customer (its members) or the model's
    /// provider (its members); `NotFound` for anyone else.
    async fn party_on(&self, p: &Principal, subscription_id: &str) -> Result<(OrgKind, String)> {
        let own = p.org.as_ref().ok_or(StoreError::NotFound("subscription"))?;
        let r = self
            .fetch_optional(
                sqlx::query(
                    "SELECT s.org_id, m.org_id AS provider FROM subscriptions s JOIN models m ON m.id = s.model_pk WHERE s.id = $1",
                )
                .bind(subscription_id),
            )
            .await?
            .ok_or(StoreError::NotFound("subscription"))?;
        let customer: String = r.try_get("org_id")?;
        let provider: String = r.try_get("provider")?;
        if own.id == customer {
            Ok((OrgKind::Customer, customer))
        } else if own.id == provider {
            Ok((OrgKind::Provider, customer))
        } else {
            Err(StoreError::NotFound("subscription"))
        }
    }

    /// Ends a subscription on `end_date` (`YYYY-MM-DD`, today or later): a cancellation by
    /// the customer's admins, or a termination by the provider's members. Creates the
    /// checklist from `steps`. An end already asked is a conflict.
    pub async fn end_subscription(
        &self,
        p: &Principal,
        subscription_id: &str,
        end_date: &str,
        reason: Option<&str>,
        steps: StepsOf<'_>,
    ) -> Result<SubscriptionEnd> {
        let (party, customer) = self.party_on(p, subscription_id).await?;
        let own = p.org.as_ref().map(|o| o.id.clone()).unwrap_or_default();
        match party {
            OrgKind::Customer => p.admin(&own)?,
            OrgKind::Provider => p.write(&own)?,
        }
        let day = parse_day(end_date).ok_or_else(|| StoreError::Invalid {
            field: "end_date",
            message: "a date, YYYY-MM-DD".into(),
        })?;
        if day < chrono::Utc::now().date_naive() {
            return Err(StoreError::Invalid {
                field: "end_date",
                message: "the end of service cannot be in the past: today or later".into(),
            });
        }
        if reason.is_some_and(|r| r.len() > 2000) {
            return Err(StoreError::Invalid {
                field: "reason",
                message: "at most 2000 bytes".into(),
            });
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let mut w = self.write(p).await?;
        let r = sqlx::query("SELECT version_id, end_date FROM subscriptions WHERE id = $1")
            .bind(subscription_id)
            .fetch_one(&mut *w.tx)
            .await?;
        if r.try_get::<Option<String>, _>("end_date")?.is_some() {
            return Err(StoreError::Conflict {
                field: "end_date",
                message: "this subscription's end was already asked".into(),
            });
        }
        let version: String = r.try_get("version_id")?;
        let body = crate::models::version_body(&mut w.tx, &version).await?;
        let lines = steps(&body, end_date).map_err(|message| StoreError::Invalid {
            field: "model",
            message,
        })?;
        sqlx::query(
            "UPDATE subscriptions SET end_date = $1, ended_by_party = $2, end_requested_at = $3, end_requested_by = $4, end_reason = $5 WHERE id = $6",
        )
        .bind(end_date)
        .bind(party.as_str())
        .bind(&w.at)
        .bind(&p.name)
        .bind(reason)
        .bind(subscription_id)
        .execute(&mut *w.tx)
        .await?;
        for s in &lines {
            sqlx::query(
                "INSERT INTO end_of_service_items (id, org_id, subscription_id, activity_id, party_id, party_kind, due) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(&customer)
            .bind(subscription_id)
            .bind(&s.activity_id)
            .bind(&s.party_id)
            .bind(s.party_kind.as_str())
            .bind(&s.due)
            .execute(&mut *w.tx)
            .await?;
        }
        let detail = json!({"end_date": end_date, "by": party.as_str(), "reason": reason, "checklist": lines.len()});
        let action = match party {
            OrgKind::Customer => "subscription.cancel",
            OrgKind::Provider => "subscription.terminate",
        };
        // Recorded in the customer's log only, also when the provider acts: the entry is
        // about the customer's service and goes with the customer's data when it is deleted
        // (the provider sees its lines on the checklist, with who ticked them off).
        w.log(Some(&customer), action, subscription_id, detail)
            .await?;
        crate::evidence::enqueue(
            &mut w,
            &customer,
            "subscription.end",
            json!({"subscription": subscription_id, "end_date": end_date, "by": party.as_str()}),
        )
        .await?;
        let at = w.at.clone();
        w.commit().await?;
        Ok(SubscriptionEnd {
            end_date: end_date.into(),
            ended_by_party: party,
            requested_at: at,
            requested_by: p.name.clone(),
            reason: reason.map(str::to_string),
        })
    }

    /// The checklists `p`'s organisation may see: a customer's own, a provider's customers'
    /// under its models. Ordered by due date.
    pub async fn end_items(&self, p: &Principal, org_id: &str) -> Result<Vec<EndItem>> {
        p.read(org_id)?;
        let kind = p.org.as_ref().map(|o| o.kind);
        let rows = if kind == Some(OrgKind::Provider) {
            self.fetch_all(
                sqlx::query(&format!(
                    "SELECT {ITEM_COLS} FROM end_of_service_items i JOIN subscriptions s ON s.id = i.subscription_id \
                     JOIN models m ON m.id = s.model_pk WHERE m.org_id = $1 ORDER BY i.due, i.activity_id, i.id"
                ))
                .bind(org_id),
            )
            .await?
        } else {
            self.fetch_all(
                sqlx::query(&format!(
                    "SELECT {ITEM_COLS} FROM end_of_service_items i WHERE i.org_id = $1 ORDER BY i.due, i.activity_id, i.id"
                ))
                .bind(org_id),
            )
            .await?
        };
        rows.iter().map(item_from).collect()
    }

    /// Ticks off a line of a checklist (or un-ticks it): the members of the party that does
    /// it.
    pub async fn set_end_item_done(
        &self,
        p: &Principal,
        org_id: &str,
        item_id: &str,
        done: bool,
        note: Option<&str>,
    ) -> Result<EndItem> {
        p.write(org_id)?;
        if note.is_some_and(|n| n.len() > 10_000) {
            return Err(StoreError::Invalid {
                field: "note",
                message: "at most 10000 bytes".into(),
            });
        }
        let own_kind = p
            .org
            .as_ref()
            .map(|o| o.kind)
            .ok_or(StoreError::NotFound("checklist line"))?;
        let item = self
            .end_items(p, org_id)
            .await?
            .into_iter()
            .find(|i| i.id == item_id)
            .ok_or(StoreError::NotFound("checklist line"))?;
        if item.party_kind != own_kind {
            return Err(StoreError::Forbidden(
                "this line is the other party's to tick off",
            ));
        }
        let mut w = self.write(p).await?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        sqlx::query(
            "UPDATE end_of_service_items SET done_at = $1, done_by = $2, note = $3 WHERE id = $4",
        )
        .bind(done.then(|| w.at.clone()))
        .bind(done.then(|| p.name.clone()))
        .bind(note)
        .bind(item_id)
        .execute(&mut *w.tx)
        .await?;
        // In the customer's log, as the end itself (see `end_subscription`).
        w.log(
            Some(&item.org_id),
            "end_item.update",
            item_id,
            json!({"activity": item.activity_id, "done": done, "note": note, "by": own_kind.as_str()}),
        )
        .await?;
        w.commit().await?;
        self.end_items(p, org_id)
            .await?
            .into_iter()
            .find(|i| i.id == item_id)
            .ok_or(StoreError::NotFound("checklist line"))
    }
}

/// Whether `p` may delete the organisation `org_id`: its admins, or the instance
/// administrator.
pub(crate) fn may_delete(p: &Principal, org_id: &str) -> Result<()> {
    if p.instance_admin {
        return Ok(());
    }
    p.read(org_id)?;
    if p.role != Role::Admin || p.token_id.is_some() {
        return Err(StoreError::Forbidden(
            "only the organisation's admins, signed in, may delete it",
        ));
    }
    Ok(())
}
