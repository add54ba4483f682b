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
//! `jwks/malformed-key-ignored` and `jwks/unusable-key-refused` then publish a
//! [`HostileSet`]: the primary key, keys that do not parse, keys that parse but must not be
//! used (published with a private member on purpose: throwaway keys), and a fresh valid key
//! last.
//!
//! The keys are Ed25519 for `v1a-jwks` and 2048-bit RSA for `jwt`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::jwks_host::{self, RunningJwksHost};
use hookspec::internal::entry_v1a;
use hookspec::{ErrorCode, Jwk, Jwks, JwtSigner, KeyError, RsaSigningKey, Scheme, SigningKey};

/// How long `jwks/key-added` and `jwks/key-removed` keep retrying a delivery signed with a
/// newly published key before concluding that the endpoint does not refetch, with the key
/// server's `max-age=0`: 65 s ([`refetch_wait_for`]).
pub const DEFAULT_REFETCH_WAIT: Duration = refetch_wait_for(Duration::ZERO);

/// The longest minimum refetch interval the wait allows for: receivers commonly refetch a
/// key set at most once per 30 to 60 s.
pub const REFETCH_INTERVAL_ALLOWANCE: Duration = Duration::from_secs(60);

/// The wait for a refetch when the key server serves the set with `Cache-Control: max-age`
/// = `max_age`: an endpoint may keep its copy that long, then refetch no sooner than its
/// own minimum interval ([`REFETCH_INTERVAL_ALLOWANCE`]), and the retries that prove the
/// refetch are [`DEFAULT_RETRY_EVERY`] apart (5 s of slack).
pub const fn refetch_wait_for(max_age: Duration) -> Duration {
    max_age
        .saturating_add(REFETCH_INTERVAL_ALLOWANCE)
        .saturating_add(Duration::from_secs(5))
}

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
    /// How long the rotation cases wait for the endpoint to refetch ([`refetch_wait_for`]
    /// the key server's `max-age` unless set).
    pub refetch_wait: Duration,
    /// The pause between their retries.
    pub retry_every: Duration,
    /// What the cases learned about the endpoint during the run (shared by clones).
    learned: Arc<Learned>,
}

/// A refetch wait that ended without the endpoint fetching the set once: proof that it does
/// not refetch within the wait, so no later case waits again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRefetch {
    /// The case that waited.
    pub case: &'static str,
    /// How long it waited.
    pub waited: Duration,
}

#[derive(Debug, Default)]
struct Learned {
    no_refetch: Mutex<Option<NoRefetch>>,
    hostile: Mutex<Option<Arc<HostileSet>>>,
    hostile_taken: Mutex<Option<HostileTaken>>,
}

/// What happened when the [`HostileSet`] was published: whether the endpoint accepted its
/// fresh key, and how it got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostileTaken {
    /// The case that published it and retried the fresh key.
    pub case: &'static str,
    /// Whether a delivery signed with the fresh key was accepted.
    pub accepted: bool,
    /// How many times the endpoint fetched the set meanwhile.
    pub fetches: u64,
}

/// The key set of `jwks/malformed-key-ignored` and `jwks/unusable-key-refused`, in document
/// order: the primary key; three keys no verifier can parse ([`HostileSet::malformed`]); four
/// keys that parse but whose members forbid verifying with them ([`HostileSet::unusable`]);
/// and a fresh valid key ([`HostileSet::fresh`]), last, so a parser that gives up at the first
/// bad key never reaches it.
#[derive(Debug, Clone)]
pub struct HostileSet {
    /// A valid key, new to the endpoint, published after every bad one.
    pub fresh: Key,
    /// What each unparseable key is, in document order.
    pub malformed: Vec<&'static str>,
    /// Keys a verifier must skip, each with what forbids it (`use: enc`, …); deliveries
    /// signed with them must be rejected. For RS256 they share one RSA key under four kids.
    pub unusable: Vec<(&'static str, Key)>,
    /// The JSON document served.
    pub document: String,
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
            refetch_wait: refetch_wait_for(host.max_age()),
            host: Arc::new(host),
            retry_every: DEFAULT_RETRY_EVERY,
            learned: Arc::default(),
        })
    }

    /// Whether a case of this run already waited a whole refetch wait without the endpoint
    /// fetching the set.
    pub fn no_refetch(&self) -> Option<NoRefetch> {
        lock(&self.learned.no_refetch).clone()
    }

    /// Records that `case` waited `waited` and the endpoint never fetched the set (the first
    /// such record stays).
    pub fn record_no_refetch(&self, case: &'static str, waited: Duration) {
        lock(&self.learned.no_refetch).get_or_insert(NoRefetch { case, waited });
    }

    /// The run's [`HostileSet`], generated on first use (one more RSA key pair for RS256, two
    /// with the one published with its private members).
    pub fn hostile_set(&self) -> Result<Arc<HostileSet>, KeySetError> {
        let mut slot = lock(&self.learned.hostile);
        if let Some(set) = slot.as_ref() {
            return Ok(Arc::clone(set));
        }
        let set = Arc::new(hostile_set(self)?);
        *slot = Some(Arc::clone(&set));
        Ok(set)
    }

    /// Whether the [`HostileSet`] was published in this run, and what came of it.
    pub fn hostile_taken(&self) -> Option<HostileTaken> {
        lock(&self.learned.hostile_taken).clone()
    }

    /// Records what came of publishing the [`HostileSet`].
    pub fn record_hostile_taken(&self, taken: HostileTaken) {
        *lock(&self.learned.hostile_taken) = Some(taken);
    }

    /// Publishes a document exactly as given (the [`HostileSet`]'s, whose keys
    /// [`KeySet::publish`] could not express).
    pub fn publish_document(&self, document: &str) {
        self.host.publish_document(document);
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

/// Builds the [`HostileSet`] of `ks` (see its documentation for the order).
fn hostile_set(ks: &KeySet) -> Result<HostileSet, KeySetError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let prefix = ks
        .primary
        .kid
        .strip_suffix("-primary")
        .unwrap_or(&ks.primary.kid)
        .to_string();
    let kid = |role: &str| format!("{prefix}-{role}");
    let random = |n: usize| -> Result<Vec<u8>, KeySetError> {
        let mut bytes = vec![0; n];
        getrandom::fill(&mut bytes).map_err(|_| KeyError::RandomUnavailable)?;
        Ok(bytes)
    };
    let mut keys: Vec<Value> = vec![ks.primary.jwk().to_json_value()];
    // Keys no verifier can parse.
    let mut broken_n = random(256)?;
    broken_n[0] = 0xfb; // `+` first: standard base64, not base64url
    keys.push(serde_json::json!({
        "kty": "AKP", "alg": "ML-DSA-44", "use": "sig", "kid": kid("post-quantum"),
        "pub": b64(&random(1312)?),
    }));
    keys.push(serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid("short-x"),
        "x": b64(&random(31)?),
    }));
    keys.push(serde_json::json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid("broken-n"),
        "n": STANDARD.encode(&broken_n), "e": "AQAB",
    }));
    let malformed = vec![
        "an unknown kty (AKP, a post-quantum ML-DSA key)",
        "an OKP key whose x is 31 bytes",
        "an RSA key whose n is standard base64 with padding, not base64url",
    ];
    // Keys that parse, but must not be used to verify.
    type Edit = fn(&mut Map<String, Value>, &Material);
    let unusable_roles: [(&'static str, &'static str, Edit); 4] = [
        ("use-enc", "use: enc", |jwk, _| {
            jwk.insert("use".into(), "enc".into());
        }),
        ("key-ops-encrypt", "key_ops without verify", |jwk, _| {
            jwk.remove("use");
            jwk.insert("key_ops".into(), serde_json::json!(["encrypt"]));
        }),
        (
            "alg-mismatch",
            "an alg of another key type",
            |jwk, material| {
                let alg = match material {
                    Material::Ed25519(_) => "RS256",
                    Material::Rsa(_) => "ES256",
                };
                jwk.insert("alg".into(), alg.into());
            },
        ),
        ("private", "private members present", |_, _| {}),
    ];
    let mut unusable = Vec::new();
    let shared_rsa = match ks.scheme {
        Scheme::Jwt => Some(rsa_with_private_members()?),
        _ => None,
    };
    for (role, why, edit) in unusable_roles {
        let (material, private) = match &shared_rsa {
            Some((key, private)) => (Material::Rsa(key.clone()), private.clone()),
            None => {
                let seed: [u8; 32] = random(32)?.try_into().unwrap_or([0x42; 32]);
                let mut private = Map::new();
                private.insert("d".into(), b64(&seed).into());
                (Material::Ed25519(SigningKey::from_seed(&seed)), private)
            }
        };
        let key = Key {
            kid: kid(role),
            material,
        };
        let Value::Object(mut jwk) = key.jwk().to_json_value() else {
            unreachable!("a JWK is an object")
        };
        edit(&mut jwk, &key.material);
        if role == "private" {
            jwk.extend(private);
        }
        keys.push(Value::Object(jwk));
        unusable.push((why, key));
    }
    let fresh = Key {
        kid: kid("fresh"),
        material: match ks.scheme {
            Scheme::Jwt => Material::Rsa(RsaSigningKey::generate(RSA_BITS)?),
            _ => Material::Ed25519(SigningKey::generate()?),
        },
    };
    keys.push(fresh.jwk().to_json_value());
    Ok(HostileSet {
        fresh,
        malformed,
        unusable,
        document: serde_json::json!({ "keys": keys }).to_string(),
    })
}

/// A fresh RSA key and its private members as JWK members (`d`, `p`, `q`, `dp`, `dq`).
fn rsa_with_private_members() -> Result<(RsaSigningKey, Map<String, Value>), KeySetError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
    use rsa::traits::PrivateKeyParts as _;
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
        .map_err(|_| KeyError::RandomUnavailable)?;
    let b64 = |bytes: &[u8]| Value::from(URL_SAFE_NO_PAD.encode(bytes));
    let mut private = Map::new();
    private.insert("d".into(), b64(&key.d().to_be_bytes_trimmed_vartime()));
    for (name, prime) in ["p", "q"].into_iter().zip(key.primes()) {
        private.insert(
            name.into(),
            b64(&prime.as_ref().to_be_bytes_trimmed_vartime()),
        );
    }
    for (name, value) in [("dp", key.dp()), ("dq", key.dq())] {
        if let Some(value) = value {
            private.insert(name.into(), b64(&value.to_be_bytes_trimmed_vartime()));
        }
    }
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::InvalidPem)?;
    Ok((RsaSigningKey::from_pem(&pem)?, private))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A key set of `keys`, in order.
pub fn set_of(keys: &[&Key]) -> Jwks {
    Jwks::new(keys.iter().map(|k| k.jwk()).collect())
}
