//! vstream's end-to-end test harness, shared by the test targets in `tests/tests/`:
//!
//! * [`harness`]: plans and runs a script in-process (no binary, no subprocess), capturing what
//!   bare SELECTs print, and normalises error text so it does not depend on temporary paths.
//! * [`sqltest`]: the `tests/sql/*.test` format (inputs, a script, expected rows or error) and its
//!   runner, which runs every file at several worker counts and chunk sizes.
//! * [`property`]: the seeds and reporting the property tests share.
//!
//! Golden files are rewritten from actual output with `VSTREAM_REWRITE=1` (see [`rewrite_mode`]).

#![warn(missing_docs)]

pub mod harness;
pub mod property;
pub mod sqltest;

/// Whether the run should rewrite expected output from actual output instead of checking it:
/// `VSTREAM_REWRITE=1 cargo test -p vstream-tests`.
pub fn rewrite_mode() -> bool {
    std::env::var("VSTREAM_REWRITE").is_ok_and(|v| !v.is_empty() && v != "0")
}
