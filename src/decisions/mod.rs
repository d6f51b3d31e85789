//! Decisions (vedtak), combined decisions (samlevedtak) and appeals (klager).

pub mod calendar;
pub mod deadline;
pub mod model;
