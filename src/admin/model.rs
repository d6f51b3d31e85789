//! Rules for administering users: valid input, and who may change whom.

use std::collections::BTreeMap;

use serde::Deserialize;
use uuid::Uuid;

use crate::auth::roles::{AdminScope, Role};
use crate::web::forms::{text, FormErrors};

#[derive(Debug, Clone, Default)]
pub struct NewUserForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<Role>,
}

/// The role checkboxes of a form: `role_<key>` for every ticked role. Which roles a form
/// offers depends on the scope, so they are collected by name prefix.
pub type Ticked = BTreeMap<String, String>;

/// The new-user form as sent.
#[derive(Debug, Default, Deserialize)]
pub struct NewUserFields {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(flatten)]
    pub ticked: Ticked,
}

/// The role form of a user page, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct RolesForm {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub version: String,
    #[serde(flatten)]
    pub ticked: Ticked,
}

/// The deactivate, activate and reset-password forms of a user page.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub password: String,
}

/// The username is taken (`users_username_key`).
pub const USERNAME_TAKEN: &str = "Brukernavnet er allerede i bruk. Velg et annet.";

/// An administrator may not take their own administrator role away.
pub const OWN_ADMIN_ROLE: &str =
    "Du kan ikke fjerne din egen administratorrolle. Be en annen administrator om å gjøre det.";

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub password: String,
}

pub fn valid_username(u: &str) -> bool {
    let b = u.as_bytes();
    (2..=63).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
        })
}

/// A role the scope may not grant was submitted: the form was tampered with.
#[derive(Debug, PartialEq, Eq)]
pub struct RoleNotGrantable;

/// The roles ticked in a form (`role_<key>` checkboxes), limited to those the scope may grant.
/// A role outside the scope is an error, not silently dropped: somebody tampered with the form.
pub fn roles_from_form(ticked: &Ticked, scope: &AdminScope) -> Result<Vec<Role>, RoleNotGrantable> {
    let mut roles = Vec::new();
    for key in ticked.keys() {
        if let Some(k) = key.strip_prefix("role_") {
            let role = Role::from_key(k).ok_or(RoleNotGrantable)?;
            if !scope.grantable_roles().contains(&role) {
                return Err(RoleNotGrantable);
            }
            roles.push(role);
        }
    }
    roles.sort();
    Ok(roles)
}

pub fn parse_new_user(
    fields: &NewUserFields,
    scope: &AdminScope,
) -> Result<NewUser, Box<(NewUserForm, FormErrors)>> {
    let mut e = FormErrors::new();
    let username = fields.username.as_str().trim().to_lowercase();
    if username.is_empty() {
        e.add("username", "Brukernavn må fylles ut.");
    } else if !valid_username(&username) {
        e.add(
            "username",
            "Brukernavnet kan bare ha små bokstaver a–z, tall, punktum, bindestrek og understrek, 2–63 tegn. Eksempel: kari.nordmann",
        );
    }
    let display_name = text(
        &mut e,
        "display_name",
        fields.display_name.as_str(),
        true,
        200,
        "Navn",
    );
    let email = text(&mut e, "email", fields.email.as_str(), false, 254, "E-post");
    if !email.is_empty() && !crate::municipalities::model::plausible_email(&email) {
        e.add(
            "email",
            "E-postadressen ser ikke riktig ut. Eksempel: kari.nordmann@kommune.no",
        );
    }
    let roles = match roles_from_form(&fields.ticked, scope) {
        Ok(r) if r.is_empty() => {
            e.add("roles", "Velg minst én rolle.");
            r
        }
        Ok(r) => r,
        Err(RoleNotGrantable) => {
            e.add("roles", "Du kan ikke gi en rolle du ikke selv forvalter.");
            Vec::new()
        }
    };
    let password = fields.password.clone();
    if let Err(msg) = crate::auth::password::check_policy(&password, &[&username, &display_name]) {
        e.add("password", msg);
    }
    let form = NewUserForm {
        username: fields.username.as_str().chars().take(200).collect(),
        display_name: fields.display_name.as_str().chars().take(500).collect(),
        email: fields.email.as_str().chars().take(500).collect(),
        roles: roles.clone(),
    };
    if !e.is_empty() {
        return Err(Box::new((form, e)));
    }
    Ok(NewUser {
        username,
        display_name,
        email: (!email.is_empty()).then_some(email),
        roles,
        password,
    })
}

/// A membership of a user, as far as administration is concerned.
#[derive(Debug, Clone)]
pub struct MembershipScope {
    pub municipality_id: Option<Uuid>,
    pub office_id: Option<Uuid>,
}

/// Deactivating a user or resetting their password affects every place they work, so it
/// is allowed only when every one of their memberships lies in scopes the actor administers.
pub fn may_manage_account(target: &[MembershipScope], actor_scopes: &[AdminScope]) -> bool {
    target.iter().all(|m| {
        actor_scopes.iter().any(|s| match s {
            AdminScope::Municipality(mu) => m.municipality_id == Some(mu.id),
            AdminScope::Office(o) => m.office_id == Some(o.id),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::{MunicipalityRef, OfficeRef};

    fn scope() -> AdminScope {
        AdminScope::Municipality(MunicipalityRef {
            id: Uuid::nil(),
            number: "5037".into(),
            name: "Levanger".into(),
        })
    }

    #[test]
    fn usernames() {
        assert!(valid_username("kari.nordmann"));
        assert!(valid_username("k2"));
        assert!(!valid_username("Kari"));
        assert!(!valid_username(".kari"));
        assert!(!valid_username("kari nordmann"));
        assert!(!valid_username("k"));
        assert!(!valid_username(&"a".repeat(64)));
    }

    #[test]
    fn roles_outside_the_scope_are_refused() {
        let mut f = Ticked::new();
        f.insert("role_caseworker".to_string(), "1".to_string());
        assert_eq!(roles_from_form(&f, &scope()), Ok(vec![Role::Caseworker]));
        f.insert("role_office_admin".to_string(), "1".to_string());
        assert_eq!(roles_from_form(&f, &scope()), Err(RoleNotGrantable));
        let mut g = Ticked::new();
        g.insert("role_superuser".to_string(), "1".to_string());
        assert_eq!(roles_from_form(&g, &scope()), Err(RoleNotGrantable));
    }

    #[test]
    fn account_management_needs_every_membership_in_scope() {
        let l = Uuid::now_v7();
        let v = Uuid::now_v7();
        let o = Uuid::now_v7();
        let actor = vec![AdminScope::Municipality(MunicipalityRef {
            id: l,
            number: "5037".into(),
            name: "L".into(),
        })];
        let only_l = vec![MembershipScope {
            municipality_id: Some(l),
            office_id: None,
        }];
        let l_and_v = vec![
            MembershipScope {
                municipality_id: Some(l),
                office_id: None,
            },
            MembershipScope {
                municipality_id: Some(v),
                office_id: None,
            },
        ];
        let office = vec![MembershipScope {
            municipality_id: None,
            office_id: Some(o),
        }];
        assert!(may_manage_account(&only_l, &actor));
        assert!(!may_manage_account(&l_and_v, &actor));
        assert!(!may_manage_account(&office, &actor));
        let office_actor = vec![AdminScope::Office(OfficeRef {
            id: o,
            name: "O".into(),
        })];
        assert!(may_manage_account(&office, &office_actor));
    }

    #[test]
    fn new_user_errors_keep_input() {
        let f = NewUserFields {
            username: "Ugyldig Navn".into(),
            display_name: "Kari".into(),
            password: "kort".into(),
            ..Default::default()
        };
        let (form, e) = *parse_new_user(&f, &scope()).err().unwrap();
        assert_eq!(form.username, "Ugyldig Navn");
        assert!(e.has("username") && e.has("password") && e.has("roles"));
    }
}
