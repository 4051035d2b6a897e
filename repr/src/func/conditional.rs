//! Flink's conditional and conversion functions: IF, NULLIF, IFNULL, GREATEST, LEAST, IS_DIGIT
//! and the like; the kernels of TRY_CAST and SIMILAR TO, which the binder builds from their
//! syntax (they have no function name to look up).

// Kernels walk their argument columns in step by row index.
#![allow(clippy::needless_range_loop)]

use super::registry::rules::{arity, typed};
use super::{Arg, ArgType, CallCache, Category, ColumnBuilder, Func, FunctionDef, SigError, Typed};
use crate::column::Column;
use crate::datum::Datum;
use crate::expr::{EvalError, cast};
use crate::types::{DataType, Layout, MAX_DECIMAL_PRECISION};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConditionalFunc {
    /// `NULLIF(a, b)`: NULL when `a = b`, else `a`.
    NullIf,
    /// `IF(condition, then, else)` (the binder turns it into a CASE, which computes a branch
    /// only on the rows that take it).
    If,
    /// `IFNULL(a, b)`: `b` where `a` is NULL (the binder turns it into a COALESCE).
    IfNull,
    /// `IS_ALPHA(s)`: every character a letter; FALSE for NULL and ''.
    IsAlpha,
    /// `IS_DECIMAL(s)`: the text is a number Java's `Double.parseDouble` reads; FALSE for NULL and ''.
    IsDecimal,
    /// `IS_DIGIT(s)`: every character a digit; FALSE for NULL and ''.
    IsDigit,
    /// `GREATEST(a, ...)`: NULL if any argument is.
    Greatest,
    /// `LEAST(a, ...)`: NULL if any argument is.
    Least,
    /// `TRY_CAST(x AS type)`: the cast, NULL where it fails. The target is the call's type.
    TryCast,
    /// `s [NOT] SIMILAR TO pattern [ESCAPE c]`: args `[s, pattern]` or `[s, pattern, escape]`.
    SimilarTo {
        /// `NOT SIMILAR TO`.
        negated: bool,
    },
}

impl ConditionalFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            ConditionalFunc::NullIf => "NULLIF",
            ConditionalFunc::If => "IF",
            ConditionalFunc::IfNull => "IFNULL",
            ConditionalFunc::IsAlpha => "IS_ALPHA",
            ConditionalFunc::IsDecimal => "IS_DECIMAL",
            ConditionalFunc::IsDigit => "IS_DIGIT",
            ConditionalFunc::Greatest => "GREATEST",
            ConditionalFunc::Least => "LEAST",
            ConditionalFunc::TryCast => "TRY_CAST",
            ConditionalFunc::SimilarTo { negated: false } => "SIMILAR TO",
            ConditionalFunc::SimilarTo { negated: true } => "NOT SIMILAR TO",
        }
    }
}

/// The type two numbers meet in, by Flink's rules: the wider integer; FLOAT with an integer or
/// FLOAT; DOUBLE with DOUBLE, or FLOAT with DECIMAL; a DECIMAL that holds both otherwise.
pub fn numeric_common(a: DataType, b: DataType) -> Option<DataType> {
    use DataType as T;
    if !a.is_numeric() || !b.is_numeric() {
        return None;
    }
    let rank = |t: DataType| match t {
        T::TinyInt => 0,
        T::SmallInt => 1,
        T::Int => 2,
        _ => 3,
    };
    Some(match (a, b) {
        (T::Double, _) | (_, T::Double) => T::Double,
        (T::Float, T::Decimal { .. }) | (T::Decimal { .. }, T::Float) => T::Double,
        (T::Float, _) | (_, T::Float) => T::Float,
        (x, y) if x.is_integer() && y.is_integer() => {
            if rank(x) >= rank(y) {
                x
            } else {
                y
            }
        }
        (x, y) => {
            let (p1, s1) = x.as_decimal()?;
            let (p2, s2) = y.as_decimal()?;
            let s = s1.max(s2);
            let p = ((p1 - s1).max(p2 - s2) + s).min(MAX_DECIMAL_PRECISION);
            T::Decimal { precision: p, scale: s }
        }
    })
}

/// The one type every non-NULL argument is brought to (numbers widen; other types must agree).
fn common_of(args: &[ArgType<'_>], from: usize) -> Result<DataType, SigError> {
    let mut ty: Option<DataType> = None;
    for (i, a) in args.iter().enumerate().skip(from) {
        let Some(t) = a.ty else { continue };
        ty = Some(match ty {
            None => t,
            Some(c) if c == t => c,
            Some(c) => {
                numeric_common(c, t).ok_or_else(|| SigError::arg(i, format!("argument {} is {t}, which does not meet {c}", i + 1)))?
            }
        });
    }
    Ok(ty.unwrap_or(DataType::Varchar))
}

fn nullif_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let t = common_of(args, 0)?;
    typed(vec![t, t], t)
}

fn if_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 3, 3)?;
    match args[0].ty {
        None | Some(DataType::Boolean) => {}
        Some(t) => return Err(SigError::arg(0, format!("the condition must be BOOLEAN, not {t}"))),
    }
    let t = common_of(args, 1)?;
    typed(vec![DataType::Boolean, t, t], t)
}

fn ifnull_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 2, 2)?;
    let t = common_of(args, 0)?;
    typed(vec![t, t], t)
}

fn predicate_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, 1)?;
    typed(vec![super::registry::rules::string(args, 0)?], DataType::Boolean)
}

fn extreme_typer(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    arity(args, 1, usize::MAX)?;
    let t = common_of(args, 0)?;
    if t.layout() == Layout::Nested {
        return Err(SigError::call(format!("arguments of type {t} have no order")));
    }
    typed(vec![t; args.len()], t)
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    use ConditionalFunc as C;
    let d = |name, sig, typer, f| FunctionDef::new(name, Category::Conditional, sig, typer, Func::Conditional(f));
    vec![
        d("NULLIF", "NULLIF(value1, value2) → value1's type", nullif_typer, C::NullIf),
        d("IF", "IF(BOOLEAN, value1, value2) → their common type", if_typer, C::If),
        d("IFNULL", "IFNULL(value, replacement) → their common type", ifnull_typer, C::IfNull),
        d("IS_ALPHA", "IS_ALPHA(STRING) → BOOLEAN", predicate_typer, C::IsAlpha),
        d("IS_DECIMAL", "IS_DECIMAL(STRING) → BOOLEAN", predicate_typer, C::IsDecimal),
        d("IS_DIGIT", "IS_DIGIT(STRING) → BOOLEAN", predicate_typer, C::IsDigit),
        d("GREATEST", "GREATEST(value1 [, value2]*) → their common type", extreme_typer, C::Greatest),
        d("LEAST", "LEAST(value1 [, value2]*) → their common type", extreme_typer, C::Least),
    ]
}

fn internal(what: &str) -> EvalError {
    EvalError::InvalidArgument { func: "internal", detail: format!("mistyped {what} (a binder bug)") }
}

/// DOUBLE order as SQL defines it: NaN equals NaN and sorts above every number.
fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Row `i` of `a` against row `i` of `b` (both of one type); `None` if either is NULL.
fn compare_at(a: &Arg<'_>, b: &Arg<'_>, i: usize) -> Option<Ordering> {
    if a.is_null(i) || b.is_null(i) {
        return None;
    }
    Some(match a.ty().layout() {
        Layout::Int | Layout::Timestamp => a.i64(i)?.cmp(&b.i64(i)?),
        Layout::Double => cmp_f64(a.f64(i)?, b.f64(i)?),
        Layout::Decimal => a.decimal(i)?.cmp(&b.decimal(i)?),
        Layout::Bool => a.bool(i)?.cmp(&b.bool(i)?),
        Layout::Str => a.bytes(i)?.cmp(b.bytes(i)?),
        Layout::Nested => {
            if a.nested(i)? == b.nested(i)? {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
    })
}

/// Appends row `i` of `a` (of the builder's type) to `out`.
fn push_row(out: &mut ColumnBuilder, a: &Arg<'_>, i: usize) {
    if a.is_null(i) {
        return out.push_null();
    }
    match a.ty().layout() {
        Layout::Int | Layout::Timestamp => out.push_opt_i64(a.i64(i)),
        Layout::Double => out.push_opt_f64(a.f64(i)),
        Layout::Decimal => match a.decimal(i) {
            Some(m) => out.push_decimal(m),
            None => out.push_null(),
        },
        Layout::Bool => out.push_opt_bool(a.bool(i)),
        Layout::Str => match a.bytes(i) {
            Some(b) => out.push_bytes(b),
            None => out.push_null(),
        },
        Layout::Nested => out.push_datum(a.datum(i)),
    }
}

/// Whether `s` is a number `Double.parseDouble` reads: optional sign, digits with at most one
/// point, an optional exponent and `f`/`d` suffix, or NaN / Infinity; surrounding blanks allowed.
pub fn is_java_double(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c <= ' ');
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if t == "NaN" || t == "Infinity" {
        return true;
    }
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(k) => (&t[..k], Some(&t[k + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !(digits(int) && digits(frac)) || int.len() + frac.len() == 0 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
    }
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: ConditionalFunc, args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    use ConditionalFunc as C;
    let arg = |i: usize| args.get(i).ok_or_else(|| internal(f.name()));
    let mut out = ColumnBuilder::new(ty, n);
    match f {
        C::NullIf => {
            let (a, b) = (arg(0)?, arg(1)?);
            for i in 0..n {
                if compare_at(a, b, i) == Some(Ordering::Equal) {
                    out.push_null();
                } else {
                    push_row(&mut out, a, i);
                }
            }
        }
        C::If => {
            let (c, t, e) = (arg(0)?, arg(1)?, arg(2)?);
            for i in 0..n {
                push_row(&mut out, if c.bool(i) == Some(true) { t } else { e }, i);
            }
        }
        C::IfNull => {
            let (a, b) = (arg(0)?, arg(1)?);
            for i in 0..n {
                push_row(&mut out, if a.is_null(i) { b } else { a }, i);
            }
        }
        C::IsAlpha | C::IsDigit | C::IsDecimal => {
            let s = arg(0)?;
            for i in 0..n {
                let v = s.str(i).is_some_and(|t| {
                    !t.is_empty()
                        && match f {
                            C::IsAlpha => t.chars().all(char::is_alphabetic),
                            C::IsDigit => t.chars().all(|c| c.is_ascii_digit()),
                            _ => is_java_double(t),
                        }
                });
                out.push_bool(v);
            }
        }
        C::Greatest | C::Least => {
            let want = if f == C::Greatest { Ordering::Greater } else { Ordering::Less };
            'rows: for i in 0..n {
                let mut best = arg(0)?;
                if best.is_null(i) {
                    out.push_null();
                    continue;
                }
                for a in &args[1..] {
                    match compare_at(a, best, i) {
                        None => {
                            out.push_null();
                            continue 'rows;
                        }
                        Some(o) if o == want => best = a,
                        Some(_) => {}
                    }
                }
                push_row(&mut out, best, i);
            }
        }
        C::TryCast => return try_cast(arg(0)?.clone().into_column(n), ty),
        C::SimilarTo { negated } => return similar_to(args, negated, n, cache),
    }
    Ok(out.finish())
}

/// The cast of every row, or, when one fails, row by row with NULL for those that fail.
fn try_cast(c: Column, to: DataType) -> Result<Column, EvalError> {
    if let Ok(done) = cast(&c, to) {
        return Ok(done);
    }
    let mut out = ColumnBuilder::new(to, c.len());
    for i in 0..c.len() {
        let one = Column::repeat(&c.datum(i), c.ty, 1);
        match cast(&one, to) {
            Ok(v) => out.push_datum(v.datum(0)),
            Err(_) => out.push_null(),
        }
    }
    Ok(out.finish())
}

/// Translates a SQL `SIMILAR TO` pattern into a regular expression over the whole string:
/// `%` and `_` are `.*` and `.`; `|`, `*`, `+`, `?`, `{m,n}`, `(...)` and `[...]` keep their
/// regex meaning; every other character is literal, and `escape` makes the next one literal.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> Result<String, String> {
    let mut re = String::with_capacity(pattern.len() + 8);
    re.push_str("(?s)^(?:");
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(next) => re.push_str(&regex::escape(&next.to_string())),
                None => return Err("the pattern ends with its escape character".into()),
            }
            continue;
        }
        match c {
            '[' if !in_class => {
                in_class = true;
                re.push('[');
            }
            ']' if in_class => {
                in_class = false;
                re.push(']');
            }
            '^' | '-' if in_class => re.push(c),
            '%' if !in_class => re.push_str(".*"),
            '_' if !in_class => re.push('.'),
            '|' | '*' | '+' | '?' | '{' | '}' | '(' | ')' | ',' if !in_class => re.push(c),
            c if c.is_ascii_digit() && !in_class => re.push(c),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    if in_class {
        return Err("a [ is not closed".into());
    }
    re.push_str(")$");
    Ok(re)
}

/// Compiles a SIMILAR TO pattern; the error says what is wrong with it.
pub fn compile_similar_to(pattern: &str, escape: Option<char>) -> Result<regex::Regex, String> {
    let re = similar_to_regex(pattern, escape)?;
    regex::Regex::new(&re).map_err(|e| {
        // The regex crate's message quotes the translated expression over several lines; its
        // last line says what is wrong, which is what the pattern's author needs.
        let text = e.to_string();
        let reason = text.lines().last().unwrap_or_default().trim_start_matches("error: ").to_string();
        format!("invalid SIMILAR TO pattern {pattern:?}: {reason}")
    })
}

fn escape_char(args: &[Arg<'_>]) -> Result<Option<char>, EvalError> {
    let Some(e) = args.get(2).and_then(|a| a.str(0)) else { return Ok(None) };
    let mut chars = e.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Some(c)),
        _ => Err(EvalError::InvalidArgument { func: "SIMILAR TO", detail: format!("ESCAPE must be one character, not {e:?}") }),
    }
}

fn similar_to(args: &[Arg<'_>], negated: bool, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let (Some(s), Some(p)) = (args.first(), args.get(1)) else { return Err(internal("SIMILAR TO")) };
    let escape = escape_char(args)?;
    let bad = |detail: String| EvalError::InvalidArgument { func: "SIMILAR TO", detail };
    let mut out = ColumnBuilder::new(DataType::Boolean, n);
    if let Arg::Scalar(Datum::Str(pattern), _) = p {
        // A literal pattern is compiled once per query (the binder has already checked it).
        let compiled = cache.get_or_init(|| compile_similar_to(pattern, escape)).ok_or_else(|| internal("SIMILAR TO cache"))?;
        let re = compiled.as_ref().map_err(|e| bad(e.clone()))?;
        for i in 0..n {
            out.push_opt_bool(s.str(i).map(|t| re.is_match(t) != negated));
        }
        return Ok(out.finish());
    }
    let mut last: Option<(String, regex::Regex)> = None;
    for i in 0..n {
        let (Some(t), Some(pat)) = (s.str(i), p.str(i)) else {
            out.push_null();
            continue;
        };
        if last.as_ref().is_none_or(|(k, _)| k != pat) {
            last = Some((pat.to_string(), compile_similar_to(pat, escape).map_err(bad)?));
        }
        let m = last.as_ref().is_some_and(|(_, re)| re.is_match(t));
        out.push_bool(m != negated);
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_to_patterns() {
        let m = |p: &str, s: &str| compile_similar_to(p, None).unwrap().is_match(s);
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("a%", "abcd"));
        assert!(m("a_c", "abc"));
        assert!(m("(a|b)c", "bc"));
        assert!(m("a{2}", "aa"));
        assert!(m("[a-c]+", "abcabc"));
        assert!(!m("a.c", "abc"));
        assert!(m("a.c", "a.c"));
        assert!(m("%$%", "1$2"));
        assert!(compile_similar_to("a!%", Some('!')).unwrap().is_match("a%"));
        assert!(!compile_similar_to("a!%", Some('!')).unwrap().is_match("ab"));
        assert!(compile_similar_to("(a", None).is_err());
        assert!(compile_similar_to("[a", None).is_err());
    }

    #[test]
    fn java_doubles() {
        for ok in ["1", "-1.5", "1e10", ".5", "5.", "1.5E-3", " 7 ", "NaN", "-Infinity", "2f", "+3d"] {
            assert!(is_java_double(ok), "{ok}");
        }
        for bad in ["", ".", "e5", "1e", "abc", "1.2.3", "1,5", "inf"] {
            assert!(!is_java_double(bad), "{bad}");
        }
    }

    #[test]
    fn numeric_common_follows_flink() {
        use DataType as T;
        assert_eq!(numeric_common(T::TinyInt, T::TinyInt), Some(T::TinyInt));
        assert_eq!(numeric_common(T::TinyInt, T::SmallInt), Some(T::SmallInt));
        assert_eq!(numeric_common(T::Int, T::Float), Some(T::Float));
        assert_eq!(numeric_common(T::Float, T::Double), Some(T::Double));
        assert_eq!(numeric_common(T::Float, T::Decimal { precision: 5, scale: 2 }), Some(T::Double));
        assert_eq!(numeric_common(T::SmallInt, T::Decimal { precision: 5, scale: 2 }), Some(T::Decimal { precision: 7, scale: 2 }));
        assert_eq!(numeric_common(T::Int, T::Varchar), None);
    }
}
