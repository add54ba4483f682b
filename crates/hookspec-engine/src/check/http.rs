//! A deliberately small HTTP/1.1 client that sends a [`Delivery`] byte for byte.
//!
//! General-purpose clients (reqwest, hyper) lower-case or canonicalize header names, merge
//! or reorder repeated fields and refuse non-ASCII values, which are exactly the things the
//! catalogue varies. Here the request is the delivery's own bytes ([`Delivery::to_http1`])
//! on a fresh connection (`Connection: close`), plain TCP or TLS (rustls on `ring`, server
//! certificates checked by the platform verifier, or as the run's [`Transport`] says), with
//! the transport's extra headers after the delivery's own. The response head is parsed with
//! `httparse`; the body is read with a cap (Content-Length, chunked, or to end of stream).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::CheckError;
use crate::cases::Answer;
use crate::delivery::{Delivery, preview};
use crate::transport::{ExtraHeader, Transport};

/// The longest response head read.
const MAX_HEAD: usize = 64 * 1024;
/// How much of a delivery's response body is kept (the rest is not read).
pub const DELIVERY_BODY_CAP: usize = 64 * 1024;
/// How much of the response body is shown as evidence.
const EVIDENCE_CHARS: usize = 80;

/// A byte stream to the target: TCP or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An open connection to the target, ready for one request.
pub struct Connection {
    io: Box<dyn Io>,
    started: Instant,
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header fields as received.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, up to the cap.
    pub body: Vec<u8>,
    /// Time from the start of the connection to the parsed response head.
    pub latency: Duration,
}

/// Where deliveries go: a parsed `http://` or `https://` URL.
#[derive(Clone)]
pub struct Target {
    url: url::Url,
    host: String,
    port: u16,
    host_header: String,
    path: String,
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
    /// Headers sent after the delivery's own on every request (see [`Transport`]).
    extra: Arc<[ExtraHeader]>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.display())
            .finish()
    }
}

impl Target {
    /// Parses and prepares a target URL (`http://` or `https://`), reached with the
    /// default [`Transport`].
    pub fn parse(text: &str) -> Result<Self, CheckError> {
        Self::parse_with(text, &Transport::default())
    }

    /// Parses and prepares a target URL reached through `transport` (its TLS trust, client
    /// certificate and extra headers).
    pub fn parse_with(text: &str, transport: &Transport) -> Result<Self, CheckError> {
        let invalid = |why: String| CheckError::InvalidUrl {
            url: redact_userinfo(text),
            why,
        };
        let url = url::Url::parse(text).map_err(|e| invalid(e.to_string()))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(invalid(format!(
                    "unsupported scheme {other:?}: use http or https"
                )));
            }
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| invalid("no port".into()))?;
        let (host, server_name) = match url.host() {
            Some(url::Host::Domain(d)) => (
                d.to_string(),
                rustls::pki_types::ServerName::try_from(d.to_string()).ok(),
            ),
            Some(url::Host::Ipv4(ip)) => (
                ip.to_string(),
                Some(rustls::pki_types::ServerName::IpAddress(
                    std::net::IpAddr::V4(ip).into(),
                )),
            ),
            Some(url::Host::Ipv6(ip)) => (
                ip.to_string(),
                Some(rustls::pki_types::ServerName::IpAddress(
                    std::net::IpAddr::V6(ip).into(),
                )),
            ),
            None => return Err(invalid("no host".into())),
        };
        let host_header = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(invalid("no host".into())),
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let tls = if tls {
            let name = server_name.ok_or_else(|| invalid("invalid TLS server name".into()))?;
            Some((tls_connector(transport)?, name))
        } else {
            None
        };
        Ok(Self {
            url,
            host,
            port,
            host_header,
            path,
            tls,
            extra: transport.headers().into(),
        })
    }

    /// The URL without user information (for reports).
    pub fn display(&self) -> String {
        redact_userinfo(self.url.as_str())
    }

    /// The URL for a request target (`path` replaces the URL's path and query).
    pub fn url_with_path(&self, path: Option<&str>) -> String {
        match path {
            None => self.display(),
            Some(p) => {
                let mut url = self.url.clone();
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.set_query(None);
                url.set_path("");
                format!("{}{}", url.as_str().trim_end_matches('/'), p)
            }
        }
    }

    /// Opens a connection (TCP, then TLS for https).
    pub async fn connect(&self) -> Result<Connection, String> {
        let started = Instant::now();
        let tcp = match self.host.parse::<std::net::IpAddr>() {
            Ok(ip) => TcpStream::connect(SocketAddr::new(ip, self.port)).await,
            Err(_) => TcpStream::connect((self.host.as_str(), self.port)).await,
        }
        .map_err(|e| format!("cannot connect to {}:{}: {e}", self.host, self.port))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some((connector, name)) => Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake with {} failed: {e}", self.host))?,
            ),
        };
        Ok(Connection { io, started })
    }

    /// Sends `delivery` on a fresh connection and reads the answer.
    pub async fn send(&self, delivery: &Delivery, timeout: Duration) -> Answer {
        let bytes = match self.request_bytes(delivery) {
            Ok(bytes) => bytes,
            Err(why) => return Answer::NoAnswer(why),
        };
        let exchange = async {
            let conn = self.connect().await?;
            conn.exchange(&bytes, DELIVERY_BODY_CAP).await
        };
        answer_within(timeout, exchange).await
    }

    /// Sends `copies` identical copies of `delivery` at once, each on its own connection:
    /// every connection is opened first, then all requests are written together (a
    /// barrier), so that a check-then-insert duplicate filter sees them concurrently.
    pub async fn burst(
        &self,
        delivery: &Delivery,
        copies: usize,
        timeout: Duration,
    ) -> Vec<Answer> {
        let bytes = match self.request_bytes(delivery) {
            Ok(bytes) => Arc::new(bytes),
            Err(why) => return vec![Answer::NoAnswer(why); copies],
        };
        let barrier = Arc::new(tokio::sync::Barrier::new(copies));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..copies {
            let (target, barrier, bytes) = (self.clone(), barrier.clone(), bytes.clone());
            tasks.spawn(async move {
                let conn = tokio::time::timeout(timeout, target.connect()).await;
                barrier.wait().await;
                match conn {
                    Ok(Ok(conn)) => {
                        answer_within(timeout, conn.exchange(&bytes, DELIVERY_BODY_CAP)).await
                    }
                    Ok(Err(e)) => Answer::NoAnswer(e),
                    Err(_) => Answer::TimedOut { after: timeout },
                }
            });
        }
        let mut answers = Vec::with_capacity(copies);
        while let Some(joined) = tasks.join_next().await {
            answers.push(joined.unwrap_or_else(|e| Answer::NoAnswer(format!("task failed: {e}"))));
        }
        answers
    }

    /// The bytes of `delivery` as sent to this target.
    pub fn request_bytes(&self, delivery: &Delivery) -> Result<Vec<u8>, String> {
        delivery
            .to_http1(&self.host_header, &self.path, &self.trailing_fields())
            .map_err(|e| format!("cannot write the request: {e}"))
    }

    /// The fields after a request's own: hookspec's `User-Agent` (unless an extra header
    /// replaces it), `Connection: close`, then the transport's extra headers.
    fn trailing_fields(&self) -> Vec<(&str, &str)> {
        let mut fields = Vec::with_capacity(2 + self.extra.len());
        if !self
            .extra
            .iter()
            .any(|h| h.name().eq_ignore_ascii_case("user-agent"))
        {
            fields.push((
                "User-Agent",
                concat!("hookspec/", env!("CARGO_PKG_VERSION")),
            ));
        }
        fields.push(("Connection", "close"));
        fields.extend(self.extra.iter().map(|h| (h.name(), h.value())));
        fields
    }

    /// `GET` on the URL, reading a body of up to `cap` bytes.
    pub async fn get(&self, timeout: Duration, cap: usize) -> Result<Response, String> {
        let mut request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.path, self.host_header,
        );
        for (name, value) in self.trailing_fields() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let exchange = async {
            let conn = self.connect().await?;
            conn.exchange(request.as_bytes(), cap).await
        };
        with_timeout(timeout, exchange).await
    }
}

/// Runs `future` with a deadline.
pub async fn with_timeout<T>(
    timeout: Duration,
    future: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no response within {}",
            humantime::format_duration(timeout)
        )),
    }
}

/// Runs a delivery's exchange with a deadline: its answer, or [`Answer::TimedOut`].
async fn answer_within(
    timeout: Duration,
    exchange: impl std::future::Future<Output = Result<Response, String>>,
) -> Answer {
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => to_answer(result),
        Err(_) => Answer::TimedOut { after: timeout },
    }
}

/// Turns an exchange result into the answer the cases judge.
pub fn to_answer(result: Result<Response, String>) -> Answer {
    match result {
        Ok(r) => Answer::Status {
            code: r.status,
            latency: r.latency,
            body: if r.body.is_empty() {
                String::new()
            } else {
                preview(&r.body, EVIDENCE_CHARS)
            },
        },
        Err(why) => Answer::NoAnswer(why),
    }
}

impl Connection {
    /// Writes `request` and reads one response (skipping interim 1xx responses), keeping at
    /// most `cap` bytes of its body.
    pub async fn exchange(mut self, request: &[u8], cap: usize) -> Result<Response, String> {
        // A server may answer early (413 before the whole body) and close: the write then
        // fails, but the response is still worth reading.
        let write = async {
            self.io.write_all(request).await?;
            self.io.flush().await
        }
        .await;
        let mut buf = Vec::with_capacity(1024);
        let response = self.read_response(&mut buf, cap).await;
        match (response, write) {
            (Ok(r), _) => Ok(r),
            (Err(_), Err(w)) => Err(format!("connection failed while sending: {w}")),
            (Err(e), Ok(())) => Err(e),
        }
    }

    async fn read_response(&mut self, buf: &mut Vec<u8>, cap: usize) -> Result<Response, String> {
        loop {
            let (status, headers, head_len) = loop {
                if let Some(parsed) = parse_head(buf)? {
                    break parsed;
                }
                if buf.len() > MAX_HEAD {
                    return Err(format!("response head longer than {MAX_HEAD} bytes"));
                }
                if self.fill(buf).await? == 0 {
                    return Err(if buf.is_empty() {
                        "connection closed without a response".to_string()
                    } else {
                        "connection closed in the middle of the response head".to_string()
                    });
                }
            };
            let latency = self.started.elapsed();
            buf.drain(..head_len);
            if (100..200).contains(&status) && status != 101 {
                continue;
            }
            let body = self.read_body(buf, status, &headers, cap).await;
            return Ok(Response {
                status,
                headers,
                body,
                latency,
            });
        }
    }

    async fn fill(&mut self, buf: &mut Vec<u8>) -> Result<usize, String> {
        let mut chunk = [0u8; 8192];
        let n = self
            .io
            .read(&mut chunk)
            .await
            .map_err(|e| format!("connection failed while reading: {e}"))?;
        buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads the body after the head; errors after the head only shorten the body.
    async fn read_body(
        &mut self,
        buf: &mut Vec<u8>,
        status: u16,
        headers: &[(String, Vec<u8>)],
        cap: usize,
    ) -> Vec<u8> {
        if matches!(status, 204 | 304) {
            return Vec::new();
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
        };
        if header("transfer-encoding").is_some_and(|te| te.ends_with("chunked")) {
            return self.read_chunked(buf, cap).await;
        }
        let limit = match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            Some(len) => len.min(cap),
            None => cap,
        };
        while buf.len() < limit {
            match self.fill(buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        buf.truncate(limit);
        std::mem::take(buf)
    }

    async fn read_chunked(&mut self, buf: &mut Vec<u8>, cap: usize) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let (size, used) = loop {
                match httparse::parse_chunk_size(buf) {
                    Ok(httparse::Status::Complete((used, size))) => break (size, used),
                    Ok(httparse::Status::Partial) => {}
                    Err(_) => return body,
                }
                if !matches!(self.fill(buf).await, Ok(n) if n > 0) {
                    return body;
                }
            };
            buf.drain(..used);
            if size == 0 {
                return body;
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            // The chunk and its trailing CRLF.
            let want = size.saturating_add(2);
            while buf.len() < want {
                if !matches!(self.fill(buf).await, Ok(n) if n > 0) {
                    let take = buf.len().min(size).min(cap - body.len().min(cap));
                    body.extend_from_slice(&buf[..take]);
                    return body;
                }
            }
            let room = cap.saturating_sub(body.len());
            body.extend_from_slice(&buf[..size.min(room)]);
            buf.drain(..want);
            if body.len() >= cap {
                return body;
            }
        }
    }
}

pub(crate) type Head = (u16, Vec<(String, Vec<u8>)>, usize);

#[doc(hidden)] // for the fuzz oracles in hookspec-testkit
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut fields);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let status = response.code.unwrap_or(0);
            let headers = response
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect();
            Ok(Some((status, headers, len)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("not an HTTP/1.x response: {e}")),
    }
}

/// A TLS connector on rustls with the `ring` provider, configured by `transport` (by
/// default the platform's certificate verifier, no client certificate).
fn tls_connector(transport: &Transport) -> Result<tokio_rustls::TlsConnector, CheckError> {
    let config = transport.rustls_config()?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

use crate::net::redact_userinfo;

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpListener;

    use super::*;

    /// A one-shot server that records the request bytes and answers `reply`.
    async fn serve_once(reply: &'static [u8]) -> (Target, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then as many body bytes as Content-Length says.
            loop {
                let n = sock.read(&mut chunk).await.unwrap();
                got.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            sock.write_all(reply).await.unwrap();
            sock.shutdown().await.ok();
            got
        });
        (
            Target::parse(&format!("http://{addr}/hook?x=1")).unwrap(),
            handle,
        )
    }

    #[tokio::test]
    async fn sends_exact_bytes_and_reads_a_chunked_answer() {
        let (target, server) = serve_once(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno_ma\r\n4\r\ntch!\r\n0\r\n\r\n",
        )
        .await;
        let d = Delivery::signed("msg_1", "1", "v1,a", b"{}".to_vec())
            .rename("webhook-id", "Webhook-Id")
            .header("webhook-signature", vec![0xef, 0xbc, 0x91]);
        let answer = target.send(&d, Duration::from_secs(5)).await;
        let sent = server.await.unwrap();
        let text = String::from_utf8_lossy(&sent);
        assert!(
            text.starts_with("POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:"),
            "{text}"
        );
        assert!(text.contains("\r\nWebhook-Id: msg_1\r\n"));
        assert!(sent.windows(5).any(|w| w == b": \xef\xbc\x91"));
        match answer {
            Answer::Status { code, body, .. } => {
                assert_eq!(code, 401);
                assert_eq!(body, "\"no_match!\"");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn content_length_body_and_refused_connections() {
        let (target, _server) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").await;
        let r = target.get(Duration::from_secs(5), 1024).await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        // Nothing listens on the port any more.
        let answer = target
            .send(&Delivery::post("{}"), Duration::from_secs(5))
            .await;
        assert!(matches!(answer, Answer::NoAnswer(_)), "{answer:?}");
    }

    #[tokio::test]
    async fn an_endpoint_that_never_answers_is_a_timeout_not_a_refusal() {
        // Accepts, reads, and holds the connection without answering.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let target = Target::parse(&format!("http://{addr}/")).unwrap();
        let answer = target
            .send(&Delivery::post("{}"), Duration::from_millis(200))
            .await;
        assert_eq!(
            answer,
            Answer::TimedOut {
                after: Duration::from_millis(200)
            }
        );
        assert!(!answer.is_refusal() && !answer.is_success());
        assert_eq!(answer.short(), "no answer within 200ms");
    }

    #[tokio::test]
    async fn https_goes_through_a_tls_handshake() {
        // A plain-HTTP server behind an https:// URL: the handshake fails, clearly.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let _ = sock
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
            let _ = sock.shutdown().await;
        });
        let tls = Target::parse(&format!("https://{addr}/")).unwrap();
        match tls
            .send(&Delivery::post("{}"), Duration::from_secs(5))
            .await
        {
            Answer::NoAnswer(why) => assert!(why.contains("TLS handshake"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urls_are_checked_and_credentials_never_shown() {
        assert_eq!(Target::parse("ftp://x/").unwrap_err().code(), "invalid_url");
        assert_eq!(
            Target::parse("not a url").unwrap_err().code(),
            "invalid_url"
        );
        let t = Target::parse("http://user:pw@127.0.0.1:9/h").unwrap();
        assert_eq!(t.display(), "http://127.0.0.1:9/h");
        assert_eq!(t.url_with_path(Some("/other")), "http://127.0.0.1:9/other");
        assert!(Target::parse("https://example.com/").is_ok());
        assert!(Target::parse("http://[::1]:8080/").is_ok());
        assert_eq!(
            redact_userinfo("http://user:pw@127.0.0.1:99999/h"),
            "http://127.0.0.1:99999/h"
        );
        assert_eq!(
            redact_userinfo("https://u:p@w@host/x@y"),
            "https://host/x@y"
        );
        assert_eq!(redact_userinfo("not a url"), "not a url");
    }
}
