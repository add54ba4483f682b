use thiserror::Error;

use crate::ErrorCode;

/// Why a delivery failed verification.
///
/// One variant per violation of the strict profile. Its [`ErrorCode::code`] is the stable
/// string that the vector corpus, the checker's reports and `hookspec verify` all use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The verifier was built without any secret or public key.
    #[error("no secret or public key is configured")]
    NoKeysConfigured,
    /// A `webhook-id`, `webhook-timestamp` or `webhook-signature` header appears several
    /// times with different values.
    #[error("the `{header}` header appears several times with different values")]
    ConflictingHeaders {
        /// The header name.
        header: &'static str,
    },
    /// No `webhook-id` header.
    #[error("the `webhook-id` header is missing")]
    MissingId,
    /// The id is empty, contains `.`, or has bytes outside visible ASCII.
    #[error("the `webhook-id` is empty, contains `.`, or has characters outside visible ASCII")]
    InvalidId,
    /// No `webhook-timestamp` header.
    #[error("the `webhook-timestamp` header is missing")]
    MissingTimestamp,
    /// The timestamp is not `[1-9][0-9]*` fitting in 64 bits.
    #[error(
        "the `webhook-timestamp` is not a positive integer of ASCII digits (no sign, spaces, fraction or leading zero)"
    )]
    InvalidTimestamp,
    /// The timestamp is further in the past than the tolerance.
    #[error("the timestamp is {age} s in the past, beyond the {tolerance} s tolerance")]
    TimestampTooOld {
        /// Seconds between the timestamp and now.
        age: u64,
        /// The tolerance in seconds.
        tolerance: u64,
    },
    /// The timestamp is further in the future than the tolerance.
    #[error("the timestamp is {ahead} s in the future, beyond the {tolerance} s tolerance")]
    TimestampTooNew {
        /// Seconds between now and the timestamp.
        ahead: u64,
        /// The tolerance in seconds.
        tolerance: u64,
    },
    /// No `webhook-signature` header, or one with no entries at all.
    #[error("the `webhook-signature` header is missing or empty")]
    MissingSignature,
    /// The signature list has entries, but none is a well-formed entry of a scheme this
    /// verifier holds a key for (only `v2,…`, malformed entries, or `v1a` with no public key).
    #[error(
        "no well-formed signature for a configured scheme ({entries} entries: {unknown} unknown version, {malformed} malformed, {unusable} without a configured key)"
    )]
    NoSupportedSignature {
        /// Entries in the list.
        entries: usize,
        /// Entries with an unknown version.
        unknown: usize,
        /// Malformed entries.
        malformed: usize,
        /// Well-formed entries of a scheme with no configured key.
        unusable: usize,
    },
    /// Well-formed entries were tried against every configured key and none matched.
    #[error("no signature matches any configured key ({tried} {} tried)", if *tried == 1 { "entry" } else { "entries" })]
    NoMatchingSignature {
        /// Well-formed entries that were tried.
        tried: usize,
    },
}

impl ErrorCode for VerifyError {
    fn code(&self) -> &'static str {
        match self {
            Self::NoKeysConfigured => "no_keys_configured",
            Self::ConflictingHeaders { .. } => "conflicting_headers",
            Self::MissingId => "missing_id",
            Self::InvalidId => "invalid_id",
            Self::MissingTimestamp => "missing_timestamp",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::TimestampTooOld { .. } => "timestamp_too_old",
            Self::TimestampTooNew { .. } => "timestamp_too_new",
            Self::MissingSignature => "missing_signature",
            Self::NoSupportedSignature { .. } => "no_supported_signature",
            Self::NoMatchingSignature { .. } => "no_matching_signature",
        }
    }
}

impl VerifyError {
    /// Every code [`ErrorCode::code`] can return for this type, in check order (for
    /// documentation and for validating vector files).
    pub const CODES: &'static [&'static str] = &[
        "no_keys_configured",
        "conflicting_headers",
        "missing_id",
        "invalid_id",
        "missing_timestamp",
        "invalid_timestamp",
        "timestamp_too_old",
        "timestamp_too_new",
        "missing_signature",
        "no_supported_signature",
        "no_matching_signature",
    ];
}
