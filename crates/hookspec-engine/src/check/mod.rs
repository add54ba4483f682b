//! `hookspec check`: runs the case catalogue against a live webhook endpoint and judges it.
//!
//! The flow is one way: a case plans deliveries (signed at send time), the runner sends
//! them over a raw HTTP/1.1 connection ([`http`]), each answer (status, latency) and, for
//! effect cases, the observer's counts ([`observer`]) go back to the case, which returns a
//! verdict; the results become a [`Report`].
//!
//! Before any case, one valid delivery checks that the endpoint answers at all (otherwise
//! [`CheckError::Unreachable`], exit 3) and that it accepts the first secret (otherwise the
//! run goes on, with a note saying so: every case that needs an accepted delivery fails).
//!
//! Independent cases run concurrently (`concurrency` at a time); cases whose effects are
//! observed run one at a time afterwards; audits over the whole run come last.

mod builder;
pub mod export;
pub mod http;
pub mod observer;
pub mod replay;
pub mod repro;
mod runner;
pub mod select;

pub use builder::{
    Check, DEFAULT_REFETCH_WAIT, EMBEDDED_AUDIENCE, EMBEDDED_ISSUER, Finished, Started,
};

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use thiserror::Error;

use crate::cases::{Case, Keys};
use crate::report::{Report, Verdict};
use crate::transport::Transport;

/// The per-request timeout used when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many independent cases run at once by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What to check and how.
#[derive(Debug)]
pub struct Config {
    /// The endpoint URL (`http://` or `https://`).
    pub url: String,
    /// The secrets the endpoint trusts (current first) and the one it must not.
    pub keys: Keys,
    /// The observer URL, if the endpoint has one.
    pub observe: Option<String>,
    /// A shell command printing the observer document, instead of a URL (see
    /// [`observer`]); at most one of `observe` and `observe_command`.
    pub observe_command: Option<String>,
    /// Whether NON-STRICT findings fail the run.
    pub strict: bool,
    /// The cases to run, in catalogue order (see [`select::select`]).
    pub cases: Vec<Case>,
    /// How many independent cases run at once (at least 1).
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Where the bodies of repro commands are written. Default: a `hookspec-check-<run>`
    /// directory in the system temporary directory.
    pub repro_dir: Option<PathBuf>,
    /// What the report names as its target. Default: the URL (without credentials).
    pub target_label: Option<String>,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event {
    /// The run starts `total` cases.
    Started {
        /// Number of cases.
        total: usize,
    },
    /// A case finished.
    Finished {
        /// Its id.
        id: &'static str,
        /// Its verdict.
        verdict: Verdict,
    },
}

/// Why a run could not happen. Usage errors exit 2, the others 3.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The endpoint or observer URL is not a usable `http(s)://` URL.
    #[error("invalid URL {url}: {why}")]
    InvalidUrl {
        /// The URL (credentials removed).
        url: String,
        /// What is wrong.
        why: String,
    },
    /// No secret was given.
    #[error("give the endpoint's secret: --secret whsec_… (or HOOKSPEC_SECRET)")]
    NoSecret,
    /// The endpoint did not answer the first delivery with any HTTP response.
    #[error("cannot reach {url}: {why}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// Why.
        why: String,
    },
    /// Both an observer URL and an observer command were given.
    #[error("give the endpoint's observer once: --observe URL or --observe-cmd CMD, not both")]
    TwoObservers,
    /// The observer could not be read, or did not return `{"id": count}`.
    #[error("observer {url} unusable: {why}")]
    Observer {
        /// The observer URL.
        url: String,
        /// Why.
        why: String,
    },
    /// TLS could not be set up.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The transport settings (certificates, client identity, extra headers) are unusable.
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
    /// These case patterns matched no case of the scheme's catalogue.
    #[error("no case matches {} (see hookspec check --list)", .0.join(", "))]
    NoCaseMatches(Vec<String>),
    /// `--cases` and `--skip` together leave no case to run.
    #[error("--cases and --skip leave no case to run (see hookspec check --list)")]
    NothingSelected,
    /// A `v1a` run without the signing key whose public key the endpoint trusts.
    #[error("--scheme v1a needs --signing-key whsk_… (the endpoint trusts its whpk_ public key)")]
    NoSigningKey,
    /// A key-set run against a URL without an address to serve the key set on.
    #[error(
        "the key-set schemes need --jwks-listen ADDR: hookspec serves its keys at http://ADDR/.well-known/jwks.json, and the endpoint must be configured with that URL"
    )]
    NoJwksListen,
    /// A `jwt` run against a URL without the audience the endpoint accepts.
    #[error("--scheme jwt needs --jwt-audience AUD (the audience the endpoint accepts)")]
    NoJwtAudience,
    /// hookspec's key set could not be generated or served.
    #[error(transparent)]
    KeySet(#[from] crate::cases::keyset::KeySetError),
    /// The embedded reference receiver could not be started.
    #[error("cannot start the embedded receiver: {0}")]
    Embedded(String),
}

impl CheckError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl { .. } => "invalid_url",
            Self::NoSecret => "no_secret",
            Self::Unreachable { .. } => "unreachable",
            Self::TwoObservers => "two_observers",
            Self::Observer { .. } => "observer_unusable",
            Self::Tls(_) => "tls_setup",
            Self::Transport(e) => e.code(),
            Self::NoCaseMatches(_) => "no_case_matches",
            Self::NothingSelected => "nothing_selected",
            Self::NoSigningKey => "no_signing_key",
            Self::NoJwksListen => "no_jwks_listen",
            Self::NoJwtAudience => "no_jwt_audience",
            Self::KeySet(e) => e.code(),
            Self::Embedded(_) => "embedded_receiver",
        }
    }

    /// The exit code: 2 for configuration errors, 3 when the target or the tool failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::InvalidUrl { .. }
            | Self::NoSecret
            | Self::TwoObservers
            | Self::NoCaseMatches(_)
            | Self::NothingSelected
            | Self::NoSigningKey
            | Self::NoJwksListen
            | Self::NoJwtAudience => crate::exit::USAGE,
            Self::Transport(e) if e.code() != "tls_setup" => crate::exit::USAGE,
            _ => crate::exit::FAILURE,
        }
    }
}

/// Runs the configured cases and returns the report. `on_event` is called as cases start
/// and finish (from worker tasks).
pub async fn run(
    config: Config,
    on_event: &(dyn Fn(Event) + Send + Sync),
) -> Result<Report, CheckError> {
    run_recorded(config, on_event)
        .await
        .map(|(report, _)| report)
}

/// Like [`run`], and also returns every delivery sent, in order (for `--export-vectors`).
pub async fn run_recorded(
    config: Config,
    on_event: &(dyn Fn(Event) + Send + Sync),
) -> Result<(Report, Vec<crate::cases::Sent>), CheckError> {
    run_recorded_with(config, &Transport::default(), on_event).await
}

/// Like [`run_recorded`], reaching the endpoint and its observer through `transport`
/// (TLS trust, client certificate, extra headers). A run without certificate checks
/// carries [`crate::transport::INSECURE_NOTE`] in its report.
pub async fn run_recorded_with(
    config: Config,
    transport: &Transport,
    on_event: &(dyn Fn(Event) + Send + Sync),
) -> Result<(Report, Vec<crate::cases::Sent>), CheckError> {
    let started = SystemTime::now();
    let clock = std::time::Instant::now();
    let prepared = runner::Runner::prepare(&config, transport).await?;
    let target_label = config
        .target_label
        .clone()
        .unwrap_or_else(|| prepared.target_display());
    let mut report = Report::new("check", &target_label, started, config.strict);
    let (results, notes) = prepared.clone().run_all(&config, on_event).await;
    report.notes = notes;
    report.finish(results, clock.elapsed());
    Ok((report, prepared.take_log()))
}

/// A fresh run tag: 8 hex digits that make this run's ids unique.
pub fn run_tag() -> String {
    crate::cases::random::<4>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
