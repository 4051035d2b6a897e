//! Renders a dataflow plan into timely operators on one worker: one pass over the nodes in
//! topological order, one `match` arm per operator.

use crate::context::SourceShare;
use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use crate::operators::deduplicate::deduplicate;
use crate::operators::event_time_sort::event_time_sort;
use crate::operators::expand::expand;
use crate::operators::kafka_sink::kafka_sink;
use crate::operators::kafka_source::{KafkaSourceConfig, kafka_source};
use crate::operators::keyed::KeyGroups;
use crate::operators::keyed_aggregate::{KeyedAggregateSpec, keyed_aggregate};
use crate::operators::late_rows::late_rows;
use crate::operators::limit::limit;
use crate::operators::map_filter_project::{RowErrors, map_filter_project};
use crate::operators::over_aggregate::{OverAggregateSpec, over_aggregate};
use crate::operators::session_aggregate::session_aggregate;
use crate::operators::set_operation::set_operation;
use crate::operators::sink::{SinkTarget, SinkWiring, sink};
use crate::operators::source::{FileSourceConfig, file_source};
use crate::operators::top_n::{TopNSpec, WindowTopNSpec, top_n, window_top_n};
use crate::operators::unnest::{UnnestSpec, unnest};
use crate::operators::window_aggregate::{LateReport, WindowAggregateSpec, window_aggregate};
use std::sync::Arc;
use timely::dataflow::operators::Concatenate;
use timely::dataflow::{Scope, Stream};
use vstream_connectors::{SinkSpec, SourceSpec};
use vstream_planner::dataflow::SinkExchange;
use vstream_planner::{DataflowPlan, Operator};
use vstream_repr::{Batch, WindowAssigner};

/// What each worker needs beyond the plan: the sources' chunks and where sinks write.
pub struct WorkerContext {
    /// Per plan node: the share of a source node.
    pub sources: Vec<Option<SourceShare>>,
    /// Per plan node: the target of a sink node on this worker.
    pub sink_targets: Vec<Option<SinkTarget>>,
    /// The run's counters.
    pub metrics: Arc<Metrics>,
    /// The run's first error, which stops every source.
    pub errors: SharedErrors,
    /// See `FileSourceConfig::emit_interval`.
    pub emit_interval: Option<usize>,
    /// See `FileSourceConfig::chunk_delay`.
    pub chunk_delay: Option<std::time::Duration>,
    /// The number of key groups keyed state is placed by (see `operators::keyed::groups`).
    pub key_groups: u32,
}

/// Builds `plan`'s operators on this worker, in `scope`. Fails (a bug) when `ctx` lacks what
/// `run` prepares for a node: a source's share, a sink's target.
pub fn render<'scope>(scope: Scope<'scope, u64>, plan: &DataflowPlan, mut ctx: WorkerContext) -> Result<(), DataflowError> {
    let key_groups = KeyGroups::new(ctx.key_groups, scope.peers());
    let mut streams: Vec<Option<Stream<'scope, u64, Vec<Batch>>>> = vec![None; plan.nodes.len()];
    // Per window node: the source rows it dropped for lateness (see `LateReport`).
    let mut dropped_streams: Vec<Option<Stream<'scope, u64, Vec<Batch>>>> = vec![None; plan.nodes.len()];
    let late_operators = plan.late_operators();
    // Per node: a source's rejects file, where a row an expression fails on is skipped to.
    let mut rejects: Vec<Option<crate::context::RejectsFile>> = vec![None; plan.nodes.len()];
    let mut sink_index = 0;
    for node in &plan.nodes {
        let name = format!("{}:{}", node.id, operator_name(&node.operator));
        // The streams the node reads, one per `Operator::inputs` edge; LateRows reads its
        // windows' dropped rows instead (`dropped_streams`).
        let inputs = match &node.operator {
            Operator::LateRows { .. } => Vec::new(),
            _ => node.operator.inputs().iter().map(|edge| streams[edge.from].clone()).collect(),
        };
        let stream = match &node.operator {
            Operator::Source { spec: SourceSpec::File(file), table_schema, projection, event_time, row_id, .. } => {
                let SourceShare::File { chunks, rejects: rejects_file, progress, split } =
                    take_prepared(&mut ctx.sources, node.id, &name, "source share")?
                else {
                    return Err(DataflowError::internal(format!("{name}: a file source was given a Kafka share")));
                };
                rejects[node.id] = rejects_file.clone();
                let config = FileSourceConfig {
                    node: node.id,
                    source: file.clone(),
                    table_schema: table_schema.clone(),
                    projection: projection.clone(),
                    chunks,
                    rejects: rejects_file,
                    progress,
                    split,
                    emit_interval: ctx.emit_interval,
                    event_time: *event_time,
                    chunk_delay: ctx.chunk_delay,
                    row_id: *row_id,
                };
                Some(file_source(scope, &name, config, ctx.metrics.clone(), ctx.errors.clone()))
            }
            Operator::Source { spec: SourceSpec::Kafka(kafka), table_schema, projection, event_time, row_id, .. } => {
                let SourceShare::Kafka { rejects: rejects_file, watermarks, first_worker } =
                    take_prepared(&mut ctx.sources, node.id, &name, "source share")?
                else {
                    return Err(DataflowError::internal(format!("{name}: a Kafka source was given a file share")));
                };
                rejects[node.id] = rejects_file.clone();
                let config = KafkaSourceConfig {
                    node: node.id,
                    source: (**kafka).clone(),
                    table_schema: table_schema.clone(),
                    projection: projection.clone(),
                    rejects: rejects_file,
                    watermarks,
                    first_worker,
                    event_time: *event_time,
                    row_id: *row_id,
                };
                Some(kafka_source(scope, &name, config, ctx.metrics.clone(), ctx.errors.clone()))
            }
            Operator::LateRows { reports, row_id, .. } => {
                let reports = reports
                    .iter()
                    .map(|r| {
                        dropped_streams[*r]
                            .clone()
                            .ok_or_else(|| DataflowError::internal(format!("{name}: node {r} reports no dropped rows")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some(late_rows(scope, &name, reports, *row_id))
            }
            Operator::MapFilterProject { input: from, predicate, exprs } => {
                let input = single_input(inputs, &name)?;
                let report = RowErrors {
                    query: query_name(plan, node.id).unwrap_or_else(|| name.clone()),
                    input_names: plan.nodes[*from].schema.fields.iter().map(|f| f.name.clone()).collect(),
                    output_names: node.schema.fields.iter().map(|f| f.name.clone()).collect(),
                    metrics: ctx.metrics.clone(),
                    rejects: rejects.clone(),
                };
                Some(map_filter_project(input, &name, predicate.clone(), exprs.clone(), report, ctx.errors.clone()))
            }
            Operator::Expand { projections, .. } => {
                let input = single_input(inputs, &name)?;
                let query = query_name(plan, node.id).unwrap_or_else(|| name.clone());
                Some(expand(input, &name, &query, projections.clone(), ctx.errors.clone()))
            }
            Operator::Unnest { exprs, collection, ordinality, outer, .. } => {
                let input = single_input(inputs, &name)?;
                let query = query_name(plan, node.id).unwrap_or_else(|| name.clone());
                let spec = UnnestSpec { exprs: exprs.clone(), collection: collection.clone(), ordinality: *ordinality, outer: *outer };
                Some(unnest(input, &name, &query, spec, ctx.errors.clone()))
            }
            Operator::KeyedAggregate { key_len, aggregates, retractions, empty_groups, .. } => {
                let input = single_input(inputs, &name)?;
                let query = query_name(plan, node.id).unwrap_or_else(|| name.clone());
                let spec = KeyedAggregateSpec {
                    key_len: *key_len,
                    aggs: aggregates.clone(),
                    retractions: *retractions,
                    empty_groups: empty_groups.clone(),
                };
                Some(keyed_aggregate(input, &name, &query, spec, node.schema.clone(), key_groups, ctx.errors.clone()))
            }
            Operator::WindowAggregate { assigner, key_len, aggregates, emit, late_rows, .. } => {
                let input = single_input(inputs, &name)?;
                let query = query_name(plan, node.id).unwrap_or_else(|| name.clone());
                let spec = WindowAggregateSpec {
                    assigner: *assigner,
                    key_len: *key_len,
                    aggs: aggregates.clone(),
                    emit: *emit,
                    schema: node.schema.clone(),
                };
                let late = late_report(&late_operators, node.id, &name, &ctx.metrics, *late_rows)?;
                // SESSION windows merge per key; TUMBLE and HOP windows are fixed.
                let (stream, dropped) = if matches!(assigner, WindowAssigner::Session { .. }) {
                    session_aggregate(input, &name, &query, spec, late, key_groups, ctx.errors.clone())
                } else {
                    window_aggregate(input, &name, &query, spec, late, key_groups, ctx.errors.clone())
                };
                dropped_streams[node.id] = Some(dropped);
                Some(stream)
            }
            Operator::SetOperation { op, all, .. } => {
                let [Some(left), Some(right)] = <[_; 2]>::try_from(inputs).unwrap_or([None, None]) else {
                    return Err(DataflowError::internal(format!("{name}: expected two rendered inputs")));
                };
                Some(set_operation(left, right, &name, *op, *all, node.schema.clone(), key_groups))
            }
            Operator::Union { .. } => {
                let mut streams = Vec::with_capacity(inputs.len());
                for input in inputs {
                    streams.push(input.ok_or_else(|| DataflowError::internal(format!("{name}: an input was not rendered")))?);
                }
                Some(scope.concatenate(streams))
            }
            Operator::TopN { key_len, order, func, lo, hi, rank_column, retractions, .. } => {
                let input = single_input(inputs, &name)?;
                let spec = TopNSpec {
                    key_len: *key_len,
                    order: order.clone(),
                    func: *func,
                    lo: *lo,
                    hi: *hi,
                    rank_column: *rank_column,
                    retractions: *retractions,
                };
                Some(top_n(input, &name, spec, node.schema.clone(), key_groups))
            }
            Operator::Deduplicate { input: from, key_len } => {
                let input = single_input(inputs, &name)?;
                // It emits the input's columns after the keys and the event time.
                let schema = vstream_repr::Schema::new(plan.nodes[*from].schema.fields[*key_len + 1..].to_vec());
                let late = late_report(&late_operators, node.id, &name, &ctx.metrics, None)?;
                Some(deduplicate(input, &name, *key_len, schema, key_groups, late, ctx.errors.clone()))
            }
            Operator::WindowTopN { assigner, key_len, order, func, lo, hi, rank_column, .. } => {
                let input = single_input(inputs, &name)?;
                let rank = TopNSpec {
                    key_len: *key_len,
                    order: order.clone(),
                    func: *func,
                    lo: *lo,
                    hi: *hi,
                    rank_column: *rank_column,
                    retractions: false,
                };
                let spec = WindowTopNSpec { rank, assigner: *assigner };
                let late = late_report(&late_operators, node.id, &name, &ctx.metrics, None)?;
                Some(window_top_n(input, &name, spec, node.schema.clone(), key_groups, late, ctx.errors.clone()))
            }
            Operator::OverAggregate { input: from, key_len, payload_len, frame, aggregates } => {
                let input = single_input(inputs, &name)?;
                let query = query_name(plan, node.id).unwrap_or_else(|| name.clone());
                let spec = OverAggregateSpec {
                    key_len: *key_len,
                    payload_len: *payload_len,
                    frame: *frame,
                    aggs: aggregates.clone(),
                    input_schema: plan.nodes[*from].schema.clone(),
                    schema: node.schema.clone(),
                };
                let late = late_report(&late_operators, node.id, &name, &ctx.metrics, None)?;
                Some(over_aggregate(input, &name, &query, spec, key_groups, late, ctx.errors.clone()))
            }
            Operator::Limit { offset, fetch, ends_query, .. } => {
                let input = single_input(inputs, &name)?;
                Some(limit(input, &name, *offset, *fetch, *ends_query, ctx.errors.clone()))
            }
            Operator::EventTimeSort { keys, .. } => {
                let input = single_input(inputs, &name)?;
                let late = late_report(&late_operators, node.id, &name, &ctx.metrics, None)?;
                Some(event_time_sort(input, &name, keys.clone(), node.schema.clone(), late))
            }
            Operator::Sink { name: table, spec: SinkSpec::Kafka(kafka), changelog, .. } => {
                let input = single_input(inputs, &name)?;
                let wiring = SinkWiring { name: name.clone(), gather: false, changelog: *changelog, index: sink_index };
                let schema = plan.nodes[node.id].schema.clone();
                kafka_sink(input, wiring, table, (**kafka).clone(), schema, ctx.metrics.clone(), ctx.errors.clone());
                sink_index += 1;
                None
            }
            Operator::Sink { exchange, changelog, .. } => {
                let input = single_input(inputs, &name)?;
                let target = take_prepared(&mut ctx.sink_targets, node.id, &name, "sink target")?;
                let gather = *exchange == SinkExchange::Gather;
                let wiring = SinkWiring { name: name.clone(), gather, changelog: *changelog, index: sink_index };
                sink(input, wiring, target, ctx.metrics.clone(), ctx.errors.clone());
                sink_index += 1;
                None
            }
        };
        streams[node.id] = stream;
    }
    Ok(())
}

/// The one input stream of a unary operator. Nodes are in topological order, so an input was
/// rendered before its reader; a missing or extra one is a bug in the plan.
fn single_input<'scope>(
    inputs: Vec<Option<Stream<'scope, u64, Vec<Batch>>>>,
    name: &str,
) -> Result<Stream<'scope, u64, Vec<Batch>>, DataflowError> {
    let count = inputs.len();
    match <[_; 1]>::try_from(inputs) {
        Ok([Some(input)]) => Ok(input),
        _ => Err(DataflowError::internal(format!("{name}: expected one rendered input, the plan gives {count}"))),
    }
}

/// Where operator `id` (`name`: for the error) counts the rows it drops for lateness: its slot
/// among the plan's late operators; `row_columns` as in [`LateReport`].
fn late_report(
    late_operators: &[(usize, String)],
    id: usize,
    name: &str,
    metrics: &Arc<Metrics>,
    row_columns: Option<usize>,
) -> Result<LateReport, DataflowError> {
    let index = late_operators
        .iter()
        .position(|(op, _)| *op == id)
        .ok_or_else(|| DataflowError::internal(format!("{name}: not among the late operators")))?;
    Ok(LateReport { metrics: metrics.clone(), index, row_columns })
}

/// What `run` prepared for node `id` (`what`: for the error), taken out.
fn take_prepared<T>(prepared: &mut [Option<T>], id: usize, name: &str, what: &str) -> Result<T, DataflowError> {
    prepared.get_mut(id).and_then(Option::take).ok_or_else(|| DataflowError::internal(format!("{name}: no {what} prepared")))
}

/// Errors name a query by the table it writes (what the user wrote): the sink downstream of `id`.
fn query_name(plan: &DataflowPlan, id: usize) -> Option<String> {
    let mut at = id;
    loop {
        let next = plan.nodes.iter().find(|n| n.operator.inputs().iter().any(|edge| edge.from == at))?;
        if let Operator::Sink { name, .. } = &next.operator {
            return Some(format!("query into `{name}`"));
        }
        at = next.id;
    }
}

fn operator_name(op: &Operator) -> String {
    match op {
        Operator::KeyedAggregate { .. } => "KeyedAggregate".to_string(),
        Operator::WindowAggregate { .. } => "WindowAggregate".to_string(),
        Operator::TopN { .. } => "TopN".to_string(),
        Operator::WindowTopN { .. } => "WindowTopN".to_string(),
        Operator::Deduplicate { .. } => "Deduplicate".to_string(),
        Operator::OverAggregate { .. } => "OverAggregate".to_string(),
        Operator::LateRows { .. } => "LateRows".to_string(),
        Operator::Source { table, .. } => format!("Source({table})"),
        Operator::MapFilterProject { .. } => "MapFilterProject".to_string(),
        Operator::Expand { .. } => "Expand".to_string(),
        Operator::Unnest { .. } => "Unnest".to_string(),
        Operator::Sink { name, .. } => format!("Sink({name})"),
        Operator::Union { .. } => "Union".to_string(),
        Operator::SetOperation { op, all, .. } => op.name(*all).replace(' ', ""),
        Operator::Limit { .. } => "Limit".to_string(),
        Operator::EventTimeSort { .. } => "EventTimeSort".to_string(),
    }
}
