//! The HTML pages as a person sees them: the audit report and the model pages, rendered by the
//! real binary, opened in headless Chromium through chromedriver (WebDriver, on 127.0.0.1 and a
//! free port), at a desktop width and at the width of a printed A4 page.
//!
//! Each page is measured the way a reader would judge it: the summary is above the fold, no
//! text overflows its table cell, no element is wider than the window. Screenshots are saved
//! under `target/tmp/screenshots/` (look at them after changing a page).
//!
//! Chromium and chromedriver come from Debian's packages (`.ci/install-chromium` installs them
//! on CI). Without them the test is skipped loudly, unless `CI` is set: then it fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Desktop, and an A4 page at 96 dpi less 12 mm margins.
const WIDTHS: [(&str, u32, u32); 2] = [("desktop", 1366, 900), ("print", 700, 990)];

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(exe: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

fn onus(args: &[&str], out: &Path) {
    let o = Command::cargo_bin("onus")
        .unwrap()
        .current_dir(ROOT)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "onus {args:?}: {o:?}"
    );
    if !o.stdout.is_empty() {
        std::fs::write(out, &o.stdout).unwrap();
    }
    assert!(out.is_file(), "onus {args:?} wrote {}", out.display());
}

/// What a reader checks, measured in the page.
const MEASURE: &str = r#"
const vw = document.documentElement.clientWidth, vh = window.innerHeight;
const summary = document.querySelector(arguments[0]);
const r = summary ? summary.getBoundingClientRect() : null;
const overflowing = [];
for (const c of document.querySelectorAll('td, th')) {
  if (c.scrollWidth > c.clientWidth + 1) overflowing.push(c.tagName + ': ' + c.textContent.trim().slice(0, 60));
}
const wide = [];
for (const e of document.body.querySelectorAll('*')) {
  const b = e.getBoundingClientRect();
  if (b.width > 0 && (b.right > vw + 1 || b.left < -1)) wide.push(e.tagName + '.' + e.className + ' ' + Math.round(b.left) + '..' + Math.round(b.right));
}
return {
  viewport: [vw, vh],
  page_width: document.documentElement.scrollWidth,
  summary_top: r ? r.top : null,
  summary_bottom: r ? r.bottom : null,
  overflowing: overflowing.slice(0, 10),
  wide: wide.slice(0, 10),
  external: [...document.querySelectorAll('[src], link[href], script')].length,
};
"#;

async fn look(c: &Client, page: &Path, name: &str, above_fold: &str, shots: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for (label, w, h) in WIDTHS {
        c.set_window_size(w, h).await.unwrap();
        c.goto(&format!("file://{}", page.display())).await.unwrap();
        let m: Value = c.execute(MEASURE, vec![json!(above_fold)]).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(shots.join(format!("{name}-{label}.png")), png).unwrap();
        let vh = m["viewport"][1].as_f64().unwrap();
        let vw = m["viewport"][0].as_f64().unwrap();
        let at = format!("{name} at {label} ({w}x{h})");
        match m["summary_bottom"].as_f64() {
            None => problems.push(format!("{at}: no `{above_fold}`")),
            Some(b) if b > vh => problems.push(format!(
                "{at}: `{above_fold}` ends at {b}px, below the fold ({vh}px)"
            )),
            _ => {}
        }
        if m["page_width"].as_f64().unwrap() > vw + 1.0 {
            problems.push(format!("{at}: the page scrolls sideways: {m}"));
        }
        for key in ["overflowing", "wide"] {
            if !m[key].as_array().unwrap().is_empty() {
                problems.push(format!("{at}: {key}: {}", m[key]));
            }
        }
        if m["external"].as_u64() != Some(0) {
            problems.push(format!("{at}: loads something (src, link or script)"));
        }
        // The rest of the page, for the person looking at the screenshots.
        for (part, sel) in [("duties", "#duties"), ("checks", "#checks")] {
            if let Ok(e) = c.find(fantoccini::Locator::Css(sel)).await {
                let _ = c
                    .execute("arguments[0].scrollIntoView()", vec![json!(e)])
                    .await;
                let png = c.screenshot().await.unwrap();
                std::fs::write(shots.join(format!("{name}-{label}-{part}.png")), png).unwrap();
            }
        }
    }
    problems
}

#[test]
fn pages_look_right_in_a_real_browser() {
    let chromium = which(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = which(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("CI is set but chromium or chromedriver is missing: .ci/install-chromium installs them");
        }
        eprintln!("\n\n*** SKIPPED: the screenshot test needs chromium and chromedriver (apt-get install chromium chromium-driver) ***\n\n");
        return;
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let report = work.join("audit.html");
    onus(
        &[
            "audit",
            "examples/shop-cluster",
            "-m",
            "ovhcloud-mks",
            "--now",
            "2025-06-01T12:00:00Z",
            "--attestations",
            "examples/shop-attestations.yaml",
            "-o",
            "html",
            "--report",
            report.to_str().unwrap(),
        ],
        &report,
    );
    let h8lio_report = work.join("audit-h8lio.html");
    onus(
        &[
            "audit",
            "examples/shop-cluster",
            "-m",
            "h8lio",
            "--now",
            "2025-06-01T12:00:00Z",
            "-o",
            "html",
        ],
        &h8lio_report,
    );
    let mks = work.join("ovhcloud-mks.html");
    onus(&["show", "ovhcloud-mks", "-o", "html"], &mks);
    let h8lio = work.join("h8lio.html");
    onus(&["show", "h8lio", "-o", "html"], &h8lio);

    let driver = start_driver(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let problems = rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--hide-scrollbars", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a WebDriver session");
        let mut problems = Vec::new();
        problems.extend(look(&c, &report, "audit", "#summary", &work).await);
        problems.extend(look(&c, &h8lio_report, "audit-h8lio", "#summary", &work).await);
        problems.extend(look(&c, &mks, "model-ovhcloud-mks", "header", &work).await);
        problems.extend(look(&c, &h8lio, "model-h8lio", "header", &work).await);
        let _ = c.close().await;
        problems
    });
    drop(driver);
    eprintln!("screenshots: {}", work.display());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
