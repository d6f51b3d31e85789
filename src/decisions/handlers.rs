//! HTTP handlers for writing, approving, sending and correcting decisions: extract the
//! form, load the decision with `Ctx::load_for_write`, call the command
//! ([`super::commands`]) and commit, or show the form again with why it was refused.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Form;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands;
use super::forms::{self, field, Fields};
use super::letter;
use super::model::{missing_for_dispatch, DecisionFacts, PointFacts, Status};
use super::repo::{self, Appeal, Decision, Kind, Paragraph, Point};
use crate::applications::repo::{self as apps, ApplicationDetail};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::dwellings::repo::{self as dwellings, ListKind};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id, Ids};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

pub fn decision_path(id: Uuid) -> String {
    format!("/vedtak/{id}")
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

pub async fn create(ctx: Ctx, Id(app_id): Id) -> AppResult<Response> {
    let (mut tx, app) = ctx
        .load_for_write::<ApplicationDetail>(
            Permission::ReadCases,
            Permission::WriteDecisions,
            app_id,
        )
        .await?;
    let outcome = commands::create(&mut tx, ctx.actor(), &app).await;
    let id = db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to(&decision_path(id)).into_response())
}

/// A refusal of a change that has no form of its own (starting or correcting a
/// decision): such a command refuses only with an error page (404, 403, 409).
pub(super) fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::Error(e) => e,
        Refusal::Stale | Refusal::Conflict(_) | Refusal::Invalid(_) => AppError::Conflict,
    }
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
    let (mut tx, d) = ctx.load::<Decision>(Permission::ReadCases, id).await?;
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
        let mut tx = ctx.write_tx(m, Permission::ReadCases).await?;
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
    let can_write = ctx.may(Permission::WriteDecisions, m);
    let four_eyes = settings.decisions_need_second_approver;
    // With four eyes, the approver is neither the author nor who submitted it.
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
    let (grounds_form, errors) = forms
        .grounds
        .unwrap_or_else(|| (grounds_fields(&d), FormErrors::new()));
    let today = ctx.today();
    let (dispatch_form, dispatch_errors) = forms
        .dispatch
        .unwrap_or_else(|| (dispatch_fields(today), FormErrors::new()));
    let (appeal_form, appeal_errors) = forms.appeal.unwrap_or_default();
    let (request_form, request_errors) = forms.grounds_request.unwrap_or_default();
    // fvl. § 29 second paragraph: no deadline runs while requested grounds are awaited.
    let interrupted = d.grounds_requested_on.is_some() && d.grounds_given_on.is_none();
    Ok(DecisionPage {
        layout: Layout::new(ctx, "soknader"),
        points: point_views(points, &type_names, interrupted),
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

/// The points as the page lists them: dwelling types by name, and the deadline (or why
/// none runs).
fn point_views(
    points: Vec<Point>,
    type_names: &HashMap<Uuid, String>,
    interrupted: bool,
) -> Vec<PointView> {
    points
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
        .collect()
}

/// The grounds form as saved.
fn grounds_fields(d: &Decision) -> Fields {
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
    f
}

/// The dispatch form before anything is typed: sent today, digitally.
fn dispatch_fields(today: chrono::NaiveDate) -> Fields {
    let mut f = Fields::new();
    f.insert("dispatched_on".into(), format::date(today));
    f.insert("channel".into(), "digital".into());
    f
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
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> AppResult<Response> {
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

pub(super) fn back(id: Uuid, melding: &str) -> Response {
    Redirect::to(&format!("{}?melding={melding}", decision_path(id))).into_response()
}

/// The decision and its write transaction: readers may look, writers may change.
pub(super) async fn load(ctx: &Ctx, id: Uuid) -> AppResult<(db::Tx, Decision)> {
    ctx.load_for_write::<Decision>(Permission::ReadCases, Permission::WriteDecisions, id)
        .await
}

/// Commits the change and goes back to the decision with `melding`, or shows the page
/// again with the refused form (`place` puts the messages on it) and its status.
pub(super) async fn finish(
    ctx: &Ctx,
    id: Uuid,
    tx: db::Tx,
    outcome: crate::web::refusal::Outcome<()>,
    melding: &str,
    place: impl FnOnce(FormErrors) -> Forms,
) -> AppResult<Response> {
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(back(id, melding)),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            refuse(ctx, id, place(shown.errors), status).await
        }
    }
}

impl Forms {
    /// The dispatch (workflow) form, as typed, with its messages.
    fn dispatch(f: Fields) -> impl FnOnce(FormErrors) -> Forms {
        move |e| Forms {
            dispatch: Some((f, e)),
            ..Default::default()
        }
    }
    fn grounds(f: Fields) -> impl FnOnce(FormErrors) -> Forms {
        move |e| Forms {
            grounds: Some((f, e)),
            ..Default::default()
        }
    }
}

fn version_of(f: &Fields) -> i32 {
    extract::version(field(f, "version"))
}

// ---------------------------------------------------------------------------------------
// Points and grounds

pub async fn save_point(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let editing = Uuid::parse_str(field(&f, "point_id")).ok();
    let (mut tx, d) = load(&ctx, id).await?;
    let input = commands::SavePoint {
        version: version_of(&f),
        editing,
        form: &f,
    };
    let outcome = commands::save_point(&mut tx, ctx.actor(), &d, input).await;
    finish(&ctx, id, tx, outcome, "punkt", |e| Forms {
        point_form: Some((f, editing, e)),
        ..Default::default()
    })
    .await
}

pub async fn delete_point(
    ctx: Ctx,
    Ids(id, pid): Ids,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let outcome = commands::delete_point(&mut tx, ctx.actor(), &d, version_of(&f), pid).await;
    finish(
        &ctx,
        id,
        tx,
        outcome,
        "slettet",
        Forms::grounds(Fields::new()),
    )
    .await
}

/// Saves the grounds; when the caseworker asked to insert a standard paragraph, it is
/// appended (placeholders filled from the case) and the page shown again.
pub async fn save_grounds(ctx: Ctx, Id(id): Id, Form(mut f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let input = commands::SaveGrounds {
        version: version_of(&f),
        form: &mut f,
    };
    let outcome = commands::save_grounds(&mut tx, ctx.actor(), &d, input).await;
    finish(
        &ctx,
        id,
        tx,
        outcome,
        "begrunnelse#begrunnelse",
        Forms::grounds(f),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Workflow

pub async fn submit(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let outcome = commands::submit(&mut tx, ctx.actor(), &d, version_of(&f)).await;
    finish(&ctx, id, tx, outcome, "til-godkjenning", Forms::dispatch(f)).await
}

pub async fn reopen(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let outcome = commands::reopen(&mut tx, ctx.actor(), &d, version_of(&f)).await;
    finish(&ctx, id, tx, outcome, "utkast", Forms::dispatch(f)).await
}

/// Approves and sends: records dispatch and notification, computes each point's appeal
/// deadline, locks the decision and moves the case on.
pub async fn send(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let input = commands::Send {
        version: version_of(&f),
        dispatch: forms::parse_dispatch(&f, ctx.today()),
    };
    let outcome = commands::send(&mut tx, ctx.actor(), &d, input).await;
    finish(&ctx, id, tx, outcome, "sendt", Forms::dispatch(f)).await
}

/// A sent decision is never changed: a correction is a new decision that replaces it.
pub async fn correct(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, d) = load(&ctx, id).await?;
    let outcome = commands::correct(&mut tx, ctx.actor(), &d).await;
    let new_id = db::commit(tx, outcome).await.map_err(refused)?;
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

enum LetterSource {
    /// A sent decision's letter is the archived one, exactly as sent.
    Archived(Uuid),
    /// A draft's letter, composed from its current data.
    Live(Box<(Decision, letter::Letter)>),
}

async fn build_letter(ctx: &Ctx, id: Uuid) -> AppResult<LetterSource> {
    let (mut tx, d) = ctx.load::<Decision>(Permission::ReadCases, id).await?;
    let m = d.municipality_id;
    if d.status == Status::Sent {
        if let Some(archived) = crate::letters::archive::latest_for(&mut tx, m, id).await? {
            tx.commit().await?;
            return Ok(LetterSource::Archived(archived));
        }
    }
    let (l, _) = letter::compose(&mut tx, &d, ctx.today()).await?;
    tx.commit().await?;
    let mut tx = ctx.write_tx(m, Permission::ReadCases).await?;
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

pub async fn letter_html(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
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

pub async fn letter_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
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
