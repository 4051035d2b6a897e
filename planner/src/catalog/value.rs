//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: ValueConstruction,
        form: "(value1 [, value2]*)",
        status: Supported,
        examples: &[
            ("(1, 'a')", "{\"EXPR$0\":1,\"EXPR$1\":\"a\"}"),
            ("(1, NULL).EXPR$1", "NULL"),
            ("(1, 2.5)", "{\"EXPR$0\":1,\"EXPR$1\":2.5}"),
        ],
        note: "Fields are named EXPR$0, EXPR$1, ... as Flink names them.",
    },
    Entry {
        category: ValueConstruction,
        form: "ROW(value1 [, value2]*)",
        status: Supported,
        examples: &[("ROW(1, 'a')", "{\"EXPR$0\":1,\"EXPR$1\":\"a\"}"), ("ROW(7)", "{\"EXPR$0\":7}"), ("ROW(1, 'x').EXPR$0", "1")],
        note: "",
    },
    Entry {
        category: ValueConstruction,
        form: "ARRAY '[' value1 [, value2 ]* ']'",
        status: Supported,
        examples: &[
            ("ARRAY[1, 2, 3]", "[1,2,3]"),
            ("ARRAY[1, NULL, 2.5]", "[1.0,null,2.5]"),
            ("ARRAY['a', NULL]", "[\"a\",null]"),
            ("ARRAY[ARRAY[1], ARRAY[2, 3]]", "[[1],[2,3]]"),
            ("ARRAY[1, 'a']", "error: mixes"),
            ("CAST(ARRAY[1, 2] AS ARRAY<STRING>)", "[\"1\",\"2\"]"),
            ("CAST(ARRAY['1', NULL] AS ARRAY<INT>)", "[1,null]"),
            ("CAST(ARRAY['x'] AS ARRAY<INT>)", "error: cannot cast"),
            ("CAST(ARRAY[1, 2] AS STRING)", "[1,2]"),
        ],
        note: "Elements are brought to their common type; `ARRAY[]` is refused (no element type), as in Flink. CAST to STRING gives JSON text; CAST between arrays converts element by element.",
    },
    Entry {
        category: ValueConstruction,
        form: "MAP '[' value1, value2 [, value3, value4 ]* ']'",
        status: Supported,
        examples: &[
            ("MAP['a', 1, 'b', 2]", "{\"a\":1,\"b\":2}"),
            ("MAP['a', 1, 'a', 2]", "{\"a\":2}"),
            ("MAP[1, NULL]", "{\"1\":null}"),
            ("MAP['a', 1, 'b']", "error: pairs"),
        ],
        note: "A repeated key keeps its last value, as in Flink. JSON text writes every key as a string.",
    },
    Entry {
        category: ValueConstruction,
        form: "DESCRIPTOR '(' identifier1 [, identifier2  ]* ')'",
        status: Supported,
        examples: &[("DESCRIPTOR(ts)", "tests/sql/agg_window_functions.test")],
        note: "As in Flink, only as the time-column argument of the window table functions (TUMBLE, HOP, CUMULATE, SESSION).",
    },
    Entry {
        category: ValueConstruction,
        form: "OBJECT_OF(className, [key, value [, key, value , ...]])",
        status: LeftOut("structured (class-backed) types are Java objects, which vstream has no notion of"),
        examples: &[],
        note: "",
    },
    Entry {
        category: ValueAccess,
        form: "tableName.compositeType.field",
        status: Supported,
        examples: &[("ROW(1, ROW('x', 2)).EXPR$1.EXPR$0", "x"), ("ROW(1, 2)['EXPR$1']", "2"), ("ROW(1, 2).nope", "error: no field")],
        note: "`t.r.f` reads table t's column r when t is a relation in scope, else column t's field r.",
    },
    Entry {
        category: ValueAccess,
        form: "tableName.compositeType.*",
        status: Supported,
        examples: &[("pos.*", "tests/sql/nested_access.test")],
        note: "In a SELECT list, as in Flink: one column per field of the ROW.",
    },
];
