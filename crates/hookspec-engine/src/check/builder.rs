//! [`Check`]: the whole `hookspec check` run as a library call, so a Rust service can gate
//! its own `cargo test` on conformance.
//!
//! ```no_run
//! # async fn demo(url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use hookspec::Secret;
//! use hookspec_engine::check::Check;
//! let report = Check::new(url)
//!     .secret(Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .observe(format!("{url}/_observed"))
//!     .run()
//!     .await?;
//! report.assert_conformant();
//! # Ok(()) }
//! ```
//!
//! The catalogue is chosen here, in the engine: the cases of the run's scheme, narrowed by
//! [`Check::cases`] and [`Check::skip`]. A case whose need the configuration does not meet
//! (no observer, one secret only) is reported `UNSUPPORTED` with the reason, never run.

use std::net::SocketAddr;
use std::time::Duration;

use hookspec::ErrorCode;
use hookspec::JwksVerifier;
use hookspec::Scheme;
use hookspec::Secret;
use hookspec::SigningKey;

use super::{CheckError, Config, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, Event};
use crate::cases::keyset::{JwtSettings, KeySet};
use crate::cases::{self, Case, Keys, Sent};
use crate::jwks_cache::CachePolicy;
use crate::report::Report;
use crate::serve::{RunningServer, ServeConfig, spawn_embedded};
use crate::transport::Transport;

/// The audience of the embedded receiver when none is given.
pub const EMBEDDED_AUDIENCE: &str = "https://hookspec.invalid/embedded-receiver";
/// The issuer the embedded receiver requires when none is given.
pub const EMBEDDED_ISSUER: &str = "https://hookspec.invalid/issuer";
/// How long the key rotation cases wait for an endpoint to refetch the key set by default:
/// derived from the `Cache-Control: max-age` hookspec's key server sends (0 s), see
/// [`crate::cases::keyset::refetch_wait_for`].
pub const DEFAULT_REFETCH_WAIT: Duration = crate::cases::keyset::DEFAULT_REFETCH_WAIT;
/// The embedded receiver refetches at most once a second, so its rotation cases never
/// need more than this.
const EMBEDDED_REFETCH_WAIT: Duration = Duration::from_secs(15);

/// A conformance run, configured step by step, then [`Check::start`]ed or [`Check::run`].
#[derive(Debug, Clone)]
pub struct Check {
    url: Option<String>,
    scheme: Scheme,
    secrets: Vec<Secret>,
    revoked: Option<Secret>,
    signing_key: Option<SigningKey>,
    observe: Option<String>,
    observe_command: Option<String>,
    strict: bool,
    include: Vec<String>,
    skip: Vec<String>,
    timeout: Duration,
    concurrency: usize,
    jwks_listen: Option<SocketAddr>,
    jwt_audience: Option<String>,
    jwt_issuer: Option<String>,
    jwt_body_binding: bool,
    refetch_wait: Option<Duration>,
    transport: Transport,
}

impl Check {
    /// A run against the endpoint at `url` (`http://` or `https://`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::embedded()
        }
    }

    /// A run against an embedded reference receiver with fresh keys on a free loopback
    /// port: every case passes (what `hookspec check` does without a URL).
    pub fn embedded() -> Self {
        Self {
            url: None,
            scheme: Scheme::V1,
            secrets: Vec::new(),
            revoked: None,
            signing_key: None,
            observe: None,
            observe_command: None,
            strict: false,
            include: Vec::new(),
            skip: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
            jwks_listen: None,
            jwt_audience: None,
            jwt_issuer: None,
            jwt_body_binding: false,
            refetch_wait: None,
            transport: Transport::default(),
        }
    }

    /// The endpoint's scheme (default `v1`): it picks the catalogue and how deliveries are
    /// signed.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// A secret the endpoint trusts; call once per trusted secret, the current one first.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// A secret the endpoint must no longer accept (enables `rotation/revoked-*`).
    pub fn revoked_secret(mut self, secret: Secret) -> Self {
        self.revoked = Some(secret);
        self
    }

    /// The Ed25519 key whose public key the endpoint trusts (`v1a`, and the `v1a` family
    /// of a `v1` run).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The endpoint's observer URL (enables the effect cases).
    pub fn observe(mut self, url: impl Into<String>) -> Self {
        self.observe = Some(url.into());
        self
    }

    /// The endpoint's observer as a shell command instead of a URL (enables the same
    /// effect cases as [`Check::observe`]; give one of the two). Each read runs
    /// `sh -c command`, which must print the observer document `{"<webhook-id>": <times
    /// processed>}` within the per-request timeout ([`Check::timeout`]) and in at most
    /// [`super::observer::MAX_BODY`] bytes, for example a SQL query or a log grep:
    ///
    /// * Postgres: `psql -Atc 'select coalesce(json_object_agg(webhook_id, n),
    ///   json_build_object()) from (select webhook_id, count(*) as n from processed_webhooks
    ///   group by webhook_id) c'`
    /// * SQLite: `sqlite3 app.db 'select json_group_object(webhook_id, n) from (select
    ///   webhook_id, count(*) as n from processed_webhooks group by webhook_id)'`
    /// * a JSON-lines log: `jq -sc 'map(select(.processed) | .webhook_id) | group_by(.) |
    ///   map({(.[0]): length}) | add // {}' app.log`
    ///
    /// A command that fails, hangs or prints too much is an observer error (exit 3 from the
    /// CLI) quoting the end of its standard error, with the run's keys removed. It runs
    /// without `HOOKSPEC_SECRET` in its environment, and the command line is never printed.
    /// Ignored by [`Check::embedded`], whose receiver has its own observer.
    pub fn observe_command(mut self, command: impl Into<String>) -> Self {
        self.observe_command = Some(command.into());
        self
    }

    /// Whether NON-STRICT findings fail the run (default no).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Runs only the cases matching `glob` (repeatable; a bare family name selects it).
    pub fn cases(mut self, glob: impl Into<String>) -> Self {
        self.include.push(glob.into());
        self
    }

    /// Skips the cases matching `glob` (repeatable).
    pub fn skip(mut self, glob: impl Into<String>) -> Self {
        self.skip.push(glob.into());
        self
    }

    /// The per-request timeout (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many independent cases run at once (default [`DEFAULT_CONCURRENCY`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Where hookspec serves its key set for a live endpoint (`v1a-jwks`, `jwt`).
    pub fn jwks_listen(mut self, addr: SocketAddr) -> Self {
        self.jwks_listen = Some(addr);
        self
    }

    /// The audience the endpoint accepts (`jwt`).
    pub fn jwt_audience(mut self, audience: impl Into<String>) -> Self {
        self.jwt_audience = Some(audience.into());
        self
    }

    /// The issuer the endpoint requires (`jwt`; enables `jwt/wrong-issuer`).
    pub fn jwt_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.jwt_issuer = Some(issuer.into());
        self
    }

    /// Whether the endpoint verifies hookspec's binding claims (`jwt`).
    pub fn jwt_body_binding(mut self, binding: bool) -> Self {
        self.jwt_body_binding = binding;
        self
    }

    /// How long the key rotation cases wait for a refetch (default: derived from the
    /// `max-age` hookspec's key server sends, [`DEFAULT_REFETCH_WAIT`]). Once one case has
    /// waited that long without the endpoint fetching the set, later cases do not wait again.
    pub fn refetch_wait(mut self, wait: Duration) -> Self {
        self.refetch_wait = Some(wait);
        self
    }

    /// How the endpoint and its observer are reached: extra TLS roots or no certificate
    /// check, a client certificate (mutual TLS), extra headers on every request (default:
    /// the platform's roots, nothing extra). A run with certificate checks disabled says so
    /// in its report's notes. Not used by [`Check::embedded`], whose receiver is plain HTTP
    /// on loopback.
    ///
    /// ```no_run
    /// # async fn demo(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// use hookspec_engine::check::Check;
    /// use hookspec_engine::transport::{ExtraHeader, Transport};
    /// let transport = Transport::new()
    ///     .cacert_file("certs/staging-ca.pem")?
    ///     .secret_header(ExtraHeader::new("X-Gateway-Key", &std::env::var("GATEWAY_KEY")?)?);
    /// let report = Check::new(url)
    ///     .secret(hookspec::Secret::parse(&std::env::var("WEBHOOK_SECRET")?)?)
    ///     .transport(transport)
    ///     .run()
    ///     .await?;
    /// report.assert_conformant();
    /// # Ok(()) }
    /// ```
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The cases this run would execute: the scheme's catalogue narrowed by
    /// [`Check::cases`] and [`Check::skip`].
    /// A selection that leaves no case is an error: a run of nothing would pass.
    pub fn selected(&self) -> Result<Vec<Case>, CheckError> {
        let selected =
            super::select::select(cases::catalogue_for(self.scheme), &self.include, &self.skip)
                .map_err(CheckError::NoCaseMatches)?;
        if selected.is_empty() {
            return Err(CheckError::NothingSelected);
        }
        Ok(selected)
    }

    /// Sets the run up: selects the cases, starts the embedded receiver or hookspec's key
    /// server as needed. Nothing is sent yet; see [`Started::key_set_url`].
    pub async fn start(self) -> Result<Started, CheckError> {
        let cases = self.selected()?;
        let (mut config, server, transport) = match self.url.clone() {
            Some(url) => (self.live(url).await?, None, self.transport.clone()),
            None => {
                let (config, server) = self.start_embedded().await?;
                (config, Some(server), Transport::default())
            }
        };
        config.cases = cases;
        Ok(Started {
            config,
            transport,
            _server: server,
        })
    }

    /// Sets the run up and runs it.
    pub async fn run(self) -> Result<Report, CheckError> {
        Ok(self.start().await?.run(&|_| {}).await?.report)
    }

    fn config(
        &self,
        url: String,
        keys: Keys,
        observe: Option<String>,
        observe_command: Option<String>,
    ) -> Config {
        Config {
            url,
            keys,
            observe,
            observe_command,
            strict: self.strict,
            cases: Vec::new(),
            concurrency: self.concurrency,
            timeout: self.timeout,
            repro_dir: None,
            target_label: None,
        }
    }

    /// The configuration for a live endpoint; the key server started for the key-set
    /// schemes.
    async fn live(&self, url: String) -> Result<Config, CheckError> {
        let mut keys = Keys {
            secrets: self.secrets.clone(),
            revoked: self.revoked.clone(),
            signing_key: self.signing_key.clone(),
            key_set: None,
        };
        match self.scheme {
            Scheme::V1 if keys.secrets.is_empty() => return Err(CheckError::NoSecret),
            Scheme::V1 => {}
            Scheme::V1a if keys.signing_key.is_none() => return Err(CheckError::NoSigningKey),
            Scheme::V1aJwks | Scheme::Jwt => {
                let addr = self.jwks_listen.ok_or(CheckError::NoJwksListen)?;
                if self.scheme == Scheme::Jwt && self.jwt_audience.is_none() {
                    return Err(CheckError::NoJwtAudience);
                }
                let key_set = self.start_key_set(addr).await?;
                // The v1a family runs with the key set's primary Ed25519 key.
                keys.signing_key = key_set.primary.ed25519().cloned();
                keys.key_set = Some(key_set);
            }
            _ => {}
        }
        if self.scheme != Scheme::V1 {
            keys.secrets.clear();
            keys.revoked = None;
        }
        // Fail on a malformed URL or unusable transport before anything is served or sent.
        super::http::Target::parse_with(&url, &self.transport)?;
        if self.observe.is_some() && self.observe_command.is_some() {
            return Err(CheckError::TwoObservers);
        }
        if let Some(observe) = &self.observe {
            super::http::Target::parse(observe)?;
        }
        Ok(self.config(
            url,
            keys,
            self.observe.clone(),
            self.observe_command.clone(),
        ))
    }

    /// Generates hookspec's keys for the scheme and serves them on `addr`.
    async fn start_key_set(&self, addr: SocketAddr) -> Result<KeySet, CheckError> {
        let settings = JwtSettings {
            audience: self
                .jwt_audience
                .clone()
                .unwrap_or_else(|| EMBEDDED_AUDIENCE.to_string()),
            issuer: self.jwt_issuer.clone(),
            body_binding: self.jwt_body_binding,
        };
        let mut key_set = KeySet::start(self.scheme, &super::run_tag(), addr, settings).await?;
        if let Some(wait) = self.refetch_wait {
            key_set.refetch_wait = wait;
        }
        Ok(key_set)
    }

    /// The embedded reference receiver, trusting fresh keys of the scheme: for `v1`, two
    /// trusted secrets (current and previous), a revoked one it does not trust, and a
    /// trusted Ed25519 key, so that every case runs; for the key-set schemes, hookspec's
    /// own key set on a free loopback port, refetched at most once a second so the
    /// rotation cases stay quick.
    async fn start_embedded(&self) -> Result<(Config, RunningServer), CheckError> {
        let mut keys = Keys {
            secrets: Vec::new(),
            revoked: None,
            signing_key: None,
            key_set: None,
        };
        let serve = match self.scheme {
            Scheme::V1 => {
                keys.secrets = vec![fresh(Secret::generate())?, fresh(Secret::generate())?];
                keys.revoked = Some(fresh(Secret::generate())?);
                let key = fresh(SigningKey::generate())?;
                let config = ServeConfig::trusting(&keys.secrets, &[key.public_key()]);
                keys.signing_key = Some(key);
                config
            }
            Scheme::V1a => {
                let key = fresh(SigningKey::generate())?;
                let config = ServeConfig::trusting(&[], &[key.public_key()]);
                keys.signing_key = Some(key);
                config
            }
            _ => {
                // Every case runs: an issuer is required, and tokens carry the binding
                // claims (verified when present, required only with body binding).
                let mut key_set = self.start_key_set(crate::serve::LOOPBACK_ANY).await?;
                let require_binding = key_set.jwt.body_binding;
                key_set.jwt.body_binding = true;
                key_set
                    .jwt
                    .issuer
                    .get_or_insert_with(|| EMBEDDED_ISSUER.to_string());
                key_set.retry_every = Duration::from_millis(250);
                key_set.refetch_wait = key_set.refetch_wait.min(EMBEDDED_REFETCH_WAIT);
                let policy = CachePolicy::default().min_refetch_interval(Duration::from_secs(1));
                let mut verifier = JwksVerifier::new()
                    .only(self.scheme)
                    .audience(key_set.jwt.audience.clone())
                    .require_body_binding(require_binding);
                if let Some(issuer) = &key_set.jwt.issuer {
                    verifier = verifier.issuer(issuer.clone());
                }
                let config = ServeConfig::from_key_set(&key_set.url(), policy, verifier)
                    .map_err(|e| CheckError::Embedded(format!("{e} [{}]", e.code())))?;
                keys.signing_key = key_set.primary.ed25519().cloned();
                keys.key_set = Some(key_set);
                config
            }
        };
        let server = spawn_embedded(serve)
            .await
            .map_err(|e| CheckError::Embedded(format!("{e} [{}]", e.code())))?;
        let url = server.base_url();
        let mut config = self.config(url.clone(), keys, Some(server.observe_url()), None);
        config.target_label = Some(match self.scheme {
            Scheme::V1 => format!("{url} (embedded reference receiver)"),
            scheme => format!("{url} (embedded reference receiver, scheme {scheme})"),
        });
        Ok((config, server))
    }
}

/// A freshly generated key, or why the embedded receiver cannot be set up.
fn fresh<T>(key: Result<T, hookspec::KeyError>) -> Result<T, CheckError> {
    key.map_err(|e| CheckError::Embedded(format!("{e} [{}]", e.code())))
}

/// A run that is set up and ready to send.
#[derive(Debug)]
pub struct Started {
    config: Config,
    transport: Transport,
    /// The embedded receiver, kept alive for the run.
    _server: Option<RunningServer>,
}

impl Started {
    /// The URL of hookspec's key set, for the key-set schemes: the endpoint must fetch its
    /// keys there.
    pub fn key_set_url(&self) -> Option<String> {
        self.config.keys.key_set.as_ref().map(KeySet::url)
    }

    /// The cases that will run.
    pub fn cases(&self) -> &[Case] {
        &self.config.cases
    }

    /// Runs the cases; `on_event` hears each case start and finish (for a progress bar).
    pub async fn run(
        self,
        on_event: &(dyn Fn(Event) + Send + Sync),
    ) -> Result<Finished, CheckError> {
        let (keys, cases) = (self.config.keys.clone(), self.config.cases.clone());
        let (report, sent) =
            super::run_recorded_with(self.config, &self.transport, on_event).await?;
        Ok(Finished {
            report,
            sent,
            cases,
            keys,
        })
    }
}

/// A finished run: its report, and what it sent (for [`Finished::export`]).
#[derive(Debug)]
pub struct Finished {
    /// The report.
    pub report: Report,
    /// Every delivery sent, in order.
    pub sent: Vec<Sent>,
    cases: Vec<Case>,
    keys: Keys,
}

impl Finished {
    /// The run's deliveries with a definite expectation, frozen as vector files.
    pub fn export(&self) -> super::export::Export {
        super::export::export(&self.sent, &self.cases, &self.keys)
    }
}
