//! Transform functions that work on time: re-bucketing (`summarize`, `hitcount`), shifting
//! (`timeShift`, `timeStack`) and slicing.

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[];
