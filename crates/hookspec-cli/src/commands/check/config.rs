//! `hookspec check --config FILE`, and `./hookspec.toml` when present: a run's settings in
//! a TOML file committed next to the CI configuration, so a CI step is `hookspec check`.
//!
//! The schema is [`TEMPLATE`] (what `--write-config` writes). Secrets never appear in the
//! file as values: the file names the environment variables that hold them
//! (`secret_env`, `revoked_secret_env`, `signing_key_env`, `[header_env]`), and a key
//! such as `secret` with a literal value is refused. Relative paths (`expect`, the `[tls]`
//! files) are relative to the file. A flag given on the command line wins over the file,
//! the file over the built-in default; `-H` adds to the file's `[headers]` (replacing a
//! header of the same name).
//!
//! Every problem is a [`ConfigError`] with a stable code, located `FILE:LINE:COL` where it
//! is in the file, and never quoting a secret.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hookspec::Scheme;
use hookspec_engine::transport::{ExtraHeader, is_sensitive};
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

/// The file `hookspec check` uses without `--config`, when the working directory has one.
pub const DEFAULT_FILE: &str = "hookspec.toml";

/// The commented starter file `--write-config` writes: every key, commented out, with what
/// it does.
pub const TEMPLATE: &str = include_str!("config_template.toml");

/// Why a configuration file cannot be used. All are configuration errors (exit 2), except
/// [`ConfigError::Write`] (exit 3).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist.
    #[error("--config {}: no such file", .0.display())]
    NotFound(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read {}: {why}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// Not TOML, an unknown key, or a value of the wrong type or form.
    #[error("{at}: {message}")]
    Invalid {
        /// `FILE:LINE:COL`.
        at: String,
        /// What is wrong (never a secret).
        message: String,
    },
    /// A key that would hold a secret as a value (`secret`, `secrets`, `signing_key`,
    /// `revoked_secret`, or a sensitive header in `[headers]`).
    #[error(
        "{at}: {key} would store a secret in the file; name the environment variable that holds it instead: {instead}"
    )]
    LiteralSecret {
        /// `FILE:LINE:COL`.
        at: String,
        /// The refused key.
        key: String,
        /// The key to use, with an example.
        instead: &'static str,
    },
    /// A named environment variable is unset or empty.
    #[error("{at}: {key} names the environment variable {var}, which is unset or empty")]
    EnvUnset {
        /// `FILE:LINE:COL`.
        at: String,
        /// The key that names it.
        key: String,
        /// The variable's name.
        var: String,
    },
    /// `--write-config` would overwrite an existing file.
    #[error("{} exists already: --write-config never overwrites a file", .0.display())]
    Exists(PathBuf),
    /// `--write-config` could not write the file.
    #[error("cannot write {}: {why}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
}

impl ConfigError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "config_not_found",
            Self::Unreadable { .. } => "config_unreadable",
            Self::Invalid { .. } => "config_invalid",
            Self::LiteralSecret { .. } => "config_literal_secret",
            Self::EnvUnset { .. } => "config_env_unset",
            Self::Exists(_) => "config_exists",
            Self::Write { .. } => "config_write_failed",
        }
    }

    /// The exit code: 2 for every configuration error, 3 when the file cannot be written.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Write { .. } => hookspec_engine::exit::FAILURE,
            _ => hookspec_engine::exit::USAGE,
        }
    }
}

/// The file as written: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    target: Option<String>,
    scheme: Option<Spanned<String>>,
    secret_env: Option<Spanned<toml::Value>>,
    revoked_secret_env: Option<Spanned<String>>,
    signing_key_env: Option<Spanned<String>>,
    observe: Option<String>,
    observe_cmd: Option<String>,
    cases: Option<Vec<String>>,
    skip: Option<Vec<String>>,
    expect: Option<PathBuf>,
    strict: Option<bool>,
    timeout: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    any_secret_length: Option<bool>,
    jwks_listen: Option<Spanned<String>>,
    jwt_audience: Option<String>,
    jwt_issuer: Option<String>,
    jwt_body_binding: Option<bool>,
    jwks_refetch_wait: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    header_env: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    tls: RawTls,
    // Refused with a pointer to the *_env key (see `refuse_literal_secrets`).
    secret: Option<Spanned<toml::Value>>,
    secrets: Option<Spanned<toml::Value>>,
    signing_key: Option<Spanned<toml::Value>>,
    revoked_secret: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cacert: Option<Spanned<toml::Value>>,
    insecure: Option<bool>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
}

/// An environment variable's name, with where the file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvName {
    /// The variable.
    pub var: String,
    /// The key naming it (`secret_env`, `[header_env] "X-Key"`, …).
    pub key: String,
    /// `FILE:LINE:COL`.
    pub at: String,
}

impl EnvName {
    /// The variable's value, or [`ConfigError::EnvUnset`] when it is unset or empty.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
        match env(&self.var) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ConfigError::EnvUnset {
                at: self.at.clone(),
                key: self.key.clone(),
                var: self.var.clone(),
            }),
        }
    }
}

/// The TLS settings of the file, paths resolved against the file's directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Extra CA certificate files.
    pub cacert: Vec<PathBuf>,
    /// No certificate check.
    pub insecure: Option<bool>,
    /// The client certificate file.
    pub client_cert: Option<PathBuf>,
    /// Its private key file.
    pub client_key: Option<PathBuf>,
}

/// A configuration file, parsed and checked (environment variables not read yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)] // each field is the key of the same name in TEMPLATE
pub struct ConfigFile {
    /// The file, as given or discovered.
    pub path: PathBuf,
    pub target: Option<String>,
    pub scheme: Option<Scheme>,
    pub secret_env: Vec<EnvName>,
    pub revoked_secret_env: Option<EnvName>,
    pub signing_key_env: Option<EnvName>,
    pub observe: Option<String>,
    pub observe_cmd: Option<String>,
    pub cases: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub expect: Option<PathBuf>,
    pub strict: Option<bool>,
    pub timeout: Option<Duration>,
    pub concurrency: Option<usize>,
    pub any_secret_length: Option<bool>,
    pub jwks_listen: Option<SocketAddr>,
    pub jwt_audience: Option<String>,
    pub jwt_issuer: Option<String>,
    pub jwt_body_binding: Option<bool>,
    pub jwks_refetch_wait: Option<Duration>,
    /// `[headers]`: literal, non-secret header values.
    pub headers: Vec<ExtraHeader>,
    /// `[header_env]`: header names and the variables holding their (secret) values.
    pub header_env: Vec<(String, EnvName)>,
    pub tls: TlsSettings,
}

/// Where a `--config`/discovery decision leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--config FILE`: the file must exist.
    Given(PathBuf),
    /// `./hookspec.toml` if present (announced on standard error).
    Discover,
    /// `--no-config`.
    Disabled,
}

/// Loads the configuration `source` names, if any: `Ok(None)` when discovery finds no file
/// or discovery is disabled.
pub fn load(source: &Source) -> Result<Option<ConfigFile>, ConfigError> {
    let path = match source {
        Source::Disabled => return Ok(None),
        Source::Given(path) => {
            if !path.exists() {
                return Err(ConfigError::NotFound(path.clone()));
            }
            path.clone()
        }
        Source::Discover => {
            let path = Path::new(".").join(DEFAULT_FILE);
            if !path.is_file() {
                return Ok(None);
            }
            eprintln!(
                "hookspec check: using {} (--no-config ignores it)",
                path.display()
            );
            path
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Unreadable {
        path: path.clone(),
        why: e.to_string(),
    })?;
    parse(&text, &path).map(Some)
}

/// Parses the text of the file at `path` (used to name it in errors and to resolve its
/// relative paths).
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let at = |span: Option<Range<usize>>| locate(path, text, span);
    let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::Invalid {
        at: at(e.span()),
        // The refused secret keys are fields only to be refused: never suggest them.
        message: redact(e.message().trim())
            .replace(", `secret`, `secrets`, `signing_key`, `revoked_secret`", ""),
    })?;
    refuse_literal_secrets(&raw, &at)?;
    let invalid = |span: Range<usize>, message: String| ConfigError::Invalid {
        at: at(Some(span)),
        message,
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let relative = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let env_name = |key: &str, name: &Spanned<String>| -> Result<EnvName, ConfigError> {
        let var = name.get_ref();
        if var.is_empty() || var.contains(['=', '\0']) {
            return Err(invalid(
                name.span(),
                format!("{key}: not an environment variable name"),
            ));
        }
        Ok(EnvName {
            var: var.clone(),
            key: key.to_string(),
            at: at(Some(name.span())),
        })
    };
    let duration = |key: &str, value: &Spanned<String>| {
        super::super::parse_timeout(value.get_ref())
            .map_err(|why| invalid(value.span(), format!("{key}: {why}")))
    };

    let mut config = ConfigFile {
        path: path.to_path_buf(),
        target: raw.target,
        observe: raw.observe,
        observe_cmd: raw.observe_cmd,
        cases: raw.cases,
        skip: raw.skip,
        expect: raw.expect.map(relative),
        strict: raw.strict,
        any_secret_length: raw.any_secret_length,
        jwt_audience: raw.jwt_audience,
        jwt_issuer: raw.jwt_issuer,
        jwt_body_binding: raw.jwt_body_binding,
        ..ConfigFile::default()
    };
    if let Some(scheme) = &raw.scheme {
        config.scheme = Some(
            super::super::serve::parse_scheme(scheme.get_ref())
                .map_err(|why| invalid(scheme.span(), format!("scheme: {why}")))?,
        );
    }
    if let Some(names) = &raw.secret_env {
        config.secret_env = string_list(names, "secret_env", &invalid)?
            .iter()
            .map(|var| env_name("secret_env", &Spanned::new(names.span(), var.clone())))
            .collect::<Result<_, _>>()?;
    }
    if let Some(name) = &raw.revoked_secret_env {
        config.revoked_secret_env = Some(env_name("revoked_secret_env", name)?);
    }
    if let Some(name) = &raw.signing_key_env {
        config.signing_key_env = Some(env_name("signing_key_env", name)?);
    }
    if let Some(timeout) = &raw.timeout {
        config.timeout = Some(duration("timeout", timeout)?);
    }
    if let Some(wait) = &raw.jwks_refetch_wait {
        config.jwks_refetch_wait = Some(duration("jwks_refetch_wait", wait)?);
    }
    if let Some(n) = &raw.concurrency {
        let value = *n.get_ref();
        if !(1..=256).contains(&value) {
            return Err(invalid(
                n.span(),
                format!("concurrency: {value} is not in 1..=256"),
            ));
        }
        config.concurrency = usize::try_from(value).ok();
    }
    if let Some(addr) = &raw.jwks_listen {
        config.jwks_listen = Some(addr.get_ref().parse().map_err(|e| {
            invalid(
                addr.span(),
                format!("jwks_listen: {e} (write an address such as \"127.0.0.1:8099\")"),
            )
        })?);
    }
    for (name, value) in &raw.headers {
        if is_sensitive(name.get_ref()) {
            return Err(ConfigError::LiteralSecret {
                at: at(Some(name.span())),
                key: format!("[headers] {:?}", name.get_ref()),
                instead: "[header_env] \"Authorization\" = \"ENV_VAR_NAME\"",
            });
        }
        let header = ExtraHeader::new(name.get_ref(), value.get_ref())
            .map_err(|e| invalid(name.span(), format!("[headers]: {e} [{}]", e.code())))?;
        config.headers.push(header);
    }
    for (name, var) in &raw.header_env {
        // The name is checked now; the value when the variable is read.
        ExtraHeader::new(name.get_ref(), "")
            .map_err(|e| invalid(name.span(), format!("[header_env]: {e} [{}]", e.code())))?;
        let key = format!("[header_env] {:?}", name.get_ref());
        config
            .header_env
            .push((name.get_ref().clone(), env_name(&key, var)?));
    }
    if let Some(cacert) = &raw.tls.cacert {
        config.tls.cacert = string_list(cacert, "tls.cacert", &invalid)?
            .into_iter()
            .map(|p| relative(PathBuf::from(p)))
            .collect();
    }
    config.tls.insecure = raw.tls.insecure;
    config.tls.client_cert = raw.tls.client_cert.map(relative);
    config.tls.client_key = raw.tls.client_key.map(relative);
    if config.tls.client_cert.is_some() != config.tls.client_key.is_some() {
        return Err(ConfigError::Invalid {
            at: at(None),
            message: "[tls] client_cert and client_key go together: give both".to_string(),
        });
    }
    Ok(config)
}

/// A string or a list of strings.
fn string_list(
    value: &Spanned<toml::Value>,
    key: &str,
    invalid: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Vec<String>, ConfigError> {
    let wrong = || {
        invalid(
            value.span(),
            format!("{key}: give a string or a list of strings"),
        )
    };
    match value.get_ref() {
        toml::Value::String(s) => Ok(vec![s.clone()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(wrong))
            .collect(),
        _ => Err(wrong()),
    }
}

/// Refuses keys that would hold a secret as a value, without quoting the value.
fn refuse_literal_secrets(
    raw: &Raw,
    at: &dyn Fn(Option<Range<usize>>) -> String,
) -> Result<(), ConfigError> {
    let refused = [
        ("secret", &raw.secret, "secret_env = [\"WEBHOOK_SECRET\"]"),
        (
            "secrets",
            &raw.secrets,
            "secret_env = [\"WEBHOOK_SECRET\", \"WEBHOOK_SECRET_PREVIOUS\"]",
        ),
        (
            "signing_key",
            &raw.signing_key,
            "signing_key_env = \"WEBHOOK_SIGNING_KEY\"",
        ),
        (
            "revoked_secret",
            &raw.revoked_secret,
            "revoked_secret_env = \"WEBHOOK_SECRET_REVOKED\"",
        ),
    ];
    for (key, value, instead) in refused {
        if let Some(value) = value {
            return Err(ConfigError::LiteralSecret {
                at: at(Some(value.span())),
                key: key.to_string(),
                instead,
            });
        }
    }
    Ok(())
}

/// `FILE:LINE:COL` of a byte offset (1-based line and column, columns in characters);
/// `FILE` alone without a span.
fn locate(path: &Path, text: &str, span: Option<Range<usize>>) -> String {
    let Some(span) = span else {
        return path.display().to_string();
    };
    let offset = span.start.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{column}", path.display())
}

/// A parser message with anything shaped like a key replaced by its prefix.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(pos) = ["whsec_", "whsk_", "whpk_"]
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min()
    {
        let (i, prefix) = pos;
        out.push_str(&rest[..i]);
        out.push_str(prefix);
        out.push('…');
        let tail = &rest[i + prefix.len()..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Writes [`TEMPLATE`] to `path`, never over an existing file.
pub fn write_template(path: &Path) -> Result<(), ConfigError> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ConfigError::Exists(path.to_path_buf()),
            _ => ConfigError::Write {
                path: path.to_path_buf(),
                why: e.to_string(),
            },
        })?;
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|e| ConfigError::Write {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_at(text: &str) -> Result<ConfigFile, ConfigError> {
        parse(text, Path::new("ci/hookspec.toml"))
    }

    #[test]
    fn the_suggested_schema_parses_with_paths_relative_to_the_file() {
        let c = parse_at(
            r#"
target = "https://staging.example.com/webhooks"
scheme = "v1"
secret_env = ["WEBHOOK_SECRET", "WEBHOOK_SECRET_PREVIOUS"]
revoked_secret_env = "WEBHOOK_SECRET_REVOKED"
observe = "https://staging.example.com/__observed"
cases = ["signature", "timestamp/*"]
skip = []
expect = "hookspec-expect.json"
strict = true
timeout = "2s"
concurrency = 8
[headers]
"X-Env" = "staging"
[header_env]
"X-Gateway-Key" = "GATEWAY_KEY"
[tls]
cacert = "certs/staging-ca.pem"
client_cert = "/etc/client.pem"
client_key = "certs/client-key.pem"
"#,
        )
        .unwrap();
        assert_eq!(c.scheme, Some(Scheme::V1));
        assert_eq!(c.timeout, Some(Duration::from_secs(2)));
        assert_eq!(c.concurrency, Some(8));
        assert_eq!(c.secret_env.len(), 2);
        assert_eq!(c.secret_env[1].var, "WEBHOOK_SECRET_PREVIOUS");
        assert_eq!(c.expect, Some(PathBuf::from("ci/hookspec-expect.json")));
        assert_eq!(c.tls.cacert, vec![PathBuf::from("ci/certs/staging-ca.pem")]);
        assert_eq!(c.tls.client_cert, Some(PathBuf::from("/etc/client.pem")));
        assert_eq!(
            c.tls.client_key,
            Some(PathBuf::from("ci/certs/client-key.pem"))
        );
        assert_eq!(c.headers[0].display(), "X-Env: staging");
        assert_eq!(c.header_env[0].1.var, "GATEWAY_KEY");
    }

    #[test]
    fn an_unknown_key_is_located_by_line_and_column() {
        let e = parse_at("strict = true\n  timeuot = \"5s\"\n").unwrap_err();
        assert_eq!(e.code(), "config_invalid");
        let text = e.to_string();
        assert!(text.starts_with("ci/hookspec.toml:2:3: "), "{text}");
        assert!(text.contains("timeuot"), "{text}");
        assert!(!text.contains("`secret`"), "{text}");
        let e = parse_at("[tls]\ncafile = \"x\"\n").unwrap_err();
        assert!(e.to_string().starts_with("ci/hookspec.toml:2:1: "), "{e}");
    }

    #[test]
    fn bad_values_are_located() {
        for (text, at, needle) in [
            ("timeout = \"soon\"", ":1:11: ", "timeout"),
            ("timeout = \"5ms\"", ":1:11: ", "100ms"),
            ("\nconcurrency = 0", ":2:15: ", "1..=256"),
            ("scheme = \"v2\"", ":1:10: ", "unknown scheme"),
            ("strict = \"yes\"", ":1:10: ", "bool"),
            ("secret_env = 5", ":1:14: ", "list of strings"),
            ("jwks_listen = \"here\"", ":1:15: ", "jwks_listen"),
            ("[headers]\n\"Bad Name\" = \"x\"", ":2:1: ", "[headers]"),
            (
                "[headers]\n\"Webhook-Id\" = \"x\"",
                ":2:1: ",
                "reserved_header",
            ),
            ("target = ", ":1:10: ", ""),
        ] {
            let e = parse_at(text).unwrap_err();
            let shown = e.to_string();
            assert_eq!(e.code(), "config_invalid", "{text}: {shown}");
            assert!(shown.contains(at), "{text}: {shown}");
            assert!(shown.contains(needle), "{text}: {shown}");
        }
    }

    #[test]
    fn literal_secrets_are_refused_without_being_quoted() {
        for (text, pointer) in [
            (
                "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
                "secret_env",
            ),
            (
                "secrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]",
                "secret_env",
            ),
            (
                "signing_key = \"whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
                "signing_key_env",
            ),
            (
                "revoked_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
                "revoked_secret_env",
            ),
            (
                "[headers]\nAuthorization = \"Bearer MfKQ9r8GKYqrTwjUPD8I\"",
                "header_env",
            ),
        ] {
            let e = parse_at(text).unwrap_err();
            let shown = e.to_string();
            assert_eq!(e.code(), "config_literal_secret", "{shown}");
            assert!(shown.contains(pointer), "{shown}");
            assert!(!shown.contains("MfKQ9r8G"), "{shown}");
            assert!(shown.starts_with("ci/hookspec.toml:"), "{shown}");
        }
        // A parser error on a secret-shaped value never quotes it either.
        let e = parse_at("strict = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"").unwrap_err();
        assert!(!e.to_string().contains("MfKQ9r8G"), "{e}");
    }

    #[test]
    fn an_unset_or_empty_variable_is_named_not_its_value() {
        let c = parse_at("secret_env = \"HOOKSPEC_TEST_UNSET\"").unwrap();
        let env = |name: &str| (name == "SET").then(|| "value".to_string());
        let e = c.secret_env[0].resolve(&env).unwrap_err();
        assert_eq!(e.code(), "config_env_unset");
        assert_eq!(
            e.to_string(),
            "ci/hookspec.toml:1:14: secret_env names the environment variable HOOKSPEC_TEST_UNSET, which is unset or empty"
        );
        let empty = |_: &str| Some(String::new());
        assert!(c.secret_env[0].resolve(&empty).is_err());
        let c = parse_at("secret_env = [\"SET\"]").unwrap();
        assert_eq!(c.secret_env[0].resolve(&env).unwrap(), "value");
    }

    #[test]
    fn client_cert_and_key_go_together() {
        let e = parse_at("[tls]\nclient_cert = \"c.pem\"").unwrap_err();
        assert!(e.to_string().contains("client_key"), "{e}");
    }

    #[test]
    fn the_template_loads_and_every_key_it_documents_exists() {
        let plain = parse_at(TEMPLATE).unwrap();
        assert_eq!(plain.timeout, Some(Duration::from_secs(10)));
        // Uncomment every setting: the file must still load, so no documented key is
        // unknown and every example value is well formed.
        let uncommented: String = TEMPLATE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if is_setting(rest) => rest,
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(uncommented, TEMPLATE);
        let all = parse_at(&uncommented).unwrap();
        assert!(all.target.is_some() && all.observe.is_some() && all.observe_cmd.is_some());
        assert!(all.tls.client_cert.is_some() && !all.tls.cacert.is_empty());
        assert!(!all.secret_env.is_empty() && !all.header_env.is_empty());
        assert!(all.jwks_listen.is_some() && all.jwks_refetch_wait.is_some());
    }

    /// `key = value`, `"Quoted-Key" = value` or `[table]`.
    fn is_setting(line: &str) -> bool {
        line.starts_with('[')
            || line
                .split_once(" = ")
                .is_some_and(|(key, _)| !key.contains(' ') || key.starts_with('"'))
    }
}
