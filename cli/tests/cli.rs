//! The `vstream` binary as a user meets it: exit codes, the summary line, CSV on a pipe, and one
//! test per error a user can make, each checking the exact message and that no panic or
//! backtrace text reaches the terminal.
//!
//! Every test runs the real binary in a fresh folder holding its script (`q.sql`) and inputs, with
//! that folder as the current directory, so messages name files as the user wrote them.

use std::path::{Path, PathBuf};
use std::process::Command;

const BID_DDL: &str = "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
";

const HEADER: &str = "auction,bidder,price,channel,url,date_time,extra";

/// 15 good bid lines (file lines 2..=16), auctions 1000..=1014, price = 10 * (i + 1).
fn good_rows() -> Vec<String> {
    (0..15)
        .map(|i| {
            format!("{},{},{},Google,https://nexmark.com/{i},2025-01-01 00:00:00.{:03},x{i}", 1000 + i, 2000 + i % 3, 10 * (i + 1), i * 7)
        })
        .collect()
}

fn bids_csv(extra_lines: &[&str]) -> String {
    let mut lines = vec![HEADER.to_string()];
    lines.extend(good_rows());
    lines.extend(extra_lines.iter().map(|s| s.to_string()));
    lines.join("\n") + "\n"
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixture {
    /// A folder with `q.sql` (`script`) and `bids.csv` (`bids`, unless `None`).
    fn new(script: &str, bids: Option<&str>) -> Fixture {
        let tmp = tempfile::Builder::new().prefix("vstream-cli-").tempdir().expect("temporary folder");
        let dir = std::fs::canonicalize(tmp.path()).expect("canonical path");
        std::fs::write(dir.join("q.sql"), script).expect("write q.sql");
        if let Some(b) = bids {
            std::fs::write(dir.join("bids.csv"), b).expect("write bids.csv");
        }
        Fixture { _tmp: tmp, dir }
    }

    fn vstream(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_vstream"))
            .args(args)
            .current_dir(&self.dir)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .output()
            .expect("cannot run vstream");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

#[derive(Debug)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Output {
    fn assert_no_panic(&self) {
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!self.stderr.contains(bad), "stderr holds `{bad}`:\n{}", self.stderr);
        }
    }

    fn assert_ok(&self) {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "expected success; stderr:\n{}", self.stderr);
    }

    /// A failed run: a non-zero exit code, no panic, and `first_line` as the first line of stderr.
    fn assert_error(&self, first_line: &str) {
        self.assert_no_panic();
        assert!(matches!(self.code, Some(c) if c != 0), "expected a failure exit code, got {:?}; stderr:\n{}", self.code, self.stderr);
        assert_eq!(self.stderr.lines().next().unwrap_or(""), first_line, "whole stderr:\n{}", self.stderr);
    }

    /// The summary line (`vstream: N rows in, ...`), if stderr has one.
    fn summary(&self) -> Option<&str> {
        self.stderr.lines().find(|l| l.starts_with("vstream: "))
    }
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text.lines().collect();
    v.sort_unstable();
    v
}

fn read_parts(dir: &Path) -> Vec<String> {
    let mut rows = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).expect("sink folder").flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).expect("part file");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("auction,price"), "{} has no header line", p.display());
        rows.extend(lines.map(str::to_string));
    }
    rows.sort();
    rows
}

// ---------------------------------------------------------------------------------------------
// Successful runs
// ---------------------------------------------------------------------------------------------

#[test]
fn run_exits_zero_and_prints_the_summary() {
    let script = format!(
        "{BID_DDL}CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');
INSERT INTO out SELECT auction, price FROM bid WHERE price > 100;\n"
    );
    let fx = Fixture::new(&script, Some(&bids_csv(&[])));
    for workers in ["1", "2"] {
        let out = fx.vstream(&["run", "q.sql", "-w", workers]);
        out.assert_ok();
        let summary = out.summary().unwrap_or_else(|| panic!("no summary line in stderr:\n{}", out.stderr));
        assert!(summary.starts_with("vstream: 15 rows in, 5 rows out (out 5), 0 rejected, "), "unexpected summary: {summary}");
        let unit = if workers == "1" { " 1 worker" } else { " 2 workers" };
        assert!(summary.ends_with(unit) && summary.contains(" events/s, "), "unexpected summary: {summary}");
        assert_eq!(out.stdout, "", "an INSERT-only script prints nothing on stdout");
        assert_eq!(read_parts(&fx.path("out")), vec!["1010,110", "1011,120", "1012,130", "1013,140", "1014,150"]);
    }
}

#[test]
fn quiet_prints_no_summary() {
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction FROM bid WHERE price = 10;\n"), Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "--quiet", "q.sql"]);
    out.assert_ok();
    assert_eq!(out.stderr, "", "--quiet must print nothing on stderr");
    assert_eq!(out.stdout, "auction\n1000\n");
    let out = fx.vstream(&["run", "-q", "q.sql"]);
    out.assert_ok();
    assert_eq!(out.stderr, "");
}

#[test]
fn bare_select_prints_csv_to_a_pipe() {
    let fx = Fixture::new(
        &format!("{BID_DDL}SELECT auction, 0.908 * price AS usd, date_time FROM bid WHERE auction < 1003;\n"),
        Some(&bids_csv(&[])),
    );
    let out = fx.vstream(&["run", "q.sql"]);
    out.assert_ok();
    assert_eq!(
        out.stdout,
        "auction,usd,date_time\n1000,9.080,2025-01-01 00:00:00.000\n1001,18.160,2025-01-01 00:00:00.007\n1002,27.240,2025-01-01 00:00:00.014\n"
    );
    assert!(out.summary().is_some_and(|s| s.starts_with("vstream: 15 rows in, 3 rows out (stdout 3), 0 rejected, ")), "{}", out.stderr);
    // Several workers: same rows, in some order, after the one header line.
    let out = fx.vstream(&["run", "q.sql", "-w", "3", "--quiet"]);
    out.assert_ok();
    assert_eq!(out.stdout.lines().next(), Some("auction,usd,date_time"));
    assert_eq!(
        sorted_lines(&out.stdout),
        vec![
            "1000,9.080,2025-01-01 00:00:00.000",
            "1001,18.160,2025-01-01 00:00:00.007",
            "1002,27.240,2025-01-01 00:00:00.014",
            "auction,usd,date_time"
        ]
    );
}

#[test]
fn explain_prints_both_plans_and_dot() {
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;\n"), None);
    let out = fx.vstream(&["explain", "q.sql"]);
    out.assert_ok();
    assert!(out.stdout.starts_with("== logical plan ==\nSink stdout (auction BIGINT, price BIGINT)\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "== dataflow on 1 process x 1 worker ==\n0 Source bid: file path=bids.csv format=csv; columns [auction, price] of 7;"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("== edges ==\n0 -> 1: pipeline: rows stay on their worker\n1 -> 2: gather to worker 0: stays on the one worker\n"),
        "{}",
        out.stdout
    );
    // On a cluster: the hostfile's lines are the processes; the gather crosses them.
    std::fs::write(fx.path("hosts.txt"), "127.0.0.1:2101\n127.0.0.1:2102\n127.0.0.1:2103\n").expect("write hosts.txt");
    let out = fx.vstream(&["explain", "q.sql", "--hostfile", "hosts.txt", "--processes", "2", "-w", "4"]);
    out.assert_ok();
    assert!(out.stdout.contains("== dataflow on 2 processes x 4 workers = 8 workers ==\n"), "{}", out.stdout);
    assert!(out.stdout.contains("1 -> 2: gather to worker 0: crosses processes"), "{}", out.stdout);
    let out = fx.vstream(&["explain", "--dot", "q.sql"]);
    out.assert_ok();
    assert!(out.stdout.starts_with("digraph vstream {") && out.stdout.trim_end().ends_with('}'), "{}", out.stdout);
}

#[test]
fn skip_policy_counts_and_keeps_the_rejected_line() {
    let script = "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true',
        'csv.on-error' = 'skip', 'csv.rejects' = 'rejects.jsonl');
SELECT auction, price FROM bid WHERE price >= 140;
";
    let bad = "1099,2001,12x,Google,https://nexmark.com/bad,2025-01-01 00:00:00.500,bad";
    let fx = Fixture::new(script, Some(&bids_csv(&[bad, "1098,2001,170,Apple,https://nexmark.com/x,2025-01-01 00:00:00.600,ok"])));
    for workers in ["1", "2"] {
        let out = fx.vstream(&["run", "q.sql", "-w", workers, "--chunk-size", "100"]);
        out.assert_ok();
        let summary = out.summary().unwrap_or_else(|| panic!("no summary:\n{}", out.stderr));
        assert!(summary.starts_with("vstream: 16 rows in, 3 rows out (stdout 3), 1 rejected, "), "{summary}");
        assert_eq!(sorted_lines(&out.stdout), vec!["1013,140", "1014,150", "1098,170", "auction,price"]);
        let rejects = std::fs::read_to_string(fx.path("rejects.jsonl")).expect("the rejects file");
        let lines: Vec<&str> = rejects.lines().collect();
        assert_eq!(lines.len(), 1, "one rejected record:\n{rejects}");
        assert!(lines[0].contains(&format!("\"record\":\"{bad}\"")), "the rejects file must hold the bad line:\n{rejects}");
        assert!(lines[0].contains("\"line\":17"), "{rejects}");
        assert!(lines[0].contains(r#""error":"column `price`: cannot parse \"12x\" as BIGINT""#), "{rejects}");
    }
}

#[test]
fn paths_start_at_the_script_folder() {
    // The script lives in sub/ and is run from its parent: its relative paths start in sub/, and
    // messages name files relative to the current folder.
    let fx = Fixture::new("", None);
    std::fs::create_dir(fx.path("sub")).expect("mkdir sub");
    std::fs::write(fx.path("sub/bids.csv"), bids_csv(&[])).expect("write bids");
    std::fs::write(
        fx.path("sub/q.sql"),
        format!("{BID_DDL}CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');\nINSERT INTO out SELECT auction, price FROM bid WHERE price > 140;\n"),
    )
    .expect("write script");
    fx.vstream(&["run", "sub/q.sql", "--quiet"]).assert_ok();
    assert_eq!(read_parts(&fx.path("sub/out")), vec!["1014,150"]);
    assert!(!fx.path("out").exists(), "the sink must be written next to the script, not in the current folder");

    std::fs::write(fx.path("sub/bids.csv"), bids_csv(&["1099,2001,12x,Google,u,2025-01-01 00:00:00.500,bad"])).expect("write bids");
    fx.vstream(&["run", "sub/q.sql"]).assert_error("error: sub/bids.csv:17: column `price`: cannot parse \"12x\" as BIGINT");
    std::fs::remove_file(fx.path("sub/bids.csv")).expect("rm bids");
    fx.vstream(&["run", "sub/q.sql"]).assert_error("error: cannot read sub/bids.csv: No such file or directory (os error 2)");
}

#[test]
fn sink_that_cannot_be_created() {
    let script = format!(
        "{BID_DDL}CREATE TABLE out WITH ('connector' = 'file', 'path' = 'bids.csv/out', 'format' = 'csv');
INSERT INTO out SELECT auction FROM bid;\n"
    );
    let out = Fixture::new(&script, Some(&bids_csv(&[]))).vstream(&["run", "q.sql"]);
    out.assert_error("error: cannot prepare sink `out` at bids.csv/out: Not a directory (os error 20)");
}

#[test]
fn rejects_file_that_cannot_be_created() {
    let script = "CREATE TABLE bid (auction BIGINT, price BIGINT)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true',
        'csv.on-error' = 'skip', 'csv.rejects' = 'bids.csv/rejects.jsonl');
SELECT auction FROM bid;\n";
    let out = Fixture::new(script, Some("auction,price\n1,2\n")).vstream(&["run", "q.sql"]);
    out.assert_error("error: cannot create the rejects file bids.csv/rejects.jsonl: Not a directory (os error 20)");
}

// ---------------------------------------------------------------------------------------------
// Errors: one per mistake a user can make
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_input_file() {
    let script = "CREATE TABLE t (a INT) WITH ('connector' = 'file', 'path' = 'nope.csv', 'format' = 'csv');\nSELECT a FROM t;\n";
    let fx = Fixture::new(script, None);
    let out = fx.vstream(&["run", "q.sql"]);
    out.assert_error("error: cannot read nope.csv: No such file or directory (os error 2)");
    assert_eq!(out.stderr.lines().count(), 1, "one line:\n{}", out.stderr);
    assert_eq!(out.stdout, "", "nothing runs, so nothing prints");
}

#[test]
fn unknown_connector() {
    let script = "CREATE TABLE t (a INT) WITH ('connector' = 'kafak', 'path' = 'x');\nSELECT a FROM t;\n";
    let out = Fixture::new(script, None).vstream(&["run", "q.sql"]);
    out.assert_error("error: unknown connector 'kafak'; did you mean 'kafka'? known connectors: file, kafka, blackhole, print");
    assert!(out.stderr.contains("  --> q.sql:1:30\n"), "{}", out.stderr);
}

#[test]
fn unknown_option_with_hint() {
    let script = "CREATE TABLE t (a INT) WITH ('connector' = 'file', 'path' = 'x', 'csv.heder' = 'true');\nSELECT a FROM t;\n";
    let out = Fixture::new(script, None).vstream(&["run", "q.sql"]);
    out.assert_error("error: unknown option 'csv.heder' for connector 'file'; did you mean 'csv.header'?");
    assert!(out.stderr.contains("  --> q.sql:1:66\n"), "{}", out.stderr);
}

#[test]
fn type_mismatch_in_insert() {
    let script = format!(
        "{BID_DDL}CREATE TABLE out (id BIGINT, amount BIGINT) WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');
INSERT INTO out SELECT auction, channel FROM bid;\n"
    );
    let out = Fixture::new(&script, Some(&bids_csv(&[]))).vstream(&["run", "q.sql"]);
    out.assert_error("error: column `amount` of `out` is BIGINT but the query gives VARCHAR (`channel`); CAST the value to BIGINT");
    assert!(out.stderr.contains("  --> q.sql:5:17\n"), "{}", out.stderr);
}

#[test]
fn sql_error_points_at_line_and_column() {
    let script = format!("{BID_DDL}SELECT auction, bidder, channel, pricee FROM bid;\n");
    let out = Fixture::new(&script, Some(&bids_csv(&[]))).vstream(&["run", "q.sql"]);
    out.assert_error("error: unknown column `pricee` in `bid`; did you mean `price`?");
    assert_eq!(
        out.stderr,
        "error: unknown column `pricee` in `bid`; did you mean `price`?
  --> q.sql:4:34
  |
4 | SELECT auction, bidder, channel, pricee FROM bid;
  |                                  ^^^^^^
"
    );
}

#[test]
fn malformed_row_under_the_fail_policy() {
    let bad = "1099,2001,12x,Google,https://nexmark.com/bad,2025-01-01 00:00:00.500,bad";
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction, price FROM bid;\n"), Some(&bids_csv(&[bad])));
    for workers in ["1", "2"] {
        let out = fx.vstream(&["run", "q.sql", "-w", workers, "--chunk-size", "64"]);
        out.assert_error("error: bids.csv:17: column `price`: cannot parse \"12x\" as BIGINT");
        assert!(out.summary().is_none(), "a failed run prints no summary:\n{}", out.stderr);
    }
}

#[test]
fn wrong_field_count() {
    let fx = Fixture::new(
        &format!("{BID_DDL}SELECT auction FROM bid;\n"),
        Some(&bids_csv(&["1099,2001,5,Google,https://nexmark.com/bad,2025-01-01 00:00:00.500"])),
    );
    fx.vstream(&["run", "q.sql"]).assert_error("error: bids.csv:17: expected 7 fields, found 6");
}

#[test]
fn unparsable_timestamp() {
    let fx = Fixture::new(
        &format!("{BID_DDL}SELECT auction, date_time FROM bid;\n"),
        Some(&bids_csv(&["1099,2001,5,Google,https://nexmark.com/bad,2025-01-01 25:00:00,bad"])),
    );
    fx.vstream(&["run", "q.sql"])
        .assert_error("error: bids.csv:17: column `date_time`: cannot parse \"2025-01-01 25:00:00\" as TIMESTAMP(3)");
}

#[test]
fn script_that_is_not_sql() {
    let out = Fixture::new("CREATE TABLE t (a INT) WITH ('connector' = 'blackhole');\nSELEC a FROM t;\n", None).vstream(&["run", "q.sql"]);
    out.assert_error("error: syntax error: Expected: an SQL statement, found: SELEC");
    assert!(out.stderr.contains("  --> q.sql:2:1\n"), "{}", out.stderr);
    let out = Fixture::new("this is not SQL at all", None).vstream(&["run", "q.sql"]);
    out.assert_no_panic();
    assert!(out.stderr.starts_with("error: syntax error: "), "{}", out.stderr);
    assert_ne!(out.code, Some(0));
}

#[test]
fn runtime_expression_error() {
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction, CAST(extra AS INT) AS n FROM bid;\n"), Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "q.sql"]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    let first = out.stderr.lines().next().unwrap_or("");
    assert!(first.starts_with("error: ") && first.ends_with("cannot cast \"x0\" to INT"), "{}", out.stderr);
}

#[test]
fn nonexistent_script() {
    let fx = Fixture::new("", None);
    let out = fx.vstream(&["run", "nothere.sql"]);
    out.assert_error("error: cannot read nothere.sql: No such file or directory (os error 2)");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    fx.vstream(&["explain", "nothere.sql"]).assert_error("error: cannot read nothere.sql: No such file or directory (os error 2)");
}

#[test]
fn zero_workers_rejected_by_clap() {
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction FROM bid;\n"), Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "q.sql", "-w", "0"]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "clap's usage error code; stderr:\n{}", out.stderr);
    assert!(out.stderr.starts_with("error: invalid value '0' for '--workers <WORKERS>'"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn empty_script_has_no_query() {
    let out = Fixture::new("-- nothing here\n", None).vstream(&["run", "q.sql"]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.starts_with("error: the script has no query"), "{}", out.stderr);
}

/// A GROUP BY on stdout: the current result when the input ends, or with `--changelog` the
/// changes; `--set emit.interval=N` bounds how many input rows an update may lag.
#[test]
fn group_by_on_stdout_result_changelog_and_emit_interval() {
    let csv = "k,v\na,1\nb,2\na,3\n";
    let script = "CREATE TABLE t (k VARCHAR, v BIGINT)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT k, SUM(v) AS s FROM t GROUP BY k;\n";
    let fx = Fixture::new(script, Some(csv));
    let out = fx.vstream(&["run", "q.sql", "--quiet"]);
    out.assert_ok();
    assert_eq!(sorted_lines(&out.stdout), vec!["a,4", "b,2", "k,s"]);
    // One input row per epoch: every change shows, in order.
    let out = fx.vstream(&["run", "q.sql", "--quiet", "--changelog", "--set", "emit.interval=1"]);
    out.assert_ok();
    assert_eq!(out.stdout, "op,k,s\n+I,a,1\n+I,b,2\n-U,a,1\n+U,a,4\n");
    // The whole (one-chunk) input as one epoch: one row per key.
    let out = fx.vstream(&["run", "q.sql", "--quiet", "--changelog"]);
    out.assert_ok();
    assert_eq!(sorted_lines(&out.stdout), vec!["+I,a,4", "+I,b,2", "op,k,s"]);
}

/// `SELECT ... LIMIT n` over a large file: n rows of the file come out, and once the limit is
/// reached the sources stop, so only a small part of the file is read (the summary's rows in).
#[test]
fn limit_stops_reading_a_large_file() {
    const ROWS: u64 = 2_000_000;
    let mut csv = String::with_capacity(ROWS as usize * 12);
    csv.push_str("k,v\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{i},{}\n", i % 7));
    }
    let script = "CREATE TABLE t (k BIGINT, v INT)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT k, v FROM t LIMIT 10;\n";
    let fx = Fixture::new(script, Some(&csv));
    for workers in ["1", "3"] {
        // 20 ms between chunks: reading all of the file's ~45 chunks would take about a second
        // per worker, so even a busy machine stops well before the end.
        let out = fx.vstream(&["run", "q.sql", "-w", workers, "--chunk-delay-ms", "20"]);
        out.assert_ok();
        let mut lines = out.stdout.lines();
        assert_eq!(lines.next(), Some("k,v"));
        let rows: Vec<(u64, u64)> = lines
            .map(|l| {
                let (k, v) = l.split_once(',').unwrap_or_else(|| panic!("not a row: {l}"));
                (k.parse().unwrap_or(u64::MAX), v.parse().unwrap_or(u64::MAX))
            })
            .collect();
        assert_eq!(rows.len(), 10, "{}", out.stdout);
        assert!(rows.iter().all(|(k, v)| *k < ROWS && *v == k % 7), "rows not from the file: {rows:?}");
        let summary = out.summary().unwrap_or_else(|| panic!("no summary line in stderr:\n{}", out.stderr));
        let rows_in: u64 = summary.trim_start_matches("vstream: ").split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
        assert!(rows_in < ROWS / 4, "reading did not stop at the limit: {summary}");
    }
}

/// TUMBLE over a PROCTIME() column while the input is read slowly (a chunk every 100 ms, about
/// two seconds in all): rows fall into the one-second windows of the wall clock as they are
/// read, so there are several windows, and together they count every row once.
#[test]
fn proctime_windows_follow_the_wall_clock() {
    let mut csv = String::from("k,v\n");
    for i in 0..60 {
        csv.push_str(&format!("a,{}\n", i % 10));
    }
    let script = "CREATE TABLE t (k VARCHAR, v INT, pt AS PROCTIME())
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(pt), INTERVAL '1' SECOND))
GROUP BY window_start, window_end;\n";
    let fx = Fixture::new(script, Some(&csv));
    let out = fx.vstream(&["run", "q.sql", "--quiet", "--chunk-size", "16", "--chunk-delay-ms", "100"]);
    out.assert_ok();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("window_start,n"));
    let windows: Vec<(String, u64)> = lines
        .map(|l| {
            let (start, n) = l.split_once(',').unwrap_or_else(|| panic!("not a row: {l}"));
            (start.to_string(), n.parse().unwrap_or(0))
        })
        .collect();
    assert!(windows.len() >= 2, "expected the rows spread over several one-second windows: {windows:?}");
    assert_eq!(windows.iter().map(|(_, n)| n).sum::<u64>(), 60, "{windows:?}");
    let mut starts: Vec<&String> = windows.iter().map(|(s, _)| s).collect();
    starts.sort();
    starts.dedup();
    assert_eq!(starts.len(), windows.len(), "a window came out twice: {windows:?}");
}

/// ORDER BY the event time, then a second key: rows read out of order (within the watermark's
/// delay), by one worker or several, come out on stdout in key order.
#[test]
fn order_by_event_time_releases_rows_in_order() {
    let mut csv = String::from("ts,v\n");
    // Seconds 0..40 shuffled within blocks of 4 (the watermark trails by 5 s), two rows each.
    for block in 0..10 {
        for s in [3, 1, 0, 2] {
            let sec = block * 4 + s;
            csv.push_str(&format!("2025-01-01 00:00:{sec:02},{}\n2025-01-01 00:00:{sec:02},{}\n", sec % 3, 10 + sec % 5));
        }
    }
    let script = "CREATE TABLE t (ts TIMESTAMP(3), v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT ts, v FROM t ORDER BY ts, v DESC;\n";
    let fx = Fixture::new(script, Some(&csv));
    for workers in ["1", "2"] {
        let out = fx.vstream(&["run", "q.sql", "--quiet", "-w", workers, "--chunk-size", "64"]);
        out.assert_ok();
        let rows: Vec<(String, i64)> = out
            .stdout
            .lines()
            .skip(1)
            .map(|l| {
                let (ts, v) = l.split_once(',').unwrap_or_else(|| panic!("not a row: {l}"));
                (ts.to_string(), v.parse().unwrap_or(i64::MIN))
            })
            .collect();
        assert_eq!(rows.len(), 80, "{}", out.stdout);
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        assert_eq!(rows, sorted, "-w {workers}: rows not in (ts, v DESC) order");
    }
}

#[test]
fn bad_settings_are_refused() {
    let fx = Fixture::new(&format!("{BID_DDL}SELECT auction FROM bid;\n"), Some(&bids_csv(&[])));
    fx.vstream(&["run", "q.sql", "--set", "emit.interval=0"])
        .assert_error("error: --set emit.interval=0: expected a positive number of rows (e.g. 10000)");
    fx.vstream(&["run", "q.sql", "--set", "emit.lag=3"])
        .assert_error("error: --set emit.lag: unknown setting (known: emit.interval, emit.mode)");
    fx.vstream(&["run", "q.sql", "--set", "emit.interval"]).assert_error("error: --set emit.interval: expected KEY=VALUE");
}

#[test]
fn overflow_mid_epoch_then_more_input() {
    // The overflow comes at the third row of a three-row epoch; the next epoch must not reuse
    // the failed epoch's half-built partial states (it once indexed rows that were not there).
    let fx = Fixture::new(
        "CREATE TABLE t (k VARCHAR, d DECIMAL(38,0))\n  WITH ('connector' = 'file', 'path' = 't.csv', 'format' = 'csv', \
         'csv.header' = 'true');\nSELECT k, SUM(d) AS s FROM t GROUP BY k;\n",
        None,
    );
    let big = "99999999999999999999999999999999999999";
    std::fs::write(fx.path("t.csv"), format!("k,d\nbig,{big}\nok,5\nbig,1\nok,-{big}\n")).expect("write t.csv");
    for interval in ["1", "2", "3"] {
        let out = fx.vstream(&["run", "q.sql", "--set", &format!("emit.interval={interval}")]);
        out.assert_error("error: query into `stdout`: SUM overflows DECIMAL(38, 0) for the group ('big')");
        assert!(!out.stderr.contains("internal error"), "{}", out.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Flink script statements
// ---------------------------------------------------------------------------------------------

#[test]
fn statement_sets_run_their_inserts_as_one_job() {
    let script = format!(
        "{BID_DDL}CREATE TABLE cheap WITH ('connector' = 'file', 'path' = 'cheap', 'format' = 'csv');
CREATE TABLE dear WITH ('connector' = 'file', 'path' = 'dear', 'format' = 'csv');
EXECUTE STATEMENT SET BEGIN
INSERT INTO cheap SELECT auction, price FROM bid WHERE price <= 20;
INSERT INTO dear SELECT auction, price FROM bid WHERE price >= 150;
END;
BEGIN STATEMENT SET;
INSERT INTO cheap SELECT auction, price FROM bid WHERE price = 30;
END;\n"
    );
    let fx = Fixture::new(&script, Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "q.sql", "-w", "2"]);
    out.assert_ok();
    assert!(out.summary().is_some_and(|s| s.contains("(cheap 3, dear 1)")), "{}", out.stderr);
    assert_eq!(read_parts(&fx.path("cheap")), vec!["1000,10", "1001,20", "1002,30"]);
    assert_eq!(read_parts(&fx.path("dear")), vec!["1014,150"]);
}

#[test]
fn statement_set_holds_only_inserts() {
    let script = format!("{BID_DDL}EXECUTE STATEMENT SET BEGIN\nSELECT auction FROM bid;\nEND;\n");
    let fx = Fixture::new(&script, Some(&bids_csv(&[])));
    fx.vstream(&["run", "q.sql"]).assert_error(
        "error: a statement set holds only INSERT INTO statements; declare tables and views and SET keys before the statement set",
    );
}

#[test]
fn set_parallelism_default_picks_the_workers_unless_w_is_given() {
    let script = format!(
        "SET 'parallelism.default' = '2';\nSET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.state.ttl' = '1 h';\n{BID_DDL}SELECT auction FROM bid WHERE price = 10;\n"
    );
    let fx = Fixture::new(&script, Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "q.sql"]);
    out.assert_ok();
    assert!(out.summary().is_some_and(|s| s.ends_with(" 2 workers")), "{}", out.stderr);
    assert_eq!(
        out.stderr.lines().next(),
        Some("notice: SET 'table.exec.mini-batch.enabled' is a Flink setting that means nothing to vstream; ignored")
    );
    assert_eq!(out.stdout, "auction\n1000\n");
    let out = fx.vstream(&["run", "q.sql", "-w", "3"]);
    out.assert_ok();
    assert!(out.summary().is_some_and(|s| s.ends_with(" 3 workers")), "{}", out.stderr);
    let out = fx.vstream(&["explain", "q.sql"]);
    out.assert_ok();
    assert!(out.stdout.contains("== dataflow on 1 process x 2 workers =="), "{}", out.stdout);
}

#[test]
fn set_unknown_key_names_the_closest() {
    let fx = Fixture::new(&format!("SET 'parallelism.defualt' = '2';\n{BID_DDL}SELECT auction FROM bid;\n"), Some(&bids_csv(&[])));
    fx.vstream(&["run", "q.sql"]).assert_error("error: unknown setting 'parallelism.defualt'; did you mean `parallelism.default`?");
}

#[test]
fn explain_in_a_script_prints_the_plan_instead_of_running() {
    let script = format!(
        "{BID_DDL}CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');
EXPLAIN SELECT auction FROM bid UNION ALL SELECT bidder FROM bid;
EXPLAIN PLAN FOR INSERT INTO out SELECT auction, price FROM bid;\n"
    );
    let fx = Fixture::new(&script, Some(&bids_csv(&[])));
    let out = fx.vstream(&["run", "q.sql", "-w", "2"]);
    out.assert_ok();
    assert_eq!(out.stdout.matches("== logical plan ==").count(), 2, "{}", out.stdout);
    assert!(out.stdout.contains("Union all inputs=2") && out.stdout.contains("Sink out ("), "{}", out.stdout);
    assert!(out.stdout.contains("== dataflow on 1 process x 2 workers =="), "{}", out.stdout);
    assert!(!fx.path("out").exists(), "an EXPLAINed INSERT must not run");
}
