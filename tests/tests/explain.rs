//! Explain golden files: every `tests/explain/NAME.sql` is planned (not run: its inputs need not
//! exist), with tests/explain/ as its folder, and
//!
//! * `NAME.explain` must hold `explain_text` of the plan (paths relative to the folder);
//! * `NAME.dot`, where it exists, must hold `explain_dot` of the plan;
//! * a script whose first line is `-- explain on: P processes x W workers` is explained for a
//!   run on that many (which edges cross workers and processes);
//! * a script that must not plan has `NAME.error` instead: its error rendered as `vstream`
//!   prints it (`error: ...`, `  --> NAME.sql:L:C`, the line and a marker).
//!
//! `VSTREAM_REWRITE=1 cargo test -p vstream-tests --test explain` rewrites the golden files from
//! the planner's output (`.explain` or `.error`, whichever applies, removing the other; `.dot`
//! where one exists: create an empty `NAME.dot` to start one). Review the diff before committing.

use std::path::{Path, PathBuf};

fn explain_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("explain");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Compares `actual` with the golden file at `path` (or rewrites it); a problem message on a
/// mismatch.
fn golden(path: &Path, actual: &str, rewrite: bool) -> Option<String> {
    let expected = std::fs::read_to_string(path).ok();
    if expected.as_deref() == Some(actual) {
        return None;
    }
    if rewrite {
        return std::fs::write(path, actual).err().map(|e| format!("{}: cannot write: {e}", path.display()));
    }
    Some(match expected {
        None => format!("{}: missing; it should hold:\n{actual}", path.display()),
        Some(expected) => format!("{}: differs\n--- expected\n{expected}--- actual\n{actual}", path.display()),
    })
}

/// A golden file that must not exist for this outcome; removed in rewrite mode.
fn absent(path: &Path, why: &str, rewrite: bool) -> Option<String> {
    if !path.exists() {
        return None;
    }
    if rewrite {
        return std::fs::remove_file(path).err().map(|e| format!("{}: cannot remove: {e}", path.display()));
    }
    Some(format!("{}: exists, but {why}", path.display()))
}

/// The parallelism a script's first line asks for (`-- explain on: 2 processes x 2 workers`).
fn parallelism(sql: &str) -> vstream_planner::explain::Parallelism {
    let mut on = vstream_planner::explain::Parallelism::default();
    if let Some(spec) = sql.lines().next().and_then(|l| l.strip_prefix("-- explain on:")) {
        for part in spec.split('x') {
            let mut words = part.split_whitespace();
            let n: usize = words.next().and_then(|n| n.parse().ok()).expect("`-- explain on: P processes x W workers`");
            match words.next() {
                Some(w) if w.starts_with("process") => on.processes = n,
                Some(w) if w.starts_with("worker") => on.workers = n,
                _ => panic!("`-- explain on: P processes x W workers`, not {spec}"),
            }
        }
    }
    on
}

fn check_script(sql_path: &Path, dir: &Path, rewrite: bool) -> Vec<String> {
    let sql = match std::fs::read_to_string(sql_path) {
        Ok(s) => s,
        Err(e) => return vec![format!("{}: cannot read: {e}", sql_path.display())],
    };
    let name = sql_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (explain, dot, error) = (sql_path.with_extension("explain"), sql_path.with_extension("dot"), sql_path.with_extension("error"));
    let mut problems = Vec::new();
    match vstream_planner::plan_script(&sql, dir) {
        Ok(planned) => {
            let on = parallelism(&sql);
            problems.extend(golden(&explain, &vstream_planner::explain::explain_text_on(&planned, dir, on), rewrite));
            if dot.exists() {
                problems.extend(golden(&dot, &vstream_planner::explain::explain_dot_on(&planned, dir, on), rewrite));
            }
            problems.extend(absent(&error, "the script plans without error", rewrite));
        }
        Err(e) => {
            let rendered = e.render(&sql, &name);
            if !error.exists() && !rewrite {
                problems.push(format!("{}: does not plan:\n{rendered}", sql_path.display()));
            } else {
                problems.extend(golden(&error, &rendered, rewrite));
            }
            problems.extend(absent(&explain, "the script does not plan", rewrite));
            problems.extend(absent(&dot, "the script does not plan", rewrite));
        }
    }
    problems
}

#[test]
fn explain_golden_files() {
    let dir = explain_dir();
    let rewrite = vstream_tests::rewrite_mode();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no .sql files in {}", dir.display());
    let problems: Vec<String> = scripts.iter().flat_map(|s| check_script(s, &dir, rewrite)).collect();
    assert!(problems.is_empty(), "{} explain golden problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

/// Every golden file belongs to a script: a renamed or deleted script must take its goldens along.
#[test]
fn no_orphan_golden_files() {
    let dir = explain_dir();
    let orphans: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "explain" || x == "dot" || x == "error"))
        .filter(|p| !p.with_extension("sql").exists())
        .map(|p| p.display().to_string())
        .collect();
    assert!(orphans.is_empty(), "golden files without a .sql script:\n{}", orphans.join("\n"));
}

/// examples/bids.sql itself plans to what bids_example.explain holds (the golden's script is a
/// copy of it): an edit to the example shows up here, with the golden to update.
#[test]
fn examples_bids_sql_matches_its_golden() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("examples");
    let examples = std::fs::canonicalize(&examples).unwrap_or(examples);
    let sql = std::fs::read_to_string(examples.join("bids.sql")).expect("examples/bids.sql");
    let planned = vstream_planner::plan_script(&sql, &examples).unwrap_or_else(|e| panic!("{}", e.render(&sql, "examples/bids.sql")));
    let golden = std::fs::read_to_string(explain_dir().join("bids_example.explain")).expect("bids_example.explain");
    assert_eq!(
        vstream_planner::explain::explain_text(&planned, &examples),
        golden,
        "examples/bids.sql no longer plans as tests/explain/bids_example.sql: copy it there and rewrite the goldens"
    );
}
