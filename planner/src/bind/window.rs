//! Window table functions in FROM (`TUMBLE`, `HOP`, `SESSION`) and the checks on the window
//! aggregate that reads one.

use super::expr::{bind_expr, interval_millis};
use super::query::unparenthesized;
use super::scope::Scope;
use super::{Binder, Result, object_name};
use crate::dialect::table_arg;
use crate::error::PlanError;
use crate::logical::{LogicalPlan, WINDOW_COLUMNS};
use sqlparser::ast::{self as ast, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, ObjectName, Spanned};
use sqlparser::tokenizer::Span;
use vstream_repr::WindowEmit;
use vstream_repr::{DataType, Field, ScalarExpr, WindowAssigner};

impl Binder<'_> {
    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size)`, `HOP(TABLE t, DESCRIPTOR(ts), slide, size)`,
    /// `CUMULATE(TABLE t, DESCRIPTOR(ts), step, size)` and
    /// `SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)`: the table's columns and the
    /// window columns.
    pub(super) fn window_function(&self, expr: &Expr, alias: Option<&ast::TableAlias>) -> Result<(LogicalPlan, Scope)> {
        let Expr::Function(f) = expr else {
            return Err(PlanError::not_supported(format!("the table function `{expr}`"), expr.span()));
        };
        let name = object_name(&f.name).to_ascii_uppercase();
        let usage = match name.as_str() {
            "TUMBLE" => "TUMBLE(TABLE t, DESCRIPTOR(ts), size)",
            "HOP" => "HOP(TABLE t, DESCRIPTOR(ts), slide, size)",
            "CUMULATE" => "CUMULATE(TABLE t, DESCRIPTOR(ts), step, size)",
            "SESSION" => "SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)",
            _ => {
                return Err(PlanError::invalid(format!("unknown table function {name}"), f.name.span())
                    .with_hint("the window table functions are TUMBLE, HOP, CUMULATE and SESSION"));
            }
        };
        let FunctionArguments::List(list) = &f.args else {
            return Err(PlanError::invalid(format!("{name} needs arguments: {usage}"), expr.span()));
        };
        let mut args = Vec::new();
        for a in &list.args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(e),
                other => return Err(PlanError::not_supported(format!("the argument `{other}`"), other.span()).with_hint(usage)),
            }
        }
        let expected = if matches!(name.as_str(), "HOP" | "CUMULATE") { 4 } else { 3 };
        if args.len() != expected {
            return Err(PlanError::invalid(format!("{name} takes {expected} arguments, not {}", args.len()), expr.span()).with_hint(usage));
        }
        // `TABLE t [PARTITION BY ...]`, or a subquery: a window over a query's time attribute (a
        // cascading window reads another window query's window_time).
        let (table, partition, input, input_scope) = match unparenthesized(args[0]) {
            Expr::Subquery(q) => {
                let plan = self.query(q)?;
                let scope = Scope::single(None, alias.map(|a| a.name.value.clone()), plan.schema().clone());
                (None, &[][..], plan, scope)
            }
            arg => {
                let (table, partition) = table_arg(arg).ok_or_else(|| {
                    PlanError::invalid(format!("the first argument of {name} is `TABLE name` or a subquery"), args[0].span())
                        .with_hint(usage)
                })?;
                let table_alias = alias.map(|a| a.name.value.clone());
                let (input, input_scope) = match self.view(&object_name(&table)) {
                    Some(v) => {
                        let scope = Scope::single(Some(v.name.clone()), table_alias, v.plan.schema().clone());
                        (v.plan, scope)
                    }
                    None => self.table_scan(&table, table_alias)?,
                };
                (Some(table), partition, input, input_scope)
            }
        };
        if let Some(p) = partition.first()
            && name != "SESSION"
        {
            return Err(PlanError::invalid("PARTITION BY applies only to SESSION windows", p.span()));
        }
        let column = match args[1] {
            Expr::Function(d) if object_name(&d.name).eq_ignore_ascii_case("DESCRIPTOR") => match &d.args {
                FunctionArguments::List(l) => match l.args.as_slice() {
                    [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(c)))] => Some(c),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| {
            PlanError::invalid(format!("the second argument of {name} is DESCRIPTOR(time column)"), args[1].span()).with_hint(usage)
        })?;
        let partition_by = partition.iter().map(|e| bind_expr(e, &input_scope)).collect::<Result<Vec<_>>>()?;
        let window = WindowCall { name: &name, table: table.as_ref(), time: column, sizes: &args[2..], span: args[0].span() };
        self.window_over(input, input_scope, window, partition_by)
    }

    /// The window `call` makes of `input`'s rows (a scan of `call.table`, in `input_scope`): the
    /// TVF's rows, the input's columns and [`WINDOW_COLUMNS`], and their scope. Shared by the
    /// window table functions and the group-window syntax (`GROUP BY TUMBLE(ts, ...)`).
    pub(super) fn window_over(
        &self,
        input: LogicalPlan,
        input_scope: Scope,
        call: WindowCall<'_>,
        partition_by: Vec<ScalarExpr>,
    ) -> Result<(LogicalPlan, Scope)> {
        let WindowCall { name, table, time: column, sizes, span } = call;
        // A table declares its event time and its processing-time columns; a view or a subquery
        // has the time attribute of what it reads, where it passes the column through as it is.
        let def = table.filter(|t| self.view(&object_name(t)).is_none()).and_then(|t| self.catalog.get(&object_name(t)));
        let what = match (table, def) {
            (_, Some(def)) => format!("`{}`", def.name),
            (Some(view), None) => format!("`{}`", object_name(view)),
            (None, None) => "the subquery".to_string(),
        };
        let time = input_scope.column(column)?;
        let ScalarExpr::Column { index: time_col, .. } = time else {
            return Err(PlanError::internal("a column name bound to an expression", column.span));
        };
        if time.ty() != DataType::TIMESTAMP && time.ty() != DataType::TIMESTAMP_LTZ {
            return Err(PlanError::invalid(
                format!("{name} needs a TIMESTAMP(3) time column, but `{}` is {}", column.value, time.ty()),
                column.span,
            ));
        }
        // A processing-time attribute (`pt AS PROCTIME()`): windows close by the wall clock.
        let proc_time = input.is_proc_time(time_col);
        if proc_time && name == "SESSION" {
            return Err(PlanError::not_supported("SESSION windows over processing time", column.span)
                .with_hint("use TUMBLE or HOP over a PROCTIME() column, or SESSION over an event time"));
        }
        let allowed_lateness = match input.time_attribute() {
            _ if proc_time => 0,
            Some((c, lateness)) if c == time_col => lateness,
            _ => {
                let hint = match (def, table) {
                    (Some(def), _) => match &def.event_time {
                        Some(et) => format!("the event time of `{}` is `{}`", def.name, def.schema.fields[et.column].name),
                        None => format!(
                            "declare it in CREATE TABLE {}: WATERMARK FOR {c} AS {c} - INTERVAL '1' SECOND",
                            def.name,
                            c = column.value
                        ),
                    },
                    (None, Some(_)) => {
                        "a view keeps its table's event time only where it selects the WATERMARK column as it is".to_string()
                    }
                    (None, None) => {
                        "window a table's event time, or the window_time (`_ROWTIME`) of a window aggregate that emits final rows"
                            .to_string()
                    }
                };
                let kind = if table.is_some() { "an event-time column" } else { "a time attribute" };
                return Err(PlanError::invalid(format!("`{}` is not {kind} of {what}", column.value), column.span).with_hint(hint));
            }
        };
        let assigner = match name {
            "TUMBLE" => WindowAssigner::Tumble { size: positive_interval(sizes[0], "TUMBLE size")? },
            "HOP" => {
                let slide = positive_interval(sizes[0], "HOP slide")?;
                let size = positive_interval(sizes[1], "HOP size")?;
                if size % slide != 0 {
                    return Err(PlanError::invalid(
                        format!("the HOP slide {} does not divide its size {}", sizes[0], sizes[1]),
                        sizes[0].span(),
                    )
                    .with_hint("every row must be in the same number of windows: make the size a multiple of the slide"));
                }
                WindowAssigner::Hop { slide, size }
            }
            "CUMULATE" => {
                let step = positive_interval(sizes[0], "CUMULATE step")?;
                let size = positive_interval(sizes[1], "CUMULATE size")?;
                if size % step != 0 {
                    return Err(PlanError::invalid(
                        format!("the CUMULATE step {} does not divide its size {}", sizes[0], sizes[1]),
                        sizes[0].span(),
                    )
                    .with_hint("the windows of a period end every step up to its size: make the size a multiple of the step"));
                }
                WindowAssigner::Cumulate { step, size }
            }
            _ => WindowAssigner::Session { gap: positive_interval(sizes[0], "SESSION gap")? },
        };
        let emit = WindowEmit { changes: self.options.emit_changes.unwrap_or(self.emit_changes), allowed_lateness, proc_time };
        let mut window_fields = Vec::new();
        for w in WINDOW_COLUMNS {
            if let Some(f) = input_scope.schema.fields.iter().find(|f| f.name.eq_ignore_ascii_case(w)) {
                return Err(PlanError::invalid(format!("{what} has a column `{}`, which {name} adds", f.name), span)
                    .with_hint(format!("rename it in the query {name} reads (`{} AS ...`)", f.name)));
            }
            window_fields.push(Field::new(w, DataType::TIMESTAMP));
        }
        let scope = input_scope.extended(window_fields);
        let schema = scope.schema.clone();
        let plan = LogicalPlan::Window { input: Box::new(input), assigner, time_col, partition_by, emit, schema: schema.clone() };
        Ok((plan, scope))
    }

    /// Checks what a window aggregate may read and group by: both window bounds, keys that are
    /// not window columns (for SESSION, exactly its PARTITION BY keys), no window columns before
    /// the aggregation.
    pub(super) fn check_window_aggregate(&self, plan: &LogicalPlan, select: &ast::Select) -> Result<()> {
        let LogicalPlan::Aggregate { input, group_by, aggregates, .. } = plan else { return Ok(()) };
        let Some((assigner, _)) = input.window() else { return Ok(()) };
        let mut window = input.as_ref();
        while let LogicalPlan::Filter { input, .. } | LogicalPlan::Expand { input, .. } = window {
            window = input;
        }
        let LogicalPlan::Window { schema, partition_by, .. } = window else { return Ok(()) };
        // The window's columns; an Expand (grouping sets) adds its own after them.
        let window_cols = schema.len() - WINDOW_COLUMNS.len()..schema.len();
        let first_window_col = window_cols.start;
        let is_window_col = |e: &ScalarExpr, k: usize| matches!(e, ScalarExpr::Column { index, .. } if *index == first_window_col + k);
        let group_span = match &select.group_by {
            GroupByExpr::Expressions(e, _) if !e.is_empty() => e[0].span(),
            _ => select.span(),
        };
        for (k, bound) in ["window_start", "window_end"].iter().enumerate() {
            if !group_by.iter().any(|e| is_window_col(e, k)) {
                return Err(PlanError::invalid(
                    format!("a {} window aggregate must GROUP BY window_start, window_end", assigner.name()),
                    group_span,
                )
                .with_hint(format!("add {bound} to GROUP BY")));
            }
        }
        // The GROUP BY items as written, in the order of `group_by`, to point at one.
        let group_items: &[Expr] = match &select.group_by {
            GroupByExpr::Expressions(e, _) => e,
            _ => &[],
        };
        let item_span = |i: usize| group_items.get(i).map_or(group_span, |e| e.span());
        let mut keys = Vec::new();
        for (i, e) in group_by.iter().enumerate() {
            if (0..WINDOW_COLUMNS.len()).any(|k| is_window_col(e, k)) {
                continue;
            }
            let mut reads_window = false;
            e.visit_columns(&mut |c| reads_window |= window_cols.contains(&c));
            if reads_window {
                return Err(PlanError::not_supported("a GROUP BY key computed from a window column", item_span(i))
                    .with_hint("group by window_start, window_end (and window_time) as they are"));
            }
            keys.push((i, e));
        }
        for a in aggregates {
            let mut reads_window = false;
            a.arg.iter().chain(&a.arg2).chain(&a.filter).for_each(|e| e.visit_columns(&mut |c| reads_window |= window_cols.contains(&c)));
            if reads_window {
                return Err(PlanError::not_supported("an aggregate of a window column", select.span()));
            }
        }
        if let WindowAssigner::Session { .. } = assigner {
            let hint = "sessions are formed per PARTITION BY key: group by window_start, window_end and exactly those keys";
            if let Some((i, _)) = keys.iter().find(|(_, k)| !partition_by.contains(k)) {
                return Err(PlanError::not_supported("grouping SESSION windows by a key that is not a PARTITION BY key", item_span(*i))
                    .with_hint(hint));
            }
            if keys.len() != partition_by.len() {
                return Err(
                    PlanError::invalid("a SESSION window aggregate must GROUP BY every PARTITION BY key", group_span).with_hint(hint)
                );
            }
        }
        Ok(())
    }
}

/// A window's definition as a query writes it, in a window table function or a GROUP BY.
pub(super) struct WindowCall<'a> {
    /// `TUMBLE`, `HOP`, `CUMULATE` or `SESSION`.
    pub(super) name: &'a str,
    /// The table or view windowed; `None` for a subquery, whose time attribute the window reads.
    pub(super) table: Option<&'a ObjectName>,
    /// The event-time column.
    pub(super) time: &'a Ident,
    /// The size arguments: size; slide, size; step, size; gap.
    pub(super) sizes: &'a [&'a Expr],
    /// Where the table is named, for errors about it.
    pub(super) span: Span,
}

/// A window size, slide or gap: an interval above zero.
fn positive_interval(e: &Expr, what: &str) -> Result<i64> {
    let ms = interval_millis(e)?;
    if ms <= 0 {
        return Err(PlanError::invalid(format!("the {what} must be a positive interval, not `{e}`"), e.span()));
    }
    Ok(ms)
}
