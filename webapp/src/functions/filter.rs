//! Filter Series functions: choosing which series of a list to keep.

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[];
