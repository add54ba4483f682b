//! The observer (effect oracle): a JSON object mapping each `webhook-id` the endpoint acted
//! on to the number of times it did, e.g. `{"msg_1": 1}`. Read with `GET <observe URL>`
//! (`--observe`), or printed by a shell command (`--observe-cmd`) for endpoints that cannot
//! grow an HTTP route: a SQL query, a log grep.
//!
//! A command runs with `sh -c`, in its own process group, with no standard input and without
//! `HOOKSPEC_SECRET` in its environment. It is bounded: it must finish within the run's
//! per-request timeout and print at most [`MAX_BODY`] bytes, or its whole process group is
//! killed. A command that fails is an error quoting the end of its standard error (at most
//! [`STDERR_QUOTE`] characters, control characters escaped, the run's keys replaced by
//! `whsec_…` / `whsk_…`); the command line itself is never printed, since it may hold a
//! database password.
//!
//! Memory is bounded by the document's size limit, not by the number of ids it lists: a
//! read keeps one buffer of at most [`MAX_BODY`] + 1 bytes (a larger document is an error,
//! "observer answer larger than 32 MiB"), and [`parse_counts`] walks it in place, keeping
//! only the counts of the ids the run sent. A `check` run with a 32 MiB observer document
//! peaks near 32 MiB above its usual footprint (see docs/src/evidence.md).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::CheckError;
use super::http::Target;

/// The largest observer document read (a long-lived endpoint may list many ids).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// How much of a failing command's standard error is quoted, in characters (the end of it,
/// where the cause usually is).
pub const STDERR_QUOTE: usize = 300;
/// How much of a command's standard error is kept while it runs, in bytes (the end of it).
const STDERR_KEEP: usize = 64 * 1024;
/// The environment variables a command does not inherit: hookspec's own secrets.
const WITHHELD_ENV: [&str; 1] = ["HOOKSPEC_SECRET"];

/// Where the counts come from.
#[derive(Debug, Clone)]
enum Source {
    /// `GET` on this URL.
    Http(Target),
    /// The standard output of this shell command.
    Command(String),
}

/// A client for one observer: a URL or a command.
#[derive(Debug, Clone)]
pub struct Observer {
    source: Source,
    timeout: Duration,
    /// Texts never quoted from a command's error output, each with what replaces it.
    redact: Vec<(String, &'static str)>,
}

impl Observer {
    /// An observer at `url`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, CheckError> {
        Self::new_with(url, timeout, &crate::transport::Transport::default())
    }

    /// An observer at `url`, reached through `transport` like the endpoint.
    pub fn new_with(
        url: &str,
        timeout: Duration,
        transport: &crate::transport::Transport,
    ) -> Result<Self, CheckError> {
        Ok(Self {
            source: Source::Http(Target::parse_with(url, transport)?),
            timeout,
            redact: Vec::new(),
        })
    }

    /// An observer whose document `command` prints (run with `sh -c` for each read, at
    /// most `timeout` each).
    pub fn command(command: impl Into<String>, timeout: Duration) -> Self {
        Self {
            source: Source::Command(command.into()),
            timeout,
            redact: Vec::new(),
        }
    }

    /// Never quotes these keys from a command's error output (the run's secrets and
    /// signing key).
    pub fn redacting(mut self, keys: &crate::cases::Keys) -> Self {
        let mut whole: Vec<(String, &'static str)> = Vec::new();
        for secret in keys.secrets.iter().chain(&keys.revoked) {
            whole.push((secret.to_whsec(), "whsec_…"));
        }
        if let Some(key) = &keys.signing_key {
            whole.push((key.to_whsk(), "whsk_…"));
        }
        // The prefixed forms first, so they are replaced whole; then the bare base64.
        let bare: Vec<(String, &'static str)> = whole
            .iter()
            .filter_map(|(text, _)| text.split_once('_').map(|(_, b)| (b.to_string(), "…")))
            .collect();
        whole.extend(bare);
        self.redact = whole;
        self
    }

    /// What the observer is, for messages: the URL without credentials, or
    /// `command (--observe-cmd)` (never the command line).
    pub fn display(&self) -> String {
        match &self.source {
            Source::Http(target) => target.display(),
            Source::Command(_) => "command (--observe-cmd)".to_string(),
        }
    }

    /// The current effect counts of the ids `wanted` accepts (the whole document is read
    /// and checked; see [`parse_counts`]).
    ///
    /// Memory: one buffer of at most [`MAX_BODY`] + 1 bytes for the document, read once,
    /// plus the returned map; nothing grows with the number of ids the document lists.
    pub async fn counts(
        &self,
        wanted: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<BTreeMap<String, u64>, String> {
        match &self.source {
            Source::Http(target) => {
                // One byte over the limit tells a document that is too large from one
                // that is exactly at it.
                let response = target.get(self.timeout, MAX_BODY + 1).await?;
                if !(200..300).contains(&response.status) {
                    return Err(format!("GET answered status {}", response.status));
                }
                if response.body.len() > MAX_BODY {
                    return Err(too_large("its answer was cut there"));
                }
                parse_counts(&response.body, wanted)
            }
            Source::Command(command) => {
                let (command, timeout, redact) =
                    (command.clone(), self.timeout, self.redact.clone());
                let output =
                    tokio::task::spawn_blocking(move || run_command(&command, timeout, &redact))
                        .await
                        .map_err(|e| format!("the command could not be run: {e}"))??;
                parse_counts(&output, wanted).map_err(|why| format!("its output is {why}"))
            }
        }
    }
}

/// The error for a document over [`MAX_BODY`], with what was done about it.
fn too_large(then: &str) -> String {
    format!(
        "observer answer larger than {} MiB; {then} (an observer may list only the ids hookspec sent, or the recent ones)",
        MAX_BODY / (1024 * 1024)
    )
}

/// Runs `command` with `sh -c` and returns its standard output, or why it failed (see the
/// module documentation).
fn run_command(
    command: &str,
    timeout: Duration,
    redact: &[(String, &'static str)],
) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + timeout;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in WITHHELD_ENV {
        cmd.env_remove(name);
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("the command could not be started (`sh -c`): {e}"))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        stop(&mut child);
        return Err("the command could not be started: no pipes to it".to_string());
    };
    let (out_tx, out_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let read = stdout.take(MAX_BODY as u64 + 1).read_to_end(&mut kept);
        let _ = out_tx.send(read.map(|_| kept));
    });
    let (err_tx, err_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = err_tx.send(read_tail(stderr, STDERR_KEEP));
    });
    let timed_out = |child: &mut Child| {
        stop(child);
        format!(
            "the command did not finish within {timeout:?}; it was stopped (raise --timeout if it is slow)"
        )
    };
    // Standard output first: it ends when the command and everything it started have
    // closed it, or when the command printed too much.
    let left = deadline.saturating_duration_since(Instant::now());
    let output = match out_rx.recv_timeout(left) {
        Ok(Ok(output)) if output.len() > MAX_BODY => {
            stop(&mut child);
            return Err(too_large("the command printed more, and was stopped"));
        }
        Ok(Ok(output)) => output,
        Ok(Err(e)) => {
            stop(&mut child);
            return Err(format!("its output could not be read: {e}"));
        }
        Err(_) => return Err(timed_out(&mut child)),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => return Err(timed_out(&mut child)),
            Err(e) => {
                stop(&mut child);
                return Err(format!("the command could not be waited for: {e}"));
            }
        }
    };
    if status.success() {
        return Ok(output);
    }
    // Its standard error is complete once everything holding it has exited; a moment is
    // enough for that after the command itself has.
    let errors = err_rx
        .recv_timeout(Duration::from_millis(500))
        .unwrap_or_default();
    Err(failed(status, &errors, redact))
}

/// Why a command that exited with `status` failed, quoting the end of its standard error.
fn failed(status: ExitStatus, stderr: &[u8], redact: &[(String, &'static str)]) -> String {
    let mut text = String::from_utf8_lossy(stderr).into_owned();
    for (secret, by) in redact {
        if !secret.is_empty() {
            text = text.replace(secret.as_str(), by);
        }
    }
    let text = text.trim();
    let what = match status.code() {
        Some(code) => format!("the command exited with status {code}"),
        None => format!("the command was ended ({status})"),
    };
    if text.is_empty() {
        return format!("{what} and wrote nothing to standard error");
    }
    let chars = text.chars().count();
    let quoted: String = if chars > STDERR_QUOTE {
        let tail: String = text.chars().skip(chars - STDERR_QUOTE).collect();
        format!("…{tail}")
    } else {
        text.to_string()
    };
    // Debug formatting quotes the text and escapes control characters (and `"`, `\`).
    format!("{what}; its standard error ends: {quoted:?}")
}

/// Reads `reader` to its end, keeping the last `keep` bytes.
fn read_tail(mut reader: impl std::io::Read, keep: usize) -> Vec<u8> {
    let mut tail = std::collections::VecDeque::with_capacity(keep.min(8192));
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend(&buf[..n]);
                let excess = tail.len().saturating_sub(keep);
                tail.drain(..excess);
            }
        }
    }
    tail.into_iter().collect()
}

/// Kills the command and every process in its group, and reaps it. The command leads its
/// own group and is not yet reaped, so the group id is still its own.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        // `kill` is used to stay free of unsafe code (as for the vector adapters).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Parses an observer document, a JSON object whose values are non-negative integers, and
/// returns the counts of the ids `wanted` accepts (every entry is still checked).
///
/// The document is parsed in place, in one pass, without building a tree: an id is
/// compared where it lies in `body` (or in one reused scratch buffer when it has escapes)
/// and copied only when `wanted` accepts it. The memory used besides `body` is the returned
/// map plus two buffers the size of the longest id, whatever the number of entries.
pub fn parse_counts(
    body: &[u8],
    wanted: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, u64>, String> {
    const EXPECTED: &str = "expected {\"<webhook-id>\": <count>, …}";
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        // Not an object: say whether it is JSON at all (a check that stores nothing).
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => format!("not a JSON object; {EXPECTED}"),
                Err(e) => format!("not JSON ({e}); {EXPECTED}"),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut bad_count = None;
    let counts = serde::Deserializer::deserialize_map(
        &mut deserializer,
        CountsVisitor {
            wanted,
            bad_count: &mut bad_count,
        },
    )
    .and_then(|counts| deserializer.end().map(|()| counts));
    counts.map_err(|e| match bad_count {
        Some(why) => why,
        None => format!("not JSON ({e}); {EXPECTED}"),
    })
}

/// Reads the entries of an observer document one by one (see [`parse_counts`]).
struct CountsVisitor<'w> {
    wanted: &'w dyn Fn(&str) -> bool,
    /// Why a count was refused, in the words of the observer contract.
    bad_count: &'w mut Option<String>,
}

impl<'de> serde::de::Visitor<'de> for CountsVisitor<'_> {
    type Value = BTreeMap<String, u64>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object of counts")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut counts = BTreeMap::new();
        // The current id, kept for messages; its allocation is reused from entry to entry.
        let mut id = String::new();
        while let Some(keep) = map.next_key_seed(IdSeed {
            wanted: self.wanted,
            id: &mut id,
        })? {
            let count = map.next_value_seed(CountSeed {
                id: &id,
                bad_count: &mut *self.bad_count,
            })?;
            if keep {
                counts.insert(id.clone(), count);
            }
        }
        Ok(counts)
    }
}

/// Reads one id into a reused buffer and says whether it is wanted.
struct IdSeed<'a> {
    wanted: &'a dyn Fn(&str) -> bool,
    id: &'a mut String,
}

impl<'de> serde::de::DeserializeSeed<'de> for IdSeed<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for IdSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a webhook-id")
    }

    fn visit_str<E: serde::de::Error>(self, id: &str) -> Result<bool, E> {
        self.id.clear();
        self.id.push_str(id);
        Ok((self.wanted)(id))
    }
}

/// Reads one count: a non-negative integer, or an error in the contract's words.
struct CountSeed<'a> {
    id: &'a str,
    bad_count: &'a mut Option<String>,
}

impl CountSeed<'_> {
    fn refuse<E: serde::de::Error>(self, count: impl std::fmt::Display) -> Result<u64, E> {
        let why = format!(
            "the count for {:?} is {count}, not a non-negative integer",
            self.id
        );
        *self.bad_count = Some(why.clone());
        Err(E::custom(why))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for CountSeed<'_> {
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CountSeed<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a non-negative integer")
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
        Ok(n)
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
        u64::try_from(n).or_else(|_| self.refuse(n))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<u64, E> {
        self.refuse(n)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<u64, E> {
        self.refuse(format_args!("{text:?}"))
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<u64, E> {
        self.refuse(b)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<u64, E> {
        self.refuse("null")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<u64, A::Error> {
        self.refuse("an array")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<u64, A::Error> {
        self.refuse("an object")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        let all = |_: &str| true;
        let m = parse_counts(br#"{"msg_1": 1, "msg_2": 3}"#, &all).unwrap();
        assert_eq!(m["msg_2"], 3);
        assert!(parse_counts(b" {} ", &all).unwrap().is_empty());
        let bad = |doc: &[u8]| parse_counts(doc, &all).unwrap_err();
        assert!(
            bad(b"[]").starts_with("not a JSON object;"),
            "{}",
            bad(b"[]")
        );
        assert!(
            bad(b"<html>").starts_with("not JSON ("),
            "{}",
            bad(b"<html>")
        );
        assert!(
            bad(br#"{"a": 1"#).starts_with("not JSON (EOF"),
            "{}",
            bad(br#"{"a": 1"#)
        );
        assert!(bad(br#"{"a": 1} x"#).starts_with("not JSON (trailing"));
        for (doc, shown) in [
            (&br#"{"a": -1}"#[..], "-1"),
            (br#"{"a": "1"}"#, r#""1""#),
            (br#"{"a": 1.5}"#, "1.5"),
            (br#"{"a": null}"#, "null"),
            (br#"{"a": [1]}"#, "an array"),
            (br#"{"a": {"b": 1}}"#, "an object"),
        ] {
            assert_eq!(
                bad(doc),
                format!("the count for \"a\" is {shown}, not a non-negative integer")
            );
        }
    }

    #[test]
    fn only_wanted_ids_are_kept_and_every_count_is_checked() {
        let doc = br#"{"msg_1": 1, "other": 7, "m\u0073g_2": 2, "msg_1": 4}"#;
        let m = parse_counts(doc, &|id: &str| id.starts_with("msg_")).unwrap();
        // Escapes are decoded before the id is compared; a repeated id keeps its last count.
        assert_eq!(
            m,
            BTreeMap::from([("msg_1".into(), 4), ("msg_2".into(), 2)])
        );
        assert!(parse_counts(doc, &|_: &str| false).unwrap().is_empty());
        let e = parse_counts(br#"{"msg_1": 1, "other": -7}"#, &|_: &str| false).unwrap_err();
        assert!(e.contains(r#""other" is -7"#), "{e}");
    }
}

#[cfg(test)]
mod command_tests {
    use super::*;

    const T: Duration = Duration::from_secs(20);

    #[test]
    fn prints_the_document() {
        let out = run_command(r#"printf '{"msg_1": 2}'"#, T, &[]).unwrap();
        assert_eq!(parse_counts(&out, &|_| true).unwrap()["msg_1"], 2);
    }

    #[test]
    fn a_failing_command_is_quoted_escaped_and_cut() {
        let e =
            run_command("echo 'relation \"x\" does not exist' >&2; exit 3", T, &[]).unwrap_err();
        assert_eq!(
            e,
            r#"the command exited with status 3; its standard error ends: "relation \"x\" does not exist""#
        );
        let e = run_command(r"printf 'a\033[31mb\tc\nd' >&2; exit 1", T, &[]).unwrap_err();
        assert!(e.ends_with(r#""a\u{1b}[31mb\tc\nd""#), "{e}");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        let e = run_command(
            "head -c 5000 /dev/zero | tr '\\0' x >&2; echo END >&2; exit 1",
            T,
            &[],
        )
        .unwrap_err();
        let quoted = e.split_once("ends: ").unwrap().1;
        assert!(
            quoted.starts_with("\"…x") && quoted.ends_with("xEND\""),
            "{e}"
        );
        // `"…`, the last STDERR_QUOTE characters, `"`.
        assert_eq!(quoted.chars().count(), STDERR_QUOTE + 3, "{e}");
        assert_eq!(
            run_command("exit 4", T, &[]).unwrap_err(),
            "the command exited with status 4 and wrote nothing to standard error"
        );
    }

    #[test]
    fn the_runs_keys_are_never_quoted() {
        let secret = hookspec::Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let keys = crate::cases::Keys {
            secrets: vec![secret],
            revoked: None,
            signing_key: None,
            key_set: None,
        };
        let observer = Observer::command("unused", T).redacting(&keys);
        let e = run_command(
            "echo 'bad key whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw or MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' >&2; exit 1",
            T,
            &observer.redact,
        )
        .unwrap_err();
        assert!(e.ends_with(r#""bad key whsec_… or …""#), "{e}");
        assert!(!e.contains("MfKQ"), "{e}");
    }

    #[test]
    fn a_command_that_hangs_is_stopped_at_the_timeout() {
        // The background sleep keeps standard output open after the shell has printed.
        let e = run_command("sleep 30 & echo '{}'", Duration::from_millis(300), &[]).unwrap_err();
        assert!(
            e.starts_with("the command did not finish within 300ms"),
            "{e}"
        );
        let e = run_command("sleep 30", Duration::from_millis(300), &[]).unwrap_err();
        assert!(
            e.starts_with("the command did not finish within 300ms"),
            "{e}"
        );
    }

    #[test]
    fn a_command_that_prints_too_much_is_stopped() {
        let e = run_command("yes '{}'", T, &[]).unwrap_err();
        assert!(
            e.starts_with(
                "observer answer larger than 32 MiB; the command printed more, and was stopped"
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn counts_come_from_the_command_or_say_why_not() {
        let ok = Observer::command(r#"echo '{"a": 1, "b": 0}'"#, T);
        assert_eq!(ok.counts(&|_| true).await.unwrap().len(), 2);
        assert_eq!(ok.counts(&|id| id == "b").await.unwrap().len(), 1);
        assert_eq!(ok.display(), "command (--observe-cmd)");
        let bad = Observer::command("echo 'id,count'", T);
        let why = bad.counts(&|_| true).await.unwrap_err();
        assert!(why.starts_with("its output is not JSON"), "{why}");
    }
}
