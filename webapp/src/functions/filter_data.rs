//! Filter Data functions: removing points of a series by value or percentile.

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[];
