//! The timely operators vstream renders plans into, one per file.

pub mod epochs;
pub mod kafka_sink;
pub mod kafka_source;
pub mod keyed;
pub mod keyed_aggregate;
pub mod map_filter_project;
pub mod session_aggregate;
pub mod sink;
pub mod source;
pub mod window_aggregate;

use std::sync::{Arc, Mutex};

/// The first error of a run. Every worker checks `failed()` at each source activation and stops
/// reading, so one bad record or write error ends the whole run promptly, on every worker.
#[derive(Debug, Default)]
pub struct ErrorSlot {
    failed: std::sync::atomic::AtomicBool,
    first: Mutex<Option<String>>,
    /// In a cluster: the links to cut on failure, so the peers stop too (see `run`).
    links: std::sync::OnceLock<Arc<crate::cluster::LinkWatch>>,
}

impl ErrorSlot {
    pub fn fail(&self, message: String) {
        if let Ok(mut first) = self.first.lock()
            && first.is_none()
        {
            *first = Some(message);
        }
        self.failed.store(true, std::sync::atomic::Ordering::Release);
        if let Some(links) = self.links.get() {
            links.cut();
        }
    }
    /// From now on a failure also cuts these links.
    pub fn cut_links_on_fail(&self, links: Arc<crate::cluster::LinkWatch>) {
        let _ = self.links.set(links);
    }
    /// Stops every source without an error: the reader of stdout has gone (`| head`), which
    /// is how a pipeline says it has seen enough.
    pub fn stop(&self) {
        self.failed.store(true, std::sync::atomic::Ordering::Release);
    }
    pub fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Acquire)
    }
    pub fn take(&self) -> Option<String> {
        self.first.lock().ok().and_then(|mut f| f.take())
    }
}

pub type SharedErrors = Arc<ErrorSlot>;
