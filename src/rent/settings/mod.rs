//! The rent settings a municipality's admin keeps (`/innstillinger/husleie`): the KID check
//! digit and the charge day, the arrears routine (reminder fee, NAV office, the
//! municipality's own periods of the ladder), and the bank accounts the rent is paid to —
//! a bank file imports only into the municipality that has every account in it.

pub mod commands;
pub mod handlers;
pub mod model;
pub mod repo;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/innstillinger/husleie",
            get(handlers::show).post(handlers::save_ledger),
        )
        .route(
            "/innstillinger/husleie/restanser",
            post(handlers::save_arrears),
        )
        .route(
            "/innstillinger/husleie/kontoer",
            post(handlers::add_account),
        )
        .route(
            "/innstillinger/husleie/kontoer/{konto}/fjern",
            post(handlers::remove_account),
        )
}
