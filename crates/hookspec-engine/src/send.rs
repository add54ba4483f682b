//! Delivering a signed webhook the way a well-behaved sender does (Standard Webhooks,
//! "Deliverability and reliability"): one `webhook-id` for every attempt, a fresh timestamp
//! and signature per attempt, retries with exponential backoff after any non-2xx status,
//! timeout or connection error, `Retry-After` honoured, redirects never followed, and no
//! retry after `410 Gone` (the receiver asked to be unsubscribed).

use std::time::{Duration, Instant};

use hookspec::internal::unix_now;
use hookspec::{SignError, Signer, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};

/// The retry policy of [`deliver`].
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt. Defaults to 3.
    pub retries: u32,
    /// Delay before the first retry; each later retry doubles it. Defaults to 1 s.
    pub backoff: Duration,
    /// Longest `Retry-After` that is honoured; longer values are capped. Defaults to 300 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based), ignoring `Retry-After`.
    pub fn backoff_for(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor)
    }
}

/// What happened on one attempt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// The receiver answered with this status.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` header, when it was a number of seconds.
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused, DNS failure, TLS failure or timeout.
    Unreachable(String),
}

impl Outcome {
    /// Whether the attempt delivered the event (a 2xx status).
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status { code, .. } if (200..300).contains(code))
    }
}

/// One attempt, reported to the caller as it completes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt {
    /// 1-based attempt number.
    pub number: u32,
    /// The `webhook-timestamp` sent.
    pub timestamp: u64,
    /// What came back.
    pub outcome: Outcome,
    /// Time from sending to the answer.
    pub latency: Duration,
    /// The delay before the next attempt, if there will be one.
    pub next_delay: Option<Duration>,
}

/// The end of a delivery.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// Every attempt in order.
    pub attempts: Vec<Attempt>,
}

impl Delivery {
    /// Whether the last attempt succeeded.
    pub fn delivered(&self) -> bool {
        self.attempts.last().is_some_and(|a| a.outcome.is_success())
    }

    /// Whether no attempt got any HTTP answer.
    pub fn unreachable(&self) -> bool {
        self.attempts
            .iter()
            .all(|a| matches!(a.outcome, Outcome::Unreachable(_)))
    }
}

/// A signed POST to send: the id stays fixed, the body is sent byte for byte.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The `webhook-id` of every attempt.
    pub id: &'a str,
    /// The exact body bytes.
    pub body: &'a [u8],
    /// The `content-type` header.
    pub content_type: &'a str,
}

/// What signs each attempt: the whole `webhook-signature` value for an id, a timestamp and
/// the body. A [`Signer`] gives a `v1`/`v1a` entry list; a [`hookspec::JwtSigner`] an
/// RS256 JWT (Gemini's documented per-request scheme).
pub trait SignAttempt {
    /// The `webhook-signature` value for one attempt.
    fn signature(&self, id: &str, timestamp: u64, body: &[u8]) -> Result<String, SignError>;
}

impl SignAttempt for Signer {
    fn signature(&self, id: &str, timestamp: u64, body: &[u8]) -> Result<String, SignError> {
        self.sign(id, timestamp, body)
    }
}

impl SignAttempt for hookspec::JwtSigner {
    fn signature(&self, id: &str, timestamp: u64, body: &[u8]) -> Result<String, SignError> {
        self.sign(id, timestamp, body)
    }
}

/// Delivers `message` to `url`, retrying per `policy`; `on_attempt` sees each attempt.
pub async fn deliver<S: SignAttempt + ?Sized>(
    client: &reqwest::Client,
    url: &str,
    signer: &S,
    message: &Message<'_>,
    policy: &RetryPolicy,
    mut on_attempt: impl FnMut(&Attempt),
) -> Result<Delivery, SignError> {
    let mut attempts = Vec::new();
    for number in 1..=policy.retries.saturating_add(1) {
        let timestamp = unix_now();
        let signature = signer.signature(message.id, timestamp, message.body)?;
        let started = Instant::now();
        let response = client
            .post(url)
            .header("content-type", message.content_type)
            .header(WEBHOOK_ID, message.id)
            .header(WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(WEBHOOK_SIGNATURE, signature)
            .body(message.body.to_vec())
            .send()
            .await;
        let latency = started.elapsed();
        let outcome = match response {
            Ok(response) => Outcome::Status {
                code: response.status().as_u16(),
                retry_after: retry_after(response.headers()),
            },
            Err(error) => Outcome::Unreachable(describe(&error)),
        };
        let gone = matches!(outcome, Outcome::Status { code: 410, .. });
        let last = number > policy.retries || outcome.is_success() || gone;
        let next_delay = (!last).then(|| next_delay(policy, number, &outcome));
        let attempt = Attempt {
            number,
            timestamp,
            outcome,
            latency,
            next_delay,
        };
        on_attempt(&attempt);
        attempts.push(attempt);
        match next_delay {
            Some(delay) => tokio::time::sleep(delay).await,
            None => break,
        }
    }
    Ok(Delivery { attempts })
}

fn next_delay(policy: &RetryPolicy, attempt: u32, outcome: &Outcome) -> Duration {
    let backoff = policy.backoff_for(attempt);
    match outcome {
        Outcome::Status {
            retry_after: Some(wait),
            ..
        } => backoff.max((*wait).min(policy.max_retry_after)),
        _ => backoff,
    }
}

/// `Retry-After` as delay-seconds (RFC 9110 section 10.2.3). HTTP-date values are ignored.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A one-line description of a transport error, with its root cause.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut root = None;
    while let Some(cause) = source {
        root = Some(cause.to_string());
        source = cause.source();
    }
    match root {
        Some(root) => format!("{kind}: {root}"),
        None => kind.to_string(),
    }
}
