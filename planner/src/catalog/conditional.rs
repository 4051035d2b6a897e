//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Conditional,
        form: "CASE value WHEN value1_1 [, value1_2]* THEN RESULT1 (WHEN value2_1 [, value2_2 ]* THEN result_2)* (ELSE result_z) END",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: Conditional,
        form: "CASE WHEN condition1 THEN result1 (WHEN condition2 THEN result2)* (ELSE result_z) END",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Conditional, form: "NULLIF(value1, value2)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "IF(condition, true_value, false_value)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "COALESCE(value1 [, value2]*)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "IFNULL(input, null_replacement)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "IS_ALPHA(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "IS_DECIMAL(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "IS_DIGIT(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "GREATEST(value1[, value2]*)", status: Missing, examples: &[], note: "" },
    Entry { category: Conditional, form: "LEAST(value1[, value2]*)", status: Missing, examples: &[], note: "" },
];
