//! The HTML, Markdown and SARIF reports written by the binary: `check` against a flawed
//! receiver writes all three with its findings; `listen` and `vectors check` take the same
//! flags; `--sarif-anchor` refuses paths GitHub cannot resolve; no secret in any file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hookspec::Secret;
use hookspec_engine::cases::FAMILIES;
use hookspec_engine::report::sarif::{BOOK_URL, help_uri};
use serde_json::Value;

use crate::support::receivers::{Flaw, spawn_flawed};

const BIN: &str = env!("CARGO_BIN_EXE_hookspec");
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// `report.html`, `report.md`, `report.sarif` and `report.json` in a fresh folder.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (flag, name) in [
            ("--html", "report.html"),
            ("--markdown", "report.md"),
            ("--sarif", "report.sarif"),
            ("--json", "report.json"),
        ] {
            args.push(flag.to_string());
            args.push(self.path(name).to_str().unwrap().to_string());
        }
        args
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn sarif(&self) -> Value {
        serde_json::from_str(&self.read("report.sarif")).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.read("report.json")).unwrap()
    }
}

fn hookspec(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("HOOKSPEC_SECRET")
        .output()
        .expect("hookspec runs")
}

async fn hookspec_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || hookspec(&args))
        .await
        .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Validates `log` against the official SARIF 2.1.0 schema the engine's tests vendor.
fn assert_sarif_valid(log: &Value) {
    let path = Path::new(root!()).join("crates/hookspec-engine/tests/data/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("sarif.json", schema).unwrap();
    let index = compiler.compile("sarif.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(log, index) {
        panic!("not valid SARIF 2.1.0: {e:#}");
    }
}

/// No `src`/`href` to another place, no `@import`, no `url(`.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href="] {
        for (at, _) in lower.match_indices(attr) {
            let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !(value.starts_with("http") || value.starts_with("//")),
                "external resource: {}",
                &html[at..(at + 80).min(html.len())]
            );
        }
    }
    assert!(!lower.contains("@import") && !lower.contains("url(") && !lower.contains("<link"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_writes_html_markdown_and_sarif_with_the_findings() {
    let secret = Secret::parse(SECRET).unwrap();
    let receiver = spawn_flawed(Flaw::PrefixComparison, std::slice::from_ref(&secret)).await;
    let files = Files::new();
    // Credentials in the URL must not reach any report.
    let url = receiver
        .base_url
        .replacen("http://", "http://ci:url-password@", 1);
    let mut args = strings(&["check", &url, "--secret", SECRET, "--cases", "signature"]);
    args.extend(files.args());
    args.extend(strings(&["--sarif-anchor", "./ci\\hookspec.toml"]));
    let out = hookspec_async(args).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<String> = files.json()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "FAILED" || c["verdict"] == "NON-STRICT")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        findings.contains(&"signature/empty-tag".to_string()),
        "{findings:?}"
    );

    let html = files.read("report.html");
    assert!(html.contains("not conformant:"), "{html}");
    assert!(html.contains("<li class=\"case v-failed\"><div class=\"row\"><span class=\"badge bg-failed\">FAILED</span><code class=\"id\">signature/empty-tag</code>"));
    assert!(html.contains("<dt>scheme</dt><dd>v1</dd>"));
    assert_self_contained(&html);

    let md = files.read("report.md");
    assert!(md.starts_with("## ❌ hookspec check: "), "{md}");
    for id in &findings {
        assert!(md.contains(&format!("| `{id}` |")), "{id} missing in {md}");
    }
    assert!(md.contains("--secret \"$HOOKSPEC_SECRET\""), "{md}");

    let log = files.sarif();
    assert_sarif_valid(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, findings.iter().map(String::as_str).collect::<Vec<_>>());
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "ci/hookspec.toml"
        );
        assert_eq!(r["properties"]["target"], receiver.base_url);
    }
    assert_eq!(
        log["runs"][0]["invocations"][0]["commandLine"]
            .as_str()
            .unwrap()
            .matches("$HOOKSPEC_SECRET")
            .count(),
        1
    );

    let json = files.json();
    assert_eq!(json["scheme"], "v1");
    assert!(
        json["command_line"]
            .as_str()
            .unwrap()
            .starts_with("hookspec check http://127.0.0.1:")
    );
    for name in ["report.html", "report.md", "report.sarif", "report.json"] {
        let text = files.read(name);
        assert!(!text.contains(&SECRET[6..]), "the secret in {name}");
        assert!(!text.contains("url-password"), "URL credentials in {name}");
    }
}

#[test]
fn sarif_anchor_must_be_repository_relative() {
    for bad in [
        "/etc/hookspec.toml",
        "../hookspec.toml",
        "https://example.com/x",
        "",
    ] {
        let out = hookspec(&strings(&[
            "check",
            "--sarif-anchor",
            bad,
            "--cases",
            "headers/valid",
        ]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--sarif-anchor"), "{bad}: {stderr}");
    }
}

#[test]
fn vectors_check_writes_the_three_formats() {
    let files = Files::new();
    let mut args = strings(&["vectors", "check", "--builtin", "--only", "v1:1"]);
    args.extend(files.args());
    let out = hookspec(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        files
            .read("report.md")
            .starts_with("## ✅ hookspec vectors check: conformant")
    );
    assert!(
        files
            .read("report.html")
            .contains("<div class=\"outcome pass\">conformant</div>")
    );
    let log = files.sarif();
    assert_sarif_valid(&log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(files.json()["scheme"], "v1");
}

#[test]
fn listen_writes_the_three_formats_even_when_nothing_arrived() {
    let files = Files::new();
    let mut args = strings(&[
        "listen",
        "--addr",
        "127.0.0.1:0",
        "--secret",
        SECRET,
        "--duration",
        "300ms",
    ]);
    args.extend(files.args());
    let out = hookspec(&args);
    // No delivery at all is exit 3; the reports are written first.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(files.read("report.html").contains("UNSUPPORTED"));
    assert!(files.read("report.md").contains("hookspec listen"));
    let log = files.sarif();
    assert_sarif_valid(&log);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        format!("{BOOK_URL}reference/catalogue-sender.html")
    );
    for name in ["report.html", "report.md", "report.sarif"] {
        assert!(
            !files.read(name).contains(&SECRET[6..]),
            "the secret in {name}"
        );
    }
}

/// The book pages the SARIF rules link to exist, with a heading per check family.
#[test]
fn sarif_help_links_name_pages_of_the_book() {
    let src = Path::new(root!()).join("docs/src");
    let check = std::fs::read_to_string(src.join("reference/catalogue-check.md")).unwrap();
    for family in FAMILIES {
        let uri = help_uri("check", family);
        assert!(uri.ends_with(&format!("reference/catalogue-check.html#{family}")));
        assert!(
            check.contains(&format!("\n## {family}\n")),
            "no section for {family}"
        );
    }
    for (command, page) in [
        ("listen", "reference/catalogue-sender.md"),
        ("vectors check", "test-vectors.md"),
    ] {
        let uri = help_uri(command, "any");
        assert!(uri.ends_with(&page.replace(".md", ".html")), "{uri}");
        assert!(src.join(page).exists(), "{page}");
    }
}
