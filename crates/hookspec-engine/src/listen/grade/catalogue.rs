//! The sender case catalogue: ids, titles, levels, rules.

use super::*;
use crate::report::{BugClass, Level};

/// The Standard Webhooks example retry schedule (section "Deliverability and reliability").
pub const SPEC_SCHEDULE: &str = "immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h";

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
    /// Judges the recording.
    pub(super) judge: Judge,
}

/// A sender case's logic: judges the arranged recording.
pub(super) type Judge = fn(&View<'_>, &ListenConfig) -> Judgement;

impl CaseDef {
    /// What a report says about this case besides its judgement.
    pub fn info(&self) -> crate::judgement::CaseInfo {
        crate::judgement::CaseInfo {
            id: self.id.to_string(),
            family: "sender".to_string(),
            title: self.title.to_string(),
            level: self.level,
            rule: self.rule.to_string(),
            bug_class: Some(self.bug_class),
            expected: self.expected.to_string(),
        }
    }
}

const fn case(
    id: &'static str,
    title: &'static str,
    level: Level,
    rule: &'static str,
    bug_class: BugClass,
    expected: &'static str,
    judge: Judge,
) -> CaseDef {
    CaseDef {
        id,
        title,
        level,
        rule,
        bug_class,
        expected,
        judge,
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
        |view, _| per_attempt(view, "attempts", headers_present),
    ),
    case(
        "sender/id-valid",
        "webhook-id is non-empty visible ASCII without '.'",
        Level::Must,
        "R4, R11: the id is part of the signed content id.timestamp.body",
        BugClass::MalformedInput,
        "a non-empty id of visible ASCII characters other than '.'",
        |view, _| per_attempt(view, "attempts with a webhook-id", id_valid),
    ),
    case(
        "sender/timestamp-grammar",
        "webhook-timestamp is integer Unix seconds in the strict grammar",
        Level::Must,
        "R11: integer Unix timestamp; strict profile: [1-9][0-9]* (a lenient-only form is NON-STRICT)",
        BugClass::MalformedInput,
        "ASCII digits, no sign, spaces, fraction or leading zero",
        |view, _| per_attempt(view, "attempts with a webhook-timestamp", timestamp_grammar),
    ),
    case(
        "sender/timestamp-current",
        "webhook-timestamp is within the tolerance of the listener's clock",
        Level::Must,
        "R4, R13: the attempt time, which receivers check against their tolerance (300 s)",
        BugClass::Freshness,
        "the time of the attempt, within the tolerance of the listener's clock",
        |view, config| {
            per_attempt(view, "attempts with a timestamp", |a| {
                timestamp_current(a, config.tolerance)
            })
        },
    ),
    case(
        "sender/signature-list-parses",
        "webhook-signature is a list of well-formed version,base64 entries",
        Level::Must,
        "R12: space-delimited list of version,signature entries",
        BugClass::MalformedInput,
        "at least one entry, none malformed (no comma, extra comma, bad base64, wrong length)",
        |view, config| {
            per_attempt(view, "attempts with a webhook-signature", |a| {
                signature_list(a, config.jwks.is_some())
            })
        },
    ),
    case(
        "sender/signature-verifies",
        "a signature verifies over the exact bytes received",
        Level::Must,
        "R5, R8: v1 HMAC-SHA256 / v1a Ed25519 over id.timestamp.raw-body with the given key",
        BugClass::Canonicalization,
        "at least one entry verifies with a given key over the raw body",
        signature_verifies,
    ),
    case(
        "sender/content-type",
        "content-type is present",
        Level::Should,
        "R11: the payload is the body of a POST; receivers need its media type",
        BugClass::MalformedInput,
        "a non-empty content-type header",
        |view, _| per_attempt(view, "attempts", content_type),
    ),
    case(
        "sender/method-post",
        "deliveries are POST requests",
        Level::Must,
        "R11: the payload is sent in the body of an HTTP POST request",
        BugClass::MalformedInput,
        "POST",
        |view, _| {
            per_attempt(view, "attempts", |a| {
                if a.method == "POST" {
                    Check::Pass
                } else {
                    Check::Breach(format!("{} was a {} request", who(a), a.method))
                }
            })
        },
    ),
    case(
        "sender/retry-same-id",
        "a retry keeps the webhook-id",
        Level::Must,
        "R4: the id stays the same however many times the message is retried (idempotency key)",
        BugClass::Idempotency,
        "every attempt of one event carries the same webhook-id",
        |view, _| retry_same_id(view),
    ),
    case(
        "sender/retry-same-body",
        "a retry sends the same body bytes",
        Level::Must,
        "R4: a retry is the same message",
        BugClass::Idempotency,
        "byte-identical bodies on every attempt of one event",
        |view, _| retry_same_body(view),
    ),
    case(
        "sender/retry-fresh-timestamp",
        "each attempt carries a new timestamp",
        Level::Must,
        "R4: the attempt timestamp is updated on every retry",
        BugClass::Freshness,
        "webhook-timestamp advances with the time since the first attempt",
        |view, _| retry_fresh_timestamp(view),
    ),
    case(
        "sender/retry-fresh-signature",
        "each attempt is signed anew",
        Level::Must,
        "R4, R5: the signature covers the new timestamp",
        BugClass::Freshness,
        "a different webhook-signature whenever webhook-timestamp changes",
        |view, _| retry_fresh_signature(view),
    ),
    case(
        "sender/retry-after-failure",
        "a failed attempt is retried",
        Level::Must,
        "R15, R16: anything but 2xx (and a timeout, and a 3xx) is a failure to retry",
        BugClass::Delivery,
        "a new attempt after each failure the script answers before its last step",
        |view, _| retry_after_failure(view),
    ),
    case(
        "sender/no-retry-after-success",
        "no attempt after a 2xx",
        Level::Must,
        "R16: 2xx is success; a retry after it delivers the event twice",
        BugClass::Idempotency,
        "no further attempt of an event once it was answered 2xx",
        |view, _| no_retry_after(view, Step::is_success, "a 2xx"),
    ),
    case(
        "sender/backoff-grows",
        "delays between retries grow",
        Level::Should,
        "R15: exponential backoff",
        BugClass::Delivery,
        "each delay at least 1.1 times the one before",
        |view, _| backoff_grows(view),
    ),
    case(
        "sender/retry-after-honoured",
        "Retry-After is honoured",
        Level::Should,
        "R16: honour retry-after (e.g. on 429 or 503)",
        BugClass::Delivery,
        "the next attempt no sooner than Retry-After seconds after the answer",
        |view, _| retry_after_honoured(view),
    ),
    case(
        "sender/no-retry-after-gone",
        "no attempt after 410 Gone",
        Level::Should,
        "R16: on 410 the sender should disable the endpoint",
        BugClass::Delivery,
        "no further attempt of an event answered 410",
        |view, _| no_retry_after(view, Step::is_gone, "410 Gone"),
    ),
    case(
        "sender/redirect-not-followed",
        "redirects are not followed",
        Level::Must,
        "R16: 3xx is a failure; do not follow redirects",
        BugClass::Delivery,
        "no request to the Location of a 3xx answer",
        |view, _| redirect_not_followed(view),
    ),
    case(
        "sender/event-ids-distinct",
        "distinct events have distinct ids",
        Level::Must,
        "R4, R13: receivers deduplicate on webhook-id",
        BugClass::Idempotency,
        "a webhook-id is never reused for a different body after it was delivered",
        |view, _| event_ids_distinct(view),
    ),
    case(
        "sender/retry-schedule",
        "measured retry schedule",
        Level::Info,
        "R15: example schedule",
        BugClass::Delivery,
        SPEC_SCHEDULE,
        |view, _| retry_schedule(view),
    ),
    case(
        "sender/attempt-timeout",
        "per-attempt timeout of the sender",
        Level::Info,
        "R17: a timeout between 15 and 30 s",
        BugClass::Delivery,
        "gives up on a silent receiver after 15 to 30 s",
        |view, _| attempt_timeout(view),
    ),
    case(
        "sender/concurrency",
        "attempts in flight at once",
        Level::Info,
        "measurement",
        BugClass::Delivery,
        "any",
        |view, _| concurrency(view),
    ),
];
