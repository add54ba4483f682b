//! One log record per delivery: id, outcome, status, latency. Never a secret, a signature
//! or a body byte.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hookspec::WebhookId;

/// What the receiver did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Authenticated and seen for the first time: acted on.
    Processed {
        /// What matched (e.g. `v1 key#0 entry#0`).
        detail: Cow<'static, str>,
    },
    /// Authenticated, but the id was already acted on: acknowledged, not acted on again.
    Duplicate,
    /// Refused, with the stable code of the reason.
    Rejected {
        /// The rejection code (a `VerifyError`'s `ErrorCode::code`, or `body_too_large`,
        /// `body_unreadable`).
        code: &'static str,
    },
}

/// The log record of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// The `webhook-id`: the verified one, or for a rejection the header's value when it is
    /// a printable valid id (cut to 80 characters).
    pub id: Option<WebhookId>,
    /// The HTTP status answered.
    pub status: u16,
    /// What happened.
    pub outcome: DeliveryOutcome,
    /// Time spent deciding: from the body having been read to the answer being ready (the
    /// client's upload time is not included).
    pub latency: Duration,
}

impl fmt::Display for DeliveryRecord {
    /// `id=msg_1 status=200 outcome=processed (v1 key#0 entry#0) latency_ms=0.41`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={} status={} ",
            self.id.as_deref().unwrap_or("-"),
            self.status
        )?;
        match &self.outcome {
            DeliveryOutcome::Processed { detail } => write!(f, "outcome=processed ({detail})")?,
            DeliveryOutcome::Duplicate => write!(f, "outcome=duplicate")?,
            DeliveryOutcome::Rejected { code } => write!(f, "outcome=rejected code={code}")?,
        }
        write!(f, " latency_ms={:.2}", self.latency.as_secs_f64() * 1000.0)
    }
}

/// Where delivery records go.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum LogSink {
    /// One line per delivery on standard error, prefixed `hookspec serve: ` (the default).
    #[default]
    Stderr,
    /// Nothing (an embedded receiver whose host prints its own report).
    Off,
    /// A callback, called once per delivery from the request task.
    Custom(Arc<dyn Fn(&DeliveryRecord) + Send + Sync>),
}

impl LogSink {
    /// A sink that calls `f` for every record.
    pub fn custom(f: impl Fn(&DeliveryRecord) + Send + Sync + 'static) -> Self {
        Self::Custom(Arc::new(f))
    }

    /// The writer that carries this sink's records while a receiver runs.
    pub(crate) fn start(self) -> LogWriter {
        match self {
            Self::Stderr => LogWriter::Stderr(StderrLines::default()),
            Self::Off => LogWriter::Off,
            Self::Custom(f) => LogWriter::Custom(f),
        }
    }
}

/// A running [`LogSink`].
pub(crate) enum LogWriter {
    Stderr(StderrLines),
    Off,
    Custom(Arc<dyn Fn(&DeliveryRecord) + Send + Sync>),
}

impl LogWriter {
    /// Logs one delivery; returns once its line is written (or handed to the delivery that
    /// is writing at that moment, which writes it before it returns).
    pub(crate) fn emit(&self, record: &DeliveryRecord) {
        match self {
            Self::Stderr(lines) => LINE.with_borrow_mut(|line| {
                // Each worker thread formats into its own buffer, kept from one delivery to
                // the next: a line costs no allocation.
                line.clear();
                let _ = writeln!(line, "hookspec serve: {record}");
                lines.push(line);
            }),
            Self::Off => {}
            Self::Custom(f) => f(record),
        }
    }
}

thread_local! {
    /// The line being formatted on this thread (see [`LogWriter::emit`]).
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Delivery lines on standard error, written together when they arrive together.
///
/// A write to standard error is a system call, and under load one per delivery costs a
/// receiver a share of its throughput (`benches/serve_load.rs`). So the delivery that finds
/// nobody writing becomes the writer: it writes its line, then whatever other deliveries
/// appended meanwhile, until nothing is left. The others append and go on. A quiet receiver
/// thus writes each line at once, a busy one in batches, with no thread of its own (a
/// writer thread cost more in wake-ups than it saved on a 2-core machine). The pending
/// text is bounded ([`MAX_PENDING`]): past it, a delivery writes its own line.
#[derive(Default)]
pub(crate) struct StderrLines {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    /// Lines appended since the writer took the last batch.
    text: Vec<u8>,
    /// Whether a delivery is writing at the moment.
    writing: bool,
}

/// The most pending text, in bytes (a few hundred lines).
const MAX_PENDING: usize = 64 * 1024;

impl StderrLines {
    fn push(&self, line: &str) {
        self.push_to(line, &mut io::stderr());
    }

    fn push_to(&self, line: &str, out: &mut impl io::Write) {
        let mut pending = lock(&self.pending);
        if pending.writing {
            if pending.text.len() + line.len() <= MAX_PENDING {
                pending.text.extend_from_slice(line.as_bytes());
                return;
            }
            drop(pending);
            let _ = out.write_all(line.as_bytes());
            return;
        }
        pending.writing = true;
        drop(pending);
        let _ = out.write_all(line.as_bytes());
        let mut batch = Vec::new();
        loop {
            let mut pending = lock(&self.pending);
            if pending.text.is_empty() {
                pending.writing = false;
                return;
            }
            // Take the appended lines, leaving the emptied buffer for the next ones.
            std::mem::swap(&mut pending.text, &mut batch);
            drop(pending);
            let _ = out.write_all(&batch);
            batch.clear();
        }
    }
}

/// The lock, even if a delivery panicked while holding it (the text stays usable).
fn lock(pending: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    pending.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stderr => "Stderr",
            Self::Off => "Off",
            Self::Custom(_) => "Custom(..)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` that records each `write` call; while recording the first, it pushes
    /// further lines, as other deliveries would while the writer is in its system call.
    struct Recorder<'a> {
        writes: Vec<Vec<u8>>,
        during_first_write: Option<Box<dyn FnOnce() + 'a>>,
    }

    impl io::Write for Recorder<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(meanwhile) = self.during_first_write.take() {
                meanwhile();
            }
            self.writes.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_appended_during_a_write_go_out_in_the_next_one_in_order() {
        let lines = StderrLines::default();
        let others = std::cell::RefCell::new(Vec::new());
        let mut out = Recorder {
            writes: Vec::new(),
            during_first_write: Some(Box::new(|| {
                for i in 1..=100 {
                    lines.push_to(&format!("line {i}\n"), &mut *others.borrow_mut());
                }
            })),
        };
        lines.push_to("line 0\n", &mut out);
        assert!(others.borrow().is_empty(), "the others only appended");
        assert_eq!(out.writes.len(), 2, "its own line, then one batch of 100");
        assert_eq!(out.writes[0], b"line 0\n");
        let batch: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(out.writes[1].clone()).unwrap(), batch);
        let pending = lock(&lines.pending);
        assert!(!pending.writing && pending.text.is_empty());
    }

    #[test]
    fn a_line_alone_is_written_at_once_and_pending_text_is_bounded() {
        let lines = StderrLines::default();
        let mut out = Vec::new();
        lines.push_to("one\n", &mut out);
        lines.push_to("two\n", &mut out);
        assert_eq!(out, b"one\ntwo\n");
        // While a writer is busy, a line that would take the pending text past its bound is
        // written by its own delivery.
        lock(&lines.pending).writing = true;
        let long = "x".repeat(MAX_PENDING - 10) + "\n";
        let mut own = Vec::new();
        lines.push_to(&long, &mut own);
        lines.push_to("0123456789\n", &mut own);
        assert_eq!(own, b"0123456789\n");
        assert_eq!(lock(&lines.pending).text, long.as_bytes());
    }

    #[test]
    fn record_line_shape() {
        let mut record = DeliveryRecord {
            id: Some("msg_1".into()),
            status: 200,
            outcome: DeliveryOutcome::Processed {
                detail: "v1 key#0 entry#0".into(),
            },
            latency: Duration::from_micros(410),
        };
        assert_eq!(
            record.to_string(),
            "id=msg_1 status=200 outcome=processed (v1 key#0 entry#0) latency_ms=0.41"
        );
        record.id = None;
        record.status = 401;
        record.outcome = DeliveryOutcome::Rejected {
            code: "no_matching_signature",
        };
        assert_eq!(
            record.to_string(),
            "id=- status=401 outcome=rejected code=no_matching_signature latency_ms=0.41"
        );
    }
}
