//! The verifier's decisions beyond an error code: which key and entry matched, the counts
//! its errors carry, the order of its checks, the tolerance edges, the `svix-*` fallback,
//! and the signer's refusals. (The vector corpus, `tests/vectors.rs`, pins the codes.)

use std::time::Duration;

use hookspec::internal::{entry_v1, signed_content, tag_v1};
use hookspec::{
    ErrorCode, MatchedKey, PublicKey, Scheme, Secret, SignError, Signer, SigningKey, Verified,
    Verifier, VerifyError,
};

const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: u64 = 1_614_265_330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;

fn secret(byte: u8) -> Secret {
    Secret::from_bytes(&[byte; 32]).unwrap()
}

fn v1(secret: &Secret) -> String {
    entry_v1(secret, ID.as_bytes(), TS.to_string().as_bytes(), BODY)
}

fn headers(signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), ID.into()),
        ("webhook-timestamp".into(), TS.to_string()),
        ("webhook-signature".into(), signature.into()),
    ]
}

fn matched(scheme: Scheme, key_index: usize, entry_index: usize) -> MatchedKey {
    hookspec::internal::matched_key(scheme, key_index, entry_index)
}

#[test]
fn the_published_example_verifies_with_every_field() {
    let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let headers = [
        ("webhook-id", ID),
        ("webhook-timestamp", "1614265330"),
        (
            "webhook-signature",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ),
    ];
    let ok = Verifier::new()
        .with_secret(secret.clone())
        .verify_at(&headers, BODY, TS)
        .unwrap();
    let want: Verified = hookspec::internal::verified(ID, TS, matched(Scheme::V1, 0, 0), false);
    assert_eq!(ok, want);
    assert_eq!(
        Signer::new()
            .with_secret(secret)
            .sign(ID, TS, BODY)
            .unwrap(),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn rotation_reports_the_key_and_entry_that_matched() {
    let (a, b, c) = (secret(1), secret(2), secret(3));
    let verifier = Verifier::new()
        .with_secret(a.clone())
        .with_secret(b.clone())
        .with_secret(c.clone());
    let list = format!("v2,xx {} bogus {}", v1(&secret(9)), v1(&c));
    let ok = verifier.verify_at(&headers(&list), BODY, TS).unwrap();
    assert_eq!(ok.matched, matched(Scheme::V1, 2, 3));
    let ok = verifier
        .verify_at(&headers(&format!("{}  {}", v1(&b), v1(&a))), BODY, TS)
        .unwrap();
    assert_eq!(ok.matched, matched(Scheme::V1, 1, 0));
    // One secret only: the first (and only) key.
    let ok = Verifier::new()
        .with_secret(b.clone())
        .verify_at(&headers(&format!("{} {}", v1(&a), v1(&b))), BODY, TS)
        .unwrap();
    assert_eq!(ok.matched, matched(Scheme::V1, 0, 1));
    assert_eq!(verifier.secrets().count(), 3);
}

#[test]
fn v1a_and_v1_side_by_side() {
    let key = SigningKey::from_seed(&[5; 32]);
    let other = SigningKey::from_seed(&[6; 32]);
    let verifier = Verifier::new()
        .with_public_key(other.public_key())
        .with_public_key(key.public_key())
        .with_secret(secret(1));
    let signature = Signer::new()
        .with_secret(secret(8))
        .with_signing_key(key.clone())
        .sign(ID, TS, BODY)
        .unwrap();
    let ok = verifier.verify_at(&headers(&signature), BODY, TS).unwrap();
    assert_eq!(ok.matched, matched(Scheme::V1a, 1, 1));
    assert_eq!(verifier.public_keys().len(), 2);
    // The v1a message is exactly `id.timestamp.body`.
    let message = signed_content(ID.as_bytes(), TS.to_string().as_bytes(), BODY);
    assert_eq!(message, [ID.as_bytes(), b".1614265330.", BODY].concat());
    assert!(
        key.public_key()
            .verify_strict(&message, &key.sign_bytes(&message))
    );
    assert!(
        !other
            .public_key()
            .verify_strict(&message, &key.sign_bytes(&message))
    );
}

#[test]
fn failures_carry_their_counts() {
    let verifier = Verifier::new().with_secret(secret(1));
    let v1a = format!("v1a,{}", "A".repeat(86) + "==");
    let list = format!("v2,abc v1 v1,AAAA {v1a} {}", v1(&secret(2)));
    assert_eq!(
        verifier.verify_at(&headers(&list), BODY, TS),
        Err(VerifyError::NoMatchingSignature { tried: 1 })
    );
    let list = format!("v2,abc v1 v1,AAAA v3,x {v1a}");
    assert_eq!(
        verifier.verify_at(&headers(&list), BODY, TS),
        Err(VerifyError::NoSupportedSignature {
            entries: 5,
            unknown: 2,
            malformed: 2,
            unusable: 1,
        })
    );
    let list = format!("{} {}", v1(&secret(2)), v1(&secret(3)));
    assert_eq!(
        verifier.verify_at(&headers(&list), BODY, TS),
        Err(VerifyError::NoMatchingSignature { tried: 2 })
    );
    // A v1a verifier given only v1 entries: unusable, not tried.
    let ed = Verifier::new().with_public_key(SigningKey::from_seed(&[1; 32]).public_key());
    assert_eq!(
        ed.verify_at(&headers(&v1(&secret(1))), BODY, TS),
        Err(VerifyError::NoSupportedSignature {
            entries: 1,
            unknown: 0,
            malformed: 0,
            unusable: 1,
        })
    );
    assert_eq!(
        verifier.verify_at(&headers("   "), BODY, TS),
        Err(VerifyError::MissingSignature)
    );
}

#[test]
fn a_tampered_delivery_fails() {
    let s = secret(1);
    let verifier = Verifier::new().with_secret(s.clone());
    let good = v1(&s);
    assert!(verifier.verify_at(&headers(&good), BODY, TS).is_ok());
    assert_eq!(
        verifier.verify_at(&headers(&good), b"{}", TS),
        Err(VerifyError::NoMatchingSignature { tried: 1 })
    );
    let mut h = headers(&good);
    h[0].1 = "msg_other".into();
    assert!(verifier.verify_at(&h, BODY, TS).is_err());
    let mut h = headers(&good);
    h[1].1 = (TS + 1).to_string();
    assert!(verifier.verify_at(&h, BODY, TS).is_err());
    // Each tag byte matters.
    let tag = tag_v1(&s, ID.as_bytes(), TS.to_string().as_bytes(), BODY);
    for i in [0, 7, 8, 15, 16, 31] {
        let mut bad = tag;
        bad[i] ^= 0x01;
        let text = format!("v1,{}", base64_encode(&bad));
        assert!(
            verifier.verify_at(&headers(&text), BODY, TS).is_err(),
            "{i}"
        );
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn tolerance_edges_are_inclusive() {
    let s = secret(1);
    let verifier = Verifier::new().with_secret(s.clone());
    let h = headers(&v1(&s));
    assert!(verifier.verify_at(&h, BODY, TS + 300).is_ok());
    assert!(verifier.verify_at(&h, BODY, TS - 300).is_ok());
    assert_eq!(
        verifier.verify_at(&h, BODY, TS + 301),
        Err(VerifyError::TimestampTooOld {
            age: 301,
            tolerance: 300
        })
    );
    assert_eq!(
        verifier.verify_at(&h, BODY, TS - 301),
        Err(VerifyError::TimestampTooNew {
            ahead: 301,
            tolerance: 300
        })
    );
    let tight = verifier.clone().tolerance(Duration::from_millis(5_999));
    assert_eq!(tight.tolerance_secs(), 5);
    assert!(tight.verify_at(&h, BODY, TS + 5).is_ok());
    assert!(tight.verify_at(&h, BODY, TS - 5).is_ok());
    assert!(tight.verify_at(&h, BODY, TS + 6).is_err());
    assert!(tight.verify_at(&h, BODY, TS - 6).is_err());
    let zero = verifier.clone().tolerance(Duration::ZERO);
    assert!(zero.verify_at(&h, BODY, TS).is_ok());
    assert!(zero.verify_at(&h, BODY, TS + 1).is_err());
    // Saturating arithmetic at the ends of the clock.
    let huge = verifier.tolerance(Duration::from_secs(u64::MAX));
    assert!(huge.verify_at(&h, BODY, 0).is_ok());
    assert!(huge.verify_at(&h, BODY, u64::MAX).is_ok());
}

#[test]
fn checks_run_in_the_documented_order() {
    let none = Verifier::new();
    assert_eq!(
        none.verify_at(&headers(""), BODY, TS),
        Err(VerifyError::NoKeysConfigured)
    );
    let v = Verifier::new().with_secret(secret(1));
    let no_headers: [(&str, &str); 0] = [];
    assert_eq!(
        v.verify_at(&no_headers, BODY, TS),
        Err(VerifyError::MissingId)
    );
    let h = [("webhook-id", "a.b"), ("webhook-timestamp", "x")];
    assert_eq!(v.verify_at(&h, BODY, TS), Err(VerifyError::InvalidId));
    let h = [("webhook-id", "a")];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::MissingTimestamp)
    );
    let h = [("webhook-id", "a"), ("webhook-timestamp", "01")];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::InvalidTimestamp)
    );
    let h = [("webhook-id", "a"), ("webhook-timestamp", "1")];
    assert!(matches!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::TimestampTooOld { .. })
    ));
    let h = [("webhook-id", "a"), ("webhook-timestamp", "1614265330")];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::MissingSignature)
    );
    let h = [
        ("webhook-id", "a"),
        ("webhook-id", "b"),
        ("webhook-timestamp", "1614265330"),
    ];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::ConflictingHeaders {
            header: "webhook-id"
        })
    );
    let h = [
        ("webhook-id", "a"),
        ("webhook-timestamp", "1614265330"),
        ("webhook-timestamp", "1614265331"),
    ];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::ConflictingHeaders {
            header: "webhook-timestamp"
        })
    );
    let h = [
        ("webhook-id", "a"),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", "v1,a"),
        ("webhook-signature", "v1,b"),
    ];
    assert_eq!(
        v.verify_at(&h, BODY, TS),
        Err(VerifyError::ConflictingHeaders {
            header: "webhook-signature"
        })
    );
    assert_eq!(
        VerifyError::ConflictingHeaders { header: "x" }.code(),
        "conflicting_headers"
    );
}

#[test]
fn svix_aliases_only_when_no_webhook_header_is_present() {
    let s = secret(1);
    let v = Verifier::new().with_secret(s.clone());
    let sig = v1(&s);
    let ts = TS.to_string();
    let svix = [
        ("svix-id", ID),
        ("svix-timestamp", ts.as_str()),
        ("svix-signature", sig.as_str()),
    ];
    let ok = v.verify_at(&svix, BODY, TS).unwrap();
    assert!(ok.svix_aliases);
    assert_eq!(ok.id, ID);
    assert_eq!(
        v.clone().svix_aliases(false).verify_at(&svix, BODY, TS),
        Err(VerifyError::MissingId)
    );
    // Never mixed: one webhook-* header makes the svix-* ones invisible.
    let mixed = [
        ("webhook-timestamp", ts.as_str()),
        ("svix-id", ID),
        ("svix-signature", sig.as_str()),
    ];
    assert_eq!(v.verify_at(&mixed, BODY, TS), Err(VerifyError::MissingId));
    let mixed = [
        ("svix-id", ID),
        ("svix-timestamp", ts.as_str()),
        ("webhook-signature", sig.as_str()),
    ];
    assert_eq!(v.verify_at(&mixed, BODY, TS), Err(VerifyError::MissingId));
    let conflicting = [("svix-id", "a"), ("svix-id", "b")];
    assert_eq!(
        v.verify_at(&conflicting, BODY, TS),
        Err(VerifyError::ConflictingHeaders { header: "svix-id" })
    );
    let svix_ts = [("svix-id", ID), ("svix-timestamp", "x")];
    assert_eq!(
        v.verify_at(&svix_ts, BODY, TS),
        Err(VerifyError::InvalidTimestamp)
    );
    let webhook = v.verify_at(&headers(&sig), BODY, TS).unwrap();
    assert!(!webhook.svix_aliases);
}

#[cfg(feature = "http")]
#[test]
fn a_header_map_reads_like_a_list() {
    let s = secret(1);
    let v = Verifier::new().with_secret(s.clone());
    let sig = v1(&s);
    let mut map = http::HeaderMap::new();
    map.insert("host", "example".parse().unwrap());
    map.insert("webhook-id", ID.parse().unwrap());
    map.insert("webhook-timestamp", TS.to_string().parse().unwrap());
    map.insert("webhook-signature", sig.parse().unwrap());
    map.append("webhook-signature", sig.parse().unwrap());
    assert_eq!(v.verify_at(&map, BODY, TS).unwrap().id, ID);
    map.append("webhook-signature", "v1,other".parse().unwrap());
    assert_eq!(
        v.verify_at(&map, BODY, TS),
        Err(VerifyError::ConflictingHeaders {
            header: "webhook-signature"
        })
    );
    let mut svix = http::HeaderMap::new();
    svix.insert("svix-id", ID.parse().unwrap());
    svix.insert("svix-timestamp", TS.to_string().parse().unwrap());
    svix.insert("svix-signature", sig.parse().unwrap());
    assert!(v.verify_at(&svix, BODY, TS).unwrap().svix_aliases);
    assert_eq!(
        hookspec::internal::single_value(&svix, "svix-id"),
        hookspec::internal::HeaderValue::One(ID.as_bytes())
    );
    assert_eq!(
        hookspec::internal::single_value(&svix, "x-other"),
        hookspec::internal::HeaderValue::Absent
    );
}

/// The walk over a header map skips names by length and compares the rest word by word:
/// names of the same length that differ in the first word, in the trailing bytes (before
/// the last, and the last), or in the middle word must all stay apart, and names longer than
/// 64 bytes must still be found.
#[cfg(feature = "http")]
#[test]
fn a_header_map_walk_tells_apart_names_of_the_same_length() {
    use hookspec::internal::{HeaderValue, values_of};
    let long = "x-".repeat(40);
    let mut map = http::HeaderMap::new();
    for (name, value) in [
        ("user-agent", "decoy"),
        ("xebhook-id", "decoy"),
        ("webhook-xd", "decoy"),
        ("webhook-ix", "decoy"),
        ("webhook-tinestamp", "decoy"),
        ("x-forwarded-proto", "decoy"),
        // 10 bytes (a wanted length), ending and continuing like the 17-byte name.
        ("webhook-pp", "decoy"),
        (long.as_str(), "long"),
    ] {
        map.insert(
            http::HeaderName::try_from(name).unwrap(),
            value.parse().unwrap(),
        );
    }
    let wanted = ["webhook-id", "webhook-timestamp", long.as_str()];
    assert_eq!(
        values_of(&map, &wanted),
        [
            HeaderValue::Absent,
            HeaderValue::Absent,
            HeaderValue::One(b"long")
        ]
    );
    map.insert("webhook-id", "msg_1".parse().unwrap());
    map.insert("webhook-timestamp", "1700000000".parse().unwrap());
    assert_eq!(
        values_of(&map, &wanted),
        [
            HeaderValue::One(b"msg_1"),
            HeaderValue::One(b"1700000000"),
            HeaderValue::One(b"long")
        ]
    );
}

/// The fast path of the usual delivery compares the tag as four words. A forgery whose
/// differences from the right tag cancel when folded (the same bits flipped in two words)
/// must still fail, there and in the loop over all entries.
#[test]
fn a_tag_whose_word_differences_cancel_is_refused() {
    let s = secret(1);
    let v = Verifier::new().with_secret(s.clone());
    let tag = tag_v1(&s, ID.as_bytes(), TS.to_string().as_bytes(), BODY);
    for (a, b) in [(0, 8), (8, 24), (0, 31)] {
        let mut forged = tag;
        forged[a] ^= 0x40;
        forged[b] ^= 0x40;
        let entry = format!("v1,{}", base64_encode(&forged));
        assert_eq!(
            v.verify_at(&headers(&entry), BODY, TS),
            Err(VerifyError::NoMatchingSignature { tried: 1 }),
            "bytes {a} and {b}"
        );
    }
}

#[test]
fn the_signer_refuses_what_no_strict_receiver_accepts() {
    let signer = Signer::new().with_secret(secret(1));
    assert_eq!(Signer::new().sign(ID, TS, BODY), Err(SignError::NoKeys));
    assert_eq!(signer.sign("", TS, BODY), Err(SignError::InvalidId));
    assert_eq!(signer.sign("a.b", TS, BODY), Err(SignError::InvalidId));
    assert_eq!(signer.sign(ID, 0, BODY), Err(SignError::InvalidTimestamp));
    assert!(signer.sign(ID, 1, BODY).is_ok());
    assert_eq!(SignError::NoKeys.code(), "no_keys_configured");
    assert_eq!(SignError::InvalidId.code(), "invalid_id");
    assert_eq!(SignError::InvalidTimestamp.code(), "invalid_timestamp");
    let two = signer
        .clone()
        .with_signing_key(SigningKey::from_seed(&[2; 32]));
    assert_eq!(two.keys().len(), 2);
    assert_eq!(two.keys()[0].scheme(), Scheme::V1);
    assert_eq!(two.keys()[1].scheme(), Scheme::V1a);
    let list = two.sign(ID, TS, BODY).unwrap();
    let entries: Vec<&str> = list.split(' ').collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], v1(&secret(1)));
    assert!(entries[1].starts_with("v1a,"));
    let public: PublicKey = SigningKey::from_seed(&[2; 32]).public_key();
    assert!(
        Verifier::new()
            .with_public_key(public)
            .verify_at(&headers(&list), BODY, TS)
            .is_ok()
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let s = Secret::from_bytes(&[0xab; 32]).unwrap();
    let text = format!("{:?}", Verifier::new().with_secret(s.clone()));
    assert!(text.contains("Verifier"));
    assert!(text.contains(&s.fingerprint()), "{text}");
    assert!(!text.contains(&s.to_whsec()[6..]), "{text}");
    assert_eq!(
        format!("{:?}", Verifier::default()),
        format!("{:?}", Verifier::new())
    );
}

/// A header source that only knows how to look one name up: the verifier must find its
/// headers through the trait's default `for_each_value_of`.
struct OneByOne(Vec<(&'static str, String)>);

impl hookspec::HeaderSource for OneByOne {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for (key, value) in &self.0 {
            if *key == name {
                visit(value.as_bytes());
            }
        }
    }
}

#[test]
fn a_source_with_only_per_name_lookup_verifies() {
    let s = secret(1);
    let source = OneByOne(vec![
        ("webhook-id", ID.to_string()),
        ("webhook-timestamp", TS.to_string()),
        ("webhook-signature", v1(&s)),
    ]);
    let ok = Verifier::new()
        .with_secret(s)
        .verify_at(&source, BODY, TS)
        .unwrap();
    assert_eq!(ok.id, ID);
    let list: Vec<(String, String)> = source
        .0
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    assert_eq!(
        hookspec::internal::single_value(&list, "webhook-id"),
        hookspec::internal::HeaderValue::One(ID.as_bytes())
    );
}

#[test]
fn verify_reads_the_system_clock() {
    let now = hookspec::internal::unix_now();
    assert!(now > 1_764_000_000, "{now}");
    let s = secret(1);
    let verifier = Verifier::new().with_secret(s.clone());
    let ts = now.to_string();
    let signature = entry_v1(&s, ID.as_bytes(), ts.as_bytes(), BODY);
    let fresh = [
        ("webhook-id", ID),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", signature.as_str()),
    ];
    assert!(verifier.verify(&fresh, BODY).is_ok());
    assert!(matches!(
        verifier.verify(&headers(&v1(&s)), BODY),
        Err(VerifyError::TimestampTooOld { .. })
    ));
}

#[test]
fn scheme_names_round_trip_and_refuse_others() {
    let error = "v9".parse::<Scheme>().unwrap_err();
    assert_eq!(error.code(), "unknown_scheme");
    assert_eq!(error.0, "v9");
    for scheme in Scheme::ALL {
        assert_eq!(scheme.as_str().parse::<Scheme>(), Ok(scheme));
    }
}
