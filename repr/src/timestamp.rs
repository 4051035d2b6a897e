//! TIMESTAMP(3) values: milliseconds since the Unix epoch, with no time zone.
//!
//! The fixed layout `YYYY-MM-DD HH:MM:SS[.fff]` that CSV files and DuckDB use is parsed by hand
//! (it is on the hot path of every source); anything else (a `T` separator, an offset) falls
//! back to `jiff`.

/// The largest day number calendar functions take at face value: days beyond ±2^55 (10^14
/// years, far past any timestamp) are clamped so date arithmetic cannot overflow on whatever a
/// DATE column holds.
pub const MAX_DAYS: i64 = 1 << 55;

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date (year, month, day) of a day number counted from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.clamp(-MAX_DAYS, MAX_DAYS) + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days in month `m` (1–12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u32;
    }
    Some(v)
}

/// Parses a timestamp into epoch milliseconds; `None` if it is not one.
/// Digits past milliseconds are truncated, as a cast to TIMESTAMP(3) does.
pub fn parse(text: &[u8]) -> Option<i64> {
    if text.len() >= 19 && text[4] == b'-' && text[7] == b'-' && text[10] == b' ' && text[13] == b':' && text[16] == b':' {
        let y = digits(&text[0..4])? as i64;
        let mo = digits(&text[5..7])?;
        let d = digits(&text[8..10])?;
        let h = digits(&text[11..13])?;
        let mi = digits(&text[14..16])?;
        let s = digits(&text[17..19])?;
        let mut ms = 0u32;
        if text.len() > 19 {
            if text[19] != b'.' || text.len() == 20 {
                return parse_slow(text);
            }
            let frac = &text[20..];
            if digits(frac).is_none() {
                // An offset after the fraction (`.5Z`, `.5+01:00`): an instant, read by jiff.
                return parse_slow(text);
            }
            for i in 0..3 {
                ms = ms * 10 + frac.get(i).map_or(0, |c| (c - b'0') as u32);
            }
        }
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        return Some(((days * 24 + h as i64) * 60 + mi as i64) * 60_000 + s as i64 * 1000 + ms as i64);
    }
    if text.len() == 10 && text[4] == b'-' && text[7] == b'-' {
        let y = digits(&text[0..4])? as i64;
        let mo = digits(&text[5..7])?;
        let d = digits(&text[8..10])?;
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
            return None;
        }
        return Some(days_from_civil(y, mo, d) * 86_400_000);
    }
    parse_slow(text)
}

fn parse_slow(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.trim();
    // An instant with an offset (`2025-01-01T01:00:00+01:00`, `...Z`) is taken in UTC; jiff's
    // civil parse would drop the offset.
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
        return Some(ts.as_millisecond());
    }
    None
}

thread_local! {
    /// The day last formatted and its `YYYY-MM-DD ` text: a stream's timestamps mostly share a
    /// day, and the calendar arithmetic is most of the cost of formatting one.
    static LAST_DAY: std::cell::Cell<(i64, [u8; 11])> = const { std::cell::Cell::new((i64::MIN, [0; 11])) };
}

/// Appends `YYYY-MM-DD HH:MM:SS.mmm`.
pub fn format_into(ms: i64, out: &mut Vec<u8>) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (cached_day, prefix) = LAST_DAY.get();
    let prefix = if cached_day == days {
        prefix
    } else {
        let (y, mo, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
            out.extend_from_slice(format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{milli:03}").as_bytes());
            return;
        }
        let mut p = [0u8; 11];
        let two = |p: &mut [u8], v: i64| {
            p[0] = b'0' + (v / 10) as u8;
            p[1] = b'0' + (v % 10) as u8;
        };
        two(&mut p[0..2], y / 100);
        two(&mut p[2..4], y % 100);
        p[4] = b'-';
        two(&mut p[5..7], mo as i64);
        p[7] = b'-';
        two(&mut p[8..10], d as i64);
        p[10] = b' ';
        LAST_DAY.set((days, p));
        p
    };
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let d2 = |v: i64| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let (h, mi, s) = (d2(h), d2(mi), d2(s));
    let text = [
        h[0],
        h[1],
        b':',
        mi[0],
        mi[1],
        b':',
        s[0],
        s[1],
        b'.',
        b'0' + (milli / 100) as u8,
        b'0' + (milli / 10 % 10) as u8,
        b'0' + (milli % 10) as u8,
    ];
    out.extend_from_slice(&prefix);
    out.extend_from_slice(&text);
}

/// Appends a TIMESTAMP(`precision`) of `ticks` (in [`crate::types::timestamp_unit`]'s unit) as
/// `YYYY-MM-DD HH:MM:SS` and, for a precision above 0, exactly `precision` fractional digits.
pub fn format_ticks_into(ticks: i64, precision: u8, out: &mut Vec<u8>) {
    let unit = crate::types::timestamp_unit(precision);
    if unit == 1000 && precision == 3 {
        return format_into(ticks, out);
    }
    let secs = ticks.div_euclid(unit);
    let frac = ticks.rem_euclid(unit);
    let days = secs.div_euclid(86_400);
    format_date_into(days, out);
    out.push(b' ');
    let nanos_of_day = secs.rem_euclid(86_400) * 1_000_000_000 + frac * (1_000_000_000 / unit);
    format_time_into(nanos_of_day, precision, out);
}

/// Appends a DATE (days since 1970-01-01) as `YYYY-MM-DD`.
pub fn format_date_into(days: i64, out: &mut Vec<u8>) {
    use std::io::Write;
    let (y, m, d) = civil_from_days(days);
    let _ = if (0..=9999).contains(&y) { write!(out, "{y:04}-{m:02}-{d:02}") } else { write!(out, "{y}-{m:02}-{d:02}") };
}

/// Appends a TIME (nanoseconds since midnight) as `HH:MM:SS` and `precision` fractional digits.
pub fn format_time_into(nanos: i64, precision: u8, out: &mut Vec<u8>) {
    use std::io::Write;
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if precision > 0 {
        let digits = format!("{frac:09}");
        out.push(b'.');
        out.extend_from_slice(&digits.as_bytes()[..precision.min(9) as usize]);
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS[.f…]` (or a date alone, or ISO forms) into ticks of a
/// TIMESTAMP(`precision`); fractional digits beyond the precision are truncated.
pub fn parse_ticks(text: &[u8], precision: u8) -> Option<i64> {
    let unit = crate::types::timestamp_unit(precision);
    if unit == 1000 {
        return parse(text).map(|ms| truncate_ticks(ms, precision));
    }
    let s = std::str::from_utf8(text).ok()?.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        let nanos = t.as_nanosecond();
        return i64::try_from(nanos.div_euclid(1_000_000_000 / unit as i128)).ok().map(|t| truncate_ticks(t, precision));
    }
    let dt: jiff::civil::DateTime = match s.parse() {
        Ok(dt) => dt,
        Err(_) => s.parse::<jiff::civil::Date>().ok()?.to_datetime(jiff::civil::Time::midnight()),
    };
    let days = days_from_civil(dt.year() as i64, dt.month() as u32, dt.day() as u32);
    let secs = days * 86_400 + dt.hour() as i64 * 3600 + dt.minute() as i64 * 60 + dt.second() as i64;
    let frac = dt.subsec_nanosecond() as i64 / (1_000_000_000 / unit);
    secs.checked_mul(unit)?.checked_add(truncate_ticks(frac, precision))
}

/// `ticks` with the digits below `precision` zeroed (ticks are in the precision's storage unit).
pub fn truncate_ticks(ticks: i64, precision: u8) -> i64 {
    let unit = crate::types::timestamp_unit(precision);
    let keep = 10i64.pow(precision.min(9) as u32);
    let step = unit / keep.min(unit);
    if step <= 1 { ticks } else { ticks - ticks.rem_euclid(step) }
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.trim();
    let d: jiff::civil::Date = s.parse().ok()?;
    Some(days_from_civil(d.year() as i64, d.month() as u32, d.day() as u32))
}

/// Parses `HH:MM[:SS[.f…]]` into nanoseconds since midnight.
pub fn parse_time(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.trim();
    let t: jiff::civil::Time = s.parse().ok()?;
    Some(((t.hour() as i64 * 60 + t.minute() as i64) * 60 + t.second() as i64) * 1_000_000_000 + t.subsec_nanosecond() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ms: i64) -> String {
        let mut o = Vec::new();
        format_into(ms, &mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn round_trips() {
        for s in ["2025-01-01 00:00:00.123", "1970-01-01 00:00:00.000", "1969-12-31 23:59:59.999", "2024-02-29 12:34:56.789"] {
            assert_eq!(fmt(parse(s.as_bytes()).unwrap()), s);
        }
        assert_eq!(parse(b"2025-01-01 00:00:00.123").unwrap(), 1735689600123);
        assert_eq!(parse(b"2025-01-01 00:00:00"), Some(1735689600000));
        assert_eq!(parse(b"2025-01-01 00:00:00.1"), Some(1735689600100));
        assert_eq!(parse(b"2025-01-01 00:00:00.123456"), Some(1735689600123));
        assert_eq!(parse(b"2025-01-01T00:00:00.5"), Some(1735689600500));
        assert_eq!(parse(b"2025-01-01"), Some(1735689600000));
        // An instant as a TIMESTAMP_LTZ is written (UTC, `Z`) reads back.
        assert_eq!(parse(b"2025-01-01 00:00:00.123Z"), Some(1735689600123));
        assert_eq!(parse(b"2025-01-01 01:00:00+01:00"), Some(1735689600000));
        assert_eq!(parse_ticks(b"2025-01-01 00:00:00.000001Z", 6), Some(1735689600000001));
        let mut o = Vec::new();
        let t = parse_ticks(b"2025-01-01 00:00:00.1234567", 6).unwrap();
        format_ticks_into(t, 6, &mut o);
        assert_eq!(String::from_utf8(o).unwrap(), "2025-01-01 00:00:00.123456");
        let mut o = Vec::new();
        format_ticks_into(parse_ticks(b"1969-12-31 23:59:59.5", 0).unwrap(), 0, &mut o);
        assert_eq!(String::from_utf8(o).unwrap(), "1969-12-31 23:59:59");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse(b"2025-02-30 00:00:00"), None);
        assert_eq!(parse(b"2025-01-01 24:00:00"), None);
        assert_eq!(parse(b"yesterday"), None);
        assert_eq!(parse(b""), None);
    }
}
