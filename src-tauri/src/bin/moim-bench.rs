//! moim-bench: the signaling load generator (filled in by the benchmark work).
fn main() {}
