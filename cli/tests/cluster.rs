//! Cluster mode on loopback: several `vstream run --hostfile` processes give exactly the
//! single-process result, and every fault (a missing peer, a killed peer, a different script, a
//! wrong secret) ends each process within seconds with an error that names it.
//!
//! Ports are found by binding port 0, so these tests run in parallel with each other.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: u64 = 20_000;
const SEED: u64 = 7;
const SECRET: &str = "test-secret";
/// Every fault must end a process within this long.
const FAULT_LIMIT: Duration = Duration::from_secs(30);

/// q2, qagg and q5t of bench/sql on one table (reading `path`), each into its own CSV sink,
/// plus q2 to stdout.
fn script(path: &str) -> String {
    format!(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = '{path}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE q2 WITH ('connector' = 'file', 'path' = 'out/q2', 'format' = 'csv');
CREATE TABLE qagg WITH ('connector' = 'file', 'path' = 'out/qagg', 'format' = 'csv');
CREATE TABLE q5t WITH ('connector' = 'file', 'path' = 'out/q5t', 'format' = 'csv');
INSERT INTO q2 SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
INSERT INTO qagg SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction;
INSERT INTO q5t SELECT window_start, window_end, auction, COUNT(*) AS bids
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, auction;
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
"
    )
}

/// A folder with the bid data and `q.sql`.
struct Dir {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

fn setup(rows: u64) -> Dir {
    let tmp = tempfile::Builder::new().prefix("vstream-cluster-").tempdir().expect("temporary folder");
    let path = std::fs::canonicalize(tmp.path()).expect("canonical path");
    let file = std::fs::File::create(path.join("bids.csv")).expect("create bids.csv");
    vstream_bench::write_bids(rows, SEED, std::io::BufWriter::new(file)).expect("write bids.csv");
    std::fs::write(path.join("q.sql"), script("bids.csv")).expect("write q.sql");
    Dir { _tmp: tmp, path }
}

/// `n` free loopback ports (bound to port 0, then released).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port")).collect();
    listeners.iter().map(|l| l.local_addr().expect("local address").port()).collect()
}

fn write_hostfile(dir: &Path, name: &str, ports: &[u16]) -> PathBuf {
    let text: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the hostfile");
    path
}

/// The binary, with the tests' secret. Scripts are given by absolute path (their files are
/// relative to their folder), so no child needs a current folder of its own.
fn vstream(_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vstream"));
    cmd.env_remove("RUST_BACKTRACE").env("VSTREAM_CLUSTER_SECRET", SECRET);
    cmd
}

/// A process started with its output captured.
struct Proc {
    child: Child,
    label: String,
}

#[derive(Debug)]
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Proc {
    fn start(mut cmd: Command, label: &str) -> Proc {
        let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start vstream");
        Proc { child, label: label.to_string() }
    }

    /// Waits for the end, at most `limit`; a process still running then is killed and the
    /// test fails: nothing may hang.
    fn wait(mut self, started: Instant, limit: Duration) -> Ended {
        loop {
            match self.child.try_wait().expect("wait for vstream") {
                Some(_) => break,
                None if started.elapsed() > limit => {
                    // What it was doing, for the failure message.
                    let pid = self.child.id();
                    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
                    eprintln!("{} (pid {pid}, {} in {wchan}) still running after {limit:?}", self.label, comm.trim());
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    // Its output is not read: a pipe can stay open past the kill (a child of
                    // another test forked meanwhile may hold it), and this must not hang.
                    panic!("{} still running after {limit:?}", self.label);
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        let took = started.elapsed();
        let out = self.child.wait_with_output().expect("output");
        Ended {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took,
        }
    }
}

fn assert_no_panic(e: &Ended, what: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "internal error"] {
        assert!(!e.stderr.contains(bad), "{what}: `{bad}` on stderr:\n{}", e.stderr);
    }
}

/// The rows of every part file of a sink folder, as a sorted multiset; a changelog (`op` column
/// first) is folded into the rows it leaves.
fn sink_rows(dir: &Path, changelog: bool) -> Vec<String> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir).expect("sink folder").flatten().map(|e| e.path()).collect();
    parts.sort();
    for part in parts {
        let text = std::fs::read_to_string(&part).expect("part file");
        for line in text.lines().skip(1) {
            let (diff, row) = if changelog {
                let (op, row) = line.split_once(',').expect("op column");
                (if op == "+I" || op == "+U" { 1 } else { -1 }, row.to_string())
            } else {
                (1, line.to_string())
            };
            *counts.entry(row).or_insert(0) += diff;
        }
    }
    let mut rows = Vec::new();
    for (row, n) in counts {
        assert!(n >= 0, "{}: row {row} retracted more often than added", dir.display());
        rows.extend(std::iter::repeat_n(row, n as usize));
    }
    rows
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// The results of one run: q2, folded qagg and q5t sinks, and sorted stdout.
type Results = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

fn results(dir: &Path, stdout: &str) -> Results {
    let out = dir.join("out");
    (sink_rows(&out.join("q2"), false), sink_rows(&out.join("qagg"), true), sink_rows(&out.join("q5t"), false), sorted_lines(stdout))
}

/// Runs `processes` processes of `-w workers` on loopback and returns their results.
fn run_cluster(dir: &Path, script: &str, processes: usize, workers: usize, chunk: &str) -> Results {
    let ports = free_ports(processes);
    let hostfile = write_hostfile(dir, "hosts.txt", &ports);
    let started = Instant::now();
    let procs: Vec<Proc> = (0..processes)
        .map(|p| {
            let mut cmd = vstream(dir);
            cmd.arg("run").arg(dir.join(script)).arg("--hostfile").arg(&hostfile);
            cmd.args(["--process", &p.to_string(), "-w", &workers.to_string(), "--chunk-size", chunk]);
            Proc::start(cmd, &format!("process {p} of {processes} x {workers}"))
        })
        .collect();
    let ended: Vec<Ended> = procs.into_iter().map(|p| p.wait(started, Duration::from_secs(120))).collect();
    for (p, e) in ended.iter().enumerate() {
        assert_eq!(e.code, Some(0), "process {p} of {processes} x {workers} failed:\n{}", e.stderr);
        assert_no_panic(e, "cluster run");
        assert!(e.stderr.contains(&format!("vstream: process {p} of {processes}: ")), "no summary from process {p}:\n{}", e.stderr);
        if p > 0 {
            assert!(e.stdout.is_empty(), "process {p} printed to stdout (stdout gathers to process 0):\n{}", e.stdout);
        }
    }
    // Every row was read exactly once, by some process.
    let rows_in: u64 = ended
        .iter()
        .map(|e| {
            let line = e.stderr.lines().find(|l| l.contains(" rows in, ")).expect("summary line");
            let n = line.split(": ").nth(2).and_then(|r| r.split(' ').next()).expect("rows in");
            n.parse::<u64>().expect("a count")
        })
        .sum();
    assert_eq!(rows_in, ROWS, "the processes read {rows_in} rows together, not {ROWS}");
    results(dir, &ended[0].stdout)
}

#[test]
fn two_and_three_processes_equal_one() {
    let d = setup(ROWS);
    // The reference: one process, one worker.
    let out = vstream(&d.path).arg("run").arg(d.path.join("q.sql")).args(["-w", "1"]).output().expect("run vstream");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "single process failed:\n{stderr}");
    let expected = results(&d.path, &String::from_utf8_lossy(&out.stdout));
    assert!(expected.0.len() > 50 && expected.1.len() > 200 && expected.2.len() > 200, "too little output to compare");
    assert!(!stderr.contains(" late"), "rows were late in the reference run:\n{stderr}");
    // Small chunks: every worker of every process reads many byte ranges of the file.
    for (processes, workers) in [(2, 1), (2, 2), (3, 1), (3, 2)] {
        let got = run_cluster(&d.path, "q.sql", processes, workers, "65536");
        let label = format!("{processes} processes x -w {workers}");
        assert!(got.0 == expected.0, "q2 differs at {label}");
        assert!(got.1 == expected.1, "qagg differs at {label}");
        assert!(got.2 == expected.2, "q5t differs at {label}");
        assert!(got.3 == expected.3, "stdout differs at {label}");
    }
    // `{process}` in the path: each process reads a file of its own (here: halves of the data).
    let text = std::fs::read_to_string(d.path.join("bids.csv")).expect("read bids.csv");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let (first, second) = rows.split_at(rows.len() / 2);
    for (p, half) in [first, second].iter().enumerate() {
        let body: String = half.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(d.path.join(format!("bids-{p}.csv")), format!("{header}\n{body}")).expect("write a half");
    }
    std::fs::write(d.path.join("per_process.sql"), script("bids-{process}.csv")).expect("write per_process.sql");
    let got = run_cluster(&d.path, "per_process.sql", 2, 2, "65536");
    assert!(got == expected, "per-process files: the results differ from one process reading them all");
}

/// Starts process `p` of the hostfile with extra arguments.
fn start(dir: &Path, hostfile: &Path, p: usize, extra: &[&str]) -> Proc {
    let mut cmd = vstream(dir);
    cmd.arg("run").arg(dir.join("q.sql")).arg("--hostfile").arg(hostfile).args(["--process", &p.to_string()]).args(extra);
    Proc::start(cmd, &format!("process {p}"))
}

fn assert_failed_with(e: &Ended, what: &str, message: &str) {
    assert_ne!(e.code, Some(0), "{what} succeeded; stderr:\n{}", e.stderr);
    assert!(e.stderr.contains(message), "{what}: expected `{message}` on stderr, got:\n{}", e.stderr);
    assert!(e.took < FAULT_LIMIT, "{what} took {:?}", e.took);
    assert_no_panic(e, what);
}

#[test]
fn missing_peer_is_named_after_the_connect_timeout() {
    let d = setup(1000);
    // Process 0 alone waits for process 1 to connect; process 1 alone (another cluster) tries
    // to connect to process 0. Both give up after 10 s, naming the one missing.
    let a = free_ports(2);
    let b = free_ports(2);
    let hosts_a = write_hostfile(&d.path, "a.txt", &a);
    let hosts_b = write_hostfile(&d.path, "b.txt", &b);
    let started = Instant::now();
    let only_0 = start(&d.path, &hosts_a, 0, &["--connect-timeout", "10s"]);
    let only_1 = start(&d.path, &hosts_b, 1, &["--connect-timeout", "10s"]);
    let e0 = only_0.wait(started, FAULT_LIMIT);
    let e1 = only_1.wait(started, FAULT_LIMIT);
    assert_failed_with(&e0, "process 0 alone", &format!("error: process 1 (127.0.0.1:{}) did not come up within 10 s", a[1]));
    assert_failed_with(&e1, "process 1 alone", &format!("error: process 0 (127.0.0.1:{}) did not come up within 10 s", b[0]));
    assert!(e0.took >= Duration::from_secs(9), "process 0 gave up after {:?}, before the timeout", e0.took);
}

#[test]
fn killed_peer_stops_the_others() {
    let d = setup(ROWS);
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts.txt", &ports);
    // Slow chunks keep the run going for seconds, so process 1 dies mid-run.
    let slow = ["--chunk-size", "65536", "--chunk-delay-ms", "200"];
    let started = Instant::now();
    let p0 = start(&d.path, &hostfile, 0, &slow);
    let mut p1 = start(&d.path, &hostfile, 1, &slow);
    // Wait until process 1 is connected and reading, then kill it (SIGKILL: no goodbye).
    let stderr = p1.child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let connected = lines.by_ref().map_while(Result::ok).any(|l| l.contains("connected to its peers"));
    assert!(connected, "process 1 never connected");
    std::thread::sleep(Duration::from_millis(500));
    p1.child.kill().expect("kill process 1");
    let killed = Instant::now();
    let _ = p1.child.wait();
    let e0 = p0.wait(started, FAULT_LIMIT);
    assert_failed_with(&e0, "process 0 after process 1 was killed", &format!("error: lost process 1 (127.0.0.1:{}) mid-run", ports[1]));
    assert!(killed.elapsed() < Duration::from_secs(5), "process 0 took {:?} to notice", killed.elapsed());
}

#[test]
fn mismatched_scripts_and_workers_are_refused_at_start() {
    let d = setup(1000);
    // A different script: one constant changed.
    std::fs::write(d.path.join("other.sql"), script("bids.csv").replacen("MOD(auction, 123)", "MOD(auction, 124)", 1))
        .expect("write other.sql");
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts.txt", &ports);
    let started = Instant::now();
    let p0 = start(&d.path, &hostfile, 0, &[]);
    let mut cmd = vstream(&d.path);
    cmd.arg("run").arg(d.path.join("other.sql")).arg("--hostfile").arg(&hostfile).args(["--process", "1"]);
    let p1 = Proc::start(cmd, "process 1");
    let e0 = p0.wait(started, FAULT_LIMIT);
    let e1 = p1.wait(started, FAULT_LIMIT);
    for (e, what) in [(&e0, "process 0"), (&e1, "process 1")] {
        assert_failed_with(e, what, "the scripts differ");
        assert!(e.took < Duration::from_secs(10), "{what}: a mismatch must be found at once, not after {:?}", e.took);
    }
    assert!(e0.stderr.contains(&format!("error: process 1 (127.0.0.1:{}) does not match this process: the scripts differ", ports[1])));
    // Different worker counts.
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts2.txt", &ports);
    let started = Instant::now();
    let p0 = start(&d.path, &hostfile, 0, &["-w", "1"]);
    let p1 = start(&d.path, &hostfile, 1, &["-w", "2"]);
    let e0 = p0.wait(started, FAULT_LIMIT);
    let e1 = p1.wait(started, FAULT_LIMIT);
    assert_failed_with(&e0, "process 0", "the worker counts differ: process 1 runs -w 2, this process -w 1");
    assert_failed_with(&e1, "process 1", "the worker counts differ: process 0 runs -w 1, this process -w 2");
}

#[test]
fn wrong_secret_is_refused_and_strays_cannot_join() {
    let d = setup(1000);
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts.txt", &ports);
    let started = Instant::now();
    let p0 = start(&d.path, &hostfile, 0, &["--connect-timeout", "10s"]);
    let mut cmd = vstream(&d.path);
    cmd.arg("run").arg(d.path.join("q.sql")).arg("--hostfile").arg(&hostfile).args([
        "--process",
        "1",
        "--cluster-secret",
        "not-the-secret",
    ]);
    let p1 = Proc::start(cmd, "process 1 with a wrong secret");
    let e1 = p1.wait(started, FAULT_LIMIT);
    assert_failed_with(&e1, "process 1", &format!("error: process 0 (127.0.0.1:{}) refused this process: wrong cluster secret", ports[0]));
    let e0 = p0.wait(started, FAULT_LIMIT);
    assert_failed_with(
        &e0,
        "process 0",
        &format!("error: process 1 (127.0.0.1:{}) did not come up within 10 s (1 connection was refused: wrong cluster secret)", ports[1]),
    );

    // Stray connections (one sends what timely's own handshake would, one sends nothing) are
    // refused; the real peer still joins and the run succeeds.
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts2.txt", &ports);
    let started = Instant::now();
    let p0 = start(&d.path, &hostfile, 0, &[]);
    let target = format!("127.0.0.1:{}", ports[0]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stray = loop {
        match std::net::TcpStream::connect(&target) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("process 0 never listened: {e}"),
        }
    };
    use std::io::Write;
    stray.write_all(&5u64.to_be_bytes()).expect("write to process 0");
    let _silent = std::net::TcpStream::connect(&target).expect("connect to process 0");
    let p1 = start(&d.path, &hostfile, 1, &[]);
    let e0 = p0.wait(started, FAULT_LIMIT);
    let e1 = p1.wait(started, FAULT_LIMIT);
    assert_eq!(e0.code, Some(0), "process 0 failed:\n{}", e0.stderr);
    assert_eq!(e1.code, Some(0), "process 1 failed:\n{}", e1.stderr);
    assert!(e0.stderr.contains("vstream: refused a connection from 127.0.0.1:"), "no word of the stray:\n{}", e0.stderr);
}

#[test]
fn cluster_launcher_merges_the_summary() {
    let d = setup(ROWS);
    let reference = vstream(&d.path).arg("run").arg(d.path.join("q.sql")).output().expect("run vstream");
    assert!(reference.status.success());
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts.txt", &ports);
    // No secret given: all processes are on this host, so the launcher makes one.
    let mut cmd = vstream(&d.path);
    cmd.env_remove("VSTREAM_CLUSTER_SECRET").arg("cluster").arg("--hostfile").arg(&hostfile).args(["-w", "2", "--chunk-size", "65536"]);
    cmd.arg(d.path.join("q.sql"));
    let e = Proc::start(cmd, "vstream cluster").wait(Instant::now(), Duration::from_secs(60));
    assert_eq!(e.code, Some(0), "vstream cluster failed:\n{}", e.stderr);
    assert_no_panic(&e, "vstream cluster");
    assert_eq!(sorted_lines(&e.stdout), sorted_lines(&String::from_utf8_lossy(&reference.stdout)), "stdout differs from one process");
    let summary =
        e.stderr.lines().find(|l| l.starts_with("vstream cluster: ")).unwrap_or_else(|| panic!("no merged summary:\n{}", e.stderr));
    assert!(summary.starts_with(&format!("vstream cluster: 2 processes x 2 workers: {ROWS} rows in, ")), "{summary}");
    assert!(summary.contains("stdout 99"), "{summary}");
    assert!(e.stderr.contains("[process 1] vstream: process 1 of 2 (127.0.0.1:"), "process messages are not forwarded:\n{}", e.stderr);

    // A bad record in the part of the file process 1 reads: process 1 fails with the record's
    // place, process 0 stops (its peer cut the links) instead of finishing with half the input,
    // and the launcher exits non-zero naming both.
    let mut bids = std::fs::read_to_string(d.path.join("bids.csv")).expect("read bids.csv");
    bids.push_str("oops,1,2,Google,u,2025-01-01 00:00:00.000,x\n");
    std::fs::write(d.path.join("bad.csv"), bids).expect("write bad.csv");
    std::fs::write(d.path.join("bad.sql"), script("bad.csv")).expect("write bad.sql");
    let ports = free_ports(2);
    let hostfile = write_hostfile(&d.path, "hosts2.txt", &ports);
    let mut cmd = vstream(&d.path);
    // One chunk per process: process 1 reads the end of the file.
    let half = (std::fs::metadata(d.path.join("bad.csv")).expect("bad.csv").len() / 2 + 1).to_string();
    cmd.arg("cluster").arg("--hostfile").arg(&hostfile).args(["--chunk-size", &half]).arg(d.path.join("bad.sql"));
    let e = Proc::start(cmd, "vstream cluster, bad record").wait(Instant::now(), FAULT_LIMIT);
    assert_failed_with(&e, "vstream cluster with a bad record", &format!("vstream cluster: process 1 (127.0.0.1:{}) failed: ", ports[1]));
    assert!(e.stderr.contains(&format!("bad.csv:{}: column `auction`", ROWS + 2)), "process 1's error is not shown:\n{}", e.stderr);
    assert!(
        e.stderr.contains(&format!("vstream cluster: process 0 (127.0.0.1:{}) failed: lost process 1", ports[0])),
        "process 0 did not stop:\n{}",
        e.stderr
    );
}
