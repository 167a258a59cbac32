//! Reversibility and the end of service, on SQLite and on PostgreSQL: export, import into
//! another instance and export again (the same archive), a provider's export, the
//! end-of-service checklist, and a deletion that leaves nothing but its record.

mod common;

use std::collections::BTreeMap;

use common::{example_audit, world, Client, TestApp, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOW: &str = "2025-06-01T12:00:00Z";

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// The files of an archive, checked against its manifest.
fn files(archive: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    onus_archive::archive::read(archive, |path, r| {
        let mut b = Vec::new();
        std::io::Read::read_to_end(r, &mut b)?;
        out.insert(path.to_string(), b);
        Ok(())
    })
    .expect("a valid archive");
    out
}

async fn download(c: &Client, path: &str) -> (StatusCode, Vec<u8>) {
    let res = c.req(reqwest::Method::GET, path).send().await.unwrap();
    let s = res.status();
    (s, res.bytes().await.unwrap().to_vec())
}

async fn attach(c: &Client, org: &str, activity: &str, name: &str, content: &[u8]) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("model", "ovhcloud-mks")
        .text("activity", activity.to_string())
        .text("date", "2025-03-01")
        .text("note", format!("{org}'s note"))
        .part(
            "file",
            reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string()),
        );
    let (s, b) = c
        .send(
            c.req(
                reqwest::Method::POST,
                &format!("/api/v1/orgs/{org}/attestations"),
            )
            .multipart(form),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b[0].clone()
}

/// A comment on an event's timeline, with a file or not; returns the event's detail.
async fn comment(
    c: &Client,
    org: &str,
    id: &str,
    body: &str,
    file: Option<(&str, &[u8])>,
) -> Value {
    let mut form = reqwest::multipart::Form::new().text("body", body.to_string());
    if let Some((name, content)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(content.to_vec())
                .file_name(name.to_string())
                .mime_str("text/plain")
                .unwrap(),
        );
    }
    let (s, d) = c
        .send(
            c.req(
                reqwest::Method::POST,
                &format!("/api/v1/orgs/{org}/events/{id}/comments"),
            )
            .multipart(form),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d
}

/// A page's `<main>`, what the user reads (the header and the CSRF token are the session's).
fn main_of(page: &[u8]) -> String {
    let page = String::from_utf8_lossy(page);
    let start = page.find("<main").expect("a <main>");
    let end = page.find("</main>").expect("a </main>");
    page[start..end].to_string()
}

/// A customer with evidence of every kind: audits, attestations with files, owners and
/// notes, events with their timelines and files, notification settings, a webhook... what an
/// export must carry.
async fn busy_shop(t: &TestApp) -> common::World {
    let w = world(t).await;
    let (s, b) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            example_audit("ovhcloud-mks", NOW),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    attach(
        &w.shop,
        "shop",
        "3.1.7-r4",
        "backup-test.txt",
        b"restore test passed, shop",
    )
    .await;
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    let first = items(&obl)[0]["id"].as_str().unwrap().to_string();
    let (s, b) = w
        .shop
        .patch(
            &format!("/api/v1/orgs/shop/obligations/{first}"),
            json!({"owner": "platform team", "notes": "reviewed monthly"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Events: the shop's incident, with a file; the provider's incident (to the shop and the
    // rival), with the provider's file, the shop's and the rival's comments.
    let (s, ev) = w
        .shop
        .post(
            "/api/v1/orgs/shop/events",
            json!({"type": "incident", "model": "ovhcloud-mks", "title": "shop pods time out",
                   "description": "since 09:12", "severity": "high"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["event"]["id"].as_str().unwrap().to_string();
    comment(
        &w.shop,
        "shop",
        &id,
        "kubectl events attached",
        Some(("events.txt", b"shop timeout log")),
    )
    .await;
    let (s, pe) = w
        .provider
        .post(
            "/api/v1/orgs/ovhcloud/events",
            json!({"type": "provider-incident", "model": "ovhcloud-mks", "title": "ovh-wide outage", "severity": "low"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pe}");
    let pid = pe["event"]["id"].as_str().unwrap().to_string();
    comment(
        &w.provider,
        "ovhcloud",
        &pid,
        "post-mortem attached",
        Some(("post-mortem.txt", b"provider post-mortem")),
    )
    .await;
    comment(&w.shop, "shop", &pid, "shop sees it too", None).await;
    comment(
        &w.rival,
        "rival",
        &pid,
        "rival-words",
        Some(("rival.txt", b"rival-file")),
    )
    .await;
    // Notification settings and a webhook.
    let (s, b) = w
        .shop
        .send(
            w.shop
                .req(reqwest::Method::PUT, "/api/v1/me/notification-settings")
                .json(&json!([{"kind": "announcement", "channel": "email", "enabled": false}])),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = w
        .shop
        .post(
            "/api/v1/orgs/shop/webhooks",
            json!({"url": "https://hooks.shop.example/onus", "kinds": ["incident"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The worker tells the shop's users (asynchronously): wait for its notifications.
    for _ in 0..100 {
        let (_, n) = w.shop.get("/api/v1/me/notifications").await;
        if !items(&n).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    w
}

/// Export, import into a fresh instance, sign in there with the printed password, see the
/// same obligations, export again: the same archive but for the instance-specific files.
async fn round_trip(t: TestApp) {
    let w = busy_shop(&t).await;
    let (s, first) = download(&w.shop, "/api/v1/orgs/shop/export").await;
    assert_eq!(s, StatusCode::OK);
    let a = files(&first);
    for f in [
        "export.json",
        "organisation.json",
        "users.jsonl",
        "models.jsonl",
        "subscriptions.jsonl",
        "obligations.jsonl",
        "files.jsonl",
        "audits.jsonl",
        "attestations.jsonl",
        "status_history.jsonl",
        "events.jsonl",
        "event_files.jsonl",
        "notification_prefs.jsonl",
        "notifications.jsonl",
        "webhooks.jsonl",
        "log/head.json",
        "log/entries.jsonl",
    ] {
        assert!(a.contains_key(f), "{f} missing: {:?}", a.keys());
    }
    // Every table the coverage list calls exported names a file of the archive.
    for (table, cov) in onus_store::deletion::TABLES {
        if let onus_store::deletion::Coverage::Exported(what) = cov {
            let file = what.split([' ', ',', ':']).next().unwrap();
            if file.ends_with(".json") || file.ends_with(".jsonl") {
                assert!(
                    a.contains_key(file),
                    "`{table}` is exported to {file}, which the archive lacks"
                );
            }
        }
    }
    // The events as the shop sees them: both, their timelines, the provider's file, never
    // the rival (its name, its words, its file).
    let events = String::from_utf8(a["events.jsonl"].clone()).unwrap();
    assert_eq!(events.lines().count(), 2, "{events}");
    for needle in [
        "shop pods time out",
        "kubectl events attached",
        "ovh-wide outage",
        "post-mortem attached",
        "shop sees it too",
    ] {
        assert!(events.contains(needle), "events.jsonl lacks `{needle}`");
    }
    let all: Vec<u8> = a.values().flatten().copied().collect();
    for needle in ["rival", "eve@rival.test"] {
        assert!(
            !all.windows(needle.len()).any(|x| x == needle.as_bytes()),
            "the shop's export holds `{needle}`"
        );
    }
    assert!(String::from_utf8_lossy(&a["event_files.jsonl"]).contains("post-mortem.txt"));
    assert!(String::from_utf8_lossy(&a["notification_prefs.jsonl"]).contains("announcement"));
    assert!(
        !a["notifications.jsonl"].is_empty(),
        "no notification exported"
    );
    let hooks = String::from_utf8_lossy(&a["webhooks.jsonl"]).to_string();
    assert!(
        hooks.contains("https://hooks.shop.example/onus") && hooks.contains("whsec_"),
        "{hooks}"
    );
    let users = String::from_utf8(a["users.jsonl"].clone()).unwrap();
    assert!(
        users.contains("alice@shop.test") && !users.contains("argon2"),
        "{users}"
    );
    let obligations = String::from_utf8(a["obligations.jsonl"].clone()).unwrap();
    assert!(obligations.contains("platform team") && obligations.contains("reviewed monthly"));
    assert!(a
        .keys()
        .any(|k| k.starts_with("models/ovhcloud/ovhcloud-mks/")));
    // The audit report, the attestation's file, the shop's file on its event and the
    // provider's on its incident.
    assert_eq!(a.keys().filter(|k| k.starts_with("files/")).count(), 4);
    // Every file reads against the format's JSON Schema.
    let schema = onus_archive::format::schema();
    for (file, def) in [
        ("users.jsonl", "User"),
        ("models.jsonl", "ModelVersion"),
        ("subscriptions.jsonl", "Subscription"),
        ("obligations.jsonl", "Obligation"),
        ("files.jsonl", "File"),
        ("audits.jsonl", "Audit"),
        ("attestations.jsonl", "Attestation"),
        ("status_history.jsonl", "StatusPoint"),
        ("events.jsonl", "Event"),
        ("event_files.jsonl", "EventFile"),
        ("notification_prefs.jsonl", "NotificationPref"),
        ("notifications.jsonl", "Notification"),
        ("webhooks.jsonl", "Webhook"),
        ("log/entries.jsonl", "LogLine"),
    ] {
        let s = json!({"$defs": schema["$defs"], "$ref": format!("#/$defs/{def}")});
        let v = jsonschema::validator_for(&s).unwrap();
        for line in String::from_utf8(a[file].clone()).unwrap().lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert!(v.is_valid(&value), "{file}: {line}");
        }
    }

    // The shop's statuses, to compare on the other side.
    let (_, before) = w.shop.get("/api/v1/orgs/shop/obligations?limit=500").await;
    let statuses = |v: &Value| -> Vec<(String, String, Option<String>)> {
        items(v)
            .iter()
            .map(|o| {
                (
                    o["activity_id"].as_str().unwrap().to_string(),
                    o["status"].as_str().unwrap().to_string(),
                    o["owner"].as_str().map(str::to_string),
                )
            })
            .collect()
    };

    let (s, here) = download(&w.shop, "/dashboard").await;
    assert_eq!(s, StatusCode::OK);

    // Another instance, on a database of its own.
    let other = TestApp::spawn(t.database.starts_with("postgres"), "round_trip_target")
        .await
        .unwrap();
    let admin = other.admin().await;
    let (s, report) = admin
        .post_raw("/api/v1/imports", "application/x-tar", first.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    assert!(report["models_created"][0]
        .as_str()
        .unwrap()
        .starts_with("ovhcloud/ovhcloud-mks"));
    let password = report["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "alice@shop.test")
        .unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string();
    // The same archive again: refused, nothing imported twice.
    let (s, _) = admin
        .post_raw("/api/v1/imports", "application/x-tar", first.clone())
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    let alice = other.login("alice@shop.test", &password).await;
    let (_, after) = alice.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert_eq!(statuses(&before), statuses(&after));
    // The same dashboard: its whole content, figures, charts and lists, as on the first instance.
    let (s, there) = download(&alice, "/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        main_of(&here),
        main_of(&there),
        "the dashboard differs after the import"
    );
    assert!(
        main_of(&there).contains("class=\"big\""),
        "{}",
        main_of(&there)
    );

    // The events, their timelines and the provider's file, there too.
    let (_, evs) = alice.get("/api/v1/orgs/shop/events").await;
    assert_eq!(items(&evs).len(), 2, "{evs}");
    let outage = items(&evs)
        .into_iter()
        .find(|e| e["title"] == "ovh-wide outage")
        .unwrap();
    let (s, detail) = alice
        .get(&format!(
            "/api/v1/orgs/shop/events/{}",
            outage["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    let file = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["file"]["id"].as_str())
        .expect("the provider's file on the timeline")
        .to_string();
    let (s, content) = download(&alice, &format!("/api/v1/orgs/shop/files/{file}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(content, b"provider post-mortem");

    // The rival's export of the same provider incident, into the same instance: the one event
    // gains the rival's part and its own step, which the shop still does not see.
    let (s, rival_archive) = download(&w.rival, "/api/v1/orgs/rival/export").await;
    assert_eq!(s, StatusCode::OK);
    let (s, report) = admin
        .post_raw("/api/v1/imports", "application/x-tar", rival_archive)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let eve_password = report["users"][0]["password"].as_str().unwrap().to_string();
    let eve = other.login("eve@rival.test", &eve_password).await;
    let (s, seen) = eve
        .get(&format!(
            "/api/v1/orgs/rival/events/{}",
            outage["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert!(
        seen.to_string().contains("rival-words")
            && seen.to_string().contains("post-mortem attached"),
        "{seen}"
    );
    let (_, detail) = alice
        .get(&format!(
            "/api/v1/orgs/shop/events/{}",
            outage["id"].as_str().unwrap()
        ))
        .await;
    assert!(!detail.to_string().contains("rival"), "{detail}");

    let (s, second) = download(&alice, "/api/v1/orgs/shop/export").await;
    assert_eq!(s, StatusCode::OK);
    let b = files(&second);
    // The same files, byte for byte, but those documented as instance-specific.
    let specific = |k: &str| {
        k == "export.json" || k.starts_with("log/") || k == "manifest.json" || k == "signature.json"
    };
    let ka: Vec<&String> = a.keys().filter(|k| !specific(k)).collect();
    let kb: Vec<&String> = b.keys().filter(|k| !specific(k)).collect();
    assert_eq!(ka, kb);
    for k in ka {
        assert!(a[k] == b[k], "{k} differs after the round trip");
    }
    // export.json: only its instance-specific fields differ.
    let (ea, eb): (Value, Value) = (
        serde_json::from_slice(&a["export.json"]).unwrap(),
        serde_json::from_slice(&b["export.json"]).unwrap(),
    );
    for f in ["format", "organisation", "scope", "generator"] {
        assert_eq!(ea[f], eb[f], "{f}");
    }
    assert_ne!(ea["instance_key"], eb["instance_key"]);
}
both!(round_trip);

/// Two instances each numbered their provider's first incident #1: imported into a third,
/// both keep their ids, timelines and customers, and the second takes the provider's next
/// number there.
async fn event_numbers(t: TestApp) {
    let pg = t.database.starts_with("postgres");
    let a = world(&t).await;
    let t2 = TestApp::spawn(pg, "event_numbers_b").await.unwrap();
    let b = world(&t2).await;
    let mut ids = Vec::new();
    for (w, title) in [
        (&a, "first instance's outage"),
        (&b, "second instance's outage"),
    ] {
        let (s, e) = w
            .provider
            .post(
                "/api/v1/orgs/ovhcloud/events",
                json!({"type": "provider-incident", "model": "ovhcloud-mks", "title": title, "severity": "low"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!(e["event"]["number"], 1, "{e}");
        ids.push(e["event"]["id"].as_str().unwrap().to_string());
    }
    let target = TestApp::spawn(pg, "event_numbers_target").await.unwrap();
    let admin = target.admin().await;
    let mut users = Vec::new();
    for (c, org) in [(&a.rival, "rival"), (&b.shop, "shop")] {
        let (s, archive) = download(c, &format!("/api/v1/orgs/{org}/export")).await;
        assert_eq!(s, StatusCode::OK);
        let (s, report) = admin
            .post_raw("/api/v1/imports", "application/x-tar", archive)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{report}");
        let u = &report["users"][0];
        users.push((
            u["email"].as_str().unwrap().to_string(),
            u["password"].as_str().unwrap().to_string(),
        ));
    }
    let eve = target.login(&users[0].0, &users[0].1).await;
    let alice = target.login(&users[1].0, &users[1].1).await;
    let (_, e) = eve
        .get(&format!("/api/v1/orgs/rival/events/{}", ids[0]))
        .await;
    assert_eq!(e["event"]["number"], 1, "{e}");
    assert_eq!(e["event"]["title"], "first instance's outage");
    let (_, e) = alice
        .get(&format!("/api/v1/orgs/shop/events/{}", ids[1]))
        .await;
    assert_eq!(e["event"]["number"], 2, "{e}");
    assert_eq!(e["event"]["title"], "second instance's outage");
    assert!(!e["steps"].as_array().unwrap().is_empty(), "{e}");
}
both!(event_numbers);

/// What is refused: a member or another organisation exporting, an altered archive (nothing
/// is imported), an import by someone else than the instance administrator.
async fn refusals(t: TestApp) {
    let w = busy_shop(&t).await;
    let (s, b) = w
        .shop
        .post(
            "/api/v1/orgs/shop/users",
            json!({"email": "bob@shop.test", "name": "Bob", "role": "member", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bob = t.login("bob@shop.test", ADMIN_PASSWORD).await;
    assert_eq!(
        bob.get("/api/v1/orgs/shop/export").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.rival.get("/api/v1/orgs/shop/export").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.client().get("/api/v1/orgs/shop/export").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, archive) = download(&w.shop, "/api/v1/orgs/shop/export").await;
    assert_eq!(
        w.shop
            .post_raw("/api/v1/imports", "application/x-tar", archive.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // One byte of an evidence file changed: the import names it and imports nothing.
    let other = TestApp::spawn(t.database.starts_with("postgres"), "refusals_target")
        .await
        .unwrap();
    let admin = other.admin().await;
    let mut bad = archive.clone();
    let at = bad
        .windows(25)
        .position(|x| x == b"restore test passed, shop")
        .unwrap();
    bad[at] = b'R';
    let (s, e) = admin
        .post_raw("/api/v1/imports", "application/x-tar", bad)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("files/"),
        "{e}"
    );
    let (_, orgs) = admin.get("/api/v1/orgs").await;
    assert_eq!(orgs.as_array().unwrap().len(), 0, "{orgs}");
    // A webhook of a kind this onus does not know, in an archive rebuilt around it (unsigned,
    // its manifest consistent): refused, nothing imported.
    let mut entries = Vec::new();
    onus_archive::archive::read(archive.as_slice(), |path, r| {
        let mut b = Vec::new();
        std::io::Read::read_to_end(r, &mut b)?;
        entries.push((path.to_string(), b));
        Ok(())
    })
    .unwrap();
    let mut rebuilt = onus_archive::archive::Writer::new(Vec::new());
    for (path, bytes) in &entries {
        if path == "manifest.json" || path == "signature.json" {
            continue;
        }
        let bytes = if path == "webhooks.jsonl" {
            String::from_utf8(bytes.clone())
                .unwrap()
                .replace(r#"["incident"]"#, r#"["everything"]"#)
                .into_bytes()
        } else {
            bytes.clone()
        };
        rebuilt.add_bytes(path, &bytes).unwrap();
    }
    let (rebuilt, _, _) = rebuilt.finish(None).unwrap();
    let (s, e) = admin
        .post_raw("/api/v1/imports", "application/x-tar", rebuilt)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("webhooks.jsonl:1: kinds"), "{e}");
    let (_, orgs) = admin.get("/api/v1/orgs").await;
    assert_eq!(orgs.as_array().unwrap().len(), 0, "{orgs}");
    // Cut short: the manifest is missing.
    let cut = archive[..archive.len() / 2].to_vec();
    let (s, _) = admin
        .post_raw("/api/v1/imports", "application/x-tar", cut)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
both!(refusals);

/// A provider's export: its models and versions, its own evidence, never a customer's, even
/// shared with it.
async fn provider_export(t: TestApp) {
    let w = busy_shop(&t).await;
    let (_, audits) = w.shop.get("/api/v1/orgs/shop/audits").await;
    let audit = items(&audits)[0].clone();
    let (s, _) = w
        .shop
        .post(
            &format!(
                "/api/v1/orgs/shop/audits/{}/share",
                audit["id"].as_str().unwrap()
            ),
            json!({"shared": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    attach(
        &w.provider,
        "ovhcloud",
        "5.2-r1",
        "destruction-process.txt",
        b"provider's own",
    )
    .await;
    let (s, archive) = download(&w.provider, "/api/v1/orgs/ovhcloud/export").await;
    assert_eq!(s, StatusCode::OK);
    let f = files(&archive);
    assert!(f
        .keys()
        .any(|k| k.starts_with("models/ovhcloud/ovhcloud-mks/")));
    assert!(f
        .values()
        .any(|v| v.windows(14).any(|x| x == b"provider's own")));
    let shop_id = {
        let (_, me) = w.shop.get("/api/v1/me").await;
        me["org"]["id"].as_str().unwrap().to_string()
    };
    // Its side of events: the incident it published, its own comment and file; not the
    // shop's incident, nor what the customers wrote on its incident.
    let events = String::from_utf8_lossy(&f["events.jsonl"]).to_string();
    assert_eq!(events.lines().count(), 1, "{events}");
    assert!(events.contains("ovh-wide outage") && events.contains("post-mortem attached"));
    assert!(f
        .values()
        .any(|v| v.windows(20).any(|x| x == b"provider post-mortem")));
    for needle in [
        audit["id"].as_str().unwrap(),
        audit["file_id"].as_str().unwrap(),
        shop_id.as_str(),
        "alice@shop.test",
        "restore test passed",
        "shop timeout log",
        "rival-file",
    ] {
        let found: Vec<&String> = f
            .iter()
            .filter(|(_, v)| v.windows(needle.len()).any(|x| x == needle.as_bytes()))
            .map(|(k, _)| k)
            .collect();
        assert!(
            found.is_empty(),
            "the provider's export holds `{needle}` in {found:?}"
        );
    }
    // What customers wrote on events is not its side of them; only its users' notifications
    // (what they were told, as they were told it) and its own log entries (to whom it
    // published) name them.
    for needle in ["shop pods time out", "shop sees it too", "rival"] {
        let found: Vec<&String> = f
            .iter()
            .filter(|(k, _)| k.as_str() != "notifications.jsonl" && !k.starts_with("log/"))
            .filter(|(_, v)| v.windows(needle.len()).any(|x| x == needle.as_bytes()))
            .map(|(k, _)| k)
            .collect();
        assert!(
            found.is_empty(),
            "the provider's export holds `{needle}` in {found:?}"
        );
    }
    assert_eq!(String::from_utf8_lossy(&f["subscriptions.jsonl"]), "");

    // Into another instance and out again: the same events, its file there.
    let other = TestApp::spawn(t.database.starts_with("postgres"), "provider_export_target")
        .await
        .unwrap();
    let admin = other.admin().await;
    let (s, report) = admin
        .post_raw("/api/v1/imports", "application/x-tar", archive)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let u = &report["users"][0];
    let p = other
        .login(
            u["email"].as_str().unwrap(),
            u["password"].as_str().unwrap(),
        )
        .await;
    let (s, again) = download(&p, "/api/v1/orgs/ovhcloud/export").await;
    assert_eq!(s, StatusCode::OK);
    let g = files(&again);
    for k in [
        "events.jsonl",
        "event_files.jsonl",
        "files.jsonl",
        "webhooks.jsonl",
    ] {
        assert!(f[k] == g[k], "{k} differs after the round trip");
    }
}
both!(provider_export);

/// Ending a subscription: the model's end-of-service activities as a checklist, each line on
/// the right party, ticked off by that party only.
async fn end_of_service(t: TestApp) {
    let w = world(&t).await;
    let (_, subs) = w.shop.get("/api/v1/orgs/shop/subscriptions").await;
    let sub = items(&subs)[0]["id"].as_str().unwrap().to_string();
    let end = format!("/api/v1/orgs/shop/subscriptions/{sub}/end");
    let (s, e) = w.shop.post(&end, json!({"end_date": "2001-01-01"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let today = chrono::Utc::now().date_naive();
    let (s, e) = w
        .shop
        .post(
            &end,
            json!({"end_date": today.to_string(), "reason": "moving"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["ended_by_party"], "customer");
    assert_eq!(
        w.shop
            .post(&end, json!({"end_date": today.to_string()}))
            .await
            .0,
        StatusCode::CONFLICT
    );

    let (_, list) = w.shop.get("/api/v1/orgs/shop/end-of-service").await;
    let list = list.as_array().unwrap().clone();
    let line = |a: &str| list.iter().find(|i| i["activity_id"] == a).unwrap().clone();
    assert_eq!(list.len(), 7);
    assert_eq!(line("5.1-r1")["party_kind"], "customer");
    assert_eq!(line("5.1-r1")["due"], today.to_string());
    assert_eq!(line("5.2-r1")["party_kind"], "provider");
    assert_eq!(
        line("5.2-r1")["due"],
        (today + chrono::Days::new(30)).to_string()
    );
    assert_eq!(line("5.1-r1")["informed"], json!(["OVHcloud"]));
    // The customer ticks its own line, not the provider's.
    let mine = line("5.1-r1")["id"].as_str().unwrap().to_string();
    let theirs = line("5.2-r1")["id"].as_str().unwrap().to_string();
    let (s, b) = w
        .shop
        .patch(
            &format!("/api/v1/orgs/shop/end-of-service/{mine}"),
            json!({"done": true, "note": "cluster deleted"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["done_at"].is_string());
    assert_eq!(
        w.shop
            .patch(
                &format!("/api/v1/orgs/shop/end-of-service/{theirs}"),
                json!({"done": true})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The provider sees the checklist and ticks its line; another customer sees nothing.
    let (_, plist) = w.provider.get("/api/v1/orgs/ovhcloud/end-of-service").await;
    assert_eq!(plist.as_array().unwrap().len(), 7);
    let (s, b) = w
        .provider
        .patch(
            &format!("/api/v1/orgs/ovhcloud/end-of-service/{theirs}"),
            json!({"done": true, "note": "data destroyed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, rlist) = w.rival.get("/api/v1/orgs/rival/end-of-service").await;
    assert_eq!(rlist, json!([]));
    // The provider terminates the rival's subscription.
    let (_, psubs) = w.provider.get("/api/v1/orgs/ovhcloud/subscriptions").await;
    let rival_sub = items(&psubs)
        .into_iter()
        .find(|s| s["org"]["slug"] == "rival")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = w
        .provider
        .post(
            &format!("/api/v1/orgs/ovhcloud/subscriptions/{rival_sub}/end"),
            json!({"end_date": (today + chrono::Days::new(90)).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["ended_by_party"], "provider");
    // The rival cannot end the shop's subscription.
    assert_eq!(
        w.rival
            .post(
                &format!("/api/v1/orgs/rival/subscriptions/{sub}/end"),
                json!({"end_date": today.to_string()})
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Deleting the rival is refused while its service runs.
    let (s, e) = w
        .rival
        .send(
            w.rival
                .req(reqwest::Method::DELETE, "/api/v1/orgs/rival?confirm=rival"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
}
both!(end_of_service);

/// Every table of the schema is covered by the export and the deletion (or is the
/// instance's): a branch that adds a tenant table must say how it leaves.
async fn every_table_is_covered(t: TestApp) {
    use onus_store::deletion::{Coverage, TABLES};
    let tables = onus_store::scratch::tables(&t.database).await;
    for (name, org) in &tables {
        let cov = TABLES
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| panic!("table `{name}` is covered by neither the export nor the deletion: add it to onus_store::deletion::TABLES"));
        assert!(
            !(*org && matches!(cov, Coverage::Instance(_))),
            "table `{name}` holds tenant data (org_id) but is marked as the instance's"
        );
    }
    for (name, _) in TABLES {
        assert!(
            tables.iter().any(|(n, _)| n == name),
            "TABLES names `{name}`, which the schema does not have"
        );
    }
}
both!(every_table_is_covered);

/// The deletion: everything of the tenant gone from the database's files, but its record;
/// a certificate that verifies against the published key; the log still verifies and still
/// catches tampering; the space reclaimed; a blob another tenant shares kept.
async fn deletion_leaves_nothing(t: TestApp) {
    let admin = t.admin().await;
    for (slug, name, kind, email) in [
        ("ovhcloud", "OVHcloud", "provider", "p@ovh.test"),
        (
            "zq-tenant",
            "Zqx Tenant Corp",
            "customer",
            "zq-alice@zq.test",
        ),
        ("other", "Other", "customer", "o@other.test"),
    ] {
        let (s, b) = admin
            .post("/api/v1/orgs", json!({"slug": slug, "name": name, "kind": kind, "admin": {"email": email, "name": format!("Zqadmin {slug}"), "password": ADMIN_PASSWORD}}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let provider = t.login("p@ovh.test", ADMIN_PASSWORD).await;
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            text.as_bytes().to_vec(),
        )
        .await;
    let zq = t.login("zq-alice@zq.test", ADMIN_PASSWORD).await;
    let other = t.login("o@other.test", ADMIN_PASSWORD).await;
    for (c, org) in [(&zq, "zq-tenant"), (&other, "other")] {
        let (s, b) = c
            .post(
                &format!("/api/v1/orgs/{org}/subscriptions"),
                json!({"provider": "ovhcloud", "model": "ovhcloud-mks"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = zq
        .post_raw(
            "/api/v1/orgs/zq-tenant/audits",
            "application/json",
            example_audit("ovhcloud-mks", NOW),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let audit_id = b["audit"]["id"].as_str().unwrap().to_string();
    let own = attach(
        &zq,
        "zq-tenant",
        "3.1.7-r4",
        "zq-proof.txt",
        b"zq tenant's own restore test 7f3a",
    )
    .await;
    // The same content uploaded by another organisation: its copy stays.
    let shared = attach(
        &zq,
        "zq-tenant",
        "3.1.7-r4",
        "common.txt",
        b"a content two tenants share",
    )
    .await;
    attach(
        &other,
        "other",
        "3.1.7-r4",
        "common.txt",
        b"a content two tenants share",
    )
    .await;
    let (s, b) = zq
        .post("/api/v1/orgs/zq-tenant/users", json!({"email": "zq-bob@zq.test", "name": "Zqbob Member", "role": "member", "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bob_id = b["user"]["id"].as_str().unwrap().to_string();
    let zq_bob = t.login("zq-bob@zq.test", ADMIN_PASSWORD).await;
    let (s, tok) = zq
        .post(
            "/api/v1/orgs/zq-tenant/tokens",
            json!({"name": "zq-ci-token"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tok}");
    let token = tok["token"].as_str().unwrap().to_string();
    // A failed sign-in leaves a counter keyed by the e-mail address.
    let _ = t
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"email": "zq-bob@zq.test", "password": "wrong password!"}),
        )
        .await;
    let (_, me) = zq.get("/api/v1/me").await;
    let org_id = me["org"]["id"].as_str().unwrap().to_string();
    let alice_id = me["user_id"].as_str().unwrap().to_string();
    let (_, subs) = zq.get("/api/v1/orgs/zq-tenant/subscriptions").await;
    let sub = items(&subs)[0]["id"].as_str().unwrap().to_string();
    let (_, obl) = zq.get("/api/v1/orgs/zq-tenant/obligations?limit=500").await;
    let ob = items(&obl)[0]["id"].as_str().unwrap().to_string();
    zq.patch(
        &format!("/api/v1/orgs/zq-tenant/obligations/{ob}"),
        json!({"owner": "zq-owner-team", "notes": "zq-secret-note"}),
    )
    .await;

    // Events (issue 13): an incident the tenant opens, and the provider's incident it takes
    // part in.
    let (s, ev) = zq
        .post(
            "/api/v1/orgs/zq-tenant/events",
            json!({"type": "incident", "model": "ovhcloud-mks", "title": "zq-incident-title",
                   "description": "zq pods time out", "severity": "high"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let event_id = ev["event"]["id"].as_str().unwrap().to_string();
    let provider = t.login("p@ovh.test", ADMIN_PASSWORD).await;
    let (s, pe) = provider
        .post(
            "/api/v1/orgs/ovhcloud/events",
            json!({"type": "provider-incident", "model": "ovhcloud-mks", "title": "ovh-wide outage", "severity": "low"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pe}");

    // Not before the service ends.
    let del = "/api/v1/orgs/zq-tenant?confirm=zq-tenant";
    assert_eq!(
        zq.send(zq.req(reqwest::Method::DELETE, del)).await.0,
        StatusCode::CONFLICT
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, b) = zq
        .post(
            &format!("/api/v1/orgs/zq-tenant/subscriptions/{sub}/end"),
            json!({"end_date": today}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, archive) = download(&zq, "/api/v1/orgs/zq-tenant/export").await;
    assert_eq!(s, StatusCode::OK);
    let manifest = onus_archive::archive::read(archive.as_slice(), |_, _| Ok(()))
        .unwrap()
        .manifest_sha256;
    // Not by a member, a token, nor without the slug.
    assert_eq!(
        zq_bob
            .send(zq_bob.req(reqwest::Method::DELETE, del))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let by_token = zq.with_token(&token);
    assert_eq!(
        by_token
            .send(by_token.req(reqwest::Method::DELETE, del))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, _) = zq
        .send(zq.req(reqwest::Method::DELETE, "/api/v1/orgs/zq-tenant?confirm=zq"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let size_before = onus_size(&t.database).await;
    let (s, report) = zq.send(zq.req(reqwest::Method::DELETE, del)).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["reclaimed"], true, "{report}");
    let cert = &report["certificate"];
    assert_eq!(cert["export"]["manifest_sha256"], manifest);
    assert_eq!(cert["deleted"]["users"], 2);
    assert_eq!(cert["deleted"]["audits"], 1);
    assert_eq!(cert["deleted"]["blobs"], 2, "{cert}");
    assert!(cert["deleted"]["sessions"].as_i64().unwrap() >= 2, "{cert}");
    assert_eq!(cert["deleted"]["api_tokens"], 1);
    // The certificate verifies, offline, against the key the instance publishes.
    let (_, key) = t.client().get("/.well-known/onus/instance-key").await;
    let public = onus_archive::cert::parse_public_key(&key.to_string()).unwrap();
    let (s, text) = download(&t.client(), report["certificate_url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(text).unwrap();
    let c = onus_archive::cert::verify(&text, &public).unwrap();
    assert_eq!(c.organisation.slug, "zq-tenant");
    assert!(onus_archive::cert::verify(&text.replace("zq-tenant", "zq-tenanz"), &public).is_err());
    // The accounts are gone: the session, the token.
    assert_eq!(zq.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(by_token.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // The other tenant's copy of the shared content is still there.
    let (_, oatt) = other.get("/api/v1/orgs/other/attestations").await;
    let ofile = oatt[0]["file_id"].as_str().unwrap();
    let (s, body) = download(&other, &format!("/api/v1/orgs/other/files/{ofile}")).await;
    assert_eq!(
        (s, body.as_slice()),
        (StatusCode::OK, &b"a content two tenants share"[..])
    );

    // Nothing of the tenant in the database's files, but its deletion record.
    let forbidden: Vec<String> = vec![
        alice_id,
        bob_id,
        "zq-alice@zq.test".into(),
        "zq-bob@zq.test".into(),
        "Zqbob Member".into(),
        audit_id,
        own["id"].as_str().unwrap().into(),
        own["file_id"].as_str().unwrap().into(),
        own["evidence_sha256"].as_str().unwrap().into(),
        shared["id"].as_str().unwrap().into(),
        sub.clone(),
        ob,
        "zq-owner-team".into(),
        "zq-secret-note".into(),
        "zq-proof.txt".into(),
        "zq tenant's own restore test".into(),
        "zq-ci-token".into(),
        "zq-incident-title".into(),
        "zq pods time out".into(),
        event_id,
        tok["info"]["prefix"]
            .as_str()
            .unwrap_or("onus_zzzzzz")
            .into(),
        onus_archive::sha256_hex(token.as_bytes()),
    ];
    let record_only: Vec<String> = vec![
        org_id.clone(),
        "zq-tenant".into(),
        "Zqx Tenant Corp".into(),
        "Zqadmin zq-tenant".into(),
    ];
    let found = onus_store::scratch::occurrences(&t.database, &forbidden, &[]).await;
    assert!(
        found.is_empty(),
        "left after the deletion: {found:#?} of {forbidden:#?}"
    );
    // The provider's own incident stays, without the deleted customer.
    let (_, pevents) = provider.get("/api/v1/orgs/ovhcloud/events").await;
    assert!(pevents.to_string().contains("ovh-wide outage"), "{pevents}");
    let found = outside_record(&t.database, &record_only).await;
    assert!(
        found.is_empty(),
        "left outside the deletion record: {found:#?}"
    );
    if !t.database.starts_with("postgres") {
        // The record is there.
        let found = onus_store::scratch::occurrences(&t.database, &record_only[..1], &[]).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            onus_size(&t.database).await < size_before,
            "the file did not shrink"
        );
    }

    // The log still verifies, with the tenant's entries as hashes only...
    let v = t.app.store.verify_log().await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
    assert!(v.redacted > 10, "{v:?}");
    // ... and still catches tampering, in a redacted entry too.
    onus_store::scratch::execute_raw(
        &t.database,
        "UPDATE log SET content_hash = 'aa' || substr(content_hash, 3) WHERE seq = (SELECT MIN(seq) FROM log WHERE redacted_by IS NOT NULL)",
    )
    .await
    .unwrap();
    let v = t.app.store.verify_log().await.unwrap();
    assert!(v.problem.is_some(), "{v:?}");
}
both!(deletion_leaves_nothing);

/// Where needles occur outside the deletion record: on PostgreSQL, every table but
/// `deletions`; on SQLite, the raw bytes of a copy of the file without the `deletions` rows.
async fn outside_record(database: &str, needles: &[String]) -> Vec<String> {
    if database.starts_with("postgres") {
        return onus_store::scratch::occurrences(database, needles, &["deletions"]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db").display().to_string();
    std::fs::copy(database, &copy).unwrap();
    onus_store::scratch::execute_raw(&copy, "DELETE FROM deletions")
        .await
        .unwrap();
    onus_store::scratch::execute_raw(&copy, "VACUUM")
        .await
        .unwrap();
    onus_store::scratch::occurrences(&copy, needles, &[]).await
}

async fn onus_size(database: &str) -> u64 {
    if database.starts_with("postgres") {
        return 0;
    }
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{database}{s}")).ok())
        .map(|m| m.len())
        .sum()
}

/// A retention setting keeps the content of the tenant's log entries until its date, says
/// so in the certificate, and the purge removes it then.
async fn retention(t: TestApp) {
    let kept = TestApp::spawn_on(
        t.database.clone(),
        onus_server::Config {
            retention: onus_store::deletion::Retention {
                log_content: Some(chrono::Duration::days(5 * 365)),
                log_content_setting: Some("P5Y".into()),
            },
            ..Default::default()
        },
    )
    .await;
    let w = world(&kept).await;
    let (_, me) = w.rival.get("/api/v1/me").await;
    let rival_id = me["org"]["id"].as_str().unwrap().to_string();
    let (_, subs) = w.rival.get("/api/v1/orgs/rival/subscriptions").await;
    let sub = items(&subs)[0]["id"].as_str().unwrap().to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    w.rival
        .post(
            &format!("/api/v1/orgs/rival/subscriptions/{sub}/end"),
            json!({"end_date": today}),
        )
        .await;
    let (s, report) = w
        .rival
        .send(
            w.rival
                .req(reqwest::Method::DELETE, "/api/v1/orgs/rival?confirm=rival"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let kept_line = report["certificate"]["kept"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["until"].is_string())
        .cloned()
        .unwrap();
    assert!(
        kept_line["why"].as_str().unwrap().contains("P5Y"),
        "{kept_line}"
    );
    let found = outside_record(&t.database, &["eve@rival.test".to_string()]).await;
    assert!(
        !found.is_empty(),
        "the content was kept for the retention period"
    );
    // Five years and a day later.
    let n = kept
        .app
        .store
        .redact_expired(chrono::Utc::now() + chrono::Duration::days(5 * 365 + 1))
        .await
        .unwrap();
    assert!(n > 3, "{n}");
    let found = outside_record(&t.database, &["eve@rival.test".to_string(), rival_id]).await;
    assert!(found.is_empty(), "{found:#?}");
    let v = kept.app.store.verify_log().await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
}
both!(retention);
