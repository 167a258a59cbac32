//! Notifications: each user's in-portal list and choices, organisations' webhooks, and the
//! queue the delivery worker works from.
//!
//! A change writes messages to the `outbox` in its own transaction (see [`crate::events`], and
//! `model.version` in [`crate::models`]). The worker of any instance then:
//!
//! 1. **expands** outbox rows ([`Store::expand_outbox`]): claims them with a lease, and writes
//!    for each the recipients' in-portal notifications and one delivery per e-mail address and
//!    webhook, in one transaction that marks the rows done. Inside an organisation a message
//!    goes to the user the event is assigned to (the owner of the matching obligation), else to
//!    the organisation's admins, each as their choices say (`notification_prefs`); the user who
//!    acted is not told of their own step. Webhooks receive every message of the kinds they
//!    subscribe to.
//! 2. **delivers** ([`Store::claim_deliveries`], [`Store::record_deliveries`]): claims due
//!    deliveries with a lease, sends them (the server does: it knows SMTP and HTTP), and records
//!    each attempt with the receiver's response code, the next attempt's time or the delivery's
//!    end.
//!
//! Claiming is one statement, `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING ...`, on
//! both engines: PostgreSQL adds `FOR UPDATE SKIP LOCKED` to the inner select, so that
//! instances sharing a database never claim the same rows and never wait for each other;
//! SQLite takes its write lock when the statement starts, which serialises claims the same way.
//! A lease that runs out (its worker died) makes the rows claimable again: a delivery may then
//! be sent twice, with the same idempotency key, which is how the receiver tells.
//!
//! This is bookkeeping derived from logged changes, not tenant data: expanding, claiming and
//! recording are not written to the hash-chained log; what users do here (webhooks, choices,
//! replays) is.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::access::Principal;
use crate::db::{placeholders, values, Backend};
use crate::{new_id, Page, Result, Store, StoreError};

/// The kinds of events a user chooses about, and webhooks subscribe to.
pub const KINDS: [&str; 4] = ["incident", "change", "announcement", "version"];
/// The channels a user chooses between (webhooks are an organisation's).
pub const CHANNELS: [&str; 2] = ["portal", "email"];

/// A notification in a user's list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: String,
    pub org_id: String,
    /// `incident`, `change`, `announcement` or `version`.
    pub kind: String,
    /// `event.opened`, `event.resolved`, `model.version`...
    pub topic: String,
    /// What happened (the event's summary and the step), as webhooks receive it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: serde_json::Value,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A user's choice for one kind and channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pref {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

/// A webhook endpoint (its secret is shown once, when created).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// The kinds it receives; empty: all.
    pub kinds: Vec<String>,
    pub active: bool,
    pub created_at: String,
}

/// A delivery, as the delivery log shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Also the idempotency key of every attempt.
    pub id: String,
    pub org_id: String,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook's id, or the user's.
    pub target: String,
    /// The URL or the e-mail address.
    pub address: String,
    pub topic: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_at: String,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub at: String,
    /// The receiver's response code (HTTP status, SMTP reply code).
    pub code: Option<i64>,
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub ms: i64,
}

/// A delivery the worker claimed, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub org_id: String,
    pub channel: String,
    pub target: String,
    pub address: String,
    pub topic: String,
    /// Webhooks: the exact JSON body to send. E-mails: what the templates render.
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i64,
    /// The webhook's signing secret.
    pub secret: Option<String>,
}

/// What an attempt gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub org_id: String,
    pub delivered: bool,
    pub code: Option<i64>,
    pub error: Option<String>,
    pub ms: i64,
    /// When to try again; `None` after a failure: the delivery has failed for good.
    pub retry_at: Option<String>,
}

const DELIVERY_COLS: &str = "id, org_id, channel, target, address, topic, state, attempts, next_at, last_code, last_error, delivered_at, created_at";

fn delivery_from(r: &sqlx::any::AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        channel: r.try_get("channel")?,
        target: r.try_get("target")?,
        address: r.try_get("address")?,
        topic: r.try_get("topic")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_at: r.try_get("next_at")?,
        last_code: r.try_get("last_code")?,
        last_error: r.try_get("last_error")?,
        delivered_at: r.try_get("delivered_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) fn kinds_of(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// The kind a message is about (users choose by kind).
fn kind_of(topic: &str, payload: &serde_json::Value) -> String {
    if topic == "model.version" {
        return "version".into();
    }
    payload
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("incident")
        .to_string()
}

impl Store {
    /// `FOR UPDATE SKIP LOCKED` where the engine has it (see the module's documentation).
    fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    // -- The user's list and choices ---------------------------------------------------------

    /// The caller's notifications, newest first.
    pub async fn notifications(
        &self,
        p: &Principal,
        unread_only: bool,
        page: Page,
    ) -> Result<Vec<Notification>> {
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT id, org_id, kind, topic, payload, created_at, read_at FROM notifications WHERE user_id = $1{} \
                     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                    if unread_only { " AND read_at IS NULL" } else { "" }
                ))
                .bind(&p.user_id)
                .bind(page.limit)
                .bind(page.offset),
            )
            .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(Notification {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    kind: r.try_get("kind")?,
                    topic: r.try_get("topic")?,
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| StoreError::Data(e.to_string()))?,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                })
            })
            .collect()
    }

    /// How many of the caller's notifications are unread.
    pub async fn unread(&self, p: &Principal) -> Result<i64> {
        let r = self
            .fetch_optional(
                sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL").bind(&p.user_id),
            )
            .await?;
        Ok(match r {
            Some(r) => r.try_get("n")?,
            None => 0,
        })
    }

    /// Marks the caller's notifications read: those named, or all (bookkeeping, not logged).
    pub async fn mark_read(&self, p: &Principal, ids: Option<&[String]>) -> Result<u64> {
        let now = crate::now();
        let mut n = 0;
        match ids {
            None => {
                n = sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                )
                .bind(&now)
                .bind(&p.user_id)
                .execute(&self.pool)
                .await?
                .rows_affected();
            }
            Some(ids) => {
                for id in ids {
                    n += sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL")
                        .bind(&now)
                        .bind(&p.user_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
            }
        }
        Ok(n)
    }

    /// The caller's choices, every kind and channel (on unless turned off).
    pub async fn prefs(&self, p: &Principal) -> Result<Vec<Pref>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT kind, channel, enabled FROM notification_prefs WHERE user_id = $1",
                )
                .bind(&p.user_id),
            )
            .await?;
        let mut set: HashMap<(String, String), bool> = HashMap::new();
        for r in &rows {
            set.insert(
                (r.try_get("kind")?, r.try_get("channel")?),
                r.try_get::<i64, _>("enabled")? != 0,
            );
        }
        Ok(KINDS
            .iter()
            .flat_map(|k| {
                CHANNELS.iter().map(|c| Pref {
                    kind: k.to_string(),
                    channel: c.to_string(),
                    enabled: set
                        .get(&(k.to_string(), c.to_string()))
                        .copied()
                        .unwrap_or(true),
                })
            })
            .collect())
    }

    /// Sets some of the caller's choices.
    pub async fn set_prefs(&self, p: &Principal, prefs: &[Pref]) -> Result<Vec<Pref>> {
        let org = p.org.as_ref().ok_or(StoreError::Forbidden(
            "only members of an organisation receive notifications",
        ))?;
        for x in prefs {
            if !KINDS.contains(&x.kind.as_str()) {
                return Err(StoreError::Invalid {
                    field: "kind",
                    message: format!("`{}`: one of {}", x.kind, KINDS.join(", ")),
                });
            }
            if !CHANNELS.contains(&x.channel.as_str()) {
                return Err(StoreError::Invalid {
                    field: "channel",
                    message: format!("`{}`: one of {}", x.channel, CHANNELS.join(", ")),
                });
            }
        }
        let mut w = self.write(p).await?;
        for x in prefs {
            sqlx::query(
                "DELETE FROM notification_prefs WHERE user_id = $1 AND kind = $2 AND channel = $3",
            )
            .bind(&p.user_id)
            .bind(&x.kind)
            .bind(&x.channel)
            .execute(&mut *w.tx)
            .await?;
            sqlx::query("INSERT INTO notification_prefs (user_id, org_id, kind, channel, enabled) VALUES ($1, $2, $3, $4, $5)")
                .bind(&p.user_id)
                .bind(&org.id)
                .bind(&x.kind)
                .bind(&x.channel)
                .bind(i64::from(x.enabled))
                .execute(&mut *w.tx)
                .await?;
        }
        w.log(
            Some(&org.id),
            "notification.settings",
            &p.user_id,
            json!({"prefs": prefs}),
        )
        .await?;
        w.commit().await?;
        self.prefs(p).await
    }

    // -- Webhooks --------------------------------------------------------------------------

    /// Adds a webhook endpoint (the organisation's members); returns it with its secret,
    /// shown this once. The URL is checked by the caller (scheme, address).
    pub async fn create_webhook(
        &self,
        p: &Principal,
        org_id: &str,
        url: &str,
        kinds: &[String],
    ) -> Result<(Webhook, String)> {
        p.write(org_id)?;
        if url.len() > 2000 {
            return Err(StoreError::Invalid {
                field: "url",
                message: "at most 2000 bytes".into(),
            });
        }
        for k in kinds {
            if !KINDS.contains(&k.as_str()) {
                return Err(StoreError::Invalid {
                    field: "kinds",
                    message: format!("`{k}`: one of {}", KINDS.join(", ")),
                });
            }
        }
        let secret = format!("whsec_{}", crate::random_token());
        let id = new_id();
        let mut w = self.write(p).await?;
        sqlx::query(
            "INSERT INTO webhooks (id, org_id, url, secret, kinds, active, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(url)
        .bind(&secret)
        .bind(kinds.join(","))
        .bind(&w.at)
        .bind(&p.user_id)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(org_id),
            "webhook.create",
            &id,
            json!({"url": url, "kinds": kinds}),
        )
        .await?;
        let at = w.at.clone();
        w.commit().await?;
        Ok((
            Webhook {
                id,
                org_id: org_id.into(),
                url: url.into(),
                kinds: kinds.to_vec(),
                active: true,
                created_at: at,
            },
            secret,
        ))
    }

    /// The organisation's webhooks (without their secrets).
    pub async fn webhooks(&self, p: &Principal, org_id: &str) -> Result<Vec<Webhook>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query("SELECT id, org_id, url, kinds, active, created_at FROM webhooks WHERE org_id = $1 ORDER BY created_at")
                    .bind(org_id),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Webhook {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    url: r.try_get("url")?,
                    kinds: kinds_of(&r.try_get::<String, _>("kinds")?),
                    active: r.try_get::<i64, _>("active")? != 0,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Turns a webhook off (its deliveries and their log stay).
    pub async fn disable_webhook(&self, p: &Principal, org_id: &str, id: &str) -> Result<()> {
        p.write(org_id)?;
        let mut w = self.write(p).await?;
        let n = sqlx::query(
            "UPDATE webhooks SET active = 0 WHERE id = $1 AND org_id = $2 AND active = 1",
        )
        .bind(id)
        .bind(org_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        sqlx::query("UPDATE deliveries SET state = 'failed', last_error = 'webhook turned off' WHERE target = $1 AND state = 'pending'")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.log(Some(org_id), "webhook.disable", id, json!({}))
            .await?;
        w.commit().await
    }

    /// The organisation's deliveries, newest first (one webhook's, with `target`).
    pub async fn deliveries(
        &self,
        p: &Principal,
        org_id: &str,
        target: Option<&str>,
        page: Page,
    ) -> Result<Vec<Delivery>> {
        p.read(org_id)?;
        let rows = match target {
            Some(t) => {
                self.fetch_all(
                    sqlx::query(&format!(
                        "SELECT {DELIVERY_COLS} FROM deliveries WHERE org_id = $1 AND target = $2 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                    ))
                    .bind(org_id)
                    .bind(t.to_string())
                    .bind(page.limit)
                    .bind(page.offset),
                )
                .await?
            }
            None => {
                self.fetch_all(
                    sqlx::query(&format!(
                        "SELECT {DELIVERY_COLS} FROM deliveries WHERE org_id = $1 AND channel = 'webhook' ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
                    ))
                    .bind(org_id)
                    .bind(page.limit)
                    .bind(page.offset),
                )
                .await?
            }
        };
        rows.iter().map(delivery_from).collect()
    }

    /// One delivery of the organisation, its payload and every attempt.
    pub async fn delivery(
        &self,
        p: &Principal,
        org_id: &str,
        id: &str,
    ) -> Result<(Delivery, String, Vec<Attempt>)> {
        p.read(org_id)?;
        let r = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT {DELIVERY_COLS}, payload FROM deliveries WHERE id = $1 AND org_id = $2"
                ))
                .bind(id)
                .bind(org_id),
            )
            .await?
            .ok_or(StoreError::NotFound("delivery"))?;
        let d = delivery_from(&r)?;
        let payload: String = r.try_get("payload")?;
        let attempts = self
            .fetch_all(sqlx::query("SELECT at, code, error, ms FROM delivery_attempts WHERE delivery_id = $1 ORDER BY at").bind(id))
            .await?
            .iter()
            .map(|r| {
                Ok(Attempt {
                    at: r.try_get("at")?,
                    code: r.try_get("code")?,
                    error: r.try_get("error")?,
                    ms: r.try_get("ms")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((d, payload, attempts))
    }

    /// Sends a delivery again (the same body, the same idempotency key), whatever became of
    /// it: for a receiver that failed or lost it.
    pub async fn replay(&self, p: &Principal, org_id: &str, id: &str) -> Result<Delivery> {
        p.write(org_id)?;
        let mut w = self.write(p).await?;
        let n = sqlx::query(
            "UPDATE deliveries SET state = 'pending', next_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2 AND org_id = $3",
        )
        .bind(&w.at)
        .bind(id)
        .bind(org_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("delivery"));
        }
        w.log(Some(org_id), "delivery.replay", id, json!({}))
            .await?;
        w.commit().await?;
        Ok(self.delivery(p, org_id, id).await?.0)
    }

    // -- The worker --------------------------------------------------------------------------

    /// Expands up to `limit` due outbox rows into notifications and deliveries (see the
    /// module's documentation). `email`: whether e-mail is configured (no e-mail deliveries
    /// otherwise). Returns how many rows it expanded.
    pub async fn expand_outbox(
        &self,
        owner: &str,
        lease: chrono::Duration,
        limit: i64,
        email: bool,
    ) -> Result<usize> {
        let now = chrono::Utc::now();
        let (now_s, until) = (crate::stamp(now), crate::stamp(now + lease));
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN \
             (SELECT id FROM outbox WHERE done_at IS NULL AND available_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
              ORDER BY created_at, id LIMIT $4{}) RETURNING id, org_id, topic, payload, created_at",
            self.skip_locked()
        ))
        .bind(owner)
        .bind(&until)
        .bind(&now_s)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let expanded: Result<usize> = async {
        struct Msg {
            id: String,
            org: String,
            topic: String,
            payload: serde_json::Value,
            created_at: String,
        }
        let mut msgs = Vec::with_capacity(rows.len());
        for r in &rows {
            let payload: String = r.try_get("payload")?;
            msgs.push(Msg {
                id: r.try_get("id")?,
                org: r.try_get("org_id")?,
                topic: r.try_get("topic")?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Data(e.to_string()))?,
                created_at: r.try_get("created_at")?,
            });
        }
        let orgs: Vec<String> = msgs
            .iter()
            .map(|m| m.org.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let events: Vec<String> = msgs
            .iter()
            .filter_map(|m| {
                m.payload
                    .pointer("/event/id")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut tx = self.pool.begin().await?;
        // Everything the recipients depend on, read in a few queries whatever the batch size.
        struct U {
            id: String,
            email: String,
            name: String,
            admin: bool,
            lang: Option<String>,
        }
        let mut users: HashMap<String, Vec<U>> = HashMap::new();
        let mut prefs: HashMap<(String, String, String), bool> = HashMap::new();
        let mut hooks: HashMap<String, Vec<(String, String, Vec<String>)>> = HashMap::new();
        let mut slugs: HashMap<String, (String, String)> = HashMap::new();
        let mut assignees: HashMap<(String, String), String> = HashMap::new();
        for chunk in orgs.chunks(200) {
            let list = placeholders(1, chunk.len());
            let list = &list[1..list.len() - 1];
            let sqls = [
                format!("SELECT id, org_id, email, name, role, lang FROM users WHERE org_id IN ({list})"),
                format!("SELECT user_id, kind, channel, enabled FROM notification_prefs WHERE org_id IN ({list})"),
                format!("SELECT id, org_id, url, kinds FROM webhooks WHERE active = 1 AND org_id IN ({list})"),
                format!("SELECT id, slug, name FROM orgs WHERE id IN ({list})"),
            ];
            let mut results = Vec::with_capacity(sqls.len());
            for sql in &sqls {
                let mut q = sqlx::query(sql);
                for o in chunk {
                    q = q.bind(o.clone());
                }
                results.push(q.fetch_all(&mut *tx).await?);
            }
            for r in &results[0] {
                let role: String = r.try_get("role")?;
                users.entry(r.try_get("org_id")?).or_default().push(U {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    admin: role == "admin",
                    lang: r.try_get("lang")?,
                });
            }
            for r in &results[1] {
                prefs.insert(
                    (
                        r.try_get("user_id")?,
                        r.try_get("kind")?,
                        r.try_get("channel")?,
                    ),
                    r.try_get::<i64, _>("enabled")? != 0,
                );
            }
            for r in &results[2] {
                hooks.entry(r.try_get("org_id")?).or_default().push((
                    r.try_get("id")?,
                    r.try_get("url")?,
                    kinds_of(&r.try_get::<String, _>("kinds")?),
                ));
            }
            for r in &results[3] {
                slugs.insert(r.try_get("id")?, (r.try_get("slug")?, r.try_get("name")?));
            }
        }
        for chunk in events.chunks(200) {
            let list = placeholders(1, chunk.len());
            let list = &list[1..list.len() - 1];
            let sql = format!(
                "SELECT event_id, org_id, assignee FROM event_parties WHERE assignee IS NOT NULL AND event_id IN ({list})"
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(e.clone());
            }
            for r in q.fetch_all(&mut *tx).await? {
                assignees.insert(
                    (r.try_get("event_id")?, r.try_get("org_id")?),
                    r.try_get("assignee")?,
                );
            }
        }
        let mut notes: Vec<[String; 7]> = Vec::new();
        let mut dels: Vec<[String; 9]> = Vec::new();
        for m in &msgs {
            let kind = kind_of(&m.topic, &m.payload);
            let actor = m
                .payload
                .pointer("/step/actor")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let event = m
                .payload
                .pointer("/event/id")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let none = Vec::new();
            let members = users.get(&m.org).unwrap_or(&none);
            let assignee = assignees.get(&(event.to_string(), m.org.clone()));
            let to: Vec<&U> = match assignee {
                Some(a) if members.iter().any(|u| &u.id == a) => {
                    members.iter().filter(|u| &u.id == a).collect()
                }
                _ => members.iter().filter(|u| u.admin).collect(),
            };
            let (slug, org_name) = slugs.get(&m.org).cloned().unwrap_or_default();
            let on = |u: &U, ch: &str| {
                prefs
                    .get(&(u.id.clone(), kind.clone(), ch.to_string()))
                    .copied()
                    .unwrap_or(true)
            };
            for u in to.iter().filter(|u| u.id != actor) {
                if on(u, "portal") {
                    notes.push([
                        new_id(),
                        m.org.clone(),
                        u.id.clone(),
                        m.id.clone(),
                        kind.clone(),
                        m.topic.clone(),
                        m.payload.to_string(),
                    ]);
                }
                if email && on(u, "email") {
                    let id = new_id();
                    let body = json!({
                        "to": u.email, "name": u.name, "lang": u.lang, "topic": m.topic, "kind": kind,
                        "org": {"slug": slug, "name": org_name}, "data": m.payload, "idempotency_key": id,
                    });
                    dels.push([
                        id,
                        m.org.clone(),
                        m.id.clone(),
                        "email".into(),
                        u.id.clone(),
                        u.email.clone(),
                        m.topic.clone(),
                        body.to_string(),
                        m.created_at.clone(),
                    ]);
                }
            }
            for (hid, url, kinds) in hooks.get(&m.org).unwrap_or(&Vec::new()) {
                if !kinds.is_empty() && !kinds.contains(&kind) {
                    continue;
                }
                let id = new_id();
                // The body every attempt sends, byte for byte (the signature covers it).
                let body = json!({
                    "id": id, "type": m.topic, "kind": kind, "created_at": m.created_at,
                    "org": {"slug": slug, "name": org_name}, "data": m.payload,
                });
                dels.push([
                    id,
                    m.org.clone(),
                    m.id.clone(),
                    "webhook".into(),
                    hid.clone(),
                    url.clone(),
                    m.topic.clone(),
                    body.to_string(),
                    m.created_at.clone(),
                ]);
            }
        }
        for chunk in notes.chunks(100) {
            let sql = format!(
                "INSERT INTO notifications (id, org_id, user_id, outbox_id, kind, topic, payload, created_at) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values(self.backend(), chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for n in chunk {
                for v in n {
                    q = q.bind(v.clone());
                }
                q = q.bind(now_s.clone());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in dels.chunks(80) {
            let sql = format!(
                "INSERT INTO deliveries (id, org_id, outbox_id, channel, target, address, topic, payload, created_at, state, attempts, next_at) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values(self.backend(), chunk.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for d in chunk {
                for v in d {
                    q = q.bind(v.clone());
                }
                q = q.bind("pending").bind(0i64).bind(now_s.clone());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in msgs.chunks(200) {
            let list = placeholders(1, chunk.len());
            let list: String = list[1..list.len() - 1]
                .split(", ")
                .map(|ph| {
                    let n: usize = ph[1..].parse().unwrap_or(0);
                    format!("${}", n + 2)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE outbox SET done_at = $1 WHERE lease_owner = $2 AND done_at IS NULL AND id IN ({list})"
            );
            let mut q = sqlx::query(&sql)
                .bind(now_s.clone())
                .bind(owner.to_string());
            for m in chunk {
                q = q.bind(m.id.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(msgs.len())
        }
        .await;
        if expanded.is_err() {
            // Give the rows back at once (the next round retries them) rather than leave them
            // leased to this worker until the lease runs out: a transient failure (SQLite busy
            // under load) would otherwise hold every notification of the batch for a minute.
            let _ = sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND done_at IS NULL",
            )
            .bind(owner)
            .execute(&self.pool)
            .await;
        }
        expanded
    }

    /// Claims up to `limit` due deliveries for `lease`.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<Claimed>> {
        let now = chrono::Utc::now();
        let (now_s, until) = (crate::stamp(now), crate::stamp(now + lease));
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN \
             (SELECT id FROM deliveries WHERE state = 'pending' AND next_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
              ORDER BY next_at, id LIMIT $4{}) RETURNING id, org_id, channel, target, address, topic, payload, attempts",
            self.skip_locked()
        ))
        .bind(owner)
        .bind(&until)
        .bind(&now_s)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Claimed {
                id: r.try_get("id")?,
                org_id: r.try_get("org_id")?,
                channel: r.try_get("channel")?,
                target: r.try_get("target")?,
                address: r.try_get("address")?,
                topic: r.try_get("topic")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                secret: None,
            });
        }
        let hooks: Vec<String> = out
            .iter()
            .filter(|c| c.channel == "webhook")
            .map(|c| c.target.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut secrets: HashMap<String, String> = HashMap::new();
        for chunk in hooks.chunks(200) {
            let list = placeholders(1, chunk.len());
            let sql = format!("SELECT id, secret FROM webhooks WHERE id IN {list}");
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(h.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                secrets.insert(r.try_get("id")?, r.try_get("secret")?);
            }
        }
        for c in &mut out {
            c.secret = secrets.get(&c.target).cloned();
        }
        Ok(out)
    }

    /// Records attempts (one transaction for the batch); only rows still leased to `owner`.
    pub async fn record_deliveries(&self, owner: &str, outcomes: &[Outcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = crate::now();
        let mut tx = self.pool.begin().await?;
        for chunk in outcomes.chunks(100) {
            let sql = format!(
                "INSERT INTO delivery_attempts (id, delivery_id, org_id, at, code, error, ms) VALUES {}",
                values(self.backend(), chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q
                    .bind(new_id())
                    .bind(o.id.clone())
                    .bind(o.org_id.clone())
                    .bind(now.clone())
                    .bind(o.code)
                    .bind(o.error.clone())
                    .bind(o.ms);
            }
            q.execute(&mut *tx).await?;
        }
        for o in outcomes {
            let state = if o.delivered {
                "delivered"
            } else if o.retry_at.is_some() {
                "pending"
            } else {
                "failed"
            };
            sqlx::query(
                "UPDATE deliveries SET state = $1, attempts = attempts + 1, last_code = $2, last_error = $3, \
                 delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END, next_at = COALESCE($5, next_at), \
                 lease_owner = NULL, lease_until = NULL WHERE id = $6 AND lease_owner = $7",
            )
            .bind(state)
            .bind(o.code)
            .bind(o.error.clone())
            .bind(&now)
            .bind(o.retry_at.clone())
            .bind(&o.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether anything is due for the worker now (outbox rows or deliveries).
    pub async fn pending_work(&self) -> Result<i64> {
        let now = crate::now();
        let r = self
            .fetch_optional(
                sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM outbox WHERE done_at IS NULL) + \
                     (SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_at <= $1) AS n",
                )
                .bind(now),
            )
            .await?;
        Ok(match r {
            Some(r) => r.try_get("n")?,
            None => 0,
        })
    }
}
