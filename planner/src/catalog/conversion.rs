//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Conversion, form: "CAST(value AS type)", status: Missing, examples: &[], note: "" },
    Entry { category: Conversion, form: "TRY_CAST(value AS type)", status: Missing, examples: &[], note: "" },
    Entry {
        category: Conversion,
        form: "TYPEOF(input)",
        status: LeftOut("left out by the issue that brought the functions; a column's type is in explain's output"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Conversion,
        form: "TYPEOF(input, force_serializable)",
        status: LeftOut("left out by the issue that brought the functions; a column's type is in explain's output"),
        examples: &[],
        note: "",
    },
];
