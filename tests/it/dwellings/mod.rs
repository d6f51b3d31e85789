//! HTTP and browser tests of the dwellings context.
