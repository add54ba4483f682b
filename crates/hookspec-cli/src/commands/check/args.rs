//! The arguments of `hookspec check`, and how they become a [`Check`].

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use hookspec::ErrorCode;
use hookspec::{Scheme, Secret, SigningKey};
use hookspec_engine::check::{self, Check};

use super::super::keys::parse_secret;
use super::super::report_args::ReportArgs;
use super::super::serve::parse_scheme;
use super::super::transport_args::TransportArgs;
use super::super::{Failure, parse_timeout};
use super::config;
use hookspec_engine::transport::ExtraHeader;

/// Arguments of `hookspec check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The webhook endpoint (http:// or https://). Omitted: run against an embedded
    /// reference receiver on a free loopback port, with fresh secrets and its observer.
    pub url: Option<String>,
    /// A secret the endpoint trusts (`whsec_…`). Repeat for every trusted secret, the
    /// current one first (the others enable the rotation cases).
    #[arg(
        long = "secret",
        value_name = "whsec_…",
        env = "HOOKSPEC_SECRET",
        value_delimiter = ' ',
        hide_env_values = true
    )]
    pub secrets: Vec<String>,
    /// A secret the endpoint must no longer accept (enables rotation/revoked-*).
    #[arg(long, value_name = "whsec_…")]
    pub revoked_secret: Option<String>,
    /// An Ed25519 signing key (`whsk_…`) whose public key the endpoint trusts (enables the
    /// v1a cases).
    #[arg(long, value_name = "whsk_…")]
    pub signing_key: Option<String>,
    /// The endpoint's observer URL: GET returns {"<webhook-id>": <times processed>}.
    /// Enables the duplicate/* effect cases.
    #[arg(long, value_name = "URL")]
    pub observe: Option<String>,
    /// The endpoint's observer as a shell command, for endpoints that cannot grow an HTTP
    /// route: `sh -c CMD` prints {"<webhook-id>": <times processed>}. Same cases as --observe.
    ///
    /// The command runs for every observer read, with no input and without HOOKSPEC_SECRET in
    /// its environment; it must finish within --timeout and print at most 32 MiB. One that
    /// fails, hangs or prints too much ends the run with exit 3, quoting the end of its
    /// standard error (the run's keys removed; the command line is never printed). Examples,
    /// for a table processed_webhooks with a webhook_id column, or a log line per processed
    /// delivery:
    ///
    /// Postgres: --observe-cmd "psql -Atc 'select coalesce(json_object_agg(webhook_id, n),
    /// json_build_object()) from (select webhook_id, count(*) as n from processed_webhooks
    /// group by webhook_id) c'"
    ///
    /// SQLite: --observe-cmd "sqlite3 app.db 'select json_group_object(webhook_id, n) from
    /// (select webhook_id, count(*) as n from processed_webhooks group by webhook_id)'"
    ///
    /// JSON lines: --observe-cmd "jq -sc 'map(select(.processed) | .webhook_id) | group_by(.)
    /// | map({(.[0]): length}) | add // {}' app.log"
    #[arg(long = "observe-cmd", value_name = "CMD", conflicts_with = "observe")]
    pub observe_cmd: Option<String>,
    /// NON-STRICT findings (SHOULD breaches) fail the run too.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Run only the cases matching GLOB (`*`, `?`; a bare family name selects the family).
    /// Repeatable.
    #[arg(long = "cases", value_name = "GLOB")]
    pub cases: Vec<String>,
    /// Skip the cases matching GLOB. Repeatable.
    #[arg(long = "skip", value_name = "GLOB")]
    pub skip: Vec<String>,
    /// Print the catalogue (id, level, title) and exit without sending anything.
    #[arg(long)]
    pub list: bool,
    /// Compare the findings with a baseline file: fail on new findings and on listed ones
    /// that no longer occur.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Write this run's findings as a baseline file (each with a reason to fill in).
    #[arg(long, value_name = "FILE")]
    pub write_expect: Option<PathBuf>,
    /// How many independent cases run at once [default: 4].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: Option<usize>,
    /// Per-request timeout [default: 10s].
    #[arg(long, value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// Accept HMAC secrets of any non-empty length (the spec asks for 24 to 64 bytes).
    #[arg(long)]
    pub any_secret_length: bool,
    /// Replay vector files instead of the catalogue (repeatable). Each test is re-signed at
    /// send time. With a URL, the endpoint must trust the test groups' keys (pass them as
    /// --secret to replay only those groups); without one, each group runs against an
    /// embedded reference receiver configured with exactly its keys.
    #[arg(long = "vectors", value_name = "FILE", conflicts_with_all = ["list", "export_vectors"])]
    pub vectors: Vec<PathBuf>,
    /// Freeze every delivery of this run with a definite expectation as vector files in DIR
    /// (check-v1.json, check-v1a.json). The files contain the run's keys: use test keys.
    #[arg(long = "export-vectors", value_name = "DIR")]
    pub export_vectors: Option<PathBuf>,
    #[command(flatten)]
    pub gemini: SchemeArgs,
    #[command(flatten)]
    pub transport: TransportArgs,
    /// Read the run's settings from this TOML file (see --write-config); flags given on
    /// the command line win over it. Without it, ./hookspec.toml is read when present.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Do not read ./hookspec.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Write a commented starter configuration file (every key, with what it does) to PATH
    /// [default: hookspec.toml] and exit; an existing file is never overwritten.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "hookspec.toml")]
    pub write_config: Option<PathBuf>,
    /// The configuration file the run used, once loaded (see [`Args::load_config`]).
    #[arg(skip)]
    pub loaded_config: Option<PathBuf>,
}

/// How the endpoint verifies: Standard Webhooks v1 (default), v1a with a public key, or
/// Gemini's per-request schemes with keys from a JWKS that hookspec serves itself.
#[derive(Debug, clap::Args)]
pub struct SchemeArgs {
    /// The endpoint's scheme: v1 (--secret), v1a (--signing-key; the endpoint trusts its
    /// whpk_), v1a-jwks or jwt (the endpoint fetches hookspec's key set from --jwks-listen)
    /// [default: v1].
    #[arg(long, value_name = "v1|v1a|v1a-jwks|jwt", value_parser = parse_scheme)]
    pub scheme: Option<Scheme>,
    /// Where hookspec serves its key set (v1a-jwks, jwt): the endpoint must be configured
    /// with http://ADDR/.well-known/jwks.json. hookspec rotates the keys during the run.
    #[arg(long, value_name = "ADDR")]
    pub jwks_listen: Option<std::net::SocketAddr>,
    /// The audience the endpoint accepts (jwt; required with a URL).
    #[arg(long, value_name = "AUD")]
    pub jwt_audience: Option<String>,
    /// The issuer the endpoint requires (jwt; enables jwt/wrong-issuer).
    #[arg(long, value_name = "ISS")]
    pub jwt_issuer: Option<String>,
    /// The endpoint verifies hookspec's binding claims (jwt): tokens carry webhook_id and
    /// body_sha256, and a token replayed with another body must be rejected.
    #[arg(long)]
    pub jwt_body_binding: bool,
    /// How long the key rotation cases wait for the endpoint to refetch the key set
    /// [default: 65s, the max-age hookspec's key server sends (0 s) plus 65 s]. Once one
    /// case has waited that long without a fetch, the others do not wait again.
    #[arg(long, value_parser = parse_timeout, value_name = "DURATION")]
    pub jwks_refetch_wait: Option<Duration>,
}

impl SchemeArgs {
    /// The scheme: the flag, the configuration file, or `v1`.
    pub fn scheme(&self) -> Scheme {
        self.scheme.unwrap_or(Scheme::V1)
    }
}

impl Args {
    /// The per-request timeout: the flag, the configuration file, or the default.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(check::DEFAULT_TIMEOUT)
    }

    /// How many cases run at once: the flag, the configuration file, or the default.
    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(check::DEFAULT_CONCURRENCY)
    }

    /// Reads `--config FILE` (or `./hookspec.toml` unless `--no-config`) and fills every
    /// setting no flag gave (flag > file > default). Secrets and secret header values are
    /// read from the environment variables the file names.
    pub fn load_config(&mut self) -> Result<(), Failure> {
        let source = match (&self.config, self.no_config) {
            (Some(path), _) => config::Source::Given(path.clone()),
            (None, true) => config::Source::Disabled,
            (None, false) => config::Source::Discover,
        };
        let Some(file) = config::load(&source).map_err(config_failure)? else {
            return Ok(());
        };
        self.apply_config(&file, &|name| std::env::var(name).ok())
            .map_err(config_failure)?;
        self.loaded_config = Some(file.path.clone());
        Ok(())
    }

    /// The configuration file this run used, relative to the working directory when it is
    /// inside it (`hookspec.toml`, `ci/hookspec.toml`), for reports that point at the run's
    /// configuration (a SARIF result location). `None` when no file was read.
    pub fn config_path(&self) -> Option<PathBuf> {
        let path = self.loaded_config.as_ref()?;
        let relative = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(PathBuf::from))
            .unwrap_or_else(|| path.clone());
        Some(
            relative
                .strip_prefix(".")
                .map(PathBuf::from)
                .unwrap_or(relative),
        )
    }

    /// Fills the settings no flag gave from `file`, reading variables through `env`.
    pub fn apply_config(
        &mut self,
        file: &config::ConfigFile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), config::ConfigError> {
        fn fill<T: Clone>(flag: &mut Option<T>, file: &Option<T>) {
            if flag.is_none() {
                flag.clone_from(file);
            }
        }
        fn fill_list<T: Clone>(flag: &mut Vec<T>, file: &Option<Vec<T>>) {
            if flag.is_empty()
                && let Some(values) = file
            {
                flag.clone_from(values);
            }
        }
        fill(&mut self.url, &file.target);
        fill(&mut self.observe, &file.observe);
        fill(&mut self.observe_cmd, &file.observe_cmd);
        fill(&mut self.expect, &file.expect);
        fill(&mut self.timeout, &file.timeout);
        fill(&mut self.concurrency, &file.concurrency);
        fill_list(&mut self.cases, &file.cases);
        fill_list(&mut self.skip, &file.skip);
        self.strict |= file.strict.unwrap_or(false);
        self.any_secret_length |= file.any_secret_length.unwrap_or(false);
        let g = &mut self.gemini;
        fill(&mut g.scheme, &file.scheme);
        fill(&mut g.jwks_listen, &file.jwks_listen);
        fill(&mut g.jwt_audience, &file.jwt_audience);
        fill(&mut g.jwt_issuer, &file.jwt_issuer);
        fill(&mut g.jwks_refetch_wait, &file.jwks_refetch_wait);
        g.jwt_body_binding |= file.jwt_body_binding.unwrap_or(false);
        // Keys: a flag (or HOOKSPEC_SECRET) wins. The file's variables are read only for a
        // live endpoint (the embedded receiver makes its own keys), and not for `--list`,
        // which sends nothing.
        if self.url.is_none() || self.list {
            // Nothing below applies to the embedded receiver.
        } else if self.secrets.is_empty() {
            for name in &file.secret_env {
                self.secrets.push(name.resolve(env)?);
            }
        }
        if self.url.is_some()
            && !self.list
            && self.revoked_secret.is_none()
            && let Some(name) = &file.revoked_secret_env
        {
            self.revoked_secret = Some(name.resolve(env)?);
        }
        if self.url.is_some()
            && !self.list
            && self.signing_key.is_none()
            && let Some(name) = &file.signing_key_env
        {
            self.signing_key = Some(name.resolve(env)?);
        }
        // Transport: each flag replaces the file's setting; -H adds to the file's headers.
        let t = &mut self.transport;
        if t.cacert.is_empty() {
            t.cacert.clone_from(&file.tls.cacert);
        }
        t.insecure |= file.tls.insecure.unwrap_or(false);
        if t.client_cert.is_none() && t.client_key.is_none() {
            t.client_cert.clone_from(&file.tls.client_cert);
            t.client_key.clone_from(&file.tls.client_key);
        }
        t.file_headers.clone_from(&file.headers);
        for (name, var) in file.header_env.iter().filter(|_| !self.list) {
            let value = var.resolve(env)?;
            let header = ExtraHeader::new(name, &value).map_err(|e| config::ConfigError::Invalid {
                at: var.at.clone(),
                // The value is a secret: the message names the variable only.
                message: format!(
                    "the value of {} is not a usable header value (printable ASCII, no line breaks) [{}]",
                    var.var,
                    e.code()
                ),
            })?;
            t.file_headers.push(header.secret());
        }
        Ok(())
    }

    /// The run these arguments describe, after checking that the flags fit together and
    /// parsing every key (usage errors name the flag).
    pub fn check(&self) -> Result<Check, Failure> {
        let g = &self.gemini;
        let mut check = match &self.url {
            Some(url) => self.live(url)?,
            None => self.embedded()?,
        };
        check = check
            .scheme(g.scheme())
            .strict(self.strict)
            .timeout(self.timeout())
            .concurrency(self.concurrency())
            .jwt_body_binding(g.jwt_body_binding);
        if let Some(wait) = g.jwks_refetch_wait {
            check = check.refetch_wait(wait);
        }
        if let Some(issuer) = &g.jwt_issuer {
            check = check.jwt_issuer(issuer.clone());
        }
        if let Some(audience) = &g.jwt_audience {
            check = check.jwt_audience(audience.clone());
        }
        Ok(self.selection(check))
    }

    /// `check` narrowed to `--cases` and `--skip`.
    pub fn selection(&self, mut check: Check) -> Check {
        for glob in &self.cases {
            check = check.cases(glob.clone());
        }
        for glob in &self.skip {
            check = check.skip(glob.clone());
        }
        check
    }

    /// A live endpoint: its keys, parsed, and what each scheme needs.
    fn live(&self, url: &str) -> Result<Check, Failure> {
        self.scheme_flags_fit()?;
        let scheme = self.gemini.scheme();
        if scheme == Scheme::V1 && self.secrets.is_empty() {
            return Err(Failure::usage(
                "give the endpoint's secret: --secret whsec_… (or set HOOKSPEC_SECRET)",
            ));
        }
        let mut check = Check::new(url);
        for secret in self.parsed_secrets()? {
            check = check.secret(secret);
        }
        if let Some(text) = &self.revoked_secret {
            check = check.revoked_secret(parse_revoked(text, self.any_secret_length)?);
        }
        let signing_key = match &self.signing_key {
            Some(text) => Some(
                SigningKey::parse(text)
                    .map_err(|e| Failure::usage(format!("--signing-key: {e} [{}]", e.code())))?,
            ),
            None => None,
        };
        // Fail on a malformed URL or an unusable transport before anything is sent.
        let transport = self.transport.transport()?;
        check::http::Target::parse_with(url, &transport)
            .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
        check = check.transport(transport);
        if let Some(observe) = &self.observe {
            check::http::Target::parse(observe)
                .map_err(|e| Failure::usage(format!("--observe: {e} [{}]", e.code())))?;
            check = check.observe(observe.clone());
        }
        if let Some(command) = &self.observe_cmd {
            check = check.observe_command(command.clone());
        }
        match scheme {
            Scheme::V1a if signing_key.is_none() => {
                return Err(Failure::usage(
                    "--scheme v1a needs --signing-key whsk_… (the endpoint trusts its whpk_ public key)",
                ));
            }
            Scheme::V1aJwks | Scheme::Jwt => {
                let Some(addr) = self.gemini.jwks_listen else {
                    return Err(Failure::usage(format!(
                        "--scheme {scheme} needs --jwks-listen ADDR: hookspec serves its keys at http://ADDR/.well-known/jwks.json, and the endpoint must be configured with that URL"
                    )));
                };
                if scheme == Scheme::Jwt && self.gemini.jwt_audience.is_none() {
                    return Err(Failure::usage(
                        "--scheme jwt needs --jwt-audience AUD (the audience the endpoint accepts)",
                    ));
                }
                check = check.jwks_listen(addr);
            }
            _ => {}
        }
        Ok(match signing_key {
            Some(key) => check.signing_key(key),
            None => check,
        })
    }

    /// The embedded receiver: flags that describe an endpoint are refused.
    fn embedded(&self) -> Result<Check, Failure> {
        if self.observe_cmd.is_some() {
            return Err(Failure::usage(
                "--observe-cmd needs a URL; without one, hookspec check runs against an embedded receiver with its own observer",
            ));
        }
        if self.transport.any() {
            return Err(Failure::usage(
                "--cacert, --insecure, --client-cert, --client-key and --header need a URL; without one, hookspec check runs against an embedded receiver on loopback",
            ));
        }
        if self.observe.is_some()
            || self.revoked_secret.is_some()
            || self.signing_key.is_some()
            || self.gemini.jwks_listen.is_some()
        {
            return Err(Failure::usage(
                "--observe, --revoked-secret, --signing-key and --jwks-listen need a URL; without one, hookspec check runs against an embedded receiver with fresh keys",
            ));
        }
        self.scheme_flags_fit()?;
        if !self.secrets.is_empty() {
            eprintln!(
                "{}",
                if self.gemini.scheme() == Scheme::V1 {
                    "hookspec check: no URL, so the embedded reference receiver is checked with fresh secrets (--secret and HOOKSPEC_SECRET are used only with a URL)"
                } else {
                    "hookspec check: no URL, so the embedded reference receiver is checked with fresh keys (--secret and HOOKSPEC_SECRET are not used)"
                }
            );
        }
        Ok(Check::embedded())
    }

    /// Every `--secret`, parsed.
    pub fn parsed_secrets(&self) -> Result<Vec<Secret>, Failure> {
        self.secrets
            .iter()
            .enumerate()
            .map(|(i, s)| parse_secret(s, i, self.any_secret_length))
            .collect()
    }

    /// Refuses scheme flags that do not fit `--scheme`.
    fn scheme_flags_fit(&self) -> Result<(), Failure> {
        let g = &self.gemini;
        let jwt_flags = g.jwt_audience.is_some() || g.jwt_issuer.is_some() || g.jwt_body_binding;
        if !g.scheme().uses_jwks() && g.jwks_listen.is_some() {
            return Err(Failure::usage(
                "--jwks-listen goes with --scheme v1a-jwks or --scheme jwt",
            ));
        }
        if g.scheme() != Scheme::Jwt && jwt_flags {
            return Err(Failure::usage(
                "--jwt-audience, --jwt-issuer and --jwt-body-binding go with --scheme jwt",
            ));
        }
        Ok(())
    }
}

/// A configuration error as the command's one-line failure.
pub fn config_failure(e: config::ConfigError) -> Failure {
    Failure {
        exit: e.exit_code(),
        message: format!("{e} [{}]", e.code()),
    }
}

fn parse_revoked(text: &str, any_length: bool) -> Result<Secret, Failure> {
    parse_secret(text, 0, any_length).map_err(|f| Failure {
        exit: f.exit,
        message: f.message.replacen("--secret #1", "--revoked-secret", 1),
    })
}
