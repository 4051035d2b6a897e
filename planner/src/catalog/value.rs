//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: ValueConstruction, form: "(value1 [, value2]*)", status: Missing, examples: &[], note: "" },
    Entry { category: ValueConstruction, form: "ROW(value1 [, value2]*)", status: Missing, examples: &[], note: "" },
    Entry { category: ValueConstruction, form: "ARRAY '[' value1 [, value2 ]* ']'", status: Missing, examples: &[], note: "" },
    Entry {
        category: ValueConstruction,
        form: "MAP '[' value1, value2 [, value3, value4 ]* ']'",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: ValueConstruction,
        form: "DESCRIPTOR '(' identifier1 [, identifier2  ]* ')'",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: ValueConstruction,
        form: "OBJECT_OF(className, [key, value [, key, value , ...]])",
        status: LeftOut("structured (class-backed) types are Java objects, which vstream has no notion of"),
        examples: &[],
        note: "",
    },
    Entry { category: ValueAccess, form: "tableName.compositeType.field", status: Missing, examples: &[], note: "" },
    Entry { category: ValueAccess, form: "tableName.compositeType.*", status: Missing, examples: &[], note: "" },
];
