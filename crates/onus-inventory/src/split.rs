//! The reading side: one thread reads the files in order, never whole, and cuts their text
//! into [`Chunk`]s where YAML or JSON can be cut; workers parse the chunks (`parse.rs`).
//!
//! Where text is cut:
//! - YAML streams: before a `---` line (and before the `%` directives that precede it), or
//!   after a `...` line;
//! - inside a YAML document whose root is a block mapping with an `items:` block sequence
//!   and whose `kind` ends in `List`: between the items (lines starting with `-` at the
//!   sequence's indentation; valid YAML puts nothing else there, block and multi-line flow
//!   scalars being more indented). The rest of the document (its frame) is checked apart;
//! - JSON: between top-level values, and between the elements of a `List`'s `items` array
//!   (found with a byte scanner that knows strings, escapes and depth).
//!
//! A `List`'s `kind` usually comes after its items (kubectl sorts keys): the reader then looks
//! ahead through the rest of the document, without keeping it, to learn it.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use onus_limits::Limits;

use crate::parse::{Chunk, Form, Sink, Worker};
use crate::{InventoryError, ReadOptions, Visitor};

/// Default target size of a chunk, in bytes. Measured on 100,000 objects: 128 KiB reads as
/// fast as 512 KiB with 3 MB less peak memory; under 64 KiB the time grows.
pub const CHUNK_BYTES: usize = 128 * 1024;

/// Gzip files are decompressed again for each look-ahead: at most this many per file (beyond,
/// a `List` whose `kind` follows its items is read as one document).
const GZIP_LOOKAHEADS: usize = 4;

/// One input: a file (gzip detected by its magic bytes) or a text in memory.
pub(crate) enum Source<'a> {
    Path(&'a Path),
    Text(&'a [u8]),
}

impl<'a> Source<'a> {
    /// The text, decompressed (and bounded by `limits`) when it is gzip; and whether it is.
    fn open(&self, limits: &Limits) -> io::Result<(Box<dyn BufRead + 'a>, bool)> {
        match self {
            Source::Text(t) => Ok((Box::new(*t), false)),
            Source::Path(p) => {
                let file = Counted {
                    inner: File::open(p)?,
                    count: Rc::new(Cell::new(0)),
                };
                let compressed = file.count.clone();
                let mut r = BufReader::with_capacity(1 << 16, file);
                if r.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
                    let gz = Inflated {
                        inner: flate2::bufread::MultiGzDecoder::new(r),
                        compressed,
                        out: 0,
                        max: limits.decompressed_bytes,
                        ratio: limits.decompression_ratio,
                        floor: limits.ratio_floor,
                    };
                    Ok((Box::new(BufReader::with_capacity(1 << 16, gz)), true))
                } else {
                    Ok((Box::new(r), false))
                }
            }
        }
    }

    /// The (decompressed) text from `offset` on.
    fn open_at(&self, offset: u64, limits: &Limits) -> io::Result<Box<dyn BufRead + 'a>> {
        match self {
            Source::Text(t) => Ok(Box::new(
                usize::try_from(offset)
                    .ok()
                    .and_then(|o| t.get(o..))
                    .unwrap_or_default(),
            )),
            Source::Path(p) => {
                let (mut r, gz) = self.open(limits)?;
                if gz {
                    io::copy(&mut (&mut r).take(offset), &mut io::sink())?;
                    Ok(r)
                } else {
                    let mut f = File::open(p)?;
                    f.seek(SeekFrom::Start(offset))?;
                    Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
                }
            }
        }
    }
}

/// A reader that counts the bytes read through it (the compressed side of a gzip file).
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A gzip decoder that fails, instead of going on, past [`Limits::decompressed_bytes`], or
/// when the text grows more than [`Limits::decompression_ratio`] times the compressed bytes
/// read (once past [`Limits::ratio_floor`]): a gzip bomb stops after a few megabytes.
struct Inflated<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    out: u64,
    max: u64,
    ratio: u64,
    floor: u64,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.max {
            return Err(io::Error::other(format!(
                "it decompresses to more than {} bytes, the limit (a gzip bomb?)",
                self.max
            )));
        }
        let compressed = self.compressed.get().max(1);
        if self.out > self.floor && self.out / compressed > self.ratio {
            return Err(io::Error::other(format!(
                "it decompresses to more than {} times its compressed size, the limit (a gzip bomb?)",
                self.ratio
            )));
        }
        Ok(n)
    }
}

/// What the workers of one read found.
pub(crate) struct Output<'k, V> {
    pub workers: Vec<Sink<'k, V>>,
    /// The first position after the input (the next read's `seq` base).
    pub end: u64,
}

/// Sets the stop flag when a worker unwinds, so that the reader stops sending.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a reader thread panicked".into())
}

/// Reads `sources` (named `names`) with `opts`: the calling thread cuts, workers parse.
pub(crate) fn run<'k, V: Visitor>(
    sources: &[Source<'_>],
    names: &[String],
    opts: &'k ReadOptions,
    make: &(dyn Fn() -> V + Sync),
    base: u64,
) -> Result<Output<'k, V>, InventoryError> {
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let target = match opts.chunk_bytes {
        0 => CHUNK_BYTES,
        n => n,
    };
    let files: Vec<Arc<str>> = names.iter().map(|n| Arc::from(n.as_str())).collect();
    let stop = AtomicBool::new(false);
    // The position of the earliest chunk a worker failed on; chunks from there on are skipped.
    let failed_at = AtomicU64::new(u64::MAX);
    let (tx, rx) = sync_channel::<Chunk>(threads);
    // Each worker holds the receiver: when every worker is gone (even by a panic), sending
    // fails instead of blocking.
    let rx = Arc::new(Mutex::new(rx));
    let (results, read) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let rx = rx.clone();
                let (stop, failed_at, files) = (&stop, &failed_at, &files);
                s.spawn(move || {
                    let _guard = StopOnPanic(stop);
                    let mut w = Worker::new(Sink::new(make(), &opts.keep));
                    let mut failed: Option<(u64, InventoryError)> = None;
                    loop {
                        let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(chunk) = next else { break };
                        // A chunk before the failed one is still parsed: the error nearest
                        // the start must win whichever worker found one first.
                        let pos = chunk.pos;
                        if pos >= failed_at.load(Ordering::SeqCst) {
                            continue;
                        }
                        if let Err(e) = w.chunk(chunk, files) {
                            if failed.as_ref().is_none_or(|(p, _)| pos < *p) {
                                failed = Some((pos, e));
                            }
                            failed_at.fetch_min(pos, Ordering::SeqCst);
                            stop.store(true, Ordering::SeqCst);
                        }
                    }
                    (w.sink, failed)
                })
            })
            .collect();
        drop(rx);
        let read = split_all(sources, &tx, &stop, target, base, &opts.limits);
        drop(tx);
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (results, read)
    });
    let mut first: Option<(u64, InventoryError)> = None;
    let mut note = |pos: u64, e: InventoryError| {
        if first.as_ref().is_none_or(|(p, _)| pos < *p) {
            first = Some((pos, e));
        }
    };
    let mut workers = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok((sink, failed)) => {
                if let Some((pos, e)) = failed {
                    note(pos, e);
                }
                workers.push(sink);
            }
            Err(p) => note(0, InventoryError::Internal(panic_message(&*p))),
        }
    }
    let end = match read {
        Ok(end) => end,
        Err(Halt::Failed(pos, e)) => {
            note(pos, e);
            0
        }
        Err(Halt::Stopped) => 0,
    };
    if let Some((_, e)) = first {
        return Err(e);
    }
    if end == 0 && !sources.is_empty() {
        return Err(InventoryError::Internal(
            "the reader stopped before the end of its input".into(),
        ));
    }
    Ok(Output {
        workers,
        end: end.max(base),
    })
}

/// Why cutting stopped early.
pub(crate) enum Halt {
    /// The workers stopped (an error, found by them) or are gone.
    Stopped,
    /// Reading failed at a position.
    Failed(u64, InventoryError),
}

/// Reads every source in order; returns the position after the last one.
pub(crate) fn split_all(
    sources: &[Source<'_>],
    tx: &SyncSender<Chunk>,
    stop: &AtomicBool,
    target: usize,
    base: u64,
    limits: &Limits,
) -> Result<u64, Halt> {
    let mut pos = base;
    for (i, src) in sources.iter().enumerate() {
        let path = match src {
            Source::Path(p) => p.to_path_buf(),
            Source::Text(_) => Default::default(),
        };
        let io_err = |pos: u64| {
            let path = path.clone();
            move |source: io::Error| Halt::Failed(pos, InventoryError::Io { path, source })
        };
        let (mut r, gzip) = src.open(limits).map_err(io_err(pos))?;
        let mut s = Splitter {
            tx,
            stop,
            target,
            limits,
            src,
            gzip,
            file: i,
            base: pos,
            buf: Vec::new(),
            buf_pos: 0,
            buf_line: 0,
            buf_col: 0,
            lookaheads: 0,
        };
        let json = s.start(&mut r).map_err(io_err(pos))?;
        let done = if json { s.json(&mut r) } else { s.yaml(&mut r) };
        match done {
            Ok(()) => {}
            Err(Step::Halt(h)) => return Err(h),
            Err(Step::Io(e)) => return Err(io_err(s.base + s.buf_pos)(e)),
        }
        pos = s.base + s.buf_pos + s.buf.len() as u64 + 1;
    }
    Ok(pos)
}

/// Why a file's cutting stopped.
enum Step {
    Halt(Halt),
    Io(io::Error),
}

impl From<io::Error> for Step {
    fn from(e: io::Error) -> Self {
        Step::Io(e)
    }
}

/// Cuts one file.
struct Splitter<'s, 'a> {
    tx: &'s SyncSender<Chunk>,
    stop: &'s AtomicBool,
    target: usize,
    limits: &'s Limits,
    src: &'s Source<'a>,
    gzip: bool,
    file: usize,
    /// Position of the file's first byte in the input.
    base: u64,
    /// The text not sent yet.
    buf: Vec<u8>,
    /// Offset in the file, lines before, and column of `buf[0]`.
    buf_pos: u64,
    buf_line: usize,
    buf_col: usize,
    lookaheads: usize,
}

/// Where a YAML file is: between or inside documents (`Docs`), just after the `items:` line
/// of a `List` (`Pending`), among its items, or after them (`Trailer`).
enum Y {
    Docs(Track),
    Pending {
        frame: Frame,
        root: usize,
        track: Track,
    },
    Items {
        frame: Frame,
        indent: usize,
        starts: Vec<u32>,
    },
    Trailer {
        frame: Frame,
    },
}

/// The beginning of a split `List` document, up to its items.
struct Frame {
    header: Vec<u8>,
    line: usize,
    col: usize,
    pos: u64,
}

/// What is known of the YAML document being read.
#[derive(Default)]
struct Track {
    /// Offset in `buf` where it starts (its directives or `---` line included).
    start: usize,
    /// Its first line.
    line: usize,
    /// Whether a content line was seen.
    content: bool,
    /// Indentation of its root mapping's keys, when the root is a block mapping.
    root: Option<usize>,
    /// Its root `kind`, when seen.
    kind: Option<String>,
    /// Offset and line of the first of the `%` directives before its `---`.
    directives: Option<(usize, usize)>,
    /// Not to be split (it turned out not to be a `List` of block items).
    whole: bool,
}

impl Track {
    fn at(start: usize, line: usize) -> Track {
        Track {
            start,
            line,
            ..Track::default()
        }
    }
}

/// A YAML line, as far as cutting is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// `---`, with `content` after it on the line (not a comment).
    DocStart { content: bool },
    /// `...`
    DocEnd,
    /// `%` in column 0.
    Directive,
    /// Only spaces, tabs, or a comment.
    Blank,
    /// Anything else: its indentation (spaces) and whether it is a sequence entry (`- `).
    Content { indent: usize, item: bool },
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn blank_or_comment(r: &[u8]) -> bool {
    match r.iter().position(|&c| !is_ws(c)) {
        None => true,
        Some(i) => r[i] == b'#',
    }
}

fn classify(l: &[u8]) -> Line {
    let body = trim_eol(l);
    let marker = |m: &[u8]| body.starts_with(m) && body.get(3).is_none_or(|&c| is_ws(c));
    if marker(b"---") {
        return Line::DocStart {
            content: !blank_or_comment(&body[3..]),
        };
    }
    if marker(b"...") {
        return Line::DocEnd;
    }
    if body.first() == Some(&b'%') {
        return Line::Directive;
    }
    let indent = body.iter().take_while(|&&c| c == b' ').count();
    let rest = &body[indent..];
    if blank_or_comment(rest) {
        return Line::Blank;
    }
    let item = rest[0] == b'-' && rest.get(1).is_none_or(|&c| is_ws(c));
    Line::Content { indent, item }
}

/// A root mapping key line, as far as `List`s are concerned.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// Not a simple `key: value` line.
    None,
    /// `items:` with nothing after it (a block collection follows).
    Items,
    /// `kind: VALUE`, unquoted.
    Kind(String),
    Other,
}

fn key_of(l: &[u8], indent: usize) -> Key {
    let s = trim_eol(l).get(indent..).unwrap_or_default();
    let Some(&first) = s.first() else {
        return Key::None;
    };
    let (key, after): (&[u8], &[u8]) = match first {
        b'"' | b'\'' => {
            let mut i = 1;
            let mut end = None;
            while i < s.len() {
                if first == b'"' && s[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if s[i] == first {
                    if first == b'\'' && s.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    end = Some(i);
                    break;
                }
                i += 1;
            }
            let Some(end) = end else { return Key::None };
            let after = &s[end + 1..];
            let after = &after[after.iter().take_while(|&&c| is_ws(c)).count()..];
            match after.split_first() {
                Some((b':', rest)) if rest.first().is_none_or(|&c| is_ws(c)) => (&s[1..end], rest),
                _ => return Key::None,
            }
        }
        c if b"[]{}#&*!|>%@`,?:-".contains(&c) => return Key::None,
        _ => {
            let mut found = None;
            for i in 0..s.len() {
                if s[i] == b'#' && i > 0 && is_ws(s[i - 1]) {
                    return Key::None;
                }
                if s[i] == b':' && s.get(i + 1).is_none_or(|&c| is_ws(c)) {
                    found = Some(i);
                    break;
                }
            }
            let Some(i) = found else { return Key::None };
            let mut k = &s[..i];
            while let Some((last, init)) = k.split_last() {
                if is_ws(*last) {
                    k = init;
                } else {
                    break;
                }
            }
            (k, &s[i + 1..])
        }
    };
    let mut v = &after[after.iter().take_while(|&&c| is_ws(c)).count()..];
    if v.first() == Some(&b'#') {
        v = &[];
    }
    if let Some(i) = (1..v.len()).find(|&i| v[i] == b'#' && is_ws(v[i - 1])) {
        v = &v[..i];
    }
    while let Some((last, init)) = v.split_last() {
        if is_ws(*last) {
            v = init;
        } else {
            break;
        }
    }
    match key {
        b"items" if v.is_empty() => Key::Items,
        b"kind" if !v.is_empty() => {
            let v = match v {
                [b'"', inner @ .., b'"'] | [b'\'', inner @ .., b'\''] => inner,
                _ => v,
            };
            Key::Kind(String::from_utf8_lossy(v).into_owned())
        }
        _ => Key::Other,
    }
}

/// The lexical state of the JSON scanner.
#[derive(Default)]
struct Lex {
    depth: usize,
    in_str: bool,
    esc: bool,
    /// A closing bracket with nothing open: not JSON.
    broken: bool,
}

/// What a byte is to the JSON scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Space,
    /// A byte inside a string (its quotes excluded).
    InStr,
    StrStart,
    StrEnd,
    /// `{` or `[`; `depth` is then the depth inside.
    Open(u8),
    /// `}` or `]`; `depth` is then the depth outside.
    Close,
    Comma,
    Colon,
    /// Part of a number, `true`, `false`, `null` (or not JSON).
    Other,
}

impl Lex {
    fn step(&mut self, c: u8) -> Tok {
        if self.in_str {
            if self.esc {
                self.esc = false;
            } else if c == b'\\' {
                self.esc = true;
            } else if c == b'"' {
                self.in_str = false;
                return Tok::StrEnd;
            }
            return Tok::InStr;
        }
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => Tok::Space,
            b'"' => {
                self.in_str = true;
                Tok::StrStart
            }
            b'{' | b'[' => {
                self.depth += 1;
                Tok::Open(c)
            }
            b'}' | b']' => {
                match self.depth.checked_sub(1) {
                    Some(d) => self.depth = d,
                    None => self.broken = true,
                }
                Tok::Close
            }
            b',' => Tok::Comma,
            b':' => Tok::Colon,
            _ => Tok::Other,
        }
    }
}

/// The keys of a JSON document's root object, as far as `List`s are concerned.
#[derive(Default)]
struct Keys {
    expect_key: bool,
    after_colon: bool,
    key: Option<JKey>,
    capture: Option<(Vec<u8>, bool)>,
    /// The root `kind`, once read.
    kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JKey {
    Items,
    Kind,
    Other,
}

impl Keys {
    /// Feeds one token; `depth` is the lexer's depth after it.
    fn feed(&mut self, tok: Tok, depth: usize, c: u8) {
        match tok {
            Tok::Open(b'{') if depth == 1 => {
                self.expect_key = true;
            }
            Tok::StrStart if depth == 1 => {
                if self.expect_key {
                    self.capture = Some((Vec::new(), true));
                } else if self.after_colon && self.key == Some(JKey::Kind) {
                    self.capture = Some((Vec::new(), false));
                }
            }
            Tok::InStr if depth == 1 => {
                if let Some((v, _)) = &mut self.capture {
                    if v.len() < 256 {
                        v.push(c);
                    }
                }
            }
            Tok::StrEnd if depth == 1 => {
                if let Some((v, is_key)) = self.capture.take() {
                    if is_key {
                        self.key = Some(match v.as_slice() {
                            b"items" => JKey::Items,
                            b"kind" => JKey::Kind,
                            _ => JKey::Other,
                        });
                        self.expect_key = false;
                        self.after_colon = false;
                    } else {
                        self.kind = Some(String::from_utf8_lossy(&v).into_owned());
                    }
                }
            }
            Tok::Colon if depth == 1 => self.after_colon = true,
            Tok::Comma if depth == 1 => {
                self.expect_key = true;
                self.after_colon = false;
                self.key = None;
            }
            _ => {}
        }
    }
}

/// Where a JSON file is.
enum J {
    /// Between top-level values.
    Top,
    /// Inside a top-level value that is not split (yet).
    Doc {
        start: usize,
        line: usize,
        col: usize,
        keys: Keys,
    },
    /// Among the elements of a `List`'s `items`; `item` is where the current one starts.
    Items {
        frame: Frame,
        spans: Vec<(usize, usize)>,
        item: Option<usize>,
    },
    /// After the `items` array of a `List`.
    Trailer { frame: Frame },
}

impl Splitter<'_, '_> {
    /// Skips a byte-order mark and tells whether the text is JSON (starts with `{` or `[`).
    fn start(&mut self, r: &mut dyn BufRead) -> io::Result<bool> {
        let data = r.fill_buf()?;
        if data.starts_with(&[0xef, 0xbb, 0xbf]) {
            r.consume(3);
            self.buf_pos = 3;
        }
        let data = r.fill_buf()?;
        Ok(data
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            .is_some_and(|&c| c == b'{' || c == b'['))
    }

    fn send(&mut self, c: Chunk) -> Result<(), Step> {
        if self.stop.load(Ordering::SeqCst) {
            return Err(Step::Halt(Halt::Stopped));
        }
        self.tx.send(c).map_err(|_| Step::Halt(Halt::Stopped))
    }

    /// Sends `buf[..at]` as a chunk (unless it is only white space) and keeps the rest, which
    /// starts at `line`, `col`.
    fn cut(&mut self, at: usize, line: usize, col: usize, form: Form) -> Result<(), Step> {
        let rest = self.buf.split_off(at);
        let text = std::mem::replace(&mut self.buf, rest);
        let chunk = Chunk {
            file: self.file,
            line: self.buf_line,
            col: self.buf_col,
            pos: self.base + self.buf_pos,
            text,
            form,
        };
        self.buf_pos += at as u64;
        self.buf_line = line;
        self.buf_col = col;
        let empty = match &chunk.form {
            Form::YamlDocs | Form::JsonDocs { .. } => {
                chunk.text.iter().all(|c| c.is_ascii_whitespace())
            }
            _ => false,
        };
        if empty {
            return Ok(());
        }
        self.send(chunk)
    }

    /// Sends a `List`'s frame: its header and `buf[..at]` as its trailer.
    fn frame(
        &mut self,
        frame: Frame,
        at: usize,
        line: usize,
        col: usize,
        json: bool,
    ) -> Result<(), Step> {
        let rest = self.buf.split_off(at);
        let trailer = std::mem::replace(&mut self.buf, rest);
        let form = Form::Frame {
            trailer,
            trailer_line: self.buf_line,
            trailer_col: self.buf_col,
            json,
        };
        self.buf_pos += at as u64;
        self.buf_line = line;
        self.buf_col = col;
        self.send(Chunk {
            file: self.file,
            line: frame.line,
            col: frame.col,
            pos: self.base + frame.pos,
            text: frame.header,
            form,
        })
    }

    /// Takes `buf[start..at]` out as the header of a `List` whose items start after `at`
    /// (after sending what comes before `start`); `buf` keeps what follows `at`.
    fn take_header(
        &mut self,
        start: usize,
        at: usize,
        line: usize,
        col: usize,
        form: Form,
    ) -> Result<Frame, Step> {
        let frame_pos = self.buf_pos + start as u64;
        self.cut(start, line, col, form)?;
        let rest = self.buf.split_off(at - start);
        let header = std::mem::replace(&mut self.buf, rest);
        self.buf_pos += header.len() as u64;
        Ok(Frame {
            header,
            line,
            col,
            pos: frame_pos,
        })
    }

    fn yaml(&mut self, r: &mut dyn BufRead) -> Result<(), Step> {
        let mut st = Y::Docs(Track::at(0, 0));
        let mut line = 0;
        loop {
            let at = self.buf.len();
            if self.read_line(r)? == 0 {
                break;
            }
            st = self.yaml_line(st, at, line)?;
            let unit = match &st {
                Y::Docs(t) => t.line,
                Y::Pending { frame, .. } | Y::Trailer { frame } => frame.line,
                Y::Items { starts, .. } => self.buf_line + starts.last().map_or(0, |&s| s as usize),
            };
            self.check_size(unit, line)?;
            line += 1;
        }
        let len = self.buf.len();
        match st {
            Y::Docs(_) => self.cut(len, line, 0, Form::YamlDocs),
            Y::Pending { frame, .. } => {
                let mut text = frame.header;
                text.append(&mut self.buf);
                self.buf = text;
                self.buf_pos = frame.pos;
                self.buf_line = frame.line;
                let len = self.buf.len();
                self.cut(len, line, 0, Form::YamlDocs)
            }
            Y::Items { frame, starts, .. } => {
                self.cut(len, line, 0, Form::YamlItems { starts })?;
                self.frame(frame, 0, line, 0, false)
            }
            Y::Trailer { frame } => self.frame(frame, len, line, 0, false),
        }
    }

    /// Handles the line `buf[at..]`, line number `line` (0-based).
    fn yaml_line(&mut self, st: Y, at: usize, line: usize) -> Result<Y, Step> {
        let kind = classify(&self.buf[at..]);
        match st {
            Y::Docs(mut t) => {
                match kind {
                    Line::DocStart { content } => {
                        let (mut start, start_line) = t.directives.unwrap_or((at, line));
                        if start >= self.target {
                            self.cut(start, start_line, 0, Form::YamlDocs)?;
                            start = 0;
                        }
                        t = Track::at(start, start_line);
                        t.content = content;
                        t.whole = content;
                    }
                    Line::DocEnd => {
                        let mut end = self.buf.len();
                        if end >= self.target {
                            self.cut(end, line + 1, 0, Form::YamlDocs)?;
                            end = 0;
                        }
                        t = Track::at(end, line + 1);
                    }
                    Line::Directive => {
                        if !t.content && t.directives.is_none() {
                            t.directives = Some((at, line));
                        }
                    }
                    Line::Blank => {}
                    Line::Content { indent, item } => {
                        if !t.content {
                            t.content = true;
                            t.directives = None;
                            if !t.whole && !item && key_of(&self.buf[at..], indent) != Key::None {
                                t.root = Some(indent);
                            }
                        }
                        if t.root == Some(indent) && !item {
                            match key_of(&self.buf[at..], indent) {
                                Key::Kind(k) => t.kind = Some(k),
                                Key::Items => {
                                    if t.kind.is_none() {
                                        let after = self.buf_pos + self.buf.len() as u64;
                                        t.kind = self.lookahead_yaml(after, indent);
                                    }
                                    if t.kind.as_deref().is_some_and(|k| k.ends_with("List")) {
                                        let frame = self.take_header(
                                            t.start,
                                            at,
                                            t.line,
                                            0,
                                            Form::YamlDocs,
                                        )?;
                                        self.buf_line = line;
                                        return Ok(Y::Pending {
                                            frame,
                                            root: indent,
                                            track: t,
                                        });
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Ok(Y::Docs(t))
            }
            Y::Pending { frame, root, track } => match kind {
                Line::Blank => Ok(Y::Pending { frame, root, track }),
                Line::Content { indent, item: true } if indent >= root => {
                    // The items: what was pending (the `items:` line, comments) is dropped.
                    self.buf.drain(..at);
                    self.buf_pos += at as u64;
                    self.buf_line = line;
                    Ok(Y::Items {
                        frame,
                        indent,
                        starts: vec![0],
                    })
                }
                _ => {
                    // Not a block sequence after all: the document is read whole.
                    let mut text = frame.header;
                    let at = at + text.len();
                    text.append(&mut self.buf);
                    self.buf = text;
                    self.buf_pos = frame.pos;
                    self.buf_line = frame.line;
                    let t = Track {
                        start: 0,
                        line: frame.line,
                        content: true,
                        whole: true,
                        ..Track::default()
                    };
                    self.yaml_line(Y::Docs(t), at, line)
                }
            },
            Y::Items {
                frame,
                indent,
                mut starts,
            } => match kind {
                Line::Blank => Ok(Y::Items {
                    frame,
                    indent,
                    starts,
                }),
                Line::Content { indent: i, item } if i > indent || (item && i == indent) => {
                    if i == indent {
                        if at >= self.target {
                            let full = std::mem::replace(&mut starts, vec![0]);
                            self.cut(at, line, 0, Form::YamlItems { starts: full })?;
                        } else {
                            starts.push(u32::try_from(line - self.buf_line).unwrap_or(u32::MAX));
                        }
                    }
                    Ok(Y::Items {
                        frame,
                        indent,
                        starts,
                    })
                }
                _ => {
                    // The sequence ends: the rest of the document is the List's trailer.
                    self.cut(at, line, 0, Form::YamlItems { starts })?;
                    self.yaml_line(Y::Trailer { frame }, 0, line)
                }
            },
            Y::Trailer { frame } => match kind {
                Line::DocStart { .. } => {
                    self.frame(frame, at, line, 0, false)?;
                    self.yaml_line(Y::Docs(Track::at(0, line)), 0, line)
                }
                Line::DocEnd => {
                    let end = self.buf.len();
                    self.frame(frame, end, line + 1, 0, false)?;
                    Ok(Y::Docs(Track::at(0, line + 1)))
                }
                _ => Ok(Y::Trailer { frame }),
            },
        }
    }

    /// Appends a line (or what is left of the input) to `buf`, never growing it more than
    /// one byte past what may be held (see [`Self::check_size`]). Returns the line's length.
    fn read_line(&mut self, r: &mut dyn BufRead) -> Result<usize, Step> {
        let room = self.room();
        Ok(r.take(room).read_until(b'\n', &mut self.buf)?)
    }

    /// The most `buf` may hold: a chunk being filled (cut at the next place it can be once
    /// past `target`) plus one document or item that cannot be cut.
    fn most(&self) -> usize {
        self.limits.document_bytes.saturating_add(self.target)
    }

    /// How many more bytes `buf` may take, plus one to tell "at the limit" from "past it".
    fn room(&self) -> u64 {
        (self.most().saturating_sub(self.buf.len()) as u64).saturating_add(1)
    }

    /// Fails when `buf` holds more than a chunk and the largest document that cannot be cut:
    /// the reader never holds a whole document it cannot cut beyond [`Limits::document_bytes`].
    /// `unit` is the (0-based) line where the document or item being held starts, `line`
    /// the line being read.
    fn check_size(&self, unit: usize, line: usize) -> Result<(), Step> {
        if self.buf.len() <= self.most() {
            return Ok(());
        }
        Err(Step::Halt(Halt::Failed(
            self.base + self.buf_pos,
            InventoryError::TooLarge {
                file: self.src_name(),
                line: unit + 1,
                near: line + 1,
                limit: self.limits.document_bytes,
            },
        )))
    }

    fn src_name(&self) -> String {
        match self.src {
            Source::Path(p) => p.display().to_string(),
            Source::Text(_) => String::new(),
        }
    }

    /// The root `kind` of the YAML document that goes on at `offset`, read ahead without
    /// keeping anything.
    fn lookahead_yaml(&mut self, offset: u64, root: usize) -> Option<String> {
        if self.gzip && self.lookaheads >= GZIP_LOOKAHEADS {
            return None;
        }
        self.lookaheads += 1;
        let mut r = self.src.open_at(offset, self.limits).ok()?;
        let mut l = Vec::new();
        let longest = self.limits.document_bytes as u64;
        loop {
            l.clear();
            if (&mut r).take(longest).read_until(b'\n', &mut l).ok()? == 0 {
                return None;
            }
            match classify(&l) {
                Line::DocStart { .. } | Line::DocEnd => return None,
                Line::Content {
                    indent,
                    item: false,
                } if indent == root => {
                    if let Key::Kind(k) = key_of(&l, indent) {
                        return Some(k);
                    }
                }
                _ => {}
            }
        }
    }

    /// Column (bytes) of `buf[i]` in its line.
    fn col_at(&self, i: usize) -> usize {
        match self.buf[..i].iter().rposition(|&c| c == b'\n') {
            Some(p) => i - p - 1,
            None => self.buf_col + i,
        }
    }

    fn json(&mut self, r: &mut dyn BufRead) -> Result<(), Step> {
        let mut lex = Lex::default();
        let mut st = J::Top;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut line = self.buf_line;
        loop {
            let data = r.fill_buf()?;
            if data.is_empty() {
                break;
            }
            let n = data.len();
            let mut i = self.buf.len();
            self.buf.extend_from_slice(data);
            r.consume(n);
            loop {
                // What is deeper than this cannot change where to cut: skip it fast.
                let floor = match st {
                    J::Top => 0,
                    J::Doc { .. } | J::Trailer { .. } => 1,
                    J::Items { .. } => 2,
                };
                i = skip(&self.buf, i, &mut lex, floor, &mut line);
                let Some(&c) = self.buf.get(i) else { break };
                let tok = lex.step(c);
                // Where to go on: the next byte, or `buf[next]` after a cut.
                let mut next = i + 1;
                st = match st {
                    J::Top => match tok {
                        Tok::Space => J::Top,
                        Tok::Open(_) if !lex.broken => {
                            let mut keys = Keys::default();
                            keys.feed(tok, lex.depth, c);
                            J::Doc {
                                start: i,
                                line,
                                col: self.col_at(i),
                                keys,
                            }
                        }
                        _ => {
                            // Not a JSON stream (YAML flow documents, say): the rest of the
                            // file is read whole, as YAML.
                            let from = spans.last().map_or(0, |s| s.1);
                            let (fl, fc) = if from == 0 {
                                (self.buf_line, self.buf_col)
                            } else {
                                let nl = self.buf[from..i].iter().filter(|&&c| c == b'\n');
                                (line - nl.count(), self.col_at(from))
                            };
                            self.cut(from, fl, fc, Form::JsonDocs { spans })?;
                            let room = self.room();
                            r.take(room).read_to_end(&mut self.buf)?;
                            self.check_size(fl, line)?;
                            let len = self.buf.len();
                            return self.cut(len, 0, 0, Form::YamlDocs);
                        }
                    },
                    J::Doc {
                        start,
                        line: l0,
                        col: c0,
                        mut keys,
                    } => {
                        if self.buf.get(start) == Some(&b'{') {
                            keys.feed(tok, lex.depth, c);
                        }
                        let items = tok == Tok::Open(b'[')
                            && lex.depth == 2
                            && keys.key == Some(JKey::Items)
                            && keys.after_colon;
                        if items && keys.kind.is_none() {
                            let after = self.buf_pos + i as u64 + 1;
                            keys.kind = self.lookahead_json(after);
                        }
                        if items && keys.kind.as_deref().is_some_and(|k| k.ends_with("List")) {
                            let col = self.col_at(i) + 1;
                            let docs = Form::JsonDocs {
                                spans: std::mem::take(&mut spans),
                            };
                            let frame = self.take_header(start, i + 1, l0, c0, docs)?;
                            self.buf_line = line;
                            self.buf_col = col;
                            next = 0;
                            J::Items {
                                frame,
                                spans: Vec::new(),
                                item: None,
                            }
                        } else if tok == Tok::Close && lex.depth == 0 {
                            spans.push((start, i + 1));
                            if i + 1 >= self.target {
                                let col = self.col_at(i) + 1;
                                let docs = Form::JsonDocs {
                                    spans: std::mem::take(&mut spans),
                                };
                                self.cut(i + 1, line, col, docs)?;
                                next = 0;
                            }
                            J::Top
                        } else {
                            J::Doc {
                                start,
                                line: l0,
                                col: c0,
                                keys,
                            }
                        }
                    }
                    J::Items {
                        frame,
                        mut spans,
                        mut item,
                    } => {
                        // Depth 3 after an open: an element starts; 1 after a close: the
                        // array ends; 2: between elements.
                        let at_top = match tok {
                            Tok::Open(_) => lex.depth == 3,
                            Tok::Close => lex.depth == 1,
                            _ => lex.depth == 2,
                        };
                        match tok {
                            _ if !at_top => {}
                            Tok::Space | Tok::InStr => {}
                            Tok::Comma => {
                                if let Some(s) = item.take() {
                                    spans.push((s, i));
                                }
                            }
                            Tok::Close => {
                                if let Some(s) = item.take() {
                                    spans.push((s, i));
                                }
                                let col = self.col_at(i);
                                self.cut(i, line, col, Form::JsonItems { spans })?;
                                // The `]` is now `buf[0]`, the trailer's first byte.
                                st = J::Trailer { frame };
                                i = 1;
                                continue;
                            }
                            _ => {
                                if item.is_none() {
                                    let mut at = i;
                                    if i >= self.target && !spans.is_empty() {
                                        let col = self.col_at(i);
                                        let full = Form::JsonItems {
                                            spans: std::mem::take(&mut spans),
                                        };
                                        self.cut(i, line, col, full)?;
                                        at = 0;
                                        next = 1;
                                    }
                                    item = Some(at);
                                }
                            }
                        }
                        J::Items { frame, spans, item }
                    }
                    J::Trailer { frame } => {
                        if tok == Tok::Close && lex.depth == 0 {
                            let col = self.col_at(i) + 1;
                            self.frame(frame, i + 1, line, col, true)?;
                            next = 0;
                            J::Top
                        } else {
                            J::Trailer { frame }
                        }
                    }
                };
                if c == b'\n' {
                    line += 1;
                }
                i = next;
            }
            // What is still held after cutting: one document or item, and a chunk.
            let unit = match &st {
                J::Doc { line, .. } => *line,
                _ => self.buf_line,
            };
            self.check_size(unit, line)?;
        }
        let len = self.buf.len();
        let col = self.col_at(len);
        match st {
            J::Top => self.cut(len, line, col, Form::JsonDocs { spans }),
            J::Doc { start, .. } => {
                spans.push((start, len));
                self.cut(len, line, col, Form::JsonDocs { spans })
            }
            J::Items {
                frame,
                mut spans,
                item,
            } => {
                if let Some(s) = item {
                    spans.push((s, len));
                }
                self.cut(len, line, col, Form::JsonItems { spans })?;
                self.frame(frame, 0, line, col, true)
            }
            J::Trailer { frame } => self.frame(frame, len, line, col, true),
        }
    }

    /// The root `kind` of the JSON document whose `items` array starts at `offset`, read
    /// ahead without keeping anything.
    fn lookahead_json(&mut self, offset: u64) -> Option<String> {
        if self.gzip && self.lookaheads >= GZIP_LOOKAHEADS {
            return None;
        }
        self.lookaheads += 1;
        let mut r = self.src.open_at(offset, self.limits).ok()?;
        let mut lex = Lex {
            depth: 2,
            ..Lex::default()
        };
        let mut keys = Keys::default();
        let mut lines = 0;
        loop {
            let data = r.fill_buf().ok()?;
            if data.is_empty() {
                return None;
            }
            let n = data.len();
            let mut i = 0;
            loop {
                i = skip(data, i, &mut lex, 1, &mut lines);
                let Some(&c) = data.get(i) else { break };
                let tok = lex.step(c);
                keys.feed(tok, lex.depth, c);
                if keys.kind.is_some() {
                    return keys.kind.take();
                }
                if lex.depth == 0 || lex.broken {
                    return None;
                }
                i += 1;
            }
            r.consume(n);
        }
    }
}

/// Bytes that matter to [`skip`] outside strings (1) and inside them (2).
const SKIP: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = 3;
    t[b'{' as usize] = 1;
    t[b'}' as usize] = 1;
    t[b'[' as usize] = 1;
    t[b']' as usize] = 1;
    t[b'\n' as usize] = 3;
    t[b'\\' as usize] = 2;
    t
};

/// Advances over JSON text deeper than `floor` (strings included), counting lines; stops at
/// the first byte at `floor` or above. The hot loop of reading JSON: bytes that matter are
/// found through a table.
fn skip(b: &[u8], mut i: usize, lex: &mut Lex, floor: usize, line: &mut usize) -> usize {
    while lex.depth > floor {
        if lex.esc {
            // The byte after a backslash, whatever it is.
            let Some(&c) = b.get(i) else { break };
            lex.esc = false;
            if c == b'\n' {
                *line += 1;
            }
            i += 1;
            continue;
        }
        let mask = if lex.in_str { 2 } else { 1 };
        while i < b.len() && SKIP[b[i] as usize] & mask == 0 {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        if c == b'\n' {
            *line += 1;
        }
        if lex.in_str {
            if c == b'\\' {
                lex.esc = true;
            } else if c == b'"' {
                lex.in_str = false;
            }
        } else {
            match c {
                b'"' => lex.in_str = true,
                b'{' | b'[' => lex.depth += 1,
                b'}' | b']' => lex.depth -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified() {
        assert_eq!(classify(b"---\n"), Line::DocStart { content: false });
        assert_eq!(classify(b"--- # c\n"), Line::DocStart { content: false });
        assert_eq!(classify(b"--- |\n"), Line::DocStart { content: true });
        assert_eq!(
            classify(b"----\n"),
            Line::Content {
                indent: 0,
                item: false
            }
        );
        assert_eq!(classify(b"...\r\n"), Line::DocEnd);
        assert_eq!(classify(b"%YAML 1.2\n"), Line::Directive);
        assert_eq!(classify(b"   # c\n"), Line::Blank);
        assert_eq!(classify(b" \t \n"), Line::Blank);
        assert_eq!(
            classify(b"  - a\n"),
            Line::Content {
                indent: 2,
                item: true
            }
        );
        assert_eq!(
            classify(b"-\n"),
            Line::Content {
                indent: 0,
                item: true
            }
        );
        assert_eq!(
            classify(b"-a: 1\n"),
            Line::Content {
                indent: 0,
                item: false
            }
        );
    }

    #[test]
    fn root_keys_are_read() {
        assert_eq!(key_of(b"items:\n", 0), Key::Items);
        assert_eq!(key_of(b"  items:   # c\n", 2), Key::Items);
        assert_eq!(key_of(b"items: []\n", 0), Key::Other);
        assert_eq!(key_of(b"kind: List\n", 0), Key::Kind("List".into()));
        assert_eq!(
            key_of(b"kind: 'PodList' # c\n", 0),
            Key::Kind("PodList".into())
        );
        assert_eq!(key_of(b"\"kind\": \"List\"\n", 0), Key::Kind("List".into()));
        assert_eq!(key_of(b"'kind' : List\n", 0), Key::Kind("List".into()));
        assert_eq!(key_of(b"kind:List\n", 0), Key::None);
        assert_eq!(key_of(b"{a: 1}\n", 0), Key::None);
        assert_eq!(key_of(b"a # b: c\n", 0), Key::None);
        assert_eq!(key_of(b"url: http://x\n", 0), Key::Other);
    }
}
