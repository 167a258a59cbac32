//! Every store test runs twice: on a fresh SQLite file and on a fresh PostgreSQL database
//! (skipped, loudly, when `ONUS_TEST_POSTGRES` is unset outside CI; see `scratch`).

use onus_store::evidence::{EvidenceKind, NewAttestation, NewAudit};
use onus_store::models::{Duty, NewVersion, NoticeDiff};
use onus_store::{scratch, OrgKind, Page, Principal, Role, Store, StoreError};
use serde_json::json;

/// A fresh database: (store, its spec, the temp dir keeping a SQLite file alive).
async fn fresh(pg: bool, test: &str) -> Option<(Store, String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let spec = if pg {
        scratch::postgres_database(test).await?
    } else {
        scratch::sqlite_path(dir.path())
    };
    let store = Store::open(&spec).await.unwrap();
    Some((store, spec, dir))
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some((s, spec, _d)) = super::fresh(false, stringify!($name)).await {
                    super::$name(s, spec).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((s, spec, _d)) = super::fresh(true, stringify!($name)).await {
                    super::$name(s, spec).await;
                }
            }
        }
    };
}

async fn principal(s: &Store, user_id: &str) -> Principal {
    let sess = s
        .create_session(user_id, chrono::Duration::hours(1))
        .await
        .unwrap();
    s.session(&sess.id).await.unwrap().unwrap().0
}

struct World {
    admin: Principal,
    provider: Principal,
    provider_auditor: Principal,
    alice: Principal,
    bob: Principal,
    model_pk: String,
}

fn no_diff(_: &onus_store::models::VersionBody) -> Result<NoticeDiff, String> {
    Ok(NoticeDiff {
        diff: json!({"changes": []}),
        moves_duty: false,
    })
}

fn customer_duties(v: &onus_store::models::VersionBody) -> Result<Vec<Duty>, String> {
    // The test "model" lists the customer's activities, one per line.
    Ok(v.body
        .lines()
        .filter_map(|l| l.strip_prefix("customer: "))
        .map(|a| Duty {
            activity_id: a.to_string(),
            party_id: "customer".into(),
        })
        .collect())
}

fn counts(set: &onus_store::evidence::EvidenceSet) -> serde_json::Value {
    json!({"attestations": set.attestations.len(), "audit": set.latest_audit.is_some()})
}

async fn world(s: &Store) -> World {
    let root = s
        .bootstrap_admin("root@example.org", "Root", "x")
        .await
        .unwrap()
        .unwrap();
    assert!(s
        .bootstrap_admin("other@example.org", "Other", "x")
        .await
        .unwrap()
        .is_none());
    let admin = principal(s, &root.id).await;
    let prov = s
        .create_org(&admin, "ovhcloud", "OVHcloud", OrgKind::Provider)
        .await
        .unwrap();
    let a = s
        .create_org(&admin, "shop-a", "Shop A", OrgKind::Customer)
        .await
        .unwrap();
    let b = s
        .create_org(&admin, "shop-b", "Shop B", OrgKind::Customer)
        .await
        .unwrap();
    let pu = s
        .create_user(&admin, &prov.id, "p@ovh.example", "P", Role::Admin, "h")
        .await
        .unwrap();
    let pa = s
        .create_user(
            &admin,
            &prov.id,
            "aud@ovh.example",
            "Aud",
            Role::Auditor,
            "h",
        )
        .await
        .unwrap();
    let au = s
        .create_user(&admin, &a.id, "alice@a.example", "Alice", Role::Admin, "h")
        .await
        .unwrap();
    let bu = s
        .create_user(&admin, &b.id, "bob@b.example", "Bob", Role::Admin, "h")
        .await
        .unwrap();
    let provider = principal(s, &pu.id).await;
    let v = s
        .publish_version(
            &provider,
            &prov.id,
            NewVersion {
                model_id: "mks",
                title: "MKS",
                version: "1",
                body: "customer: a1\ncustomer: a2\n",
                findings: json!([]),
                provider_duties: vec![Duty {
                    activity_id: "p1".into(),
                    party_id: "ovh".into(),
                }],
            },
            &no_diff,
        )
        .await
        .unwrap();
    World {
        admin,
        provider,
        provider_auditor: principal(s, &pa.id).await,
        alice: principal(s, &au.id).await,
        bob: principal(s, &bu.id).await,
        model_pk: v.model_pk,
    }
}

fn org(p: &Principal) -> String {
    p.org.as_ref().unwrap().id.clone()
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn identities(s: Store, _spec: String) {
    let w = world(&s).await;
    // Tokens: hashed, scoped, revocable, never more than their creator.
    let (tok, info) = s
        .create_token(&w.alice, &org(&w.alice), "ci", Role::Member)
        .await
        .unwrap();
    assert!(tok.starts_with("onus_") && tok.len() > 60);
    let tp = s.token_principal(&tok).await.unwrap().unwrap();
    assert_eq!(
        (tp.role, tp.is_member_of(&org(&w.alice))),
        (Role::Member, true)
    );
    assert!(s.token_principal("onus_nope").await.unwrap().is_none());
    assert!(matches!(
        s.create_token(&w.provider_auditor, &org(&w.provider), "x", Role::Admin)
            .await,
        Err(StoreError::Forbidden(_))
    ));
    not_found(s.revoke_token(&w.bob, &org(&w.alice), &info.id).await);
    s.revoke_token(&w.alice, &org(&w.alice), &info.id)
        .await
        .unwrap();
    assert!(s.token_principal(&tok).await.unwrap().is_none());
    // Users: the org's admins and the instance admin create them; nobody else.
    assert!(matches!(
        s.create_user(
            &w.provider_auditor,
            &org(&w.provider),
            "z@z.z",
            "Z",
            Role::Admin,
            "h"
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    not_found(
        s.create_user(&w.alice, &org(&w.bob), "z@z.z", "Z", Role::Admin, "h")
            .await,
    );
    assert!(matches!(
        s.create_user(
            &w.admin,
            &org(&w.bob),
            "BOB@b.example",
            "B2",
            Role::Member,
            "h"
        )
        .await,
        Err(StoreError::Conflict { field: "email", .. })
    ));
    // Orgs: a customer sees itself and providers, never another customer.
    let seen: Vec<String> = s
        .list_orgs(&w.alice)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.slug)
        .collect();
    assert_eq!(seen, vec!["ovhcloud", "shop-a"]);
    not_found(s.org_by_slug(&w.alice, "shop-b").await);
    assert_eq!(s.list_orgs(&w.admin).await.unwrap().len(), 3);
    // Rate limit: a fixed window, shared through the database.
    for _ in 0..3 {
        assert!(s
            .rate_limit("login:k", chrono::Duration::minutes(1), 3)
            .await
            .unwrap());
    }
    assert!(!s
        .rate_limit("login:k", chrono::Duration::minutes(1), 3)
        .await
        .unwrap());
    s.rate_limit_reset("login:k").await.unwrap();
    assert!(s
        .rate_limit("login:k", chrono::Duration::minutes(1), 3)
        .await
        .unwrap());
    assert!(s.verify_log().await.unwrap().problem.is_none());
}
both!(identities);

async fn tenants(s: Store, _spec: String) {
    let w = world(&s).await;
    let (a, b, p) = (org(&w.alice), org(&w.bob), org(&w.provider));
    let sub = s
        .subscribe(&w.alice, &a, &w.model_pk, &customer_duties)
        .await
        .unwrap();
    s.subscribe(&w.bob, &b, &w.model_pk, &customer_duties)
        .await
        .unwrap();
    assert!(matches!(
        s.subscribe(&w.provider, &p, &w.model_pk, &customer_duties)
            .await,
        Err(StoreError::Forbidden(_))
    ));
    let obl = s.obligations(&w.alice, &a).await.unwrap();
    assert_eq!(
        obl.iter()
            .map(|o| o.activity_id.as_str())
            .collect::<Vec<_>>(),
        ["a1", "a2"]
    );
    assert_eq!(obl[0].subscription_id.as_deref(), Some(sub.id.as_str()));
    // Alice's evidence.
    let audit = s
        .add_audit(
            &w.alice,
            &a,
            NewAudit {
                model_pk: &w.model_pk,
                file_name: "audit.json",
                raw: b"{\"format\":\"onus.audit/v1\"}",
                results: "[]".into(),
                problems: json!([]),
                inputs: json!(["x"]),
                objects: 3,
                k8s_latest: "1.34",
                ran_at: "2025-06-01T00:00:00Z",
            },
            &counts,
        )
        .await
        .unwrap();
    let att = s
        .add_attestations(
            &w.alice,
            &a,
            &w.model_pk,
            vec![NewAttestation {
                activity_id: "a1".into(),
                date: "2025-03-01".into(),
                by: "Alice".into(),
                valid: None,
                note: None,
                evidence_ref: None,
                evidence_sha256: None,
                file: Some(("restore.pdf", "application/pdf", b"%PDF-1.4 alice's secret")),
            }],
            &counts,
        )
        .await
        .unwrap();
    let file_id = att[0].file_id.clone().unwrap();
    // Bob, the provider and the instance admin see none of it.
    for other in [&w.bob, &w.provider, &w.admin] {
        not_found(s.obligations(other, &a).await);
        not_found(s.audit(other, &a, &audit.id).await);
        not_found(s.audits(other, &a, None, Page::default()).await);
        not_found(s.attestations(other, &a, None).await);
        not_found(s.file(other, &file_id).await);
        not_found(s.evidence_set(other, &a, &w.model_pk).await);
        not_found(s.log_entries(other, &a, Page::default()).await);
        not_found(s.subscriptions(other, &a).await);
        not_found(s.notices(other, &a, false).await);
        not_found(s.status_history(other, &a, &w.model_pk).await);
    }
    // Bob cannot touch Alice's items even with their ids under his own org.
    not_found(
        s.set_shared(&w.bob, &b, EvidenceKind::Audit, &audit.id, true)
            .await,
    );
    not_found(s.audit(&w.bob, &b, &audit.id).await);
    assert!(s
        .shared_with_provider(&w.provider, &p)
        .await
        .unwrap()
        .is_empty());
    not_found(s.shared_audit(&w.provider, &p, &audit.id).await);
    // Shared item by item: the provider sees the attestation and its file, not the audit.
    s.set_shared(&w.alice, &a, EvidenceKind::Attestation, &att[0].id, true)
        .await
        .unwrap();
    let shared = s.shared_with_provider(&w.provider, &p).await.unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].customer.slug, "shop-a");
    assert!(shared[0].attestation.is_some());
    assert_eq!(
        s.file(&w.provider, &file_id).await.unwrap().1,
        b"%PDF-1.4 alice's secret"
    );
    not_found(s.file(&w.bob, &file_id).await);
    not_found(s.shared_audit(&w.provider, &p, &audit.id).await);
    s.set_shared(&w.alice, &a, EvidenceKind::Audit, &audit.id, true)
        .await
        .unwrap();
    assert_eq!(
        s.shared_audit(&w.provider, &p, &audit.id)
            .await
            .unwrap()
            .objects,
        3
    );
    // The provider's side: its subscribers (no evidence), its published evidence.
    let subs = s.subscribers(&w.provider, &p).await.unwrap();
    assert_eq!(subs.len(), 2);
    not_found(s.subscribers(&w.alice, &p).await);
    let po = s
        .provider_obligations(&w.alice, &a, &w.model_pk)
        .await
        .unwrap();
    assert_eq!(
        po.iter()
            .map(|o| o.activity_id.as_str())
            .collect::<Vec<_>>(),
        ["p1"]
    );
    let patt = s
        .add_attestations(
            &w.provider,
            &p,
            &w.model_pk,
            vec![NewAttestation {
                activity_id: "p1".into(),
                date: "2025-01-01".into(),
                by: "OVH".into(),
                valid: None,
                note: None,
                evidence_ref: Some("https://ovh.example/soc2.pdf".into()),
                evidence_sha256: Some("ab".repeat(32)),
                file: None,
            }],
            &counts,
        )
        .await
        .unwrap();
    assert!(s
        .published_evidence(&w.alice, &a, &w.model_pk)
        .await
        .unwrap()
        .attestations
        .is_empty());
    s.set_shared(
        &w.provider,
        &p,
        EvidenceKind::Attestation,
        &patt[0].id,
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        s.published_evidence(&w.alice, &a, &w.model_pk)
            .await
            .unwrap()
            .attestations
            .len(),
        1
    );
    not_found(s.published_evidence(&w.alice, &b, &w.model_pk).await);
    // Auditors read, never write.
    assert!(matches!(
        s.set_shared(
            &w.provider_auditor,
            &p,
            EvidenceKind::Attestation,
            &patt[0].id,
            false
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    assert_eq!(
        s.status_history(&w.alice, &a, &w.model_pk)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(s.verify_log().await.unwrap().problem.is_none());
}
both!(tenants);

async fn versions(s: Store, _spec: String) {
    let w = world(&s).await;
    let (a, p) = (org(&w.alice), org(&w.provider));
    s.subscribe(&w.alice, &a, &w.model_pk, &customer_duties)
        .await
        .unwrap();
    let v1 = |body: &str| NewVersion {
        model_id: "mks",
        title: "MKS",
        version: "1",
        body: "customer: a1\n",
        findings: json!([body]),
        provider_duties: vec![],
    };
    // A published version never changes.
    assert!(matches!(
        s.publish_version(&w.provider, &p, v1("again"), &no_diff)
            .await,
        Err(StoreError::Conflict {
            field: "version",
            ..
        })
    ));
    assert!(matches!(
        s.publish_version(&w.alice, &a, v1("x"), &no_diff).await,
        Err(StoreError::Forbidden(_))
    ));
    let moves = |_: &onus_store::models::VersionBody| {
        Ok(NoticeDiff {
            diff: json!({"changes": ["a3 moved"]}),
            moves_duty: true,
        })
    };
    let v2 = s
        .publish_version(
            &w.provider,
            &p,
            NewVersion {
                model_id: "mks",
                title: "MKS",
                version: "2",
                body: "customer: a1\ncustomer: a3\n",
                findings: json!([]),
                provider_duties: vec![],
            },
            &moves,
        )
        .await
        .unwrap();
    assert_eq!(v2.seq, 2);
    let subs = s.subscriptions(&w.alice, &a).await.unwrap();
    assert_eq!(
        (
            subs[0].version.version.as_str(),
            subs[0].pending,
            subs[0].pending_moves_duty
        ),
        ("1", 1, true)
    );
    let notices = s.notices(&w.alice, &a, true).await.unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].moves_duty);
    not_found(
        s.acknowledge(&w.bob, &org(&w.bob), &notices[0].id, &customer_duties)
            .await,
    );
    let ack = s
        .acknowledge(&w.alice, &a, &notices[0].id, &customer_duties)
        .await
        .unwrap();
    assert_eq!(ack.acknowledged_by.as_deref(), Some("Alice"));
    let subs = s.subscriptions(&w.alice, &a).await.unwrap();
    assert_eq!(
        (subs[0].version.version.as_str(), subs[0].pending),
        ("2", 0)
    );
    let acts: Vec<String> = s
        .obligations(&w.alice, &a)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.activity_id)
        .collect();
    assert_eq!(acts, ["a1", "a3"]);
    assert!(matches!(
        s.acknowledge(&w.alice, &a, &notices[0].id, &customer_duties)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let o = s.obligations(&w.alice, &a).await.unwrap().remove(0);
    let o = s
        .update_obligation(&w.alice, &a, &o.id, Some("team-ops"), Some("weekly"))
        .await
        .unwrap();
    assert_eq!(o.owner.as_deref(), Some("team-ops"));
    not_found(
        s.update_obligation(&w.bob, &org(&w.bob), &o.id, Some("x"), None)
            .await,
    );
    let body = s.version(&w.bob, &v2.id).await.unwrap();
    assert_eq!(body.info.version, "2");
    assert!(s.verify_log().await.unwrap().problem.is_none());
}
both!(versions);

async fn log_chain(s: Store, spec: String) {
    let w = world(&s).await;
    let a = org(&w.alice);
    for i in 0..5 {
        s.create_token(&w.alice, &a, &format!("t{i}"), Role::Member)
            .await
            .unwrap();
    }
    let v = s.verify_log().await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
    let n = v.entries;
    assert_eq!(n, v.head_seq);
    let entries = s
        .log_entries(
            &w.alice,
            &a,
            Page {
                limit: 3,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].action, "token.create");
    assert_eq!(
        entries[0].prev_hash,
        s.log_entries(
            &w.alice,
            &a,
            Page {
                limit: 1,
                offset: 1
            }
        )
        .await
        .unwrap()[0]
            .hash
    );
    // Altering an entry's content is named.
    let seq = entries[1].seq;
    scratch::execute_raw(
        &spec,
        &format!("UPDATE log SET detail = '{{\"name\":\"evil\"}}' WHERE seq = {seq}"),
    )
    .await
    .unwrap();
    let v = s.verify_log().await.unwrap();
    let p = v.problem.unwrap();
    assert_eq!(
        (p.seq, p.kind),
        (seq, onus_store::log::ProblemKind::Altered)
    );
    assert!(p.message.contains(&format!("entry {seq}")), "{}", p.message);
    // Put back, then remove one in the middle: named as removed.
    scratch::execute_raw(
        &spec,
        &format!(
            "UPDATE log SET detail = '{}' WHERE seq = {seq}",
            entries[1].detail.replace('\'', "''")
        ),
    )
    .await
    .unwrap();
    assert!(s.verify_log().await.unwrap().problem.is_none());
    scratch::execute_raw(&spec, &format!("DELETE FROM log WHERE seq = {}", seq - 2))
        .await
        .unwrap();
    let p = s.verify_log().await.unwrap().problem.unwrap();
    assert_eq!(
        (p.seq, p.kind),
        (seq - 2, onus_store::log::ProblemKind::Removed)
    );
}
both!(log_chain);

async fn log_truncation(s: Store, spec: String) {
    let _w = world(&s).await;
    let n = s.verify_log().await.unwrap().entries;
    scratch::execute_raw(&spec, &format!("DELETE FROM log WHERE seq = {n}"))
        .await
        .unwrap();
    let p = s.verify_log().await.unwrap().problem.unwrap();
    assert_eq!((p.seq, p.kind), (n, onus_store::log::ProblemKind::Removed));
}
both!(log_truncation);

/// Writers in parallel, through two pools (as two server instances would): the chain stays
/// whole and dense.
async fn concurrent_writers(s: Store, spec: String) {
    let w = world(&s).await;
    let second = Store::open(&spec).await.unwrap();
    let a = org(&w.alice);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let st = if i % 2 == 0 {
            s.clone()
        } else {
            second.clone()
        };
        let p = w.alice.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            st.create_token(&p, &a, &format!("t{i}"), Role::Member)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = s.verify_log().await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
    assert_eq!(
        s.list_tokens(
            &w.alice,
            &a,
            Page {
                limit: 100,
                offset: 0
            }
        )
        .await
        .unwrap()
        .len(),
        40
    );
}
both!(concurrent_writers);

/// The revision the server's caches are keyed by: every committed write moves it, seen from
/// another pool (instance) at once; a refused write, reads and token bookkeeping do not.
async fn revision(s: Store, spec: String) {
    let w = world(&s).await;
    let second = Store::open(&spec).await.unwrap();
    let a = org(&w.alice);
    let r0 = s.revision().await.unwrap();
    assert_eq!(r0, s.verify_log().await.unwrap().entries);
    assert_eq!(second.revision().await.unwrap(), r0);
    let (token, _) = second
        .create_token(&w.alice, &a, "ci", Role::Member)
        .await
        .unwrap();
    let r1 = s.revision().await.unwrap();
    assert!(
        r1 > r0,
        "a write through another pool moves it: {r0} -> {r1}"
    );
    // A write the store refuses (an auditor may not create tokens) leaves it.
    let refused = s
        .create_token(
            &w.provider_auditor,
            &org(&w.provider_auditor),
            "x",
            Role::Auditor,
        )
        .await;
    assert!(refused.is_err());
    // Reads, and the token's last use (bookkeeping, not tenant data), leave it too.
    assert!(s.token_principal(&token).await.unwrap().is_some());
    s.obligations(&w.alice, &a).await.unwrap();
    assert_eq!(s.revision().await.unwrap(), r1);
    // Authentication reads it in the same statement.
    let (_, at) = s.token_principal_at(&token).await.unwrap().unwrap();
    assert_eq!(at, r1);
    let sess = s
        .create_session(&w.alice.user_id, chrono::Duration::hours(1))
        .await
        .unwrap();
    let r2 = s.revision().await.unwrap();
    let (_, _, at) = s.session_at(&sess.id).await.unwrap().unwrap();
    assert_eq!(at, r2);
}
both!(revision);
