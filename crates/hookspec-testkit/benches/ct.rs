//! Constant-time evidence (dudect-style): prints max |t| and the measurement count for each
//! class pair of `hookspec_testkit::ct::cases`.
//!
//! `cargo bench --bench ct` (default 200000 measurements per pair), or
//! `cargo bench --bench ct -- N` for N measurements. |t| > 4.5 means the two classes are
//! distinguishable by timing.

use hookspec_testkit::ct::{THRESHOLD, cases, measure};

fn main() {
    let measurements = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(200_000);
    println!("| case | classes | measurements | max abs(t) | median ns (class 0 / 1) | verdict |");
    println!("|---|---|---|---|---|---|");
    for (i, mut case) in cases().into_iter().enumerate() {
        let report = measure(measurements, 0x9e37_79b9 + i as u64, case.op.as_mut());
        let verdict = match (report.leaks(), case.secret_dependent) {
            (false, _) => "no difference detected",
            (true, true) => "LEAK: timing depends on the secret-derived match",
            (true, false) => "differs on public data (expected, not a leak)",
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.0} / {:.0} | {} |",
            case.name,
            case.classes,
            report.measurements,
            report.max_t,
            report.median_ns[0],
            report.median_ns[1],
            verdict
        );
    }
    println!("\nthreshold: abs(t) > {THRESHOLD}");
}
