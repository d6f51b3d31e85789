//! Who may read what, in one place (ASVS 5.0 V8.2). Contexts name their page roles from
//! here instead of writing role lists by hand, so the menu and the routes agree.
//!
//! The auditor (revisor, internal control) checks *that* personal data was handled
//! lawfully, not the data itself: they read the audit log (who read and changed what),
//! the rules in force (allocation criteria, decision kinds) and the dwelling register,
//! which holds no personal data. They never read case contents: applications,
//! households, decisions, appeals, the waiting list and its candidates, offers, meetings
//! (agenda, meeting mode and minutes name applicants and their needs) and letters. An
//! audit that must look into a case does so together with a caseworker, whose reads are
//! logged.

use super::Role;

/// Case contents: everything that names an applicant or describes their situation.
pub const CASE_READERS: &[Role] = &[Role::Caseworker, Role::Team, Role::Admin];

/// The audit log of a municipality.
pub const AUDIT_READERS: &[Role] = &[Role::Auditor, Role::Admin];

/// The dwelling register (units, properties, vacancies): no personal data.
pub const REGISTER_READERS: &[Role] = &[Role::Admin, Role::Caseworker, Role::Team, Role::Auditor];
