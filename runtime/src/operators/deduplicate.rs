//! Deduplication keeping each key's first row by event time (`ROW_NUMBER() OVER (PARTITION BY
//! k ORDER BY <event time> ASC) = 1`): rows move to the worker that owns their key, which keeps
//! the key's earliest row until the watermark passes its time, then emits it once (insert-only,
//! as Flink does) and keeps only the fact that the key is done.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{encode_key, route_rows};
use crate::operators::keyed::state::{hasher, keyed_map};
use crate::operators::watermark_hold::{WatermarkHold, hold_until_watermark};
use crate::operators::window_aggregate::LateReport;
use ahash::RandomState;
use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use timely::dataflow::Stream;
use vstream_repr::rank::compare_rows;
use vstream_repr::{Batch, ColumnData, Datum, Schema};

/// The state of a first-row deduplication on one worker. A key is in one of two places: its
/// earliest row so far waits in `waiting_rows` until the watermark passes its time, and once
/// that row is emitted the key moves to `done`, which holds nothing but key encodings (the one
/// part that grows with the number of keys, so it is kept small; the waiting rows are only
/// those of the watermark's delay).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeduplicateState {
    /// Keys whose first row was emitted: their later rows are dropped.
    #[serde(with = "keyed_map")]
    done: HashMap<Vec<u8>, (), RandomState>,
    /// Per waiting key: the time and emitted columns of its earliest row so far (the least by
    /// value among rows of the least time).
    #[serde(with = "keyed_map")]
    waiting_rows: HashMap<Vec<u8>, (i64, Vec<Datum>), RandomState>,
    /// Keys by the time of their waiting row; an entry whose key has since found an earlier row
    /// is skipped when it fires.
    waiting: BTreeMap<i64, Vec<Vec<u8>>>,
    /// Rows before this time have been emitted.
    emitted_until: i64,
}

impl Default for DeduplicateState {
    fn default() -> Self {
        DeduplicateState {
            done: HashMap::with_hasher(hasher()),
            waiting_rows: HashMap::with_hasher(hasher()),
            waiting: BTreeMap::new(),
            emitted_until: i64::MIN,
        }
    }
}

impl DeduplicateState {
    /// Takes the rows of `batch` (keys, event time, emitted columns); returns how many were
    /// late (behind what was emitted).
    fn apply(&mut self, batch: &Batch, key_len: usize, buf: &mut Vec<u8>) -> u64 {
        let time_col = &batch.columns[key_len];
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
            encode_key(batch, 0..key_len, i, buf);
            if self.done.contains_key(&buf[..]) {
                continue;
            }
            let row = || batch.columns[key_len + 1..].iter().map(|c| c.datum(i)).collect::<Vec<Datum>>();
            match self.waiting_rows.entry_ref(&buf[..]) {
                EntryRef::Vacant(v) => {
                    v.insert((time, row()));
                }
                EntryRef::Occupied(mut o) => {
                    let (t, r) = o.get_mut();
                    let earlier = match time.cmp(t) {
                        Ordering::Less => true,
                        Ordering::Equal => compare_rows(&row(), r).is_lt(),
                        Ordering::Greater => false,
                    };
                    if !earlier {
                        continue;
                    }
                    (*t, *r) = (time, row());
                }
            }
            self.waiting.entry(time).or_default().push(buf.clone());
        }
        late
    }

    /// The first rows of the keys whose row's time is before `watermark`.
    fn fire(&mut self, watermark: i64) -> Vec<Vec<Datum>> {
        let later = self.waiting.split_off(&watermark);
        let ready = std::mem::replace(&mut self.waiting, later);
        self.emitted_until = self.emitted_until.max(watermark);
        let mut out = Vec::new();
        for (time, keys) in ready {
            for key in keys {
                if self.waiting_rows.get(&key).is_some_and(|(t, _)| *t == time)
                    && let Some((_, row)) = self.waiting_rows.remove(&key)
                {
                    out.push(row);
                    self.done.insert(key, ());
                }
            }
        }
        out
    }
}

/// A deduplication's state with what it needs to take rows.
struct Deduplication {
    state: DeduplicateState,
    key_len: usize,
}

impl WatermarkHold for Deduplication {
    fn take(&mut self, batch: &Batch, buf: &mut Vec<u8>) -> u64 {
        self.state.apply(batch, self.key_len, buf)
    }

    fn ready(&self, watermark: i64) -> bool {
        self.state.waiting.first_key_value().is_some_and(|(t, _)| *t < watermark)
    }

    fn release(&mut self, watermark: i64) -> Result<Vec<Vec<Datum>>, DataflowError> {
        Ok(self.state.fire(watermark))
    }

    fn holding(&self) -> bool {
        !self.state.waiting.is_empty()
    }
}

/// Keeps each key's (the first `key_len` input columns) first row by event time (the next
/// column), emitting it once the frontier passes its time.
pub fn deduplicate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    key_len: usize,
    schema: Schema,
    key_groups: KeyGroups,
    late: LateReport,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let routed = route_rows(input, name, key_groups, 0..key_len);
    let state = Deduplication { state: DeduplicateState::default(), key_len };
    hold_until_watermark(routed, name, state, schema, late, errors)
}
