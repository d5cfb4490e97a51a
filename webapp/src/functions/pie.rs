//! Pie functions: how a series becomes one slice value (`pieMode`).
