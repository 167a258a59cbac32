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

fn published(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../onus-interchange/tests/fixtures")
        .join(name)
}

/// Every published shape, through the real binary: `onus import` writes a model (and says
/// where it could not interpret a row), which then shows, validates with findings and no
/// error, diffs, and exports to every format, each export carrying the source's licence.
#[test]
fn every_published_shape_imports_shows_validates_diffs_and_exports() {
    let dir = tempdir("published");
    for (name, warnings, finding) in [
        (
            "ovhcloud-public-cloud-instances.en.md",
            None,
            "multiple-accountable",
        ),
        ("cloud-temple-kubernetes-raci.fr.md", None, "no-topic"),
        (
            "rosa-responsibility-matrix.adoc",
            Some(":45:"),
            "multiple-accountable",
        ),
        (
            "osd-responsibility-matrix.adoc",
            None,
            "multiple-accountable",
        ),
        (
            "ovhcloud-managed-databases.en.html",
            Some(":47: column `OVHcloud`: cell `maybe`"),
            "multiple-accountable",
        ),
        (
            "caiq-v4.xlsx",
            Some("[CAIQv4.0.3!D14]"),
            "multiple-accountable",
        ),
        (
            "fedramp-cis-crm.xlsx",
            Some("[Moderate CIS Worksheet!A17]"),
            "multiple-accountable",
        ),
    ] {
        let yaml = dir.join(format!("{name}.yaml"));
        let o = onus()
            .arg("import")
            .arg(published(name))
            .args([
                "--license",
                "LicenseRef-Test-Fixture",
                "--attribution",
                "Written for onus's tests",
            ])
            .arg("-O")
            .arg(&yaml)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {err}");
        match warnings {
            Some(w) => assert!(err.contains(w), "{name}: {err}"),
            None => assert!(!err.contains("warning:"), "{name}: {err}"),
        }
        assert!(
            err.contains("findings about the matrix as published"),
            "{name}: {err}"
        );
        for args in [
            vec!["show"],
            vec!["show", "-o", "json"],
            vec!["show", "-o", "html"],
        ] {
            onus().args(&args).arg(&yaml).assert().success();
        }
        let v = onus().arg("validate").arg(&yaml).output().unwrap();
        let verr = String::from_utf8_lossy(&v.stderr);
        assert!(v.status.success(), "{name}: {verr}");
        assert!(
            verr.contains(" 0 errors,") && verr.contains(finding),
            "{name}: {verr}"
        );
        onus()
            .arg("validate")
            .arg(&yaml)
            .args(["--deny", "warnings"])
            .assert()
            .code(1);
        onus()
            .arg("diff")
            .arg(&yaml)
            .arg(&yaml)
            .args(["--exit-code"])
            .assert()
            .success();
        for to in [
            "md",
            "csv",
            "xlsx",
            "html",
            "fedramp",
            "oscal-component",
            "oscal-ssp",
        ] {
            let out = dir.join(format!("{name}.{to}"));
            onus()
                .arg("export")
                .arg(&yaml)
                .args(["--to", to, "-O"])
                .arg(&out)
                .assert()
                .success();
            let bytes = std::fs::read(&out).unwrap();
            if ["md", "csv", "html", "oscal-component", "oscal-ssp"].contains(&to) {
                assert!(
                    String::from_utf8_lossy(&bytes).contains("LicenseRef-Test-Fixture"),
                    "{name} {to} does not carry the licence"
                );
            }
        }
    }
    // `onus models` lists them with their licence.
    let out = onus()
        .args(["models", "-o", "json", "--model-path"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let imported: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] != "built-in")
        .collect();
    assert_eq!(imported.len(), 7);
    for e in imported {
        assert_eq!(e["license"], "LicenseRef-Test-Fixture", "{e}");
        assert_eq!(e["errors"], 0, "{e}");
    }
    let ovh = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "ovhcloud-mks")
        .unwrap();
    assert_eq!(ovh["license"], "CC-BY-NC-SA-4.0");
    let table = onus().args(["models"]).output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("LicenseRef-Byzaneo-NoLicense"));
}

#[test]
fn a_fedramp_workbook_goes_out_and_back_in_through_the_binary() {
    let dir = tempdir("fedramp");
    let yaml = dir.join("crm.yaml");
    onus()
        .arg("import")
        .arg(published("fedramp-cis-crm.xlsx"))
        .arg("-O")
        .arg(&yaml)
        .assert()
        .success();
    let xlsx = dir.join("out.xlsx");
    onus()
        .arg("export")
        .arg(&yaml)
        .args(["--to", "fedramp", "-O"])
        .arg(&xlsx)
        .assert()
        .success();
    let back = dir.join("back.yaml");
    onus()
        .arg("import")
        .arg(&xlsx)
        .args(["--format", "fedramp", "-O"])
        .arg(&back)
        .assert()
        .success();
    let json = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(
            &onus()
                .args(["show", "-o", "json"])
                .arg(p)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    let (a, b) = (json(&yaml), json(&back));
    assert_eq!(a["activities"], b["activities"]);
    // A shipped model goes out too, its controls taken from its topics.
    let mks = dir.join("mks.xlsx");
    onus()
        .args(["export", "ovhcloud-mks", "--to", "fedramp", "-O"])
        .arg(&mks)
        .assert()
        .success();
    let o = onus()
        .arg("import")
        .arg(&mks)
        .arg("-O")
        .arg(dir.join("mks.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn import_refuses_a_licence_that_is_not_spdx() {
    onus()
        .arg("import")
        .arg(published("cloud-temple-kubernetes-raci.fr.md"))
        .args(["--license", "CC BY NC"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not an SPDX license expression"));
}
