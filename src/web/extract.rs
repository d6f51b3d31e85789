//! Extractors shared by every context.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::web::error::AppError;

/// A record id from the path. A malformed id is a 404, like an unknown one: ids are not
/// guessable and a wrong one names nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        parse_id(&raw).map(Id)
    }
}

/// Two record ids from the path (`/moter/{id}/punkt/{item}`), each a 404 when malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        Ok(Ids(parse_id(&a)?, parse_id(&b)?))
    }
}

/// An id typed into a form field or a query string: 404 when malformed.
pub fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)
}

/// A version number from a hidden form field; a tampered one matches no version, so the
/// edit is refused as stale instead of overwriting.
pub fn version(raw: &str) -> i32 {
    raw.trim().parse().unwrap_or(-1)
}
