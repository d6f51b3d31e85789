//! Municipalities (the tenants): the switcher for office users, and each municipality's
//! settings (letterhead, areas, four-eyes approval of decisions).

pub mod commands;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod views;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/velg-kommune", post(handlers::switch))
        .route(
            "/innstillinger",
            get(handlers::settings_page).post(handlers::save_settings),
        )
        .route("/innstillinger/omrader", post(handlers::add_area))
        .route(
            "/innstillinger/omrader/{id}/fjern",
            post(handlers::remove_area),
        )
}
