//! A key server: hookspec publishing its own JWKS over HTTP, so an endpoint under test
//! can be configured with hookspec's keys (`hookspec check --jwks-listen ADDR`) and so
//! hookspec can rotate them during a run.
//!
//! It serves the current set at [`JWKS_PATH`] with `Cache-Control: max-age=<max_age>`
//! (0: a receiver that honours it refetches whenever its own rate limit allows), counts
//! every fetch, and lets the caller replace the set at any time
//! ([`RunningJwksHost::publish`]). A second document, the *decoy* at [`DECOY_PATH`], holds
//! keys no receiver should ever trust (the checker names it in `jku` / `x5u` headers and
//! counts whether the endpoint fetched it). Only public keys are published, except by
//! [`RunningJwksHost::publish_document`]: `jwks/unusable-key-refused` publishes throwaway
//! keys with their private members, to check that a receiver refuses to use them.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hookspec::Jwks;

use crate::server_task::{ServerOptions, ServerTask};

/// Where the set is served: `/.well-known/jwks.json`, as Google serves Gemini's.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Where the decoy set is served.
pub const DECOY_PATH: &str = "/attacker/jwks.json";

struct Shared {
    body: RwLock<Arc<str>>,
    decoy: RwLock<Arc<str>>,
    max_age: u64,
    fetches: AtomicU64,
    decoy_fetches: AtomicU64,
}

/// A running key server. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningJwksHost {
    server: ServerTask,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("max_age", &self.max_age)
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .field("decoy_fetches", &self.decoy_fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Binds `addr` and serves `initial` at [`JWKS_PATH`], with `Cache-Control: max-age=`
/// `max_age` seconds. Returns once the socket is bound.
pub async fn spawn(addr: SocketAddr, initial: &Jwks, max_age: u64) -> io::Result<RunningJwksHost> {
    spawn_document(addr, initial.to_json(), max_age).await
}

/// Like [`spawn`], serving `document` as it is, whatever it holds (the vector replay serves
/// each group's document, unusable ones included).
pub async fn spawn_document(
    addr: SocketAddr,
    document: String,
    max_age: u64,
) -> io::Result<RunningJwksHost> {
    let shared = Arc::new(Shared {
        body: RwLock::new(Arc::from(document)),
        decoy: RwLock::new(Arc::from(Jwks::default().to_json())),
        max_age,
        fetches: AtomicU64::new(0),
        decoy_fetches: AtomicU64::new(0),
    });
    let router = Router::new()
        .route(JWKS_PATH, get(serve_set))
        .route(DECOY_PATH, get(serve_decoy))
        .with_state(shared.clone());
    let server = ServerTask::bind(addr, router, ServerOptions::default()).await?;
    Ok(RunningJwksHost { server, shared })
}

async fn serve_set(State(shared): State<Arc<Shared>>) -> Response {
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    document(&shared.body, shared.max_age)
}

async fn serve_decoy(State(shared): State<Arc<Shared>>) -> Response {
    shared.decoy_fetches.fetch_add(1, Ordering::SeqCst);
    document(&shared.decoy, shared.max_age)
}

fn read(slot: &RwLock<Arc<str>>) -> Arc<str> {
    slot.read()
        .map(|b| Arc::clone(&b))
        .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
}

fn write(slot: &RwLock<Arc<str>>, jwks: &Jwks) {
    write_text(slot, &jwks.to_json());
}

fn write_text(slot: &RwLock<Arc<str>>, document: &str) {
    let body: Arc<str> = Arc::from(document);
    match slot.write() {
        Ok(mut slot) => *slot = body,
        Err(poisoned) => *poisoned.into_inner() = body,
    }
}

fn document(slot: &RwLock<Arc<str>>, max_age: u64) -> Response {
    let body = read(slot);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jwk-set+json".to_owned()),
            (header::CACHE_CONTROL, format!("max-age={max_age}")),
        ],
        body.to_string(),
    )
        .into_response()
}

impl RunningJwksHost {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The URL of the set: `http://<addr>/.well-known/jwks.json`.
    pub fn url(&self) -> String {
        format!("http://{}{JWKS_PATH}", self.local_addr())
    }

    /// Replaces the published set; the next fetch gets it.
    pub fn publish(&self, jwks: &Jwks) {
        write(&self.shared.body, jwks);
    }

    /// Replaces the published document with `document` exactly, whatever it holds (keys
    /// that do not parse, keys published with private members on purpose).
    pub fn publish_document(&self, document: &str) {
        write_text(&self.shared.body, document);
    }

    /// The `Cache-Control: max-age` it serves the set with.
    pub fn max_age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shared.max_age)
    }

    /// How many times the set has been fetched so far.
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// The URL of the decoy set: `http://<addr>/attacker/jwks.json`.
    pub fn decoy_url(&self) -> String {
        format!("http://{}{DECOY_PATH}", self.local_addr())
    }

    /// Replaces the decoy set (empty until set).
    pub fn publish_decoy(&self, jwks: &Jwks) {
        write(&self.shared.decoy, jwks);
    }

    /// How many times the decoy set has been fetched so far.
    pub fn decoy_fetch_count(&self) -> u64 {
        self.shared.decoy_fetches.load(Ordering::SeqCst)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) -> io::Result<()> {
        self.server.stop().await
    }
}
