//! CSRF protection: a synchronizer token per session in every form, checked here for every
//! state-changing request before any handler runs, plus an Origin / Sec-Fetch-Site check as
//! a second layer. Hand-written because the token lives in our own session row; the
//! crates we looked at use double-submit cookies, which are weaker with subdomains.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use subtle::ConstantTimeEq;

use crate::auth::session::MaybeSession;
use crate::web::error::AppError;

pub const FIELD: &str = "csrf_token";
/// Largest urlencoded form we accept; multipart bodies are bounded by the upload limit.
const FORM_LIMIT: usize = 1024 * 1024;
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

pub async fn verify(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if cross_site(&req) {
        return AppError::Csrf.into_response();
    }
    let expected = req
        .extensions()
        .get::<MaybeSession>()
        .and_then(|s| s.0.as_ref())
        .map(|s| s.csrf_token.clone());
    let Some(expected) = expected else {
        return AppError::Csrf.into_response();
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (parts, body) = req.into_parts();
    let limit = if content_type.starts_with("multipart/form-data") {
        UPLOAD_LIMIT
    } else {
        FORM_LIMIT
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return AppError::TooLarge.into_response(),
    };
    let presented = if content_type.starts_with("application/x-www-form-urlencoded") {
        // PostgreSQL text cannot hold NUL, and no person types one: refuse such forms
        // here instead of letting them fail deep inside a query.
        if has_nul(&bytes) {
            return AppError::BadRequest.into_response();
        }
        token_from_urlencoded(&bytes)
    } else if content_type.starts_with("multipart/form-data") {
        token_from_multipart(&content_type, bytes.clone()).await
    } else {
        None
    };
    match presented {
        Some(t) if bool::from(t.as_bytes().ct_eq(expected.as_bytes())) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::Csrf.into_response(),
    }
}

/// A browser tells us where a request came from; a cross-site POST is never legitimate.
fn cross_site(req: &Request) -> bool {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if site == "cross-site" {
            return true;
        }
    }
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        if origin != "null" && origin_host != host {
            return true;
        }
    }
    false
}

fn has_nul(bytes: &Bytes) -> bool {
    match serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes) {
        Ok(pairs) => pairs
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0')),
        Err(_) => true,
    }
}

fn token_from_urlencoded(bytes: &Bytes) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

async fn token_from_multipart(content_type: &str, bytes: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let body = stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(body, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_token_among_fields() {
        let b = Bytes::from_static(b"a=1&csrf_token=abc%2Bd&b=2");
        assert_eq!(token_from_urlencoded(&b).as_deref(), Some("abc+d"));
        assert_eq!(token_from_urlencoded(&Bytes::from_static(b"a=1")), None);
    }

    #[tokio::test]
    async fn finds_token_in_multipart() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--XX--\r\n";
        let t = token_from_multipart("multipart/form-data; boundary=XX", Bytes::from(body)).await;
        assert_eq!(t.as_deref(), Some("tok"));
    }
}
