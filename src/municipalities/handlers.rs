//! HTTP handlers: municipality switcher and settings.

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commands;
use super::model::SettingsForm;
use super::repo::{self, Area};
use super::views::{admin_target_for, posted_admin_target, ChoosePage, ForMunicipality};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::auth::session;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

const ADMINISTER: Permission = Permission::Administer;

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    return_to: String,
}

/// Chooses the municipality in view ("alle" = all of the user's).
pub async fn switch(ctx: Ctx, Form(form): Form<SwitchForm>) -> AppResult<Response> {
    let target = if form.municipality == "alle" {
        None
    } else {
        let m = ctx
            .user
            .municipalities()
            .into_iter()
            .find(|m| m.number == form.municipality)
            .ok_or(AppError::NotFound)?;
        Some(m.id)
    };
    session::set_current_municipality(&ctx.state.pool, &ctx.session.id_hash, target).await?;
    let back = if form.return_to.starts_with('/') && !form.return_to.starts_with("//") {
        // Keyset cursors and ids of the previous municipality make no sense after a switch.
        form.return_to.split('?').next().unwrap_or("/").to_owned()
    } else {
        "/".to_owned()
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "municipalities/settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub municipality: MunicipalityRef,
    pub form: SettingsForm,
    pub second_approver: bool,
    pub errors: FormErrors,
    pub areas: Vec<Area>,
    pub area_name: String,
    pub area_errors: FormErrors,
    pub saved: bool,
    /// The version saved now (the form's may be older).
    pub current_version: i32,
}

async fn settings_view(
    ctx: &Ctx,
    m: MunicipalityRef,
    form: Option<SettingsForm>,
    errors: FormErrors,
    area_name: String,
    area_errors: FormErrors,
    saved: bool,
) -> AppResult<SettingsPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let current = repo::settings(&mut tx, m.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let areas = repo::areas(&mut tx, m.id).await?;
    tx.commit().await?;
    let form = form.unwrap_or_else(|| SettingsForm {
        letterhead_name: current.letterhead_name.clone(),
        street_address: current.street_address.clone(),
        postcode: current.postcode.clone(),
        postal_place: current.postal_place.clone(),
        phone: current.phone.clone(),
        email: current.email.clone(),
        decisions_need_second_approver: current.decisions_need_second_approver.then(|| "1".into()),
        version: current.version.to_string(),
    });
    Ok(SettingsPage {
        layout: Layout::new(ctx, "innstillinger"),
        second_approver: form.decisions_need_second_approver.is_some(),
        municipality: m,
        form,
        errors,
        areas,
        area_name,
        area_errors,
        saved,
        current_version: current.version,
    })
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    lagret: Option<String>,
}

pub async fn settings_page(
    ctx: Ctx,
    Query(q): Query<SettingsQuery>,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &target)? else {
        return render(&ChoosePage {
            layout: Layout::new(&ctx, "innstillinger"),
        });
    };
    let page = settings_view(
        &ctx,
        m,
        None,
        FormErrors::new(),
        String::new(),
        FormErrors::new(),
        q.lagret.is_some(),
    )
    .await?;
    render(&page)
}

pub async fn save_settings(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = commands::save_settings(&mut tx, ctx.actor(), m.id, &form).await;
    match db::commit(tx, outcome).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/innstillinger?kommune={}&lagret=1", m.id)).into_response())
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let stale = status == StatusCode::CONFLICT;
            let empty = FormErrors::new();
            let mut page = settings_view(
                &ctx,
                m,
                Some(form),
                shown.errors,
                String::new(),
                empty,
                false,
            )
            .await?;
            if stale {
                // Saving again must be a deliberate overwrite of the colleague's version.
                page.form.version = page.current_version.to_string();
            }
            render_status(status, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    area_name: String,
}

pub async fn add_area(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(form): Form<AreaForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = commands::add_area(&mut tx, ctx.actor(), m.id, &form.area_name).await;
    match db::commit(tx, outcome).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/innstillinger?kommune={}#omrader", m.id)).into_response())
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let page = settings_view(
                &ctx,
                m,
                None,
                FormErrors::new(),
                form.area_name,
                shown.errors,
                false,
            )
            .await?;
            render_status(status, &page)
        }
    }
}

pub async fn remove_area(
    ctx: Ctx,
    Id(id): Id,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = commands::remove_area(&mut tx, ctx.actor(), m.id, id).await;
    match db::commit(tx, outcome).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/innstillinger?kommune={}#omrader", m.id)).into_response())
        }
        Err(refusal) => Err(refusal.into()),
    }
}
