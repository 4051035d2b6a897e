//! Flink's date and time functions: extraction, truncation, arithmetic, Java-pattern formatting and parsing, time zones.
//!
//! Values arrive in their storage form (see [`DataType::layout`]): DATE as days, TIME as
//! nanoseconds of the day, TIMESTAMP(p) and TIMESTAMP_LTZ(p) as ticks of
//! [`timestamp_unit`]`(p)`. Functions that depend on the session time zone get it as a hidden
//! trailing literal argument (the binder appends it), resolved once per query in the
//! [`CallCache`]. The binder turns a TIMESTAMP_LTZ into local time ([`TemporalFunc::ToLocal`])
//! before EXTRACT, HOUR, FLOOR and the like, so those kernels only see local date-times.

// Kernels walk several arguments in step by row index.
#![allow(clippy::needless_range_loop)]

use super::registry::{ArgType, Category, FunctionDef, SigError, Typed, rules};
use super::{Arg, CallCache, ColumnBuilder, Func};
use crate::column::{Column, ColumnData};
use crate::datefmt::{DateParts, DatePattern, iso_day_of_week, iso_week};
use crate::datum::Datum;
use crate::expr::EvalError;
use crate::timestamp::{MAX_DAYS, civil_from_days, days_from_civil, days_in_month};
use crate::types::{DataType, timestamp_unit};
use serde::{Deserialize, Serialize};

const NANOS_PER_DAY: i64 = 86_400_000_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A unit of EXTRACT, FLOOR/CEIL, TIMESTAMPADD and TIMESTAMPDIFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeUnit {
    /// MILLENNIUM
    Millennium,
    /// CENTURY
    Century,
    /// DECADE
    Decade,
    /// YEAR
    Year,
    /// QUARTER
    Quarter,
    /// MONTH
    Month,
    /// WEEK (ISO week for EXTRACT; Sunday-started for FLOOR/CEIL, as Flink)
    Week,
    /// DAY
    Day,
    /// HOUR
    Hour,
    /// MINUTE
    Minute,
    /// SECOND
    Second,
    /// MILLISECOND (EXTRACT: seconds included, `12.345` s → 12345)
    Millisecond,
    /// MICROSECOND
    Microsecond,
    /// NANOSECOND
    Nanosecond,
    /// DOY: day of the year
    DayOfYear,
    /// DOW: day of the week, 1 = Sunday … 7 = Saturday
    DayOfWeek,
    /// ISODOW: 1 = Monday … 7 = Sunday
    IsoDayOfWeek,
    /// ISOYEAR: the ISO week-based year
    IsoYear,
    /// EPOCH: seconds since 1970-01-01 00:00:00
    Epoch,
}

impl TimeUnit {
    /// The unit SQL names `name` (any case; Flink's and sqlparser's spellings).
    pub fn parse(name: &str) -> Option<TimeUnit> {
        Some(match name.to_ascii_uppercase().trim_end_matches('S') {
            "MILLENNIUM" | "MILLENIUM" => TimeUnit::Millennium,
            "CENTURY" | "CENTURIE" => TimeUnit::Century,
            "DECADE" => TimeUnit::Decade,
            "YEAR" | "SQL_TSI_YEAR" => TimeUnit::Year,
            "QUARTER" | "SQL_TSI_QUARTER" => TimeUnit::Quarter,
            "MONTH" | "SQL_TSI_MONTH" => TimeUnit::Month,
            "WEEK" | "SQL_TSI_WEEK" => TimeUnit::Week,
            "DAY" | "SQL_TSI_DAY" => TimeUnit::Day,
            "HOUR" | "SQL_TSI_HOUR" => TimeUnit::Hour,
            "MINUTE" | "SQL_TSI_MINUTE" => TimeUnit::Minute,
            "SECOND" | "SQL_TSI_SECOND" => TimeUnit::Second,
            "MILLISECOND" => TimeUnit::Millisecond,
            "MICROSECOND" | "FRAC_SECOND" => TimeUnit::Microsecond,
            "NANOSECOND" => TimeUnit::Nanosecond,
            "DOY" | "DAYOFYEAR" => TimeUnit::DayOfYear,
            "DOW" | "DAYOFWEEK" => TimeUnit::DayOfWeek,
            "ISODOW" => TimeUnit::IsoDayOfWeek,
            "ISOYEAR" => TimeUnit::IsoYear,
            "EPOCH" => TimeUnit::Epoch,
            _ => return None,
        })
    }

    /// The unit's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Millennium => "MILLENNIUM",
            TimeUnit::Century => "CENTURY",
            TimeUnit::Decade => "DECADE",
            TimeUnit::Year => "YEAR",
            TimeUnit::Quarter => "QUARTER",
            TimeUnit::Month => "MONTH",
            TimeUnit::Week => "WEEK",
            TimeUnit::Day => "DAY",
            TimeUnit::Hour => "HOUR",
            TimeUnit::Minute => "MINUTE",
            TimeUnit::Second => "SECOND",
            TimeUnit::Millisecond => "MILLISECOND",
            TimeUnit::Microsecond => "MICROSECOND",
            TimeUnit::Nanosecond => "NANOSECOND",
            TimeUnit::DayOfYear => "DOY",
            TimeUnit::DayOfWeek => "DOW",
            TimeUnit::IsoDayOfWeek => "ISODOW",
            TimeUnit::IsoYear => "ISOYEAR",
            TimeUnit::Epoch => "EPOCH",
        }
    }

    /// The unit's length in nanoseconds, for units of fixed length (WEEK and shorter).
    pub fn fixed_nanos(self) -> Option<i64> {
        Some(match self {
            TimeUnit::Week => 7 * NANOS_PER_DAY,
            TimeUnit::Day => NANOS_PER_DAY,
            TimeUnit::Hour => 3_600 * NANOS_PER_SEC,
            TimeUnit::Minute => 60 * NANOS_PER_SEC,
            TimeUnit::Second => NANOS_PER_SEC,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1,
            _ => return None,
        })
    }

    /// The unit's length in months (YEAR, QUARTER, MONTH and longer).
    pub fn months(self) -> Option<i64> {
        Some(match self {
            TimeUnit::Millennium => 12_000,
            TimeUnit::Century => 1_200,
            TimeUnit::Decade => 120,
            TimeUnit::Year => 12,
            TimeUnit::Quarter => 3,
            TimeUnit::Month => 1,
            _ => return None,
        })
    }

    /// Whether the unit is a part of the time of day (HOUR and finer).
    pub fn is_time_of_day(self) -> bool {
        matches!(
            self,
            TimeUnit::Hour | TimeUnit::Minute | TimeUnit::Second | TimeUnit::Millisecond | TimeUnit::Microsecond | TimeUnit::Nanosecond
        )
    }
}

/// The functions of this category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TemporalFunc {
    /// `EXTRACT(unit FROM x)` and its shorthands (YEAR, HOUR, ...): BIGINT.
    Extract(TimeUnit),
    /// `FLOOR(x TO unit)`.
    Floor(TimeUnit),
    /// `CEIL(x TO unit)`.
    Ceil(TimeUnit),
    /// `DATE_FORMAT(timestamp | string, pattern [, zone])`: the zone is there for a TIMESTAMP_LTZ.
    DateFormat,
    /// `TIMESTAMPADD(unit, n, timepoint)`.
    TimestampAdd(TimeUnit),
    /// `TIMESTAMPDIFF(unit, t1, t2)`: INT.
    TimestampDiff(TimeUnit),
    /// `timepoint + interval` (or `-` when `subtract`).
    AddInterval {
        /// Subtract the interval instead.
        subtract: bool,
    },
    /// `CONVERT_TZ(string, from_zone, to_zone)`.
    ConvertTz,
    /// `FROM_UNIXTIME(seconds [, pattern], zone)`.
    FromUnixtime,
    /// `UNIX_TIMESTAMP(zone)` (now) or `UNIX_TIMESTAMP(string [, pattern], zone)`.
    UnixTimestamp,
    /// `TO_DATE(string [, pattern])`.
    ToDate,
    /// `TO_TIMESTAMP(string [, pattern])`: TIMESTAMP(3).
    ToTimestamp,
    /// `TO_TIMESTAMP_LTZ(number, precision)` or `TO_TIMESTAMP_LTZ(string [, pattern [, zone]])`.
    ToTimestampLtz,
    /// A TIMESTAMP_LTZ(p) shown in a zone: `(ltz, zone)` → TIMESTAMP(p) (local date-time).
    ToLocal,
    /// A local date-time taken in a zone: `(timestamp, zone)` → TIMESTAMP_LTZ(p).
    FromLocal,
    /// `NOW()`, `CURRENT_TIMESTAMP`, `CURRENT_ROW_TIMESTAMP()`: the wall clock as TIMESTAMP_LTZ(3).
    Now,
    /// `LOCALTIMESTAMP(zone)`: the wall clock in the session zone, TIMESTAMP(3).
    LocalTimestamp,
    /// `LOCALTIME(zone)`, `CURRENT_TIME(zone)`: TIME(0).
    LocalTime,
    /// `CURRENT_DATE(zone)`: DATE.
    CurrentDate,
    /// `(s1, e1) OVERLAPS (s2, e2)` over four points of one type.
    Overlaps,
}

impl TemporalFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            TemporalFunc::Extract(_) => "EXTRACT",
            TemporalFunc::Floor(_) => "FLOOR",
            TemporalFunc::Ceil(_) => "CEIL",
            TemporalFunc::DateFormat => "DATE_FORMAT",
            TemporalFunc::TimestampAdd(_) => "TIMESTAMPADD",
            TemporalFunc::TimestampDiff(_) => "TIMESTAMPDIFF",
            TemporalFunc::AddInterval { subtract: false } => "+",
            TemporalFunc::AddInterval { subtract: true } => "-",
            TemporalFunc::ConvertTz => "CONVERT_TZ",
            TemporalFunc::FromUnixtime => "FROM_UNIXTIME",
            TemporalFunc::UnixTimestamp => "UNIX_TIMESTAMP",
            TemporalFunc::ToDate => "TO_DATE",
            TemporalFunc::ToTimestamp => "TO_TIMESTAMP",
            TemporalFunc::ToTimestampLtz => "TO_TIMESTAMP_LTZ",
            TemporalFunc::ToLocal => "TO_LOCAL",
            TemporalFunc::FromLocal => "FROM_LOCAL",
            TemporalFunc::Now => "NOW",
            TemporalFunc::LocalTimestamp => "LOCALTIMESTAMP",
            TemporalFunc::LocalTime => "LOCALTIME",
            TemporalFunc::CurrentDate => "CURRENT_DATE",
            TemporalFunc::Overlaps => "OVERLAPS",
        }
    }

    /// The unit the function carries (EXTRACT, FLOOR, CEIL, TIMESTAMPADD, TIMESTAMPDIFF).
    pub fn unit(self) -> Option<TimeUnit> {
        match self {
            TemporalFunc::Extract(u)
            | TemporalFunc::Floor(u)
            | TemporalFunc::Ceil(u)
            | TemporalFunc::TimestampAdd(u)
            | TemporalFunc::TimestampDiff(u) => Some(u),
            _ => None,
        }
    }
}

fn t(f: TemporalFunc) -> Func {
    Func::Temporal(f)
}

/// This category's registry entries.
pub fn definitions() -> Vec<FunctionDef> {
    use Category::Temporal as C;
    use TemporalFunc as F;
    let ex = |u| t(F::Extract(u));
    vec![
        FunctionDef::new("YEAR", C, "YEAR(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::Year)),
        FunctionDef::new("QUARTER", C, "QUARTER(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::Quarter)),
        FunctionDef::new("MONTH", C, "MONTH(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::Month)),
        FunctionDef::new("WEEK", C, "WEEK(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::Week)),
        FunctionDef::new("DAYOFYEAR", C, "DAYOFYEAR(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::DayOfYear)),
        FunctionDef::new("DAYOFMONTH", C, "DAYOFMONTH(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::Day)),
        FunctionDef::new("DAYOFWEEK", C, "DAYOFWEEK(DATE | TIMESTAMP) → BIGINT", date_part, ex(TimeUnit::DayOfWeek)),
        FunctionDef::new("HOUR", C, "HOUR(TIME | TIMESTAMP) → BIGINT", time_part, ex(TimeUnit::Hour)),
        FunctionDef::new("MINUTE", C, "MINUTE(TIME | TIMESTAMP) → BIGINT", time_part, ex(TimeUnit::Minute)),
        FunctionDef::new("SECOND", C, "SECOND(TIME | TIMESTAMP) → BIGINT", time_part, ex(TimeUnit::Second)),
        FunctionDef::new("DATE_FORMAT", C, "DATE_FORMAT(TIMESTAMP | STRING, STRING) → STRING", date_format, t(F::DateFormat)),
        FunctionDef::new(
            "TIMESTAMPADD",
            C,
            "TIMESTAMPADD(unit, INT, DATE | TIME | TIMESTAMP) → same type",
            no_direct_call,
            t(F::TimestampAdd(TimeUnit::Day)),
        ),
        FunctionDef::new(
            "TIMESTAMPDIFF",
            C,
            "TIMESTAMPDIFF(unit, timepoint, timepoint) → INT",
            no_direct_call,
            t(F::TimestampDiff(TimeUnit::Day)),
        ),
        FunctionDef::new("CONVERT_TZ", C, "CONVERT_TZ(STRING, STRING, STRING) → STRING", convert_tz, t(F::ConvertTz)),
        FunctionDef::new("FROM_UNIXTIME", C, "FROM_UNIXTIME(BIGINT [, STRING]) → STRING", from_unixtime, t(F::FromUnixtime)),
        FunctionDef::new(
            "UNIX_TIMESTAMP",
            C,
            "UNIX_TIMESTAMP() → BIGINT, UNIX_TIMESTAMP(STRING [, STRING]) → BIGINT",
            unix_timestamp,
            t(F::UnixTimestamp),
        )
        .volatile(),
        FunctionDef::new("TO_DATE", C, "TO_DATE(STRING [, STRING]) → DATE", to_date, t(F::ToDate)),
        FunctionDef::new("TO_TIMESTAMP", C, "TO_TIMESTAMP(STRING [, STRING]) → TIMESTAMP(3)", to_timestamp, t(F::ToTimestamp)),
        FunctionDef::new(
            "TO_TIMESTAMP_LTZ",
            C,
            "TO_TIMESTAMP_LTZ(numeric [, INT precision]) → TIMESTAMP_LTZ, TO_TIMESTAMP_LTZ(STRING [, STRING [, STRING]]) → TIMESTAMP_LTZ(3)",
            to_timestamp_ltz,
            t(F::ToTimestampLtz),
        ),
        FunctionDef::new("NOW", C, "NOW() → TIMESTAMP_LTZ(3)", now, t(F::Now)).volatile(),
        FunctionDef::new("CURRENT_TIMESTAMP", C, "CURRENT_TIMESTAMP → TIMESTAMP_LTZ(3)", now, t(F::Now)).volatile(),
        FunctionDef::new("CURRENT_ROW_TIMESTAMP", C, "CURRENT_ROW_TIMESTAMP() → TIMESTAMP_LTZ(3)", now, t(F::Now)).volatile(),
        FunctionDef::new("LOCALTIMESTAMP", C, "LOCALTIMESTAMP → TIMESTAMP(3)", clock_timestamp, t(F::LocalTimestamp)).volatile(),
        FunctionDef::new("LOCALTIME", C, "LOCALTIME → TIME(0)", clock_time, t(F::LocalTime)).volatile(),
        FunctionDef::new("CURRENT_TIME", C, "CURRENT_TIME → TIME(0)", clock_time, t(F::LocalTime)).volatile(),
        FunctionDef::new("CURRENT_DATE", C, "CURRENT_DATE → DATE", clock_date, t(F::CurrentDate)).volatile(),
    ]
}

fn no_direct_call(_: &[ArgType<'_>]) -> Result<Typed, SigError> {
    Err(SigError::call("takes a unit first, as in TIMESTAMPADD(HOUR, 1, ts)"))
}

/// A DATE or a timestamp argument (a TIMESTAMP_LTZ is read in UTC; the binder shifts it first).
fn date_part(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    match args[0].ty {
        None => rules::typed(vec![DataType::Date], DataType::BigInt),
        Some(ty) if ty == DataType::Date || ty.is_timestamp() => rules::typed(vec![ty], DataType::BigInt),
        Some(DataType::Varchar) => rules::typed(vec![DataType::Date], DataType::BigInt),
        Some(ty) => Err(SigError::arg(0, format!("argument 1 must be a DATE or TIMESTAMP, not {ty}"))),
    }
}

fn time_part(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    match args[0].ty {
        None => rules::typed(vec![DataType::TIMESTAMP], DataType::BigInt),
        Some(ty) if ty.is_timestamp() || matches!(ty, DataType::Time { .. }) => rules::typed(vec![ty], DataType::BigInt),
        Some(DataType::Varchar) => rules::typed(vec![DataType::TIMESTAMP], DataType::BigInt),
        Some(ty) => Err(SigError::arg(0, format!("argument 1 must be a TIME or TIMESTAMP, not {ty}"))),
    }
}

/// Argument `i` as a date pattern: checked now if it is a literal.
fn pattern_arg(args: &[ArgType<'_>], i: usize) -> Result<DataType, SigError> {
    let ty = rules::string(args, i)?;
    if let Some(Datum::Str(p)) = args[i].literal {
        DatePattern::compile(p).map_err(|e| SigError::arg(i, e))?;
    }
    Ok(ty)
}

/// Argument `i` as a time zone: checked now if it is a literal.
fn zone_arg(args: &[ArgType<'_>], i: usize) -> Result<DataType, SigError> {
    let ty = rules::string(args, i)?;
    if let Some(Datum::Str(z)) = args[i].literal
        && parse_zone(z).is_none()
    {
        return Err(SigError::arg(i, format!("unknown time zone '{z}'")));
    }
    Ok(ty)
}

fn date_format(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 2, 3)?;
    let first = match args[0].ty {
        None => DataType::TIMESTAMP,
        Some(DataType::Date) => DataType::TIMESTAMP,
        Some(ty) if ty.is_timestamp() || ty == DataType::Varchar => ty,
        Some(ty) => Err(SigError::arg(0, format!("argument 1 must be a TIMESTAMP or STRING, not {ty}")))?,
    };
    let mut tys = vec![first, pattern_arg(args, 1)?];
    if args.len() == 3 {
        tys.push(zone_arg(args, 2)?);
    }
    rules::typed(tys, DataType::Varchar)
}

fn convert_tz(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 3, 3)?;
    rules::typed(vec![rules::string(args, 0)?, zone_arg(args, 1)?, zone_arg(args, 2)?], DataType::Varchar)
}

/// `(seconds [, pattern], zone)`: the zone is the session's, appended by the binder.
fn from_unixtime(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 2, 3)?;
    let mut tys = vec![rules::integer(args, 0, DataType::BigInt)?];
    if args.len() == 3 {
        tys.push(pattern_arg(args, 1)?);
    }
    tys.push(zone_arg(args, args.len() - 1)?);
    rules::typed(tys, DataType::Varchar)
}

/// `(zone)` or `(string [, pattern], zone)`.
fn unix_timestamp(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 3)?;
    let mut tys = Vec::new();
    if args.len() >= 2 {
        tys.push(rules::string(args, 0)?);
    }
    if args.len() == 3 {
        tys.push(pattern_arg(args, 1)?);
    }
    tys.push(zone_arg(args, args.len() - 1)?);
    rules::typed(tys, DataType::BigInt)
}

fn to_date(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 2)?;
    let mut tys = vec![rules::string(args, 0)?];
    if args.len() == 2 {
        tys.push(pattern_arg(args, 1)?);
    }
    rules::typed(tys, DataType::Date)
}

fn to_timestamp(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 2)?;
    let mut tys = vec![rules::string(args, 0)?];
    if args.len() == 2 {
        tys.push(pattern_arg(args, 1)?);
    }
    rules::typed(tys, DataType::TIMESTAMP)
}

fn to_timestamp_ltz(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 3)?;
    match args[0].ty {
        Some(ty) if ty.is_numeric() => {
            rules::arity(args, 1, 2)?;
            let precision = match args.get(1) {
                None => 3,
                Some(ArgType { literal: Some(Datum::Int(p)), ty: Some(pt) }) if pt.is_integer() && (0..=9).contains(p) => *p as u8,
                Some(_) => return Err(SigError::arg(1, "the precision must be an integer literal from 0 to 9")),
            };
            let first = if ty.is_integer() { DataType::BigInt } else { DataType::Double };
            let mut tys = vec![first];
            if args.len() == 2 {
                tys.push(DataType::BigInt);
            }
            rules::typed(tys, DataType::TimestampLtz { precision: precision.max(3) })
        }
        _ => {
            let mut tys = vec![rules::string(args, 0)?];
            let mut precision = 3;
            if args.len() >= 2 {
                tys.push(pattern_arg(args, 1)?);
                if let Some(Datum::Str(p)) = args[1].literal
                    && let Ok(p) = DatePattern::compile(p)
                {
                    precision = p.fraction_digits().max(3);
                }
            }
            if args.len() == 3 {
                tys.push(zone_arg(args, 2)?);
            }
            rules::typed(tys, DataType::TimestampLtz { precision })
        }
    }
}

fn now(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 0, 0)?;
    rules::typed(vec![], DataType::TIMESTAMP_LTZ)
}

/// `(zone)`: LOCALTIMESTAMP (the zone appended by the binder).
fn clock_timestamp(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    rules::typed(vec![zone_arg(args, 0)?], DataType::TIMESTAMP)
}

/// `(zone)`: LOCALTIME, CURRENT_TIME.
fn clock_time(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    rules::typed(vec![zone_arg(args, 0)?], DataType::Time { precision: 0 })
}

/// `(zone)`: CURRENT_DATE.
fn clock_date(args: &[ArgType<'_>]) -> Result<Typed, SigError> {
    rules::arity(args, 1, 1)?;
    rules::typed(vec![zone_arg(args, 0)?], DataType::Date)
}

// ---------------------------------------------------------------------------------------------
// Time zones.

/// A resolved time zone, with a fast path for zones of one fixed offset (UTC above all).
#[derive(Clone, Debug)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    fixed: Option<i64>,
}

/// Resolves a zone name as Flink accepts them: an IANA name (`Europe/Berlin`), `UTC`, `Z`,
/// `GMT`, or a fixed offset (`+08:00`, `GMT+8`, `UTC-05:30`).
pub fn parse_zone(name: &str) -> Option<Zone> {
    let s = name.trim();
    let upper = s.to_ascii_uppercase();
    let rest = ["GMT", "UTC", "UT"].iter().find_map(|p| upper.strip_prefix(p)).unwrap_or(&upper);
    if rest.is_empty() || upper == "Z" {
        return Some(Zone { tz: jiff::tz::TimeZone::UTC, fixed: Some(0) });
    }
    if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let body = &rest[1..];
        let (h, m) = match body.split_once(':') {
            Some((h, m)) => (h, m),
            None if body.len() > 2 => body.split_at(body.len() - 2),
            None => (body, "0"),
        };
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        if h > 18 || m > 59 {
            return None;
        }
        let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
        let offset = jiff::tz::Offset::from_seconds(secs as i32).ok()?;
        return Some(Zone { tz: jiff::tz::TimeZone::fixed(offset), fixed: Some(secs) });
    }
    let tz = jiff::tz::TimeZone::get(s).ok()?;
    let fixed = tz.to_fixed_offset().ok().map(|o| o.seconds() as i64);
    Some(Zone { tz, fixed })
}

impl Zone {
    /// The zone's offset in seconds at the UTC instant `utc_secs`.
    #[inline]
    pub fn offset_at(&self, utc_secs: i64) -> i64 {
        if let Some(f) = self.fixed {
            return f;
        }
        match jiff::Timestamp::from_second(utc_secs) {
            Ok(ts) => self.tz.to_offset(ts).seconds() as i64,
            Err(_) => 0,
        }
    }

    /// The UTC instant (seconds) of the local date-time `local_secs` seconds after
    /// 1970-01-01 00:00:00: a time skipped by a DST gap moves forward, a repeated one takes the
    /// earlier offset (as Java's `LocalDateTime.atZone`).
    pub fn local_to_utc(&self, local_secs: i64) -> Option<i64> {
        if let Some(f) = self.fixed {
            return local_secs.checked_sub(f);
        }
        let (y, m, d) = civil_from_days(local_secs.div_euclid(86_400));
        let tod = local_secs.rem_euclid(86_400);
        let dt = jiff::civil::DateTime::new(
            i16::try_from(y).ok()?,
            m as i8,
            d as i8,
            (tod / 3600) as i8,
            (tod / 60 % 60) as i8,
            (tod % 60) as i8,
            0,
        )
        .ok()?;
        self.tz.to_ambiguous_timestamp(dt).compatible().ok().map(|ts| ts.as_second())
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers.

/// `days` plus `months` calendar months, the day clamped to the end of a shorter month.
pub fn add_months(days: i64, months: i64) -> Option<i64> {
    let (y, m, d) = civil_from_days(days);
    let total = (y.checked_mul(12)?).checked_add(m as i64 - 1)?.checked_add(months)?;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    if !(-1_000_000..=1_000_000).contains(&ny) {
        return None;
    }
    Some(days_from_civil(ny, nm, d.min(days_in_month(ny, nm))))
}

/// Whole months from day `d1` to day `d0` (`d0 - d1`), as Calcite counts them: the largest `m`
/// with `add_months(d1, m) <= d0`.
fn subtract_months(d0: i64, d1: i64) -> i64 {
    if d0 < d1 {
        return -subtract_months(d1, d0);
    }
    // One less than the difference of the month numbers never overshoots, and the answer is
    // that or one more: the loop runs at most twice whatever the distance.
    let ((y0, m0, _), (y1, m1, _)) = (civil_from_days(d0), civil_from_days(d1));
    let mut m = ((y0 - y1) * 12 + m0 as i64 - m1 as i64 - 1).max(0);
    loop {
        match (add_months(d1, m), add_months(d1, m + 1)) {
            (Some(a), _) if a >= d0 => return m,
            (_, Some(b)) if b > d0 => return m,
            (Some(_), Some(_)) => m += 1,
            _ => return m,
        }
    }
}

/// A temporal value in storage form, split into (days since 1970-01-01, nanoseconds of the day).
#[inline]
fn split(ty: DataType, v: i64) -> (i64, i64) {
    match ty {
        DataType::Date => (v.clamp(-MAX_DAYS, MAX_DAYS), 0),
        DataType::Time { .. } => (0, v.rem_euclid(NANOS_PER_DAY)),
        _ => {
            let unit = timestamp_unit(ty.time_precision().unwrap_or(3));
            let secs = v.div_euclid(unit);
            (secs.div_euclid(86_400), secs.rem_euclid(86_400) * NANOS_PER_SEC + v.rem_euclid(unit) * (NANOS_PER_SEC / unit))
        }
    }
}

/// The storage form of (days, nanoseconds of the day) for `ty`; `None` when out of range.
#[inline]
fn join(ty: DataType, days: i64, nanos: i64) -> Option<i64> {
    match ty {
        DataType::Date => Some(days),
        DataType::Time { .. } => Some(nanos.rem_euclid(NANOS_PER_DAY)),
        _ => {
            let unit = timestamp_unit(ty.time_precision().unwrap_or(3));
            let secs = days.checked_mul(86_400)?.checked_add(nanos.div_euclid(NANOS_PER_SEC))?;
            secs.checked_mul(unit)?.checked_add(nanos.rem_euclid(NANOS_PER_SEC) / (NANOS_PER_SEC / unit))
        }
    }
}

/// The civil date of the last day asked for: rows of a stream mostly share a day, and the
/// calendar arithmetic is most of the cost of a date field.
struct DayCache {
    days: i64,
    ymd: (i64, u32, u32),
}

impl DayCache {
    fn new() -> Self {
        DayCache { days: 0, ymd: (1970, 1, 1) }
    }
    #[inline]
    fn civil(&mut self, days: i64) -> (i64, u32, u32) {
        if days != self.days {
            self.days = days;
            self.ymd = civil_from_days(days);
        }
        self.ymd
    }
}

/// EXTRACT of `unit` from (days, nanos of the day).
#[inline]
fn extract(unit: TimeUnit, days: i64, nanos: i64, cache: &mut DayCache) -> i64 {
    match unit {
        TimeUnit::Hour => nanos / 3_600_000_000_000,
        TimeUnit::Minute => nanos / 60_000_000_000 % 60,
        TimeUnit::Second => nanos / NANOS_PER_SEC % 60,
        TimeUnit::Millisecond => nanos % 60_000_000_000 / 1_000_000,
        TimeUnit::Microsecond => nanos % 60_000_000_000 / 1_000,
        TimeUnit::Nanosecond => nanos % 60_000_000_000,
        TimeUnit::Epoch => days.saturating_mul(86_400).saturating_add(nanos / NANOS_PER_SEC),
        TimeUnit::DayOfWeek => (days + 4).rem_euclid(7) + 1,
        TimeUnit::IsoDayOfWeek => iso_day_of_week(days) as i64,
        TimeUnit::Week => iso_week(days).1 as i64,
        TimeUnit::IsoYear => iso_week(days).0,
        _ => {
            let (y, m, d) = cache.civil(days);
            match unit {
                TimeUnit::Millennium => (y + 999).div_euclid(1000),
                TimeUnit::Century => (y + 99).div_euclid(100),
                TimeUnit::Decade => y.div_euclid(10),
                TimeUnit::Year => y,
                TimeUnit::Quarter => (m as i64 - 1) / 3 + 1,
                TimeUnit::Month => m as i64,
                TimeUnit::Day => d as i64,
                _ => days - days_from_civil(y, 1, 1) + 1,
            }
        }
    }
}

/// FLOOR (or CEIL) of (days, nanos) to `unit`; `None` when the unit does not apply.
fn round_to(unit: TimeUnit, days: i64, nanos: i64, ceil: bool) -> Option<(i64, i64)> {
    let floor = match unit {
        _ if unit.months().is_some() => {
            let (y, m, _) = civil_from_days(days);
            let months = unit.months()?;
            let index = (y * 12 + m as i64 - 1).div_euclid(months) * months;
            let mut start = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
            if matches!(unit, TimeUnit::Millennium | TimeUnit::Century | TimeUnit::Decade) {
                // Flink's decades start at year 0 mod 10, centuries and millennia at year 1.
                let span = months / 12;
                let offset = if unit == TimeUnit::Decade { 0 } else { 1 };
                start = ((y - offset).div_euclid(span) * span + offset, 1);
            }
            let f = (days_from_civil(start.0, start.1, 1), 0);
            if ceil && f != (days, nanos) {
                return Some((add_months(f.0, months)?, 0));
            }
            return Some(f);
        }
        TimeUnit::Week => (days - (days + 4).rem_euclid(7), 0),
        TimeUnit::Day => (days, 0),
        _ => {
            let step = unit.fixed_nanos()?;
            (days, nanos - nanos.rem_euclid(step))
        }
    };
    if ceil && floor != (days, nanos) {
        let step = unit.fixed_nanos()?;
        let total = floor.1 + step;
        return Some((floor.0 + total.div_euclid(NANOS_PER_DAY), total.rem_euclid(NANOS_PER_DAY)));
    }
    Some(floor)
}

// ---------------------------------------------------------------------------------------------
// Kernels.

/// What a call builds once from its literal arguments.
struct Prepared {
    /// The literal date pattern, if the call has one.
    pattern: Option<DatePattern>,
    /// The literal time zones, by argument index.
    zones: Vec<Option<Zone>>,
}

/// The literal pattern (argument `pattern_at`) and zones of a call, built on first use.
fn prepared<'c>(cache: &'c CallCache, args: &[Arg<'_>], pattern_at: Option<usize>) -> Option<&'c Prepared> {
    cache.get_or_init(|| Prepared {
        pattern: pattern_at.and_then(|i| match args.get(i)?.scalar()? {
            Datum::Str(p) => DatePattern::compile(p).ok(),
            _ => None,
        }),
        zones: args
            .iter()
            .map(|a| match (a.ty(), a.scalar()) {
                (DataType::Varchar, Some(Datum::Str(z))) => parse_zone(z),
                _ => None,
            })
            .collect(),
    })
}

fn bad(func: &'static str, detail: impl Into<String>) -> EvalError {
    EvalError::InvalidArgument { func, detail: detail.into() }
}

/// A row's time zone: the literal one, else the row's text resolved (the last one kept).
struct ZoneAt<'p> {
    literal: Option<&'p Zone>,
    last: Option<(String, Option<Zone>)>,
}

impl<'p> ZoneAt<'p> {
    fn new(prepared: Option<&'p Prepared>, i: usize) -> Self {
        ZoneAt { literal: prepared.and_then(|p| p.zones.get(i)?.as_ref()), last: None }
    }
    fn get(&mut self, arg: &Arg<'_>, row: usize) -> Result<Option<&Zone>, EvalError> {
        if let Some(z) = self.literal {
            return Ok(Some(z));
        }
        let Some(name) = arg.str(row) else { return Ok(None) };
        if self.last.as_ref().is_none_or(|(n, _)| n != name) {
            self.last = Some((name.to_string(), parse_zone(name)));
        }
        match &self.last {
            Some((_, Some(z))) => Ok(Some(z)),
            _ => Err(bad("time zone", format!("unknown time zone '{name}'"))),
        }
    }
}

/// A row's date pattern: the literal one, else the row's text compiled (the last one kept).
struct PatternAt<'p> {
    literal: Option<&'p DatePattern>,
    last: Option<(String, DatePattern)>,
}

impl<'p> PatternAt<'p> {
    fn new(prepared: Option<&'p Prepared>) -> Self {
        PatternAt { literal: prepared.and_then(|p| p.pattern.as_ref()), last: None }
    }
    fn get(
        &mut self,
        arg: Option<&Arg<'_>>,
        row: usize,
        default: &'p DatePattern,
        func: &'static str,
    ) -> Result<Option<&DatePattern>, EvalError> {
        let Some(arg) = arg else { return Ok(Some(default)) };
        if let Some(p) = self.literal {
            return Ok(Some(p));
        }
        let Some(text) = arg.str(row) else { return Ok(None) };
        if self.last.as_ref().is_none_or(|(t, _)| t != text) {
            let p = DatePattern::compile(text).map_err(|e| bad(func, e))?;
            self.last = Some((text.to_string(), p));
        }
        Ok(self.last.as_ref().map(|(_, p)| p))
    }
}

/// One of the fixed default patterns (they always compile; the empty pattern stands in otherwise).
fn default_pattern(text: &'static str) -> DatePattern {
    DatePattern::compile(text).unwrap_or_default()
}

/// Computes `f` over `n` rows of `args` as a column of type `ty`.
pub fn eval(f: TemporalFunc, args: &[Arg<'_>], ty: DataType, n: usize, cache: &CallCache) -> Result<Column, EvalError> {
    let mut out = ColumnBuilder::new(ty, n);
    match f {
        TemporalFunc::Extract(unit) => {
            // A column is mapped value by value into a new one with the same NULLs: no per-row
            // branch on NULL or on the argument's kind (a NULL row's stored 0 maps to junk that
            // its validity hides).
            if let Arg::Col(c) = &args[0]
                && let ColumnData::Int(v) | ColumnData::Timestamp(v) = &c.data
            {
                let aty = c.ty;
                let values: Vec<i64> = if unit == TimeUnit::Hour && timestamp_ms(aty) {
                    v.iter().map(|x| x.div_euclid(3_600_000).rem_euclid(24)).collect()
                } else {
                    let mut days = DayCache::new();
                    v.iter()
                        .map(|&x| {
                            let (d, ns) = split(aty, x);
                            extract(unit, d, ns, &mut days)
                        })
                        .collect()
                };
                return Ok(Column::new(ty, ColumnData::Int(values), c.validity.clone()));
            }
            let a = &args[0];
            let aty = a.ty();
            let mut days = DayCache::new();
            // EXTRACT(HOUR ...) of a millisecond timestamp is pure arithmetic on the ticks.
            if unit == TimeUnit::Hour && timestamp_ms(aty) {
                for i in 0..n {
                    out.push_opt_i64(a.i64(i).map(|v| v.div_euclid(3_600_000).rem_euclid(24)));
                }
            } else {
                for i in 0..n {
                    match a.i64(i) {
                        Some(v) => {
                            let (d, ns) = split(aty, v);
                            out.push_i64(extract(unit, d, ns, &mut days))
                        }
                        None => out.push_null(),
                    }
                }
            }
        }
        TemporalFunc::Floor(unit) | TemporalFunc::Ceil(unit) => {
            let a = &args[0];
            let aty = a.ty();
            let ceil = matches!(f, TemporalFunc::Ceil(_));
            for i in 0..n {
                let Some(v) = a.i64(i) else {
                    out.push_null();
                    continue;
                };
                let (d, ns) = split(aty, v);
                let (rd, rns) =
                    round_to(unit, d, ns, ceil).ok_or_else(|| bad(f.name(), format!("cannot round {aty} to {}", unit.name())))?;
                let r = if aty == DataType::Date && unit.is_time_of_day() { Some(v) } else { join(aty, rd, rns) };
                out.push_i64(r.ok_or_else(|| EvalError::Overflow { ty: aty, op: f.name().into() })?);
            }
        }
        TemporalFunc::DateFormat => date_format_kernel(args, n, cache, &mut out)?,
        TemporalFunc::TimestampAdd(unit) => {
            let (amount, tp) = (&args[0], &args[1]);
            let tty = tp.ty();
            for i in 0..n {
                let (Some(k), Some(v)) = (amount.i64(i), tp.i64(i)) else {
                    out.push_null();
                    continue;
                };
                let r = add_unit(tty, v, unit, k).ok_or_else(|| EvalError::Overflow { ty: tty, op: "TIMESTAMPADD".into() })?;
                out.push_i64(r);
            }
        }
        TemporalFunc::TimestampDiff(unit) => {
            let (a, b) = (&args[0], &args[1]);
            let aty = a.ty();
            for i in 0..n {
                let (Some(x), Some(y)) = (a.i64(i), b.i64(i)) else {
                    out.push_null();
                    continue;
                };
                let (d1, n1) = split(aty, x);
                let (d2, n2) = split(aty, y);
                let diff = match unit.months() {
                    Some(per) => {
                        // Calcite's rule: whole months from t1 to t2, one fewer if t2's time of
                        // day has not reached t1's on the day the months land on.
                        let mut m = subtract_months(d2, d1);
                        if add_months(d1, m) == Some(d2) {
                            if m > 0 && n2 < n1 {
                                m -= 1;
                            } else if m < 0 && n2 > n1 {
                                m += 1;
                            }
                        }
                        m / per
                    }
                    None => {
                        let step = unit.fixed_nanos().ok_or_else(|| bad("TIMESTAMPDIFF", format!("unit {}", unit.name())))?;
                        let total = (d2 as i128 - d1 as i128) * NANOS_PER_DAY as i128 + (n2 - n1) as i128;
                        (total / step as i128) as i64
                    }
                };
                let diff = i32::try_from(diff).map_err(|_| EvalError::Overflow { ty: DataType::Int, op: "TIMESTAMPDIFF".into() })?;
                out.push_i64(diff as i64);
            }
        }
        TemporalFunc::AddInterval { subtract } => {
            let (tp, iv) = (&args[0], &args[1]);
            let (tty, ity) = (tp.ty(), iv.ty());
            for i in 0..n {
                let (Some(v), Some(k)) = (tp.i64(i), iv.i64(i)) else {
                    out.push_null();
                    continue;
                };
                let k = if subtract { k.checked_neg() } else { Some(k) };
                let r = k.and_then(|k| add_interval(tty, v, ity, k)).ok_or_else(|| EvalError::Overflow { ty: tty, op: f.name().into() })?;
                out.push_i64(r);
            }
        }
        TemporalFunc::ConvertTz => {
            let prep = prepared(cache, args, None);
            let (mut from, mut to) = (ZoneAt::new(prep, 1), ZoneAt::new(prep, 2));
            let mut text = Vec::with_capacity(19);
            for i in 0..n {
                let (Some(s), Some(fz), Some(tz)) = (args[0].str(i), from.get(&args[1], i)?.cloned(), to.get(&args[2], i)?) else {
                    out.push_null();
                    continue;
                };
                let Some(local_ms) = crate::timestamp::parse(s.as_bytes()) else {
                    out.push_null();
                    continue;
                };
                let secs = local_ms.div_euclid(1000);
                match fz.local_to_utc(secs) {
                    Some(utc) => {
                        // TIMESTAMP(0) ticks are milliseconds, like every precision up to 3.
                        let local_ms = (utc + tz.offset_at(utc)).saturating_mul(1000);
                        text.clear();
                        crate::timestamp::format_ticks_into(local_ms, 0, &mut text);
                        out.push_bytes(&text);
                    }
                    None => out.push_null(),
                }
            }
        }
        TemporalFunc::FromUnixtime => {
            let prep = prepared(cache, args, if args.len() == 3 { Some(1) } else { None });
            let default = default_pattern("yyyy-MM-dd HH:mm:ss");
            let mut patterns = PatternAt::new(prep);
            let zi = args.len() - 1;
            let mut zone = ZoneAt::new(prep, zi);
            let mut text = Vec::new();
            for i in 0..n {
                let Some(secs) = args[0].i64(i) else {
                    out.push_null();
                    continue;
                };
                let (Some(p), Some(z)) =
                    (patterns.get((args.len() == 3).then(|| &args[1]), i, &default, "FROM_UNIXTIME")?, zone.get(&args[zi], i)?)
                else {
                    out.push_null();
                    continue;
                };
                let offset = z.offset_at(secs);
                let Some(local) = secs.checked_add(offset) else {
                    out.push_null();
                    continue;
                };
                text.clear();
                p.format_into(
                    &DateParts::new(local.div_euclid(86_400), local.rem_euclid(86_400) * NANOS_PER_SEC, offset as i32),
                    &mut text,
                );
                out.push_bytes(&text);
            }
        }
        TemporalFunc::UnixTimestamp => {
            let zi = args.len() - 1;
            if args.len() == 1 {
                let now = crate::expr::wall_clock_ms().div_euclid(1000);
                for _ in 0..n {
                    out.push_i64(now);
                }
                return Ok(out.finish());
            }
            let prep = prepared(cache, args, if args.len() == 3 { Some(1) } else { None });
            let default = default_pattern("yyyy-MM-dd HH:mm:ss");
            let mut patterns = PatternAt::new(prep);
            let mut zone = ZoneAt::new(prep, zi);
            for i in 0..n {
                let (Some(s), Some(p), Some(z)) = (
                    args[0].str(i),
                    patterns.get((args.len() == 3).then(|| &args[1]), i, &default, "UNIX_TIMESTAMP")?,
                    zone.get(&args[zi], i)?,
                ) else {
                    out.push_null();
                    continue;
                };
                // Flink gives Long.MIN_VALUE, not NULL, for text that does not parse.
                let secs = p.parse(s).and_then(|parsed| {
                    let local = parsed.days.checked_mul(86_400)?.checked_add(parsed.nanos_of_day / NANOS_PER_SEC)?;
                    match parsed.offset_secs {
                        Some(o) => local.checked_sub(o as i64),
                        None => z.local_to_utc(local),
                    }
                });
                out.push_i64(secs.unwrap_or(i64::MIN));
            }
        }
        TemporalFunc::ToDate => {
            let prep = prepared(cache, args, if args.len() == 2 { Some(1) } else { None });
            let default = default_pattern("yyyy-MM-dd");
            let mut patterns = PatternAt::new(prep);
            for i in 0..n {
                let (Some(s), Some(p)) = (args[0].str(i), patterns.get(args.get(1), i, &default, "TO_DATE")?) else {
                    out.push_null();
                    continue;
                };
                out.push_opt_i64(p.parse(s).map(|parsed| parsed.days));
            }
        }
        TemporalFunc::ToTimestamp => {
            let prep = prepared(cache, args, if args.len() == 2 { Some(1) } else { None });
            let default = default_pattern("yyyy-MM-dd HH:mm:ss");
            let mut patterns = PatternAt::new(prep);
            for i in 0..n {
                let Some(s) = args[0].str(i) else {
                    out.push_null();
                    continue;
                };
                if args.len() == 1 {
                    // Without a pattern Flink reads `yyyy-MM-dd HH:mm:ss[.fff]` and a bare date.
                    out.push_opt_i64(crate::timestamp::parse_ticks(s.as_bytes(), 3));
                    continue;
                }
                let Some(p) = patterns.get(args.get(1), i, &default, "TO_TIMESTAMP")? else {
                    out.push_null();
                    continue;
                };
                out.push_opt_i64(p.parse(s).and_then(|parsed| parsed.local_ticks(1000)));
            }
        }
        TemporalFunc::ToTimestampLtz => {
            let unit = timestamp_unit(ty.time_precision().unwrap_or(3));
            let a = &args[0];
            if a.ty().is_numeric() {
                let precision = match args.get(1).and_then(|p| p.i64(0)) {
                    Some(p) => p.clamp(0, 9) as u32,
                    None => 3,
                };
                // Ticks of 10^-precision s to ticks of the result's unit (never finer than it).
                let scale = unit / 10i64.pow(precision);
                for i in 0..n {
                    let r = match a.ty() {
                        DataType::Double => a.f64(i).map(|x| {
                            let t = (x * scale as f64).floor();
                            if t.is_finite() && t.abs() < 9.2e18 { Some(t as i64) } else { None }
                        }),
                        _ => a.i64(i).map(|x| x.checked_mul(scale)),
                    };
                    match r {
                        None => out.push_null(),
                        Some(Some(t)) => out.push_i64(t),
                        Some(None) => return Err(EvalError::Overflow { ty, op: "TO_TIMESTAMP_LTZ".into() }),
                    }
                }
                return Ok(out.finish());
            }
            let prep = prepared(cache, args, if args.len() >= 2 { Some(1) } else { None });
            let default = default_pattern("yyyy-MM-dd HH:mm:ss.SSS");
            let utc = parse_zone("UTC");
            let mut patterns = PatternAt::new(prep);
            let mut zone = ZoneAt::new(prep, 2);
            for i in 0..n {
                let Some(s) = a.str(i) else {
                    out.push_null();
                    continue;
                };
                let z = match args.get(2) {
                    Some(za) => zone.get(za, i)?,
                    None => utc.as_ref(),
                };
                let parsed = if args.len() == 1 {
                    crate::timestamp::parse_ticks(s.as_bytes(), 9).map(|t| crate::datefmt::Parsed {
                        days: t.div_euclid(NANOS_PER_DAY),
                        nanos_of_day: t.rem_euclid(NANOS_PER_DAY),
                        offset_secs: None,
                    })
                } else {
                    match patterns.get(args.get(1), i, &default, "TO_TIMESTAMP_LTZ")? {
                        Some(p) => p.parse(s),
                        None => None,
                    }
                };
                let (Some(parsed), Some(z)) = (parsed, z) else {
                    out.push_null();
                    continue;
                };
                let local = parsed.days * 86_400 + parsed.nanos_of_day / NANOS_PER_SEC;
                let utc_secs = match parsed.offset_secs {
                    Some(o) => Some(local - o as i64),
                    None => z.local_to_utc(local),
                };
                out.push_opt_i64(
                    utc_secs.and_then(|s| s.checked_mul(unit)?.checked_add(parsed.nanos_of_day % NANOS_PER_SEC / (NANOS_PER_SEC / unit))),
                );
            }
        }
        TemporalFunc::ToLocal | TemporalFunc::FromLocal => {
            let prep = prepared(cache, args, None);
            let mut zone = ZoneAt::new(prep, 1);
            let unit = timestamp_unit(args[0].ty().time_precision().unwrap_or(3));
            let to_local = f == TemporalFunc::ToLocal;
            for i in 0..n {
                let (Some(v), Some(z)) = (args[0].i64(i), zone.get(&args[1], i)?) else {
                    out.push_null();
                    continue;
                };
                let secs = v.div_euclid(unit);
                let r = if to_local {
                    v.checked_add(z.offset_at(secs) * unit)
                } else {
                    z.local_to_utc(secs).and_then(|u| u.checked_mul(unit)).map(|u| u + v.rem_euclid(unit))
                };
                out.push_i64(r.ok_or_else(|| EvalError::Overflow { ty, op: "time zone conversion".into() })?);
            }
        }
        TemporalFunc::Now => {
            let ms = crate::expr::wall_clock_ms();
            for _ in 0..n {
                out.push_i64(ms);
            }
        }
        TemporalFunc::LocalTimestamp | TemporalFunc::LocalTime | TemporalFunc::CurrentDate => {
            let prep = prepared(cache, args, None);
            let ms = crate::expr::wall_clock_ms();
            let z = ZoneAt::new(prep, 0).get(&args[0], 0)?.map_or(0, |z| z.offset_at(ms.div_euclid(1000)));
            let local = ms + z * 1000;
            let v = match f {
                TemporalFunc::LocalTimestamp => local,
                TemporalFunc::LocalTime => local.rem_euclid(86_400_000) / 1000 * NANOS_PER_SEC,
                _ => local.div_euclid(86_400_000),
            };
            for _ in 0..n {
                out.push_i64(v);
            }
        }
        TemporalFunc::Overlaps => {
            for i in 0..n {
                let (Some(s1), Some(e1), Some(s2), Some(e2)) = (args[0].i64(i), args[1].i64(i), args[2].i64(i), args[3].i64(i)) else {
                    out.push_null();
                    continue;
                };
                let (s1, e1) = (s1.min(e1), s1.max(e1));
                let (s2, e2) = (s2.min(e2), s2.max(e2));
                out.push_bool(s1 <= e2 && s2 <= e1);
            }
        }
    }
    Ok(out.finish())
}

/// Whether `ty` is a timestamp stored in milliseconds.
fn timestamp_ms(ty: DataType) -> bool {
    ty.is_timestamp() && timestamp_unit(ty.time_precision().unwrap_or(3)) == 1000
}

/// `v` (of type `ty`) plus `k` of `unit`.
pub fn add_unit(ty: DataType, v: i64, unit: TimeUnit, k: i64) -> Option<i64> {
    if let Some(per) = unit.months() {
        let (d, ns) = split(ty, v);
        return match ty {
            DataType::Time { .. } => Some(v),
            _ => join(ty, add_months(d, k.checked_mul(per)?)?, ns),
        };
    }
    let step = unit.fixed_nanos()?;
    match ty {
        DataType::Date if step >= NANOS_PER_DAY => v.checked_add(k.checked_mul(step / NANOS_PER_DAY)?),
        DataType::Date => Some(v),
        DataType::Time { .. } => Some((v as i128 + k as i128 * step as i128).rem_euclid(NANOS_PER_DAY as i128) as i64),
        _ => {
            let unit_ticks = timestamp_unit(ty.time_precision().unwrap_or(3));
            let delta = k as i128 * step as i128 / (NANOS_PER_SEC / unit_ticks) as i128;
            i64::try_from(v as i128 + delta).ok()
        }
    }
}

/// `v` (of type `ty`) plus `k` of an interval of type `ity` (milliseconds or months).
pub fn add_interval(ty: DataType, v: i64, ity: DataType, k: i64) -> Option<i64> {
    match ity {
        DataType::IntervalYearMonth => add_unit(ty, v, TimeUnit::Month, k),
        _ => match ty {
            // DATE + a day-time interval moves by whole days (toward zero), as Calcite does.
            DataType::Date => v.checked_add(k / 86_400_000),
            _ => add_unit(ty, v, TimeUnit::Millisecond, k),
        },
    }
}

fn date_format_kernel(args: &[Arg<'_>], n: usize, cache: &CallCache, out: &mut ColumnBuilder) -> Result<(), EvalError> {
    let prep = prepared(cache, args, Some(1));
    let empty = default_pattern("");
    let mut patterns = PatternAt::new(prep);
    let mut zone = ZoneAt::new(prep, 2);
    let a = &args[0];
    let aty = a.ty();
    let mut parts = DateParts::new(0, 0, 0);
    // The date part of the text (`2024-02-29 ` of `yyyy-MM-dd HH:mm`) is written once per day
    // seen, not once per row: rows of a stream mostly share their day.
    let mut prefix: Vec<u8> = Vec::new();
    // Only a literal pattern keeps its prefix: a pattern column may change from row to row.
    let literal_pattern = patterns.literal.is_some();
    let mut prefix_key: Option<(i64, i32)> = None;
    let mut prefix_len = 0;
    for i in 0..n {
        let Some(p) = patterns.get(Some(&args[1]), i, &empty, "DATE_FORMAT")? else {
            out.push_null();
            continue;
        };
        let (ticks, ty) = if aty == DataType::Varchar {
            match a.str(i).and_then(|s| crate::timestamp::parse_ticks(s.as_bytes(), 9)) {
                Some(t) => (t, DataType::Timestamp { precision: 9 }),
                None => {
                    out.push_null();
                    continue;
                }
            }
        } else {
            match a.i64(i) {
                Some(t) => (t, aty),
                None => {
                    out.push_null();
                    continue;
                }
            }
        };
        // A TIMESTAMP_LTZ is shown in the zone given (the session's), with its offset.
        let (ticks, offset) = match (args.get(2), matches!(aty, DataType::TimestampLtz { .. })) {
            (Some(za), true) => {
                let unit = timestamp_unit(aty.time_precision().unwrap_or(3));
                let Some(z) = zone.get(za, i)? else {
                    out.push_null();
                    continue;
                };
                let off = z.offset_at(ticks.div_euclid(unit));
                (ticks + off * unit, off as i32)
            }
            _ => (ticks, 0),
        };
        let (days, nanos) = split(ty, ticks);
        if days != parts.days || i == 0 {
            parts = DateParts::new(days, nanos, offset);
        } else {
            parts.nanos_of_day = nanos;
            parts.offset_secs = offset;
        }
        let key = (days, offset);
        if prefix_key != Some(key) || !literal_pattern {
            prefix_len = p.date_prefix_len();
            prefix.clear();
            p.format_prefix_into(prefix_len, &parts, &mut prefix);
            prefix_key = Some(key);
        }
        let Some(buf) = out.str_buffer() else { return Err(bad("DATE_FORMAT", "result is not text")) };
        buf.extend_from_slice(&prefix);
        p.format_rest_into(prefix_len, &parts, buf);
        out.end_str_row();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_rounding() {
        let d = |y, m, dd| days_from_civil(y, m, dd);
        assert_eq!(add_months(d(2024, 1, 31), 1), Some(d(2024, 2, 29)));
        assert_eq!(add_months(d(2024, 2, 29), 12), Some(d(2025, 2, 28)));
        assert_eq!(add_months(d(2024, 3, 15), -3), Some(d(2023, 12, 15)));
        assert_eq!(subtract_months(d(2024, 2, 29), d(2024, 1, 31)), 1);
        assert_eq!(subtract_months(d(2024, 1, 30), d(2024, 2, 29)), -1);
        assert_eq!(subtract_months(d(2024, 3, 30), d(2024, 1, 31)), 1);
        assert_eq!(subtract_months(d(2024, 3, 31), d(2024, 1, 31)), 2);
        assert_eq!(subtract_months(d(900_000, 1, 1), d(-900_000, 1, 1)), 21_600_000);
        // 2018-03-20 is a Tuesday: its week starts on Sunday 2018-03-18.
        assert_eq!(round_to(TimeUnit::Week, d(2018, 3, 20), 5, false), Some((d(2018, 3, 18), 0)));
        assert_eq!(round_to(TimeUnit::Month, d(2024, 12, 2), 0, true), Some((d(2025, 1, 1), 0)));
        assert_eq!(round_to(TimeUnit::Month, d(2024, 12, 1), 0, true), Some((d(2024, 12, 1), 0)));
        assert_eq!(round_to(TimeUnit::Hour, 0, NANOS_PER_DAY - 1, true), Some((1, 0)));
        let mut c = DayCache::new();
        assert_eq!(extract(TimeUnit::DayOfWeek, d(2024, 1, 2), 0, &mut c), 3);
        assert_eq!(extract(TimeUnit::DayOfYear, d(2024, 12, 31), 0, &mut c), 366);
        assert_eq!(extract(TimeUnit::Millisecond, 0, 12_345_000_000, &mut c), 12_345);
    }

    /// Every kernel over the extreme values of every temporal type: an error is fine, a panic
    /// (overflow, an index out of range) is not.
    #[test]
    fn extreme_values_never_panic() {
        let values = vec![i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        let n = values.len();
        let types = [
            DataType::Date,
            DataType::Time { precision: 0 },
            DataType::Time { precision: 9 },
            DataType::Timestamp { precision: 0 },
            DataType::TIMESTAMP,
            DataType::Timestamp { precision: 6 },
            DataType::Timestamp { precision: 9 },
            DataType::TIMESTAMP_LTZ,
        ];
        let units = [
            TimeUnit::Millennium,
            TimeUnit::Century,
            TimeUnit::Decade,
            TimeUnit::Year,
            TimeUnit::Quarter,
            TimeUnit::Month,
            TimeUnit::Week,
            TimeUnit::Day,
            TimeUnit::Hour,
            TimeUnit::Minute,
            TimeUnit::Second,
            TimeUnit::Millisecond,
            TimeUnit::Microsecond,
            TimeUnit::Nanosecond,
            TimeUnit::DayOfYear,
            TimeUnit::DayOfWeek,
            TimeUnit::IsoDayOfWeek,
            TimeUnit::IsoYear,
            TimeUnit::Epoch,
        ];
        let zone = Datum::Str("Europe/Berlin".into());
        let pattern = Datum::Str("G yyyy-MM-dd HH:mm:ss.SSSSSSSSS EEEE D w a h k K Z XXX z".into());
        let bigint = Column::new(DataType::BigInt, ColumnData::Int(values.clone()), None);
        let text = Column::from_datums(DataType::Varchar, &values.iter().map(|v| Datum::Str(v.to_string())).collect::<Vec<_>>());
        for ty in types {
            let data = if ty.is_timestamp() { ColumnData::Timestamp(values.clone()) } else { ColumnData::Int(values.clone()) };
            let col = Arg::Col(Column::new(ty, data, None));
            let mut calls: Vec<(TemporalFunc, Vec<Arg<'_>>, DataType)> = Vec::new();
            for u in units {
                calls.push((TemporalFunc::Extract(u), vec![col.clone()], DataType::BigInt));
                calls.push((TemporalFunc::Floor(u), vec![col.clone()], ty));
                calls.push((TemporalFunc::Ceil(u), vec![col.clone()], ty));
                calls.push((TemporalFunc::TimestampAdd(u), vec![Arg::Col(bigint.clone()), col.clone()], ty));
                calls.push((TemporalFunc::TimestampDiff(u), vec![col.clone(), col.clone()], DataType::Int));
            }
            for ity in [DataType::IntervalDayTime, DataType::IntervalYearMonth] {
                let iv = Arg::Col(Column::new(ity, ColumnData::Int(values.clone()), None));
                calls.push((TemporalFunc::AddInterval { subtract: true }, vec![col.clone(), iv], ty));
            }
            calls.push((TemporalFunc::ToLocal, vec![col.clone(), Arg::Scalar(&zone, DataType::Varchar)], ty));
            calls.push((TemporalFunc::FromLocal, vec![col.clone(), Arg::Scalar(&zone, DataType::Varchar)], ty));
            calls.push((
                TemporalFunc::DateFormat,
                vec![col.clone(), Arg::Scalar(&pattern, DataType::Varchar), Arg::Scalar(&zone, DataType::Varchar)],
                DataType::Varchar,
            ));
            calls.push((TemporalFunc::Overlaps, vec![col.clone(), col.clone(), col.clone(), col.clone()], DataType::Boolean));
            for (f, args, out_ty) in calls {
                if let Ok(c) = eval(f, &args, out_ty, n, &CallCache::default()) {
                    assert_eq!(c.len(), n, "{f:?} on {ty}");
                }
            }
        }
        for (f, args) in [
            (
                TemporalFunc::FromUnixtime,
                vec![Arg::Col(bigint.clone()), Arg::Scalar(&pattern, DataType::Varchar), Arg::Scalar(&zone, DataType::Varchar)],
            ),
            (TemporalFunc::UnixTimestamp, vec![Arg::Col(text.clone()), Arg::Scalar(&zone, DataType::Varchar)]),
            (TemporalFunc::ToTimestampLtz, vec![Arg::Col(bigint.clone()), Arg::Scalar(&Datum::Int(0), DataType::BigInt)]),
            (TemporalFunc::ToTimestamp, vec![Arg::Col(text.clone()), Arg::Scalar(&pattern, DataType::Varchar)]),
            (TemporalFunc::ToDate, vec![Arg::Col(text.clone()), Arg::Col(text.clone())]),
        ] {
            let _ = eval(f, &args, DataType::TIMESTAMP_LTZ, n, &CallCache::default());
        }
    }

    #[test]
    fn zones() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        // 2024-03-31 02:30 does not exist in Berlin: it moves forward to 03:30 (01:30 UTC).
        let local = days_from_civil(2024, 3, 31) * 86_400 + 2 * 3600 + 1800;
        assert_eq!(berlin.local_to_utc(local), Some(local - 3600));
        assert_eq!(parse_zone("GMT+08:00").unwrap().fixed, Some(8 * 3600));
        assert_eq!(parse_zone("-0530").unwrap().fixed, Some(-(5 * 3600 + 1800)));
        assert!(parse_zone("Mars/Base").is_none());
    }
}
