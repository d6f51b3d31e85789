//! The web layer shared by every context: errors, request context, layout, CSRF, forms,
//! and the middleware stack.

pub mod csrf;
pub mod csv_export;
pub mod csv_import;
pub mod ctx;
pub mod error;
pub mod extract;
pub mod format;
pub mod forms;
pub mod layout;
pub mod load;
pub mod refusal;

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use error::{AppResult, ErrorPage, InternalErrorMarker};

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> AppResult<Response> {
    Ok(Html(t.render()?).into_response())
}

/// Renders a template with a status, e.g. 422 for a form with errors.
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> AppResult<Response> {
    Ok((status, Html(t.render()?)).into_response())
}

/// Replaces the body of every 500 (from a handler error or a caught panic) with the error
/// page showing the request id, so users can quote it and operators find the log line.
pub async fn request_id_on_errors(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let res = next.run(req).await;
    if res.status() == StatusCode::INTERNAL_SERVER_ERROR {
        let marked = res.extensions().get::<InternalErrorMarker>().is_some();
        if !marked {
            tracing::error!("internal error (panic or unmarked 500)");
        }
        return ErrorPage::response(StatusCode::INTERNAL_SERVER_ERROR, "internal", request_id);
    }
    // A body no form of ours sends (a field twice, bytes that are not UTF-8, a missing
    // content type) is refused by axum's extractors with an English plain-text line; the
    // user gets our Norwegian page instead. Our own refusals are HTML.
    let rejected = matches!(
        res.status(),
        StatusCode::BAD_REQUEST
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
    ) && res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    if rejected {
        return ErrorPage::response(StatusCode::BAD_REQUEST, "bad_request", String::new());
    }
    res
}

/// Removes a client's `X-Request-Id` so that `SetRequestIdLayer` always makes a fresh one.
pub async fn strip_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove("x-request-id");
    req
}

/// Pages with case data must never be stored by browsers or proxies.
pub async fn no_store(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    if !is_static && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
