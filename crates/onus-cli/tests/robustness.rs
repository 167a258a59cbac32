//! Hostile input through the real binary (issue 15, docs/robustness.md): each test is one
//! class of input that crashed, hung or blew up before, and must now give a clear, located
//! answer with bounded time, memory and output.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn onus() -> Command {
    let mut c = Command::cargo_bin("onus").unwrap();
    c.env_remove("ONUS_MODEL_PATH").env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const H8LIO: &str = include_str!("../../../models/h8lio.yaml");

/// h8lio with the role cell of its first activity replaced by `cell`.
fn h8lio_with_cell(cell: &str) -> String {
    H8LIO.replacen(
        "roles: {byzaneo: RA,",
        &format!("roles: {{byzaneo: \"{cell}\","),
        1,
    )
}

#[test]
fn a_diagnostic_past_column_65535_is_cut_not_a_panic() {
    // miette's graphical handler panicked ("Formatting argument out of range") on any
    // diagnostic pointing past column 65,535: a 70 KB one-line YAML was enough.
    let d = tempfile::tempdir().unwrap();
    let id = "x".repeat(70_000);
    let f = write(
        d.path(),
        "long.yaml",
        format!("{{\"format\": \"onus.model/v1\", \"id\": \"{id}\", \"bogus\": 1}}\n"),
    );
    for cmd in ["validate", "show"] {
        let out = onus().arg(cmd).arg(&f).output().unwrap();
        assert_ne!(out.status.code(), Some(101), "{cmd} panicked");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("long.yaml:1:70041"), "{cmd}: {err}");
        assert!(err.contains("unknown field `bogus`"), "{err}");
        assert!(err.lines().all(|l| l.chars().count() < 200), "{err}");
    }
    // A syntax error there too.
    let f = write(d.path(), "syntax.yaml", format!("a: \"{id}\" ]\n"));
    onus()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("syntax.yaml:1:70009"));
}

#[test]
fn a_long_one_line_document_is_diagnosed_in_linear_time() {
    // 200,000 numbers on one line: each span used to be found by walking the line from its
    // start (30 s for 400 KB); now the whole run is well under a second.
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "many.json",
        format!(
            "{{\"format\": \"onus.model/v1\", \"x\": [{}1]}}",
            "1,".repeat(200_000)
        ),
    );
    onus()
        .arg("validate")
        .arg(&f)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown field `x`"));
}

#[test]
fn ten_thousand_bad_letters_are_one_finding_quoted_short() {
    // Each bad letter was a finding quoting the whole cell: 10,000 findings, 559 MB of output.
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "m.yaml", h8lio_with_cell(&"Z".repeat(10_000)));
    let out = onus()
        .args(["validate", "-o", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let letters: Vec<&serde_json::Value> = v[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unknown-letter")
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let message = letters[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`Z` in `ZZZZ") && message.contains("…`"),
        "{message}"
    );
    assert!(message.len() < 300, "{message}");
    // Several kinds of bad letters and repeats, still one finding each.
    let f = write(d.path(), "m2.yaml", h8lio_with_cell(&"XYRR".repeat(5_000)));
    let out = onus()
        .args(["validate", "-o", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = v[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unknown-letter")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("`X`, `Y` in `XYRR"), "{messages:?}");
    assert!(messages[1].contains("`R` appears twice"), "{messages:?}");
    // 100,000 made `export --to oscal-ssp` abort at 2 GB (the findings, each quoting the
    // cell); the model is refused with one finding and a small output.
    let f = write(d.path(), "m3.yaml", h8lio_with_cell(&"Z".repeat(100_000)));
    let out = onus()
        .args(["export", "--to", "oscal-ssp"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.stderr.len() < 20_000, "{} bytes", out.stderr.len());
    assert_ne!(out.status.code(), Some(101));
}

/// A check file whose `rule` is `rule`, in a folder of its own.
fn check_dir(root: &Path, name: &str, rule: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let check = format!(
        "id: hostile.{name}\ntitle: {{en: Hostile}}\nremediation: {{en: None}}\nseverity: low\ntopics: [container-images]\nkinds: [Pod]\nsubjects: [Pod]\nrule: |\n  {rule}\n"
    );
    write(&d, "c.yaml", check);
    d
}

/// What the command printed on stderr, miette's wrapping undone (words joined by one space).
fn stderr_of(c: &mut Command, code: i32) -> String {
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn deep_cel_is_a_located_error_not_a_stack_overflow() {
    // 7,000 chained `+` or selections overflowed the stack (abort, exit 134).
    let d = tempfile::tempdir().unwrap();
    for (name, rule, column) in [
        ("plus", format!("1{} > 0", "+1".repeat(7_000)), 202),
        ("select", format!("object{} == 1", ".a".repeat(7_000)), 207),
    ] {
        let dir = check_dir(d.path(), name, &rule);
        let err = stderr_of(
            onus()
                .args([
                    "audit",
                    "../../examples/shop-cluster",
                    "-m",
                    "h8lio",
                    "--checks",
                ])
                .arg(&dir),
            2,
        );
        assert!(
            err.contains(&format!("field `rule` is not valid CEL: 1:{column}: the expression nests deeper than 100 levels")),
            "{err}"
        );
    }
    // 30,000 selections are past the size bound, refused before anything else.
    let dir = check_dir(
        d.path(),
        "long",
        &format!("object{} == 1", ".a".repeat(30_000)),
    );
    let err = stderr_of(
        onus()
            .args([
                "audit",
                "../../examples/shop-cluster",
                "-m",
                "h8lio",
                "--checks",
            ])
            .arg(&dir),
        2,
    );
    assert!(err.contains("1:1: the expression is 60012 bytes"), "{err}");
    // Within the bound it runs.
    let dir = check_dir(d.path(), "fine", &format!("1{} > 0", " + 1".repeat(50)));
    onus()
        .args([
            "audit",
            "../../examples/shop-cluster",
            "-m",
            "h8lio",
            "--fail-on",
            "none",
            "--checks",
        ])
        .arg(&dir)
        .assert()
        .success();
}

#[test]
fn a_huge_cel_literal_is_refused_at_once() {
    // A string literal of a million non-ASCII characters took 12 s in cel's lexer (about
    // 12 µs per character). A check file is at most 1 MiB and an expression 16 KiB (at most
    // about 0.2 s in the lexer): both are refused before cel sees them.
    let d = tempfile::tempdir().unwrap();
    let audit = |dir: &Path| {
        let mut c = onus();
        c.args([
            "audit",
            "../../examples/shop-cluster",
            "-m",
            "h8lio",
            "--checks",
        ])
        .arg(dir)
        .timeout(std::time::Duration::from_secs(20));
        stderr_of(&mut c, 2)
    };
    let million = check_dir(
        d.path(),
        "million",
        &format!("'{}' != ''", "é".repeat(1_000_000)),
    );
    let err = audit(&million);
    assert!(
        err.contains("a check file is at most 1048576 bytes"),
        "{err}"
    );
    let large = check_dir(
        d.path(),
        "large",
        &format!("'{}' != ''", "é".repeat(100_000)),
    );
    let err = audit(&large);
    assert!(
        err.contains("more than the 16384 a check's expression may hold"),
        "{err}"
    );
}

const ATTESTATIONS: &str = include_str!("../../../examples/shop-attestations.yaml");

#[test]
fn attestation_evidence_is_read_only_under_its_root() {
    // `/dev/zero` was read until 2 GB; `/etc/passwd` and `../../../../etc/passwd` were read
    // and their sha256 printed.
    let d = tempfile::tempdir().unwrap();
    let first = "https://wiki.shop.example/ops/restore-test-2025-03.pdf";
    // An audit whose first attestation's evidence is `evidence`, with `extra` arguments.
    let audit = |evidence: &str, extra: &[&str]| {
        let f = write(
            d.path(),
            "att.yaml",
            ATTESTATIONS.replacen(first, evidence, 1),
        );
        let mut c = onus();
        c.args(["audit", "../../examples/shop-cluster", "-m", "ovhcloud-mks"])
            .args(extra)
            .arg("--attestations")
            .arg(&f)
            .timeout(std::time::Duration::from_secs(20));
        stderr_of(&mut c, 2)
    };
    for evidence in [
        "/dev/zero",
        "/etc/passwd",
        "../../../../../../../../etc/passwd",
    ] {
        let err = audit(evidence, &["--fail-on", "none"]);
        assert!(err.contains("att.yaml:"), "{err}");
        assert!(
            err.contains("outside the evidence root"),
            "{evidence}: {err}"
        );
        assert!(!err.contains("sha256 is"), "{err}");
    }
    // With the root at /dev, /dev/zero is inside but not a regular file.
    let err = audit("/dev/zero", &["--evidence-root", "/dev"]);
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_gzip_bomb_is_refused_after_a_few_megabytes() {
    // A 1 MB `.gz` holding 1 GiB of zeros was unpacked whole into memory.
    let d = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![b'0'; 1 << 20]).unwrap();
    let f = write(d.path(), "zeros.yaml.gz", gz.finish().unwrap().repeat(1024));
    let err = stderr_of(
        onus()
            .args(["audit", "-m", "h8lio"])
            .arg(&f)
            .timeout(std::time::Duration::from_secs(20)),
        2,
    );
    assert!(
        err.contains("zeros.yaml.gz") && err.contains("a gzip bomb?"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn export_folders_with_link_loops_and_pipes_are_read_once_and_said() {
    // A link to `.` was followed until the OS gave up (two of them hung, growing to
    // gigabytes); a FIFO blocked forever.
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        "../../examples/shop-cluster/10-storefront.yaml",
        d.path().join("10-storefront.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(".", d.path().join("a")).unwrap();
    std::os::unix::fs::symlink(".", d.path().join("b")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.path().join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let out = onus()
        .args(["audit", "-m", "h8lio", "--fail-on", "none", "-o", "json"])
        .arg(d.path())
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pipe.yaml`: not a regular file"), "{err}");
    assert_eq!(err.matches("a folder already read").count(), 2, "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report.to_string().matches("/a/10-storefront.yaml").count()
        + report.to_string().matches("/b/10-storefront.yaml").count();
    assert_eq!(files, 0);
}

#[test]
fn csv_cells_that_are_formulas_are_neutralised_and_round_trip() {
    // `export --to csv` and `show -o csv` wrote `=`, `+`, `-`, `@` cells unchanged.
    let d = tempfile::tempdir().unwrap();
    let m = H8LIO
        .replacen(
            "provider: Byzaneo",
            "provider: \"=HYPERLINK(\\\"http://evil\\\")\"",
            1,
        )
        .replacen(
            "roles: {byzaneo: RA, user: \"\"}",
            "roles: {byzaneo: RA, user: \"\"}\n    notes: [{en: \"@SUM(1+1)\", fr: \"-2+3\"}]",
            1,
        );
    let m = m.replacen(
        "  - id: byzaneo\n    kind: provider\n    name: {fr: Byzaneo, en: Byzaneo}",
        "  - id: byzaneo\n    kind: provider\n    name: {fr: \"+cmd|' /C calc'!A0\", en: \"=1+1\"}",
        1,
    );
    let f = write(d.path(), "m.yaml", &m);
    let out = onus()
        .args(["export", "--to", "csv"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let cells: Vec<String> = rdr
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert!(cells.iter().any(|c| c == "'=1+1"), "{cells:?}");
    for c in &cells {
        assert!(!c.starts_with(['=', '+', '@', '\t', '\r']), "{c}");
        assert!(
            !c.starts_with('-') || c == "-" || c.parse::<f64>().is_ok(),
            "{c}"
        );
    }
    // Import gives the same model back.
    let back = write(d.path(), "back.csv", &csv);
    let again = d.path().join("again.yaml");
    onus()
        .args(["import"])
        .arg(&back)
        .arg("-O")
        .arg(&again)
        .assert()
        .success();
    let a: serde_json::Value = serde_json::from_slice(
        &onus()
            .args(["show", "-o", "json"])
            .arg(&f)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let b: serde_json::Value = serde_json::from_slice(
        &onus()
            .args(["show", "-o", "json"])
            .arg(&again)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(a, b);
    // `--raw-csv` writes them as they are.
    let raw = onus()
        .args(["export", "--to", "csv", "--raw-csv"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&raw.stdout).contains("\n=1+1,")
            || String::from_utf8_lossy(&raw.stdout).contains(",=1+1")
    );
    // `show -o csv` too.
    let shown = onus().args(["show", "-o", "csv"]).arg(&f).output().unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("'=1+1"), "{shown}");
    let shown_raw = onus()
        .args(["show", "-o", "csv", "--raw-csv"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown_raw.stdout).contains(",=1+1"));
}

#[test]
fn only_web_and_mail_urls_are_accepted_and_linked() {
    // `source.url: "javascript:alert(3)"` was written as a link and `validate` said ok.
    let d = tempfile::tempdir().unwrap();
    let m = H8LIO.replacen(
        "  document: ",
        "  url: \"javascript:alert(3)\"\n  document: ",
        1,
    );
    let f = write(d.path(), "m.yaml", &m);
    // A warning (the model stays usable), that `--allow` refuses to silence and `--deny`
    // makes fail.
    let err = stderr_of(onus().arg("validate").arg(&f), 0);
    assert!(
        err.contains("[unsafe-url]") && err.contains("m.yaml:"),
        "{err}"
    );
    let err = stderr_of(onus().args(["validate", "--allow=unsafe-url"]).arg(&f), 2);
    assert!(err.contains("cannot be silenced"), "{err}");
    stderr_of(onus().args(["validate", "--deny=warnings"]).arg(&f), 1);
    // The page never links it.
    let html = onus()
        .args(["export", "--to", "html"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(html.status.success());
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(
        !html.contains("javascript:") && html.contains("<html"),
        "{html}"
    );
    let ok = H8LIO.replacen(
        "  document: ",
        "  url: \"https://example.com/model.pdf\"\n  document: ",
        1,
    );
    let f = write(d.path(), "ok.yaml", &ok);
    onus().arg("validate").arg(&f).assert().success();
    let html = onus()
        .args(["show", "-o", "html"])
        .arg(&f)
        .output()
        .unwrap();
    // (minijinja escapes `/` as `&#x2f;` in attributes.)
    assert!(String::from_utf8_lossy(&html.stdout)
        .contains("<a href=\"https:&#x2f;&#x2f;example.com&#x2f;model.pdf\">"));
}
