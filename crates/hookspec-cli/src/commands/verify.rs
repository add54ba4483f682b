//! `hookspec verify`: run the reference verifier on a delivery given as headers and a body.

use std::time::Duration;

use hookspec::{ErrorCode, Scheme, Verifier};
use hookspec_engine::exit;

use super::keys::TrustedKeys;
use super::{Failure, Outcome, parse_duration, read_body};

/// Arguments of `hookspec verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    keys: TrustedKeys,
    /// A request header as `name: value` (repeatable). Surrounding spaces and tabs of the
    /// value are trimmed, as HTTP does.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Verify as if the time were this Unix timestamp. Defaults to now.
    #[arg(long)]
    now: Option<u64>,
    /// Timestamp tolerance each way.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    tolerance: Duration,
    /// Ignore svix-id / svix-timestamp / svix-signature (read by default when no webhook-*
    /// header is present).
    #[arg(long)]
    no_svix_aliases: bool,
    /// Verify with the keys of the JWKS at this URL instead of --secret / --public-key
    /// (Gemini per-request webhooks): `v1a` entries against its Ed25519 keys, or a
    /// webhook-signature that is an RS256 JWT against its RSA keys (by `kid`).
    #[arg(long, value_name = "URL")]
    jwks: Option<String>,
    /// An accepted JWT audience (repeatable). Required to accept JWT deliveries.
    #[arg(long = "jwt-audience", value_name = "AUD", requires = "jwks")]
    jwt_audiences: Vec<String>,
    /// The required JWT issuer (`iss`). Omitted: `iss` is not checked.
    #[arg(long = "jwt-issuer", value_name = "ISS", requires = "jwks")]
    jwt_issuer: Option<String>,
    /// The body file, or `-` for standard input. Omitted: an empty body.
    #[arg(value_name = "BODY_FILE|-")]
    body: Option<std::path::PathBuf>,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "expected `name: value`".to_string())?;
    let name = name.trim();
    if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(format!("invalid header name {name:?}"));
    }
    Ok((
        name.to_string(),
        value.trim_matches([' ', '\t']).to_string(),
    ))
}

/// Runs `hookspec verify`.
pub fn run(args: Args) -> Outcome {
    if args.jwks.is_some() {
        return jwks::run(args);
    }
    let verifier = args.keys.apply(
        Verifier::new()
            .tolerance(args.tolerance)
            .svix_aliases(!args.no_svix_aliases),
    )?;
    let body = read_body(args.body.as_deref())?;
    let result = match args.now {
        Some(now) => verifier.verify_at(&args.headers, &body, now),
        None => verifier.verify(&args.headers, &body),
    };
    match result {
        Ok(ok) => {
            let m = ok.matched;
            let key = match m.scheme {
                Scheme::V1 => verifier
                    .secrets()
                    .nth(m.key_index)
                    .map(|s| format!("secret #{} ({s})", m.key_index + 1)),
                _ => verifier
                    .public_keys()
                    .get(m.key_index)
                    .map(|k| format!("public key #{} ({k})", m.key_index + 1)),
            };
            println!(
                "OK: signature entry #{} ({}) matches {}; webhook-id {}, timestamp {}",
                m.entry_index + 1,
                m.scheme.as_str(),
                key.ok_or_else(|| Failure::tool("matched key index out of range"))?,
                ok.id,
                ok.timestamp
            );
            Ok(exit::OK)
        }
        Err(error) => {
            println!("FAILED {}: {error}", error.code());
            Ok(exit::FINDINGS)
        }
    }
}

/// `hookspec verify --jwks URL`: the key set is fetched once through the library's cache.
mod jwks {
    use hookspec::{ErrorCode, JwksVerifier, JwksVerifyError, Proof};
    use hookspec_engine::exit;
    use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};

    use super::{Args, Failure, Outcome, read_body};

    pub(super) fn run(args: Args) -> Outcome {
        if !args.keys.secrets.is_empty() || !args.keys.public_keys.is_empty() {
            return Err(Failure::usage(
                "--jwks replaces --secret / --public-key; verify static (v1) deliveries separately",
            ));
        }
        let url = args.jwks.as_deref().unwrap_or_default();
        let cache = JwksCache::new(url, CachePolicy::default())
            .map_err(|e| Failure::usage(format!("--jwks: {e} [{}]", e.code())))?;
        let mut verifier = JwksVerifier::new()
            .tolerance(args.tolerance)
            .svix_aliases(!args.no_svix_aliases);
        for audience in args.jwt_audiences {
            verifier = verifier.audience(audience);
        }
        if let Some(issuer) = args.jwt_issuer {
            verifier = verifier.issuer(issuer);
        }
        let body = read_body(args.body.as_deref())?;
        let now = args.now.unwrap_or_else(hookspec::internal::unix_now);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
        let result = runtime.block_on(async {
            let keys = cache.keys_at(now).await?;
            for skipped in keys.skipped() {
                eprintln!("note: JWKS {skipped}");
            }
            cache.verify_at(&verifier, &args.headers, &body, now).await
        });
        match result {
            Ok(ok) => {
                let kid = ok.kid.as_deref().unwrap_or("(none)");
                match &ok.proof {
                    Proof::V1a { entry_index, .. } => println!(
                        "OK: signature entry #{} (v1a) matches JWKS key kid {kid}; webhook-id {}, timestamp {}",
                        entry_index + 1,
                        ok.id,
                        ok.timestamp
                    ),
                    Proof::Jwt {
                        body_bound,
                        id_bound,
                        ..
                    } => {
                        println!(
                            "OK: RS256 JWT verified with JWKS key kid {kid}; webhook-id {}, timestamp {}; body bound: {}, id bound: {}",
                            ok.id,
                            ok.timestamp,
                            yes_no(*body_bound),
                            yes_no(*id_bound)
                        );
                        if !body_bound {
                            println!(
                                "note: the token has no body_sha256 claim, so nothing ties it to this body"
                            );
                        }
                    }
                    _ => println!("OK: webhook-id {}, timestamp {}", ok.id, ok.timestamp),
                }
                Ok(exit::OK)
            }
            Err(
                error @ (JwksVerifyError::FetchFailed { .. }
                | JwksVerifyError::Jwks(_)
                | JwksVerifyError::BadUrl { .. }),
            ) => Err(Failure::tool(format!("{error} [{}]", error.code()))),
            Err(error) => {
                println!("FAILED {}: {error}", error.code());
                Ok(exit::FINDINGS)
            }
        }
    }

    fn yes_no(value: bool) -> &'static str {
        if value { "yes" } else { "no" }
    }
}
