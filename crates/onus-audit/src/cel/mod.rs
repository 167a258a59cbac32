//! onus's CEL evaluator: checks' expressions compiled once, evaluated over
//! [`Doc`](onus_inventory::doc::Doc) objects without copying them.
//!
//! Why not the `cel` crate's interpreter: cel 0.15 converts values between its own types and
//! the host's at every function call and variable binding, and each conversion deep-copies the
//! value (a whole Kubernetes object, or every object of a kind for `objects(kind)`). Measured
//! on 100,000 objects, an audit cost 10 s of CPU of which YAML parsing was 4 s: evaluation
//! dominated. Here values borrow the documents ([`Val::Node`], strings as `&'a str`): reading
//! `object.metadata.name` or `dig(podSpec(object), "containers", [])` walks the flat `Doc`
//! and allocates nothing. Only values the expression builds (`filter`, `map`, `+` of lists,
//! string concatenation, `image()`...) allocate.
//!
//! cel's *parser* is reused (`cel::parser::Parser`, macros such as `exists` and `filter`
//! already expanded into comprehensions); [`Program::compile`] turns its AST into a tree of
//! our own where identifiers are resolved (`object`, `item`, `now`, `params`, comprehension
//! variables as numbered slots) and functions looked up once, so that unknown functions,
//! wrong arities, bad regular expressions or durations are errors at load time, not per
//! object. The usual macro shapes (`exists`, `all`, `exists_one`, `filter`, `map`) are
//! recognised and run as loops of their own; the parts of a loop's body that do not depend
//! on its variable are computed once per evaluation.
//!
//! [`reads`] tells, by static analysis of a check's expressions, which parts of the judged
//! object and of the objects reached through `objects`/`objectsIn`/`lookup` are read, so that
//! the engine keeps only those.
//!
//! Semantics are CEL's where checks use them (heterogeneous numeric equality and ordering,
//! error-absorbing `&&`/`||`, `exists`/`all` absorbing errors when another element decides);
//! onus's helpers behave as `docs/audit.md` documents them. Not supported (compile errors):
//! optional syntax (`x.?f`, `[?i]`), message literals, timezone arguments of timestamp
//! accessors, string functions other than `startsWith`, `endsWith`, `contains`, `matches`,
//! `lowerAscii`, `upperAscii`, `trim`, `split`, `join`.
//!
//! For the engine: a failed evaluation is an [`EvalError`] (never a panic); the cross-object
//! helpers ask the [`World`], whose lists must live as long as the documents (`'a`), and a
//! `None` from it becomes the error "kind `X` is not kept: declare it in the check's `kinds`".

mod compile;
mod funcs;
mod guard;
mod interp;
mod reads;
#[cfg(test)]
mod tests;
mod value;

use chrono::{DateTime, FixedOffset};
use onus_inventory::doc::Ref;

pub use reads::{reads, reads_all, Reads};
pub use value::{equal, List, Map, Str, Val};

/// A compiled expression. `Send + Sync`: compile once, evaluate from any thread.
pub struct Program {
    root: compile::Ex,
    /// Comprehension variables (and accumulators) live at once, at most.
    slots: usize,
    /// Values computed once per evaluation (see [`compile::Ex::Memo`]).
    memos: usize,
    uses: compile::Uses,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("slots", &self.slots)
            .field("memos", &self.memos)
            .finish_non_exhaustive()
    }
}

impl Program {
    /// Parses and compiles. Syntax errors, unknown identifiers and functions, wrong arities,
    /// invalid literal regular expressions, durations and timestamps are errors here.
    pub fn compile(src: &str) -> Result<Program, CompileError> {
        compile::compile(src)
    }

    /// Evaluates against one binding of the variables.
    pub fn eval<'a>(&self, env: &Env<'_, 'a>) -> Result<Val<'a>, EvalError> {
        interp::eval(self, env)
    }
}

/// Why an expression does not compile; `line` and `column` are 1-based positions in the
/// source (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct CompileError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Why an evaluation failed (a missing key, a type mismatch, an overflow, a kind the engine
/// did not keep...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub message: String,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
        }
    }
}

/// Cross-object lookups, provided by the engine over the objects it kept.
pub trait World<'a> {
    /// All objects of a kind, input order. `None`: the kind was not kept (an error naming the
    /// kind).
    fn objects(&self, kind: &str) -> Option<&'a [Ref<'a>]>;
    /// The objects of a kind in a namespace, input order. `None`: the kind was not kept.
    fn objects_in(&self, kind: &str, namespace: &str) -> Option<&'a [Ref<'a>]>;
    /// `Some(None)`: a kept kind but no such object. An empty namespace means any namespace.
    fn lookup(&self, kind: &str, namespace: &str, name: &str) -> Option<Option<Ref<'a>>>;
    /// Sorted, unique namespaces holding an object of any of these kinds. `None`: not tracked.
    fn namespaces_with(&self, kinds: &[&str]) -> Option<Vec<String>>;
}

/// What `params` holds: `params.k8sLatest`, `params.k8sLatestMajor`, `params.k8sLatestMinor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub k8s_latest: String,
    pub k8s_latest_major: i64,
    pub k8s_latest_minor: i64,
}

/// The variables of one evaluation.
pub struct Env<'e, 'a> {
    /// The judged object; `Val::Null` when none (cluster-scope checks).
    pub object: Val<'a>,
    /// The judged item; `Val::Null` when none.
    pub item: Val<'a>,
    pub now: DateTime<FixedOffset>,
    pub params: &'e Params,
    pub world: &'e dyn World<'a>,
}

/// A world with no objects kept at all: every cross-object helper fails. For expressions
/// that make no cross-object call (see [`Reads::cross`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWorld;

impl<'a> World<'a> for NoWorld {
    fn objects(&self, _: &str) -> Option<&'a [Ref<'a>]> {
        None
    }
    fn objects_in(&self, _: &str, _: &str) -> Option<&'a [Ref<'a>]> {
        None
    }
    fn lookup(&self, _: &str, _: &str, _: &str) -> Option<Option<Ref<'a>>> {
        None
    }
    fn namespaces_with(&self, _: &[&str]) -> Option<Vec<String>> {
        None
    }
}

/// `ref(o)` as the rules see it: `namespace/Kind/name`, or `Kind/name` without a namespace
/// (the default id of an object's finding).
pub fn object_ref(o: &Val<'_>) -> String {
    funcs::object_ref(o).to_string()
}

/// `1.34`, `v1.30.2-eks-1` → (major, minor); `None` when it is not a version (what
/// `minor()` reads, and how the engine can fill [`Params`]).
pub fn parse_version(v: &str) -> Option<(i64, i64)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?;
    let digits = minor.len() - minor.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    Some((major, minor[..digits].parse().ok()?))
}
