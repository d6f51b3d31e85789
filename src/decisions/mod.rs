//! Decisions (vedtak), combined decisions (samlevedtak) and appeals (klager).

pub mod admin;
pub mod advance_notice;
pub mod appeal_interim;
pub mod appeals;
pub mod calendar;
pub mod commands;
pub mod deadline;
pub mod forms;
pub mod forwarding;
pub mod grounds_request;
pub mod handlers;
pub mod late_appeals;
pub mod letter;
pub mod lists;
pub mod model;
pub mod repo;
pub mod seed;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use repo::ensure_defaults;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vedtak", get(lists::list))
        .route("/vedtak/eksport.csv", get(lists::export))
        .route("/soknader/{id}/vedtak", post(handlers::create))
        .route("/vedtak/{id}", get(handlers::show))
        .route("/vedtak/{id}/punkter", post(handlers::save_point))
        .route(
            "/vedtak/{id}/punkter/{pid}/slett",
            post(handlers::delete_point),
        )
        .route("/vedtak/{id}/begrunnelse", post(handlers::save_grounds))
        .route("/vedtak/{id}/til-godkjenning", post(handlers::submit))
        .route("/vedtak/{id}/tilbake-til-utkast", post(handlers::reopen))
        .route("/vedtak/{id}/send", post(handlers::send))
        .route("/vedtak/{id}/rett", post(handlers::correct))
        .route("/vedtak/{id}/brev", get(handlers::letter_html))
        .route("/vedtak/{id}/brev.pdf", get(handlers::letter_pdf))
        .route("/vedtak/{id}/klager", post(appeals::register))
        .route(
            "/vedtak/{id}/begrunnelse-krevd",
            post(grounds_request::request),
        )
        .route(
            "/vedtak/{id}/begrunnelse-gitt",
            post(grounds_request::given),
        )
        .route(
            "/soknader/{id}/forhandsvarsel",
            get(advance_notice::show).post(advance_notice::send),
        )
        .route(
            "/soknader/{id}/forhandsvarsel/{notice}/svar",
            post(advance_notice::answer),
        )
        .route("/innstillinger/vedtak/frister", post(admin::save_periods))
        .route("/klager", get(lists::open_appeals))
        .route("/klager/{id}", get(appeals::show))
        .route("/klager/{id}/omgjor", post(appeals::reverse))
        .route("/klager/{id}/for-sent", post(late_appeals::assess))
        .route("/klager/{id}/oversend", post(forwarding::forward))
        .route("/klager/{id}/utfall", post(forwarding::outcome))
        .route("/klager/{id}/forelopig-svar", post(appeal_interim::send))
        .route("/innstillinger/vedtak", get(admin::show))
        .route("/innstillinger/vedtak/typer", post(admin::add_kind))
        .route("/innstillinger/vedtak/typer/{id}", post(admin::toggle_kind))
        .route(
            "/innstillinger/vedtak/standardtekster",
            post(admin::add_paragraph),
        )
        .route(
            "/innstillinger/vedtak/standardtekster/{id}",
            post(admin::toggle_paragraph),
        )
}
