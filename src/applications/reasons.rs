//! The municipality's list of application reasons (the categories of the annual mapping):
//! administrators add and deactivate them.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::handlers::parse_id;
use super::model::parse_reason_name;
use super::repo::{self, Reason};
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::auth::Role;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "applications/reasons.html")]
pub struct ReasonsPage {
    pub layout: Layout,
    pub municipality: MunicipalityRef,
    pub reasons: Vec<Reason>,
    pub reason_name: String,
    pub errors: FormErrors,
}

/// The municipality administered here: the one in view, when the user is its admin.
fn target(ctx: &Ctx) -> AppResult<MunicipalityRef> {
    let c = ctx.visible_with_role(&[Role::Admin]);
    match c.len() {
        0 => Err(AppError::Forbidden),
        1 => Ok(c.into_iter().next().ok_or(AppError::Forbidden)?),
        // Several: the user chooses a municipality in the switcher first.
        _ => Err(AppError::NotFound),
    }
}

async fn page(
    ctx: &Ctx,
    m: MunicipalityRef,
    name: String,
    errors: FormErrors,
) -> AppResult<ReasonsPage> {
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let reasons = repo::reasons(&mut tx, m.id, false).await?;
    tx.commit().await?;
    Ok(ReasonsPage {
        layout: Layout::new(ctx, "innstillinger"),
        municipality: m,
        reasons,
        reason_name: name,
        errors,
    })
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    let m = target(&ctx)?;
    render(&page(&ctx, m, String::new(), FormErrors::new()).await?)
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason_name: String,
}

pub async fn add(ctx: Ctx, Form(form): Form<ReasonForm>) -> AppResult<Response> {
    let m = target(&ctx)?;
    let name = match parse_reason_name(&form.reason_name) {
        Ok(n) => n,
        Err(errors) => {
            let p = page(&ctx, m, form.reason_name, errors).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let Some(id) = repo::add_reason(&mut tx, m.id, &name).await? else {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.add(
            "reason_name",
            format!("Søknadsgrunnen «{name}» finnes allerede."),
        );
        let p = page(&ctx, m, form.reason_name, errors).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.reason_added")
            .municipality(m.id)
            .entity("application_reason", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger/soknadsgrunner").into_response())
}

async fn set_active(ctx: Ctx, id: String, active: bool) -> AppResult<Response> {
    let m = target(&ctx)?;
    let id = parse_id(&id)?;
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let Some(name) = repo::set_reason_active(&mut tx, m.id, id, active).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new(if active {
            "application.reason_activated"
        } else {
            "application.reason_deactivated"
        })
        .municipality(m.id)
        .entity("application_reason", id)
        .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger/soknadsgrunner").into_response())
}

pub async fn deactivate(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    set_active(ctx, id, false).await
}

pub async fn activate(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    set_active(ctx, id, true).await
}

/// Adds the standard list when the municipality has none yet.
pub async fn add_defaults(ctx: Ctx) -> AppResult<Response> {
    let m = target(&ctx)?;
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    repo::ensure_defaults(&mut tx, m.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.reasons_defaulted").municipality(m.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger/soknadsgrunner").into_response())
}
