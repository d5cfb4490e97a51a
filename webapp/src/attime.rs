//! attime (in progress).
