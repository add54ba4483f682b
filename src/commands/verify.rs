//! `hookspec verify`: run the reference verifier on a delivery given as headers and a body.

use std::time::Duration;

use hookspec::{Scheme, Verifier, exit};

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
                m.scheme.token(),
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
