//! What the flawed receivers share: a router served on `127.0.0.1:0` and stopped on drop,
//! the observer contract at [`OBSERVE_PATH`], and the id store behind it.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hookspec::header;

/// Where every flawed receiver serves the observer contract.
pub const OBSERVE_PATH: &str = "/_hookspec/observed";

/// A running flawed receiver. Dropping it stops the server.
#[derive(Debug)]
pub struct FlawedReceiver {
    /// Deliver here.
    pub base_url: String,
    /// The observer (`GET` → `{"webhook-id": times acted on}`).
    pub observe_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FlawedReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The ids a receiver has seen and acted on.
#[derive(Debug, Default)]
pub struct Store {
    /// Ids whose delivery authenticated.
    pub seen: HashSet<String>,
    /// Times each id was acted on (the observer's answer).
    pub acted: BTreeMap<String, u64>,
}

impl Store {
    /// Counts one more effect of `id`.
    pub fn act(&mut self, id: &str) {
        *self.acted.entry(id.to_owned()).or_default() += 1;
    }
}

/// A receiver's state: it keeps a [`Store`].
pub trait Stored: Send + Sync + 'static {
    /// The receiver's id store.
    fn store(&self) -> &Mutex<Store>;
}

/// Serves `deliver` (for every request but the observer's, bodies up to 5 MiB) and the
/// observer of `state`'s store, on a free loopback port.
pub async fn spawn_receiver<S, H, T>(state: Arc<S>, deliver: H) -> FlawedReceiver
where
    S: Stored,
    H: Handler<T, Arc<S>>,
    T: 'static,
{
    let router = Router::new()
        .route(OBSERVE_PATH, get(observe::<S>))
        .fallback(deliver)
        .layer(DefaultBodyLimit::max(5 * 1024 * 1024))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    FlawedReceiver {
        base_url: format!("http://{addr}/"),
        observe_url: format!("http://{addr}{OBSERVE_PATH}"),
        task,
    }
}

async fn observe<S: Stored>(State(state): State<Arc<S>>) -> Response {
    let acted = state.store().lock().unwrap().acted.clone();
    (
        [("content-type", "application/json")],
        serde_json::to_vec(&acted).unwrap(),
    )
        .into_response()
}

/// The `webhook-id` header when it is a valid id.
pub fn header_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::WEBHOOK_ID)?;
    header::is_valid_id(value.as_bytes())
        .then(|| String::from_utf8_lossy(value.as_bytes()).into_owned())
}
