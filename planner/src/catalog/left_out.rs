//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Variant,
        form: "PARSE_JSON(json_string[, allow_duplicate_keys])",
        status: LeftOut(
            "VARIANT is not a vstream type: semi-structured data is read into ROW, MAP and ARRAY columns, or kept as JSON text for the JSON functions",
        ),
        examples: &[],
        note: "",
    },
    Entry {
        category: Variant,
        form: "TRY_PARSE_JSON(json_string[, allow_duplicate_keys])",
        status: LeftOut(
            "VARIANT is not a vstream type: semi-structured data is read into ROW, MAP and ARRAY columns, or kept as JSON text for the JSON functions",
        ),
        examples: &[],
        note: "",
    },
    Entry {
        category: Variant,
        form: "JSON_STRING(variant)",
        status: LeftOut(
            "VARIANT is not a vstream type: semi-structured data is read into ROW, MAP and ARRAY columns, or kept as JSON text for the JSON functions",
        ),
        examples: &[],
        note: "",
    },
    Entry {
        category: Variant,
        form: "variant '[' INT ']'",
        status: LeftOut(
            "VARIANT is not a vstream type: semi-structured data is read into ROW, MAP and ARRAY columns, or kept as JSON text for the JSON functions",
        ),
        examples: &[],
        note: "",
    },
    Entry {
        category: Variant,
        form: "variant '[' STRING ']'",
        status: LeftOut(
            "VARIANT is not a vstream type: semi-structured data is read into ROW, MAP and ARRAY columns, or kept as JSON text for the JSON functions",
        ),
        examples: &[],
        note: "",
    },
    Entry {
        category: ValueModification,
        form: "OBJECT_UPDATE(object, key, value [, key, value , ...])",
        status: LeftOut("structured (class-backed) types are Java objects, which vstream has no notion of"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_BUILD(array)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_FROM_BYTES(bytes)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_TO_BYTES(bitmap)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_TO_ARRAY(bitmap)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_TO_STRING(bitmap)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_CARDINALITY(bitmap)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_AND(bitmap1, bitmap2)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_ANDNOT(bitmap1, bitmap2)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_OR(bitmap1, bitmap2)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Bitmap,
        form: "BITMAP_XOR(bitmap1, bitmap2)",
        status: LeftOut("BITMAP is not a vstream type; COUNT(DISTINCT) covers exact distinct counts"),
        examples: &[],
        note: "",
    },
    Entry {
        category: Catalog,
        form: "CURRENT_DATABASE()",
        status: LeftOut("vstream has no catalogs or databases: tables live in the script"),
        examples: &[],
        note: "",
    },
];
