//! `ORDER BY` and `LIMIT`/`OFFSET`/`FETCH` after a query's body, as Flink runs them on a stream:
//! `ORDER BY` an event-time column ascending (then any columns), and `LIMIT n` of an insert-only
//! input. `ORDER BY ... LIMIT n` (a Top-N) is not here.

use super::scope::Scope;
use super::{Binder, Result};
use crate::error::PlanError;
use crate::logical::{LogicalPlan, RankRange, SortKey};
use sqlparser::ast::{self as ast, Expr, Spanned, Value};
use sqlparser::tokenizer::Span;
use vstream_repr::ScalarExpr;

impl Binder<'_> {
    /// The query's ORDER BY and LIMIT over `plan`, its body.
    pub(super) fn order_and_limit(&self, q: &ast::Query, plan: LogicalPlan) -> Result<LogicalPlan> {
        let limit = limit_clause(q)?;
        let plan = match &q.order_by {
            Some(o) if limit.is_some() => {
                return Err(PlanError::not_supported("ORDER BY with LIMIT (a Top-N) here", o.span())
                    .with_hint("rank rows with ROW_NUMBER() OVER (ORDER BY ...) and keep rn <= N"));
            }
            Some(o) => order_by(plan, o)?,
            None => plan,
        };
        let Some((offset, fetch, span)) = limit else { return Ok(plan) };
        if plan.is_changelog() {
            // Flink keeps an unordered Top-N here: which rows it keeps depends on arrival. This
            // one keeps the first by value (ties broken by the whole row, as every Top-N here),
            // so every run and worker count keeps the same rows.
            let Some(n) = fetch else {
                return Err(PlanError::not_supported("OFFSET without LIMIT over a changelog (rows that are updated or retracted)", span)
                    .with_hint("add LIMIT n: a changelog's rows are limited as a Top-N"));
            };
            let schema = plan.schema().clone();
            return Ok(LogicalPlan::Rank {
                input: Box::new(plan),
                func: vstream_repr::rank::RankFunc::RowNumber,
                partition_by: Vec::new(),
                order_by: Vec::new(),
                limit: Some(RankRange { lo: offset + 1, hi: offset.saturating_add(n) }),
                rank_column: false,
                schema,
                span,
            });
        }
        Ok(LogicalPlan::Limit { input: Box::new(plan), offset, fetch })
    }
}

/// `(offset, fetch, where it is written)` of `LIMIT n [OFFSET m]` or `OFFSET m ROWS FETCH
/// FIRST n ROWS ONLY`; `None` without either.
fn limit_clause(q: &ast::Query) -> Result<Option<(u64, Option<u64>, Span)>> {
    let (mut offset, mut fetch, mut span) = (0, None, None);
    match &q.limit_clause {
        Some(ast::LimitClause::LimitOffset { limit, offset: off, limit_by }) => {
            if let Some(e) = limit_by.first() {
                return Err(PlanError::not_supported("LIMIT ... BY", e.span()));
            }
            if let Some(l) = limit {
                fetch = Some(count(l, "LIMIT")?);
            }
            if let Some(o) = off {
                offset = count(&o.value, "OFFSET")?;
            }
            span = q.limit_clause.as_ref().map(Spanned::span);
        }
        Some(c @ ast::LimitClause::OffsetCommaLimit { .. }) => {
            return Err(PlanError::not_supported("`LIMIT offset, count`", c.span()).with_hint("write LIMIT count OFFSET offset"));
        }
        None => {}
    }
    if let Some(f) = &q.fetch {
        let at = f.quantity.as_ref().map_or(span.unwrap_or(Span::empty()), Spanned::span);
        if f.with_ties || f.percent {
            return Err(PlanError::not_supported("FETCH ... PERCENT or WITH TIES", at));
        }
        if fetch.is_some() {
            return Err(PlanError::invalid("both LIMIT and FETCH", at));
        }
        fetch = Some(match &f.quantity {
            Some(n) => count(n, "FETCH")?,
            None => 1,
        });
        span = Some(span.map_or(at, |s| s.union(&at)));
    }
    Ok(span.map(|s| (offset, fetch, s)))
}

/// A row count: a non-negative integer literal.
fn count(e: &Expr, what: &str) -> Result<u64> {
    if let Expr::Value(v) = e
        && let Value::Number(n, _) = &v.value
        && let Ok(c) = n.parse::<u64>()
    {
        return Ok(c);
    }
    Err(PlanError::invalid(format!("{what} needs a non-negative integer literal, not `{e}`"), e.span()))
}

/// `ORDER BY` over the query's output columns: the first key an event-time column, ascending.
fn order_by(plan: LogicalPlan, o: &ast::OrderBy) -> Result<LogicalPlan> {
    let ast::OrderByKind::Expressions(items) = &o.kind else {
        return Err(PlanError::not_supported("ORDER BY ALL", o.span()));
    };
    let scope = Scope::single(None, None, plan.schema().clone());
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let column = match super::expr::bind_expr(&item.expr, &scope)? {
            ScalarExpr::Column { index, .. } => index,
            _ => {
                return Err(PlanError::not_supported("ORDER BY an expression", item.expr.span())
                    .with_hint("select it as a column and order by its name"));
            }
        };
        let descending = match &item.options.sort {
            None | Some(ast::OrderBySort::Asc) => false,
            Some(ast::OrderBySort::Desc) => true,
            Some(_) => return Err(PlanError::not_supported("ORDER BY ... USING", item.span())),
        };
        if i == 0 && (descending || !is_event_time(&plan, column)) {
            let what = if descending { "ORDER BY a time attribute descending" } else { "ORDER BY on a stream" };
            return Err(PlanError::not_supported(what, item.expr.span()).with_hint(
                "the output is a stream in arrival order: it can be ordered by its event time (the WATERMARK column) \
                 ascending, then other columns; else sort the sink's result downstream",
            ));
        }
        keys.push(SortKey { column, descending, nulls_first: item.options.nulls_first.unwrap_or(!descending) });
    }
    if plan.is_changelog() {
        return Err(PlanError::not_supported("ORDER BY over a changelog (rows that are updated or retracted)", o.span()));
    }
    Ok(LogicalPlan::Sort { input: Box::new(plan), keys })
}

/// Whether output column `col` of `plan` is its table's event time, passed on unchanged.
fn is_event_time(plan: &LogicalPlan, col: usize) -> bool {
    match plan {
        LogicalPlan::Scan { projection, event_time: Some(et), late: false, .. } => projection.get(col) == Some(&et.column),
        LogicalPlan::Filter { input, .. } | LogicalPlan::Limit { input, .. } | LogicalPlan::Sort { input, .. } => is_event_time(input, col),
        LogicalPlan::Project { input, exprs, .. } => match exprs.get(col) {
            Some(ScalarExpr::Column { index, .. }) => is_event_time(input, *index),
            _ => false,
        },
        _ => false,
    }
}
