//! Arrears follow-up (issue 16, DOMAIN.md §6): the ladder's steps taken on a lease in
//! arrears, each with its date, caseworker and letter (reminder → contact → notice to NAV →
//! payment plan → warning under tvangsfullbyrdelsesloven § 4-18 → request to the
//! enforcement officer → eviction date → carried out or avoided), the payment plan followed
//! against the payments, the reminder fee, and the arrears overview. The rules are
//! `rent::ladder`; this context reads the case from the database and records the steps.

pub mod commands;
pub mod handlers;
pub mod letters;
pub mod model;
pub mod repo;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/husleie/restanser", get(handlers::overview))
        .route("/husleie/restanser/tall", get(handlers::figures))
        .route("/leiekontrakter/{id}/restanse", get(handlers::case))
        .route(
            "/leiekontrakter/{id}/restanse/trinn",
            post(handlers::take_step),
        )
        .route(
            "/leiekontrakter/{id}/restanse/reservasjon",
            post(handlers::nav_refusal),
        )
}
