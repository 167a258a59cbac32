//! A semantic diff between two models of the same lineage: two versions of a provider's
//! matrix, or two language editions of it.
//!
//! Activities are aligned by id; those left over are aligned by text similarity (in any
//! language both models share), preferring the same section. The result lists responsibility
//! shifts first (a party gained or lost R or A), then added and removed activities, then the
//! other role changes (C, I), wording changes and other field changes.

use std::collections::BTreeSet;

use onus_model::query::fold;
use onus_model::{Activity, Duty, Model, PartyKind};
use serde::Serialize;

/// The two models compared.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRef {
    pub id: String,
    pub version: String,
    pub language: String,
}

/// How two activities were paired.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Matched {
    Id,
    /// By text similarity (0 to 1).
    Text {
        similarity: f64,
    },
}

/// Which way a duty moved between kinds of parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The provider held it; now the customer does.
    ProviderToCustomer,
    /// The customer held it; now the provider does.
    CustomerToProvider,
    /// It went to a third party (a reseller, an integrator).
    ToThirdParty,
    /// A third party held it; now the customer or the provider does.
    FromThirdParty,
    /// Moved between parties of the same kind.
    Reassigned,
}

impl Direction {
    /// A sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            Direction::ProviderToCustomer => "moved from the provider onto the customer",
            Direction::CustomerToProvider => "moved from the customer onto the provider",
            Direction::ToThirdParty => "moved onto a third party",
            Direction::FromThirdParty => "moved off a third party",
            Direction::Reassigned => "reassigned between parties of the same kind",
        }
    }
}

/// One party's cell before and after.
#[derive(Debug, Clone, Serialize)]
pub struct PartyChange {
    /// The party's id in the new model (in the old one when it is gone).
    pub party: String,
    pub name: String,
    pub kind: PartyKind,
    pub old: String,
    pub new: String,
    /// Letters of duties gained and lost (`R`, `A`, `C`, `I`).
    pub gained: String,
    pub lost: String,
}

/// A paired activity whose roles changed.
#[derive(Debug, Clone, Serialize)]
pub struct RoleChange {
    pub old_id: String,
    pub new_id: String,
    pub section: String,
    pub text: String,
    pub matched: Matched,
    /// Set when responsibility (R or A) moved from one kind of party to another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    pub parties: Vec<PartyChange>,
}

/// An activity present on one side only.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRef {
    pub id: String,
    pub section: String,
    pub text: String,
    /// `party: letters` for the parties holding a role.
    pub roles: Vec<(String, String)>,
}

/// A text that changed in one language.
#[derive(Debug, Clone, Serialize)]
pub struct Wording {
    pub id: String,
    /// `text` or `lead`.
    pub field: String,
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// Another field of a paired activity that changed (`section`, `topics`, `layer`, `cadence`, `id`).
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub id: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Statements added, removed or reworded, by id.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatementChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// The diff of two models.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: ModelRef,
    pub new: ModelRef,
    /// Activities where a party gained or lost R or A.
    pub shifts: Vec<RoleChange>,
    pub added: Vec<ActivityRef>,
    pub removed: Vec<ActivityRef>,
    /// Activities whose roles changed in C or I only.
    pub other_role_changes: Vec<RoleChange>,
    pub wording: Vec<Wording>,
    pub fields: Vec<FieldChange>,
    pub statements: StatementChanges,
}

impl Diff {
    /// Whether any responsibility shifted (what `--exit-code` reports).
    pub fn has_shifts(&self) -> bool {
        !self.shifts.is_empty()
    }

    /// Whether the two models say the same.
    pub fn is_empty(&self) -> bool {
        self.shifts.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.other_role_changes.is_empty()
            && self.wording.is_empty()
            && self.fields.is_empty()
            && self.statements.added.is_empty()
            && self.statements.removed.is_empty()
            && self.statements.changed.is_empty()
    }
}

/// Similarity needed to pair two activities of the same section, and of different sections.
const SAME_SECTION: f64 = 0.6;
const OTHER_SECTION: f64 = 0.85;

/// Diffs `old` against `new`; texts are shown in `lang` when the models have it.
pub fn diff(old: &Model, new: &Model, lang: &str) -> Diff {
    // Pair by id, then by text.
    let mut pairs: Vec<(usize, usize, Matched)> = Vec::new();
    let mut old_left: Vec<usize> = Vec::new();
    let mut new_used = vec![false; new.activities.len()];
    for (i, a) in old.activities.iter().enumerate() {
        match new.activities.iter().position(|b| b.id == a.id) {
            Some(j) => {
                pairs.push((i, j, Matched::Id));
                new_used[j] = true;
            }
            None => old_left.push(i),
        }
    }
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for &i in &old_left {
        for (j, used) in new_used.iter().enumerate() {
            if *used {
                continue;
            }
            let (a, b) = (&old.activities[i], &new.activities[j]);
            let s = similarity(a, b);
            let same = same_section(old, a, new, b);
            if s >= if same { SAME_SECTION } else { OTHER_SECTION } {
                candidates.push((s + if same { 0.01 } else { 0.0 }, i, j));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut old_taken: Vec<usize> = Vec::new();
    for (s, i, j) in candidates {
        if new_used[j] || old_taken.contains(&i) {
            continue;
        }
        new_used[j] = true;
        old_taken.push(i);
        pairs.push((
            i,
            j,
            Matched::Text {
                similarity: (s.min(1.0) * 100.0).round() / 100.0,
            },
        ));
    }
    pairs.sort_by_key(|p| p.1);

    let mut d = Diff {
        old: ModelRef {
            id: old.id.clone(),
            version: old.version.clone(),
            language: old.language.clone(),
        },
        new: ModelRef {
            id: new.id.clone(),
            version: new.version.clone(),
            language: new.language.clone(),
        },
        shifts: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        other_role_changes: Vec::new(),
        wording: Vec::new(),
        fields: Vec::new(),
        statements: StatementChanges::default(),
    };
    for &(i, j, matched) in &pairs {
        let (a, b) = (&old.activities[i], &new.activities[j]);
        if let Some(rc) = roles(old, a, new, b, matched, lang) {
            let shift = rc
                .parties
                .iter()
                .any(|p| p.gained.contains(['R', 'A']) || p.lost.contains(['R', 'A']));
            if shift {
                d.shifts.push(rc);
            } else {
                d.other_role_changes.push(rc);
            }
        }
        wording(a, b, &mut d.wording);
        let mut field = |name: &str, x: String, y: String| {
            if x != y {
                d.fields.push(FieldChange {
                    id: b.id.clone(),
                    field: name.into(),
                    old: x,
                    new: y,
                });
            }
        };
        field("id", a.id.clone(), b.id.clone());
        if !same_section(old, a, new, b) {
            field("section", a.section.clone(), b.section.clone());
        }
        field("topics", a.topics.join(", "), b.topics.join(", "));
        field(
            "layer",
            a.layer.clone().unwrap_or_default(),
            b.layer.clone().unwrap_or_default(),
        );
        field(
            "cadence",
            a.cadence.clone().unwrap_or_default(),
            b.cadence.clone().unwrap_or_default(),
        );
    }
    let paired_old: BTreeSet<usize> = pairs.iter().map(|p| p.0).collect();
    for (i, a) in old.activities.iter().enumerate() {
        if !paired_old.contains(&i) {
            d.removed.push(aref(a, lang));
        }
    }
    for (j, b) in new.activities.iter().enumerate() {
        if !new_used[j] {
            d.added.push(aref(b, lang));
        }
    }
    for s in &old.statements {
        match new.statements.iter().find(|t| t.id == s.id) {
            None => d.statements.removed.push(s.id.clone()),
            Some(t) => {
                if s.kind != t.kind
                    || s.party != t.party
                    || s.text
                        .0
                        .iter()
                        .any(|(l, x)| t.text.get(l).is_some_and(|y| y != x))
                {
                    d.statements.changed.push(s.id.clone());
                }
            }
        }
    }
    for t in &new.statements {
        if !old.statements.iter().any(|s| s.id == t.id) {
            d.statements.added.push(t.id.clone());
        }
    }
    d
}

fn aref(a: &Activity, lang: &str) -> ActivityRef {
    ActivityRef {
        id: a.id.clone(),
        section: a.section.clone(),
        text: a.text.best(lang).to_string(),
        roles: a
            .roles
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(p, l)| (p.clone(), l.clone()))
            .collect(),
    }
}

/// The best similarity of the two texts in a language both have (1 is identical).
fn similarity(a: &Activity, b: &Activity) -> f64 {
    a.text
        .0
        .iter()
        .filter_map(|(l, x)| {
            b.text
                .get(l)
                .map(|y| strsim::normalized_levenshtein(&norm(x), &norm(y)))
        })
        .fold(0.0, f64::max)
}

fn norm(s: &str) -> String {
    fold(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_section(old: &Model, a: &Activity, new: &Model, b: &Activity) -> bool {
    if a.section == b.section {
        return true;
    }
    let (Some(x), Some(y)) = (old.section(&a.section), new.section(&b.section)) else {
        return false;
    };
    x.title
        .0
        .iter()
        .any(|(l, t)| y.title.get(l).is_some_and(|u| norm(u) == norm(t)))
}

/// The party of `new` that stands for party `p` of `old`: same id, else the only party of the
/// same kind, else the same name.
fn map_party<'m>(old: &Model, p: &str, new: &'m Model) -> Option<&'m onus_model::Party> {
    if let Some(q) = new.party(p) {
        return Some(q);
    }
    let op = old.party(p)?;
    let same_kind: Vec<_> = new.parties.iter().filter(|q| q.kind == op.kind).collect();
    let old_same_kind = old.parties.iter().filter(|q| q.kind == op.kind).count();
    if same_kind.len() == 1 && old_same_kind == 1 {
        return Some(same_kind[0]);
    }
    new.parties.iter().find(|q| {
        q.name
            .all()
            .any(|n| op.name.all().any(|m| norm(m) == norm(n)))
    })
}

/// The duties of a cell as canonical letters, in RACI order.
fn duties(m: &Model, cell: &str) -> String {
    let held: Vec<char> = cell
        .chars()
        .filter_map(|c| {
            m.roles
                .letters
                .iter()
                .find(|l| l.letter == c)
                .map(|l| letter(l.duty))
        })
        .collect();
    "RACI".chars().filter(|c| held.contains(c)).collect()
}

fn letter(d: Duty) -> char {
    match d {
        Duty::Responsible => 'R',
        Duty::Accountable => 'A',
        Duty::Consulted => 'C',
        Duty::Informed => 'I',
    }
}

fn roles(
    old: &Model,
    a: &Activity,
    new: &Model,
    b: &Activity,
    matched: Matched,
    lang: &str,
) -> Option<RoleChange> {
    // Cells keyed by the new model's party ids (old-only parties keep their ids).
    let mut keys: Vec<(String, Option<String>)> = Vec::new(); // (new id or old id, old id)
    for p in &old.parties {
        let k = map_party(old, &p.id, new)
            .map(|q| q.id.clone())
            .unwrap_or_else(|| p.id.clone());
        keys.push((k, Some(p.id.clone())));
    }
    for q in &new.parties {
        if !keys.iter().any(|(k, _)| *k == q.id) {
            keys.push((q.id.clone(), None));
        }
    }
    let mut parties = Vec::new();
    let mut lost_kinds = BTreeSet::new();
    let mut gained_kinds = BTreeSet::new();
    for (k, old_id) in &keys {
        let o = old_id.as_deref().map(|id| old.letters(a, id)).unwrap_or("");
        let n = new.letters(b, k);
        let (od, nd) = (duties(old, o), duties(new, n));
        if od == nd {
            continue;
        }
        let gained: String = nd.chars().filter(|c| !od.contains(*c)).collect();
        let lost: String = od.chars().filter(|c| !nd.contains(*c)).collect();
        let party = new
            .party(k)
            .or_else(|| old_id.as_deref().and_then(|id| old.party(id)));
        let kind = party.map_or(PartyKind::ThirdParty, |p| p.kind);
        if gained.contains(['R', 'A']) {
            gained_kinds.insert(kind.as_str());
        }
        if lost.contains(['R', 'A']) {
            lost_kinds.insert(kind.as_str());
        }
        parties.push(PartyChange {
            party: k.clone(),
            name: party
                .map(|p| p.name.best(lang).to_string())
                .unwrap_or_else(|| k.clone()),
            kind,
            old: o.to_string(),
            new: n.to_string(),
            gained,
            lost,
        });
    }
    if parties.is_empty() {
        return None;
    }
    let (p, c, t) = (
        PartyKind::Provider.as_str(),
        PartyKind::Customer.as_str(),
        PartyKind::ThirdParty.as_str(),
    );
    let direction = if lost_kinds.is_empty() || gained_kinds.is_empty() {
        None
    } else if lost_kinds.contains(p) && gained_kinds.contains(c) {
        Some(Direction::ProviderToCustomer)
    } else if lost_kinds.contains(c) && gained_kinds.contains(p) {
        Some(Direction::CustomerToProvider)
    } else if gained_kinds.contains(t) && !lost_kinds.contains(t) {
        Some(Direction::ToThirdParty)
    } else if lost_kinds.contains(t) && !gained_kinds.contains(t) {
        Some(Direction::FromThirdParty)
    } else {
        Some(Direction::Reassigned)
    };
    Some(RoleChange {
        old_id: a.id.clone(),
        new_id: b.id.clone(),
        section: b.section.clone(),
        text: b.text.best(lang).to_string(),
        matched,
        direction,
        parties,
    })
}

fn wording(a: &Activity, b: &Activity, out: &mut Vec<Wording>) {
    let mut one = |field: &str, x: Option<&onus_model::Text>, y: Option<&onus_model::Text>| {
        let langs: BTreeSet<&str> = x
            .iter()
            .flat_map(|t| t.languages())
            .chain(y.iter().flat_map(|t| t.languages()))
            .collect();
        for l in langs {
            let (o, n) = (x.and_then(|t| t.get(l)), y.and_then(|t| t.get(l)));
            // A language present on one side only is an edition's choice, not a rewording.
            if let (Some(o), Some(n)) = (o, n) {
                if o != n {
                    out.push(Wording {
                        id: b.id.clone(),
                        field: field.into(),
                        lang: l.into(),
                        old: Some(o.into()),
                        new: Some(n.into()),
                    });
                }
            }
        }
    };
    one("text", Some(&a.text), Some(&b.text));
    one("lead", a.lead.as_ref(), b.lead.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;
    use onus_model::{load_str, Options, Vocabulary, BUILTIN};

    fn builtin(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    #[test]
    fn french_and_english_editions_shift_exactly_two_rows_onto_the_provider() {
        let d = diff(&builtin("ovhcloud-mks"), &builtin("ovhcloud-mks-en"), "en");
        let ids: Vec<&str> = d.shifts.iter().map(|s| s.new_id.as_str()).collect();
        assert_eq!(ids, ["3.1.2-r3", "3.1.6-r3"]);
        for s in &d.shifts {
            assert_eq!(s.direction, Some(Direction::CustomerToProvider));
            assert_eq!(s.matched, Matched::Id);
        }
        assert!(d.added.is_empty() && d.removed.is_empty() && d.other_role_changes.is_empty());
        assert!(d.has_shifts());
    }

    #[test]
    fn a_model_against_itself_is_empty_and_reworded_rows_are_paired_by_text() {
        let m = builtin("ovhcloud-mks");
        assert!(diff(&m, &m, "fr").is_empty());
        let mut n = m.clone();
        n.activities[0].id = "renamed".into();
        n.activities[0].text.set(
            "fr",
            "Choisir le projet Public Cloud dans lequel sera créé le cluster Kubernetes",
        );
        n.activities[1].roles.insert("customer".into(), "I".into());
        n.activities[1].roles.insert("ovhcloud".into(), "RA".into());
        n.activities.remove(5);
        let d = diff(&m, &n, "fr");
        assert_eq!(d.shifts.len(), 1);
        assert_eq!(d.shifts[0].direction, Some(Direction::CustomerToProvider));
        assert_eq!(d.removed.len(), 1);
        assert!(d.added.is_empty());
        assert!(d
            .wording
            .iter()
            .any(|w| w.id == "renamed" && w.lang == "fr"));
        assert!(d
            .fields
            .iter()
            .any(|f| f.field == "id" && f.new == "renamed"));
    }
}
