//! HTTP handlers: municipality switcher and settings.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{parse_area_name, SettingsForm};
use super::repo::{self, Area};
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::auth::session;
use crate::auth::Role;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

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
}

#[derive(Template)]
#[template(path = "municipalities/choose.html")]
pub struct ChoosePage {
    pub layout: Layout,
}

/// The municipality whose settings are edited: the one in view, or the only one the user
/// administers.
fn admin_target(ctx: &Ctx) -> AppResult<Option<MunicipalityRef>> {
    let candidates = ctx.visible_with_role(&[Role::Admin]);
    match candidates.len() {
        0 => Err(AppError::Forbidden),
        1 => Ok(candidates.into_iter().next()),
        _ => Ok(None),
    }
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
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
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
    })
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    lagret: Option<String>,
}

pub async fn settings_page(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<SettingsQuery>,
) -> AppResult<Response> {
    let Some(m) = admin_target(&ctx)? else {
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

pub async fn save_settings(ctx: Ctx, Form(form): Form<SettingsForm>) -> AppResult<Response> {
    let Some(m) = admin_target(&ctx)? else {
        return Err(AppError::NotFound);
    };
    let (settings, version) = match form.parse() {
        Ok(v) => v,
        Err(errors) => {
            let page = settings_view(
                &ctx,
                m,
                Some(form),
                errors,
                String::new(),
                FormErrors::new(),
                false,
            )
            .await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    if !repo::update_settings(&mut tx, m.id, &settings, version, ctx.user.id).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "Noen andre har lagret innstillingene mens du arbeidet. Det du skrev er ikke lagret, men står fortsatt i skjemaet. \
             Sammenlign med det som er lagret nå (last siden på nytt i en ny fane) og lagre igjen."
                .into(),
        );
        let mut page = settings_view(
            &ctx,
            m,
            Some(form),
            errors,
            String::new(),
            FormErrors::new(),
            false,
        )
        .await?;
        // Saving again must be a deliberate overwrite of the colleague's version.
        let latest = {
            let mut tx = ctx.write_tx(page.municipality.id, &[Role::Admin]).await?;
            let s = repo::settings(&mut tx, page.municipality.id).await?;
            tx.commit().await?;
            s
        };
        if let Some(s) = latest {
            page.form.version = s.version.to_string();
        }
        return render_status(StatusCode::CONFLICT, &page);
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("municipality.settings_updated")
            .municipality(m.id)
            .entity("municipality_settings", m.id)
            .details(serde_json::json!({
                "letterhead_name": settings.letterhead_name,
                "decisions_need_second_approver": settings.decisions_need_second_approver,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger?lagret=1").into_response())
}

#[derive(Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    area_name: String,
}

pub async fn add_area(ctx: Ctx, Form(form): Form<AreaForm>) -> AppResult<Response> {
    let Some(m) = admin_target(&ctx)? else {
        return Err(AppError::NotFound);
    };
    let name = match parse_area_name(&form.area_name) {
        Ok(n) => n,
        Err(errors) => {
            let page = settings_view(
                &ctx,
                m,
                None,
                FormErrors::new(),
                form.area_name,
                errors,
                false,
            )
            .await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let Some(id) = repo::add_area(&mut tx, m.id, &name).await? else {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.add("area_name", format!("Området «{name}» finnes allerede."));
        let page = settings_view(
            &ctx,
            m,
            None,
            FormErrors::new(),
            form.area_name,
            errors,
            false,
        )
        .await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("municipality.area_added")
            .municipality(m.id)
            .entity("area", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger#omrader").into_response())
}

pub async fn remove_area(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let Some(m) = admin_target(&ctx)? else {
        return Err(AppError::NotFound);
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let Some(name) = repo::remove_area(&mut tx, m.id, id).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("municipality.area_removed")
            .municipality(m.id)
            .entity("area", id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger#omrader").into_response())
}
