//! The file source: each worker decodes its share of a file's chunks into column batches.

use crate::context::{ReadProgress, RejectsFile, SourceSplit, append_rejects};
use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use crate::paths::display_path;
use crate::time::{EPOCHS_PER_ROUND, time_of_event};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::ops::Range;
use std::sync::Arc;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::{Scope, Stream};
use vstream_connectors::{DecodeOutput, FileSource, OnError, file_decoder};
use vstream_planner::dataflow::SourceEventTime;
use vstream_repr::origin::{OriginKind, RowOrigins, SourceOrigin};
use vstream_repr::window::WatermarkTracker;
use vstream_repr::{Batch, ColumnData, Schema};

/// What a worker needs to read its part of a file.
pub struct FileSourceConfig {
    /// The source's node in the plan: its rows' origins name it (see `vstream_repr::origin`).
    pub node: usize,
    /// The file (this process's own, for a per-process path) and how to decode it.
    pub source: FileSource,
    /// All the table's columns.
    pub table_schema: Schema,
    /// The columns decoded, indices into `table_schema`, ascending.
    pub projection: Vec<usize>,
    /// All chunks of the file; this worker reads those with `index % readers == reader` (all
    /// workers of all processes, or this process's workers for a per-process file).
    pub chunks: Vec<Range<u64>>,
    /// Where skipped records go, as JSON lines; `None`: nowhere.
    pub rejects: Option<RejectsFile>,
    /// How many chunks each worker of this process has read, so that, with an event time, none
    /// reads too far ahead of the others.
    pub progress: ReadProgress,
    /// Which workers share the chunks.
    pub split: SourceSplit,
    /// At most this many rows per epoch (`--set emit.interval=N`): results downstream then lag
    /// the input by at most N rows per worker. `None`: one epoch per chunk.
    pub emit_interval: Option<usize>,
    /// The table's event time: times are then watermarks, not rounds.
    pub event_time: Option<SourceEventTime>,
    /// Wait this long between chunks (a hidden option for tests that need a run to last).
    pub chunk_delay: Option<std::time::Duration>,
    /// Append a row id column (see `Operator::Source::row_id`).
    pub row_id: bool,
}

/// Numbers a source worker's rows (see `Operator::Source::row_id`): the worker's index shifted
/// 40 bits left plus its count of rows so far, so ids are unique in a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RowIds {
    next: i64,
}

impl RowIds {
    /// The ids of worker `worker`, from its first row.
    pub fn new(worker: usize) -> Self {
        RowIds { next: (worker as i64) << 40 }
    }

    /// `batch` with a BIGINT column of the next ids after its columns.
    pub fn append(&mut self, batch: Batch) -> Batch {
        let ids: Vec<i64> = (self.next..self.next + batch.len as i64).collect();
        self.next += batch.len as i64;
        let mut columns = batch.columns;
        columns.push(vstream_repr::Column::new(vstream_repr::DataType::BigInt, ColumnData::Int(ids), None));
        Batch { len: batch.len, columns, kinds: batch.kinds, origins: batch.origins }
    }
}

/// The state of a file source on one worker, apart from its capabilities and open file: how far
/// it has read, what a checkpoint would write so that a restore reads on from there.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileSourceState {
    /// The next of this worker's chunks to read (an index into its share, not into the file's
    /// chunks).
    pub next_chunk: usize,
    /// The worker's watermark, with an event time.
    pub tracker: Option<WatermarkTracker>,
}

/// Takes the rows of a batch with a NULL event time (its `column`) out, calling `observe` with
/// every other row's time in order; `None` when no row is left. Returns the count taken out (see
/// [`count_null_event_times`]). No row is taken out for being behind the watermark: only an
/// operator that uses event time (a window aggregate) judges lateness, against its own frontier.
pub(crate) fn drop_null_event_times(batch: Batch, column: usize, mut observe: impl FnMut(i64)) -> (Option<Batch>, u64) {
    let col = &batch.columns[column];
    let ColumnData::Timestamp(ts) = &col.data else { return (Some(batch), 0) };
    // Only made once a row has a NULL time.
    let mut keep: Option<Vec<bool>> = None;
    for (i, t) in ts.iter().enumerate() {
        if col.is_valid(i) {
            observe(*t);
        } else {
            keep.get_or_insert_with(|| vec![true; batch.len])[i] = false;
        }
    }
    let Some(keep) = keep else { return ((batch.len > 0).then_some(batch), 0) };
    let nulls = keep.iter().filter(|k| !**k).count() as u64;
    let rows = keep.iter().any(|k| *k).then(|| batch.filter(&keep));
    (rows, nulls)
}

/// Counts rows with a NULL event time as rejects, as a record that fails to decode is: not rows in.
pub(crate) fn count_null_event_times(metrics: &Metrics, nulls: u64) {
    if nulls > 0 {
        Metrics::add(&metrics.rejected, nulls);
        Metrics::add(&metrics.null_event_time, nulls);
        metrics.rows_in.fetch_sub(nulls, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Emits the batches of this worker's chunks, one chunk per activation. Without an event time,
/// at time = the chunk's round (`chunk index / readers`), so all workers advance through the file
/// together. With one, at the worker's watermark before the batch: every row on time is at or
/// after it, so a window is complete once the frontier (the least watermark of all workers)
/// passes its end. A row behind the watermark is emitted like any other (at the worker's
/// watermark, after its own time): whether it is late is for each window operator to judge.
pub fn file_source<'scope>(
    scope: Scope<'scope, u64>,
    name: &str,
    config: FileSourceConfig,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    // Progress is kept per worker of this process; the chunks are split by the readers'
    // indexes, global unless the file is this process's own.
    let worker = scope.index().saturating_sub(config.split.first_worker);
    let (reader, readers) =
        if config.split.per_process { (worker, config.split.local_workers.max(1)) } else { (scope.index(), scope.peers()) };
    // A changelog's events must keep their order (a key's delete after its insert): its first
    // reader reads every chunk, one round each, and the others none.
    let in_order = config.source.is_changelog();
    let (reader, readers) = if in_order { (reader, 1) } else { (reader, readers) };
    let mut builder = OperatorBuilder::new(name.to_owned(), scope);
    let info = builder.operator_info();
    let (rows_output, rows_stream) = builder.new_output::<Vec<Batch>>();
    let mut rows_output = OutputBuilder::from(rows_output);
    builder.build(move |mut capabilities| {
        let activator = scope.activator_for(info.address);
        let mut cap = capabilities.pop();
        let mut state =
            FileSourceState { next_chunk: 0, tracker: config.event_time.map(|et| WatermarkTracker::new(et.delay, et.allowed_lateness)) };
        let mine: Vec<(usize, Range<u64>)> = if in_order && reader != 0 {
            Vec::new()
        } else {
            config.chunks.iter().cloned().enumerate().filter(|(k, _)| k % readers == reader).collect()
        };
        let mut file: Option<File> = None;
        // Messages name the file as the user sees it (relative to the current folder).
        let shown = FileSource { path: display_path(&config.source.path), ..config.source.clone() };
        let mut decoder = file_decoder(&shown, &config.table_schema, &config.projection);
        let origin = Arc::new(SourceOrigin {
            node: config.node,
            input: shown.path.display().to_string(),
            kind: OriginKind::File { path: config.source.path.clone() },
            skip: config.source.on_error == OnError::Skip,
        });
        let mut out = DecodeOutput::default();
        let mut last_chunk: Option<std::time::Instant> = None;
        let mut row_ids = RowIds::new(scope.index());
        move |_frontiers| {
            let Some(c) = cap.as_mut() else { return };
            if errors.should_stop() || state.next_chunk >= mine.len() {
                config.progress.set(worker, usize::MAX);
                cap = None;
                return;
            }
            if let (Some(delay), Some(last)) = (config.chunk_delay, last_chunk) {
                let waited = last.elapsed();
                if waited < delay {
                    activator.activate_after(delay - waited);
                    return;
                }
            }
            last_chunk = Some(std::time::Instant::now());
            if state.tracker.is_some() && config.progress.too_far_ahead(worker, state.next_chunk) {
                activator.activate_after(std::time::Duration::from_micros(100));
                return;
            }
            let mut output = rows_output.activate();
            let (k, range) = mine[state.next_chunk].clone();
            state.next_chunk += 1;
            config.progress.set(worker, state.next_chunk);
            let round = (k / readers) as u64 * EPOCHS_PER_ROUND;
            if state.tracker.is_none() {
                advance(c, round);
            }
            if file.is_none() {
                match File::open(&config.source.path) {
                    Ok(f) => file = Some(f),
                    Err(e) => {
                        errors.fail(DataflowError::SourceIo { path: shown.path.clone(), error: e });
                        cap = None;
                        return;
                    }
                }
            }
            let Some(f) = file.as_ref() else { return };
            if let Err(e) = decoder.decode_chunk(f, range, &mut out) {
                errors.fail(DataflowError::from_source(e));
                cap = None;
                return;
            }
            Metrics::add(&metrics.rows_in, std::mem::take(&mut out.rows));
            Metrics::add(&metrics.bytes_read, std::mem::take(&mut out.bytes));
            Metrics::add(&metrics.rejected, std::mem::take(&mut out.rejected));
            if !out.rejects.is_empty() {
                if let Some(rf) = &config.rejects {
                    let file = shown.path.display().to_string();
                    let records = out.rejects.drain(..).map(|r| {
                        serde_json::json!({
                            "file": file,
                            "line": r.line,
                            "error": r.message,
                            "record": String::from_utf8_lossy(&r.text),
                        })
                    });
                    if let Err(e) = append_rejects(rf, records) {
                        errors.fail(DataflowError::RejectsIo { error: e });
                    }
                }
                out.rejects.clear();
            }
            let batches: Vec<Batch> = with_origins(&origin, &mut out);
            // Each slice of emit.interval rows is its own epoch, so downstream results move per
            // n rows; without it, a chunk is one epoch (or, with an event time, one per batch).
            let slice = config.emit_interval.unwrap_or(usize::MAX);
            let mut sub = 0u64;
            for b in batches {
                let mut start = 0;
                while start < b.len {
                    let end = start.saturating_add(slice).min(b.len);
                    let part = if start == 0 && end == b.len { b.clone() } else { b.slice(start..end) };
                    start = end;
                    match (&mut state.tracker, config.event_time) {
                        (Some(tracker), Some(et)) => {
                            advance(c, time_of_event(tracker.watermark()));
                            let (rows, nulls) = drop_null_event_times(part, et.column, |t| {
                                tracker.observe(t);
                            });
                            count_null_event_times(&metrics, nulls);
                            if let Some(rows) = rows {
                                let rows = if config.row_id { row_ids.append(rows) } else { rows };
                                output.session(&*c).give_container(&mut vec![rows]);
                            }
                        }
                        _ => {
                            if config.emit_interval.is_some() {
                                advance(c, round + sub.min(EPOCHS_PER_ROUND - 1));
                                sub += 1;
                            }
                            output.session(&*c).give_container(&mut vec![part]);
                        }
                    }
                }
            }
            if let Some(tracker) = &state.tracker {
                advance(c, time_of_event(tracker.watermark()));
            }
            activator.activate();
        }
    });
    rows_stream
}

/// The decoded batches with rows, each with its rows' places (the offsets of their lines) as
/// origins from `origin`; `out`'s batches and offsets are drained.
fn with_origins(origin: &Arc<SourceOrigin>, out: &mut DecodeOutput) -> Vec<Batch> {
    let mut offsets = std::mem::take(&mut out.row_offsets).into_iter();
    out.batches
        .drain(..)
        .filter_map(|b| {
            // A decoder that gave no offsets for a batch leaves it without origins.
            let places = offsets.next().filter(|p| p.len() == b.len);
            let origins = places.map(|places| RowOrigins { source: origin.clone(), places });
            (!b.is_empty()).then(|| b.with_origins(origins))
        })
        .collect()
}

/// Moves a source's capability on to `t`, unless it is there already.
pub(crate) fn advance(cap: &mut Capability<u64>, t: u64) {
    if *cap.time() < t {
        cap.downgrade(&t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::{DataType, Datum, Field};

    #[test]
    fn rows_behind_the_watermark_stay_and_null_times_go() {
        let schema = Schema::new(vec![Field::new("ts", DataType::TIMESTAMP)]);
        let rows: Vec<Vec<Datum>> =
            [Some(100), Some(40), None, Some(60), Some(200)].iter().map(|t| vec![t.map_or(Datum::Null, Datum::Timestamp)]).collect();
        let mut seen = Vec::new();
        let (kept, nulls) = drop_null_event_times(Batch::from_rows(&schema, &rows), 0, |t| seen.push(t));
        let kept = kept.expect("rows with a time");
        assert_eq!((0..kept.len).map(|i| kept.row(i)).collect::<Vec<_>>(), [100, 40, 60, 200].map(|t| vec![Datum::Timestamp(t)]));
        assert_eq!(seen, vec![100, 40, 60, 200]);
        assert_eq!(nulls, 1);
    }
}
