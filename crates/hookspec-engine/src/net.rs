//! The outgoing HTTP client shared by the networked commands: reqwest on rustls with the
//! `ring` provider (no OpenSSL, no aws-lc), no proxy surprises, and redirects never
//! followed (a webhook sender must treat 3xx as a failure: spec, "Delivery success").

use std::sync::Once;
use std::time::Duration;

/// Installs `ring` as the process-wide rustls provider (idempotent).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client with the given per-request timeout that never follows redirects.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hookspec/", env!("CARGO_PKG_VERSION")))
        .build()
}
