//! Interim reply (foreløpig svar, forvaltningsloven § 11a): the caseworker writes why the
//! case takes time and when a decision is expected, prints the letter, and records that
//! it was sent.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use super::handlers::{case_path, case_tx, parse_id, VersionForm, CASE_ROLES};
use super::model::{deadline, Deadline, InterimForm};
use super::repo::{self, ApplicationDetail, Letterhead};
use crate::audit::{self, Event};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "applications/interim.html")]
pub struct InterimPage {
    pub layout: Layout,
    pub c: ApplicationDetail,
    pub letterhead: Letterhead,
    pub form: InterimForm,
    pub errors: FormErrors,
    pub today: String,
    pub deadline: Deadline,
    pub caseworker: String,
}

impl InterimPage {
    pub fn date(&self, d: &NaiveDate) -> String {
        format::date(*d)
    }
    pub fn expected(&self) -> String {
        self.c
            .interim_expected_on
            .map(format::date)
            .unwrap_or_default()
    }
    pub fn sent(&self) -> String {
        self.c.interim_sent_on.map(format::date).unwrap_or_default()
    }
}

async fn page(
    ctx: &Ctx,
    id: &str,
    form: Option<InterimForm>,
    errors: FormErrors,
) -> AppResult<InterimPage> {
    let id = parse_id(id)?;
    let (mut tx, munis) = ctx.read_tx(CASE_ROLES).await?;
    let visible: Vec<uuid::Uuid> = munis.iter().map(|m| m.id).collect();
    let c = repo::application(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let letterhead = repo::letterhead(&mut tx, c.municipality_id).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.viewed")
            .municipality(c.municipality_id)
            .entity("application", id)
            .details(serde_json::json!({ "case_number": c.case_number, "page": "interim_reply" })),
    )
    .await?;
    tx.commit().await?;
    let form = form.unwrap_or_else(|| InterimForm {
        reason: c.interim_reason.clone(),
        expected_on: c.interim_expected_on.map(format::date).unwrap_or_default(),
        version: c.version.to_string(),
    });
    Ok(InterimPage {
        layout: Layout::new(ctx, "soknader"),
        deadline: deadline(c.status, c.interim_sent_on, c.interim_due_on, ctx.today()),
        caseworker: c
            .caseworker_name
            .clone()
            .unwrap_or_else(|| ctx.user.display_name.clone()),
        c,
        letterhead,
        form,
        errors,
        today: format::date(ctx.today()),
    })
}

pub async fn show(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    render(&page(&ctx, &id, None, FormErrors::new()).await?)
}

/// Saves the letter's text (reason and expected date); the letter then shows for printing.
pub async fn save(
    ctx: Ctx,
    Path(raw): Path<String>,
    Form(form): Form<InterimForm>,
) -> AppResult<Response> {
    let (reason, expected, version) = match form.parse(ctx.today()) {
        Ok(v) => v,
        Err(errors) => {
            let p = page(&ctx, &raw, Some(form), errors).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let id = parse_id(&raw)?;
    let (mut tx, m) = case_tx(&ctx, id).await?;
    if !repo::save_interim(&mut tx, m, id, version, &reason, expected).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "Saken ble endret av noen andre mens du skrev, eller foreløpig svar er allerede sendt. \
             Ingenting er lagret; teksten din står fortsatt i skjemaet."
                .into(),
        );
        let mut p = page(&ctx, &raw, Some(form), errors).await?;
        p.form.version = p.c.version.to_string();
        return render_status(StatusCode::CONFLICT, &p);
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.interim_reply_drafted")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}/forelopig-svar#brev", case_path(id))).into_response())
}

/// Records that the printed letter was sent today.
pub async fn mark_sent(
    ctx: Ctx,
    Path(raw): Path<String>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    let (mut tx, m) = case_tx(&ctx, id).await?;
    if !repo::mark_interim_sent(&mut tx, m, id, version, ctx.today()).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "Utsendelsen er ikke registrert: saken ble endret av noen andre, svaret er allerede registrert sendt, \
             eller brevet mangler begrunnelse. Se over brevet og prøv igjen."
                .into(),
        );
        let p = page(&ctx, &raw, None, errors).await?;
        return render_status(StatusCode::CONFLICT, &p);
    }
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "interim_reply",
        "Foreløpig svar sendt til søker",
        "",
        Some(&format!("{}/forelopig-svar", case_path(id))),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.interim_reply_sent")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=forelopig", case_path(id))).into_response())
}
