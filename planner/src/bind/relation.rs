//! FROM items: table scans and subqueries in FROM, each with the scope its columns are named in.

use super::scope::Scope;
use super::{Binder, Result, first_words, object_name};
use crate::error::PlanError;
use crate::logical::LogicalPlan;
use sqlparser::ast::{ObjectName, Spanned, TableFactor};

impl Binder<'_> {
    pub(super) fn relation(&self, rel: &TableFactor) -> Result<(LogicalPlan, Scope)> {
        match rel {
            TableFactor::Table { name, alias, args: None, .. } => self.table_scan(name, alias.as_ref().map(|a| a.name.value.clone())),
            TableFactor::TableFunction { expr, alias } => self.window_function(expr, alias.as_ref()),
            // A subquery's rows (a changelog if it aggregates) under its alias.
            TableFactor::Derived { lateral: false, subquery, alias, sample: None } => {
                let plan = self.query(subquery)?;
                let alias = alias.as_ref().map(|a| a.name.value.clone());
                let scope = Scope {
                    table: alias.clone().unwrap_or_default(),
                    alias,
                    schema: plan.schema().clone(),
                    grouping: None,
                    computed: Vec::new(),
                };
                Ok((plan, scope))
            }
            other => Err(PlanError::not_supported(format!("`{}` in FROM", first_words(&other.to_string())), other.span())),
        }
    }

    /// A scan of table `name`'s rows, read under `alias` if it has one.
    pub(super) fn table_scan(&self, name: &ObjectName, alias: Option<String>) -> Result<(LogicalPlan, Scope)> {
        let table = object_name(name);
        let def = self.catalog.get(&table).ok_or_else(|| self.catalog.unknown_table(&table, name.span()))?;
        if def.schema.is_empty() {
            return Err(PlanError::invalid(format!("table `{}` has no columns to read", def.name), name.span())
                .with_hint("declare its columns in CREATE TABLE to use it as a source"));
        }
        let source = def.source().map_err(|e| def.option_error(e, name.span()))?;
        let scope = Scope { table: def.name.clone(), alias, schema: def.schema.clone(), grouping: None, computed: Vec::new() };
        Ok((def.scan(source, false), scope))
    }
}
