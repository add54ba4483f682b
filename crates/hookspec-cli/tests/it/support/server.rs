//! What the flawed receivers share: a router served on `127.0.0.1:0` and stopped on drop,
//! the observer contract at [`OBSERVE_PATH`], and the id store behind it.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

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

impl FlawedReceiver {
    /// Stops the server from outside its handlers: the port closes, and connections that
    /// are not being served yet are refused.
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.abort_handle()
    }
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

/// A receiver's state: what it authenticates with (`S`, reached through `Deref`) and its id
/// store.
pub struct Stored<S> {
    inner: S,
    /// The ids seen and acted on.
    pub store: Mutex<Store>,
}

impl<S> std::ops::Deref for Stored<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.inner
    }
}

/// Serves `deliver` (for every request but the observer's, bodies up to 5 MiB) and the
/// observer of the store, on a free loopback port; the handlers see `state` with an empty
/// store.
pub async fn spawn_receiver<S, H, T>(state: S, deliver: H) -> FlawedReceiver
where
    S: Send + Sync + 'static,
    H: Handler<T, Arc<Stored<S>>>,
    T: 'static,
{
    let state = Arc::new(Stored {
        inner: state,
        store: Mutex::default(),
    });
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

/// What a receiver's delivery handler takes: its state and store.
pub type Receiving<S> = State<Arc<Stored<S>>>;

/// Why a delivery was refused: the status and the error code.
pub type Refusal = (StatusCode, &'static str);

/// `200 ok`, or the refusal's status with `rejected: <code>`.
pub fn answer(result: Result<(), Refusal>) -> Response {
    match result {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err((status, code)) => (status, format!("rejected: {code}\n")).into_response(),
    }
}

async fn observe<S>(State(state): State<Arc<Stored<S>>>) -> Response {
    let acted = state.store.lock().unwrap().acted.clone();
    (
        [("content-type", "application/json")],
        serde_json::to_vec(&acted).unwrap(),
    )
        .into_response()
}

/// The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, when all three are
/// present.
pub fn webhook_headers(headers: &HeaderMap) -> Option<(&HeaderValue, &HeaderValue, &HeaderValue)> {
    Some((
        headers.get(hookspec::WEBHOOK_ID)?,
        headers.get(hookspec::WEBHOOK_TIMESTAMP)?,
        headers.get(hookspec::WEBHOOK_SIGNATURE)?,
    ))
}

/// The `webhook-id` header when it is a valid id.
pub fn header_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(hookspec::WEBHOOK_ID)?;
    hookspec::internal::is_valid_id(value.as_bytes())
        .then(|| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Whether `body` is a Gemini event (a JSON object in the documented envelope, with a
/// string `type` and a `version`) whose type is not one of the seven the SDKs know: what a
/// receiver that dispatches on the SDK's list refuses.
pub fn unknown_gemini_event(body: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(event)) = serde_json::from_slice(body) else {
        return false;
    };
    let Some(kind) = event.get("type").and_then(serde_json::Value::as_str) else {
        return false;
    };
    event.contains_key("version")
        && !hookspec_engine::gemini::Event::ALL
            .iter()
            .any(|e| e.name() == kind)
}
