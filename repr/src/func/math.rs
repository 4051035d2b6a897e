//! Flink's numeric functions: rounding, logarithms, trigonometry, random numbers, number formatting.

use super::{Arg, CallCache, FunctionDef};
use crate::column::Column;
use crate::expr::EvalError;
use crate::types::DataType;
use serde::{Deserialize, Serialize};

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MathFunc {}

impl MathFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {}
    }
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    vec![]
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: MathFunc, _args: &[Arg<'_>], _ty: DataType, _n: usize, _cache: &CallCache) -> Result<Column, EvalError> {
    match f {}
}
