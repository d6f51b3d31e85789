//! Late appeals (forvaltningsloven § 31): an appeal that came too late for at least one of
//! its points is assessed before anything else is done with it. It is either taken up
//! (behandles likevel) — only with the special reasons written down — or dismissed
//! (avvist). A dismissal is an enkeltvedtak of its own: it gets a letter with its grounds
//! and appeal information and its own appeal deadline, archived as sent.

use askama::Template;
use axum::extract::Form;
use axum::response::Response;
use chrono::NaiveDate;

use super::appeals::{appeal_path, finish, load, timeliness_per_point, worst};
use super::commands::{self, appeals::Assessed};
use super::deadline::{appeal_deadline, default_notification_date, Timeliness};
use super::forms::{self, field, Fields};
use super::letter::{recipient_lines, recipient_summary, sender_lines};
use super::repo::{self, Appeal, Decision, Point};
use crate::applications::repo as apps;
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::mandatory::TextKey;
use crate::letters::{self, verbatim_lines};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{version, Id};
use crate::web::format;
use crate::web::forms::FormErrors;

/// Where a late appeal stands in the § 31 assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LateState {
    /// In time for every point: nothing to assess.
    InTime,
    /// Late for at least one point and not yet assessed.
    Pending,
    /// Late, assessed and taken up (behandles likevel).
    TakenUp,
    /// Late, assessed and dismissed (avvist).
    Dismissed,
}

pub fn late_state(d: &Decision, points: &[Point], a: &Appeal) -> LateState {
    match a.late_decision.as_deref() {
        Some("taken_up") => return LateState::TakenUp,
        Some("dismissed") => return LateState::Dismissed,
        _ => {}
    }
    let t = worst(
        timeliness_per_point(d, points, &a.point_ids, a.received_on, a.posted_on)
            .into_iter()
            .map(|(_, _, t)| t),
    );
    match t {
        Timeliness::InTime => LateState::InTime,
        _ => LateState::Pending,
    }
}

/// Whether the appeal may be reconsidered (reversed or forwarded) and decided: refused
/// until a late appeal has been assessed and taken up.
pub fn cleared(state: LateState) -> bool {
    matches!(state, LateState::InTime | LateState::TakenUp)
}

/// The message for a reconsideration attempted before a late appeal was taken up.
pub fn not_cleared(state: LateState) -> FormErrors {
    let mut e = FormErrors::new();
    e.general = Some(match state {
        LateState::Dismissed => {
            "Klagen er avvist fordi den kom for sent. Den kan ikke omgjøres, oversendes eller avgjøres.".into()
        }
        _ => "Klagen kom for sent. Vurder først om den skal behandles likevel (forvaltningsloven § 31) – før det kan vedtaket ikke omgjøres, og klagen kan ikke oversendes eller avgjøres.".into(),
    });
    e
}

/// How long after the decision the appeal came, and how long ago the decision is today
/// (§ 31 third paragraph: never after one year).
pub fn decision_age(d: &Decision, a: &Appeal, today: NaiveDate) -> String {
    let Some(decided) = d.decided_on else {
        return String::new();
    };
    let at_appeal = (a.received_on - decided).num_days();
    let now = (today - decided).num_days();
    let limit = decided
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(decided);
    format!(
        "Vedtaket ble gjort {}. Klagen kom {at_appeal} dager etter vedtaket; i dag er det {now} dager siden vedtaket. Ettårsgrensen i § 31 tredje ledd er {}.",
        format::date(decided),
        format::date(limit)
    )
}

#[derive(Template)]
#[template(path = "letters/dismissal.txt", escape = "none")]
struct DismissalLetterText {
    letterhead: String,
    address_lines: Vec<String>,
    phone: String,
    email: String,
    date: String,
    case_number: String,
    author: String,
    recipient: String,
    recipient_address: Vec<String>,
    representative: String,
    received_on: String,
    decided_on: String,
    points: Vec<String>,
    timeliness: String,
    days_since_decision: i64,
    reason_lines: Vec<String>,
    interest_lines: Vec<String>,
    assessment_lines: Vec<String>,
    deadline: String,
    bodies: String,
    appeal_rights: Vec<String>,
    access_to_documents: Vec<String>,
    costs: Vec<String>,
    legal_aid: Vec<String>,
}

fn lines(t: &str) -> Vec<String> {
    if t.trim().is_empty() {
        Vec::new()
    } else {
        verbatim_lines(t)
    }
}

/// "Punkt 1: Kommunal bolig (klageinstans Kommunens klagenemnd)" for each point appealed.
pub fn point_lines(points: &[Point], appealed: &[uuid::Uuid]) -> Vec<String> {
    points
        .iter()
        .filter(|p| appealed.contains(&p.id))
        .map(|p| {
            format!(
                "Vedtakspunkt {}: {} (klagefrist {}, klageinstans {})",
                p.position,
                p.kind_name,
                p.appeal_deadline.map(format::date).unwrap_or_default(),
                p.appeal_body
            )
        })
        .collect()
}

/// The appeal bodies of the points appealed, without repeats, in point order.
pub fn bodies_of(points: &[Point], appealed: &[uuid::Uuid]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in points.iter().filter(|p| appealed.contains(&p.id)) {
        if !out.contains(&p.appeal_body) {
            out.push(p.appeal_body.clone());
        }
    }
    out
}

/// § 31: takes a late appeal up, or dismisses it (a letter of its own, archived as sent).
pub async fn assess(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, a) = load(&ctx, id).await?;
    let input = commands::appeals::Assess {
        version: version(field(&f, "version")),
        choice: field(&f, "late_decision"),
        reason: field(&f, "late_reason"),
        interest: field(&f, "late_interest"),
        assessment: field(&f, "late_assessment"),
        dispatch: &f,
    };
    let outcome = commands::appeals::assess_late(&mut tx, ctx.actor(), &a, input).await;
    finish(&ctx, id, f, tx, outcome, |assessed| {
        let melding = match assessed {
            Assessed::TakenUp => "behandles",
            Assessed::Dismissed => "avvist",
        };
        format!("{}?melding={melding}", appeal_path(id))
    })
    .await
}

/// Sends the dismissal of a late appeal: its own notification date and appeal deadline
/// (3 weeks, § 29) and its letter, archived, in the caller's transaction. Returns the
/// letter and the deadline.
pub(crate) async fn dismiss(
    conn: &mut sqlx::PgConnection,
    a: &Appeal,
    d: &Decision,
    points: &[Point],
    l: &repo::LateAssessment<'_>,
    dispatch: &forms::DispatchInput,
    author_name: &str,
) -> AppResult<(uuid::Uuid, NaiveDate)> {
    let m = a.municipality_id;
    let id = a.id;
    let per_point = timeliness_per_point(d, points, &a.point_ids, a.received_on, a.posted_on);
    let (reason, interest, assessment) = (l.reason, l.interest, l.assessment);
    let settings = repo::settings(&mut *conn, m).await?;
    let notified_on = dispatch.notified_on.unwrap_or_else(|| {
        default_notification_date(
            dispatch.dispatched_on,
            dispatch.channel,
            settings.notification_post_days.max(0) as u32,
        )
    });
    let deadline = appeal_deadline(notified_on, None, 3);
    let app = apps::application(&mut *conn, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(&mut *conn, m).await?;
    let texts = crate::letters::mandatory::current(&mut *conn, m).await?;
    let sender = head.letterhead_name.as_str();
    let decided = d.decided_on.unwrap_or(a.received_on);
    let body = DismissalLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines: sender_lines(&head),
        phone: head.phone.clone(),
        email: head.email.clone(),
        date: format::date(dispatch.dispatched_on),
        case_number: app.case_number.clone(),
        author: author_name.to_string(),
        recipient: app.applicant_name.clone(),
        recipient_address: recipient_lines(&app),
        representative: d.representative.clone(),
        received_on: format::date(a.received_on),
        decided_on: format::date(decided),
        points: point_lines(points, &a.point_ids),
        timeliness: super::appeals::timeliness_summary(&per_point),
        days_since_decision: (a.received_on - decided).num_days(),
        reason_lines: lines(reason),
        interest_lines: lines(interest),
        assessment_lines: lines(assessment),
        deadline: format::date(deadline),
        bodies: bodies_of(points, &a.point_ids).join(", "),
        appeal_rights: texts.lines(TextKey::AppealRights, sender),
        access_to_documents: texts.lines(TextKey::AccessToDocuments, sender),
        costs: texts.lines(TextKey::Costs, sender),
        legal_aid: texts.lines(TextKey::LegalAid, sender),
    }
    .render()?;
    let recipient = recipient_summary(&app);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let letter = archive::archive(
        &mut *conn,
        m,
        Outgoing {
            kind: Kind::Dismissal,
            application_id: Some(d.application_id),
            entity_type: "appeal",
            entity_id: id,
            title: "Vedtak om avvisning av klage",
            recipient: &recipient,
            channel: dispatch.channel.key(),
            sent_on: dispatch.dispatched_on,
            sent_by: l.by,
            author: &head.letterhead_name,
            footer: &footer,
            blocks: letters::parse(&body),
            texts: texts.ids(&super::letter::MANDATORY),
        },
    )
    .await?;
    repo::appeal_dismissed(
        &mut *conn,
        m,
        id,
        l,
        &repo::Dismissal {
            dispatched_on: dispatch.dispatched_on,
            channel: dispatch.channel.key(),
            notified_on,
            deadline,
            letter,
        },
    )
    .await?;
    Ok((letter, deadline))
}
