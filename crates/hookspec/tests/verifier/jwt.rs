//! RS256 tokens end to end inside the verifier crate: what [`JwtSigner`] issues (decoded
//! and verified by [`JwksVerifier`]), the token building helpers, the exact edges of the
//! token size and of `exp` / `nbf` / `iat` with the leeway, and the verifier's setters,
//! each through an effect a receiver would see.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookspec::internal::jwt::{
    MAX_TOKEN_LEN, body_sha256, compact, is_jwt_value, sign_hs256, signing_input,
};
use hookspec::{
    ErrorCode, Jwks, JwksVerifier, JwksVerifyError, JwtSigner, Proof, RsaSigningKey, SignError,
    VerifyError,
};
use serde_json::{Value, json};

const KEY_A: &str = include_str!("../../../../tests/keys/rsa-a.pem");
const KEY_B: &str = include_str!("../../../../tests/keys/rsa-b.pem");
const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const NOW: u64 = 1_700_000_000;
const AUD: &str = "https://receiver.example/hook";
const BODY: &[u8] = br#"{"event":"batch.succeeded"}"#;

fn signer() -> JwtSigner {
    JwtSigner::new(RsaSigningKey::from_pem(KEY_A).unwrap(), "rsa-a", AUD)
}

fn jwks() -> Jwks {
    Jwks::new(vec![signer().jwk()])
}

fn verifier() -> JwksVerifier {
    JwksVerifier::new().audience(AUD)
}

fn headers(prefix: &str, timestamp: u64, signature: &str) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}-id"), ID.into()),
        (format!("{prefix}-timestamp"), timestamp.to_string()),
        (format!("{prefix}-signature"), signature.into()),
    ]
}

fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// A token over `claims` with the issued header, and the verifier's answer at `now`.
fn verify_claims(
    verifier: &JwksVerifier,
    claims: Value,
    now: u64,
) -> Result<hookspec::JwksVerified, JwksVerifyError> {
    let signer = signer();
    let token = signer.sign_json(&Value::Object(signer.header()), &claims);
    verifier.verify_at(&jwks(), &headers("webhook", now, &token), BODY, now)
}

#[test]
fn the_token_helpers_build_the_documented_strings() {
    // SHA-256 of the empty string, unpadded base64url.
    assert_eq!(
        body_sha256(b""),
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    );
    assert_eq!(signing_input(b"{}", b"[]"), "e30.W10");
    assert_eq!(compact(b"{}", b"[]", &[0xfb, 0xff]), "e30.W10.-_8");
    assert_eq!(compact(b"{}", b"[]", b""), "e30.W10.");

    let token = sign_hs256(b"{}", b"[]", b"secret one");
    let (input, tag) = token.rsplit_once('.').unwrap();
    assert_eq!(input, "e30.W10");
    assert_eq!(URL_SAFE_NO_PAD.decode(tag).unwrap().len(), 32);
    assert_eq!(token, sign_hs256(b"{}", b"[]", b"secret one"));
    assert_ne!(token, sign_hs256(b"{}", b"[]", b"secret two"));
}

#[test]
fn a_jwt_value_has_a_dot_and_no_comma() {
    assert!(is_jwt_value(b"a.b.c"));
    assert!(!is_jwt_value(b"abc"));
    assert!(!is_jwt_value(b"v1,abc"));
    assert!(!is_jwt_value(b"v1,a.b"));
}

#[test]
fn the_signer_issues_the_documented_header_and_claims() {
    let signer = signer().issuer("https://sender.example");
    assert_eq!(signer.kid(), "rsa-a");
    let header = Value::Object(signer.header());
    assert_eq!(
        header,
        json!({"alg": "RS256", "kid": "rsa-a", "typ": "JWT"})
    );
    let claims = Value::Object(signer.claims(ID, NOW, BODY));
    let expected = json!({
        "iss": "https://sender.example",
        "aud": AUD,
        "iat": NOW,
        "exp": NOW + 300,
        "webhook_id": ID,
        "body_sha256": body_sha256(BODY),
    });
    assert_eq!(claims, expected);

    let token = signer.sign(ID, NOW, BODY).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(decode(parts[0]), header);
    assert_eq!(decode(parts[1]), expected);
    // The member order is fixed, so the token is too.
    assert_eq!(
        URL_SAFE_NO_PAD.decode(parts[0]).unwrap(),
        br#"{"alg":"RS256","kid":"rsa-a","typ":"JWT"}"#
    );
    assert_eq!(token, signer.sign(ID, NOW, BODY).unwrap());

    let verified = verifier()
        .issuer("https://sender.example")
        .require_body_binding(true)
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, NOW)
        .unwrap();
    assert_eq!(verified.kid.as_deref(), Some("rsa-a"));
    let Proof::Jwt {
        claims,
        id_bound,
        body_bound,
    } = verified.proof
    else {
        panic!("a JWT proof");
    };
    assert_eq!(Value::Object(claims), expected);
    assert!(id_bound && body_bound);
}

#[test]
fn the_signer_refuses_a_bad_id_and_a_zero_timestamp() {
    assert_eq!(
        signer().sign("bad id", NOW, BODY).unwrap_err(),
        SignError::InvalidId
    );
    assert_eq!(
        signer().sign(ID, 0, BODY).unwrap_err(),
        SignError::InvalidTimestamp
    );
    assert!(signer().sign(ID, 1, BODY).is_ok());
}

#[test]
fn sign_json_and_sign_raw_sign_exactly_what_they_are_given() {
    let signer = signer();
    let header = json!({"alg": "RS256", "kid": "rsa-a"});
    let claims = json!({"aud": AUD, "exp": NOW + 10});
    let token = signer.sign_json(&header, &claims);
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(decode(parts[0]), header);
    assert_eq!(decode(parts[1]), claims);
    let public = signer.key().public_key();
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    assert!(public.verify_rs256(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature));
    let verified = verifier()
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, NOW)
        .unwrap();
    assert!(matches!(
        verified.proof,
        Proof::Jwt {
            id_bound: false,
            body_bound: false,
            ..
        }
    ));

    let raw = signer.sign_raw(b"not json", b"[1]");
    let (input, signature) = raw.rsplit_once('.').unwrap();
    assert_eq!(input, signing_input(b"not json", b"[1]"));
    assert!(public.verify_rs256(
        input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).unwrap()
    ));
}

#[test]
fn a_token_of_exactly_the_size_limit_is_read_and_one_byte_more_is_not() {
    let signer = signer();
    // Unpadded base64 never has a length of 4k + 1, so the header gets trailing JSON
    // whitespace as well as the claims a padding member, until the total is exact.
    let header_for = |spaces: usize| {
        let mut header = serde_json::to_vec(&Value::Object(signer.header())).unwrap();
        header.resize(header.len() + spaces, b' ');
        header
    };
    let claims_for = |pad: usize| {
        json!({"aud": AUD, "exp": NOW + 10, "pad": "x".repeat(pad)})
            .to_string()
            .into_bytes()
    };
    let signature_len = URL_SAFE_NO_PAD.encode([0; 256]).len(); // a 2048-bit key
    let (spaces, pad) = (0..3)
        .flat_map(|spaces| (0..MAX_TOKEN_LEN).map(move |pad| (spaces, pad)))
        .find(|&(spaces, pad)| {
            signing_input(&header_for(spaces), &claims_for(pad)).len() + 1 + signature_len
                == MAX_TOKEN_LEN
        })
        .expect("some padding gives exactly the limit");
    let token = signer.sign_raw(&header_for(spaces), &claims_for(pad));
    assert_eq!(token.len(), MAX_TOKEN_LEN);
    verifier()
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, NOW)
        .unwrap();

    let longer = format!("{token}A");
    let error = verifier()
        .verify_at(&jwks(), &headers("webhook", NOW, &longer), BODY, NOW)
        .unwrap_err();
    assert_eq!(
        error,
        JwksVerifyError::JwtTooLarge {
            len: MAX_TOKEN_LEN + 1,
            max: MAX_TOKEN_LEN
        }
    );
}

#[test]
fn exp_nbf_and_iat_edges_with_the_leeway() {
    let verifier = verifier().leeway(Duration::from_secs(30));
    let claims = |extra: Value| {
        let mut claims = json!({"aud": AUD, "exp": NOW + 10});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    };
    // exp: valid while now < exp + leeway.
    verify_claims(&verifier, claims(json!({"exp": NOW - 29})), NOW).unwrap();
    assert_eq!(
        verify_claims(&verifier, claims(json!({"exp": NOW - 30})), NOW).unwrap_err(),
        JwksVerifyError::JwtExpired {
            exp: NOW - 30,
            now: NOW,
            leeway: 30
        }
    );
    // nbf and iat: valid up to now + leeway inclusive.
    verify_claims(&verifier, claims(json!({"nbf": NOW + 30})), NOW).unwrap();
    assert_eq!(
        verify_claims(&verifier, claims(json!({"nbf": NOW + 31})), NOW).unwrap_err(),
        JwksVerifyError::JwtNotYetValid {
            nbf: NOW + 31,
            now: NOW,
            leeway: 30
        }
    );
    verify_claims(&verifier, claims(json!({"iat": NOW + 30})), NOW).unwrap();
    assert_eq!(
        verify_claims(&verifier, claims(json!({"iat": NOW + 31})), NOW).unwrap_err(),
        JwksVerifyError::JwtIssuedInFuture {
            iat: NOW + 31,
            now: NOW,
            leeway: 30
        }
    );
}

#[test]
fn the_leeway_setter_changes_the_edges() {
    assert_eq!(JwksVerifier::new().leeway_secs(), 60);
    let verifier = verifier().leeway(Duration::from_secs(5));
    assert_eq!(verifier.leeway_secs(), 5);
    let claims = json!({"aud": AUD, "exp": NOW - 5});
    assert!(matches!(
        verify_claims(&verifier, claims.clone(), NOW),
        Err(JwksVerifyError::JwtExpired { leeway: 5, .. })
    ));
    // The same token is still inside the default 60 s.
    verify_claims(&self::verifier(), claims, NOW).unwrap();
}

#[test]
fn the_tolerance_setter_changes_the_freshness_window() {
    let token = signer().sign(ID, NOW, BODY).unwrap();
    let strict = verifier().tolerance(Duration::from_secs(10));
    assert_eq!(strict.tolerance_secs(), 10);
    let later = NOW + 11;
    let error = strict
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, later)
        .unwrap_err();
    assert!(
        matches!(
            error,
            JwksVerifyError::Delivery(VerifyError::TimestampTooOld { .. })
        ),
        "{error:?}"
    );
    verifier()
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, later)
        .unwrap();
}

#[test]
fn the_svix_aliases_setter_switches_the_fallback() {
    let token = signer().sign(ID, NOW, BODY).unwrap();
    let svix = headers("svix", NOW, &token);
    let verified = verifier().verify_at(&jwks(), &svix, BODY, NOW).unwrap();
    assert!(verified.svix_aliases);
    let error = verifier()
        .svix_aliases(false)
        .verify_at(&jwks(), &svix, BODY, NOW)
        .unwrap_err();
    assert!(
        matches!(error, JwksVerifyError::Delivery(VerifyError::MissingId)),
        "{error:?}"
    );
}

#[test]
fn only_key_misses_may_trigger_a_refetch() {
    let other = JwtSigner::new(RsaSigningKey::from_pem(KEY_B).unwrap(), "rsa-b", AUD);
    let token = other.sign(ID, NOW, BODY).unwrap();
    let miss = verifier()
        .verify_at(&jwks(), &headers("webhook", NOW, &token), BODY, NOW)
        .unwrap_err();
    assert_eq!(miss.code(), "unknown_kid");
    assert!(miss.is_key_miss());
    let expired =
        verify_claims(&verifier(), json!({"aud": AUD, "exp": NOW - 60}), NOW).unwrap_err();
    assert_eq!(expired.code(), "jwt_expired");
    assert!(!expired.is_key_miss());
}
