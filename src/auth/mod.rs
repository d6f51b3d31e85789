//! Authentication: login, sessions, passwords, roles and throttling.

pub mod handlers;
pub mod password;
pub mod policy;
pub mod pre_session;
pub mod repo;
pub mod roles;
pub mod session;
pub mod throttle;

pub use roles::Role;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login_page).post(handlers::login))
        .route("/logout", post(handlers::logout))
        .route(
            "/passord",
            get(handlers::password_page).post(handlers::change_password),
        )
}
