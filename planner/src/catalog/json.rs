//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Json, form: "IS JSON [ { VALUE | SCALAR | ARRAY | OBJECT } ]", status: Missing, examples: &[], note: "" },
    Entry {
        category: Json,
        form: "JSON_EXISTS(jsonValue, path [ { TRUE | FALSE | UNKNOWN | ERROR } ON ERROR ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Json, form: "JSON_STRING(value)", status: Missing, examples: &[], note: "" },
    Entry {
        category: Json,
        form: "JSON_VALUE(jsonValue, path [RETURNING <dataType>] [ { NULL | ERROR | DEFAULT <defaultExpr> } ON EMPTY ] [ { NULL | ERROR | DEFAULT <defaultExpr> } ON ERROR ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: Json,
        form: "JSON_QUERY(jsonValue, path [RETURNING <dataType>] [ { WITHOUT | WITH CONDITIONAL | WITH UNCONDITIONAL } [ ARRAY ] WRAPPER ] [ { NULL | EMPTY ARRAY | EMPTY OBJECT | ERROR } ON EMPTY ] [ { NULL | EMPTY ARRAY | EMPTY OBJECT | ERROR } ON ERROR ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry {
        category: Json,
        form: "JSON_OBJECT([[KEY] key VALUE value]* [ { NULL | ABSENT } ON NULL ])",
        status: Missing,
        examples: &[],
        note: "",
    },
    Entry { category: Json, form: "JSON_ARRAY([value]* [ { NULL | ABSENT } ON NULL ])", status: Missing, examples: &[], note: "" },
    Entry { category: Json, form: "JSON(value)", status: Missing, examples: &[], note: "" },
];
