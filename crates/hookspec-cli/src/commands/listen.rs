//! `hookspec listen`: host a receiver with scripted responses, grade the sender that
//! delivers to it, and report like `check` (exit 0 / 1 / 2 / 3).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hookspec::ErrorCode;
use hookspec::{JwksVerifier, Verifier};
use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};
use hookspec_engine::listen::{
    self, AttemptEnd, JwksKeys, ListenConfig, Listener, Notice, Recording, Script, Step, StopReason,
};
use hookspec_engine::net::redact_userinfo;
use hookspec_engine::report::{Report, terminal};

use super::keys::TrustedKeys;
use super::report_args::ReportArgs;
use super::server_args::ServerArgs;
use super::transport_args::{TransportArgs, warn_if_insecure};
use super::{Failure, Outcome, parse_duration};

/// Arguments of `hookspec listen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; point the sender at http://ADDR/ (any path).
    #[arg(long, default_value = "127.0.0.1:8090")]
    addr: SocketAddr,
    #[command(flatten)]
    keys: TrustedKeys,
    /// A JWKS URL (https, or http on loopback) to take the sender's keys from, fetched once
    /// before listening: `v1a` entries are tried against its Ed25519 keys, RS256 JWTs
    /// against its RSA keys. Combines with --secret / --public-key.
    #[arg(long, value_name = "URL")]
    jwks: Option<String>,
    /// An accepted JWT audience (repeatable); RS256 JWT deliveries need one.
    #[arg(long = "jwt-audience", value_name = "AUD", requires = "jwks")]
    jwt_audiences: Vec<String>,
    /// What to answer to attempt 1, 2, … of each webhook-id: `503,503,200`, `timeout,200`,
    /// `429:retry-after=2,200`, `410`, `301,200`. The last step repeats once used up.
    #[arg(long, value_name = "SCRIPT", default_value = "200")]
    respond: String,
    /// Stop once this many webhook-ids have completed the script (plus --grace).
    #[arg(long, value_name = "N")]
    expect_events: Option<usize>,
    /// Stop after this long in any case.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    duration: Duration,
    /// How long to keep listening after the expected events completed, to catch unwanted
    /// extra attempts (a retry after a 2xx or a 410, a followed redirect).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    grace: Duration,
    /// How long a `timeout` step holds the connection at most before answering 504.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    hold: Duration,
    #[command(flatten)]
    server: ServerArgs,
    /// How far webhook-timestamp may be from the listener's clock.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    tolerance: Duration,
    /// Fail the run on NON-STRICT findings too.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    reports: ReportArgs,
    /// How the --jwks URL is fetched (extra CA certificates, client certificate, headers).
    #[command(flatten)]
    transport: TransportArgs,
}

/// Runs `hookspec listen`.
pub fn run(args: Args) -> Outcome {
    let script = Script::parse(&args.respond)
        .map_err(|e| Failure::usage(format!("--respond {:?}: {e} [{}]", args.respond, e.code())))?;
    if args.expect_events == Some(0) {
        return Err(Failure::usage("--expect-events must be at least 1"));
    }
    let no_static_keys = args.keys.secrets.is_empty() && args.keys.public_keys.is_empty();
    let verifier = if args.jwks.is_some() && no_static_keys {
        Verifier::new()
    } else {
        args.keys.apply(Verifier::new())?
    };
    if args.jwks.is_none() && args.transport.any() {
        return Err(Failure::usage(
            "--cacert, --insecure, --client-cert, --client-key and --header apply to the --jwks fetch: give --jwks URL",
        ));
    }
    let transport = args.transport.transport()?;
    let cache = args
        .jwks
        .as_deref()
        .map(|url| JwksCache::with_transport(url, CachePolicy::default(), &transport))
        .transpose()
        .map_err(|e| {
            let why = hide_userinfo(&e.to_string(), args.jwks.as_deref());
            Failure::usage(format!("--jwks: {why} [{}]", e.code()))
        })?;
    warn_if_insecure("listen", &transport);
    let mut config = ListenConfig {
        script,
        verifier,
        jwks: None,
        tolerance: args.tolerance,
        expect_events: args.expect_events,
        duration: args.duration,
        grace: args.grace,
        hold: args.hold,
        server: args.server.options(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    let started = SystemTime::now();
    let (recording, url) = runtime.block_on(async {
        if let Some(cache) = &cache {
            let set = cache.keys().await.map_err(|e| {
                Failure::tool(format!(
                    "cannot fetch the JWKS {}: {} [{}]",
                    redact_userinfo(cache.url()),
                    hide_userinfo(&e.to_string(), Some(cache.url())),
                    e.code()
                ))
            })?;
            for skipped in set.skipped() {
                let skipped = hide_userinfo(&skipped.to_string(), Some(cache.url()));
                eprintln!("hookspec listen: note: JWKS {skipped}");
            }
            let mut verifier = JwksVerifier::new();
            for audience in &args.jwt_audiences {
                verifier = verifier.audience(audience.clone());
            }
            config.jwks = Some(JwksKeys { set, verifier });
        }
        let listener = Listener::bind(args.addr)
            .await
            .map_err(|e| Failure::tool(format!("cannot listen on {}: {e}", args.addr)))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::tool(format!("cannot read the bound address: {e}")))?;
        let url = format!("http://{local}/");
        eprintln!(
            "hookspec listen: listening on {url} (respond {}; {}; at most {})",
            config.script,
            match config.expect_events {
                Some(n) => format!(
                    "until {n} event(s) complete, then {} grace",
                    fmt(config.grace)
                ),
                None => "until --duration or Ctrl-C".to_string(),
            },
            fmt(config.duration)
        );
        let recording = listener
            .run(&config, Arc::new(print_notice), interrupted())
            .await;
        Ok::<_, Failure>((recording, url))
    })?;
    eprintln!("hookspec listen: {}", stop_line(&recording, &config));

    let mut report = Report::new(
        "listen",
        &format!("{url} (respond {})", config.script),
        started,
        args.strict,
    );
    if transport.is_insecure() {
        report
            .notes
            .push(hookspec_engine::transport::INSECURE_NOTE.to_string());
    }
    report.finish(
        listen::grade(&recording, &config),
        started.elapsed().unwrap_or_default(),
    );
    // With no attempt every case is UNSUPPORTED: the one-line error below says it better.
    if !recording.attempts.is_empty() {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", terminal::render(&report, color));
    }
    args.reports.write(&report)?;
    if recording.attempts.is_empty() {
        return Err(Failure::tool(format!(
            "no delivery arrived at {url} within {}",
            fmt(recording.stopped)
        )));
    }
    Ok(report.exit_code())
}

/// `text` with the `user:password@` of `url` removed wherever `url` appears in it (the
/// key-set client's messages quote its URL).
fn hide_userinfo(text: &str, url: Option<&str>) -> String {
    let Some(url) = url else {
        return text.to_string();
    };
    let mut text = text.to_string();
    // The URL as given, and as the URL parser writes it (with a trailing `/`).
    let mut forms = vec![url.to_string()];
    if let Ok(parsed) = reqwest::Url::parse(url) {
        forms.push(parsed.to_string());
    }
    for form in forms {
        let shown = redact_userinfo(&form);
        if shown != form {
            text = text.replace(&form, &shown);
        }
    }
    text
}

/// Completes on Ctrl-C; never, where signals cannot be received.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn stop_line(recording: &Recording, config: &ListenConfig) -> String {
    let completed = match config.expect_events {
        Some(n) if recording.completed_events < n => format!(
            "; only {} of {n} expected event(s) completed the script",
            recording.completed_events
        ),
        _ => format!(
            "; {} event(s) completed the script",
            recording.completed_events
        ),
    };
    let why = match recording.stop {
        StopReason::ExpectedEvents => {
            "stopped: the expected events completed and the grace period passed"
        }
        StopReason::Duration => "stopped: --duration passed",
        StopReason::Interrupted => "stopped: interrupted",
        _ => "stopped",
    };
    format!(
        "{why} after {} ({} attempt(s){completed})",
        fmt(recording.stopped),
        recording.attempts.len()
    )
}

fn print_notice(notice: &Notice) {
    match notice {
        Notice::Arrived {
            seq,
            key,
            number,
            method,
            path,
            body_len,
            step,
            followed_redirect,
            at,
        } => {
            let id = if key.is_empty() {
                "no webhook-id".to_string()
            } else {
                format!("webhook-id {}", listen::loggable(key))
            };
            let (method, path) = (listen::loggable(method), listen::loggable(path));
            let followed = if *followed_redirect {
                " (followed a redirect)"
            } else {
                ""
            };
            let answer = match step {
                Step::Timeout => "holding (timeout)".to_string(),
                other => other.to_string(),
            };
            eprintln!(
                "#{seq} +{} {method} {path}{followed} {id} attempt {number} ({body_len} B) -> {answer}",
                secs(*at)
            );
        }
        Notice::HoldEnded { seq, end, held } => {
            let what = match end {
                AttemptEnd::SenderGaveUp(_) => "the sender gave up".to_string(),
                AttemptEnd::HoldLimit(_) => {
                    format!("hold limit reached, answered {}", listen::HOLD_LIMIT_STATUS)
                }
                _ => "released: the listener stopped".to_string(),
            };
            eprintln!("#{seq} {what} after {}", secs(*held));
        }
        Notice::Refused {
            method,
            path,
            reason,
        } => eprintln!(
            "refused {} {}: {reason}",
            listen::loggable(method),
            listen::loggable(path)
        ),
        _ => {}
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn fmt(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
    ))
    .to_string()
}
