//! The bounds onus puts on what it reads from other people: sizes, depths, counts and
//! decompression, in one place.
//!
//! onus reads models, published matrices (Markdown, CSV, XLSX, OSCAL), cluster exports,
//! attestations and users' CEL checks, and the portal will receive all of that over the
//! network. Every reader bounds what it consumes **at its entry**, before the work that the
//! bound protects (a parser's recursion, an allocation sized by the input, a decompression),
//! and fails with a located, typed error when a bound is passed. The numbers are here, with
//! why each is what it is, so that the crates agree and a reviewer reads them once;
//! `docs/robustness.md` is the user's view of the same table.
//!
//! Each reader takes its numbers from [`Limits::DEFAULT`] unless its options carry a
//! [`Limits`] of the caller's (the inventory's `ReadOptions::limits`, the attestations'
//! `EvidenceOptions`); the CLI exposes the ones a user may need to raise as flags.
//!
//! ```
//! let l = onus_limits::Limits::DEFAULT;
//! assert!(l.yaml_depth < l.inventory_depth);
//! assert_eq!(onus_limits::Limits::default(), l);
//! ```

/// Every bound on input, with its default in [`Limits::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest model file (YAML or JSON), in bytes. The largest published matrices are a few
    /// hundred rows (about 60 KiB); 8 MiB leaves room for thousands.
    pub model_bytes: usize,
    /// Largest YAML or JSON text onus parses into a value tree (checks, attestations, OSCAL
    /// documents, front matter), in bytes.
    pub yaml_bytes: usize,
    /// Deepest nesting of YAML/JSON collections in models, checks, attestations, OSCAL and
    /// front matter. The model format nests six levels; 64 leaves room for hand-written
    /// documents while keeping every recursive walk of a value shallow.
    pub yaml_depth: usize,
    /// Most nodes one YAML document may expand to (aliases counted at each use), so that an
    /// alias bomb ("billion laughs") fails after a million nodes, not after the memory.
    pub yaml_nodes: usize,
    /// Deepest nesting inside one Kubernetes object of a cluster export. Real objects nest
    /// about 15 levels; 128 leaves room for the deepest CRD schemas.
    pub inventory_depth: usize,
    /// Most nodes one object of an export may expand to through YAML aliases.
    pub inventory_alias_nodes: usize,
    /// Largest document of a cluster export that cannot be cut into items (a single object,
    /// or a `List` that is not in block or JSON form), in bytes. The API server refuses
    /// objects over 1.5 MiB (etcd's limit); 64 MiB holds a whole unsplittable `List` of a
    /// large cluster. The reader never holds more than this of one document.
    pub document_bytes: usize,
    /// Most bytes one gzip file of an export may decompress to. Reading streams, so this
    /// bounds time, not memory: 4 GiB is about 16 million objects (25 MiB holds 100,000).
    pub decompressed_bytes: u64,
    /// Most bytes decompressed per compressed byte, once [`Limits::ratio_floor`] bytes have
    /// come out. kubectl's YAML compresses 10 to 30 times; a gzip bomb of zeros compresses
    /// about 1,000 times.
    pub decompression_ratio: u64,
    /// Decompressed bytes below which the ratio is not checked (small files of repetitive
    /// text may compress very well).
    pub ratio_floor: u64,
    /// Largest file read by the Markdown and CSV importers, in bytes.
    pub import_text_bytes: usize,
    /// Largest XLSX workbook the importer reads, in bytes (compressed).
    pub import_xlsx_bytes: usize,
    /// Most bytes the parts of an XLSX workbook may unpack to, all parts together (counted
    /// by unpacking them: a ZIP directory's sizes can lie); a "zip bomb" workbook is refused
    /// before calamine opens it. Real matrices unpack to well under a megabyte.
    pub xlsx_unpacked_bytes: u64,
    /// Highest row number (1-based) the XLSX importer reads. A provider's matrix has a few
    /// hundred rows; cells below are reported and skipped, never allocated.
    pub xlsx_rows: u32,
    /// Highest column number (1-based, `A` = 1) the XLSX importer reads; cells further right
    /// are reported and skipped. Excel's own last column is 16,384 (`XFD`).
    pub xlsx_columns: u32,
    /// Most non-empty cells the XLSX importer keeps, all sheets together (about 100 bytes
    /// each in memory); cells past it are reported and skipped.
    pub xlsx_cells: usize,
    /// Largest CEL expression of a check, in bytes. Built-in rules are under 1 KiB; cel's
    /// ANTLR lexer takes about 12 µs per non-ASCII character, so this also bounds the time
    /// a hostile literal takes to about 0.2 s.
    pub cel_bytes: usize,
    /// Deepest nesting of a CEL expression: operators, selections, calls, indexes and
    /// brackets, as a lexical upper bound checked **before** cel's parser runs (its ANTLR
    /// parse tree, and every walk of the compiled tree, recurse once per level).
    pub cel_depth: usize,
    /// Most steps one evaluation of a check's expression may take: every node evaluated,
    /// and every element or byte a concatenation makes, is a step. Real checks take
    /// hundreds per object, a cluster-wide one a few million over 100,000 objects; nested
    /// comprehensions, or a list doubled in each, stop here (about a second, and at most
    /// a few hundred megabytes) instead of hanging.
    pub cel_steps: u64,
    /// Largest check file, in bytes.
    pub check_bytes: usize,
    /// Largest attestations file, in bytes.
    pub attestations_bytes: usize,
    /// Largest evidence file whose SHA-256 an audit computes, in bytes (read streaming).
    pub evidence_bytes: u64,
    /// Widest source line a diagnostic shows, in characters: longer lines are cut around
    /// the place the diagnostic points at. Terminal renderers (miette) allocate per column
    /// and refuse lines past 65,535 columns.
    pub snippet_chars: usize,
    /// Longest piece of the input quoted inside one message, in characters (a role cell, an
    /// id): longer ones are cut with `…`, so that output stays linear in the input.
    pub quote_chars: usize,
}

impl Limits {
    /// The defaults every reader uses unless told otherwise.
    pub const DEFAULT: Limits = Limits {
        model_bytes: 8 * MIB,
        yaml_bytes: 16 * MIB,
        yaml_depth: 64,
        yaml_nodes: 1_000_000,
        inventory_depth: 128,
        inventory_alias_nodes: 1_000_000,
        document_bytes: 64 * MIB,
        decompressed_bytes: 4 * GIB,
        decompression_ratio: 200,
        ratio_floor: 16 * MIB as u64,
        import_text_bytes: 8 * MIB,
        import_xlsx_bytes: 32 * MIB,
        xlsx_unpacked_bytes: 128 * MIB as u64,
        xlsx_rows: 100_000,
        xlsx_columns: 256,
        xlsx_cells: 1_000_000,
        cel_bytes: 16 * 1024,
        cel_depth: 100,
        cel_steps: 20_000_000,
        check_bytes: MIB,
        attestations_bytes: 8 * MIB,
        evidence_bytes: GIB,
        snippet_chars: 120,
        quote_chars: 80,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

const MIB: usize = 1024 * 1024;
const GIB: u64 = 1024 * 1024 * 1024;

/// `s` itself when it has at most `max` characters, else its first `max` characters and `…`.
/// For quoting input in messages (see [`Limits::quote_chars`]).
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => std::borrow::Cow::Owned(format!("{}…", &s[..i])),
    }
}

/// A size in bytes as people write it: `64M`, `4G`, `512K`, `1000` (powers of 1,024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (write 64M, 4G, 512K or a number of bytes)"))?;
    let shift = match unit
        .trim()
        .trim_end_matches(['B', 'b', 'i'])
        .to_ascii_uppercase()
        .as_str()
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{s}`: unknown unit (K, M, G or T)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        assert_eq!(clip("ééé", 2), "éé…");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert!(parse_size("x").is_err());
        assert!(parse_size("3Q").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
