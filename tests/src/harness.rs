//! Plans and runs a script in-process, the way `vstream run` does, but with bare SELECTs
//! captured in memory and every failure (a plan error, a run error, a panic, a hang) turned into
//! an [`Outcome`] instead of ending the test process.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use vstream_runtime::{Metrics, RunConfig, RunSummary, StdoutTarget};

/// How long one run may take before it counts as hung (the inputs of these tests are tiny).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// What running a script gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It ran to the end: what bare SELECTs printed (CSV, a header line per SELECT) and the
    /// run's counters.
    Ok {
        /// Everything bare SELECTs printed; a changelog query prints each change, with an `op` column.
        stdout: String,
        /// The run's counters: rows read, rejected and late, rows written per sink, elapsed time.
        summary: RunSummary,
    },
    /// Planning or running failed with this message, as the CLI prints it: a plan error rendered
    /// compiler-style against the script (`error: ...\n  --> test.sql:4:34\n ...`), a run error
    /// as `error: <message>`. Paths under the run's folder are made relative to it.
    Failed(String),
    /// The planner or the runtime panicked, or the run did not finish in [`RUN_TIMEOUT`]:
    /// never an expected outcome.
    Crashed(String),
}

/// Plans `sql` with `dir` as the script's folder (relative paths in its options start there) and
/// runs it on `workers` workers with sources cut into `chunk_size`-byte chunks. `script_name` is
/// the path plan errors are rendered with.
pub fn run_script(sql: &str, dir: &Path, script_name: &str, workers: usize, chunk_size: u64) -> Outcome {
    run_script_with(sql, dir, script_name, workers, chunk_size, None)
}

/// As `run_script`, with `--set emit.interval` (at most that many rows per epoch) when given.
pub fn run_script_with(sql: &str, dir: &Path, script_name: &str, workers: usize, chunk_size: u64, emit_interval: Option<usize>) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let (sql, dir_owned, name) = (sql.to_string(), dir.to_path_buf(), script_name.to_string());
    std::thread::Builder::new()
        .name("vstream-test-run".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| run_inner(&sql, &dir_owned, &name, workers, chunk_size, emit_interval)));
            let _ = tx.send(result.unwrap_or_else(|p| Outcome::Crashed(format!("panicked: {}", panic_text(&p)))));
        })
        .expect("cannot spawn a test thread");
    let outcome = match rx.recv_timeout(RUN_TIMEOUT) {
        Ok(o) => o,
        Err(_) => Outcome::Crashed(format!("did not finish within {} s (hung?)", RUN_TIMEOUT.as_secs())),
    };
    match outcome {
        Outcome::Failed(text) => Outcome::Failed(relativize(&text, dir)),
        Outcome::Crashed(text) => Outcome::Crashed(relativize(&text, dir)),
        ok => ok,
    }
}

fn run_inner(sql: &str, dir: &Path, script_name: &str, workers: usize, chunk_size: u64, emit_interval: Option<usize>) -> Outcome {
    let planned = match vstream_planner::plan_script(sql, dir) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(e.render(sql, script_name).trim_end().to_string()),
    };
    let bytes_total = vstream_runtime::run::source_bytes(&planned.dataflow).unwrap_or(0);
    let late_operators = planned.dataflow.late_operators().into_iter().map(|(_, name)| name).collect();
    let metrics = Arc::new(Metrics::new(bytes_total, planned.dataflow.sink_names(), late_operators));
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let config = RunConfig {
        emit_interval,
        stdout_changelog: true,
        workers,
        stdout: StdoutTarget::Capture(buffer.clone()),
        chunk_size,
        ..Default::default()
    };
    match vstream_runtime::run(&planned.dataflow, config, metrics) {
        Ok(summary) => {
            let bytes = buffer.lock().map(|b| b.clone()).unwrap_or_default();
            Outcome::Ok { stdout: String::from_utf8_lossy(&bytes).into_owned(), summary }
        }
        // A panicking worker is reported by the runtime as an error; it is a crash all the same.
        Err(e) if e.to_string().contains("a worker stopped unexpectedly") => Outcome::Crashed(e.to_string()),
        Err(e) => Outcome::Failed(format!("error: {e}")),
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// `text` with `dir/` removed and `dir` alone written `.`, so messages name files as the script
/// does (`bids.csv:3: ...`), whatever temporary folder the run used.
pub fn relativize(text: &str, dir: &Path) -> String {
    let d = dir.display().to_string();
    text.replace(&format!("{d}/"), "").replace(&d, ".")
}

/// A fresh temporary folder with its canonical path (so that paths in messages match it even
/// where the temporary folder is reached through a symlink).
pub fn temp_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::Builder::new().prefix("vstream-test-").tempdir().expect("cannot create a temporary folder");
    let p = std::fs::canonicalize(t.path()).unwrap_or_else(|_| t.path().to_path_buf());
    (t, p)
}
