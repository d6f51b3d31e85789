//! The letter archive: a letter is stored exactly as sent (blocks, plain text, PDF bytes
//! and their SHA-256) in the transaction that sends it, so there is never a sent letter
//! without its archived copy, and pages show the stored letter from then on.

use askama::Template;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Block;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::{format, render};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Decision,
    InterimReply,
    Offer,
    AdvanceNotice,
    /// Dismissal of a late appeal (avvisning, fvl. § 31): an enkeltvedtak of its own.
    Dismissal,
    /// Forwarding an appeal to its appeal body (oversendelsesbrev), copy to the party.
    Forwarding,
    /// Husleieloven § 11-1: the written notice, before signing, that the dwelling is let
    /// on a shorter term and gives fewer rights.
    ShortTermNotice,
    /// The lease as signed, with the house rules.
    LeaseContract,
    /// Forvaltningsloven § 16 before the landlord's notice.
    LeaseAdvanceNotice,
    /// Notice of termination (husleieloven §§ 9-6, 9-7).
    LeaseNotice,
    /// Husleieloven § 9-2 third paragraph: the written demand to move.
    DemandToMove,
    /// Husleieloven § 4-2: notice of the CPI adjustment.
    RentAdjustment,
    /// The arrears ladder (`rent::arrears`): reminder, notice to NAV (husleieloven § 9-11,
    /// copy to the tenant), payment plan, warning (tvangsfullbyrdelsesloven § 4-18),
    /// request to the enforcement officer.
    ArrearsReminder,
    ArrearsNavNotice,
    ArrearsPaymentPlan,
    ArrearsWarning,
    ArrearsEnforcementRequest,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Decision => "decision",
            Kind::InterimReply => "interim_reply",
            Kind::Offer => "offer",
            Kind::AdvanceNotice => "advance_notice",
            Kind::Dismissal => "dismissal",
            Kind::Forwarding => "forwarding",
            Kind::ShortTermNotice => "short_term_notice",
            Kind::LeaseContract => "lease_contract",
            Kind::LeaseAdvanceNotice => "lease_advance_notice",
            Kind::LeaseNotice => "lease_notice",
            Kind::DemandToMove => "demand_to_move",
            Kind::RentAdjustment => "rent_adjustment",
            Kind::ArrearsReminder => "arrears_reminder",
            Kind::ArrearsNavNotice => "arrears_nav_notice",
            Kind::ArrearsPaymentPlan => "arrears_payment_plan",
            Kind::ArrearsWarning => "arrears_warning",
            Kind::ArrearsEnforcementRequest => "arrears_enforcement_request",
        }
    }
}

/// A letter about to be sent.
pub struct Outgoing<'a> {
    pub kind: Kind,
    /// The case; None for a lease letter of a tenancy from before Bosak.
    pub application_id: Option<Uuid>,
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub title: &'a str,
    pub recipient: &'a str,
    pub channel: &'a str,
    pub sent_on: NaiveDate,
    pub sent_by: Uuid,
    pub author: &'a str,
    pub footer: &'a str,
    pub blocks: Vec<Block>,
    /// The versions of the mandatory texts the letter printed (`letters::mandatory`).
    pub texts: Vec<Uuid>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Typesets the letter and stores it in the caller's transaction (the one that sends it).
pub async fn archive(
    conn: &mut PgConnection,
    municipality: Uuid,
    letter: Outgoing<'_>,
) -> AppResult<Uuid> {
    let (title, author, footer, blocks) = (
        letter.title.to_string(),
        letter.author.to_string(),
        letter.footer.to_string(),
        letter.blocks.clone(),
    );
    // CPU work off the async threads; the transaction stays open so the letter and the
    // act of sending it commit together.
    let pdf =
        tokio::task::spawn_blocking(move || super::pdf::render(&title, &author, &footer, &blocks))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
    let id = Uuid::now_v7();
    super::repo::insert_sent_letter(&mut *conn, municipality, id, &letter, &pdf).await?;
    super::mandatory::record_on_letter(conn, municipality, id, &letter.texts).await?;
    Ok(id)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Summary {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub recipient: String,
    pub channel: String,
    pub sent_on: NaiveDate,
    pub sent_at: DateTime<Utc>,
    pub sha256: String,
}

impl Summary {
    pub fn sent(&self) -> String {
        format::date(self.sent_on)
    }
    pub fn channel_label(&self) -> &str {
        match self.channel.as_str() {
            "digital" => "Digitalt",
            "post" => "Post",
            "in_person" => "Levert personlig",
            "letter" => "Brev",
            other => other,
        }
    }
    pub fn short_hash(&self) -> &str {
        &self.sha256[..12.min(self.sha256.len())]
    }
}

pub use super::repo::{latest_for, of_application};

#[derive(sqlx::FromRow)]
pub struct Stored {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub application_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub title: String,
    pub sent_on: NaiveDate,
    pub blocks: Json<Vec<Block>>,
    pub pdf: Vec<u8>,
    pub sha256: String,
}

/// Reads a stored letter (audited: it names the party), with the mandatory text versions
/// it printed.
pub async fn read(ctx: &Ctx, id: Uuid) -> AppResult<(Stored, Vec<super::mandatory::Version>)> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let letter = super::repo::stored(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("letter.viewed")
            .municipality(letter.municipality_id)
            .entity("sent_letter", id)
            .details(serde_json::json!({ "application": letter.application_id })),
    )
    .await?;
    let texts = super::mandatory::of_letter(&mut tx, letter.municipality_id, id).await?;
    tx.commit().await?;
    Ok((letter, texts))
}

#[derive(Template)]
#[template(path = "letters/sent.html")]
pub struct SentPage {
    pub letter: Stored,
    pub texts: Vec<super::mandatory::Version>,
}

impl SentPage {
    pub fn sent(&self) -> String {
        format::date(self.letter.sent_on)
    }

    /// The record the letter belongs to: its case, or the lease of a tenancy with none.
    pub fn back(&self) -> (String, &'static str) {
        match (self.letter.application_id, self.letter.entity_type.as_str()) {
            (_, "lease") => (
                format!("/leiekontrakter/{}", self.letter.entity_id),
                "Tilbake til leiekontrakten",
            ),
            (Some(a), _) => (format!("/soknader/{a}#brev-sendt"), "Tilbake til saken"),
            (None, _) => ("/".into(), "Til forsiden"),
        }
    }
}

/// `/brev/{id}` (the page) and `/brev/{id}.pdf` (the PDF as sent).
pub async fn show(ctx: Ctx, Path(raw): Path<String>) -> AppResult<Response> {
    let (raw, want_pdf) = match raw.strip_suffix(".pdf") {
        Some(id) => (id, true),
        None => (raw.as_str(), false),
    };
    let id = crate::web::extract::parse_id(raw)?;
    let (letter, texts) = read(&ctx, id).await?;
    if want_pdf {
        return Ok(pdf_response(letter));
    }
    render(&SentPage { letter, texts })
}

pub fn pdf_response(letter: Stored) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"brev-{}.pdf\"", letter.id),
            ),
        ],
        letter.pdf,
    )
        .into_response()
}

pub fn routes() -> axum::Router<crate::AppState> {
    axum::Router::new().route("/brev/{id}", axum::routing::get(show))
}
