//! CROSS JOIN UNNEST: each row once per element of an array (or entry of a map) it holds.

use crate::operators::SharedErrors;
use crate::operators::expand::flat_map_batches;
use crate::operators::map_filter_project::apply;
use timely::dataflow::Stream;
use vstream_repr::func::collection::unnest_types;
use vstream_repr::{Batch, Column, DataType, Datum, EvalError, ScalarExpr};

/// What an Unnest computes (see the planner's `Operator::Unnest`).
#[derive(Clone, Debug)]
pub struct UnnestSpec {
    /// The columns each output row keeps of its input row.
    pub exprs: Vec<ScalarExpr>,
    /// The ARRAY or MAP to expand.
    pub collection: ScalarExpr,
    /// Whether the 1-based position follows the element's columns.
    pub ordinality: bool,
    /// Whether a row with a NULL or empty collection is kept once, its element columns NULL.
    pub outer: bool,
}

/// Per input batch, one output batch: for each row and each element of the collection over it
/// (an ARRAY, or a MAP's entries), the row's kept columns, then the element (a ROW element's
/// fields as columns of their own, a map entry's key and value), then its 1-based position with
/// ordinality. A NULL or empty collection gives the row no output row, as a cross join does, or
/// one with NULL element columns when `outer`. Row kinds are kept, so retracting a row retracts
/// each of its element rows. No state.
pub fn unnest<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    spec: UnnestSpec,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    flat_map_batches(input, name, query, errors, move |batch, out| {
        out.extend(unnest_batch(batch, &spec)?);
        Ok(())
    })
}

/// One batch's output rows (see [`unnest`]); `None` when no row has an element.
pub fn unnest_batch(batch: &Batch, spec: &UnnestSpec) -> Result<Option<Batch>, EvalError> {
    let UnnestSpec { exprs, collection, ordinality, outer } = spec;
    let (ordinality, outer) = (*ordinality, *outer);
    let Some(rows) = apply(batch, None, exprs)? else { return Ok(None) };
    let coll = collection.eval(batch)?;
    let types = unnest_types(coll.ty);
    let mut take: Vec<u32> = Vec::new();
    let mut elements: Vec<Vec<Datum>> = vec![Vec::new(); types.len()];
    let mut positions: Vec<Datum> = Vec::new();
    let mut push = |row: usize, pos: Option<usize>, values: &mut dyn Iterator<Item = Datum>| {
        take.push(row as u32);
        for (col, v) in elements.iter_mut().zip(values) {
            col.push(v);
        }
        if ordinality {
            positions.push(pos.map_or(Datum::Null, |p| Datum::Int(p as i64 + 1)));
        }
    };
    let row_elements = matches!(coll.ty, DataType::Array(DataType::Row(_)));
    for row in 0..coll.len() {
        let elements_of_row = match coll.datum(row) {
            Datum::Array(items) => {
                let n = items.len();
                for (pos, item) in items.into_iter().enumerate() {
                    match item {
                        Datum::Row(fields) if row_elements => push(row, Some(pos), &mut fields.into_iter()),
                        // A NULL row element: every field NULL.
                        Datum::Null if row_elements => push(row, Some(pos), &mut std::iter::repeat_n(Datum::Null, types.len())),
                        item => push(row, Some(pos), &mut std::iter::once(item)),
                    }
                }
                n
            }
            Datum::Map(entries) => {
                let n = entries.len();
                for (pos, (k, v)) in entries.into_iter().enumerate() {
                    push(row, Some(pos), &mut [k, v].into_iter());
                }
                n
            }
            _ => 0,
        };
        if outer && elements_of_row == 0 {
            push(row, None, &mut std::iter::repeat_n(Datum::Null, types.len()));
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
        let spec = UnnestSpec {
            exprs: vec![ScalarExpr::column(0, DataType::Int)],
            collection: ScalarExpr::column(1, ints),
            ordinality: true,
            outer: false,
        };
        let out = unnest_batch(&batch, &spec).unwrap().unwrap();
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
        let spec = UnnestSpec { exprs: vec![], collection: ScalarExpr::column(0, ints), ordinality: false, outer: false };
        assert!(unnest_batch(&batch, &spec).unwrap().is_none());
        // LEFT JOIN UNNEST keeps each row once, with a NULL element.
        let out = unnest_batch(&batch, &UnnestSpec { outer: true, ..spec }).unwrap().unwrap();
        assert_eq!(out.len, 2);
        assert_eq!(out.columns[0].datum(1), Datum::Null);
    }
}
