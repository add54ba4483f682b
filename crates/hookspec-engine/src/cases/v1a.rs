//! `v1a`: Ed25519 signatures (`v1a,<base64 of 64 bytes>`), for endpoints that trust a
//! `whpk_` public key. These cases need the matching `whsk_` signing key
//! (`--signing-key`); without it they are `UNSUPPORTED`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Case, Ctx, Expect, Need, Probe, each, junk_entry};
use crate::delivery::Delivery;
use crate::report::{BugClass, Level};
use hookspec::internal::entry_v1a;
use hookspec::{SigningKey, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};

/// The order of the Ed25519 group, little-endian (RFC 8032: L = 2^252 +
/// 27742317777372353535851937790883648493).
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The `v1a` family.
pub fn cases() -> Vec<Case> {
    use BugClass::{AuthBypass, EdgeCase, KeyConfusion, Replay, Rotation};
    use Expect::*;
    use Level::*;
    vec![
        each(
            "v1a/valid",
            Must,
            EdgeCase,
            Accept,
            "A delivery signed only with the Ed25519 key (v1a) is accepted",
            "R8 (C63): v1a is pure Ed25519 over `id.timestamp.body`",
            |cx| vec![signed(cx, |entry| entry.to_string()).into()],
        )
        .needs(Need::SigningKey),
        each(
            "v1a/after-v1-junk",
            Must,
            Rotation,
            Accept,
            "A valid v1a entry after a junk v1 entry is accepted",
            "R8, R12: every entry of every configured scheme is tried",
            |cx| vec![signed(cx, |entry| format!("{} {entry}", junk_entry())).into()],
        )
        .needs(Need::SigningKey),
        each(
            "v1a/tampered",
            Must,
            AuthBypass,
            Reject,
            "A v1a signature with one bit flipped is rejected",
            "R13: the signature must verify",
            |cx| vec![signed(cx, |entry| mutate(entry, |sig| sig[0] ^= 0x80)).into()],
        )
        .needs(Need::SigningKey),
        each(
            "v1a/untrusted-key",
            Must,
            AuthBypass,
            Reject,
            "A v1a signature by an unknown key, its public key sent in a header, is rejected",
            "R10 (C65): trust only configured public keys, never one that comes with the request",
            untrusted,
        )
        .needs(Need::SigningKey),
        each(
            "v1a/v1-hmac-public-key",
            Must,
            KeyConfusion,
            Reject,
            "A v1 HMAC keyed with the Ed25519 public key's bytes is rejected",
            "R10 (key confusion): the public key is public, so an HMAC keyed with it proves nothing; a v1a endpoint must not also run v1 with its public key as the secret",
            hmac_with_public_key,
        )
        .needs(Need::SigningKey),
        each(
            "v1a/malleated",
            Should,
            Replay,
            Reject,
            "A v1a signature with S replaced by S + L is rejected",
            "R13 (C64): RFC 8032 requires S < L; a lenient verifier accepts a second signature for one message",
            |cx| vec![signed(cx, |entry| mutate(entry, add_l_to_s)).into()],
        )
        .needs(Need::SigningKey),
    ]
}

/// A fresh delivery whose signature header is `list(v1a entry)`.
fn signed(cx: &mut Ctx, list: impl FnOnce(&str) -> String) -> Delivery {
    let d = cx.valid();
    let entry = entry_for(cx.signing_key(), &d);
    d.set(WEBHOOK_SIGNATURE, list(&entry))
}

/// The `v1a,` entry of `key` for a delivery's id, timestamp and body.
fn entry_for(key: &SigningKey, d: &Delivery) -> String {
    let id = d.webhook_id().unwrap_or_default();
    let ts = d.first_text(WEBHOOK_TIMESTAMP).unwrap_or_default();
    entry_v1a(key, id.as_bytes(), ts.as_bytes(), &d.body)
}

/// A delivery signed by a fresh key the endpoint does not know, offering its public key.
fn untrusted(cx: &mut Ctx) -> Vec<Probe> {
    let d = cx.valid();
    let Ok(stranger) = SigningKey::generate() else {
        // No randomness: a fixed key is just as unknown to the endpoint.
        return untrusted_with(d, &SigningKey::from_seed(&[0x42; 32]));
    };
    untrusted_with(d, &stranger)
}

fn untrusted_with(d: Delivery, key: &SigningKey) -> Vec<Probe> {
    let entry = entry_for(key, &d);
    vec![
        d.set(WEBHOOK_SIGNATURE, entry)
            .header("webhook-public-key", key.public_key().to_whpk())
            .into(),
    ]
}

/// `v1,` entries keyed with the public key: its 32 raw bytes, and the text of its `whpk_`
/// and bare base64 forms (what a receiver that reads "the key" as a secret would use).
fn hmac_with_public_key(cx: &mut Ctx) -> Vec<Probe> {
    let public = cx.signing_key().public_key();
    let whpk = public.to_whpk();
    let bare = whpk.trim_start_matches("whpk_").to_string();
    [
        (
            "keyed with the 32 public key bytes",
            public.as_bytes().to_vec(),
        ),
        ("keyed with the whpk_ text", whpk.into_bytes()),
        ("keyed with the base64 text", bare.into_bytes()),
    ]
    .into_iter()
    .map(|(label, key)| {
        let d = cx.valid();
        let id = d.webhook_id().unwrap_or_default();
        let ts = d.first_text(WEBHOOK_TIMESTAMP).unwrap_or_default();
        let tag = super::hmac_tag(
            &key,
            &hookspec::internal::signed_content(id.as_bytes(), ts.as_bytes(), &d.body),
        );
        super::probe(
            label,
            d.set(WEBHOOK_SIGNATURE, format!("v1,{}", STANDARD.encode(tag))),
        )
    })
    .collect()
}

/// `entry` (`v1a,<base64>`) with its 64 signature bytes changed by `change`.
fn mutate(entry: &str, change: impl FnOnce(&mut [u8; 64])) -> String {
    let b64 = entry.strip_prefix("v1a,").unwrap_or(entry);
    let mut sig = [0u8; 64];
    if let Ok(bytes) = STANDARD.decode(b64)
        && bytes.len() == 64
    {
        sig.copy_from_slice(&bytes);
    }
    change(&mut sig);
    format!("v1a,{}", STANDARD.encode(sig))
}

/// Adds L to the scalar S (the second half, little-endian). S < L < 2^253, so the sum
/// fits in 256 bits; it is the same scalar mod L, in non-canonical form.
fn add_l_to_s(sig: &mut [u8; 64]) {
    let mut carry = 0u16;
    for (byte, l) in sig[32..].iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malleated_signatures_differ_but_reduce_to_the_same_scalar() {
        let key = SigningKey::from_seed(&[7; 32]);
        let content = hookspec::internal::signed_content(b"msg_1", b"1700000000", b"{}");
        let sig = key.sign_bytes(&content);
        let mut m = sig;
        add_l_to_s(&mut m);
        assert_ne!(sig, m);
        assert_eq!(sig[..32], m[..32]);
        assert!(key.public_key().verify_strict(&content, &sig));
        assert!(!key.public_key().verify_strict(&content, &m));
        // S + L - L == S: subtract L back.
        let mut borrow = 0i16;
        let mut back = m;
        for (byte, l) in back[32..].iter_mut().zip(L) {
            let diff = i16::from(*byte) - i16::from(l) - borrow;
            borrow = i16::from(diff < 0);
            *byte = diff.rem_euclid(256) as u8;
        }
        assert_eq!(back, sig);
    }
}
