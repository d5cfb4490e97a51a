//! reader (in progress).
