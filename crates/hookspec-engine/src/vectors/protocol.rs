//! The adapter line protocol (DESIGN.md, "Vector adapter protocol"): hookspec starts the
//! adapter once and writes one JSON [`Request`] per line to its standard input; the adapter
//! answers each with one JSON [`Response`] line on its standard output, in order.
//!
//! `headers` is a JSON object, as most verifier libraries take one: a name repeated in the
//! vector (compared case-insensitively) appears once, under its first spelling, with the
//! values joined by `", "` in order, which is how HTTP combines repeated fields (RFC 9110,
//! section 5.3) and what Node's `req.headers` does. `header_list` gives the exact list for
//! adapters whose library takes repeated fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::format::{TestGroup, TestVector};
use super::render::VectorRequest;

/// One request line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The test id (unique together with `scheme`).
    #[serde(rename = "tcId")]
    pub tc_id: u32,
    /// The vector file's scheme (`v1`, `v1a`, `v1a-jwks`, `jwt`). An adapter answers a
    /// scheme its library lacks with `unsupported`.
    pub scheme: String,
    /// The `whsec_` secrets to trust, exactly as configured (possibly malformed).
    pub secrets: Vec<String>,
    /// The `whpk_` public keys to trust, exactly as configured.
    pub public_keys: Vec<String>,
    /// For `v1a-jwks` and `jwt`: the key set to verify with (a JWKS object, as if fetched
    /// from the sender's URL). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// For `jwt`: the audience the receiver accepts (absent: none configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_audience: Option<String>,
    /// For `jwt`: the issuer the receiver requires (absent: `iss` not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_issuer: Option<String>,
    /// For `jwt`: `true` when the receiver enforces hookspec's binding claims (requires
    /// `body_sha256`, verifies it and `webhook_id`); absent when it may ignore them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jwt_body_binding: bool,
    /// The headers as an object (repeats joined with `", "`).
    pub headers: BTreeMap<String, String>,
    /// The headers exactly as sent: `[name, value]` pairs in order.
    pub header_list: Vec<(String, String)>,
    /// The body, standard base64.
    pub body_b64: String,
    /// The receiver's clock, Unix seconds: verify as if this were the time.
    pub now: u64,
}

/// One response line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The test id of the request answered.
    #[serde(rename = "tcId")]
    pub tc_id: u32,
    /// Whether the implementation accepted the delivery.
    pub accept: bool,
    /// Why it rejected (free text; the reference adapter gives its error code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The implementation refused the keys themselves (construction failed), before it
    /// looked at the delivery. Counts as a rejection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub config_error: bool,
    /// The implementation lacks what the test needs (for example `v1a`); the reason. The
    /// test is then counted as unsupported, not as a divergence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
}

impl Request {
    /// The request for a test of `group`, with the group's whole receiver configuration
    /// (keys, key set, JWT audience and issuer) and the headers and clock of `request`.
    pub fn for_group(
        scheme: &str,
        group: &TestGroup,
        test: &TestVector,
        request: &VectorRequest,
    ) -> Self {
        Self {
            jwks: group.jwks.clone(),
            jwt_audience: group.jwt_audience.clone(),
            jwt_issuer: group.jwt_issuer.clone(),
            jwt_body_binding: group.jwt_body_binding,
            ..Self::new(scheme, &group.secrets, &group.public_keys, test, request)
        }
    }

    /// The request for a test, with the headers and clock of `request` (see
    /// [`super::render::request_at`]), for a receiver holding only `secrets` and
    /// `public_keys` (no key set).
    pub fn new(
        scheme: &str,
        secrets: &[String],
        public_keys: &[String],
        test: &TestVector,
        request: &VectorRequest,
    ) -> Self {
        use base64::Engine as _;
        Self {
            tc_id: test.tc_id,
            scheme: scheme.to_string(),
            secrets: secrets.to_vec(),
            public_keys: public_keys.to_vec(),
            jwks: None,
            jwt_audience: None,
            jwt_issuer: None,
            jwt_body_binding: false,
            headers: combine(&request.headers),
            header_list: request.headers.clone(),
            body_b64: base64::engine::general_purpose::STANDARD.encode(&request.body),
            now: request.now,
        }
    }
}

/// Combines repeated header fields into one object entry per name (case-insensitive; first
/// spelling kept; values joined with `", "`).
pub fn combine(headers: &[(String, String)]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let key = out
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| name.clone());
        out.entry(key)
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    out
}
