//! Leases (husleieloven): contracts from accepted offers or for tenancies from before
//! Bosak, their lawfulness (term, § 11-1 basis, deposit, one lease per unit at a time),
//! signing and the contract, expiry and renewal review, yearly CPI adjustment, notice,
//! end and deposit settlement, and CSV import.

pub mod cpi;
pub mod import;
pub mod rules;
pub mod seed;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().merge(cpi::routes()).merge(import::routes())
}
