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

/// Runs `command` (a reference script, typically `Command::new(python())...`) with `input` on
/// its standard input, written from another thread so neither side blocks on a full pipe;
/// returns its standard output. Panics with the script's standard error if it fails.
pub fn run_with_input(command: &mut std::process::Command, input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("reference script output");
    writer
        .join()
        .expect("stdin writer")
        .expect("write to the reference script");
    assert!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
