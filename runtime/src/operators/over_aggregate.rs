//! OVER aggregates (`agg(...) OVER (PARTITION BY ... ORDER BY <event time> <frame>)`): rows move
//! to the worker that owns their partition, wait there until the watermark passes their time,
//! and are then emitted in time order, each with the aggregates over its frame (Flink's
//! semantics: insert-only, one row out per row in).
//!
//! Rows of one time are peers: a RANGE frame includes them all; a ROWS frame takes them in
//! the order of their values, so the result is the same on every worker count.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{encode_key, route_rows};
use crate::operators::keyed::state::{add_row, group_error, hasher, keyed_map, retract_row};
use crate::operators::watermark_hold::{WatermarkHold, hold_until_watermark};
use crate::operators::window_aggregate::LateReport;
use ahash::RandomState;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use timely::dataflow::Stream;
use vstream_repr::agg::{Accumulator, AggError, AggregateSpec};
use vstream_repr::rank::{OverFrame, compare_rows};
use vstream_repr::{Batch, Column, ColumnData, Datum, Schema};

/// What the operator computes: input columns `0..key_len` are the partition key, then the event
/// time, then `payload_len` columns it emits, then the aggregates' arguments.
#[derive(Clone, Debug)]
pub struct OverAggregateSpec {
    /// How many leading input columns are the partition key.
    pub key_len: usize,
    /// How many columns after the event time are emitted.
    pub payload_len: usize,
    /// The rows each aggregate covers.
    pub frame: OverFrame,
    /// The aggregates, over the input's columns.
    pub aggs: Vec<AggregateSpec>,
    /// The input's columns.
    pub input_schema: Schema,
    /// The output's columns: the payload, then the aggregates.
    pub schema: Schema,
}

impl OverAggregateSpec {
    /// The input columns the aggregates read (arguments and filters), ascending: all a frame
    /// keeps of a row, since retracting it reads nothing else.
    fn aggregate_columns(&self) -> Vec<usize> {
        let mut columns: Vec<usize> = self.aggs.iter().flat_map(|a| a.arg.into_iter().chain(a.arg2).chain(a.filter)).collect();
        columns.sort_unstable();
        columns.dedup();
        columns
    }

    /// Whether rows leave the frame (and so accumulators must take retractions).
    fn bounded(&self) -> bool {
        matches!(self.frame, OverFrame::Rows { preceding: Some(_) } | OverFrame::Range { preceding: Some(_) })
    }
}

/// A row waiting for the watermark: its partition key encoding and its values.
type PendingRow = (Vec<u8>, Vec<Datum>);

/// One partition: its accumulators and the rows in its frame (their times, and their values of
/// the columns the aggregates read: `OverAggregateSpec::aggregate_columns`), oldest first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverPartition {
    accs: Vec<Accumulator>,
    frame: VecDeque<(i64, Vec<Datum>)>,
}

/// The state of an OVER aggregate on one worker: the rows the watermark has not passed (by
/// time), the partitions, and the time up to which rows have been emitted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverAggregateState {
    /// Per event time: the rows of that time, each with its partition key encoding.
    pending: BTreeMap<i64, Vec<PendingRow>>,
    #[serde(with = "keyed_map")]
    partitions: HashMap<Vec<u8>, OverPartition, RandomState>,
    /// Rows before this time have been emitted: a row that arrives behind it is late.
    emitted_until: i64,
}

impl Default for OverAggregateState {
    fn default() -> Self {
        OverAggregateState { pending: BTreeMap::new(), partitions: HashMap::with_hasher(hasher()), emitted_until: i64::MIN }
    }
}

impl OverAggregateState {
    /// Holds the rows of `batch` until the watermark passes them; returns how many were late.
    fn hold(&mut self, batch: &Batch, spec: &OverAggregateSpec, buf: &mut Vec<u8>) -> u64 {
        let time_col = &batch.columns[spec.key_len];
        let mut late = 0;
        for i in 0..batch.len {
            let time = match &time_col.data {
                ColumnData::Timestamp(v) if time_col.is_valid(i) => v[i],
                // Sources reject rows without an event time; none reaches here.
                _ => continue,
            };
            if time < self.emitted_until {
                late += 1;
                continue;
            }
            encode_key(batch, 0..spec.key_len, i, buf);
            self.pending.entry(time).or_default().push((buf.clone(), batch.row(i)));
        }
        late
    }

    /// Emits, in time order per partition, the rows before `watermark`, with their aggregates.
    fn emit(&mut self, watermark: i64, spec: &OverAggregateSpec) -> Result<Vec<Vec<Datum>>, (Vec<Datum>, AggError)> {
        let later = self.pending.split_off(&watermark);
        let ready = std::mem::replace(&mut self.pending, later);
        self.emitted_until = self.emitted_until.max(watermark);
        let mut rows: Vec<(Vec<u8>, i64, Vec<Datum>)> =
            ready.into_iter().flat_map(|(t, rows)| rows.into_iter().map(move |(k, r)| (k, t, r))).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then_with(|| compare_rows(&a.2, &b.2)));
        let batch = Batch::from_rows(&spec.input_schema, &rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>());
        let aggregate_columns = spec.aggregate_columns();
        let frame_values = |row: &[Datum]| aggregate_columns.iter().map(|c| row[*c].clone()).collect::<Vec<Datum>>();
        // The aggregates over a frame row's kept values: arguments and filters renumbered.
        let at = |c: usize| aggregate_columns.iter().position(|k| *k == c);
        let frame_aggs: Vec<AggregateSpec> = spec
            .aggs
            .iter()
            .map(|a| AggregateSpec { arg: a.arg.and_then(at), arg2: a.arg2.and_then(at), filter: a.filter.and_then(at), ..a.clone() })
            .collect();
        let frame_types: Vec<vstream_repr::DataType> = aggregate_columns.iter().map(|c| spec.input_schema.fields[*c].ty).collect();
        let retract_oldest = |partition: &mut OverPartition| retract_oldest(partition, &frame_aggs, &frame_types);
        let payload = spec.key_len + 1..spec.key_len + 1 + spec.payload_len;
        let mut out = Vec::with_capacity(rows.len());
        let mut i = 0;
        while i < rows.len() {
            // Peers: the rows of one partition and time, rows[i..end].
            let (key, time) = (&rows[i].0, rows[i].1);
            let end = i + rows[i..].iter().take_while(|r| r.0 == *key && r.1 == time).count();
            let partition = self.partitions.entry_ref(&key[..]).or_insert_with(|| OverPartition {
                accs: spec.aggs.iter().map(|a| Accumulator::with_retractions(a, spec.bounded())).collect(),
                frame: VecDeque::new(),
            });
            let fail = |e| (rows[i].2[..spec.key_len].to_vec(), e);
            match spec.frame {
                OverFrame::Rows { preceding } => {
                    for (r, (_, _, row)) in rows.iter().enumerate().take(end).skip(i) {
                        add_row(&mut partition.accs, &spec.aggs, &batch, r).map_err(fail)?;
                        if let Some(n) = preceding {
                            partition.frame.push_back((time, frame_values(row)));
                            while partition.frame.len() as u64 > n + 1 {
                                retract_oldest(partition).map_err(fail)?;
                            }
                        }
                        out.push(output_row(&row[payload.clone()], &partition.accs));
                    }
                }
                OverFrame::Range { preceding } => {
                    for (r, (_, _, row)) in rows.iter().enumerate().take(end).skip(i) {
                        add_row(&mut partition.accs, &spec.aggs, &batch, r).map_err(fail)?;
                        if preceding.is_some() {
                            partition.frame.push_back((time, frame_values(row)));
                        }
                    }
                    if let Some(ms) = preceding {
                        let from = time.saturating_sub(ms);
                        while partition.frame.front().is_some_and(|(t, _)| *t < from) {
                            retract_oldest(partition).map_err(fail)?;
                        }
                    }
                    for row in &rows[i..end] {
                        out.push(output_row(&row.2[payload.clone()], &partition.accs));
                    }
                }
            }
            i = end;
        }
        Ok(out)
    }
}

/// Takes the oldest row of `partition`'s frame out of its aggregates: a one-row batch of the
/// values the frame kept (of types `types`), read by `aggs` (the aggregates renumbered to them).
fn retract_oldest(partition: &mut OverPartition, aggs: &[AggregateSpec], types: &[vstream_repr::DataType]) -> Result<(), AggError> {
    let Some((_, values)) = partition.frame.pop_front() else { return Ok(()) };
    let columns: Vec<Column> = types.iter().zip(values).map(|(ty, value)| Column::from_datums(*ty, &[value])).collect();
    retract_row(&mut partition.accs, aggs, &Batch::new(1, columns), 0)
}

/// A row's emitted columns, then its aggregates' values.
fn output_row(payload: &[Datum], accs: &[Accumulator]) -> Vec<Datum> {
    payload.iter().cloned().chain(accs.iter().map(Accumulator::value)).collect()
}

/// An OVER aggregate's state with what it needs to take and release rows.
struct OverAggregation {
    state: OverAggregateState,
    spec: OverAggregateSpec,
    /// Names the query in errors.
    label: String,
}

impl WatermarkHold for OverAggregation {
    fn take(&mut self, batch: &Batch, buf: &mut Vec<u8>) -> u64 {
        self.state.hold(batch, &self.spec, buf)
    }

    fn ready(&self, watermark: i64) -> bool {
        self.state.pending.first_key_value().is_some_and(|(t, _)| *t < watermark)
    }

    fn release(&mut self, watermark: i64) -> Result<Vec<Vec<Datum>>, DataflowError> {
        self.state.emit(watermark, &self.spec).map_err(|(key, e)| group_error(&self.label, &key, &self.spec.input_schema, &e))
    }

    fn holding(&self) -> bool {
        !self.state.pending.is_empty()
    }
}

/// Computes OVER aggregates per partition (the first `key_len` input columns), emitting each
/// row once the frontier passes its event time.
pub fn over_aggregate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    spec: OverAggregateSpec,
    key_groups: KeyGroups,
    late: LateReport,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let routed = route_rows(input, name, key_groups, 0..spec.key_len);
    let schema = spec.schema.clone();
    let state = OverAggregation { state: OverAggregateState::default(), spec, label: query.to_string() };
    hold_until_watermark(routed, name, state, schema, late, errors)
}
