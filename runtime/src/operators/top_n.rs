//! Top-N (`ROW_NUMBER()`/`RANK()`/`DENSE_RANK() OVER (PARTITION BY ... ORDER BY ...)` filtered
//! by its rank, and `ORDER BY ... LIMIT n`): rows move to the worker that owns their partition,
//! which keeps the partition's rows in sort order and emits, per epoch, the change of the rows
//! whose rank is in range.
//!
//! Window Top-N ranks the rows of each window the same way and emits its top rows once, when
//! the window closes.
//!
//! Ties are broken by the whole row, so which of two rows with equal sort keys gets the smaller
//! ROW_NUMBER is the same on every worker count and in every run (Flink keeps arrival order,
//! which depends on how rows interleave).

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::epochs::EpochStash;
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{encode_key, route_rows};
use crate::operators::keyed::state::{hasher, keyed_map};
use crate::operators::watermark_hold::{WatermarkHold, hold_until_watermark};
use crate::operators::window_aggregate::LateReport;
use crate::operators::window_aggregate::event_time;
use ahash::RandomState;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::rank::{RankFunc, SortOrder, compare_keys, compare_rows};
use vstream_repr::{Batch, Datum, RowKind, Schema, WindowAssigner};

/// What the operator ranks: input columns `0..key_len` are the partition key, the next
/// `order.len()` the sort keys, the rest the rows it emits.
#[derive(Clone, Debug)]
pub struct TopNSpec {
    /// How many leading input columns are the partition key.
    pub key_len: usize,
    /// One per sort key.
    pub order: Vec<SortOrder>,
    /// ROW_NUMBER, RANK or DENSE_RANK.
    pub func: RankFunc,
    /// The least rank emitted.
    pub lo: u64,
    /// The largest rank emitted.
    pub hi: u64,
    /// The rank is emitted as a last column.
    pub rank_column: bool,
    /// The input is a changelog: keep every row (a retraction may promote any).
    pub retractions: bool,
}

/// Rows of a partition that are equal (sort key and row), with how many there are.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    sort: Vec<Datum>,
    row: Vec<Datum>,
    count: u64,
}

/// One partition: its rows in sort order, and the rows last emitted for it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Partition {
    rows: Vec<Entry>,
    emitted: Vec<Vec<Datum>>,
    /// Changed since its last emission (listed in the epoch's changed keys): set by the first
    /// row that touches it, so a key is listed once without searching the list.
    #[serde(skip)]
    dirty: bool,
}

impl Partition {
    /// Adds (`diff` > 0) or takes back one row; a retraction of a row not held is ignored.
    fn apply(&mut self, spec: &TopNSpec, sort: Vec<Datum>, row: Vec<Datum>, diff: i64) {
        let at = self.rows.binary_search_by(|e| compare_keys(&spec.order, &e.sort, &sort).then_with(|| compare_rows(&e.row, &row)));
        match (at, diff > 0) {
            (Ok(i), true) => self.rows[i].count += 1,
            (Err(i), true) => self.rows.insert(i, Entry { sort, row, count: 1 }),
            (Ok(i), false) => {
                self.rows[i].count -= 1;
                if self.rows[i].count == 0 {
                    self.rows.remove(i);
                }
            }
            (Err(_), false) => {}
        }
        if !spec.retractions {
            self.trim(spec);
        }
    }

    /// Over insert-only input, drops the rows that can no longer rank up to `hi`: rows only
    /// ever arrive, and each one pushes the others down.
    fn trim(&mut self, spec: &TopNSpec) {
        let mut keep = 0;
        let mut last_count = None;
        self.ranked(spec, |i, copy, rank| {
            if rank > spec.hi {
                return false;
            }
            keep = i + 1;
            last_count = Some(copy + 1);
            true
        });
        self.rows.truncate(keep);
        if let (Some(last), Some(n)) = (self.rows.last_mut(), last_count) {
            last.count = n;
        }
    }

    /// Calls `f(entry, copy, rank)` for each row in order (each copy of an entry), while it
    /// returns true and the rank is at most `hi` once it passes it (ranks never go down).
    fn ranked(&self, spec: &TopNSpec, mut f: impl FnMut(usize, u64, u64) -> bool) {
        let (mut position, mut dense, mut group_rank) = (0u64, 0u64, 0u64);
        for (i, e) in self.rows.iter().enumerate() {
            let new_group = i == 0 || compare_keys(&spec.order, &self.rows[i - 1].sort, &e.sort) != Ordering::Equal;
            if new_group {
                dense += 1;
                group_rank = position + 1;
            }
            for copy in 0..e.count {
                position += 1;
                let rank = match spec.func {
                    RankFunc::RowNumber => position,
                    RankFunc::Rank => group_rank,
                    RankFunc::DenseRank => dense,
                };
                if !f(i, copy, rank) || rank > spec.hi {
                    return;
                }
            }
        }
    }

    /// The rows whose rank is in range, with the rank if it is emitted, in a canonical order.
    fn top(&self, spec: &TopNSpec) -> Vec<Vec<Datum>> {
        let mut out = Vec::new();
        self.ranked(spec, |i, _, rank| {
            if (spec.lo..=spec.hi).contains(&rank) {
                let mut row = self.rows[i].row.clone();
                if spec.rank_column {
                    row.push(Datum::Int(rank as i64));
                }
                out.push(row);
            }
            rank <= spec.hi
        });
        out.sort_by(|a, b| compare_rows(a, b));
        out
    }

    /// The change from the rows last emitted to the top now: `-D` for each row that left it,
    /// then `+I` for each that entered (a row that only moved within the range is no change
    /// unless its rank is emitted).
    fn emit(&mut self, spec: &TopNSpec, rows: &mut Vec<Vec<Datum>>, kinds: &mut Vec<RowKind>) {
        let new = self.top(spec);
        let old = std::mem::take(&mut self.emitted);
        let mut inserted = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            let ord = match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) => compare_rows(a, b),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match ord {
                Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
                Ordering::Less => {
                    rows.push(old[i].clone());
                    kinds.push(RowKind::Delete);
                    i += 1;
                }
                Ordering::Greater => {
                    inserted.push(new[j].clone());
                    j += 1;
                }
            }
        }
        kinds.extend(inserted.iter().map(|_| RowKind::Insert));
        rows.extend(inserted);
        self.emitted = new;
    }
}

/// The state of a Top-N on one worker: per partition key encoding, its partition (see
/// `KeyedAggregateState` for what a checkpoint of it covers).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopNState {
    #[serde(with = "keyed_map")]
    partitions: HashMap<Vec<u8>, Partition, RandomState>,
}

impl Default for TopNState {
    fn default() -> Self {
        TopNState { partitions: HashMap::with_hasher(hasher()) }
    }
}

impl TopNState {
    /// Applies the rows of `batch`; `changed` gets each partition key they touch.
    fn apply(&mut self, batch: &Batch, spec: &TopNSpec, changed: &mut Vec<Vec<u8>>, buf: &mut Vec<u8>) {
        let sort_end = spec.key_len + spec.order.len();
        for i in 0..batch.len {
            encode_key(batch, 0..spec.key_len, i, buf);
            let sort = batch.columns[spec.key_len..sort_end].iter().map(|c| c.datum(i)).collect();
            let row = batch.columns[sort_end..].iter().map(|c| c.datum(i)).collect();
            let partition = self.partitions.entry_ref(&buf[..]).or_default();
            partition.apply(spec, sort, row, batch.kind(i).diff());
            if !partition.dirty {
                partition.dirty = true;
                changed.push(buf.clone());
            }
        }
    }

    /// The changes of the partitions in `changed`; a partition left with no rows is freed.
    fn emit(&mut self, spec: &TopNSpec, changed: Vec<Vec<u8>>, rows: &mut Vec<Vec<Datum>>, kinds: &mut Vec<RowKind>) {
        for k in changed {
            let Some(p) = self.partitions.get_mut(&k) else { continue };
            p.dirty = false;
            p.emit(spec, rows, kinds);
            if p.rows.is_empty() && p.emitted.is_empty() {
                self.partitions.remove(&k);
            }
        }
    }
}

/// Ranks the input's rows per partition (its first `key_len` columns) and emits the changes of
/// each partition's top rows, per epoch.
pub fn top_n<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    spec: TopNSpec,
    schema: Schema,
    key_groups: KeyGroups,
) -> Stream<'scope, u64, Vec<Batch>> {
    let key_len = spec.key_len;
    let routed = route_rows(input, name, key_groups, 0..key_len);
    routed.unary_frontier(Exchange::new(|r: &(u32, Batch)| r.0 as u64), name, move |_cap, _info| {
        let mut state = TopNState::default();
        let mut stash: EpochStash<(u32, Batch)> = EpochStash::default();
        let mut buf = Vec::new();
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                let Some(cap) = time.retain_least(0) else { return };
                stash.push(&cap, data);
            });
            while let Some((cap, parts)) = stash.pop_complete(frontier.frontier()) {
                let mut changed: Vec<Vec<u8>> = Vec::new();
                for (_, batch) in &parts {
                    state.apply(batch, &spec, &mut changed, &mut buf);
                }
                let mut rows: Vec<Vec<Datum>> = Vec::new();
                let mut kinds: Vec<RowKind> = Vec::new();
                state.emit(&spec, changed, &mut rows, &mut kinds);
                if !rows.is_empty() {
                    let mut out = vec![Batch::from_rows(&schema, &rows).with_kinds(Some(kinds))];
                    output.session(&cap).give_container(&mut out);
                }
            }
        }
    })
}

/// Window Top-N: `ROW_NUMBER()`/`RANK()`/`DENSE_RANK() OVER (PARTITION BY window_start,
/// window_end, ...)` over a window table function's rows, filtered by its rank. Input column 0
/// is the event time, then `spec.key_len` partition keys (besides the window), the sort keys and
/// the rows; output is the rows, `window_start, window_end, window_time`, and the rank if kept.
#[derive(Clone, Debug)]
pub struct WindowTopNSpec {
    /// The ranking, over the columns after the event time.
    pub rank: TopNSpec,
    /// TUMBLE or HOP, with its sizes; `None`: the rows are a window aggregate's, and column 0
    /// is their `window_end` (no window columns are added to the output).
    pub assigner: Option<WindowAssigner>,
}

/// The state of a window Top-N on one worker: per open window (by its end), its start and its
/// partitions, each bounded by N (the input is insert-only); and the time windows have fired to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowTopNState {
    windows: BTreeMap<i64, WindowPartitions>,
    fired_until: i64,
}

/// One open window: its start and its partitions by key encoding.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct WindowPartitions {
    start: i64,
    #[serde(with = "keyed_map")]
    partitions: HashMap<Vec<u8>, Partition, RandomState>,
}

impl Default for WindowTopNState {
    fn default() -> Self {
        WindowTopNState { windows: BTreeMap::new(), fired_until: i64::MIN }
    }
}

impl WindowTopNState {
    /// Adds the rows of `batch` to the windows they fall in; returns how many rows came for
    /// windows that have already fired (late: dropped).
    fn apply(&mut self, batch: &Batch, spec: &WindowTopNSpec, buf: &mut Vec<u8>) -> u64 {
        let rank = &spec.rank;
        let sort = 1 + rank.key_len..1 + rank.key_len + rank.order.len();
        let mut late = 0;
        for i in 0..batch.len {
            let Some(ts) = event_time(batch, i) else { continue };
            encode_key(batch, 1..1 + rank.key_len, i, buf);
            let mut row: Option<(Vec<Datum>, Vec<Datum>)> = None;
            let mut dropped = false;
            let mut add = |start: i64, end: i64| {
                if end <= self.fired_until {
                    dropped = true;
                    return;
                }
                let (sort_key, values) = row.get_or_insert_with(|| {
                    (
                        batch.columns[sort.clone()].iter().map(|c| c.datum(i)).collect(),
                        batch.columns[sort.end..].iter().map(|c| c.datum(i)).collect(),
                    )
                });
                let window =
                    self.windows.entry(end).or_insert_with(|| WindowPartitions { start, partitions: HashMap::with_hasher(hasher()) });
                window.partitions.entry_ref(&buf[..]).or_default().apply(rank, sort_key.clone(), values.clone(), 1);
            };
            match &spec.assigner {
                Some(assigner) => assigner.for_each_window(ts, add),
                None => add(ts, ts),
            }
            late += u64::from(dropped);
        }
        late
    }

    /// The top rows of every window that ends at or before `watermark`, whose state is freed.
    fn fire(&mut self, watermark: i64, spec: &WindowTopNSpec) -> Vec<Vec<Datum>> {
        let later = self.windows.split_off(&watermark.saturating_add(1));
        let fired = std::mem::replace(&mut self.windows, later);
        self.fired_until = self.fired_until.max(watermark);
        let mut out = Vec::new();
        for (end, window) in fired {
            let bounds = [Datum::Timestamp(window.start), Datum::Timestamp(end), Datum::Timestamp(end - 1)];
            for partition in window.partitions.values() {
                for mut row in partition.top(&spec.rank) {
                    if spec.assigner.is_some() {
                        let rank = if spec.rank.rank_column { row.pop() } else { None };
                        row.extend(bounds.iter().cloned());
                        row.extend(rank);
                    }
                    out.push(row);
                }
            }
        }
        out
    }
}

/// A window Top-N's state with what it needs to take and release rows.
struct WindowRanking {
    state: WindowTopNState,
    spec: WindowTopNSpec,
}

impl WatermarkHold for WindowRanking {
    fn take(&mut self, batch: &Batch, buf: &mut Vec<u8>) -> u64 {
        self.state.apply(batch, &self.spec, buf)
    }

    fn ready(&self, watermark: i64) -> bool {
        self.state.windows.first_key_value().is_some_and(|(end, _)| *end <= watermark)
    }

    fn release(&mut self, watermark: i64) -> Result<Vec<Vec<Datum>>, DataflowError> {
        Ok(self.state.fire(watermark, &self.spec))
    }

    fn holding(&self) -> bool {
        !self.state.windows.is_empty()
    }
}

/// Ranks the rows of each window (TUMBLE or HOP) per partition and emits each window's top rows
/// once, insert-only, when the frontier passes the window's end.
pub fn window_top_n<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    spec: WindowTopNSpec,
    schema: Schema,
    key_groups: KeyGroups,
    late: LateReport,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let routed = route_rows(input, name, key_groups, 1..1 + spec.rank.key_len);
    hold_until_watermark(routed, name, WindowRanking { state: WindowTopNState::default(), spec }, schema, late, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(func: RankFunc, hi: u64, retractions: bool) -> TopNSpec {
        TopNSpec { key_len: 0, order: vec![SortOrder::new(true, None)], func, lo: 1, hi, rank_column: true, retractions }
    }

    fn add(p: &mut Partition, spec: &TopNSpec, v: i64, diff: i64) {
        p.apply(spec, vec![Datum::Int(v)], vec![Datum::Int(v)], diff);
    }

    #[test]
    fn insert_only_state_keeps_only_rows_that_can_rank() {
        let s = spec(RankFunc::RowNumber, 2, false);
        let mut p = Partition::default();
        for v in [5, 9, 1, 7, 9] {
            add(&mut p, &s, v, 1);
        }
        // Two 9s fill the top 2; nothing else can enter again.
        assert_eq!(p.rows.iter().map(|e| e.count).sum::<u64>(), 2);
        assert_eq!(p.top(&s), vec![vec![Datum::Int(9), Datum::Int(1)], vec![Datum::Int(9), Datum::Int(2)]]);
        // RANK keeps every row tied at a kept rank.
        let r = spec(RankFunc::Rank, 2, false);
        let mut p = Partition::default();
        for v in [5, 9, 9, 9, 1] {
            add(&mut p, &r, v, 1);
        }
        assert_eq!(p.top(&r).len(), 3);
    }

    #[test]
    fn a_retraction_promotes_the_next_row_and_emits_the_change() {
        let s = spec(RankFunc::DenseRank, 1, true);
        let mut p = Partition::default();
        let (mut rows, mut kinds) = (Vec::new(), Vec::new());
        for v in [3, 8, 5] {
            add(&mut p, &s, v, 1);
        }
        p.emit(&s, &mut rows, &mut kinds);
        assert_eq!((rows.clone(), kinds.clone()), (vec![vec![Datum::Int(8), Datum::Int(1)]], vec![RowKind::Insert]));
        add(&mut p, &s, 8, -1);
        let (mut rows, mut kinds) = (Vec::new(), Vec::new());
        p.emit(&s, &mut rows, &mut kinds);
        assert_eq!(rows, vec![vec![Datum::Int(8), Datum::Int(1)], vec![Datum::Int(5), Datum::Int(1)]]);
        assert_eq!(kinds, vec![RowKind::Delete, RowKind::Insert]);
    }
}
