//! Drives the real `onus` binary as a user would.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn onus() -> Command {
    let mut c = Command::cargo_bin("onus").unwrap();
    c.env_remove("ONUS_MODEL_PATH").env("NO_COLOR", "1");
    c
}

const SHIPPED: &str = include_str!("../../../models/ovhcloud-mks.yaml");

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

fn json(c: &mut Command) -> serde_json::Value {
    serde_json::from_str(&stdout(c)).unwrap()
}

/// A small valid model to break in tests.
fn mini() -> String {
    r#"format: onus.model/v1
id: mini
version: "1"
title: {en: Mini}
provider: Acme
service: K8s
source: {}
language: en
languages: [en]
parties:
  - {id: customer, kind: customer, name: {en: Customer}}
  - {id: acme, kind: provider, name: {en: Acme}}
roles:
  id: raci
  letters:
    - {letter: R, duty: responsible, name: {en: Responsible}, definition: {en: Does it}}
    - {letter: A, duty: accountable, name: {en: Accountable}, definition: {en: Answers for it}}
    - {letter: C, duty: consulted, name: {en: Consulted}, definition: {en: Is asked}}
    - {letter: I, duty: informed, name: {en: Informed}, definition: {en: Is told}}
sections:
  - {id: "1", title: {en: Operations}}
activities:
  - id: a1
    section: "1"
    text: {en: Back up the volumes}
    roles: {customer: RA, acme: I}
    topics: [backup]
"#
    .to_string()
}

#[test]
fn validate_builtin_models_reports_the_three_rows_without_r_and_succeeds() {
    onus().arg("validate").assert().success().stderr(
        predicate::str::contains("1.1-r1")
            .and(predicate::str::contains("1.1-r2"))
            .and(predicate::str::contains("1.1-r5"))
            .and(predicate::str::contains("3 files: 0 errors, 6 warnings")),
    );
    onus()
        .args(["validate", "--deny", "warnings", "ovhcloud-mks"])
        .assert()
        .code(1);
    onus()
        .args(["validate", "--deny", "warnings", "h8lio"])
        .assert()
        .success();
    onus()
        .args([
            "validate",
            "--allow",
            "missing-responsible",
            "--deny",
            "warnings",
            "ovhcloud-mks",
        ])
        .assert()
        .success();
    onus()
        .args(["validate", "--allow", "schema"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be silenced"));
    onus()
        .args(["validate", "--list-rules"])
        .assert()
        .success()
        .stdout(predicate::str::contains("missing-accountable"));
}

#[test]
fn validate_points_at_file_line_and_column_with_a_hint() {
    let d = tempfile::tempdir().unwrap();
    let bad = mini()
        .replace(
            "roles: {customer: RA, acme: I}",
            "roles: {customer: RA, acmee: I}",
        )
        .replace("topics: [backup]", "topics: [backups]");
    let f = write(d.path(), "bad.yaml", &bad);
    let out = onus()
        .args(["validate", "-o", "json"])
        .arg(&f)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let diags = v[0]["diagnostics"].as_array().unwrap();
    let party = diags.iter().find(|d| d["rule"] == "unknown-party").unwrap();
    assert_eq!(party["span"]["line"], 26);
    assert_eq!(party["pointer"], "/activities/0/roles/acmee");
    let topic = diags.iter().find(|d| d["rule"] == "unknown-topic").unwrap();
    assert!(topic["hint"]
        .as_str()
        .unwrap()
        .contains("did you mean `backup`"));
    assert_eq!(topic["span"]["line"], 27);
    // The human form names the file and line and shows the offending line.
    onus().arg("validate").arg(&f).assert().code(1).stderr(
        predicate::str::contains(format!("{}:26:", f.display()))
            .and(predicate::str::contains("acmee: I")),
    );
}

fn rules_of(text: &str) -> Vec<String> {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "m.yaml", text);
    let out = onus()
        .args(["validate", "-o", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut rules: Vec<String> = v[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules
}

#[test]
fn each_rule_fires_on_its_defect() {
    let m = mini();
    assert!(rules_of(&m).is_empty());
    assert_eq!(
        rules_of(&m.replace("customer: RA, acme: I", "customer: R, acme: I")),
        ["missing-accountable"]
    );
    assert_eq!(
        rules_of(&m.replace("customer: RA, acme: I", "customer: RA, acme: A")),
        ["multiple-accountable"]
    );
    assert_eq!(
        rules_of(&m.replace("customer: RA, acme: I", "customer: A, acme: I")),
        ["missing-responsible"]
    );
    assert_eq!(
        rules_of(&m.replace("customer: RA, acme: I", "customer: RAX, acme: I")),
        ["unknown-letter"]
    );
    assert_eq!(
        rules_of(&m.replace("customer: RA, acme: I", "customer: RRA, acme: I")),
        ["unknown-letter"]
    );
    assert_eq!(
        rules_of(&m.replace("section: \"1\"", "section: \"2\"")),
        ["empty-section", "unknown-section"]
    );
    assert_eq!(
        rules_of(&m.replace(
            "text: {en: Back up the volumes}",
            "text: {en: Back up the volumes}\n    cadence: yearly"
        )),
        ["invalid-cadence"]
    );
    assert!(
        rules_of(&m.replace("languages: [en]", "languages: [en, fr]"))
            .iter()
            .filter(|r| *r == "missing-translation")
            .count()
            >= 5
    );
    assert_eq!(
        rules_of(&m.replace(
            "text: {en: Back up the volumes}",
            "text: {en: Back up the volumes, de: Sichern}"
        )),
        ["unknown-language"]
    );
    assert_eq!(
        rules_of(&m.replace("topics: [backup]", "topics: []")),
        ["no-topic"]
    );
    assert!(rules_of(&m.replace(
        "topics: [backup]",
        "topics: []\n    suggested_topics: [backup]"
    ))
    .is_empty());
    assert_eq!(
        rules_of(&m.replace("topics: [backup]", "topics: [backup]\n    layer: basement")),
        ["unknown-layer"]
    );
    let dup = format!("{m}  - id: a1\n    section: \"1\"\n    text: {{en: Again}}\n    roles: {{customer: RA}}\n    topics: [backup]\n");
    assert_eq!(rules_of(&dup), ["duplicate-id"]);
    let allowed = m
        .replace("customer: RA, acme: I", "customer: A, acme: I")
        .replace(
            "source: {}",
            "source: {}\nlint: {allow: [missing-responsible]}",
        );
    assert!(rules_of(&allowed).is_empty());
    assert_eq!(
        rules_of(&m.replace("source: {}", "source: {}\nlint: {allow: [nonsense]}")),
        ["unknown-rule"]
    );
    assert_eq!(
        rules_of(&m.replace("provider: Acme", "provider: Acme\nsurprise: 1")),
        ["schema"]
    );
    assert_eq!(
        rules_of(&m.replace("format: onus.model/v1", "format: onus.model/v9")),
        ["format-version"]
    );
    let cycle = m.replace("  - {id: \"1\", title: {en: Operations}}", "  - {id: \"1\", parent: \"2\", title: {en: Operations}}\n  - {id: \"2\", parent: \"1\", title: {en: Loop}}");
    assert!(rules_of(&cycle).contains(&"section-cycle".to_string()));
}

#[test]
fn a_schema_error_names_the_field_and_its_line() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "m.yaml",
        &mini().replace("kind: provider", "kind: vendor"),
    );
    onus().arg("validate").arg(&f).assert().code(1).stderr(
        predicate::str::contains("parties[1].kind")
            .and(predicate::str::contains("m.yaml:12:"))
            .and(predicate::str::contains("provider")),
    );
}

#[test]
fn hostile_input_gives_a_located_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    // Malformed YAML.
    let f = write(d.path(), "broken.yaml", "id: [unclosed\nversion: 1\n");
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[syntax]").and(predicate::str::contains("broken.yaml:")));
    // A billion-laughs alias bomb.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let f = write(d.path(), "bomb.yaml", &bomb);
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("alias bomb"));
    // Invalid UTF-8, located.
    let f = d.path().join("latin1.yaml");
    std::fs::write(&f, b"format: onus.model/v1\nid: caf\xe9\n").unwrap();
    onus().arg("validate").arg(&f).assert().code(1).stderr(
        predicate::str::contains("not valid UTF-8")
            .and(predicate::str::contains("latin1.yaml:2:8")),
    );
    // Deep nesting.
    let f = write(
        d.path(),
        "deep.yaml",
        &("a:\n".to_string()
            + &(1..200)
                .map(|i| format!("{}- \n", "  ".repeat(i)))
                .collect::<String>()),
    );
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nesting deeper than 64"));
    // A 100 MB file is refused from its size, without being read.
    let f = d.path().join("huge.yaml");
    std::fs::File::create(&f)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("larger than the limit"));
    // Not a mapping.
    let f = write(d.path(), "list.yaml", "- 1\n- 2\n");
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("must be a mapping"));
    // A wrong name and a wrong flag are usage errors.
    onus()
        .args(["show", "ovhcloud-mk"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `ovhcloud-mks`"));
    onus().args(["show", "--bogus"]).assert().code(2);
    // An unreadable model cannot be shown: exit 2 with its errors.
    let f = write(
        d.path(),
        "m.yaml",
        &mini().replace("customer: RA, acme: I", "customer: RA, nobody: I"),
    );
    onus()
        .arg("show")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown-party"));
}

#[test]
fn findings_about_the_matrix_never_stop_a_model_from_being_used() {
    let d = tempfile::tempdir().unwrap();
    // Two accountable parties, as OVHcloud's `AI | RA` rows publish it.
    let f = write(
        d.path(),
        "m.yaml",
        &mini().replace("customer: RA, acme: I", "customer: RA, acme: A"),
    );
    for args in [
        vec!["show"],
        vec!["show", "-o", "json"],
        vec!["export", "--to", "csv"],
        vec!["export", "--to", "md"],
        vec!["export", "--to", "oscal-component"],
        vec!["obligations", "--party", "customer", "--model"],
    ] {
        onus().args(&args).arg(&f).assert().success();
    }
    onus().arg("diff").arg(&f).arg(&f).assert().success();
    // `onus validate` reports the finding as a warning, and `--deny` makes it fail.
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .success()
        .stderr(predicate::str::contains("multiple-accountable"))
        .stderr(predicate::str::contains("0 errors, 1 warning"));
    onus()
        .arg("validate")
        .arg(&f)
        .args(["--deny", "warnings"])
        .assert()
        .code(1);
    onus()
        .arg("validate")
        .arg(&f)
        .args(["--deny", "multiple-accountable"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("(1 denied)"));
    onus()
        .arg("validate")
        .arg(&f)
        .args(["--deny", "missing-responsible"])
        .assert()
        .success();
    onus()
        .arg("validate")
        .arg(&f)
        .args(["--deny", "no-such-rule"])
        .assert()
        .code(2);
    // The rule list says which rule is which.
    let out = onus().args(["validate", "--list-rules"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for (rule, class) in [
        ("unknown-party", "unreadable"),
        ("multiple-accountable", "matrix"),
        ("missing-accountable", "matrix"),
        ("missing-responsible", "matrix"),
        ("unknown-topic", "encoding"),
    ] {
        let line = text.lines().find(|l| l.contains(rule)).unwrap();
        assert!(line.contains(class), "{line}");
    }
}

#[test]
fn show_json_is_the_canonical_form() {
    let v = json(onus().args(["show", "ovhcloud-mks", "-o", "json"]));
    assert_eq!(v["parties"][0]["id"], "customer");
    assert_eq!(v["parties"][0]["kind"], "customer");
    assert_eq!(v["parties"][0]["name"]["fr"], "Client");
    let acts = v["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 58);
    let a = acts.iter().find(|a| a["id"] == "1.1-r4").unwrap();
    assert_eq!(a["section"], "1.1");
    assert_eq!(a["roles"]["ovhcloud"], "RI");
    assert_eq!(
        a["text"]["fr"],
        "Décider de la version de Kubernetes à utiliser"
    );
    assert!(a["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "version-upgrade"));
    assert_eq!(
        acts.iter().find(|a| a["id"] == "3.1.7-r4").unwrap()["cadence"],
        "P1Y"
    );
    let h = json(onus().args(["show", "h8lio", "-o", "json"]));
    assert_eq!(h["statements"].as_array().unwrap().len(), 8);
}

#[test]
fn show_yaml_is_a_valid_model_that_reads_back_the_same() {
    let d = tempfile::tempdir().unwrap();
    for id in ["ovhcloud-mks", "ovhcloud-mks-en", "h8lio"] {
        let yaml = stdout(onus().args(["show", id, "-o", "yaml"]));
        let f = write(d.path(), &format!("{id}.yaml"), &yaml);
        let a = stdout(onus().args(["show", id, "-o", "json"]));
        let b = stdout(onus().args(["show", "-o", "json"]).arg(&f));
        assert_eq!(a, b, "{id}");
    }
}

#[test]
fn show_table_markdown_and_csv_hold_every_row() {
    let t = stdout(onus().args(["show", "ovhcloud-mks", "--lang", "fr"]));
    assert!(t.contains("3.2.2. Changements") && t.contains("3.1.6-r3") && t.contains("CP-9"));
    let md = stdout(onus().args(["show", "h8lio", "-o", "md"]));
    for id in [
        "applications.factory.catalog",
        "summary.communicate",
        "storage.ceph.maintenance",
    ] {
        assert!(md.contains(&format!("| {id} |")), "{id}");
    }
    assert!(md.contains("*not-applicable*"));
    let csv = stdout(onus().args(["show", "ovhcloud-mks", "-o", "csv"]));
    assert_eq!(csv.lines().count(), 59);
}

#[test]
fn html_is_self_contained_and_escapes_model_text() {
    let d = tempfile::tempdir().unwrap();
    let evil = mini()
        .replace("Back up the volumes", "<script>alert(1)</script> & co")
        .replace("{en: Acme}}", "{en: \"<b>Acme</b>\"}}");
    let f = write(d.path(), "evil.yaml", &evil);
    let html = stdout(onus().args(["show", "-o", "html"]).arg(&f));
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co"));
    assert!(!html.contains("<b>Acme"));
    let page = stdout(onus().args(["show", "ovhcloud-mks", "-o", "html", "--lang", "fr"]));
    assert!(page.starts_with("<!DOCTYPE html>"));
    for external in ["<link", "<script", "src=\"http", "@import", "url("] {
        assert!(!page.contains(external), "external asset: {external}");
    }
    // Every role cell is coloured by its strongest duty.
    let m = json(onus().args(["show", "ovhcloud-mks", "-o", "json"]));
    let ra = m["activities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["roles"].as_object().unwrap().values())
        .filter(|v| *v == "RA")
        .count();
    assert_eq!(page.matches("<td class=\"role ra\">RA</td>").count(), ra);
    assert!(
        page.contains("<td class=\"role a\">A</td>")
            && page.contains("<td class=\"role r\">RI</td>")
            && page.contains("<td class=\"role c\">CI</td>")
    );
    assert!(page.contains("@media print"));
}

#[test]
fn who_finds_backup_rows_in_either_language_and_form() {
    for q in ["sauvegarde", "backup", "backups", "Sauvegardes", "BACKUP"] {
        let v = json(onus().args(["who", q, "--model", "ovhcloud-mks", "-o", "json"]));
        let ids: Vec<&str> = v[0]["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let mut first_two = ids[..2].to_vec();
        first_two.sort_unstable();
        assert_eq!(first_two, ["3.1.1-r3", "3.1.3-r6"], "{q}: {ids:?}");
        assert_eq!(
            v[0]["activities"][0]["roles"][0],
            serde_json::json!(["customer", "RA"])
        );
    }
    // Accents do not matter.
    let v = json(onus().args([
        "who",
        "reversibilite",
        "--model",
        "ovhcloud-mks",
        "-o",
        "json",
    ]));
    assert!(v[0]["activities"].as_array().unwrap().len() >= 4);
    // Across all models when none is named; best match first.
    let v = json(onus().args(["who", "restore", "test", "-o", "json"]));
    let models: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["ovhcloud-mks", "ovhcloud-mks-en", "h8lio"]);
    assert_eq!(v[0]["activities"][0]["id"], "3.1.7-r2");
    onus().args(["who", "the"]).assert().code(2);
}

#[test]
fn obligations_list_one_partys_duties() {
    let ids = |args: &[&str]| -> Vec<String> {
        let v = json(onus().arg("obligations").args(args).args(["-o", "json"]));
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let provider = ids(&["--model", "ovhcloud-mks", "--party", "ovhcloud"]);
    let customer = ids(&["--model", "ovhcloud-mks", "--party", "customer"]);
    // Every row has an A; only 1.1-r4 splits R (provider) from A (customer).
    assert_eq!(customer.len() + provider.len(), 59);
    assert!(provider.contains(&"1.1-r4".to_string()) && customer.contains(&"1.1-r4".to_string()));
    assert_eq!(
        ids(&[
            "--model",
            "ovhcloud-mks",
            "--party",
            "ovhcloud",
            "--role",
            "C"
        ]),
        ["3.2.1-r4"]
    );
    assert_eq!(
        ids(&[
            "--model",
            "ovhcloud-mks",
            "--party",
            "customer",
            "--topic",
            "restore-test"
        ]),
        ["3.1.7-r4"]
    );
    // Commitments bind their party.
    let byz = ids(&[
        "--model",
        "h8lio",
        "--party",
        "byzaneo",
        "--topic",
        "data-confidentiality,network-capacity",
    ]);
    assert_eq!(byz, ["data.no-access", "networking.private-network"]);
    onus()
        .args([
            "obligations",
            "--model",
            "ovhcloud-mks",
            "--party",
            "nobody",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("its parties: customer,"));
    onus()
        .args([
            "obligations",
            "--model",
            "ovhcloud-mks",
            "--party",
            "customer",
            "--role",
            "X",
        ])
        .assert()
        .code(2);
    onus()
        .args([
            "obligations",
            "--model",
            "ovhcloud-mks",
            "--party",
            "customer",
            "--topic",
            "nope",
        ])
        .assert()
        .code(2);
}

#[test]
fn models_lists_builtins_and_model_path() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "mini.yaml", &mini());
    let v = json(
        onus()
            .args(["models", "-o", "json", "--model-path"])
            .arg(d.path()),
    );
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ovhcloud-mks", "ovhcloud-mks-en", "h8lio", "mini"]);
    // A model under --model-path is found by id.
    onus()
        .args(["show", "mini", "--model-path"])
        .arg(d.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Back up the volumes"));
    // A local copy of a shipped model takes precedence over the built-in.
    let edited = SHIPPED.replace(
        "Choisir la localisation du service",
        "Choisir la localisation du service (édité)",
    );
    write(d.path(), "ovh.yaml", &edited);
    onus()
        .args(["show", "ovhcloud-mks", "--lang", "fr", "--model-path"])
        .arg(d.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("(édité)"));
}

#[test]
fn output_to_a_closed_pipe_is_quiet() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("onus"))
        .args(["show", "ovhcloud-mks"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn every_schema_error_is_reported_not_only_the_first() {
    let d = tempfile::tempdir().unwrap();
    let bad = mini()
        .replace("kind: customer,", "kind: client,")
        .replace("name: {en: Acme}}", "name: {en: Acme}, colour: red}")
        .replace("    section: \"1\"\n", "");
    let f = write(d.path(), "m.yaml", &bad);
    let v: serde_json::Value = serde_json::from_slice(
        &onus()
            .args(["validate", "-o", "json"])
            .arg(&f)
            .assert()
            .code(1)
            .get_output()
            .stdout,
    )
    .unwrap();
    let msgs: Vec<(String, u64)> = v[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["message"].as_str().unwrap().to_string(),
                d["span"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(
        msgs[0].0.contains("unknown variant `client`") && msgs[0].1 == 11,
        "{msgs:?}"
    );
    assert!(
        msgs[1].0.contains("unknown field `colour`") && msgs[1].1 == 12,
        "{msgs:?}"
    );
    assert!(
        msgs[2].0.contains("\"section\" is a required property") && msgs[2].1 == 23,
        "{msgs:?}"
    );
}
