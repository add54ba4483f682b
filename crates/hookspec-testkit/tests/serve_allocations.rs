//! Heap allocations per delivery of the reference receiver, against a bare axum handler on
//! the same kind of deliveries, in one run.
//!
//! Under load, an allocation made on one tokio worker and freed on the other costs more than
//! its `malloc` (glibc's arena lock). Ten of them per delivery held `serve` to about 0.7× of
//! the bare handler's throughput (docs/src/evidence.md, "Load"); the usual path now
//! allocates about one block more than the bare handler does. This test keeps it there:
//! it fails if verifying, admitting the id, or answering starts allocating again.
//!
//! Counted with `dhat`'s heap-usage testing (one test per file, as it requires). The log
//! is off: its lines are formatted into a per-thread buffer (serve/log.rs), and the test
//! must not write thousands of lines to the terminal. The counts include the load
//! generator's own allocations, the same for both servers.

use hookspec::{Secret, Verifier};
use hookspec_engine::serve::{LogSink, ServeConfig, spawn};
use hookspec_testkit::load::{bare_server, run, signed_requests};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Deliveries per server before counting (connection buffers, the id map's first growth).
const WARM_UP: usize = 200;
/// Deliveries per server counted.
const COUNTED: usize = 2_000;
const CONNECTIONS: usize = 4;

#[test]
fn serve_allocates_at_most_two_blocks_per_delivery_more_than_a_bare_handler() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let [bare, serve] = runtime.block_on(async {
        let secret = Secret::from_bytes(&[7; 32]).expect("secret");
        let serve = spawn(
            ServeConfig::new(Verifier::new().with_secret(secret.clone()))
                .addr(([127, 0, 0, 1], 0).into())
                .log(LogSink::Off),
        )
        .await
        .expect("serve starts");
        let servers = [bare_server().await, serve.local_addr()];
        let mut per_delivery = [0.0; 2];
        for (index, addr) in servers.into_iter().enumerate() {
            run(
                addr,
                signed_requests(&secret, 2 * index, WARM_UP, CONNECTIONS),
            )
            .await;
            let work = signed_requests(&secret, 2 * index + 1, COUNTED, CONNECTIONS);
            let before = dhat::HeapStats::get().total_blocks;
            run(addr, work).await;
            let blocks = dhat::HeapStats::get().total_blocks - before;
            per_delivery[index] = blocks as f64 / COUNTED as f64;
        }
        assert_eq!(serve.observed().len(), WARM_UP + COUNTED);
        serve.shutdown().await.expect("shutdown");
        per_delivery
    });
    eprintln!("blocks allocated per delivery: bare axum handler {bare:.2}, serve {serve:.2}");
    assert!(
        serve - bare <= 2.0,
        "serve allocates {serve:.2} blocks per delivery, the bare handler {bare:.2}"
    );
}
