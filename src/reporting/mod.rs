//! Dashboards and reporting (issue 17, DOMAIN.md §5–6): the municipality's figures (side
//! by side for a shared office), KOSTRA form 13 with the records behind each figure, what
//! needs the user today (on the start page), the annual mapping of applications by reason,
//! and the need overview of the 2023 act. Read-only except the mapping period setting.
//! SQL in `repo.rs`; names, the filter and chart geometry in `model.rs`.

pub mod handlers;
pub mod model;
pub mod planning;
pub mod repo;
pub mod today;
pub mod trend;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rapporter", get(handlers::figures))
        .route("/rapporter/tall.csv", get(handlers::figures_csv))
        .route("/rapporter/kostra", get(handlers::kostra))
        .route("/rapporter/kostra.csv", get(handlers::kostra_csv))
        .route("/rapporter/kostra/liste", get(handlers::kostra_list))
        .route("/rapporter/frister", get(today::due_list))
        .route("/rapporter/kartlegging", get(planning::mapping))
        .route("/rapporter/kartlegging.csv", get(planning::mapping_csv))
        .route(
            "/rapporter/kartlegging/periode",
            post(planning::save_period),
        )
        .route("/rapporter/behov", get(planning::need))
        .route("/rapporter/behov.csv", get(planning::need_csv))
}
