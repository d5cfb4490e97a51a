//! find_output (in progress).
