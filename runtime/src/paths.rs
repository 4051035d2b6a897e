//! Paths as the user sees them, for messages. A leaf module: operators and the orchestrator
//! both name files this way.

use std::path::{Path, PathBuf};

/// A path as the user would write it: relative to the current folder when under it.
pub fn display_path(p: &Path) -> PathBuf {
    std::env::current_dir().ok().and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf)).unwrap_or_else(|| p.to_path_buf())
}
