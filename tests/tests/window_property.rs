//! Property test of event-time windows (EMIT FINAL and CHANGES) and late rows: random event times with
//! bounded disorder, a random watermark delay, random worker counts, chunk sizes and emit
//! intervals. Per case, one script runs TUMBLE, HOP, SESSION and CUMULATE aggregates (a random subset, each
//! into its own file sink, or one of them to stdout) over a table whose late rows go to a side
//! sink, and:
//!
//! 1. every late row is an input row (as a multiset) that really is behind: its time is below
//!    the largest time of the rows before it in the file, less the delay and allowed lateness (a
//!    window operator's frontier is never above the watermark of the worker that read the row,
//!    and that worker read a subset of the earlier rows, in file order);
//! 2. the late sink holds each row some window operator dropped once: no more rows than the
//!    operators dropped in all, no fewer than the one that dropped most (window operators judge
//!    lateness against their own frontier, so which rows they drop depends on the run's timing;
//!    until issue 13, sources judged it, and at one worker the late rows were those of the file
//!    read in order, which no longer holds);
//! 3. with a delay at least the input's disorder bound, no row is late;
//! 4. each query's output is, as a multiset of rows, the batch evaluation computed here from
//!    scratch over the input rows (less the rows with a NULL time, which are rejected): windows
//!    half-open and aligned to the epoch, sessions per key of rows at most `gap` apart, one row
//!    per window and key; over all of them when no row can be late, or for a TUMBLE that dropped
//!    none; over those less the late ones for a TUMBLE that is the only query (with several, the
//!    late sink also holds the others' drops). A HOP keeps a late row in its windows still open
//!    and drops it, uncounted, from the others, and a SESSION row that arrives after the session
//!    it would join was dropped starts one of its own (as in Flink), so neither is compared when
//!    rows can be late;
//! 5. the run's counters agree: rows in, rejected (NULL times), rows out per sink;
//! 6. with EMIT CHANGES or an allowed lateness the output is a changelog, folded for (4), and no
//!    row is retracted before it was emitted; under EMIT FINAL, when no row is behind the
//!    watermark, none is retracted at all (nothing is emitted before its window closes).
//!
//! Deterministic input: case `i` uses seed `BASE_SEED + i` (which rows a worker judges late
//! depends on the chunking, not on thread timing). A failure prints the seed, the parameters,
//! the script, the input, the late rows and the differences. To rerun cases:
//!
//!     VSTREAM_PROPERTY_SEED=<seed> cargo test -p vstream-tests --test window_property
//!     VSTREAM_PROPERTY_CASES=1000 cargo test -p vstream-tests --test window_property
//!     VSTREAM_PROPERTY_VERBOSE=1 ...   # one line per case
//!
//! Values print as the CSV writer prints them: TIMESTAMP(3) as `2025-01-01 00:00:10.000`, SUM of
//! a BIGINT as DECIMAL(38, 0) (a plain integer), NULL as an empty field.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use vstream_tests::harness::{Outcome, run_script_with, temp_dir};
use vstream_tests::property::{indent, seeds, verbose};

const BASE_SEED: u64 = 0x0057_1DE0_0000;
const DEFAULT_CASES: u64 = 1000;

/// The columns every query prints.
const HEADER: &str = "window_start,window_end,k,n,s,lo,hi";
const LATE_HEADER: &str = "k,v,ts";

/// One input row; `None` is NULL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Row {
    k: Option<String>,
    v: Option<i64>,
    /// Epoch milliseconds.
    ts: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Timestamps (proleptic Gregorian, no time zone), Howard Hinnant's algorithms

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD HH:MM:SS.mmm`, as the engine prints a TIMESTAMP(3).
fn format_ts(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, mo, d) = civil_from_days(days);
    format!("{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{:03}", rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000)
}

/// Parses `YYYY-MM-DD HH:MM:SS.mmm` (the engine's output format) into epoch milliseconds.
fn parse_ts(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 23 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' || b[19] != b'.' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec, milli) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    let ms = (((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec) * 1000 + milli;
    (format_ts(ms) == s).then_some(ms)
}

/// A timestamp as input text: usually the canonical form, sometimes with fewer fraction digits
/// (`...:01.5`, `...:03`), which the reader must take the same.
fn ts_input(ms: i64, rng: &mut Pcg64) -> String {
    let full = format_ts(ms);
    let milli = ms.rem_euclid(1000);
    if milli == 0 && rng.random_bool(0.5) {
        return full[..19].to_string();
    }
    if milli % 100 == 0 && rng.random_bool(0.3) {
        return full[..21].to_string();
    }
    full
}

// ---------------------------------------------------------------------------------------------
// Input generation

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const EPOCH_2025: i64 = 1_735_689_600_000;

/// The input and the parameters that shaped it.
struct Input {
    rows: Vec<Row>,
    csv: String,
    /// Every row's time is at most this far behind the largest time before it.
    max_disorder: i64,
    start: i64,
    max_step: i64,
}

fn gen_input(rng: &mut Pcg64) -> Input {
    let n = if rng.random_bool(0.1) { rng.random_range(0..=3usize) } else { rng.random_range(1..250usize) };
    let nkeys = rng.random_range(1..=KEYS.len());
    let null_keys = rng.random_bool(0.15);
    let null_values = rng.random_bool(0.3);
    let null_times = rng.random_bool(0.1);
    let start = match rng.random_range(0..5) {
        0 | 1 => EPOCH_2025 + rng.random_range(0..86_400_000),
        // Before 1970, or across the epoch: windows start at negative times.
        2 => -rng.random_range(0..20_000),
        3 => -rng.random_range(0..2_000_000_000_000i64),
        _ => rng.random_range(-2_000_000_000_000i64..4_000_000_000_000),
    };
    let max_step = [0, 1, 10, 100, 1000, 5000][rng.random_range(0..6)];
    let max_disorder = [0, 1, 10, 100, 1000, 5000, 20_000][rng.random_range(0..7)];
    let disorder_share = rng.random_range(0.0..=1.0);
    let mut base = start;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        base += if rng.random_bool(0.02) { rng.random_range(0..=120_000) } else { rng.random_range(0..=max_step) };
        let behind = if rng.random_bool(disorder_share) { rng.random_range(0..=max_disorder) } else { 0 };
        let k = if null_keys && rng.random_bool(0.1) { None } else { Some(KEYS[rng.random_range(0..nkeys)].to_string()) };
        let v = if null_values && rng.random_bool(0.2) {
            None
        } else if rng.random_bool(0.02) {
            Some([i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1][rng.random_range(0..4)])
        } else {
            Some(rng.random_range(-1000..=1000))
        };
        let ts = if null_times && rng.random_bool(0.05) { None } else { Some(base - behind) };
        rows.push(Row { k, v, ts });
    }
    let mut csv = String::from("k,v,ts\n");
    for r in &rows {
        let ts = r.ts.map(|t| ts_input(t, rng)).unwrap_or_default();
        let _ = writeln!(csv, "{},{},{ts}", r.k.as_deref().unwrap_or(""), r.v.map(|v| v.to_string()).unwrap_or_default());
    }
    Input { rows, csv, max_disorder, start, max_step }
}

/// `INTERVAL '...' UNIT` for `ms` milliseconds, in one of the ways SQL can write it.
fn interval(ms: i64, rng: &mut Pcg64) -> String {
    match rng.random_range(0..4) {
        1 if ms % 60_000 == 0 && ms > 0 => format!("INTERVAL '{}' MINUTE", ms / 60_000),
        2 if ms % 1000 == 0 => format!("INTERVAL '{}' SECOND", ms / 1000),
        3 => format!("INTERVAL '{}.{:03}' SECOND", ms / 1000, ms % 1000),
        _ => format!("INTERVAL '{ms}' MILLISECOND"),
    }
}

#[derive(Clone, Copy, Debug)]
enum Window {
    Tumble { size: i64 },
    Hop { slide: i64, size: i64 },
    Session { gap: i64 },
    Cumulate { step: i64, size: i64 },
}

struct Query {
    window: Window,
    sql: String,
    /// Where its rows go: a file sink's folder, or `None` for stdout.
    sink: Option<String>,
}

fn gen_window(kind: usize, rng: &mut Pcg64) -> Window {
    match kind {
        0 => Window::Tumble { size: [1, 7, 50, 100, 250, 1000, 1500, 10_000, 60_000, 3_600_000][rng.random_range(0..10)] },
        1 => {
            let slide = [1, 5, 50, 100, 500, 1000, 2000, 15_000][rng.random_range(0..8)];
            Window::Hop { slide, size: slide * rng.random_range(1..=5) }
        }
        2 => Window::Session { gap: [1, 10, 100, 500, 1000, 5000, 60_000][rng.random_range(0..7)] },
        _ => {
            let step = [1, 5, 50, 100, 500, 1000, 2000, 15_000][rng.random_range(0..8)];
            Window::Cumulate { step, size: step * rng.random_range(1..=5) }
        }
    }
}

fn query_sql(window: Window, rng: &mut Pcg64) -> String {
    let tvf = match window {
        Window::Tumble { size } => format!("TUMBLE(TABLE t, DESCRIPTOR(ts), {})", interval(size, rng)),
        Window::Hop { slide, size } => format!("HOP(TABLE t, DESCRIPTOR(ts), {}, {})", interval(slide, rng), interval(size, rng)),
        Window::Session { gap } => format!("SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), {})", interval(gap, rng)),
        Window::Cumulate { step, size } => {
            format!("CUMULATE(TABLE t, DESCRIPTOR(ts), {}, {})", interval(step, rng), interval(size, rng))
        }
    };
    format!(
        "SELECT window_start, window_end, k, COUNT(*) AS n, SUM(v) AS s, MIN(v) AS lo, MAX(v) AS hi \
         FROM TABLE({tvf}) GROUP BY window_start, window_end, k"
    )
}

struct Case {
    seed: u64,
    input: Input,
    delay: i64,
    /// `'late.allowed-lateness'`: windows stay open this much longer, and emit corrections.
    lateness: i64,
    /// `SET 'emit.mode' = 'changes'`: early results as a changelog.
    changes: bool,
    workers: usize,
    chunk_size: u64,
    /// `--set emit.interval`: epochs of at most this many rows.
    emit_interval: Option<usize>,
    queries: Vec<Query>,
    script: String,
}

impl Case {
    /// How far behind the largest time before it a row must be to be late.
    fn late_after(&self) -> i64 {
        self.delay + self.lateness
    }

    /// Whether the queries write a changelog (an `op` column), folded before comparing.
    fn changelog(&self) -> bool {
        self.changes || self.lateness > 0
    }
}

fn gen_case(seed: u64) -> Case {
    let mut rng = Pcg64::seed_from_u64(seed);
    let input = gen_input(&mut rng);
    let d = input.max_disorder;
    // Four cases in ten: a delay that covers the disorder, so no row is late.
    let delay = if rng.random_bool(0.4) {
        d + [0, 0, 1, 100, 1000][rng.random_range(0..5)]
    } else if d == 0 {
        0
    } else {
        rng.random_range(0..d)
    };
    let lateness = if rng.random_bool(0.3) { [1, 10, 100, 1000, 5000][rng.random_range(0..5)] } else { 0 };
    let changes = rng.random_bool(0.35);
    let workers = rng.random_range(1..=4);
    let chunk_size = if rng.random_bool(0.15) { 4 << 20 } else { rng.random_range(13..=200) };
    let emit_interval = rng.random_bool(0.5).then(|| rng.random_range(1..=20));
    // Each kind of window at most once; at least one query.
    let mut kinds: Vec<usize> = (0..4).filter(|_| rng.random_bool(0.8)).collect();
    if kinds.is_empty() {
        kinds.push(rng.random_range(0..4));
    }
    let stdout_query = rng.random_bool(0.3).then(|| rng.random_range(0..kinds.len()));
    let mut queries = Vec::new();
    for (i, &kind) in kinds.iter().enumerate() {
        let window = gen_window(kind, &mut rng);
        let sql = query_sql(window, &mut rng);
        let sink = (stdout_query != Some(i)).then(|| format!("out{i}"));
        queries.push(Query { window, sql, sink });
    }
    let mut script = format!(
        "CREATE TABLE t (k VARCHAR, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - {})\n  \
         WITH ('connector' = 'file', 'path' = 't.csv', 'format' = 'csv', 'csv.header' = 'true',\n        \
         'late.policy' = 'side-output', 'late.sink' = 'late_t'{});\n\
         CREATE TABLE late_t WITH ('connector' = 'file', 'path' = 'late_t', 'format' = 'csv');\n",
        interval(delay, &mut rng),
        if lateness > 0 { format!(", 'late.allowed-lateness' = '{lateness} ms'") } else { String::new() }
    );
    if changes {
        script.push_str("SET 'emit.mode' = 'changes';\n");
    }
    for q in &queries {
        if let Some(sink) = &q.sink {
            let _ = writeln!(script, "CREATE TABLE {sink} WITH ('connector' = 'file', 'path' = '{sink}', 'format' = 'csv');");
        }
    }
    for q in &queries {
        match &q.sink {
            Some(sink) => {
                let _ = writeln!(script, "INSERT INTO {sink} {};", q.sql);
            }
            None => {
                let _ = writeln!(script, "{};", q.sql);
            }
        }
    }
    Case { seed, input, delay, lateness, changes, workers, chunk_size, emit_interval, queries, script }
}

// ---------------------------------------------------------------------------------------------
// The expected results, from scratch

/// Per row, the largest time of the rows before it in the file (`None`: no timed row before).
fn max_before(rows: &[Row]) -> Vec<Option<i64>> {
    let mut max: Option<i64> = None;
    rows.iter()
        .map(|r| {
            let m = max;
            if let Some(t) = r.ts {
                max = Some(max.map_or(t, |m| m.max(t)));
            }
            m
        })
        .collect()
}

/// Whether a row is behind the watermark of a reader that has read the rows before it in the
/// file: `ts < max_before - delay`.
fn behind(ts: Option<i64>, max_before: Option<i64>, delay: i64) -> bool {
    matches!((ts, max_before), (Some(t), Some(m)) if t < m.saturating_sub(delay))
}

/// The late rows of the file read in order by one reader.
fn file_order_late(rows: &[Row], delay: i64) -> Vec<Row> {
    rows.iter().zip(max_before(rows)).filter(|(r, m)| behind(r.ts, *m, delay)).map(|(r, _)| r.clone()).collect()
}

/// The windows `[start, end)` that hold `ts` (not sessions).
fn windows_of(w: Window, ts: i64) -> Vec<(i64, i64)> {
    match w {
        Window::Tumble { size } => {
            let start = ts.div_euclid(size) * size;
            vec![(start, start + size)]
        }
        Window::Hop { slide, size } => {
            let last = ts.div_euclid(slide) * slide;
            (0..size / slide).map(|j| (last - j * slide, last - j * slide + size)).collect()
        }
        Window::Cumulate { step, size } => {
            // The windows of ts's period, one ending every step, that end after ts.
            let start = ts.div_euclid(size) * size;
            (1..=size / step).map(|j| (start, start + j * step)).filter(|(_, end)| *end > ts).collect()
        }
        Window::Session { .. } => unreachable!("sessions are not assigned"),
    }
}

/// The batch evaluation of a query over `rows` (all with a time), as the engine prints rows.
fn evaluate(w: Window, rows: &[&Row]) -> Vec<String> {
    let mut groups: BTreeMap<(i64, i64, Option<String>), Vec<Option<i64>>> = BTreeMap::new();
    match w {
        Window::Session { gap } => {
            let mut per_key: BTreeMap<Option<String>, Vec<(i64, Option<i64>)>> = BTreeMap::new();
            for r in rows {
                per_key.entry(r.k.clone()).or_default().push((r.ts.expect("timed rows only"), r.v));
            }
            for (k, mut rs) in per_key {
                rs.sort_by_key(|(t, _)| *t);
                let mut i = 0;
                while i < rs.len() {
                    let mut j = i + 1;
                    while j < rs.len() && rs[j].0 - rs[j - 1].0 <= gap {
                        j += 1;
                    }
                    let (start, end) = (rs[i].0, rs[j - 1].0 + gap);
                    groups.insert((start, end, k.clone()), rs[i..j].iter().map(|(_, v)| *v).collect());
                    i = j;
                }
            }
        }
        _ => {
            for r in rows {
                for (start, end) in windows_of(w, r.ts.expect("timed rows only")) {
                    groups.entry((start, end, r.k.clone())).or_default().push(r.v);
                }
            }
        }
    }
    let mut out: Vec<String> = groups
        .into_iter()
        .map(|((start, end, k), vs)| {
            let vals: Vec<i64> = vs.iter().flatten().copied().collect();
            let sum = (!vals.is_empty()).then(|| vals.iter().map(|v| i128::from(*v)).sum::<i128>());
            let opt = |x: Option<String>| x.unwrap_or_default();
            format!(
                "{},{},{},{},{},{},{}",
                format_ts(start),
                format_ts(end),
                k.unwrap_or_default(),
                vs.len(),
                opt(sum.map(|s| s.to_string())),
                opt(vals.iter().min().map(ToString::to_string)),
                opt(vals.iter().max().map(ToString::to_string)),
            )
        })
        .collect();
    out.sort();
    out
}

/// `a` less `b`, as multisets.
fn multiset_minus<T: Clone + Eq + std::hash::Hash>(a: &[T], b: &[T]) -> (Vec<T>, Vec<T>) {
    let mut counts: HashMap<&T, i64> = HashMap::new();
    for x in b {
        *counts.entry(x).or_insert(0) += 1;
    }
    let mut rest = Vec::new();
    for x in a {
        match counts.get_mut(x) {
            Some(n) if *n > 0 => *n -= 1,
            _ => rest.push(x.clone()),
        }
    }
    // What of `b` is not in `a`: the counts left over, in `b`'s order.
    let mut extra = Vec::new();
    for x in b {
        if let Some(n) = counts.get_mut(x)
            && *n > 0
        {
            *n -= 1;
            extra.push(x.clone());
        }
    }
    (rest, extra)
}

// ---------------------------------------------------------------------------------------------
// Reading the outputs

/// The data lines of a file sink's folder (its `part-*` files, each starting with `header`).
fn read_folder(dir: &Path, header: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut lines = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        problems.push(format!("no output folder {}", dir.display()));
        return lines;
    };
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !name.starts_with("part-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut it = text.lines();
        match it.next() {
            Some(h) if h == header => {}
            other => problems.push(format!("{name} starts with {other:?}, not the header {header:?}")),
        }
        lines.extend(it.map(str::to_string));
    }
    lines
}

/// The rows a changelog (`op,row` lines) leaves; a retraction of a row not emitted before it is
/// a problem.
fn fold(lines: &[String], what: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut rows: HashMap<&str, usize> = HashMap::new();
    for line in lines {
        let Some((op, row)) = line.split_once(',') else {
            problems.push(format!("{what}: a changelog line without an op: {line:?}"));
            continue;
        };
        match op {
            "+I" | "+U" => *rows.entry(row).or_insert(0) += 1,
            "-U" | "-D" => match rows.get_mut(row) {
                Some(n) if *n > 0 => *n -= 1,
                _ => problems.push(format!("{what}: {op} of a row not emitted before: {row}")),
            },
            _ => problems.push(format!("{what}: unknown op in {line:?}")),
        }
    }
    rows.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row.to_string(), n)).collect()
}

/// A late sink line `k,v,ts` back into a row.
fn parse_late(line: &str) -> Option<Row> {
    let mut f = line.split(',');
    let (k, v, ts) = (f.next()?, f.next()?, f.next()?);
    if f.next().is_some() {
        return None;
    }
    Some(Row {
        k: (!k.is_empty()).then(|| k.to_string()),
        v: if v.is_empty() { None } else { Some(v.parse().ok()?) },
        ts: if ts.is_empty() { None } else { Some(parse_ts(ts)?) },
    })
}

fn show_row(r: &Row) -> String {
    format!(
        "{},{},{}",
        r.k.as_deref().unwrap_or(""),
        r.v.map(|v| v.to_string()).unwrap_or_default(),
        r.ts.map(format_ts).unwrap_or_default()
    )
}

// ---------------------------------------------------------------------------------------------

/// What a run of a case gave, and what was wrong with it.
struct Report {
    problems: Vec<String>,
    late: Vec<Row>,
    stdout: String,
}

fn check_case(case: &Case) -> Report {
    let (_guard, dir) = temp_dir();
    std::fs::write(dir.join("t.csv"), &case.input.csv).expect("cannot write the input");
    let mut problems = Vec::new();
    let (stdout, summary) = match run_script_with(&case.script, &dir, "test.sql", case.workers, case.chunk_size, case.emit_interval) {
        Outcome::Ok { stdout, summary } => (stdout, summary),
        Outcome::Failed(e) => return Report { problems: vec![format!("the run failed: {e}")], late: vec![], stdout: String::new() },
        Outcome::Crashed(e) => return Report { problems: vec![format!("the run crashed: {e}")], late: vec![], stdout: String::new() },
    };
    let rows = &case.input.rows;

    // The late rows.
    let late_lines = read_folder(&dir.join("late_t"), LATE_HEADER, &mut problems);
    let mut late = Vec::new();
    for l in &late_lines {
        match parse_late(l) {
            Some(r) => late.push(r),
            None => problems.push(format!("late_t: cannot read the line {l:?}")),
        }
    }
    // (1) Each late row is an input row that is behind in file order (per distinct row: no more
    // late copies than copies of it that could be late).
    let mut could_be_late: HashMap<&Row, usize> = HashMap::new();
    for (r, m) in rows.iter().zip(max_before(rows)) {
        if behind(r.ts, m, case.late_after()) {
            *could_be_late.entry(r).or_insert(0) += 1;
        }
    }
    let mut late_counts: BTreeMap<&Row, usize> = BTreeMap::new();
    for r in &late {
        *late_counts.entry(r).or_insert(0) += 1;
    }
    for (r, n) in &late_counts {
        let inputs = rows.iter().filter(|x| x == r).count();
        let possible = could_be_late.get(r).copied().unwrap_or(0);
        if *n > inputs {
            problems.push(format!("late row {} written {n} times, in the input {inputs} times", show_row(r)));
        } else if *n > possible {
            problems.push(format!(
                "late row {} written {n} times, but only {possible} of its {inputs} copies in the input are behind the \
                 rows before them by more than the delay and allowed lateness {} ms",
                show_row(r),
                case.late_after()
            ));
        }
    }
    let expected_late = file_order_late(rows, case.late_after());
    // (2) Each dropped row once.
    let dropped: Vec<u64> = summary.late.iter().map(|(_, n)| *n).collect();
    let (all, most) = (dropped.iter().sum::<u64>(), dropped.iter().copied().max().unwrap_or(0));
    if (late.len() as u64) > all || (late.len() as u64) < most {
        problems.push(format!("late_t has {} rows; the window operators dropped {:?}", late.len(), summary.late));
    }
    // (3) A delay that covers the disorder leaves no row late.
    if case.late_after() >= case.input.max_disorder {
        assert!(expected_late.is_empty(), "the generator's disorder bound does not hold (seed {})", case.seed);
        if !late.is_empty() {
            problems.push(format!(
                "{} late rows with a delay and allowed lateness ({} ms) at least the disorder bound ({} ms)",
                late.len(),
                case.late_after(),
                case.input.max_disorder
            ));
        }
    }

    // (4) Each query's output is the batch evaluation over the rows it kept, where those are known.
    let (on_time, _) = multiset_minus(rows, &late);
    let all_timed: Vec<&Row> = rows.iter().filter(|r| r.ts.is_some()).collect();
    let no_row_behind_watermark = rows.iter().zip(max_before(rows)).all(|(r, m)| !behind(r.ts, m, case.delay));
    let timed: Vec<&Row> = on_time.iter().filter(|r| r.ts.is_some()).collect();
    let mut rows_out: BTreeMap<String, u64> = BTreeMap::new();
    rows_out.insert("late_t".to_string(), late.len() as u64);
    for (i, q) in case.queries.iter().enumerate() {
        let header = if case.changelog() { format!("op,{HEADER}") } else { HEADER.to_string() };
        let lines = match &q.sink {
            Some(sink) => read_folder(&dir.join(sink), &header, &mut problems),
            None => {
                let mut it = stdout.lines();
                match it.next() {
                    Some(h) if h == header => {}
                    other => problems.push(format!("stdout starts with {other:?}, not the header {header:?}")),
                }
                it.map(str::to_string).collect()
            }
        };
        rows_out.insert(q.sink.clone().unwrap_or_else(|| "stdout".to_string()), lines.len() as u64);
        // EMIT FINAL corrects an emitted row only for a row behind the watermark (within the
        // allowed lateness): with none such, no row may be retracted (nothing emitted early).
        if !case.changes
            && no_row_behind_watermark
            && let Some(l) = lines.iter().find(|l| l.starts_with("-U,") || l.starts_with("-D,"))
        {
            problems.push(format!("query {i}: EMIT FINAL retracted a row though no row is behind the watermark: {l}"));
        }
        let mut actual = if case.changelog() { fold(&lines, &format!("query {i}"), &mut problems) } else { lines };
        actual.sort();
        let sink_name = q.sink.clone().unwrap_or_else(|| "stdout".to_string());
        let dropped_here = summary.late.iter().filter(|(name, _)| *name == sink_name).map(|(_, n)| n).sum::<u64>();
        // A HOP drops a row from its fired windows without counting it (it counts only rows no
        // window takes); a SESSION row behind the watermark that joins no open session starts one
        // of its own, beside a session already dropped that it would have merged with in a batch
        // evaluation (as in Flink). So only a TUMBLE's output is known when rows can be late.
        let tumble = matches!(q.window, Window::Tumble { .. });
        let expected = if expected_late.is_empty() || (dropped_here == 0 && tumble) {
            evaluate(q.window, &all_timed)
        } else if case.queries.len() == 1 && tumble {
            evaluate(q.window, &timed)
        } else {
            continue;
        };
        let (missing, unexpected) = multiset_minus(&expected, &actual);
        if !missing.is_empty() || !unexpected.is_empty() {
            let mut msg = format!(
                "query {i} ({:?}, to {}): output differs from the batch evaluation ({} rows expected, {} written)\n",
                q.window,
                q.sink.as_deref().unwrap_or("stdout"),
                expected.len(),
                actual.len()
            );
            for m in missing.iter().take(20) {
                let _ = writeln!(msg, "      expected, missing:  {m}");
            }
            for u in unexpected.iter().take(20) {
                let _ = writeln!(msg, "      written, unexpected: {u}");
            }
            if missing.len() + unexpected.len() > 40 {
                let _ = writeln!(msg, "      ({} missing, {} unexpected in all)", missing.len(), unexpected.len());
            }
            problems.push(msg);
        }
    }

    // (5) The counters.
    let nulls = rows.iter().filter(|r| r.ts.is_none()).count() as u64;
    // A NULL event time is a reject, and a rejected record is not a row in.
    if summary.rows_in != rows.len() as u64 - nulls {
        problems.push(format!("summary: {} rows in, the input has {} and {nulls} NULL times", summary.rows_in, rows.len()));
    }
    if summary.rejected != nulls || summary.null_event_time != nulls {
        problems.push(format!(
            "summary: {} rejected, {} with a NULL time; the input has {nulls} NULL times",
            summary.rejected, summary.null_event_time
        ));
    }
    let counted: BTreeMap<String, u64> = summary.rows_out.iter().cloned().collect();
    if counted != rows_out {
        problems.push(format!("summary: rows out {counted:?}, the sinks hold {rows_out:?}"));
    }
    Report { problems, late, stdout }
}

fn describe(case: &Case, report: &Report) -> String {
    let i = &case.input;
    let mut msg = format!(
        "---- seed {} (VSTREAM_PROPERTY_SEED={}): workers {}, chunk size {} B, emit.interval {:?}, {} rows, \
         delay {} ms, allowed lateness {} ms, emit changes {}, disorder bound {} ms, max step {} ms, start {}\n",
        case.seed,
        case.seed,
        case.workers,
        case.chunk_size,
        case.emit_interval,
        i.rows.len(),
        case.delay,
        case.lateness,
        case.changes,
        i.max_disorder,
        i.max_step,
        format_ts(i.start),
    );
    for p in report.problems.iter().take(20) {
        let _ = writeln!(msg, "  {}", p.trim_end());
    }
    if report.problems.len() > 20 {
        let _ = writeln!(msg, "  ... and {} more problems", report.problems.len() - 20);
    }
    let _ = writeln!(msg, "script:\n{}", indent(&case.script));
    let _ = writeln!(msg, "late rows written ({}):", report.late.len());
    for r in &report.late {
        let _ = writeln!(msg, "    {}", show_row(r));
    }
    let expected_late = file_order_late(&i.rows, case.late_after());
    let _ = writeln!(msg, "late rows in file order ({}):", expected_late.len());
    for r in &expected_late {
        let _ = writeln!(msg, "    {}", show_row(r));
    }
    if !report.stdout.is_empty() {
        let _ = writeln!(msg, "stdout:\n{}", indent(&report.stdout));
    }
    let _ = writeln!(msg, "input t.csv:\n{}", indent(&i.csv));
    msg
}

#[test]
fn window_results_are_the_batch_result_over_rows_not_late() {
    let seeds = seeds(BASE_SEED, DEFAULT_CASES);
    let mut failed: Vec<String> = Vec::new();
    let mut failed_seeds: Vec<u64> = Vec::new();
    let (mut late_rows, mut cases_with_late) = (0, 0);
    for &seed in &seeds {
        let case = gen_case(seed);
        let report = check_case(&case);
        late_rows += report.late.len();
        cases_with_late += usize::from(!report.late.is_empty());
        if verbose() {
            eprintln!(
                "seed {seed}: {} rows, -w {}, chunk {} B, emit.interval {:?}, delay {} ms (disorder {} ms), {} late, windows {:?}: {} problems",
                case.input.rows.len(),
                case.workers,
                case.chunk_size,
                case.emit_interval,
                case.delay,
                case.input.max_disorder,
                report.late.len(),
                case.queries.iter().map(|q| q.window).collect::<Vec<_>>(),
                report.problems.len()
            );
        }
        if !report.problems.is_empty() {
            failed_seeds.push(seed);
            failed.push(describe(&case, &report));
        }
    }
    if !failed.is_empty() {
        let list: Vec<String> = failed_seeds.iter().map(ToString::to_string).collect();
        let mut report = format!("{} of {} cases failed; seeds: {}\n", failed.len(), seeds.len(), list.join(" "));
        for m in failed.iter().take(3) {
            report.push_str(m);
        }
        panic!("{report}");
    }
    eprintln!("{} cases passed ({cases_with_late} with late rows, {late_rows} late rows in all)", seeds.len());
}

/// The reference helpers agree with the engine's conventions and the window definitions.
#[test]
fn helpers() {
    assert_eq!(format_ts(0), "1970-01-01 00:00:00.000");
    assert_eq!(format_ts(-1), "1969-12-31 23:59:59.999");
    assert_eq!(format_ts(EPOCH_2025 + 1500), "2025-01-01 00:00:01.500");
    assert_eq!(format_ts(951_782_400_000), "2000-02-29 00:00:00.000");
    for ms in [0, -1, -86_400_000, EPOCH_2025 + 10_123, -2_000_000_000_000, 4_000_000_000_000] {
        assert_eq!(parse_ts(&format_ts(ms)), Some(ms));
    }
    assert_eq!(parse_ts("2025-01-01 00:00:01.5"), None);
    assert_eq!(windows_of(Window::Tumble { size: 10_000 }, -1), vec![(-10_000, 0)]);
    assert_eq!(windows_of(Window::Tumble { size: 10_000 }, 10_000), vec![(10_000, 20_000)]);
    let mut hop = windows_of(Window::Hop { slide: 2_000, size: 10_000 }, 3_500);
    hop.sort();
    assert_eq!(hop, vec![(-6_000, 4_000), (-4_000, 6_000), (-2_000, 8_000), (0, 10_000), (2_000, 12_000)]);
    assert_eq!(windows_of(Window::Cumulate { step: 2_000, size: 6_000 }, 2_000), vec![(0, 4_000), (0, 6_000)]);
    assert_eq!(windows_of(Window::Cumulate { step: 2_000, size: 6_000 }, -1), vec![(-6_000, 0)]);
    let r = |k: &str, v: i64, ts: i64| Row { k: Some(k.into()), v: Some(v), ts: Some(ts) };
    // Sessions: 0 and 1000 are 1000 apart (one session with gap 1000); 2001 is 1001 after.
    let rows = [r("a", 1, 1000), r("a", 2, 0), r("a", 4, 2001), r("b", 8, 500)];
    let refs: Vec<&Row> = rows.iter().collect();
    assert_eq!(
        evaluate(Window::Session { gap: 1000 }, &refs),
        vec![
            "1970-01-01 00:00:00.000,1970-01-01 00:00:02.000,a,2,3,1,2",
            "1970-01-01 00:00:00.500,1970-01-01 00:00:01.500,b,1,8,8,8",
            "1970-01-01 00:00:02.001,1970-01-01 00:00:03.001,a,1,4,4,4",
        ]
    );
    // File order: 700 is behind 1000 by 300 > delay 200; 800 is at the watermark, on time.
    let rows = [r("a", 1, 1000), r("a", 2, 800), r("a", 3, 799), r("a", 4, 2000), r("a", 5, 1000)];
    assert_eq!(file_order_late(&rows, 200), vec![rows[2].clone(), rows[4].clone()]);
    assert_eq!(multiset_minus(&[1, 1, 2, 3], &[1, 3, 4]), (vec![1, 2], vec![4]));
}
