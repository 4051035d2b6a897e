//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Conditional,
        form: "CASE value WHEN value1_1 [, value1_2]* THEN RESULT1 (WHEN value2_1 [, value2_2 ]* THEN result_2)* (ELSE result_z) END",
        status: Supported,
        examples: &[
            ("CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END", "two"),
            ("CASE 3 WHEN 1 THEN 'one' END", "NULL"),
            ("CASE NULL WHEN 1 THEN 'x' ELSE 'y' END", "y"),
        ],
        note: "One value per WHEN: the `WHEN v1, v2` list is not parsed yet.",
    },
    Entry {
        category: Conditional,
        form: "CASE WHEN condition1 THEN result1 (WHEN condition2 THEN result2)* (ELSE result_z) END",
        status: Supported,
        examples: &[
            ("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END", "b"),
            ("CASE WHEN NULL THEN 1 ELSE 0 END", "0"),
            ("CASE WHEN FALSE THEN 1 END", "NULL"),
        ],
        note: "",
    },
    Entry {
        category: Conditional,
        form: "NULLIF(value1, value2)",
        status: Supported,
        examples: &[
            ("NULLIF(5, 5)", "NULL"),
            ("NULLIF(5, 0)", "5"),
            ("NULLIF('', '')", "NULL"),
            ("NULLIF(NULL, 1)", "NULL"),
            ("NULLIF(1, NULL)", "1"),
        ],
        note: "",
    },
    Entry {
        category: Conditional,
        form: "IF(condition, true_value, false_value)",
        status: Supported,
        examples: &[("IF(1 > 2, 'yes', 'no')", "no"), ("IF(NULL, 1, 2)", "2"), ("IF(TRUE, 1, 2.5)", "1.0")],
        note: "Only the branch a row takes is computed, as in a CASE.",
    },
    Entry {
        category: Conditional,
        form: "COALESCE(value1 [, value2]*)",
        status: Supported,
        examples: &[("COALESCE(NULL, 2, 3)", "2"), ("COALESCE(NULL, NULL)", "NULL"), ("COALESCE(1, 2.5)", "1.0")],
        note: "",
    },
    Entry {
        category: Conditional,
        form: "IFNULL(input, null_replacement)",
        status: Supported,
        examples: &[("IFNULL(NULL, 'x')", "x"), ("IFNULL('a', 'x')", "a"), ("IFNULL(NULL, NULL)", "NULL")],
        note: "",
    },
    Entry {
        category: Conditional,
        form: "IS_ALPHA(string)",
        status: Supported,
        examples: &[("IS_ALPHA('abc')", "true"), ("IS_ALPHA('ab1')", "false"), ("IS_ALPHA('')", "false"), ("IS_ALPHA(NULL)", "false")],
        note: "FALSE, not NULL, for NULL, as Flink.",
    },
    Entry {
        category: Conditional,
        form: "IS_DECIMAL(string)",
        status: Supported,
        examples: &[
            ("IS_DECIMAL('1.5')", "true"),
            ("IS_DECIMAL('-1e3')", "true"),
            ("IS_DECIMAL('12x')", "false"),
            ("IS_DECIMAL('')", "false"),
            ("IS_DECIMAL(NULL)", "false"),
        ],
        note: "TRUE for what Java's Double.parseDouble reads; FALSE for NULL.",
    },
    Entry {
        category: Conditional,
        form: "IS_DIGIT(string)",
        status: Supported,
        examples: &[
            ("IS_DIGIT('123')", "true"),
            ("IS_DIGIT('1.5')", "false"),
            ("IS_DIGIT('-1')", "false"),
            ("IS_DIGIT('')", "false"),
            ("IS_DIGIT(NULL)", "false"),
        ],
        note: "ASCII digits only (Flink also takes other Unicode decimal digits).",
    },
    Entry {
        category: Conditional,
        form: "GREATEST(value1[, value2]*)",
        status: Supported,
        examples: &[
            ("GREATEST(1, 5, 3)", "5"),
            ("GREATEST(1, NULL, 3)", "NULL"),
            ("GREATEST('apple', 'banana')", "banana"),
            ("GREATEST(1, 2.5)", "2.5"),
        ],
        note: "NULL if any argument is NULL, as Flink; DuckDB skips NULLs.",
    },
    Entry {
        category: Conditional,
        form: "LEAST(value1[, value2]*)",
        status: Supported,
        examples: &[("LEAST(1, 5, 3)", "1"), ("LEAST(-1, NULL)", "NULL"), ("LEAST(CAST(1.5 AS DOUBLE), 2)", "1.5")],
        note: "NULL if any argument is NULL, as Flink; DuckDB skips NULLs.",
    },
];
