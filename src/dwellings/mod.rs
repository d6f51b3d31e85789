//! The dwellings register: properties and their units, status with history, condition
//! assessments, the vacancy overview, moves in and out, and spreadsheet import.

pub mod commands;
pub mod handlers;
pub mod import;
pub mod import_handlers;
pub mod lists;
pub mod model;
pub mod repo;
mod seed;
pub mod settings;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/boliger", get(lists::units))
        .route("/boliger/eksport.csv", get(lists::export))
        .route("/boliger/ledige", get(lists::vacancy))
        .route("/boliger/flytting", get(lists::moves))
        .route("/boliger/tilstand", get(lists::condition))
        .route(
            "/boliger/ny",
            get(handlers::new_unit).post(handlers::create_unit),
        )
        .route("/boliger/{id}", get(handlers::show_unit))
        .route(
            "/boliger/{id}/rediger",
            get(handlers::edit_unit).post(handlers::update_unit),
        )
        .route(
            "/boliger/{id}/status",
            get(handlers::status_page).post(handlers::change_status),
        )
        .route(
            "/boliger/{id}/tilstand",
            get(handlers::assessment_page).post(handlers::add_assessment),
        )
        .route(
            "/boliger/import",
            get(import_handlers::upload_page)
                .post(import_handlers::upload)
                .layer(DefaultBodyLimit::max(import_handlers::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/boliger/import/mal.csv",
            get(import_handlers::template_csv),
        )
        .route("/boliger/import/{id}", get(import_handlers::preview_page))
        .route(
            "/boliger/import/{id}/bekreft",
            post(import_handlers::confirm),
        )
        .route("/eiendommer", get(handlers::properties))
        .route(
            "/eiendommer/ny",
            get(handlers::new_property).post(handlers::create_property),
        )
        .route("/eiendommer/{id}", get(handlers::show_property))
        .route(
            "/eiendommer/{id}/rediger",
            get(handlers::edit_property).post(handlers::update_property),
        )
        .route(
            "/innstillinger/boligtyper",
            get(settings::page).post(settings::add),
        )
        .route(
            "/innstillinger/boligtyper/{kind}/{id}/navn",
            post(settings::rename),
        )
        .route(
            "/innstillinger/boligtyper/{kind}/{id}/deaktiver",
            post(settings::deactivate),
        )
        .route(
            "/innstillinger/boligtyper/{kind}/{id}/aktiver",
            post(settings::activate),
        )
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

/// Benchmark content at scale factor `factor` spread over `municipalities`.
pub async fn seed_scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    factor: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    seed::scale(conn, municipalities, factor, today).await
}
