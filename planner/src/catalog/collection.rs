//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Collection, form: "CARDINALITY(array)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "CARDINALITY(map)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "array '[' INT ']'", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "map '[' value ']'", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ELEMENT(array)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_APPEND(array, element)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_PREPEND(array, element)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_CONTAINS(haystack, needle)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_DISTINCT(haystack)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_REMOVE(haystack, needle)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_REVERSE(haystack)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_MAX(array)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_MIN(array)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_POSITION(haystack, needle)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_SLICE(array, start_offset[, end_offset])", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_SORT(array[, ascending_order[, null_first]])", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_UNION(array1, array2)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_EXCEPT(array1, array2)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_INTERSECT(array1, array2)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_CONCAT(array1, ...)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "ARRAY_JOIN(array, delimiter[, nullReplacement])", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "MAP_KEYS(map)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "MAP_VALUES(map)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "MAP_ENTRIES(map)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "MAP_UNION(map1, ...)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "MAP_FROM_ARRAYS(array_of_keys, array_of_values)", status: Missing, examples: &[], note: "" },
    Entry { category: Collection, form: "SPLIT(string, delimiter)", status: Missing, examples: &[], note: "" },
];
