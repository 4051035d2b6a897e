//! The Kafka source: each worker reads its share of a topic's partitions (partition `p` on
//! worker `p % peers`) and decodes the polled messages of each partition in one call.
//!
//! Times: without an event time, a worker's time is the wall clock in [`EPOCH_MS`] steps, so
//! workers that read at different speeds still close epochs together. With one, it is the
//! worker's watermark: the least of its partitions' watermarks (each partition's largest event
//! time minus the delay), leaving out partitions read to their end and partitions idle for
//! `'source.idle-timeout'`; rows behind it are emitted like the others (window operators judge
//! lateness). A worker whose partitions
//! are all idle follows the other workers of its process (`follow_others`), and a worker with
//! no partition finishes at once, so neither holds the dataflow's frontier back. Offsets read
//! are kept per epoch ([`EpochOffsets`]) for checkpoints.

use crate::context::{RejectsFile, WatermarkBoard, append_rejects};
use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use crate::operators::source::{RowIds, advance, count_null_event_times, drop_null_event_times};
use crate::time::{event_of_time, time_of_event};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::{Scope, Stream};
use vstream_connectors::kafka::{DecodedPartition, EpochOffsets, KafkaReject, KafkaSource, MetadataField, TopicReader};
use vstream_connectors::{FileSource, OnError, RecordDecoder};
use vstream_planner::dataflow::SourceEventTime;
use vstream_repr::origin::{OriginKind, RowOrigins, SourceOrigin};
use vstream_repr::{Batch, Column, ColumnData, DataType, Field, Schema};

/// Without an event time, one epoch per this many milliseconds of wall clock.
pub const EPOCH_MS: u64 = 100;
/// At most this many messages (or [`POLL_BYTES`]) per activation, so other operators of the
/// worker get their turn and epochs stay bounded.
const POLL_MESSAGES: usize = 100_000;
const POLL_BYTES: usize = 8 << 20;
/// How long a worker with nothing polled waits before polling again.
const IDLE_POLL: Duration = Duration::from_millis(5);
/// Epochs of offsets kept (a checkpoint commits a completed one).
const OFFSET_EPOCHS: usize = 64;

/// What a worker needs to read its partitions.
pub struct KafkaSourceConfig {
    /// The source's node in the plan: its rows' origins name it (see `vstream_repr::origin`).
    pub node: usize,
    /// The topic, the client's properties, where partitions start and end, and how to decode
    /// the messages.
    pub source: KafkaSource,
    /// All the table's columns, its `METADATA FROM` columns (timestamp, partition, offset)
    /// included: the others come from the message value.
    pub table_schema: Schema,
    /// The columns emitted, indices into `table_schema`, ascending.
    pub projection: Vec<usize>,
    /// Where skipped messages go, as JSON lines; `None`: nowhere.
    pub rejects: Option<RejectsFile>,
    /// Per worker of this process: its watermark, and whether all its partitions are idle. See
    /// `follow_others`.
    pub watermarks: WatermarkBoard,
    /// The global index of this process's first worker: `watermarks` is indexed from it.
    pub first_worker: usize,
    /// The table's event time: times are then watermarks, not wall-clock epochs.
    pub event_time: Option<SourceEventTime>,
    /// Append a row id column (see `Operator::Source::row_id`).
    pub row_id: bool,
}

/// Publishes a worker's watermark (an event time) and whether all its partitions are idle.
fn publish(watermarks: &WatermarkBoard, worker: usize, watermark: i64, idle: bool) {
    watermarks.publish(worker, time_of_event(watermark), idle);
}

/// The watermark of a worker whose partitions are all idle (`own`): the least of the workers
/// (of this process) that are not idle, so it holds none of them back; when every worker is
/// idle, the largest of theirs (all have read what there was).
fn follow_others(watermarks: &WatermarkBoard, worker: usize, own: i64) -> i64 {
    let others: Vec<(i64, bool)> = watermarks.others(worker).into_iter().map(|(t, idle)| (event_of_time(t), idle)).collect();
    match others.iter().filter(|(_, idle)| !idle).map(|(t, _)| *t).min() {
        Some(least_active) => own.max(least_active),
        None => others.iter().map(|(t, _)| *t).fold(own, i64::max),
    }
}

/// The table's columns that come from the message value, and how the output columns are made:
/// per projection entry, a value column (its index in the decoder's output) or a metadata field.
struct Layout {
    value_schema: Schema,
    value_projection: Vec<usize>,
    outputs: Vec<Out>,
}

enum Out {
    Value(usize),
    Meta(MetadataField, DataType),
}

impl Layout {
    fn new(config: &KafkaSourceConfig) -> Self {
        let meta = |c: usize| config.source.metadata.iter().find(|(i, _)| *i == c).map(|(_, f)| *f);
        // Table column -> value column.
        let mut value_index = vec![usize::MAX; config.table_schema.len()];
        let mut fields: Vec<Field> = Vec::new();
        for (c, f) in config.table_schema.fields.iter().enumerate() {
            if meta(c).is_none() {
                value_index[c] = fields.len();
                fields.push(f.clone());
            }
        }
        let mut value_projection = Vec::new();
        let mut outputs = Vec::new();
        for &c in &config.projection {
            match meta(c) {
                Some(m) => outputs.push(Out::Meta(m, config.table_schema.fields[c].ty)),
                None => {
                    outputs.push(Out::Value(value_projection.len()));
                    value_projection.push(value_index[c]);
                }
            }
        }
        Layout { value_schema: Schema::new(fields), value_projection, outputs }
    }

    fn wants_metadata(&self) -> bool {
        self.outputs.iter().any(|o| matches!(o, Out::Meta(..)))
    }

    /// The output batch of a partition's decoded rows.
    fn assemble(&self, partition: i32, decoded: &mut DecodedPartition) -> Option<Batch> {
        let batch = decoded.batch.take()?;
        if !self.wants_metadata() {
            return Some(batch);
        }
        let n = batch.len;
        let mut columns = Vec::with_capacity(self.outputs.len());
        for o in &self.outputs {
            columns.push(match o {
                Out::Value(i) => batch.columns[*i].clone(),
                Out::Meta(MetadataField::Partition, ty) => Column::new(*ty, ColumnData::Int(vec![partition as i64; n]), None),
                Out::Meta(MetadataField::Offset, ty) => Column::new(*ty, ColumnData::Int(decoded.row_offsets.clone()), None),
                Out::Meta(MetadataField::Timestamp, ty) => {
                    let ts: Vec<i64> = decoded.row_timestamps.iter().map(|t| t.unwrap_or(0)).collect();
                    let valid = decoded
                        .row_timestamps
                        .iter()
                        .any(Option::is_none)
                        .then(|| decoded.row_timestamps.iter().map(Option::is_some).collect());
                    Column::new(*ty, ColumnData::Timestamp(ts), valid)
                }
            });
        }
        // A Debezium topic's rows keep their kinds.
        Some(Batch::new(n, columns).with_kinds(batch.kinds))
    }
}

/// Per partition: the largest event time read (event-time sources).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PartitionTime {
    /// The largest event time read from the partition, if any.
    max_seen: Option<i64>,
}

/// The state of a Kafka source on one worker, apart from its capabilities and its client: what
/// a checkpoint would write (the offsets of a completed epoch to read on from, and the
/// watermark bookkeeping).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KafkaSourceState {
    /// Per partition of this worker (in the reader's order): its largest event time.
    times: Vec<PartitionTime>,
    /// The worker's watermark (event-time sources), `i64::MIN` before any.
    watermark: i64,
    /// Offsets read as of each recent epoch.
    offsets: VecDeque<EpochOffsets>,
}

/// One worker's reader, made on its first activation (connecting may take up to the connect
/// timeout, and must not hold up the dataflow's construction).
struct Reader {
    reader: TopicReader,
    decoder: RecordDecoder,
    state: KafkaSourceState,
}

fn now_epoch() -> u64 {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    ms / EPOCH_MS
}

/// Reads this worker's partitions; see the module docs. Rows behind the watermark are emitted
/// like the others: window operators judge lateness.
pub fn kafka_source<'scope>(
    scope: Scope<'scope, u64>,
    name: &str,
    config: KafkaSourceConfig,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let worker = scope.index();
    let peers = scope.peers();
    // This worker's slot among its process's workers, where it publishes its watermark.
    let local = worker.saturating_sub(config.first_worker);
    let mut builder = OperatorBuilder::new(name.to_owned(), scope);
    let info = builder.operator_info();
    let (rows_output, rows_stream) = builder.new_output::<Vec<Batch>>();
    let mut rows_output = OutputBuilder::from(rows_output);
    builder.build(move |mut capabilities| {
        let activator = scope.activator_for(info.address);
        let mut cap = capabilities.pop();
        let layout = Layout::new(&config);
        let mut row_ids = RowIds::new(worker);
        let mut state: Option<Reader> = None;
        let topic = config.source.topic.clone();
        // Per partition: its rows' source origin (see `vstream_repr::origin`), made once.
        let mut origins: std::collections::HashMap<i32, Arc<SourceOrigin>> = std::collections::HashMap::new();
        move |_frontiers| {
            let Some(c) = cap.as_mut() else { return };
            if errors.should_stop() {
                cap = None;
                return;
            }
            if state.is_none() {
                match TopicReader::open(&config.source, worker, peers) {
                    Ok(reader) => {
                        // The decoders take a file source; messages are named by the topic.
                        let src = FileSource {
                            path: topic.clone().into(),
                            format: config.source.format.clone(),
                            on_error: OnError::Skip,
                            rejects: None,
                        };
                        let decoder = RecordDecoder::new(&src, &layout.value_schema, &layout.value_projection);
                        let times = vec![PartitionTime::default(); reader.parts.len()];
                        let st = KafkaSourceState { times, watermark: i64::MIN, offsets: VecDeque::new() };
                        state = Some(Reader { reader, decoder, state: st });
                    }
                    Err(error) => {
                        errors.fail(DataflowError::Kafka { sink: None, error });
                        cap = None;
                        return;
                    }
                }
            }
            let Some(st) = state.as_mut() else { return };
            if st.reader.parts.is_empty() {
                // More workers than partitions: nothing to read, ever (partitions added later are
                // not picked up), so this worker holds nothing back.
                config.watermarks.finish(local);
                cap = None;
                return;
            }
            let polled = match st.reader.poll(POLL_MESSAGES, POLL_BYTES) {
                Ok(n) => n,
                Err(error) => {
                    errors.fail(DataflowError::Kafka { sink: None, error });
                    cap = None;
                    return;
                }
            };
            if config.event_time.is_none() {
                advance(c, now_epoch());
            }
            let mut output = rows_output.activate();
            let mut emitted = false;
            for i in 0..st.reader.parts.len() {
                if st.reader.buffers[i].is_empty() {
                    continue;
                }
                let partition = st.reader.parts[i].partition;
                // Each row's offset is always asked for: it names the row when an expression
                // fails on it.
                let mut decoded = st.reader.buffers[i].decode(&mut st.decoder, true);
                Metrics::add(&metrics.bytes_read, decoded.bytes);
                if !decoded.rejects.is_empty() {
                    if config.source.on_error == OnError::Fail {
                        let r = &decoded.rejects[0];
                        errors.fail(DataflowError::BadRecord {
                            input: topic.clone(),
                            place: format!("Kafka topic '{topic}' partition {partition} offset {}", r.offset),
                            message: r.message.clone(),
                        });
                        cap = None;
                        return;
                    }
                    Metrics::add(&metrics.rejected, decoded.rejects.len() as u64);
                    if let Some(rf) = &config.rejects
                        && let Err(e) = write_rejects(rf, &topic, partition, &decoded.rejects)
                    {
                        errors.fail(DataflowError::RejectsIo { error: e });
                    }
                }
                let places: Vec<u64> = decoded.row_offsets.iter().map(|o| *o as u64).collect();
                let Some(batch) = layout.assemble(partition, &mut decoded) else { continue };
                let source = origins.entry(partition).or_insert_with(|| {
                    Arc::new(SourceOrigin {
                        node: config.node,
                        input: topic.clone(),
                        kind: OriginKind::Kafka { partition },
                        skip: config.source.on_error == OnError::Skip,
                    })
                });
                let batch =
                    if places.len() == batch.len { batch.with_origins(Some(RowOrigins { source: source.clone(), places })) } else { batch };
                Metrics::add(&metrics.rows_in, batch.len as u64);
                emitted = true;
                match config.event_time {
                    None => output.session(&*c).give_container(&mut vec![batch]),
                    Some(et) => {
                        let time = &mut st.state.times[i];
                        let (rows, nulls) = drop_null_event_times(batch, et.column, |t| {
                            if time.max_seen.is_none_or(|m| t > m) {
                                time.max_seen = Some(t);
                            }
                        });
                        count_null_event_times(&metrics, nulls);
                        if let Some(rows) = rows {
                            let rows = if config.row_id { row_ids.append(rows) } else { rows };
                            output.session(&*c).give_container(&mut vec![rows]);
                        }
                    }
                }
            }
            if emitted {
                st.state.offsets.push_back(EpochOffsets { time: *c.time(), offsets: st.reader.positions() });
                while st.state.offsets.len() > OFFSET_EPOCHS {
                    st.state.offsets.pop_front();
                }
            }
            if let Some(et) = config.event_time {
                let (own, all_idle) = worker_watermark(st, et.delay, config.source.idle_timeout_ms);
                publish(&config.watermarks, local, own, all_idle);
                let wm = if all_idle { follow_others(&config.watermarks, local, own) } else { own };
                st.state.watermark = st.state.watermark.max(wm);
                advance(c, time_of_event(st.state.watermark));
            }
            drop(output);
            if st.reader.all_done() {
                config.watermarks.finish(local);
                cap = None;
                return;
            }
            if polled > 0 {
                activator.activate();
            } else {
                activator.activate_after(IDLE_POLL);
            }
        }
    });
    rows_stream
}

/// The least watermark of the worker's partitions that still count: not read to their end, not
/// idle; and whether every remaining partition is idle (then the largest of their watermarks).
fn worker_watermark(st: &Reader, delay: i64, idle_timeout_ms: Option<u64>) -> (i64, bool) {
    let now = Instant::now();
    let mut active: Option<i64> = None;
    let mut idle: Option<i64> = None;
    for (p, t) in st.reader.parts.iter().zip(&st.state.times) {
        if p.done {
            continue;
        }
        let wm = t.max_seen.map_or(i64::MIN, |m| m.saturating_sub(delay));
        let is_idle = idle_timeout_ms.is_some_and(|ms| now.duration_since(p.last_message) >= Duration::from_millis(ms));
        if is_idle {
            idle = Some(idle.map_or(wm, |w| w.max(wm)));
        } else {
            active = Some(active.map_or(wm, |w| w.min(wm)));
        }
    }
    match (active, idle) {
        (Some(a), _) => (a, false),
        (None, Some(i)) => (i, true),
        (None, None) => (st.state.watermark, false),
    }
}

fn write_rejects(rf: &RejectsFile, topic: &str, partition: i32, rejects: &[KafkaReject]) -> std::io::Result<()> {
    let records = rejects.iter().map(|r| {
        serde_json::json!({
            "topic": topic,
            "partition": partition,
            "offset": r.offset,
            "error": r.message,
            "record": String::from_utf8_lossy(&r.text),
        })
    });
    append_rejects(rf, records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_workers_follow_the_others() {
        let w = WatermarkBoard::new(3);
        // Worker 1 is active at 1000, worker 2 idle at 5000: idle worker 0 follows the active one.
        publish(&w, 1, 1000, false);
        publish(&w, 2, 5000, true);
        assert_eq!(follow_others(&w, 0, i64::MIN), 1000);
        // Never behind its own watermark.
        assert_eq!(follow_others(&w, 0, 2000), 2000);
        // All idle: the largest; a finished worker counts for nothing.
        publish(&w, 1, 1000, true);
        w.finish(2);
        assert_eq!(follow_others(&w, 0, i64::MIN), 1000);
        // Published watermarks are at most 1 ms early.
        publish(&w, 1, 1001, false);
        assert_eq!(follow_others(&w, 0, i64::MIN), 1000);
    }
}
