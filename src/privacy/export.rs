//! The access-request export (innsyn, GDPR art. 15): everything Bosak holds about one
//! person in one municipality, as a page and as a JSON download. One `Export` value feeds
//! both, so the page and the file can never say different things.
//!
//! Other people's personal data stays out (art. 15(4)): household members appear by
//! relation only, and the applicant of a case the person is a member of is not named.

use askama::Template;
use axum::extract::Form;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::commands;
use super::repo::{self, Export};
use crate::applications::model::NationalId;
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

/// The page shows the newest reads; the download has them all.
const ACCESS_ROWS_ON_PAGE: usize = 200;

/// The municipality whose admin handles the request: the one in view where the user is
/// admin (several in view is 404 until one is chosen in the switcher).
fn municipality(ctx: &Ctx) -> AppResult<MunicipalityRef> {
    ctx.admin_municipality()
}

#[derive(Template)]
#[template(path = "privacy/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub fnr: String,
    pub errors: FormErrors,
}

pub async fn search_page(ctx: Ctx) -> AppResult<Response> {
    let m = municipality(&ctx)?;
    render(&SearchPage {
        layout: Layout::new(&ctx, "innstillinger"),
        m,
        fnr: String::new(),
        errors: FormErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub fnr: String,
}

/// The identity number is POSTed, so it never lands in a URL, a log or browser history.
pub async fn search(ctx: Ctx, Form(form): Form<SearchForm>) -> AppResult<Response> {
    let m = municipality(&ctx)?;
    let mut errors = FormErrors::new();
    let mut found = None;
    match NationalId::parse(&form.fnr) {
        Ok(n) => {
            let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
            found = repo::person_by_national_id(&mut tx, m.id, n.as_str()).await?;
            tx.commit().await?;
            if found.is_none() {
                errors.add(
                    "fnr",
                    format!(
                        "Bosak har ingen person med dette fødselsnummeret i {}.",
                        m.name
                    ),
                );
            }
        }
        Err(msg) => errors.add("fnr", msg),
    }
    match found {
        Some(id) => Ok(Redirect::to(&format!("/personvern/innsyn/{id}")).into_response()),
        None => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SearchPage {
                layout: Layout::new(&ctx, "innstillinger"),
                m,
                fnr: form.fnr,
                errors,
            },
        ),
    }
}

/// Gathers the export in a transaction that also records who exported whose data.
async fn audited_export(ctx: &Ctx, person: uuid::Uuid, format: &str) -> AppResult<Export> {
    let m = municipality(ctx)?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = commands::export(&mut tx, ctx.actor(), &m, person, format).await;
    db::commit(tx, outcome).await.map_err(AppError::from)
}

#[derive(Template)]
#[template(path = "privacy/export.html")]
pub struct ExportPage {
    pub layout: Layout,
    pub e: Export,
    /// Reads in all; the page shows the newest `ACCESS_ROWS_ON_PAGE`.
    pub access_total: usize,
}

impl ExportPage {
    pub fn date(&self, d: &Option<NaiveDate>) -> String {
        d.map(crate::web::format::date).unwrap_or_default()
    }
    pub fn day(&self, d: &NaiveDate) -> String {
        crate::web::format::date(*d)
    }
    pub fn at(&self, t: &DateTime<Utc>) -> String {
        crate::web::format::datetime(*t)
    }
    pub fn status(&self, key: &str) -> &'static str {
        crate::applications::model::Status::from_key(key)
            .map(|s| s.label())
            .unwrap_or("Ukjent")
    }
    pub fn yes_no(&self, b: &bool) -> &'static str {
        if *b {
            "Ja"
        } else {
            "Nei"
        }
    }
}

pub async fn show(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let mut e = audited_export(&ctx, id, "html").await?;
    let access_total = e.access_log.len();
    e.access_log.truncate(ACCESS_ROWS_ON_PAGE);
    render(&ExportPage {
        layout: Layout::new(&ctx, "innstillinger"),
        e,
        access_total,
    })
}

pub async fn download(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let e = audited_export(&ctx, id, "json").await?;
    let body = serde_json::to_vec_pretty(&e).map_err(anyhow::Error::from)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"innsyn-{}.json\"", e.person.id),
            ),
        ],
        body,
    )
        .into_response())
}
