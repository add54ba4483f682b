//! The servers (`serve`, `listen`) against hostile and slow peers, each written for one
//! defect: half-sent requests, idle floods, oversized declared bodies, a full id store,
//! credentials in a key-set URL, huge bodies and ids sent to `listen`. Loopback only; every
//! wait is bounded, every child process is killed when a test ends.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookspec::{Secret, Signer, SigningKey, Verifier};
use hookspec_engine::serve::{DeliveryRecord, LogSink, RunningServer, ServeConfig, spawn};
use hookspec_engine::server_task::ServerOptions;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::http::{client, now, observed, post, signed};
use crate::support::process::{Announces, Serving, spawn_serving};

const BODY: &[u8] = br#"{"type": "invoice.paid", "data": {"id": 42}}"#;

/// The longest any single wait below may take before the test fails: generous for a loaded
/// machine; what is checked is the behaviour (answered, closed), not the speed.
const BOUND: Duration = Duration::from_secs(20);

/// Kills a child process when dropped (a failed assertion must not leave it running).
struct Reaper(Option<Child>);

impl Reaper {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child")
    }

    fn pid(&mut self) -> u32 {
        self.child().id()
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn start(secret: &Secret, options: ServerOptions, max_body: usize) -> RunningServer {
    start_config(
        ServeConfig::new(Verifier::new().with_secret(secret.clone()))
            .max_body(max_body)
            .server_options(options),
    )
    .await
}

async fn start_config(config: ServeConfig) -> RunningServer {
    spawn(config.addr(([127, 0, 0, 1], 0).into()).log(LogSink::Off))
        .await
        .expect("serve starts")
}

/// Options with every timeout long, so a test shortens only the one it is about.
fn patient() -> ServerOptions {
    ServerOptions::default()
        .header_timeout(Duration::from_secs(120))
        .body_timeout(Duration::from_secs(120))
        .idle_timeout(Duration::from_secs(120))
}

/// Reads until the peer closes the connection (or `BOUND` passes: then `None`).
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    match tokio::time::timeout(BOUND, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(got), // EOF or a reset: closed either way
        Err(_) => None,
    }
}

/// Reads the first bytes the peer sends (or `BOUND` passes: then `None`).
async fn read_some(stream: &mut TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
        Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

/// A complete signed delivery as raw HTTP/1.1 bytes (keep-alive).
fn raw_delivery(secret: &Secret, id: &str) -> Vec<u8> {
    let mut request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        BODY.len()
    );
    for (name, value) in signed(secret, id, now(), BODY) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(BODY);
    bytes
}

#[tokio::test]
async fn a_half_sent_head_is_closed_after_the_header_timeout() {
    let secret = Secret::generate().unwrap();
    let server = start(
        &secret,
        patient().header_timeout(Duration::from_millis(300)),
        1024,
    )
    .await;
    let mut half_sent = TcpStream::connect(server.local_addr()).await.unwrap();
    half_sent.write_all(b"POST / HT").await.unwrap();
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    assert!(
        read_until_closed(&mut half_sent).await.is_some(),
        "a half-sent request head keeps its connection open"
    );
    assert!(
        read_until_closed(&mut silent).await.is_some(),
        "a connection that never sends a byte stays open"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_silent_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let secret = Secret::generate().unwrap();
    let server = start(
        &secret,
        patient().idle_timeout(Duration::from_millis(300)),
        1024,
    )
    .await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(&raw_delivery(&secret, "msg_idle"))
        .await
        .unwrap();
    let answer = read_some(&mut stream).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The header timeout (120 s) is far away: only the idle timeout can close it in time.
    assert!(
        read_until_closed(&mut stream).await.is_some(),
        "an idle keep-alive connection stays open"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let secret = Secret::generate().unwrap();
    let server = start(
        &secret,
        patient().body_timeout(Duration::from_millis(300)),
        1024,
    )
    .await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    let answer = read_some(&mut stream).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(read_until_closed(&mut stream).await.is_some());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret, patient(), 1024).await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    // 10 MiB announced, not a byte of it sent: the answer must not wait for the body.
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10485760\r\n\r\n")
        .await
        .unwrap();
    let answer = read_some(&mut stream)
        .await
        .expect("answered before the body");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn at_the_connection_cap_idle_connections_make_room_and_busy_ones_get_503() {
    let secret = Secret::generate().unwrap();
    let server = start(&secret, patient().max_connections(3), 1024).await;
    let addr = server.local_addr();
    // Three connections busy with a request whose body is still coming.
    let mut busy = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n01234")
            .await
            .unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // let the server take them in
    let mut surplus = TcpStream::connect(addr).await.unwrap();
    let answer = read_some(&mut surplus).await.expect("answered at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(read_until_closed(&mut surplus).await.is_some());
    drop(busy);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Three idle connections fill the cap; a delivery still gets through, in place of the
    // one that waited longest.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(addr).await.unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&raw_delivery(&secret, "msg_cap"))
        .await
        .unwrap();
    let answer = read_some(&mut stream).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        read_until_closed(&mut idle[0]).await.is_some(),
        "the oldest idle connection was closed to make room"
    );
    assert_eq!(server.observed().get("msg_cap"), Some(&1));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_full_id_store_answers_503_and_forgets_no_id() {
    let secret = Secret::generate().unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = {
        let lines = lines.clone();
        LogSink::custom(move |record: &DeliveryRecord| {
            lines.lock().unwrap().push(record.to_string());
        })
    };
    let server = spawn(
        ServeConfig::new(Verifier::new().with_secret(secret.clone()))
            .addr(([127, 0, 0, 1], 0).into())
            .max_ids(2)
            .log(sink),
    )
    .await
    .unwrap();
    let url = server.base_url();
    let client = client();
    for id in ["msg_1", "msg_2"] {
        let answer = post(&client, &url, &signed(&secret, id, now(), BODY), BODY).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let full = post(&client, &url, &signed(&secret, "msg_3", now(), BODY), BODY).await;
    assert_eq!(full.status, 503, "{}", full.body);
    assert_eq!(
        full.code().as_deref(),
        Some("id_store_full"),
        "{}",
        full.body
    );
    // A known id is still recognised: a replay of msg_1 is not acted on again.
    let again = post(&client, &url, &signed(&secret, "msg_1", now(), BODY), BODY).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("duplicate"), "{}", again.body);
    let acted = observed(&client, &server.observe_url()).await;
    assert_eq!(
        acted.into_iter().collect::<Vec<_>>(),
        [("msg_1".to_owned(), 1), ("msg_2".to_owned(), 1)]
    );
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("id=msg_3 status=503 outcome=rejected code=id_store_full")),
        "{lines:?}"
    );
    server.shutdown().await.unwrap();
}

/// `hookspec serve` on a free port, started through `sh` with its descriptor limit set to
/// `fd_limit` when given.
fn serve_cli(secret: &Secret, fd_limit: Option<u32>, extra: &[&str]) -> (Reaper, String) {
    let whsec = secret.to_whsec();
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--secret", whsec.as_str()];
    args.extend_from_slice(extra);
    let mut command = match fd_limit {
        Some(limit) => {
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_hookspec"))
                .args(&args);
            command
        }
        None => {
            let mut command = Command::new(env!("CARGO_BIN_EXE_hookspec"));
            command.args(&args);
            command
        }
    };
    let Serving {
        child, url, rest, ..
    } = spawn_serving(&mut command, Announces::OnStdout);
    drop(rest);
    (Reaper(Some(child)), url)
}

/// The slowloris figure: a valid delivery while 2,000 idle and half-sent connections are
/// held. The receiver runs with 1,536 descriptors, so that 2,000 held connections would
/// exhaust them the way ~20,000 exhaust a default limit of 20,000 (the default connection
/// cap, 1,024, keeps it below). The latency is printed for the evidence page, not asserted.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_a_valid_delivery_is_answered_while_2000_connections_are_held() {
    let secret = Secret::generate().unwrap();
    let (_serve, url) = serve_cli(&secret, Some(1536), &[]);
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut held = Vec::with_capacity(2000);
    let opening_ends = Instant::now() + BOUND;
    for i in 0..2000 {
        if Instant::now() > opening_ends {
            break; // a receiver that stopped accepting: the delivery below tells
        }
        let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)).await
        else {
            continue; // the backlog is full: this one is not held
        };
        if i % 2 == 0 {
            // Half-sent: a request line and one header, then nothing.
            let _ = stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n").await;
        }
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = client();
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        post(
            &client,
            &url,
            &signed(&secret, "msg_slowloris", now(), BODY),
            BODY,
        ),
    )
    .await
    .expect("a valid delivery is answered within 5 s while 2,000 connections are held");
    let latency = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.body);
    eprintln!(
        "slowloris: {} idle and half-sent connections opened; valid delivery answered {} in {:.1} ms",
        held.len(),
        answer.status,
        latency.as_secs_f64() * 1000.0
    );
    drop(held);
}

/// Sends SIGTERM to `pid`.
fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child to exit, at most `limit`.
fn wait_exit(reaper: &mut Reaper, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = reaper.child().try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[cfg(unix)]
#[tokio::test]
async fn serve_exits_0_on_sigterm_while_requests_are_half_sent() {
    let secret = Secret::generate().unwrap();
    let (mut serve, url) = serve_cli(&secret, None, &["--shutdown-grace", "1s"]);
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut half_head = TcpStream::connect(addr).await.unwrap();
    half_head.write_all(b"POST / HT").await.unwrap();
    let mut half_body = TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n01234")
        .await
        .unwrap();
    let _idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = serve.pid();
    terminate(pid);
    // The grace (1 s) plus a generous margin for a loaded machine.
    let status = wait_exit(&mut serve, Duration::from_secs(1) + BOUND)
        .expect("serve exits after SIGTERM despite half-sent requests");
    assert_eq!(status.code(), Some(0));
}

#[cfg(unix)]
#[tokio::test]
async fn serve_jwks_never_shows_the_url_password() {
    // A port with nothing listening: the key set cannot be fetched.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let jwks = format!("http://jwksuser:s3cretPassw0rd@127.0.0.1:{port}/jwks");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookspec"));
    command.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--scheme",
        "v1a-jwks",
        "--jwks",
        &jwks,
    ]);
    let Serving {
        child,
        url,
        first_line,
        rest,
    } = spawn_serving(&mut command, Announces::OnStdout);
    drop(rest);
    let mut serve = Reaper(Some(child));
    assert!(!first_line.contains("s3cretPassw0rd"), "{first_line}");
    assert!(
        first_line.contains(&format!("127.0.0.1:{port}/jwks")),
        "{first_line}"
    );
    let key = SigningKey::from_seed(&[7; 32]);
    let ts = now();
    let signature = Signer::new()
        .with_signing_key(key)
        .sign("msg_jwks", ts, BODY)
        .unwrap();
    let headers = vec![
        ("webhook-id".to_owned(), "msg_jwks".to_owned()),
        ("webhook-timestamp".to_owned(), ts.to_string()),
        ("webhook-signature".to_owned(), signature),
    ];
    let answer = post(&client(), &url, &headers, BODY).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(!answer.body.contains("s3cretPassw0rd"), "{}", answer.body);
    assert!(!answer.body.contains("jwksuser"), "{}", answer.body);
    assert!(
        answer.body.contains(&format!("127.0.0.1:{port}")),
        "{}",
        answer.body
    );
    terminate(serve.pid());
    let child = serve.0.take().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("id=msg_jwks status=503"), "{log}");
    assert!(!log.contains("s3cretPassw0rd"), "{log}");
}

/// `hookspec listen` on a free port, announcing on standard error.
fn listen_cli(secret: &Secret) -> (Reaper, String, std::process::ChildStderr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookspec"))
        .args([
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--duration",
            "120s",
            "--secret",
            &secret.to_whsec(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while std::io::Read::read(&mut stderr, &mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let first = String::from_utf8_lossy(&first).into_owned();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    (Reaper(Some(child)), url, stderr)
}

/// The peak resident memory of a process, from `/proc/<pid>/status` (Linux), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn listen_keeps_a_bounded_record_of_40_unsigned_15_mib_posts() {
    let secret = Secret::generate().unwrap();
    let (mut listen, url, stderr) = listen_cli(&secret);
    // Drain the notices so the listener never blocks on a full pipe.
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut { stderr }, &mut sink);
    });
    let body = vec![b'x'; 15 << 20];
    let client = client();
    for i in 0..40 {
        let answer = client
            .post(&url)
            .header("webhook-id", format!("msg_big_{i}"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let pid = listen.pid();
    let peak = peak_rss_kib(pid).expect("VmHWM");
    eprintln!(
        "listen: 40 × 15 MiB unsigned POSTs, peak RSS {} MiB",
        peak / 1024
    );
    // Keeping the bodies would need 600 MiB; a few bodies in flight at most are allowed.
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB");
    drop(listen);
    drain.join().unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn listen_cuts_and_escapes_peer_text_in_its_log() {
    let secret = Secret::generate().unwrap();
    let (mut listen, url, stderr) = listen_cli(&secret);
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut log);
        log
    });
    let long_id = format!("msg_{}", "a".repeat(300_000));
    let answer = client()
        .post(&url)
        .header("webhook-id", &long_id)
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let escaped = client()
        .post(&url)
        .header("webhook-id", "msg_with\ttab")
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 200);
    terminate(listen.pid());
    let _ = wait_exit(&mut listen, BOUND);
    drop(listen);
    let log = reader.join().unwrap();
    let arrival = log
        .lines()
        .find(|l| l.contains("webhook-id msg_aaa"))
        .unwrap_or_else(|| panic!("no arrival line in {}", &log[..log.len().min(2000)]));
    assert!(arrival.len() < 400, "{} bytes", arrival.len());
    assert!(arrival.contains("(300004 bytes)"), "{arrival}");
    assert!(
        log.contains("webhook-id msg_with\\ttab"),
        "{}",
        &log[log.len().saturating_sub(2000)..]
    );
    assert!(!log.contains("msg_with\ttab"), "a raw tab reached the log");
}

/// Signatures of bodies longer than the kept prefix are still judged: checked on arrival
/// over the whole body. A body altered beyond the prefix fails, one intact passes.
#[tokio::test]
async fn listen_verifies_long_bodies_on_arrival() {
    use hookspec_engine::listen::{
        BODY_PREFIX, ListenConfig, Listener, Script, grade as grade_run,
    };
    use hookspec_engine::report::Verdict;
    use std::sync::Arc;

    let secret = Secret::generate().unwrap();
    let config = ListenConfig {
        script: Script::parse("200").unwrap(),
        duration: Duration::from_secs(30),
        ..ListenConfig::new(Verifier::new().with_secret(secret.clone()))
    };
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let long = vec![b'x'; 100 * 1024];
    let mut altered = long.clone();
    altered[BODY_PREFIX + 1000] = b'y';
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let sender = async {
        let client = client();
        for (id, sent) in [("msg_intact", &long), ("msg_altered", &altered)] {
            // Signed over the long body; the second sends a body altered past the prefix.
            let mut request = client.post(&url).body(sent.clone());
            for (name, value) in signed(&secret, id, now(), &long) {
                request = request.header(name, value);
            }
            assert_eq!(request.send().await.unwrap().status(), 200);
        }
        let _ = done_tx.send(());
    };
    let stop = async {
        let _ = done_rx.await;
    };
    let (recording, ()) = tokio::join!(listener.run(&config, Arc::new(|_| {}), stop), sender);
    assert_eq!(recording.attempts.len(), 2);
    for attempt in &recording.attempts {
        assert_eq!(attempt.body.len(), long.len());
        assert_eq!(attempt.body.prefix().len(), BODY_PREFIX);
    }
    assert_eq!(recording.attempts[0].signature_check, Some(Ok(())));
    assert!(matches!(
        recording.attempts[1].signature_check,
        Some(Err(_))
    ));
    let cases = grade_run(&recording, &config);
    let case = cases
        .iter()
        .find(|c| c.id == "sender/signature-verifies")
        .unwrap();
    assert_eq!(case.verdict, Verdict::Failed, "{}", case.message);
    assert!(case.message.contains("1 of 2 attempts"), "{}", case.message);
}
