//! Evaluation of a compiled tree: a recursive walk, comprehension variables in a slot array
//! (on the stack for the usual few), constants lent rather than cloned where only read.

use std::borrow::Cow;
use std::cmp::Ordering;

use onus_inventory::doc::Kind;

use super::compile::{Comp, CompKind, Dig, DigPath, Ex, Fun, Op, Param, Step};
use super::funcs::{self, concat_strs, no_overload, str_arg};
use super::value::{compare, equal, list_elems, map_get, List, Map, Str, Val};
use super::{Env, EvalError, Params, Program};
use smallvec::SmallVec;

type R<'a> = Result<Val<'a>, EvalError>;

pub(crate) fn eval<'a>(p: &Program, env: &Env<'_, 'a>) -> R<'a> {
    // Slots and memos on the stack, sized for the program, unless it needs many.
    match p.slots.max(p.memos) {
        0 => run::<0>(p, env),
        1..=2 => run::<2>(p, env),
        3..=4 => run::<4>(p, env),
        5..=8 => run::<8>(p, env),
        _ => run_with(
            p,
            env,
            &mut vec![Val::Null; p.slots],
            &mut vec![None; p.memos],
        ),
    }
}

fn run<'a, const N: usize>(p: &Program, env: &Env<'_, 'a>) -> R<'a> {
    let mut slots: [Val<'a>; N] = std::array::from_fn(|_| Val::Null);
    let mut memos: [Option<Val<'a>>; N] = std::array::from_fn(|_| None);
    let (s, m) = (p.slots.min(N), p.memos.min(N));
    run_with(p, env, &mut slots[..s], &mut memos[..m])
}

fn run_with<'a>(
    p: &Program,
    env: &Env<'_, 'a>,
    slots: &mut [Val<'a>],
    memos: &mut [Option<Val<'a>>],
) -> R<'a> {
    // `object` and `item` made scalars if they are `Node`s of scalars, once.
    let bound = |v: &Val<'a>, used: bool| if used { v.clone().normal() } else { Val::Null };
    let mut m = Machine {
        object: bound(&env.object, p.uses.object),
        item: bound(&env.item, p.uses.item),
        env,
        slots,
        memos,
        cert: None,
        budget: onus_limits::Limits::DEFAULT.cel_steps,
    };
    m.ev(&p.root)
}

struct Machine<'r, 'e, 'a> {
    env: &'r Env<'e, 'a>,
    object: Val<'a>,
    item: Val<'a>,
    slots: &'r mut [Val<'a>],
    memos: &'r mut [Option<Val<'a>>],
    /// The last certificate parsed and its result: a rule often calls `cert()` several times
    /// on the same value, and parsing one costs microseconds.
    cert: Option<(Val<'a>, Val<'a>)>,
    /// Steps left: every node evaluated costs one, every element or byte a concatenation
    /// makes costs one. Comprehensions nested in comprehensions, or a list doubled in each
    /// of them, end with an error instead of hanging or taking the memory (see
    /// [`onus_limits::Limits::cel_steps`]).
    budget: u64,
}

fn internal() -> EvalError {
    EvalError::new("internal error: malformed program")
}

fn not_kept(kind: &str) -> EvalError {
    EvalError::new(format!(
        "kind `{kind}` is not kept: declare it in the check's `kinds`"
    ))
}

fn not_kept_all(kinds: &[&str]) -> EvalError {
    match kinds {
        [kind] => not_kept(kind),
        _ => EvalError::new(format!(
            "kinds `{}` are not all kept: declare them in the check's `kinds`",
            kinds.join("`, `")
        )),
    }
}

fn slot<'s, 'a>(slots: &'s mut [Val<'a>], i: usize) -> Result<&'s mut Val<'a>, EvalError> {
    slots.get_mut(i).ok_or_else(internal)
}

fn params<'a>(p: &Params) -> Val<'a> {
    Val::Map(Map::from_vec(vec![
        (Val::str("k8sLatest"), Val::string(p.k8s_latest.as_str())),
        (Val::str("k8sLatestMajor"), Val::Int(p.k8s_latest_major)),
        (Val::str("k8sLatestMinor"), Val::Int(p.k8s_latest_minor)),
    ]))
}

impl<'a> Machine<'_, '_, 'a> {
    /// A value only read by the caller: constants are lent instead of cloned.
    fn operand<'x>(&mut self, ex: &'x Ex) -> Result<Cow<'x, Val<'a>>, EvalError> {
        match ex {
            Ex::Const(v) => Ok(Cow::Borrowed(v)),
            _ => self.ev(ex).map(Cow::Owned),
        }
    }

    fn spend(&mut self, steps: u64) -> Result<(), EvalError> {
        match self.budget.checked_sub(steps) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => {
                self.budget = 0;
                Err(EvalError::new(format!(
                    "the evaluation was stopped after {} steps: an expression that loops or grows this much is an error",
                    onus_limits::Limits::DEFAULT.cel_steps
                )))
            }
        }
    }

    /// Charges what a value just made holds (a concatenation's elements or bytes).
    fn made(&mut self, v: R<'a>) -> R<'a> {
        let v = v?;
        let size = match &v {
            Val::Str(s) => s.len(),
            Val::List(l) => l.len(),
            _ => 0,
        };
        self.spend(size as u64)?;
        Ok(v)
    }

    fn ev(&mut self, ex: &Ex) -> R<'a> {
        self.spend(1)?;
        match ex {
            Ex::Const(v) => Ok(v.clone()),
            Ex::Object => Ok(self.object.clone()),
            Ex::Item => Ok(self.item.clone()),
            Ex::Now => Ok(Val::Timestamp(self.env.now)),
            Ex::Params => Ok(params(self.env.params)),
            Ex::Param(p) => Ok(match p {
                Param::K8sLatest => Val::string(self.env.params.k8s_latest.as_str()),
                Param::Major => Val::Int(self.env.params.k8s_latest_major),
                Param::Minor => Val::Int(self.env.params.k8s_latest_minor),
            }),
            Ex::Slot(i) => self.slots.get(*i).cloned().ok_or_else(internal),
            Ex::List(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs.iter() {
                    out.push(self.ev(x)?);
                }
                Ok(Val::List(List::from_vec(out)))
            }
            Ex::Map(kvs) => {
                let mut out: Vec<(Val<'a>, Val<'a>)> = Vec::with_capacity(kvs.len());
                for (k, v) in kvs.iter() {
                    let k = self.ev(k)?;
                    if !matches!(k, Val::Str(_) | Val::Int(_) | Val::UInt(_) | Val::Bool(_)) {
                        return Err(EvalError::new(format!(
                            "invalid map key type {}",
                            k.type_name()
                        )));
                    }
                    if out.iter().any(|(k2, _)| equal(k2, &k)) {
                        return Err(EvalError::new(format!("repeated map key {k}")));
                    }
                    let v = self.ev(v)?;
                    out.push((k, v));
                }
                Ok(Val::Map(Map::from_vec(out)))
            }
            Ex::Select(x, f) => {
                let v = self.ev(x)?;
                select(&v, f)
            }
            Ex::Path(x, fs) => {
                let mut v = self.ev(x)?;
                let mut fs = fs.iter();
                // Within a document, step from node to node.
                if let Val::Node(r) = v {
                    let mut cur = r;
                    for f in fs.by_ref() {
                        match cur.get(f) {
                            Some(next) => cur = next,
                            None => return select(&Val::node(cur), f),
                        }
                    }
                    return Ok(Val::node(cur));
                }
                for f in fs {
                    v = select(&v, f)?;
                }
                Ok(v)
            }
            Ex::AddN(xs) => self.add_n(xs),
            Ex::Memo(i, x) => {
                if let Some(Some(v)) = self.memos.get(*i) {
                    return Ok(v.clone());
                }
                let v = self.ev(x)?;
                if let Some(m) = self.memos.get_mut(*i) {
                    *m = Some(v.clone());
                }
                Ok(v)
            }
            Ex::Has(x, f) => {
                let v = self.ev(x)?;
                match &v {
                    Val::Map(m) => Ok(Val::Bool(m.get_str(f).is_some())),
                    Val::Node(r) if r.kind() == Kind::Map => Ok(Val::Bool(r.get(f).is_some())),
                    _ => Err(EvalError::new(format!(
                        "has(): cannot test field `{f}` of a {}",
                        v.type_name()
                    ))),
                }
            }
            Ex::Index(ai) => {
                let a = self.ev(&ai[0])?;
                let i = self.operand(&ai[1])?;
                index(&a, &i)
            }
            Ex::And(ab) => self.logic(ab, false),
            Ex::Or(ab) => self.logic(ab, true),
            Ex::Not(x) => match self.ev(x)? {
                Val::Bool(b) => Ok(Val::Bool(!b)),
                v => Err(no_overload("!_", &[&v])),
            },
            Ex::Neg(x) => match self.ev(x)? {
                Val::Int(i) => i.checked_neg().map(Val::Int).ok_or_else(overflow),
                Val::Double(d) => Ok(Val::Double(-d)),
                Val::Duration(d) => Ok(Val::Duration(-d)),
                v => Err(no_overload("-_", &[&v])),
            },
            Ex::NotStrictlyFalse(x) => Ok(Val::Bool(!matches!(self.ev(x), Ok(Val::Bool(false))))),
            Ex::Cond(c) => match self.ev(&c[0])? {
                Val::Bool(true) => self.ev(&c[1]),
                Val::Bool(false) => self.ev(&c[2]),
                v => Err(no_overload("_?_:_", &[&v])),
            },
            Ex::Bin(op, ab) => {
                let a = self.operand(&ab[0])?;
                let b = self.operand(&ab[1])?;
                let v = binary(*op, &a, &b);
                if *op == Op::Add {
                    self.made(v)
                } else {
                    v
                }
            }
            Ex::Call(f, args) => self.call(*f, args),
            Ex::Dig(d) => self.dig(d),
            Ex::Matches(x, re) => match &*self.operand(x)? {
                Val::Str(s) => Ok(Val::Bool(re.is_match(s))),
                v => Err(no_overload("matches", &[v, &Val::str("")])),
            },
            Ex::ImageField(x, part) => match self.ev(x)? {
                Val::Str(s) => Ok(Val::Str(s.sub(funcs::image_part(&s, *part)))),
                v => Err(EvalError::new(format!(
                    "image: expected a string, found {v}"
                ))),
            },
            Ex::Comp(c) => self.comp(c),
        }
    }

    /// `&&` (`or` false) and `||` (`or` true), absorbing an error or a non-boolean on one
    /// side when the other decides: `false && err` and `err && false` are false.
    fn logic(&mut self, ab: &[Ex; 2], or: bool) -> R<'a> {
        let a = self.ev(&ab[0]);
        if matches!(a, Ok(Val::Bool(b)) if b == or) {
            return Ok(Val::Bool(or));
        }
        let b = self.ev(&ab[1]);
        match (a, b) {
            (_, Ok(Val::Bool(b))) if b == or => Ok(Val::Bool(or)),
            (Ok(Val::Bool(_)), Ok(Val::Bool(_))) => Ok(Val::Bool(!or)),
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(x), Ok(y)) => Err(no_overload(if or { "_||_" } else { "_&&_" }, &[&x, &y])),
        }
    }

    /// `a + b + c...`: all strings or all lists are concatenated at once; anything else
    /// adds left to right as nested `+` would (same results, same first error).
    fn add_n(&mut self, xs: &[Ex]) -> R<'a> {
        let mut parts: SmallVec<[Val<'a>; 6]> = SmallVec::new();
        let mut rest = xs.iter();
        let mut uniform = true;
        for x in rest.by_ref() {
            let v = self.ev(x)?;
            let same = match parts.first() {
                None => matches!(v, Val::Str(_)) || v.is_list(),
                Some(Val::Str(_)) => matches!(v, Val::Str(_)),
                Some(_) => v.is_list(),
            };
            parts.push(v);
            if !same {
                uniform = false;
                break;
            }
        }
        if uniform {
            let v = concat(&parts).ok_or_else(internal);
            return self.made(v);
        }
        let mut it = parts.into_iter();
        let mut acc = it.next().ok_or_else(internal)?;
        for v in it {
            acc = self.made(binary(Op::Add, &acc, &v))?;
        }
        for x in rest {
            let v = self.operand(x)?;
            acc = self.made(binary(Op::Add, &acc, &v))?;
        }
        Ok(acc)
    }

    fn call(&mut self, f: Fun, args: &[Ex]) -> R<'a> {
        let world = self.env.world;
        match (f, args) {
            (Fun::Objects, [k]) => {
                let k = self.operand(k)?;
                let kind = str_arg("objects", &k)?;
                world
                    .objects(kind)
                    .map(|l| Val::List(List::Refs(l)))
                    .ok_or_else(|| not_kept(kind))
            }
            (Fun::ObjectsIn, [k, ns]) => {
                let k = self.operand(k)?;
                let ns = self.operand(ns)?;
                let kind = str_arg("objectsIn", &k)?;
                world
                    .objects_in(kind, str_arg("objectsIn", &ns)?)
                    .map(|l| Val::List(List::Refs(l)))
                    .ok_or_else(|| not_kept(kind))
            }
            (Fun::Lookup, [k, ns, name]) => {
                let k = self.operand(k)?;
                let ns = self.operand(ns)?;
                let name = self.operand(name)?;
                let kind = str_arg("lookup", &k)?;
                match world.lookup(kind, str_arg("lookup", &ns)?, str_arg("lookup", &name)?) {
                    Some(Some(r)) => Ok(Val::node(r)),
                    Some(None) => Ok(Val::Null),
                    None => Err(not_kept(kind)),
                }
            }
            (Fun::NamespacesWith, [l]) => {
                let l = self.operand(l)?;
                let vals: Vec<Val<'a>> = list_elems(&l)
                    .ok_or_else(|| EvalError::new("namespacesWith: expected a list of kinds"))?
                    .collect();
                let kinds = vals
                    .iter()
                    .map(|v| str_arg("namespacesWith", v))
                    .collect::<Result<Vec<&str>, _>>()?;
                let found = world
                    .namespaces_with(&kinds)
                    .ok_or_else(|| not_kept_all(&kinds))?;
                Ok(Val::List(List::from_vec(
                    found.into_iter().map(Val::string).collect(),
                )))
            }
            (Fun::Cert, [s]) => {
                let s = self.operand(s)?;
                if let Some((k, v)) = &self.cert {
                    if matches!(&*s, Val::Str(_)) && equal(k, &s) {
                        return Ok(v.clone());
                    }
                }
                let v = funcs::cert(&s);
                if matches!(&*s, Val::Str(_)) {
                    self.cert = Some((s.into_owned(), v.clone()));
                }
                Ok(v)
            }
            (_, [a]) => {
                let a = self.operand(a)?;
                funcs::pure(f, &[&a])
            }
            (_, [a, b]) => {
                let a = self.operand(a)?;
                let b = self.operand(b)?;
                funcs::pure(f, &[&a, &b])
            }
            (_, [a, b, c]) => {
                let a = self.operand(a)?;
                let b = self.operand(b)?;
                let c = self.operand(c)?;
                funcs::pure(f, &[&a, &b, &c])
            }
            _ => Err(internal()),
        }
    }

    fn dig(&mut self, d: &Dig) -> R<'a> {
        let v = self.operand(&d.v)?;
        let dyn_path = match &d.path {
            DigPath::Dyn(p) => Some(self.operand(p)?),
            _ => None,
        };
        let default = if d.lazy {
            None
        } else {
            Some(self.ev(&d.default)?)
        };
        let found = match (&d.path, dyn_path) {
            (DigPath::Steps(steps), _) => funcs::dig_walk(&v, steps),
            (DigPath::Dyn(_), Some(p)) => funcs::dig_steps(&p).and_then(|s| {
                let steps: Vec<Step> = s.iter().map(|s| Step::new(s)).collect();
                funcs::dig_walk(&v, &steps)
            }),
            _ => None,
        };
        match (found, default) {
            (Some(x), _) => Ok(x),
            (None, Some(d)) => Ok(d),
            (None, None) => self.ev(&d.default),
        }
    }

    fn comp(&mut self, c: &Comp) -> R<'a> {
        let range = self.ev(&c.range)?;
        let int = |i: usize| Val::Int(i64::try_from(i).unwrap_or(i64::MAX));
        match &range {
            Val::List(List::Empty) => self.iterate(c, std::iter::empty(), false),
            Val::List(List::Vals(vs)) => self.iterate(
                c,
                vs.iter().enumerate().map(|(i, v)| (int(i), v.clone())),
                false,
            ),
            Val::List(List::Refs(rs)) => self.iterate(
                c,
                rs.iter().enumerate().map(|(i, r)| (int(i), Val::node(*r))),
                false,
            ),
            Val::Node(r) if r.kind() == Kind::List => self.iterate(
                c,
                r.items().enumerate().map(|(i, r)| (int(i), Val::node(r))),
                false,
            ),
            Val::Node(r) if r.kind() == Kind::Map => self.iterate(
                c,
                r.entries().map(|(k, v)| (Val::str(k), Val::node(v))),
                true,
            ),
            Val::Map(m) => self.iterate(c, m.entries().iter().cloned(), true),
            v => Err(EvalError::new(format!(
                "cannot iterate over a {}",
                v.type_name()
            ))),
        }
    }

    /// Runs a comprehension over (index or key, element or value) pairs.
    fn iterate<I>(&mut self, c: &Comp, it: I, map: bool) -> R<'a>
    where
        I: Iterator<Item = (Val<'a>, Val<'a>)>,
    {
        let bind = |slots: &mut [Val<'a>], (k, v): (Val<'a>, Val<'a>)| {
            match c.var2 {
                Some(j) => {
                    *slot(slots, c.var)? = k;
                    *slot(slots, j)? = v;
                }
                None => *slot(slots, c.var)? = if map { k } else { v },
            }
            Ok::<(), EvalError>(())
        };
        let pred = |v: R<'a>, name: &str| -> Result<bool, EvalError> {
            match v? {
                Val::Bool(b) => Ok(b),
                v => Err(no_overload(name, &[&v])),
            }
        };
        match &c.kind {
            CompKind::Exists(p) | CompKind::All(p) => {
                // exists stops at the first true, all at the first false; an error elsewhere
                // only counts when nothing decides.
                let exists = matches!(c.kind, CompKind::Exists(_));
                let mut err = None;
                for kv in it {
                    bind(self.slots, kv)?;
                    match pred(self.ev(p), if exists { "exists" } else { "all" }) {
                        Ok(b) if b == exists => return Ok(Val::Bool(exists)),
                        Ok(_) => {}
                        Err(e) => {
                            err.get_or_insert(e);
                        }
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(Val::Bool(!exists)),
                }
            }
            CompKind::ExistsOne(p) => {
                let mut n = 0usize;
                for kv in it {
                    bind(self.slots, kv)?;
                    if pred(self.ev(p), "exists_one")? {
                        n += 1;
                    }
                }
                Ok(Val::Bool(n == 1))
            }
            CompKind::Filter(p) => {
                let mut out = Vec::new();
                for kv in it {
                    bind(self.slots, kv)?;
                    if pred(self.ev(p), "filter")? {
                        out.push(self.slots.get(c.var).cloned().ok_or_else(internal)?);
                    }
                }
                Ok(Val::List(List::from_vec(out)))
            }
            CompKind::Map(filter, f) => {
                let mut out = Vec::new();
                for kv in it {
                    bind(self.slots, kv)?;
                    if let Some(p) = filter {
                        if !pred(self.ev(p), "map")? {
                            continue;
                        }
                    }
                    out.push(self.ev(f)?);
                }
                Ok(Val::List(List::from_vec(out)))
            }
            CompKind::Fold {
                accu,
                init,
                cond,
                step,
                result,
            } => {
                *slot(self.slots, *accu)? = self.ev(init)?;
                for kv in it {
                    bind(self.slots, kv)?;
                    if !pred(self.ev(cond), "loop condition")? {
                        break;
                    }
                    *slot(self.slots, *accu)? = self.ev(step)?;
                }
                self.ev(result)
            }
        }
    }
}

fn overflow() -> EvalError {
    EvalError::new("integer overflow")
}

fn select<'a>(v: &Val<'a>, f: &str) -> R<'a> {
    match v {
        Val::Map(m) => m
            .get_str(f)
            .cloned()
            .ok_or_else(|| EvalError::new(format!("no such key: {f}"))),
        Val::Node(r) if r.kind() == Kind::Map => r
            .get(f)
            .map(Val::node)
            .ok_or_else(|| EvalError::new(format!("no such key: {f}"))),
        _ => Err(EvalError::new(format!(
            "cannot select field `{f}` of a {} ({v})",
            v.type_name()
        ))),
    }
}

fn index<'a>(a: &Val<'a>, i: &Val<'_>) -> R<'a> {
    if a.is_list() {
        let n = match i {
            Val::Int(n) => Some(*n),
            Val::UInt(u) => i64::try_from(*u).ok(),
            Val::Double(d) if d.fract() == 0.0 => Some(*d as i64),
            _ => return Err(no_overload("_[_]", &[a, i])),
        };
        return n
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| a.at(n))
            .ok_or_else(|| EvalError::new(format!("index out of bounds: {i}")));
    }
    if a.is_map() {
        return map_get(a, i).ok_or_else(|| EvalError::new(format!("no such key: {i}")));
    }
    Err(no_overload("_[_]", &[a, i]))
}

fn binary<'a>(op: Op, a: &Val<'a>, b: &Val<'a>) -> R<'a> {
    let bad = || no_overload(op.name(), &[a, b]);
    match op {
        Op::Eq => Ok(Val::Bool(equal(a, b))),
        Op::Ne => Ok(Val::Bool(!equal(a, b))),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let o = compare(a, b).map_err(|()| bad())?;
            Ok(Val::Bool(o.is_some_and(|o| match op {
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })))
        }
        Op::In => {
            if let Some(mut es) = list_elems(b) {
                return Ok(Val::Bool(es.any(|e| equal(&e, a))));
            }
            if b.is_map() {
                return Ok(Val::Bool(map_get(b, a).is_some()));
            }
            Err(bad())
        }
        Op::Add => add(a, b).ok_or_else(bad)?,
        Op::Sub => sub(a, b).ok_or_else(bad)?,
        Op::Mul => match (a, b) {
            (Val::Int(x), Val::Int(y)) => x.checked_mul(*y).map(Val::Int).ok_or_else(overflow),
            (Val::UInt(x), Val::UInt(y)) => x.checked_mul(*y).map(Val::UInt).ok_or_else(overflow),
            (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x * y)),
            _ => Err(bad()),
        },
        Op::Div => match (a, b) {
            (Val::Int(_) | Val::UInt(_), Val::Int(0) | Val::UInt(0)) => {
                Err(EvalError::new("division by zero"))
            }
            (Val::Int(x), Val::Int(y)) => x.checked_div(*y).map(Val::Int).ok_or_else(overflow),
            (Val::UInt(x), Val::UInt(y)) => x.checked_div(*y).map(Val::UInt).ok_or_else(overflow),
            (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x / y)),
            _ => Err(bad()),
        },
        Op::Rem => match (a, b) {
            (Val::Int(_) | Val::UInt(_), Val::Int(0) | Val::UInt(0)) => {
                Err(EvalError::new("modulus by zero"))
            }
            (Val::Int(x), Val::Int(y)) => x.checked_rem(*y).map(Val::Int).ok_or_else(overflow),
            (Val::UInt(x), Val::UInt(y)) => x.checked_rem(*y).map(Val::UInt).ok_or_else(overflow),
            _ => Err(bad()),
        },
    }
}

/// `a + b`; `None` when no overload applies.
fn add<'a>(a: &Val<'a>, b: &Val<'a>) -> Option<R<'a>> {
    Some(match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_add(*y).map(Val::Int).ok_or_else(overflow),
        (Val::UInt(x), Val::UInt(y)) => x.checked_add(*y).map(Val::UInt).ok_or_else(overflow),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x + y)),
        (Val::Str(x), Val::Str(y)) => Ok(if y.is_empty() {
            a.clone()
        } else if x.is_empty() {
            b.clone()
        } else {
            Val::Str(Str::Shared(concat_strs(&[x, y])))
        }),
        (Val::Bytes(x), Val::Bytes(y)) => {
            Ok(Val::Bytes(x.iter().chain(y.iter()).copied().collect()))
        }
        (Val::Timestamp(t), Val::Duration(d)) | (Val::Duration(d), Val::Timestamp(t)) => t
            .checked_add_signed(*d)
            .map(Val::Timestamp)
            .ok_or_else(|| EvalError::new("timestamp overflow")),
        (Val::Duration(x), Val::Duration(y)) => x
            .checked_add(y)
            .map(Val::Duration)
            .ok_or_else(|| EvalError::new("duration overflow")),
        _ if a.is_list() && b.is_list() => Ok(match (a.container_len(), b.container_len()) {
            (_, Some(0)) => a.clone(),
            (Some(0), _) => b.clone(),
            _ => {
                let mut out = Vec::with_capacity(
                    a.container_len().unwrap_or(0) + b.container_len().unwrap_or(0),
                );
                out.extend(list_elems(a)?);
                out.extend(list_elems(b)?);
                Val::List(List::from_vec(out))
            }
        }),
        _ => return None,
    })
}

/// `a - b`; `None` when no overload applies.
fn sub<'a>(a: &Val<'a>, b: &Val<'a>) -> Option<R<'a>> {
    Some(match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_sub(*y).map(Val::Int).ok_or_else(overflow),
        (Val::UInt(x), Val::UInt(y)) => x.checked_sub(*y).map(Val::UInt).ok_or_else(overflow),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x - y)),
        (Val::Timestamp(x), Val::Timestamp(y)) => Ok(Val::Duration(x.signed_duration_since(*y))),
        (Val::Timestamp(t), Val::Duration(d)) => t
            .checked_sub_signed(*d)
            .map(Val::Timestamp)
            .ok_or_else(|| EvalError::new("timestamp overflow")),
        (Val::Duration(x), Val::Duration(y)) => x
            .checked_sub(y)
            .map(Val::Duration)
            .ok_or_else(|| EvalError::new("duration overflow")),
        _ => return None,
    })
}

/// Strings or lists joined (all of one of them, as [`Machine::add_n`] collects them); a part
/// is returned as is when the others are empty. `None` for other values.
fn concat<'a>(parts: &[Val<'a>]) -> Option<Val<'a>> {
    let non_empty: SmallVec<[&Val<'a>; 6]> = parts
        .iter()
        .filter(|v| match v {
            Val::Str(s) => !s.is_empty(),
            _ => v.container_len() != Some(0),
        })
        .collect();
    match (parts.first()?, &non_empty[..]) {
        (first, []) => Some(first.clone()),
        (_, [one]) => Some((*one).clone()),
        (Val::Str(_), many) => {
            let strs: SmallVec<[&str; 6]> = many.iter().filter_map(|v| v.as_str()).collect();
            Some(Val::Str(Str::Shared(concat_strs(&strs))))
        }
        (_, many) => {
            let n = many.iter().filter_map(|v| v.container_len()).sum();
            let mut out = Vec::with_capacity(n);
            for v in many {
                out.extend(list_elems(v)?);
            }
            Some(Val::List(List::from_vec(out)))
        }
    }
}
