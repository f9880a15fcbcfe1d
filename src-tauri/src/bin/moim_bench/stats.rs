//! Measuring: a lock-free latency histogram, and what `/proc` says about a process (RSS, CPU).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Sub-buckets per power of two: 128 keeps every reported value within 0.8 % of the truth.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for every `u64`.
const BUCKETS: usize = SUB as usize + (64 - SUB_BITS as usize) * (SUB as usize / 2);

/// A log-linear histogram of nanosecond values that many tasks record into at once.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - (SUB_BITS - 1);
    let top = v >> shift; // in [SUB/2, SUB)
    (SUB + u64::from(shift - 1) * (SUB / 2) + (top - SUB / 2)) as usize
}

/// The middle of the bucket `i` stands for.
fn value(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = (i - SUB) / (SUB / 2) + 1;
    let top = (i - SUB) % (SUB / 2) + SUB / 2;
    (top << shift) + (1 << shift) / 2
}

impl Histogram {
    /// Count one value (ns).
    pub fn record(&self, ns: u64) {
        self.buckets[index(ns)].fetch_add(1, Ordering::Relaxed);
    }

    /// Forget every value (between phases that share a histogram).
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Ordering::Relaxed);
        }
    }

    /// The percentiles that the report uses.
    pub fn summary(&self) -> Latency {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let pct = |q: f64| -> f64 {
            if total == 0 {
                return 0.0;
            }
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return value(i) as f64 / 1000.0;
                }
            }
            0.0
        };
        let max = counts
            .iter()
            .rposition(|c| *c > 0)
            .map_or(0.0, |i| value(i) as f64 / 1000.0);
        Latency {
            samples: total,
            p50_us: pct(0.50),
            p99_us: pct(0.99),
            p999_us: pct(0.999),
            max_us: max,
        }
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Latency {
    /// How many values.
    pub samples: u64,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
}

/// Resident set size of a process in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time a process has used so far (user + system), in seconds. `/proc/<pid>/stat` counts in
/// USER_HZ ticks, which Linux fixes at 100 for user space.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// A stopwatch over a process's CPU time.
pub struct CpuMeter {
    pid: Option<u32>,
    start_cpu: f64,
    start: std::time::Instant,
}

impl CpuMeter {
    /// Start measuring `pid` (nothing is measured without one).
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            start_cpu: pid.and_then(cpu_secs).unwrap_or(0.0),
            start: std::time::Instant::now(),
        }
    }

    /// CPU used since the start, as a percentage of one core (200 % = two cores busy).
    pub fn percent(&self) -> Option<f64> {
        let now = cpu_secs(self.pid?)?;
        let wall = self.start.elapsed().as_secs_f64();
        Some(100.0 * (now - self.start_cpu) / wall.max(1e-9))
    }

    /// CPU seconds used since the start.
    pub fn secs(&self) -> Option<f64> {
        Some(cpu_secs(self.pid?)? - self.start_cpu)
    }
}

/// The median of some values (the lower middle one for an even count); `None` when empty.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[(v.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_continuous_and_close() {
        let mut last = 0;
        for v in 0..1_000_000u64 {
            let i = index(v);
            assert!(i == last || i == last + 1, "gap at {v}");
            last = i;
            let mid = value(i) as f64;
            assert!(
                (mid - v as f64).abs() <= (v as f64 / 64.0).max(1.0),
                "{v} -> {mid}"
            );
        }
        assert!(index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn percentiles() {
        let h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let s = h.summary();
        assert_eq!(s.samples, 1000);
        assert!((s.p50_us - 500.0).abs() < 5.0, "{s:?}");
        assert!((s.p99_us - 990.0).abs() < 10.0, "{s:?}");
    }
}
