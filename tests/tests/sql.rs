//! Runs every `tests/sql/*.test` file (SQL semantics as data; the format is described in
//! `vstream_tests::sqltest` and tests/sql/README.md) at `-w 1` and `-w 3`, each with a tiny and a
//! large chunk size, and reports every failure with its file name.
//!
//! `VSTREAM_REWRITE=1 cargo test -p vstream-tests --test sql` rewrites the expected sections from
//! actual output; `VSTREAM_TEST_FILTER=like` runs only the files whose name contains `like`.
//! Files under tests/sql/known-bugs/ record engine bugs; they run only with `-- --ignored`.

use std::path::PathBuf;
use vstream_tests::sqltest::{report, run_dir};

fn sql_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sql")
}

#[test]
fn sql_files() {
    let (n, failed) = run_dir(&sql_dir(), vstream_tests::rewrite_mode());
    assert!(n > 0 || std::env::var("VSTREAM_TEST_FILTER").is_ok(), "no .test files in {}", sql_dir().display());
    if !failed.is_empty() {
        panic!("{} of {n} SQL test files failed:\n{}", failed.len(), report(&failed));
    }
    eprintln!("{n} SQL test files passed");
}

/// The files of tests/sql/known-bugs/ hold correct expectations the engine does not meet yet.
/// This reports which still fail, and fails if one passes: move it to tests/sql/ then.
#[test]
#[ignore = "known engine bugs: run with --ignored to see whether they are fixed"]
fn known_bugs() {
    // Git keeps no empty folder: with every known bug fixed, there is none, and nothing to run.
    if !sql_dir().join("known-bugs").is_dir() {
        eprintln!("no known-bug files (tests/sql/known-bugs/ is absent)");
        return;
    }
    let (n, failed) = run_dir(&sql_dir().join("known-bugs"), false);
    let failing: Vec<_> = failed.iter().map(|(f, _)| f.clone()).collect();
    eprintln!("{} of {n} known-bug files still fail:\n{}", failing.len(), report(&failed));
    let fixed: Vec<String> = vstream_tests::sqltest::test_files(&sql_dir().join("known-bugs"))
        .into_iter()
        .filter(|f| !failing.contains(f))
        .map(|f| f.display().to_string())
        .collect();
    assert!(fixed.is_empty(), "these known-bug files pass now: move them to tests/sql/\n{}", fixed.join("\n"));
}
