//! Late appeals (forvaltningsloven § 31): an appeal that came too late for at least one of
//! its points is assessed before anything else is done with it. It is either taken up
//! (behandles likevel) — only with the special reasons written down — or dismissed
//! (avvist). A dismissal is an enkeltvedtak of its own: it gets a letter with its grounds
//! and appeal information and its own appeal deadline, archived as sent.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use super::appeals::{appeal_path, appeal_tx, conflict, refuse, timeliness_per_point, worst};
use super::deadline::{appeal_deadline, default_notification_date, Timeliness};
use super::forms::{self, field, Fields};
use super::handlers::parse_id;
use super::letter::{recipient_lines, recipient_summary, sender_lines};
use super::repo::{self, Appeal, Decision, Point};
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::mandatory::TextKey;
use crate::letters::{self, verbatim_lines};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::{text, FormErrors};

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

pub async fn assess(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, a) = appeal_tx(&ctx, id, true).await?;
    let m = a.municipality_id;
    let d = repo::decision(&mut tx, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut tx, m, a.decision_id).await?;
    let per_point = timeliness_per_point(&d, &points, &a.point_ids, a.received_on, a.posted_on);
    let t = worst(per_point.iter().map(|(_, _, t)| *t));
    if a.status != "registered" || late_state(&d, &points, &a) != LateState::Pending {
        // Nothing to assess (in time, or already assessed: a second submit).
        tx.rollback().await?;
        return Ok(Redirect::to(&appeal_path(id)).into_response());
    }
    let today = ctx.today();
    let choice = field(&f, "late_decision").to_owned();
    // A dismissal is sent: its dispatch fields are checked like a decision's.
    let (mut e, dispatch) = if choice == "dismissed" {
        match forms::parse_dispatch(&f, today) {
            Ok(x) => (FormErrors::new(), Some(x)),
            Err(e) => (e, None),
        }
    } else {
        (FormErrors::new(), None)
    };
    if !matches!(choice.as_str(), "taken_up" | "dismissed") {
        e.add(
            "late_decision",
            "Velg om klagen skal behandles likevel eller avvises.",
        );
    }
    let reason = text(
        &mut e,
        "late_reason",
        field(&f, "late_reason"),
        false,
        5000,
        "Særlige grunner",
    );
    let interest = text(
        &mut e,
        "late_interest",
        field(&f, "late_interest"),
        false,
        5000,
        "Partens interesse",
    );
    let assessment = text(
        &mut e,
        "late_assessment",
        field(&f, "late_assessment"),
        false,
        10000,
        "Vurderingen",
    );
    if choice == "taken_up" {
        if reason.is_empty() {
            e.add("late_reason", "Skriv de særlige grunnene til at klagen behandles selv om den kom for sent (forvaltningsloven § 31 første ledd). Uten dem kan en for sen klage ikke tas under behandling.");
        }
        if t == Timeliness::BeyondOneYear {
            e.add("late_decision", "Klagen kom mer enn ett år etter vedtaket og kan aldri tas under behandling (forvaltningsloven § 31 tredje ledd).");
        }
    }
    if choice == "dismissed" && assessment.is_empty() {
        e.add("late_assessment", "Skriv vurderingen: hvorfor det ikke er særlige grunner til å behandle klagen. Den er begrunnelsen i avvisningsvedtaket.");
    }
    if !e.is_empty() {
        tx.rollback().await?;
        return refuse(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !repo::bump_appeal(&mut tx, m, id, field(&f, "version").parse().unwrap_or(0)).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, f, conflict(), StatusCode::CONFLICT).await;
    }
    let l = repo::LateAssessment {
        on: today,
        by: ctx.user.id,
        reason: &reason,
        interest: &interest,
        assessment: &assessment,
    };
    let Some(dispatch) = dispatch else {
        repo::appeal_taken_up(&mut tx, m, id, &l).await?;
        apps::record_event(
            &mut tx,
            m,
            a.application_id,
            Some(ctx.user.id),
            "appeal",
            "Klagen kom for sent, men behandles likevel (forvaltningsloven § 31)",
            &reason,
            Some(&appeal_path(id)),
        )
        .await?;
        audit::record(
            &mut tx,
            &ctx,
            Event::new("appeal.late_taken_up")
                .municipality(m)
                .entity("appeal", id),
        )
        .await?;
        tx.commit().await?;
        return Ok(Redirect::to(&format!("{}?melding=behandles", appeal_path(id))).into_response());
    };
    let (letter, deadline) = dismiss(
        &mut tx,
        &a,
        &d,
        &points,
        &l,
        &dispatch,
        &ctx.user.display_name,
    )
    .await?;
    apps::record_event(
        &mut tx,
        m,
        a.application_id,
        Some(ctx.user.id),
        "appeal",
        "Klagen avvist fordi den kom for sent (forvaltningsloven § 31)",
        &format!("Klagefrist for avvisningen {}", format::date(deadline)),
        Some(&format!("/brev/{letter}")),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("appeal.dismissed")
            .municipality(m)
            .entity("appeal", id)
            .details(serde_json::json!({ "letter": letter, "deadline": deadline })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=avvist", appeal_path(id))).into_response())
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
            application_id: d.application_id,
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
