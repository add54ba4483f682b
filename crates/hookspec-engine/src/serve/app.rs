//! The HTTP side of the receiver: routes, the delivery handler and the observer handler.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::auth::{AsyncAuthenticate, loggable_id};
use super::dedup::{Admission, DedupStore};
use super::log::{DeliveryOutcome, DeliveryRecord, LogSink};
use hookspec::internal::unix_now;

/// What every request handler shares.
pub(crate) struct App {
    pub(crate) auth: Arc<dyn AsyncAuthenticate>,
    pub(crate) store: Arc<DedupStore>,
    pub(crate) log: LogSink,
}

/// `GET <observe_path>` is the observer; a `POST` to any other path is a delivery.
pub(crate) fn router(app: Arc<App>, observe_path: &str, max_body: usize) -> Router {
    Router::new()
        .route(observe_path, get(observe))
        .fallback(deliver)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app)
}

/// The observer contract: a JSON object mapping each id acted on to how many times.
async fn observe(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &app.store.observed())
}

/// A JSON answer (serialized here: `axum`'s `json` feature is not needed for two handlers).
fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// One delivery: read the exact body bytes (bounded), authenticate, then admit the id
/// atomically; act (count) only on a fresh, authenticated id.
async fn deliver(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "webhook deliveries are POST requests\n",
        )
            .into_response();
    }
    let now = unix_now();
    let (status, id, outcome, message) = match body {
        Err(rejection) => {
            let status = rejection.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "body_unreadable"
            };
            let id = loggable_id(&headers);
            let message = rejection.body_text();
            (status, id, DeliveryOutcome::Rejected { code }, message)
        }
        Ok(body) => match app.auth.authenticate_async(&headers, &body, now).await {
            Err(rejection) => (
                rejection.status,
                loggable_id(&headers),
                DeliveryOutcome::Rejected {
                    code: rejection.code,
                },
                rejection.message,
            ),
            Ok(authenticated) => {
                let outcome = match app.store.admit_at(&authenticated.id, now) {
                    Admission::Fresh => DeliveryOutcome::Processed {
                        detail: authenticated.detail,
                    },
                    Admission::Duplicate => DeliveryOutcome::Duplicate,
                };
                (
                    StatusCode::OK,
                    Some(authenticated.id),
                    outcome,
                    String::new(),
                )
            }
        },
    };
    let response_body = match &outcome {
        DeliveryOutcome::Processed { .. } => serde_json::json!({ "outcome": "processed" }),
        DeliveryOutcome::Duplicate => serde_json::json!({ "outcome": "duplicate" }),
        DeliveryOutcome::Rejected { code } => {
            serde_json::json!({ "outcome": "rejected", "code": code, "message": message })
        }
    };
    app.log.emit(&DeliveryRecord {
        id,
        status: status.as_u16(),
        outcome,
        latency: started.elapsed(),
    });
    json_response(status, &response_body)
}
