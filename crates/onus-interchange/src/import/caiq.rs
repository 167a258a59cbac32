//! Reads the Cloud Security Alliance's CAIQ v4 (Consensus Assessments Initiative
//! Questionnaire, the STAR self-assessment workbook): one row per question (`A&A-01.1`), with
//! the CSP's answer, its **SSRM Control Ownership** (who owns the control under CSA's Shared
//! Security Responsibility Model), the CSP's implementation description, the customer's
//! responsibilities and the CCM control the question belongs to.
//!
//! The sheet's name varies between releases and publishers (`CAIQv4.0.2`, `CAIQ v4.0.3`,
//! a provider's own) and titles stand above the header row, so the sheet and the header are
//! found by their column names. Each question becomes an activity in the section of its CCM
//! domain, with the CCM control as a control of catalog `ccm-v4`; the ownership gives the
//! roles (see [`OWNERSHIP_NOTE`]); the two descriptions become footnotes (`implementation`,
//! `responsibilities`) on the CSP's and the customer's cells; the answer and the ownership as
//! published become notes.

use onus_model::{ControlRef, PartyKind};

use super::form::{first_filled, Declared, Doc, Loc, Row};
use super::xlsx::{find_header, Sheet};
use super::ImportError;
use crate::util::key;

/// The headers that make a sheet a CAIQ (folded: lower case, punctuation as spaces).
const REQUIRED: &[&str] = &["question id", "question", "ssrm control ownership"];

/// How the six ownership values become roles; the model's `roles.note` says it.
pub const OWNERSHIP_NOTE: &str = "Roles come from the CAIQ's \"SSRM Control Ownership\" column (CSA's Shared Security Responsibility Model), not from RACI letters: CSP-owned gives the CSP R and A; CSC-owned the customer R and A; Third-party outsourced the third party R and the CSP A (the CSP outsourced the control and answers for it); Shared CSP and CSC both R and A (rule multiple-accountable reports these rows: the CAIQ does not say who answers for the shared part); Shared CSP and third party the CSP R and A and the third party R; N/A no role (rule missing-accountable reports it). The \"CSP Implementation Description\" is a footnote `implementation` on the CSP's cell, the \"CSC Responsibilities\" a footnote `responsibilities` on the customer's cell.";

/// Whether a workbook holds a CAIQ sheet.
pub fn recognise(sheets: &[Sheet]) -> bool {
    sheets.iter().any(|s| find_header(s, REQUIRED).is_some())
}

/// Ownership values, folded, to `(CSP, CSC, third party)` letters.
fn ownership(value: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let k = key(value).replace("3rd", "third");
    let k = k.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match k.as_str() {
        "csp owned" => ("RA", "", ""),
        "csc owned" => ("", "RA", ""),
        "third party outsourced" => ("A", "", "R"),
        "shared csp and csc" => ("RA", "RA", ""),
        "shared csp and third party" => ("RA", "", "R"),
        "n a" | "na" | "not applicable" => ("", "", ""),
        _ => return None,
    })
}

/// Reads the CAIQ sheet of a workbook into the importer's intermediate form.
pub(crate) fn read(file: &str, sheets: &[Sheet]) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let Some((sheet, (hi, _))) = sheets
        .iter()
        .find_map(|s| find_header(s, REQUIRED).map(|h| (s, h)))
    else {
        return Err(ImportError::NotThatFormat {
            file: file.to_string(),
            message: "no sheet with the CAIQ v4 columns `Question ID`, `Question` and `SSRM Control Ownership`".into(),
        });
    };
    let header = &sheet.rows[hi].1;
    let keys: Vec<String> = header.iter().map(|c| key(c)).collect();
    let col = |name: &str| keys.iter().position(|k| k.starts_with(name));
    let exact = |name: &str| keys.iter().position(|k| k == name);
    let (Some(c_id), Some(c_q), Some(c_own)) = (
        col("question id"),
        exact("question"),
        col("ssrm control ownership"),
    ) else {
        return Err(ImportError::NotThatFormat {
            file: file.to_string(),
            message: format!(
                "sheet `{}`: the CAIQ header row lacks `Question`",
                sheet.name
            ),
        });
    };
    let c_answer = col("csp caiq answer");
    let c_impl = col("csp implementation description");
    let c_csc = col("csc responsibilities");
    let c_ccm = col("ccm control id");
    let c_domain = col("ccm domain title");
    let title_above = sheet.rows[..hi]
        .iter()
        .flat_map(|(_, c)| c.iter())
        .find(|c| !c.trim().is_empty())
        .cloned();
    doc.front.title =
        Some(title_above.unwrap_or_else(|| {
            "Consensus Assessments Initiative Questionnaire (CAIQ) v4".to_string()
        }));
    doc.front.language = Some("en".into());
    doc.roles_note = Some(OWNERSHIP_NOTE.into());
    doc.parties.push(Declared {
        label: "CSP".into(),
        id: "csp".into(),
        kind: PartyKind::Provider,
        name: Some("Cloud service provider (CSP)".into()),
    });
    doc.parties.push(Declared {
        label: "CSC".into(),
        id: "csc".into(),
        kind: PartyKind::Customer,
        name: Some("Cloud service customer (CSC)".into()),
    });
    let loc = |line: usize| Loc {
        sheet: Some(sheet.name.clone()),
        line: Some(line),
    };
    let get = |cells: &[String], i: Option<usize>| {
        i.and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut third = false;
    for (line, cells) in &sheet.rows[hi + 1..] {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let id = get(cells, Some(c_id));
        let question = get(cells, Some(c_q));
        if id.is_empty() || question.is_empty() {
            doc.warn_at(
                &loc(*line),
                Some(if id.is_empty() { c_id } else { c_q }),
                Some(if id.is_empty() {
                    "Question ID"
                } else {
                    "Question"
                }),
                first_filled(cells),
                "a CAIQ row needs a question id and a question; skipped",
            );
            continue;
        }
        let own = get(cells, Some(c_own));
        let (csp, csc, tp) = match ownership(&own) {
            Some(r) => r,
            None => {
                doc.warn_at(
                    &loc(*line),
                    Some(c_own),
                    Some("SSRM Control Ownership"),
                    Some(&own),
                    if own.is_empty() {
                        "no ownership given; roles left empty".to_string()
                    } else {
                        "not one of CSP-owned, CSC-owned, Third-party outsourced, Shared CSP and CSC, Shared CSP and third party, N/A; roles left empty".to_string()
                    },
                );
                ("", "", "")
            }
        };
        third |= !tp.is_empty();
        // The CCM control: its own column, else the question id without its `.n`.
        let ccm = {
            let c = get(cells, c_ccm);
            if c.is_empty() {
                id.rsplit_once('.')
                    .map_or(id.clone(), |(c, _)| c.to_string())
            } else {
                c
            }
        };
        // The section is the CCM domain, by its title when the sheet gives it (`Audit &
        // Assurance`), else by the control id's prefix (`A&A`).
        let domain = match get(cells, c_domain) {
            d if d.is_empty() => ccm.split('-').next().unwrap_or(&ccm).trim().to_string(),
            d => d,
        };
        let mut row = Row::new(
            vec![
                id.clone(),
                domain,
                question,
                csp.into(),
                csc.into(),
                tp.into(),
            ],
            loc(*line),
        );
        let answer = get(cells, c_answer);
        if !answer.is_empty() {
            row.extra.notes.push(format!("CSP CAIQ Answer: {answer}"));
        }
        if !own.is_empty() {
            row.extra
                .notes
                .push(format!("SSRM Control Ownership: {own}"));
        }
        // Markers are words, so that the flat layout writes them as `[^implementation]`.
        for (party, marker, c) in [
            ("CSP", "implementation", c_impl),
            ("CSC", "responsibilities", c_csc),
        ] {
            let t = get(cells, c);
            if !t.is_empty() {
                row.extra.footnotes.push((party.into(), marker.into(), t));
            }
        }
        row.extra.controls.push(ControlRef {
            catalog: "ccm-v4".into(),
            id: ccm,
        });
        rows.push(row);
    }
    let mut head = vec!["Id", "Section", "Activity", "CSP", "CSC", "Third party"];
    if third {
        doc.parties.push(Declared {
            label: "Third party".into(),
            id: "third-party".into(),
            kind: PartyKind::ThirdParty,
            name: None,
        });
    } else {
        head.pop();
        for r in &mut rows {
            r.cells.pop();
        }
    }
    doc.push_flat(Some(sheet.name.clone()), &head, loc(sheet.rows[hi].0), rows);
    Ok(doc)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_six_ownership_values_and_their_spellings() {
        use super::ownership;
        assert_eq!(ownership("CSP-owned"), Some(("RA", "", "")));
        assert_eq!(ownership("CSC-owned"), Some(("", "RA", "")));
        assert_eq!(ownership("3rd-party outsourced"), Some(("A", "", "R")));
        assert_eq!(ownership("Third-party outsourced"), Some(("A", "", "R")));
        assert_eq!(ownership("Shared CSP and CSC"), Some(("RA", "RA", "")));
        assert_eq!(ownership("Shared CSP and 3rd-party"), Some(("RA", "", "R")));
        assert_eq!(ownership("N/A"), Some(("", "", "")));
        assert_eq!(ownership("Customer"), None);
    }
}
