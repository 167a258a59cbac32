//! Bounds on a CEL expression checked **before** cel's parser sees it.
//!
//! cel's ANTLR parser builds a parse tree one level per operator of a chain (`a + b + c`),
//! per selection (`a.b.c`), call or index, and its visitor, the tree's drop and every walk of
//! onus's compiled tree recurse once per level: 7,000 chained `+` or 30,000 chained field
//! selections overflowed the stack (an abort, not an error). The parser's own recursion
//! limit counts only some rules (parentheses, ternaries), not these chains.
//!
//! [`check`] scans the text once, as cel's lexer would cut it (strings, raw strings, triple
//! quotes, escapes and comments are skipped), and computes an upper bound of the tree's
//! depth: along each nesting path, every operator, `.`, `?`, `:` and bracket counts as a
//! level (an element of a list, map or argument list starts afresh after its `,`). Past
//! [`onus_limits::Limits::cel_depth`] the expression is refused with the place where the
//! bound was passed. Malformed strings (unterminated, a line break in a one-line string, an
//! unknown escape) are refused here too: cel would refuse them, and its lexer would then
//! resume inside them, where the scan cannot follow.

use super::CompileError;

/// Refuses `src` when it is longer than `max_bytes`, nests deeper than `max_depth` by the
/// bound above, or holds a malformed string literal.
pub(crate) fn check(src: &str, max_bytes: usize, max_depth: usize) -> Result<(), CompileError> {
    if src.len() > max_bytes {
        return Err(CompileError {
            message: format!(
                "the expression is {} bytes, more than the {max_bytes} a check's expression may hold",
                src.len()
            ),
            line: 1,
            column: 1,
        });
    }
    Scan::new(src, max_depth).run().map(|_| ())
}

/// One open bracket's running counts. An element (what lies between commas) is cut into
/// parts by the operators that bind loosest (`?`, `:`, `&&`, `||`): an operator that binds
/// tighter has all its operands inside one part (or inside brackets), so a path from the
/// tree's root to a leaf crosses at most every loose operator of the element and every
/// operator of the leaf's part.
#[derive(Default, Clone, Copy)]
struct Group {
    /// Levels added by the operators of the current part so far.
    ops: usize,
    /// The deepest group nested in the current part so far.
    nested: usize,
    /// Loose operators (`?`, `:`, `&&`, `||`) of the current element so far.
    loose: usize,
    /// The deepest part of the current element finished so far.
    parts: usize,
    /// The deepest element finished in this group.
    done: usize,
}

impl Group {
    /// The bound of the current element so far.
    fn current(&self) -> usize {
        self.loose + self.parts.max(self.ops + self.nested)
    }
}

struct Scan<'s> {
    src: &'s str,
    b: &'s [u8],
    i: usize,
    max: usize,
    groups: Vec<Group>,
}

impl<'s> Scan<'s> {
    fn new(src: &'s str, max: usize) -> Self {
        Scan {
            src,
            b: src.as_bytes(),
            i: 0,
            max,
            groups: vec![Group::default()],
        }
    }

    fn err(&self, at: usize, message: impl Into<String>) -> CompileError {
        let (line, column) = super::compile::position(self.src, at);
        CompileError {
            message: message.into(),
            line,
            column,
        }
    }

    fn too_deep(&self, at: usize) -> CompileError {
        self.err(
            at,
            format!(
                "the expression nests deeper than {} levels (operators, selections, calls and brackets); split it, or use `&&`/`||` between simpler conditions",
                self.max
            ),
        )
    }

    /// A lower bound of the final depth bound, from what was scanned so far: an element is as
    /// deep as its operators plus its deepest group, a group one more than its deepest
    /// element (the innermost open group's final depth is not known yet: what was seen of it
    /// counts).
    fn bound(&self) -> usize {
        let mut inner = 0;
        for (k, g) in self.groups.iter().enumerate().rev() {
            let mut g = *g;
            if k + 1 < self.groups.len() {
                g.nested = g.nested.max(inner + 1);
            }
            inner = g.done.max(g.current());
        }
        inner
    }

    fn level(&mut self, at: usize) -> Result<(), CompileError> {
        if let Some(g) = self.groups.last_mut() {
            g.ops += 1;
        }
        self.check_bound(at)
    }

    /// A loose operator: the current part ends, the element is one level deeper.
    fn loose(&mut self, at: usize) -> Result<(), CompileError> {
        if let Some(g) = self.groups.last_mut() {
            g.parts = g.parts.max(g.ops + g.nested);
            g.ops = 0;
            g.nested = 0;
            g.loose += 1;
        }
        self.check_bound(at)
    }

    fn check_bound(&self, at: usize) -> Result<(), CompileError> {
        if self.bound() > self.max {
            return Err(self.too_deep(at));
        }
        Ok(())
    }

    /// Scans the whole text; returns the depth bound.
    fn run(mut self) -> Result<usize, CompileError> {
        while self.i < self.b.len() {
            let at = self.i;
            let c = self.b[at];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.i += 1,
                b'/' if self.b.get(at + 1) == Some(&b'/') => {
                    self.i = self.b[at..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.b.len(), |p| at + p);
                }
                b'"' | b'\'' => self.string(at, false)?,
                b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'0'..=b'9' => {
                    let len = self.b[at..]
                        .iter()
                        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                        .unwrap_or(self.b.len() - at);
                    let word = &self.b[at..at + len];
                    self.i = at + len;
                    // `r"..."`, `b'...'`, `br"""..."""`: a prefix of a string literal.
                    let quote = matches!(self.b.get(self.i), Some(b'"' | b'\''));
                    let prefix = matches!(
                        word,
                        b"r" | b"R" | b"b" | b"B" | b"br" | b"bR" | b"Br" | b"BR"
                    );
                    if quote && prefix {
                        let raw = word.iter().any(|&c| c == b'r' || c == b'R');
                        self.string(self.i, raw)?;
                    } else if word == b"in" {
                        self.level(at)?;
                    }
                }
                b'(' | b'[' | b'{' => {
                    // A call or index on what precedes is a level of its own.
                    self.level(at)?;
                    self.groups.push(Group::default());
                    self.check_bound(at)?;
                    self.i += 1;
                }
                b')' | b']' | b'}' => {
                    if self.groups.len() > 1 {
                        if let Some(g) = self.groups.pop() {
                            let deepest = g.done.max(g.current()) + 1;
                            if let Some(parent) = self.groups.last_mut() {
                                parent.nested = parent.nested.max(deepest);
                            }
                        }
                    }
                    self.check_bound(at)?;
                    self.i += 1;
                }
                b',' => {
                    if let Some(g) = self.groups.last_mut() {
                        g.done = g.done.max(g.current());
                        *g = Group {
                            done: g.done,
                            ..Group::default()
                        };
                    }
                    self.i += 1;
                }
                b'?' | b':' => {
                    self.loose(at)?;
                    self.i += 1;
                }
                b'&' | b'|' if self.b.get(at + 1) == Some(&c) => {
                    self.loose(at)?;
                    self.i += 2;
                }
                b'.' | b'+' | b'-' | b'*' | b'/' | b'%' | b'!' | b'<' | b'>' | b'=' | b'&'
                | b'|' => {
                    self.level(at)?;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        // Brackets left open close at the end.
        while self.groups.len() > 1 {
            if let Some(g) = self.groups.pop() {
                let deepest = g.done.max(g.current()) + 1;
                if let Some(parent) = self.groups.last_mut() {
                    parent.nested = parent.nested.max(deepest);
                }
            }
        }
        Ok(self.bound())
    }

    /// Skips the string literal whose opening quote is at `at` (as cel's lexer reads it).
    fn string(&mut self, at: usize, raw: bool) -> Result<(), CompileError> {
        let q = self.b[at];
        let triple = self.b.get(at + 1) == Some(&q) && self.b.get(at + 2) == Some(&q);
        let mut i = at + if triple { 3 } else { 1 };
        loop {
            let Some(&c) = self.b.get(i) else {
                return Err(self.err(at, "this string literal is not closed"));
            };
            if triple {
                if c == q && self.b.get(i + 1) == Some(&q) && self.b.get(i + 2) == Some(&q) {
                    self.i = i + 3;
                    return Ok(());
                }
            } else if c == q {
                self.i = i + 1;
                return Ok(());
            } else if c == b'\n' || c == b'\r' {
                return Err(self.err(
                    at,
                    "this string literal is not closed on its line (use triple quotes for several lines)",
                ));
            }
            if c == b'\\' && !raw {
                i += 1 + self.escape(i)?;
                continue;
            }
            i += 1;
        }
    }

    /// The length after the backslash at `at` of a valid escape sequence.
    fn escape(&self, at: usize) -> Result<usize, CompileError> {
        let hex = |from: usize, n: usize| {
            (from..from + n).all(|j| self.b.get(j).is_some_and(u8::is_ascii_hexdigit))
        };
        let oct = |j: usize, hi: u8| self.b.get(j).is_some_and(|&c| (b'0'..=hi).contains(&c));
        let len = match self.b.get(at + 1) {
            Some(
                b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'"' | b'\'' | b'\\' | b'?' | b'`',
            ) => 1,
            Some(b'x' | b'X') if hex(at + 2, 2) => 3,
            Some(b'u') if hex(at + 2, 4) => 5,
            Some(b'U') if hex(at + 2, 8) => 9,
            Some(b'0'..=b'3') if oct(at + 2, b'7') && oct(at + 3, b'7') => 3,
            _ => return Err(self.err(at, "unknown escape sequence in a string literal")),
        };
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    fn ok(src: &str) -> bool {
        check(src, 1 << 20, 100).is_ok()
    }

    #[test]
    fn chains_are_bounded_and_located() {
        assert!(ok(&format!("1{}", " + 1".repeat(90))));
        let e = check(&format!("1{}", " + 1".repeat(7_000)), 1 << 20, 100).unwrap_err();
        assert_eq!((e.line, e.column), (1, 403));
        assert!(e.message.contains("deeper than 100"), "{}", e.message);
        assert!(!ok(&format!("object{}", ".a".repeat(30_000))));
        assert!(!ok(&format!("{}1{}", "(".repeat(200), ")".repeat(200))));
        assert!(!ok(&format!("{}1{}", "[".repeat(200), "]".repeat(200))));
        assert!(!ok(&format!("x{}", "[0]".repeat(200))));
        assert!(!ok(&"!".repeat(200)));
    }

    #[test]
    fn elements_start_afresh_and_strings_are_not_code() {
        // A long list, or many arguments, is wide, not deep.
        let list = format!("[{}]", vec!["a + b"; 500].join(", "));
        assert!(ok(&list));
        // Operators inside strings, raw strings, comments and escapes are not levels.
        let text = format!(
            "'{}' + r\"\\\" + \"\\\"{}\" // {}",
            "+".repeat(500),
            ".".repeat(500),
            "(".repeat(500)
        );
        assert!(ok(&text), "{text}");
        assert!(ok(&format!("'''{}\n'''", "(".repeat(500))));
        assert!(ok(&format!("b'\\x41{}'", "[".repeat(500))));
    }

    #[test]
    fn malformed_strings_are_refused_here() {
        for (src, col) in [
            ("'abc", 1),
            ("x + \"a\nb\"", 5),
            ("'\\q((('", 2),
            ("'''abc", 1),
        ] {
            let e = check(src, 1 << 20, 100).unwrap_err();
            assert_eq!(e.column, col, "{src}: {e}");
        }
    }

    #[test]
    fn size_is_bounded() {
        let e = check(&"1".repeat(20_000), 16 * 1024, 100).unwrap_err();
        assert!(e.message.contains("20000 bytes"), "{e}");
    }
}

#[cfg(test)]
mod soundness {
    use cel::common::ast::{EntryExpr, Expr, IdedExpr};

    /// The depth of cel's tree (a leaf is 1).
    fn depth(e: &IdedExpr) -> usize {
        let children: Vec<&IdedExpr> = match &e.expr {
            Expr::Call(c) => c.target.iter().map(|t| &**t).chain(&c.args).collect(),
            Expr::Select(s) => vec![&*s.operand],
            Expr::List(l) => l.elements.iter().collect(),
            Expr::Map(m) => m
                .entries
                .iter()
                .flat_map(|en| match &en.expr {
                    EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
                    EntryExpr::StructField(f) => vec![&f.value],
                })
                .collect(),
            Expr::Comprehension(c) => vec![
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ],
            _ => Vec::new(),
        };
        1 + children.into_iter().map(depth).max().unwrap_or(0)
    }

    /// A random expression of cel's grammar, from a small xorshift generator.
    fn gen(seed: &mut u64, budget: usize) -> String {
        let mut next = |n: u64| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed % n
        };
        if budget == 0 {
            return ["a", "1", "'s'", "b.c", "2.5", "true"][next(6) as usize].to_string();
        }
        let b = budget - 1;
        match next(10) {
            0 => format!("{} + {}", gen(seed, b), gen(seed, b)),
            1 => format!(
                "{} ? {} : {}",
                gen(seed, b),
                gen(seed, b / 2),
                gen(seed, b / 2)
            ),
            2 => format!("{} && {} || {}", gen(seed, b), gen(seed, b), gen(seed, b)),
            3 => format!("({})", gen(seed, b)),
            4 => format!("{}.f", gen(seed, b)),
            5 => format!("f({}, {})", gen(seed, b), gen(seed, b)),
            6 => format!("[{}, {}][0]", gen(seed, b), gen(seed, b)),
            7 => format!("{{{}: {}}}", gen(seed, b), gen(seed, b)),
            8 => format!("!{} == -{}", gen(seed, b), gen(seed, b)),
            _ => format!("{}.exists(x, x < {})", gen(seed, b), gen(seed, b)),
        }
    }

    #[test]
    fn the_bound_is_never_below_cel_s_tree() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let src = gen(&mut seed, 4);
            let Ok(ast) = cel::parser::Parser::new().parse(&src) else {
                continue;
            };
            let bound = super::Scan::new(&src, usize::MAX).run().unwrap();
            // Macros (`exists`) add their own levels, which the compiler's slack covers.
            let macros = src.matches(".exists(").count() * 4;
            assert!(
                bound + macros + 1 >= depth(&ast),
                "{src}: bound {bound}, depth {}",
                depth(&ast)
            );
        }
    }
}

#[cfg(test)]
mod measure {
    /// `STACK_MIB=13 SRC=plus cargo test -p onus-audit --lib measure_parser_stack -- --ignored`
    #[test]
    #[ignore]
    fn measure_parser_stack() {
        let mib: usize = std::env::var("STACK_MIB").unwrap().parse().unwrap();
        let src = match std::env::var("SRC").unwrap().as_str() {
            "plus" => format!("1{}", "+1".repeat(8_000)),
            "sel" => format!("o{}", ".a".repeat(8_000)),
            "idx" => format!("o{}", "[0]".repeat(5_400)),
            _ => format!("{}1{}", "-".repeat(16_000), ""),
        };
        let r = std::thread::Builder::new()
            .stack_size(mib << 20)
            .spawn(move || super::super::compile::parse_and_compile(&src, 100).is_err())
            .unwrap()
            .join()
            .unwrap();
        eprintln!("survived with {mib} MiB: error = {r}");
    }
}

#[cfg(test)]
mod builtin {
    #[test]
    fn the_built_in_checks_stay_far_below_the_bound() {
        for c in crate::catalog::builtin().unwrap() {
            for src in [
                Some(&c.rule),
                c.items.as_ref(),
                c.item_id.as_ref(),
                c.when.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(super::check(src, 16 * 1024, 30).is_ok(), "{}: {src}", c.id);
            }
        }
    }
}
