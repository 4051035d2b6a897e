//! The keyed kit that GROUP BY and windows share (and joins will): how a key is encoded and
//! hashed, which worker owns it (`groups`: by key group, so state can move between worker
//! counts), the route before the exchange (`route`), and the per-key state on the owner
//! (`state`). The operators themselves only say what to do with the rows of a key.

pub mod groups;
pub mod route;
pub mod state;

pub use groups::{DEFAULT_KEY_GROUPS, KeyGroups};
