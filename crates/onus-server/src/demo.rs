//! `onus serve --demo`: a realistic portal a newcomer can click through at once. A provider
//! organisation per built-in model (OVHcloud publishing `ovhcloud-mks`, Byzaneo publishing
//! `h8lio`), a customer subscribed to both with the example cluster's audits and the example
//! attestations, and users with printed credentials. Everything goes through the same
//! functions as the API, so the demo is also a test of them.

use onus_model::{PartyKind, BUILTIN};
use onus_store::{OrgKind, OrgRef, Principal, Role};

use crate::api::{self, AttestInput};
use crate::error::ApiError;
use crate::{domain, App};

/// What the CLI hands over: audit reports it produced (`onus.audit/v1` JSON) per model, and
/// the example attestations file.
pub struct DemoInput {
    pub audits: Vec<(String, Vec<u8>)>,
    pub attestations: Option<(String, String)>,
    /// Where the webhooks of Shop SAS and OVHcloud point (the demo server's own receiver,
    /// `/demo/webhook`).
    pub webhook_url: Option<String>,
}

/// A user the demo created.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub org: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

async fn principal(app: &App, user_id: &str) -> Result<Principal, ApiError> {
    let s = app
        .store
        .create_session(user_id, chrono::Duration::minutes(5))
        .await?;
    let (p, _) = app
        .store
        .session(&s.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    app.store.end_session(&p, &s.id).await?;
    Ok(p)
}

/// Seeds the demo with the instance administrator `admin` acting. Refuses a database that
/// already has organisations (the demo never mixes with real data).
pub async fn seed(
    app: &App,
    admin: &Principal,
    input: DemoInput,
) -> Result<Vec<DemoUser>, ApiError> {
    if !app.store.list_orgs(admin).await?.is_empty() {
        return Err(ApiError::bad_request(
            "the database already has organisations: the demo needs an empty one",
        ));
    }
    let mut users = Vec::new();
    let make = |org: &OrgRef, email: &str, name: &str, role: Role| {
        let o = org.clone();
        let (email, name) = (email.to_string(), name.to_string());
        async move {
            let created = api::add_user(app, admin, &o, &email, &name, role, None).await?;
            Ok::<_, ApiError>((
                created.user.id,
                DemoUser {
                    org: o.slug,
                    email,
                    role,
                    password: created.password.unwrap_or_default(),
                },
            ))
        }
    };
    let ovh = app
        .store
        .create_org(admin, "ovhcloud", "OVHcloud", OrgKind::Provider)
        .await?;
    let byz = app
        .store
        .create_org(admin, "byzaneo", "Byzaneo", OrgKind::Provider)
        .await?;
    let shop = app
        .store
        .create_org(admin, "shop", "Shop SAS", OrgKind::Customer)
        .await?;
    let (ovh_admin, u) = make(&ovh, "admin@ovhcloud.demo", "Olivier Vidal", Role::Admin).await?;
    users.push(u);
    let (_, u) = make(
        &ovh,
        "auditor@ovhcloud.demo",
        "Hélène Martin",
        Role::Auditor,
    )
    .await?;
    users.push(u);
    let (byz_admin, u) = make(&byz, "admin@byzaneo.demo", "Bruno Zanetti", Role::Admin).await?;
    users.push(u);
    let (alice, u) = make(&shop, "alice@shop.demo", "Alice Durand", Role::Admin).await?;
    users.push(u);
    let (_, u) = make(&shop, "bob@shop.demo", "Bob Lefèvre", Role::Member).await?;
    users.push(u);
    let (_, u) = make(&shop, "carol@shop.demo", "Carol Nguyen", Role::Auditor).await?;
    users.push(u);

    let ovh_p = principal(app, &ovh_admin).await?;
    let byz_p = principal(app, &byz_admin).await?;
    let alice_p = principal(app, &alice).await?;
    for (p, org, model_id) in [(&ovh_p, &ovh, "ovhcloud-mks"), (&byz_p, &byz, "h8lio")] {
        let text = BUILTIN
            .iter()
            .find(|(id, _)| *id == model_id)
            .map(|(_, t)| *t)
            .ok_or_else(|| ApiError::internal(format!("built-in model {model_id} missing")))?;
        api::publish(app, p, org, text).await?;
        api::subscribe_to(app, &alice_p, &shop, &org.slug, model_id).await?;
        // The provider attests two of its own duties and publishes them to its customers.
        let ctx = app.context_for(p, org, model_id, None).await?;
        let duties = domain::duties(&ctx.model, PartyKind::Provider).map_err(ApiError::internal)?;
        let today = chrono::Utc::now().date_naive();
        let list: Vec<AttestInput> = duties
            .iter()
            .filter(|d| {
                ctx.model
                    .activity(&d.activity_id)
                    .is_some_and(|a| a.cadence.is_none())
            })
            .take(2)
            .map(|d| AttestInput {
                activity: d.activity_id.clone(),
                date: (today - chrono::Duration::days(20)).to_string(),
                by: format!("{} security team", org.name),
                valid: Some("P1Y".into()),
                note: Some("Annual control, demo data".into()),
                evidence: None,
                file: Some((
                    format!("control-{}.txt", d.activity_id),
                    "text/plain".into(),
                    format!(
                        "{} — control report for activity {} of {model_id} (demo data)\n",
                        org.name, d.activity_id
                    )
                    .into_bytes(),
                )),
            })
            .collect();
        for a in api::store_attestations(app, p, org, &ctx, list).await? {
            app.store
                .set_shared(
                    p,
                    &org.id,
                    onus_store::evidence::EvidenceKind::Attestation,
                    &a.id,
                    true,
                )
                .await?;
        }
    }
    for (model_id, report) in &input.audits {
        let provider = if model_id == "h8lio" {
            "byzaneo"
        } else {
            "ovhcloud"
        };
        api::ingest_audit(
            app,
            &alice_p,
            &shop,
            Some(provider),
            &format!("{model_id}-audit.json"),
            report,
        )
        .await?;
    }
    if let Some((name, text)) = &input.attestations {
        let ctx = app
            .context_for(&alice_p, &shop, "ovhcloud-mks", Some("ovhcloud"))
            .await?;
        let list = api::attestations_file(&ctx, name, text)?;
        let added = api::store_attestations(app, &alice_p, &shop, &ctx, list).await?;
        // One item shared with the provider, to show sharing item by item.
        if let Some(first) = added.first() {
            app.store
                .set_shared(
                    &alice_p,
                    &shop.id,
                    onus_store::evidence::EvidenceKind::Attestation,
                    &first.id,
                    true,
                )
                .await?;
        }
    }
    seed_events(
        app,
        &ovh_p,
        &ovh,
        &alice_p,
        &shop,
        input.webhook_url.as_deref(),
    )
    .await?;
    Ok(users)
}

/// Events a newcomer can click through: an incident from opening to approval, a change
/// request waiting for OVHcloud, a forced upgrade waiting for Shop SAS's acknowledgement, a
/// misconfiguration incident where OVHcloud is consulted; the webhooks of Shop SAS and
/// OVHcloud pointing at the demo's receiver.
async fn seed_events(
    app: &App,
    ovh_p: &Principal,
    ovh: &OrgRef,
    alice_p: &Principal,
    shop: &OrgRef,
    webhook_url: Option<&str>,
) -> Result<(), ApiError> {
    use crate::events_api::{open, OpenEvent};
    use onus_store::events::Action;
    if let Some(url) = webhook_url {
        // Both sides' webhooks point at the demo's receiver: every step reaches one of them
        // (an organisation is not told of its own steps).
        for (p, org) in [(alice_p, shop), (ovh_p, ovh)] {
            let (_, secret) = crate::events_api::add_webhook(app, p, org, url, &[]).await?;
            if let Ok(mut s) = app.demo.secrets.lock() {
                s.insert(org.slug.clone(), secret);
            }
        }
    }
    let event = |t: &str, title: &str, description: &str| OpenEvent {
        event_type: t.into(),
        model: "ovhcloud-mks".into(),
        provider: Some("ovhcloud".into()),
        title: title.into(),
        description: description.into(),
        ..OpenEvent::default()
    };
    // 3.2.1: the customer notifies, OVHcloud intervenes and approves its resolution.
    let i = open(
        app,
        alice_p,
        shop,
        OpenEvent {
            severity: Some("high".into()),
            service: Some("shop-prod cluster".into()),
            ..event(
                "incident",
                "API server unreachable from the checkout pods",
                "Since 09:12 UTC, pods in the checkout namespace time out when they call the Kubernetes API (kubectl works from outside).",
            )
        },
        Some((
            "kubectl-events.txt".into(),
            "text/plain".into(),
            b"09:12:03 checkout-7d9 Warning FailedSync: dial tcp 10.3.0.1:443: i/o timeout\n".to_vec(),
        )),
    )
    .await?;
    let id = &i.event.id;
    app.store
        .transition(ovh_p, &ovh.id, id, Action::Acknowledge, None)
        .await?;
    app.store
        .comment(ovh_p, &ovh.id, id, "A konnectivity agent on your node pool lost its tunnel after a control-plane update; we are restarting it.", None)
        .await?;
    app.store
        .transition(
            ovh_p,
            &ovh.id,
            id,
            Action::Resolve,
            Some("konnectivity agents redeployed; API calls from pods succeed again."),
        )
        .await?;
    app.store.approve(ovh_p, &ovh.id, id, true, None).await?;
    // 3.2.2: Shop SAS requests, OVHcloud performs (acknowledged, not yet done).
    let c = open(
        app,
        alice_p,
        shop,
        event(
            "change-request",
            "Add a node pool of 3 b3-16 nodes",
            "Black Friday is coming: please add a node pool of three b3-16 nodes to shop-prod, autoscaling up to 6.",
        ),
        None,
    )
    .await?;
    app.store
        .transition(ovh_p, &ovh.id, &c.event.id, Action::Acknowledge, None)
        .await?;
    // 3.1.6: OVHcloud forces an upgrade, Shop SAS is informed and acknowledges.
    let due = (chrono::Utc::now() + chrono::Duration::days(21))
        .date_naive()
        .to_string();
    open(
        app,
        ovh_p,
        ovh,
        OpenEvent {
            due: Some(due),
            ..event(
                "forced-upgrade",
                "Kubernetes 1.29 reaches end of support: clusters upgraded to 1.30",
                "Kubernetes 1.29 is no longer maintained. Clusters still on 1.29 on the date will be upgraded to 1.30 by OVHcloud. Upgrade before then to choose your time.",
            )
        },
        None,
    )
    .await?;
    // 3.2.1, row 4: the customer's own misconfiguration; OVHcloud is consulted.
    let m = open(
        app,
        alice_p,
        shop,
        OpenEvent {
            severity: Some("medium".into()),
            service: Some("batch jobs".into()),
            ..event(
                "misconfiguration-incident",
                "Batch jobs starve the control plane",
                "Our nightly batch creates 4,000 pods at once; the API server throttles everyone.",
            )
        },
        None,
    )
    .await?;
    app.store
        .consult(alice_p, &shop.id, &m.event.id, "Is a burst of 4,000 pod creations within the control plane's limits, or should we spread them?")
        .await?;
    Ok(())
}

/// [`seed`] as the instance administrator of that e-mail.
pub async fn seed_as(
    app: &App,
    admin_email: &str,
    input: DemoInput,
) -> Result<Vec<DemoUser>, ApiError> {
    let admin = app
        .store
        .login_user(admin_email)
        .await?
        .ok_or_else(|| ApiError::not_found("instance administrator"))?;
    let p = principal(app, &admin.id).await?;
    seed(app, &p, input).await
}
