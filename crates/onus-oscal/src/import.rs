//! Reading responsibilities back from OSCAL into a model.
//!
//! Parties come from the roles of `metadata`, activities from the statements (component
//! definition) or from the `provided`, `responsibilities`, `inherited` and `satisfied` entries
//! (system security plans), and RACI letters from onus's props where present. Documents onus
//! wrote come back with their ids, sections, topics, texts in every language and letters;
//! documents from other tools give one activity per entry, grouped in one section per control,
//! with the letters `R` (and `A` when a single party is named) for the roles named.

use indexmap::IndexMap;
use onus_model::{
    Activity, Duty, Model, Party, PartyKind, RoleLetter, RoleScheme, Section, SectionKind, Source,
    SourceRef, Statement, StatementKind, Text, Vocabulary, FORMAT,
};
use serde_json::Value;

use crate::common::{is_date, token, ControlId, MODEL_RESOURCE, NS};
use crate::refcheck::oscal_root;

/// Why a document could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "not an OSCAL document (no `system-security-plan`, `component-definition`, ... at the top)"
    )]
    NotOscal,
    #[error(
        "cannot import an OSCAL {0}: onus reads a component-definition or a system-security-plan"
    )]
    Unsupported(&'static str),
    #[error("the {0} holds no responsibility to import (no implemented requirement)")]
    Empty(&'static str),
}

/// A model read from OSCAL, and what the reader had to guess.
#[derive(Debug, Clone)]
pub struct Imported {
    pub model: Model,
    /// What was inferred or dropped, one sentence each.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Provided,
    Customer,
    Neutral,
}

struct Entry<'a> {
    control: String,
    text: String,
    props: &'a [Value],
    roles: Vec<String>,
    side: Side,
    remarks: Option<String>,
}

fn onus_props<'a>(props: &'a [Value], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    props
        .iter()
        .filter(move |p| p["ns"].as_str() == Some(NS) && p["name"].as_str() == Some(name))
        .filter_map(|p| p["value"].as_str())
}

fn onus_prop<'a>(props: &'a [Value], name: &'a str) -> Option<&'a str> {
    onus_props(props, name).next()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Who an entry names: the parties' UUIDs of its responsible roles where onus wrote the
/// parties (`by_party`), else its role ids.
fn role_ids(v: &Value, by_party: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in arr(&v["responsible-roles"]) {
        let keys: Vec<&str> = if by_party {
            arr(&r["party-uuids"])
                .iter()
                .filter_map(Value::as_str)
                .collect()
        } else {
            r["role-id"].as_str().into_iter().collect()
        };
        for k in keys {
            if !out.iter().any(|x| x == k) {
                out.push(k.to_string());
            }
        }
    }
    out
}

fn entry<'a>(control: &str, v: &'a Value, side: Side, by_party: bool) -> Entry<'a> {
    Entry {
        control: control.to_string(),
        text: v["description"].as_str().unwrap_or("").trim().to_string(),
        props: arr(&v["props"]),
        roles: role_ids(v, by_party),
        side,
        remarks: v["remarks"]
            .as_str()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}

/// Reads a component-definition or a system-security-plan into a model.
pub fn import<'a>(doc: &'a Value, vocab: &Vocabulary) -> Result<Imported, ImportError> {
    let root = oscal_root(doc).ok_or(ImportError::NotOscal)?;
    if !matches!(root, "component-definition" | "system-security-plan") {
        return Err(ImportError::Unsupported(root));
    }
    let body = &doc[root];
    let md = &body["metadata"];
    let md_props = arr(&md["props"]);
    // Parties onus wrote (with their `party-id` props): entries name them by UUID, under
    // functional roles shared by every party of a kind.
    let onus_parties: Vec<(&str, &[Value], &str)> = arr(&md["parties"])
        .iter()
        .filter_map(|p| {
            let props = arr(&p["props"]);
            onus_prop(props, "party-id")?;
            Some((p["uuid"].as_str()?, props, p["name"].as_str().unwrap_or("")))
        })
        .collect();
    let by_party = !onus_parties.is_empty();
    let entry = |control: &str, v: &'a Value, side: Side| entry(control, v, side, by_party);
    let mut notes = Vec::new();
    let mut entries = Vec::new();
    let mut service = None;
    if root == "system-security-plan" {
        service = body["system-characteristics"]["system-name"]
            .as_str()
            .map(str::to_string);
        for ir in arr(&body["control-implementation"]["implemented-requirements"]) {
            let control = ir["control-id"].as_str().unwrap_or("unknown");
            let mut bcs: Vec<&Value> = arr(&ir["by-components"]).iter().collect();
            for s in arr(&ir["statements"]) {
                bcs.extend(arr(&s["by-components"]));
            }
            for bc in bcs {
                let before = entries.len();
                entries.extend(
                    arr(&bc["export"]["provided"])
                        .iter()
                        .map(|p| entry(control, p, Side::Provided)),
                );
                entries.extend(
                    arr(&bc["export"]["responsibilities"])
                        .iter()
                        .map(|p| entry(control, p, Side::Customer)),
                );
                entries.extend(
                    arr(&bc["inherited"])
                        .iter()
                        .map(|p| entry(control, p, Side::Provided)),
                );
                entries.extend(
                    arr(&bc["satisfied"])
                        .iter()
                        .map(|p| entry(control, p, Side::Customer)),
                );
                if entries.len() == before && bc["description"].is_string() {
                    entries.push(entry(control, bc, Side::Neutral));
                }
            }
        }
    } else {
        for comp in arr(&body["components"]) {
            service.get_or_insert_with(|| comp["title"].as_str().unwrap_or("").to_string());
            for ci in arr(&comp["control-implementations"]) {
                for ir in arr(&ci["implemented-requirements"]) {
                    let control = ir["control-id"].as_str().unwrap_or("unknown");
                    let stmts = arr(&ir["statements"]);
                    if stmts.is_empty() {
                        entries.push(entry(control, ir, Side::Neutral));
                    }
                    for s in stmts {
                        let mut e = entry(control, s, Side::Neutral);
                        if e.roles.is_empty() {
                            e.roles = role_ids(ir, by_party);
                        }
                        entries.push(e);
                    }
                }
            }
        }
    }
    if entries.is_empty() {
        return Err(ImportError::Empty(root));
    }

    // Parties, from the roles: the ones the entries name, or every role if none is named.
    let used: Vec<&str> = {
        let mut u: Vec<&str> = Vec::new();
        for e in &entries {
            for r in &e.roles {
                if !u.contains(&r.as_str()) {
                    u.push(r);
                }
            }
        }
        u
    };
    let declared = arr(&md["roles"]);
    let mut role_party: IndexMap<String, Party> = IndexMap::new();
    for (uuid, props, name) in &onus_parties {
        let kind = match onus_prop(props, "party-kind") {
            Some("customer") => PartyKind::Customer,
            Some("third-party") => PartyKind::ThirdParty,
            _ => PartyKind::Provider,
        };
        let mut n = Text::new(&lang_of(md_props), *name);
        for (l, v) in lang_props(props, "name-") {
            n.set(l, v);
        }
        role_party.insert(
            uuid.to_string(),
            Party {
                id: onus_prop(props, "party-id").unwrap_or(uuid).to_string(),
                kind,
                name: n,
            },
        );
    }
    for r in declared.iter().filter(|_| !by_party) {
        let Some(id) = r["id"].as_str() else { continue };
        if !used.is_empty() && !used.contains(&id) {
            continue;
        }
        let props = arr(&r["props"]);
        let title = r["title"].as_str().unwrap_or(id);
        let kind = match onus_prop(props, "party-kind") {
            Some("provider") => PartyKind::Provider,
            Some("customer") => PartyKind::Customer,
            Some("third-party") => PartyKind::ThirdParty,
            _ => infer_kind(id, title, &entries),
        };
        let party = Party {
            id: onus_prop(props, "party-id").map_or_else(|| id.to_string(), str::to_string),
            kind,
            name: {
                let mut name = Text::new(&lang_of(md_props), title);
                for (l, n) in lang_props(props, "name-") {
                    name.set(l, n);
                }
                name
            },
        };
        role_party.insert(id.to_string(), party);
    }
    for r in &used {
        if !role_party.contains_key(*r) {
            notes.push(format!(
                "role `{r}` is used but not declared in metadata; it becomes a party"
            ));
            role_party.insert(
                r.to_string(),
                Party {
                    id: r.to_string(),
                    kind: infer_kind(r, r, &entries),
                    name: Text::new(&lang_of(md_props), *r),
                },
            );
        }
    }
    let lang = lang_of(md_props);
    let mut languages = vec![lang.clone()];
    let mut sections: Vec<Section> = Vec::new();
    let mut activities: Vec<Activity> = Vec::new();
    let mut statements: Vec<Statement> = Vec::new();
    let party_of = |role: &str| role_party.get(role).map(|p| p.id.clone());
    let mut counter: IndexMap<String, usize> = IndexMap::new();
    for e in &entries {
        let section_id = match onus_prop(e.props, "section") {
            Some(s) => s.to_string(),
            None => {
                ControlId::parse_oscal(&e.control).map_or_else(|| e.control.clone(), |c| c.label())
            }
        };
        if !sections.iter().any(|s| s.id == section_id) {
            let title = onus_prop(e.props, "section-title")
                .map_or_else(|| section_id.clone(), str::to_string);
            sections.push(Section {
                id: section_id.clone(),
                number: None,
                parent: None,
                kind: SectionKind::Group,
                title: Text::new(&lang, title),
                layer: None,
            });
        }
        let mut text = Text::new(&lang, e.text.clone());
        for p in e.props.iter().filter(|p| p["ns"].as_str() == Some(NS)) {
            if let (Some(name), Some(value)) = (p["name"].as_str(), p["value"].as_str()) {
                if let Some(l) = name.strip_prefix("text-") {
                    text.set(l, value);
                    if !languages.iter().any(|x| x == l) {
                        languages.push(l.to_string());
                    }
                }
            }
        }
        let topics: Vec<String> = onus_props(e.props, "topic").map(str::to_string).collect();
        let source = onus_prop(e.props, "source-section").map(|s| SourceRef {
            section: s.to_string(),
            row: onus_prop(e.props, "source-row").and_then(|r| r.parse().ok()),
            list: onus_prop(e.props, "source-list").map(str::to_string),
        });
        let lead = if onus_prop(e.props, "activity-id")
            .or(onus_prop(e.props, "statement-id"))
            .is_some()
        {
            e.remarks.as_ref().map(|r| Text::new(&lang, r.clone()))
        } else {
            None
        };

        // A statement onus wrote comes back as a statement.
        if let (Some(id), Some(kind)) = (
            onus_prop(e.props, "statement-id"),
            onus_prop(e.props, "statement-kind"),
        ) {
            if statements.iter().any(|s| s.id == id) {
                continue;
            }
            let kind: StatementKind = serde_json::from_value(Value::String(kind.to_string()))
                .unwrap_or(StatementKind::Commitment);
            statements.push(Statement {
                id: id.to_string(),
                kind,
                party: e.roles.first().and_then(|r| party_of(r)),
                section: Some(section_id),
                lead,
                text,
                topics,
                layer: None,
                quantity: None,
                source,
                notes: vec![],
            });
            continue;
        }

        // Letters: onus's RACI props, else R (and A for a single party) for the roles named.
        let mut roles: IndexMap<String, String> = IndexMap::new();
        for p in e.props.iter().filter(|p| p["ns"].as_str() == Some(NS)) {
            if let (Some(name), Some(value)) = (p["name"].as_str(), p["value"].as_str()) {
                if let Some(t) = name.strip_prefix("raci-") {
                    let party = role_party
                        .iter()
                        .find(|(rid, party)| rid.as_str() == t || token(&party.id) == t)
                        .map_or_else(|| t.to_string(), |(_, p)| p.id.clone());
                    roles.insert(party, value.to_string());
                }
            }
        }
        if roles.is_empty() {
            let named: Vec<String> = e.roles.iter().filter_map(|r| party_of(r)).collect();
            let letters = if named.len() == 1 { "RA" } else { "R" };
            for p in named {
                roles.insert(p, letters.to_string());
            }
        }
        let id = match onus_prop(e.props, "activity-id") {
            Some(id) => id.to_string(),
            None => {
                let n = counter.entry(section_id.clone()).or_default();
                *n += 1;
                format!(
                    "{}-{}{}",
                    token(&section_id).to_lowercase(),
                    if e.side == Side::Customer { "c" } else { "p" },
                    n
                )
            }
        };
        if let Some(a) = activities.iter_mut().find(|a| a.id == id) {
            for t in topics {
                if !a.topics.contains(&t) {
                    a.topics.push(t);
                }
            }
            continue;
        }
        let suggested_topics = if topics.is_empty() {
            topics_for(vocab, &e.control)
        } else {
            vec![]
        };
        activities.push(Activity {
            id,
            section: section_id,
            lead,
            text,
            roles,
            topics,
            suggested_topics,
            layer: None,
            cadence: None,
            source,
            footnotes: vec![],
            notes: vec![],
            controls: vec![],
        });
    }
    // Every party appears in every activity, with an empty cell when it holds no letter.
    let party_ids: Vec<String> = role_party.values().map(|p| p.id.clone()).collect();
    for a in &mut activities {
        for p in &party_ids {
            a.roles.entry(p.clone()).or_default();
        }
        a.roles
            .sort_by_cached_key(|k, _| party_ids.iter().position(|p| p == k).unwrap_or(usize::MAX));
    }
    if onus_prop(md_props, "model-id").is_none() {
        notes.push("not written by onus: letters are R (and A when one role is named) for the roles named; topics are suggested from the controls".to_string());
    }
    let title = md["title"]
        .as_str()
        .unwrap_or("Imported OSCAL document")
        .to_string();
    let parties: Vec<Party> = role_party.into_values().collect();
    let provider = parties
        .iter()
        .filter(|p| p.kind == PartyKind::Provider)
        .map(|p| p.name.best(&lang).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let model = Model {
        format: FORMAT.to_string(),
        id: onus_prop(md_props, "model-id").map_or_else(|| slug(&title), str::to_string),
        version: md["version"].as_str().unwrap_or("0").to_string(),
        title: {
            let own: Vec<(&str, &str)> = lang_props(md_props, "model-title-").collect();
            let mut t = if own.is_empty() {
                Text::new(&lang, title.clone())
            } else {
                Text::default()
            };
            for (l, v) in own {
                t.set(l, v);
            }
            t
        },
        description: None,
        provider: if provider.is_empty() {
            "unknown".into()
        } else {
            provider
        },
        service: service
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| title.clone()),
        published: onus_prop(md_props, "model-published")
            .or(md["published"].as_str())
            .or(md["last-modified"].as_str())
            .and_then(|d| d.get(..10))
            .filter(|d| is_date(d))
            .map(str::to_string),
        source: Source {
            document: Some(title),
            url: arr(&md["links"])
                .iter()
                .find(|l| l["rel"].as_str() == Some("reference"))
                .and_then(|l| l["href"].as_str())
                .map(str::to_string),
            repository: None,
            license: onus_prop(md_props, "source-license").map(str::to_string),
            attribution: onus_prop(md_props, "source-attribution").map(str::to_string),
            notes: Some(Text::new(
                "en",
                format!(
                    "Imported by onus from the OSCAL {root} {}.",
                    body["uuid"].as_str().unwrap_or("")
                ),
            )),
        },
        language: lang.clone(),
        languages,
        translations: vec![],
        parties,
        roles: raci(),
        sections,
        activities,
        statements,
        audit: Default::default(),
        end_of_service: None,
        events: Vec::new(),
        lint: Default::default(),
    };
    let model = match embedded_model(body) {
        Some(Ok(base)) => restore(base, model, vocab),
        Some(Err(e)) => {
            notes.push(format!(
                "the onus model in the back-matter cannot be read ({e}): sections and roles are rebuilt from the statements"
            ));
            model
        }
        None => model,
    };
    Ok(Imported { model, notes })
}

/// The model onus embedded in the document's back-matter, if any.
fn embedded_model(body: &Value) -> Option<Result<Model, String>> {
    use base64::Engine as _;
    let res = arr(&body["back-matter"]["resources"])
        .iter()
        .find(|r| onus_prop(arr(&r["props"]), MODEL_RESOURCE).is_some())?;
    let value = res["base64"]["value"].as_str()?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Model>(&bytes).map_err(|e| e.to_string())),
    )
}

/// The embedded model's structure with the document's responsibilities: every activity and
/// statement the document has, in the embedded model's order (new ones after), each with its
/// texts, letters and topics as the document says; sections, roles, layers, translations and
/// the rest from the embedded model.
fn restore(base: Model, read: Model, vocab: &Vocabulary) -> Model {
    // What `common::Plan` writes: binding statements of a party, under a control.
    let wrote = |st: &Statement| {
        st.kind.binds()
            && st.party.as_deref().is_some_and(|p| base.party(p).is_some())
            && st
                .topics
                .iter()
                .any(|t| vocab.topic(t).is_some_and(|t| !t.controls.is_empty()))
    };
    let mut activities = Vec::with_capacity(read.activities.len());
    for b in &base.activities {
        if let Some(r) = read.activities.iter().find(|r| r.id == b.id) {
            let mut a = b.clone();
            a.text = r.text.clone();
            a.topics = r.topics.clone();
            // The document's letters, in the model's party order.
            a.roles = b
                .roles
                .keys()
                .filter_map(|p| Some((p.clone(), r.roles.get(p)?.clone())))
                .chain(
                    r.roles
                        .iter()
                        .filter(|(p, _)| !b.roles.contains_key(*p))
                        .map(|(p, l)| (p.clone(), l.clone())),
                )
                .collect();
            activities.push(a);
        }
    }
    for r in &read.activities {
        if !base.activities.iter().any(|b| b.id == r.id) {
            activities.push(r.clone());
        }
    }
    let mut statements = Vec::with_capacity(read.statements.len());
    for b in &base.statements {
        if let Some(r) = read.statements.iter().find(|r| r.id == b.id) {
            let mut st = b.clone();
            st.text = r.text.clone();
            st.topics = r.topics.clone();
            statements.push(st);
        } else if !wrote(b) {
            // A statement tied to no control has no place in a system security plan: it was
            // never in the document, so it was not removed from it.
            statements.push(b.clone());
        }
    }
    for r in &read.statements {
        if !base.statements.iter().any(|b| b.id == r.id) {
            statements.push(r.clone());
        }
    }
    let mut sections = base.sections.clone();
    for s in read.sections {
        let used = activities.iter().any(|a| a.section == s.id)
            || statements
                .iter()
                .any(|st| st.section.as_deref() == Some(s.id.as_str()));
        if used && !sections.iter().any(|x| x.id == s.id) {
            sections.push(s);
        }
    }
    Model {
        activities,
        statements,
        sections,
        ..base
    }
}

/// onus props named `<prefix><lang>`, as (lang, value).
fn lang_props<'a>(
    props: &'a [Value],
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    props
        .iter()
        .filter(|p| p["ns"].as_str() == Some(NS))
        .filter_map(move |p| {
            Some((
                p["name"].as_str()?.strip_prefix(prefix)?,
                p["value"].as_str()?,
            ))
        })
}

fn lang_of(md_props: &[Value]) -> String {
    onus_prop(md_props, "language").unwrap_or("en").to_string()
}

/// A role's kind when onus did not write it: the side of the entries that name it, else its name.
fn infer_kind(id: &str, title: &str, entries: &[Entry]) -> PartyKind {
    let names = |side| {
        entries
            .iter()
            .any(|e| e.side == side && e.roles.iter().any(|r| r == id))
    };
    let text = format!("{id} {title}").to_lowercase();
    if names(Side::Customer) {
        PartyKind::Customer
    } else if names(Side::Provided) {
        PartyKind::Provider
    } else if text.contains("customer") || text.contains("client") || text.contains("leveraging") {
        PartyKind::Customer
    } else if text.contains("provider") {
        PartyKind::Provider
    } else {
        PartyKind::ThirdParty
    }
}

/// The topics whose controls include an OSCAL control id.
fn topics_for(vocab: &Vocabulary, control: &str) -> Vec<String> {
    let Some(c) = ControlId::parse_oscal(control) else {
        return vec![];
    };
    vocab
        .topics
        .iter()
        .filter(|t| {
            t.controls
                .iter()
                .any(|x| ControlId::parse(x).is_some_and(|x| x == c))
        })
        .map(|t| t.id.clone())
        .collect()
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "imported".into()
    } else {
        out
    }
}

fn raci() -> RoleScheme {
    let l = |letter, duty, name: &str, def: &str| RoleLetter {
        letter,
        duty,
        name: Text::new("en", name),
        definition: Text::new("en", def),
    };
    RoleScheme {
        id: "raci".into(),
        letters: vec![
            l(
                'R',
                Duty::Responsible,
                "Responsible",
                "Carries out the activity",
            ),
            l(
                'A',
                Duty::Accountable,
                "Accountable",
                "Answers for the activity and approves it",
            ),
            l(
                'C',
                Duty::Consulted,
                "Consulted",
                "Is consulted before or during the activity",
            ),
            l(
                'I',
                Duty::Informed,
                "Informed",
                "Is informed of the results",
            ),
        ],
        note: None,
    }
}
