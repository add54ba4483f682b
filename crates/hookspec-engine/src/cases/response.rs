//! `response`: what the endpoint answers. A delivery that must be rejected should get 400,
//! 401 or 403: a 5xx tells the sender to retry the forgery (and pages someone about an
//! outage), 410 tells it to disable the endpoint, and a 2xx accepts it. Valid deliveries
//! are acknowledged quickly (senders time out after 15 to 30 s). After every hostile case,
//! the endpoint still accepts a fresh valid delivery (`response/stays-up`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::judge::{is_reject_status, sender_reading};
use super::{
    Answer, Case, Expect, Judgement, Kind, Need, Outcome, Phase, Sent, Session, each, probe,
};
use crate::report::{BugClass, Level, Observed};
use hookspec::WEBHOOK_ID;
use hookspec::WEBHOOK_SIGNATURE;
use hookspec::WEBHOOK_TIMESTAMP;

/// An acknowledgement slower than this makes a sender time out and retry (R17).
pub const SLOW_ACK: Duration = Duration::from_secs(15);

/// The `response` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{Freshness, MalformedInput};
    use Expect::*;
    use Level::*;
    vec![
        each(
            "response/forged-signature",
            Should,
            MalformedInput,
            RejectStatus,
            "A forged signature is answered 400, 401 or 403",
            "R16 (C68): a clean refusal; 5xx makes the sender retry",
            |cx| {
                vec![
                    cx.with_signature(|t| format!("v1,{}", super::signature::flip_first_bit(t)))
                        .into(),
                ]
            },
        ),
        each(
            "response/malformed-signature",
            Should,
            MalformedInput,
            RejectStatus,
            "A malformed signature header is answered 400, 401 or 403, not 5xx",
            "R16 (C68, C25): parse errors are rejections, not crashes",
            |cx| {
                ["v1", "v1,", "v1,!!!!", ",,,", "v1,AAAA,BBBB"]
                    .into_iter()
                    .map(|s| {
                        probe(
                            format!("signature {s:?}"),
                            cx.with_signature(|_| s.to_string()),
                        )
                    })
                    .collect()
            },
        ),
        each(
            "response/malformed-timestamp",
            Should,
            MalformedInput,
            RejectStatus,
            "A malformed timestamp is answered 400, 401 or 403, not 5xx",
            "R16 (C68, C39, C49): parse errors are rejections, not crashes",
            |cx| {
                ["hello", "99999999999999999999", "-9223372036854775808"]
                    .into_iter()
                    .map(|ts| {
                        let d = cx.valid().set(WEBHOOK_TIMESTAMP, ts);
                        probe(format!("ts {ts:?}"), d)
                    })
                    .collect()
            },
        ),
        each(
            "response/missing-headers",
            Should,
            MalformedInput,
            RejectStatus,
            "Missing webhook-* headers are answered 400, 401 or 403, not 5xx",
            "R16 (C68, C07 to C09)",
            |cx| {
                vec![
                    probe("no webhook-id", cx.valid().remove(WEBHOOK_ID)),
                    probe("no webhook-timestamp", cx.valid().remove(WEBHOOK_TIMESTAMP)),
                    probe("no webhook-signature", cx.valid().remove(WEBHOOK_SIGNATURE)),
                    probe(
                        "no webhook-* header",
                        crate::delivery::Delivery::post(cx.body())
                            .header("content-type", crate::delivery::JSON),
                    ),
                ]
            },
        ),
        each(
            "response/stale",
            Should,
            Freshness,
            RejectStatus,
            "A day-old delivery is answered 400, 401 or 403",
            "R16 (C68)",
            |cx| {
                let now = cx.now();
                vec![cx.valid_at(now - 86_400, cx.body()).into()]
            },
        ),
        Case {
            id: "response/rejection-statuses",
            title: "Every delivery of this run that had to be rejected got 400, 401 or 403",
            level: Should,
            rule: "R16 (C68): audit over every case that expects a rejection",
            bug_class: MalformedInput,
            need: Need::Nothing,
            kind: Kind::Interactive {
                run: |session| Box::pin(async move { judge_rejection_statuses(&session.log()) }),
                expected: "every delivery that must be rejected is answered 400, 401 or 403",
                phase: Phase::Last,
            },
        },
        Case {
            id: "response/ack-latency",
            title: "How fast valid deliveries are acknowledged (measured)",
            level: Info,
            rule: "R17 (C69): senders time out after 15 to 30 s; acknowledge before slow work",
            bug_class: BugClass::Delivery,
            need: Need::Nothing,
            kind: Kind::Interactive {
                run: |session| Box::pin(async move { judge_ack_latency(&session.log()) }),
                expected: "valid deliveries acknowledged well within 15 s (senders time out at 15 to 30 s)",
                phase: Phase::Last,
            },
        },
        Case {
            id: STAYS_UP,
            title: "After every other case, a fresh valid delivery is still accepted",
            level: Must,
            rule: "A hostile delivery must not take the endpoint down or poison it (@octokit/webhooks CVE-2023-50728: a malformed signature crashed the process); when it does, the run log names the first case after which it stopped answering or refusing valid deliveries",
            bug_class: MalformedInput,
            need: Need::Nothing,
            kind: Kind::Interactive {
                run: |session| Box::pin(stays_up(session)),
                expected: "a fresh valid delivery sent after every other case of the run is accepted",
                phase: Phase::Last,
            },
        },
    ]
}

/// The id of the liveness case.
pub const STAYS_UP: &str = "response/stays-up";

/// `response/stays-up`: one fresh valid delivery after every other case, judged with the
/// run log.
async fn stays_up(session: &dyn Session) -> Judgement {
    let mut cx = session.plan();
    let fresh = probe("fresh valid delivery", cx.valid());
    session.send(&fresh, Some(Expect::Accept)).await;
    judge_stays_up(&session.log(), session.case())
}

/// Judges `response/stays-up` over the run log, whose last delivery of `case` is the fresh
/// one. When it was not accepted, the log (in sending order) names the first case after
/// which the endpoint failed: the case of the first delivery of the trailing run that got
/// no answer (it stopped answering), or of the first delivery sent after the last one it
/// accepted (it started to refuse valid deliveries).
pub fn judge_stays_up(log: &[Sent], case: &str) -> Judgement {
    let mut log: Vec<&Sent> = log.iter().collect();
    log.sort_by_key(|s| s.order);
    let Some(last) = log.iter().rposition(|s| s.case == case) else {
        return Judgement::unsupported("the fresh delivery was not sent");
    };
    let log = &log[..=last];
    let fresh = log[last];
    let earlier = &log[..last];
    if fresh.answer.is_timeout() {
        return Judgement::new(
            Outcome::Unsupported,
            format!(
                "not judged: the fresh valid delivery got {} (--timeout); a slow endpoint and a hung one look alike here: raise --timeout",
                fresh.answer.short()
            ),
            fresh.answer.observed(),
        )
        .with_delivery(&fresh.probe.delivery);
    }
    if fresh.answer.is_success() {
        let hostile = earlier
            .iter()
            .filter(|s| s.expect.is_some_and(Expect::is_reject))
            .count();
        return Judgement::new(
            Outcome::Pass,
            format!(
                "a fresh valid delivery sent after the run's {} other deliveries ({hostile} of them to be rejected) was accepted ({})",
                earlier.len(),
                fresh.answer.short()
            ),
            fresh.answer.observed(),
        );
    }
    let Some(last_ok) = earlier.iter().rposition(|s| s.answer.is_success()) else {
        return Judgement::new(
            Outcome::Unsupported,
            format!(
                "the fresh valid delivery was refused ({}), but no delivery of this run was accepted at all, so there is no point at which the endpoint still worked (see the run's notes)",
                fresh.answer.short()
            ),
            fresh.answer.observed(),
        );
    };
    let since = &log[last_ok + 1..];
    let cases = sending_order(&since[..since.len() - 1]);
    let (message, decisive) = if matches!(fresh.answer, Answer::NoAnswer(_)) {
        let dead = went_down(log);
        let first = log[dead];
        let answered = match dead {
            0 => String::new(),
            n => format!(
                "; the last delivery answered before it was of {}",
                log[n - 1].case
            ),
        };
        (
            format!(
                "the endpoint stopped answering during {}: its delivery {}got {}, and so did the deliveries sent after it ({} more, the fresh valid one at the end included, but for those of cases still being served){answered}; with cases running at once, the delivery that stopped it may be of one of the next cases. Cases in sending order since then: {}",
                first.case,
                labelled(first),
                first.answer.short(),
                log[dead + 1..]
                    .iter()
                    .filter(|s| matches!(s.answer, Answer::NoAnswer(_)))
                    .count(),
                sending_order(&log[dead..last]),
            ),
            first,
        )
    } else {
        let refused = since
            .iter()
            .find(|s| s.expect == Some(Expect::Accept))
            .copied()
            .unwrap_or(fresh);
        (
            format!(
                "the endpoint refuses valid deliveries since {}: the last delivery accepted was of {}, the first one sent after it was of {}, the first valid one refused was of {} ({}), and none was accepted since, the fresh one at the end included ({}). Cases in sending order since the last accepted delivery: {cases}",
                since[0].case,
                log[last_ok].case,
                since[0].case,
                refused.case,
                refused.answer.short(),
                fresh.answer.short(),
            ),
            refused,
        )
    };
    Judgement::new(Outcome::Breach, message, fresh.answer.observed())
        .with_delivery(&decisive.probe.delivery)
}

/// Where an endpoint that no longer answers went down, in a log in sending order whose last
/// delivery got no answer: the earliest delivery without an answer from which on at least
/// four in five deliveries got none. Deliveries of cases running at the same time may still
/// have been answered just after it (they were being served when it went down), and an
/// unanswered delivery long before it (a timeout) does not count.
fn went_down(log: &[&Sent]) -> usize {
    let mut silent_after = 0usize;
    let mut answered_after = 0usize;
    let mut start = log.len() - 1;
    for (i, s) in log.iter().enumerate().rev() {
        if matches!(s.answer, Answer::NoAnswer(_)) {
            silent_after += 1;
            if answered_after * 4 <= silent_after {
                start = i;
            }
        } else {
            answered_after += 1;
        }
    }
    start
}

/// `label ` of a logged delivery, quoted, or nothing for an unlabelled one.
fn labelled(sent: &Sent) -> String {
    if sent.probe.label.is_empty() {
        String::new()
    } else {
        format!("({}) ", sent.probe.label)
    }
}

/// The distinct cases of `log` in order of first appearance, at most six named.
fn sending_order(log: &[&Sent]) -> String {
    if log.is_empty() {
        return "none".into();
    }
    let mut cases: Vec<&str> = Vec::new();
    for s in log {
        if !cases.contains(&s.case) {
            cases.push(s.case);
        }
    }
    let shown = cases.len().min(6);
    let mut text = cases[..shown].join(", ");
    if cases.len() > shown {
        text.push_str(&format!(" and {} more", cases.len() - shown));
    }
    text
}

/// Judges `response/rejection-statuses` over every delivery that had to be rejected and was.
pub fn judge_rejection_statuses(log: &[Sent]) -> Judgement {
    let must_reject = || {
        log.iter()
            .filter(|s| s.expect.is_some_and(Expect::is_reject))
    };
    // A delivery hookspec stopped waiting for is not a rejection, nor a bad one.
    let refused: Vec<&Sent> = must_reject()
        .filter(|s| !s.answer.is_success() && !s.answer.is_timeout())
        .collect();
    let timed_out = must_reject().filter(|s| s.answer.is_timeout()).count();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut offenders: Vec<&Sent> = Vec::new();
    for s in &refused {
        *counts.entry(s.answer.short()).or_default() += 1;
        let clean = s.answer.code().is_some_and(is_reject_status);
        if !clean {
            offenders.push(s);
        }
    }
    let mut summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n}× {k}")).collect();
    if timed_out > 0 {
        summary.push(format!(
            "{timed_out}× no answer within --timeout (not judged)"
        ));
    }
    let mut observed = Observed {
        detail: Some(summary.join(", ")),
        ..Observed::default()
    };
    if refused.is_empty() {
        return Judgement::new(
            Outcome::Pass,
            "no rejections in this run to audit",
            observed,
        );
    }
    let Some(first) = offenders.first() else {
        return Judgement::new(
            Outcome::Pass,
            format!("all {} rejections used 400, 401 or 403", refused.len()),
            observed,
        );
    };
    let mut cases: Vec<&str> = offenders.iter().map(|s| s.case).collect();
    cases.dedup();
    let shown: Vec<&str> = cases.iter().copied().take(4).collect();
    let more = if cases.len() > shown.len() {
        format!(" and {} more", cases.len() - shown.len())
    } else {
        String::new()
    };
    let reading = first
        .answer
        .code()
        .map_or("no answer at all: a crash or a hang", sender_reading);
    observed.status = first.answer.code();
    Judgement::new(
        Outcome::NonStrict,
        format!(
            "{} of {} rejections were not 400/401/403 ({}{more}); {reading}",
            offenders.len(),
            refused.len(),
            shown.join(", ")
        ),
        observed,
    )
    .with_delivery(&first.probe.delivery)
}

/// Judges `response/ack-latency` over every accepted delivery.
pub fn judge_ack_latency(log: &[Sent]) -> Judgement {
    let mut latencies: Vec<Duration> = log
        .iter()
        .filter_map(|s| match &s.answer {
            Answer::Status {
                code: 200..=299,
                latency,
                ..
            } => Some(*latency),
            _ => None,
        })
        .collect();
    if latencies.is_empty() {
        return Judgement::new(
            Outcome::Measured,
            "no delivery was accepted in this run",
            Observed::default(),
        );
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    let max = latencies[latencies.len() - 1];
    let detail = format!(
        "{} accepted: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(median),
        ms(p99),
        ms(max)
    );
    let observed = Observed {
        latency_ms: Some(u64::try_from(max.as_millis()).unwrap_or(u64::MAX)),
        detail: Some(detail.clone()),
        ..Observed::default()
    };
    if max >= SLOW_ACK {
        Judgement::new(
            Outcome::NonStrict,
            format!(
                "an acknowledgement took {:.1} s: senders time out and retry at 15 to 30 s",
                max.as_secs_f64()
            ),
            observed,
        )
    } else {
        Judgement::new(Outcome::Measured, detail, observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(case: &'static str, code: Option<u16>, expect: Option<Expect>) -> Sent {
        Sent {
            order: 0,
            case,
            probe: probe("", crate::delivery::Delivery::post("")),
            answer: match code {
                Some(code) => Answer::Status {
                    code,
                    latency: Duration::from_millis(3),
                    body: String::new(),
                },
                None => Answer::NoAnswer("reset".into()),
            },
            expect,
            at: 0,
        }
    }

    #[test]
    fn rejections_outside_400_401_403_are_non_strict() {
        let log = vec![
            sent("a/x", Some(401), Some(Expect::Reject)),
            sent("a/y", Some(200), Some(Expect::Accept)),
            sent("a/i", Some(500), Some(Expect::Either)),
        ];
        assert_eq!(judge_rejection_statuses(&log).outcome, Outcome::Pass);
        let mut bad = log.clone();
        bad.push(sent("a/z", Some(500), Some(Expect::Reject)));
        let j = judge_rejection_statuses(&bad);
        assert_eq!(j.outcome, Outcome::NonStrict);
        assert!(
            j.message.contains("a/z") && j.message.contains("retries on 5xx"),
            "{}",
            j.message
        );
        bad.push(sent("a/w", None, Some(Expect::RejectStatus)));
        assert_eq!(judge_rejection_statuses(&bad).outcome, Outcome::NonStrict);
    }

    fn timed_out(case: &'static str, expect: Option<Expect>) -> Sent {
        Sent {
            answer: Answer::TimedOut {
                after: Duration::from_secs(2),
            },
            ..sent(case, None, expect)
        }
    }

    #[test]
    fn a_timeout_is_neither_a_bad_rejection_nor_a_dead_endpoint() {
        let log = vec![
            sent("a/x", Some(401), Some(Expect::Reject)),
            timed_out("a/slow", Some(Expect::RejectStatus)),
        ];
        let j = judge_rejection_statuses(&log);
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.message);
        assert!(
            j.observed
                .detail
                .unwrap()
                .contains("1× no answer within --timeout"),
        );
        let log = ordered(vec![
            sent("a/valid", Some(200), Some(Expect::Accept)),
            timed_out("b/valid", Some(Expect::Accept)),
            timed_out(STAYS_UP, Some(Expect::Accept)),
        ]);
        let j = judge_stays_up(&log, STAYS_UP);
        assert_eq!(j.outcome, Outcome::Unsupported);
        assert!(
            j.message
                .starts_with("not judged: the fresh valid delivery got no answer within 2s"),
            "{}",
            j.message
        );
    }

    /// A log in sending order (each entry's `order` is its position).
    fn ordered(entries: Vec<Sent>) -> Vec<Sent> {
        entries
            .into_iter()
            .enumerate()
            .map(|(n, mut s)| {
                s.order = n as u64;
                s
            })
            .collect()
    }

    #[test]
    fn stays_up_names_where_the_endpoint_stopped_answering() {
        use Expect::{Accept, Reject};
        let mut log = ordered(vec![
            sent("a/valid", Some(200), Some(Accept)),
            sent("b/junk", Some(401), Some(Reject)),
            sent("c/crash", None, Some(Reject)),
            sent("d/valid", None, Some(Accept)),
            sent(STAYS_UP, None, Some(Accept)),
        ]);
        let j = judge_stays_up(&log, STAYS_UP);
        assert_eq!(j.outcome, Outcome::Breach);
        assert!(
            j.message
                .starts_with("the endpoint stopped answering during c/crash")
                && j.message.contains("2 more")
                && j.message.contains("got no response (reset)")
                && j.message
                    .contains("the last delivery answered before it was of b/junk")
                && j.message.ends_with("since then: c/crash, d/valid"),
            "{}",
            j.message
        );
        // A delivery of a case running at the same time, sent just after the one that
        // stopped it, was still answered; an early timeout does not count.
        let mut busy = ordered(vec![
            sent("a/valid", Some(200), Some(Accept)),
            sent("a/slow", None, Some(Accept)),
            sent("a/valid", Some(200), Some(Accept)),
            sent("c/crash", None, Some(Reject)),
            sent("b/junk", Some(401), Some(Reject)),
        ]);
        for _ in 0..4 {
            busy.push(sent("d/valid", None, Some(Accept)));
        }
        busy.push(sent(STAYS_UP, None, Some(Accept)));
        let busy = judge_stays_up(&ordered(busy), STAYS_UP);
        assert!(
            busy.message
                .starts_with("the endpoint stopped answering during c/crash")
                && busy.message.contains("5 more")
                && busy.message.contains("before it was of a/valid"),
            "{}",
            busy.message
        );
        // Answers arriving out of sending order do not change the verdict or the name.
        log.swap(2, 3);
        assert_eq!(judge_stays_up(&log, STAYS_UP).message, j.message);
        // Accepted at the end: alive, whatever happened before.
        let last = log.len() - 1;
        log[last] = sent(STAYS_UP, Some(200), Some(Accept));
        log[last].order = last as u64;
        assert_eq!(judge_stays_up(&log, STAYS_UP).outcome, Outcome::Pass);
    }

    #[test]
    fn stays_up_names_the_first_case_after_the_last_accepted_delivery() {
        use Expect::{Accept, Reject};
        let log = ordered(vec![
            sent("a/valid", Some(200), Some(Accept)),
            sent("b/valid", Some(200), Some(Accept)),
            sent("c/poison", Some(401), Some(Reject)),
            sent("d/junk", Some(401), Some(Reject)),
            sent("e/valid", Some(401), Some(Accept)),
            sent("f/valid", Some(401), Some(Accept)),
            sent(STAYS_UP, Some(401), Some(Accept)),
        ]);
        let j = judge_stays_up(&log, STAYS_UP);
        assert_eq!(j.outcome, Outcome::Breach);
        assert!(
            j.message
                .starts_with("the endpoint refuses valid deliveries since c/poison")
                && j.message
                    .contains("the last delivery accepted was of b/valid")
                && j.message
                    .contains("the first valid one refused was of e/valid")
                && j.message.ends_with("c/poison, d/junk, e/valid, f/valid"),
            "{}",
            j.message
        );
        // Nothing ever accepted: a configuration problem, not a liveness one.
        let never = ordered(vec![
            sent("a/valid", Some(401), Some(Accept)),
            sent(STAYS_UP, Some(401), Some(Accept)),
        ]);
        assert_eq!(
            judge_stays_up(&never, STAYS_UP).outcome,
            Outcome::Unsupported
        );
    }

    #[test]
    fn latency_is_informational_unless_slow() {
        let log = vec![sent("a/x", Some(200), Some(Expect::Accept))];
        assert_eq!(judge_ack_latency(&log).outcome, Outcome::Measured);
        let mut slow = sent("a/x", Some(200), Some(Expect::Accept));
        slow.answer = Answer::Status {
            code: 200,
            latency: Duration::from_secs(16),
            body: String::new(),
        };
        assert_eq!(judge_ack_latency(&[slow]).outcome, Outcome::NonStrict);
    }
}
