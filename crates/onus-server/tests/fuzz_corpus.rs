//! The fuzz targets' inputs through the portal's API (issue 15's last bullet): every
//! regression, hostile input and seed of a target (`onus_fuzz::corpus`) posted to the upload
//! that reads the same kind of input, on both engines:
//!
//! - `model`: each input as a model upload;
//! - `attestations`: each input as an `onus.attestations/v1` file, and as the evidence file
//!   of an attestation made with a form (`multipart/form-data`);
//! - `export` and `export-gzip`: the audit upload takes an `onus.audit/v1` report, not a
//!   cluster export, so each input goes in twice: as it is (a client that sent its export
//!   instead of its report: refused), and as the report `onus audit -o json` writes from it
//!   against `ovhcloud-mks` (which the portal must take: the CLI and the server never
//!   disagree). Exports that the audit itself refuses have no report to send. The first
//!   report is then damaged the ways a transfer or a hand edit damages one (cut short, each
//!   top-level field removed or of the wrong type): the report-shaped hostile inputs.
//!
//! Every answer is a success or a 4xx JSON error with a code and a message, within
//! [`PATIENCE`]; never a 5xx. After the corpus the server still answers and still ingests.

mod common;

use std::time::Duration;

use common::{alive, refused, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// At most this many inputs per target, in `onus_fuzz::corpus`'s order (regressions, hostile
/// inputs, then seeds). Today's corpus is well under it (13 model inputs, 5 attestations
/// files, 5 + 6 exports), so all of it runs; a larger one is cut among its seeds first.
const CAP: usize = 64;

/// An answer slower than this is a hang (a dead worker), not an answer.
const PATIENCE: Duration = Duration::from_secs(60);

const MODEL: &str = "ovhcloud-mks";

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut all = onus_fuzz::corpus(target).unwrap();
    assert!(!all.is_empty(), "no inputs for the `{target}` target");
    all.truncate(CAP);
    all
}

/// Counts of what the server answered, for the test's output.
#[derive(Default, Debug)]
struct Tally {
    accepted: usize,
    refused: usize,
}

/// Sends `r`; the answer must come within [`PATIENCE`], and be a success or a 4xx JSON error
/// naming what is wrong.
async fn answered(
    what: &str,
    c: &Client,
    r: reqwest::RequestBuilder,
    tally: &mut Tally,
) -> (StatusCode, Value) {
    let (s, b) = tokio::time::timeout(PATIENCE, c.send(r))
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {PATIENCE:?}"));
    assert!(!s.is_server_error(), "{what}: {s} {b}");
    if s.is_success() {
        tally.accepted += 1;
    } else {
        refused(what, (s, b.clone()), None);
        tally.refused += 1;
    }
    (s, b)
}

fn post(c: &Client, path: &str, ctype: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
    c.req(reqwest::Method::POST, path)
        .header("content-type", ctype)
        .body(body)
}

async fn model_uploads(t: TestApp) {
    let w = common::world(&t).await;
    let c = &w.provider;
    let path = "/api/v1/orgs/ovhcloud/models";
    let mut tally = Tally::default();
    for (name, bytes) in inputs("model") {
        let what = format!("model upload of {name}");
        let (s, b) = answered(
            &what,
            c,
            post(c, path, "application/yaml", bytes),
            &mut tally,
        )
        .await;
        // `onus validate` warns about a `javascript:` link (a warning that cannot be
        // silenced); the portal publishes such a model only saying the same.
        if name == "hostile-javascript-url" && s.is_success() {
            assert!(
                b["findings"].to_string().contains("unsafe-url"),
                "{what}: {b}"
            );
        }
    }
    eprintln!("model uploads: {tally:?}");
    // The hostile inputs of issue 15 broke onus's loader: the portal refuses them.
    assert!(tally.refused >= 5, "{tally:?}");
    alive(c).await;
    let (s, b) = c
        .get(&format!("/api/v1/orgs/ovhcloud/models/{MODEL}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}
both!(model_uploads);

async fn attestation_uploads(t: TestApp) {
    let w = common::world(&t).await;
    let c = &w.shop;
    let path = "/api/v1/orgs/shop/attestations";
    let max_file = onus_server::Config::default().max_file_bytes;
    let (mut files, mut forms) = (Tally::default(), Tally::default());
    for (name, bytes) in inputs("attestations") {
        // As an attestations file. Evidence references (`/dev/zero`, `/etc/passwd`) are
        // stored as references: the server never reads them (PATIENCE would catch it).
        let what = format!("attestations file {name}");
        let r = post(
            c,
            &format!("{path}?model={MODEL}"),
            "application/yaml",
            bytes.clone(),
        );
        answered(&what, c, r, &mut files).await;
        // As the evidence file of one attestation: any bytes under the limit are evidence,
        // stored as they came.
        let file_name = name.rsplit('/').next().unwrap_or(&name).to_string();
        let form = reqwest::multipart::Form::new()
            .text("model", MODEL)
            .text("activity", "3.1.7-r4")
            .text("date", "2025-03-14")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(file_name)
                    .mime_str("application/yaml")
                    .unwrap(),
            );
        let what = format!("attestation with {name} as its file");
        let r = c.req(reqwest::Method::POST, path).multipart(form);
        let (s, b) = answered(&what, c, r, &mut forms).await;
        if bytes.len() > max_file {
            refused(&what, (s, b), Some("file"));
            continue;
        }
        assert_eq!(s, StatusCode::CREATED, "{what}: {b}");
        let id = b[0]["file_id"].as_str().expect("a file id");
        let res = c
            .req(
                reqwest::Method::GET,
                &format!("/api/v1/orgs/shop/files/{id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{what}");
        assert!(
            res.bytes().await.unwrap() == bytes,
            "{what}: not the bytes sent"
        );
    }
    eprintln!("attestations files: {files:?}; attestations with a file: {forms:?}");
    alive(c).await;
    let (s, b) = c.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert_eq!(s, StatusCode::OK, "{b}");
}
both!(attestation_uploads);

/// Ways a report is damaged on its way: cut short at 16 places, each top-level field removed,
/// and each given a value of each wrong JSON type.
fn damaged(report: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 1..16 {
        let at = report.len() * i / 16;
        out.push((format!("cut at byte {at}"), report[..at].to_vec()));
    }
    let Ok(Value::Object(whole)) = serde_json::from_slice::<Value>(report) else {
        panic!("the report is no JSON object");
    };
    for key in whole.keys() {
        let mut without = whole.clone();
        without.remove(key);
        out.push((
            format!("without `{key}`"),
            Value::Object(without).to_string().into_bytes(),
        ));
        for wrong in [json!(null), json!(-1), json!("x"), json!([]), json!({})] {
            let mut changed = whole.clone();
            changed.insert(key.clone(), wrong.clone());
            out.push((
                format!("`{key}` as {wrong}"),
                Value::Object(changed).to_string().into_bytes(),
            ));
        }
    }
    out
}

async fn audit_uploads(t: TestApp) {
    let w = common::world(&t).await;
    let c = &w.shop;
    let path = "/api/v1/orgs/shop/audits";
    let model_text = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == MODEL)
        .map(|(_, text)| *text)
        .unwrap();
    let now = "2025-06-01T12:00:00Z";
    let (mut raw, mut reports, mut broken) = (Tally::default(), Tally::default(), Tally::default());
    let mut no_report = 0;
    let mut first = None;
    let dir = tempfile::tempdir().unwrap();
    for target in ["export", "export-gzip"] {
        for (name, bytes) in inputs(target) {
            // The export itself, where a report is expected.
            let what = format!("{target} {name} as the report");
            let r = post(c, path, "application/json", bytes.clone());
            let (s, b) = answered(&what, c, r, &mut raw).await;
            refused(&what, (s, b), None);
            // The report onus writes from it, as the fuzz target audits it.
            let (file, bytes) = match target {
                "export-gzip" if bytes.starts_with(&[0x1f, 0x8b]) => ("export.yaml.gz", bytes),
                "export-gzip" => ("export.yaml.gz", onus_fuzz::seeds::gzip(&bytes)),
                _ => ("export.yaml", bytes),
            };
            let export = dir.path().join(file);
            std::fs::write(&export, bytes).unwrap();
            let Ok(report) = common::try_audit_report(model_text, &export, now) else {
                no_report += 1;
                continue;
            };
            let what = format!("the report of {target} {name}");
            let r = post(c, path, "application/json", report.clone());
            let (s, b) = answered(&what, c, r, &mut reports).await;
            assert_eq!(s, StatusCode::CREATED, "{what}: {b}");
            first.get_or_insert(report);
        }
    }
    let first = first.expect("no export of the corpus made a report");
    for (how, body) in damaged(&first) {
        let what = format!("a report {how}");
        let (s, b) = answered(
            &what,
            c,
            post(c, path, "application/json", body),
            &mut broken,
        )
        .await;
        // A `now` that `Report::rejoin` refuses is refused, naming it (it was stored).
        if how == "`now` as \"x\"" {
            refused(&what, (s, b), Some("now"));
        }
    }
    eprintln!(
        "audit uploads: exports as reports {raw:?}; their reports {reports:?} \
         ({no_report} exports refused by the audit); damaged reports {broken:?}"
    );
    // Still alive, and still ingesting.
    alive(c).await;
    let (s, b) = c
        .post_raw(path, "application/json", common::example_audit(MODEL, now))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = c.get("/api/v1/orgs/shop/audits").await;
    assert_eq!(s, StatusCode::OK, "{b}");
}
both!(audit_uploads);
