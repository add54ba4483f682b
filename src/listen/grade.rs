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

use std::collections::HashMap;
use std::time::Duration;

use super::ListenConfig;
use super::record::{AttemptEnd, AttemptRecord, Recording};
use super::script::Step;
use crate::header::{
    HeaderValue, SignatureEntry, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, is_valid_id,
    parse_timestamp, signature_entries, single_value,
};
use crate::report::{BugClass, CaseResult, Level, Observed, Verdict};

/// The Standard Webhooks example retry schedule (section "Deliverability and reliability").
pub const SPEC_SCHEDULE: &str = "immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h";

/// Timestamps have one-second resolution and the sender reads its clock a little before the
/// request arrives: a fresh timestamp may lag the arrival gap by this much.
const TIMESTAMP_SLACK: Duration = Duration::from_millis(250);

/// How much sooner than `Retry-After` a retry may arrive (timer granularity).
const RETRY_AFTER_SLACK: Duration = Duration::from_millis(50);

/// Each delay between retries must be at least this many times the one before to "grow"
/// (the spec's example schedule never grows by less than 1.2).
const GROWTH: f64 = 1.1;

/// One case of the sender catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CaseDef {
    /// Stable id, `sender/slug`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// How binding the rule is.
    pub level: Level,
    /// The rule, with its source.
    pub rule: &'static str,
    /// The bug class it targets.
    pub bug_class: BugClass,
    /// What a conforming sender does.
    pub expected: &'static str,
}

const fn case(
    id: &'static str,
    title: &'static str,
    level: Level,
    rule: &'static str,
    bug_class: BugClass,
    expected: &'static str,
) -> CaseDef {
    CaseDef {
        id,
        title,
        level,
        rule,
        bug_class,
        expected,
    }
}

/// Every sender case, in report order.
pub const CATALOGUE: &[CaseDef] = &[
    case(
        "sender/headers-present",
        "every attempt carries webhook-id, webhook-timestamp, webhook-signature",
        Level::Must,
        "R11: the three webhook-* headers, each once",
        BugClass::MalformedInput,
        "the three headers on every attempt, each with one value",
    ),
    case(
        "sender/id-valid",
        "webhook-id is non-empty visible ASCII without '.'",
        Level::Must,
        "R4, R11: the id is part of the signed content id.timestamp.body",
        BugClass::MalformedInput,
        "a non-empty id of visible ASCII characters other than '.'",
    ),
    case(
        "sender/timestamp-grammar",
        "webhook-timestamp is integer Unix seconds in the strict grammar",
        Level::Must,
        "R11: integer Unix timestamp; strict profile: [1-9][0-9]* (a lenient-only form is NON-STRICT)",
        BugClass::MalformedInput,
        "ASCII digits, no sign, spaces, fraction or leading zero",
    ),
    case(
        "sender/timestamp-current",
        "webhook-timestamp is within the tolerance of the listener's clock",
        Level::Must,
        "R4, R13: the attempt time, which receivers check against their tolerance (300 s)",
        BugClass::Freshness,
        "the time of the attempt, within the tolerance of the listener's clock",
    ),
    case(
        "sender/signature-list-parses",
        "webhook-signature is a list of well-formed version,base64 entries",
        Level::Must,
        "R12: space-delimited list of version,signature entries",
        BugClass::MalformedInput,
        "at least one entry, none malformed (no comma, extra comma, bad base64, wrong length)",
    ),
    case(
        "sender/signature-verifies",
        "a signature verifies over the exact bytes received",
        Level::Must,
        "R5, R8: v1 HMAC-SHA256 / v1a Ed25519 over id.timestamp.raw-body with the given key",
        BugClass::Canonicalization,
        "at least one entry verifies with a given key over the raw body",
    ),
    case(
        "sender/content-type",
        "content-type is present",
        Level::Should,
        "R11: the payload is the body of a POST; receivers need its media type",
        BugClass::MalformedInput,
        "a non-empty content-type header",
    ),
    case(
        "sender/method-post",
        "deliveries are POST requests",
        Level::Must,
        "R11: the payload is sent in the body of an HTTP POST request",
        BugClass::MalformedInput,
        "POST",
    ),
    case(
        "sender/retry-same-id",
        "a retry keeps the webhook-id",
        Level::Must,
        "R4: the id stays the same however many times the message is retried (idempotency key)",
        BugClass::Idempotency,
        "every attempt of one event carries the same webhook-id",
    ),
    case(
        "sender/retry-same-body",
        "a retry sends the same body bytes",
        Level::Must,
        "R4: a retry is the same message",
        BugClass::Idempotency,
        "byte-identical bodies on every attempt of one event",
    ),
    case(
        "sender/retry-fresh-timestamp",
        "each attempt carries a new timestamp",
        Level::Must,
        "R4: the attempt timestamp is updated on every retry",
        BugClass::Freshness,
        "webhook-timestamp advances with the time between attempts",
    ),
    case(
        "sender/retry-fresh-signature",
        "each attempt is signed anew",
        Level::Must,
        "R4, R5: the signature covers the new timestamp",
        BugClass::Freshness,
        "a different webhook-signature whenever webhook-timestamp changes",
    ),
    case(
        "sender/retry-after-failure",
        "a failed attempt is retried",
        Level::Must,
        "R15, R16: anything but 2xx (and a timeout, and a 3xx) is a failure to retry",
        BugClass::Delivery,
        "a new attempt after each failure the script answers before its last step",
    ),
    case(
        "sender/no-retry-after-success",
        "no attempt after a 2xx",
        Level::Must,
        "R16: 2xx is success; a retry after it delivers the event twice",
        BugClass::Idempotency,
        "no further attempt of an event once it was answered 2xx",
    ),
    case(
        "sender/backoff-grows",
        "delays between retries grow",
        Level::Should,
        "R15: exponential backoff",
        BugClass::Delivery,
        "each delay at least 1.1 times the one before",
    ),
    case(
        "sender/retry-after-honoured",
        "Retry-After is honoured",
        Level::Should,
        "R16: honour retry-after (e.g. on 429 or 503)",
        BugClass::Delivery,
        "the next attempt no sooner than Retry-After seconds after the answer",
    ),
    case(
        "sender/no-retry-after-gone",
        "no attempt after 410 Gone",
        Level::Should,
        "R16: on 410 the sender should disable the endpoint",
        BugClass::Delivery,
        "no further attempt of an event answered 410",
    ),
    case(
        "sender/redirect-not-followed",
        "redirects are not followed",
        Level::Must,
        "R16: 3xx is a failure; do not follow redirects",
        BugClass::Delivery,
        "no request to the Location of a 3xx answer",
    ),
    case(
        "sender/event-ids-distinct",
        "distinct events have distinct ids",
        Level::Must,
        "R4, R13: receivers deduplicate on webhook-id",
        BugClass::Idempotency,
        "a webhook-id is never reused for a different body after it was delivered",
    ),
    case(
        "sender/retry-schedule",
        "measured retry schedule",
        Level::Info,
        "R15: example schedule",
        BugClass::Delivery,
        SPEC_SCHEDULE,
    ),
    case(
        "sender/attempt-timeout",
        "per-attempt timeout of the sender",
        Level::Info,
        "R17: a timeout between 15 and 30 s",
        BugClass::Delivery,
        "gives up on a silent receiver after 15 to 30 s",
    ),
    case(
        "sender/concurrency",
        "attempts in flight at once",
        Level::Info,
        "measurement",
        BugClass::Delivery,
        "any",
    ),
];

/// Grades a recording against every case of [`CATALOGUE`].
pub fn grade(recording: &Recording, config: &ListenConfig) -> Vec<CaseResult> {
    let view = View::new(recording);
    CATALOGUE
        .iter()
        .map(|def| {
            let judgement = judge(def.id, &view, config);
            judgement.into_result(def)
        })
        .collect()
}

/// What a judge decided, before the level turns a breach into a verdict.
#[derive(Debug)]
enum Kind {
    Pass,
    /// Breaks the case's rule: FAILED for MUST, NON-STRICT for SHOULD.
    Breach,
    /// Breaks only the strict profile.
    NonStrict,
    Measured,
    Unsupported,
}

#[derive(Debug)]
struct Judgement {
    kind: Kind,
    message: String,
    observed: Observed,
    repro: Option<String>,
}

impl Judgement {
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            observed: Observed::default(),
            repro: None,
        }
    }

    fn pass(message: impl Into<String>) -> Self {
        Self::new(Kind::Pass, message)
    }

    fn unsupported(message: impl Into<String>) -> Self {
        Self::new(Kind::Unsupported, message)
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.observed.detail = Some(detail.into());
        self
    }

    fn status(mut self, status: Option<u16>) -> Self {
        self.observed.status = status;
        self
    }

    fn into_result(self, def: &CaseDef) -> CaseResult {
        let verdict = match (self.kind, def.level) {
            (Kind::Pass, _) => Verdict::Ok,
            (Kind::Breach, Level::Must) => Verdict::Failed,
            (Kind::Breach, Level::Should) | (Kind::NonStrict, _) => Verdict::NonStrict,
            (Kind::Breach, Level::Info) | (Kind::Measured, _) => Verdict::Informational,
            (Kind::Unsupported, _) => Verdict::Unsupported,
        };
        CaseResult {
            id: def.id.to_string(),
            family: "sender".to_string(),
            title: def.title.to_string(),
            level: def.level,
            rule: def.rule.to_string(),
            bug_class: Some(def.bug_class),
            verdict,
            expected: def.expected.to_string(),
            observed: self.observed,
            message: self.message,
            sent: None,
            repro: self.repro,
            duration_ms: 0,
        }
    }
}

fn judge(id: &str, view: &View<'_>, config: &ListenConfig) -> Judgement {
    if view.rec.attempts.is_empty() {
        return Judgement::unsupported("no delivery arrived");
    }
    match id {
        "sender/headers-present" => per_attempt(view, "attempts", headers_present),
        "sender/id-valid" => per_attempt(view, "attempts with a webhook-id", id_valid),
        "sender/timestamp-grammar" => {
            per_attempt(view, "attempts with a webhook-timestamp", timestamp_grammar)
        }
        "sender/timestamp-current" => per_attempt(view, "attempts with a timestamp", |a| {
            timestamp_current(a, config.tolerance)
        }),
        "sender/signature-list-parses" => {
            per_attempt(view, "attempts with a webhook-signature", signature_list)
        }
        "sender/signature-verifies" => signature_verifies(view, config),
        "sender/content-type" => per_attempt(view, "attempts", content_type),
        "sender/method-post" => per_attempt(view, "attempts", |a| {
            if a.method == "POST" {
                Check::Pass
            } else {
                Check::Breach(format!("{} was a {} request", who(a), a.method))
            }
        }),
        "sender/retry-same-id" => retry_same_id(view),
        "sender/retry-same-body" => retry_same_body(view),
        "sender/retry-fresh-timestamp" => retry_fresh_timestamp(view),
        "sender/retry-fresh-signature" => retry_fresh_signature(view),
        "sender/retry-after-failure" => retry_after_failure(view),
        "sender/no-retry-after-success" => no_retry_after(view, Step::is_success, "a 2xx"),
        "sender/backoff-grows" => backoff_grows(view),
        "sender/retry-after-honoured" => retry_after_honoured(view),
        "sender/no-retry-after-gone" => no_retry_after(view, Step::is_gone, "410 Gone"),
        "sender/redirect-not-followed" => redirect_not_followed(view),
        "sender/event-ids-distinct" => event_ids_distinct(view),
        "sender/retry-schedule" => retry_schedule(view),
        "sender/attempt-timeout" => attempt_timeout(view),
        "sender/concurrency" => concurrency(view),
        _ => Judgement::unsupported("unknown case"),
    }
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

/// The result of one per-attempt check.
enum Check {
    Pass,
    Breach(String),
    NonStrict(String),
    /// The attempt does not give this case anything to judge.
    Skip,
}

fn per_attempt(view: &View<'_>, what: &str, check: impl Fn(&AttemptRecord) -> Check) -> Judgement {
    let mut judged = 0usize;
    let mut breaches = Vec::new();
    let mut non_strict = Vec::new();
    for attempt in &view.primary {
        match check(attempt) {
            Check::Pass => judged += 1,
            Check::Breach(why) => {
                judged += 1;
                breaches.push(why);
            }
            Check::NonStrict(why) => {
                judged += 1;
                non_strict.push(why);
            }
            Check::Skip => {}
        }
    }
    if judged == 0 {
        return Judgement::unsupported(format!(
            "no {what} to judge (see the cases before this one)"
        ));
    }
    let (kind, found) = if !breaches.is_empty() {
        (Kind::Breach, breaches)
    } else if !non_strict.is_empty() {
        (Kind::NonStrict, non_strict)
    } else {
        return Judgement::pass(format!("all {judged} {what} conform"));
    };
    let more = if found.len() > 1 {
        format!(" (and {} more)", found.len() - 1)
    } else {
        String::new()
    };
    Judgement::new(
        kind,
        format!("{} of {judged} {what}: {}{more}", found.len(), found[0]),
    )
    .detail(found.into_iter().take(3).collect::<Vec<_>>().join("; "))
}

fn headers_present(a: &AttemptRecord) -> Check {
    let mut problems = Vec::new();
    for name in [WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE] {
        match single_value(a.headers.as_slice(), name) {
            HeaderValue::One(_) => {}
            HeaderValue::Absent => problems.push(format!("no {name}")),
            HeaderValue::Conflicting => {
                problems.push(format!("{name} repeated with different values"));
            }
        }
    }
    if problems.is_empty() {
        Check::Pass
    } else {
        Check::Breach(format!("{}: {}", who(a), problems.join(", ")))
    }
}

fn id_valid(a: &AttemptRecord) -> Check {
    let Some(id) = a.header(WEBHOOK_ID) else {
        return Check::Skip;
    };
    if is_valid_id(id) {
        return Check::Pass;
    }
    let why = if id.is_empty() {
        "is empty"
    } else if id.contains(&b'.') {
        "contains '.'"
    } else {
        "has characters outside visible ASCII"
    };
    Check::Breach(format!("{}: webhook-id {} {why}", who(a), shown(id)))
}

/// A timestamp as the strict grammar, or only a lenient one, reads it.
enum Timestamp {
    Strict(u64),
    Lenient(u64),
    Invalid,
    Absent,
}

fn timestamp_of(a: &AttemptRecord) -> Timestamp {
    let Some(text) = a.header(WEBHOOK_TIMESTAMP) else {
        return Timestamp::Absent;
    };
    if let Some(ts) = parse_timestamp(text) {
        return Timestamp::Strict(ts);
    }
    // What lenient receivers accept: surrounding spaces, a '+' sign, leading zeros.
    let trimmed = text.trim_ascii();
    let digits = trimmed.strip_prefix(b"+").unwrap_or(trimmed);
    if !digits.is_empty() && digits.len() <= 40 && digits.iter().all(u8::is_ascii_digit) {
        let significant = {
            let start = digits
                .iter()
                .position(|&b| b != b'0')
                .unwrap_or(digits.len());
            &digits[start..]
        };
        if let Some(ts) = parse_timestamp(significant) {
            return Timestamp::Lenient(ts);
        }
    }
    Timestamp::Invalid
}

fn timestamp_value(a: &AttemptRecord) -> Option<u64> {
    match timestamp_of(a) {
        Timestamp::Strict(ts) | Timestamp::Lenient(ts) => Some(ts),
        Timestamp::Invalid | Timestamp::Absent => None,
    }
}

fn timestamp_grammar(a: &AttemptRecord) -> Check {
    let text = || shown(a.header(WEBHOOK_TIMESTAMP).unwrap_or_default());
    match timestamp_of(a) {
        Timestamp::Absent => Check::Skip,
        Timestamp::Strict(_) => Check::Pass,
        Timestamp::Lenient(_) => Check::NonStrict(format!(
            "{}: webhook-timestamp {} is an integer only to a lenient parser",
            who(a),
            text()
        )),
        Timestamp::Invalid => Check::Breach(format!(
            "{}: webhook-timestamp {} is not integer Unix seconds",
            who(a),
            text()
        )),
    }
}

fn timestamp_current(a: &AttemptRecord, tolerance: Duration) -> Check {
    let Some(ts) = timestamp_value(a) else {
        return Check::Skip;
    };
    let now = a.arrived_unix;
    let (distance, direction) = if ts <= now {
        (now - ts, "behind")
    } else {
        (ts - now, "ahead of")
    };
    if distance <= tolerance.as_secs() {
        return Check::Pass;
    }
    let hint = if ts > 100_000_000_000 {
        " (milliseconds instead of seconds?)"
    } else {
        ""
    };
    Check::Breach(format!(
        "{}: webhook-timestamp {ts} is {distance} s {direction} the listener's clock, beyond the {} s tolerance{hint}",
        who(a),
        tolerance.as_secs()
    ))
}

fn signature_list(a: &AttemptRecord) -> Check {
    let HeaderValue::One(value) = single_value(a.headers.as_slice(), WEBHOOK_SIGNATURE) else {
        return Check::Skip;
    };
    let entries: Vec<_> = signature_entries(value).collect();
    if entries.is_empty() {
        return Check::Breach(format!("{}: webhook-signature has no entries", who(a)));
    }
    let malformed: Vec<String> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            SignatureEntry::Malformed(kind) => Some(format!("entry {} {kind:?}", i + 1)),
            _ => None,
        })
        .collect();
    if malformed.is_empty() {
        Check::Pass
    } else {
        Check::Breach(format!(
            "{}: malformed webhook-signature entries: {}",
            who(a),
            malformed.join(", ")
        ))
    }
}

fn content_type(a: &AttemptRecord) -> Check {
    match a.header("content-type") {
        Some(v) if !v.trim_ascii().is_empty() => Check::Pass,
        _ => Check::Breach(format!("{}: no content-type", who(a))),
    }
}

fn signature_verifies(view: &View<'_>, config: &ListenConfig) -> Judgement {
    // The timestamp is judged by its own cases: verify as of the attempt's own timestamp so
    // that a stale timestamp does not hide whether the signature itself is right.
    let verifier = config.verifier.clone().svix_aliases(false);
    let mut judged = 0usize;
    let mut skipped = 0usize;
    let mut failures: Vec<(&AttemptRecord, String)> = Vec::new();
    for &a in &view.primary {
        let usable = matches!(timestamp_of(a), Timestamp::Strict(_))
            && a.header(WEBHOOK_ID).is_some_and(is_valid_id);
        let Some(ts) = timestamp_value(a).filter(|_| usable) else {
            skipped += 1;
            continue;
        };
        judged += 1;
        if let Err(error) = verifier.verify_at(a.headers.as_slice(), &a.body, ts) {
            failures.push((a, format!("{error} [{}]", error.code())));
        }
    }
    if judged == 0 {
        return Judgement::unsupported(format!(
            "none of the {skipped} attempts had a valid id and a strict-grammar timestamp to verify with"
        ));
    }
    let skipped_note = if skipped > 0 {
        format!(" ({skipped} attempts without a valid id or timestamp not verified)")
    } else {
        String::new()
    };
    let Some((first, why)) = failures.first() else {
        return Judgement::pass(format!(
            "all {judged} attempts verify with the given keys{skipped_note}"
        ));
    };
    let mut judgement = Judgement::new(
        Kind::Breach,
        format!(
            "{} of {judged} attempts do not verify over the bytes received: {}: {why}{skipped_note}",
            failures.len(),
            who(first)
        ),
    )
    .detail(format!(
        "{} bytes of {}; webhook-signature {}",
        first.body.len(),
        first
            .header("content-type")
            .map_or_else(|| "unknown type".to_string(), shown),
        shown(first.header(WEBHOOK_SIGNATURE).unwrap_or_default())
    ));
    judgement.repro = repro_verify(first);
    judgement
}

/// A `hookspec verify` command that replays an attempt, when its body and headers can be
/// written in single quotes on one line. The secret is left to the environment.
fn repro_verify(a: &AttemptRecord) -> Option<String> {
    let quotable =
        |b: &[u8]| b.len() <= 2048 && b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\'');
    let mut command = format!(
        "printf '%s' '{}' | hookspec verify",
        std::str::from_utf8(&a.body)
            .ok()
            .filter(|_| quotable(&a.body))?
    );
    for name in [WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE] {
        let value = a.header(name)?;
        if !quotable(value) {
            return None;
        }
        command.push_str(&format!(" -H '{name}: {}'", String::from_utf8_lossy(value)));
    }
    let now = timestamp_value(a)?;
    command.push_str(&format!(" --now {now} -   # with HOOKSPEC_SECRET set"));
    Some(command)
}

fn retry_same_id(view: &View<'_>) -> Judgement {
    if let Some(event) = view.events.iter().find(|e| e.ids.len() > 1) {
        let changes: Vec<String> = event
            .attempts
            .windows(2)
            .filter(|w| w[0].key != w[1].key)
            .map(|w| {
                format!(
                    "{} re-sent as {} {} after {}",
                    shown_key(&w[0].key),
                    shown_key(&w[1].key),
                    after(w[1].arrived, w[0].end.at()),
                    answer(w[0])
                )
            })
            .collect();
        let changed = view.events.iter().filter(|e| e.ids.len() > 1).count();
        return Judgement::new(
            Kind::Breach,
            format!(
                "the webhook-id changed on retry: an identical body arrived under a new id while a failure for the old id was outstanding ({} ids for one event; {changed} event(s) affected); receivers will process it as new events",
                event.ids.len()
            ),
        )
        .detail(changes.into_iter().take(3).collect::<Vec<_>>().join("; "));
    }
    let retried = view
        .events
        .iter()
        .filter(|e| e.primary().count() > 1)
        .count();
    if retried > 0 {
        return Judgement::pass(format!(
            "{retried} retried event(s), each under one webhook-id"
        ));
    }
    Judgement::unsupported(no_retry_reason(view))
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

fn retry_same_body(view: &View<'_>) -> Judgement {
    let mut compared = 0usize;
    for group in &view.groups {
        let mut primary = group.iter().filter(|a| !a.followed_redirect);
        let Some(first) = primary.next() else {
            continue;
        };
        let mut delivered = first.step.is_success();
        for a in primary {
            if delivered {
                break; // a new body after a 2xx is judged by sender/event-ids-distinct
            }
            compared += 1;
            if a.body != first.body {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} carried a different body than attempt 1 of its id ({} bytes, then {} bytes)",
                        who(a),
                        first.body.len(),
                        a.body.len()
                    ),
                )
                .detail(format!(
                    "first difference at byte {}",
                    first_difference(&first.body, &a.body)
                ));
            }
            delivered = a.step.is_success();
        }
    }
    if compared == 0 {
        return Judgement::unsupported(no_retry_reason(view));
    }
    Judgement::pass(format!(
        "{compared} retries carried their event's exact body"
    ))
}

fn retry_fresh_timestamp(view: &View<'_>) -> Judgement {
    let mut judged = 0usize;
    for event in &view.events {
        let stamped: Vec<(&AttemptRecord, u64)> = event
            .primary()
            .filter_map(|a| Some((a, timestamp_value(a)?)))
            .collect();
        let Some(&(first, t0)) = stamped.first() else {
            continue;
        };
        for pair in stamped.windows(2) {
            let ((a, ta), (b, tb)) = (pair[0], pair[1]);
            if tb < ta {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} carried timestamp {tb}, older than the {ta} of {}",
                        who(b),
                        who(a)
                    ),
                );
            }
        }
        // Compared with the first attempt, a fresh timestamp advances by at least the whole
        // seconds between the two arrivals (less the slack for when the clock was read).
        for &(b, tb) in &stamped[1..] {
            let gap = b.arrived.saturating_sub(first.arrived);
            let need = gap.saturating_sub(TIMESTAMP_SLACK).as_secs();
            if need == 0 {
                continue;
            }
            judged += 1;
            if tb - t0 < need {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} arrived {} after {} but its timestamp is only {} s later ({t0} then {tb}): the timestamp is not renewed per attempt",
                        who(b),
                        secs(gap),
                        who(first),
                        tb - t0
                    ),
                )
                .detail(format!("webhook-timestamp {t0} then {tb}"));
            }
        }
    }
    if judged == 0 {
        let retried = view.events.iter().any(|e| e.primary().count() > 1);
        return Judgement::unsupported(if retried {
            "every retry came within 1.25 s of the first attempt: timestamps have one-second resolution, so a reused timestamp cannot be told from a fresh one (use a longer backoff, or a step such as 503:retry-after=2)".to_string()
        } else {
            no_retry_reason(view)
        });
    }
    Judgement::pass(format!(
        "the timestamp advanced with the time since the first attempt ({judged} retries judged)"
    ))
}

fn retry_fresh_signature(view: &View<'_>) -> Judgement {
    let mut judged = 0usize;
    for event in &view.events {
        for (a, b) in event.primary_pairs() {
            let (Some(ta), Some(tb)) = (a.header(WEBHOOK_TIMESTAMP), b.header(WEBHOOK_TIMESTAMP))
            else {
                continue;
            };
            if ta == tb {
                continue;
            }
            judged += 1;
            if a.header(WEBHOOK_SIGNATURE).is_some()
                && a.header(WEBHOOK_SIGNATURE) == b.header(WEBHOOK_SIGNATURE)
            {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} has a new timestamp but the signature of the attempt before it",
                        who(b)
                    ),
                );
            }
        }
    }
    if judged == 0 {
        let retried = view.events.iter().any(|e| e.primary().count() > 1);
        return Judgement::unsupported(if retried {
            "no two attempts of one event carried different timestamps (see sender/retry-fresh-timestamp)".to_string()
        } else {
            no_retry_reason(view)
        });
    }
    Judgement::pass(format!(
        "each new timestamp came with a new signature ({judged} retries)"
    ))
}

fn retry_after_failure(view: &View<'_>) -> Judgement {
    let last = view.rec.script.last_position();
    let mut required = 0usize;
    for event in &view.events {
        for (k, a) in event.attempts.iter().enumerate() {
            if !a.asks_for_retry() || k >= last {
                continue;
            }
            required += 1;
            if event.attempts.get(k + 1).is_none() {
                let waited = a
                    .end
                    .at()
                    .map_or(Duration::ZERO, |end| view.rec.stopped.saturating_sub(end));
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} got {} and was not retried within {} (until the listener stopped; raise --duration if the sender's backoff is longer)",
                        who(a),
                        answer(a),
                        secs(waited)
                    ),
                )
                .status(a.status());
            }
        }
    }
    if required == 0 {
        return Judgement::unsupported(no_retry_reason(view));
    }
    Judgement::pass(format!("each of the {required} failures was retried"))
}

fn no_retry_after(view: &View<'_>, ends: fn(Step) -> bool, what: &str) -> Judgement {
    let mut watched: Option<Duration> = None;
    for event in &view.events {
        let Some(k) = event
            .attempts
            .iter()
            .position(|a| ends(a.step) && matches!(a.end, AttemptEnd::Answered(_)))
        else {
            continue;
        };
        let done = event.attempts[k];
        let done_at = done.end.at().unwrap_or(done.arrived);
        if let Some(extra) = event.attempts[k + 1..]
            .iter()
            .find(|b| b.followed_redirect || b.body == done.body || !done.step.is_success())
        {
            return Judgement::new(
                Kind::Breach,
                format!(
                    "{} arrived {} after {} answered {}",
                    who(extra),
                    after(extra.arrived, Some(done_at)),
                    who(done),
                    answer(done)
                ),
            )
            .status(done.status());
        }
        let quiet = view.rec.stopped.saturating_sub(done_at);
        watched = Some(watched.map_or(quiet, |w| w.min(quiet)));
    }
    match watched {
        Some(quiet) => Judgement::pass(format!(
            "no attempt after {what} (watched at least {} after each)",
            secs(quiet)
        )),
        None if view.rec.script.any(ends) => {
            Judgement::unsupported(format!("no event was answered {what}"))
        }
        None => Judgement::unsupported(format!(
            "the script {} never answers {what}",
            view.rec.script
        )),
    }
}

/// The delays after failure answers without `Retry-After`, per event, in order.
fn backoff_delays<'a>(event: &Event<'a>) -> Vec<(Duration, &'a AttemptRecord)> {
    event
        .attempts
        .windows(2)
        .filter(|w| {
            !w[0].followed_redirect
                && !w[1].followed_redirect
                && w[0].asks_for_retry()
                && w[0].step.retry_after().is_none()
        })
        .filter_map(|w| Some((w[1].arrived.checked_sub(w[0].end.at()?)?, w[1])))
        .collect()
}

fn backoff_grows(view: &View<'_>) -> Judgement {
    let mut compared = 0usize;
    let mut shown_delays = Vec::new();
    for event in &view.events {
        let delays = backoff_delays(event);
        if delays.len() >= 2 && shown_delays.is_empty() {
            shown_delays = delays.iter().map(|(d, _)| secs(*d)).collect();
        }
        for pair in delays.windows(2) {
            let ((d1, _), (d2, b)) = (pair[0], pair[1]);
            compared += 1;
            if d2.as_secs_f64() < d1.as_secs_f64() * GROWTH {
                let all: Vec<String> = delays.iter().map(|(d, _)| secs(*d)).collect();
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "the delay before {} ({}) is not longer than the one before it ({})",
                        who(b),
                        secs(d2),
                        secs(d1)
                    ),
                )
                .detail(format!("delays after failures: {}", all.join(", ")));
            }
        }
    }
    if compared == 0 {
        return Judgement::unsupported(
            "needs two failures in a row without Retry-After on one event, e.g. --respond 503,503,200",
        );
    }
    Judgement::pass(format!(
        "delays grew ({compared} comparisons; e.g. {})",
        shown_delays.join(", ")
    ))
}

fn retry_after_honoured(view: &View<'_>) -> Judgement {
    let mut judged = 0usize;
    for event in &view.events {
        for w in event.attempts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (Some(wait), Some(end)) = (a.step.retry_after(), a.end.at()) else {
                continue;
            };
            if b.followed_redirect {
                continue;
            }
            judged += 1;
            let delay = b.arrived.saturating_sub(end);
            if delay + RETRY_AFTER_SLACK < wait {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "{} came {} after {} asked to wait {}",
                        who(b),
                        secs(delay),
                        answer(a),
                        secs(wait)
                    ),
                )
                .status(a.status());
            }
        }
    }
    if judged > 0 {
        return Judgement::pass(format!("{judged} retries waited as Retry-After asked"));
    }
    if view.rec.script.any(|s| s.retry_after().is_some()) {
        Judgement::unsupported(
            "no retry followed a Retry-After answer (see sender/retry-after-failure)",
        )
    } else {
        Judgement::unsupported(format!(
            "the script {} sends no Retry-After; use e.g. --respond 429:retry-after=2,200",
            view.rec.script
        ))
    }
}

fn redirect_not_followed(view: &View<'_>) -> Judgement {
    if let Some(followed) = view.rec.attempts.iter().find(|a| a.followed_redirect) {
        let redirected = view
            .groups
            .iter()
            .flatten()
            .rev()
            .find(|a| a.key == followed.key && a.seq < followed.seq && a.step.is_redirect());
        let (what, when) = redirected.map_or(("a redirect".to_string(), String::new()), |r| {
            (
                answer(r),
                format!(" {}", after(followed.arrived, r.end.at())),
            )
        });
        return Judgement::new(
            Kind::Breach,
            format!(
                "the sender followed {what}: {} {}{when}",
                followed.method, followed.path
            ),
        )
        .status(redirected.and_then(|r| r.status()));
    }
    let redirects = view
        .rec
        .attempts
        .iter()
        .filter(|a| a.step.is_redirect() && matches!(a.end, AttemptEnd::Answered(_)))
        .count();
    if redirects > 0 {
        return Judgement::pass(format!("{redirects} redirect(s) answered, none followed"));
    }
    Judgement::unsupported(if view.rec.script.any(Step::is_redirect) {
        "no attempt was answered with the scripted redirect".to_string()
    } else {
        format!(
            "the script {} has no 3xx step; use e.g. --respond 301,200",
            view.rec.script
        )
    })
}

fn event_ids_distinct(view: &View<'_>) -> Judgement {
    for group in &view.groups {
        let mut delivered: Option<&AttemptRecord> = None;
        for a in group.iter().filter(|a| !a.followed_redirect) {
            if let Some(done) = delivered.filter(|d| d.body != a.body) {
                return Judgement::new(
                    Kind::Breach,
                    format!(
                        "webhook-id {} was delivered ({}) and then reused for a different body ({})",
                        shown_key(&a.key),
                        who(done),
                        who(a)
                    ),
                )
                .detail(format!(
                    "{} bytes, then {} bytes",
                    done.body.len(),
                    a.body.len()
                ));
            }
            if a.step.is_success() && delivered.is_none() {
                delivered = Some(a);
            }
        }
    }
    if view.events.len() < 2 {
        return Judgement::unsupported(
            "only one event arrived; send at least two to check that ids are distinct",
        );
    }
    Judgement::pass(format!(
        "{} events, each with its own webhook-id",
        view.events.len()
    ))
}

fn retry_schedule(view: &View<'_>) -> Judgement {
    let retried: Vec<&Event<'_>> = view
        .events
        .iter()
        .filter(|e| e.primary().count() > 1)
        .collect();
    let Some(event) = retried
        .iter()
        .max_by_key(|e| (e.primary().count(), std::cmp::Reverse(e.attempts[0].seq)))
    else {
        return Judgement::unsupported(no_retry_reason(view));
    };
    let first = event.attempts[0].arrived;
    let schedule: Vec<String> = event
        .primary()
        .map(|a| {
            let at = a.arrived.saturating_sub(first);
            let when = if at.is_zero() {
                "immediately".to_string()
            } else {
                format!("+{}", secs(at))
            };
            format!("{when} ({})", answer(a))
        })
        .collect();
    Judgement::new(
        Kind::Measured,
        format!(
            "webhook-id {}: {} attempts; {} event(s) retried",
            shown_key(event.ids[0]),
            schedule.len(),
            retried.len()
        ),
    )
    .detail(format!("measured: {}", schedule.join(", ")))
}

fn attempt_timeout(view: &View<'_>) -> Judgement {
    let held: Vec<&AttemptRecord> = view
        .primary
        .iter()
        .copied()
        .filter(|a| a.step == Step::Timeout)
        .collect();
    if held.is_empty() {
        return Judgement::unsupported(if view.rec.script.any(|s| s == Step::Timeout) {
            "no attempt reached the timeout step".to_string()
        } else {
            format!(
                "the script {} has no timeout step; use e.g. --respond timeout,200",
                view.rec.script
            )
        });
    }
    let mut gave_up = Vec::new();
    let mut notes = Vec::new();
    for a in &held {
        match a.end {
            AttemptEnd::SenderGaveUp(at) => gave_up.push(at.saturating_sub(a.arrived)),
            AttemptEnd::HoldLimit(_) => notes.push(format!(
                "{} was still waiting when the {} hold ended",
                who(a),
                secs(view.rec.hold)
            )),
            _ => notes.push(format!("{} was held until the listener stopped", who(a))),
        }
    }
    let mut parts: Vec<String> = gave_up
        .iter()
        .map(|d| format!("gave up after {}", secs(*d)))
        .collect();
    parts.extend(notes);
    let within = !gave_up.is_empty()
        && gave_up
            .iter()
            .all(|d| (15.0..=30.5).contains(&d.as_secs_f64()));
    let verdict = if within {
        "within the spec's recommended 15 to 30 s"
    } else {
        "outside the spec's recommended 15 to 30 s"
    };
    Judgement::new(
        Kind::Measured,
        format!("{} held attempt(s): {verdict}", held.len()),
    )
    .detail(parts.join("; "))
}

fn concurrency(view: &View<'_>) -> Judgement {
    let detail = format!("max in flight: {}", view.rec.max_in_flight);
    Judgement::new(
        Kind::Measured,
        format!(
            "at most {} attempt(s) in flight at once, over {} attempts and {} event(s)",
            view.rec.max_in_flight,
            view.rec.attempts.len(),
            view.events.len()
        ),
    )
    .detail(detail)
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

fn after(arrived: Duration, previous_end: Option<Duration>) -> String {
    match previous_end {
        Some(end) => format!("{} later", secs(arrived.saturating_sub(end))),
        None => "later".to_string(),
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

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}
