//! The transport flags shared by `check`, `send` and `listen --jwks`: how hookspec reaches a
//! real endpoint (extra CA certificates, no certificate check, a client certificate, extra
//! headers), turned into one [`Transport`].

use std::path::PathBuf;

use hookspec_engine::transport::{ExtraHeader, INSECURE_NOTE, Transport, TransportError};

use super::Failure;

/// How to reach the endpoint over TLS, and which extra headers to send.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct TransportArgs {
    /// Also trust the CA certificates in this PEM file (besides the system's roots), for an
    /// endpoint with a private or self-signed certificate. Repeatable.
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
    /// Do not check the endpoint's TLS certificate at all. Every report of the run says so,
    /// and a warning is printed: a passing run then does not show the certificate is valid.
    #[arg(long)]
    pub insecure: bool,
    /// Present this client certificate (PEM, leaf first) for mutual TLS; needs --client-key.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Add this header to every request ('Name: value'; repeatable), for example an API
    /// gateway's key. It is not signed. The webhook-* headers, content-type,
    /// content-length and host are refused. Values of Authorization, Cookie and
    /// Proxy-Authorization are never printed or written to reports.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Headers from a configuration file (`check --config`): sent unless a --header of the
    /// same name replaces them.
    #[arg(skip)]
    pub file_headers: Vec<ExtraHeader>,
}

impl TransportArgs {
    /// Whether any transport flag was given.
    pub fn any(&self) -> bool {
        !self.cacert.is_empty()
            || self.insecure
            || self.client_cert.is_some()
            || self.client_key.is_some()
            || !self.headers.is_empty()
            || !self.file_headers.is_empty()
    }

    /// The transport these flags describe, every file read and every header checked
    /// (exit 2 naming the file or header otherwise).
    pub fn transport(&self) -> Result<Transport, Failure> {
        self.apply(Transport::new())
    }

    /// `transport` with these flags' settings added.
    pub fn apply(&self, mut transport: Transport) -> Result<Transport, Failure> {
        for path in &self.cacert {
            transport = transport.cacert_file(path).map_err(transport_failure)?;
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            transport = transport
                .client_identity_files(cert, key)
                .map_err(transport_failure)?;
        }
        let flagged = self
            .headers
            .iter()
            .map(|text| ExtraHeader::parse(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(transport_failure)?;
        for header in self.file_headers.iter().filter(|h| {
            !flagged
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(h.name()))
        }) {
            transport = transport.header(header.clone());
        }
        for header in flagged {
            transport = transport.header(header);
        }
        if self.insecure {
            transport = transport.insecure(true);
        }
        Ok(transport)
    }
}

/// A transport error as the one-line failure of the command: exit 2, except when TLS
/// itself cannot be set up (exit 3).
pub fn transport_failure(e: TransportError) -> Failure {
    let message = format!("{e} [{}]", e.code());
    if matches!(e, TransportError::Setup(_)) {
        Failure::tool(message)
    } else {
        Failure::usage(message)
    }
}

/// Prints the `--insecure` warning on standard error, once per run that uses it.
pub fn warn_if_insecure(command: &str, transport: &Transport) {
    if transport.is_insecure() {
        eprintln!("hookspec {command}: warning: {INSECURE_NOTE}");
    }
}
