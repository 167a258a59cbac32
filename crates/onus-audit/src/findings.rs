//! [`Findings`]: a check's failing (or erroring) items, stored compactly, each with what its
//! owner can be told from ([`Facts`]) and, once joined to a model, whose it is
//! ([`Attribution`]).
//!
//! Why not `Vec<Finding>`: an audit of a large cluster can fail on a hundred thousand items,
//! and three owned strings per item (id, reason, file) cost about 200 bytes each, more than
//! the input they come from. Here ids and reasons live in one string, repeated reasons are
//! stored once, file names are shared, facts and attributions (which few items differ in: a
//! namespace, a kind, a party) are stored once each, and an item costs 28 bytes plus its id.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use indexmap::IndexSet;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What ownership needs to know of an item's object, recorded by the engine for reported items
/// only: the object's kind and namespace, and the labels and annotations whose keys the run
/// records ([`crate::ownership::FactKeys`]). An item with no object (a cluster-scope check's
/// item) has a namespace only when the check says which (`item_namespace`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Facts {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    /// The labels and annotations of the recorded keys.
    pub marks: Marks,
}

/// Labels and annotations of the recorded keys, each sorted by key. Most objects have none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Marks {
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.annotations.is_empty()
    }
}

impl Facts {
    pub fn view(&self) -> FactsRef<'_> {
        FactsRef {
            kind: self.kind.as_deref(),
            namespace: self.namespace.as_deref(),
            marks: (!self.marks.is_empty()).then_some(&self.marks),
        }
    }
}

/// [`Facts`], borrowed from [`Findings`] (or from an owned `Facts`, [`Facts::view`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsRef<'a> {
    pub kind: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub marks: Option<&'a Marks>,
}

impl<'a> FactsRef<'a> {
    pub fn labels(&self) -> &'a [(String, String)] {
        self.marks.map_or(&[], |m| m.labels.as_slice())
    }

    pub fn annotations(&self) -> &'a [(String, String)] {
        self.marks.map_or(&[], |m| m.annotations.as_slice())
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.annotations()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn is_empty(&self) -> bool {
        self.kind.is_none() && self.namespace.is_none() && self.marks.is_none()
    }
}

/// Whose a failing item is, as the join to a model decided (docs/audit.md, "Item ownership").
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attribution {
    /// The parties that can fix it: the holders of the reviewed duties it lands on; when it
    /// lands on none, the owner of its object (when known).
    pub parties: Vec<String>,
    /// The party that owns the item's object: the party of the model's managed scope that
    /// matches it, else the model's customer. Absent for an item with no object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What made the owner: the managed scope's criterion that matched (`namespace
    /// kube-system`); absent when the owner is the customer by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_by: Option<String>,
    /// The duties it lands on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duties: Vec<DutyRef>,
    /// Why it lands on no reviewed duty; absent when it lands on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<Unassigned>,
}

/// A duty an item lands on: an activity, and the party holding R or A in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DutyRef {
    pub party: String,
    pub activity: String,
    /// Through a link suggested from topics, not reviewed: it does not count toward the duty's
    /// status nor decide the item's parties.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suggested: bool,
}

/// Why an item lands on no reviewed duty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Unassigned {
    pub reason: UnassignedReason,
    /// The activities linked to the check for the item's reason (held by other parties).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnassignedReason {
    /// The model says the check (or this reason of it) concerns no duty; the check's report
    /// says why.
    NoDuty,
    /// The model's authors did not review the check: its links, if any, are suggested.
    NotReviewed,
    /// The model links the check, but not for this reason.
    NoLinkForReason,
    /// The object's owner holds none of the duties linked to the check for this reason.
    OwnerHoldsNoLinkedDuty,
}

impl UnassignedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnassignedReason::NoDuty => "no-duty",
            UnassignedReason::NotReviewed => "not-reviewed",
            UnassignedReason::NoLinkForReason => "no-link-for-reason",
            UnassignedReason::OwnerHoldsNoLinkedDuty => "owner-holds-no-linked-duty",
        }
    }
}

/// A failing (or erroring) item, owned: the JSON form of one item. [`Findings`] hands out
/// [`FindingRef`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The item's id (`shop/Deployment/web/nginx`).
    pub id: String,
    /// Why it fails (`missing requests.cpu`); several reasons are joined by `; `.
    pub reason: String,
    /// File the item's object was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The object's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The object's namespace (or the item's, for a cluster-scope check that says it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's labels among the keys the run records.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The object's annotations among the keys the run records.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Whose it is, set by the join; absent before (its `parties` field is required: an
    /// item without one reads back as not attributed).
    #[serde(flatten)]
    pub attribution: Option<Attribution>,
}

impl Finding {
    fn facts(&self) -> Facts {
        Facts {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            marks: Marks {
                labels: self
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                annotations: self
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        }
    }
}

/// A failing item, borrowed from [`Findings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingRef<'a> {
    pub id: &'a str,
    pub reason: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub facts: Option<FactsRef<'a>>,
    /// Set once the findings are joined to a model.
    pub attribution: Option<&'a Attribution>,
}

impl<'a> FindingRef<'a> {
    pub fn to_owned(&self) -> Finding {
        let facts = self.facts;
        let a = self.attribution;
        Finding {
            id: self.id.to_string(),
            reason: self.reason.to_string(),
            file: self.file.map(str::to_string),
            line: self.line,
            kind: facts.and_then(|f| f.kind.map(str::to_string)),
            namespace: facts.and_then(|f| f.namespace.map(str::to_string)),
            labels: facts.map_or_else(BTreeMap::new, |f| f.labels().iter().cloned().collect()),
            annotations: facts
                .map_or_else(BTreeMap::new, |f| f.annotations().iter().cloned().collect()),
            attribution: a.cloned(),
        }
    }

    /// The parties that can fix the item (empty before the join).
    pub fn parties(&self) -> &'a [String] {
        self.attribution.map_or(&[], |a| a.parties.as_slice())
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.facts.and_then(|f| f.namespace)
    }

    pub fn kind(&self) -> Option<&'a str> {
        self.facts.and_then(|f| f.kind)
    }
}

/// Pairs written as a JSON object.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The same fields, in the same order, as [`Finding`]'s serde form, written without copying.
impl Serialize for FindingRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", self.id)?;
        m.serialize_entry("reason", self.reason)?;
        if let Some(file) = self.file {
            m.serialize_entry("file", file)?;
        }
        if let Some(line) = self.line {
            m.serialize_entry("line", &line)?;
        }
        if let Some(f) = self.facts {
            if let Some(k) = f.kind {
                m.serialize_entry("kind", k)?;
            }
            if let Some(ns) = f.namespace {
                m.serialize_entry("namespace", ns)?;
            }
            if !f.labels().is_empty() {
                m.serialize_entry("labels", &Pairs(f.labels()))?;
            }
            if !f.annotations().is_empty() {
                m.serialize_entry("annotations", &Pairs(f.annotations()))?;
            }
        }
        if let Some(a) = self.attribution {
            m.serialize_entry("parties", &a.parties)?;
            if let Some(o) = &a.owner {
                m.serialize_entry("owner", o)?;
            }
            if let Some(b) = &a.owner_by {
                m.serialize_entry("owner_by", b)?;
            }
            if !a.duties.is_empty() {
                m.serialize_entry("duties", &a.duties)?;
            }
            if let Some(u) = &a.unassigned {
                m.serialize_entry("unassigned", u)?;
            }
        }
        m.end()
    }
}

const NONE: u32 = u32::MAX;

/// A [`Facts`] stored in a [`Findings`]: kind and namespace as indices of its shared strings,
/// and its marks as an index (`NONE`: none). Twelve bytes, hashed as integers: a large audit
/// records a few thousand distinct ones per worker and check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FactsKey {
    kind: u32,
    namespace: u32,
    marks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: (u32, u32),
    /// Index into `strings`.
    reason: u32,
    /// Index into `files`, or `NONE`.
    file: u32,
    /// `NONE` when unknown.
    line: u32,
    /// Index into `facts`, or `NONE`.
    facts: u32,
    /// Index into `attributions`, or `NONE` before the join.
    attribution: u32,
}

/// A list of findings in the order pushed. Serializes as a JSON array of [`Finding`]s, exactly
/// as a `Vec<Finding>` would.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    text: String,
    entries: Vec<Entry>,
    files: Vec<Arc<str>>,
    /// Every reason, kind and namespace, stored once in `text`: its place, by index.
    strings: Vec<(u32, u32)>,
    /// Index in `strings` by the string's hash, while items are added (dropped by `seal`). The
    /// strings themselves are only in `text`: no second copy per distinct string (a large
    /// audit has thousands of namespaces per worker and check).
    interned: HashMap<u64, u32>,
    hasher: std::hash::RandomState,
    facts: Vec<FactsKey>,
    /// The last facts stored at each slot of their hash, while items are added (dropped by
    /// `seal`): items of one object, and objects of one namespace, come together, so this
    /// finds nearly every repeat without a table of every distinct one. A miss only stores the
    /// facts again (twelve bytes).
    recent: Vec<u32>,
    marks: IndexSet<Marks>,
    attributions: IndexSet<Attribution>,
}

impl PartialEq for Findings {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE - 1)
}

impl Findings {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn put(&mut self, s: &str) -> (u32, u32) {
        let at = self.text.len();
        self.text.push_str(s);
        // Offsets past 4 GiB of ids cannot happen before memory runs out; saturate rather
        // than panic.
        (
            u32::try_from(at).unwrap_or(NONE),
            u32::try_from(s.len()).unwrap_or(0),
        )
    }

    fn file_index(&mut self, file: &Arc<str>) -> u32 {
        // Findings of one check come from few files, and mostly the same one in a row.
        if let Some(i) = self
            .files
            .iter()
            .rposition(|f| Arc::ptr_eq(f, file) || f == file)
        {
            return i as u32;
        }
        self.files.push(file.clone());
        (self.files.len() - 1) as u32
    }

    /// A string stored once (reasons, kinds, namespaces repeat), by index.
    fn intern(&mut self, s: &str) -> u32 {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(s);
        if let Some(&i) = self.interned.get(&h) {
            if self.string(i) == Some(s) {
                return i;
            }
            // Two strings with one hash: store this one apart (interning only saves space).
            let at = self.put(s);
            self.strings.push(at);
            return index(self.strings.len() - 1);
        }
        let at = self.put(s);
        let i = index(self.strings.len());
        self.strings.push(at);
        self.interned.insert(h, i);
        i
    }

    fn string(&self, i: u32) -> Option<&str> {
        self.strings.get(i as usize).map(|at| self.str_at(*at))
    }

    /// Frees what only adding items needs and shrinks the tables to their size: a large
    /// audit keeps its findings until the report is written. Items added later are still
    /// stored, their strings again.
    pub(crate) fn seal(&mut self) {
        self.interned = HashMap::new();
        self.recent = Vec::new();
        self.entries.shrink_to_fit();
        self.text.shrink_to_fit();
        self.strings.shrink_to_fit();
        self.facts.shrink_to_fit();
        self.marks.shrink_to_fit();
    }

    fn facts_index(&mut self, f: FactsRef<'_>) -> u32 {
        if f.is_empty() {
            return NONE;
        }
        let key = FactsKey {
            kind: f.kind.map_or(NONE, |k| self.intern(k)),
            namespace: f.namespace.map_or(NONE, |n| self.intern(n)),
            marks: f
                .marks
                .map_or(NONE, |m| index(self.marks.insert_full(m.clone()).0)),
        };
        use std::hash::BuildHasher;
        const SLOTS: usize = 1024;
        if self.recent.is_empty() {
            self.recent = vec![NONE; SLOTS];
        }
        let slot = (self.hasher.hash_one(key) as usize) % SLOTS;
        let at = self.recent[slot];
        if self.facts.get(at as usize) == Some(&key) {
            return at;
        }
        let i = index(self.facts.len());
        self.facts.push(key);
        self.recent[slot] = i;
        i
    }

    fn facts_at(&self, i: u32) -> Option<FactsRef<'_>> {
        let key = self.facts.get(i as usize)?;
        Some(FactsRef {
            kind: self.string(key.kind),
            namespace: self.string(key.namespace),
            marks: self.marks.get_index(key.marks as usize),
        })
    }

    fn push_entry(
        &mut self,
        id: &str,
        reason: &str,
        file: Option<&Arc<str>>,
        line: Option<usize>,
        facts: u32,
        attribution: u32,
    ) {
        let id = self.put(id);
        let reason = self.intern(reason);
        let file = file.map_or(NONE, |f| self.file_index(f));
        let line = line.map_or(NONE, |l| u32::try_from(l).unwrap_or(NONE - 1));
        self.entries.push(Entry {
            id,
            reason,
            file,
            line,
            facts,
            attribution,
        });
    }

    /// Adds an item without facts (nothing known of its object).
    pub fn push(&mut self, id: &str, reason: &str, file: Option<&Arc<str>>, line: Option<usize>) {
        self.push_entry(id, reason, file, line, NONE, NONE);
    }

    /// Adds an item with what is known of its object.
    pub fn push_with(
        &mut self,
        id: &str,
        reason: &str,
        file: Option<&Arc<str>>,
        line: Option<usize>,
        facts: Option<FactsRef<'_>>,
    ) {
        let facts = facts.map_or(NONE, |f| self.facts_index(f));
        self.push_entry(id, reason, file, line, facts, NONE);
    }

    pub fn push_finding(&mut self, f: &Finding) {
        let file = f.file.as_deref().map(Arc::<str>::from);
        let facts = self.facts_index(f.facts().view());
        let attribution = f
            .attribution
            .as_ref()
            .map_or(NONE, |a| index(self.attributions.insert_full(a.clone()).0));
        self.push_entry(&f.id, &f.reason, file.as_ref(), f.line, facts, attribution);
    }

    fn str_at(&self, (at, len): (u32, u32)) -> &str {
        self.text
            .get(at as usize..at as usize + len as usize)
            .unwrap_or("")
    }

    fn view(&self, e: &Entry) -> FindingRef<'_> {
        FindingRef {
            id: self.str_at(e.id),
            reason: self.string(e.reason).unwrap_or(""),
            file: (e.file != NONE)
                .then(|| self.files.get(e.file as usize).map(|f| &**f))
                .flatten(),
            line: (e.line != NONE).then_some(e.line as usize),
            facts: self.facts_at(e.facts),
            attribution: self.attributions.get_index(e.attribution as usize),
        }
    }

    pub fn get(&self, i: usize) -> Option<FindingRef<'_>> {
        self.entries.get(i).map(|e| self.view(e))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = FindingRef<'_>> + '_ {
        self.entries.iter().map(|e| self.view(e))
    }

    /// Attributes every item: `decide(reason, facts)` is asked once per distinct pair (items
    /// of one object kind and namespace with one reason share the answer), and replaces any
    /// attribution made before (a report joined again to another model).
    pub fn attribute(&mut self, mut decide: impl FnMut(&str, Option<FactsRef<'_>>) -> Attribution) {
        let mut attributions: IndexSet<Attribution> = IndexSet::new();
        let mut known: HashMap<(u32, u32), u32> = HashMap::new();
        // Take the entries out to write their attributions while reading the rest.
        let mut entries = std::mem::take(&mut self.entries);
        for e in &mut entries {
            let key = (e.reason, e.facts);
            e.attribution = match known.get(&key) {
                Some(a) => *a,
                None => {
                    let reason = self.string(e.reason).unwrap_or("");
                    let a = decide(reason, self.facts_at(e.facts));
                    let a = index(attributions.insert_full(a).0);
                    known.insert(key, a);
                    a
                }
            };
        }
        self.entries = entries;
        self.attributions = attributions;
    }

    /// Each distinct attribution with the number of items it has.
    pub fn attributions(&self) -> Vec<(&Attribution, usize)> {
        let mut counts = vec![0usize; self.attributions.len()];
        for e in &self.entries {
            if let Some(c) = counts.get_mut(e.attribution as usize) {
                *c += 1;
            }
        }
        self.attributions.iter().zip(counts).collect()
    }

    /// Concatenates parts, each item with a sort key, into one list ordered by the keys
    /// (stable: equal keys keep their part order).
    pub fn merge_sorted<K: Ord + Copy>(parts: Vec<(Findings, Vec<K>)>) -> Findings {
        let mut order: Vec<(K, usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, (_, keys))| keys.iter().enumerate().map(move |(i, k)| (*k, p, i)))
            .collect();
        order.sort_by_key(|&(k, p, i)| (k, p, i));
        let mut out = Findings::default();
        // Exact sizes: a large audit has a hundred thousand findings, and doubling growth
        // would leave up to half of that unused.
        out.entries.reserve_exact(order.len());
        out.text
            .reserve_exact(parts.iter().map(|(f, _)| f.text.len()).sum());
        // Each part's facts and attributions, as indices into the merged tables.
        let mut facts_of: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
        let mut attributions_of: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
        for (part, _) in &parts {
            facts_of.push(
                (0..part.facts.len())
                    .map(|i| match part.facts_at(index(i)) {
                        Some(f) => out.facts_index(f),
                        None => NONE,
                    })
                    .collect(),
            );
            attributions_of.push(
                part.attributions
                    .iter()
                    .map(|a| index(out.attributions.insert_full(a.clone()).0))
                    .collect(),
            );
        }
        for (_, p, i) in order {
            let (part, _) = &parts[p];
            if let Some(e) = part.entries.get(i) {
                let f = part.view(e);
                let file = (e.file != NONE)
                    .then(|| part.files.get(e.file as usize))
                    .flatten();
                let facts = facts_of[p].get(e.facts as usize).copied().unwrap_or(NONE);
                let attribution = attributions_of[p]
                    .get(e.attribution as usize)
                    .copied()
                    .unwrap_or(NONE);
                out.push_entry(f.id, f.reason, file, f.line, facts, attribution);
            }
        }
        out.seal();
        out
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = FindingRef<'a>;
    type IntoIter = Box<dyn ExactSizeIterator<Item = FindingRef<'a>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl FromIterator<Finding> for Findings {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Self {
        let mut f = Findings::default();
        for x in iter {
            f.push_finding(&x);
        }
        f
    }
}

impl Serialize for Findings {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for f in self.iter() {
            seq.serialize_element(&f)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Findings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Finding>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: &str, ns: Option<&str>) -> Facts {
        Facts {
            kind: Some(kind.into()),
            namespace: ns.map(str::to_string),
            marks: Marks {
                labels: vec![("app.kubernetes.io/managed-by".into(), "Helm".into())],
                annotations: vec![],
            },
        }
    }

    #[test]
    fn pushes_reads_and_serializes_like_a_vec() {
        let file: Arc<str> = Arc::from("x.yaml");
        let mut f = Findings::default();
        f.push("ns/Pod/a/c", "missing requests.cpu", Some(&file), Some(3));
        f.push_with(
            "ns/Pod/b/c",
            "missing requests.cpu",
            Some(&file),
            Some(9),
            Some(facts("Pod", Some("ns")).view()),
        );
        f.push("cluster", "no IngressClass", None, None);
        assert_eq!(f.len(), 3);
        assert_eq!(f.get(1).unwrap().id, "ns/Pod/b/c");
        assert_eq!(f.get(1).unwrap().reason, "missing requests.cpu");
        assert_eq!(f.get(1).unwrap().namespace(), Some("ns"));
        assert_eq!(f.get(2).unwrap().file, None);
        let as_vec: Vec<Finding> = f.iter().map(|x| x.to_owned()).collect();
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json, serde_json::to_value(&as_vec).unwrap());
        assert_eq!(
            json[1]["labels"],
            serde_json::json!({"app.kubernetes.io/managed-by": "Helm"})
        );
        assert!(json[0].get("kind").is_none() && json[0].get("parties").is_none());
        let back: Findings = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
        // The repeated reason is stored once, and so are kinds and namespaces.
        assert_eq!(f.text.matches("missing requests.cpu").count(), 1);
        f.push_with(
            "ns/Pod/c/c",
            "missing requests.cpu",
            None,
            None,
            Some(facts("Pod", Some("ns")).view()),
        );
        assert_eq!(
            f.text.matches("Pod").count(),
            4,
            "3 ids and one kind: {}",
            f.text
        );
        assert_eq!(f.facts.len(), 1, "the same facts are stored once");
        assert_eq!(f.strings.len(), 4, "2 reasons, a kind, a namespace");
    }

    #[test]
    fn attribution_is_decided_once_per_reason_and_object_and_survives_json() {
        let mut f = Findings::default();
        for i in 0..5 {
            f.push_with(
                &format!("kube-system/DaemonSet/d{i}"),
                "hostPath volume x",
                None,
                None,
                Some(facts("DaemonSet", Some("kube-system")).view()),
            );
        }
        f.push_with(
            "shop/Deployment/web",
            "hostPath volume x",
            None,
            None,
            Some(facts("Deployment", Some("shop")).view()),
        );
        let mut asked = 0;
        f.attribute(|_, facts| {
            asked += 1;
            let provider = facts.and_then(|x| x.namespace) == Some("kube-system");
            Attribution {
                parties: vec![if provider { "provider" } else { "customer" }.into()],
                owner: None,
                owner_by: provider.then(|| "namespace kube-system".into()),
                duties: vec![],
                unassigned: provider.then_some(Unassigned {
                    reason: UnassignedReason::OwnerHoldsNoLinkedDuty,
                    linked: vec!["1.1-r5".into()],
                }),
            }
        });
        assert_eq!(asked, 2);
        assert_eq!(f.get(0).unwrap().parties(), ["provider"]);
        assert_eq!(f.get(5).unwrap().parties(), ["customer"]);
        let counts: Vec<usize> = f.attributions().iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [5, 1]);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            json[0]["unassigned"]["reason"],
            "owner-holds-no-linked-duty"
        );
        let back: Findings = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
        assert_eq!(
            back.get(0).unwrap().attribution,
            f.get(0).unwrap().attribution
        );
    }

    #[test]
    fn merge_sorted_orders_by_key_stably() {
        let mut a = Findings::default();
        a.push("a3", "r", None, Some(3));
        a.push_with(
            "a1",
            "r",
            None,
            Some(1),
            Some(facts("Pod", Some("a")).view()),
        );
        let mut b = Findings::default();
        b.push_with(
            "b2",
            "s",
            None,
            Some(2),
            Some(facts("Pod", Some("b")).view()),
        );
        b.push("b1", "s", None, Some(1));
        let m = Findings::merge_sorted(vec![(a, vec![3u64, 1]), (b, vec![2, 1])]);
        let ids: Vec<&str> = m.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["a1", "b1", "b2", "a3"]);
        let ns: Vec<Option<&str>> = m.iter().map(|f| f.namespace()).collect();
        assert_eq!(ns, [Some("a"), None, Some("b"), None]);
    }
}
