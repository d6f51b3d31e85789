//! Interim replies to appeals (foreløpig svar, fvl. § 11a): an appeal the municipality has
//! not finished within a month of receiving it gets a letter saying why and when it will
//! be done; when that date passes with the appeal still with us, a new reply is due. Each
//! reply is archived as sent and journaled on the case.

use askama::Template;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Months, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use super::appeals::{appeal_path, finish, load, refuse};
use super::commands;
use super::forms::{field, Fields};
use super::late_appeals::point_lines;
use super::letter::{recipient_lines, recipient_summary, sender_lines};
use super::repo::{self, Appeal};
use crate::applications::repo as apps;
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::{self, verbatim_lines};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{version, Id};
use crate::web::format;

/// An interim reply as sent.
pub use super::repo::InterimReply as Reply;

impl Reply {
    pub fn sent(&self) -> String {
        format::date(self.sent_on)
    }
    /// "svar lovet innen 15.01.2027" or "ingen dato for svar oppgitt".
    pub fn promise(&self) -> String {
        match self.expected_on {
            Some(d) => format!("svar lovet innen {}", format::date(d)),
            None => "ingen dato for svar oppgitt".into(),
        }
    }
}

/// The appeal is still with the municipality — not decided or dismissed, and not yet
/// forwarded for every appealed point (`unforwarded`: some appeal body has not had it) —
/// so the municipality owes the party word of it.
pub fn with_us(a: &Appeal, unforwarded: bool) -> bool {
    match a.status.as_str() {
        "registered" | "reversing" => true,
        "forwarded" => unforwarded,
        _ => false,
    }
}

/// Where the appeal stands under § 11a.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// Nothing owed: the appeal is no longer with us, or the last reply's date holds.
    No,
    /// A first reply is due by this date (a month after the appeal was received).
    First(NaiveDate),
    /// The last reply promised an answer by this date, which has passed.
    Again(NaiveDate),
}

pub fn due(a: &Appeal, unforwarded: bool, replies: &[Reply], today: NaiveDate) -> Due {
    if !with_us(a, unforwarded) {
        return Due::No;
    }
    match replies.last() {
        None => Due::First(
            a.received_on
                .checked_add_months(Months::new(1))
                .unwrap_or(a.received_on),
        ),
        Some(r) => match r.expected_on {
            Some(e) if e < today => Due::Again(e),
            _ => Due::No,
        },
    }
}

impl Due {
    /// The sentence shown on the appeal page, or empty.
    pub fn describe(&self, today: NaiveDate) -> String {
        match self {
            Due::No => String::new(),
            Due::First(by) if *by < today => format!(
                "Klagen kom for over en måned siden og er ikke avgjort: foreløpig svar skulle vært sendt innen {}.",
                format::date(*by)
            ),
            Due::First(by) => format!(
                "Er klagen ikke avgjort innen {}, skal parten få foreløpig svar.",
                format::date(*by)
            ),
            Due::Again(promised) => format!(
                "Vi lovet svar innen {}, og klagen er ikke avgjort: et nytt foreløpig svar skal sendes.",
                format::date(*promised)
            ),
        }
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        match self {
            Due::No => false,
            Due::First(by) => *by < today,
            Due::Again(_) => true,
        }
    }
}

/// What an interim reply says, and who sends it when.
pub struct NewReply<'a> {
    pub reason: &'a str,
    pub expected: Option<NaiveDate>,
    pub today: NaiveDate,
    pub by: Uuid,
    pub author: &'a str,
}

/// Writes the reply letter, archives it, records the promise and journals it on the case,
/// in the caller's transaction (shared by the handler and the demo data). Returns the
/// archived letter's id.
pub(crate) async fn send_reply(
    conn: &mut PgConnection,
    a: &Appeal,
    reply: &NewReply<'_>,
) -> AppResult<Uuid> {
    let m = a.municipality_id;
    let id = a.id;
    let d = repo::decision(&mut *conn, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut *conn, m, a.decision_id).await?;
    let app = apps::application(&mut *conn, &[m], a.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(&mut *conn, m).await?;
    let earlier = repo::interim_replies(&mut *conn, m, id).await?.len();
    let body = AppealInterimText {
        letterhead: head.letterhead_name.clone(),
        address_lines: sender_lines(&head),
        phone: head.phone.clone(),
        date: format::date(reply.today),
        case_number: app.case_number.clone(),
        author: reply.author.to_string(),
        recipient: app.applicant_name.clone(),
        recipient_address: recipient_lines(&app),
        earlier,
        received: format::date(a.received_on),
        decided: d.decided_on.map(format::date).unwrap_or_default(),
        points: point_lines(&points, &a.point_ids),
        reason_lines: verbatim_lines(reply.reason),
        expected: reply.expected.map(format::date).unwrap_or_default(),
    }
    .render()?;
    let recipient = recipient_summary(&app);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let letter = archive::archive(
        &mut *conn,
        m,
        Outgoing {
            kind: Kind::InterimReply,
            application_id: Some(a.application_id),
            entity_type: "appeal",
            entity_id: id,
            title: "Foreløpig svar på klagen",
            recipient: &recipient,
            channel: "letter",
            sent_on: reply.today,
            sent_by: reply.by,
            author: &head.letterhead_name,
            footer: &footer,
            blocks: letters::parse(&body),
            texts: Vec::new(),
        },
    )
    .await?;
    repo::insert_interim_reply(
        &mut *conn,
        m,
        &repo::NewInterimReply {
            appeal_id: id,
            sent_on: reply.today,
            expected_on: reply.expected,
            reason: reply.reason,
            letter_id: letter,
            sent_by: reply.by,
        },
    )
    .await?;
    apps::record_event(
        &mut *conn,
        m,
        a.application_id,
        Some(reply.by),
        "appeal",
        "Foreløpig svar på klagen sendt",
        &match reply.expected {
            Some(e) => format!("Svar lovet innen {}", format::date(e)),
            None => String::new(),
        },
        Some(&appeal_path(id)),
    )
    .await?;
    Ok(letter)
}

#[derive(Template)]
#[template(path = "letters/appeal_interim.txt", escape = "none")]
struct AppealInterimText {
    letterhead: String,
    address_lines: Vec<String>,
    phone: String,
    date: String,
    case_number: String,
    author: String,
    recipient: String,
    recipient_address: Vec<String>,
    earlier: usize,
    received: String,
    decided: String,
    points: Vec<String>,
    reason_lines: Vec<String>,
    expected: String,
}

/// `POST /klager/{id}/forelopig-svar`: writes, archives and records an interim reply. The
/// form is checked before the appeal is looked up.
pub async fn send(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let input = match commands::appeals::parse_interim(
        version(field(&f, "version")),
        field(&f, "interim_reason"),
        field(&f, "interim_expected_on"),
        ctx.today(),
    ) {
        Ok(input) => input,
        Err(e) => return refuse(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let (mut tx, a) = load(&ctx, id).await?;
    let outcome = commands::appeals::interim_reply(&mut tx, ctx.actor(), &a, input).await;
    finish(&ctx, id, f, tx, outcome, |()| {
        format!("{}?melding=forelopig#forelopig-svar", appeal_path(id))
    })
    .await
}
