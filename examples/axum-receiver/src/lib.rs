//! A small webhook receiver as a service would write it: axum, the `hookspec` verifier over
//! the raw body, deduplication on `webhook-id`, and an observer route that tells a test how
//! many times each event was processed. `tests/conformance.rs` gates it on hookspec's
//! whole conformance suite.
//!
//! A service mounts [`App::router`] in its own `main`:
//!
//! ```no_run
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = hookspec::Secret::parse(&std::env::var("WEBHOOK_SECRET")?)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, axum_receiver::App::new([secret]).router()).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use hookspec::{Secret, Verifier, VerifyError};

/// The receiver's state: its verifier, and how many times it processed each event.
#[derive(Clone)]
pub struct App {
    verifier: Arc<Verifier>,
    processed: Arc<Mutex<HashMap<String, u64>>>,
}

impl App {
    /// A receiver trusting `secrets` (the current one first, then those still in rotation).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let verifier = secrets
            .into_iter()
            .fold(Verifier::new(), Verifier::with_secret);
        Self {
            verifier: Arc::new(verifier),
            processed: Arc::default(),
        }
    }

    /// The routes: deliveries on `POST /webhook`, the observer on `GET /_observed`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/webhook", post(deliver))
            .route("/_observed", get(observed))
            .layer(axum::extract::DefaultBodyLimit::max(5 * 1024 * 1024))
            .with_state(self)
    }
}

/// Verifies over the exact bytes received, then processes each event once: a duplicate
/// (the sender retries for up to 24 hours) is acknowledged without acting again.
async fn deliver(State(app): State<App>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let verified = match app.verifier.verify(&headers, &body) {
        Ok(verified) => verified,
        Err(error) => return rejection(&error),
    };
    let mut processed = app.processed.lock().expect("lock");
    let count = processed.entry(verified.id.into()).or_default();
    if *count == 0 {
        // A real service acts on the event here (queue it, update a record).
        *count = 1;
    }
    StatusCode::OK
}

/// 400 for a malformed delivery, 401 for one that does not verify: never 5xx (the sender
/// would retry a forgery) and never 2xx.
fn rejection(error: &VerifyError) -> StatusCode {
    match error {
        VerifyError::MissingId
        | VerifyError::InvalidId
        | VerifyError::MissingTimestamp
        | VerifyError::InvalidTimestamp
        | VerifyError::MissingSignature
        | VerifyError::ConflictingHeaders { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// The observer contract: `{"<webhook-id>": <times processed>}`.
async fn observed(State(app): State<App>) -> String {
    let processed = app.processed.lock().expect("lock").clone();
    serde_json::to_string(&processed).expect("a map of counts serializes")
}
