//! What the listener records: every attempt as it arrived (headers exactly; of the body its
//! length, digest and first bytes, the signature being checked on arrival), and what it was
//! answered. Grading works on this record alone, so it can be tested without a network.

use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::script::{Script, Step};

/// How many leading bytes of each body the listener keeps (the rest is only hashed).
pub const BODY_PREFIX: usize = 4096;

/// What the listener keeps of a request body: its length, its SHA-256 and its first
/// [`BODY_PREFIX`] bytes. That is all grading needs once the signature was checked on
/// arrival (equal bodies, the first difference, a replay command for a short body), and it
/// keeps a run's memory bounded whatever the sender posts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedBody {
    len: usize,
    sha256: [u8; 32],
    prefix: Vec<u8>,
}

impl RecordedBody {
    /// The record of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let mut recorder = BodyRecorder::default();
        recorder.update(bytes);
        recorder.finish()
    }

    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the body was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The SHA-256 of the whole body.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The first [`BODY_PREFIX`] bytes (all of them for a shorter body).
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The whole body, when it is no longer than [`BODY_PREFIX`].
    pub fn whole(&self) -> Option<&[u8]> {
        (self.prefix.len() == self.len).then_some(self.prefix.as_slice())
    }

    /// Where two bodies first differ: a byte offset, or `None` when they are equal or
    /// differ only beyond the kept prefixes.
    pub fn first_difference(&self, other: &Self) -> Option<usize> {
        if self == other {
            return None;
        }
        let within = self
            .prefix
            .iter()
            .zip(&other.prefix)
            .position(|(a, b)| a != b);
        within.or_else(|| {
            // Equal prefixes: one body ends within them, or the difference lies beyond.
            let common = self.prefix.len().min(other.prefix.len());
            (self.len == common || other.len == common).then_some(common)
        })
    }
}

/// Builds a [`RecordedBody`] from a body read chunk by chunk.
#[derive(Default)]
pub(crate) struct BodyRecorder {
    len: usize,
    hasher: Sha256,
    prefix: Vec<u8>,
}

impl BodyRecorder {
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        self.len = self.len.saturating_add(chunk.len());
        self.hasher.update(chunk);
        let room = BODY_PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
    }

    pub(crate) fn finish(self) -> RecordedBody {
        RecordedBody {
            len: self.len,
            sha256: self.hasher.finalize().into(),
            prefix: self.prefix,
        }
    }
}

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
    /// What is kept of the body: length, SHA-256, first bytes ([`RecordedBody`]).
    pub body: RecordedBody,
    /// The signature verdict, reached on arrival over the whole body with the run's keys
    /// when the attempt had a valid id and a strict-grammar timestamp (`Err` holds why it
    /// failed). `None`: not checked on arrival; grading then verifies
    /// [`RecordedBody::whole`] if the body was short enough to keep.
    pub signature_check: Option<Result<(), String>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_kept_as_length_digest_and_prefix() {
        let short = RecordedBody::of(b"{}");
        assert_eq!(short.whole(), Some(&b"{}"[..]));
        let long = vec![b'a'; BODY_PREFIX * 3];
        let mut recorder = BodyRecorder::default();
        for chunk in long.chunks(1000) {
            recorder.update(chunk);
        }
        let recorded = recorder.finish();
        assert_eq!(
            recorded,
            RecordedBody::of(&long),
            "chunking does not matter"
        );
        assert_eq!(recorded.len(), long.len());
        assert_eq!(recorded.prefix().len(), BODY_PREFIX);
        assert_eq!(recorded.whole(), None);
        let digest: [u8; 32] = Sha256::digest(&long).into();
        assert_eq!(recorded.sha256(), &digest);
    }

    #[test]
    fn first_differences() {
        let a = RecordedBody::of(b"abcdef");
        assert_eq!(a.first_difference(&a.clone()), None);
        assert_eq!(a.first_difference(&RecordedBody::of(b"abXdef")), Some(2));
        assert_eq!(a.first_difference(&RecordedBody::of(b"abc")), Some(3));
        let long = vec![b'a'; BODY_PREFIX * 2];
        let mut far = long.clone();
        far[BODY_PREFIX + 5] = b'b';
        let (long, far) = (RecordedBody::of(&long), RecordedBody::of(&far));
        assert_ne!(long, far);
        assert_eq!(long.first_difference(&far), None, "beyond the kept prefix");
    }
}
