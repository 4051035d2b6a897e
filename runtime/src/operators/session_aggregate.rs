//! GROUP BY over SESSION windows: per key, rows at most `gap` apart merge into one session.
//! Rows move to the worker that owns their key (as for TUMBLE and HOP, see `window_aggregate`),
//! which keeps each key's open sessions and a schedule of when to look at a key again.
//!
//! Lateness is judged by the owner, as Flink's merging window operator judges it: a row's own
//! window `[ts, ts + gap)` merges with the key's open sessions it touches, and the row is dropped
//! when the merged session would already have been dropped (its end plus the allowed lateness is
//! behind the watermark the key's sessions were last refreshed at), as a row of a fixed window
//! that has fired is.

use crate::operators::SharedErrors;
use crate::operators::epochs::{EpochStash, HeldCapability};
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::Routed;
use crate::operators::keyed::state::{add_row, hasher, keyed_map, merge_accs};
use crate::operators::window_aggregate::{LateReport, WindowAggregateSpec, WindowKit, event_time, frontier_event_time, route};
use crate::time::event_of_time;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::core::OkErr;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::WindowEmit;
use vstream_repr::agg::{Accumulator, AggError};
use vstream_repr::{Batch, Datum, RowKind, WindowAssigner};

/// Keys' sessions by key encoding.
type SessionMap = HashMap<Vec<u8>, SessionKey, ahash::RandomState>;

/// The state of a SESSION aggregate on one worker, apart from its timely capabilities: what a
/// checkpoint at a frontier would write and a restore read back. As for fixed windows, input
/// held per epoch (changelog output) is not part of it; otherwise input is applied as it
/// arrives.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionState {
    /// Per key encoding: the key's open sessions (an entry's key group is
    /// `KeyGroups::group_of(key_hash(key))`).
    #[serde(with = "keyed_map")]
    keys: SessionMap,
    /// (time, key): when to look at a key again (`SessionKey::next_wake`); entries that no
    /// longer match the key's `scheduled` are skipped.
    schedule: BinaryHeap<Reverse<(i64, Vec<u8>)>>,
    /// A row failed the run: later input is dropped.
    failed: bool,
    /// The watermark sessions were last refreshed at: what rows are judged late against.
    watermark: i64,
}

impl Default for SessionState {
    fn default() -> Self {
        SessionState { keys: HashMap::with_hasher(hasher()), schedule: BinaryHeap::new(), failed: false, watermark: i64::MIN }
    }
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
    fn add(&mut self, spec: &WindowKit, gap: i64, batch: &Batch, i: usize, ts: i64) -> Result<(), AggError> {
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

    /// The end of the session a row at `ts` would make: its own window's, or that of the open
    /// sessions it touches merged with it.
    fn merged_end(&self, gap: i64, ts: i64) -> i64 {
        let (start, end) = (ts, ts.saturating_add(gap));
        self.sessions.iter().filter(|s| s.start <= end && start <= s.end).map(|s| s.end).fold(end, i64::max)
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
    fn refresh(&mut self, spec: &WindowKit, emit: WindowEmit, progress: Progress, rows: &mut Vec<Vec<Datum>>, kinds: &mut Vec<RowKind>) {
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
pub fn session_aggregate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    spec: WindowAggregateSpec,
    late: LateReport,
    key_groups: KeyGroups,
    errors: SharedErrors,
) -> (Stream<'scope, u64, Vec<Batch>>, Stream<'scope, u64, Vec<Batch>>) {
    let WindowAssigner::Session { gap } = spec.assigner else { unreachable!("render sends only SESSION windows here") };
    let emit = spec.emit;
    let spec = WindowKit::new(&spec, query);
    let routed = route(input, name, spec.clone(), WindowAssigner::Session { gap }, emit.allowed_lateness, key_groups, errors.clone());
    // As for fixed windows: a changelog is computed per epoch, in epoch order.
    let per_epoch = emit.is_changelog();
    // The owner's output: its rows (`Ok`), and the source rows it dropped (`Err`).
    let out: Stream<'scope, u64, Vec<Result<Batch, Batch>>> =
        routed.unary_frontier(Exchange::new(|r: &Routed| r.target() as u64), name, move |_cap, _info| {
            let mut state = SessionState::default();
            let mut stash: EpochStash<Routed> = EpochStash::default();
            let mut cap = HeldCapability::default();
            let mut buf = Vec::new();
            move |(input, frontier), output| {
                // Adds a part's rows to their keys, but for those late as of `watermark` (their
                // source rows go to `dropped`); `touched` gets each key first made dirty.
                let mut apply = |part: Routed,
                                 keys: &mut SessionMap,
                                 schedule: &mut BinaryHeap<Reverse<(i64, Vec<u8>)>>,
                                 watermark: i64,
                                 touched: &mut Vec<Vec<u8>>,
                                 dropped: &mut Vec<Batch>|
                 -> Result<(), (Vec<Datum>, AggError)> {
                    let Routed::Rows { batch, .. } = part else { return Ok(()) };
                    let progress = Progress { watermark, done: false };
                    let mut late_rows: Option<Vec<bool>> = None;
                    for i in 0..batch.len {
                        let Some(ts) = event_time(&batch, i) else { continue };
                        spec.encode_key(&batch, i, &mut buf);
                        let merged_end = keys.get(&buf[..]).map_or(ts.saturating_add(gap), |k| k.merged_end(gap, ts));
                        if progress.passed(merged_end.saturating_add(emit.allowed_lateness)) {
                            late_rows.get_or_insert_with(|| vec![false; batch.len])[i] = true;
                            continue;
                        }
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
                    if let Some(late_rows) = late_rows {
                        dropped.extend(late.drop_rows(&batch, &late_rows));
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
                    let (mut untracked, mut dropped) = (Vec::new(), Vec::new());
                    for part in data.drain(..) {
                        if state.failed {
                            break;
                        }
                        if let Err(e) = apply(part, &mut state.keys, &mut state.schedule, state.watermark, &mut untracked, &mut dropped) {
                            spec.fail(&errors, e);
                            state.failed = true;
                        }
                    }
                    if !dropped.is_empty() {
                        output.session(&c).give_iterator(dropped.into_iter().map(Err));
                    }
                });
                let watermark = frontier_event_time(frontier.frontier());
                // Complete epochs, in order: apply, then emit the changes of the keys they touched.
                while let Some((epoch_cap, parts)) = stash.pop_complete(frontier.frontier()) {
                    let (mut touched, mut dropped) = (Vec::new(), Vec::new());
                    for part in parts {
                        if state.failed {
                            break;
                        }
                        if let Err(e) = apply(part, &mut state.keys, &mut state.schedule, state.watermark, &mut touched, &mut dropped) {
                            spec.fail(&errors, e);
                            state.failed = true;
                        }
                    }
                    if !dropped.is_empty() {
                        output.session(&epoch_cap).give_iterator(dropped.into_iter().map(Err));
                    }
                    // The epochs still stashed are yet to come as far as this one is concerned: their
                    // rows may join sessions, so the watermark of this epoch's changes is at most theirs.
                    let as_of = stash.next_epoch().map_or(watermark, |next| watermark.min(event_of_time(next)));
                    let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                    for k in touched {
                        if let Some(entry) = state.keys.get_mut(&k[..]) {
                            entry.refresh(&spec, emit, Progress { watermark: as_of, done: false }, &mut rows, &mut kinds);
                        }
                    }
                    refresh_due(
                        &mut state.keys,
                        &mut state.schedule,
                        &spec,
                        emit,
                        Progress { watermark: as_of, done: false },
                        &mut rows,
                        &mut kinds,
                    );
                    state.watermark = state.watermark.max(as_of);
                    if !rows.is_empty() && !state.failed {
                        let batch = Batch::from_rows(&spec.schema, &rows).with_kinds(Some(kinds));
                        output.session(&epoch_cap).give_container(&mut vec![Ok(batch)]);
                    }
                }
                // Keys due: sessions to emit (EMIT FINAL) or to drop.
                let (mut rows, mut kinds) = (Vec::new(), Vec::new());
                let progress = Progress { watermark, done: frontier.is_empty() };
                refresh_due(&mut state.keys, &mut state.schedule, &spec, emit, progress, &mut rows, &mut kinds);
                state.watermark = state.watermark.max(watermark);
                if let Some(c) = cap.get()
                    && !rows.is_empty()
                    && !state.failed
                {
                    let batch = Batch::from_rows(&spec.schema, &rows);
                    output.session(c).give_container(&mut vec![Ok(if per_epoch { batch.with_kinds(Some(kinds)) } else { batch })]);
                }
                cap.settle(!state.keys.is_empty() || !stash.is_empty(), frontier.frontier());
            }
        });
    out.ok_err(|r| r)
}

/// Refreshes the keys due as of `progress` (`SessionKey::next_wake`), and schedules each again or
/// forgets it when it has no sessions left.
fn refresh_due(
    keys: &mut SessionMap,
    schedule: &mut BinaryHeap<Reverse<(i64, Vec<u8>)>>,
    spec: &WindowKit,
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
