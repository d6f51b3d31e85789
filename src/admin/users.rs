//! HTTP handlers for user administration within a municipality or an office.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{self, may_manage_account, NewUserForm};
use super::repo::{self, MembershipRow, UserDetail, UserListRow};
use crate::audit::{self, Event};
use crate::auth::roles::AdminScope;
use crate::auth::{password, Role};
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Deserialize, Default)]
pub struct ScopeQuery {
    #[serde(default)]
    enhet: String,
    #[serde(default)]
    etter: Option<String>,
    #[serde(default)]
    melding: String,
}

/// The scope named by `key`, or the user's first; 403 when the user administers nothing.
fn resolve_scope(ctx: &Ctx, key: &str) -> AppResult<AdminScope> {
    let scopes = ctx.user.admin_scopes();
    if scopes.is_empty() {
        return Err(AppError::Forbidden);
    }
    if key.is_empty() {
        return Ok(scopes[0].clone());
    }
    scopes
        .into_iter()
        .find(|s| s.key() == key)
        .ok_or(AppError::NotFound)
}

fn audit_event<'a>(action: &'a str, scope: &AdminScope, user: Uuid) -> Event<'a> {
    let e = Event::new(action).entity("user", user);
    match scope {
        AdminScope::Municipality(m) => e.municipality(m.id),
        AdminScope::Office(_) => e,
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub scopes: Vec<AdminScope>,
    pub scope: AdminScope,
    pub users: Vec<UserListRow>,
    pub next_cursor: Option<String>,
}

pub async fn list(ctx: Ctx, Query(q): Query<ScopeQuery>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &q.enhet)?;
    let mut tx = ctx.global_tx().await?;
    let mut users = repo::list_in_scope(&mut tx, &scope, q.etter.as_deref()).await?;
    tx.commit().await?;
    let next_cursor = if users.len() as i64 > repo::PAGE_SIZE {
        users.pop();
        users.last().map(|u| u.username.clone())
    } else {
        None
    };
    render(&UsersPage {
        layout: Layout::new(&ctx, "brukere"),
        scopes: ctx.user.admin_scopes(),
        scope,
        users,
        next_cursor,
    })
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
pub struct NewUserPage {
    pub layout: Layout,
    pub scope: AdminScope,
    pub form: NewUserForm,
    pub errors: FormErrors,
}

pub async fn new_page(ctx: Ctx, Query(q): Query<ScopeQuery>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &q.enhet)?;
    render(&NewUserPage {
        layout: Layout::new(&ctx, "brukere"),
        scope,
        form: NewUserForm::default(),
        errors: FormErrors::new(),
    })
}

pub async fn create(ctx: Ctx, Form(fields): Form<HashMap<String, String>>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, fields.get("scope").map(String::as_str).unwrap_or(""))?;
    let reject = |form: NewUserForm, errors: FormErrors| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewUserPage {
                layout: Layout::new(&ctx, "brukere"),
                scope: scope.clone(),
                form,
                errors,
            },
        )
    };
    let new = match model::parse_new_user(&fields, &scope) {
        Ok(n) => n,
        Err(rejected) => {
            let (form, errors) = *rejected;
            return reject(form, errors);
        }
    };
    let hash = password::hash(new.password.clone()).await?;
    let mut tx = ctx.global_tx().await?;
    let id = match repo::insert_user(
        &mut tx,
        &new.username,
        &new.display_name,
        new.email.as_deref(),
        &hash,
    )
    .await
    {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e, "users_username_key") => {
            tx.rollback().await?;
            let mut errors = FormErrors::new();
            errors.add(
                "username",
                "Brukernavnet er allerede i bruk. Velg et annet.",
            );
            let form = NewUserForm {
                username: new.username,
                display_name: new.display_name,
                email: new.email.unwrap_or_default(),
                roles: new.roles,
            };
            return reject(form, errors);
        }
        Err(e) => return Err(e.into()),
    };
    repo::replace_roles(&mut tx, id, &scope, &new.roles, ctx.user.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        audit_event("user.created", &scope, id).details(serde_json::json!({
            "username": new.username,
            "scope": scope.key(),
            "roles": new.roles,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/brukere/{id}?enhet={}&melding=opprettet",
        scope.key()
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub scope: AdminScope,
    pub user: UserDetail,
    pub memberships: Vec<MembershipRow>,
    pub roles_here: Vec<Role>,
    pub may_manage_account: bool,
    pub is_self: bool,
    pub errors: FormErrors,
    pub message: String,
}

impl UserPage {
    pub fn has_role_here(&self, r: &Role) -> bool {
        self.roles_here.contains(r)
    }
    /// An auditor's access is managed by the operator only (see `refuse_auditor`).
    pub fn is_auditor(&self) -> bool {
        self.memberships.iter().any(|m| m.role == Role::Auditor)
    }
}

async fn load_target(
    ctx: &Ctx,
    id: &str,
    scope: &AdminScope,
) -> AppResult<(UserDetail, Vec<MembershipRow>)> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let mut tx = ctx.global_tx().await?;
    let user = repo::user(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let memberships = repo::memberships(&mut tx, id).await?;
    tx.commit().await?;
    // Users outside the administrator's scope do not exist as far as this page goes.
    if !repo::in_scope(&memberships, scope) {
        return Err(AppError::NotFound);
    }
    Ok((user, memberships))
}

fn user_page(
    ctx: &Ctx,
    scope: AdminScope,
    user: UserDetail,
    memberships: Vec<MembershipRow>,
    errors: FormErrors,
    message: &str,
) -> UserPage {
    let roles_here = repo::roles_in_scope(&memberships, &scope);
    let manage = may_manage_account(&repo::scopes_of(&memberships), &ctx.user.admin_scopes());
    UserPage {
        layout: Layout::new(ctx, "brukere"),
        is_self: user.id == ctx.user.id,
        scope,
        user,
        memberships,
        roles_here,
        may_manage_account: manage,
        errors,
        message: message.to_owned(),
    }
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &q.enhet)?;
    let (user, memberships) = load_target(&ctx, &id, &scope).await?;
    render(&user_page(
        &ctx,
        scope,
        user,
        memberships,
        FormErrors::new(),
        &q.melding,
    ))
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

async fn conflict(ctx: &Ctx, scope: AdminScope, id: &str) -> AppResult<Response> {
    let (user, memberships) = load_target(ctx, id, &scope).await?;
    let mut errors = FormErrors::new();
    errors.general = Some(
        "Brukeren ble endret av noen andre mens du arbeidet. Ingenting er lagret. Se over det som gjelder nå, og gjør endringen på nytt."
            .into(),
    );
    render_status(
        StatusCode::CONFLICT,
        &user_page(ctx, scope, user, memberships, errors, ""),
    )
}

pub async fn set_roles(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, field(&fields, "scope"))?;
    let (user, memberships) = load_target(&ctx, &id, &scope).await?;
    refuse_auditor(&memberships)?;
    let roles = model::roles_from_form(&fields, &scope).map_err(|_| AppError::Forbidden)?;
    let before = repo::roles_in_scope(&memberships, &scope);
    let own_admin = match &scope {
        AdminScope::Municipality(_) => Role::Admin,
        AdminScope::Office(_) => Role::OfficeAdmin,
    };
    if user.id == ctx.user.id && before.contains(&own_admin) && !roles.contains(&own_admin) {
        let mut errors = FormErrors::new();
        errors.add("roles", "Du kan ikke fjerne din egen administratorrolle. Be en annen administrator om å gjøre det.");
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &user_page(&ctx, scope, user, memberships, errors, ""),
        );
    }
    let version: i32 = field(&fields, "version").parse().unwrap_or(0);
    let mut tx = ctx.global_tx().await?;
    if !repo::bump_version(&mut tx, user.id, version).await? {
        tx.rollback().await?;
        return conflict(&ctx, scope, &id).await;
    }
    repo::replace_roles(&mut tx, user.id, &scope, &roles, ctx.user.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        audit_event("user.roles_changed", &scope, user.id).details(serde_json::json!({
            "username": user.username, "scope": scope.key(), "before": before, "after": roles,
        })),
    )
    .await?;
    tx.commit().await?;
    let to = if roles.is_empty() {
        format!("/brukere?enhet={}", scope.key())
    } else {
        format!("/brukere/{}?enhet={}&melding=roller", user.id, scope.key())
    };
    Ok(Redirect::to(&to).into_response())
}

/// An auditor's account is the operator's to manage (separation of duties): an admin who
/// could deactivate the auditor, reset their password and log in as them, or widen their
/// roles, would control who audits them.
fn refuse_auditor(memberships: &[repo::MembershipRow]) -> AppResult<()> {
    if memberships.iter().any(|m| m.role == Role::Auditor) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

async fn account_change(
    ctx: Ctx,
    id: String,
    fields: HashMap<String, String>,
    action: &'static str,
) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, field(&fields, "scope"))?;
    let (user, memberships) = load_target(&ctx, &id, &scope).await?;
    refuse_auditor(&memberships)?;
    if !may_manage_account(&repo::scopes_of(&memberships), &ctx.user.admin_scopes())
        || user.id == ctx.user.id
    {
        return Err(AppError::Forbidden);
    }
    let mut new_hash = None;
    if action == "user.password_reset" {
        let pw = field(&fields, "password");
        if let Err(msg) = password::check_policy(pw, &[&user.username, &user.display_name]) {
            let mut errors = FormErrors::new();
            errors.add("password", msg);
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &user_page(&ctx, scope, user, memberships, errors, ""),
            );
        }
        new_hash = Some(password::hash(pw.to_owned()).await?);
    }
    let version: i32 = field(&fields, "version").parse().unwrap_or(0);
    let mut tx = ctx.global_tx().await?;
    if !repo::bump_version(&mut tx, user.id, version).await? {
        tx.rollback().await?;
        return conflict(&ctx, scope, &id).await;
    }
    let message = match action {
        "user.deactivated" => {
            repo::set_active(&mut tx, user.id, false).await?;
            "deaktivert"
        }
        "user.activated" => {
            repo::set_active(&mut tx, user.id, true).await?;
            "aktivert"
        }
        _ => {
            repo::reset_password(&mut tx, user.id, new_hash.as_deref().unwrap_or_default()).await?;
            "passord"
        }
    };
    audit::record(
        &mut tx,
        &ctx,
        audit_event(action, &scope, user.id)
            .details(serde_json::json!({ "username": user.username })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/brukere/{}?enhet={}&melding={message}",
        user.id,
        scope.key()
    ))
    .into_response())
}

pub async fn deactivate(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    account_change(ctx, id, f, "user.deactivated").await
}

pub async fn activate(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    account_change(ctx, id, f, "user.activated").await
}

pub async fn reset_password(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    account_change(ctx, id, f, "user.password_reset").await
}
