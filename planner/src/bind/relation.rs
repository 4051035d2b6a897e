//! FROM items: table scans and subqueries in FROM, each with the scope its columns are named in.

use super::scope::Scope;
use super::{Binder, Result, first_words, object_name};
use crate::error::PlanError;
use crate::logical::LogicalPlan;
use sqlparser::ast::{ObjectName, Spanned, TableFactor};

impl Binder<'_> {
    /// One FROM item: a table, a window table function over one, or a subquery; its rows and
    /// the scope its columns are named in.
    pub(super) fn relation(&self, rel: &TableFactor) -> Result<(LogicalPlan, Scope)> {
        match rel {
            TableFactor::Table { name, alias, args: None, .. } => {
                let alias = alias.as_ref().map(|a| a.name.value.clone());
                match self.view(&object_name(name)) {
                    // A view's rows under its name, like a table's.
                    Some(view) => {
                        let scope = Scope::single(Some(view.name.clone()), alias, view.plan.schema().clone());
                        Ok((view.plan, scope))
                    }
                    None => self.table_scan(name, alias),
                }
            }
            TableFactor::TableFunction { expr, alias } => self.window_function(expr, alias.as_ref()),
            // A subquery's rows (a changelog if it aggregates) under its alias.
            TableFactor::Derived { lateral: false, subquery, alias, sample: None } => {
                let plan = self.subquery(subquery)?;
                let alias = alias.as_ref().map(|a| a.name.value.clone());
                let scope = Scope::single(None, alias, plan.schema().clone());
                Ok((plan, scope))
            }
            other => Err(PlanError::not_supported(format!("`{}` in FROM", first_words(&other.to_string())), other.span())),
        }
    }

    /// A scan of table `name`'s rows, read under `alias` if it has one.
    pub(super) fn table_scan(&self, name: &ObjectName, alias: Option<String>) -> Result<(LogicalPlan, Scope)> {
        let table = object_name(name);
        let def = self.catalog.get(&table).ok_or_else(|| self.unknown_relation(&table, name.span()))?;
        if def.schema.is_empty() {
            return Err(PlanError::invalid(format!("table `{}` has no columns to read", def.name), name.span())
                .with_hint("declare its columns in CREATE TABLE to use it as a source"));
        }
        let source = def.source().map_err(|e| def.option_error(e, name.span()))?;
        let scope = Scope::single(Some(def.name.clone()), alias, def.schema.clone());
        Ok((def.scan(source, false), scope))
    }
}
