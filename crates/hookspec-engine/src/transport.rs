//! How hookspec reaches a real endpoint: the TLS trust (extra roots, or no check at all),
//! the client certificate of mutual TLS, and extra request headers (an API gateway's key).
//!
//! One [`Transport`] value describes all of it, and one function turns it into the rustls
//! client configuration ([`Transport::rustls_config`]), used both by `check`'s own HTTP/1.1
//! writer and by the reqwest client of `send` and the key-set cache
//! ([`crate::net::http_client_with`]), so the three commands trust exactly the same
//! certificates.
//!
//! Extra headers ride on every request hookspec makes to the endpoint (and to its
//! observer), after the delivery's own headers; they are never part of the signed content.
//! The names a delivery itself owns (the Standard Webhooks headers, `content-type`,
//! `content-length`, `host`, and the framing fields `transfer-encoding` and `connection`)
//! are refused ([`TransportError::ReservedHeader`]): an extra header must not change what
//! the cases test. Values of `authorization`, `cookie` and `proxy-authorization`, and of
//! headers added with [`Transport::secret_header`], are never shown: see
//! [`ExtraHeader::display`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hookspec::ErrorCode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use thiserror::Error;

/// The note every report of a run with certificate checks disabled carries, and the
/// warning the CLI prints.
pub const INSECURE_NOTE: &str = "TLS certificate verification was disabled (--insecure): a passing run does not show the endpoint's certificate is valid";

/// Header names whose values are never shown (reports, logs, repro commands).
pub const SENSITIVE_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// Header names an extra header may not use: the delivery owns them.
pub const RESERVED_HEADERS: [&str; 8] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

/// What replaces a sensitive header value wherever a header is printed.
pub const REDACTED: &str = "<redacted>";

/// Why a transport setting is unusable. Every variant is a configuration error (exit 2
/// from the CLI), and its message names the file or the header.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {why}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// A file given as certificates holds no readable `CERTIFICATE` block.
    #[error("{path}: no PEM certificate in the file{}", why_suffix(.why))]
    NoCertificate {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What the PEM parser said, if anything.
        why: Option<String>,
    },
    /// A certificate does not parse as one a root store accepts.
    #[error("{path}: not a usable CA certificate: {why}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The client key file holds no readable private key (PKCS#8, PKCS#1 or SEC1 PEM).
    #[error("{path}: no PEM private key in the file{}", why_suffix(.why))]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
        /// What the PEM parser said, if anything.
        why: Option<String>,
    },
    /// The client certificate and key do not make an identity (wrong key type, or a key
    /// that is not the certificate's).
    #[error("client certificate {cert} with key {key}: {why}")]
    ClientIdentity {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        why: String,
    },
    /// An extra header is not `Name: value` with a token name and a printable value.
    #[error("header {shown:?}: {why}")]
    BadHeader {
        /// The header as given, its value redacted when the name is sensitive.
        shown: String,
        /// What is wrong.
        why: String,
    },
    /// An extra header uses a name the delivery owns.
    #[error(
        "header {name:?} cannot be added: the delivery sets it (extra headers may not be webhook-id, webhook-timestamp, webhook-signature, content-type, content-length, host, transfer-encoding or connection)"
    )]
    ReservedHeader {
        /// The name as given.
        name: String,
    },
    /// The TLS client could not be set up (for example the platform's roots could not be
    /// loaded).
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

fn why_suffix(why: &Option<String>) -> String {
    why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default()
}

impl ErrorCode for TransportError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "tls_file_unreadable",
            Self::NoCertificate { .. } => "tls_no_certificate",
            Self::BadCertificate { .. } => "tls_bad_certificate",
            Self::NoPrivateKey { .. } => "tls_no_private_key",
            Self::ClientIdentity { .. } => "tls_client_identity",
            Self::BadHeader { .. } => "bad_header",
            Self::ReservedHeader { .. } => "reserved_header",
            Self::Setup(_) => "tls_setup",
        }
    }
}

impl TransportError {
    /// The stable, machine-readable code of this error (as [`ErrorCode::code`]).
    pub fn code(&self) -> &'static str {
        ErrorCode::code(self)
    }
}

/// One extra request header.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    name: String,
    value: String,
    sensitive: bool,
}

impl std::fmt::Debug for ExtraHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl ExtraHeader {
    /// A header from its name and value, checked: the name is an HTTP token that is not
    /// reserved ([`RESERVED_HEADERS`]), the value printable ASCII (spaces and tabs
    /// allowed; leading and trailing whitespace removed).
    pub fn new(name: &str, value: &str) -> Result<Self, TransportError> {
        let sensitive = is_sensitive(name);
        let shown = || {
            if sensitive {
                format!("{name}: {REDACTED}")
            } else {
                format!("{name}: {value}")
            }
        };
        let bad = |why: &str| TransportError::BadHeader {
            shown: shown(),
            why: why.to_string(),
        };
        if name.is_empty() {
            return Err(bad("the name is empty (write `Name: value`)"));
        }
        if !name.bytes().all(is_tchar) {
            return Err(bad(
                "the name may hold only letters, digits and !#$%&'*+-.^_`|~ (write `Name: value`)",
            ));
        }
        if RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name))
        {
            return Err(TransportError::ReservedHeader {
                name: name.to_string(),
            });
        }
        let value = value.trim_matches([' ', '\t']);
        if !value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(bad(
                "the value may hold only printable ASCII, spaces and tabs (no line breaks)",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            value: value.to_string(),
            sensitive,
        })
    }

    /// Parses `Name: value` (the form of `-H`).
    pub fn parse(text: &str) -> Result<Self, TransportError> {
        match text.split_once(':') {
            Some((name, value)) => Self::new(name, value),
            None => Err(TransportError::BadHeader {
                shown: text.to_string(),
                why: "no colon: write `Name: value`".to_string(),
            }),
        }
    }

    /// This header, its value never shown wherever the header is printed.
    pub fn secret(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as sent.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the value is never shown.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// `Name: value` for people, or `Name: <redacted>` for a sensitive header.
    pub fn display(&self) -> String {
        if self.sensitive {
            format!("{}: {REDACTED}", self.name)
        } else {
            format!("{}: {}", self.name, self.value)
        }
    }
}

/// Whether the value of a header named `name` is never shown.
pub fn is_sensitive(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A client certificate chain and its private key.
struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

/// How hookspec reaches an endpoint: TLS trust, client certificate, extra headers. The
/// default is the platform's roots, no client certificate, no extra header.
#[derive(Clone, Default)]
pub struct Transport {
    extra_roots: Vec<CertificateDer<'static>>,
    cacert_files: Vec<PathBuf>,
    insecure: bool,
    identity: Option<ClientIdentity>,
    headers: Vec<ExtraHeader>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("extra_roots", &self.extra_roots.len())
            .field("cacert_files", &self.cacert_files)
            .field("insecure", &self.insecure)
            .field(
                "client_cert",
                &self.identity.as_ref().map(|i| i.cert_file.display()),
            )
            .field("headers", &self.headers)
            .finish()
    }
}

impl Transport {
    /// The default: the platform's roots, nothing extra.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also trusts the certificates of this PEM bundle as roots, besides the platform's
    /// (`--cacert FILE`; repeatable).
    pub fn cacert_file(mut self, path: impl AsRef<Path>) -> Result<Self, TransportError> {
        let path = path.as_ref();
        let pem = read(path)?;
        self = self.cacert_pem(&pem, path)?;
        self.cacert_files.push(path.to_path_buf());
        Ok(self)
    }

    /// Also trusts the certificates of this PEM text as roots; `origin` names it in errors.
    pub fn cacert_pem(mut self, pem: &[u8], origin: &Path) -> Result<Self, TransportError> {
        let certs = certificates(pem, origin)?;
        // Check each one the way the verifier will use it, so a bad file fails here, once,
        // naming the file, and not at the first connection.
        let mut store = rustls::RootCertStore::empty();
        for cert in &certs {
            store
                .add(cert.clone())
                .map_err(|e| TransportError::BadCertificate {
                    path: origin.to_path_buf(),
                    why: e.to_string(),
                })?;
        }
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Disables every server certificate check (`--insecure`). The handshake signature is
    /// still verified, so the connection is encrypted to whoever holds the presented key;
    /// who that is, is not checked. Reports of such a run carry [`INSECURE_NOTE`].
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Presents this client certificate (PEM chain, leaf first) with this private key (PEM:
    /// PKCS#8, PKCS#1 or SEC1) to servers that ask for one: mutual TLS.
    pub fn client_identity_files(
        mut self,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TransportError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = certificates(&read(cert)?, cert)?;
        let key_pem = read(key)?;
        let parsed =
            PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TransportError::NoPrivateKey {
                path: key.to_path_buf(),
                why: pem_why(&e),
            })?;
        let identity = ClientIdentity {
            chain,
            key: parsed,
            cert_file: cert.to_path_buf(),
            key_file: key.to_path_buf(),
        };
        // Let rustls judge the pair now, so a mismatch is a configuration error.
        client_builder(&self.provider())?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|e| TransportError::ClientIdentity {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
                why: e.to_string(),
            })?;
        self.identity = Some(identity);
        Ok(self)
    }

    /// Adds a header to every request (repeatable; the same name may repeat).
    pub fn header(mut self, header: ExtraHeader) -> Self {
        self.headers.push(header);
        self
    }

    /// Adds a header whose value is never shown (a gateway key from an environment
    /// variable, for example).
    pub fn secret_header(self, header: ExtraHeader) -> Self {
        self.header(header.secret())
    }

    /// Whether server certificates go unchecked.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> &[ExtraHeader] {
        &self.headers
    }

    /// Whether anything differs from the default.
    pub fn is_default(&self) -> bool {
        self.extra_roots.is_empty()
            && !self.insecure
            && self.identity.is_none()
            && self.headers.is_empty()
    }

    /// The curl options that reproduce this transport (`--cacert FILE`, `--insecure`,
    /// `--cert FILE --key FILE`, `-H 'Name: value'` with sensitive values redacted), as
    /// raw arguments.
    pub fn curl_args(&self) -> Vec<Vec<u8>> {
        let mut args: Vec<Vec<u8>> = Vec::new();
        if self.insecure {
            args.push(b"--insecure".to_vec());
        }
        for file in &self.cacert_files {
            args.push(b"--cacert".to_vec());
            args.push(file.to_string_lossy().as_bytes().to_vec());
        }
        if let Some(identity) = &self.identity {
            args.push(b"--cert".to_vec());
            args.push(identity.cert_file.to_string_lossy().as_bytes().to_vec());
            args.push(b"--key".to_vec());
            args.push(identity.key_file.to_string_lossy().as_bytes().to_vec());
        }
        for header in &self.headers {
            args.push(b"-H".to_vec());
            args.push(header.display().into_bytes());
        }
        args
    }

    fn provider(&self) -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// The rustls client configuration: the platform verifier with the extra roots (or no
    /// certificate check with [`Transport::insecure`]), and the client certificate if any.
    /// No ALPN protocol is set.
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, TransportError> {
        let provider = self.provider();
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure {
            Arc::new(NoCertificateCheck(provider.clone()))
        } else if self.extra_roots.is_empty() {
            Arc::new(
                rustls_platform_verifier::Verifier::new(provider.clone())
                    .map_err(|e| TransportError::Setup(e.to_string()))?,
            )
        } else {
            Arc::new(
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra_roots.iter().cloned(),
                    provider.clone(),
                )
                .map_err(|e| TransportError::Setup(e.to_string()))?,
            )
        };
        let builder = client_builder(&provider)?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        match &self.identity {
            None => Ok(builder.with_no_client_auth()),
            Some(identity) => builder
                .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
                .map_err(|e| TransportError::ClientIdentity {
                    cert: identity.cert_file.clone(),
                    key: identity.key_file.clone(),
                    why: e.to_string(),
                }),
        }
    }
}

fn client_builder(
    provider: &Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>, TransportError> {
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Setup(e.to_string()))
}

fn read(path: &Path) -> Result<Vec<u8>, TransportError> {
    std::fs::read(path).map_err(|e| TransportError::Unreadable {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}

/// Every `CERTIFICATE` block of a PEM text; at least one.
fn certificates(pem: &[u8], origin: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError::NoCertificate {
            path: origin.to_path_buf(),
            why: pem_why(&e),
        })?;
    if certs.is_empty() {
        return Err(TransportError::NoCertificate {
            path: origin.to_path_buf(),
            why: None,
        });
    }
    Ok(certs)
}

fn pem_why(e: &rustls::pki_types::pem::Error) -> Option<String> {
    match e {
        rustls::pki_types::pem::Error::NoItemsFound => None,
        other => Some(other.to_string()),
    }
}

/// Accepts any server certificate, but still checks that the server holds the key it
/// presented (the handshake signature).
#[derive(Debug)]
struct NoCertificateCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertificateCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked_and_sensitive_values_never_shown() {
        let h = ExtraHeader::parse("X-Gateway-Key:  abc ").unwrap();
        assert_eq!((h.name(), h.value()), ("X-Gateway-Key", "abc"));
        assert_eq!(h.display(), "X-Gateway-Key: abc");
        let auth = ExtraHeader::parse("authorization: Bearer s3cret").unwrap();
        assert_eq!(auth.display(), "authorization: <redacted>");
        assert!(!format!("{auth:?}").contains("s3cret"));
        assert!(
            ExtraHeader::parse("X-K: v")
                .unwrap()
                .secret()
                .display()
                .ends_with(REDACTED)
        );
        for reserved in ["Webhook-Signature: x", "content-type: a/b", "HOST: h"] {
            assert_eq!(
                ExtraHeader::parse(reserved).unwrap_err().code(),
                "reserved_header"
            );
        }
        for bad in ["no colon", ": v", "X Y: v", "X-A: a\r\nB: c", "X-A: é"] {
            assert_eq!(ExtraHeader::parse(bad).unwrap_err().code(), "bad_header");
        }
        let e = ExtraHeader::parse("Cookie: a=b\n").unwrap_err();
        assert!(!e.to_string().contains("a=b"), "{e}");
    }

    #[test]
    fn unreadable_and_empty_pem_files_are_named() {
        let dir = std::env::temp_dir().join(format!("hookspec-transport-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let e = Transport::new().cacert_file(&missing).unwrap_err();
        assert_eq!(e.code(), "tls_file_unreadable");
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = Transport::new().cacert_file(&empty).unwrap_err();
        assert_eq!(e.code(), "tls_no_certificate");
        let e = Transport::new()
            .client_identity_files(&empty, &empty)
            .unwrap_err();
        assert_eq!(e.code(), "tls_no_certificate");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_default_and_insecure_configs_build() {
        assert!(Transport::new().is_default());
        Transport::new().rustls_config().unwrap();
        let insecure = Transport::new().insecure(true);
        assert!(!insecure.is_default());
        insecure.rustls_config().unwrap();
        assert_eq!(insecure.curl_args(), vec![b"--insecure".to_vec()]);
    }
}
