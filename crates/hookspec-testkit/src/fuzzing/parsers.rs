//! Fuzz entry points for the parsers: signature lists, timestamps and ids, keys.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::oracle;
use hookspec::internal::{SignatureEntry, is_valid_id, parse_timestamp, signature_entries};
use hookspec::{ErrorCode, KeyError, LengthPolicy, PublicKey, Secret, SigningKey};

/// `webhook-signature` parsing: [`signature_entries`] yields exactly the oracle's entries
/// (same count, same classification, same decoded bytes), and every well-formed entry is the
/// one canonical encoding of its bytes (so no two texts carry the same signature).
pub fn signature_list(data: &[u8]) {
    let parsed: Vec<SignatureEntry<'_>> = signature_entries(data).collect();
    assert_eq!(parsed, oracle::entries(data), "signature list {data:?}");
    let pieces = data.split(|&b| b == b' ').filter(|p| !p.is_empty());
    for (entry, piece) in parsed.iter().zip(pieces) {
        let (version, bytes): (&str, &[u8]) = match entry {
            SignatureEntry::V1(tag) => ("v1", tag),
            SignatureEntry::V1a(sig) => ("v1a", sig),
            _ => continue,
        };
        let canonical = format!("{version},{}", STANDARD.encode(bytes));
        assert_eq!(canonical.as_bytes(), piece, "non-canonical entry accepted");
    }
}

/// `webhook-timestamp` and `webhook-id` parsing: [`parse_timestamp`] accepts exactly the
/// strict grammar (compared with [`oracle::timestamp`]) and round-trips; [`is_valid_id`]
/// matches [`oracle::id`].
pub fn timestamp(data: &[u8]) {
    let parsed = parse_timestamp(data);
    assert_eq!(parsed, oracle::timestamp(data), "timestamp {data:?}");
    if let Some(ts) = parsed {
        assert_eq!(
            ts.to_string().as_bytes(),
            data,
            "timestamp does not round-trip"
        );
    }
    assert_eq!(is_valid_id(data), oracle::id(data), "id {data:?}");
}

/// Key parsing (`whsec_`, `whsk_`, `whpk_`), from text and from raw bytes: the results and
/// error codes match the oracle up to decoding; accepted keys round-trip through their
/// export form; `Debug`/`Display` never show the key text; Ed25519 keys sign and verify.
pub fn keys(data: &[u8]) {
    key_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        key_text(text);
    }
}

fn key_bytes(bytes: &[u8]) {
    match Secret::from_bytes_with(bytes, LengthPolicy::AnyNonEmpty) {
        Ok(secret) => {
            assert_eq!(secret.as_bytes(), bytes);
            let spec = Secret::parse(&secret.to_whsec());
            assert_eq!(
                spec.is_ok(),
                (Secret::MIN_LEN..=Secret::MAX_LEN).contains(&bytes.len())
            );
            assert_redacted(&secret, bytes);
        }
        Err(e) => assert!(bytes.is_empty() && e == KeyError::Empty, "{e:?}"),
    }
    match SigningKey::from_bytes(bytes) {
        Ok(key) => {
            assert!(bytes.len() == 32 || bytes.len() == 64);
            check_signing_key(&key, bytes);
        }
        Err(e) => {
            let code = match bytes.len() {
                0 => "empty_key",
                64 => "key_pair_mismatch",
                _ => "invalid_key_length",
            };
            assert_eq!(e.code(), code);
        }
    }
    match PublicKey::from_bytes(bytes) {
        Ok(key) => check_public_key(&key, bytes),
        Err(e) => match bytes.len() {
            0 => assert_eq!(e, KeyError::Empty),
            32 => assert!(matches!(
                e,
                KeyError::InvalidPublicKey | KeyError::WeakPublicKey
            )),
            _ => assert_eq!(e.code(), "invalid_key_length"),
        },
    }
}

fn key_text(text: &str) {
    for policy in [LengthPolicy::Spec, LengthPolicy::AnyNonEmpty] {
        let parsed = Secret::parse_with(text, policy);
        match (oracle::secret(text, policy), &parsed) {
            (Ok(expected), Ok(secret)) => {
                assert_eq!(secret.as_bytes(), expected.as_slice());
                let canonical = secret.to_whsec();
                assert!(canonical == text || canonical[Secret::PREFIX.len()..] == *text);
            }
            (Err(code), Err(e)) => assert_eq!(e.code(), code, "secret {text:?}"),
            (expected, got) => panic!("secret {text:?}: oracle {expected:?}, parser {got:?}"),
        }
    }
    let signing = SigningKey::parse(text);
    match (oracle::key_text(text, SigningKey::PREFIX), &signing) {
        (Ok(bytes), Ok(key)) => check_signing_key(key, &bytes),
        (Ok(bytes), Err(e)) => assert_eq!(Some(e), SigningKey::from_bytes(&bytes).err().as_ref()),
        (Err(code), Err(e)) => assert_eq!(e.code(), code, "signing key {text:?}"),
        (Err(code), Ok(_)) => panic!("signing key {text:?} accepted; oracle says {code}"),
    }
    let public = PublicKey::parse(text);
    match (oracle::key_text(text, PublicKey::PREFIX), &public) {
        (Ok(bytes), Ok(key)) => check_public_key(key, &bytes),
        (Ok(bytes), Err(e)) => assert_eq!(Some(e), PublicKey::from_bytes(&bytes).err().as_ref()),
        (Err(code), Err(e)) => assert_eq!(e.code(), code, "public key {text:?}"),
        (Err(code), Ok(_)) => panic!("public key {text:?} accepted; oracle says {code}"),
    }
}

fn check_signing_key(key: &SigningKey, bytes: &[u8]) {
    let exported = key.to_whsk();
    let again = SigningKey::parse(&exported).expect("exported whsk_ parses");
    assert_eq!(again.public_key(), key.public_key());
    if bytes.len() == 64 {
        assert_eq!(exported[SigningKey::PREFIX.len()..], STANDARD.encode(bytes));
    }
    let public = PublicKey::from_bytes(key.public_key().as_bytes())
        .expect("a seed's public key is a valid, non-weak point");
    let signature = key.sign_bytes(b"msg_1.1614265330.{}");
    assert!(public.verify_strict(b"msg_1.1614265330.{}", &signature));
    assert!(!public.verify_strict(b"msg_1.1614265331.{}", &signature));
    assert_redacted(key, &bytes[..32]);
}

fn check_public_key(key: &PublicKey, bytes: &[u8]) {
    assert_eq!(key.as_bytes().as_slice(), bytes);
    let again = PublicKey::parse(&key.to_whpk()).expect("exported whpk_ parses");
    assert_eq!(&again, key);
    // One key, one text: the accepted encoding is the canonical encoding of its point.
    let point = ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).expect("accepted");
    assert_eq!(
        point.to_edwards().compress().as_bytes(),
        key.as_bytes(),
        "non-canonical point encoding accepted"
    );
    assert!(!point.is_weak());
}

/// Key types print a prefix, a length and a fingerprint, never the key itself.
fn assert_redacted<K: std::fmt::Debug + std::fmt::Display>(key: &K, bytes: &[u8]) {
    // Shorter keys encode to a few characters that could occur in the redacted text by chance.
    if bytes.len() < 12 {
        return;
    }
    let text = STANDARD.encode(bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    for shown in [format!("{key:?}"), format!("{key}")] {
        assert!(
            !shown.contains(&text) && !shown.contains(&hex),
            "key leaked"
        );
    }
}
