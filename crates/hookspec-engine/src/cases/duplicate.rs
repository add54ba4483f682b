//! `duplicate`: idempotency, judged through the endpoint's observer (`--observe URL`,
//! which maps each `webhook-id` to the number of times the endpoint acted on it).
//!
//! A sender retries until it sees a 2xx, with the same `webhook-id` and a fresh timestamp
//! and signature (R4), and may deliver the same attempt twice. So a duplicate must be
//! acknowledged with 2xx (anything else makes the sender retry, and eventually disable the
//! endpoint) and must not be processed again; distinct ids are distinct events even with
//! identical bodies; and a delivery the endpoint rejected must have had no effect at all.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Answer, BoxFuture, Case, Ctx, EffectRun, Expect, Judgement, Kind, Need, Outcome, Phase, Script,
    Sent, Session, Step, StepResult, probe,
};
use crate::report::{BugClass, Level, Observed};

/// How many identical deliveries the concurrent case sends at once.
pub const BURST: usize = 16;

/// The `duplicate` family.
pub fn cases() -> Vec<Case> {
    vec![
        effects(
            "duplicate/valid-processed-once",
            "A valid delivery is processed exactly once",
            "R13: the observer sees each accepted event once (checks the observer itself, too)",
            "acknowledged with 2xx and processed once",
            |cx| {
                let d = cx.valid();
                script(vec![Step::Send(d.into())])
            },
            |run| judge_once(run, "the delivery"),
        ),
        effects(
            "duplicate/redelivery",
            "An identical redelivery is acknowledged with 2xx and not processed again",
            "R13 (C67): deduplicate on webhook-id; a non-2xx makes the sender retry",
            "both answered 2xx; processed once",
            |cx| {
                let d = cx.valid();
                script(vec![
                    Step::Send(probe("first delivery", d.clone())),
                    Step::Send(probe("identical redelivery", d)),
                ])
            },
            |run| judge_once(run, "the redelivery"),
        ),
        effects(
            "duplicate/retry-new-signature",
            "A retry (same id, new timestamp and signature) is acknowledged and not processed again",
            "R4, R13 (C66): the id is stable across retries; the timestamp and signature are not",
            "both answered 2xx; processed once",
            |cx| {
                let first = cx.valid_at(cx.now() - 60, cx.body());
                let id = first.webhook_id().unwrap_or_default();
                let ts = cx.now().to_string();
                let sig = cx.sign(&id, &ts, &first.body);
                let retry = crate::delivery::Delivery::signed(id, ts, sig, first.body.clone());
                script(vec![
                    Step::Send(probe("first attempt, 60 s ago", first)),
                    Step::Send(probe("retry, signed now", retry)),
                ])
            },
            |run| judge_once(run, "the retry"),
        ),
        effects(
            "duplicate/distinct-ids-same-body",
            "Two ids with byte-identical bodies are both processed",
            "R4, R13: the id, not the body, identifies an event",
            "both answered 2xx; each processed once",
            |cx| {
                let body = cx.body();
                let a = cx.valid_body(body.clone());
                let b = cx.valid_body(body);
                script(vec![
                    Step::Send(probe("first id", a)),
                    Step::Send(probe("second id, same body", b)),
                ])
            },
            judge_distinct,
        ),
        effects(
            "duplicate/concurrent",
            "16 identical deliveries sent at once are processed exactly once",
            "R13: check-and-insert must be atomic; a race processes the event several times",
            "all 16 answered 2xx; processed once",
            |cx| {
                let d = cx.valid();
                script(vec![Step::Burst(probe("16 concurrent copies", d), BURST)])
            },
            judge_concurrent,
        ),
        effects(
            "duplicate/forged-does-not-burn-id",
            "A forged delivery does not stop the genuine one with the same id",
            "R13: record the id only after the signature verifies, or a forger can suppress events",
            "forgery rejected; the genuine delivery answered 2xx and processed once",
            |cx| {
                let genuine = cx.valid();
                let forged = genuine.clone().set(
                    hookspec::WEBHOOK_SIGNATURE,
                    format!("v1,{}", super::signature::flip_first_bit(&tag_of(&genuine))),
                );
                script(vec![
                    Step::Send(probe("forged, same id", forged)),
                    Step::Send(probe("genuine", genuine)),
                ])
            },
            judge_burn,
        ),
        Case {
            id: "duplicate/rejected-no-effect",
            title: "No delivery the endpoint rejected in this run had any effect",
            level: Level::Must,
            rule: "R13 (C68): verify before acting; a 401 after processing is still processing",
            bug_class: BugClass::AuthBypass,
            need: Need::Observer,
            kind: Kind::Interactive {
                run: rejected_no_effect,
                expected: "no delivery that was answered non-2xx was processed (effect count 0)",
                phase: Phase::Last,
            },
        },
    ]
}

fn effects(
    id: &'static str,
    title: &'static str,
    rule: &'static str,
    expected: &'static str,
    plan: fn(&mut Ctx) -> Script,
    judge: fn(&EffectRun) -> Judgement,
) -> Case {
    Case {
        id,
        title,
        level: Level::Must,
        rule,
        bug_class: BugClass::Idempotency,
        need: Need::Observer,
        kind: Kind::Effects {
            plan,
            judge,
            expected,
        },
    }
}

/// A script that observes every id its steps send.
fn script(steps: Vec<Step>) -> Script {
    let mut observe = BTreeSet::new();
    for step in &steps {
        let (Step::Send(p) | Step::Burst(p, _)) = step;
        if let Some(id) = p.delivery.webhook_id() {
            observe.insert(id);
        }
    }
    Script {
        steps,
        observe: observe.into_iter().collect(),
    }
}

fn tag_of(d: &crate::delivery::Delivery) -> String {
    d.first_text(hookspec::WEBHOOK_SIGNATURE)
        .unwrap_or_default()
        .trim_start_matches("v1,")
        .to_string()
}

fn id_of(step: &StepResult) -> String {
    step.probe.delivery.webhook_id().unwrap_or_default()
}

/// How many answers of the run timed out, and the first such answer with its step.
fn timeouts(steps: &[StepResult]) -> Option<(usize, &StepResult, &Answer)> {
    let mut timed_out = steps
        .iter()
        .flat_map(|s| s.answers.iter().map(move |a| (s, a)))
        .filter(|(_, a)| a.is_timeout());
    let (step, answer) = timed_out.next()?;
    Some((timed_out.count() + 1, step, answer))
}

/// `UNSUPPORTED`: some deliveries got no answer within `--timeout`, so whether the endpoint
/// acknowledged them is unknown. Only a double effect is proven without answers.
fn not_judged(timed_out: (usize, &StepResult, &Answer), effects: u64) -> Judgement {
    let (count, step, answer) = timed_out;
    let deliveries = if count == 1 { "delivery" } else { "deliveries" };
    Judgement::new(
        Outcome::Unsupported,
        format!(
            "not judged: {count} {deliveries} got {} (--timeout), so whether the endpoint acknowledged them is unknown; raise --timeout for a slow endpoint",
            answer.short()
        ),
        with_effects(answer, effects),
    )
    .with_delivery(&step.probe.delivery)
}

/// The first answer that is not 2xx, with its step.
fn first_refusal(steps: &[StepResult]) -> Option<(&StepResult, &Answer)> {
    steps
        .iter()
        .flat_map(|s| s.answers.iter().map(move |a| (s, a)))
        .find(|(_, a)| !a.is_success())
}

fn with_effects(answer: &Answer, effects: u64) -> Observed {
    Observed {
        effects: Some(effects),
        ..answer.observed()
    }
}

/// Every step must be 2xx and the (single) id processed exactly once.
fn judge_once(run: &EffectRun, what: &str) -> Judgement {
    let Some(first) = run.steps.first() else {
        return Judgement::new(
            Outcome::Unsupported,
            "nothing was sent",
            Observed::default(),
        );
    };
    let last = run.steps.last().unwrap_or(first);
    let effects = run.effects_of(&id_of(first));
    if let Some(timed_out) = timeouts(&run.steps)
        && effects <= 1
    {
        return not_judged(timed_out, effects);
    }
    if let Some((step, answer)) = first_refusal(&run.steps) {
        let message = if std::ptr::eq(step, first) && run.steps.len() > 1 {
            format!("the first delivery was rejected ({})", answer.short())
        } else if run.steps.len() > 1 {
            format!(
                "{what} was answered {} instead of 2xx: the sender keeps retrying and may disable the endpoint",
                answer.short()
            )
        } else {
            format!("a valid delivery was rejected ({})", answer.short())
        };
        return Judgement::new(Outcome::MustBreach, message, with_effects(answer, effects))
            .with_delivery(&step.probe.delivery);
    }
    let answer = &last.answers[0];
    let observed = with_effects(answer, effects);
    match effects {
        1 => Judgement::new(Outcome::Pass, "processed once", observed),
        0 => Judgement::new(
            Outcome::MustBreach,
            "acknowledged with 2xx but never processed (the observer reports 0): the event was lost, or the observer is not wired to the handler",
            observed,
        )
        .with_delivery(&last.probe.delivery),
        n => Judgement::new(
            Outcome::MustBreach,
            format!("processed {n} times: {what} was not recognised as a duplicate"),
            observed,
        )
        .with_delivery(&last.probe.delivery),
    }
}

fn judge_distinct(run: &EffectRun) -> Judgement {
    if let Some(timed_out) = timeouts(&run.steps) {
        let twice = run.steps.iter().any(|s| run.effects_of(&id_of(s)) > 1);
        if !twice {
            return not_judged(timed_out, run.effects_of(&id_of(timed_out.1)));
        }
    }
    if let Some((step, answer)) = first_refusal(&run.steps) {
        return Judgement::new(
            Outcome::MustBreach,
            format!(
                "{}: a valid delivery was rejected ({})",
                step.probe.label,
                answer.short()
            ),
            answer.observed(),
        )
        .with_delivery(&step.probe.delivery);
    }
    for step in &run.steps {
        let effects = run.effects_of(&id_of(step));
        if effects != 1 {
            let why = if effects == 0 {
                "was never processed: the endpoint deduplicates on the body, not the id"
            } else {
                "was processed more than once"
            };
            return Judgement::new(
                Outcome::MustBreach,
                format!("{} {why} ({effects} times)", step.probe.label),
                with_effects(&step.answers[0], effects),
            )
            .with_delivery(&step.probe.delivery);
        }
    }
    let observed = run
        .steps
        .last()
        .map(|s| with_effects(&s.answers[0], 1))
        .unwrap_or_default();
    Judgement::new(Outcome::Pass, "both ids processed once", observed)
}

fn judge_concurrent(run: &EffectRun) -> Judgement {
    let Some(step) = run.steps.first() else {
        return Judgement::new(
            Outcome::Unsupported,
            "nothing was sent",
            Observed::default(),
        );
    };
    let effects = run.effects_of(&id_of(step));
    let copies = step.answers.len();
    let ok = step.answers.iter().filter(|a| a.is_success()).count();
    let secs = step.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        copies as f64 / secs
    } else {
        0.0
    };
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for a in &step.answers {
        *statuses.entry(a.short()).or_default() += 1;
    }
    let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{n}× {s}")).collect();
    let observed = Observed {
        status: step.answers.iter().find_map(Answer::code),
        latency_ms: Some(u64::try_from(step.elapsed.as_millis()).unwrap_or(u64::MAX)),
        effects: Some(effects),
        detail: Some(format!(
            "{copies} concurrent deliveries in {:.1} ms ({rate:.0} req/s): {}",
            secs * 1000.0,
            statuses.join(", ")
        )),
    };
    if let Some((count, _, answer)) = timeouts(&run.steps)
        && effects <= 1
    {
        let message = format!(
            "not judged: {count} of {copies} concurrent copies got {} (--timeout), so whether they were acknowledged is unknown; raise --timeout for a slow endpoint",
            answer.short()
        );
        return Judgement::new(Outcome::Unsupported, message, observed)
            .with_delivery(&step.probe.delivery);
    }
    let (verdict, message) = if ok < copies {
        (
            Outcome::MustBreach,
            format!(
                "{} of {copies} concurrent copies were not answered 2xx: the sender retries them",
                copies - ok
            ),
        )
    } else if effects == 1 {
        (
            Outcome::Pass,
            format!("{copies} concurrent copies, processed once"),
        )
    } else if effects == 0 {
        (
            Outcome::MustBreach,
            "acknowledged but never processed (the observer reports 0)".to_string(),
        )
    } else {
        (
            Outcome::MustBreach,
            format!(
                "{copies} concurrent copies were processed {effects} times: the duplicate check is not atomic"
            ),
        )
    };
    let j = Judgement::new(verdict, message, observed);
    if verdict == Outcome::Pass {
        j
    } else {
        j.with_delivery(&step.probe.delivery)
    }
}

fn judge_burn(run: &EffectRun) -> Judgement {
    let [forged, genuine] = run.steps.as_slice() else {
        return Judgement::new(
            Outcome::Unsupported,
            "nothing was sent",
            Observed::default(),
        );
    };
    let effects = run.effects_of(&id_of(genuine));
    if forged.answers[0].is_success() {
        return Judgement::new(
            Outcome::MustBreach,
            format!(
                "the forged delivery was accepted ({})",
                forged.answers[0].short()
            ),
            with_effects(&forged.answers[0], effects),
        )
        .with_delivery(&forged.probe.delivery);
    }
    let answer = &genuine.answers[0];
    if let Some(timed_out) = timeouts(std::slice::from_ref(genuine))
        && effects <= 1
    {
        return not_judged(timed_out, effects);
    }
    let observed = with_effects(answer, effects);
    let (verdict, message) = match (answer.is_success(), effects) {
        (false, _) => (
            Outcome::MustBreach,
            format!(
                "after a forgery with its id, the genuine delivery was rejected ({})",
                answer.short()
            ),
        ),
        (true, 1) => (
            Outcome::Pass,
            "the genuine delivery was processed once".to_string(),
        ),
        (true, 0) => (
            Outcome::MustBreach,
            "the forgery burned the id: the genuine delivery was acknowledged but never processed"
                .to_string(),
        ),
        (true, n) => (Outcome::MustBreach, format!("processed {n} times")),
    };
    let j = Judgement::new(verdict, message, observed);
    if verdict == Outcome::Pass {
        j
    } else {
        j.with_delivery(&genuine.probe.delivery)
    }
}

/// `duplicate/rejected-no-effect`: reads the observer once the run is over and judges
/// every delivery sent.
fn rejected_no_effect(session: &dyn Session) -> BoxFuture<'_, Judgement> {
    Box::pin(async move {
        match session.observe().await {
            Ok(counts) => judge_rejected_no_effect(&session.log(), &counts),
            Err(why) => Judgement::unsupported(format!("the observer could not be read: {why}")),
        }
    })
}

/// Judges `duplicate/rejected-no-effect`: every id whose deliveries were all refused must have
/// an effect count of 0.
///
/// Refused means answered with a non-2xx status. A delivery that got no answer was neither
/// accepted nor refused: a valid one may rightly have been processed after hookspec stopped
/// waiting (a slow endpoint), so its id is left out of the audit, like an accepted one. A
/// delivery that had to be rejected and got no answer is audited, though: processing it is
/// a breach whatever the endpoint answered, or failed to.
pub fn judge_rejected_no_effect(log: &[Sent], effects: &BTreeMap<String, u64>) -> Judgement {
    let mut may_act: BTreeSet<String> = BTreeSet::new();
    let mut audited: Vec<(&Sent, String)> = Vec::new();
    let mut unanswered = 0usize;
    for sent in log {
        let must_reject = sent.expect.is_some_and(Expect::is_reject);
        let answered = matches!(sent.answer, Answer::Status { .. });
        if !answered {
            unanswered += 1;
        }
        for id in sent.ids() {
            if sent.answer.is_refusal() || (!answered && must_reject) {
                audited.push((sent, id));
            } else {
                may_act.insert(id);
            }
        }
    }
    audited.retain(|(_, id)| !may_act.contains(id));
    let mut offenders: Vec<(&Sent, String, u64)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (sent, id) in &audited {
        let n = effects.get(id).copied().unwrap_or(0);
        if n > 0 && seen.insert(id.clone()) {
            offenders.push((sent, id.clone(), n));
        }
    }
    let ids: BTreeSet<&String> = audited.iter().map(|(_, id)| id).collect();
    let left_out = if unanswered == 0 {
        String::new()
    } else {
        format!(
            "; {unanswered} deliveries got no answer (those that had to be rejected are audited, valid ones may have been processed)"
        )
    };
    if offenders.is_empty() {
        return Judgement::new(
            Outcome::Pass,
            format!(
                "{} rejected deliveries ({} ids) checked: none was processed{left_out}",
                audited.len(),
                ids.len()
            ),
            Observed {
                effects: Some(0),
                ..Observed::default()
            },
        );
    }
    let cases: BTreeSet<&str> = offenders.iter().map(|(s, _, _)| s.case).collect();
    let (first, _, n) = &offenders[0];
    let shown: Vec<&str> = cases.iter().copied().take(4).collect();
    let more = if cases.len() > shown.len() {
        format!(" and {} more", cases.len() - shown.len())
    } else {
        String::new()
    };
    Judgement::new(
        Outcome::MustBreach,
        format!(
            "{} of {} rejected ids were processed anyway (answered non-2xx, or had to be rejected and got no answer, but the observer counts them): {}{more}",
            offenders.len(),
            ids.len(),
            shown.join(", ")
        ),
        Observed {
            effects: Some(*n),
            ..first.answer.observed()
        },
    )
    .with_delivery(&first.probe.delivery)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::delivery::Delivery;

    fn ok() -> Answer {
        Answer::Status {
            code: 204,
            latency: Duration::ZERO,
            body: String::new(),
        }
    }

    fn status(code: u16) -> Answer {
        Answer::Status {
            code,
            latency: Duration::ZERO,
            body: String::new(),
        }
    }

    fn step(id: &str, answers: Vec<Answer>) -> StepResult {
        StepResult {
            probe: probe("p", Delivery::signed(id, "1", "v1,x", Vec::new())),
            answers,
            elapsed: Duration::from_millis(4),
        }
    }

    fn run(steps: Vec<StepResult>, effects: &[(&str, u64)]) -> EffectRun {
        EffectRun {
            steps,
            effects: effects.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn redelivery_must_be_2xx_and_processed_once() {
        let good = run(
            vec![step("a", vec![ok()]), step("a", vec![ok()])],
            &[("a", 1)],
        );
        assert_eq!(judge_once(&good, "x").outcome, Outcome::Pass);
        let twice = run(
            vec![step("a", vec![ok()]), step("a", vec![ok()])],
            &[("a", 2)],
        );
        assert_eq!(judge_once(&twice, "x").outcome, Outcome::MustBreach);
        let refused = run(
            vec![step("a", vec![ok()]), step("a", vec![status(409)])],
            &[("a", 1)],
        );
        let j = judge_once(&refused, "the redelivery");
        assert_eq!(j.outcome, Outcome::MustBreach);
        assert!(
            j.message.contains("status 409 instead of 2xx"),
            "{}",
            j.message
        );
        let lost = run(vec![step("a", vec![ok()])], &[]);
        assert_eq!(judge_once(&lost, "x").outcome, Outcome::MustBreach);
    }

    #[test]
    fn concurrent_copies_must_be_processed_once() {
        let answers = vec![ok(); BURST];
        assert_eq!(
            judge_concurrent(&run(vec![step("a", answers.clone())], &[("a", 1)])).outcome,
            Outcome::Pass
        );
        let j = judge_concurrent(&run(vec![step("a", answers)], &[("a", 3)]));
        assert_eq!(j.outcome, Outcome::MustBreach);
        assert!(j.message.contains("processed 3 times"));
        assert!(j.observed.detail.unwrap().contains("req/s"));
    }

    #[test]
    fn distinct_ids_must_both_be_processed() {
        let steps = || vec![step("a", vec![ok()]), step("b", vec![ok()])];
        assert_eq!(
            judge_distinct(&run(steps(), &[("a", 1), ("b", 1)])).outcome,
            Outcome::Pass
        );
        assert_eq!(
            judge_distinct(&run(steps(), &[("a", 1)])).outcome,
            Outcome::MustBreach
        );
    }

    #[test]
    fn a_forgery_must_not_burn_the_id() {
        let steps = || vec![step("a", vec![status(401)]), step("a", vec![ok()])];
        assert_eq!(
            judge_burn(&run(steps(), &[("a", 1)])).outcome,
            Outcome::Pass
        );
        assert_eq!(judge_burn(&run(steps(), &[])).outcome, Outcome::MustBreach);
    }

    #[test]
    fn rejected_ids_with_effects_are_found_and_accepted_ids_ignored() {
        let sent = |case, id: &str, answer| Sent {
            case,
            probe: probe("", Delivery::signed(id, "1", "v1,x", Vec::new())),
            answer,
            expect: Some(Expect::Reject),
            at: 0,
            order: 0,
        };
        let log = vec![
            sent("a/x", "m1", status(401)),
            sent("a/y", "m2", status(401)),
            sent("a/y", "m2", ok()),
            sent("a/z", "m3", status(400)),
        ];
        let clean: BTreeMap<String, u64> = [("m2".to_string(), 1)].into();
        assert_eq!(
            judge_rejected_no_effect(&log, &clean).outcome,
            Outcome::Pass
        );
        let dirty: BTreeMap<String, u64> = [("m2".to_string(), 1), ("m3".to_string(), 1)].into();
        let j = judge_rejected_no_effect(&log, &dirty);
        assert_eq!(j.outcome, Outcome::MustBreach);
        assert!(j.message.contains("a/z"), "{}", j.message);
        assert_eq!(j.decisive.unwrap().webhook_id().as_deref(), Some("m3"));
    }

    fn slow() -> Answer {
        Answer::TimedOut {
            after: Duration::from_secs(2),
        }
    }

    #[test]
    fn a_valid_delivery_without_an_answer_is_not_a_rejection() {
        let sent = |case, id: &str, answer, expect| Sent {
            case,
            probe: probe("", Delivery::signed(id, "1", "v1,x", Vec::new())),
            answer,
            expect,
            at: 0,
            order: 0,
        };
        // A slow but correct endpoint: valid deliveries processed after hookspec stopped
        // waiting, forgeries answered late (or not at all) and never processed.
        let log = vec![
            sent("a/valid", "m1", slow(), Some(Expect::Accept)),
            sent("a/effect", "m2", slow(), None),
            sent("a/effect", "m3", Answer::NoAnswer("reset".into()), None),
            sent("a/forged", "m4", slow(), Some(Expect::Reject)),
            sent("a/forged", "m5", status(401), Some(Expect::Reject)),
        ];
        let effects: BTreeMap<String, u64> = [("m1", 1), ("m2", 1), ("m3", 1)]
            .map(|(id, n)| (id.to_string(), n))
            .into();
        let j = judge_rejected_no_effect(&log, &effects);
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.message);
        assert!(
            j.message.contains("4 deliveries got no answer"),
            "{}",
            j.message
        );
        // A forgery that got no answer but was processed is still a breach.
        let mut dirty = effects.clone();
        dirty.insert("m4".into(), 1);
        let j = judge_rejected_no_effect(&log, &dirty);
        assert_eq!(j.outcome, Outcome::MustBreach);
        assert_eq!(j.decisive.unwrap().webhook_id().as_deref(), Some("m4"));
    }

    #[test]
    fn effect_cases_with_timeouts_are_not_judged_unless_an_effect_repeats() {
        let once = run(
            vec![step("a", vec![ok()]), step("a", vec![slow()])],
            &[("a", 1)],
        );
        let j = judge_once(&once, "the redelivery");
        assert_eq!(j.outcome, Outcome::Unsupported);
        assert!(
            j.message
                .starts_with("not judged: 1 delivery got no answer within 2s"),
            "{}",
            j.message
        );
        let twice = run(
            vec![step("a", vec![ok()]), step("a", vec![slow()])],
            &[("a", 2)],
        );
        assert_eq!(judge_once(&twice, "x").outcome, Outcome::MustBreach);
        let mut answers = vec![ok(); BURST - 3];
        answers.extend([slow(), slow(), slow()]);
        let j = judge_concurrent(&run(vec![step("a", answers.clone())], &[("a", 1)]));
        assert_eq!(j.outcome, Outcome::Unsupported);
        assert!(
            j.message.contains("3 of 16 concurrent copies"),
            "{}",
            j.message
        );
        let j = judge_concurrent(&run(vec![step("a", answers)], &[("a", 2)]));
        assert_eq!(j.outcome, Outcome::MustBreach);
        let steps = vec![step("a", vec![ok()]), step("b", vec![slow()])];
        assert_eq!(
            judge_distinct(&run(steps, &[("a", 1), ("b", 1)])).outcome,
            Outcome::Unsupported
        );
        let burn = vec![step("a", vec![status(401)]), step("a", vec![slow()])];
        assert_eq!(
            judge_burn(&run(burn, &[("a", 1)])).outcome,
            Outcome::Unsupported
        );
    }
}
