//! The Kafka sink: each worker writes its rows to the topic, one message per row.
//!
//! - Rows (insert-only queries): the value is the row (JSON or CSV), the key the `'key.fields'`
//!   columns if given (none otherwise).
//! - A changelog: JSON/CSV rows with an `op` column first (as file sinks write them), or
//!   Debezium change events.
//! - Upsert (`'sink.mode' = 'upsert'`): the key is the GROUP BY key (or `'key.fields'`), the
//!   value the row, and a key whose row is deleted gets a tombstone (no value). A key's rows are
//!   held until their epoch completes: within an epoch the retraction of a key's old row and the
//!   insertion of its new one come in no set order, and only the new row is to be written.
//!
//! Keyed messages go to the partition of their key's hash, so a key's messages stay in order.

use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use crate::operators::sink::{SinkWiring, with_op_column};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_connectors::RowEncoder;
use vstream_connectors::kafka::{KafkaError, KafkaSink, TopicWriter};
use vstream_repr::{Batch, DataType, Field, Schema};

/// How rows become messages.
struct Encoding {
    value: RowEncoder,
    /// The changelog's kind goes in an `op` column first.
    op_column: bool,
    /// Key columns (indices into the rows) and their encoder.
    key: Option<(Vec<usize>, RowEncoder)>,
    upsert: bool,
}

impl Encoding {
    fn new(spec: &KafkaSink, schema: &Schema, changelog: bool) -> Result<Self, String> {
        let op_column = changelog && spec.writes_op_column();
        let value_schema = if op_column {
            let mut fields = vec![Field::new("op", DataType::Varchar)];
            fields.extend(schema.fields.iter().cloned());
            Schema::new(fields)
        } else {
            schema.clone()
        };
        let value = RowEncoder::new(&spec.format, &value_schema);
        let key_columns: Option<Vec<usize>> = if !spec.key_fields.is_empty() {
            let cols = spec
                .key_fields
                .iter()
                .map(|f| {
                    schema
                        .fields
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(f))
                        .ok_or_else(|| format!("'key.fields' names `{f}`, which is not written"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(cols)
        } else if spec.upsert {
            Some(spec.upsert_key.clone().ok_or("an upsert sink needs a key ('key.fields', or the GROUP BY columns)")?)
        } else {
            None
        };
        let key = key_columns.map(|cols| {
            let key_schema = Schema::new(cols.iter().map(|c| schema.fields[*c].clone()).collect());
            let enc = RowEncoder::new(&spec.key_format, &key_schema);
            (cols, enc)
        });
        Ok(Encoding { value, op_column, key, upsert: spec.upsert })
    }
}

/// Message bytes of a batch: values and keys back to back, with where each row's ends.
#[derive(Default)]
struct Encoded {
    values: Vec<u8>,
    value_ends: Vec<usize>,
    keys: Vec<u8>,
    key_ends: Vec<usize>,
}

impl Encoded {
    fn encode(&mut self, enc: &Encoding, batch: &Batch, values: bool) {
        self.values.clear();
        self.value_ends.clear();
        self.keys.clear();
        self.key_ends.clear();
        if values {
            if enc.op_column {
                enc.value.encode_each(&with_op_column(batch), &mut self.values, &mut self.value_ends);
            } else {
                enc.value.encode_each(batch, &mut self.values, &mut self.value_ends);
            }
        }
        if let Some((cols, key_enc)) = &enc.key {
            let key_batch = Batch::new(batch.len, cols.iter().map(|c| batch.columns[*c].clone()).collect());
            key_enc.encode_each(&key_batch, &mut self.keys, &mut self.key_ends);
        }
    }

    /// Row `i`'s bytes in `buf` (`ends` from `encode_each`), without the line break.
    fn slice<'a>(buf: &'a [u8], ends: &[usize], i: usize) -> &'a [u8] {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        let end = ends[i];
        &buf[start..end.saturating_sub(1).max(start)]
    }

    fn value(&self, i: usize) -> &[u8] {
        Self::slice(&self.values, &self.value_ends, i)
    }

    fn key(&self, i: usize) -> Option<&[u8]> {
        (!self.key_ends.is_empty()).then(|| Self::slice(&self.keys, &self.key_ends, i))
    }
}

/// Writes `input` to the sink's topic; see the module docs. `table`: the sink table's name (for
/// errors); `schema`: the rows' columns.
pub fn kafka_sink<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    wiring: SinkWiring,
    table: &str,
    spec: KafkaSink,
    schema: Schema,
    metrics: Arc<Metrics>,
    errors: SharedErrors,
) {
    let SinkWiring { name, changelog, index: sink_index, .. } = wiring;
    // Worker 0 (of all processes) creates a missing topic; see `TopicWriter::open`.
    let creator = input.scope().index() == 0;
    let label = table.to_string();
    let mut writer: Option<TopicWriter> = None;
    let mut encoding: Option<Encoding> = None;
    let mut encoded = Encoded::default();
    // Upsert: batches per epoch, written when the epoch completes.
    let mut pending: BTreeMap<u64, Vec<Batch>> = BTreeMap::new();
    let mut finished = false;
    input.sink(Pipeline, &name, move |(input, frontier)| {
        let fail = |errors: &SharedErrors, error: KafkaError| errors.fail(DataflowError::Kafka { sink: Some(label.clone()), error });
        if finished {
            input.for_each(|_, _| {});
            return;
        }
        if writer.is_none() {
            // Connecting waits up to the connect timeout, once, on the first activation.
            match (TopicWriter::open(&spec, creator), Encoding::new(&spec, &schema, changelog)) {
                (Ok(w), Ok(e)) => {
                    writer = Some(w);
                    encoding = Some(e);
                }
                (Err(e), _) => {
                    fail(&errors, e);
                    finished = true;
                    return;
                }
                (_, Err(message)) => {
                    errors.fail(DataflowError::SinkConfig { sink: label.clone(), message });
                    finished = true;
                    return;
                }
            }
        }
        let (Some(w), Some(enc)) = (writer.as_mut(), encoding.as_ref()) else { return };
        let counter = &metrics.rows_out[sink_index].1;
        let mut result: Result<(), KafkaError> = Ok(());
        input.for_each(|time, data| {
            for batch in data.drain(..) {
                if result.is_err() {
                    continue;
                }
                Metrics::add(counter, batch.len as u64);
                if enc.upsert {
                    pending.entry(*time.least().expect("data comes at a time")).or_default().push(batch);
                } else {
                    encoded.encode(enc, &batch, true);
                    result = (0..batch.len).try_for_each(|i| w.send(encoded.key(i), Some(encoded.value(i))));
                }
            }
        });
        // Upsert: write each completed epoch.
        while result.is_ok() {
            let Some(&t) = pending.keys().next() else { break };
            if frontier.less_equal(&t) {
                break;
            }
            let batches = pending.remove(&t).unwrap_or_default();
            result = write_upserts(w, enc, &mut encoded, &batches);
        }
        if result.is_ok() {
            result = w.poll();
        }
        if result.is_ok() && frontier.is_empty() {
            finished = true;
            result = w.flush();
        }
        if let Err(e) = result {
            fail(&errors, e);
            finished = true;
        }
    });
}

/// One epoch of an upsert sink: per key, its last inserted row, or a tombstone when the key's
/// rows were only retracted.
fn write_upserts(w: &mut TopicWriter, enc: &Encoding, encoded: &mut Encoded, batches: &[Batch]) -> Result<(), KafkaError> {
    // Per key, in first-seen order: (batch, row) of its last insertion, if any.
    let mut order: Vec<Vec<u8>> = Vec::new();
    let mut last: std::collections::HashMap<Vec<u8>, Option<(usize, usize)>> = std::collections::HashMap::new();
    for (b, batch) in batches.iter().enumerate() {
        encoded.encode(enc, batch, false);
        for i in 0..batch.len {
            let key = encoded.key(i).expect("an upsert sink has a key (Encoding::new refuses one without)").to_vec();
            let insert = batch.kind(i).diff() > 0;
            match last.get_mut(&key) {
                Some(slot) => {
                    if insert {
                        *slot = Some((b, i));
                    }
                }
                None => {
                    order.push(key.clone());
                    last.insert(key, insert.then_some((b, i)));
                }
            }
        }
    }
    // Values of the rows to write, encoded per batch.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); batches.len()];
    for slot in last.values().flatten() {
        rows[slot.0].push(slot.1);
    }
    let mut values: std::collections::HashMap<(usize, usize), Vec<u8>> = std::collections::HashMap::new();
    for (b, idx) in rows.iter().enumerate() {
        if idx.is_empty() {
            continue;
        }
        let mut mask = vec![false; batches[b].len];
        idx.iter().for_each(|i| mask[*i] = true);
        let sorted: Vec<usize> = (0..mask.len()).filter(|i| mask[*i]).collect();
        let chosen = batches[b].filter(&mask);
        encoded.encode(enc, &chosen, true);
        for (j, i) in sorted.iter().enumerate() {
            values.insert((b, *i), encoded.value(j).to_vec());
        }
    }
    for key in &order {
        let value = last.get(key).copied().flatten().and_then(|slot| values.get(&slot));
        w.send(Some(key), value.map(Vec::as_slice))?;
    }
    Ok(())
}
