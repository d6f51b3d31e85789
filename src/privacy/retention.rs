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
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::model::parse_retention_years;
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::auth::Role;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
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
    let done: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT municipality_id, application_id, case_number FROM bosak_anonymise_due($1)",
    )
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(done.len())
}

#[derive(sqlx::FromRow)]
pub struct Due {
    pub application_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub ended_on: NaiveDate,
    pub due_on: NaiveDate,
}

#[derive(sqlx::FromRow)]
struct Counts {
    due: i64,
    next_year: i64,
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
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let (years, version): (i32, i32) = sqlx::query_as(
        "SELECT retention_years, version FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(m.id)
    .fetch_one(&mut *tx)
    .await?;
    let counts: Counts = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE due_on <= $2) AS due,
                count(*) FILTER (WHERE due_on > $2 AND due_on <= ($2 + interval '1 year')::date) AS next_year
           FROM bosak_retention_schedule() WHERE municipality_id = $1",
    )
    .bind(m.id)
    .bind(today)
    .fetch_one(&mut *tx)
    .await?;
    let (from_day, from_id) = after(&q.etter).unzip();
    let mut due: Vec<Due> = sqlx::query_as(
        "SELECT application_id, case_number, status::text AS status, ended_on, due_on
           FROM bosak_retention_schedule()
          WHERE municipality_id = $1 AND due_on <= $2
            AND ($3::date IS NULL OR (due_on, application_id) > ($3, $4))
          ORDER BY due_on, application_id
          LIMIT $5",
    )
    .bind(m.id)
    .bind(today)
    .bind(from_day)
    .bind(from_id)
    .bind(PAGE_SIZE as i64 + 1)
    .fetch_all(&mut *tx)
    .await?;
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
    let q = PageQuery::default();
    let years = match parse_retention_years(&f.retention_years) {
        Ok(y) => y,
        Err(msg) => {
            let mut e = FormErrors::new();
            e.add("retention_years", msg);
            let p = page(&ctx, &q, Some(f.retention_years), e).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let version: i32 = f.version.trim().parse().unwrap_or(0);
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let before: Option<i32> = sqlx::query_scalar(
        "UPDATE municipality_settings s SET retention_years = $3, version = s.version + 1,
                updated_at = now(), updated_by = $4
           FROM (SELECT retention_years FROM municipality_settings WHERE municipality_id = $1) old
          WHERE s.municipality_id = $1 AND s.version = $2
         RETURNING old.retention_years",
    )
    .bind(m.id)
    .bind(version)
    .bind(years)
    .bind(ctx.user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some(
            "Noen andre endret innstillingene samtidig. Se over verdien og lagre på nytt.".into(),
        );
        let p = page(&ctx, &q, Some(f.retention_years), e).await?;
        return render_status(StatusCode::CONFLICT, &p);
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("settings.retention_years")
            .municipality(m.id)
            .details(serde_json::json!({ "from": before, "to": years })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/innstillinger/personvern?melding=lagret").into_response())
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
