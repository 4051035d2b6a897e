//! One aggregate call (`COUNT(*)`, `SUM(DISTINCT x) FILTER (WHERE ...)`, `LISTAGG(s, '; ')`,
//! `ARRAY_AGG(x IGNORE NULLS)`, `JSON_OBJECTAGG(KEY k VALUE v ABSENT ON NULL)`) bound over a
//! scope's rows: the function with its options, its argument columns, DISTINCT and FILTER.

use super::expr::{bind_expr, boolean, is_null_literal};
use super::query::{call_span, first_aggregate};
use super::scope::Scope;
use super::{Result, object_name};
use crate::error::PlanError;
use crate::logical::AggregateCall;
use sqlparser::ast::{
    self as ast, Expr, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArguments, JsonNullClause,
    NullTreatment, Spanned,
};
use vstream_repr::agg::AggFunc;
use vstream_repr::{DataType, Datum, ScalarExpr};

/// The aggregate functions, by name (VARIANCE is VAR_SAMP, as in Flink).
pub(super) const AGGREGATE_NAMES: &[&str] = &[
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "VAR_POP",
    "VAR_SAMP",
    "VARIANCE",
    "FIRST_VALUE",
    "LAST_VALUE",
    "LISTAGG",
    "ARRAY_AGG",
    "COLLECT",
    "JSON_OBJECTAGG",
    "JSON_ARRAYAGG",
];

/// The options an aggregate call's clauses give: `IGNORE | RESPECT NULLS`, `NULL | ABSENT ON NULL`.
#[derive(Default)]
struct Clauses {
    ignore_nulls: Option<bool>,
    absent_on_null: Option<bool>,
}

/// The function `name` (upper case) names, with the options of its clauses.
fn aggregate_func(name: &str, clauses: &Clauses) -> Option<AggFunc> {
    Some(match name {
        "COUNT" => AggFunc::Count,
        "SUM" => AggFunc::Sum,
        "MIN" => AggFunc::Min,
        "MAX" => AggFunc::Max,
        "AVG" => AggFunc::Avg,
        "STDDEV_POP" => AggFunc::StddevPop,
        "STDDEV_SAMP" => AggFunc::StddevSamp,
        "VAR_POP" => AggFunc::VarPop,
        "VAR_SAMP" | "VARIANCE" => AggFunc::VarSamp,
        "FIRST_VALUE" => AggFunc::FirstValue,
        "LAST_VALUE" => AggFunc::LastValue,
        "LISTAGG" => AggFunc::ListAgg,
        "ARRAY_AGG" => AggFunc::ArrayAgg { ignore_nulls: clauses.ignore_nulls.unwrap_or(false) },
        "COLLECT" => AggFunc::Collect,
        // Flink's defaults: NULL ON NULL for the object, ABSENT ON NULL for the array.
        "JSON_OBJECTAGG" => AggFunc::JsonObjectAgg { absent_on_null: clauses.absent_on_null.unwrap_or(false) },
        "JSON_ARRAYAGG" => AggFunc::JsonArrayAgg { absent_on_null: clauses.absent_on_null.unwrap_or(true) },
        _ => return None,
    })
}

/// The clauses of `f` (inside its parentheses, and a null treatment after them), each allowed
/// only where Flink has it.
fn clauses(f: &ast::Function, list: &ast::FunctionArgumentList, name: &str) -> Result<Clauses> {
    let mut out = Clauses::default();
    let mut null_treatment = |t: &NullTreatment| -> Result<()> {
        if name != "ARRAY_AGG" {
            return Err(
                PlanError::not_supported(format!("{name} with {t}"), f.span()).with_hint("only ARRAY_AGG takes IGNORE | RESPECT NULLS")
            );
        }
        out.ignore_nulls = Some(matches!(t, NullTreatment::IgnoreNulls));
        Ok(())
    };
    for c in &list.clauses {
        match c {
            FunctionArgumentClause::IgnoreOrRespectNulls(t) => null_treatment(t)?,
            FunctionArgumentClause::JsonNullClause(j) if name.starts_with("JSON_") => {
                out.absent_on_null = Some(matches!(j, JsonNullClause::AbsentOnNull));
            }
            other => return Err(PlanError::not_supported(format!("{name} with `{other}`"), f.span())),
        }
    }
    if let Some(t) = &f.null_treatment {
        null_treatment(t)?;
    }
    Ok(out)
}

/// An argument expression bound over `scope`: no aggregate may be nested in it.
fn argument(e: &Expr, scope: &Scope) -> Result<ScalarExpr> {
    if let Some(inner) = first_aggregate(e) {
        return Err(PlanError::invalid("aggregates cannot be nested", inner.name.span()));
    }
    bind_expr(e, scope)
}

/// A VARCHAR argument of `name` (a NULL literal becomes a VARCHAR NULL).
fn varchar_argument(e: &Expr, scope: &Scope, name: &str, what: &str) -> Result<ScalarExpr> {
    let b = argument(e, scope)?;
    match b.ty() {
        DataType::Varchar => Ok(b),
        _ if is_null_literal(&b) => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
        t => Err(PlanError::invalid(format!("{name} needs a VARCHAR {what}, not {t}"), e.span())),
    }
}

/// An aggregate call over `scope`'s rows.
pub(super) fn bind_aggregate(f: &ast::Function, scope: &Scope) -> Result<AggregateCall> {
    let span = f.name.span();
    let name = object_name(&f.name).to_ascii_uppercase();
    if f.over.is_some() {
        return Err(PlanError::not_supported(format!("{name} OVER (...) (window functions)"), span));
    }
    let FunctionArguments::List(list) = &f.args else {
        return Err(PlanError::invalid(format!("{name} needs an argument"), call_span(f)));
    };
    let clauses = clauses(f, list, &name)?;
    let func = aggregate_func(&name, &clauses).ok_or_else(|| PlanError::internal(format!("{name} is not an aggregate"), span))?;
    let distinct = matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
    if distinct && !func.takes_distinct() {
        return Err(PlanError::invalid(format!("{name} does not take DISTINCT"), call_span(f)));
    }
    let (arg, arg2) = match (func, list.args.as_slice()) {
        (AggFunc::Count, [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)]) if !distinct => (None, None),
        (AggFunc::ListAgg, [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))]) => {
            (Some(varchar_argument(e, scope, &name, "argument")?), None)
        }
        (AggFunc::ListAgg, [FunctionArg::Unnamed(FunctionArgExpr::Expr(e)), FunctionArg::Unnamed(FunctionArgExpr::Expr(sep))]) => {
            (Some(varchar_argument(e, scope, &name, "argument")?), Some(varchar_argument(sep, scope, &name, "separator")?))
        }
        (AggFunc::ListAgg, _) => {
            return Err(PlanError::invalid("LISTAGG takes an expression and an optional separator", call_span(f))
                .with_hint("LISTAGG(expression [, separator])"));
        }
        (AggFunc::JsonObjectAgg { .. }, [pair]) => {
            let (key, value) = match pair {
                FunctionArg::Named { name: key, arg: FunctionArgExpr::Expr(value), operator: FunctionArgOperator::Value } => {
                    (Expr::Identifier(key.clone()), value)
                }
                FunctionArg::ExprNamed { name: key, arg: FunctionArgExpr::Expr(value), operator: FunctionArgOperator::Value } => {
                    (key.clone(), value)
                }
                _ => {
                    return Err(PlanError::invalid("JSON_OBJECTAGG takes one key and its value", call_span(f))
                        .with_hint("JSON_OBJECTAGG(KEY key VALUE value [ { NULL | ABSENT } ON NULL ])"));
                }
            };
            (Some(varchar_argument(&key, scope, &name, "key")?), Some(argument(value, scope)?))
        }
        (AggFunc::JsonObjectAgg { .. }, _) => {
            return Err(PlanError::invalid("JSON_OBJECTAGG takes one key and its value", call_span(f))
                .with_hint("JSON_OBJECTAGG(KEY key VALUE value [ { NULL | ABSENT } ON NULL ])"));
        }
        (_, [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))]) => (Some(argument(e, scope)?), None),
        _ => return Err(PlanError::invalid(format!("{name} takes one argument"), call_span(f))),
    };
    let arg_ty = arg.as_ref().map(ScalarExpr::ty);
    let ty = func.result_type(arg_ty).ok_or_else(|| {
        PlanError::invalid(
            format!("{name} needs a numeric argument, not {}", arg_ty.map_or("*".to_string(), |t| t.to_string())),
            call_span(f),
        )
    })?;
    let filter = match &f.filter {
        Some(cond) => Some(boolean(bind_expr(cond, scope)?, "FILTER (WHERE ...)", cond.span())?),
        None => None,
    };
    Ok(AggregateCall { func, arg, arg2, distinct, filter, ty })
}
