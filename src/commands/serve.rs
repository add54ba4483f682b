//! `hookspec serve`: run the reference receiver until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use hookspec::Verifier;
use hookspec::exit;
use hookspec::serve::{DEFAULT_OBSERVE_PATH, ServeConfig, ServeError, spawn};

use super::keys::TrustedKeys;
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
    /// Ignore svix-id / svix-timestamp / svix-signature (read by default when no webhook-*
    /// header is present).
    #[arg(long)]
    no_svix_aliases: bool,
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

/// Runs `hookspec serve`.
pub fn run(args: Args) -> Outcome {
    let verifier = args.keys.apply(
        Verifier::new()
            .tolerance(args.tolerance)
            .svix_aliases(!args.no_svix_aliases),
    )?;
    let config = ServeConfig::new(verifier)
        .addr(args.addr)
        .observe_path(args.observe_path)
        .max_body(args.max_body);
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
            "hookspec serve: listening on {} (observer: {}); Ctrl-C to stop",
            server.base_url(),
            server.observe_url()
        );
        shutdown_signal().await;
        eprintln!("hookspec serve: shutting down");
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
