//! Vector adapter for the Rust `standardwebhooks` crate (1.0.x), the official Standard
//! Webhooks library for Rust.
//!
//! Run it through the harness (the crate reads the system clock, so the harness re-signs
//! time-relative vectors at the current time):
//!
//! ```sh
//! cargo build --example adapter_standardwebhooks
//! hookspec vectors check --system-clock --exec target/debug/examples/adapter_standardwebhooks
//! ```
//!
//! How the crate is used, as a Rust receiver would: one `Webhook::new(secret)` per trusted
//! secret (a delivery is accepted when any of them verifies it), the request headers in an
//! `http::HeaderMap` (repeated fields appended, as hyper delivers them), the raw body bytes.
//! The crate has no Ed25519 (`v1a`) support: requests with public keys, and the Gemini
//! key-set schemes (`v1a-jwks`, `jwt`), are answered `unsupported`. A panic inside the
//! crate is caught and reported as a rejection whose error starts with `panic:`.

use std::io::{BufRead as _, Write as _};

use base64::Engine as _;
use hookspec_engine::vectors::protocol::{Request, Response};
use http::{HeaderMap, HeaderName, HeaderValue};
use standardwebhooks::Webhook;

fn main() {
    // Panics are answered as rejections; keep the default hook from printing them.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return };
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(request) => answer(&request),
            Err(e) => {
                eprintln!("adapter_standardwebhooks: bad request line: {e}");
                std::process::exit(2);
            }
        };
        let text = serde_json::to_string(&response).unwrap_or_default();
        if writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return;
        }
    }
}

fn respond(request: &Request, accept: bool, error: Option<String>) -> Response {
    Response {
        tc_id: request.tc_id,
        accept,
        error,
        config_error: false,
        unsupported: None,
    }
}

fn answer(request: &Request) -> Response {
    if request.scheme != "v1" && request.scheme != "v1a" {
        let mut r = respond(request, false, None);
        r.unsupported = Some("the standardwebhooks crate has no JWKS or JWT support".into());
        return r;
    }
    if !request.public_keys.is_empty() {
        let mut r = respond(request, false, None);
        r.unsupported = Some("the standardwebhooks crate has no v1a (Ed25519) support".into());
        return r;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &request.header_list {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            let mut r = respond(request, false, None);
            r.unsupported = Some("a header that http::HeaderMap cannot hold".into());
            return r;
        };
        headers.append(name, value);
    }
    let Ok(body) = base64::engine::general_purpose::STANDARD.decode(&request.body_b64) else {
        return respond(request, false, Some("body_b64 is not base64".into()));
    };
    let mut last_error = None;
    for secret in &request.secrets {
        let webhook = match Webhook::new(secret) {
            Ok(w) => w,
            Err(e) => {
                let mut r = respond(request, false, Some(e.to_string()));
                r.config_error = true;
                return r;
            }
        };
        match std::panic::catch_unwind(|| webhook.verify(&body, &headers)) {
            Ok(Ok(())) => return respond(request, true, None),
            Ok(Err(e)) => last_error = Some(e.to_string()),
            Err(panic) => {
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                last_error = Some(format!("panic: {text}"));
            }
        }
    }
    respond(
        request,
        false,
        last_error.or(Some("no secret configured".into())),
    )
}
