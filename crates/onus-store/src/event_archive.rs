//! Events and notification settings in the `onus.export/v1` archive (issue 14, after issue 13
//! added them): `events.jsonl` (each event with its parties, timeline and consultations),
//! `event_files.jsonl`, `notification_prefs.jsonl`, `notifications.jsonl` and
//! `webhooks.jsonl` (docs/portal.md, "Leaving: the export archive").
//!
//! **What is whose.** A customer's export holds every event it takes part in, as it sees it
//! in the portal (`Store::event`): the event, its own part and the provider's, the steps
//! addressed to everyone or to it alone (its own and the provider's, never another
//! customer's), the consultations of itself and of the provider, and the files the provider
//! attached to those steps (`event_files.jsonl`: the customer may read them in the portal,
//! so it leaves with them). A provider's export holds the events it published (opened), with
//! its own part, its own steps addressed to everyone and its own consultations: never what a
//! customer wrote (its steps, files and answers), nor which customers took part. An event a
//! customer opened is the customer's words and stays out of the provider's export.
//!
//! **Other organisations** are named by slug (the provider, whose models the archive names by
//! slug too); their users' ids appear only as the record's names (`opened_by`, `actor`), and
//! the provider's assignee is left out (its users are not in the archive).
//!
//! **Not exported**: the delivery queue and its attempts (`deliveries`, `delivery_attempts`),
//! this instance's operational state: what it sent, to whom and how the receiver answered.
//! A message queued but not yet delivered when the export is taken is not delivered by the
//! new instance (the event itself, its timeline and the notifications are in the archive).

use std::collections::HashMap;

use onus_archive::format as f;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::access::{OrgKind, OrgRef};
use crate::db::Write;
use crate::export::{file_from, lines, opt, Out, PAGE};
use crate::import::{bad, parse, State};
use crate::{Result, StoreError};

/// The contents (sha256) of the files other organisations attached to event steps that a
/// customer sees: they go with the customer's own files, to `files/SHA256`.
pub(crate) const VISIBLE_FILE_SHAS: &str = "SELECT f.sha256 FROM event_steps s \
    JOIN event_parties ep ON ep.event_id = s.event_id AND ep.org_id = $1 \
    JOIN files f ON f.id = s.file_id \
    WHERE f.org_id <> $1 AND (s.audience_org_id IS NULL OR s.audience_org_id = $1)";

/// The versions events the customer takes part in were opened under (models.jsonl holds
/// them, with those of its subscriptions).
pub(crate) const EVENT_VERSIONS: &str = "SELECT e.version_id FROM events e \
    JOIN event_parties ep ON ep.event_id = e.id AND ep.org_id = $1";

fn b(r: &AnyRow, c: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(c)? != 0)
}

/// Slugs of every organisation, by id (to name other organisations in the archive).
async fn slugs(tx: &mut Transaction<'static, Any>) -> Result<HashMap<String, String>> {
    sqlx::query("SELECT id, slug FROM orgs")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("slug")?)))
        .collect()
}

fn slug_of(slugs: &HashMap<String, String>, id: &str) -> Result<String> {
    slugs
        .get(id)
        .cloned()
        .ok_or_else(|| StoreError::Data(format!("organisation {id} does not exist")))
}

/// `event_files.jsonl` (a customer's export): the provider's files attached to steps it sees.
pub(crate) async fn export_event_files(
    tx: &mut Transaction<'static, Any>,
    o: &mut Out<'_>,
    org: &OrgRef,
) -> Result<()> {
    let slugs = slugs(tx).await?;
    let mut e = o.w.entry("event_files.jsonl")?;
    if org.kind == OrgKind::Customer {
        let rows = sqlx::query(
            "SELECT DISTINCT f.id, f.org_id, f.sha256, f.name, f.media_type, f.size, f.created_at, f.created_by \
             FROM event_steps s JOIN event_parties ep ON ep.event_id = s.event_id AND ep.org_id = $1 \
             JOIN files f ON f.id = s.file_id \
             WHERE f.org_id <> $1 AND (s.audience_org_id IS NULL OR s.audience_org_id = $1) ORDER BY f.id",
        )
        .bind(&org.id)
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            e.line(&f::EventFile {
                org: slug_of(&slugs, &r.try_get::<String, _>("org_id")?)?,
                file: file_from(r)?,
            })?;
        }
    }
    e.finish()?;
    o.drain().await
}

/// `events.jsonl`, `notification_prefs.jsonl`, `notifications.jsonl`, `webhooks.jsonl`.
pub(crate) async fn export(
    tx: &mut Transaction<'static, Any>,
    o: &mut Out<'_>,
    org: &OrgRef,
    refs: &HashMap<String, f::ModelRef>,
    version_of: &HashMap<String, String>,
) -> Result<()> {
    let slugs = slugs(tx).await?;
    let customer = org.kind == OrgKind::Customer;
    // A customer: every event it takes part in. A provider: those it published.
    let which = if customer {
        "e.id IN (SELECT event_id FROM event_parties WHERE org_id = $1)"
    } else {
        "e.provider_org_id = $1 AND e.org_id = $1"
    };
    let sql = format!(
        "SELECT e.id, e.org_id, e.provider_org_id, e.model_pk, e.version_id, e.number, e.type, e.kind, e.title, \
         e.description, e.severity, e.service, e.due_at, e.remind_at, e.reminded_at, e.state, e.routing, e.opener_party, \
         e.opened_at, e.opened_by, e.opened_by_name, e.acknowledged_at, e.resolved_at, e.closed_at, e.resolution, e.updated_at \
         FROM events e WHERE {which} AND e.id > $2 ORDER BY e.id LIMIT $3"
    );
    let mut e = o.w.entry("events.jsonl")?;
    let mut after = String::new();
    loop {
        let rows = sqlx::query(&sql)
            .bind(&org.id)
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&mut **tx)
            .await?;
        for r in &rows {
            let id: String = r.try_get("id")?;
            let provider: String = r.try_get("provider_org_id")?;
            // What the organisation sees: its own rows and the provider's (a customer), its
            // own (a provider).
            let seen = |x: &str| x == org.id || (customer && x == provider);
            let mut parties = Vec::new();
            for p in sqlx::query(
                "SELECT org_id, party_id, subscription_id, assignee, acknowledged_at, acknowledged_by, approved_at, approved_by \
                 FROM event_parties WHERE event_id = $1",
            )
            .bind(&id)
            .fetch_all(&mut **tx)
            .await?
            {
                let po: String = p.try_get("org_id")?;
                if !seen(&po) {
                    continue;
                }
                parties.push(f::EventParty {
                    org: slug_of(&slugs, &po)?,
                    party_id: p.try_get("party_id")?,
                    subscription_id: opt(&p, "subscription_id")?,
                    assignee: if po == org.id {
                        opt(&p, "assignee")?
                    } else {
                        None
                    },
                    acknowledged_at: opt(&p, "acknowledged_at")?,
                    acknowledged_by: opt(&p, "acknowledged_by")?,
                    approved_at: opt(&p, "approved_at")?,
                    approved_by: opt(&p, "approved_by")?,
                });
            }
            parties.sort_by(|a, b| a.org.cmp(&b.org));
            let mut steps = Vec::new();
            for s in sqlx::query(
                "SELECT id, org_id, audience_org_id, at, actor, actor_name, party_id, action, state, body, file_id \
                 FROM event_steps WHERE event_id = $1 ORDER BY at, id",
            )
            .bind(&id)
            .fetch_all(&mut **tx)
            .await?
            {
                let so: String = s.try_get("org_id")?;
                let audience: Option<String> = s.try_get("audience_org_id")?;
                let keep = if customer {
                    audience.as_deref().is_none_or(|a| a == org.id)
                } else {
                    so == org.id && audience.is_none()
                };
                if !keep {
                    continue;
                }
                steps.push(f::EventStep {
                    id: s.try_get("id")?,
                    org: slug_of(&slugs, &so)?,
                    audience: audience.map(|a| slug_of(&slugs, &a)).transpose()?,
                    at: s.try_get("at")?,
                    actor: s.try_get("actor")?,
                    actor_name: s.try_get("actor_name")?,
                    party_id: s.try_get("party_id")?,
                    action: s.try_get("action")?,
                    state: s.try_get("state")?,
                    body: opt(&s, "body")?,
                    file_id: opt(&s, "file_id")?,
                });
            }
            let mut consultations = Vec::new();
            for c in sqlx::query(
                "SELECT id, org_id, party_id, question, asked_at, asked_by_name, answer, answered_at, answered_by_name \
                 FROM event_consultations WHERE event_id = $1 ORDER BY asked_at, id",
            )
            .bind(&id)
            .fetch_all(&mut **tx)
            .await?
            {
                let co: String = c.try_get("org_id")?;
                if !seen(&co) {
                    continue;
                }
                consultations.push(f::EventConsultation {
                    id: c.try_get("id")?,
                    org: slug_of(&slugs, &co)?,
                    party_id: c.try_get("party_id")?,
                    question: c.try_get("question")?,
                    asked_at: c.try_get("asked_at")?,
                    asked_by_name: c.try_get("asked_by_name")?,
                    answer: opt(&c, "answer")?,
                    answered_at: opt(&c, "answered_at")?,
                    answered_by_name: opt(&c, "answered_by_name")?,
                });
            }
            let model_pk: String = r.try_get("model_pk")?;
            let version_id: String = r.try_get("version_id")?;
            e.line(&f::Event {
                number: r.try_get("number")?,
                model: refs
                    .get(&model_pk)
                    .cloned()
                    .ok_or_else(|| StoreError::Data(format!("model {model_pk} has no provider")))?,
                version: version_of.get(&version_id).cloned().ok_or_else(|| {
                    StoreError::Data(format!("version {version_id} is not exported"))
                })?,
                opened_by_org: slug_of(&slugs, &r.try_get::<String, _>("org_id")?)?,
                event_type: r.try_get("type")?,
                kind: r.try_get("kind")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                severity: opt(r, "severity")?,
                service: opt(r, "service")?,
                due_at: opt(r, "due_at")?,
                remind_at: opt(r, "remind_at")?,
                reminded_at: opt(r, "reminded_at")?,
                state: r.try_get("state")?,
                routing: crate::evidence::json_col(r, "routing")?,
                opener_party: r.try_get("opener_party")?,
                opened_at: r.try_get("opened_at")?,
                opened_by: r.try_get("opened_by")?,
                opened_by_name: r.try_get("opened_by_name")?,
                acknowledged_at: opt(r, "acknowledged_at")?,
                resolved_at: opt(r, "resolved_at")?,
                closed_at: opt(r, "closed_at")?,
                resolution: opt(r, "resolution")?,
                updated_at: r.try_get("updated_at")?,
                parties,
                steps,
                consultations,
                id: id.clone(),
            })?;
            after = id;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    e.finish()?;
    o.drain().await?;

    let mut e = o.w.entry("notification_prefs.jsonl")?;
    for r in sqlx::query(
        "SELECT user_id, kind, channel, enabled FROM notification_prefs WHERE org_id = $1 ORDER BY user_id, kind, channel",
    )
    .bind(&org.id)
    .fetch_all(&mut **tx)
    .await?
    {
        e.line(&f::NotificationPref {
            user_id: r.try_get("user_id")?,
            kind: r.try_get("kind")?,
            channel: r.try_get("channel")?,
            enabled: b(&r, "enabled")?,
        })?;
    }
    e.finish()?;
    o.drain().await?;

    lines(
        tx,
        o,
        "notifications.jsonl",
        "SELECT id, user_id, outbox_id, kind, topic, payload, created_at, read_at FROM notifications \
         WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &org.id,
        "id",
        |r| {
            Ok(json!(f::Notification {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                outbox_id: r.try_get("outbox_id")?,
                kind: r.try_get("kind")?,
                topic: r.try_get("topic")?,
                payload: crate::evidence::json_col(r, "payload")?,
                created_at: r.try_get("created_at")?,
                read_at: opt(r, "read_at")?,
            }))
        },
    )
    .await?;
    lines(
        tx,
        o,
        "webhooks.jsonl",
        "SELECT id, url, secret, kinds, active, created_at, created_by FROM webhooks \
         WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &org.id,
        "id",
        |r| {
            Ok(json!(f::Webhook {
                id: r.try_get("id")?,
                url: r.try_get("url")?,
                // Exported as it is: see `onus_archive::format::Webhook` for why.
                secret: r.try_get("secret")?,
                kinds: crate::notify::kinds_of(&r.try_get::<String, _>("kinds")?),
                active: b(r, "active")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
            }))
        },
    )
    .await?;
    Ok(())
}

/// An organisation the archive names by slug: the imported one, or a provider of a model it
/// names (models.jsonl comes first and creates it when this instance has none).
async fn org_by_slug(
    w: &mut Write,
    st: &State,
    path: &str,
    n: u64,
    slug: &str,
    provider: &str,
) -> Result<String> {
    let org = st.org(path)?;
    if slug == org.slug {
        return Ok(org.id.clone());
    }
    if slug != provider {
        return Err(bad(
            path,
            n,
            format!("`{slug}` is neither the organisation nor the event's provider"),
        ));
    }
    let r = sqlx::query("SELECT id FROM orgs WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| bad(path, n, format!("organisation `{slug}` is not here")))?;
    Ok(r.try_get("id")?)
}

/// The imported organisation's id, once `user` is checked to be one of its users.
async fn own_user(w: &mut Write, st: &State, path: &str, n: u64, user: &str) -> Result<String> {
    let org = st.org(path)?.id.clone();
    if !exists(
        w,
        "SELECT id FROM users WHERE id = $1 AND org_id = $2",
        user,
        Some(&org),
    )
    .await?
    {
        return Err(bad(path, n, format!("user {user} is not in users.jsonl")));
    }
    Ok(org)
}

async fn exists(w: &mut Write, sql: &str, a: &str, b: Option<&str>) -> Result<bool> {
    let mut q = sqlx::query(sql).bind(a);
    if let Some(b) = b {
        q = q.bind(b);
    }
    Ok(q.fetch_optional(&mut *w.tx).await?.is_some())
}

/// A line of one of this module's files; `false`: not one of them.
pub(crate) async fn import_line(
    w: &mut Write,
    st: &mut State,
    path: &str,
    n: u64,
    bytes: &[u8],
) -> Result<bool> {
    let flag = |v: bool| i64::from(v);
    match path {
        "event_files.jsonl" => {
            let x: f::EventFile = parse(path, n, bytes)?;
            // A provider's file: its provider must be one of the archive's models'.
            let provider = st
                .models
                .keys()
                .find(|m| m.provider == x.org)
                .map(|m| m.provider.clone())
                .ok_or_else(|| {
                    bad(
                        path,
                        n,
                        format!("`{}` provides no model of models.jsonl", x.org),
                    )
                })?;
            let owner = org_by_slug(w, st, path, n, &x.org, &provider).await?;
            if !exists(
                w,
                "SELECT sha256 FROM blobs WHERE sha256 = $1",
                &x.file.sha256,
                None,
            )
            .await?
            {
                return Err(bad(
                    path,
                    n,
                    format!(
                        "files/{} is not in the archive (before event_files.jsonl)",
                        x.file.sha256
                    ),
                ));
            }
            let here = sqlx::query("SELECT sha256 FROM files WHERE id = $1")
                .bind(&x.file.id)
                .fetch_optional(&mut *w.tx)
                .await?;
            match here {
                // Another customer's import of the same event brought it already.
                Some(r) if r.try_get::<String, _>("sha256")? == x.file.sha256 => {}
                Some(_) => {
                    return Err(StoreError::Conflict {
                        field: "archive",
                        message: format!(
                            "{path}:{n}: file {} exists here with other content",
                            x.file.id
                        ),
                    })
                }
                None => {
                    sqlx::query(
                        "INSERT INTO files (id, org_id, sha256, name, media_type, size, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&x.file.id)
                    .bind(&owner)
                    .bind(&x.file.sha256)
                    .bind(&x.file.name)
                    .bind(&x.file.media_type)
                    .bind(x.file.size)
                    .bind(&x.file.created_at)
                    .bind(&x.file.created_by)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
        }
        "events.jsonl" => {
            let x: f::Event = parse(path, n, bytes)?;
            import_event(w, st, path, n, &x).await?;
        }
        "notification_prefs.jsonl" => {
            let x: f::NotificationPref = parse(path, n, bytes)?;
            if !crate::notify::KINDS.contains(&x.kind.as_str())
                || !crate::notify::CHANNELS.contains(&x.channel.as_str())
            {
                return Err(bad(
                    path,
                    n,
                    format!(
                        "`{}` by `{}`: not a kind and channel of this onus",
                        x.kind, x.channel
                    ),
                ));
            }
            let org = own_user(w, st, path, n, &x.user_id).await?;
            sqlx::query("INSERT INTO notification_prefs (user_id, org_id, kind, channel, enabled) VALUES ($1, $2, $3, $4, $5)")
                .bind(&x.user_id)
                .bind(&org)
                .bind(&x.kind)
                .bind(&x.channel)
                .bind(flag(x.enabled))
                .execute(&mut *w.tx)
                .await?;
        }
        "notifications.jsonl" => {
            let x: f::Notification = parse(path, n, bytes)?;
            let org = own_user(w, st, path, n, &x.user_id).await?;
            sqlx::query(
                "INSERT INTO notifications (id, org_id, user_id, outbox_id, kind, topic, payload, created_at, read_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&x.id)
            .bind(&org)
            .bind(&x.user_id)
            .bind(&x.outbox_id)
            .bind(&x.kind)
            .bind(&x.topic)
            .bind(x.payload.to_string())
            .bind(&x.created_at)
            .bind(x.read_at.clone())
            .execute(&mut *w.tx)
            .await?;
        }
        "webhooks.jsonl" => {
            let x: f::Webhook = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            if let Some(k) = x
                .kinds
                .iter()
                .find(|k| !crate::notify::KINDS.contains(&k.as_str()))
            {
                return Err(bad(
                    path,
                    n,
                    format!(
                        "kinds: `{k}`, not one of {}",
                        crate::notify::KINDS.join(", ")
                    ),
                ));
            }
            // The URL is kept as it is: the worker checks it at every delivery against this
            // instance's rule (no loopback or private address unless it allows them).
            sqlx::query(
                "INSERT INTO webhooks (id, org_id, url, secret, kinds, active, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&x.id)
            .bind(&org)
            .bind(&x.url)
            .bind(&x.secret)
            .bind(x.kinds.join(","))
            .bind(flag(x.active))
            .bind(&x.created_at)
            .bind(&x.created_by)
            .execute(&mut *w.tx)
            .await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// An event: created, or (another customer of the same provider event imported it before)
/// completed with this organisation's part and the steps it did not have.
async fn import_event(w: &mut Write, st: &State, path: &str, n: u64, x: &f::Event) -> Result<()> {
    let org = st.org(path)?.clone();
    let model_pk = st.model(path, n, &x.model)?;
    let version_id = st.version(path, n, &x.model, &x.version)?;
    let provider: String = sqlx::query("SELECT org_id FROM models WHERE id = $1")
        .bind(&model_pk)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("org_id")?;
    let p = x.model.provider.as_str();
    let opener = org_by_slug(w, st, path, n, &x.opened_by_org, p).await?;
    let here = sqlx::query("SELECT provider_org_id FROM events WHERE id = $1")
        .bind(&x.id)
        .fetch_optional(&mut *w.tx)
        .await?;
    match here {
        Some(r) => {
            if r.try_get::<String, _>("provider_org_id")? != provider {
                return Err(StoreError::Conflict {
                    field: "archive",
                    message: format!(
                        "{path}:{n}: event {} exists here with another provider",
                        x.id
                    ),
                });
            }
        }
        None => {
            // The number is the provider's sequence: kept when free here.
            let taken =
                sqlx::query("SELECT id FROM events WHERE provider_org_id = $1 AND number = $2")
                    .bind(&provider)
                    .bind(x.number)
                    .fetch_optional(&mut *w.tx)
                    .await?
                    .is_some();
            let number = if taken {
                sqlx::query(
                    "SELECT COALESCE(MAX(number), 0) AS n FROM events WHERE provider_org_id = $1",
                )
                .bind(&provider)
                .fetch_one(&mut *w.tx)
                .await?
                .try_get::<i64, _>("n")?
                    + 1
            } else {
                x.number
            };
            sqlx::query(
                "INSERT INTO events (id, org_id, provider_org_id, model_pk, version_id, number, type, kind, title, description, \
                 severity, service, due_at, remind_at, reminded_at, state, routing, opener_party, opened_at, opened_by, opened_by_name, \
                 acknowledged_at, resolved_at, closed_at, resolution, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)",
            )
            .bind(&x.id)
            .bind(&opener)
            .bind(&provider)
            .bind(&model_pk)
            .bind(&version_id)
            .bind(number)
            .bind(&x.event_type)
            .bind(&x.kind)
            .bind(&x.title)
            .bind(&x.description)
            .bind(x.severity.clone())
            .bind(x.service.clone())
            .bind(x.due_at.clone())
            .bind(x.remind_at.clone())
            .bind(x.reminded_at.clone())
            .bind(&x.state)
            .bind(x.routing.to_string())
            .bind(&x.opener_party)
            .bind(&x.opened_at)
            .bind(&x.opened_by)
            .bind(&x.opened_by_name)
            .bind(x.acknowledged_at.clone())
            .bind(x.resolved_at.clone())
            .bind(x.closed_at.clone())
            .bind(x.resolution.clone())
            .bind(&x.updated_at)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) => bad(path, n, d.message()),
                e => e.into(),
            })?;
        }
    }
    for part in &x.parties {
        let po = org_by_slug(w, st, path, n, &part.org, p).await?;
        if exists(
            w,
            "SELECT org_id FROM event_parties WHERE event_id = $1 AND org_id = $2",
            &x.id,
            Some(&po),
        )
        .await?
        {
            continue;
        }
        if let Some(sub) = &part.subscription_id {
            if po != org.id || !st.subs.contains_key(sub) {
                return Err(bad(
                    path,
                    n,
                    format!("subscription {sub} is not in subscriptions.jsonl"),
                ));
            }
        }
        // The assignee is one of the organisation's users (another's is not exported).
        let assignee = part.assignee.clone().filter(|_| po == org.id);
        if let Some(a) = &assignee {
            own_user(w, st, path, n, a).await?;
        }
        sqlx::query(
            "INSERT INTO event_parties (event_id, org_id, party_id, subscription_id, assignee, acknowledged_at, acknowledged_by, approved_at, approved_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&x.id)
        .bind(&po)
        .bind(&part.party_id)
        .bind(part.subscription_id.clone())
        .bind(assignee)
        .bind(part.acknowledged_at.clone())
        .bind(part.acknowledged_by.clone())
        .bind(part.approved_at.clone())
        .bind(part.approved_by.clone())
        .execute(&mut *w.tx)
        .await?;
    }
    for s in &x.steps {
        if exists(w, "SELECT id FROM event_steps WHERE id = $1", &s.id, None).await? {
            continue;
        }
        let so = org_by_slug(w, st, path, n, &s.org, p).await?;
        let audience = match &s.audience {
            Some(a) => Some(org_by_slug(w, st, path, n, a, p).await?),
            None => None,
        };
        if let Some(fid) = &s.file_id {
            if !exists(w, "SELECT id FROM files WHERE id = $1", fid, None).await? {
                return Err(bad(
                    path,
                    n,
                    format!("file {fid} is in neither files.jsonl nor event_files.jsonl"),
                ));
            }
        }
        sqlx::query(
            "INSERT INTO event_steps (id, event_id, org_id, audience_org_id, at, actor, actor_name, party_id, action, state, body, file_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&s.id)
        .bind(&x.id)
        .bind(&so)
        .bind(audience)
        .bind(&s.at)
        .bind(&s.actor)
        .bind(&s.actor_name)
        .bind(&s.party_id)
        .bind(&s.action)
        .bind(&s.state)
        .bind(s.body.clone())
        .bind(s.file_id.clone())
        .execute(&mut *w.tx)
        .await?;
    }
    for c in &x.consultations {
        if exists(
            w,
            "SELECT id FROM event_consultations WHERE id = $1",
            &c.id,
            None,
        )
        .await?
        {
            continue;
        }
        let co = org_by_slug(w, st, path, n, &c.org, p).await?;
        sqlx::query(
            "INSERT INTO event_consultations (id, event_id, org_id, party_id, question, asked_at, asked_by_name, answer, answered_at, answered_by_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&c.id)
        .bind(&x.id)
        .bind(&co)
        .bind(&c.party_id)
        .bind(&c.question)
        .bind(&c.asked_at)
        .bind(&c.asked_by_name)
        .bind(c.answer.clone())
        .bind(c.answered_at.clone())
        .bind(c.answered_by_name.clone())
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(())
}
