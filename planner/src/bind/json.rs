//! Binds Flink's JSON forms: `IS JSON`, and the calls `crate::dialect::json` parses with their
//! clauses (JSON_VALUE, JSON_QUERY, JSON_EXISTS, JSON_OBJECT, JSON_ARRAY, and JSON(...) inside
//! the last two). The clauses become the [`JsonFunc`] variant; `DEFAULT` values become extra
//! arguments. A literal path is compiled here, so a bad one is an error at its position.

use super::Result;
use super::ddl::data_type;
use super::expr::{bind_expr, cast_to, is_null_literal};
use super::scope::Scope;
use crate::dialect::json::{DEFAULT, ON_EMPTY, ON_ERROR, WRAPPER};
use crate::error::PlanError;
use sqlparser::ast::{self, Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments, JsonNullClause, Spanned};
use sqlparser::tokenizer::Span;
use vstream_repr::expr::castable;
use vstream_repr::func::Func;
use vstream_repr::func::json::{ExistsOnError, JsonFunc, JsonKind, MAX_RAW_VALUES, QueryBehavior, ValueBehavior, Wrapper};
use vstream_repr::jsonpath::JsonPath;
use vstream_repr::{Batch, DataType, Datum, ScalarExpr};

/// `e IS [NOT] JSON [VALUE | SCALAR | ARRAY | OBJECT]`.
pub(super) fn bind_is_json(
    inner: &Expr,
    kind: Option<&ast::JsonPredicateType>,
    negated: bool,
    scope: &Scope,
    span: Span,
) -> Result<ScalarExpr> {
    let kind = match kind {
        None | Some(ast::JsonPredicateType::Value) => JsonKind::Value,
        Some(ast::JsonPredicateType::Scalar) => JsonKind::Scalar,
        Some(ast::JsonPredicateType::Array) => JsonKind::Array,
        Some(ast::JsonPredicateType::Object) => JsonKind::Object,
    };
    let s = string_arg(bind_expr(inner, scope)?, "IS JSON", inner.span())?;
    let call = fold(ScalarExpr::call(Func::Json(JsonFunc::IsJson(kind)), vec![s], DataType::Boolean), span)?;
    Ok(if negated { ScalarExpr::Unary { op: vstream_repr::UnaryOp::Not, expr: Box::new(call) } } else { call })
}

/// A call of a JSON function with clauses; `None` when `name` is not one (then the registry
/// or the other built-ins bind it).
pub(super) fn bind_json_function(name: &str, f: &ast::Function, scope: &Scope) -> Option<Result<ScalarExpr>> {
    let bound = match name {
        "JSON_VALUE" | "JSON_QUERY" | "JSON_EXISTS" => bind_path_call(name, f, scope),
        "JSON_OBJECT" | "JSON_ARRAY" => bind_constructor(name, f, scope),
        "JSON" => Err(PlanError::invalid("JSON(value) is only valid as a value of JSON_OBJECT or JSON_ARRAY", f.span())
            .with_hint("it marks text to embed as JSON, not as a string")),
        _ => return None,
    };
    Some(bound)
}

/// A VARCHAR argument (a bare NULL becomes a VARCHAR NULL).
fn string_arg(e: ScalarExpr, what: &str, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::Varchar => Ok(e),
        _ if is_null_literal(&e) => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
        t => Err(PlanError::invalid(format!("{what} needs a STRING argument, not {t}"), span).with_hint("CAST it to STRING")),
    }
}

/// Computes a call on literals at planning, so a bad constant is reported with its position.
fn fold(call: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let ScalarExpr::Call { args, ty, .. } = &call else { return Ok(call) };
    if !args.iter().all(|a| matches!(a, ScalarExpr::Literal { .. })) {
        return Ok(call);
    }
    let ty = *ty;
    let col = call.eval(&Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), span))?;
    Ok(ScalarExpr::literal(col.datum(0), ty))
}

/// The call's arguments and clauses as the JSON dialect left them.
fn arg_list(f: &ast::Function) -> Result<(&[FunctionArg], &[FunctionArgumentClause])> {
    match &f.args {
        FunctionArguments::List(l) => Ok((&l.args, &l.clauses)),
        FunctionArguments::None => Ok((&[], &[])),
        FunctionArguments::Subquery(_) => Err(PlanError::not_supported("a subquery argument", f.span())),
    }
}

/// A clause argument made by the JSON dialect: `(ON EMPTY | ON ERROR | WRAPPER, behaviour)`.
fn clause(a: &FunctionArg) -> Option<(&str, &Expr, Span)> {
    let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Prefixed { prefix, value })) = a else { return None };
    [ON_EMPTY, ON_ERROR, WRAPPER].contains(&prefix.value.as_str()).then_some((prefix.value.as_str(), value.as_ref(), prefix.span))
}

/// A behaviour: its keyword(s), or `DEFAULT` with its expression.
fn behaviour(e: &Expr) -> (&str, Option<&Expr>) {
    match e {
        Expr::Prefixed { prefix, value } if prefix.value == DEFAULT => (DEFAULT, Some(value.as_ref())),
        Expr::Identifier(i) => (i.value.as_str(), None),
        _ => ("", None),
    }
}

/// JSON_VALUE, JSON_QUERY, JSON_EXISTS.
fn bind_path_call(name: &str, f: &ast::Function, scope: &Scope) -> Result<ScalarExpr> {
    let span = f.span();
    let (args, clauses) = arg_list(f)?;
    let plain: Vec<&Expr> = args
        .iter()
        .filter(|a| clause(a).is_none())
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(PlanError::not_supported(format!("the argument `{other}`"), span)),
        })
        .collect::<Result<_>>()?;
    let [doc_expr, path_expr] = plain.as_slice() else {
        return Err(PlanError::invalid(format!("{name} takes a JSON document and a path, not {} arguments", plain.len()), span));
    };
    let doc = string_arg(bind_expr(doc_expr, scope)?, name, doc_expr.span())?;
    let path = string_arg(bind_expr(path_expr, scope)?, name, path_expr.span())?;
    if let ScalarExpr::Literal { value: Datum::Str(text), .. } = &path {
        JsonPath::parse(text).map_err(|e| {
            PlanError::invalid(format!("{name}: {e}"), path_expr.span())
                .with_hint("paths: [strict | lax] $ followed by .key, .\"key\", ['key'], [n], [*] or .*")
        })?;
    }
    let mut returning = None;
    for c in clauses {
        match c {
            FunctionArgumentClause::JsonReturningClause(r) if name != "JSON_EXISTS" => returning = Some(&r.data_type),
            other => return Err(PlanError::invalid(format!("{name} does not take `{other}`"), span)),
        }
    }
    let mut on_empty: Option<(&str, Option<&Expr>, Span)> = None;
    let mut on_error: Option<(&str, Option<&Expr>, Span)> = None;
    let mut wrapper = Wrapper::Without;
    for (kind, value, at) in args.iter().filter_map(clause) {
        let (word, default) = behaviour(value);
        let slot = match kind {
            ON_EMPTY if name == "JSON_EXISTS" => return Err(PlanError::invalid("JSON_EXISTS takes ON ERROR only, not ON EMPTY", at)),
            ON_EMPTY => &mut on_empty,
            ON_ERROR => &mut on_error,
            _ if name != "JSON_QUERY" => return Err(PlanError::invalid(format!("{name} takes no wrapper clause"), at)),
            _ => {
                wrapper = match word {
                    "WITH CONDITIONAL ARRAY" => Wrapper::Conditional,
                    "WITH UNCONDITIONAL ARRAY" => Wrapper::Unconditional,
                    _ => Wrapper::Without,
                };
                continue;
            }
        };
        if slot.is_some() {
            return Err(PlanError::invalid(format!("{kind} is given twice"), at));
        }
        *slot = Some((word, default, at));
    }
    let allowed: &[&str] = match name {
        "JSON_VALUE" => &["NULL", "ERROR", DEFAULT],
        "JSON_QUERY" => &["NULL", "ERROR", "EMPTY ARRAY", "EMPTY OBJECT"],
        _ => &["TRUE", "FALSE", "UNKNOWN", "ERROR"],
    };
    for (kind, b) in [(ON_EMPTY, &on_empty), (ON_ERROR, &on_error)] {
        if let Some((word, _, at)) = b
            && !allowed.contains(word)
        {
            return Err(PlanError::invalid(format!("{name} does not take {word} {kind}"), *at)
                .with_hint(format!("{name} takes {} {kind}", allowed.join(", "))));
        }
    }
    let word = |b: &Option<(&str, Option<&Expr>, Span)>, or: &'static str| b.map_or(or, |(w, _, _)| w).to_string();
    let mut call_args = vec![doc, path];
    let (func, ret) = match name {
        "JSON_EXISTS" => {
            let e = match word(&on_error, "FALSE").as_str() {
                "TRUE" => ExistsOnError::True,
                "UNKNOWN" => ExistsOnError::Unknown,
                "ERROR" => ExistsOnError::Error,
                _ => ExistsOnError::False,
            };
            (JsonFunc::Exists(e), DataType::Boolean)
        }
        "JSON_VALUE" => {
            let ret = match returning {
                None => DataType::Varchar,
                Some(t) => {
                    let ty = data_type(t, span)?;
                    if !(ty == DataType::Varchar || ty == DataType::Boolean || ty.is_numeric()) {
                        return Err(PlanError::invalid(format!("JSON_VALUE cannot return {ty}"), span)
                            .with_hint("RETURNING STRING, BOOLEAN, an integer type, DOUBLE or DECIMAL"));
                    }
                    ty
                }
            };
            let mut value_behavior = |b: &Option<(&str, Option<&Expr>, Span)>| -> Result<ValueBehavior> {
                Ok(match b {
                    Some((_, Some(default), at)) => {
                        let d = bind_expr(default, scope)?;
                        if !is_null_literal(&d) && !castable(d.ty(), ret) {
                            return Err(PlanError::invalid(format!("the DEFAULT value's type {} does not convert to {ret}", d.ty()), *at));
                        }
                        call_args.push(cast_to(d, ret, *at)?);
                        ValueBehavior::Default
                    }
                    Some(("ERROR", _, _)) => ValueBehavior::Error,
                    _ => ValueBehavior::Null,
                })
            };
            let on_empty = value_behavior(&on_empty)?;
            let on_error = value_behavior(&on_error)?;
            (JsonFunc::Value { on_empty, on_error }, ret)
        }
        _ => {
            let ret = match returning {
                None => DataType::Varchar,
                Some(ast::DataType::Array(
                    ast::ArrayElemTypeDef::AngleBracket(inner)
                    | ast::ArrayElemTypeDef::SquareBracket(inner, _)
                    | ast::ArrayElemTypeDef::Parenthesis(inner),
                )) if data_type(inner, span).ok() == Some(DataType::Varchar) => DataType::array(DataType::Varchar),
                Some(t) if data_type(t, span).ok() == Some(DataType::Varchar) => DataType::Varchar,
                Some(t) => {
                    return Err(
                        PlanError::invalid(format!("JSON_QUERY cannot return {t}"), span).with_hint("RETURNING STRING or ARRAY<STRING>")
                    );
                }
            };
            let query_behavior = |b: &Option<(&str, Option<&Expr>, Span)>| match b.map(|(w, _, _)| w) {
                Some("ERROR") => QueryBehavior::Error,
                Some("EMPTY ARRAY") => QueryBehavior::EmptyArray,
                Some("EMPTY OBJECT") => QueryBehavior::EmptyObject,
                _ => QueryBehavior::Null,
            };
            if ret != DataType::Varchar && [&on_empty, &on_error].iter().any(|b| b.is_some_and(|(w, _, _)| w == "EMPTY OBJECT")) {
                return Err(PlanError::invalid("EMPTY OBJECT is no value of ARRAY<STRING>", span));
            }
            (JsonFunc::Query { wrapper, on_empty: query_behavior(&on_empty), on_error: query_behavior(&on_error) }, ret)
        }
    };
    fold(ScalarExpr::call(Func::Json(func), call_args, ret), span)
}

/// A value of JSON_OBJECT / JSON_ARRAY: bound, and whether it is JSON text to embed as is
/// (a nested JSON_OBJECT or JSON_ARRAY, or JSON(text)).
fn constructor_value(e: &Expr, scope: &Scope) -> Result<(ScalarExpr, bool)> {
    if let Expr::Function(inner) = e
        && inner.name.0.len() == 1
    {
        let name = super::object_name(&inner.name).to_ascii_uppercase();
        match name.as_str() {
            "JSON_OBJECT" | "JSON_ARRAY" => return Ok((bind_constructor(&name, inner, scope)?, true)),
            "JSON" => {
                let (args, clauses) = arg_list(inner)?;
                let [FunctionArg::Unnamed(FunctionArgExpr::Expr(text))] = args else {
                    return Err(PlanError::invalid("JSON takes one argument, the JSON text", inner.span()));
                };
                if !clauses.is_empty() {
                    return Err(PlanError::invalid("JSON takes no clauses", inner.span()));
                }
                let bound = string_arg(bind_expr(text, scope)?, "JSON", text.span())?;
                return Ok((bound, true));
            }
            _ => {}
        }
    }
    Ok((bind_expr(e, scope)?, false))
}

/// JSON_OBJECT and JSON_ARRAY.
fn bind_constructor(name: &str, f: &ast::Function, scope: &Scope) -> Result<ScalarExpr> {
    let span = f.span();
    let (args, clauses) = arg_list(f)?;
    let object = name == "JSON_OBJECT";
    // Flink's defaults: NULL ON NULL for objects, ABSENT ON NULL for arrays.
    let mut absent_on_null = !object;
    for c in clauses {
        match c {
            FunctionArgumentClause::JsonNullClause(JsonNullClause::AbsentOnNull) => absent_on_null = true,
            FunctionArgumentClause::JsonNullClause(JsonNullClause::NullOnNull) => absent_on_null = false,
            other => return Err(PlanError::invalid(format!("{name} does not take `{other}`"), span)),
        }
    }
    let mut call_args = Vec::new();
    let mut raw = 0u64;
    for (i, a) in args.iter().enumerate() {
        let value = match (object, a) {
            (true, FunctionArg::ExprNamed { name: key, arg: FunctionArgExpr::Expr(value), operator: ast::FunctionArgOperator::Value }) => {
                call_args.push(string_arg(bind_expr(key, scope)?, "a JSON_OBJECT key", key.span())?);
                value
            }
            (false, FunctionArg::Unnamed(FunctionArgExpr::Expr(value))) => value,
            (_, other) => return Err(PlanError::invalid(format!("{name} does not take the argument `{other}`"), span)),
        };
        let (bound, is_raw) = constructor_value(value, scope)?;
        if is_raw {
            if i >= MAX_RAW_VALUES {
                return Err(PlanError::not_supported(format!("more than {MAX_RAW_VALUES} nested JSON values in one {name}"), value.span()));
            }
            raw |= 1u64 << i;
        }
        call_args.push(if is_null_literal(&bound) { ScalarExpr::literal(Datum::Null, DataType::Varchar) } else { bound });
    }
    let func = if object { JsonFunc::Object { absent_on_null, raw } } else { JsonFunc::Array { absent_on_null, raw } };
    fold(ScalarExpr::call(Func::Json(func), call_args, DataType::Varchar), span)
}
