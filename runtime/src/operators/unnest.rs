//! CROSS JOIN UNNEST: each row once per element of an array (or entry of a map) it holds.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::map_filter_project::apply;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::func::collection::unnest_types;
use vstream_repr::{Batch, Column, DataType, Datum, EvalError, ScalarExpr};

/// Per input batch, one output batch: for each row and each element of `collection` over it (an
/// ARRAY, or a MAP's entries), the row's `exprs`, then the element (a ROW element's fields as
/// columns of their own, a map entry's key and value), then its 1-based position if
/// `ordinality`. A NULL or empty collection gives the row no output row, as a cross join does.
/// Row kinds are kept, so retracting a row retracts each of its element rows. No state.
pub fn unnest<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    exprs: Vec<ScalarExpr>,
    collection: ScalarExpr,
    ordinality: bool,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let label = query.to_string();
    input.unary(Pipeline, name, move |_cap, _info| {
        move |input, output| {
            input.for_each(|time, data| {
                let mut out: Vec<Batch> = Vec::with_capacity(data.len());
                for batch in data.drain(..) {
                    match unnest_batch(&batch, &exprs, &collection, ordinality) {
                        Ok(Some(b)) => out.push(b),
                        Ok(None) => {}
                        Err(e) => {
                            errors.fail(DataflowError::Compute { operator: label.clone(), group: None, message: e.to_string() });
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

/// One batch's output rows (see [`unnest`]); `None` when no row has an element.
pub fn unnest_batch(batch: &Batch, exprs: &[ScalarExpr], collection: &ScalarExpr, ordinality: bool) -> Result<Option<Batch>, EvalError> {
    let Some(rows) = apply(batch, None, exprs)? else { return Ok(None) };
    let coll = collection.eval(batch)?;
    let types = unnest_types(coll.ty);
    let mut take: Vec<u32> = Vec::new();
    let mut elements: Vec<Vec<Datum>> = vec![Vec::new(); types.len()];
    let mut positions: Vec<Datum> = Vec::new();
    let mut push = |row: usize, pos: usize, values: &mut dyn Iterator<Item = Datum>| {
        take.push(row as u32);
        for (col, v) in elements.iter_mut().zip(values) {
            col.push(v);
        }
        if ordinality {
            positions.push(Datum::Int(pos as i64 + 1));
        }
    };
    let row_elements = matches!(coll.ty, DataType::Array(DataType::Row(_)));
    for row in 0..coll.len() {
        match coll.datum(row) {
            Datum::Array(items) => {
                for (pos, item) in items.into_iter().enumerate() {
                    match item {
                        Datum::Row(fields) if row_elements => push(row, pos, &mut fields.into_iter()),
                        // A NULL row element: every field NULL.
                        Datum::Null if row_elements => push(row, pos, &mut std::iter::repeat_n(Datum::Null, types.len())),
                        item => push(row, pos, &mut std::iter::once(item)),
                    }
                }
            }
            Datum::Map(entries) => {
                for (pos, (k, v)) in entries.into_iter().enumerate() {
                    push(row, pos, &mut [k, v].into_iter());
                }
            }
            _ => {}
        }
    }
    if take.is_empty() {
        return Ok(None);
    }
    let mut columns: Vec<Column> = rows.columns.iter().map(|c| c.take(&take)).collect();
    columns.extend(types.iter().zip(&elements).map(|(t, values)| Column::from_datums(*t, values)));
    if ordinality {
        columns.push(Column::from_datums(DataType::Int, &positions));
    }
    let kinds = rows.kinds.as_ref().map(|k| take.iter().map(|&r| k[r as usize]).collect());
    Ok(Some(Batch::new(take.len(), columns).with_kinds(kinds)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::RowKind;

    #[test]
    fn each_element_row_keeps_its_rows_kind() {
        let ints = DataType::array(DataType::Int);
        let arrays = Column::from_datums(
            ints,
            &[Datum::Array(vec![Datum::Int(1), Datum::Int(2)]), Datum::Null, Datum::Array(vec![]), Datum::Array(vec![Datum::Int(3)])],
        );
        let ids = Column::from_datums(DataType::Int, &[Datum::Int(10), Datum::Int(20), Datum::Int(30), Datum::Int(40)]);
        let batch =
            Batch::new(4, vec![ids, arrays]).with_kinds(Some(vec![RowKind::Insert, RowKind::Insert, RowKind::Insert, RowKind::Delete]));
        let out = unnest_batch(&batch, &[ScalarExpr::column(0, DataType::Int)], &ScalarExpr::column(1, ints), true).unwrap().unwrap();
        let rows: Vec<Vec<Datum>> = (0..out.len).map(|i| out.columns.iter().map(|c| c.datum(i)).collect()).collect();
        assert_eq!(
            rows,
            vec![
                vec![Datum::Int(10), Datum::Int(1), Datum::Int(1)],
                vec![Datum::Int(10), Datum::Int(2), Datum::Int(2)],
                vec![Datum::Int(40), Datum::Int(3), Datum::Int(1)],
            ]
        );
        assert_eq!(out.kinds, Some(vec![RowKind::Insert, RowKind::Insert, RowKind::Delete]));
    }

    #[test]
    fn a_batch_without_elements_gives_nothing() {
        let ints = DataType::array(DataType::Int);
        let batch = Batch::new(2, vec![Column::from_datums(ints, &[Datum::Null, Datum::Array(vec![])])]);
        assert!(unnest_batch(&batch, &[], &ScalarExpr::column(0, ints), false).unwrap().is_none());
    }
}
