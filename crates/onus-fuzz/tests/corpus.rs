//! The regression corpus: every seed, every hostile input of issue 15 and every input a
//! fuzzer found (`fuzz/regressions/<target>/`) through its target. A panic fails the test.

use std::path::Path;

fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    onus_fuzz::regressions(target).unwrap()
}

#[test]
fn every_target_has_seeds() {
    for t in onus_fuzz::TARGETS {
        assert!(!onus_fuzz::seeds::of(t.name).is_empty(), "{}", t.name);
    }
}

#[test]
fn seeds_and_regressions_pass_every_target() {
    for t in onus_fuzz::TARGETS {
        let inputs = onus_fuzz::seeds::of(t.name)
            .into_iter()
            .chain(regressions(t.name));
        for (name, bytes) in inputs {
            eprintln!("{}: {name}", t.name);
            (t.run)(&bytes);
        }
    }
}

#[test]
fn the_hostile_inputs_of_issue_15_pass() {
    for (target, name, bytes) in onus_fuzz::hostile() {
        let t = onus_fuzz::target(target).unwrap();
        eprintln!("{target}: {name}");
        (t.run)(&bytes);
    }
}

#[test]
fn the_regression_folders_name_real_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    for e in std::fs::read_dir(root).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                onus_fuzz::target(&name).is_some(),
                "fuzz/regressions/{name}"
            );
        }
    }
}
