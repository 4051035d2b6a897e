//! GROUP BY over event-time windows (TUMBLE, HOP, SESSION): rows move to the worker that owns
//! their key, which keeps one hash map of accumulators per open window and emits a window's rows
//! when the frontier (the least watermark of all source workers) passes its end.
//!
//! Input column 0 is the event time, then `key_len` key columns, then the aggregates' arguments.
//! Output: `window_start, window_end, window_time`, the keys, the aggregates.
//!
//! State is only the open windows: a window's map is dropped as soon as the frontier passes its
//! end (plus the allowed lateness), so memory follows the watermark's spread, not the input's
//! length. Times are event times (see `source::time_of_event`); every row that reaches this
//! operator is on time (sources route late rows elsewhere), so its windows are still open.

use crate::operators::SharedErrors;
use crate::operators::epochs::{EpochStash, HeldCapability};
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{KeyRouter, PartialStates, encode_key};
use crate::operators::keyed::state::{Group, GroupMap, add_row, emit_change, hasher, merge_accs, new_group_map, overflow_message};
use crate::operators::source::event_of_time;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::operator::Operator;
use timely::progress::frontier::AntichainRef;
use vstream_planner::logical::WindowEmit;
use vstream_repr::agg::{Accumulator, AggError, AggregateSpec};
use vstream_repr::{Batch, ColumnData, Datum, RowKind, Schema, WindowAssigner};

/// What moves from a worker to a key's owner: rows, or one batch's partial states.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WindowRouted {
    Rows { target: u32, batch: Batch },
    Partials { target: u32, partials: PartialStates },
}

impl WindowRouted {
    fn target(&self) -> u32 {
        match self {
            WindowRouted::Rows { target, .. } | WindowRouted::Partials { target, .. } => *target,
        }
    }
}

/// What every stage needs to know about the aggregate.
#[derive(Clone)]
struct Spec {
    key_len: usize,
    aggs: Vec<AggregateSpec>,
    schema: Schema,
    /// The key columns' fields, to name a group in an error.
    key_schema: Schema,
    label: String,
}

impl Spec {
    fn encode_key(&self, batch: &Batch, row: usize, buf: &mut Vec<u8>) {
        encode_key(batch, 1..1 + self.key_len, row, buf);
    }

    /// The key values of row `row`.
    fn key_of(&self, batch: &Batch, row: usize) -> Vec<Datum> {
        batch.columns[1..=self.key_len].iter().map(|c| c.datum(row)).collect()
    }

    fn new_group(&self, batch: &Batch, row: usize) -> Group {
        Group::new(self.key_of(batch, row), &self.aggs, false)
    }

    /// Adds row `row` of `batch` to `group`'s accumulators; an overflow names the group.
    fn add_row(&self, batch: &Batch, row: usize, group: &mut Group) -> Result<(), (Vec<Datum>, AggError)> {
        add_row(&mut group.accs, &self.aggs, batch, row).map_err(|e| (group.key.clone(), e))
    }

    fn merge(&self, into: &mut Group, partial: &[Accumulator]) -> Result<(), (Vec<Datum>, AggError)> {
        merge_accs(&mut into.accs, partial, &self.aggs).map_err(|e| (into.key.clone(), e))
    }

    fn fail(&self, errors: &SharedErrors, (key, e): (Vec<Datum>, AggError)) {
        errors.fail(overflow_message(&self.label, &key, &self.key_schema, &e));
    }

    /// One output row: the window's columns, the key, the values.
    fn row(&self, start: i64, end: i64, key: &[Datum], values: &[Datum]) -> Vec<Datum> {
        let mut row = Vec::with_capacity(3 + key.len() + values.len());
        row.extend([Datum::Timestamp(start), Datum::Timestamp(end), Datum::Timestamp(end - 1)]);
        row.extend(key.iter().cloned());
        row.extend(values.iter().cloned());
        row
    }
}

/// The event time of row `i` (column 0); `None` for NULL, which sources never let through.
fn event_time(batch: &Batch, i: usize) -> Option<i64> {
    let c = &batch.columns[0];
    match &c.data {
        ColumnData::Timestamp(v) if c.is_valid(i) => Some(v[i]),
        _ => None,
    }
}

/// The least event time the frontier may still bring; `i64::MAX` once it is empty.
fn frontier_event_time(frontier: AntichainRef<'_, u64>) -> i64 {
    frontier.iter().min().map_or(i64::MAX, |t| event_of_time(*t))
}

/// Rows of one key's owner: route by the key's hash. Fixed windows pre-aggregate per batch,
/// window and key when every aggregate pre-aggregates (all but DISTINCT, whose partial state is
/// as large as its rows), so a window and key crosses workers once per batch.
fn route<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    spec: Spec,
    assigner: WindowAssigner,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<WindowRouted>> {
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
                let mut out: Vec<WindowRouted> = Vec::new();
                for batch in data.drain(..) {
                    if !pre_aggregate {
                        out.extend(router.split(batch).into_iter().map(|(target, batch)| WindowRouted::Rows { target, batch }));
                        continue;
                    }
                    let windows = |i, add: &mut dyn FnMut(i64, i64)| {
                        if let Some(ts) = event_time(&batch, i) {
                            assigner.for_each_window(ts, add);
                        }
                    };
                    match router.pre_aggregate(&batch, &spec.aggs, windows) {
                        Ok(states) => out.extend(states.into_iter().map(|(target, partials)| WindowRouted::Partials { target, partials })),
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

/// The GROUP BY of TUMBLE and HOP windows.
#[allow(clippy::too_many_arguments)]
pub fn window_aggregate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    assigner: WindowAssigner,
    key_len: usize,
    aggs: Vec<AggregateSpec>,
    emit: WindowEmit,
    schema: Schema,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let key_schema = Schema::new(schema.fields[3..3 + key_len].to_vec());
    let spec = Spec { key_len, aggs, schema, key_schema, label: query.to_string() };
    if let WindowAssigner::Session { gap } = assigner {
        return session_aggregate(input, name, spec, gap, emit, key_groups, errors);
    }
    let routed = route(input, name, spec.clone(), assigner, key_groups, errors.clone());
    // EMIT FINAL without lateness emits nothing before a window closes, so input is applied as
    // it arrives; otherwise it is held per epoch and applied in epoch order, so the changes
    // emitted at epoch t are exactly those of the input up to t.
    let per_epoch = emit.is_changelog();
    routed.unary_frontier(Exchange::new(|r: &WindowRouted| r.target() as u64), name, move |_cap, _info| {
        // Open windows by end: key -> state.
        let mut windows: BTreeMap<i64, (i64, GroupMap)> = BTreeMap::new();
        let mut stash: EpochStash<WindowRouted> = EpochStash::default();
        // Held while there is state, at most the frontier: the time fired rows are emitted at.
        let mut cap = HeldCapability::default();
        // Windows ending at or before this have emitted their final rows.
        let mut fired_until = i64::MIN;
        let mut failed = false;
        let mut buf = Vec::new();
        move |(input, frontier), output| {
            let mut apply = |part: WindowRouted,
                             windows: &mut BTreeMap<i64, (i64, GroupMap)>,
                             changed: &mut Vec<(i64, Vec<u8>)>|
             -> Result<(), (Vec<Datum>, AggError)> {
                let mut touch = |end: i64, key: &[u8], group: &mut Group| {
                    if per_epoch && !group.dirty {
                        group.dirty = true;
                        changed.push((end, key.to_vec()));
                    }
                };
                match part {
                    WindowRouted::Partials { partials, .. } => {
                        for entry in partials.entries() {
                            let (start, end) = entry.window;
                            let (_, map) = windows.entry(end).or_insert_with(|| (start, new_group_map()));
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
                    WindowRouted::Rows { batch, .. } => {
                        for i in 0..batch.len {
                            let Some(ts) = event_time(&batch, i) else { continue };
                            spec.encode_key(&batch, i, &mut buf);
                            let mut result = Ok(());
                            assigner.for_each_window(ts, |start, end| {
                                if result.is_err() {
                                    return;
                                }
                                let (_, map) = windows.entry(end).or_insert_with(|| (start, new_group_map()));
                                let group = map.entry_ref(&buf[..]).or_insert_with(|| spec.new_group(&batch, i));
                                result = spec.add_row(&batch, i, group);
                                touch(end, &buf, group);
                            });
                            result?;
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
                    let mut unused = Vec::new();
                    for part in data.drain(..) {
                        if failed {
                            break;
                        }
                        if let Err(e) = apply(part, &mut windows, &mut unused) {
                            spec.fail(&errors, e);
                            failed = true;
                        }
                    }
                }
            });
            // Complete epochs, in order: apply, then emit the changes they made.
            while let Some((epoch_cap, parts)) = stash.pop_complete(frontier.frontier()) {
                let mut changed = Vec::new();
                for part in parts {
                    if failed {
                        break;
                    }
                    if let Err(e) = apply(part, &mut windows, &mut changed) {
                        spec.fail(&errors, e);
                        failed = true;
                    }
                }
                let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                for (end, key) in changed {
                    let Some((start, map)) = windows.get_mut(&end) else { continue };
                    let Some(g) = map.get_mut(&key[..]) else { continue };
                    g.dirty = false;
                    // EMIT FINAL with lateness: only a fired window's corrections; the rest wait
                    // for the window to close.
                    if !emit.changes && end > fired_until {
                        continue;
                    }
                    emit_change(&g.accs, &mut g.emitted, |values| spec.row(*start, end, &g.key, values), &mut rows, &mut kinds);
                }
                if !rows.is_empty() && !failed {
                    let batch = Batch::from_rows(&spec.schema, &rows);
                    output.session(&epoch_cap).give_container(&mut vec![if per_epoch { batch.with_kinds(Some(kinds)) } else { batch }]);
                }
            }
            // Windows the frontier has passed: emit (EMIT FINAL), and drop those past lateness.
            let watermark = frontier_event_time(frontier.frontier());
            if let Some(c) = cap.get() {
                let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                if !emit.changes {
                    for (end, (start, map)) in windows.range_mut(..=watermark) {
                        if *end <= fired_until {
                            continue;
                        }
                        for g in map.values_mut() {
                            let values: Vec<Datum> = g.accs.iter().map(Accumulator::value).collect();
                            rows.push(spec.row(*start, *end, &g.key, &values));
                            kinds.push(RowKind::Insert);
                            g.emitted = Some(values);
                        }
                    }
                }
                fired_until = fired_until.max(watermark);
                // At the end of the input every window goes, even one whose end plus the lateness
                // would pass `i64::MAX`.
                let expire_to = if frontier.is_empty() { i64::MAX } else { watermark.saturating_sub(emit.allowed_lateness) };
                let expired: Vec<i64> = windows.range(..=expire_to).map(|(end, _)| *end).collect();
                for end in expired {
                    windows.remove(&end);
                }
                if !rows.is_empty() && !failed {
                    let batch = Batch::from_rows(&spec.schema, &rows);
                    output.session(c).give_container(&mut vec![if per_epoch { batch.with_kinds(Some(kinds)) } else { batch }]);
                }
            }
            cap.settle(!windows.is_empty() || !stash.is_empty(), frontier.frontier());
        }
    })
}

/// One open session of a key: `[start, end)`, where `end` is its last row's time plus the gap.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Session {
    start: i64,
    end: i64,
    accs: Vec<Accumulator>,
    /// The row last emitted for this session (changelog output only).
    emitted: Option<Vec<Datum>>,
}

/// A key's open sessions, and the event time it is scheduled to be looked at.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SessionKey {
    key: Vec<Datum>,
    sessions: Vec<Session>,
    /// Rows emitted for sessions that have since merged into another: to retract.
    stale: Vec<Vec<Datum>>,
    scheduled: Option<i64>,
    /// Touched since it was last refreshed (changelog output only).
    dirty: bool,
}

impl SessionKey {
    /// Adds row `i` of `batch`, at event time `ts`: its own window `[ts, ts + gap)` absorbs every
    /// session it touches, and what was emitted for those becomes stale. The row goes into the
    /// first session it touches and the others (rarely any) merge into that one, so a row costs
    /// one accumulator update, not a copy of its session's state (a DISTINCT set, say). Sessions
    /// never touch each other, so the sessions the merged one covers are exactly those.
    fn add(&mut self, spec: &Spec, gap: i64, batch: &Batch, i: usize, ts: i64) -> Result<(), AggError> {
        let (start, end) = (ts, ts.saturating_add(gap));
        let mut touching = (0..self.sessions.len()).filter(|&k| self.sessions[k].start <= end && start <= self.sessions[k].end);
        let Some(first) = touching.next() else {
            let mut s = Session { start, end, accs: spec.aggs.iter().map(Accumulator::new).collect(), emitted: None };
            add_row(&mut s.accs, &spec.aggs, batch, i)?;
            self.sessions.push(s);
            return Ok(());
        };
        let others: Vec<usize> = touching.collect();
        let base = &mut self.sessions[first];
        base.start = base.start.min(start);
        base.end = base.end.max(end);
        self.stale.extend(base.emitted.take());
        add_row(&mut base.accs, &spec.aggs, batch, i)?;
        // Highest index first: `swap_remove` then moves only sessions already looked at.
        for k in others.into_iter().rev() {
            let s = self.sessions.swap_remove(k);
            let base = &mut self.sessions[first];
            base.start = base.start.min(s.start);
            base.end = base.end.max(s.end);
            merge_accs(&mut base.accs, &s.accs, &spec.aggs)?;
            self.stale.extend(s.emitted);
        }
        Ok(())
    }

    /// When the key needs looking at next: an unemitted session under EMIT FINAL when the
    /// frontier passes its end (to emit it), any other when no row can join it any more.
    fn next_wake(&self, emit: WindowEmit) -> Option<i64> {
        let wake = |s: &Session| if !emit.changes && s.emitted.is_none() { s.end } else { s.end.saturating_add(emit.allowed_lateness) };
        self.sessions.iter().map(wake).min()
    }

    /// Emits what changed for this key as of `progress`: retractions of stale rows, then each
    /// visible session's row if new or changed (visible: always under EMIT CHANGES, once
    /// complete under EMIT FINAL), and drops the sessions no row can join.
    fn refresh(&mut self, spec: &Spec, emit: WindowEmit, progress: Progress, rows: &mut Vec<Vec<Datum>>, kinds: &mut Vec<RowKind>) {
        self.dirty = false;
        let mut stale = std::mem::take(&mut self.stale);
        let mut updates = Vec::new();
        for s in &mut self.sessions {
            if !emit.changes && !progress.passed(s.end) {
                continue;
            }
            let values: Vec<Datum> = s.accs.iter().map(Accumulator::value).collect();
            let row = spec.row(s.start, s.end, &self.key, &values);
            let old = match s.emitted.take() {
                Some(old) if old == row => {
                    s.emitted = Some(old);
                    continue;
                }
                // A stale row of the same bounds is this session's before it grew: an update.
                None => stale.iter().position(|r| r[..2] == row[..2]).map(|p| stale.swap_remove(p)),
                old => old,
            };
            match old {
                Some(old) => {
                    updates.push((old, RowKind::UpdateBefore));
                    updates.push((row.clone(), RowKind::UpdateAfter));
                }
                None => updates.push((row.clone(), RowKind::Insert)),
            }
            // Without a changelog an emitted session is complete and dropped below: nothing
            // will retract its row.
            if emit.is_changelog() {
                s.emitted = Some(row);
            }
        }
        for row in stale {
            rows.push(row);
            kinds.push(RowKind::Delete);
        }
        for (row, kind) in updates {
            rows.push(row);
            kinds.push(kind);
        }
        self.sessions.retain(|s| !progress.passed(s.end.saturating_add(emit.allowed_lateness)));
    }
}

/// How far the input has come, for sessions: the frontier's event time, and whether the input
/// has ended (then every session is complete, even one whose end saturated at `i64::MAX`).
#[derive(Clone, Copy, Debug)]
struct Progress {
    watermark: i64,
    done: bool,
}

impl Progress {
    /// Whether no row still to come is at `time` or before it. A session ending at `end` is
    /// complete once this holds for `end`: a row at exactly `end` would still join it.
    fn passed(self, time: i64) -> bool {
        self.done || time < self.watermark
    }
}

/// The GROUP BY of SESSION windows: per key, rows at most `gap` apart merge into one session.
/// EMIT FINAL emits a session once the frontier is past its end, when no row can join it; with
/// an allowed lateness it is kept that much longer, and a late row that joins it retracts the
/// emitted row and emits the grown session. EMIT CHANGES emits every session as it grows, and
/// retracts the sessions that merge.
fn session_aggregate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    spec: Spec,
    gap: i64,
    emit: WindowEmit,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let routed = route(input, name, spec.clone(), WindowAssigner::Session { gap }, key_groups, errors.clone());
    // As for fixed windows: a changelog is computed per epoch, in epoch order.
    let per_epoch = emit.is_changelog();
    routed.unary_frontier(Exchange::new(|r: &WindowRouted| r.target() as u64), name, move |_cap, _info| {
        let mut keys: HashMap<Vec<u8>, SessionKey, ahash::RandomState> = HashMap::with_hasher(hasher());
        // (time, key): when to look at a key again (`SessionKey::next_wake`); stale entries are skipped.
        let mut schedule: BinaryHeap<Reverse<(i64, Vec<u8>)>> = BinaryHeap::new();
        let mut stash: EpochStash<WindowRouted> = EpochStash::default();
        let mut cap = HeldCapability::default();
        let mut failed = false;
        let mut buf = Vec::new();
        move |(input, frontier), output| {
            // Adds a part's rows to their keys; `touched` gets each key first made dirty.
            let mut apply = |part: WindowRouted,
                             keys: &mut HashMap<Vec<u8>, SessionKey, ahash::RandomState>,
                             schedule: &mut BinaryHeap<Reverse<(i64, Vec<u8>)>>,
                             touched: &mut Vec<Vec<u8>>|
             -> Result<(), (Vec<Datum>, AggError)> {
                let WindowRouted::Rows { batch, .. } = part else { return Ok(()) };
                for i in 0..batch.len {
                    let Some(ts) = event_time(&batch, i) else { continue };
                    spec.encode_key(&batch, i, &mut buf);
                    let entry = keys.entry_ref(&buf[..]).or_insert_with(|| SessionKey {
                        key: spec.key_of(&batch, i),
                        sessions: Vec::new(),
                        stale: Vec::new(),
                        scheduled: None,
                        dirty: false,
                    });
                    // The key is cloned for an error message only, not per row.
                    entry.add(&spec, gap, &batch, i, ts).map_err(|e| (entry.key.clone(), e))?;
                    if per_epoch && !entry.dirty {
                        entry.dirty = true;
                        touched.push(buf.clone());
                    }
                    if let Some(wake) = entry.next_wake(emit)
                        && entry.scheduled.is_none_or(|s| wake < s)
                    {
                        entry.scheduled = Some(wake);
                        schedule.push(Reverse((wake, buf.clone())));
                    }
                }
                Ok(())
            };
            input.for_each(|time, data| {
                let Some(c) = time.retain_least(0) else { return };
                cap.hold(&c);
                if per_epoch {
                    stash.push(&c, data);
                    return;
                }
                let mut untracked = Vec::new();
                for part in data.drain(..) {
                    if failed {
                        return;
                    }
                    if let Err(e) = apply(part, &mut keys, &mut schedule, &mut untracked) {
                        spec.fail(&errors, e);
                        failed = true;
                    }
                }
            });
            let watermark = frontier_event_time(frontier.frontier());
            // Complete epochs, in order: apply, then emit the changes of the keys they touched.
            while let Some((epoch_cap, parts)) = stash.pop_complete(frontier.frontier()) {
                let mut touched = Vec::new();
                for part in parts {
                    if failed {
                        break;
                    }
                    if let Err(e) = apply(part, &mut keys, &mut schedule, &mut touched) {
                        spec.fail(&errors, e);
                        failed = true;
                    }
                }
                // The epochs still stashed are yet to come as far as this one is concerned: their
                // rows may join sessions, so the watermark of this epoch's changes is at most theirs.
                let as_of = stash.next_epoch().map_or(watermark, |next| watermark.min(event_of_time(next)));
                let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                for k in touched {
                    if let Some(entry) = keys.get_mut(&k[..]) {
                        entry.refresh(&spec, emit, Progress { watermark: as_of, done: false }, &mut rows, &mut kinds);
                    }
                }
                refresh_due(&mut keys, &mut schedule, &spec, emit, Progress { watermark: as_of, done: false }, &mut rows, &mut kinds);
                if !rows.is_empty() && !failed {
                    let batch = Batch::from_rows(&spec.schema, &rows).with_kinds(Some(kinds));
                    output.session(&epoch_cap).give_container(&mut vec![batch]);
                }
            }
            // Keys due: sessions to emit (EMIT FINAL) or to drop.
            let (mut rows, mut kinds) = (Vec::new(), Vec::new());
            let progress = Progress { watermark, done: frontier.is_empty() };
            refresh_due(&mut keys, &mut schedule, &spec, emit, progress, &mut rows, &mut kinds);
            if let Some(c) = cap.get()
                && !rows.is_empty()
                && !failed
            {
                let batch = Batch::from_rows(&spec.schema, &rows);
                output.session(c).give_container(&mut vec![if per_epoch { batch.with_kinds(Some(kinds)) } else { batch }]);
            }
            cap.settle(!keys.is_empty() || !stash.is_empty(), frontier.frontier());
        }
    })
}

/// Refreshes the keys due as of `progress` (`SessionKey::next_wake`), and schedules each again or
/// forgets it when it has no sessions left.
fn refresh_due(
    keys: &mut HashMap<Vec<u8>, SessionKey, ahash::RandomState>,
    schedule: &mut BinaryHeap<Reverse<(i64, Vec<u8>)>>,
    spec: &Spec,
    emit: WindowEmit,
    progress: Progress,
    rows: &mut Vec<Vec<Datum>>,
    kinds: &mut Vec<RowKind>,
) {
    while let Some(Reverse((wake, _))) = schedule.peek()
        && progress.passed(*wake)
    {
        let Some(Reverse((wake, key))) = schedule.pop() else { break };
        let Some(entry) = keys.get_mut(&key[..]) else { continue };
        if entry.scheduled != Some(wake) {
            continue;
        }
        entry.refresh(spec, emit, progress, rows, kinds);
        match entry.next_wake(emit) {
            None => {
                keys.remove(&key[..]);
            }
            Some(next) => {
                entry.scheduled = Some(next);
                schedule.push(Reverse((next, key)));
            }
        }
    }
}
