//! Scalar expressions: `bind_expr` and the functions, casts, type unification and literals it
//! types them with.

use super::ddl::data_type;
use super::nested;
use super::predicates::{self, Truth};
use super::query::AGGREGATES;
use super::scope::{Grouping, Scope};
use super::{Result, object_name};
use crate::dialect::BETWEEN_SYMMETRIC_MARKER;
use crate::error::{PlanError, did_you_mean};
use sqlparser::ast::{
    self as ast, BinaryOperator, CastKind, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Spanned, TrimWhereField, UnaryOperator,
    Value,
};
use sqlparser::tokenizer::Span;
use vstream_repr::decimal;
use vstream_repr::expr::{BinaryOp, Func, UnaryOp};
use vstream_repr::func::registry::{self, ArgType, FunctionDef};
use vstream_repr::types::MAX_DECIMAL_PRECISION;
use vstream_repr::window::{amount_millis, parse_duration, unit_millis};
use vstream_repr::{Batch, DataType, Datum, ScalarExpr};

/// Whether `e` is a bare NULL (typed VARCHAR until context gives it a type).
pub(super) fn is_null_literal(e: &ScalarExpr) -> bool {
    matches!(e, ScalarExpr::Literal { value: Datum::Null, .. })
}

/// Casts that happen without being written: numeric widening and NULL.
pub(super) fn implicitly_castable(from: DataType, to: DataType) -> bool {
    if from == to {
        return true;
    }
    match (from, to) {
        (DataType::Int, DataType::BigInt) => true,
        (a, b) if a.is_integer() && b.is_integer() => a.int_range().0 >= b.int_range().0,
        (a, DataType::Float) if a.is_integer() => true,
        (a, DataType::Double) if a.is_numeric() => true,
        (a, DataType::Decimal { precision, scale }) => match a.as_decimal() {
            Some((p, s)) => s <= scale && p - s <= precision - scale,
            None => false,
        },
        _ => false,
    }
}

/// Casts `e` to `to`, folding a literal at plan time so a bad constant is reported with its
/// position instead of failing every row at run time.
pub(super) fn cast_to(e: ScalarExpr, to: DataType, span: Span) -> Result<ScalarExpr> {
    if e.ty() == to {
        return Ok(e);
    }
    if is_null_literal(&e) {
        return Ok(ScalarExpr::literal(Datum::Null, to));
    }
    if let Some(zoned) = super::temporal::zoned_cast(&e, to, span) {
        return zoned;
    }
    let cast = ScalarExpr::Cast { expr: Box::new(e), to };
    if let ScalarExpr::Cast { expr, .. } = &cast
        && matches!(expr.as_ref(), ScalarExpr::Literal { .. })
    {
        let col = cast.eval(&Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), span))?;
        return Ok(ScalarExpr::literal(col.datum(0), to));
    }
    Ok(cast)
}

/// The type both operands of a numeric operation are brought to (Flink's rules: TINYINT and
/// SMALLINT stay themselves with each other, FLOAT with an integer is FLOAT).
fn numeric_common(a: DataType, b: DataType) -> Option<DataType> {
    vstream_repr::func::conditional::numeric_common(a, b)
}

/// The type two columns of one position in a UNION are both brought to, if there is one.
pub(super) fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    if a == b { Some(a) } else { numeric_common(a, b).or_else(|| super::temporal::common_temporal(a, b)) }
}

/// The common type of CASE branches, COALESCE arguments and the like.
fn unify(exprs: &[ScalarExpr]) -> Option<DataType> {
    let mut ty: Option<DataType> = None;
    for e in exprs {
        if is_null_literal(e) {
            continue;
        }
        ty = Some(match ty {
            None => e.ty(),
            Some(t) if t == e.ty() => t,
            Some(t) => numeric_common(t, e.ty()).or_else(|| super::temporal::common_temporal(t, e.ty()))?,
        });
    }
    Some(ty.unwrap_or(DataType::Varchar))
}

/// `l op r` of type `ty`.
fn binary(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, ty: DataType) -> ScalarExpr {
    ScalarExpr::Binary { op, left: Box::new(l), right: Box::new(r), ty }
}

/// Types `l op r` for arithmetic, following DuckDB where engines differ: `/` is DOUBLE division,
/// DECIMAL `*` adds precisions and scales, `+`/`-` keep the larger scale with one more digit.
fn arithmetic(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let (lt, rt) = (l.ty(), r.ty());
    let (lt, rt) = match (is_null_literal(&l), is_null_literal(&r)) {
        (true, false) => (rt, rt),
        (false, true) => (lt, lt),
        _ => (lt, rt),
    };
    let Some(common) = numeric_common(lt, rt) else {
        return Err(PlanError::invalid(format!("cannot apply `{}` to {lt} and {rt}", op.symbol()), span)
            .with_hint("arithmetic needs numbers; CAST strings to a numeric type"));
    };
    if op == BinaryOp::Div {
        return Ok(binary(op, cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?, DataType::Double));
    }
    match common {
        DataType::Decimal { .. } => {
            let (p1, s1) = lt.as_decimal().unwrap_or((38, 0));
            let (p2, s2) = rt.as_decimal().unwrap_or((38, 0));
            let l = cast_to(l, DataType::Decimal { precision: p1, scale: s1 }, span)?;
            let r = cast_to(r, DataType::Decimal { precision: p2, scale: s2 }, span)?;
            let ty = match op {
                BinaryOp::Mul => {
                    let s = s1 + s2;
                    if s > MAX_DECIMAL_PRECISION {
                        return Err(PlanError::invalid(format!("DECIMAL product of scale {s} exceeds 38 digits"), span));
                    }
                    DataType::Decimal { precision: (p1 + p2).min(MAX_DECIMAL_PRECISION), scale: s }
                }
                BinaryOp::Mod => common,
                _ => {
                    let s = s1.max(s2);
                    DataType::Decimal { precision: ((p1 - s1).max(p2 - s2) + s + 1).min(MAX_DECIMAL_PRECISION), scale: s }
                }
            };
            Ok(binary(op, l, r, ty))
        }
        DataType::Double => Ok(binary(op, cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?, DataType::Double)),
        // FLOAT arithmetic is done in DOUBLE and rounded back to FLOAT.
        DataType::Float => {
            let wide = binary(op, cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?, DataType::Double);
            Ok(ScalarExpr::Cast { expr: Box::new(wide), to: DataType::Float })
        }
        int => Ok(binary(op, retype_null(l, int), retype_null(r, int), int)),
    }
}

/// `e`, or a NULL of type `ty` if `e` is a bare NULL.
fn retype_null(e: ScalarExpr, ty: DataType) -> ScalarExpr {
    if is_null_literal(&e) { ScalarExpr::literal(Datum::Null, ty) } else { e }
}

/// Types a comparison, bringing both sides to one type (a string literal compared with a
/// timestamp is read as a timestamp).
pub(super) fn comparison(op: BinaryOp, l: ScalarExpr, r: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let (l, r) = match super::temporal::align(&l, &r, span) {
        Some(aligned) => aligned?,
        None => (l, r),
    };
    let (lt, rt) = (l.ty(), r.ty());
    let is_str_lit = |e: &ScalarExpr| matches!(e, ScalarExpr::Literal { value: Datum::Str(_), .. });
    let (l, r) = if is_null_literal(&l) {
        (ScalarExpr::literal(Datum::Null, rt), r)
    } else if is_null_literal(&r) {
        (l, ScalarExpr::literal(Datum::Null, lt))
    } else if lt == rt {
        (l, r)
    } else if let Some(common) = numeric_common(lt, rt) {
        match common {
            DataType::Decimal { .. } => {
                let (p1, s1) = lt.as_decimal().unwrap_or((38, 0));
                let (p2, s2) = rt.as_decimal().unwrap_or((38, 0));
                (
                    cast_to(l, DataType::Decimal { precision: p1, scale: s1 }, span)?,
                    cast_to(r, DataType::Decimal { precision: p2, scale: s2 }, span)?,
                )
            }
            DataType::Double | DataType::Float => (cast_to(l, DataType::Double, span)?, cast_to(r, DataType::Double, span)?),
            _ => (l, r),
        }
    } else if is_str_lit(&r) && rt == DataType::Varchar {
        (l, cast_to(r, lt, span)?)
    } else if is_str_lit(&l) && lt == DataType::Varchar {
        let l = cast_to(l, rt, span)?;
        (l, r)
    } else {
        return Err(PlanError::invalid(format!("cannot compare {lt} with {rt}"), span).with_hint("CAST one side to the other's type"));
    };
    Ok(binary(op, l, r, DataType::Boolean))
}

/// `e` as a BOOLEAN operand of `what` (a NULL literal becomes a BOOLEAN NULL).
pub(super) fn boolean(e: ScalarExpr, what: &str, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::Boolean => Ok(e),
        _ if is_null_literal(&e) => Ok(ScalarExpr::literal(Datum::Null, DataType::Boolean)),
        t => Err(PlanError::invalid(format!("{what} needs BOOLEAN operands, not {t}"), span)),
    }
}

/// `e` as a VARCHAR argument of `func` (a NULL literal becomes a VARCHAR NULL).
pub(super) fn varchar(e: ScalarExpr, func: &str, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::Varchar => Ok(e),
        _ if is_null_literal(&e) => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
        t => Err(PlanError::invalid(format!("{func} needs a VARCHAR argument, not {t}"), span).with_hint("CAST it to VARCHAR")),
    }
}

/// A numeric literal's type: INT or BIGINT if it is an integer that fits, DECIMAL(p, s) for digits
/// with a point, DOUBLE with an exponent (as DuckDB types them).
fn number_literal(text: &str, span: Span) -> Result<ScalarExpr> {
    if let Some(v) = vstream_repr::expr::parse_i64(text.as_bytes()) {
        let ty = if i32::try_from(v).is_ok() { DataType::Int } else { DataType::BigInt };
        return Ok(ScalarExpr::literal(Datum::Int(v), ty));
    }
    if text.contains(['e', 'E']) {
        return text
            .parse::<f64>()
            .map(|v| ScalarExpr::literal(Datum::Double(v), DataType::Double))
            .map_err(|_| PlanError::invalid(format!("invalid number {text}"), span));
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let int_digits = int.trim_start_matches('0').len();
    let scale = frac.len();
    let precision = (int_digits + scale).max(1).max(scale);
    if precision > MAX_DECIMAL_PRECISION as usize {
        return text
            .parse::<f64>()
            .map(|v| ScalarExpr::literal(Datum::Double(v), DataType::Double))
            .map_err(|_| PlanError::invalid(format!("invalid number {text}"), span));
    }
    let m = decimal::parse(text.as_bytes(), scale as u8).ok_or_else(|| PlanError::invalid(format!("invalid number {text}"), span))?;
    Ok(ScalarExpr::literal(Datum::Decimal(m), DataType::Decimal { precision: precision as u8, scale: scale as u8 }))
}

/// Binds and types a scalar expression over `scope`'s columns (or, after GROUP BY, its groups).
pub(super) fn bind_expr(e: &Expr, scope: &Scope) -> Result<ScalarExpr> {
    let span = e.span();
    if let Some(grouping) = &scope.grouping
        && let Some(bound) = bind_over_groups(e, scope, grouping)
    {
        return bound;
    }
    match e {
        Expr::Identifier(i) => scope.column(i),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] if scope.relations_named(&q.value).next().is_some() => scope.qualified_column(q, c),
            _ => nested::compound_identifier(parts, scope, span),
        },
        Expr::CompoundFieldAccess { root, access_chain } => nested::compound_access(root, access_chain, scope, span),
        Expr::Array(array) => nested::bind_array(&array.elem, scope, span),
        Expr::Map(map) => nested::bind_map(&map.entries, scope, span),
        Expr::Tuple(items) => nested::bind_row(&items.iter().collect::<Vec<_>>(), scope, span),
        Expr::Value(v) => literal(&v.value, span),
        Expr::TypedString(ts) => {
            let ty = data_type(&ts.data_type, span)?;
            let text = match &ts.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            };
            cast_to(ScalarExpr::literal(Datum::Str(text), DataType::Varchar), ty, span)
        }
        Expr::Nested(inner) => bind_expr(inner, scope),
        Expr::UnaryOp { op, expr } => bind_unary(op, expr, scope, span),
        Expr::BinaryOp { left, op: BinaryOperator::Overlaps, right } => super::temporal::bind_overlaps(left, right, scope, span),
        Expr::Extract { field, expr, .. } => super::temporal::bind_extract(field, expr, scope, span),
        Expr::Floor { expr, field: ast::CeilFloorKind::DateTimeField(f) } if !matches!(f, ast::DateTimeField::NoDateTime) => {
            super::temporal::bind_floor_ceil(expr, f, false, scope, span)
        }
        Expr::Ceil { expr, field: ast::CeilFloorKind::DateTimeField(f) } if !matches!(f, ast::DateTimeField::NoDateTime) => {
            super::temporal::bind_floor_ceil(expr, f, true, scope, span)
        }
        Expr::BinaryOp { left, op, right } => bind_binary(op, bind_expr(left, scope)?, bind_expr(right, scope)?, span),
        Expr::IsNull(inner) => Ok(ScalarExpr::Unary { op: UnaryOp::IsNull, expr: Box::new(bind_expr(inner, scope)?) }),
        Expr::IsNotNull(inner) => Ok(ScalarExpr::Unary { op: UnaryOp::IsNotNull, expr: Box::new(bind_expr(inner, scope)?) }),
        Expr::Between { expr, negated, low, high } => {
            let x = bind_expr(expr, scope)?;
            let lo = comparison(BinaryOp::GtEq, x.clone(), bind_expr(low, scope)?, span)?;
            let hi = comparison(BinaryOp::LtEq, x, bind_expr(high, scope)?, span)?;
            Ok(negated_if(*negated, binary(BinaryOp::And, lo, hi, DataType::Boolean)))
        }
        Expr::In { target: ast::InTarget::List(list), expr, negated, .. } => bind_in_list(expr, list, *negated, scope, span),
        Expr::Like { negated, any: false, expr, pattern, escape_char } => {
            let s = varchar(bind_expr(expr, scope)?, "LIKE", span)?;
            let p = varchar(bind_expr(pattern, scope)?, "LIKE", span)?;
            let mut args = vec![s, p];
            if let Some(e) = escape_char {
                let text = e.to_string();
                let esc = text.trim_matches('\'');
                if esc.chars().count() != 1 {
                    return Err(PlanError::invalid(format!("ESCAPE takes one character, not {text}"), span));
                }
                args.push(ScalarExpr::literal(Datum::Str(esc.to_string()), DataType::Varchar));
            }
            Ok(ScalarExpr::call(Func::Like { negated: *negated }, args, DataType::Boolean))
        }
        Expr::Case { operand, conditions, else_result, .. } => {
            bind_case(operand.as_deref(), conditions, else_result.as_deref(), scope, span)
        }
        Expr::Cast { kind, expr, data_type: dt, format: None } => {
            if *kind == CastKind::TryCast {
                return predicates::try_cast(bind_expr(expr, scope)?, data_type(dt, span)?, span);
            }
            if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) {
                return Err(PlanError::not_supported(format!("{kind:?}"), span));
            }
            explicit_cast(bind_expr(expr, scope)?, data_type(dt, span)?, span)
        }
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            // `SUBSTRING(s FROM a FOR b)` is the registered SUBSTRING(s, a, b).
            let mut parts: Vec<&Expr> = vec![expr];
            parts.extend(substring_from.as_deref());
            parts.extend(substring_for.as_deref());
            if substring_from.is_none() {
                return Err(PlanError::invalid("SUBSTRING needs a start (FROM)", span));
            }
            call_by_name("SUBSTRING", &parts, scope, span)
        }
        Expr::Trim { expr, trim_where, trim_what, trim_characters } => {
            // Flink's TRIM strips the characters of its set (a space by default) from one or both ends.
            let name = match trim_where {
                None | Some(TrimWhereField::Both) => "TRIM",
                Some(TrimWhereField::Leading) => "LTRIM",
                Some(TrimWhereField::Trailing) => "RTRIM",
            };
            let mut parts: Vec<&Expr> = vec![expr];
            match (trim_what, trim_characters.as_deref()) {
                (Some(w), None) => parts.push(w),
                (None, Some([c])) => parts.push(c),
                (None, None) => {}
                _ => return Err(PlanError::not_supported("TRIM with more than one character list", span)),
            }
            call_by_name(name, &parts, scope, span)
        }
        Expr::Position { expr, r#in } => call_by_name("POSITION", &[expr, r#in], scope, span),
        Expr::Overlay { expr, overlay_what, overlay_from, overlay_for } => {
            let mut parts: Vec<&Expr> = vec![expr, overlay_what, overlay_from];
            parts.extend(overlay_for.as_deref());
            call_by_name("OVERLAY", &parts, scope, span)
        }
        Expr::Function(f) => bind_function(f, scope),
        Expr::IsDistinctFrom(a, b) => predicates::distinct_from(a, b, true, scope, span),
        Expr::IsNotDistinctFrom(a, b) => predicates::distinct_from(a, b, false, scope, span),
        Expr::IsTrue(b) => predicates::truth(b, Truth::True, false, scope, span),
        Expr::IsNotTrue(b) => predicates::truth(b, Truth::True, true, scope, span),
        Expr::IsFalse(b) => predicates::truth(b, Truth::False, false, scope, span),
        Expr::IsNotFalse(b) => predicates::truth(b, Truth::False, true, scope, span),
        Expr::IsUnknown(b) => predicates::truth(b, Truth::Unknown, false, scope, span),
        Expr::IsNotUnknown(b) => predicates::truth(b, Truth::Unknown, true, scope, span),
        Expr::SimilarTo { negated, expr, pattern, escape_char } => {
            predicates::similar_to(expr, pattern, escape_char.as_deref(), *negated, scope, span)
        }
        Expr::Ceil { expr, field } => predicates::ceil_floor(expr, field, true, scope, span),
        Expr::Floor { expr, field } => predicates::ceil_floor(expr, field, false, scope, span),
        Expr::IsJson { expr, kind, unique_keys: None, negated } => super::json::bind_is_json(expr, kind.as_ref(), *negated, scope, span),
        Expr::Interval(iv) => super::temporal::interval_literal(iv, span),
        other => Err(PlanError::not_supported(format!("the expression `{other}`"), span)),
    }
}

/// Over groups, a name or expression means a group key or an aggregate, matched by its SQL text
/// (`auction % 10` in SELECT is the key `auction % 10` of GROUP BY); a column name must be a
/// key. `None` for other expressions, which are bound from their parts.
fn bind_over_groups(e: &Expr, scope: &Scope, grouping: &Grouping) -> Option<Result<ScalarExpr>> {
    let text = e.to_string();
    if let Some((_, i)) = scope.computed.iter().find(|(t, _)| *t == text) {
        return Some(Ok(ScalarExpr::column(*i, scope.schema.fields[*i].ty)));
    }
    let (Expr::Identifier(_) | Expr::CompoundIdentifier(_)) = e else { return None };
    let bound = match bind_expr(e, &grouping.input) {
        Ok(bound) => bound,
        Err(err) => return Some(Err(err)),
    };
    Some(match grouping.keys.iter().position(|k| *k == bound) {
        Some(i) => Ok(ScalarExpr::column(i, scope.schema.fields[i].ty)),
        None => Err(PlanError::invalid(format!("column `{text}` must appear in GROUP BY or be used in an aggregate"), e.span())
            .with_hint(format!("add `{text}` to GROUP BY, or aggregate it (e.g. MAX({text}))"))),
    })
}

/// A literal: a number, a string, a boolean or NULL (a VARCHAR until context retypes it).
fn literal(v: &Value, span: Span) -> Result<ScalarExpr> {
    match v {
        Value::Number(n, _) => number_literal(n, span),
        Value::SingleQuotedString(s) => Ok(ScalarExpr::literal(Datum::Str(s.clone()), DataType::Varchar)),
        Value::Boolean(b) => Ok(ScalarExpr::literal(Datum::Bool(*b), DataType::Boolean)),
        Value::Null => Ok(ScalarExpr::literal(Datum::Null, DataType::Varchar)),
        other => Err(PlanError::not_supported(format!("the literal {other}"), span)),
    }
}

/// `NOT x`, `-x`, `+x`.
fn bind_unary(op: &UnaryOperator, expr: &Expr, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let inner = bind_expr(expr, scope)?;
    match op {
        UnaryOperator::Not => Ok(ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(boolean(inner, "NOT", span)?) }),
        UnaryOperator::Minus => {
            // Fold `-5` so the literal's type is right (`-2147483648` is an INT).
            if let ScalarExpr::Literal { .. } = inner
                && let Expr::Value(v) = expr
                && let Value::Number(n, _) = &v.value
            {
                return number_literal(&format!("-{n}"), span);
            }
            if !inner.ty().is_numeric() && !is_null_literal(&inner) {
                return Err(PlanError::invalid(format!("cannot negate {}", inner.ty()), span));
            }
            Ok(ScalarExpr::Unary { op: UnaryOp::Neg, expr: Box::new(inner) })
        }
        UnaryOperator::Plus if !inner.ty().is_numeric() && !is_null_literal(&inner) => {
            Err(PlanError::invalid(format!("unary + needs a number, not {}", inner.ty()), span))
        }
        UnaryOperator::Plus => Ok(inner),
        other => Err(PlanError::not_supported(format!("the operator {other}"), span)),
    }
}

/// `l op r` for the arithmetic, comparison, logical and `||` operators.
fn bind_binary(op: &BinaryOperator, l: ScalarExpr, r: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    if let Some(temporal) = super::temporal::binary(op, &l, &r, span) {
        return temporal;
    }
    let cmp = |o| comparison(o, l.clone(), r.clone(), span);
    match op {
        BinaryOperator::Plus => arithmetic(BinaryOp::Add, l, r, span),
        BinaryOperator::Minus => arithmetic(BinaryOp::Sub, l, r, span),
        BinaryOperator::Multiply => arithmetic(BinaryOp::Mul, l, r, span),
        BinaryOperator::Divide => arithmetic(BinaryOp::Div, l, r, span),
        BinaryOperator::Modulo => arithmetic(BinaryOp::Mod, l, r, span),
        BinaryOperator::Eq => cmp(BinaryOp::Eq),
        BinaryOperator::NotEq => cmp(BinaryOp::NotEq),
        BinaryOperator::Lt => cmp(BinaryOp::Lt),
        BinaryOperator::LtEq => cmp(BinaryOp::LtEq),
        BinaryOperator::Gt => cmp(BinaryOp::Gt),
        BinaryOperator::GtEq => cmp(BinaryOp::GtEq),
        BinaryOperator::And => Ok(binary(BinaryOp::And, boolean(l, "AND", span)?, boolean(r, "AND", span)?, DataType::Boolean)),
        BinaryOperator::Or => Ok(binary(BinaryOp::Or, boolean(l, "OR", span)?, boolean(r, "OR", span)?, DataType::Boolean)),
        BinaryOperator::StringConcat => {
            // `a || b` is Flink's CONCAT(a, b): NULL when either side is.
            let def = registry::lookup("CONCAT").ok_or_else(|| PlanError::internal("CONCAT is not registered", span))?;
            call_registered(def, vec![l, r], &[span, span], span)
        }
        other => Err(PlanError::not_supported(format!("the operator {other}"), span)),
    }
}

/// `NOT e` when `negated`, else `e`.
fn negated_if(negated: bool, e: ScalarExpr) -> ScalarExpr {
    if negated { ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(e) } } else { e }
}

/// `x [NOT] IN (a, b)`: `x = a OR x = b` under three-valued logic, which is SQL's meaning.
fn bind_in_list(expr: &Expr, list: &[Expr], negated: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let x = bind_expr(expr, scope)?;
    let mut any: Option<ScalarExpr> = None;
    for item in list {
        let eq = comparison(BinaryOp::Eq, x.clone(), bind_expr(item, scope)?, item.span())?;
        any = Some(match any {
            None => eq,
            Some(prev) => binary(BinaryOp::Or, prev, eq, DataType::Boolean),
        });
    }
    let any = any.ok_or_else(|| PlanError::invalid("IN needs at least one value", span))?;
    Ok(negated_if(negated, any))
}

/// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`, its branches brought to one type.
fn bind_case(
    operand: Option<&Expr>,
    conditions: &[ast::CaseWhen],
    else_result: Option<&Expr>,
    scope: &Scope,
    span: Span,
) -> Result<ScalarExpr> {
    let operand = operand.map(|o| bind_expr(o, scope)).transpose()?;
    let mut conds = Vec::new();
    let mut results = Vec::new();
    for w in conditions {
        let c = bind_expr(&w.condition, scope)?;
        let c = match &operand {
            Some(o) => comparison(BinaryOp::Eq, o.clone(), c, w.condition.span())?,
            None => boolean(c, "CASE WHEN", w.condition.span())?,
        };
        conds.push(c);
        results.push(bind_expr(&w.result, scope)?);
    }
    let otherwise = match else_result {
        Some(e) => bind_expr(e, scope)?,
        None => ScalarExpr::literal(Datum::Null, DataType::Varchar),
    };
    results.push(otherwise);
    let ty = unify(&results).ok_or_else(|| {
        let tys: Vec<String> = results.iter().filter(|e| !is_null_literal(e)).map(|e| e.ty().to_string()).collect();
        PlanError::invalid(format!("CASE branches have incompatible types: {}", tys.join(", ")), span)
    })?;
    let mut results = results.into_iter().map(|r| cast_to(r, ty, span)).collect::<Result<Vec<_>>>()?;
    let otherwise = results.pop().unwrap_or(ScalarExpr::literal(Datum::Null, ty));
    Ok(ScalarExpr::Case { branches: conds.into_iter().zip(results).collect(), otherwise: Box::new(otherwise), ty })
}

/// `CAST(inner AS to)`, refused between types with no conversion.
pub(super) fn explicit_cast(inner: ScalarExpr, to: DataType, span: Span) -> Result<ScalarExpr> {
    let from = inner.ty();
    let ok = from == to
        || is_null_literal(&inner)
        || to == DataType::Varchar
        || from == DataType::Varchar
        || (from.is_numeric() && to.is_numeric())
        || (from == DataType::Boolean && to.is_numeric())
        || (from.is_numeric() && to == DataType::Boolean)
        || vstream_repr::expr::castable(from, to)
        || vstream_repr::func::collection::nested_castable(from, to);
    if !ok {
        return Err(PlanError::invalid(format!("cannot cast {from} to {to}"), span));
    }
    cast_to(inner, to, span)
}

/// The scalar functions the binder calls by hand rather than through the registry (their syntax
/// or typing is special), by name: with the registry's, the names did-you-mean hints pick from.
const FUNCTIONS: &[&str] = &[
    "MOD",
    "ABS",
    "PROCTIME",
    "LENGTH",
    "COALESCE",
    "ROW",
    "JSON",
    "JSON_ARRAY",
    "JSON_EXISTS",
    "JSON_OBJECT",
    "JSON_QUERY",
    "JSON_VALUE",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "DATE_FORMAT",
    "DAYOFMONTH",
    "DAYOFWEEK",
    "DAYOFYEAR",
    "FROM_UNIXTIME",
    "HOUR",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "MINUTE",
    "MONTH",
    "QUARTER",
    "SECOND",
    "TIMESTAMPADD",
    "TIMESTAMPDIFF",
    "UNIX_TIMESTAMP",
    "WEEK",
    "YEAR",
];

/// A scalar function call; aggregates are bound elsewhere and refused here.
fn bind_function(f: &ast::Function, scope: &Scope) -> Result<ScalarExpr> {
    let span = f.name.span();
    let name = object_name(&f.name).to_ascii_uppercase();
    if AGGREGATES.contains(&name.as_str()) {
        // Aggregates are bound up front (see `aggregate`); one reaching here is misplaced.
        return Err(PlanError::invalid(format!("aggregate {name} cannot be used here"), span)
            .with_hint("aggregates belong in SELECT or HAVING, and cannot be nested"));
    }
    if f.over.is_some() || f.filter.is_some() {
        return Err(PlanError::not_supported(format!("{name} with OVER or FILTER"), span));
    }
    if let Some(bound) = super::json::bind_json_function(&name, f, scope) {
        return bound;
    }
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return Err(PlanError::not_supported(format!("{name} with DISTINCT or clauses"), span));
            }
            list.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                    other => Err(PlanError::not_supported(format!("the argument `{other}`"), span)),
                })
                .collect::<Result<_>>()?
        }
        FunctionArguments::None => vec![],
        FunctionArguments::Subquery(_) => return Err(PlanError::not_supported("a subquery argument", span)),
    };
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            let want = if n.start() == n.end() { n.start().to_string() } else { format!("{} to {}", n.start(), n.end()) };
            Err(PlanError::invalid(format!("{name} takes {want} arguments, not {}", args.len()), f.span()))
        }
    };
    if let Some(temporal) = super::temporal::bind_call(&name, &args, scope, f.span()) {
        return temporal;
    }
    if name == "ROW" {
        return nested::bind_row(&args, scope, f.span());
    }
    let bound = args.iter().map(|a| bind_expr(a, scope)).collect::<Result<Vec<_>>>()?;
    match name.as_str() {
        "MOD" => {
            arity(2..=2)?;
            let mut b = bound.into_iter();
            let (l, r) = (b.next(), b.next());
            arithmetic(BinaryOp::Mod, l.ok_or_else(|| internal(span))?, r.ok_or_else(|| internal(span))?, f.span())
        }
        "ABS" => {
            arity(1..=1)?;
            let x = bound.into_iter().next().ok_or_else(|| internal(span))?;
            if !x.ty().is_numeric() {
                return Err(PlanError::invalid(format!("ABS needs a number, not {}", x.ty()), f.span()));
            }
            let ty = x.ty();
            Ok(ScalarExpr::call(Func::Abs, vec![x], ty))
        }
        "PROCTIME" => {
            arity(0..=0)?;
            Ok(ScalarExpr::call(Func::ProcTime, vec![], DataType::TIMESTAMP_LTZ))
        }
        "LENGTH" => {
            arity(1..=1)?;
            let x = varchar(bound.into_iter().next().ok_or_else(|| internal(span))?, &name, f.span())?;
            Ok(ScalarExpr::call(Func::Length, vec![x], DataType::BigInt))
        }
        "COALESCE" => {
            arity(1..=usize::MAX)?;
            let ty = unify(&bound).ok_or_else(|| {
                let tys: Vec<String> = bound.iter().map(|e| e.ty().to_string()).collect();
                PlanError::invalid(format!("COALESCE arguments have incompatible types: {}", tys.join(", ")), f.span())
            })?;
            let args = bound.into_iter().map(|a| cast_to(a, ty, f.span())).collect::<Result<_>>()?;
            Ok(ScalarExpr::call(Func::Coalesce, args, ty))
        }
        n if n.eq_ignore_ascii_case(BETWEEN_SYMMETRIC_MARKER) => {
            let mut b = bound.into_iter();
            match (b.next(), b.next(), b.next()) {
                (Some(x), Some(lo), Some(hi)) => predicates::between_symmetric(x, lo, hi, f.span()),
                _ => Err(internal(span)),
            }
        }
        "TUMBLE" | "HOP" | "SESSION" | "CUMULATE" => Err(PlanError::not_supported(format!("{name} outside FROM TABLE(...)"), span)),
        _ => match registry::lookup(&name) {
            Some(def) => {
                let spans: Vec<Span> = args.iter().map(|a| a.span()).collect();
                call_registered(def, bound, &spans, f.span()).map(predicates::lazy_conditional)
            }
            None => Err(PlanError::invalid(format!("unknown function `{name}`"), span)
                .with_hint_opt(did_you_mean(&name, FUNCTIONS.iter().copied().chain(registry::all().iter().map(|d| d.name))))),
        },
    }
}

/// A call of a registered function: its typing rule picks the argument and result types, each
/// argument is cast to its type, and a call whose arguments are all literals is folded (so a
/// bad constant is reported with its position).
pub(super) fn call_registered(def: &FunctionDef, args: Vec<ScalarExpr>, spans: &[Span], span: Span) -> Result<ScalarExpr> {
    let types: Vec<ArgType<'_>> = args
        .iter()
        .map(|a| ArgType {
            ty: (!is_null_literal(a)).then(|| a.ty()),
            literal: match a {
                ScalarExpr::Literal { value, .. } => Some(value),
                _ => None,
            },
        })
        .collect();
    let typed = (def.typer)(&types).map_err(|e| {
        let at = e.arg.and_then(|i| spans.get(i).copied()).unwrap_or(span);
        PlanError::invalid(format!("{}: {}", def.name, e.message), at).with_hint(format!("{} takes {}", def.name, def.signatures))
    })?;
    let mut cast_args = Vec::with_capacity(args.len());
    for (i, (a, to)) in args.into_iter().zip(typed.args).enumerate() {
        let at = spans.get(i).copied().unwrap_or(span);
        cast_args.push(cast_to(a, to, at)?);
    }
    let all_literal = cast_args.iter().all(|a| matches!(a, ScalarExpr::Literal { .. }));
    let call = ScalarExpr::call(def.func, cast_args, typed.ret);
    if all_literal && def.deterministic {
        let col = call.eval(&Batch::new(1, vec![])).map_err(|err| PlanError::invalid(format!("{}: {err}", def.name), span))?;
        return Ok(ScalarExpr::literal(col.datum(0), typed.ret));
    }
    Ok(call)
}

/// A call of the registered function `name` on the expressions `parts` (for the SQL forms with
/// their own syntax: `TRIM(... FROM ...)`, `POSITION(... IN ...)`, `SUBSTRING(... FROM ...)`, `OVERLAY`).
fn call_by_name(name: &str, parts: &[&Expr], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let def = registry::lookup(name).ok_or_else(|| PlanError::internal(format!("{name} is not registered"), span))?;
    let bound = parts.iter().map(|e| bind_expr(e, scope)).collect::<Result<Vec<_>>>()?;
    let spans: Vec<Span> = parts.iter().map(|e| e.span()).collect();
    call_registered(def, bound, &spans, span)
}

/// A function's argument missing after its arity was checked: a bug, not a script's mistake.
fn internal(span: Span) -> PlanError {
    PlanError::internal("missing argument", span)
}

/// An `INTERVAL '0.2' SECOND` (or `INTERVAL '5 s'`) in milliseconds; negative amounts allowed.
pub(super) fn interval_millis(e: &Expr) -> Result<i64> {
    let bad = || {
        PlanError::invalid(format!("expected an interval such as INTERVAL '10' SECOND, not `{e}`"), e.span())
            .with_hint("units: MILLISECOND, SECOND, MINUTE, HOUR, DAY")
    };
    let Expr::Interval(iv) = e else { return Err(bad()) };
    if iv.last_field.is_some() {
        return Err(PlanError::not_supported("an INTERVAL ... TO ... range", e.span()));
    }
    let text = match iv.value.as_ref() {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    let (negative, amount) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, text.trim().to_string()),
    };
    let ms = match &iv.leading_field {
        Some(field) => unit_millis(&field.to_string()).and_then(|u| amount_millis(&amount, u)),
        None => parse_duration(&amount),
    };
    let ms = ms.ok_or_else(|| {
        PlanError::invalid(format!("cannot read `{e}` as a whole number of milliseconds"), e.span())
            .with_hint("units: MILLISECOND, SECOND, MINUTE, HOUR, DAY")
    })?;
    Ok(if negative { -ms } else { ms })
}
