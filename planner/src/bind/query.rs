//! Queries: `SELECT` with its projection, `WHERE`, `GROUP BY`/`HAVING`, `DISTINCT`, and the
//! aggregate calls it makes.

use super::expr::{bind_expr, is_null_literal};
use super::group_window::group_window;
use super::grouping_sets::{aggregate_sets, grouping_sets};
use super::nested;
use super::over;
use super::scope::{Grouping, Scope};
use super::{Binder, Result, object_name};
use crate::error::PlanError;
use crate::logical::{AggregateCall, LogicalPlan, WINDOW_COLUMNS};
use sqlparser::ast::{self as ast, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, SelectItem, Spanned, Value};
use sqlparser::tokenizer::Span;
use vstream_repr::{DataType, Field, ScalarExpr, Schema};

impl Binder<'_> {
    /// A statement's query: a subquery whose ranking functions are all bounded (Top-N).
    pub(super) fn query(&self, q: &ast::Query) -> Result<LogicalPlan> {
        let plan = self.subquery(q)?;
        over::check_ranks_bounded(&plan)?;
        Ok(plan)
    }

    /// A query: a SELECT or a set operation of them (possibly parenthesized), with its WITH
    /// clause, then its ORDER BY and LIMIT (both: a Top-N). A ranking function in it may be
    /// bounded by the query around it.
    pub(super) fn subquery(&self, q: &ast::Query) -> Result<LogicalPlan> {
        let ctes = match &q.with {
            Some(with) => self.begin_with(with)?,
            None => 0,
        };
        let plan = self.ordered_body(q);
        self.end_with(ctes);
        plan
    }

    /// A query's body with its ORDER BY and LIMIT, in the scope of its WITH clause.
    fn ordered_body(&self, q: &ast::Query) -> Result<LogicalPlan> {
        if let (Some(order), Some(limit)) = (&q.order_by, &q.limit_clause) {
            let plan = self.set_expr(&q.body)?;
            return over::order_by_limit(plan, order, limit);
        }
        let body = self.set_expr(&q.body)?;
        self.order_and_limit(q, body)
    }

    /// `SELECT [DISTINCT] items FROM relation [WHERE ...] [GROUP BY ...] [HAVING ...]`.
    pub(super) fn select(&self, select: &ast::Select) -> Result<LogicalPlan> {
        // `GROUP BY TUMBLE(ts, ...)` binds as the window table function's query.
        let group_window = group_window(select)?;
        let select = group_window.as_ref().map_or(select, |w| &w.select);
        let (mut plan, mut scope) = self.bind_from(select)?;
        if let Some(w) = &group_window {
            (plan, scope) = self.group_window_over(plan, scope, w)?;
        }
        // Window columns exist only per group of a window aggregate; rows before it have none.
        let first_window_col = matches!(plan, LogicalPlan::Window { .. }).then(|| scope.schema.len() - WINDOW_COLUMNS.len());
        let group_exprs: &[Expr] = match &select.group_by {
            GroupByExpr::Expressions(e, modifiers) if modifiers.is_empty() => e,
            g => return Err(PlanError::not_supported("this form of GROUP BY", g.span())),
        };
        if let Some(pred) = &select.selection {
            plan = over::bound_rank(where_clause(plan, pred, &scope, first_window_col)?);
        }
        if over::has_over_aggregate(&select.projection) {
            return self.select_over(plan, scope, select, !group_exprs.is_empty());
        }
        // GROUP BY, aggregates or HAVING make this an aggregation: the select list and HAVING are
        // then bound over the groups (keys, then aggregates), not over the input rows.
        let mut calls: Vec<&ast::Function> = Vec::new();
        for item in &select.projection {
            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                collect_aggregates(e, &mut calls);
            }
        }
        if let Some(h) = &select.having {
            collect_aggregates(h, &mut calls);
        }
        let (plan, scope) = if group_exprs.is_empty() && calls.is_empty() && select.having.is_none() {
            if let Some((i, f, func)) = over::rank_item(&select.projection)? {
                return self.select_rank(plan, scope, select, i, (f, func), first_window_col);
            }
            if first_window_col.is_some() {
                return Err(PlanError::not_supported("reading a window table function without GROUP BY", select.span())
                    .with_hint("aggregate its rows: GROUP BY window_start, window_end, ..., or rank them (window Top-N)"));
            }
            (plan, scope)
        } else {
            self.group(plan, scope, select, group_exprs, &calls)?
        };
        let (exprs, fields) = projection(&select.projection, &scope)?;
        let schema = Schema::new(fields);
        let project = LogicalPlan::Project { input: Box::new(plan), exprs, schema: schema.clone() };
        match &select.distinct {
            None | Some(ast::Distinct::All) => Ok(project),
            Some(ast::Distinct::Distinct) => Ok(distinct(project)),
            Some(other) => Err(PlanError::not_supported(format!("SELECT {other}"), select.span())),
        }
    }

    /// The one FROM item a query reads (no joins yet, but `CROSS JOIN UNNEST(...)` and
    /// `, UNNEST(...)`), and the scope of its columns.
    fn bind_from(&self, select: &ast::Select) -> Result<(LogicalPlan, Scope)> {
        if let [from, unnests @ ..] = select.from.as_slice()
            && (!unnests.is_empty() || !from.joins.is_empty())
            && from.joins.iter().all(|j| nested::is_unnest(&j.relation))
            && unnests.iter().all(|t| t.joins.is_empty() && nested::is_unnest(&t.relation))
        {
            let (mut plan, mut scope) = self.relation(&from.relation)?;
            for j in &from.joins {
                (plan, scope) = nested::join_unnest(plan, scope, &j.relation, Some(&j.join_operator), j.span())?;
            }
            for t in unnests {
                (plan, scope) = nested::join_unnest(plan, scope, &t.relation, None, t.span())?;
            }
            return Ok((plan, scope));
        }
        let [from] = select.from.as_slice() else {
            let span = select.from.get(1).map_or(select.span(), |t| t.span());
            return Err(if select.from.is_empty() {
                PlanError::invalid("a query needs a FROM clause naming a table", select.span())
            } else {
                PlanError::not_supported("a FROM list of several tables (joins)", span)
            });
        };
        if let Some(j) = from.joins.first() {
            return Err(PlanError::not_supported("JOIN", j.span()));
        }
        self.relation(&from.relation)
    }

    /// The aggregation of `plan`'s rows by `group_exprs` with the aggregate `calls`, filtered by
    /// HAVING, and the scope of its groups.
    fn group(
        &self,
        plan: LogicalPlan,
        scope: Scope,
        select: &ast::Select,
        group_exprs: &[Expr],
        calls: &[&ast::Function],
    ) -> Result<(LogicalPlan, Scope)> {
        let group_exprs = resolve_ordinals(group_exprs, &select.projection)?;
        let (mut plan, agg_scope) = match grouping_sets(&group_exprs, select)? {
            Some(sets) => aggregate_sets(plan, scope, select, sets, calls)?,
            None => aggregate(plan, scope, &group_exprs, calls)?,
        };
        self.check_window_aggregate(&plan, select)?;
        if let Some(h) = &select.having {
            let predicate = bind_expr(h, &agg_scope)?;
            if predicate.ty() != DataType::Boolean && !is_null_literal(&predicate) {
                return Err(PlanError::invalid(format!("HAVING needs a BOOLEAN condition, not {}", predicate.ty()), h.span()));
            }
            plan = LogicalPlan::Filter { input: Box::new(plan), predicate };
        }
        Ok((plan, agg_scope))
    }
}

/// SELECT DISTINCT (and UNION): a GROUP BY of every column of `plan`, with no aggregates.
pub(super) fn distinct(plan: LogicalPlan) -> LogicalPlan {
    let schema = plan.schema().clone();
    LogicalPlan::Aggregate {
        input: Box::new(plan),
        group_by: schema.fields.iter().enumerate().map(|(i, f)| ScalarExpr::column(i, f.ty)).collect(),
        aggregates: Vec::new(),
        schema,
    }
}

/// `WHERE pred` over `plan`'s rows: a BOOLEAN condition without aggregates, reading no window
/// column (those from `first_window_col` on, when `plan` is a window table function).
fn where_clause(plan: LogicalPlan, pred: &Expr, scope: &Scope, first_window_col: Option<usize>) -> Result<LogicalPlan> {
    if let Some(f) = first_aggregate(pred) {
        return Err(PlanError::invalid("aggregates are not allowed in WHERE", f.name.span()).with_hint("use HAVING to filter groups"));
    }
    let predicate = bind_expr(pred, scope)?;
    if !matches!(predicate.ty(), DataType::Boolean) && !is_null_literal(&predicate) {
        return Err(PlanError::invalid(format!("WHERE needs a BOOLEAN condition, not {}", predicate.ty()), pred.span()));
    }
    if let Some(first) = first_window_col {
        let mut reads_window = false;
        predicate.visit_columns(&mut |c| reads_window |= c >= first);
        if reads_window {
            return Err(PlanError::not_supported("a WHERE condition on a window column", pred.span())
                .with_hint("filter the window's rows with HAVING"));
        }
    }
    Ok(LogicalPlan::Filter { input: Box::new(plan), predicate })
}

/// The select list bound over `scope`: the expressions and their output columns.
pub(super) fn projection(items: &[SelectItem], scope: &Scope) -> Result<(Vec<ScalarExpr>, Vec<Field>)> {
    let mut exprs = Vec::new();
    let mut fields = Vec::new();
    for item in items {
        match item {
            SelectItem::Wildcard(_) if scope.grouping.is_some() => {
                return Err(PlanError::invalid("SELECT * is not allowed with GROUP BY", item.span())
                    .with_hint("list the grouped columns and aggregates"));
            }
            SelectItem::Wildcard(_) => {
                for (i, f) in scope.schema.fields.iter().enumerate() {
                    exprs.push(ScalarExpr::column(i, f.ty));
                    fields.push(f.clone());
                }
            }
            SelectItem::QualifiedWildcard(..) if scope.grouping.is_some() => {
                return Err(PlanError::invalid("SELECT t.* is not allowed with GROUP BY", item.span())
                    .with_hint("list the grouped columns and aggregates"));
            }
            SelectItem::QualifiedWildcard(kind, _) => {
                let q = kind.to_string();
                let q = q.trim_end_matches(".*").trim_end_matches('*').trim_end_matches('.');
                let Some(relation) = scope.relations_named(q).next() else {
                    // `r.*` of a ROW column: its fields, each a column.
                    for (e, f) in nested::row_fields(q, scope, item.span())? {
                        exprs.push(e);
                        fields.push(f);
                    }
                    continue;
                };
                for (i, f) in relation.schema.fields.iter().enumerate() {
                    exprs.push(relation.column(i));
                    fields.push(f.clone());
                }
            }
            SelectItem::UnnamedExpr(e) => {
                let b = bind_expr(e, scope)?;
                fields.push(Field::new(output_name(e), b.ty()));
                exprs.push(b);
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let b = bind_expr(expr, scope)?;
                fields.push(Field::new(alias.value.clone(), b.ty()));
                exprs.push(b);
            }
            other => return Err(PlanError::not_supported(format!("select item `{other}`"), other.span())),
        }
    }
    Ok((exprs, fields))
}

/// The column name of an unnamed select item: the column's own name, else the expression's text.
pub(super) fn output_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts.last().map_or_else(|| e.to_string(), |i| i.value.clone()),
        Expr::Nested(inner) => output_name(inner),
        other => other.to_string(),
    }
}

pub(super) use super::aggregate_call::{AGGREGATE_NAMES as AGGREGATES, bind_aggregate};

/// Whether `f` calls an aggregate function.
fn is_aggregate(f: &ast::Function) -> bool {
    AGGREGATES.contains(&object_name(&f.name).to_ascii_uppercase().as_str())
}

/// The direct sub-expressions of `e` that may hold an aggregate call.
pub(super) fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryOp { left, right, .. } => vec![left, right],
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::Cast { expr, .. }
        | Expr::Trim { expr, .. } => {
            vec![expr]
        }
        Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        Expr::Like { expr, pattern, .. } => vec![expr, pattern],
        Expr::In { expr, target: ast::InTarget::List(list), .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            std::iter::once(expr.as_ref()).chain(substring_from.as_deref()).chain(substring_for.as_deref()).collect()
        }
        Expr::Case { operand, conditions, else_result, .. } => operand
            .as_deref()
            .into_iter()
            .chain(conditions.iter().flat_map(|w| [&w.condition, &w.result]))
            .chain(else_result.as_deref())
            .collect(),
        Expr::Function(f) => match &f.args {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        },
        _ => vec![],
    }
}

/// Every aggregate call in `e`, not looking inside one (a nested aggregate is refused later).
fn collect_aggregates<'a>(e: &'a Expr, out: &mut Vec<&'a ast::Function>) {
    if let Expr::Function(f) = e
        && is_aggregate(f)
    {
        out.push(f);
        return;
    }
    for c in children(e) {
        collect_aggregates(c, out);
    }
}

/// The first aggregate call in `e`, if any.
pub(super) fn first_aggregate(e: &Expr) -> Option<&ast::Function> {
    let mut found = Vec::new();
    collect_aggregates(e, &mut found);
    found.into_iter().next()
}

/// `e` without outer parentheses.
pub(super) fn unparenthesized(mut e: &Expr) -> &Expr {
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// Binds the aggregate `calls` over `scope`, each distinct call (by its text) once: its output
/// column is appended to `fields` and its text to `computed` (as the select list finds it); a
/// call whose text is already in `computed` is not bound again.
pub(super) fn bind_aggregate_calls(
    calls: &[&ast::Function],
    scope: &Scope,
    computed: &mut Vec<(String, usize)>,
    fields: &mut Vec<Field>,
) -> Result<Vec<AggregateCall>> {
    let mut aggregates = Vec::new();
    for f in calls {
        let text = Expr::Function((*f).clone()).to_string();
        if computed.iter().any(|(t, _)| *t == text) {
            continue;
        }
        let call = bind_aggregate(f, scope)?;
        computed.push((text.clone(), fields.len()));
        fields.push(Field::new(text, call.ty));
        aggregates.push(call);
    }
    Ok(aggregates)
}

/// Builds the Aggregate for `group_exprs` and the aggregate `calls`, and the scope that binds the
/// select list and HAVING over its output.
fn aggregate(input: LogicalPlan, scope: Scope, group_exprs: &[Expr], calls: &[&ast::Function]) -> Result<(LogicalPlan, Scope)> {
    let mut group_by = Vec::new();
    let mut fields = Vec::new();
    let mut computed = Vec::new();
    for g in group_exprs {
        if let Some(f) = first_aggregate(g) {
            return Err(PlanError::invalid("aggregates are not allowed in GROUP BY", f.name.span()));
        }
        let b = bind_expr(g, &scope)?;
        // The key's text without outer parentheses, so `GROUP BY (a % 3)` matches `a % 3` in SELECT.
        computed.push((unparenthesized(g).to_string(), group_by.len()));
        fields.push(Field::new(output_name(g), b.ty()));
        group_by.push(b);
    }
    let aggregates = bind_aggregate_calls(calls, &scope, &mut computed, &mut fields)?;
    let schema = Schema::new(fields);
    let plan = LogicalPlan::Aggregate { input: Box::new(input), group_by: group_by.clone(), aggregates, schema: schema.clone() };
    let agg_scope = Scope::grouped(Grouping { input: scope, keys: group_by }, schema, computed);
    Ok((plan, agg_scope))
}

/// A function call's span, closing parenthesis included (sqlparser's ends before it).
pub(super) fn call_span(f: &ast::Function) -> Span {
    let mut span = f.span();
    if matches!(f.args, FunctionArguments::List(_)) && span.end.line == span.start.line {
        span.end.column += 1;
    }
    span
}

/// `GROUP BY 2` means the second select item, as in DuckDB and Postgres.
pub(super) fn resolve_ordinals(group_exprs: &[Expr], projection: &[SelectItem]) -> Result<Vec<Expr>> {
    group_exprs
        .iter()
        .map(|g| {
            let Expr::Value(v) = g else { return Ok(g.clone()) };
            let Value::Number(n, _) = &v.value else { return Ok(g.clone()) };
            let item = n.parse::<usize>().ok().filter(|i| *i >= 1).and_then(|i| projection.get(i - 1));
            match item {
                Some(SelectItem::UnnamedExpr(e)) | Some(SelectItem::ExprWithAlias { expr: e, .. }) => {
                    if let Some(f) = first_aggregate(e) {
                        return Err(PlanError::invalid(format!("GROUP BY {n} refers to an aggregate"), f.name.span()));
                    }
                    Ok(e.clone())
                }
                _ => Err(PlanError::invalid(format!("GROUP BY {n}: there is no select item {n}"), g.span())
                    .with_hint(format!("the select list has {} items", projection.len()))),
            }
        })
        .collect()
}
