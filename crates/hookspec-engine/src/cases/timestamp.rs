//! `timestamp`: freshness. The window is measured by a bounded search on past and future
//! skew; fixed cases check the grammar (`+N`, `N.9`, full-width digits, overflow) and that
//! the timestamp is covered by the signature.
//!
//! Grammar cases send two variants where it matters: signed over the header text exactly
//! as sent (what a receiver that signs the raw header checks), and signed over the plain
//! integer (what a receiver that parses leniently and re-serializes checks).

use super::{
    BoxFuture, Case, Ctx, Expect, Judgement, Kind, Outcome, Phase, Probe, Session, each, probe,
};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};

/// The strict profile's tolerance, each way, in seconds.
pub const TOLERANCE: u64 = 300;
/// Allowance for clock skew and the one-second resolution when judging a measured window.
pub const SKEW_ALLOWANCE: u64 = 5;
/// A past window wider than this is `FAILED`: a day-old capture can be replayed.
pub const MAX_PAST: u64 = 24 * 3600;
/// A future window wider than this is `FAILED`: a delivery can be pre-signed for later.
pub const MAX_FUTURE: u64 = 3600;
/// The farthest skew probed (about ten years): accepted there means no check at all.
pub const PROBE_LIMIT: u64 = 10 * 365 * 86_400;

/// Which side of now a window measurement probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Timestamps in the past (old deliveries, replays).
    Past,
    /// Timestamps in the future (pre-signed deliveries).
    Future,
}

impl Direction {
    /// The timestamp `skew` seconds away from `now` in this direction.
    pub fn apply(self, now: u64, skew: u64) -> u64 {
        match self {
            Self::Past => now.saturating_sub(skew).max(1),
            Self::Future => now.saturating_add(skew),
        }
    }

    /// The widest window that is only `NON-STRICT`; wider is `FAILED`.
    pub fn hard_limit(self) -> u64 {
        match self {
            Self::Past => MAX_PAST,
            Self::Future => MAX_FUTURE,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Past => "old",
            Self::Future => "in the future",
        }
    }

    /// What a conformant endpoint does.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Past => {
                "accepts deliveries up to 300 s old, rejects older ones (more than 24 h is FAILED)"
            }
            Self::Future => {
                "accepts deliveries up to 300 s ahead, rejects later ones (more than 1 h is FAILED)"
            }
        }
    }
}

/// The outcome of a window measurement.
#[derive(Debug, Clone)]
pub struct Window {
    /// The largest skew accepted (0 when even a fresh delivery was rejected).
    pub max_accepted: u64,
    /// The smallest skew rejected, if any was.
    pub min_rejected: Option<u64>,
    /// Whether a fresh delivery (skew 0) was accepted.
    pub fresh_accepted: bool,
    /// How many deliveries the measurement sent.
    pub probes: usize,
    /// The accepted delivery with the largest skew (the evidence), if any.
    pub widest: Option<Delivery>,
    /// The answer to it.
    pub widest_answer: Option<super::Answer>,
}

/// The next skew to probe, given the bracket found so far: `lo` accepted, `hi` rejected
/// (`None` before any rejection). Gallops from 60 s by doubling, then bisects to one
/// second. `None` when the measurement is done.
pub fn next_probe(lo: u64, hi: Option<u64>) -> Option<u64> {
    match hi {
        None if lo >= PROBE_LIMIT => None,
        None => Some(if lo == 0 {
            60
        } else {
            lo.saturating_mul(2).min(PROBE_LIMIT)
        }),
        Some(hi) if hi <= lo.saturating_add(1) => None,
        Some(hi) => Some(lo + (hi - lo) / 2),
    }
}

/// Judges a measured window.
pub fn judge_window(direction: Direction, window: &Window) -> Judgement {
    let w = window.max_accepted;
    let mut observed = window
        .widest_answer
        .as_ref()
        .map(super::Answer::observed)
        .unwrap_or_default();
    let measured = match window.min_rejected {
        Some(r) => format!(
            "accepted up to {w} s {}, rejected from {r} s",
            direction.word()
        ),
        None => format!("accepted even {w} s {} (no limit found)", direction.word()),
    };
    observed.detail = Some(format!("{measured}; {} probes", window.probes));
    let (verdict, message) = if !window.fresh_accepted {
        (
            Outcome::Measured,
            "not measurable: a fresh, valid delivery was rejected".to_string(),
        )
    } else if window.min_rejected.is_none() {
        (
            Outcome::MustBreach,
            format!(
                "no freshness check: a delivery signed {} s {} was accepted",
                w,
                direction.word()
            ),
        )
    } else if w > direction.hard_limit() {
        (
            Outcome::MustBreach,
            format!(
                "window of {w} s {}: more than {} s lets captured deliveries be replayed",
                direction.word(),
                direction.hard_limit()
            ),
        )
    } else if w > TOLERANCE + SKEW_ALLOWANCE {
        (
            Outcome::NonStrict,
            format!(
                "window of {w} s {}, wider than the strict profile's {TOLERANCE} s",
                direction.word()
            ),
        )
    } else {
        (
            Outcome::Measured,
            format!("window of {w} s {}", direction.word()),
        )
    };
    let mut j = Judgement::new(verdict, message, observed);
    if verdict != Outcome::Measured || window.min_rejected.is_none() {
        j.decisive = window.widest.clone();
    }
    j
}

/// The `timestamp` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{Freshness, MalformedInput, Replay};
    use Expect::*;
    use Level::*;
    vec![
        window(
            "timestamp/window-past",
            Direction::Past,
            "How old a delivery may be and still be accepted (measured)",
            "R13 (C34, C35, C37): tolerance each way; strict 300 s; > 24 h is no protection",
        ),
        window(
            "timestamp/window-future",
            Direction::Future,
            "How far in the future a delivery may be and still be accepted (measured)",
            "R13 (C34, C36, C37): tolerance each way; strict 300 s; > 1 h is no protection",
        ),
        each(
            "timestamp/within-tolerance",
            Should,
            Freshness,
            Accept,
            "Deliveries 295 s old and 295 s ahead are accepted",
            "R13 (C34): a narrow window rejects genuine deliveries from senders with clock skew",
            |cx| {
                let now = cx.now();
                vec![
                    probe("295 s old", cx.valid_at(now - (TOLERANCE - 5), cx.body())),
                    probe("295 s ahead", cx.valid_at(now + (TOLERANCE - 5), cx.body())),
                ]
            },
        ),
        each(
            "timestamp/beyond-tolerance-past",
            Should,
            Freshness,
            Reject,
            "A delivery 305 s old is rejected",
            "R13 (C35): strict tolerance 300 s",
            |cx| {
                let now = cx.now();
                vec![cx.valid_at(now - (TOLERANCE + 5), cx.body()).into()]
            },
        ),
        each(
            "timestamp/beyond-tolerance-future",
            Should,
            Freshness,
            Reject,
            "A delivery 305 s in the future is rejected",
            "R13 (C36): strict tolerance 300 s",
            |cx| {
                let now = cx.now();
                vec![cx.valid_at(now + TOLERANCE + 5, cx.body()).into()]
            },
        ),
        each(
            "timestamp/day-old",
            Must,
            Replay,
            Reject,
            "A delivery 25 hours old is rejected",
            "R13: a day-old capture must not replay",
            |cx| {
                let now = cx.now();
                vec![cx.valid_at(now - 25 * 3600, cx.body()).into()]
            },
        ),
        each(
            "timestamp/hours-ahead",
            Must,
            Freshness,
            Reject,
            "A delivery 2 hours in the future is rejected",
            "R13: a future timestamp must not extend a delivery's life",
            |cx| {
                let now = cx.now();
                vec![cx.valid_at(now + 2 * 3600, cx.body()).into()]
            },
        ),
        each(
            "timestamp/tampered",
            Must,
            Replay,
            Reject,
            "A timestamp changed after signing is rejected",
            "R4, R5 (C38): the timestamp is signed; otherwise a capture replays with a fresh timestamp",
            |cx| {
                let now = cx.now();
                let d = cx.valid_at(now - 60, cx.body());
                vec![d.set(hookspec::WEBHOOK_TIMESTAMP, now.to_string()).into()]
            },
        ),
        each(
            "timestamp/not-a-number",
            Must,
            MalformedInput,
            Reject,
            "Timestamps `hello`, empty, `nan`, `inf` are rejected",
            "R11 (C39): an integer Unix timestamp; signed over the text as sent",
            |cx| {
                ["hello", "", "nan", "inf"]
                    .into_iter()
                    .map(|t| raw(cx, t))
                    .collect()
            },
        ),
        each(
            "timestamp/zero-or-negative",
            Must,
            Freshness,
            Reject,
            "Timestamps `0` and `-1`, signed, are rejected",
            "svix #2548 (C51): 1970 is not fresh, whatever the tolerance arithmetic does",
            |cx| ["0", "-1"].into_iter().map(|t| raw(cx, t)).collect(),
        ),
        each(
            "timestamp/i64-min",
            Must,
            MalformedInput,
            Reject,
            "Timestamp -9223372036854775808, signed, is rejected",
            "(C48): `now - ts` overflows i64; std Rust passed the freshness check in release builds",
            |cx| vec![raw(cx, "-9223372036854775808")],
        ),
        each(
            "timestamp/u64-overflow",
            Must,
            MalformedInput,
            Reject,
            "Timestamp 99999999999999999999 (over 2^64), signed, is rejected",
            "R11 (C49): checked arithmetic; never wraps or crashes",
            |cx| vec![raw(cx, "99999999999999999999")],
        ),
        each(
            "timestamp/milliseconds",
            Must,
            Freshness,
            Reject,
            "A timestamp in milliseconds, signed, is rejected (too new)",
            "R11 (C50): seconds since the epoch; milliseconds are 50 000 years ahead",
            |cx| {
                let ms = cx.now().saturating_mul(1000).to_string();
                vec![raw(cx, &ms)]
            },
        ),
        grammar(
            "timestamp/plus-sign",
            "A timestamp with a leading `+` is rejected",
            "R11 (C40): strict grammar `[1-9][0-9]*`",
        ),
        grammar(
            "timestamp/leading-zero",
            "A timestamp with a leading zero is rejected",
            "R11 (C41): strict grammar (Ruby reads a leading 0 as octal)",
        ),
        grammar(
            "timestamp/fraction",
            "A timestamp with a fraction (`N.9`) is rejected",
            "R11 (C43): Python, JS and PHP accept it",
        ),
        grammar(
            "timestamp/exponent",
            "A timestamp in exponent form (`1.7e9`) is rejected",
            "R11 (C44)",
        ),
        grammar(
            "timestamp/trailing-garbage",
            "A timestamp with trailing letters (`Nabc`) is rejected",
            "R11 (C45): JS parseInt and PHP intval accept it",
        ),
        grammar(
            "timestamp/underscores",
            "A timestamp with digit separators (`1_700_000_000`) is rejected",
            "R11 (C46): Python and Ruby accept it",
        ),
        grammar(
            "timestamp/non-ascii-digits",
            "A timestamp in full-width or Arabic-Indic digits is rejected",
            "R11 (C47): ASCII digits only; Python and Java accept other digits",
        ),
    ]
}

fn window(id: &'static str, direction: Direction, title: &'static str, rule: &'static str) -> Case {
    let kind = Kind::Interactive {
        run: match direction {
            Direction::Past => past_window,
            Direction::Future => future_window,
        },
        expected: direction.expected(),
        phase: Phase::Concurrent,
    };
    Case::new(id, Level::Info, BugClass::Freshness, title, rule, kind)
}

fn past_window(session: &dyn Session) -> BoxFuture<'_, Judgement> {
    Box::pin(async move { judge_window(Direction::Past, &measure(session, Direction::Past).await) })
}

fn future_window(session: &dyn Session) -> BoxFuture<'_, Judgement> {
    Box::pin(async move {
        judge_window(
            Direction::Future,
            &measure(session, Direction::Future).await,
        )
    })
}

/// Measures the window in one direction: a fresh delivery, then galloping and bisection on
/// the skew (see [`next_probe`]).
pub async fn measure(session: &dyn Session, direction: Direction) -> Window {
    let mut cx = session.plan();
    let fresh = probe("skew 0 s", cx.valid());
    let answer = session.send(&fresh, None).await;
    let mut window = Window {
        max_accepted: 0,
        min_rejected: None,
        fresh_accepted: answer.is_success(),
        probes: 1,
        widest: None,
        widest_answer: None,
    };
    if !window.fresh_accepted {
        return window;
    }
    while let Some(skew) = next_probe(window.max_accepted, window.min_rejected) {
        let ts = direction.apply(cx.now(), skew);
        let label = format!("skew {skew} s");
        let probe = probe(label, cx.valid_at(ts, cx.body()));
        let answer = session.send(&probe, None).await;
        window.probes += 1;
        if answer.is_success() {
            window.max_accepted = skew;
            window.widest = Some(probe.delivery);
            window.widest_answer = Some(answer);
        } else {
            window.min_rejected = Some(skew);
        }
    }
    window
}

/// A delivery with timestamp header `ts` exactly, signed over that text.
fn raw(cx: &mut Ctx, ts: &str) -> Probe {
    let id = cx.id();
    let body = cx.body();
    let sig = cx.sign(&id, ts, &body);
    probe(format!("ts {ts:?}"), Delivery::signed(id, ts, sig, body))
}

/// The two variants of a grammar case: signed over the text sent, and over the integer.
fn variants(cx: &mut Ctx, text: &str, now: u64) -> Vec<Probe> {
    let id = cx.id();
    let body = cx.body();
    let over_text = cx.sign(&id, text, &body);
    let id2 = cx.id();
    let over_int = cx.sign(&id2, &now.to_string(), &body);
    vec![
        probe(
            format!("ts {text:?} signed as sent"),
            Delivery::signed(id, text, over_text, body.clone()),
        ),
        probe(
            format!("ts {text:?} signed as {now}"),
            Delivery::signed(id2, text, over_int, body),
        ),
    ]
}

/// A SHOULD-reject grammar case: each spelling of now (see [`spellings`]), in both
/// variants. (Plans are plain `fn` pointers, so the spellings are looked up by case id.)
fn grammar(id: &'static str, title: &'static str, rule: &'static str) -> Case {
    each(
        id,
        Level::Should,
        BugClass::MalformedInput,
        Expect::Reject,
        title,
        rule,
        |cx| {
            let now = cx.now();
            spellings(cx.case(), now)
                .into_iter()
                .flat_map(|text| variants(cx, &text, now))
                .collect()
        },
    )
}

/// The timestamp spellings of each grammar case, for the time `now`.
fn spellings(id: &str, now: u64) -> Vec<String> {
    match id {
        "timestamp/plus-sign" => vec![format!("+{now}")],
        "timestamp/leading-zero" => vec![format!("0{now}")],
        "timestamp/fraction" => vec![format!("{now}.9")],
        "timestamp/exponent" => vec![exponent(now)],
        "timestamp/trailing-garbage" => vec![format!("{now}abc")],
        "timestamp/underscores" => vec![underscores(now)],
        "timestamp/non-ascii-digits" => vec![digits(now, '\u{ff10}'), digits(now, '\u{0660}')],
        _ => Vec::new(),
    }
}

/// `now` as `d.ddddde9` (exactly `now`, in exponent notation).
fn exponent(now: u64) -> String {
    let digits = now.to_string();
    let (first, rest) = digits.split_at(1);
    let rest = rest.trim_end_matches('0');
    let exp = digits.len() - 1;
    if rest.is_empty() {
        format!("{first}e{exp}")
    } else {
        format!("{first}.{rest}e{exp}")
    }
}

/// `now` with `_` every three digits from the right.
fn underscores(now: u64) -> String {
    crate::vectors::format::underscores(&now.to_string())
}

/// `now` written with the ten digits starting at `zero` (full-width, Arabic-Indic, …).
fn digits(now: u64, zero: char) -> String {
    now.to_string()
        .chars()
        .map(|c| {
            let offset = c.to_digit(10).unwrap_or(0);
            char::from_u32(zero as u32 + offset).unwrap_or(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_exact() {
        assert_eq!(exponent(1_614_265_330), "1.61426533e9");
        assert_eq!(exponent(1_000_000_000), "1e9");
        assert_eq!(underscores(1_614_265_330), "1_614_265_330");
        assert_eq!(digits(10, '\u{ff10}'), "１０");
        assert_eq!(digits(29, '\u{0660}'), "٢٩");
    }

    #[test]
    fn search_gallops_then_bisects_to_one_second() {
        // Simulate a 300 s window.
        let (mut lo, mut hi, mut probes) = (0u64, None, 0);
        while let Some(skew) = next_probe(lo, hi) {
            probes += 1;
            if skew <= 300 {
                lo = skew;
            } else {
                hi = Some(skew);
            }
        }
        assert_eq!((lo, hi), (300, Some(301)));
        assert!(probes <= 14, "{probes} probes");
        // No limit at all: stops at the probe limit.
        let (mut lo, mut probes) = (0u64, 0);
        while let Some(skew) = next_probe(lo, None) {
            lo = skew;
            probes += 1;
        }
        assert_eq!(lo, PROBE_LIMIT);
        assert!(probes < 30);
    }

    fn window(max: u64, rejected: Option<u64>) -> Window {
        Window {
            max_accepted: max,
            min_rejected: rejected,
            fresh_accepted: true,
            probes: 10,
            widest: None,
            widest_answer: None,
        }
    }

    #[test]
    fn window_judgement_thresholds() {
        let v = |d, max, rej| judge_window(d, &window(max, rej)).outcome;
        assert_eq!(v(Direction::Past, 300, Some(301)), Outcome::Measured);
        assert_eq!(v(Direction::Past, 305, Some(306)), Outcome::Measured);
        assert_eq!(v(Direction::Past, 600, Some(601)), Outcome::NonStrict);
        assert_eq!(v(Direction::Past, 86_400, Some(86_401)), Outcome::NonStrict);
        assert_eq!(
            v(Direction::Past, 90_000, Some(90_001)),
            Outcome::MustBreach
        );
        assert_eq!(v(Direction::Future, 3600, Some(3601)), Outcome::NonStrict);
        assert_eq!(v(Direction::Future, 7200, Some(7201)), Outcome::MustBreach);
        assert_eq!(v(Direction::Future, PROBE_LIMIT, None), Outcome::MustBreach);
        let mut w = window(0, Some(60));
        w.fresh_accepted = false;
        assert_eq!(judge_window(Direction::Past, &w).outcome, Outcome::Measured);
    }

    #[test]
    fn every_grammar_case_has_spellings() {
        for case in cases() {
            if case.level == Level::Should && case.bug_class == BugClass::MalformedInput {
                assert!(!spellings(case.id, 1_700_000_000).is_empty(), "{}", case.id);
            }
        }
    }
}
