//! The HTTP side of the receiver: routes, the delivery handler and the observer handler.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::auth::{Authenticator, loggable_id};
use super::dedup::{Admission, DedupStore};
use super::log::{DeliveryOutcome, DeliveryRecord, LogWriter};
use crate::server_task::{BodyError, read_body};
use hookspec::internal::unix_now;

/// What every request handler shares.
pub(crate) struct App {
    pub(crate) auth: Authenticator,
    pub(crate) store: Arc<DedupStore>,
    pub(crate) log: LogWriter,
    /// The largest body read, in bytes.
    pub(crate) max_body: usize,
}

/// `GET <observe_path>` is the observer; a `POST` to any other path is a delivery.
pub(crate) fn router(app: Arc<App>, observe_path: &str) -> Router {
    Router::new()
        .route(observe_path, get(observe))
        .fallback(deliver)
        .with_state(app)
}

/// The observer contract: a JSON object mapping each id acted on to how many times.
async fn observe(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &app.store.observed())
}

/// A JSON answer (serialized here: `axum`'s `json` feature is not needed for two handlers).
fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(status, body.into()),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An answer whose body is already JSON.
fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// One delivery: read the exact body bytes (bounded; a `content-length` above the limit is
/// refused before reading), authenticate, then admit the id atomically; act (count) only on
/// a fresh, authenticated id.
async fn deliver(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if parts.method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "webhook deliveries are POST requests\n",
        )
            .into_response();
    }
    let body = read_body(body, &headers, app.max_body).await;
    let now = unix_now();
    let (status, id, outcome, message) = match body {
        Err(error) => (
            error.status(),
            loggable_id(&headers),
            DeliveryOutcome::Rejected { code: error.code() },
            body_error_message(error, app.max_body),
        ),
        Ok(body) => match app.auth.authenticate(&headers, &body, now).await {
            Err(rejection) => (
                rejection.status,
                loggable_id(&headers),
                DeliveryOutcome::Rejected {
                    code: rejection.code,
                },
                rejection.message,
            ),
            Ok(authenticated) => {
                let (status, outcome, message) = match app.store.admit_at(&authenticated.id, now) {
                    Admission::Fresh => (
                        StatusCode::OK,
                        DeliveryOutcome::Processed {
                            detail: authenticated.detail,
                        },
                        String::new(),
                    ),
                    Admission::Duplicate => {
                        (StatusCode::OK, DeliveryOutcome::Duplicate, String::new())
                    }
                    Admission::Full => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        DeliveryOutcome::Rejected {
                            code: ID_STORE_FULL,
                        },
                        format!(
                            "the id store is full ({} ids inside their window); new ids are refused until some expire (raise --max-ids)",
                            app.store.max_ids()
                        ),
                    ),
                };
                (status, Some(authenticated.id), outcome, message)
            }
        },
    };
    let response_body = match &outcome {
        // The two answers of every accepted delivery are constant: neither serialized nor
        // copied.
        DeliveryOutcome::Processed { .. } => Bytes::from_static(br#"{"outcome":"processed"}"#),
        DeliveryOutcome::Duplicate => Bytes::from_static(br#"{"outcome":"duplicate"}"#),
        DeliveryOutcome::Rejected { code } => serde_json::to_vec(
            &serde_json::json!({ "outcome": "rejected", "code": code, "message": message }),
        )
        .unwrap_or_default()
        .into(),
    };
    app.log.emit(&DeliveryRecord {
        id,
        status: status.as_u16(),
        outcome,
        latency: started.elapsed(),
    });
    let mut response = json_bytes(status, response_body);
    let headers = response.headers_mut();
    if matches!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        // The rest of the body was not read: the connection cannot carry another request.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    response
}

/// The rejection code of a delivery refused because the id store is full.
pub(crate) const ID_STORE_FULL: &str = "id_store_full";

fn body_error_message(error: BodyError, max_body: usize) -> String {
    match error {
        BodyError::TooLarge => format!("the body is larger than the limit of {max_body} bytes"),
        BodyError::TimedOut => "the body did not arrive within the body timeout".to_owned(),
        BodyError::Unreadable => "the body could not be read".to_owned(),
    }
}
