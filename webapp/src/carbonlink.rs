//! carbonlink (in progress).
