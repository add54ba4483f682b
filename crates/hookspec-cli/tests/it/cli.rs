//! The `hookspec` binary: snapshots of what users see (stdout, stderr, exit code) for `sign`,
//! `verify`, `send` and their `--help`, plus the exit-code contract (0 OK, 1 rejected or not
//! delivered, 2 bad arguments, 3 unreachable). `send` runs against a small HTTP server on
//! 127.0.0.1 inside the test.
//!
//! Snapshots live in `tests/it/snapshots/`; after an intended output change, review the
//! diff and re-record with `INSTA_UPDATE=always cargo test --test it cli`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hookspec::Verifier;

use crate::fixtures::*;

/// The binary with a clean, deterministic environment.
fn hookspec() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookspec"));
    for var in [
        "HOOKSPEC_SECRET",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("COLUMNS", "100")
        .env("LINES", "50")
        .env("NO_COLOR", "1");
    cmd
}

/// What one run of the binary printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The whole transcript, as snapshotted.
    fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args`, feeding `stdin` (empty when `None`).
fn exec_with(mut cmd: Command, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hookspec binary starts");
    let mut input = child.stdin.take().unwrap();
    // A command that fails on its arguments exits without reading its input.
    match input.write_all(stdin.unwrap_or_default()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing stdin: {e}"),
        _ => drop(input),
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

fn exec(args: &[&str]) -> Run {
    exec_with(hookspec(), args, None)
}

/// Runs with the body on standard input (`-`).
fn exec_stdin(args: &[&str], body: &[u8]) -> Run {
    exec_with(hookspec(), args, Some(body))
}

/// Asserts the exit code (with the transcript on failure) and returns the run.
#[track_caller]
fn expect_exit(run: Run, code: i32) -> Run {
    assert_eq!(run.code, code, "{}", run.transcript());
    run
}

/// Asserts no key material from `key` (its base64 part) appears in the output.
#[track_caller]
fn assert_no_key_material(run: &Run, key: &str) {
    let material = key.split_once('_').map_or(key, |(_, b64)| b64);
    // Any 8-character window of the key counts as a leak.
    let chars: Vec<char> = material.chars().collect();
    for window in chars.windows(8) {
        let piece: String = window.iter().collect();
        assert!(
            !run.stdout.contains(&piece) && !run.stderr.contains(&piece),
            "output leaks key material {piece:?}:\n{}",
            run.transcript()
        );
    }
}

const BAD_BASE64_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w";
const SHORT_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=";

// ---------------------------------------------------------------- sign

const SIGN_V1: &[&str] = &["sign", "--secret", K, "--id", I, "--timestamp", N_TEXT, "-"];

/// `sign KEY_ARGS --id I --timestamp N -` (the body on standard input).
fn sign_args<'a>(key_args: &[&'a str]) -> Vec<&'a str> {
    [
        &["sign"][..],
        key_args,
        &["--id", I, "--timestamp", N_TEXT, "-"],
    ]
    .concat()
}

/// `hookspec COMMAND --help` exits 0 and prints the snapshot `COMMAND_help`.
fn assert_help(command: &str) {
    let run = expect_exit(exec(&[command, "--help"]), 0);
    insta::assert_snapshot!(format!("{command}_help"), run.transcript());
}

#[test]
fn sign_v1() {
    let run = expect_exit(exec_stdin(SIGN_V1, B), 0);
    assert!(run.stdout.contains(V1_SIG));
    insta::assert_snapshot!("sign_v1", run.transcript());
}

#[test]
fn sign_v1a() {
    let args = sign_args(&["--signing-key", V5_WHSK]);
    let run = expect_exit(exec_stdin(&args, B), 0);
    assert!(run.stdout.contains(V5_SIG));
    assert_no_key_material(&run, V5_WHSK);
    insta::assert_snapshot!("sign_v1a", run.transcript());
}

#[test]
fn sign_with_both_keys_lists_both_entries() {
    let args = sign_args(&["--secret", K, "--signing-key", V5_WHSK]);
    let run = expect_exit(exec_stdin(&args, B), 0);
    assert!(
        run.stdout
            .contains(&format!("webhook-signature: {V1_SIG} {V5_SIG}\n"))
    );
    insta::assert_snapshot!("sign_v1_and_v1a", run.transcript());
}

#[test]
fn sign_body_from_file_and_empty_body() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(B).unwrap();
    let path = file.path().to_str().unwrap();
    let run = expect_exit(
        exec(&[
            "sign",
            "--secret",
            K,
            "--id",
            I,
            "--timestamp",
            N_TEXT,
            path,
        ]),
        0,
    );
    assert!(run.stdout.contains(V1_SIG), "{}", run.transcript());
    // No body argument: the empty body (C04's signature).
    let run = expect_exit(
        exec(&["sign", "--secret", K, "--id", I, "--timestamp", N_TEXT]),
        0,
    );
    assert!(
        run.stdout
            .contains("v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A=")
    );
}

#[test]
fn sign_defaults_to_a_fresh_id_and_now() {
    let run = expect_exit(exec_stdin(&["sign", "--secret", K, "-"], B), 0);
    let value = |name: &str| {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {}", run.stdout))
            .to_string()
    };
    let (id, ts, sig) = (
        value("webhook-id: "),
        value("webhook-timestamp: "),
        value("webhook-signature: "),
    );
    assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
    let hdrs = headers(id.as_bytes(), ts.as_bytes(), sig.as_bytes());
    // The printed headers verify now, against the real clock.
    verifier().verify(&hdrs, B).unwrap();
}

#[test]
fn sign_bad_arguments_exit_2() {
    let cases: &[(&str, &[&str])] = &[
        (
            "sign_malformed_secret",
            &["sign", "--secret", BAD_BASE64_SECRET],
        ),
        ("sign_short_secret", &["sign", "--secret", SHORT_SECRET]),
        (
            "sign_malformed_signing_key",
            &["sign", "--signing-key", "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723"],
        ),
        ("sign_no_key", &["sign", "--id", I]),
        ("sign_invalid_id", &["sign", "--secret", K, "--id", "msg.1"]),
        (
            "sign_timestamp_zero",
            &["sign", "--secret", K, "--timestamp", "0"],
        ),
        (
            "sign_missing_body_file",
            &["sign", "--secret", K, "/nonexistent/hookspec-body.json"],
        ),
    ];
    for (name, args) in cases {
        let run = expect_exit(exec(args), 2);
        assert!(run.stdout.is_empty(), "{name}: {}", run.transcript());
        for key in [
            BAD_BASE64_SECRET,
            SHORT_SECRET,
            "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723",
        ] {
            assert_no_key_material(&run, key);
        }
        insta::assert_snapshot!(*name, run.transcript());
    }
}

#[test]
fn sign_help() {
    assert_help("sign");
}

// ---------------------------------------------------------------- verify

/// `verify` of body `B` with the given extra arguments and headers, at `--now N`.
fn verify(extra: &[&str], hdrs: &[String]) -> Run {
    verify_at(N_TEXT, extra, hdrs)
}

/// `verify` of body `B` with the given extra arguments and headers, at `--now now`.
fn verify_at(now: &str, extra: &[&str], hdrs: &[String]) -> Run {
    let mut args = vec!["verify", "--now", now];
    args.extend_from_slice(extra);
    for h in hdrs {
        args.push("-H");
        args.push(h);
    }
    args.push("-");
    exec_stdin(&args, B)
}

/// The V1 headers as `-H` values, with the signature replaced.
fn v1_headers(sig: &str) -> Vec<String> {
    vec![
        format!("webhook-id: {I}"),
        format!("webhook-timestamp: {N_TEXT}"),
        format!("webhook-signature: {sig}"),
    ]
}

#[test]
fn verify_ok_v1() {
    let run = expect_exit(verify(&["--secret", K], &v1_headers(V1_SIG)), 0);
    assert!(run.stdout.starts_with("OK: "));
    assert_no_key_material(&run, K);
    insta::assert_snapshot!("verify_ok_v1", run.transcript());
}

#[test]
fn verify_ok_v1a() {
    let run = expect_exit(verify(&["--public-key", V5_WHPK], &v1_headers(V5_SIG)), 0);
    insta::assert_snapshot!("verify_ok_v1a", run.transcript());
}

#[test]
fn verify_ok_second_secret_and_trimmed_header_values() {
    // Rotation: the second trusted secret matches. Header values are trimmed as HTTP does.
    let hdrs = vec![
        format!("Webhook-Id: {I}"),
        format!("webhook-timestamp:\t {N_TEXT} "),
        format!("webhook-signature: v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {V1_SIG}"),
    ];
    let run = expect_exit(verify(&["--secret", V2_SECRET, "--secret", K], &hdrs), 0);
    insta::assert_snapshot!("verify_ok_rotation", run.transcript());
}

#[test]
fn verify_ok_svix_aliases_and_disabled() {
    let hdrs = vec![
        format!("svix-id: {I}"),
        format!("svix-timestamp: {N_TEXT}"),
        format!("svix-signature: {V1_SIG}"),
    ];
    let run = expect_exit(verify(&["--secret", K], &hdrs), 0);
    insta::assert_snapshot!("verify_ok_svix_aliases", run.transcript());
    let run = expect_exit(verify(&["--secret", K, "--no-svix-aliases"], &hdrs), 1);
    assert!(run.stdout.starts_with("FAILED missing_id: "));
}

#[test]
fn verify_rejections_exit_1() {
    let ts = |t: &str| {
        vec![
            format!("webhook-id: {I}"),
            format!("webhook-timestamp: {t}"),
            format!("webhook-signature: {V1_SIG}"),
        ]
    };
    let cases: Vec<(&str, &str, Vec<String>)> = vec![
        ("timestamp_too_old", "1614265631", v1_headers(V1_SIG)),
        ("timestamp_too_new", "1614265029", v1_headers(V1_SIG)),
        (
            "no_matching_signature",
            N_TEXT,
            v1_headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        ),
        (
            "no_supported_signature",
            N_TEXT,
            v1_headers(&format!("v2,{V1_B64} v1,")),
        ),
        ("missing_signature", N_TEXT, v1_headers("")),
        ("missing_id", N_TEXT, v1_headers(V1_SIG)[1..].to_vec()),
        ("invalid_id", N_TEXT, {
            let mut h = v1_headers(V1_SIG);
            h[0] = "webhook-id: msg.1".into();
            h
        }),
        ("missing_timestamp", N_TEXT, {
            let mut h = v1_headers(V1_SIG);
            h.remove(1);
            h
        }),
        ("invalid_timestamp", N_TEXT, ts("+1614265330")),
        ("conflicting_headers", N_TEXT, {
            let mut h = v1_headers(V1_SIG);
            h.push("webhook-id: msg_other".into());
            h
        }),
    ];
    for (code, now, hdrs) in cases {
        let run = expect_exit(verify_at(now, &["--secret", K], &hdrs), 1);
        assert!(
            run.stdout.starts_with(&format!("FAILED {code}: ")),
            "{code}: {}",
            run.transcript()
        );
        assert!(run.stderr.is_empty(), "{code}: {}", run.transcript());
        insta::assert_snapshot!(format!("verify_fail_{code}"), run.transcript());
    }
}

#[test]
fn verify_tampered_body_exit_1() {
    let mut args = vec!["verify", "--secret", K, "--now", N_TEXT];
    let hdrs = v1_headers(V1_SIG);
    for h in &hdrs {
        args.extend(["-H", h]);
    }
    args.push("-");
    let run = expect_exit(exec_stdin(&args, br#"{"test":2432232314}"#), 1);
    assert!(run.stdout.starts_with("FAILED no_matching_signature: "));
}

#[test]
fn verify_bad_arguments_exit_2() {
    let hdrs = v1_headers(V1_SIG);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "verify_malformed_secret",
            vec!["--secret", BAD_BASE64_SECRET],
        ),
        ("verify_short_secret", vec!["--secret", SHORT_SECRET]),
        ("verify_public_key_as_secret", vec!["--secret", V5_WHPK]),
        ("verify_secret_as_public_key", vec!["--public-key", K]),
        ("verify_no_key", vec![]),
        (
            "verify_bad_header_syntax",
            vec!["--secret", K, "-H", "webhook-id msg_1"],
        ),
        (
            "verify_bad_tolerance",
            vec!["--secret", K, "--tolerance", "soon"],
        ),
    ];
    for (name, extra) in cases {
        let run = expect_exit(verify(&extra, &hdrs), 2);
        assert!(run.stdout.is_empty(), "{name}: {}", run.transcript());
        for key in [BAD_BASE64_SECRET, SHORT_SECRET, K] {
            assert_no_key_material(&run, key);
        }
        insta::assert_snapshot!(name, run.transcript());
    }
}

#[test]
fn verify_malformed_secret_from_environment_is_not_echoed() {
    let mut cmd = hookspec();
    cmd.env("HOOKSPEC_SECRET", BAD_BASE64_SECRET);
    let mut args = vec!["verify", "--now", N_TEXT];
    let hdrs = v1_headers(V1_SIG);
    for h in &hdrs {
        args.extend(["-H", h]);
    }
    args.push("-");
    let run = expect_exit(exec_with(cmd, &args, Some(B)), 2);
    assert!(
        run.stderr.contains("[invalid_key_base64]"),
        "{}",
        run.transcript()
    );
    assert_no_key_material(&run, BAD_BASE64_SECRET);
}

#[test]
fn verify_help() {
    assert_help("verify");
}

// ---------------------------------------------------------------- send

/// One request as the test server received it.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

/// Serves one request per status in `statuses` on 127.0.0.1, then stops. Gives up after 60 s
/// without a connection, so a broken sender fails the test instead of hanging it.
fn serve(statuses: Vec<u16>) -> (String, JoinHandle<Vec<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let mut received = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for status in statuses {
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if Instant::now() > deadline {
                            return received;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("accept failed: {e}"),
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            received.push(answer(stream, status));
        }
        received
    });
    (url, handle)
}

/// Reads one HTTP/1.1 request and answers it with `status` and `connection: close`.
fn answer(stream: std::net::TcpStream, status: u16) -> Received {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("POST /hook HTTP/1.1"), "{line:?}");
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').unwrap();
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} Test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    stream.flush().unwrap();
    Received { headers, body }
}

/// `send URL --secret K --id ID EXTRA -` (the body on standard input).
fn send_args<'a>(url: &'a str, id: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [&["send", url, "--secret", K, "--id", id][..], extra, &["-"]].concat()
}

/// Redacts what changes between runs: port, latency, timestamps.
macro_rules! send_snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            (r"in \d+ ms", "in [LATENCY] ms"),
            (r"webhook-timestamp \d+", "webhook-timestamp [TS]"),
            (r"connection failed: [^\n]*? in ", "connection failed: [CAUSE] in "),
        ]}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[test]
fn send_retries_after_503_then_delivers() {
    let (url, server) = serve(vec![503, 200]);
    // A 1 s backoff guarantees the retry carries a later timestamp.
    let args = send_args(&url, "msg_send_1", &["--retries", "3", "--backoff", "1s"]);
    let run = expect_exit(exec_stdin(&args, B), 0);
    let received = server.join().unwrap();
    assert_eq!(received.len(), 2, "{}", run.transcript());

    let mut previous: Option<(u64, String)> = None;
    for request in &received {
        assert_eq!(request.header("webhook-id"), "msg_send_1");
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.body, B);
        let ts: u64 = request.header("webhook-timestamp").parse().unwrap();
        let sig = request.header("webhook-signature").to_string();
        // Each attempt is signed for its own timestamp.
        let ts_text = ts.to_string();
        let hdrs = headers(b"msg_send_1", ts_text.as_bytes(), sig.as_bytes());
        let ok = verifier().verify_at(&hdrs, B, ts).unwrap();
        assert_eq!(ok.id, "msg_send_1");
        assert!(run.stdout.contains(&format!("(webhook-timestamp {ts})")));
        if let Some((prev_ts, prev_sig)) = previous {
            assert!(ts > prev_ts, "retry reused timestamp {ts}");
            assert_ne!(sig, prev_sig, "a new timestamp needs a new signature");
        }
        previous = Some((ts, sig));
    }
    send_snapshot!("send_503_then_200", run.transcript());
}

#[test]
fn send_same_second_retry_keeps_signature_consistent() {
    // With a tiny backoff both attempts usually share a second; the signature must then be
    // identical, and different exactly when the timestamp differs.
    let (url, server) = serve(vec![500, 204]);
    let args = send_args(&url, "msg_send_2", &["--backoff", "10ms"]);
    let run = expect_exit(exec_stdin(&args, B), 0);
    let received = server.join().unwrap();
    assert_eq!(received.len(), 2, "{}", run.transcript());
    let (a, b) = (&received[0], &received[1]);
    assert_eq!(a.header("webhook-id"), b.header("webhook-id"));
    let same_ts = a.header("webhook-timestamp") == b.header("webhook-timestamp");
    let same_sig = a.header("webhook-signature") == b.header("webhook-signature");
    assert_eq!(same_ts, same_sig);
}

#[test]
fn send_gives_up_exit_1() {
    let (url, server) = serve(vec![503, 503]);
    let args = send_args(&url, "msg_send_3", &["--retries", "1", "--backoff", "10ms"]);
    let run = expect_exit(exec_stdin(&args, B), 1);
    assert_eq!(server.join().unwrap().len(), 2);
    send_snapshot!("send_gives_up", run.transcript());
}

#[test]
fn send_stops_on_410_exit_1() {
    let (url, server) = serve(vec![410]);
    let args = send_args(&url, "msg_send_4", &["--retries", "3", "--backoff", "10ms"]);
    let run = expect_exit(exec_stdin(&args, B), 1);
    assert_eq!(server.join().unwrap().len(), 1);
    send_snapshot!("send_410_gone", run.transcript());
}

#[test]
fn send_unreachable_exit_3() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let args = send_args(&url, "msg_send_5", &["--retries", "1", "--backoff", "10ms"]);
    let run = expect_exit(exec_stdin(&args, B), 3);
    send_snapshot!("send_unreachable", run.transcript());
}

#[test]
fn send_bad_arguments_exit_2() {
    let cases: &[(&str, &[&str])] = &[
        (
            "send_malformed_secret",
            &["send", "http://127.0.0.1:9/", "--secret", BAD_BASE64_SECRET],
        ),
        (
            "send_unsupported_scheme",
            &["send", "ftp://127.0.0.1/", "--secret", K],
        ),
        ("send_invalid_url", &["send", "not a url", "--secret", K]),
        ("send_no_key", &["send", "http://127.0.0.1:9/"]),
    ];
    for (name, args) in cases {
        let run = expect_exit(exec(args), 2);
        assert_no_key_material(&run, BAD_BASE64_SECRET);
        assert_no_key_material(&run, K);
        insta::assert_snapshot!(*name, run.transcript());
    }
}

#[test]
fn send_help() {
    assert_help("send");
}

// ---------------------------------------------------------------- keygen

#[test]
fn keygen_prints_usable_keys() {
    let run = expect_exit(exec(&["keygen"]), 0);
    let secret = hookspec::Secret::parse(run.stdout.trim()).unwrap();
    assert_eq!(secret.len(), hookspec::Secret::GENERATED_LEN);

    let run = expect_exit(exec_with(hookspec(), &["keygen", "--ed25519"], None), 0);
    let field = |prefix: &str| {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap()
            .trim()
            .to_string()
    };
    let key = hookspec::SigningKey::parse(&field("signing key:")).unwrap();
    let public = hookspec::PublicKey::parse(&field("public key:")).unwrap();
    assert_eq!(key.public_key(), public);
    let sig = hookspec::Signer::new()
        .with_signing_key(key)
        .sign(I, N, B)
        .unwrap();
    let hdrs = headers(I.as_bytes(), N_TEXT.as_bytes(), sig.as_bytes());
    Verifier::new()
        .with_public_key(public)
        .verify_at(&hdrs, B, N)
        .unwrap();
}

#[test]
fn completions_are_printed_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_hookspec()"),
        ("zsh", "#compdef hookspec"),
        ("fish", "complete -c hookspec"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[hookspec]"),
    ] {
        let out = hookspec().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell} script lacks {marker:?}");
        // Every subcommand and a flag deep in one are completed.
        for word in ["check", "listen", "vectors", "observe"] {
            assert!(text.contains(word), "{shell} script lacks {word}");
        }
    }
    let out = hookspec().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_page_covers_every_subcommand() {
    let out = hookspec().arg("man").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let roff = String::from_utf8(out.stdout).unwrap();
    assert!(roff.contains(".TH hookspec 1"), "{}", &roff[..200]);
    for sub in [
        "sign", "verify", "send", "listen", "keygen", "check", "vectors", "serve",
    ] {
        assert!(
            roff.contains(&format!(".TH hookspec-{sub} 1")),
            "no page for {sub}"
        );
    }
    assert!(roff.contains("observe"), "flags are documented");
}

#[test]
fn timeouts_too_short_to_wait_for_an_answer_are_usage_errors() {
    for args in [
        &["check", "--timeout", "1ns"][..],
        &["check", "--timeout", "0"],
        &["check", "--scheme", "jwt", "--jwks-refetch-wait", "0s"],
        &["vectors", "check", "--builtin", "--timeout", "1ms"],
        &[
            "send",
            "http://127.0.0.1:9/",
            "--secret",
            K,
            "--timeout",
            "0",
        ],
        &[
            "send",
            "http://127.0.0.1:9/",
            "--secret",
            K,
            "--timeout",
            "1ns",
        ],
    ] {
        let out = hookspec().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("give at least 100ms"), "{args:?}: {stderr}");
    }
    // The floor itself is accepted.
    let out = hookspec()
        .args(["check", "--timeout", "100ms", "--cases", "headers/valid"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_selection_that_leaves_no_case_is_a_usage_error() {
    for args in [
        &["check", "--skip", "*"][..],
        &["check", "--cases", "signature", "--skip", "signature/*"],
        &["check", "--skip", "*", "--list"],
    ] {
        let out = hookspec().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "hookspec: error: --cases and --skip leave no case to run (see hookspec check --list)\n",
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
}
