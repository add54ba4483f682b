//! TLS in front of any loopback server, for the transport tests: a throwaway CA made with
//! rcgen (a server certificate for 127.0.0.1 and a client certificate, all written as PEM
//! files), and a proxy that terminates TLS, optionally demands a client certificate or a
//! gateway header, and pipes the connection to the plain-HTTP server behind it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A CA, a server certificate it issued for `127.0.0.1` and `localhost`, and a client
/// certificate it issued; the PEM files live in a temporary directory.
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA certificate (what `--cacert` takes).
    pub ca_pem: PathBuf,
    /// The client certificate (`--client-cert`).
    pub client_cert: PathBuf,
    /// The client key (`--client-key`).
    pub client_key: PathBuf,
    /// A second CA that issued nothing here (trusting it must not help).
    pub other_ca_pem: PathBuf,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

fn ca(name: &str) -> (CertificateParams, KeyPair, rcgen::Certificate) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (params, key, cert)
}

impl Pki {
    /// Makes the CA and both certificates.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca_params, ca_key, ca_cert) = ca("hookspec test CA");
        let (_, _, other_ca) = ca("hookspec other CA");
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        server
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();

        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, "hookspec test client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().unwrap();
        let client_cert = client.signed_by(&client_key, &issuer).unwrap();

        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        Self {
            ca_pem: write("ca.pem", ca_cert.pem()),
            other_ca_pem: write("other-ca.pem", other_ca.pem()),
            client_cert: write("client.pem", client_cert.pem()),
            client_key: write("client-key.pem", client_key.serialize_pem()),
            ca_der: ca_cert.der().clone(),
            server_chain: vec![server_cert.der().clone()],
            server_key: server_key.serialize_der(),
            _dir: dir,
        }
    }

    /// The path of a file in the certificates' directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self._dir.path().join(name)
    }

    fn server_config(&self, require_client_cert: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        builder
            .with_single_cert(
                self.server_chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone())),
            )
            .unwrap()
    }
}

/// What the proxy demands before it forwards a connection.
#[derive(Debug, Clone, Default)]
pub struct Demands {
    /// A client certificate issued by the test CA (mutual TLS).
    pub client_cert: bool,
    /// This header, with exactly this value, on the request (otherwise 401).
    pub header: Option<(String, String)>,
}

/// A TLS proxy on a free loopback port; stops when dropped.
pub struct TlsProxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsProxy {
    /// Terminates TLS with the test CA's server certificate and forwards to `upstream`.
    pub async fn spawn(pki: &Pki, upstream: SocketAddr, demands: Demands) -> Self {
        let acceptor =
            tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config(demands.client_cert)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let demands = Arc::new(demands);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, demands) = (acceptor.clone(), demands.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        forward(tls, upstream, &demands).await;
                    }
                });
            }
        });
        Self { addr, task }
    }

    /// `https://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

/// Checks the first request's head against the demanded header, then pipes both ways.
async fn forward(
    mut tls: tokio_rustls::server::TlsStream<TcpStream>,
    upstream: SocketAddr,
    demands: &Demands,
) {
    let mut head = Vec::new();
    if let Some((name, value)) = &demands.header {
        let mut chunk = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
            match tls.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&head);
        let present = text.lines().any(|line| {
            line.split_once(':').is_some_and(|(n, v)| {
                n.trim().eq_ignore_ascii_case(name) && v.trim() == value.as_str()
            })
        });
        if !present {
            let _ = tls
                .write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\nConnection: close\r\n\r\nno gateway\r\n",
                )
                .await;
            let _ = tls.shutdown().await;
            return;
        }
    }
    let Ok(mut plain) = TcpStream::connect(upstream).await else {
        return;
    };
    if plain.write_all(&head).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
}
