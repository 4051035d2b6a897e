//! Event time: which windows a row belongs to, and the watermark a source derives from its rows.
//!
//! All times are epoch milliseconds (`TIMESTAMP(3)`). Windows are half-open, `[start, end)`, and
//! aligned to the epoch, as Flink and DuckDB's `time_bucket` align them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How rows are assigned to windows (the window table functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WindowAssigner {
    /// `TUMBLE(..., size)`: each row is in exactly one window.
    Tumble {
        /// Window length in milliseconds, positive.
        size: i64,
    },
    /// `HOP(..., slide, size)`: each row is in `size / slide` windows, one starting every `slide`.
    Hop {
        /// Milliseconds between window starts, positive.
        slide: i64,
        /// Window length in milliseconds, positive; the binder requires a multiple of `slide`.
        size: i64,
    },
    /// `CUMULATE(..., step, size)`: windows start every `size`, at the epoch's alignment; each
    /// period has `size / step` windows sharing its start and ending `step`, `2 * step`, ...
    /// `size` after it, so a row is in the windows of its period that end after it.
    Cumulate {
        /// Milliseconds between window ends within a period, positive.
        step: i64,
        /// The period, and the longest window's length, in milliseconds; the binder requires a
        /// multiple of `step`.
        size: i64,
    },
    /// `SESSION(..., gap)`: rows of one partition at most `gap` apart share a window, which ends
    /// `gap` after its last row.
    Session {
        /// The longest silence, in milliseconds, that does not close a session.
        gap: i64,
    },
}

impl WindowAssigner {
    /// Calls `f(start, end)` for every fixed window that holds `ts` (not for sessions, which are
    /// formed by merging, not assigned).
    #[inline]
    pub fn for_each_window(&self, ts: i64, mut f: impl FnMut(i64, i64)) {
        match *self {
            WindowAssigner::Tumble { size } => {
                let start = ts - ts.rem_euclid(size);
                f(start, start.saturating_add(size));
            }
            WindowAssigner::Hop { slide, size } => {
                // The last window holding ts starts at floor(ts / slide) * slide; earlier ones every
                // slide before it, while they still reach past ts.
                let mut start = ts - ts.rem_euclid(slide);
                while start.saturating_add(size) > ts {
                    f(start, start.saturating_add(size));
                    start = start.saturating_sub(slide);
                }
            }
            WindowAssigner::Cumulate { step, size } => {
                // The period holding ts, and its windows that end after ts: the first ends at the
                // step boundary above ts, the last at the period's end.
                let start = ts - ts.rem_euclid(size);
                let period_end = start.saturating_add(size);
                let mut end = (ts - ts.rem_euclid(step)).saturating_add(step);
                while end <= period_end {
                    f(start, end);
                    if end == period_end {
                        break;
                    }
                    end = end.saturating_add(step);
                }
            }
            WindowAssigner::Session { .. } => {}
        }
    }

    /// The window table function's SQL name (`TUMBLE`), for display.
    pub fn name(&self) -> &'static str {
        match self {
            WindowAssigner::Tumble { .. } => "TUMBLE",
            WindowAssigner::Hop { .. } => "HOP",
            WindowAssigner::Cumulate { .. } => "CUMULATE",
            WindowAssigner::Session { .. } => "SESSION",
        }
    }
}

impl fmt::Display for WindowAssigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowAssigner::Tumble { size } => write!(f, "TUMBLE(size={})", Millis(*size)),
            WindowAssigner::Hop { slide, size } => write!(f, "HOP(slide={}, size={})", Millis(*slide), Millis(*size)),
            WindowAssigner::Cumulate { step, size } => write!(f, "CUMULATE(step={}, size={})", Millis(*step), Millis(*size)),
            WindowAssigner::Session { gap } => write!(f, "SESSION(gap={})", Millis(*gap)),
        }
    }
}

/// When a window aggregate emits its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WindowEmit {
    /// EMIT CHANGES (`SET 'emit.mode' = 'changes'`): a changelog of each window's rows while it is
    /// open. Otherwise EMIT FINAL: one row per window and key when the watermark passes its end.
    pub changes: bool,
    /// Windows stay this long past their end and emit corrections for late rows
    /// (`'late.allowed-lateness'` of the table).
    pub allowed_lateness: i64,
    /// The window's time is processing time (`PROCTIME()`): a window closes when the wall clock
    /// passes its end, not the watermark (and every open window at the end of the input).
    #[serde(default)]
    pub proc_time: bool,
}

impl WindowEmit {
    /// Whether rows, once emitted, may be retracted.
    pub fn is_changelog(&self) -> bool {
        self.changes || self.allowed_lateness > 0
    }
}

/// A duration in milliseconds, shown in the largest unit that divides it (`10s`, `200ms`).
pub struct Millis(pub i64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        for (unit, name) in [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")] {
            if ms != 0 && ms % unit == 0 {
                return write!(f, "{}{name}", ms / unit);
            }
        }
        write!(f, "{ms}ms")
    }
}

/// Milliseconds in one `unit` of a duration or an INTERVAL (`s`, `second`, `MINUTES` ...).
pub fn unit_millis(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000,
        "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return None,
    })
}

/// `amount` (a decimal such as `0.2`) of `unit`, in whole milliseconds; `None` if it is not a
/// number or not a whole number of milliseconds.
pub fn amount_millis(amount: &str, unit_ms: i64) -> Option<i64> {
    let amount = amount.trim();
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = int.parse::<i64>().unwrap_or(0).checked_mul(unit_ms)?;
    let mut scale = unit_ms;
    for d in frac.bytes() {
        if scale % 10 != 0 {
            // A digit below a millisecond must be zero.
            if d != b'0' {
                return None;
            }
            continue;
        }
        scale /= 10;
        ms = ms.checked_add(i64::from(d - b'0') * scale)?;
    }
    Some(ms)
}

/// A duration option as Flink writes one (`'5 s'`, `'500ms'`, `'1 min'`; a bare number is
/// milliseconds), in milliseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (amount, unit) = text.split_at(split);
    let unit = unit.trim();
    amount_millis(amount, if unit.is_empty() { 1 } else { unit_millis(unit)? })
}

/// A table's event time: `WATERMARK FOR column AS column - delay`, and what happens to rows that
/// arrive behind the watermark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTime {
    /// The time column, an index into the table's columns.
    pub column: usize,
    /// The watermark trails the largest event time seen by this much.
    pub delay: i64,
    /// Windows stay open this much past their end and emit corrections for rows that arrive
    /// then (`'late.allowed-lateness'`); a window operator drops a row only from windows whose
    /// end plus this is at or before its watermark.
    pub allowed_lateness: i64,
    /// Where the rows window operators drop go: `None`: nowhere (they are counted); `Some(table)`:
    /// that table, each row once.
    pub late_sink: Option<String>,
}

/// The watermark of one source worker: the largest event time it has read, less the delay. A
/// source emits every row, also one behind this watermark: whether a row is late is for each
/// window operator to judge, against its own frontier (the least watermark of all workers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatermarkTracker {
    delay: i64,
    allowed_lateness: i64,
    max_seen: Option<i64>,
}

impl WatermarkTracker {
    /// A tracker that has seen no row; `delay` and `allowed_lateness` in milliseconds, as in [`EventTime`].
    pub fn new(delay: i64, allowed_lateness: i64) -> Self {
        WatermarkTracker { delay, allowed_lateness, max_seen: None }
    }

    /// The current watermark (`i64::MIN` before the first row).
    pub fn watermark(&self) -> i64 {
        self.max_seen.map_or(i64::MIN, |m| m.saturating_sub(self.delay))
    }

    /// Takes one row's event time; returns whether it is at or after the watermark less the
    /// allowed lateness (a row behind that cannot move the watermark).
    #[inline]
    pub fn observe(&mut self, ts: i64) -> bool {
        if ts < self.watermark().saturating_sub(self.allowed_lateness) {
            return false;
        }
        if self.max_seen.is_none_or(|m| ts > m) {
            self.max_seen = Some(ts);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(a: WindowAssigner, ts: i64) -> Vec<(i64, i64)> {
        let mut v = Vec::new();
        a.for_each_window(ts, |s, e| v.push((s, e)));
        v.sort_unstable();
        v
    }

    #[test]
    fn tumble_aligns_to_the_epoch_also_before_it() {
        let t = WindowAssigner::Tumble { size: 10_000 };
        assert_eq!(windows(t, 0), vec![(0, 10_000)]);
        assert_eq!(windows(t, 9_999), vec![(0, 10_000)]);
        assert_eq!(windows(t, 10_000), vec![(10_000, 20_000)]);
        assert_eq!(windows(t, -1), vec![(-10_000, 0)]);
    }

    #[test]
    fn hop_gives_size_over_slide_windows() {
        let h = WindowAssigner::Hop { slide: 2_000, size: 10_000 };
        assert_eq!(windows(h, 3_500), vec![(-6_000, 4_000), (-4_000, 6_000), (-2_000, 8_000), (0, 10_000), (2_000, 12_000)]);
        assert_eq!(windows(h, 4_000).len(), 5);
        assert_eq!(windows(h, 4_000)[0], (-4_000, 6_000));
    }

    #[test]
    fn cumulate_gives_the_windows_of_the_period_that_end_after_the_row() {
        let c = WindowAssigner::Cumulate { step: 2_000, size: 6_000 };
        assert_eq!(windows(c, 0), vec![(0, 2_000), (0, 4_000), (0, 6_000)]);
        assert_eq!(windows(c, 1_999), vec![(0, 2_000), (0, 4_000), (0, 6_000)]);
        assert_eq!(windows(c, 2_000), vec![(0, 4_000), (0, 6_000)]);
        assert_eq!(windows(c, 5_999), vec![(0, 6_000)]);
        assert_eq!(windows(c, 6_000), vec![(6_000, 8_000), (6_000, 10_000), (6_000, 12_000)]);
        assert_eq!(windows(c, -1), vec![(-6_000, 0)]);
        let whole = WindowAssigner::Cumulate { step: 5_000, size: 5_000 };
        assert_eq!(windows(whole, 7_000), vec![(5_000, 10_000)]);
    }

    #[test]
    fn watermark_judges_rows_in_order() {
        let mut w = WatermarkTracker::new(200, 0);
        assert!(w.observe(1_000));
        assert_eq!(w.watermark(), 800);
        assert!(w.observe(800), "at the watermark is on time");
        assert!(!w.observe(799));
        assert!(w.observe(2_000));
        assert!(!w.observe(1_000));
        let mut lenient = WatermarkTracker::new(200, 500);
        lenient.observe(2_000);
        assert!(lenient.observe(1_300) && !lenient.observe(1_299));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("5 s"), Some(5000));
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("0.2 second"), Some(200));
        assert_eq!(parse_duration("1 min"), Some(60_000));
        assert_eq!(parse_duration("250"), Some(250));
        assert_eq!(parse_duration("0.0005 s"), None);
        assert_eq!(parse_duration("five s"), None);
        assert_eq!(parse_duration("5 fortnights"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn durations_show_in_their_unit() {
        assert_eq!(Millis(10_000).to_string(), "10s");
        assert_eq!(Millis(200).to_string(), "200ms");
        assert_eq!(Millis(120_000).to_string(), "2min");
    }
}
