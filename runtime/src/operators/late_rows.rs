//! The rows of a `'late.sink'`: the source rows that window operators dropped for lateness, each
//! once. Every window operator over the table reports the rows it drops (the source's columns,
//! row id last); a row two operators drop is reported twice, at the same time (the time its
//! source emitted it at, which no operator changes on the way), so the reports of one time are
//! all in before the frontier passes it, and a row id seen again then is a duplicate.

use crate::operators::epochs::EpochStash;
use std::collections::HashSet;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::core::Concatenate;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::{Scope, Stream};
use vstream_repr::{Batch, ColumnData};

/// The row id of row `i` (column `row_id`); rows lacking one (none do) are all distinct.
fn row_id_of(batch: &Batch, row_id: usize, i: usize) -> Option<i64> {
    match &batch.columns.get(row_id)?.data {
        ColumnData::Int(ids) => ids.get(i).copied(),
        _ => None,
    }
}

/// Merges the windows' `reports` of dropped rows into the table's late rows, each row once. Rows
/// move to a worker by their id; each worker keeps the ids of the times the frontier has not
/// passed (in the stash), and forgets them once it has.
pub fn late_rows<'scope>(
    scope: Scope<'scope, u64>,
    name: &str,
    reports: Vec<Stream<'scope, u64, Vec<Batch>>>,
    row_id: usize,
) -> Stream<'scope, u64, Vec<Batch>> {
    let reports = scope.concatenate(reports);
    let by_row_id = move |b: &Batch| row_id_of(b, row_id, 0).map_or(0, |id| id as u64);
    // A batch moves whole, by its first row's id: split it so each row moves by its own (late
    // rows are few).
    let rows = reports.flat_map(|b: Batch| (0..b.len).map(move |i| b.slice(i..i + 1)));
    rows.unary_frontier(Exchange::new(by_row_id), name, move |_cap, _info| {
        let mut stash: EpochStash<Batch> = EpochStash::default();
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                if let Some(c) = time.retain_least(0) {
                    stash.push(&c, data);
                }
            });
            while let Some((cap, batches)) = stash.pop_complete(frontier.frontier()) {
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for batch in batches {
                    let keep: Vec<bool> = (0..batch.len).map(|i| row_id_of(&batch, row_id, i).is_none_or(|id| seen.insert(id))).collect();
                    if keep.iter().all(|k| *k) {
                        out.push(batch);
                    } else if keep.iter().any(|k| *k) {
                        out.push(batch.filter(&keep));
                    }
                }
                if !out.is_empty() {
                    output.session(&cap).give_container(&mut out);
                }
            }
        }
    })
}
