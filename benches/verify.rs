//! Verification benchmarks (being written).
fn main() {}
