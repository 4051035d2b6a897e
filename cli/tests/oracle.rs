//! vstream against DuckDB on the benchmark's queries: 100,000 bids from the project's generator
//! (`vstream_bench::write_bids`, seed 42), the STREAMING SQL of q0, q1, q2, qagg, q5t, q5h and
//! more GROUP BY (one over another's changelog) and window queries run by the real
//! binary into CSV file sinks at `-w 1` and `-w 2` (the latter with small chunks, so rows cross
//! many chunk boundaries), each compared as a multiset with DuckDB's answer to the batch query
//! (`tests/oracle/oracle.py`).
//!
//! DuckDB comes from a venv at `target/oracle-venv`, made by `tests/oracle/setup_venv.sh` (which
//! returns at once when it is already there). If it cannot be made this test fails: it never
//! passes without having compared anything.

mod common;

use common::{generated_bids, oracle_python, run_checked, workspace_root};
use std::process::Command;

const ROWS: u64 = 100_000;
const SEED: u64 = 42;

/// q5t: per auction, COUNT(*) over 10 s tumbling windows (run as EMIT FINAL and EMIT CHANGES).
const Q5T: &str = "SELECT window_start, window_end, auction, COUNT(*) AS bids FROM TABLE(\
     TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction";
const Q5T_DUCKDB: &str = "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, auction, COUNT(*) AS bids FROM (SELECT \
     time_bucket(INTERVAL 10 SECOND, date_time) AS ws, auction FROM bid) GROUP BY ALL";

/// (name, the STREAMING SQL vstream runs, the DuckDB SQL of the same answer), as in
/// shared/bench/queries.py.
const QUERIES: &[(&str, &str, &str)] = &[
    ("q0", "SELECT auction, bidder, price, date_time FROM bid", "SELECT auction, bidder, price, date_time FROM bid"),
    (
        "q1",
        "SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid",
        "SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid",
    ),
    ("q2", "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0", "SELECT auction, price FROM bid WHERE auction % 123 = 0"),
    // GROUP BY: vstream writes a changelog, folded before the comparison.
    (
        "qagg",
        "SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction",
        "SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction",
    ),
    ("distinct", "SELECT DISTINCT channel, auction % 7 AS bucket FROM bid", "SELECT DISTINCT channel, auction % 7 AS bucket FROM bid"),
    (
        "having",
        "SELECT bidder, COUNT(*) AS n, MIN(price) AS lo FROM bid GROUP BY bidder HAVING COUNT(*) > 50",
        "SELECT bidder, COUNT(*) AS n, MIN(price) AS lo FROM bid GROUP BY bidder HAVING COUNT(*) > 50",
    ),
    (
        "count_distinct",
        "SELECT channel, COUNT(DISTINCT auction) AS auctions, COUNT(DISTINCT bidder) AS bidders FROM bid GROUP BY channel",
        "SELECT channel, COUNT(DISTINCT auction) AS auctions, COUNT(DISTINCT bidder) AS bidders FROM bid GROUP BY channel",
    ),
    (
        "decimal_sum",
        "SELECT channel, SUM(0.908 * price) AS dollars, AVG(price) AS avg_price, SUM(price) FILTER (WHERE price > 5000) AS big \
         FROM bid GROUP BY channel",
        "SELECT channel, SUM(0.908 * price) AS dollars, AVG(price) AS avg_price, SUM(price) FILTER (WHERE price > 5000) AS big \
         FROM bid GROUP BY channel",
    ),
    // Event-time windows (EMIT FINAL: one row per window and key), over the table with the
    // benchmark's 200 ms watermark; the generator's rows are at most 199 ms out of order, so
    // none is late.
    ("q5t", Q5T, Q5T_DUCKDB),
    (
        "q5h",
        "SELECT window_start, window_end, auction, COUNT(*) AS bids FROM TABLE(\
         HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction",
        "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, auction, COUNT(*) AS bids FROM (SELECT \
         time_bucket(INTERVAL 2 SECOND, date_time) - k * INTERVAL 2 SECOND AS ws, auction FROM bid, range(5) AS r(k)) GROUP BY ALL",
    ),
    // The same as q5t, as EMIT CHANGES (see `extra_args`): a changelog whose fold is q5t's answer.
    ("q5t_changes", Q5T, Q5T_DUCKDB),
    (
        "tumble_aggregates",
        "SELECT window_start, window_end, window_time, channel, COUNT(*) AS n, COUNT(DISTINCT auction) AS auctions, \
         SUM(0.908 * price) AS dollars, AVG(price) AS avg_price, MAX(price) FILTER (WHERE bidder % 2 = 0) AS top_even \
         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '5' SECOND)) WHERE price > 100 \
         GROUP BY window_start, window_end, window_time, channel HAVING COUNT(*) > 10",
        "SELECT ws AS window_start, ws + INTERVAL 5 SECOND AS window_end, ws + INTERVAL 5 SECOND - INTERVAL 1 MILLISECOND \
         AS window_time, channel, COUNT(*) AS n, COUNT(DISTINCT auction) AS auctions, SUM(0.908 * price) AS dollars, \
         AVG(price) AS avg_price, MAX(price) FILTER (WHERE bidder % 2 = 0) AS top_even FROM (SELECT \
         time_bucket(INTERVAL 5 SECOND, date_time) AS ws, * FROM bid WHERE price > 100) GROUP BY ws, channel HAVING COUNT(*) > 10",
    ),
    // Sessions per bidder: rows at most 1 s apart share one; it ends 1 s after its last row.
    (
        "session",
        "SELECT window_start, window_end, bidder, COUNT(*) AS n, SUM(price) AS spent FROM TABLE(\
         SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '1' SECOND)) \
         GROUP BY window_start, window_end, bidder",
        "WITH marked AS (SELECT bidder, price, date_time, CASE WHEN date_time - LAG(date_time) OVER \
         (PARTITION BY bidder ORDER BY date_time) <= INTERVAL 1 SECOND THEN 0 ELSE 1 END AS starts FROM bid), \
         numbered AS (SELECT *, SUM(starts) OVER (PARTITION BY bidder ORDER BY date_time, starts DESC \
         ROWS UNBOUNDED PRECEDING) AS session FROM marked) \
         SELECT MIN(date_time) AS window_start, MAX(date_time) + INTERVAL 1 SECOND AS window_end, bidder, \
         COUNT(*) AS n, SUM(price) AS spent FROM numbered GROUP BY bidder, session",
    ),
    // A GROUP BY over a GROUP BY's changelog: per number of bids, how many auctions have it, and
    // the extremes of their top prices (retracted and re-found as auctions move between counts).
    (
        "group_by_of_group_by",
        "SELECT bids, COUNT(*) AS auctions, MAX(top) AS best, MIN(top) AS worst, COUNT(DISTINCT top) AS tops \
         FROM (SELECT auction, COUNT(*) AS bids, MAX(price) AS top FROM bid GROUP BY auction) GROUP BY bids",
        "SELECT bids, COUNT(*) AS auctions, MAX(top) AS best, MIN(top) AS worst, COUNT(DISTINCT top) AS tops \
         FROM (SELECT auction, COUNT(*) AS bids, MAX(price) AS top FROM bid GROUP BY auction) GROUP BY bids",
    ),
    (
        "global",
        "SELECT COUNT(*) AS n, SUM(price) AS total, MAX(date_time) AS last, MIN(url) AS first_url FROM bid",
        "SELECT COUNT(*) AS n, SUM(price) AS total, MAX(date_time) AS last, MIN(url) AS first_url FROM bid",
    ),
];

/// Queries whose output is a changelog (an `op` column), folded before comparing.
fn is_changelog(name: &str) -> bool {
    !matches!(name, "q0" | "q1" | "q2" | "q5t" | "q5h" | "tumble_aggregates" | "session")
}

/// Arguments a query's runs add.
fn extra_args(name: &str) -> &'static [&'static str] {
    match name {
        "q5t_changes" => &["--set", "emit.mode=changes"],
        _ => &[],
    }
}

/// (arguments, label) of the vstream runs of each query.
const RUNS: &[(&[&str], &str)] = &[
    (&["-w", "1"], "w1"),
    (&["-w", "2", "--chunk-size", "65536"], "w2"),
    // Small chunks: many epochs, so GROUP BY emits many updates and retractions.
    (&["-w", "4", "--chunk-size", "65536"], "w4"),
];

#[test]
fn bench_queries_match_duckdb() {
    let root = workspace_root();
    let python = oracle_python(&root);
    let oracle = root.join("tests").join("oracle").join("oracle.py");

    let (_tmp, dir, bids) = generated_bids("vstream-oracle-", ROWS, SEED);
    let lines = std::fs::read_to_string(&bids).expect("read bids.csv").lines().count() as u64;
    assert_eq!(lines, ROWS + 1, "the generator wrote {lines} lines, expected a header and {ROWS} rows");

    let mut failures = Vec::new();
    for (name, streaming, duck) in QUERIES {
        let expected = dir.join(format!("{name}.expected.csv"));
        run_checked(
            Command::new(&python).arg(&oracle).arg("--csv").arg(&bids).arg("--sql").arg(duck).arg("--out").arg(&expected),
            &format!("oracle.py for {name}"),
        );
        for (args, label) in RUNS {
            let sink = format!("out/{name}_{label}");
            // Window queries read the table with the benchmark's watermark.
            let watermark =
                if streaming.contains("DESCRIPTOR(") { ",\n WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND" } else { "" };
            let script = format!(
                "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR{watermark})
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '{sink}', 'format' = 'csv');
INSERT INTO out {streaming};\n"
            );
            let script_path = dir.join(format!("{name}_{label}.sql"));
            std::fs::write(&script_path, script).expect("write the script");
            let stderr_summary = {
                let out = Command::new(env!("CARGO_BIN_EXE_vstream"))
                    .arg("run")
                    .arg(&script_path)
                    .args(*args)
                    .args(extra_args(name))
                    .current_dir(&dir)
                    .output()
                    .expect("run vstream");
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                assert!(out.status.success(), "vstream {name} {label} failed:\n{stderr}");
                stderr
            };
            assert!(
                stderr_summary.contains(&format!("vstream: {ROWS} rows in, ")),
                "vstream {name} {label}: the summary does not count {ROWS} rows in:\n{stderr_summary}"
            );
            assert!(!stderr_summary.contains(" late"), "vstream {name} {label}: rows were late:\n{stderr_summary}");
            let out = Command::new(&python)
                .arg(&oracle)
                .arg("compare")
                .arg(dir.join(&sink))
                .arg(&expected)
                .args(if is_changelog(name) { &["--changelog", "op"][..] } else { &[][..] })
                .output()
                .expect("run oracle.py compare");
            let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if out.status.success() {
                eprintln!("{name} {label}: {}", report.trim());
            } else {
                failures.push(format!("{name} ({streaming}) {label}:\n{report}"));
            }
        }
    }
    assert!(failures.is_empty(), "vstream disagrees with DuckDB:\n{}", failures.join("\n"));
}
