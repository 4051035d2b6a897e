//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Logical,
        form: "boolean1 OR boolean2",
        status: Supported,
        examples: &[("TRUE OR NULL", "true"), ("FALSE OR NULL", "NULL"), ("FALSE OR FALSE", "false")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean1 AND boolean2",
        status: Supported,
        examples: &[("TRUE AND NULL", "NULL"), ("FALSE AND NULL", "false"), ("TRUE AND TRUE", "true")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "NOT boolean",
        status: Supported,
        examples: &[("NOT TRUE", "false"), ("NOT CAST(NULL AS BOOLEAN)", "NULL")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS FALSE",
        status: Supported,
        examples: &[("FALSE IS FALSE", "true"), ("NULL IS FALSE", "false"), ("TRUE IS FALSE", "false")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS NOT FALSE",
        status: Supported,
        examples: &[("NULL IS NOT FALSE", "true"), ("FALSE IS NOT FALSE", "false"), ("TRUE IS NOT FALSE", "true")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS TRUE",
        status: Supported,
        examples: &[("TRUE IS TRUE", "true"), ("NULL IS TRUE", "false"), ("1 > 2 IS TRUE", "false")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS NOT TRUE",
        status: Supported,
        examples: &[("NULL IS NOT TRUE", "true"), ("TRUE IS NOT TRUE", "false")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS UNKNOWN",
        status: Supported,
        examples: &[("NULL IS UNKNOWN", "true"), ("TRUE IS UNKNOWN", "false"), ("1 > NULL IS UNKNOWN", "true")],
        note: "",
    },
    Entry {
        category: Logical,
        form: "boolean IS NOT UNKNOWN",
        status: Supported,
        examples: &[("NULL IS NOT UNKNOWN", "false"), ("FALSE IS NOT UNKNOWN", "true")],
        note: "",
    },
];
