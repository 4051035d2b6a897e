//! Flink's numeric functions: rounding, logarithms, trigonometry, random numbers, number formatting.
//!
//! Flink computes these with `java.lang.Math` on DOUBLE, so a domain error gives NaN or an
//! infinity rather than an error (`SQRT(-1)` is NaN, `LN(0)` is `-inf`); vstream does the same.
//! ROUND and TRUNCATE follow Flink's `SqlFunctionUtils`: HALF_UP (and ROUND_DOWN) on the
//! number's decimal digits, so `ROUND(2.675, 2)` is 2.68 on a DOUBLE too, where a binary
//! `round(x * 100) / 100` gives 2.67.

// Kernels walk their argument columns in step by row index.
#![allow(clippy::needless_range_loop)]

use super::registry::rules::{arity, double, integer, typed};
use super::{Arg, ArgType, CallCache, Category, ColumnBuilder, Func, FunctionDef, SigError, Typed};
use crate::column::{Column, ColumnData};
use crate::datum::Datum;
use crate::decimal::{self, POW10};
use crate::expr::EvalError;
use crate::types::{DataType, MAX_DECIMAL_PRECISION};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MathFunc {
    /// `POWER(x, y)`: DOUBLE.
    Power,
    /// `SQRT(x)`: DOUBLE, NaN below 0.
    Sqrt,
    /// `EXP(x)`.
    Exp,
    /// `SIGN(x)`: -1, 0 or 1 in the argument's type.
    Sign,
    /// `LN(x)`.
    Ln,
    /// `LOG10(x)`.
    Log10,
    /// `LOG2(x)`.
    Log2,
    /// `LOG(x)` (natural) or `LOG(base, x)`.
    Log,
    /// `CEIL(x)`, `CEILING(x)`.
    Ceil,
    /// `FLOOR(x)`.
    Floor,
    /// `SIN(x)`.
    Sin,
    /// `SINH(x)`.
    Sinh,
    /// `COS(x)`.
    Cos,
    /// `COSH(x)`.
    Cosh,
    /// `TAN(x)`.
    Tan,
    /// `TANH(x)`.
    Tanh,
    /// `COT(x)`: `1 / TAN(x)`.
    Cot,
    /// `ASIN(x)`.
    Asin,
    /// `ACOS(x)`.
    Acos,
    /// `ATAN(x)`.
    Atan,
    /// `ATAN2(y, x)`.
    Atan2,
    /// `DEGREES(x)`.
    Degrees,
    /// `RADIANS(x)`.
    Radians,
    /// `ROUND(x [, d])`: HALF_UP to `d` decimals (negative: tens, hundreds...).
    Round,
    /// `TRUNCATE(x [, d])`: toward zero to `d` decimals.
    Truncate,
    /// `PI()`.
    Pi,
    /// `E()`.
    E,
    /// `RAND([seed])`: DOUBLE in [0, 1).
    Rand,
    /// `RAND_INTEGER([seed,] bound)`: INT in [0, bound).
    RandInteger,
    /// `UUID()`: an RFC 4122 version 4 UUID.
    Uuid,
    /// `BIN(x)`: binary digits of a BIGINT (two's complement when negative).
    Bin,
    /// `HEX(x)`: upper-case hex digits of a BIGINT, or of a string's UTF-8 bytes.
    Hex,
    /// `UNHEX(s)`: the bytes hex digits spell; NULL if a character is not a hex digit.
    Unhex,
}

impl MathFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        use MathFunc::*;
        match self {
            Power => "POWER",
            Sqrt => "SQRT",
            Exp => "EXP",
            Sign => "SIGN",
            Ln => "LN",
            Log10 => "LOG10",
            Log2 => "LOG2",
            Log => "LOG",
            Ceil => "CEIL",
            Floor => "FLOOR",
            Sin => "SIN",
            Sinh => "SINH",
            Cos => "COS",
            Cosh => "COSH",
            Tan => "TAN",
            Tanh => "TANH",
            Cot => "COT",
            Asin => "ASIN",
            Acos => "ACOS",
            Atan => "ATAN",
            Atan2 => "ATAN2",
            Degrees => "DEGREES",
            Radians => "RADIANS",
            Round => "ROUND",
            Truncate => "TRUNCATE",
            Pi => "PI",
            E => "E",
            Rand => "RAND",
            RandInteger => "RAND_INTEGER",
            Uuid => "UUID",
            Bin => "BIN",
            Hex => "HEX",
            Unhex => "UNHEX",
        }
    }
}

fn unary_double(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![double(args, 0)?], DataType::Double)
}

fn binary_double(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    typed(vec![double(args, 0)?, double(args, 1)?], DataType::Double)
}

fn log_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 2)?;
    let tys = (0..args.len()).map(|i| double(args, i)).collect::<Result<_, _>>()?;
    typed(tys, DataType::Double)
}

fn constant(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 0, 0)?;
    typed(vec![], DataType::Double)
}

/// Argument `i` as a number, kept in its own type (a NULL is taken as `null_as`).
fn numeric(args: &[ArgType<'_>], i: usize, null_as: DataType) -> Result<DataType, SigError> {
    match args[i].ty {
        None => Ok(null_as),
        Some(t) if t.is_numeric() => Ok(t),
        Some(t) => Err(SigError::arg(i, format!("argument {} must be numeric, not {t}", i + 1))),
    }
}

fn sign_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let t = numeric(args, 0, DataType::Int)?;
    typed(vec![t], t)
}

fn ceil_floor_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let t = numeric(args, 0, DataType::Double)?;
    let ret = match t {
        // Rounding to an integer needs one digit more than the integer part has (9.5 → 10).
        DataType::Decimal { precision, scale } => {
            DataType::Decimal { precision: (precision - scale + 1).min(MAX_DECIMAL_PRECISION), scale: 0 }
        }
        t => t,
    };
    typed(vec![t], ret)
}

/// ROUND's and TRUNCATE's result type (Flink's `LogicalTypeMerging.findRoundDecimalType` for a
/// DECIMAL with a literal digit count; the argument's own type otherwise).
fn round_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 2)?;
    let t = numeric(args, 0, DataType::Double)?;
    let mut tys = vec![t];
    if args.len() == 2 {
        tys.push(integer(args, 1, DataType::Int)?);
    }
    let digits = match args.get(1) {
        None => Some(0),
        Some(a) => match a.literal {
            Some(Datum::Int(d)) => Some(*d),
            _ => None,
        },
    };
    let ret = match (t, digits) {
        (DataType::Decimal { precision, scale }, Some(d)) => {
            if d >= scale as i64 {
                t
            } else if d < 0 {
                DataType::Decimal { precision: (1 + precision - scale).min(MAX_DECIMAL_PRECISION), scale: 0 }
            } else {
                let d = d as u8;
                DataType::Decimal { precision: (1 + precision - scale + d).min(MAX_DECIMAL_PRECISION), scale: d }
            }
        }
        (t, _) => t,
    };
    typed(tys, ret)
}

fn rand_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 0, 1)?;
    let tys = (0..args.len()).map(|i| integer(args, i, DataType::BigInt)).collect::<Result<_, _>>()?;
    typed(tys, DataType::Double)
}

fn rand_integer_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 2)?;
    let tys = (0..args.len()).map(|i| integer(args, i, DataType::BigInt)).collect::<Result<_, _>>()?;
    typed(tys, DataType::Int)
}

fn uuid_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 0, 0)?;
    typed(vec![], DataType::Varchar)
}

fn bin_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![integer(args, 0, DataType::BigInt)?], DataType::Varchar)
}

fn hex_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    let t = match args[0].ty {
        None => DataType::Varchar,
        Some(t) if t.is_integer() => DataType::BigInt,
        Some(t @ (DataType::Varchar | DataType::Bytes)) => t,
        Some(t) => return Err(SigError::arg(0, format!("argument 1 must be an integer, STRING or BYTES, not {t}"))),
    };
    typed(vec![t], DataType::Varchar)
}

fn unhex_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![super::registry::rules::string(args, 0)?], DataType::Bytes)
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    use Category::Arithmetic as A;
    use MathFunc as M;
    let d = |name, sig, typer, f| FunctionDef::new(name, A, sig, typer, Func::Math(f));
    vec![
        d("POWER", "POWER(NUMERIC, NUMERIC) → DOUBLE", binary_double, M::Power),
        d("SQRT", "SQRT(NUMERIC) → DOUBLE", unary_double, M::Sqrt),
        d("EXP", "EXP(NUMERIC) → DOUBLE", unary_double, M::Exp),
        d("SIGN", "SIGN(NUMERIC) → its type", sign_typer, M::Sign),
        d("LN", "LN(NUMERIC) → DOUBLE", unary_double, M::Ln),
        d("LOG10", "LOG10(NUMERIC) → DOUBLE", unary_double, M::Log10),
        d("LOG2", "LOG2(NUMERIC) → DOUBLE", unary_double, M::Log2),
        d("LOG", "LOG(NUMERIC) or LOG(base NUMERIC, NUMERIC) → DOUBLE", log_typer, M::Log),
        d("CEIL", "CEIL(NUMERIC) → its type (DECIMAL: scale 0)", ceil_floor_typer, M::Ceil),
        d("CEILING", "CEILING(NUMERIC) → its type (DECIMAL: scale 0)", ceil_floor_typer, M::Ceil),
        d("FLOOR", "FLOOR(NUMERIC) → its type (DECIMAL: scale 0)", ceil_floor_typer, M::Floor),
        d("SIN", "SIN(NUMERIC) → DOUBLE", unary_double, M::Sin),
        d("SINH", "SINH(NUMERIC) → DOUBLE", unary_double, M::Sinh),
        d("COS", "COS(NUMERIC) → DOUBLE", unary_double, M::Cos),
        d("COSH", "COSH(NUMERIC) → DOUBLE", unary_double, M::Cosh),
        d("TAN", "TAN(NUMERIC) → DOUBLE", unary_double, M::Tan),
        d("TANH", "TANH(NUMERIC) → DOUBLE", unary_double, M::Tanh),
        d("COT", "COT(NUMERIC) → DOUBLE", unary_double, M::Cot),
        d("ASIN", "ASIN(NUMERIC) → DOUBLE", unary_double, M::Asin),
        d("ACOS", "ACOS(NUMERIC) → DOUBLE", unary_double, M::Acos),
        d("ATAN", "ATAN(NUMERIC) → DOUBLE", unary_double, M::Atan),
        d("ATAN2", "ATAN2(NUMERIC, NUMERIC) → DOUBLE", binary_double, M::Atan2),
        d("DEGREES", "DEGREES(NUMERIC) → DOUBLE", unary_double, M::Degrees),
        d("RADIANS", "RADIANS(NUMERIC) → DOUBLE", unary_double, M::Radians),
        d("ROUND", "ROUND(NUMERIC [, INT]) → its type (DECIMAL: scale INT)", round_typer, M::Round),
        d("TRUNCATE", "TRUNCATE(NUMERIC [, INT]) → its type (DECIMAL: scale INT)", round_typer, M::Truncate),
        d("PI", "PI() → DOUBLE", constant, M::Pi),
        d("E", "E() → DOUBLE", constant, M::E),
        d("RAND", "RAND([seed INT]) → DOUBLE", rand_typer, M::Rand).volatile(),
        d("RAND_INTEGER", "RAND_INTEGER([seed INT,] bound INT) → INT", rand_integer_typer, M::RandInteger).volatile(),
        d("UUID", "UUID() → STRING", uuid_typer, M::Uuid).volatile(),
        d("BIN", "BIN(INTEGER) → STRING", bin_typer, M::Bin),
        d("HEX", "HEX(INTEGER | STRING | BYTES) → STRING", hex_typer, M::Hex),
        d("UNHEX", "UNHEX(STRING) → BYTES", unhex_typer, M::Unhex),
    ]
}

fn internal(what: &str) -> EvalError {
    EvalError::InvalidArgument { func: "internal", detail: format!("mistyped {what} (a binder bug)") }
}

/// `f` over a DOUBLE argument, NULL in, NULL out.
fn map_double(a: &Arg<'_>, n: usize, f: impl Fn(f64) -> f64) -> Column {
    if let Arg::Col(Column { data: ColumnData::Double(v), validity, .. }) = a {
        return Column::new(DataType::Double, ColumnData::Double(v.iter().map(|x| f(*x)).collect()), validity.clone());
    }
    let mut out = ColumnBuilder::new(DataType::Double, n);
    for i in 0..n {
        out.push_opt_f64(a.f64(i).map(&f));
    }
    out.finish()
}

/// `f` over two DOUBLE arguments, NULL if either is.
fn map_double2(a: &Arg<'_>, b: &Arg<'_>, n: usize, f: impl Fn(f64, f64) -> f64) -> Column {
    let mut out = ColumnBuilder::new(DataType::Double, n);
    for i in 0..n {
        out.push_opt_f64(a.f64(i).zip(b.f64(i)).map(|(x, y)| f(x, y)));
    }
    out.finish()
}

fn decimal_scale_of(ty: DataType) -> u8 {
    if let DataType::Decimal { scale, .. } = ty { scale } else { 0 }
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: MathFunc, args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    use MathFunc as M;
    let arg = |i: usize| args.get(i).ok_or_else(|| internal(f.name()));
    Ok(match f {
        M::Power => map_double2(arg(0)?, arg(1)?, n, f64::powf),
        M::Sqrt => map_double(arg(0)?, n, f64::sqrt),
        M::Exp => map_double(arg(0)?, n, f64::exp),
        M::Ln => map_double(arg(0)?, n, f64::ln),
        M::Log10 => map_double(arg(0)?, n, f64::log10),
        M::Log2 => map_double(arg(0)?, n, f64::log2),
        M::Log if args.len() == 1 => map_double(arg(0)?, n, f64::ln),
        // Flink's LOG(base, x) is ln(x) / ln(base), with no check on the base.
        M::Log => map_double2(arg(0)?, arg(1)?, n, |b, x| x.ln() / b.ln()),
        M::Sin => map_double(arg(0)?, n, f64::sin),
        M::Sinh => map_double(arg(0)?, n, f64::sinh),
        M::Cos => map_double(arg(0)?, n, f64::cos),
        M::Cosh => map_double(arg(0)?, n, f64::cosh),
        M::Tan => map_double(arg(0)?, n, f64::tan),
        M::Tanh => map_double(arg(0)?, n, f64::tanh),
        M::Cot => map_double(arg(0)?, n, |x| 1.0 / x.tan()),
        M::Asin => map_double(arg(0)?, n, f64::asin),
        M::Acos => map_double(arg(0)?, n, f64::acos),
        M::Atan => map_double(arg(0)?, n, f64::atan),
        M::Atan2 => map_double2(arg(0)?, arg(1)?, n, f64::atan2),
        M::Degrees => map_double(arg(0)?, n, f64::to_degrees),
        M::Radians => map_double(arg(0)?, n, f64::to_radians),
        M::Pi => Column::repeat(&Datum::Double(std::f64::consts::PI), DataType::Double, n),
        M::E => Column::repeat(&Datum::Double(std::f64::consts::E), DataType::Double, n),
        M::Sign => sign(arg(0)?, ty, n)?,
        M::Ceil | M::Floor => ceil_floor(arg(0)?, f == M::Ceil, ty, n)?,
        M::Round | M::Truncate => round(arg(0)?, args.get(1), f == M::Round, ty, n)?,
        M::Rand => rand_double(args, n, cache),
        M::RandInteger => rand_integer(args, n, cache)?,
        M::Uuid => uuids(n),
        M::Bin => radix_text(arg(0)?, n, 1),
        M::Hex => match arg(0)?.ty() {
            DataType::Varchar | DataType::Bytes => hex_bytes(arg(0)?, n),
            _ => radix_text(arg(0)?, n, 4),
        },
        M::Unhex => unhex(arg(0)?, n),
    })
}

fn sign(a: &Arg<'_>, ty: DataType, n: usize) -> Result<Column, EvalError> {
    let mut out = ColumnBuilder::new(ty, n);
    match ty.layout() {
        crate::types::Layout::Int => (0..n).for_each(|i| out.push_opt_i64(a.i64(i).map(i64::signum))),
        crate::types::Layout::Double => {
            (0..n).for_each(|i| out.push_opt_f64(a.f64(i).map(|x| if x == 0.0 || x.is_nan() { x } else { x.signum() })))
        }
        crate::types::Layout::Decimal => {
            let one = POW10[decimal_scale_of(ty) as usize];
            for i in 0..n {
                match a.decimal(i) {
                    Some(m) => out.push_decimal(m.signum() * one),
                    None => out.push_null(),
                }
            }
        }
        _ => return Err(internal("SIGN")),
    }
    Ok(out.finish())
}

fn ceil_floor(a: &Arg<'_>, up: bool, ty: DataType, n: usize) -> Result<Column, EvalError> {
    let mut out = ColumnBuilder::new(ty, n);
    match a.ty() {
        t if t.is_integer() => return Ok(a.clone().into_column(n)),
        DataType::Float | DataType::Double => {
            (0..n).for_each(|i| out.push_opt_f64(a.f64(i).map(|x| if up { x.ceil() } else { x.floor() })));
        }
        DataType::Decimal { scale, .. } => {
            let unit = POW10[scale as usize];
            for i in 0..n {
                match a.decimal(i) {
                    Some(m) => {
                        let q = m.div_euclid(unit);
                        out.push_decimal(if up && m.rem_euclid(unit) != 0 { q + 1 } else { q });
                    }
                    None => out.push_null(),
                }
            }
        }
        _ => return Err(internal("CEIL/FLOOR")),
    }
    Ok(out.finish())
}

/// `m / 10^k` rounded HALF_UP (half away from zero) or toward zero; 0 when `k` is past 38 digits.
#[inline]
fn shift_down(m: i128, k: u32, half_up: bool) -> i128 {
    let Some(d) = POW10.get(k as usize).copied() else { return 0 };
    // Most values fit an i64, whose division is several times cheaper than i128's.
    if let (Ok(m64), Ok(d64)) = (i64::try_from(m), i64::try_from(d)) {
        let (q, r) = (m64 / d64, m64 % d64);
        let q = if half_up && r.unsigned_abs() * 2 >= d64.unsigned_abs() { q + m64.signum() } else { q };
        return q as i128;
    }
    if half_up { decimal::div_round(m, d) } else { m / d }
}

fn round(a: &Arg<'_>, digits: Option<&Arg<'_>>, half_up: bool, ty: DataType, n: usize) -> Result<Column, EvalError> {
    let name = if half_up { "ROUND" } else { "TRUNCATE" };
    let digits_at = |i: usize| -> Option<i64> {
        match digits {
            None => Some(0),
            Some(d) => d.i64(i),
        }
    };
    let overflow = || EvalError::Overflow { ty, op: name.to_string() };
    match (a.ty(), ty) {
        (DataType::Decimal { scale: s, .. }, DataType::Decimal { precision: rp, scale: rs }) => {
            // The common case, a column and a literal digit count, runs without a per-row match.
            let s = s as i64;
            if let (Arg::Col(Column { data: ColumnData::Decimal(v), validity, .. }), Some(d)) =
                (a, digits.map_or(Some(0), |d| d.scalar().and_then(|x| if let Datum::Int(x) = x { Some(*x) } else { None })))
            {
                let mut out = Vec::with_capacity(n);
                let drop = (s - d).max(0) as u32;
                // Digits dropped below the result's scale come back as zeros (a negative d).
                let back = POW10.get((rs as i64 - (s - drop as i64)).max(0) as usize).copied();
                for (i, m) in v.iter().enumerate() {
                    let q = shift_down(*m, drop, half_up);
                    let r = if q == 0 { Some(0) } else { back.and_then(|b| q.checked_mul(b)).filter(|r| decimal::fits(*r, rp)) };
                    match r {
                        Some(r) => out.push(r),
                        None if validity.as_ref().is_some_and(|vv| !vv[i]) => out.push(0),
                        None => return Err(overflow()),
                    }
                }
                return Ok(Column::new(ty, ColumnData::Decimal(out), validity.clone()));
            }
            let mut out = ColumnBuilder::new(ty, n);
            for i in 0..n {
                let (Some(m), Some(d)) = (a.decimal(i), digits_at(i)) else {
                    out.push_null();
                    continue;
                };
                let drop = (s - d.clamp(-40, 40)).max(0) as u32;
                let kept_scale = s - drop as i64;
                let q = shift_down(m, drop, half_up);
                let r = if q == 0 {
                    Some(0)
                } else if rs as i64 >= kept_scale {
                    POW10.get((rs as i64 - kept_scale) as usize).and_then(|p| q.checked_mul(*p))
                } else {
                    Some(shift_down(q, (kept_scale - rs as i64) as u32, half_up))
                };
                match r.filter(|r| decimal::fits(*r, rp)) {
                    Some(r) => out.push_decimal(r),
                    None => return Err(overflow()),
                }
            }
            Ok(out.finish())
        }
        (t, _) if t.is_integer() => {
            let (lo, hi) = ty.int_range();
            let mut out = ColumnBuilder::new(ty, n);
            for i in 0..n {
                let (Some(x), Some(d)) = (a.i64(i), digits_at(i)) else {
                    out.push_null();
                    continue;
                };
                if d >= 0 {
                    out.push_i64(x);
                    continue;
                }
                let k = (-d).min(39) as u32;
                let r = POW10.get(k as usize).and_then(|p| shift_down(x as i128, k, half_up).checked_mul(*p));
                match r.and_then(|r| i64::try_from(r).ok()).filter(|r| (lo..=hi).contains(r)) {
                    Some(r) => out.push_i64(r),
                    None => return Err(overflow()),
                }
            }
            Ok(out.finish())
        }
        (DataType::Float | DataType::Double, _) => {
            let mut out = ColumnBuilder::new(ty, n);
            for i in 0..n {
                match (a.f64(i), digits_at(i)) {
                    (Some(x), Some(d)) => out.push_f64(round_f64(x, d, half_up)),
                    _ => out.push_null(),
                }
            }
            Ok(out.finish())
        }
        _ => Err(internal(name)),
    }
}

/// Rounds `x` to `d` decimals as Java's `BigDecimal.valueOf(x).setScale(d, HALF_UP or DOWN)`
/// does: on the shortest decimal text of `x`, not on its binary value. The binary product
/// `x * 10^d` decides every case but those within a hair of a tie (or, truncating, of an
/// integer); those are settled on the decimal digits.
pub fn round_f64(x: f64, d: i64, half_up: bool) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let d = d.clamp(-330, 330);
    if (-22..=22).contains(&d) {
        let p = 10f64.powi(d.unsigned_abs() as i32);
        let scaled = if d >= 0 { x * p } else { x / p };
        if scaled.abs() < 4.5e15 {
            let frac = (scaled - scaled.trunc()).abs();
            let edge = if half_up { (frac - 0.5).abs() } else { frac.min(1.0 - frac) };
            if edge > 1e-7 {
                let r = if half_up { scaled.round() } else { scaled.trunc() };
                return if d >= 0 { r / p } else { r * p };
            }
        } else if d >= 0 {
            // No binary fraction is left at this magnitude.
            return x;
        }
    }
    round_f64_decimal(x, d, half_up)
}

/// The exact route of [`round_f64`]: through the shortest decimal text of `x`.
fn round_f64_decimal(x: f64, d: i64, half_up: bool) -> f64 {
    let text = format!("{x:e}");
    let Some((mantissa, exp)) = text.split_once('e') else { return x };
    let Ok(exp) = exp.parse::<i64>() else { return x };
    let negative = mantissa.starts_with('-');
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // x = 0.d1 d2 d3 ... × 10^(exp + 1): digit k (0-based) has weight 10^(exp - k).
    // Keep the digits of weight ≥ 10^-d.
    let keep = exp + d + 1;
    if keep <= 0 {
        // Everything is below the last kept place; only a first digit ≥ 5 right at it rounds up.
        let up = half_up && keep == 0 && digits.first().is_some_and(|f| *f >= 5);
        let v = if up { 10f64.powi((-d) as i32) } else { 0.0 };
        return if negative { -v } else { v };
    }
    let keep = keep as usize;
    if keep >= digits.len() {
        return x;
    }
    let mut kept: Vec<u8> = digits[..keep].to_vec();
    if half_up && digits[keep] >= 5 {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    // The kept digits as an integer, scaled by 10^-d (exactly rounded by the text parser).
    let int_text: String = kept.iter().map(|b| (b + b'0') as char).collect();
    let shown = format!("{}{int_text}e{}", if negative { "-" } else { "" }, -d);
    shown.parse().unwrap_or(x)
}

/// Random numbers for RAND and RAND_INTEGER: a literal seed gives one generator per call, so
/// the sequence repeats from run to run (per worker); without a seed, the thread's generator.
struct SeededRng(Mutex<rand::rngs::StdRng>);

fn seeded(cache: &CallCache, seed: i64) -> Option<&SeededRng> {
    cache.get_or_init(|| SeededRng(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed as u64))))
}

fn rand_double(args: &[Arg<'_>], n: usize, cache: &CallCache) -> Column {
    let mut out = ColumnBuilder::new(DataType::Double, n);
    match args.first() {
        None => {
            let mut rng = rand::rng();
            (0..n).for_each(|_| out.push_f64(rng.random::<f64>()));
        }
        Some(Arg::Scalar(Datum::Int(seed), _)) => match seeded(cache, *seed) {
            Some(r) => {
                let mut rng = r.0.lock().unwrap_or_else(|e| e.into_inner());
                (0..n).for_each(|_| out.push_f64(rng.random::<f64>()));
            }
            None => (0..n).for_each(|_| out.push_null()),
        },
        Some(seed) => {
            for i in 0..n {
                match seed.i64(i) {
                    Some(s) => out.push_f64(rand::rngs::StdRng::seed_from_u64(s as u64).random::<f64>()),
                    None => out.push_null(),
                }
            }
        }
    }
    out.finish()
}

fn rand_integer(args: &[Arg<'_>], n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let mut out = ColumnBuilder::new(DataType::Int, n);
    let (seed, bound) = match args {
        [bound] => (None, bound),
        [seed, bound] => (Some(seed), bound),
        _ => return Err(internal("RAND_INTEGER")),
    };
    let bad_bound = |b: i64| EvalError::InvalidArgument { func: "RAND_INTEGER", detail: format!("the bound must be positive, not {b}") };
    let draw = |rng: &mut dyn rand::RngCore, out: &mut ColumnBuilder, i: usize| -> Result<(), EvalError> {
        match bound.i64(i) {
            Some(b) if b > 0 && b <= i32::MAX as i64 => out.push_i64(rng.random_range(0..b)),
            Some(b) if b > 0 => out.push_i64(rng.random_range(0..i32::MAX as i64)),
            Some(b) => return Err(bad_bound(b)),
            None => out.push_null(),
        }
        Ok(())
    };
    match seed {
        None => {
            let mut rng = rand::rng();
            for i in 0..n {
                draw(&mut rng, &mut out, i)?;
            }
        }
        Some(Arg::Scalar(Datum::Int(s), _)) => {
            let Some(r) = seeded(cache, *s) else { return Err(internal("RAND_INTEGER cache")) };
            let mut rng = r.0.lock().unwrap_or_else(|e| e.into_inner());
            for i in 0..n {
                draw(&mut *rng, &mut out, i)?;
            }
        }
        Some(seed) => {
            for i in 0..n {
                match seed.i64(i) {
                    Some(s) => draw(&mut rand::rngs::StdRng::seed_from_u64(s as u64), &mut out, i)?,
                    None => out.push_null(),
                }
            }
        }
    }
    Ok(out.finish())
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

fn uuids(n: usize) -> Column {
    let mut out = ColumnBuilder::new(DataType::Varchar, n);
    let mut rng = rand::rng();
    for _ in 0..n {
        let mut b: [u8; 16] = rng.random();
        b[6] = (b[6] & 0x0f) | 0x40; // version 4
        b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
        let mut text = [0u8; 36];
        let mut j = 0;
        for (k, byte) in b.iter().enumerate() {
            if matches!(k, 4 | 6 | 8 | 10) {
                text[j] = b'-';
                j += 1;
            }
            text[j] = HEX_LOWER[(byte >> 4) as usize];
            text[j + 1] = HEX_LOWER[(byte & 15) as usize];
            j += 2;
        }
        out.push_bytes(&text);
    }
    out.finish()
}

/// BIN (`bits` 1) and HEX (`bits` 4) of a BIGINT, as Java's `Long.toBinaryString` and
/// `toHexString` (upper-cased) write it: a negative number as its 64-bit two's complement.
fn radix_text(a: &Arg<'_>, n: usize, bits: u32) -> Column {
    let mut out = ColumnBuilder::new(DataType::Varchar, n);
    let mut buf = [0u8; 64];
    for i in 0..n {
        let Some(x) = a.i64(i) else {
            out.push_null();
            continue;
        };
        let mut u = x as u64;
        let mut j = buf.len();
        loop {
            j -= 1;
            buf[j] = HEX_UPPER[(u & ((1 << bits) - 1)) as usize];
            u >>= bits;
            if u == 0 {
                break;
            }
        }
        out.push_bytes(&buf[j..]);
    }
    out.finish()
}

/// HEX of text or bytes: two upper-case digits per byte.
fn hex_bytes(a: &Arg<'_>, n: usize) -> Column {
    let mut out = ColumnBuilder::new(DataType::Varchar, n);
    for i in 0..n {
        let Some(b) = a.bytes(i) else {
            out.push_null();
            continue;
        };
        if let Some(buf) = out.str_buffer() {
            for byte in b {
                buf.push(HEX_UPPER[(byte >> 4) as usize]);
                buf.push(HEX_UPPER[(byte & 15) as usize]);
            }
        }
        out.end_str_row();
    }
    out.finish()
}

/// Flink's `EncodingUtils.unhex`: pairs of digits from the end; with an odd count the first
/// digit is only checked, and the result starts with a 0 byte. NULL if a character is not hex.
pub fn unhex_bytes(text: &[u8], out: &mut Vec<u8>) -> bool {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let start = out.len();
    out.resize(start + text.len().div_ceil(2), 0);
    let mut j = out.len();
    let mut i = text.len();
    while i >= 2 {
        let (Some(hi), Some(lo)) = (digit(text[i - 2]), digit(text[i - 1])) else {
            out.truncate(start);
            return false;
        };
        j -= 1;
        out[j] = (hi << 4) | lo;
        i -= 2;
    }
    if i == 1 && digit(text[0]).is_none() {
        out.truncate(start);
        return false;
    }
    true
}

fn unhex(a: &Arg<'_>, n: usize) -> Column {
    let mut out = ColumnBuilder::new(DataType::Bytes, n);
    let mut buf = Vec::new();
    for i in 0..n {
        buf.clear();
        match a.bytes(i) {
            Some(t) if unhex_bytes(t, &mut buf) => out.push_bytes(&buf),
            _ => out.push_null(),
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_up_on_decimal_digits() {
        assert_eq!(round_f64(2.675, 2, true), 2.68);
        assert_eq!(round_f64(-2.5, 0, true), -3.0);
        assert_eq!(round_f64(2.5, 0, true), 3.0);
        assert_eq!(round_f64(1.005, 2, true), 1.01);
        assert_eq!(round_f64(1234.5678, -2, true), 1200.0);
        assert_eq!(round_f64(1250.0, -2, true), 1300.0);
        assert_eq!(round_f64(0.0004, 2, true), 0.0);
        assert_eq!(round_f64(0.005, 2, true), 0.01);
        assert_eq!(round_f64(9.995, 2, true), 10.0);
        assert_eq!(round_f64(1e300, 2, true), 1e300);
        assert!(round_f64(f64::NAN, 2, true).is_nan());
    }

    #[test]
    fn truncate_on_decimal_digits() {
        assert_eq!(round_f64(0.29, 2, false), 0.29);
        assert_eq!(round_f64(-1.999, 2, false), -1.99);
        assert_eq!(round_f64(1234.5678, -2, false), 1200.0);
        assert_eq!(round_f64(0.0004, 2, false), 0.0);
    }

    #[test]
    fn shift_down_rounds_half_away_from_zero() {
        assert_eq!(shift_down(125, 1, true), 13);
        assert_eq!(shift_down(-125, 1, true), -13);
        assert_eq!(shift_down(-124, 1, true), -12);
        assert_eq!(shift_down(-129, 1, false), -12);
        assert_eq!(shift_down(i128::MAX, 2, true), decimal::div_round(i128::MAX, 100));
        assert_eq!(shift_down(5, 60, true), 0);
    }

    #[test]
    fn unhex_odd_and_bad() {
        let mut b = Vec::new();
        assert!(unhex_bytes(b"414243", &mut b));
        assert_eq!(b, b"ABC");
        b.clear();
        assert!(unhex_bytes(b"ABC", &mut b));
        assert_eq!(b, [0x00, 0xBC]);
        b.clear();
        assert!(!unhex_bytes(b"4G", &mut b));
        assert!(b.is_empty());
        assert!(!unhex_bytes(b"G41", &mut b));
        assert!(unhex_bytes(b"", &mut b));
    }
}
