//! Retention (GDPR art. 5(1)(e), 17): each municipality's retention period, the dry run
//! that shows its admin which closed cases the next run anonymises, and the scheduled
//! job that does it.
//!
//! Which cases are due is decided in one place, the SQL function
//! `bosak_retention_schedule()`, used by both the dry run and the job. The job calls
//! `bosak_anonymise_due(today)` over a connection of the owning role: the request role
//! `bosak_app` may not execute it, so no request (nor an injection into one) can
//! anonymise anything. The function writes the audit events itself.

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::commands;
use super::repo::{self, Due};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::extract;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};
use crate::AppState;

const PAGE_SIZE: usize = 50;

/// Anonymises every case whose retention ran out by `today`; returns how many.
pub async fn run(state: &AppState, today: NaiveDate) -> anyhow::Result<usize> {
    let url =
        state.config.database_url.as_deref().ok_or_else(|| {
            anyhow::anyhow!("the retention job needs DATABASE_URL (the owning role)")
        })?;
    let mut conn = PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    let done = repo::anonymise_due(&mut tx, today).await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(done.len())
}

#[derive(Template)]
#[template(path = "privacy/retention.html")]
pub struct RetentionPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub years: String,
    pub version: i32,
    pub errors: FormErrors,
    pub saved: bool,
    pub today: NaiveDate,
    pub due_count: i64,
    pub next_year_count: i64,
    /// Ended leases past their period (with the people only they name).
    pub leases_due_count: i64,
    pub due: Vec<Due>,
    pub next: Option<String>,
}

impl RetentionPage {
    pub fn day(&self, d: &NaiveDate) -> String {
        crate::web::format::date(*d)
    }
    pub fn status(&self, key: &str) -> &'static str {
        crate::applications::model::Status::from_key(key)
            .map(|s| s.label())
            .unwrap_or("Ukjent")
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub etter: String,
    #[serde(default)]
    pub melding: String,
}

/// The keyset of the dry run list: `<due date>_<application id>`; anything else is the
/// first page.
fn after(key: &str) -> Option<(NaiveDate, Uuid)> {
    let (d, id) = key.split_once('_')?;
    Some((
        NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
        Uuid::parse_str(id).ok()?,
    ))
}

async fn page(
    ctx: &Ctx,
    q: &PageQuery,
    typed: Option<String>,
    errors: FormErrors,
) -> AppResult<RetentionPage> {
    let m = ctx.admin_municipality()?;
    let today = ctx.today();
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let (years, version) = repo::retention_years(&mut tx, m.id).await?;
    let counts = repo::due_counts(&mut tx, m.id, today).await?;
    let leases_due_count = repo::leases_due_count(&mut tx, m.id, today).await?;
    let mut due = repo::due(&mut tx, m.id, today, after(&q.etter), PAGE_SIZE as i64 + 1).await?;
    let next = (due.len() > PAGE_SIZE).then(|| {
        due.truncate(PAGE_SIZE);
        due.last()
            .map(|d| format!("{}_{}", d.due_on.format("%Y-%m-%d"), d.application_id))
            .unwrap_or_default()
    });
    if !due.is_empty() {
        audit::record(
            &mut tx,
            ctx,
            Event::new("privacy.retention_previewed")
                .municipality(m.id)
                .details(serde_json::json!({
                    "applications": due.iter().map(|d| d.application_id).collect::<Vec<_>>(),
                })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(RetentionPage {
        layout: Layout::new(ctx, "innstillinger"),
        m,
        years: typed.unwrap_or_else(|| years.to_string()),
        version,
        errors,
        saved: q.melding == "lagret",
        today,
        due_count: counts.due,
        next_year_count: counts.next_year,
        leases_due_count,
        due,
        next,
    })
}

pub async fn settings_page(ctx: Ctx, Query(q): Query<PageQuery>) -> AppResult<Response> {
    render(&page(&ctx, &q, None, FormErrors::new()).await?)
}

#[derive(Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    pub retention_years: String,
    #[serde(default)]
    pub version: String,
}

pub async fn save_settings(ctx: Ctx, Form(f): Form<RetentionForm>) -> AppResult<Response> {
    let m = ctx.admin_municipality()?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let version = extract::version(&f.version);
    let outcome =
        commands::set_retention_years(&mut tx, ctx.actor(), m.id, version, &f.retention_years)
            .await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/innstillinger/personvern?melding=lagret").into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let p = page(
                &ctx,
                &PageQuery::default(),
                Some(f.retention_years),
                shown.errors,
            )
            .await?;
            render_status(status, &p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_keyset_is_the_first_page() {
        assert_eq!(after(""), None);
        assert_eq!(after("2030-01-01"), None);
        assert_eq!(after("x_y"), None);
        let id = Uuid::nil();
        assert_eq!(
            after(&format!("2030-01-01_{id}")),
            NaiveDate::from_ymd_opt(2030, 1, 1).map(|d| (d, id))
        );
    }
}
