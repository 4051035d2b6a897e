//! Sinks: encode batches and write them to part files, one file, stdout, or nowhere.

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
    File { writer: std::io::BufWriter<std::fs::File>, encoder: RowEncoder },
    /// Standard output as CSV (a pipe or file).
    StdoutCsv { encoder: RowEncoder },
    /// Standard output as an aligned table (a terminal): rows are held and printed in blocks.
    StdoutTable { schema: Schema, rows: Vec<Vec<Option<String>>> },
    /// An in-memory buffer (tests), CSV with a header.
    Capture { buffer: Arc<Mutex<Vec<u8>>>, encoder: RowEncoder },
    /// Counts and drops (blackhole sinks, and workers with nothing to write).
    Discard,
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
                for i in 0..batch.len {
                    rows.push(
                        batch
                            .columns
                            .iter()
                            .map(|c| {
                                if !c.is_valid(i) {
                                    return None;
                                }
                                buf.clear();
                                c.write_text(i, buf);
                                Some(String::from_utf8_lossy(buf).into_owned())
                            })
                            .collect(),
                    );
                }
                if rows.len() >= TABLE_BLOCK_ROWS {
                    print_table(schema, rows)?;
                }
                Ok(())
            }
            SinkTarget::Discard => Ok(()),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self {
            SinkTarget::File { writer, .. } => writer.flush(),
            SinkTarget::StdoutCsv { .. } => std::io::stdout().lock().flush(),
            SinkTarget::StdoutTable { schema, rows } => print_table(schema, rows),
            SinkTarget::Capture { .. } | SinkTarget::Discard => Ok(()),
        }
    }
}

fn print_table(schema: &Schema, rows: &mut Vec<Vec<Option<String>>>) -> std::io::Result<()> {
    let text = TableFormatter::new(schema).render(rows);
    rows.clear();
    std::io::stdout().lock().write_all(text.as_bytes())
}

/// Writes a stream to `target`; `gather` first moves every batch to worker 0.
pub fn sink<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    gather: bool,
    target: SinkTarget,
    rows_out: Arc<Metrics>,
    sink_index: usize,
    errors: SharedErrors,
) {
    if gather {
        sink_with(input, Exchange::new(|_: &Batch| 0u64), name, target, rows_out, sink_index, errors)
    } else {
        sink_with(input, Pipeline, name, target, rows_out, sink_index, errors)
    }
}

fn sink_with<'scope, P>(
    input: Stream<'scope, u64, Vec<Batch>>,
    pact: P,
    name: &str,
    mut target: SinkTarget,
    metrics: Arc<Metrics>,
    sink_index: usize,
    errors: SharedErrors,
) where
    P: ParallelizationContract<u64, Vec<Batch>>,
{
    let label = name.to_string();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut finished = false;
    input.sink(pact, name, move |(input, frontier)| {
        let counter: &AtomicU64 = &metrics.rows_out[sink_index].1;
        input.for_each(|_time, data| {
            for batch in data.drain(..) {
                if finished {
                    continue;
                }
                Metrics::add(counter, batch.len as u64);
                if let Err(e) = target.write(&batch, &mut buf) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        errors.stop();
                    } else {
                        errors.fail(format!("sink `{label}`: {e}"));
                    }
                    finished = true;
                }
            }
        });
        if frontier.is_empty() && !finished {
            finished = true;
            match target.finish() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => errors.stop(),
                Err(e) => errors.fail(format!("sink `{label}`: {e}")),
                Ok(()) => {}
            }
        }
    });
}
