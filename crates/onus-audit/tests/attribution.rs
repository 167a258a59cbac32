//! Every failing item lands on the party that can fix it, on generated clusters and every
//! built-in model:
//!
//! - a customer's misconfiguration in a customer namespace never fails a provider duty (an item
//!   reaches a provider duty only through a link to *provide*, for the reasons the model gives
//!   the provider: certificates under h8lio, the platform's classes and APIs);
//! - an object the provider manages never fails a customer duty;
//! - every failing item of a built-in check lands on a reviewed duty, or says why not: the model
//!   says the check concerns no duty, or the item's owner holds none of its duties.

use onus_audit::join::{self, JoinInput, Report};
use onus_audit::ownership::FactKeys;
use onus_audit::{catalog, conditions, run, RunOptions, UnassignedReason};
use onus_inventory::Inventory;
use onus_model::{load_str, LinkKind, Model, Options, PartyKind, Vocabulary, BUILTIN};

mod fixtures;

fn model(id: &str) -> Model {
    let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
    load_str(id, text, Vocabulary::builtin(), &Options::default())
        .model
        .unwrap()
}

/// splitmix64: reproducible clusters without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A workload (Deployment, StatefulSet or DaemonSet) with random faults.
fn workload(rng: &mut Rng, kind: &str, ns: &str, name: &str, labels: &str) -> String {
    let image = rng.pick(&["nginx:1.27.3", "nginx:latest", "redis", "app@sha256:00"]);
    let resources = if rng.chance(50) {
        "resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 1Gi}}"
    } else {
        "resources: {requests: {cpu: 1}}"
    };
    let probes = if rng.chance(50) {
        ", readinessProbe: {tcpSocket: {port: 1}}, livenessProbe: {tcpSocket: {port: 1}}"
    } else {
        ""
    };
    let volumes = if rng.chance(40) {
        "\n      volumes: [{name: h, hostPath: {path: /var/lib}}]"
    } else {
        ""
    };
    let replicas = if kind == "DaemonSet" {
        String::new()
    } else {
        format!("\n  replicas: {}", 1 + rng.next() % 3)
    };
    format!(
        "---\nkind: {kind}\napiVersion: apps/v1\nmetadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}\nspec:{replicas}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: c, image: '{image}', {resources}{probes}}}]{volumes}\n"
    )
}

/// A cluster: the customer's namespaces, the provider's system namespace, an add-on marked by
/// the add-on manager outside it, nodes, bindings, Ingresses with certificates, backups.
fn cluster(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut y = String::new();
    for n in 0..3 {
        let ns = format!("team-{n}");
        for w in 0..3 {
            let kind = rng.pick(&["Deployment", "StatefulSet", "DaemonSet"]);
            y += &workload(&mut rng, kind, &ns, &format!("app-{w}"), "team: x");
        }
        if rng.chance(50) {
            y += &format!("---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {{name: deny, namespace: {ns}}}\nspec: {{podSelector: {{}}}}\n");
        }
        if rng.chance(70) {
            y += &format!("---\nkind: PersistentVolumeClaim\napiVersion: v1\nmetadata: {{name: data, namespace: {ns}}}\n");
        }
        let secret = if rng.chance(50) { "web-tls" } else { "absent" };
        y += &format!(
            "---\nkind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  tls: [{{hosts: [a.example], secretName: {secret}}}]\n  rules: [{{host: a.example}}, {{host: b.example}}]\n---\nkind: Secret\napiVersion: v1\ntype: kubernetes.io/tls\nmetadata: {{name: web-tls, namespace: {ns}}}\ndata: {{tls.crt: {}}}\n",
            fixtures::CERT
        );
    }
    for w in ["kube-proxy", "canal", "coredns"] {
        let kind = if w == "coredns" {
            "Deployment"
        } else {
            "DaemonSet"
        };
        y += &workload(&mut rng, kind, "kube-system", w, "k8s-app: system");
    }
    y += &workload(
        &mut rng,
        "Deployment",
        "monitoring",
        "metrics-agent",
        "addonmanager.kubernetes.io/mode: Reconcile",
    );
    for (i, version) in ["v1.34.1", "v1.30.2", "v1.33.0"].iter().enumerate() {
        if rng.chance(70) {
            y += &format!("---\nkind: Node\napiVersion: v1\nmetadata: {{name: node-{i}}}\nstatus: {{nodeInfo: {{kubeletVersion: {version}}}}}\n");
        }
    }
    y += "---\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: ci, labels: {team: x}}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: team-0}]\n";
    y += "---\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: system:discovery-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: system:authenticated}]\n";
    if rng.chance(60) {
        y += "---\nkind: Schedule\napiVersion: velero.io/v1\nmetadata: {name: daily, namespace: velero}\nspec: {template: {includedNamespaces: [team-0]}}\n";
    }
    if rng.chance(50) {
        y += "---\nkind: IngressClass\napiVersion: networking.k8s.io/v1\nmetadata: {name: nginx}\n";
    }
    y
}

fn audit(m: &Model, yaml: &str, now: &str) -> Report {
    let mut inv = Inventory::default();
    inv.add_text("gen.yaml", yaml).unwrap();
    let facts = FactKeys::well_known().with_model(m);
    let now = chrono::DateTime::parse_from_rfc3339(now).unwrap();
    let opts = RunOptions {
        now,
        threads: 1,
        facts: facts.clone(),
        ..RunOptions::default()
    };
    let checks = catalog::builtin().unwrap();
    let mut all = checks.clone();
    all.extend(conditions::checks(m).unwrap());
    let mut results = run(&inv, &all, &opts);
    let conds = conditions::results(m, &results.split_off(checks.len()));
    join::join(
        m,
        results,
        &JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &join::input_problems(&inv),
            attestations: &[],
            attestations_file: None,
            now,
            k8s_latest: "1.34",
            conditions: &conds,
            facts: &facts,
        },
    )
}

fn kind_of(m: &Model, party: &str) -> Option<PartyKind> {
    m.party(party).map(|p| p.kind)
}

/// Whether an item of `check` with `reason` may reach `party`'s duty `activity`: through a
/// link to provide, for that reason.
fn provided(m: &Model, check: &str, activity: &str, reason: &str) -> bool {
    m.audit.evidence.iter().any(|l| {
        l.check == check
            && l.activity == activity
            && l.kind == LinkKind::Provide
            && (l.reasons.is_empty()
                || reason
                    .split("; ")
                    .any(|p| l.reasons.iter().any(|r| p.starts_with(r.as_str()))))
    })
}

#[test]
fn every_item_lands_on_the_party_that_can_fix_it_on_generated_clusters() {
    let mut seen = [0usize; 4];
    for id in ["ovhcloud-mks", "ovhcloud-mks-en", "h8lio"] {
        let m = model(id);
        for seed in 0..24u64 {
            // Before and after the test certificate expires (2036-11-18).
            let now = if seed % 2 == 0 {
                "2025-06-01T12:00:00Z"
            } else {
                "2037-01-01T00:00:00Z"
            };
            let r = audit(&m, &cluster(seed), now);
            for c in &r.checks {
                for f in c.result.failures.iter() {
                    let a = f.attribution.expect("joined");
                    let owner = a.owner.as_deref().and_then(|o| kind_of(&m, o));
                    let ns = f.namespace().unwrap_or("");
                    for d in a.duties.iter().filter(|d| !d.suggested) {
                        let holder = kind_of(&m, &d.party);
                        if owner == Some(PartyKind::Customer) && holder == Some(PartyKind::Provider)
                        {
                            assert!(
                                provided(&m, &c.result.id, &d.activity, f.reason),
                                "{id} seed {seed}: the customer's {} ({}) fails the provider's {} through a link that is not to provide",
                                f.id, f.reason, d.activity
                            );
                            seen[0] += 1;
                        }
                        assert!(
                            !(owner == Some(PartyKind::Provider)
                                && holder == Some(PartyKind::Customer)),
                            "{id} seed {seed}: the provider's {} ({ns}) fails the customer's {}",
                            f.id,
                            d.activity
                        );
                    }
                    // Objects of the system namespace, or marked by the add-on manager (a
                    // namespace as a whole is the customer's unless the model names it).
                    if f.kind().is_some() && (ns == "kube-system" || ns == "monitoring") {
                        assert_eq!(owner, Some(PartyKind::Provider), "{id}: {}", f.id);
                        seen[1] += 1;
                    }
                    if ns.starts_with("team-") {
                        assert_eq!(owner, Some(PartyKind::Customer), "{id}: {}", f.id);
                    }
                    match a.unassigned.as_ref().map(|u| u.reason) {
                        None => seen[2] += 1,
                        Some(UnassignedReason::NoDuty) => assert!(!c.no_duty.is_empty()),
                        Some(UnassignedReason::OwnerHoldsNoLinkedDuty) => {
                            assert_eq!(owner, Some(PartyKind::Provider), "{id}: {}", f.id);
                            seen[3] += 1;
                        }
                        Some(other) => panic!(
                            "{id} seed {seed}: {} of {} says {other:?}: a built-in check must be reviewed for every reason",
                            f.id, c.result.id
                        ),
                    }
                }
            }
        }
    }
    // The generated clusters exercise each case.
    assert!(seen.iter().all(|n| *n > 0), "{seen:?}");
}

#[test]
fn every_builtin_check_is_reviewed_by_every_builtin_model() {
    let checks = catalog::builtin().unwrap();
    for (id, _) in BUILTIN {
        let m = model(id);
        for c in &checks {
            let linked = m.audit.evidence.iter().any(|l| l.check == c.id);
            let no_duty = m.audit.no_duty.iter().any(|n| n.check == c.id);
            assert!(
                linked || no_duty,
                "{id}: check `{}` lands on no duty and the model does not say why",
                c.id
            );
            // Every reason the check gives is linked or declared to concern no duty.
            for reason in &c.reasons {
                let covered = |reasons: &[String]| {
                    reasons.is_empty() || reasons.iter().any(|r| reason.starts_with(r.as_str()))
                };
                assert!(
                    m.audit
                        .evidence
                        .iter()
                        .any(|l| l.check == c.id && covered(&l.reasons))
                        || m.audit
                            .no_duty
                            .iter()
                            .any(|n| n.check == c.id && covered(&n.reasons)),
                    "{id}: reason `{reason}` of `{}` is neither linked nor said to concern no duty",
                    c.id
                );
            }
        }
        // And the model validates against the catalog.
        let (_, text) = BUILTIN.iter().find(|(i, _)| i == id).unwrap();
        let l = load_str(
            id,
            text,
            Vocabulary::builtin(),
            &Options {
                known_checks: Some(catalog::known(&checks)),
                condition_syntax: Some(conditions::syntax),
                ..Options::default()
            },
        );
        let audit_findings: Vec<String> = l
            .diagnostics
            .iter()
            .filter(|d| {
                d.pointer
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/audit"))
            })
            .map(|d| d.to_string())
            .collect();
        assert!(audit_findings.is_empty(), "{id}: {audit_findings:#?}");
    }
}

/// docs/models.md shows every link and every no-duty entry of the shipped models, row by row.
#[test]
fn docs_models_lists_every_link() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/models.md"))
        .unwrap();
    for id in ["ovhcloud-mks", "h8lio"] {
        let m = model(id);
        let section = doc
            .split("\n### ")
            .find(|s| s.starts_with(&format!("`{id}`")))
            .unwrap_or_else(|| panic!("no section for {id}"));
        let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
        for l in &m.audit.evidence {
            assert!(
                rows.iter()
                    .any(|r| r.starts_with(&format!("| `{}` |", l.check))
                        && r.contains(&format!("| `{}` ", l.activity))
                        && r.contains(&format!("| {} |", l.kind.as_str()))),
                "docs/models.md, {id}: no row for {} → {} ({})",
                l.check,
                l.activity,
                l.kind.as_str()
            );
        }
        for n in &m.audit.no_duty {
            assert!(
                rows.iter()
                    .any(|r| r.starts_with(&format!("| `{}` |", n.check)) && r.contains("no duty")),
                "docs/models.md, {id}: no row for {}",
                n.check
            );
        }
        assert_eq!(
            rows.len(),
            m.audit.evidence.len() + m.audit.no_duty.len(),
            "docs/models.md, {id}: rows that are not links"
        );
    }
    // The English edition has the same links as the French.
    let (fr, en) = (model("ovhcloud-mks"), model("ovhcloud-mks-en"));
    let key = |m: &Model| -> Vec<(String, String, String)> {
        m.audit
            .evidence
            .iter()
            .map(|l| {
                (
                    l.check.clone(),
                    l.activity.clone(),
                    l.kind.as_str().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(key(&fr), key(&en));
    assert_eq!(fr.audit.managed, en.audit.managed);
}
