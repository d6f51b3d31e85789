//! The public application form at `/soknad/<kommunenummer>`: no login, plain language,
//! accessible. It creates a received application and shows a receipt.
//!
//! Abuse resistance: a honeypot field (filled in → pretend success, save nothing), a
//! limit of submissions per address and hour (in the global `login_throttle` table, key
//! `soknad:<address>`), and length limits on every field. It never tells whether a person
//! is already known: an identity number that exists is linked silently on the staff side,
//! and the known person's record is not changed by what an anonymous visitor typed.
//!
//! Login seam: a real deployment puts this form behind ID-porten. [`verified_person`] is
//! where the identity from ID-porten enters; when it returns a person, the applicant's
//! identity number and name come from it instead of from the form.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::commands;
use super::model::{self, ApplicationForm, PersonForm};
pub use super::repo::PublicMunicipality;
use super::repo::{self, Letterhead};
use super::views::{self, Choice};
use crate::audit::{self, Event};
use crate::auth::session::{MaybeSession, SessionData};
use crate::db;
use crate::web::ctx::RequestMeta;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::{render, render_status};
use crate::AppState;

/// Submissions allowed per address and hour.
pub const SUBMISSIONS_PER_HOUR: i32 = 5;
/// The honeypot: a field people never see or fill in.
pub const HONEYPOT: &str = "nettside";

/// A person whose identity was verified by a login service (ID-porten).
#[derive(Clone, Debug)]
pub struct VerifiedPerson {
    pub national_id: model::NationalId,
    pub name: String,
}

/// The verified identity of the visitor. Always None until ID-porten is connected: the
/// OpenID Connect callback stores the verified `pid` claim in the session, and this reads it.
pub fn verified_person(_session: &SessionData) -> Option<VerifiedPerson> {
    None
}

async fn municipality(state: &AppState, number: &str) -> AppResult<PublicMunicipality> {
    if number.len() != 4 || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    let mut tx = db::scoped_tx(&state.pool, &[]).await?;
    let m = repo::public_municipality(&mut tx, number).await?;
    tx.commit().await?;
    m.ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "applications/public_form.html")]
pub struct PublicPage {
    pub csrf: String,
    pub m: PublicMunicipality,
    pub form: ApplicationForm,
    pub errors: FormErrors,
    pub areas: Vec<Choice>,
    pub verified: Option<String>,
    pub v: views::Vocab,
}

async fn areas(state: &AppState, m: Uuid) -> AppResult<Vec<Choice>> {
    let mut tx = db::scoped_tx(&state.pool, &[m]).await?;
    let a = repo::areas(&mut tx, m).await?;
    tx.commit().await?;
    Ok(a.into_iter()
        .map(|a| Choice::new(a.id.to_string(), a.name))
        .collect())
}

pub async fn form_page(
    State(state): State<AppState>,
    MaybeSession(existing): MaybeSession,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let m = municipality(&state, &number).await?;
    // A visitor gets no session row, only the stateless pre-session token.
    let (csrf, cookie) = form_token(&state, existing.as_deref(), &headers);
    let verified = existing
        .as_deref()
        .and_then(verified_person)
        .map(|p| p.name);
    let page = PublicPage {
        csrf,
        areas: areas(&state, m.id).await?,
        m,
        form: ApplicationForm {
            members: vec![PersonForm::default(); model::MEMBER_ROWS],
            ..Default::default()
        },
        errors: FormErrors::new(),
        verified,
        v: views::Vocab,
    };
    let mut res = render(&page)?;
    if let Some(c) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Counts a submission from `address`; the count within the current hour.
async fn count_submission(state: &AppState, address: &str) -> AppResult<i32> {
    let mut tx = db::scoped_tx(&state.pool, &[]).await?;
    let n = repo::count_public_submission(&mut tx, address).await?;
    tx.commit().await?;
    Ok(n)
}

#[derive(Template)]
#[template(path = "applications/public_limit.html")]
pub struct LimitPage {
    pub m: PublicMunicipality,
    pub letterhead: Letterhead,
}

/// The form's CSRF token: the session's when the visitor has one, else the pre-session
/// token (with the cookie to set when the browser has no nonce yet).
fn form_token(
    state: &AppState,
    session: Option<&SessionData>,
    headers: &HeaderMap,
) -> (String, Option<header::HeaderValue>) {
    match session {
        Some(s) => (crate::web::csrf::mask(&s.csrf_token), None),
        None => crate::auth::pre_session::for_form(state, headers),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    MaybeSession(existing): MaybeSession,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    // The CSRF layer has checked the session's token or the pre-session one.
    let m = municipality(&state, &number).await?;
    let receipt = format!("/soknad/{}/kvittering", m.number);
    let address = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let honeypot = pairs
        .iter()
        .any(|(k, v)| k == HONEYPOT && !v.trim().is_empty());
    let mut form = ApplicationForm::from_pairs(&pairs);
    let verified = existing.as_deref().and_then(verified_person);
    if let Some(p) = &verified {
        form.applicant.national_id = p.national_id.as_str().to_owned();
        form.applicant.name = p.name.clone();
    }
    let area_choices = areas(&state, m.id).await?;
    let area_ids: Vec<Uuid> = area_choices
        .iter()
        .filter_map(|a| Uuid::parse_str(&a.value).ok())
        .collect();
    let parsed = if honeypot {
        None
    } else {
        match form.parse(state.clock().today(), &[], &area_ids, true) {
            Ok(i) => Some(i),
            Err(errors) => {
                let page = PublicPage {
                    csrf: form_token(&state, existing.as_deref(), &headers).0,
                    m,
                    form,
                    errors,
                    areas: area_choices,
                    verified: verified.map(|p| p.name),
                    v: views::Vocab,
                };
                return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        }
    };
    if count_submission(&state, &address).await? > SUBMISSIONS_PER_HOUR {
        let mut tx = db::scoped_tx(&state.pool, &[m.id]).await?;
        let letterhead = repo::letterhead(&mut tx, m.id).await?;
        audit::record_as(
            &mut tx,
            None,
            &meta,
            Event::new("application.public_rate_limited").municipality(m.id),
        )
        .await?;
        tx.commit().await?;
        return render_status(StatusCode::TOO_MANY_REQUESTS, &LimitPage { m, letterhead });
    }
    let Some(input) = parsed else {
        // A robot filled in the hidden field: it sees the usual receipt, nothing is saved.
        return Ok(Redirect::to(&receipt).into_response());
    };
    let mut tx = db::scoped_tx(&state.pool, &[m.id]).await?;
    let outcome = commands::submit_publicly(&mut tx, &meta, m.id, &input, verified.is_some()).await;
    let case_number = db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to(&format!(
        "{receipt}?saksnummer={}",
        crate::web::error::urlencode(&case_number)
    ))
    .into_response())
}

/// The public submission refuses nothing the form could show (it was checked before):
/// any refusal is a fault.
fn refused(refusal: crate::web::refusal::Refusal) -> AppError {
    match refusal.shown() {
        Ok(_) => AppError::Internal(anyhow::anyhow!("public submission refused")),
        Err(e) => e,
    }
}

#[derive(Template)]
#[template(path = "applications/public_receipt.html")]
pub struct ReceiptPage {
    pub m: PublicMunicipality,
    pub case_number: Option<String>,
    pub letterhead: Letterhead,
    pub received: String,
}

#[derive(Deserialize, Default)]
pub struct ReceiptQuery {
    #[serde(default)]
    saksnummer: String,
}

pub async fn receipt(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let m = municipality(&state, &number).await?;
    let valid = q.saksnummer.len() <= 12
        && q.saksnummer.split_once('/').is_some_and(|(y, n)| {
            y.len() == 4 && !n.is_empty() && y.chars().chain(n.chars()).all(|c| c.is_ascii_digit())
        });
    let mut tx = db::scoped_tx(&state.pool, &[m.id]).await?;
    let letterhead = repo::letterhead(&mut tx, m.id).await?;
    tx.commit().await?;
    render(&ReceiptPage {
        m,
        case_number: valid.then(|| q.saksnummer.clone()),
        letterhead,
        received: crate::web::format::date(state.clock().today()),
    })
}
