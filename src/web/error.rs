//! One error type for every handler. Known outcomes render a Norwegian page with the
//! right status; anything unexpected is logged with its cause and shown as a 500 page
//! carrying only the request id (filled in by [`crate::web::request_id_on_errors`]).

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("stale edit")]
    Conflict,
    #[error("login required")]
    LoginRequired { next: String },
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("request too large")]
    TooLarge,
    #[error("malformed request")]
    BadRequest,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub kind: &'static str,
    pub request_id: String,
}

/// Marks a 500 so the request-id middleware knows to render the page.
#[derive(Clone, Copy)]
pub struct InternalErrorMarker;

impl ErrorPage {
    pub fn response(status: StatusCode, kind: &'static str, request_id: String) -> Response {
        let page = ErrorPage {
            status: status.as_u16(),
            kind,
            request_id,
        };
        match page.render() {
            Ok(body) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response(),
            Err(_) => (status, "Feil").into_response(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => {
                ErrorPage::response(StatusCode::NOT_FOUND, "not_found", String::new())
            }
            AppError::Forbidden => {
                ErrorPage::response(StatusCode::FORBIDDEN, "forbidden", String::new())
            }
            AppError::Csrf => ErrorPage::response(StatusCode::FORBIDDEN, "csrf", String::new()),
            AppError::Conflict => {
                ErrorPage::response(StatusCode::CONFLICT, "conflict", String::new())
            }
            AppError::BadRequest => {
                ErrorPage::response(StatusCode::BAD_REQUEST, "bad_request", String::new())
            }
            AppError::TooLarge => {
                ErrorPage::response(StatusCode::PAYLOAD_TOO_LARGE, "too_large", String::new())
            }
            AppError::LoginRequired { next } => {
                let target = if next.starts_with('/') && !next.starts_with("//") && next != "/" {
                    format!("/login?neste={}", urlencode(&next))
                } else {
                    "/login".to_string()
                };
                Redirect::to(&target).into_response()
            }
            AppError::PasswordChangeRequired => Redirect::to("/passord").into_response(),
            // A record locked by the database (approved minutes): someone closed it first.
            AppError::Database(sqlx::Error::Database(ref db))
                if db.code().as_deref() == Some("BSK01") =>
            {
                ErrorPage::response(StatusCode::CONFLICT, "conflict", String::new())
            }
            AppError::Database(e) => internal(&e),
            AppError::Template(e) => internal(&e),
            AppError::Internal(e) => internal(e.as_ref()),
        }
    }
}

fn internal(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, source = ?e.source(), "internal error");
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(InternalErrorMarker);
    res
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
