//! What the listener records: every attempt exactly as it arrived, and what it was answered.
//! Grading works on this record alone, so it can be tested without a network.

use std::time::Duration;

use super::script::{Script, Step};

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptEnd {
    /// The scripted answer was sent, at this time since the listener started.
    Answered(Duration),
    /// A `timeout` step: the sender closed the connection at this time (its timeout).
    SenderGaveUp(Duration),
    /// A `timeout` step: the sender was still waiting when the hold limit passed, at this
    /// time; it was then answered `504`.
    HoldLimit(Duration),
    /// The listener stopped before the attempt ended.
    Unfinished,
}

impl AttemptEnd {
    /// When the attempt ended (the answer was sent, or the connection dropped), if it did.
    pub fn at(self) -> Option<Duration> {
        match self {
            Self::Answered(at) | Self::SenderGaveUp(at) | Self::HoldLimit(at) => Some(at),
            Self::Unfinished => None,
        }
    }
}

/// One HTTP request the sender made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// 1-based arrival order over the whole run.
    pub seq: usize,
    /// The event it belongs to: its `webhook-id` (lossy UTF-8), or for a request that
    /// followed a redirect, the id of the attempt that was redirected. Empty when the
    /// request had no `webhook-id`.
    pub key: String,
    /// 1-based attempt number of this key (the script position plus one).
    pub number: usize,
    /// Arrival time since the listener started.
    pub arrived: Duration,
    /// Arrival time on the listener's wall clock, Unix seconds.
    pub arrived_unix: u64,
    /// The request method.
    pub method: String,
    /// The request path and query.
    pub path: String,
    /// Every header as received (lower-case names, raw values, in order).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// The scripted answer it got.
    pub step: Step,
    /// Whether it arrived at a redirect target (the sender followed a `3xx`).
    pub followed_redirect: bool,
    /// How it ended.
    pub end: AttemptEnd,
}

impl AttemptRecord {
    /// The first value of header `name` (lower-case), if present.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The HTTP status the sender received, if it received one.
    pub fn status(&self) -> Option<u16> {
        match (self.step, self.end) {
            (Step::Status { code, .. }, AttemptEnd::Answered(_)) => Some(code),
            (Step::Timeout, AttemptEnd::HoldLimit(_)) => Some(super::HOLD_LIMIT_STATUS),
            _ => None,
        }
    }

    /// Whether the sender got an answer that asks it to try again (anything but 2xx and
    /// 410, including a `timeout`).
    pub fn asks_for_retry(&self) -> bool {
        match self.end {
            AttemptEnd::Unfinished => false,
            _ => !self.step.is_success() && !self.step.is_gone(),
        }
    }
}

/// Why the listener stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `--expect-events` ids completed their script and the grace period passed.
    ExpectedEvents,
    /// `--duration` passed.
    Duration,
    /// The caller stopped it (Ctrl-C on the command line).
    Interrupted,
}

/// Everything the listener saw in one run.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The response script that was played.
    pub script: Script,
    /// Every attempt, in arrival order.
    pub attempts: Vec<AttemptRecord>,
    /// The most attempts that were in flight at the same moment.
    pub max_in_flight: usize,
    /// How long a `timeout` step held a connection at most.
    pub hold: Duration,
    /// Ids that completed their script (the last step was answered).
    pub completed_events: usize,
    /// Why the run stopped.
    pub stop: StopReason,
    /// When the run stopped, since the listener started.
    pub stopped: Duration,
}
