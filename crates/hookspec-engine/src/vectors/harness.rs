//! Checking an implementation against vector files: send every test through the adapter
//! protocol, compare the answer with the expected result, and count agreement per flag.
//!
//! `valid` must be accepted, `invalid` rejected, `acceptable` may go either way. An answer
//! with `unsupported` is counted apart (never a divergence). Error texts are shown, never
//! compared: only the reference adapter speaks hookspec's error codes.

use std::collections::BTreeMap;

use super::adapter::{AdapterError, AdapterProcess};
use super::format::{Expected, VectorFile};
use super::protocol::{Request, Response};
use super::reference;
use super::render::{RenderError, request, request_at};
use hookspec::internal::unix_now;

/// How much of an adapter's free text (`error`, `unsupported`) is shown, in characters.
pub const SHOWN_CHARS: usize = 80;

/// An adapter's free text, quoted, escaped and cut (see [`TestOutcome::got`]).
fn shown(text: &str) -> String {
    crate::delivery::preview(text.as_bytes(), SHOWN_CHARS)
}

/// Something that answers protocol requests.
pub trait Implementation {
    /// Answers one request.
    fn answer(&mut self, request: &Request) -> Result<Response, AdapterError>;
}

/// The reference verifier, in process (`vectors check --builtin`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Builtin;

impl Implementation for Builtin {
    fn answer(&mut self, request: &Request) -> Result<Response, AdapterError> {
        Ok(reference::respond(request))
    }
}

impl Implementation for AdapterProcess {
    fn answer(&mut self, request: &Request) -> Result<Response, AdapterError> {
        self.ask(request)
    }
}

/// Which clock the implementation verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The implementation honours the request's `now` (the default): every test is sent as
    /// committed, at its `reference_now`.
    #[default]
    Injected,
    /// The implementation reads the system clock: time-relative tests are re-signed at the
    /// current time just before they are sent (and sent again if the second changed before
    /// the answer came back, or re-signed at the next second if a mutation would change
    /// nothing at this one); the others do not depend on the clock.
    System,
}

/// How one test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The answer agrees with the expected result.
    Agree,
    /// It does not.
    Diverge,
    /// The implementation said it lacks what the test needs.
    Unsupported(String),
}

/// One test's outcome.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// The file's scheme.
    pub scheme: String,
    /// The test id.
    pub tc_id: u32,
    /// The test's comment.
    pub comment: String,
    /// The test's flags.
    pub flags: Vec<String>,
    /// The expected result.
    pub expected: Expected,
    /// The reference verifier's error code (the vector's `error`).
    pub expected_error: Option<String>,
    /// The implementation's answer.
    pub response: Response,
    /// The verdict.
    pub verdict: Verdict,
    /// How long the answer took.
    pub duration: std::time::Duration,
}

impl TestOutcome {
    /// `v1 #42`.
    pub fn name(&self) -> String {
        format!("{} #{}", self.scheme, self.tc_id)
    }

    /// What the implementation did, in words: `accept`, `reject ("error")`,
    /// `unsupported ("reason")`. The adapter's free text is quoted, escaped and cut to
    /// [`SHOWN_CHARS`] characters, as `check` shows an endpoint's body: an adapter's text never
    /// reaches a terminal raw.
    pub fn got(&self) -> String {
        let r = &self.response;
        if let Some(reason) = &r.unsupported {
            return format!("unsupported ({})", shown(reason));
        }
        match (r.accept, &r.error) {
            (true, _) => "accept".to_string(),
            (false, Some(e)) if r.config_error => format!("reject at configuration ({})", shown(e)),
            (false, Some(e)) => format!("reject ({})", shown(e)),
            (false, None) => "reject".to_string(),
        }
    }

    /// The expected result, in words.
    pub fn want(&self) -> String {
        match (self.expected, &self.expected_error) {
            (Expected::Invalid, Some(code)) => format!("invalid ({code})"),
            (e, _) => e.as_str().to_string(),
        }
    }
}

/// Agreement counts for one flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagCounts {
    /// Tests that agree.
    pub agree: usize,
    /// Tests that diverge.
    pub diverge: usize,
    /// Tests the implementation does not support.
    pub unsupported: usize,
}

/// The outcome of a whole run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every test, in file order.
    pub outcomes: Vec<TestOutcome>,
}

impl Report {
    /// The tests that diverge.
    pub fn divergences(&self) -> impl Iterator<Item = &TestOutcome> {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Diverge)
    }

    /// Totals over all tests.
    pub fn totals(&self) -> FlagCounts {
        let mut c = FlagCounts::default();
        for o in &self.outcomes {
            count(&mut c, &o.verdict);
        }
        c
    }

    /// Counts per flag (a test counts once for each of its flags).
    pub fn per_flag(&self) -> BTreeMap<String, FlagCounts> {
        let mut map: BTreeMap<String, FlagCounts> = BTreeMap::new();
        for o in &self.outcomes {
            for flag in &o.flags {
                count(map.entry(flag.clone()).or_default(), &o.verdict);
            }
        }
        map
    }
}

fn count(c: &mut FlagCounts, verdict: &Verdict) {
    match verdict {
        Verdict::Agree => c.agree += 1,
        Verdict::Diverge => c.diverge += 1,
        Verdict::Unsupported(_) => c.unsupported += 1,
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The adapter failed (exit code 3).
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// A vector could not be rendered (a broken vector file: exit code 2).
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Runs every test of `files` through `implementation`.
pub fn run(
    files: &[VectorFile],
    implementation: &mut dyn Implementation,
    clock: Clock,
) -> Result<Report, HarnessError> {
    let mut report = Report::default();
    for file in files {
        for (group, test) in file.tests() {
            let ask = |imp: &mut dyn Implementation,
                       now: Option<u64>|
             -> Result<Response, HarnessError> {
                let req = match now {
                    Some(now) => request_at(test, now)?,
                    None => request(test)?,
                };
                let request = Request::for_group(&file.scheme, group, test, &req);
                Ok(imp.answer(&request)?)
            };
            let started = std::time::Instant::now();
            let response = match clock {
                Clock::Injected => ask(implementation, None)?,
                Clock::System => {
                    let mut attempts = 0;
                    loop {
                        let now = unix_now();
                        attempts += 1;
                        match ask(implementation, Some(now)) {
                            // Degenerate at this second: wait for the next one.
                            Err(HarnessError::Render(RenderError::NoEffect { .. }))
                                if attempts < 10 =>
                            {
                                wait_for_next_second(now);
                            }
                            Err(e) => return Err(e),
                            // Sent again if the second changed before the answer came back.
                            Ok(_)
                                if test.is_time_relative()
                                    && unix_now() != now
                                    && attempts < 10 => {}
                            Ok(response) => break response,
                        }
                    }
                }
            };
            let verdict = match &response.unsupported {
                Some(reason) => Verdict::Unsupported(reason.clone()),
                None if test.result.agrees_with(response.accept) => Verdict::Agree,
                None => Verdict::Diverge,
            };
            report.outcomes.push(TestOutcome {
                scheme: file.scheme.clone(),
                tc_id: test.tc_id,
                comment: test.comment.clone(),
                flags: test.flags.clone(),
                expected: test.result,
                expected_error: test.error.clone(),
                response,
                verdict,
                duration: started.elapsed(),
            });
        }
    }
    Ok(report)
}

fn wait_for_next_second(now: u64) {
    while unix_now() == now {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether the reference verifier's answer matches the test exactly: `valid` accepted,
/// `invalid` rejected with the expected code, `acceptable` as recorded in `error`.
pub fn reference_matches(expected: Expected, error: Option<&str>, response: &Response) -> bool {
    match expected {
        Expected::Valid => response.accept,
        Expected::Invalid | Expected::Acceptable => match error {
            Some(code) => !response.accept && response.error.as_deref() == Some(code),
            None => response.accept,
        },
    }
}

/// The run as the shared report model: one case per test, id `v1/tc_42`, family = scheme.
///
/// Agreement is `OK` (`INFORMATIONAL` for `acceptable` tests, where either answer agrees),
/// a divergence `FAILED`, an `unsupported` answer `UNSUPPORTED`. `repro` re-runs the test
/// alone: `repro_prefix` (the command line without `--only`, e.g. `hookspec vectors check
/// --builtin`) followed by `--only scheme:tcId`.
pub fn to_cases(
    report: &Report,
    files: &[VectorFile],
    repro_prefix: &str,
) -> Vec<crate::report::CaseResult> {
    use crate::judgement::{CaseInfo, Judgement, Outcome};
    use crate::report::{Level, Observed};
    report
        .outcomes
        .iter()
        .map(|o| {
            let (outcome, message) = match (&o.verdict, o.expected) {
                (Verdict::Agree, Expected::Acceptable) => (
                    Outcome::Measured,
                    format!(
                        "the strict profile leaves the choice; the implementation chose: {}",
                        o.got()
                    ),
                ),
                (Verdict::Agree, _) => (Outcome::Pass, "agrees".to_string()),
                (Verdict::Diverge, _) => (
                    Outcome::MustBreach,
                    format!("diverges: expected {}, got {}", o.want(), o.got()),
                ),
                (Verdict::Unsupported(reason), _) => (Outcome::Unsupported, shown(reason)),
            };
            let bug_class = o.flags.iter().find_map(|flag| {
                files
                    .iter()
                    .find(|f| f.scheme == o.scheme)
                    .and_then(|f| f.notes.get(flag))
                    .and_then(|note| bug_class(&note.bug_type))
            });
            let info = CaseInfo {
                id: format!("{}/tc_{}", o.scheme, o.tc_id),
                family: o.scheme.clone(),
                title: o.comment.clone(),
                level: if o.expected == Expected::Acceptable {
                    Level::Info
                } else {
                    Level::Must
                },
                rule: format!("strict profile, flags: {}", o.flags.join(", ")),
                bug_class,
                expected: o.want(),
            };
            let observed = Observed {
                detail: Some(o.got()),
                ..Observed::default()
            };
            let mut judgement = Judgement::new(outcome, message, observed);
            judgement.repro = Some(format!("{repro_prefix} --only {}:{}", o.scheme, o.tc_id));
            judgement.into_result(info, None, o.duration)
        })
        .collect()
}

fn bug_class(bug_type: &str) -> Option<crate::report::BugClass> {
    use crate::report::BugClass as B;
    Some(match bug_type {
        "AUTH_BYPASS" | "MALLEABILITY" => B::AuthBypass,
        "REPLAY" => B::Replay,
        "FRESHNESS" => B::Freshness,
        "ROTATION" => B::Rotation,
        "CANONICALIZATION" => B::Canonicalization,
        "MALFORMED_INPUT" | "KNOWN_BUG" => B::MalformedInput,
        "CONFIGURATION" => B::KeyConfusion,
        "EDGE_CASE" | "BASIC" => B::EdgeCase,
        _ => return None,
    })
}
