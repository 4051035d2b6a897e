//! The operator half that deduplication, window Top-N and OVER aggregates share: rows routed to
//! the worker that owns their key are held in the operator's state until the frontier (the least
//! watermark of all workers) passes them, then released as one batch at a capability held while
//! anything waits. Each operator says how it takes rows and releases them ([`WatermarkHold`]);
//! the capability, late-row counting and failure handling are written once, here.

use crate::error::DataflowError;
use crate::operators::SharedErrors;
use crate::operators::epochs::HeldCapability;
use crate::operators::window_aggregate::{LateReport, frontier_event_time};
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_repr::{Batch, Datum, Schema};

/// An operator's state that holds rows until the watermark passes them.
pub(crate) trait WatermarkHold {
    /// Takes the rows of `batch` (routed here by key; `buf` is scratch for key encodings) and
    /// returns how many were late: behind what was already released.
    fn take(&mut self, batch: &Batch, buf: &mut Vec<u8>) -> u64;
    /// Whether anything held is ready for release at `watermark`.
    fn ready(&self, watermark: i64) -> bool;
    /// Releases what `watermark` has passed: the rows to emit, or the error that fails the run.
    fn release(&mut self, watermark: i64) -> Result<Vec<Vec<Datum>>, DataflowError>;
    /// Whether anything is still held (the capability is kept while it is).
    fn holding(&self) -> bool;
}

/// Runs `state` over `routed` (`(worker, rows)` pairs from `keyed::route::route_rows`): rows are
/// taken as they come, and released (as rows of `schema`) when the frontier passes them. After
/// an error the operator takes and releases nothing more.
pub(crate) fn hold_until_watermark<'scope, S: WatermarkHold + 'static>(
    routed: Stream<'scope, u64, Vec<(u32, Batch)>>,
    name: &str,
    mut state: S,
    schema: Schema,
    late: LateReport,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    routed.unary_frontier(Exchange::new(|r: &(u32, Batch)| r.0 as u64), name, move |_cap, _info| {
        // Held while rows wait, at most the frontier: the time they are released at.
        let mut cap = HeldCapability::default();
        let mut buf = Vec::new();
        let mut failed = false;
        move |(input, frontier), output| {
            input.for_each(|time, data| {
                let Some(c) = time.retain_least(0) else { return };
                cap.hold(&c);
                for (_, batch) in data.drain(..) {
                    if !failed {
                        late.count(state.take(&batch, &mut buf));
                    }
                }
            });
            let watermark = frontier_event_time(frontier.frontier());
            if let Some(c) = cap.get()
                && !failed
                && state.ready(watermark)
            {
                match state.release(watermark) {
                    Ok(rows) if !rows.is_empty() => {
                        output.session(c).give_container(&mut vec![Batch::from_rows(&schema, &rows)]);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        errors.fail(e);
                        failed = true;
                    }
                }
            }
            cap.settle(!failed && state.holding(), frontier.frontier());
        }
    })
}
