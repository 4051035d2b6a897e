//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Grouping, form: "GROUP_ID()", status: Missing, examples: &[], note: "" },
    Entry { category: Grouping, form: "GROUPING(expression1 [, expression2]* )", status: Missing, examples: &[], note: "" },
    Entry { category: Grouping, form: "GROUPING_ID(expression1 [, expression2]* )", status: Missing, examples: &[], note: "" },
];
