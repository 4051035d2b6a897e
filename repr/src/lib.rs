//! Data representation shared by every layer of vstream: SQL types, scalar values, column batches,
//! and the scalar expressions evaluated over them.
//!
//! Rows move through the dataflow as [`Batch`]es of typed columns rather than as one value per row:
//! the expression kernels in [`expr`] then run one tight loop per operator per batch (DuckDB's
//! vectorised model), and a batch is one serde value when it crosses workers.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod agg;
pub mod batch;
pub mod column;
pub mod datefmt;
pub mod datum;
pub mod decimal;
pub mod expr;
pub mod jsonpath;
pub mod origin;
pub mod rank;
pub mod timestamp;
pub mod types;
pub mod window;

pub use batch::{Batch, RowKind};
pub use column::{Column, ColumnData, StringColumn};
pub use datum::Datum;
pub mod func;
pub use expr::{BinaryOp, EvalError, Func, ScalarExpr, UnaryOp};
pub use types::{DataType, Field, Layout, RowField, Schema};
pub use window::{EventTime, WindowAssigner, WindowEmit};
