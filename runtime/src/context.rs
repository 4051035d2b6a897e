//! What the orchestrator prepares for the operators and they share across workers: a source's
//! share of the work, which workers split it, where rejects go, how far each worker has read.
//! A leaf module, so operators need not import the orchestrator (`run`, `render`).

use std::fs::File;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where skipped records go: one file shared by all workers, written only on the error path.
pub type RejectsFile = Arc<Mutex<std::io::BufWriter<File>>>;

/// Appends `records` to a rejects file, one JSON object a line, under one hold of its lock. The
/// file and Kafka sources each say where a record came from; the writing is this.
pub(crate) fn append_rejects(rejects: &RejectsFile, records: impl IntoIterator<Item = serde_json::Value>) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = rejects.lock().map_err(|_| std::io::Error::other("rejects file lock poisoned"))?;
    for record in records {
        writeln!(w, "{record}")?;
    }
    Ok(())
}

/// One value per worker of this process, shared by them: each worker publishes its own and reads
/// the others'. Lock-free (one atomic each); the sources' boards below give the values a meaning.
#[derive(Clone, Debug, Default)]
struct WorkerBoard(Arc<Vec<AtomicUsize>>);

impl WorkerBoard {
    fn new(workers: usize) -> Self {
        WorkerBoard(Arc::new((0..workers).map(|_| AtomicUsize::new(0)).collect()))
    }

    fn set(&self, worker: usize, value: usize) {
        if let Some(p) = self.0.get(worker) {
            p.store(value, Ordering::Release);
        }
    }

    /// The values of the workers other than `worker`.
    fn others(&self, worker: usize) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().filter(move |(w, _)| *w != worker).map(|(_, p)| p.load(Ordering::Acquire))
    }
}

/// How far each worker of this process has read a file source (chunks read; `usize::MAX` once
/// done). With an event time, a worker does not read more than [`MAX_LEAD`] chunks ahead of the
/// slowest: the frontier is the least watermark of all workers, so every chunk one worker reads
/// ahead of another keeps windows open (memory) that the slower one must first close.
#[derive(Clone, Debug, Default)]
pub struct ReadProgress(WorkerBoard);

/// See [`ReadProgress`].
pub const MAX_LEAD: usize = 2;

impl ReadProgress {
    /// Nothing read yet, by any of `workers` workers.
    pub fn new(workers: usize) -> Self {
        ReadProgress(WorkerBoard::new(workers))
    }

    /// `worker` has read `chunks_read` of its chunks (`usize::MAX`: all).
    pub(crate) fn set(&self, worker: usize, chunks_read: usize) {
        self.0.set(worker, chunks_read);
    }

    /// Whether `worker`, about to read its chunk number `next`, is too far ahead of another.
    pub(crate) fn too_far_ahead(&self, worker: usize, next: usize) -> bool {
        self.0.others(worker).any(|p| p.saturating_add(MAX_LEAD) < next)
    }
}

/// The watermark each worker of this process has reached in a Kafka source, and whether all its
/// partitions are idle: a worker whose partitions are all idle follows the others' watermarks
/// rather than holding them back (see `operators::kafka_source`).
#[derive(Clone, Debug, Default)]
pub struct WatermarkBoard(WorkerBoard);

/// What a worker that reads nothing more publishes on a [`WatermarkBoard`].
const WATERMARK_DONE: usize = usize::MAX;

impl WatermarkBoard {
    /// No watermark yet, for any of `workers` workers.
    pub fn new(workers: usize) -> Self {
        WatermarkBoard(WorkerBoard::new(workers))
    }

    /// Publishes `worker`'s watermark (a timely time; its lowest bit is dropped, so it is at most
    /// 1 ms early, never late) and whether all its partitions are `idle`.
    pub(crate) fn publish(&self, worker: usize, time: u64, idle: bool) {
        self.0.set(worker, ((time & !1) | idle as u64) as usize);
    }

    /// `worker` reads nothing more: it no longer counts among the others.
    pub(crate) fn finish(&self, worker: usize) {
        self.0.set(worker, WATERMARK_DONE);
    }

    /// The published watermarks (timely times) of the unfinished workers other than `worker`,
    /// each with whether that worker is idle.
    pub(crate) fn others(&self, worker: usize) -> Vec<(u64, bool)> {
        self.0.others(worker).filter(|v| *v != WATERMARK_DONE).map(|v| (v as u64 & !1, v & 1 == 1)).collect()
    }
}

/// A source's share of the work on this worker, and what it shares with the other workers.
#[derive(Clone)]
pub enum SourceShare {
    /// A file source.
    File {
        /// The file's chunks (byte ranges), each read whole by one worker.
        chunks: Vec<Range<u64>>,
        /// Where skipped records go, if anywhere.
        rejects: Option<RejectsFile>,
        /// Per worker of this process: how many of its chunks it has read.
        progress: ReadProgress,
        /// Which workers share the chunks.
        split: SourceSplit,
    },
    /// A Kafka source: its partitions go to workers by index (`p % workers`), over all processes.
    Kafka {
        /// Where skipped messages go, if anywhere.
        rejects: Option<RejectsFile>,
        /// Per worker of this process: its watermark.
        watermarks: WatermarkBoard,
        /// The global index of this process's first worker: `watermarks` is indexed from it.
        first_worker: usize,
    },
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
