//! Built-in scalar functions: the registry the binder types calls with ([`FunctionDef`]), and
//! their kernels, one module per category of Flink's function list.
//!
//! A kernel runs once per batch: it gets its arguments as [`Arg`]s (a column, or one literal
//! value for every row, which is never materialised) and builds its result with a
//! [`ColumnBuilder`]. Dispatch is one `match` per batch, never per row. State a kernel builds
//! from literal arguments (a compiled regular expression, a parsed date pattern) lives in the
//! call's [`CallCache`], so it is built once per query, not once per row or batch.

pub mod args;
pub mod collection;
pub mod conditional;
pub mod hash;
pub mod json;
pub mod math;
pub mod registry;
pub mod string;
pub mod temporal;

pub use crate::expr::Func;
pub use args::{Arg, CallCache, ColumnBuilder};
pub use registry::{ArgType, Category, FunctionDef, SigError, Typed};
