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
