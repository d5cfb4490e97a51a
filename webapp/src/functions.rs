//! functions (in progress).
