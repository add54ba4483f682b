//! `response`: what the endpoint answers. A delivery that must be rejected should get 400,
//! 401 or 403: a 5xx tells the sender to retry the forgery (and pages someone about an
//! outage), 410 tells it to disable the endpoint, and a 2xx accepts it. Valid deliveries
//! are acknowledged quickly (senders time out after 15 to 30 s).

use std::collections::BTreeMap;
use std::time::Duration;

use super::judge::{is_reject_status, sender_reading};
use super::{Answer, Case, Expect, Judgement, Kind, Need, Outcome, Phase, Sent, each, probe};
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
    ]
}

/// Judges `response/rejection-statuses` over every delivery that had to be rejected and was.
pub fn judge_rejection_statuses(log: &[Sent]) -> Judgement {
    let refused: Vec<&Sent> = log
        .iter()
        .filter(|s| s.expect.is_some_and(Expect::is_reject) && !s.answer.is_success())
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut offenders: Vec<&Sent> = Vec::new();
    for s in &refused {
        *counts.entry(s.answer.short()).or_default() += 1;
        let clean = s.answer.code().is_some_and(is_reject_status);
        if !clean {
            offenders.push(s);
        }
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n}× {k}")).collect();
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
