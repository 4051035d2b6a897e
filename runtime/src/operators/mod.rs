//! The timely operators vstream renders plans into, one per file.

pub mod deduplicate;
pub mod epochs;
pub mod kafka_sink;
pub mod kafka_source;
pub mod keyed;
pub mod keyed_aggregate;
pub mod map_filter_project;
pub mod over_aggregate;
pub mod session_aggregate;
pub mod sink;
pub mod source;
pub mod top_n;
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
    /// The first error, taken out.
    pub fn take(&self) -> Option<DataflowError> {
        self.first.lock().ok().and_then(|mut f| f.take())
    }
}

/// The run's error slot, shared by every operator of every worker.
pub type SharedErrors = Arc<ErrorSlot>;
