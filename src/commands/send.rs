//! `hookspec send`: sign a body and POST it like a real sender, with retries.

use std::time::Duration;

use hookspec::send::{Attempt, Message, Outcome as AttemptOutcome, RetryPolicy, deliver};
use hookspec::{exit, net};

use super::keys::SigningKeys;
use super::{Failure, Outcome, parse_duration, read_body};

/// Arguments of `hookspec send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The endpoint to POST to (http:// or https://).
    url: String,
    #[command(flatten)]
    keys: SigningKeys,
    /// The webhook-id, the same on every attempt. Defaults to a fresh random `msg_…` id.
    #[arg(long)]
    id: Option<String>,
    /// Retries after the first attempt, on any non-2xx status, timeout or connection error.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Delay before the first retry; it doubles on each later retry. `Retry-After` wins when longer.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    backoff: Duration,
    /// Per-attempt timeout (the spec recommends 15 to 30 s).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    timeout: Duration,
    /// The content-type header.
    #[arg(long, default_value = "application/json")]
    content_type: String,
    /// The body file, or `-` for standard input. Omitted: an empty body.
    #[arg(value_name = "BODY_FILE|-")]
    body: Option<std::path::PathBuf>,
}

/// A fresh `msg_` id with 128 random bits.
pub fn random_id() -> Result<String, Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::tool(format!("random source unavailable: {e}")))?;
    Ok(format!(
        "msg_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Runs `hookspec send`.
pub fn run(args: Args) -> Outcome {
    let signer = args.keys.signer()?;
    let body = read_body(args.body.as_deref())?;
    let url = reqwest::Url::parse(&args.url)
        .map_err(|e| Failure::usage(format!("invalid URL {:?}: {e}", args.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::usage(format!(
            "unsupported URL scheme {:?}: use http or https",
            url.scheme()
        )));
    }
    let id = match args.id {
        Some(id) => id,
        None => random_id()?,
    };
    let policy = RetryPolicy {
        retries: args.retries,
        backoff: args.backoff,
        ..RetryPolicy::default()
    };
    let client = net::http_client(args.timeout)
        .map_err(|e| Failure::tool(format!("cannot build the HTTP client: {e}")))?;
    let message = Message {
        id: &id,
        body: &body,
        content_type: &args.content_type,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    println!("POST {url} webhook-id {id} ({} bytes)", body.len());
    let delivery = runtime
        .block_on(deliver(
            &client,
            url.as_str(),
            &signer,
            &message,
            &policy,
            print_attempt,
        ))
        .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
    if delivery.delivered() {
        println!("delivered after {} attempt(s)", delivery.attempts.len());
        Ok(exit::OK)
    } else if delivery.unreachable() {
        println!("not delivered: the endpoint could not be reached");
        Ok(exit::FAILURE)
    } else {
        println!("not delivered after {} attempt(s)", delivery.attempts.len());
        Ok(exit::FINDINGS)
    }
}

fn print_attempt(attempt: &Attempt) {
    let what = match &attempt.outcome {
        AttemptOutcome::Status { code, .. } => code.to_string(),
        AttemptOutcome::Unreachable(why) => why.clone(),
        _ => "unknown outcome".to_string(),
    };
    let next = match attempt.next_delay {
        Some(d) => format!("; retrying in {}", humantime::format_duration(d)),
        None => match attempt.outcome {
            AttemptOutcome::Status { code: 410, .. } => {
                "; 410 Gone: stopping (the sender should disable this endpoint)".to_string()
            }
            _ => String::new(),
        },
    };
    println!(
        "attempt {}: {what} in {} ms (webhook-timestamp {}){next}",
        attempt.number,
        attempt.latency.as_millis(),
        attempt.timestamp
    );
}
