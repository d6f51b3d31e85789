//! Server-side sessions in PostgreSQL.
//!
//! Hand-written rather than tower-sessions: we need (a) the session and its user loaded in
//! one round trip on every request (the page budget is 2 ms over the page's own SQL), (b)
//! no write on every request (last-seen is refreshed at most once a minute), (c) ending all
//! of a user's sessions at once on deactivation, (d) the CSRF token and the current
//! municipality stored with the session. The cookie holds 256 random bits; the table holds
//! only their SHA-256, so a copy of the table cannot be replayed as cookies.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::repo;
use super::roles::{CurrentUser, Grant, MunicipalityRef, OfficeRef, Role};
use crate::web::error::AppError;
use crate::AppState;

/// The session of this request, if the browser presented a valid one.
#[derive(Clone, Debug)]
pub struct SessionData {
    pub id_hash: Vec<u8>,
    pub csrf_token: String,
    pub user: Option<Arc<CurrentUser>>,
    pub current_municipality_id: Option<Uuid>,
}

/// Put into request extensions by [`load_session`]; absent when there is no session.
#[derive(Clone)]
pub struct MaybeSession(pub Option<Arc<SessionData>>);

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
        state.config.session_cookie_name()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        state.config.session_cookie_name()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Creates a session (anonymous when `user` is None) and returns its cookie token.
pub async fn create(
    pool: &PgPool,
    state: &AppState,
    user: Option<(Uuid, i32)>,
) -> Result<(String, String), sqlx::Error> {
    let token = random_token();
    let csrf = random_token();
    let absolute = chrono::Duration::from_std(state.config.session_absolute)
        .unwrap_or(chrono::Duration::hours(10));
    repo::insert_session(pool, &hash_token(&token), user, &csrf, absolute).await?;
    Ok((token, csrf))
}

pub async fn delete(pool: &PgPool, id_hash: &[u8]) -> Result<(), sqlx::Error> {
    repo::delete_session(pool, id_hash).await
}

pub async fn delete_expired(pool: &PgPool, idle: std::time::Duration) -> Result<u64, sqlx::Error> {
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::minutes(30));
    repo::delete_expired_sessions(pool, idle).await
}

pub async fn set_current_municipality(
    pool: &PgPool,
    id_hash: &[u8],
    municipality: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    repo::set_current_municipality(pool, id_hash, municipality).await
}

/// Loads the session, its user and the user's grants. Expired sessions and sessions of
/// deactivated users (or from before the user's last password reset) count as none.
pub async fn load(state: &AppState, token: &str) -> Result<Option<SessionData>, sqlx::Error> {
    let id_hash = hash_token(token);
    let idle = chrono::Duration::from_std(state.config.session_idle)
        .unwrap_or(chrono::Duration::minutes(30));
    let row = repo::session(&state.pool, &id_hash, idle).await?;
    let Some(row) = row else { return Ok(None) };
    if row.user_id.is_some() && row.user_valid != Some(true) {
        delete(&state.pool, &id_hash).await?;
        return Ok(None);
    }
    if row.stale_seen {
        repo::touch_session(&state.pool, &id_hash).await?;
    }
    let user = match row.user_id {
        Some(user_id) => {
            let grants = row.grants.0;
            let mut office_admin_of: Vec<OfficeRef> = Vec::new();
            for g in &grants {
                if let (Role::OfficeAdmin, Some(id), Some(name)) =
                    (g.role, g.office_id, &g.office_name)
                {
                    if !office_admin_of.iter().any(|o| o.id == id) {
                        office_admin_of.push(OfficeRef {
                            id,
                            name: name.clone(),
                        });
                    }
                }
            }
            Some(Arc::new(CurrentUser {
                id: user_id,
                username: row.username.unwrap_or_default(),
                display_name: row.display_name.unwrap_or_default(),
                must_change_password: row.must_change_password.unwrap_or(false),
                grants: grants
                    .into_iter()
                    .map(|g| Grant {
                        municipality: MunicipalityRef {
                            id: g.municipality_id,
                            number: g.number,
                            name: g.name,
                        },
                        role: g.role,
                        via_office: g.office_id,
                    })
                    .collect(),
                office_admin_of,
            }))
        }
        None => None,
    };
    Ok(Some(SessionData {
        id_hash,
        csrf_token: row.csrf_token,
        user,
        current_municipality_id: row.current_municipality_id,
    }))
}

/// Middleware: resolves the session cookie once per request.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = read_cookie(req.headers(), state.config.session_cookie_name()).map(str::to_owned);
    let session = match token {
        Some(t) if t.len() <= 100 => match load(&state, &t).await {
            Ok(s) => s.map(Arc::new),
            Err(e) => return axum::response::IntoResponse::into_response(AppError::from(e)),
        },
        _ => None,
    };
    req.extensions_mut().insert(MaybeSession(session));
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<MaybeSession>()
            .cloned()
            .unwrap_or(MaybeSession(None)))
    }
}
