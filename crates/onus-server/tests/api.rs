//! The API driven over HTTP, on SQLite and on PostgreSQL.

mod common;

use common::{example_audit, world, TestApp, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOW: &str = "2025-06-01T12:00:00Z";

fn v2_text() -> String {
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    text.replacen("version: \"2023-07-06\"", "version: \"2024-01-01\"", 1)
        .replacen(
            "{customer: \"I\", ovhcloud: \"RA\"}",
            "{customer: \"RA\", ovhcloud: \"I\"}",
            1,
        )
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// The whole life of a subscription: publish, subscribe, evidence, statuses equal to the
/// CLI's, a new version that moves a duty, acknowledgement, tokens, the log.
async fn lifecycle(t: TestApp) {
    let w = world(&t).await;
    // Statuses before any evidence: no duty passes.
    let (s, obl) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert_eq!(s, StatusCode::OK, "{obl}");
    let before = items(&obl);
    assert!(before.len() > 30, "{}", before.len());
    assert!(before.iter().all(|o| o["status"] != "passing"));

    // An audit run, as `onus audit -o json` wrote it.
    let report = example_audit("ovhcloud-mks", NOW);
    let (s, up) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            report.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{up}");
    assert_eq!(up["model"], "ovhcloud-mks");
    // Attestations, the example file as the CLI reads it.
    let atts = std::fs::read(common::repo().join("examples/shop-attestations.yaml")).unwrap();
    let (s, added) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/attestations?model=ovhcloud-mks",
            "application/yaml",
            atts.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let in_file = onus_audit::attest::parse("a.yaml", std::str::from_utf8(&atts).unwrap())
        .unwrap()
        .len();
    assert_eq!(added.as_array().unwrap().len(), in_file);

    // The server's statuses are the CLI's: the same join over the same data, at the same time.
    let cli: onus_audit::join::Report = serde_json::from_slice(&report).unwrap();
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    let model = onus_model::load_str(
        "m",
        text,
        onus_model::Vocabulary::builtin(),
        &Default::default(),
    )
    .model
    .unwrap();
    let attestations =
        onus_audit::attest::parse("a.yaml", std::str::from_utf8(&atts).unwrap()).unwrap();
    let now = chrono::Utc::now().fixed_offset();
    // `Report::rejoin` is the CLI's join of a stored report; here at the server's time.
    let mut cli = cli;
    cli.now = now.to_rfc3339();
    let expected = cli.rejoin(&model, &attestations, None).unwrap();
    let cust = expected
        .parties
        .iter()
        .find(|p| p.id == "customer")
        .unwrap();
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    let served = items(&obl);
    let mut compared = 0;
    for d in cust.sections.iter().flat_map(|s| &s.duties) {
        let o = served
            .iter()
            .find(|o| o["activity_id"] == d.activity.as_str())
            .unwrap();
        assert_eq!(o["duty_status"], d.status.as_str(), "{}", d.activity);
        compared += 1;
    }
    assert_eq!(compared, served.len());
    assert!(served.iter().any(|o| o["status"] == "failing"));
    assert!(served
        .iter()
        .any(|o| o["status"] == "overdue" || o["status"] == "attested"));

    // Filters and paging.
    let (_, failing) = w
        .shop
        .get("/api/v1/orgs/shop/obligations?status=failing")
        .await;
    assert!(items(&failing).iter().all(|o| o["status"] == "failing"));
    let (s, e) = w
        .shop
        .get("/api/v1/orgs/shop/obligations?status=green")
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    let (_, p1) = w.shop.get("/api/v1/orgs/shop/obligations?limit=5").await;
    assert_eq!((items(&p1).len(), p1["next_offset"].as_i64()), (5, Some(5)));

    // An obligation: owner, notes, its evidence history.
    let id = served[0]["id"].as_str().unwrap().to_string();
    let (s, d) = w
        .shop
        .patch(
            &format!("/api/v1/orgs/shop/obligations/{id}"),
            json!({"owner": "team-platform", "notes": "see runbook"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["obligation"]["owner"], "team-platform");
    assert_eq!(d["audits"].as_array().unwrap().len(), 1);

    // The provider's duties, as the customer sees them.
    let (_, subs) = w.shop.get("/api/v1/orgs/shop/subscriptions").await;
    let sub = items(&subs)[0]["id"].as_str().unwrap().to_string();
    let (s, prov) = w
        .shop
        .get(&format!(
            "/api/v1/orgs/shop/subscriptions/{sub}/provider-obligations"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{prov}");
    assert!(prov
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["party_id"] == "ovhcloud"));

    // A new version moving a duty onto the customer: flagged until acknowledged.
    let (s, b) = w
        .provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            v2_text().into_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, again) = w
        .provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            v2_text().into_bytes(),
        )
        .await;
    assert_eq!(
        (s, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (_, notices) = w.shop.get("/api/v1/orgs/shop/notices?pending=true").await;
    let n = &notices.as_array().unwrap()[0];
    assert_eq!(n["moves_duty"], true);
    assert!(!n["diff"]["shifts"].as_array().unwrap().is_empty());
    let moved = n["diff"]["shifts"][0]["new_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert!(
        !items(&obl)
            .iter()
            .any(|o| o["activity_id"] == moved.as_str()),
        "not before acknowledgement"
    );
    let (s, ack) = w
        .shop
        .post(
            &format!(
                "/api/v1/orgs/shop/notices/{}/acknowledge",
                n["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert!(items(&obl)
        .iter()
        .any(|o| o["activity_id"] == moved.as_str() && o["version"] == "2024-01-01"));

    // A model with errors is refused with located findings.
    let (s, e) = w
        .provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            b"format: onus.model/v1\nid: x\nparties: 3\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["error"]["details"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{e}"
    );

    // Tokens: a CI job pushes an audit with one; revoked, it is refused.
    let (s, tok) = w
        .shop
        .post(
            "/api/v1/orgs/shop/tokens",
            json!({"name": "ci", "role": "member"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tok}");
    let ci = w.shop.with_token(tok["token"].as_str().unwrap());
    let (s, _) = ci
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            report.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = ci
        .post_raw(
            "/api/v1/orgs/rival/audits",
            "application/json",
            report.clone(),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a token acts for its organisation only"
    );
    let tid = tok["info"]["id"].as_str().unwrap();
    let r = w.shop.req(
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/shop/tokens/{tid}"),
    );
    assert_eq!(w.shop.send(r).await.0, StatusCode::NO_CONTENT);
    assert_eq!(ci.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);

    // Session changes need the CSRF header.
    let mut no_csrf = w.shop.clone();
    no_csrf.csrf = None;
    let (s, e) = no_csrf
        .post("/api/v1/orgs/shop/tokens", json!({"name": "x"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf"))
    );

    // The log has every write, chained.
    let (_, log) = w.shop.get("/api/v1/orgs/shop/log?limit=500").await;
    let entries = items(&log);
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "subscription.create",
        "audit.upload",
        "attestation.add",
        "obligation.update",
        "notice.acknowledge",
        "token.revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(t.app.store.verify_log().await.unwrap().problem.is_none());
    let (_, hist) = w
        .shop
        .get("/api/v1/orgs/shop/history?model=ovhcloud-mks")
        .await;
    assert!(hist.as_array().unwrap().len() >= 3, "{hist}");
}
both!(lifecycle);

/// Every endpoint, as the wrong organisation, the provider and an anonymous client: nothing
/// of a customer's leaks.
async fn confidentiality(t: TestApp) {
    let w = world(&t).await;
    let report = example_audit("ovhcloud-mks", NOW);
    let (_, up) = w
        .shop
        .post_raw("/api/v1/orgs/shop/audits", "application/json", report)
        .await;
    let audit = up["audit"]["id"].as_str().unwrap().to_string();
    let (_, att) = w
        .shop
        .post(
            "/api/v1/orgs/shop/attestations",
            json!({"model": "ovhcloud-mks", "activity": "3.1.7-r4", "date": "2025-03-01", "evidence": {"ref": "https://x", "sha256": "a".repeat(64)}}),
        )
        .await;
    let att = att[0]["id"].as_str().unwrap().to_string();
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations").await;
    let ob = items(&obl)[0]["id"].as_str().unwrap().to_string();
    let (_, subs) = w.shop.get("/api/v1/orgs/shop/subscriptions").await;
    let sub = items(&subs)[0]["id"].as_str().unwrap().to_string();
    let (_, files) = w
        .shop
        .get(&format!("/api/v1/orgs/shop/audits/{audit}"))
        .await;
    let file = files["file_id"].as_str().unwrap().to_string();
    let (_, tok) = w
        .shop
        .post("/api/v1/orgs/shop/tokens", json!({"name": "x"}))
        .await;
    let tok = tok["info"]["id"].as_str().unwrap().to_string();

    let reads = [
        "/api/v1/orgs/shop/users".to_string(),
        "/api/v1/orgs/shop/tokens".into(),
        "/api/v1/orgs/shop/subscriptions".into(),
        format!("/api/v1/orgs/shop/subscriptions/{sub}/provider-obligations"),
        "/api/v1/orgs/shop/notices".into(),
        "/api/v1/orgs/shop/obligations".into(),
        format!("/api/v1/orgs/shop/obligations/{ob}"),
        "/api/v1/orgs/shop/audits".into(),
        format!("/api/v1/orgs/shop/audits/{audit}"),
        "/api/v1/orgs/shop/attestations".into(),
        format!("/api/v1/orgs/shop/files/{file}"),
        format!("/api/v1/orgs/ovhcloud/files/{file}"),
        format!("/api/v1/orgs/rival/files/{file}"),
        "/api/v1/orgs/shop/log".into(),
        "/api/v1/orgs/shop/history?model=ovhcloud-mks".into(),
        "/api/v1/orgs/shop/shared".into(),
    ];
    let writes: Vec<(reqwest::Method, String, Value)> = vec![
        (
            reqwest::Method::POST,
            "/api/v1/orgs/shop/users".into(),
            json!({"email": "x@x.x", "name": "x", "role": "admin"}),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/orgs/shop/tokens".into(),
            json!({"name": "x"}),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/orgs/shop/tokens/{tok}"),
            json!({}),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/orgs/shop/subscriptions".into(),
            json!({"provider": "ovhcloud", "model": "ovhcloud-mks"}),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/orgs/shop/obligations/{ob}"),
            json!({"owner": "mallory"}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/shop/audits/{audit}/share"),
            json!({"shared": true}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/shop/attestations/{att}/share"),
            json!({"shared": true}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/rival/audits/{audit}/share"),
            json!({"shared": true}),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/orgs/rival/obligations/{ob}"),
            json!({"owner": "mallory"}),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/orgs/shop/attestations".into(),
            json!({"model": "ovhcloud-mks", "activity": "3.1.7-r4", "date": "2025-03-01", "evidence": {"ref": "x", "sha256": "a".repeat(64)}}),
        ),
    ];
    let anonymous = t.client();
    for (who, c) in [
        ("rival", &w.rival),
        ("provider", &w.provider),
        ("instance admin", &w.admin),
        ("anonymous", &anonymous),
    ] {
        for path in &reads {
            let (s, body) = c.get(path).await;
            if who == "instance admin" && path.ends_with("/users") {
                // The instance administrator manages accounts (docs/portal.md): it lists users,
                // never evidence.
                assert_eq!(s, StatusCode::OK);
                continue;
            }
            assert!(
                matches!(
                    s,
                    StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ),
                "{who} GET {path}: {s} {body}"
            );
            assert!(
                body.get("error").is_some(),
                "{who} GET {path}: JSON error expected, got {body}"
            );
            let text = body.to_string();
            assert!(
                !text.contains("3.1.7-r4") && !text.contains("mallory"),
                "{who} GET {path} leaked: {text}"
            );
        }
        for (m, path, body) in &writes {
            if who == "instance admin" && path.ends_with("/users") {
                continue; // it creates first admins, by design
            }
            let (s, b) = c.send(c.req(m.clone(), path).json(body)).await;
            assert!(
                matches!(
                    s,
                    StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ),
                "{who} {m} {path}: {s} {b}"
            );
        }
    }
    // Nothing changed: Alice's obligation has no owner, nothing is shared.
    let (_, d) = w
        .shop
        .get(&format!("/api/v1/orgs/shop/obligations/{ob}"))
        .await;
    assert!(d["obligation"]["owner"].is_null());
    let (_, shared) = w.provider.get("/api/v1/orgs/ovhcloud/shared").await;
    assert_eq!(shared.as_array().unwrap().len(), 0);
    // Shared item by item: the provider now sees that attestation, and only it.
    w.shop
        .post(
            &format!("/api/v1/orgs/shop/attestations/{att}/share"),
            json!({"shared": true}),
        )
        .await;
    let (_, shared) = w.provider.get("/api/v1/orgs/ovhcloud/shared").await;
    assert_eq!(shared.as_array().unwrap().len(), 1);
    assert_eq!(shared[0]["attestation"]["id"], att.as_str());
    assert_eq!(
        w.provider
            .get(&format!("/api/v1/orgs/ovhcloud/files/{file}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Customers never see each other, even by name.
    let (_, orgs) = w.rival.get("/api/v1/orgs").await;
    assert!(!orgs.to_string().contains("\"shop\""));
    // Anonymous sees nothing but sign-in and the API's description.
    assert_eq!(
        anonymous.get("/api/v1/models").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous.get("/api/v1/openapi.json").await.0,
        StatusCode::OK
    );
}
both!(confidentiality);

/// Bad input gets a JSON error naming the field, never a 500.
async fn bad_input(t: TestApp) {
    let w = world(&t).await;
    let cases: Vec<(reqwest::Method, &str, &str, Vec<u8>)> = vec![
        (reqwest::Method::POST, "/api/v1/auth/login", "application/json", b"{".to_vec()),
        (reqwest::Method::POST, "/api/v1/auth/login", "application/json", b"[]".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/audits", "application/json", b"{\"format\": 3}".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/audits", "application/json", vec![0xff, 0xfe]),
        (reqwest::Method::POST, "/api/v1/orgs/shop/audits", "application/json", b"{\"format\":\"onus.audit/v1\"}".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/attestations?model=ovhcloud-mks", "application/yaml", b"attestations: [{activity: nope}]".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/attestations?model=nope", "application/yaml", b"attestations: []".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/attestations", "multipart/form-data; boundary=x", b"--x\r\n".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/attestations", "application/json", b"{\"model\":\"ovhcloud-mks\",\"activity\":\"3.1.7-r4\",\"date\":\"yesterday\",\"evidence\":{\"ref\":\"x\",\"sha256\":\"00\"}}".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/shop/subscriptions", "application/json", b"{\"provider\":\"../..\",\"model\":\"x\"}".to_vec()),
        (reqwest::Method::POST, "/api/v1/orgs/ovhcloud/models", "application/yaml", vec![b'['; 100_000]),
        (reqwest::Method::GET, "/api/v1/orgs/shop/obligations?limit=-1", "", vec![]),
        (reqwest::Method::GET, "/api/v1/orgs/shop/obligations?limit=abc", "", vec![]),
        (reqwest::Method::GET, "/api/v1/orgs/%00/obligations", "", vec![]),
        (reqwest::Method::PUT, "/api/v1/me", "", vec![]),
        (reqwest::Method::GET, "/api/v1/nope", "", vec![]),
    ];
    for (m, path, ctype, body) in cases {
        let c = if path.contains("ovhcloud/models") {
            &w.provider
        } else {
            &w.shop
        };
        let mut r = c.req(m.clone(), path).body(body);
        if !ctype.is_empty() {
            r = r.header("content-type", ctype);
        }
        let (s, b) = c.send(r).await;
        assert!(s.is_client_error(), "{m} {path}: {s} {b}");
        assert!(b["error"]["code"].is_string(), "{m} {path}: {b}");
    }
    let (s, b) = w
        .shop
        .post("/api/v1/orgs/shop/tokens", json!({"name": 3}))
        .await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
        "{b}"
    );
    // Login is rate-limited per e-mail.
    let c = t.client();
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = c
            .post(
                "/api/v1/auth/login",
                json!({"email": "alice@shop.test", "password": "wrong password!"}),
            )
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let _ = ADMIN_PASSWORD;
}
both!(bad_input);

#[tokio::test]
async fn openapi_document() {
    let t = TestApp::spawn(false, "openapi").await.unwrap();
    let (s, doc) = t.client().get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (p, m) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/orgs", "post"),
        ("/api/v1/orgs/{org}/users", "post"),
        ("/api/v1/orgs/{org}/tokens", "post"),
        ("/api/v1/orgs/{org}/models", "post"),
        ("/api/v1/orgs/{org}/models", "get"),
        ("/api/v1/orgs/{org}/subscriptions", "post"),
        ("/api/v1/orgs/{org}/obligations", "get"),
        ("/api/v1/orgs/{org}/audits", "post"),
        ("/api/v1/orgs/{org}/attestations", "post"),
        ("/api/v1/orgs/{org}/log", "get"),
    ] {
        assert!(
            paths.get(p).and_then(|x| x.get(m)).is_some(),
            "{m} {p} missing"
        );
    }
}

/// Two instances on one PostgreSQL database: a session opened on one works on the other,
/// the rate limit is shared, writes through both keep one chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_database() {
    let Some(a) = TestApp::spawn(true, "two_instances").await else {
        return;
    };
    let b = TestApp::spawn_on(a.database.clone(), onus_server::Config::default()).await;
    let w = world(&a).await;
    // The session cookie from instance A, used on instance B.
    let mut on_b = w.shop.clone();
    on_b.base = b.base.clone();
    let (s, me) = on_b.get("/api/v1/me").await;
    assert_eq!(
        (s, me["email"].as_str()),
        (StatusCode::OK, Some("alice@shop.test"))
    );
    let report = example_audit("ovhcloud-mks", NOW);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let c = if i % 2 == 0 {
            w.shop.clone()
        } else {
            on_b.clone()
        };
        let r = report.clone();
        tasks.push(tokio::spawn(async move {
            c.post_raw("/api/v1/orgs/shop/audits", "application/json", r)
                .await
                .0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let (_, audits) = w.shop.get("/api/v1/orgs/shop/audits").await;
    assert_eq!(items(&audits).len(), 6);
    assert!(b.app.store.verify_log().await.unwrap().problem.is_none());
    // B keeps the obligations it computed (by the store's revision); a change made through A
    // moves the revision, so B's next answer has it: the instances agree without talking.
    let (_, before) = on_b.get("/api/v1/orgs/shop/obligations").await;
    let first = items(&before)[0]["id"].as_str().unwrap().to_string();
    assert_eq!(items(&before)[0]["owner"], Value::Null);
    let (s, _) = w
        .shop
        .patch(
            &format!("/api/v1/orgs/shop/obligations/{first}"),
            json!({"owner": "platform team"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, after) = on_b.get("/api/v1/orgs/shop/obligations").await;
    assert_eq!(items(&after)[0]["owner"], "platform team");
    // Sign-in attempts counted across both.
    let (ca, cb) = (a.client(), b.client());
    for i in 0..12 {
        let c = if i % 2 == 0 { &ca } else { &cb };
        c.post(
            "/api/v1/auth/login",
            json!({"email": "eve@rival.test", "password": "nope nope nope"}),
        )
        .await;
    }
    assert_eq!(
        cb.post(
            "/api/v1/auth/login",
            json!({"email": "eve@rival.test", "password": ADMIN_PASSWORD})
        )
        .await
        .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// `--tls-cert/--tls-key`: HTTPS with rustls, and the session cookie marked `Secure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (crt, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&crt, cert.cert.pem()).unwrap();
    std::fs::write(&key, cert.key_pair.serialize_pem()).unwrap();
    let db = onus_store::scratch::sqlite_path(dir.path());
    let t = TestApp::spawn_on(
        db,
        onus_server::Config {
            tls: Some((crt, key)),
            ..Default::default()
        },
    )
    .await;
    t.app
        .bootstrap(common::ADMIN_EMAIL, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    let base = t.base.replace("http://", "https://");
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": common::ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    // Plain HTTP on the TLS port is refused.
    assert!(reqwest::get(format!("{}/api/v1/openapi.json", t.base))
        .await
        .is_err());
}
