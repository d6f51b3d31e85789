//! Allocation: criteria, the ranked waiting list, matching to vacant units, and offers.

pub mod ranking;
