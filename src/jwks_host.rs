//! A key server: hookspec publishing its own JWKS over HTTP, so an endpoint under test
//! can be configured with hookspec's keys (`hookspec check --jwks-listen ADDR`) and so
//! hookspec can rotate them during a run.
//!
//! It serves the current set at [`JWKS_PATH`] with `Cache-Control: max-age=<max_age>`
//! (default 0: a receiver that honours it refetches whenever its own rate limit allows),
//! counts every fetch, and lets the caller replace the set at any time
//! ([`RunningJwksHost::publish`]). Only public keys are ever published. It binds the
//! address it is given; hookspec's commands refuse non-loopback addresses.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::key::Jwks;

/// Where the set is served: `/.well-known/jwks.json`, as Google serves Gemini's.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

struct Shared {
    body: RwLock<Arc<str>>,
    max_age: u64,
    fetches: AtomicU64,
}

/// A running key server. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningJwksHost {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("max_age", &self.max_age)
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Binds `addr` and serves `initial` at [`JWKS_PATH`], with `Cache-Control: max-age=`
/// `max_age` seconds. Returns once the socket is bound.
pub async fn spawn(addr: SocketAddr, initial: &Jwks, max_age: u64) -> io::Result<RunningJwksHost> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        body: RwLock::new(Arc::from(initial.to_json())),
        max_age,
        fetches: AtomicU64::new(0),
    });
    let router = Router::new()
        .route(JWKS_PATH, get(serve_set))
        .with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningJwksHost {
        local_addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn serve_set(State(shared): State<Arc<Shared>>) -> Response {
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    let body = shared
        .body
        .read()
        .map(|b| Arc::clone(&b))
        .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jwk-set+json".to_owned()),
            (header::CACHE_CONTROL, format!("max-age={}", shared.max_age)),
        ],
        body.to_string(),
    )
        .into_response()
}

impl RunningJwksHost {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL of the set: `http://<addr>/.well-known/jwks.json`.
    pub fn url(&self) -> String {
        format!("http://{}{JWKS_PATH}", self.local_addr)
    }

    /// Replaces the published set; the next fetch gets it.
    pub fn publish(&self, jwks: &Jwks) {
        let body: Arc<str> = Arc::from(jwks.to_json());
        match self.shared.body.write() {
            Ok(mut slot) => *slot = body,
            Err(poisoned) => *poisoned.into_inner() = body,
        }
    }

    /// How many times the set has been fetched so far.
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningJwksHost {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
