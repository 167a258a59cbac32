//! Fuzz targets for every kind of input onus reads from other people, the seeds they start
//! from, and the inputs that once broke onus (docs/robustness.md).
//!
//! A target is a plain function over bytes ([`Target::run`]) that drives the input through
//! the same library entry points the CLI uses (and the portal will: a model upload is
//! [`targets::model`], an audit of an uploaded export is [`targets::export`], an attestation
//! with its evidence is [`targets::attestations`]), then checks what must hold whatever the
//! input: no panic, diagnostics located inside the text and cut to a bounded width, output
//! linear in the input. A violated invariant panics, which is what a fuzzer reports.
//!
//! Three drivers run them:
//! - `cargo test -p onus-fuzz` runs every seed, every hostile input of issue 15
//!   ([`hostile`]) and every input a fuzzer found (`fuzz/regressions/<target>/`), in the
//!   test profile;
//! - `fuzz/run.sh` builds `onus-fuzz-libfuzzer` with coverage instrumentation (libFuzzer
//!   through libfuzzer-sys, on the stable toolchain) and fuzzes each target for a chosen
//!   time, with limits on time per input and memory;
//! - the portal's tests can post the same seeds and hostile inputs to its API.

pub mod seeds;
pub mod targets;

/// One kind of input.
pub struct Target {
    /// Its name, as `fuzz/run.sh` and `ONUS_FUZZ_TARGET` take it.
    pub name: &'static str,
    /// What it reads and through which entry point.
    pub about: &'static str,
    /// Drives one input through onus; panics when an invariant breaks.
    pub run: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "model",
        about: "a model file (YAML or JSON): load, validate, snippets of every diagnostic, then render and export what loads",
        run: targets::model,
    },
    Target {
        name: "import-markdown",
        about: "a published matrix in Markdown (front matter, headings, tables, footnotes) into a model",
        run: targets::import_markdown,
    },
    Target {
        name: "import-asciidoc",
        about: "a published matrix in AsciiDoc into a model",
        run: targets::import_asciidoc,
    },
    Target {
        name: "import-html",
        about: "a published matrix in a saved HTML page into a model",
        run: targets::import_html,
    },
    Target {
        name: "import-csv",
        about: "a published matrix in CSV into a model",
        run: targets::import_csv,
    },
    Target {
        name: "import-xlsx",
        about: "a published matrix in XLSX (CAIQ and FedRAMP workbooks recognised) into a model",
        run: targets::import_xlsx,
    },
    Target {
        name: "oscal",
        about: "an OSCAL JSON document: referential checks, then import into a model",
        run: targets::oscal,
    },
    Target {
        name: "export",
        about: "a cluster export (YAML or JSON, streams, Lists) audited with the built-in checks, joined to a model and reported",
        run: targets::export,
    },
    Target {
        name: "export-gzip",
        about: "a gzip cluster export (the input itself when it is gzip, else the input gzipped), audited",
        run: targets::export_gzip,
    },
    Target {
        name: "attestations",
        about: "an attestations file: parse, standing, local evidence under a root",
        run: targets::attestations,
    },
    Target {
        name: "check",
        about: "a check file (YAML, CEL expressions): parse, compile, run over the example cluster",
        run: targets::check,
    },
];

/// The target of that name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// The inputs of issue 15 that crashed, hung or blew up onus, each under the target that
/// reads it: (target, name, bytes). Sizes are those that broke it.
pub fn hostile() -> Vec<(&'static str, String, Vec<u8>)> {
    let model = seeds::H8LIO;
    let cell = |n: usize| {
        model
            .replacen(
                "roles: {byzaneo: RA,",
                &format!("roles: {{byzaneo: \"{}\",", "Z".repeat(n)),
                1,
            )
            .into_bytes()
    };
    // Judged on the example cluster's one CronJob.
    let check = |rule: String| {
        format!("id: hostile\ntitle: {{en: Hostile}}\nremediation: {{en: None}}\nseverity: low\ntopics: [container-images]\nkinds: [CronJob]\nsubjects: [CronJob]\nrule: |\n  {rule}\n").into_bytes()
    };
    let mut zeros = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = std::io::Write::write_all(&mut zeros, &vec![b'0'; 1 << 20]);
    let zeros = zeros.finish().unwrap_or_default().repeat(64);
    let deep_front = format!(
        "---\nx: {}{}\n---\n\n| Activity | Customer | Provider |\n|---|---|---|\n| x | RA | I |\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let attestation = |evidence: &str| {
        seeds::ATTESTATIONS
            .replacen(
                "https://wiki.shop.example/ops/restore-test-2025-03.pdf",
                evidence,
                1,
            )
            .into_bytes()
    };
    vec![
        (
            "model",
            "long-line".into(),
            format!(
                "{{\"format\": \"onus.model/v1\", \"id\": \"{}\", \"bogus\": 1}}\n",
                "x".repeat(70_000)
            )
            .into_bytes(),
        ),
        (
            "model",
            "long-line-syntax".into(),
            format!("a: \"{}\" ]\n", "é".repeat(40_000)).into_bytes(),
        ),
        (
            "model",
            "many-nodes-one-line".into(),
            format!(
                "{{\"format\": \"onus.model/v1\", \"x\": [{}1]}}",
                "1,".repeat(200_000)
            )
            .into_bytes(),
        ),
        ("model", "letters-10k".into(), cell(10_000)),
        ("model", "letters-100k".into(), cell(100_000)),
        (
            "model",
            "javascript-url".into(),
            model
                .replacen(
                    "  document: ",
                    "  url: \"javascript:alert(3)\"\n  document: ",
                    1,
                )
                .into_bytes(),
        ),
        (
            "import-markdown",
            "deep-front-matter".into(),
            deep_front.into_bytes(),
        ),
        (
            "import-xlsx",
            "cell-XFD1048576".into(),
            seeds::xlsx_with_cell("XFD1048576"),
        ),
        (
            "import-xlsx",
            "cell-B3000000".into(),
            seeds::xlsx_with_cell("B3000000"),
        ),
        (
            "check",
            "plus-7000".into(),
            check(format!("1{} > 0", "+1".repeat(7_000))),
        ),
        (
            "check",
            "select-30000".into(),
            check(format!("object{} == 1", ".a".repeat(30_000))),
        ),
        (
            "check",
            "literal-1m-non-ascii".into(),
            check(format!("'{}' != ''", "é".repeat(1_000_000))),
        ),
        ("export-gzip", "zeros-64MiB".into(), zeros),
        ("attestations", "dev-zero".into(), attestation("/dev/zero")),
        (
            "attestations",
            "etc-passwd".into(),
            attestation("/etc/passwd"),
        ),
        (
            "attestations",
            "dot-dot".into(),
            attestation("../../../../../../etc/passwd"),
        ),
    ]
}

/// The inputs a fuzzer found for `target` (`fuzz/regressions/<target>/`, in this repository),
/// by name: (path, bytes). Empty when the folder is missing.
pub fn regressions(target: &str) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for e in entries {
        let path = e?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| Ok((p.display().to_string(), std::fs::read(&p)?)))
        .collect()
}

/// Every input of `target`: its regression corpus, its hostile inputs (`hostile-<name>`) and
/// its seeds, in that order (what once broke onus first, so that a caller that keeps only the
/// first few keeps those): what the portal's tests post to its API.
pub fn corpus(target: &str) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut all = regressions(target)?;
    all.extend(
        hostile()
            .into_iter()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, name, bytes)| (format!("hostile-{name}"), bytes)),
    );
    all.extend(seeds::of(target));
    Ok(all)
}

/// Writes every target's seeds, and the hostile inputs, under `dir/<target>/`; returns how
/// many files were written.
pub fn write_seeds(dir: &std::path::Path) -> std::io::Result<usize> {
    let mut n = 0;
    for t in TARGETS {
        let d = dir.join(t.name);
        std::fs::create_dir_all(&d)?;
        for (name, bytes) in seeds::of(t.name) {
            std::fs::write(d.join(name), bytes)?;
            n += 1;
        }
    }
    for (target, name, bytes) in hostile() {
        std::fs::write(dir.join(target).join(format!("hostile-{name}")), bytes)?;
        n += 1;
    }
    Ok(n)
}

/// OSCAL documents written by the targets and seeds carry a fixed date, so that seeds are the
/// same bytes from run to run and a crash reproduces exactly.
pub fn doc_options() -> onus_oscal::DocOptions {
    onus_oscal::DocOptions::at("2026-01-01T00:00:00Z")
}
