//! Flink's forms of this part of the function list, with vstream's status and examples.
//!
//! An aggregate's examples are `(call, test file)`: the tests/sql file that pins its semantics
//! (GROUP BY, windows, OVER, changelogs), checked by the catalog test to use the function.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// Why the BITMAP aggregates are left out.
const NO_BITMAP: &str = "vstream has no BITMAP type (the bitmap functions are left out with it)";

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Aggregate,
        form: "COUNT([ ALL ] expression | DISTINCT expression1 [, expression2]*)",
        status: Supported,
        examples: &[("COUNT(v)", "tests/sql/agg_count_nulls.test"), ("COUNT(DISTINCT s)", "tests/sql/agg_count_distinct.test")],
        note: "COUNT(DISTINCT ...) takes one expression in vstream (Flink: several)",
    },
    Entry {
        category: Aggregate,
        form: "COUNT(*)",
        status: Supported,
        examples: &[("COUNT(*)", "tests/sql/agg_count_nulls.test")],
        note: "",
    },
    Entry {
        category: Aggregate,
        form: "COUNT(1)",
        status: Supported,
        examples: &[("COUNT(1)", "tests/sql/agg_count_nulls.test")],
        note: "",
    },
    Entry {
        category: Aggregate,
        form: "AVG([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("AVG(p)", "tests/sql/agg_decimal.test"), ("AVG(DISTINCT v)", "tests/sql/agg_new_distinct_filter_empty.test")],
        note: "DOUBLE, as DuckDB; Flink keeps the argument's type (AVG of INT is an INT)",
    },
    Entry {
        category: Aggregate,
        form: "SUM([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("SUM(d)", "tests/sql/agg_decimal.test"), ("SUM(DISTINCT v)", "tests/sql/agg_count_distinct.test")],
        note: "integers sum to DECIMAL(38, 0) and DECIMAL(p, s) to DECIMAL(38, s), as DuckDB; overflow is an error",
    },
    Entry {
        category: Aggregate,
        form: "MAX([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[
            ("MAX(c)", "tests/sql/agg_min_max_varchar_timestamp.test"),
            ("MAX(DISTINCT v)", "tests/sql/agg_new_distinct_filter_empty.test"),
        ],
        note: "",
    },
    Entry {
        category: Aggregate,
        form: "MIN([ ALL | DISTINCT ] expression )",
        status: Supported,
        examples: &[
            ("MIN(c)", "tests/sql/agg_min_max_varchar_timestamp.test"),
            ("MIN(DISTINCT v)", "tests/sql/agg_new_distinct_filter_empty.test"),
        ],
        note: "",
    },
    Entry {
        category: Aggregate,
        form: "STDDEV_POP([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[
            ("STDDEV_POP(d)", "tests/sql/agg_variance.test"),
            ("STDDEV_POP(DISTINCT v)", "tests/sql/agg_new_distinct_filter_empty.test"),
            ("STDDEV_POP(v)", "tests/sql/agg_window_functions.test"),
        ],
        note: "DOUBLE (Flink keeps the argument's type); Welford's update, with retractions",
    },
    Entry {
        category: Aggregate,
        form: "STDDEV_SAMP([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("STDDEV_SAMP(d)", "tests/sql/agg_variance.test"), ("STDDEV_SAMP(v) OVER w", "tests/sql/agg_over_functions.test")],
        note: "DOUBLE (Flink keeps the argument's type); NULL over one value",
    },
    Entry {
        category: Aggregate,
        form: "VAR_POP([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("VAR_POP(i)", "tests/sql/agg_variance.test"), ("VAR_POP(v) OVER w", "tests/sql/agg_over_functions.test")],
        note: "DOUBLE (Flink keeps the argument's type)",
    },
    Entry {
        category: Aggregate,
        form: "VAR_SAMP([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("VAR_SAMP(i)", "tests/sql/agg_variance.test"), ("VAR_SAMP(v)", "tests/sql/agg_window_functions.test")],
        note: "DOUBLE (Flink keeps the argument's type); NULL over one value",
    },
    Entry {
        category: Aggregate,
        form: "VARIANCE([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[("VARIANCE(i)", "tests/sql/agg_variance.test")],
        note: "VAR_SAMP",
    },
    Entry {
        category: Aggregate,
        form: "COLLECT([ ALL | DISTINCT ] expression)",
        status: Supported,
        examples: &[
            ("COLLECT(name)", "tests/sql/agg_ordered_changelog.test"),
            ("COLLECT(v)", "tests/sql/agg_window_functions.test"),
            ("COLLECT(DISTINCT v)", "tests/sql/agg_new_distinct_filter_empty.test"),
        ],
        note: "vstream has no MULTISET type: a MAP<T, INT> of value → count, Flink's own representation of a multiset (entries in value order); no values: an empty MAP",
    },
    Entry {
        category: Aggregate,
        form: "ARRAY_AGG([ ALL | DISTINCT ] expression [ RESPECT NULLS | IGNORE NULLS ])",
        status: Supported,
        examples: &[
            ("ARRAY_AGG(score IGNORE NULLS)", "tests/sql/agg_ordered_changelog.test"),
            ("ARRAY_AGG(name) OVER w", "tests/sql/agg_over_functions.test"),
            ("ARRAY_AGG(DISTINCT s)", "tests/sql/agg_new_distinct_filter_empty.test"),
        ],
        note: "arrival order within the group; over a changelog a retraction removes the earliest element with that value",
    },
    Entry {
        category: Aggregate,
        form: "LISTAGG(expression [, separator])",
        status: Supported,
        examples: &[
            ("LISTAGG(name, ' | ')", "tests/sql/agg_ordered_changelog.test"),
            ("LISTAGG(name, '+') OVER w", "tests/sql/agg_over_functions.test"),
        ],
        note: "arrival order; the separator is the latest row's, as in Flink",
    },
    Entry {
        category: Aggregate,
        form: "FIRST_VALUE(expression)",
        status: Supported,
        examples: &[
            ("FIRST_VALUE(name)", "tests/sql/agg_ordered_changelog.test"),
            ("FIRST_VALUE(name) OVER w", "tests/sql/agg_over_functions.test"),
        ],
        note: "the first non-NULL value by arrival; a retraction removes the earliest row with that value",
    },
    Entry {
        category: Aggregate,
        form: "LAST_VALUE(expression)",
        status: Supported,
        examples: &[("LAST_VALUE(name)", "tests/sql/agg_ordered_changelog.test"), ("LAST_VALUE(k)", "tests/sql/agg_window_functions.test")],
        note: "the last non-NULL value by arrival",
    },
    Entry {
        category: Aggregate,
        form: "JSON_OBJECTAGG([KEY] key VALUE value [ { NULL | ABSENT } ON NULL ])",
        status: Supported,
        examples: &[
            ("JSON_OBJECTAGG(KEY name VALUE v ABSENT ON NULL)", "tests/sql/agg_window_functions.test"),
            ("JSON_OBJECTAGG(KEY k VALUE v)", "tests/sql/agg_error_json_objectagg_duplicate_key.test"),
        ],
        note: "keys written in sorted order (Flink's order is its map's); a duplicate or NULL key fails the run; not in OVER",
    },
    Entry {
        category: Aggregate,
        form: "JSON_ARRAYAGG(items [ { NULL | ABSENT } ON NULL ])",
        status: Supported,
        examples: &[("JSON_ARRAYAGG(score NULL ON NULL)", "tests/sql/agg_ordered_changelog.test")],
        note: "arrival order; ABSENT ON NULL by default; no rows: `[]`; not in OVER (vstream allows it in HOP and SESSION windows, which Flink refuses)",
    },
    Entry { category: Aggregate, form: "PERCENTILE(expr, percentage[, frequency])", status: Missing, examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_BUILD_AGG(value)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_AND_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_OR_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_XOR_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_BUILD_CARDINALITY_AGG(value)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_AND_CARDINALITY_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_OR_CARDINALITY_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry { category: Aggregate, form: "BITMAP_XOR_CARDINALITY_AGG(bitmap)", status: LeftOut(NO_BITMAP), examples: &[], note: "" },
    Entry {
        category: Aggregate,
        form: "ROW_NUMBER()",
        status: Supported,
        examples: &[("ROW_NUMBER()", "tests/sql/topn_changelog.test"), ("ROW_NUMBER()", "tests/sql/dedup_first_last.test")],
        note: "OVER-only; as Flink runs it: Top-N (a bound on it in WHERE) and deduplication",
    },
    Entry {
        category: Aggregate,
        form: "RANK()",
        status: Supported,
        examples: &[("RANK()", "tests/sql/topn_rank_dense_rank.test")],
        note: "OVER-only; Top-N, as Flink runs it",
    },
    Entry {
        category: Aggregate,
        form: "DENSE_RANK()",
        status: Supported,
        examples: &[("DENSE_RANK()", "tests/sql/topn_rank_dense_rank.test")],
        note: "OVER-only; Top-N, as Flink runs it",
    },
    Entry { category: Aggregate, form: "PERCENT_RANK()", status: Missing, examples: &[], note: "OVER-only" },
    Entry { category: Aggregate, form: "CUME_DIST()", status: Missing, examples: &[], note: "OVER-only" },
    Entry { category: Aggregate, form: "NTILE(n)", status: Missing, examples: &[], note: "OVER-only" },
    Entry { category: Aggregate, form: "LEAD(expression [, offset] [, default])", status: Missing, examples: &[], note: "OVER-only" },
    Entry { category: Aggregate, form: "LAG(expression [, offset] [, default])", status: Missing, examples: &[], note: "OVER-only" },
];
