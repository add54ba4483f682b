//! Cases judged across the attempts of one event (retries) and across events.

use super::*;

/// Timestamps have one-second resolution and the sender reads its clock a little before the
/// request arrives: a fresh timestamp may lag the arrival gap by this much.
pub(super) const TIMESTAMP_SLACK: Duration = Duration::from_millis(250);

/// How much sooner than `Retry-After` a retry may arrive (timer granularity).
pub(super) const RETRY_AFTER_SLACK: Duration = Duration::from_millis(50);

/// Each delay between retries must be at least this many times the one before to "grow"
/// (the spec's example schedule never grows by less than 1.2).
pub(super) const GROWTH: f64 = 1.1;

pub(super) fn retry_same_id(view: &View<'_>) -> Judgement {
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
        return Judgement::plain(
            Outcome::Breach,
            format!(
                "the webhook-id changed on retry: an identical body arrived under a new id while a failure for the old id was outstanding ({} ids for one event; {changed} event(s) affected); receivers will process it as new events",
                event.ids.len()
            ),
        )
        .with_detail(changes.into_iter().take(3).collect::<Vec<_>>().join("; "));
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

pub(super) fn retry_same_body(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "{} carried a different body than attempt 1 of its id ({} bytes, then {} bytes)",
                        who(a),
                        first.body.len(),
                        a.body.len()
                    ),
                )
                .with_detail(match first.body.first_difference(&a.body) {
                    Some(at) => format!("first difference at byte {at}"),
                    None => format!(
                        "same first {BODY_PREFIX} bytes (only those are kept), different SHA-256"
                    ),
                });
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

pub(super) fn retry_fresh_timestamp(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
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
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "{} arrived {} after {} but its timestamp is only {} s later ({t0} then {tb}): the timestamp is not renewed per attempt",
                        who(b),
                        secs(gap),
                        who(first),
                        tb - t0
                    ),
                )
                .with_detail(format!("webhook-timestamp {t0} then {tb}"));
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

pub(super) fn retry_fresh_signature(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
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

pub(super) fn retry_after_failure(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "{} got {} and was not retried within {} (until the listener stopped; raise --duration if the sender's backoff is longer)",
                        who(a),
                        answer(a),
                        secs(waited)
                    ),
                )
                .with_status(a.status());
            }
        }
    }
    if required == 0 {
        return Judgement::unsupported(no_retry_reason(view));
    }
    Judgement::pass(format!("each of the {required} failures was retried"))
}

pub(super) fn no_retry_after(view: &View<'_>, ends: fn(Step) -> bool, what: &str) -> Judgement {
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
            return Judgement::plain(
                Outcome::Breach,
                format!(
                    "{} arrived {} {} was answered {}",
                    who(extra),
                    after(extra.arrived, Some(done_at)),
                    who(done),
                    answer(done)
                ),
            )
            .with_status(done.status());
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
pub(super) fn backoff_delays<'a>(event: &Event<'a>) -> Vec<(Duration, &'a AttemptRecord)> {
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

pub(super) fn backoff_grows(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "the delay before {} ({}) is not longer than the one before it ({})",
                        who(b),
                        secs(d2),
                        secs(d1)
                    ),
                )
                .with_detail(format!("delays after failures: {}", all.join(", ")));
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

pub(super) fn retry_after_honoured(view: &View<'_>) -> Judgement {
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
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "{} came {} after {} asked to wait {}",
                        who(b),
                        secs(delay),
                        answer(a),
                        secs(wait)
                    ),
                )
                .with_status(a.status());
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

pub(super) fn redirect_not_followed(view: &View<'_>) -> Judgement {
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
                format!(" {} the answer", after(followed.arrived, r.end.at())),
            )
        });
        return Judgement::plain(
            Outcome::Breach,
            format!(
                "the sender followed {what}: {} {}{when}",
                followed.method, followed.path
            ),
        )
        .with_status(redirected.and_then(|r| r.status()));
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

pub(super) fn event_ids_distinct(view: &View<'_>) -> Judgement {
    for group in &view.groups {
        let mut delivered: Option<&AttemptRecord> = None;
        for a in group.iter().filter(|a| !a.followed_redirect) {
            if let Some(done) = delivered.filter(|d| d.body != a.body) {
                return Judgement::plain(
                    Outcome::Breach,
                    format!(
                        "webhook-id {} was delivered ({}) and then reused for a different body ({})",
                        shown_key(&a.key),
                        who(done),
                        who(a)
                    ),
                )
                .with_detail(format!(
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
