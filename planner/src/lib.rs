//! vstream's planner: SQL text → sqlparser AST → bound logical plan → dataflow plan.
//!
//! Plans are plain data (serde where they cross into the runtime); nothing here knows timely.

#![warn(missing_docs)]

pub mod bind;
pub mod catalog;
pub mod dataflow;
pub mod dialect;
pub mod error;
pub mod explain;
pub mod logical;

pub use bind::{Catalog, PlanOptions};
pub use dataflow::{DataflowPlan, Node, NodeId, Operator};
pub use error::{ErrorKind, PlanError, Position};
pub use logical::{LogicalPlan, ScriptPlan, SinkPlan};

use std::path::Path;

/// Both plans of a script.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The bound queries, projections pushed into their scans.
    pub logical: ScriptPlan,
    /// What the runtime instantiates on every worker.
    pub dataflow: DataflowPlan,
    /// The plans of the script's `EXPLAIN` statements, in order: printed, not run.
    pub explains: Vec<Planned>,
}

/// Plans a script: parses, binds, pushes projections into the scans, and lowers to a dataflow.
/// `base_dir` is the script's folder, where relative paths in options start.
pub fn plan_script(sql: &str, base_dir: &Path) -> Result<Planned, PlanError> {
    plan_script_with(sql, base_dir, &PlanOptions::default())
}

/// [`plan_script`] with settings from the command line.
pub fn plan_script_with(sql: &str, base_dir: &Path, options: &PlanOptions) -> Result<Planned, PlanError> {
    let (_catalog, logical) = bind::bind_script_with(sql, base_dir, options)?;
    Ok(lower_script(logical))
}

/// Pushes projections into the scans of a bound script (and its EXPLAINed statements) and
/// lowers it.
fn lower_script(mut logical: ScriptPlan) -> Planned {
    for sink in &mut logical.sinks {
        let all: Vec<usize> = (0..sink.query.schema().len()).collect();
        sink.query = sink.query.clone().prune(&all).0;
    }
    let explains = std::mem::take(&mut logical.explains).into_iter().map(lower_script).collect();
    let dataflow = dataflow::lower(&logical);
    Planned { logical, dataflow, explains }
}

/// The folder of a script, made absolute: relative paths in its options start there.
pub fn script_dir(script: &Path) -> std::path::PathBuf {
    let dir = script.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}
