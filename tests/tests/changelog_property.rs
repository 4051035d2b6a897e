//! Property test of GROUP BY's changelog (and of a GROUP BY over that changelog): random inputs,
//! cut into random chunk sizes and run on random worker counts, must give (a) a changelog whose fold is the batch result, computed here
//! from scratch in plain Rust, and (b) a changelog that is valid read in the order it was
//! captured: no row is retracted (-U/-D) that is not in the result at that point, and no group
//! key ever has two live rows.
//!
//! Deterministic: case `i` uses seed `BASE_SEED + i`. A failure prints the seed, the worker
//! count, the chunk size, the query, the input and the captured changelog. To rerun cases:
//!
//!     VSTREAM_PROPERTY_SEED=<seed> cargo test -p vstream-tests --test changelog_property
//!     VSTREAM_PROPERTY_CASES=1000 cargo test -p vstream-tests --test changelog_property
//!     VSTREAM_PROPERTY_VERBOSE=1 ...   # one line per case: rows, workers, chunk, changelog size
//!
//! Value formats are those the CSV writer prints: DECIMAL with all digits of its scale, SUM of a
//! BIGINT as DECIMAL(38, 0) (a plain integer), NULL as an empty field, the empty string as `""`.
//! AVG, VAR_POP and STDDEV_SAMP (DOUBLE) compare numerically, within 1e-9 relative.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use vstream_tests::harness::{Outcome, run_script_with, temp_dir};
use vstream_tests::property::{indent, seeds, verbose};

const BASE_SEED: u64 = 0x05EE_DA66_0000;
const DEFAULT_CASES: u64 = 100;

/// One input row; `None` is NULL. `d` is the DECIMAL(10, 2) mantissa (hundredths).
#[derive(Clone, Debug)]
struct Row {
    k: Option<String>,
    v: Option<i64>,
    d: Option<i128>,
    s: Option<String>,
}

/// An expected cell: text compared exactly (`None`: NULL), or a DOUBLE compared with a tolerance.
#[derive(Clone, Debug)]
enum Cell {
    Exact(Option<String>),
    Approx(Option<f64>),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Exact(None) | Cell::Approx(None) => write!(f, "NULL"),
            Cell::Exact(Some(s)) => write!(f, "{s:?}"),
            Cell::Approx(Some(x)) => write!(f, "~{x:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input generation

const KEYS: [&str; 5] = ["a", "b", "c", "d", "e"];
/// VARCHAR values, some needing CSV quotes; `None` is NULL (an unquoted empty field).
const STRINGS: [Option<&str>; 9] = [None, Some(""), Some("x"), Some("y"), Some("X"), Some("a,b"), Some("q\"t"), Some("ü"), Some("xy")];

fn gen_rows(rng: &mut Pcg64) -> Vec<Row> {
    // Mostly 0..300 rows; one case in ten has at most three (empty input, one row per group).
    let n = if rng.random_bool(0.1) { rng.random_range(0..=3usize) } else { rng.random_range(0..300usize) };
    let nkeys = rng.random_range(1..=KEYS.len());
    let null_key = rng.random_bool(0.7);
    (0..n)
        .map(|_| {
            let k = if null_key && rng.random_bool(0.15) { None } else { Some(KEYS[rng.random_range(0..nkeys)].to_string()) };
            let v = if rng.random_bool(0.2) {
                None
            } else if rng.random_bool(0.04) {
                Some(*[i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1].get(rng.random_range(0..4)).unwrap_or(&0))
            } else {
                Some(rng.random_range(-1000..=1000))
            };
            let d = if rng.random_bool(0.2) {
                None
            } else if rng.random_bool(0.04) {
                Some(if rng.random_bool(0.5) { 9_999_999_999 } else { -9_999_999_999 })
            } else {
                Some(rng.random_range(-100_000..=100_000) as i128)
            };
            let s = STRINGS[rng.random_range(0..STRINGS.len())].map(str::to_string);
            Row { k, v, d, s }
        })
        .collect()
}

fn csv_field(s: &Option<String>) -> String {
    match s {
        None => String::new(),
        Some(s) if s.is_empty() || s.contains([',', '"', '\n', '\r']) => format!("\"{}\"", s.replace('"', "\"\"")),
        Some(s) => s.clone(),
    }
}

/// A DECIMAL(10, 2) mantissa as input text, sometimes with fewer digits than the scale
/// (`1.5`, `3`) to exercise the reader's rescaling.
fn decimal_input(m: i128, rng: &mut Pcg64) -> String {
    let full = format_decimal(m, 2);
    if m % 100 == 0 && rng.random_bool(0.5) {
        return (m / 100).to_string();
    }
    if m % 10 == 0 && rng.random_bool(0.5) {
        return full[..full.len() - 1].to_string();
    }
    full
}

fn to_csv(rows: &[Row], rng: &mut Pcg64) -> String {
    let mut out = String::from("k,v,d,s\n");
    for r in rows {
        let v = r.v.map(|v| v.to_string()).unwrap_or_default();
        let d = r.d.map(|m| decimal_input(m, rng)).unwrap_or_default();
        let _ = writeln!(out, "{},{v},{d},{}", csv_field(&r.k), csv_field(&r.s));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The batch result, from scratch

/// A mantissa at `scale` as the engine prints DECIMAL: every digit of the scale.
fn format_decimal(m: i128, scale: u32) -> String {
    let p = 10i128.pow(scale);
    let sign = if m < 0 { "-" } else { "" };
    let a = m.unsigned_abs();
    let (int, frac) = (a / p as u128, a % p as u128);
    if scale == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{frac:0width$}", width = scale as usize) }
}

fn exact<T: ToString>(v: Option<T>) -> Cell {
    Cell::Exact(v.map(|x| x.to_string()))
}

fn sum_i128(vals: impl Iterator<Item = i128>) -> Option<i128> {
    let mut n = 0;
    let mut s = 0i128;
    for v in vals {
        s += v;
        n += 1;
    }
    (n > 0).then_some(s)
}

fn avg(vals: impl Iterator<Item = i128>, scale: u32) -> Option<f64> {
    let vals: Vec<i128> = vals.collect();
    (!vals.is_empty()).then(|| vals.iter().sum::<i128>() as f64 / 10f64.powi(scale as i32) / vals.len() as f64)
}

/// A query with its expected header and its batch evaluation: the result rows, each keyed by
/// its group key (`None` for a global aggregate's single row).
struct Query {
    name: &'static str,
    sql: &'static str,
    header: &'static str,
    /// Whether column 0 is the group key (GROUP BY k); otherwise a global aggregate.
    keyed: bool,
    eval: fn(&[Row]) -> Vec<Vec<Cell>>,
}

fn groups(rows: &[Row]) -> BTreeMap<Option<String>, Vec<&Row>> {
    let mut g: BTreeMap<Option<String>, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        g.entry(r.k.clone()).or_default().push(r);
    }
    g
}

fn eval_basic(rows: &[Row]) -> Vec<Vec<Cell>> {
    groups(rows)
        .into_iter()
        .map(|(k, rs)| {
            let vs = || rs.iter().filter_map(|r| r.v);
            let ds = || rs.iter().filter_map(|r| r.d);
            let distinct_s: BTreeSet<&String> = rs.iter().filter_map(|r| r.s.as_ref()).collect();
            vec![
                Cell::Exact(k),
                exact(Some(rs.len())),
                exact(Some(vs().count())),
                exact(sum_i128(vs().map(i128::from))),
                exact(vs().min()),
                exact(vs().max()),
                Cell::Exact(sum_i128(ds()).map(|m| format_decimal(m, 2))),
                Cell::Approx(avg(vs().map(i128::from), 0)),
                exact(Some(distinct_s.len())),
            ]
        })
        .collect()
}

fn eval_having(rows: &[Row]) -> Vec<Vec<Cell>> {
    groups(rows)
        .into_iter()
        .filter_map(|(k, rs)| {
            let sum_v = sum_i128(rs.iter().filter_map(|r| r.v).map(i128::from));
            // HAVING SUM(v) > 0: NULL (no values) is not TRUE.
            if sum_v.is_none_or(|s| s <= 0) {
                return None;
            }
            let pos = rs.iter().filter(|r| r.v.is_some_and(|v| v > 0)).count();
            let sd = sum_i128(rs.iter().filter(|r| r.s.is_some()).filter_map(|r| r.d));
            let ms = rs.iter().filter_map(|r| r.s.clone()).max();
            let md = rs.iter().filter_map(|r| r.d).min();
            let ad = avg(rs.iter().filter(|r| r.v.is_some_and(|v| v < 0)).filter_map(|r| r.d), 2);
            Some(vec![
                Cell::Exact(k),
                exact(Some(pos)),
                Cell::Exact(sd.map(|m| format_decimal(m, 2))),
                Cell::Exact(ms),
                Cell::Exact(md.map(|m| format_decimal(m, 2))),
                Cell::Approx(ad),
            ])
        })
        .collect()
}

fn eval_global(rows: &[Row]) -> Vec<Vec<Cell>> {
    let vs = || rows.iter().filter_map(|r| r.v);
    let distinct_k: BTreeSet<&String> = rows.iter().filter_map(|r| r.k.as_ref()).collect();
    vec![vec![
        exact(Some(rows.len())),
        exact(sum_i128(vs().map(i128::from))),
        Cell::Exact(rows.iter().filter_map(|r| r.d).min().map(|m| format_decimal(m, 2))),
        Cell::Exact(rows.iter().filter_map(|r| r.k.clone()).max()),
        exact(Some(distinct_k.len())),
        Cell::Approx(avg(rows.iter().filter_map(|r| r.d), 2)),
        exact(Some(rows.iter().filter(|r| r.s.as_deref() == Some("x")).count())),
    ]]
}

/// An aggregate over the changelog of another: per key, its row count mod 3 and SUM(v); then per
/// count class, over the keys' (changing) rows.
fn eval_nested(rows: &[Row]) -> Vec<Vec<Cell>> {
    let mut classes: BTreeMap<usize, Vec<Option<i128>>> = BTreeMap::new();
    for rs in groups(rows).into_values() {
        classes.entry(rs.len() % 3).or_default().push(sum_i128(rs.iter().filter_map(|r| r.v).map(i128::from)));
    }
    classes
        .into_iter()
        .map(|(class, sums)| {
            let known = || sums.iter().flatten().copied();
            let distinct: BTreeSet<i128> = known().collect();
            vec![
                exact(Some(class)),
                exact(Some(sums.len())),
                exact(known().min()),
                exact(known().max()),
                exact(sum_i128(known())),
                exact(Some(distinct.len())),
            ]
        })
        .collect()
}

/// Flink's statistical and JSON aggregates over the changelog of another aggregate: per key, its
/// row count mod 3 and COUNT(v); then per count class, the variance and standard deviation of
/// the keys' counts (Welford's update run both ways as keys move between classes) and a JSON
/// object of key → count (each key's old pair retracted before its new one is added).
fn eval_nested_statistics(rows: &[Row]) -> Vec<Vec<Cell>> {
    let mut classes: BTreeMap<usize, Vec<(String, i64)>> = BTreeMap::new();
    for (k, rs) in groups(rows) {
        let nv = rs.iter().filter(|r| r.v.is_some()).count() as i64;
        classes.entry(rs.len() % 3).or_default().push((k.unwrap_or_else(|| "~".to_string()), nv));
    }
    classes
        .into_iter()
        .map(|(class, mut pairs)| {
            let n = pairs.len() as f64;
            let mean = pairs.iter().map(|(_, v)| *v as f64).sum::<f64>() / n;
            let m2: f64 = pairs.iter().map(|(_, v)| (*v as f64 - mean).powi(2)).sum();
            pairs.sort();
            let obj: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            vec![
                exact(Some(class)),
                Cell::Approx(Some(m2 / n)),
                Cell::Approx((pairs.len() > 1).then(|| (m2 / (n - 1.0)).sqrt())),
                Cell::Exact(Some(format!("{{{}}}", obj.join(",")))),
            ]
        })
        .collect()
}

const QUERIES: [Query; 5] = [
    Query {
        name: "basic",
        sql: "SELECT k, COUNT(*), COUNT(v), SUM(v), MIN(v), MAX(v), SUM(d), AVG(v), COUNT(DISTINCT s) FROM t GROUP BY k;",
        header: "op,k,COUNT(*),COUNT(v),SUM(v),MIN(v),MAX(v),SUM(d),AVG(v),COUNT(DISTINCT s)",
        keyed: true,
        eval: eval_basic,
    },
    Query {
        name: "having_filter",
        sql: "SELECT k, COUNT(*) FILTER (WHERE v > 0) AS pos, SUM(d) FILTER (WHERE s IS NOT NULL) AS sd, MAX(s) AS ms, \
              MIN(d) AS md, AVG(d) FILTER (WHERE v < 0) AS ad FROM t GROUP BY k HAVING SUM(v) > 0;",
        header: "op,k,pos,sd,ms,md,ad",
        keyed: true,
        eval: eval_having,
    },
    Query {
        name: "global",
        sql: "SELECT COUNT(*) AS n, SUM(v) AS sv, MIN(d) AS md, MAX(k) AS mk, COUNT(DISTINCT k) AS dk, AVG(d) AS ad, \
              COUNT(*) FILTER (WHERE s = 'x') AS nx FROM t;",
        header: "op,n,sv,md,mk,dk,ad,nx",
        keyed: false,
        eval: eval_global,
    },
    Query {
        name: "nested",
        sql: "SELECT c, COUNT(*) AS keys, MIN(sv) AS lo, MAX(sv) AS hi, SUM(sv) AS total, COUNT(DISTINCT sv) AS dsv \
              FROM (SELECT k, COUNT(*) % 3 AS c, SUM(v) AS sv FROM t GROUP BY k) GROUP BY c;",
        header: "op,c,keys,lo,hi,total,dsv",
        keyed: true,
        eval: eval_nested,
    },
    Query {
        name: "nested_statistics",
        sql: "SELECT c, VAR_POP(nv) AS vp, STDDEV_SAMP(nv) AS ss, JSON_OBJECTAGG(KEY COALESCE(k, '~') VALUE nv) AS obj \
              FROM (SELECT k, COUNT(*) % 3 AS c, COUNT(v) AS nv FROM t GROUP BY k) GROUP BY c;",
        header: "op,c,vp,ss,obj",
        keyed: true,
        eval: eval_nested_statistics,
    },
];

const DDL: &str = "CREATE TABLE t (k VARCHAR, v BIGINT, d DECIMAL(10,2), s VARCHAR)\n  \
                   WITH ('connector' = 'file', 'path' = 't.csv', 'format' = 'csv', 'csv.header' = 'true');\n";

// ---------------------------------------------------------------------------------------------
// Reading the changelog

/// Splits one CSV line (no embedded line breaks) into fields: `None` for an unquoted empty
/// field (NULL), the unquoted text otherwise.
fn parse_csv_line(line: &str) -> Result<Vec<Option<String>>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let field = if chars.peek() == Some(&'"') {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        s.push('"');
                    }
                    Some('"') => break,
                    Some(c) => s.push(c),
                    None => return Err(format!("unterminated quote in {line:?}")),
                }
            }
            Some(s)
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            (!s.is_empty()).then_some(s)
        };
        fields.push(field);
        match chars.next() {
            None => return Ok(fields),
            Some(',') => {}
            Some(c) => return Err(format!("unexpected {c:?} after a quoted field in {line:?}")),
        }
    }
}

fn cell_matches(expected: &Cell, actual: &Option<String>) -> bool {
    match (expected, actual) {
        (Cell::Exact(e), a) => e == a,
        (Cell::Approx(None), None) => true,
        (Cell::Approx(Some(x)), Some(a)) => match a.parse::<f64>() {
            Ok(y) if x.is_nan() => y.is_nan(),
            Ok(y) if x == &y => true,
            Ok(y) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
            Err(_) => false,
        },
        _ => false,
    }
}

/// Checks a captured changelog against the expected result; returns the problems found.
fn check(q: &Query, stdout: &str, expected: &[Vec<Cell>]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut lines = stdout.lines();
    match lines.next() {
        Some(h) if h == q.header => {}
        other => problems.push(format!("header is {other:?}, expected {:?}", q.header)),
    }
    // (b) Read in captured order: the live multiset of rows never goes negative, and a group key
    // has at most one live row at any time.
    let mut live: HashMap<String, i64> = HashMap::new();
    let mut live_per_key: HashMap<Option<String>, i64> = HashMap::new();
    for (n, line) in lines.enumerate() {
        let at = n + 2;
        let Some((op, rest)) = line.split_once(',').or(Some((line, ""))) else { continue };
        let fields = match parse_csv_line(rest) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("line {at}: {e}"));
                continue;
            }
        };
        let key = if q.keyed { fields.first().cloned().flatten() } else { None };
        let diff = match op {
            "+I" | "+U" => 1,
            "-U" | "-D" => -1,
            other => {
                problems.push(format!("line {at}: unknown op {other:?} in {line:?}"));
                continue;
            }
        };
        let count = live.entry(rest.to_string()).or_insert(0);
        if diff < 0 && *count <= 0 {
            problems.push(format!("line {at}: {op} of a row not in the result at that point: {rest:?}"));
        }
        *count += diff;
        let per_key = live_per_key.entry(key.clone()).or_insert(0);
        *per_key += diff;
        if *per_key > 1 {
            problems.push(format!("line {at}: {op} makes {} live rows for the group {key:?}", *per_key));
        }
    }
    // (a) The fold equals the batch result.
    let mut folded: Vec<Vec<Option<String>>> = Vec::new();
    for (row, n) in &live {
        for _ in 0..(*n).max(0) {
            folded.push(parse_csv_line(row).unwrap_or_default());
        }
    }
    folded.sort();
    let width = q.header.split(',').count() - 1;
    if folded.iter().any(|r| r.len() != width) {
        problems.push(format!("a folded row does not have {width} fields"));
    }
    let mut unmatched: Vec<&Vec<Cell>> = Vec::new();
    let mut remaining = folded.clone();
    for e in expected {
        match remaining.iter().position(|a| a.len() == e.len() && e.iter().zip(a).all(|(c, v)| cell_matches(c, v))) {
            Some(i) => {
                remaining.remove(i);
            }
            None => unmatched.push(e),
        }
    }
    if !unmatched.is_empty() || !remaining.is_empty() {
        let show_e = |r: &Vec<Cell>| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let show_a = |r: &Vec<Option<String>>| {
            r.iter().map(|c| c.as_ref().map_or("NULL".to_string(), |s| format!("{s:?}"))).collect::<Vec<_>>().join(", ")
        };
        let mut msg = String::from("folded result differs from the batch result\n");
        for e in &unmatched {
            let _ = writeln!(msg, "    expected, missing: {}", show_e(e));
        }
        for a in &remaining {
            let _ = writeln!(msg, "    actual, unexpected: {}", show_a(a));
        }
        problems.push(msg);
    }
    problems
}

// ---------------------------------------------------------------------------------------------

struct Case {
    seed: u64,
    workers: usize,
    chunk_size: u64,
    /// `--set emit.interval`: epochs of at most this many rows, cutting chunks further.
    emit_interval: Option<usize>,
    csv: String,
    rows: Vec<Row>,
}

fn gen_case(seed: u64) -> Case {
    let mut rng = Pcg64::seed_from_u64(seed);
    let rows = gen_rows(&mut rng);
    let csv = to_csv(&rows, &mut rng);
    let workers = rng.random_range(1..=4);
    let chunk_size = rng.random_range(1..=300);
    let emit_interval = rng.random_bool(0.5).then(|| rng.random_range(1..=20));
    Case { seed, workers, chunk_size, emit_interval, csv, rows }
}

/// Runs every query over one case; returns a failure report per failing query.
fn run_case(case: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    for q in &QUERIES {
        let (_guard, dir) = temp_dir();
        std::fs::write(dir.join("t.csv"), &case.csv).expect("cannot write the input");
        let sql = format!("{DDL}{}\n", q.sql);
        let expected = (q.eval)(&case.rows);
        let (problems, stdout) = match run_script_with(&sql, &dir, "test.sql", case.workers, case.chunk_size, case.emit_interval) {
            Outcome::Ok { stdout, .. } => (check(q, &stdout, &expected), stdout),
            Outcome::Failed(e) => (vec![format!("the run failed: {e}")], String::new()),
            Outcome::Crashed(e) => (vec![format!("the run crashed: {e}")], String::new()),
        };
        if verbose() {
            eprintln!(
                "seed {} query {}: {} rows, -w {}, chunk {} B: {} changelog lines, {} result rows, {} problems",
                case.seed,
                q.name,
                case.rows.len(),
                case.workers,
                case.chunk_size,
                stdout.lines().count().saturating_sub(1),
                expected.len(),
                problems.len()
            );
        }
        if !problems.is_empty() {
            let mut msg = format!(
                "---- seed {} (VSTREAM_PROPERTY_SEED={}), query {}, workers {}, chunk size {} B, emit.interval {:?}, {} rows\n",
                case.seed,
                case.seed,
                q.name,
                case.workers,
                case.chunk_size,
                case.emit_interval,
                case.rows.len()
            );
            let _ = writeln!(msg, "query: {}", q.sql);
            for p in problems.iter().take(20) {
                let _ = writeln!(msg, "  {p}");
            }
            if problems.len() > 20 {
                let _ = writeln!(msg, "  ... and {} more problems", problems.len() - 20);
            }
            let _ = writeln!(msg, "expected result:");
            for r in &expected {
                let _ = writeln!(msg, "    {}", r.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
            }
            let _ = writeln!(msg, "captured changelog:\n{}", indent(&stdout));
            let _ = writeln!(msg, "input t.csv:\n{}", indent(&case.csv));
            failures.push(msg);
        }
    }
    failures
}

#[test]
fn group_by_changelog_folds_to_the_batch_result() {
    let seeds = seeds(BASE_SEED, DEFAULT_CASES);
    let mut failed: Vec<(u64, Vec<String>)> = Vec::new();
    for &seed in &seeds {
        let case = gen_case(seed);
        let f = run_case(&case);
        if !f.is_empty() {
            failed.push((seed, f));
        }
    }
    if !failed.is_empty() {
        let list: Vec<String> = failed.iter().map(|(s, _)| s.to_string()).collect();
        let mut report = format!("{} of {} cases failed; seeds: {}\n", failed.len(), seeds.len(), list.join(" "));
        // The first few in full (the input and the changelog are long).
        for (_, msgs) in failed.iter().take(3) {
            for m in msgs {
                report.push_str(m);
            }
        }
        panic!("{report}");
    }
    eprintln!("{} cases x {} queries passed", seeds.len(), QUERIES.len());
}

/// The reference formatting and the CSV reader agree with the engine's conventions.
#[test]
fn helpers() {
    assert_eq!(format_decimal(-5, 2), "-0.05");
    assert_eq!(format_decimal(0, 2), "0.00");
    assert_eq!(format_decimal(12345, 2), "123.45");
    assert_eq!(format_decimal(-7, 0), "-7");
    assert_eq!(
        parse_csv_line(r#"a,,"",x"y,"q""t","a,b""#).unwrap_or_default(),
        vec![Some("a".into()), None, Some(String::new()), Some("x\"y".into()), Some("q\"t".into()), Some("a,b".into())]
    );
    assert!(cell_matches(&Cell::Approx(Some(6.148914691236517e18)), &Some("6.148914691236517e+18".into())));
    assert!(!cell_matches(&Cell::Approx(Some(1.0)), &Some("1.001".into())));
    assert!(cell_matches(&Cell::Approx(None), &None));
}

/// The checker itself: it accepts a valid changelog and reports each kind of invalid one.
#[test]
fn checker_detects_bad_changelogs() {
    let q = &QUERIES[0];
    let rows = vec![
        Row { k: Some("a".into()), v: Some(2), d: Some(150), s: Some("x".into()) },
        Row { k: Some("a".into()), v: Some(4), d: None, s: Some("a,b".into()) },
        Row { k: None, v: None, d: Some(-5), s: None },
    ];
    let expected = eval_basic(&rows);
    let h = q.header;
    let good = format!("{h}\n+I,a,1,1,2,2,2,1.50,2,1\n+I,,1,0,,,,-0.05,,0\n-U,a,1,1,2,2,2,1.50,2,1\n+U,a,2,2,6,2,4,1.50,3,2\n");
    assert_eq!(check(q, &good, &expected), Vec::<String>::new());
    // A retraction of a row never added (a wrong old row in -U).
    let bad_retraction = format!("{h}\n+I,a,1,1,2,2,2,1.50,2,1\n+I,,1,0,,,,-0.05,,0\n-U,a,1,1,2,2,2,1.50,2.0,1\n+U,a,2,2,6,2,4,1.50,3,2\n");
    let p = check(q, &bad_retraction, &expected);
    assert!(p.iter().any(|m| m.contains("not in the result")), "{p:?}");
    // +U without the -U: two live rows for the group a.
    let two_live = format!("{h}\n+I,a,1,1,2,2,2,1.50,2,1\n+I,,1,0,,,,-0.05,,0\n+U,a,2,2,6,2,4,1.50,3,2\n");
    let p = check(q, &two_live, &expected);
    assert!(p.iter().any(|m| m.contains("live rows for the group")), "{p:?}");
    // A wrong final value, and a wrong header.
    let wrong = format!("{h}\n+I,a,2,2,6,2,4,1.50,3,2\n+I,,1,0,,,,-0.50,,0\n");
    let p = check(q, &wrong, &expected);
    assert!(p.iter().any(|m| m.contains("differs from the batch result")), "{p:?}");
    let p = check(q, "op,k\n+I,a,2,2,6,2,4,1.50,3,2\n+I,,1,0,,,,-0.05,,0\n", &expected);
    assert!(p.iter().any(|m| m.contains("header")), "{p:?}");
}
