//! The yearly CPI adjustment of rents (husleieloven § 4-2): an admin starts a run for an
//! index month, a notice date and an effective date; the proposals for every lease whose
//! rent was set at least twelve months before are computed in one statement; the admin
//! leaves out leases, then approves, which writes the rent changes at once and the notices
//! in batches. Also a lease's rent history, for the lease page.

pub mod commands;
pub mod handlers;
pub mod letters;
pub mod model;
pub mod repo;

use axum::routing::{get, post};
use axum::Router;

pub use repo::{rent_history, rent_in_force, RentChangeRow};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/leiekontrakter/kpi",
            get(handlers::runs).post(handlers::start),
        )
        .route("/leiekontrakter/kpi/{id}", get(handlers::show))
        .route(
            "/leiekontrakter/kpi/{id}/forslag",
            post(handlers::set_included),
        )
        .route("/leiekontrakter/kpi/{id}/forkast", post(handlers::discard))
        .route("/leiekontrakter/kpi/{id}/godkjenn", post(handlers::approve))
        .route(
            "/leiekontrakter/kpi/{id}/brev",
            post(handlers::write_notices),
        )
}
