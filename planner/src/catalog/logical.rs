//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Logical, form: "boolean1 OR boolean2", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean1 AND boolean2", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "NOT boolean", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS FALSE", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS NOT FALSE", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS TRUE", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS NOT TRUE", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS UNKNOWN", status: Missing, examples: &[], note: "" },
    Entry { category: Logical, form: "boolean IS NOT UNKNOWN", status: Missing, examples: &[], note: "" },
];
