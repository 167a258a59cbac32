//! The types of a shared-responsibility model, as written in a model file.
//!
//! These types are the file format: the JSON Schema in `schema/model.schema.json` is generated
//! from them, and `docs/model-format.md` documents each field.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::text::Text;

/// The value of the `format` field that names this version of the model format.
pub const FORMAT: &str = "onus.model/v1";

/// A shared-responsibility model: who does what between the parties of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Format of this file; must be `onus.model/v1`.
    pub format: String,
    /// Stable identifier of the model, kebab-case (`ovhcloud-mks`).
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub id: String,
    /// Version of the model: the publisher's version or date of the document it encodes.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub version: String,
    /// Title, per language.
    pub title: Text,
    /// A short description, per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// The organisation that publishes the service (`OVHcloud`).
    pub provider: String,
    /// The service the model governs (`Managed Kubernetes`).
    pub service: String,
    /// Publication or last-update date of the source document (ISO 8601, `YYYY-MM-DD`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub published: Option<String>,
    /// Where the model comes from.
    pub source: Source,
    /// Language of the source document (BCP 47 tag).
    pub language: String,
    /// Every language the model's texts are given in, source language first.
    pub languages: Vec<String>,
    /// Who translated the texts that are not in the source language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<Translation>,
    /// The parties that share the responsibilities.
    pub parties: Vec<Party>,
    /// The role scheme, as published.
    pub roles: RoleScheme,
    /// Numbered, nested sections (phases, layers or plain groups). A section names its parent.
    pub sections: Vec<Section>,
    /// The rows of the matrix: who does what.
    pub activities: Vec<Activity>,
    /// Statements that are not rows: commitments, quantified commitments, liability clauses,
    /// "not applicable" statements, scope and descriptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,
    /// How `onus audit` reads the model: which checks give evidence for which duties, what
    /// the provider runs inside the cluster, and conditional roles. onus's reading, not the
    /// publisher's text.
    #[serde(default, skip_serializing_if = "Audit::is_empty")]
    pub audit: Audit,
    /// What happens when a subscription ends: the activities that become the end-of-service
    /// checklist, each with its deadline relative to the end date (the portal, issue 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_service: Option<EndOfService>,
    /// Types of events (incidents, change requests, announcements) bound to the activity whose
    /// roles route them in the portal: who opens, acts, approves, is consulted and is informed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventBinding>,
    /// Model-level settings of `onus validate`.
    #[serde(default, skip_serializing_if = "Lint::is_empty")]
    pub lint: Lint,
}

/// The end of the service: when a customer cancels or the provider terminates a subscription,
/// these activities become a checklist, each line with the party that does it (the one
/// holding R, else A) and its deadline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndOfService {
    /// The checklist's lines, in order.
    pub steps: Vec<EndStep>,
    /// Where the deadlines come from: the publisher's terms, or the model's authors' reading
    /// when the document states none (say so), per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Text>,
}

/// A line of the end-of-service checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndStep {
    /// The activity to carry out.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub activity: String,
    /// When it is due, from the service's end date: an ISO 8601 duration after it (`P30D`),
    /// before it with a minus sign (`-P7D`), `P0D` on the end date itself.
    pub due: String,
}

impl EndStep {
    /// `due` read: whether the deadline comes before the end date, and how far from it.
    pub fn offset(&self) -> Result<(bool, crate::Cadence), crate::cadence::CadenceError> {
        match self.due.strip_prefix('-') {
            Some(rest) => Ok((true, crate::Cadence::parse(rest)?)),
            None => Ok((false, crate::Cadence::parse(&self.due)?)),
        }
    }
}

/// The document a model encodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Title of the source document, as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Public address of the document: an absolute `http`, `https` or `mailto` URL (rule
    /// `unsafe-url`; no other scheme is ever written as a link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Repository and path of the document, when it is published as source (`ovh/docs:pages/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Anything worth knowing about the source (lost parts, known errors), per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Text>,
    /// The licence the source document is published under, as an SPDX expression
    /// (`CC-BY-NC-SA-4.0`); `LicenseRef-...` for a document without a public licence, with
    /// the reason in `notes` (rule `invalid-license`). The model, being a derivative of the
    /// document, carries it into every export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The attribution the licence asks for, as it should be reproduced with the model and
    /// its exports (`© OVH SAS, ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

/// Who translated a language of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// The language translated into.
    pub language: String,
    /// Who translated: the publisher itself, or someone else (`onus`).
    pub by: String,
    /// Whether the publisher published this translation itself.
    #[serde(default)]
    pub official: bool,
    /// A note shown with the translation, per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// What kind of party this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartyKind {
    /// Sells and runs the service.
    Provider,
    /// Uses the service.
    Customer,
    /// Anyone else (hosting provider, reseller, integrator).
    ThirdParty,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Provider => "provider",
            PartyKind::Customer => "customer",
            PartyKind::ThirdParty => "third-party",
        }
    }
}

/// A party that holds responsibilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Identifier used in `roles` and `party` fields (`customer`, `ovhcloud`).
    pub id: String,
    pub kind: PartyKind,
    /// Name per language, as the document calls it (`Client`, `Customer`).
    pub name: Text,
}

/// The role scheme a model uses (RACI, or a single-owner scheme encoded in RACI letters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleScheme {
    /// Identifier of the scheme (`raci`).
    pub id: String,
    /// The letters and their definitions, in canonical order (R, A, C, I).
    pub letters: Vec<RoleLetter>,
    /// How the publisher's roles are encoded here, when it is not a plain RACI matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// One letter of a role scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleLetter {
    /// The letter as it appears in cells (`R`).
    pub letter: char,
    /// What the letter means to onus's rules.
    pub duty: Duty,
    /// Short name per language (`Responsible`).
    pub name: Text,
    /// Definition per language, as published when the document gives one.
    pub definition: Text,
}

/// What a role letter obliges its holder to, for onus's rules and event routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Duty {
    /// Carries out the activity (R).
    Responsible,
    /// Answers for it and approves it; exactly one per activity (A).
    Accountable,
    /// Is consulted before or during it (C).
    Consulted,
    /// Is informed of its results (I).
    Informed,
}

/// What a section stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    /// A phase of the service's life (before subscription, operations, end of service).
    Phase,
    /// A layer of the stack (applications, data, storage, network).
    Layer,
    /// Any other grouping.
    #[default]
    Group,
}

/// A numbered section of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Identifier, unique in the model; for numbered documents, the number (`3.1.2`).
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub id: String,
    /// The number as published, if the document numbers its sections.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub number: Option<String>,
    /// The enclosing section's id; absent for a top-level section.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub parent: Option<String>,
    #[serde(default)]
    pub kind: SectionKind,
    /// Title per language, as published.
    pub title: Text,
    /// The stack layer the section is about, for layer sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// The roles of each party in an activity: party id to letters (`RA`). An empty string is an
/// empty cell, as published.
pub type Roles = IndexMap<String, String>;

/// A row of the matrix: something to be done, and who does what about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Stable identifier, unique in the model, kept across versions and languages.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub id: String,
    /// The section it belongs to.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub section: String,
    /// The sentence that introduces the list the item belongs to, when the document is a list
    /// of items under a lead-in ("Byzaneo est responsable de :"), per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Text>,
    /// The text per language, exactly as published.
    pub text: Text,
    /// Roles of each party: party id to letters, written in any order, stored in the scheme's
    /// order (R, A, C, I).
    pub roles: Roles,
    /// Topics of the vocabulary this activity is about.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Topics an importer suggested from the text, not yet confirmed by a person.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggested_topics: Vec<String>,
    /// The stack layer it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// How often the duty recurs, as an ISO 8601 duration (`P1Y`, `P1M`, `P1D`, `PT24H`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<String>,
    /// Where it stands in the source document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Footnotes attached to the activity's cells, as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub footnotes: Vec<Footnote>,
    /// Notes by the model's authors (not from the source), per language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Text>,
    /// Controls of a published catalog that the source itself ties this row to (a CAIQ
    /// question's CCM control, a FedRAMP CRM row's SP 800-53 statement).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlRef>,
}

/// A control of a published catalog, as a source document names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlRef {
    /// The catalog: `ccm-v4` (CSA Cloud Controls Matrix v4) or `sp800-53` (NIST SP 800-53,
    /// as FedRAMP uses it).
    pub catalog: String,
    /// The control's id in that catalog: as published for CCM (`A&A-01`), in OSCAL's form for
    /// SP 800-53 (`ac-2`, `ac-2.1`, a statement `ac-2_smt.a`).
    pub id: String,
}

/// A place in the source document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// Section number or heading under which the item is published.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub section: String,
    /// 1-based position of the row or bullet within its table or list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// Which list within the section, when a section has several (`byzaneo`, `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
}

/// A footnote attached to an activity's role cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Footnote {
    /// The marker as published (`*`, `1`).
    pub marker: String,
    /// The party whose cell carries the marker, if it is on a cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The footnote's text, per language.
    pub text: Text,
}

/// What a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StatementKind {
    /// What the service is; no duty.
    Description,
    /// How responsibility is split overall.
    Scope,
    /// A promise by a party ("never to access your data").
    Commitment,
    /// A promise with a number (bandwidth >= 2 Gbit/s).
    QuantifiedCommitment,
    /// A clause on who is liable for what.
    Liability,
    /// A statement that a layer or duty does not exist for this service.
    NotApplicable,
    /// A summary of a party's duties.
    Summary,
}

impl StatementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Description => "description",
            StatementKind::Scope => "scope",
            StatementKind::Commitment => "commitment",
            StatementKind::QuantifiedCommitment => "quantified-commitment",
            StatementKind::Liability => "liability",
            StatementKind::NotApplicable => "not-applicable",
            StatementKind::Summary => "summary",
        }
    }

    /// Whether the statement binds its party (it appears among that party's obligations).
    pub fn binds(self) -> bool {
        matches!(
            self,
            StatementKind::Commitment
                | StatementKind::QuantifiedCommitment
                | StatementKind::Liability
        )
    }
}

/// A statement of the document that is not a row of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Stable identifier, unique among the model's activities and statements.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub id: String,
    pub kind: StatementKind,
    /// The party it binds or concerns; absent for descriptions of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The section it stands in, if any.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub section: Option<String>,
    /// The sentence that introduces it, when it is an item of a list, per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Text>,
    /// The text per language, exactly as published.
    pub text: Text,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// The stack layer it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// For quantified commitments: the number promised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Text>,
}

/// A measurable promise: `metric` `comparison` `value` `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// What is measured (`private-network-bandwidth`).
    pub metric: String,
    /// How the measure compares to the value.
    pub comparison: Comparison,
    pub value: f64,
    /// Unit of the value (`Gbit/s`).
    pub unit: String,
}

/// How a measure compares to a promised value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    AtLeast,
    AtMost,
    Exactly,
}

/// How `onus audit` reads a model (docs/audit.md), and which customer duty relies on which
/// provider capability (the OSCAL export's `provided-uuid`, docs/oscal.md). The model crate
/// keeps this as plain data: what a check, a namespace or a condition means is the audit's
/// business.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// Links from checks of onus's audit catalog to the duties they give evidence for, each
    /// reviewed by a person, with why. A model with none gets links suggested from topics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceLink>,
    /// Checks reviewed and found to concern no duty of the model, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_duty: Vec<NoDuty>,
    /// What parties other than the customer run inside the cluster: the failing items of
    /// objects in these scopes are theirs. Tried in order; the first that matches wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed: Vec<ManagedScope>,
    /// Roles of an activity that hold instead of the published ones when a condition over
    /// the cluster's state holds. For each activity, the first that holds wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Which customer duty relies on which capability the provider side provides, each
    /// reviewed by a person, with why: where the evidence links cannot say it (docs/oscal.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relies_on: Vec<Reliance>,
}

impl Audit {
    pub fn is_empty(&self) -> bool {
        self.evidence.is_empty()
            && self.no_duty.is_empty()
            && self.managed.is_empty()
            && self.conditions.is_empty()
            && self.relies_on.is_empty()
    }
}

/// A customer duty that relies on a capability the provider side provides: the customer's
/// share of the work with respect to that capability (OSCAL's `responsibility` whose
/// `provided-uuid` names the `provided` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reliance {
    /// The customer's duty: an activity (or binding statement) where a customer holds R or A.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub activity: String,
    /// The provider side's duty it relies on: an activity (or binding statement) where a
    /// provider or third party holds R or A. (Not `on`, which YAML 1.1 tools read as `true`.)
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub capability: String,
    /// Why the one relies on the other, one short line per language.
    pub why: Text,
}

/// A check that gives evidence for a duty: which check, which of its reasons, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceLink {
    /// The activity whose duties the check gives evidence for.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub activity: String,
    /// The check's id in onus's audit catalog (`tls.ingress-cert`).
    pub check: String,
    /// Only the failing items with a reason that starts with one of these (`expired`); empty:
    /// every reason of the check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Whether the duty is to provide what the check sees, or to use or configure it.
    pub kind: LinkKind,
    /// Why the check is evidence for this duty, one short line per language.
    pub why: Text,
}

/// What a duty linked to a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// To provide a capability, or keep it working, for the whole cluster (a snapshot system,
    /// certificate renewal): a failing item lands on the duty whoever owns its object.
    Provide,
    /// To use or configure something on one's own objects (back up one's volumes, pin one's
    /// images): a failing item lands on the duty only when its holder owns the item's object.
    Use,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Provide => "provide",
            LinkKind::Use => "use",
        }
    }
}

/// A check (or some of its reasons) that concerns no duty of the model, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoDuty {
    /// The check's id in onus's audit catalog.
    pub check: String,
    /// Only these reasons of the check (prefixes); empty: all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Why no duty of the model concerns it, per language.
    pub why: Text,
}

/// Objects inside the cluster that a party runs (a provider's namespaces and add-ons). An
/// object is in the scope when any one of the criteria matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedScope {
    /// The party that runs these objects.
    pub party: String,
    /// Namespaces whose objects it runs (`kube-system`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Kinds whose objects it runs, wherever they are (`Node`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Labels that mark its objects: key to the values that do (empty: any value).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, Vec<String>>,
    /// Annotations that mark its objects: key to the values that do (empty: any value).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, Vec<String>>,
    /// Why these objects are the party's (what the document says it runs), per language.
    pub why: Text,
}

/// Roles of an activity that hold instead of the published ones when a condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The activity whose roles change.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub activity: String,
    /// CEL over the cluster's state (onus audit's helpers: `objects(kind)`, `objectsIn`,
    /// `lookup`...): true when these roles hold.
    pub when: String,
    /// The roles that hold then: party id to letters, as an activity's `roles`.
    pub roles: Roles,
    /// What the document says, or why these roles, per language.
    pub why: Text,
}

/// A type of event bound to an activity of the model: the activity's roles route every event
/// of that type (docs/portal.md, "Events": R acts, A approves, C is consulted, I is informed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBinding {
    /// The event type, from onus's event vocabulary (`vocabulary/events.yaml`: `incident`,
    /// `provider-incident`, `change-request`, `forced-upgrade`...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The activity whose roles route the event: its R acts on it (acknowledges, resolves,
    /// rejects), its A approve the resolution, its C are consulted before a decision, its I are
    /// informed after each change.
    #[serde(deserialize_with = "de::string")]
    #[schemars(with = "de::Lenient")]
    pub activity: String,
    /// The activity through which the event is opened, when another row says who reports or
    /// requests it (`3.2.2-r3`, "request the modification"): its R open the event and its I are
    /// informed of the opening. Absent: the R of `activity` open it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    #[schemars(with = "Option<de::Lenient>")]
    pub opened_through: Option<String>,
    /// For announcements: how long before the announced date those who have not acknowledged
    /// it are reminded (ISO 8601 duration, `P7D`); absent: the event type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before: Option<String>,
    /// Why these rows route this event, per language (onus's reading of the document).
    pub why: Text,
}

/// Model-level settings of the validator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lint {
    /// Rules silenced for this model, by name (`missing-responsible`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}

impl Lint {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
    }
}

/// Lenient deserializers: people write `id: 1.1` and `version: 2` unquoted.
mod de {
    use super::*;
    use serde_json::Value;

    /// In the schema: a string, or a number that onus reads as the string it was written as.
    pub struct Lenient;

    impl JsonSchema for Lenient {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "StringOrNumber".into()
        }

        fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            schemars::json_schema!({ "type": ["string", "number"], "description": "A string; an unquoted number is read as the text written (`1.1`)." })
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, found {}",
                kind(&other)
            ))),
        }
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, found {}",
                kind(&other)
            ))),
        }
    }

    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "a mapping",
        }
    }
}
