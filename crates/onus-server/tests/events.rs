//! Events routed by the model, on SQLite and on PostgreSQL: the RACI decides who opens, acts,
//! approves, is consulted and is told (OVHcloud's 3.2.1, 3.2.2 and 3.1.6 rows); notifications
//! reach a real SMTP server and a real HTTP receiver on 127.0.0.1, survive a stopped receiver
//! and a worker killed mid-delivery, and two workers on one database never send twice.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sinks::{until, Receiver, SmtpSink};
use common::{world, Client, TestApp};
use onus_server::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

fn incident(title: &str) -> Value {
    json!({"type": "incident", "model": "ovhcloud-mks", "title": title, "description": "pods time out",
           "severity": "high", "service": "shop-prod"})
}

async fn open(c: &Client, org: &str, body: Value) -> Value {
    let (s, d) = c.post(&format!("/api/v1/orgs/{org}/events"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d
}

async fn step(c: &Client, org: &str, id: &str, what: &str, body: Value) -> (StatusCode, Value) {
    c.post(&format!("/api/v1/orgs/{org}/events/{id}/{what}"), body)
        .await
}

/// A fast worker talking to local receivers.
fn fast(smtp: Option<String>) -> Config {
    common::fast_worker(smtp)
}

/// The rule on OVHcloud's rows, step by step, with the wrong parties refused.
async fn routed_by_the_raci(t: TestApp) {
    let w = world(&t).await;
    // 3.2.1 row 1 then row 3: the customer notifies, OVHcloud intervenes.
    let (s, e) = w
        .shop
        .post(
            "/api/v1/orgs/shop/events",
            json!({"type": "incident", "model": "ovhcloud-mks", "title": "no severity"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "severity");
    let (s, e) = w
        .shop
        .post("/api/v1/orgs/shop/events", json!({"type": "provider-incident", "model": "ovhcloud-mks", "title": "x", "severity": "low"}))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the provider publishes its incidents: {e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("3.2.1-r2"),
        "{e}"
    );
    let (s, e) = w
        .shop
        .post(
            "/api/v1/orgs/shop/events",
            json!({"type": "warp-drive", "model": "ovhcloud-mks", "title": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "type");

    let d = open(&w.shop, "shop", incident("API unreachable")).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(d["event"]["state"], "open");
    assert_eq!(d["event"]["routing"]["activity"], "3.2.1-r3");
    assert_eq!(d["event"]["routing"]["opened_through"], "3.2.1-r1");
    assert_eq!(d["event"]["mine"]["opens"], true);
    assert_eq!(d["event"]["mine"]["acts"], false);
    // Another customer does not know it exists.
    let (s, _) = w
        .rival
        .get(&format!("/api/v1/orgs/rival/events/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, l) = w.rival.get("/api/v1/orgs/rival/events").await;
    assert!(items(&l).is_empty());
    let (s, _) = w.rival.get(&format!("/api/v1/orgs/shop/events/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The provider sees it and acts; the customer cannot.
    let (_, l) = w
        .provider
        .get("/api/v1/orgs/ovhcloud/events?state=active")
        .await;
    assert_eq!(items(&l).len(), 1);
    let (s, e) = step(
        &w.shop,
        "shop",
        &id,
        "transition",
        json!({"action": "resolve", "note": "fixed"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "resolve", "note": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "acknowledge first: {e}");
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["state"], "acknowledged");
    assert!(e["event"]["time_to_acknowledge"].as_i64().unwrap() >= 0);
    // A file on the timeline, from the customer: the provider reads it, the rival does not.
    let form = reqwest::multipart::Form::new()
        .text("body", "kubectl events attached")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"09:12 i/o timeout".to_vec())
                .file_name("events.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
    let (s, d) = w
        .shop
        .send(
            w.shop
                .req(
                    reqwest::Method::POST,
                    &format!("/api/v1/orgs/shop/events/{id}/comments"),
                )
                .multipart(form),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let file = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["file"]["id"].as_str())
        .unwrap()
        .to_string();
    let res = w
        .provider
        .req(
            reqwest::Method::GET,
            &format!("/api/v1/orgs/ovhcloud/files/{file}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"09:12 i/o timeout");
    let (s, _) = w
        .rival
        .get(&format!("/api/v1/orgs/rival/files/{file}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "resolve"}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a resolution says what was done: {e}"
    );
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "resolve", "note": "agents redeployed"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["state"], "resolved");
    // The wrong party cannot approve: the customer holds nothing in 3.2.1-r3.
    let (s, e) = step(&w.shop, "shop", &id, "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = step(&w.provider, "ovhcloud", &id, "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["state"], "closed");
    assert!(e["event"]["time_to_resolve"].as_i64().unwrap() >= 0);
    let actions: Vec<String> = e["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        ["open", "acknowledge", "comment", "resolve", "approve"]
    );
    // Every step is in both organisations' log, and the chain holds.
    for (c, org) in [(&w.shop, "shop"), (&w.provider, "ovhcloud")] {
        let (_, log) = c.get(&format!("/api/v1/orgs/{org}/log?limit=500")).await;
        let mine: Vec<String> = items(&log)
            .iter()
            .filter(|x| x["subject"] == id.as_str())
            .map(|x| x["action"].as_str().unwrap().to_string())
            .collect();
        for a in [
            "event.open",
            "event.acknowledge",
            "event.comment",
            "event.resolve",
            "event.approve",
        ] {
            assert!(mine.contains(&a.to_string()), "{org}: {a} in {mine:?}");
        }
    }
    assert!(t.app.store.verify_log().await.unwrap().problem.is_none());

    // 3.2.1 row 4: the customer acts, OVHcloud is consulted before the decision.
    let d = open(&w.shop, "shop", json!({"type": "misconfiguration-incident", "model": "ovhcloud-mks", "title": "batch floods the API", "severity": "medium"})).await;
    let mid = d["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        d["event"]["state"], "acknowledged",
        "opened by the party that acts"
    );
    let (s, e) = step(
        &w.shop,
        "shop",
        &mid,
        "transition",
        json!({"action": "resolve", "note": "spread the jobs"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("consult"),
        "{e}"
    );
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &mid,
        "consult",
        json!({"question": "?"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only R consults: {e}");
    let (s, d) = step(
        &w.shop,
        "shop",
        &mid,
        "consult",
        json!({"question": "Are 4,000 pods at once within limits?"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, pd) = w
        .provider
        .get(&format!("/api/v1/orgs/ovhcloud/events/{mid}"))
        .await;
    let cid = pd["consultations"][0]["id"].as_str().unwrap().to_string();
    let (s, e) = step(
        &w.shop,
        "shop",
        &mid,
        &format!("consult/{cid}"),
        json!({"answer": "self-answer"}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the consulted party answers, nobody else: {e}"
    );
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &mid,
        &format!("consult/{cid}"),
        json!({"answer": "Spread them: 500 per minute."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, e) = step(
        &w.shop,
        "shop",
        &mid,
        "transition",
        json!({"action": "resolve", "note": "jobs spread"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, _) = step(&w.provider, "ovhcloud", &mid, "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "OVHcloud is C and I, not A");
    let (s, e) = step(&w.shop, "shop", &mid, "approve", json!({"approve": false})).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal says why: {e}"
    );
    let (s, e) = step(&w.shop, "shop", &mid, "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["state"], "closed");

    // 3.2.2 rows 3 and 4: requested by the customer, rejected by OVHcloud with a reason.
    let d = open(
        &w.shop,
        "shop",
        json!({"type": "change-request", "model": "ovhcloud-mks", "title": "3 more nodes"}),
    )
    .await;
    let cid = d["event"]["id"].as_str().unwrap().to_string();
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &cid,
        "transition",
        json!({"action": "reject"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &cid,
        "transition",
        json!({"action": "reject", "note": "quota reached: raise it first"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["state"], "rejected");
    assert_eq!(e["event"]["resolution"], "quota reached: raise it first");

    // 3.1.6 row 4: OVHcloud announces to every subscriber; each acknowledges on its own.
    let (s, e) = w.provider.post("/api/v1/orgs/ovhcloud/events", json!({"type": "forced-upgrade", "model": "ovhcloud-mks", "title": "1.29 end of support"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "due");
    let due = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let d = open(&w.provider, "ovhcloud", json!({"type": "forced-upgrade", "model": "ovhcloud-mks", "title": "1.29 end of support", "due": due})).await;
    let uid = d["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(d["event"]["customers"], 2);
    // The answer is built from the write's own data: the same as reading the event back.
    let (_, read) = w
        .provider
        .get(&format!("/api/v1/orgs/ovhcloud/events/{uid}"))
        .await;
    assert_eq!(read, d);
    assert_eq!(d["event"]["acknowledged_customers"], 0);
    assert!(
        d["event"]["remind_at"].as_str().is_some(),
        "a reminder 7 days before"
    );
    let (s, e) = step(
        &w.shop,
        "shop",
        &uid,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["customers"], 1, "a customer sees itself only");
    assert_eq!(
        e["parties"].as_array().unwrap().len(),
        2,
        "the provider and itself"
    );
    let (s, _) = step(
        &w.shop,
        "shop",
        &uid,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    step(
        &w.shop,
        "shop",
        &uid,
        "comments",
        json!({"body": "our maintenance window is Tuesday"}),
    )
    .await;
    let (_, r) = w
        .rival
        .get(&format!("/api/v1/orgs/rival/events/{uid}"))
        .await;
    assert!(
        !r.to_string().contains("maintenance window"),
        "a customer's words stay its own: {r}"
    );
    assert!(!r.to_string().contains("\"shop\""), "{r}");
    let (_, p) = w
        .provider
        .get(&format!("/api/v1/orgs/ovhcloud/events/{uid}"))
        .await;
    assert_eq!(p["event"]["acknowledged_customers"], 1);
    assert!(p.to_string().contains("maintenance window"));
    // Filters.
    let (_, l) = w
        .shop
        .get("/api/v1/orgs/shop/events?kind=announcement")
        .await;
    assert_eq!(items(&l).len(), 1);
    let (_, l) = w.shop.get("/api/v1/orgs/shop/events?state=closed").await;
    assert_eq!(items(&l).len(), 2);
    let (s, _) = w.shop.get("/api/v1/orgs/shop/events?state=sleeping").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The worker tells people: the provider's admin of the opening, the customer's of changes.
    let p = w.provider.clone();
    let mut topics = Vec::new();
    for _ in 0..100 {
        let (_, n) = p.get("/api/v1/me/notifications?limit=100").await;
        topics = items(&n)
            .iter()
            .map(|x| x["topic"].as_str().unwrap().to_string())
            .collect::<Vec<_>>();
        if topics.contains(&"event.answer".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(topics.contains(&"event.opened".to_string()), "{topics:?}");
    assert!(
        topics.contains(&"event.consultation".to_string()),
        "{topics:?}"
    );
    let (_, doc) = t.client().get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/orgs/{org}/events",
        "/api/v1/orgs/{org}/events/{id}/approve",
        "/api/v1/orgs/{org}/deliveries/{id}/replay",
        "/api/v1/me/notifications",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
}
both!(routed_by_the_raci);

/// Within an organisation, an event goes to the owner of the matching obligation, else to the
/// admins: Bob owns Shop's 3.2.1-r1 duty (notify incidents), so he hears of OVHcloud's steps on
/// Shop's incidents and Alice (an admin) does not; Rival has no owner, so its admin hears of the
/// forced upgrade.
async fn owner_of_the_obligation(t: TestApp) {
    let w = world(&t).await;
    let (s, b) = w
        .shop
        .post("/api/v1/orgs/shop/users", json!({"email": "bob@shop.test", "name": "Bob", "role": "member", "password": common::ADMIN_PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bob = t.login("bob@shop.test", common::ADMIN_PASSWORD).await;
    let (_, obs) = w
        .shop
        .get("/api/v1/orgs/shop/obligations?model=ovhcloud-mks&limit=500")
        .await;
    let ob = items(&obs)
        .into_iter()
        .find(|o| o["activity_id"] == "3.2.1-r1")
        .expect("Shop's 3.2.1-r1 duty");
    let (s, d) = w
        .shop
        .patch(
            &format!(
                "/api/v1/orgs/shop/obligations/{}",
                ob["id"].as_str().unwrap()
            ),
            json!({"owner": "bob@shop.test"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let d = open(&w.shop, "shop", incident("ingress drops connections")).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    let (_, full) = w.shop.get(&format!("/api/v1/orgs/shop/events/{id}")).await;
    let me = full["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["org"]["slug"] == "shop")
        .cloned()
        .unwrap();
    assert_eq!(me["assignee_name"], "Bob", "{full}");
    let (s, e) = step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let due = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    open(&w.provider, "ovhcloud", json!({"type": "forced-upgrade", "model": "ovhcloud-mks", "title": "1.29 end of support", "due": due})).await;
    let topics = |c: &Client| {
        let c = c.clone();
        async move {
            let (_, n) = c.get("/api/v1/me/notifications?limit=100").await;
            items(&n)
                .iter()
                .map(|x| x["topic"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let mut got = Vec::new();
    for _ in 0..100 {
        got = topics(&bob).await;
        if got.contains(&"event.acknowledged".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        got.contains(&"event.acknowledged".to_string()),
        "Bob owns the duty: {got:?}"
    );
    let mut eve = Vec::new();
    for _ in 0..100 {
        eve = topics(&w.rival).await;
        if !eve.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        eve,
        ["event.opened"],
        "Rival's admin, nobody owning its duty, hears of the upgrade only"
    );
    // Alice, the admin who opened the incident, is not told of it: it goes to Bob. She hears of
    // the forced upgrade, which concerns no duty Bob owns.
    let mut alice = Vec::new();
    for _ in 0..100 {
        alice = topics(&w.shop).await;
        if !alice.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !alice.contains(&"event.acknowledged".to_string()),
        "{alice:?}"
    );
    assert!(alice.contains(&"event.opened".to_string()), "{alice:?}");
    assert!(
        !got.iter().any(|t| t == "event.opened"),
        "Bob does not own 3.1.6-r4: {got:?}"
    );
}
both!(owner_of_the_obligation);

/// An announcement's reminder, before its date, reaches the customers that have not
/// acknowledged it, and only them.
async fn reminded_before_the_date(t: TestApp) {
    let w = world(&t).await;
    let due = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (s, e) = w
        .provider
        .post("/api/v1/orgs/ovhcloud/events", json!({"type": "patch", "model": "ovhcloud-mks", "title": "1.30.4 available", "due": due, "remind_before": "P1"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "remind_before");
    // Reminded two seconds from now.
    let d = open(&w.provider, "ovhcloud", json!({"type": "patch", "model": "ovhcloud-mks", "title": "1.30.4 available", "due": due, "remind_before": "PT59M58S"})).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    let (s, e) = step(
        &w.shop,
        "shop",
        &id,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let reminded = |c: &Client| {
        let c = c.clone();
        async move {
            let (_, n) = c.get("/api/v1/me/notifications?limit=100").await;
            items(&n)
                .iter()
                .filter(|x| x["topic"] == "event.reminder")
                .count()
        }
    };
    let mut n = 0;
    for _ in 0..150 {
        n = reminded(&w.rival).await;
        if n > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(n, 1, "Rival has not acknowledged: reminded once");
    assert_eq!(
        reminded(&w.shop).await,
        0,
        "Shop acknowledged: not reminded"
    );
    let (_, p) = w
        .provider
        .get(&format!("/api/v1/orgs/ovhcloud/events/{id}"))
        .await;
    assert!(p["event"]["reminded_at"].is_string(), "{p}");
}
both!(reminded_before_the_date);

/// E-mail to a real SMTP server, webhooks to a real HTTP receiver: signed, retried while the
/// receiver is down, logged with response codes, replayed with the same idempotency key; each
/// user's choices respected.
async fn delivered(pg: bool) {
    let smtp = SmtpSink::start().await;
    let Some(t) = TestApp::spawn_with(pg, "delivered", fast(Some(smtp.url()))).await else {
        return;
    };
    let w = world(&t).await;
    let mut rx = Receiver::start().await;
    let (s, e) = w
        .shop
        .post(
            "/api/v1/orgs/shop/webhooks",
            json!({"url": "ftp://example.com/x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, hook) = w
        .shop
        .post("/api/v1/orgs/shop/webhooks", json!({"url": rx.url()}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let d = open(&w.shop, "shop", incident("checkout down")).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    // The provider's admin hears of the opening by e-mail, in its language.
    assert!(
        until(20, || smtp
            .mails()
            .iter()
            .any(|m| m.to.iter().any(|t| t.contains("p@ovh.test"))))
        .await,
        "no mail"
    );
    let mail = smtp
        .mails()
        .into_iter()
        .find(|m| m.to.iter().any(|t| t.contains("p@ovh.test")))
        .unwrap();
    let text = mail.text();
    assert!(text.contains("checkout down"), "{text}");
    assert!(
        text.contains("@onus>"),
        "Message-ID carries the delivery: {text}"
    );
    assert!(text.contains(&format!("/events/{id}")), "{text}");
    assert!(text.contains("Severity: high"), "{text}");
    step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    let to_alice = |smtp: &SmtpSink| {
        smtp.mails()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains("alice@shop.test")))
            .count()
    };
    assert!(
        until(20, || to_alice(&smtp) == 1).await,
        "the opener is told of the acknowledgement"
    );
    assert!(
        until(20, || rx
            .hooks()
            .iter()
            .any(|h| h.header("onus-event") == "event.acknowledged"))
        .await,
        "no webhook"
    );
    let h = rx
        .hooks()
        .into_iter()
        .find(|h| h.header("onus-event") == "event.acknowledged")
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    onus_server::worker::verify(&secret, &h.header("onus-signature"), &h.body, now, 300).unwrap();
    assert!(onus_server::worker::verify(
        "whsec_wrong",
        &h.header("onus-signature"),
        &h.body,
        now,
        300
    )
    .is_err());
    assert!(
        onus_server::worker::verify(
            &secret,
            &h.header("onus-signature"),
            &h.body,
            now + 3600,
            300
        )
        .is_err(),
        "too old"
    );
    let body = h.json();
    assert_eq!(h.header("idempotency-key"), body["id"].as_str().unwrap());
    assert_eq!(body["type"], "event.acknowledged");
    assert_eq!(body["data"]["event"]["id"], id.as_str());
    assert_eq!(body["data"]["event"]["state"], "acknowledged");
    assert_eq!(body["data"]["step"]["by"], "ovhcloud");
    // Alice turns e-mail off for incidents; the portal's list stays on.
    let (s, _) = w
        .shop
        .send(
            w.shop
                .req(reqwest::Method::PUT, "/api/v1/me/notification-settings")
                .json(&json!([{"kind": "incident", "channel": "email", "enabled": false}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The receiver goes away: deliveries are retried, with the errors logged.
    rx.stop();
    let port = rx.port;
    step(
        &w.provider,
        "ovhcloud",
        &id,
        "comments",
        json!({"body": "looking into it"}),
    )
    .await;
    let shop = w.shop.clone();
    let mut pending = Value::Null;
    for _ in 0..200 {
        let (_, l) = shop.get("/api/v1/orgs/shop/deliveries").await;
        if let Some(d) = items(&l)
            .into_iter()
            .find(|d| d["topic"] == "event.comment" && d["attempts"].as_i64().unwrap_or(0) >= 2)
        {
            pending = d;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending["state"], "pending", "retried: {pending}");
    assert!(
        pending["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{pending}"
    );
    // It comes back: delivered, the attempts logged.
    let (_, n) = shop.get("/api/v1/me/notifications").await;
    assert!(
        items(&n).iter().any(|x| x["topic"] == "event.comment"),
        "{n}"
    );
    assert_eq!(
        to_alice(&smtp),
        1,
        "no e-mail once alice turned incident e-mails off"
    );
    let rx2 = Receiver::on(port).await;
    let did = pending["id"].as_str().unwrap().to_string();
    assert!(
        until(30, || rx2
            .hooks()
            .iter()
            .any(|h| h.header("idempotency-key") == did))
        .await,
        "delivered after the receiver came back"
    );
    let mut detail = Value::Null;
    for _ in 0..50 {
        let (_, d) = shop
            .get(&format!("/api/v1/orgs/shop/deliveries/{did}"))
            .await;
        if d["delivery"]["state"] == "delivered" {
            detail = d;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(detail["delivery"]["state"], "delivered", "{detail}");
    let attempts = detail["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 3, "{detail}");
    assert!(attempts[0]["code"].is_null() && attempts[0]["error"].is_string());
    assert_eq!(attempts.last().unwrap()["code"], 200);
    // A receiver that answers 500 is retried, with the code logged.
    *rx2.status.lock().unwrap() = 500;
    step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "resolve", "note": "done"}),
    )
    .await;
    let mut failing = Value::Null;
    for _ in 0..100 {
        let (_, l) = shop.get("/api/v1/orgs/shop/deliveries").await;
        if let Some(d) = items(&l)
            .into_iter()
            .find(|d| d["topic"] == "event.resolved" && d["last_code"] == 500)
        {
            failing = d;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failing["state"], "pending", "{failing}");
    *rx2.status.lock().unwrap() = 200;
    // A replay sends the same body with the same idempotency key.
    let before = rx2
        .hooks()
        .iter()
        .filter(|h| h.header("idempotency-key") == did)
        .count();
    let (s, r) = shop
        .post(
            &format!("/api/v1/orgs/shop/deliveries/{did}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    assert!(
        until(20, || rx2
            .hooks()
            .iter()
            .filter(|h| h.header("idempotency-key") == did)
            .count()
            > before)
        .await
    );
    let copies: Vec<Vec<u8>> = rx2
        .hooks()
        .iter()
        .filter(|h| h.header("idempotency-key") == did)
        .map(|h| h.body.clone())
        .collect();
    assert!(
        copies.windows(2).all(|w| w[0] == w[1]),
        "the same body every time"
    );
    // The replay is in the log.
    let (_, log) = shop.get("/api/v1/orgs/shop/log").await;
    assert!(items(&log).iter().any(|x| x["action"] == "delivery.replay"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_sqlite() {
    delivered(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_postgres() {
    delivered(true).await;
}

/// A world whose provider has `hooks` webhooks on `rx`, with the server's worker off; returns
/// it with the provider's admin client.
async fn many_hooks(
    pg: bool,
    test: &str,
    hooks: usize,
    rx: &Receiver,
) -> Option<(TestApp, common::World)> {
    let mut config = fast(None);
    config.worker.enabled = false;
    let t = TestApp::spawn_with(pg, test, config).await?;
    let w = world(&t).await;
    for i in 0..hooks {
        let (s, b) = w
            .provider
            .post(
                "/api/v1/orgs/ovhcloud/webhooks",
                json!({"url": format!("{}?n={i}", rx.url())}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    Some((t, w))
}

/// Another instance's worker on the same database.
async fn worker(
    t: &TestApp,
    batch: i64,
    lease: Duration,
) -> (
    onus_server::App,
    tokio::task::JoinHandle<()>,
    tokio::sync::watch::Sender<bool>,
) {
    let mut config = fast(None);
    config.database = t.database.clone();
    config.worker.batch = batch;
    config.worker.concurrency = 8;
    config.worker.lease = lease;
    let app = onus_server::App::open(config).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let h = app.start_worker(stopped).unwrap().unwrap();
    (app, h, stop)
}

async fn delivered_count(t: &TestApp, c: &Client) -> usize {
    let _ = t;
    let (_, l) = c.get("/api/v1/orgs/ovhcloud/deliveries?limit=500").await;
    items(&l)
        .iter()
        .filter(|d| d["state"] == "delivered")
        .count()
}

/// A worker killed mid-delivery (its task aborted, requests in flight cut): another
/// instance's worker takes over once the leases run out; every delivery arrives, and a
/// repeat, if any, carries the idempotency key the receiver already saw.
async fn restart_mid_delivery(pg: bool) {
    let rx = Receiver::start().await;
    *rx.delay.lock().unwrap() = Duration::from_millis(150);
    let Some((t, w)) = many_hooks(pg, "restart_mid_delivery", 30, &rx).await else {
        return;
    };
    for i in 0..3 {
        open(&w.shop, "shop", incident(&format!("incident {i}"))).await;
    }
    let (_, first, _stop) = worker(&t, 10, Duration::from_secs(1)).await;
    assert!(
        until(30, || rx.hooks().len() >= 15).await,
        "the first worker started delivering"
    );
    first.abort();
    let _ = first.await;
    let seen_before = rx.hooks().len();
    assert!(
        seen_before < 90,
        "killed mid-delivery ({seen_before} of 90)"
    );
    let (_, second, stop) = worker(&t, 10, Duration::from_secs(1)).await;
    let provider = w.provider.clone();
    let mut n = 0;
    for _ in 0..300 {
        n = delivered_count(&t, &provider).await;
        if n == 90 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(n, 90, "every delivery delivered after the restart");
    let mut keys: HashMap<String, usize> = HashMap::new();
    for h in rx.hooks() {
        *keys.entry(h.header("idempotency-key")).or_default() += 1;
    }
    assert_eq!(keys.len(), 90, "each delivery arrived");
    let repeats: usize = keys.values().map(|n| n - 1).sum();
    assert!(
        repeats <= 10,
        "only what was in flight is sent again ({repeats})"
    );
    let _ = stop.send(true);
    let _ = second.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_delivery_sqlite() {
    restart_mid_delivery(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_delivery_postgres() {
    restart_mid_delivery(true).await;
}

/// Two instances' workers on one database share the queue and never send a delivery twice.
async fn two_workers(pg: bool) {
    let rx = Receiver::start().await;
    let Some((t, w)) = many_hooks(pg, "two_workers", 40, &rx).await else {
        return;
    };
    for i in 0..4 {
        open(&w.shop, "shop", incident(&format!("incident {i}"))).await;
    }
    let (_, a, stop_a) = worker(&t, 20, Duration::from_secs(60)).await;
    let (_, b, stop_b) = worker(&t, 20, Duration::from_secs(60)).await;
    assert!(
        until(60, || rx.hooks().len() >= 160).await,
        "got {}",
        rx.hooks().len()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hooks = rx.hooks();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for h in &hooks {
        *keys.entry(h.header("idempotency-key")).or_default() += 1;
    }
    assert_eq!(keys.len(), 160);
    assert!(keys.values().all(|n| *n == 1), "a delivery was sent twice");
    for (s, h) in [(stop_a, a), (stop_b, b)] {
        let _ = s.send(true);
        let _ = h.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_sqlite() {
    two_workers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_postgres() {
    two_workers(true).await;
}

/// The `Subject:` header of a message as a mail reader shows it: unfolded, RFC 2047 encoded
/// words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) decoded.
fn subject(mail: &common::sinks::Mail) -> String {
    use base64::Engine;
    let data = mail.data.replace("\r\n", "\n");
    let start = data
        .find("\nSubject: ")
        .map(|i| i + "\nSubject: ".len())
        .expect("a Subject header");
    let mut raw = String::new();
    for (i, line) in data[start..].split('\n').enumerate() {
        if i > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        raw.push_str(line.trim_start());
        raw.push(' ');
    }
    let mut out = String::new();
    for word in raw.split_whitespace() {
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let (_, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match enc {
                    "b" | "B" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    _ => text.replace('_', " ").into_bytes(),
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            // Adjacent encoded words join without the space between them (RFC 2047, 6.2).
            Some(d) => out.push_str(&d),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                out.push(' ');
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// E-mail in each recipient's language, through a real SMTP server: OVHcloud's admin chose
/// French in the portal and receives the French template (subject and body); Shop SAS's
/// admin kept English and receives the English one, for the same event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_in_the_recipients_language() {
    let smtp = SmtpSink::start().await;
    let t = TestApp::spawn_with(false, "mail_lang", fast(Some(smtp.url())))
        .await
        .unwrap();
    let w = world(&t).await;
    // The provider's admin chooses French, as the language buttons do.
    let csrf = w.provider.csrf.clone().unwrap();
    let r = w
        .provider
        .req(reqwest::Method::POST, "/lang")
        .form(&[("lang", "fr"), ("back", "/dashboard"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let (_, me) = w.provider.get("/api/v1/me").await;
    assert_eq!(me["lang"], "fr", "{me}");
    let d = open(&w.shop, "shop", incident("checkout down")).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    step(
        &w.provider,
        "ovhcloud",
        &id,
        "transition",
        json!({"action": "acknowledge"}),
    )
    .await;
    let to = |who: &str| {
        let who = who.to_string();
        move |smtp: &SmtpSink| {
            smtp.mails()
                .into_iter()
                .find(|m| m.to.iter().any(|t| t.contains(&who)))
        }
    };
    let (fr, en) = (to("p@ovh.test"), to("alice@shop.test"));
    assert!(
        until(20, || fr(&smtp).is_some() && en(&smtp).is_some()).await,
        "both mails"
    );
    let (fr, en) = (fr(&smtp).unwrap(), en(&smtp).unwrap());
    // French: the opening, told to OVHcloud.
    assert_eq!(
        subject(&fr),
        "[onus] OVHCLOUD · ovhcloud-1 checkout down — a ouvert"
    );
    let body = fr.text();
    for line in [
        "Bonjour ovhcloud,",
        "shop — a ouvert — ovhcloud-1 checkout down",
        "Statut : ouvert · Gravité : haute",
        "L'ouvrir dans le portail :",
    ] {
        assert!(body.contains(line), "French mail lacks {line:?}:\n{body}");
    }
    assert!(!body.contains("Hello"), "{body}");
    // The HTML part too, French typography included.
    assert!(body.contains("<html lang=\"fr\">"), "{body}");
    assert!(body.contains("Statut : <strong>ouvert</strong>"), "{body}");
    // English: the acknowledgement, told to Shop SAS, which opened it.
    assert_eq!(
        subject(&en),
        "[onus] SHOP · ovhcloud-1 checkout down — acknowledged"
    );
    let body = en.text();
    for line in [
        "Hello shop,",
        "ovhcloud — acknowledged — ovhcloud-1 checkout down",
        "Severity: high",
        "Open it in the portal:",
    ] {
        assert!(body.contains(line), "English mail lacks {line:?}:\n{body}");
    }
    assert!(!body.contains("Bonjour"), "{body}");
    assert!(body.contains("<html lang=\"en\">"), "{body}");
    assert!(
        body.contains("Status: <strong>acknowledged</strong>"),
        "{body}"
    );
}
