//! The receiver as a service, for CI jobs that start the service and gate on it
//! (`examples/github/webhook-conformance.yml`, `examples/gitlab-ci.yml`). A Cargo example,
//! not a binary of the package, so that `cargo run` in the workspace still runs `hookspec`:
//! `cargo build --release -p axum-receiver --example axum-receiver`.
//!
//! `WEBHOOK_SECRET` (required) is the `whsec_` secret it trusts; `ADDR` where it listens
//! (default `127.0.0.1:3000`). Deliveries on `POST /webhook`, the observer on
//! `GET /_observed`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The error names what is wrong, never the secret's value.
            eprintln!("axum-receiver: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let secret = std::env::var("WEBHOOK_SECRET")
        .map_err(|_| "WEBHOOK_SECRET is not set: give the whsec_ secret to trust".to_string())?;
    let secret = hookspec::Secret::parse(&secret)
        .map_err(|error| format!("WEBHOOK_SECRET is not a usable secret: {error}"))?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_string());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = listener
        .local_addr()
        .map_err(|error| format!("cannot read the address of {addr}: {error}"))?;
    println!("axum-receiver: listening on http://{local}/webhook (observer: /_observed)");
    axum::serve(listener, axum_receiver::App::new([secret]).router())
        .await
        .map_err(|error| format!("serving failed: {error}"))
}
