//! `hookspec sign`: print the three headers for a body.

use hookspec::internal::unix_now;
use hookspec::{ErrorCode, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};
use hookspec_engine::exit;

use super::keys::SigningKeys;
use super::{Outcome, read_body};

/// Arguments of `hookspec sign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    keys: SigningKeys,
    /// The webhook-id. Defaults to a fresh random `msg_…` id.
    #[arg(long)]
    id: Option<String>,
    /// The webhook-timestamp in Unix seconds. Defaults to now.
    #[arg(long)]
    timestamp: Option<u64>,
    /// The body file, or `-` for standard input. Omitted: an empty body.
    #[arg(value_name = "BODY_FILE|-")]
    body: Option<std::path::PathBuf>,
}

/// Runs `hookspec sign`.
pub fn run(args: Args) -> Outcome {
    let signer = args.keys.signer()?;
    let body = read_body(args.body.as_deref())?;
    let id = match args.id {
        Some(id) => id,
        None => super::send::random_id()?,
    };
    let timestamp = args.timestamp.unwrap_or_else(unix_now);
    let signature = signer
        .sign(&id, timestamp, &body)
        .map_err(|e| super::Failure::usage(format!("{e} [{}]", e.code())))?;
    println!("{}: {id}", WEBHOOK_ID);
    println!("{}: {timestamp}", WEBHOOK_TIMESTAMP);
    println!("{}: {signature}", WEBHOOK_SIGNATURE);
    Ok(exit::OK)
}
