//! What the tests that compare with DuckDB share: the workspace root, the oracle's venv, a
//! folder holding generated bids, and running a command that must succeed.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The venv's python, after making sure the venv has DuckDB; panics with the reason otherwise.
pub fn oracle_python(root: &Path) -> PathBuf {
    let venv = root.join("target").join("oracle-venv");
    let setup = root.join("tests").join("oracle").join("setup_venv.sh");
    let out = Command::new("bash")
        .arg(&setup)
        .arg(&venv)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e} (the DuckDB oracle needs bash and python3)", setup.display()));
    assert!(
        out.status.success(),
        "cannot set up the DuckDB oracle venv at {} with {} (exit {:?}); it needs python3 with venv and \
         pip, and PyPI to install duckdb the first time.\nstdout:\n{}\nstderr:\n{}",
        venv.display(),
        setup.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let python = venv.join("bin").join("python");
    assert!(python.exists(), "{} does not exist after setup_venv.sh succeeded", python.display());
    python
}

pub fn run_checked(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed (exit {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code());
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
    stdout
}

/// A temporary folder (kept alive by the returned guard), its canonical path, and in it
/// `bids.csv`: `rows` bids from the project's generator with `seed`.
pub fn generated_bids(prefix: &str, rows: u64, seed: u64) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::Builder::new().prefix(prefix).tempdir().expect("temporary folder");
    let dir = std::fs::canonicalize(tmp.path()).expect("canonical path");
    let bids = dir.join("bids.csv");
    let file = std::fs::File::create(&bids).expect("create bids.csv");
    vstream_bench::write_bids(rows, seed, std::io::BufWriter::new(file)).expect("write bids.csv");
    (tmp, dir, bids)
}
