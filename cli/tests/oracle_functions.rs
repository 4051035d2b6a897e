//! vstream's scalar functions against DuckDB's: the pairs of `tests/oracle/functions.tsv` (a
//! vstream expression and the DuckDB expression of the same value, over the bids' columns) run
//! as projections over 100,000 bids from the project's generator (`vstream_bench::write_bids`,
//! seed 42), several pairs per query, by the real binary into a CSV file sink at `-w 2` with
//! 64 KiB chunks; DuckDB runs the same projection with its expressions
//! (`tests/oracle/oracle.py`), and each pair's column is compared on its own as the multiset of
//! (auction, bidder, date_time, value) rows, so a failure names the function.
//!
//! A pair is one line of the data file; a line starting with `#` waits for its function (see
//! the file's header). DuckDB comes from the venv at `target/oracle-venv` (see `oracle.rs`):
//! like the other oracle tests, this one fails rather than passing without having compared.

mod common;

use common::{generated_bids, oracle_python, run_checked, workspace_root};
use std::collections::HashSet;
use std::process::Command;

const ROWS: u64 = 100_000;
const SEED: u64 = 42;
/// Pairs per query: one query fails as a whole (an unknown function), so not too many; each
/// query reads the bids once, so not too few.
const PAIRS_PER_QUERY: usize = 10;
/// The key columns every query writes before its pairs' columns.
const KEYS: &str = "auction, bidder, date_time";

/// (arguments, label) of the vstream runs of each query: the functions are stateless, so one
/// run at two workers with small chunks (rows cross many chunk boundaries) covers them; each run
/// costs a comparison of 100,000 rows in Python.
const RUNS: &[(&[&str], &str)] = &[(&["-w", "2", "--chunk-size", "65536"], "w2")];

/// One line of the data file.
struct Pair {
    name: String,
    vstream: String,
    duckdb: String,
}

/// The enabled pairs of `text` and the count of those waiting (`#name<TAB>...`). Panics on a
/// line that is neither a comment nor three tab-separated fields, and on a repeated name.
fn parse_pairs(text: &str) -> (Vec<Pair>, usize) {
    let mut pairs = Vec::new();
    let mut waiting = 0;
    let mut names = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let (enabled, body) = match line.strip_prefix('#') {
            Some(rest) => (false, rest),
            None => (true, line),
        };
        let fields: Vec<&str> = body.split('\t').collect();
        // A comment is any '#' line that is not a pair.
        if !enabled && (fields.len() != 3 || fields[0].is_empty() || fields[0].contains(' ')) {
            continue;
        }
        if enabled && line.trim().is_empty() {
            continue;
        }
        assert!(
            fields.len() == 3 && fields.iter().all(|f| !f.trim().is_empty()),
            "functions.tsv:{}: expected `name<TAB>vstream expression<TAB>DuckDB expression`, got {line:?}",
            i + 1
        );
        let name = fields[0].trim().to_string();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "functions.tsv:{}: name {name:?} is not a word", i + 1);
        assert!(names.insert(name.clone()), "functions.tsv:{}: the name {name} is used twice", i + 1);
        if enabled {
            pairs.push(Pair { name, vstream: fields[1].trim().to_string(), duckdb: fields[2].trim().to_string() });
        } else {
            waiting += 1;
        }
    }
    (pairs, waiting)
}

/// `SELECT <keys>, e1 AS c_name1, ... FROM bid` over one side of `pairs`.
fn projection(pairs: &[Pair], side: impl Fn(&Pair) -> &str) -> String {
    let columns: Vec<String> = pairs.iter().map(|p| format!("{} AS c_{}", side(p), p.name)).collect();
    format!("SELECT {KEYS}, {} FROM bid", columns.join(", "))
}

#[test]
fn the_data_file_parses() {
    let (pairs, waiting) = parse_pairs("# a comment\n\nup\tUPPER(a)\tupper(a)\n#low\tLOWER(a)\tlower(a)\n# not a pair: x\ty\n");
    assert_eq!(pairs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["up"]);
    assert_eq!((pairs[0].vstream.as_str(), pairs[0].duckdb.as_str()), ("UPPER(a)", "upper(a)"));
    assert_eq!(waiting, 1);
    assert_eq!(projection(&pairs, |p| &p.duckdb), "SELECT auction, bidder, date_time, upper(a) AS c_up FROM bid");
}

#[test]
fn functions_match_duckdb() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("tests").join("oracle").join("functions.tsv")).expect("tests/oracle/functions.tsv");
    let (pairs, waiting) = parse_pairs(&text);
    assert!(!pairs.is_empty(), "functions.tsv enables no pair");
    eprintln!("{} pairs enabled, {waiting} waiting for their functions", pairs.len());

    let python = oracle_python(&root);
    let oracle = root.join("tests").join("oracle").join("oracle.py");
    let (_tmp, dir, bids) = generated_bids("vstream-oracle-functions-", ROWS, SEED);

    let mut failures = Vec::new();
    for (q, group) in pairs.chunks(PAIRS_PER_QUERY).enumerate() {
        let names: Vec<&str> = group.iter().map(|p| p.name.as_str()).collect();
        let expected = dir.join(format!("q{q}.expected.csv"));
        run_checked(
            Command::new(&python)
                .arg(&oracle)
                .arg("--csv")
                .arg(&bids)
                .arg("--sql")
                .arg(projection(group, |p| &p.duckdb))
                .arg("--out")
                .arg(&expected),
            &format!("oracle.py for {}", names.join(", ")),
        );
        let streaming = projection(group, |p| &p.vstream);
        for (args, label) in RUNS {
            let sink = format!("out/q{q}_{label}");
            let script = format!(
                "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '{sink}', 'format' = 'csv');
INSERT INTO out {streaming};\n"
            );
            let script_path = dir.join(format!("q{q}_{label}.sql"));
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
                failures.push(format!("{} ({label}): vstream failed:\n{stderr}", names.join(", ")));
                continue;
            }
            assert!(
                stderr.contains(&format!("vstream: {ROWS} rows in, ")),
                "{label}: the summary does not count {ROWS} rows in:\n{stderr}"
            );
            let out = Command::new(&python)
                .arg(&oracle)
                .arg("compare")
                .arg(dir.join(&sink))
                .arg(&expected)
                .args(["--key-columns", "3"])
                .output()
                .expect("run oracle.py compare");
            let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if out.status.success() {
                eprintln!("{label}: {}", report.split_whitespace().collect::<Vec<_>>().join(" "));
            } else {
                let exprs: Vec<String> = group.iter().map(|p| format!("  c_{}: {}  vs  {}", p.name, p.vstream, p.duckdb)).collect();
                failures.push(format!("{label}:\n{}\n{report}", exprs.join("\n")));
            }
        }
    }
    assert!(failures.is_empty(), "vstream disagrees with DuckDB:\n{}", failures.join("\n"));
}
