//! For tests only: where the Python reference (Graphite 1.1.10, installed into a virtualenv by
//! `scripts/reference-venv.sh`) is, so interop tests in every crate find it the same way.
//!
//! The interpreter is `$GRAPHITE_REFERENCE_PYTHON`, else `$GRAPHITE_REFERENCE_VENV/bin/python`,
//! else `<workspace>/.venv-ref/bin/python`. A missing interpreter is a test failure with the
//! command that installs it, never a silent skip.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// The workspace root (this crate lives in `<root>/crates/reference-python`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The reference's Python interpreter; panics, naming the setup script, when it is missing.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("GRAPHITE_REFERENCE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("GRAPHITE_REFERENCE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-ref"));
    let python = venv.join("bin").join("python");
    assert!(
        python.exists(),
        "the Python reference is not installed at {}: run scripts/reference-venv.sh",
        python.display()
    );
    python
}
