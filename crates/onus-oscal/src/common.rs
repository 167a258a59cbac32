//! What every document onus writes shares: stable UUIDs, control ids, metadata, props, and the
//! split of a model's duties per control into what the provider side provides and what is left
//! to the customer.

use std::collections::BTreeMap;

use onus_model::{Duty, LinkKind, Model, PartyKind, SourceRef, Text, Vocabulary};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The OSCAL version of every document onus writes.
pub const OSCAL_VERSION: &str = "1.2.2";

/// The namespace of the props onus adds to OSCAL documents (RACI letters, activity ids, ...).
pub const NS: &str = "https://onus.dev/ns/oscal";

/// NIST SP 800-53 rev. 5, as NIST publishes it in OSCAL. Documents point to it; onus never
/// fetches it.
pub const CATALOG_URL: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json";

/// What a document's `metadata` says that the model does not: the document's own date.
///
/// onus never reads the clock here: the CLI gives `--last-modified`, `SOURCE_DATE_EPOCH` or
/// the time of the export, and tests a fixed time, so the same model and options give the
/// same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocOptions {
    /// `metadata.last-modified`: when the document was written, RFC 3339 with a time zone.
    pub last_modified: String,
}

impl DocOptions {
    /// Options for a document written at `last_modified` (RFC 3339, with a time zone).
    pub fn at(last_modified: impl Into<String>) -> DocOptions {
        DocOptions {
            last_modified: last_modified.into(),
        }
    }
}

/// The functional role a kind of party holds in every document (`metadata.roles`).
pub fn role_id(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Provider => "provider",
        PartyKind::Customer => "customer",
        PartyKind::ThirdParty => "third-party",
    }
}

fn role_title(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Provider => "Service provider",
        PartyKind::Customer => "Customer",
        PartyKind::ThirdParty => "Third party",
    }
}

fn role_description(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Provider => {
            "Operates the service and provides the capabilities its customers inherit."
        }
        PartyKind::Customer => {
            "Uses the service (the leveraging system) and carries out the responsibilities left to it."
        }
        PartyKind::ThirdParty => {
            "Another organization that carries out part of the service (a hosting provider, a reseller, an integrator)."
        }
    }
}

/// A stable UUID (v5) for an element of the document derived from `model_id`.
///
/// The namespace is itself a v5 UUID of [`NS`] in the URL namespace, so the same model id and
/// element path always give the same UUID, on every machine.
pub fn stable_uuid(model_id: &str, path: &str) -> String {
    let ns = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    Uuid::new_v5(&ns, format!("{model_id}/{path}").as_bytes()).to_string()
}

/// An OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`) from any id: invalid characters become
/// `-`, and a leading `_` is added when the id does not start with a letter or `_`.
pub fn token(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        out.insert(0, '_');
    }
    out
}

/// Whether a string can be an OSCAL prop value (`^\S(.*\S)?$`, one line).
pub fn prop_value_ok(s: &str) -> bool {
    !s.is_empty() && !s.contains(['\n', '\r']) && s.trim() == s
}

/// An onus prop (in the [`NS`] namespace).
pub fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "ns": NS, "value": value})
}

/// Pushes an onus prop when the value is a valid prop value.
pub fn push_prop(props: &mut Vec<Value>, name: &str, value: &str) {
    if prop_value_ok(value) {
        props.push(prop(name, value));
    }
}

/// An SP 800-53 control id as written in the vocabulary (`CP-9(1)`), parsed for sorting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ControlId {
    family: String,
    number: u32,
    enhancement: Option<u32>,
    raw: String,
}

impl ControlId {
    /// Parses `AC-2`, `CP-9(1)`; `None` when the id is not of that form.
    pub fn parse(s: &str) -> Option<ControlId> {
        let s = s.trim();
        let (family, rest) = s.split_once('-')?;
        if family.len() != 2 || !family.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let (num, enh) = match rest.split_once('(') {
            Some((n, e)) => (n, Some(e.strip_suffix(')')?.parse().ok()?)),
            None => (rest, None),
        };
        Some(ControlId {
            family: family.to_ascii_uppercase(),
            number: num.parse().ok()?,
            enhancement: enh,
            raw: s.to_string(),
        })
    }

    /// Parses an OSCAL control id (`cp-9.1`).
    pub fn parse_oscal(s: &str) -> Option<ControlId> {
        let (base, enh) = match s.split_once('.') {
            Some((b, e)) => (b, Some(e)),
            None => (s, None),
        };
        let text = match enh {
            Some(e) => format!("{}({e})", base.to_ascii_uppercase()),
            None => base.to_ascii_uppercase(),
        };
        ControlId::parse(&text)
    }

    /// The id as NIST prints it (`CP-9(1)`).
    pub fn label(&self) -> String {
        match self.enhancement {
            Some(e) => format!("{}-{}({e})", self.family, self.number),
            None => format!("{}-{}", self.family, self.number),
        }
    }

    /// The id in OSCAL catalogs (`cp-9.1`).
    pub fn oscal(&self) -> String {
        match self.enhancement {
            Some(e) => format!("{}-{}.{e}", self.family.to_ascii_lowercase(), self.number),
            None => format!("{}-{}", self.family.to_ascii_lowercase(), self.number),
        }
    }
}

/// The controls a set of topics concerns, per the vocabulary, sorted and without repeats.
pub fn controls_of<'a>(
    vocab: &Vocabulary,
    topics: impl IntoIterator<Item = &'a String>,
) -> Vec<ControlId> {
    let mut out: Vec<ControlId> = topics
        .into_iter()
        .filter_map(|t| vocab.topic(t))
        .flat_map(|t| t.controls.iter().filter_map(|c| ControlId::parse(c)))
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.label() == b.label());
    out
}

/// Whether an item is an activity (a row with RACI letters) or a binding statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Activity,
    Statement(onus_model::StatementKind),
}

/// A duty of the model seen from OSCAL: an activity, or a statement that binds a party.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub kind: ItemKind,
    pub id: &'a str,
    pub section: Option<&'a str>,
    pub lead: Option<&'a Text>,
    pub text: &'a Text,
    /// Party id to letters; for a statement, its party with `R`.
    pub roles: Vec<(&'a str, String)>,
    pub topics: &'a [String],
    pub source: Option<&'a SourceRef>,
    /// Parties on the provider side (provider, third parties) that carry it out (R) or answer for it (A).
    pub provided_by: Vec<&'a str>,
    /// Customer parties that carry it out or answer for it.
    pub left_to: Vec<&'a str>,
}

impl Item<'_> {
    pub fn provided(&self) -> bool {
        !self.provided_by.is_empty()
    }
    pub fn customer_duty(&self) -> bool {
        !self.left_to.is_empty()
    }
}

/// Why a customer duty relies on a provided capability (`provided-uuid`).
#[derive(Debug, Clone, Copy)]
pub enum Basis<'a> {
    /// The provider side carries out the same duty: the customer's share of a shared duty.
    SameDuty,
    /// The model says so (`audit.relies_on`), with why.
    Reviewed(&'a Text),
    /// The customer's duty uses (`kind: use`) what a check sees, and the provider's duty
    /// provides it (`kind: provide`) by the same check (`audit.evidence`).
    Evidence(&'a str),
}

/// A duty placed under a control: at control level, or under one of its statements
/// (`ac-2_smt.a`) when the source names that statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub item: usize,
    /// The statement id, when the duty is placed under a statement.
    pub statement: Option<String>,
    /// A provided capability listed here only because a customer duty here relies on it.
    pub by_reliance: bool,
}

/// The duties of a model, and for each control of the vocabulary they concern, which of them.
#[derive(Debug)]
pub struct Plan<'a> {
    pub model: &'a Model,
    pub items: Vec<Item<'a>>,
    /// Control to the duties placed under it, in control order then model order (duties
    /// placed by reliance last).
    pub controls: BTreeMap<ControlId, Vec<Placed>>,
    /// (control, statement, customer duty) to the provided duty it relies on, and why.
    links: BTreeMap<(ControlId, Option<String>, usize), (usize, Basis<'a>)>,
}

/// The NIST SP 800-53 statement (`ac-2_smt.a`) or control (`ac-2`) ids a source ties a duty
/// to (an activity's `controls` of catalog `sp800-53`): (control, statement if any).
fn sp800_53_refs(a: &onus_model::Activity) -> Vec<(ControlId, Option<String>)> {
    a.controls
        .iter()
        .filter(|c| c.catalog == "sp800-53")
        .filter_map(|c| {
            let id = c.id.trim().to_ascii_lowercase();
            match id.split_once("_smt") {
                Some((control, rest)) => {
                    let control = ControlId::parse_oscal(control)?;
                    // `ac-2_smt` is the whole statement: control level.
                    let stmt = (!rest.is_empty() && statement_ok(&id)).then_some(id.clone());
                    Some((control, stmt))
                }
                None => Some((ControlId::parse_oscal(&id)?, None)),
            }
        })
        .collect()
}

/// Whether a statement id is one OSCAL can carry (a token: `ac-2_smt.a`, `ac-2.1_smt.b.2`).
fn statement_ok(id: &str) -> bool {
    token(id) == id
}

impl<'a> Plan<'a> {
    pub fn new(model: &'a Model, vocab: &Vocabulary) -> Plan<'a> {
        let kind_of = |p: &str| model.party(p).map(|p| p.kind);
        let doers = model
            .roles
            .letters_of(&[Duty::Responsible, Duty::Accountable]);
        let mut items = Vec::new();
        let mut refs: Vec<Vec<(ControlId, Option<String>)>> = Vec::new();
        for a in &model.activities {
            let roles: Vec<(&str, String)> = a
                .roles
                .iter()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(p, l)| (p.as_str(), l.clone()))
                .collect();
            let holds = |p: &&str| {
                a.roles
                    .get(*p)
                    .is_some_and(|l| l.chars().any(|c| doers.contains(&c)))
            };
            let parties: Vec<&str> = a
                .roles
                .keys()
                .map(String::as_str)
                .filter(|p| holds(p))
                .collect();
            items.push(Item {
                kind: ItemKind::Activity,
                id: &a.id,
                section: Some(&a.section),
                lead: a.lead.as_ref(),
                text: &a.text,
                roles,
                topics: &a.topics,
                source: a.source.as_ref(),
                provided_by: parties
                    .iter()
                    .copied()
                    .filter(|p| kind_of(p).is_some_and(|k| k != PartyKind::Customer))
                    .collect(),
                left_to: parties
                    .iter()
                    .copied()
                    .filter(|p| kind_of(p) == Some(PartyKind::Customer))
                    .collect(),
            });
            refs.push(sp800_53_refs(a));
        }
        for s in &model.statements {
            let Some(party) = s.party.as_deref() else {
                continue;
            };
            if !s.kind.binds() || model.party(party).is_none() {
                continue;
            }
            let customer = kind_of(party) == Some(PartyKind::Customer);
            items.push(Item {
                kind: ItemKind::Statement(s.kind),
                id: &s.id,
                section: s.section.as_deref(),
                lead: s.lead.as_ref(),
                text: &s.text,
                roles: vec![(party, "R".to_string())],
                topics: &s.topics,
                source: s.source.as_ref(),
                provided_by: if customer { vec![] } else { vec![party] },
                left_to: if customer { vec![party] } else { vec![] },
            });
            refs.push(vec![]);
        }
        let mut controls: BTreeMap<ControlId, Vec<Placed>> = BTreeMap::new();
        for (i, it) in items.iter().enumerate() {
            if !it.provided() && !it.customer_duty() {
                continue;
            }
            // The statements the source names; the topics' controls at control level unless
            // the source already placed the duty under one of that control's statements.
            let mut places: Vec<(ControlId, Option<String>)> = refs[i].clone();
            for c in controls_of(vocab, it.topics) {
                if !places.iter().any(|(x, _)| *x == c) {
                    places.push((c, None));
                }
            }
            for (c, statement) in places {
                let list = controls.entry(c).or_default();
                let p = Placed {
                    item: i,
                    statement,
                    by_reliance: false,
                };
                if !list.contains(&p) {
                    list.push(p);
                }
            }
        }
        let mut plan = Plan {
            model,
            items,
            controls,
            links: BTreeMap::new(),
        };
        plan.link();
        plan
    }

    /// The index of the duty with this id.
    fn index(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|it| it.id == id)
    }

    /// What each customer duty relies on, in order of preference: the model's reviewed
    /// reliances (`audit.relies_on`), then evidence links (a customer duty that uses what a
    /// check sees, a provider duty that provides it by the same check).
    fn reliances(&self) -> Vec<(usize, usize, Basis<'a>)> {
        let m = self.model;
        let mut out: Vec<(usize, usize, Basis<'a>)> = Vec::new();
        for r in &m.audit.relies_on {
            if let (Some(c), Some(p)) = (self.index(&r.activity), self.index(&r.capability)) {
                if self.items[c].customer_duty() && self.items[p].provided() {
                    out.push((c, p, Basis::Reviewed(&r.why)));
                }
            }
        }
        for u in m.audit.evidence.iter().filter(|l| l.kind == LinkKind::Use) {
            for v in m
                .audit
                .evidence
                .iter()
                .filter(|l| l.kind == LinkKind::Provide)
            {
                if u.check != v.check {
                    continue;
                }
                if let (Some(c), Some(p)) = (self.index(&u.activity), self.index(&v.activity)) {
                    let known = out.iter().any(|(x, y, _)| *x == c && *y == p);
                    if c != p && !known && self.items[c].customer_duty() && self.items[p].provided()
                    {
                        out.push((c, p, Basis::Evidence(&u.check)));
                    }
                }
            }
        }
        out
    }

    /// Ties each customer duty under each control (and statement) to the provided duty it
    /// relies on: itself when the provider side shares it, else the first of its reliances
    /// placed there, else its first reliance, placed there for it (`by_reliance`). A duty
    /// that relies on nothing gets no link: onus never links by position.
    fn link(&mut self) {
        let reliances = self.reliances();
        let mut added: Vec<(ControlId, Placed)> = Vec::new();
        for (control, placed) in &self.controls {
            for p in placed {
                let it = &self.items[p.item];
                if !it.customer_duty() {
                    continue;
                }
                let key = (control.clone(), p.statement.clone(), p.item);
                if it.provided() {
                    self.links.insert(key, (p.item, Basis::SameDuty));
                    continue;
                }
                let mine: Vec<&(usize, usize, Basis)> =
                    reliances.iter().filter(|(c, _, _)| *c == p.item).collect();
                let here = mine.iter().find(|(_, q, _)| {
                    placed
                        .iter()
                        .any(|x| x.item == *q && x.statement == p.statement)
                });
                if let Some((_, q, basis)) = here.or(mine.first()) {
                    self.links.insert(key, (*q, *basis));
                    let extra = Placed {
                        item: *q,
                        statement: p.statement.clone(),
                        by_reliance: true,
                    };
                    let listed = placed
                        .iter()
                        .any(|x| x.item == *q && x.statement == p.statement)
                        || added.iter().any(|(c, x)| c == control && *x == extra);
                    if !listed {
                        added.push((control.clone(), extra));
                    }
                }
            }
        }
        for (c, p) in added {
            if let Some(list) = self.controls.get_mut(&c) {
                list.push(p);
            }
        }
    }

    /// The provided duty a customer duty placed under `control` (and `statement`) relies on,
    /// and why; `None` when it relies on nothing the provider side provides.
    pub fn relies_on(
        &self,
        control: &ControlId,
        statement: Option<&str>,
        item: usize,
    ) -> Option<(usize, Basis<'a>)> {
        self.links
            .get(&(control.clone(), statement.map(str::to_string), item))
            .copied()
    }

    /// The scopes (control level, then each statement in order) of a control, each with the
    /// duties placed there.
    pub fn scopes(&self, control: &ControlId) -> Vec<(Option<&str>, Vec<&Placed>)> {
        let mut out: Vec<(Option<&str>, Vec<&Placed>)> = Vec::new();
        for p in self.controls.get(control).into_iter().flatten() {
            let s = p.statement.as_deref();
            match out.iter_mut().find(|(x, _)| *x == s) {
                Some((_, list)) => list.push(p),
                None => out.push((s, vec![p])),
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The model's source language.
    pub fn lang(&self) -> &str {
        &self.model.language
    }

    /// The text of an item in the source language.
    pub fn text(&self, i: usize) -> String {
        let t = self.items[i].text.best(self.lang()).trim();
        if t.is_empty() {
            format!("({})", self.items[i].id)
        } else {
            t.to_string()
        }
    }

    /// The onus props of an item: its id, RACI letters, topics, section and source location,
    /// and its texts in the other languages.
    pub fn item_props(&self, i: usize) -> Vec<Value> {
        let it = &self.items[i];
        let mut props = Vec::new();
        match it.kind {
            ItemKind::Activity => push_prop(&mut props, "activity-id", it.id),
            ItemKind::Statement(k) => {
                push_prop(&mut props, "statement-id", it.id);
                push_prop(&mut props, "statement-kind", k.as_str());
            }
        }
        if it.kind == ItemKind::Activity {
            for (party, letters) in &it.roles {
                push_prop(&mut props, &format!("raci-{}", token(party)), letters);
            }
        }
        for t in it.topics {
            push_prop(&mut props, "topic", t);
        }
        if let Some(s) = it.section {
            push_prop(&mut props, "section", s);
            if let Some(sec) = self.model.section(s) {
                push_prop(
                    &mut props,
                    "section-title",
                    sec.title.best(self.lang()).trim(),
                );
            }
        }
        if let Some(src) = it.source {
            push_prop(&mut props, "source-section", &src.section);
            if let Some(r) = src.row {
                push_prop(&mut props, "source-row", &r.to_string());
            }
            if let Some(l) = &src.list {
                push_prop(&mut props, "source-list", l);
            }
        }
        for (lang, text) in &it.text.0 {
            if lang != self.lang() {
                push_prop(&mut props, &format!("text-{}", token(lang)), text.trim());
            }
        }
        props
    }

    /// Remarks of an item: its lead-in sentence, when it has one.
    pub fn item_remarks(&self, i: usize) -> Option<String> {
        self.items[i]
            .lead
            .map(|l| l.best(self.lang()).trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// `responsible-roles` for the given parties: one functional role per kind of party
    /// (`provider`, `customer`, `third-party`), each with the parties that hold it.
    pub fn responsible_roles(&self, parties: &[&str]) -> Value {
        let mut roles: Vec<(PartyKind, Vec<String>)> = Vec::new();
        for p in parties.iter().filter_map(|p| self.model.party(p)) {
            let uuid = self.party_uuid(&p.id);
            match roles.iter_mut().find(|(k, _)| *k == p.kind) {
                Some((_, uuids)) if !uuids.contains(&uuid) => uuids.push(uuid),
                Some(_) => {}
                None => roles.push((p.kind, vec![uuid])),
            }
        }
        Value::Array(
            roles
                .into_iter()
                .map(|(k, uuids)| json!({"role-id": role_id(k), "party-uuids": uuids}))
                .collect(),
        )
    }

    pub fn uuid(&self, path: &str) -> String {
        stable_uuid(&self.model.id, path)
    }

    pub fn party_uuid(&self, party: &str) -> String {
        self.uuid(&format!("party/{party}"))
    }

    /// The names of the parties of a kind, joined (`Customer`).
    pub fn names(&self, kind: PartyKind) -> String {
        let names: Vec<&str> = self
            .model
            .parties
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.name.best(self.lang()))
            .collect();
        if names.is_empty() {
            kind.as_str().to_string()
        } else {
            names.join(", ")
        }
    }

    /// The document's `metadata`: title, `last-modified` (the document's date, from
    /// `opts`), version, the functional roles (one per kind of party the model has) and the
    /// parties (organizations) that hold them. The model's own date is the prop
    /// `model-published`.
    pub fn metadata(&self, title: String, opts: &DocOptions) -> Value {
        let m = self.model;
        let mut props = Vec::new();
        push_prop(&mut props, "model-id", &m.id);
        push_prop(&mut props, "model-version", &m.version);
        if let Some(p) = m.published.as_deref().filter(|p| is_date(p)) {
            push_prop(&mut props, "model-published", p);
        }
        push_prop(&mut props, "language", &m.language);
        for (lang, t) in &m.title.0 {
            push_prop(
                &mut props,
                &format!("model-title-{}", token(lang)),
                t.trim(),
            );
        }
        push_prop(&mut props, "role-scheme", &m.roles.id);
        // The source's licence and attribution travel with every document made from it.
        if let Some(l) = &m.source.license {
            push_prop(&mut props, "source-license", l.trim());
        }
        if let Some(a) = &m.source.attribution {
            push_prop(&mut props, "source-attribution", a.trim());
        }
        for l in &m.roles.letters {
            push_prop(
                &mut props,
                &format!("letter-{}", l.letter),
                &format!("{:?}", l.duty).to_ascii_lowercase(),
            );
        }
        let kinds = self.kinds();
        let roles: Vec<Value> = kinds
            .iter()
            .map(|k| json!({"id": role_id(*k), "title": role_title(*k), "description": role_description(*k)}))
            .collect();
        let parties: Vec<Value> = m
            .parties
            .iter()
            .map(|p| {
                let mut props = Vec::new();
                push_prop(&mut props, "party-id", &p.id);
                push_prop(&mut props, "party-kind", p.kind.as_str());
                for (lang, n) in &p.name.0 {
                    push_prop(&mut props, &format!("name-{}", token(lang)), n.trim());
                }
                json!({
                    "uuid": self.party_uuid(&p.id),
                    "type": "organization",
                    "name": p.name.best(self.lang()),
                    "short-name": p.id,
                    "props": props,
                })
            })
            .collect();
        let responsible: Vec<Value> = kinds
            .iter()
            .map(|k| {
                let uuids: Vec<String> = m
                    .parties
                    .iter()
                    .filter(|p| p.kind == *k)
                    .map(|p| self.party_uuid(&p.id))
                    .collect();
                json!({"role-id": role_id(*k), "party-uuids": uuids})
            })
            .collect();
        let mut links = Vec::new();
        if let Some(url) = &m.source.url {
            links.push(json!({"href": url, "rel": "reference", "text": m.source.document.clone().unwrap_or_else(|| url.clone())}));
        }
        let mut md = Map::new();
        md.insert("title".into(), title.into());
        md.insert("last-modified".into(), opts.last_modified.clone().into());
        md.insert("version".into(), m.version.clone().into());
        md.insert("oscal-version".into(), OSCAL_VERSION.into());
        md.insert("props".into(), props.into());
        md.insert("links".into(), links.into());
        md.insert("roles".into(), roles.into());
        md.insert("parties".into(), parties.into());
        md.insert("responsible-parties".into(), responsible.into());
        md.insert(
            "remarks".into(),
            format!(
                "Generated by onus from the shared-responsibility model `{}` version {}.",
                m.id, m.version
            )
            .into(),
        );
        Value::Object(md)
    }

    /// The kinds of party the model has, in the order provider, customer, third party.
    pub fn kinds(&self) -> Vec<PartyKind> {
        [
            PartyKind::Provider,
            PartyKind::Customer,
            PartyKind::ThirdParty,
        ]
        .into_iter()
        .filter(|k| self.model.parties.iter().any(|p| p.kind == *k))
        .collect()
    }

    /// The parties whose kind `pick` accepts, by id, in model order.
    pub fn parties_of(&self, pick: impl Fn(PartyKind) -> bool) -> Vec<&'a str> {
        self.model
            .parties
            .iter()
            .filter(|p| pick(p.kind))
            .map(|p| p.id.as_str())
            .collect()
    }

    /// `back-matter` with the SP 800-53 catalog and the model's source document.
    pub fn back_matter(&self) -> Value {
        let mut resources = vec![json!({
            "uuid": self.catalog_resource_uuid(),
            "title": "NIST SP 800-53 Rev. 5: Security and Privacy Controls for Information Systems and Organizations (catalog)",
            "rlinks": [{"href": CATALOG_URL, "media-type": "application/oscal.catalog+json"}],
            "remarks": "The controls of this document are those the onus topic vocabulary maps the model's duties to."
        })];
        let src = &self.model.source;
        if let Some(url) = &src.url {
            resources.push(json!({
                "uuid": self.uuid("resource/source"),
                "title": src.document.clone().unwrap_or_else(|| url.clone()),
                "rlinks": [{"href": url}],
            }));
        }
        resources.push(self.model_resource());
        json!({"resources": resources})
    }

    /// The model itself (its JSON form, base64), so that `onus import` gives back what OSCAL
    /// cannot say: the sections' tree, order and titles in every language, the role scheme,
    /// layers, translations. The responsibilities (texts, letters, topics) are read from the
    /// document's statements, which stay authoritative: an edit to them is imported.
    fn model_resource(&self) -> Value {
        let mut r = embedded(
            &self.uuid("resource/onus-model"),
            &format!("onus model {} {}", self.model.id, self.model.version),
            "The onus model this document was written from (JSON). onus import reads the structure from it and the responsibilities from the document.",
            &format!("{}.onus.json", self.model.id),
            "application/json",
            self.model,
        );
        r["props"] = json!([{"name": MODEL_RESOURCE, "ns": NS, "value": self.model.id.clone()}]);
        r
    }

    pub fn catalog_resource_uuid(&self) -> String {
        self.uuid("resource/catalog")
    }
}

pub use onus_model::is_date;

/// A back-matter resource holding a JSON document (base64 of its compact form), which an
/// `#uuid` link then resolves to: an embedded SSP, assessment plan or model.
pub fn embedded(
    uuid: &str,
    title: &str,
    description: &str,
    filename: &str,
    media_type: &str,
    doc: &impl serde::Serialize,
) -> Value {
    use base64::Engine as _;
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    json!({
        "uuid": uuid,
        "title": title,
        "description": description,
        "base64": {
            "filename": filename,
            "media-type": media_type,
            "value": base64::engine::general_purpose::STANDARD.encode(bytes),
        },
    })
}

/// The JSON document a back-matter resource embeds (`base64`), if it holds one.
pub fn embedded_json(resource: &Value) -> Option<Result<Value, String>> {
    use base64::Engine as _;
    let value = resource["base64"]["value"].as_str()?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string())),
    )
}

/// The onus prop naming the back-matter resource that holds the model (see `model_resource`).
pub const MODEL_RESOURCE: &str = "onus-model";

/// Removes empty arrays, empty objects and null values, recursively: OSCAL arrays have
/// `minItems: 1`, and onus never writes an empty element.
pub fn prune(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let v = prune(v);
                let empty = match &v {
                    Value::Null => true,
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    _ => false,
                };
                if !empty {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(prune)
                .filter(|v| match v {
                    Value::Null => false,
                    Value::Object(o) => !o.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids() {
        let c = ControlId::parse("CP-9(1)").unwrap();
        assert_eq!(c.oscal(), "cp-9.1");
        assert_eq!(c.label(), "CP-9(1)");
        assert_eq!(ControlId::parse_oscal("cp-9.1"), Some(c));
        assert!(ControlId::parse("CP-10") > ControlId::parse("CP-9"));
        assert!(ControlId::parse("nope").is_none());
    }

    #[test]
    fn tokens_and_uuids() {
        assert_eq!(token("ovhcloud"), "ovhcloud");
        assert_eq!(token("1st party"), "_1st-party");
        assert_eq!(stable_uuid("m", "x"), stable_uuid("m", "x"));
        assert_ne!(stable_uuid("m", "x"), stable_uuid("m", "y"));
        assert_eq!(&stable_uuid("m", "x")[14..15], "5");
    }
}
