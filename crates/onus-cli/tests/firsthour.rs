//! What a new user meets in the first hour: error messages, exit codes, wrapping, version,
//! completions and man pages, attestations files.

use assert_cmd::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn onus() -> Command {
    let mut c = Command::cargo_bin("onus").unwrap();
    c.current_dir(ROOT)
        .env_remove("ONUS_MODEL_PATH")
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1");
    c
}

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let o = onus().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn errors_read_like_cargos() {
    // No internal code as a header, `error:` then `help:`.
    let (code, _, err) = run(&["show", "ovhcloud"]);
    assert_eq!(code, 2);
    assert!(!err.contains("onus::"), "{err}");
    assert!(err.starts_with("error: no model `ovhcloud`\n"), "{err}");
    // A prefix of two ids suggests both.
    assert!(
        err.contains("did you mean `ovhcloud-mks` or `ovhcloud-mks-en`?"),
        "{err}"
    );
    // A missing file is said to be missing, for validate and diff alike.
    for args in [
        &["validate", "old.yaml"][..],
        &["diff", "old.yaml", "new.yaml"][..],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.starts_with("error: `old.yaml` does not exist\n"),
            "{err}"
        );
        assert!(!err.contains("no model"), "{err}");
    }
    // The report path is named, and so is the missing folder; the reason once.
    let (code, _, err) = run(&[
        "audit",
        "examples/shop-cluster",
        "-m",
        "h8lio",
        "--report",
        "/nonexistent/dir/a.html",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: cannot write `/nonexistent/dir/a.html`: the folder `/nonexistent/dir` does not exist\n"
    );
    // Paths are quoted once.
    let home = tempfile::tempdir().unwrap();
    let o = onus()
        .args(["audit", "--live", "-m", "h8lio"])
        .env("HOME", home.path())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(!err.contains("'\""), "{err}");
    assert!(
        err.contains(&format!(
            "`{}/.kube/config` does not exist",
            home.path().display()
        )),
        "{err}"
    );
}

#[test]
fn an_unknown_language_is_an_error_naming_the_models_languages() {
    let (code, out, err) = run(&["show", "h8lio", "--lang", "de"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("--lang `de`"), "{err}");
    assert!(err.contains("fr, en"), "{err}");
    assert_eq!(run(&["show", "h8lio", "--lang", "en"]).0, 0);
    for args in [
        &["who", "backup", "--lang", "de"][..],
        &["topics", "--lang", "de"],
        &["models", "--lang", "de"],
        &["compare", "h8lio", "ovhcloud-mks", "--lang", "de"],
    ] {
        assert_eq!(run(args).0, 2, "{args:?}");
    }
    assert_eq!(run(&["topics", "--lang", "fr"]).0, 0);
}

#[test]
fn who_exits_1_when_nothing_matches() {
    let (code, out, err) = run(&["who", "xyzzy"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("no activity matches `xyzzy`"));
    assert_eq!(run(&["who", "backup"]).0, 0);
    let (code, out, _) = run(&["who", "xyzzy", "-o", "json"]);
    assert_eq!((code, out.trim()), (1, "[]"));
}

#[test]
fn party_kinds_name_parties_in_every_model() {
    for model in ["h8lio", "ovhcloud-mks"] {
        for kind in ["customer", "provider"] {
            let (code, out, err) = run(&["obligations", "-m", model, "--party", kind]);
            assert_eq!(code, 0, "{model} {kind}: {err}");
            assert!(out.contains("duties"), "{out}");
        }
    }
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn piped_output_fits_100_columns_or_the_width_asked() {
    for args in [
        &["show", "ovhcloud-mks"][..],
        &["show", "h8lio"],
        &["who", "backup"],
        &["topics"],
        &["models"],
        &["compare", "h8lio", "ovhcloud-mks"],
        &["validate", "--list-rules"],
        &[
            "audit",
            "examples/shop-cluster",
            "-m",
            "h8lio",
            "--fail-on",
            "none",
        ],
    ] {
        let (_, out, _) = run(args);
        assert!(widest(&out) <= 100, "{args:?}: {}", widest(&out));
        let mut wide = args.to_vec();
        wide.extend(["--width", "80"]);
        let (_, out, _) = run(&wide);
        assert!(widest(&out) <= 80, "{wide:?}: {}", widest(&out));
    }
}

#[test]
fn plurals_and_labels_read_right() {
    let (_, out, _) = run(&[
        "audit",
        "examples/shop-cluster",
        "-m",
        "ovhcloud-mks",
        "--now",
        "2025-06-01T12:00:00Z",
        "--attestations",
        "examples/shop-attestations.yaml",
    ]);
    assert!(out.contains("37 objects from 6 inputs, judged at 2025-06-01 12:00:00 UTC"));
    assert!(!out.contains("(s)"));
    // Needing attestation and attested do not look alike.
    assert!(out.contains("MANUAL   1.1-r1"), "{out}");
    assert!(out.contains("ATTESTED 3.1.7-r4"), "{out}");
    // An expired attestation: overdue when no check fails, said either way.
    assert!(out.contains("OVERDUE  3.1.3-r5"), "{out}");
    assert!(out.contains("attestation expired 2025-04-15"), "{out}");
    assert!(out.contains("attestation expired 2025-04-01"), "{out}");
    assert!(out.contains("1 overdue"), "{out}");
    let (_, _, err) = run(&["validate", "examples/my-provider.yaml"]);
    assert!(err.contains("1 file: 0 errors, 0 warnings"), "{err}");
}

#[test]
fn version_completions_and_man_pages() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    // `onus 0.1.0 (<commit> <date>)` from a checkout, `(built <date>)` without git.
    let re = out.trim();
    assert!(
        re.starts_with(&format!("onus {} (", env!("CARGO_PKG_VERSION"))),
        "{re}"
    );
    let date = re.trim_end_matches(')').rsplit(' ').next().unwrap();
    assert!(onus_model::is_date(date), "{re}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            out.contains("obligations") && out.contains("--model-path"),
            "{shell}"
        );
    }
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH onus 1") && out.contains("audit"));
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["man", "-O", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let audit = std::fs::read_to_string(dir.path().join("onus-audit.1")).unwrap();
    assert!(
        audit.contains("\\-\\-attestations"),
        "the page documents the flags"
    );
    assert!(dir.path().join("onus.1").is_file());
}

#[test]
fn validate_checks_attestations_files() {
    let (code, _, err) = run(&[
        "validate",
        "examples/shop-attestations.yaml",
        "-m",
        "ovhcloud-mks",
    ]);
    assert_eq!(code, 0, "{err}");
    // Against a model without those activities, each is located.
    let (code, _, err) = run(&["validate", "examples/shop-attestations.yaml", "-m", "h8lio"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the model has no activity `3.1.7-r4`"),
        "{err}"
    );
    assert!(err.contains("examples/shop-attestations.yaml:6:"), "{err}");
    // Every problem, each with its line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(format!("{ROOT}/examples/shop-attestations.yaml"))
        .unwrap()
        .replace("date: 2025-03-14", "date: 14/03/2025")
        .replace("valid: P3M", "valid: quarterly");
    std::fs::write(&bad, text).unwrap();
    let (code, out, err) = run(&["validate", bad.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["errors"], 2, "{out} {err}");
}

#[test]
fn the_attestations_schema_accepts_the_example_and_rejects_mistakes() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/schema/attestations.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let yaml = std::fs::read_to_string(format!("{ROOT}/examples/shop-attestations.yaml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert!(
        v.is_valid(&doc),
        "{:?}",
        v.iter_errors(&doc)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    for (from, to) in [
        ("date: 2025-03-14", "date: 14/03/2025"),
        ("sha256: \"3b9c", "sha256: \"zz9c"),
        ("by: \"Jane", "whom: \"Jane"),
    ] {
        let bad: serde_json::Value = serde_yaml_ng::from_str(&yaml.replacen(from, to, 1)).unwrap();
        assert!(!v.is_valid(&bad), "{to}");
    }
}

#[test]
fn the_html_report_escapes_everything_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("hostile.yaml");
    let text = std::fs::read_to_string(format!("{ROOT}/examples/my-provider.yaml"))
        .unwrap()
        .replace(
            "en: Grant cluster-admin only to named administrators",
            r#"en: "<img src=x onerror=alert(1)> & \"quoted\"""#,
        )
        .replace(
            "name:\n    en: Customer\n",
            "name:\n    en: \"<b>Customer</b>\"\n",
        );
    std::fs::write(&model, text).unwrap();
    let (code, html, err) = run(&[
        "audit",
        "examples/shop-cluster",
        "-m",
        model.to_str().unwrap(),
        "-o",
        "html",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;"));
    assert!(html.contains("&lt;b&gt;Customer&lt;"));
    assert!(!html.contains("<img") && !html.contains("<b>Customer"));
    assert!(!html.contains("<script") && !html.contains(" src=\"") && !html.contains("<link"));
    // Summary first, then what to fix first, then the duties and the checks.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("id=\"summary\"") < at("id=\"fix-first\""));
    assert!(at("id=\"fix-first\"") < at("id=\"duties\""));
    assert!(at("id=\"duties\"") < at("id=\"checks\""));
    // Remediation's code spans are code, not raw backticks.
    assert!(
        html.contains("<code>podSelector: {}</code>"),
        "remediation code spans"
    );
}
