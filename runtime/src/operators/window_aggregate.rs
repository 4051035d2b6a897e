//! GROUP BY over event-time windows (TUMBLE and HOP; SESSION windows are in
//! `session_aggregate`, which shares this file's route and kit): rows move to the worker that owns
//! their key, which keeps one hash map of accumulators per open window and emits a window's rows
//! when the frontier (the least watermark of all source workers) passes its end.
//!
//! Input column 0 is the event time, then `key_len` key columns, then the aggregates' arguments.
//! Output: `window_start, window_end, window_time`, the keys, the aggregates.
//!
//! State is only the open windows: a window's map is dropped as soon as the frontier passes its
//! end (plus the allowed lateness), so memory follows the watermark's spread, not the input's
//! length. Times are event times (see `time::time_of_event`).
//!
//! Lateness is judged here, as Flink's window operator judges it, and nowhere else: the owner
//! drops a row from each of its windows whose end plus the allowed lateness is at or before its
//! frontier (the least watermark of all source workers as of its last activation, not the
//! watermark of the worker that read the row), and keeps it in the others; a row that no window
//! takes is dropped by this operator, counted in its [`LateReport`], and (for a table with a
//! `'late.sink'`) sent on to the table's `LateRows`.

use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use crate::operators::epochs::{EpochStash, HeldCapability};
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{KeyRouter, Routed, encode_key};
use crate::operators::keyed::state::{Group, GroupMap, add_row, emit_change, group_error, keyed_map, merge_accs, new_group_map};
use crate::time::event_of_time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::core::OkErr;
use timely::dataflow::operators::generic::operator::Operator;
use timely::progress::frontier::AntichainRef;
use vstream_repr::WindowEmit;
use vstream_repr::agg::{Accumulator, AggError, AggregateSpec};
use vstream_repr::{Batch, ColumnData, Datum, RowKind, Schema, WindowAssigner};

/// What the window operators compute: `aggs` grouped by window and the `key_len` key columns
/// after the event time (column 0), windows by `assigner`, emitted as `emit` says; `schema`
/// is the output's.
#[derive(Clone, Debug)]
pub struct WindowAggregateSpec {
    /// TUMBLE, HOP or SESSION, with its sizes.
    pub assigner: WindowAssigner,
    /// Key columns, after the event time.
    pub key_len: usize,
    /// The aggregates, over the columns after the keys.
    pub aggs: Vec<AggregateSpec>,
    /// EMIT FINAL or CHANGES, and the allowed lateness.
    pub emit: WindowEmit,
    /// The output: `window_start, window_end, window_time`, the keys, the aggregates.
    pub schema: Schema,
}

/// What every stage of a window operator needs to know about the aggregate (the spec, and how
/// to name a group in an error).
#[derive(Clone)]
pub(crate) struct WindowKit {
    pub(crate) key_len: usize,
    pub(crate) aggs: Vec<AggregateSpec>,
    pub(crate) schema: Schema,
    /// The key columns' fields, to name a group in an error.
    key_schema: Schema,
    label: String,
}

impl WindowKit {
    /// The kit of `spec`, for the query named `query`.
    pub(crate) fn new(spec: &WindowAggregateSpec, query: &str) -> Self {
        let key_schema = Schema::new(spec.schema.fields[3..3 + spec.key_len].to_vec());
        WindowKit { key_len: spec.key_len, aggs: spec.aggs.clone(), schema: spec.schema.clone(), key_schema, label: query.to_string() }
    }

    /// The key encoding of row `row`, into `buf`.
    pub(crate) fn encode_key(&self, batch: &Batch, row: usize, buf: &mut Vec<u8>) {
        encode_key(batch, 1..1 + self.key_len, row, buf);
    }

    /// The key values of row `row`.
    pub(crate) fn key_of(&self, batch: &Batch, row: usize) -> Vec<Datum> {
        batch.columns[1..=self.key_len].iter().map(|c| c.datum(row)).collect()
    }

    /// A new group for the key of row `row`.
    fn new_group(&self, batch: &Batch, row: usize) -> Group {
        Group::new(self.key_of(batch, row), &self.aggs, false)
    }

    /// Adds row `row` of `batch` to `group`'s accumulators; an overflow names the group.
    fn add_row(&self, batch: &Batch, row: usize, group: &mut Group) -> Result<(), (Vec<Datum>, AggError)> {
        add_row(&mut group.accs, &self.aggs, batch, row).map_err(|e| (group.key.clone(), e))
    }

    /// Merges a partial state into `into`; an overflow names the group.
    fn merge(&self, into: &mut Group, partial: &[Accumulator]) -> Result<(), (Vec<Datum>, AggError)> {
        merge_accs(&mut into.accs, partial, &self.aggs).map_err(|e| (into.key.clone(), e))
    }

    /// Fails the run with an aggregate's error for a group.
    pub(crate) fn fail(&self, errors: &SharedErrors, (key, e): (Vec<Datum>, AggError)) {
        errors.fail(group_error(&self.label, &key, &self.key_schema, &e));
    }

    /// One output row: the window's columns, the key, the values.
    pub(crate) fn row(&self, start: i64, end: i64, key: &[Datum], values: &[Datum]) -> Vec<Datum> {
        let mut row = Vec::with_capacity(3 + key.len() + values.len());
        row.extend([Datum::Timestamp(start), Datum::Timestamp(end), Datum::Timestamp(end - 1)]);
        row.extend(key.iter().cloned());
        row.extend(values.iter().cloned());
        row
    }
}

/// Where a window operator accounts for the rows it drops for lateness.
#[derive(Clone)]
pub struct LateReport {
    /// The run's counters; the operator adds to `metrics.late[index]`.
    pub metrics: Arc<Metrics>,
    /// The operator's slot in `Metrics::late`.
    pub index: usize,
    /// For a table with a `'late.sink'`: the input columns from this one on are the source row
    /// (its columns, then its row id), which a dropped row is reported with.
    pub row_columns: Option<usize>,
}

impl LateReport {
    /// Counts `n` rows the operator dropped for lateness.
    pub(crate) fn count(&self, n: u64) {
        if let Some((_, counter)) = self.metrics.late.get(self.index) {
            Metrics::add(counter, n);
        }
    }

    /// Counts the rows of `batch` that `dropped` marks, and returns them (their source row
    /// columns) when the table has a late sink.
    pub(crate) fn drop_rows(&self, batch: &Batch, dropped: &[bool]) -> Option<Batch> {
        let n = dropped.iter().filter(|d| **d).count();
        if n == 0 {
            return None;
        }
        self.count(n as u64);
        let first = self.row_columns?;
        let rows = batch.filter(dropped);
        Some(Batch::new(rows.len, rows.columns[first..].to_vec()))
    }
}

/// The event time of row `i` (column 0); `None` for NULL, which sources never let through.
pub(crate) fn event_time(batch: &Batch, i: usize) -> Option<i64> {
    let c = &batch.columns[0];
    match &c.data {
        ColumnData::Timestamp(v) if c.is_valid(i) => Some(v[i]),
        _ => None,
    }
}

/// The least event time the frontier may still bring; `i64::MAX` once it is empty.
pub(crate) fn frontier_event_time(frontier: AntichainRef<'_, u64>) -> i64 {
    frontier.iter().min().map_or(i64::MAX, |t| event_of_time(*t))
}

/// Rows of one key's owner: route by the key's hash. Fixed windows pre-aggregate per batch,
/// window and key when every aggregate pre-aggregates (all but DISTINCT, whose partial state is
/// as large as its rows), so a window and key crosses workers once per batch.
///
/// Lateness is the owner's to judge, against its frontier; the route only keeps the rows it may
/// concern apart. A batch at time `t` was read when its worker's watermark was `t`, and no
/// owner's frontier passes `t` before it has the batch, so a row all of whose windows end (plus
/// `allowed_lateness`) after `t` is on time wherever it goes: those pre-aggregate. The others
/// (behind the reading worker's watermark) go as rows, for the owner to judge one by one.
pub(crate) fn route<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    spec: WindowKit,
    assigner: WindowAssigner,
    allowed_lateness: i64,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Routed>> {
    let pre_aggregate = !matches!(assigner, WindowAssigner::Session { .. }) && spec.aggs.iter().all(Accumulator::pre_aggregates);
    input.unary(Pipeline, &format!("{name}:route"), move |_cap, _info| {
        let mut router = KeyRouter::new(key_groups, 1..1 + spec.key_len, true);
        let mut failed = false;
        move |input, output| {
            input.for_each(|time, data| {
                // After an error the run is ending: later input is dropped, not half-aggregated.
                if failed {
                    data.clear();
                    return;
                }
                let read_at = time.least().map_or(i64::MAX, |t| event_of_time(*t)).saturating_sub(allowed_lateness);
                let mut out: Vec<Routed> = Vec::new();
                for batch in data.drain(..) {
                    if !pre_aggregate {
                        out.extend(router.split(batch).into_iter().map(|(target, batch)| Routed::Rows { target, batch }));
                        continue;
                    }
                    // Rows with a window ending at or before `read_at` may be late somewhere. A
                    // window ends after each of its rows, so only rows before `read_at` (behind
                    // the reading worker's watermark, rare) need their windows looked at.
                    let behind: Vec<bool> = (0..batch.len)
                        .map(|i| {
                            let mut behind = false;
                            if let Some(ts) = event_time(&batch, i)
                                && ts < read_at
                            {
                                assigner.for_each_window(ts, |_, end| behind |= end <= read_at);
                            }
                            behind
                        })
                        .collect();
                    let batch = if behind.iter().any(|b| *b) {
                        let rows = batch.filter(&behind);
                        out.extend(router.split(rows).into_iter().map(|(target, batch)| Routed::Rows { target, batch }));
                        let ahead: Vec<bool> = behind.iter().map(|b| !b).collect();
                        if !ahead.iter().any(|a| *a) {
                            continue;
                        }
                        batch.filter(&ahead)
                    } else {
                        batch
                    };
                    let windows = |i, add: &mut dyn FnMut(i64, i64)| {
                        if let Some(ts) = event_time(&batch, i) {
                            assigner.for_each_window(ts, add);
                        }
                    };
                    match router.pre_aggregate(&batch, &spec.aggs, windows) {
                        Ok(states) => out.extend(states.into_iter().map(|(target, partials)| Routed::Partials { target, partials })),
                        Err((i, e)) => {
                            spec.fail(&errors, (spec.key_of(&batch, i), e));
                            failed = true;
                            return;
                        }
                    }
                }
                if !out.is_empty() {
                    output.session(&time).give_container(&mut out);
                }
            });
        }
    })
}

/// The state of a TUMBLE or HOP aggregate on one worker, apart from its timely capabilities:
/// what a checkpoint at a frontier would write and a restore read back.
///
/// Under a changelog (EMIT CHANGES, or a lateness), input is held per epoch in the operator's
/// `EpochStash` until the frontier passes it: that input is not part of the state. Under EMIT
/// FINAL without lateness input is applied as it arrives, so the state may hold input of times
/// the frontier has not passed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowAggregateState {
    /// Open windows by end.
    pub(crate) windows: BTreeMap<i64, WindowGroups>,
    /// Windows ending at or before this have emitted their final rows.
    pub(crate) fired_until: i64,
    /// A row failed the run: later input is dropped.
    pub(crate) failed: bool,
}

/// One open window: its start, and its groups by key encoding (an entry's key group is
/// `KeyGroups::group_of(key_hash(key))`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct WindowGroups {
    pub(crate) start: i64,
    #[serde(with = "keyed_map")]
    pub(crate) groups: GroupMap,
}

impl Default for WindowAggregateState {
    /// No window open, none fired.
    fn default() -> Self {
        WindowAggregateState { windows: BTreeMap::new(), fired_until: i64::MIN, failed: false }
    }
}

impl WindowGroups {
    fn new(start: i64) -> Self {
        WindowGroups { start, groups: new_group_map() }
    }
}

/// The GROUP BY of TUMBLE and HOP windows (SESSION windows are `session_aggregate`'s): its
/// rows, and the source rows it dropped for lateness (see [`LateReport::row_columns`]).
pub fn window_aggregate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    spec: WindowAggregateSpec,
    late: LateReport,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> (Stream<'scope, u64, Vec<Batch>>, Stream<'scope, u64, Vec<Batch>>) {
    let (assigner, emit) = (spec.assigner, spec.emit);
    let spec = WindowKit::new(&spec, query);
    let routed = route(input, name, spec.clone(), assigner, emit.allowed_lateness, key_groups, errors.clone());
    // EMIT FINAL without lateness emits nothing before a window closes, so input is applied as
    // it arrives; otherwise it is held per epoch and applied in epoch order, so the changes
    // emitted at epoch t are exactly those of the input up to t.
    let per_epoch = emit.is_changelog();
    // The owner's output: its rows (`Ok`), and the source rows it dropped for lateness (`Err`).
    let scope = routed.scope();
    let out: Stream<'scope, u64, Vec<Result<Batch, Batch>>> =
        routed.unary_frontier(Exchange::new(|r: &Routed| r.target() as u64), name, move |_cap, info| {
            let mut state = WindowAggregateState::default();
            let mut stash: EpochStash<Routed> = EpochStash::default();
            // Held while there is state, at most the frontier: the time fired rows are emitted at.
            let mut cap = HeldCapability::default();
            // Processing time: wakes the operator when the wall clock reaches the next window's end.
            let clock = emit.proc_time.then(|| scope.activator_for(info.address));
            let mut buf = Vec::new();
            move |(input, frontier), output| {
                // Windows ending at or before `expired` have fired and dropped their state (their end
                // plus the allowed lateness is at or before the frontier last seen): a row goes to
                // its other windows, and one that none takes is dropped (its source row to `dropped`).
                // Partial states are never for such a window (see `route`).
                let mut apply = |part: Routed,
                                 windows: &mut BTreeMap<i64, WindowGroups>,
                                 expired: i64,
                                 changed: &mut Vec<(i64, Vec<u8>)>,
                                 dropped: &mut Vec<Batch>|
                 -> Result<(), (Vec<Datum>, AggError)> {
                    let mut touch = |end: i64, key: &[u8], group: &mut Group| {
                        if per_epoch && !group.dirty {
                            group.dirty = true;
                            changed.push((end, key.to_vec()));
                        }
                    };
                    match part {
                        Routed::Partials { partials, .. } => {
                            for entry in partials.entries() {
                                let (start, end) = entry.window;
                                let map = &mut windows.entry(end).or_insert_with(|| WindowGroups::new(start)).groups;
                                // A new group takes the partial state as it is; an existing one merges it.
                                let group = match map.entry_ref(entry.key) {
                                    hashbrown::hash_map::EntryRef::Occupied(o) => {
                                        let group = o.into_mut();
                                        spec.merge(group, entry.accs)?;
                                        group
                                    }
                                    hashbrown::hash_map::EntryRef::Vacant(v) => {
                                        v.insert(Group::from_partial(partials.key_datums(entry.index), entry.accs))
                                    }
                                };
                                touch(end, entry.key, group);
                            }
                        }
                        Routed::Rows { batch, .. } => {
                            let mut late_rows: Option<Vec<bool>> = None;
                            for i in 0..batch.len {
                                let Some(ts) = event_time(&batch, i) else { continue };
                                spec.encode_key(&batch, i, &mut buf);
                                let mut result = Ok(());
                                let mut taken = false;
                                assigner.for_each_window(ts, |start, end| {
                                    if result.is_err() || end <= expired {
                                        return;
                                    }
                                    taken = true;
                                    let map = &mut windows.entry(end).or_insert_with(|| WindowGroups::new(start)).groups;
                                    let group = map.entry_ref(&buf[..]).or_insert_with(|| spec.new_group(&batch, i));
                                    result = spec.add_row(&batch, i, group);
                                    touch(end, &buf, group);
                                });
                                result?;
                                if !taken {
                                    late_rows.get_or_insert_with(|| vec![false; batch.len])[i] = true;
                                }
                            }
                            if let Some(late_rows) = late_rows {
                                dropped.extend(late.drop_rows(&batch, &late_rows));
                            }
                        }
                    }
                    Ok(())
                };
                input.for_each(|time, data| {
                    let Some(c) = time.retain_least(0) else { return };
                    cap.hold(&c);
                    if per_epoch {
                        stash.push(&c, data);
                    } else {
                        let (mut unused, mut dropped) = (Vec::new(), Vec::new());
                        let until = expired_until(&state, emit);
                        for part in data.drain(..) {
                            if state.failed {
                                break;
                            }
                            if let Err(e) = apply(part, &mut state.windows, until, &mut unused, &mut dropped) {
                                spec.fail(&errors, e);
                                state.failed = true;
                            }
                        }
                        if !dropped.is_empty() {
                            output.session(&c).give_iterator(dropped.into_iter().map(Err));
                        }
                    }
                });
                // Complete epochs, in order: apply, then emit the changes they made.
                while let Some((epoch_cap, parts)) = stash.pop_complete(frontier.frontier()) {
                    let (mut changed, mut dropped) = (Vec::new(), Vec::new());
                    let until = expired_until(&state, emit);
                    for part in parts {
                        if state.failed {
                            break;
                        }
                        if let Err(e) = apply(part, &mut state.windows, until, &mut changed, &mut dropped) {
                            spec.fail(&errors, e);
                            state.failed = true;
                        }
                    }
                    if !dropped.is_empty() {
                        output.session(&epoch_cap).give_iterator(dropped.into_iter().map(Err));
                    }
                    let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                    for (end, key) in changed {
                        let Some(window) = state.windows.get_mut(&end) else { continue };
                        let start = window.start;
                        let Some(g) = window.groups.get_mut(&key[..]) else { continue };
                        g.dirty = false;
                        // EMIT FINAL with lateness: only a fired window's corrections; the rest wait
                        // for the window to close.
                        if !emit.changes && end > state.fired_until {
                            continue;
                        }
                        emit_change(&g.accs, &mut g.emitted, |values| spec.row(start, end, &g.key, values), &mut rows, &mut kinds);
                    }
                    if !rows.is_empty() && !state.failed {
                        let batch = Batch::from_rows(&spec.schema, &rows);
                        output.session(&epoch_cap).give_container(&mut vec![Ok(if per_epoch {
                            batch.with_kinds(Some(kinds))
                        } else {
                            batch
                        })]);
                    }
                }
                // Windows the frontier has passed: emit (EMIT FINAL), and drop those past lateness.
                // Over processing time, those the wall clock has passed (all, once the input ends).
                let watermark = match &clock {
                    Some(_) if !frontier.is_empty() => vstream_repr::expr::wall_clock_ms(),
                    _ => frontier_event_time(frontier.frontier()),
                };
                if let Some(c) = cap.get() {
                    let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                    if !emit.changes {
                        for (end, window) in state.windows.range_mut(..=watermark) {
                            if *end <= state.fired_until {
                                continue;
                            }
                            for g in window.groups.values_mut() {
                                let values: Vec<Datum> = g.accs.iter().map(Accumulator::value).collect();
                                rows.push(spec.row(window.start, *end, &g.key, &values));
                                kinds.push(RowKind::Insert);
                                g.emitted = Some(values);
                            }
                        }
                    }
                    state.fired_until = state.fired_until.max(watermark);
                    // At the end of the input every window goes, even one whose end plus the lateness
                    // would pass `i64::MAX`.
                    let expire_to = if frontier.is_empty() { i64::MAX } else { watermark.saturating_sub(emit.allowed_lateness) };
                    let expired: Vec<i64> = state.windows.range(..=expire_to).map(|(end, _)| *end).collect();
                    for end in expired {
                        state.windows.remove(&end);
                    }
                    if !rows.is_empty() && !state.failed {
                        let batch = Batch::from_rows(&spec.schema, &rows);
                        output.session(c).give_container(&mut vec![Ok(if per_epoch { batch.with_kinds(Some(kinds)) } else { batch })]);
                    }
                }
                cap.settle(!state.windows.is_empty() || !stash.is_empty(), frontier.frontier());
                if let (Some(activator), Some(next_end)) = (&clock, state.windows.keys().next()) {
                    let wait = next_end.saturating_sub(vstream_repr::expr::wall_clock_ms()).max(1);
                    activator.activate_after(std::time::Duration::from_millis(wait as u64));
                }
            }
        });
    out.ok_err(|r| r)
}

/// Windows ending at or before this have fired and been dropped (their end plus the allowed
/// lateness is at or before the frontier last seen).
fn expired_until(state: &WindowAggregateState, emit: WindowEmit) -> i64 {
    state.fired_until.saturating_sub(emit.allowed_lateness)
}
