//! The portal's compliance logic, all of it delegated to the CLI's libraries: models are
//! loaded and validated by `onus_model::load_str` with the built-in vocabulary, versions
//! compared by `onus_interchange::diff`, and statuses computed by `onus_audit::join::join`
//! from the latest audit's stored run (results, condition outcomes, facts) and the
//! attestations, exactly as `onus audit --attestations` computes them. The CLI and the server cannot disagree on a
//! status: they run the same function on the same data.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use onus_audit::attest::{self, Attestation as AuditAttestation, Evidence};
use onus_audit::conditions::ConditionResult;
use onus_audit::join::{self, DutyReport, DutyStatus, JoinInput, Report};
use onus_audit::ownership::FactKeys;
use onus_audit::CheckResult;
use onus_model::{Duty as RoleDuty, Model, Options, PartyKind, Vocabulary};
use onus_store::evidence::EvidenceSet;
use onus_store::models::{Duty, NoticeDiff, VersionBody};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::App;

/// An obligation's status, as the portal shows it. Derived from the CLI's duty status
/// (`duty_status`, which is kept beside it): pass → passing; fail and error → failing;
/// attested; overdue; needs-attestation and not-applicable → unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passing,
    Failing,
    Attested,
    Overdue,
    Unknown,
}

impl Status {
    pub fn of(s: DutyStatus) -> Status {
        match s {
            DutyStatus::Pass => Status::Passing,
            DutyStatus::Fail | DutyStatus::Error => Status::Failing,
            DutyStatus::Attested => Status::Attested,
            DutyStatus::Overdue => Status::Overdue,
            DutyStatus::NotApplicable | DutyStatus::NeedsAttestation => Status::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passing => "passing",
            Status::Failing => "failing",
            Status::Attested => "attested",
            Status::Overdue => "overdue",
            Status::Unknown => "unknown",
        }
    }

    pub const ALL: [Status; 5] = [
        Status::Failing,
        Status::Overdue,
        Status::Unknown,
        Status::Attested,
        Status::Passing,
    ];

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Loads and validates a model's text as `onus validate` does. Errors refuse it; the other
/// findings come back with it, located.
pub fn load(name: &str, text: &str) -> Result<(Model, serde_json::Value), ApiError> {
    let loaded = onus_model::load_str(name, text, Vocabulary::builtin(), &Options::default());
    let findings = serde_json::to_value(&loaded.diagnostics).unwrap_or_default();
    match loaded.model {
        Some(m) if !loaded.has_errors() => Ok((m, findings)),
        _ => Err(ApiError::invalid(
            "body",
            format!(
                "the model has {} error(s): nothing was published",
                loaded
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == onus_model::Severity::Error)
                    .count()
            ),
        )
        .details(findings)),
    }
}

/// The party of a kind (`customer`, `provider`) in a model, as `Model::resolve_party` finds it.
pub fn party_of(model: &Model, kind: PartyKind) -> Result<&onus_model::Party, String> {
    model
        .resolve_party(kind.as_str())
        .map_err(|e| format!("model `{}`: {e}", model.id))
}

/// The activities where the party of `kind` holds R or A: its obligations.
pub fn duties(model: &Model, kind: PartyKind) -> Result<Vec<Duty>, String> {
    let party = party_of(model, kind)?;
    let letters = model
        .roles
        .letters_of(&[RoleDuty::Responsible, RoleDuty::Accountable]);
    Ok(model
        .activities
        .iter()
        .filter(|a| {
            model
                .letters(a, &party.id)
                .chars()
                .any(|c| letters.contains(&c))
        })
        .map(|a| Duty {
            activity_id: a.id.clone(),
            party_id: party.id.clone(),
        })
        .collect())
}

/// [`duties`] on a cluster: the activities where the party of `kind` holds R or A once the
/// model's conditions are applied with the outcomes an audit recorded (`conditions`; a
/// condition with no outcome leaves the published roles), decided by `onus_audit::join` as
/// `onus audit` decides them.
pub fn duties_on(
    model: &Model,
    kind: PartyKind,
    conditions: &[ConditionResult],
) -> Result<Vec<Duty>, String> {
    if conditions.is_empty() || model.audit.conditions.is_empty() {
        return duties(model, kind);
    }
    let party = party_of(model, kind)?.id.clone();
    let facts = FactKeys::well_known().with_model(model);
    let report = join::join(
        model,
        Vec::new(),
        &JoinInput {
            inputs: &[],
            objects: 0,
            problems: &[],
            attestations: &[],
            attestations_file: None,
            now: crate::views::now(),
            k8s_latest: onus_audit::DEFAULT_K8S_LATEST,
            conditions,
            facts: &facts,
        },
    );
    Ok(report
        .parties
        .iter()
        .filter(|p| p.id == party)
        .flat_map(|p| p.sections.iter().flat_map(|s| s.duties.iter()))
        .map(|d| Duty {
            activity_id: d.activity.clone(),
            party_id: party.clone(),
        })
        .collect())
}

/// The notice for a customer on `old` when `new` is published: the diff, and whether R or A
/// moved onto the customer (a shift from the provider, a duty it gained, or a new activity
/// where it holds one).
pub fn notice(old: &Model, new: &Model) -> NoticeDiff {
    notice_in(old, new, &new.language)
}

/// [`notice`] with texts in `lang` (pages recompute it in the reader's language).
pub fn notice_in(old: &Model, new: &Model, lang: &str) -> NoticeDiff {
    let d = onus_interchange::diff::diff(old, new, lang);
    let customer = |id: &str| {
        new.party(id)
            .or_else(|| old.party(id))
            .is_some_and(|p| p.kind == PartyKind::Customer)
    };
    let gained_duty = d.shifts.iter().any(|s| {
        s.parties.iter().any(|p| {
            p.kind == PartyKind::Customer && (p.gained.contains('R') || p.gained.contains('A'))
        })
    });
    let new_duty = d.added.iter().any(|a| {
        a.roles
            .iter()
            .any(|(p, l)| customer(p) && (l.contains('R') || l.contains('A')))
    });
    NoticeDiff {
        diff: serde_json::to_value(&d).unwrap_or_default(),
        moves_duty: gained_duty || new_duty,
    }
}

impl App {
    /// A published version, parsed (cached: versions never change).
    pub fn model_of(&self, v: &VersionBody) -> Result<Arc<Model>, String> {
        if let Ok(cache) = self.models.read() {
            if let Some(m) = cache.get(&v.info.id) {
                return Ok(m.clone());
            }
        }
        let loaded = onus_model::load_str(
            &format!("{}.yaml", v.info.id),
            &v.body,
            Vocabulary::builtin(),
            &Options::default(),
        );
        let model = Arc::new(
            loaded
                .model
                .ok_or_else(|| format!("stored version {} no longer loads", v.info.id))?,
        );
        if let Ok(mut cache) = self.models.write() {
            cache.insert(v.info.id.clone(), model.clone());
        }
        Ok(model)
    }

    /// A version by id, parsed.
    pub async fn model_by_version(
        &self,
        p: &onus_store::Principal,
        version_id: &str,
    ) -> Result<Arc<Model>, ApiError> {
        if let Ok(cache) = self.models.read() {
            if let Some(m) = cache.get(version_id) {
                return Ok(m.clone());
            }
        }
        let v = self.store.version(p, version_id).await?;
        self.model_of(&v).map_err(ApiError::internal)
    }
}

/// Attestations as the audit library reads them.
pub fn attestations_of(set: &EvidenceSet) -> Vec<AuditAttestation> {
    set.attestations
        .iter()
        .map(|a| AuditAttestation {
            activity: a.activity_id.clone(),
            date: a.date.clone(),
            by: a.by.clone(),
            evidence: Evidence {
                reference: a.evidence_ref.clone(),
                sha256: a.evidence_sha256.clone(),
            },
            valid: a.valid.clone(),
            note: a.note.clone(),
            line: 0,
        })
        .collect()
}

/// What of an uploaded report the join needs again: its check results, what the model's
/// conditions gave on the cluster, and the label and annotation keys the run recorded. Stored
/// as JSON with the audit (the raw report is kept too, as a file).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StoredRun {
    pub results: Vec<CheckResult>,
    #[serde(default)]
    pub conditions: Vec<ConditionResult>,
    #[serde(default)]
    pub facts: FactKeys,
}

impl StoredRun {
    pub fn of(report: Report) -> StoredRun {
        StoredRun {
            results: report.checks.into_iter().map(|c| c.result).collect(),
            conditions: report.conditions,
            facts: report.facts,
        }
    }
}

/// The join of an organisation's evidence to a model, at `now`: the same report
/// `onus audit --attestations` prints, computed by the same function.
pub fn report(
    model: &Model,
    set: &EvidenceSet,
    now: DateTime<FixedOffset>,
) -> Result<Report, ApiError> {
    let run = match &set.latest_audit {
        Some(a) => Some(parse_run(a.results.as_deref().unwrap_or("{}"))?),
        None => None,
    };
    Ok(report_with(
        model,
        set,
        run.as_ref(),
        None,
        &attestations_of(set),
        now,
    ))
}

/// A stored run, parsed.
pub fn parse_run(text: &str) -> Result<StoredRun, ApiError> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

/// [`report`] over a run already parsed (`run`: the results of `set.latest_audit`), the
/// conditions of another run when given (`conditions`: a customer's cluster decides who holds
/// the provider's duties it sees), and attestations already converted.
pub fn report_with(
    model: &Model,
    set: &EvidenceSet,
    run: Option<&StoredRun>,
    conditions: Option<&[ConditionResult]>,
    atts: &[AuditAttestation],
    now: DateTime<FixedOffset>,
) -> Report {
    let no_facts;
    let (results, inputs, objects, problems, k8s, own_conditions, facts) =
        match (&set.latest_audit, run) {
            (Some(a), Some(run)) => (
                run.results.clone(),
                serde_json::from_value(a.inputs.clone()).unwrap_or_default(),
                usize::try_from(a.objects).unwrap_or(0),
                serde_json::from_value(a.problems.clone()).unwrap_or_default(),
                a.k8s_latest.clone(),
                run.conditions.as_slice(),
                &run.facts,
            ),
            _ => {
                no_facts = FactKeys::well_known().with_model(model);
                (
                    Vec::new(),
                    Vec::new(),
                    0,
                    Vec::new(),
                    onus_audit::DEFAULT_K8S_LATEST.to_string(),
                    &[][..],
                    &no_facts,
                )
            }
        };
    join::join(
        model,
        results,
        &JoinInput {
            inputs: &inputs,
            objects,
            problems: &problems,
            attestations: atts,
            attestations_file: None,
            now,
            k8s_latest: &k8s,
            conditions: conditions.unwrap_or(own_conditions),
            facts,
        },
    )
}

/// The next instant after `now` at which an attestation starts or stops holding: statuses
/// joined at `now` hold until then (`None`: until the evidence changes).
pub fn horizon(
    model: &Model,
    atts: &[AuditAttestation],
    now: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    atts.iter()
        .flat_map(|a| {
            let cadence = model
                .activity(&a.activity)
                .and_then(|act| act.cadence.as_deref());
            let due = attest::standing(a, cadence, now)
                .due
                .and_then(|d| DateTime::parse_from_rfc3339(&d).ok());
            [attest::parse_date(&a.date), due]
        })
        .flatten()
        .filter(|t| *t > now)
        .min()
}

/// One party's duties in a report, by activity id.
pub fn duties_by_activity(report: &Report, party_id: &str) -> HashMap<String, DutyReport> {
    report
        .parties
        .iter()
        .filter(|p| p.id == party_id)
        .flat_map(|p| p.sections.iter().flat_map(|s| s.duties.iter()))
        .map(|d| (d.activity.clone(), d.clone()))
        .collect()
}

/// Counts by portal status of one party's duties: what the compliance chart plots.
pub fn counts(report: &Report, party_id: &str) -> serde_json::Value {
    let mut c: HashMap<&'static str, usize> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for d in duties_by_activity(report, party_id).values() {
        *c.entry(Status::of(d.status).as_str()).or_default() += 1;
    }
    serde_json::to_value(c).unwrap_or_default()
}

/// When a duty is next due: the attestation's expiry, else (with a cadence) one period
/// after `since` (the subscription's start).
pub fn due(duty: &DutyReport, since: &str) -> Option<String> {
    if let Some(a) = &duty.attestation {
        return a.due.clone();
    }
    let cadence = onus_model::Cadence::parse(duty.cadence.as_deref()?).ok()?;
    let start = attest::parse_date(since)?;
    let secs = i64::try_from(cadence.approx_seconds()).ok()?;
    Some(
        start
            .checked_add_signed(chrono::Duration::try_seconds(secs)?)?
            .to_rfc3339(),
    )
}

/// A report uploaded as `onus audit -o json` wrote it, checked.
pub fn parse_report(bytes: &[u8]) -> Result<Report, ApiError> {
    // Read without tracking the path (the fast way, for the reports that are right), and
    // again with it only to say where a wrong one is wrong.
    let report: Report = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = e.path().to_string();
                ApiError::invalid(
                    "body",
                    format!(
                        "not an `{}` report: at `{path}`: {}",
                        join::FORMAT,
                        e.inner()
                    ),
                )
            })?
        }
    };
    if report.format != join::FORMAT {
        return Err(ApiError::invalid(
            "format",
            format!("format `{}`, expected `{}`", report.format, join::FORMAT),
        ));
    }
    // When the audit ran: `Report::rejoin` (the CLI's way back from a report) refuses a report
    // whose `now` is no RFC 3339 instant, so the portal does too, rather than store and show
    // it (found by posting the fuzz corpus's damaged reports, tests/fuzz_corpus.rs).
    if chrono::DateTime::parse_from_rfc3339(&report.now).is_err() {
        return Err(ApiError::invalid(
            "now",
            format!(
                "`now` is `{}`, not an RFC 3339 instant such as `2025-06-01T12:00:00Z`",
                onus_limits::clip(&report.now, onus_limits::Limits::DEFAULT.quote_chars)
            ),
        ));
    }
    Ok(report)
}

/// Attestations in the `onus.attestations/v1` format, checked against the model.
pub fn parse_attestations(
    name: &str,
    text: &str,
    model: &Model,
) -> Result<Vec<AuditAttestation>, ApiError> {
    let list = attest::parse(name, text).map_err(|e| {
        ApiError::invalid("body", e.to_string())
            .details(serde_json::json!({"file": e.file, "line": e.line}))
    })?;
    for a in &list {
        if model.activity(&a.activity).is_none() {
            return Err(ApiError::invalid(
                "activity",
                format!(
                    "{name}:{}: `{}` is not an activity of model `{}`",
                    a.line, a.activity, model.id
                ),
            )
            .details(serde_json::json!({"file": name, "line": a.line})));
        }
    }
    Ok(list)
}
