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
use super::super::{Failure, parse_timeout};

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
    /// How many independent cases run at once.
    #[arg(long, default_value_t = check::DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: usize,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,
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
}

/// How the endpoint verifies: Standard Webhooks v1 (default), v1a with a public key, or
/// Gemini's per-request schemes with keys from a JWKS that hookspec serves itself.
#[derive(Debug, clap::Args)]
pub struct SchemeArgs {
    /// The endpoint's scheme: v1 (--secret), v1a (--signing-key; the endpoint trusts its
    /// whpk_), v1a-jwks or jwt (the endpoint fetches hookspec's key set from --jwks-listen).
    #[arg(long, value_name = "v1|v1a|v1a-jwks|jwt", value_parser = parse_scheme, default_value = "v1")]
    pub scheme: Scheme,
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

impl Args {
    /// The run these arguments describe, after checking that the flags fit together and
    /// parsing every key (usage errors name the flag).
    pub fn check(&self) -> Result<Check, Failure> {
        let g = &self.gemini;
        let mut check = match &self.url {
            Some(url) => self.live(url)?,
            None => self.embedded()?,
        };
        check = check
            .scheme(g.scheme)
            .strict(self.strict)
            .timeout(self.timeout)
            .concurrency(self.concurrency)
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
        let scheme = self.gemini.scheme;
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
        // Fail on a malformed URL before anything is sent.
        check::http::Target::parse(url)
            .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
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
                if self.gemini.scheme == Scheme::V1 {
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
        if !g.scheme.uses_jwks() && g.jwks_listen.is_some() {
            return Err(Failure::usage(
                "--jwks-listen goes with --scheme v1a-jwks or --scheme jwt",
            ));
        }
        if g.scheme != Scheme::Jwt && jwt_flags {
            return Err(Failure::usage(
                "--jwt-audience, --jwt-issuer and --jwt-body-binding go with --scheme jwt",
            ));
        }
        Ok(())
    }
}

fn parse_revoked(text: &str, any_length: bool) -> Result<Secret, Failure> {
    parse_secret(text, 0, any_length).map_err(|f| Failure {
        exit: f.exit,
        message: f.message.replacen("--secret #1", "--revoked-secret", 1),
    })
}
