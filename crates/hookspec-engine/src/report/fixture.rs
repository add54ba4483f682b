//! Hand-built reports for the writers' tests: findings of every verdict, hostile text from
//! an endpoint, notes, credentials in the target; none, and many findings.

use std::time::{Duration, SystemTime};

use super::{BugClass, CaseResult, Level, Observed, Report, Verdict};

/// A script an endpoint might put in its answer body.
pub const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)> | pipe\nnew line `tick` [link](http://evil.example/) @all *bold* & \"quote\" 'apos'";

/// The password in the report's target URL.
pub const PASSWORD: &str = "hunter2pass";

/// One case of `family/slug` with `verdict`; findings carry sent/repro.
pub fn case(id: &str, verdict: Verdict) -> CaseResult {
    let finding = matches!(verdict, Verdict::Failed | Verdict::NonStrict);
    CaseResult {
        id: id.to_string(),
        family: id.split('/').next().unwrap_or(id).to_string(),
        title: format!("Title of {id}"),
        level: match verdict {
            Verdict::NonStrict => Level::Should,
            Verdict::Informational => Level::Info,
            _ => Level::Must,
        },
        rule: format!("R13: the rule of {id}"),
        bug_class: Some(BugClass::AuthBypass),
        verdict,
        expected: "rejected with a non-2xx status (400/401/403), and not processed".to_string(),
        observed: Observed {
            status: Some(200),
            latency_ms: Some(3),
            effects: None,
            detail: Some(format!("body {HOSTILE:?}")),
        },
        message: format!("accepted (status 200) a delivery that must be rejected: {HOSTILE}"),
        sent: finding.then(|| "POST | webhook-signature: \"v1,\" | body 63 B".to_string()),
        repro: finding.then(|| {
            "curl -sS -i --http1.1 -X POST http://127.0.0.1:9/hook -H 'webhook-signature: v1,' --data-binary @/tmp/x.body".to_string()
        }),
        duration_ms: 4,
    }
}

/// A report with one case of each verdict over two families, a note, a scheme and a
/// command line.
pub fn mixed() -> Report {
    let mut report = Report::new(
        "check",
        &format!("https://ci:{PASSWORD}@staging.example.com/hook"),
        SystemTime::UNIX_EPOCH,
        false,
    );
    report.scheme = Some("v1".to_string());
    report.command_line = Some(
        "hookspec check https://staging.example.com/hook --secret \"$HOOKSPEC_SECRET\"".to_string(),
    );
    report.notes = vec![
        "--insecure: the endpoint's TLS certificate was not verified".to_string(),
        format!("note with hostile text {HOSTILE}"),
    ];
    report.finish(
        vec![
            case("headers/valid", Verdict::Ok),
            case("headers/svix-aliases-only", Verdict::Informational),
            case("signature/empty-tag", Verdict::Failed),
            case("signature/extra-comma", Verdict::NonStrict),
            case("duplicate/same-id", Verdict::Unsupported),
        ],
        Duration::from_millis(612),
    );
    report
}

/// A report of `n` FAILED cases (ids `signature/case-<i>`), each message `len` bytes long.
pub fn many(n: usize, len: usize) -> Report {
    let mut report = Report::new("vectors check", "adapter", SystemTime::UNIX_EPOCH, false);
    let cases = (0..n)
        .map(|i| {
            let mut c = case(&format!("signature/case-{i}"), Verdict::Failed);
            c.message = "x".repeat(len);
            c
        })
        .collect();
    report.command_line = Some("hookspec vectors check --builtin".to_string());
    report.finish(cases, Duration::from_millis(1));
    report
}

/// A conformant report with no case at all.
pub fn empty() -> Report {
    let mut report = Report::new(
        "listen",
        "http://127.0.0.1:9/ (respond 200)",
        SystemTime::UNIX_EPOCH,
        true,
    );
    report.finish(Vec::new(), Duration::ZERO);
    report
}
