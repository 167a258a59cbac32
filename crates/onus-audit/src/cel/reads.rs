//! What a check reads of the objects, by abstract interpretation of its compiled expressions.
//!
//! Every expression gets an abstract value ([`Abs`]): the document paths it may be a part of
//! (under the judged `object`, or under the objects of a kind reached through `objects`,
//! `objectsIn` or `lookup` with a literal kind), and, for maps and lists the expression
//! builds, what their fields and elements may be. Each use of a value then records a need on
//! its paths: a selection (`x.f`, `has(x.f)`, `dig(x, "a.b", d)`, `podSpec`, `ref`, `nsOf`)
//! extends a path; a comparison with `null` needs the node to exist (projection keeps its kind
//! and null-ness); `size`, iteration and concatenation need every element (or key) to exist;
//! any other use (a comparison, a function's argument, the result) needs the whole subtree.
//!
//! The engine keeps only what this says of objects kept for cross-object checks, so it errs on
//! the side of reading more: a value whose origin is unknown is treated as read whole when it
//! could be a document part.

use std::collections::{BTreeMap, BTreeSet};

use onus_inventory::doc::Need;

use super::compile::{CompKind, DigPath, Ex, Fun, Op};
use super::value::Val;
use super::Program;

/// What a check reads, by static analysis of its expressions.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reads {
    /// Parts of `object` (the judged object) read.
    pub object: Need,
    /// Parts of the objects reached via `objects`/`objectsIn`/`lookup`, per literal kind.
    pub kinds: BTreeMap<String, Need>,
    /// Literal kinds given to `namespacesWith`.
    pub namespaces_of: BTreeSet<String>,
    /// Whether `objects`, `objectsIn`, `lookup` or `namespacesWith` is called at all.
    pub cross: bool,
    /// Whether one of those is called with a kind that is not a literal (the engine then
    /// keeps the check's declared kinds whole).
    pub dynamic_kinds: bool,
}

/// What a check reads. `item` is bound to the elements of `items` when given, else to
/// `object` itself; while `when` and `items` run it is taken to be `object` (a superset of
/// what either binding reads).
pub fn reads(
    when: Option<&Program>,
    items: Option<&Program>,
    item_id: Option<&Program>,
    rule: &Program,
) -> Reads {
    reads_all(when, items, item_id.as_slice(), rule)
}

/// [`reads`], with several expressions evaluated per reported item (`item_id`,
/// `item_namespace`).
pub fn reads_all(
    when: Option<&Program>,
    items: Option<&Program>,
    per_item: &[&Program],
    rule: &Program,
) -> Reads {
    let object = Abs::path(Root::Object, Vec::new());
    let mut an = Analysis {
        reads: Reads::default(),
        item: object.clone(),
        slots: Vec::new(),
    };
    if let Some(w) = when {
        let a = an.ex(&w.root);
        an.whole(&a);
    }
    if let Some(items) = items {
        let a = an.ex(&items.root);
        an.count(&a);
        an.item = a.each();
    }
    for p in per_item {
        let a = an.ex(&p.root);
        an.whole(&a);
    }
    let a = an.ex(&rule.root);
    an.whole(&a);
    // Only what the expressions read: the engine knows each kept object's kind, name and
    // namespace from the inventory, without reading its document.
    an.reads
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Root {
    Object,
    Kind(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Key(String),
    /// Any element of a list, or any value of a map.
    Each,
}

type Path = (Root, Vec<Seg>);

/// What a value may be, as far as reads go (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
struct Abs {
    /// A part of a document at one of these paths.
    paths: BTreeSet<Path>,
    /// A built map whose field may be...
    fields: BTreeMap<String, Abs>,
    /// A built list whose elements may be...
    elems: Option<Box<Abs>>,
}

impl Abs {
    fn path(root: Root, segs: Vec<Seg>) -> Abs {
        Abs {
            paths: [(root, segs)].into(),
            ..Abs::default()
        }
    }

    fn list_of(e: Abs) -> Abs {
        Abs {
            elems: Some(Box::new(e)),
            ..Abs::default()
        }
    }

    fn join(&mut self, other: Abs) {
        self.paths.extend(other.paths);
        for (k, v) in other.fields {
            self.fields.entry(k).or_default().join(v);
        }
        if let Some(e) = other.elems {
            match &mut self.elems {
                Some(mine) => mine.join(*e),
                None => self.elems = Some(e),
            }
        }
    }

    fn with_seg(&self, seg: Seg) -> BTreeSet<Path> {
        self.paths
            .iter()
            .map(|(r, segs)| {
                let mut segs = segs.clone();
                segs.push(seg.clone());
                (r.clone(), segs)
            })
            .collect()
    }

    /// `x.key`, `x["key"]`.
    fn select(&self, key: &str) -> Abs {
        let mut out = Abs {
            paths: self.with_seg(Seg::Key(key.to_string())),
            ..Abs::default()
        };
        if let Some(f) = self.fields.get(key) {
            out.join(f.clone());
        }
        out
    }

    fn select_path(&self, keys: &[&str]) -> Abs {
        keys.iter().fold(self.clone(), |a, k| a.select(k))
    }

    /// Any element (or map value) of `x`.
    fn each(&self) -> Abs {
        let mut out = Abs {
            paths: self.with_seg(Seg::Each),
            ..Abs::default()
        };
        if let Some(e) = &self.elems {
            out.join((**e).clone());
        }
        for f in self.fields.values() {
            out.join(f.clone());
        }
        out
    }
}

/// How a path is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// All of it.
    Whole,
    /// That it is there (and its kind, and whether it is null).
    Exists,
    /// That its elements (or keys) are all there: `size`, iteration, concatenation.
    Count,
}

struct Analysis {
    reads: Reads,
    item: Abs,
    /// Abstract values of comprehension variables.
    slots: Vec<Abs>,
}

impl Analysis {
    fn record(&mut self, (root, segs): &Path, how: Use) {
        let mut need = match root {
            Root::Object => &mut self.reads.object,
            Root::Kind(k) => self.reads.kinds.entry(k.clone()).or_default(),
        };
        for s in segs {
            need = match s {
                Seg::Key(k) => need.fields.entry(k.clone()).or_default(),
                Seg::Each => need.each.get_or_insert_with(Box::default),
            };
        }
        match how {
            Use::Whole => need.merge(&Need::whole()),
            Use::Exists => {}
            Use::Count => {
                need.each.get_or_insert_with(Box::default);
            }
        }
    }

    fn use_as(&mut self, a: &Abs, how: Use) {
        for p in &a.paths {
            self.record(p, how);
        }
        // A built map or list itself is always there; what it holds is used as it is only
        // when the whole value is.
        if how == Use::Whole {
            for f in a.fields.values() {
                self.use_as(f, how);
            }
            if let Some(e) = &a.elems {
                self.use_as(e, how);
            }
        }
    }

    fn whole(&mut self, a: &Abs) {
        self.use_as(a, Use::Whole);
    }

    fn exists(&mut self, a: &Abs) {
        self.use_as(a, Use::Exists);
    }

    fn count(&mut self, a: &Abs) {
        self.use_as(a, Use::Count);
    }

    fn set_slot(&mut self, i: usize, a: Abs) {
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Abs::default());
        }
        self.slots[i] = a;
    }

    /// Analyses `x` and uses its value whole; nothing is known of the result.
    fn opaque(&mut self, x: &Ex) -> Abs {
        let a = self.ex(x);
        self.whole(&a);
        Abs::default()
    }

    fn ex(&mut self, x: &Ex) -> Abs {
        match x {
            Ex::Const(_) | Ex::Now | Ex::Params | Ex::Param(_) => Abs::default(),
            Ex::Object => Abs::path(Root::Object, Vec::new()),
            Ex::Item => self.item.clone(),
            Ex::Slot(i) => self.slots.get(*i).cloned().unwrap_or_default(),
            Ex::Memo(_, x) => self.ex(x),
            Ex::List(xs) => {
                let mut e = Abs::default();
                for x in xs.iter() {
                    let a = self.ex(x);
                    e.join(a);
                }
                Abs::list_of(e)
            }
            Ex::Map(kvs) => {
                let literal = kvs.iter().all(|(k, _)| matches!(k, Ex::Const(Val::Str(_))));
                let mut out = Abs::default();
                for (k, v) in kvs.iter() {
                    let va = self.ex(v);
                    match k {
                        Ex::Const(Val::Str(s)) if literal => {
                            out.fields.entry(s.to_string()).or_default().join(va)
                        }
                        _ => {
                            self.opaque(k);
                            self.whole(&va);
                        }
                    }
                }
                out
            }
            Ex::Select(x, f) => self.ex(x).select(f),
            Ex::Path(x, fs) => {
                let a = self.ex(x);
                fs.iter().fold(a, |a, f| a.select(f))
            }
            Ex::Has(x, f) => {
                let a = self.ex(x).select(f);
                self.exists(&a);
                Abs::default()
            }
            Ex::Index(ai) => {
                let a = self.ex(&ai[0]);
                self.opaque(&ai[1]);
                match &ai[1] {
                    Ex::Const(Val::Str(k)) => a.select(k),
                    _ => a.each(),
                }
            }
            Ex::And(xs) | Ex::Or(xs) => {
                for x in xs.iter() {
                    self.opaque(x);
                }
                Abs::default()
            }
            Ex::Not(x) | Ex::Neg(x) | Ex::NotStrictlyFalse(x) | Ex::Matches(x, _) => self.opaque(x),
            Ex::ImageField(x, _) => self.opaque(x),
            Ex::Cond(c) => {
                self.opaque(&c[0]);
                let mut a = self.ex(&c[1]);
                a.join(self.ex(&c[2]));
                a
            }
            Ex::Bin(op, ab) => self.binary(*op, &ab[0], &ab[1]),
            Ex::AddN(xs) => self.concat(xs),
            Ex::Call(f, args) => self.call(*f, args),
            Ex::Dig(d) => {
                let v = self.ex(&d.v);
                let default = self.ex(&d.default);
                let mut found = match &d.path {
                    DigPath::Steps(steps) => steps.iter().fold(v, |a, s| {
                        // A numeric step indexes a list, or is a key of a map.
                        let mut next = a.select(&s.key);
                        if s.index.is_some() {
                            next.join(a.each());
                        }
                        next
                    }),
                    DigPath::Never => Abs::default(),
                    DigPath::Dyn(p) => {
                        self.opaque(p);
                        self.whole(&v);
                        Abs::default()
                    }
                };
                found.join(default);
                found
            }
            Ex::Comp(c) => {
                let range = self.ex(&c.range);
                self.count(&range);
                let elem = range.each();
                match c.var2 {
                    Some(v2) => {
                        // (index or key, element or value): the first is a number or a key.
                        self.set_slot(c.var, elem.clone());
                        self.set_slot(v2, elem.clone());
                    }
                    None => self.set_slot(c.var, elem.clone()),
                }
                match &c.kind {
                    CompKind::Exists(p) | CompKind::All(p) | CompKind::ExistsOne(p) => {
                        self.opaque(p);
                        Abs::default()
                    }
                    CompKind::Filter(p) => {
                        self.opaque(p);
                        Abs::list_of(elem)
                    }
                    CompKind::Map(p, f) => {
                        if let Some(p) = p {
                            self.opaque(p);
                        }
                        Abs::list_of(self.ex(f))
                    }
                    CompKind::Fold {
                        accu,
                        init,
                        cond,
                        step,
                        result,
                    } => {
                        let mut acc = self.ex(init);
                        let mut settled = false;
                        for _ in 0..8 {
                            self.set_slot(*accu, acc.clone());
                            self.opaque(cond);
                            let s = self.ex(step);
                            let mut next = acc.clone();
                            next.join(s);
                            if next == acc {
                                settled = true;
                                break;
                            }
                            acc = next;
                        }
                        if !settled {
                            // Still growing: keep all it reached whole; parts derived from it
                            // later are below those paths.
                            self.whole(&acc);
                            acc = Abs::default();
                        }
                        self.set_slot(*accu, acc);
                        self.ex(result)
                    }
                }
            }
        }
    }

    fn binary(&mut self, op: Op, a: &Ex, b: &Ex) -> Abs {
        let null = |x: &Ex| matches!(x, Ex::Const(Val::Null));
        match op {
            Op::Eq | Op::Ne if null(a) || null(b) => {
                let x = if null(a) { b } else { a };
                let v = self.ex(x);
                self.exists(&v);
                Abs::default()
            }
            Op::Add => self.concat(&[a, b]),
            _ => {
                self.opaque(a);
                self.opaque(b);
                Abs::default()
            }
        }
    }

    /// `a + b + ...`: numbers, strings, or lists whose elements are those of the operands.
    fn concat<X: std::borrow::Borrow<Ex>>(&mut self, xs: &[X]) -> Abs {
        let mut elems = Abs::default();
        for x in xs {
            let a = self.ex(x.borrow());
            self.count(&a);
            elems.join(a.each());
        }
        Abs::list_of(elems)
    }

    fn call(&mut self, f: Fun, args: &[Ex]) -> Abs {
        let literal = |x: &Ex| match x {
            Ex::Const(Val::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        match (f, args) {
            (Fun::Size, [x]) => {
                let a = self.ex(x);
                self.count(&a);
                Abs::default()
            }
            (Fun::Type, [x]) => {
                let a = self.ex(x);
                self.exists(&a);
                Abs::default()
            }
            (Fun::Dyn, [x]) => self.ex(x),
            (Fun::Objects | Fun::ObjectsIn | Fun::Lookup, [kind, rest @ ..]) => {
                self.reads.cross = true;
                for r in rest {
                    self.opaque(r);
                }
                let Some(kind) = literal(kind) else {
                    self.reads.dynamic_kinds = true;
                    return self.opaque(kind);
                };
                self.reads.kinds.entry(kind.clone()).or_default();
                let object = Abs::path(Root::Kind(kind), Vec::new());
                if f == Fun::Lookup {
                    object
                } else {
                    Abs::list_of(object)
                }
            }
            (Fun::NamespacesWith, [kinds]) => {
                self.reads.cross = true;
                let literal: Option<Vec<String>> = match kinds {
                    Ex::Const(v) => super::value::list_elems(v)
                        .and_then(|es| es.map(|k| k.as_str().map(str::to_string)).collect()),
                    _ => None,
                };
                match literal {
                    Some(ks) => self.reads.namespaces_of.extend(ks),
                    None => {
                        self.reads.dynamic_kinds = true;
                        self.opaque(kinds);
                    }
                }
                Abs::default()
            }
            (Fun::PodSpec, [o]) => {
                let a = self.ex(o);
                self.whole(&a.select("kind"));
                let spec = a.select("spec");
                let mut out = spec.select_path(&["template", "spec"]);
                out.join(spec.select_path(&["jobTemplate", "spec", "template", "spec"]));
                out.join(spec);
                out
            }
            (Fun::Ref, [o]) => {
                let a = self.ex(o);
                for p in [
                    &["kind"][..],
                    &["metadata", "name"],
                    &["metadata", "namespace"],
                ] {
                    self.whole(&a.select_path(p));
                }
                Abs::default()
            }
            (Fun::NsOf, [o]) => {
                let a = self.ex(o);
                self.whole(&a.select_path(&["metadata", "namespace"]));
                Abs::default()
            }
            _ => {
                for a in args {
                    self.opaque(a);
                }
                Abs::default()
            }
        }
    }
}
