//! Attestations: dated, signed-off statements that a duty no machine can see was done.
//!
//! ```yaml
//! format: onus.attestations/v1
//! attestations:
//!   - activity: 3.1.7-r4          # the model's activity id
//!     date: 2025-03-14            # when it was done (YYYY-MM-DD or RFC 3339)
//!     by: "Jane Doe <jane@shop.example>"
//!     evidence:
//!       ref: "https://wiki.shop.example/restore-test-2025-03.pdf"
//!       sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//!     valid: P1Y                  # optional; default: the activity's cadence, else forever
//! ```

use chrono::{DateTime, FixedOffset, NaiveDate};
use onus_model::Cadence;
use serde::{Deserialize, Serialize};

/// Evidence backing an attestation: where it is and its SHA-256, so it cannot change unseen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[serde(rename = "ref")]
    pub reference: String,
    pub sha256: String,
}

/// One attestation, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub activity: String,
    pub date: String,
    pub by: String,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the attestations file (set by the loader).
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    format: Option<String>,
    attestations: Vec<serde_json::Value>,
}

/// Why an attestations file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct AttestationError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

pub const FORMAT: &str = "onus.attestations/v1";

/// Reads and validates an attestations file: the attestations, or the first problem found
/// (all of them: [`check`]).
pub fn parse(file: &str, text: &str) -> Result<Vec<Attestation>, AttestationError> {
    let (list, findings) = check(text);
    match findings.into_iter().next() {
        None => Ok(list),
        Some(f) => Err(AttestationError {
            file: file.to_string(),
            line: f.line,
            message: f.message,
        }),
    }
}

/// One problem of an attestations file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line (0 when the text could not be read at all).
    pub line: usize,
    /// JSON pointer to the offending node (`/attestations/1/date`).
    pub pointer: String,
    /// Byte offset and length of that node, when known.
    pub span: Option<(usize, usize)>,
    pub message: String,
}

/// Whether `text` declares itself an attestations file (`format: onus.attestations/v1` at
/// its top), so that `onus validate` can tell it from a model.
pub fn is_attestations(text: &str) -> bool {
    onus_yaml::parse_one(text, &onus_yaml::Limits::default())
        .is_ok_and(|d| d.value.get("format").and_then(|f| f.as_str()) == Some(FORMAT))
}

/// Reads an attestations file and reports every problem, each located: the attestations that
/// are well formed, and the findings.
pub fn check(text: &str) -> (Vec<Attestation>, Vec<Finding>) {
    check_with(text, &|_| true)
}

/// [`check`], and each attestation's activity must be one `known` accepts (a model's ids).
pub fn check_with(text: &str, known: &dyn Fn(&str) -> bool) -> (Vec<Attestation>, Vec<Finding>) {
    let mut findings = Vec::new();
    let doc = match onus_yaml::parse_one(text, &onus_yaml::Limits::default()) {
        Ok(d) => d,
        Err(e) => {
            let span = e.span();
            findings.push(Finding {
                line: span.map_or(0, |s| s.line),
                pointer: String::new(),
                span: span.map(|s| (s.offset, s.len)),
                message: e.to_string(),
            });
            return (Vec::new(), findings);
        }
    };
    let at = |ptr: &str, message: String| {
        let span = doc.map.get(ptr).or_else(|| doc.map.get(""));
        Finding {
            line: span.map_or(1, |s| s.line),
            pointer: ptr.to_string(),
            span: span.map(|s| (s.offset, s.len)),
            message,
        }
    };
    let f: File = match serde_json::from_value(doc.value.clone()) {
        Ok(f) => f,
        Err(e) => {
            findings.push(at("", e.to_string()));
            return (Vec::new(), findings);
        }
    };
    if let Some(fmt) = &f.format {
        if fmt != FORMAT {
            findings.push(at(
                "/format",
                format!("unknown format `{fmt}`, expected `{FORMAT}`"),
            ));
            return (Vec::new(), findings);
        }
    }
    let mut out = Vec::new();
    for (i, v) in f.attestations.into_iter().enumerate() {
        let ptr = format!("/attestations/{i}");
        let line = doc.map.get(&ptr).map_or(0, |s| s.line);
        let mut a: Attestation = match serde_json::from_value(v) {
            Ok(a) => a,
            Err(e) => {
                findings.push(at(&ptr, format!("attestation {}: {e}", i + 1)));
                continue;
            }
        };
        a.line = line;
        let before = findings.len();
        if !known(&a.activity) {
            findings.push(at(
                &format!("{ptr}/activity"),
                format!("the model has no activity `{}`", a.activity),
            ));
        }
        if parse_date(&a.date).is_none() {
            findings.push(at(
                &format!("{ptr}/date"),
                format!("`{}` is not a date (YYYY-MM-DD or RFC 3339)", a.date),
            ));
        }
        if a.evidence.sha256.len() != 64
            || !a.evidence.sha256.chars().all(|c| c.is_ascii_hexdigit())
        {
            findings.push(at(
                &format!("{ptr}/evidence/sha256"),
                "evidence.sha256 must be 64 hexadecimal digits".into(),
            ));
        }
        if let Some(v) = &a.valid {
            if let Err(e) = Cadence::parse(v) {
                findings.push(at(&format!("{ptr}/valid"), e.to_string()));
            }
        }
        if a.by.trim().is_empty() {
            findings.push(at(
                &format!("{ptr}/by"),
                "`by` must name who attests".into(),
            ));
        }
        if findings.len() == before {
            out.push(a);
        }
    }
    (out, findings)
}

/// Where evidence files may be read from, and how much of each.
///
/// Attestations are written by other people (and will arrive through the portal): an
/// evidence path is never read wherever it points. It is resolved under `root` (a relative
/// path from it, an absolute one or a `file://` URL only if it lies inside it), after every
/// `..` and symbolic link is resolved, so neither can lead out; only a regular file is read
/// (never a device such as `/dev/zero`, a pipe or a folder), and at most `max_bytes` of it.
#[derive(Debug, Clone)]
pub struct EvidenceOptions {
    /// The folder evidence must lie in; by default the attestations file's folder.
    pub root: std::path::PathBuf,
    /// Largest evidence file hashed (see [`onus_limits::Limits::evidence_bytes`]).
    pub max_bytes: u64,
}

impl EvidenceOptions {
    /// Evidence under `root`, of the default size limit.
    pub fn under(root: impl Into<std::path::PathBuf>) -> EvidenceOptions {
        EvidenceOptions {
            root: root.into(),
            max_bytes: onus_limits::Limits::DEFAULT.evidence_bytes,
        }
    }
}

/// Checks the evidence of each attestation that names a local file (a path, or a `file://`
/// URL): it must be a regular file under the evidence root (see [`EvidenceOptions`]), and
/// its SHA-256 must be the one attested, or the attestation is refused with its line.
/// Evidence elsewhere (`https://...`) cannot be fetched offline and is trusted as written.
/// Returns how many were verified.
pub fn verify_evidence(
    file: &str,
    attestations: &[Attestation],
    opts: &EvidenceOptions,
) -> Result<usize, AttestationError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut verified = 0;
    let mut root: Option<std::path::PathBuf> = None;
    for a in attestations {
        let r = a.evidence.reference.as_str();
        let path = match r.strip_prefix("file://") {
            Some(p) => std::path::PathBuf::from(p),
            None if r.contains("://") => continue,
            None => std::path::PathBuf::from(r),
        };
        let err = |message: String| AttestationError {
            file: file.to_string(),
            line: a.line,
            message: format!(
                "evidence `{r}` of attestation for {}: {message}",
                a.activity
            ),
        };
        let root = match &root {
            Some(c) => c.clone(),
            None => {
                let c = std::fs::canonicalize(&opts.root).map_err(|e| {
                    err(format!(
                        "the evidence root `{}` cannot be read: {e}",
                        opts.root.display()
                    ))
                })?;
                root = Some(c.clone());
                c
            }
        };
        let resolved = std::fs::canonicalize(root.join(&path))
            .map_err(|e| err(format!("cannot be read: {e}")))?;
        if !resolved.starts_with(&root) {
            return Err(err(format!(
                "it is outside the evidence root `{}`; evidence is read only there (--evidence-root chooses it)",
                opts.root.display()
            )));
        }
        let too_large = || {
            err(format!(
                "it is larger than {} bytes, the limit for evidence",
                opts.max_bytes
            ))
        };
        let meta = std::fs::metadata(&resolved).map_err(|e| err(format!("cannot be read: {e}")))?;
        if !meta.is_file() {
            return Err(err(
                "it is not a regular file (a folder, device or pipe is never read)".into(),
            ));
        }
        if meta.len() > opts.max_bytes {
            return Err(too_large());
        }
        let f = std::fs::File::open(&resolved).map_err(|e| err(format!("cannot be read: {e}")))?;
        // Streamed through the hash, never more than the limit (the file may grow).
        let mut hasher = Sha256::new();
        let mut reader = f.take(opts.max_bytes.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| err(format!("cannot be read: {e}")))?;
            if n == 0 {
                break;
            }
            read += n as u64;
            hasher.update(&buf[..n]);
        }
        if read > opts.max_bytes {
            return Err(too_large());
        }
        let actual = format!("{:x}", hasher.finalize());
        if !actual.eq_ignore_ascii_case(&a.evidence.sha256) {
            return Err(err(format!(
                "it has changed: its sha256 is {actual}, the attestation says {}",
                a.evidence.sha256
            )));
        }
        verified += 1;
    }
    Ok(verified)
}

/// `2025-03-14` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().fixed_offset())
}

/// Where an attestation stands at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub attested: bool,
    /// When it stops being valid (RFC 3339), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

/// Whether `a` still holds at `now`, given the activity's cadence.
pub fn standing(a: &Attestation, cadence: Option<&str>, now: DateTime<FixedOffset>) -> Standing {
    let Some(date) = parse_date(&a.date) else {
        return Standing {
            attested: false,
            due: None,
        };
    };
    let validity = a
        .valid
        .as_deref()
        .or(cadence)
        .and_then(|c| Cadence::parse(c).ok());
    match validity {
        None => Standing {
            attested: date <= now,
            due: None,
        },
        Some(c) => {
            // Checked: a validity past the last representable time (`P4000000000Y`, from a
            // file or over the portal's API) holds forever instead of overflowing.
            let due = i64::try_from(c.approx_seconds())
                .ok()
                .and_then(chrono::Duration::try_seconds)
                .and_then(|d| date.checked_add_signed(d));
            match due {
                Some(due) => Standing {
                    attested: date <= now && now < due,
                    due: Some(due.to_rfc3339()),
                },
                None => Standing {
                    attested: date <= now,
                    due: None,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "format: onus.attestations/v1\nattestations:\n  - activity: 3.1.7-r4\n    date: 2025-03-14\n    by: Jane\n    evidence: {ref: restore.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n";

    #[test]
    fn parses_and_ages() {
        let a = &parse("a.yaml", OK).unwrap()[0];
        assert_eq!(a.line, 3);
        let now = parse_date("2025-09-01").unwrap();
        // A validity too long for any date holds forever, without overflowing.
        let huge = standing(a, Some("P4000000000Y"), now);
        assert!(huge.attested && huge.due.is_none());
        assert!(standing(a, Some("P1Y"), now).attested);
        assert!(!standing(a, Some("P1M"), now).attested);
        assert!(standing(a, None, now).attested);
        assert!(
            !standing(a, None, parse_date("2025-01-01").unwrap()).attested,
            "not yet done"
        );
    }

    /// An attestations text whose only evidence is `reference`, with the sha256 of `bytes`.
    fn attesting(reference: &str, bytes: &[u8]) -> Vec<Attestation> {
        use sha2::{Digest, Sha256};
        let sha = format!("{:x}", Sha256::digest(bytes));
        let text = OK.replace("restore.pdf", reference).replace(
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            &sha,
        );
        parse("a.yaml", &text).unwrap()
    }

    #[test]
    fn evidence_is_read_only_under_its_root_and_only_regular_files() {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("attested");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/report.pdf"), b"restored").unwrap();
        std::fs::write(top.path().join("secret.txt"), b"secret").unwrap();
        let opts = EvidenceOptions::under(&root);
        // Inside: relative, `file://` with an absolute path inside, `..` that stays inside.
        let inside = root.join("sub/report.pdf").display().to_string();
        for r in [
            "sub/report.pdf",
            &format!("file://{inside}"),
            "sub/../sub/report.pdf",
        ] {
            assert_eq!(
                verify_evidence("a.yaml", &attesting(r, b"restored"), &opts).unwrap(),
                1,
                "{r}"
            );
        }
        // Outside: `..`, absolute paths, a link out. Refused before reading: no hash printed.
        let secret = top.path().join("secret.txt").display().to_string();
        #[cfg(unix)]
        std::os::unix::fs::symlink(top.path().join("secret.txt"), root.join("link.pdf")).unwrap();
        for r in [
            "../secret.txt",
            "../../../../../../etc/passwd",
            "/etc/passwd",
            &secret,
            "link.pdf",
        ] {
            if r == "link.pdf" && !cfg!(unix) {
                continue;
            }
            let e = verify_evidence("a.yaml", &attesting(r, b"secret"), &opts).unwrap_err();
            let m = e.to_string();
            assert!(
                m.contains("outside the evidence root") || m.contains("cannot be read"),
                "{r}: {m}"
            );
            assert!(!m.contains("sha256 is"), "{m}");
            assert_eq!(e.line, 3);
        }
        // Devices and folders are never read.
        for r in ["/dev/zero", "sub"] {
            let opts = EvidenceOptions::under(if r == "sub" {
                root.clone()
            } else {
                "/dev".into()
            });
            let e = verify_evidence("a.yaml", &attesting(r, b""), &opts).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        // A size limit.
        let small = EvidenceOptions {
            root: root.clone(),
            max_bytes: 4,
        };
        let e = verify_evidence("a.yaml", &attesting("sub/report.pdf", b"restored"), &small)
            .unwrap_err();
        assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
        // https evidence is not fetched.
        assert_eq!(
            verify_evidence("a.yaml", &attesting("https://x/y.pdf", b""), &opts).unwrap(),
            0
        );
    }

    #[test]
    fn every_problem_is_found() {
        let bad = OK
            .replace("9f86", "zz86")
            .replace("2025-03-14", "14/03/2025");
        let (ok, findings) = check(&bad);
        assert!(ok.is_empty());
        let lines: Vec<usize> = findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(findings[0].pointer, "/attestations/0/date");
        assert!(is_attestations(OK));
        assert!(!is_attestations("id: x\nactivities: []\n"));
    }

    #[test]
    fn bad_entries_are_located() {
        let e = parse("a.yaml", &OK.replace("9f86", "zz86")).unwrap_err();
        assert_eq!(e.line, 6);
        let e = parse("a.yaml", &OK.replace("2025-03-14", "14/03/2025")).unwrap_err();
        assert_eq!((e.line, e.to_string().starts_with("a.yaml:4:")), (4, true));
    }
}
