//! `onus audit` driven through the real binary, on the shipped example export.

use assert_cmd::Command;

fn onus() -> Command {
    let mut c = Command::cargo_bin("onus").unwrap();
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("NO_COLOR", "1");
    c
}

const NOW: &str = "2025-06-01T12:00:00Z";

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = onus()
        .args(["audit", "examples/shop-cluster", "--now", NOW, "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn the_example_audits_against_ovhcloud_mks() {
    let (code, r) = json(&[
        "--model",
        "ovhcloud-mks",
        "--attestations",
        "examples/shop-attestations.yaml",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["format"], "onus.audit/v1");
    let check = |id: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        check("network.default-deny")["failures"][0]["id"],
        "checkout"
    );
    assert_eq!(
        check("tls.ingress-cert")["parties"],
        serde_json::json!(["customer"])
    );
    assert_eq!(check("provider.ingress-class")["status"], "pass");
    assert_eq!(
        check("access.cluster-admin")["failures"][0]["id"],
        "ci-deployer-admin"
    );
    assert_eq!(check("version.supported")["failures"][0]["line"], 28);
    let customer = &r["parties"][0];
    assert_eq!(customer["id"], "customer");
    let duties: Vec<&serde_json::Value> = customer["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["duties"].as_array().unwrap())
        .collect();
    let d = |id: &str| duties.iter().find(|d| d["activity"] == id).unwrap();
    assert_eq!(d("3.1.7-r4")["status"], "attested");
    assert_eq!(d("3.1.5-r3")["status"], "fail");
    assert_eq!(d("3.1.4-r1")["status"], "needs-attestation");
    assert!(r["problems"].as_array().unwrap().is_empty());
}

#[test]
fn the_same_check_concerns_the_provider_under_h8lio() {
    let (_, r) = json(&["--model", "h8lio"]);
    let tls = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "tls.ingress-cert")
        .unwrap();
    assert_eq!(tls["parties"], serde_json::json!(["byzaneo"]));
}

#[test]
fn fail_on_and_exit_codes() {
    let code = |extra: &[&str]| {
        onus()
            .args([
                "audit",
                "examples/shop-cluster",
                "-m",
                "ovhcloud-mks",
                "--now",
                NOW,
            ])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    };
    assert_eq!(code(&[]), 1);
    assert_eq!(
        code(&["--fail-on", "critical"]),
        1,
        "access.cluster-admin is critical"
    );
    assert_eq!(code(&["--fail-on", "none"]), 0, "report only");
    let dir = tempdir("pass");
    std::fs::write(dir.join("n.yaml"), "kind: Node\napiVersion: v1\nmetadata: {name: n}\nstatus: {nodeInfo: {kubeletVersion: v1.34.1}}\n").unwrap();
    let ok = onus()
        .args([
            "audit",
            dir.to_str().unwrap(),
            "-m",
            "ovhcloud-mks",
            "--now",
            NOW,
            "--fail-on",
            "high",
        ])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert_eq!(code(&["--now", "yesterday"]), 2);
    let missing = onus()
        .args(["audit", "no/such/dir", "-m", "ovhcloud-mks"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("onus-cli-audit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn malformed_items_are_located_and_strict_makes_them_fatal() {
    let dir = tempdir("strict");
    std::fs::write(dir.join("x.yaml"), "kind: Node\napiVersion: v1\nmetadata: {name: n}\nstatus: {nodeInfo: {kubeletVersion: v1.34.1}}\n---\nkind: Pod\nmetadata: {}\n").unwrap();
    let out = onus()
        .args([
            "audit",
            dir.to_str().unwrap(),
            "-m",
            "ovhcloud-mks",
            "--fail-on",
            "critical",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("x.yaml:6: malformed object"));
    let out = onus()
        .args([
            "audit",
            dir.to_str().unwrap(),
            "-m",
            "ovhcloud-mks",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.join("x.yaml"), "kind: Node\nmetadata: [\n").unwrap();
    let out = onus()
        .args(["audit", dir.to_str().unwrap(), "-m", "ovhcloud-mks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("x.yaml:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_output_format() {
    let run = |fmt: &str| {
        let out = onus()
            .args([
                "audit",
                "examples/shop-cluster",
                "-m",
                "ovhcloud-mks",
                "--now",
                NOW,
                "-o",
                fmt,
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(table.contains("no automated evidence: needs attestation"));
    assert!(table.contains("checkout  no-default-deny-ingress"));
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "images.pinned"
        && r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()));
    let junit = run("junit");
    assert!(
        junit.starts_with("<?xml")
            && junit.contains("<testsuite name=\"checks\" tests=\"15\" failures=\"11\"")
    );
    // Ids may break only at separators (`<wbr>`): read the text as a browser shows it.
    let html = run("html").replace("<wbr>", "");
    assert!(
        html.contains("<!DOCTYPE html>")
            && !html.contains("<script")
            && !html.contains("http://")
            && html.contains("ci-deployer-admin")
    );
}

#[test]
fn user_checks_extend_the_catalog() {
    let dir = tempdir("checks");
    std::fs::write(
        dir.join("labels.yaml"),
        "id: custom.team-label\ntitle: {en: Deployments have a team label}\nremediation: {en: Add a team label}\nseverity: low\ntopics: [workload-deployment]\nkinds: [Deployment]\nsubjects: [Deployment]\nrule: dig(object, ['metadata', 'labels', 'team'], '') != ''\nreason: no-team-label\n",
    )
    .unwrap();
    let (_, r) = json(&["-m", "ovhcloud-mks", "--checks", dir.to_str().unwrap()]);
    let c = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "custom.team-label")
        .unwrap();
    assert_eq!(c["failures"].as_array().unwrap().len(), 3);
    assert_eq!(c["parties"], serde_json::json!(["customer"]));
    std::fs::write(dir.join("labels.yaml"), "id: bad\ntitle: {en: x}\nremediation: {en: x}\nseverity: low\ntopics: []\nkinds: []\nsubjects: [Pod]\nrule: 'object.(('\n").unwrap();
    let out = onus()
        .args([
            "audit",
            "examples/shop-cluster",
            "-m",
            "ovhcloud-mks",
            "--checks",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn oscal_assessment_results_are_valid_by_schema_and_by_reference() {
    let run = || {
        onus()
            .args([
                "audit",
                "examples/shop-cluster",
                "--now",
                NOW,
                "--model",
                "ovhcloud-mks",
                "-o",
                "oscal-ar",
            ])
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(1), "the example has failing checks");
    assert_eq!(
        out.stdout,
        run().stdout,
        "the same audit gives the same document"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // NIST's schema, from ../shared beside the repository.
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/standards/oscal_complete_schema-1.2.2.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Findings name the failing check and its controls; observations carry the failing items.
    let ar = &doc["assessment-results"];
    let text = ar.to_string();
    assert!(
        text.contains("network.default-deny") && text.contains("sc-7"),
        "findings tie checks to controls"
    );
    assert!(
        text.contains("checkout"),
        "the failing namespace is in the evidence"
    );
    // onus's own referential checks pass on it.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ar.json");
    std::fs::write(&f, &out.stdout).unwrap();
    onus().arg("validate").arg(&f).assert().success();
}

#[test]
fn local_attestation_evidence_is_verified_by_its_sha256() {
    let dir = tempdir("evidence");
    std::fs::write(
        dir.join("restore-test.txt"),
        "restored 12 volumes on 2025-03-14\n",
    )
    .unwrap();
    // `printf 'restored 12 volumes on 2025-03-14\n' | sha256sum`
    let sha = "b7d88dc132549bc28aa4f4d923058b7879a4c9da0929706314871280871b120c";
    let att = format!("format: onus.attestations/v1\nattestations:\n  - activity: 3.1.7-r4\n    date: 2025-03-14\n    by: Jane\n    evidence: {{ref: restore-test.txt, sha256: \"{sha}\"}}\n");
    std::fs::write(dir.join("att.yaml"), att).unwrap();
    let run = || {
        onus()
            .args([
                "audit",
                "examples/shop-cluster",
                "-m",
                "ovhcloud-mks",
                "--now",
                NOW,
                "-o",
                "json",
                "--attestations",
            ])
            .arg(dir.join("att.yaml"))
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.to_string().contains("\"attested\":true"));
    // The evidence changes: the attestation no longer holds, and onus says where.
    std::fs::write(dir.join("restore-test.txt"), "restored 11 volumes\n").unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("att.yaml:3") && err.contains("changed"),
        "{err}"
    );
    // A missing evidence file is refused too.
    std::fs::remove_file(dir.join("restore-test.txt")).unwrap();
    assert_eq!(run().status.code(), Some(2));
}
