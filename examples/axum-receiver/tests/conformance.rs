//! The receiver's own test suite gates on conformance: start the app on port 0, run
//! hookspec's whole catalogue against it, and fail with the findings if any.

use hookspec::Secret;
use hookspec_engine::check::Check;

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// The same receiver with the classic bug: it verifies, but acts on every delivery,
/// retries and duplicates included.
fn without_dedup(secret: Secret) -> axum::Router {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};

    let verifier = Arc::new(hookspec::Verifier::new().with_secret(secret));
    let processed: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let counts = processed.clone();
    axum::Router::new()
        .route(
            "/webhook",
            post(move |headers: HeaderMap, body: Bytes| async move {
                match verifier.verify(&headers, &body) {
                    Ok(verified) => {
                        *processed
                            .lock()
                            .unwrap()
                            .entry(verified.id.into())
                            .or_default() += 1;
                        StatusCode::OK
                    }
                    Err(_) => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .route(
            "/_observed",
            get(move || async move { serde_json::to_string(&*counts.lock().unwrap()).unwrap() }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_passes_the_whole_conformance_suite() {
    let (current, previous, revoked) = (
        Secret::generate().unwrap(),
        Secret::generate().unwrap(),
        Secret::generate().unwrap(),
    );
    let url = serve(axum_receiver::App::new([current.clone(), previous.clone()]).router()).await;

    let report = Check::new(format!("{url}/webhook"))
        .secret(current)
        .secret(previous)
        .revoked_secret(revoked)
        .observe(format!("{url}/_observed"))
        .run()
        .await
        .expect("the run starts");

    report.assert_conformant();
    // Every case ran: with two secrets, a revoked one and the observer, only the v1a family
    // (no Ed25519 key configured) is unsupported.
    for case in &report.cases {
        if case.verdict == hookspec_engine::report::Verdict::Unsupported {
            assert_eq!(
                case.family, "v1a",
                "{} is unsupported: {}",
                case.id, case.message
            );
        }
    }
}

/// The gate has teeth: a receiver that forgets to deduplicate fails it, and the panic
/// message carries the findings as the terminal report shows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_processes_duplicates_fails_the_gate() {
    let secret = Secret::generate().unwrap();
    let url = serve(without_dedup(secret.clone())).await;
    let report = Check::new(format!("{url}/webhook"))
        .secret(secret)
        .observe(format!("{url}/_observed"))
        .cases("duplicate")
        .run()
        .await
        .expect("the run starts");
    let panic = std::panic::catch_unwind(|| report.assert_conformant())
        .expect_err("duplicates processed twice must fail the gate");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("FAILED"), "{message}");
    assert!(message.contains("duplicate/"), "{message}");
}
