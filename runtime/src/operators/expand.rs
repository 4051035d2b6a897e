//! GROUPING SETS, ROLLUP and CUBE: each row once per grouping set, for the one aggregate after it.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::map_filter_project::apply;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::{Batch, EvalError, ScalarExpr};

/// Per input batch, one output batch per grouping set: the set's `projections` over it, row kinds
/// kept (a retraction is retracted from every set). An expression error fails the run with the
/// query's name.
pub fn expand<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    projections: Vec<Vec<ScalarExpr>>,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    flat_map_batches(input, name, query, errors, move |batch, out| {
        for exprs in &projections {
            out.extend(apply(batch, None, exprs)?);
        }
        Ok(())
    })
}

/// A stateless operator that turns each input batch into any number of output batches with `f`
/// (pushed to its second argument), row kinds left to `f`. An error of `f` fails the run with the
/// query's name, and the operator emits nothing more.
pub fn flat_map_batches<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    query: &str,
    errors: SharedErrors,
    mut f: impl FnMut(&Batch, &mut Vec<Batch>) -> Result<(), EvalError> + 'static,
) -> Stream<'scope, u64, Vec<Batch>> {
    let label = query.to_string();
    input.unary(Pipeline, name, move |_cap, _info| {
        move |input, output| {
            input.for_each(|time, data| {
                let mut out: Vec<Batch> = Vec::with_capacity(data.len());
                for batch in data.drain(..) {
                    if let Err(e) = f(&batch, &mut out) {
                        errors.fail(DataflowError::Compute { operator: label.clone(), group: None, message: e.to_string() });
                        return;
                    }
                }
                if !out.is_empty() {
                    output.session(&time).give_container(&mut out);
                }
            });
        }
    })
}
