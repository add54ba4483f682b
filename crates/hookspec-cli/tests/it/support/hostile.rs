//! Hostile peers for `check` that are not flawed receivers: a slow proxy in front of a
//! correct receiver, and an observer whose document is huge. Loopback only; each stops when
//! dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A proxy on `127.0.0.1:0` that passes the first `fast` requests straight on, then holds
/// every later one for `delay` before passing it on. What it passes on is processed even
/// when the client stopped waiting: a slow but correct endpoint, as seen through a slow
/// load balancer.
pub struct SlowProxy {
    /// Deliver here.
    pub url: String,
    /// Requests passed on to the receiver so far.
    pub forwarded: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SlowProxy {
    /// Starts a proxy to `upstream` (an `http://host:port/` URL's address).
    pub async fn start(upstream: SocketAddr, fast: usize, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let counter = forwarded.clone();
        let task = tokio::spawn(async move {
            let mut accepted = 0usize;
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                accepted += 1;
                let hold = if accepted > fast {
                    delay
                } else {
                    Duration::ZERO
                };
                let counter = counter.clone();
                connections.spawn(async move {
                    if relay(client, upstream, hold).await {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Self {
            url,
            forwarded,
            task,
        }
    }
}

/// Reads one request (until the client is done sending), waits `hold`, sends it to
/// `upstream`, and relays the answer if the client still listens. Whether the request
/// reached the receiver.
async fn relay(mut client: TcpStream, upstream: SocketAddr, hold: Duration) -> bool {
    let mut request = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    // hookspec writes a request at once: it is complete at the end of the stream or after a
    // quiet moment.
    loop {
        match tokio::time::timeout(Duration::from_millis(200), client.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => request.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    if request.is_empty() {
        return false;
    }
    tokio::time::sleep(hold).await;
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return false;
    };
    if server.write_all(&request).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), server.read_to_end(&mut answer)).await;
    let _ = client.write_all(&answer).await;
    true
}

/// An observer on `127.0.0.1:0` whose every `GET` is answered with `document`.
pub struct BigObserver {
    /// The observer URL.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BigObserver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BigObserver {
    /// Serves `document` (with its Content-Length) to every request.
    pub async fn start(document: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/observed", listener.local_addr().expect("addr"));
        let document = Arc::new(document);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let document = document.clone();
                connections.spawn(async move {
                    let mut head = [0u8; 4096];
                    let _ = client.read(&mut head).await;
                    let start = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        document.len()
                    );
                    let _ = client.write_all(start.as_bytes()).await;
                    let _ = client.write_all(&document).await;
                    let _ = client.shutdown().await;
                });
            }
        });
        Self { url, task }
    }
}

/// An observer document of about `bytes` bytes: `{"msg_00000000":1,…}`, compact, with ids
/// no run sends.
pub fn observer_document(bytes: usize) -> Vec<u8> {
    // `"msg_00000000":1,` is 17 bytes.
    let entries = bytes / 17;
    let mut doc = Vec::with_capacity(entries * 17 + 2);
    doc.push(b'{');
    for n in 0..entries {
        if n > 0 {
            doc.push(b',');
        }
        doc.extend_from_slice(format!("\"msg_{n:08}\":1").as_bytes());
    }
    doc.push(b'}');
    doc
}

/// The peak resident set (VmHWM) of a running process, in KiB, if it can be read.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
