//! Importing an `onus.export/v1` archive into this instance: the organisation, its users
//! (each with a new one-time password), and the provider models it needs, created when this
//! instance does not have them.
//!
//! **All or nothing.** The archive is read as a stream (a thread reads the tar, the import
//! writes each record as it comes) inside one write transaction, committed only once every
//! file has matched the manifest and the log proof has led to the exporter's head: an archive
//! altered, cut short or inconsistent imports nothing, and the error names the file and line.
//!
//! **Ids** are kept, so that a second export gives the same archive (docs/portal.md lists the
//! instance-specific fields). A provider model that exists here must have the same text for
//! each version the archive names; one that does not is created under its provider's slug
//! (the provider organisation too, without users: the instance administrator adds them).
//!
//! **The previous log** is not copied into this instance's chain (a chain records what
//! happened on its instance): the `org.import` entry names the archive's manifest hash and
//! the exporter's log head, so the archive itself proves the earlier entries.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};

use onus_archive::archive::ArchiveError;
use onus_archive::chain::ProofCheck;
use onus_archive::format as f;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::Row;

use crate::access::{OrgKind, OrgRef};
use crate::db::Write;
use crate::export::Acting;
use crate::models::{Duty, VersionBody, VersionInfo};
use crate::{new_id, Result, Store, StoreError};

/// What the server provides to an import.
pub struct Hooks<'a> {
    /// Loads a model version as the portal would: its provider's duties, or why it cannot be
    /// used (the import then fails).
    pub provider_duties:
        &'a (dyn Fn(&VersionBody) -> std::result::Result<Vec<Duty>, String> + Sync),
    /// A new one-time password for a user: (the password, its hash).
    pub password: &'a (dyn Fn() -> std::result::Result<(String, String), String> + Sync),
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    pub org: OrgRef,
    pub manifest_sha256: String,
    /// Each user's e-mail, role and one-time password.
    pub users: Vec<(String, String, String)>,
    /// Records imported, by file.
    pub counts: BTreeMap<String, i64>,
    /// The provider models this instance did not have (`provider/model version`).
    pub created: Vec<String>,
}

enum Item {
    File(String, Vec<u8>),
    Line(String, u64, Vec<u8>),
    Done(std::result::Result<onus_archive::archive::Checked, ArchiveError>),
}

/// The largest single line of a JSON Lines file (an audit's problems can be long).
const MAX_LINE: usize = 64 * 1024 * 1024;

pub(crate) fn bad(path: &str, line: u64, message: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid {
        field: "archive",
        message: if line > 0 {
            format!("{path}:{line}: {message}")
        } else {
            format!("{path}: {message}")
        },
    }
}

pub(crate) fn parse<T: DeserializeOwned>(path: &str, line: u64, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| bad(path, line, e))
}

#[derive(Default)]
pub(crate) struct State {
    export: Option<f::Export>,
    org: Option<OrgRef>,
    yaml: HashMap<String, String>,
    pub(crate) models: HashMap<f::ModelRef, String>,
    versions: HashMap<(f::ModelRef, String), String>,
    /// Models this import created in another provider, whose obligations follow their latest
    /// version.
    new_models: Vec<(String, String)>,
    runs: HashMap<String, (String, bool)>,
    /// Subscriptions imported, with their model.
    pub(crate) subs: HashMap<String, f::ModelRef>,
    proof: Option<ProofCheck>,
    users: Vec<(String, String, String)>,
    counts: BTreeMap<String, i64>,
    created: Vec<String>,
}

impl State {
    pub(crate) fn org(&self, path: &str) -> Result<&OrgRef> {
        self.org
            .as_ref()
            .ok_or_else(|| bad(path, 0, "comes before organisation.json"))
    }

    pub(crate) fn model(&self, path: &str, line: u64, m: &f::ModelRef) -> Result<String> {
        self.models.get(m).cloned().ok_or_else(|| {
            bad(
                path,
                line,
                format!("model {}/{} is not in models.jsonl", m.provider, m.model),
            )
        })
    }

    pub(crate) fn version(
        &self,
        path: &str,
        line: u64,
        m: &f::ModelRef,
        v: &str,
    ) -> Result<String> {
        self.versions
            .get(&(m.clone(), v.to_string()))
            .cloned()
            .ok_or_else(|| {
                bad(
                    path,
                    line,
                    format!(
                        "version {v} of {}/{} is not in models.jsonl",
                        m.provider, m.model
                    ),
                )
            })
    }
}

impl Store {
    /// Imports an archive read from `input` (see the module's doc). The instance
    /// administrator, or the operator.
    pub async fn import_org<R: Read + Send + 'static>(
        &self,
        who: Acting<'_>,
        input: R,
        hooks: Hooks<'_>,
    ) -> Result<Imported> {
        if let Acting::User(p) = who {
            p.instance_admin()?;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Item>(8);
        let reader = tokio::task::spawn_blocking(move || {
            let result = onus_archive::archive::read(input, |path, r| {
                let send = |item: Item| {
                    tx.blocking_send(item)
                        .map_err(|_| ArchiveError::Io(std::io::Error::other("the import stopped")))
                };
                if path.ends_with(".jsonl") {
                    let mut r = std::io::BufReader::new(r);
                    let mut n = 0u64;
                    loop {
                        let mut line = Vec::new();
                        let got = (&mut r)
                            .take(MAX_LINE as u64 + 1)
                            .read_until(b'\n', &mut line)?;
                        if got == 0 {
                            break;
                        }
                        n += 1;
                        if line.len() > MAX_LINE {
                            return Err(ArchiveError::Json {
                                path: path.into(),
                                message: format!("line {n} is longer than {MAX_LINE} bytes"),
                            });
                        }
                        send(Item::Line(path.into(), n, line))?;
                    }
                } else {
                    let mut bytes = Vec::new();
                    r.read_to_end(&mut bytes)?;
                    send(Item::File(path.into(), bytes))?;
                }
                Ok(())
            });
            let _ = tx.blocking_send(Item::Done(result));
        });
        let mut w = match who {
            Acting::User(p) => self.write(p).await?,
            Acting::Operator => self.write_system().await?,
        };
        let mut st = State::default();
        let outcome = loop {
            let Some(item) = rx.recv().await else {
                break Err(StoreError::Data("the archive's reader stopped".into()));
            };
            let step = match item {
                Item::File(path, bytes) => file(&mut w, &mut st, &hooks, &path, bytes).await,
                Item::Line(path, n, bytes) => line(&mut w, &mut st, &hooks, &path, n, &bytes).await,
                Item::Done(r) => break r.map_err(StoreError::from),
            };
            if let Err(e) = step {
                break Err(e);
            }
        };
        // Let the reader thread end whatever happened (it stops at its next send).
        drop(rx);
        let _ = reader.await;
        let checked = outcome?;
        let org = st
            .org
            .clone()
            .ok_or_else(|| bad("organisation.json", 0, "missing"))?;
        let proof = st
            .proof
            .take()
            .ok_or_else(|| bad("log/head.json", 0, "missing"))?
            .finish()
            .map_err(|e| bad("log/entries.jsonl", 0, e))?;
        if let Some((id, _)) = st.runs.iter().find(|(_, (_, done))| !done) {
            return Err(bad(
                "audits.jsonl",
                0,
                format!("audit {id} has no run file"),
            ));
        }
        // The signature is checked against the key it names (the archive is then intact as
        // its exporter signed it); whether that key is the exporter's is for the person
        // importing to check (`onus verify-export --public-key`), and the log records it.
        let source_key = match &checked.signature {
            Some(s) => {
                let public = onus_archive::cert::parse_public_key(&s.public_key)
                    .map_err(|e| bad("signature.json", 0, e))?;
                onus_archive::cert::verify_manifest(&checked.manifest_bytes, &s.signature, &public)
                    .map_err(|e| bad("signature.json", 0, e))?;
                Some(onus_archive::cert::key_id(&public))
            }
            None => None,
        };
        for (provider, model_pk) in std::mem::take(&mut st.new_models) {
            let latest = sqlx::query(
                "SELECT id FROM model_versions WHERE model_pk = $1 ORDER BY seq DESC LIMIT 1",
            )
            .bind(&model_pk)
            .fetch_one(&mut *w.tx)
            .await?;
            let body =
                crate::models::version_body(&mut w.tx, &latest.try_get::<String, _>("id")?).await?;
            let duties = (hooks.provider_duties)(&body).map_err(|e| bad("models.jsonl", 0, e))?;
            crate::models::sync_obligations(&mut w, &provider, None, &model_pk, &duties).await?;
        }
        let source = st.export.as_ref();
        w.log(
            Some(&org.id),
            "org.import",
            &org.id,
            json!({
                "manifest_sha256": checked.manifest_sha256,
                "exported_at": source.map(|e| e.exported_at.clone()),
                "source_key_id": source_key,
                "source_log_head": {"seq": proof.head_seq, "hash": proof.head_hash},
                "counts": st.counts,
                "models_created": st.created,
            }),
        )
        .await?;
        w.commit().await?;
        Ok(Imported {
            org,
            manifest_sha256: checked.manifest_sha256,
            users: st.users,
            counts: st.counts,
            created: st.created,
        })
    }
}

async fn file(
    w: &mut Write,
    st: &mut State,
    _hooks: &Hooks<'_>,
    path: &str,
    bytes: Vec<u8>,
) -> Result<()> {
    match path {
        "export.json" => {
            let e: f::Export = parse(path, 0, &bytes)?;
            if e.format != f::FORMAT {
                return Err(bad(path, 0, format!("format `{}`, expected `{}`", e.format, f::FORMAT)));
            }
            st.export = Some(e);
        }
        "organisation.json" => {
            let o: f::Organisation = parse(path, 0, &bytes)?;
            let kind = OrgKind::parse(&o.kind)
                .ok_or_else(|| bad(path, 0, format!("kind `{}`", o.kind)))?;
            if !crate::identity::valid_slug(&o.slug) {
                return Err(bad(path, 0, format!("slug `{}` is not a slug", o.slug)));
            }
            let taken = sqlx::query("SELECT slug FROM orgs WHERE slug = $1 OR id = $2")
                .bind(&o.slug)
                .bind(&o.id)
                .fetch_optional(&mut *w.tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict {
                    field: "organisation",
                    message: format!(
                        "this instance already has an organisation `{}` (or its id): an organisation is imported once",
                        o.slug
                    ),
                });
            }
            sqlx::query(
                "INSERT INTO orgs (id, slug, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&o.id)
            .bind(&o.slug)
            .bind(&o.name)
            .bind(kind.as_str())
            .bind(&o.created_at)
            .execute(&mut *w.tx)
            .await?;
            st.org = Some(OrgRef {
                id: o.id,
                slug: o.slug,
                name: o.name,
                kind,
            });
        }
        "log/head.json" => {
            let h: f::LogHead = parse(path, 0, &bytes)?;
            st.proof = Some(ProofCheck::new(h));
        }
        _ if path.starts_with("models/") && path.ends_with(".yaml") => {
            let text = String::from_utf8(bytes).map_err(|e| bad(path, 0, e))?;
            st.yaml.insert(path.to_string(), text);
        }
        _ if path.starts_with("files/") => {
            let sha = &path["files/".len()..];
            let found = crate::sha256_hex(&bytes);
            if found != sha {
                return Err(bad(path, 0, format!("its content hashes to {found}")));
            }
            let exists = sqlx::query("SELECT sha256 FROM blobs WHERE sha256 = $1")
                .bind(sha)
                .fetch_optional(&mut *w.tx)
                .await?;
            if exists.is_none() {
                sqlx::query(
                    "INSERT INTO blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(sha)
                .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                .bind(bytes)
                .bind(&w.at)
                .execute(&mut *w.tx)
                .await?;
            }
            *st.counts.entry("blobs".into()).or_default() += 1;
        }
        _ if path.starts_with("audits/") && path.ends_with(".json") => {
            let id = &path["audits/".len()..path.len() - ".json".len()];
            let run = st
                .runs
                .get_mut(id)
                .ok_or_else(|| bad(path, 0, "no audit of audits.jsonl names this run"))?;
            let text = String::from_utf8(bytes).map_err(|e| bad(path, 0, e))?;
            sqlx::query("UPDATE audits SET results = $1 WHERE id = $2")
                .bind(text)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            run.1 = true;
        }
        _ => {
            return Err(bad(
                path,
                0,
                "this onus does not know this file: import the archive with the onus version that wrote it",
            ))
        }
    }
    Ok(())
}

async fn line(
    w: &mut Write,
    st: &mut State,
    hooks: &Hooks<'_>,
    path: &str,
    n: u64,
    bytes: &[u8],
) -> Result<()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    if path != "log/entries.jsonl" {
        *st.counts
            .entry(path.trim_end_matches(".jsonl").to_string())
            .or_default() += 1;
    }
    if crate::event_archive::import_line(w, st, path, n, bytes).await? {
        return Ok(());
    }
    let b = |v: bool| i64::from(v);
    match path {
        "users.jsonl" => {
            let u: f::User = parse(path, n, bytes)?;
            let org = st.org(path)?.clone();
            crate::access::Role::parse(&u.role)
                .ok_or_else(|| bad(path, n, format!("role `{}`", u.role)))?;
            let email = u.email.trim().to_lowercase();
            let taken = sqlx::query("SELECT id FROM users WHERE email = $1 OR id = $2")
                .bind(&email)
                .bind(&u.id)
                .fetch_optional(&mut *w.tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict {
                    field: "email",
                    message: format!("{path}:{n}: this instance already has a user `{email}`"),
                });
            }
            let (password, hash) = (hooks.password)().map_err(|e| bad(path, n, e))?;
            sqlx::query(
                "INSERT INTO users (id, org_id, email, name, role, instance_admin, password_hash, lang, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
            )
            .bind(&u.id)
            .bind(&org.id)
            .bind(&email)
            .bind(&u.name)
            .bind(&u.role)
            .bind(hash)
            .bind(u.lang.clone())
            .bind(&u.created_at)
            .execute(&mut *w.tx)
            .await?;
            st.users.push((email, u.role, password));
        }
        "models.jsonl" => {
            let v: f::ModelVersion = parse(path, n, bytes)?;
            let body = st
                .yaml
                .remove(&v.path)
                .ok_or_else(|| bad(path, n, format!("`{}` is not in the archive (before models.jsonl)", v.path)))?;
            if crate::sha256_hex(body.as_bytes()) != v.sha256 {
                return Err(bad(path, n, format!("`{}` does not hash to {}", v.path, v.sha256)));
            }
            import_version(w, st, hooks, path, n, &v, &body).await?;
        }
        "subscriptions.jsonl" => {
            let s: f::Subscription = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let model = st.model(path, n, &s.model)?;
            let version = st.version(path, n, &s.model, &s.version)?;
            let end = s.end.as_ref();
            sqlx::query(
                "INSERT INTO subscriptions (id, org_id, model_pk, version_id, created_at, created_by, end_date, ended_by_party, end_requested_at, end_requested_by, end_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&s.id)
            .bind(&org)
            .bind(&model)
            .bind(&version)
            .bind(&s.created_at)
            .bind(&s.created_by)
            .bind(end.map(|e| e.end_date.clone()))
            .bind(end.map(|e| e.ended_by_party.clone()))
            .bind(end.map(|e| e.requested_at.clone()))
            .bind(end.map(|e| e.requested_by.clone()))
            .bind(end.and_then(|e| e.reason.clone()))
            .execute(&mut *w.tx)
            .await?;
            st.subs.insert(s.id, s.model);
        }
        "notices.jsonl" => {
            let x: f::Notice = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let mref = st
                .subs
                .get(&x.subscription_id)
                .cloned()
                .ok_or_else(|| bad(path, n, format!("subscription {} is not in subscriptions.jsonl", x.subscription_id)))?;
            let from = st.version(path, n, &mref, &x.from_version)?;
            let to = st.version(path, n, &mref, &x.to_version)?;
            sqlx::query(
                "INSERT INTO version_notices (id, org_id, subscription_id, from_version_id, to_version_id, diff, moves_duty, created_at, acknowledged_at, acknowledged_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&x.id)
            .bind(&org)
            .bind(&x.subscription_id)
            .bind(&from)
            .bind(&to)
            .bind(x.diff.to_string())
            .bind(b(x.moves_duty))
            .bind(&x.created_at)
            .bind(x.acknowledged_at.clone())
            .bind(x.acknowledged_by.clone())
            .execute(&mut *w.tx)
            .await?;
        }
        "obligations.jsonl" => {
            let o: f::Obligation = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let model = st.model(path, n, &o.model)?;
            sqlx::query(
                "INSERT INTO obligations (id, org_id, subscription_id, model_pk, activity_id, party_id, owner, notes, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&o.id)
            .bind(&org)
            .bind(o.subscription_id.clone())
            .bind(&model)
            .bind(&o.activity_id)
            .bind(&o.party_id)
            .bind(o.owner.clone())
            .bind(o.notes.clone())
            .bind(b(o.active))
            .bind(&o.created_at)
            .execute(&mut *w.tx)
            .await?;
        }
        "files.jsonl" => {
            let x: f::File = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let blob = sqlx::query("SELECT sha256 FROM blobs WHERE sha256 = $1")
                .bind(&x.sha256)
                .fetch_optional(&mut *w.tx)
                .await?;
            if blob.is_none() {
                return Err(bad(path, n, format!("files/{} is not in the archive (before files.jsonl)", x.sha256)));
            }
            sqlx::query(
                "INSERT INTO files (id, org_id, sha256, name, media_type, size, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&x.id)
            .bind(&org)
            .bind(&x.sha256)
            .bind(&x.name)
            .bind(&x.media_type)
            .bind(x.size)
            .bind(&x.created_at)
            .bind(&x.created_by)
            .execute(&mut *w.tx)
            .await?;
        }
        "audits.jsonl" => {
            let a: f::Audit = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let model = st.model(path, n, &a.model)?;
            if a.run != format!("audits/{}.json", a.id) {
                return Err(bad(path, n, format!("run `{}`, expected audits/{}.json", a.run, a.id)));
            }
            sqlx::query(
                "INSERT INTO audits (id, org_id, model_pk, file_id, results, problems, inputs, objects, k8s_latest, ran_at, uploaded_at, uploaded_by, shared) \
                 VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&a.id)
            .bind(&org)
            .bind(&model)
            .bind(&a.file_id)
            .bind(a.problems.to_string())
            .bind(a.inputs.to_string())
            .bind(a.objects)
            .bind(&a.k8s_latest)
            .bind(&a.ran_at)
            .bind(&a.uploaded_at)
            .bind(&a.uploaded_by)
            .bind(b(a.shared))
            .execute(&mut *w.tx)
            .await?;
            st.runs.insert(a.id, (model, false));
        }
        "attestations.jsonl" => {
            let a: f::Attestation = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let model = st.model(path, n, &a.model)?;
            sqlx::query(
                "INSERT INTO attestations (id, org_id, model_pk, activity_id, date, by_name, valid, note, evidence_ref, evidence_sha256, file_id, created_at, created_by, shared) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&a.id)
            .bind(&org)
            .bind(&model)
            .bind(&a.activity_id)
            .bind(&a.date)
            .bind(&a.by)
            .bind(a.valid.clone())
            .bind(a.note.clone())
            .bind(&a.evidence_ref)
            .bind(&a.evidence_sha256)
            .bind(a.file_id.clone())
            .bind(&a.created_at)
            .bind(&a.created_by)
            .bind(b(a.shared))
            .execute(&mut *w.tx)
            .await?;
        }
        "status_history.jsonl" => {
            let s: f::StatusPoint = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            let model = st.model(path, n, &s.model)?;
            sqlx::query(
                "INSERT INTO status_history (id, org_id, model_pk, at, counts) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&s.id)
            .bind(&org)
            .bind(&model)
            .bind(&s.at)
            .bind(s.counts.to_string())
            .execute(&mut *w.tx)
            .await?;
        }
        "end_of_service.jsonl" => {
            let i: f::EndItem = parse(path, n, bytes)?;
            let org = st.org(path)?.id.clone();
            OrgKind::parse(&i.party_kind)
                .ok_or_else(|| bad(path, n, format!("party_kind `{}`", i.party_kind)))?;
            sqlx::query(
                "INSERT INTO end_of_service_items (id, org_id, subscription_id, activity_id, party_id, party_kind, due, done_at, done_by, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&i.id)
            .bind(&org)
            .bind(&i.subscription_id)
            .bind(&i.activity_id)
            .bind(&i.party_id)
            .bind(&i.party_kind)
            .bind(&i.due)
            .bind(i.done_at.clone())
            .bind(i.done_by.clone())
            .bind(i.note.clone())
            .execute(&mut *w.tx)
            .await?;
        }
        "log/entries.jsonl" => {
            let l: f::LogLine = parse(path, n, bytes)?;
            st.proof
                .as_mut()
                .ok_or_else(|| bad(path, n, "comes before log/head.json"))?
                .line(&l)
                .map_err(|e| bad(path, 0, e))?;
        }
        _ => {
            return Err(bad(
                path,
                0,
                "this onus does not know this file: import the archive with the onus version that wrote it",
            ))
        }
    }
    Ok(())
}

/// A version of `models.jsonl`: found here (the same text), or created with its model and
/// provider.
async fn import_version(
    w: &mut Write,
    st: &mut State,
    hooks: &Hooks<'_>,
    path: &str,
    n: u64,
    v: &f::ModelVersion,
    body: &str,
) -> Result<()> {
    let org = st.org(path)?.clone();
    let provider = if v.model.provider == org.slug {
        if org.kind != OrgKind::Provider {
            return Err(bad(path, n, "a customer publishes no model"));
        }
        org.id.clone()
    } else {
        let r = sqlx::query("SELECT id, kind FROM orgs WHERE slug = $1")
            .bind(&v.model.provider)
            .fetch_optional(&mut *w.tx)
            .await?;
        match r {
            Some(r) => {
                let kind: String = r.try_get("kind")?;
                if kind != "provider" {
                    return Err(StoreError::Conflict {
                        field: "archive",
                        message: format!(
                            "{path}:{n}: `{}` is a customer organisation here, the archive's provider of {}",
                            v.model.provider, v.model.model
                        ),
                    });
                }
                r.try_get("id")?
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO orgs (id, slug, name, kind, created_at) VALUES ($1, $2, $3, 'provider', $4)",
                )
                .bind(&id)
                .bind(&v.model.provider)
                .bind(&v.provider_name)
                .bind(&w.at)
                .execute(&mut *w.tx)
                .await?;
                w.log(
                    Some(&id),
                    "org.create",
                    &id,
                    json!({"slug": v.model.provider, "name": v.provider_name, "kind": "provider"}),
                )
                .await?;
                id
            }
        }
    };
    let model_pk = match st.models.get(&v.model) {
        Some(pk) => pk.clone(),
        None => {
            let r = sqlx::query("SELECT id FROM models WHERE org_id = $1 AND model_id = $2")
                .bind(&provider)
                .bind(&v.model.model)
                .fetch_optional(&mut *w.tx)
                .await?;
            let pk = match r {
                Some(r) => r.try_get("id")?,
                None => {
                    let pk = new_id();
                    sqlx::query(
                        "INSERT INTO models (id, org_id, model_id, title, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&pk)
                    .bind(&provider)
                    .bind(&v.model.model)
                    .bind(&v.title)
                    .bind(&w.at)
                    .execute(&mut *w.tx)
                    .await?;
                    if provider != org.id {
                        st.new_models.push((provider.clone(), pk.clone()));
                    }
                    pk
                }
            };
            st.models.insert(v.model.clone(), pk.clone());
            pk
        }
    };
    let existing =
        sqlx::query("SELECT id, sha256 FROM model_versions WHERE model_pk = $1 AND version = $2")
            .bind(&model_pk)
            .bind(&v.version)
            .fetch_optional(&mut *w.tx)
            .await?;
    let id = match existing {
        Some(r) => {
            let sha: String = r.try_get("sha256")?;
            if sha != v.sha256 {
                return Err(StoreError::Conflict {
                    field: "archive",
                    message: format!(
                        "{path}:{n}: version {} of {}/{} exists here with another text ({sha}, the archive's is {}): a published version never changes",
                        v.version, v.model.provider, v.model.model, v.sha256
                    ),
                });
            }
            r.try_get("id")?
        }
        None => {
            let seq: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM model_versions WHERE model_pk = $1")
                    .bind(&model_pk)
                    .fetch_one(&mut *w.tx)
                    .await?
                    .try_get::<i64, _>("n")?
                    + 1;
            let id = new_id();
            let info = VersionInfo {
                id: id.clone(),
                model_pk: model_pk.clone(),
                seq,
                version: v.version.clone(),
                sha256: v.sha256.clone(),
                published_at: v.published_at.clone(),
                published_by: w.actor.clone(),
            };
            // The portal must be able to load it, as it loads every published version.
            (hooks.provider_duties)(&VersionBody {
                info,
                body: body.to_string(),
                findings: v.findings.clone(),
            })
            .map_err(|e| bad(&v.path, 0, e))?;
            sqlx::query(
                "INSERT INTO model_versions (id, model_pk, org_id, seq, version, body, sha256, findings, published_at, published_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(&model_pk)
            .bind(&provider)
            .bind(seq)
            .bind(&v.version)
            .bind(body)
            .bind(&v.sha256)
            .bind(v.findings.to_string())
            .bind(&v.published_at)
            .bind(w.actor.clone())
            .execute(&mut *w.tx)
            .await?;
            w.log(
                Some(&provider),
                "model.import",
                &id,
                json!({"model": v.model.model, "version": v.version, "seq": seq, "sha256": v.sha256}),
            )
            .await?;
            st.created.push(format!(
                "{}/{} {}",
                v.model.provider, v.model.model, v.version
            ));
            id
        }
    };
    st.versions.insert((v.model.clone(), v.version.clone()), id);
    Ok(())
}
