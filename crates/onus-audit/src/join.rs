//! Joining check results to a model: party by party, section by section, duty by duty.
//!
//! A duty is an activity in which a party holds a Responsible or Accountable letter. The checks
//! that speak to it are those sharing a topic with the activity. The party a result concerns
//! therefore always comes from the model: the same TLS check is the provider's duty under one
//! model and the customer's under another.

use chrono::{DateTime, FixedOffset};
use onus_inventory::Inventory;
use onus_model::{Duty, Model, Text};
use serde::{Deserialize, Serialize};

use crate::attest::{self, Attestation};
use crate::result::{CheckResult, CheckStatus};

/// The format id of the JSON report; bumped only on incompatible changes.
pub const FORMAT: &str = "onus.audit/v1";

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DutyStatus {
    /// Its checks pass.
    Pass,
    /// One of its checks fails.
    Fail,
    /// A check could not be evaluated.
    Error,
    /// Its checks found nothing to judge, and nobody attested it.
    NotApplicable,
    /// No check speaks to it; a valid attestation does.
    Attested,
    /// No check speaks to it; its last attestation has expired.
    Overdue,
    /// No automated evidence: needs attestation.
    NeedsAttestation,
}

impl DutyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DutyStatus::Pass => "pass",
            DutyStatus::Fail => "fail",
            DutyStatus::Error => "error",
            DutyStatus::NotApplicable => "not-applicable",
            DutyStatus::Attested => "attested",
            DutyStatus::Overdue => "overdue",
            DutyStatus::NeedsAttestation => "needs-attestation",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRef {
    pub id: String,
    pub version: String,
    pub title: Text,
    pub provider: String,
    pub service: String,
}

/// A check's result and the duties it speaks to in this model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    #[serde(flatten)]
    pub result: CheckResult,
    /// Parties whose duties this check gives evidence for.
    pub parties: Vec<String>,
    /// The activities it gives evidence for.
    pub activities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttestationReport {
    pub date: String,
    pub by: String,
    pub evidence: attest::Evidence,
    pub attested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DutyReport {
    pub activity: String,
    pub text: Text,
    /// The party's letters in the activity (`RA`).
    pub letters: String,
    pub topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<String>,
    pub status: DutyStatus,
    /// Ids of the checks that speak to it.
    pub checks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SectionReport {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub title: Text,
    pub duties: Vec<DutyReport>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub not_applicable: usize,
    pub attested: usize,
    pub overdue: usize,
    pub needs_attestation: usize,
}

impl Counts {
    fn add(&mut self, s: DutyStatus) {
        match s {
            DutyStatus::Pass => self.pass += 1,
            DutyStatus::Fail => self.fail += 1,
            DutyStatus::Error => self.error += 1,
            DutyStatus::NotApplicable => self.not_applicable += 1,
            DutyStatus::Attested => self.attested += 1,
            DutyStatus::Overdue => self.overdue += 1,
            DutyStatus::NeedsAttestation => self.needs_attestation += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartyReport {
    pub id: String,
    pub kind: String,
    pub name: Text,
    pub summary: Counts,
    pub sections: Vec<SectionReport>,
}

/// Something in the input that was not as it should be, with its place.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputProblem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub model: ModelRef,
    /// The instant time-based checks were judged at (RFC 3339).
    pub now: String,
    pub k8s_latest: String,
    pub inputs: Vec<String>,
    pub objects: usize,
    pub checks: Vec<CheckReport>,
    pub parties: Vec<PartyReport>,
    pub problems: Vec<InputProblem>,
}

/// Everything the join needs besides the model and the results.
pub struct JoinInput<'a> {
    pub inventory: &'a Inventory,
    pub attestations: &'a [Attestation],
    pub attestations_file: Option<&'a str>,
    pub now: DateTime<FixedOffset>,
    pub k8s_latest: &'a str,
}

/// Builds the report: results attached to the model's duties, party by party.
pub fn join(model: &Model, results: Vec<CheckResult>, input: &JoinInput) -> Report {
    let duty_letters = model
        .roles
        .letters_of(&[Duty::Responsible, Duty::Accountable]);
    let speaks = |r: &CheckResult, a: &onus_model::Activity| {
        r.topics.iter().any(|t| a.topics.contains(t))
            && (r.layers.is_empty() || a.layer.as_ref().is_none_or(|l| r.layers.contains(l)))
    };
    let mut problems: Vec<InputProblem> = input
        .inventory
        .problems()
        .iter()
        .map(|p| InputProblem {
            file: p.origin.file.to_string(),
            line: p.origin.line,
            message: p.message.clone(),
        })
        .collect();
    for a in input.attestations {
        if model.activity(&a.activity).is_none() {
            problems.push(InputProblem {
                file: input
                    .attestations_file
                    .unwrap_or("attestations")
                    .to_string(),
                line: a.line,
                message: format!(
                    "attestation for `{}`, which is not an activity of model `{}`",
                    a.activity, model.id
                ),
            });
        }
    }
    let mut parties = Vec::new();
    for party in &model.parties {
        let mut summary = Counts::default();
        let mut sections: Vec<SectionReport> = Vec::new();
        for act in &model.activities {
            let letters = model.letters(act, &party.id);
            if !letters.chars().any(|c| duty_letters.contains(&c)) {
                continue;
            }
            let checks: Vec<&CheckResult> = results.iter().filter(|r| speaks(r, act)).collect();
            let latest = input
                .attestations
                .iter()
                .filter(|a| a.activity == act.id)
                .max_by_key(|a| attest::parse_date(&a.date));
            let attestation = latest.map(|a| {
                let s = attest::standing(a, act.cadence.as_deref(), input.now);
                AttestationReport {
                    date: a.date.clone(),
                    by: a.by.clone(),
                    evidence: a.evidence.clone(),
                    attested: s.attested,
                    due: s.due,
                }
            });
            let by_attestation = match &attestation {
                Some(a) if a.attested => DutyStatus::Attested,
                Some(_) => DutyStatus::Overdue,
                None => DutyStatus::NeedsAttestation,
            };
            let status = if checks.is_empty() {
                by_attestation
            } else if checks.iter().any(|r| r.status == CheckStatus::Fail) {
                DutyStatus::Fail
            } else if checks.iter().any(|r| r.status == CheckStatus::Error) {
                DutyStatus::Error
            } else if by_attestation == DutyStatus::Overdue {
                // Checks see the machine's part of a duty; an attestation vouched for the
                // rest. Once it has expired the duty is overdue, even when its checks pass.
                DutyStatus::Overdue
            } else if checks.iter().any(|r| r.status == CheckStatus::Pass) {
                DutyStatus::Pass
            } else if attestation.is_some() {
                by_attestation
            } else {
                DutyStatus::NotApplicable
            };
            summary.add(status);
            let duty = DutyReport {
                activity: act.id.clone(),
                text: act.text.clone(),
                letters: letters.to_string(),
                topics: act.topics.clone(),
                cadence: act.cadence.clone(),
                status,
                checks: checks.iter().map(|r| r.id.clone()).collect(),
                attestation,
            };
            match sections.iter_mut().find(|s| s.id == act.section) {
                Some(s) => s.duties.push(duty),
                None => {
                    let sec = model.section(&act.section);
                    let title = model
                        .section_path(&act.section)
                        .iter()
                        .map(|s| s.title.clone())
                        .reduce(|a, b| join_titles(&a, &b))
                        .unwrap_or_default();
                    sections.push(SectionReport {
                        id: act.section.clone(),
                        number: sec.and_then(|s| s.number.clone()),
                        title,
                        duties: vec![duty],
                    });
                }
            }
        }
        parties.push(PartyReport {
            id: party.id.clone(),
            kind: party.kind.as_str().to_string(),
            name: party.name.clone(),
            summary,
            sections,
        });
    }
    let checks = results
        .into_iter()
        .map(|r| {
            let mut ps = Vec::new();
            let mut acts = Vec::new();
            for a in model.activities.iter().filter(|a| speaks(&r, a)) {
                acts.push(a.id.clone());
                for p in &model.parties {
                    if model
                        .letters(a, &p.id)
                        .chars()
                        .any(|c| duty_letters.contains(&c))
                        && !ps.contains(&p.id)
                    {
                        ps.push(p.id.clone());
                    }
                }
            }
            CheckReport {
                result: r,
                parties: ps,
                activities: acts,
            }
        })
        .collect();
    Report {
        format: FORMAT.into(),
        model: ModelRef {
            id: model.id.clone(),
            version: model.version.clone(),
            title: model.title.clone(),
            provider: model.provider.clone(),
            service: model.service.clone(),
        },
        now: input.now.to_rfc3339(),
        k8s_latest: input.k8s_latest.to_string(),
        inputs: input.inventory.files().to_vec(),
        objects: input.inventory.seen(),
        checks,
        parties,
        problems,
    }
}

/// `Operations › Security` in every language the parts share.
fn join_titles(a: &Text, b: &Text) -> Text {
    let mut t = Text::default();
    for lang in b.languages() {
        t.set(lang, format!("{} › {}", a.best(lang), b.best(lang)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use onus_model::{load_str, Options, Vocabulary, BUILTIN};

    fn model(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    fn report(model_id: &str, yaml: &str, attestations: &[Attestation]) -> Report {
        let mut inv = Inventory::default();
        inv.add_text("x.yaml", yaml).unwrap();
        let now = attest::parse_date("2025-06-01").unwrap();
        let checks: Vec<_> = crate::catalog::builtin()
            .unwrap()
            .into_iter()
            .filter(|c| c.id == "tls.ingress-cert")
            .collect();
        let results = crate::engine::run(
            &inv,
            &checks,
            &crate::result::RunOptions {
                now,
                threads: 1,
                ..Default::default()
            },
        );
        join(
            &model(model_id),
            results,
            &JoinInput {
                inventory: &inv,
                attestations,
                attestations_file: None,
                now,
                k8s_latest: "1.34",
            },
        )
    }

    const BAD_INGRESS: &str = "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {name: i, namespace: n}\nspec: {rules: [{host: a.example}]}\n";

    #[test]
    fn the_party_comes_from_the_model() {
        let r = report("ovhcloud-mks", BAD_INGRESS, &[]);
        assert_eq!(r.checks[0].parties, vec!["customer"]);
        let r = report("h8lio", BAD_INGRESS, &[]);
        assert_eq!(r.checks[0].parties, vec!["byzaneo"]);
        let byz = r.parties.iter().find(|p| p.id == "byzaneo").unwrap();
        let tls = byz
            .sections
            .iter()
            .flat_map(|s| &s.duties)
            .find(|d| d.activity == "networking.network.tls")
            .unwrap();
        assert_eq!(
            (tls.status, tls.checks.clone()),
            (DutyStatus::Fail, vec!["tls.ingress-cert".to_string()])
        );
    }

    #[test]
    fn duties_without_checks_need_attestation_or_are_attested() {
        let a = attest::parse(
            "a.yaml",
            "attestations:\n- {activity: 3.1.7-r4, date: 2025-03-01, by: Jane, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: 3.1.7-r4, date: 2023-03-01, by: Old, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: 5.1-r1, date: 2024-01-01, by: Jane, valid: P1M, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n- {activity: nope, date: 2024-01-01, by: Jane, evidence: {ref: r.pdf, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}\n",
        )
        .unwrap();
        let r = report("ovhcloud-mks", BAD_INGRESS, &a);
        let cust = r.parties.iter().find(|p| p.id == "customer").unwrap();
        let duty = |id: &str| {
            cust.sections
                .iter()
                .flat_map(|s| &s.duties)
                .find(|d| d.activity == id)
                .unwrap()
        };
        assert_eq!(duty("3.1.7-r4").status, DutyStatus::Attested);
        assert_eq!(duty("3.1.7-r4").attestation.as_ref().unwrap().by, "Jane");
        assert_eq!(duty("5.1-r1").status, DutyStatus::Overdue);
        assert_eq!(duty("4.1-r2").status, DutyStatus::NeedsAttestation);
        assert_eq!(r.problems.len(), 1);
        assert!(r.problems[0].message.contains("`nope`"));
        let ovh = r.parties.iter().find(|p| p.id == "ovhcloud").unwrap();
        assert!(ovh
            .sections
            .iter()
            .flat_map(|s| &s.duties)
            .all(|d| d.letters.contains('R') || d.letters.contains('A')));
        assert_eq!(
            cust.sections[0].title.get("en"),
            Some("Before subscription › Specify service as needed")
        );
    }
}
