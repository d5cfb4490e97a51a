//! Helpers shared by the whisper integration tests: finding the Python reference.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The Python interpreter of the reference virtualenv (`scripts/reference-venv.sh` makes it):
/// `$GRAPHITE_REFERENCE_PYTHON`, else `$GRAPHITE_REFERENCE_VENV/bin/python`, else
/// `<workspace>/.venv-ref/bin/python`. Interop tests fail, rather than pass vacuously, when it
/// is missing.
pub fn reference_python() -> PathBuf {
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

/// The directory holding the reference's `whisper-*.py` scripts.
pub fn reference_bin_dir() -> PathBuf {
    reference_python().parent().expect("bin dir").to_path_buf()
}

/// A `Command` running the reference Python with the given script path.
pub fn reference_command(script: &std::path::Path) -> Command {
    let mut cmd = Command::new(reference_python());
    cmd.arg(script);
    cmd
}

/// The directory of Python helper scripts for the tests (`whisper/tests/reference`).
pub fn helper_scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}
