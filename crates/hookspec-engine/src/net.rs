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
/// credentials. Text that does not parse as one URL is handled by
/// [`redact_userinfo_in_text`].
pub fn redact_userinfo(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => text.to_string(),
        Err(_) => redact_userinfo_in_text(text),
    }
}

/// `text` with the userinfo (`user:password@`) of every `scheme://` URL in it removed.
///
/// The authority of a URL ends at the first `/`, `?`, `#`, whitespace or quote; a `@` before
/// that ends its userinfo, which is dropped (the last `@`, as URL parsers do).
pub fn redact_userinfo_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
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
    use super::{redact_userinfo, redact_userinfo_in_text};

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

    #[test]
    fn removes_userinfo_from_every_url_in_a_text() {
        assert_eq!(
            redact_userinfo_in_text("https://alice:s3cret@example.com:8443/hook?x=1"),
            "https://example.com:8443/hook?x=1"
        );
        assert_eq!(
            redact_userinfo_in_text("http://u:p@127.0.0.1:9/ (respond 200) and ftp://tok@h"),
            "http://127.0.0.1:9/ (respond 200) and ftp://h"
        );
        // A password holding `@` is removed whole (the last `@` ends the userinfo).
        assert_eq!(redact_userinfo_in_text("http://u:p@ss@h/x"), "http://h/x");
    }

    #[test]
    fn leaves_texts_without_userinfo_alone() {
        for text in [
            "http://127.0.0.1:8080/hook",
            "mailto:someone@example.com",
            "127.0.0.1:8080 (embedded reference receiver)",
            "python3 adapters/python/adapter.py",
            "http://h/path@not-userinfo",
            "",
        ] {
            assert_eq!(redact_userinfo_in_text(text), text);
        }
    }
}
