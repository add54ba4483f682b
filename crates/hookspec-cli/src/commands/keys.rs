//! Key flags shared by the commands that sign or verify.

use hookspec::ErrorCode;
use hookspec::{PublicKey, Secret, Signer, SigningKey, Verifier};

use super::Failure;

/// `--secret` / `--signing-key` for commands that sign.
#[derive(Debug, Clone, clap::Args)]
pub struct SigningKeys {
    /// An HMAC secret (`whsec_…`) to sign v1 entries with. Repeat to sign with several
    /// (rotation): the signature header lists one entry per key, in order.
    #[arg(
        long = "secret",
        value_name = "whsec_…",
        env = "HOOKSPEC_SECRET",
        value_delimiter = ' ',
        hide_env_values = true
    )]
    pub secrets: Vec<String>,
    /// An Ed25519 signing key (`whsk_…`) to sign v1a entries with. Repeatable.
    #[arg(long = "signing-key", value_name = "whsk_…")]
    pub signing_keys: Vec<String>,
    /// Accept HMAC secrets of any non-empty length (the spec asks for 24 to 64 bytes).
    #[arg(long)]
    pub any_secret_length: bool,
}

impl SigningKeys {
    /// Builds the signer, or explains which key is malformed (never echoing it).
    pub fn signer(&self) -> Result<Signer, Failure> {
        let mut signer = Signer::new();
        for (i, text) in self.secrets.iter().enumerate() {
            signer = signer.with_secret(parse_secret(text, i, self.any_secret_length)?);
        }
        for (i, text) in self.signing_keys.iter().enumerate() {
            let key = SigningKey::parse(text).map_err(|e| {
                Failure::usage(format!("--signing-key #{}: {e} [{}]", i + 1, e.code()))
            })?;
            signer = signer.with_signing_key(key);
        }
        if signer.keys().is_empty() {
            return Err(Failure::usage(
                "give at least one --secret whsec_… or --signing-key whsk_…",
            ));
        }
        Ok(signer)
    }
}

/// `--secret` / `--public-key` for commands that verify.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustedKeys {
    /// An HMAC secret (`whsec_…`) to trust. Repeat to trust several (rotation).
    #[arg(
        long = "secret",
        value_name = "whsec_…",
        env = "HOOKSPEC_SECRET",
        value_delimiter = ' ',
        hide_env_values = true
    )]
    pub secrets: Vec<String>,
    /// An Ed25519 public key (`whpk_…`) to trust for v1a entries. Repeatable.
    #[arg(long = "public-key", value_name = "whpk_…")]
    pub public_keys: Vec<String>,
    /// Accept HMAC secrets of any non-empty length (the spec asks for 24 to 64 bytes).
    #[arg(long)]
    pub any_secret_length: bool,
}

impl TrustedKeys {
    /// Adds every key to `verifier`, or explains which key is malformed.
    pub fn apply(&self, mut verifier: Verifier) -> Result<Verifier, Failure> {
        for (i, text) in self.secrets.iter().enumerate() {
            verifier = verifier.with_secret(parse_secret(text, i, self.any_secret_length)?);
        }
        for (i, text) in self.public_keys.iter().enumerate() {
            let key = PublicKey::parse(text).map_err(|e| {
                Failure::usage(format!("--public-key #{}: {e} [{}]", i + 1, e.code()))
            })?;
            verifier = verifier.with_public_key(key);
        }
        if self.secrets.is_empty() && self.public_keys.is_empty() {
            return Err(Failure::usage(
                "give at least one --secret whsec_… or --public-key whpk_…",
            ));
        }
        Ok(verifier)
    }
}

pub(super) fn parse_secret(text: &str, index: usize, any_length: bool) -> Result<Secret, Failure> {
    let policy = if any_length {
        hookspec::LengthPolicy::AnyNonEmpty
    } else {
        hookspec::LengthPolicy::Spec
    };
    Secret::parse_with(text, policy).map_err(|e| {
        let hint = match e {
            hookspec::KeyError::SecretTooShort { .. }
            | hookspec::KeyError::SecretTooLong { .. } => {
                " (pass --any-secret-length to accept it anyway)"
            }
            _ => "",
        };
        Failure::usage(format!("--secret #{}: {e}{hint} [{}]", index + 1, e.code()))
    })
}
