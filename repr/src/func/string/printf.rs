//! PRINTF's format strings: the part of `java.util.Formatter` (Locale.US) that SQL scripts use.
//!
//! Conversions `%s %S %d %x %X %f %b %B %c %n %%`, with the flags `-` (left-justify), `0`
//! (zero-pad), `+`, space and `,` (grouping), a width and a precision. Left out, and refused
//! with an error: argument indexes (`%1$s`), the flags `#` and `(`, and the conversions
//! `%e %g %a %o %h %t`. `%f` rounds half up on the shortest decimal form of a DOUBLE, as Java does.

use super::Arg;
use crate::datum::Datum;
use crate::types::DataType;

/// One piece of a parsed format.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Text copied as it is.
    Lit(String),
    /// A conversion that takes the next argument.
    Conv(Spec),
    /// `%n`: a line separator (`\n`).
    Newline,
}

/// A conversion's flags, width, precision and letter.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    group: bool,
    width: usize,
    precision: Option<usize>,
    conv: char,
}

/// Widths and precisions beyond this are refused: one row's text stays small.
const MAX_WIDTH: usize = 10_000;

/// Parses a format string, or says what Java's Formatter would throw for it.
pub fn parse(f: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&fl) = chars.peek() {
            match fl {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                ',' => spec.group = true,
                '#' | '(' => return Err(format!("the flag '{fl}' is not supported")),
                _ => break,
            }
            chars.next();
        }
        let mut digits = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        if chars.peek() == Some(&'$') {
            return Err("argument indexes (%1$s) are not supported".into());
        }
        if !digits.is_empty() {
            spec.width = digits.parse().ok().filter(|w| *w <= MAX_WIDTH).ok_or("width too large")?;
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            if p.is_empty() {
                return Err("missing precision after '.'".into());
            }
            spec.precision = Some(p.parse().ok().filter(|w| *w <= MAX_WIDTH).ok_or("precision too large")?);
        }
        let Some(conv) = chars.next() else { return Err("format ends with '%'".into()) };
        spec.conv = conv;
        if (spec.left || spec.zero) && spec.width == 0 && conv != '%' {
            return Err(format!("the flags '-' and '0' need a width (in %{conv})"));
        }
        match conv {
            '%' => lit.push('%'),
            'n' => {
                flush(&mut lit, &mut pieces);
                pieces.push(Piece::Newline);
            }
            's' | 'S' | 'b' | 'B' | 'c' | 'd' | 'x' | 'X' | 'f' => {
                if spec.precision.is_some() && matches!(conv, 'd' | 'x' | 'X' | 'c') {
                    return Err(format!("%{conv} takes no precision"));
                }
                flush(&mut lit, &mut pieces);
                pieces.push(Piece::Conv(spec));
            }
            other => return Err(format!("the conversion '%{other}' is not supported")),
        }
    }
    flush(&mut lit, &mut pieces);
    Ok(pieces)
}

fn flush(lit: &mut String, pieces: &mut Vec<Piece>) {
    if !lit.is_empty() {
        pieces.push(Piece::Lit(std::mem::take(lit)));
    }
}

/// Formats row `i` of `args` by `pieces` into `out`.
pub fn format(pieces: &[Piece], args: &[Arg<'_>], i: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let mut next = 0;
    for p in pieces {
        match p {
            Piece::Lit(s) => out.extend_from_slice(s.as_bytes()),
            Piece::Newline => out.push(b'\n'),
            Piece::Conv(spec) => {
                let arg = args.get(next).ok_or_else(|| format!("format specifier '%{}' has no argument", spec.conv))?;
                next += 1;
                let body = convert(spec, arg, i)?;
                pad(spec, &body, out);
            }
        }
    }
    Ok(())
}

/// The conversion's text before width padding (zero padding included).
fn convert(spec: &Spec, arg: &Arg<'_>, i: usize) -> Result<String, String> {
    let ty = arg.ty();
    let v = arg.datum(i);
    let mismatch = || format!("%{} cannot format a {ty}", spec.conv);
    let mut s = match (spec.conv, &v) {
        ('b' | 'B', Datum::Null) => "false".to_string(),
        ('b' | 'B', Datum::Bool(b)) => b.to_string(),
        ('b' | 'B', _) => "true".to_string(),
        (_, Datum::Null) => "null".to_string(),
        ('s' | 'S', d) => java_text(d, ty),
        ('c', Datum::Int(c)) if ty.is_integer() => {
            char::from_u32(u32::try_from(*c).map_err(|_| mismatch())?).ok_or_else(mismatch)?.to_string()
        }
        ('d', Datum::Int(x)) if ty.is_integer() => signed(spec, x.unsigned_abs().to_string(), *x < 0),
        ('x' | 'X', Datum::Int(x)) if ty.is_integer() => {
            let bits = match ty {
                DataType::TinyInt => 8,
                DataType::SmallInt => 16,
                DataType::Int => 32,
                _ => 64,
            };
            let u = (*x as u64) & (u64::MAX >> (64 - bits));
            format!("{u:x}")
        }
        ('f', Datum::Double(x)) => {
            if !x.is_finite() {
                if x.is_nan() { "NaN".into() } else { signed(spec, "Infinity".into(), *x < 0.0) }
            } else {
                let shortest = if ty == DataType::Float { format!("{:e}", *x as f32) } else { format!("{x:e}") };
                let (digits, exp) = sci_digits(&shortest);
                signed(spec, fixed(&digits, exp, spec.precision.unwrap_or(6), spec.group), x.is_sign_negative() && *x != 0.0)
            }
        }
        ('f', Datum::Decimal(m)) => {
            let scale = match ty {
                DataType::Decimal { scale, .. } => i64::from(scale),
                _ => 0,
            };
            let digits = m.unsigned_abs().to_string();
            let exp = digits.len() as i64 - 1 - scale;
            signed(spec, fixed(digits.as_bytes(), exp, spec.precision.unwrap_or(6), spec.group), *m < 0)
        }
        _ => return Err(mismatch()),
    };
    if let (Some(p), 's' | 'S' | 'b' | 'B') = (spec.precision, spec.conv) {
        s = s.chars().take(p).collect();
    }
    if spec.conv.is_ascii_uppercase() {
        s = s.to_uppercase();
    }
    Ok(s)
}

/// A number's sign, grouping and zero padding: `body` is its digits without a sign.
fn signed(spec: &Spec, body: String, negative: bool) -> String {
    let body = if spec.group && spec.conv == 'd' { group(&body) } else { body };
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let len = sign.len() + body.chars().count();
    let zeros = if spec.zero && !spec.left { spec.width.saturating_sub(len) } else { 0 };
    format!("{sign}{}{body}", "0".repeat(zeros))
}

/// Digits grouped by three with commas (Locale.US), the fraction left alone.
fn group(digits: &str) -> String {
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Pads to the width with spaces, on the left unless `-`.
fn pad(spec: &Spec, body: &str, out: &mut Vec<u8>) {
    let fill = spec.width.saturating_sub(body.chars().count());
    if !spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
    out.extend_from_slice(body.as_bytes());
    if spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
}

/// The digits and decimal exponent of Rust's shortest `{:e}` form (`1.25e-3` → `125`, -3).
fn sci_digits(e: &str) -> (Vec<u8>, i64) {
    let e = e.trim_start_matches('-');
    let (mantissa, exp) = e.split_once('e').unwrap_or((e, "0"));
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// `digits × 10^(exp - len + 1)` in fixed notation with `prec` fraction digits, rounded half up.
fn fixed(digits: &[u8], exp: i64, prec: usize, grouping: bool) -> String {
    let mut d: Vec<u8> = digits.iter().map(|c| c - b'0').collect();
    let mut point = exp + 1;
    if point <= 0 {
        let zeros = (1 - point) as usize;
        d.splice(0..0, std::iter::repeat_n(0, zeros));
        point = 1;
    }
    let point = point as usize;
    let keep = point + prec;
    let mut point = point;
    if d.len() <= keep {
        d.resize(keep, 0);
    } else {
        let up = d[keep] >= 5;
        d.truncate(keep);
        if up {
            let mut k = keep;
            loop {
                if k == 0 {
                    d.insert(0, 1);
                    point += 1;
                    break;
                }
                k -= 1;
                if d[k] == 9 {
                    d[k] = 0;
                } else {
                    d[k] += 1;
                    break;
                }
            }
        }
    }
    let int: String = d[..point].iter().map(|x| char::from(b'0' + x)).collect();
    let int = if grouping { group(&int) } else { int };
    if prec == 0 {
        return int;
    }
    let frac: String = d[point..].iter().map(|x| char::from(b'0' + x)).collect();
    format!("{int}.{frac}")
}

/// How Java's `String.valueOf` writes a value for `%s` (DOUBLE as `Double.toString`: `1.0`,
/// `1.0E10`); other types as vstream writes them.
fn java_text(d: &Datum, ty: DataType) -> String {
    match d {
        Datum::Str(s) => s.clone(),
        Datum::Double(x) if ty == DataType::Float => java_double(f64::from(*x as f32), true),
        Datum::Double(x) => java_double(*x, false),
        _ => {
            let col = crate::column::Column::from_datums(ty, std::slice::from_ref(d));
            let mut out = Vec::new();
            col.write_text(0, &mut out);
            String::from_utf8_lossy(&out).into_owned()
        }
    }
}

/// Java's `Double.toString` (`Float.toString` when `float`): plain between 10^-3 and 10^7, else
/// `d.dddE±n`; always a fraction digit.
fn java_double(x: f64, float: bool) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = if float { format!("{}", x as f32) } else { format!("{x}") };
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = if float { format!("{:e}", x as f32) } else { format!("{x:e}") };
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let m = if m.contains('.') { m.to_string() } else { format!("{m}.0") };
    format!("{m}E{e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: &str, args: &[Arg<'_>]) -> Result<String, String> {
        let p = parse(f)?;
        let mut out = Vec::new();
        format(&p, args, 0, &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn java_formatter_subset() {
        let five = Datum::Int(5);
        let neg = Datum::Int(-42);
        let half = Datum::Double(0.125);
        let big = Datum::Double(1234567.5);
        let s = Datum::Str("ab".into());
        let null = Datum::Null;
        let i = |d| Arg::Scalar(d, DataType::Int);
        let dbl = |d| Arg::Scalar(d, DataType::Double);
        assert_eq!(run("%05d|%-4d|%+d", &[i(&five), i(&five), i(&five)]), Ok("00005|5   |+5".into()));
        assert_eq!(run("%x %X", &[i(&neg), Arg::Scalar(&Datum::Int(255), DataType::BigInt)]), Ok("ffffffd6 FF".into()));
        assert_eq!(run("%.2f %f", &[dbl(&half), dbl(&half)]), Ok("0.13 0.125000".into()));
        assert_eq!(run("%,.1f", &[dbl(&big)]), Ok("1,234,567.5".into()));
        assert_eq!(
            run(
                "[%5s][%-5s][%.1s]",
                &[Arg::Scalar(&s, DataType::Varchar), Arg::Scalar(&s, DataType::Varchar), Arg::Scalar(&s, DataType::Varchar)]
            ),
            Ok("[   ab][ab   ][a]".into())
        );
        assert_eq!(run("%s %d%%%n", &[Arg::Scalar(&null, DataType::Varchar), i(&null)]), Ok("null null%\n".into()));
        assert_eq!(run("%s", &[dbl(&Datum::Double(1.0))]), Ok("1.0".into()));
        assert_eq!(run("%s", &[dbl(&Datum::Double(1e10))]), Ok("1.0E10".into()));
        assert!(run("%d", &[dbl(&half)]).is_err());
        assert!(run("%d %d", &[i(&five)]).is_err());
        assert!(parse("%q").is_err());
        assert!(parse("%1$s").is_err());
    }

    #[test]
    fn fixed_rounds_half_up() {
        assert_eq!(fixed(b"125", -1, 2, false), "0.13");
        assert_eq!(fixed(b"995", 0, 1, false), "10.0");
        assert_eq!(fixed(b"5", -1, 0, false), "1");
        assert_eq!(fixed(b"1", 3, 0, true), "1,000");
    }
}
