//! `hookspec serve`: run the reference receiver until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use hookspec::ErrorCode;
use hookspec::Scheme;
use hookspec::{JwksVerifier, Verifier};
use hookspec_engine::exit;
use hookspec_engine::jwks_cache::CachePolicy;
use hookspec_engine::net::redact_userinfo;
use hookspec_engine::serve::{DEFAULT_OBSERVE_PATH, ServeConfig, ServeError, spawn};

use super::keys::TrustedKeys;
use super::server_args::ServerArgs;
use super::{Failure, Outcome, parse_duration};

/// Arguments of `hookspec serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    keys: TrustedKeys,
    /// The path of the observer endpoint (GET: JSON map of webhook-id to times acted on).
    #[arg(long, default_value = DEFAULT_OBSERVE_PATH)]
    observe_path: String,
    /// Timestamp tolerance each way.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    tolerance: Duration,
    /// The largest body accepted (larger: 413), e.g. 5MiB, 512KiB, 1048576.
    #[arg(long, default_value = "5MiB", value_parser = parse_size)]
    max_body: usize,
    /// The most webhook-ids remembered for deduplication (up to about 137 bytes each; the
    /// default cap takes about 137 MB). When full, a delivery with a new id is answered 503
    /// until ids expire after 24 h; known ids are still recognised.
    #[arg(long, default_value = "1000000", value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    max_ids: u64,
    #[command(flatten)]
    server: ServerArgs,
    /// On SIGTERM or Ctrl-C, time in-flight requests get to finish before the remaining
    /// connections are closed and serve exits 0.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    shutdown_grace: Duration,
    /// Ignore svix-id / svix-timestamp / svix-signature (read by default when no webhook-*
    /// header is present).
    #[arg(long)]
    no_svix_aliases: bool,
    #[command(flatten)]
    gemini: GeminiArgs,
}

/// The scheme flags (Gemini's static and per-request webhooks).
#[derive(Debug, clap::Args)]
pub struct GeminiArgs {
    /// Accept only this scheme: v1 (--secret), v1a (--public-key), v1a-jwks (v1a entries
    /// against the Ed25519 keys of --jwks) or jwt (RS256 JWTs against the RSA keys of
    /// --jwks; needs --jwt-audience). Omitted: whatever the keys given allow (with --jwks:
    /// both v1a-jwks and jwt).
    #[arg(long, value_name = "v1|v1a|v1a-jwks|jwt", value_parser = parse_scheme)]
    pub scheme: Option<Scheme>,
    /// Verify with the keys of the JWKS at this URL (fetched on the first delivery, cached
    /// for its max-age, refetched when a delivery names a key it lacks).
    #[arg(long, value_name = "URL")]
    pub jwks: Option<String>,
    /// An accepted JWT audience (repeatable). Required to accept JWT deliveries.
    #[arg(long = "jwt-audience", value_name = "AUD", requires = "jwks")]
    pub jwt_audiences: Vec<String>,
    /// The required JWT issuer (`iss`). Omitted: `iss` is not checked.
    #[arg(long = "jwt-issuer", value_name = "ISS", requires = "jwks")]
    pub jwt_issuer: Option<String>,
    /// Refuse JWTs without a `body_sha256` claim (hookspec's body binding; Google
    /// documents none, so this is off by default).
    #[arg(long, requires = "jwks")]
    pub jwt_require_body_binding: bool,
    /// The shortest time between two fetches of the JWKS, whatever triggers them (a flood
    /// of forged deliveries naming unknown keys cannot make the receiver hammer the key
    /// server).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub jwks_refetch_interval: Duration,
}

/// Parses `--scheme`.
pub fn parse_scheme(text: &str) -> Result<Scheme, String> {
    Scheme::parse(text)
        .ok_or_else(|| format!("unknown scheme {text:?} (use v1, v1a, v1a-jwks or jwt)"))
}

/// Parses a byte size: a whole number with an optional unit (`B`, `KiB`, `MiB`, `GiB`,
/// `KB`, `MB`, `GB`; case-insensitive).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?} (examples: 5MiB, 512KiB, 1048576)"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KiB, MiB, GiB)"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

/// What the receiver accepts, as one line for the start-up message (a key-set URL without
/// its `user:password@`).
fn describe(scheme: Option<Scheme>, jwks: Option<&str>) -> String {
    let jwks = jwks.map(redact_userinfo);
    match (scheme, jwks.as_deref()) {
        (Some(scheme), Some(url)) => format!("scheme {scheme}, keys from {url}"),
        (None, Some(url)) => format!("schemes v1a-jwks and jwt, keys from {url}"),
        (Some(scheme), None) => format!("scheme {scheme}"),
        (None, None) => "the keys given".to_owned(),
    }
}

/// The receiver configuration for the scheme flags, or a usage error naming the flag
/// that does not fit.
fn config(args: &Args) -> Result<ServeConfig, Failure> {
    let g = &args.gemini;
    let has_secrets = !args.keys.secrets.is_empty();
    let has_public = !args.keys.public_keys.is_empty();
    let jwt_flags =
        !g.jwt_audiences.is_empty() || g.jwt_issuer.is_some() || g.jwt_require_body_binding;
    let refuse = |message: &str| Err(Failure::usage(message.to_owned()));
    match g.scheme {
        Some(Scheme::V1) if has_public || g.jwks.is_some() => {
            return refuse("--scheme v1 takes --secret only (no --public-key, no --jwks)");
        }
        Some(Scheme::V1) if !has_secrets => {
            return refuse("--scheme v1 needs at least one --secret whsec_…");
        }
        Some(Scheme::V1a) if has_secrets || g.jwks.is_some() => {
            return refuse(
                "--scheme v1a takes --public-key only (no --secret; for keys from a JWKS use --scheme v1a-jwks)",
            );
        }
        Some(Scheme::V1a) if !has_public => {
            return refuse("--scheme v1a needs at least one --public-key whpk_…");
        }
        Some(Scheme::V1aJwks | Scheme::Jwt) if g.jwks.is_none() => {
            return refuse("--scheme v1a-jwks and --scheme jwt need --jwks URL");
        }
        Some(Scheme::V1aJwks) if jwt_flags => {
            return refuse(
                "--jwt-audience, --jwt-issuer and --jwt-require-body-binding apply to --scheme jwt only",
            );
        }
        Some(Scheme::Jwt) if g.jwt_audiences.is_empty() => {
            return refuse(
                "--scheme jwt needs --jwt-audience AUD (a token minted for anyone else must not pass)",
            );
        }
        _ => {}
    }
    let Some(url) = g.jwks.as_deref() else {
        let verifier = args.keys.apply(
            Verifier::new()
                .tolerance(args.tolerance)
                .svix_aliases(!args.no_svix_aliases),
        )?;
        return Ok(ServeConfig::new(verifier));
    };
    if has_secrets || has_public {
        return refuse(
            "--jwks replaces --secret / --public-key; serve static (v1) webhooks with another receiver",
        );
    }
    let policy = CachePolicy::default().min_refetch_interval(g.jwks_refetch_interval);
    let mut verifier = JwksVerifier::new()
        .tolerance(args.tolerance)
        .svix_aliases(!args.no_svix_aliases)
        .accept_v1a(g.scheme != Some(Scheme::Jwt))
        .accept_jwt(g.scheme != Some(Scheme::V1aJwks))
        .require_body_binding(g.jwt_require_body_binding);
    for audience in &g.jwt_audiences {
        verifier = verifier.audience(audience.clone());
    }
    if let Some(issuer) = &g.jwt_issuer {
        verifier = verifier.issuer(issuer.clone());
    }
    ServeConfig::from_key_set(url, policy, verifier)
        .map_err(|e| Failure::usage(format!("--jwks: {e} [{}]", e.code())))
}

/// Runs `hookspec serve`.
pub fn run(args: Args) -> Outcome {
    let accepts = describe(args.gemini.scheme, args.gemini.jwks.as_deref());
    let config = config(&args)?
        .addr(args.addr)
        .observe_path(args.observe_path)
        .max_body(args.max_body)
        .max_ids(usize::try_from(args.max_ids).unwrap_or(usize::MAX))
        .server_options(args.server.options().shutdown_grace(args.shutdown_grace));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let server = spawn(config).await.map_err(|e| match e {
            ServeError::Bind { .. } => Failure::tool(e.to_string()),
            _ => Failure::usage(e.to_string()),
        })?;
        println!(
            "hookspec serve: listening on {} (observer: {}; accepting {accepts}); Ctrl-C to stop",
            server.base_url(),
            server.observe_url()
        );
        shutdown_signal().await;
        eprintln!(
            "hookspec serve: shutting down (in-flight requests get {})",
            humantime::format_duration(args.shutdown_grace)
        );
        server
            .shutdown()
            .await
            .map_err(|e| Failure::tool(format!("server error: {e}")))?;
        Ok(exit::OK)
    })
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, wait forever: the process can still be killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5MiB"), Ok(5 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2 mb"), Ok(2_000_000));
        assert!(parse_size("").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("5XB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
