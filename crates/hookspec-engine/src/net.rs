//! The outgoing HTTP client shared by the networked commands: reqwest on rustls with the
//! `ring` provider (no OpenSSL, no aws-lc), no proxy surprises, and redirects never
//! followed (a webhook sender must treat 3xx as a failure: spec, "Delivery success").
//! [`http_client_with`] adds a [`Transport`]: extra roots, no certificate check, a client
//! certificate, extra headers.

use std::sync::Once;
use std::time::Duration;

use crate::transport::{Transport, TransportError};

/// Installs `ring` as the process-wide rustls provider (idempotent).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `text` with any `user:password@` removed, so logs, answers and reports never carry
/// credentials. A URL that does not parse loses everything between `://` and the last `@`
/// of its authority.
pub fn redact_userinfo(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => text.to_string(),
        Err(_) => redact_unparsed(text),
    }
}

fn redact_unparsed(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let rest = &text[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &text[..scheme_end], &rest[at + 1..]),
        None => text.to_string(),
    }
}

/// A client with the given per-request timeout that never follows redirects, trusting the
/// platform's roots.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    base(timeout).build()
}

/// Why a client for a [`Transport`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The transport settings are unusable (a configuration error).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

impl ClientError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transport(e) => e.code(),
            Self::Build(_) => "http_client",
        }
    }
}

/// Like [`http_client`], reaching endpoints through `transport`: its TLS trust and client
/// certificate (the same rustls configuration `check` uses), and its extra headers on
/// every request.
pub fn http_client_with(
    timeout: Duration,
    transport: &Transport,
) -> Result<reqwest::Client, ClientError> {
    install_crypto_provider();
    let mut tls = transport.rustls_config()?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut headers = reqwest::header::HeaderMap::new();
    for header in transport.headers() {
        let name = reqwest::header::HeaderName::from_bytes(header.name().as_bytes())
            .map_err(|e| ClientError::Build(format!("header {}: {e}", header.display())))?;
        let mut value = reqwest::header::HeaderValue::from_str(header.value())
            .map_err(|e| ClientError::Build(format!("header {}: {e}", header.display())))?;
        value.set_sensitive(header.is_sensitive());
        headers.append(name, value);
    }
    base(timeout)
        .default_headers(headers)
        .use_preconfigured_tls(tls)
        .build()
        .map_err(|e| ClientError::Build(e.to_string()))
}

fn base(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hookspec/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::redact_userinfo;

    #[test]
    fn userinfo_is_removed() {
        assert_eq!(
            redact_userinfo("http://user:s3cret@127.0.0.1:9/jwks"),
            "http://127.0.0.1:9/jwks"
        );
        assert_eq!(redact_userinfo("https://h/x"), "https://h/x");
        // Not a URL the parser takes: cut textually.
        assert_eq!(
            redact_userinfo("http://user:s3cret@[::1/jwks"),
            "http://[::1/jwks"
        );
        assert_eq!(redact_userinfo("no url here"), "no url here");
    }
}
