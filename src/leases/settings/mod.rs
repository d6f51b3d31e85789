//! The lease settings a municipality's admin keeps: KPI values for the yearly rent
//! adjustment (husleieloven § 4-2), the grounds for a term under three years (§ 11-1) and
//! the house rules as append-only versions.

pub mod commands;
pub mod handlers;
pub mod model;
pub mod repo;

use axum::routing::{get, post};
use axum::Router;

pub use repo::{active_grounds, current_house_rules, ensure_defaults, house_rules};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/innstillinger/kpi",
            get(handlers::kpi).post(handlers::record_kpi),
        )
        .route("/innstillinger/kpi/rett", post(handlers::correct_kpi))
        .route(
            "/innstillinger/korttidsgrunnlag",
            get(handlers::grounds).post(handlers::add_ground),
        )
        .route(
            "/innstillinger/korttidsgrunnlag/{id}",
            get(handlers::ground).post(handlers::update_ground),
        )
        .route(
            "/innstillinger/husordensregler",
            get(handlers::house_rules).post(handlers::add_house_rules),
        )
}
