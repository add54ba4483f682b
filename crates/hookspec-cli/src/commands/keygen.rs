//! `hookspec keygen`: fresh keys for tests and new endpoints.

use hookspec::{Secret, SigningKey};
use hookspec_engine::exit;

use super::{Failure, Outcome};

/// Arguments of `hookspec keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Generate an Ed25519 key pair (whsk_ and whpk_) instead of an HMAC secret.
    #[arg(long)]
    ed25519: bool,
}

/// Runs `hookspec keygen`. This is the one command that prints key material, on purpose.
pub fn run(args: Args) -> Outcome {
    if args.ed25519 {
        let key = SigningKey::generate().map_err(|e| Failure::tool(e.to_string()))?;
        println!("signing key: {}", key.to_whsk());
        println!("public key:  {}", key.public_key().to_whpk());
    } else {
        let secret = Secret::generate().map_err(|e| Failure::tool(e.to_string()))?;
        println!("{}", secret.to_whsec());
    }
    Ok(exit::OK)
}
