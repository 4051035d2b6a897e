//! vstream's runtime: renders a [`DataflowPlan`](vstream_planner::DataflowPlan) into timely
//! operators on every worker and runs it. This is the only crate that knows timely.
//!
//! Rows travel as `Vec<Batch>` containers (column batches), so timely handles one message per
//! few thousand rows, never one per row. Nothing on the data path takes a lock: each worker owns
//! its operators' state; the run's counters are atomics updated once per batch.

#![warn(missing_docs)]

pub mod cluster;
pub mod context;
pub mod error;
pub mod metrics;
pub mod operators;
pub mod paths;
pub mod render;
pub mod run;
pub mod time;

pub use error::DataflowError;
pub use metrics::{Metrics, RunSummary};
pub use operators::keyed::DEFAULT_KEY_GROUPS;
pub use run::{RunConfig, RunError, StdoutTarget, run};
