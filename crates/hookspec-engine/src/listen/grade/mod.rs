//! Grading: turns a [`Recording`] into one [`CaseResult`] per case of [`CATALOGUE`].
//!
//! Grading reads the record only (no clock, no network), so every rule is unit-tested on
//! hand-made records. Three rules of thumb hold throughout:
//!
//! * a case the run did not exercise is `UNSUPPORTED` with the reason (never `OK` by
//!   default): no retry was asked for, no `410` was scripted, only one event arrived;
//! * requests that followed a redirect are judged only by `sender/redirect-not-followed`
//!   (the HTTP client, not the sender's signing code, made them);
//! * an *event* is one `webhook-id`, except that an id which first arrives with the exact
//!   body of an earlier id that was answered with a failure and never came back is taken
//!   to be a retry of it under a new id (a sender that changes the id on every retry would
//!   otherwise look like many events that were never retried).

pub(crate) mod attempt;
mod catalogue;
mod measure;
mod retry;

use std::collections::HashMap;
use std::time::Duration;

use super::ListenConfig;
use super::record::{AttemptEnd, AttemptRecord, BODY_PREFIX, Recording};
use super::script::Step;
use crate::judgement::{Judgement, Outcome};
use crate::report::CaseResult;
use hookspec::WEBHOOK_ID;
use hookspec::WEBHOOK_SIGNATURE;
use hookspec::WEBHOOK_TIMESTAMP;
use hookspec::internal::HeaderValue;
use hookspec::internal::SignatureEntry;
use hookspec::internal::is_valid_id;
use hookspec::internal::parse_timestamp;
use hookspec::internal::signature_entries;
use hookspec::internal::single_value;

pub use catalogue::{CATALOGUE, CaseDef, SPEC_SCHEDULE};

use attempt::*;
use measure::*;
use retry::*;

/// Grades a recording against every case of [`CATALOGUE`].
pub fn grade(recording: &Recording, config: &ListenConfig) -> Vec<CaseResult> {
    let view = View::new(recording);
    CATALOGUE
        .iter()
        .map(|def| {
            let judgement = if recording.attempts.is_empty() {
                Judgement::unsupported("no delivery arrived")
            } else {
                (def.judge)(&view, config)
            };
            judgement.into_result(def.info(), None, Duration::ZERO)
        })
        .collect()
}

/// The record arranged for grading.
struct View<'a> {
    rec: &'a Recording,
    /// Attempts the sender made itself (not by following a redirect).
    primary: Vec<&'a AttemptRecord>,
    /// Attempts per webhook-id, in order of first arrival.
    groups: Vec<Vec<&'a AttemptRecord>>,
    /// Logical events: groups joined when a new id re-sent a failed id's body.
    events: Vec<Event<'a>>,
}

struct Event<'a> {
    /// The ids, in order (more than one: the id changed on retry).
    ids: Vec<&'a str>,
    /// Every attempt, in arrival order (including followed redirects).
    attempts: Vec<&'a AttemptRecord>,
}

impl<'a> Event<'a> {
    fn primary(&self) -> impl Iterator<Item = &'a AttemptRecord> + '_ {
        self.attempts
            .iter()
            .copied()
            .filter(|a| !a.followed_redirect)
    }

    /// Consecutive pairs of attempts the sender made itself.
    fn primary_pairs(&self) -> Vec<(&'a AttemptRecord, &'a AttemptRecord)> {
        let primary: Vec<_> = self.primary().collect();
        primary.windows(2).map(|w| (w[0], w[1])).collect()
    }
}

impl<'a> View<'a> {
    fn new(rec: &'a Recording) -> Self {
        let primary = rec
            .attempts
            .iter()
            .filter(|a| !a.followed_redirect)
            .collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut groups: Vec<Vec<&AttemptRecord>> = Vec::new();
        for attempt in &rec.attempts {
            let slot = *index.entry(attempt.key.as_str()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[slot].push(attempt);
        }
        let events = link(&groups);
        Self {
            rec,
            primary,
            groups,
            events,
        }
    }
}

/// Joins id groups into logical events (see the module documentation).
fn link<'a>(groups: &[Vec<&'a AttemptRecord>]) -> Vec<Event<'a>> {
    let mut successor: Vec<Option<usize>> = vec![None; groups.len()];
    let mut has_predecessor = vec![false; groups.len()];
    for (j, group) in groups.iter().enumerate() {
        let Some(first) = group.first().filter(|a| !a.followed_redirect) else {
            continue;
        };
        let candidate = (0..j).rev().find(|&i| {
            let earlier = &groups[i];
            let (Some(last), Some(last_primary)) = (
                earlier.last(),
                earlier.iter().rev().find(|a| !a.followed_redirect),
            ) else {
                return false;
            };
            successor[i].is_none()
                && !last.step.is_success()
                && last.end.at().is_some_and(|end| end <= first.arrived)
                && last_primary.body == first.body
        });
        if let Some(i) = candidate {
            successor[i] = Some(j);
            has_predecessor[j] = true;
        }
    }
    let mut events = Vec::new();
    for start in (0..groups.len()).filter(|&i| !has_predecessor[i]) {
        let mut event = Event {
            ids: Vec::new(),
            attempts: Vec::new(),
        };
        let mut next = Some(start);
        while let Some(i) = next {
            event.ids.push(groups[i][0].key.as_str());
            event.attempts.extend(groups[i].iter().copied());
            next = successor[i];
        }
        events.push(event);
    }
    events
}

fn no_retry_reason(view: &View<'_>) -> String {
    let script = &view.rec.script;
    if script.steps()[..script.last_position()]
        .iter()
        .all(|s| s.is_success() || s.is_gone())
    {
        format!(
            "the script {script} asks for no retry; use one with a failure first, e.g. --respond 503,200"
        )
    } else {
        "no event was retried (see sender/retry-after-failure)".to_string()
    }
}

/// "attempt #3 (msg_x try 2)".
fn who(a: &AttemptRecord) -> String {
    format!(
        "attempt #{} ({} try {})",
        a.seq,
        shown_key(&a.key),
        a.number
    )
}

fn shown_key(key: &str) -> String {
    if key.is_empty() {
        "no webhook-id".to_string()
    } else {
        shown(key.as_bytes())
    }
}

/// A header value for a one-line message: quoted, escaped, cut at 80 characters.
fn shown(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let cut: String = text.chars().take(80).collect();
    let ellipsis = if text.chars().count() > 80 { "…" } else { "" };
    format!("{:?}{ellipsis}", cut)
}

fn answer(a: &AttemptRecord) -> String {
    match (a.step, a.end) {
        (Step::Timeout, AttemptEnd::SenderGaveUp(_)) => "a held connection (timeout)".to_string(),
        (Step::Timeout, _) => "a held connection (timeout, then 504)".to_string(),
        (step, _) => step.to_string(),
    }
}

/// "0.31 s after": the time from an answer to the next arrival.
fn after(arrived: Duration, previous_end: Option<Duration>) -> String {
    match previous_end {
        Some(end) => format!("{} after", secs(arrived.saturating_sub(end))),
        None => "after".to_string(),
    }
}

/// A duration for humans: `0.31 s`, `42.0 s`, `5m 3s`.
fn secs(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}

#[cfg(test)]
mod tests;
