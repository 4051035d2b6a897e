//! What the orchestrator prepares for the operators and they share across workers: a source's
//! share of the work, which workers split it, where rejects go, how far each worker has read.
//! A leaf module, so operators need not import the orchestrator (`run`, `render`).

use std::fs::File;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Where skipped records go: one file shared by all workers, written only on the error path.
pub type RejectsFile = Arc<Mutex<std::io::BufWriter<File>>>;

/// How far each worker of this process has read a source (chunks read; `usize::MAX` once done).
/// With an event time, a worker does not read more than [`MAX_LEAD`] chunks ahead of the
/// slowest: the frontier is the least watermark of all workers, so every chunk one worker reads
/// ahead of another keeps windows open (memory) that the slower one must first close.
#[derive(Clone, Debug, Default)]
pub struct ReadProgress(Arc<Vec<std::sync::atomic::AtomicUsize>>);

/// See [`ReadProgress`].
pub const MAX_LEAD: usize = 2;

impl ReadProgress {
    /// Nothing read yet, by any of `workers` workers.
    pub fn new(workers: usize) -> Self {
        ReadProgress(Arc::new((0..workers).map(|_| std::sync::atomic::AtomicUsize::new(0)).collect()))
    }

    pub(crate) fn set(&self, worker: usize, chunks_read: usize) {
        if let Some(p) = self.0.get(worker) {
            p.store(chunks_read, std::sync::atomic::Ordering::Release);
        }
    }

    /// The values of the workers other than `worker` (Kafka sources publish their watermarks here).
    pub(crate) fn others(&self, worker: usize) -> Vec<usize> {
        self.0.iter().enumerate().filter(|(w, _)| *w != worker).map(|(_, p)| p.load(std::sync::atomic::Ordering::Acquire)).collect()
    }

    /// Whether `worker`, about to read its chunk number `next`, is too far ahead of another.
    pub(crate) fn too_far_ahead(&self, worker: usize, next: usize) -> bool {
        self.0.iter().enumerate().any(|(w, p)| w != worker && p.load(std::sync::atomic::Ordering::Acquire).saturating_add(MAX_LEAD) < next)
    }
}

/// A file source's work, shared by all workers: its chunks and where skipped records go.
#[derive(Clone, Default)]
pub struct SourceShare {
    /// A file's chunks (byte ranges), each read whole by one worker; empty for Kafka.
    pub chunks: Vec<Range<u64>>,
    /// Where skipped records go, if anywhere.
    pub rejects: Option<RejectsFile>,
    /// Per worker of this process: how many of its chunks it has read.
    pub progress: ReadProgress,
    /// Which workers share the chunks.
    pub split: SourceSplit,
}

/// Which workers share a source's chunks.
#[derive(Clone, Copy, Debug, Default)]
pub struct SourceSplit {
    /// The global index of this process's first worker.
    pub first_worker: usize,
    /// Workers per process.
    pub local_workers: usize,
    /// The file is this process's own (`{process}` in its path): only its workers share it.
    /// Otherwise every worker of every process reads its share.
    pub per_process: bool,
}
