//! Running an adapter process: one long-lived child speaking the line protocol, with a
//! deadline on every answer.
//!
//! The child's standard input is fed by a writer thread and its standard output read by a
//! reader thread, so a child that stops reading (a full pipe) or stops writing can never block
//! hookspec: the deadline expires, the child's whole process group is killed, and the error
//! names the vector.
//!
//! Memory is bounded whatever the adapter prints. The reader takes at most [`MAX_LINE`] bytes
//! for one answer, counting the blank lines before it, through an 8 KiB buffer, and hands the
//! line over a rendezvous channel: it never reads ahead of the answer being waited for. So
//! the reader holds at most 264 KiB of the adapter's output: its 64 KiB line buffer, the 8 KiB
//! read buffer and the one line it hands over (64 KiB of bytes, up to 192 KiB as text when
//! they are not UTF-8 and each invalid byte becomes U+FFFD), plus the 2 KiB tail of standard
//! error. An adapter that prints more than [`MAX_LINE`] bytes without completing an answer
//! (an endless line, a flood of blank lines) is stopped with [`AdapterError::TooLong`]. The
//! deadline covers the whole wait for one answer: bytes that keep arriving do not extend it.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{Request, Response};
use crate::delivery::preview;

/// The most bytes read from the adapter for one answer: the answer line, its line end and any
/// blank lines before it.
pub const MAX_LINE: usize = 64 * 1024;
/// The capacity of the buffer the adapter's output is read through, in bytes.
const READ_BUFFER: usize = 8 * 1024;
/// How much of an adapter's text (an answer line, its last error output) a message shows, in
/// characters, escaped: as much as `check` shows of an endpoint's body.
const SHOWN_CHARS: usize = 80;
/// How much of the adapter's standard error is kept for error messages, in bytes.
const STDERR_TAIL: usize = 2048;

/// Why an adapter could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The command could not be started.
    #[error("cannot start the adapter `{command}`: {reason}")]
    Spawn {
        /// The command line.
        command: String,
        /// The operating system's reason.
        reason: String,
    },
    /// No answer within the deadline.
    #[error("the adapter did not answer {vector} within {timeout:?}; it was stopped{stderr}")]
    Timeout {
        /// `v1 #42`.
        vector: String,
        /// The deadline.
        timeout: Duration,
        /// The tail of its standard error, formatted for the message.
        stderr: String,
    },
    /// The adapter exited (or closed its output) before answering.
    #[error("the adapter exited before answering {vector} ({status}){stderr}")]
    Exited {
        /// `v1 #42`.
        vector: String,
        /// The exit status, as text.
        status: String,
        /// The tail of its standard error.
        stderr: String,
    },
    /// The adapter printed more than [`MAX_LINE`] bytes without completing an answer line (an
    /// endless line, or a flood of blank lines); it was stopped.
    #[error(
        "the adapter printed more than {limit} bytes without answering {vector} (an endless line or blank lines); it was stopped"
    )]
    TooLong {
        /// `v1 #42`.
        vector: String,
        /// The budget, [`MAX_LINE`].
        limit: usize,
    },
    /// The answer is not a protocol response.
    #[error("the adapter answered {vector} with a line that is not a response ({reason}): {line}")]
    Garbage {
        /// `v1 #42`.
        vector: String,
        /// Why it is not one.
        reason: String,
        /// The start of the line, quoted and escaped.
        line: String,
    },
}

impl AdapterError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Spawn { .. } => "adapter_spawn",
            Self::Timeout { .. } => "adapter_timeout",
            Self::Exited { .. } => "adapter_exited",
            Self::TooLong { .. } => "adapter_too_long",
            Self::Garbage { .. } => "adapter_garbage",
        }
    }
}

/// A running adapter.
pub struct AdapterProcess {
    command: String,
    child: Child,
    to_child: Option<Sender<String>>,
    from_child: Receiver<Result<String, TooLong>>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
    timeout: Duration,
}

impl AdapterProcess {
    /// Starts `command` with `sh -c`, in its own process group.
    pub fn spawn(command: &str, timeout: Duration) -> Result<Self, AdapterError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|e| AdapterError::Spawn {
            command: command.to_string(),
            reason: e.to_string(),
        })?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(AdapterError::Spawn {
                        command: command.to_string(),
                        reason: "no pipes to the child".to_string(),
                    });
                }
            };
        let to_child = spawn_writer(stdin);
        // A rendezvous channel: the reader hands over one answer when it is asked for, and
        // never reads ahead of it.
        let (line_tx, from_child) = mpsc::sync_channel(0);
        thread::spawn(move || read_answers(stdout, &line_tx));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail_writer = Arc::clone(&tail);
        let stderr_reader = thread::spawn(move || keep_tail(stderr, tail_writer));
        Ok(Self {
            command: command.to_string(),
            child,
            to_child: Some(to_child),
            from_child,
            stderr: tail,
            stderr_reader: Some(stderr_reader),
            timeout,
        })
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends one request and waits for its answer, at most the timeout.
    pub fn ask(&mut self, request: &Request) -> Result<Response, AdapterError> {
        let vector = format!("{} #{}", request.scheme, request.tc_id);
        let line = serde_json::to_string(request).expect("requests serialize");
        let sent = self
            .to_child
            .as_ref()
            .is_some_and(|tx| tx.send(line).is_ok());
        if !sent {
            return Err(self.exited(vector));
        }
        // One receive per answer: the reader skips blank lines itself, so the deadline holds
        // however many bytes arrive.
        let result = match self.from_child.recv_timeout(self.timeout) {
            Ok(Ok(line)) => parse_response(&vector, request.tc_id, &line),
            Ok(Err(TooLong)) => Err(AdapterError::TooLong {
                vector,
                limit: MAX_LINE,
            }),
            Err(RecvTimeoutError::Timeout) => Err(AdapterError::Timeout {
                vector,
                timeout: self.timeout,
                stderr: self.stderr_tail(),
            }),
            Err(RecvTimeoutError::Disconnected) => return Err(self.exited(vector)),
        };
        if result.is_err() {
            // The run ends here: stop the adapter now, not when it is dropped.
            self.stop();
        }
        result
    }

    fn exited(&mut self, vector: String) -> AdapterError {
        let status = wait_briefly(&mut self.child).map_or_else(
            || "still running, output closed".to_string(),
            |s| s.to_string(),
        );
        self.stop();
        self.drain_stderr();
        AdapterError::Exited {
            vector,
            status,
            stderr: self.stderr_tail(),
        }
    }

    /// Once the adapter is gone, lets the stderr reader reach end of file (at most 1 s), so
    /// the last words of an adapter that died are in the message, not racing with it.
    fn drain_stderr(&mut self) {
        let Some(reader) = self.stderr_reader.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        while !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }

    fn stderr_tail(&self) -> String {
        let tail = self
            .stderr
            .lock()
            .map(|t| t.iter().copied().collect::<Vec<u8>>())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&tail);
        let last = text.trim().lines().last().unwrap_or("").trim();
        if last.is_empty() {
            String::new()
        } else {
            format!(
                "; its last error output: {}",
                preview(last.as_bytes(), SHOWN_CHARS)
            )
        }
    }

    /// Closes the adapter's input, gives it a moment to exit, then kills its process group.
    pub fn finish(mut self) {
        self.to_child = None;
        if wait_briefly(&mut self.child).is_none() {
            self.stop();
        }
    }

    /// Kills the adapter and every process in its group.
    fn stop(&mut self) {
        self.to_child = None;
        #[cfg(unix)]
        {
            // The child leads its own process group (see `spawn`), so this also ends
            // anything a shell pipeline started. `kill` is used to stay free of unsafe code.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AdapterProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

fn wait_briefly(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => return None,
        }
    }
}

#[doc(hidden)] // for the fuzz oracles in hookspec-testkit
pub fn parse_response(vector: &str, tc_id: u32, line: &str) -> Result<Response, AdapterError> {
    let garbage = |reason: String| AdapterError::Garbage {
        vector: vector.to_string(),
        reason,
        line: preview(line.as_bytes(), SHOWN_CHARS),
    };
    // A JSON object only: serde's derived `Deserialize` would also take the members as an
    // array (`[1,true]`), which no adapter means as a response.
    if !line
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with('{')
    {
        return Err(garbage("not a JSON object".to_string()));
    }
    let response: Response = serde_json::from_str(line).map_err(|e| garbage(e.to_string()))?;
    if response.tc_id != tc_id {
        return Err(garbage(format!(
            "tcId {} instead of {tc_id}",
            response.tc_id
        )));
    }
    Ok(response)
}

fn spawn_writer(mut stdin: ChildStdin) -> Sender<String> {
    let (tx, rx) = mpsc::channel::<String>();
    thread::spawn(move || {
        for line in rx {
            if stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| stdin.flush())
                .is_err()
            {
                return;
            }
        }
    });
    tx
}

/// The reader's signal that the adapter exceeded [`MAX_LINE`] for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TooLong;

/// Reads the adapter's answers, one line at a time, and hands each over when asked (`tx` is
/// a rendezvous channel). Blank lines are skipped, their bytes counted with the answer line
/// against [`MAX_LINE`]; past it the reader reports [`TooLong`] and stops reading. It holds
/// `MAX_LINE + READ_BUFFER` bytes of buffers (allocated once), plus the line being handed over.
fn read_answers(stdout: std::process::ChildStdout, tx: &SyncSender<Result<String, TooLong>>) {
    let mut reader = BufReader::with_capacity(READ_BUFFER, stdout);
    // Never grown: a read takes at most the bytes left of the budget.
    let mut line = Vec::with_capacity(MAX_LINE);
    // Bytes taken for the answer being read: the blank lines before it and its own.
    let mut taken = 0;
    loop {
        if taken >= MAX_LINE {
            let _ = tx.send(Err(TooLong));
            return;
        }
        line.clear();
        let budget = (MAX_LINE - taken) as u64;
        let n = match (&mut reader).take(budget).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        taken += n;
        let ended = line.last() == Some(&b'\n');
        if !ended && taken == MAX_LINE {
            continue; // The budget is spent: reported above.
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            if ended {
                continue;
            }
            return; // Blank text, then the end of the output.
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        taken = 0;
        if tx.send(Ok(text)).is_err() {
            return;
        }
    }
}

fn keep_tail(mut stderr: std::process::ChildStderr, tail: Arc<Mutex<VecDeque<u8>>>) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stderr.read(&mut buf) {
        if n == 0 {
            return;
        }
        if let Ok(mut t) = tail.lock() {
            t.extend(&buf[..n]);
            while t.len() > STDERR_TAIL {
                t.pop_front();
            }
        }
    }
}
