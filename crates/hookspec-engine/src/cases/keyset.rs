//! The keys of a key-set run (`hookspec check --scheme v1a-jwks | jwt`): hookspec
//! generates its own keys, publishes their public halves on its key server
//! ([`crate::jwks_host`]) for the endpoint to fetch, signs with them, and rotates them
//! during the run.
//!
//! Roles (kids are `hookspec-<tag>-<role>`, unique per run so an endpoint's cache from an
//! earlier run cannot answer for this one):
//!
//! * `primary`: published for the whole run; signs every ordinary delivery.
//! * `rotation-1`: published from the start, removed by `jwks/key-removed`.
//! * `rotation-2`: published by `jwks/key-added`.
//! * `rotation-3`: published by `jwks/key-removed`, together with removing `rotation-1`.
//! * `attacker`: never in the set; served only on the decoy URL
//!   ([`RunningJwksHost::decoy_url`]) that negative cases name in `jku` / `x5u` headers.
//!
//! The keys are Ed25519 for `v1a-jwks` and 2048-bit RSA for `jwt`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::jwks_host::{self, RunningJwksHost};
use hookspec::internal::entry_v1a;
use hookspec::{ErrorCode, Jwk, Jwks, JwtSigner, KeyError, RsaSigningKey, Scheme, SigningKey};

/// How long `jwks/key-added` and `jwks/key-removed` keep retrying a delivery signed with a
/// newly published key before concluding that the endpoint does not refetch: 65 s, enough
/// for the common 30 to 60 s minimum refetch interval.
pub const DEFAULT_REFETCH_WAIT: Duration = Duration::from_secs(65);

/// The pause between two such retries.
pub const DEFAULT_RETRY_EVERY: Duration = Duration::from_secs(2);

/// The RSA modulus size of generated keys.
const RSA_BITS: usize = 2048;

/// Key material of one role.
#[derive(Debug, Clone)]
pub enum Material {
    /// An Ed25519 key (`v1a` entries).
    Ed25519(SigningKey),
    /// An RSA key (RS256 tokens).
    Rsa(RsaSigningKey),
}

/// A key with its key id.
#[derive(Debug, Clone)]
pub struct Key {
    /// The `kid` it is published under.
    pub kid: String,
    /// The key.
    pub material: Material,
}

impl Key {
    /// The public JWK.
    pub fn jwk(&self) -> Jwk {
        match &self.material {
            Material::Ed25519(key) => Jwk::ed25519(Some(&self.kid), key.public_key()),
            Material::Rsa(key) => Jwk::rsa(Some(&self.kid), key.public_key().clone()),
        }
    }

    /// The RSA key (RS256 runs only).
    pub fn rsa(&self) -> Option<&RsaSigningKey> {
        match &self.material {
            Material::Rsa(key) => Some(key),
            Material::Ed25519(_) => None,
        }
    }

    /// The Ed25519 key (`v1a-jwks` runs only).
    pub fn ed25519(&self) -> Option<&SigningKey> {
        match &self.material {
            Material::Ed25519(key) => Some(key),
            Material::Rsa(_) => None,
        }
    }
}

/// What the endpoint is configured to expect of tokens (`jwt` runs).
#[derive(Debug, Clone, Default)]
pub struct JwtSettings {
    /// The audience the endpoint accepts (`--jwt-audience`).
    pub audience: String,
    /// The issuer the endpoint requires (`--jwt-issuer`); issued as `iss` when set.
    pub issuer: Option<String>,
    /// Whether the endpoint verifies hookspec's binding claims (`--jwt-body-binding`):
    /// tokens then carry `webhook_id` and `body_sha256`.
    pub body_binding: bool,
}

/// Why a key-set run could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    /// Key generation failed (no random source).
    #[error("cannot generate keys: {0}")]
    Keys(#[from] KeyError),
    /// The key server could not bind its address.
    #[error("cannot serve the key set on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scheme does not use a key set.
    #[error("scheme {0} does not use a key set")]
    NotAKeySetScheme(Scheme),
}

impl KeySetError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Keys(e) => e.code(),
            Self::Bind { .. } => "bind_failed",
            Self::NotAKeySetScheme(_) => "not_a_key_set_scheme",
        }
    }
}

/// The keys of a key-set run and the server publishing them. Cloning shares the server.
#[derive(Debug, Clone)]
pub struct KeySet {
    /// `v1a-jwks` or `jwt`.
    pub scheme: Scheme,
    /// Signs every ordinary delivery.
    pub primary: Key,
    /// `rotation-1`, `rotation-2`, `rotation-3` (see the module documentation).
    pub rotation: [Key; 3],
    /// Never published in the set.
    pub attacker: Key,
    /// Token settings (`jwt` runs).
    pub jwt: JwtSettings,
    /// The key server.
    pub host: Arc<RunningJwksHost>,
    /// How long the rotation cases wait for the endpoint to refetch.
    pub refetch_wait: Duration,
    /// The pause between their retries.
    pub retry_every: Duration,
}

impl KeySet {
    /// Generates the keys for `scheme`, tagged `tag`, and starts the key server on `addr`
    /// publishing the initial set (`primary`, `rotation-1`); the decoy set holds the
    /// attacker's key.
    pub async fn start(
        scheme: Scheme,
        tag: &str,
        addr: SocketAddr,
        jwt: JwtSettings,
    ) -> Result<Self, KeySetError> {
        let make = |role: &str| -> Result<Key, KeySetError> {
            let material = match scheme {
                Scheme::V1aJwks => Material::Ed25519(SigningKey::generate()?),
                Scheme::Jwt => Material::Rsa(RsaSigningKey::generate(RSA_BITS)?),
                other => return Err(KeySetError::NotAKeySetScheme(other)),
            };
            Ok(Key {
                kid: format!("hookspec-{tag}-{role}"),
                material,
            })
        };
        let primary = make("primary")?;
        let rotation = [
            make("rotation-1")?,
            make("rotation-2")?,
            make("rotation-3")?,
        ];
        let attacker = make("attacker")?;
        let initial = set_of(&[&primary, &rotation[0]]);
        let host = jwks_host::spawn(addr, &initial, 0)
            .await
            .map_err(|source| KeySetError::Bind { addr, source })?;
        host.publish_decoy(&set_of(&[&attacker]));
        Ok(Self {
            scheme,
            primary,
            rotation,
            attacker,
            jwt,
            host: Arc::new(host),
            refetch_wait: DEFAULT_REFETCH_WAIT,
            retry_every: DEFAULT_RETRY_EVERY,
        })
    }

    /// The URL the endpoint must be configured with.
    pub fn url(&self) -> String {
        self.host.url()
    }

    /// Publishes exactly `keys`, in order.
    pub fn publish(&self, keys: &[&Key]) {
        self.host.publish(&set_of(keys));
    }

    /// The `webhook-signature` value for a delivery signed with `key`: a `v1a,` entry, or
    /// a token with the issued claims.
    pub fn signature(&self, key: &Key, id: &str, timestamp: &str, body: &[u8]) -> String {
        match &key.material {
            Material::Ed25519(k) => entry_v1a(k, id.as_bytes(), timestamp.as_bytes(), body),
            Material::Rsa(_) => self.token(key, id, timestamp, body, |_, _| {}),
        }
    }

    /// The JWT signer of `key` with the run's settings (`None` for an Ed25519 key).
    pub fn jwt_signer(&self, key: &Key) -> Option<JwtSigner> {
        let rsa = key.rsa()?;
        let mut signer = JwtSigner::new(rsa.clone(), key.kid.clone(), self.jwt.audience.clone())
            .bind_id(self.jwt.body_binding)
            .bind_body(self.jwt.body_binding);
        if let Some(issuer) = &self.jwt.issuer {
            signer = signer.issuer(issuer.clone());
        }
        Some(signer)
    }

    /// A token by `key` for a delivery, its header and claims edited by `edit` before
    /// signing (RS256 whatever `alg` says). The claims are the issued ones: `iss` (when
    /// configured), `aud`, `iat` = the timestamp, `exp` = `iat` + 300 s, and the binding
    /// claims when the endpoint verifies them. A timestamp that is not a number issues
    /// `iat` 0 (such deliveries are rejected by their header anyway).
    pub fn token(
        &self,
        key: &Key,
        id: &str,
        timestamp: &str,
        body: &[u8],
        edit: impl FnOnce(&mut Map<String, Value>, &mut Map<String, Value>),
    ) -> String {
        let Some(signer) = self.jwt_signer(key) else {
            return String::new();
        };
        let ts = timestamp.parse::<u64>().unwrap_or(0);
        let mut header = signer.header();
        let mut claims = signer.claims(id, ts, body);
        edit(&mut header, &mut claims);
        signer.sign_json(&Value::Object(header), &Value::Object(claims))
    }
}

/// A key set of `keys`, in order.
pub fn set_of(keys: &[&Key]) -> Jwks {
    Jwks::new(keys.iter().map(|k| k.jwk()).collect())
}
