//! From cel's AST to our tree: identifiers resolved to variables or slots, functions to
//! [`Fun`], literal arguments prepared (dig paths split, regexes compiled, durations parsed),
//! macro expansions recognised.

use ::cel::common::ast::{operators, SourceInfo};
use ::cel::common::ast::{CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, LiteralValue};
use regex::Regex;

use super::funcs;
use super::value::{List, Map, Val};
use super::{CompileError, Program};

/// A compiled expression. Children are boxed; constants are values of the program (`'static`:
/// they borrow nothing), cloned or lent at run time.
pub(crate) enum Ex {
    Const(Val<'static>),
    Object,
    Item,
    Now,
    Params,
    Param(Param),
    /// A comprehension variable or accumulator.
    Slot(usize),
    List(Box<[Ex]>),
    Map(Box<[(Ex, Ex)]>),
    /// `x.f`
    Select(Box<Ex>, Box<str>),
    /// `x.f.g...`: selections walked in one go.
    Path(Box<Ex>, Box<[Box<str>]>),
    /// `has(x.f)`
    Has(Box<Ex>, Box<str>),
    /// `x[i]`
    Index(Box<[Ex; 2]>),
    And(Box<[Ex; 2]>),
    Or(Box<[Ex; 2]>),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    NotStrictlyFalse(Box<Ex>),
    /// `c ? a : b`
    Cond(Box<[Ex; 3]>),
    Bin(Op, Box<[Ex; 2]>),
    /// `a + b + c...` (three operands or more, left to right): strings and lists are
    /// concatenated in one allocation.
    AddN(Box<[Ex]>),
    /// A function; a method's receiver is its first argument.
    Call(Fun, Box<[Ex]>),
    Dig(Box<Dig>),
    /// `s.matches(re)` with a literal pattern, compiled once.
    Matches(Box<Ex>, Box<Regex>),
    /// `image(s).name` / `.tag` / `.digest`, without building the map.
    ImageField(Box<Ex>, ImagePart),
    Comp(Box<Comp>),
    /// A part of a comprehension's body that reads no variable of it (nor of an enclosing
    /// one): the same value at every iteration, computed once per evaluation. With
    /// `objectsIn("PodDisruptionBudget", ns).exists(p, subset(.., dig(object, "spec..", {})))`
    /// the `dig(object, ..)` is walked once, not once per budget.
    Memo(usize, Box<Ex>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    K8sLatest,
    Major,
    Minor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl Op {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Add => "_+_",
            Op::Sub => "_-_",
            Op::Mul => "_*_",
            Op::Div => "_/_",
            Op::Rem => "_%_",
            Op::Eq => "_==_",
            Op::Ne => "_!=_",
            Op::Lt => "_<_",
            Op::Le => "_<=_",
            Op::Gt => "_>_",
            Op::Ge => "_>=_",
            Op::In => "@in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImagePart {
    Name,
    Tag,
    Digest,
}

/// Functions and methods (receiver first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fun {
    Size,
    StartsWith,
    EndsWith,
    Contains,
    Matches,
    LowerAscii,
    UpperAscii,
    Trim,
    Split,
    Join,
    Int,
    UInt,
    Double,
    String,
    Bool,
    Bytes,
    Timestamp,
    Duration,
    Dyn,
    Type,
    /// `t.getFullYear()` and friends (UTC), `d.getHours()` and friends (totals).
    Get(TimePart),
    Objects,
    ObjectsIn,
    Lookup,
    NamespacesWith,
    Selects,
    Subset,
    PodSpec,
    Ref,
    NsOf,
    Cert,
    Minor,
    Image,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimePart {
    FullYear,
    Month,
    Date,
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

impl Fun {
    /// Whether the result depends only on the arguments (constant arguments fold at compile
    /// time).
    fn pure(self) -> bool {
        !matches!(
            self,
            Fun::Objects | Fun::ObjectsIn | Fun::Lookup | Fun::NamespacesWith
        )
    }
}

/// `(name, called as a method, arguments besides the receiver, function)`.
const FUNCTIONS: &[(&str, bool, usize, Fun)] = &[
    ("size", false, 1, Fun::Size),
    ("size", true, 0, Fun::Size),
    ("startsWith", true, 1, Fun::StartsWith),
    ("endsWith", true, 1, Fun::EndsWith),
    ("contains", true, 1, Fun::Contains),
    ("matches", true, 1, Fun::Matches),
    ("matches", false, 2, Fun::Matches),
    ("lowerAscii", true, 0, Fun::LowerAscii),
    ("upperAscii", true, 0, Fun::UpperAscii),
    ("trim", true, 0, Fun::Trim),
    ("split", true, 1, Fun::Split),
    ("join", true, 0, Fun::Join),
    ("join", true, 1, Fun::Join),
    ("int", false, 1, Fun::Int),
    ("uint", false, 1, Fun::UInt),
    ("double", false, 1, Fun::Double),
    ("string", false, 1, Fun::String),
    ("bool", false, 1, Fun::Bool),
    ("bytes", false, 1, Fun::Bytes),
    ("timestamp", false, 1, Fun::Timestamp),
    ("duration", false, 1, Fun::Duration),
    ("dyn", false, 1, Fun::Dyn),
    ("type", false, 1, Fun::Type),
    ("getFullYear", true, 0, Fun::Get(TimePart::FullYear)),
    ("getMonth", true, 0, Fun::Get(TimePart::Month)),
    ("getDate", true, 0, Fun::Get(TimePart::Date)),
    ("getDayOfMonth", true, 0, Fun::Get(TimePart::DayOfMonth)),
    ("getDayOfWeek", true, 0, Fun::Get(TimePart::DayOfWeek)),
    ("getDayOfYear", true, 0, Fun::Get(TimePart::DayOfYear)),
    ("getHours", true, 0, Fun::Get(TimePart::Hours)),
    ("getMinutes", true, 0, Fun::Get(TimePart::Minutes)),
    ("getSeconds", true, 0, Fun::Get(TimePart::Seconds)),
    ("getMilliseconds", true, 0, Fun::Get(TimePart::Milliseconds)),
    ("objects", false, 1, Fun::Objects),
    ("objectsIn", false, 2, Fun::ObjectsIn),
    ("lookup", false, 3, Fun::Lookup),
    ("namespacesWith", false, 1, Fun::NamespacesWith),
    ("selects", false, 2, Fun::Selects),
    ("subset", false, 2, Fun::Subset),
    ("podSpec", false, 1, Fun::PodSpec),
    ("ref", false, 1, Fun::Ref),
    ("nsOf", false, 1, Fun::NsOf),
    ("cert", false, 1, Fun::Cert),
    ("minor", false, 1, Fun::Minor),
    ("image", false, 1, Fun::Image),
    // `dig` is compiled apart (its path is prepared), listed for arity messages.
];

/// Type names usable as values (`type(x) == string`).
const TYPES: &[&str] = &[
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

pub(crate) struct Dig {
    pub v: Ex,
    pub path: DigPath,
    pub default: Ex,
    /// Evaluate `default` only when needed: it cannot fail, so this is not observable.
    pub lazy: bool,
}

pub(crate) enum DigPath {
    Steps(Box<[Step]>),
    /// A path known at compile time to be neither a string nor a list: always the default.
    Never,
    Dyn(Ex),
}

/// One step of a `dig` path: a map key, or a list index when it is a number.
pub(crate) struct Step {
    pub key: Box<str>,
    pub index: Option<usize>,
}

impl Step {
    pub(crate) fn new(key: &str) -> Step {
        Step {
            key: key.into(),
            index: key.parse().ok(),
        }
    }
}

pub(crate) struct Comp {
    pub range: Ex,
    /// A list's element (or with `var2`, its index); a map's key.
    pub var: usize,
    /// A list's element or a map's value, for two-variable comprehensions.
    pub var2: Option<usize>,
    pub kind: CompKind,
}

pub(crate) enum CompKind {
    /// `exists(v, p)`: true when some `p` is, absorbing other elements' errors.
    Exists(Ex),
    /// `all(v, p)`: false when some `p` is, absorbing other elements' errors.
    All(Ex),
    ExistsOne(Ex),
    Filter(Ex),
    /// `map(v, f)` or `map(v, p, f)`.
    Map(Option<Ex>, Ex),
    /// Any other comprehension, as written.
    Fold {
        accu: usize,
        init: Ex,
        cond: Ex,
        step: Ex,
        result: Ex,
    },
}

/// Stack of the thread cel's parser runs on: what the deepest tree an expression of
/// [`onus_limits::Limits::cel_bytes`] can make needs, with room to spare. Measured (the
/// ignored test `measure_parser_stack` in `guard.rs`): 8,000 chained `+`, selections or
/// indexes, the most 16 KiB holds, need under 4 MiB in a release build and under 16 MiB in
/// a debug build. Only the pages used are ever touched.
const PARSER_STACK: usize = 64 << 20;

pub(crate) fn compile(src: &str) -> Result<Program, CompileError> {
    let limits = onus_limits::Limits::DEFAULT;
    super::guard::check(src, limits.cel_bytes, limits.cel_depth)?;
    // The scan above bounds the depth of what cel builds from well-formed text; on text that
    // cel's lexer might cut otherwise, the size bound and this stack keep cel's recursion
    // safe. The deep tree never leaves the thread: only the compiled program does, its depth
    // bounded by the compiler.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("cel-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, || parse_and_compile(src, limits.cel_depth))
            .map_err(|e| CompileError {
                message: format!("cannot start the parser's thread: {e}"),
                line: 0,
                column: 0,
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(CompileError {
                    message: "the CEL parser failed on this expression".into(),
                    line: 0,
                    column: 0,
                })
            })
    })
}

/// Parses with cel's parser and compiles, refusing trees deeper than `max_depth`.
pub(crate) fn parse_and_compile(src: &str, max_depth: usize) -> Result<Program, CompileError> {
    let (ast, info) = ::cel::parser::Parser::new()
        .parse_with_source_info(src)
        .map_err(|e| {
            let first = e.errors.first();
            let (line, column) = first.map_or((0, 0), |e| e.pos);
            let message = first.map_or_else(|| e.to_string(), |e| e.msg.clone());
            CompileError {
                message: message
                    .strip_prefix("Syntax error: ")
                    .map_or(message.clone(), |m| format!("syntax error: {m}")),
                line: usize::try_from(line).unwrap_or(0),
                column: usize::try_from(column).unwrap_or(0),
            }
        })?;
    let mut c = Compiler {
        src,
        info: &info,
        scope: Vec::new(),
        max_slots: 0,
        memos: 0,
        depth: 0,
        max_depth,
    };
    let root = c.expr(&ast)?;
    Ok(Program {
        uses: Uses::of(&root),
        root,
        slots: c.max_slots,
        memos: c.memos,
    })
}

pub(crate) struct Compiler<'s> {
    src: &'s str,
    info: &'s SourceInfo,
    /// Comprehension variables in scope, innermost last; a variable's slot is its index.
    scope: Vec<String>,
    pub(crate) max_slots: usize,
    pub(crate) memos: usize,
    /// How deep [`Compiler::expr`] is, and how deep it may go (walks of the compiled tree
    /// recurse as deep, on the engine's worker threads).
    depth: usize,
    max_depth: usize,
}

#[cfg(test)]
impl Compiler<'static> {
    /// A compiler for ASTs built by hand (no source).
    pub(crate) fn for_tests() -> Compiler<'static> {
        static INFO: std::sync::OnceLock<SourceInfo> = std::sync::OnceLock::new();
        Compiler {
            src: "",
            info: INFO.get_or_init(SourceInfo::default),
            scope: Vec::new(),
            max_slots: 0,
            memos: 0,
            depth: 0,
            max_depth: onus_limits::Limits::DEFAULT.cel_depth,
        }
    }
}

type R<T> = Result<T, CompileError>;

/// Levels the expansion of macros (`exists`, `map`...) may add to the text's depth bound.
const MACRO_SLACK: usize = 16;

impl Compiler<'_> {
    fn err(&self, at: &IdedExpr, message: impl Into<String>) -> CompileError {
        let (line, column) = self
            .info
            .offset_for(at.id)
            .map_or((0, 0), |(start, _)| position(self.src, start as usize));
        CompileError {
            message: message.into(),
            line,
            column,
        }
    }

    /// An error about a call: cel places calls at their parenthesis, point at the name.
    fn err_call(&self, at: &IdedExpr, name: &str, message: impl Into<String>) -> CompileError {
        let mut e = self.err(at, message);
        if let Some((start, _)) = self.info.offset_for(at.id) {
            let start = start as usize;
            if self.src.get(..start).is_some_and(|b| b.ends_with(name)) {
                (e.line, e.column) = position(self.src, start - name.len());
            }
        }
        e
    }

    fn push(&mut self, name: &str) -> usize {
        self.scope.push(name.to_string());
        self.max_slots = self.max_slots.max(self.scope.len());
        self.scope.len() - 1
    }

    pub(crate) fn expr(&mut self, e: &IdedExpr) -> R<Ex> {
        // Macros expand into a few levels each: the compiled tree may be somewhat deeper
        // than the text's bound, never much.
        if self.depth >= self.max_depth + MACRO_SLACK {
            return Err(self.err(
                e,
                format!("the expression nests deeper than {} levels", self.max_depth),
            ));
        }
        self.depth += 1;
        let x = self.expr_inner(e);
        self.depth -= 1;
        x
    }

    fn expr_inner(&mut self, e: &IdedExpr) -> R<Ex> {
        Ok(match &e.expr {
            Expr::Literal(l) => Ex::Const(literal(l)),
            Expr::Ident(name) => self.ident(e, name)?,
            Expr::Select(s) => {
                if s.test {
                    Ex::Has(Box::new(self.expr(&s.operand)?), s.field.as_str().into())
                } else {
                    self.select(e, &s.operand, &s.field)?
                }
            }
            Expr::List(l) => {
                if !l.optional_indices.is_empty() {
                    return Err(self.err(e, "optional list elements are not supported"));
                }
                let xs = l
                    .elements
                    .iter()
                    .map(|x| self.expr(x))
                    .collect::<R<Vec<_>>>()?;
                if xs.iter().all(|x| matches!(x, Ex::Const(_))) {
                    let vals = xs
                        .into_iter()
                        .filter_map(|x| match x {
                            Ex::Const(v) => Some(v),
                            _ => None,
                        })
                        .collect();
                    Ex::Const(Val::List(List::from_vec(vals)))
                } else {
                    Ex::List(xs.into())
                }
            }
            Expr::Map(m) => self.map(e, m)?,
            Expr::Call(call) => self.call(e, call)?,
            Expr::Comprehension(c) => self.comprehension(c)?,
            Expr::Struct(_) => return Err(self.err(e, "message literals are not supported")),
            Expr::Unspecified => return Err(self.err(e, "incomplete expression")),
        })
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> R<Ex> {
        if let Some(i) = self.scope.iter().rposition(|v| v == name) {
            return Ok(Ex::Slot(i));
        }
        Ok(match name {
            "object" => Ex::Object,
            "item" => Ex::Item,
            "now" => Ex::Now,
            "params" => Ex::Params,
            _ => match TYPES.iter().find(|t| **t == name) {
                Some(t) => Ex::Const(Val::Type(t)),
                None => {
                    let known = "variables: object, item, now, params";
                    let msg = format!("undeclared reference to `{name}` ({known})");
                    return Err(self.err(e, msg));
                }
            },
        })
    }

    fn select(&mut self, e: &IdedExpr, operand: &IdedExpr, field: &str) -> R<Ex> {
        if let Expr::Call(c) = &operand.expr {
            if c.func_name == "image" && c.target.is_none() && c.args.len() == 1 {
                let part = match field {
                    "name" => Some(ImagePart::Name),
                    "tag" => Some(ImagePart::Tag),
                    "digest" => Some(ImagePart::Digest),
                    _ => None,
                };
                if let Some(part) = part {
                    return Ok(Ex::ImageField(Box::new(self.expr(&c.args[0])?), part));
                }
            }
        }
        let x = self.expr(operand)?;
        if matches!(x, Ex::Params) {
            match field {
                "k8sLatest" => return Ok(Ex::Param(Param::K8sLatest)),
                "k8sLatestMajor" => return Ok(Ex::Param(Param::Major)),
                "k8sLatestMinor" => return Ok(Ex::Param(Param::Minor)),
                _ => {
                    return Err(self.err(
                        e,
                        format!(
                            "no such parameter `{field}` (params: k8sLatest, k8sLatestMajor, k8sLatestMinor)"
                        ),
                    ))
                }
            }
        }
        Ok(match x {
            Ex::Select(y, f) => Ex::Path(y, Box::new([f, field.into()])),
            Ex::Path(y, fs) => {
                let mut fs = fs.into_vec();
                fs.push(field.into());
                Ex::Path(y, fs.into())
            }
            x => Ex::Select(Box::new(x), field.into()),
        })
    }

    fn map(&mut self, e: &IdedExpr, m: &::cel::common::ast::MapExpr) -> R<Ex> {
        let mut entries = Vec::with_capacity(m.entries.len());
        for entry in &m.entries {
            let EntryExpr::MapEntry(me) = &entry.expr else {
                return Err(self.err(e, "message fields are not supported"));
            };
            if me.optional {
                return Err(self.err(e, "optional map entries are not supported"));
            }
            let k = self.expr(&me.key)?;
            if let Ex::Const(kv) = &k {
                if !matches!(kv, Val::Str(_) | Val::Int(_) | Val::UInt(_) | Val::Bool(_)) {
                    return Err(
                        self.err(&me.key, format!("invalid map key type {}", kv.type_name()))
                    );
                }
                let dup = entries.iter().any(
                    |(k2, _): &(Ex, Ex)| matches!(k2, Ex::Const(k2) if super::value::equal(k2, kv)),
                );
                if dup {
                    return Err(self.err(&me.key, format!("repeated map key {kv}")));
                }
            }
            let v = self.expr(&me.value)?;
            entries.push((k, v));
        }
        if entries
            .iter()
            .all(|(k, v)| matches!((k, v), (Ex::Const(_), Ex::Const(_))))
        {
            let vals = entries
                .into_iter()
                .filter_map(|kv| match kv {
                    (Ex::Const(k), Ex::Const(v)) => Some((k, v)),
                    _ => None,
                })
                .collect();
            return Ok(Ex::Const(Val::Map(Map::from_vec(vals))));
        }
        Ok(Ex::Map(entries.into()))
    }

    fn args(&mut self, args: &[IdedExpr]) -> R<Vec<Ex>> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn two(&mut self, args: &[IdedExpr]) -> R<Box<[Ex; 2]>> {
        Ok(Box::new([self.expr(&args[0])?, self.expr(&args[1])?]))
    }

    fn call(&mut self, e: &IdedExpr, call: &CallExpr) -> R<Ex> {
        let f = call.func_name.as_str();
        let args = &call.args;
        let n = args.len();
        if call.target.is_none() {
            let op = match f {
                operators::ADD => Some(Op::Add),
                operators::SUBSTRACT => Some(Op::Sub),
                operators::MULTIPLY => Some(Op::Mul),
                operators::DIVIDE => Some(Op::Div),
                operators::MODULO => Some(Op::Rem),
                operators::EQUALS => Some(Op::Eq),
                operators::NOT_EQUALS => Some(Op::Ne),
                operators::LESS => Some(Op::Lt),
                operators::LESS_EQUALS => Some(Op::Le),
                operators::GREATER => Some(Op::Gt),
                operators::GREATER_EQUALS => Some(Op::Ge),
                operators::IN => Some(Op::In),
                _ => None,
            };
            if let Some(op) = op {
                if n != 2 {
                    return Err(self.err(e, format!("operator {f} takes 2 operands")));
                }
                let [a, b] = *self.two(args)?;
                return Ok(match (op, a) {
                    (Op::Add, Ex::Bin(Op::Add, ab)) => {
                        let [a0, a1] = *ab;
                        Ex::AddN(Box::new([a0, a1, b]))
                    }
                    (Op::Add, Ex::AddN(xs)) => {
                        let mut xs = xs.into_vec();
                        xs.push(b);
                        Ex::AddN(xs.into())
                    }
                    (op, a) => Ex::Bin(op, Box::new([a, b])),
                });
            }
            match (f, n) {
                (operators::LOGICAL_AND | operators::LOGICAL_OR, 2..) => {
                    // Variadic forms fold to the left: `a && b && c` = `(a && b) && c`.
                    let mut xs = self.args(args)?.into_iter();
                    let mut acc = xs.next().unwrap_or(Ex::Const(Val::Bool(true)));
                    for x in xs {
                        acc = if f == operators::LOGICAL_AND {
                            Ex::And(Box::new([acc, x]))
                        } else {
                            Ex::Or(Box::new([acc, x]))
                        };
                    }
                    return Ok(acc);
                }
                (operators::CONDITIONAL, 3) => {
                    return Ok(Ex::Cond(Box::new([
                        self.expr(&args[0])?,
                        self.expr(&args[1])?,
                        self.expr(&args[2])?,
                    ])))
                }
                (operators::LOGICAL_NOT, 1) => return Ok(Ex::Not(Box::new(self.expr(&args[0])?))),
                (operators::NEGATE, 1) => {
                    return Ok(match self.expr(&args[0])? {
                        Ex::Const(Val::Int(i)) if i != i64::MIN => Ex::Const(Val::Int(-i)),
                        Ex::Const(Val::Double(d)) => Ex::Const(Val::Double(-d)),
                        x => Ex::Neg(Box::new(x)),
                    })
                }
                (operators::NOT_STRICTLY_FALSE, 1) => {
                    return Ok(Ex::NotStrictlyFalse(Box::new(self.expr(&args[0])?)))
                }
                (operators::INDEX, 2) => return Ok(Ex::Index(self.two(args)?)),
                (operators::OPT_INDEX | operators::OPT_SELECT, _) => {
                    return Err(self.err(e, "optional syntax is not supported"))
                }
                ("dig", 3) => return self.dig(args),
                _ => {}
            }
        }
        let method = call.target.is_some();
        let Some(&(_, _, _, fun)) = FUNCTIONS
            .iter()
            .find(|(name, m, arity, _)| *name == f && *m == method && *arity == n)
        else {
            return Err(self.err_call(e, f, self.unknown(f, method, n)));
        };
        let mut xs = Vec::with_capacity(n + 1);
        if let Some(t) = &call.target {
            xs.push(self.expr(t)?);
        }
        xs.extend(self.args(args)?);
        if fun == Fun::Matches {
            if let [s, Ex::Const(Val::Str(re))] = &mut xs[..] {
                let re = Regex::new(re)
                    .map_err(|err| self.err(e, format!("invalid regular expression: {err}")))?;
                let s = std::mem::replace(s, Ex::Const(Val::Null));
                return Ok(Ex::Matches(Box::new(s), Box::new(re)));
            }
        }
        if fun.pure() && xs.iter().all(|x| matches!(x, Ex::Const(_))) {
            let vals: Vec<&Val<'static>> = xs
                .iter()
                .filter_map(|x| match x {
                    Ex::Const(v) => Some(v),
                    _ => None,
                })
                .collect();
            match funcs::pure(fun, &vals) {
                Ok(v) => return Ok(Ex::Const(v)),
                // A literal that can never convert is a mistake in the check, not in the data.
                Err(err) if matches!(fun, Fun::Duration | Fun::Timestamp) => {
                    return Err(self.err(e, err.message))
                }
                Err(_) => {}
            }
        }
        Ok(Ex::Call(fun, xs.into()))
    }

    /// The message for a call that matches no function.
    fn unknown(&self, f: &str, method: bool, n: usize) -> String {
        let same: Vec<_> = FUNCTIONS.iter().filter(|(name, ..)| *name == f).collect();
        if same.is_empty() && f != "dig" {
            return format!("unknown function `{f}`");
        }
        if f == "dig" {
            return if method {
                "`dig` is a function: write dig(value, path, default)".into()
            } else {
                format!("`dig` takes 3 arguments, found {n}")
            };
        }
        if same.iter().all(|(_, m, ..)| *m != method) {
            return if method {
                format!("`{f}` is a function, not a method: write {f}(x, ...)")
            } else {
                format!("`{f}` is a method: write x.{f}(...)")
            };
        }
        let arities: Vec<String> = same
            .iter()
            .filter(|(_, m, ..)| *m == method)
            .map(|(_, _, a, _)| a.to_string())
            .collect();
        format!(
            "`{f}` takes {} argument(s), found {n}",
            arities.join(" or ")
        )
    }

    fn dig(&mut self, args: &[IdedExpr]) -> R<Ex> {
        let v = self.expr(&args[0])?;
        let path = match self.expr(&args[1])? {
            Ex::Const(p) => match funcs::dig_steps(&p) {
                Some(steps) => DigPath::Steps(steps.iter().map(|s| Step::new(s)).collect()),
                None => DigPath::Never,
            },
            p => DigPath::Dyn(p),
        };
        let default = self.expr(&args[2])?;
        let lazy = infallible(&default);
        Ok(Ex::Dig(Box::new(Dig {
            v,
            path,
            default,
            lazy,
        })))
    }

    /// A part of a comprehension evaluated at every iteration, its invariant parts memoized.
    fn body(&mut self, e: &IdedExpr) -> R<Ex> {
        let mut x = self.expr(e)?;
        self.hoist(&mut x);
        Ok(x)
    }

    /// Wraps the largest parts of `x` that read no comprehension variable bound outside them
    /// in [`Ex::Memo`].
    fn hoist(&mut self, x: &mut Ex) {
        if free_slots(x) == 0 {
            if !matches!(
                x,
                Ex::Const(_)
                    | Ex::Object
                    | Ex::Item
                    | Ex::Now
                    | Ex::Params
                    | Ex::Param(_)
                    | Ex::Memo(..)
            ) {
                let inner = std::mem::replace(x, Ex::Const(Val::Null));
                *x = Ex::Memo(self.memos, Box::new(inner));
                self.memos += 1;
            }
            return;
        }
        children_mut(x, &mut |c| self.hoist(c));
    }

    fn comprehension(&mut self, c: &ComprehensionExpr) -> R<Ex> {
        let range = self.expr(&c.iter_range)?;
        let base = self.scope.len();
        if c.iter_var2.is_none() {
            if let Some(shape) = macro_shape(c) {
                let var = self.push(&c.iter_var);
                let kind = match shape {
                    Shape::Exists(p) => CompKind::Exists(self.body(p)?),
                    Shape::All(p) => CompKind::All(self.body(p)?),
                    Shape::ExistsOne(p) => CompKind::ExistsOne(self.body(p)?),
                    Shape::Filter(p) => CompKind::Filter(self.body(p)?),
                    Shape::Map(p, f) => {
                        let p = p.map(|p| self.body(p)).transpose()?;
                        CompKind::Map(p, self.body(f)?)
                    }
                };
                self.scope.truncate(base);
                return Ok(Ex::Comp(Box::new(Comp {
                    range,
                    var,
                    var2: None,
                    kind,
                })));
            }
        }
        // The general form: the accumulator first, then the iteration variables.
        let init = self.expr(&c.accu_init)?;
        let accu = self.push(&c.accu_var);
        let var = self.push(&c.iter_var);
        let var2 = c.iter_var2.as_deref().map(|v| self.push(v));
        let cond = self.body(&c.loop_cond)?;
        let step = self.body(&c.loop_step)?;
        self.scope.truncate(accu + 1);
        let result = self.expr(&c.result)?;
        self.scope.truncate(base);
        Ok(Ex::Comp(Box::new(Comp {
            range,
            var,
            var2,
            kind: CompKind::Fold {
                accu,
                init,
                cond,
                step,
                result,
            },
        })))
    }
}

/// Which variables a program reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Uses {
    pub object: bool,
    pub item: bool,
}

impl Uses {
    pub(crate) fn of(x: &Ex) -> Uses {
        let mut u = Uses::default();
        fn walk(x: &Ex, u: &mut Uses) {
            match x {
                Ex::Object => u.object = true,
                Ex::Item => u.item = true,
                _ => children(x, &mut |c| walk(c, u)),
            }
        }
        walk(x, &mut u);
        u
    }
}

/// The comprehension slots `x` reads that are not bound inside it, as a bit set (slots from
/// 63 on share the last bit, never cleared: such parts are never memoized).
fn free_slots(x: &Ex) -> u64 {
    let bit = |i: usize| 1u64 << i.min(63);
    match x {
        Ex::Slot(i) => bit(*i),
        Ex::Comp(c) => {
            let mut bound = bit(c.var) | c.var2.map_or(0, bit);
            let mut inner = 0;
            let mut outer = free_slots(&c.range);
            match &c.kind {
                CompKind::Exists(p)
                | CompKind::All(p)
                | CompKind::ExistsOne(p)
                | CompKind::Filter(p) => inner |= free_slots(p),
                CompKind::Map(p, f) => inner |= p.as_ref().map_or(0, free_slots) | free_slots(f),
                CompKind::Fold {
                    accu,
                    init,
                    cond,
                    step,
                    result,
                } => {
                    bound |= bit(*accu);
                    outer |= free_slots(init);
                    inner |= free_slots(cond) | free_slots(step) | free_slots(result);
                }
            }
            outer | (inner & !(bound & !bit(63)))
        }
        _ => {
            let mut s = 0;
            children(x, &mut |c| s |= free_slots(c));
            s
        }
    }
}

/// Calls `f` on each direct child of `x` (comprehensions: their range and body parts).
pub(crate) fn children<'x>(x: &'x Ex, f: &mut dyn FnMut(&'x Ex)) {
    match x {
        Ex::Const(_)
        | Ex::Object
        | Ex::Item
        | Ex::Now
        | Ex::Params
        | Ex::Param(_)
        | Ex::Slot(_) => {}
        Ex::List(xs) | Ex::Call(_, xs) | Ex::AddN(xs) => xs.iter().for_each(f),
        Ex::Map(kvs) => kvs.iter().for_each(|(k, v)| {
            f(k);
            f(v)
        }),
        Ex::Select(x, _)
        | Ex::Path(x, _)
        | Ex::Has(x, _)
        | Ex::Not(x)
        | Ex::Neg(x)
        | Ex::NotStrictlyFalse(x)
        | Ex::Matches(x, _)
        | Ex::ImageField(x, _)
        | Ex::Memo(_, x) => f(x),
        Ex::Index(xs) | Ex::And(xs) | Ex::Or(xs) | Ex::Bin(_, xs) => xs.iter().for_each(f),
        Ex::Cond(xs) => xs.iter().for_each(f),
        Ex::Dig(d) => {
            f(&d.v);
            if let DigPath::Dyn(p) = &d.path {
                f(p);
            }
            f(&d.default);
        }
        Ex::Comp(c) => {
            f(&c.range);
            match &c.kind {
                CompKind::Exists(p)
                | CompKind::All(p)
                | CompKind::ExistsOne(p)
                | CompKind::Filter(p) => f(p),
                CompKind::Map(p, g) => {
                    if let Some(p) = p {
                        f(p);
                    }
                    f(g);
                }
                CompKind::Fold {
                    init,
                    cond,
                    step,
                    result,
                    ..
                } => {
                    f(init);
                    f(cond);
                    f(step);
                    f(result);
                }
            }
        }
    }
}

/// [`children`], mutably. A comprehension's parts are left alone: they were hoisted when it
/// was compiled, and the comprehension as a whole is memoized when it can be.
fn children_mut(x: &mut Ex, f: &mut dyn FnMut(&mut Ex)) {
    match x {
        Ex::Const(_)
        | Ex::Object
        | Ex::Item
        | Ex::Now
        | Ex::Params
        | Ex::Param(_)
        | Ex::Slot(_)
        | Ex::Memo(..) => {}
        Ex::List(xs) | Ex::Call(_, xs) | Ex::AddN(xs) => xs.iter_mut().for_each(f),
        Ex::Map(kvs) => kvs.iter_mut().for_each(|(k, v)| {
            f(k);
            f(v)
        }),
        Ex::Select(x, _)
        | Ex::Path(x, _)
        | Ex::Has(x, _)
        | Ex::Not(x)
        | Ex::Neg(x)
        | Ex::NotStrictlyFalse(x)
        | Ex::Matches(x, _)
        | Ex::ImageField(x, _) => f(x),
        Ex::Index(xs) | Ex::And(xs) | Ex::Or(xs) | Ex::Bin(_, xs) => xs.iter_mut().for_each(f),
        Ex::Cond(xs) => xs.iter_mut().for_each(f),
        Ex::Dig(d) => {
            f(&mut d.v);
            if let DigPath::Dyn(p) = &mut d.path {
                f(p);
            }
            f(&mut d.default);
        }
        Ex::Comp(c) => f(&mut c.range),
    }
}

/// Whether evaluating cannot fail (so that evaluating it late or never is not observable).
fn infallible(x: &Ex) -> bool {
    match x {
        Ex::Const(_)
        | Ex::Object
        | Ex::Item
        | Ex::Now
        | Ex::Params
        | Ex::Param(_)
        | Ex::Slot(_) => true,
        Ex::List(xs) => xs.iter().all(infallible),
        Ex::Dig(d) => {
            infallible(&d.v) && infallible(&d.default) && !matches!(d.path, DigPath::Dyn(_))
        }
        _ => false,
    }
}

fn literal(l: &LiteralValue) -> Val<'static> {
    match l {
        LiteralValue::Boolean(b) => Val::Bool(*b.inner()),
        LiteralValue::Bytes(b) => Val::Bytes(b.inner().into()),
        LiteralValue::Double(d) => Val::Double(*d.inner()),
        LiteralValue::Int(i) => Val::Int(*i.inner()),
        LiteralValue::Null => Val::Null,
        LiteralValue::String(s) if s.inner().is_empty() => Val::str(""),
        LiteralValue::String(s) => Val::string(s.inner()),
        LiteralValue::UInt(u) => Val::UInt(*u.inner()),
    }
}

/// 1-based line and column (in characters) of a byte offset (cel's parser records bytes).
pub(crate) fn position(src: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut col) = (1, 1);
    for (i, c) in src.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// The arguments of a call of `f` (without a receiver).
fn call<'e>(e: &'e IdedExpr, f: &str) -> Option<&'e [IdedExpr]> {
    match &e.expr {
        Expr::Call(c) if c.target.is_none() && c.func_name == f => Some(&c.args[..]),
        _ => None,
    }
}

/// A comprehension as one of the standard macros expands it.
enum Shape<'e> {
    Exists(&'e IdedExpr),
    All(&'e IdedExpr),
    ExistsOne(&'e IdedExpr),
    Filter(&'e IdedExpr),
    Map(Option<&'e IdedExpr>, &'e IdedExpr),
}

fn macro_shape(c: &ComprehensionExpr) -> Option<Shape<'_>> {
    let accu = c.accu_var.as_str();
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let lit_bool = |e: &IdedExpr, b: bool| matches!(&e.expr, Expr::Literal(LiteralValue::Boolean(x)) if *x.inner() == b);
    let lit_int = |e: &IdedExpr, i: i64| matches!(&e.expr, Expr::Literal(LiteralValue::Int(x)) if *x.inner() == i);
    let empty_list = |e: &IdedExpr| matches!(&e.expr, Expr::List(l) if l.elements.is_empty());
    // `accu + [f]`: the `f`.
    fn append<'e>(e: &'e IdedExpr, is_accu: &dyn Fn(&IdedExpr) -> bool) -> Option<&'e IdedExpr> {
        match call(e, operators::ADD)? {
            [a, l] if is_accu(a) => match &l.expr {
                Expr::List(l) if l.elements.len() == 1 && l.optional_indices.is_empty() => {
                    l.elements.first()
                }
                _ => None,
            },
            _ => None,
        }
    }
    let step = &c.loop_step;
    if lit_bool(&c.accu_init, false) && is_accu(&c.result) {
        // exists: cond = @not_strictly_false(!accu), step = accu || p
        let cond = call(&c.loop_cond, operators::NOT_STRICTLY_FALSE)?;
        let not = call(cond.first()?, operators::LOGICAL_NOT)?;
        match (not, call(step, operators::LOGICAL_OR)?) {
            ([a], [b, p]) if is_accu(a) && is_accu(b) => return Some(Shape::Exists(p)),
            _ => return None,
        }
    }
    if lit_bool(&c.accu_init, true) && is_accu(&c.result) {
        let cond = call(&c.loop_cond, operators::NOT_STRICTLY_FALSE)?;
        match (cond, call(step, operators::LOGICAL_AND)?) {
            ([a], [b, p]) if is_accu(a) && is_accu(b) => return Some(Shape::All(p)),
            _ => return None,
        }
    }
    if !lit_bool(&c.loop_cond, true) {
        return None;
    }
    if lit_int(&c.accu_init, 0) {
        // exists_one: step = p ? accu + 1 : accu, result = accu == 1
        let [p, inc, same] = call(step, operators::CONDITIONAL)? else {
            return None;
        };
        let inc_ok =
            matches!(call(inc, operators::ADD), Some([a, one]) if is_accu(a) && lit_int(one, 1));
        let res_ok = matches!(call(&c.result, operators::EQUALS), Some([a, one]) if is_accu(a) && lit_int(one, 1));
        return (inc_ok && res_ok && is_accu(same)).then_some(Shape::ExistsOne(p));
    }
    if empty_list(&c.accu_init) && is_accu(&c.result) {
        if let Some(f) = append(step, &is_accu) {
            return Some(Shape::Map(None, f));
        }
        let [p, add, same] = call(step, operators::CONDITIONAL)? else {
            return None;
        };
        if !is_accu(same) {
            return None;
        }
        let f = append(add, &is_accu)?;
        if matches!(&f.expr, Expr::Ident(v) if *v == c.iter_var) {
            return Some(Shape::Filter(p));
        }
        return Some(Shape::Map(Some(p), f));
    }
    None
}
