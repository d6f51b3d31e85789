//! Changes to user accounts and their roles, one function each. They run in a
//! transaction on the global tables, check who may change whom and the version, make
//! the change, write the audit event, and never commit.

use uuid::Uuid;

use super::model::{may_manage_account, NewUser, OWN_ADMIN_ROLE, USERNAME_TAKEN};
use super::repo::{self, MembershipRow, UserDetail};
use crate::audit::{self, Event};
use crate::auth::roles::AdminScope;
use crate::auth::{password, Role};
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

/// A user as administration sees them: the account and every membership.
pub struct Target {
    pub user: UserDetail,
    pub memberships: Vec<MembershipRow>,
}

fn audit_event<'a>(action: &'a str, scope: &AdminScope, user: Uuid) -> Event<'a> {
    let e = Event::new(action).entity("user", user);
    match scope {
        AdminScope::Municipality(m) => e.municipality(m.id),
        AdminScope::Office(_) => e,
    }
}

/// An auditor's account is the operator's to manage (separation of duties): an admin who
/// could deactivate the auditor, reset their password and log in as them, or widen their
/// roles, would control who audits them.
fn refuse_auditor(target: &Target) -> Outcome<()> {
    if target.memberships.iter().any(|m| m.role == Role::Auditor) {
        return Err(AppError::Forbidden.into());
    }
    Ok(())
}

/// Creates the account (it must change its password at first login) with its roles in
/// `scope`; `hash` is the hashed initial password.
pub async fn create_user(
    tx: &mut Tx,
    actor: Actor<'_>,
    scope: &AdminScope,
    new: &NewUser,
    hash: &str,
) -> Outcome<Uuid> {
    let email = new.email.as_deref();
    let id = repo::insert_user(tx, &new.username, &new.display_name, email, hash)
        .await
        .map_err(|e| on_constraint(e, &[("users_username_key", "username", USERNAME_TAKEN)]))?;
    repo::replace_roles(tx, id, scope, &new.roles, actor.user.id).await?;
    audit::record(
        tx,
        &actor,
        audit_event("user.created", scope, id).details(serde_json::json!({
            "username": new.username,
            "scope": scope.key(),
            "roles": new.roles,
        })),
    )
    .await?;
    Ok(id)
}

/// Replaces the user's roles in `scope` (form version `version`).
pub async fn set_roles(
    tx: &mut Tx,
    actor: Actor<'_>,
    scope: &AdminScope,
    target: &Target,
    version: i32,
    roles: &[Role],
) -> Outcome<()> {
    refuse_auditor(target)?;
    let user = &target.user;
    let before = repo::roles_in_scope(&target.memberships, scope);
    let own_admin = match scope {
        AdminScope::Municipality(_) => Role::Admin,
        AdminScope::Office(_) => Role::OfficeAdmin,
    };
    if user.id == actor.user.id && before.contains(&own_admin) && !roles.contains(&own_admin) {
        return Err(Refusal::field("roles", OWN_ADMIN_ROLE));
    }
    if !repo::bump_version(tx, user.id, version).await? {
        return Err(Refusal::Stale);
    }
    repo::replace_roles(tx, user.id, scope, roles, actor.user.id).await?;
    audit::record(
        tx,
        &actor,
        audit_event("user.roles_changed", scope, user.id).details(serde_json::json!({
            "username": user.username, "scope": scope.key(), "before": before, "after": roles,
        })),
    )
    .await?;
    Ok(())
}

/// What happens to an account as a whole.
pub enum AccountChange {
    Deactivate,
    Activate,
    /// A new initial password, as typed.
    ResetPassword(String),
}

impl AccountChange {
    fn action(&self) -> &'static str {
        match self {
            AccountChange::Deactivate => "user.deactivated",
            AccountChange::Activate => "user.activated",
            AccountChange::ResetPassword(_) => "user.password_reset",
        }
    }
}

/// Deactivates, activates or resets the password of an account. It affects every place
/// the user works, so only an admin of all of them may do it, and never to themselves.
pub async fn change_account(
    tx: &mut Tx,
    actor: Actor<'_>,
    scope: &AdminScope,
    target: &Target,
    version: i32,
    change: AccountChange,
) -> Outcome<()> {
    refuse_auditor(target)?;
    let user = &target.user;
    let scopes = repo::scopes_of(&target.memberships);
    if !may_manage_account(&scopes, &actor.user.admin_scopes()) || user.id == actor.user.id {
        return Err(AppError::Forbidden.into());
    }
    let action = change.action();
    let new_hash = match &change {
        AccountChange::ResetPassword(pw) => {
            password::check_policy(pw, &[&user.username, &user.display_name])
                .map_err(|msg| Refusal::field("password", msg))?;
            Some(password::hash(pw.clone()).await?)
        }
        _ => None,
    };
    if !repo::bump_version(tx, user.id, version).await? {
        return Err(Refusal::Stale);
    }
    match (change, new_hash) {
        (AccountChange::Deactivate, _) => repo::set_active(tx, user.id, false).await?,
        (AccountChange::Activate, _) => repo::set_active(tx, user.id, true).await?,
        (AccountChange::ResetPassword(_), hash) => {
            repo::reset_password(tx, user.id, hash.as_deref().unwrap_or_default()).await?
        }
    }
    audit::record(
        tx,
        &actor,
        audit_event(action, scope, user.id)
            .details(serde_json::json!({ "username": user.username })),
    )
    .await?;
    Ok(())
}
