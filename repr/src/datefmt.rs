//! Java date-time patterns (`yyyy-MM-dd HH:mm:ss.SSS`), as Flink's DATE_FORMAT, TO_TIMESTAMP,
//! UNIX_TIMESTAMP and FROM_UNIXTIME take them: compiled once per query into a list of fields,
//! then used to format or parse any number of rows without looking at the pattern again.
//!
//! The letters are those `SimpleDateFormat` and `DateTimeFormatter` agree on (`G y M L d D E a H
//! k K h m s S w Z X x z`); `S` is the fraction of the second (`SSS` = milliseconds, as in both).
//! Text between single quotes is literal, `''` is a quote. Any other ASCII letter is refused when
//! the pattern is compiled, so a bad literal pattern is a planning error.

use crate::timestamp::{civil_from_days, days_from_civil, days_in_month};
use std::io::Write;

/// A pattern field, with how many times its letter was repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Era,
    Year,
    Month,
    DayOfMonth,
    DayOfYear,
    DayName,
    AmPm,
    Hour0To23,
    Hour1To24,
    Hour0To11,
    Hour1To12,
    Minute,
    Second,
    Fraction,
    WeekOfYear,
    /// `Z`: `+0000`.
    OffsetZ,
    /// `X`: `Z` for zero, else `+01`, `+0100` or `+01:00` by count.
    OffsetX,
    /// `x`: as `X` but `+00` for zero.
    OffsetLowerX,
    /// `z`: `UTC`, or `GMT+01:00`.
    ZoneName,
}

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field(Field, u8),
}

/// A compiled Java date-time pattern.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatePattern {
    items: Vec<Item>,
}

/// The parts of a date and time a pattern formats (the local date and time, and the zone offset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateParts {
    /// Days since 1970-01-01.
    pub days: i64,
    /// Year, month (1–12), day (1–31).
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Nanoseconds since midnight.
    pub nanos_of_day: i64,
    /// The zone's offset from UTC in seconds (0 for a TIMESTAMP without zone).
    pub offset_secs: i32,
}

impl DateParts {
    /// The parts of day `days` at `nanos_of_day`, offset `offset_secs`.
    pub fn new(days: i64, nanos_of_day: i64, offset_secs: i32) -> DateParts {
        let days = days.clamp(-crate::timestamp::MAX_DAYS, crate::timestamp::MAX_DAYS);
        let (year, month, day) = civil_from_days(days);
        DateParts { days, year, month, day, nanos_of_day, offset_secs }
    }
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// ISO day of week of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
pub fn iso_day_of_week(days: i64) -> u32 {
    ((days + 3).rem_euclid(7) + 1) as u32
}

/// Day of the year, 1–366.
pub fn day_of_year(days: i64, year: i64) -> u32 {
    (days - days_from_civil(year, 1, 1) + 1) as u32
}

/// Week of the year as `SimpleDateFormat`'s `w` counts in the US locale: weeks start on
/// Sunday and week 1 is the one holding January 1 (so the last days of December may be week 1).
pub fn us_week_of_year(days: i64, year: i64) -> u32 {
    let sunday_index = |d: i64| (d + 4).rem_euclid(7); // 0 = Sunday
    let next_jan1 = days_from_civil(year + 1, 1, 1);
    if days >= next_jan1 - sunday_index(next_jan1) {
        return 1;
    }
    let jan1 = days_from_civil(year, 1, 1);
    let first_sunday_on_or_before = jan1 - sunday_index(jan1);
    ((days - first_sunday_on_or_before) / 7 + 1) as u32
}

/// ISO-8601 week number (1–53) and its week-based year.
pub fn iso_week(days: i64) -> (i64, u32) {
    // The Thursday of this week decides its year.
    let thursday = days - iso_day_of_week(days) as i64 + 4;
    let (ty, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(ty, 1, 1)) / 7 + 1;
    (ty, week as u32)
}

impl DatePattern {
    /// Compiles `pattern`; an error names the letter or quote at fault.
    pub fn compile(pattern: &str) -> Result<DatePattern, String> {
        let mut items: Vec<Item> = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let Some(end) = chars[i + 1..].iter().position(|&x| x == '\'') else {
                    return Err(format!("unterminated quote in date pattern '{pattern}'"));
                };
                literal.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                literal.push(c);
                i += 1;
                continue;
            }
            let mut count = 1;
            while chars.get(i + count) == Some(&c) {
                count += 1;
            }
            let field = match c {
                'G' => Field::Era,
                'y' => Field::Year,
                'M' | 'L' => Field::Month,
                'd' => Field::DayOfMonth,
                'D' => Field::DayOfYear,
                'E' => Field::DayName,
                'a' => Field::AmPm,
                'H' => Field::Hour0To23,
                'k' => Field::Hour1To24,
                'K' => Field::Hour0To11,
                'h' => Field::Hour1To12,
                'm' => Field::Minute,
                's' => Field::Second,
                'S' => Field::Fraction,
                'w' => Field::WeekOfYear,
                'Z' => Field::OffsetZ,
                'X' => Field::OffsetX,
                'x' => Field::OffsetLowerX,
                'z' => Field::ZoneName,
                other => return Err(format!("unknown letter '{other}' in date pattern '{pattern}' (quote literal text: 'T')")),
            };
            if count > 9 {
                return Err(format!("'{c}' repeated {count} times in date pattern '{pattern}'"));
            }
            if !literal.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut literal)));
            }
            items.push(Item::Field(field, count as u8));
            i += count;
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(DatePattern { items })
    }

    /// The number of `S` letters (fractional digits the pattern shows), 0 if none.
    pub fn fraction_digits(&self) -> u8 {
        self.items.iter().map(|i| if let Item::Field(Field::Fraction, n) = i { *n } else { 0 }).max().unwrap_or(0)
    }

    /// Whether the pattern shows a time zone offset.
    pub fn has_offset(&self) -> bool {
        self.items.iter().any(|i| matches!(i, Item::Field(Field::OffsetZ | Field::OffsetX | Field::OffsetLowerX | Field::ZoneName, _)))
    }

    /// Appends `p` formatted by the pattern.
    pub fn format_into(&self, p: &DateParts, out: &mut Vec<u8>) {
        self.format_items_into(&self.items, p, out)
    }

    /// How many leading items depend on the date alone (`yyyy-MM-dd ` of `yyyy-MM-dd HH:mm`):
    /// their text can be kept for every row of the same day.
    pub fn date_prefix_len(&self) -> usize {
        self.items
            .iter()
            .position(|i| {
                !matches!(
                    i,
                    Item::Literal(_)
                        | Item::Field(
                            Field::Era
                                | Field::Year
                                | Field::Month
                                | Field::DayOfMonth
                                | Field::DayOfYear
                                | Field::DayName
                                | Field::WeekOfYear,
                            _
                        )
                )
            })
            .unwrap_or(self.items.len())
    }

    /// Appends the text of the first `prefix_len` items (see [`DatePattern::date_prefix_len`]).
    pub fn format_prefix_into(&self, prefix_len: usize, p: &DateParts, out: &mut Vec<u8>) {
        self.format_items_into(&self.items[..prefix_len.min(self.items.len())], p, out)
    }

    /// Appends the text of the items after the first `prefix_len`.
    pub fn format_rest_into(&self, prefix_len: usize, p: &DateParts, out: &mut Vec<u8>) {
        self.format_items_into(&self.items[prefix_len.min(self.items.len())..], p, out)
    }

    fn format_items_into(&self, items: &[Item], p: &DateParts, out: &mut Vec<u8>) {
        let secs = p.nanos_of_day / 1_000_000_000;
        let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
        for item in items {
            match item {
                Item::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Item::Field(f, n) => {
                    let n = *n as usize;
                    match f {
                        Field::Era => out.extend_from_slice(if p.year > 0 { b"AD" } else { b"BC" }),
                        Field::Year if n == 2 => pad(p.year.rem_euclid(100), 2, out),
                        Field::Year => pad(p.year, n, out),
                        Field::Month if n >= 4 => out.extend_from_slice(MONTHS[p.month as usize - 1].as_bytes()),
                        Field::Month if n == 3 => out.extend_from_slice(&MONTHS[p.month as usize - 1].as_bytes()[..3]),
                        Field::Month => pad(p.month as i64, n, out),
                        Field::DayOfMonth => pad(p.day as i64, n, out),
                        Field::DayOfYear => pad(day_of_year(p.days, p.year) as i64, n, out),
                        Field::DayName => {
                            let name = DAYS[iso_day_of_week(p.days) as usize - 1];
                            out.extend_from_slice(if n >= 4 { name.as_bytes() } else { &name.as_bytes()[..3] })
                        }
                        Field::AmPm => out.extend_from_slice(if hour < 12 { b"AM" } else { b"PM" }),
                        Field::Hour0To23 => pad(hour, n, out),
                        Field::Hour1To24 => pad(if hour == 0 { 24 } else { hour }, n, out),
                        Field::Hour0To11 => pad(hour % 12, n, out),
                        Field::Hour1To12 => pad(if hour % 12 == 0 { 12 } else { hour % 12 }, n, out),
                        Field::Minute => pad(minute, n, out),
                        Field::Second => pad(second, n, out),
                        Field::Fraction => {
                            let nanos = p.nanos_of_day % 1_000_000_000;
                            let digits = nanos / 10i64.pow(9 - n.min(9) as u32);
                            pad(digits, n, out)
                        }
                        Field::WeekOfYear => pad(us_week_of_year(p.days, p.year) as i64, n, out),
                        Field::OffsetZ => write_offset(p.offset_secs, if n >= 4 { OffsetStyle::Gmt } else { OffsetStyle::Basic }, out),
                        Field::OffsetX | Field::OffsetLowerX => {
                            if p.offset_secs == 0 && *f == Field::OffsetX {
                                out.push(b'Z');
                            } else {
                                let style = match n {
                                    1 => OffsetStyle::Hours,
                                    2 | 4 => OffsetStyle::Basic,
                                    _ => OffsetStyle::Colon,
                                };
                                write_offset(p.offset_secs, style, out)
                            }
                        }
                        Field::ZoneName => {
                            if p.offset_secs == 0 {
                                out.extend_from_slice(b"UTC")
                            } else {
                                write_offset(p.offset_secs, OffsetStyle::Gmt, out)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Parses `text` with the pattern: the local date and time, and the offset if the text has
    /// one. `None` when the text does not fit the pattern exactly (nothing may be left over).
    pub fn parse(&self, text: &str) -> Option<Parsed> {
        let b = text.as_bytes();
        let mut pos = 0usize;
        let (mut year, mut month, mut day, mut doy) = (1970i64, 1u32, 1u32, None::<u32>);
        let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
        let mut pm: Option<bool> = None;
        let mut hour12 = false;
        let mut offset = None;
        for (k, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(s) => {
                    if !b[pos..].starts_with(s.as_bytes()) {
                        return None;
                    }
                    pos += s.len();
                }
                Item::Field(f, n) => {
                    let n = *n as usize;
                    // A numeric field followed directly by another takes exactly its width
                    // (`yyyyMMdd`); otherwise it takes as many digits as there are.
                    let next_numeric = matches!(self.items.get(k + 1), Some(Item::Field(g, m)) if is_numeric(*g, *m as usize));
                    let num = |pos: &mut usize, max: usize| -> Option<i64> {
                        let width = if next_numeric { n.max(1) } else { max };
                        let start = *pos;
                        while *pos < b.len() && *pos - start < width && b[*pos].is_ascii_digit() {
                            *pos += 1;
                        }
                        if *pos == start || (next_numeric && *pos - start != width) {
                            return None;
                        }
                        std::str::from_utf8(&b[start..*pos]).ok()?.parse().ok()
                    };
                    match f {
                        Field::Era => {
                            if b[pos..].starts_with(b"AD") || b[pos..].starts_with(b"BC") {
                                pos += 2;
                            } else {
                                return None;
                            }
                        }
                        Field::Year if n == 2 => year = 2000 + num(&mut pos, 2)?,
                        Field::Year => year = num(&mut pos, 9)?,
                        Field::Month if n >= 3 => month = name_index(b, &mut pos, &MONTHS)? + 1,
                        Field::Month => month = num(&mut pos, 2)? as u32,
                        Field::DayOfMonth => day = num(&mut pos, 2)? as u32,
                        Field::DayOfYear => doy = Some(num(&mut pos, 3)? as u32),
                        Field::DayName => {
                            name_index(b, &mut pos, &DAYS)?;
                        }
                        Field::AmPm => {
                            let upper = b.get(pos..pos + 2)?.to_ascii_uppercase();
                            pm = Some(match upper.as_slice() {
                                b"AM" => false,
                                b"PM" => true,
                                _ => return None,
                            });
                            pos += 2;
                        }
                        Field::Hour0To23 => hour = num(&mut pos, 2)?,
                        Field::Hour1To24 => hour = num(&mut pos, 2)? % 24,
                        Field::Hour0To11 | Field::Hour1To12 => {
                            hour = num(&mut pos, 2)? % 12;
                            hour12 = true;
                        }
                        Field::Minute => minute = num(&mut pos, 2)?,
                        Field::Second => second = num(&mut pos, 2)?,
                        Field::Fraction => {
                            let start = pos;
                            let v = num(&mut pos, 9)?;
                            let digits = (pos - start) as u32;
                            nanos = v * 10i64.pow(9 - digits.min(9));
                        }
                        Field::WeekOfYear => {
                            num(&mut pos, 2)?;
                        }
                        Field::OffsetZ | Field::OffsetX | Field::OffsetLowerX | Field::ZoneName => {
                            offset = Some(parse_offset(b, &mut pos)?)
                        }
                    }
                }
            }
        }
        if pos != b.len() {
            return None;
        }
        if hour12 && pm == Some(true) {
            hour += 12;
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let days = match doy {
            Some(d) if d >= 1 && d <= if days_in_month(year, 2) == 29 { 366 } else { 365 } => days_from_civil(year, 1, 1) + d as i64 - 1,
            Some(_) => return None,
            None => days_from_civil(year, month, day),
        };
        Some(Parsed { days, nanos_of_day: ((hour * 60 + minute) * 60 + second) * 1_000_000_000 + nanos, offset_secs: offset })
    }
}

/// What [`DatePattern::parse`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Days since 1970-01-01 of the local date.
    pub days: i64,
    /// Nanoseconds since local midnight.
    pub nanos_of_day: i64,
    /// The offset the text gave, in seconds, if it had one.
    pub offset_secs: Option<i32>,
}

impl Parsed {
    /// The local date-time in ticks of `unit` per second (truncating finer digits).
    pub fn local_ticks(&self, unit: i64) -> Option<i64> {
        let secs = self.days.checked_mul(86_400)?.checked_add(self.nanos_of_day / 1_000_000_000)?;
        secs.checked_mul(unit)?.checked_add(self.nanos_of_day % 1_000_000_000 / (1_000_000_000 / unit))
    }
}

fn is_numeric(f: Field, n: usize) -> bool {
    let text =
        matches!(f, Field::Era | Field::DayName | Field::AmPm | Field::OffsetZ | Field::OffsetX | Field::OffsetLowerX | Field::ZoneName);
    let month_name = f == Field::Month && n >= 3;
    !(text || month_name)
}

/// Matches a month or day name (full, or its first three letters) at `pos`, any case.
fn name_index(b: &[u8], pos: &mut usize, names: &[&str]) -> Option<u32> {
    for (i, name) in names.iter().enumerate() {
        for len in [name.len(), 3] {
            if let Some(s) = b.get(*pos..*pos + len)
                && s.eq_ignore_ascii_case(&name.as_bytes()[..len])
            {
                *pos += len;
                return Some(i as u32);
            }
        }
    }
    None
}

/// Reads `Z`, `+hh`, `+hhmm`, `+hh:mm` (or `GMT`/`UTC` before any of them) at `pos`.
fn parse_offset(b: &[u8], pos: &mut usize) -> Option<i32> {
    let rest = &b[*pos..];
    if rest.first() == Some(&b'Z') {
        *pos += 1;
        return Some(0);
    }
    let mut p = *pos;
    if rest.starts_with(b"GMT") || rest.starts_with(b"UTC") {
        p += 3;
        if !matches!(b.get(p), Some(b'+' | b'-')) {
            *pos = p;
            return Some(0);
        }
    }
    let sign = match b.get(p)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    p += 1;
    let two = |p: usize| -> Option<i32> {
        let s = b.get(p..p + 2)?;
        s.iter().all(u8::is_ascii_digit).then(|| ((s[0] - b'0') * 10 + s[1] - b'0') as i32)
    };
    let h = two(p)?;
    p += 2;
    let mut m = 0;
    if b.get(p) == Some(&b':') {
        m = two(p + 1)?;
        p += 3;
    } else if let Some(mm) = two(p) {
        m = mm;
        p += 2;
    }
    *pos = p;
    Some(sign * (h * 3600 + m * 60))
}

enum OffsetStyle {
    /// `+01`
    Hours,
    /// `+0100`
    Basic,
    /// `+01:00`
    Colon,
    /// `GMT+01:00`
    Gmt,
}

fn write_offset(secs: i32, style: OffsetStyle, out: &mut Vec<u8>) {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, a / 60 % 60);
    let _ = match style {
        OffsetStyle::Hours if m == 0 => write!(out, "{sign}{h:02}"),
        OffsetStyle::Hours | OffsetStyle::Basic => write!(out, "{sign}{h:02}{m:02}"),
        OffsetStyle::Colon => write!(out, "{sign}{h:02}:{m:02}"),
        OffsetStyle::Gmt => write!(out, "GMT{sign}{h:02}:{m:02}"),
    };
}

/// Appends `v` with at least `width` digits (a minus sign before them for a negative value).
#[inline]
fn pad(v: i64, width: usize, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    let u = v.unsigned_abs();
    if width == 2 && u < 100 {
        out.push(b'0' + (u / 10) as u8);
        out.push(b'0' + (u % 10) as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut x = u;
    loop {
        i -= 1;
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, days: i64, nanos: i64, offset: i32) -> String {
        let mut out = Vec::new();
        DatePattern::compile(pattern).unwrap().format_into(&DateParts::new(days, nanos, offset), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats_java_patterns() {
        let d = days_from_civil(2024, 2, 29);
        let n = ((13 * 60 + 5) * 60 + 9) * 1_000_000_000 + 7_000_000;
        assert_eq!(fmt("yyyy-MM-dd HH:mm:ss.SSS", d, n, 0), "2024-02-29 13:05:09.007");
        assert_eq!(fmt("yy/M/d h:m a", d, n, 0), "24/2/29 1:5 PM");
        assert_eq!(fmt("EEE, dd MMM yyyy", d, n, 0), "Thu, 29 Feb 2024");
        assert_eq!(fmt("EEEE MMMM D", d, n, 0), "Thursday February 60");
        assert_eq!(fmt("yyyy-MM-dd'T'HH:mm:ssXXX", d, n, 3600), "2024-02-29T13:05:09+01:00");
        assert_eq!(fmt("X Z x", d, n, 0), "Z +0000 +00");
        assert_eq!(fmt("''hh'' S", d, 0, 0), "'12' 0");
        // 2023-12-31 is a Sunday: week 1 of 2024 in the US week rule.
        assert_eq!(fmt("w", days_from_civil(2023, 12, 31), 0, 0), "1");
        assert_eq!(fmt("w", days_from_civil(2024, 1, 6), 0, 0), "1");
        assert_eq!(fmt("w", days_from_civil(2024, 1, 7), 0, 0), "2");
        assert!(DatePattern::compile("yyyy-qq").is_err());
        let p = DatePattern::compile("yyyy-MM-dd HH:mm").unwrap();
        assert_eq!(p.date_prefix_len(), 6);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let parts = DateParts::new(d, n, 0);
        p.format_prefix_into(6, &parts, &mut a);
        p.format_rest_into(6, &parts, &mut b);
        assert_eq!((a.as_slice(), b.as_slice()), (&b"2024-02-29 "[..], &b"13:05"[..]));
        assert!(DatePattern::compile("'open").is_err());
    }

    #[test]
    fn parses_java_patterns() {
        let p = DatePattern::compile("yyyyMMddHHmmss").unwrap();
        let got = p.parse("20240229235959").unwrap();
        assert_eq!(got.days, days_from_civil(2024, 2, 29));
        assert_eq!(got.nanos_of_day, 86_399 * 1_000_000_000);
        assert!(p.parse("20230229235959").is_none());
        let p = DatePattern::compile("dd/MM/yyyy hh:mm a").unwrap();
        assert_eq!(p.parse("01/03/2024 12:30 AM").unwrap().nanos_of_day, 30 * 60 * 1_000_000_000);
        assert!(p.parse("01/03/2024 12:30 AM extra").is_none());
        let p = DatePattern::compile("yyyy-MM-dd HH:mm:ss.SSSXXX").unwrap();
        let got = p.parse("2024-01-01 00:00:00.5+05:30").unwrap();
        assert_eq!((got.nanos_of_day, got.offset_secs), (500_000_000, Some(19_800)));
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        // Text of any shape gives None, never a panic.
        for pattern in ["yyyy-MM-dd", "yyyyMMddHHmmssSSS", "EEE MMM d a h", "XXX", "''y''", "D", "G y"] {
            let p = DatePattern::compile(pattern).unwrap();
            for text in ["", "é", "2024-01-01é", "99999999999999999999", "2024-1", "Thu Feb 2 PM 1", "+99:99", "'2024'", "AD 2024", "366"]
            {
                let _ = p.parse(text);
            }
        }
        assert_eq!(iso_week(days_from_civil(2024, 12, 30)), (2025, 1));
    }
}
