//! INTERSECT and EXCEPT (`ALL` or distinct) as a keyed operator over two inputs: rows move to the
//! worker that owns the whole row's hash, which counts each distinct row per input and emits the
//! changes of the output multiset once per epoch.

use crate::operators::epochs::EpochStash;
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed::route::{KeyRouter, encode_key};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Concatenate;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_planner::logical::SetOperator;
use vstream_repr::{Batch, Datum, RowKind, Schema};

/// Which input a routed batch came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Side {
    Left,
    Right,
}

/// Rows of one input on their way to the worker that owns them.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SideRows {
    target: u32,
    side: Side,
    batch: Batch,
}

/// One distinct row and how many times each input holds it now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RowCounts {
    /// The row's values.
    row: Vec<Datum>,
    /// Copies in the left input (inserts less retractions).
    left: i64,
    /// Copies in the right input.
    right: i64,
}

/// The state of an INTERSECT / EXCEPT on one worker: per row encoding (the key routing hashes, so
/// the state splits by key group from its keys), the row's counts. A row neither input holds has
/// no entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SetOperationState {
    /// Per row encoding: the row and its counts.
    rows: HashMap<Vec<u8>, RowCounts>,
}

impl SetOperationState {
    /// Counts one epoch's rows of `side`; `before` gets, for each row first touched in the epoch,
    /// the copies the output held of it.
    fn apply(&mut self, side: Side, batch: &Batch, op: SetOperator, all: bool, before: &mut HashMap<Vec<u8>, i64>, buf: &mut Vec<u8>) {
        let width = batch.columns.len();
        for i in 0..batch.len {
            encode_key(batch, 0..width, i, buf);
            let entry = match self.rows.get_mut(buf.as_slice()) {
                Some(e) => e,
                None => self.rows.entry(buf.clone()).or_insert_with(|| RowCounts {
                    row: batch.columns.iter().map(|c| c.datum(i)).collect(),
                    left: 0,
                    right: 0,
                }),
            };
            if !before.contains_key(buf.as_slice()) {
                before.insert(buf.clone(), op.copies(all, entry.left, entry.right));
            }
            let diff = batch.kind(i).diff();
            match side {
                Side::Left => entry.left += diff,
                Side::Right => entry.right += diff,
            }
        }
    }

    /// The output's changes for the rows in `before`: `+I` or `-D` copies of each row whose
    /// output count changed; rows no input holds any more are forgotten.
    fn emit(&mut self, op: SetOperator, all: bool, before: HashMap<Vec<u8>, i64>, rows: &mut Vec<Vec<Datum>>, kinds: &mut Vec<RowKind>) {
        for (key, was) in before {
            let Some(entry) = self.rows.get(&key) else { continue };
            let now = op.copies(all, entry.left, entry.right);
            let kind = if now > was { RowKind::Insert } else { RowKind::Delete };
            for _ in 0..(now - was).abs() {
                rows.push(entry.row.clone());
                kinds.push(kind);
            }
            if entry.left <= 0 && entry.right <= 0 {
                self.rows.remove(&key);
            }
        }
    }
}

/// `left op right`: rows matched on every column (NULLs equal), output a changelog of the result
/// multiset.
pub fn set_operation<'scope>(
    left: Stream<'scope, u64, Vec<Batch>>,
    right: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    op: SetOperator,
    all: bool,
    schema: Schema,
    key_groups: KeyGroups,
) -> Stream<'scope, u64, Vec<Batch>> {
    let width = schema.len();
    let route = |input: Stream<'scope, u64, Vec<Batch>>, side: Side| {
        input.unary(Pipeline, &format!("{name}:route"), move |_cap, _info| {
            let mut router = KeyRouter::new(key_groups, 0..width, false);
            move |input, output| {
                input.for_each(|time, data| {
                    let mut out: Vec<SideRows> = Vec::new();
                    for batch in data.drain(..) {
                        out.extend(router.split(batch).into_iter().map(|(target, batch)| SideRows { target, side, batch }));
                    }
                    if !out.is_empty() {
                        output.session(&time).give_container(&mut out);
                    }
                });
            }
        })
    };
    let routed = left.scope().concatenate([route(left, Side::Left), route(right, Side::Right)]);
    routed.unary_frontier(Exchange::new(|r: &SideRows| r.target as u64), name, move |_cap, _info| {
        let mut state = SetOperationState::default();
        let mut stash: EpochStash<SideRows> = EpochStash::default();
        let mut buf = Vec::new();
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                let Some(cap) = time.retain_least(0) else { return };
                stash.push(&cap, data);
            });
            while let Some((cap, parts)) = stash.pop_complete(frontier.frontier()) {
                let mut before = HashMap::new();
                for part in &parts {
                    state.apply(part.side, &part.batch, op, all, &mut before, &mut buf);
                }
                let mut rows = Vec::new();
                let mut kinds = Vec::new();
                state.emit(op, all, before, &mut rows, &mut kinds);
                if !rows.is_empty() {
                    let mut out = vec![Batch::from_rows(&schema, &rows).with_kinds(Some(kinds))];
                    output.session(&cap).give_container(&mut out);
                }
            }
        }
    })
}
