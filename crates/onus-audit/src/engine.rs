//! Running checks over a cluster's objects.
//!
//! A check that reads only the object it judges is evaluated **while the exports are read**,
//! on the worker that parsed the object, which then drops it: most objects are never kept.
//! A check that reads across objects (`objects`, `objectsIn`, `lookup`, `namespacesWith`) or
//! judges the cluster as a whole is evaluated once reading is done, over the objects kept for
//! it, and each kept object holds only the fields such checks read (found by static analysis
//! of their CEL, [`crate::cel::reads`]). That is what keeps an audit's memory near the size
//! of its input and its time near the time to parse it (docs/benchmarks.md).
//!
//! The same engine runs over an inventory already in memory (live clusters, tests): every
//! object goes through the streaming path, then the cross-object checks run over it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use onus_inventory::doc::{Need, Ref};
use onus_inventory::{Inventory, InventoryError, Keep, OriginRef, ReadOptions, Seen, Visitor};

use crate::catalog::{Check, Scope};
use crate::cel::{self, Env, NoWorld, Params, Program, Reads, Val, World};
use crate::findings::{FactsRef, Findings, Marks};
use crate::result::{CheckResult, CheckStatus, RunOptions};

/// A check's expressions, compiled.
struct Compiled {
    when: Option<Program>,
    items: Option<Program>,
    item_id: Option<Program>,
    item_namespace: Option<Program>,
    rule: Program,
}

fn compile(c: &Check) -> Result<Compiled, String> {
    let one = |field: &str, src: &str| {
        Program::compile(src).map_err(|e| format!("`{field}` is not valid CEL: {e}"))
    };
    let opt = |field: &str, src: &Option<String>| src.as_deref().map(|s| one(field, s)).transpose();
    Ok(Compiled {
        when: opt("when", &c.when)?,
        items: opt("items", &c.items)?,
        item_id: opt("item_id", &c.item_id)?,
        item_namespace: opt("item_namespace", &c.item_namespace)?,
        rule: one("rule", &c.rule)?,
    })
}

/// One check, ready to run.
struct Plan {
    check: Check,
    prog: Result<Compiled, String>,
    /// Evaluated after reading, over kept objects (cross-object or cluster scope); otherwise
    /// while reading.
    deferred: bool,
}

/// Objects per unit of work of a deferred check.
const UNIT_OBJECTS: usize = 4096;

/// A unit of deferred work: a cluster-scope check, or a range of the positions of one subject
/// kind (`Inventory::indices_of_kind`) for an object-scope check.
enum Unit {
    Cluster(usize),
    Objects(usize, usize, std::ops::Range<usize>),
}

/// Checks compiled and sorted into those that run while reading and those that run after.
pub struct Engine {
    plans: Vec<Plan>,
    /// Streaming checks by the kinds they judge, with the kind's place in their `subjects`.
    streaming: HashMap<String, Vec<(usize, u32)>>,
    /// What to keep of each kind for the deferred checks.
    keep: Arc<HashMap<String, Arc<Need>>>,
    /// Kinds the deferred checks look up (`objects`, `objectsIn`, `lookup`): the only ones
    /// indexed for the helpers (kinds only judged are walked through the inventory).
    looked_up: std::collections::HashSet<String>,
    /// Every kind is kept whole (an inventory already in memory): lookups of any kind work.
    all_kept: bool,
    /// Kinds judged after reading, whose kept documents do not hold labels: their marks
    /// (`RunOptions::facts`) are recorded while they are read, for the few that have any.
    deferred_subjects: std::collections::HashSet<String>,
    params: Params,
    opts: RunOptions,
}

/// Who an object is, from the inventory (not from its document, which may be projected to
/// less): for default item ids (`namespace/Kind/name`).
#[derive(Clone, Copy)]
struct Ident<'o> {
    kind: &'o str,
    namespace: Option<&'o str>,
    name: &'o str,
}

impl Ident<'_> {
    fn id(&self) -> String {
        match self.namespace {
            Some(ns) => format!("{ns}/{}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

impl Engine {
    pub fn new(checks: &[Check], opts: &RunOptions) -> Engine {
        let mut plans = Vec::new();
        let mut streaming: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut keep: HashMap<String, Need> = HashMap::new();
        let mut looked_up = std::collections::HashSet::new();
        let mut deferred_subjects = std::collections::HashSet::new();
        for (i, c) in checks.iter().enumerate() {
            let prog = compile(c);
            let reads = match &prog {
                Ok(p) => {
                    let per_item: Vec<&Program> =
                        p.item_id.iter().chain(&p.item_namespace).collect();
                    cel::reads_all(p.when.as_ref(), p.items.as_ref(), &per_item, &p.rule)
                }
                Err(_) => Reads::default(),
            };
            let deferred = c.scope == Scope::Cluster || reads.cross;
            if prog.is_ok() {
                if deferred {
                    let mut add = |kind: &str, need: &Need| {
                        keep.entry(kind.to_string()).or_default().merge(need);
                    };
                    if c.scope == Scope::Object {
                        for k in &c.subjects {
                            add(k, &reads.object);
                            deferred_subjects.insert(k.clone());
                        }
                    }
                    for (k, n) in &reads.kinds {
                        add(k, n);
                        looked_up.insert(k.clone());
                    }
                    if reads.dynamic_kinds {
                        for k in &c.kinds {
                            add(k, &Need::whole());
                            looked_up.insert(k.clone());
                        }
                    }
                } else {
                    for (rank, k) in c.subjects.iter().enumerate() {
                        streaming
                            .entry(k.clone())
                            .or_default()
                            .push((i, rank as u32));
                    }
                }
            }
            plans.push(Plan {
                check: c.clone(),
                prog,
                deferred,
            });
        }
        let (maj, min) = cel::parse_version(&opts.k8s_latest).unwrap_or((1, 0));
        Engine {
            plans,
            streaming,
            keep: Arc::new(keep.into_iter().map(|(k, n)| (k, Arc::new(n))).collect()),
            looked_up,
            all_kept: false,
            deferred_subjects,
            params: Params {
                k8s_latest: opts.k8s_latest.clone(),
                k8s_latest_major: maj,
                k8s_latest_minor: min,
            },
            opts: opts.clone(),
        }
    }

    /// Which objects the reader keeps, and what of them.
    pub fn keep(&self) -> Keep {
        let keep = self.keep.clone();
        Arc::new(move |kind: &str| keep.get(kind).cloned())
    }

    /// What is kept of each kind, for the deferred checks.
    pub fn kept_kinds(&self) -> impl Iterator<Item = (&str, &Need)> {
        self.keep.iter().map(|(k, n)| (k.as_str(), &**n))
    }

    /// A visitor for one reader worker: evaluates the streaming checks on every object.
    pub fn collector(&self) -> Collector<'_> {
        Collector {
            engine: self,
            parts: (0..self.plans.len()).map(|_| Part::default()).collect(),
            marks: Vec::new(),
        }
    }

    /// Runs the deferred checks over the kept objects and assembles every check's result, in
    /// catalog order, findings by subject kind (its place in `subjects`) then input order.
    pub fn finish(&self, inv: &Inventory, collectors: Vec<Collector<'_>>) -> Vec<CheckResult> {
        let mut parts: Vec<Vec<Part>> = (0..self.plans.len()).map(|_| Vec::new()).collect();
        let mut marks: HashMap<u64, Marks> = HashMap::new();
        for c in collectors {
            for (i, mut p) in c.parts.into_iter().enumerate() {
                p.seal();
                parts[i].push(p);
            }
            marks.extend(c.marks);
        }
        let mut index = Index::new(inv, self.all_kept, &self.looked_up);
        // Documents kept whole hold their labels; projected ones do not.
        index.marks = (!self.all_kept).then_some(marks);
        // Work units: a cluster-scope check whole, or a slice of an object-scope check's
        // subjects, so that one large check (every Deployment) does not run on one core.
        let mut units: Vec<Unit> = Vec::new();
        for (i, plan) in self.plans.iter().enumerate() {
            if !plan.deferred || plan.prog.is_err() {
                continue;
            }
            match plan.check.scope {
                Scope::Cluster => units.push(Unit::Cluster(i)),
                Scope::Object => {
                    for (rank, k) in plan.check.subjects.iter().enumerate() {
                        let n = inv.indices_of_kind(k).len();
                        for start in (0..n).step_by(UNIT_OBJECTS) {
                            let end = (start + UNIT_OBJECTS).min(n);
                            units.push(Unit::Objects(i, rank, start..end));
                        }
                    }
                }
            }
        }
        let threads = threads(self.opts.threads).clamp(1, units.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Vec<(usize, Part)> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    let (index, next, units) = (&index, &next, &units);
                    s.spawn(move || {
                        let mut out = Vec::new();
                        loop {
                            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(u) = units.get(n) else { break };
                            out.push(self.run_unit(u, index));
                        }
                        out
                    })
                })
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, mut p) in done {
            p.seal();
            parts[i].push(p);
        }
        self.plans
            .iter()
            .zip(parts)
            .map(|(plan, parts)| assemble(plan, parts))
            .collect()
    }

    /// Runs one unit of a deferred check; returns the check's index and its part.
    fn run_unit(&self, unit: &Unit, index: &Index<'_>) -> (usize, Part) {
        let mut part = Part::default();
        let world = IndexWorld(index);
        match unit {
            Unit::Cluster(i) => {
                self.judge(&self.plans[*i], None, 0, None, 0, &world, None, &mut part);
                (*i, part)
            }
            Unit::Objects(i, rank, range) => {
                let plan = &self.plans[*i];
                let kind = &plan.check.subjects[*rank];
                let positions = index.inv.indices_of_kind(kind);
                for &p in positions.get(range.clone()).unwrap_or_default() {
                    let Some(o) = index.inv.object(p as usize) else {
                        continue;
                    };
                    let who = Ident {
                        kind: o.kind,
                        namespace: o.namespace,
                        name: o.name,
                    };
                    let origin = Some(o.origin);
                    let rank = *rank as u32;
                    self.judge(
                        plan,
                        Some((o.doc, who)),
                        rank,
                        origin,
                        o.seq,
                        &world,
                        index.marks.as_ref(),
                        &mut part,
                    );
                }
                (*i, part)
            }
        }
    }

    /// Judges one object (or the cluster, `object: None`) by one check. `rank` is the
    /// object's kind's place in the check's `subjects` (findings are ordered by it).
    ///
    /// Ids are computed only for items that are reported: most items pass, and an id is a
    /// string built per item (`ns/Kind/name/container`).
    #[allow(clippy::too_many_arguments)]
    fn judge<'a>(
        &self,
        plan: &Plan,
        object: Option<(Ref<'a>, Ident<'_>)>,
        rank: u32,
        origin: Option<OriginRef<'_>>,
        seq: u64,
        world: &dyn World<'a>,
        recorded: Option<&HashMap<u64, Marks>>,
        part: &mut Part,
    ) {
        let Ok(prog) = &plan.prog else { return };
        let c = &plan.check;
        let mut env = Env {
            object: object.map_or(Val::Null, |(o, _)| Val::node(o)),
            item: Val::Null,
            now: self.opts.now,
            params: &self.params,
            world,
        };
        let default_id = || match &object {
            None => c.id.clone(),
            Some((_, who)) => who.id(),
        };
        let file = origin.map(|o| o.file);
        let line = origin.map(|o| o.line);
        let mut sub = 0u32;
        // What ownership needs of the judged object (its kind, namespace and marks), for
        // reported items only: from its document, or from what was recorded while it was read
        // when the kept document is projected.
        let marks = || match (object, recorded) {
            (None, _) => Marks::default(),
            (Some(_), Some(t)) => t.get(&seq).cloned().unwrap_or_default(),
            (Some((doc, _)), None) => self.marks(doc),
        };
        let who = object.map(|(_, who)| who);
        let error = |part: &mut Part, sub: &mut u32, id: &str, reason: String| {
            let m = marks();
            part.errors
                .push_with(id, &reason, file, line, object_facts(who, &m));
            part.error_keys.push(key(rank, seq, *sub));
            *sub += 1;
        };
        if let Some(when) = &prog.when {
            match when.eval(&env) {
                Ok(v) => match v.as_bool() {
                    Some(true) => {}
                    Some(false) => return,
                    None => {
                        let msg = format!("`when` returned {v}, not a boolean");
                        return error(part, &mut sub, &default_id(), msg);
                    }
                },
                Err(e) => return error(part, &mut sub, &default_id(), format!("`when`: {e}")),
            }
        }
        // `None`: the object itself is the only item.
        let items: Vec<Option<Val<'a>>> = match &prog.items {
            None => vec![None],
            Some(p) => match p.eval(&env) {
                Ok(v) if v.is_null() => Vec::new(),
                Ok(v) => match v.list_items() {
                    Some(items) => items.into_iter().map(Some).collect(),
                    None => {
                        let msg = format!("`items` returned {v}, not a list");
                        return error(part, &mut sub, &default_id(), msg);
                    }
                },
                Err(e) => return error(part, &mut sub, &default_id(), format!("`items`: {e}")),
            },
        };
        for item in items {
            env.item = match &item {
                Some(v) => v.clone(),
                None => env.object.clone(),
            };
            part.checked += 1;
            let verdict = prog.rule.eval(&env);
            let reason: Result<Option<String>, String> = match &verdict {
                Ok(v) => {
                    if let Some(b) = v.as_bool() {
                        Ok((!b).then(|| c.reason.clone()))
                    } else if let Some(s) = v.as_str() {
                        Ok((!s.is_empty()).then(|| s.to_string()))
                    } else if let Some(list) = v.list_items() {
                        Ok((!list.is_empty()).then(|| {
                            list.iter()
                                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                                .join("; ")
                        }))
                    } else {
                        Err(format!(
                            "`rule` returned {v}, not a boolean, string or list"
                        ))
                    }
                }
                Err(e) => Err(format!("`rule`: {e}")),
            };
            if matches!(reason, Ok(None)) {
                continue;
            }
            let id = match &prog.item_id {
                None => match item.as_ref().and_then(Val::as_str) {
                    Some(x) if c.scope == Scope::Cluster => x.to_string(),
                    _ => default_id(),
                },
                Some(p) => match p.eval(&env) {
                    Ok(v) => match v.as_str() {
                        Some(x) => x.to_string(),
                        None => v.to_string(),
                    },
                    Err(e) => {
                        error(part, &mut sub, &default_id(), format!("`item_id`: {e}"));
                        continue;
                    }
                },
            };
            // A cluster-scope item's namespace, when the check says which.
            let item_ns = match (&prog.item_namespace, object) {
                (Some(p), None) => match p.eval(&env) {
                    Ok(v) => v.as_str().map(str::to_string),
                    Err(e) => {
                        error(part, &mut sub, &id, format!("`item_namespace`: {e}"));
                        continue;
                    }
                },
                _ => None,
            };
            let m = marks();
            let facts = match &item_ns {
                Some(ns) => Some(FactsRef {
                    kind: None,
                    namespace: Some(ns),
                    marks: None,
                }),
                None => object_facts(who, &m),
            };
            match reason {
                Ok(Some(reason)) => {
                    part.failures.push_with(&id, &reason, file, line, facts);
                    part.failure_keys.push(key(rank, seq, sub));
                    sub += 1;
                }
                Err(msg) => {
                    part.errors.push_with(&id, &msg, file, line, facts);
                    part.error_keys.push(key(rank, seq, sub));
                    sub += 1;
                }
                Ok(None) => {}
            }
        }
    }
}

impl Engine {
    /// The labels and annotations of an object's document among the keys the run records.
    fn marks(&self, doc: Ref<'_>) -> Marks {
        let pick = |field: &str, keys: &[String]| -> Vec<(String, String)> {
            let Some(map) = doc.path(&["metadata", field]) else {
                return Vec::new();
            };
            let mut out: Vec<(String, String)> = keys
                .iter()
                .filter_map(|k| Some((k.clone(), map.get(k)?.as_str()?.to_string())))
                .collect();
            out.sort();
            out
        };
        Marks {
            labels: pick("labels", &self.opts.facts.labels),
            annotations: pick("annotations", &self.opts.facts.annotations),
        }
    }
}

/// What ownership is told of a judged object: its kind and namespace, and its marks.
fn object_facts<'x>(who: Option<Ident<'x>>, marks: &'x Marks) -> Option<FactsRef<'x>> {
    who.map(|who| FactsRef {
        kind: Some(who.kind),
        namespace: who.namespace,
        marks: (!marks.is_empty()).then_some(marks),
    })
}

fn threads(n: usize) -> usize {
    if n == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        n
    }
}

/// A finding's place, packed: the kind's rank (8 bits), the object's `seq` (40 bits: inputs
/// up to a terabyte) and the order within the object (16 bits). One word per finding instead
/// of a tuple of three: a large audit has a hundred thousand findings.
type Key = u64;

fn key(rank: u32, seq: u64, sub: u32) -> Key {
    (u64::from(rank.min(0xff)) << 56) | ((seq & 0xff_ffff_ffff) << 16) | u64::from(sub.min(0xffff))
}

/// One worker's share of a check's results.
#[derive(Default)]
struct Part {
    checked: usize,
    failures: Findings,
    /// Place of each failure in the result: the object's kind's place in the check's
    /// `subjects`, the object's `seq`, the order within the object. By kind first, so that a
    /// live cluster (listed kind by kind) and its export report in the same order.
    failure_keys: Vec<Key>,
    errors: Findings,
    error_keys: Vec<Key>,
}

impl Part {
    /// Done growing: frees the slack of its vectors and its interning table before the parts
    /// of every check are merged into results (a large audit holds them all at that point).
    fn seal(&mut self) {
        self.failures.seal();
        self.errors.seal();
        self.failure_keys.shrink_to_fit();
        self.error_keys.shrink_to_fit();
    }
}

fn assemble(plan: &Plan, parts: Vec<Part>) -> CheckResult {
    let c = &plan.check;
    let mut r = CheckResult {
        id: c.id.clone(),
        title: c.title.clone(),
        remediation: c.remediation.clone(),
        severity: c.severity,
        topics: c.topics.clone(),
        layers: c.layers.clone(),
        status: CheckStatus::NotApplicable,
        checked: parts.iter().map(|p| p.checked).sum(),
        failures: Findings::default(),
        errors: Findings::default(),
    };
    let (mut failures, mut errors) = (Vec::new(), Vec::new());
    for p in parts {
        failures.push((p.failures, p.failure_keys));
        errors.push((p.errors, p.error_keys));
    }
    r.failures = Findings::merge_sorted(failures);
    r.errors = Findings::merge_sorted(errors);
    if let Err(e) = &plan.prog {
        let source: Arc<str> = Arc::from(c.source.as_str());
        r.errors
            .push(&c.id, &format!("invalid CEL: {e}"), Some(&source), None);
    }
    r.status = if !r.failures.is_empty() {
        CheckStatus::Fail
    } else if !r.errors.is_empty() {
        CheckStatus::Error
    } else if r.checked == 0 {
        CheckStatus::NotApplicable
    } else {
        CheckStatus::Pass
    };
    r
}

/// A reader worker's visitor: runs the streaming checks on each object as it is read.
pub struct Collector<'e> {
    engine: &'e Engine,
    parts: Vec<Part>,
    /// Marks of the objects judged after reading that have any, by `seq`.
    marks: Vec<(u64, Marks)>,
}

impl Visitor for Collector<'_> {
    fn object(&mut self, o: &Seen<'_>) {
        let origin = OriginRef {
            file: &o.origin.file,
            line: o.origin.line,
        };
        let who = Ident {
            kind: o.kind,
            namespace: o.namespace,
            name: o.name,
        };
        self.judge_streaming(who, o.doc.root(), origin, o.seq);
        if self.engine.deferred_subjects.contains(o.kind) {
            let m = self.engine.marks(o.doc.root());
            if !m.is_empty() {
                self.marks.push((o.seq, m));
            }
        }
    }
}

impl Collector<'_> {
    /// Runs the streaming checks that judge this object's kind.
    fn judge_streaming(&mut self, who: Ident<'_>, doc: Ref<'_>, origin: OriginRef<'_>, seq: u64) {
        let Some(plans) = self.engine.streaming.get(who.kind) else {
            return;
        };
        for &(i, rank) in plans {
            self.engine.judge(
                &self.engine.plans[i],
                Some((doc, who)),
                rank,
                Some(origin),
                seq,
                &NoWorld,
                None,
                &mut self.parts[i],
            );
        }
    }
}

/// The kept objects, indexed for the cross-object helpers.
struct Index<'a> {
    inv: &'a Inventory,
    all_kept: bool,
    looked_up: &'a std::collections::HashSet<String>,
    by_kind: HashMap<&'a str, Vec<Ref<'a>>>,
    /// Kind, then namespace.
    by_kind_ns: HashMap<&'a str, HashMap<&'a str, Vec<Ref<'a>>>>,
    /// Marks recorded while reading, by `seq`, for objects kept projected (`None`: documents
    /// are whole and hold their own).
    marks: Option<HashMap<u64, Marks>>,
}

impl<'a> Index<'a> {
    fn new(
        inv: &'a Inventory,
        all_kept: bool,
        looked_up: &'a std::collections::HashSet<String>,
    ) -> Self {
        let mut by_kind: HashMap<&str, Vec<Ref<'_>>> = HashMap::new();
        let mut by_kind_ns: HashMap<&str, HashMap<&str, Vec<Ref<'_>>>> = HashMap::new();
        for o in inv.objects() {
            if !all_kept && !looked_up.contains(o.kind) {
                continue;
            }
            by_kind.entry(o.kind).or_default().push(o.doc);
            if let Some(ns) = &o.namespace {
                by_kind_ns
                    .entry(o.kind)
                    .or_default()
                    .entry(&**ns)
                    .or_default()
                    .push(o.doc);
            }
        }
        Index {
            inv,
            all_kept,
            looked_up,
            by_kind,
            by_kind_ns,
            marks: None,
        }
    }

    /// Whether the helpers can answer for this kind (it was kept and indexed).
    fn kept(&self, kind: &str) -> bool {
        self.all_kept || self.looked_up.contains(kind)
    }
}

struct IndexWorld<'i, 'a>(&'i Index<'a>);

impl<'i, 'a: 'i> World<'i> for IndexWorld<'i, 'a> {
    fn objects(&self, kind: &str) -> Option<&'i [Ref<'i>]> {
        if !self.0.kept(kind) {
            return None;
        }
        Some(self.0.by_kind.get(kind).map_or(&[], Vec::as_slice))
    }
    fn objects_in(&self, kind: &str, namespace: &str) -> Option<&'i [Ref<'i>]> {
        if !self.0.kept(kind) {
            return None;
        }
        Some(
            self.0
                .by_kind_ns
                .get(kind)
                .and_then(|m| m.get(namespace))
                .map_or(&[], Vec::as_slice),
        )
    }
    fn lookup(&self, kind: &str, namespace: &str, name: &str) -> Option<Option<Ref<'i>>> {
        if !self.0.kept(kind) {
            return None;
        }
        // By the inventory's names: a kept document may not hold its own name.
        let inv = self.0.inv;
        let found = if namespace.is_empty() {
            inv.of_kind(kind).find(|o| o.name == name)
        } else {
            inv.of_kind_in(kind, namespace).find(|o| o.name == name)
        };
        Some(found.map(|o| o.doc))
    }
    fn namespaces_with(&self, kinds: &[&str]) -> Option<Vec<String>> {
        let mut set = std::collections::BTreeSet::new();
        for k in kinds {
            set.extend(self.0.inv.namespaces_of(k));
        }
        Some(set.into_iter().map(str::to_string).collect())
    }
}

/// Reads exports (files and folders) streaming and runs every check over them; returns the
/// results in catalog order and the inventory of kept objects (with the problems found, the
/// files read and how many objects were seen).
pub fn audit_paths(
    paths: &[PathBuf],
    checks: &[Check],
    opts: &RunOptions,
) -> Result<(Vec<CheckResult>, Inventory), InventoryError> {
    let engine = Engine::new(checks, opts);
    let read = ReadOptions {
        threads: opts.threads,
        keep: engine.keep(),
        ..ReadOptions::default()
    };
    let (inv, collectors) = onus_inventory::read(paths, &read, &|| engine.collector())?;
    let results = engine.finish(&inv, collectors);
    Ok((results, inv))
}

/// Runs every check over an inventory already in memory (a live cluster, tests), results in
/// catalog order.
pub fn run(inv: &Inventory, checks: &[Check], opts: &RunOptions) -> Vec<CheckResult> {
    let mut engine = Engine::new(checks, opts);
    engine.all_kept = true;
    let mut c = engine.collector();
    for o in inv.objects() {
        let who = Ident {
            kind: o.kind,
            namespace: o.namespace,
            name: o.name,
        };
        c.judge_streaming(who, o.doc, o.origin, o.seq);
    }
    engine.finish(inv, vec![c])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in catalog keeps only kinds that cross-object checks judge or look up, and
    /// of those only what they read; the rest is judged while read and dropped.
    #[test]
    fn builtin_catalog_keeps_little() {
        let e = Engine::new(&crate::catalog::builtin().unwrap(), &RunOptions::default());
        let kept: std::collections::BTreeMap<&str, &Need> = e.kept_kinds().collect();
        for k in [
            "Pod",
            "ConfigMap",
            "Service",
            "DaemonSet",
            "Job",
            "CronJob",
            "Node",
        ] {
            assert!(!kept.contains_key(k), "{k} is kept");
        }
        for k in [
            "PersistentVolumeClaim",
            "Ingress",
            "Secret",
            "PodDisruptionBudget",
        ] {
            assert!(kept.contains_key(k), "{k} is not kept");
        }
        let deployment = kept["Deployment"];
        assert!(!deployment.whole);
        assert!(deployment.fields.contains_key("spec"));
        assert!(!deployment.fields["spec"].fields.contains_key("selector"));
        assert!(kept["Secret"].fields.contains_key("data"));
        assert!(!kept["Secret"].fields.contains_key("metadata"));
        assert_eq!(
            e.streaming.get("Pod").map(Vec::len),
            Some(3),
            "resources, hostpath and images judge Pods while reading"
        );
    }
}
