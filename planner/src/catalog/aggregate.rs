//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Aggregate,
        form: "COUNT([ ALL ] expression | DISTINCT expression1 [, expression2]*)",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Aggregate, form: "COUNT(*)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "COUNT(1)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "AVG([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "SUM([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "MAX([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "MIN([ ALL | DISTINCT ] expression )", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "STDDEV_POP([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "STDDEV_SAMP([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "VAR_POP([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "VAR_SAMP([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "VARIANCE([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "COLLECT([ ALL | DISTINCT ] expression)", status: Missing, examples: &[], note: "" },
    Entry {
        category: Aggregate,
        form: "ARRAY_AGG([ ALL | DISTINCT ] expression [ RESPECT NULLS | IGNORE NULLS ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Aggregate, form: "LISTAGG(expression [, separator])", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "FIRST_VALUE(expression)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "LAST_VALUE(expression)", status: Missing, examples: &[], note: "" },
    Entry {
        category: Aggregate,
        form: "JSON_OBJECTAGG([KEY] key VALUE value [ { NULL | ABSENT } ON NULL ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Aggregate, form: "JSON_ARRAYAGG(items [ { NULL | ABSENT } ON NULL ])", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "PERCENTILE(expr, percentage[, frequency])", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_BUILD_AGG(value)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_AND_AGG(bitmap)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_OR_AGG(bitmap)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_XOR_AGG(bitmap)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_BUILD_CARDINALITY_AGG(value)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_AND_CARDINALITY_AGG(bitmap)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_OR_CARDINALITY_AGG(bitmap)", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_XOR_CARDINALITY_AGG(bitmap)", status: Missing, examples: &[], note: "" },
];
