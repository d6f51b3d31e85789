//! CSV import of tenancies from before Bosak: upload (stored, nothing applied), a preview
//! of every line with its errors by line and column, and an all-or-nothing confirm that
//! creates or reuses the tenant, the lease (imported) with its initial rent, and lets the
//! unit. Idempotent by unit and start date: a line whose lease exists is skipped.

pub mod commands;
pub mod handlers;
pub mod parse;
pub mod repo;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/leiekontrakter/import",
            get(handlers::upload_page)
                .post(handlers::upload)
                .layer(DefaultBodyLimit::max(handlers::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/leiekontrakter/import/mal.csv",
            get(handlers::template_csv),
        )
        .route("/leiekontrakter/import/{id}", get(handlers::preview_page))
        .route(
            "/leiekontrakter/import/{id}/bekreft",
            post(handlers::confirm),
        )
}
