//! Cost per evaluation of built-in expressions on a typical Deployment (`bench/gen.py`'s
//! shape). Run in release: `cargo test --release -p onus-audit --lib cel -- --ignored
//! --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use onus_inventory::doc::Doc;
use serde_json::json;

use super::check;
use super::{at, params, Index, W};
use crate::cel::{Env, Program, Val};

fn deployment(i: usize) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("obj-{i}"), "namespace": "team-1",
                     "labels": {"app": format!("obj-{i}"), "team": "team-1"}},
        "spec": {"replicas": 1 + i % 3, "selector": {"matchLabels": {"app": format!("obj-{i}")}},
                 "template": {"metadata": {"labels": {"app": format!("obj-{i}")}},
                              "spec": {"containers": [{"name": "main", "image": "nginx:1.27.3",
                                  "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                                  "ports": [{"containerPort": 8080}],
                                  "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}}]}}}
    })
}

fn pdb(app: &str) -> serde_json::Value {
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": app, "namespace": "team-1"},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}})
}

/// Nanoseconds per evaluation of `src`, `item` bound to `item` (or the object).
fn time(label: &str, src: &str, object: Val<'_>, item: Option<Val<'_>>, world: &W<'_>) -> f64 {
    // `CEL_BENCH_ONLY` keeps only that label (to count instructions of one).
    if std::env::var("CEL_BENCH_ONLY").is_ok_and(|o| label != o) {
        return 0.0;
    }
    let p = Program::compile(src).unwrap();
    let pr = params();
    let env = Env {
        item: item.unwrap_or(object.clone()),
        object,
        now: at("2025-06-01T12:00:00Z"),
        params: &pr,
        world,
    };
    let first = p.eval(&env).unwrap();
    // `CEL_BENCH_N` lowers the count to run under callgrind.
    let n: u32 = std::env::var("CEL_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let t = Instant::now();
    for _ in 0..n {
        black_box(p.eval(black_box(&env)).unwrap());
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    eprintln!("{label:<40} {ns:>8.0} ns/eval  -> {first}");
    ns
}

#[test]
#[ignore]
fn cost_per_evaluation() {
    let obj = Doc::from_json(&deployment(3));
    let mut others: Vec<Doc> = (10..14).map(|i| Doc::from_json(&deployment(i))).collect();
    // Four PodDisruptionBudgets in the namespace, the last one selecting the object.
    others.extend(["a", "b", "c", "obj-3"].map(|a| Doc::from_json(&pdb(a))));
    let ix = Index::new(&others);
    let world = W(&ix);
    let object = Val::node(obj.root());
    let container = Val::node(
        obj.root()
            .path(&["spec", "template", "spec", "containers", "0"])
            .unwrap(),
    );
    let mut total = 0.0;
    for id in [
        "workload.resources",
        "continuity.replicas-pdb",
        "images.pinned",
        "monitoring.probes",
        "data.no-hostpath",
    ] {
        let c = check(id);
        let item = c.items.is_some().then(|| container.clone());
        for (part, src) in [
            ("when", &c.when),
            ("items", &c.items),
            ("item_id", &c.item_id),
        ] {
            if let Some(src) = src {
                time(
                    &format!("{id} {part}"),
                    src,
                    object.clone(),
                    item.clone(),
                    &world,
                );
            }
        }
        total += time(&format!("{id} rule"), &c.rule, object.clone(), item, &world);
    }
    eprintln!("total of the rules: {total:.0} ns");
    // The cost of one more budget in the namespace (the rule is quadratic in its size).
    let many: Vec<Doc> = (0..100)
        .map(|i| Doc::from_json(&pdb(&format!("other-{i}"))))
        .collect();
    let ix = Index::new(&many);
    let c = check("continuity.replicas-pdb");
    let t = time(
        "continuity.replicas-pdb rule, 100 budgets",
        &c.rule,
        object,
        None,
        &W(&ix),
    );
    eprintln!("per budget: {:.0} ns", t / 100.0);
}

#[test]
#[ignore]
fn cost_of_basics() {
    let obj = Doc::from_json(&deployment(3));
    let ix = Index::new(&[]);
    let world = W(&ix);
    let object = Val::node(obj.root());
    eprintln!(
        "size_of Val {} Result {}",
        std::mem::size_of::<Val<'_>>(),
        std::mem::size_of::<Result<Val<'_>, crate::cel::EvalError>>()
    );
    for src in [
        "1",
        "object",
        "object.kind",
        "object.kind != 'Pod'",
        "dig(object, 'spec.replicas', 1)",
        "ref(object)",
        "'a' + object.kind",
        "[1, object.kind]",
        "dig(podSpec(object), 'containers', [])",
        "podSpec(object)",
    ] {
        time(src, src, object.clone(), None, &world);
    }
}
