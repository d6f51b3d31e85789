//! Rent: each lease's KID, the append-only ledger (charges, payments, credits, fees,
//! corrections) with settlement of charges oldest first, the monthly charge run, payments
//! by hand, and CSV exports for the accounts.

pub mod arrears;
pub mod bench;
pub mod commands;
pub mod handlers;
pub mod import;
pub mod kid;
pub mod ladder;
pub mod model;
pub mod ocr;
pub mod repo;
pub mod scale;
pub mod seed;
pub mod settings;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(import::routes())
        .route(
            "/husleie/terminer",
            get(handlers::runs).post(handlers::start_run),
        )
        .route("/husleie/terminer/eksport.csv", get(handlers::export_month))
        .route("/leiekontrakter/{id}/husleie", get(handlers::ledger))
        .route(
            "/leiekontrakter/{id}/husleie.csv",
            get(handlers::export_ledger),
        )
        .route(
            "/leiekontrakter/{id}/husleie/innbetaling",
            post(handlers::payment),
        )
        .route(
            "/leiekontrakter/{id}/husleie/justering",
            post(handlers::adjust),
        )
        .merge(arrears::routes())
        .merge(settings::routes())
}
