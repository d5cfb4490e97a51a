//! Graph functions: per-series drawing options the image renderer reads.

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[];
