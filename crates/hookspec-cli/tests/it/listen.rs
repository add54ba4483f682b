//! `hookspec listen` grading real senders: `hookspec send` (all OK) and flawed senders
//! written here, each caught with FAILED on the case that names its flaw.

use std::future::Future;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use hookspec::internal::unix_now;
use hookspec::{Jwk, Jwks, JwksVerifier, Secret, Signer, Verifier};
use hookspec_engine::listen::{JwksKeys, ListenConfig, Listener, Recording, Script, grade};
use hookspec_engine::report::{CaseResult, Verdict};
use hookspec_engine::send::{Message, RetryPolicy, deliver};

use crate::support::process::{Announces, Serving, spawn_serving};
use crate::support::reports::ReportFiles;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &[u8] = br#"{"type":"invoice.paid","amount":100}"#;
const BIN: &str = env!("CARGO_BIN_EXE_hookspec");

fn secret() -> Secret {
    Secret::parse(SECRET).unwrap()
}

fn config(script: &str) -> ListenConfig {
    ListenConfig {
        script: Script::parse(script).unwrap(),
        expect_events: Some(1),
        grace: Duration::from_millis(300),
        // A safety net only: every run below ends on its expected events or its sender.
        duration: Duration::from_secs(30),
        ..ListenConfig::new(Verifier::new().with_secret(secret()))
    }
}

/// Runs the listener with `config` while `sender` delivers to its URL; stops when the
/// expected events completed (plus grace) or shortly after the sender is done.
async fn listen<F, Fut>(config: &ListenConfig, sender: F) -> (Vec<CaseResult>, Recording)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        let _ = done_rx.await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let (recording, ()) = tokio::join!(listener.run(config, Arc::new(|_| {}), stop), async move {
        sender(url).await;
        let _ = done_tx.send(());
    });
    (grade(&recording, config), recording)
}

fn message<'a>(cases: &'a [CaseResult], id: &str) -> &'a str {
    &cases.iter().find(|c| c.id == id).unwrap().message
}

#[track_caller]
fn assert_verdicts(cases: &[CaseResult], expected: &[(&str, Verdict)]) {
    for (id, want) in expected {
        let case = cases.iter().find(|c| c.id == *id).unwrap();
        assert_eq!(
            case.verdict, *want,
            "{id}: {} ({})",
            case.message, case.observed
        );
    }
}

#[track_caller]
fn assert_no_findings(cases: &[CaseResult]) {
    let findings: Vec<String> = cases
        .iter()
        .filter(|c| c.verdict.is_finding(true))
        .map(|c| format!("{} {}: {}", c.verdict, c.id, c.message))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
}

/// `hookspec send` (the built binary) delivering BODY to `url`.
async fn send_binary(url: String, extra: &'static [&'static str]) {
    tokio::task::spawn_blocking(move || {
        let output = run_send(&url, &["--secret", SECRET], extra);
        assert!(
            output.status.code().is_some_and(|c| c <= 1),
            "hookspec send failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    })
    .await
    .unwrap();
}

/// Grades `send_binary` with `extra` arguments against a listener answering `script`, and
/// asserts that it has no findings and the `expected` verdicts.
async fn grade_send_binary(
    script: &str,
    extra: &'static [&'static str],
    expected: &[(&str, Verdict)],
) -> (Vec<CaseResult>, Recording) {
    let config = config(script);
    let (cases, recording) = listen(&config, |url| send_binary(url, extra)).await;
    assert_no_findings(&cases);
    assert_verdicts(&cases, expected);
    (cases, recording)
}

// ---------------------------------------------------------------------------------------
// `hookspec send` is graded OK.

#[tokio::test]
async fn send_binary_with_503_503_200_is_ok_on_every_retry_case() {
    use Verdict::*;
    let (_, recording) = grade_send_binary(
        "503,503,200",
        &["--backoff", "500ms", "--retries", "3"],
        &[
            ("sender/headers-present", Ok),
            ("sender/id-valid", Ok),
            ("sender/timestamp-grammar", Ok),
            ("sender/timestamp-current", Ok),
            ("sender/signature-list-parses", Ok),
            ("sender/signature-verifies", Ok),
            ("sender/content-type", Ok),
            ("sender/method-post", Ok),
            ("sender/retry-same-id", Ok),
            ("sender/retry-same-body", Ok),
            // 0.5 s then 1 s: the third attempt is 1.5 s after the first.
            ("sender/retry-fresh-timestamp", Ok),
            ("sender/retry-after-failure", Ok),
            ("sender/no-retry-after-success", Ok),
            ("sender/backoff-grows", Ok),
            ("sender/retry-schedule", Informational),
            ("sender/concurrency", Informational),
            // Not exercised by this script: never OK by default.
            ("sender/retry-after-honoured", Unsupported),
            ("sender/no-retry-after-gone", Unsupported),
            ("sender/redirect-not-followed", Unsupported),
            ("sender/attempt-timeout", Unsupported),
            ("sender/event-ids-distinct", Unsupported),
        ],
    )
    .await;
    assert_eq!(recording.attempts.len(), 3);
}

#[tokio::test]
async fn send_binary_honours_retry_after() {
    let honoured = [
        ("sender/retry-after-honoured", Verdict::Ok),
        ("sender/retry-after-failure", Verdict::Ok),
    ];
    grade_send_binary("429:retry-after=1,200", &["--backoff", "100ms"], &honoured).await;
}

#[tokio::test]
async fn send_binary_stops_after_410() {
    let stopped = [
        ("sender/no-retry-after-gone", Verdict::Ok),
        ("sender/retry-after-failure", Verdict::Unsupported),
    ];
    let (_, recording) = grade_send_binary("410", &["--backoff", "100ms"], &stopped).await;
    assert_eq!(recording.attempts.len(), 1);
}

#[tokio::test]
async fn send_binary_does_not_follow_redirects() {
    let not_followed = [
        ("sender/redirect-not-followed", Verdict::Ok),
        ("sender/retry-after-failure", Verdict::Ok),
    ];
    let (_, recording) = grade_send_binary("301,200", &["--backoff", "100ms"], &not_followed).await;
    assert!(recording.attempts.iter().all(|a| !a.followed_redirect));
}

#[tokio::test]
async fn send_binary_timeout_is_measured() {
    let measured = [
        ("sender/attempt-timeout", Verdict::Informational),
        ("sender/retry-after-failure", Verdict::Ok),
    ];
    let extra = &["--backoff", "100ms", "--timeout", "300ms"];
    let (cases, recording) = grade_send_binary("timeout,200", extra, &measured).await;
    assert!(matches!(
        recording.attempts[0].end,
        hookspec_engine::listen::AttemptEnd::SenderGaveUp(_)
    ));
    let detail = cases
        .iter()
        .find(|c| c.id == "sender/attempt-timeout")
        .and_then(|c| c.observed.detail.clone())
        .unwrap();
    assert!(detail.contains("gave up after"), "{detail}");
}

#[tokio::test]
async fn library_deliver_of_two_events_has_distinct_ids() {
    let mut config = config("503,200");
    config.expect_events = Some(2);
    let (cases, _) = listen(&config, |url| async move {
        let client = hookspec_engine::net::http_client(Duration::from_secs(5)).unwrap();
        let signer = Signer::new().with_secret(secret());
        let policy = RetryPolicy {
            retries: 2,
            backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for id in ["msg_one", "msg_two"] {
            let message = Message {
                id,
                body: BODY,
                content_type: "application/json",
            };
            let delivery = deliver(&client, &url, &signer, &message, &policy, |_| {})
                .await
                .unwrap();
            assert!(delivery.delivered());
        }
    })
    .await;
    assert_no_findings(&cases);
    assert_verdicts(&cases, &[("sender/event-ids-distinct", Verdict::Ok)]);
}

// ---------------------------------------------------------------------------------------
// Flawed senders, each caught on its own case.

/// A sender with configurable flaws. Without any, it behaves like `hookspec send`.
#[derive(Clone)]
struct Flawed {
    retries: u32,
    backoff: Duration,
    /// A new webhook-id on every attempt.
    new_id_per_attempt: bool,
    /// The first attempt's timestamp (and so its signature) on every retry.
    reuse_first_timestamp: bool,
    /// Sign these bytes instead of the body actually sent.
    sign_over: Option<Vec<u8>>,
    /// Key the HMAC with the bytes of the `whsec_…` string instead of the decoded secret.
    whsec_string_as_key: bool,
    /// Send once more after a 2xx.
    retry_after_success: bool,
    /// Let the HTTP client follow redirects.
    follow_redirects: bool,
    /// Wait `backoff` before every retry instead of doubling it.
    constant_backoff: bool,
    body: Vec<u8>,
}

impl Default for Flawed {
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Duration::from_millis(100),
            new_id_per_attempt: false,
            reuse_first_timestamp: false,
            sign_over: None,
            whsec_string_as_key: false,
            retry_after_success: false,
            follow_redirects: false,
            constant_backoff: false,
            body: BODY.to_vec(),
        }
    }
}

impl Flawed {
    async fn run(self, url: String) {
        let redirect = if self.follow_redirects {
            reqwest::redirect::Policy::limited(5)
        } else {
            reqwest::redirect::Policy::none()
        };
        hookspec_engine::net::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(redirect)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let key = if self.whsec_string_as_key {
            Secret::from_bytes(SECRET.as_bytes()).unwrap()
        } else {
            secret()
        };
        let signer = Signer::new().with_secret(key);
        let mut first_timestamp = None;
        let mut extra_after_success = self.retry_after_success;
        for attempt in 0..=self.retries {
            let id = if self.new_id_per_attempt {
                format!("msg_flawed_{attempt}")
            } else {
                "msg_flawed".to_string()
            };
            let timestamp = match first_timestamp {
                Some(ts) if self.reuse_first_timestamp => ts,
                _ => unix_now(),
            };
            first_timestamp.get_or_insert(timestamp);
            let signed = self.sign_over.as_deref().unwrap_or(&self.body);
            let signature = signer.sign(&id, timestamp, signed).unwrap();
            let status = client
                .post(&url)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(self.body.clone())
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            if (200..300).contains(&status) {
                if !extra_after_success {
                    return;
                }
                extra_after_success = false;
            }
            if status == 410 {
                return;
            }
            let factor = if self.constant_backoff {
                1
            } else {
                1 << attempt
            };
            tokio::time::sleep(self.backoff * factor).await;
        }
    }
}

async fn grade_flawed(config: &ListenConfig, sender: Flawed) -> Vec<CaseResult> {
    listen(config, |url| sender.run(url)).await.0
}

#[tokio::test]
async fn the_flawless_reference_sender_passes() {
    // The same sender with every flaw off: shows the flaw tests below can pass.
    let cases = grade_flawed(&config("503,503,200"), Flawed::default()).await;
    assert_no_findings(&cases);
    assert_verdicts(
        &cases,
        &[
            ("sender/retry-same-id", Verdict::Ok),
            ("sender/signature-verifies", Verdict::Ok),
            ("sender/retry-after-failure", Verdict::Ok),
            ("sender/no-retry-after-success", Verdict::Ok),
        ],
    );
}

/// One test per flawed sender: `Flawed` with the fields given (the rest default), graded
/// against `script`, gets the verdicts listed.
macro_rules! flawed_sender_tests {
    ($(
        $name:ident: $script:literal, { $($field:ident: $value:expr),* $(,)? }
            => [$($case:literal $verdict:ident),* $(,)?];
    )*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let sender = Flawed { $($field: $value,)* ..Flawed::default() };
                let cases = grade_flawed(&config($script), sender).await;
                assert_verdicts(&cases, &[$(($case, Verdict::$verdict)),*]);
            }
        )*
    };
}

flawed_sender_tests! {
    an_hmac_keyed_with_the_whsec_string_is_caught: "200", { whsec_string_as_key: true } => [
        "sender/signature-verifies" Failed,
        "sender/signature-list-parses" Ok,
    ];
    a_retry_after_a_2xx_is_caught: "200", { retry_after_success: true } => [
        "sender/no-retry-after-success" Failed,
    ];
    no_retry_after_a_503_is_caught: "503,200", { retries: 0 } => [
        "sender/retry-after-failure" Failed,
    ];
    a_constant_retry_delay_is_non_strict: "503,503,503,200",
        { constant_backoff: true, backoff: Duration::from_millis(200) } => [
        "sender/backoff-grows" NonStrict,
    ];
}

#[tokio::test]
async fn a_new_webhook_id_on_every_retry_is_caught() {
    let sender = Flawed {
        new_id_per_attempt: true,
        retries: 2,
        ..Flawed::default()
    };
    let cases = grade_flawed(&config("503,503,200"), sender).await;
    assert_verdicts(&cases, &[("sender/retry-same-id", Verdict::Failed)]);
    assert!(
        message(&cases, "sender/retry-same-id").contains("changed on retry"),
        "{}",
        message(&cases, "sender/retry-same-id")
    );
    // The retries were made (under new ids): that is not also blamed as "no retry".
    assert_verdicts(&cases, &[("sender/retry-after-failure", Verdict::Ok)]);
}

#[tokio::test]
async fn reusing_the_first_timestamp_on_retries_is_caught() {
    let mut config = config("503,200");
    config.tolerance = Duration::from_secs(1);
    let sender = Flawed {
        reuse_first_timestamp: true,
        backoff: Duration::from_millis(2100),
        ..Flawed::default()
    };
    let cases = grade_flawed(&config, sender).await;
    assert_verdicts(
        &cases,
        &[
            ("sender/retry-fresh-timestamp", Verdict::Failed),
            ("sender/timestamp-current", Verdict::Failed),
            // The stale signature still verifies: only the timestamp cases catch this.
            ("sender/signature-verifies", Verdict::Ok),
        ],
    );
}

#[tokio::test]
async fn a_signature_over_reserialized_json_is_caught() {
    let raw = b"{ \"type\": \"invoice.paid\",  \"amount\": 100 }\n".to_vec();
    let value: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let reserialized = serde_json::to_vec(&value).unwrap();
    assert_ne!(raw, reserialized);
    let sender = Flawed {
        body: raw,
        sign_over: Some(reserialized),
        ..Flawed::default()
    };
    let cases = grade_flawed(&config("200"), sender).await;
    assert_verdicts(&cases, &[("sender/signature-verifies", Verdict::Failed)]);
    assert!(message(&cases, "sender/signature-verifies").contains("no_matching_signature"));
}

#[tokio::test]
async fn following_a_redirect_is_caught() {
    let config = config("301,200");
    let sender = Flawed {
        follow_redirects: true,
        ..Flawed::default()
    };
    let (cases, recording) = listen(&config, |url| sender.run(url)).await;
    assert!(recording.attempts.iter().any(|a| a.followed_redirect));
    assert_verdicts(&cases, &[("sender/redirect-not-followed", Verdict::Failed)]);
}

// ---------------------------------------------------------------------------------------
// The command line: exit codes, the report, one-line errors.

/// `hookspec listen` running, as [`spawn_listen`] started it.
struct Listening {
    child: std::process::Child,
    /// Where it listens.
    url: String,
    /// Collects its standard error.
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `hookspec listen KEY_ARGS ARGS` on a free port.
fn spawn_listen(key_args: &[&str], args: &[&str]) -> Listening {
    let Serving {
        child,
        url,
        first_line,
        rest,
    } = spawn_serving(
        Command::new(BIN)
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(key_args)
            .args(args),
        Announces::OnStderr,
    );
    let stderr = std::thread::spawn(move || {
        let mut text = first_line;
        for line in rest.lines() {
            text.push_str(&line.unwrap());
            text.push('\n');
        }
        text
    });
    Listening { child, url, stderr }
}

impl Listening {
    /// Waits for the run to end: its exit code, standard output and standard error.
    fn finish(self) -> (Option<i32>, String, String) {
        let output = self.child.wait_with_output().unwrap();
        let stderr = self.stderr.join().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), stdout, stderr)
    }
}

/// Ends a run after one event (and a short grace), with a generous safety net.
const ONE_EVENT: [&str; 6] = [
    "--expect-events",
    "1",
    "--grace",
    "200ms",
    "--duration",
    "30s",
];

/// Whether the report on `stdout` has a line with `verdict` for `case`.
fn reported(stdout: &str, verdict: &str, case: &str) -> bool {
    stdout
        .lines()
        .any(|l| l.contains(verdict) && l.contains(case))
}

/// `hookspec send URL KEY_ARGS EXTRA` with BODY in a file.
fn run_send(url: &str, key_args: &[&str], extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    Command::new(BIN)
        .args(["send", url])
        .args(key_args)
        .args(extra)
        .arg(&body)
        .output()
        .unwrap()
}

#[test]
fn cli_grades_hookspec_send_exit_0_with_a_json_report() {
    let reports = ReportFiles::new();
    let run = [
        "--respond",
        "503,200",
        "--expect-events",
        "1",
        "--grace",
        "300ms",
        "--duration",
        "30s",
    ];
    let listening = spawn_listen(&["--secret", SECRET], &[&run[..], &reports.args()].concat());
    let sent = run_send(
        &listening.url,
        &["--secret", SECRET],
        &["--backoff", "100ms"],
    );
    assert!(sent.status.success(), "{sent:?}");
    let (code, stdout, stderr) = listening.finish();
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // One line per attempt on stderr.
    assert!(
        stderr.contains("#1 ") && stderr.contains("-> 503"),
        "{stderr}"
    );
    assert!(
        stderr.contains("#2 ") && stderr.contains("-> 200"),
        "{stderr}"
    );
    assert!(stdout.contains("sender/retry-after-failure"), "{stdout}");
    let report = reports.json();
    assert_eq!(report["command"], "listen");
    assert_eq!(report["summary"]["FAILED"], 0);
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), hookspec_engine::listen::grade::CATALOGUE.len());
    assert!(reports.junit().contains("sender/signature-verifies"));
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
}

#[test]
fn cli_exits_1_when_the_sender_signs_with_another_key() {
    let listening = spawn_listen(&["--secret", SECRET], &ONE_EVENT);
    let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let _ = run_send(&listening.url, &["--secret", other], &[]);
    let (code, stdout, stderr) = listening.finish();
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        reported(&stdout, "FAILED", "sender/signature-verifies"),
        "{stdout}"
    );
}

#[test]
fn cli_exits_3_when_no_delivery_arrives() {
    let listening = spawn_listen(&["--secret", SECRET], &["--duration", "300ms"]);
    let (code, _, stderr) = listening.finish();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("no delivery arrived"), "{stderr}");
}

#[test]
fn cli_exits_3_when_the_address_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = taken.local_addr().unwrap();
    let output = Command::new(BIN)
        .args(["listen", "--secret", SECRET, "--addr", &addr.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
}

#[test]
fn cli_refuses_bad_scripts_and_jwks_urls_with_exit_2_and_one_line() {
    for args in [
        &["--respond", "503,,200"][..],
        &["--respond", "200,503"],
        &["--respond", "5o3"],
        &["--respond", "429:retry-after=x"],
        &["--jwks", "ftp://127.0.0.1/jwks.json"],
        &["--jwks", "http://example.com/jwks.json"],
        &["--expect-events", "0"],
    ] {
        let output = Command::new(BIN)
            .args(["listen", "--addr", "127.0.0.1:0", "--secret", SECRET])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

// ---------------------------------------------------------------------------------------
// Keys from a JWKS.

fn ed25519(seed: u8) -> hookspec::SigningKey {
    hookspec::SigningKey::from_seed(&[seed; 32])
}

fn key_set(key: &hookspec::SigningKey) -> Jwks {
    Jwks::new(vec![Jwk::ed25519(Some("k1"), key.public_key())])
}

async fn grade_v1a_sender(signed_with: hookspec::SigningKey) -> Vec<CaseResult> {
    let config = ListenConfig {
        jwks: Some(JwksKeys {
            set: Arc::new(key_set(&ed25519(1))),
            verifier: JwksVerifier::new(),
        }),
        ..config("200")
    };
    // Only the JWKS holds the key the sender must use.
    let config = ListenConfig {
        verifier: Verifier::new(),
        ..config
    };
    listen(&config, |url| async move {
        let client = hookspec_engine::net::http_client(Duration::from_secs(5)).unwrap();
        let signer = Signer::new().with_signing_key(signed_with);
        let message = Message {
            id: "msg_v1a",
            body: BODY,
            content_type: "application/json",
        };
        deliver(
            &client,
            &url,
            &signer,
            &message,
            &RetryPolicy::default(),
            |_| {},
        )
        .await
        .unwrap();
    })
    .await
    .0
}

#[tokio::test]
async fn v1a_deliveries_verify_against_the_jwks_keys() {
    let cases = grade_v1a_sender(ed25519(1)).await;
    assert_no_findings(&cases);
    assert_verdicts(&cases, &[("sender/signature-verifies", Verdict::Ok)]);

    let cases = grade_v1a_sender(ed25519(2)).await;
    assert_verdicts(&cases, &[("sender/signature-verifies", Verdict::Failed)]);
    assert!(
        message(&cases, "sender/signature-verifies").contains("JWKS: "),
        "{}",
        message(&cases, "sender/signature-verifies")
    );
}

/// Serves `body` as JSON on a loopback port, to every request, from a detached thread.
fn serve_json(body: String) -> String {
    use std::io::{Read as _, Write as _};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", server.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in server.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn cli_fetches_the_jwks_and_grades_a_v1a_sender() {
    let key = ed25519(7);
    let jwks_url = serve_json(key_set(&key).to_json());
    let listening = spawn_listen(&["--jwks", &jwks_url], &ONE_EVENT);
    let sent = run_send(&listening.url, &["--signing-key", &key.to_whsk()], &[]);
    assert!(sent.status.success(), "{sent:?}");
    let (code, stdout, _) = listening.finish();
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        reported(&stdout, "OK", "sender/signature-verifies"),
        "{stdout}"
    );
}

#[test]
fn cli_exits_3_when_the_jwks_cannot_be_fetched() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let output = Command::new(BIN)
        .args(["listen", "--addr", "127.0.0.1:0", "--jwks", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot fetch the JWKS"), "{stderr}");
}
