//! Every registered function, called with every combination of awkward arguments (NULL, zero,
//! negative and extreme numbers, empty and odd strings, dates, arrays) up to three of them, either
//! gives a value or an error: never a panic. Results are not checked here (the catalog's examples
//! and tests/sql pin them); what is checked is that no input reaches an `unwrap`, an index out of
//! range, an arithmetic overflow or an allocation sized by the input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use vstream_planner::bind::evaluate_constant;
use vstream_repr::func::registry;

const ARGS: &[&str] = &[
    "NULL",
    "0",
    "-1",
    "2147483647",
    "-9223372036854775808",
    "1.5",
    "CAST('NaN' AS DOUBLE)",
    "''",
    "'a,b=c'",
    "'[{\"k\": [1, null]}]'",
    "'%_\\'",
    "DATE '2024-02-29'",
    "TIMESTAMP '1969-12-31 23:59:59.999'",
    "ARRAY[1, NULL]",
];

#[test]
fn no_function_panics_on_awkward_arguments() {
    let mut panics = Vec::new();
    let (mut calls, mut values) = (0, 0);
    for def in registry::all() {
        let mut combos: Vec<Vec<&str>> = vec![vec![]];
        for _ in 0..3 {
            let longer: Vec<Vec<&str>> = combos
                .iter()
                .filter(|c| c.len() == combos.last().map_or(0, |l| l.len()))
                .flat_map(|c| ARGS.iter().map(move |a| [c.clone(), vec![*a]].concat()))
                .collect();
            combos.extend(longer);
        }
        for args in combos {
            let sql = format!("{}({})", def.name, args.join(", "));
            calls += 1;
            match catch_unwind(AssertUnwindSafe(|| evaluate_constant(&sql))) {
                Ok(Ok(_)) => {
                    values += 1;
                    // Again with each argument computed (a CASE is not folded), so the kernels'
                    // column paths run too, not only their one-literal fast paths.
                    let computed: Vec<String> = args.iter().map(|a| format!("CASE WHEN 1 = 1 THEN {a} END")).collect();
                    let sql = format!("{}({})", def.name, computed.join(", "));
                    if catch_unwind(AssertUnwindSafe(|| evaluate_constant(&sql))).is_err() {
                        panics.push(sql);
                    }
                }
                Ok(Err(_)) => {}
                Err(_) => panics.push(sql),
            }
        }
    }
    // Most combinations are type errors; enough must reach the kernels to mean something.
    assert!(values > 10_000, "only {values} of {calls} calls gave a value");
    assert!(
        panics.is_empty(),
        "{} calls panicked, e.g.:\n{}",
        panics.len(),
        panics.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn sample_calls_reach_the_kernels() {
    // The combinations above must get past the binder for the common signatures.
    assert_eq!(evaluate_constant("REPEAT('ab', 2)").ok().as_deref(), Some("abab"));
    assert!(evaluate_constant("REPEAT('a', 2147483647)").is_err(), "a 2 GiB result is refused, not allocated");
    assert!(evaluate_constant("LPAD('a', 2147483647, 'b')").is_err(), "a 2 GiB result is refused, not allocated");
}
