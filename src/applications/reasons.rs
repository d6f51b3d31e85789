//! The municipality's list of application reasons (the categories of the annual mapping):
//! administrators add and deactivate them, and choose the KOSTRA form 13 group each
//! counts towards.

use askama::Template;
use axum::extract::Form;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commands;
use super::repo::{self, Reason};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Outcome;
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "applications/reasons.html")]
pub struct ReasonsPage {
    pub layout: Layout,
    pub municipality: MunicipalityRef,
    pub reasons: Vec<Reason>,
    pub reason_name: String,
    pub errors: FormErrors,
    /// The KOSTRA groups to choose from: (key, label).
    pub groups: &'static [(&'static str, &'static str)],
    /// A refused group change: the reason and what was chosen, shown again in its row.
    pub failed: Option<(uuid::Uuid, String)>,
}

impl ReasonsPage {
    /// The group a row's list shows: what was just chosen when that change was refused,
    /// otherwise the stored one.
    pub fn shown_group(&self, r: &Reason) -> String {
        match &self.failed {
            Some((id, typed)) if *id == r.id => typed.clone(),
            _ => r.kostra_group.clone().unwrap_or_default(),
        }
    }

    pub fn failed_here(&self, r: &Reason) -> bool {
        matches!(&self.failed, Some((id, _)) if *id == r.id)
    }
}

/// The municipality administered here: the one in view, when the user is its admin.
fn target(ctx: &Ctx) -> AppResult<MunicipalityRef> {
    let c = ctx.visible_with_role(Permission::Administer);
    match c.len() {
        0 => Err(AppError::Forbidden),
        1 => Ok(c.into_iter().next().ok_or(AppError::Forbidden)?),
        // Several: the user chooses a municipality in the switcher first.
        _ => Err(AppError::NotFound),
    }
}

/// The municipality administered here and a write transaction on it.
async fn target_tx(ctx: &Ctx) -> AppResult<(MunicipalityRef, Tx)> {
    let m = target(ctx)?;
    let tx = ctx.write_tx(m.id, Permission::Administer).await?;
    Ok((m, tx))
}

async fn page(
    ctx: &Ctx,
    m: MunicipalityRef,
    name: String,
    errors: FormErrors,
    failed: Option<(uuid::Uuid, String)>,
) -> AppResult<ReasonsPage> {
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let reasons = repo::reasons(&mut tx, m.id, false).await?;
    tx.commit().await?;
    Ok(ReasonsPage {
        layout: Layout::new(ctx, "innstillinger"),
        municipality: m,
        reasons,
        reason_name: name,
        errors,
        groups: super::model::KOSTRA_GROUPS,
        failed,
    })
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    let m = target(&ctx)?;
    render(&page(&ctx, m, String::new(), FormErrors::new(), None).await?)
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason_name: String,
}

/// Commits and goes back to the list; a refusal that is about the form shows it again.
async fn finish(
    ctx: &Ctx,
    m: MunicipalityRef,
    tx: Tx,
    outcome: Outcome<()>,
    typed: String,
    failed: Option<(uuid::Uuid, String)>,
) -> AppResult<Response> {
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/innstillinger/soknadsgrunner").into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            render_status(status, &page(ctx, m, typed, shown.errors, failed).await?)
        }
    }
}

pub async fn add(ctx: Ctx, Form(form): Form<ReasonForm>) -> AppResult<Response> {
    let (m, mut tx) = target_tx(&ctx).await?;
    let outcome = commands::add_reason(&mut tx, ctx.actor(), m.id, &form.reason_name).await;
    finish(&ctx, m, tx, outcome, form.reason_name, None).await
}

async fn set_active(ctx: Ctx, id: uuid::Uuid, active: bool) -> AppResult<Response> {
    let (m, mut tx) = target_tx(&ctx).await?;
    let outcome = commands::set_reason_active(&mut tx, ctx.actor(), m.id, id, active).await;
    finish(&ctx, m, tx, outcome, String::new(), None).await
}

pub async fn deactivate(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    set_active(ctx, id, false).await
}

pub async fn activate(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    set_active(ctx, id, true).await
}

/// Adds the standard list when the municipality has none yet.
pub async fn add_defaults(ctx: Ctx) -> AppResult<Response> {
    let (m, mut tx) = target_tx(&ctx).await?;
    let outcome = commands::add_default_reasons(&mut tx, ctx.actor(), m.id).await;
    finish(&ctx, m, tx, outcome, String::new(), None).await
}

#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    kostra_group: String,
    #[serde(default)]
    version: String,
}

/// `POST /innstillinger/soknadsgrunner/{id}/kostra`: the KOSTRA group of one reason.
pub async fn set_group(ctx: Ctx, Id(id): Id, Form(form): Form<GroupForm>) -> AppResult<Response> {
    let (m, mut tx) = target_tx(&ctx).await?;
    // A version that is not a number cannot be the current one.
    let version = form.version.trim().parse::<i32>().unwrap_or(-1);
    let outcome = commands::set_reason_kostra_group(
        &mut tx,
        ctx.actor(),
        m.id,
        id,
        &form.kostra_group,
        version,
    )
    .await;
    finish(
        &ctx,
        m,
        tx,
        outcome,
        String::new(),
        Some((id, form.kostra_group)),
    )
    .await
}
