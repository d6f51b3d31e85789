//! Appeals (klager): registering, timeliness (fvl. §§ 29–31), reconsideration by the unit
//! that decided (§ 33: reverse, or uphold and forward), and the appeal body's outcome.

use askama::Template;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, appeals::Done};
use super::deadline::{assess_appeal, Timeliness};
use super::forms::{field, Fields};
use super::forwarding::{groups, BodyGroup};
use super::handlers::{decision_path, Forms};
use super::late_appeals::{cleared, decision_age, late_state, LateState};
use super::repo::{self, Appeal, Decision, Point};
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::{self, Tx};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{version, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Outcome;
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

pub async fn register(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = super::handlers::load(&ctx, id).await?;
    let outcome = commands::appeals::register(&mut tx, ctx.actor(), &d, &f).await;
    match db::commit(tx, outcome).await {
        Ok(appeal) => Ok(Redirect::to(&appeal_path(appeal)).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let forms = Forms {
                appeal: Some((f, shown.errors)),
                ..Default::default()
            };
            super::handlers::refuse(&ctx, id, forms, status).await
        }
    }
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

/// The appeal and its write transaction: readers may look, writers may change.
pub(super) async fn load(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, Appeal)> {
    ctx.load_for_write::<Appeal>(Permission::ReadCases, Permission::WriteDecisions, id)
        .await
}

async fn appeal_page(
    ctx: &Ctx,
    id: Uuid,
    form: Fields,
    errors: FormErrors,
    notice: &str,
) -> AppResult<AppealPage> {
    let (mut tx, a) = ctx.load::<Appeal>(Permission::ReadCases, id).await?;
    let m = a.municipality_id;
    let d = repo::decision(&mut tx, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut tx, m, a.decision_id).await?;
    let groups = groups(repo::appeal_points(&mut tx, m, id).await?);
    let interim = repo::interim_replies(&mut tx, m, id).await?;
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
        can_write: ctx.may(Permission::WriteDecisions, m),
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
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<Q>,
) -> AppResult<Response> {
    render(&appeal_page(&ctx, id, Fields::new(), FormErrors::new(), &q.melding).await?)
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

/// Commits a change to the appeal and goes to `done`'s page, or shows the appeal page again
/// with the form as typed and why it was refused.
pub(super) async fn finish<T>(
    ctx: &Ctx,
    id: Uuid,
    f: Fields,
    tx: Tx,
    outcome: Outcome<Done<T>>,
    done: impl FnOnce(T) -> String,
) -> AppResult<Response> {
    match db::commit(tx, outcome).await {
        Ok(Done::Made(x)) => Ok(Redirect::to(&done(x)).into_response()),
        Ok(Done::Already) => Ok(Redirect::to(&appeal_path(id)).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            refuse(ctx, id, f, shown.errors, status).await
        }
    }
}

/// § 33: the unit reverses its decision; the new decision is drafted for the caseworker.
pub async fn reverse(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, a) = load(&ctx, id).await?;
    let outcome = commands::appeals::reverse(
        &mut tx,
        ctx.actor(),
        &a,
        version(field(&f, "version")),
        field(&f, "date"),
    )
    .await;
    finish(&ctx, id, f, tx, outcome, decision_path).await
}

/// A full refusal closes the case when every appeal deadline has passed without an appeal.
/// Run periodically by the server; returns how many decisions were closed.
pub async fn close_expired_refusals(
    pool: &sqlx::PgPool,
    today: chrono::NaiveDate,
) -> anyhow::Result<u64> {
    let municipalities = crate::municipalities::repo::all_ids(pool).await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let closed = repo::close_expired_refusals(&mut tx, today).await?;
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
