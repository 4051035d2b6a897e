//! The bound logical plan: what a query computes, with names resolved and types known.

use vstream_connectors::{SinkSpec, SourceSpec};
use vstream_repr::{ScalarExpr, Schema};

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
}

impl LogicalPlan {
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Scan { schema, .. } | LogicalPlan::Project { schema, .. } => schema,
            LogicalPlan::Filter { input, .. } => input.schema(),
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
            out.push_str(&format!("Sink {} ({})\n", s.name, cols.join(", ")));
            s.query.explain_into(1, &mut out);
        }
        out
    }
}
