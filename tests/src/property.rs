//! What the property tests share: which cases to run, and how they print.
//!
//! ```text
//! VSTREAM_PROPERTY_SEED=<seed>     one case, the one a failure named
//! VSTREAM_PROPERTY_CASES=<n>       the first n cases (each test has its default)
//! VSTREAM_PROPERTY_VERBOSE=1       one line per case
//! ```

/// The seeds to run: `VSTREAM_PROPERTY_SEED` alone, or `base + i` for the first
/// `VSTREAM_PROPERTY_CASES` (default `default_cases`) cases.
pub fn seeds(base: u64, default_cases: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("VSTREAM_PROPERTY_SEED") {
        return vec![s.trim().parse().expect("VSTREAM_PROPERTY_SEED must be a number")];
    }
    let n = std::env::var("VSTREAM_PROPERTY_CASES").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(default_cases);
    (0..n).map(|i| base + i).collect()
}

/// `VSTREAM_PROPERTY_VERBOSE=1`: one line per case.
pub fn verbose() -> bool {
    std::env::var("VSTREAM_PROPERTY_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `text` with each line indented, for a failure report.
pub fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
