//! The yearly CPI adjustment of rents (husleieloven § 4-2): an admin starts a run for an
//! index month, a notice date and an effective date; the proposals for every lease whose
//! rent was set at least twelve months before are computed in one statement; the admin
//! leaves out leases, then approves, which writes the rent changes at once and the notices
//! in batches. Also a lease's rent history, for the lease page.

pub mod commands;
pub mod handlers;
pub mod letters;
pub mod model;
pub mod repo;

use axum::routing::{get, post};

use super::rules;
use axum::Router;

pub use repo::{rent_history, rent_in_force, RentChangeRow};

use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

/// Scale data for the benchmark (call it from the lease scale seed, after the leases and
/// their rent histories, inside `seed::with_tenant` for `m`): KPI values for the last ten
/// years and an open run for the latest month, its proposals computed as an admin's
/// would be. `by` is the user recorded as having started it. Returns the run.
pub async fn seed_scale_run(
    conn: &mut PgConnection,
    m: Uuid,
    by: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Uuid> {
    let month_before = today
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(today);
    let index_month = month_before.with_day(1).unwrap_or(month_before);
    let from = index_month
        .checked_sub_months(chrono::Months::new(120))
        .unwrap_or(index_month);
    crate::leases::settings::repo::seed_kpi_series(conn, m, from, index_month).await?;
    let index = crate::leases::settings::repo::kpi_value(conn, m, index_month)
        .await?
        .map_or(1, |k| k.tenths);
    let input = model::StartInput {
        index_month,
        notice_on: today,
        effective_on: rules::earliest_effective(today),
    };
    let id = Uuid::now_v7();
    repo::insert_run(conn, m, id, &input, index, by).await?;
    repo::propose(conn, m, id, input.effective_on, index).await?;
    Ok(id)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/leiekontrakter/kpi",
            get(handlers::runs).post(handlers::start),
        )
        .route("/leiekontrakter/kpi/{id}", get(handlers::show))
        .route(
            "/leiekontrakter/kpi/{id}/forslag",
            post(handlers::set_included),
        )
        .route("/leiekontrakter/kpi/{id}/forkast", post(handlers::discard))
        .route("/leiekontrakter/kpi/{id}/godkjenn", post(handlers::approve))
        .route(
            "/leiekontrakter/kpi/{id}/brev",
            post(handlers::write_notices),
        )
}
