//! Judging the answers to [`Kind::Each`](super::Kind::Each) cases: one rule, applied to
//! every delivery of the case, the worst answer deciding.

use super::{Answer, Expect, Judgement, Outcome, Probe};
use crate::report::{Level, Verdict};

/// Whether `code` is one of the statuses a rejection should use.
pub fn is_reject_status(code: u16) -> bool {
    matches!(code, 400 | 401 | 403)
}

/// What a sender does with a status that is neither 2xx nor 400/401/403, for messages.
pub fn sender_reading(code: u16) -> &'static str {
    match code {
        500..=599 => {
            "a sender retries on 5xx, so a forgery gets retried and errors get logged as outages"
        }
        410 => "410 Gone tells the sender to disable the endpoint",
        429 | 408 => "the sender reads it as throttling and retries",
        300..=399 => {
            "a sender treats 3xx as a failure and does not follow it; it is not a rejection"
        }
        100..=199 => "an interim status is not an answer",
        _ => "400, 401 or 403 say clearly that the delivery was refused",
    }
}

/// Judges one answer under `expect`: the outcome and why.
pub fn judge_outcome(expect: Expect, answer: &Answer) -> (Outcome, String) {
    let got = answer.short();
    match (expect, answer) {
        // hookspec stopped waiting: the endpoint's decision is unknown (it may still accept
        // and process the delivery), so no rule is judged on it.
        (_, Answer::TimedOut { .. }) => (
            Outcome::Unsupported,
            format!("not judged: {got} (--timeout); raise --timeout for a slow endpoint"),
        ),
        (Expect::Either, _) => (
            Outcome::Measured,
            if answer.is_success() {
                format!("accepted ({got})")
            } else {
                format!("rejected ({got})")
            },
        ),
        (Expect::Accept, a) if a.is_success() => (Outcome::Pass, format!("accepted ({got})")),
        (Expect::Accept, Answer::Status { .. }) => (
            Outcome::Breach,
            format!("a valid delivery was rejected ({got})"),
        ),
        (Expect::Accept, Answer::NoAnswer(_)) => {
            (Outcome::Breach, format!("a valid delivery got {got}"))
        }
        (Expect::Reject | Expect::RejectStatus, a) if a.is_success() => (
            // The response family judges statuses at SHOULD level, but accepting a delivery
            // that must be rejected is a MUST breach whatever the family.
            if expect == Expect::RejectStatus {
                Outcome::MustBreach
            } else {
                Outcome::Breach
            },
            format!("accepted ({got}) a delivery that must be rejected"),
        ),
        (Expect::Reject, Answer::Status { .. }) => (Outcome::Pass, format!("rejected ({got})")),
        // Not accepted, which is what this family judges; the `response` family's audit
        // reports a missing answer (a crash, a hang, a reset) as a bad rejection.
        (Expect::Reject, Answer::NoAnswer(_)) => (Outcome::Pass, format!("not accepted ({got})")),
        (Expect::RejectStatus, Answer::Status { code, .. }) if is_reject_status(*code) => {
            (Outcome::Pass, format!("rejected ({got})"))
        }
        (Expect::RejectStatus, Answer::Status { code, .. }) => (
            Outcome::Breach,
            format!(
                "rejected with {got}, not 400/401/403: {}",
                sender_reading(*code)
            ),
        ),
        (Expect::RejectStatus, Answer::NoAnswer(_)) => (
            Outcome::Breach,
            format!("{got}: the endpoint crashed or hung instead of answering 400/401/403"),
        ),
    }
}

/// Judges one answer under `expect` in a case at `level`: the verdict and why.
pub fn judge_one(level: Level, expect: Expect, answer: &Answer) -> (Verdict, String) {
    let (outcome, why) = judge_outcome(expect, answer);
    (outcome.verdict(level), why)
}

/// Judges every answer of a case; the worst verdict decides, and its delivery is the
/// decisive one. Ties keep the first.
pub fn judge_each(level: Level, expect: Expect, results: &[(Probe, Answer)]) -> Judgement {
    let mut worst: Option<(Outcome, String, usize)> = None;
    for (i, (probe, answer)) in results.iter().enumerate() {
        let (outcome, why) = judge_outcome(expect, answer);
        let why = if probe.label.is_empty() {
            why
        } else {
            format!("{}: {why}", probe.label)
        };
        let worse = match &worst {
            None => true,
            Some((o, _, _)) => severity(outcome.verdict(level)) > severity(o.verdict(level)),
        };
        if worse {
            worst = Some((outcome, why, i));
        }
    }
    let Some((outcome, mut message, index)) = worst else {
        return Judgement::unsupported("nothing was sent");
    };
    let verdict = outcome.verdict(level);
    if results.len() > 1 && verdict == Verdict::Ok {
        message = format!(
            "all {} variants {}",
            results.len(),
            if expect == Expect::Accept {
                "accepted"
            } else {
                "rejected"
            }
        );
    } else if results.len() > 1 && verdict == Verdict::Informational {
        message = results
            .iter()
            .map(|(p, a)| {
                let what = if a.is_success() {
                    "accepted"
                } else {
                    "rejected"
                };
                format!("{}: {what} ({})", p.label, a.short())
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let (probe, answer) = &results[index];
    Judgement::new(outcome, message, answer.observed()).with_delivery(&probe.delivery)
}

/// Orders verdicts by how bad they are: OK < INFORMATIONAL < UNSUPPORTED < NON-STRICT <
/// FAILED.
pub fn severity(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Ok => 0,
        Verdict::Informational => 1,
        Verdict::Unsupported => 2,
        Verdict::NonStrict => 3,
        Verdict::Failed => 4,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::delivery::Delivery;

    fn status(code: u16) -> Answer {
        Answer::Status {
            code,
            latency: Duration::from_millis(1),
            body: String::new(),
        }
    }

    #[test]
    fn must_reject_accepting_is_failed_and_any_refusal_is_ok() {
        assert_eq!(
            judge_one(Level::Must, Expect::Reject, &status(204)).0,
            Verdict::Failed
        );
        assert_eq!(
            judge_one(Level::Should, Expect::Reject, &status(200)).0,
            Verdict::NonStrict
        );
        assert_eq!(
            judge_one(Level::Must, Expect::Reject, &status(500)).0,
            Verdict::Ok
        );
        assert_eq!(
            judge_one(Level::Must, Expect::Reject, &status(401)).0,
            Verdict::Ok
        );
        let slow = Answer::TimedOut {
            after: Duration::from_secs(2),
        };
        for expect in [
            Expect::Accept,
            Expect::Reject,
            Expect::RejectStatus,
            Expect::Either,
        ] {
            let (verdict, why) = judge_one(Level::Must, expect, &slow);
            assert_eq!(verdict, Verdict::Unsupported, "{expect:?}");
            assert_eq!(
                why,
                "not judged: no answer within 2s (--timeout); raise --timeout for a slow endpoint"
            );
        }
        let none = Answer::NoAnswer("reset".into());
        assert_eq!(judge_one(Level::Must, Expect::Reject, &none).0, Verdict::Ok);
        assert_eq!(
            judge_one(Level::Should, Expect::RejectStatus, &none).0,
            Verdict::NonStrict
        );
        assert_eq!(
            judge_one(Level::Must, Expect::Accept, &none).0,
            Verdict::Failed
        );
    }

    #[test]
    fn must_accept_rejecting_is_failed() {
        assert_eq!(
            judge_one(Level::Must, Expect::Accept, &status(200)).0,
            Verdict::Ok
        );
        assert_eq!(
            judge_one(Level::Must, Expect::Accept, &status(401)).0,
            Verdict::Failed
        );
        assert_eq!(
            judge_one(Level::Should, Expect::Accept, &status(413)).0,
            Verdict::NonStrict
        );
    }

    #[test]
    fn reject_status_prefers_400_401_403_and_fails_2xx() {
        let j = |c| judge_one(Level::Should, Expect::RejectStatus, &status(c)).0;
        assert_eq!(j(400), Verdict::Ok);
        assert_eq!(j(401), Verdict::Ok);
        assert_eq!(j(403), Verdict::Ok);
        assert_eq!(j(500), Verdict::NonStrict);
        assert_eq!(j(502), Verdict::NonStrict);
        assert_eq!(j(410), Verdict::NonStrict);
        assert_eq!(j(302), Verdict::NonStrict);
        assert_eq!(j(200), Verdict::Failed);
    }

    #[test]
    fn either_is_informational() {
        assert_eq!(
            judge_one(Level::Info, Expect::Either, &status(200)).0,
            Verdict::Informational
        );
    }

    #[test]
    fn the_worst_variant_decides_and_is_the_decisive_delivery() {
        let results = vec![
            (super::super::probe("a", Delivery::post("a")), status(401)),
            (super::super::probe("b", Delivery::post("b")), status(200)),
            (super::super::probe("c", Delivery::post("c")), status(200)),
        ];
        let j = judge_each(Level::Must, Expect::Reject, &results);
        assert_eq!(j.verdict(Level::Must), Verdict::Failed);
        assert!(j.message.starts_with("b: accepted"), "{}", j.message);
        assert_eq!(j.decisive.unwrap().body, b"b");
        assert_eq!(j.observed.status, Some(200));
    }

    #[test]
    fn a_timeout_never_hides_a_proven_breach_nor_makes_one() {
        let slow = Answer::TimedOut {
            after: Duration::from_secs(2),
        };
        let results = vec![
            (super::super::probe("a", Delivery::post("a")), slow.clone()),
            (super::super::probe("b", Delivery::post("b")), status(200)),
        ];
        let j = judge_each(Level::Must, Expect::Reject, &results);
        assert_eq!(j.verdict(Level::Must), Verdict::Failed);
        assert!(j.message.starts_with("b: accepted"), "{}", j.message);
        let results = vec![
            (super::super::probe("a", Delivery::post("a")), status(401)),
            (super::super::probe("b", Delivery::post("b")), slow),
        ];
        let j = judge_each(Level::Must, Expect::Reject, &results);
        assert_eq!(j.verdict(Level::Must), Verdict::Unsupported);
        assert!(j.message.starts_with("b: not judged"), "{}", j.message);
    }
}
