//! Cases judged on every attempt on its own: headers, id, timestamp, signature, method.

use super::*;
use hookspec::ErrorCode;

/// The result of one per-attempt check.
pub(super) enum Check {
    Pass,
    Breach(String),
    NonStrict(String),
    /// The attempt does not give this case anything to judge.
    Skip,
}

pub(super) fn per_attempt(
    view: &View<'_>,
    what: &str,
    check: impl Fn(&AttemptRecord) -> Check,
) -> Judgement {
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
        (Outcome::Breach, breaches)
    } else if !non_strict.is_empty() {
        (Outcome::NonStrict, non_strict)
    } else {
        return Judgement::pass(format!("all {judged} {what} conform"));
    };
    let more = if found.len() > 1 {
        format!(" (and {} more)", found.len() - 1)
    } else {
        String::new()
    };
    Judgement::plain(
        kind,
        format!("{} of {judged} {what}: {}{more}", found.len(), found[0]),
    )
    .with_detail(found.into_iter().take(3).collect::<Vec<_>>().join("; "))
}

pub(super) fn headers_present(a: &AttemptRecord) -> Check {
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

pub(super) fn id_valid(a: &AttemptRecord) -> Check {
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
pub(super) enum Timestamp {
    Strict(u64),
    Lenient(u64),
    Invalid,
    Absent,
}

pub(super) fn timestamp_of(a: &AttemptRecord) -> Timestamp {
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

pub(super) fn timestamp_value(a: &AttemptRecord) -> Option<u64> {
    match timestamp_of(a) {
        Timestamp::Strict(ts) | Timestamp::Lenient(ts) => Some(ts),
        Timestamp::Invalid | Timestamp::Absent => None,
    }
}

pub(super) fn timestamp_grammar(a: &AttemptRecord) -> Check {
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

pub(super) fn timestamp_current(a: &AttemptRecord, tolerance: Duration) -> Check {
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

/// With `jwt` (a JWKS is configured), a JWT value counts as well-formed here: the token
/// itself is checked by `sender/signature-verifies`.
pub(super) fn signature_list(a: &AttemptRecord, jwt: bool) -> Check {
    let HeaderValue::One(value) = single_value(a.headers.as_slice(), WEBHOOK_SIGNATURE) else {
        return Check::Skip;
    };
    if jwt && hookspec::internal::jwt::is_jwt_value(value) {
        return Check::Pass;
    }
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

pub(super) fn content_type(a: &AttemptRecord) -> Check {
    match a.header("content-type") {
        Some(v) if !v.trim_ascii().is_empty() => Check::Pass,
        _ => Check::Breach(format!("{}: no content-type", who(a))),
    }
}

pub(super) fn signature_verifies(view: &View<'_>, config: &ListenConfig) -> Judgement {
    let static_keys = has_static_keys(config);
    if !static_keys && config.jwks.is_none() {
        return Judgement::unsupported("no key was given (--secret, --public-key or --jwks)");
    }
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
        let verdict = match (&a.signature_check, a.body.whole()) {
            (Some(verdict), _) => verdict.clone(),
            (None, Some(body)) => verify_attempt(a, body, ts, config, static_keys),
            (None, None) => Err(format!(
                "not verified on arrival, and only the first {BODY_PREFIX} of its {} bytes were kept",
                a.body.len()
            )),
        };
        if let Err(why) = verdict {
            failures.push((a, why));
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
    let mut judgement = Judgement::plain(
        Outcome::Breach,
        format!(
            "{} of {judged} attempts do not verify over the bytes received: {}: {why}{skipped_note}",
            failures.len(),
            who(first)
        ),
    )
    .with_detail(format!(
        "{} bytes of {}; webhook-signature {}",
        first.body.len(),
        first
            .header("content-type")
            .map_or_else(|| "unknown type".to_string(), shown),
        shown(first.header(WEBHOOK_SIGNATURE).unwrap_or_default())
    ));
    if static_keys {
        judgement.repro = repro_verify(first);
    }
    judgement
}

/// Whether the listener must check `a`'s signature on arrival (and so keep its whole body
/// until then): keys were given, and it has a valid id and a strict-grammar timestamp.
pub(crate) fn verifiable_on_arrival(a: &AttemptRecord, config: &ListenConfig) -> bool {
    arrival_timestamp(a, config).is_some()
}

fn arrival_timestamp(a: &AttemptRecord, config: &ListenConfig) -> Option<u64> {
    let keys = has_static_keys(config) || config.jwks.is_some();
    let usable = keys
        && matches!(timestamp_of(a), Timestamp::Strict(_))
        && a.header(WEBHOOK_ID).is_some_and(is_valid_id);
    timestamp_value(a).filter(|_| usable)
}

/// The signature verdict on arrival, over the whole `body`, exactly as
/// `sender/signature-verifies` would reach it; `None` when that case would skip `a`.
pub(crate) fn verdict_on_arrival(
    a: &AttemptRecord,
    body: &[u8],
    config: &ListenConfig,
) -> Option<Result<(), String>> {
    let ts = arrival_timestamp(a, config)?;
    Some(verify_attempt(a, body, ts, config, has_static_keys(config)))
}

fn has_static_keys(config: &ListenConfig) -> bool {
    config.verifier.secrets().next().is_some() || !config.verifier.public_keys().is_empty()
}

/// Verifies one attempt with the static keys, then the JWKS keys; the reasons of each on
/// failure. The timestamp is judged by its own cases: verifying as of the attempt's own
/// timestamp keeps a stale timestamp from hiding whether the signature itself is right.
fn verify_attempt(
    a: &AttemptRecord,
    body: &[u8],
    ts: u64,
    config: &ListenConfig,
    static_keys: bool,
) -> Result<(), String> {
    let headers = a.headers.as_slice();
    let mut reasons = Vec::new();
    if static_keys {
        match config
            .verifier
            .clone()
            .svix_aliases(false)
            .verify_at(headers, body, ts)
        {
            Ok(_) => return Ok(()),
            Err(error) => reasons.push(format!("{error} [{}]", error.code())),
        }
    }
    if let Some(jwks) = &config.jwks {
        match jwks
            .verifier
            .clone()
            .svix_aliases(false)
            .verify_at(&jwks.set, headers, body, ts)
        {
            Ok(_) => return Ok(()),
            Err(error) => reasons.push(format!("JWKS: {error} [{}]", error.code())),
        }
    }
    Err(reasons.join("; "))
}

/// A `hookspec verify` command that replays an attempt, when its body and headers can be
/// written in single quotes on one line. The secret is left to the environment.
pub(super) fn repro_verify(a: &AttemptRecord) -> Option<String> {
    let quotable =
        |b: &[u8]| b.len() <= 2048 && b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\'');
    let body = a.body.whole()?;
    let mut command = format!(
        "printf '%s' '{}' | hookspec verify",
        std::str::from_utf8(body).ok().filter(|_| quotable(body))?
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
