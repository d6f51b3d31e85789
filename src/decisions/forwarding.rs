//! Forwarding an upheld appeal to its appeal body (fvl. § 33 fourth paragraph) and that
//! body's outcome, per appeal body: the points of a samlevedtak may go to different bodies
//! (kommunal klagenemnd, Statsforvalteren). Each body gets its own forwarding letter
//! (oversendelsesbrev, copy to the party, archived) and gives its own outcome; the appeal
//! is finished when every body has given its outcome.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use uuid::Uuid;

use super::appeals::{appeal_path, appeal_tx, conflict, refuse, timeliness_per_point};
use super::forms::{self, field, Fields};
use super::handlers::{decision_path, parse_id};
use super::late_appeals::{cleared, late_state, not_cleared, point_lines, LateState};
use super::letter::{recipient_lines, sender_lines};
use super::repo::{self, AppealPoint};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::{self, verbatim_lines};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::{text, FormErrors};

/// The appealed points that go to one appeal body, and where they stand.
#[derive(Clone, Debug)]
pub struct BodyGroup {
    pub body: String,
    pub points: Vec<AppealPoint>,
}

impl BodyGroup {
    pub fn point_ids(&self) -> Vec<Uuid> {
        self.points.iter().map(|p| p.point_id).collect()
    }
    pub fn positions(&self) -> String {
        self.points
            .iter()
            .map(|p| format!("punkt {} ({})", p.position, p.kind_name))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn first(&self) -> Option<&AppealPoint> {
        self.points.first()
    }
    pub fn forwarded_on(&self) -> Option<NaiveDate> {
        self.first().and_then(|p| p.forwarded_on)
    }
    pub fn letter_id(&self) -> Option<Uuid> {
        self.first().and_then(|p| p.forwarding_letter_id)
    }
    pub fn outcome(&self) -> Option<String> {
        self.first().and_then(|p| p.body_outcome.clone())
    }
    pub fn outcome_on(&self) -> Option<NaiveDate> {
        self.first().and_then(|p| p.body_outcome_on)
    }
    pub fn outcome_note(&self) -> String {
        self.first()
            .map(|p| p.body_outcome_note.clone())
            .unwrap_or_default()
    }
    pub fn is_forwarded(&self) -> bool {
        self.forwarded_on().is_some()
    }
    pub fn is_decided(&self) -> bool {
        self.outcome().is_some()
    }
}

/// Groups the appealed points by their appeal body, in point order.
pub fn groups(points: Vec<AppealPoint>) -> Vec<BodyGroup> {
    let mut out: Vec<BodyGroup> = Vec::new();
    for p in points {
        match out.iter_mut().find(|g| g.body == p.appeal_body) {
            Some(g) => g.points.push(p),
            None => out.push(BodyGroup {
                body: p.appeal_body.clone(),
                points: vec![p],
            }),
        }
    }
    out
}

/// The group the form is about: the one named by `body`, or the only one that `pending`
/// accepts when the form names none.
fn chosen(
    groups: &[BodyGroup],
    body: &str,
    pending: impl Fn(&BodyGroup) -> bool,
) -> Option<BodyGroup> {
    if body.is_empty() {
        let open: Vec<&BodyGroup> = groups.iter().filter(|g| pending(g)).collect();
        return match open.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        };
    }
    groups.iter().find(|g| g.body == body).cloned()
}

#[derive(Template)]
#[template(path = "letters/forwarding.txt", escape = "none")]
struct ForwardingLetterText {
    letterhead: String,
    address_lines: Vec<String>,
    date: String,
    case_number: String,
    author: String,
    body: String,
    party: String,
    party_address: Vec<String>,
    representative: String,
    appellant: String,
    received_on: String,
    decided_on: String,
    points: Vec<String>,
    late: bool,
    timeliness: String,
    reason_lines: Vec<String>,
    note_lines: Vec<String>,
    access_to_documents: Vec<String>,
}

/// § 33: the unit upholds its decision and forwards the appeal, one appeal body at a time,
/// each with its own forwarding letter.
pub async fn forward(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, a) = appeal_tx(&ctx, id, true).await?;
    let m = a.municipality_id;
    if a.status != "registered" && a.status != "forwarded" {
        tx.rollback().await?;
        return Ok(Redirect::to(&appeal_path(id)).into_response());
    }
    let d = repo::decision(&mut tx, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut tx, m, a.decision_id).await?;
    let state = late_state(&d, &points, &a);
    if !cleared(state) {
        tx.rollback().await?;
        return refuse(&ctx, id, f, not_cleared(state), StatusCode::CONFLICT).await;
    }
    let all = groups(repo::appeal_points(&mut tx, m, id).await?);
    let mut e = FormErrors::new();
    let group = chosen(&all, field(&f, "body"), |g| !g.is_forwarded());
    match &group {
        None => e.add("body", "Velg klageinstansen klagen skal sendes til."),
        Some(g) if g.is_forwarded() => {
            // A second submit: this body already has the appeal.
            tx.rollback().await?;
            return Ok(Redirect::to(&appeal_path(id)).into_response());
        }
        Some(_) => {}
    }
    let on = forms::required_date(&mut e, "date", field(&f, "date"), "Dato oversendt");
    let note = text(
        &mut e,
        "forwarding_note",
        field(&f, "forwarding_note"),
        true,
        20000,
        "Oversendelsesbrevet",
    );
    let (Some(on), Some(group)) = (on.filter(|_| e.is_empty()), group) else {
        tx.rollback().await?;
        return refuse(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !repo::bump_appeal(&mut tx, m, id, field(&f, "version").parse().unwrap_or(0)).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, f, conflict(), StatusCode::CONFLICT).await;
    }
    let app = apps::application(&mut tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(&mut tx, m).await?;
    let ids = group.point_ids();
    let per_point = timeliness_per_point(&d, &points, &ids, a.received_on, a.posted_on);
    let texts = crate::letters::mandatory::current(&mut tx, m).await?;
    let access = crate::letters::mandatory::TextKey::AccessToDocuments;
    let body = ForwardingLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines: sender_lines(&head),
        date: format::date(on),
        case_number: app.case_number.clone(),
        author: ctx.user.display_name.clone(),
        body: group.body.clone(),
        party: app.applicant_name.clone(),
        party_address: recipient_lines(&app),
        representative: d.representative.clone(),
        appellant: a.appellant.clone(),
        received_on: format::date(a.received_on),
        decided_on: d.decided_on.map(format::date).unwrap_or_default(),
        points: point_lines(&points, &ids),
        late: state == LateState::TakenUp,
        timeliness: super::appeals::timeliness_summary(&per_point),
        reason_lines: verbatim_lines(&a.late_reason),
        note_lines: verbatim_lines(&note),
        access_to_documents: texts.lines(access, &head.letterhead_name),
    }
    .render()?;
    let title = format!("Oversendelse av klage til {}", group.body);
    let recipient = format!("{}; kopi: {}", group.body, app.applicant_name);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let letter = archive::archive(
        &mut tx,
        m,
        Outgoing {
            kind: Kind::Forwarding,
            application_id: d.application_id,
            entity_type: "appeal",
            entity_id: id,
            title: &title,
            recipient: &recipient,
            channel: "letter",
            sent_on: on,
            sent_by: ctx.user.id,
            author: &head.letterhead_name,
            footer: &footer,
            blocks: letters::parse(&body),
            texts: texts.ids(&[access]),
        },
    )
    .await?;
    repo::points_forwarded(&mut tx, m, id, &ids, on, &note, letter).await?;
    repo::appeal_forwarded(&mut tx, m, id, on, &note).await?;
    apps::record_event(
        &mut tx,
        m,
        a.application_id,
        Some(ctx.user.id),
        "appeal",
        &format!(
            "Vedtaket opprettholdt, klagen oversendt {} ({})",
            group.body,
            group.positions()
        ),
        "",
        Some(&format!("/brev/{letter}")),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("appeal.forwarded")
            .municipality(m)
            .entity("appeal", id)
            .details(serde_json::json!({ "body": group.body, "letter": letter })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=oversendt", appeal_path(id))).into_response())
}

/// The most far-reaching of the bodies' outcomes, for the appeal as a whole.
fn overall(outcomes: &[String]) -> &'static str {
    if outcomes.iter().any(|o| o == "reversed") {
        "reversed"
    } else if outcomes.iter().any(|o| o == "sent_back") {
        "sent_back"
    } else {
        "upheld"
    }
}

/// One appeal body's outcome, and what follows from it: reversed → a new decision is
/// drafted to implement it; sent back → the case is assessed again. The appeal is closed
/// when every body has given its outcome.
pub async fn outcome(
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
    let state = late_state(&d, &points, &a);
    if !cleared(state) {
        tx.rollback().await?;
        return refuse(&ctx, id, f, not_cleared(state), StatusCode::CONFLICT).await;
    }
    if a.status != "forwarded" {
        tx.rollback().await?;
        return Ok(Redirect::to(&appeal_path(id)).into_response());
    }
    let all = groups(repo::appeal_points(&mut tx, m, id).await?);
    let mut e = FormErrors::new();
    let group = chosen(&all, field(&f, "body"), |g| {
        g.is_forwarded() && !g.is_decided()
    });
    match &group {
        None => e.add("body", "Velg hvilken klageinstans avgjørelsen kommer fra."),
        Some(g) if !g.is_forwarded() => e.add(
            "body",
            "Klagen er ikke oversendt denne klageinstansen ennå.",
        ),
        Some(g) if g.is_decided() => {
            // A second submit: this body's outcome is already recorded.
            tx.rollback().await?;
            return Ok(Redirect::to(&appeal_path(id)).into_response());
        }
        Some(_) => {}
    }
    let outcome = field(&f, "body_outcome").to_owned();
    if !matches!(outcome.as_str(), "upheld" | "reversed" | "sent_back") {
        e.add("body_outcome", "Velg klageinstansens avgjørelse.");
    }
    let on = forms::required_date(&mut e, "date", field(&f, "date"), "Dato for avgjørelsen");
    let note = text(
        &mut e,
        "body_outcome_note",
        field(&f, "body_outcome_note"),
        false,
        5000,
        "Merknaden",
    );
    let (Some(on), Some(group)) = (on.filter(|_| e.is_empty()), group) else {
        tx.rollback().await?;
        return refuse(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !repo::bump_appeal(&mut tx, m, id, field(&f, "version").parse().unwrap_or(0)).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, f, conflict(), StatusCode::CONFLICT).await;
    }
    repo::points_outcome(&mut tx, m, id, &group.point_ids(), &outcome, on, &note).await?;
    let mut target = appeal_path(id);
    let summary = match outcome.as_str() {
        "upheld" => format!("{} opprettholdt vedtaket", group.body),
        "reversed" => {
            match d.replaced_by_id {
                Some(existing) => target = decision_path(existing),
                None => {
                    let new_id = repo::insert_decision(
                        &mut tx,
                        m,
                        d.application_id,
                        ctx.user.id,
                        Some(d.id),
                    )
                    .await?;
                    repo::copy_points(&mut tx, m, d.id, new_id).await?;
                    target = decision_path(new_id);
                }
            }
            format!(
                "{} omgjorde vedtaket ({}) – nytt vedtak må skrives",
                group.body,
                group.positions()
            )
        }
        _ => {
            let app = apps::application(&mut tx, &[m], d.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if app.status != AppStatus::UnderAssessment
                && !apps::set_status(
                    &mut tx,
                    m,
                    app.id,
                    app.version,
                    AppStatus::UnderAssessment,
                    "Sendt tilbake av klageinstansen",
                    ctx.today(),
                )
                .await?
            {
                return Err(AppError::Conflict);
            }
            format!("{} sendte saken tilbake til ny behandling", group.body)
        }
    };
    // Finished when every body has given its outcome.
    let after = groups(repo::appeal_points(&mut tx, m, id).await?);
    let outcomes: Vec<String> = after.iter().filter_map(BodyGroup::outcome).collect();
    let finished = outcomes.len() == after.len();
    if finished {
        let last = after
            .iter()
            .filter_map(BodyGroup::outcome_on)
            .max()
            .unwrap_or(on);
        repo::appeal_outcome(&mut tx, m, id, overall(&outcomes), last, &note).await?;
    }
    apps::record_event(
        &mut tx,
        m,
        a.application_id,
        Some(ctx.user.id),
        "appeal",
        &summary,
        &note,
        Some(&target),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("appeal.outcome")
            .municipality(m)
            .entity("appeal", id)
            .details(
                serde_json::json!({ "outcome": outcome, "body": group.body, "finished": finished }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&target).into_response())
}
