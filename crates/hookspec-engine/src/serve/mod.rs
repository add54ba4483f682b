//! `hookspec serve`: the reference receiver, a real HTTP server that handles Standard
//! Webhooks deliveries the way the strict profile asks, and that `hookspec check` runs
//! against when given no URL.
//!
//! For each `POST` (to any path but the observer's):
//!
//! 1. the body is read as raw bytes, up to [`ServeConfig::max_body`] (default 5 MiB;
//!    above it: `413`, at once when `content-length` says so); it is never parsed or
//!    re-serialized;
//! 2. the delivery is authenticated ([`Authenticate`]; by default the reference
//!    [`Verifier`]); a failure is answered `400` or `401` as [`status_for`] documents, and
//!    has no effect;
//! 3. the id is checked and recorded atomically in the [`DedupStore`] (TTL at least 24 h);
//!    a new id is acted on (counted), a known id is acknowledged with `200` and not acted on
//!    again; when the store is full ([`ServeConfig::max_ids`]) a new id is answered `503`;
//! 4. one line is logged ([`LogSink`]).
//!
//! `GET <observe path>` (default `/_hookspec/observed`) answers the observer contract: a
//! JSON object mapping each id acted on to the number of times, e.g. `{"msg_1": 1}`.
//!
//! Connections are bounded as [`ServerOptions`] says (header, body and idle timeouts, a
//! connection cap, a shutdown grace).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use hookspec_engine::serve::{LogSink, ServeConfig, spawn};
//! use hookspec::{Secret, Verifier};
//! let secret = Secret::generate()?;
//! let config = ServeConfig::new(Verifier::new().with_secret(secret))
//!     .addr(([127, 0, 0, 1], 0).into())
//!     .log(LogSink::Off);
//! let server = spawn(config).await?;
//! println!("deliver to {}, observe at {}", server.base_url(), server.observe_url());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

mod app;
mod auth;
mod dedup;
mod jwks;
mod log;
mod reference;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

pub use auth::{AsyncAuthenticate, AuthFuture, Authenticate, Authenticated, Rejection, status_for};
pub use dedup::{
    Admission, BYTES_PER_ID, DEFAULT_MAX_IDS, DEFAULT_TTL, DedupStore, MIN_TTL, PRUNE_INTERVAL_SECS,
};
pub use jwks::{JwksAuthenticator, status_for_jwks};
pub use log::{DeliveryOutcome, DeliveryRecord, LogSink};
pub use reference::{LOOPBACK_ANY, spawn_embedded, trust};

use hookspec::Verifier;

use crate::server_task::{ServerOptions, ServerTask};
use auth::Authenticator;

/// The default listening address: `127.0.0.1:8080` (loopback only).
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    8080,
));

/// The default observer path.
pub const DEFAULT_OBSERVE_PATH: &str = "/_hookspec/observed";

/// The default body limit: 5 MiB (the strict profile asks receivers to take at least 1 MiB).
pub const DEFAULT_MAX_BODY: usize = 5 * 1024 * 1024;

/// Why the receiver could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The authenticator trusts no key, so it would refuse every delivery.
    #[error("no secret or public key is configured")]
    NoKeysConfigured,
    /// The observer path is not `/` followed by letters, digits and `/_.~-`.
    #[error(
        "invalid observe path {path:?}: use `/` followed by letters, digits and `/_.~-` (not `/` alone)"
    )]
    InvalidObservePath {
        /// The path given.
        path: String,
    },
    /// The body limit is zero.
    #[error("the body limit must be at least 1 byte")]
    InvalidBodyLimit,
    /// The id cap is zero.
    #[error("the id store must hold at least 1 id")]
    InvalidIdLimit,
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: io::Error,
    },
}

impl ServeError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoKeysConfigured => "no_keys_configured",
            Self::InvalidObservePath { .. } => "invalid_observe_path",
            Self::InvalidBodyLimit => "invalid_body_limit",
            Self::InvalidIdLimit => "invalid_id_limit",
            Self::Bind { .. } => "bind_failed",
        }
    }
}

/// How to run the receiver. Build with [`ServeConfig::new`] and the setters.
#[derive(Clone)]
pub struct ServeConfig {
    addr: SocketAddr,
    auth: Authenticator,
    observe_path: String,
    max_body: usize,
    dedup_ttl: Duration,
    max_ids: usize,
    server: ServerOptions,
    log: LogSink,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("addr", &self.addr)
            .field("keys", &self.auth.key_count())
            .field("observe_path", &self.observe_path)
            .field("max_body", &self.max_body)
            .field("dedup_ttl", &self.dedup_ttl)
            .field("max_ids", &self.max_ids)
            .field("server", &self.server)
            .field("log", &self.log)
            .finish()
    }
}

impl ServeConfig {
    /// A receiver that verifies with `verifier`, on [`DEFAULT_ADDR`], with the observer at
    /// [`DEFAULT_OBSERVE_PATH`], a [`DEFAULT_MAX_BODY`] limit, a [`DEFAULT_TTL`] dedup
    /// window, and logging to standard error.
    pub fn new(verifier: Verifier) -> Self {
        Self::with_authenticator(verifier)
    }

    /// Like [`ServeConfig::new`], with any way of authenticating deliveries.
    pub fn with_authenticator(auth: impl Authenticate) -> Self {
        Self::with(Authenticator::Sync(Arc::new(auth)))
    }

    /// Like [`ServeConfig::new`], with a way of authenticating that may wait, such as a key
    /// set fetched from a URL ([`JwksAuthenticator`]).
    pub fn with_async_authenticator(auth: impl AsyncAuthenticate) -> Self {
        Self::with(Authenticator::Async(Arc::new(auth)))
    }

    fn with(auth: Authenticator) -> Self {
        Self {
            addr: DEFAULT_ADDR,
            auth,
            observe_path: DEFAULT_OBSERVE_PATH.to_owned(),
            max_body: DEFAULT_MAX_BODY,
            dedup_ttl: DEFAULT_TTL,
            max_ids: DEFAULT_MAX_IDS,
            server: ServerOptions::default(),
            log: LogSink::default(),
        }
    }

    /// The address to listen on. Port 0 picks a free port (see [`RunningServer::local_addr`]).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The observer path (default [`DEFAULT_OBSERVE_PATH`]).
    pub fn observe_path(mut self, path: impl Into<String>) -> Self {
        self.observe_path = path.into();
        self
    }

    /// The largest body accepted, in bytes (default [`DEFAULT_MAX_BODY`], 5 MiB); larger
    /// bodies get `413`.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How long ids are remembered (default and minimum [`DEFAULT_TTL`], 24 h).
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = ttl;
        self
    }

    /// The most ids the dedup store holds (default [`DEFAULT_MAX_IDS`], up to about
    /// [`BYTES_PER_ID`] bytes each). When it is full, a delivery with a new id is answered
    /// `503` (code `id_store_full`) until ids expire; known ids are still recognised.
    pub fn max_ids(mut self, ids: usize) -> Self {
        self.max_ids = ids;
        self
    }

    /// How connections are bounded: timeouts, connection cap, shutdown grace (default
    /// [`ServerOptions::default`]).
    pub fn server_options(mut self, options: ServerOptions) -> Self {
        self.server = options;
        self
    }

    /// Where delivery log lines go (default [`LogSink::Stderr`]).
    pub fn log(mut self, sink: LogSink) -> Self {
        self.log = sink;
        self
    }
}

fn valid_observe_path(path: &str) -> bool {
    path.len() > 1
        && path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.~-".contains(&b))
}

/// Binds the address and starts serving on the current tokio runtime.
///
/// Returns once the socket is bound, so requests can be sent right away.
pub async fn spawn(config: ServeConfig) -> Result<RunningServer, ServeError> {
    if config.auth.key_count() == 0 {
        return Err(ServeError::NoKeysConfigured);
    }
    if !valid_observe_path(&config.observe_path) {
        return Err(ServeError::InvalidObservePath {
            path: config.observe_path,
        });
    }
    if config.max_body == 0 {
        return Err(ServeError::InvalidBodyLimit);
    }
    if config.max_ids == 0 {
        return Err(ServeError::InvalidIdLimit);
    }
    let store = Arc::new(DedupStore::with_max_ids(config.dedup_ttl, config.max_ids));
    let app = Arc::new(app::App {
        auth: config.auth,
        store: store.clone(),
        log: config.log.start(),
        max_body: config.max_body,
    });
    let router = app::router(app, &config.observe_path);
    let server = ServerTask::bind(config.addr, router, config.server)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    Ok(RunningServer {
        server,
        observe_path: config.observe_path,
        store,
    })
}

/// A receiver running on the tokio runtime. Dropping it stops the server (in the
/// background); [`RunningServer::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct RunningServer {
    server: ServerTask,
    observe_path: String,
    store: Arc<DedupStore>,
}

impl RunningServer {
    /// The bound address (with the real port when the configured port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The URL to deliver to: `http://<addr>/` (any path but the observer's works).
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.local_addr())
    }

    /// The observer URL: `http://<addr><observe path>`.
    pub fn observe_url(&self) -> String {
        format!("http://{}{}", self.local_addr(), self.observe_path)
    }

    /// What the observer would answer right now, without an HTTP round trip.
    pub fn observed(&self) -> BTreeMap<String, u64> {
        self.store.observed()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the
    /// server to stop.
    pub async fn shutdown(self) -> io::Result<()> {
        self.server.stop().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observe_paths() {
        for ok in ["/_hookspec/observed", "/o", "/a-b/c_d.e~f"] {
            assert!(valid_observe_path(ok), "{ok}");
        }
        for bad in ["", "/", "observed", "/{id}", "/a b", "/*x", "/a?b", "/é"] {
            assert!(!valid_observe_path(bad), "{bad}");
        }
    }
}
