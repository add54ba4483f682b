//! Wall time of the two whole-corpus operations (goal: under 1 s each on 2 cores):
//! generating every vector file (including serialization), and the built-in check of the
//! whole corpus against the reference verifier through the adapter protocol types.
//!
//! `cargo bench --bench vectors`

use criterion::{Criterion, criterion_group, criterion_main};
use hookspec_engine::vectors::harness::{self, Builtin, Clock};
use hookspec_engine::vectors::{VectorFile, corpus};

fn files() -> Vec<VectorFile> {
    corpus::generate()
        .expect("the corpus generates")
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("vectors");
    group.sample_size(10);
    group.bench_function("generate_corpus", |b| {
        b.iter(|| {
            corpus::generate()
                .expect("the corpus generates")
                .iter()
                .map(|(_, f)| f.to_json().len())
                .sum::<usize>()
        })
    });
    let files = files();
    group.bench_function("builtin_check", |b| {
        b.iter(|| {
            let report = harness::run(&files, &mut Builtin, Clock::Injected).expect("runs");
            assert_eq!(report.divergences().count(), 0);
            report.outcomes.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
