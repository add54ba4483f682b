//! `jwks`: endpoints that take their keys from a key set URL (Gemini's per-request
//! webhooks, `--scheme v1a-jwks` or `jwt`). hookspec serves its own set
//! ([`super::keyset`]) at `--jwks-listen`, and these cases change it during the run:
//!
//! * `jwks/second-key`: a delivery signed with the set's second key is accepted (every key
//!   is tried, or the `kid` is looked up).
//! * `jwks/key-added`: a key published mid-run is accepted after the endpoint refetches
//!   (it should refetch when a delivery names a key it lacks; hookspec retries for up to
//!   the refetch wait, so a rate-limited refetch still passes).
//! * `jwks/key-removed`: a key dropped from the set is refused once the endpoint has
//!   refetched (proven by a key published at the same moment being accepted).
//! * `jwks/refetch-flood`: a burst of deliveries naming unknown keys does not make the
//!   endpoint fetch the set once per delivery.
//!
//! The rotation cases run after the independent cases, one at a time, in this order.

use std::time::Duration;

use super::keyset::{Key, KeySet};
use super::{
    Case, Ctx, Expect, Interaction, Judgement, Kind, Need, Outcome, Phase, Probe, Session, each,
};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level, Observed};
use hookspec::Scheme;

/// How many forged deliveries `jwks/refetch-flood` sends.
pub const FLOOD: usize = 20;

/// A check that changes hookspec's published key set during the run, or reads what its
/// key server saw (runs alone, after the concurrent cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySetCheck {
    /// `jwks/key-added`.
    KeyAdded,
    /// `jwks/key-removed`.
    KeyRemoved,
    /// `jwks/refetch-flood`.
    RefetchFlood,
    /// `jwt/follows-key-url`: the endpoint never fetched the decoy set named by `jku` /
    /// `x5u` headers.
    DecoyUntouched,
    /// `jwt/body-replay`: a token without a body binding replayed with another body.
    BodyReplay,
}

impl KeySetCheck {
    /// The check's logic.
    pub fn interaction(self) -> Interaction {
        match self {
            Self::KeyAdded => |s| Box::pin(key_added(s)),
            Self::KeyRemoved => |s| Box::pin(key_removed(s)),
            Self::RefetchFlood => |s| Box::pin(refetch_flood(s)),
            Self::DecoyUntouched => |s| Box::pin(super::jwt::decoy_untouched(s)),
            Self::BodyReplay => |s| Box::pin(super::jwt::body_replay(s)),
        }
    }

    /// One line for reports.
    pub fn expected(self) -> &'static str {
        match self {
            Self::KeyAdded => {
                "a delivery signed with a newly published key is accepted once the endpoint refetches the set (within the refetch wait)"
            }
            Self::KeyRemoved => {
                "once the endpoint has refetched the set, a delivery signed with a key removed from it is rejected"
            }
            Self::RefetchFlood => {
                "deliveries naming unknown keys trigger at most a few refetches, not one each"
            }
            Self::DecoyUntouched => {
                "the endpoint never fetches a key set named by a token's jku or x5u header"
            }
            Self::BodyReplay => {
                "recorded: a token without a body-binding claim cannot be tied to the body (Google documents none)"
            }
        }
    }
}

/// Whether the `jwks` case `id` applies to `scheme`: every one applies to both key-set
/// schemes.
pub fn applies(_id: &str, scheme: Scheme) -> bool {
    scheme.uses_jwks()
}

/// The `jwks` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{Replay, Rotation};
    use Level::{Must, Should};
    vec![
        each(
            "jwks/second-key",
            Must,
            Rotation,
            Expect::Accept,
            "A delivery signed with the set's second key is accepted",
            "Gemini publishes several keys: a v1a entry names none, so every key of the set is tried; a JWT's kid is looked up",
            |cx| {
                let ks = cx.key_set();
                vec![signed_with(cx, &ks.rotation[0]).into()]
            },
        )
        .needs(Need::KeySet),
        keyset_case(
            "jwks/key-added",
            Must,
            Rotation,
            "A key published mid-run is accepted after the endpoint refetches the set",
            "Keys rotate without notice: a receiver refetches the set when a delivery names a key it lacks (rate-limited), or at least when its cache expires",
            KeySetCheck::KeyAdded,
        ),
        keyset_case(
            "jwks/key-removed",
            Must,
            Rotation,
            "A key removed from the set is rejected once the endpoint has refetched it",
            "A removed key may be compromised: a receiver trusts only the keys of its latest copy of the set",
            KeySetCheck::KeyRemoved,
        ),
        keyset_case(
            "jwks/refetch-flood",
            Should,
            Replay,
            "A burst of deliveries naming unknown keys does not make the endpoint hammer the key server",
            "Refetch on a miss, but at most once per interval: otherwise forged deliveries turn the receiver into a load generator against the key server",
            KeySetCheck::RefetchFlood,
        ),
    ]
}

pub(super) fn keyset_case(
    id: &'static str,
    level: Level,
    bug_class: BugClass,
    title: &'static str,
    rule: &'static str,
    check: KeySetCheck,
) -> Case {
    let kind = Kind::Interactive {
        run: check.interaction(),
        expected: check.expected(),
        phase: Phase::Alone,
    };
    Case::new(id, level, bug_class, title, rule, kind).needs(Need::KeySet)
}

/// The key set of a session. Cases that change it declare [`Need::KeySet`], so the runner
/// gives them one.
fn key_set(session: &dyn Session) -> &KeySet {
    session
        .keys()
        .key_set
        .as_ref()
        .expect("key-set cases run only with a key set (Need::KeySet)")
}

/// `jwks/key-added`: publishes a new key, then retries a delivery signed with it.
async fn key_added(session: &dyn Session) -> Judgement {
    let ks = key_set(session);
    let fetched = ks.host.fetch_count();
    let mut cx = session.plan();
    ks.publish(&[&ks.primary, &ks.rotation[0], &ks.rotation[1]]);
    let added = retry(session, &mut cx, ks, &ks.rotation[1]).await;
    judge_key_added(ks, &added, ks.host.fetch_count().saturating_sub(fetched))
}

/// `jwks/key-removed`: a delivery by the doomed key, then the key dropped and another
/// published at the same moment; once that one is accepted (a proven refetch), the doomed
/// key must be refused.
async fn key_removed(session: &dyn Session) -> Judgement {
    let ks = key_set(session);
    let fetched = ks.host.fetch_count();
    let mut cx = session.plan();
    let doomed = &ks.rotation[0];
    let before = send_signed(
        session,
        &mut cx,
        doomed,
        "before its removal",
        Some(Expect::Accept),
    )
    .await;
    ks.publish(&[&ks.primary, &ks.rotation[1], &ks.rotation[2]]);
    let proof = retry(session, &mut cx, ks, &ks.rotation[2]).await;
    let after = if proof.accepted() {
        send_signed(
            session,
            &mut cx,
            doomed,
            "after its removal",
            Some(Expect::Reject),
        )
        .await
    } else {
        (proof.last.clone(), proof.answer.clone())
    };
    let fetches = ks.host.fetch_count().saturating_sub(fetched);
    judge_key_removed(ks, &before, &proof, &after, fetches)
}

/// `jwks/refetch-flood`: [`FLOOD`] forged deliveries naming unknown keys, counting the
/// key server's fetches meanwhile.
async fn refetch_flood(session: &dyn Session) -> Judgement {
    let ks = key_set(session);
    let fetched = ks.host.fetch_count();
    let mut cx = session.plan();
    let started = std::time::Instant::now();
    let mut last = None;
    for n in 0..FLOOD {
        let p = super::probe(
            format!("unknown key #{}", n + 1),
            forged_unknown(&mut cx, n),
        );
        session.send(&p, Some(Expect::Reject)).await;
        last = Some(p.delivery);
    }
    let last = last.unwrap_or_else(|| Delivery::post(Vec::new()));
    judge_flood(
        ks.host.fetch_count().saturating_sub(fetched),
        started.elapsed(),
        &last,
    )
}

/// Sends a fresh delivery signed with `key` of the set.
async fn send_signed(
    session: &dyn Session,
    cx: &mut Ctx<'_>,
    key: &Key,
    label: &str,
    expect: Option<Expect>,
) -> (Probe, super::Answer) {
    let p = super::probe(format!("{} {label}", key.kid), signed_with(cx, key));
    let answer = session.send(&p, expect).await;
    (p, answer)
}

/// Sends deliveries signed with `key` (each freshly signed) until one is accepted or the
/// key set's refetch wait is over.
async fn retry(session: &dyn Session, cx: &mut Ctx<'_>, ks: &KeySet, key: &Key) -> Retried {
    let started = std::time::Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (last, answer) = send_signed(session, cx, key, "(newly published)", None).await;
        if answer.is_success() || started.elapsed() + ks.retry_every > ks.refetch_wait {
            return Retried {
                last,
                answer,
                attempts,
                elapsed: started.elapsed(),
            };
        }
        session.wait(ks.retry_every).await;
    }
}

/// A fresh valid delivery signed with `key` of the set.
pub fn signed_with(cx: &mut Ctx, key: &Key) -> Delivery {
    let ks = cx.key_set();
    let id = cx.id();
    let ts = cx.now().to_string();
    let body = cx.body();
    let signature = ks.signature(key, &id, &ts, &body);
    Delivery::signed(id, ts, signature, body)
}

/// A delivery signed with a key that was never published: for a JWT, under a `kid` that
/// is not in the set either.
pub fn forged_unknown(cx: &mut Ctx, n: usize) -> Delivery {
    let ks = cx.key_set();
    let id = cx.id();
    let ts = cx.now().to_string();
    let body = cx.body();
    let signature = match ks.attacker.rsa() {
        Some(_) => ks.token(&ks.attacker, &id, &ts, &body, |header, _| {
            header.insert(
                "kid".into(),
                format!("{}-unknown-{n}", ks.primary.kid).into(),
            );
        }),
        None => ks.signature(&ks.attacker, &id, &ts, &body),
    };
    Delivery::signed(id, ts, signature, body)
}

/// The outcome of retrying a delivery (freshly signed each time) until it is accepted or
/// the wait is over.
#[derive(Debug, Clone)]
pub struct Retried {
    /// The last delivery sent.
    pub last: Probe,
    /// Its answer.
    pub answer: super::Answer,
    /// How many were sent.
    pub attempts: usize,
    /// How long it took.
    pub elapsed: Duration,
}

impl Retried {
    /// Whether the last attempt was accepted.
    pub fn accepted(&self) -> bool {
        self.answer.is_success()
    }
}

/// Judges `jwks/key-added`.
pub fn judge_key_added(ks: &KeySet, added: &Retried, fetches: u64) -> Judgement {
    let observed = with_fetches(added.answer.observed(), fetches);
    if added.accepted() {
        Judgement::new(
            Outcome::Pass,
            format!(
                "accepted after {} attempt(s) in {:.1} s; the endpoint fetched the set {fetches} time(s) during the case",
                added.attempts,
                added.elapsed.as_secs_f64()
            ),
            observed,
        )
    } else {
        Judgement::new(
            Outcome::Breach,
            format!(
                "a delivery signed with the newly published key {} was still rejected after {} attempt(s) over {:.0} s ({}); the endpoint fetched the set {fetches} time(s): it does not refetch on an unknown key, or caches the set for longer than the wait",
                ks.rotation[1].kid,
                added.attempts,
                added.elapsed.as_secs_f64(),
                added.answer.short()
            ),
            observed,
        )
        .with_delivery(&added.last.delivery)
    }
}

/// Judges `jwks/key-removed`: `before` is the delivery signed with the doomed key before
/// its removal, `proof` the one signed with the key published at the same moment (its
/// acceptance proves a refetch), `after` the doomed key's delivery afterwards.
pub fn judge_key_removed(
    ks: &KeySet,
    before: &(Probe, super::Answer),
    proof: &Retried,
    after: &(Probe, super::Answer),
    fetches: u64,
) -> Judgement {
    let doomed = &ks.rotation[0].kid;
    // A breach shown with the delivery that proves it.
    let breach = |(probe, answer): &(Probe, super::Answer), message: String| {
        Judgement::new(
            Outcome::Breach,
            message,
            with_fetches(answer.observed(), fetches),
        )
        .with_delivery(&probe.delivery)
    };
    if !before.1.is_success() {
        return breach(
            before,
            format!(
                "a delivery signed with {doomed}, published since the start of the run, was rejected ({}) before any rotation",
                before.1.short()
            ),
        );
    }
    if !proof.accepted() {
        return Judgement::new(
            Outcome::Unsupported,
            format!(
                "the endpoint never accepted the key published with the removal ({} after {} attempt(s) over {:.0} s), so it cannot be shown to have refetched the set; see jwks/key-added",
                proof.answer.short(),
                proof.attempts,
                proof.elapsed.as_secs_f64()
            ),
            with_fetches(proof.answer.observed(), fetches),
        );
    }
    if after.1.is_success() {
        return breach(
            after,
            format!(
                "after refetching the set without {doomed} (a delivery signed with the key published at the same time was accepted), the endpoint still accepted a delivery signed with {doomed} ({})",
                after.1.short()
            ),
        );
    }
    Judgement::new(
        Outcome::Pass,
        format!(
            "accepted before its removal, rejected after the refetch ({})",
            after.1.short()
        ),
        with_fetches(after.1.observed(), fetches),
    )
}

/// Judges `jwks/refetch-flood`: `fetches` set fetches during [`FLOOD`] forged deliveries.
pub fn judge_flood(fetches: u64, elapsed: Duration, last: &Delivery) -> Judgement {
    let limit = (FLOOD / 4) as u64;
    let message = format!(
        "{FLOOD} deliveries naming unknown keys in {:.1} s made the endpoint fetch the set {fetches} time(s)",
        elapsed.as_secs_f64()
    );
    let observed = with_fetches(Observed::default(), fetches);
    if fetches > limit {
        Judgement::new(
            Outcome::Breach,
            format!("{message}: more than {limit}; rate-limit refetches (for example at most one per 30 s)"),
            observed,
        )
        .with_delivery(last)
    } else {
        Judgement::new(Outcome::Pass, message, observed)
    }
}

/// Adds the key server's fetch count to the evidence.
pub fn with_fetches(mut observed: Observed, fetches: u64) -> Observed {
    let note = format!("key set fetched {fetches} time(s)");
    observed.detail = Some(match observed.detail {
        Some(detail) => format!("{detail}; {note}"),
        None => note,
    });
    observed
}
