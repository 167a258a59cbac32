//! The README's promise: every command in its `sh` code blocks can be pasted as it is on a
//! fresh clone, does not panic, exits as the text beside it says, and leaves no file in the
//! repository (outputs go under /tmp).
//!
//! Each command runs through bash from the repository root with `onus` the built binary
//! (`cargo run --release --` too). `HOME` is an empty folder and `KUBECONFIG` is unset, so the
//! commands that need a cluster fail cleanly (exit 2) as the README says they do without one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The commands of the README's `sh` blocks, continuation lines joined.
fn commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let t = line.trim_end();
        if let Some(lang) = t.strip_prefix("```") {
            in_sh = !in_sh && lang.trim() == "sh";
            continue;
        }
        if !in_sh || t.trim().is_empty() {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(t);
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    out
}

/// The exit code the README's text gives each command.
fn expected(cmd: &str) -> i32 {
    let c = cmd.split(" #").next().unwrap_or(cmd);
    if c.contains("--live") || c.starts_with("onus snapshot") || c.contains("/tmp/prod.yaml") {
        2 // needs a cluster (or its snapshot): "these exit 2, saying so, where there is none"
    } else if (c.starts_with("onus audit examples/shop-cluster") && !c.contains("--fail-on none"))
        || (c.contains("--exit-code") && c.contains("examples/old.yaml"))
    {
        1 // checks fail in the example; "exits 1: a duty moved onto the customer"
    } else {
        0
    }
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_readme_command_runs_as_the_readme_says() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let cmds = commands(&readme);
    assert!(cmds.len() > 30, "the README's commands were not found");
    // The first command builds with cargo's progress visible (no `-q`) and is the first audit.
    assert!(
        cmds[0].starts_with("cargo run --release -- audit examples/shop-cluster"),
        "{}",
        cmds[0]
    );
    assert_eq!(cmds[1], "cargo test --workspace");
    let bin = assert_cmd::cargo::cargo_bin("onus");
    let home = tempfile::tempdir().unwrap();
    let root = Path::new(ROOT);
    let before = entries(root);
    let mut failures = Vec::new();
    let mut ran = 0;
    for cmd in &cmds {
        if cmd.starts_with("cargo test") || cmd.starts_with("alias ") {
            continue;
        }
        let line = match cmd.strip_prefix("cargo run --release -- ") {
            Some(rest) => format!("onus {rest}"),
            None => cmd.clone(),
        };
        assert!(line.starts_with("onus "), "not an onus command: {line}");
        if line.starts_with("onus serve") {
            // A server runs until stopped: started on a free port, it must say it listens.
            if let Err(e) = serve_starts(&bin, &line, home.path()) {
                failures.push(format!("`{line}`: {e}"));
            }
            ran += 1;
            continue;
        }
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("onus() {{ \"$ONUS_BIN\" \"$@\"; }}\n{line}"))
            .current_dir(root)
            .env("ONUS_BIN", &bin)
            .env("HOME", home.path())
            .env_remove("KUBECONFIG")
            .env_remove("ONUS_MODEL_PATH")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        ran += 1;
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = expected(&line);
        if code != want {
            failures.push(format!(
                "`{line}`: exit {code}, the README says {want}\n{stderr}"
            ));
        }
        if stderr.contains("panicked") {
            failures.push(format!("`{line}` panicked:\n{stderr}"));
        }
        if code == 2 && !stderr.contains("error: ") {
            failures.push(format!(
                "`{line}`: exit 2 without an error message:\n{stderr}"
            ));
        }
    }
    assert!(ran > 30);
    let after = entries(root);
    let left: Vec<&String> = after.difference(&before).collect();
    assert!(
        left.is_empty(),
        "README commands left files in the repository: {left:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Runs `onus serve ...` (with `--listen 127.0.0.1:0` added, so that the README's port may be
/// taken) until it says it listens, then stops it.
fn serve_starts(bin: &Path, line: &str, home: &Path) -> Result<(), String> {
    use std::io::{BufRead, BufReader};
    let args: Vec<&str> = line.split_whitespace().skip(1).collect();
    let mut child = Command::new(bin)
        .args(&args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(ROOT)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("ONUS_DATABASE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut said = String::new();
    let listening = child.stderr.take().is_some_and(|err| {
        BufReader::new(err).lines().map_while(Result::ok).any(|l| {
            said.push_str(&l);
            said.push('\n');
            l.starts_with("Listening on http://127.0.0.1:")
        })
    });
    let _ = child.kill();
    let _ = child.wait();
    if listening && !said.contains("panicked") {
        Ok(())
    } else {
        Err(format!("it did not start:\n{said}"))
    }
}
