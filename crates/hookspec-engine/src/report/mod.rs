//! The one report model shared by `check`, `listen` and `vectors check`, and its writers
//! (terminal, JSON, JUnit, HTML, Markdown, SARIF) and the baseline ("expect") file.
//!
//! A run produces one [`Report`]: a list of [`CaseResult`]s, each with a [`Verdict`]
//! (Autobahn's vocabulary: OK / NON-STRICT / INFORMATIONAL / UNSUPPORTED / FAILED) and the
//! evidence behind it. Writers only render; they never judge.

pub mod baseline;
pub mod command_line;
#[cfg(test)]
pub(crate) mod fixture;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod terminal;

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::exit;

pub use html::Html;
pub use json::Json;
pub use junit::Junit;
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use terminal::Terminal;

/// A report format: `check`, `listen` and `vectors check` write every format through this
/// one trait. Formats only render; they never judge.
pub trait Format {
    /// The format's name in messages (`JSON`, `JUnit`).
    fn name(&self) -> &'static str;

    /// The whole report in this format.
    fn render(&self, report: &Report) -> String;

    /// Writes the report to `path`.
    fn write(&self, report: &Report, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.render(report))
    }
}

/// The judgement of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    /// The target behaves as the strict profile asks.
    #[serde(rename = "OK")]
    Ok,
    /// Breaks a SHOULD of the strict profile; fails the run only with `--strict`.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// A measured property; never fails the run.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The target lacks an optional capability (e.g. no observer); never fails the run.
    #[serde(rename = "UNSUPPORTED")]
    Unsupported,
    /// Breaks a MUST: accepts a forged, stale or tampered delivery, rejects a valid one, or
    /// processes an event twice.
    #[serde(rename = "FAILED")]
    Failed,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Ok,
        Verdict::NonStrict,
        Verdict::Informational,
        Verdict::Unsupported,
        Verdict::Failed,
    ];

    /// The verdict's name as printed and serialized (`NON-STRICT`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::NonStrict => "NON-STRICT",
            Self::Informational => "INFORMATIONAL",
            Self::Unsupported => "UNSUPPORTED",
            Self::Failed => "FAILED",
        }
    }

    /// Whether this verdict fails a run (`NON-STRICT` only under `--strict`).
    pub fn is_finding(self, strict: bool) -> bool {
        match self {
            Self::Failed => true,
            Self::NonStrict => strict,
            _ => false,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How binding the rule a case checks is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// A breach is `FAILED`.
    Must,
    /// A breach is `NON-STRICT`.
    Should,
    /// A measurement; the case is `INFORMATIONAL`.
    Info,
}

impl Level {
    /// The level's name as printed (`MUST`, `SHOULD`, `INFO`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::Info => "INFO",
        }
    }
}

/// The class of bug a case is designed to catch (Wycheproof's `bugType`, for webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BugClass {
    /// A forged or unsigned delivery is accepted.
    AuthBypass,
    /// An old delivery can be replayed.
    Replay,
    /// The timestamp window is missing or too wide.
    Freshness,
    /// Key rotation breaks (only the first signature tried, revoked key accepted).
    Rotation,
    /// The signature is checked over something other than the exact bytes received.
    Canonicalization,
    /// Malformed input crashes the target or is handled wrongly.
    MalformedInput,
    /// An event is processed more than once, or a duplicate is refused.
    Idempotency,
    /// A key of one kind is accepted as another (public key as HMAC secret, alg confusion).
    KeyConfusion,
    /// Sender delivery behaviour: retries, backoff, ids, redirects.
    Delivery,
    /// A boundary or unusual-but-valid input.
    EdgeCase,
}

/// What was observed for a case (the parts that apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// The HTTP status of the decisive response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Its latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// How many times the target acted on the event (from the observer), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effects: Option<u64>,
    /// Anything else worth showing, as one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status {status}"));
        }
        if let Some(ms) = self.latency_ms {
            parts.push(format!("in {ms} ms"));
        }
        if let Some(effects) = self.effects {
            parts.push(format!("processed {effects} time(s)"));
        }
        if let Some(detail) = &self.detail {
            parts.push(detail.clone());
        }
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable id, `family/slug`.
    pub id: String,
    /// The family (the part of the id before `/`).
    pub family: String,
    /// One-line title.
    pub title: String,
    /// How binding the rule is.
    pub level: Level,
    /// The rule checked, with its source (e.g. "R13: reject timestamps outside the tolerance").
    pub rule: String,
    /// The bug class the case targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug_class: Option<BugClass>,
    /// The judgement.
    pub verdict: Verdict,
    /// What a conformant target does, as one line.
    pub expected: String,
    /// What was observed.
    pub observed: Observed,
    /// Why this verdict, as one line.
    pub message: String,
    /// What was sent, when the case sent something (a short description, never a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// One command that replays the decisive delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<String>,
    /// Time the case took, in milliseconds.
    pub duration_ms: u64,
}

/// The number of cases per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// All cases.
    pub total: usize,
    /// `OK` cases.
    #[serde(rename = "OK")]
    pub ok: usize,
    /// `NON-STRICT` cases.
    #[serde(rename = "NON-STRICT")]
    pub non_strict: usize,
    /// `INFORMATIONAL` cases.
    #[serde(rename = "INFORMATIONAL")]
    pub informational: usize,
    /// `UNSUPPORTED` cases.
    #[serde(rename = "UNSUPPORTED")]
    pub unsupported: usize,
    /// `FAILED` cases.
    #[serde(rename = "FAILED")]
    pub failed: usize,
}

impl Summary {
    /// Counts the verdicts of `cases`.
    pub fn of(cases: &[CaseResult]) -> Self {
        let mut s = Self {
            total: cases.len(),
            ..Self::default()
        };
        for case in cases {
            *s.slot(case.verdict) += 1;
        }
        s
    }

    /// The count for one verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        let mut copy = *self;
        *copy.slot(verdict)
    }

    fn slot(&mut self, verdict: Verdict) -> &mut usize {
        match verdict {
            Verdict::Ok => &mut self.ok,
            Verdict::NonStrict => &mut self.non_strict,
            Verdict::Informational => &mut self.informational,
            Verdict::Unsupported => &mut self.unsupported,
            Verdict::Failed => &mut self.failed,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cases:", self.total)?;
        for (i, verdict) in Verdict::ALL.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{} {}", self.count(*verdict), verdict)?;
        }
        Ok(())
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always `hookspec`.
    pub tool: String,
    /// hookspec's version.
    pub version: String,
    /// What ran: `check`, `listen` or `vectors check`.
    pub command: String,
    /// What was tested: the endpoint URL, the listen address, or the adapter command.
    pub target: String,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// Whether `--strict` was given (NON-STRICT then fails the run).
    pub strict: bool,
    /// The signature scheme the run used (`v1`, `v1a`, `v1a-jwks`, `jwt`), when one applies.
    /// Optional in the JSON contract: absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// The command line that re-runs this run, secrets replaced by environment-variable
    /// placeholders (see [`command_line::redacted`]). Optional in the JSON contract: set by
    /// the CLI, absent for runs driven from Rust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Remarks about the run as a whole (a valid delivery was rejected: wrong secret?; how
    /// to enable the unsupported cases), one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every case, in catalogue order.
    pub cases: Vec<CaseResult>,
    /// Count per verdict.
    pub summary: Summary,
}

impl Report {
    /// An empty report for `command` against `target`, started at `started`.
    pub fn new(command: &str, target: &str, started: SystemTime, strict: bool) -> Self {
        Self {
            tool: "hookspec".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
            target: target.to_string(),
            started_at: humantime::format_rfc3339_seconds(started).to_string(),
            duration_ms: 0,
            strict,
            scheme: None,
            command_line: None,
            notes: Vec::new(),
            cases: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// Adds the results and recomputes the summary.
    pub fn finish(&mut self, cases: Vec<CaseResult>, duration: Duration) {
        self.cases = cases;
        self.duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.summary = Summary::of(&self.cases);
    }

    /// The cases that fail this run (`FAILED`, and `NON-STRICT` under `--strict`).
    pub fn findings(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|c| c.verdict.is_finding(self.strict))
    }

    /// Panics, listing the findings as the terminal report shows them, unless the run is
    /// conformant: for gating a Rust test suite on a [`crate::check::Check`] run.
    #[track_caller]
    pub fn assert_conformant(&self) {
        if self.findings().next().is_some() {
            panic!(
                "the target is not conformant:\n{}",
                terminal::render_findings(self)
            );
        }
    }

    /// The run's outcome in a few words, as the HTML and Markdown reports title it:
    /// `conformant`, `N finding(s)` (the cases that fail the run), or `no case ran`.
    pub fn outcome(&self) -> String {
        match self.findings().count() {
            0 if self.cases.is_empty() => "no case ran".to_string(),
            0 => "conformant".to_string(),
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        }
    }

    /// The cases a reader should look at: every `FAILED` and `NON-STRICT` case, whether or
    /// not `--strict` makes the `NON-STRICT` ones fail the run (the SARIF results, the
    /// Markdown findings table).
    pub fn breaches(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Failed | Verdict::NonStrict))
    }

    /// Exit code without a baseline: 0 conformant, 1 findings.
    pub fn exit_code(&self) -> u8 {
        if self.findings().next().is_some() {
            exit::FINDINGS
        } else {
            exit::OK
        }
    }
}
