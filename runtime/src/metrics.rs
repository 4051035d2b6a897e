//! Counters of a run, shared by the workers and the progress line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Live counters. Workers add to them once per batch (not per row).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Bytes of source files in the run (known before it starts).
    pub bytes_total: u64,
    /// Bytes of input decoded: of source files (against `bytes_total`, for the progress line),
    /// and of Kafka message values.
    pub bytes_read: AtomicU64,
    /// Rows the sources decoded, late rows included; rejected ones (see `rejected`) are not.
    pub rows_in: AtomicU64,
    /// Records skipped: those that fail to decode, and rows with a NULL event time.
    pub rejected: AtomicU64,
    /// Rows dropped for lateness, per window operator in plan order, each named by the query it
    /// is part of (the table it writes). A row two queries drop counts in each.
    pub late: Vec<(String, AtomicU64)>,
    /// Rows whose event time is NULL (also counted in `rejected`).
    pub null_event_time: AtomicU64,
    /// Rows written, per sink in plan order.
    pub rows_out: Vec<(String, AtomicU64)>,
}

impl Metrics {
    /// Counters at zero for a run reading `bytes_total` bytes of files into `sinks` (their
    /// tables, in plan order), with `late_operators` (see [`Metrics::late`]).
    pub fn new(bytes_total: u64, sinks: Vec<String>, late_operators: Vec<String>) -> Self {
        let zeros = |names: Vec<String>| names.into_iter().map(|s| (s, AtomicU64::new(0))).collect();
        Metrics { bytes_total, rows_out: zeros(sinks), late: zeros(late_operators), ..Default::default() }
    }
    /// Adds `n` to `counter` (relaxed: the counters order nothing).
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
    /// The value of `counter` now.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
    /// The counters now, and `elapsed`, the run's wall time.
    pub fn summary(&self, elapsed: Duration) -> RunSummary {
        RunSummary {
            rows_in: Self::get(&self.rows_in),
            rows_out: self.rows_out.iter().map(|(n, c)| (n.clone(), Self::get(c))).collect(),
            rejected: Self::get(&self.rejected),
            late: self.late.iter().map(|(n, c)| (n.clone(), Self::get(c))).collect(),
            null_event_time: Self::get(&self.null_event_time),
            bytes_read: Self::get(&self.bytes_read),
            elapsed,
        }
    }
}

/// What a finished run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// See [`Metrics::rows_in`].
    pub rows_in: u64,
    /// Rows written, per sink (by its table) in plan order.
    pub rows_out: Vec<(String, u64)>,
    /// See [`Metrics::rejected`].
    pub rejected: u64,
    /// Rows dropped for lateness, per window operator (see [`Metrics::late`]).
    pub late: Vec<(String, u64)>,
    /// See [`Metrics::null_event_time`].
    pub null_event_time: u64,
    /// See [`Metrics::bytes_read`].
    pub bytes_read: u64,
    /// Wall time from the start of `run` to its end.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Rows written, over all sinks.
    pub fn total_out(&self) -> u64 {
        self.rows_out.iter().map(|(_, n)| n).sum()
    }
    /// Rows dropped for lateness, over all operators.
    pub fn total_late(&self) -> u64 {
        self.late.iter().map(|(_, n)| n).sum()
    }
    /// Input rows per second of `elapsed` (the throughput the CLI reports).
    pub fn events_per_sec(&self) -> f64 {
        self.rows_in as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}
