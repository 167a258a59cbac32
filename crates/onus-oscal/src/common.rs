//! What every document onus writes shares: stable UUIDs, control ids, metadata, props, and the
//! split of a model's duties per control into what the provider side provides and what is left
//! to the customer.

use std::collections::BTreeMap;

use onus_model::{Duty, Model, PartyKind, SourceRef, Text, Vocabulary};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The OSCAL version of every document onus writes.
pub const OSCAL_VERSION: &str = "1.2.2";

/// The namespace of the props onus adds to OSCAL documents (RACI letters, activity ids, ...).
pub const NS: &str = "https://onus.dev/ns/oscal";

/// NIST SP 800-53 rev. 5, as NIST publishes it in OSCAL. Documents point to it; onus never
/// fetches it.
pub const CATALOG_URL: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json";

/// Fallback `last-modified` when a model has no valid `published` date.
const EPOCH: &str = "1970-01-01T00:00:00Z";

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

/// The duties of a model, and for each control of the vocabulary they concern, which of them.
#[derive(Debug)]
pub struct Plan<'a> {
    pub model: &'a Model,
    pub items: Vec<Item<'a>>,
    /// Control to item indexes, in control order then model order.
    pub controls: BTreeMap<ControlId, Vec<usize>>,
}

impl<'a> Plan<'a> {
    pub fn new(model: &'a Model, vocab: &Vocabulary) -> Plan<'a> {
        let kind_of = |p: &str| model.party(p).map(|p| p.kind);
        let doers = model
            .roles
            .letters_of(&[Duty::Responsible, Duty::Accountable]);
        let mut items = Vec::new();
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
        }
        let mut controls: BTreeMap<ControlId, Vec<usize>> = BTreeMap::new();
        for (i, it) in items.iter().enumerate() {
            if !it.provided() && !it.customer_duty() {
                continue;
            }
            for c in controls_of(vocab, it.topics) {
                controls.entry(c).or_default().push(i);
            }
        }
        Plan {
            model,
            items,
            controls,
        }
    }

    /// The provided item a customer duty of `control` depends on: the same item when the
    /// provider side also carries it out, else the first provided item of the control that
    /// shares a topic mapped to the control.
    pub fn depends_on(
        &self,
        control: &ControlId,
        item: usize,
        vocab: &Vocabulary,
    ) -> Option<usize> {
        let it = &self.items[item];
        if it.provided() {
            return Some(item);
        }
        let in_control: Vec<usize> = self.controls.get(control)?.clone();
        let maps = |t: &String| {
            vocab.topic(t).is_some_and(|t| {
                t.controls
                    .iter()
                    .any(|c| ControlId::parse(c).is_some_and(|c| &c == control))
            })
        };
        in_control.into_iter().find(|&j| {
            j != item
                && self.items[j].provided()
                && self.items[j]
                    .topics
                    .iter()
                    .any(|t| maps(t) && it.topics.contains(t))
        })
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

    /// `responsible-roles` for the given parties (one role per party).
    pub fn responsible_roles(&self, parties: &[&str]) -> Value {
        Value::Array(
            parties
                .iter()
                .map(|p| json!({"role-id": token(p), "party-uuids": [self.party_uuid(p)]}))
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

    /// The document's `metadata`: title, dates, version, the parties and one role per party.
    pub fn metadata(&self, title: String) -> Value {
        let m = self.model;
        let mut props = Vec::new();
        push_prop(&mut props, "model-id", &m.id);
        push_prop(&mut props, "model-version", &m.version);
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
        let roles: Vec<Value> = m
            .parties
            .iter()
            .map(|p| {
                let mut props = Vec::new();
                push_prop(&mut props, "party-id", &p.id);
                push_prop(&mut props, "party-kind", p.kind.as_str());
                for (lang, n) in &p.name.0 {
                    push_prop(&mut props, &format!("name-{}", token(lang)), n.trim());
                }
                json!({"id": token(&p.id), "title": p.name.best(self.lang()), "props": props})
            })
            .collect();
        let parties: Vec<Value> = m.parties.iter().map(|p| json!({"uuid": self.party_uuid(&p.id), "type": "organization", "name": p.name.best(self.lang())})).collect();
        let responsible: Vec<Value> = m
            .parties
            .iter()
            .map(|p| json!({"role-id": token(&p.id), "party-uuids": [self.party_uuid(&p.id)]}))
            .collect();
        let mut links = Vec::new();
        if let Some(url) = &m.source.url {
            links.push(json!({"href": url, "rel": "reference", "text": m.source.document.clone().unwrap_or_else(|| url.clone())}));
        }
        let mut md = Map::new();
        md.insert("title".into(), title.into());
        if let Some(p) = m.published.as_deref().filter(|p| is_date(p)) {
            md.insert("published".into(), format!("{p}T00:00:00Z").into());
        }
        md.insert("last-modified".into(), self.last_modified().into());
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

    /// `last-modified`, derived from the model's publication date so that output is stable.
    pub fn last_modified(&self) -> String {
        match self.model.published.as_deref().filter(|p| is_date(p)) {
            Some(p) => format!("{p}T00:00:00Z"),
            None if is_date(&self.model.version) => format!("{}T00:00:00Z", self.model.version),
            None => EPOCH.to_string(),
        }
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
        use base64::Engine as _;
        let json = serde_json::to_vec(self.model).unwrap_or_default();
        json!({
            "uuid": self.uuid("resource/onus-model"),
            "title": format!("onus model {} {}", self.model.id, self.model.version),
            "description": "The onus model this document was written from (JSON). onus import reads the structure from it and the responsibilities from the document.",
            "props": [{"name": MODEL_RESOURCE, "ns": NS, "value": self.model.id.clone()}],
            "base64": {
                "filename": format!("{}.onus.json", self.model.id),
                "media-type": "application/json",
                "value": base64::engine::general_purpose::STANDARD.encode(json),
            },
        })
    }

    pub fn catalog_resource_uuid(&self) -> String {
        self.uuid("resource/catalog")
    }
}

pub use onus_model::is_date;

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
