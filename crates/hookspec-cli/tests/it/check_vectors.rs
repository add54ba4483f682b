//! Live and back: `hookspec check --vectors` replays the corpus against endpoints, and
//! `hookspec check --export-vectors` freezes a live run as vectors that replay and verify.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookspec::Secret;
use hookspec_engine::check::replay::{Replay, ReplayTarget, replay};
use hookspec_engine::report::{Report, Verdict};
use hookspec_engine::vectors::VectorFile;

use crate::support::receivers::{Flaw, spawn_flawed};

/// The secret of the corpus's main v1 test group (the Standard Webhooks test secret).
const CORPUS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn corpus(name: &str) -> (String, VectorFile) {
    let path = Path::new(root!()).join("vectors").join(name);
    let text = std::fs::read_to_string(&path).expect("committed vector file");
    (
        name.to_string(),
        VectorFile::from_json(&text).expect("valid vector file"),
    )
}

async fn replay_to(target: ReplayTarget, files: Vec<(String, VectorFile)>) -> Report {
    replay(Replay {
        files,
        target,
        cases: Vec::new(),
        skip: Vec::new(),
        timeout: Duration::from_secs(10),
        strict: false,
    })
    .await
    .expect("replay runs")
}

fn failed(report: &Report) -> Vec<&str> {
    report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Failed)
        .map(|c| c.title.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_replays_cleanly_against_embedded_reference_receivers() {
    let report = replay_to(
        ReplayTarget::Embedded,
        vec![corpus("v1.json"), corpus("v1a.json")],
    )
    .await;
    assert_eq!(failed(&report), Vec::<&str>::new());
    let ok = report.summary.ok;
    assert!(
        ok > 450,
        "most vectors replay over HTTP: {}",
        report.summary
    );
    // Configuration vectors (refused secrets) and whitespace-padded header values cannot be
    // replayed over HTTP; they are reported, never judged.
    assert!(
        report
            .cases
            .iter()
            .filter(|c| c.verdict == Verdict::Unsupported)
            .all(|c| c.message.contains("configuration vector") || c.message.contains("RFC 9110"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_the_corpus_catches_a_receiver_without_a_timestamp_check() {
    let secret = Secret::parse(CORPUS_SECRET).expect("corpus secret");
    let receiver = spawn_flawed(Flaw::NoTimestampCheck, std::slice::from_ref(&secret)).await;
    let report = replay_to(
        ReplayTarget::Url {
            url: receiver.base_url.clone(),
            trusted: Some(vec![secret]),
        },
        vec![corpus("v1.json")],
    )
    .await;
    let failed: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Failed)
        .map(|c| c.rule.as_str())
        .collect();
    assert!(
        !failed.is_empty(),
        "stale vectors are accepted by this receiver and so fail"
    );
    assert!(
        failed.iter().all(
            |flags| ["StaleTimestamp", "FutureTimestamp", "TimestampOverflow"]
                .iter()
                .any(|f| flags.contains(f))
        ),
        "only freshness vectors fail: {failed:?}"
    );
    assert_eq!(report.exit_code(), hookspec_engine::exit::FINDINGS);
    // Groups whose keys the endpoint is not declared to trust are not judged.
    assert!(report.summary.unsupported > 0);
}

#[test]
fn an_exported_live_run_verifies_with_the_reference_and_replays_cleanly() {
    let bin = env!("CARGO_BIN_EXE_hookspec");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(bin)
        .args(["check", "--export-vectors"])
        .arg(dir.path())
        .output()
        .expect("hookspec runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v1 = dir.path().join("check-v1.json");
    let v1a = dir.path().join("check-v1a.json");
    let text = std::fs::read_to_string(&v1).expect("check-v1.json written");
    let file = VectorFile::from_json(&text).expect("the export is a valid vector file");
    assert!(
        file.number_of_tests > 80,
        "most deliveries are frozen: {}",
        file.number_of_tests
    );
    assert!(
        file.tests()
            .any(|(_, t)| t.result == hookspec_engine::vectors::Expected::Invalid)
    );
    assert!(
        file.tests()
            .any(|(_, t)| t.result == hookspec_engine::vectors::Expected::Valid)
    );

    // The reference verifier agrees with every frozen expectation...
    let check = Command::new(bin)
        .args(["vectors", "check", "--builtin", "--vectors"])
        .arg(&v1)
        .arg("--vectors")
        .arg(&v1a)
        .output()
        .expect("hookspec runs");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // ...and the vectors replay live, re-signed at the new clock, with no finding.
    let replayed = Command::new(bin)
        .args(["check", "--vectors"])
        .arg(&v1)
        .arg("--vectors")
        .arg(&v1a)
        .output()
        .expect("hookspec runs");
    let stdout = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 FAILED"), "{stdout}");
}

#[test]
fn a_malformed_vector_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"scheme\": 1}").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_hookspec"))
        .args(["check", "--vectors"])
        .arg(&path)
        .output()
        .expect("hookspec runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid vector file"), "{stderr}");
}
