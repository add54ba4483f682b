//! RSA keys and key sets at their limits: moduli of exactly 2048 and 8192 bits and one bit
//! outside, key sets of exactly `JWKS_MAX_BYTES` bytes and `JWKS_MAX_KEYS` keys and one
//! more, and how skipped keys and keys are printed.

use hookspec::{
    JWKS_MAX_BYTES, JWKS_MAX_KEYS, Jwks, JwksError, KeyError, RSA_MAX_BITS, RSA_MIN_BITS,
    RsaPublicKey, RsaSigningKey,
};

const KEY_A: &str = include_str!("../../../../tests/keys/rsa-a.pem");
const KEY_B: &str = include_str!("../../../../tests/keys/rsa-b.pem");
const E: [u8; 3] = [1, 0, 1];

/// An odd modulus of exactly `bits` bits (all ones), which the `rsa` crate accepts.
fn modulus(bits: usize) -> Vec<u8> {
    let mut n = vec![0xff; bits.div_ceil(8)];
    let spare = n.len() * 8 - bits;
    n[0] >>= spare;
    n
}

#[test]
fn rsa_moduli_from_2048_to_8192_bits_are_accepted() {
    let largest = RsaPublicKey::from_components(&modulus(RSA_MAX_BITS), &E).unwrap();
    assert_eq!(largest.bits(), RSA_MAX_BITS);
    let smallest = RsaPublicKey::from_components(&modulus(RSA_MIN_BITS), &E).unwrap();
    assert_eq!(smallest.bits(), RSA_MIN_BITS);
    assert_eq!(
        RsaPublicKey::from_components(&modulus(RSA_MAX_BITS + 1), &E),
        Err(KeyError::RsaKeyTooLarge {
            bits: RSA_MAX_BITS + 1
        })
    );
    assert_eq!(
        RsaPublicKey::from_components(&modulus(RSA_MIN_BITS - 1), &E),
        Err(KeyError::RsaKeyTooSmall {
            bits: RSA_MIN_BITS - 1
        })
    );
}

#[test]
fn an_rsa_key_needs_a_modulus_and_an_exponent() {
    assert_eq!(
        RsaPublicKey::from_components(&[], &E),
        Err(KeyError::InvalidRsaKey)
    );
    assert_eq!(
        RsaPublicKey::from_components(&[0, 0], &E),
        Err(KeyError::InvalidRsaKey)
    );
    assert_eq!(
        RsaPublicKey::from_components(&modulus(RSA_MIN_BITS), &[0]),
        Err(KeyError::InvalidRsaKey)
    );
}

#[test]
fn key_generation_refuses_sizes_outside_the_limits() {
    assert_eq!(
        RsaSigningKey::generate(RSA_MIN_BITS - 1).unwrap_err(),
        KeyError::RsaKeyTooSmall {
            bits: RSA_MIN_BITS - 1
        }
    );
    assert_eq!(
        RsaSigningKey::generate(1024).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    assert_eq!(
        RsaSigningKey::generate(RSA_MAX_BITS + 1).unwrap_err(),
        KeyError::RsaKeyTooLarge {
            bits: RSA_MAX_BITS + 1
        }
    );
    assert_eq!(
        RsaSigningKey::generate(usize::MAX).unwrap_err(),
        KeyError::RsaKeyTooLarge { bits: usize::MAX }
    );
}

#[test]
fn rsa_keys_print_their_size_and_fingerprint_only() {
    let a = RsaSigningKey::from_pem(KEY_A).unwrap();
    let b = RsaSigningKey::from_pem(KEY_B).unwrap();
    let fingerprint = a.public_key().fingerprint();
    assert_eq!(fingerprint.len(), 8);
    assert!(fingerprint.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(fingerprint, b.public_key().fingerprint());
    assert_eq!(
        format!("{:?}", a.public_key()),
        format!("RsaPublicKey(rsa-2048[{fingerprint}])")
    );
    assert_eq!(
        format!("{a:?}"),
        format!("RsaSigningKey(rsa-private[redacted, public rsa-2048[{fingerprint}]])")
    );
}

/// `{"keys":[…]}` with `entries`, padded with trailing spaces to at least `len` bytes.
fn key_set(entries: &[&str], len: usize) -> Vec<u8> {
    let mut document = format!("{{\"keys\":[{}]}}", entries.join(",")).into_bytes();
    document.resize(len.max(document.len()), b' ');
    document
}

#[test]
fn a_key_set_of_exactly_the_byte_limit_is_read() {
    let jwks = Jwks::parse(&key_set(&[], JWKS_MAX_BYTES)).unwrap();
    assert!(jwks.keys().is_empty());
    assert_eq!(
        Jwks::parse(&key_set(&[], JWKS_MAX_BYTES + 1)),
        Err(JwksError::TooLarge {
            len: JWKS_MAX_BYTES + 1,
            max: JWKS_MAX_BYTES
        })
    );
}

#[test]
fn a_key_set_of_exactly_the_key_limit_is_read() {
    let entries = vec![r#"{"kty":"EC"}"#; JWKS_MAX_KEYS];
    let jwks = Jwks::parse(&key_set(&entries, 0)).unwrap();
    assert_eq!(jwks.skipped().len(), JWKS_MAX_KEYS);
    let entries = vec![r#"{"kty":"EC"}"#; JWKS_MAX_KEYS + 1];
    assert_eq!(
        Jwks::parse(&key_set(&entries, 0)),
        Err(JwksError::TooManyKeys {
            count: JWKS_MAX_KEYS + 1,
            max: JWKS_MAX_KEYS
        })
    );
}

#[test]
fn a_skipped_key_says_which_and_why() {
    let jwks = Jwks::parse(br#"{"keys":[{"kty":"EC","kid":"k1"},{"kty":"oct"}]}"#).unwrap();
    let shown: Vec<String> = jwks.skipped().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            r#"key #1 (kid "k1") skipped: key type "EC" is not used by hookspec [jwk_unknown_kty]"#,
            r#"key #2 skipped: key type "oct" is not used by hookspec [jwk_unknown_kty]"#,
        ]
    );
}
