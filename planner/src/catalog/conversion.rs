//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Conversion,
        form: "CAST(value AS type)",
        status: Supported,
        examples: &[
            ("CAST('42' AS INT)", "42"),
            ("CAST(' 42 ' AS INT)", "42"),
            ("CAST('12x' AS INT)", "error: cannot cast"),
            ("CAST(3.7 AS INT)", "3"),
            ("CAST(-3.7 AS BIGINT)", "-3"),
            ("CAST(300 AS TINYINT)", "error: cannot cast"),
            ("CAST(TRUE AS INT)", "1"),
            ("CAST(0 AS BOOLEAN)", "false"),
            ("CAST('yes' AS BOOLEAN)", "true"),
            ("CAST(1.5 AS STRING)", "1.5"),
            ("CAST(NULL AS INT)", "NULL"),
            ("CAST(CAST(1.1 AS FLOAT) AS DOUBLE)", "1.100000023841858"),
        ],
        note: "Numbers to integers truncate toward zero, as Flink (DuckDB rounds). A number outside the target's range fails the run; Flink wraps it around.",
    },
    Entry {
        category: Conversion,
        form: "TRY_CAST(value AS type)",
        status: Supported,
        examples: &[
            ("TRY_CAST('12x' AS INT)", "NULL"),
            ("TRY_CAST('42' AS INT)", "42"),
            ("TRY_CAST(300 AS TINYINT)", "NULL"),
            ("TRY_CAST(NULL AS INT)", "NULL"),
        ],
        note: "",
    },
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
