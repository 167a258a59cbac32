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
        let out = onus()
            .args(["export", "h8lio", "--to", to])
            .output()
            .unwrap();
        assert!(out.status.success(), "{to}");
        let again = onus()
            .args(["export", "h8lio", "--to", to])
            .output()
            .unwrap();
        assert_eq!(out.stdout, again.stdout, "{to} is stable");
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
        text.replacen("\"role-id\": \"byzaneo\"", "\"role-id\": \"nobody\"", 1),
    )
    .unwrap();
    onus().arg("validate").arg(&broken).assert().code(1);
    let _ = std::fs::remove_dir_all(&dir);
}

fn onus_oscal_root(doc: &serde_json::Value) -> bool {
    ["system-security-plan", "component-definition"]
        .iter()
        .any(|r| doc.get(*r).is_some())
}
