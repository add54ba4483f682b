use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{ALGORITHM, body_sha256, compact, signing_input};
use crate::header::is_valid_id;
use crate::key::{Jwk, RsaSigningKey};
use crate::sign::SignError;

/// Issues RS256 JWTs for the `webhook-signature` header (for tests, `hookspec serve`, the
/// checker and the vectors). Output is deterministic: RS256 signatures are, and the JSON is
/// written with a fixed member order.
///
/// The header is `{"alg":"RS256","kid":…,"typ":"JWT"}`; the claims are `iss` (when
/// configured), `aud`, `iat` (= the `webhook-timestamp`), `exp` (`iat` + the lifetime, 300 s
/// by default), `webhook_id` (= the `webhook-id`) and `body_sha256` (unpadded base64url of
/// SHA-256 of the raw body). The last two are hookspec's own binding claims: Google
/// documents none, and without them a token proves who sent *a* delivery, not this body.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use hookspec::{JwtSigner, RsaSigningKey};
/// let key = RsaSigningKey::from_pem(&std::fs::read_to_string("tests/keys/rsa-a.pem")?)?;
/// let signer = JwtSigner::new(key, "key-a", "https://example.com/hook");
/// let token = signer.sign("msg_1", 1_700_000_000, b"{}")?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JwtSigner {
    key: RsaSigningKey,
    kid: String,
    audience: String,
    issuer: Option<String>,
    lifetime: u64,
    bind_id: bool,
    bind_body: bool,
}

impl JwtSigner {
    /// The default token lifetime (`exp - iat`): 300 s, the webhook timestamp tolerance.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

    /// A signer with `key`, published in the JWKS under `kid`, issuing tokens for
    /// `audience`; no `iss`; lifetime [`Self::DEFAULT_LIFETIME`]; `webhook_id` and
    /// `body_sha256` claims included.
    pub fn new(key: RsaSigningKey, kid: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            key,
            kid: kid.into(),
            audience: audience.into(),
            issuer: None,
            lifetime: Self::DEFAULT_LIFETIME.as_secs(),
            bind_id: true,
            bind_body: true,
        }
    }

    /// Adds an `iss` claim.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets `exp - iat` (whole seconds).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.as_secs();
        self
    }

    /// Whether to include the `webhook_id` claim (default `true`).
    pub fn bind_id(mut self, bind: bool) -> Self {
        self.bind_id = bind;
        self
    }

    /// Whether to include the `body_sha256` claim (default `true`). Without it the token
    /// is shaped like the one Google documents, which does not protect the body.
    pub fn bind_body(mut self, bind: bool) -> Self {
        self.bind_body = bind;
        self
    }

    /// The signing key.
    pub fn key(&self) -> &RsaSigningKey {
        &self.key
    }

    /// The key id put in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as it belongs in the JWKS.
    pub fn jwk(&self) -> Jwk {
        Jwk::rsa(Some(&self.kid), self.key.public_key().clone())
    }

    /// The JOSE header [`JwtSigner::sign`] uses: `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    pub fn header(&self) -> Map<String, Value> {
        to_map(&self.header_fields())
    }

    /// The claims [`JwtSigner::sign`] issues for a delivery: `iss` (if configured), `aud`,
    /// `iat` = `timestamp`, `exp` = `timestamp` + lifetime, `webhook_id`, `body_sha256`.
    /// Edit them and pass them to [`JwtSigner::sign_json`] to build a negative case.
    pub fn claims(&self, id: &str, timestamp: u64, body: &[u8]) -> Map<String, Value> {
        to_map(&self.claim_fields(id, timestamp, body))
    }

    /// The token for one delivery (the whole `webhook-signature` value). The `webhook-id`
    /// and `webhook-timestamp` headers are still sent alongside, as for `v1`. The JSON is
    /// written in the member order shown in [`JwtSigner::header`] and
    /// [`JwtSigner::claims`], whatever map type `serde_json` is built with.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> Result<String, SignError> {
        if !is_valid_id(id.as_bytes()) {
            return Err(SignError::InvalidId);
        }
        if timestamp == 0 {
            return Err(SignError::InvalidTimestamp);
        }
        let header = serde_json::to_vec(&self.header_fields()).expect("plain JSON");
        let claims =
            serde_json::to_vec(&self.claim_fields(id, timestamp, body)).expect("plain JSON");
        Ok(self.sign_raw(&header, &claims))
    }

    fn header_fields(&self) -> HeaderFields<'_> {
        HeaderFields {
            alg: ALGORITHM,
            kid: &self.kid,
            typ: "JWT",
        }
    }

    fn claim_fields<'a>(&'a self, id: &'a str, timestamp: u64, body: &[u8]) -> ClaimFields<'a> {
        ClaimFields {
            iss: self.issuer.as_deref(),
            aud: &self.audience,
            iat: timestamp,
            exp: timestamp.saturating_add(self.lifetime),
            webhook_id: self.bind_id.then_some(id),
            body_sha256: self.bind_body.then(|| body_sha256(body)),
        }
    }

    /// Signs arbitrary header and claims JSON with RS256 (whatever `alg` the header says):
    /// the checker and vectors use it for negative cases (`crit`, a `jwk` header, ...).
    pub fn sign_json(&self, header: &Value, claims: &Value) -> String {
        self.sign_raw(header.to_string().as_bytes(), claims.to_string().as_bytes())
    }

    /// Signs the exact header and claims bytes with RS256 (they need not be valid JSON).
    pub fn sign_raw(&self, header_json: &[u8], claims_json: &[u8]) -> String {
        let signature = self
            .key
            .sign_rs256(signing_input(header_json, claims_json).as_bytes());
        compact(header_json, claims_json, &signature)
    }
}

/// The issued header, in a fixed member order.
#[derive(Serialize)]
struct HeaderFields<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// The issued claims, in a fixed member order.
#[derive(Serialize)]
struct ClaimFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    aud: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_sha256: Option<String>,
}

fn to_map(fields: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(fields) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("a struct serializes to a JSON object"),
    }
}
