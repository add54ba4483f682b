//! Closed-loop HTTP load on a receiver, shared by the load bench (`benches/serve_load.rs`)
//! and the allocation test (`tests/serve_allocations.rs`): signed 1 KiB deliveries, each
//! with its own id, written as raw HTTP/1.1 over keep-alive connections, each connection
//! sending its next request when the previous answer arrived. Also the bare axum handler
//! that `serve` is compared with.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use hookspec::{Secret, Signer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A bare axum server: every request answered `200` with a small JSON body, the body read
/// (as a handler taking `Bytes` would).
pub async fn bare_server() -> SocketAddr {
    async fn ok(_body: axum::body::Bytes) -> &'static str {
        "{\"outcome\":\"processed\"}"
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().fallback(ok);
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// `total` raw HTTP/1.1 deliveries of 1 KiB, signed now with distinct ids (`batch` keeps
/// them distinct from other batches), split over `connections`.
pub fn signed_requests(
    secret: &Secret,
    batch: usize,
    total: usize,
    connections: usize,
) -> Vec<Vec<Vec<u8>>> {
    let signer = Signer::new().with_secret(secret.clone());
    let body = vec![b'a'; 1024];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut work = vec![Vec::new(); connections];
    for i in 0..total {
        let id = format!("msg_b{batch}_{i:08}");
        let signature = signer.sign(&id, now, &body).expect("sign");
        let mut request = format!(
            "POST /webhook HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nwebhook-id: {id}\r\nwebhook-timestamp: {now}\r\n\
             webhook-signature: {signature}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        work[i % connections].push(request);
    }
    work
}

/// Sends each connection's requests one after the other, all connections at once; returns
/// the throughput and every request's latency. Panics unless every answer is `200`.
pub async fn run(addr: SocketAddr, work: Vec<Vec<Vec<u8>>>) -> (f64, Vec<Duration>) {
    let total: usize = work.iter().map(Vec::len).sum();
    let started = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|requests| tokio::spawn(connection(addr, requests)))
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.expect("connection task"));
    }
    (total as f64 / started.elapsed().as_secs_f64(), latencies)
}

/// One keep-alive connection: write a request, read its answer, repeat.
async fn connection(addr: SocketAddr, requests: Vec<Vec<u8>>) -> Vec<Duration> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buffer = Vec::with_capacity(4096);
    let mut latencies = Vec::with_capacity(requests.len());
    for request in requests {
        let sent = Instant::now();
        stream.write_all(&request).await.expect("write");
        let status = read_response(&mut stream, &mut buffer).await;
        assert_eq!(status, 200, "every delivery must be accepted");
        latencies.push(sent.elapsed());
    }
    latencies
}

/// Reads one response (head and `content-length` body) and returns its status.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> u16 {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).expect("ASCII head");
            let status = head[9..12].parse().expect("status");
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            let whole = end + 4 + length;
            if buffer.len() >= whole {
                buffer.drain(..whole);
                return status;
            }
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
}
