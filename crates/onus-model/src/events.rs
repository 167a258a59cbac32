//! Events routed by the model: the event vocabulary (`vocabulary/events.yaml`), the rule that
//! turns a binding's roles into who opens, acts on, approves, is consulted about and is told of
//! an event ([`route`]), and the validator's rules on a model's `events` bindings.
//!
//! The rule, in full (docs/portal.md, "Events", says the same for people):
//!
//! 1. The parties holding R in `opened_through` open the event; without `opened_through`, the
//!    parties holding R in `activity`. The I of `opened_through` are informed of the opening.
//! 2. The parties holding R in `activity` act on it: acknowledge, consult, resolve, reject.
//! 3. The parties holding A in `activity` approve its resolution; the event is not closed until
//!    every one of them has ([`Approval::Accountable`] for one, [`Approval::AllAccountable`] for
//!    several). With no A, the R approve their own work, explicitly ([`Approval::Responsible`]).
//! 4. The parties holding C in `activity` are consulted before a decision: resolving or
//!    rejecting waits until each has answered a consultation request.
//! 5. The parties holding I in `activity` are informed after each change of state, and so is
//!    the party that opened the event (it follows what it reported).
//! 6. A party with no letter in either activity, and that did not open it, does not see it.
//!
//! A binding whose activity has no R (nobody could act) or whose opening activity has no R
//! (nobody could open) is reported by the validator and refused by the portal: never routed
//! by a guess.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::text::Text;
use crate::types::{Duty, EventBinding, Model, PartyKind};
use crate::Cadence;

/// The event vocabulary as shipped, embedded into the binary.
pub const BUILTIN_SOURCE: &str = include_str!("../../../vocabulary/events.yaml");

/// What kind of workflow an event type follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// Severity and affected service; time to acknowledge and to resolve measured.
    Incident,
    /// A request, performed or rejected with a reason.
    Change,
    /// A date, each informed party's acknowledgement, a reminder before the date.
    Announcement,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Incident => "incident",
            EventKind::Change => "change",
            EventKind::Announcement => "announcement",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        match s {
            "incident" => Some(EventKind::Incident),
            "change" => Some(EventKind::Change),
            "announcement" => Some(EventKind::Announcement),
            _ => None,
        }
    }
}

/// A type of event of the vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventType {
    pub id: String,
    pub kind: EventKind,
    pub title: Text,
    pub description: Text,
    /// Announcements: the default reminder before the date (ISO 8601 duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before: Option<String>,
}

/// The event vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTypes {
    pub format: String,
    pub types: Vec<EventType>,
}

/// Why an event vocabulary could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventTypesError {
    #[error("event vocabulary: {0}")]
    Yaml(#[from] onus_yaml::YamlError),
    #[error("event vocabulary: at {path}: {message}")]
    Schema { path: String, message: String },
}

impl EventTypes {
    pub fn from_yaml(text: &str) -> Result<EventTypes, EventTypesError> {
        let doc = onus_yaml::parse_one(text, &onus_yaml::Limits::default())?;
        serde_path_to_error::deserialize(&doc.value).map_err(|e| EventTypesError::Schema {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// The vocabulary shipped with onus.
    pub fn builtin() -> &'static EventTypes {
        static V: OnceLock<EventTypes> = OnceLock::new();
        // The embedded file is checked by a test; failing here is a build defect, not input.
        V.get_or_init(|| {
            EventTypes::from_yaml(BUILTIN_SOURCE)
                .expect("the built-in event vocabulary is valid (see its test)")
        })
    }

    pub fn get(&self, id: &str) -> Option<&EventType> {
        self.types.iter().find(|t| t.id == id)
    }
}

/// Who approves a resolution, and by which part of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Approval {
    /// The one party holding A.
    Accountable,
    /// Several parties hold A: every one of them must approve.
    AllAccountable,
    /// Nobody holds A: the parties holding R approve their own work, explicitly.
    Responsible,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Accountable => "accountable",
            Approval::AllAccountable => "all-accountable",
            Approval::Responsible => "responsible",
        }
    }
}

/// What one party of the model does with events of a bound type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyRoute {
    pub party: String,
    pub kind: PartyKind,
    /// Its letters in the bound activity (`RA`, `CI`, empty).
    pub letters: String,
    /// Its letters in the opening activity, when the binding has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_letters: Option<String>,
    /// May open events of this type.
    pub opens: bool,
    /// Acts on them (R of the activity).
    pub acts: bool,
    /// Approves their resolution.
    pub approves: bool,
    /// Is consulted before a decision (C of the activity).
    pub consulted: bool,
    /// Is informed after each change of state (I of the activity).
    pub informed: bool,
    /// Is informed of the opening (I of the opening activity).
    pub informed_of_opening: bool,
}

impl PartyRoute {
    /// Whether the party takes part at all (sees events of this type).
    pub fn participates(&self) -> bool {
        !self.letters.is_empty() || self.opening_letters.as_ref().is_some_and(|l| !l.is_empty())
    }
}

/// How events of one bound type are routed, from the roles of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub event_type: String,
    pub kind: EventKind,
    pub activity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_through: Option<String>,
    pub approval: Approval,
    /// Every party of the model, in the model's order.
    pub parties: Vec<PartyRoute>,
    /// Announcements: the reminder before the date (ISO 8601 duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before: Option<String>,
}

impl Routing {
    pub fn party(&self, id: &str) -> Option<&PartyRoute> {
        self.parties.iter().find(|p| p.party == id)
    }

    /// The parties that may open events of this type.
    pub fn openers(&self) -> impl Iterator<Item = &PartyRoute> {
        self.parties.iter().filter(|p| p.opens)
    }
}

/// Why a binding cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("`{0}` is not an event type of onus's event vocabulary")]
    UnknownType(String),
    #[error("the model binds no event of type `{0}`")]
    Unbound(String),
    #[error(
        "the binding of `{event_type}` names activity `{activity}`, which the model does not have"
    )]
    UnknownActivity {
        event_type: String,
        activity: String,
    },
    #[error("nobody holds R in activity `{activity}`, so nobody could {what} events of type `{event_type}`")]
    NoResponsible {
        event_type: String,
        activity: String,
        what: &'static str,
    },
}

/// The routing of events of type `event_type` under `model`.
pub fn route_type(model: &Model, event_type: &str) -> Result<Routing, RouteError> {
    let b = model
        .events
        .iter()
        .find(|b| b.event_type == event_type)
        .ok_or_else(|| RouteError::Unbound(event_type.to_string()))?;
    route(model, b)
}

/// The routing of a binding: the rule of this module's documentation, applied to the roles.
pub fn route(model: &Model, b: &EventBinding) -> Result<Routing, RouteError> {
    let ty = EventTypes::builtin()
        .get(&b.event_type)
        .ok_or_else(|| RouteError::UnknownType(b.event_type.clone()))?;
    let activity = model
        .activity(&b.activity)
        .ok_or_else(|| RouteError::UnknownActivity {
            event_type: b.event_type.clone(),
            activity: b.activity.clone(),
        })?;
    let opening = match &b.opened_through {
        None => None,
        Some(id) => Some(
            model
                .activity(id)
                .ok_or_else(|| RouteError::UnknownActivity {
                    event_type: b.event_type.clone(),
                    activity: id.clone(),
                })?,
        ),
    };
    let holds = |a: &crate::Activity, party: &str, duty: Duty| model.holds(a, party, duty);
    let accountable: Vec<&str> = model.holders(activity, Duty::Accountable).collect();
    let approval = match accountable.len() {
        0 => Approval::Responsible,
        1 => Approval::Accountable,
        _ => Approval::AllAccountable,
    };
    let mut parties = Vec::new();
    for p in &model.parties {
        let acts = holds(activity, &p.id, Duty::Responsible);
        let opens = match opening {
            Some(o) => holds(o, &p.id, Duty::Responsible),
            None => acts,
        };
        parties.push(PartyRoute {
            party: p.id.clone(),
            kind: p.kind,
            letters: model.letters(activity, &p.id).to_string(),
            opening_letters: opening.map(|o| model.letters(o, &p.id).to_string()),
            opens,
            acts,
            approves: match approval {
                Approval::Responsible => acts,
                _ => holds(activity, &p.id, Duty::Accountable),
            },
            consulted: holds(activity, &p.id, Duty::Consulted),
            informed: holds(activity, &p.id, Duty::Informed),
            informed_of_opening: opening.is_some_and(|o| holds(o, &p.id, Duty::Informed)),
        });
    }
    if !parties.iter().any(|p| p.acts) {
        return Err(RouteError::NoResponsible {
            event_type: b.event_type.clone(),
            activity: b.activity.clone(),
            what: "act on",
        });
    }
    if !parties.iter().any(|p| p.opens) {
        return Err(RouteError::NoResponsible {
            event_type: b.event_type.clone(),
            activity: b.opened_through.clone().unwrap_or_default(),
            what: "open",
        });
    }
    Ok(Routing {
        event_type: b.event_type.clone(),
        kind: ty.kind,
        activity: b.activity.clone(),
        opened_through: b.opened_through.clone(),
        approval,
        parties,
        remind_before: if ty.kind == EventKind::Announcement {
            b.remind_before.clone().or_else(|| ty.remind_before.clone())
        } else {
            None
        },
    })
}

/// The validator's rules on `events` bindings.
pub(crate) fn check(m: &Model, langs: &[&str], out: &mut Vec<Diagnostic>) {
    let vocab = EventTypes::builtin();
    let mut seen: Vec<&str> = Vec::new();
    for (i, b) in m.events.iter().enumerate() {
        let base = format!("/events/{i}");
        crate::validate::text_langs(&b.why, &format!("{base}/why"), langs, out);
        let ty = vocab.get(&b.event_type);
        if ty.is_none() {
            let near =
                crate::validate::nearest(&b.event_type, vocab.types.iter().map(|t| t.id.as_str()));
            let list = vocab
                .types
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                Diagnostic::new(
                    "unknown-event-type",
                    format!(
                        "`{}` is not an event type of onus's event vocabulary",
                        b.event_type
                    ),
                )
                .at(format!("{base}/type"))
                .hint(match near {
                    Some(n) => format!("did you mean `{n}`? event types: {list}"),
                    None => format!("event types: {list}"),
                }),
            );
        }
        if seen.contains(&b.event_type.as_str()) {
            out.push(
                Diagnostic::new(
                    "duplicate-id",
                    format!("event type `{}` is bound twice", b.event_type),
                )
                .at(format!("{base}/type"))
                .hint("bind each event type to one activity"),
            );
        }
        seen.push(&b.event_type);
        let mut activity_of = |id: &str, field: &str| match m.activity(id) {
            Some(a) => Some(a),
            None => {
                out.push(
                    Diagnostic::new(
                        "unknown-activity",
                        format!(
                            "the binding of event type `{}` names activity `{id}`, which the model does not have",
                            b.event_type
                        ),
                    )
                    .at(format!("{base}/{field}")),
                );
                None
            }
        };
        let act = activity_of(&b.activity, "activity");
        let opening = b
            .opened_through
            .as_deref()
            .and_then(|o| activity_of(o, "opened_through"));
        for (a, field, what) in [
            (act, "activity", "act on"),
            (opening, "opened_through", "open"),
        ] {
            if let Some(a) = a {
                if m.holders(a, Duty::Responsible).next().is_none() {
                    out.push(
                        Diagnostic::new(
                            "event-without-responsible",
                            format!(
                                "nobody holds R in activity `{}`, so nobody could {what} events of type `{}`",
                                a.id, b.event_type
                            ),
                        )
                        .at(format!("{base}/{field}"))
                        .hint("bind the event type to a row where a party holds R; the portal refuses to open events of this type"),
                    );
                }
            }
        }
        if let Some(r) = &b.remind_before {
            if ty.is_some_and(|t| t.kind != EventKind::Announcement) {
                out.push(
                    Diagnostic::new(
                        "schema",
                        format!(
                            "`remind_before` is for announcements; `{}` is not one",
                            b.event_type
                        ),
                    )
                    .at(format!("{base}/remind_before")),
                );
            }
            if let Err(e) = Cadence::parse(r) {
                out.push(
                    Diagnostic::new("invalid-cadence", e.to_string())
                        .at(format!("{base}/remind_before"))
                        .hint("write P7D, P2D or PT12H"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load_str, Options, Vocabulary, BUILTIN};

    fn model(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    #[test]
    fn builtin_vocabulary_is_well_formed() {
        let v = EventTypes::from_yaml(BUILTIN_SOURCE).unwrap();
        assert_eq!(v.format, "onus.events/v1");
        let mut ids: Vec<&str> = v.types.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), v.types.len(), "duplicate ids");
        for t in &v.types {
            for l in ["en", "fr"] {
                assert!(t.title.get(l).is_some_and(|s| !s.is_empty()), "{}", t.id);
                assert!(
                    t.description.get(l).is_some_and(|s| !s.is_empty()),
                    "{}",
                    t.id
                );
            }
            assert_eq!(
                t.remind_before.is_some(),
                t.kind == EventKind::Announcement,
                "{}",
                t.id
            );
            if let Some(r) = &t.remind_before {
                Cadence::parse(r).unwrap();
            }
        }
    }

    #[test]
    fn ovhcloud_rows_route_as_published() {
        let m = model("ovhcloud-mks");
        // 3.2.1-r1 (notify: customer RA, OVHcloud I) opens, 3.2.1-r3 (intervene: OVHcloud RA).
        let r = route_type(&m, "incident").unwrap();
        let (c, o) = (r.party("customer").unwrap(), r.party("ovhcloud").unwrap());
        assert!(c.opens && !c.acts && !c.approves && !c.informed);
        assert!(o.informed_of_opening && o.acts && o.approves && !o.opens);
        assert_eq!(r.approval, Approval::Accountable);
        // 3.2.1-r4: customer RA, OVHcloud CI.
        let r = route_type(&m, "misconfiguration-incident").unwrap();
        let (c, o) = (r.party("customer").unwrap(), r.party("ovhcloud").unwrap());
        assert!(c.opens && c.acts && c.approves);
        assert!(o.consulted && o.informed && !o.acts && !o.approves);
        // 3.2.1-r2: OVHcloud RA publishes, the customer is informed.
        let r = route_type(&m, "provider-incident").unwrap();
        assert!(r.party("ovhcloud").unwrap().opens);
        assert!(r.party("customer").unwrap().informed);
        // 3.2.2-r3 (request: customer RA, OVHcloud I), 3.2.2-r4 (perform: customer I, OVHcloud RA).
        let r = route_type(&m, "change-request").unwrap();
        let (c, o) = (r.party("customer").unwrap(), r.party("ovhcloud").unwrap());
        assert!(c.opens && c.informed && !c.acts);
        assert!(o.acts && o.approves && o.informed_of_opening);
        // 3.1.6-r4 and r5: announcements with their reminder.
        for t in ["forced-upgrade", "patch"] {
            let r = route_type(&m, t).unwrap();
            assert_eq!(r.kind, EventKind::Announcement);
            assert_eq!(r.remind_before.as_deref(), Some("P7D"));
            assert!(r.party("customer").unwrap().informed);
        }
    }

    #[test]
    fn no_a_and_several_a_have_their_rule() {
        let mut m = model("ovhcloud-mks");
        let set = |m: &mut Model, roles: &[(&str, &str)]| {
            let a = m
                .activities
                .iter_mut()
                .find(|a| a.id == "3.2.1-r4")
                .unwrap();
            for (p, l) in roles {
                a.roles.insert(p.to_string(), l.to_string());
            }
        };
        set(&mut m, &[("customer", "R"), ("ovhcloud", "CI")]);
        let r = route_type(&m, "misconfiguration-incident").unwrap();
        assert_eq!(r.approval, Approval::Responsible);
        assert!(r.party("customer").unwrap().approves);
        assert!(!r.party("ovhcloud").unwrap().approves);
        set(&mut m, &[("customer", "RA"), ("ovhcloud", "A")]);
        let r = route_type(&m, "misconfiguration-incident").unwrap();
        assert_eq!(r.approval, Approval::AllAccountable);
        assert!(r.parties.iter().all(|p| p.approves));
        set(&mut m, &[("customer", "A"), ("ovhcloud", "I")]);
        assert!(matches!(
            route_type(&m, "misconfiguration-incident"),
            Err(RouteError::NoResponsible { .. })
        ));
    }

    #[test]
    fn bad_bindings_are_located() {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == "ovhcloud-mks").unwrap();
        let text = text
            .replacen("type: forced-upgrade", "type: forced-upgrades", 1)
            .replacen("activity: \"3.1.6-r5\"", "activity: \"3.1.6-r55\"", 1)
            .replacen("activity: \"3.2.1-r2\"", "activity: \"1.1-r1\"", 1);
        let l = load_str("m.yaml", &text, Vocabulary::builtin(), &Options::default());
        let find = |rule: &str| {
            l.diagnostics
                .iter()
                .find(|d| d.rule == rule)
                .unwrap_or_else(|| panic!("no {rule}: {:?}", l.diagnostics))
        };
        let d = find("unknown-event-type");
        assert!(d.hint.as_deref().unwrap().contains("forced-upgrade"));
        assert!(d.span.is_some(), "located");
        assert!(find("unknown-activity").message.contains("3.1.6-r55"));
        assert!(find("event-without-responsible").message.contains("1.1-r1"));
        assert!(l.model.is_some(), "warnings: the model stays usable");
    }
}
