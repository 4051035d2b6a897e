//! A function that fails on a row at run time (a CAST of `'12x'` to INT): under the source's
//! `'*.on-error' = 'fail'` the run fails naming the row's `file:line` and the column it was
//! computing; under `'skip'` the row is dropped, counted as rejected in the summary and written
//! to the rejects file, and the other rows are written. CSV and JSON lines sources, at `-w 1`
//! and `-w 2` with small chunks (so the bad row is in some worker's middle chunk).
//!
//! Each test runs the real binary in a fresh folder holding its script and input.

use std::path::PathBuf;
use std::process::Command;

/// 15 good rows (auction 1000 + i, price 10 * (i + 1), code `i`), then `bad` (code `12x`) as
/// file line 17 (CSV, after its header) or 16 (JSON lines), then one more good row.
struct Input {
    csv: String,
    json: String,
}

fn input() -> Input {
    let mut rows: Vec<(i64, i64, String)> = (0..15).map(|i| (1000 + i, 10 * (i + 1), i.to_string())).collect();
    rows.push((1099, 500, "12x".into()));
    rows.push((1098, 170, "7".into()));
    let csv = std::iter::once("auction,price,code".to_string())
        .chain(rows.iter().map(|(a, p, c)| format!("{a},{p},{c}")))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let json = rows.iter().map(|(a, p, c)| format!("{{\"auction\": {a}, \"price\": {p}, \"code\": \"{c}\"}}\n")).collect();
    Input { csv, json }
}

/// The table `t` over `file` in `format` (`csv` or `json`), with `on_error` and a rejects file.
fn ddl(format: &str, on_error: &str) -> String {
    let (file, header) = if format == "csv" { ("t.csv", ", 'csv.header' = 'true'") } else { ("t.jsonl", "") };
    format!(
        "CREATE TABLE t (auction BIGINT, price BIGINT, code VARCHAR)\n  WITH ('connector' = 'file', 'path' = '{file}', \
         'format' = '{format}'{header}, '{format}.on-error' = '{on_error}', '{format}.rejects' = 'rejects.jsonl');\n"
    )
}

/// The bad row's line: after the CSV header, or the first line of JSON lines.
fn bad_line(format: &str) -> u64 {
    if format == "csv" { 17 } else { 16 }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixture {
    fn new(script: &str) -> Fixture {
        let tmp = tempfile::Builder::new().prefix("vstream-row-errors-").tempdir().expect("temporary folder");
        let dir = std::fs::canonicalize(tmp.path()).expect("canonical path");
        let data = input();
        std::fs::write(dir.join("q.sql"), script).expect("write q.sql");
        std::fs::write(dir.join("t.csv"), data.csv).expect("write t.csv");
        std::fs::write(dir.join("t.jsonl"), data.json).expect("write t.jsonl");
        Fixture { _tmp: tmp, dir }
    }

    /// Runs `vstream run q.sql` at `workers` workers with 64-byte chunks: (exit code, stdout, stderr).
    fn run(&self, workers: &str) -> (Option<i32>, String, String) {
        let _ = std::fs::remove_file(self.dir.join("rejects.jsonl"));
        let out = Command::new(env!("CARGO_BIN_EXE_vstream"))
            .args(["run", "q.sql", "-w", workers, "--chunk-size", "64"])
            .current_dir(&self.dir)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .output()
            .expect("cannot run vstream");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    }

    fn rejects(&self) -> String {
        std::fs::read_to_string(self.dir.join("rejects.jsonl")).expect("the rejects file")
    }
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text.lines().collect();
    v.sort_unstable();
    v
}

#[test]
fn a_failing_cast_names_the_file_line_and_column() {
    for format in ["csv", "json"] {
        let fx = Fixture::new(&format!("{}SELECT auction, CAST(code AS INT) + 1 AS n FROM t;\n", ddl(format, "fail")));
        let file = if format == "csv" { "t.csv" } else { "t.jsonl" };
        for workers in ["1", "2"] {
            let (code, _, stderr) = fx.run(workers);
            assert!(matches!(code, Some(c) if c != 0), "{format} -w {workers}: expected a failure:\n{stderr}");
            assert_eq!(
                stderr.lines().next().unwrap_or(""),
                format!(
                    "error: {file}:{}: query into `stdout`, column `n` (CAST(code AS INT) + 1): cannot cast \"12x\" to INT",
                    bad_line(format)
                ),
                "{format} -w {workers}:\n{stderr}"
            );
            assert!(!stderr.contains("vstream: "), "a failed run prints no summary:\n{stderr}");
        }
    }
}

#[test]
fn a_failing_where_clause_is_named_as_such() {
    let fx = Fixture::new(&format!("{}SELECT auction FROM t WHERE CAST(code AS INT) > 3;\n", ddl("csv", "fail")));
    for workers in ["1", "2"] {
        let (_, _, stderr) = fx.run(workers);
        assert_eq!(
            stderr.lines().next().unwrap_or(""),
            "error: t.csv:17: query into `stdout`, the WHERE clause (CAST(code AS INT) > 3): cannot cast \"12x\" to INT",
            "-w {workers}:\n{stderr}"
        );
    }
}

#[test]
fn a_row_the_filter_drops_does_not_fail() {
    // The bad row's price is 500: a WHERE that drops it computes nothing on it.
    let fx = Fixture::new(&format!("{}SELECT auction, CAST(code AS INT) AS n FROM t WHERE price < 200;\n", ddl("csv", "fail")));
    for workers in ["1", "2"] {
        let (code, stdout, stderr) = fx.run(workers);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(stdout.lines().count(), 1 + 16, "{stdout}");
    }
}

#[test]
fn skip_drops_counts_and_rejects_the_row() {
    for format in ["csv", "json"] {
        let fx = Fixture::new(&format!("{}SELECT auction, CAST(code AS INT) AS n FROM t WHERE price >= 140;\n", ddl(format, "skip")));
        let file = if format == "csv" { "t.csv" } else { "t.jsonl" };
        for workers in ["1", "2"] {
            let (code, stdout, stderr) = fx.run(workers);
            assert_eq!(code, Some(0), "{format} -w {workers}:\n{stderr}");
            // Rows in counts the row (it was read); rejected counts it too.
            let summary = stderr.lines().find(|l| l.starts_with("vstream: ")).unwrap_or_else(|| panic!("no summary:\n{stderr}"));
            assert!(summary.starts_with("vstream: 17 rows in, 3 rows out (stdout 3), 1 rejected, "), "{format} -w {workers}: {summary}");
            assert_eq!(sorted_lines(&stdout), vec!["1013,13", "1014,14", "1098,7", "auction,n"], "{format} -w {workers}");
            let rejects = fx.rejects();
            let lines: Vec<&str> = rejects.lines().collect();
            assert_eq!(lines.len(), 1, "one rejected row:\n{rejects}");
            let reject: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
            assert_eq!(reject["file"], file, "{rejects}");
            assert_eq!(reject["line"], bad_line(format), "{rejects}");
            assert_eq!(reject["error"], "query into `stdout`, column `n` (CAST(code AS INT)): cannot cast \"12x\" to INT", "{rejects}");
            let record = reject["record"].as_str().unwrap_or("");
            assert!(record.starts_with("1099,500,12x") || record.contains("\"code\": \"12x\""), "the bad line: {rejects}");
        }
    }
}

#[test]
fn skip_and_decode_rejects_are_counted_together() {
    // One line that does not decode (auction `10x7`) and one whose cast fails: two rejected.
    let fx = Fixture::new(&format!("{}SELECT auction, CAST(code AS INT) AS n FROM t;\n", ddl("csv", "skip")));
    let mut csv = input().csv;
    csv.push_str("10x7,5,3\n");
    std::fs::write(fx.dir.join("t.csv"), csv).expect("write t.csv");
    for workers in ["1", "2"] {
        let (code, stdout, stderr) = fx.run(workers);
        assert_eq!(code, Some(0), "{stderr}");
        let summary = stderr.lines().find(|l| l.starts_with("vstream: ")).unwrap_or_else(|| panic!("no summary:\n{stderr}"));
        assert!(summary.starts_with("vstream: 17 rows in, 16 rows out (stdout 16), 2 rejected, "), "-w {workers}: {summary}");
        assert_eq!(stdout.lines().count(), 17, "{stdout}");
        let rejects = fx.rejects();
        let mut lines: Vec<u64> =
            rejects.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["line"].as_u64().unwrap_or(0)).collect();
        lines.sort_unstable();
        assert_eq!(lines, vec![17, 19], "{rejects}");
    }
}

#[test]
fn an_aggregate_argument_is_named_by_its_expression() {
    // The cast is computed for SUM, in front of the aggregate: the row still has its place.
    let fx = Fixture::new(&format!("{}SELECT price, SUM(CAST(code AS INT)) AS total FROM t GROUP BY price;\n", ddl("csv", "fail")));
    for workers in ["1", "2"] {
        let (_, _, stderr) = fx.run(workers);
        assert_eq!(
            stderr.lines().next().unwrap_or(""),
            "error: t.csv:17: query into `stdout`, column `CAST(code AS INT)`: cannot cast \"12x\" to INT",
            "-w {workers}:\n{stderr}"
        );
    }
}

#[test]
fn a_change_event_is_named_by_its_line_and_an_update_is_skipped_whole() {
    let events = "{\"op\": \"c\", \"after\": {\"id\": 1, \"code\": \"10\"}}\n{\"op\": \"c\", \"after\": {\"id\": 2, \"code\": \"20\"}}\n\n\
                  {\"op\": \"u\", \"before\": {\"id\": 2, \"code\": \"20\"}, \"after\": {\"id\": 2, \"code\": \"2x\"}}\n";
    let script = |skip: &str| {
        format!(
            "CREATE TABLE t (id BIGINT, code VARCHAR) WITH ('connector' = 'file', 'path' = 'ev.jsonl', 'format' = 'debezium-json'{skip});\n\
             SELECT id, CAST(code AS INT) AS n FROM t;\n"
        )
    };
    let fx = Fixture::new(&script(""));
    std::fs::write(fx.dir.join("ev.jsonl"), events).expect("write ev.jsonl");
    let (_, _, stderr) = fx.run("1");
    assert_eq!(
        stderr.lines().next().unwrap_or(""),
        "error: ev.jsonl:4: query into `stdout`, column `n` (CAST(code AS INT)): cannot cast \"2x\" to INT",
        "{stderr}"
    );
    // Skipped, the update goes whole: id 2 keeps its old row (no -U without its +U).
    std::fs::write(fx.dir.join("q.sql"), script(", 'json.on-error' = 'skip'")).expect("write q.sql");
    let (code, stdout, stderr) = fx.run("1");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(sorted_lines(&stdout), vec!["1,10", "2,20", "id,n"], "{stderr}");
    assert!(stderr.contains(" 1 rejected, "), "{stderr}");
}
