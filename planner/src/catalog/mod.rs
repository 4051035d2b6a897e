//! Flink's built-in function list, entry by entry, with vstream's status: the source of
//! `docs/functions.md`. An entry is only marked supported with examples, and a test evaluates
//! every example (scalar forms) or checks the `.test` file that pins it (aggregates), so the
//! table cannot claim what vstream does not do.

mod aggregate;
mod arithmetic;
mod collection;
mod comparison;
mod conditional;
mod conversion;
mod grouping;
mod hash;
mod json;
mod left_out;
mod logical;
mod string;
mod temporal;
mod value;

use vstream_repr::func::Category;

/// Whether vstream has a Flink form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// vstream has it, with Flink's semantics unless the entry's note says otherwise.
    Supported,
    /// Not yet.
    Missing,
    /// Deliberately left out, for the reason given.
    LeftOut(&'static str),
}

/// One form of Flink's function list.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The section it is listed under.
    pub category: Category,
    /// Flink's spelling of the form.
    pub form: &'static str,
    /// vstream's status.
    pub status: Status,
    /// For scalar forms, `(expression, result)` pairs: the expression evaluated over no table
    /// gives `result` as CSV writes it (`NULL` for NULL; `error: <text>` for an error containing
    /// text). For aggregates and GROUPING, `(call, test file)`: the tests/sql file that pins its semantics.
    pub examples: &'static [(&'static str, &'static str)],
    /// Where vstream differs from Flink, or where Flink differs from DuckDB (the oracle); empty if neither.
    pub note: &'static str,
}

/// Every entry, section by section in Flink's order.
pub fn entries() -> Vec<Entry> {
    let mut all: Vec<Entry> = [
        comparison::ENTRIES,
        logical::ENTRIES,
        arithmetic::ENTRIES,
        string::ENTRIES,
        temporal::ENTRIES,
        conditional::ENTRIES,
        conversion::ENTRIES,
        collection::ENTRIES,
        json::ENTRIES,
        value::ENTRIES,
        grouping::ENTRIES,
        hash::ENTRIES,
        aggregate::ENTRIES,
        left_out::ENTRIES,
    ]
    .concat();
    all.sort_by_key(|e| e.category);
    all
}

/// `docs/functions.md`: per section, what vstream has of Flink's forms, then the table.
pub fn markdown() -> String {
    use std::fmt::Write;
    let all = entries();
    let mut out = String::new();
    out.push_str("# Functions: Flink SQL's built-ins in vstream\n\n");
    out.push_str("Generated from `planner/src/catalog/` by `vstream-plan functions`; a test fails when this file and the\n");
    out.push_str("catalog disagree, and every supported form's examples are evaluated by `cargo test -p vstream-planner catalog`\n");
    out.push_str("(aggregates: the `.test` file named is run by tests/sql). Forms are Flink 2.3's (`sql_functions.yml`).\n\n");
    let mut sections: Vec<Category> = all.iter().map(|e| e.category).collect();
    sections.dedup();
    out.push_str("| Section | vstream has | Flink's forms | Left out |\n|---|---|---|---|\n");
    let (mut has_all, mut total_all, mut left_all) = (0, 0, 0);
    for c in &sections {
        let of: Vec<&Entry> = all.iter().filter(|e| e.category == *c).collect();
        let has = of.iter().filter(|e| e.status == Status::Supported).count();
        let left = of.iter().filter(|e| matches!(e.status, Status::LeftOut(_))).count();
        let _ = writeln!(out, "| {} | {has} | {} | {left} |", c.title(), of.len());
        has_all += has;
        total_all += of.len();
        left_all += left;
    }
    let _ = writeln!(out, "| **All** | **{has_all}** | **{total_all}** | **{left_all}** |\n");
    for c in &sections {
        let _ = writeln!(out, "## {}\n", c.title());
        out.push_str("| Flink form | vstream | Example | Note |\n|---|---|---|---|\n");
        for e in all.iter().filter(|e| e.category == *c) {
            let status = match e.status {
                Status::Supported => "yes".to_string(),
                Status::Missing => "not yet".to_string(),
                Status::LeftOut(why) => format!("left out: {why}"),
            };
            let example = match e.examples.first() {
                Some((x, r)) if file_pinned(*c, r) => format!("`{x}` ({r})"),
                Some((x, r)) => format!("`{x}` → `{r}`"),
                None => String::new(),
            };
            let _ = writeln!(out, "| `{}` | {status} | {} | {} |", cell(e.form), cell(&example), cell(e.note));
        }
        out.push('\n');
    }
    out
}

/// Whether a section's examples name the tests/sql file that pins the form (aggregates, and
/// GROUPING, which has a value only per group) rather than a constant expression and its result.
/// Whether an example names the `.test` file that pins the form (aggregates and grouping
/// functions, and forms that are not expressions, like `r.*` or `DESCRIPTOR(ts)`) rather than
/// a result.
fn file_pinned(c: Category, result: &str) -> bool {
    matches!(c, Category::Aggregate | Category::Grouping) || result.starts_with("tests/sql/")
}

/// Text safe inside a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn repo_root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root")
    }

    #[test]
    fn every_supported_example_gives_its_result() {
        let mut failures = Vec::new();
        for e in entries() {
            match e.status {
                Status::Supported if e.examples.is_empty() => failures.push(format!("{}: supported without an example", e.form)),
                Status::Supported | Status::Missing if e.examples.iter().any(|(_, r)| file_pinned(e.category, r)) => {
                    for (call, file) in e.examples {
                        let path = repo_root().join(file);
                        let name = call.split('(').next().unwrap_or(call).trim();
                        match std::fs::read_to_string(&path) {
                            Ok(text) if text.to_ascii_uppercase().contains(&name.to_ascii_uppercase()) => {}
                            _ => failures.push(format!("{}: {file} does not exist or does not use {name}", e.form)),
                        }
                    }
                }
                Status::Supported | Status::Missing => {
                    for (expr, want) in e.examples {
                        let got = match crate::bind::evaluate_constant(expr) {
                            Ok(text) => text,
                            Err(err) => format!("error: {err}"),
                        };
                        let ok = match want.strip_prefix("error: ") {
                            Some(w) => got.starts_with("error: ") && got.contains(w),
                            None => got == *want,
                        };
                        if !ok {
                            failures.push(format!("{}: `{expr}` gave `{got}`, not `{want}`", e.form));
                        }
                    }
                }
                Status::LeftOut(_) => {}
            }
        }
        assert!(failures.is_empty(), "{} examples fail:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn every_registered_function_is_in_an_example() {
        let all = entries();
        let mut missing = Vec::new();
        for def in vstream_repr::func::registry::all() {
            let used = all.iter().any(|e| {
                e.examples.iter().any(|(x, _)| {
                    let upper = x.to_ascii_uppercase();
                    upper.match_indices(def.name).any(|(i, _)| {
                        let before = upper[..i].chars().next_back();
                        let after = upper[i + def.name.len()..].chars().next();
                        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && after.is_some_and(|c| c == '(' || c == ' ')
                    })
                })
            });
            if !used {
                missing.push(def.name);
            }
        }
        assert!(missing.is_empty(), "registered but in no catalog example: {missing:?}");
    }

    #[test]
    fn docs_functions_md_is_current() {
        let path = repo_root().join("docs/functions.md");
        let want = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).expect("write docs/functions.md");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/functions.md is stale: run `cargo run -q -p vstream-planner --bin vstream-plan -- functions > docs/functions.md`"
        );
    }
}
