//! `jwt`: Gemini's documented per-request scheme, the whole `webhook-signature` an RS256
//! JWT whose `kid` names an RSA key of hookspec's key set (`--scheme jwt`). Every negative
//! case changes one thing of a valid token: its algorithm, its key, one claim, its
//! encoding, its size, or the body it travels with.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use super::jwks::{KeySetCheck, keyset_case};
use super::keyset::{Key, KeySet};
use super::{Case, Ctx, Expect, Need, Outcome, Probe, each, probe};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};
use hookspec::internal::jwt;

type Edit = Box<dyn FnOnce(&mut Map<String, Value>, &mut Map<String, Value>)>;

/// The `jwt` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{
        AuthBypass, Canonicalization, EdgeCase, Freshness, KeyConfusion, MalformedInput, Replay,
    };
    use Expect::{Accept, Reject};
    use Level::{Info, Must, Should};
    vec![
        each(
            "jwt/valid",
            Must,
            EdgeCase,
            Accept,
            "An RS256 token by a key of the set, for the configured audience, is accepted",
            "Gemini documents the webhook-signature of per-request webhooks as an RS256 JWT verified by kid against the JWKS",
            |cx| vec![token(cx, &primary(cx), Box::new(|_, _| {})).into()],
        )
        .needs(Need::KeySet),
        each(
            "jwt/alg-none",
            Must,
            AuthBypass,
            Reject,
            "An unsigned token (`alg: none`) is rejected",
            "RFC 8725 section 3.1: the algorithm is pinned by the verifier (RS256), never taken from the token",
            alg_none,
        )
        .needs(Need::KeySet),
        each(
            "jwt/hs256-public-key",
            Must,
            KeyConfusion,
            Reject,
            "An HS256 token keyed with the RSA public key is rejected",
            "RFC 8725 section 2.1 (algorithm confusion): a verifier that takes `alg` from the token and hands the RSA key to HMAC accepts tokens anyone can make",
            hs256_public_key,
        )
        .needs(Need::KeySet),
        each(
            "jwt/unknown-kid",
            Must,
            AuthBypass,
            Reject,
            "A token whose kid is not in the set is rejected",
            "Keys come only from the set: an unknown kid is refused after at most one refetch, never verified against another key",
            |cx| {
                let ks = cx.key_set();
                let kid = format!("{}-unknown", ks.primary.kid);
                vec![token(cx, &ks.attacker.clone(), Box::new(move |h, _| {
                    h.insert("kid".into(), kid.into());
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/untrusted-key",
            Must,
            AuthBypass,
            Reject,
            "A token naming a key of the set but signed by another key is rejected",
            "The RS256 signature must verify under the key the kid names",
            |cx| {
                let ks = cx.key_set();
                let kid = ks.primary.kid.clone();
                vec![token(cx, &ks.attacker.clone(), Box::new(move |h, _| {
                    h.insert("kid".into(), kid.into());
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/embedded-key",
            Must,
            AuthBypass,
            Reject,
            "A token carrying or linking its own key (`jwk`, `jku`, `x5u` headers) is rejected",
            "RFC 8725 section 3.10: keys come from the configured set only; a key the token brings proves nothing",
            embedded_key,
        )
        .needs(Need::KeySet),
        each(
            "jwt/expired",
            Must,
            Replay,
            Reject,
            "A token that expired an hour ago is rejected",
            "RFC 7519 section 4.1.4: a token is not accepted at or after its exp (allowing a small clock skew)",
            |cx| {
                let now = cx.now();
                vec![token(cx, &primary(cx), Box::new(move |_, c| {
                    c.insert("iat".into(), (now - 3900).into());
                    c.insert("exp".into(), (now - 3600).into());
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/not-yet-valid",
            Must,
            Freshness,
            Reject,
            "A token whose nbf is an hour ahead is rejected",
            "RFC 7519 section 4.1.5: a token is not accepted before its nbf (allowing a small clock skew)",
            |cx| {
                let now = cx.now();
                vec![token(cx, &primary(cx), Box::new(move |_, c| {
                    c.insert("nbf".into(), (now + 3600).into());
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/wrong-audience",
            Must,
            AuthBypass,
            Reject,
            "A token for another audience, or with none, is rejected",
            "Gemini's samples check aud: a token minted for another receiver must not pass here",
            |cx| {
                let key = primary(cx);
                vec![
                    probe(
                        "aud of another receiver",
                        token(cx, &key, Box::new(|_, c| {
                            c.insert("aud".into(), "https://other-receiver.example/hook".into());
                        })),
                    ),
                    probe(
                        "no aud",
                        token(cx, &key, Box::new(|_, c| {
                            c.remove("aud");
                        })),
                    ),
                ]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/wrong-issuer",
            Must,
            AuthBypass,
            Reject,
            "A token from another issuer, or with none, is rejected",
            "When the endpoint requires an issuer, iss must equal it",
            |cx| {
                let key = primary(cx);
                vec![
                    probe(
                        "iss of another issuer",
                        token(cx, &key, Box::new(|_, c| {
                            c.insert("iss".into(), "https://issuer.invalid".into());
                        })),
                    ),
                    probe(
                        "no iss",
                        token(cx, &key, Box::new(|_, c| {
                            c.remove("iss");
                        })),
                    ),
                ]
            },
        )
        .needs(Need::JwtIssuer),
        each(
            "jwt/truncated",
            Must,
            AuthBypass,
            Reject,
            "A valid token with its end or its signature segment cut off is rejected",
            "The whole signature must be present and verify",
            |cx| {
                let key = primary(cx);
                let cut = |t: &str| t[..t.len() - 1].to_string();
                let header_claims = |t: &str| t.rsplit_once('.').map(|(hc, _)| hc.to_string()).unwrap_or_default();
                let emptied = |t: &str| format!("{}.", header_claims(t));
                vec![
                    mutated(cx, &key, "last character removed", cut),
                    mutated(cx, &key, "signature segment removed", header_claims),
                    mutated(cx, &key, "signature segment empty", emptied),
                ]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/malformed-base64url",
            Must,
            MalformedInput,
            Reject,
            "A token with characters outside base64url in a segment is rejected",
            "RFC 7515 section 7.1: each segment is base64url without padding",
            |cx| {
                let key = primary(cx);
                let insert = |c: char| move |t: &str| format!("{}{c}{}", &t[..10], &t[10..]);
                vec![
                    mutated(cx, &key, "`+` in the header segment", insert('+')),
                    mutated(cx, &key, "`/` in the header segment", insert('/')),
                    mutated(cx, &key, "a space in the header segment", insert(' ')),
                    mutated(cx, &key, "a fourth segment", |t: &str| format!("{t}.e30")),
                ]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/padded-base64url",
            Should,
            Canonicalization,
            Reject,
            "A valid token with `=` padding appended is rejected",
            "RFC 7515 section 2: base64url here has no padding; a lenient decoder accepts several texts for one token",
            |cx| {
                let key = primary(cx);
                vec![mutated(cx, &key, "`==` appended", |t: &str| format!("{t}=="))]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/oversized",
            Should,
            MalformedInput,
            Reject,
            "A validly signed token of 11 KiB is rejected",
            "Real tokens are under 2 KiB: refuse tokens over a size limit (hookspec: 8 KiB) before parsing, so a flood of huge ones costs nothing",
            |cx| {
                let pad = "A".repeat(11 * 1024);
                vec![token(cx, &primary(cx), Box::new(move |_, c| {
                    c.insert("pad".into(), pad.into());
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/missing-exp",
            Should,
            Replay,
            Reject,
            "A token without exp is rejected",
            "A token that never expires can be replayed for ever; hookspec requires exp (some JWT libraries do not by default)",
            |cx| {
                vec![token(cx, &primary(cx), Box::new(|_, c| {
                    c.remove("exp");
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/crit",
            Should,
            EdgeCase,
            Reject,
            "A token with a critical header extension (`crit`) is rejected",
            "RFC 7515 section 4.1.11: a token whose critical extensions are not understood must be rejected",
            |cx| {
                vec![token(cx, &primary(cx), Box::new(|h, _| {
                    h.insert("crit".into(), json!(["exp"]));
                }))
                .into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/stale-timestamp",
            Should,
            Replay,
            Reject,
            "A valid token with a webhook-timestamp 10 minutes old is rejected",
            "Gemini: reject payloads older than 5 minutes; the webhook-timestamp window applies to JWT deliveries too",
            |cx| {
                let now = cx.now();
                let ks = cx.key_set();
                let id = cx.id();
                let ts = (now - 600).to_string();
                let body = cx.body();
                let t = ks.token(&ks.primary, &id, &ts, &body, move |_, c| {
                    c.insert("exp".into(), (now + 300).into());
                });
                vec![Delivery::signed(id, ts, t, body).into()]
            },
        )
        .needs(Need::KeySet),
        each(
            "jwt/body-replay-bound",
            Must,
            Replay,
            Reject,
            "A token bound to one body (body_sha256) is rejected with another body",
            "hookspec's body_sha256 claim binds the token to the raw body: an endpoint that verifies it must refuse any other body",
            |cx| {
                let ks = cx.key_set();
                let id = cx.id();
                let ts = cx.now().to_string();
                let body = cx.body();
                let bound = ks.token(&ks.primary, &id, &ts, &body, |_, c| {
                    c.insert("body_sha256".into(), jwt::body_sha256(&body).into());
                });
                let other = other_body(&body);
                vec![Delivery::signed(id, ts, bound, other).into()]
            },
        )
        .needs(Need::JwtBodyBinding),
        keyset_case(
            "jwt/body-replay",
            Info,
            Replay,
            "A valid token without a body-binding claim, replayed with another body",
            "Google documents no claim binding the token to the body: such a token proves who sent a delivery, not this body, so within its lifetime it verifies with any body. Recorded, not judged; run with --jwt-body-binding if the endpoint verifies body_sha256",
            KeySetCheck::BodyReplay,
        ),
        keyset_case(
            "jwt/follows-key-url",
            Should,
            AuthBypass,
            "The endpoint never fetches a key set named by a token's jku or x5u header",
            "RFC 8725 section 3.10: a URL from the token is attacker-chosen; fetching it is a server-side request forgery even when the keys are then refused",
            KeySetCheck::DecoyUntouched,
        ),
    ]
}

fn primary(cx: &Ctx) -> Key {
    cx.key_set().primary.clone()
}

/// A fresh delivery with a token by `key`, its header and claims edited.
fn token(cx: &mut Ctx, key: &Key, edit: Edit) -> Delivery {
    let ks = cx.key_set();
    let id = cx.id();
    let ts = cx.now().to_string();
    let body = cx.body();
    let t = ks.token(key, &id, &ts, &body, edit);
    Delivery::signed(id, ts, t, body)
}

/// A fresh valid delivery by `key` whose token text is changed by `change`.
fn mutated(cx: &mut Ctx, key: &Key, label: &str, change: impl FnOnce(&str) -> String) -> Probe {
    let d = token(cx, key, Box::new(|_, _| {}));
    let t = d
        .first_text(hookspec::WEBHOOK_SIGNATURE)
        .unwrap_or_default();
    probe(label, d.set(hookspec::WEBHOOK_SIGNATURE, change(&t)))
}

/// The issued header and claims of a fresh delivery, for hand-made tokens.
struct Parts {
    id: String,
    ts: String,
    body: Vec<u8>,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

fn parts(cx: &mut Ctx, ks: &KeySet) -> Parts {
    let id = cx.id();
    let now = cx.now();
    let body = cx.body();
    let signer = ks.jwt_signer(&ks.primary).expect("a jwt run has RSA keys");
    Parts {
        header: signer.header(),
        claims: signer.claims(&id, now, &body),
        id,
        ts: now.to_string(),
        body,
    }
}

fn compact_json(header: &Map<String, Value>, claims: &Map<String, Value>) -> (Vec<u8>, Vec<u8>) {
    (
        Value::Object(header.clone()).to_string().into_bytes(),
        Value::Object(claims.clone()).to_string().into_bytes(),
    )
}

fn alg_none(cx: &mut Ctx) -> Vec<Probe> {
    let ks = cx.key_set();
    let mut probes = Vec::new();
    for alg in ["none", "None", "NONE"] {
        let mut p = parts(cx, ks);
        p.header.insert("alg".into(), alg.into());
        let (h, c) = compact_json(&p.header, &p.claims);
        let t = jwt::compact(&h, &c, b"");
        probes.push(probe(
            format!("alg {alg}, unsigned"),
            Delivery::signed(p.id, p.ts, t, p.body),
        ));
    }
    let d = token(
        cx,
        &ks.primary.clone(),
        Box::new(|h, _| {
            h.insert("alg".into(), "none".into());
        }),
    );
    probes.push(probe("alg none, RS256 signature attached", d));
    probes
}

fn hs256_public_key(cx: &mut Ctx) -> Vec<Probe> {
    let ks = cx.key_set();
    let Some(rsa) = ks.primary.rsa() else {
        return Vec::new();
    };
    let public = rsa.public_key();
    let pem = public.to_spki_pem();
    let der = STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap_or_default();
    let secrets: [(&str, Vec<u8>); 4] = [
        ("keyed with the SPKI PEM text", pem.as_bytes().to_vec()),
        (
            "keyed with the PEM without its final newline",
            pem.trim_end().as_bytes().to_vec(),
        ),
        ("keyed with the SPKI DER bytes", der),
        ("keyed with the modulus bytes", public.modulus().to_vec()),
    ];
    secrets
        .into_iter()
        .map(|(label, secret)| {
            let mut p = parts(cx, ks);
            p.header.insert("alg".into(), "HS256".into());
            let (h, c) = compact_json(&p.header, &p.claims);
            let t = jwt::sign_hs256(&h, &c, &secret);
            probe(label, Delivery::signed(p.id, p.ts, t, p.body))
        })
        .collect()
}

fn embedded_key(cx: &mut Ctx) -> Vec<Probe> {
    let ks = cx.key_set();
    let attacker = ks.attacker.clone();
    let attacker_jwk = attacker.jwk().to_json_value();
    let primary_kid = ks.primary.kid.clone();
    let decoy = ks.host.decoy_url();
    let jwk_own_kid = {
        let (jwk, kid) = (attacker_jwk.clone(), attacker.kid.clone());
        token(
            cx,
            &attacker,
            Box::new(move |h, _| {
                h.insert("jwk".into(), jwk);
                h.insert("kid".into(), kid.into());
            }),
        )
    };
    let jwk_set_kid = {
        let jwk = attacker_jwk;
        token(
            cx,
            &attacker,
            Box::new(move |h, _| {
                h.insert("jwk".into(), jwk);
                h.insert("kid".into(), primary_kid.into());
            }),
        )
    };
    let mut probes = vec![
        probe("jwk header with the signing key, its own kid", jwk_own_kid),
        probe(
            "jwk header with the signing key, the kid of a key of the set",
            jwk_set_kid,
        ),
    ];
    for member in ["jku", "x5u"] {
        let (url, kid) = (decoy.clone(), attacker.kid.clone());
        let d = token(
            cx,
            &attacker,
            Box::new(move |h, _| {
                h.insert(member.into(), url.into());
                h.insert("kid".into(), kid.into());
            }),
        );
        probes.push(probe(
            format!("{member} header naming a set with the signing key"),
            d,
        ));
    }
    probes
}

/// Another Gemini body of the same shape: the event turned into `batch.failed`, or
/// `"tampered": true` added when the body is not an event.
pub fn other_body(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut event)) => {
            event.insert("type".into(), "batch.failed".into());
            Value::Object(event).to_string().into_bytes()
        }
        _ => {
            let mut other = body.to_vec();
            other.extend_from_slice(b" ");
            other
        }
    }
}

/// The delivery pair of `jwt/body-replay`: a valid token in the shape Google documents (no
/// binding claim) with the body it was made for, and the same token with another body
/// under a fresh id.
pub fn body_replay_pair(cx: &mut Ctx) -> (Delivery, Delivery) {
    let ks = cx.key_set();
    let id = cx.id();
    let ts = cx.now().to_string();
    let body = cx.body();
    let unbound = ks.token(&ks.primary, &id, &ts, &body, |_, c| {
        c.remove(jwt::CLAIM_BODY_SHA256);
        c.remove(jwt::CLAIM_WEBHOOK_ID);
    });
    let original = Delivery::signed(id, ts.clone(), unbound.clone(), body.clone());
    let replay = Delivery::signed(cx.id(), ts, unbound, other_body(&body));
    (original, replay)
}

/// `jwt/body-replay`: the token with its own body, then with another body.
pub(super) async fn body_replay(session: &dyn super::Session) -> super::Judgement {
    let mut cx = session.plan();
    let (original, replay) = body_replay_pair(&mut cx);
    let first = super::probe("the token with its own body", original);
    let a1 = session.send(&first, None).await;
    let second = super::probe("the same token with another body", replay);
    let a2 = session.send(&second, None).await;
    judge_body_replay(&first, &a1, &second, &a2)
}

/// `jwt/follows-key-url`: whether the decoy key set, named only by the `jku` / `x5u`
/// headers of earlier tokens, was ever fetched.
pub(super) async fn decoy_untouched(session: &dyn super::Session) -> super::Judgement {
    let ks = session
        .keys()
        .key_set
        .as_ref()
        .expect("key-set cases run only with a key set (Need::KeySet)");
    let fetches = ks.host.decoy_fetch_count();
    if fetches == 0 {
        super::Judgement::new(
            super::Outcome::Pass,
            format!(
                "the key set named by jku / x5u headers ({}) was never fetched",
                ks.host.decoy_url()
            ),
            crate::report::Observed::default(),
        )
    } else {
        super::Judgement::new(
            super::Outcome::Breach,
            format!(
                "the endpoint fetched the key set named by a token's jku or x5u header ({}) {fetches} time(s): it follows URLs chosen by whoever sends a token",
                ks.host.decoy_url()
            ),
            crate::report::Observed::default(),
        )
    }
}

/// Whether a token's claims segment lacks both binding claims (for messages).
pub fn is_unbound(token: &str) -> bool {
    token
        .split('.')
        .nth(1)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|c| serde_json::from_slice::<Map<String, Value>>(&c).ok())
        .is_some_and(|c| !c.contains_key(jwt::CLAIM_BODY_SHA256))
}

/// Judges `jwt/body-replay` (INFORMATIONAL whatever happens; the message says what it
/// means).
pub fn judge_body_replay(
    original: &Probe,
    first: &super::Answer,
    replay: &Probe,
    second: &super::Answer,
) -> super::Judgement {
    let message = match (first.is_success(), second.is_success()) {
        (true, true) => format!(
            "accepted with its own body ({}) and with another body ({}): nothing binds this token to the body, as in Google's documented tokens; whoever captures a delivery can resend its token with any body within the token's lifetime and the timestamp window. If the sender binds the body (hookspec's body_sha256), verify it and run with --jwt-body-binding",
            first.short(),
            second.short()
        ),
        (true, false) => format!(
            "accepted with its own body ({}), rejected with another body ({}): the endpoint ties tokens to bodies beyond what Google documents",
            first.short(),
            second.short()
        ),
        (false, _) => format!(
            "a token without a body-binding claim was rejected even with its own body ({}): the endpoint requires a binding claim (with --jwt-body-binding, tokens carry body_sha256)",
            first.short()
        ),
    };
    let decisive = if first.is_success() { replay } else { original };
    let answer = if first.is_success() { second } else { first };
    super::Judgement::new(Outcome::Measured, message, answer.observed())
        .with_delivery(&decisive.delivery)
}
