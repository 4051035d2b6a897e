//! `LIMIT`: the first rows to arrive at worker 0, counted there.

use crate::operators::SharedErrors;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::Batch;

/// How many rows a limit has seen, and what it keeps of each batch. Serde, so a checkpoint
/// could write it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LimitState {
    /// Rows that have arrived so far (skipped, passed on, or past the limit).
    pub seen: u64,
}

impl LimitState {
    /// The part of a batch of `len` rows to pass on, as a row range, given `offset` and `fetch`;
    /// counts its rows as seen.
    pub fn take(&mut self, len: usize, offset: u64, fetch: Option<u64>) -> std::ops::Range<usize> {
        let first = self.seen;
        self.seen = self.seen.saturating_add(len as u64);
        let end_row = fetch.map_or(u64::MAX, |f| offset.saturating_add(f));
        let from = offset.max(first).min(self.seen);
        let to = end_row.max(first).min(self.seen);
        if to <= from {
            return 0..0;
        }
        (from - first) as usize..(to - first) as usize
    }

    /// Whether every row the limit will pass on has arrived.
    pub fn reached(&self, offset: u64, fetch: Option<u64>) -> bool {
        fetch.is_some_and(|f| self.seen >= offset.saturating_add(f))
    }
}

/// Passes on the rows after the first `offset`, up to `fetch` of them, of all workers' rows as
/// they reach worker 0. With `ends_query`, tells the run the query is done once it has them
/// (see `ErrorSlot::query_done`), so that reading stops when every query is.
pub fn limit<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    offset: u64,
    fetch: Option<u64>,
    ends_query: bool,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let worker = input.scope().index();
    input.unary(Exchange::new(|_: &Batch| 0u64), name, move |_cap, _info| {
        let mut state = LimitState::default();
        // LIMIT 0 is done before any row.
        let mut told = false;
        let mut tell = move |state: &LimitState| {
            if ends_query && !told && worker == 0 && state.reached(offset, fetch) {
                told = true;
                errors.query_done();
            }
        };
        tell(&state);
        move |input, output| {
            input.for_each(|time, data| {
                let mut out = Vec::new();
                for batch in data.drain(..) {
                    let range = state.take(batch.len, offset, fetch);
                    if range.is_empty() {
                        continue;
                    }
                    out.push(if range.start == 0 && range.end == batch.len { batch } else { batch.slice(range) });
                }
                tell(&state);
                if !out.is_empty() {
                    output.session(&time).give_container(&mut out);
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::LimitState;

    #[test]
    fn takes_the_rows_after_the_offset_up_to_the_fetch() {
        let mut s = LimitState::default();
        // OFFSET 3 FETCH 4 over batches of 2, 2, 5, 1 rows: rows 3..7.
        assert_eq!(s.take(2, 3, Some(4)), 0..0);
        assert!(!s.reached(3, Some(4)));
        assert_eq!(s.take(2, 3, Some(4)), 1..2);
        assert_eq!(s.take(5, 3, Some(4)), 0..3);
        assert!(s.reached(3, Some(4)));
        assert_eq!(s.take(1, 3, Some(4)), 0..0);
    }

    #[test]
    fn offset_alone_passes_everything_after_it() {
        let mut s = LimitState::default();
        assert_eq!(s.take(4, 2, None), 2..4);
        assert_eq!(s.take(3, 2, None), 0..3);
        assert!(!s.reached(2, None));
    }

    #[test]
    fn limit_zero_is_reached_before_any_row() {
        let mut s = LimitState::default();
        assert!(s.reached(0, Some(0)));
        assert_eq!(s.take(3, 0, Some(0)), 0..0);
    }
}
