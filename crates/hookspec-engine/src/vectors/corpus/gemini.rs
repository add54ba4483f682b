//! What the two Gemini per-request files share: the clock, id and bodies of their
//! deliveries, and the keys (fixed Ed25519 seeds, the committed RSA test keys).

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{Case, Part};
use crate::gemini::Event;
use hookspec::{Jwk, RsaSigningKey, SigningKey};

/// The receiver clock of every Gemini vector: 2026-01-08T12:00:00Z.
pub(super) const NOW: u64 = 1_767_873_600;
/// A `msg_<uuid>` id, the form observed on Gemini's dynamic deliveries.
pub(super) const ID: &str = "msg_2f1c0b6e-4e0a-4b8e-9a57-0c1d2e3f4a5b";

/// The body of event `event` at [`NOW`], for resource `vectors`.
pub(super) fn event_body(event: Event) -> Vec<u8> {
    event.body("vectors-1", NOW)
}

/// The usual body: `batch.succeeded`.
pub(super) fn body() -> Vec<u8> {
    event_body(Event::BatchSucceeded)
}

/// A delivery of [`body`] at [`NOW`] with `webhook-id: ID`, expected valid.
pub(super) fn case(
    comment: impl Into<String>,
    flags: &[&'static str],
    signature: Vec<Part>,
) -> Case {
    Case::new(comment, flags, signature)
        .at(NOW)
        .id(ID)
        .body(&body())
}

/// The Ed25519 key with the fixed seed `0x2n` repeated (`ed(1)`: seed `21 21 …`).
pub(super) fn ed(n: u8) -> SigningKey {
    SigningKey::from_seed(&[0x20 + n; 32])
}

/// The JWK of `ed(n)` with kid `ed-n`, as hookspec publishes it.
pub(super) fn ed_jwk(n: u8) -> Value {
    Jwk::ed25519(Some(&format!("ed-{n}")), ed(n).public_key()).to_json_value()
}

/// `ed_jwk(n)` with members changed (`Value::Null` removes one).
pub(super) fn ed_jwk_with(n: u8, changes: &[(&str, Value)]) -> Value {
    let mut jwk = ed_jwk(n);
    let object = jwk.as_object_mut().expect("a JWK is an object");
    for (name, value) in changes {
        if value.is_null() {
            object.remove(*name);
        } else {
            object.insert((*name).to_string(), value.clone());
        }
    }
    jwk
}

/// The `x` member of `ed(n)`'s JWK.
pub(super) fn ed_x(n: u8) -> String {
    URL_SAFE_NO_PAD.encode(ed(n).public_key().as_bytes())
}

/// The committed RSA test keys (`tests/keys/`): PEM text and parsed key.
pub(super) struct Rsa {
    pub pem: &'static str,
    pub key: RsaSigningKey,
}

fn load(pem: &'static str) -> Rsa {
    Rsa {
        pem,
        key: RsaSigningKey::from_pem(pem).expect("the committed test key parses"),
    }
}

/// `tests/keys/rsa-a.pem`, published as kid `rsa-a`.
pub(super) static RSA_A: LazyLock<Rsa> =
    LazyLock::new(|| load(include_str!("../../../../../tests/keys/rsa-a.pem")));
/// `tests/keys/rsa-b.pem`, published as kid `rsa-b`.
pub(super) static RSA_B: LazyLock<Rsa> =
    LazyLock::new(|| load(include_str!("../../../../../tests/keys/rsa-b.pem")));
/// `tests/keys/rsa-attacker.pem`, never published.
pub(super) static RSA_ATTACKER: LazyLock<Rsa> =
    LazyLock::new(|| load(include_str!("../../../../../tests/keys/rsa-attacker.pem")));

/// The JWK of an RSA key under `kid`.
pub(super) fn rsa_jwk(rsa: &Rsa, kid: &str) -> Value {
    Jwk::rsa(Some(kid), rsa.key.public_key().clone()).to_json_value()
}

/// A key set document with these keys, in order.
pub(super) fn jwks(keys: Vec<Value>) -> Value {
    json!({ "keys": keys })
}

/// Keys that do not parse, each with what it is: a key type few libraries know yet (a
/// post-quantum ML-DSA-44 key, `kty: AKP` of RFC 9964, with a 1312-byte public key of
/// counting bytes), an Ed25519 key whose `x` is 31 bytes, and an RSA key whose `n`
/// (rsa-b's, its last character removed) is not base64url.
pub(super) fn broken_jwks_keys() -> [(&'static str, Value); 3] {
    let pq_public: Vec<u8> = (0..1312u32).map(|i| (i % 251) as u8).collect();
    let rsa_b = rsa_jwk(&RSA_B, "rsa-broken");
    let n = rsa_b["n"].as_str().expect("an RSA JWK has n");
    [
        (
            "an ML-DSA-44 key of an unknown type (`kty: AKP`)",
            json!({"kty": "AKP", "alg": "ML-DSA-44", "kid": "pq-1", "use": "sig",
                   "pub": URL_SAFE_NO_PAD.encode(&pq_public)}),
        ),
        (
            "an Ed25519 key whose `x` is 31 bytes",
            json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed-short", "use": "sig",
                   "alg": "EdDSA", "x": URL_SAFE_NO_PAD.encode(&ed(3).public_key().as_bytes()[..31])}),
        ),
        (
            "an RSA key whose modulus `n` is not base64url (a character short)",
            json!({"kty": "RSA", "kid": "rsa-broken", "use": "sig", "alg": "RS256",
                   "e": rsa_b["e"], "n": &n[..n.len() - 1]}),
        ),
    ]
}

/// The private members `d`, `p` and `q` of an RSA test key, base64url, as a JWK of the
/// private key carries them.
pub(super) fn rsa_private_members(rsa: &Rsa) -> [(&'static str, String); 3] {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::traits::PrivateKeyParts as _;
    let key = rsa::PrivateKey::from_pkcs8_pem(rsa.pem).expect("the committed test key parses");
    let b64 = |n: &rsa::BoxedUint| URL_SAFE_NO_PAD.encode(n.to_be_bytes_trimmed_vartime());
    let primes = key.primes();
    [
        ("d", b64(key.d())),
        ("p", b64(&primes[0])),
        ("q", b64(&primes[1])),
    ]
}
