//! `hookspec check` against the local reference receiver: wall time of the full default
//! suite, and the request rate of the concurrent duplicate case (16 identical deliveries
//! sent at once).
//!
//! ```sh
//! cargo bench --bench check
//! ```
//!
//! Both run in-process on a 2-worker tokio runtime with the receiver on 127.0.0.1:0 and
//! the default concurrency (4), as `hookspec check` with no URL does.

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hookspec::{Secret, Verifier};
use hookspec_engine::cases::duplicate::BURST;
use hookspec_engine::cases::{Ctx, Keys, catalogue_for};
use hookspec_engine::check::{self, Config, select::select};
use hookspec_engine::serve::{LogSink, RunningServer, ServeConfig, spawn};

fn keys() -> Keys {
    let s = |b: u8| Secret::from_bytes(&[b; 32]).expect("32-byte secret");
    Keys {
        secrets: vec![s(1), s(2)],
        revoked: Some(s(3)),
        signing_key: Some(hookspec::SigningKey::from_seed(&[4; 32])),
        key_set: None,
    }
}

fn config(server: &RunningServer, patterns: &[&str]) -> Config {
    let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
    Config {
        url: server.base_url(),
        keys: keys(),
        observe: Some(server.observe_url()),
        observe_command: None,
        strict: false,
        cases: select(catalogue_for(hookspec::Scheme::V1), &patterns, &[]).expect("patterns match"),
        concurrency: check::DEFAULT_CONCURRENCY,
        timeout: check::DEFAULT_TIMEOUT,
        repro_dir: None,
        target_label: None,
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime.block_on(async {
        let k = keys();
        let verifier = Verifier::new()
            .with_secret(k.secrets[0].clone())
            .with_secret(k.secrets[1].clone())
            .with_public_key(hookspec::SigningKey::from_seed(&[4; 32]).public_key());
        spawn(
            ServeConfig::new(verifier)
                .addr(([127, 0, 0, 1], 0).into())
                .log(LogSink::Off),
        )
        .await
        .expect("reference receiver")
    });

    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("full default suite", |b| {
        b.iter(|| {
            let report = runtime
                .block_on(check::run(config(&server, &[]), &|_| {}))
                .expect("run");
            assert_eq!(report.summary.failed, 0);
            report
        });
    });
    // The concurrent duplicate case's burst on its own: 16 copies of a fresh, valid
    // delivery on 16 connections, written at once (throughput = deliveries per second).
    let target = check::http::Target::parse(&server.base_url()).expect("target");
    let k = keys();
    group.throughput(Throughput::Elements(BURST as u64));
    group.bench_function("duplicate/concurrent burst (16 deliveries)", |b| {
        b.iter_batched(
            || {
                let tag = check::run_tag();
                Ctx::new(&k, &tag, "duplicate/concurrent").valid()
            },
            |delivery| {
                let answers =
                    runtime.block_on(target.burst(&delivery, BURST, check::DEFAULT_TIMEOUT));
                assert!(
                    answers
                        .iter()
                        .all(hookspec_engine::cases::Answer::is_success)
                );
                answers
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
