//! Flink's group-window syntax: `GROUP BY TUMBLE(ts, size)`, `HOP(ts, slide, size)` or
//! `SESSION(ts, gap)` with `TUMBLE_START(ts, size)`, `_END` and `_ROWTIME` (and the HOP and
//! SESSION forms) in the select list and HAVING. It is the window table function's query written
//! another way: the SELECT is rewritten to read `window_start`, `window_end` and `window_time`
//! of a window over its table, which then binds and lowers as the TVF form does.

use super::expr::bind_expr;
use super::query::{call_span, children, resolve_ordinals};
use super::scope::Scope;
use super::window::WindowCall;
use super::{Binder, Result, object_name};
use crate::error::PlanError;
use crate::logical::LogicalPlan;
use sqlparser::ast::{
    self as ast, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, SelectItem, Spanned, TableFactor,
};
use sqlparser::tokenizer::Span;

/// The group windows, by the name of their GROUP BY function.
const GROUP_WINDOWS: [&str; 3] = ["TUMBLE", "HOP", "SESSION"];

/// A SELECT whose GROUP BY names a group window, rewritten to the window TVF form.
pub(super) struct GroupWindow {
    /// The SELECT reading `window_start`, `window_end` and `window_time` where it called the
    /// auxiliary functions, grouped by them instead of the window function.
    pub(super) select: ast::Select,
    /// `TUMBLE`, `HOP` or `SESSION`.
    pub(super) name: String,
    /// The event-time column the window is over.
    pub(super) time: Ident,
    /// The window's size arguments, as the TVF takes them.
    pub(super) sizes: Vec<Expr>,
    /// For SESSION: the other GROUP BY keys, which sessions are formed per.
    pub(super) partition_by: Vec<Expr>,
    /// The window function in GROUP BY, for errors about the FROM it reads.
    pub(super) span: Span,
}

impl Binder<'_> {
    /// `window`'s rows over the FROM item's (`input`, in `scope`: a table, or a subquery with a
    /// time attribute): the same Window the TVF form makes.
    pub(super) fn group_window_over(&self, input: LogicalPlan, scope: Scope, window: &GroupWindow) -> Result<(LogicalPlan, Scope)> {
        // A table's event time, or a subquery's time attribute (another group window's
        // `_ROWTIME`: cascading windows).
        let table = match window.select.from.first().map(|f| &f.relation) {
            Some(TableFactor::Table { name, .. }) => Some(name),
            _ => None,
        };
        let partition_by = window.partition_by.iter().map(|e| bind_expr(e, &scope)).collect::<Result<Vec<_>>>()?;
        let sizes: Vec<&Expr> = window.sizes.iter().collect();
        let call = WindowCall { name: &window.name, table, time: &window.time, sizes: &sizes, span: window.span };
        self.window_over(input, scope, call, partition_by)
    }
}

/// The group window of `select`, if its GROUP BY has one: the rewritten SELECT and the window.
/// `None` when there is none (an auxiliary function then has no window to read: an error).
pub(super) fn group_window(select: &ast::Select) -> Result<Option<GroupWindow>> {
    let GroupByExpr::Expressions(items, modifiers) = &select.group_by else { return Ok(None) };
    let mut found = None;
    for (i, item) in items.iter().enumerate() {
        if let Expr::Function(f) = item
            && GROUP_WINDOWS.contains(&object_name(&f.name).to_ascii_uppercase().as_str())
        {
            if found.is_some() {
                return Err(PlanError::not_supported("GROUP BY of two windows", item.span()));
            }
            found = Some((i, f));
        }
    }
    let Some((at, call)) = found else {
        // No window to read: an auxiliary function is an error.
        let items = select.projection.iter().filter_map(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
            _ => None,
        });
        for e in items.chain(select.having.as_ref()) {
            if let Some(f) = first_aux(e) {
                let name = object_name(&f.name).to_ascii_uppercase();
                let kind = name.split_once('_').map_or(name.as_str(), |(kind, _)| kind);
                return Err(PlanError::invalid(format!("{name} needs GROUP BY {kind}(...)"), call_span(f))
                    .with_hint(format!("group by the window: GROUP BY {kind}(time column, ...), ...")));
            }
        }
        return Ok(None);
    };
    let name = object_name(&call.name).to_ascii_uppercase();
    let usage = match name.as_str() {
        "TUMBLE" => "GROUP BY TUMBLE(time column, size)",
        "HOP" => "GROUP BY HOP(time column, slide, size)",
        _ => "GROUP BY SESSION(time column, gap)",
    };
    let args = call_args(call).ok_or_else(|| PlanError::invalid(format!("{name} needs arguments: {usage}"), call.span()))?;
    let expected = if name == "HOP" { 3 } else { 2 };
    if args.len() != expected {
        return Err(PlanError::invalid(format!("{name} takes {expected} arguments here, not {}", args.len()), call.span()).with_hint(usage));
    }
    let time = match args[0] {
        Expr::Identifier(c) => c.clone(),
        Expr::CompoundIdentifier(parts) if !parts.is_empty() => parts[parts.len() - 1].clone(),
        other => {
            return Err(PlanError::invalid(format!("the first argument of {name} is the time column, not `{other}`"), other.span())
                .with_hint(usage));
        }
    };
    let window = WindowRef { name: name.clone(), args: args.iter().map(|a| a.to_string()).collect() };
    let mut select = select.clone();
    // The window function's place in GROUP BY takes the window columns, so the select list may
    // read each of them.
    let mut group_items = Vec::with_capacity(items.len() + 2);
    let mut partition_by = Vec::new();
    let others: Vec<Expr> = items.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, e)| e.clone()).collect();
    for (i, item) in items.iter().enumerate() {
        if i == at {
            group_items.extend(["window_start", "window_end", "window_time"].map(|c| Expr::Identifier(ident(c, call.span()))));
        } else {
            group_items.push(item.clone());
        }
    }
    if name == "SESSION" {
        partition_by = resolve_ordinals(&others, &select.projection)?;
    }
    select.group_by = GroupByExpr::Expressions(group_items, modifiers.clone());
    rewrite_select(&mut select, &window)?;
    let sizes = args[1..].iter().map(|e| (*e).clone()).collect();
    Ok(Some(GroupWindow { select, name, time, sizes, partition_by, span: call.span() }))
}

/// The group window an auxiliary function must match: its name and arguments as written.
struct WindowRef {
    name: String,
    args: Vec<String>,
}

/// Replaces every auxiliary function (`TUMBLE_START(...)`) of the select list and HAVING by the
/// window column it reads, checking that it names `window`, the GROUP BY's.
fn rewrite_select(select: &mut ast::Select, window: &WindowRef) -> Result<()> {
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            rewrite_aux(e, window)?;
        }
    }
    if let Some(h) = &mut select.having {
        rewrite_aux(h, window)?;
    }
    Ok(())
}

/// The window column an auxiliary function's suffix reads (`START`: `window_start`).
fn aux_column(suffix: &str) -> Option<&'static str> {
    Some(match suffix {
        "START" => "window_start",
        "END" => "window_end",
        "ROWTIME" => "window_time",
        _ => return None,
    })
}

/// Whether `f` is an auxiliary function of a group window (`TUMBLE_START`, `HOP_PROCTIME` ...):
/// the window's name and the suffix.
fn aux_parts(f: &ast::Function) -> Option<(String, String)> {
    let name = object_name(&f.name).to_ascii_uppercase();
    let (kind, suffix) = name.split_once('_')?;
    (GROUP_WINDOWS.contains(&kind) && (suffix == "PROCTIME" || aux_column(suffix).is_some()))
        .then(|| (kind.to_string(), suffix.to_string()))
}

/// The first auxiliary function call in `e`, if any.
fn first_aux(e: &Expr) -> Option<&ast::Function> {
    if let Expr::Function(f) = e
        && aux_parts(f).is_some()
    {
        return Some(f);
    }
    children(e).into_iter().find_map(first_aux)
}

/// The expression `PROCTIME()`, parsed as a query would write it.
fn proctime_call() -> std::result::Result<Expr, String> {
    sqlparser::parser::Parser::new(&crate::dialect::FlinkDialect::default())
        .try_with_sql("PROCTIME()")
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| format!("cannot parse PROCTIME(): {e}"))
}

/// `e` with its auxiliary function calls replaced (see [`rewrite_select`]).
fn rewrite_aux(e: &mut Expr, window: &WindowRef) -> Result<()> {
    if let Expr::Function(f) = e
        && let Some((kind, suffix)) = aux_parts(f)
    {
        let name = format!("{kind}_{suffix}");
        let span = call_span(f);
        let args: Vec<String> = call_args(f).unwrap_or_default().iter().map(|a| a.to_string()).collect();
        if kind != window.name || args != window.args {
            let written = format!("{}({})", window.name, window.args.join(", "));
            return Err(PlanError::invalid(format!("{name} does not match the GROUP BY's window {written}"), span).with_hint(format!(
                "call {}_{suffix}({}), with the window's arguments",
                window.name,
                window.args.join(", ")
            )));
        }
        *e = match aux_column(&suffix) {
            Some(column) => Expr::Identifier(ident(column, span)),
            // `_PROCTIME`: a processing-time attribute of the window's rows, as in Flink: the
            // wall clock when each is computed, which a later window can close by.
            None => proctime_call().map_err(|m| PlanError::internal(m, span))?,
        };
        return Ok(());
    }
    for c in children_mut(e) {
        rewrite_aux(c, window)?;
    }
    Ok(())
}

/// A plain (unquoted) identifier at `span`.
fn ident(name: &str, span: Span) -> Ident {
    Ident { value: name.to_string(), quote_style: None, span }
}

/// A call's plain arguments; `None` when it has other kinds (or none).
fn call_args(f: &ast::Function) -> Option<Vec<&Expr>> {
    let FunctionArguments::List(list) = &f.args else { return None };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect()
}

/// The direct sub-expressions of `e` an auxiliary function may sit in (as `query::children` walks
/// them for aggregates).
fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::BinaryOp { left, right, .. } => vec![left, right],
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::Cast { expr, .. }
        | Expr::Trim { expr, .. } => vec![expr],
        Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        Expr::Like { expr, pattern, .. } => vec![expr, pattern],
        Expr::In { expr, target: ast::InTarget::List(list), .. } => std::iter::once(expr.as_mut()).chain(list.iter_mut()).collect(),
        Expr::Case { operand, conditions, else_result, .. } => operand
            .as_deref_mut()
            .into_iter()
            .chain(conditions.iter_mut().flat_map(|w| [&mut w.condition, &mut w.result]))
            .chain(else_result.as_deref_mut())
            .collect(),
        Expr::Function(f) => match &mut f.args {
            FunctionArguments::List(list) => list
                .args
                .iter_mut()
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
