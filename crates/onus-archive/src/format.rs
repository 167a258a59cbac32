//! The files of an `onus.export/v1` archive, as serde types. `schema/export.schema.json` is
//! generated from [`schema`] and a test keeps it in sync; docs/portal.md ("Leaving: the
//! export archive") describes each file for people.
//!
//! Single records are JSON files (`organisation.json`); tables are JSON Lines (`users.jsonl`:
//! one JSON object per line, ordered by id), so that both sides can stream them. Ids are the
//! portal's own (UUIDs), kept by an import; models are named by their provider's slug, their
//! id and their `version`, never by an instance's internal ids.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::Content;

/// The version tag of the format.
pub const FORMAT: &str = "onus.export/v1";

/// `export.json`: what the archive is. Every field but `format` and `organisation` is
/// instance-specific (it differs when the same data is exported by another instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// Always `onus.export/v1`.
    pub format: String,
    /// The organisation's slug.
    pub organisation: String,
    /// `customer` or `provider`: a provider's export holds only what is its own.
    pub scope: String,
    /// When the export was taken (RFC 3339).
    pub exported_at: String,
    /// Who took it (the user's name, or `system` for the operator's CLI).
    pub exported_by: String,
    /// The exporting instance's Ed25519 public key, base64 (what `signature.json` verifies
    /// against; also at the instance's `/.well-known/onus/instance-key`).
    pub instance_key: Option<String>,
    /// The onus version that wrote it.
    pub generator: String,
}

/// `organisation.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `customer` or `provider`.
    pub kind: String,
    pub created_at: String,
}

/// A line of `users.jsonl`: a user without any credential (no password hash, no session,
/// no token: an import gives each a new one-time password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `admin`, `member` or `auditor`.
    pub role: String,
    pub lang: Option<String>,
    pub created_at: String,
}

/// A model as an archive names it.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// The provider organisation's slug.
    pub provider: String,
    /// The model's own id (`ovhcloud-mks`).
    pub model: String,
}

/// A line of `models.jsonl`: a published version the organisation needs (one it is or was
/// on, or that a notice names), its exact YAML at `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelVersion {
    #[serde(flatten)]
    pub model: ModelRef,
    /// The provider organisation's name.
    pub provider_name: String,
    pub title: String,
    /// The model's `version` field.
    pub version: String,
    /// SHA-256 of the YAML body.
    pub sha256: String,
    pub published_at: String,
    /// The validator's findings when it was published.
    pub findings: serde_json::Value,
    /// `models/PROVIDER/MODEL/SHA256.yaml`.
    pub path: String,
}

/// The end of a subscription: who ended it, when it ends, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// The end of service: `YYYY-MM-DD`.
    pub end_date: String,
    /// `customer` (a cancellation) or `provider` (a termination).
    pub ended_by_party: String,
    /// The name of the person who asked.
    pub requested_by: String,
    pub requested_at: String,
    pub reason: Option<String>,
}

/// A line of `subscriptions.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub id: String,
    #[serde(flatten)]
    pub model: ModelRef,
    /// The version the subscription is on (the last acknowledged).
    pub version: String,
    pub created_at: String,
    pub created_by: String,
    pub end: Option<End>,
}

/// A line of `notices.jsonl`: a newer version than the one a subscription was on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub id: String,
    pub subscription_id: String,
    pub from_version: String,
    pub to_version: String,
    pub diff: serde_json::Value,
    pub moves_duty: bool,
    pub created_at: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
}

/// A line of `obligations.jsonl`: a duty (R or A) with its owner and notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    pub id: String,
    pub subscription_id: Option<String>,
    #[serde(flatten)]
    pub model: ModelRef,
    pub activity_id: String,
    pub party_id: String,
    pub owner: Option<String>,
    pub notes: Option<String>,
    /// Whether the version the organisation is on still gives it this duty.
    pub active: bool,
    pub created_at: String,
}

/// A line of `files.jsonl`: a stored file; its content is `files/SHA256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub id: String,
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub created_at: String,
    pub created_by: String,
}

/// A line of `audits.jsonl`: an uploaded audit run. The uploaded report is the file
/// `file_id`; what the portal joins again (check results, condition outcomes, facts) is
/// `audits/ID.json`, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    pub id: String,
    #[serde(flatten)]
    pub model: ModelRef,
    pub file_id: String,
    pub problems: serde_json::Value,
    pub inputs: serde_json::Value,
    pub objects: i64,
    pub k8s_latest: String,
    pub ran_at: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
    pub shared: bool,
    /// `audits/ID.json`.
    pub run: String,
}

/// A line of `attestations.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub id: String,
    #[serde(flatten)]
    pub model: ModelRef,
    pub activity_id: String,
    pub date: String,
    pub by: String,
    pub valid: Option<String>,
    pub note: Option<String>,
    pub evidence_ref: String,
    pub evidence_sha256: String,
    pub file_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub shared: bool,
}

/// A line of `status_history.jsonl`: duties by status after a change of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPoint {
    pub id: String,
    #[serde(flatten)]
    pub model: ModelRef,
    pub at: String,
    pub counts: serde_json::Value,
}

/// A line of `end_of_service.jsonl`: a line of a subscription's end-of-service checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndItem {
    pub id: String,
    pub subscription_id: String,
    pub activity_id: String,
    /// The party that does it (holds R, else A) and its kind.
    pub party_id: String,
    pub party_kind: String,
    /// `YYYY-MM-DD`.
    pub due: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

/// A line of `events.jsonl`: an event the organisation takes part in (a customer's export),
/// or one it published (a provider's), with the parts of its timeline the organisation sees
/// or wrote. Other organisations are named by slug (their ids are their instance's); a
/// customer's export names the provider and itself, never another customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: String,
    /// Per provider: #1, #2... Kept by an import when free there, else the next free number
    /// (then instance-specific).
    pub number: i64,
    /// The model (its provider publishes it) and the version the event was opened under.
    #[serde(flatten)]
    pub model: ModelRef,
    pub version: String,
    /// The slug of the organisation that opened it (the exporting one, or the provider).
    pub opened_by_org: String,
    /// The event type (`incident`, `change-request`...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// `incident`, `change` or `announcement`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub due_at: Option<String>,
    pub remind_at: Option<String>,
    pub reminded_at: Option<String>,
    /// `open`, `acknowledged`, `resolved`, `closed` or `rejected`.
    pub state: String,
    /// The routing rule applied when it was opened, as stored.
    pub routing: serde_json::Value,
    pub opener_party: String,
    pub opened_at: String,
    /// The id of the user who opened it (a user of another organisation is not in the
    /// archive: the id is a name for the record, no reference).
    pub opened_by: String,
    pub opened_by_name: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub resolution: Option<String>,
    pub updated_at: String,
    /// The exporting organisation's part and, in a customer's export, the provider's.
    pub parties: Vec<EventParty>,
    /// The timeline the organisation sees (a customer's) or wrote for everyone (a provider's).
    pub steps: Vec<EventStep>,
    pub consultations: Vec<EventConsultation>,
}

/// An organisation's part in an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventParty {
    /// The organisation's slug.
    pub org: String,
    pub party_id: String,
    pub subscription_id: Option<String>,
    /// The user it goes to, when one of the exporting organisation's (another's is not
    /// exported).
    pub assignee: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
}

/// A step of an event's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventStep {
    pub id: String,
    /// The slug of the organisation whose step it is.
    pub org: String,
    /// `None`: every participant sees it; else the slug of the only customer that does.
    pub audience: Option<String>,
    pub at: String,
    /// The id of the user who took it.
    pub actor: String,
    pub actor_name: String,
    pub party_id: String,
    pub action: String,
    /// The event's state after the step.
    pub state: String,
    pub body: Option<String>,
    /// The attached file: a line of `files.jsonl` (the organisation's own) or of
    /// `event_files.jsonl` (the provider's, in a customer's export).
    pub file_id: Option<String>,
}

/// A consultation of a party holding C, and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventConsultation {
    pub id: String,
    /// The slug of the consulted organisation.
    pub org: String,
    pub party_id: String,
    pub question: String,
    pub asked_at: String,
    pub asked_by_name: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by_name: Option<String>,
}

/// A line of `event_files.jsonl` (a customer's export): a file the provider attached to a
/// step the customer sees; its content is `files/SHA256`, like the organisation's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    /// The slug of the organisation that attached it.
    pub org: String,
    #[serde(flatten)]
    pub file: File,
}

/// A line of `notification_prefs.jsonl`: a user's choice for a kind of event and a channel
/// (no line: on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPref {
    pub user_id: String,
    /// `incident`, `change`, `announcement` or `version`.
    pub kind: String,
    /// `portal` or `email`.
    pub channel: String,
    pub enabled: bool,
}

/// A line of `notifications.jsonl`: a user's in-portal notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    /// The message it came from (the exporting instance's outbox, not exported: a name).
    pub outbox_id: String,
    pub kind: String,
    pub topic: String,
    pub payload: serde_json::Value,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A line of `webhooks.jsonl`: a webhook endpoint, **with its signing secret**. The secret is
/// the organisation's (its members were shown it when they created the endpoint; its admins,
/// who alone export, answer for all its data), and exporting it lets the new instance sign
/// as the old one did, so no receiver needs reconfiguring. The archive is therefore as
/// confidential as the secrets: docs/portal.md ("Leaving") says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub secret: String,
    /// The kinds of event it receives; empty: all.
    pub kinds: Vec<String>,
    pub active: bool,
    pub created_at: String,
    pub created_by: String,
}

/// `log/head.json`: where the proof in `log/entries.jsonl` starts and ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogHead {
    /// The first line's seq (the organisation's first entry).
    pub first_seq: i64,
    /// The hash of the entry before it (64 zeros for the log's first).
    pub prev_hash: String,
    /// The log's head when the export was taken.
    pub seq: i64,
    pub hash: String,
}

/// A line of `log/entries.jsonl`: an entry of the chain. The organisation's own carry their
/// content and hash; every other only its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    pub seq: i64,
    pub content_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Content>,
}

/// A line of `manifest.json`'s `files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// `manifest.json`, the archive's last file but `signature.json`: every other file with its
/// size and SHA-256. The archive's identity is the SHA-256 of this file's bytes (what a
/// deletion certificate names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub files: Vec<ManifestFile>,
}

/// `signature.json`: the instance's Ed25519 signature of `manifest.json`'s bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The instance's public key, base64.
    pub public_key: String,
    pub manifest_sha256: String,
    /// The signature of `manifest.json`'s bytes, base64.
    pub signature: String,
}

/// Every file type of the format, for the JSON Schema: `$defs` holds one per file.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct ExportFiles {
    export: Export,
    organisation: Organisation,
    users: User,
    models: ModelVersion,
    subscriptions: Subscription,
    notices: Notice,
    obligations: Obligation,
    files: File,
    audits: Audit,
    attestations: Attestation,
    status_history: StatusPoint,
    end_of_service: EndItem,
    event_files: EventFile,
    events: Event,
    notification_prefs: NotificationPref,
    notifications: Notification,
    webhooks: Webhook,
    log_head: LogHead,
    log_entries: LogLine,
    manifest: Manifest,
    signature: Signature,
}

/// The JSON Schema of the format (`schema/export.schema.json`): one definition per file of
/// the archive; the root's properties name them by file.
pub fn schema() -> serde_json::Value {
    let mut s = serde_json::to_value(schemars::schema_for!(ExportFiles)).unwrap_or_default();
    if let Some(o) = s.as_object_mut() {
        o.insert(
            "$id".into(),
            "https://onus.dev/schema/export.schema.json".into(),
        );
        o.insert("title".into(), "onus.export/v1 archive files".into());
        o.insert(
            "description".into(),
            "The files of an onus.export/v1 archive (docs/portal.md): each property of the root is one file (JSON) or one line of it (JSON Lines), by name: export.json, organisation.json, users.jsonl, models.jsonl, subscriptions.jsonl, notices.jsonl, obligations.jsonl, files.jsonl, audits.jsonl, attestations.jsonl, status_history.jsonl, end_of_service.jsonl, event_files.jsonl, events.jsonl, notification_prefs.jsonl, notifications.jsonl, webhooks.jsonl, log/head.json, log/entries.jsonl, manifest.json, signature.json.".into(),
        );
    }
    s
}
