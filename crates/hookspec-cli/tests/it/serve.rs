//! `hookspec serve`, the reference receiver, over real HTTP on 127.0.0.1.

use std::process::Command;
use std::sync::{Arc, Mutex};

use hookspec::{Secret, SigningKey, Verifier};
use hookspec_engine::serve::{
    DeliveryOutcome, DeliveryRecord, LogSink, RunningServer, ServeConfig, ServeError, spawn,
};

use crate::support::http::{client, now, observed, post, signed, with_header};
use crate::support::process::{Announces, Serving, interrupt, spawn_serving};

const BODY: &[u8] = br#"{"type": "invoice.paid", "data": {"id": 42}}"#;

fn loopback() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

fn config(secret: &Secret) -> ServeConfig {
    ServeConfig::new(Verifier::new().with_secret(secret.clone()))
        .addr(loopback())
        .log(LogSink::Off)
}

async fn start(secret: &Secret) -> RunningServer {
    spawn(config(secret)).await.expect("serve starts")
}

async fn count(server: &RunningServer, id: &str) -> u64 {
    let over_http = observed(&client(), &server.observe_url()).await;
    assert_eq!(
        over_http,
        server.observed(),
        "HTTP and in-process views agree"
    );
    over_http.get(id).copied().unwrap_or(0)
}

#[tokio::test]
async fn valid_delivery_is_accepted_and_acted_on_once() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let answer = post(
        &client(),
        &server.base_url(),
        &signed(&secret, "msg_1", now(), BODY),
        BODY,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("processed"), "{}", answer.body);
    assert_eq!(count(&server, "msg_1").await, 1);
    // Any path but the observer's is the delivery endpoint.
    let other_path = format!("{}webhooks/in", server.base_url());
    let answer = post(
        &client(),
        &other_path,
        &signed(&secret, "msg_2", now(), BODY),
        BODY,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(count(&server, "msg_2").await, 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn identical_redelivery_is_acknowledged_not_acted_on() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let headers = signed(&secret, "msg_dup", now(), BODY);
    for _ in 0..3 {
        let answer = post(&client(), &server.base_url(), &headers, BODY).await;
        assert_eq!(answer.status, 200);
    }
    let last = post(&client(), &server.base_url(), &headers, BODY).await;
    assert!(last.body.contains("duplicate"), "{}", last.body);
    assert_eq!(count(&server, "msg_dup").await, 1);
}

#[tokio::test]
async fn legitimate_retry_is_acknowledged_not_acted_on() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let first = signed(&secret, "msg_retry", now() - 60, BODY);
    let retry = signed(&secret, "msg_retry", now(), BODY);
    assert_ne!(first, retry);
    assert_eq!(
        post(&client(), &server.base_url(), &first, BODY)
            .await
            .status,
        200
    );
    assert_eq!(
        post(&client(), &server.base_url(), &retry, BODY)
            .await
            .status,
        200
    );
    assert_eq!(count(&server, "msg_retry").await, 1);
    // Two different ids with byte-identical bodies are two events.
    let other = signed(&secret, "msg_retry_other", now(), BODY);
    assert_eq!(
        post(&client(), &server.base_url(), &other, BODY)
            .await
            .status,
        200
    );
    assert_eq!(count(&server, "msg_retry_other").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_identical_deliveries_are_acted_on_once() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let headers = signed(&secret, "msg_concurrent", now(), BODY);
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (url, headers, barrier) = (server.base_url(), headers.clone(), barrier.clone());
            tokio::spawn(async move {
                let client = client();
                barrier.wait().await;
                post(&client, &url, &headers, BODY).await.status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(count(&server, "msg_concurrent").await, 1);
}

/// Every class of rejection: its status, its code, and no effect, not even on a later valid
/// delivery of the same id.
#[tokio::test]
async fn every_rejection_has_its_status_and_no_effect() {
    let secret = Secret::generate().unwrap();
    let other = Secret::generate().unwrap();
    let server = start(&secret).await;
    let url = server.base_url();
    let client = client();
    let t = now();
    let sig = |id: &str, ts: u64| signed(&secret, id, ts, BODY);
    let set = |h: Vec<(String, String)>, name: &str, v: Option<&str>| with_header(h, name, v);
    let valid_entry =
        hookspec::internal::entry_v1(&secret, b"msg_r", t.to_string().as_bytes(), BODY);
    let mut conflicting = sig("msg_r", t);
    conflicting.push(("webhook-id".into(), "msg_r2".into()));

    let tampered: &[u8] = br#"{"type": "invoice.paid", "data": {"id": 43}}"#;
    let compact: &[u8] = br#"{"type":"invoice.paid","data":{"id":42}}"#;
    let with_sig = |v: &str| set(sig("msg_r", t), "webhook-signature", Some(v));
    let with_ts = |v: &str| set(sig("msg_r", t), "webhook-timestamp", Some(v));
    // One line per case reads as a table.
    #[rustfmt::skip]
    let cases = [
        Reject::new("no id", set(sig("msg_r", t), "webhook-id", None), 400, "missing_id"),
        Reject::new("id with a dot", set(sig("msg_r", t), "webhook-id", Some("msg.r")), 400, "invalid_id"),
        Reject::new("conflicting ids", conflicting, 400, "conflicting_headers"),
        Reject::new("no timestamp", set(sig("msg_r", t), "webhook-timestamp", None), 400, "missing_timestamp"),
        Reject::new("timestamp with a sign", with_ts(&format!("+{t}")), 400, "invalid_timestamp"),
        Reject::new("fractional timestamp", with_ts(&format!("{t}.5")), 400, "invalid_timestamp"),
        Reject::new("no signature", set(sig("msg_r", t), "webhook-signature", None), 400, "missing_signature"),
        Reject::new("empty signature", with_sig(""), 400, "missing_signature"),
        Reject::new("too old", sig("msg_r", t - 301), 401, "timestamp_too_old"),
        Reject::new("too new", sig("msg_r", t + 301), 401, "timestamp_too_new"),
        Reject::new("milliseconds", sig("msg_r", t * 1000), 401, "timestamp_too_new"),
        Reject::new("`v1,` alone", with_sig("v1,"), 401, "no_supported_signature"),
        Reject::new("a signature prefix", with_sig(&valid_entry[..10]), 401, "no_supported_signature"),
        Reject::new("unknown version", with_sig(&valid_entry.replacen("v1,", "v2,", 1)), 401, "no_supported_signature"),
        Reject::new("upper-case version", with_sig(&valid_entry.replacen("v1,", "V1,", 1)), 401, "no_supported_signature"),
        Reject::new("malformed entry", with_sig("v1"), 401, "no_supported_signature"),
        Reject::new("wrong secret", signed(&other, "msg_r", t, BODY), 401, "no_matching_signature"),
        Reject::new("tampered body", sig("msg_r", t), 401, "no_matching_signature").body(tampered),
        Reject::new("re-serialized body", sig("msg_r", t), 401, "no_matching_signature").body(compact),
        Reject::new("tampered timestamp", with_ts(&(t + 1).to_string()), 401, "no_matching_signature"),
        Reject::new("another id's signature", set(sig("msg_x", t), "webhook-id", Some("msg_r")), 401, "no_matching_signature"),
        Reject::new("body-only HMAC", with_sig(&body_only_entry(&secret, BODY)), 401, "no_matching_signature"),
    ];
    for Reject {
        name,
        headers,
        body,
        status,
        code,
    } in cases
    {
        let answer = post(&client, &url, &headers, body).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert_eq!(
            answer.code().as_deref(),
            Some(code),
            "{name}: {}",
            answer.body
        );
        assert!(server.observed().is_empty(), "{name} had an effect");
    }
    let acted = observed(&client, &server.observe_url()).await;
    assert!(
        acted.is_empty(),
        "rejected deliveries had effects: {acted:?}"
    );
    // A rejected delivery did not poison the id: the genuine one is acted on.
    let answer = post(&client, &url, &sig("msg_r", now()), BODY).await;
    assert_eq!(answer.status, 200);
    assert_eq!(count(&server, "msg_r").await, 1);
}

/// A delivery that must be refused with `status` and `code`.
struct Reject {
    name: &'static str,
    headers: Vec<(String, String)>,
    body: &'static [u8],
    status: u16,
    code: &'static str,
}

impl Reject {
    fn new(
        name: &'static str,
        headers: Vec<(String, String)>,
        status: u16,
        code: &'static str,
    ) -> Self {
        Self {
            name,
            headers,
            body: BODY,
            status,
            code,
        }
    }

    fn body(mut self, body: &'static [u8]) -> Self {
        self.body = body;
        self
    }
}

fn body_only_entry(secret: &Secret, body: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

#[tokio::test]
async fn rotation_unknown_entries_and_v1a_are_accepted() {
    let old = Secret::generate().unwrap();
    let new = Secret::generate().unwrap();
    let signing = SigningKey::generate().unwrap();
    let verifier = Verifier::new()
        .with_secret(new.clone())
        .with_secret(old.clone())
        .with_public_key(signing.public_key());
    let server = spawn(
        ServeConfig::new(verifier)
            .addr(loopback())
            .log(LogSink::Off),
    )
    .await
    .unwrap();
    let client = client();
    let t = now();
    let ts = t.to_string();
    let old_entry = hookspec::internal::entry_v1(&old, b"msg_rot", ts.as_bytes(), BODY);
    let list = format!("v2,AAAA garbage v1,{} {old_entry}", "A".repeat(44));
    let headers = with_header(
        signed(&old, "msg_rot", t, BODY),
        "webhook-signature",
        Some(&list),
    );
    assert_eq!(
        post(&client, &server.base_url(), &headers, BODY)
            .await
            .status,
        200
    );
    let v1a = hookspec::internal::entry_v1a(&signing, b"msg_ed", ts.as_bytes(), BODY);
    let headers = with_header(
        signed(&new, "msg_ed", t, BODY),
        "webhook-signature",
        Some(&v1a),
    );
    assert_eq!(
        post(&client, &server.base_url(), &headers, BODY)
            .await
            .status,
        200
    );
    assert_eq!(server.observed().len(), 2);
}

#[tokio::test]
async fn timestamps_inside_the_tolerance_and_svix_aliases_are_accepted() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let client = client();
    for (id, ts) in [("msg_past", now() - 290), ("msg_future", now() + 290)] {
        let answer = post(
            &client,
            &server.base_url(),
            &signed(&secret, id, ts, BODY),
            BODY,
        )
        .await;
        assert_eq!(answer.status, 200, "{id}: {}", answer.body);
    }
    let svix: Vec<(String, String)> = signed(&secret, "msg_svix", now(), BODY)
        .into_iter()
        .map(|(name, value)| (name.replace("webhook-", "Svix-"), value))
        .collect();
    assert_eq!(
        post(&client, &server.base_url(), &svix, BODY).await.status,
        200
    );
    let acted = server.observed();
    assert_eq!(
        acted.keys().collect::<Vec<_>>(),
        ["msg_future", "msg_past", "msg_svix"]
    );
}

#[tokio::test]
async fn a_one_mib_binary_body_is_accepted_verbatim() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    // Not UTF-8, not JSON: the receiver verifies the bytes, nothing else.
    let body: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i * 7 + 0x80) as u8)
        .collect();
    assert!(std::str::from_utf8(&body).is_err());
    let headers = signed(&secret, "msg_big", now(), &body);
    let answer = post(&client(), &server.base_url(), &headers, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(count(&server, "msg_big").await, 1);
    // And the empty body.
    let headers = signed(&secret, "msg_empty", now(), b"");
    assert_eq!(
        post(&client(), &server.base_url(), &headers, Vec::new())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_and_no_effect() {
    let secret = Secret::generate().unwrap();
    // The default limit: 5 MiB.
    let server = start(&secret).await;
    let body = vec![b'x'; 5 * 1024 * 1024 + 1];
    let headers = signed(&secret, "msg_huge", now(), &body);
    let answer = post(&client(), &server.base_url(), &headers, body).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.code().as_deref(), Some("body_too_large"));
    assert_eq!(count(&server, "msg_huge").await, 0);
    // A configured limit, at the byte.
    let server = spawn(config(&secret).max_body(1000)).await.unwrap();
    let at_limit = vec![b'y'; 1000];
    let headers = signed(&secret, "msg_at", now(), &at_limit);
    assert_eq!(
        post(&client(), &server.base_url(), &headers, at_limit)
            .await
            .status,
        200
    );
    let over = vec![b'y'; 1001];
    let headers = signed(&secret, "msg_over", now(), &over);
    assert_eq!(
        post(&client(), &server.base_url(), &headers, over)
            .await
            .status,
        413
    );
    assert_eq!(server.observed().keys().collect::<Vec<_>>(), ["msg_at"]);
}

#[tokio::test]
async fn observer_answers_a_json_object_of_counts() {
    let secret = Secret::generate().unwrap();
    let server = spawn(config(&secret).observe_path("/custom/observer"))
        .await
        .unwrap();
    assert!(server.observe_url().ends_with("/custom/observer"));
    let client = client();
    let get = || async {
        let response = client.get(server.observe_url()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(content_type, "application/json");
        response.text().await.unwrap()
    };
    assert_eq!(get().await, "{}");
    for id in ["msg_b", "msg_a", "msg_b"] {
        post(
            &client,
            &server.base_url(),
            &signed(&secret, id, now(), BODY),
            BODY,
        )
        .await;
    }
    let text = get().await;
    assert_eq!(text, r#"{"msg_a":1,"msg_b":1}"#);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(value.as_object().unwrap().values().all(|v| v.is_u64()));
    // The observer is read-only, and deliveries are POST only.
    let response = client.post(server.observe_url()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let response = client.get(server.base_url()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn one_log_record_per_delivery_without_secrets() {
    let secret = Secret::generate().unwrap();
    let records: Arc<Mutex<Vec<DeliveryRecord>>> = Arc::default();
    let sink = {
        let records = records.clone();
        LogSink::custom(move |r| records.lock().unwrap().push(r.clone()))
    };
    let server = spawn(config(&secret).log(sink)).await.unwrap();
    let client = client();
    let headers = signed(&secret, "msg_log", now(), BODY);
    post(&client, &server.base_url(), &headers, BODY).await;
    post(&client, &server.base_url(), &headers, BODY).await;
    let forged = signed(&Secret::generate().unwrap(), "msg_forged", now(), BODY);
    post(&client, &server.base_url(), &forged, BODY).await;
    observed(&client, &server.observe_url()).await;

    let records = records.lock().unwrap().clone();
    assert_eq!(
        records.len(),
        3,
        "one record per delivery, none for the observer"
    );
    assert!(matches!(
        records[0].outcome,
        DeliveryOutcome::Processed { .. }
    ));
    assert_eq!(records[1].outcome, DeliveryOutcome::Duplicate);
    assert_eq!(
        records[2].outcome,
        DeliveryOutcome::Rejected {
            code: "no_matching_signature"
        }
    );
    assert_eq!(
        records.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 200, 401]
    );
    assert_eq!(records[2].id.as_deref(), Some("msg_forged"));
    let whsec = secret.to_whsec();
    let secret_b64 = whsec.trim_start_matches("whsec_");
    for record in &records {
        let line = record.to_string();
        assert!(
            line.contains("status=") && line.contains("latency_ms="),
            "{line}"
        );
        assert!(!line.contains(secret_b64), "secret in log: {line}");
        for (_, value) in headers.iter().chain(&forged) {
            if let Some(tag) = value.strip_prefix("v1,") {
                assert!(!line.contains(tag), "signature in log: {line}");
            }
        }
    }
}

/// Another scheme plugs in through `Authenticate`, with its own rejection statuses.
struct BearerToken;

impl hookspec_engine::serve::Authenticate for BearerToken {
    fn authenticate(
        &self,
        headers: &axum::http::HeaderMap,
        _body: &[u8],
        _now: u64,
    ) -> Result<hookspec_engine::serve::Authenticated, hookspec_engine::serve::Rejection> {
        match headers.get("authorization").map(|v| v.as_bytes()) {
            Some(b"Bearer right") => Ok(hookspec_engine::serve::Authenticated::new(
                headers["webhook-id"].to_str().unwrap(),
                "bearer",
            )),
            _ => Err(hookspec_engine::serve::Rejection::new(
                axum::http::StatusCode::FORBIDDEN,
                "bad_token",
                "wrong token",
            )),
        }
    }

    fn key_count(&self) -> usize {
        1
    }
}

#[tokio::test]
async fn other_schemes_plug_in_through_authenticate() {
    let config = ServeConfig::with_authenticator(BearerToken)
        .addr(loopback())
        .log(LogSink::Off);
    let server = spawn(config).await.unwrap();
    let id = ("webhook-id".to_owned(), "msg_token".to_owned());
    let wrong = [id.clone(), ("authorization".into(), "Bearer wrong".into())];
    let right = [id, ("authorization".into(), "Bearer right".into())];
    let answer = post(&client(), &server.base_url(), &wrong, BODY).await;
    assert_eq!(
        (answer.status, answer.code().as_deref()),
        (403, Some("bad_token"))
    );
    assert!(server.observed().is_empty());
    for _ in 0..2 {
        assert_eq!(
            post(&client(), &server.base_url(), &right, BODY)
                .await
                .status,
            200
        );
    }
    assert_eq!(count(&server, "msg_token").await, 1);
}

#[tokio::test]
async fn configuration_errors_are_refused_up_front() {
    let secret = Secret::generate().unwrap();
    let no_keys = spawn(ServeConfig::new(Verifier::new()).addr(loopback())).await;
    assert_eq!(no_keys.unwrap_err().code(), "no_keys_configured");
    for path in ["", "/", "observed", "/{id}"] {
        let error = spawn(config(&secret).observe_path(path)).await.unwrap_err();
        assert!(
            matches!(error, ServeError::InvalidObservePath { .. }),
            "{path}"
        );
    }
    assert_eq!(
        spawn(config(&secret).max_body(0)).await.unwrap_err().code(),
        "invalid_body_limit"
    );
    let first = start(&secret).await;
    let taken = spawn(config(&secret).addr(first.local_addr())).await;
    assert_eq!(taken.unwrap_err().code(), "bind_failed");
}

#[tokio::test]
async fn shutdown_completes_with_idle_keep_alive_connections() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let addr = server.local_addr();
    // The client keeps its connection pooled (idle, keep-alive) across the shutdown.
    let client = client();
    let headers = signed(&secret, "msg_pool", now(), BODY);
    assert_eq!(
        post(&client, &server.base_url(), &headers, BODY)
            .await
            .status,
        200
    );
    // A hang guard, not a timing assertion: graceful shutdown must close idle connections.
    tokio::time::timeout(std::time::Duration::from_secs(60), server.shutdown())
        .await
        .expect("shutdown does not wait for idle connections")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    drop(client);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret).await;
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0, "an ephemeral port was assigned");
    assert_eq!(server.base_url(), format!("http://{addr}/"));
    server.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// The CLI: prints its URL, serves, stops cleanly on SIGINT with exit 0.
#[cfg(unix)]
#[tokio::test]
async fn cli_serves_until_interrupted() {
    let secret = Secret::generate().unwrap();
    let Serving { child, url, .. } = spawn_serving(
        Command::new(env!("CARGO_BIN_EXE_hookspec")).args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--tolerance",
            "10s",
            "--secret",
            &secret.to_whsec(),
        ]),
        Announces::OnStdout,
    );
    let answer = post(
        &client(),
        &url,
        &signed(&secret, "msg_cli", now(), BODY),
        BODY,
    )
    .await;
    assert_eq!(answer.status, 200);
    // --tolerance is applied.
    let stale = signed(&secret, "msg_stale", now() - 60, BODY);
    let answer = post(&client(), &url, &stale, BODY).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    let observe = format!("{url}_hookspec/observed");
    let acted = observed(&client(), &observe).await;
    assert_eq!(
        acted.into_iter().collect::<Vec<_>>(),
        [("msg_cli".to_owned(), 1)]
    );
    let log = interrupt(child);
    assert!(
        log.contains("id=msg_cli status=200 outcome=processed"),
        "{log}"
    );
    assert!(!log.contains(secret.to_whsec().trim_start_matches("whsec_")));
}

#[test]
fn cli_refuses_bad_configuration_with_exit_2() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hookspec"))
            .arg("serve")
            .args(args)
            .env_remove("HOOKSPEC_SECRET")
            .output()
            .unwrap()
    };
    let secret = Secret::generate().unwrap().to_whsec();
    for args in [
        vec!["--addr", "127.0.0.1:0"],
        vec!["--addr", "127.0.0.1:0", "--secret", "whsec_short"],
        vec![
            "--addr",
            "127.0.0.1:0",
            "--secret",
            &secret,
            "--observe-path",
            "/a b",
        ],
        vec![
            "--addr",
            "127.0.0.1:0",
            "--secret",
            &secret,
            "--max-body",
            "lots",
        ],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains(secret.trim_start_matches("whsec_")),
            "{stderr}"
        );
    }
}
