//! `onus export --to oscal-*`, `onus import --format oscal-*` and `onus validate` on OSCAL.

use assert_cmd::Command;

fn onus() -> Command {
    Command::cargo_bin("onus").unwrap()
}

#[test]
fn export_validate_import() {
    let dir = std::env::temp_dir().join(format!("onus-oscal-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for to in ["oscal-ssp", "oscal-customer-ssp", "oscal-component"] {
        let export = || {
            onus()
                .args(["export", "h8lio", "--to", to])
                .args(["--last-modified", "2025-01-31T11:00:00+01:00"])
                .output()
                .unwrap()
        };
        let out = export();
        assert!(out.status.success(), "{to}");
        assert_eq!(out.stdout, export().stdout, "{to} is stable");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(onus_oscal_root(&doc), "{to}");
        let file = dir.join(format!("{to}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        onus().arg("validate").arg(&file).assert().success();
    }
    let model = onus()
        .args(["import", "--format", "oscal-component"])
        .arg(dir.join("oscal-component.json"))
        .output()
        .unwrap();
    assert!(model.status.success());
    assert!(String::from_utf8_lossy(&model.stdout).contains("id: h8lio"));
    // A component-definition is not an SSP.
    onus()
        .args(["import", "--format", "oscal-ssp"])
        .arg(dir.join("oscal-component.json"))
        .assert()
        .code(2);
    // Broken references fail validation.
    let broken = dir.join("broken.json");
    let text = std::fs::read_to_string(dir.join("oscal-ssp.json")).unwrap();
    std::fs::write(
        &broken,
        text.replacen("\"role-id\": \"provider\"", "\"role-id\": \"nobody\"", 1),
    )
    .unwrap();
    onus().arg("validate").arg(&broken).assert().code(1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_document_date_is_given_or_now_never_the_models() {
    let last_modified = |out: &std::process::Output| -> String {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["system-security-plan"]["metadata"]["last-modified"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Given: written in UTC.
    let out = onus()
        .args(["export", "ovhcloud-mks", "--to", "oscal-ssp"])
        .args(["--last-modified", "2025-01-31T11:00:00+01:00"])
        .output()
        .unwrap();
    assert_eq!(last_modified(&out), "2025-01-31T10:00:00Z");
    // SOURCE_DATE_EPOCH, the reproducible-builds convention.
    let out = onus()
        .args(["export", "ovhcloud-mks", "--to", "oscal-ssp"])
        .env("SOURCE_DATE_EPOCH", "1738317600")
        .output()
        .unwrap();
    assert_eq!(last_modified(&out), "2025-01-31T10:00:00Z");
    // Neither: now, not the model's 2023-07-06.
    let out = onus()
        .args(["export", "ovhcloud-mks", "--to", "oscal-ssp"])
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    let lm = last_modified(&out);
    assert!(!lm.starts_with("2023-07-06") && lm.ends_with('Z'), "{lm}");
    // Bad input is a usage error that says how to fix it.
    for (flag, env) in [(Some("yesterday"), None), (None, Some("soon"))] {
        let mut cmd = onus();
        cmd.args(["export", "ovhcloud-mks", "--to", "oscal-ssp"]);
        if let Some(f) = flag {
            cmd.args(["--last-modified", f]);
        }
        if let Some(e) = env {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("RFC 3339") || err.contains("SOURCE_DATE_EPOCH"),
            "{err}"
        );
    }
}

fn onus_oscal_root(doc: &serde_json::Value) -> bool {
    ["system-security-plan", "component-definition"]
        .iter()
        .any(|r| doc.get(*r).is_some())
}
