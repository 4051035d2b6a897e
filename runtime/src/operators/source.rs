//! The file source: each worker decodes its share of a file's chunks into column batches.

use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, Stream};
use vstream_connectors::{DecodeOutput, Decoder, FileSource, RecordDecoder};
use vstream_repr::{Batch, Schema};

/// Where skipped records go: one file shared by all workers, written only on the error path.
pub type RejectsFile = Arc<Mutex<std::io::BufWriter<File>>>;

/// What a worker needs to read its part of a file.
pub struct FileSourceConfig {
    pub source: FileSource,
    pub table_schema: Schema,
    pub projection: Vec<usize>,
    /// All chunks of the file; this worker reads those with `index % peers == worker`.
    pub chunks: Vec<Range<u64>>,
    pub rejects: Option<RejectsFile>,
    /// At most this many rows per epoch (`--set emit.interval=N`): results downstream then lag
    /// the input by at most N rows per worker. `None`: one epoch per chunk.
    pub emit_interval: Option<usize>,
}

/// Times are `round * EPOCHS_PER_ROUND + sub-epoch`: workers still move through the file's
/// rounds together, and a round can be cut into up to this many epochs.
pub const EPOCHS_PER_ROUND: u64 = 1 << 20;

/// Emits the batches of this worker's chunks, one chunk per activation, at time = the chunk's
/// round (`chunk index / peers`), so all workers advance through the file together.
pub fn file_source<'scope>(
    scope: Scope<'scope, u64>,
    name: &str,
    config: FileSourceConfig,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let worker = scope.index();
    let peers = scope.peers();
    source(scope, name, move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut cap = Some(capability);
        let mine: Vec<(usize, Range<u64>)> = config.chunks.iter().cloned().enumerate().filter(|(k, _)| k % peers == worker).collect();
        let mut next = 0;
        let mut file: Option<File> = None;
        // Messages name the file as the user sees it (relative to the current folder).
        let shown = FileSource { path: crate::run::display_path(&config.source.path), ..config.source.clone() };
        let mut decoder = RecordDecoder::new(&shown, &config.table_schema, &config.projection);
        let mut out = DecodeOutput::default();
        move |output| {
            let Some(c) = cap.as_mut() else { return };
            if errors.failed() || next >= mine.len() {
                cap = None;
                return;
            }
            let (k, range) = mine[next].clone();
            next += 1;
            let round = (k / peers) as u64 * EPOCHS_PER_ROUND;
            if *c.time() < round {
                c.downgrade(&round);
            }
            if file.is_none() {
                match File::open(&config.source.path) {
                    Ok(f) => file = Some(f),
                    Err(e) => {
                        errors.fail(format!("cannot read {}: {e}", shown.path.display()));
                        cap = None;
                        return;
                    }
                }
            }
            let Some(f) = file.as_ref() else { return };
            if let Err(e) = decoder.decode_chunk(f, range, &mut out) {
                errors.fail(e.to_string());
                cap = None;
                return;
            }
            Metrics::add(&metrics.rows_in, std::mem::take(&mut out.rows));
            Metrics::add(&metrics.bytes_read, std::mem::take(&mut out.bytes));
            Metrics::add(&metrics.rejected, std::mem::take(&mut out.rejected));
            if !out.rejects.is_empty() {
                if let Some(rf) = &config.rejects {
                    let written = rf.lock().map_err(|_| std::io::Error::other("rejects file lock poisoned")).and_then(|mut w| {
                        for r in out.rejects.drain(..) {
                            let rec = serde_json::json!({
                                "file": shown.path.display().to_string(),
                                "line": r.line,
                                "error": r.message,
                                "record": String::from_utf8_lossy(&r.text),
                            });
                            writeln!(w, "{rec}")?;
                        }
                        Ok(())
                    });
                    if let Err(e) = written {
                        errors.fail(format!("cannot write the rejects file: {e}"));
                    }
                }
                out.rejects.clear();
            }
            let mut batches: Vec<Batch> = out.batches.drain(..).filter(|b| !b.is_empty()).collect();
            match config.emit_interval {
                None => {
                    if !batches.is_empty() {
                        output.session(&*c).give_container(&mut batches);
                    }
                }
                Some(n) => {
                    // Each slice of n rows is its own epoch, so downstream results move per n rows.
                    let mut sub = 0u64;
                    for b in batches {
                        let mut start = 0;
                        while start < b.len {
                            let end = (start + n).min(b.len);
                            let t = round + sub.min(EPOCHS_PER_ROUND - 1);
                            if *c.time() < t {
                                c.downgrade(&t);
                            }
                            output.session(&*c).give_container(&mut vec![b.slice(start..end)]);
                            start = end;
                            sub += 1;
                        }
                    }
                }
            }
            activator.activate();
        }
    })
}
