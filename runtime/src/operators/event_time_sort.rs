//! `ORDER BY` an event time: rows held at worker 0 until the watermark passes them, then
//! released in order.

use crate::operators::epochs::HeldCapability;
use crate::operators::window_aggregate::LateReport;
use crate::operators::window_aggregate::frontier_event_time;
use std::collections::BTreeMap;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_planner::logical::SortKey;
use vstream_repr::agg::compare_datums;
use vstream_repr::{Batch, Datum, Schema};

/// The rows an event-time sort holds. Serde, so a checkpoint could write it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventTimeSortState {
    /// Rows not yet released, by event time (a NULL event time sorts first, as `i64::MIN`).
    pub pending: BTreeMap<i64, Vec<Vec<Datum>>>,
    /// Every row with an earlier event time has been released: one arriving now is late.
    pub released_below: Option<i64>,
}

impl EventTimeSortState {
    /// Holds `row` (event time `ts`), unless it is late: returns whether it was held.
    pub fn insert(&mut self, ts: Option<i64>, row: Vec<Datum>) -> bool {
        let at = ts.unwrap_or(i64::MIN);
        if ts.is_some() && self.released_below.is_some_and(|below| at < below) {
            return false;
        }
        self.pending.entry(at).or_default().push(row);
        true
    }

    /// Takes the rows with an event time before `below` (the watermark), in `keys` order.
    pub fn release(&mut self, below: i64, keys: &[SortKey]) -> Vec<Vec<Datum>> {
        self.released_below = Some(self.released_below.map_or(below, |b| b.max(below)));
        // `i64::MAX`: the input has ended, every row is released.
        let later = if below == i64::MAX { BTreeMap::new() } else { self.pending.split_off(&below) };
        let passed = std::mem::replace(&mut self.pending, later);
        let mut out = Vec::new();
        for (_, mut rows) in passed {
            // The event time is equal within; the other keys order the rows.
            rows.sort_by(|a, b| compare_rows(a, b, &keys[1..]));
            out.extend(rows);
        }
        out
    }
}

/// SQL order of two rows by `keys` (NULLs first or last as each key says).
fn compare_rows(a: &[Datum], b: &[Datum], keys: &[SortKey]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for k in keys {
        let (x, y) = (&a[k.column], &b[k.column]);
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = compare_datums(x, y);
                if k.descending { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Sorts all workers' rows at worker 0 by `keys` (the first the event time, ascending): a row is
/// released once the frontier (the least watermark) passes its event time; one already behind
/// the rows released when it arrives is late, dropped and counted in its [`LateReport`].
pub fn event_time_sort<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    keys: Vec<SortKey>,
    schema: Schema,
    late_report: LateReport,
) -> Stream<'scope, u64, Vec<Batch>> {
    input.unary_frontier(Exchange::new(|_: &Batch| 0u64), name, move |_cap, _info| {
        let mut state = EventTimeSortState::default();
        let mut cap = HeldCapability::default();
        let time_col = keys.first().map_or(0, |k| k.column);
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                let Some(c) = time.retain_least(0) else { return };
                cap.hold(&c);
                let mut late = 0;
                for batch in data.drain(..) {
                    let times = &batch.columns[time_col];
                    for i in 0..batch.len {
                        let ts = match times.datum(i) {
                            Datum::Timestamp(t) => Some(t),
                            _ => None,
                        };
                        if !state.insert(ts, batch.row(i)) {
                            late += 1;
                        }
                    }
                }
                late_report.count(late);
            });
            let watermark = frontier_event_time(frontier.frontier());
            if state.pending.first_key_value().is_some_and(|(t, _)| *t < watermark)
                && let Some(c) = cap.get()
            {
                let rows = state.release(watermark, &keys);
                if !rows.is_empty() {
                    output.session(c).give_container(&mut vec![Batch::from_rows(&schema, &rows)]);
                }
            }
            cap.settle(!state.pending.is_empty(), frontier.frontier());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(column: usize, descending: bool) -> SortKey {
        SortKey { column, descending, nulls_first: !descending }
    }

    #[test]
    fn releases_rows_before_the_watermark_in_order_and_drops_late_ones() {
        let keys = [key(0, false), key(1, true)];
        let mut s = EventTimeSortState::default();
        for (t, v) in [(30, 1), (10, 1), (20, 5), (10, 7), (40, 0)] {
            assert!(s.insert(Some(t), vec![Datum::Timestamp(t), Datum::Int(v)]));
        }
        let out = s.release(30, &keys);
        let pairs: Vec<(i64, i64)> = out
            .iter()
            .map(|r| match (&r[0], &r[1]) {
                (Datum::Timestamp(t), Datum::Int(v)) => (*t, *v),
                _ => (0, 0),
            })
            .collect();
        assert_eq!(pairs, vec![(10, 7), (10, 1), (20, 5)]);
        // Behind what was released: late. At or after it: held.
        assert!(!s.insert(Some(25), vec![Datum::Timestamp(25), Datum::Int(0)]));
        assert!(s.insert(Some(30), vec![Datum::Timestamp(30), Datum::Int(9)]));
        assert_eq!(s.release(i64::MAX, &keys).len(), 3);
        assert!(s.pending.is_empty());
    }
}
