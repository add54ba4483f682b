//! Key flags shared by the commands that sign or verify.

use hookspec::ErrorCode;
use hookspec::{KeyError, PublicKey, Secret, Signer, SigningKey, Verifier};

use super::Failure;

/// Defines a struct of key flags: `--secret` (repeatable, also from `HOOKSPEC_SECRET`), one
/// more repeatable key flag, and `--any-secret-length`, in that order (their order in
/// `--help`). Each flag's doc comment, its help text, is given with it.
macro_rules! key_flags {
    (
        $(#[doc = $doc:tt])*
        $name:ident {
            $(#[doc = $secret_doc:tt])*
            secrets,
            $(#[doc = $key_doc:tt])*
            $keys:ident: $long:tt $value_name:tt,
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, clap::Args)]
        pub struct $name {
            $(#[doc = $secret_doc])*
            #[arg(
                long = "secret",
                value_name = "whsec_…",
                env = "HOOKSPEC_SECRET",
                value_delimiter = ' ',
                hide_env_values = true
            )]
            pub secrets: Vec<String>,
            $(#[doc = $key_doc])*
            #[arg(long = $long, value_name = $value_name)]
            pub $keys: Vec<String>,
            /// Accept HMAC secrets of any non-empty length (the spec asks for 24 to 64 bytes).
            #[arg(long)]
            pub any_secret_length: bool,
        }
    };
}

key_flags! {
    /// `--secret` / `--signing-key` for commands that sign.
    SigningKeys {
        /// An HMAC secret (`whsec_…`) to sign v1 entries with. Repeat to sign with several
        /// (rotation): the signature header lists one entry per key, in order.
        secrets,
        /// An Ed25519 signing key (`whsk_…`) to sign v1a entries with. Repeatable.
        signing_keys: "signing-key" "whsk_…",
    }
}

key_flags! {
    /// `--secret` / `--public-key` for commands that verify.
    TrustedKeys {
        /// An HMAC secret (`whsec_…`) to trust. Repeat to trust several (rotation).
        secrets,
        /// An Ed25519 public key (`whpk_…`) to trust for v1a entries. Repeatable.
        public_keys: "public-key" "whpk_…",
    }
}

impl SigningKeys {
    /// Builds the signer, or explains which key is malformed (never echoing it).
    pub fn signer(&self) -> Result<Signer, Failure> {
        let signer = parse_secrets(&self.secrets, self.any_secret_length)?
            .into_iter()
            .fold(Signer::new(), Signer::with_secret);
        let signer = parse_each(&self.signing_keys, "--signing-key", SigningKey::parse)?
            .into_iter()
            .fold(signer, Signer::with_signing_key);
        if signer.keys().is_empty() {
            return Err(Failure::usage(
                "give at least one --secret whsec_… or --signing-key whsk_…",
            ));
        }
        Ok(signer)
    }
}

impl TrustedKeys {
    /// Adds every key to `verifier`, or explains which key is malformed.
    pub fn apply(&self, verifier: Verifier) -> Result<Verifier, Failure> {
        let verifier = parse_secrets(&self.secrets, self.any_secret_length)?
            .into_iter()
            .fold(verifier, Verifier::with_secret);
        let verifier = parse_each(&self.public_keys, "--public-key", PublicKey::parse)?
            .into_iter()
            .fold(verifier, Verifier::with_public_key);
        if self.secrets.is_empty() && self.public_keys.is_empty() {
            return Err(Failure::usage(
                "give at least one --secret whsec_… or --public-key whpk_…",
            ));
        }
        Ok(verifier)
    }
}

/// Parses every `--secret`, or explains which one is malformed.
fn parse_secrets(texts: &[String], any_length: bool) -> Result<Vec<Secret>, Failure> {
    let parse = |(i, text): (usize, &String)| parse_secret(text, i, any_length);
    texts.iter().enumerate().map(parse).collect()
}

/// Parses every value of `flag` with `parse`, or explains which one is malformed (by its
/// position, never echoing it).
fn parse_each<K>(
    texts: &[String],
    flag: &str,
    parse: fn(&str) -> Result<K, KeyError>,
) -> Result<Vec<K>, Failure> {
    let parse = |(i, text): (usize, &String)| {
        parse(text).map_err(|e| Failure::usage(format!("{flag} #{}: {e} [{}]", i + 1, e.code())))
    };
    texts.iter().enumerate().map(parse).collect()
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
