//! Running an adapter process: one long-lived child speaking the line protocol, with a
//! deadline on every answer.
//!
//! The child's standard input is fed by a writer thread and its standard output read by a
//! reader thread, so a child that stops reading (a full pipe) or stops writing can never block
//! hookspec: the deadline expires, the child's whole process group is killed, and the error
//! names the vector. Lines longer than [`MAX_LINE`] are refused rather than buffered.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{Request, Response};

/// The longest response line accepted, in bytes.
pub const MAX_LINE: usize = 64 * 1024;
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
    /// The answer is not a protocol response.
    #[error("the adapter answered {vector} with a line that is not a response ({reason}): {line}")]
    Garbage {
        /// `v1 #42`.
        vector: String,
        /// Why it is not one.
        reason: String,
        /// The start of the line.
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
            Self::Garbage { .. } => "adapter_garbage",
        }
    }
}

/// A running adapter.
pub struct AdapterProcess {
    command: String,
    child: Child,
    to_child: Option<Sender<String>>,
    from_child: Receiver<Result<String, String>>,
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
        let (line_tx, from_child) = mpsc::channel();
        thread::spawn(move || read_lines(stdout, line_tx));
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
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from_child.recv_timeout(left) {
                Ok(Ok(line)) if line.trim().is_empty() => continue,
                Ok(Ok(line)) => return parse_response(&vector, request.tc_id, &line),
                Ok(Err(reason)) => {
                    return Err(AdapterError::Garbage {
                        vector,
                        reason,
                        line: String::new(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.stop();
                    return Err(AdapterError::Timeout {
                        vector,
                        timeout: self.timeout,
                        stderr: self.stderr_tail(),
                    });
                }
                Err(RecvTimeoutError::Disconnected) => return Err(self.exited(vector)),
            }
        }
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
        let last = text.trim().lines().last().unwrap_or("").trim().to_string();
        if last.is_empty() {
            String::new()
        } else {
            format!("; its last error output: {last}")
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
        line: line.chars().take(120).collect(),
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

fn read_lines(stdout: std::process::ChildStdout, tx: Sender<Result<String, String>>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut buf = Vec::new();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE {
                    let _ = tx.send(Err(format!("a line longer than {MAX_LINE} bytes")));
                    return;
                }
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if tx.send(Ok(line)).is_err() {
                    return;
                }
            }
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
