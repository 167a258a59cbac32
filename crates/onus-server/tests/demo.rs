//! The `--demo` portal's events, as issue 13's "Done when" says a new user drives them: the
//! server seeded by `onus_server::demo::seed_as` (what `onus serve --demo` runs, with the same
//! example audits, attestations and webhooks pointing at the demo's own receiver), then,
//! through the API as the demo's users: a customer opens an incident, the provider is
//! informed, answers, resolves, the accountable party approves; a change request performed
//! and one rejected; a forced upgrade published, acknowledged by the customer, tracked by the
//! provider, done. Every step is checked in both organisations' hash-chained log and at the
//! demo's webhook receiver (`/demo/webhook`), signature valid, each delivery once.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sinks::until;
use common::{logged, Client, TestApp, ADMIN_EMAIL};
use onus_server::demo::{seed_as, DemoInput};
use onus_server::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The demo as `onus serve --demo` seeds it, and its users' passwords by e-mail.
async fn demo() -> (TestApp, HashMap<String, String>) {
    let config = Config {
        demo: true,
        ..common::fast_worker(None)
    };
    let t = TestApp::spawn_with(false, "demo_events", config)
        .await
        .unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    let attestations =
        std::fs::read_to_string(common::repo().join("examples/shop-attestations.yaml")).unwrap();
    let users = seed_as(
        &t.app,
        ADMIN_EMAIL,
        DemoInput {
            audits: vec![
                (
                    "ovhcloud-mks".into(),
                    common::example_audit("ovhcloud-mks", &now),
                ),
                ("h8lio".into(), common::example_audit("h8lio", &now)),
            ],
            attestations: Some(("examples/shop-attestations.yaml".into(), attestations)),
            webhook_url: Some(format!("{}/demo/webhook", t.base)),
        },
    )
    .await
    .unwrap();
    let passwords = users.into_iter().map(|u| (u.email, u.password)).collect();
    (t, passwords)
}

async fn post(c: &Client, path: &str, body: Value) -> Value {
    let (s, b) = c.post(path, body).await;
    assert!(s.is_success(), "POST {path}: {s} {b}");
    b
}

/// Waits until the demo's receiver holds a delivery of `topic` about event `id` for `org`'s
/// webhook, with a valid signature.
async fn arrived(t: &TestApp, org: &str, id: &str, topic: &str) {
    let got = until(20, || {
        t.app
            .demo
            .received(org)
            .iter()
            .any(|r| r.topic == topic && r.body.contains(id))
    })
    .await;
    let seen: Vec<String> = t
        .app
        .demo
        .received(org)
        .iter()
        .filter(|r| r.body.contains(id))
        .map(|r| r.topic.clone())
        .collect();
    assert!(
        got,
        "{org}'s webhook received no {topic} for {id}; it has {seen:?}"
    );
    for r in t.app.demo.received(org) {
        assert!(r.problem.is_none(), "{org}: {}: {:?}", r.topic, r.problem);
    }
}

/// What opening an event answered is what reading it back gives (the store builds the
/// answer from the write's own data instead of reading it again).
async fn same_as_read_back(c: &Client, org: &str, opened: &Value) {
    let id = opened["event"]["id"].as_str().unwrap();
    let (s, read) = c.get(&format!("/api/v1/orgs/{org}/events/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_eq!(&read, opened);
}

/// The signed-in user's notifications mention event `id` with `topic` (within 20 s).
async fn told(c: &Client, id: &str, topic: &str) -> bool {
    for _ in 0..80 {
        let (_, n) = c.get("/api/v1/me/notifications").await;
        let hit = n["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|x| x["topic"] == topic && x["payload"]["event"]["id"] == id)
        });
        if hit {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_events_reach_the_log_and_the_receiver() {
    let (t, pw) = demo().await;
    let alice = t.login("alice@shop.demo", &pw["alice@shop.demo"]).await;
    let ovh = t
        .login("admin@ovhcloud.demo", &pw["admin@ovhcloud.demo"])
        .await;
    // The seeded events already reached the receiver: the seeded incident's closing.
    let (_, seeded) = alice.get("/api/v1/orgs/shop/events?state=closed").await;
    let seeded_id = seeded["items"][0]["id"].as_str().unwrap().to_string();
    arrived(&t, "shop", &seeded_id, "event.closed").await;

    // 1. An incident (3.2.1 rows 1 and 3): the customer opens, OVHcloud is informed, answers,
    //    resolves, and approves as the A.
    let d = post(&alice, "/api/v1/orgs/shop/events", json!({
        "type": "incident", "model": "ovhcloud-mks", "severity": "high", "service": "shop-prod cluster",
        "title": "Ingress returns 502 on every route",
        "description": "Since 14:02 UTC the load balancer answers 502."})).await;
    let id = d["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(d["event"]["state"], "open");
    same_as_read_back(&alice, "shop", &d).await;
    assert!(
        told(&ovh, &id, "event.opened").await,
        "OVHcloud's admin is informed"
    );
    arrived(&t, "ovhcloud", &id, "event.opened").await;
    let base = format!("/api/v1/orgs/ovhcloud/events/{id}");
    post(
        &ovh,
        &format!("{base}/transition"),
        json!({"action": "acknowledge"}),
    )
    .await;
    post(
        &ovh,
        &format!("{base}/comments"),
        json!({"body": "The load balancer lost its backends after a maintenance; re-attaching them."}),
    )
    .await;
    post(
        &ovh,
        &format!("{base}/transition"),
        json!({"action": "resolve", "note": "Backends re-attached; routes answer 200."}),
    )
    .await;
    // Shop SAS holds no A in 3.2.1-r3: refused.
    let (s, e) = alice
        .post(&format!("/api/v1/orgs/shop/events/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let closed = post(&ovh, &format!("{base}/approve"), json!({})).await;
    assert_eq!(closed["event"]["state"], "closed");
    for topic in [
        "event.acknowledged",
        "event.comment",
        "event.resolved",
        "event.closed",
    ] {
        arrived(&t, "shop", &id, topic).await;
        assert!(told(&alice, &id, topic).await, "Alice is told: {topic}");
    }
    let steps = [
        "event.open",
        "event.acknowledge",
        "event.comment",
        "event.resolve",
        "event.approve",
    ];
    assert_eq!(logged(&alice, "shop", &id).await, steps);
    assert_eq!(logged(&ovh, "ovhcloud", &id).await, steps);

    // 2. A change request (3.2.2 rows 3 and 4): requested, performed, approved; another
    //    rejected with its reason.
    let d = post(
        &alice,
        "/api/v1/orgs/shop/events",
        json!({
        "type": "change-request", "model": "ovhcloud-mks", "service": "shop-prod cluster",
        "title": "Raise the node pool's maximum to 10 nodes", "description": "Sales week."}),
    )
    .await;
    let cid = d["event"]["id"].as_str().unwrap().to_string();
    arrived(&t, "ovhcloud", &cid, "event.opened").await;
    let base = format!("/api/v1/orgs/ovhcloud/events/{cid}");
    post(
        &ovh,
        &format!("{base}/transition"),
        json!({"action": "acknowledge"}),
    )
    .await;
    post(
        &ovh,
        &format!("{base}/transition"),
        json!({"action": "resolve", "note": "Maximum raised to 10."}),
    )
    .await;
    post(&ovh, &format!("{base}/approve"), json!({})).await;
    for topic in ["event.acknowledged", "event.resolved", "event.closed"] {
        arrived(&t, "shop", &cid, topic).await;
    }
    let steps = [
        "event.open",
        "event.acknowledge",
        "event.resolve",
        "event.approve",
    ];
    assert_eq!(logged(&alice, "shop", &cid).await, steps);
    assert_eq!(logged(&ovh, "ovhcloud", &cid).await, steps);
    let d = post(&alice, "/api/v1/orgs/shop/events", json!({
        "type": "change-request", "model": "ovhcloud-mks", "title": "Give us root on the control plane"})).await;
    let rid = d["event"]["id"].as_str().unwrap().to_string();
    post(
        &ovh,
        &format!("/api/v1/orgs/ovhcloud/events/{rid}/transition"),
        json!({"action": "reject", "note": "The control plane is OVHcloud's to operate (3.1.1)."}),
    )
    .await;
    arrived(&t, "shop", &rid, "event.rejected").await;
    let (_, r) = alice.get(&format!("/api/v1/orgs/shop/events/{rid}")).await;
    assert_eq!(r["event"]["state"], "rejected");
    assert_eq!(
        r["event"]["resolution"],
        "The control plane is OVHcloud's to operate (3.1.1)."
    );
    assert_eq!(
        logged(&alice, "shop", &rid).await,
        ["event.open", "event.reject"]
    );

    // 3. A forced upgrade (3.1.6-r4): published with a date, acknowledged by the customer,
    //    tracked by OVHcloud, done and approved.
    let due = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let d = post(&ovh, "/api/v1/orgs/ovhcloud/events", json!({
        "type": "forced-upgrade", "model": "ovhcloud-mks", "due": due,
        "title": "Kubernetes 1.30 reaches end of support", "description": "Upgrade to 1.31 before the date."})).await;
    let uid = d["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(d["event"]["acknowledged_customers"], 0);
    same_as_read_back(&ovh, "ovhcloud", &d).await;
    arrived(&t, "shop", &uid, "event.opened").await;
    assert!(told(&alice, &uid, "event.opened").await);
    post(
        &alice,
        &format!("/api/v1/orgs/shop/events/{uid}/transition"),
        json!({"action": "acknowledge"}),
    )
    .await;
    arrived(&t, "ovhcloud", &uid, "event.receipt").await;
    assert!(told(&ovh, &uid, "event.receipt").await);
    let (_, u) = ovh
        .get(&format!("/api/v1/orgs/ovhcloud/events/{uid}"))
        .await;
    assert_eq!(u["event"]["acknowledged_customers"], 1, "{}", u["event"]);
    let shop_part = u["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["org"]["slug"] == "shop")
        .unwrap();
    assert_eq!(shop_part["acknowledged_by"], "Alice Durand");
    let base = format!("/api/v1/orgs/ovhcloud/events/{uid}");
    post(
        &ovh,
        &format!("{base}/transition"),
        json!({"action": "resolve", "note": "Every cluster runs 1.31."}),
    )
    .await;
    post(&ovh, &format!("{base}/approve"), json!({})).await;
    for topic in ["event.resolved", "event.closed"] {
        arrived(&t, "shop", &uid, topic).await;
    }
    let steps = [
        "event.open",
        "event.receipt",
        "event.resolve",
        "event.approve",
    ];
    assert_eq!(logged(&alice, "shop", &uid).await, steps);
    assert_eq!(logged(&ovh, "ovhcloud", &uid).await, steps);

    // The chain holds; the receiver saw each delivery once; its page shows them.
    assert!(t.app.store.verify_log().await.unwrap().problem.is_none());
    for org in ["shop", "ovhcloud"] {
        let twice: Vec<_> = t
            .app
            .demo
            .received(org)
            .into_iter()
            .filter(|r| r.seen > 1)
            .collect();
        assert!(twice.is_empty(), "{org}: delivered twice: {twice:?}");
    }
    let page = alice
        .req(reqwest::Method::GET, "/demo/webhook")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("event.rejected") && page.contains("signature valid"),
        "the receiver's page"
    );
    assert!(
        !page.contains("event.receipt"),
        "Shop SAS sees its own webhook's deliveries only"
    );
}
