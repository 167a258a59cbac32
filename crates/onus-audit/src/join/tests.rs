use super::*;
use crate::findings::FindingRef;
use onus_model::{load_str, EvidenceLink, Options, Vocabulary, BUILTIN};

fn model(id: &str) -> Model {
    let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
    load_str(id, text, Vocabulary::builtin(), &Options::default())
        .model
        .unwrap()
}

/// Every built-in check, run over `yaml` at `now`, joined to `m`.
fn audit(m: &Model, yaml: &str, now: &str, attestations: &[Attestation]) -> Report {
    let mut inv = Inventory::default();
    inv.add_text("x.yaml", yaml).unwrap();
    let now = attest::parse_date(now).unwrap();
    let facts = FactKeys::well_known().with_model(m);
    let checks = crate::catalog::builtin().unwrap();
    let mut all = checks.clone();
    all.extend(crate::conditions::checks(m).unwrap());
    let opts = crate::result::RunOptions {
        now,
        threads: 1,
        facts: facts.clone(),
        ..Default::default()
    };
    let mut results = crate::engine::run(&inv, &all, &opts);
    let conditions = crate::conditions::results(m, &results.split_off(checks.len()));
    join(
        m,
        results,
        &JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &input_problems(&inv),
            attestations,
            attestations_file: None,
            now,
            k8s_latest: "1.34",
            conditions: &conditions,
            facts: &facts,
        },
    )
}

fn check<'r>(r: &'r Report, id: &str) -> &'r CheckReport {
    r.checks.iter().find(|c| c.result.id == id).unwrap()
}

fn item<'r>(r: &'r Report, check_id: &str, id: &str) -> FindingRef<'r> {
    check(r, check_id)
        .result
        .failures
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{check_id}: no failing item {id}"))
}

/// The party's duty in an activity, if it holds one on this cluster.
fn held<'r>(r: &'r Report, party: &str, activity: &str) -> Option<&'r DutyReport> {
    r.parties
        .iter()
        .find(|p| p.id == party)
        .unwrap()
        .sections
        .iter()
        .flat_map(|s| &s.duties)
        .find(|d| d.activity == activity)
}

fn duty<'r>(r: &'r Report, party: &str, activity: &str) -> &'r DutyReport {
    held(r, party, activity).unwrap_or_else(|| panic!("{party} holds no duty {activity}"))
}

fn landed(f: &FindingRef<'_>) -> Vec<(String, String)> {
    f.attribution
        .unwrap()
        .duties
        .iter()
        .filter(|d| !d.suggested)
        .map(|d| (d.party.clone(), d.activity.clone()))
        .collect()
}

fn pair(p: &str, a: &str) -> (String, String) {
    (p.to_string(), a.to_string())
}

/// A self-signed certificate for shop.example.com, valid until 2036-11-18 (as in
/// `tests/fixtures`).
const CERT: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ2ekNDQVdhZ0F3SUJBZ0lVZXVIY0d1VERFempDNUhYVmdvaFpWSlZCU0Jnd0NnWUlLb1pJemowRUF3SXcKR3pFWk1CY0dBMVVFQXd3UWMyaHZjQzVsZUdGdGNHeGxMbU52YlRBZUZ3MHlOakV4TWpFeU1ERTJNak5hRncwegpOakV4TVRneU1ERTJNak5hTUJzeEdUQVhCZ05WQkFNTUVITm9iM0F1WlhoaGJYQnNaUzVqYjIwd1dUQVRCZ2NxCmhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBUjN3a3d6QVVTVk15WHR0eFg5enRjVFVNbXN0UjZCVzFELzdHNW8KZmRRYWJBQXhoSzRWQ3lURW4raGNBRW82d1B4WkFhNzcvR3U2QWUrdm9kVndHclQ2bzRHSE1JR0VNQjBHQTFVZApEZ1FXQkJRMjhoZEtFdDZsUXlXRkJDd1RmOGFBMDNoZUtEQWZCZ05WSFNNRUdEQVdnQlEyOGhkS0V0NmxReVdGCkJDd1RmOGFBMDNoZUtEQVBCZ05WSFJNQkFmOEVCVEFEQVFIL01ERUdBMVVkRVFRcU1DaUNFSE5vYjNBdVpYaGgKYlhCc1pTNWpiMjJDRkhkM2R5NXphRzl3TG1WNFlXMXdiR1V1WTI5dE1Bb0dDQ3FHU000OUJBTUNBMGNBTUVRQwpJQWZKeGxRakQxSGZLTG5UTy9xVURab0NYdGI5UGxMc205S0pITktVVWRJYUFpQWdhQ00ycTJLbS9aclpqd2Y2CmJLRldiUUd0RlVIMWtHcDc5Vm5iUk5VQkhRPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

/// An Ingress of the customer's `shop` namespace: one host served without TLS, one TLS
/// section whose certificate expires on 2036-11-18.
fn ingress() -> String {
    format!(
        "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {{name: web, namespace: shop}}\nspec:\n  tls: [{{hosts: [a.example], secretName: web-tls}}]\n  rules: [{{host: a.example}}, {{host: b.example}}]\n---\nkind: Secret\napiVersion: v1\ntype: kubernetes.io/tls\nmetadata: {{name: web-tls, namespace: shop}}\ndata: {{tls.crt: {}}}\n",
        CERT
    )
}

/// A provider-managed DaemonSet and a customer's CronJob, both mounting a host path.
const HOSTPATHS: &str = "kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec: {template: {spec: {containers: [{name: p, image: 'k:1', resources: {requests: {cpu: 1, memory: 1}, limits: {memory: 1}}}], volumes: [{name: m, hostPath: {path: /lib/modules}}]}}}\n---\nkind: CronJob\napiVersion: batch/v1\nmetadata: {name: report, namespace: shop}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: r, image: 'r:1', resources: {requests: {cpu: 1, memory: 1}, limits: {memory: 1}}}], volumes: [{name: logs, hostPath: {path: /var/log}}]}}}}}\n";

#[test]
fn a_checks_reasons_land_on_different_parties() {
    let r = audit(&model("h8lio"), &ingress(), "2037-01-01", &[]);
    let host = item(&r, "tls.ingress-cert", "shop/web/b.example");
    assert_eq!(host.reason, "host-without-tls");
    assert_eq!(host.parties(), ["user"]);
    assert_eq!(
        landed(&host),
        [pair("user", "applications.apps.configuration")]
    );
    let cert = item(&r, "tls.ingress-cert", "shop/web/web-tls");
    assert_eq!(cert.reason, "expired");
    assert_eq!(
        cert.parties(),
        ["byzaneo"],
        "renewal is the provider's system, whoever owns the Ingress"
    );
    assert_eq!(cert.attribution.unwrap().owner.as_deref(), Some("user"));
    assert_eq!(
        duty(&r, "byzaneo", "networking.network.tls").status,
        DutyStatus::Fail
    );
    let cfg = duty(&r, "user", "applications.apps.configuration");
    assert_eq!(cfg.status, DutyStatus::Fail);
    let tls = cfg
        .evidence
        .iter()
        .find(|e| e.check == "tls.ingress-cert")
        .unwrap();
    assert_eq!((tls.failing, tls.status), (1, CheckStatus::Fail));
    // Both parties' duties speak to the check.
    assert_eq!(check(&r, "tls.ingress-cert").parties, ["byzaneo", "user"]);
    // Under OVHcloud's model both are the customer's configuration of its flows.
    let r = audit(&model("ovhcloud-mks"), &ingress(), "2037-01-01", &[]);
    for id in ["shop/web/b.example", "shop/web/web-tls"] {
        assert_eq!(
            landed(&item(&r, "tls.ingress-cert", id)),
            [pair("customer", "3.1.5-r3")]
        );
    }
    assert_eq!(check(&r, "tls.ingress-cert").parties, ["customer"]);
}

#[test]
fn a_provider_managed_object_never_fails_a_customer_duty() {
    for (id, provider, customer, activity) in [
        ("ovhcloud-mks", "ovhcloud", "customer", "1.1-r5"),
        ("ovhcloud-mks-en", "ovhcloud", "customer", "1.1-r5"),
        ("h8lio", "byzaneo", "user", "data.volumes.create"),
    ] {
        let r = audit(&model(id), HOSTPATHS, "2025-06-01", &[]);
        let sys = item(&r, "data.no-hostpath", "kube-system/DaemonSet/kube-proxy");
        let a = sys.attribution.unwrap();
        assert_eq!(sys.parties(), [provider], "{id}");
        assert_eq!(a.owner_by.as_deref(), Some("namespace kube-system"));
        assert!(a.duties.is_empty(), "{id}: {a:?}");
        let u = a.unassigned.as_ref().unwrap();
        assert_eq!(u.reason, UnassignedReason::OwnerHoldsNoLinkedDuty);
        assert_eq!(u.linked, [activity]);
        let mine = item(&r, "data.no-hostpath", "shop/CronJob/report");
        assert_eq!(landed(&mine), [pair(customer, activity)], "{id}");
        let d = duty(&r, customer, activity);
        assert_eq!(d.status, DutyStatus::Fail);
        assert_eq!(
            d.evidence[0].failing, 1,
            "{id}: only the customer's own item"
        );
        // The provider's items: its DaemonSet (on no duty) and the missing platform classes
        // of this bare cluster (on its duties to provide them).
        let p = r.parties.iter().find(|p| p.id == provider).unwrap();
        assert_eq!(p.items_without_duty, 1, "{id}");
        assert!(p.items > 1, "{id}");
    }
    // Without the customer's CronJob, its duty passes: the check judged objects, none of them
    // the customer's failed.
    let only_system = HOSTPATHS.split("---").next().unwrap();
    let r = audit(&model("ovhcloud-mks"), only_system, "2025-06-01", &[]);
    assert_eq!(
        check(&r, "data.no-hostpath").result.status,
        CheckStatus::Fail
    );
    assert_eq!(duty(&r, "customer", "1.1-r5").status, DutyStatus::Pass);
}

#[test]
fn a_duty_to_provide_takes_items_whoever_owns_the_object() {
    let mut m = model("ovhcloud-mks");
    m.audit.evidence.push(EvidenceLink {
        activity: "3.1.1-r1".into(),
        check: "data.no-hostpath".into(),
        reasons: vec![],
        kind: LinkKind::Provide,
        why: Text::new("en", "test"),
    });
    let r = audit(&m, HOSTPATHS, "2025-06-01", &[]);
    let sys = item(&r, "data.no-hostpath", "kube-system/DaemonSet/kube-proxy");
    assert_eq!(landed(&sys), [pair("ovhcloud", "3.1.1-r1")]);
    let mine = item(&r, "data.no-hostpath", "shop/CronJob/report");
    assert_eq!(
        landed(&mine),
        [pair("customer", "1.1-r5"), pair("ovhcloud", "3.1.1-r1")]
    );
    assert_eq!(mine.parties(), ["customer", "ovhcloud"]);
    assert_eq!(duty(&r, "ovhcloud", "3.1.1-r1").status, DutyStatus::Fail);
}

#[test]
fn suggested_links_are_shown_and_weigh_nothing() {
    // An imported model: no reviewed link at all, so topics suggest them.
    let mut m = model("h8lio");
    m.audit = onus_model::Audit::default();
    let r = audit(&m, HOSTPATHS, "2025-06-01", &[]);
    let images = format!(
        "{HOSTPATHS}---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {{name: web, namespace: shop}}\nspec: {{template: {{spec: {{containers: [{{name: w, image: 'nginx:latest'}}]}}}}}}\n"
    );
    let r2 = audit(&m, &images, "2025-06-01", &[]);
    let latest = item(&r2, "images.pinned", "shop/Deployment/web/w");
    let a = latest.attribution.unwrap();
    assert_eq!(
        latest.parties(),
        ["user"],
        "the owner, not a suggested duty"
    );
    assert_eq!(
        a.unassigned.as_ref().unwrap().reason,
        UnassignedReason::NotReviewed
    );
    assert!(a.duties.iter().all(|d| d.suggested) && !a.duties.is_empty());
    // Byzaneo's registry shares the topic, but the image is the user's: not even suggested.
    assert!(!a.duties.iter().any(|d| d.party == "byzaneo"), "{a:?}");
    let maintain = duty(&r2, "user", "summary.maintain");
    assert_ne!(
        maintain.status,
        DutyStatus::Fail,
        "a suggested link never fails a duty"
    );
    let e = maintain
        .evidence
        .iter()
        .find(|e| e.check == "images.pinned")
        .unwrap();
    assert!(e.link.suggested && e.failing == 1 && e.status == CheckStatus::Fail);
    assert!(
        maintain.checks.is_empty(),
        "`checks` lists reviewed links only"
    );
    assert!(check(&r2, "images.pinned")
        .links
        .iter()
        .all(|l| l.link.suggested));
    assert!(r
        .checks
        .iter()
        .all(|c| c.links.iter().all(|l| l.link.suggested)));
}

#[test]
fn a_check_the_model_says_concerns_no_duty_says_why() {
    // No IngressClass: OVHcloud's guide obliges nobody to run an ingress controller.
    let r = audit(&model("ovhcloud-mks"), HOSTPATHS, "2025-06-01", &[]);
    let c = check(&r, "provider.ingress-class");
    assert_eq!(c.result.status, CheckStatus::Fail);
    let f = c.result.failures.get(0).unwrap();
    assert!(f.parties().is_empty(), "no object, no duty: nobody's");
    assert_eq!(
        f.attribution.unwrap().unassigned.as_ref().unwrap().reason,
        UnassignedReason::NoDuty
    );
    assert!(c.no_duty[0].why.best("en").contains("ingress controller"));
    assert!(c.links.is_empty() && c.parties.is_empty());
    // Under h8lio, the provider's edge router is missing.
    let r = audit(&model("h8lio"), HOSTPATHS, "2025-06-01", &[]);
    let f = check(&r, "provider.ingress-class")
        .result
        .failures
        .get(0)
        .unwrap();
    assert_eq!(
        landed(&f),
        [
            pair("byzaneo", "runtime.kubernetes.edge-router"),
            pair("byzaneo", "networking.network.domain-routing")
        ]
    );
}

#[test]
fn a_condition_over_the_cluster_moves_a_duty() {
    let mut m = model("h8lio");
    m.audit.conditions = vec![Condition {
        activity: "runtime.kubernetes.networks".into(),
        when: "objects(\"DaemonSet\").exists(d, nsOf(d) != \"kube-system\" && d.metadata.name == \"cilium\")".into(),
        roles: [("user".to_string(), "RA".to_string()), ("byzaneo".to_string(), String::new())]
            .into_iter()
            .collect(),
        why: Text::new("en", "the user runs its own CNI"),
    }];
    let held = |r: &Report, p: &str| held(r, p, "runtime.kubernetes.networks").is_some();
    let r = audit(&m, HOSTPATHS, "2025-06-01", &[]);
    assert!(held(&r, "byzaneo") && !held(&r, "user"));
    assert_eq!(r.conditions[0].holds, Some(false));
    let own = format!("{HOSTPATHS}---\nkind: DaemonSet\napiVersion: apps/v1\nmetadata: {{name: cilium, namespace: cilium}}\n");
    let r = audit(&m, &own, "2025-06-01", &[]);
    assert!(!held(&r, "byzaneo") && held(&r, "user"));
    let d = duty(&r, "user", "runtime.kubernetes.networks");
    assert_eq!(
        d.condition.as_ref().unwrap().why.best("en"),
        "the user runs its own CNI"
    );
    assert_eq!(d.letters, "RA");
    // A report joined without the condition's outcome keeps the published roles, and says so.
    let mut r2 = r.clone();
    r2.conditions.clear();
    let again = r2.rejoin(&m, &[], None).unwrap();
    assert!(held(&again, "byzaneo"));
    assert!(again
        .problems
        .iter()
        .any(|p| p.message.contains("was not evaluated")));
}

#[test]
fn a_report_read_back_from_json_is_the_same_report_and_joins_again_to_it() {
    let yaml = format!("{HOSTPATHS}---\n{}", ingress());
    for id in ["ovhcloud-mks", "h8lio"] {
        let r = audit(&model(id), &yaml, "2037-01-01", &[]);
        let json = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r, "{id}: JSON round trip");
        let again = back.rejoin(&model(id), &[], None).unwrap();
        assert_eq!(again, r, "{id}: joined again from plain data");
    }
    // Joined to another model, a report gives what an audit with that model gives.
    let mks = audit(&model("ovhcloud-mks"), &yaml, "2037-01-01", &[]);
    let direct = audit(&model("h8lio"), &yaml, "2037-01-01", &[]);
    let mut via = mks.rejoin(&model("h8lio"), &[], None).unwrap();
    // The run's recorded keys are the audited model's; both built-in models name the same.
    via.facts = direct.facts.clone();
    assert_eq!(via, direct);
}

#[test]
fn an_unevaluable_item_lands_on_every_link_of_its_check() {
    let mut inv = Inventory::default();
    inv.add_text("x.yaml", HOSTPATHS).unwrap();
    let m = model("ovhcloud-mks");
    let mut result = crate::engine::run(
        &inv,
        &crate::catalog::builtin().unwrap(),
        &Default::default(),
    )
    .into_iter()
    .find(|r| r.id == "data.no-hostpath")
    .unwrap();
    result
        .errors
        .push("shop/CronJob/x", "`rule`: no such key", None, None);
    result.status = CheckStatus::Error;
    let facts = FactKeys::well_known();
    let r = join(
        &m,
        vec![result],
        &JoinInput {
            inputs: &[],
            objects: 0,
            problems: &[],
            attestations: &[],
            attestations_file: None,
            now: attest::parse_date("2025-06-01").unwrap(),
            k8s_latest: "1.34",
            conditions: &[],
            facts: &facts,
        },
    );
    let e = r.checks[0].result.errors.get(0).unwrap();
    assert_eq!(
        landed(&e),
        [pair("customer", "1.1-r5")],
        "no facts: no owner, every link"
    );
    let d = duty(&r, "customer", "1.1-r5");
    assert_eq!(
        (d.evidence[0].errors, d.status),
        (1, DutyStatus::Fail),
        "a failure weighs more than an error"
    );
}

#[test]
fn duties_without_checks_need_attestation_or_are_attested() {
    let a = attest::parse(
        "a.yaml",
        "attestations:\n- {activity: 3.1.7-r4, date: 2025-03-01, by: Jane, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: 3.1.7-r4, date: 2023-03-01, by: Old, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: 5.1-r1, date: 2024-01-01, by: Jane, valid: P1M, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: nope, date: 2024-01-01, by: Jane, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n",
    )
    .unwrap();
    let r = audit(&model("ovhcloud-mks"), &ingress(), "2025-06-01", &a);
    assert_eq!(
        duty(&r, "customer", "3.1.7-r4").status,
        DutyStatus::Attested
    );
    assert_eq!(
        duty(&r, "customer", "3.1.7-r4")
            .attestation
            .as_ref()
            .unwrap()
            .by,
        "Jane"
    );
    assert_eq!(duty(&r, "customer", "5.1-r1").status, DutyStatus::Overdue);
    assert_eq!(
        duty(&r, "customer", "4.1-r2").status,
        DutyStatus::NeedsAttestation
    );
    assert_eq!(r.problems.len(), 1);
    assert!(r.problems[0].message.contains("`nope`"));
    let ovh = r.parties.iter().find(|p| p.id == "ovhcloud").unwrap();
    assert!(ovh
        .sections
        .iter()
        .flat_map(|s| &s.duties)
        .all(|d| d.letters.contains('R') || d.letters.contains('A')));
    let cust = r.parties.iter().find(|p| p.id == "customer").unwrap();
    assert_eq!(
        cust.sections[0].title.get("en"),
        Some("Before subscription › Specify service as needed")
    );
    // Joined again with the same attestations, the problem is not listed twice.
    let again = r.clone().rejoin(&model("ovhcloud-mks"), &a, None).unwrap();
    assert_eq!(again, r);
}
