//! [`Findings`]: a check's failing (or erroring) items, stored compactly.
//!
//! Why not `Vec<Finding>`: an audit of a large cluster can fail on a hundred thousand items,
//! and three owned strings per item (id, reason, file) cost about 200 bytes each, more than
//! the input they come from. Here ids and reasons live in one string, repeated reasons are
//! stored once, file names are shared, and an item costs about 24 bytes plus its id.

use std::collections::HashMap;
use std::sync::Arc;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A failing (or erroring) item, owned. [`Findings`] hands out [`FindingRef`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The item's id (`shop/Deployment/web/nginx`).
    pub id: String,
    /// Why it fails (`missing requests.cpu`).
    pub reason: String,
    /// File the item's object was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// A failing item, borrowed from [`Findings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FindingRef<'a> {
    pub id: &'a str,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl FindingRef<'_> {
    pub fn to_owned(&self) -> Finding {
        Finding {
            id: self.id.to_string(),
            reason: self.reason.to_string(),
            file: self.file.map(str::to_string),
            line: self.line,
        }
    }
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: (u32, u32),
    reason: (u32, u32),
    /// Index into `files`, or `NONE`.
    file: u32,
    /// `NONE` when unknown.
    line: u32,
}

/// A list of findings in the order pushed. Serializes as a JSON array of
/// `{id, reason, file?, line?}`, exactly as a `Vec<Finding>` would.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    text: String,
    entries: Vec<Entry>,
    files: Vec<Arc<str>>,
    reasons: HashMap<Box<str>, (u32, u32)>,
}

impl PartialEq for Findings {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
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

    pub fn push(&mut self, id: &str, reason: &str, file: Option<&Arc<str>>, line: Option<usize>) {
        let id = self.put(id);
        let reason = match self.reasons.get(reason) {
            Some(r) => *r,
            None => {
                let r = self.put(reason);
                self.reasons.insert(reason.into(), r);
                r
            }
        };
        let file = file.map_or(NONE, |f| self.file_index(f));
        let line = line.map_or(NONE, |l| u32::try_from(l).unwrap_or(NONE - 1));
        self.entries.push(Entry {
            id,
            reason,
            file,
            line,
        });
    }

    pub fn push_finding(&mut self, f: &Finding) {
        let file = f.file.as_deref().map(Arc::<str>::from);
        self.push(&f.id, &f.reason, file.as_ref(), f.line);
    }

    fn str_at(&self, (at, len): (u32, u32)) -> &str {
        self.text
            .get(at as usize..at as usize + len as usize)
            .unwrap_or("")
    }

    fn view(&self, e: &Entry) -> FindingRef<'_> {
        FindingRef {
            id: self.str_at(e.id),
            reason: self.str_at(e.reason),
            file: (e.file != NONE)
                .then(|| self.files.get(e.file as usize).map(|f| &**f))
                .flatten(),
            line: (e.line != NONE).then_some(e.line as usize),
        }
    }

    pub fn get(&self, i: usize) -> Option<FindingRef<'_>> {
        self.entries.get(i).map(|e| self.view(e))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = FindingRef<'_>> + '_ {
        self.entries.iter().map(|e| self.view(e))
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
        for (_, p, i) in order {
            let (part, _) = &parts[p];
            if let Some(e) = part.entries.get(i) {
                let f = part.view(e);
                let file = (e.file != NONE)
                    .then(|| part.files.get(e.file as usize))
                    .flatten();
                out.push(f.id, f.reason, file, f.line);
            }
        }
        out.text.shrink_to_fit();
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

    #[test]
    fn pushes_reads_and_serializes_like_a_vec() {
        let file: Arc<str> = Arc::from("x.yaml");
        let mut f = Findings::default();
        f.push("ns/Pod/a/c", "missing requests.cpu", Some(&file), Some(3));
        f.push("ns/Pod/b/c", "missing requests.cpu", Some(&file), Some(9));
        f.push("cluster", "no IngressClass", None, None);
        assert_eq!(f.len(), 3);
        assert_eq!(f.get(1).unwrap().id, "ns/Pod/b/c");
        assert_eq!(f.get(1).unwrap().reason, "missing requests.cpu");
        assert_eq!(f.get(2).unwrap().file, None);
        let as_vec: Vec<Finding> = f.iter().map(|x| x.to_owned()).collect();
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::to_value(&as_vec).unwrap()
        );
        let back: Findings = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
        // The repeated reason is stored once.
        assert_eq!(
            f.text.len(),
            "ns/Pod/a/cmissing requests.cpuns/Pod/b/cclusterno IngressClass".len()
        );
    }

    #[test]
    fn merge_sorted_orders_by_key_stably() {
        let mut a = Findings::default();
        a.push("a3", "r", None, Some(3));
        a.push("a1", "r", None, Some(1));
        let mut b = Findings::default();
        b.push("b2", "s", None, Some(2));
        b.push("b1", "s", None, Some(1));
        let m = Findings::merge_sorted(vec![(a, vec![3u64, 1]), (b, vec![2, 1])]);
        let ids: Vec<&str> = m.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["a1", "b1", "b2", "a3"]);
    }
}
