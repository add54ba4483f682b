//! The transport flags against real TLS on loopback (a throwaway CA from
//! `support::tls`): `check`, `send` and `listen --jwks` with `--cacert`, `--insecure`,
//! `--client-cert/--client-key` and `-H`, and the secrecy of sensitive header values.
//! Each test also runs without its option, so an option that is ignored fails it.

use std::process::{Command, Output};

use hookspec::{Jwk, Jwks, Secret, SigningKey, Verifier};
use hookspec_engine::jwks_host;
use hookspec_engine::serve::{LogSink, RunningServer, ServeConfig, spawn};
use hookspec_engine::transport::INSECURE_NOTE;

use crate::support::tls::{Demands, Pki, TlsProxy};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// A few quick cases, one that needs an accepted delivery and two that need rejections:
/// a pass means the deliveries went through, quick on two cores.
const CASES: [&str; 6] = [
    "--cases",
    "signature/valid-after-foreign",
    "--cases",
    "signature/tampered-tag",
    "--cases",
    "signature/wrong-secret",
];

async fn reference() -> RunningServer {
    spawn(
        ServeConfig::new(Verifier::new().with_secret(Secret::parse(SECRET).unwrap()))
            .addr(([127, 0, 0, 1], 0).into())
            .log(LogSink::Off),
    )
    .await
    .unwrap()
}

/// Runs the binary off the runtime (the servers run on it).
async fn hookspec(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_hookspec"))
            .args(&args)
            .env_remove("HOOKSPEC_SECRET")
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

fn path(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `check URL --secret … CASES` plus `extra`.
async fn check(url: &str, extra: &[&str]) -> Output {
    let mut all = args(&["check", url, "--secret", SECRET, "--no-config"]);
    all.extend(args(&CASES));
    all.extend(args(extra));
    hookspec(all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_over_https_needs_the_ca_or_insecure_and_says_so() {
    let pki = Pki::new();
    let server = reference().await;
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), Demands::default()).await;
    let url = proxy.url("/");

    // The platform's roots do not know the test CA: exit 3, one line naming the cause.
    let out = check(&url, &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    // Another CA does not help.
    let out = check(&url, &["--cacert", &path(&pki.other_ca_pem)]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));

    // With the CA: the run passes, and the observer is reached through TLS too.
    let observe = proxy.url(hookspec_engine::serve::DEFAULT_OBSERVE_PATH);
    let out = check(
        &url,
        &[
            "--cacert",
            &path(&pki.ca_pem),
            "--observe",
            &observe,
            "--cases",
            "duplicate/redelivery",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(" 0 UNSUPPORTED"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );

    // Without any check: it passes, with a warning and the note in the report.
    let json = pki.path("report.json");
    let out = check(&url, &["--insecure", "--json", &path(&json)]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("warning: TLS certificate verification was disabled"),
        "{}",
        text(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let notes = report["notes"].to_string();
    assert!(notes.contains(INSECURE_NOTE), "{notes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = Pki::new();
    let server = reference().await;
    let demands = Demands {
        client_cert: true,
        ..Demands::default()
    };
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), demands).await;
    let url = proxy.url("/");
    let ca = path(&pki.ca_pem);

    let out = check(&url, &["--cacert", &ca]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));

    let identity = [
        "--client-cert",
        &path(&pki.client_cert),
        "--client-key",
        &path(&pki.client_key),
    ];
    let mut with_identity = vec!["--cacert", ca.as_str()];
    with_identity.extend(identity);
    let out = check(&url, &with_identity).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // One without the other is a usage error; so is a key file that holds no key.
    let out = check(&url, &["--client-cert", &path(&pki.client_cert)]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = check(
        &url,
        &[
            "--client-cert",
            &path(&pki.client_cert),
            "--client-key",
            &path(&pki.client_cert),
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("client.pem") && stderr.contains("tls_no_private_key"),
        "{stderr}"
    );
    let missing = path(&pki.path("missing.pem"));
    let out = check(&url, &["--cacert", &missing]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&missing) && stderr.contains("tls_file_unreadable"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_header_is_sent_and_refused_names_are_usage_errors() {
    let pki = Pki::new();
    let server = reference().await;
    let demands = Demands {
        header: Some(("X-Gateway-Key".into(), "gw-123".into())),
        ..Demands::default()
    };
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), demands).await;
    let url = proxy.url("/");
    let ca = path(&pki.ca_pem);

    // Without the header the gateway answers 401: valid deliveries are rejected.
    let out = check(&url, &["--cacert", &ca]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = check(&url, &["--cacert", &ca, "-H", "X-Gateway-Key: gw-123"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    for refused in [
        "webhook-signature: v1,x",
        "Content-Type: text/plain",
        "Host: example.com",
        "Bad Name: x",
        "no colon",
    ] {
        let out = check(&url, &["--cacert", &ca, "-H", refused]).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{refused}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_header_never_reaches_output_or_reports() {
    const TOKEN: &str = "tok-4f7a9c1e-never-printed";
    let pki = Pki::new();
    let server = reference().await;
    let demands = Demands {
        header: Some(("Authorization".into(), format!("Bearer {TOKEN}"))),
        ..Demands::default()
    };
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), demands).await;
    let url = proxy.url("/");
    let ca = path(&pki.ca_pem);
    let header = format!("Authorization: Bearer {TOKEN}");

    // Sent: the run passes behind the gateway.
    let out = check(&url, &["--cacert", &ca, "-H", &header]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // With the wrong secret every valid delivery is rejected, so the findings carry repro
    // commands and the re-run hint: the header is there, its value is not.
    let json = pki.path("auth.json");
    let junit = pki.path("auth.xml");
    let mut all = args(&["check", &url, "--secret", OTHER_SECRET, "--no-config"]);
    all.extend(args(&[
        "--cases",
        "signature/valid-after-foreign",
        "--cacert",
        &ca,
        "-H",
        &header,
        "--json",
        &path(&json),
        "--junit",
        &path(&junit),
    ]));
    let out = hookspec(all).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let report = std::fs::read_to_string(&json).unwrap();
    for (name, shown) in [
        ("stdout", text(&out.stdout)),
        ("stderr", text(&out.stderr)),
        ("JSON report", report.clone()),
        ("JUnit report", std::fs::read_to_string(&junit).unwrap()),
    ] {
        assert!(!shown.contains(TOKEN), "{name} shows the token: {shown}");
    }
    assert!(report.contains("Authorization: <redacted>"), "{report}");
    assert!(
        text(&out.stdout).contains("-H 'Authorization: <redacted>'"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_uses_the_ca_and_the_headers() {
    let pki = Pki::new();
    let server = reference().await;
    let demands = Demands {
        header: Some(("X-Gateway-Key".into(), "gw-9".into())),
        ..Demands::default()
    };
    let proxy = TlsProxy::spawn(&pki, server.local_addr(), demands).await;
    let send = |extra: &[&str]| {
        let mut all = args(&[
            "send",
            &proxy.url("/"),
            "--secret",
            SECRET,
            "--retries",
            "0",
        ]);
        all.extend(args(extra));
        hookspec(all)
    };
    let ca = path(&pki.ca_pem);
    let out = send(&[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let out = send(&["--cacert", &ca]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("attempt 1: 401"),
        "{}",
        text(&out.stdout)
    );
    let out = send(&["--cacert", &ca, "-H", "X-Gateway-Key: gw-9"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(server.observed().len(), 1);
    let out = send(&["--insecure", "-H", "X-Gateway-Key: gw-9"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_fetches_an_https_key_set_with_the_ca() {
    let pki = Pki::new();
    let key = SigningKey::from_seed(&[9; 32]);
    let set = Jwks::new(vec![Jwk::ed25519(Some("k1"), key.public_key())]);
    let host = jwks_host::spawn(([127, 0, 0, 1], 0).into(), &set, 60)
        .await
        .unwrap();
    let proxy = TlsProxy::spawn(&pki, host.local_addr(), Demands::default()).await;
    let jwks = proxy.url("/.well-known/jwks.json");
    let listen = |extra: &[&str]| {
        let mut all = args(&[
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--jwks",
            &jwks,
            "--duration",
            "200ms",
        ]);
        all.extend(args(extra));
        hookspec(all)
    };
    let out = listen(&[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot fetch the JWKS"), "{stderr}");
    // With the CA the set is fetched and the listener starts (then stops: no sender).
    let out = listen(&["--cacert", &path(&pki.ca_pem)]).await;
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("cannot fetch the JWKS"), "{stderr}");
    assert!(
        stderr.contains("listening on http://127.0.0.1:"),
        "{stderr}"
    );
    // Transport flags without --jwks have nothing to apply to.
    let out = hookspec(args(&["listen", "--insecure", "--duration", "200ms"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
