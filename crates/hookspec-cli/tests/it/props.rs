//! Properties of the verifier and signer (proptest, 256 cases each by default; set
//! `PROPTEST_CASES` to run more): sign→verify round trips, single-bit tampering always
//! rejected, a valid entry found anywhere among junk, and parsers that never panic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::internal::{SignatureEntry, entry_v1, entry_v1a, parse_timestamp, signature_entries};
use hookspec::{ErrorCode, PublicKey, Scheme, Secret, Signer, SigningKey, Verifier};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::fixtures::{headers, k, v5_public_key};

/// A valid `webhook-id`: visible ASCII except `.`.
fn id() -> impl Strategy<Value = String> {
    "[!-\\-/-~]{1,64}"
}

/// Any timestamp the strict grammar allows, biased towards realistic ones.
fn timestamp() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..=u64::MAX, 1_000_000_000u64..4_000_000_000, 1u64..1000]
}

/// Raw bodies: empty, arbitrary bytes (mostly not UTF-8), or text.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        6 => vec(any::<u8>(), 0..2048),
        2 => ".{0,200}".prop_map(String::into_bytes),
    ]
}

/// Secret bytes within the spec's 24..=64 range.
fn secret() -> impl Strategy<Value = Secret> {
    vec(any::<u8>(), 24..=64).prop_map(|b| Secret::from_bytes(&b).unwrap())
}

fn signing_key() -> impl Strategy<Value = SigningKey> {
    any::<[u8; 32]>().prop_map(|seed| SigningKey::from_seed(&seed))
}

/// Both keys (an HMAC secret and an Ed25519 key), a delivery (id, timestamp, body), and
/// whether the Ed25519 key signs it (else the secret).
fn either_signed() -> impl Strategy<Value = (Secret, SigningKey, String, u64, Vec<u8>, bool)> {
    (
        secret(),
        signing_key(),
        id(),
        timestamp(),
        body(),
        any::<bool>(),
    )
}

/// A receiver clock within the default 300 s tolerance of `ts`.
fn now_near(ts: u64, offset: i64) -> u64 {
    ts.saturating_add_signed(offset)
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn sign_then_verify_round_trips(
        secret in secret(),
        key in signing_key(),
        id in id(),
        ts in timestamp(),
        body in body(),
        offset in -300i64..=300,
    ) {
        let sig = Signer::new()
            .with_secret(secret.clone())
            .with_signing_key(key.clone())
            .sign(&id, ts, &body)
            .unwrap();
        let ts_text = ts.to_string();
        let hdrs = headers(id.as_bytes(), ts_text.as_bytes(), sig.as_bytes());
        let now = now_near(ts, offset);

        let ok = Verifier::new().with_secret(secret).verify_at(&hdrs, &body, now).unwrap();
        prop_assert_eq!(&ok.id, &id);
        prop_assert_eq!(ok.timestamp, ts);
        prop_assert_eq!((ok.matched.scheme, ok.matched.entry_index), (Scheme::V1, 0));

        let ok = Verifier::new().with_public_key(key.public_key()).verify_at(&hdrs, &body, now).unwrap();
        prop_assert_eq!(ok.timestamp, ts);
        prop_assert_eq!((ok.matched.scheme, ok.matched.entry_index), (Scheme::V1a, 1));
    }

    #[test]
    fn any_single_bit_flip_is_rejected(
        (secret, key, id, ts, body, use_v1a) in either_signed(),
        field in 0usize..4,
        bit in any::<Index>(),
    ) {
        let signer = if use_v1a {
            Signer::new().with_signing_key(key.clone())
        } else {
            Signer::new().with_secret(secret.clone())
        };
        let sig = signer.sign(&id, ts, &body).unwrap();
        let verifier = Verifier::new().with_secret(secret).with_public_key(key.public_key());
        let mut parts = [id.into_bytes(), ts.to_string().into_bytes(), sig.into_bytes(), body];
        // The body may be empty; the other fields never are.
        let field = if parts[3].is_empty() { field % 3 } else { field };
        let target = &mut parts[field];
        let bit = bit.index(target.len() * 8);
        target[bit / 8] ^= 1 << (bit % 8);
        let [id, ts_text, sig, body] = &parts;
        let result = verifier.verify_at(&headers(id, ts_text, sig), body, ts);
        prop_assert!(result.is_err(), "field {} bit {} accepted: {:?}", field, bit, result);
    }

    #[test]
    fn any_single_bit_flip_of_the_decoded_signature_is_rejected(
        (secret, key, id, ts, body, use_v1a) in either_signed(),
        bit in any::<Index>(),
    ) {
        let ts_text = ts.to_string();
        let (mut raw, version) = if use_v1a {
            (key.sign_bytes(&hookspec::internal::signed_content(id.as_bytes(), ts_text.as_bytes(), &body)).to_vec(), "v1a")
        } else {
            (hookspec::internal::tag_v1(&secret, id.as_bytes(), ts_text.as_bytes(), &body).to_vec(), "v1")
        };
        let bit = bit.index(raw.len() * 8);
        raw[bit / 8] ^= 1 << (bit % 8);
        let sig = format!("{version},{}", STANDARD.encode(&raw));
        let verifier = Verifier::new().with_secret(secret).with_public_key(key.public_key());
        let err = verifier
            .verify_at(&headers(id.as_bytes(), ts_text.as_bytes(), sig.as_bytes()), &body, ts)
            .unwrap_err();
        prop_assert_eq!(err.code(), "no_matching_signature");
    }
}

/// An entry that must never verify. Some are built from the valid signature itself.
#[derive(Debug, Clone)]
enum Junk {
    Text(String),
    /// `<valid>,x`: a second comma.
    ValidWithExtraComma,
    /// The valid base64 under an unknown version.
    ValidUnderVersion(&'static str),
    /// The valid base64 without `version,`.
    ValidWithoutVersion,
    /// The valid entry cut short.
    ValidTruncated(Index),
}

fn junk() -> impl Strategy<Value = Junk> {
    let unknown = select(vec!["v2", "V1", "v1b", "v0", "V1A", "v", "v1\t", "1v"]);
    prop_oneof![
        (
            select(vec!["v2", "V1", "v1b", "v0", "V1A", "w1"]),
            any::<[u8; 32]>()
        )
            .prop_map(|(v, b)| Junk::Text(format!("{v},{}", STANDARD.encode(b)))),
        select(vec![
            "v1", "v1,", "v1a,", "v1,AAAA", "garbage", "v1,=", "v1,,", ",", "v1a,AAAA"
        ])
        .prop_map(|s| Junk::Text(s.to_string())),
        any::<[u8; 32]>().prop_map(|b| Junk::Text(format!("v1,{}", STANDARD.encode(b)))),
        vec(any::<u8>(), 64).prop_map(|b| Junk::Text(format!("v1a,{}", STANDARD.encode(b)))),
        vec(any::<u8>(), 0..80).prop_map(|b| Junk::Text(format!("v1,{}", STANDARD.encode(b)))),
        "[!-~]{1,60}".prop_map(Junk::Text),
        Just(Junk::ValidWithExtraComma),
        unknown.prop_map(Junk::ValidUnderVersion),
        Just(Junk::ValidWithoutVersion),
        any::<Index>().prop_map(Junk::ValidTruncated),
    ]
}

impl Junk {
    fn render(&self, valid: &str) -> String {
        let (version, b64) = valid.split_once(',').unwrap();
        match self {
            Self::Text(text) => text.clone(),
            Self::ValidWithExtraComma => format!("{valid},x"),
            Self::ValidUnderVersion(v) => format!("{v},{b64}"),
            Self::ValidWithoutVersion => b64.to_string(),
            Self::ValidTruncated(at) => {
                let cut = version.len() + 1 + at.index(b64.len());
                valid[..cut].to_string()
            }
        }
    }
}

proptest! {
    #[test]
    fn valid_entry_anywhere_among_junk_is_accepted(
        id in id(),
        ts in 1_000_000_000u64..4_000_000_000,
        body in body(),
        use_v1a in any::<bool>(),
        junk in vec(junk(), 0..8),
        position in any::<Index>(),
        gaps in vec(1usize..=3, 9),
    ) {
        let ts_text = ts.to_string();
        let key = crate::fixtures::v5_signing_key();
        let valid = if use_v1a {
            entry_v1a(&key, id.as_bytes(), ts_text.as_bytes(), &body)
        } else {
            entry_v1(&k(), id.as_bytes(), ts_text.as_bytes(), &body)
        };
        let mut entries: Vec<String> = junk.iter().map(|j| j.render(&valid)).collect();
        let position = position.index(entries.len() + 1);
        entries.insert(position, valid);
        // Runs of spaces make empty entries, which are skipped and not counted.
        let mut list = String::new();
        for (entry, gap) in entries.iter().zip(&gaps) {
            list.push_str(entry);
            list.push_str(&" ".repeat(*gap));
        }
        let verifier = Verifier::new().with_secret(k()).with_public_key(v5_public_key());
        let ok = verifier
            .verify_at(&headers(id.as_bytes(), ts_text.as_bytes(), list.as_bytes()), &body, ts)
            .unwrap();
        let scheme = if use_v1a { Scheme::V1a } else { Scheme::V1 };
        prop_assert_eq!((ok.matched.scheme, ok.matched.entry_index), (scheme, position));

        // Without the valid entry the same list is rejected.
        entries.remove(position);
        let junk_only = entries.join(" ");
        let result = verifier.verify_at(&headers(id.as_bytes(), ts_text.as_bytes(), junk_only.as_bytes()), &body, ts);
        prop_assert!(result.is_err(), "junk accepted: {:?}", junk_only);
    }
}

/// Header names the verifier reads, in assorted cases, and some it does not.
fn header_name() -> impl Strategy<Value = &'static str> {
    select(vec![
        "webhook-id",
        "Webhook-Id",
        "webhook-timestamp",
        "WEBHOOK-TIMESTAMP",
        "webhook-signature",
        "Webhook-Signature",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
        "content-type",
    ])
}

/// Header values: arbitrary bytes, or near-valid text that reaches deeper checks.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..80),
        "[0-9]{1,22}".prop_map(String::into_bytes),
        "(v1,|v1a,|v2,| )[A-Za-z0-9+/=, ]{0,100}".prop_map(String::into_bytes),
        id().prop_map(String::into_bytes),
    ]
}

/// Text that looks like a key, so parsing gets past the prefix and into base64 and lengths.
fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(whsec_|whsk_|whpk_|v1,|v1,whsec_)?[A-Za-z0-9+/=_ -]{0,100}",
        (
            select(vec!["", "whsec_", "whsk_", "whpk_"]),
            vec(any::<u8>(), 0..80)
        )
            .prop_map(|(p, b)| format!("{p}{}", STANDARD.encode(b))),
    ]
}

/// The text a parsed key must export to: the input itself, with the prefix made explicit.
fn canonical(text: &str, prefix: &str) -> String {
    if text.starts_with(prefix) {
        text.to_string()
    } else {
        format!("{prefix}{text}")
    }
}

proptest! {
    #[test]
    fn parse_timestamp_is_exactly_canonical_decimal(text in prop_oneof![
        vec(any::<u8>(), 0..30),
        "[0-9]{1,25}".prop_map(String::into_bytes),
        "[+ -]?[0-9]{1,21}[ .e_]?[0-9]{0,3}".prop_map(String::into_bytes),
    ]) {
        let parsed = parse_timestamp(&text);
        // Never panics; accepts exactly the canonical decimal form of a positive u64.
        let expected = std::str::from_utf8(&text)
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && !t.starts_with('0'))
            .and_then(|t| t.parse::<u64>().ok());
        prop_assert_eq!(parsed, expected);
        if let Some(value) = parsed {
            let rendered = value.to_string();
            prop_assert_eq!(rendered.as_bytes(), &text[..]);
        }
    }

    #[test]
    fn parse_timestamp_round_trips(ts in 1u64..=u64::MAX) {
        prop_assert_eq!(parse_timestamp(ts.to_string().as_bytes()), Some(ts));
    }

    #[test]
    fn signature_entries_never_panic_and_only_decode_what_is_there(value in header_value()) {
        for entry in signature_entries(&value) {
            let rendered = match entry {
                SignatureEntry::V1(tag) => format!("v1,{}", STANDARD.encode(tag)),
                SignatureEntry::V1a(sig) => format!("v1a,{}", STANDARD.encode(sig)),
                _ => continue,
            };
            let found = value.split(|&b| b == b' ').any(|e| e == rendered.as_bytes());
            prop_assert!(found, "{:?} not an entry of {:?}", rendered, value);
        }
    }

    #[test]
    fn secret_parse_never_panics_and_is_canonical(text in key_text()) {
        if let Ok(secret) = Secret::parse(&text) {
            prop_assert!((Secret::MIN_LEN..=Secret::MAX_LEN).contains(&secret.len()));
            prop_assert_eq!(secret.to_whsec(), canonical(&text, Secret::PREFIX));
        }
    }

    #[test]
    fn signing_key_parse_never_panics(text in key_text()) {
        if let Ok(key) = SigningKey::parse(&text) {
            // Round trip through the 64-byte export gives the same public key.
            let again = SigningKey::parse(&key.to_whsk()).unwrap();
            prop_assert_eq!(again.public_key(), key.public_key());
        }
    }

    #[test]
    fn public_key_parse_never_panics_and_is_canonical(text in key_text()) {
        if let Ok(key) = PublicKey::parse(&text) {
            prop_assert_eq!(key.to_whpk(), canonical(&text, PublicKey::PREFIX));
        }
    }

    #[test]
    fn verify_never_panics_nor_accepts_arbitrary_headers(
        hdrs in vec((header_name(), header_value()), 0..8),
        body in vec(any::<u8>(), 0..64),
        now in prop_oneof![any::<u64>(), 0u64..10, (u64::MAX - 10)..=u64::MAX],
    ) {
        let verifier = Verifier::new().with_secret(k()).with_public_key(v5_public_key());
        let result = verifier.verify_at(&hdrs, &body, now);
        prop_assert!(result.is_err(), "accepted arbitrary headers: {:?}", result);
    }
}

/// A signature entry's base64 with one character replaced: the near misses a fast decoder
/// could get wrong (bad alphabet, padding in the wrong place, non-zero padding bits).
fn near_canonical_entry() -> impl Strategy<Value = (String, Vec<u8>)> {
    (
        prop_oneof![
            Just(31usize),
            Just(32),
            Just(33),
            Just(63),
            Just(64),
            Just(65)
        ],
        any::<[u8; 65]>(),
        any::<Index>(),
        prop_oneof![select(b"AQgw/+=-_ .,aZ09".to_vec()), any::<u8>(),],
        any::<bool>(),
    )
        .prop_map(|(len, bytes, at, replacement, mutate)| {
            let mut b64 = STANDARD.encode(&bytes[..len]).into_bytes();
            if mutate {
                let at = at.index(b64.len());
                b64[at] = replacement;
            }
            let version = if len > 40 { "v1a" } else { "v1" };
            let mut entry = format!("{version},").into_bytes();
            entry.extend_from_slice(&b64);
            (String::from_utf8_lossy(&entry).into_owned(), entry)
        })
}

proptest! {
    #[test]
    fn signature_entry_decoding_matches_the_base64_crate((text, entry) in near_canonical_entry()) {
        // Reference: strict standard base64 (canonical padding, no trailing bits) of
        // exactly the scheme's length; anything else is skipped as malformed.
        let (version, b64) = entry.split_at(entry.iter().position(|&b| b == b',').unwrap());
        let b64 = &b64[1..];
        let expected = match (version, STANDARD.decode(b64)) {
            (b"v1", Ok(bytes)) if bytes.len() == 32 => Some(bytes),
            (b"v1a", Ok(bytes)) if bytes.len() == 64 => Some(bytes),
            _ => None,
        };
        let parsed: Vec<_> = signature_entries(&entry).collect();
        let decoded = match parsed.as_slice() {
            [SignatureEntry::V1(tag)] => Some(tag.to_vec()),
            [SignatureEntry::V1a(sig)] => Some(sig.to_vec()),
            _ => None,
        };
        if b64.contains(&b' ') {
            // A space splits the entry in two; neither half is a full signature.
            prop_assert!(parsed.iter().all(|e| matches!(e, SignatureEntry::Malformed(_) | SignatureEntry::Unknown { .. })), "{:?}", text);
        } else {
            prop_assert_eq!(decoded, expected, "{:?}", text);
        }
    }
}
