//! Running checks: CEL evaluation over an inventory, with helpers for cross-object questions.
//!
//! Helpers available to every expression (see `docs/audit.md`):
//! `objects(kind)`, `objectsIn(kind, namespace)`, `lookup(kind, namespace, name)`,
//! `namespacesWith(kinds)`, `selects(selector, labels)`, `subset(map, map)`, `podSpec(object)`,
//! `ref(object)`, `nsOf(object)`, `dig(value, path, default)`, `cert(base64Pem)`, `minor(version)`,
//! `image(reference)`. Variables: `object`, `item`, `now` (timestamp), `params` (map).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use cel::common::types::{CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, FunctionContext, Program, Value};

use onus_inventory::Inventory;

use crate::catalog::{Check, Scope};

use crate::findings::{Finding, Findings};
use crate::result::{CheckResult, CheckStatus, RunOptions};

/// Runs every check over the inventory, on every core, results in catalog order.
pub fn run(inv: Arc<Inventory>, checks: &[Check], opts: &RunOptions) -> Vec<CheckResult> {
    let store = Arc::new(Store::new(inv));
    let params = params(opts);
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let threads = threads.clamp(1, checks.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, CheckResult)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                let store = store.clone();
                let params = params.clone();
                let next = &next;
                s.spawn(move || {
                    let ctx = context(&store, opts, params);
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(c) = checks.get(i) else { break };
                        done.push((i, run_check(&ctx, &store, c)));
                    }
                    done
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

fn params(opts: &RunOptions) -> Value {
    let (maj, min) = parse_minor(&opts.k8s_latest).unwrap_or((1, 0));
    let mut m: HashMap<Key, Value> = HashMap::new();
    m.insert(
        "k8sLatest".into(),
        Value::String(Arc::new(opts.k8s_latest.clone())),
    );
    m.insert("k8sLatestMajor".into(), Value::Int(maj));
    m.insert("k8sLatestMinor".into(), Value::Int(min));
    Value::Map(Map { map: Arc::new(m) })
}

/// Objects converted to CEL values on first use, and lists of them per kind and namespace.
struct Store {
    inv: Arc<Inventory>,
    values: Vec<OnceLock<Value>>,
    /// The same objects as the interpreter's values, for the `object` variable of the checks
    /// that judge them (bound by reference: no copy per check and object).
    vals: Vec<OnceLock<Box<dyn Val>>>,
    lists: Mutex<HashMap<ListKey, Value>>,
    /// Each kind's objects (`None`) and each kind's objects in a namespace, as one interpreter
    /// list converted on first use and then lent to every call of `objects`/`objectsIn`
    /// through [`Bound`] (a borrow: no copy per call). Keys are made once, for every kind and
    /// (kind, namespace) of the inventory, so the lists never move.
    shared: HashMap<ListKey, OnceLock<Box<dyn Val>>>,
}

/// A kind, and a namespace or none for all of them.
type ListKey = (String, Option<String>);

impl Store {
    fn new(inv: Arc<Inventory>) -> Self {
        let values = (0..inv.len()).map(|_| OnceLock::new()).collect();
        let vals = (0..inv.len()).map(|_| OnceLock::new()).collect();
        let mut shared = HashMap::new();
        for o in inv.objects() {
            shared
                .entry((o.kind.to_string(), None))
                .or_insert_with(OnceLock::new);
            if let Some(ns) = &o.namespace {
                shared
                    .entry((o.kind.to_string(), Some(ns.to_string())))
                    .or_insert_with(OnceLock::new);
            }
        }
        Store {
            inv,
            values,
            vals,
            lists: Mutex::new(HashMap::new()),
            shared,
        }
    }

    /// The shared interpreter list of `kind` (in `ns`), `None` when the inventory has none.
    fn shared_list(&self, kind: &str, ns: Option<&str>) -> Option<&dyn Val> {
        let cell = self
            .shared
            .get(&(kind.to_string(), ns.map(str::to_string)))?;
        Some(
            cell.get_or_init(|| {
                let idx = match ns {
                    Some(ns) => self.inv.indices_of_kind_in(kind, ns),
                    None => self.inv.indices_of_kind(kind),
                };
                let list = Value::List(Arc::new(
                    idx.iter()
                        .map(|&i| match self.values[i as usize].get() {
                            Some(v) => v.clone(),
                            None => to_cel(&self.json(i as usize)),
                        })
                        .collect(),
                ));
                Box::<dyn Val>::try_from(list).unwrap_or_else(|_| Box::new(CelNull))
            })
            .as_ref(),
        )
    }

    /// The `i`th object as JSON.
    fn json(&self, i: usize) -> serde_json::Value {
        self.inv
            .object(i)
            .map_or(serde_json::Value::Null, |o| o.doc.to_json())
    }

    fn value(&self, i: usize) -> Value {
        self.values[i].get_or_init(|| to_cel(&self.json(i))).clone()
    }

    fn val(&self, i: usize) -> &dyn Val {
        self.vals[i]
            .get_or_init(|| {
                let v = match self.values[i].get() {
                    Some(v) => v.clone(),
                    None => to_cel(&self.json(i)),
                };
                Box::<dyn Val>::try_from(v).unwrap_or_else(|_| Box::new(CelNull))
            })
            .as_ref()
    }

    fn list(&self, kind: &str, ns: Option<&str>) -> Value {
        let key = (kind.to_string(), ns.map(str::to_string));
        if let Some(v) = self.lists.lock().ok().and_then(|l| l.get(&key).cloned()) {
            return v;
        }
        let idx = match ns {
            Some(ns) => self.inv.indices_of_kind_in(kind, ns),
            None => self.inv.indices_of_kind(kind),
        };
        let v = Value::List(Arc::new(
            idx.iter().map(|&i| self.value(i as usize)).collect(),
        ));
        if let Ok(mut l) = self.lists.lock() {
            l.insert(key, v.clone());
        }
        v
    }
}

/// Converts JSON to a CEL value.
pub fn to_cel(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        serde_json::Value::Object(o) => {
            let m: HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(m) })
        }
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Map(m) => m.get(&Key::from(key)),
        _ => None,
    }
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = get(cur, k)?;
    }
    match cur {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn str_arg(v: &Value, f: &str) -> Result<String, ExecutionError> {
    match v {
        Value::String(s) => Ok(s.as_str().to_string()),
        other => Err(ExecutionError::function_error(
            f,
            format!("expected a string, found {other:?}"),
        )),
    }
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    let m: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(k, v)| (Key::from(k), v))
        .collect();
    Value::Map(Map { map: Arc::new(m) })
}

fn string(s: impl Into<String>) -> Value {
    Value::String(Arc::new(s.into()))
}

/// `1.34`, `v1.30.2-eks-1` → (major, minor); `None` when it is not a version.
pub fn parse_version(v: &str) -> Option<(i64, i64)> {
    parse_minor(v)
}

/// `1.30.2`, `v1.30.2-eks-1` → (1, 30).
fn parse_minor(v: &str) -> Option<(i64, i64)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// The root CEL context of a worker: the standard library and onus's helpers.
fn context<'a>(store: &Arc<Store>, opts: &RunOptions, params: Value) -> Context<'a, 'a> {
    let mut ctx = Context::default();
    // `objects`, `objectsIn` and `lookup` lend the store's converted values, reached through
    // the run's resolver ([`Bound`]) under names no CEL identifier can have, so that the result
    // borrows for the whole call. Returning a `Value` instead would deep-copy the whole list
    // (every object of the kind or namespace) on every call. Without the resolver (unit tests
    // binding `object` by value) they fall back to a converted copy.
    let s = store.clone();
    let _ = ctx.add_function(
        "objects",
        raw_closure(move |ftx| {
            let args = take_args(ftx, 1)?;
            let kind = str_arg_val(args[0].as_ref(), "objects")?;
            if let Some(v) = lend(ftx, &kind, || format!("{KIND_LIST}{kind}")) {
                return Ok(v);
            }
            Ok(CowVal::Owned(s.list(&kind, None).try_into()?))
        }),
    );
    let s = store.clone();
    let _ = ctx.add_function(
        "objectsIn",
        raw_closure(move |ftx| {
            let args = take_args(ftx, 2)?;
            let kind = str_arg_val(args[0].as_ref(), "objectsIn")?;
            let ns = str_arg_val(args[1].as_ref(), "objectsIn")?;
            let key = || format!("{NS_LIST}{kind}\0{ns}");
            if let Some(v) = lend(ftx, &format!("{kind}{ns}"), key) {
                return Ok(v);
            }
            Ok(CowVal::Owned(s.list(&kind, Some(&ns)).try_into()?))
        }),
    );
    let s = store.clone();
    let _ = ctx.add_function(
        "lookup",
        raw_closure(move |ftx| {
            let args = take_args(ftx, 3)?;
            let (kind, ns, name) = (
                str_arg_val(args[0].as_ref(), "lookup")?,
                str_arg_val(args[1].as_ref(), "lookup")?,
                str_arg_val(args[2].as_ref(), "lookup")?,
            );
            let idx = if ns.is_empty() {
                s.inv.indices_of_kind(&kind)
            } else {
                s.inv.indices_of_kind_in(&kind, &ns)
            };
            let found = idx.iter().find(|&&i| {
                s.inv
                    .object(i as usize)
                    .is_some_and(|o| o.name == name.as_str())
            });
            let Some(&i) = found else {
                return Ok(CowVal::Owned(Value::Null.try_into()?));
            };
            if let Some(v) = lend(ftx, "", || format!("{OBJECT}{i}")) {
                return Ok(v);
            }
            Ok(CowVal::Owned(s.value(i as usize).try_into()?))
        }),
    );
    let s = store.clone();
    let _ = ctx.add_function(
        "namespacesWith",
        move |kinds: Value| -> Result<Value, ExecutionError> {
            let Value::List(kinds) = kinds else {
                return Err(ExecutionError::function_error(
                    "namespacesWith",
                    "expected a list of kinds",
                ));
            };
            let mut set = BTreeSet::new();
            for k in kinds.iter() {
                for o in s.inv.of_kind(&str_arg(k, "namespacesWith")?) {
                    if let Some(ns) = o.namespace {
                        set.insert(ns.to_string());
                    }
                }
            }
            Ok(Value::List(Arc::new(set.into_iter().map(string).collect())))
        },
    );
    let _ = ctx.add_function(
        "selects",
        |selector: Value, labels: Value| -> Result<Value, ExecutionError> {
            Ok(Value::Bool(selects(&selector, &labels)))
        },
    );
    let _ = ctx.add_function(
        "subset",
        |a: Value, b: Value| -> Result<Value, ExecutionError> { Ok(Value::Bool(subset(&a, &b))) },
    );
    // These four take their object argument as the interpreter holds it (no conversion to
    // `Value`, which in cel 0.15 deep-copies the whole object on every call) and return a
    // borrowed part of it when they can: they are called for every object by most checks.
    let _ = ctx.add_function("podSpec", raw(pod_spec_fn));
    let _ = ctx.add_function("ref", raw(ref_fn));
    let _ = ctx.add_function("nsOf", raw(ns_of_fn));
    let _ = ctx.add_function("dig", raw(dig_fn));
    let _ = ctx.add_function("minor", |v: Value| -> Result<Value, ExecutionError> {
        let s = match &v {
            Value::String(s) => s.as_str().to_string(),
            _ => String::new(),
        };
        Ok(Value::Int(parse_minor(&s).map_or(-1, |(_, m)| m)))
    });
    let _ = ctx.add_function("image", |v: Value| -> Result<Value, ExecutionError> {
        let r = crate::helpers::ImageRef::parse(&str_arg(&v, "image")?);
        Ok(map(vec![
            ("name", string(r.name)),
            ("tag", string(r.tag)),
            ("digest", string(r.digest)),
        ]))
    });
    let _ = ctx.add_function("cert", |v: Value| -> Result<Value, ExecutionError> {
        let s = match &v {
            Value::String(s) => s.as_str().to_string(),
            _ => return Ok(Value::Null),
        };
        Ok(match crate::helpers::parse_cert(&s) {
            Some(c) => map(vec![
                ("notBefore", Value::Timestamp(c.not_before)),
                ("notAfter", Value::Timestamp(c.not_after)),
                ("subject", string(c.subject)),
                (
                    "dnsNames",
                    Value::List(Arc::new(c.dns_names.into_iter().map(string).collect())),
                ),
            ]),
            None => Value::Null,
        })
    });
    ctx.add_variable_from_value("now", Value::Timestamp(opts.now));
    ctx.add_variable_from_value("params", params);
    ctx.add_variable_from_value("object", Value::Null);
    ctx.add_variable_from_value("item", Value::Null);
    ctx
}

/// A CEL function over the interpreter's own values (`Val`), as cel 0.15 registers them.
type RawFn = Box<
    dyn for<'c, 'call> Fn(
            &mut FunctionContext<'c, 'call>,
        ) -> Result<CowVal<'c, 'call>, ExecutionError>
        + Send
        + Sync,
>;

fn raw(
    f: for<'c, 'call> fn(
        &mut FunctionContext<'c, 'call>,
    ) -> Result<CowVal<'c, 'call>, ExecutionError>,
) -> RawFn {
    Box::new(f)
}

/// A CEL function over the interpreter's own values that captures state (see [`raw`]).
fn raw_closure<F>(f: F) -> RawFn
where
    F: for<'c, 'call> Fn(
            &mut FunctionContext<'c, 'call>,
        ) -> Result<CowVal<'c, 'call>, ExecutionError>
        + Send
        + Sync
        + 'static,
{
    Box::new(f)
}

/// Names under which [`Bound`] lends the store's values: a kind's list, a kind's list in a
/// namespace (`kind\0namespace`), one object by position. No CEL identifier contains `\0`.
const KIND_LIST: &str = "\0objects\0";
const NS_LIST: &str = "\0objectsIn\0";
const OBJECT: &str = "\0object\0";

/// The value the run's resolver lends under `name()`, borrowed for the call; `None` when no
/// resolver lends it or when the arguments (`parts`) contain `\0` and cannot be named.
fn lend<'c, 'call>(
    ftx: &FunctionContext<'c, 'call>,
    parts: &str,
    name: impl FnOnce() -> String,
) -> Option<CowVal<'c, 'call>> {
    if parts.contains('\0') {
        return None;
    }
    let ptx = ftx.ptx;
    ptx.get_variable(name())
}

/// A string argument, or the same error as [`str_arg`].
fn str_arg_val(v: &dyn Val, f: &str) -> Result<String, ExecutionError> {
    match val_str(v) {
        Some(s) => Ok(s.to_string()),
        None => str_arg(&Value::try_from(v)?, f),
    }
}

/// The arguments of a call, checked for their number.
fn take_args<'c, 'call>(
    ftx: &mut FunctionContext<'c, 'call>,
    n: usize,
) -> Result<Vec<CowVal<'c, 'call>>, ExecutionError> {
    let args = std::mem::take(&mut ftx.args);
    if args.len() != n {
        return Err(ExecutionError::invalid_argument_count(n, args.len()));
    }
    Ok(args)
}

/// A step into a map (by key) or a list (by index).
fn child<'b, 'v>(v: &'b (dyn Val + 'v), step: &str) -> Option<&'b (dyn Val + 'v)> {
    if let Some(m) = v.downcast_ref::<CelMap>() {
        return m
            .get(&CelMapKey::from(step.to_string()))
            .map(|b| b.as_ref());
    }
    if let Some(l) = v.downcast_ref::<CelList>() {
        return l
            .inner()
            .get(step.parse::<usize>().ok()?)
            .map(|b| b.as_ref());
    }
    None
}

fn val_str(v: &dyn Val) -> Option<&str> {
    v.downcast_ref::<CelString>().map(|s| s.inner())
}

fn child_str<'b>(v: &'b dyn Val, path: &[&str]) -> Option<&'b str> {
    let mut cur = v;
    for k in path {
        cur = child(cur, k)?;
    }
    val_str(cur)
}

/// Follows `f` into the first argument: borrowed when the argument is, copied (only the part
/// found) when it is a temporary.
fn descend<'c, 'call>(
    arg: CowVal<'c, 'call>,
    f: impl for<'b> Fn(&'b (dyn Val + 'call)) -> Option<&'b (dyn Val + 'call)>,
) -> Option<CowVal<'c, 'call>> {
    match arg {
        CowVal::Borrowed(b) => f(b).map(CowVal::Borrowed),
        CowVal::Owned(o) => f(o.as_ref()).map(|v| CowVal::Owned(v.clone_as_boxed())),
    }
}

fn owned_str<'c, 'call>(s: String) -> CowVal<'c, 'call> {
    CowVal::Owned(Box::new(CelString::from(s)))
}

/// `dig(v, "a.b.c", d)` or `dig(v, ["a", "b.with.dots"], d)`: the value at the path, if every
/// step exists and is not null.
fn dig_fn<'c, 'call>(
    ftx: &mut FunctionContext<'c, 'call>,
) -> Result<CowVal<'c, 'call>, ExecutionError> {
    let mut args = take_args(ftx, 3)?.into_iter();
    let (Some(v), Some(path), Some(default)) = (args.next(), args.next(), args.next()) else {
        return Err(ExecutionError::invalid_argument_count(3, 0));
    };
    let steps: Vec<String> = if let Some(s) = val_str(path.as_ref()) {
        s.split('.').map(str::to_string).collect()
    } else if path.as_ref().downcast_ref::<CelList>().is_some() {
        match Value::try_from(path.as_ref())? {
            Value::List(l) => l
                .iter()
                .map(|k| match k {
                    Value::String(s) => s.as_str().to_string(),
                    Value::Int(i) => i.to_string(),
                    other => format!("{other:?}"),
                })
                .collect(),
            _ => return Ok(default),
        }
    } else {
        return Ok(default);
    };
    let found = descend(v, |mut cur| {
        for step in &steps {
            cur = child(cur, step)?;
        }
        (cur.downcast_ref::<CelNull>().is_none()).then_some(cur)
    });
    Ok(found.unwrap_or(default))
}

fn pod_spec_fn<'c, 'call>(
    ftx: &mut FunctionContext<'c, 'call>,
) -> Result<CowVal<'c, 'call>, ExecutionError> {
    let o = take_args(ftx, 1)?.remove(0);
    let found = descend(o, |o| {
        let kind = child_str(o, &["kind"])?;
        let spec = child(o, "spec")?;
        match kind {
            "Pod" => Some(spec),
            "CronJob" => child(
                child(child(child(spec, "jobTemplate")?, "spec")?, "template")?,
                "spec",
            ),
            _ => child(child(spec, "template")?, "spec"),
        }
    });
    Ok(found
        .unwrap_or_else(|| CowVal::Owned(Box::new(CelMap::from(std::collections::HashMap::new())))))
}

fn ref_fn<'c, 'call>(
    ftx: &mut FunctionContext<'c, 'call>,
) -> Result<CowVal<'c, 'call>, ExecutionError> {
    let o = take_args(ftx, 1)?.remove(0);
    let o = o.as_ref();
    let kind = child_str(o, &["kind"]).unwrap_or("");
    let name = child_str(o, &["metadata", "name"]).unwrap_or("");
    Ok(owned_str(match child_str(o, &["metadata", "namespace"]) {
        Some(ns) => format!("{ns}/{kind}/{name}"),
        None => format!("{kind}/{name}"),
    }))
}

fn ns_of_fn<'c, 'call>(
    ftx: &mut FunctionContext<'c, 'call>,
) -> Result<CowVal<'c, 'call>, ExecutionError> {
    let o = take_args(ftx, 1)?.remove(0);
    Ok(owned_str(
        child_str(o.as_ref(), &["metadata", "namespace"])
            .unwrap_or("")
            .to_string(),
    ))
}

fn subset(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(a), Value::Map(b)) => a.map.iter().all(|(k, v)| b.map.get(k) == Some(v)),
        (Value::Map(a), Value::Null) => a.map.is_empty(),
        (Value::Null, _) => true,
        _ => false,
    }
}

/// Kubernetes label-selector semantics: every `matchLabels` entry and every
/// `matchExpressions` requirement holds; an empty or null selector selects everything.
fn selects(selector: &Value, labels: &Value) -> bool {
    if matches!(selector, Value::Null) {
        return true;
    }
    let empty = map(vec![]);
    let labels = if matches!(labels, Value::Null) {
        &empty
    } else {
        labels
    };
    if let Some(ml) = get(selector, "matchLabels") {
        if !subset(ml, labels) {
            return false;
        }
    }
    let Some(Value::List(exprs)) = get(selector, "matchExpressions") else {
        return true;
    };
    exprs.iter().all(|e| {
        let key = get_str(e, &["key"]).unwrap_or("");
        let op = get_str(e, &["operator"]).unwrap_or("");
        let values: Vec<&str> = match get(e, "values") {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|v| {
                    if let Value::String(s) = v {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let have = get_str(labels, &[key]);
        match op {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    })
}

struct Compiled {
    when: Option<Program>,
    items: Option<Program>,
    item_id: Option<Program>,
    rule: Program,
}

fn compile(c: &Check) -> Result<Compiled, String> {
    let p = |s: &Option<String>| {
        s.as_deref()
            .map(Program::compile)
            .transpose()
            .map_err(|e| e.to_string())
    };
    Ok(Compiled {
        when: p(&c.when)?,
        items: p(&c.items)?,
        item_id: p(&c.item_id)?,
        rule: Program::compile(&c.rule).map_err(|e| e.to_string())?,
    })
}

fn run_check(ctx: &Context, store: &Store, c: &Check) -> CheckResult {
    let mut r = CheckResult {
        id: c.id.clone(),
        title: c.title.clone(),
        remediation: c.remediation.clone(),
        severity: c.severity,
        topics: c.topics.clone(),
        layers: c.layers.clone(),
        status: CheckStatus::NotApplicable,
        checked: 0,
        failures: Findings::default(),
        errors: Findings::default(),
    };
    let prog = match compile(c) {
        Ok(p) => p,
        Err(e) => {
            r.errors.push_finding(&Finding {
                id: c.id.clone(),
                reason: format!("invalid CEL: {e}"),
                file: Some(c.source.clone()),
                line: None,
            });
            r.status = CheckStatus::Error;
            return r;
        }
    };
    match c.scope {
        Scope::Cluster => judge_object(ctx, &prog, c, None, store, None, &mut r),
        Scope::Object => {
            for kind in &c.subjects {
                for &i in store.inv.indices_of_kind(kind) {
                    let i = i as usize;
                    let Some(o) = store.inv.object(i) else {
                        continue;
                    };
                    let origin = Some((o.origin.file.to_string(), o.origin.line));
                    judge_object(ctx, &prog, c, origin, store, Some(store.val(i)), &mut r);
                }
            }
        }
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

/// Binds `object` and `item` to values held elsewhere, without copying them, and lends the
/// store's lists and objects to `objects`, `objectsIn` and `lookup` (see [`KIND_LIST`]).
struct Bound<'a> {
    object: Option<&'a dyn Val>,
    item: Option<&'a dyn Val>,
    store: Option<&'a Store>,
}

impl VariableResolver for Bound<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "object" => self.object.map(CowVal::Borrowed),
            "item" => self.item.map(CowVal::Borrowed),
            v if v.starts_with('\0') => {
                let store = self.store?;
                let found = if let Some(kind) = v.strip_prefix(KIND_LIST) {
                    store.shared_list(kind, None)
                } else if let Some(k_ns) = v.strip_prefix(NS_LIST) {
                    let (kind, ns) = k_ns.split_once('\0')?;
                    store.shared_list(kind, Some(ns))
                } else {
                    let i: usize = v.strip_prefix(OBJECT)?.parse().ok()?;
                    (i < store.vals.len()).then(|| store.val(i))
                };
                found.map(CowVal::Borrowed)
            }
            _ => None,
        }
    }
}

fn judge_object(
    ctx: &Context,
    prog: &Compiled,
    c: &Check,
    origin: Option<(String, usize)>,
    store: &Store,
    object: Option<&dyn Val>,
    r: &mut CheckResult,
) {
    let bound = Bound {
        object,
        item: None,
        store: Some(store),
    };
    let mut scope = ctx.new_inner_scope();
    let default_id = match object {
        None => c.id.clone(),
        Some(o) => {
            let kind = child_str(o, &["kind"]).unwrap_or("");
            let name = child_str(o, &["metadata", "name"]).unwrap_or("");
            match child_str(o, &["metadata", "namespace"]) {
                Some(ns) => format!("{ns}/{kind}/{name}"),
                None => format!("{kind}/{name}"),
            }
        }
    };
    scope.set_variable_resolver(&bound);
    if object.is_none() {
        scope.add_variable_from_value("object", Value::Null);
    }
    let finding = |id: String, reason: String| Finding {
        id,
        reason,
        file: origin.as_ref().map(|o| o.0.clone()),
        line: origin.as_ref().map(|o| o.1),
    };
    if let Some(when) = &prog.when {
        match when.execute(&scope) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => return,
            Ok(other) => {
                return r.errors.push_finding(&finding(
                    default_id,
                    format!("`when` returned {other:?}, not a boolean"),
                ))
            }
            Err(e) => {
                return r
                    .errors
                    .push_finding(&finding(default_id, format!("`when`: {e}")))
            }
        }
    }
    // `None`: the object itself is the only item.
    let items: Vec<Option<Value>> = match &prog.items {
        None => vec![None],
        Some(p) => match p.execute(&scope) {
            Ok(Value::List(l)) => l.iter().cloned().map(Some).collect(),
            Ok(Value::Null) => Vec::new(),
            Ok(other) => {
                return r.errors.push_finding(&finding(
                    default_id,
                    format!("`items` returned {other:?}, not a list"),
                ))
            }
            Err(e) => {
                return r
                    .errors
                    .push_finding(&finding(default_id, format!("`items`: {e}")))
            }
        },
    };
    let item_bound = Bound {
        object: None,
        item: object,
        store: None,
    };
    for item in items {
        let mut s = scope.new_inner_scope();
        match &item {
            Some(v) => s.add_variable_from_value("item", v.clone()),
            None if object.is_some() => s.set_variable_resolver(&item_bound),
            None => s.add_variable_from_value("item", Value::Null),
        }
        let id = match &prog.item_id {
            None => match &item {
                Some(Value::String(x)) if c.scope == Scope::Cluster => x.as_str().to_string(),
                _ => default_id.clone(),
            },
            Some(p) => match p.execute(&s) {
                Ok(Value::String(x)) => x.as_str().to_string(),
                Ok(other) => format!("{other:?}"),
                Err(e) => {
                    r.errors
                        .push_finding(&finding(default_id.clone(), format!("`item_id`: {e}")));
                    continue;
                }
            },
        };
        r.checked += 1;
        match prog.rule.execute(&s) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => r.failures.push_finding(&finding(id, c.reason.clone())),
            Ok(Value::String(reason)) if reason.is_empty() => {}
            Ok(Value::String(reason)) => r
                .failures
                .push_finding(&finding(id, reason.as_str().to_string())),
            Ok(Value::List(reasons)) if reasons.is_empty() => {}
            Ok(Value::List(reasons)) => {
                let text: Vec<String> = reasons
                    .iter()
                    .map(|v| {
                        if let Value::String(s) = v {
                            s.as_str().to_string()
                        } else {
                            format!("{v:?}")
                        }
                    })
                    .collect();
                r.failures.push_finding(&finding(id, text.join("; ")));
            }
            Ok(other) => r.errors.push_finding(&finding(
                id,
                format!("`rule` returned {other:?}, not a boolean, string or list"),
            )),
            Err(e) => r.errors.push_finding(&finding(id, format!("`rule`: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, object: serde_json::Value) -> Value {
        let store = Arc::new(Store::new(Arc::new(Inventory::default())));
        let opts = RunOptions::default();
        let ctx = context(&store, &opts, params(&opts));
        let mut s = ctx.new_inner_scope();
        s.add_variable_from_value("object", to_cel(&object));
        Program::compile(src).unwrap().execute(&s).unwrap()
    }

    #[test]
    fn helpers() {
        let o = serde_json::json!({"kind": "CronJob", "metadata": {"name": "c", "namespace": "n", "labels": {"a.b/c": "x"}}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "k"}]}}}}}});
        assert_eq!(
            eval("podSpec(object).containers[0].name", o.clone()),
            string("k")
        );
        assert_eq!(eval("ref(object)", o.clone()), string("n/CronJob/c"));
        assert_eq!(
            eval(
                "dig(object, ['metadata', 'labels', 'a.b/c'], '')",
                o.clone()
            ),
            string("x")
        );
        assert_eq!(
            eval("dig(object, 'spec.nothing.here', 7)", o.clone()),
            Value::Int(7)
        );
        assert_eq!(eval("minor('v1.31.4-eks')", o.clone()), Value::Int(31));
        assert_eq!(eval("minor('garbage')", o.clone()), Value::Int(-1));
        assert_eq!(eval("params.k8sLatestMinor", o), Value::Int(34));
    }

    #[test]
    fn label_selectors() {
        let labels = to_cel(&serde_json::json!({"app": "web", "tier": "front"}));
        let sel = |j: serde_json::Value| selects(&to_cel(&j), &labels);
        assert!(sel(serde_json::json!({})));
        assert!(sel(serde_json::json!({"matchLabels": {"app": "web"}})));
        assert!(!sel(serde_json::json!({"matchLabels": {"app": "db"}})));
        assert!(sel(
            serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "x"]}]})
        ));
        assert!(!sel(
            serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]})
        ));
        assert!(sel(
            serde_json::json!({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]})
        ));
        assert!(!sel(
            serde_json::json!({"matchExpressions": [{"key": "zone", "operator": "Exists"}]})
        ));
    }
}
