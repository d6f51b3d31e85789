//! HTTP and browser tests of the applications context.
