//! Key parsing and printing: the length policy's edges, the prefixes, the two Ed25519 key
//! forms, and the redacted `Debug`/`Display` of every key type.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookspec::{ErrorCode, KeyError, LengthPolicy, PublicKey, Secret, SigningKey};

fn whsec(len: usize) -> String {
    format!("whsec_{}", STANDARD.encode(vec![0x5a; len]))
}

#[test]
fn secret_length_policy_edges() {
    assert_eq!(
        Secret::parse(&whsec(23)),
        Err(KeyError::SecretTooShort { len: 23 })
    );
    assert_eq!(Secret::parse(&whsec(24)).unwrap().len(), 24);
    assert_eq!(Secret::parse(&whsec(64)).unwrap().len(), 64);
    assert_eq!(
        Secret::parse(&whsec(65)),
        Err(KeyError::SecretTooLong { len: 65 })
    );
    assert_eq!(
        Secret::parse_with(&whsec(1), LengthPolicy::AnyNonEmpty)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        Secret::parse_with(&whsec(100), LengthPolicy::AnyNonEmpty)
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        Secret::from_bytes_with(&[], LengthPolicy::AnyNonEmpty),
        Err(KeyError::Empty)
    );
    assert_eq!(Secret::from_bytes(&[1; 24]).unwrap().as_bytes(), &[1; 24]);
    assert_eq!(
        Secret::from_bytes(&[1; 23]),
        Err(KeyError::SecretTooShort { len: 23 })
    );
    assert_eq!(LengthPolicy::default(), LengthPolicy::Spec);
}

#[test]
fn secret_text_forms() {
    let bare = STANDARD.encode([7u8; 32]);
    let prefixed = format!("whsec_{bare}");
    assert_eq!(Secret::parse(&bare), Secret::parse(&prefixed));
    assert_eq!(Secret::parse(&prefixed).unwrap().to_whsec(), prefixed);
    assert_eq!(Secret::parse(""), Err(KeyError::Empty));
    assert_eq!(Secret::parse("whsec_"), Err(KeyError::Empty));
    assert_eq!(
        Secret::parse(&format!("whpk_{bare}")),
        Err(KeyError::WrongPrefix {
            expected: "whsec_",
            found: "whpk_"
        })
    );
    assert_eq!(
        Secret::parse(&format!("whsk_{bare}")),
        Err(KeyError::WrongPrefix {
            expected: "whsec_",
            found: "whsk_"
        })
    );
    assert_eq!(
        Secret::parse(&format!("v1,whsec_{bare}")),
        Err(KeyError::MisplacedPrefix { expected: "whsec_" })
    );
    assert_eq!(
        Secret::parse(&format!("whsec_{}", &bare[..bare.len() - 1])),
        Err(KeyError::InvalidBase64)
    );
    assert_eq!(
        Secret::parse(&format!("whsec_ {bare}")),
        Err(KeyError::InvalidBase64)
    );
    let generated = Secret::generate().unwrap();
    assert_eq!(generated.len(), Secret::GENERATED_LEN);
    assert!(!generated.is_empty());
    assert_ne!(generated, Secret::generate().unwrap());
}

#[test]
fn secrets_print_redacted() {
    let secret = Secret::from_bytes(&[0xab; 32]).unwrap();
    let shown = secret.to_string();
    assert!(shown.starts_with("whsec_[redacted 32 B, fp "), "{shown}");
    assert!(shown.contains(&secret.fingerprint()));
    assert_eq!(format!("{secret:?}"), format!("Secret({shown})"));
    assert!(!shown.contains(&STANDARD.encode([0xab; 32])[..8]));
    // The fingerprint: the first 4 bytes of SHA-256 of the key, in hex.
    assert_eq!(
        Secret::from_bytes(&[0; 32]).unwrap().fingerprint(),
        "66687aad"
    );
    assert_eq!(secret.fingerprint().len(), 8);
}

#[test]
fn signing_keys_take_a_seed_or_a_pair() {
    let key = SigningKey::from_seed(&[3; 32]);
    let public = key.public_key();
    let whsk = key.to_whsk();
    assert!(whsk.starts_with("whsk_"));
    let pair = STANDARD.decode(&whsk[5..]).unwrap();
    assert_eq!(pair.len(), 64);
    assert_eq!(&pair[..32], &[3; 32]);
    assert_eq!(&pair[32..], public.as_bytes());
    assert_eq!(SigningKey::parse(&whsk).unwrap().public_key(), public);
    assert_eq!(SigningKey::parse(&whsk[5..]).unwrap().public_key(), public);
    let seed = format!("whsk_{}", STANDARD.encode([3u8; 32]));
    assert_eq!(SigningKey::parse(&seed).unwrap().public_key(), public);
    let mut mismatched = pair.clone();
    mismatched[40] ^= 1;
    assert_eq!(
        SigningKey::from_bytes(&mismatched).err(),
        Some(KeyError::KeyPairMismatch)
    );
    assert_eq!(SigningKey::from_bytes(&[]).err(), Some(KeyError::Empty));
    assert_eq!(SigningKey::parse("").err(), Some(KeyError::Empty));
    assert!(matches!(
        SigningKey::from_bytes(&[1; 33]),
        Err(KeyError::InvalidKeyLength { len: 33, .. })
    ));
    assert!(SigningKey::generate().unwrap().public_key() != public);
    let message = b"id.1.body";
    let signature = key.sign_bytes(message);
    assert!(public.verify_strict(message, &signature));
    assert!(!public.verify_strict(b"id.1.bodx", &signature));
    let shown = key.to_string();
    assert_eq!(
        shown,
        format!("whsk_[redacted, public {}]", public.fingerprint())
    );
    assert_eq!(format!("{key:?}"), format!("SigningKey({shown})"));
}

#[test]
fn public_keys_parse_strictly() {
    let public = SigningKey::from_seed(&[4; 32]).public_key();
    let whpk = public.to_whpk();
    assert_eq!(PublicKey::parse(&whpk), Ok(public));
    assert_eq!(PublicKey::parse(&whpk[5..]), Ok(public));
    assert_eq!(PublicKey::from_bytes(public.as_bytes()), Ok(public));
    let other = SigningKey::from_seed(&[5; 32]).public_key();
    assert_eq!(public.fingerprint().len(), 8);
    assert!(public.fingerprint().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(public.fingerprint(), other.fingerprint());
    assert_eq!(public.to_string(), whpk);
    assert_eq!(format!("{public:?}"), format!("PublicKey({whpk})"));
    assert_eq!(PublicKey::parse(""), Err(KeyError::Empty));
    assert_eq!(PublicKey::parse("whpk_"), Err(KeyError::Empty));
    assert_eq!(
        PublicKey::from_bytes(&[1; 31]),
        Err(KeyError::InvalidKeyLength {
            len: 31,
            expected: "32 bytes"
        })
    );
    // The identity point (small order) and a non-canonical y (y = p, which reduces to 0).
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        PublicKey::from_bytes(&identity),
        Err(KeyError::WeakPublicKey)
    );
    let mut y_is_p = [0xff; 32];
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f;
    assert_eq!(
        PublicKey::from_bytes(&y_is_p),
        Err(KeyError::InvalidPublicKey)
    );
    // y = 2 is not on the curve.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert_eq!(
        PublicKey::from_bytes(&off_curve),
        Err(KeyError::InvalidPublicKey)
    );
}

#[test]
fn error_codes_are_stable() {
    for (error, code) in [
        (KeyError::Empty, "empty_key"),
        (KeyError::InvalidBase64, "invalid_key_base64"),
        (KeyError::SecretTooShort { len: 1 }, "secret_too_short"),
        (KeyError::SecretTooLong { len: 99 }, "secret_too_long"),
        (KeyError::KeyPairMismatch, "key_pair_mismatch"),
        (KeyError::InvalidPublicKey, "invalid_public_key"),
        (KeyError::WeakPublicKey, "weak_public_key"),
        (KeyError::RandomUnavailable, "random_unavailable"),
        (KeyError::InvalidRsaKey, "invalid_rsa_key"),
        (KeyError::InvalidPem, "invalid_key_pem"),
        (KeyError::RsaKeyTooSmall { bits: 1024 }, "rsa_key_too_small"),
        (
            KeyError::RsaKeyTooLarge { bits: 16384 },
            "rsa_key_too_large",
        ),
    ] {
        assert_eq!(error.code(), code, "{error:?}");
    }
}
