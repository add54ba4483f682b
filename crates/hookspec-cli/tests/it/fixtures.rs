//! Shared fixtures of the verifier tests: the Standard Webhooks known-answer inputs (reference
//! section (b)) and small helpers to build deliveries and assert outcomes with their stable
//! error codes.

use hookspec::ErrorCode;
use hookspec::{PublicKey, Secret, SigningKey, Verified, Verifier, VerifyError};

/// V1 secret (24 bytes), also `K` of the conformance cases.
pub const K: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// V1 message id, also `I` of the conformance cases.
pub const I: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
/// V1 timestamp, also the pinned clock `N` of the conformance cases.
pub const N: u64 = 1_614_265_330;
/// `N` as header text.
pub const N_TEXT: &str = "1614265330";
/// V1 body, also `B` of the conformance cases.
pub const B: &[u8] = br#"{"test": 2432232314}"#;
/// V1 signature.
pub const V1_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
/// The base64 part of [`V1_SIG`].
pub const V1_B64: &str = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

/// V2 (the Rust library's `test_sign` vector).
pub const V2_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
pub const V2_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
pub const V2_TS: u64 = 1_649_367_553;
pub const V2_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
pub const V2_SIG: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

/// V5 (`v1a`): the 64-byte `seed ‖ public key` form the Svix server uses.
pub const V5_WHSK: &str =
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
pub const V5_WHPK: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
pub const V5_SIG: &str =
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";

/// The V1 secret.
pub fn k() -> Secret {
    Secret::parse(K).expect("the V1 secret parses")
}

/// The V2 secret.
pub fn k2() -> Secret {
    Secret::parse(V2_SECRET).expect("the V2 secret parses")
}

/// The V5 signing key.
pub fn v5_signing_key() -> SigningKey {
    SigningKey::parse(V5_WHSK).expect("the V5 signing key parses")
}

/// The V5 public key.
pub fn v5_public_key() -> PublicKey {
    PublicKey::parse(V5_WHPK).expect("the V5 public key parses")
}

/// A verifier that trusts only `K` (default tolerance, aliases on).
pub fn verifier() -> Verifier {
    Verifier::new().with_secret(k())
}

/// The three `webhook-*` headers with the given values (raw bytes allowed).
pub fn headers<'a>(id: &'a [u8], ts: &'a [u8], sig: &'a [u8]) -> Vec<(&'static str, &'a [u8])> {
    vec![
        ("webhook-id", id),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ]
}

/// Asserts acceptance and returns the witness.
#[track_caller]
pub fn accepted(result: Result<Verified, VerifyError>) -> Verified {
    match result {
        Ok(verified) => verified,
        Err(e) => panic!("expected ACCEPT, got {e:?} [{}]", e.code()),
    }
}

/// Asserts rejection with exactly `code` and returns the error.
#[track_caller]
pub fn rejected(result: Result<Verified, VerifyError>, code: &str) -> VerifyError {
    match result {
        Ok(verified) => panic!("expected REJECT [{code}], got ACCEPT {verified:?}"),
        Err(e) => {
            assert_eq!(e.code(), code, "wrong error: {e:?}");
            e
        }
    }
}
