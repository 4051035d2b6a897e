//! Rows dropped for lateness, as Flink judges them: by a window operator, against its own
//! frontier, per window. Which windows have fired when a late row arrives depends on how workers
//! interleave, so these cases run here, at `-w 1`, one input line per chunk and a pause between
//! chunks (`--chunk-size`, `--chunk-delay-ms`): the window operator then sees the watermark of each
//! line before the next one arrives, as a single Flink task reading the file in order does. The
//! cases that do not depend on it (rows behind the watermark kept by projections, GROUP BY and open
//! windows) are in tests/sql (`late_*.test`, `window_late_*.test`), run in all settings.
//!
//! Each test checks the rows written, the late sink, and the summary's count of late rows per
//! operator, named by its query (`query into `t``).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder holding `q.sql` and the inputs, the current directory of the run.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

/// What a run printed.
struct Output {
    stdout: String,
    stderr: String,
}

impl Fixture {
    fn new(script: &str, inputs: &[(&str, &str)]) -> Fixture {
        let tmp = tempfile::Builder::new().prefix("vstream-late-").tempdir().expect("temporary folder");
        let dir = std::fs::canonicalize(tmp.path()).expect("canonical path");
        std::fs::write(dir.join("q.sql"), script).expect("write q.sql");
        for (name, text) in inputs {
            std::fs::write(dir.join(name), text).expect("write an input");
        }
        Fixture { _tmp: tmp, dir }
    }

    /// Runs the script at one worker, one line per chunk (every line is longer than a chunk),
    /// pausing between chunks; fails the test unless it exits 0.
    fn run_in_order(&self) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_vstream"))
            .args(["run", "q.sql", "-w", "1", "--chunk-size", "12", "--chunk-delay-ms", "20"])
            .current_dir(&self.dir)
            .output()
            .expect("cannot run vstream");
        let output =
            Output { stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() };
        assert_eq!(out.status.code(), Some(0), "vstream failed:\n{}", output.stderr);
        output
    }

    /// The rows of a file sink's folder (its part files, each after its header line `header`),
    /// sorted.
    fn sink_rows(&self, folder: &str, header: &str) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.join(folder)).expect("sink folder").flatten().map(|e| e.path()).collect();
        names.sort();
        let mut rows = Vec::new();
        for p in names {
            rows.extend(read_after_header(&p, header));
        }
        rows.sort();
        rows
    }
}

fn read_after_header(path: &Path, header: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("part file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{} starts with another header", path.display());
    lines.map(str::to_string).collect()
}

/// The rows of stdout after its header line `header`, sorted.
fn stdout_rows(out: &Output, header: &str) -> Vec<String> {
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some(header), "stdout:\n{}", out.stdout);
    let mut rows: Vec<String> = lines.map(str::to_string).collect();
    rows.sort();
    rows
}

fn sorted(rows: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    v.sort();
    v
}

/// The summary line's late part, `, N late (...)`, or "" when it has none.
fn late_part(out: &Output) -> String {
    let line = out.stderr.lines().find(|l| l.starts_with("vstream: ")).unwrap_or_else(|| panic!("no summary line:\n{}", out.stderr));
    match line.find(" late (") {
        None => String::new(),
        Some(end) => {
            let start = line[..end].rfind(", ").expect("a late count follows a comma");
            let close = line[end..].find(')').map_or(line.len(), |c| end + c + 1);
            line[start..close].to_string()
        }
    }
}

/// A TUMBLE drops a row whose window has fired (the watermark, 1 s behind the largest time, has
/// passed its end) and counts it: after the block at 00:01:00 .. 00:01:03.5, rows at 00:00:04,
/// 00:00:25, 00:00:31, 00:00:10 and 00:00:09.999 are dropped, whether their window was emitted
/// (a, b in [0, 10)) or never had a row (b at 00:00:25, c). 00:01:02.6 and 00:01:02.5 are behind
/// the watermark's largest time by less than the delay, in the open [00:01:00, 00:01:10).
#[test]
fn tumble_drops_rows_of_fired_windows() {
    let input = "k,v,ts
a,1,2025-01-01 00:00:01.000
b,2,2025-01-01 00:00:03.000
a,3,2025-01-01 00:00:05.000
a,4,2025-01-01 00:00:12.000
a,10,2025-01-01 00:01:00.000
b,11,2025-01-01 00:01:00.500
a,12,2025-01-01 00:01:01.000
b,13,2025-01-01 00:01:01.500
a,14,2025-01-01 00:01:02.000
b,15,2025-01-01 00:01:02.500
a,16,2025-01-01 00:01:03.000
b,17,2025-01-01 00:01:03.500
a,100,2025-01-01 00:00:04.000
b,101,2025-01-01 00:00:25.000
c,102,2025-01-01 00:00:31.000
a,18,2025-01-01 00:01:02.600
b,19,2025-01-01 00:01:02.500
a,104,2025-01-01 00:00:10.000
c,105,2025-01-01 00:00:09.999
a,20,2025-01-01 00:01:10.000
";
    let fx = Fixture::new(
        "CREATE TABLE l (k VARCHAR, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'file', 'path' = 'l.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
",
        &[("l.csv", input)],
    );
    let out = fx.run_in_order();
    assert_eq!(
        stdout_rows(&out, "k,window_start,window_end,n,s"),
        sorted(&[
            "a,2025-01-01 00:00:00.000,2025-01-01 00:00:10.000,2,4",
            "a,2025-01-01 00:00:10.000,2025-01-01 00:00:20.000,1,4",
            "a,2025-01-01 00:01:00.000,2025-01-01 00:01:10.000,5,70",
            "a,2025-01-01 00:01:10.000,2025-01-01 00:01:20.000,1,20",
            "b,2025-01-01 00:00:00.000,2025-01-01 00:00:10.000,1,2",
            "b,2025-01-01 00:01:00.000,2025-01-01 00:01:10.000,5,75",
        ])
    );
    assert_eq!(late_part(&out), ", 5 late (query into `stdout` 5)", "{}", out.stderr);
    assert!(out.stderr.contains("20 rows in"), "late rows are still rows in:\n{}", out.stderr);
}

/// A HOP drops a row only from its fired windows and counts it in the open ones; a row none of
/// whose windows is open is dropped and counted. Zero delay, 30 s windows every 10 s. After 00:00:40
/// (watermark 40 s: windows ending at 10, 20, 30, 40 s have fired), a at 25 s counts only in
/// [20 s, 50 s) and is not late (a window took it); a at 1 s (windows ending 10, 20, 30 s) is.
#[test]
fn hop_counts_a_late_row_in_its_open_windows_only() {
    let input = "k,v,ts
a,1,2025-01-01 00:00:05.000
a,2,2025-01-01 00:00:12.000
a,3,2025-01-01 00:00:40.000
a,4,2025-01-01 00:00:25.000
a,5,2025-01-01 00:00:01.000
";
    let fx = Fixture::new(
        "CREATE TABLE h (k VARCHAR, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'file', 'path' = 'h.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT window_start, window_end, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(HOP(TABLE h, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '30' SECOND))
GROUP BY window_start, window_end;
",
        &[("h.csv", input)],
    );
    let out = fx.run_in_order();
    assert_eq!(
        stdout_rows(&out, "window_start,window_end,n,s"),
        sorted(&[
            "2024-12-31 23:59:40.000,2025-01-01 00:00:10.000,1,1",
            "2024-12-31 23:59:50.000,2025-01-01 00:00:20.000,2,3",
            "2025-01-01 00:00:00.000,2025-01-01 00:00:30.000,2,3",
            "2025-01-01 00:00:10.000,2025-01-01 00:00:40.000,1,2",
            "2025-01-01 00:00:20.000,2025-01-01 00:00:50.000,2,7",
            "2025-01-01 00:00:30.000,2025-01-01 00:01:00.000,1,3",
            "2025-01-01 00:00:40.000,2025-01-01 00:01:10.000,1,3",
        ])
    );
    assert_eq!(late_part(&out), ", 1 late (query into `stdout` 1)", "{}", out.stderr);
}

/// SESSION windows with a 1 s delay and 5 s allowed lateness, as Flink's merging window operator
/// judges rows: a's row at 6.5 s, behind the watermark, joins a's open session [0, 7) (a
/// correction to [0, 11.5)); after the block at 40 s .. 42.5 s (watermark 41.5 s), a's row at
/// 11 s would merge into [0, 11.5), whose end + 5 s has passed: that session was dropped, and the
/// row with it. c's at 37 s starts a session whose end + 5 s is still ahead: it counts.
#[test]
fn session_drops_a_row_whose_session_was_dropped() {
    let input = "k,v,ts
a,1,2025-01-01 00:00:00.000
a,2,2025-01-01 00:00:02.000
b,3,2025-01-01 00:00:08.000
c,4,2025-01-01 00:00:08.500
b,5,2025-01-01 00:00:09.000
c,6,2025-01-01 00:00:09.500
b,7,2025-01-01 00:00:10.000
c,8,2025-01-01 00:00:10.500
a,9,2025-01-01 00:00:06.500
b,10,2025-01-01 00:00:04.500
a,11,2025-01-01 00:00:40.000
b,12,2025-01-01 00:00:40.500
a,13,2025-01-01 00:00:41.000
b,14,2025-01-01 00:00:41.500
a,15,2025-01-01 00:00:42.000
b,16,2025-01-01 00:00:42.500
a,17,2025-01-01 00:00:11.000
c,18,2025-01-01 00:00:37.000
";
    let fx = Fixture::new(
        "CREATE TABLE als (k VARCHAR, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'file', 'path' = 'als.csv', 'format' = 'csv', 'csv.header' = 'true',
        'late.allowed-lateness' = '5 s');
CREATE TABLE sessions WITH ('connector' = 'file', 'path' = 'sessions', 'format' = 'csv', 'sink.mode' = 'upsert');
INSERT INTO sessions
SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(SESSION(TABLE als PARTITION BY k, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, k;
",
        &[("als.csv", input)],
    );
    let out = fx.run_in_order();
    assert_eq!(
        fx.sink_rows("sessions", "k,window_start,window_end,n,s"),
        sorted(&[
            "a,2025-01-01 00:00:00.000,2025-01-01 00:00:11.500,3,12",
            "a,2025-01-01 00:00:40.000,2025-01-01 00:00:47.000,3,39",
            "b,2025-01-01 00:00:04.500,2025-01-01 00:00:15.000,4,25",
            "b,2025-01-01 00:00:40.500,2025-01-01 00:00:47.500,3,42",
            "c,2025-01-01 00:00:08.500,2025-01-01 00:00:15.500,3,18",
            "c,2025-01-01 00:00:37.000,2025-01-01 00:00:42.000,1,18",
        ])
    );
    assert_eq!(late_part(&out), ", 1 late (query into `sessions` 1)", "{}", out.stderr);
}

/// Allowed lateness keeps a fired window open for corrections until the watermark passes its end
/// plus the lateness; a row after that is dropped. Zero delay, 10 s windows, 5 s lateness: a at
/// 3 s after 12 s corrects [0, 10) (10 + 5 > 12); a at 4 s after 21 s is dropped (10 + 5 <= 21).
/// The output is a changelog, written to an upsert sink: the final row per window.
#[test]
fn allowed_lateness_then_drop() {
    let input = "k,v,ts
a,1,2025-01-01 00:00:01.000
a,2,2025-01-01 00:00:12.000
a,3,2025-01-01 00:00:03.000
a,4,2025-01-01 00:00:21.000
a,5,2025-01-01 00:00:04.000
";
    let fx = Fixture::new(
        "CREATE TABLE al (k VARCHAR, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'file', 'path' = 'al.csv', 'format' = 'csv', 'csv.header' = 'true',
        'late.allowed-lateness' = '5 s');
CREATE TABLE totals WITH ('connector' = 'file', 'path' = 'totals', 'format' = 'csv', 'sink.mode' = 'upsert');
INSERT INTO totals
SELECT k, window_start, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(TUMBLE(TABLE al, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
",
        &[("al.csv", input)],
    );
    let out = fx.run_in_order();
    assert_eq!(
        fx.sink_rows("totals", "k,window_start,n,s"),
        sorted(&["a,2025-01-01 00:00:00.000,2,4", "a,2025-01-01 00:00:10.000,1,2", "a,2025-01-01 00:00:20.000,1,4",])
    );
    assert_eq!(late_part(&out), ", 1 late (query into `totals` 1)", "{}", out.stderr);
}

/// `'late.policy' = 'side-output'`: the late sink gets, with all the table's columns (NULLs as
/// NULLs), each row some window operator dropped, once, even when two queries dropped it, and no
/// row that no operator dropped. Zero delay; 10 s windows into `w10`, 1-minute windows into `w60`.
/// After 00:01:15: id 4 (00:00:05) is dropped by both; id 5 (00:01:05) only by `w10` ([60 s,
/// 70 s) has fired, [1 min, 2 min) is open); id 6 (00:01:14) is behind the watermark but in open
/// windows of both. After 00:02:30, id 8 (00:01:59.999) is dropped by both.
#[test]
fn side_output_gets_each_dropped_row_once() {
    let input = "id,k,price,ts
1,a,1.50,2025-01-01 00:00:01.000
2,b,,2025-01-01 00:00:04.000
3,a,2.00,2025-01-01 00:01:15.000
4,c,9.99,2025-01-01 00:00:05.000
5,,7.00,2025-01-01 00:01:05.000
6,a,0.50,2025-01-01 00:01:14.000
7,b,1.00,2025-01-01 00:02:30.000
8,a,3.00,2025-01-01 00:01:59.999
";
    let fx = Fixture::new(
        "CREATE TABLE so (id BIGINT, k VARCHAR, price DECIMAL(10,2), ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'file', 'path' = 'so.csv', 'format' = 'csv', 'csv.header' = 'true',
        'late.policy' = 'side-output', 'late.sink' = 'late_so');
CREATE TABLE late_so WITH ('connector' = 'file', 'path' = 'late_so', 'format' = 'csv');
CREATE TABLE w10 WITH ('connector' = 'file', 'path' = 'w10', 'format' = 'csv');
CREATE TABLE w60 WITH ('connector' = 'file', 'path' = 'w60', 'format' = 'csv');
INSERT INTO w10
SELECT k, window_start, COUNT(*) AS n, SUM(price) AS total
FROM TABLE(TUMBLE(TABLE so, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
INSERT INTO w60
SELECT k, window_start, COUNT(*) AS n, SUM(price) AS total
FROM TABLE(TUMBLE(TABLE so, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, k;
",
        &[("so.csv", input)],
    );
    let out = fx.run_in_order();
    assert_eq!(
        fx.sink_rows("late_so", "id,k,price,ts"),
        sorted(&["4,c,9.99,2025-01-01 00:00:05.000", "5,,7.00,2025-01-01 00:01:05.000", "8,a,3.00,2025-01-01 00:01:59.999"])
    );
    assert_eq!(
        fx.sink_rows("w10", "k,window_start,n,total"),
        sorted(&[
            "a,2025-01-01 00:00:00.000,1,1.50",
            "b,2025-01-01 00:00:00.000,1,",
            "a,2025-01-01 00:01:10.000,2,2.50",
            "b,2025-01-01 00:02:30.000,1,1.00",
        ])
    );
    assert_eq!(
        fx.sink_rows("w60", "k,window_start,n,total"),
        sorted(&[
            "a,2025-01-01 00:00:00.000,1,1.50",
            "b,2025-01-01 00:00:00.000,1,",
            "a,2025-01-01 00:01:00.000,2,2.50",
            ",2025-01-01 00:01:00.000,1,7.00",
            "b,2025-01-01 00:02:00.000,1,1.00",
        ])
    );
    assert_eq!(late_part(&out), ", 5 late (query into `w10` 3, query into `w60` 2)", "{}", out.stderr);
    // The late sink's rows are counted as written, once each.
    assert!(out.stderr.contains("late_so 3"), "{}", out.stderr);
}
