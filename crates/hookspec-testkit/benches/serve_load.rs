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

use std::time::Duration;

use hookspec::{Secret, Verifier};
use hookspec_engine::serve::{ServeConfig, spawn};
use hookspec_testkit::load::{bare_server, run, signed_requests};

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
