//! The vector file format (JSON), modelled on Project Wycheproof: one file per scheme, shared
//! keys in test groups, a stable `tcId` per test, flags that name the bug class a test probes,
//! and AdCP's `reference_now` clock injection with the exact request as sent.
//!
//! Field order in these structs is the field order in the files, and maps are `BTreeMap`s,
//! so serialization is byte-for-byte deterministic. `vectors/README.md` documents every field.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// One vector file (`vectors/v1.json`, `vectors/v1a.json`, `vectors/v1a-jwks.json`,
/// `vectors/jwt.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// The scheme the file is about: `v1` (HMAC-SHA256), `v1a` (Ed25519), `v1a-jwks`
    /// (Ed25519 with keys from a JWKS) or `jwt` (RS256 JWTs with keys from a JWKS).
    pub scheme: String,
    /// The file format version, `hookspec-vectors-1`.
    pub schema: String,
    /// The number of tests in all groups (checked on load).
    #[serde(rename = "numberOfTests")]
    pub number_of_tests: usize,
    /// Free text: what the file is, where it comes from, how to regenerate it.
    pub header: Vec<String>,
    /// Flag name → what the flag means.
    pub notes: BTreeMap<String, Note>,
    /// Groups of tests sharing the receiver's trusted keys.
    #[serde(rename = "testGroups")]
    pub test_groups: Vec<TestGroup>,
}

/// The format version written into [`VectorFile::schema`].
pub const SCHEMA_VERSION: &str = "hookspec-vectors-1";

/// What a flag means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The bug class, in Wycheproof's style: `BASIC`, `AUTH_BYPASS`, `REPLAY`, `FRESHNESS`,
    /// `ROTATION`, `CANONICALIZATION`, `MALFORMED_INPUT`, `EDGE_CASE`, `KNOWN_BUG`,
    /// `MALLEABILITY`, `CONFIGURATION`.
    #[serde(rename = "bugType")]
    pub bug_type: String,
    /// What the tests with this flag probe, and why a receiver gets them wrong.
    pub description: String,
    /// Issues, advisories and library code that motivated the flag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// Tests that share the receiver's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestGroup {
    /// What the configuration is.
    pub comment: String,
    /// The `whsec_` secrets the receiver trusts, exactly as configured (possibly malformed:
    /// configuration vectors test that a receiver refuses them).
    pub secrets: Vec<String>,
    /// The `whpk_` public keys the receiver trusts, exactly as configured.
    pub public_keys: Vec<String>,
    /// For `v1a-jwks` and `jwt`: the key set (RFC 7517 JWKS document) the receiver has
    /// fetched. Absent for the other schemes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// For `jwt`: the audience the receiver is configured with (absent: none configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_audience: Option<String>,
    /// For `jwt`: the issuer the receiver requires (absent: `iss` is not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_issuer: Option<String>,
    /// For `jwt`: the receiver enforces hookspec's binding claims: it requires
    /// `body_sha256`, and verifies it and `webhook_id` against the delivery (`hookspec check
    /// --jwt-body-binding`, [`hookspec::JwksVerifier::require_body_binding`]). Absent
    /// (`false`): the receiver may ignore them, as Google documents none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jwt_body_binding: bool,
    /// The tests.
    pub tests: Vec<TestVector>,
}

/// The expected result of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    /// A conformant receiver accepts the delivery.
    Valid,
    /// A conformant receiver rejects the delivery (or refuses the configuration).
    Invalid,
    /// The strict profile leaves the choice to the receiver; the flags say why.
    Acceptable,
}

impl Expected {
    /// `valid`, `invalid` or `acceptable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Acceptable => "acceptable",
        }
    }

    /// Whether an implementation that accepted (`true`) or rejected agrees with this result.
    pub fn agrees_with(self, accept: bool) -> bool {
        match self {
            Self::Valid => accept,
            Self::Invalid => !accept,
            Self::Acceptable => true,
        }
    }
}

/// One test: a delivery frozen at `reference_now`, and the expected result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestVector {
    /// Stable id, unique within the file.
    #[serde(rename = "tcId")]
    pub tc_id: u32,
    /// What the test does.
    pub comment: String,
    /// Flags (keys of [`VectorFile::notes`]).
    pub flags: Vec<String>,
    /// The receiver's clock, in Unix seconds, when it verifies this delivery.
    pub reference_now: u64,
    /// The request headers exactly as sent: order, name spelling and repeats preserved.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes, standard base64.
    pub body_b64: String,
    /// The body as text, when it is UTF-8 and at most [`BODY_TEXT_MAX`] bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// The expected result.
    pub result: Expected,
    /// For `invalid`: the reference verifier's error code (`ErrorCode::code` of a
    /// `VerifyError` or, for a configuration the receiver must refuse, of a `KeyError`).
    /// For `acceptable`: the reference verifier's own choice, absent when it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How to rebuild the time-dependent headers at another clock (absent: the headers do
    /// not depend on the clock, or cannot be rebuilt). See [`crate::vectors::render`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resign: Option<Vec<HeaderTemplate>>,
}

/// Bodies up to this many bytes also carry `body_text` (when UTF-8).
pub const BODY_TEXT_MAX: usize = 4096;

impl TestVector {
    /// The decoded body bytes.
    pub fn body(&self) -> Result<Vec<u8>, FormatError> {
        STANDARD
            .decode(&self.body_b64)
            .map_err(|_| FormatError::BadBody { tc_id: self.tc_id })
    }

    /// Whether the test can be rebuilt at another clock (see [`TestVector::resign`]).
    pub fn is_time_relative(&self) -> bool {
        self.resign.is_some()
    }
}

/// The value of one header as a template of parts, rendered at a given clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderTemplate {
    /// Index of the header in [`TestVector::headers`].
    pub header: usize,
    /// The parts, concatenated.
    pub value: Vec<Part>,
}

/// One part of a header template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A computed part.
    Computed(Computed),
}

/// A computed part of a header template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Computed {
    /// The decimal of `now + offset` (seconds; the offset may be negative).
    Now(i64),
    /// `now + offset` in an unusual spelling (timestamp grammar tests).
    NowStyled {
        /// Seconds from `now`.
        offset: i64,
        /// The spelling.
        style: TimestampStyle,
    },
    /// A signature entry (`v1,…` or `v1a,…`), computed at render time.
    Sig(SigSpec),
    /// A compact JWS (the whole `webhook-signature` of the `jwt` scheme), computed at
    /// render time.
    Jwt(JwtSpec),
}

/// How to compute a JWT: the exact header text, the claims text with its clock-dependent
/// parts, the signing method, then changes to the token text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSpec {
    /// How the signature segment is made (whatever the header's `alg` says).
    pub sign: JwtSign,
    /// The JOSE header: exact JSON text, base64url-encoded as is.
    pub header: String,
    /// The claims: parts (literal text and `now` offsets) concatenated into the exact JSON
    /// text, base64url-encoded as is.
    pub claims: Vec<Part>,
    /// Changes to the finished token text, applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<TokenMutation>,
}

/// The signature segment of a [`JwtSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum JwtSign {
    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, deterministic) with this RSA private key
    /// (PKCS#8 PEM).
    Rs256(String),
    /// HS256 keyed with these bytes (standard base64): the algorithm-confusion cases key
    /// it with the RSA public key's own encodings.
    Hs256B64(String),
    /// An empty signature segment (`alg: none`).
    Unsigned,
}

/// A change to a finished token's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenMutation {
    /// Remove the last `n` characters.
    DropLast(usize),
    /// Keep only the first `n` dot-separated segments (joined with `.`).
    Segments(usize),
    /// Insert `text` before the character at `at`.
    Insert {
        /// Character index.
        at: usize,
        /// Inserted text.
        text: String,
    },
    /// Append text.
    Append(String),
}

/// A spelling of a timestamp for the grammar tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampStyle {
    /// Full-width digits (U+FF10..U+FF19), which Python's `float()` reads.
    Fullwidth,
    /// Arabic-Indic digits (U+0660..U+0669), which Java's `Long.parseLong` reads.
    ArabicIndic,
    /// Scientific notation, `1.614265330e9`.
    Exponent,
    /// Digit groups separated by `_`, which Python and Ruby read.
    Underscores,
    /// Milliseconds instead of seconds.
    Milliseconds,
}

impl TimestampStyle {
    /// Spells `value` in this style.
    pub fn render(self, value: u64) -> String {
        let digits = value.to_string();
        let map_digits = |zero: u32| {
            digits
                .chars()
                .map(|c| char::from_u32(zero + (c as u32 - '0' as u32)).unwrap_or(c))
                .collect()
        };
        match self {
            Self::Fullwidth => map_digits(0xFF10),
            Self::ArabicIndic => map_digits(0x0660),
            Self::Exponent => {
                let (first, rest) = digits.split_at(1);
                if rest.is_empty() {
                    format!("{first}e0")
                } else {
                    format!("{first}.{rest}e{}", rest.len())
                }
            }
            Self::Underscores => underscores(&digits),
            Self::Milliseconds => value.saturating_mul(1000).to_string(),
        }
    }
}

/// How to compute one signature entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigSpec {
    /// `v1` or `v1a`.
    pub scheme: String,
    /// The signing key: a `whsec_` secret (any length: `whsec_` alone is the empty key) or
    /// a `whsk_` key.
    pub key: String,
    /// Sign this id instead of the delivery's `webhook-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Sign this timestamp text (parts: literal text and `now` offsets) instead of the
    /// delivery's `webhook-timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Vec<Part>>,
    /// Sign these body bytes (base64) instead of the delivery's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_b64: Option<String>,
    /// Changes to the raw signature bytes, applied in order before encoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw: Vec<RawMutation>,
    /// Changes to the entry text (`version,base64`), applied in order after encoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<TextMutation>,
}

/// A change to the raw signature bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawMutation {
    /// XOR byte `index` with `mask`.
    Xor {
        /// Byte index.
        index: usize,
        /// The mask.
        mask: u8,
    },
    /// Keep the first `n` bytes.
    Truncate(usize),
    /// Append this many zero bytes.
    AppendZeros(usize),
    /// Replace every byte with zero (same length).
    Zero,
    /// Ed25519: add the group order L to the scalar S (the second 32 bytes), giving the
    /// malleable non-canonical signature that lax verifiers accept.
    AddOrderToS,
}

/// A change to the entry text `version,base64`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TextMutation {
    /// Keep the first `n` characters.
    Truncate(usize),
    /// XOR the base64 alphabet index (0..63) of the character at `at` with `mask`
    /// (1..63): the character always changes, whatever the signature is at this clock.
    XorBase64 {
        /// Character index.
        at: usize,
        /// The mask.
        mask: u8,
    },
    /// Delete the character at this index.
    Delete(usize),
    /// Insert `text` before the character at `at`.
    Insert {
        /// Character index.
        at: usize,
        /// Inserted text.
        text: String,
    },
    /// Append text.
    Append(String),
    /// Replace the version token (the text before the first comma).
    Version(String),
    /// Remove the version and its comma (the bare base64).
    DropVersion,
    /// Re-encode the signature with the URL-safe alphabet (padding kept).
    UrlSafe,
    /// Remove the `=` padding.
    StripPadding,
    /// Set the unused low bits of the last base64 character before the padding: lenient
    /// decoders ignore them, so the text decodes to the same bytes.
    NoncanonicalPadding,
}

/// Why a vector file or test is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The JSON does not match the format.
    #[error("not a hookspec vector file: {0}")]
    Json(String),
    /// The file names another format version.
    #[error("unsupported vector format {found:?} (this hookspec reads {SCHEMA_VERSION:?})")]
    Version {
        /// The `schema` field found.
        found: String,
    },
    /// `numberOfTests` disagrees with the tests present.
    #[error("numberOfTests is {declared} but the file has {found} tests")]
    Count {
        /// Declared.
        declared: usize,
        /// Found.
        found: usize,
    },
    /// Two tests share a `tcId`.
    #[error("tcId {0} appears twice")]
    DuplicateId(u32),
    /// A test uses a flag that `notes` does not describe.
    #[error("test {tc_id} uses flag {flag:?}, which notes does not describe")]
    UnknownFlag {
        /// The test.
        tc_id: u32,
        /// The flag.
        flag: String,
    },
    /// An `invalid` test without an expected error code.
    #[error("test {0} is invalid but names no error code")]
    MissingError(u32),
    /// `body_b64` is not base64.
    #[error("test {tc_id}: body_b64 is not standard base64")]
    BadBody {
        /// The test.
        tc_id: u32,
    },
    /// A template points past the headers.
    #[error("test {tc_id}: resign template for header {header}, which does not exist")]
    BadTemplate {
        /// The test.
        tc_id: u32,
        /// The header index.
        header: usize,
    },
}

impl VectorFile {
    /// Parses and checks a vector file (format version, counts, unique ids, known flags,
    /// error codes on invalid tests, decodable bodies, template indexes).
    pub fn from_json(text: &str) -> Result<Self, FormatError> {
        let file: Self =
            serde_json::from_str(text).map_err(|e| FormatError::Json(e.to_string()))?;
        file.validate()?;
        Ok(file)
    }

    /// The canonical serialization: pretty JSON with two-space indentation and a trailing
    /// newline (what `hookspec vectors generate` writes).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("vector files serialize");
        text.push('\n');
        text
    }

    /// Checks the invariants [`VectorFile::from_json`] promises.
    pub fn validate(&self) -> Result<(), FormatError> {
        if self.schema != SCHEMA_VERSION {
            return Err(FormatError::Version {
                found: self.schema.clone(),
            });
        }
        let found = self.tests().count();
        if found != self.number_of_tests {
            return Err(FormatError::Count {
                declared: self.number_of_tests,
                found,
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for (_, test) in self.tests() {
            if !seen.insert(test.tc_id) {
                return Err(FormatError::DuplicateId(test.tc_id));
            }
            if let Some(flag) = test.flags.iter().find(|f| !self.notes.contains_key(*f)) {
                return Err(FormatError::UnknownFlag {
                    tc_id: test.tc_id,
                    flag: flag.clone(),
                });
            }
            if test.result == Expected::Invalid && test.error.is_none() {
                return Err(FormatError::MissingError(test.tc_id));
            }
            test.body()?;
            if let Some(t) = test
                .resign
                .iter()
                .flatten()
                .find(|t| t.header >= test.headers.len())
            {
                return Err(FormatError::BadTemplate {
                    tc_id: test.tc_id,
                    header: t.header,
                });
            }
        }
        Ok(())
    }

    /// Every test with its group, in file order.
    pub fn tests(&self) -> impl Iterator<Item = (&TestGroup, &TestVector)> {
        self.test_groups
            .iter()
            .flat_map(|g| g.tests.iter().map(move |t| (g, t)))
    }
}

/// `digits` with `_` every three digits from the right (`1_700_000_000`), the digit
/// separators Python and Ruby accept in integers.
pub(crate) fn underscores(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}
