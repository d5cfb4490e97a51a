//! Calculate functions: moving windows, forecasts and statistics over each series.

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[];
