//! Administration: users and roles per municipality or office, and the audit log.

pub mod audit_log;
pub mod commands;
pub mod model;
pub mod repo;
pub mod users;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/brukere", get(users::list))
        .route("/brukere/ny", get(users::new_page).post(users::create))
        .route("/brukere/{id}", get(users::show))
        .route("/brukere/{id}/roller", post(users::set_roles))
        .route("/brukere/{id}/deaktiver", post(users::deactivate))
        .route("/brukere/{id}/aktiver", post(users::activate))
        .route(
            "/brukere/{id}/nullstill-passord",
            post(users::reset_password),
        )
        .route("/revisjonslogg", get(audit_log::list))
}
