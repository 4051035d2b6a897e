//! Sinks: encode batches and write them to part files, one file, stdout, or nowhere.

use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, ParallelizationContract, Pipeline};
use timely::dataflow::operators::generic::operator::Operator;
use vstream_connectors::{RowEncoder, TableFormatter};
use vstream_repr::{Batch, Schema};

/// Where a worker's share of a sink's rows goes.
pub enum SinkTarget {
    /// A file (a part file, or the single file on worker 0), CSV or JSON lines.
    File {
        /// The open file, its header (if any) already written.
        writer: std::io::BufWriter<std::fs::File>,
        /// Encodes batches in the sink's format, the `op` column included for a changelog.
        encoder: RowEncoder,
    },
    /// Standard output as CSV (a pipe or file).
    StdoutCsv {
        /// Encodes batches as CSV; the header is already printed.
        encoder: RowEncoder,
    },
    /// Standard output as an aligned table (a terminal): rows are held and printed in blocks.
    StdoutTable {
        /// The columns the table shows (its header).
        schema: Schema,
        /// Rows held for the next block, as cell texts (`None`: NULL).
        rows: Vec<Vec<Option<String>>>,
    },
    /// An in-memory buffer (tests), CSV with a header.
    Capture {
        /// Where the CSV goes; the header is already in it.
        buffer: Arc<Mutex<Vec<u8>>>,
        /// Encodes batches as CSV.
        encoder: RowEncoder,
    },
    /// Standard output for a changelog, shown as its result: rows are folded (a retraction
    /// cancels its row) and the current result is printed when the input ends.
    StdoutFolded {
        /// The result's columns (no `op` column).
        schema: Schema,
        /// Print an aligned table; else CSV, its header already printed.
        terminal: bool,
        /// The result so far.
        fold: Fold,
    },
    /// An upsert file sink: the changelog is folded and the final rows are written when the
    /// input ends. A key's changes all come from one worker, so each worker folds its own part.
    FileUpsert {
        /// The open file, its header (if any) already written.
        writer: std::io::BufWriter<std::fs::File>,
        /// Encodes the final rows in the sink's format.
        encoder: RowEncoder,
        /// The rows' columns (no `op` column).
        schema: Schema,
        /// This worker's part of the result so far.
        fold: Fold,
    },
    /// Counts and drops (blackhole sinks, and workers with nothing to write).
    Discard,
}

/// A changelog folded into the rows it leaves: per distinct row, how many times it is present.
#[derive(Default)]
pub struct Fold {
    rows: Vec<(Vec<vstream_repr::Datum>, i64)>,
    index: std::collections::HashMap<Vec<u8>, usize>,
}

impl Fold {
    fn add(&mut self, batch: &Batch) {
        for i in 0..batch.len {
            let mut key = Vec::new();
            for c in &batch.columns {
                c.encode_key(i, &mut key);
            }
            let slot = *self.index.entry(key).or_insert_with(|| {
                self.rows.push((batch.row(i), 0));
                self.rows.len() - 1
            });
            self.rows[slot].1 += batch.kind(i).diff();
        }
    }
    /// The rows present, each as often as it is.
    fn live(&mut self) -> Vec<Vec<vstream_repr::Datum>> {
        let mut out = Vec::new();
        for (row, n) in self.rows.drain(..) {
            for _ in 0..n.max(0) {
                out.push(row.clone());
            }
        }
        self.index.clear();
        out
    }
}

/// The batch with a first column `op` holding each row's kind (`+I`, `-U`, `+U`, `-D`), as
/// Flink's changelog formats and ../shared/bench/compare.py --changelog op read it.
pub fn with_op_column(batch: &Batch) -> Batch {
    let mut ops = vstream_repr::StringColumn::with_capacity(batch.len, batch.len * 2);
    for i in 0..batch.len {
        ops.push(batch.kind(i).symbol().as_bytes());
    }
    let mut columns = vec![vstream_repr::Column::new(vstream_repr::DataType::Varchar, vstream_repr::ColumnData::Str(ops), None)];
    columns.extend(batch.columns.iter().cloned());
    Batch::new(batch.len, columns)
}

/// Rows a terminal table holds before printing a block, so an endless query still shows rows.
const TABLE_BLOCK_ROWS: usize = 10_000;

impl SinkTarget {
    fn write(&mut self, batch: &Batch, buf: &mut Vec<u8>) -> std::io::Result<()> {
        match self {
            SinkTarget::File { writer, encoder } => {
                buf.clear();
                encoder.encode(batch, buf);
                writer.write_all(buf)
            }
            SinkTarget::StdoutCsv { encoder } => {
                buf.clear();
                encoder.encode(batch, buf);
                std::io::stdout().lock().write_all(buf)
            }
            SinkTarget::Capture { buffer, encoder } => {
                buf.clear();
                encoder.encode(batch, buf);
                buffer.lock().map_err(|_| std::io::Error::other("capture lock poisoned"))?.extend_from_slice(buf);
                Ok(())
            }
            SinkTarget::StdoutTable { schema, rows } => {
                rows.extend(TableFormatter::cells(batch));
                if rows.len() >= TABLE_BLOCK_ROWS {
                    print_table(schema, rows)?;
                }
                Ok(())
            }
            SinkTarget::StdoutFolded { fold, .. } | SinkTarget::FileUpsert { fold, .. } => {
                fold.add(batch);
                Ok(())
            }
            SinkTarget::Discard => Ok(()),
        }
    }

    /// Whether a changelog's rows get an `op` column here: not where rows are folded, nor where
    /// the format carries the kind itself (Debezium).
    pub fn wants_op_column(&self) -> bool {
        match self {
            SinkTarget::File { encoder, .. } | SinkTarget::StdoutCsv { encoder } | SinkTarget::Capture { encoder, .. } => {
                !encoder.writes_kinds()
            }
            SinkTarget::StdoutTable { .. } => true,
            SinkTarget::StdoutFolded { .. } | SinkTarget::FileUpsert { .. } | SinkTarget::Discard => false,
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self {
            SinkTarget::File { writer, .. } => writer.flush(),
            SinkTarget::StdoutCsv { .. } => std::io::stdout().lock().flush(),
            SinkTarget::StdoutTable { schema, rows } => print_table(schema, rows),
            SinkTarget::FileUpsert { writer, encoder, schema, fold } => {
                let rows = fold.live();
                let mut buf = Vec::new();
                encoder.encode(&Batch::from_rows(schema, &rows), &mut buf);
                writer.write_all(&buf)?;
                writer.flush()
            }
            SinkTarget::StdoutFolded { schema, terminal, fold } => {
                let result = Batch::from_rows(schema, &fold.live());
                if *terminal {
                    print_table(schema, &mut TableFormatter::cells(&result))
                } else {
                    let mut out = Vec::new();
                    RowEncoder::new(&vstream_connectors::Format::Csv(Default::default()), schema).encode(&result, &mut out);
                    std::io::stdout().lock().write_all(&out)
                }
            }
            SinkTarget::Capture { .. } | SinkTarget::Discard => Ok(()),
        }
    }
}

fn print_table(schema: &Schema, rows: &mut Vec<Vec<Option<String>>>) -> std::io::Result<()> {
    let text = TableFormatter::new(schema).render(rows);
    rows.clear();
    std::io::stdout().lock().write_all(text.as_bytes())
}

/// How a sink operator is wired: its name, whether rows first gather on worker 0, whether they
/// are a changelog, and its index among the run's sinks (for the rows-out counter).
pub struct SinkWiring {
    /// The operator's name (`{node}:Sink({table})`), in its error messages.
    pub name: String,
    /// Send every row to worker 0 first (a single file, stdout); else each worker writes its own.
    pub gather: bool,
    /// The rows are a changelog: their kinds (`+I`, `-U`, `+U`, `-D`) are written, or folded.
    pub changelog: bool,
    /// The sink's place in [`Metrics::rows_out`].
    pub index: usize,
}

/// Writes a stream to `target`.
pub fn sink<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    wiring: SinkWiring,
    target: SinkTarget,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) {
    if wiring.gather {
        sink_with(input, Exchange::new(|_: &Batch| 0u64), wiring, target, metrics, errors)
    } else {
        sink_with(input, Pipeline, wiring, target, metrics, errors)
    }
}

fn sink_with<'scope, P>(
    input: Stream<'scope, u64, Vec<Batch>>,
    pact: P,
    wiring: SinkWiring,
    mut target: SinkTarget,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) where
    P: ParallelizationContract<u64, Vec<Batch>>,
{
    let SinkWiring { name, changelog, index: sink_index, .. } = wiring;
    let label = name.clone();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut finished = false;
    input.sink(pact, &name, move |(input, frontier)| {
        let counter: &AtomicU64 = &metrics.rows_out[sink_index].1;
        input.for_each(|_time, data| {
            for batch in data.drain(..) {
                if finished {
                    continue;
                }
                Metrics::add(counter, batch.len as u64);
                // Changelog rows carry their kind as an `op` column, except where the sink folds them.
                let batch = if changelog && target.wants_op_column() { with_op_column(&batch) } else { batch };
                if let Err(e) = target.write(&batch, &mut buf) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        errors.stop();
                    } else {
                        errors.fail(DataflowError::SinkIo { sink: label.clone(), error: e });
                    }
                    finished = true;
                }
            }
        });
        if frontier.is_empty() && !finished {
            finished = true;
            // A failed or stopped run has no final result: a folding sink writes none rather
            // than one that is wrong.
            if errors.failed() && matches!(target, SinkTarget::StdoutFolded { .. } | SinkTarget::FileUpsert { .. }) {
                return;
            }
            match target.finish() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => errors.stop(),
                Err(e) => errors.fail(DataflowError::SinkIo { sink: label.clone(), error: e }),
                Ok(()) => {}
            }
        }
    });
}
