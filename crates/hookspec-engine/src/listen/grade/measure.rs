//! Measurements: the retry schedule, the sender's per-attempt timeout, concurrency.

use super::*;

pub(super) fn retry_schedule(view: &View<'_>) -> Judgement {
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
    Judgement::plain(
        Outcome::Measured,
        format!(
            "webhook-id {}: {} attempts; {} event(s) retried",
            shown_key(event.ids[0]),
            schedule.len(),
            retried.len()
        ),
    )
    .with_detail(format!("measured: {}", schedule.join(", ")))
}

pub(super) fn attempt_timeout(view: &View<'_>) -> Judgement {
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
    Judgement::plain(
        Outcome::Measured,
        format!("{} held attempt(s): {verdict}", held.len()),
    )
    .with_detail(parts.join("; "))
}

pub(super) fn concurrency(view: &View<'_>) -> Judgement {
    let detail = format!("max in flight: {}", view.rec.max_in_flight);
    Judgement::plain(
        Outcome::Measured,
        format!(
            "at most {} attempt(s) in flight at once, over {} attempts and {} event(s)",
            view.rec.max_in_flight,
            view.rec.attempts.len(),
            view.events.len()
        ),
    )
    .with_detail(detail)
}
