//! Leases (husleieloven): contracts from accepted offers or for tenancies from before
//! Bosak, their lawfulness (term, § 11-1 basis, deposit, one lease per unit at a time),
//! signing and the contract, expiry and renewal review, yearly CPI adjustment, notice,
//! end and deposit settlement, and CSV import.

pub mod commands;
pub mod cpi;
pub mod handlers;
pub mod import;
pub mod letters;
pub mod lists;
pub mod model;
pub mod repo;
pub mod rules;
pub mod seed;
pub mod settings;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/leiekontrakter", get(lists::list))
        .route("/leiekontrakter/utlop", get(lists::expiry))
        .route("/leiekontrakter/eksport.csv", get(lists::export))
        .route(
            "/leiekontrakter/ny",
            get(handlers::new_page).post(handlers::create),
        )
        .route("/leiekontrakter/{id}", get(handlers::show))
        .route(
            "/leiekontrakter/{id}/rediger",
            get(handlers::edit_page).post(handlers::update),
        )
        .route(
            "/leiekontrakter/{id}/kontrakt",
            get(handlers::contract_html),
        )
        .route(
            "/leiekontrakter/{id}/kontrakt.pdf",
            get(handlers::contract_pdf),
        )
        .route(
            "/leiekontrakter/{id}/orientering",
            post(handlers::short_term_notice),
        )
        .route("/leiekontrakter/{id}/signer", post(handlers::sign))
        .route("/leiekontrakter/{id}/vurdering", post(handlers::review))
        .route(
            "/leiekontrakter/{id}/fraflyttingsvarsel",
            post(handlers::demand_to_move),
        )
        .route(
            "/leiekontrakter/{id}/forhandsvarsel",
            post(handlers::advance_notice),
        )
        .route(
            "/leiekontrakter/{id}/oppsigelse",
            post(handlers::give_notice),
        )
        .route("/leiekontrakter/{id}/protest", post(handlers::protest))
        .route("/leiekontrakter/{id}/avslutt", post(handlers::end))
        .merge(cpi::routes())
        .merge(import::routes())
        .merge(settings::routes())
}
