//! The baseline of known findings (`--expect FILE`, `--write-expect FILE`).
//!
//! Like an xfail list (test262, the OpenID conformance suite), not a skip list: listed
//! findings still run. The run fails on a new finding, and on a listed finding that no
//! longer occurs (so the file is kept true); entries for cases that did not run are
//! reported as unused.

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Report, Verdict};

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The case id.
    pub id: String,
    /// The verdict accepted for it (`FAILED` or `NON-STRICT`).
    pub verdict: Verdict,
    /// Why it is accepted. Required and non-empty.
    pub reason: String,
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The accepted findings.
    pub findings: Vec<Entry>,
}

/// Why a baseline file could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("cannot access baseline file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid baseline.
    #[error("invalid baseline file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl BaselineError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "baseline_io",
            Self::Invalid { .. } => "baseline_invalid",
        }
    }
}

/// How a run compares with its baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Findings not in the baseline: fail the run.
    pub new_findings: Vec<String>,
    /// Baseline entries whose case ran and no longer has that verdict: fail the run.
    pub resolved: Vec<String>,
    /// Baseline entries whose case did not run: reported only.
    pub unused: Vec<String>,
    /// Findings covered by the baseline.
    pub accepted: Vec<String>,
}

impl Comparison {
    /// Whether the run passes against its baseline.
    pub fn passes(&self) -> bool {
        self.new_findings.is_empty() && self.resolved.is_empty()
    }
}

impl Baseline {
    /// Reads and validates a baseline file.
    pub fn read(path: &Path) -> Result<Self, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: shown.clone(),
            source,
        })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        for entry in &baseline.findings {
            if entry.reason.trim().is_empty() {
                return Err(BaselineError::Invalid {
                    path: shown,
                    message: format!("entry {} has no reason", entry.id),
                });
            }
            if !matches!(entry.verdict, Verdict::Failed | Verdict::NonStrict) {
                return Err(BaselineError::Invalid {
                    path: shown,
                    message: format!(
                        "entry {}: only FAILED or NON-STRICT findings can be accepted",
                        entry.id
                    ),
                });
            }
        }
        Ok(baseline)
    }

    /// The baseline that accepts every finding of `report`, each with a placeholder reason
    /// to be replaced by a real one.
    pub fn from_report(report: &Report) -> Self {
        Self {
            findings: report
                .findings()
                .map(|case| Entry {
                    id: case.id.clone(),
                    verdict: case.verdict,
                    reason: format!("TODO: say why this is accepted ({})", case.message),
                })
                .collect(),
        }
    }

    /// Writes the baseline as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).expect("the baseline always serializes");
        text.push('\n');
        std::fs::write(path, text).map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Compares a finished run with this baseline.
    pub fn compare(&self, report: &Report) -> Comparison {
        let mut comparison = Comparison::default();
        for case in report.findings() {
            let listed = self
                .findings
                .iter()
                .any(|e| e.id == case.id && e.verdict == case.verdict);
            if listed {
                comparison.accepted.push(case.id.clone());
            } else {
                comparison.new_findings.push(case.id.clone());
            }
        }
        for entry in &self.findings {
            match report.cases.iter().find(|c| c.id == entry.id) {
                None => comparison.unused.push(entry.id.clone()),
                Some(case)
                    if case.verdict != entry.verdict || !case.verdict.is_finding(report.strict) =>
                {
                    comparison.resolved.push(entry.id.clone());
                }
                Some(_) => {}
            }
        }
        comparison
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::report::{CaseResult, Level, Observed};

    fn case(id: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            id: id.to_string(),
            family: id.split('/').next().unwrap_or_default().to_string(),
            title: "t".into(),
            level: Level::Must,
            rule: "r".into(),
            bug_class: None,
            verdict,
            expected: "e".into(),
            observed: Observed::default(),
            message: "m".into(),
            sent: None,
            repro: None,
            duration_ms: 0,
        }
    }

    fn report(strict: bool, cases: Vec<CaseResult>) -> Report {
        let mut r = Report::new("check", "http://x/", SystemTime::UNIX_EPOCH, strict);
        r.finish(cases, Duration::ZERO);
        r
    }

    fn entry(id: &str, verdict: Verdict) -> Entry {
        Entry {
            id: id.into(),
            verdict,
            reason: "known".into(),
        }
    }

    #[test]
    fn new_resolved_unused_and_accepted_are_told_apart() {
        let run = report(
            false,
            vec![
                case("a/new", Verdict::Failed),
                case("a/known", Verdict::Failed),
                case("a/fixed", Verdict::Ok),
            ],
        );
        let baseline = Baseline {
            findings: vec![
                entry("a/known", Verdict::Failed),
                entry("a/fixed", Verdict::Failed),
                entry("a/gone", Verdict::Failed),
            ],
        };
        let c = baseline.compare(&run);
        assert_eq!(c.new_findings, ["a/new"]);
        assert_eq!(c.accepted, ["a/known"]);
        assert_eq!(c.resolved, ["a/fixed"]);
        assert_eq!(c.unused, ["a/gone"]);
        assert!(!c.passes());
    }

    #[test]
    fn non_strict_is_a_finding_only_under_strict() {
        let cases = vec![case("a/x", Verdict::NonStrict)];
        assert_eq!(report(false, cases.clone()).exit_code(), crate::exit::OK);
        let strict = report(true, cases);
        assert_eq!(strict.exit_code(), crate::exit::FINDINGS);
        let baseline = Baseline::from_report(&strict);
        assert!(baseline.compare(&strict).passes());
    }

    #[test]
    fn entries_without_reason_are_refused() {
        let dir = std::env::temp_dir().join(format!("hookspec-baseline-{}", std::process::id()));
        std::fs::write(
            &dir,
            r#"{"findings":[{"id":"a/x","verdict":"FAILED","reason":" "}]}"#,
        )
        .unwrap();
        let err = Baseline::read(&dir).unwrap_err();
        std::fs::remove_file(&dir).ok();
        assert_eq!(err.code(), "baseline_invalid");
    }
}
