//! settings (in progress).
