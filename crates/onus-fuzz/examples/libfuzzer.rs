//! The libFuzzer driver of the onus fuzz targets (`fuzz/run.sh` builds it, as
//! `target/fuzz/bin/onus-fuzz-libfuzzer`, and runs it).
//!
//! `ONUS_FUZZ_TARGET` names the target (`onus_fuzz::TARGETS`). With `ONUS_FUZZ_SEEDS=DIR`
//! set, it writes every target's seeds and the hostile inputs of issue 15 under
//! `DIR/<target>/` and exits instead. Every other argument is libFuzzer's: a folder is a
//! corpus, a file is run once (to replay a crash).

#![no_main]

use std::sync::OnceLock;

static TARGET: OnceLock<&'static onus_fuzz::Target> = OnceLock::new();

libfuzzer_sys::fuzz_target!(
    init: {
        if let Some(dir) = std::env::var_os("ONUS_FUZZ_SEEDS") {
            std::process::exit(match onus_fuzz::write_seeds(std::path::Path::new(&dir)) {
                Ok(n) => {
                    eprintln!("{n} seeds written under {}", dir.to_string_lossy());
                    0
                }
                Err(e) => {
                    eprintln!("cannot write the seeds: {e}");
                    2
                }
            });
        }
        let name = std::env::var("ONUS_FUZZ_TARGET").unwrap_or_default();
        match onus_fuzz::target(&name) {
            Some(t) => {
                let _ = TARGET.set(t);
            }
            None => {
                let names: Vec<&str> = onus_fuzz::TARGETS.iter().map(|t| t.name).collect();
                eprintln!("ONUS_FUZZ_TARGET must be one of: {}", names.join(", "));
                std::process::exit(2);
            }
        }
    },
    |data: &[u8]| {
        if let Some(t) = TARGET.get() {
            (t.run)(data);
        }
    }
);
