//! HTTP handlers for writing, approving, sending and correcting decisions.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::deadline::{appeal_deadline, default_notification_date};
use super::forms::{self, field, Fields};
use super::letter;
use super::model::{missing_for_dispatch, DecisionFacts, Outcome, PointFacts, Status};
use super::repo::{self, Appeal, Decision, Kind, Paragraph, Point};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo::{self as apps, ApplicationDetail};
use crate::audit::{self, Event};
use crate::auth::Role;
use crate::db::Tx;
use crate::dwellings::repo::{self as dwellings, ListKind};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

/// Who writes decisions.
pub const WRITE_ROLES: &[Role] = &[Role::Caseworker, Role::Admin];
/// Who reads them (the allocation team follows its cases).
pub const READ_ROLES: &[Role] = crate::auth::policy::CASE_READERS;

pub fn parse_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub fn decision_path(id: Uuid) -> String {
    format!("/vedtak/{id}")
}

/// Opens a write transaction on the decision's municipality and loads the decision.
pub(super) async fn decision_tx(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, Decision)> {
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let d = repo::decision(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(d.municipality_id, WRITE_ROLES).await?;
    // Re-read inside the write transaction: it is the state we change.
    let d = repo::decision(&mut tx, &[d.municipality_id], id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, d))
}

pub fn facts(d: &Decision, points: &[Point]) -> DecisionFacts {
    DecisionFacts {
        points: points
            .iter()
            .map(|p| PointFacts {
                outcome: Some(p.outcome),
                is_dwelling: p.kind_is_dwelling,
                description: p.description.clone(),
                legal_basis: p.legal_basis.clone(),
                appeal_body: p.appeal_body.clone(),
                appeal_weeks: p.appeal_weeks,
                default_legal_basis: p.default_legal_basis.clone(),
                default_appeal_body: p.default_appeal_body.clone(),
                default_appeal_weeks: p.default_appeal_weeks,
                override_reason: p.override_reason.clone(),
                rooms: p.rooms,
                lease_months: p.lease_months,
            })
            .collect(),
        grounds_rules: d.grounds_rules.clone(),
        grounds_facts: d.grounds_facts.clone(),
        grounds_considerations: d.grounds_considerations.clone(),
        no_objection_expected: d.no_objection_expected,
    }
}

// ---------------------------------------------------------------------------------------
// Creating

pub async fn create(ctx: Ctx, Path(app_id): Path<String>) -> AppResult<Response> {
    let app_id = parse_id(&app_id)?;
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let m = apps::municipality_of(&mut tx, &visible, app_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(m, WRITE_ROLES).await?;
    let app = apps::application(&mut tx, &[m], app_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if matches!(
        app.status,
        AppStatus::Withdrawn | AppStatus::ClosedWithoutDecision | AppStatus::Housed
    ) {
        return Err(AppError::Conflict);
    }
    repo::ensure_defaults(&mut tx, m).await?;
    // One unsent decision per case at a time: a second click (or a colleague) lands on the
    // draft that exists instead of starting another.
    let existing = repo::decisions_of_application(&mut tx, m, app_id).await?;
    if let Some(d) = existing.iter().find(|d| d.status != Status::Sent) {
        return Ok(Redirect::to(&decision_path(d.id)).into_response());
    }
    let id = repo::insert_decision(&mut tx, m, app_id, ctx.user.id, None).await?;
    apps::record_event(
        &mut tx,
        m,
        app_id,
        Some(ctx.user.id),
        "decision",
        "Vedtak påbegynt",
        "",
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.created")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "application": app_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&decision_path(id)).into_response())
}

// ---------------------------------------------------------------------------------------
// The decision page

pub struct PointView {
    pub p: Point,
    pub type_names: String,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "decisions/show.html")]
pub struct DecisionPage {
    pub layout: Layout,
    pub d: Decision,
    pub app: ApplicationDetail,
    pub points: Vec<PointView>,
    pub kinds: Vec<Kind>,
    pub dwelling_types: Vec<(Uuid, String)>,
    pub paragraphs: Vec<Paragraph>,
    pub appeals: Vec<Appeal>,
    pub missing: Vec<String>,
    pub four_eyes: bool,
    pub can_write: bool,
    pub can_approve: bool,
    /// The point form: values typed, the point being edited, and its errors.
    pub point_form: Fields,
    pub editing: Option<Uuid>,
    pub point_errors: FormErrors,
    pub grounds_form: Fields,
    pub errors: FormErrors,
    pub dispatch_form: Fields,
    pub dispatch_errors: FormErrors,
    pub appeal_form: Fields,
    pub appeal_errors: FormErrors,
    /// The allocation team's conclusions about the case (meetings).
    pub meeting_conclusions: Vec<crate::meetings::repo::CaseConclusion>,
    pub request_form: Fields,
    pub request_errors: FormErrors,
    pub notice: String,
    pub today: String,
}

impl DecisionPage {
    pub fn meeting_day(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        format::date(crate::meetings::model::oslo_date(*t))
    }
    pub fn val<'a>(&self, form: &'a Fields, k: &str) -> &'a str {
        field(form, k)
    }
    pub fn checked(&self, form: &Fields, k: &str) -> bool {
        form.contains_key(k)
    }
    pub fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn is_editable(&self) -> bool {
        self.d.status != Status::Sent && self.can_write
    }
    pub fn status_key(&self) -> &'static str {
        self.d.status.key()
    }
    pub fn appeal_has_point(&self, a: &Appeal, p: &Uuid) -> bool {
        a.point_ids.contains(p)
    }
}

#[derive(Default)]
pub struct Forms {
    pub point_form: Option<(Fields, Option<Uuid>, FormErrors)>,
    pub grounds: Option<(Fields, FormErrors)>,
    pub dispatch: Option<(Fields, FormErrors)>,
    pub appeal: Option<(Fields, FormErrors)>,
    /// fvl. § 24: the request for grounds, or the grounds given.
    pub grounds_request: Option<(Fields, FormErrors)>,
}

pub async fn page(
    ctx: &Ctx,
    id: Uuid,
    forms: Forms,
    notice: &str,
    audit_read: bool,
    edit_point: Option<Uuid>,
) -> AppResult<DecisionPage> {
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let d = repo::decision(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = d.municipality_id;
    let app = apps::application(&mut tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(&mut tx, m, id).await?;
    let kinds = repo::kinds(&mut tx, m).await?;
    let types = dwellings::list_items(&mut tx, ListKind::Types, &[m], true).await?;
    let paragraphs = repo::paragraphs(&mut tx, m).await?;
    let appeals = repo::appeals_of_decision(&mut tx, m, id).await?;
    let settings = repo::settings(&mut tx, m).await?;
    let meeting_conclusions =
        crate::meetings::repo::conclusions_for_application(&mut tx, m, d.application_id).await?;
    tx.commit().await?;
    if audit_read {
        // Reading a decision is reading a person's case.
        let mut tx = ctx.write_tx(m, READ_ROLES).await?;
        audit::record(
            &mut tx,
            ctx,
            Event::new("decision.viewed")
                .municipality(m)
                .entity("decision", id),
        )
        .await?;
        tx.commit().await?;
    }
    let type_names: HashMap<Uuid, String> = types.iter().map(|t| (t.id, t.name.clone())).collect();
    let missing = missing_for_dispatch(&facts(&d, &points));
    let can_write = ctx.user.has_any_role(m, WRITE_ROLES);
    let four_eyes = settings.decisions_need_second_approver;
    let can_approve = can_write
        && if four_eyes {
            d.status == Status::ReadyForApproval
                && d.author_id != ctx.user.id
                && d.submitted_by != Some(ctx.user.id)
        } else {
            d.status != Status::Sent
        };
    let editing = forms.point_form.as_ref().and_then(|f| f.1).or(edit_point);
    let (point_form, point_errors) = match forms.point_form {
        Some((f, _, e)) => (f, e),
        None => match editing.and_then(|pid| points.iter().find(|p| p.id == pid)) {
            Some(p) => (point_fields(p), FormErrors::new()),
            None => (Fields::new(), FormErrors::new()),
        },
    };
    let (grounds_form, errors) = forms.grounds.unwrap_or_else(|| {
        let mut f = Fields::new();
        f.insert("grounds_rules".into(), d.grounds_rules.clone());
        f.insert("grounds_facts".into(), d.grounds_facts.clone());
        f.insert(
            "grounds_considerations".into(),
            d.grounds_considerations.clone(),
        );
        f.insert("representative".into(), d.representative.clone());
        if d.no_objection_expected {
            f.insert("no_objection_expected".into(), "1".into());
        }
        (f, FormErrors::new())
    });
    let today = ctx.today();
    let (dispatch_form, dispatch_errors) = forms.dispatch.unwrap_or_else(|| {
        let mut f = Fields::new();
        f.insert("dispatched_on".into(), format::date(today));
        f.insert("channel".into(), "digital".into());
        (f, FormErrors::new())
    });
    let (appeal_form, appeal_errors) = forms.appeal.unwrap_or_default();
    let (request_form, request_errors) = forms.grounds_request.unwrap_or_default();
    // fvl. § 29 second paragraph: no deadline runs while requested grounds are awaited.
    let interrupted = d.grounds_requested_on.is_some() && d.grounds_given_on.is_none();
    Ok(DecisionPage {
        layout: Layout::new(ctx, "soknader"),
        points: points
            .into_iter()
            .map(|p| PointView {
                type_names: p
                    .dwelling_type_ids
                    .iter()
                    .filter_map(|id| type_names.get(id).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
                deadline: match p.appeal_deadline {
                    Some(x) => format::date(x),
                    None if interrupted => "avbrutt til begrunnelsen er gitt".into(),
                    None => String::new(),
                },
                p,
            })
            .collect(),
        dwelling_types: types
            .into_iter()
            .filter(|t| t.active)
            .map(|t| (t.id, t.name))
            .collect(),
        kinds: kinds.into_iter().filter(|k| k.active).collect(),
        d,
        app,
        paragraphs: paragraphs.into_iter().filter(|p| p.active).collect(),
        appeals,
        missing,
        four_eyes,
        can_write,
        can_approve,
        point_form,
        editing,
        point_errors,
        grounds_form,
        errors,
        dispatch_form,
        dispatch_errors,
        appeal_form,
        appeal_errors,
        meeting_conclusions,
        request_form,
        request_errors,
        notice: notice.chars().take(30).collect(),
        today: format::date(today),
    })
}

fn point_fields(p: &Point) -> Fields {
    let mut f = Fields::new();
    f.insert("kind_id".into(), p.kind_id.to_string());
    f.insert("outcome".into(), p.outcome.key().into());
    f.insert("description".into(), p.description.clone());
    for t in &p.dwelling_type_ids {
        f.insert(format!("type_{t}"), "1".into());
    }
    if let Some(r) = p.rooms {
        f.insert("rooms".into(), r.to_string());
    }
    if let Some(m) = p.lease_months {
        f.insert("lease_months".into(), m.to_string());
    }
    if p.needs_ground_floor_or_lift {
        f.insert("needs_ground_floor_or_lift".into(), "1".into());
    }
    f.insert("extent".into(), p.extent.clone());
    f.insert(
        "period_from".into(),
        p.period_from.map(format::date).unwrap_or_default(),
    );
    f.insert(
        "period_to".into(),
        p.period_to.map(format::date).unwrap_or_default(),
    );
    f.insert("conditions".into(), p.conditions.clone());
    f.insert("legal_basis".into(), p.legal_basis.clone());
    f.insert("appeal_body".into(), p.appeal_body.clone());
    f.insert("appeal_weeks".into(), p.appeal_weeks.to_string());
    f.insert("override_reason".into(), p.override_reason.clone());
    f
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    melding: String,
    #[serde(default)]
    punkt: Option<String>,
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let edit = q.punkt.as_deref().and_then(|p| Uuid::parse_str(p).ok());
    render(&page(&ctx, id, Forms::default(), &q.melding, true, edit).await?)
}

pub(super) async fn refuse(
    ctx: &Ctx,
    id: Uuid,
    forms: Forms,
    status: StatusCode,
) -> AppResult<Response> {
    render_status(status, &page(ctx, id, forms, "", false, None).await?)
}

pub(super) fn conflict_errors() -> FormErrors {
    let mut e = FormErrors::new();
    e.general = Some(
        "Vedtaket ble endret av noen andre mens du arbeidet, eller det er sendt. Ingenting er lagret, men det du skrev står fortsatt i skjemaet. Se over vedtaket slik det er nå, og lagre på nytt."
            .into(),
    );
    e
}

pub(super) fn version_of(f: &Fields) -> i32 {
    field(f, "version").parse().unwrap_or(0)
}

pub(super) fn back(id: Uuid, melding: &str) -> Response {
    Redirect::to(&format!("{}?melding={melding}", decision_path(id))).into_response()
}

// ---------------------------------------------------------------------------------------
// Points and grounds

pub async fn save_point(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    let editing = Uuid::parse_str(field(&f, "point_id")).ok();
    let kinds = repo::kinds(&mut tx, m).await?;
    let types: Vec<Uuid> = dwellings::list_items(&mut tx, ListKind::Types, &[m], false)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let input = match forms::parse_point(&f, &kinds, &types) {
        Ok(p) => p,
        Err(e) => {
            tx.rollback().await?;
            return refuse(
                &ctx,
                id,
                Forms {
                    point_form: Some((f, editing, e)),
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                point_form: Some((f, editing, conflict_errors())),
                ..Default::default()
            },
            StatusCode::CONFLICT,
        )
        .await;
    }
    let point = match editing {
        Some(pid) => {
            if !repo::update_point(&mut tx, m, id, pid, &input).await? {
                return Err(AppError::NotFound);
            }
            pid
        }
        None => repo::insert_point(&mut tx, m, id, &input).await?,
    };
    // A changed decision must be checked again before approval.
    if d.status == Status::ReadyForApproval {
        repo::set_status(&mut tx, m, id, Status::Draft, None).await?;
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.point_saved")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "point": point, "outcome": input.outcome })),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "punkt"))
}

pub async fn delete_point(
    ctx: Ctx,
    Path((id, pid)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let pid = parse_id(&pid)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                grounds: Some((Fields::new(), conflict_errors())),
                ..Default::default()
            },
            StatusCode::CONFLICT,
        )
        .await;
    }
    if !repo::delete_point(&mut tx, m, id, pid).await? {
        return Err(AppError::NotFound);
    }
    if d.status == Status::ReadyForApproval {
        repo::set_status(&mut tx, m, id, Status::Draft, None).await?;
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.point_deleted")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "point": pid })),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "slettet"))
}

const PARTS: [(&str, &str); 3] = [
    ("rules", "grounds_rules"),
    ("facts", "grounds_facts"),
    ("considerations", "grounds_considerations"),
];

/// Saves the grounds; when the caseworker asked to insert a standard paragraph, it is
/// appended (placeholders filled from the case) and the page shown again.
pub async fn save_grounds(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(mut f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    let mut e = FormErrors::new();
    for (_, name) in PARTS {
        crate::web::forms::text(&mut e, name, field(&f, name), false, 20000, "Begrunnelsen");
    }
    let representative = crate::web::forms::text(
        &mut e,
        "representative",
        field(&f, "representative"),
        false,
        300,
        "Representant",
    );
    if !e.is_empty() {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                grounds: Some((f, e)),
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let insert = field(&f, "insert").to_owned();
    if let Some((part, name)) = PARTS.iter().find(|(part, _)| *part == insert) {
        let chosen = Uuid::parse_str(field(&f, &format!("paragraph_{part}"))).ok();
        let paragraphs = repo::paragraphs(&mut tx, m).await?;
        if let Some(p) = chosen.and_then(|c| {
            paragraphs
                .iter()
                .find(|p| p.id == c && p.part == *part && p.active)
        }) {
            let app = apps::application(&mut tx, &[m], d.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let filled = super::model::fill_placeholders(
                &p.body,
                &[
                    ("navn", app.applicant_name.clone()),
                    ("kommune", app.municipality_name.clone()),
                    ("saksnummer", app.case_number.clone()),
                    ("mottatt", format::date(app.received_on)),
                ],
            );
            let current = field(&f, name).trim_end().to_owned();
            let joined = if current.is_empty() {
                filled
            } else {
                format!("{current}\n\n{filled}")
            };
            f.insert((*name).to_owned(), joined);
        }
    }
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                grounds: Some((f, conflict_errors())),
                ..Default::default()
            },
            StatusCode::CONFLICT,
        )
        .await;
    }
    repo::save_grounds(
        &mut tx,
        m,
        id,
        field(&f, "grounds_rules").trim(),
        field(&f, "grounds_facts").trim(),
        field(&f, "grounds_considerations").trim(),
        f.contains_key("no_objection_expected"),
        &representative,
    )
    .await?;
    if d.status == Status::ReadyForApproval {
        repo::set_status(&mut tx, m, id, Status::Draft, None).await?;
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.grounds_saved")
            .municipality(m)
            .entity("decision", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "{}?melding=begrunnelse#begrunnelse",
        decision_path(id)
    ))
    .into_response())
}

// ---------------------------------------------------------------------------------------
// Workflow

pub async fn submit(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if d.status != Status::Draft {
        return Err(AppError::Conflict);
    }
    let points = repo::points(&mut tx, m, id).await?;
    if !missing_for_dispatch(&facts(&d, &points)).is_empty() {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some("Vedtaket er ikke komplett. Rett opp punktene i sjekklisten før det sendes til godkjenning.".into());
        return refuse(
            &ctx,
            id,
            Forms {
                dispatch: Some((f, e)),
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                dispatch: Some((f, conflict_errors())),
                ..Default::default()
            },
            StatusCode::CONFLICT,
        )
        .await;
    }
    repo::set_status(&mut tx, m, id, Status::ReadyForApproval, Some(ctx.user.id)).await?;
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "decision",
        "Vedtak sendt til godkjenning",
        "",
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.submitted")
            .municipality(m)
            .entity("decision", id),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "til-godkjenning"))
}

pub async fn reopen(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if d.status != Status::ReadyForApproval {
        return Err(AppError::Conflict);
    }
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Forms {
                dispatch: Some((f, conflict_errors())),
                ..Default::default()
            },
            StatusCode::CONFLICT,
        )
        .await;
    }
    repo::set_status(&mut tx, m, id, Status::Draft, None).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.reopened")
            .municipality(m)
            .entity("decision", id),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "utkast"))
}

/// Approves and sends: records dispatch and notification, computes each point's appeal
/// deadline, locks the decision and moves the case on.
/// The dispatch form again, with what was typed and why it was refused.
async fn refuse_dispatch(
    ctx: &Ctx,
    id: Uuid,
    f: Fields,
    e: FormErrors,
    code: StatusCode,
) -> AppResult<Response> {
    let forms = Forms {
        dispatch: Some((f, e)),
        ..Default::default()
    };
    refuse(ctx, id, forms, code).await
}

pub async fn send(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Fields>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if d.status == Status::Sent {
        // A second submit of the same form: the decision is already sent.
        return Ok(back(id, "sendt"));
    }
    let settings = repo::settings(&mut tx, m).await?;
    if settings.decisions_need_second_approver
        && (d.status != Status::ReadyForApproval
            || d.author_id == ctx.user.id
            || d.submitted_by == Some(ctx.user.id))
    {
        return Err(AppError::Forbidden);
    }
    let today = ctx.today();
    let input = match forms::parse_dispatch(&f, today) {
        Ok(i) => i,
        Err(e) => {
            tx.rollback().await?;
            return refuse_dispatch(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let points = repo::points(&mut tx, m, id).await?;
    if let Some(msg) = super::advance_notice::send_blocked(&mut tx, &d, &points, today).await? {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some(msg);
        return refuse_dispatch(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !missing_for_dispatch(&facts(&d, &points)).is_empty() {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some("Vedtaket er ikke komplett og kan ikke sendes. Se sjekklisten.".into());
        return refuse_dispatch(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !repo::bump_version(&mut tx, m, id, version_of(&f)).await? {
        tx.rollback().await?;
        return refuse_dispatch(&ctx, id, f, conflict_errors(), StatusCode::CONFLICT).await;
    }
    let notified_on = input.notified_on.unwrap_or_else(|| {
        default_notification_date(
            input.dispatched_on,
            input.channel,
            settings.notification_post_days.max(0) as u32,
        )
    });
    // A letter is never sent with an appeal deadline that has already passed.
    let deadlines: Vec<(i32, chrono::NaiveDate)> = points
        .iter()
        .map(|p| {
            (
                p.position,
                appeal_deadline(notified_on, None, p.appeal_weeks.max(1) as u32),
            )
        })
        .collect();
    if let Some((pos, passed)) = deadlines.iter().find(|(_, dl)| *dl < today) {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.add(
            "notified_on",
            format!(
                "Med denne mottaksdatoen ville klagefristen for punkt {pos} allerede ha gått ut ({}). Et vedtak sendes aldri med en frist som er passert.",
                format::date(*passed)
            ),
        );
        return refuse_dispatch(&ctx, id, f, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    repo::mark_sent(
        &mut tx,
        m,
        id,
        &repo::Dispatch {
            approver: ctx.user.id,
            decided_on: today.min(input.dispatched_on),
            dispatched_on: input.dispatched_on,
            channel: input.channel.key(),
            notified_on,
        },
    )
    .await?;
    for (p, (_, deadline)) in points.iter().zip(&deadlines) {
        repo::set_point_deadline(&mut tx, m, p.id, *deadline).await?;
    }
    // The letter as sent goes to the archive in the same transaction.
    let sent = repo::decision(&mut tx, &[m], id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (l, recipient) = compose_letter(&mut tx, &sent, today).await?;
    crate::letters::archive::archive(
        &mut tx,
        m,
        crate::letters::archive::Outgoing {
            kind: crate::letters::archive::Kind::Decision,
            application_id: d.application_id,
            entity_type: "decision",
            entity_id: id,
            title: &l.title,
            recipient: &recipient,
            channel: input.channel.key(),
            sent_on: input.dispatched_on,
            sent_by: ctx.user.id,
            author: &l.author,
            footer: &l.footer,
            blocks: l.blocks.clone(),
            texts: l.texts.clone(),
        },
    )
    .await?;
    super::appeals::on_decision_sent(&mut tx, &ctx, &sent).await?;
    move_case_on(&mut tx, &ctx, &d, &points).await?;
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "decision",
        if points.len() >= 2 {
            "Samlevedtak sendt"
        } else {
            "Vedtak sendt"
        },
        &format!(
            "Sendt {} ({}), regnes mottatt {}",
            format::date(input.dispatched_on),
            match input.channel {
                super::deadline::Channel::Digital => "digitalt",
                super::deadline::Channel::Post => "med post",
                super::deadline::Channel::InPerson => "levert personlig",
            },
            format::date(notified_on)
        ),
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.sent").municipality(m).entity("decision", id).details(serde_json::json!({
            "application": d.application_id, "points": points.len(), "notified_on": notified_on, "replaces": d.replaces_id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(back(id, "sendt"))
}

/// The outcome drives the case: a granted dwelling puts the applicant on the waiting list;
/// a refusal of everything marks the case rejected.
async fn move_case_on(tx: &mut Tx, ctx: &Ctx, d: &Decision, points: &[Point]) -> AppResult<()> {
    let m = d.municipality_id;
    let app = apps::application(tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all_refused = points.iter().all(|p| p.outcome == Outcome::Refused);
    let all_granted = points.iter().all(|p| p.outcome == Outcome::Granted);
    let dwelling_granted = points.iter().any(|p| {
        p.kind_is_dwelling && matches!(p.outcome, Outcome::Granted | Outcome::PartlyGranted)
    });
    let decided = if all_refused {
        AppStatus::Rejected
    } else if all_granted {
        AppStatus::Approved
    } else {
        AppStatus::PartlyApproved
    };
    let target = if dwelling_granted {
        AppStatus::WaitingList
    } else {
        decided
    };
    // Offered and housed cases keep their place when a correction still grants a dwelling.
    let keep = dwelling_granted
        && matches!(
            app.status,
            AppStatus::WaitingList | AppStatus::Offered | AppStatus::Housed
        );
    if keep || app.status == target {
        return Ok(());
    }
    let mut version = app.version;
    if target == AppStatus::WaitingList && app.status != decided {
        if !apps::set_status(tx, m, app.id, version, decided, "", ctx.today()).await? {
            return Err(AppError::Conflict);
        }
        version += 1;
        apps::record_event(
            tx,
            m,
            app.id,
            Some(ctx.user.id),
            "status",
            decided.label(),
            "Etter vedtak",
            Some(&decision_path(d.id)),
        )
        .await?;
    }
    if !apps::set_status(tx, m, app.id, version, target, "", ctx.today()).await? {
        return Err(AppError::Conflict);
    }
    apps::record_event(
        tx,
        m,
        app.id,
        Some(ctx.user.id),
        "status",
        target.label(),
        "Etter vedtak",
        Some(&decision_path(d.id)),
    )
    .await?;
    Ok(())
}

/// A sent decision is never changed: a correction is a new decision that replaces it.
pub async fn correct(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, d) = decision_tx(&ctx, id).await?;
    let m = d.municipality_id;
    if d.status != Status::Sent {
        return Err(AppError::Conflict);
    }
    if let Some(existing) = d.replaced_by_id {
        // Already being corrected: go to that one (a double submit is harmless).
        return Ok(Redirect::to(&decision_path(existing)).into_response());
    }
    let new_id = repo::insert_decision(&mut tx, m, d.application_id, ctx.user.id, Some(id)).await?;
    repo::copy_points(&mut tx, m, id, new_id).await?;
    apps::record_event(
        &mut tx,
        m,
        d.application_id,
        Some(ctx.user.id),
        "decision",
        "Retting av vedtak påbegynt",
        "",
        Some(&decision_path(new_id)),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("decision.correction_created")
            .municipality(m)
            .entity("decision", new_id)
            .details(serde_json::json!({ "replaces": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&decision_path(new_id)).into_response())
}

// ---------------------------------------------------------------------------------------
// The letter

#[derive(Template)]
#[template(path = "decisions/letter.html")]
pub struct LetterPage {
    pub d: Decision,
    pub title: String,
    pub blocks: Vec<crate::letters::Block>,
}

/// The decision's letter as its data stands in `tx` (a draft's preview, or the letter
/// being sent).
pub(crate) async fn compose_letter(
    tx: &mut sqlx::PgConnection,
    d: &Decision,
    today: chrono::NaiveDate,
) -> AppResult<(letter::Letter, String)> {
    let m = d.municipality_id;
    let app = apps::application(tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(tx, m, d.id).await?;
    let head = apps::letterhead(tx, m).await?;
    let types = dwellings::list_items(tx, ListKind::Types, &[m], true).await?;
    let names: HashMap<Uuid, String> = types.into_iter().map(|t| (t.id, t.name)).collect();
    let texts = crate::letters::mandatory::current(tx, m).await?;
    let l = letter::build(d, &points, &app, &head, &names, &texts, today)?;
    let recipient = [
        app.applicant_name.clone(),
        app.applicant_street_address.clone(),
        format!("{} {}", app.applicant_postcode, app.applicant_postal_place),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    Ok((l, recipient))
}

enum LetterSource {
    /// A sent decision's letter is the archived one, exactly as sent.
    Archived(Uuid),
    /// A draft's letter, composed from its current data.
    Live(Box<(Decision, letter::Letter)>),
}

async fn build_letter(ctx: &Ctx, id: Uuid) -> AppResult<LetterSource> {
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let d = repo::decision(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = d.municipality_id;
    if d.status == Status::Sent {
        if let Some(archived) = crate::letters::archive::latest_for(&mut tx, m, id).await? {
            tx.commit().await?;
            return Ok(LetterSource::Archived(archived));
        }
    }
    let (l, _) = compose_letter(&mut tx, &d, ctx.today()).await?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(m, READ_ROLES).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("decision.letter_viewed")
            .municipality(m)
            .entity("decision", id),
    )
    .await?;
    tx.commit().await?;
    Ok(LetterSource::Live(Box::new((d, l))))
}

pub async fn letter_html(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (d, l) = match build_letter(&ctx, id).await? {
        LetterSource::Archived(a) => return Ok(Redirect::to(&format!("/brev/{a}")).into_response()),
        LetterSource::Live(live) => *live,
    };
    render(&LetterPage {
        d,
        title: l.title,
        blocks: l.blocks,
    })
}

pub async fn letter_pdf(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let l = match build_letter(&ctx, id).await? {
        LetterSource::Archived(a) => {
            return Ok(Redirect::to(&format!("/brev/{a}.pdf")).into_response())
        }
        LetterSource::Live(live) => live.1,
    };
    // Typesetting is CPU work: off the async threads, and after the transaction closed.
    let pdf = tokio::task::spawn_blocking(move || {
        crate::letters::pdf::render(&l.title, &l.author, &l.footer, &l.blocks)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"vedtak-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
