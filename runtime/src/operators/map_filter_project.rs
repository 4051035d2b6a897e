//! Filter then project, batch by batch: the stateless part of every query.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::{Batch, ColumnData, ScalarExpr};

/// Keeps the rows where `predicate` is TRUE and computes `exprs` over them. An expression error
/// (an overflow, a bad cast) fails the run with the query's name rather than emitting a wrong row.
pub fn map_filter_project<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    predicate: Option<ScalarExpr>,
    exprs: Vec<ScalarExpr>,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    let label = query.to_string();
    input.unary(Pipeline, name, move |_cap, _info| {
        move |input, output| {
            input.for_each(|time, data| {
                let mut out: Vec<Batch> = Vec::with_capacity(data.len());
                for batch in data.drain(..) {
                    match apply(&batch, predicate.as_ref(), &exprs) {
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

/// One batch through the filter and projection; `None` when no row passes.
pub fn apply(batch: &Batch, predicate: Option<&ScalarExpr>, exprs: &[ScalarExpr]) -> Result<Option<Batch>, vstream_repr::EvalError> {
    let filtered;
    let rows = match predicate {
        None => batch,
        Some(p) => {
            let c = p.eval(batch)?;
            let ColumnData::Bool(mut mask) = c.data else {
                return Err(vstream_repr::EvalError::InvalidArgument { func: "WHERE", detail: "not a BOOLEAN".into() });
            };
            if let Some(valid) = &c.validity {
                for (m, v) in mask.iter_mut().zip(valid) {
                    *m &= *v;
                }
            }
            if !mask.iter().any(|m| *m) {
                return Ok(None);
            }
            filtered = batch.filter(&mask);
            &filtered
        }
    };
    let columns = exprs.iter().map(|e| e.eval(rows)).collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Batch::new(rows.len, columns).with_kinds(rows.kinds.clone())))
}
