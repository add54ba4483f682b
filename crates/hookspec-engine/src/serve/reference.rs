//! One way to build a reference receiver for a set of keys: `hookspec check` without a
//! URL, `hookspec serve`, and `check --vectors` (one receiver per vector group) all start
//! theirs here.

use std::net::SocketAddr;
use std::sync::Arc;

use hookspec::JwksVerifier;
use hookspec::PublicKey;
use hookspec::Secret;
use hookspec::Verifier;

use super::{JwksAuthenticator, LogSink, RunningServer, ServeConfig, ServeError, spawn};
use crate::jwks_cache::{CachePolicy, JwksCache};
use hookspec::JwksVerifyError;

/// A free port on the IPv4 loopback: where embedded receivers listen.
pub const LOOPBACK_ANY: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    0,
));

impl ServeConfig {
    /// A receiver trusting exactly these secrets (`v1`) and public keys (`v1a`), with the
    /// reference verifier's defaults.
    pub fn trusting(secrets: &[Secret], public_keys: &[PublicKey]) -> Self {
        Self::new(trust(Verifier::new(), secrets, public_keys))
    }

    /// A receiver that takes its keys from the key set at `url` (`v1a-jwks`, `jwt`),
    /// fetched and cached under `policy`, and verifies with `verifier`.
    pub fn from_key_set(
        url: &str,
        policy: CachePolicy,
        verifier: JwksVerifier,
    ) -> Result<Self, JwksVerifyError> {
        let cache = JwksCache::new(url, policy)?;
        Ok(Self::with_async_authenticator(JwksAuthenticator::new(
            Arc::new(cache),
            verifier,
        )))
    }
}

/// `verifier` trusting `secrets` and `public_keys` as well.
pub fn trust(mut verifier: Verifier, secrets: &[Secret], public_keys: &[PublicKey]) -> Verifier {
    for secret in secrets {
        verifier = verifier.with_secret(secret.clone());
    }
    for key in public_keys {
        verifier = verifier.with_public_key(*key);
    }
    verifier
}

/// Starts `config` on a free loopback port, without logging: a receiver for a test run.
pub async fn spawn_embedded(config: ServeConfig) -> Result<RunningServer, ServeError> {
    spawn(config.addr(LOOPBACK_ANY).log(LogSink::Off)).await
}
