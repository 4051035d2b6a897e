//! Flink's forms of this part of the function list, with vstream's status and examples.
//!
//! Like aggregates, these are pinned by `(call, test file)` examples: they have a value only per
//! group of a GROUP BY with grouping sets, so they cannot be evaluated over no table.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Grouping, form: "GROUP_ID()", status: Missing, examples: &[], note: "" },
    Entry {
        category: Grouping,
        form: "GROUPING(expression1 [, expression2]* )",
        status: Supported,
        examples: &[("GROUPING(a)", "tests/sql/agg_grouping_sets.test"), ("GROUPING(a)", "tests/sql/agg_grouping_sets_changelog.test")],
        note: "",
    },
    Entry {
        category: Grouping,
        form: "GROUPING_ID(expression1 [, expression2]* )",
        status: Supported,
        examples: &[("GROUPING_ID(a, b)", "tests/sql/agg_grouping_sets.test")],
        note: "",
    },
];
