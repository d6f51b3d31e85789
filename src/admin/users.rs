//! HTTP handlers for user administration within a municipality or an office.

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::commands::{self, AccountChange, Target};
use super::model::{self, may_manage_account, AccountForm, NewUserFields, NewUserForm, RolesForm};
use super::repo::{self, MembershipRow, UserDetail, UserListRow};
use crate::auth::roles::AdminScope;
use crate::auth::{password, Role};
use crate::db::{self, Tx};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
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

pub async fn create(ctx: Ctx, Form(fields): Form<NewUserFields>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &fields.scope)?;
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
    let outcome = commands::create_user(&mut tx, ctx.actor(), &scope, &new, &hash).await;
    match db::commit(tx, outcome).await {
        Ok(id) => Ok(Redirect::to(&format!(
            "/brukere/{id}?enhet={}&melding=opprettet",
            scope.key()
        ))
        .into_response()),
        Err(refusal) => {
            let form = NewUserForm {
                username: new.username,
                display_name: new.display_name,
                email: new.email.unwrap_or_default(),
                roles: new.roles,
            };
            reject(form, refusal.shown()?.errors)
        }
    }
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
    /// An auditor's access is managed by the operator only (see `commands::refuse_auditor`).
    pub fn is_auditor(&self) -> bool {
        self.memberships.iter().any(|m| m.role == Role::Auditor)
    }
}

/// The user in a transaction on the global tables; users outside the administrator's
/// scope do not exist as far as these pages go (404).
async fn load_target(ctx: &Ctx, id: Uuid, scope: &AdminScope) -> AppResult<(Tx, Target)> {
    let mut tx = ctx.global_tx().await?;
    let user = repo::user(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let memberships = repo::memberships(&mut tx, id).await?;
    if !repo::in_scope(&memberships, scope) {
        return Err(AppError::NotFound);
    }
    Ok((tx, Target { user, memberships }))
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

pub async fn show(ctx: Ctx, Id(id): Id, Query(q): Query<ScopeQuery>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &q.enhet)?;
    let (tx, t) = load_target(&ctx, id, &scope).await?;
    tx.commit().await?;
    render(&user_page(
        &ctx,
        scope,
        t.user,
        t.memberships,
        FormErrors::new(),
        &q.melding,
    ))
}

/// The user page again as it is now, with why the change was refused.
async fn refused(ctx: &Ctx, scope: AdminScope, id: Uuid, refusal: Refusal) -> AppResult<Response> {
    let shown = refusal.shown()?;
    let (tx, t) = load_target(ctx, id, &scope).await?;
    tx.commit().await?;
    let status = shown.status();
    let page = user_page(ctx, scope, t.user, t.memberships, shown.errors, "");
    render_status(status, &page)
}

pub async fn set_roles(ctx: Ctx, Id(id): Id, Form(form): Form<RolesForm>) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &form.scope)?;
    let (mut tx, target) = load_target(&ctx, id, &scope).await?;
    // A role the scope may not grant means a tampered form (403, as for an auditor).
    let roles = model::roles_from_form(&form.ticked, &scope).map_err(|_| AppError::Forbidden)?;
    let version = extract::version(&form.version);
    let outcome = commands::set_roles(&mut tx, ctx.actor(), &scope, &target, version, &roles).await;
    match db::commit(tx, outcome).await {
        Ok(()) if roles.is_empty() => {
            Ok(Redirect::to(&format!("/brukere?enhet={}", scope.key())).into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!(
            "/brukere/{id}?enhet={}&melding=roller",
            scope.key()
        ))
        .into_response()),
        Err(refusal) => refused(&ctx, scope, id, refusal).await,
    }
}

async fn account_change(
    ctx: Ctx,
    id: Uuid,
    form: AccountForm,
    change: AccountChange,
) -> AppResult<Response> {
    let scope = resolve_scope(&ctx, &form.scope)?;
    let (mut tx, target) = load_target(&ctx, id, &scope).await?;
    let message = match change {
        AccountChange::Deactivate => "deaktivert",
        AccountChange::Activate => "aktivert",
        AccountChange::ResetPassword(_) => "passord",
    };
    let version = extract::version(&form.version);
    let outcome =
        commands::change_account(&mut tx, ctx.actor(), &scope, &target, version, change).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/brukere/{id}?enhet={}&melding={message}",
            scope.key()
        ))
        .into_response()),
        Err(refusal) => refused(&ctx, scope, id, refusal).await,
    }
}

pub async fn deactivate(ctx: Ctx, Id(id): Id, Form(f): Form<AccountForm>) -> AppResult<Response> {
    account_change(ctx, id, f, AccountChange::Deactivate).await
}

pub async fn activate(ctx: Ctx, Id(id): Id, Form(f): Form<AccountForm>) -> AppResult<Response> {
    account_change(ctx, id, f, AccountChange::Activate).await
}

pub async fn reset_password(
    ctx: Ctx,
    Id(id): Id,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    let password = f.password.clone();
    account_change(ctx, id, f, AccountChange::ResetPassword(password)).await
}
