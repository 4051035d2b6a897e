//! Flink's forms of this part of the function list, with vstream's status and examples.

use super::{Entry, Status::*};
use vstream_repr::func::Category::*;

/// The entries, in Flink's order.
pub const ENTRIES: &[Entry] = &[
    Entry {
        category: Hash,
        form: "MD5(string)",
        status: Supported,
        examples: &[
            ("MD5('')", "d41d8cd98f00b204e9800998ecf8427e"),
            ("MD5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
            ("MD5(NULL)", "NULL"),
        ],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA1(string)",
        status: Supported,
        examples: &[("SHA1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d"), ("SHA1(NULL)", "NULL")],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA224(string)",
        status: Supported,
        examples: &[("SHA224('abc')", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA256(string)",
        status: Supported,
        examples: &[("SHA256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), ("SHA256(NULL)", "NULL")],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA384(string)",
        status: Supported,
        examples: &[("SHA384('abc')", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA512(string)",
        status: Supported,
        examples: &[(
            "SHA512('abc')",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        )],
        note: "",
    },
    Entry {
        category: Hash,
        form: "SHA2(string, hashLength)",
        status: Supported,
        examples: &[
            ("SHA2('abc', 256)", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("SHA2('abc', 224)", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
            ("SHA2(NULL, 256)", "NULL"),
            ("SHA2('abc', NULL)", "NULL"),
            ("SHA2('abc', 100)", "error: 224, 256, 384 or 512"),
        ],
        note: "",
    },
];
