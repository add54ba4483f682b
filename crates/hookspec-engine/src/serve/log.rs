//! One log record per delivery: id, outcome, status, latency. Never a secret, a signature
//! or a body byte.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What the receiver did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Authenticated and seen for the first time: acted on.
    Processed {
        /// What matched (e.g. `v1 key#0 entry#0`).
        detail: String,
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
    pub id: Option<String>,
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

    pub(crate) fn emit(&self, record: &DeliveryRecord) {
        match self {
            Self::Stderr => {
                // One write per line: standard error is unbuffered, and `eprintln!` would
                // issue a write for every piece of the format.
                let line = format!("hookspec serve: {record}\n");
                let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
            }
            Self::Off => {}
            Self::Custom(f) => f(record),
        }
    }
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
