//! The constant-time harness can fail: it flags a leaky comparator.
//!
//! Only the leaky comparator is asserted on. hookspec's own |t| is reported by
//! `cargo bench --bench ct`, never asserted here: on a shared machine noise alone can push
//! any statistic past a threshold.

use hookspec_testkit::ct::{Moments, THRESHOLD, leaky_long_case, measure, welch_t};

#[test]
fn welch_t_matches_a_hand_computed_value() {
    // a: 1..=5 (mean 3, variance 2.5); b: 2,4,6,8,10 (mean 6, variance 10).
    // t = (3 - 6) / sqrt(2.5/5 + 10/5) = -3 / sqrt(2.5) = -1.897366...
    let (mut a, mut b) = (Moments::default(), Moments::default());
    for x in 1..=5 {
        a.push(f64::from(x));
        b.push(f64::from(2 * x));
    }
    assert_eq!(a.count(), 5);
    assert!((a.variance() - 2.5).abs() < 1e-12);
    assert!((b.variance() - 10.0).abs() < 1e-12);
    assert!((welch_t(&a, &b) + 3.0 / 2.5f64.sqrt()).abs() < 1e-12);
    // Identical classes give t = 0, and too few samples give 0 rather than NaN.
    assert_eq!(welch_t(&a, &a), 0.0);
    assert_eq!(welch_t(&Moments::default(), &b), 0.0);
}

#[test]
fn harness_flags_the_leaky_comparator() {
    // The two classes differ by ~4095 iterations of a byte loop (microseconds in a debug
    // build), against nanoseconds of timer resolution; 4000 interleaved measurements and the
    // percentile crops (which drop preemption outliers) keep |t| far above the threshold
    // even on a loaded two-core machine.
    let mut case = leaky_long_case();
    let report = measure(4000, 0x5eed, case.op.as_mut());
    assert_eq!(report.measurements, 4000);
    assert!(
        report.max_t > 4.0 * THRESHOLD,
        "leaky comparator not detected: max |t| = {:.1}, means {:?} ns",
        report.max_t,
        report.mean_ns
    );
    assert!(report.mean_ns[1] > report.mean_ns[0]);
}
