//! The bank's OCR giro file into the rent ledger (issue 16): upload and parse (a malformed
//! file refused whole with its line and reason, nothing stored), a preview of the stored
//! file (its assignments, counts and total, how many lines match a lease and how many go
//! to the queue), and an all-or-nothing confirm: every line recorded, the lines whose KID
//! names a lease of the import's municipality recorded as payments and settled, the rest
//! in the queue `/husleie/innbetalinger`, where a caseworker assigns a line to a lease or
//! returns it. The same file imported again imports nothing (sender and transmission
//! number, and content hash, unique among a municipality's imported files).
//!
//! Between the upload and the confirm the file lives in its `rent_imports` row (status
//! `previewed`, the bytes in `content`): the confirm parses and matches it again, so what
//! it imports is the file as it is matched at that moment.

pub mod bench;
pub mod commands;
pub mod handlers;
pub mod model;
pub mod repo;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/husleie/innlesing",
            get(handlers::imports)
                .post(handlers::upload)
                .layer(DefaultBodyLimit::max(handlers::UPLOAD_BODY_LIMIT)),
        )
        .route("/husleie/innlesing/{id}", get(handlers::show))
        .route("/husleie/innlesing/{id}/bekreft", post(handlers::confirm))
        .route("/husleie/innbetalinger", get(handlers::queue))
        .route("/husleie/innbetalinger/{id}", get(handlers::line))
        .route("/husleie/innbetalinger/{id}/tildel", post(handlers::assign))
        .route(
            "/husleie/innbetalinger/{id}/returner",
            post(handlers::return_line),
        )
}
