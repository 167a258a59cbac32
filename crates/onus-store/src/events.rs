//! Events: incidents, change requests and announcements between a provider and its customers.
//!
//! The store does not read models. The server applies the routing rule of
//! `onus_model::events` to the bound activity and passes its result ([`Route`]: which party
//! opens, acts, approves, is consulted, is informed) with every organisation taking part and
//! its party. The store enforces it on every step, records the step in the event's timeline
//! and in the hash-chained log (one entry per organisation concerned), and queues what must be
//! told to whom in the outbox, in the same transaction.
//!
//! Who sees what: an event is visible to the organisations taking part in it
//! (`event_parties`), nobody else (`NotFound`). In an event with several customers (a provider
//! incident published to every affected subscription), a customer sees the provider and
//! itself, never the other customers; what a customer writes (comments, answers, files) is
//! seen by itself and the provider only.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::{OrgKind, OrgRef, Principal};
use crate::db::{values, LogItem, Write};
use crate::evidence::{put_file, FileInfo};
use crate::{new_id, Page, Result, Store, StoreError};

/// What one party does with an event (computed by `onus_model::events::route`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteParty {
    pub party: String,
    pub opens: bool,
    pub acts: bool,
    pub approves: bool,
    pub consulted: bool,
    pub informed: bool,
    pub informed_of_opening: bool,
}

/// The part of a routing the store enforces (the JSON stored with the event holds more: each
/// party's letters, for people).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    pub activity: String,
    #[serde(default)]
    pub opened_through: Option<String>,
    pub approval: String,
    pub parties: Vec<RouteParty>,
}

impl Route {
    fn party(&self, id: &str) -> Option<&RouteParty> {
        self.parties.iter().find(|p| p.party == id)
    }
}

/// An organisation taking part in a new event.
#[derive(Debug, Clone)]
pub struct Participant {
    pub org_id: String,
    pub party_id: String,
    /// The customer's subscription to the model (`None` for the provider).
    pub subscription_id: Option<String>,
}

/// A new event.
pub struct NewEvent<'a> {
    pub model_pk: &'a str,
    pub version_id: &'a str,
    pub event_type: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub severity: Option<&'a str>,
    pub service: Option<&'a str>,
    pub due_at: Option<String>,
    pub remind_at: Option<String>,
    /// The routing as the server computed it (stored as is, for people).
    pub routing: serde_json::Value,
    /// The opening organisation's party.
    pub opener_party: &'a str,
    /// Every organisation taking part, the opener's included.
    pub participants: Vec<Participant>,
    /// A file attached to the opening: name, media type, bytes.
    pub attachment: Option<(&'a str, &'a str, &'a [u8])>,
}

/// An event as an organisation taking part sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: String,
    /// Per provider: #1, #2...
    pub number: i64,
    /// The organisation that opened it.
    pub opened_by_org: OrgRef,
    pub provider: OrgRef,
    pub model_pk: String,
    pub model_id: String,
    pub version_id: String,
    /// The event type (`incident`, `change-request`, `forced-upgrade`...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// `incident`, `change` or `announcement`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    /// Announcements: the announced date.
    pub due_at: Option<String>,
    pub remind_at: Option<String>,
    pub reminded_at: Option<String>,
    /// `open`, `acknowledged`, `resolved`, `closed` or `rejected`.
    pub state: String,
    /// The rule applied when it was opened: the bound activity, and what each party does.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub routing: serde_json::Value,
    pub opener_party: String,
    pub opened_at: String,
    pub opened_by_name: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// The resolution, or the reason of a rejection.
    pub resolution: Option<String>,
    pub updated_at: String,
    /// Seconds from opening to acknowledgement by the party that acts.
    pub time_to_acknowledge: Option<i64>,
    /// Seconds from opening to resolution (or rejection).
    pub time_to_resolve: Option<i64>,
    /// The viewing organisation's part in it.
    pub mine: Option<EventParty>,
    /// Customer organisations taking part (a provider sees them all; a customer counts itself).
    pub customers: i64,
    /// How many of them acknowledged it.
    pub acknowledged_customers: i64,
}

/// An organisation's part in an event.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventParty {
    pub org: OrgRef,
    pub party_id: String,
    pub subscription_id: Option<String>,
    /// The user it goes to (the owner of the matching obligation); `None`: the admins.
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub opens: bool,
    pub acts: bool,
    pub approves: bool,
    pub consulted: bool,
    pub informed: bool,
}

/// One step of an event's timeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    pub id: String,
    pub at: String,
    pub org_id: String,
    pub actor_name: String,
    pub party_id: String,
    /// `open`, `acknowledge`, `receipt`, `comment`, `consult`, `answer`, `resolve`, `reject`,
    /// `approve`, `refuse`, `close`, `remind`.
    pub action: String,
    /// The event's state after the step.
    pub state: String,
    pub body: Option<String>,
    pub file: Option<FileInfo>,
}

/// A consultation request to a party holding C, and its answer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consultation {
    pub id: String,
    /// The consulted organisation.
    pub org_id: String,
    pub party_id: String,
    pub question: String,
    pub asked_at: String,
    pub asked_by_name: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by_name: Option<String>,
}

/// An event with everything the viewer may see of it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetail {
    pub event: Event,
    /// The provider and the viewer's organisation (a provider sees every organisation).
    pub parties: Vec<EventParty>,
    pub steps: Vec<Step>,
    pub consultations: Vec<Consultation>,
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// A state, or `active` (open, acknowledged or resolved).
    pub state: Option<String>,
    pub kind: Option<String>,
    pub event_type: Option<String>,
    pub model_pk: Option<String>,
    pub severity: Option<String>,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The party that acts takes the event (open → acknowledged); any other party records
    /// that it has read it (announcements track each customer's).
    Acknowledge,
    Resolve,
    Reject,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "acknowledge" => Some(Action::Acknowledge),
            "resolve" => Some(Action::Resolve),
            "reject" => Some(Action::Reject),
            _ => None,
        }
    }
}

pub const STATES: [&str; 5] = ["open", "acknowledged", "resolved", "closed", "rejected"];

const EVENT_COLS: &str = "e.id, e.org_id, e.provider_org_id, e.model_pk, e.version_id, e.number, e.type, e.kind, e.title, \
    e.description, e.severity, e.service, e.due_at, e.remind_at, e.reminded_at, e.state, e.routing, e.opener_party, \
    e.opened_at, e.opened_by_name, e.acknowledged_at, e.resolved_at, e.closed_at, e.resolution, e.updated_at, \
    m.model_id, oo.slug AS oslug, oo.name AS oname, oo.kind AS okind, po.slug AS pslug, po.name AS pname";

const EVENT_FROM: &str = "FROM events e JOIN models m ON m.id = e.model_pk \
    JOIN orgs oo ON oo.id = e.org_id JOIN orgs po ON po.id = e.provider_org_id";

fn seconds_between(a: &str, b: Option<&str>) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(a).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(b?).ok()?;
    Some((b - a).num_seconds())
}

fn event_from(r: &AnyRow) -> Result<Event> {
    let routing: String = r.try_get("routing")?;
    let opened_at: String = r.try_get("opened_at")?;
    let acknowledged_at: Option<String> = r.try_get("acknowledged_at")?;
    let resolved_at: Option<String> = r.try_get("resolved_at")?;
    let okind: String = r.try_get("okind")?;
    Ok(Event {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        opened_by_org: OrgRef {
            id: r.try_get("org_id")?,
            slug: r.try_get("oslug")?,
            name: r.try_get("oname")?,
            kind: OrgKind::parse(&okind).unwrap_or(OrgKind::Customer),
        },
        provider: OrgRef {
            id: r.try_get("provider_org_id")?,
            slug: r.try_get("pslug")?,
            name: r.try_get("pname")?,
            kind: OrgKind::Provider,
        },
        model_pk: r.try_get("model_pk")?,
        model_id: r.try_get("model_id")?,
        version_id: r.try_get("version_id")?,
        event_type: r.try_get("type")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        severity: r.try_get("severity")?,
        service: r.try_get("service")?,
        due_at: r.try_get("due_at")?,
        remind_at: r.try_get("remind_at")?,
        reminded_at: r.try_get("reminded_at")?,
        state: r.try_get("state")?,
        routing: serde_json::from_str(&routing).map_err(|e| StoreError::Data(e.to_string()))?,
        opener_party: r.try_get("opener_party")?,
        time_to_acknowledge: seconds_between(&opened_at, acknowledged_at.as_deref()),
        time_to_resolve: seconds_between(&opened_at, resolved_at.as_deref()),
        opened_at,
        opened_by_name: r.try_get("opened_by_name")?,
        acknowledged_at,
        resolved_at,
        closed_at: r.try_get("closed_at")?,
        resolution: r.try_get("resolution")?,
        updated_at: r.try_get("updated_at")?,
        mine: None,
        customers: 0,
        acknowledged_customers: 0,
    })
}

fn route_of(v: &serde_json::Value) -> Result<Route> {
    serde_json::from_value(v.clone()).map_err(|e| StoreError::Data(format!("routing: {e}")))
}

fn limit_text(field: &'static str, v: &str, max: usize) -> Result<()> {
    if v.len() > max {
        return Err(StoreError::Invalid {
            field,
            message: format!("at most {max} bytes"),
        });
    }
    Ok(())
}

/// A participant row as the store reads it back.
struct PartRow {
    org: OrgRef,
    party_id: String,
    subscription_id: Option<String>,
    assignee: Option<String>,
    assignee_name: Option<String>,
    acknowledged_at: Option<String>,
    acknowledged_by: Option<String>,
    approved_at: Option<String>,
    approved_by: Option<String>,
}

impl PartRow {
    fn view(&self, route: &Route) -> EventParty {
        let r = route.party(&self.party_id);
        EventParty {
            org: self.org.clone(),
            party_id: self.party_id.clone(),
            subscription_id: self.subscription_id.clone(),
            assignee: self.assignee.clone(),
            assignee_name: self.assignee_name.clone(),
            acknowledged_at: self.acknowledged_at.clone(),
            acknowledged_by: self.acknowledged_by.clone(),
            approved_at: self.approved_at.clone(),
            approved_by: self.approved_by.clone(),
            opens: r.is_some_and(|r| r.opens),
            acts: r.is_some_and(|r| r.acts),
            approves: r.is_some_and(|r| r.approves),
            consulted: r.is_some_and(|r| r.consulted),
            informed: r.is_some_and(|r| r.informed),
        }
    }
}

/// An event loaded inside a write, with its participants.
struct Loaded {
    event: Event,
    route: Route,
    parts: Vec<PartRow>,
}

impl Loaded {
    fn part(&self, org_id: &str) -> Option<&PartRow> {
        self.parts.iter().find(|p| p.org.id == org_id)
    }

    fn is_provider(&self, org_id: &str) -> bool {
        self.event.provider.id == org_id
    }

    /// The audience of what `org_id` writes: everyone when the provider writes, else that
    /// organisation (and the provider).
    fn audience_of(&self, org_id: &str) -> Option<String> {
        (!self.is_provider(org_id)).then(|| org_id.to_string())
    }

    /// Organisations that see something written with `audience`.
    fn seeing(&self, audience: Option<&str>) -> Vec<&PartRow> {
        self.parts
            .iter()
            .filter(|p| audience.is_none_or(|a| a == p.org.id || self.is_provider(&p.org.id)))
            .collect()
    }

    fn flags(&self, p: &PartRow) -> Option<&RouteParty> {
        self.route.party(&p.party_id)
    }
}

async fn load_parts(c: &mut sqlx::AnyConnection, event_id: &str) -> Result<Vec<PartRow>> {
    let rows = sqlx::query(
        "SELECT ep.org_id, ep.party_id, ep.subscription_id, ep.assignee, ep.acknowledged_at, ep.acknowledged_by, \
         ep.approved_at, ep.approved_by, o.slug, o.name, o.kind, u.name AS uname \
         FROM event_parties ep JOIN orgs o ON o.id = ep.org_id LEFT JOIN users u ON u.id = ep.assignee \
         WHERE ep.event_id = $1 ORDER BY o.kind DESC, o.name",
    )
    .bind(event_id)
    .fetch_all(c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        out.push(PartRow {
            org: OrgRef {
                id: r.try_get("org_id")?,
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Customer),
            },
            party_id: r.try_get("party_id")?,
            subscription_id: r.try_get("subscription_id")?,
            assignee: r.try_get("assignee")?,
            assignee_name: r.try_get("uname")?,
            acknowledged_at: r.try_get("acknowledged_at")?,
            acknowledged_by: r.try_get("acknowledged_by")?,
            approved_at: r.try_get("approved_at")?,
            approved_by: r.try_get("approved_by")?,
        });
    }
    Ok(out)
}

async fn load(c: &mut sqlx::AnyConnection, event_id: &str) -> Result<Loaded> {
    let r = sqlx::query(&format!("SELECT {EVENT_COLS} {EVENT_FROM} WHERE e.id = $1"))
        .bind(event_id)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound("event"))?;
    let event = event_from(&r)?;
    let route = route_of(&event.routing)?;
    let parts = load_parts(c, event_id).await?;
    Ok(Loaded {
        event,
        route,
        parts,
    })
}

/// What a step queues for the worker: the message's topic and the organisations to tell.
struct Tell<'a> {
    topic: &'a str,
    orgs: Vec<String>,
    detail: serde_json::Value,
}

/// The event's summary every message carries (webhook payloads, e-mails, notifications).
fn summary(e: &Event) -> serde_json::Value {
    json!({
        "id": e.id,
        "number": e.number,
        "type": e.event_type,
        "kind": e.kind,
        "title": e.title,
        "state": e.state,
        "severity": e.severity,
        "service": e.service,
        "due_at": e.due_at,
        "model": e.model_id,
        "provider": e.provider.slug,
        "opened_at": e.opened_at,
        "activity": e.routing.get("activity"),
    })
}

impl Write {
    /// Records a step: in the timeline, in the log of every organisation that sees it, and in
    /// the outbox for the organisations to tell.
    #[allow(clippy::too_many_arguments)]
    async fn step(
        &mut self,
        l: &Loaded,
        org_id: &str,
        party: &str,
        action: &str,
        audience: Option<&str>,
        body: Option<&str>,
        file_id: Option<&str>,
        tell: Option<Tell<'_>>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO event_steps (id, event_id, org_id, audience_org_id, at, actor, actor_name, party_id, action, state, body, file_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&l.event.id)
        .bind(org_id)
        .bind(audience)
        .bind(&self.at)
        .bind(&self.actor)
        .bind(self.actor_name.clone())
        .bind(party)
        .bind(action)
        .bind(&l.event.state)
        .bind(body)
        .bind(file_id)
        .execute(&mut *self.tx)
        .await?;
        let detail = json!({
            "event": l.event.id, "number": l.event.number, "type": l.event.event_type,
            "action": action, "state": l.event.state, "party": party,
        });
        let entries: Vec<LogItem> = l
            .seeing(audience)
            .iter()
            .map(|p| LogItem {
                org_id: Some(p.org.id.clone()),
                action: format!("event.{action}"),
                subject: l.event.id.clone(),
                detail: detail.clone(),
            })
            .collect();
        self.log_many(&entries).await?;
        if let Some(t) = tell {
            let seeing: HashSet<&str> = l
                .seeing(audience)
                .iter()
                .map(|p| p.org.id.as_str())
                .collect();
            let orgs: Vec<String> = t
                .orgs
                .into_iter()
                .filter(|o| o != org_id && seeing.contains(o.as_str()))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let payload = json!({
                "kind": l.event.kind,
                "event": summary(&l.event),
                "step": {"id": id, "action": action, "at": self.at, "by": self.actor_name,
                         "actor": self.actor, "party": party, "body": body, "state": l.event.state},
                "detail": t.detail,
            });
            enqueue_many(self, &orgs, t.topic, &payload).await?;
        }
        Ok(id)
    }
}

/// Queues one message per organisation (multi-row inserts).
pub(crate) async fn enqueue_many(
    w: &mut Write,
    orgs: &[String],
    topic: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    let text = payload.to_string();
    for chunk in orgs.chunks(150) {
        let sql = format!(
            "INSERT INTO outbox (id, org_id, topic, payload, created_at, available_at, attempts) VALUES {}",
            values(w.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for o in chunk {
            q = q
                .bind(new_id())
                .bind(o.clone())
                .bind(topic.to_string())
                .bind(text.clone())
                .bind(w.at.clone())
                .bind(w.at.clone())
                .bind(0i64);
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}

impl Store {
    /// The customers subscribed to one of the provider's models, with their subscription's
    /// id: whom a provider's event can concern. One query: [`Store::subscribers`] also loads
    /// each subscription's version, which publishing to a thousand customers cannot afford
    /// (measured: 1 s of the acknowledgement on PostgreSQL, `benches/fanout.rs`).
    pub async fn event_subscribers(
        &self,
        p: &Principal,
        provider_org_id: &str,
        model_pk: &str,
    ) -> Result<Vec<(String, OrgRef)>> {
        p.org_of_kind(provider_org_id, OrgKind::Provider)?;
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.id AS sid, c.id, c.slug, c.name, c.kind FROM subscriptions s \
                     JOIN orgs c ON c.id = s.org_id JOIN models m ON m.id = s.model_pk \
                     WHERE m.org_id = $1 AND s.model_pk = $2 ORDER BY c.name",
                )
                .bind(provider_org_id)
                .bind(model_pk),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("sid")?, crate::identity::org_from(r)?)))
            .collect()
    }

    /// Opens an event. The opening organisation's party must open events of this type (the
    /// route says so), every customer taking part must subscribe to the model, and the
    /// provider must publish it. Each organisation's event goes to the owner of its matching
    /// obligation (a user of that organisation named as owner, by e-mail or name), else to its
    /// admins. Acknowledged at once when the opener is also the party that acts.
    pub async fn open_event(
        &self,
        p: &Principal,
        org_id: &str,
        n: NewEvent<'_>,
    ) -> Result<EventDetail> {
        p.write(org_id)?;
        for (field, v, max) in [
            ("title", n.title, 300),
            ("description", n.description, 20_000),
            ("service", n.service.unwrap_or(""), 300),
        ] {
            limit_text(field, v, max)?;
        }
        if n.title.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "title",
                message: "give the event a title".into(),
            });
        }
        let route: Route = route_of(&n.routing)?;
        let opener = route.party(n.opener_party).ok_or(StoreError::Invalid {
            field: "type",
            message: "the opener's party is not in the routing".into(),
        })?;
        if !opener.opens {
            return Err(StoreError::Forbidden(
                "the model does not let your organisation's party open events of this type",
            ));
        }
        if !n
            .participants
            .iter()
            .any(|x| x.org_id == org_id && x.party_id == n.opener_party)
        {
            return Err(StoreError::Invalid {
                field: "participants",
                message: "the opening organisation must take part".into(),
            });
        }
        let mut w = self.write(p).await?;
        // The provider publishes the model; each customer taking part subscribes to it.
        let provider: String = sqlx::query("SELECT org_id FROM models WHERE id = $1")
            .bind(n.model_pk)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(StoreError::NotFound("model"))?
            .try_get("org_id")?;
        let subs: HashMap<String, String> =
            sqlx::query("SELECT id, org_id FROM subscriptions WHERE model_pk = $1")
                .bind(n.model_pk)
                .fetch_all(&mut *w.tx)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>("org_id")?,
                        r.try_get::<String, _>("id")?,
                    ))
                })
                .collect::<Result<_>>()?;
        for x in &n.participants {
            let ok = if x.org_id == provider {
                x.subscription_id.is_none()
            } else {
                x.subscription_id.is_some() && subs.get(&x.org_id) == x.subscription_id.as_ref()
            };
            if !ok {
                return Err(StoreError::NotFound("subscription"));
            }
        }
        // Owners of the matching obligations, by organisation.
        let mut acts: Vec<&str> = vec![route.activity.as_str()];
        if let Some(o) = &route.opened_through {
            acts.push(o);
        }
        let mut owners: HashMap<String, (String, String)> = HashMap::new();
        for r in sqlx::query(
            "SELECT o.org_id, o.activity_id, u.id AS uid, u.name FROM obligations o JOIN users u ON u.org_id = o.org_id \
             AND (LOWER(u.email) = LOWER(o.owner) OR LOWER(u.name) = LOWER(o.owner)) \
             WHERE o.model_pk = $1 AND o.active = 1 AND o.owner IS NOT NULL AND o.activity_id IN ($2, $3)",
        )
        .bind(n.model_pk)
        .bind(acts[0])
        .bind(acts.get(1).copied().unwrap_or(acts[0]))
        .fetch_all(&mut *w.tx)
        .await?
        {
            let org: String = r.try_get("org_id")?;
            let act: String = r.try_get("activity_id")?;
            let entry = (r.try_get::<String, _>("uid")?, r.try_get::<String, _>("name")?);
            // The bound activity's owner comes before the opening activity's.
            if act == route.activity || !owners.contains_key(&org) {
                owners.insert(org, entry);
            }
        }
        let number: i64 = sqlx::query(
            "SELECT COALESCE(MAX(number), 0) AS n FROM events WHERE provider_org_id = $1",
        )
        .bind(&provider)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get::<i64, _>("n")?
            + 1;
        let id = new_id();
        let state = if opener.acts { "acknowledged" } else { "open" };
        sqlx::query(
            "INSERT INTO events (id, org_id, provider_org_id, model_pk, version_id, number, type, kind, title, description, \
             severity, service, due_at, remind_at, state, routing, opener_party, opened_at, opened_by, opened_by_name, \
             acknowledged_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $18)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&provider)
        .bind(n.model_pk)
        .bind(n.version_id)
        .bind(number)
        .bind(n.event_type)
        .bind(n.kind)
        .bind(n.title.trim())
        .bind(n.description)
        .bind(n.severity)
        .bind(n.service.map(str::trim).filter(|s| !s.is_empty()))
        .bind(&n.due_at)
        .bind(&n.remind_at)
        .bind(state)
        .bind(n.routing.to_string())
        .bind(n.opener_party)
        .bind(&w.at)
        .bind(&p.user_id)
        .bind(&p.name)
        .bind(opener.acts.then(|| w.at.clone()))
        .execute(&mut *w.tx)
        .await?;
        for chunk in n.participants.chunks(100) {
            let sql = format!(
                "INSERT INTO event_parties (event_id, org_id, party_id, subscription_id, assignee, acknowledged_at, acknowledged_by) VALUES {}",
                values(w.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for x in chunk {
                let opener_org = x.org_id == org_id;
                q = q
                    .bind(id.clone())
                    .bind(x.org_id.clone())
                    .bind(x.party_id.clone())
                    .bind(x.subscription_id.clone())
                    .bind(owners.get(&x.org_id).map(|o| o.0.clone()))
                    .bind(opener_org.then(|| w.at.clone()))
                    .bind(opener_org.then(|| p.name.clone()));
            }
            q.execute(&mut *w.tx).await?;
        }
        let file = match n.attachment {
            Some((name, media, bytes)) => Some(put_file(&mut w, org_id, name, media, bytes).await?),
            None => None,
        };
        let l = load(&mut w.tx, &id).await?;
        let everyone: Vec<String> = l.parts.iter().map(|x| x.org.id.clone()).collect();
        let step_id = w
            .step(
                &l,
                org_id,
                n.opener_party,
                "open",
                None,
                Some(n.description),
                file.as_ref().map(|f| f.id.as_str()),
                Some(Tell {
                    topic: "event.opened",
                    orgs: everyone,
                    detail: json!({}),
                }),
            )
            .await?;
        // The answer is built from what this write holds (the event and its participants as
        // loaded inside it, and the one step it wrote), not read again after the commit: at a
        // thousand customers, reading back the participants was a fifth of the request.
        let opening = Step {
            id: step_id,
            at: w.at.clone(),
            org_id: org_id.to_string(),
            actor_name: w.actor_name.clone(),
            party_id: n.opener_party.to_string(),
            action: "open".into(),
            state: l.event.state.clone(),
            body: Some(n.description.to_string()),
            file,
        };
        w.commit().await?;
        detail_for(l, org_id, vec![(None, opening)], Vec::new())
    }

    /// The events the organisation takes part in, newest first.
    pub async fn events(
        &self,
        p: &Principal,
        org_id: &str,
        f: &EventFilter,
        page: Page,
    ) -> Result<Vec<Event>> {
        p.read(org_id)?;
        let own = p.org.clone().ok_or(StoreError::NotFound("organisation"))?;
        let mut sql = format!(
            "SELECT {EVENT_COLS}, ep.party_id AS my_party, ep.subscription_id AS my_sub, ep.assignee AS my_assignee, \
             ep.acknowledged_at AS my_ack, ep.acknowledged_by AS my_ack_by, ep.approved_at AS my_appr, ep.approved_by AS my_appr_by, \
             (SELECT COUNT(*) FROM event_parties x JOIN orgs xo ON xo.id = x.org_id WHERE x.event_id = e.id AND xo.kind = 'customer') AS n_cust, \
             (SELECT COUNT(*) FROM event_parties x JOIN orgs xo ON xo.id = x.org_id WHERE x.event_id = e.id AND xo.kind = 'customer' \
              AND x.acknowledged_at IS NOT NULL) AS n_ack \
             FROM event_parties ep JOIN events e ON e.id = ep.event_id \
             JOIN models m ON m.id = e.model_pk JOIN orgs oo ON oo.id = e.org_id JOIN orgs po ON po.id = e.provider_org_id \
             WHERE ep.org_id = $1"
        );
        let mut args: Vec<String> = vec![org_id.to_string()];
        let mut conds: Vec<(&str, &str)> = Vec::new();
        match f.state.as_deref() {
            None => {}
            Some("active") => sql.push_str(" AND e.state IN ('open', 'acknowledged', 'resolved')"),
            Some(s) => conds.push(("e.state =", s)),
        }
        for (cond, v) in [
            ("e.kind =", &f.kind),
            ("e.type =", &f.event_type),
            ("e.model_pk =", &f.model_pk),
            ("e.severity =", &f.severity),
        ] {
            if let Some(v) = v {
                conds.push((cond, v));
            }
        }
        for (cond, v) in conds {
            args.push(v.to_string());
            sql.push_str(&format!(" AND {cond} ${}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY e.opened_at DESC, e.number DESC LIMIT {} OFFSET {}",
            page.limit, page.offset
        ));
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        let rows = self.fetch_all(q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut e = event_from(r)?;
            let route = route_of(&e.routing)?;
            let mine = PartRow {
                org: own.clone(),
                party_id: r.try_get("my_party")?,
                subscription_id: r.try_get("my_sub")?,
                assignee: r.try_get("my_assignee")?,
                assignee_name: None,
                acknowledged_at: r.try_get("my_ack")?,
                acknowledged_by: r.try_get("my_ack_by")?,
                approved_at: r.try_get("my_appr")?,
                approved_by: r.try_get("my_appr_by")?,
            };
            if e.provider.id == org_id {
                e.customers = r.try_get("n_cust")?;
                e.acknowledged_customers = r.try_get("n_ack")?;
            } else if own.kind == OrgKind::Customer {
                e.customers = 1;
                e.acknowledged_customers = i64::from(mine.acknowledged_at.is_some());
            }
            e.mine = Some(mine.view(&route));
            out.push(e);
        }
        Ok(out)
    }

    /// One event and what the organisation may see of it.
    pub async fn event(&self, p: &Principal, org_id: &str, id: &str) -> Result<EventDetail> {
        p.read(org_id)?;
        let mut c = self.pool.acquire().await?;
        let l = match load(&mut c, id).await {
            Ok(l) => l,
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound("event")),
            Err(e) => return Err(e),
        };
        if l.part(org_id).is_none() {
            return Err(StoreError::NotFound("event"));
        }
        let rows = sqlx::query(
            "SELECT s.id, s.at, s.org_id, s.audience_org_id, s.actor_name, s.party_id, s.action, s.state, s.body, \
             f.id AS fid, f.org_id AS forg, f.sha256, f.name AS fname, f.media_type, f.size, f.created_at AS fcreated \
             FROM event_steps s LEFT JOIN files f ON f.id = s.file_id WHERE s.event_id = $1 ORDER BY s.at, s.id",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
        let mut steps = Vec::with_capacity(rows.len());
        for r in &rows {
            let fid: Option<String> = r.try_get("fid")?;
            steps.push((
                r.try_get::<Option<String>, _>("audience_org_id")?,
                Step {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    org_id: r.try_get("org_id")?,
                    actor_name: r.try_get("actor_name")?,
                    party_id: r.try_get("party_id")?,
                    action: r.try_get("action")?,
                    state: r.try_get("state")?,
                    body: r.try_get("body")?,
                    file: match fid {
                        None => None,
                        Some(fid) => Some(FileInfo {
                            id: fid,
                            org_id: r.try_get("forg")?,
                            sha256: r.try_get("sha256")?,
                            name: r.try_get("fname")?,
                            media_type: r.try_get("media_type")?,
                            size: r.try_get("size")?,
                            created_at: r.try_get("fcreated")?,
                        }),
                    },
                },
            ));
        }
        let rows = sqlx::query(
            "SELECT id, org_id, party_id, question, asked_at, asked_by_name, answer, answered_at, answered_by_name \
             FROM event_consultations WHERE event_id = $1 ORDER BY asked_at, id",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
        let mut consultations = Vec::with_capacity(rows.len());
        for r in &rows {
            consultations.push(Consultation {
                id: r.try_get("id")?,
                org_id: r.try_get("org_id")?,
                party_id: r.try_get("party_id")?,
                question: r.try_get("question")?,
                asked_at: r.try_get("asked_at")?,
                asked_by_name: r.try_get("asked_by_name")?,
                answer: r.try_get("answer")?,
                answered_at: r.try_get("answered_at")?,
                answered_by_name: r.try_get("answered_by_name")?,
            });
        }
        detail_for(l, org_id, steps, consultations)
    }

    /// Loads an event for a change by `p`'s organisation, which must take part.
    async fn for_change(
        &self,
        w: &mut Write,
        p: &Principal,
        org_id: &str,
        id: &str,
    ) -> Result<Loaded> {
        p.write(org_id)?;
        let l = match load(&mut w.tx, id).await {
            Ok(l) => l,
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound("event")),
            Err(e) => return Err(e),
        };
        if l.part(org_id).is_none() {
            return Err(StoreError::NotFound("event"));
        }
        Ok(l)
    }

    /// A change of state by the party that acts (acknowledge, resolve, reject), or an
    /// acknowledgement of receipt by any other party. Resolving and rejecting need a note and
    /// wait for every consulted party's answer.
    pub async fn transition(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        action: Action,
        note: Option<&str>,
    ) -> Result<EventDetail> {
        if let Some(n) = note {
            limit_text("note", n, 20_000)?;
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let mut w = self.write(p).await?;
        let mut l = self.for_change(&mut w, p, org_id, id).await?;
        let me = l.part(org_id).ok_or(StoreError::NotFound("event"))?;
        let party = me.party_id.clone();
        let acts = l.flags(me).is_some_and(|f| f.acts);
        let state = l.event.state.clone();
        let conflict = |message: String| StoreError::Conflict {
            field: "action",
            message,
        };
        match action {
            Action::Acknowledge => {
                let already = me.acknowledged_at.is_some();
                if acts && state == "open" {
                    sqlx::query("UPDATE events SET state = 'acknowledged', acknowledged_at = $1, updated_at = $1 WHERE id = $2")
                        .bind(&w.at)
                        .bind(id)
                        .execute(&mut *w.tx)
                        .await?;
                    l.event.state = "acknowledged".into();
                } else if already {
                    return Err(conflict(
                        "your organisation already acknowledged this event".into(),
                    ));
                }
                sqlx::query("UPDATE event_parties SET acknowledged_at = $1, acknowledged_by = $2 WHERE event_id = $3 AND org_id = $4 AND acknowledged_at IS NULL")
                    .bind(&w.at)
                    .bind(&p.name)
                    .bind(id)
                    .bind(org_id)
                    .execute(&mut *w.tx)
                    .await?;
                let changed = l.event.state != state;
                // A receipt (a customer acknowledging an announcement, or any party its
                // copy) is told to the parties that act: the provider tracks who has read it.
                let tell = Some(if changed {
                    Tell {
                        topic: "event.acknowledged",
                        orgs: self.told_of_change(&l),
                        detail: json!({}),
                    }
                } else {
                    Tell {
                        topic: "event.receipt",
                        orgs: l
                            .parts
                            .iter()
                            .filter(|x| l.flags(x).is_some_and(|f| f.acts))
                            .map(|x| x.org.id.clone())
                            .collect(),
                        detail: json!({}),
                    }
                });
                let step = if changed { "acknowledge" } else { "receipt" };
                let audience = if changed { None } else { l.audience_of(org_id) };
                w.step(
                    &l,
                    org_id,
                    &party,
                    step,
                    audience.as_deref(),
                    note,
                    None,
                    tell,
                )
                .await?;
            }
            Action::Resolve | Action::Reject => {
                if !acts {
                    return Err(StoreError::Forbidden(
                        "only the party holding R in the bound activity resolves or rejects this event",
                    ));
                }
                let reject = action == Action::Reject;
                if reject && l.event.kind == "announcement" {
                    return Err(conflict(
                        "an announcement is not rejected: resolve it once done".into(),
                    ));
                }
                let allowed = if reject {
                    state == "open" || state == "acknowledged"
                } else {
                    state == "acknowledged"
                };
                if !allowed {
                    return Err(conflict(format!(
                        "the event is {state}: it cannot be {}",
                        if reject {
                            "rejected"
                        } else {
                            "resolved (acknowledge it first)"
                        }
                    )));
                }
                let Some(note) = note else {
                    return Err(StoreError::Invalid {
                        field: "note",
                        message: if reject {
                            "give the reason of the rejection".into()
                        } else {
                            "say what was done".into()
                        },
                    });
                };
                self.require_consulted(&mut w, &l).await?;
                let to = if reject { "rejected" } else { "resolved" };
                sqlx::query(
                    "UPDATE events SET state = $1, resolved_at = $2, resolution = $3, updated_at = $2, \
                     acknowledged_at = COALESCE(acknowledged_at, $2), closed_at = CASE WHEN $1 = 'rejected' THEN $2 ELSE NULL END WHERE id = $4",
                )
                .bind(to)
                .bind(&w.at)
                .bind(note)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
                l.event.state = to.into();
                let mut orgs = self.told_of_change(&l);
                if !reject {
                    orgs.extend(
                        l.parts
                            .iter()
                            .filter(|x| l.flags(x).is_some_and(|f| f.approves))
                            .map(|x| x.org.id.clone()),
                    );
                }
                w.step(
                    &l,
                    org_id,
                    &party,
                    if reject { "reject" } else { "resolve" },
                    None,
                    Some(note),
                    None,
                    Some(Tell {
                        topic: if reject {
                            "event.rejected"
                        } else {
                            "event.resolved"
                        },
                        orgs,
                        detail: json!({"approval": l.route.approval}),
                    }),
                )
                .await?;
            }
        }
        w.commit().await?;
        self.event(p, org_id, id).await
    }

    /// Organisations told after a change of state: the informed parties, the party that
    /// opened the event (it follows what it reported) and the parties that act.
    fn told_of_change(&self, l: &Loaded) -> Vec<String> {
        l.parts
            .iter()
            .filter(|x| {
                l.flags(x).is_some_and(|f| f.informed || f.acts)
                    || x.party_id == l.event.opener_party
            })
            .map(|x| x.org.id.clone())
            .collect()
    }

    /// Errs unless every consulted organisation answered, and none has a question pending.
    async fn require_consulted(&self, w: &mut Write, l: &Loaded) -> Result<()> {
        let rows =
            sqlx::query("SELECT org_id, answered_at FROM event_consultations WHERE event_id = $1")
                .bind(&l.event.id)
                .fetch_all(&mut *w.tx)
                .await?;
        let mut answered: HashSet<String> = HashSet::new();
        let mut pending: HashSet<String> = HashSet::new();
        for r in &rows {
            let org: String = r.try_get("org_id")?;
            if r.try_get::<Option<String>, _>("answered_at")?.is_some() {
                answered.insert(org);
            } else {
                pending.insert(org);
            }
        }
        for x in l
            .parts
            .iter()
            .filter(|x| l.flags(x).is_some_and(|f| f.consulted))
        {
            if pending.contains(&x.org.id) || !answered.contains(&x.org.id) {
                return Err(StoreError::Conflict {
                    field: "consultation",
                    message: format!(
                        "{} holds C in activity {}: it must answer a consultation before the decision ({})",
                        x.org.name,
                        l.route.activity,
                        if pending.contains(&x.org.id) { "its answer is pending" } else { "consult it first" }
                    ),
                });
            }
        }
        Ok(())
    }

    /// A comment on the timeline, with an optional file.
    pub async fn comment(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        body: &str,
        file: Option<(&str, &str, &[u8])>,
    ) -> Result<EventDetail> {
        limit_text("body", body, 20_000)?;
        if body.trim().is_empty() && file.is_none() {
            return Err(StoreError::Invalid {
                field: "body",
                message: "write something, or attach a file".into(),
            });
        }
        let mut w = self.write(p).await?;
        let l = self.for_change(&mut w, p, org_id, id).await?;
        let party = l
            .part(org_id)
            .map(|x| x.party_id.clone())
            .unwrap_or_default();
        let f = match file {
            Some((n, m, b)) => Some(put_file(&mut w, org_id, n, m, b).await?),
            None => None,
        };
        let audience = l.audience_of(org_id);
        let everyone = l.parts.iter().map(|x| x.org.id.clone()).collect();
        w.step(
            &l,
            org_id,
            &party,
            "comment",
            audience.as_deref(),
            Some(body.trim()),
            f.as_ref().map(|f| f.id.as_str()),
            Some(Tell {
                topic: "event.comment",
                orgs: everyone,
                detail: json!({}),
            }),
        )
        .await?;
        w.commit().await?;
        self.event(p, org_id, id).await
    }

    /// The party that acts asks every party holding C (one request each).
    pub async fn consult(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        question: &str,
    ) -> Result<EventDetail> {
        limit_text("question", question, 20_000)?;
        if question.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "question",
                message: "ask the consulted party something".into(),
            });
        }
        let mut w = self.write(p).await?;
        let l = self.for_change(&mut w, p, org_id, id).await?;
        let me = l.part(org_id).ok_or(StoreError::NotFound("event"))?;
        if !l.flags(me).is_some_and(|f| f.acts) {
            return Err(StoreError::Forbidden(
                "only the party holding R in the bound activity consults",
            ));
        }
        if !matches!(l.event.state.as_str(), "open" | "acknowledged") {
            return Err(StoreError::Conflict {
                field: "action",
                message: format!("the event is {}: the decision is taken", l.event.state),
            });
        }
        let consulted: Vec<&PartRow> = l
            .parts
            .iter()
            .filter(|x| l.flags(x).is_some_and(|f| f.consulted))
            .collect();
        if consulted.is_empty() {
            return Err(StoreError::Conflict {
                field: "action",
                message: format!(
                    "nobody holds C in activity {}: there is nobody to consult",
                    l.route.activity
                ),
            });
        }
        let party = me.party_id.clone();
        for x in &consulted {
            sqlx::query(
                "INSERT INTO event_consultations (id, event_id, org_id, party_id, question, asked_at, asked_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(id)
            .bind(&x.org.id)
            .bind(&x.party_id)
            .bind(question.trim())
            .bind(&w.at)
            .bind(&p.name)
            .execute(&mut *w.tx)
            .await?;
        }
        let orgs: Vec<String> = consulted.iter().map(|x| x.org.id.clone()).collect();
        // A question to one customer is that customer's and the provider's.
        let audience = if consulted.len() == 1 {
            l.audience_of(&consulted[0].org.id)
        } else {
            None
        };
        w.step(
            &l,
            org_id,
            &party,
            "consult",
            audience.as_deref(),
            Some(question.trim()),
            None,
            Some(Tell {
                topic: "event.consultation",
                orgs,
                detail: json!({}),
            }),
        )
        .await?;
        w.commit().await?;
        self.event(p, org_id, id).await
    }

    /// The consulted organisation answers its pending request.
    pub async fn answer(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        consultation_id: &str,
        answer: &str,
    ) -> Result<EventDetail> {
        limit_text("answer", answer, 20_000)?;
        if answer.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "answer",
                message: "write the answer".into(),
            });
        }
        let mut w = self.write(p).await?;
        let l = self.for_change(&mut w, p, org_id, id).await?;
        let n = sqlx::query(
            "UPDATE event_consultations SET answer = $1, answered_at = $2, answered_by_name = $3 \
             WHERE id = $4 AND event_id = $5 AND org_id = $6 AND answered_at IS NULL",
        )
        .bind(answer.trim())
        .bind(&w.at)
        .bind(&p.name)
        .bind(consultation_id)
        .bind(id)
        .bind(org_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("consultation"));
        }
        let party = l
            .part(org_id)
            .map(|x| x.party_id.clone())
            .unwrap_or_default();
        let orgs = l
            .parts
            .iter()
            .filter(|x| l.flags(x).is_some_and(|f| f.acts))
            .map(|x| x.org.id.clone())
            .collect();
        let audience = l.audience_of(org_id);
        w.step(
            &l,
            org_id,
            &party,
            "answer",
            audience.as_deref(),
            Some(answer.trim()),
            None,
            Some(Tell {
                topic: "event.answer",
                orgs,
                detail: json!({"consultation": consultation_id}),
            }),
        )
        .await?;
        w.commit().await?;
        self.event(p, org_id, id).await
    }

    /// An approving party approves the resolution (closed once every approving organisation
    /// has), or refuses it with a reason (back to acknowledged, approvals cleared).
    pub async fn approve(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
        approve: bool,
        note: Option<&str>,
    ) -> Result<EventDetail> {
        if let Some(n) = note {
            limit_text("note", n, 20_000)?;
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let mut w = self.write(p).await?;
        let mut l = self.for_change(&mut w, p, org_id, id).await?;
        let me = l.part(org_id).ok_or(StoreError::NotFound("event"))?;
        if !l.flags(me).is_some_and(|f| f.approves) {
            return Err(StoreError::Forbidden(match l.route.approval.as_str() {
                "responsible" => "nobody holds A in the bound activity: the party holding R approves its own work, not yours",
                _ => "only the party holding A in the bound activity approves this event's resolution",
            }));
        }
        if l.event.state != "resolved" {
            return Err(StoreError::Conflict {
                field: "action",
                message: format!(
                    "the event is {}: only a resolved event is approved",
                    l.event.state
                ),
            });
        }
        if me.approved_at.is_some() {
            return Err(StoreError::Conflict {
                field: "action",
                message: "your organisation already approved this resolution".into(),
            });
        }
        let party = me.party_id.clone();
        if !approve {
            let Some(reason) = note else {
                return Err(StoreError::Invalid {
                    field: "note",
                    message: "say why the resolution is refused".into(),
                });
            };
            sqlx::query("UPDATE events SET state = 'acknowledged', resolved_at = NULL, updated_at = $1 WHERE id = $2")
                .bind(&w.at)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query("UPDATE event_parties SET approved_at = NULL, approved_by = NULL WHERE event_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            l.event.state = "acknowledged".into();
            let orgs = self.told_of_change(&l);
            w.step(
                &l,
                org_id,
                &party,
                "refuse",
                None,
                Some(reason),
                None,
                Some(Tell {
                    topic: "event.reopened",
                    orgs,
                    detail: json!({}),
                }),
            )
            .await?;
        } else {
            sqlx::query("UPDATE event_parties SET approved_at = $1, approved_by = $2 WHERE event_id = $3 AND org_id = $4")
                .bind(&w.at)
                .bind(&p.name)
                .bind(id)
                .bind(org_id)
                .execute(&mut *w.tx)
                .await?;
            let waiting = l
                .parts
                .iter()
                .filter(|x| {
                    x.org.id != org_id
                        && x.approved_at.is_none()
                        && l.flags(x).is_some_and(|f| f.approves)
                })
                .count();
            let closes = waiting == 0;
            if closes {
                sqlx::query("UPDATE events SET state = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2")
                    .bind(&w.at)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                l.event.state = "closed".into();
            }
            let orgs = if closes {
                self.told_of_change(&l)
            } else {
                l.parts
                    .iter()
                    .filter(|x| l.flags(x).is_some_and(|f| f.acts))
                    .map(|x| x.org.id.clone())
                    .collect()
            };
            w.step(
                &l,
                org_id,
                &party,
                "approve",
                None,
                note,
                None,
                Some(Tell {
                    topic: if closes {
                        "event.closed"
                    } else {
                        "event.approved"
                    },
                    orgs,
                    detail: json!({"waiting": waiting}),
                }),
            )
            .await?;
        }
        w.commit().await?;
        self.event(p, org_id, id).await
    }

    /// Announcements whose reminder is due (`remind_at` passed, not yet reminded, not
    /// closed): each organisation that has not acknowledged is told again. Run by the worker;
    /// logged as `system`. Returns how many events reminded.
    pub async fn send_reminders(&self, now: &str) -> Result<usize> {
        let due: Vec<String> = self
            .fetch_all(
                sqlx::query(
                    "SELECT id FROM events WHERE remind_at IS NOT NULL AND remind_at <= $1 AND reminded_at IS NULL \
                     AND state IN ('open', 'acknowledged', 'resolved') ORDER BY remind_at LIMIT 20",
                )
                .bind(now),
            )
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut n = 0;
        for id in due {
            let mut w = self.write_system().await?;
            // Another instance may have sent it since the query: claim it in this write.
            let claimed = sqlx::query(
                "UPDATE events SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
            )
            .bind(&w.at)
            .bind(&id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            let l = load(&mut w.tx, &id).await?;
            let orgs: Vec<String> = l
                .parts
                .iter()
                .filter(|x| x.acknowledged_at.is_none())
                .map(|x| x.org.id.clone())
                .collect();
            let opener = l.event.opened_by_org.id.clone();
            let party = l.event.opener_party.clone();
            let body = format!(
                "{} → {}",
                l.event.title,
                l.event.due_at.clone().unwrap_or_default()
            );
            w.step(
                &l,
                &opener,
                &party,
                "remind",
                None,
                Some(&body),
                None,
                Some(Tell {
                    topic: "event.reminder",
                    orgs,
                    detail: json!({}),
                }),
            )
            .await?;
            w.commit().await?;
            n += 1;
        }
        Ok(n)
    }

    /// Whether `p` may read a file attached to an event step it can see.
    pub(crate) async fn file_in_event(&self, p: &Principal, file_id: &str) -> Result<bool> {
        let Some(own) = &p.org else { return Ok(false) };
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.audience_org_id, e.provider_org_id FROM event_steps s JOIN events e ON e.id = s.event_id \
                     JOIN event_parties ep ON ep.event_id = e.id AND ep.org_id = $2 WHERE s.file_id = $1",
                )
                .bind(file_id)
                .bind(&own.id),
            )
            .await?;
        for r in &rows {
            let audience: Option<String> = r.try_get("audience_org_id")?;
            let provider: String = r.try_get("provider_org_id")?;
            if audience.is_none_or(|a| a == own.id) || provider == own.id {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What `org_id` may see of a loaded event, its steps (each with its audience) and its
/// consultations: a provider sees everything; a customer, the provider and itself.
fn detail_for(
    mut l: Loaded,
    org_id: &str,
    steps: Vec<(Option<String>, Step)>,
    consultations: Vec<Consultation>,
) -> Result<EventDetail> {
    fill_counts(&mut l.event, &l.parts, org_id)?;
    let provider_view = l.is_provider(org_id);
    let parties = l
        .parts
        .iter()
        .filter(|x| provider_view || x.org.id == org_id || l.is_provider(&x.org.id))
        .map(|x| x.view(&l.route))
        .collect();
    let steps = steps
        .into_iter()
        .filter(|(audience, _)| provider_view || audience.as_deref().is_none_or(|a| a == org_id))
        .map(|(_, s)| s)
        .collect();
    // Between the party that acts and the consulted organisation: a customer's consultation
    // is its own and the provider's.
    let consultations = consultations
        .into_iter()
        .filter(|c| {
            provider_view
                || l.audience_of(&c.org_id)
                    .as_deref()
                    .is_none_or(|a| a == org_id)
        })
        .collect();
    Ok(EventDetail {
        event: l.event,
        parties,
        steps,
        consultations,
    })
}

/// The viewer's part and the customers' acknowledgement counts.
fn fill_counts(e: &mut Event, parts: &[PartRow], viewer: &str) -> Result<()> {
    let route = route_of(&e.routing)?;
    e.mine = parts
        .iter()
        .find(|x| x.org.id == viewer)
        .map(|x| x.view(&route));
    let provider_view = e.provider.id == viewer;
    let customers: Vec<&PartRow> = parts
        .iter()
        .filter(|x| x.org.kind == OrgKind::Customer && (provider_view || x.org.id == viewer))
        .collect();
    e.customers = i64::try_from(customers.len()).unwrap_or(i64::MAX);
    e.acknowledged_customers = i64::try_from(
        customers
            .iter()
            .filter(|x| x.acknowledged_at.is_some())
            .count(),
    )
    .unwrap_or(i64::MAX);
    Ok(())
}
