//! Who may do what, in one place (ASVS 5.0 V8.2). Routes, handlers, commands and the menu
//! name a [`Permission`] instead of writing role lists by hand, so a page is in the menu
//! exactly when its route lets the user in.
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

/// A named right, held through one of its roles in a municipality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read case contents: everything that names an applicant or describes their
    /// situation (applications, decisions, appeals, the waiting list, offers, meetings,
    /// letters). Also: register and work on applications.
    ReadCases,
    /// Hand a case that has a caseworker to somebody else.
    LeadCases,
    /// Write, send and correct decisions; register and forward appeals.
    WriteDecisions,
    /// Offer dwellings and record the answers.
    Allocate,
    /// Read the allocation rules in force (criteria, weights).
    ReadAllocationRules,
    /// Plan meetings, build agendas and record conclusions.
    OrganiseMeetings,
    /// Read the dwelling register (units, properties, vacancies): no personal data.
    ReadRegister,
    /// Change the dwelling register.
    EditRegister,
    /// Write, sign, renew and end leases; send lease letters. Reading a lease names the
    /// tenant, so it needs [`Permission::ReadCases`].
    ManageLeases,
    /// Rent work: run the monthly charges, record payments, credits and corrections,
    /// export for the accounts. Reading a lease's ledger names the tenant, so it needs
    /// [`Permission::ReadCases`]; the auditor holds neither.
    ManageRent,
    /// Read the municipality's audit log.
    ReadAudit,
    /// Administer the municipality: settings, rules, letter texts, reasons, retention.
    Administer,
}

use Role::*;

impl Permission {
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Permission::ReadCases => &[Caseworker, Team, Admin],
            Permission::LeadCases => &[Team, Admin],
            Permission::WriteDecisions => &[Caseworker, Admin],
            Permission::Allocate => &[Caseworker, Team, Admin],
            Permission::ReadAllocationRules => &[Caseworker, Team, Admin, Auditor, OfficeAdmin],
            Permission::OrganiseMeetings => &[Caseworker, Team, Admin],
            Permission::ReadRegister => &[Admin, Caseworker, Team, Auditor],
            Permission::EditRegister => &[Admin, Caseworker],
            Permission::ManageLeases => &[Caseworker, Admin],
            Permission::ManageRent => &[Caseworker, Admin],
            Permission::ReadAudit => &[Auditor, Admin],
            Permission::Administer => &[Admin],
        }
    }
}

/// Anything that names a set of roles: a [`Permission`] or, where a list is genuinely
/// local, the list itself.
pub trait Roles {
    fn roles(&self) -> &[Role];
}

impl Roles for Permission {
    fn roles(&self) -> &[Role] {
        Permission::roles(*self)
    }
}

impl Roles for &[Role] {
    fn roles(&self) -> &[Role] {
        self
    }
}

impl<const N: usize> Roles for &[Role; N] {
    fn roles(&self) -> &[Role] {
        &self[..]
    }
}

/// Case contents (see [`Permission::ReadCases`]).
pub const CASE_READERS: &[Role] = Permission::ReadCases.roles();

/// The audit log of a municipality.
pub const AUDIT_READERS: &[Role] = Permission::ReadAudit.roles();

/// The dwelling register (units, properties, vacancies): no personal data.
pub const REGISTER_READERS: &[Role] = Permission::ReadRegister.roles();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditors_read_no_case_contents_and_change_nothing() {
        for p in [
            Permission::ReadCases,
            Permission::LeadCases,
            Permission::WriteDecisions,
            Permission::Allocate,
            Permission::OrganiseMeetings,
            Permission::EditRegister,
            Permission::ManageLeases,
            Permission::ManageRent,
            Permission::Administer,
        ] {
            assert!(!p.roles().contains(&Auditor), "{p:?}");
        }
        assert!(Permission::ReadAudit.roles().contains(&Auditor));
    }
}
