//! The dataflow plan: the operators the runtime instantiates on every worker, and the edges
//! between them. Nodes are kept in topological order and refer to their inputs by index, so the
//! runtime renders them with one pass and one `match`.

use crate::logical::{LogicalPlan, ScriptPlan};
use serde::{Deserialize, Serialize};
use vstream_connectors::{FileSink, SinkSpec, SourceSpec};
use vstream_repr::agg::AggregateSpec;
use vstream_repr::{DataType, ScalarExpr, Schema};

pub type NodeId = usize;

/// How rows reach a sink's workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkExchange {
    /// Each worker writes the rows it has (one part file per worker): no data moves.
    PerWorker,
    /// All rows move to worker 0, which writes them (stdout, a single file).
    Gather,
}

/// One dataflow operator. Each variant's doc says what state and data movement it costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Operator {
    /// Decodes a file into batches of `projection`'s columns (indices into `table_schema`).
    /// The file is cut into chunks at line boundaries; chunk k is read by worker k mod N, so all
    /// workers read in parallel and move through the file together. No state, no exchange.
    Source { table: String, spec: SourceSpec, table_schema: Schema, projection: Vec<usize> },
    /// Per batch: keeps rows where `predicate` is TRUE, then computes `exprs` over the input's
    /// columns. No state, no exchange.
    MapFilterProject { input: NodeId, predicate: Option<ScalarExpr>, exprs: Vec<ScalarExpr> },
    /// GROUP BY: rows move (timely `exchange`, by the hash of the key) to the worker that owns
    /// their key, the first `key_len` input columns. State: per worker, a hash map from key to
    /// its aggregates' accumulators and the row last emitted, one entry per live key. Emits,
    /// per epoch and per changed key, `-U` of the old row and `+U` of the new (`+I` when new).
    KeyedAggregate { input: NodeId, key_len: usize, aggregates: Vec<AggregateSpec> },
    /// Encodes rows and writes them to a sink; a `changelog` sink writes each row's kind too.
    Sink { input: NodeId, name: String, spec: SinkSpec, exchange: SinkExchange, changelog: bool },
}

/// A node of the dataflow: an operator and the schema of what it emits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub operator: Operator,
    pub schema: Schema,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataflowPlan {
    pub nodes: Vec<Node>,
}

impl DataflowPlan {
    fn push(&mut self, operator: Operator, schema: Schema) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node { id, operator, schema });
        id
    }

    /// The source nodes, in order.
    pub fn sources(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| matches!(n.operator, Operator::Source { .. }))
    }
}

/// A plan being lowered: rows of `node`, filtered by `predicate` and projected to `exprs`, all
/// over `node`'s columns; nothing is emitted until it is sealed into a MapFilterProject.
struct Pending {
    node: NodeId,
    predicate: Option<ScalarExpr>,
    exprs: Vec<ScalarExpr>,
    schema: Schema,
}

/// Lowers every query of the script. Queries that read the same table share one source, which
/// decodes the union of the columns they read.
pub fn lower(script: &ScriptPlan) -> DataflowPlan {
    let mut plan = DataflowPlan::default();
    let mut sources: Vec<(String, NodeId, Vec<usize>)> = Vec::new();
    // One source per table, reading every column any query reads from it.
    let mut wanted: Vec<(String, SourceSpec, Schema, Vec<usize>)> = Vec::new();
    for s in &script.sinks {
        collect_scans(&s.query, &mut wanted);
    }
    for (table, spec, table_schema, mut projection) in wanted {
        projection.sort_unstable();
        projection.dedup();
        let schema = Schema::new(projection.iter().map(|i| table_schema.fields[*i].clone()).collect());
        let id = plan.push(Operator::Source { table: table.clone(), spec, table_schema, projection: projection.clone() }, schema);
        sources.push((table, id, projection));
    }
    for s in &script.sinks {
        let pending = lower_query(&s.query, &sources, &mut plan);
        let input = seal(&mut plan, pending);
        let exchange = match &s.sink {
            SinkSpec::Stdout | SinkSpec::File(FileSink { single_file: true, .. }) => SinkExchange::Gather,
            SinkSpec::File(_) | SinkSpec::Blackhole => SinkExchange::PerWorker,
        };
        let schema = plan.nodes[input].schema.clone();
        let changelog = s.query.is_changelog();
        plan.push(Operator::Sink { input, name: s.name.clone(), spec: s.sink.clone(), exchange, changelog }, schema);
    }
    plan
}

fn collect_scans(p: &LogicalPlan, out: &mut Vec<(String, SourceSpec, Schema, Vec<usize>)>) {
    match p {
        LogicalPlan::Scan { table, source, table_schema, projection, .. } => match out.iter_mut().find(|(t, ..)| t == table) {
            Some((_, _, _, cols)) => cols.extend(projection),
            None => out.push((table.clone(), source.clone(), table_schema.clone(), projection.clone())),
        },
        LogicalPlan::Filter { input, .. } | LogicalPlan::Project { input, .. } | LogicalPlan::Aggregate { input, .. } => {
            collect_scans(input, out)
        }
    }
}

fn lower_query(p: &LogicalPlan, sources: &[(String, NodeId, Vec<usize>)], plan: &mut DataflowPlan) -> Pending {
    match p {
        LogicalPlan::Scan { table, projection, schema, .. } => {
            let (_, node, source_cols) = sources.iter().find(|(t, ..)| t == table).expect("every scan has a source");
            let exprs = projection
                .iter()
                .zip(&schema.fields)
                .map(|(col, f)| ScalarExpr::column(source_cols.iter().position(|c| c == col).unwrap_or(0), f.ty))
                .collect();
            Pending { node: *node, predicate: None, exprs, schema: schema.clone() }
        }
        LogicalPlan::Filter { input, predicate } => {
            let mut pending = lower_query(input, sources, plan);
            let pred = predicate.substitute(&pending.exprs);
            pending.predicate = Some(match pending.predicate.take() {
                None => pred,
                Some(prev) => ScalarExpr::Binary {
                    op: vstream_repr::BinaryOp::And,
                    left: Box::new(prev),
                    right: Box::new(pred),
                    ty: DataType::Boolean,
                },
            });
            pending
        }
        LogicalPlan::Project { input, exprs, schema } => {
            let mut pending = lower_query(input, sources, plan);
            pending.exprs = exprs.iter().map(|e| e.substitute(&pending.exprs)).collect();
            pending.schema = schema.clone();
            pending
        }
        LogicalPlan::Aggregate { input, group_by, aggregates, schema } => {
            // The keyed operator reads plain columns: first the keys, then each aggregate's
            // argument and filter, all computed by one MapFilterProject in front of it.
            let pending = lower_query(input, sources, plan);
            let input_schema = pending.schema.clone();
            let mut exprs: Vec<ScalarExpr> = group_by.iter().map(|e| e.substitute(&pending.exprs)).collect();
            let mut fields: Vec<vstream_repr::Field> = schema.fields[..group_by.len()].to_vec();
            let mut specs = Vec::new();
            let input_names: Vec<String> = input_schema.fields.iter().map(|f| f.name.clone()).collect();
            for a in aggregates {
                // One column per distinct argument or filter expression, named by its text.
                let mut column = |e: &ScalarExpr| {
                    let e = e.substitute(&pending.exprs);
                    match exprs.iter().position(|x| *x == e) {
                        Some(i) => i,
                        None => {
                            fields.push(vstream_repr::Field::new(e.display_with(&input_names).to_string(), e.ty()));
                            exprs.push(e);
                            exprs.len() - 1
                        }
                    }
                };
                let arg = a.arg.as_ref().map(&mut column);
                let filter = a.filter.as_ref().map(&mut column);
                specs.push(AggregateSpec {
                    func: a.func,
                    arg,
                    distinct: a.distinct,
                    filter,
                    arg_type: a.arg.as_ref().map(ScalarExpr::ty),
                    ty: a.ty,
                });
            }
            let pre = seal(plan, Pending { node: pending.node, predicate: pending.predicate, exprs, schema: Schema::new(fields) });
            let node = plan.push(Operator::KeyedAggregate { input: pre, key_len: group_by.len(), aggregates: specs }, schema.clone());
            Pending {
                node,
                predicate: None,
                exprs: schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect(),
                schema: schema.clone(),
            }
        }
    }
}

/// Emits a MapFilterProject for `p`, unless it would pass its input through unchanged.
fn seal(plan: &mut DataflowPlan, p: Pending) -> NodeId {
    let input_len = plan.nodes[p.node].schema.len();
    let identity = p.predicate.is_none()
        && p.exprs.len() == input_len
        && p.exprs.iter().enumerate().all(|(i, e)| matches!(e, ScalarExpr::Column { index, .. } if *index == i))
        && plan.nodes[p.node].schema.fields.iter().zip(&p.schema.fields).all(|(a, b)| a.name == b.name);
    if identity {
        return p.node;
    }
    plan.push(Operator::MapFilterProject { input: p.node, predicate: p.predicate, exprs: p.exprs }, p.schema)
}
