//! Allocation: criteria, the ranked waiting list, matching to vacant units, and offers.

pub mod cache;
pub mod candidates;
pub mod commands;
pub mod handlers;
pub mod letter;
pub mod model;
pub mod offers;
pub mod overdue;
pub mod ranking;
pub mod repo;

use axum::routing::{get, post};
use axum::Router;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

pub use repo::ensure_defaults;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/venteliste", get(handlers::waiting_list))
        .route("/venteliste/eksport.csv", get(handlers::waiting_export))
        .route("/soknader/{id}/boliger", get(handlers::applicant_units))
        .route(
            "/innstillinger/tildeling",
            get(handlers::rules_show).post(handlers::rules_save),
        )
        .route("/boliger/{id}/kandidater", get(offers::candidates))
        .route("/boliger/{id}/tilbud", post(offers::make_offer))
        .route("/tilbud/forfalte", get(overdue::list))
        .route("/tilbud/{id}", get(offers::show))
        .route("/tilbud/{id}/svar", post(offers::answer))
        .route("/tilbud/{id}/brev", get(offers::letter_html))
        .route("/tilbud/{id}/brev.pdf", get(offers::letter_pdf))
}

/// Demo and scale data: the default allocation rules of every municipality.
pub async fn seed(conn: &mut PgConnection, municipalities: &[Uuid]) -> anyhow::Result<()> {
    for m in municipalities {
        crate::seed::with_tenant(conn, *m).await?;
        repo::ensure_defaults(conn, *m).await?;
    }
    Ok(())
}
