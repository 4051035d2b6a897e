//! The README's example scripts run as the README says, over the bundled bids: each in a copy of
//! `examples/` (so nothing is written into the checkout), with its results checked against what
//! the bundled data holds.

mod common;

use common::workspace_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// A copy of `examples/` (scripts and data, not old output) in a temporary folder.
fn examples_copy() -> tempfile::TempDir {
    let root = workspace_root().join("examples");
    let tmp = tempfile::Builder::new().prefix("vstream-examples-").tempdir().expect("temporary folder");
    std::fs::create_dir(tmp.path().join("data")).expect("data folder");
    for entry in std::fs::read_dir(&root).expect("examples/") {
        let path = entry.expect("examples/ entry").path();
        if path.extension().is_some_and(|e| e == "sql") {
            std::fs::copy(&path, tmp.path().join(path.file_name().expect("a file name"))).expect("copy a script");
        }
    }
    std::fs::copy(root.join("data").join("bids.csv"), tmp.path().join("data").join("bids.csv")).expect("copy the bids");
    tmp
}

/// Runs `script` in `dir` at `-w 2`; its stderr summary.
fn run(dir: &Path, script: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vstream")).args(["run", script, "-w", "2"]).current_dir(dir).output().expect("run vstream");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{script} failed:\n{stderr}");
    stderr
}

/// The rows of every part file of a sink folder (header lines dropped), split at commas.
fn sink_rows(dir: &Path) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a sink folder") {
        let text = std::fs::read_to_string(entry.expect("a part file").path()).expect("read a part file");
        rows.extend(text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>()));
    }
    rows
}

/// The bundled bids: (auction, bidder, price, date_time).
fn bids(dir: &Path) -> Vec<(i64, i64, i64, String)> {
    let text = std::fs::read_to_string(dir.join("data").join("bids.csv")).expect("read the bids");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().expect("auction"), f[1].parse().expect("bidder"), f[2].parse().expect("price"), f[5].to_string())
        })
        .collect()
}

#[test]
fn bids_example_runs() {
    let tmp = examples_copy();
    let summary = run(tmp.path(), "bids.sql");
    let bids = bids(tmp.path());
    let over_100 = bids.iter().filter(|b| b.2 > 100).count();
    assert!(summary.contains(&format!("{} rows in", bids.len())), "{summary}");
    assert_eq!(sink_rows(&tmp.path().join("out").join("dollars")).len(), over_100);
}

#[test]
fn query_forms_example_gives_what_the_data_holds() {
    let tmp = examples_copy();
    let summary = run(tmp.path(), "query_forms.sql");
    let bids = bids(tmp.path());
    assert!(summary.contains(&format!("{} rows in", bids.len())), "{summary}");

    // Top-N: the changelog folds to the three best big bids of each auction, ranked.
    let mut live: BTreeMap<Vec<String>, i64> = BTreeMap::new();
    for row in sink_rows(&tmp.path().join("out").join("top3")) {
        let diff = if row[0].starts_with('+') { 1 } else { -1 };
        *live.entry(row[1..].to_vec()).or_default() += diff;
    }
    let top: BTreeSet<(i64, i64, i64, i64)> = live
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, _)| {
            (r[0].parse().expect("auction"), r[1].parse().expect("bidder"), r[2].parse().expect("price"), r[3].parse().expect("rn"))
        })
        .collect();
    let mut expected = BTreeSet::new();
    let mut by_auction: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for b in bids.iter().filter(|b| b.2 > 1000) {
        by_auction.entry(b.0).or_default().push((b.2, b.1));
    }
    for (auction, mut rows) in by_auction {
        rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (rank, (price, bidder)) in rows.into_iter().take(3).enumerate() {
            expected.insert((auction, bidder, price, rank as i64 + 1));
        }
    }
    assert_eq!(top, expected, "top3 is not the three best big bids per auction");

    // Deduplication: one row per bidder, at its earliest time.
    let first_rows = sink_rows(&tmp.path().join("out").join("first_bids"));
    let first: BTreeMap<i64, String> = first_rows.iter().map(|r| (r[0].parse().expect("bidder"), r[3].clone())).collect();
    assert_eq!(first_rows.len(), first.len(), "first_bids has a bidder twice");
    let mut earliest: BTreeMap<i64, String> = BTreeMap::new();
    for b in &bids {
        let t = earliest.entry(b.1).or_insert_with(|| b.3.clone());
        if b.3 < *t {
            *t = b.3.clone();
        }
    }
    assert_eq!(first, earliest, "first_bids is not each bidder's earliest bid time");

    // The OVER aggregate: one row per bid.
    assert_eq!(sink_rows(&tmp.path().join("out").join("running")).len(), bids.len());
}

#[test]
fn functions_example_gives_what_the_data_holds() {
    let tmp = examples_copy();
    let summary = run(tmp.path(), "functions.sql");
    let text = std::fs::read_to_string(tmp.path().join("data").join("bids.csv")).expect("read the bids");
    let bids: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(summary.contains(&format!("{} rows in", bids.len())), "{summary}");

    // Per bid: auction, the url's trailing number, the minute and the euros, computed here from
    // the text (ROUND(price * 0.908, 1): tenths, halves away from zero).
    let mut expected: Vec<(String, String, String, String)> = bids
        .iter()
        .map(|f| {
            let price: i64 = f[2].parse().expect("price");
            let tenths = (price * 908 + 50) / 100;
            let id = f[4].rsplit('/').next().expect("a url id").to_string();
            (f[0].to_string(), id, f[5][..16].to_string(), format!("{}.{}", tenths / 10, tenths % 10))
        })
        .collect();
    let mut enriched: Vec<(String, String, String, String)> = sink_rows(&tmp.path().join("out").join("enriched"))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[3].clone(), r[5].clone()))
        .collect();
    expected.sort();
    enriched.sort();
    assert_eq!(enriched, expected, "enriched differs from what the bids hold");

    // Per second and channel: the count of bids.
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for f in &bids {
        *counts.entry((format!("{}.000", &f[5][..19]), f[3].to_string())).or_default() += 1;
    }
    let got: BTreeMap<(String, String), i64> = sink_rows(&tmp.path().join("out").join("per_second"))
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().expect("a count")))
        .collect();
    assert_eq!(got, counts, "per_second's counts differ from the bids'");
}
