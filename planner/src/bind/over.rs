//! Ranking window functions in SELECT: `ROW_NUMBER()`, `RANK()` and `DENSE_RANK() OVER
//! (PARTITION BY ... ORDER BY ...)` (inline or `OVER w` with `WINDOW w AS (...)`) bound into a
//! `LogicalPlan::Rank`; the enclosing query's filter on the rank made the Rank's limit (Flink's
//! Top-N pattern); and `ORDER BY ... LIMIT n` at a query's top as a Top-N of one partition.

use super::expr::{bind_expr, interval_millis};
use super::query::{AGGREGATES, bind_aggregate, children, output_name, projection};
use super::scope::Scope;
use super::{Binder, Result, object_name};
use crate::error::PlanError;
use crate::logical::{LogicalPlan, RankRange};
use sqlparser::ast::{self as ast, Expr, FunctionArguments, SelectItem, Spanned, Value};
use vstream_repr::rank::{OverFrame, RankFunc, SortOrder};
use vstream_repr::{BinaryOp, DataType, Datum, Field, ScalarExpr, Schema};

/// The hint of every Top-N error: the pattern Flink runs.
const TOP_N_HINT: &str = "Flink runs ranking functions as a Top-N: SELECT * FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) AS rn FROM t) WHERE rn <= N";

/// The ranking function `f` calls with an OVER clause, if it does.
fn rank_call(e: &Expr) -> Option<(&ast::Function, RankFunc)> {
    let Expr::Function(f) = e else { return None };
    f.over.as_ref()?;
    Some((f, RankFunc::from_name(&object_name(&f.name).to_ascii_uppercase())?))
}

/// The select item that is a ranking window function call, if any: its index, the call and the
/// function. A second one is refused.
pub(super) fn rank_item(items: &[SelectItem]) -> Result<Option<(usize, &ast::Function, RankFunc)>> {
    let mut found = None;
    for (i, item) in items.iter().enumerate() {
        let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else { continue };
        if let Some((f, func)) = rank_call(e) {
            if found.is_some() {
                return Err(PlanError::not_supported("several ranking functions in one SELECT", f.name.span()));
            }
            found = Some((i, f, func));
        }
    }
    Ok(found)
}

/// The window specification of `f`'s OVER clause: inline, or a `WINDOW w AS (...)` of `select`.
fn window_spec<'a>(f: &'a ast::Function, select: &'a ast::Select) -> Result<&'a ast::WindowSpec> {
    let mut over = match &f.over {
        Some(ast::WindowType::WindowSpec(spec)) => return Ok(spec),
        Some(ast::WindowType::NamedWindow(name)) => name,
        None => return Err(PlanError::internal("a ranking function without OVER", f.name.span())),
    };
    // `WINDOW a AS b, b AS (...)`: follow the names, at most once per definition.
    for _ in 0..=select.named_window.len() {
        let Some(ast::NamedWindowDefinition(_, def)) = select.named_window.iter().find(|d| d.0.value.eq_ignore_ascii_case(&over.value))
        else {
            return Err(PlanError::invalid(format!("unknown window `{}`", over.value), over.span)
                .with_hint("define it after WHERE/GROUP BY: WINDOW w AS (PARTITION BY ... ORDER BY ...)"));
        };
        match def {
            ast::NamedWindowExpr::WindowSpec(spec) => return Ok(spec),
            ast::NamedWindowExpr::NamedWindow(next) => over = next,
        }
    }
    Err(PlanError::invalid(format!("window `{}` is defined in terms of itself", over.value), over.span))
}

/// `ORDER BY` keys bound over `scope`, with their orders.
fn sort_keys(order_by: &[ast::OrderByExpr], scope: &Scope) -> Result<Vec<(ScalarExpr, SortOrder)>> {
    order_by
        .iter()
        .map(|o| {
            let descending = match &o.options.sort {
                None | Some(ast::OrderBySort::Asc) => false,
                Some(ast::OrderBySort::Desc) => true,
                Some(ast::OrderBySort::Using(_)) => return Err(PlanError::not_supported("ORDER BY ... USING", o.span())),
            };
            Ok((bind_expr(&o.expr, scope)?, SortOrder::new(descending, o.options.nulls_first)))
        })
        .collect()
}

impl Binder<'_> {
    /// A SELECT whose item `i` is the ranking function `call`: the Rank over `plan` (its FROM
    /// and WHERE), and the select list with the rank at item `i`.
    pub(super) fn select_rank(
        &self,
        plan: LogicalPlan,
        scope: Scope,
        select: &ast::Select,
        i: usize,
        call: (&ast::Function, RankFunc),
        first_window_col: Option<usize>,
    ) -> Result<LogicalPlan> {
        if let Some(d) = &select.distinct {
            return Err(PlanError::not_supported(format!("SELECT {d} with a ranking function"), select.span()));
        }
        let item = &select.projection[i];
        let name = match item {
            SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
            _ => output_name(&Expr::Function(call.0.clone())),
        };
        let rank_col = scope.schema.len();
        let plan = self.rank(plan, &scope, call, name.clone(), select)?;
        if let Some(first) = first_window_col {
            check_window_rank(&plan, first, call.0)?;
        }
        let (mut exprs, mut fields) = projection(&select.projection[..i], &scope)?;
        exprs.push(ScalarExpr::column(rank_col, DataType::BigInt));
        fields.push(Field::new(name, DataType::BigInt));
        let (after, after_fields) = projection(&select.projection[i + 1..], &scope)?;
        exprs.extend(after);
        fields.extend(after_fields);
        Ok(LogicalPlan::Project { input: Box::new(plan), exprs, schema: Schema::new(fields) })
    }

    /// `func() OVER (...)` over `plan`'s rows (named in `scope`), as a Rank without a limit yet;
    /// its rank column is named `name`.
    pub(super) fn rank(
        &self,
        plan: LogicalPlan,
        scope: &Scope,
        (f, func): (&ast::Function, RankFunc),
        name: String,
        select: &ast::Select,
    ) -> Result<LogicalPlan> {
        let span = f.name.span();
        let no_args = match &f.args {
            FunctionArguments::None => true,
            FunctionArguments::List(list) => list.args.is_empty() && list.clauses.is_empty(),
            FunctionArguments::Subquery(_) => false,
        };
        if !no_args || f.filter.is_some() {
            return Err(PlanError::invalid(format!("{}() takes no arguments", func.name()), f.span()));
        }
        let spec = window_spec(f, select)?;
        if spec.window_frame.is_some() {
            return Err(PlanError::invalid(format!("{}() takes no window frame", func.name()), span)
                .with_hint("remove the ROWS/RANGE frame: the rank counts every row of the partition before it"));
        }
        if let Some(base) = &spec.window_name {
            return Err(PlanError::not_supported("a window that extends another (OVER (w ...))", base.span));
        }
        if spec.order_by.is_empty() {
            return Err(PlanError::invalid(format!("{}() needs ORDER BY in its OVER clause", func.name()), span).with_hint(TOP_N_HINT));
        }
        let partition_by = spec.partition_by.iter().map(|e| bind_expr(e, scope)).collect::<Result<Vec<_>>>()?;
        let order_by = sort_keys(&spec.order_by, scope)?;
        let mut fields = plan.schema().fields.clone();
        fields.push(Field::new(name, DataType::BigInt));
        let schema = Schema::new(fields);
        Ok(LogicalPlan::Rank { input: Box::new(plan), func, partition_by, order_by, limit: None, rank_column: true, schema, span })
    }
}

/// `plan` with a filter on a Rank's rank (a subquery's rank column, through its projection)
/// made the Rank's limit: `rn <= N`, `rn < N`, `rn = N`, `rn BETWEEN a AND b`, ... The rest of
/// the filter stays. Any other plan is returned as it is.
pub(super) fn bound_rank(plan: LogicalPlan) -> LogicalPlan {
    let LogicalPlan::Filter { input, predicate } = plan else { return plan };
    let rank_outputs: Vec<usize> = match input.as_ref() {
        LogicalPlan::Project { input: rank, exprs, .. } => match rank.as_ref() {
            LogicalPlan::Rank { limit: None, rank_column: true, schema, .. } => {
                let rank_col = schema.len() - 1;
                exprs
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| matches!(e, ScalarExpr::Column { index, .. } if *index == rank_col))
                    .map(|(j, _)| j)
                    .collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if rank_outputs.is_empty() {
        return LogicalPlan::Filter { input, predicate };
    }
    let (mut lo, mut hi) = (1i64, None::<i64>);
    let mut rest = Vec::new();
    for c in conjuncts(predicate.clone()) {
        match rank_bound(&c, &rank_outputs) {
            Some((l, h)) => {
                lo = lo.max(l.unwrap_or(1));
                if let Some(h) = h {
                    hi = Some(hi.map_or(h, |x: i64| x.min(h)));
                }
            }
            None => rest.push(c),
        }
    }
    let Some(hi) = hi else {
        // Without an upper bound the Rank stays unbounded (and is refused with its hint).
        return LogicalPlan::Filter { input, predicate };
    };
    let range = RankRange { lo: lo.max(1) as u64, hi: hi.max(0) as u64 };
    let LogicalPlan::Project { input: rank, exprs, schema } = *input else { unreachable!("matched as a Project above") };
    let LogicalPlan::Rank { input: rank_input, func, partition_by, order_by, rank_column, schema: rank_schema, span, .. } = *rank else {
        unreachable!("matched as a Rank above")
    };
    let rank =
        LogicalPlan::Rank { input: rank_input, func, partition_by, order_by, limit: Some(range), rank_column, schema: rank_schema, span };
    let project = LogicalPlan::Project { input: Box::new(rank), exprs, schema };
    match rest.into_iter().reduce(and) {
        Some(predicate) => LogicalPlan::Filter { input: Box::new(project), predicate },
        None => project,
    }
}

fn and(a: ScalarExpr, b: ScalarExpr) -> ScalarExpr {
    ScalarExpr::Binary { op: BinaryOp::And, left: Box::new(a), right: Box::new(b), ty: DataType::Boolean }
}

/// The AND-ed parts of `e`.
fn conjuncts(e: ScalarExpr) -> Vec<ScalarExpr> {
    match e {
        ScalarExpr::Binary { op: BinaryOp::And, left, right, .. } => {
            let mut out = conjuncts(*left);
            out.extend(conjuncts(*right));
            out
        }
        other => vec![other],
    }
}

/// The bounds `(lo, hi)` a comparison of a rank column (one of `rank_cols`) with an integer
/// literal puts on the rank, if `e` is one.
fn rank_bound(e: &ScalarExpr, rank_cols: &[usize]) -> Option<(Option<i64>, Option<i64>)> {
    let ScalarExpr::Binary { op, left, right, .. } = e else { return None };
    fn uncast(e: &ScalarExpr) -> &ScalarExpr {
        match e {
            ScalarExpr::Cast { expr, .. } => uncast(expr),
            other => other,
        }
    }
    let is_rank = |e: &ScalarExpr| matches!(uncast(e), ScalarExpr::Column { index, .. } if rank_cols.contains(index));
    let int = |e: &ScalarExpr| match uncast(e) {
        ScalarExpr::Literal { value: Datum::Int(v), .. } => Some(*v),
        _ => None,
    };
    // The rank on the left: `3 >= rn` is `rn <= 3`.
    let (op, v) = if is_rank(left) {
        (*op, int(right)?)
    } else if is_rank(right) {
        let flipped = match op {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => *other,
        };
        (flipped, int(left)?)
    } else {
        return None;
    };
    Some(match op {
        BinaryOp::Lt => (None, Some(v.saturating_sub(1))),
        BinaryOp::LtEq => (None, Some(v)),
        BinaryOp::Eq => (Some(v), Some(v)),
        BinaryOp::Gt => (Some(v.saturating_add(1)), None),
        BinaryOp::GtEq => (Some(v), None),
        _ => return None,
    })
}

/// Refuses a Rank that no filter bounds: Flink runs ranking functions only as a Top-N.
pub(super) fn check_ranks_bounded(plan: &LogicalPlan) -> Result<()> {
    if let LogicalPlan::Rank { limit: None, func, span, .. } = plan {
        return Err(PlanError::not_supported(format!("{}() without a filter on its rank", func.name()), *span).with_hint(TOP_N_HINT));
    }
    plan.inputs().into_iter().try_for_each(check_ranks_bounded)
}

/// `ORDER BY keys LIMIT n [OFFSET m]` over `plan`'s rows: a Top-N of one partition (ranks
/// `m+1..=m+n` by ROW_NUMBER), the keys named by the query's output columns or ordinals.
pub(super) fn order_by_limit(plan: LogicalPlan, order: &ast::OrderBy, limit: &ast::LimitClause) -> Result<LogicalPlan> {
    let ast::OrderByKind::Expressions(keys) = &order.kind else {
        return Err(PlanError::not_supported("ORDER BY ALL", order.span()));
    };
    let ast::LimitClause::LimitOffset { limit: Some(n), offset, limit_by } = limit else {
        return Err(PlanError::not_supported("this form of LIMIT", limit.span()));
    };
    if let Some(by) = limit_by.first() {
        return Err(PlanError::not_supported("LIMIT BY", by.span()));
    }
    let count = |e: &Expr, what: &str| match e {
        Expr::Value(v) if matches!(&v.value, Value::Number(..)) => match &v.value {
            Value::Number(text, _) => {
                text.parse::<u64>().map_err(|_| PlanError::invalid(format!("{what} needs a whole number, not {text}"), e.span()))
            }
            _ => unreachable!("matched as a number"),
        },
        other => Err(PlanError::not_supported(format!("{what} {other} (only a number)"), other.span())),
    };
    let n = count(n, "LIMIT")?;
    let skip = offset.as_ref().map(|o| count(&o.value, "OFFSET")).transpose()?.unwrap_or(0);
    let schema = plan.schema().clone();
    let scope = Scope::single(None, None, schema.clone());
    // `ORDER BY 2`: the second output column.
    let ordinals: Vec<ast::OrderByExpr> = keys
        .iter()
        .map(|k| match &k.expr {
            Expr::Value(v) if matches!(&v.value, Value::Number(..)) => {
                let i = v.value.to_string().parse::<usize>().ok().filter(|i| (1..=schema.len()).contains(i)).ok_or_else(|| {
                    PlanError::invalid(format!("ORDER BY {}: there is no output column {}", v.value, v.value), k.span())
                        .with_hint(format!("the query has {} columns", schema.len()))
                })?;
                Ok(ast::OrderByExpr { expr: Expr::Identifier(ast::Ident::new(schema.fields[i - 1].name.clone())), ..k.clone() })
            }
            _ => Ok(k.clone()),
        })
        .collect::<Result<_>>()?;
    let order_by = sort_keys(&ordinals, &scope)?;
    let limit = RankRange { lo: skip + 1, hi: skip.saturating_add(n) };
    Ok(LogicalPlan::Rank {
        input: Box::new(plan),
        func: RankFunc::RowNumber,
        partition_by: Vec::new(),
        order_by,
        limit: Some(limit),
        rank_column: false,
        schema,
        span: order.span(),
    })
}

/// The OVER aggregate call `e` is, if it is one (`SUM(x) OVER w`).
fn over_aggregate_call(e: &Expr) -> Option<&ast::Function> {
    let Expr::Function(f) = e else { return None };
    f.over.as_ref()?;
    AGGREGATES.contains(&object_name(&f.name).to_ascii_uppercase().as_str()).then_some(f)
}

/// The expression of a select item, if it has one.
fn item_expr(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    }
}

/// Every OVER aggregate call in `e`, not looking inside one.
fn collect_over_calls<'a>(e: &'a Expr, out: &mut Vec<&'a ast::Function>) {
    if let Some(f) = over_aggregate_call(e) {
        out.push(f);
        return;
    }
    for c in children(e) {
        collect_over_calls(c, out);
    }
}

/// Whether a select item calls an OVER aggregate (`SUM(x) OVER w`, also inside an expression).
pub(super) fn has_over_aggregate(items: &[SelectItem]) -> bool {
    items.iter().filter_map(item_expr).any(|e| {
        let mut calls = Vec::new();
        collect_over_calls(e, &mut calls);
        !calls.is_empty()
    })
}

/// Replaces in `e` each OVER aggregate call whose text is in `names` by an identifier of its
/// column's name there, so the expression binds over the OverAggregate's output.
fn replace_over_calls(e: &mut Expr, names: &[(String, String)]) {
    if over_aggregate_call(e).is_some() {
        let text = e.to_string();
        if let Some((_, name)) = names.iter().find(|(t, _)| *t == text) {
            *e = Expr::Identifier(ast::Ident::new(name.clone()));
        }
        return;
    }
    let each = |x: &mut Expr| replace_over_calls(x, names);
    match e {
        Expr::BinaryOp { left, right, .. } => {
            each(left);
            each(right);
        }
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::IsNull(expr) | Expr::IsNotNull(expr) | Expr::Cast { expr, .. } => {
            each(expr)
        }
        Expr::Between { expr, low, high, .. } => {
            each(expr);
            each(low);
            each(high);
        }
        Expr::Case { operand, conditions, else_result, .. } => {
            operand.iter_mut().for_each(|x| each(x));
            for w in conditions {
                each(&mut w.condition);
                each(&mut w.result);
            }
            else_result.iter_mut().for_each(|x| each(x));
        }
        Expr::Function(f) => {
            if let FunctionArguments::List(list) = &mut f.args {
                for a in &mut list.args {
                    if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) = a {
                        each(x);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The frame of an OVER aggregate's window; without one, `RANGE UNBOUNDED PRECEDING` (the SQL
/// default with ORDER BY, as in Flink).
fn over_frame(frame: Option<&ast::WindowFrame>, span: sqlparser::tokenizer::Span) -> Result<OverFrame> {
    let Some(frame) = frame else { return Ok(OverFrame::Range { preceding: None }) };
    if !matches!(frame.end_bound, None | Some(ast::WindowFrameBound::CurrentRow)) {
        return Err(PlanError::not_supported("a window frame that ends after the current row", span)
            .with_hint("a streaming OVER aggregate emits a row once its time has passed: end the frame AND CURRENT ROW"));
    }
    let following = || PlanError::invalid("a window frame starts at or before the current row", span);
    match frame.units {
        ast::WindowFrameUnits::Rows => Ok(OverFrame::Rows {
            preceding: match &frame.start_bound {
                ast::WindowFrameBound::CurrentRow => Some(0),
                ast::WindowFrameBound::Preceding(None) => None,
                ast::WindowFrameBound::Preceding(Some(n)) => Some(match n.as_ref() {
                    Expr::Value(v) if matches!(&v.value, Value::Number(..)) => v
                        .value
                        .to_string()
                        .parse::<u64>()
                        .map_err(|_| PlanError::invalid(format!("ROWS needs a whole number of rows, not {}", v.value), n.span()))?,
                    other => return Err(PlanError::invalid(format!("ROWS needs a whole number of rows, not `{other}`"), other.span())),
                }),
                ast::WindowFrameBound::Following(_) => return Err(following()),
            },
        }),
        ast::WindowFrameUnits::Range => Ok(OverFrame::Range {
            preceding: match &frame.start_bound {
                ast::WindowFrameBound::CurrentRow => Some(0),
                ast::WindowFrameBound::Preceding(None) => None,
                ast::WindowFrameBound::Preceding(Some(e)) => {
                    let ms = interval_millis(e)?;
                    if ms < 0 {
                        return Err(PlanError::invalid(format!("a RANGE frame needs an interval of 0 or more, not `{e}`"), e.span()));
                    }
                    Some(ms)
                }
                ast::WindowFrameBound::Following(_) => return Err(following()),
            },
        }),
        ast::WindowFrameUnits::Groups => Err(PlanError::not_supported("GROUPS window frames", span)),
    }
}

impl Binder<'_> {
    /// A SELECT with OVER aggregates over `plan`'s rows (its FROM and WHERE): one
    /// OverAggregate for all of them (they must share one window, as in Flink), and the select
    /// list over its output.
    pub(super) fn select_over(&self, plan: LogicalPlan, scope: Scope, select: &ast::Select, grouped: bool) -> Result<LogicalPlan> {
        if grouped || select.having.is_some() {
            return Err(PlanError::not_supported("OVER aggregates beside GROUP BY or HAVING", select.span())
                .with_hint("aggregate in a subquery, and compute the OVER aggregates over its rows"));
        }
        if let Some(d) = &select.distinct {
            return Err(PlanError::not_supported(format!("SELECT {d} with OVER aggregates"), select.span()));
        }
        let mut window: Option<&ast::WindowSpec> = None;
        let mut aggregates = Vec::new();
        let mut agg_fields = Vec::new();
        // Per distinct call (by its text): the name its column has in the select list's scope.
        let mut names: Vec<(String, String)> = Vec::new();
        for e in select.projection.iter().filter_map(item_expr) {
            if let Some((f, _)) = rank_call(e) {
                return Err(PlanError::not_supported("a ranking function beside OVER aggregates", f.name.span()));
            }
            let mut calls = Vec::new();
            collect_over_calls(e, &mut calls);
            for f in calls {
                let text = Expr::Function(f.clone()).to_string();
                if names.iter().any(|(t, _)| *t == text) {
                    continue;
                }
                let spec = window_spec(f, select)?;
                if window.is_some_and(|w| w != spec) {
                    return Err(PlanError::not_supported("OVER aggregates over different windows in one SELECT", f.span()).with_hint(
                        "Flink computes one window per SELECT: give every OVER aggregate the same window (WINDOW w AS (...), OVER w)",
                    ));
                }
                window = Some(spec);
                let mut plain = f.clone();
                plain.over = None;
                let call = bind_aggregate(&plain, &scope)?;
                if matches!(call.func, vstream_repr::agg::AggFunc::JsonObjectAgg { .. } | vstream_repr::agg::AggFunc::JsonArrayAgg { .. }) {
                    return Err(PlanError::invalid(format!("{} cannot be an OVER aggregate", call.func.name()), f.name.span()).with_hint(
                        "Flink allows JSON_OBJECTAGG and JSON_ARRAYAGG in GROUP BY and window aggregates, not in OVER windows",
                    ));
                }
                // A name no column of the input can have.
                names.push((text.clone(), format!("$over{}", names.len())));
                agg_fields.push(Field::new(text, call.ty));
                aggregates.push(call);
            }
        }
        let Some(spec) = window else { return Err(PlanError::internal("no OVER aggregate in the SELECT", select.span())) };
        if plan.is_changelog() {
            return Err(PlanError::not_supported("OVER aggregates over a changelog (an aggregated subquery)", select.span())
                .with_hint("Flink runs OVER aggregates over insert-only rows with a time attribute"));
        }
        let span = spec.order_by.first().map_or(select.span(), |o| o.span());
        let time_hint = || match plan.time_column() {
            Some(t) => format!("order by the event time `{}` ascending", plan.schema().fields[t].name),
            None => "order by the event time of a table with a WATERMARK, ascending".to_string(),
        };
        let time_col = match spec.order_by.as_slice() {
            [o] if !matches!(o.options.sort, Some(ast::OrderBySort::Desc)) => match bind_expr(&o.expr, &scope)? {
                ScalarExpr::Column { index, .. } if plan.time_column() == Some(index) => index,
                _ => {
                    return Err(PlanError::invalid("OVER windows' ordering in stream mode must be defined on a time attribute", span)
                        .with_hint(time_hint()));
                }
            },
            [] | [_] => {
                return Err(PlanError::invalid(
                    "OVER windows' ordering in stream mode must be defined on a time attribute, ascending",
                    span,
                )
                .with_hint(time_hint()));
            }
            [_, second, ..] => {
                return Err(PlanError::not_supported("an OVER window ordered by several keys", second.span()).with_hint(time_hint()));
            }
        };
        let frame = over_frame(spec.window_frame.as_ref(), span)?;
        let partition_by = spec.partition_by.iter().map(|e| bind_expr(e, &scope)).collect::<Result<Vec<_>>>()?;
        let mut fields = plan.schema().fields.clone();
        fields.extend(agg_fields.iter().cloned());
        let over =
            LogicalPlan::OverAggregate { input: Box::new(plan), partition_by, time_col, frame, aggregates, schema: Schema::new(fields) };
        // The select list: OVER calls read the aggregates' columns (named in `names`), the rest
        // binds over the input.
        let over_scope = scope.extended(names.iter().zip(&agg_fields).map(|((_, n), f)| Field::new(n.clone(), f.ty)).collect());
        let mut exprs = Vec::new();
        let mut out_fields = Vec::new();
        for item in &select.projection {
            let Some(e) = item_expr(item).filter(|e| {
                let mut calls = Vec::new();
                collect_over_calls(e, &mut calls);
                !calls.is_empty()
            }) else {
                // `*` over the OverAggregate's output lists the input's columns only.
                let (e, f) = projection(std::slice::from_ref(item), &over_scope)?;
                for (e, f) in e.into_iter().zip(f) {
                    if !names.iter().any(|(_, n)| *n == f.name) {
                        exprs.push(e);
                        out_fields.push(f);
                    }
                }
                continue;
            };
            let mut rewritten = e.clone();
            replace_over_calls(&mut rewritten, &names);
            let bound = bind_expr(&rewritten, &over_scope)?;
            let name = match item {
                SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                _ => output_name(e),
            };
            out_fields.push(Field::new(name, bound.ty()));
            exprs.push(bound);
        }
        Ok(LogicalPlan::Project { input: Box::new(over), exprs, schema: Schema::new(out_fields) })
    }
}

/// A ranking function over a window table function's rows (window Top-N): its partition holds
/// both window bounds (each window is ranked on its own), no other key or sort key reads a
/// window column, and the window is a TUMBLE or HOP (whose rows close together).
pub(super) fn check_window_rank(rank: &LogicalPlan, first_window_col: usize, f: &ast::Function) -> Result<()> {
    let LogicalPlan::Rank { input, partition_by, order_by, .. } = rank else { return Ok(()) };
    let span = f.name.span();
    if matches!(input.window(), Some((vstream_repr::WindowAssigner::Session { .. }, _))) {
        return Err(PlanError::not_supported("ranking the rows of SESSION windows", span));
    }
    let is_col = |e: &ScalarExpr, c: usize| matches!(e, ScalarExpr::Column { index, .. } if *index == c);
    if !(partition_by.iter().any(|e| is_col(e, first_window_col)) && partition_by.iter().any(|e| is_col(e, first_window_col + 1))) {
        return Err(PlanError::invalid(
            format!("{}() over a window table function must PARTITION BY window_start, window_end", object_name(&f.name)),
            span,
        )
        .with_hint("rank each window's rows: PARTITION BY window_start, window_end, ..."));
    }
    let reads_window = |e: &ScalarExpr| {
        let mut reads = false;
        e.visit_columns(&mut |c| reads |= c >= first_window_col);
        reads
    };
    let bound = |e: &ScalarExpr| is_col(e, first_window_col) || is_col(e, first_window_col + 1);
    let other_keys = partition_by.iter().filter(|e| !bound(e));
    if other_keys.chain(order_by.iter().map(|(e, _)| e)).any(reads_window) {
        return Err(PlanError::not_supported(
            "a window column in a window Top-N's keys other than PARTITION BY window_start, window_end",
            span,
        ));
    }
    Ok(())
}
