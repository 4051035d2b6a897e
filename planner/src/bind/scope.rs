//! The scope names are resolved in: the relations of a FROM clause and their columns, or the
//! groups of an aggregation.

use super::Result;
use crate::error::{PlanError, did_you_mean};
use sqlparser::ast;
use vstream_repr::{ScalarExpr, Schema};

/// The columns an expression can name.
pub(super) struct Scope {
    pub(super) table: String,
    pub(super) alias: Option<String>,
    pub(super) schema: Schema,
    /// After GROUP BY: the input's scope and the bound group keys (output columns 0..k), and the
    /// SQL text of each key and aggregate with its output column.
    pub(super) grouping: Option<Box<(Scope, Vec<ScalarExpr>)>>,
    pub(super) computed: Vec<(String, usize)>,
}

impl Scope {
    pub(super) fn matches_qualifier(&self, q: &str) -> bool {
        self.alias.as_deref().map_or(self.table.eq_ignore_ascii_case(q), |a| a.eq_ignore_ascii_case(q))
    }

    pub(super) fn column(&self, name: &ast::Ident) -> Result<ScalarExpr> {
        match self.schema.index_of(&name.value) {
            Some(i) => Ok(ScalarExpr::column(i, self.schema.fields[i].ty)),
            None => Err(PlanError::invalid(format!("unknown column `{}` in `{}`", name.value, self.table), name.span)
                .with_hint_opt(did_you_mean(&name.value, self.schema.fields.iter().map(|f| f.name.as_str())))),
        }
    }
}
