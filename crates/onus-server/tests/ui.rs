//! The pages over HTTP: every page renders for every kind of user, and no page or form shows
//! or changes another organisation's data (as the wrong customer, the provider, an anonymous
//! client).

mod common;

use common::{example_audit, world, TestApp, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

/// A browser-like client: cookies, no redirects followed, the forms' CSRF token.
struct Browser {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key)? + key.len();
    Some(html[i..].split('"').next()?.to_string())
}

impl Browser {
    fn new(t: &TestApp) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: t.base.clone(),
            csrf: String::new(),
        }
    }

    async fn sign_in(t: &TestApp, email: &str) -> Browser {
        let mut b = Browser::new(t);
        let page = b.get("/login").await.1;
        let form = &page[page.find("action=\"/login\"").unwrap()..];
        let token = hidden(form, "csrf").unwrap();
        let res = b
            .http
            .post(format!("{}/login", b.base))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("password", ADMIN_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
        let dash = b.get("/dashboard").await.1;
        b.csrf = hidden(&dash, "csrf").filter(|c| c.len() == 64).unwrap();
        b
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut f: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        f.extend_from_slice(form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&f)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

async fn pages(t: TestApp) {
    let w = world(&t).await;
    w.shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            example_audit("ovhcloud-mks", "2025-06-01T12:00:00Z"),
        )
        .await;
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations").await;
    let ob = obl["items"][0]["id"].as_str().unwrap().to_string();
    let (_, a) = w.admin.post("/api/v1/orgs/shop/users", json!({"email": "carol@shop.test", "name": "Carol", "role": "auditor", "password": ADMIN_PASSWORD})).await;
    assert!(a["user"]["id"].is_string(), "{a}");
    let personas = [
        ("root@portal.test", false),
        ("p@ovh.test", false),
        ("alice@shop.test", true),
        ("carol@shop.test", true),
    ];
    for (email, customer) in personas {
        let b = Browser::sign_in(&t, email).await;
        let mut paths = vec!["/dashboard".to_string()];
        if email != "root@portal.test" {
            paths.extend(
                [
                    "/obligations",
                    "/obligations?status=failing",
                    "/models",
                    "/versions",
                    "/evidence",
                    "/admin",
                    "/log",
                    "/matrix/ovhcloud/ovhcloud-mks",
                ]
                .map(String::from),
            );
        }
        if customer {
            paths.push(format!("/obligations/{ob}"));
        }
        if email == "p@ovh.test" {
            paths.push("/shared".into());
        }
        for p in &paths {
            let (s, html) = b.get(p).await;
            assert_eq!(s, StatusCode::OK, "{email} {p}: {html}");
            assert!(
                html.contains("<main") && !html.contains("the server failed"),
                "{email} {p}"
            );
        }
        // French on request.
        b.post("/lang", &[("lang", "fr"), ("back", "/dashboard")])
            .await;
        assert!(b.get("/dashboard").await.1.contains("lang=\"fr\""));
    }
    // The provider publishes a new version through the form; a broken one is refused with
    // its located findings.
    let prov = Browser::sign_in(&t, "p@ovh.test").await;
    prov.post("/lang", &[("lang", "en"), ("back", "/models")])
        .await;
    let (_, v1) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    let v2 = v1.replacen("version: \"2023-07-06\"", "version: \"2024-01-01\"", 1);
    for (body, status, expect) in [
        (v2.as_str(), StatusCode::OK, "Published"),
        (
            "format: onus.model/v1\nid: x\nparties: 3\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "line",
        ),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("csrf", prov.csrf.clone())
            .text("body", body.to_string());
        let r = prov
            .http
            .post(format!("{}/models", prov.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
        let html = r.text().await.unwrap();
        assert!(html.contains(expect), "{html}");
    }
    // An auditor sees no form that changes anything.
    let carol = Browser::sign_in(&t, "carol@shop.test").await;
    let page = carol.get(&format!("/obligations/{ob}")).await.1;
    assert!(!page.contains("action=\"/evidence/attestation\""));
    let (s, _) = carol
        .post(&format!("/obligations/{ob}"), &[("owner", "carol")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Anonymous: every page sends to sign-in.
    let anon = Browser::new(&t);
    for p in [
        "/dashboard",
        "/obligations",
        "/evidence",
        "/admin",
        "/log",
        "/models",
        "/versions",
    ] {
        let (s, _) = anon.get(p).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{p}");
    }
}
both!(pages);

async fn page_confidentiality(t: TestApp) {
    let w = world(&t).await;
    let (_, up) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            example_audit("ovhcloud-mks", "2025-06-01T12:00:00Z"),
        )
        .await;
    let audit = up["audit"]["id"].as_str().unwrap().to_string();
    let file = up["audit"]["file_id"].as_str().unwrap().to_string();
    let (_, obl) = w.shop.get("/api/v1/orgs/shop/obligations").await;
    let ob = obl["items"][0]["id"].as_str().unwrap().to_string();
    let (_, tok) = w
        .shop
        .post("/api/v1/orgs/shop/tokens", json!({"name": "ci"}))
        .await;
    let tok = tok["info"]["id"].as_str().unwrap().to_string();
    let (_, notices) = w.shop.get("/api/v1/orgs/shop/notices").await;
    assert!(notices.as_array().unwrap().is_empty());
    for email in ["eve@rival.test", "p@ovh.test", "root@portal.test"] {
        let b = Browser::sign_in(&t, email).await;
        for p in [format!("/obligations/{ob}"), format!("/files/{file}")] {
            let (s, html) = b.get(&p).await;
            assert!(
                matches!(s, StatusCode::NOT_FOUND | StatusCode::SEE_OTHER),
                "{email} GET {p}: {s}"
            );
            assert!(
                !html.contains("3.1.7-r4")
                    || p.starts_with("/obligations") && s == StatusCode::SEE_OTHER,
                "{email} {p} leaked"
            );
        }
        for (p, form) in [
            (format!("/obligations/{ob}"), vec![("owner", "mallory")]),
            (
                "/evidence/share".to_string(),
                vec![
                    ("kind", "audit"),
                    ("id", audit.as_str()),
                    ("shared", "true"),
                ],
            ),
            (format!("/admin/tokens/{tok}/revoke"), vec![]),
        ] {
            let (s, _) = b.post(&p, &form).await;
            assert!(
                matches!(
                    s,
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::SEE_OTHER
                ),
                "{email} POST {p}: {s}"
            );
        }
        let (_, dash) = b.get("/dashboard").await;
        assert!(
            !dash.contains("SHOP") || email != "eve@rival.test",
            "{email} sees the customer on its dashboard"
        );
    }
    // Nothing changed.
    let (_, d) = w
        .shop
        .get(&format!("/api/v1/orgs/shop/obligations/{ob}"))
        .await;
    assert!(d["obligation"]["owner"].is_null());
    let (_, a) = w
        .shop
        .get(&format!("/api/v1/orgs/shop/audits/{audit}"))
        .await;
    assert_eq!(a["shared"], false);
    let (_, toks) = w.shop.get("/api/v1/orgs/shop/tokens").await;
    assert!(toks["items"][0]["revoked_at"].is_null());
    // A form without the session's CSRF token is refused.
    let mut alice = Browser::sign_in(&t, "alice@shop.test").await;
    alice.csrf = "0".repeat(64);
    let (s, _) = alice
        .post(&format!("/obligations/{ob}"), &[("owner", "x")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both!(page_confidentiality);

/// The leaving pages as forms: the export by an admin only, ending a subscription as the wrong
/// organisation, and the instance administrator's import page on a second instance, whose
/// one-time password signs the customer's admin in there.
async fn leaving_pages(t: TestApp) {
    let w = world(&t).await;
    let (s, b) = w.admin.post("/api/v1/orgs/shop/users", json!({"email": "bob@shop.test", "name": "Bob", "role": "member", "password": ADMIN_PASSWORD})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, subs) = w.shop.get("/api/v1/orgs/shop/subscriptions").await;
    let sub = subs["items"][0]["id"].as_str().unwrap().to_string();

    let alice = Browser::sign_in(&t, "alice@shop.test").await;
    let (s, page) = alice.get("/leave").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("action=\"/leave/export\"") && page.contains("action=\"/leave/end\""));
    // Deleting waits for the end of the service: no form yet.
    assert!(!page.contains("action=\"/leave/delete\""), "{page}");

    // A member sees the page but neither the export nor the end, and cannot post them.
    let bob = Browser::sign_in(&t, "bob@shop.test").await;
    let (s, page) = bob.get("/leave").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("action=\"/leave/export\"") && !page.contains("action=\"/leave/end\""));
    assert_eq!(
        bob.post("/leave/export", &[]).await.0,
        StatusCode::FORBIDDEN
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let end = [("subscription", sub.as_str()), ("end_date", today.as_str())];
    assert_eq!(bob.post("/leave/end", &end).await.0, StatusCode::FORBIDDEN);
    // Another customer cannot end the shop's subscription: it does not see it.
    let eve = Browser::sign_in(&t, "eve@rival.test").await;
    assert_eq!(eve.post("/leave/end", &end).await.0, StatusCode::NOT_FOUND);
    let (_, subs) = w.shop.get("/api/v1/orgs/shop/subscriptions").await;
    assert!(subs["items"][0]["end"].is_null(), "{subs}");

    // The admin's export, from the form: a whole archive.
    let r = alice
        .http
        .post(format!("{}/leave/export", alice.base))
        .form(&[("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let archive = r.bytes().await.unwrap().to_vec();
    let checked = onus_archive::archive::read(archive.as_slice(), |_, _| Ok(())).unwrap();
    assert_eq!(checked.manifest_sha256.len(), 64);

    // The second instance's administrator imports it from its page.
    let other = TestApp::spawn(t.database.starts_with("postgres"), "leaving_pages_target")
        .await
        .unwrap();
    let root = Browser::sign_in(&other, common::ADMIN_EMAIL).await;
    assert!(root
        .get("/dashboard")
        .await
        .1
        .contains("action=\"/admin/import\""));
    let upload = |csrf: String| {
        reqwest::multipart::Form::new().text("csrf", csrf).part(
            "file",
            reqwest::multipart::Part::bytes(archive.clone()).file_name("shop.tar"),
        )
    };
    // Not without the form's CSRF token.
    let r = root
        .http
        .post(format!("{}/admin/import", root.base))
        .multipart(upload("0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = root
        .http
        .post(format!("{}/admin/import", root.base))
        .multipart(upload(root.csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("alice@shop.test") && html.contains("bob@shop.test"),
        "{html}"
    );
    let row = &html[html.find("alice@shop.test").unwrap()..];
    let key = "<code class=\"secret\">";
    let i = row.find(key).unwrap() + key.len();
    let password = &row[i..i + row[i..].find('<').unwrap()];
    let there = other.login("alice@shop.test", password).await;
    let (s, me) = there.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["org"]["slug"], "shop", "{me}");
}
both!(leaving_pages);
