//! An audit streamed from a file (per-object checks judged as objects are read, objects kept
//! for cross-object checks projected to what `cel::reads` says they read) gives exactly the
//! results of the same objects audited whole in memory: for every built-in check, on every
//! fixture (those of `tests/checks.rs` and their variants), chunked as the reader chunks and
//! on two threads. This is what makes the projection safe: a field the analysis missed would
//! change a result here.

use onus_audit::{audit_paths, catalog, run, RunOptions};
use onus_inventory::Inventory;

mod fixtures;
use fixtures::fixtures;

#[test]
fn streamed_audit_equals_whole_audit() {
    let checks = catalog::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut facts_seen = 0;
    for (n, (yaml, now)) in fixtures().into_iter().enumerate() {
        let file = dir.path().join(format!("f{n}.yaml"));
        std::fs::write(&file, &yaml).unwrap();
        let opts = RunOptions {
            now: chrono::DateTime::parse_from_rfc3339(now).unwrap(),
            threads: 2,
            ..RunOptions::default()
        };
        let mut inv = Inventory::default();
        inv.add_text(&file.display().to_string(), &yaml).unwrap();
        let whole = run(&inv, &checks, &opts);
        let (streamed, _) = audit_paths(&[file], &checks, &opts).unwrap();
        assert_eq!(whole.len(), streamed.len());
        // The facts ownership needs survive projection (the StatefulSet of WORKLOADS).
        if let Some(f) = streamed
            .iter()
            .find(|r| r.id == "continuity.replicas-pdb")
            .and_then(|r| r.failures.iter().find(|f| f.id == "shop/StatefulSet/db"))
        {
            let facts = f.facts.unwrap();
            assert_eq!(facts.label("app.kubernetes.io/managed-by"), Some("Helm"));
            assert_eq!(
                facts.annotation("components.gke.io/component-name"),
                Some("db")
            );
            assert_eq!(facts.annotations().len(), 1);
            facts_seen += 1;
        }
        for (w, s) in whole.iter().zip(&streamed) {
            assert_eq!(
                (w.status, w.checked, &w.failures, &w.errors),
                (s.status, s.checked, &s.failures, &s.errors),
                "{} on fixture {n}",
                w.id
            );
        }
    }
    assert!(facts_seen > 0, "no fixture checked the projected facts");
}
