//! Exact DECIMAL arithmetic on `i128` mantissas with a scale fixed per column.
//!
//! Why not `rust_decimal`: its values carry their own scale and hold 28 digits, while a SQL column
//! has one scale for every row and DECIMAL(38) needs 38 digits. A bare `i128` per cell (as Arrow's
//! Decimal128 and DuckDB's HUGEINT decimals do) keeps columns flat and the kernels branch-free.

/// `10^i` for `i` in `0..=38`.
pub const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Whether `v` fits in `precision` digits.
#[inline]
pub fn fits(v: i128, precision: u8) -> bool {
    let bound = POW10[precision.min(38) as usize];
    v > -bound && v < bound
}

/// Changes the scale of a mantissa, rounding half away from zero when digits are dropped.
/// `None` on overflow of `i128`.
#[inline]
pub fn rescale(v: i128, from: u8, to: u8) -> Option<i128> {
    if to >= from { v.checked_mul(POW10[(to - from) as usize]) } else { Some(div_round(v, POW10[(from - to) as usize])) }
}

/// `v / d` rounded half away from zero (`d > 0`).
#[inline]
pub fn div_round(v: i128, d: i128) -> i128 {
    let q = v / d;
    let r = v % d;
    if r.abs() * 2 >= d { q + v.signum() } else { q }
}

/// Parses decimal text (`-12.345`, `+7`, `.5`, `1e3`) into a mantissa at `scale`, rounding extra
/// fractional digits half away from zero. `None` if the text is not a number or overflows.
pub fn parse(text: &[u8], scale: u8) -> Option<i128> {
    parse_short(text, scale).or_else(|| parse_general(text, scale))
}

/// The common case on the hot path of sources: up to 18 digits, at most `scale` of them after
/// the point, no exponent (`-12.3`, `42`). `None` sends anything else to `parse_general`.
#[inline]
pub fn parse_short(text: &[u8], scale: u8) -> Option<i128> {
    let (neg, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    let mut frac: Option<usize> = None;
    let mut count = 0;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                v = v * 10 + (b - b'0') as u64;
                count += 1;
            }
            b'.' if frac.is_none() => frac = Some(digits.len() - i - 1),
            _ => return None,
        }
    }
    let frac = frac.unwrap_or(0);
    if count == 0 || count > 18 || frac > scale as usize {
        return None;
    }
    let m = v as i128 * POW10[scale as usize - frac];
    Some(if neg { -m } else { m })
}

fn parse_general(text: &[u8], scale: u8) -> Option<i128> {
    let (neg, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa_txt, exp) = match digits.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => {
            let e: i32 = std::str::from_utf8(&digits[i + 1..]).ok()?.parse().ok()?;
            (&digits[..i], e)
        }
        None => (digits, 0),
    };
    let mut int: i128 = 0;
    let mut frac_digits: i32 = 0;
    let mut seen_point = false;
    let mut any = false;
    // Digits past what i128 can hold are only allowed after the point; they decide rounding.
    let mut round_digit: Option<u8> = None;
    for &b in mantissa_txt {
        match b {
            b'0'..=b'9' => {
                any = true;
                if round_digit.is_some() {
                    continue;
                }
                if seen_point && frac_digits - exp >= scale as i32 {
                    round_digit = Some(b - b'0');
                    continue;
                }
                int = int.checked_mul(10)?.checked_add((b - b'0') as i128)?;
                if seen_point {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !any {
        return None;
    }
    // value = int * 10^(exp - frac_digits); want mantissa = value * 10^scale.
    let shift = scale as i32 + exp - frac_digits;
    let mut m = if shift >= 0 {
        int.checked_mul(*POW10.get(shift as usize)?)?
    } else {
        let d = *POW10.get((-shift) as usize)?;
        div_round(int, d)
    };
    if round_digit.is_some_and(|d| d >= 5) {
        m = m.checked_add(1)?;
    }
    Some(if neg { -m } else { m })
}

/// Appends the text of a mantissa at `scale`, always with `scale` fractional digits
/// (`11209.260` for 11209260 at scale 3), as DuckDB and Flink print DECIMALs.
/// Sinks call this per value, so it allocates nothing and divides in `u64` when it can.
pub fn format_into(v: i128, scale: u8, out: &mut Vec<u8>) {
    let mut buf = [b'0'; 41];
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    while u > u64::MAX as u128 {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
    }
    let mut small = u as u64;
    loop {
        i -= 1;
        buf[i] = b'0' + (small % 10) as u8;
        small /= 10;
        if small == 0 {
            break;
        }
    }
    let scale = scale as usize;
    // At least one digit before the point: `0.05`, not `.05`.
    let digits_start = i.min(buf.len() - scale - 1);
    if v < 0 {
        out.push(b'-');
    }
    let point = buf.len() - scale;
    out.extend_from_slice(&buf[digits_start..point]);
    if scale > 0 {
        out.push(b'.');
        out.extend_from_slice(&buf[point..]);
    }
}

/// The mantissa as a DOUBLE.
#[inline]
pub fn to_f64(v: i128, scale: u8) -> f64 {
    v as f64 / POW10[scale as usize] as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: i128, s: u8) -> String {
        let mut o = Vec::new();
        format_into(v, s, &mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn parses_and_rounds() {
        assert_eq!(parse(b"0.908", 3), Some(908));
        assert_eq!(parse(b"12345", 0), Some(12345));
        assert_eq!(parse(b"-1.25", 1), Some(-13));
        assert_eq!(parse(b"1.24", 1), Some(12));
        assert_eq!(parse(b".5", 2), Some(50));
        assert_eq!(parse(b"1e2", 1), Some(1000));
        assert_eq!(parse(b"1.5e-1", 2), Some(15));
        assert_eq!(parse(b"12x", 0), None);
        assert_eq!(parse(b"", 0), None);
        assert_eq!(parse(b"-", 0), None);
        assert_eq!(parse(b"1.2.3", 2), None);
    }

    #[test]
    fn formats_with_scale() {
        assert_eq!(fmt(11209260, 3), "11209.260");
        assert_eq!(fmt(-5, 2), "-0.05");
        assert_eq!(fmt(0, 0), "0");
        assert_eq!(fmt(7, 0), "7");
        assert_eq!(fmt(i128::MAX / 10, 38).len(), 40);
    }

    #[test]
    fn rescales() {
        assert_eq!(rescale(1234, 2, 1), Some(123));
        assert_eq!(rescale(1235, 2, 1), Some(124));
        assert_eq!(rescale(-1235, 2, 1), Some(-124));
        assert_eq!(rescale(12, 0, 3), Some(12000));
        assert!(fits(99, 2) && !fits(100, 2));
    }
}
