//! evaluator (in progress).
