//! The bound logical plan: what a query computes, with names resolved and types known.

use vstream_connectors::{SinkSpec, SourceSpec};
use vstream_repr::agg::AggFunc;
use vstream_repr::{DataType, ScalarExpr, Schema};

/// One aggregate of a GROUP BY, over the columns of the Aggregate's input.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    pub func: AggFunc,
    /// `None` for COUNT(*).
    pub arg: Option<ScalarExpr>,
    pub distinct: bool,
    /// `FILTER (WHERE ...)`: only rows where it is TRUE count.
    pub filter: Option<ScalarExpr>,
    pub ty: DataType,
}

/// A relational operator tree. One variant per operator; each lowers to dataflow operators in
/// `dataflow::lower`.
#[derive(Clone, Debug, PartialEq)]
pub enum LogicalPlan {
    /// Reads the table's columns `projection` (indices into `table_schema`), in that order.
    /// Projection pushdown narrows `projection` so a source never decodes a column nobody reads.
    Scan { table: String, source: SourceSpec, table_schema: Schema, projection: Vec<usize>, schema: Schema },
    /// Keeps the rows where `predicate` is TRUE (not FALSE, not NULL).
    Filter { input: Box<LogicalPlan>, predicate: ScalarExpr },
    /// Computes one output column per expression.
    Project { input: Box<LogicalPlan>, exprs: Vec<ScalarExpr>, schema: Schema },
    /// Groups rows by `group_by` and computes `aggregates` per group: the group columns, then
    /// one column per aggregate. Its output is a changelog: a group's row is retracted and
    /// re-emitted as the group changes.
    Aggregate { input: Box<LogicalPlan>, group_by: Vec<ScalarExpr>, aggregates: Vec<AggregateCall>, schema: Schema },
}

impl LogicalPlan {
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Scan { schema, .. } | LogicalPlan::Project { schema, .. } | LogicalPlan::Aggregate { schema, .. } => schema,
            LogicalPlan::Filter { input, .. } => input.schema(),
        }
    }

    /// Whether the plan's output is a changelog (rows may be retracted) rather than inserts only.
    pub fn is_changelog(&self) -> bool {
        match self {
            LogicalPlan::Scan { .. } => false,
            LogicalPlan::Aggregate { .. } => true,
            LogicalPlan::Filter { input, .. } | LogicalPlan::Project { input, .. } => input.is_changelog(),
        }
    }

    fn names(&self) -> Vec<String> {
        self.schema().fields.iter().map(|f| f.name.clone()).collect()
    }

    /// Narrows every scan to the columns the plan reads; `needed` are the output columns used.
    /// Returns the new plan and, for each old output column, its new index if it is kept.
    pub fn prune(self, needed: &[usize]) -> (LogicalPlan, Vec<Option<usize>>) {
        match self {
            LogicalPlan::Scan { table, source, table_schema, projection, schema } => {
                let mut keep: Vec<usize> = needed.to_vec();
                keep.sort_unstable();
                keep.dedup();
                let mut map = vec![None; projection.len()];
                for (new, old) in keep.iter().enumerate() {
                    map[*old] = Some(new);
                }
                let projection: Vec<usize> = keep.iter().map(|i| projection[*i]).collect();
                let schema = Schema::new(keep.iter().map(|i| schema.fields[*i].clone()).collect());
                (LogicalPlan::Scan { table, source, table_schema, projection, schema }, map)
            }
            LogicalPlan::Filter { input, mut predicate } => {
                let mut need = needed.to_vec();
                predicate.visit_columns(&mut |c| need.push(c));
                let (input, map) = input.prune(&need);
                predicate.remap_columns(&|c| map[c].unwrap_or(c));
                (LogicalPlan::Filter { input: Box::new(input), predicate }, map)
            }
            LogicalPlan::Aggregate { input, mut group_by, mut aggregates, schema } => {
                // Every output of an aggregate is kept; its input needs what the keys and
                // aggregates read.
                let mut need = Vec::new();
                for e in &group_by {
                    e.visit_columns(&mut |c| need.push(c));
                }
                for a in &aggregates {
                    a.arg.iter().chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| need.push(c)));
                }
                let (input, inner) = input.prune(&need);
                let remap = |c: usize| inner[c].unwrap_or(c);
                group_by.iter_mut().for_each(|e| e.remap_columns(&remap));
                for a in &mut aggregates {
                    a.arg.iter_mut().chain(a.filter.iter_mut()).for_each(|e| e.remap_columns(&remap));
                }
                let map = (0..schema.len()).map(Some).collect();
                (LogicalPlan::Aggregate { input: Box::new(input), group_by, aggregates, schema }, map)
            }
            LogicalPlan::Project { input, exprs, schema } => {
                let mut keep: Vec<usize> = needed.to_vec();
                keep.sort_unstable();
                keep.dedup();
                let mut need = Vec::new();
                for i in &keep {
                    exprs[*i].visit_columns(&mut |c| need.push(c));
                }
                let (input, inner) = input.prune(&need);
                let mut map = vec![None; exprs.len()];
                let mut new_exprs = Vec::with_capacity(keep.len());
                let mut fields = Vec::with_capacity(keep.len());
                for (new, old) in keep.iter().enumerate() {
                    let mut e = exprs[*old].clone();
                    e.remap_columns(&|c| inner[c].unwrap_or(c));
                    new_exprs.push(e);
                    fields.push(schema.fields[*old].clone());
                    map[*old] = Some(new);
                }
                (LogicalPlan::Project { input: Box::new(input), exprs: new_exprs, schema: Schema::new(fields) }, map)
            }
        }
    }

    /// Appends this plan as an indented tree, one operator a line.
    pub fn explain_into(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match self {
            LogicalPlan::Scan { table, table_schema, schema, .. } => {
                let cols: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
                out.push_str(&format!("{pad}Scan {table} columns=[{}] of {}\n", cols.join(", "), table_schema.len()));
            }
            LogicalPlan::Filter { input, predicate } => {
                out.push_str(&format!("{pad}Filter {}\n", predicate.display_with(&input.names())));
                input.explain_into(depth + 1, out);
            }
            LogicalPlan::Aggregate { input, group_by, aggregates, .. } => {
                let names = input.names();
                let keys: Vec<String> = group_by.iter().map(|e| e.display_with(&names).to_string()).collect();
                let aggs: Vec<String> = aggregates
                    .iter()
                    .map(|a| {
                        let arg = a.arg.as_ref().map_or("*".to_string(), |e| e.display_with(&names).to_string());
                        let mut t = format!("{}({}{arg})", a.func.name(), if a.distinct { "DISTINCT " } else { "" });
                        if let Some(f) = &a.filter {
                            t.push_str(&format!(" FILTER (WHERE {})", f.display_with(&names)));
                        }
                        t
                    })
                    .collect();
                out.push_str(&format!("{pad}Aggregate group=[{}] aggregates=[{}]\n", keys.join(", "), aggs.join(", ")));
                input.explain_into(depth + 1, out);
            }
            LogicalPlan::Project { input, exprs, schema } => {
                let names = input.names();
                let items: Vec<String> = exprs
                    .iter()
                    .zip(&schema.fields)
                    .map(|(e, f)| {
                        let text = e.display_with(&names).to_string();
                        if text == f.name { text } else { format!("{}={text}", f.name) }
                    })
                    .collect();
                out.push_str(&format!("{pad}Project {}\n", items.join(", ")));
                input.explain_into(depth + 1, out);
            }
        }
    }
}

/// One query of the script and where its rows go.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkPlan {
    /// The sink table's name (`stdout` for a bare SELECT).
    pub name: String,
    pub sink: SinkSpec,
    pub query: LogicalPlan,
}

/// Every query of a script.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ScriptPlan {
    pub sinks: Vec<SinkPlan>,
}

impl ScriptPlan {
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for s in &self.sinks {
            let cols: Vec<String> = s.query.schema().fields.iter().map(|f| format!("{} {}", f.name, f.ty)).collect();
            let kind = if s.query.is_changelog() { " changelog" } else { "" };
            out.push_str(&format!("Sink {}{kind} ({})\n", s.name, cols.join(", ")));
            s.query.explain_into(1, &mut out);
        }
        out
    }
}
