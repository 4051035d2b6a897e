//! vstream against DuckDB on Flink's single-stream query forms (issue 13): views, common table
//! expressions, UNION ALL, Top-N, deduplication, OVER aggregates, CUMULATE, the group-window
//! syntax and GROUPING SETS, over 100,000 bids from the project's generator
//! (`vstream_bench::write_bids`, seed 42), run by the real binary into a CSV file sink at `-w 1`,
//! `-w 2` and `-w 4` (the latter two with 64 KiB chunks, so rows cross many chunk boundaries and
//! epochs), each compared as a multiset with DuckDB's answer to the batch query
//! (`tests/oracle/oracle.py`), changelogs folded.
//!
//! Where a form picks rows by an order with ties (Top-N, deduplication, ROWS frames), the query
//! orders by enough columns, or writes only the columns every tie agrees on, for the answer to
//! be one multiset.
//!
//! DuckDB comes from the venv at `target/oracle-venv` (see `oracle.rs`).

mod common;

use common::{generated_bids, oracle_python, run_checked, workspace_root};
use std::process::Command;

const ROWS: u64 = 100_000;
const SEED: u64 = 42;

/// One query: what vstream runs and what DuckDB runs for the same answer.
struct FormQuery {
    /// Names the sink folder and the failure.
    name: &'static str,
    /// Statements vstream runs before the INSERT (views); may be empty.
    prelude: &'static str,
    /// The query whose rows are written: `INSERT INTO out <streaming>`.
    streaming: &'static str,
    /// The batch query over DuckDB's `bid` view.
    duckdb: &'static str,
    /// The table declares the benchmark's 200 ms watermark (the generator's rows are at most
    /// 199 ms out of order, so no row is late).
    watermark: bool,
    /// vstream's output is a changelog (an `op` column), folded before comparing.
    changelog: bool,
}

/// The DuckDB SQL of a 10 s TUMBLE count per auction, shared by the group-window forms.
const TUMBLE10_DUCKDB: &str = "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, auction, COUNT(*) AS bids \
     FROM (SELECT time_bucket(INTERVAL 10 SECOND, date_time) AS ws, auction FROM bid) GROUP BY ALL";

const QUERIES: &[FormQuery] = &[
    FormQuery {
        name: "view",
        prelude: "CREATE VIEW big AS SELECT auction, bidder, price FROM bid WHERE price > 1000;",
        streaming: "SELECT auction, COUNT(*) AS n, MAX(price) AS top FROM big GROUP BY auction",
        duckdb: "SELECT auction, COUNT(*) AS n, MAX(price) AS top FROM bid WHERE price > 1000 GROUP BY auction",
        watermark: false,
        changelog: true,
    },
    FormQuery {
        name: "cte",
        prelude: "",
        streaming: "WITH doubled AS (SELECT auction, price * 2 AS p FROM bid), big AS (SELECT auction, p FROM doubled WHERE p > 500) \
                    SELECT auction % 10 AS bucket, COUNT(*) AS n, SUM(p) AS total FROM big GROUP BY auction % 10",
        duckdb: "SELECT auction % 10 AS bucket, COUNT(*) AS n, SUM(price * 2) AS total FROM bid WHERE price * 2 > 500 GROUP BY ALL",
        watermark: false,
        changelog: true,
    },
    FormQuery {
        name: "union_all",
        prelude: "",
        streaming: "SELECT auction AS id, price FROM bid WHERE price > 5000 \
                    UNION ALL SELECT bidder, price FROM bid WHERE MOD(bidder, 3) = 0 \
                    UNION ALL SELECT auction, 0 FROM bid WHERE channel = 'Apple'",
        duckdb: "SELECT auction AS id, price FROM bid WHERE price > 5000 \
                 UNION ALL SELECT bidder, price FROM bid WHERE bidder % 3 = 0 \
                 UNION ALL SELECT auction, 0 FROM bid WHERE channel = 'Apple'",
        watermark: false,
        changelog: false,
    },
    FormQuery {
        name: "union_all_changelogs",
        prelude: "",
        streaming: "SELECT 'auction' AS kind, auction AS id, COUNT(*) AS n FROM bid GROUP BY auction \
                    UNION ALL SELECT 'channel', MOD(bidder, 7), COUNT(*) FROM bid GROUP BY MOD(bidder, 7)",
        duckdb: "SELECT 'auction' AS kind, auction AS id, COUNT(*) AS n FROM bid GROUP BY auction \
                 UNION ALL SELECT 'channel', bidder % 7, COUNT(*) FROM bid GROUP BY bidder % 7",
        watermark: false,
        changelog: true,
    },
    // Top 3 bids per auction; ties broken by time and bidder.
    FormQuery {
        name: "top_n",
        prelude: "",
        streaming: "SELECT auction, bidder, price, date_time, rn FROM (SELECT auction, bidder, price, date_time, ROW_NUMBER() OVER \
                    (PARTITION BY auction ORDER BY price DESC, date_time, bidder) AS rn FROM bid) WHERE rn <= 3",
        duckdb: "SELECT auction, bidder, price, date_time, rn FROM (SELECT auction, bidder, price, date_time, ROW_NUMBER() OVER \
                 (PARTITION BY auction ORDER BY price DESC, date_time, bidder) AS rn FROM bid) WHERE rn <= 3",
        watermark: false,
        changelog: true,
    },
    // The first bid of each auction in event time: its time is one value even when two bids tie.
    FormQuery {
        name: "dedup_first",
        prelude: "",
        streaming: "SELECT auction, date_time FROM (SELECT auction, date_time, ROW_NUMBER() OVER \
                    (PARTITION BY auction ORDER BY date_time ASC) AS rn FROM bid) WHERE rn = 1",
        duckdb: "SELECT auction, MIN(date_time) AS date_time FROM bid GROUP BY auction",
        watermark: true,
        changelog: false,
    },
    // ROWS frame: how many of the last 11 bids of the auction (with the current one); which of
    // two bids at the same time comes first does not change the multiset of (auction, time, n).
    FormQuery {
        name: "over_rows",
        prelude: "",
        streaming: "SELECT auction, date_time, COUNT(*) OVER (PARTITION BY auction ORDER BY date_time \
                    ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS n FROM bid",
        duckdb: "SELECT auction, date_time, COUNT(*) OVER (PARTITION BY auction ORDER BY date_time \
                 ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS n FROM bid",
        watermark: true,
        changelog: false,
    },
    // RANGE frame: the bids of the last 10 s of the auction, peers included.
    FormQuery {
        name: "over_range",
        prelude: "",
        streaming: "SELECT auction, price, date_time, MAX(price) OVER w AS top, SUM(price) OVER w AS total, COUNT(*) OVER w AS n \
                    FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time \
                    RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW)",
        duckdb: "SELECT auction, price, date_time, MAX(price) OVER w AS top, SUM(price) OVER w AS total, COUNT(*) OVER w AS n \
                 FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time \
                 RANGE BETWEEN INTERVAL 10 SECOND PRECEDING AND CURRENT ROW)",
        watermark: true,
        changelog: false,
    },
    // CUMULATE: windows of 2, 4, ..., 10 s from each 10 s boundary.
    FormQuery {
        name: "cumulate",
        prelude: "",
        streaming: "SELECT window_start, window_end, auction, COUNT(*) AS bids, SUM(price) AS total FROM TABLE(CUMULATE(TABLE bid, \
                    DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction",
        duckdb: "SELECT ws AS window_start, ws + k * INTERVAL 2 SECOND AS window_end, auction, COUNT(*) AS bids, SUM(price) AS total \
                 FROM (SELECT time_bucket(INTERVAL 10 SECOND, date_time) AS ws, * FROM bid), range(1, 6) AS r(k) \
                 WHERE ws + k * INTERVAL 2 SECOND > date_time GROUP BY ALL",
        watermark: true,
        changelog: false,
    },
    FormQuery {
        name: "group_window_tumble",
        prelude: "",
        streaming: "SELECT TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start, \
                    TUMBLE_END(date_time, INTERVAL '10' SECOND) AS window_end, auction, COUNT(*) AS bids \
                    FROM bid GROUP BY TUMBLE(date_time, INTERVAL '10' SECOND), auction",
        duckdb: TUMBLE10_DUCKDB,
        watermark: true,
        changelog: false,
    },
    FormQuery {
        name: "group_window_hop",
        prelude: "",
        streaming: "SELECT HOP_START(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) AS window_start, \
                    HOP_END(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) AS window_end, auction, COUNT(*) AS bids \
                    FROM bid GROUP BY HOP(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND), auction",
        duckdb: "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, auction, COUNT(*) AS bids FROM (SELECT \
                 time_bucket(INTERVAL 2 SECOND, date_time) - k * INTERVAL 2 SECOND AS ws, auction FROM bid, range(5) AS r(k)) \
                 GROUP BY ALL",
        watermark: true,
        changelog: false,
    },
    FormQuery {
        name: "grouping_sets",
        prelude: "",
        streaming: "SELECT channel, MOD(auction, 5) AS bucket, COUNT(*) AS n, SUM(price) AS total FROM bid \
                    GROUP BY GROUPING SETS ((channel, MOD(auction, 5)), (channel), ())",
        duckdb: "SELECT channel, auction % 5 AS bucket, COUNT(*) AS n, SUM(price) AS total FROM bid \
                 GROUP BY GROUPING SETS ((channel, auction % 5), (channel), ())",
        watermark: false,
        changelog: true,
    },
    FormQuery {
        name: "window_rollup",
        prelude: "",
        streaming: "SELECT window_start, window_end, channel, MOD(auction, 3) AS bucket, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE bid, \
                    DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, ROLLUP (channel, MOD(auction, 3))",
        duckdb: "SELECT ws AS window_start, ws + INTERVAL 10 SECOND AS window_end, channel, auction % 3 AS bucket, COUNT(*) AS n \
                 FROM (SELECT time_bucket(INTERVAL 10 SECOND, date_time) AS ws, * FROM bid) \
                 GROUP BY ws, ROLLUP (channel, auction % 3)",
        watermark: true,
        changelog: false,
    },
];

/// (arguments, label) of the vstream runs of each query.
const RUNS: &[(&[&str], &str)] =
    &[(&["-w", "1"], "w1"), (&["-w", "2", "--chunk-size", "65536"], "w2"), (&["-w", "4", "--chunk-size", "65536"], "w4")];

#[test]
fn query_forms_match_duckdb() {
    let root = workspace_root();
    let python = oracle_python(&root);
    let oracle = root.join("tests").join("oracle").join("oracle.py");

    let (_tmp, dir, bids) = generated_bids("vstream-oracle-forms-", ROWS, SEED);

    let mut failures = Vec::new();
    for q in QUERIES {
        let expected = dir.join(format!("{}.expected.csv", q.name));
        run_checked(
            Command::new(&python).arg(&oracle).arg("--csv").arg(&bids).arg("--sql").arg(q.duckdb).arg("--out").arg(&expected),
            &format!("oracle.py for {}", q.name),
        );
        for (args, label) in RUNS {
            let sink = format!("out/{}_{label}", q.name);
            let watermark = if q.watermark { ",\n WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND" } else { "" };
            let script = format!(
                "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR{watermark})
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '{sink}', 'format' = 'csv');
{}
INSERT INTO out {};\n",
                q.prelude, q.streaming
            );
            let script_path = dir.join(format!("{}_{label}.sql", q.name));
            std::fs::write(&script_path, script).expect("write the script");
            let out = Command::new(env!("CARGO_BIN_EXE_vstream"))
                .arg("run")
                .arg(&script_path)
                .args(*args)
                .current_dir(&dir)
                .output()
                .expect("run vstream");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if !out.status.success() {
                failures.push(format!("{} {label}: vstream failed:\n{stderr}", q.name));
                continue;
            }
            assert!(
                stderr.contains(&format!("vstream: {ROWS} rows in, ")),
                "vstream {} {label}: the summary does not count {ROWS} rows in:\n{stderr}",
                q.name
            );
            let out = Command::new(&python)
                .arg(&oracle)
                .arg("compare")
                .arg(dir.join(&sink))
                .arg(&expected)
                .args(if q.changelog { &["--changelog", "op"][..] } else { &[][..] })
                .output()
                .expect("run oracle.py compare");
            let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if out.status.success() {
                eprintln!("{} {label}: {}", q.name, report.trim());
            } else {
                failures.push(format!("{} ({}) {label}:\n{report}", q.name, q.streaming));
            }
        }
    }
    assert!(failures.is_empty(), "vstream disagrees with DuckDB:\n{}", failures.join("\n"));
}
