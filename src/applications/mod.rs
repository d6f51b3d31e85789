//! Applications for municipal housing and their case handling: registration (staff and
//! the public form), people and households, assessment, the journal with its timeline,
//! documents, status, assignment, deadlines with the interim reply, and case lists.
//!
//! Later contexts (decisions, offers, meetings) append to a case's timeline with
//! [`repo::record_event`] in their own transaction, and read cases with
//! [`repo::application`].

pub mod commands;
pub mod documents;
pub mod handlers;
pub mod interim;
pub mod lists;
pub mod model;
pub mod public;
pub mod reasons;
pub mod repo;
mod seed;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

pub use repo::{ensure_defaults, record_event};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/soknader", get(lists::list))
        .route("/soknader/mine", get(lists::mine))
        .route("/soknader/sok", post(lists::search_national_id))
        .route("/soknader/eksport.csv", get(lists::export))
        .route(
            "/soknader/ny",
            get(handlers::new_form).post(handlers::create),
        )
        .route("/soknader/{id}", get(handlers::show))
        .route("/soknader/{id}/status", post(handlers::change_status))
        .route("/soknader/{id}/tildeling", post(handlers::assign))
        .route("/soknader/{id}/kartlegging", post(handlers::add_assessment))
        .route("/soknader/{id}/journal", post(handlers::add_note))
        .route("/soknader/{id}/husstand", post(handlers::add_member))
        .route(
            "/soknader/{id}/husstand/{person}/fjern",
            post(handlers::remove_member),
        )
        .route(
            "/soknader/{id}/dokumenter",
            post(documents::upload).layer(DefaultBodyLimit::max(crate::web::csrf::UPLOAD_LIMIT)),
        )
        .route("/soknader/{id}/dokumenter/{doc}", get(documents::download))
        .route(
            "/soknader/{id}/forelopig-svar",
            get(interim::show).post(interim::save),
        )
        .route(
            "/soknader/{id}/forelopig-svar/brev.pdf",
            get(interim::draft_pdf),
        )
        .route(
            "/soknader/{id}/forelopig-svar/sendt",
            post(interim::mark_sent),
        )
        .route(
            "/innstillinger/soknadsgrunner",
            get(reasons::show).post(reasons::add),
        )
        .route(
            "/innstillinger/soknadsgrunner/standard",
            post(reasons::add_defaults),
        )
        .route(
            "/innstillinger/soknadsgrunner/{id}/deaktiver",
            post(reasons::deactivate),
        )
        .route(
            "/innstillinger/soknadsgrunner/{id}/aktiver",
            post(reasons::activate),
        )
        .route(
            "/innstillinger/soknadsgrunner/{id}/kostra",
            post(reasons::set_group),
        )
        .route(
            "/soknad/{kommune}",
            get(public::form_page).post(public::submit),
        )
        .route("/soknad/{kommune}/kvittering", get(public::receipt))
}

/// Demo content for the demo municipalities: (id, number, name). The connection is the
/// owner's, inside the demo seeding transaction; scope each municipality with
/// `crate::seed::with_tenant` before writing its rows.
pub async fn seed_demo(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String, String)],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    seed::demo(conn, municipalities, today).await
}

/// Benchmark content at scale factor `factor` spread over `municipalities`:
/// 6 000 applications per factor, 2 500 of them open.
pub async fn seed_scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    factor: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    seed::scale(conn, municipalities, factor, today).await
}
