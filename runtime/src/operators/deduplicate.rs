//! Deduplication keeping each key's first row by event time (`ROW_NUMBER() OVER (PARTITION BY
//! k ORDER BY <event time> ASC) = 1`): rows move to the worker that owns their key, which keeps
//! the key's earliest row until the watermark passes its time, then emits it once (insert-only,
//! as Flink does) and keeps only the fact that the key is done.

use crate::operators::epochs::HeldCapability;
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{encode_key, route_rows};
use crate::operators::keyed::state::{hasher, keyed_map};
use crate::operators::window_aggregate::LateReport;
use crate::operators::window_aggregate::frontier_event_time;
use ahash::RandomState;
use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
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

/// Keeps each key's (the first `key_len` input columns) first row by event time (the next
/// column), emitting it once the frontier passes its time.
pub fn deduplicate<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    key_len: usize,
    schema: Schema,
    key_groups: KeyGroups,
    late: LateReport,
) -> Stream<'scope, u64, Vec<Batch>> {
    let routed = route_rows(input, name, key_groups, 0..key_len);
    routed.unary_frontier(Exchange::new(|r: &(u32, Batch)| r.0 as u64), name, move |_cap, _info| {
        let mut state = DeduplicateState::default();
        // Held while rows wait, at most the frontier: the time they are emitted at.
        let mut cap = HeldCapability::default();
        let mut buf = Vec::new();
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                let Some(c) = time.retain_least(0) else { return };
                cap.hold(&c);
                for (_, batch) in data.drain(..) {
                    late.count(state.apply(&batch, key_len, &mut buf));
                }
            });
            let watermark = frontier_event_time(frontier.frontier());
            if let Some(c) = cap.get()
                && state.waiting.first_key_value().is_some_and(|(t, _)| *t < watermark)
            {
                let rows = state.fire(watermark);
                if !rows.is_empty() {
                    output.session(c).give_container(&mut vec![Batch::from_rows(&schema, &rows)]);
                }
            }
            cap.settle(!state.waiting.is_empty(), frontier.frontier());
        }
    })
}
