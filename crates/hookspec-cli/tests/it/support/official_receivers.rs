//! Receivers built on the official Standard Webhooks libraries for Rust, as their READMEs
//! show them: `standardwebhooks` 1.0.1 and `svix` 2.9.1, `Webhook::new(whsec_…)` and
//! `verify(payload, &HeaderMap)` over the raw body, 401 on any error, then the same id store
//! and observer as the flawed receivers. The checker's new cases must not report them.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hookspec::Secret;

use super::server::{FlawedReceiver, Receiving, answer, header_id, spawn_receiver};

/// An official library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// The `standardwebhooks` crate.
    StandardWebhooks,
    /// The `svix` crate's `webhooks` module.
    Svix,
}

enum Verifier {
    StandardWebhooks(standardwebhooks::Webhook),
    Svix(svix::webhooks::Webhook),
}

/// Starts a receiver on `library`, trusting `secret` (both libraries take one secret).
pub async fn spawn_official(library: Library, secret: &Secret) -> FlawedReceiver {
    let whsec = secret.to_whsec();
    let verifier = match library {
        Library::StandardWebhooks => Verifier::StandardWebhooks(
            standardwebhooks::Webhook::new(&whsec).expect("a whsec_ secret"),
        ),
        Library::Svix => {
            Verifier::Svix(svix::webhooks::Webhook::new(&whsec).expect("a whsec_ secret"))
        }
    };
    spawn_receiver(verifier, deliver).await
}

async fn deliver(State(state): Receiving<Verifier>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = match &**state {
        Verifier::StandardWebhooks(webhook) => webhook.verify(&body, &headers).is_ok(),
        Verifier::Svix(webhook) => webhook.verify(&body, &headers).is_ok(),
    };
    let id = header_id(&headers)
        .or_else(|| {
            headers
                .get(hookspec::SVIX_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .filter(|_| verified);
    let Some(id) = id else {
        return answer(Err((StatusCode::UNAUTHORIZED, "invalid_signature")));
    };
    let mut store = state.store.lock().unwrap();
    if store.seen.insert(id.clone()) {
        store.act(&id);
    }
    answer(Ok(()))
}
