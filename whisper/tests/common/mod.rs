//! Helpers shared by the whisper integration tests: finding the Python reference.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    reference_python::workspace_root()
}

/// The Python interpreter of the reference virtualenv (`scripts/reference-venv.sh` makes it):
/// `$GRAPHITE_REFERENCE_PYTHON`, else `$GRAPHITE_REFERENCE_VENV/bin/python`, else
/// `<workspace>/.venv-ref/bin/python`. Interop tests fail, rather than pass vacuously, when it
/// is missing.
pub fn reference_python() -> PathBuf {
    reference_python::python()
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
