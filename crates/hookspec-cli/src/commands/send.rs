//! `hookspec send`: sign a body and POST it like a real sender, with retries.

use std::time::Duration;

use hookspec::internal::unix_now;
use hookspec::{ErrorCode, JwtSigner, RsaSigningKey};
use hookspec_engine::gemini::Event;
use hookspec_engine::net::redact_userinfo;
use hookspec_engine::send::{
    Attempt, Message, Outcome as AttemptOutcome, RetryPolicy, SignAttempt, deliver,
};
use hookspec_engine::{exit, net};

use super::keys::SigningKeys;
use super::transport_args::{TransportArgs, warn_if_insecure};
use super::{Failure, Outcome, parse_duration, parse_timeout, read_body};

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
    #[arg(long, default_value = "15s", value_parser = parse_timeout)]
    timeout: Duration,
    /// The content-type header.
    #[arg(long, default_value = "application/json")]
    content_type: String,
    /// Send a realistic Gemini API event instead of a body file: batch.succeeded,
    /// batch.failed, batch.expired, batch.cancelled, interaction.requires_action,
    /// interaction.completed, interaction.failed, interaction.cancelled or video.generated
    /// (envelope {type, version, timestamp, data}).
    #[arg(long, value_name = "TYPE", value_parser = parse_event, conflicts_with = "body")]
    event: Option<Event>,
    #[command(flatten)]
    jwt: JwtArgs,
    #[command(flatten)]
    transport: TransportArgs,
    /// The body file, or `-` for standard input. Omitted: an empty body.
    #[arg(value_name = "BODY_FILE|-")]
    body: Option<std::path::PathBuf>,
}

/// Signing with an RS256 JWT (Gemini's documented per-request scheme) instead of
/// `--secret` / `--signing-key`.
#[derive(Debug, clap::Args)]
struct JwtArgs {
    /// Sign each attempt with an RS256 JWT made with this RSA private key (PEM file,
    /// PKCS#8 or PKCS#1); the whole webhook-signature is the token.
    #[arg(long, value_name = "PEM_FILE", requires_all = ["jwt_kid", "jwt_audience"])]
    jwt_key: Option<std::path::PathBuf>,
    /// The `kid` of --jwt-key in the receiver's JWKS.
    #[arg(long, value_name = "KID", requires = "jwt_key")]
    jwt_kid: Option<String>,
    /// The token's `aud` (the receiver's configured audience).
    #[arg(long, value_name = "AUD", requires = "jwt_key")]
    jwt_audience: Option<String>,
    /// The token's `iss`. Omitted: no `iss` claim.
    #[arg(long, value_name = "ISS", requires = "jwt_key")]
    jwt_issuer: Option<String>,
    /// Leave out hookspec's binding claims (`webhook_id`, `body_sha256`), like the tokens
    /// Google documents.
    #[arg(long, requires = "jwt_key")]
    jwt_unbound: bool,
}

fn parse_event(text: &str) -> Result<Event, String> {
    Event::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Event::DOCUMENTED.iter().map(|e| e.name()).collect();
        format!("unknown event {text:?} (use one of {})", names.join(", "))
    })
}

/// The JWT signer for `--jwt-key`, or `None` without it.
fn jwt_signer(args: &JwtArgs) -> Result<Option<JwtSigner>, Failure> {
    let Some(path) = &args.jwt_key else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read --jwt-key {}: {e}", path.display())))?;
    let key = RsaSigningKey::from_pem(&pem)
        .map_err(|e| Failure::usage(format!("--jwt-key {}: {e} [{}]", path.display(), e.code())))?;
    let mut signer = JwtSigner::new(
        key,
        args.jwt_kid.clone().unwrap_or_default(),
        args.jwt_audience.clone().unwrap_or_default(),
    )
    .bind_id(!args.jwt_unbound)
    .bind_body(!args.jwt_unbound);
    if let Some(issuer) = &args.jwt_issuer {
        signer = signer.issuer(issuer.clone());
    }
    Ok(Some(signer))
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
    let signer: Box<dyn SignAttempt> = match jwt_signer(&args.jwt)? {
        Some(_) if !args.keys.secrets.is_empty() || !args.keys.signing_keys.is_empty() => {
            return Err(Failure::usage(
                "--jwt-key replaces --secret / --signing-key: a JWT is the whole webhook-signature",
            ));
        }
        Some(jwt) => Box::new(jwt),
        None => Box::new(args.keys.signer()?),
    };
    let shown_url = redact_userinfo(&args.url);
    let url = reqwest::Url::parse(&args.url)
        .map_err(|e| Failure::usage(format!("invalid URL {shown_url:?}: {e}")))?;
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
    // A value the HTTP client cannot send would fail every attempt as if the network had.
    header_value("--content-type", &args.content_type)?;
    header_value("--id", &id)?;
    let body = match args.event {
        // The event's resource is named after the message, so each send is its own event.
        Some(event) => event.body(&resource_suffix(&id), unix_now()),
        None => read_body(args.body.as_deref())?,
    };
    let policy = RetryPolicy {
        retries: args.retries,
        backoff: args.backoff,
        ..RetryPolicy::default()
    };
    let transport = args.transport.transport()?;
    let client = net::http_client_with(args.timeout, &transport).map_err(|e| match e {
        net::ClientError::Transport(e) => super::transport_args::transport_failure(e),
        other => Failure::tool(format!("{other} [{}]", other.code())),
    })?;
    warn_if_insecure("send", &transport);
    let message = Message {
        id: &id,
        body: &body,
        content_type: &args.content_type,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::tool(format!("cannot start the async runtime: {e}")))?;
    println!(
        "POST {} webhook-id {id} ({} bytes)",
        redact_userinfo(url.as_str()),
        body.len()
    );
    let delivery = runtime
        .block_on(deliver(
            &client,
            url.as_str(),
            signer.as_ref(),
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

/// Refuses a flag whose value cannot be an HTTP header value (CR, LF or another control
/// character): a usage error, before anything is sent.
fn header_value(flag: &str, value: &str) -> Result<(), Failure> {
    match reqwest::header::HeaderValue::from_str(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(Failure::usage(format!(
            "{flag} {value:?} cannot be sent as a header value: it holds a control character (CR, LF, …)"
        ))),
    }
}

/// A resource name for `--event` derived from the message id (`msg_ab12…` → `hookspec-ab12…`),
/// kept to the characters resource names use.
fn resource_suffix(id: &str) -> String {
    let tail: String = id
        .trim_start_matches("msg_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    if tail.is_empty() {
        "hookspec".to_owned()
    } else {
        format!("hookspec-{tail}")
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
