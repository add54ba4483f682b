//! The response script of `hookspec listen --respond SCRIPT`: what the listener answers to
//! attempt 1, 2, 3, … of each `webhook-id`.
//!
//! Grammar (whitespace around steps is ignored):
//!
//! ```text
//! script := step ("," step)*
//! step   := "timeout" | status (":" param)*
//! status := three digits, 200 to 599
//! param  := "retry-after=" seconds          (0 to 86400; not on a 2xx step)
//! ```
//!
//! `timeout` holds the connection open without answering, until the sender gives up (its
//! per-attempt timeout) or the listener's hold limit passes. A `3xx` step answers with a
//! `Location` pointing at another path of the listener, so a sender that follows the
//! redirect is seen doing it. A `2xx` or `410` step must be the last one: a conforming sender
//! never comes back after it, so later steps could never be reached. Once the script is used
//! up, further attempts of the same id get its last step again.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

/// The most steps a script may have (a guard against runaway scripts).
pub const MAX_STEPS: usize = 100;

/// The longest `retry-after` a step may ask for, in seconds (one day).
pub const MAX_RETRY_AFTER: u64 = 86_400;

/// One scripted answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Answer with this status (a `Location` is added for `3xx`), optionally with a
    /// `Retry-After` in seconds.
    Status {
        /// The HTTP status, 200 to 599.
        code: u16,
        /// The `Retry-After` value in seconds, if any.
        retry_after: Option<u64>,
    },
    /// Hold the connection without answering, past the sender's timeout.
    Timeout,
}

impl Step {
    /// Whether a conforming sender treats this answer as delivered (a 2xx status).
    pub fn is_success(self) -> bool {
        matches!(self, Self::Status { code, .. } if (200..300).contains(&code))
    }

    /// Whether this answer is a redirect (a 3xx status).
    pub fn is_redirect(self) -> bool {
        matches!(self, Self::Status { code, .. } if (300..400).contains(&code))
    }

    /// Whether this answer is `410 Gone` (the sender should stop and disable the endpoint).
    pub fn is_gone(self) -> bool {
        matches!(self, Self::Status { code: 410, .. })
    }

    /// The `Retry-After` of this step, if any.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            Self::Status {
                retry_after: Some(secs),
                ..
            } => Some(Duration::from_secs(secs)),
            _ => None,
        }
    }

    fn is_final(self) -> bool {
        self.is_success() || self.is_gone()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timeout"),
            Self::Status {
                code,
                retry_after: None,
            } => write!(f, "{code}"),
            Self::Status {
                code,
                retry_after: Some(secs),
            } => write!(f, "{code}:retry-after={secs}"),
        }
    }
}

/// A parsed response script (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    steps: Vec<Step>,
}

impl Default for Script {
    /// The default script: `200`.
    fn default() -> Self {
        Self {
            steps: vec![Step::Status {
                code: 200,
                retry_after: None,
            }],
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

impl Script {
    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The answer to the attempt at 0-based `position` of one id: its step, or the last step
    /// once the script is used up.
    pub fn step_at(&self, position: usize) -> Step {
        self.steps
            .get(position)
            .or_else(|| self.steps.last())
            .copied()
            .unwrap_or(Step::Timeout)
    }

    /// The 0-based position of the last step.
    pub fn last_position(&self) -> usize {
        self.steps.len().saturating_sub(1)
    }

    /// Whether any step satisfies `predicate`.
    pub fn any(&self, predicate: impl Fn(Step) -> bool) -> bool {
        self.steps.iter().any(|s| predicate(*s))
    }

    /// Parses a script such as `503,503,200`, `timeout,200` or `429:retry-after=2,200`.
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        if text.trim().is_empty() {
            return Err(ScriptError::Empty);
        }
        let mut steps = Vec::new();
        for (index, raw) in text.split(',').enumerate() {
            let position = index + 1;
            if position > MAX_STEPS {
                return Err(ScriptError::TooLong);
            }
            let step = parse_step(raw.trim(), position)?;
            if let Some(previous) = steps.last().copied().filter(|s: &Step| s.is_final()) {
                return Err(ScriptError::StepAfterFinal {
                    position,
                    previous: previous.to_string(),
                });
            }
            steps.push(step);
        }
        Ok(Self { steps })
    }
}

fn parse_step(text: &str, position: usize) -> Result<Step, ScriptError> {
    if text.is_empty() {
        return Err(ScriptError::EmptyStep { position });
    }
    if text == "timeout" {
        return Ok(Step::Timeout);
    }
    let mut parts = text.split(':');
    let status = parts.next().unwrap_or_default();
    let bad_step = || ScriptError::BadStep {
        position,
        text: text.to_string(),
    };
    if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_step());
    }
    let code: u16 = status.parse().map_err(|_| bad_step())?;
    if !(200..=599).contains(&code) {
        return Err(ScriptError::StatusOutOfRange { position, code });
    }
    let mut retry_after = None;
    for param in parts {
        let bad_param = || ScriptError::BadParameter {
            position,
            text: param.to_string(),
        };
        let value = param.strip_prefix("retry-after=").ok_or_else(bad_param)?;
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || retry_after.is_some() {
            return Err(bad_param());
        }
        let secs: u64 = value.parse().map_err(|_| bad_param())?;
        if secs > MAX_RETRY_AFTER {
            return Err(bad_param());
        }
        retry_after = Some(secs);
    }
    if retry_after.is_some() && (200..300).contains(&code) {
        return Err(ScriptError::RetryAfterOnSuccess { position });
    }
    Ok(Step::Status { code, retry_after })
}

/// Why a response script was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script is empty.
    #[error("the script is empty (example: 503,503,200)")]
    Empty,
    /// Two commas in a row, or a trailing comma.
    #[error("step {position} is empty")]
    EmptyStep {
        /// 1-based step number.
        position: usize,
    },
    /// A step that is neither `timeout` nor a three-digit status.
    #[error("step {position} {text:?} is not `timeout` or a status such as 503")]
    BadStep {
        /// 1-based step number.
        position: usize,
        /// The step as written.
        text: String,
    },
    /// A status outside 200..=599.
    #[error("step {position}: status {code} is outside 200 to 599")]
    StatusOutOfRange {
        /// 1-based step number.
        position: usize,
        /// The status given.
        code: u16,
    },
    /// A parameter other than `retry-after=SECONDS` (0 to 86400), or given twice.
    #[error(
        "step {position}: parameter {text:?} is not retry-after=SECONDS (0 to 86400, at most once)"
    )]
    BadParameter {
        /// 1-based step number.
        position: usize,
        /// The parameter as written.
        text: String,
    },
    /// `retry-after` on a 2xx step, which asks for no retry.
    #[error("step {position}: retry-after makes no sense on a 2xx answer")]
    RetryAfterOnSuccess {
        /// 1-based step number.
        position: usize,
    },
    /// A step after a 2xx or 410 step, which a conforming sender never reaches.
    #[error(
        "step {position} comes after {previous}, which ends the delivery (a 2xx or 410 must be the last step)"
    )]
    StepAfterFinal {
        /// 1-based step number.
        position: usize,
        /// The final step before it.
        previous: String,
    },
    /// More than [`MAX_STEPS`] steps.
    #[error("the script has more than 100 steps")]
    TooLong,
}

impl ScriptError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "script_empty",
            Self::EmptyStep { .. } => "script_empty_step",
            Self::BadStep { .. } => "script_bad_step",
            Self::StatusOutOfRange { .. } => "script_status_out_of_range",
            Self::BadParameter { .. } => "script_bad_parameter",
            Self::RetryAfterOnSuccess { .. } => "script_retry_after_on_success",
            Self::StepAfterFinal { .. } => "script_step_after_final",
            Self::TooLong => "script_too_long",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Step {
        Step::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn the_documented_scripts_parse() {
        assert_eq!(
            Script::parse("503,503,200").unwrap().steps(),
            [status(503), status(503), status(200)]
        );
        assert_eq!(
            Script::parse("timeout, 200").unwrap().steps(),
            [Step::Timeout, status(200)]
        );
        assert_eq!(
            Script::parse("429:retry-after=2,200").unwrap().steps(),
            [
                Step::Status {
                    code: 429,
                    retry_after: Some(2)
                },
                status(200)
            ]
        );
        assert_eq!(Script::parse("410").unwrap().steps(), [status(410)]);
        assert_eq!(
            Script::parse("301,200").unwrap().steps(),
            [status(301), status(200)]
        );
        assert_eq!(Script::default().to_string(), "200");
    }

    #[test]
    fn display_round_trips() {
        for text in ["503,503,200", "timeout,200", "429:retry-after=2,200", "410"] {
            assert_eq!(Script::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn the_last_step_repeats_once_the_script_is_used_up() {
        let script = Script::parse("503,200").unwrap();
        assert_eq!(script.step_at(0), status(503));
        assert_eq!(script.step_at(1), status(200));
        assert_eq!(script.step_at(7), status(200));
        assert_eq!(script.last_position(), 1);
    }

    #[test]
    fn malformed_scripts_are_refused_with_a_code() {
        let cases = [
            ("", "script_empty"),
            ("  ", "script_empty"),
            ("503,,200", "script_empty_step"),
            ("503,", "script_empty_step"),
            ("5o3", "script_bad_step"),
            ("2000", "script_bad_step"),
            ("+200", "script_bad_step"),
            ("ok", "script_bad_step"),
            ("199", "script_status_out_of_range"),
            ("600", "script_status_out_of_range"),
            ("429:retry=2", "script_bad_parameter"),
            ("429:retry-after=", "script_bad_parameter"),
            ("429:retry-after=-1", "script_bad_parameter"),
            ("429:retry-after=86401", "script_bad_parameter"),
            ("429:retry-after=1:retry-after=2", "script_bad_parameter"),
            ("200:retry-after=1", "script_retry_after_on_success"),
            ("200,503", "script_step_after_final"),
            ("410,200", "script_step_after_final"),
        ];
        for (text, code) in cases {
            let err = Script::parse(text).unwrap_err();
            assert_eq!(err.code(), code, "{text:?}: {err}");
        }
        let long = vec!["503"; MAX_STEPS + 1].join(",");
        assert_eq!(Script::parse(&long).unwrap_err().code(), "script_too_long");
        assert!(Script::parse(&vec!["503"; MAX_STEPS].join(",")).is_ok());
    }
}
