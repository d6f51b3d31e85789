//! The arrears ladder (in progress).
