//! The route before a keyed exchange: key encoding, the owner of each row's key (by key group,
//! see `groups`), and one batch's partial aggregate states, built by a worker before the
//! exchange and merged by each key's owner: a key (and window) crosses workers once per batch
//! instead of once per row.
//!
//! `PartialStates` are flat on purpose. The first version sent one `(Vec<u8>, Group)` per key, three heap vectors
//! each; the owner freed them on another thread, and those cross-thread frees took most of the
//! time the exchange cost at `-w 2`. Here a message is a handful of buffers however many keys it
//! carries: key encodings in one byte vector, key values as columns, accumulators in one vector.

use crate::operators::keyed::groups::KeyGroups;
use crate::operators::keyed::state::{add_row, hasher};
use ahash::RandomState;
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::agg::{Accumulator, AggError, AggregateSpec};
use vstream_repr::{Batch, Column, Datum};

/// Appends the key encoding of row `row` of `batch` (its `key_columns`) to `buf`, cleared first.
pub(crate) fn encode_key(batch: &Batch, key_columns: Range<usize>, row: usize, buf: &mut Vec<u8>) {
    buf.clear();
    for c in &batch.columns[key_columns] {
        c.encode_key(row, buf);
    }
}

/// What moves from a worker to a key's owner in GROUP BY and window aggregates: rows, or one
/// batch's partial states (one per key, or per window and key).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Routed {
    /// Rows of keys the target owns.
    Rows {
        /// The owner.
        target: u32,
        /// The rows.
        batch: Batch,
    },
    /// One partial state per (window,) key of a batch, for keys the target owns.
    Partials {
        /// The owner.
        target: u32,
        /// The states.
        partials: PartialStates,
    },
}

impl Routed {
    /// The worker it goes to.
    pub(crate) fn target(&self) -> u32 {
        match self {
            Routed::Rows { target, .. } | Routed::Partials { target, .. } => *target,
        }
    }
}

/// The route before a keyed exchange, shared by GROUP BY and windows: it sends a batch's rows to
/// the workers that own their keys, or pre-aggregates the batch into one partial state per
/// (window, key) and sends those.
pub(crate) struct KeyRouter {
    groups: KeyGroups,
    key_columns: Range<usize>,
    hasher: RandomState,
    buf: Vec<u8>,
    builders: Vec<PartialBuilder>,
}

impl KeyRouter {
    /// Keys in `key_columns`, placed by `groups`; `windowed`: partial states per window too.
    pub(crate) fn new(groups: KeyGroups, key_columns: Range<usize>, windowed: bool) -> Self {
        let builders = (0..groups.peers()).map(|_| PartialBuilder::new(windowed)).collect();
        KeyRouter { groups, key_columns, hasher: hasher(), buf: Vec::new(), builders }
    }

    /// The partial states of `batch` per owning worker. `windows(row, add)` calls `add(start,
    /// end)` for each window of the row (none skips it; `(0, 0)` once without windows); each
    /// row's key is encoded and hashed once, however many windows it is in. On an error, the
    /// row it came at; nothing of the batch is kept.
    pub(crate) fn pre_aggregate(
        &mut self,
        batch: &Batch,
        aggs: &[AggregateSpec],
        mut windows: impl FnMut(usize, &mut dyn FnMut(i64, i64)),
    ) -> Result<Vec<(u32, PartialStates)>, (usize, AggError)> {
        let KeyRouter { groups, key_columns, hasher, buf, builders } = self;
        let single = groups.peers() == 1;
        for i in 0..batch.len {
            encode_key(batch, key_columns.clone(), i, buf);
            let key_hash = hasher.hash_one(&buf[..]);
            let builder = &mut builders[if single { 0 } else { groups.worker_of(key_hash) as usize }];
            let mut result = Ok(());
            windows(i, &mut |start, end| {
                if result.is_ok() {
                    result = add_row(builder.accs((start, end), buf, key_hash, i, aggs), aggs, batch, i);
                }
            });
            if let Err(e) = result {
                builders.iter_mut().for_each(PartialBuilder::clear);
                return Err((i, e));
            }
        }
        let finished = builders.iter_mut().enumerate();
        Ok(finished.filter_map(|(t, b)| b.finish(batch, key_columns.clone(), aggs.len()).map(|s| (t as u32, s))).collect())
    }

    /// The rows of `batch` per owning worker.
    pub(crate) fn split(&mut self, mut batch: Batch) -> Vec<(u32, Batch)> {
        // Rows that change workers leave their origins behind (see `vstream_repr::origin`).
        batch.origins = None;
        if self.groups.peers() == 1 {
            return vec![(0, batch)];
        }
        let KeyRouter { groups, key_columns, hasher, buf, .. } = self;
        let owner = |i| {
            encode_key(&batch, key_columns.clone(), i, buf);
            groups.worker_of(hasher.hash_one(&buf[..]))
        };
        split_by_owner(&batch, groups.peers(), owner)
    }
}

/// Splits `batch` by the worker that owns each row (`owner(row)`): one batch per worker with rows.
pub(crate) fn split_by_owner(batch: &Batch, peers: u32, owner: impl FnMut(usize) -> u32) -> Vec<(u32, Batch)> {
    let owners: Vec<u32> = (0..batch.len).map(owner).collect();
    (0..peers)
        .filter_map(|t| {
            let mask: Vec<bool> = owners.iter().map(|x| *x == t).collect();
            mask.iter().any(|m| *m).then(|| (t, batch.filter(&mask)))
        })
        .collect()
}

/// The partial states of one batch bound for one worker: entry `e` is a (window, key) with
/// `width` accumulators.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartialStates {
    /// Per entry: its window as (start, end); empty for a GROUP BY without windows.
    windows: Vec<(i64, i64)>,
    /// Entry `e`'s key encoding is `key_bytes[key_ends[e - 1]..key_ends[e]]`.
    key_ends: Vec<u32>,
    /// The key encodings, one after another.
    key_bytes: Vec<u8>,
    /// The key values, row `e` for entry `e`: what a new group's key is made of.
    keys: Vec<Column>,
    /// `width` accumulators per entry, one entry after another.
    accs: Vec<Accumulator>,
    /// Accumulators per entry (the number of aggregates).
    width: usize,
}

/// One entry of a `PartialStates`.
pub struct PartialEntry<'a> {
    /// Its index: row `index` of the key columns.
    pub index: usize,
    /// Its window as (start, end); (0, 0) without windows.
    pub window: (i64, i64),
    /// Its key encoding.
    pub key: &'a [u8],
    /// Its accumulators, one per aggregate.
    pub accs: &'a [Accumulator],
}

impl PartialStates {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.key_ends.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.key_ends.is_empty()
    }

    /// The entries, in the order they were first seen in the batch.
    pub fn entries(&self) -> impl Iterator<Item = PartialEntry<'_>> + '_ {
        let windowed = !self.windows.is_empty();
        (0..self.len()).map(move |e| {
            let start = if e == 0 { 0 } else { self.key_ends[e - 1] as usize };
            PartialEntry {
                index: e,
                window: if windowed { self.windows[e] } else { (0, 0) },
                key: &self.key_bytes[start..self.key_ends[e] as usize],
                accs: &self.accs[e * self.width..(e + 1) * self.width],
            }
        })
    }

    /// The key values of entry `e`.
    pub fn key_datums(&self, e: usize) -> Vec<Datum> {
        self.keys.iter().map(|c| c.datum(e)).collect()
    }
}

/// Builds one batch's `PartialStates` for one target worker. Reused from batch to batch: its
/// hash table keeps its capacity; the buffers leave with each message.
pub struct PartialBuilder {
    windowed: bool,
    /// Entry indices, by `slot_hash(key hash, window end)`.
    table: HashTable<u32>,
    hashes: Vec<u64>,
    windows: Vec<(i64, i64)>,
    key_ends: Vec<u32>,
    key_bytes: Vec<u8>,
    /// Per entry: a row of the batch with its key, to gather the key values from.
    rows: Vec<u32>,
    accs: Vec<Accumulator>,
}

impl PartialBuilder {
    /// An empty builder; `windowed`: entries are per (window, key), else per key.
    pub fn new(windowed: bool) -> Self {
        PartialBuilder {
            windowed,
            table: HashTable::new(),
            hashes: Vec::new(),
            windows: Vec::new(),
            key_ends: Vec::new(),
            key_bytes: Vec::new(),
            rows: Vec::new(),
            accs: Vec::new(),
        }
    }

    fn slot_hash(key_hash: u64, end: i64) -> u64 {
        key_hash ^ (end as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn key(&self, e: usize) -> &[u8] {
        let start = if e == 0 { 0 } else { self.key_ends[e - 1] as usize };
        &self.key_bytes[start..self.key_ends[e] as usize]
    }

    /// The accumulators of (`window`, `key`), new (from `aggs`) if this batch has not had them;
    /// `row` is a row of the batch with this key. `window` is (0, 0) when not windowed.
    pub fn accs(&mut self, window: (i64, i64), key: &[u8], key_hash: u64, row: usize, aggs: &[AggregateSpec]) -> &mut [Accumulator] {
        let hash = Self::slot_hash(key_hash, window.1);
        let found = self.table.find(hash, |&e| {
            let e = e as usize;
            (!self.windowed || self.windows[e].1 == window.1) && self.key(e) == key
        });
        let e = match found {
            Some(&e) => e as usize,
            None => {
                let e = self.key_ends.len();
                self.key_bytes.extend_from_slice(key);
                self.key_ends.push(self.key_bytes.len() as u32);
                self.hashes.push(hash);
                if self.windowed {
                    self.windows.push(window);
                }
                self.rows.push(row as u32);
                self.accs.extend(aggs.iter().map(Accumulator::new));
                let hashes = &self.hashes;
                self.table.insert_unique(hash, e as u32, |&x| hashes[x as usize]);
                e
            }
        };
        let width = aggs.len();
        &mut self.accs[e * width..(e + 1) * width]
    }

    /// Forgets what was built (a batch that failed part way): the next batch starts empty.
    pub fn clear(&mut self) {
        self.table.clear();
        self.hashes.clear();
        self.windows.clear();
        self.key_ends.clear();
        self.key_bytes.clear();
        self.rows.clear();
        self.accs.clear();
    }

    /// The states built from `batch` (whose `key_columns` are the key), if any, leaving the
    /// builder empty for the next batch.
    pub fn finish(&mut self, batch: &Batch, key_columns: Range<usize>, width: usize) -> Option<PartialStates> {
        if self.key_ends.is_empty() {
            return None;
        }
        self.table.clear();
        self.hashes.clear();
        let keys = batch.columns[key_columns].iter().map(|c| c.take(&self.rows)).collect();
        self.rows.clear();
        // The next batch likely needs about as much: sized buffers spare a chain of reallocations.
        fn take_sized<T>(v: &mut Vec<T>) -> Vec<T> {
            let capacity = v.len();
            std::mem::replace(v, Vec::with_capacity(capacity))
        }
        Some(PartialStates {
            windows: take_sized(&mut self.windows),
            key_ends: take_sized(&mut self.key_ends),
            key_bytes: take_sized(&mut self.key_bytes),
            keys,
            accs: take_sized(&mut self.accs),
            width,
        })
    }
}

/// The first half of a keyed operator that takes whole rows (no partial aggregation): each
/// batch of `input` split by the worker that owns the key group of its `key_columns`, as
/// `(worker, rows)` pairs for an `Exchange` on the worker.
pub(crate) fn route_rows<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    key_groups: KeyGroups,
    key_columns: Range<usize>,
) -> Stream<'scope, u64, Vec<(u32, Batch)>> {
    input.unary(Pipeline, &format!("{name}:route"), move |_cap, _info| {
        let mut router = KeyRouter::new(key_groups, key_columns, false);
        move |input, output| {
            input.for_each(|time, data| {
                let mut out: Vec<(u32, Batch)> = data.drain(..).flat_map(|batch| router.split(batch)).collect();
                if !out.is_empty() {
                    output.session(&time).give_container(&mut out);
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::agg::AggFunc;
    use vstream_repr::{ColumnData, DataType, StringColumn};

    #[test]
    fn entries_fold_rows_per_window_and_key() {
        let keys: StringColumn = ["a", "b", "a", "a"].iter().map(|s| s.to_string()).collect();
        let batch = Batch::new(4, vec![Column::new(DataType::Varchar, ColumnData::Str(keys), None)]);
        let count = AggregateSpec {
            func: AggFunc::Count,
            arg: None,
            arg2: None,
            distinct: false,
            filter: None,
            arg_type: None,
            ty: DataType::BigInt,
        };
        let aggs = vec![count];
        let mut b = PartialBuilder::new(true);
        let mut buf = Vec::new();
        for (row, window) in [(0, (0, 10)), (1, (0, 10)), (2, (0, 10)), (3, (10, 20))] {
            buf.clear();
            batch.columns[0].encode_key(row, &mut buf);
            for acc in b.accs(window, &buf, buf.len() as u64, row, &aggs) {
                acc.add(None, row, &aggs[0]).expect("count");
            }
        }
        let states = b.finish(&batch, 0..1, 1).expect("entries");
        let got: Vec<((i64, i64), Vec<Datum>, Datum)> =
            states.entries().map(|e| (e.window, states.key_datums(e.index), e.accs[0].value())).collect();
        let a = || vec![Datum::Str("a".into())];
        assert_eq!(
            got,
            vec![((0, 10), a(), Datum::Int(2)), ((0, 10), vec![Datum::Str("b".into())], Datum::Int(1)), ((10, 20), a(), Datum::Int(1))]
        );
        assert!(b.finish(&batch, 0..1, 1).is_none(), "the builder is empty after finish");
    }
}
