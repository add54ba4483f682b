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
//! * `jwks/malformed-key-ignored`: once the set holds keys that do not parse, its valid keys
//!   still verify, the one listed after the bad ones included.
//! * `jwks/unusable-key-refused`: keys the same set publishes for another use, or with
//!   private members, are never used to verify.
//!
//! The rotation cases run after the independent cases, one at a time, in this order. Each
//! waits for a refetch at most [`KeySet::refetch_wait`]; once one wait has passed without
//! the endpoint fetching the set at all, the others send once and do not wait again.

use std::time::Duration;

use super::keyset::{HostileSet, HostileTaken, Key, KeySet, NoRefetch};
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
    /// `jwks/malformed-key-ignored`.
    MalformedKeyIgnored,
    /// `jwks/unusable-key-refused`.
    UnusableKeyRefused,
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
            Self::MalformedKeyIgnored => |s| Box::pin(malformed_key_ignored(s)),
            Self::UnusableKeyRefused => |s| Box::pin(unusable_key_refused(s)),
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
            Self::MalformedKeyIgnored => {
                "once the endpoint has fetched a set holding keys it cannot parse, deliveries signed with the set's valid keys (an old one, and a new one listed after the bad ones) are accepted"
            }
            Self::UnusableKeyRefused => {
                "a delivery signed with a key the set publishes for another use (use: enc, key_ops without verify, an alg of another key type) or with private members is rejected"
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
    use BugClass::{KeyConfusion, MalformedInput, Replay, Rotation};
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
        keyset_case(
            "jwks/malformed-key-ignored",
            Must,
            MalformedInput,
            "A key set with keys that do not parse still verifies with its valid keys",
            "RFC 7517 section 5: a key that cannot be used is ignored, not the set (PyJWT CVE-2026-102274: one malformed key emptied the whole set). Published: an unknown kty (a post-quantum AKP key), an OKP x of 31 bytes, an RSA n in standard base64, then a new valid key",
            KeySetCheck::MalformedKeyIgnored,
        ),
        keyset_case(
            "jwks/unusable-key-refused",
            Must,
            KeyConfusion,
            "Keys a set publishes for another use, or with private members, are not used to verify",
            "RFC 7517 sections 4.2 to 4.4: use other than sig, key_ops without verify, and an alg of another key type forbid verifying; a key published with its private members (d, p, q, …) is compromised",
            KeySetCheck::UnusableKeyRefused,
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

/// `jwks/malformed-key-ignored`: a delivery signed with the primary key, then the
/// [`HostileSet`](super::keyset::HostileSet) published; deliveries signed with its fresh key
/// (listed after the bad ones) are retried until accepted, and once the endpoint has fetched
/// the set, the primary key must still be accepted.
async fn malformed_key_ignored(session: &dyn Session) -> Judgement {
    let ks = key_set(session);
    let mut cx = session.plan();
    let hostile = match ks.hostile_set() {
        Ok(set) => set,
        Err(e) => return Judgement::unsupported(format!("cannot build the key set: {e}")),
    };
    let before = send_signed(
        session,
        &mut cx,
        &ks.primary,
        "before the set changes",
        Some(Expect::Accept),
    )
    .await;
    let fetched = ks.host.fetch_count();
    ks.publish_document(&hostile.document);
    let fresh = retry(session, &mut cx, ks, &hostile.fresh).await;
    let fetches = ks.host.fetch_count().saturating_sub(fetched);
    ks.record_hostile_taken(HostileTaken {
        case: session.case(),
        accepted: fresh.accepted(),
        fetches,
    });
    let after = if fetches > 0 {
        Some(
            send_signed(
                session,
                &mut cx,
                &ks.primary,
                "after the endpoint fetched the set",
                Some(Expect::Accept),
            )
            .await,
        )
    } else {
        None
    };
    judge_malformed_key_ignored(&hostile, &before, &fresh, after.as_ref(), fetches)
}

/// Judges `jwks/malformed-key-ignored`: `before` signed with the primary key before the set
/// changed, `fresh` the retried deliveries signed with the key listed after the bad ones,
/// `after` signed with the primary key once the endpoint fetched the set (`None` when it did
/// not), `fetches` the set's fetches since it was published.
pub fn judge_malformed_key_ignored(
    hostile: &HostileSet,
    before: &(Probe, super::Answer),
    fresh: &Retried,
    after: Option<&(Probe, super::Answer)>,
    fetches: u64,
) -> Judgement {
    let bad = hostile.malformed.join("; ");
    let observed = |answer: &super::Answer| with_fetches(answer.observed(), fetches);
    if !before.1.is_success() {
        return Judgement::new(
            Outcome::Unsupported,
            format!(
                "a delivery signed with the primary key was refused ({}) before the set changed: nothing to compare with",
                before.1.short()
            ),
            observed(&before.1),
        );
    }
    let Some(after) = after else {
        let message = match &fresh.skipped {
            Some(skipped) => not_waiting(skipped, &fresh.answer),
            None => format!(
                "the endpoint never fetched the set during the {:.0} s wait ({} attempt(s), {}), so it cannot be shown to read the bad keys; see jwks/key-added",
                fresh.elapsed.as_secs_f64(),
                fresh.attempts,
                fresh.answer.short()
            ),
        };
        return Judgement::new(Outcome::Unsupported, message, observed(&fresh.answer));
    };
    match (fresh.accepted(), after.1.is_success()) {
        (true, true) => Judgement::new(
            Outcome::Pass,
            format!(
                "with {bad} in the set, the key listed after them was accepted after {} attempt(s) in {:.1} s, and the primary key still is",
                fresh.attempts,
                fresh.elapsed.as_secs_f64()
            ),
            observed(&after.1),
        ),
        (_, false) => Judgement::new(
            Outcome::Breach,
            format!(
                "after fetching a set holding {bad}, the endpoint refuses even the primary key it accepted before ({}){}: one bad key emptied the whole set (the PyJWT CVE-2026-102274 class)",
                after.1.short(),
                if fresh.accepted() {
                    ""
                } else {
                    ", and never accepted the key listed after the bad ones"
                }
            ),
            observed(&after.1),
        )
        .with_delivery(&after.0.delivery),
        (false, true) => Judgement::new(
            Outcome::Breach,
            format!(
                "the endpoint fetched the set {fetches} time(s) but never accepted a delivery signed with {}, listed after {bad} ({} attempt(s) over {:.0} s, {}): it stops reading the set at a key it cannot parse, or keeps its old copy when one key fails",
                hostile.fresh.kid,
                fresh.attempts,
                fresh.elapsed.as_secs_f64(),
                fresh.answer.short()
            ),
            observed(&fresh.answer),
        )
        .with_delivery(&fresh.last.delivery),
    }
}

/// `jwks/unusable-key-refused`: with the [`HostileSet`](super::keyset::HostileSet)
/// published and fetched (its fresh key accepted, by `jwks/malformed-key-ignored` or here),
/// a delivery signed with each key it publishes unusable must be rejected.
async fn unusable_key_refused(session: &dyn Session) -> Judgement {
    let ks = key_set(session);
    let mut cx = session.plan();
    let hostile = match ks.hostile_set() {
        Ok(set) => set,
        Err(e) => return Judgement::unsupported(format!("cannot build the key set: {e}")),
    };
    let taken = match ks.hostile_taken() {
        Some(taken) => taken,
        None => {
            let fetched = ks.host.fetch_count();
            ks.publish_document(&hostile.document);
            let fresh = retry(session, &mut cx, ks, &hostile.fresh).await;
            let taken = HostileTaken {
                case: session.case(),
                accepted: fresh.accepted(),
                fetches: ks.host.fetch_count().saturating_sub(fetched),
            };
            ks.record_hostile_taken(taken.clone());
            if let (false, Some(skipped)) = (fresh.accepted(), &fresh.skipped) {
                return Judgement::new(
                    Outcome::Unsupported,
                    not_waiting(skipped, &fresh.answer),
                    with_fetches(fresh.answer.observed(), taken.fetches),
                );
            }
            taken
        }
    };
    if !taken.accepted {
        let why = match ks.no_refetch().filter(|_| taken.fetches == 0) {
            Some(skipped) => format!(
                "; it was not given another wait: during the {:.0} s {} waited, it never fetched the key set",
                skipped.waited.as_secs_f64(),
                skipped.case
            ),
            None => String::new(),
        };
        return Judgement::new(
            Outcome::Unsupported,
            format!(
                "the endpoint never accepted {}, published with these keys (see {}), so it cannot be shown to hold the set they are in{why}",
                hostile.fresh.kid, taken.case
            ),
            with_fetches(Observed::default(), taken.fetches),
        );
    }
    let mut results = Vec::with_capacity(hostile.unusable.len());
    for (why, key) in &hostile.unusable {
        let p = super::probe(
            format!("{} published with {why}", key.kid),
            signed_with(&mut cx, key),
        );
        let answer = session.send(&p, Some(Expect::Reject)).await;
        results.push((p, answer));
    }
    super::judge::judge_each(Level::Must, Expect::Reject, &results)
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
/// key set's refetch wait is over. A wait that ends without the endpoint fetching the set
/// once is recorded ([`KeySet::record_no_refetch`]); once recorded, later calls send one
/// delivery and do not wait.
async fn retry(session: &dyn Session, cx: &mut Ctx<'_>, ks: &KeySet, key: &Key) -> Retried {
    let started = std::time::Instant::now();
    let fetched = ks.host.fetch_count();
    let known = ks.no_refetch();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (last, answer) = send_signed(session, cx, key, "(newly published)", None).await;
        let over = started.elapsed() + ks.retry_every > ks.refetch_wait;
        if answer.is_success() || over || known.is_some() {
            if over && !answer.is_success() && ks.host.fetch_count() == fetched {
                ks.record_no_refetch(session.case(), started.elapsed());
            }
            return Retried {
                last,
                answer,
                attempts,
                elapsed: started.elapsed(),
                skipped: known.filter(|_| attempts == 1),
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
    /// When it did not wait: the earlier case whose whole wait saw no fetch of the set.
    pub skipped: Option<NoRefetch>,
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
    } else if let Some(skipped) = &added.skipped {
        Judgement::new(
            Outcome::Unsupported,
            not_waiting(skipped, &added.answer),
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
    if let (false, Some(skipped)) = (proof.accepted(), &proof.skipped) {
        return Judgement::new(
            Outcome::Unsupported,
            not_waiting(skipped, &proof.answer),
            with_fetches(proof.answer.observed(), fetches),
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

/// Why a case that needs a refetch did not wait for one.
pub fn not_waiting(skipped: &NoRefetch, answer: &super::Answer) -> String {
    format!(
        "the endpoint refused the newly published key ({}) and was not given another wait: during the {:.0} s {} waited, it never fetched the key set, so it cannot be shown to refetch (see {})",
        answer.short(),
        skipped.waited.as_secs_f64(),
        skipped.case,
        skipped.case
    )
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
