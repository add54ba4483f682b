//! Gemini per-request webhooks: JWKS parsing, `v1a` with keys from a JWKS, RS256 JWTs, and
//! the fetching cache against a local key server that counts its requests.

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit as _, Mac as _};
use hookspec::internal::jwt;
use hookspec::{
    ErrorCode, Jwk, JwkKey, Jwks, JwksVerified, JwksVerifier, JwksVerifyError, JwtSigner, Proof,
    RsaSigningKey, SigningKey, VerifyError,
};
use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};
use serde_json::{Value, json};

const AUD: &str = "https://receiver.example/gemini-webhook-dynamic";
const NOW: u64 = 1_767_873_600;
const ID: &str = "msg_2f1c0b6e-4e0a-4b8e-9a57-0c1d2e3f4a5b";
const BODY: &[u8] = br#"{"type":"batch.succeeded","version":"v1","timestamp":"2026-01-08T12:00:00Z","data":{"id":"batches/123456","output_file_uri":"gs://my-bucket/results.jsonl"}}"#;

static RSA_A: LazyLock<RsaSigningKey> = LazyLock::new(|| {
    RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-a.pem")).unwrap()
});
static RSA_B: LazyLock<RsaSigningKey> = LazyLock::new(|| {
    RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-b.pem")).unwrap()
});
static RSA_ATTACKER: LazyLock<RsaSigningKey> = LazyLock::new(|| {
    RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-attacker.pem")).unwrap()
});

fn ed(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

fn signer() -> JwtSigner {
    JwtSigner::new(RSA_A.clone(), "rsa-a", AUD)
}

/// Three Ed25519 keys (as Gemini's JWKS was observed to serve) and two RSA keys.
fn set() -> Jwks {
    Jwks::new(vec![
        Jwk::ed25519(Some("ed-1"), ed(1).public_key()),
        Jwk::ed25519(Some("ed-2"), ed(2).public_key()),
        Jwk::ed25519(Some("ed-3"), ed(3).public_key()),
        Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone()),
        Jwk::rsa(Some("rsa-b"), RSA_B.public_key().clone()),
    ])
}

fn headers(id: &str, timestamp: u64, signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature.to_string()),
    ]
}

fn verifier() -> JwksVerifier {
    JwksVerifier::new().audience(AUD)
}

fn verify_token(token: &str) -> Result<JwksVerified, JwksVerifyError> {
    verifier().verify_at(&set(), &headers(ID, NOW, token), BODY, NOW)
}

fn code<T>(result: Result<T, JwksVerifyError>) -> &'static str {
    match result {
        Ok(_) => "accepted",
        Err(error) => error.code(),
    }
}

/// A token signed by `signer()` with edited header and claims.
fn edited(edit_header: impl FnOnce(&mut Value), edit_claims: impl FnOnce(&mut Value)) -> String {
    let s = signer();
    let mut header = Value::Object(s.header());
    let mut claims = Value::Object(s.claims(ID, NOW, BODY));
    edit_header(&mut header);
    edit_claims(&mut claims);
    s.sign_json(&header, &claims)
}

fn v1a(key: &SigningKey, id: &str, timestamp: u64, body: &[u8]) -> String {
    hookspec::Signer::new()
        .with_signing_key(key.clone())
        .sign(id, timestamp, body)
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Parsing

#[test]
fn parses_a_gemini_shaped_key_set() {
    let x = |n: u8| URL_SAFE_NO_PAD.encode(ed(n).public_key().as_bytes());
    let n = URL_SAFE_NO_PAD.encode(RSA_A.public_key().modulus());
    let doc = format!(
        r#"{{"keys":[
          {{"kty":"OKP","crv":"Ed25519","x":"{}","kid":"k1","use":"sig","alg":"EdDSA"}},
          {{"kty":"OKP","crv":"Ed25519","x":"{}","kid":"k2"}},
          {{"kty":"OKP","crv":"Ed25519","x":"{}","kid":"k3","alg":"Ed25519"}},
          {{"kty":"RSA","n":"{n}","e":"AQAB","kid":"r1","alg":"RS256","use":"sig"}},
          {{"kty":"RSA","n":"{n}","e":"AQAB","kid":"r-pss","alg":"PS256"}},
          {{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"ec"}},
          {{"kty":"OKP","crv":"X25519","x":"{}","kid":"x"}}
        ]}}"#,
        x(1),
        x(2),
        x(3),
        x(4)
    );
    let set = Jwks::parse(doc.as_bytes()).unwrap();
    let ed_kids: Vec<_> = set.ed25519_keys().map(|(kid, _)| kid).collect();
    assert_eq!(ed_kids, [Some("k1"), Some("k2"), Some("k3")]);
    assert_eq!(set.rs256_keys("r1").count(), 1);
    assert_eq!(
        set.rs256_keys("r-pss").count(),
        0,
        "a PS256 key is never used for RS256"
    );
    assert_eq!(
        set.rs256_keys("k1").count(),
        0,
        "an Ed25519 kid is not an RSA key"
    );
    let skipped: Vec<_> = set
        .skipped()
        .iter()
        .map(|s| (s.kid.as_deref(), s.reason.code()))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("r-pss"), "jwk_unsupported_alg"),
            (Some("ec"), "jwk_unknown_kty"),
            (Some("x"), "jwk_unsupported_curve"),
        ]
    );
    assert!(set.skipped()[1].to_string().contains("kid \"ec\""));
    match set.keys()[3].key() {
        JwkKey::Rsa(key) => assert_eq!(key, RSA_A.public_key()),
        other => panic!("expected the RSA key, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// v1a with keys from the set

#[test]
fn v1a_tries_every_key_and_names_the_match() {
    let signature = v1a(&ed(2), ID, NOW, BODY);
    let ok = verifier()
        .verify_at(&set(), &headers(ID, NOW, &signature), BODY, NOW)
        .unwrap();
    assert_eq!(ok.kid.as_deref(), Some("ed-2"));
    assert_eq!(
        ok.proof,
        Proof::V1a {
            key_index: 1,
            entry_index: 0
        }
    );
    assert_eq!((ok.id.as_str(), ok.timestamp), (ID, NOW));
    // No audience is needed for v1a.
    assert!(
        JwksVerifier::new()
            .verify_at(&set(), &headers(ID, NOW, &signature), BODY, NOW)
            .is_ok()
    );
}

#[test]
fn v1a_rejects_a_key_not_in_the_set_and_a_tampered_body() {
    let forged = v1a(&ed(9), ID, NOW, BODY);
    let error = verifier()
        .verify_at(&set(), &headers(ID, NOW, &forged), BODY, NOW)
        .unwrap_err();
    assert_eq!(error.code(), "no_matching_signature");
    assert!(error.is_key_miss(), "a v1a miss triggers a refetch");
    let genuine = v1a(&ed(1), ID, NOW, BODY);
    assert_eq!(
        code(verifier().verify_at(&set(), &headers(ID, NOW, &genuine), b"{}", NOW)),
        "no_matching_signature"
    );
}

#[test]
fn v1a_rejects_a_non_canonical_signature() {
    // S + L (the group order) verifies under lax Ed25519 verifiers; verify_strict refuses it.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let message = format!("{ID}.{NOW}.").into_bytes();
    let message = [message.as_slice(), BODY].concat();
    let mut signature = ed(1).sign_bytes(&message);
    let mut carry = 0u16;
    for (s, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    let entry = format!("v1a,{}", STANDARD.encode(signature));
    assert_eq!(
        code(verifier().verify_at(&set(), &headers(ID, NOW, &entry), BODY, NOW)),
        "no_matching_signature"
    );
    let canonical = format!("v1a,{}", STANDARD.encode(ed(1).sign_bytes(&message)));
    assert!(
        verifier()
            .verify_at(&set(), &headers(ID, NOW, &canonical), BODY, NOW)
            .is_ok()
    );
}

#[test]
fn v1a_refuses_an_hmac_keyed_with_the_public_key() {
    // Key confusion: a v1 HMAC whose secret is the public key bytes, which anyone knows.
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(ed(1).public_key().as_bytes()).unwrap();
    mac.update(format!("{ID}.{NOW}.").as_bytes());
    mac.update(BODY);
    let entry = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        code(verifier().verify_at(&set(), &headers(ID, NOW, &entry), BODY, NOW)),
        "no_supported_signature"
    );
}

#[test]
fn v1a_keeps_the_header_rules_and_needs_an_ed25519_key() {
    let signature = v1a(&ed(1), ID, NOW, BODY);
    let v = verifier();
    assert_eq!(
        code(v.verify_at(&set(), &headers(ID, NOW, &signature), BODY, NOW + 301)),
        "timestamp_too_old"
    );
    assert_eq!(
        code(v.verify_at(&set(), &headers("a.b", NOW, &signature), BODY, NOW)),
        "invalid_id"
    );
    let rsa_only = Jwks::new(vec![Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone())]);
    let error = v
        .verify_at(&rsa_only, &headers(ID, NOW, &signature), BODY, NOW)
        .unwrap_err();
    assert_eq!(error.code(), "jwks_no_usable_key");
    assert!(error.is_key_miss());
    assert_eq!(
        code(v.clone().accept_v1a(false).verify_at(
            &set(),
            &headers(ID, NOW, &signature),
            BODY,
            NOW
        )),
        "scheme_not_accepted"
    );
}

// ---------------------------------------------------------------------------------------
// RS256 JWT

#[test]
fn jwt_valid_token_verifies_with_its_bindings() {
    let token = signer()
        .issuer("https://issuer.example")
        .sign(ID, NOW, BODY)
        .unwrap();
    let ok = verifier()
        .issuer("https://issuer.example")
        .verify_at(&set(), &headers(ID, NOW, &token), BODY, NOW)
        .unwrap();
    assert_eq!(ok.kid.as_deref(), Some("rsa-a"));
    let Proof::Jwt {
        claims,
        id_bound,
        body_bound,
    } = ok.proof
    else {
        panic!("expected a JWT proof");
    };
    assert!(id_bound && body_bound);
    assert_eq!(claims["aud"], AUD);
    assert_eq!(claims[jwt::CLAIM_WEBHOOK_ID], ID);
    assert_eq!(claims[jwt::CLAIM_BODY_SHA256], jwt::body_sha256(BODY));
    assert_eq!(claims["exp"], NOW + 300);
    // The second key of the set verifies its own tokens too.
    let other = JwtSigner::new(RSA_B.clone(), "rsa-b", AUD)
        .sign(ID, NOW, BODY)
        .unwrap();
    assert_eq!(verify_token(&other).unwrap().kid.as_deref(), Some("rsa-b"));
}

#[test]
fn jwt_issued_claims_are_exactly_the_documented_ones() {
    let token = signer().issuer("iss").sign(ID, NOW, BODY).unwrap();
    let parts: Vec<_> = token.split('.').collect();
    let header = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header, r#"{"alg":"RS256","kid":"rsa-a","typ":"JWT"}"#);
    assert_eq!(
        claims,
        format!(
            r#"{{"iss":"iss","aud":"{AUD}","iat":{NOW},"exp":{},"webhook_id":"{ID}","body_sha256":"{}"}}"#,
            NOW + 300,
            jwt::body_sha256(BODY)
        )
    );
    assert_eq!(
        token,
        signer().issuer("iss").sign(ID, NOW, BODY).unwrap(),
        "deterministic"
    );
}

#[test]
fn jwt_interoperates_with_jsonwebtoken() {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    let now = hookspec::internal::unix_now();
    let public = RSA_A.public_key();
    let decoding = DecodingKey::from_rsa_raw_components(public.modulus(), public.exponent());
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[AUD]);
    // hookspec's tokens decode with jsonwebtoken's standard validation.
    let ours = signer().sign(ID, now, BODY).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(&ours, &decoding, &validation).unwrap();
    assert_eq!(decoded.header.kid.as_deref(), Some("rsa-a"));
    // And jsonwebtoken's tokens (no body binding, as Google documents) verify in hookspec.
    let der = {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::PrivateKey::from_pkcs8_pem(include_str!("../../../../tests/keys/rsa-a.pem"))
            .unwrap()
            .to_pkcs1_der()
            .unwrap()
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-a".into());
    let theirs = jsonwebtoken::encode(
        &header,
        &json!({"aud": AUD, "iat": now, "exp": now + 60, "data": {"id": "batches/1"}}),
        &EncodingKey::from_rsa_der(der.as_bytes()),
    )
    .unwrap();
    let ok = verifier()
        .verify_at(&set(), &headers(ID, now, &theirs), BODY, now)
        .unwrap();
    let Proof::Jwt {
        body_bound,
        id_bound,
        claims,
    } = ok.proof
    else {
        panic!("expected a JWT proof");
    };
    assert!(!body_bound && !id_bound);
    assert_eq!(claims["data"]["id"], "batches/1");
}

#[test]
fn jwt_alg_none_is_rejected() {
    let claims = Value::Object(signer().claims(ID, NOW, BODY));
    for header in [
        json!({"alg": "none", "kid": "rsa-a"}),
        json!({"alg": "None", "kid": "rsa-a"}),
        json!({"kid": "rsa-a"}),
    ] {
        let token = jwt::compact(
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
            b"",
        );
        assert_eq!(
            code(verify_token(&token)),
            "jwt_alg_not_allowed",
            "{header}"
        );
    }
}

#[test]
fn jwt_hs256_keyed_with_the_rsa_public_key_is_rejected() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let pem = RSA_A.public_key().to_spki_pem();
    let header = json!({"alg": "HS256", "kid": "rsa-a", "typ": "JWT"}).to_string();
    let claims = Value::Object(signer().claims(ID, NOW, BODY)).to_string();
    let token = jwt::sign_hs256(header.as_bytes(), claims.as_bytes(), pem.as_bytes());
    // The token is genuine under the confused reading (the public PEM as an HMAC key)...
    let mut confused = Validation::new(Algorithm::HS256);
    confused.set_audience(&[AUD]);
    confused.validate_exp = false;
    assert!(
        jsonwebtoken::decode::<Value>(
            &token,
            &DecodingKey::from_secret(pem.as_bytes()).unwrap(),
            &confused
        )
        .is_ok()
    );
    // ...and hookspec never takes the algorithm from the token.
    assert_eq!(code(verify_token(&token)), "jwt_alg_not_allowed");
}

#[test]
fn jwt_unknown_and_missing_kid() {
    let token = JwtSigner::new(RSA_A.clone(), "rsa-retired", AUD)
        .sign(ID, NOW, BODY)
        .unwrap();
    let error = verify_token(&token).unwrap_err();
    assert_eq!(error.code(), "unknown_kid");
    assert!(error.is_key_miss());
    let no_kid = edited(|h| drop(h.as_object_mut().unwrap().remove("kid")), |_| {});
    assert_eq!(code(verify_token(&no_kid)), "jwt_missing_kid");
    let number_kid = edited(|h| h["kid"] = json!(1), |_| {});
    assert_eq!(code(verify_token(&number_kid)), "jwt_missing_kid");
    let ed_kid = edited(|h| h["kid"] = json!("ed-1"), |_| {});
    assert_eq!(code(verify_token(&ed_kid)), "unknown_kid");
}

#[test]
fn jwt_expiry_nbf_and_iat_use_the_leeway() {
    let with = |claim: &'static str, value: Value| edited(|_| {}, move |c| c[claim] = value);
    // exp = NOW + 300; leeway 60: valid while now < exp + 60.
    let token = signer().sign(ID, NOW, BODY).unwrap();
    let at = |now: u64, tolerance: u64| {
        verifier()
            .tolerance(Duration::from_secs(tolerance))
            .verify_at(&set(), &headers(ID, NOW, &token), BODY, now)
    };
    assert!(at(NOW + 359, 3600).is_ok());
    assert_eq!(code(at(NOW + 360, 3600)), "jwt_expired");
    assert_eq!(
        code(verify_token(&with("exp", json!(NOW - 61)))),
        "jwt_expired"
    );
    assert!(verify_token(&with("exp", json!(NOW - 59))).is_ok());
    assert_eq!(
        code(verify_token(&with("nbf", json!(NOW + 61)))),
        "jwt_not_yet_valid"
    );
    assert!(verify_token(&with("nbf", json!(NOW + 60))).is_ok());
    assert_eq!(
        code(verify_token(&with("iat", json!(NOW + 61)))),
        "jwt_issued_in_future"
    );
    assert_eq!(
        code(verifier().leeway(Duration::ZERO).verify_at(
            &set(),
            &headers(ID, NOW, &with("nbf", json!(NOW + 1))),
            BODY,
            NOW
        )),
        "jwt_not_yet_valid"
    );
    let no_exp = edited(|_| {}, |c| drop(c.as_object_mut().unwrap().remove("exp")));
    assert_eq!(code(verify_token(&no_exp)), "jwt_missing_exp");
    for bad in [json!("9999999999"), json!(-1), json!(-0.5), json!(1e300)] {
        assert_eq!(code(verify_token(&with("exp", bad))), "jwt_invalid_claim");
    }
}

/// RFC 7519 section 2: a NumericDate is a JSON number and "non-integer values can be
/// represented". Each fraction is compared exactly against the whole-second clock.
#[test]
fn jwt_numeric_dates_may_have_a_fraction() {
    let with = |claim: &'static str, value: Value| edited(|_| {}, move |c| c[claim] = value);
    let (now, leeway) = (NOW as f64, 60.0);
    // exp: valid while now < exp + leeway.
    assert!(verify_token(&with("exp", json!(4_102_444_800.5))).is_ok());
    assert!(verify_token(&with("exp", json!(now - leeway + 0.5))).is_ok());
    assert_eq!(
        code(verify_token(&with("exp", json!(now - leeway - 0.5)))),
        "jwt_expired"
    );
    assert_eq!(
        code(verify_token(&with("exp", json!(now - leeway)))),
        "jwt_expired",
        "a whole number written as a float is the same date"
    );
    // nbf and iat: refused only when later than now + leeway.
    for (claim, code_when_late) in [
        ("nbf", "jwt_not_yet_valid"),
        ("iat", "jwt_issued_in_future"),
    ] {
        assert!(verify_token(&with(claim, json!(now + leeway - 0.5))).is_ok());
        assert!(verify_token(&with(claim, json!(now + leeway))).is_ok());
        assert_eq!(
            code(verify_token(&with(claim, json!(now + leeway + 0.5)))),
            code_when_late,
            "{claim}"
        );
    }
}

#[test]
fn jwt_audience_and_issuer() {
    let with = |claim: &'static str, value: Value| edited(|_| {}, move |c| c[claim] = value);
    assert_eq!(
        code(verify_token(&with("aud", json!("https://other.example")))),
        "jwt_wrong_audience"
    );
    assert!(verify_token(&with("aud", json!(["https://other.example", AUD]))).is_ok());
    assert_eq!(
        code(verify_token(&with("aud", json!([])))),
        "jwt_wrong_audience"
    );
    assert_eq!(
        code(verify_token(&with("aud", json!([1])))),
        "jwt_invalid_claim"
    );
    let no_aud = edited(|_| {}, |c| drop(c.as_object_mut().unwrap().remove("aud")));
    assert_eq!(code(verify_token(&no_aud)), "jwt_missing_audience");
    let token = signer().sign(ID, NOW, BODY).unwrap();
    assert_eq!(
        code(JwksVerifier::new().verify_at(&set(), &headers(ID, NOW, &token), BODY, NOW)),
        "jwt_audience_not_configured"
    );
    let strict = verifier().issuer("https://issuer.example");
    let check = |token: &str| code(strict.verify_at(&set(), &headers(ID, NOW, token), BODY, NOW));
    assert_eq!(check(&token), "jwt_missing_issuer");
    assert_eq!(
        check(&with("iss", json!("https://evil.example"))),
        "jwt_wrong_issuer"
    );
    assert_eq!(
        check(&with("iss", json!("https://issuer.example"))),
        "accepted"
    );
    // Without a configured issuer, `iss` is not checked.
    assert!(verify_token(&with("iss", json!("https://anyone.example"))).is_ok());
}

#[test]
fn jwt_signed_by_a_key_not_in_the_set_is_rejected() {
    let forged = JwtSigner::new(RSA_ATTACKER.clone(), "rsa-a", AUD)
        .sign(ID, NOW, BODY)
        .unwrap();
    let error = verify_token(&forged).unwrap_err();
    assert_eq!(error.code(), "jwt_invalid_signature");
    assert!(
        !error.is_key_miss(),
        "a bad signature under a known kid is not a refetch trigger"
    );
}

#[test]
fn jwt_embedded_or_linked_keys_are_never_trusted() {
    let attacker = JwtSigner::new(RSA_ATTACKER.clone(), "rsa-a", AUD);
    let attacker_jwk = attacker.jwk().to_json_value();
    let mut header = Value::Object(attacker.header());
    header["jwk"] = attacker_jwk.clone();
    let claims = Value::Object(attacker.claims(ID, NOW, BODY));
    assert_eq!(
        code(verify_token(&attacker.sign_json(&header, &claims))),
        "jwt_invalid_signature"
    );
    // jku / x5u naming the attacker's key under a kid the set does not have.
    let mut header = json!({"alg": "RS256", "kid": "attacker", "jku": "http://127.0.0.1:9/jwks.json",
                            "x5u": "http://127.0.0.1:9/cert.pem", "jwk": attacker_jwk});
    assert_eq!(
        code(verify_token(&attacker.sign_json(&header, &claims))),
        "unknown_kid"
    );
    header["kid"] = json!("rsa-a");
    assert_eq!(
        code(verify_token(&attacker.sign_json(&header, &claims))),
        "jwt_invalid_signature"
    );
}

#[test]
fn jwt_critical_extensions_are_rejected() {
    for crit in [json!(["b64"]), json!(["exp"]), json!([]), json!("x")] {
        let token = edited(|h| h["crit"] = crit.clone(), |_| {});
        assert_eq!(code(verify_token(&token)), "jwt_crit_unsupported", "{crit}");
    }
}

#[test]
fn jwt_malformed_tokens_are_rejected() {
    let token = signer().sign(ID, NOW, BODY).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let sig = parts[2];
    assert_eq!(
        sig.len(),
        342,
        "a 2048-bit signature is 342 base64url characters"
    );
    let last = sig.as_bytes()[341];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = alphabet.iter().position(|&c| c == last).unwrap();
    let non_canonical = alphabet[(value & 0b11_0000) | 1] as char;
    let cases = [
        (format!("{}.{}", parts[0], parts[1]), "jwt_malformed"),
        (format!("{token}.{}", parts[2]), "jwt_malformed"),
        (
            format!("{}.{}.{}", parts[0], parts[1], &sig[..341]),
            "jwt_malformed",
        ),
        (
            format!("{}.{}.{}", parts[0], parts[1], &sig[..340]),
            "jwt_invalid_signature",
        ),
        (
            format!("{}.{}.{}{non_canonical}", parts[0], parts[1], &sig[..341]),
            "jwt_malformed",
        ),
        (
            format!("{}=.{}.{}", parts[0], parts[1], sig),
            "jwt_malformed",
        ),
        (format!("{}.{}.", parts[0], parts[1]), "jwt_malformed"),
        (format!(".{}.{}", parts[1], sig), "jwt_malformed"),
        (
            format!("{}.{}.{}", parts[0], parts[1], sig.replace(['-', '_'], "+")),
            "jwt_malformed",
        ),
        (
            format!("{} .{}.{}", parts[0], parts[1], sig),
            "jwt_malformed",
        ),
        ("a.b.c".to_string(), "jwt_malformed"),
    ];
    for (bad, expected) in cases {
        assert_eq!(code(verify_token(&bad)), expected, "{bad}");
    }
    let s = signer();
    let claims = Value::Object(s.claims(ID, NOW, BODY)).to_string();
    for header in [
        "not json",
        r#"["RS256","rsa-a"]"#,
        r#"{"alg":"RS256","kid":"rsa-a","alg":"RS256"}"#,
    ] {
        let bad = s.sign_raw(header.as_bytes(), claims.as_bytes());
        assert_eq!(code(verify_token(&bad)), "jwt_malformed", "{header}");
    }
    let header = Value::Object(s.header()).to_string();
    let dup_exp = claims.replacen('{', &format!("{{\"exp\":{},", NOW + 9999), 1);
    for bad_claims in ["[]", "null", dup_exp.as_str()] {
        let bad = s.sign_raw(header.as_bytes(), bad_claims.as_bytes());
        assert_eq!(code(verify_token(&bad)), "jwt_malformed", "{bad_claims}");
    }
}

#[test]
fn jwt_oversized_tokens_are_rejected_before_parsing() {
    let big = edited(
        |_| {},
        |c| c["padding"] = json!("x".repeat(jwt::MAX_TOKEN_LEN)),
    );
    assert!(big.len() > jwt::MAX_TOKEN_LEN);
    assert_eq!(code(verify_token(&big)), "jwt_too_large");
    let garbage = format!("{}.", "!".repeat(jwt::MAX_TOKEN_LEN));
    assert_eq!(code(verify_token(&garbage)), "jwt_too_large");
    // Just under the limit, a valid token is accepted.
    let fits = edited(
        |_| {},
        |c| c["padding"] = json!("x".repeat(jwt::MAX_TOKEN_LEN / 2)),
    );
    assert!(fits.len() <= jwt::MAX_TOKEN_LEN);
    assert!(verify_token(&fits).is_ok());
}

#[test]
fn jwt_replayed_with_another_body() {
    let other_body = br#"{"type":"batch.failed","version":"v1","timestamp":"2026-01-08T12:00:00Z","data":{"id":"batches/123456","error_code":"INTERNAL","error_message":"x"}}"#;
    // Unbound (the shape Google documents): nothing ties the token to the body.
    let unbound = signer().bind_body(false).sign(ID, NOW, BODY).unwrap();
    let ok = verifier()
        .verify_at(&set(), &headers(ID, NOW, &unbound), other_body, NOW)
        .unwrap();
    assert!(matches!(
        ok.proof,
        Proof::Jwt {
            body_bound: false,
            ..
        }
    ));
    assert_eq!(
        code(verifier().require_body_binding(true).verify_at(
            &set(),
            &headers(ID, NOW, &unbound),
            other_body,
            NOW
        )),
        "body_hash_missing"
    );
    // Bound: the replay is caught.
    let bound = signer().sign(ID, NOW, BODY).unwrap();
    assert_eq!(
        code(verifier().verify_at(&set(), &headers(ID, NOW, &bound), other_body, NOW)),
        "body_hash_mismatch"
    );
    let malformed_hash = edited(|_| {}, |c| c[jwt::CLAIM_BODY_SHA256] = json!("AAAA"));
    assert_eq!(code(verify_token(&malformed_hash)), "jwt_invalid_claim");
}

#[test]
fn jwt_is_bound_to_the_webhook_id_and_the_timestamp_window() {
    let token = signer().sign(ID, NOW, BODY).unwrap();
    assert_eq!(
        code(verifier().verify_at(&set(), &headers("msg_other", NOW, &token), BODY, NOW)),
        "webhook_id_mismatch"
    );
    let unbound = signer().bind_id(false).sign(ID, NOW, BODY).unwrap();
    assert!(
        verifier()
            .verify_at(&set(), &headers("msg_other", NOW, &unbound), BODY, NOW)
            .is_ok()
    );
    // The webhook-timestamp window applies to JWT deliveries too.
    assert_eq!(
        code(verifier().verify_at(&set(), &headers(ID, NOW - 301, &token), BODY, NOW)),
        "timestamp_too_old"
    );
    let no_id = [
        ("webhook-timestamp", NOW.to_string()),
        ("webhook-signature", token.clone()),
    ];
    assert_eq!(
        code(verifier().verify_at(&set(), &no_id, BODY, NOW)),
        "missing_id"
    );
    assert_eq!(
        code(
            verifier()
                .accept_jwt(false)
                .verify_at(&set(), &headers(ID, NOW, &token), BODY, NOW)
        ),
        "scheme_not_accepted"
    );
}

#[test]
fn error_codes_are_unique_and_distinct_from_the_v1_codes() {
    let mut all: Vec<&str> = JwksVerifyError::CODES.to_vec();
    all.extend_from_slice(VerifyError::CODES);
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count);
}

// ---------------------------------------------------------------------------------------
// The fetching cache, against a local key server that counts requests

struct KeyServer {
    body: Mutex<String>,
    cache_control: Mutex<Option<String>>,
    status: AtomicU16,
    hits: AtomicUsize,
    attacker_hits: AtomicUsize,
}

impl KeyServer {
    fn new(set: &Jwks) -> Arc<Self> {
        Arc::new(Self {
            body: Mutex::new(set.to_json()),
            cache_control: Mutex::new(None),
            status: AtomicU16::new(200),
            hits: AtomicUsize::new(0),
            attacker_hits: AtomicUsize::new(0),
        })
    }

    fn publish(&self, set: &Jwks) {
        *self.body.lock().unwrap() = set.to_json();
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn jwks_route(State(server): State<Arc<KeyServer>>) -> Response {
    server.hits.fetch_add(1, Ordering::SeqCst);
    let status = axum::http::StatusCode::from_u16(server.status.load(Ordering::SeqCst)).unwrap();
    let mut response = (status, server.body.lock().unwrap().clone()).into_response();
    if let Some(value) = server.cache_control.lock().unwrap().as_deref() {
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, value.parse().unwrap());
    }
    response
}

async fn attacker_route(State(server): State<Arc<KeyServer>>) -> String {
    server.attacker_hits.fetch_add(1, Ordering::SeqCst);
    Jwks::new(vec![Jwk::rsa(
        Some("attacker"),
        RSA_ATTACKER.public_key().clone(),
    )])
    .to_json()
}

/// Starts the key server on 127.0.0.1 and returns its base URL.
async fn start(server: Arc<KeyServer>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/jwks.json", get(jwks_route))
        .route("/attacker.json", get(attacker_route))
        .with_state(server);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn cache(base: &str) -> JwksCache {
    JwksCache::new(&format!("{base}/jwks.json"), CachePolicy::default()).unwrap()
}

fn token_for(kid: &str, now: u64) -> String {
    JwtSigner::new(RSA_A.clone(), kid, AUD)
        .sign(ID, now, BODY)
        .unwrap()
}

/// A forged token naming `kid`, with a junk signature (cheap to make by the thousand).
fn forged_for(kid: &str, now: u64) -> String {
    let s = JwtSigner::new(RSA_A.clone(), kid, AUD);
    let header = Value::Object(s.header()).to_string();
    let claims = Value::Object(s.claims(ID, now, BODY)).to_string();
    jwt::compact(header.as_bytes(), claims.as_bytes(), &[0x5a; 256])
}

#[tokio::test]
async fn cache_refetches_once_on_an_unknown_kid() {
    let old_set = Jwks::new(vec![Jwk::rsa(Some("rsa-b"), RSA_B.public_key().clone())]);
    let server = KeyServer::new(&old_set);
    let cache = cache(&start(server.clone()).await);
    let t0 = NOW;
    cache.keys_at(t0).await.unwrap();
    assert_eq!(server.hits(), 1);
    // The sender rotates in rsa-a; the first delivery naming it triggers one refetch.
    server.publish(&set());
    let t1 = t0 + 100;
    let ok = cache
        .verify_at(
            &verifier(),
            &headers(ID, t1, &token_for("rsa-a", t1)),
            BODY,
            t1,
        )
        .await
        .unwrap();
    assert_eq!(ok.kid.as_deref(), Some("rsa-a"));
    assert_eq!(server.hits(), 2);
    // Later deliveries with that kid use the cached set.
    for t in [t1 + 1, t1 + 50, t1 + 250] {
        cache
            .verify_at(
                &verifier(),
                &headers(ID, t, &token_for("rsa-a", t)),
                BODY,
                t,
            )
            .await
            .unwrap();
    }
    assert_eq!(server.hits(), 2);
    // A kid that stays unknown costs exactly one refetch, then the interval holds.
    let t2 = t1 + 260;
    for t in [t2, t2 + 1, t2 + 29] {
        let result = cache
            .verify_at(
                &verifier(),
                &headers(ID, t, &forged_for("nope", t)),
                BODY,
                t,
            )
            .await;
        assert_eq!(code(result), "unknown_kid");
    }
    assert_eq!(server.hits(), 3);
    assert_eq!(cache.fetch_count(), 3);
}

#[tokio::test]
async fn cache_flood_of_unknown_kids_stays_within_the_refetch_rate() {
    let server = KeyServer::new(&set());
    let cache = Arc::new(cache(&start(server.clone()).await));
    cache.keys_at(NOW).await.unwrap();
    // 300 forged deliveries over 90 s, each with a fresh kid: at most one fetch per 30 s.
    for i in 0..300u64 {
        let t = NOW + i * 90 / 300;
        let forged = forged_for(&format!("forged-{i}"), t);
        let result = cache
            .verify_at(&verifier(), &headers(ID, t, &forged), BODY, t)
            .await;
        assert_eq!(code(result), "unknown_kid");
    }
    // Fetches at NOW (initial), NOW+30, NOW+60: the last delivery is at NOW+89.
    assert_eq!(server.hits(), 3);
    // Concurrent misses at one instant share one fetch.
    let t = NOW + 120;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let cache = Arc::clone(&cache);
        tasks.spawn(async move {
            let forged = forged_for(&format!("burst-{i}"), t);
            code(
                cache
                    .verify_at(&verifier(), &headers(ID, t, &forged), BODY, t)
                    .await,
            )
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap(), "unknown_kid");
    }
    assert_eq!(server.hits(), 4);
    // v1a misses are rate-limited the same way.
    for i in 0..50u64 {
        let t = NOW + 121 + i % 20;
        let forged = v1a(&ed(9), ID, t, BODY);
        let result = cache
            .verify_at(&verifier(), &headers(ID, t, &forged), BODY, t)
            .await;
        assert_eq!(code(result), "no_matching_signature");
    }
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn cache_honours_max_age_with_default_and_cap() {
    let server = KeyServer::new(&set());
    *server.cache_control.lock().unwrap() = Some("public, max-age=120".into());
    let cache = cache(&start(server.clone()).await);
    cache.keys_at(NOW).await.unwrap();
    cache.keys_at(NOW + 119).await.unwrap();
    assert_eq!(server.hits(), 1);
    cache.keys_at(NOW + 120).await.unwrap();
    assert_eq!(server.hits(), 2);
    let status = cache.status().await;
    assert_eq!(status.fetched_at, Some(NOW + 120));
    assert_eq!(status.expires_at, Some(NOW + 240));
    // No max-age: the default TTL (300 s).
    *server.cache_control.lock().unwrap() = None;
    cache.keys_at(NOW + 240).await.unwrap();
    assert_eq!(server.hits(), 3);
    cache.keys_at(NOW + 539).await.unwrap();
    assert_eq!(server.hits(), 3);
    cache.keys_at(NOW + 540).await.unwrap();
    assert_eq!(server.hits(), 4);
    // A huge max-age is capped at 1 h.
    *server.cache_control.lock().unwrap() = Some("max-age=86400".into());
    cache.keys_at(NOW + 840).await.unwrap();
    assert_eq!(server.hits(), 5);
    assert_eq!(cache.status().await.expires_at, Some(NOW + 840 + 3600));
    // no-store: stale at once, but still never more than one fetch per 30 s.
    *server.cache_control.lock().unwrap() = Some("no-store".into());
    cache.keys_at(NOW + 840 + 3600).await.unwrap();
    assert_eq!(server.hits(), 6);
    for dt in 1..30 {
        cache.keys_at(NOW + 4440 + dt).await.unwrap();
    }
    assert_eq!(server.hits(), 6);
    cache.keys_at(NOW + 4470).await.unwrap();
    assert_eq!(server.hits(), 7);
}

#[tokio::test]
async fn cache_follows_key_rotation_in_both_directions() {
    let server = KeyServer::new(&Jwks::new(vec![Jwk::ed25519(
        Some("old"),
        ed(1).public_key(),
    )]));
    *server.cache_control.lock().unwrap() = Some("max-age=60".into());
    let cache = cache(&start(server.clone()).await);
    let deliver = async |key: SigningKey, t: u64| {
        let sig = v1a(&key, ID, t, BODY);
        cache
            .verify_at(&verifier(), &headers(ID, t, &sig), BODY, t)
            .await
    };
    let kid = |verified: Result<JwksVerified, JwksVerifyError>| verified.unwrap().kid;
    assert_eq!(kid(deliver(ed(1), NOW).await).as_deref(), Some("old"));
    // A new key appears: accepted after one refetch.
    server.publish(&Jwks::new(vec![
        Jwk::ed25519(Some("old"), ed(1).public_key()),
        Jwk::ed25519(Some("new"), ed(2).public_key()),
    ]));
    assert_eq!(kid(deliver(ed(2), NOW + 40).await).as_deref(), Some("new"));
    assert_eq!(server.hits(), 2);
    // The old key disappears: still trusted until the cached set goes stale, then refused.
    server.publish(&Jwks::new(vec![Jwk::ed25519(
        Some("new"),
        ed(2).public_key(),
    )]));
    assert!(deliver(ed(1), NOW + 99).await.is_ok());
    assert_eq!(
        code(deliver(ed(1), NOW + 100).await),
        "no_matching_signature"
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn cache_failures_keep_the_last_good_set() {
    let server = KeyServer::new(&set());
    let base = start(server.clone()).await;
    // No set yet and the server fails: the error is reported.
    server.status.store(503, Ordering::SeqCst);
    let cache = cache(&base);
    assert_eq!(code(cache.keys_at(NOW).await), "jwks_fetch_failed");
    // Within the interval no new attempt is made, and the same error is returned.
    server.status.store(200, Ordering::SeqCst);
    assert_eq!(code(cache.keys_at(NOW + 29).await), "jwks_fetch_failed");
    assert_eq!(server.hits(), 1);
    assert_eq!(cache.keys_at(NOW + 30).await.unwrap().keys().len(), 5);
    // Once stale, a failing refetch keeps the last good set in use.
    server.status.store(500, Ordering::SeqCst);
    let t = NOW + 30 + 300;
    let token = token_for("rsa-a", t);
    assert!(
        cache
            .verify_at(&verifier(), &headers(ID, t, &token), BODY, t)
            .await
            .is_ok()
    );
    assert_eq!(server.hits(), 3);
    assert_eq!(
        cache.status().await.last_error.map(|e| e.code()),
        Some("jwks_fetch_failed")
    );
    // An invalid document is an error of its own, and also keeps the last good set.
    server.status.store(200, Ordering::SeqCst);
    *server.body.lock().unwrap() = "<html>".into();
    assert!(cache.keys_at(t + 30).await.is_ok());
    assert_eq!(
        cache.status().await.last_error.map(|e| e.code()),
        Some("jwks_invalid_json")
    );
    *server.body.lock().unwrap() = " ".repeat(hookspec::JWKS_MAX_BYTES + 1);
    let fresh = self::cache(&base);
    assert_eq!(code(fresh.keys_at(NOW).await), "jwks_too_large");
    // Unreachable server.
    let closed = JwksCache::new("http://127.0.0.1:9/jwks.json", CachePolicy::default()).unwrap();
    assert_eq!(code(closed.keys_at(NOW).await), "jwks_fetch_failed");
}

#[tokio::test]
async fn cache_never_fetches_keys_named_by_the_token() {
    let server = KeyServer::new(&set());
    let base = start(server.clone()).await;
    let cache = cache(&base);
    let attacker = JwtSigner::new(RSA_ATTACKER.clone(), "attacker", AUD);
    let mut header = Value::Object(attacker.header());
    header["jku"] = json!(format!("{base}/attacker.json"));
    header["x5u"] = json!(format!("{base}/attacker.json"));
    let token = attacker.sign_json(&header, &Value::Object(attacker.claims(ID, NOW, BODY)));
    let result = cache
        .verify_at(&verifier(), &headers(ID, NOW, &token), BODY, NOW)
        .await;
    assert_eq!(code(result), "unknown_kid");
    assert_eq!(server.attacker_hits.load(Ordering::SeqCst), 0);
    assert_eq!(server.hits(), 1);
}

// ---------------------------------------------------------------------------------------
// `hookspec verify --jwks`

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_verify_with_a_jwks_url() {
    let server = KeyServer::new(&set());
    let url = format!("{}/jwks.json", start(server.clone()).await);
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let run = move |signature: String, extra: &[&str]| {
        let mut args: Vec<String> = vec!["verify".into(), "--now".into(), NOW.to_string()];
        for (name, value) in headers(ID, NOW, &signature) {
            args.push("-H".into());
            args.push(format!("{name}: {value}"));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(body.to_string_lossy().into_owned());
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_hookspec"))
            .args(&args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let v1a_ok = v1a(&ed(3), ID, NOW, BODY);
    let forged = v1a(&ed(9), ID, NOW, BODY);
    let token = signer().bind_body(false).sign(ID, NOW, BODY).unwrap();
    let results = tokio::task::spawn_blocking(move || {
        [
            run(v1a_ok.clone(), &["--jwks", &url]),
            run(forged, &["--jwks", &url]),
            run(token.clone(), &["--jwks", &url]),
            run(token.clone(), &["--jwks", &url, "--jwt-audience", AUD]),
            run(
                token.clone(),
                &["--jwks", &url, "--jwt-audience", AUD, "--jwt-issuer", "x"],
            ),
            run(v1a_ok.clone(), &["--jwks", "http://example.com/jwks.json"]),
            run(v1a_ok.clone(), &["--jwks", "http://127.0.0.1:9/jwks.json"]),
            run(
                v1a_ok,
                &[
                    "--jwks",
                    &url,
                    "--public-key",
                    &ed(3).public_key().to_whpk(),
                ],
            ),
        ]
    })
    .await
    .unwrap();
    let expect = [
        (0, "matches JWKS key kid ed-3"),
        (1, "FAILED no_matching_signature"),
        (1, "FAILED jwt_audience_not_configured"),
        (0, "body bound: no"),
        (1, "FAILED jwt_missing_issuer"),
        (2, "jwks_bad_url"),
        (3, "jwks_fetch_failed"),
        (2, "--jwks replaces"),
    ];
    for ((status, output), (want_status, want_text)) in results.iter().zip(expect) {
        assert_eq!(*status, want_status, "{output}");
        assert!(
            output.contains(want_text),
            "{want_text:?} not in {output:?}"
        );
    }
}
