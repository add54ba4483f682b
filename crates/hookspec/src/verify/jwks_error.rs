use thiserror::Error;

use super::VerifyError;
use crate::ErrorCode;
use crate::key::JwksError;

/// Why a delivery failed verification against a key set (Gemini's per-request webhooks:
/// `v1a` with JWKS keys, or an RS256 JWT), or why the key set could not be obtained.
///
/// One variant per violation. Its [`ErrorCode::code`] is the stable string that reports,
/// vectors and `hookspec verify` use; header and timestamp failures shared with the
/// `v1`/`v1a` verifier keep that verifier's codes (those of [`VerifyError`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwksVerifyError {
    /// A header, timestamp or `v1a` signature failure shared with [`crate::Verifier`]
    /// (`missing_id`, `timestamp_too_old`, `no_matching_signature`, ...).
    #[error(transparent)]
    Delivery(VerifyError),
    /// The delivery's scheme (`v1a` or `jwt`) is switched off in this verifier.
    #[error("`{scheme}` signatures are not accepted by this verifier")]
    SchemeNotAccepted {
        /// `v1a` or `jwt`.
        scheme: &'static str,
    },
    /// The key set holds no key usable for the delivery's scheme (no Ed25519 key for `v1a`).
    #[error("the key set has no key usable for `{scheme}`")]
    NoUsableKey {
        /// `v1a`.
        scheme: &'static str,
    },
    /// The key set document is unusable (not JSON, no `keys` array, too large).
    #[error("{0}")]
    Jwks(JwksError),
    /// The key set could not be fetched (connection, timeout, non-200 status, oversized
    /// body), and no earlier copy is cached.
    #[error("the key set could not be fetched: {reason}")]
    FetchFailed {
        /// What went wrong (no secrets: a URL, a status or a transport error).
        reason: String,
    },
    /// The key set URL is not usable: not http(s), or plain http to a non-loopback host.
    #[error("the key set URL is not usable: {reason}")]
    BadUrl {
        /// Why.
        reason: String,
    },
    /// A JWT arrived but no audience is configured: accepting any `aud` would accept tokens
    /// minted for someone else, so the JWT path requires one.
    #[error("a JWT arrived but no audience is configured")]
    JwtAudienceNotConfigured,
    /// The token is longer than the 8 KiB a verifier accepts; it was not parsed.
    #[error("the JWT is {len} bytes; at most {max} are accepted")]
    JwtTooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The token is not a compact JWS: not three parts, non-canonical base64url, a header
    /// or claims segment that is not a JSON object, a repeated header or claim name.
    #[error("the JWT is malformed: {reason}")]
    JwtMalformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header's `alg` is not `RS256` (`none`, `HS256`, `PS256`, missing, ...): the
    /// algorithm is pinned by the verifier, never taken from the token.
    #[error("the JWT algorithm {alg:?} is not allowed (only RS256)")]
    JwtAlgNotAllowed {
        /// The `alg` value, if any.
        alg: Option<String>,
    },
    /// The header has a `crit` member: hookspec understands no JWS extension, and RFC 7515
    /// section 4.1.11 requires rejecting tokens whose critical extensions are not understood.
    #[error("the JWT header lists critical extensions (`crit`), none of which is supported")]
    JwtCritUnsupported,
    /// The header has no `kid` string.
    #[error("the JWT header has no `kid`")]
    JwtMissingKid,
    /// No RS256-capable key of the set has the token's `kid`.
    #[error("no RS256 key in the key set has kid {kid:?}")]
    UnknownKid {
        /// The token's `kid`.
        kid: String,
    },
    /// The signature does not verify under the key(s) with the token's `kid`.
    #[error("the JWT signature does not verify under the key with kid {kid:?}")]
    JwtInvalidSignature {
        /// The token's `kid`.
        kid: String,
    },
    /// No `exp` claim.
    #[error("the JWT has no `exp` claim")]
    JwtMissingExp,
    /// A registered or binding claim has the wrong type or form (`exp` as a string, a
    /// negative or fractional NumericDate, `aud` as a number, `body_sha256` not 32 bytes...).
    #[error("the JWT claim `{claim}` is not of the expected form")]
    JwtInvalidClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// `exp` is in the past (beyond the leeway).
    #[error("the JWT expired at {exp} (now {now}, leeway {leeway} s)")]
    JwtExpired {
        /// The `exp` claim.
        exp: u64,
        /// The verification time.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("the JWT is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    JwtNotYetValid {
        /// The `nbf` claim.
        nbf: u64,
        /// The verification time.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("the JWT claims to be issued at {iat}, in the future (now {now}, leeway {leeway} s)")]
    JwtIssuedInFuture {
        /// The `iat` claim.
        iat: u64,
        /// The verification time.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// No `aud` claim.
    #[error("the JWT has no `aud` claim")]
    JwtMissingAudience,
    /// `aud` names none of the configured audiences.
    #[error("the JWT audience is not one of the configured audiences")]
    JwtWrongAudience,
    /// An issuer is configured and the token has no `iss` claim.
    #[error("the JWT has no `iss` claim")]
    JwtMissingIssuer,
    /// `iss` is not the configured issuer.
    #[error("the JWT issuer is not the configured issuer")]
    JwtWrongIssuer,
    /// The token's `webhook_id` claim differs from the `webhook-id` header.
    #[error("the JWT's `webhook_id` claim does not match the `webhook-id` header")]
    WebhookIdMismatch,
    /// The verifier requires a body binding and the token has no `body_sha256` claim.
    #[error("the JWT has no `body_sha256` claim, and a body binding is required")]
    BodyHashMissing,
    /// The token's `body_sha256` claim is not the SHA-256 of the received body.
    #[error("the JWT's `body_sha256` claim does not match the body")]
    BodyHashMismatch,
}

impl ErrorCode for JwksVerifyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Delivery(error) => error.code(),
            Self::SchemeNotAccepted { .. } => "scheme_not_accepted",
            Self::NoUsableKey { .. } => "jwks_no_usable_key",
            Self::Jwks(error) => error.code(),
            Self::FetchFailed { .. } => "jwks_fetch_failed",
            Self::BadUrl { .. } => "jwks_bad_url",
            Self::JwtAudienceNotConfigured => "jwt_audience_not_configured",
            Self::JwtTooLarge { .. } => "jwt_too_large",
            Self::JwtMalformed { .. } => "jwt_malformed",
            Self::JwtAlgNotAllowed { .. } => "jwt_alg_not_allowed",
            Self::JwtCritUnsupported => "jwt_crit_unsupported",
            Self::JwtMissingKid => "jwt_missing_kid",
            Self::UnknownKid { .. } => "unknown_kid",
            Self::JwtInvalidSignature { .. } => "jwt_invalid_signature",
            Self::JwtMissingExp => "jwt_missing_exp",
            Self::JwtInvalidClaim { .. } => "jwt_invalid_claim",
            Self::JwtExpired { .. } => "jwt_expired",
            Self::JwtNotYetValid { .. } => "jwt_not_yet_valid",
            Self::JwtIssuedInFuture { .. } => "jwt_issued_in_future",
            Self::JwtMissingAudience => "jwt_missing_audience",
            Self::JwtWrongAudience => "jwt_wrong_audience",
            Self::JwtMissingIssuer => "jwt_missing_issuer",
            Self::JwtWrongIssuer => "jwt_wrong_issuer",
            Self::WebhookIdMismatch => "webhook_id_mismatch",
            Self::BodyHashMissing => "body_hash_missing",
            Self::BodyHashMismatch => "body_hash_mismatch",
        }
    }
}

impl JwksVerifyError {
    /// Whether a refetch of the key set might turn this failure into a success: the
    /// token's `kid` is unknown, no key of the set matched a `v1a` signature, or the set
    /// has no key for the scheme. The cache refetches (rate-limited) only on these.
    pub fn is_key_miss(&self) -> bool {
        matches!(
            self,
            Self::UnknownKid { .. }
                | Self::NoUsableKey { .. }
                | Self::Delivery(VerifyError::NoMatchingSignature { .. })
        )
    }

    /// The codes this enum adds to [`VerifyError::CODES`] and the key-set parse codes, in
    /// check order (for documentation and for validating vector files).
    pub const CODES: &'static [&'static str] = &[
        "scheme_not_accepted",
        "jwks_no_usable_key",
        "jwks_fetch_failed",
        "jwks_bad_url",
        "jwt_audience_not_configured",
        "jwt_too_large",
        "jwt_malformed",
        "jwt_alg_not_allowed",
        "jwt_crit_unsupported",
        "jwt_missing_kid",
        "unknown_kid",
        "jwt_invalid_signature",
        "jwt_missing_exp",
        "jwt_invalid_claim",
        "jwt_expired",
        "jwt_not_yet_valid",
        "jwt_issued_in_future",
        "jwt_missing_audience",
        "jwt_wrong_audience",
        "jwt_missing_issuer",
        "jwt_wrong_issuer",
        "webhook_id_mismatch",
        "body_hash_missing",
        "body_hash_mismatch",
    ];
}

impl From<VerifyError> for JwksVerifyError {
    fn from(error: VerifyError) -> Self {
        Self::Delivery(error)
    }
}

impl From<JwksError> for JwksVerifyError {
    fn from(error: JwksError) -> Self {
        Self::Jwks(error)
    }
}
