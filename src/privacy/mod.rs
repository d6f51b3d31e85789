//! Data protection (ASVS 5.0 V14; GDPR art. 15, 5(1)(e) and 17): the access-request
//! export of everything Bosak holds about a person in one municipality (innsyn), and the
//! retention period after which closed cases are anonymised by a scheduled job.
//!
//! Only municipality admins may export: an access request is a formal request to the
//! controller (the municipality), answered after the requester's identity is checked,
//! and the export gathers every case of the person plus the access log in one
//! download. Caseworkers already see the cases they work on; giving them a one-click
//! dump of a person's whole history would widen what a single account can carry away.

pub mod commands;
pub mod export;
pub mod model;
pub mod repo;
pub mod retention;

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personvern/innsyn",
            get(export::search_page).post(export::search),
        )
        .route("/personvern/innsyn/{id}", get(export::show))
        .route(
            "/personvern/innsyn/{id}/eksport.json",
            get(export::download),
        )
        .route(
            "/innstillinger/personvern",
            get(retention::settings_page).post(retention::save_settings),
        )
}
