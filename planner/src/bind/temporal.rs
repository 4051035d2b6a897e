//! Dates, times, time zones and intervals in the binder: the temporal column types, INTERVAL
//! literals, `timepoint ± interval`, EXTRACT, FLOOR/CEIL TO a unit, OVERLAPS, the temporal
//! functions that need a unit word or the session time zone, and casts to and from
//! TIMESTAMP_LTZ.
//!
//! The session time zone (`SET 'table.local-time-zone' = 'Europe/Berlin'`, UTC by default) is
//! known only while a script is bound: the binder hands it to each call that depends on it as
//! a hidden literal argument, so evaluation needs no context and a plan shows the zone it uses.

use super::Result;
use super::expr::{bind_expr, call_registered, cast_to};
use super::scope::Scope;
use crate::error::PlanError;
use sqlparser::ast::{self as ast, BinaryOperator, DateTimeField, Expr, Spanned, Value};
use sqlparser::tokenizer::Span;
use std::cell::RefCell;
use vstream_repr::expr::{BinaryOp, Func};
use vstream_repr::func::registry;
use vstream_repr::func::temporal::{TemporalFunc, TimeUnit, parse_zone};
use vstream_repr::types::MAX_TIME_PRECISION;
use vstream_repr::{Batch, DataType, Datum, ScalarExpr};

thread_local! {
    /// The session time zone of the script being bound on this thread. A thread binds one script
    /// at a time ([`reset_session_zone`] starts each), and threading the zone through every scope
    /// would touch every binder function for one setting.
    static SESSION_ZONE: RefCell<String> = RefCell::new("UTC".to_string());
}

/// Back to UTC, at the start of a script.
pub(super) fn reset_session_zone() {
    SESSION_ZONE.with(|z| *z.borrow_mut() = "UTC".to_string());
}

/// `SET 'table.local-time-zone' = '...'`: checked, then used by everything bound after it.
pub(super) fn set_session_zone(value: &str, span: Span) -> Result<()> {
    if parse_zone(value).is_none() {
        return Err(PlanError::invalid(format!("unknown time zone '{value}'"), span)
            .with_hint("use a zone name such as 'Europe/Berlin' or 'UTC', or an offset such as 'GMT+08:00'"));
    }
    SESSION_ZONE.with(|z| *z.borrow_mut() = value.trim().to_string());
    Ok(())
}

/// The session time zone as a literal argument.
fn zone_literal() -> ScalarExpr {
    ScalarExpr::literal(Datum::Str(SESSION_ZONE.with(|z| z.borrow().clone())), DataType::Varchar)
}

/// A temporal column type: DATE, TIME(p), TIMESTAMP(p), TIMESTAMP_LTZ(p); `None` for others.
/// A bare TIMESTAMP is TIMESTAMP(3) (Flink's is TIMESTAMP(6)): event time is in milliseconds.
pub(super) fn temporal_type(ty: &ast::DataType, span: Span) -> Option<Result<DataType>> {
    use ast::DataType as D;
    let precision = |p: Option<u64>, default: u8| -> Result<u8> {
        match p {
            None => Ok(default),
            Some(p) if p <= MAX_TIME_PRECISION as u64 => Ok(p as u8),
            Some(p) => {
                Err(PlanError::invalid(format!("precision {p} is out of range"), span).with_hint("fractional seconds take 0 to 9 digits"))
            }
        }
    };
    Some(match ty {
        D::Date => Ok(DataType::Date),
        D::Time(p, _) => precision(*p, 0).map(|precision| DataType::Time { precision }),
        D::Timestamp(p, tz) => match tz {
            ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone => {
                precision(*p, 3).map(|precision| DataType::Timestamp { precision })
            }
            _ => Err(PlanError::not_supported("TIMESTAMP WITH TIME ZONE", span)
                .with_hint("use TIMESTAMP_LTZ(p), an instant shown in the session time zone")),
        },
        D::Custom(name, modifiers) if name.to_string().eq_ignore_ascii_case("TIMESTAMP_LTZ") => {
            let p = match modifiers.as_slice() {
                [] => None,
                [ast::TypeModifier::Number(n, _)] => n.parse().ok().or(Some(u64::MAX)),
                _ => Some(u64::MAX),
            };
            precision(p, 3).map(|precision| DataType::TimestampLtz { precision })
        }
        _ => return None,
    })
}

/// `e` evaluated now if it is a call on literals only (a bad constant is then an error here).
fn fold(e: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    let ScalarExpr::Call { args, ty, .. } = &e else { return Ok(e) };
    if !args.iter().all(|a| matches!(a, ScalarExpr::Literal { .. })) {
        return Ok(e);
    }
    let ty = *ty;
    let col = e.eval(&Batch::new(1, vec![])).map_err(|err| PlanError::invalid(err.to_string(), span))?;
    Ok(ScalarExpr::literal(col.datum(0), ty))
}

fn temporal_call(f: TemporalFunc, args: Vec<ScalarExpr>, ty: DataType, span: Span) -> Result<ScalarExpr> {
    fold(ScalarExpr::call(Func::Temporal(f), args, ty), span)
}

/// A TIMESTAMP_LTZ(p) as the local TIMESTAMP(p) of the session zone; other values unchanged.
fn to_local(e: ScalarExpr, span: Span) -> Result<ScalarExpr> {
    match e.ty() {
        DataType::TimestampLtz { precision } => {
            temporal_call(TemporalFunc::ToLocal, vec![e, zone_literal()], DataType::Timestamp { precision }, span)
        }
        _ => Ok(e),
    }
}

/// Casts that cross TIMESTAMP_LTZ: through the session zone (`None` for other casts).
pub(super) fn zoned_cast(e: &ScalarExpr, to: DataType, span: Span) -> Option<Result<ScalarExpr>> {
    let from = e.ty();
    let from_ltz = matches!(from, DataType::TimestampLtz { .. });
    let to_ltz = matches!(to, DataType::TimestampLtz { .. });
    if from_ltz == to_ltz {
        return None;
    }
    Some(if from_ltz {
        to_local(e.clone(), span).and_then(|local| cast_to(local, to, span))
    } else {
        let precision = to.time_precision().unwrap_or(3);
        if !(from.is_temporal() || from == DataType::Varchar) {
            return Some(Err(PlanError::invalid(format!("cannot cast {from} to {to}"), span)));
        }
        cast_to(e.clone(), DataType::Timestamp { precision }, span)
            .and_then(|local| temporal_call(TemporalFunc::FromLocal, vec![local, zone_literal()], to, span))
    })
}

/// Two temporal operands of a comparison brought to one type (`None` if nothing is to do):
/// TIMESTAMPs of different precisions to the finer one, a DATE to a TIMESTAMP, a TIMESTAMP
/// compared with a TIMESTAMP_LTZ taken in the session zone.
pub(super) fn align(l: &ScalarExpr, r: &ScalarExpr, span: Span) -> Option<Result<(ScalarExpr, ScalarExpr)>> {
    let (lt, rt) = (l.ty(), r.ty());
    if lt == rt {
        return None;
    }
    let common = common_temporal(lt, rt)?;
    Some(cast_to(l.clone(), common, span).and_then(|l| Ok((l, cast_to(r.clone(), common, span)?))))
}

/// The type two different temporal types are both brought to (CASE branches, COALESCE, UNION,
/// comparisons): the finer TIMESTAMP (a DATE is a TIMESTAMP at midnight), TIMESTAMP_LTZ when
/// either is one, the finer TIME. `None` for other pairs.
pub(super) fn common_temporal(a: DataType, b: DataType) -> Option<DataType> {
    if !a.is_temporal() || !b.is_temporal() {
        return None;
    }
    Some(match (a, b) {
        (DataType::TimestampLtz { precision: p }, o) | (o, DataType::TimestampLtz { precision: p })
            if o.is_timestamp() || o == DataType::Date =>
        {
            DataType::TimestampLtz { precision: p.max(o.time_precision().unwrap_or(0)) }
        }
        (x, y) if (x.is_timestamp() || x == DataType::Date) && (y.is_timestamp() || y == DataType::Date) => {
            DataType::Timestamp { precision: x.time_precision().unwrap_or(0).max(y.time_precision().unwrap_or(0)) }
        }
        (DataType::Time { precision: p }, DataType::Time { precision: q }) => DataType::Time { precision: p.max(q) },
        _ => return None,
    })
}

/// `l op r` where an operand is a date, time, timestamp or interval (`None` otherwise):
/// `timepoint ± interval`, `interval ± interval`, `interval * integer`. `timepoint - timepoint`
/// is refused, as in Flink.
pub(super) fn binary(op: &BinaryOperator, l: &ScalarExpr, r: &ScalarExpr, span: Span) -> Option<Result<ScalarExpr>> {
    let (lt, rt) = (l.ty(), r.ty());
    let involved = |t: DataType| t.is_temporal() || t.is_interval();
    if !involved(lt) && !involved(rt) {
        return None;
    }
    let add = |tp: &ScalarExpr, iv: &ScalarExpr, subtract: bool| -> Result<ScalarExpr> {
        let ty = tp.ty();
        // An instant plus months moves by the calendar of the session zone.
        if matches!(ty, DataType::TimestampLtz { .. }) && iv.ty() == DataType::IntervalYearMonth {
            let local = to_local(tp.clone(), span)?;
            let moved = temporal_call(TemporalFunc::AddInterval { subtract }, vec![local, iv.clone()], local_type(ty), span)?;
            return cast_to(moved, ty, span);
        }
        temporal_call(TemporalFunc::AddInterval { subtract }, vec![tp.clone(), iv.clone()], ty, span)
    };
    Some(match op {
        BinaryOperator::Plus if lt.is_temporal() && rt.is_interval() => add(l, r, false),
        BinaryOperator::Plus if lt.is_interval() && rt.is_temporal() => add(r, l, false),
        BinaryOperator::Minus if lt.is_temporal() && rt.is_interval() => add(l, r, true),
        BinaryOperator::Plus | BinaryOperator::Minus if lt.is_interval() && lt == rt => {
            let op = if *op == BinaryOperator::Plus { BinaryOp::Add } else { BinaryOp::Sub };
            Ok(ScalarExpr::Binary { op, left: Box::new(l.clone()), right: Box::new(r.clone()), ty: lt })
        }
        BinaryOperator::Minus if lt.is_temporal() && rt.is_temporal() => {
            Err(PlanError::invalid(format!("cannot subtract {rt} from {lt}"), span)
                .with_hint("use TIMESTAMPDIFF(unit, t1, t2) for the time between two points, as in Flink"))
        }
        BinaryOperator::Multiply if lt.is_interval() && rt.is_integer() => {
            Ok(ScalarExpr::Binary { op: BinaryOp::Mul, left: Box::new(l.clone()), right: Box::new(r.clone()), ty: lt })
        }
        BinaryOperator::Multiply if lt.is_integer() && rt.is_interval() => {
            Ok(ScalarExpr::Binary { op: BinaryOp::Mul, left: Box::new(r.clone()), right: Box::new(l.clone()), ty: rt })
        }
        BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Multiply | BinaryOperator::Divide | BinaryOperator::Modulo => {
            Err(PlanError::invalid(format!("cannot apply `{op}` to {lt} and {rt}"), span)
                .with_hint("add or subtract an INTERVAL to a date or time (ts + INTERVAL '1' HOUR); multiply an INTERVAL by an integer"))
        }
        _ => return None,
    })
}

/// The local type an instant type is shown as.
fn local_type(ty: DataType) -> DataType {
    match ty {
        DataType::TimestampLtz { precision } => DataType::Timestamp { precision },
        t => t,
    }
}

/// The unit a `DateTimeField` (or a bare word like `HOUR`) names.
fn unit_of(word: &str, span: Span) -> Result<TimeUnit> {
    TimeUnit::parse(word.trim()).ok_or_else(|| {
        PlanError::invalid(format!("unknown time unit `{word}`"), span).with_hint(
            "units: YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, NANOSECOND, DOY, DOW, EPOCH",
        )
    })
}

fn field_unit(field: &DateTimeField, span: Span) -> Result<TimeUnit> {
    let text = match field {
        DateTimeField::Week(_) => "WEEK".to_string(),
        other => other.to_string(),
    };
    unit_of(&text, span)
}

/// Whether EXTRACT of `unit` applies to `ty`.
fn extract_applies(unit: TimeUnit, ty: DataType) -> bool {
    match ty {
        DataType::Time { .. } => unit.is_time_of_day() || unit == TimeUnit::Epoch,
        DataType::Date => !unit.is_time_of_day(),
        t => t.is_timestamp(),
    }
}

/// `EXTRACT(unit FROM x)`: BIGINT.
pub(super) fn bind_extract(field: &DateTimeField, expr: &Expr, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let unit = field_unit(field, span)?;
    let x = bind_expr(expr, scope)?;
    let x = match x.ty() {
        DataType::Varchar if super::expr::is_null_literal(&x) => ScalarExpr::literal(Datum::Null, DataType::TIMESTAMP),
        _ => to_local(x, span)?,
    };
    if !extract_applies(unit, x.ty()) {
        return Err(PlanError::invalid(format!("cannot EXTRACT {} from {}", unit.name(), x.ty()), expr.span())
            .with_hint("EXTRACT takes a DATE, TIME or TIMESTAMP, and a unit that the type has"));
    }
    temporal_call(TemporalFunc::Extract(unit), vec![x], DataType::BigInt, span)
}

/// `FLOOR(x TO unit)` / `CEIL(x TO unit)`: the same type as `x`.
pub(super) fn bind_floor_ceil(expr: &Expr, field: &DateTimeField, ceil: bool, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let unit = field_unit(field, span)?;
    let x = bind_expr(expr, scope)?;
    let ty = x.ty();
    let ok = match ty {
        DataType::Time { .. } => unit.is_time_of_day(),
        t => t.is_timestamp() || t == DataType::Date,
    };
    let ok = ok && (unit.months().is_some() || unit.fixed_nanos().is_some());
    if !ok {
        return Err(PlanError::invalid(format!("cannot round {ty} to {}", unit.name()), span)
            .with_hint("FLOOR/CEIL(x TO unit) take a DATE, TIME or TIMESTAMP and a unit from YEAR to MILLISECOND"));
    }
    let f = if ceil { TemporalFunc::Ceil(unit) } else { TemporalFunc::Floor(unit) };
    if matches!(ty, DataType::TimestampLtz { .. }) {
        // Days, months and years begin at local midnight of the session zone.
        let local = to_local(x, span)?;
        let rounded = temporal_call(f, vec![local], local_type(ty), span)?;
        return cast_to(rounded, ty, span);
    }
    temporal_call(f, vec![x], ty, span)
}

/// `(s1, e1) OVERLAPS (s2, e2)`, each second element a point or an interval from the first.
pub(super) fn bind_overlaps(left: &Expr, right: &Expr, scope: &Scope, span: Span) -> Result<ScalarExpr> {
    let pair = |e: &Expr| -> Result<(ScalarExpr, ScalarExpr)> {
        let inner = match e {
            Expr::Nested(n) => n.as_ref(),
            other => other,
        };
        let Expr::Tuple(items) = inner else {
            return Err(PlanError::invalid("OVERLAPS compares two (start, end) pairs", e.span()));
        };
        let [s, x] = items.as_slice() else {
            return Err(PlanError::invalid("OVERLAPS compares two (start, end) pairs", e.span()));
        };
        let start = bind_expr(s, scope)?;
        let end = bind_expr(x, scope)?;
        if !start.ty().is_temporal() {
            return Err(PlanError::invalid(format!("OVERLAPS needs a date or time, not {}", start.ty()), s.span()));
        }
        let end = if end.ty().is_interval() {
            temporal_call(TemporalFunc::AddInterval { subtract: false }, vec![start.clone(), end], start.ty(), x.span())?
        } else {
            end
        };
        Ok((start, end))
    };
    let (s1, e1) = pair(left)?;
    let (s2, e2) = pair(right)?;
    let ty = s1.ty();
    let mut args = Vec::new();
    for e in [s1, e1, s2, e2] {
        let e = match align(&ScalarExpr::literal(Datum::Null, ty), &e, span) {
            Some(r) => r?.1,
            None => e,
        };
        if e.ty() != ty && !super::expr::is_null_literal(&e) {
            return Err(PlanError::invalid(format!("OVERLAPS cannot compare {ty} with {}", e.ty()), span));
        }
        args.push(cast_to(e, ty, span)?);
    }
    temporal_call(TemporalFunc::Overlaps, args, DataType::Boolean, span)
}

/// An INTERVAL literal: `INTERVAL '1' HOUR`, `INTERVAL '2-10' YEAR TO MONTH`,
/// `INTERVAL '1 02:03:04.5' DAY TO SECOND`, `INTERVAL '-3' MONTH`, `INTERVAL '5 s'`.
pub(super) fn interval_literal(iv: &ast::Interval, span: Span) -> Result<ScalarExpr> {
    let bad = |why: &str| {
        PlanError::invalid(format!("invalid interval: {why}"), span)
            .with_hint("e.g. INTERVAL '1' HOUR, INTERVAL '2-10' YEAR TO MONTH, INTERVAL '1 02:03:04' DAY TO SECOND")
    };
    let text = match iv.value.as_ref() {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            _ => return Err(bad("the value must be a quoted string")),
        },
        Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match expr.as_ref() {
            Expr::Value(v) => format!("-{}", v.value).replace('\'', ""),
            _ => return Err(bad("the value must be a quoted string")),
        },
        _ => return Err(bad("the value must be a quoted string")),
    };
    let Some(leading) = &iv.leading_field else {
        // `INTERVAL '5 s'`: the duration forms windows accept.
        let ms = super::expr::interval_millis(&Expr::Interval(iv.clone()))?;
        return Ok(ScalarExpr::literal(Datum::Int(ms), DataType::IntervalDayTime));
    };
    let first = field_unit(leading, span)?;
    let last = match &iv.last_field {
        Some(f) => field_unit(f, span)?,
        None => first,
    };
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, t.strip_prefix('+').unwrap_or(t).trim()),
    };
    const YM: [TimeUnit; 2] = [TimeUnit::Year, TimeUnit::Month];
    const DT: [TimeUnit; 4] = [TimeUnit::Day, TimeUnit::Hour, TimeUnit::Minute, TimeUnit::Second];
    let (units, year_month): (&[TimeUnit], bool) = if YM.contains(&first) { (&YM, true) } else { (&DT, false) };
    let (Some(a), Some(b)) = (units.iter().position(|u| *u == first), units.iter().position(|u| *u == last)) else {
        return Err(bad(&format!("{} TO {} is not a range", first.name(), last.name())));
    };
    if b < a {
        return Err(bad(&format!("{} TO {} is not a range", first.name(), last.name())));
    }
    let fields = &units[a..=b];
    let parts: Vec<&str> = body.split([' ', ':', '-']).filter(|p| !p.is_empty()).collect();
    if parts.len() != fields.len() {
        return Err(bad(&format!("'{text}' does not match {}", fields.iter().map(|u| u.name()).collect::<Vec<_>>().join(" TO "))));
    }
    let mut total: i64 = 0;
    for (i, (unit, part)) in fields.iter().zip(&parts).enumerate() {
        let per = match unit {
            TimeUnit::Year => 12,
            TimeUnit::Month => 1,
            TimeUnit::Day => 86_400_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Minute => 60_000,
            _ => 1_000,
        };
        let value = if *unit == TimeUnit::Second {
            let (whole, frac) = part.split_once('.').unwrap_or((part, ""));
            if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("seconds take at most 3 fractional digits"));
            }
            let w: i64 = whole.parse().map_err(|_| bad(&format!("'{part}' is not a number")))?;
            let f: i64 = format!("{frac:0<3}").parse().unwrap_or(0);
            w.checked_mul(1000).and_then(|w| w.checked_add(f))
        } else {
            part.parse::<i64>().ok().and_then(|v| v.checked_mul(per))
        };
        let value = value.ok_or_else(|| bad(&format!("'{part}' is not a whole number in range")))?;
        // Fields after the first are bounded (months < 12, hours < 24, ...), as in Flink.
        let bound = match unit {
            TimeUnit::Month => 12,
            TimeUnit::Hour => 24 * per,
            TimeUnit::Minute | TimeUnit::Second => 60 * per,
            _ => i64::MAX,
        };
        if i > 0 && value >= bound {
            return Err(bad(&format!("'{part}' is out of range for {}", unit.name())));
        }
        total = total.checked_add(value).ok_or_else(|| bad("out of range"))?;
    }
    let total = if negative { -total } else { total };
    Ok(ScalarExpr::literal(Datum::Int(total), if year_month { DataType::IntervalYearMonth } else { DataType::IntervalDayTime }))
}

fn arity(name: &str, args: &[&Expr], range: std::ops::RangeInclusive<usize>, span: Span) -> Result<()> {
    if range.contains(&args.len()) {
        return Ok(());
    }
    let want = if range.start() == range.end() { range.start().to_string() } else { format!("{} to {}", range.start(), range.end()) };
    Err(PlanError::invalid(format!("{name} takes {want} arguments, not {}", args.len()), span))
}

/// The temporal functions whose arguments need the binder: a unit word (TIMESTAMPADD), a
/// TIMESTAMP_LTZ read in the session zone (HOUR, DATE_FORMAT), or the session zone itself
/// (FROM_UNIXTIME, CURRENT_DATE). `None` for any other name.
pub(super) fn bind_call(name: &str, args: &[&Expr], scope: &Scope, span: Span) -> Option<Result<ScalarExpr>> {
    let kind = match name {
        "YEAR" | "QUARTER" | "MONTH" | "WEEK" | "DAYOFYEAR" | "DAYOFMONTH" | "DAYOFWEEK" | "HOUR" | "MINUTE" | "SECOND" => 0,
        "DATE_FORMAT" => 1,
        "TIMESTAMPADD" | "TIMESTAMPDIFF" => 2,
        "FROM_UNIXTIME" | "UNIX_TIMESTAMP" | "LOCALTIMESTAMP" | "LOCALTIME" | "CURRENT_TIME" | "CURRENT_DATE" => 3,
        _ => return None,
    };
    let def = registry::lookup(name)?;
    let spans: Vec<Span> = args.iter().map(|a| a.span()).collect();
    let bind_all = || args.iter().map(|a| bind_expr(a, scope)).collect::<Result<Vec<_>>>();
    Some((|| match kind {
        0 => {
            arity(name, args, 1..=1, span)?;
            let x = bind_all()?.into_iter().map(|x| to_local(x, span)).collect::<Result<Vec<_>>>()?;
            call_registered(def, x, &spans, span)
        }
        1 => {
            arity(name, args, 2..=2, span)?;
            let mut bound = bind_all()?;
            let mut spans = spans.clone();
            if matches!(bound[0].ty(), DataType::TimestampLtz { .. }) {
                bound.push(zone_literal());
                spans.push(span);
            }
            call_registered(def, bound, &spans, span)
        }
        2 => bind_timestamp_add_diff(name, args, scope, span),
        _ => {
            let range = match name {
                "FROM_UNIXTIME" => 1..=2,
                "UNIX_TIMESTAMP" => 0..=2,
                _ => 0..=0,
            };
            arity(name, args, range, span)?;
            let mut bound = bind_all()?;
            bound.push(zone_literal());
            let mut spans = spans.clone();
            spans.push(span);
            call_registered(def, bound, &spans, span)
        }
    })())
}

/// `TIMESTAMPADD(unit, n, timepoint)` and `TIMESTAMPDIFF(unit, t1, t2)`.
fn bind_timestamp_add_diff(name: &str, args: &[&Expr], scope: &Scope, span: Span) -> Result<ScalarExpr> {
    arity(name, args, 3..=3, span)?;
    let unit_text = match args[0] {
        Expr::Identifier(i) => i.value.clone(),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    let unit = unit_of(&unit_text, args[0].span())?;
    if unit.months().is_none() && unit.fixed_nanos().is_none()
        || matches!(unit, TimeUnit::Millennium | TimeUnit::Century | TimeUnit::Decade)
    {
        return Err(PlanError::invalid(format!("{name} does not take the unit {}", unit.name()), args[0].span())
            .with_hint("units: NANOSECOND, MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR"));
    }
    let temporal = |e: &Expr| -> Result<ScalarExpr> {
        let x = bind_expr(e, scope)?;
        if super::expr::is_null_literal(&x) {
            return Ok(ScalarExpr::literal(Datum::Null, DataType::TIMESTAMP));
        }
        if !x.ty().is_temporal() {
            return Err(PlanError::invalid(format!("{name} needs a DATE, TIME or TIMESTAMP here, not {}", x.ty()), e.span())
                .with_hint(registry::lookup(name).map_or(String::new(), |d| format!("{name} takes {}", d.signatures))));
        }
        Ok(x)
    };
    if name == "TIMESTAMPADD" {
        let n = bind_expr(args[1], scope)?;
        let n = match n.ty() {
            _ if super::expr::is_null_literal(&n) => ScalarExpr::literal(Datum::Null, DataType::BigInt),
            t if t.is_integer() => cast_to(n, DataType::BigInt, span)?,
            t => return Err(PlanError::invalid(format!("TIMESTAMPADD needs an integer amount, not {t}"), args[1].span())),
        };
        let tp = temporal(args[2])?;
        let ty = tp.ty();
        let call = |tp: ScalarExpr, ty: DataType| temporal_call(TemporalFunc::TimestampAdd(unit), vec![n.clone(), tp], ty, span);
        return match ty {
            DataType::Date if unit.is_time_of_day() => call(cast_to(tp, DataType::TIMESTAMP, span)?, DataType::TIMESTAMP),
            DataType::TimestampLtz { .. } if unit.fixed_nanos().is_none_or(|s| s >= 86_400_000_000_000) => {
                let local = to_local(tp, span)?;
                cast_to(call(local, local_type(ty))?, ty, span)
            }
            _ => call(tp, ty),
        };
    }
    let (a, b) = (temporal(args[1])?, temporal(args[2])?);
    let (a, b) = match align(&a, &b, span) {
        Some(r) => r?,
        None => (a, b),
    };
    if a.ty() != b.ty() {
        return Err(PlanError::invalid(format!("TIMESTAMPDIFF cannot compare {} with {}", a.ty(), b.ty()), span));
    }
    let (a, b) = if unit.months().is_some() { (to_local(a, span)?, to_local(b, span)?) } else { (a, b) };
    temporal_call(TemporalFunc::TimestampDiff(unit), vec![a, b], DataType::Int, span)
}
