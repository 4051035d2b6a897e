//! The timely operators vstream renders plans into, one per file.

pub mod deduplicate;
pub mod epochs;
pub mod event_time_sort;
pub mod expand;
pub mod kafka_sink;
pub mod kafka_source;
pub mod keyed;
pub mod keyed_aggregate;
pub mod late_rows;
pub mod limit;
pub mod map_filter_project;
pub mod over_aggregate;
pub mod session_aggregate;
pub mod set_operation;
pub mod sink;
pub mod source;
pub mod top_n;
pub mod unnest;
pub mod watermark_hold;
pub mod window_aggregate;

use crate::error::DataflowError;
use std::sync::{Arc, Mutex, OnceLock};

/// The first error of a run. Every worker checks `failed()` at each source activation and stops
/// reading, so one bad record or write error ends the whole run promptly, on every worker.
#[derive(Default)]
pub struct ErrorSlot {
    failed: std::sync::atomic::AtomicBool,
    first: Mutex<Option<DataflowError>>,
    /// Called on every failure (in a cluster: cut the links, so the peers stop too; see `run`).
    on_fail: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Queries not known to be done (see [`ErrorSlot::query_done`]); `None` until `run` says
    /// how many there are.
    open_queries: Mutex<Option<usize>>,
    /// Every query is done (each reached its LIMIT): the sources stop, the run ends normally.
    all_done: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ErrorSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorSlot").field("failed", &self.failed()).field("first", &self.first).finish_non_exhaustive()
    }
}

impl ErrorSlot {
    /// Fails the run with `error`, unless it has failed already (the first error is the one
    /// reported), and stops every source.
    pub fn fail(&self, error: DataflowError) {
        if let Ok(mut first) = self.first.lock()
            && first.is_none()
        {
            *first = Some(error);
        }
        self.failed.store(true, std::sync::atomic::Ordering::Release);
        if let Some(on_fail) = self.on_fail.get() {
            on_fail();
        }
    }
    /// From now on a failure also calls `callback` (once set, it stays).
    pub fn on_fail(&self, callback: Box<dyn Fn() + Send + Sync>) {
        let _ = self.on_fail.set(callback);
    }
    /// Stops every source without an error: the reader of stdout has gone (`| head`), which
    /// is how a pipeline says it has seen enough.
    pub fn stop(&self) {
        self.failed.store(true, std::sync::atomic::Ordering::Release);
    }
    /// Whether the run has failed or been stopped.
    pub fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Acquire)
    }
    /// The run has this many queries (sinks); see [`ErrorSlot::query_done`].
    pub fn expect_queries(&self, n: usize) {
        if let Ok(mut open) = self.open_queries.lock() {
            *open = Some(n);
        }
    }
    /// A query has all its rows (its LIMIT is reached): once every query has, the sources stop
    /// reading, and the run ends as if its input had (no error, results written).
    pub fn query_done(&self) {
        if let Ok(mut open) = self.open_queries.lock()
            && let Some(n) = open.as_mut()
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.all_done.store(true, std::sync::atomic::Ordering::Release);
            }
        }
    }
    /// Whether sources should stop reading: the run has failed or been stopped, or every
    /// query is done.
    pub fn should_stop(&self) -> bool {
        self.failed() || self.all_done.load(std::sync::atomic::Ordering::Acquire)
    }
    /// The first error, taken out.
    pub fn take(&self) -> Option<DataflowError> {
        self.first.lock().ok().and_then(|mut f| f.take())
    }
}

/// The run's error slot, shared by every operator of every worker.
pub type SharedErrors = Arc<ErrorSlot>;
