//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry { category: Hash, form: "MD5(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA1(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA224(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA256(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA384(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA512(string)", status: Missing, examples: &[], note: "" },
    Entry { category: Hash, form: "SHA2(string, hashLength)", status: Missing, examples: &[], note: "" },
];
