//! The `hookspec` binary run as a server: spawned with its output piped, its URL read from the
//! first line it prints, stopped with SIGINT.

use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// The stream on which a command prints the line that names its URL.
#[derive(Debug, Clone, Copy)]
pub enum Announces {
    /// Standard output (`hookspec serve`).
    OnStdout,
    /// Standard error (`hookspec listen`).
    OnStderr,
}

/// A spawned server and what it announced.
pub struct Serving {
    /// The running process.
    pub child: Child,
    /// The first `http://` word of the first line.
    pub url: String,
    /// The first line, as printed.
    pub first_line: String,
    /// The rest of the stream the line came from (dropping it closes the pipe).
    pub rest: BufReader<Box<dyn Read + Send>>,
}

/// Spawns `command` with standard output and error piped and reads the first line of the
/// stream `announces` names, which must hold the URL the command serves at.
pub fn spawn_serving(command: &mut Command, announces: Announces) -> Serving {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stream: Box<dyn Read + Send> = match announces {
        Announces::OnStdout => Box::new(child.stdout.take().unwrap()),
        Announces::OnStderr => Box::new(child.stderr.take().unwrap()),
    };
    let mut rest = BufReader::new(stream);
    let mut first_line = String::new();
    rest.read_line(&mut first_line).unwrap();
    let url = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first_line:?}"))
        .to_owned();
    Serving {
        child,
        url,
        first_line,
        rest,
    }
}

/// Interrupts `child` (SIGINT), waits for it, asserts it exited 0, and returns its standard
/// error.
pub fn interrupt(child: Child) -> String {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8_lossy(&output.stderr).into_owned()
}
