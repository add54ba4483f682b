//! Gemini webhooks end to end: `hookspec serve` with the `v1a-jwks` and `jwt` schemes
//! against hookspec's own key server, `hookspec send --event` and JWT sending.

use std::process::{Child, Command};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hookspec::internal::jwt;
use hookspec::{Jwk, Jwks, JwksVerifier, JwtSigner, Proof, RsaSigningKey, Signer, SigningKey};
use hookspec_engine::gemini::Event;
use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};
use hookspec_engine::jwks_host::{self, RunningJwksHost};
use hookspec_engine::serve::{JwksAuthenticator, LogSink, RunningServer, ServeConfig, spawn};
use serde_json::Value;

use crate::support::http::{Answer, client, now, observed, post};
use crate::support::process::{Announces, interrupt, spawn_serving};

const AUD: &str = "https://receiver.example/gemini";

static RSA_A: LazyLock<RsaSigningKey> = LazyLock::new(|| {
    RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-a.pem")).unwrap()
});
static RSA_B: LazyLock<RsaSigningKey> = LazyLock::new(|| {
    RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-b.pem")).unwrap()
});

fn ed(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

fn ed_set(seeds: &[u8]) -> Jwks {
    Jwks::new(
        seeds
            .iter()
            .map(|&n| Jwk::ed25519(Some(&format!("ed-{n}")), ed(n).public_key()))
            .collect(),
    )
}

fn loopback() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

/// A receiver on the key set of `host`, refetching as often as asked (no rate limit).
async fn receiver(
    host: &RunningJwksHost,
    verifier: JwksVerifier,
) -> (RunningServer, Arc<JwksCache>) {
    let policy = CachePolicy::default().min_refetch_interval(Duration::ZERO);
    let cache = Arc::new(JwksCache::new(&host.url(), policy).unwrap());
    let config =
        ServeConfig::with_async_authenticator(JwksAuthenticator::new(cache.clone(), verifier))
            .addr(loopback())
            .log(LogSink::Off);
    (spawn(config).await.unwrap(), cache)
}

fn v1a_headers(key: &SigningKey, id: &str, ts: u64, body: &[u8]) -> Vec<(String, String)> {
    let sig = Signer::new()
        .with_signing_key(key.clone())
        .sign(id, ts, body)
        .unwrap();
    headers(id, ts, &sig)
}

fn headers(id: &str, ts: u64, signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), id.into()),
        ("webhook-timestamp".into(), ts.to_string()),
        ("webhook-signature".into(), signature.into()),
    ]
}

fn assert_rejected(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.code().as_deref(), Some(code), "{}", answer.body);
}

#[tokio::test]
async fn serve_v1a_jwks_uses_the_set_and_follows_rotation() {
    let host = jwks_host::spawn(loopback(), &ed_set(&[1]), 0)
        .await
        .unwrap();
    let (server, cache) = receiver(&host, JwksVerifier::new().accept_jwt(false)).await;
    assert_eq!(
        host.fetch_count(),
        0,
        "nothing is fetched before a delivery"
    );
    let url = server.base_url();
    let c = client();
    let body = Event::BatchSucceeded.body("b1", now());

    let answer = post(
        &c,
        &url,
        &v1a_headers(&ed(1), "msg_1", now(), &body),
        body.clone(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = post(
        &c,
        &url,
        &v1a_headers(&ed(9), "msg_2", now(), &body),
        body.clone(),
    )
    .await;
    assert_rejected(&answer, 401, "no_matching_signature");

    // A key appears: accepted on its first delivery, after one refetch.
    host.publish(&ed_set(&[1, 2]));
    let answer = post(
        &c,
        &url,
        &v1a_headers(&ed(2), "msg_3", now(), &body),
        body.clone(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // A key disappears: once the stale set (max-age=0) is refetched, it is refused.
    host.publish(&ed_set(&[2]));
    let answer = post(
        &c,
        &url,
        &v1a_headers(&ed(1), "msg_4", now(), &body),
        body.clone(),
    )
    .await;
    assert_rejected(&answer, 401, "no_matching_signature");

    // A JWT to a v1a-only receiver is refused for its scheme, whatever its signature.
    let token = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD)
        .sign("msg_5", now(), &body)
        .unwrap();
    let answer = post(&c, &url, &headers("msg_5", now(), &token), body.clone()).await;
    assert_rejected(&answer, 401, "scheme_not_accepted");

    let acted = server.observed();
    assert_eq!(acted.keys().collect::<Vec<_>>(), ["msg_1", "msg_3"]);
    assert_eq!(cache.fetch_count(), host.fetch_count());
    assert!(host.fetch_count() >= 3, "{}", host.fetch_count());
}

#[tokio::test]
async fn serve_jwt_checks_tokens_and_refetches_on_an_unknown_kid() {
    let set_a = Jwks::new(vec![Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone())]);
    let host = jwks_host::spawn(loopback(), &set_a, 300).await.unwrap();
    let verifier = JwksVerifier::new().audience(AUD).accept_v1a(false);
    let (server, _cache) = receiver(&host, verifier).await;
    let url = server.base_url();
    let c = client();
    let body = Event::InteractionCompleted.body("i1", now());
    let signer = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD);

    let token = signer.sign("msg_ok", now(), &body).unwrap();
    let answer = post(&c, &url, &headers("msg_ok", now(), &token), body.clone()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(host.fetch_count(), 1);

    // alg: none, unsigned.
    let mut header = Value::Object(signer.header());
    header["alg"] = "none".into();
    let claims = Value::Object(signer.claims("msg_none", now(), &body));
    let none = jwt::compact(
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
        b"",
    );
    let answer = post(&c, &url, &headers("msg_none", now(), &none), body.clone()).await;
    assert_rejected(&answer, 401, "jwt_alg_not_allowed");
    // Minted for another audience.
    let other = JwtSigner::new(RSA_A.clone(), "rsa-a", "https://elsewhere.example/")
        .sign("msg_aud", now(), &body)
        .unwrap();
    let answer = post(&c, &url, &headers("msg_aud", now(), &other), body.clone()).await;
    assert_rejected(&answer, 401, "jwt_wrong_audience");
    // A v1a delivery to a JWT-only receiver.
    let answer = post(
        &c,
        &url,
        &v1a_headers(&ed(1), "msg_v1a", now(), &body),
        body.clone(),
    )
    .await;
    assert_rejected(&answer, 401, "scheme_not_accepted");
    assert_eq!(
        host.fetch_count(),
        1,
        "max-age=300: no refetch without a miss"
    );

    // rsa-b is published; its first token triggers the refetch and passes.
    host.publish(&Jwks::new(vec![
        Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone()),
        Jwk::rsa(Some("rsa-b"), RSA_B.public_key().clone()),
    ]));
    let token = JwtSigner::new(RSA_B.clone(), "rsa-b", AUD)
        .sign("msg_b", now(), &body)
        .unwrap();
    let answer = post(&c, &url, &headers("msg_b", now(), &token), body.clone()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(host.fetch_count(), 2);
    assert_eq!(
        server.observed().keys().collect::<Vec<_>>(),
        ["msg_b", "msg_ok"]
    );
}

#[tokio::test]
async fn serve_answers_503_while_the_key_set_is_unreachable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = JwksCache::new(
        &format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
        CachePolicy::default(),
    )
    .unwrap();
    let config = ServeConfig::with_async_authenticator(JwksAuthenticator::new(
        Arc::new(cache),
        JwksVerifier::new(),
    ))
    .addr(loopback())
    .log(LogSink::Off);
    let server = spawn(config).await.unwrap();
    let body = b"{}";
    let answer = post(
        &client(),
        &server.base_url(),
        &v1a_headers(&ed(1), "msg_1", now(), body),
        body.to_vec(),
    )
    .await;
    assert_rejected(&answer, 503, "jwks_fetch_failed");
    assert!(server.observed().is_empty());
}

// ---------------------------------------------------------------------------------------
// The command line

fn hookspec() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookspec"));
    command.env_remove("HOOKSPEC_SECRET");
    command
}

/// Starts `hookspec serve ARGS` on a free port and returns it with its delivery URL.
fn serve_cli(args: &[&str]) -> (Child, String) {
    let serving = spawn_serving(
        hookspec()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args),
        Announces::OnStdout,
    );
    (serving.child, serving.url)
}

fn key_path(name: &str) -> String {
    format!("{}/tests/keys/{name}", root!())
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_send_and_serve_speak_every_gemini_scheme() {
    let set = Jwks::new(vec![
        Jwk::ed25519(Some("ed-1"), ed(1).public_key()),
        Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone()),
    ]);
    let host = jwks_host::spawn(loopback(), &set, 60).await.unwrap();
    let jwks = host.url();
    let send = |url: &str, args: &[&str]| {
        let output = hookspec()
            .args(["send", url, "--retries", "0"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };

    // jwt: a token from `send --jwt-key` passes `serve --scheme jwt`; a v1a delivery does not.
    let (child, url) = serve_cli(&["--scheme", "jwt", "--jwks", &jwks, "--jwt-audience", AUD]);
    let jwt_args = [
        "--jwt-key",
        &key_path("rsa-a.pem"),
        "--jwt-kid",
        "rsa-a",
        "--jwt-audience",
        AUD,
    ];
    let mut args = vec!["--event", "batch.succeeded", "--id", "msg_jwt"];
    args.extend(jwt_args);
    assert_eq!(send(&url, &args).0, Some(0));
    let whsk = ed(1).to_whsk();
    let (code, out) = send(&url, &["--event", "batch.failed", "--signing-key", &whsk]);
    assert_eq!(code, Some(1), "{out}");
    let acted = observed(&client(), &format!("{url}_hookspec/observed")).await;
    assert_eq!(acted.keys().collect::<Vec<_>>(), ["msg_jwt"]);
    let log = interrupt(child);
    assert!(log.contains("jwt kid=rsa-a body-bound"), "{log}");
    assert!(log.contains("scheme_not_accepted"), "{log}");

    // v1a-jwks: `send --signing-key` passes; a JWT does not.
    let (child, url) = serve_cli(&["--scheme", "v1a-jwks", "--jwks", &jwks]);
    let (code, out) = send(
        &url,
        &[
            "--event",
            "video.generated",
            "--id",
            "msg_ed",
            "--signing-key",
            &whsk,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let mut args = vec!["--event", "batch.succeeded"];
    args.extend(jwt_args);
    assert_eq!(send(&url, &args).0, Some(1));
    let acted = observed(&client(), &format!("{url}_hookspec/observed")).await;
    assert_eq!(acted.keys().collect::<Vec<_>>(), ["msg_ed"]);
    let log = interrupt(child);
    assert!(log.contains("v1a kid=ed-1"), "{log}");
}

/// A receiver that records the last request, to see exactly what `send` puts on the wire.
#[derive(Default)]
struct Capture {
    last: Mutex<Option<(HeaderMap, Bytes)>>,
}

async fn capture(
    State(state): State<Arc<Capture>>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    *state.last.lock().unwrap() = Some((headers, body));
    "ok"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_send_event_bodies_and_jwt_claims() {
    let state = Arc::new(Capture::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new().fallback(capture).with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let set = Jwks::new(vec![Jwk::rsa(Some("rsa-a"), RSA_A.public_key().clone())]);

    for event in Event::DOCUMENTED {
        for unbound in [false, true] {
            let key = key_path("rsa-a.pem");
            let mut args = vec![
                "send",
                &url,
                "--retries",
                "0",
                "--id",
                "msg_evt",
                "--event",
                event.name(),
                "--jwt-key",
                &key,
                "--jwt-kid",
                "rsa-a",
                "--jwt-audience",
                AUD,
                "--jwt-issuer",
                "https://issuer.example",
            ];
            if unbound {
                args.push("--jwt-unbound");
            }
            // Blocks one worker; the other serves the capture.
            let output = hookspec().args(&args).output().unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let (headers, body) = state
                .last
                .lock()
                .unwrap()
                .take()
                .expect("a request arrived");
            let value: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["type"], event.name());
            assert_eq!(value["version"], "v1");
            assert!(
                value["data"]["id"]
                    .as_str()
                    .unwrap()
                    .contains("hookspec-evt")
            );
            let verifier = JwksVerifier::new()
                .audience(AUD)
                .issuer("https://issuer.example")
                .require_body_binding(!unbound);
            let verified = verifier
                .verify(&set, &headers, &body)
                .unwrap_or_else(|e| panic!("{event}: {e}"));
            match verified.proof {
                Proof::Jwt {
                    id_bound,
                    body_bound,
                    ..
                } => {
                    assert_eq!((id_bound, body_bound), (!unbound, !unbound));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn cli_refuses_mismatched_scheme_flags_with_exit_2() {
    let secret = hookspec::Secret::generate().unwrap().to_whsec();
    let public = ed(1).public_key().to_whpk();
    let jwks = "http://127.0.0.1:9/.well-known/jwks.json";
    let cases: Vec<Vec<&str>> = vec![
        vec!["--scheme", "bogus", "--secret", &secret],
        vec!["--scheme", "v1", "--public-key", &public],
        vec!["--scheme", "v1", "--secret", &secret, "--jwks", jwks],
        vec!["--scheme", "v1a", "--secret", &secret],
        vec!["--scheme", "v1a"],
        vec!["--scheme", "v1a-jwks"],
        vec!["--scheme", "jwt", "--jwks", jwks],
        vec![
            "--scheme",
            "v1a-jwks",
            "--jwks",
            jwks,
            "--jwt-audience",
            AUD,
        ],
        vec!["--jwks", jwks, "--secret", &secret],
        vec!["--jwks", "http://example.com/jwks.json"],
        vec!["--jwks", "ftp://127.0.0.1/jwks.json"],
    ];
    for args in cases {
        let output = hookspec()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            !stderr.contains(secret.trim_start_matches("whsec_")),
            "{stderr}"
        );
    }
    for args in [
        vec![
            "send",
            "http://127.0.0.1:9/",
            "--event",
            "batch.completed",
            "--secret",
            &secret,
        ],
        vec![
            "send",
            "http://127.0.0.1:9/",
            "--event",
            "batch.succeeded",
            "--secret",
            &secret,
            "body.json",
        ],
        vec![
            "send",
            "http://127.0.0.1:9/",
            "--jwt-key",
            "/nonexistent.pem",
            "--jwt-kid",
            "k",
            "--jwt-audience",
            AUD,
        ],
        vec!["send", "http://127.0.0.1:9/", "--jwt-key", "x.pem"],
    ] {
        let output = hookspec().args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let key = key_path("rsa-a.pem");
    let output = hookspec()
        .args([
            "send",
            "http://127.0.0.1:9/",
            "--jwt-key",
            &key,
            "--jwt-kid",
            "k",
            "--jwt-audience",
            AUD,
            "--secret",
            &secret,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("replaces"));
}

// ---------------------------------------------------------------------------------------
// The flawed Gemini receivers really have their flaw, and otherwise behave

mod flawed {
    use super::*;
    use crate::support::gemini_receivers::{GeminiFlaw, GeminiKeys, spawn_gemini_flawed};
    use hookspec::Verifier;

    fn rsa_set(names: &[&str]) -> Jwks {
        Jwks::new(
            names
                .iter()
                .map(|&n| {
                    let key = if n == "rsa-a" { &*RSA_A } else { &*RSA_B };
                    Jwk::rsa(Some(n), key.public_key().clone())
                })
                .collect(),
        )
    }

    /// Delivers to both and returns (flawed status, flawed effect, reference status).
    /// A key server publishing `rsa-a`, the reference receiver and a receiver with `flaw`,
    /// both taking their keys from it.
    async fn rsa_a_beside(
        flaw: GeminiFlaw,
    ) -> (
        RunningJwksHost,
        RunningServer,
        crate::support::server::FlawedReceiver,
    ) {
        let host = jwks_host::spawn(loopback(), &rsa_set(&["rsa-a"]), 0)
            .await
            .unwrap();
        let (reference, _) = receiver(&host, JwksVerifier::new().audience(AUD)).await;
        let r = spawn_gemini_flawed(
            flaw,
            GeminiKeys::Jwks {
                url: host.url(),
                audience: AUD.into(),
            },
        )
        .await;
        (host, reference, r)
    }

    async fn both(
        flawed: &str,
        flawed_observe: &str,
        reference: &RunningServer,
        id: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> (u16, u64, u16) {
        let c = client();
        let a = post(&c, flawed, headers, body.to_vec()).await;
        let acted = observed(&c, flawed_observe)
            .await
            .get(id)
            .copied()
            .unwrap_or(0);
        let r = post(&c, &reference.base_url(), headers, body.to_vec()).await;
        (a.status, acted, r.status)
    }

    fn token(
        signer: &JwtSigner,
        id: &str,
        body: &[u8],
        edit: impl FnOnce(&mut Value, &mut Value),
    ) -> String {
        let mut header = Value::Object(signer.header());
        let mut claims = Value::Object(signer.claims(id, now(), body));
        edit(&mut header, &mut claims);
        signer.sign_json(&header, &claims)
    }

    #[tokio::test]
    async fn each_jwt_flaw_accepts_its_forgery_and_the_reference_does_not() {
        let host = jwks_host::spawn(loopback(), &rsa_set(&["rsa-a"]), 0)
            .await
            .unwrap();
        let (reference, _) = receiver(&host, JwksVerifier::new().audience(AUD)).await;
        let signer = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD);
        let body = Event::BatchSucceeded.body("f", now());
        for flaw in [
            GeminiFlaw::AcceptsAlgNone,
            GeminiFlaw::AlgFromToken,
            GeminiFlaw::SkipsExp,
            GeminiFlaw::SkipsAud,
        ] {
            let r = spawn_gemini_flawed(
                flaw,
                GeminiKeys::Jwks {
                    url: host.url(),
                    audience: AUD.into(),
                },
            )
            .await;
            // An ordinary token: both accept, the flawed receiver acts once.
            let id = format!("msg_ok_{flaw:?}");
            let ok = signer.sign(&id, now(), &body).unwrap();
            let seen = both(
                &r.base_url,
                &r.observe_url,
                &reference,
                &id,
                &headers(&id, now(), &ok),
                &body,
            )
            .await;
            assert_eq!(seen, (200, 1, 200), "{flaw:?}: ordinary delivery");
            let id = format!("msg_forged_{flaw:?}");
            let forged = match flaw {
                GeminiFlaw::AcceptsAlgNone => {
                    let mut h = Value::Object(signer.header());
                    h["alg"] = "none".into();
                    let c = Value::Object(signer.claims(&id, now(), &body));
                    jwt::compact(h.to_string().as_bytes(), c.to_string().as_bytes(), b"")
                }
                GeminiFlaw::AlgFromToken => {
                    let mut h = Value::Object(signer.header());
                    h["alg"] = "HS256".into();
                    let c = Value::Object(signer.claims(&id, now(), &body));
                    jwt::sign_hs256(
                        h.to_string().as_bytes(),
                        c.to_string().as_bytes(),
                        RSA_A.public_key().to_spki_pem().as_bytes(),
                    )
                }
                GeminiFlaw::SkipsExp => token(&signer, &id, &body, |_, c| {
                    c["exp"] = (now() - 3600).into();
                }),
                GeminiFlaw::SkipsAud => token(&signer, &id, &body, |_, c| {
                    c["aud"] = "https://elsewhere.example/".into();
                }),
                _ => unreachable!(),
            };
            let seen = both(
                &r.base_url,
                &r.observe_url,
                &reference,
                &id,
                &headers(&id, now(), &forged),
                &body,
            )
            .await;
            assert_eq!(seen, (200, 1, 401), "{flaw:?}: the forgery");
            // The flaw is only that one: an HS256 token keyed with something else, or
            // a token for another audience to the alg-none receiver, is still refused.
            let other = token(&signer, &format!("{id}_2"), &body, |_, c| {
                c["aud"] = "https://elsewhere.example/".into();
                c["exp"] = (now() - 3600).into();
                c["iat"] = (now() - 4000).into();
            });
            let id2 = format!("{id}_2");
            let status = post(
                &client(),
                &r.base_url,
                &headers(&id2, now(), &other),
                body.clone(),
            )
            .await
            .status;
            let expected = if flaw == GeminiFlaw::SkipsExp {
                200
            } else {
                401
            };
            assert_eq!(
                status, expected,
                "{flaw:?}: expired and for another audience"
            );
        }
    }

    #[tokio::test]
    async fn the_never_refetching_receiver_misses_rotation_both_ways() {
        let (host, reference, r) = rsa_a_beside(GeminiFlaw::NeverRefetches).await;
        let body = b"{}".to_vec();
        let a = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD);
        let b = JwtSigner::new(RSA_B.clone(), "rsa-b", AUD);
        let send = |s: &JwtSigner, id: &str| headers(id, now(), &s.sign(id, now(), &body).unwrap());
        assert_eq!(
            both(
                &r.base_url,
                &r.observe_url,
                &reference,
                "msg_1",
                &send(&a, "msg_1"),
                &body
            )
            .await,
            (200, 1, 200)
        );
        host.publish(&rsa_set(&["rsa-b"]));
        // rsa-b rotated in: the reference refetches and accepts; the flawed one refuses.
        assert_eq!(
            both(
                &r.base_url,
                &r.observe_url,
                &reference,
                "msg_2",
                &send(&b, "msg_2"),
                &body
            )
            .await,
            (401, 0, 200)
        );
        // rsa-a removed: the reference refuses; the flawed one still trusts it.
        assert_eq!(
            both(
                &r.base_url,
                &r.observe_url,
                &reference,
                "msg_3",
                &send(&a, "msg_3"),
                &body
            )
            .await,
            (200, 1, 401)
        );
    }

    #[tokio::test]
    async fn the_receiver_that_refuses_event_types_its_sdk_lacks() {
        let (_host, reference, r) = rsa_a_beside(GeminiFlaw::RejectsUnknownEventType).await;
        let signer = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD);
        let bodies = [
            (Event::InteractionCompleted.body("k", now()), (200, 1, 200)),
            (Event::InteractionCancelled.body("c", now()), (400, 0, 200)),
            (
                hookspec_engine::gemini::future_event_body("f", now()),
                (400, 0, 200),
            ),
            (br#"{"type":"ping"}"#.to_vec(), (200, 1, 200)),
        ];
        for (n, (body, expected)) in bodies.into_iter().enumerate() {
            let id = format!("msg_type_{n}");
            let token = signer.sign(&id, now(), &body).unwrap();
            let seen = both(
                &r.base_url,
                &r.observe_url,
                &reference,
                &id,
                &headers(&id, now(), &token),
                &body,
            )
            .await;
            assert_eq!(seen, expected, "{}", String::from_utf8_lossy(&body));
        }
    }

    #[tokio::test]
    async fn the_receivers_that_misread_a_key_set() {
        // rsa-a valid; an unknown kty before it; rsa-b published for encryption.
        let mut doc: Value = serde_json::from_str(&rsa_set(&["rsa-a", "rsa-b"]).to_json()).unwrap();
        let keys = doc["keys"].as_array_mut().unwrap();
        keys[1]["use"] = "enc".into();
        keys.insert(
            0,
            serde_json::json!({"kty": "AKP", "alg": "ML-DSA-44", "pub": "AAAA"}),
        );
        let host = jwks_host::spawn_document(loopback(), doc.to_string(), 0)
            .await
            .unwrap();
        let (reference, _) = receiver(&host, JwksVerifier::new().audience(AUD)).await;
        let a = JwtSigner::new(RSA_A.clone(), "rsa-a", AUD);
        let b = JwtSigner::new(RSA_B.clone(), "rsa-b", AUD);
        let body = Event::BatchFailed.body("k", now());
        for (flaw, by_a, by_b) in [
            // One bad key and nothing verifies; the key for encryption is still skipped.
            (GeminiFlaw::BadKeySpoilsSet, (401, 0, 200), (401, 0, 401)),
            // Every key parses its way; rsa-b verifies though published for encryption.
            (GeminiFlaw::UsesUnusableKeys, (200, 1, 200), (200, 1, 401)),
        ] {
            let r = spawn_gemini_flawed(
                flaw,
                GeminiKeys::Jwks {
                    url: host.url(),
                    audience: AUD.into(),
                },
            )
            .await;
            for (signer, expected) in [(&a, by_a), (&b, by_b)] {
                let id = format!("msg_{flaw:?}_{}", signer.header()["kid"]);
                let token = signer.sign(&id, now(), &body).unwrap();
                let seen = both(
                    &r.base_url,
                    &r.observe_url,
                    &reference,
                    &id,
                    &headers(&id, now(), &token),
                    &body,
                )
                .await;
                assert_eq!(seen, expected, "{flaw:?}: {id}");
            }
        }
    }

    #[tokio::test]
    async fn the_v1a_receiver_that_takes_an_hmac_keyed_with_its_public_key() {
        let key = ed(1);
        let public = key.public_key();
        let r = spawn_gemini_flawed(
            GeminiFlaw::V1HmacWithPublicKey,
            GeminiKeys::PublicKey(public),
        )
        .await;
        let config = ServeConfig::new(Verifier::new().with_public_key(public))
            .addr(loopback())
            .log(LogSink::Off);
        let reference = spawn(config).await.unwrap();
        let body = b"{}".to_vec();
        let seen = both(
            &r.base_url,
            &r.observe_url,
            &reference,
            "msg_1",
            &v1a_headers(&key, "msg_1", now(), &body),
            &body,
        )
        .await;
        assert_eq!(seen, (200, 1, 200));
        let confused = hookspec::Secret::from_bytes(public.as_bytes()).unwrap();
        let forged = crate::support::http::signed(&confused, "msg_2", now(), &body);
        let seen = both(
            &r.base_url,
            &r.observe_url,
            &reference,
            "msg_2",
            &forged,
            &body,
        )
        .await;
        assert_eq!(seen, (200, 1, 401));
        // An HMAC keyed with anything else is refused.
        let other = hookspec::Secret::from_bytes(&[7; 32]).unwrap();
        let forged = crate::support::http::signed(&other, "msg_3", now(), &body);
        let seen = both(
            &r.base_url,
            &r.observe_url,
            &reference,
            "msg_3",
            &forged,
            &body,
        )
        .await;
        assert_eq!(seen, (401, 0, 401));
    }
}

// ---------------------------------------------------------------------------------------
// hookspec check --scheme: the reference passes, each flawed receiver is caught

mod checker {
    use std::time::Duration;

    use super::*;
    use crate::support::gemini_receivers::{GeminiFlaw, GeminiKeys, spawn_gemini_flawed};
    use crate::support::in_process::run_check;
    use hookspec::Scheme;
    use hookspec_engine::cases::keyset::{JwtSettings, KeySet};
    use hookspec_engine::cases::{Keys, catalogue_for};
    use hookspec_engine::check;
    use hookspec_engine::report::{Level, Report, Verdict};

    const ISS: &str = "https://issuer.example";

    async fn key_set(scheme: Scheme) -> KeySet {
        let settings = JwtSettings {
            audience: AUD.into(),
            issuer: None,
            body_binding: false,
        };
        let mut ks = KeySet::start(scheme, &check::run_tag(), loopback(), settings)
            .await
            .unwrap();
        ks.refetch_wait = Duration::from_secs(4);
        ks.retry_every = Duration::from_millis(250);
        ks
    }

    fn keys_for(ks: &KeySet) -> Keys {
        Keys {
            secrets: Vec::new(),
            revoked: None,
            signing_key: ks.primary.ed25519().cloned(),
            key_set: Some(ks.clone()),
        }
    }

    async fn run(keys: Keys, url: &str, observe: &str) -> Report {
        let cases = catalogue_for(keys.scheme());
        run_check(url, keys, Some(observe), true, cases).await
    }

    fn failed(report: &Report) -> Vec<&str> {
        report
            .cases
            .iter()
            .filter(|c| c.verdict == Verdict::Failed)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Every case OK (INFORMATIONAL for INFO cases), or UNSUPPORTED only for the needs
    /// that are not configured here.
    fn assert_clean(report: &Report, unsupported_ok: &[&str]) {
        for case in &report.cases {
            let ok = match case.verdict {
                Verdict::Ok => case.level != Level::Info,
                Verdict::Informational => case.level == Level::Info,
                Verdict::Unsupported => unsupported_ok.contains(&case.id.as_str()),
                _ => false,
            };
            assert!(
                ok,
                "{}: {} {} (observed: {})",
                case.id,
                case.verdict.as_str(),
                case.message,
                case.observed
            );
        }
        assert!(report.notes.is_empty(), "{:?}", report.notes);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reference_receiver_passes_for_each_key_set_scheme() {
        for scheme in [Scheme::V1aJwks, Scheme::Jwt] {
            let ks = key_set(scheme).await;
            let policy = CachePolicy::default().min_refetch_interval(Duration::from_secs(1));
            let cache = Arc::new(JwksCache::new(&ks.url(), policy).unwrap());
            let verifier = JwksVerifier::new().audience(AUD);
            let server = spawn(
                ServeConfig::with_async_authenticator(JwksAuthenticator::new(cache, verifier))
                    .addr(loopback())
                    .log(LogSink::Off),
            )
            .await
            .unwrap();
            let report = run(keys_for(&ks), &server.base_url(), &server.observe_url()).await;
            assert_clean(&report, &["jwt/wrong-issuer", "jwt/body-replay-bound"]);
            assert!(
                report
                    .cases
                    .iter()
                    .any(|c| c.id == "jwks/key-removed" && c.verdict == Verdict::Ok)
            );
            if scheme == Scheme::Jwt {
                // Google-shaped tokens replayed with another body: accepted, and said why.
                let replay = report
                    .cases
                    .iter()
                    .find(|c| c.id == "jwt/body-replay")
                    .unwrap();
                assert_eq!(replay.verdict, Verdict::Informational);
                assert!(
                    replay
                        .message
                        .contains("nothing binds this token to the body"),
                    "{}",
                    replay.message
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn flawed_key_set_receivers_are_caught_in_their_family() {
        let expectations: [(GeminiFlaw, &[&str]); 8] = [
            (GeminiFlaw::AcceptsAlgNone, &["jwt/alg-none"]),
            (GeminiFlaw::AlgFromToken, &["jwt/hs256-public-key"]),
            (GeminiFlaw::SkipsExp, &["jwt/expired"]),
            (GeminiFlaw::SkipsAud, &["jwt/wrong-audience"]),
            (GeminiFlaw::NeverRefetches, &["jwks/key-added"]),
            (
                GeminiFlaw::RejectsUnknownEventType,
                &["body/unknown-event-type"],
            ),
            // Once the set holds a bad key, it verifies nothing, so the liveness case names
            // the case after which valid deliveries started to fail.
            (
                GeminiFlaw::BadKeySpoilsSet,
                &["jwks/malformed-key-ignored", "response/stays-up"],
            ),
            (GeminiFlaw::UsesUnusableKeys, &["jwks/unusable-key-refused"]),
        ];
        for (flaw, must_fail) in expectations {
            let ks = key_set(Scheme::Jwt).await;
            let r = spawn_gemini_flawed(
                flaw,
                GeminiKeys::Jwks {
                    url: ks.url(),
                    audience: AUD.into(),
                },
            )
            .await;
            let report = run(keys_for(&ks), &r.base_url, &r.observe_url).await;
            let failed = failed(&report);
            for id in must_fail {
                assert!(
                    failed.contains(id),
                    "{flaw:?}: {id} not FAILED; FAILED: {failed:?}"
                );
            }
            for id in &failed {
                assert!(
                    id.starts_with(&format!("{}/", flaw.family())) || id.starts_with("response/"),
                    "{flaw:?}: {id} FAILED outside its family"
                );
            }
            assert_eq!(report.exit_code(), hookspec_engine::exit::FINDINGS);
        }
        // The never-refetching receiver also misses rotation with v1a entries; once
        // jwks/key-added has waited in vain, no other case waits again.
        let ks = key_set(Scheme::V1aJwks).await;
        let r = spawn_gemini_flawed(
            GeminiFlaw::NeverRefetches,
            GeminiKeys::Jwks {
                url: ks.url(),
                audience: AUD.into(),
            },
        )
        .await;
        let report = run(keys_for(&ks), &r.base_url, &r.observe_url).await;
        assert_eq!(failed(&report), ["jwks/key-added"]);
        for id in [
            "jwks/key-removed",
            "jwks/malformed-key-ignored",
            "jwks/unusable-key-refused",
        ] {
            let case = report.cases.iter().find(|c| c.id == id).unwrap();
            assert_eq!(case.verdict, Verdict::Unsupported, "{id}: {}", case.message);
            assert!(
                case.message.contains("was not given another wait")
                    && case.message.contains("jwks/key-added"),
                "{id}: {}",
                case.message
            );
        }
        // The misreading key-set parsers are caught with v1a entries too.
        for (flaw, must_fail) in [
            (
                GeminiFlaw::BadKeySpoilsSet,
                &["response/stays-up", "jwks/malformed-key-ignored"][..],
            ),
            (
                GeminiFlaw::UsesUnusableKeys,
                &["jwks/unusable-key-refused"][..],
            ),
        ] {
            let ks = key_set(Scheme::V1aJwks).await;
            let r = spawn_gemini_flawed(
                flaw,
                GeminiKeys::Jwks {
                    url: ks.url(),
                    audience: AUD.into(),
                },
            )
            .await;
            let report = run(keys_for(&ks), &r.base_url, &r.observe_url).await;
            assert_eq!(failed(&report), must_fail, "{flaw:?}");
            if flaw == GeminiFlaw::BadKeySpoilsSet {
                // The liveness case names where valid deliveries started to fail.
                let stays_up = report
                    .cases
                    .iter()
                    .find(|c| c.id == "response/stays-up")
                    .unwrap();
                assert!(
                    stays_up.message.starts_with(
                        "the endpoint refuses valid deliveries since jwks/malformed-key-ignored"
                    ),
                    "{}",
                    stays_up.message
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_v1a_receiver_taking_an_hmac_keyed_with_its_public_key_is_caught() {
        let key = ed(4);
        let keys = Keys {
            secrets: Vec::new(),
            revoked: None,
            signing_key: Some(key.clone()),
            key_set: None,
        };
        assert_eq!(keys.scheme(), Scheme::V1a);
        let r = spawn_gemini_flawed(
            GeminiFlaw::V1HmacWithPublicKey,
            GeminiKeys::PublicKey(key.public_key()),
        )
        .await;
        let report = run(keys.clone(), &r.base_url, &r.observe_url).await;
        let failed = failed(&report);
        assert!(failed.contains(&"v1a/v1-hmac-public-key"), "{failed:?}");
        assert!(
            failed
                .iter()
                .all(|id| id.starts_with("v1a/") || id.starts_with("response/")),
            "{failed:?}"
        );
        // The reference receiver with the same key passes.
        let server = spawn(
            ServeConfig::new(hookspec::Verifier::new().with_public_key(key.public_key()))
                .addr(loopback())
                .log(LogSink::Off),
        )
        .await
        .unwrap();
        let report = run(keys, &server.base_url(), &server.observe_url()).await;
        assert_clean(&report, &[]);
    }

    fn summary(stdout: &str) -> &str {
        stdout
            .lines()
            .rev()
            .find(|l| l.contains(" cases: "))
            .unwrap_or("")
    }

    #[test]
    fn cli_check_with_no_url_passes_for_every_scheme() {
        for scheme in ["v1", "v1a", "v1a-jwks", "jwt"] {
            let out = hookspec()
                .args(["check", "--scheme", scheme])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{scheme}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = summary(&stdout);
            assert!(
                line.contains(" 0 NON-STRICT")
                    && line.contains(" 0 UNSUPPORTED")
                    && line.contains(" 0 FAILED"),
                "{scheme}: {line}"
            );
            assert!(
                stdout.contains(&format!("scheme {scheme}")) || scheme == "v1",
                "{stdout}"
            );
        }
    }

    /// A free loopback port (released before use; fine for a test).
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[cfg(unix)]
    #[test]
    fn cli_check_against_a_separate_serve_for_each_key_set_scheme() {
        for scheme in ["v1a-jwks", "jwt"] {
            let port = free_port();
            let jwks = format!("http://127.0.0.1:{port}/.well-known/jwks.json");
            let mut serve_args = vec![
                "--scheme",
                scheme,
                "--jwks",
                &jwks,
                "--jwks-refetch-interval",
                "1s",
            ];
            let mut check_args = vec!["--scheme", scheme, "--jwks-listen"];
            let listen = format!("127.0.0.1:{port}");
            check_args.push(&listen);
            if scheme == "jwt" {
                serve_args.extend([
                    "--jwt-audience",
                    AUD,
                    "--jwt-issuer",
                    "https://issuer.example",
                ]);
                check_args.extend([
                    "--jwt-audience",
                    AUD,
                    "--jwt-issuer",
                    "https://issuer.example",
                ]);
            }
            let (child, url) = serve_cli(&serve_args);
            let observe = format!("{url}_hookspec/observed");
            let out = hookspec()
                .args(["check", &url, "--observe", &observe, "--strict"])
                .args(&check_args)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{scheme}: {stdout}{stderr}");
            assert!(stderr.contains(&jwks), "{stderr}");
            let line = summary(&stdout);
            let unsupported = if scheme == "jwt" {
                " 1 UNSUPPORTED"
            } else {
                " 0 UNSUPPORTED"
            };
            assert!(
                line.contains(" 0 FAILED") && line.contains(unsupported),
                "{scheme}: {line}"
            );
            interrupt(child);
        }
        let _ = ISS;
    }

    #[test]
    fn cli_check_refuses_mismatched_scheme_flags_with_exit_2() {
        for args in [
            vec![
                "check",
                "http://127.0.0.1:9/",
                "--scheme",
                "jwt",
                "--jwt-audience",
                AUD,
            ],
            vec![
                "check",
                "http://127.0.0.1:9/",
                "--scheme",
                "jwt",
                "--jwks-listen",
                "127.0.0.1:0",
            ],
            vec!["check", "http://127.0.0.1:9/", "--scheme", "v1a"],
            vec!["check", "http://127.0.0.1:9/", "--scheme", "v1a-jwks"],
            vec![
                "check",
                "http://127.0.0.1:9/",
                "--scheme",
                "v1",
                "--secret",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "--jwks-listen",
                "127.0.0.1:0",
            ],
            vec!["check", "--scheme", "v1a-jwks", "--jwt-audience", AUD],
            vec!["check", "--scheme", "jwt", "--jwks-listen", "127.0.0.1:0"],
            vec!["check", "--scheme", "nope"],
        ] {
            let out = hookspec().args(&args).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn cli_check_replays_the_gemini_vectors_against_the_embedded_receiver() {
        let dir = root!();
        let jwt = format!("{dir}/vectors/jwt.json");
        let v1a = format!("{dir}/vectors/v1a-jwks.json");
        let out = hookspec()
            .args(["check", "--vectors", &jwt, "--vectors", &v1a])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        let line = summary(&stdout);
        assert!(
            line.starts_with("138 cases: ")
                && line.contains(" 0 FAILED")
                && line.contains(" 0 UNSUPPORTED"),
            "{line}"
        );
        // A live endpoint cannot be pointed at each group's key set.
        let out = hookspec()
            .args(["check", "http://127.0.0.1:9/", "--vectors", &jwt])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(summary(&stdout).contains(" 0 FAILED"), "{stdout}");
        assert!(
            stdout.contains("replay against the embedded receiver only"),
            "{stdout}"
        );
        let out = hookspec()
            .args([
                "check",
                "--scheme",
                "jwt",
                "--export-vectors",
                "/tmp/hookspec-never-written",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
}
