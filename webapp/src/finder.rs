//! finder (in progress).
