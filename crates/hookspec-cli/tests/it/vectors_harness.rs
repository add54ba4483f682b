//! `hookspec vectors check` end to end: the reference verifier (built in, and as an adapter
//! process) agrees with every vector; planted flaws diverge on the right flags; crashing,
//! hanging and garbage-printing adapters end the run with exit 3 and a message naming the
//! vector, in bounded time.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::reports::ReportFiles;

pub(crate) fn hookspec() -> &'static str {
    env!("CARGO_BIN_EXE_hookspec")
}

pub(crate) fn adapter(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/adapters")
        .join(name)
        .display()
        .to_string()
}

/// Runs hookspec with `args`, killing it if it is still running after a generous bound
/// (a hang is a failure, not a slow test).
pub(crate) fn run(args: &[&str]) -> Output {
    run_program(hookspec(), args)
}

/// Runs `program` with `args`, bounded like [`run`].
pub(crate) fn run_program(program: &str, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hookspec");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish: the harness hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// flag → (agree, diverge, unsupported).
type FlagTable = BTreeMap<String, (usize, usize, usize)>;

/// The per-flag table of the terminal output.
fn flags(stdout: &str) -> FlagTable {
    stdout
        .lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            match cols[..] {
                [flag, a, d, u] => Some((
                    flag.to_string(),
                    (a.parse().ok()?, d.parse().ok()?, u.parse().ok()?),
                )),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn builtin_reference_has_no_divergence() {
    let out = run(&["vectors", "check", "--builtin"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(" 0 diverge, 0 unsupported"), "{stdout}");
    assert!(flags(&stdout).len() > 30);
}

#[test]
fn reference_adapter_process_has_no_divergence_and_writes_reports() {
    let reports = ReportFiles::new();
    let exec = format!("{} vectors adapter", hookspec());
    let out = run(&[&["vectors", "check", "--exec", &exec][..], &reports.args()].concat());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let report = reports.json();
    assert_eq!(report["command"], "vectors check");
    assert_eq!(report["summary"]["FAILED"], 0);
    assert!(report["summary"]["total"].as_u64().unwrap() >= 500);
    assert_eq!(report["cases"][0]["id"], "v1/tc_1");
    let xml = reports.junit();
    assert!(
        xml.contains("name=\"v1/tc_1\""),
        "{}",
        &xml[..xml.len().min(500)]
    );
}

#[test]
fn only_selects_single_tests_and_vector_files_load() {
    let path = Path::new(root!()).join("vectors/v1.json");
    let out = run(&[
        "vectors",
        "check",
        "--builtin",
        "--vectors",
        path.to_str().unwrap(),
        "--only",
        "v1:42",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("\n1 tests:"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["vectors", "check", "--builtin", "--only", "v1:999999"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "vectors",
        "check",
        "--builtin",
        "--vectors",
        "/nonexistent/v1.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

pub(crate) fn python3() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "skipped: python3 is not installed, and the flawed test adapter is a Python script"
        );
    }
    found
}

fn flawed(mode: &str) -> (Option<i32>, FlagTable, String) {
    let exec = format!("python3 {} {mode}", adapter("flawed.py"));
    let out = run(&["vectors", "check", "--exec", &exec]);
    let stdout = text(&out.stdout);
    (
        out.status.code(),
        flags(&stdout),
        format!("{stdout}{}", text(&out.stderr)),
    )
}

#[test]
fn planted_flaws_diverge_on_the_right_flags() {
    if !python3() {
        return;
    }
    let (_, correct, log) = flawed("correct");
    for flag in ["TruncatedSignature", "StaleTimestamp", "FutureTimestamp"] {
        assert_eq!(
            correct[flag].1, 0,
            "the unflawed adapter diverges on {flag}:\n{log}"
        );
    }
    let (code, prefix, log) = flawed("prefix");
    assert_eq!(code, Some(1), "{log}");
    assert!(prefix["TruncatedSignature"].1 >= 40, "{log}");
    assert!(
        log.contains("C15: `v1,` with an empty signature: expected invalid"),
        "{log}"
    );
    assert_eq!(prefix["StaleTimestamp"].1, 0, "{log}");

    let (code, stale, log) = flawed("no-timestamp");
    assert_eq!(code, Some(1), "{log}");
    assert_eq!(
        stale["StaleTimestamp"].1,
        stale["StaleTimestamp"].0 + stale["StaleTimestamp"].1,
        "{log}"
    );
    assert!(
        stale["StaleTimestamp"].1 >= 5 && stale["FutureTimestamp"].1 >= 5,
        "{log}"
    );
    assert_eq!(stale["TruncatedSignature"].1, 0, "{log}");
}

fn broken(script: &str, timeout: &str) -> (Option<i32>, String) {
    let exec = format!("sh {}", adapter(script));
    let out = run(&["vectors", "check", "--timeout", timeout, "--exec", &exec]);
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_crashing_adapter_ends_the_run_with_exit_3() {
    let (code, stderr) = broken("crash.sh", "10s");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("exited before answering v1 #1"), "{stderr}");
    assert!(stderr.contains("crashing on purpose"), "{stderr}");
}

#[test]
fn a_hanging_adapter_is_stopped_at_the_timeout() {
    let (code, stderr) = broken("hang.sh", "1s");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("did not answer v1 #1 within 1s"),
        "{stderr}"
    );
}

#[test]
fn a_garbage_printing_adapter_ends_the_run_with_exit_3() {
    let (code, stderr) = broken("garbage.sh", "10s");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("answered v1 #1 with a line that is not a response"),
        "{stderr}"
    );
    assert!(stderr.contains("this is not JSON"), "{stderr}");
}

#[test]
fn a_missing_adapter_command_ends_the_run_with_exit_3() {
    let out = run(&["vectors", "check", "--exec", "/nonexistent/adapter"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("v1 #1"), "{}", text(&out.stderr));
}
