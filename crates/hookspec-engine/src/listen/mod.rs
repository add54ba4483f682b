//! `hookspec listen`: grade a webhook *sender*.
//!
//! The listener hosts a receiver that answers each attempt of each `webhook-id` as a
//! response script says (`503,503,200`, `timeout,200`, `429:retry-after=2,200`, `410`,
//! `301,200`, …), records every attempt byte for byte, and when the run is over turns the
//! record into graded cases (family `sender/…`: each case of [`grade::CATALOGUE`] holds its judge): the headers and
//! signature of every attempt, the behaviour across the attempts of one event (same id and
//! body, fresh timestamp and signature, retries after failures only, growing delays,
//! `Retry-After`, `410`, redirects), and across events (distinct ids), plus measurements.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use hookspec_engine::listen::{ListenConfig, Listener, grade};
//! use hookspec::{Secret, Verifier};
//! let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! let config = ListenConfig {
//!     script: "503,200".parse().unwrap(),
//!     expect_events: Some(1),
//!     ..ListenConfig::new(Verifier::new().with_secret(secret))
//! };
//! let listener = Listener::bind("127.0.0.1:8090".parse().unwrap()).await?;
//! let recording = listener.run(&config, std::sync::Arc::new(|_| {}), std::future::pending()).await;
//! let cases = grade::grade(&recording, &config);
//! # Ok(()) }
//! ```

pub mod grade;
pub mod record;
pub mod script;
pub mod server;

use std::sync::Arc;
use std::time::Duration;

pub use grade::grade;
pub use record::{AttemptEnd, AttemptRecord, BODY_PREFIX, RecordedBody, Recording, StopReason};
pub use script::{Script, ScriptError, Step};
pub use server::{Listener, MAX_BODY, Notice, OnNotice};

use crate::server_task::ServerOptions;
use hookspec::{DEFAULT_TOLERANCE, Jwks, JwksVerifier, Verifier};

/// The path prefix of redirect targets: a `3xx` step answers with
/// `Location: /.hookspec/redirected/N`, so a request arriving there followed a redirect.
pub const REDIRECT_PREFIX: &str = "/.hookspec/redirected/";

/// The status sent to a held (`timeout`) attempt when the hold limit passes.
pub const HOLD_LIMIT_STATUS: u16 = 504;

/// The default grace period after the expected events complete (2 s).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// The default hold limit of a `timeout` step (60 s: twice the longest timeout the spec
/// recommends, so a sender within the recommendation always gives up first).
pub const DEFAULT_HOLD: Duration = Duration::from_secs(60);

/// The default run length (5 min).
pub const DEFAULT_DURATION: Duration = Duration::from_secs(300);

/// The most characters of a peer-controlled text (an id, a path, a method) a log line shows.
pub const SHOWN_CHARS: usize = 80;

/// `text`, sent by the peer, made safe for one log line: control and non-ASCII-printable
/// characters escaped (`\n`, `\u{1b}`), cut after [`SHOWN_CHARS`] characters with the
/// full length noted.
pub fn loggable(text: &str) -> String {
    let mut shown = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == SHOWN_CHARS {
            shown.push_str(&format!("… ({} bytes)", text.len()));
            break;
        }
        if c.is_control() || c == '\\' {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

impl std::str::FromStr for Script {
    type Err = ScriptError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Keys taken from a JWKS (`--jwks`): the set, fetched once before the run, and the
/// verifier that applies it (`v1a` entries against its Ed25519 keys, RS256 JWTs against its
/// RSA keys; JWTs need an audience).
#[derive(Debug, Clone)]
pub struct JwksKeys {
    /// The key set.
    pub set: Arc<Jwks>,
    /// How deliveries are verified against it (its tolerance is not used: see
    /// [`ListenConfig::tolerance`]).
    pub verifier: JwksVerifier,
}

/// How a listen run is set up and graded.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// What to answer to attempt 1, 2, … of each id. Defaults to `200`.
    pub script: Script,
    /// The keys deliveries must verify with (its tolerance is not used: see `tolerance`).
    /// It may hold no key when `jwks` is set.
    pub verifier: Verifier,
    /// Keys from a JWKS, tried besides those of `verifier`. Defaults to `None`.
    pub jwks: Option<JwksKeys>,
    /// How far `webhook-timestamp` may be from the listener's clock. Defaults to 300 s.
    pub tolerance: Duration,
    /// Stop once this many ids have completed their script (and the grace period passed).
    /// Defaults to `None`: run until `duration`.
    pub expect_events: Option<usize>,
    /// Stop after this long in any case. Defaults to [`DEFAULT_DURATION`] (5 min).
    pub duration: Duration,
    /// How long to keep listening after the expected events completed, to catch unwanted
    /// extra attempts (a retry after a 2xx or a 410, a followed redirect). Only attempts
    /// that arrive within it can be judged. Defaults to [`DEFAULT_GRACE`] (2 s).
    pub grace: Duration,
    /// How long a `timeout` step holds a connection at most before answering `504`.
    /// Defaults to [`DEFAULT_HOLD`] (60 s).
    pub hold: Duration,
    /// How the listener's connections are bounded: timeouts, connection cap (the shutdown
    /// grace is not used: the listener releases held attempts itself). Defaults to
    /// [`ServerOptions::default`].
    pub server: ServerOptions,
}

impl ListenConfig {
    /// The defaults, with the keys of `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            script: Script::default(),
            verifier,
            jwks: None,
            tolerance: DEFAULT_TOLERANCE,
            expect_events: None,
            duration: DEFAULT_DURATION,
            grace: DEFAULT_GRACE,
            hold: DEFAULT_HOLD,
            server: ServerOptions::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_is_cut_and_escaped_for_logs() {
        assert_eq!(loggable("msg_1"), "msg_1");
        assert_eq!(loggable("a\tb\u{1b}[31m"), "a\\tb\\u{1b}[31m");
        let long = "x".repeat(300_000);
        let shown = loggable(&long);
        assert!(shown.starts_with(&"x".repeat(SHOWN_CHARS)));
        assert!(shown.ends_with("… (300000 bytes)"), "{shown}");
        assert!(shown.len() < 120);
    }
}
