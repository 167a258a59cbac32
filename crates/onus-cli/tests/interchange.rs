//! `onus diff`, `compare`, `import` and `export`, driven through the binary.

use assert_cmd::Command;

fn onus() -> Command {
    Command::cargo_bin("onus").unwrap()
}

fn seed(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seeds")
        .join(name)
}

#[test]
fn diff_of_the_two_ovhcloud_editions_finds_exactly_two_shifts() {
    let out = onus()
        .args([
            "diff",
            "ovhcloud-mks",
            "ovhcloud-mks-en",
            "-o",
            "json",
            "--exit-code",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = d["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["new_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["3.1.2-r3", "3.1.6-r3"]);
    assert_eq!(d["shifts"][0]["direction"], "customer-to-provider");
    // Without --exit-code, a diff is a success; a model against itself has no shift.
    onus()
        .args(["diff", "ovhcloud-mks", "ovhcloud-mks-en"])
        .assert()
        .success();
    onus()
        .args(["diff", "h8lio", "h8lio", "--exit-code"])
        .assert()
        .success();
    for o in ["table", "md", "html"] {
        let out = onus()
            .args(["diff", "ovhcloud-mks", "ovhcloud-mks-en", "-o", o])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("3.1.6-r3"),
            "{o}"
        );
    }
}

#[test]
fn compare_says_what_the_customer_does_on_each() {
    let out = onus()
        .args(["compare", "h8lio", "ovhcloud-mks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("What you would do yourself on h8lio"));
    assert!(text.contains("What you would do yourself on ovhcloud-mks"));
    assert!(text.contains("Backup"));
    let out = onus()
        .args(["compare", "h8lio", "ovhcloud-mks", "-o", "json"])
        .output()
        .unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["models"].as_array().unwrap().len(), 2);
    onus().args(["compare", "h8lio"]).assert().code(2);
}

#[test]
fn import_of_the_french_seed_passes_validate() {
    let dir = tempdir("import");
    let out = dir.join("ovh.yaml");
    let o = onus()
        .args(["import"])
        .arg(seed("ovhcloud-mks-responsibility-model.fr.md"))
        .arg("-O")
        .arg(&out)
        .arg("--id")
        .arg("ovh-imported")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("imported 58 activities"));
    onus().arg("validate").arg(&out).assert().success();
}

#[test]
fn export_then_import_gives_back_the_model() {
    let dir = tempdir("roundtrip");
    for to in ["csv", "xlsx", "md"] {
        let file = dir.join(format!("h8lio.{to}"));
        onus()
            .args(["export", "h8lio", "--to", to, "-O"])
            .arg(&file)
            .assert()
            .success();
        let yaml = dir.join(format!("h8lio-{to}.yaml"));
        onus()
            .arg("import")
            .arg(&file)
            .arg("-O")
            .arg(&yaml)
            .assert()
            .success();
        let back = onus()
            .args(["show", "-o", "json"])
            .arg(&yaml)
            .output()
            .unwrap();
        let orig = onus()
            .args(["show", "h8lio", "-o", "json"])
            .output()
            .unwrap();
        // Equal as data: the order of keys in a mapping (languages, parties) may differ.
        let back: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
        let orig: serde_json::Value = serde_json::from_slice(&orig.stdout).unwrap();
        assert!(back == orig, "{to}");
    }
    let html = onus()
        .args(["export", "h8lio", "--to", "html"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&html.stdout).starts_with("<!DOCTYPE html>"));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("onus-interchange-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
