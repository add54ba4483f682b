//! Known-answer vectors V1, V2, V3, V3b and V5 (reference section (b)), in both directions:
//! the signer reproduces the published literal, and the verifier accepts it at its own `now`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::internal::{entry_v1, entry_v1a};
use hookspec::{Scheme, Secret, Signer, SigningKey, Verifier};

use crate::fixtures::*;

/// Signs with `secret` through the public [`Signer`] and checks the literal, then verifies it.
#[track_caller]
fn v1_both_ways(secret: &str, id: &str, ts: u64, body: &[u8], expected: &str) {
    let secret = Secret::parse(secret).unwrap();
    let signed = Signer::new()
        .with_secret(secret.clone())
        .sign(id, ts, body)
        .unwrap();
    assert_eq!(
        signed, expected,
        "signer disagrees with the published vector"
    );
    // The raw entry builder agrees with the signer.
    let ts_text = ts.to_string();
    assert_eq!(
        entry_v1(&secret, id.as_bytes(), ts_text.as_bytes(), body),
        expected
    );

    let hdrs = headers(id.as_bytes(), ts_text.as_bytes(), expected.as_bytes());
    let ok = accepted(
        Verifier::new()
            .with_secret(secret.clone())
            .verify_at(&hdrs, body, ts),
    );
    assert_eq!(ok.id, id);
    assert_eq!(ok.timestamp, ts);
    assert_eq!(ok.matched.scheme, Scheme::V1);
    assert_eq!((ok.matched.key_index, ok.matched.entry_index), (0, 0));
    assert!(!ok.svix_aliases);

    // The acceptance is about this body: one byte more is rejected.
    let mut longer = body.to_vec();
    longer.push(b' ');
    rejected(
        Verifier::new()
            .with_secret(secret)
            .verify_at(&hdrs, &longer, ts),
        "no_matching_signature",
    );
}

#[test]
fn v1_standard_webhooks_vector() {
    v1_both_ways(K, I, N, B, V1_SIG);
}

#[test]
fn v2_rust_library_vector() {
    v1_both_ways(V2_SECRET, V2_ID, V2_TS, V2_BODY, V2_SIG);
}

#[test]
fn v3_one_mebibyte_body() {
    let body = vec![b'a'; 1 << 20];
    v1_both_ways(
        K,
        I,
        N,
        &body,
        "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A=",
    );
}

#[test]
fn v3b_262144_bytes() {
    let body = vec![b'a'; 262_144];
    v1_both_ways(
        K,
        I,
        N,
        &body,
        "v1,Mw4Pe2WgApuT7NSqnSq0PQPV9gbLdggCl9B865x5Xh0=",
    );
}

#[test]
fn v3b_262143_bytes() {
    let body = vec![b'a'; 262_143];
    v1_both_ways(
        K,
        I,
        N,
        &body,
        "v1,NTItnqyWMoFhk2Bbe5V/BMdcFRWgcSQaTgqLHX7FC7c=",
    );
}

#[test]
fn v5_public_key_derived_from_signing_key() {
    let key = v5_signing_key();
    assert_eq!(key.public_key().to_whpk(), V5_WHPK);
    assert_eq!(key.public_key(), v5_public_key());
    // The 64-byte form round-trips, and its 32-byte seed alone is the same key.
    assert_eq!(key.to_whsk(), V5_WHSK);
    let pair = STANDARD
        .decode(V5_WHSK.trim_start_matches("whsk_"))
        .unwrap();
    assert_eq!(pair.len(), 64);
    let seed_only = SigningKey::from_bytes(&pair[..32]).unwrap();
    assert_eq!(seed_only.public_key().to_whpk(), V5_WHPK);
}

#[test]
fn v5_ed25519_both_ways() {
    let key = v5_signing_key();
    let signed = Signer::new()
        .with_signing_key(key.clone())
        .sign(I, N, B)
        .unwrap();
    assert_eq!(signed, V5_SIG, "signer disagrees with the published vector");
    assert_eq!(entry_v1a(&key, I.as_bytes(), N_TEXT.as_bytes(), B), V5_SIG);

    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), V5_SIG.as_bytes());
    let verifier = Verifier::new().with_public_key(v5_public_key());
    let ok = accepted(verifier.verify_at(&hdrs, B, N));
    assert_eq!(ok.id, I);
    assert_eq!(ok.timestamp, N);
    assert_eq!(ok.matched.scheme, Scheme::V1a);
    assert_eq!((ok.matched.key_index, ok.matched.entry_index), (0, 0));
    rejected(
        verifier.verify_at(&hdrs, br#"{"test": 2432232315}"#, N),
        "no_matching_signature",
    );
}

#[test]
fn v1_and_v5_together_sign_as_a_rotation_list() {
    let signed = Signer::new()
        .with_secret(k())
        .with_signing_key(v5_signing_key())
        .sign(I, N, B)
        .unwrap();
    assert_eq!(signed, format!("{V1_SIG} {V5_SIG}"));
}
