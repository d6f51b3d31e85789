//! HTTP handlers for caseworkers: registering, the case page and everything done on it.

use askama::Template;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::commands::{self, case_path};
use super::model::{
    self, deadline, label_of, mask, ApplicationForm, AssessmentForm, Deadline, NoteForm,
    PersonForm, Status,
};
use super::repo::{self, ApplicationDetail, Assessment, CaseRef, Caseworker, DocumentInfo};
use super::views::{self, Choice};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id, Ids};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::{Outcome, Shown};
use crate::web::{render, render_status};

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
    let candidates = ctx.visible_with_role(Permission::ReadCases);
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
            let mut tx = ctx.write_tx(m.id, Permission::ReadCases).await?;
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
    let municipalities = ctx.visible_with_role(Permission::ReadCases);
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
    let mut tx = ctx.write_tx(m.id, Permission::ReadCases).await?;
    let outcome = commands::register(&mut tx, ctx.actor(), m.id, &form).await;
    match db::commit(tx, outcome).await {
        Ok(commands::Registered::Saved(id)) => {
            Ok(Redirect::to(&format!("{}?melding=registrert", case_path(id))).into_response())
        }
        Ok(commands::Registered::OpenCases(open)) => {
            let page = new_page(&ctx, form, FormErrors::new(), open).await?;
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let page = new_page(&ctx, form, shown.errors, Vec::new()).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
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

    /// What the case waits for now, and where on this page (or elsewhere) that is done:
    /// the case page's "Neste steg" panel. The first that applies wins, most urgent first.
    pub fn next_step(&self) -> (String, String, String) {
        let id = self.c.id;
        let undecided = Status::UNDECIDED.contains(&self.c.status);
        let step = |text: &str, link: &str, href: String| (text.to_owned(), link.to_owned(), href);
        if undecided && matches!(self.deadline, Deadline::Overdue | Deadline::Due) {
            return step(
                &format!(
                    "Foreløpig svar skulle vært sendt senest {} (forvaltningsloven § 11a).",
                    self.due()
                ),
                "Lag foreløpig svar",
                format!("/soknader/{id}/forelopig-svar"),
            );
        }
        let open_decision = self.decisions.iter().find(|d| {
            d.replaced_by_id.is_none()
                && matches!(
                    d.status,
                    crate::decisions::model::Status::Draft
                        | crate::decisions::model::Status::ReadyForApproval
                )
        });
        if let Some(d) = open_decision {
            let waiting = d.status == crate::decisions::model::Status::ReadyForApproval;
            return step(
                if waiting {
                    "Vedtaket venter på godkjenning og utsending."
                } else {
                    "Et utkast til vedtak er påbegynt."
                },
                if waiting {
                    "Gå til vedtaket"
                } else {
                    "Fortsett på vedtaket"
                },
                format!("/vedtak/{}", d.id),
            );
        }
        match self.c.status {
            Status::Received | Status::UnderAssessment if self.c.caseworker_id.is_none() => step(
                "Saken har ingen saksbehandler.",
                "Tildel saksbehandler",
                "#tildeling".into(),
            ),
            Status::Received | Status::UnderAssessment if self.assessments.is_empty() => step(
                "Søknaden er ikke kartlagt.",
                "Kartlegg søknaden",
                "#kartlegging".into(),
            ),
            Status::Received | Status::UnderAssessment => step(
                "Søknaden er kartlagt. Skriv vedtak, eller sett saken klar for tildelingsmøte.",
                "Endre status",
                "#status-skjema".into(),
            ),
            Status::ReadyForMeeting => step(
                "Saken venter på tildelingsmøtet.",
                "Se møtene",
                "/moter".into(),
            ),
            Status::Approved | Status::PartlyApproved | Status::WaitingList => step(
                "Søkeren venter på en ledig bolig.",
                "Boliger som passer søkeren",
                format!("/soknader/{id}/boliger"),
            ),
            Status::Offered => step(
                "Søkeren har fått tilbud og venter på å svare.",
                "Se tilbudet",
                format!("/soknader/{id}/boliger"),
            ),
            Status::Housed
            | Status::Rejected
            | Status::Withdrawn
            | Status::ClosedWithoutDecision => {
                step("Saken er avsluttet.", "Se tidslinjen", "#tidslinje".into())
            }
        }
    }
}

pub(super) async fn case_page(
    ctx: &Ctx,
    id: Uuid,
    forms: CaseForms,
    notice: &str,
    audit_view: bool,
) -> AppResult<CasePage> {
    let (mut tx, c) = ctx
        .load::<ApplicationDetail>(Permission::ReadCases, id)
        .await?;
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
    let mut assessment_form = forms.assessment.clone();
    if let (Some(kept), true) = (
        &mut assessment_form,
        forms.status_code == Some(StatusCode::CONFLICT),
    ) {
        // Saving again builds on the version that is there now.
        kept.based_on = assessments.first().map_or(0, |a| a.version_no).to_string();
    }
    let assessment_form = assessment_form.unwrap_or_else(|| match assessments.first() {
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
        may_reassign: ctx.may(Permission::LeadCases, m),
        may_export: ctx.may(Permission::Administer, m),
        show_municipality: ctx.visible_municipalities().len() > 1,
        c,
        today,
        members,
        reasons,
        areas,
        assessments,
        timeline,
        letters,
        may_decide: ctx.may(Permission::WriteDecisions, m),
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
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> AppResult<Response> {
    let notice: String = q.melding.chars().take(30).collect();
    render(&case_page(&ctx, id, CaseForms::default(), &notice, true).await?)
}

/// Re-renders the case page with one form's errors (422) or a conflict (409).
pub(super) async fn refuse(ctx: &Ctx, id: Uuid, forms: CaseForms) -> AppResult<Response> {
    let status = forms
        .status_code
        .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let page = case_page(ctx, id, forms, "", false).await?;
    render_status(status, &page)
}

/// The case in a write transaction on its municipality: 404 when the user cannot see it.
pub(super) async fn load_case(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, ApplicationDetail)> {
    ctx.load_for_write::<ApplicationDetail>(Permission::ReadCases, Permission::ReadCases, id)
        .await
}

/// Ends a change made on the case page: committed, then back to the case at `anchor`
/// with the notice `melding`; or the page again with the refused form (`active`), where
/// `keep` puts back what the user typed.
async fn finish(
    ctx: &Ctx,
    tx: Tx,
    outcome: Outcome<()>,
    id: Uuid,
    melding: &str,
    active: &'static str,
    keep: impl FnOnce(&mut CaseForms),
) -> AppResult<Response> {
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?melding={melding}", case_path(id))).into_response()),
        Err(refusal) => {
            let mut forms = CaseForms::refused(active, refusal.shown()?);
            keep(&mut forms);
            refuse(ctx, id, forms).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Status and assignment

pub async fn change_status(
    ctx: Ctx,
    Id(id): Id,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let input = commands::ChangeStatus {
        version: extract::version(&form.version),
        to: Status::from_key(&form.new_status),
        reason: form.status_reason.clone(),
        withdrawn_by: form.withdrawn_by.clone(),
        withdrawn_on: form.withdrawn_on.clone(),
        withdrawn_how: form.withdrawn_how.clone(),
    };
    let outcome = commands::change_status(&mut tx, ctx.actor(), &case, input).await;
    finish(&ctx, tx, outcome, id, "status#status", "status", |f| {
        f.status = form
    })
    .await
}

pub async fn assign(ctx: Ctx, Id(id): Id, Form(form): Form<AssignForm>) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
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
    finish(&ctx, tx, outcome, id, "tildelt", "assign", |_| ()).await
}

// ---------------------------------------------------------------------------------------
// Assessment, notes and contacts, household

pub async fn add_assessment(
    ctx: Ctx,
    Id(id): Id,
    Form(form): Form<AssessmentForm>,
) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let outcome = commands::add_assessment(&mut tx, ctx.actor(), &case, &form).await;
    finish(
        &ctx,
        tx,
        outcome,
        id,
        "kartlegging#kartlegging",
        "assessment",
        |f| f.assessment = Some(form),
    )
    .await
}

pub async fn add_note(ctx: Ctx, Id(id): Id, Form(form): Form<NoteForm>) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let outcome = commands::add_note(&mut tx, ctx.actor(), &case, &form).await;
    finish(&ctx, tx, outcome, id, "journal#journal", "note", |f| {
        f.note = form
    })
    .await
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

pub async fn add_member(ctx: Ctx, Id(id): Id, Form(form): Form<MemberForm>) -> AppResult<Response> {
    let person = PersonForm {
        name: form.member_name_0,
        national_id: form.member_national_id_0,
        birth_date: form.member_birth_date_0,
        relation: form.member_relation_0,
        ..Default::default()
    };
    let (mut tx, case) = load_case(&ctx, id).await?;
    let version = extract::version(&form.version);
    let outcome = commands::add_member(&mut tx, ctx.actor(), &case, version, &person).await;
    finish(&ctx, tx, outcome, id, "husstand#husstand", "member", |f| {
        f.member = person
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct VersionForm {
    #[serde(default)]
    pub version: String,
}

pub async fn remove_member(
    ctx: Ctx,
    Ids(id, person): Ids,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    let (mut tx, case) = load_case(&ctx, id).await?;
    let version = extract::version(&form.version);
    let outcome = commands::remove_member(&mut tx, ctx.actor(), &case, version, person).await;
    finish(&ctx, tx, outcome, id, "husstand#husstand", "member", |_| ()).await
}
