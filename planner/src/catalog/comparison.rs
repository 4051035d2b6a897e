//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Comparison, form: "value1 = value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 <> value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 > value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 >= value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 < value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 <= value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value IS NULL", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value IS NOT NULL", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 IS DISTINCT FROM value2", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 IS NOT DISTINCT FROM value2", status: Missing, examples: &[], note: "" },
    Entry {
        category: Comparison,
        form: "value1 BETWEEN [ ASYMMETRIC | SYMMETRIC ] value2 AND value3",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: Comparison,
        form: "value1 NOT BETWEEN [ ASYMMETRIC | SYMMETRIC ] value2 AND value3",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Comparison, form: "string1 LIKE string2 [ ESCAPE char ]", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "string1 NOT LIKE string2 [ ESCAPE char ]", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "string1 SIMILAR TO string2 [ ESCAPE char ]", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "string1 NOT SIMILAR TO string2 [ ESCAPE char ]", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 IN (value2 [, value3]* )", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value1 NOT IN (value2 [, value3]* )", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "EXISTS (sub-query)", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value IN (sub-query)", status: Missing, examples: &[], note: "" },
    Entry { category: Comparison, form: "value NOT IN (sub-query)", status: Missing, examples: &[], note: "" },
];
