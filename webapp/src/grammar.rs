//! grammar (in progress).
