//! Waiting for what no event announces (another host's list, a process's exit): poll a probe
//! until it yields, and fail with what was awaited. A limit here guards against hanging; it is
//! not a speed claim.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`wait_for`] probes.
pub const POLL: Duration = Duration::from_millis(50);

/// Poll `probe` every [`POLL`] until it yields a value; fail after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(POLL).await;
    }
}
