//! Conditional roles (`audit.conditions`) in the portal: a condition that moves a duty on the
//! audited cluster moves the obligation too. The customer's and the provider's obligation
//! lists follow the latest audit's condition outcomes, as `onus audit` decides them.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MODEL: &str = "examples/conditional-cni/model.yaml";

fn activities(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["activity_id"].as_str().unwrap().to_string())
        .collect()
}

/// What the CLI's join says each party holds on the cluster of `report`.
fn cli_duties(report: &[u8], party: &str) -> BTreeSet<String> {
    let r: Value = serde_json::from_slice(report).unwrap();
    r["parties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == party)
        .flat_map(|p| p["sections"].as_array().unwrap().iter())
        .flat_map(|s| s["duties"].as_array().unwrap().iter())
        .map(|d| d["activity"].as_str().unwrap().to_string())
        .collect()
}

async fn obligations_follow_conditions(t: TestApp) {
    let w = common::world(&t).await;
    let text = std::fs::read_to_string(common::repo().join(MODEL)).unwrap();
    let (s, b) = w
        .provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            text.clone().into_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, sub) = w
        .shop
        .post(
            "/api/v1/orgs/shop/subscriptions",
            json!({"provider": "ovhcloud", "model": "example-byo-cni"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let sub = sub["id"].as_str().unwrap().to_string();
    let mine = || async {
        let (s, b) = w
            .shop
            .get("/api/v1/orgs/shop/obligations?model=example-byo-cni&limit=500")
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        activities(&b["items"])
    };
    let theirs = || async {
        let (s, b) = w
            .shop
            .get(&format!(
                "/api/v1/orgs/shop/subscriptions/{sub}/provider-obligations"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        activities(&b)
    };
    // As published: the network plugin is Example Cloud's.
    assert!(!mine().await.contains("network.cni"));
    assert!(theirs().await.contains("network.cni"));

    // The customer's cluster runs its own Cilium: the condition holds, the duty moves.
    let now = "2025-06-01T00:00:00Z";
    let own = common::audit_report(
        &text,
        &common::repo().join("examples/conditional-cni/own-cni.yaml"),
        now,
    );
    let (s, b) = w
        .shop
        .post_raw("/api/v1/orgs/shop/audits", "application/json", own.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let after = mine().await;
    assert!(after.contains("network.cni"), "{after:?}");
    assert_eq!(
        after,
        cli_duties(&own, "customer"),
        "the CLI and the portal agree"
    );
    assert!(!theirs().await.contains("network.cni"));
    assert_eq!(theirs().await, cli_duties(&own, "example-cloud"));
    // Its status is the join's: the obligation's page knows it.
    let (_, list) = w
        .shop
        .get("/api/v1/orgs/shop/obligations?model=example-byo-cni&limit=500")
        .await;
    let cni = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["activity_id"] == "network.cni")
        .unwrap()
        .clone();
    let (s, detail) = w
        .shop
        .get(&format!(
            "/api/v1/orgs/shop/obligations/{}",
            cni["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    // The change is in the log.
    let (_, log) = w.shop.get("/api/v1/orgs/shop/log?limit=500").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "obligations.follow"),
        "{log}"
    );

    // Back to the provider's CNI: the duty moves back, the customer's obligation is
    // deactivated (its notes kept) and comes back as the same row if it moves again.
    let (s, b) = w
        .shop
        .patch(
            &format!(
                "/api/v1/orgs/shop/obligations/{}",
                cni["id"].as_str().unwrap()
            ),
            json!({"owner": "platform team", "notes": "we run Cilium"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let theirs_cni = common::audit_report(
        &text,
        &common::repo().join("examples/conditional-cni/provider-cni.yaml"),
        now,
    );
    let (s, b) = w
        .shop
        .post_raw(
            "/api/v1/orgs/shop/audits",
            "application/json",
            theirs_cni.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert!(!mine().await.contains("network.cni"));
    assert_eq!(mine().await, cli_duties(&theirs_cni, "customer"));
    assert!(theirs().await.contains("network.cni"));
    let (s, b) = w
        .shop
        .post_raw("/api/v1/orgs/shop/audits", "application/json", own)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, again) = w
        .shop
        .get(&format!(
            "/api/v1/orgs/shop/obligations/{}",
            cni["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["obligation"]["notes"], "we run Cilium", "{again}");
}
both!(obligations_follow_conditions);
