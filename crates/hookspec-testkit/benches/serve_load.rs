//! Load on `hookspec serve` against a bare axum handler that answers `200`, in one run:
//! 1 KiB signed deliveries, each with its own id (a repeated id would be answered by the
//! dedup store without verifying), over 16 and then 64 keep-alive connections, each
//! connection sending its next request when the previous answer arrived. Prints requests
//! per second and p50 / p99 latency for each, and the ratio serve / bare.
//!
//! ```sh
//! cargo bench -p hookspec-testkit --bench serve_load 2>/dev/null
//! ```
//!
//! `serve` runs as the command line runs it: the reference verifier, the dedup store, one
//! log line per delivery on standard error (hence `2>/dev/null`). Servers and load generator
//! share one 2-worker tokio runtime on 127.0.0.1; every request is signed before the clock
//! starts. `REQUESTS` (default 20000) sets the deliveries per measurement.
//!
//! One measurement varies by ±15 % from the next on a shared machine, so each row is
//! `ROUNDS` (default 5) measurements, the two servers taking turns: the row gives the median
//! throughput and the latency percentiles of all its rounds, and the ratio is that of the
//! medians.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use hookspec::{Secret, Signer, Verifier};
use hookspec_engine::serve::{ServeConfig, spawn};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// One row: the median throughput of its rounds and the latency percentiles of all of them.
struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn of(rates: &mut [f64], latencies: &mut [Duration]) -> Self {
        rates.sort_by(f64::total_cmp);
        latencies.sort_unstable();
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        Self {
            per_second: rates[rates.len() / 2],
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects nothing here.
    let setting = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let requests = setting("REQUESTS", 20_000);
    let rounds = setting("ROUNDS", 5).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let secret = Secret::from_bytes(&[7; 32]).expect("secret");
        let serve = spawn(
            ServeConfig::new(Verifier::new().with_secret(secret.clone()))
                .addr(([127, 0, 0, 1], 0).into()),
        )
        .await
        .expect("serve starts");
        let bare = bare_server().await;
        println!(
            "{rounds} rounds of {requests} deliveries of 1 KiB per row, closed loop, keep-alive"
        );
        println!("| server | connections | requests/s (median) | p50 | p99 |");
        println!("|---|---|---|---|---|");
        let servers = [
            ("bare axum handler", bare),
            ("hookspec serve", serve.local_addr()),
        ];
        let mut batch = 0usize;
        for connections in [16usize, 64] {
            let mut rates = [Vec::new(), Vec::new()];
            let mut latencies = [Vec::new(), Vec::new()];
            for _ in 0..rounds {
                for (index, (_, addr)) in servers.iter().enumerate() {
                    batch += 1;
                    let work = signed_requests(&secret, batch, requests, connections);
                    let (per_second, mut measured) = run(*addr, work).await;
                    rates[index].push(per_second);
                    latencies[index].append(&mut measured);
                }
            }
            let mut medians = [0.0; 2];
            for (index, (name, _)) in servers.iter().enumerate() {
                let figures = Figures::of(&mut rates[index], &mut latencies[index]);
                println!(
                    "| {name} | {connections} | {:.0} | {:.2} ms | {:.2} ms |",
                    figures.per_second,
                    ms(figures.p50),
                    ms(figures.p99)
                );
                medians[index] = figures.per_second;
            }
            println!(
                "| serve / bare | {connections} | {:.2}× | | |",
                medians[1] / medians[0]
            );
        }
        serve.shutdown().await.expect("shutdown");
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A bare axum server: every request answered `200` with a small JSON body, the body read
/// (as a handler taking `Bytes` would).
async fn bare_server() -> SocketAddr {
    async fn ok(_body: axum::body::Bytes) -> &'static str {
        "{\"outcome\":\"processed\"}"
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().fallback(ok);
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// `total` raw HTTP/1.1 deliveries, signed with distinct ids, split over `connections`.
fn signed_requests(
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

/// Sends each connection's requests one after the other; returns the throughput and every
/// request's latency.
async fn run(addr: SocketAddr, work: Vec<Vec<Vec<u8>>>) -> (f64, Vec<Duration>) {
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
