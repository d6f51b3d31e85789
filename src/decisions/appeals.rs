//! Appeals (klager): registering, timeliness (fvl. §§ 29–31), reconsideration by the unit
//! that decided (§ 33: reverse, or uphold and forward), and the appeal body's outcome.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::deadline::{assess_appeal, Timeliness};
use super::forms::{self, field, Fields};
use super::forwarding::{groups, BodyGroup};
use super::handlers::{decision_path, decision_tx, page, parse_id, Forms, READ_ROLES, WRITE_ROLES};
use super::late_appeals::{cleared, decision_age, late_state, not_cleared, LateState};
use super::model::Status;
use super::repo::{self, Appeal, Decision, Point};
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

pub fn appeal_path(id: Uuid) -> String {
    format!("/klager/{id}")
}

/// Timeliness of an appeal per point it concerns, each against that point's own deadline
/// (3 weeks, 4 for health and care): (position, deadline, timeliness). A point whose
/// deadline is interrupted by a request for grounds (§ 24, no deadline running) is in time.
pub fn timeliness_per_point(
    d: &Decision,
    points: &[Point],
    appeal_points: &[Uuid],
    received: chrono::NaiveDate,
    posted: Option<chrono::NaiveDate>,
) -> Vec<(i32, Option<chrono::NaiveDate>, Timeliness)> {
    points
        .iter()
        .filter(|p| appeal_points.contains(&p.id))
        .map(|p| {
            let t = match (d.decided_on, p.appeal_deadline) {
                (Some(decided), Some(deadline)) => {
                    assess_appeal(decided, deadline, received, posted)
                }
                _ => Timeliness::InTime,
            };
            (p.position, p.appeal_deadline, t)
        })
        .collect()
}

/// The appeal as a whole: beyond one year if any point is, late if any point is late.
pub fn timeliness(
    d: &Decision,
    points: &[Point],
    appeal_points: &[Uuid],
    received: chrono::NaiveDate,
    posted: Option<chrono::NaiveDate>,
) -> Timeliness {
    worst(
        timeliness_per_point(d, points, appeal_points, received, posted)
            .into_iter()
            .map(|(_, _, t)| t),
    )
}

pub fn worst(all: impl Iterator<Item = Timeliness>) -> Timeliness {
    all.fold(Timeliness::InTime, |acc, t| match (acc, t) {
        (Timeliness::BeyondOneYear, _) | (_, Timeliness::BeyondOneYear) => {
            Timeliness::BeyondOneYear
        }
        (Timeliness::Late { days: a }, Timeliness::Late { days: b }) => {
            Timeliness::Late { days: a.max(b) }
        }
        (Timeliness::Late { days }, _) | (_, Timeliness::Late { days }) => {
            Timeliness::Late { days }
        }
        _ => Timeliness::InTime,
    })
}

/// "Punkt 1: i tide (frist 18.12.2026); punkt 2: 3 dager for sent (frist 15.12.2026)".
pub fn timeliness_summary(per_point: &[(i32, Option<chrono::NaiveDate>, Timeliness)]) -> String {
    per_point
        .iter()
        .map(|(pos, deadline, t)| {
            let state = match t {
                Timeliness::InTime => "i tide".to_string(),
                Timeliness::Late { days: 1 } => "1 dag for sent".to_string(),
                Timeliness::Late { days } => format!("{days} dager for sent"),
                Timeliness::BeyondOneYear => "mer enn ett år etter vedtaket".to_string(),
            };
            match deadline {
                Some(dl) => format!("punkt {pos}: {state} (frist {})", format::date(*dl)),
                None => format!("punkt {pos}: {state} (fristen er avbrutt)"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn register(
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
    let points = repo::points(&mut tx, m, id).await?;
    let ids: Vec<Uuid> = points.iter().map(|p| p.id).collect();
    let input = match forms::parse_appeal(&f, &ids, ctx.today()) {
        Ok(a) => a,
        Err(e) => {
            tx.rollback().await?;
            let page = page(
                &ctx,
                id,
                Forms {
                    appeal: Some((f, e)),
                    ..Default::default()
                },
                "",
                false,
                None,
            )
            .await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let per_point = timeliness_per_point(
        &d,
        &points,
        &input.points,
        input.received_on,
        input.posted_on,
    );
    let t = worst(per_point.iter().map(|(_, _, t)| *t));
    if t == Timeliness::BeyondOneYear {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.add("received_on", "Klagen kom mer enn ett år etter vedtaket og kan ikke tas under behandling (forvaltningsloven § 31 tredje ledd). Registrer den som en henvendelse i journalen.");
        let page = page(
            &ctx,
            id,
            Forms {
                appeal: Some((f, e)),
                ..Default::default()
            },
            "",
            false,
            None,
        )
        .await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // A double submit of the same appeal lands on the one already registered.
    let same = repo::appeals_of_decision(&mut tx, m, id)
        .await?
        .into_iter()
        .find(|a| {
            a.received_on == input.received_on
                && a.appellant == input.appellant
                && a.received_how == input.received_how
        });
    if let Some(a) = same {
        return Ok(Redirect::to(&appeal_path(a.id)).into_response());
    }
    let appeal = repo::insert_appeal(&mut tx, m, id, &input, ctx.user.id).await?;
    let summary = match t {
        Timeliness::InTime => "Klage mottatt i tide".to_string(),
        _ => format!(
            "Klage mottatt for sent ({})",
            timeliness_summary(&per_point)
        ),
    };
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "appeal",
        &summary,
        &input.appellant,
        Some(&appeal_path(appeal)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("appeal.registered")
            .municipality(m)
            .entity("appeal", appeal)
            .details(serde_json::json!({ "decision": id, "late": t != Timeliness::InTime })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&appeal_path(appeal)).into_response())
}

#[derive(Template)]
#[template(path = "decisions/appeal.html")]
pub struct AppealPage {
    pub layout: Layout,
    pub a: Appeal,
    pub d: Decision,
    pub points: Vec<Point>,
    pub timeliness: String,
    pub late: bool,
    pub can_write: bool,
    pub form: Fields,
    pub errors: FormErrors,
    pub notice: String,
    pub today: String,
    /// § 31: a late appeal still to be assessed.
    pub assess: bool,
    /// The appeal may be reconsidered and decided (in time, or late and taken up).
    pub cleared: bool,
    pub late_state: &'static str,
    pub age: String,
    pub groups: Vec<BodyGroup>,
    /// fvl. § 11a: the interim replies sent, and whether one is due.
    pub interim: Vec<super::appeal_interim::Reply>,
    pub interim_due: String,
    pub interim_overdue: bool,
    pub interim_possible: bool,
}

impl AppealPage {
    pub fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    pub fn concerns(&self, p: &Uuid) -> bool {
        self.a.point_ids.contains(p)
    }
    /// Appeal bodies of the points appealed, without repeats.
    pub fn bodies(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self
            .points
            .iter()
            .filter(|p| self.a.point_ids.contains(&p.id))
        {
            if !out.contains(&p.appeal_body) {
                out.push(p.appeal_body.clone());
            }
        }
        out
    }
}

pub(super) async fn appeal_tx(ctx: &Ctx, id: Uuid, write: bool) -> AppResult<(Tx, Appeal)> {
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let a = repo::appeal(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !write {
        return Ok((tx, a));
    }
    tx.commit().await?;
    let mut tx = ctx.write_tx(a.municipality_id, WRITE_ROLES).await?;
    let a = repo::appeal(&mut tx, &[a.municipality_id], id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, a))
}

async fn appeal_page(
    ctx: &Ctx,
    id: Uuid,
    form: Fields,
    errors: FormErrors,
    notice: &str,
) -> AppResult<AppealPage> {
    let (mut tx, a) = appeal_tx(ctx, id, false).await?;
    let m = a.municipality_id;
    let d = repo::decision(&mut tx, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut tx, m, a.decision_id).await?;
    let groups = groups(repo::appeal_points(&mut tx, m, id).await?);
    let interim = super::appeal_interim::of_appeal(&mut tx, m, id).await?;
    // The page names the party and what they appealed: a read of personal data.
    audit::record(
        &mut tx,
        ctx,
        Event::new("appeal.viewed")
            .municipality(m)
            .entity("appeal", id)
            .details(serde_json::json!({ "application": a.application_id })),
    )
    .await?;
    tx.commit().await?;
    let unforwarded = groups.iter().any(|g| !g.is_forwarded());
    let due = super::appeal_interim::due(&a, unforwarded, &interim, ctx.today());
    let interim_possible = super::appeal_interim::with_us(&a, unforwarded);
    let state = late_state(&d, &points, &a);
    let age = decision_age(&d, &a, ctx.today());
    let per_point = timeliness_per_point(&d, &points, &a.point_ids, a.received_on, a.posted_on);
    let t = worst(per_point.iter().map(|(_, _, t)| *t));
    let detail = timeliness_summary(&per_point);
    let (timeliness, late) = match t {
        Timeliness::InTime => (format!("Klagen kom i tide: {detail}."), false),
        Timeliness::Late { .. } => (
            format!("Klagen kom for sent for minst ett punkt: {detail}. Den kan likevel behandles hvis det er særlige grunner (forvaltningsloven § 31)."),
            true,
        ),
        Timeliness::BeyondOneYear => (format!("Klagen kom mer enn ett år etter vedtaket: {detail}."), true),
    };
    let mut form = form;
    form.entry("date".into())
        .or_insert_with(|| format::date(ctx.today()));
    form.entry("dispatched_on".into())
        .or_insert_with(|| format::date(ctx.today()));
    if !form.contains_key("late_reason") {
        form.insert("late_reason".into(), a.late_reason.clone());
    }
    Ok(AppealPage {
        layout: Layout::new(ctx, "soknader"),
        can_write: ctx.user.has_any_role(m, WRITE_ROLES),
        a,
        d,
        points,
        timeliness,
        late,
        form,
        errors,
        notice: notice.chars().take(30).collect(),
        today: format::date(ctx.today()),
        assess: state == LateState::Pending,
        cleared: cleared(state),
        late_state: match state {
            LateState::InTime => "in_time",
            LateState::Pending => "pending",
            LateState::TakenUp => "taken_up",
            LateState::Dismissed => "dismissed",
        },
        age,
        groups,
        interim_due: due.describe(ctx.today()),
        interim_overdue: due.overdue(ctx.today()),
        interim_possible,
        interim,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Q {
    #[serde(default)]
    melding: String,
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Q>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    render(&appeal_page(&ctx, id, Fields::new(), FormErrors::new(), &q.melding).await?)
}

pub(super) fn conflict() -> FormErrors {
    let mut e = FormErrors::new();
    e.general = Some("Klagesaken ble endret av noen andre mens du arbeidet. Ingenting er lagret. Se over saken og prøv igjen.".into());
    e
}

pub(super) async fn refuse(
    ctx: &Ctx,
    id: Uuid,
    f: Fields,
    e: FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    render_status(status, &appeal_page(ctx, id, f, e, "").await?)
}

/// § 33: the unit reverses its decision. A new decision (replacing the old one) is drafted
/// from the old one's content for the caseworker to change and send; the appeal stays open
/// ('reversing') until that decision is sent (see [`on_decision_sent`]).
pub async fn reverse(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, a) = appeal_tx(&ctx, id, true).await?;
    let m = a.municipality_id;
    if a.status != "registered" {
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
    let mut e = FormErrors::new();
    let on = forms::required_date(&mut e, "date", field(&f, "date"), "Dato");
    let Some(on) = on else {
        tx.rollback().await?;
        return refuse(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !repo::bump_appeal(&mut tx, m, id, field(&f, "version").parse().unwrap_or(0)).await? {
        tx.rollback().await?;
        return refuse(&ctx, id, f, conflict(), StatusCode::CONFLICT).await;
    }
    let new_id = match d.replaced_by_id {
        Some(existing) => existing,
        None => {
            let new_id =
                repo::insert_decision(&mut tx, m, d.application_id, ctx.user.id, Some(d.id))
                    .await?;
            repo::copy_points(&mut tx, m, d.id, new_id).await?;
            new_id
        }
    };
    repo::appeal_reversing(&mut tx, m, id, on, new_id).await?;
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "appeal",
        "Klagen tas til følge: vedtaket omgjøres",
        "Klagen er åpen til det nye vedtaket er sendt",
        Some(&decision_path(new_id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("appeal.reversing")
            .municipality(m)
            .entity("appeal", id)
            .details(serde_json::json!({ "new_decision": new_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&decision_path(new_id)).into_response())
}

/// Called in the transaction that sends decision `d`: an appeal being reversed by it
/// (§ 33) is closed as reversed now that the new decision is sent.
pub async fn on_decision_sent(tx: &mut Tx, ctx: &Ctx, d: &Decision) -> AppResult<()> {
    if d.replaces_id.is_none() {
        return Ok(());
    }
    let m = d.municipality_id;
    for appeal in repo::close_reversed_appeals(tx, m, d.id).await? {
        apps::record_event(
            tx,
            m,
            d.application_id,
            Some(ctx.user.id),
            "appeal",
            "Klagen er avsluttet: det nye vedtaket er sendt",
            "",
            Some(&appeal_path(appeal)),
        )
        .await?;
        audit::record(
            tx,
            ctx,
            Event::new("appeal.reversed")
                .municipality(m)
                .entity("appeal", appeal)
                .details(serde_json::json!({ "new_decision": d.id })),
        )
        .await?;
    }
    Ok(())
}

/// A full refusal closes the case when every appeal deadline has passed without an appeal.
/// Run periodically by the server; returns how many decisions were closed.
pub async fn close_expired_refusals(
    pool: &sqlx::PgPool,
    today: chrono::NaiveDate,
) -> anyhow::Result<u64> {
    let municipalities: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(pool)
        .await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let closed: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "UPDATE decisions d SET closed_without_appeal = true
          WHERE d.status = 'sent' AND NOT d.closed_without_appeal
            AND NOT EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id
                             AND p.decision_id = d.id AND (p.outcome <> 'refused' OR p.appeal_deadline IS NULL OR p.appeal_deadline >= $1))
            AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id AND p.decision_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.municipality_id = d.municipality_id AND a.decision_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id AND r.replaces_id = d.id)
         RETURNING d.municipality_id, d.id, d.application_id",
    )
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    for (m, decision, application) in &closed {
        apps::record_event(
            &mut tx,
            *m,
            *application,
            None,
            "decision",
            "Saken er avsluttet: klagefristen gikk ut uten klage",
            "",
            Some(&decision_path(*decision)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(closed.len() as u64)
}
