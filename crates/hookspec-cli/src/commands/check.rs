//! `hookspec check`: run the case catalogue against a webhook endpoint (or, without a URL,
//! against an embedded reference receiver) and report.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use hookspec::ErrorCode;
use hookspec::Scheme;
use hookspec::{JwksVerifier, Secret, SigningKey, Verifier};
use hookspec_engine::cases::keyset::{JwtSettings, KeySet};
use hookspec_engine::cases::{self, Keys};
use hookspec_engine::check::{self, CheckError, Config, Event};
use hookspec_engine::exit;
use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};
use hookspec_engine::report::baseline::Baseline;
use hookspec_engine::report::{self, Report};
use hookspec_engine::serve::{JwksAuthenticator, LogSink, RunningServer, ServeConfig};
use indicatif::{ProgressBar, ProgressStyle};

use super::keys::parse_secret;
use super::serve::parse_scheme;
use super::{Failure, Outcome, parse_duration};

/// Arguments of `hookspec check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The webhook endpoint (http:// or https://). Omitted: run against an embedded
    /// reference receiver on a free loopback port, with fresh secrets and its observer.
    url: Option<String>,
    /// A secret the endpoint trusts (`whsec_…`). Repeat for every trusted secret, the
    /// current one first (the others enable the rotation cases).
    #[arg(
        long = "secret",
        value_name = "whsec_…",
        env = "HOOKSPEC_SECRET",
        value_delimiter = ' ',
        hide_env_values = true
    )]
    secrets: Vec<String>,
    /// A secret the endpoint must no longer accept (enables rotation/revoked-*).
    #[arg(long, value_name = "whsec_…")]
    revoked_secret: Option<String>,
    /// An Ed25519 signing key (`whsk_…`) whose public key the endpoint trusts (enables the
    /// v1a cases).
    #[arg(long, value_name = "whsk_…")]
    signing_key: Option<String>,
    /// The endpoint's observer URL: GET returns {"<webhook-id>": <times processed>}.
    /// Enables the duplicate/* effect cases.
    #[arg(long, value_name = "URL")]
    observe: Option<String>,
    /// NON-STRICT findings (SHOULD breaches) fail the run too.
    #[arg(long)]
    strict: bool,
    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Run only the cases matching GLOB (`*`, `?`; a bare family name selects the family).
    /// Repeatable.
    #[arg(long = "cases", value_name = "GLOB")]
    cases: Vec<String>,
    /// Skip the cases matching GLOB. Repeatable.
    #[arg(long = "skip", value_name = "GLOB")]
    skip: Vec<String>,
    /// Print the catalogue (id, level, title) and exit without sending anything.
    #[arg(long)]
    list: bool,
    /// Compare the findings with a baseline file: fail on new findings and on listed ones
    /// that no longer occur.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Write this run's findings as a baseline file (each with a reason to fill in).
    #[arg(long, value_name = "FILE")]
    write_expect: Option<PathBuf>,
    /// How many independent cases run at once.
    #[arg(long, default_value_t = check::DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    concurrency: usize,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Accept HMAC secrets of any non-empty length (the spec asks for 24 to 64 bytes).
    #[arg(long)]
    any_secret_length: bool,
    /// Replay vector files instead of the catalogue (repeatable). Each test is re-signed at
    /// send time. With a URL, the endpoint must trust the test groups' keys (pass them as
    /// --secret to replay only those groups); without one, each group runs against an
    /// embedded reference receiver configured with exactly its keys.
    #[arg(long = "vectors", value_name = "FILE", conflicts_with_all = ["list", "export_vectors"])]
    vectors: Vec<PathBuf>,
    /// Freeze every delivery of this run with a definite expectation as vector files in DIR
    /// (check-v1.json, check-v1a.json). The files contain the run's keys: use test keys.
    #[arg(long = "export-vectors", value_name = "DIR")]
    export_vectors: Option<PathBuf>,
    #[command(flatten)]
    gemini: SchemeArgs,
}

/// How the endpoint verifies: Standard Webhooks v1 (default), v1a with a public key, or
/// Gemini's per-request schemes with keys from a JWKS that hookspec serves itself.
#[derive(Debug, clap::Args)]
struct SchemeArgs {
    /// The endpoint's scheme: v1 (--secret), v1a (--signing-key; the endpoint trusts its
    /// whpk_), v1a-jwks or jwt (the endpoint fetches hookspec's key set from --jwks-listen).
    #[arg(long, value_name = "v1|v1a|v1a-jwks|jwt", value_parser = parse_scheme, default_value = "v1")]
    scheme: Scheme,
    /// Where hookspec serves its key set (v1a-jwks, jwt): the endpoint must be configured
    /// with http://ADDR/.well-known/jwks.json. hookspec rotates the keys during the run.
    #[arg(long, value_name = "ADDR")]
    jwks_listen: Option<std::net::SocketAddr>,
    /// The audience the endpoint accepts (jwt; required with a URL).
    #[arg(long, value_name = "AUD")]
    jwt_audience: Option<String>,
    /// The issuer the endpoint requires (jwt; enables jwt/wrong-issuer).
    #[arg(long, value_name = "ISS")]
    jwt_issuer: Option<String>,
    /// The endpoint verifies hookspec's binding claims (jwt): tokens carry webhook_id and
    /// body_sha256, and a token replayed with another body must be rejected.
    #[arg(long)]
    jwt_body_binding: bool,
    /// How long the key rotation cases wait for the endpoint to refetch the key set.
    #[arg(long, default_value = "65s", value_parser = parse_duration, value_name = "DURATION")]
    jwks_refetch_wait: Duration,
}

/// The audience of the embedded receiver when `--jwt-audience` is not given.
const EMBEDDED_AUDIENCE: &str = "https://hookspec.invalid/embedded-receiver";
/// The issuer the embedded receiver requires when `--jwt-issuer` is not given.
const EMBEDDED_ISSUER: &str = "https://hookspec.invalid/issuer";

/// Runs `hookspec check`.
pub fn run(args: Args) -> Outcome {
    // With --vectors, --cases/--skip select vector ids (`v1/tc_42`), not catalogue cases.
    let scheme = args.gemini.scheme;
    if scheme.uses_jwks() && args.export_vectors.is_some() {
        return Err(Failure::usage(
            "--export-vectors freezes v1 and v1a runs; the key-set schemes' stateless cases are in vectors/v1a-jwks.json and vectors/jwt.json",
        ));
    }
    let catalogue = if args.vectors.is_empty() {
        cases::catalogue_for(scheme)
    } else {
        Vec::new()
    };
    let (globs, skips) = if args.vectors.is_empty() {
        (&args.cases[..], &args.skip[..])
    } else {
        (&[][..], &[][..])
    };
    let selected = check::select::select(catalogue, globs, skips).map_err(|unmatched| {
        Failure::usage(format!(
            "no case matches {} (see hookspec check --list)",
            unmatched.join(", ")
        ))
    })?;
    if args.list {
        print!("{}", listing(&selected));
        return Ok(exit::OK);
    }
    let expect = match &args.expect {
        Some(path) => {
            Some(Baseline::read(path).map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    let report = if args.vectors.is_empty() {
        runtime.block_on(run_checks(&args, selected))?
    } else {
        runtime.block_on(replay_vectors(&args))?
    };

    let color = std::io::stdout().is_terminal();
    print!("{}", report::terminal::render(&report, color));
    let findings = report.cases.iter().any(|c| {
        matches!(
            c.verdict,
            report::Verdict::Failed | report::Verdict::NonStrict
        )
    });
    if findings {
        println!("{}", rerun_hint(&args));
    }
    if let Some(path) = &args.json {
        report::json::write(&report, path)
            .map_err(|e| Failure::tool(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        report::junit::write(&report, path)
            .map_err(|e| Failure::tool(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut code = report.exit_code();
    if let Some(baseline) = &expect {
        let c = baseline.compare(&report);
        println!(
            "baseline: {} accepted, {} new, {} resolved, {} unused",
            c.accepted.len(),
            c.new_findings.len(),
            c.resolved.len(),
            c.unused.len()
        );
        for id in &c.new_findings {
            println!("  new finding (not in the baseline): {id}");
        }
        for id in &c.resolved {
            println!("  listed but no longer found (update the baseline): {id}");
        }
        for id in &c.unused {
            println!("  listed, but the case did not run: {id}");
        }
        code = if c.passes() { exit::OK } else { exit::FINDINGS };
    }
    if let Some(path) = &args.write_expect {
        let baseline = Baseline::from_report(&report);
        baseline
            .write(path)
            .map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
        println!(
            "wrote {} finding(s) to {}: replace each TODO with the reason it is accepted",
            baseline.findings.len(),
            path.display()
        );
        if expect.is_none() {
            code = exit::OK;
        }
    }
    Ok(code)
}

/// Resolves the target (a URL, or the embedded receiver), runs the cases with a progress
/// bar on a terminal, and returns the report.
async fn run_checks(args: &Args, selected: Vec<cases::Case>) -> Result<Report, Failure> {
    let (mut config, _server) = match &args.url {
        Some(url) => (configure_url(args, url).await?, None),
        None => {
            let (config, server) = configure_embedded(args).await?;
            (config, Some(server))
        }
    };
    config.cases = selected;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };
    let on_event = |event: Event| match event {
        Event::Started { total } => bar.set_length(total as u64),
        Event::Finished { id, .. } => {
            bar.inc(1);
            bar.set_message(id);
        }
        _ => {}
    };
    let (keys, catalogue) = (config.keys.clone(), config.cases.clone());
    let result = check::run_recorded(config, &on_event).await;
    bar.finish_and_clear();
    let (report, sent) = result.map_err(check_failure)?;
    if let Some(dir) = &args.export_vectors {
        export_vectors(dir, &sent, &catalogue, &keys)?;
    }
    Ok(report)
}

fn check_failure(e: CheckError) -> Failure {
    Failure {
        exit: e.exit_code(),
        message: format!("{e} [{}]", e.code()),
    }
}

/// Writes the run's deliveries as vector files in `dir`.
fn export_vectors(
    dir: &std::path::Path,
    sent: &[cases::Sent],
    catalogue: &[cases::Case],
    keys: &Keys,
) -> Result<(), Failure> {
    let export = check::export::export(sent, catalogue, keys);
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::tool(format!("cannot create {}: {e}", dir.display())))?;
    for (name, file) in &export.files {
        let path = dir.join(name);
        std::fs::write(&path, file.to_json())
            .map_err(|e| Failure::tool(format!("cannot write {}: {e}", path.display())))?;
        eprintln!(
            "exported {} vectors to {} (it contains this run's keys)",
            file.number_of_tests,
            path.display()
        );
    }
    if export.skipped > 0 {
        eprintln!(
            "{} deliveries were not exported: their expectation depends on the endpoint's state or their headers are not UTF-8",
            export.skipped
        );
    }
    Ok(())
}

/// Replays `--vectors` files against the URL, or against embedded receivers.
async fn replay_vectors(args: &Args) -> Result<Report, Failure> {
    let mut files = Vec::new();
    for path in &args.vectors {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        let file = hookspec_engine::vectors::VectorFile::from_json(&text)
            .map_err(|e| Failure::usage(format!("invalid vector file {}: {e}", path.display())))?;
        files.push((path.display().to_string(), file));
    }
    let target = match &args.url {
        Some(url) => {
            check::http::Target::parse(url)
                .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
            let trusted = if args.secrets.is_empty() {
                None
            } else {
                Some(
                    args.secrets
                        .iter()
                        .enumerate()
                        .map(|(i, s)| parse_secret(s, i, args.any_secret_length))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            };
            check::replay::ReplayTarget::Url {
                url: url.clone(),
                trusted,
            }
        }
        None => check::replay::ReplayTarget::Embedded,
    };
    check::replay::replay(check::replay::Replay {
        files,
        target,
        cases: args.cases.clone(),
        skip: args.skip.clone(),
        timeout: args.timeout,
        strict: args.strict,
    })
    .await
    .map_err(check_failure)
}

async fn configure_url(args: &Args, url: &str) -> Result<Config, Failure> {
    let scheme = args.gemini.scheme;
    scheme_flags_fit(args)?;
    if scheme != Scheme::V1 {
        let mut config = configure_url_v1_keys(args, url, false)?;
        config.keys.secrets.clear();
        config.keys.revoked = None;
        match scheme {
            Scheme::V1a if config.keys.signing_key.is_none() => {
                return Err(Failure::usage(
                    "--scheme v1a needs --signing-key whsk_… (the endpoint trusts its whpk_ public key)",
                ));
            }
            Scheme::V1aJwks | Scheme::Jwt => {
                let Some(addr) = args.gemini.jwks_listen else {
                    return Err(Failure::usage(format!(
                        "--scheme {scheme} needs --jwks-listen ADDR: hookspec serves its keys at http://ADDR/.well-known/jwks.json, and the endpoint must be configured with that URL"
                    )));
                };
                if scheme == Scheme::Jwt && args.gemini.jwt_audience.is_none() {
                    return Err(Failure::usage(
                        "--scheme jwt needs --jwt-audience AUD (the audience the endpoint accepts)",
                    ));
                }
                let key_set = start_key_set(args, addr).await?;
                // The v1a family runs with the key set's primary Ed25519 key.
                config.keys.signing_key = key_set.primary.ed25519().cloned();
                eprintln!(
                    "hookspec check: serving the key set at {} (the endpoint must fetch its keys there)",
                    key_set.url()
                );
                config.keys.key_set = Some(key_set);
            }
            _ => {}
        }
        return Ok(config);
    }
    configure_url_v1_keys(args, url, true)
}

/// Refuses scheme flags that do not fit `--scheme`.
fn scheme_flags_fit(args: &Args) -> Result<(), Failure> {
    let g = &args.gemini;
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

/// Generates hookspec's keys for the scheme and serves them on `addr`.
async fn start_key_set(args: &Args, addr: std::net::SocketAddr) -> Result<KeySet, Failure> {
    let g = &args.gemini;
    let settings = JwtSettings {
        audience: g
            .jwt_audience
            .clone()
            .unwrap_or_else(|| EMBEDDED_AUDIENCE.to_string()),
        issuer: g.jwt_issuer.clone(),
        body_binding: g.jwt_body_binding,
    };
    let mut key_set = KeySet::start(g.scheme, &check::run_tag(), addr, settings)
        .await
        .map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
    key_set.refetch_wait = g.jwks_refetch_wait;
    Ok(key_set)
}

fn configure_url_v1_keys(args: &Args, url: &str, need_secret: bool) -> Result<Config, Failure> {
    if need_secret && args.secrets.is_empty() {
        return Err(Failure::usage(
            "give the endpoint's secret: --secret whsec_… (or set HOOKSPEC_SECRET)",
        ));
    }
    let secrets = args
        .secrets
        .iter()
        .enumerate()
        .map(|(i, s)| parse_secret(s, i, args.any_secret_length))
        .collect::<Result<Vec<_>, _>>()?;
    let revoked = match &args.revoked_secret {
        Some(text) => Some(parse_revoked(text, args.any_secret_length)?),
        None => None,
    };
    let signing_key = match &args.signing_key {
        Some(text) => Some(
            SigningKey::parse(text)
                .map_err(|e| Failure::usage(format!("--signing-key: {e} [{}]", e.code())))?,
        ),
        None => None,
    };
    let config = Config {
        url: url.to_string(),
        keys: Keys {
            secrets,
            revoked,
            signing_key,
            key_set: None,
        },
        observe: args.observe.clone(),
        strict: args.strict,
        cases: Vec::new(),
        concurrency: args.concurrency,
        timeout: args.timeout,
        repro_dir: None,
        target_label: None,
    };
    // Fail on a malformed URL before anything is sent.
    check::http::Target::parse(url).map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
    if let Some(observe) = &args.observe {
        check::http::Target::parse(observe)
            .map_err(|e| Failure::usage(format!("--observe: {e} [{}]", e.code())))?;
    }
    Ok(config)
}

fn parse_revoked(text: &str, any_length: bool) -> Result<Secret, Failure> {
    parse_secret(text, 0, any_length).map_err(|f| Failure {
        exit: f.exit,
        message: f.message.replacen("--secret #1", "--revoked-secret", 1),
    })
}

/// The embedded reference receiver: two trusted secrets (current and previous), a revoked
/// one it does not trust, and a trusted Ed25519 key, so that every case runs.
async fn configure_embedded(args: &Args) -> Result<(Config, RunningServer), Failure> {
    if args.observe.is_some()
        || args.revoked_secret.is_some()
        || args.signing_key.is_some()
        || args.gemini.jwks_listen.is_some()
    {
        return Err(Failure::usage(
            "--observe, --revoked-secret, --signing-key and --jwks-listen need a URL; without one, hookspec check runs against an embedded receiver with fresh keys",
        ));
    }
    scheme_flags_fit(args)?;
    if args.gemini.scheme != Scheme::V1 {
        return configure_embedded_scheme(args).await;
    }
    if !args.secrets.is_empty() {
        eprintln!(
            "hookspec check: no URL, so the embedded reference receiver is checked with fresh secrets (--secret and HOOKSPEC_SECRET are used only with a URL)"
        );
    }
    let fresh = || Secret::generate().map_err(|e| Failure::tool(format!("{e} [{}]", e.code())));
    let (current, previous, revoked) = (fresh()?, fresh()?, fresh()?);
    let signing_key =
        SigningKey::generate().map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
    let verifier = Verifier::new()
        .with_secret(current.clone())
        .with_secret(previous.clone())
        .with_public_key(signing_key.public_key());
    let server = hookspec_engine::serve::spawn(
        ServeConfig::new(verifier)
            .addr(([127, 0, 0, 1], 0).into())
            .log(LogSink::Off),
    )
    .await
    .map_err(|e| {
        Failure::tool(format!(
            "cannot start the embedded receiver: {e} [{}]",
            e.code()
        ))
    })?;
    let url = server.base_url();
    let config = Config {
        target_label: Some(format!("{url} (embedded reference receiver)")),
        url,
        keys: Keys {
            secrets: vec![current, previous],
            revoked: Some(revoked),
            signing_key: Some(signing_key),
            key_set: None,
        },
        observe: Some(server.observe_url()),
        strict: args.strict,
        cases: Vec::new(),
        concurrency: args.concurrency,
        timeout: args.timeout,
        repro_dir: None,
    };
    Ok((config, server))
}

/// How to re-run one case with fresh signatures (secrets by reference, never by value).
fn rerun_hint(args: &Args) -> String {
    let q = |text: &str| check::repro::shell_quote(text.as_bytes());
    let g = &args.gemini;
    // Keys by reference, never by value; the key-set schemes make fresh keys each run.
    let scheme = match g.scheme {
        Scheme::V1 => String::new(),
        Scheme::V1a => " --scheme v1a --signing-key whsk_…".to_string(),
        other => {
            let mut flags = format!(" --scheme {other}");
            if let (Some(addr), true) = (g.jwks_listen, args.url.is_some()) {
                flags.push_str(&format!(" --jwks-listen {addr}"));
            }
            for (flag, value) in [
                ("--jwt-audience", &g.jwt_audience),
                ("--jwt-issuer", &g.jwt_issuer),
            ] {
                if let Some(value) = value {
                    flags.push_str(&format!(" {flag} {}", q(value)));
                }
            }
            if g.jwt_body_binding {
                flags.push_str(" --jwt-body-binding");
            }
            flags
        }
    };
    match &args.url {
        Some(url) => {
            let observe = args
                .observe
                .as_deref()
                .map(|o| format!(" --observe {}", q(o)))
                .unwrap_or_default();
            let secret = if g.scheme == Scheme::V1 {
                " --secret \"$HOOKSPEC_SECRET\""
            } else {
                ""
            };
            format!(
                "re-run one case, freshly signed: hookspec check {}{secret}{scheme}{observe} --cases ID",
                q(&check::http::redact_userinfo(url))
            )
        }
        None => format!("re-run one case: hookspec check{scheme} --cases ID"),
    }
}

/// The catalogue as printed by `--list`: id, level, title, and what the case needs.
pub fn listing(cases: &[cases::Case]) -> String {
    let mut out = String::new();
    for case in cases {
        // The key set is implied by the scheme the catalogue was listed for.
        let need = match case.need {
            cases::Need::KeySet => "",
            other => other.as_str(),
        };
        let need = if need.is_empty() {
            String::new()
        } else {
            format!("  [needs {need}]")
        };
        out.push_str(&format!(
            "{:<40} {:<6} {}{need}\n",
            case.id,
            case.level.as_str(),
            case.title
        ));
    }
    out.push_str(&format!("{} cases\n", cases.len()));
    out
}

/// The embedded reference receiver for `--scheme v1a | v1a-jwks | jwt`: it accepts only
/// that scheme, with fresh keys (for the key-set schemes, hookspec's own key set on a free
/// loopback port, refetched at most once a second so the rotation cases stay quick).
async fn configure_embedded_scheme(args: &Args) -> Result<(Config, RunningServer), Failure> {
    let scheme = args.gemini.scheme;
    if !args.secrets.is_empty() {
        eprintln!(
            "hookspec check: no URL, so the embedded reference receiver is checked with fresh keys (--secret and HOOKSPEC_SECRET are not used)"
        );
    }
    let mut keys = Keys {
        secrets: Vec::new(),
        revoked: None,
        signing_key: None,
        key_set: None,
    };
    let config = match scheme {
        Scheme::V1a => {
            let key =
                SigningKey::generate().map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
            let verifier = Verifier::new().with_public_key(key.public_key());
            keys.signing_key = Some(key);
            ServeConfig::new(verifier)
        }
        _ => {
            // Every case runs: an issuer is required, and tokens carry the binding claims
            // (verified when present, required only with --jwt-body-binding).
            let mut key_set = start_key_set(args, ([127, 0, 0, 1], 0).into()).await?;
            let require_binding = key_set.jwt.body_binding;
            key_set.jwt.body_binding = true;
            key_set
                .jwt
                .issuer
                .get_or_insert_with(|| EMBEDDED_ISSUER.to_string());
            key_set.retry_every = Duration::from_millis(250);
            key_set.refetch_wait = args.gemini.jwks_refetch_wait.min(Duration::from_secs(15));
            let policy = CachePolicy::default().min_refetch_interval(Duration::from_secs(1));
            let cache = JwksCache::new(&key_set.url(), policy)
                .map_err(|e| Failure::tool(format!("{e} [{}]", e.code())))?;
            let mut verifier = JwksVerifier::new()
                .accept_v1a(scheme == Scheme::V1aJwks)
                .accept_jwt(scheme == Scheme::Jwt)
                .audience(key_set.jwt.audience.clone())
                .require_body_binding(require_binding);
            if let Some(issuer) = &key_set.jwt.issuer {
                verifier = verifier.issuer(issuer.clone());
            }
            keys.signing_key = key_set.primary.ed25519().cloned();
            keys.key_set = Some(key_set);
            ServeConfig::with_async_authenticator(JwksAuthenticator::new(
                std::sync::Arc::new(cache),
                verifier,
            ))
        }
    };
    let server =
        hookspec_engine::serve::spawn(config.addr(([127, 0, 0, 1], 0).into()).log(LogSink::Off))
            .await
            .map_err(|e| {
                Failure::tool(format!(
                    "cannot start the embedded receiver: {e} [{}]",
                    e.code()
                ))
            })?;
    let url = server.base_url();
    let config = Config {
        target_label: Some(format!(
            "{url} (embedded reference receiver, scheme {scheme})"
        )),
        url,
        keys,
        observe: Some(server.observe_url()),
        strict: args.strict,
        cases: Vec::new(),
        concurrency: args.concurrency,
        timeout: args.timeout,
        repro_dir: None,
    };
    Ok((config, server))
}
