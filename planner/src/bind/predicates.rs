//! Syntax forms of Flink's comparison, logical, numeric and conversion functions that are not
//! plain calls: `IS [NOT] DISTINCT FROM`, `IS [NOT] TRUE/FALSE/UNKNOWN`, `BETWEEN SYMMETRIC`,
//! `[NOT] SIMILAR TO`, `TRY_CAST`, `CEIL`/`FLOOR`; and the lazy forms of IF and IFNULL.

use super::Result;
use super::expr::{bind_expr, boolean, call_registered, comparison, explicit_cast, is_null_literal, varchar};
use super::scope::Scope;
use crate::error::PlanError;
use sqlparser::ast::{CeilFloorKind, DateTimeField, Expr, Spanned, Value};
use sqlparser::tokenizer::Span;
use vstream_repr::expr::{BinaryOp, Func, UnaryOp};
use vstream_repr::func::conditional::{ConditionalFunc, compile_similar_to};
use vstream_repr::func::registry;
use vstream_repr::{DataType, Datum, ScalarExpr};

fn not(e: ScalarExpr) -> ScalarExpr {
    ScalarExpr::Unary { op: UnaryOp::Not, expr: Box::new(e) }
}

fn is_null(e: ScalarExpr) -> ScalarExpr {
    ScalarExpr::Unary { op: UnaryOp::IsNull, expr: Box::new(e) }
}

fn bool_literal(b: bool) -> ScalarExpr {
    ScalarExpr::literal(Datum::Bool(b), DataType::Boolean)
}

/// `a IS [NOT] DISTINCT FROM b`: equality where NULL equals NULL, never UNKNOWN.
pub(super) fn distinct_from(a: &Expr, b: &Expr, distinct: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let (l, r) = (bind_expr(a, scope)?, bind_expr(b, scope)?);
    if is_null_literal(&l) && is_null_literal(&r) {
        return Ok(bool_literal(!distinct));
    }
    let ScalarExpr::Binary { left, right, .. } = comparison(BinaryOp::Eq, l, r, span)? else {
        return Err(PlanError::internal("a comparison that is not binary", span));
    };
    let (l, r) = (*left, *right);
    // CASE computes `l = r` only on rows where neither side is NULL.
    let same = ScalarExpr::Case {
        branches: vec![(is_null(l.clone()), is_null(r.clone())), (is_null(r.clone()), bool_literal(false))],
        otherwise: Box::new(ScalarExpr::Binary { op: BinaryOp::Eq, left: Box::new(l), right: Box::new(r), ty: DataType::Boolean }),
        ty: DataType::Boolean,
    };
    Ok(if distinct { not(same) } else { same })
}

/// Which truth value `IS [NOT] TRUE / FALSE / UNKNOWN` tests for.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Truth {
    /// `IS TRUE`.
    True,
    /// `IS FALSE`.
    False,
    /// `IS UNKNOWN` (NULL).
    Unknown,
}

/// `b IS [NOT] TRUE / FALSE / UNKNOWN`: TRUE or FALSE, never UNKNOWN.
pub(super) fn truth(e: &Expr, which: Truth, negated: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let b = boolean(bind_expr(e, scope)?, "IS TRUE / FALSE / UNKNOWN", span)?;
    let test = match which {
        Truth::Unknown => is_null(b),
        Truth::True => ScalarExpr::call(Func::Coalesce, vec![b, bool_literal(false)], DataType::Boolean),
        Truth::False => ScalarExpr::call(Func::Coalesce, vec![not(b), bool_literal(false)], DataType::Boolean),
    };
    Ok(if negated { not(test) } else { test })
}

/// `x BETWEEN SYMMETRIC a AND b`: `x BETWEEN a AND b OR x BETWEEN b AND a`, as Calcite expands it
/// (so `NULL` bounds give Flink's UNKNOWN and FALSE where plain BETWEEN does).
pub(super) fn between_symmetric(x: ScalarExpr, a: ScalarExpr, b: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let between = |lo: &ScalarExpr, hi: &ScalarExpr| -> Result<ScalarExpr> {
        let ge = comparison(BinaryOp::GtEq, x.clone(), lo.clone(), span)?;
        let le = comparison(BinaryOp::LtEq, x.clone(), hi.clone(), span)?;
        Ok(ScalarExpr::Binary { op: BinaryOp::And, left: Box::new(ge), right: Box::new(le), ty: DataType::Boolean })
    };
    let (ab, ba) = (between(&a, &b)?, between(&b, &a)?);
    Ok(ScalarExpr::Binary { op: BinaryOp::Or, left: Box::new(ab), right: Box::new(ba), ty: DataType::Boolean })
}

/// The one character of an ESCAPE clause.
fn escape_text(e: &Expr) -> Result<String> {
    let text = match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    if text.chars().count() != 1 {
        return Err(PlanError::invalid(format!("ESCAPE takes one character, not '{text}'"), e.span()));
    }
    Ok(text)
}

/// `s [NOT] SIMILAR TO pattern [ESCAPE c]`, matched as a regular expression over the whole
/// string; a literal pattern is checked here, so a bad one is an error at its position.
pub(super) fn similar_to(s: &Expr, pattern: &Expr, escape: Option<&Expr>, negated: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let text = varchar(bind_expr(s, scope)?, "SIMILAR TO", span)?;
    let pat = varchar(bind_expr(pattern, scope)?, "SIMILAR TO", pattern.span())?;
    let escape = escape.map(escape_text).transpose()?;
    if let ScalarExpr::Literal { value: Datum::Str(p), .. } = &pat {
        compile_similar_to(p, escape.as_deref().and_then(|e| e.chars().next())).map_err(|err| {
            PlanError::invalid(err, pattern.span()).with_hint("SIMILAR TO takes %, _, |, *, +, ?, {m,n}, (...) and [...]")
        })?;
    }
    let mut args = vec![text, pat];
    if let Some(e) = escape {
        args.push(ScalarExpr::literal(Datum::Str(e), DataType::Varchar));
    }
    Ok(ScalarExpr::call(Func::Conditional(ConditionalFunc::SimilarTo { negated }), args, DataType::Boolean))
}

/// `TRY_CAST(x AS type)`: CAST where it succeeds, NULL where it fails. Pairs of types with no
/// conversion at all are still a planning error, as in Flink.
pub(super) fn try_cast(inner: ScalarExpr, to: DataType, span: Span) -> Result<ScalarExpr> {
    let from = inner.ty();
    if from == to || is_null_literal(&inner) || !vstream_repr::expr::castable(from, to) {
        return explicit_cast(inner, to, span);
    }
    if matches!(inner, ScalarExpr::Literal { .. }) {
        return Ok(explicit_cast(inner, to, span).unwrap_or(ScalarExpr::literal(Datum::Null, to)));
    }
    Ok(ScalarExpr::call(Func::Conditional(ConditionalFunc::TryCast), vec![inner], to))
}

/// `CEIL(x)` / `FLOOR(x)` on a number, through the registry; `CEIL(t TO unit)` / `FLOOR(t TO
/// unit)` go to the temporal functions `CEIL_TO` / `FLOOR_TO` with the unit as a string.
pub(super) fn ceil_floor(x: &Expr, field: &CeilFloorKind, up: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let name = if up { "CEIL" } else { "FLOOR" };
    let arg = bind_expr(x, scope)?;
    match field {
        CeilFloorKind::DateTimeField(DateTimeField::NoDateTime) => {
            let def = registry::lookup(name).ok_or_else(|| PlanError::internal(format!("{name} is not registered"), span))?;
            call_registered(def, vec![arg], &[x.span()], span)
        }
        CeilFloorKind::DateTimeField(unit) => {
            let to = format!("{name}_TO");
            let def = registry::lookup(&to).ok_or_else(|| PlanError::not_supported(format!("{name}(... TO {unit})"), span))?;
            let unit = ScalarExpr::literal(Datum::Str(unit.to_string()), DataType::Varchar);
            call_registered(def, vec![arg, unit], &[x.span(), span], span)
        }
        CeilFloorKind::Scale(_) => {
            Err(PlanError::not_supported(format!("{name} with a scale"), span).with_hint("use ROUND(x, d) or TRUNCATE(x, d)"))
        }
    }
}

/// IF and IFNULL computed lazily, as Flink does: IF as a CASE (a branch is computed only on
/// the rows that take it, so `IF(s <> '', CAST(s AS INT), 0)` does not fail on ''), IFNULL as
/// a COALESCE. Other calls pass through.
pub(super) fn lazy_conditional(e: ScalarExpr) -> ScalarExpr {
    match e {
        ScalarExpr::Call { func: Func::Conditional(ConditionalFunc::If), args, ty, .. } if args.len() == 3 => {
            let mut it = args.into_iter();
            match (it.next(), it.next(), it.next()) {
                (Some(c), Some(t), Some(f)) => ScalarExpr::Case { branches: vec![(c, t)], otherwise: Box::new(f), ty },
                _ => ScalarExpr::literal(Datum::Null, ty),
            }
        }
        ScalarExpr::Call { func: Func::Conditional(ConditionalFunc::IfNull), args, ty, .. } => ScalarExpr::call(Func::Coalesce, args, ty),
        other => other,
    }
}
