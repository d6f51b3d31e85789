//! Roles, grants and what each role may do. Pure rules, no I/O.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "user_role", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Caseworker,
    Team,
    Admin,
    OfficeAdmin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Caseworker,
        Role::Team,
        Role::Admin,
        Role::OfficeAdmin,
        Role::Auditor,
    ];

    /// Stable key used in forms, URLs and templates (labels live in the templates).
    pub fn key(&self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::Team => "team",
            Role::Admin => "admin",
            Role::OfficeAdmin => "office_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MunicipalityRef {
    pub id: Uuid,
    pub number: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeRef {
    pub id: Uuid,
    pub name: String,
}

/// A role in one municipality, held directly or through an office.
#[derive(Clone, Debug)]
pub struct Grant {
    pub municipality: MunicipalityRef,
    pub role: Role,
    pub via_office: Option<Uuid>,
}

/// What a user may administer: one municipality's users and settings, or an office's users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminScope {
    Municipality(MunicipalityRef),
    Office(OfficeRef),
}

impl AdminScope {
    pub fn key(&self) -> String {
        match self {
            AdminScope::Municipality(m) => format!("k-{}", m.number),
            AdminScope::Office(o) => format!("o-{}", o.id),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            AdminScope::Municipality(m) => &m.name,
            AdminScope::Office(o) => &o.name,
        }
    }

    /// The roles an administrator of this scope may hand out (and take away). A
    /// municipality admin never grants office-wide roles, an office admin never grants a
    /// municipality's admin role: nobody can grant a role they do not hold. Nobody grants
    /// the auditor role in the UI (separation of duties): an admin who could make themselves
    /// or a colleague auditor, or remove the auditor who audits them, would audit
    /// themselves. The deployment's operator grants it from the command line
    /// (`bosak user grant --role auditor`).
    pub fn grantable_roles(&self) -> &'static [Role] {
        match self {
            AdminScope::Municipality(_) => &[Role::Caseworker, Role::Team, Role::Admin],
            AdminScope::Office(_) => &[Role::Caseworker, Role::Team, Role::OfficeAdmin],
        }
    }

    pub fn is_office(&self) -> bool {
        matches!(self, AdminScope::Office(_))
    }
}

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub grants: Vec<Grant>,
    pub office_admin_of: Vec<OfficeRef>,
}

impl CurrentUser {
    /// Every municipality the user works in, sorted by name, without duplicates.
    pub fn municipalities(&self) -> Vec<MunicipalityRef> {
        let mut out: Vec<MunicipalityRef> = Vec::new();
        for g in &self.grants {
            if !out.iter().any(|m| m.id == g.municipality.id) {
                out.push(g.municipality.clone());
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    pub fn roles_in(&self, municipality: Uuid) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .grants
            .iter()
            .filter(|g| g.municipality.id == municipality)
            .map(|g| g.role)
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }

    pub fn has_role(&self, municipality: Uuid, role: Role) -> bool {
        self.grants
            .iter()
            .any(|g| g.municipality.id == municipality && g.role == role)
    }

    /// Holds one of `roles` in some municipality.
    pub fn has_any_role_anywhere(&self, roles: &[Role]) -> bool {
        self.grants.iter().any(|g| roles.contains(&g.role))
    }

    pub fn has_any_role(&self, municipality: Uuid, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(municipality, *r))
    }

    pub fn can_see(&self, municipality: Uuid) -> bool {
        self.grants
            .iter()
            .any(|g| g.municipality.id == municipality)
    }

    /// The scopes whose users this user administers.
    pub fn admin_scopes(&self) -> Vec<AdminScope> {
        let mut out: Vec<AdminScope> = self
            .office_admin_of
            .iter()
            .cloned()
            .map(AdminScope::Office)
            .collect();
        for m in self.municipalities() {
            if self.grants.iter().any(|g| {
                g.municipality.id == m.id && g.role == Role::Admin && g.via_office.is_none()
            }) {
                out.push(AdminScope::Municipality(m));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn muni(n: &str) -> MunicipalityRef {
        MunicipalityRef {
            id: Uuid::new_v4(),
            number: n.into(),
            name: format!("K{n}"),
        }
    }

    #[test]
    fn role_keys_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_key(r.key()), Some(r));
        }
        assert_eq!(Role::from_key("superuser"), None);
    }

    #[test]
    fn municipality_admin_cannot_grant_office_roles() {
        let scope = AdminScope::Municipality(muni("5037"));
        assert!(!scope.grantable_roles().contains(&Role::OfficeAdmin));
        let office = AdminScope::Office(OfficeRef {
            id: Uuid::new_v4(),
            name: "o".into(),
        });
        assert!(!office.grantable_roles().contains(&Role::Admin));
    }

    #[test]
    fn no_admin_grants_the_auditor_role() {
        let office = AdminScope::Office(OfficeRef {
            id: Uuid::new_v4(),
            name: "o".into(),
        });
        for scope in [AdminScope::Municipality(muni("5037")), office] {
            assert!(!scope.grantable_roles().contains(&Role::Auditor));
        }
    }

    #[test]
    fn admin_scopes_come_from_direct_admin_grants_and_offices() {
        let l = muni("5037");
        let v = muni("5038");
        let office = OfficeRef {
            id: Uuid::new_v4(),
            name: "Innherred".into(),
        };
        let user = CurrentUser {
            id: Uuid::new_v4(),
            username: "x".into(),
            display_name: "X".into(),
            must_change_password: false,
            grants: vec![
                Grant {
                    municipality: l.clone(),
                    role: Role::Admin,
                    via_office: None,
                },
                Grant {
                    municipality: v.clone(),
                    role: Role::Caseworker,
                    via_office: Some(office.id),
                },
            ],
            office_admin_of: vec![office.clone()],
        };
        let scopes = user.admin_scopes();
        assert_eq!(
            scopes,
            vec![
                AdminScope::Office(office),
                AdminScope::Municipality(l.clone())
            ]
        );
        assert_eq!(user.municipalities().len(), 2);
        assert!(user.has_role(l.id, Role::Admin));
        assert!(!user.has_role(v.id, Role::Admin));
    }
}
