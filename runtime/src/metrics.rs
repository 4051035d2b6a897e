//! Counters of a run, shared by the workers and the progress line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Live counters. Workers add to them once per batch (not per row).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Bytes of source files in the run (known before it starts).
    pub bytes_total: u64,
    pub bytes_read: AtomicU64,
    pub rows_in: AtomicU64,
    pub rejected: AtomicU64,
    /// Rows behind their source's watermark (dropped, or written to a late sink).
    pub late: AtomicU64,
    /// Rows whose event time is NULL (also counted in `rejected`).
    pub null_event_time: AtomicU64,
    /// Rows written, per sink in plan order.
    pub rows_out: Vec<(String, AtomicU64)>,
}

impl Metrics {
    pub fn new(bytes_total: u64, sinks: Vec<String>) -> Self {
        Metrics { bytes_total, rows_out: sinks.into_iter().map(|s| (s, AtomicU64::new(0))).collect(), ..Default::default() }
    }
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
    pub fn summary(&self, elapsed: Duration) -> RunSummary {
        RunSummary {
            rows_in: Self::get(&self.rows_in),
            rows_out: self.rows_out.iter().map(|(n, c)| (n.clone(), Self::get(c))).collect(),
            rejected: Self::get(&self.rejected),
            late: Self::get(&self.late),
            null_event_time: Self::get(&self.null_event_time),
            bytes_read: Self::get(&self.bytes_read),
            elapsed,
        }
    }
}

/// What a finished run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub rows_in: u64,
    pub rows_out: Vec<(String, u64)>,
    pub rejected: u64,
    pub late: u64,
    pub null_event_time: u64,
    pub bytes_read: u64,
    pub elapsed: Duration,
}

impl RunSummary {
    pub fn total_out(&self) -> u64 {
        self.rows_out.iter().map(|(_, n)| n).sum()
    }
    pub fn events_per_sec(&self) -> f64 {
        self.rows_in as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}
