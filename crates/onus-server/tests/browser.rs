//! A real browser (headless Chromium driven by chromedriver over WebDriver) clicks through the
//! portal as a customer would: sign in, subscribe, upload an attestation, acknowledge a new
//! version, see the status change, sign out. Screenshots of the main pages are saved under
//! `target/screenshots/` (look at them).
//!
//! Needs `chromium` and `chromedriver` (`.ci/install-chromium` installs them); skipped, loudly,
//! without them outside CI.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestApp, ADMIN_PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share a process group of their own: end
        // them all, so that a failing test leaves no browser behind.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<Driver> {
    let found = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!(
                "chromedriver is missing under CI: .ci/run installs it with .ci/install-chromium"
            );
        }
        eprintln!("SKIPPED browser test: chromedriver is not installed (run .ci/install-chromium)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some(Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    })
}

async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            "--window-size=1280,900", "--lang=en-GB",
            format!("--user-data-dir={}", d._profile.path().display()),
        ]}),
    );
    let url = format!("http://127.0.0.1:{}", d.port);
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("chromedriver did not answer on {url}");
}

async fn shot(c: &Client, name: &str) {
    let dir = common::repo().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    // The whole page: resize the window to the document's height first.
    let h = c
        .execute("return Math.max(document.body.scrollHeight, 900)", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .min(4000);
    let _ = c
        .set_window_size(1280, u32::try_from(h).unwrap_or(900))
        .await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    mobile(c, name, &dir).await;
    let _ = c.set_window_size(1280, 900).await;
}

/// The same page at a phone's width (390 CSS pixels, an iPhone 12 to 15): nothing may be
/// wider than the screen (wide tables scroll inside their own box), and the whole page is
/// saved as `NAME-390.png`.
async fn mobile(c: &Client, name: &str, dir: &std::path::Path) {
    let _ = c.set_window_size(390, 844).await;
    let measure = c
        .execute(
            "const w = document.documentElement.clientWidth; \
             const wide = Array.from(document.querySelectorAll('body *')) \
               .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > w + 1) \
               .slice(0, 8) \
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'); \
             return [w, document.documentElement.scrollWidth, wide.join(', ')];",
            vec![],
        )
        .await
        .unwrap();
    let width = measure[0].as_u64().unwrap();
    let scroll = measure[1].as_u64().unwrap();
    assert!(
        width <= 400,
        "{name}: the window is {width} px wide, not a phone's"
    );
    assert!(
        scroll <= width,
        "{name} at {width} px: the page scrolls sideways ({scroll} px wide); too wide: {}",
        measure[2]
    );
    let h = c
        .execute("return Math.max(document.body.scrollHeight, 844)", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(844)
        .min(8000);
    let _ = c
        .set_window_size(390, u32::try_from(h).unwrap_or(844))
        .await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}-390.png")), png).unwrap();
}

/// Fills the sign-in form the browser shows and sends it.
async fn sign_in(c: &Client, email: &str) {
    fill(c, "email", email).await;
    fill(c, "password", ADMIN_PASSWORD).await;
    click(c, "sign-in").await;
}

/// Waits until the browser is on a page whose path ends with `suffix`.
async fn on(c: &Client, suffix: &str) -> bool {
    for _ in 0..50 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.path().ends_with(suffix))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The main content's text once it contains `needle` (a click's navigation may not have
/// started when the old page still reads as loaded), or the last text after 5 s.
async fn text_with(c: &Client, needle: &str) -> String {
    let mut page = String::new();
    for _ in 0..50 {
        page = text(c).await;
        if page.contains(needle) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page
}

/// The main content's text, once the page that a click led to has loaded.
async fn text(c: &Client) -> String {
    for _ in 0..50 {
        let ready = c
            .execute("return document.readyState", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        if ready.as_deref() == Some("complete") {
            if let Ok(e) = c.find(Locator::Css("main")).await {
                if let Ok(t) = e.text().await {
                    return t;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page did not load");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn click_through() {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn(false, "browser").await.unwrap();
    // The instance admin creates the organisations; the provider publishes its model.
    let admin = t.admin().await;
    for (slug, kind, email) in [
        ("ovhcloud", "provider", "p@ovh.test"),
        ("shop", "customer", "alice@shop.test"),
    ] {
        admin
            .post("/api/v1/orgs", json!({"slug": slug, "name": if slug == "shop" { "Shop SAS" } else { "OVHcloud" }, "kind": kind, "admin": {"email": email, "name": if slug == "shop" { "Alice Durand" } else { "Olivier Vidal" }, "password": ADMIN_PASSWORD}}))
            .await;
    }
    let provider = t.login("p@ovh.test", ADMIN_PASSWORD).await;
    let (_, text_v1) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            text_v1.as_bytes().to_vec(),
        )
        .await;

    let c = browser(&driver).await;
    let base = &t.base;
    // Sign in.
    c.goto(&format!("{base}/")).await.unwrap();
    shot(&c, "01-sign-in").await;
    sign_in(&c, "alice@shop.test").await;
    assert!(on(&c, "/dashboard").await);
    // Subscribe.
    c.goto(&format!("{base}/models")).await.unwrap();
    click(&c, "subscribe-ovhcloud-mks").await;
    let page = text_with(&c, "Subscribed").await;
    assert!(page.contains("Subscribed"), "{page}");
    assert!(page.contains("3.1.7-r4"));
    // Push the example audit as CI would, then look at the pages.
    let (_, tok) = t
        .login("alice@shop.test", ADMIN_PASSWORD)
        .await
        .post("/api/v1/orgs/shop/tokens", json!({"name": "ci"}))
        .await;
    let ci = t.client().with_token(tok["token"].as_str().unwrap());
    let (s, _) = ci
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            common::example_audit("ovhcloud-mks", "2025-06-01T12:00:00Z"),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    c.goto(&format!("{base}/obligations")).await.unwrap();
    shot(&c, "03-obligations").await;
    // Upload an attestation for the restore test, from the obligation's page.
    let link = c
        .find(Locator::XPath("//a[code[text()='3.1.7-r4']]"))
        .await
        .unwrap();
    link.click().await.unwrap();
    let before = text_with(&c, "unknown").await;
    assert!(before.contains("unknown"), "{before}");
    let evidence = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(evidence.path(), b"restore test report, March").unwrap();
    fill(&c, "a-file", &evidence.path().display().to_string()).await;
    click(&c, "attest-submit").await;
    let after = text_with(&c, "attested").await;
    assert!(
        after.contains("attested"),
        "status changed to attested: {after}"
    );
    assert!(after.contains("Uploaded"));
    shot(&c, "04-obligation").await;
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    shot(&c, "02-dashboard").await;
    c.goto(&format!("{base}/matrix/ovhcloud/ovhcloud-mks"))
        .await
        .unwrap();
    shot(&c, "05-matrix").await;
    c.goto(&format!("{base}/evidence")).await.unwrap();
    shot(&c, "06-evidence").await;
    // A new version moving a duty onto the customer: acknowledge it, see the duty arrive.
    let v2 = text_v1
        .replacen("version: \"2023-07-06\"", "version: \"2024-01-01\"", 1)
        .replacen(
            "{customer: \"I\", ovhcloud: \"RA\"}",
            "{customer: \"RA\", ovhcloud: \"I\"}",
            1,
        );
    provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            v2.into_bytes(),
        )
        .await;
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    assert!(text(&c).await.contains("moves a duty onto you"));
    c.goto(&format!("{base}/versions")).await.unwrap();
    shot(&c, "07-versions").await;
    let before = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(before.contains("2023-07-06 → 2024-01-01"), "{before}");
    click(&c, "ack-1").await;
    let acked = text_with(&c, "Acknowledged").await;
    assert!(acked.contains("Acknowledged"), "{acked}");
    c.goto(&format!("{base}/obligations?model=ovhcloud-mks"))
        .await
        .unwrap();
    assert!(
        text(&c).await.contains("2024"),
        "obligations follow the new version"
    );
    // French, from the user's choice.
    c.find(Locator::Css("button[name=lang][value=fr]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text(&c).await.contains("Obligations"));
    assert!(c.find(Locator::Css("html[lang=fr]")).await.is_ok());
    c.goto(&format!("{base}/admin")).await.unwrap();
    shot(&c, "08-users-tokens-fr").await;
    c.goto(&format!("{base}/log")).await.unwrap();
    shot(&c, "09-log-fr").await;
    // Share the attestation with the provider, item by item.
    c.goto(&format!("{base}/evidence")).await.unwrap();
    c.find(Locator::Css(
        "form[action='/evidence/share'] input[value=attestation] ~ button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert!(text_with(&c, "partagé").await.contains("partagé"));
    // Sign out: the pages are closed again.
    click(&c, "sign-out").await;
    assert!(on(&c, "/login").await);
    c.goto(&format!("{base}/obligations")).await.unwrap();
    assert!(on(&c, "/login").await);
    // The provider's side: its customers' acknowledgements, what they shared.
    sign_in(&c, "p@ovh.test").await;
    assert!(on(&c, "/dashboard").await);
    let dash = text(&c).await;
    assert!(dash.contains("Shop SAS"), "{dash}");
    shot(&c, "10-provider-dashboard").await;
    c.goto(&format!("{base}/shared")).await.unwrap();
    let shared = text(&c).await;
    assert!(
        shared.contains("3.1.7-r4") && shared.contains("Shop SAS"),
        "{shared}"
    );
    shot(&c, "11-provider-shared").await;
    c.close().await.unwrap();
}

/// Clicks the element with that id.
async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Signs out, then in as `email`.
async fn switch_user(c: &Client, email: &str) {
    click(c, "sign-out").await;
    assert!(on(c, "/login").await);
    sign_in(c, email).await;
    assert!(on(c, "/dashboard").await);
}

/// The id of the event whose page the browser is on.
async fn event_id(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    url.path().rsplit('/').next().unwrap().to_string()
}

/// An incident clicked through as OVHcloud's RACI routes it (3.2.1, rows 1 and 3): the customer
/// opens it, OVHcloud (R) is told, acknowledges, comments and resolves it, and approves it as
/// the A; the customer, holding nothing in row 3, is offered no approval and is refused one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_click_through() {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn(false, "browser_events").await.unwrap();
    let w = common::world(&t).await;
    let base = &t.base;
    let c = signed_in(&driver, base, "alice@shop.test").await;
    // The customer opens an incident from the Events page.
    c.goto(&format!("{base}/events")).await.unwrap();
    click(&c, "new-incident-ovhcloud-mks").await;
    let form = text(&c).await;
    assert!(
        form.contains("3.2.1-r3"),
        "who does what, before opening: {form}"
    );
    shot(&c, "12-event-new").await;
    for (id, value) in [
        ("e-title", "API server unreachable from the checkout pods"),
        ("e-service", "shop-prod"),
        (
            "e-description",
            "Since 09:12 UTC, calls to the API time out from pods.",
        ),
    ] {
        fill(&c, id, value).await;
    }
    c.find(Locator::Css("#e-severity option[value=high]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "open-event").await;
    let page = text(&c).await;
    assert!(page.contains("API server unreachable"), "{page}");
    let id = event_id(&c).await;
    assert_eq!(id.len(), 36, "on the event's page: {id}");
    assert!(c.find(Locator::Id("approve")).await.is_err());
    // OVHcloud hears of it and acts.
    switch_user(&c, "p@ovh.test").await;
    let mut told = false;
    for _ in 0..60 {
        c.goto(&format!("{base}/notifications")).await.unwrap();
        if text(&c).await.contains("API server unreachable") {
            told = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(told, "OVHcloud is notified of the opening");
    shot(&c, "13-provider-notifications").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    click(&c, "acknowledge").await;
    text(&c).await;
    c.find(Locator::Id("c-body"))
        .await
        .unwrap()
        .send_keys("A konnectivity agent lost its tunnel; restarting it.")
        .await
        .unwrap();
    click(&c, "comment").await;
    text(&c).await;
    fill(&c, "res", "konnectivity agents redeployed").await;
    click(&c, "resolve").await;
    let resolved = text(&c).await;
    assert!(
        resolved.contains("konnectivity agents redeployed"),
        "{resolved}"
    );
    // The customer is offered no approval, and is refused one.
    let (s, e) = w
        .shop
        .post(&format!("/api/v1/orgs/shop/events/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, reqwest::StatusCode::FORBIDDEN, "{e}");
    switch_user(&c, "alice@shop.test").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    text(&c).await;
    assert!(c.find(Locator::Id("approve")).await.is_err());
    assert!(c.find(Locator::Id("not-approver")).await.is_ok());
    shot(&c, "14-event-customer-waits-approval").await;
    // OVHcloud, the A of 3.2.1-r3, approves: closed.
    switch_user(&c, "p@ovh.test").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    click(&c, "approve").await;
    text(&c).await;
    let state = c
        .find(Locator::Id("state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(state.to_lowercase(), "closed");
    shot(&c, "15-event-closed").await;
    c.goto(&format!("{base}/events")).await.unwrap();
    shot(&c, "16-events-list").await;
    c.close().await.unwrap();
}

/// Leaving, clicked through (issue 14): the customer's admin opens the Leaving page, cancels
/// its subscription, sees the end-of-service checklist with each line on its party, ticks its
/// own line off, exports (the API gives the same archive as the button), deletes the
/// organisation and lands on its certificate. Screenshots `20-leave*` and `22-deleted`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_click_through() {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn(false, "browser_leaving").await.unwrap();
    let w = common::world(&t).await;
    let (s, b) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            common::example_audit("ovhcloud-mks", "2025-06-01T12:00:00Z"),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{b}");

    let c = browser(&driver).await;
    let base = &t.base;
    c.goto(&format!("{base}/")).await.unwrap();
    sign_in(&c, "alice@shop.test").await;
    assert!(on(&c, "/dashboard").await);
    c.find(Locator::Css("nav a[href='/leave']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(on(&c, "/leave").await);
    let page = text(&c).await;
    assert!(
        page.contains("Leaving and end of service") && page.contains("onus verify-export"),
        "{page}"
    );
    assert!(c.find(Locator::Id("export-archive")).await.is_ok());
    shot(&c, "20-leave").await;

    // Cancel the subscription today, with a reason.
    fill(&c, "why-1", "moving to another provider").await;
    click(&c, "end-ovhcloud-mks").await;
    let page = text(&c).await;
    assert!(page.contains("moving to another provider"), "{page}");
    // The checklist: the customer deletes its cluster, OVHcloud destroys the data.
    let mine = c
        .find(Locator::Css("tr[id='item-5.1-r1-customer']"))
        .await
        .unwrap();
    assert!(mine
        .text()
        .await
        .unwrap()
        .contains("Delete the Kubernetes cluster"));
    let theirs = c
        .find(Locator::Css("tr[id='item-5.2-r1-provider']"))
        .await
        .unwrap();
    let theirs_text = theirs.text().await.unwrap();
    assert!(theirs_text.contains("OVHcloud"), "{theirs_text}");
    // Only the customer's own lines can be ticked off here.
    assert!(theirs.find(Locator::Css("button")).await.is_err());
    mine.find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("cluster deleted in the Public Cloud console")
        .await
        .unwrap();
    mine.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("cluster deleted in the Public Cloud console"),
        "{page}"
    );
    let status = c
        .find(Locator::Css("tr[id='item-5.1-r1-customer'] .badge"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "done");
    shot(&c, "21-leave-checklist").await;

    // An export before leaving, then the deletion.
    let (s, _) = w.shop.get("/api/v1/orgs/shop/export").await;
    assert_eq!(s, reqwest::StatusCode::OK);
    fill(&c, "confirm", "shop").await;
    click(&c, "delete-org").await;
    let page = text(&c).await;
    assert!(
        page.contains("Organisation deleted") && page.contains("onus verify-certificate"),
        "{page}"
    );
    assert!(c.find(Locator::Id("certificate")).await.is_ok());
    shot(&c, "22-deleted").await;
    // Signed out for good: the account is gone.
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    assert!(on(&c, "/login").await);
    c.close().await.unwrap();
}

/// Types `value` into the field with that id.
async fn fill(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(value)
        .await
        .unwrap();
}

/// The event's state as its page shows it.
async fn state(c: &Client) -> String {
    c.find(Locator::Id("state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .to_lowercase()
}

/// Waits (the worker delivers in the background) until the signed-in user's Notifications
/// page mentions `needle`.
async fn notified(c: &Client, base: &str, needle: &str) -> String {
    let mut page = String::new();
    for _ in 0..80 {
        c.goto(&format!("{base}/notifications")).await.unwrap();
        page = text(c).await;
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no notification mentioning {needle:?}: {page}");
}

/// The actions of the log entries about `subject` in `org`'s log, oldest first, and the
/// whole log's chain checked.
async fn logged(t: &TestApp, c: &common::Client, org: &str, subject: &str) -> Vec<String> {
    assert!(
        t.app.store.verify_log().await.unwrap().problem.is_none(),
        "the log's chain holds"
    );
    common::logged(c, org, subject).await
}

/// A browser signed in as `email`, on its dashboard.
async fn signed_in(driver: &Driver, base: &str, email: &str) -> Client {
    let c = browser(driver).await;
    c.goto(&format!("{base}/")).await.unwrap();
    sign_in(&c, email).await;
    assert!(on(&c, "/dashboard").await);
    c
}

/// A change request clicked through as OVHcloud's 3.2.2 rows route it: the customer requests
/// a change of allocated resources (row 3: customer RA, OVHcloud I), OVHcloud performs it and
/// approves its own work (row 4: OVHcloud RA, customer I), the customer is told at each step
/// and reads the outcome; a second request is rejected with a reason the customer reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_request_click_through() {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn_with(false, "browser_change", common::fast_worker(None))
        .await
        .unwrap();
    let w = common::world(&t).await;
    let base = &t.base;
    let c = signed_in(&driver, base, "alice@shop.test").await;
    // The customer requests the change from the Events page.
    c.goto(&format!("{base}/events")).await.unwrap();
    click(&c, "new-change-request-ovhcloud-mks").await;
    let form = text(&c).await;
    assert!(
        form.contains("3.2.2-r4") && form.contains("3.2.2-r3"),
        "the rows that route it, before sending: {form}"
    );
    shot(&c, "30-change-new").await;
    fill(&c, "e-title", "Add a node pool of 3 b3-16 nodes").await;
    fill(&c, "e-service", "shop-prod").await;
    fill(
        &c,
        "e-description",
        "Black Friday: a node pool of three b3-16 nodes, autoscaling up to 6.",
    )
    .await;
    click(&c, "open-event").await;
    let page = text_with(&c, "Add a node pool").await;
    assert!(page.contains("shop-prod"), "{page}");
    let id = event_id(&c).await;
    assert_eq!(state(&c).await, "open");
    // The customer holds nothing to do but wait: no step of R's offered.
    for step in ["resolve", "reject", "approve"] {
        assert!(c.find(Locator::Id(step)).await.is_err(), "{step} offered");
    }
    // OVHcloud (R of row 4) is told, takes it and performs it.
    switch_user(&c, "p@ovh.test").await;
    notified(&c, base, "Add a node pool").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    click(&c, "acknowledge").await;
    assert_eq!(
        {
            text_with(&c, "Acknowledged").await;
            state(&c).await
        },
        "acknowledged"
    );
    fill(
        &c,
        "res",
        "Node pool black-friday (3 × b3-16, autoscaling 3 to 6) added to shop-prod.",
    )
    .await;
    click(&c, "resolve").await;
    text_with(&c, "black-friday").await;
    assert_eq!(state(&c).await, "resolved");
    shot(&c, "31-change-provider-resolved").await;
    click(&c, "approve").await;
    text_with(&c, "Closed").await;
    assert_eq!(state(&c).await, "closed");
    // The customer (I of row 4) is told, and reads what was done.
    switch_user(&c, "alice@shop.test").await;
    let notes = notified(&c, base, "closed").await;
    assert!(notes.contains("Add a node pool"), "{notes}");
    shot(&c, "32-change-customer-notifications").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    let page = text_with(&c, "black-friday").await;
    assert_eq!(state(&c).await, "closed");
    assert!(
        page.contains("Olivier Vidal") || page.contains("ovhcloud"),
        "{page}"
    );
    shot(&c, "33-change-customer-closed").await;
    assert_eq!(
        logged(&t, &w.shop, "shop", &id).await,
        [
            "event.open",
            "event.acknowledge",
            "event.resolve",
            "event.approve"
        ]
    );
    assert_eq!(
        logged(&t, &w.provider, "ovhcloud", &id).await,
        [
            "event.open",
            "event.acknowledge",
            "event.resolve",
            "event.approve"
        ]
    );

    // A second request, rejected with a reason the customer reads.
    c.goto(&format!("{base}/events")).await.unwrap();
    click(&c, "new-change-request-ovhcloud-mks").await;
    text(&c).await;
    fill(&c, "e-title", "Move the control plane to another region").await;
    click(&c, "open-event").await;
    text_with(&c, "Move the control plane").await;
    let rejected = event_id(&c).await;
    switch_user(&c, "p@ovh.test").await;
    c.goto(&format!("{base}/events/{rejected}")).await.unwrap();
    text(&c).await;
    fill(
        &c,
        "rej",
        "A control plane cannot move between regions: create a cluster in the new region and migrate.",
    )
    .await;
    click(&c, "reject").await;
    text_with(&c, "Rejected").await;
    assert_eq!(state(&c).await, "rejected");
    switch_user(&c, "alice@shop.test").await;
    notified(&c, base, "rejected").await;
    c.goto(&format!("{base}/events/{rejected}")).await.unwrap();
    text_with(&c, "cannot move between regions").await;
    let outcome = c
        .find(Locator::Id("outcome"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        outcome.starts_with("Rejected:") && outcome.contains("cannot move between regions"),
        "the reason, where the customer looks first: {outcome}"
    );
    assert_eq!(state(&c).await, "rejected");
    shot(&c, "34-change-customer-rejected").await;
    assert_eq!(
        logged(&t, &w.shop, "shop", &rejected).await,
        ["event.open", "event.reject"]
    );
    c.close().await.unwrap();
}

/// A forced upgrade clicked through as OVHcloud's 3.1.6-r4 routes it (OVHcloud RA, customer
/// I): OVHcloud publishes it with its date to the customers it concerns, a customer
/// acknowledges it from its page, and OVHcloud sees whose acknowledgement it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_upgrade_click_through() {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn_with(false, "browser_upgrade", common::fast_worker(None))
        .await
        .unwrap();
    let w = common::world(&t).await;
    let base = &t.base;
    let c = signed_in(&driver, base, "p@ovh.test").await;
    c.goto(&format!("{base}/events")).await.unwrap();
    click(&c, "new-forced-upgrade-ovhcloud-mks").await;
    let form = text(&c).await;
    assert!(form.contains("3.1.6-r4"), "{form}");
    // Both subscribers are offered, both ticked: the upgrade concerns them all by default.
    for slug in ["shop", "rival"] {
        let b = c
            .find(Locator::Css(&format!("input[name=customer][value={slug}]")))
            .await
            .unwrap();
        assert!(b.is_selected().await.unwrap(), "{slug} ticked");
    }
    fill(
        &c,
        "e-title",
        "Kubernetes 1.29 reaches end of support: clusters upgraded to 1.30",
    )
    .await;
    fill(
        &c,
        "e-description",
        "Clusters still on 1.29 on the date will be upgraded to 1.30 by OVHcloud.",
    )
    .await;
    let due = (chrono::Utc::now() + chrono::Duration::days(21)).date_naive();
    // A date field's typing order depends on the browser's locale: set its value as the
    // date picker would.
    c.execute(
        "document.getElementById('e-due').value = arguments[0]",
        vec![json!(due.to_string())],
    )
    .await
    .unwrap();
    shot(&c, "35-upgrade-new").await;
    click(&c, "open-event").await;
    let page = text_with(&c, "end of support").await;
    let id = event_id(&c).await;
    assert!(page.contains(&due.to_string()), "the date shown: {page}");
    let acks = c
        .find(Locator::Id("acks"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(acks.replace(' ', ""), "0/2");
    // The customer hears of it and acknowledges it.
    switch_user(&c, "alice@shop.test").await;
    notified(&c, base, "end of support").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains(&due.to_string()), "{page}");
    assert!(
        !page.contains("RIVAL"),
        "a customer never sees the others: {page}"
    );
    let mine = c.find(Locator::Id("your-ack")).await.unwrap();
    assert_eq!(mine.text().await.unwrap(), "not yet");
    shot(&c, "36-upgrade-customer").await;
    click(&c, "acknowledge").await;
    text_with(&c, "acknowledged").await;
    assert!(
        c.find(Locator::Id("acknowledge")).await.is_err(),
        "acknowledged once"
    );
    let mine = c.find(Locator::Id("your-ack")).await.unwrap();
    assert_eq!(
        mine.text().await.unwrap(),
        chrono::Utc::now().date_naive().to_string()
    );
    assert!(c.find(Locator::Id("following")).await.is_ok());
    shot(&c, "37-upgrade-customer-acknowledged").await;
    // OVHcloud sees whose acknowledgement it has.
    switch_user(&c, "p@ovh.test").await;
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    text(&c).await;
    let acks = c
        .find(Locator::Id("acks"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(acks.replace(' ', ""), "1/2");
    let shop = c
        .find(Locator::XPath("//tr[td[1][text()='SHOP']]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // When, and who: the world names Shop's admin "shop".
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(
        shop.contains(&today) && shop.trim_end().ends_with("shop —"),
        "shop's acknowledgement and who: {shop}"
    );
    let rival = c
        .find(Locator::XPath("//tr[td[1][text()='RIVAL']]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rival.contains("—"), "rival has not acknowledged: {rival}");
    shot(&c, "38-upgrade-provider-tracks").await;
    c.goto(&format!("{base}/events")).await.unwrap();
    let list = text(&c).await;
    assert!(list.contains("1/2"), "{list}");
    // The same page in French.
    c.goto(&format!("{base}/events/{id}")).await.unwrap();
    c.find(Locator::Css("button[name=lang][value=fr]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let fr = text_with(&c, "Accusés de réception des clients").await;
    assert!(fr.contains("Accusés de réception des clients"), "{fr}");
    shot(&c, "39-upgrade-provider-fr").await;
    assert_eq!(
        logged(&t, &w.shop, "shop", &id).await,
        ["event.open", "event.receipt"]
    );
    let provider_log = logged(&t, &w.provider, "ovhcloud", &id).await;
    assert_eq!(provider_log, ["event.open", "event.receipt"]);
    assert_eq!(
        common::logged(&w.rival, "rival", &id).await,
        ["event.open"],
        "rival's log holds its own part only"
    );
    c.close().await.unwrap();
}
