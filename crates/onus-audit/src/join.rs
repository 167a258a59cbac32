//! Joining check results to a model: party by party, section by section, duty by duty, and
//! each failing item to the party that can fix it.
//!
//! Two levels (docs/audit.md, "How results reach duties"):
//!
//! - **Duty links.** A duty is an activity in which a party holds a Responsible or Accountable
//!   letter. The model's `audit.evidence` says which checks (or which of their reasons) give
//!   evidence for which activities, and whether the duty is to *provide* what the check sees or
//!   to *use* it. A check the model does not review (no link, no `audit.no_duty`) gets links
//!   *suggested* from shared topics; a suggested link is shown as such and never changes a
//!   duty's status nor an item's party.
//! - **Item ownership.** Each failing item's object belongs to a party: the one whose managed
//!   scope (`audit.managed`) matches it, else the customer. An item lands on a linked duty to
//!   *provide* whoever owns its object; on a linked duty to *use* only when the duty's holder
//!   owns it. An item that lands on no reviewed duty is reported with why, never dropped.
//!
//! The party a result concerns therefore always comes from the model, never from the check.
//! The join reads plain data only (results, the run's inputs and facts, attestations, the
//! instant), so that a report read back from JSON joins again to the same answer.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use onus_inventory::Inventory;
use onus_model::{Condition, Duty, LinkKind, Model, NoDuty, Roles, Text};
use serde::{Deserialize, Serialize};

use crate::attest::{self, Attestation};
use crate::conditions::ConditionResult;
use crate::findings::{Attribution, DutyRef, FactsRef, Unassigned, UnassignedReason};
use crate::ownership::{self, FactKeys};
use crate::result::{CheckResult, CheckStatus};

/// The format id of the JSON report; bumped only on incompatible changes.
pub const FORMAT: &str = "onus.audit/v1";

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DutyStatus {
    /// Its linked checks judged items and none of its items fails.
    Pass,
    /// A failing item lands on it.
    Fail,
    /// An item that could not be evaluated lands on it.
    Error,
    /// Its checks found nothing to judge, and nobody attested it.
    NotApplicable,
    /// No check is linked to it; a valid attestation speaks to it.
    Attested,
    /// No check is linked to it; its last attestation has expired.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRef {
    pub id: String,
    pub version: String,
    pub title: Text,
    pub provider: String,
    pub service: String,
}

/// How a check gives evidence for a duty, as the report shows it (in [`LinkReport`] and
/// [`DutyEvidence`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkBasis {
    pub kind: LinkKind,
    /// The reasons it is linked for; empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Why, as the model says; absent for a suggested link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Text>,
    /// Suggested from topics, not reviewed: shown, never counted in a duty's status nor in
    /// an item's parties.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suggested: bool,
}

impl From<&Link<'_>> for LinkBasis {
    fn from(l: &Link<'_>) -> Self {
        LinkBasis {
            kind: l.kind,
            reasons: l.reasons.to_vec(),
            why: l.why.cloned(),
            suggested: l.suggested,
        }
    }
}

/// A link of a check to an activity, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    pub activity: String,
    /// The parties holding R or A in the activity (on this cluster: conditions applied).
    pub parties: Vec<String>,
    #[serde(flatten)]
    pub link: LinkBasis,
}

/// The model's word that a check (or some of its reasons) concerns no duty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoDutyReport {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    pub why: Text,
}

/// A check's result and the duties it speaks to in this model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    #[serde(flatten)]
    pub result: CheckResult,
    /// Parties whose duties this check gives evidence for (through reviewed links; through
    /// suggested ones when the model did not review the check).
    pub parties: Vec<String>,
    /// The activities it gives evidence for (same rule).
    pub activities: Vec<String>,
    /// Its links to the model's activities.
    #[serde(default)]
    pub links: Vec<LinkReport>,
    /// Where the model says it concerns no duty, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_duty: Vec<NoDutyReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttestationReport {
    pub date: String,
    pub by: String,
    pub evidence: attest::Evidence,
    pub attested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

/// One check linked to a duty, and what its items say of this duty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DutyEvidence {
    pub check: String,
    #[serde(flatten)]
    pub link: LinkBasis,
    /// For this duty: `fail` when a failing item lands on it, `error` when an unevaluable one
    /// does, `pass` when the check judged items and none lands on it, else `not-applicable`.
    pub status: CheckStatus,
    /// Failing items that land on this duty through this check.
    pub failing: usize,
    /// Items that could not be evaluated and land on it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A condition that decided the roles of an activity on this cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionApplied {
    pub when: String,
    pub why: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DutyReport {
    pub activity: String,
    pub text: Text,
    /// The party's letters in the activity (`RA`), conditions applied.
    pub letters: String,
    pub topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<String>,
    pub status: DutyStatus,
    /// Ids of the checks linked to it (reviewed links only).
    pub checks: Vec<String>,
    /// Every check linked to it (reviewed and suggested), with what it says of this duty.
    #[serde(default)]
    pub evidence: Vec<DutyEvidence>,
    /// When the party holds the duty because a condition holds on this cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionApplied>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyReport {
    pub id: String,
    pub kind: String,
    pub name: Text,
    pub summary: Counts,
    /// Failing items this party can fix (their `parties` name it).
    #[serde(default)]
    pub items: usize,
    /// Of those, the items that land on no duty of the model (on the party's own objects).
    #[serde(default)]
    pub items_without_duty: usize,
    pub sections: Vec<SectionReport>,
}

/// Something in the input that was not as it should be, with its place.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputProblem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The label and annotation keys recorded on failing items.
    #[serde(default)]
    pub facts: FactKeys,
    /// What the model's conditions gave on this cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionResult>,
}

/// Everything the join needs besides the model and the results: plain data, so that a report
/// read back from JSON can be joined again ([`Report::rejoin`]).
pub struct JoinInput<'a> {
    /// The files (or live sources) read.
    pub inputs: &'a [String],
    /// How many objects were read.
    pub objects: usize,
    /// Problems found in the input ([`input_problems`]).
    pub problems: &'a [InputProblem],
    pub attestations: &'a [Attestation],
    pub attestations_file: Option<&'a str>,
    pub now: DateTime<FixedOffset>,
    pub k8s_latest: &'a str,
    /// What the model's conditions gave ([`crate::conditions::results`]).
    pub conditions: &'a [ConditionResult],
    /// The label and annotation keys the run recorded (`RunOptions::facts`).
    pub facts: &'a FactKeys,
}

/// The malformed items an inventory met, as report problems.
pub fn input_problems(inv: &Inventory) -> Vec<InputProblem> {
    inv.problems()
        .iter()
        .map(|p| InputProblem {
            file: p.origin.file.to_string(),
            line: p.origin.line,
            message: p.message.clone(),
        })
        .collect()
}

/// Why a report cannot be joined again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejoinError {
    #[error("the report is `{0}`, not `{FORMAT}`")]
    Format(String),
    #[error("the report's `now` is `{0}`, not an RFC 3339 time")]
    Now(String),
}

impl Report {
    /// The report's results joined to `model` (another version of it, say) with these
    /// attestations: what `onus audit` would have printed with that model on the same cluster,
    /// as far as the report recorded it (facts, condition outcomes).
    pub fn rejoin(
        self,
        model: &Model,
        attestations: &[Attestation],
        attestations_file: Option<&str>,
    ) -> Result<Report, RejoinError> {
        if self.format != FORMAT {
            return Err(RejoinError::Format(self.format));
        }
        let now = DateTime::parse_from_rfc3339(&self.now)
            .map_err(|_| RejoinError::Now(self.now.clone()))?;
        let results: Vec<CheckResult> = self.checks.into_iter().map(|c| c.result).collect();
        Ok(join(
            model,
            results,
            &JoinInput {
                inputs: &self.inputs,
                objects: self.objects,
                problems: &self.problems,
                attestations,
                attestations_file,
                now,
                k8s_latest: &self.k8s_latest,
                conditions: &self.conditions,
                facts: &self.facts,
            },
        ))
    }
}

/// A link of a check to an activity, reviewed or suggested.
#[derive(Clone, Copy)]
struct Link<'m> {
    activity: usize,
    kind: LinkKind,
    reasons: &'m [String],
    why: Option<&'m Text>,
    suggested: bool,
}

/// How one check reaches the model.
struct Reach<'m> {
    links: Vec<Link<'m>>,
    no_duty: Vec<&'m NoDuty>,
    /// The model links it or says it concerns no duty.
    reviewed: bool,
}

/// The model on this cluster: roles with conditions applied, parties in order.
struct Ctx<'m> {
    model: &'m Model,
    duty_letters: Vec<char>,
    /// Per activity: the roles that hold and the condition that made them, if any.
    roles: Vec<(&'m Roles, Option<&'m Condition>)>,
    by_id: HashMap<&'m str, usize>,
}

impl<'m> Ctx<'m> {
    fn new(model: &'m Model, conditions: &[ConditionResult], problems: &mut Problems) -> Self {
        let duty_letters = model
            .roles
            .letters_of(&[Duty::Responsible, Duty::Accountable]);
        let mut roles: Vec<(&Roles, Option<&Condition>)> =
            model.activities.iter().map(|a| (&a.roles, None)).collect();
        let by_id: HashMap<&str, usize> = model
            .activities
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        for (i, c) in model.audit.conditions.iter().enumerate() {
            let Some(&ai) = by_id.get(c.activity.as_str()) else {
                continue;
            };
            if roles[ai].1.is_some() {
                continue; // an earlier condition of the activity holds: it wins
            }
            let place = format!("model {}, audit.conditions[{i}]", model.id);
            match conditions
                .iter()
                .find(|r| r.activity == c.activity && r.when == c.when)
            {
                Some(ConditionResult {
                    holds: Some(true), ..
                }) => roles[ai] = (&c.roles, Some(c)),
                Some(ConditionResult {
                    holds: Some(false), ..
                }) => {}
                Some(r) => problems.push(
                    &place,
                    format!(
                        "the condition on activity `{}` could not be evaluated ({}): its published roles hold",
                        c.activity,
                        r.error.as_deref().unwrap_or("no result")
                    ),
                ),
                None => problems.push(
                    &place,
                    format!(
                        "the condition on activity `{}` was not evaluated on this cluster: its published roles hold",
                        c.activity
                    ),
                ),
            }
        }
        Ctx {
            model,
            duty_letters,
            roles,
            by_id,
        }
    }

    /// The parties holding R or A in an activity on this cluster, in the model's party order.
    fn holders(&self, activity: usize) -> Vec<&'m str> {
        let (roles, _) = self.roles[activity];
        self.model
            .parties
            .iter()
            .filter(|p| {
                roles
                    .get(&p.id)
                    .is_some_and(|cell| cell.chars().any(|c| self.duty_letters.contains(&c)))
            })
            .map(|p| p.id.as_str())
            .collect()
    }

    fn reach(&self, r: &CheckResult) -> Reach<'m> {
        let m = self.model;
        let mut links: Vec<Link> = m
            .audit
            .evidence
            .iter()
            .filter(|l| l.check == r.id)
            .filter_map(|l| {
                Some(Link {
                    activity: *self.by_id.get(l.activity.as_str())?,
                    kind: l.kind,
                    reasons: &l.reasons,
                    why: Some(&l.why),
                    suggested: false,
                })
            })
            .collect();
        let no_duty: Vec<&NoDuty> = m.audit.no_duty.iter().filter(|n| n.check == r.id).collect();
        let reviewed = !links.is_empty() || !no_duty.is_empty();
        if !reviewed {
            // Suggested: the activities sharing a topic with the check (and, when both name
            // layers, a layer).
            let speaks = |a: &onus_model::Activity| {
                r.topics.iter().any(|t| a.topics.contains(t))
                    && (r.layers.is_empty()
                        || a.layer.as_ref().is_none_or(|l| r.layers.contains(l)))
            };
            links = m
                .activities
                .iter()
                .enumerate()
                .filter(|(_, a)| speaks(a))
                .map(|(i, _)| Link {
                    activity: i,
                    kind: LinkKind::Use,
                    reasons: &[],
                    why: None,
                    suggested: true,
                })
                .collect();
        }
        Reach {
            links,
            no_duty,
            reviewed,
        }
    }

    /// Whose an item is, and which duties it lands on.
    fn attribute(
        &self,
        reach: &Reach<'_>,
        reason: &str,
        facts: Option<FactsRef<'_>>,
        is_error: bool,
    ) -> Attribution {
        let owner = ownership::owner(self.model, facts);
        // A rule returning a list gives several reasons, joined by `; `. An evaluation error
        // has no reason of the check's: every link is concerned.
        let parts: Vec<&str> = reason.split("; ").collect();
        let matches = |filter: &[String]| {
            is_error
                || filter.is_empty()
                || parts
                    .iter()
                    .any(|p| filter.iter().any(|f| p.starts_with(f.as_str())))
        };
        let mut duties: Vec<DutyRef> = Vec::new();
        let mut linked: Vec<String> = Vec::new();
        for l in reach.links.iter().filter(|l| matches(l.reasons)) {
            let activity = &self.model.activities[l.activity].id;
            if !l.suggested && !linked.contains(activity) {
                linked.push(activity.clone());
            }
            for p in self.holders(l.activity) {
                let lands =
                    l.kind == LinkKind::Provide || owner.as_ref().is_none_or(|o| o.party == p);
                let d = DutyRef {
                    party: p.to_string(),
                    activity: activity.clone(),
                    suggested: l.suggested,
                };
                if lands && !duties.contains(&d) {
                    duties.push(d);
                }
            }
        }
        let reviewed_parties: Vec<String> = self
            .model
            .parties
            .iter()
            .filter(|p| duties.iter().any(|d| !d.suggested && d.party == p.id))
            .map(|p| p.id.clone())
            .collect();
        let unassigned = if !reviewed_parties.is_empty() {
            None
        } else if reach.no_duty.iter().any(|n| matches(&n.reasons)) {
            Some(Unassigned {
                reason: UnassignedReason::NoDuty,
                linked: Vec::new(),
            })
        } else if !reach.reviewed {
            Some(Unassigned {
                reason: UnassignedReason::NotReviewed,
                linked: Vec::new(),
            })
        } else if linked.is_empty() {
            Some(Unassigned {
                reason: UnassignedReason::NoLinkForReason,
                linked: Vec::new(),
            })
        } else {
            Some(Unassigned {
                reason: UnassignedReason::OwnerHoldsNoLinkedDuty,
                linked,
            })
        };
        let parties = if reviewed_parties.is_empty() {
            owner.iter().map(|o| o.party.clone()).collect()
        } else {
            reviewed_parties
        };
        Attribution {
            parties,
            owner: owner.as_ref().map(|o| o.party.clone()),
            owner_by: owner.and_then(|o| o.by),
            duties,
            unassigned,
        }
    }
}

/// Problems, each once (a report joined again keeps its own).
struct Problems(Vec<InputProblem>);

impl Problems {
    fn push(&mut self, file: &str, message: String) {
        self.add(InputProblem {
            file: file.to_string(),
            line: 0,
            message,
        });
    }

    fn add(&mut self, p: InputProblem) {
        if !self.0.contains(&p) {
            self.0.push(p);
        }
    }
}

/// Items landed on one duty through one check: (failing, erroring).
type Landed = HashMap<(String, String, usize), (usize, usize)>;

/// Builds the report: results attached to the model's duties, party by party, and each failing
/// item attributed.
pub fn join(model: &Model, mut results: Vec<CheckResult>, input: &JoinInput) -> Report {
    let mut problems = Problems(Vec::new());
    for p in input.problems {
        problems.add(p.clone());
    }
    for a in input.attestations {
        if model.activity(&a.activity).is_none() {
            problems.add(InputProblem {
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
    for key in input.facts.missing_for(model) {
        problems.push(
            &format!("model {}", model.id),
            format!("the model's managed scopes name {key}, which this run did not record: items are attributed as if their objects had none"),
        );
    }
    let ctx = Ctx::new(model, input.conditions, &mut problems);

    // Every item attributed; what landed where counted.
    let reaches: Vec<Reach> = results.iter().map(|r| ctx.reach(r)).collect();
    let mut landed: Landed = HashMap::new();
    // Per party: items it can fix, and of those the ones on no duty.
    let mut party_items: HashMap<String, (usize, usize)> = HashMap::new();
    for (ci, (r, reach)) in results.iter_mut().zip(&reaches).enumerate() {
        r.failures
            .attribute(|reason, facts| ctx.attribute(reach, reason, facts, false));
        r.errors
            .attribute(|reason, facts| ctx.attribute(reach, reason, facts, true));
        for (a, n) in r.failures.attributions() {
            for d in &a.duties {
                landed
                    .entry((d.party.clone(), d.activity.clone(), ci))
                    .or_default()
                    .0 += n;
            }
            for p in &a.parties {
                let e = party_items.entry(p.clone()).or_default();
                e.0 += n;
                if a.unassigned.is_some() {
                    e.1 += n;
                }
            }
        }
        for (a, n) in r.errors.attributions() {
            for d in &a.duties {
                landed
                    .entry((d.party.clone(), d.activity.clone(), ci))
                    .or_default()
                    .1 += n;
            }
        }
    }

    // Links by activity: (check index, link).
    let mut by_activity: HashMap<usize, Vec<(usize, Link)>> = HashMap::new();
    for (ci, reach) in reaches.iter().enumerate() {
        for l in &reach.links {
            by_activity.entry(l.activity).or_default().push((ci, *l));
        }
    }

    let mut parties = Vec::new();
    for party in &model.parties {
        let mut summary = Counts::default();
        let mut sections: Vec<SectionReport> = Vec::new();
        for (ai, act) in model.activities.iter().enumerate() {
            let (roles, condition) = ctx.roles[ai];
            let letters = roles.get(&party.id).map_or("", String::as_str);
            if !letters.chars().any(|c| ctx.duty_letters.contains(&c)) {
                continue;
            }
            let evidence: Vec<DutyEvidence> = by_activity
                .get(&ai)
                .into_iter()
                .flatten()
                .map(|(ci, l)| {
                    let r = &results[*ci];
                    let (failing, errors) = landed
                        .get(&(party.id.clone(), act.id.clone(), *ci))
                        .copied()
                        .unwrap_or_default();
                    let status = if failing > 0 {
                        CheckStatus::Fail
                    } else if errors > 0 {
                        CheckStatus::Error
                    } else if r.checked > 0 {
                        CheckStatus::Pass
                    } else {
                        CheckStatus::NotApplicable
                    };
                    DutyEvidence {
                        check: r.id.clone(),
                        link: l.into(),
                        status,
                        failing,
                        errors,
                    }
                })
                .collect();
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
            let reviewed: Vec<&DutyEvidence> =
                evidence.iter().filter(|e| !e.link.suggested).collect();
            let any = |s: CheckStatus| reviewed.iter().any(|e| e.status == s);
            let status = if reviewed.is_empty() {
                by_attestation
            } else if any(CheckStatus::Fail) {
                DutyStatus::Fail
            } else if any(CheckStatus::Error) {
                DutyStatus::Error
            } else if by_attestation == DutyStatus::Overdue {
                // Checks see the machine's part of a duty; an attestation vouched for the
                // rest. Once it has expired the duty is overdue, even when its checks pass.
                DutyStatus::Overdue
            } else if any(CheckStatus::Pass) {
                DutyStatus::Pass
            } else if attestation.is_some() {
                by_attestation
            } else {
                DutyStatus::NotApplicable
            };
            summary.add(status);
            let mut checks: Vec<String> = Vec::new();
            for e in &reviewed {
                if !checks.contains(&e.check) {
                    checks.push(e.check.clone());
                }
            }
            let duty = DutyReport {
                activity: act.id.clone(),
                text: act.text.clone(),
                letters: letters.to_string(),
                topics: act.topics.clone(),
                cadence: act.cadence.clone(),
                status,
                checks,
                evidence,
                condition: condition.map(|c| ConditionApplied {
                    when: c.when.clone(),
                    why: c.why.clone(),
                }),
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
            items: party_items.get(&party.id).map_or(0, |n| n.0),
            items_without_duty: party_items.get(&party.id).map_or(0, |n| n.1),
            sections,
        });
    }

    let checks = results
        .into_iter()
        .zip(&reaches)
        .map(|(r, reach)| {
            let links: Vec<LinkReport> = reach
                .links
                .iter()
                .map(|l| LinkReport {
                    activity: model.activities[l.activity].id.clone(),
                    parties: ctx
                        .holders(l.activity)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    link: l.into(),
                })
                .collect();
            let mut ps: Vec<String> = Vec::new();
            let mut acts: Vec<String> = Vec::new();
            for l in &links {
                if !acts.contains(&l.activity) {
                    acts.push(l.activity.clone());
                }
                for p in &l.parties {
                    if !ps.contains(p) {
                        ps.push(p.clone());
                    }
                }
            }
            ps.sort_by_key(|p| model.parties.iter().position(|x| &x.id == p));
            CheckReport {
                result: r,
                parties: ps,
                activities: acts,
                links,
                no_duty: reach
                    .no_duty
                    .iter()
                    .map(|n| NoDutyReport {
                        reasons: n.reasons.clone(),
                        why: n.why.clone(),
                    })
                    .collect(),
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
        inputs: input.inputs.to_vec(),
        objects: input.objects,
        checks,
        parties,
        problems: problems.0,
        facts: input.facts.clone(),
        conditions: input.conditions.to_vec(),
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
mod tests;
