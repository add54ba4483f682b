//! The one judgement model of `check`, `listen` and `vectors check`.
//!
//! A judge (a check case, a sender case, a vector comparison) returns a [`Judgement`]: an
//! [`Outcome`] with its evidence. The outcome says what the target did; the case's
//! [`Level`] says how much that matters. [`Outcome::verdict`] is the one place where the two
//! become a [`Verdict`], and [`Judgement::into_result`] the one place where a judgement
//! becomes a report entry.

use std::time::Duration;

use crate::delivery::Delivery;
use crate::report::{BugClass, CaseResult, Level, Observed, Verdict};

/// What a judge found, before the case's level makes it a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The target did what the rule asks: `OK`.
    Pass,
    /// The target broke the case's rule: `FAILED` at MUST, `NON-STRICT` at SHOULD,
    /// `INFORMATIONAL` at INFO.
    Breach,
    /// The target broke a MUST whatever the case's level: it accepted a delivery that must
    /// be rejected in a family judged at SHOULD, or processed an event twice. `FAILED`.
    MustBreach,
    /// The target broke only the strict profile: `NON-STRICT`.
    NonStrict,
    /// A measured property, or a choice the profile leaves open: `INFORMATIONAL`.
    Measured,
    /// The case could not run (a missing capability or configuration): `UNSUPPORTED`.
    Unsupported,
}

impl Outcome {
    /// The verdict of this outcome in a case at `level`.
    pub fn verdict(self, level: Level) -> Verdict {
        match (self, level) {
            (Self::Pass, _) => Verdict::Ok,
            (Self::Breach, Level::Must) | (Self::MustBreach, _) => Verdict::Failed,
            (Self::Breach, Level::Should) | (Self::NonStrict, _) => Verdict::NonStrict,
            (Self::Breach, Level::Info) | (Self::Measured, _) => Verdict::Informational,
            (Self::Unsupported, _) => Verdict::Unsupported,
        }
    }
}

/// An outcome with its evidence.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// What the target did.
    pub outcome: Outcome,
    /// Why, as one line.
    pub message: String,
    /// What was observed.
    pub observed: Observed,
    /// The delivery that decided the outcome (shown as "sent", with a repro command).
    pub decisive: Option<Delivery>,
    /// A command that reproduces the finding, when the judge knows one better than the
    /// runner's (a sender case's re-run, a vector's `--only`).
    pub repro: Option<String>,
}

impl Judgement {
    /// A judgement without a decisive delivery.
    pub fn new(outcome: Outcome, message: impl Into<String>, observed: Observed) -> Self {
        Self {
            outcome,
            message: message.into(),
            observed,
            decisive: None,
            repro: None,
        }
    }

    /// A judgement whose only evidence is its message.
    pub fn plain(outcome: Outcome, message: impl Into<String>) -> Self {
        Self::new(outcome, message, Observed::default())
    }

    /// The target did what the rule asks.
    pub fn pass(message: impl Into<String>) -> Self {
        Self::plain(Outcome::Pass, message)
    }

    /// A case that could not run, and why.
    pub fn unsupported(why: impl Into<String>) -> Self {
        Self::new(Outcome::Unsupported, why, Observed::default())
    }

    /// Adds a detail to the evidence (what was measured or found), as one line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.observed.detail = Some(detail.into());
        self
    }

    /// Records the HTTP status behind the outcome.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.observed.status = status;
        self
    }

    /// Attaches the decisive delivery.
    pub fn with_delivery(mut self, delivery: &Delivery) -> Self {
        self.decisive = Some(delivery.clone());
        self
    }

    /// The verdict in a case at `level` (see [`Outcome::verdict`]).
    pub fn verdict(&self, level: Level) -> Verdict {
        self.outcome.verdict(level)
    }

    /// The report entry of `case`, judged so, after `elapsed`. `sent` describes the
    /// decisive delivery where the report shows it.
    pub fn into_result(
        self,
        case: CaseInfo,
        sent: Option<String>,
        elapsed: Duration,
    ) -> CaseResult {
        CaseResult {
            verdict: self.outcome.verdict(case.level),
            id: case.id,
            family: case.family,
            title: case.title,
            level: case.level,
            rule: case.rule,
            bug_class: case.bug_class,
            expected: case.expected,
            observed: self.observed,
            message: self.message,
            sent,
            repro: self.repro,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// What a report says about a case besides its judgement: the same for a check case, a
/// sender case and a test vector.
#[derive(Debug, Clone)]
pub struct CaseInfo {
    /// Stable id, `family/slug`.
    pub id: String,
    /// The family (the part of the id before `/`).
    pub family: String,
    /// One-line title.
    pub title: String,
    /// How binding the rule is.
    pub level: Level,
    /// The rule checked, with its source.
    pub rule: String,
    /// The bug class the case targets.
    pub bug_class: Option<BugClass>,
    /// What a conformant target does, as one line.
    pub expected: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_decides_a_breach_and_nothing_else() {
        use Level::*;
        use Outcome::*;
        let table = [
            (Pass, [Verdict::Ok; 3]),
            (
                Breach,
                [Verdict::Failed, Verdict::NonStrict, Verdict::Informational],
            ),
            (MustBreach, [Verdict::Failed; 3]),
            (NonStrict, [Verdict::NonStrict; 3]),
            (Measured, [Verdict::Informational; 3]),
            (Unsupported, [Verdict::Unsupported; 3]),
        ];
        for (outcome, verdicts) in table {
            for (level, verdict) in [Must, Should, Info].into_iter().zip(verdicts) {
                assert_eq!(outcome.verdict(level), verdict, "{outcome:?} at {level:?}");
            }
        }
    }
}
