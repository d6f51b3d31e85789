//! CSRF protection: a synchronizer token per session in every form (before a session
//! exists, a stateless token bound to a nonce cookie: `auth::pre_session`), checked here
//! for every state-changing request before any handler runs, plus an Origin /
//! Sec-Fetch-Site check as a second layer. Hand-written because the token lives in our own session row; the
//! crates we looked at use double-submit cookies, which are weaker with subdomains.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use subtle::ConstantTimeEq;

use crate::auth::session::MaybeSession;
use crate::web::error::AppError;
use crate::web::forms::acceptable_text;
use crate::AppState;

pub const FIELD: &str = "csrf_token";
/// Largest urlencoded form we accept; multipart bodies are bounded by the upload limit.
const FORM_LIMIT: usize = 1024 * 1024;
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

pub async fn verify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if cross_site(&req) {
        return AppError::Csrf.into_response();
    }
    let session = req
        .extensions()
        .get::<MaybeSession>()
        .and_then(|s| s.0.clone());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Uploads (case documents, dwelling imports) are for staff who work on cases: anyone
    // else is refused before up to 25 MiB is read into memory.
    let staff = session
        .as_ref()
        .and_then(|s| s.user.as_ref())
        .is_some_and(|u| u.has_any_role_anywhere(crate::auth::policy::CASE_READERS));
    if content_type.starts_with("multipart/form-data") && !staff {
        return AppError::Forbidden.into_response();
    }
    // With a session its token; without one (login, the public form) the stateless
    // pre-session token bound to the browser's nonce cookie (`auth::pre_session`).
    let expected = match &session {
        Some(s) => s.csrf_token.clone(),
        None => match crate::auth::pre_session::expected(&state, req.headers()) {
            Some(t) => t,
            None => return AppError::Csrf.into_response(),
        },
    };
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
    // Every text field must pass the one input rule (`forms::acceptable_text`) before any
    // handler sees it: refused here instead of failing deep inside a query.
    let fields = if content_type.starts_with("application/x-www-form-urlencoded") {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            Ok(pairs) => pairs,
            Err(_) => return AppError::BadRequest.into_response(),
        }
    } else if content_type.starts_with("multipart/form-data") {
        multipart_text_fields(&content_type, bytes.clone()).await
    } else {
        Vec::new()
    };
    if !all_acceptable(&fields) {
        return AppError::BadRequest.into_response();
    }
    let presented = fields.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v);
    match presented {
        Some(t) if matches(&t, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::Csrf.into_response(),
    }
}

/// The session's token as a form carries it: XOR-masked with a fresh random pad on every
/// response (`pad ‖ pad ⊕ token`), so no two pages carry the same bytes and compressing a
/// page together with reflected query text cannot reveal the token (BREACH).
pub fn mask(token: &str) -> String {
    use base64::Engine;
    use rand::RngCore;
    let token = token.as_bytes();
    let mut pad = vec![0u8; token.len()];
    rand::rngs::OsRng.fill_bytes(&mut pad);
    let mut out = pad.clone();
    out.extend(pad.iter().zip(token).map(|(p, t)| p ^ t));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// A presented masked token unmasks to the session's token (compared in constant time).
fn matches(presented: &str, expected: &str) -> bool {
    use base64::Engine;
    let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(presented.trim()) else {
        return false;
    };
    if raw.len() != 2 * expected.len() || expected.is_empty() {
        return false;
    }
    let (pad, masked) = raw.split_at(expected.len());
    let token: Vec<u8> = pad.iter().zip(masked).map(|(p, m)| p ^ m).collect();
    bool::from(token.as_slice().ct_eq(expected.as_bytes()))
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

fn all_acceptable(fields: &[(String, String)]) -> bool {
    fields
        .iter()
        .all(|(k, v)| acceptable_text(k) && acceptable_text(v))
}

/// The text fields of a multipart body (names and values; for file fields the name and
/// file name, not the content), as far as the body can be read.
async fn multipart_text_fields(content_type: &str, bytes: Bytes) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return out;
    };
    let body = stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(body, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        if let Some(file_name) = field.file_name() {
            out.push((name, file_name.to_owned()));
            continue;
        }
        // Not UTF-8: the handler refuses it when it reads the field.
        if let Ok(value) = field.text().await {
            out.push((name, value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_multipart_text_fields_but_not_file_contents() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhel\0lo\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--XX--\r\n";
        let fields =
            multipart_text_fields("multipart/form-data; boundary=XX", Bytes::from(body)).await;
        assert_eq!(
            fields,
            vec![
                ("file".to_string(), "a.txt".to_string()),
                ("csrf_token".to_string(), "tok".to_string())
            ]
        );
        assert!(all_acceptable(&fields), "file contents are not text fields");
        let nul =
            "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA\0B\r\n--XX--\r\n";
        let fields =
            multipart_text_fields("multipart/form-data; boundary=XX", Bytes::from(nul)).await;
        assert!(!all_acceptable(&fields));
    }

    #[test]
    fn masked_tokens_differ_per_response_and_unmask_to_the_session_token() {
        let token = "c2Vzc2lvbi10b2tlbi1mb3ItdGVzdHMtb25seS0xMjM0NQ";
        let (a, b) = (mask(token), mask(token));
        assert_ne!(a, b, "a fresh pad each time");
        assert!(!a.contains(token));
        assert!(matches(&a, token) && matches(&b, token));
        assert!(!matches(token, token), "the bare token is not accepted");
        let other = "b3RoZXItc2Vzc2lvbi10b2tlbi1zYW1lLWxlbmd0aC0xMjM";
        assert!(!matches(&mask(other), token));
        assert!(!matches("", token) && !matches("%%%", token));
    }
}
