//! HTTP handlers for caseworkers: registering, the case page and everything done on it.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::commands;
use super::model::{
    self, check_transition, deadline, label_of, mask, ApplicationForm, AssessmentForm, Deadline,
    NoteForm, PersonForm, Status,
};
use super::repo::{self, ApplicationDetail, Assessment, CaseRef, Caseworker, DocumentInfo};
use super::views::{self, Choice};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::auth::Role;
use crate::db;
use crate::db::Tx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Shown;
use crate::web::{render, render_status};

/// Who may see and work on cases: caseworkers, allocation team members and the
/// municipality's administrators (not auditors: they read the audit log, not cases).
pub const CASE_ROLES: &[Role] = crate::auth::policy::CASE_READERS;
/// Who may hand a case that has a caseworker to somebody else.
pub const LEAD_ROLES: &[Role] = &[Role::Team, Role::Admin];

pub fn parse_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub fn case_path(id: Uuid) -> String {
    format!("/soknader/{id}")
}

// ---------------------------------------------------------------------------------------
// Registration

#[derive(Template)]
#[template(path = "applications/new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub municipalities: Vec<MunicipalityRef>,
    pub form: ApplicationForm,
    pub errors: FormErrors,
    pub reasons: Vec<Choice>,
    pub areas: Vec<Choice>,
    pub duplicates: Vec<CaseRef>,
    pub choose_municipality: bool,
    pub v: views::Vocab,
}

/// The municipality a registration goes to: the one chosen on the form, or the only one.
fn target_municipality(ctx: &Ctx, chosen: &str) -> AppResult<Option<MunicipalityRef>> {
    let candidates = ctx.visible_with_role(CASE_ROLES);
    if candidates.is_empty() {
        return Err(AppError::Forbidden);
    }
    if candidates.len() == 1 {
        return Ok(candidates.into_iter().next());
    }
    Ok(candidates.into_iter().find(|m| m.number == chosen))
}

async fn new_page(
    ctx: &Ctx,
    form: ApplicationForm,
    errors: FormErrors,
    duplicates: Vec<CaseRef>,
) -> AppResult<NewPage> {
    let target = target_municipality(ctx, &form.municipality)?;
    let (reasons, areas) = match &target {
        Some(m) => {
            let mut tx = ctx.write_tx(m.id, CASE_ROLES).await?;
            let r = repo::reasons(&mut tx, m.id, true).await?;
            let a = repo::areas(&mut tx, m.id).await?;
            tx.commit().await?;
            (
                r.into_iter()
                    .map(|r| Choice::new(r.id.to_string(), r.name))
                    .collect(),
                a.into_iter()
                    .map(|a| Choice::new(a.id.to_string(), a.name))
                    .collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let municipalities = ctx.visible_with_role(CASE_ROLES);
    let mut form = form;
    if let Some(m) = &target {
        form.municipality = m.number.clone();
    }
    Ok(NewPage {
        layout: Layout::new(ctx, "soknader"),
        choose_municipality: municipalities.len() > 1,
        municipalities,
        form,
        errors,
        reasons,
        areas,
        duplicates,
        v: views::Vocab,
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    kommune: String,
}

pub async fn new_form(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NewQuery>,
) -> AppResult<Response> {
    let form = ApplicationForm {
        municipality: q.kommune,
        received_on: ctx.today().format("%d.%m.%Y").to_string(),
        members: vec![PersonForm::default(); model::MEMBER_ROWS],
        ..Default::default()
    };
    render(&new_page(&ctx, form, FormErrors::new(), Vec::new()).await?)
}

pub async fn create(ctx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let form = ApplicationForm::from_pairs(&pairs);
    let Some(m) = target_municipality(&ctx, &form.municipality)? else {
        let mut errors = FormErrors::new();
        errors.add("municipality", "Velg hvilken kommune søknaden gjelder.");
        let page = new_page(&ctx, form, errors, Vec::new()).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let mut tx = ctx.write_tx(m.id, CASE_ROLES).await?;
    let reasons: Vec<Uuid> = repo::reasons(&mut tx, m.id, true)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let areas: Vec<Uuid> = repo::areas(&mut tx, m.id)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let input = match form.parse(ctx.today(), &reasons, &areas, false) {
        Ok(i) => i,
        Err(errors) => {
            tx.rollback().await?;
            let page = new_page(&ctx, form, errors, Vec::new()).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    // A person with an open application here: make the caseworker confirm.
    if let Some(n) = &input.applicant.national_id {
        let open = repo::open_cases_of_national_id(&mut tx, m.id, n.as_str(), None).await?;
        if !open.is_empty() && !form.confirm_duplicate {
            tx.rollback().await?;
            let page = new_page(&ctx, form, FormErrors::new(), open).await?;
            return render_status(StatusCode::CONFLICT, &page);
        }
    }
    let applicant = repo::upsert_person(&mut tx, m.id, &input.applicant, true).await?;
    let caseworker = ctx
        .user
        .has_role(m.id, Role::Caseworker)
        .then_some(ctx.user.id);
    let (id, case_number) = repo::insert_application(
        &mut tx,
        m.id,
        &input,
        applicant,
        Some(ctx.user.id),
        caseworker,
        false,
    )
    .await?;
    for member in &input.members {
        let person = repo::upsert_person(&mut tx, m.id, &member.person, true).await?;
        repo::add_member(&mut tx, m.id, id, person, &member.relation).await?;
    }
    repo::record_event(
        &mut tx,
        m.id,
        id,
        Some(ctx.user.id),
        "registered",
        &format!(
            "Søknad registrert med saksnummer {case_number} ({})",
            label_of(model::CHANNELS, &input.channel).to_lowercase()
        ),
        "",
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.registered")
            .municipality(m.id)
            .entity("application", id)
            .details(serde_json::json!({
                "case_number": case_number,
                "channel": input.channel,
                "household": input.members.len() + 1,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=registrert", case_path(id))).into_response())
}

// ---------------------------------------------------------------------------------------
// The case page

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    melding: String,
}

#[derive(Default, Clone, Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub new_status: String,
    #[serde(default)]
    pub status_reason: String,
    #[serde(default)]
    pub version: String,
    /// A withdrawal: who said so, when and how.
    #[serde(default)]
    pub withdrawn_by: String,
    #[serde(default)]
    pub withdrawn_on: String,
    #[serde(default)]
    pub withdrawn_how: String,
}

#[derive(Default, Clone, Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub caseworker: String,
    #[serde(default)]
    pub version: String,
}

/// What the user typed into the forms on the case page, kept when one is refused.
#[derive(Default)]
pub struct CaseForms {
    /// Which form the errors belong to: note, assessment, status, assign, member, document.
    pub active: &'static str,
    pub errors: FormErrors,
    pub note: NoteForm,
    pub assessment: Option<AssessmentForm>,
    pub status: StatusForm,
    pub member: PersonForm,
    pub document_title: String,
    pub status_code: Option<StatusCode>,
}

impl CaseForms {
    /// The case page with one form refused: its messages, its status.
    pub fn refused(active: &'static str, shown: Shown) -> Self {
        CaseForms {
            active,
            status_code: shown.status,
            errors: shown.errors,
            ..Default::default()
        }
    }
}

pub struct MemberView {
    pub person_id: Uuid,
    pub name: String,
    pub identity: String,
    pub age: String,
    pub relation: &'static str,
}

pub struct EventView {
    pub at: String,
    pub at_iso: String,
    pub kind: String,
    pub summary: String,
    pub detail: String,
    pub link: Option<String>,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "applications/show.html")]
pub struct CasePage {
    pub layout: Layout,
    pub c: ApplicationDetail,
    pub today: NaiveDate,
    pub deadline: Deadline,
    pub members: Vec<MemberView>,
    pub reasons: Vec<String>,
    pub areas: Vec<String>,
    pub assessments: Vec<Assessment>,
    pub timeline: Vec<EventView>,
    pub decisions: Vec<crate::decisions::repo::Decision>,
    /// Every letter sent in the case, as archived.
    pub letters: Vec<crate::letters::archive::Summary>,
    /// The allocation team's conclusions about this case (meetings).
    pub meeting_conclusions: Vec<crate::meetings::repo::CaseConclusion>,
    pub may_decide: bool,
    pub documents: Vec<DocumentInfo>,
    pub caseworkers: Vec<Caseworker>,
    pub other_open: Vec<CaseRef>,
    pub next_statuses: Vec<Status>,
    pub may_reassign: bool,
    /// Municipality admins handle access requests (innsyn) and may open the export.
    pub may_export: bool,
    pub forms: CaseForms,
    pub no_errors: FormErrors,
    pub assessment_form: AssessmentForm,
    pub notice: String,
    pub show_municipality: bool,
    pub v: views::Vocab,
}

impl NewPage {
    pub fn chosen_name(&self) -> String {
        self.municipalities
            .iter()
            .find(|m| m.number == self.form.municipality)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    }
}

impl CasePage {
    pub fn meeting_day(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        format::date(crate::meetings::model::oslo_date(*t))
    }
    pub fn date(&self, d: &NaiveDate) -> String {
        format::date(*d)
    }
    pub fn opt_date(&self, d: &Option<NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn can_withdraw(&self) -> bool {
        self.next_statuses.contains(&Status::Withdrawn)
    }
    pub fn errors_for(&self, form: &str) -> &FormErrors {
        if self.forms.active == form {
            &self.forms.errors
        } else {
            &self.no_errors
        }
    }
    pub fn national_id(&self) -> String {
        self.c.applicant_national_id.clone().unwrap_or_default()
    }
    pub fn income(&self) -> String {
        self.c
            .monthly_income_ore
            .map(format::kroner)
            .unwrap_or_default()
    }
    pub fn size(&self, bytes: &i32) -> String {
        views::file_size(*bytes as i64)
    }
    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        views::date_time(*t)
    }
    /// The free-text fields of the assessment form: (field, label, value).
    pub fn assessment_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let a = &self.assessment_form;
        vec![
            ("housing_history", "Bohistorikk", a.housing_history.clone()),
            ("independence", "Boevne", a.independence.clone()),
            ("service_needs", "Tjenestebehov", a.service_needs.clone()),
            (
                "health_social",
                "Helse og sosial situasjon",
                a.health_social.clone(),
            ),
            (
                "conclusion",
                "Saksbehandlers konklusjon",
                a.conclusion.clone(),
            ),
        ]
    }
    pub fn is_assigned(&self, id: &Uuid) -> bool {
        self.c.caseworker_id.as_ref() == Some(id)
    }
    pub fn applicant_masked(&self) -> String {
        match (&self.c.applicant_national_id, self.c.applicant_birth_date) {
            (Some(n), _) => mask(Some(n)),
            (None, Some(b)) => format!("f. {}", format::date(b)),
            _ => String::new(),
        }
    }
    pub fn applicant_age(&self) -> String {
        self.c
            .applicant_birth_date
            .map(|b| format!("{} år", model::age(b, self.today)))
            .unwrap_or_default()
    }
    pub fn due(&self) -> String {
        format::date(self.c.interim_due_on)
    }
}

pub(super) async fn case_page(
    ctx: &Ctx,
    id: Uuid,
    forms: CaseForms,
    notice: &str,
    audit_view: bool,
) -> AppResult<CasePage> {
    let (mut tx, munis) = ctx.read_tx(CASE_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let c = repo::application(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = c.municipality_id;
    let today = ctx.today();
    let members = repo::members(&mut tx, m, id)
        .await?
        .into_iter()
        .map(|p| MemberView {
            person_id: p.person_id,
            identity: match (&p.national_id, p.birth_date) {
                (Some(n), _) => mask(Some(n)),
                (None, Some(b)) => format!("f. {}", format::date(b)),
                _ => String::new(),
            },
            age: p
                .birth_date
                .map(|b| format!("{} år", model::age(b, today)))
                .unwrap_or_default(),
            relation: label_of(model::RELATIONS, &p.relation),
            name: p.name,
        })
        .collect();
    let reasons = repo::reason_names(&mut tx, m, id).await?;
    let areas = repo::area_names(&mut tx, m, &c.wished_area_ids).await?;
    let assessments = repo::assessments(&mut tx, m, id).await?;
    let timeline = repo::timeline(&mut tx, m, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: views::date_time(e.at),
            at_iso: e.at.to_rfc3339(),
            kind: e.kind,
            summary: e.summary,
            detail: e.detail,
            link: e.link,
            actor: e
                .actor_name
                .unwrap_or_else(|| "Søker (digitalt skjema)".into()),
        })
        .collect();
    let documents = repo::documents(&mut tx, m, id).await?;
    let decisions = crate::decisions::repo::decisions_of_application(&mut tx, m, id).await?;
    let meeting_conclusions =
        crate::meetings::repo::conclusions_for_application(&mut tx, m, id).await?;
    let letters = crate::letters::archive::of_application(&mut tx, m, id).await?;
    let caseworkers = repo::caseworkers(&mut tx, &[m]).await?;
    let other_open = match &c.applicant_national_id {
        Some(n) => repo::open_cases_of_national_id(&mut tx, m, n, Some(id)).await?,
        None => Vec::new(),
    };
    if audit_view {
        audit::record(
            &mut tx,
            ctx,
            Event::new("application.viewed")
                .municipality(m)
                .entity("application", id)
                .details(serde_json::json!({ "case_number": c.case_number })),
        )
        .await?;
    }
    tx.commit().await?;
    let assessment_form = forms
        .assessment
        .clone()
        .unwrap_or_else(|| match assessments.first() {
            Some(a) => AssessmentForm {
                housing_history: a.housing_history.clone(),
                independence: a.independence.clone(),
                independence_level: a.independence_level.clone(),
                service_needs: a.service_needs.clone(),
                health_social: a.health_social.clone(),
                conclusion: a.conclusion.clone(),
                based_on: a.version_no.to_string(),
            },
            None => AssessmentForm {
                based_on: "0".into(),
                ..Default::default()
            },
        });
    Ok(CasePage {
        layout: Layout::new(ctx, "soknader"),
        deadline: deadline(c.status, c.interim_sent_on, c.interim_due_on, today),
        next_statuses: c.status.by_hand(),
        may_reassign: ctx.user.has_any_role(m, LEAD_ROLES),
        may_export: ctx.user.has_role(m, crate::auth::Role::Admin),
        show_municipality: ctx.visible_municipalities().len() > 1,
        c,
        today,
        members,
        reasons,
        areas,
        assessments,
        timeline,
        letters,
        may_decide: ctx
            .user
            .has_any_role(m, crate::decisions::handlers::WRITE_ROLES),
        decisions,
        meeting_conclusions,
        documents,
        caseworkers,
        other_open,
        forms,
        no_errors: FormErrors::new(),
        assessment_form,
        notice: notice.to_owned(),
        v: views::Vocab,
    })
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let notice: String = q.melding.chars().take(30).collect();
    render(&case_page(&ctx, id, CaseForms::default(), &notice, true).await?)
}

/// Re-renders the case page with one form's errors (422) or a conflict (409).
async fn refuse(ctx: &Ctx, id: Uuid, forms: CaseForms) -> AppResult<Response> {
    let status = forms
        .status_code
        .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let page = case_page(ctx, id, forms, "", false).await?;
    render_status(status, &page)
}

/// Re-renders the case page after a stale edit (409): nothing saved, input kept.
async fn conflict(ctx: &Ctx, id: Uuid, mut forms: CaseForms) -> AppResult<Response> {
    forms.errors.general = Some(conflict_message());
    forms.status_code = Some(StatusCode::CONFLICT);
    refuse(ctx, id, forms).await
}

fn conflict_message() -> String {
    "Saken ble endret av noen andre mens du arbeidet. Ingenting er lagret, men det du skrev står fortsatt i skjemaet. \
     Se over saken slik den er nå, og send inn på nytt."
        .into()
}

/// Opens a write transaction on the case's municipality; 404 when the user cannot see it.
pub(super) async fn case_tx(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, Uuid)> {
    let (mut tx, munis) = ctx.read_tx(CASE_ROLES).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let m = repo::municipality_of(&mut tx, &visible, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok((ctx.write_tx(m, CASE_ROLES).await?, m))
}

// ---------------------------------------------------------------------------------------
// Status and assignment

pub async fn change_status(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let current = repo::application(&mut tx, &[m], id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    let mut errors = FormErrors::new();
    let to = Status::from_key(&form.new_status);
    let mut reason = form.status_reason.trim().to_string();
    match to {
        None => errors.add("new_status", "Velg ny status."),
        Some(to) => {
            if let Err(e) = check_transition(current.status, to, &reason) {
                // A refused outcome stands even on a stale form; other refusals of a
                // stale form are about a status the case no longer has.
                if e.field == "status_reason"
                    || version == current.version
                    || to.is_decision_outcome()
                {
                    errors.add(e.field, e.message);
                }
            }
            if to == Status::Withdrawn && version == current.version {
                match model::parse_withdrawal(
                    &form.withdrawn_by,
                    &form.withdrawn_on,
                    &form.withdrawn_how,
                    ctx.today(),
                ) {
                    Ok(w) => reason = format!("{}. {reason}", w.summary()),
                    Err(list) => {
                        for (field, msg) in list {
                            errors.add(field, msg);
                        }
                    }
                }
            }
        }
    }
    // A decision outcome is refused as such (422), whatever version the form had.
    let stale = version != current.version && !to.is_some_and(Status::is_decision_outcome);
    if stale || !errors.is_empty() {
        tx.rollback().await?;
        if stale {
            errors.general = Some(conflict_message());
        }
        let forms = CaseForms {
            active: "status",
            errors,
            status: form,
            status_code: stale.then_some(StatusCode::CONFLICT),
            ..Default::default()
        };
        return refuse(&ctx, id, forms).await;
    }
    let to = to.unwrap_or(current.status);
    if !repo::set_status(&mut tx, m, id, version, to, &reason, ctx.today()).await? {
        tx.rollback().await?;
        let forms = CaseForms {
            active: "status",
            status: form,
            ..Default::default()
        };
        return conflict(&ctx, id, forms).await;
    }
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "status_changed",
        &format!(
            "Status endret fra «{}» til «{}»",
            current.status.label(),
            to.label()
        ),
        &reason,
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.status_changed")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({
                "from": current.status.key(), "to": to.key(), "reason": reason,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=status#status", case_path(id))).into_response())
}

pub async fn assign(ctx: Ctx, Id(id): Id, Form(form): Form<AssignForm>) -> AppResult<Response> {
    let (mut tx, case) = ctx
        .load_for_write::<ApplicationDetail>(Permission::ReadCases, Permission::ReadCases, id)
        .await?;
    let to = match form.caseworker.as_str() {
        "" => None,
        "meg" => Some(ctx.user.id),
        other => Some(extract::parse_id(other)?),
    };
    let input = commands::Assign {
        version: extract::version(&form.version),
        to,
    };
    let outcome = commands::assign(&mut tx, ctx.actor(), &case, input).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?melding=tildelt", case_path(id))).into_response()),
        Err(refusal) => refuse(&ctx, id, CaseForms::refused("assign", refusal.shown()?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Assessment, notes and contacts, household

pub async fn add_assessment(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<AssessmentForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            let forms = CaseForms {
                active: "assessment",
                errors,
                assessment: Some(form),
                ..Default::default()
            };
            return refuse(&ctx, id, forms).await;
        }
    };
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let Some((aid, version)) = repo::insert_assessment(&mut tx, m, id, &input, ctx.user.id).await?
    else {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.general = Some(
            "En kollega har lagret en nyere versjon av kartleggingen mens du arbeidet. Din tekst er ikke lagret, \
             men står i skjemaet. Se over den nyeste versjonen og lagre på nytt."
                .into(),
        );
        let mut kept = form;
        // Saving again builds on the version that is there now.
        let (mut rtx, _) = case_tx(&ctx, id).await?;
        let latest = repo::assessments(&mut rtx, m, id)
            .await?
            .first()
            .map(|a| a.version_no)
            .unwrap_or(0);
        rtx.commit().await?;
        kept.based_on = latest.to_string();
        let forms = CaseForms {
            active: "assessment",
            errors,
            assessment: Some(kept),
            status_code: Some(StatusCode::CONFLICT),
            ..Default::default()
        };
        return refuse(&ctx, id, forms).await;
    };
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "assessment",
        &format!("Kartlegging lagret (versjon {version})"),
        &input.conclusion,
        Some(&format!("{}#kartlegging", case_path(id))),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.assessment_saved")
            .municipality(m)
            .entity("assessment", aid)
            .details(serde_json::json!({ "application": id, "version": version })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "{}?melding=kartlegging#kartlegging",
        case_path(id)
    ))
    .into_response())
}

pub async fn add_note(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            let forms = CaseForms {
                active: "note",
                errors,
                note: form,
                ..Default::default()
            };
            return refuse(&ctx, id, forms).await;
        }
    };
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let eid = repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        input.kind,
        &input.summary,
        &input.body,
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new(if input.kind == "note" {
            "application.note_added"
        } else {
            "application.contact_logged"
        })
        .municipality(m)
        .entity("application", id)
        .details(serde_json::json!({ "event": eid, "summary": input.summary })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=journal#journal", case_path(id))).into_response())
}

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    member_name_0: String,
    #[serde(default)]
    member_national_id_0: String,
    #[serde(default)]
    member_birth_date_0: String,
    #[serde(default)]
    member_relation_0: String,
    #[serde(default)]
    version: String,
}

pub async fn add_member(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let person = PersonForm {
        name: form.member_name_0,
        national_id: form.member_national_id_0,
        birth_date: form.member_birth_date_0,
        relation: form.member_relation_0,
        ..Default::default()
    };
    let input = match model::parse_member(&person, ctx.today()) {
        Ok(i) => i,
        Err(errors) => {
            let forms = CaseForms {
                active: "member",
                errors,
                member: person,
                ..Default::default()
            };
            return refuse(&ctx, id, forms).await;
        }
    };
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    if !repo::bump_version(&mut tx, m, id, version).await? {
        tx.rollback().await?;
        let forms = CaseForms {
            active: "member",
            member: person,
            ..Default::default()
        };
        return conflict(&ctx, id, forms).await;
    }
    let pid = repo::upsert_person(&mut tx, m, &input.person, true).await?;
    if !repo::add_member(&mut tx, m, id, pid, &input.relation).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::new();
        errors.add(
            "member_national_id_0",
            "Personen er allerede søker eller med i husstanden på denne søknaden.",
        );
        let forms = CaseForms {
            active: "member",
            errors,
            member: person,
            ..Default::default()
        };
        return refuse(&ctx, id, forms).await;
    }
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "household",
        &format!(
            "{} lagt til i husstanden ({})",
            input.person.name,
            label_of(model::RELATIONS, &input.relation).to_lowercase()
        ),
        "",
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.member_added")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({ "person": pid, "relation": input.relation })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=husstand#husstand", case_path(id))).into_response())
}

#[derive(Deserialize, Default)]
pub struct VersionForm {
    #[serde(default)]
    pub version: String,
}

pub async fn remove_member(
    ctx: Ctx,
    Path((id, person)): Path<(String, String)>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let person = parse_id(&person)?;
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    if !repo::bump_version(&mut tx, m, id, version).await? {
        tx.rollback().await?;
        let forms = CaseForms {
            active: "member",
            ..Default::default()
        };
        return conflict(&ctx, id, forms).await;
    }
    let Some(name) = repo::remove_member(&mut tx, m, id, person).await? else {
        return Err(AppError::NotFound);
    };
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "household",
        &format!("{name} fjernet fra husstanden"),
        "",
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.member_removed")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({ "person": person })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=husstand#husstand", case_path(id))).into_response())
}
