//! Grading rules on hand-made records (no network, no clock).

use std::time::Duration;

use super::*;
use crate::listen::record::RecordedBody;
use crate::listen::script::Script;
use crate::report::Verdict;
use hookspec::Secret;
use hookspec::Signer;
use hookspec::Verifier;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The listener's wall clock at the start of each hand-made run.
const T0: u64 = 1_700_000_000;

fn secret() -> Secret {
    Secret::parse(SECRET).unwrap()
}

fn config() -> ListenConfig {
    ListenConfig::new(Verifier::new().with_secret(secret()))
}

/// One attempt as a correct sender makes it: `key` at `ms` after the start, signed with a
/// fresh timestamp.
fn attempt(key: &str, ms: u64, body: &[u8]) -> AttemptRecord {
    let ts = T0 + ms / 1000;
    let signature = Signer::new()
        .with_secret(secret())
        .sign(key, ts, body)
        .unwrap();
    AttemptRecord {
        seq: 0,
        key: key.to_string(),
        number: 0,
        arrived: Duration::from_millis(ms),
        arrived_unix: ts,
        method: "POST".into(),
        path: "/".into(),
        headers: vec![
            ("content-type".into(), b"application/json".to_vec()),
            ("webhook-id".into(), key.as_bytes().to_vec()),
            ("webhook-timestamp".into(), ts.to_string().into_bytes()),
            ("webhook-signature".into(), signature.into_bytes()),
        ],
        body: RecordedBody::of(body),
        signature_check: None,
        step: Step::Timeout,
        followed_redirect: false,
        end: AttemptEnd::Unfinished,
    }
}

fn set_header(mut a: AttemptRecord, name: &str, value: &[u8]) -> AttemptRecord {
    a.headers.retain(|(k, _)| k != name);
    a.headers.push((name.to_string(), value.to_vec()));
    a
}

/// A recording of `attempts` answered as `script` says (per key, like the server), each
/// answer sent 1 ms after arrival; the run stops 5 s after the last arrival.
fn record(script: &str, mut attempts: Vec<AttemptRecord>) -> Recording {
    let script = Script::parse(script).unwrap();
    let mut counts = HashMap::new();
    for (i, a) in attempts.iter_mut().enumerate() {
        let count = counts.entry(a.key.clone()).or_insert(0usize);
        a.step = script.step_at(*count);
        *count += 1;
        a.number = *count;
        a.seq = i + 1;
        a.end = match a.step {
            Step::Timeout => AttemptEnd::SenderGaveUp(a.arrived + Duration::from_millis(300)),
            Step::Status { .. } => AttemptEnd::Answered(a.arrived + Duration::from_millis(1)),
        };
    }
    let stopped = attempts
        .last()
        .map_or(Duration::ZERO, |a| a.arrived + Duration::from_secs(5));
    Recording {
        script,
        attempts,
        max_in_flight: 1,
        hold: Duration::from_secs(60),
        completed_events: 0,
        stop: crate::listen::StopReason::Duration,
        stopped,
    }
}

fn verdicts(recording: &Recording) -> HashMap<String, (Verdict, String)> {
    grade(recording, &config())
        .into_iter()
        .map(|c| (c.id, (c.verdict, c.message)))
        .collect()
}

#[track_caller]
fn assert_case(recording: &Recording, id: &str, want: Verdict) -> String {
    let all = verdicts(recording);
    let (got, message) = all.get(id).unwrap_or_else(|| panic!("no case {id}"));
    assert_eq!(*got, want, "{id}: {message}");
    message.clone()
}

#[test]
fn an_empty_run_is_unsupported_everywhere() {
    let cases = grade(&record("200", vec![]), &config());
    assert_eq!(cases.len(), CATALOGUE.len());
    assert!(cases.iter().all(|c| c.verdict == Verdict::Unsupported));
}

#[test]
fn every_case_has_a_judge_and_a_unique_id() {
    let run = record(
        "503,200",
        vec![attempt("msg_1", 0, b"{}"), attempt("msg_1", 2000, b"{}")],
    );
    let cases = grade(&run, &config());
    for case in &cases {
        assert_ne!(case.message, "unknown case", "{}", case.id);
        assert!(case.id.starts_with("sender/"));
    }
    let mut ids: Vec<_> = CATALOGUE.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CATALOGUE.len());
}

#[test]
fn a_correct_retried_event_is_ok() {
    let run = record(
        "503,503,200",
        vec![
            attempt("msg_1", 0, b"{}"),
            attempt("msg_1", 1000, b"{}"),
            attempt("msg_1", 3000, b"{}"),
        ],
    );
    for id in [
        "sender/signature-verifies",
        "sender/retry-same-id",
        "sender/retry-same-body",
        "sender/retry-fresh-timestamp",
        "sender/retry-fresh-signature",
        "sender/retry-after-failure",
        "sender/no-retry-after-success",
        "sender/backoff-grows",
    ] {
        assert_case(&run, id, Verdict::Ok);
    }
    let all = verdicts(&run);
    assert_eq!(all["sender/retry-schedule"].0, Verdict::Informational);
}

#[test]
fn a_changed_id_with_the_same_body_after_a_failure_is_one_event_under_two_ids() {
    let run = record(
        "503,200",
        vec![attempt("msg_a", 0, b"{}"), attempt("msg_b", 1000, b"{}")],
    );
    let message = assert_case(&run, "sender/retry-same-id", Verdict::Failed);
    assert!(message.contains("changed on retry"), "{message}");
    // The retry did happen (under a new id): not also blamed as "never retried".
    assert_case(&run, "sender/retry-after-failure", Verdict::Ok);
    assert_case(&run, "sender/event-ids-distinct", Verdict::Unsupported);
}

#[test]
fn identical_bodies_of_two_events_that_each_retry_under_their_own_id_are_not_linked() {
    let run = record(
        "503,200",
        vec![
            attempt("msg_a", 0, b"{}"),
            attempt("msg_b", 100, b"{}"),
            attempt("msg_a", 1000, b"{}"),
            attempt("msg_b", 1100, b"{}"),
        ],
    );
    assert_case(&run, "sender/retry-same-id", Verdict::Ok);
    assert_case(&run, "sender/event-ids-distinct", Verdict::Ok);
}

#[test]
fn a_different_body_on_retry_fails_same_body_and_id_reuse_after_delivery_fails_distinct_ids() {
    let changed = record(
        "503,200",
        vec![
            attempt("msg_1", 0, b"{\"a\":1}"),
            attempt("msg_1", 1000, b"{\"a\":2}"),
        ],
    );
    assert_case(&changed, "sender/retry-same-body", Verdict::Failed);
    assert_case(&changed, "sender/event-ids-distinct", Verdict::Unsupported);

    let reused = record(
        "200",
        vec![
            attempt("msg_1", 0, b"{\"a\":1}"),
            attempt("msg_2", 500, b"{\"a\":2}"),
            attempt("msg_1", 1000, b"{\"a\":3}"),
        ],
    );
    assert_case(&reused, "sender/event-ids-distinct", Verdict::Failed);
    // A new body after a 2xx is a new event, not a retry after success.
    assert_case(&reused, "sender/no-retry-after-success", Verdict::Ok);
    assert_case(&reused, "sender/retry-same-body", Verdict::Unsupported);
}

#[test]
fn a_retry_after_success_with_the_same_body_fails() {
    let run = record(
        "200",
        vec![attempt("msg_1", 0, b"{}"), attempt("msg_1", 100, b"{}")],
    );
    assert_case(&run, "sender/no-retry-after-success", Verdict::Failed);
}

#[test]
fn no_retry_after_a_failure_fails_but_not_after_the_last_step_or_an_unfinished_hold() {
    let dropped = record("503,200", vec![attempt("msg_1", 0, b"{}")]);
    let message = assert_case(&dropped, "sender/retry-after-failure", Verdict::Failed);
    assert!(message.contains("not retried within 5.00 s"), "{message}");

    // `503` alone: the failure is the last step, so giving up after it is fine.
    let last = record("503", vec![attempt("msg_1", 0, b"{}")]);
    assert_case(&last, "sender/retry-after-failure", Verdict::Unsupported);

    // A hold the listener ended itself gave the sender no answer to retry after.
    let mut held = record("timeout,200", vec![attempt("msg_1", 0, b"{}")]);
    held.attempts[0].end = AttemptEnd::Unfinished;
    assert_case(&held, "sender/retry-after-failure", Verdict::Unsupported);
}

#[test]
fn a_reused_timestamp_is_judged_only_once_a_whole_second_has_passed() {
    let reuse = |ms| {
        let mut a = attempt("msg_1", ms, b"{}");
        let first = attempt("msg_1", 0, b"{}");
        a.headers = first.headers.clone();
        a
    };
    let quick = record("503,200", vec![attempt("msg_1", 0, b"{}"), reuse(900)]);
    assert_case(&quick, "sender/retry-fresh-timestamp", Verdict::Unsupported);
    let slow = record("503,200", vec![attempt("msg_1", 0, b"{}"), reuse(1400)]);
    assert_case(&slow, "sender/retry-fresh-timestamp", Verdict::Failed);
    // Same timestamp, same signature: nothing to say about the signature's freshness.
    assert_case(&slow, "sender/retry-fresh-signature", Verdict::Unsupported);
}

#[test]
fn a_stale_signature_with_a_new_timestamp_fails_fresh_signature() {
    let first = attempt("msg_1", 0, b"{}");
    let second = set_header(
        attempt("msg_1", 2000, b"{}"),
        "webhook-signature",
        first.header("webhook-signature").unwrap(),
    );
    let run = record("503,200", vec![first, second]);
    assert_case(&run, "sender/retry-fresh-signature", Verdict::Failed);
    assert_case(&run, "sender/signature-verifies", Verdict::Failed);
}

#[test]
fn constant_delays_are_non_strict_and_growing_ones_ok() {
    let constant = record(
        "503,503,503,200",
        (0..4).map(|i| attempt("msg_1", i * 1000, b"{}")).collect(),
    );
    assert_case(&constant, "sender/backoff-grows", Verdict::NonStrict);
    let growing = record(
        "503,503,503,200",
        [0, 1000, 3000, 7000]
            .into_iter()
            .map(|ms| attempt("msg_1", ms, b"{}"))
            .collect(),
    );
    assert_case(&growing, "sender/backoff-grows", Verdict::Ok);
}

#[test]
fn retry_after_is_checked_against_the_answer_time() {
    let early = record(
        "429:retry-after=2,200",
        vec![attempt("msg_1", 0, b"{}"), attempt("msg_1", 1000, b"{}")],
    );
    assert_case(&early, "sender/retry-after-honoured", Verdict::NonStrict);
    let patient = record(
        "429:retry-after=2,200",
        vec![attempt("msg_1", 0, b"{}"), attempt("msg_1", 2001, b"{}")],
    );
    assert_case(&patient, "sender/retry-after-honoured", Verdict::Ok);
}

#[test]
fn an_attempt_after_410_is_non_strict() {
    let run = record(
        "410",
        vec![attempt("msg_1", 0, b"{}"), attempt("msg_1", 1000, b"{}")],
    );
    assert_case(&run, "sender/no-retry-after-gone", Verdict::NonStrict);
    let stopped = record("410", vec![attempt("msg_1", 0, b"{}")]);
    assert_case(&stopped, "sender/no-retry-after-gone", Verdict::Ok);
}

#[test]
fn a_followed_redirect_fails_only_the_redirect_case() {
    let mut followed = attempt("msg_1", 5, b"");
    followed.method = "GET".into();
    followed.path = "/.hookspec/redirected/0".into();
    followed.headers.clear();
    followed.followed_redirect = true;
    let run = record("301,200", vec![attempt("msg_1", 0, b"{}"), followed]);
    let message = assert_case(&run, "sender/redirect-not-followed", Verdict::Failed);
    assert!(message.contains("GET /.hookspec/redirected/0"), "{message}");
    for id in [
        "sender/headers-present",
        "sender/method-post",
        "sender/signature-verifies",
        "sender/content-type",
    ] {
        assert_case(&run, id, Verdict::Ok);
    }
}

#[test]
fn header_grammar_breaches_are_told_apart() {
    let lenient = set_header(
        attempt("msg_1", 0, b"{}"),
        "webhook-timestamp",
        b"+1700000000",
    );
    assert_case(
        &record("200", vec![lenient]),
        "sender/timestamp-grammar",
        Verdict::NonStrict,
    );
    let iso = set_header(
        attempt("msg_1", 0, b"{}"),
        "webhook-timestamp",
        b"2023-11-14T22:13:20Z",
    );
    assert_case(
        &record("200", vec![iso]),
        "sender/timestamp-grammar",
        Verdict::Failed,
    );
    let millis = set_header(
        attempt("msg_1", 0, b"{}"),
        "webhook-timestamp",
        b"1700000000000",
    );
    let message = assert_case(
        &record("200", vec![millis]),
        "sender/timestamp-current",
        Verdict::Failed,
    );
    assert!(message.contains("milliseconds"), "{message}");
    let dotted = set_header(attempt("msg_1", 0, b"{}"), "webhook-id", b"msg.1");
    assert_case(
        &record("200", vec![dotted]),
        "sender/id-valid",
        Verdict::Failed,
    );
    let mut unsigned = attempt("msg_1", 0, b"{}");
    unsigned.headers.retain(|(k, _)| k != "webhook-signature");
    let run = record("200", vec![unsigned]);
    assert_case(&run, "sender/headers-present", Verdict::Failed);
    assert_case(&run, "sender/signature-verifies", Verdict::Failed);
    let malformed = set_header(attempt("msg_1", 0, b"{}"), "webhook-signature", b"v1,abc");
    assert_case(
        &record("200", vec![malformed]),
        "sender/signature-list-parses",
        Verdict::Failed,
    );
    let mut untyped = attempt("msg_1", 0, b"{}");
    untyped.headers.retain(|(k, _)| k != "content-type");
    assert_case(
        &record("200", vec![untyped]),
        "sender/content-type",
        Verdict::NonStrict,
    );
}

#[test]
fn a_failed_signature_comes_with_a_repro_that_names_no_secret() {
    let forged = set_header(
        attempt("msg_1", 0, b"{\"a\":1}"),
        "webhook-signature",
        b"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
    let cases = grade(&record("200", vec![forged]), &config());
    let case = cases
        .iter()
        .find(|c| c.id == "sender/signature-verifies")
        .unwrap();
    assert_eq!(case.verdict, Verdict::Failed);
    let repro = case.repro.as_deref().unwrap();
    assert!(repro.contains("hookspec verify") && repro.contains("--now 1700000000"));
    assert!(!repro.contains(SECRET) && !case.message.contains(SECRET));
}

#[test]
fn a_jwt_signature_value_is_well_formed_only_when_a_jwks_is_configured() {
    let token = set_header(
        attempt("msg_1", 0, b"{}"),
        "webhook-signature",
        b"eyJh.eyJi.c2ln",
    );
    let run = record("200", vec![token]);
    assert_case(&run, "sender/signature-list-parses", Verdict::Failed);
    let with_jwks = ListenConfig {
        jwks: Some(crate::listen::JwksKeys {
            set: std::sync::Arc::new(hookspec::Jwks::new(Vec::new())),
            verifier: hookspec::JwksVerifier::new(),
        }),
        ..config()
    };
    let cases = grade(&run, &with_jwks);
    let find = |id: &str| cases.iter().find(|c| c.id == id).unwrap();
    assert_eq!(find("sender/signature-list-parses").verdict, Verdict::Ok);
    let verifies = find("sender/signature-verifies");
    assert_eq!(verifies.verdict, Verdict::Failed);
    assert!(verifies.message.contains("JWKS: "), "{}", verifies.message);
}
