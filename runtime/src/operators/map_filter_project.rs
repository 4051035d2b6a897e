//! Filter then project, batch by batch: the stateless part of every query.
//!
//! An expression that fails on a row (a bad cast, an overflow, an invalid argument) fails its
//! whole batch. Only then, on that error path, the batch is evaluated again in halves, down to
//! single rows, to find the rows that fail and what failed (the WHERE clause or an output
//! column): under the source's `'on-error' = 'fail'` the run fails naming the first such row's
//! place (`file:line`, or a Kafka topic, partition and offset, from the batch's origins), under
//! `'skip'` those rows are dropped, counted as rejected and written to the source's rejects
//! file, and the rest of the batch goes on. The happy path costs nothing more than one batch
//! evaluation.

use crate::context::{RejectsFile, append_rejects};
use crate::error::DataflowError;
use crate::metrics::Metrics;
use crate::operators::SharedErrors;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use vstream_connectors::LineCounter;
use vstream_repr::origin::{OriginKind, RowOrigins};
use vstream_repr::{Batch, ColumnData, EvalError, RowKind, ScalarExpr};

/// What a failing row is reported with: the query, the names of the columns the expressions
/// read and write, and where a skipped row goes.
pub struct RowErrors {
    /// The query, by the table it writes (`query into `out``).
    pub query: String,
    /// The input's column names, to show an expression.
    pub input_names: Vec<String>,
    /// The output's column names, one per expression.
    pub output_names: Vec<String>,
    /// The run's counters (a skipped row counts as rejected).
    pub metrics: Arc<Metrics>,
    /// Per plan node: a source's rejects file, where a row skipped for an expression error is
    /// appended as a record that fails to decode is.
    pub rejects: Vec<Option<RejectsFile>>,
}

/// Keeps the rows where `predicate` is TRUE and computes `exprs` over them. An expression error
/// fails the run naming the row's place and the column, or, under the row's source's
/// `'on-error' = 'skip'`, drops the rows that fail (see the module docs).
pub fn map_filter_project<'scope>(
    input: Stream<'scope, u64, Vec<Batch>>,
    name: &str,
    predicate: Option<ScalarExpr>,
    exprs: Vec<ScalarExpr>,
    report: RowErrors,
    errors: SharedErrors,
) -> Stream<'scope, u64, Vec<Batch>> {
    input.unary(Pipeline, name, move |_cap, _info| {
        let mut files = SourceFiles::default();
        move |input, output| {
            input.for_each(|time, data| {
                let mut out: Vec<Batch> = Vec::with_capacity(data.len());
                for batch in data.drain(..) {
                    let result = match apply(&batch, predicate.as_ref(), &exprs) {
                        Ok(b) => Ok(b),
                        Err(e) => recover(&batch, predicate.as_ref(), &exprs, e, &report, &mut files),
                    };
                    match result {
                        Ok(Some(b)) => out.push(b),
                        Ok(None) => {}
                        Err(e) => {
                            errors.fail(e);
                            return;
                        }
                    }
                }
                if !out.is_empty() {
                    output.session(&time).give_container(&mut out);
                }
            });
        }
    })
}

/// One batch through the filter and projection; `None` when no row passes. The rows' origins
/// are kept, row for row.
pub fn apply(batch: &Batch, predicate: Option<&ScalarExpr>, exprs: &[ScalarExpr]) -> Result<Option<Batch>, EvalError> {
    let filtered;
    let rows = match predicate {
        None => batch,
        Some(p) => {
            let c = p.eval(batch)?;
            let ColumnData::Bool(mut mask) = c.data else {
                return Err(EvalError::InvalidArgument { func: "WHERE", detail: "not a BOOLEAN".into() });
            };
            if let Some(valid) = &c.validity {
                for (m, v) in mask.iter_mut().zip(valid) {
                    *m &= *v;
                }
            }
            if !mask.iter().any(|m| *m) {
                return Ok(None);
            }
            filtered = batch.filter(&mask);
            &filtered
        }
    };
    let columns = exprs.iter().map(|e| e.eval(rows)).collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Batch::new(rows.len, columns).with_kinds(rows.kinds.clone()).with_origins(rows.origins.clone())))
}

/// What failed on a row: the WHERE clause, or the expression of output column `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failed {
    Where,
    Column(usize),
}

/// Row `row` of `batch` alone through the filter and projection: what fails on it, if anything.
fn row_failure(batch: &Batch, row: usize, predicate: Option<&ScalarExpr>, exprs: &[ScalarExpr]) -> Option<(Failed, EvalError)> {
    let one = batch.slice(row..row + 1);
    if let Some(p) = predicate {
        match p.eval(&one) {
            Err(e) => return Some((Failed::Where, e)),
            // A row the filter drops computes nothing more (as in the batch).
            Ok(c) => {
                let passes = matches!(&c.data, ColumnData::Bool(m) if m.first() == Some(&true)) && c.is_valid(0);
                if !passes {
                    return None;
                }
            }
        }
    }
    exprs.iter().enumerate().find_map(|(i, e)| e.eval(&one).err().map(|err| (Failed::Column(i), err)))
}

/// The rows of `rows` that fail, in order, with what failed: halves that evaluate cleanly are
/// done with, those that fail are split again down to single rows, so `k` failing rows of `n`
/// cost about `k log n` evaluations of ever smaller slices. `first_only`: stop at the first.
fn failing_rows(
    batch: &Batch,
    rows: std::ops::Range<usize>,
    predicate: Option<&ScalarExpr>,
    exprs: &[ScalarExpr],
    first_only: bool,
    found: &mut Vec<(usize, Failed, EvalError)>,
) {
    if rows.is_empty() || (first_only && !found.is_empty()) {
        return;
    }
    if rows.len() == 1 {
        if let Some((failed, e)) = row_failure(batch, rows.start, predicate, exprs) {
            found.push((rows.start, failed, e));
        }
        return;
    }
    if apply(&batch.slice(rows.clone()), predicate, exprs).is_ok() {
        return;
    }
    let middle = rows.start + rows.len() / 2;
    failing_rows(batch, rows.start..middle, predicate, exprs, first_only, found);
    failing_rows(batch, middle..rows.end, predicate, exprs, first_only, found);
}

/// The error path of a batch whose evaluation failed with `error`: finds the rows that fail
/// (see [`failing_rows`]). Under skip (the rows' source says so), drops them and evaluates the rest; otherwise
/// the error names the first one's place and column. A batch in which no single row fails (an
/// error of the batch as a whole) fails with `error` as it is.
#[cold]
#[inline(never)]
fn recover(
    batch: &Batch,
    predicate: Option<&ScalarExpr>,
    exprs: &[ScalarExpr],
    error: EvalError,
    report: &RowErrors,
    files: &mut SourceFiles,
) -> Result<Option<Batch>, DataflowError> {
    let skip = batch.origins.as_ref().is_some_and(|o| o.source.skip);
    let mut skipped = Vec::new();
    failing_rows(batch, 0..batch.len, predicate, exprs, !skip, &mut skipped);
    if !skip && let Some((row, failed, e)) = skipped.first() {
        let column = describe(*failed, predicate, exprs, report);
        return Err(row_error(batch.origins.as_ref(), *row, column, e, report, files));
    }
    let mut keep = vec![true; batch.len];
    for (row, _, _) in &skipped {
        keep[*row] = false;
    }
    if skipped.is_empty() {
        return Err(DataflowError::RowCompute { place: None, query: report.query.clone(), column: None, message: error.to_string() });
    }
    Metrics::add(&report.metrics.rejected, skipped.len() as u64);
    if let Some(origins) = &batch.origins
        && let Some(Some(rejects)) = report.rejects.get(origins.source.node)
    {
        let records = skipped.iter().map(|(row, failed, e)| {
            let column = describe(*failed, predicate, exprs, report);
            reject_record(origins, *row, &column, e, report, files)
        });
        let records: Vec<serde_json::Value> = records.collect();
        append_rejects(rejects, records).map_err(|e| DataflowError::RejectsIo { error: e })?;
    }
    drop_update_halves(batch, &mut keep);
    if !keep.iter().any(|k| *k) {
        return Ok(None);
    }
    let rest = batch.filter(&keep);
    apply(&rest, predicate, exprs).map_err(|e| DataflowError::RowCompute {
        place: None,
        query: report.query.clone(),
        column: None,
        message: e.to_string(),
    })
}

/// An update of a changelog is its two rows (`-U` then `+U`) or nothing, as a change event
/// that fails to decode is: where one half is dropped, so is the other, so that the old row is
/// neither retracted without its new version nor left twice.
fn drop_update_halves(batch: &Batch, keep: &mut [bool]) {
    let Some(kinds) = &batch.kinds else { return };
    for i in 1..kinds.len().min(keep.len()) {
        if kinds[i - 1] == RowKind::UpdateBefore && kinds[i] == RowKind::UpdateAfter && keep[i - 1] != keep[i] {
            keep[i - 1] = false;
            keep[i] = false;
        }
    }
}

/// The error of row `row`, which fails at `column` with `error`.
fn row_error(
    origins: Option<&RowOrigins>,
    row: usize,
    column: String,
    error: &EvalError,
    report: &RowErrors,
    files: &mut SourceFiles,
) -> DataflowError {
    DataflowError::RowCompute {
        place: origins.and_then(|o| place_of(o, row, files)),
        query: report.query.clone(),
        column: Some(column),
        message: error.to_string(),
    }
}

/// The source files an operator names rows of, opened on its first failing row: each with a
/// line counter that counts on from the last line it found (a worker's rows come in file
/// order), so skipping many rows reads each file about once, not once per row.
#[derive(Default)]
pub struct SourceFiles {
    open: HashMap<usize, (std::fs::File, LineCounter)>,
}

impl SourceFiles {
    fn file(&mut self, node: usize, path: &Path) -> Option<&mut (std::fs::File, LineCounter)> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.open.entry(node) {
            slot.insert((std::fs::File::open(path).ok()?, LineCounter::new()));
        }
        self.open.get_mut(&node)
    }

    /// The 1-based number of the line holding byte `offset` of source `node`'s file at `path`.
    fn line(&mut self, node: usize, path: &Path, offset: u64) -> Option<u64> {
        let (file, lines) = self.file(node, path)?;
        lines.line_at(file, offset).ok()
    }

    /// The line that starts at byte `offset` of source `node`'s file at `path`, without its line
    /// break (at most 1 MiB of it).
    fn line_text(&mut self, node: usize, path: &Path, offset: u64) -> Option<String> {
        use std::os::unix::fs::FileExt;
        let (file, _) = self.file(node, path)?;
        let mut line = Vec::new();
        let mut block = [0u8; 4096];
        while line.len() < 1 << 20 {
            let n = file.read_at(&mut block, offset + line.len() as u64).ok()?;
            match block[..n].iter().position(|b| *b == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&block[..end]);
                    break;
                }
                None => line.extend_from_slice(&block[..n]),
            }
            if n < block.len() {
                break;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }
}

/// Where row `row` was read from, as the user finds it: `path:line`, or a Kafka topic,
/// partition and offset. Counting a file's lines reads it up to the row (the error path only).
fn place_of(origins: &RowOrigins, row: usize, files: &mut SourceFiles) -> Option<String> {
    let place = origins.place(row)?;
    let input = &origins.source.input;
    Some(match &origins.source.kind {
        OriginKind::File { path } => match files.line(origins.source.node, path, place) {
            Some(line) => format!("{input}:{line}"),
            None => format!("{input} at byte {place}"),
        },
        OriginKind::Kafka { partition } => format!("Kafka topic '{input}' partition {partition} offset {place}"),
    })
}

/// The record a skipped row leaves in its source's rejects file: as a record that fails to
/// decode does (file, line, error, the line's text; or topic, partition, offset, error).
fn reject_record(
    origins: &RowOrigins,
    row: usize,
    column: &str,
    error: &EvalError,
    report: &RowErrors,
    files: &mut SourceFiles,
) -> serde_json::Value {
    let place = origins.place(row).unwrap_or(0);
    let message = format!("{}, {column}: {error}", report.query);
    let node = origins.source.node;
    match &origins.source.kind {
        OriginKind::File { path } => serde_json::json!({
            "file": origins.source.input,
            "line": files.line(node, path, place),
            "error": message,
            "record": files.line_text(node, path, place).unwrap_or_default(),
        }),
        OriginKind::Kafka { partition } => serde_json::json!({
            "topic": origins.source.input,
            "partition": partition,
            "offset": place,
            "error": message,
        }),
    }
}

/// ``column `n` (CAST(extra AS INT))``, or `the WHERE clause (...)`: the expression is shown
/// (its first 80 characters) unless it is a column as it is.
fn describe(failed: Failed, predicate: Option<&ScalarExpr>, exprs: &[ScalarExpr], report: &RowErrors) -> String {
    let (what, name, expr) = match failed {
        Failed::Where => ("the WHERE clause".to_string(), None, predicate),
        Failed::Column(i) => match report.output_names.get(i) {
            Some(name) => (format!("column `{name}`"), Some(name.as_str()), exprs.get(i)),
            None => (format!("column {}", i + 1), None, exprs.get(i)),
        },
    };
    match expr {
        None | Some(ScalarExpr::Column { .. }) => what,
        Some(e) => {
            let text = e.display_with(&report.input_names).to_string();
            let text = without_outer_parentheses(&text).to_string();
            // A column computed for an aggregate is named by its expression already.
            if name == Some(text.as_str()) {
                return what;
            }
            let text = if text.chars().count() > 80 { format!("{}...", text.chars().take(80).collect::<String>()) } else { text };
            format!("{what} ({text})")
        }
    }
}

/// `a + b` for `(a + b)`: the display of an operation is parenthesised, which reads oddly
/// inside the parentheses of a message. Text not wrapped as a whole stays as it is.
fn without_outer_parentheses(text: &str) -> &str {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else { return text };
    // The opening parenthesis must close at the very end, not earlier (`(a) + (b)`).
    let mut depth = 1usize;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return text;
                }
            }
            _ => {}
        }
    }
    inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use vstream_repr::origin::SourceOrigin;
    use vstream_repr::{BinaryOp, DataType, Datum, Field, Schema};

    fn report() -> RowErrors {
        RowErrors {
            query: "query into `out`".into(),
            input_names: vec!["a".into(), "b".into()],
            output_names: vec!["q".into()],
            metrics: Arc::new(Metrics::default()),
            rejects: Vec::new(),
        }
    }

    /// Rows (a, b) read from Kafka partition 3 at offsets 100, 101, ...
    fn batch(rows: &[(i64, i64)], skip: bool) -> Batch {
        let schema = Schema::new(vec![Field::new("a", DataType::BigInt), Field::new("b", DataType::BigInt)]);
        let rows: Vec<Vec<Datum>> = rows.iter().map(|(a, b)| vec![Datum::Int(*a), Datum::Int(*b)]).collect();
        let source = Arc::new(SourceOrigin { node: 0, input: "t".into(), kind: OriginKind::Kafka { partition: 3 }, skip });
        let places = (100..100 + rows.len() as u64).collect();
        Batch::from_rows(&schema, &rows).with_origins(Some(RowOrigins { source, places }))
    }

    fn col(index: usize) -> ScalarExpr {
        ScalarExpr::Column { index, ty: DataType::BigInt }
    }

    /// `a + b`: fails where it overflows BIGINT.
    fn sum() -> ScalarExpr {
        ScalarExpr::Binary { op: BinaryOp::Add, left: Box::new(col(0)), right: Box::new(col(1)), ty: DataType::BigInt }
    }

    const MAX: i64 = i64::MAX;

    fn run(batch: &Batch, predicate: Option<&ScalarExpr>, report: &RowErrors) -> Result<Option<Batch>, DataflowError> {
        match apply(batch, predicate, &[sum()]) {
            Ok(b) => Ok(b),
            Err(e) => recover(batch, predicate, &[sum()], e, report, &mut SourceFiles::default()),
        }
    }

    #[test]
    fn the_first_failing_row_is_named_by_its_place_and_column() {
        let b = batch(&[(6, 3), (MAX, 1), (MAX, 2)], false);
        let err = run(&b, None, &report()).expect_err("an overflow");
        let text = err.to_string();
        assert_eq!(text, "Kafka topic 't' partition 3 offset 101: query into `out`, column `q` (a + b): BIGINT overflow in +");
    }

    #[test]
    fn rows_the_filter_drops_do_not_fail() {
        // WHERE b <> 0 drops the row that would fail, in the batch and row by row alike.
        let nonzero = ScalarExpr::Binary {
            op: BinaryOp::NotEq,
            left: Box::new(col(1)),
            right: Box::new(ScalarExpr::Literal { value: Datum::Int(0), ty: DataType::BigInt }),
            ty: DataType::Boolean,
        };
        let b = batch(&[(6, 3), (MAX, 0), (MAX, 1)], false);
        let out = run(&b, Some(&nonzero), &report());
        let text = out.expect_err("the third row overflows").to_string();
        assert!(text.starts_with("Kafka topic 't' partition 3 offset 102: "), "{text}");
        let b = batch(&[(6, 3), (MAX, 0)], false);
        let out = run(&b, Some(&nonzero), &report()).expect("no row fails").expect("a row passes");
        assert_eq!(out.row(0), vec![Datum::Int(9)]);
        assert_eq!(out.origins.map(|o| o.places), Some(vec![100]));
    }

    #[test]
    fn skip_drops_and_counts_the_failing_rows_and_keeps_the_others() {
        let r = report();
        let b = batch(&[(6, 3), (MAX, 1), (8, 2), (MAX, 2)], true);
        let out = run(&b, None, &r).expect("skipped").expect("rows remain");
        assert_eq!((0..out.len).map(|i| out.row(i)).collect::<Vec<_>>(), vec![vec![Datum::Int(9)], vec![Datum::Int(10)]]);
        assert_eq!(out.origins.map(|o| o.places), Some(vec![100, 102]));
        assert_eq!(Metrics::get(&r.metrics.rejected), 2);
        // Every row failing leaves nothing.
        assert_eq!(run(&batch(&[(MAX, 1)], true), None, &r).expect("skipped"), None);
        assert_eq!(Metrics::get(&r.metrics.rejected), 3);
    }

    #[test]
    fn outer_parentheses_go_only_when_they_wrap_the_whole() {
        assert_eq!(without_outer_parentheses("(a + b)"), "a + b");
        assert_eq!(without_outer_parentheses("(a) + (b)"), "(a) + (b)");
        assert_eq!(without_outer_parentheses("CAST(a AS INT)"), "CAST(a AS INT)");
        assert_eq!(without_outer_parentheses("("), "(");
    }

    #[test]
    fn failing_rows_are_found_by_halving() {
        let bad = [3usize, 50, 51, 99];
        let rows: Vec<(i64, i64)> = (0..100).map(|i| if bad.contains(&i) { (MAX, 1) } else { (i as i64, 1) }).collect();
        let mut found = Vec::new();
        failing_rows(&batch(&rows, false), 0..100, None, &[sum()], false, &mut found);
        assert_eq!(found.iter().map(|(r, f, _)| (*r, *f)).collect::<Vec<_>>(), bad.map(|r| (r, Failed::Column(0))));
        let text = run(&batch(&rows, false), None, &report()).expect_err("an overflow").to_string();
        assert!(text.starts_with("Kafka topic 't' partition 3 offset 103: "), "the first failing row: {text}");
        let r = report();
        let out = run(&batch(&rows, true), None, &r).expect("skipped").expect("rows remain");
        assert_eq!(out.len, 96);
        assert_eq!(Metrics::get(&r.metrics.rejected), 4);
        assert!(out.origins.is_some_and(|o| o.places.iter().all(|p| !bad.contains(&((p - 100) as usize)))));
    }

    #[test]
    fn an_update_is_skipped_whole() {
        let r = report();
        // -U (1, 1) fine, +U (MAX, 1) fails: both go; the insert after them stays.
        let b =
            batch(&[(1, 1), (MAX, 1), (2, 2)], true).with_kinds(Some(vec![RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Insert]));
        let out = run(&b, None, &r).expect("skipped").expect("the insert remains");
        assert_eq!((0..out.len).map(|i| out.row(i)).collect::<Vec<_>>(), vec![vec![Datum::Int(4)]]);
        assert_eq!(out.kinds, Some(vec![RowKind::Insert]));
        assert_eq!(Metrics::get(&r.metrics.rejected), 1);
    }

    #[test]
    fn source_files_give_lines_and_their_text() {
        let path = std::env::temp_dir().join(format!("vstream-mfp-lines-{}", std::process::id()));
        let long = "x".repeat(5000);
        std::fs::write(&path, format!("h\r\na,1\r\n\n{long}\nlast")).expect("write");
        let mut files = SourceFiles::default();
        let starts = [(0u64, 1u64, "h"), (3, 2, "a,1"), (9, 4, long.as_str()), (5010, 5, "last"), (3, 2, "a,1")];
        for (offset, line, text) in starts {
            assert_eq!(files.line(7, &path, offset), Some(line), "offset {offset}");
            assert_eq!(files.line_text(7, &path, offset).as_deref(), Some(text), "offset {offset}");
        }
        let _ = std::fs::remove_file(&path);
        // A file that cannot be opened has no lines (the message then names the byte offset).
        assert_eq!(files.line(8, Path::new("/nonexistent/vstream"), 0), None);
    }

    #[test]
    fn without_origins_the_column_is_still_named() {
        let mut b = batch(&[(1, 0), (MAX, 1)], false);
        b.origins = None;
        let text = run(&b, None, &report()).expect_err("an overflow").to_string();
        assert_eq!(text, "query into `out`, column `q` (a + b): BIGINT overflow in +");
    }
}
