//! fvl. § 24 second paragraph and § 29 second paragraph: a party who asks for the grounds of
//! a decision within the appeal deadline interrupts it; a new deadline runs from when the
//! grounds are given. Bosak records the request (the deadlines stop), then the date the
//! grounds were given (new deadlines per point, Norwegian holidays respected).

use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::Response;

use super::deadline::{appeal_deadline, grounds_given_error, grounds_request_error};
use super::forms::{field, required_date, Fields};
use super::handlers::{
    back, conflict_errors, decision_path, decision_tx, parse_id, refuse, version_of, Forms,
};
use super::model::Status;
use super::repo;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;

fn with(f: Fields, e: FormErrors) -> Forms {
    Forms {
        grounds_request: Some((f, e)),
        ..Default::default()
    }
}

/// Records that the party asked for grounds: the appeal deadlines stop running.
pub async fn request(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if d.status != Status::Sent {
        return Err(AppError::Conflict);
    }
    let mut e = FormErrors::new();
    let requested = required_date(
        &mut e,
        "requested_on",
        field(&f, "requested_on"),
        "Datoen kravet kom",
    );
    let points = repo::points(&mut tx, m, id).await?;
    let deadline = points.iter().filter_map(|p| p.appeal_deadline).max();
    if let (Some(r), Some(notified), Some(deadline)) = (requested, d.notified_on, deadline) {
        if let Some(msg) = grounds_request_error(notified, deadline, r, ctx.today()) {
            e.add("requested_on", msg);
        }
    }
    if d.grounds_requested_on.is_some() {
        e.general =
            Some("Det er allerede registrert et krav om begrunnelse for dette vedtaket.".into());
    }
    let Some(requested) = requested.filter(|_| e.is_empty()) else {
        tx.rollback().await?;
        return refuse(&ctx, id, with(f, e), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !repo::request_grounds(&mut tx, m, id, version_of(&f), requested).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, with(f, conflict_errors()), StatusCode::CONFLICT).await;
    }
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "decision",
        &format!(
            "Krav om begrunnelse mottatt {}: klagefristen er avbrutt",
            format::date(requested)
        ),
        field(&f, "note").trim(),
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.grounds_requested")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "requested_on": requested })),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "begrunnelse-krevd"))
}

/// Records that the requested grounds were given: new deadlines run from that day.
pub async fn given(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Fields>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    let (Status::Sent, Some(requested), Some(notified)) =
        (d.status, d.grounds_requested_on, d.notified_on)
    else {
        return Err(AppError::Conflict);
    };
    let mut e = FormErrors::new();
    let given = required_date(
        &mut e,
        "given_on",
        field(&f, "given_on"),
        "Datoen parten mottok begrunnelsen",
    );
    if let Some(msg) = given.and_then(|g| grounds_given_error(requested, g, ctx.today())) {
        e.add("given_on", msg);
    }
    let Some(given) = given.filter(|_| e.is_empty()) else {
        tx.rollback().await?;
        return refuse(&ctx, id, with(f, e), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !repo::grounds_given(&mut tx, m, id, version_of(&f), given).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, with(f, conflict_errors()), StatusCode::CONFLICT).await;
    }
    let mut latest = None;
    // Only the interrupted points (no running deadline) get new ones.
    for p in repo::points(&mut tx, m, id)
        .await?
        .into_iter()
        .filter(|p| p.appeal_deadline.is_none())
    {
        let deadline = appeal_deadline(notified, Some(given), p.appeal_weeks.max(1) as u32);
        repo::set_point_deadline(&mut tx, m, p.id, deadline).await?;
        latest = latest.max(Some(deadline));
    }
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "decision",
        &format!(
            "Parten mottok begrunnelsen {}: ny klagefrist {}",
            format::date(given),
            latest.map(format::date).unwrap_or_default()
        ),
        "",
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.grounds_given")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "given_on": given, "deadline": latest })),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "begrunnelse-gitt"))
}
