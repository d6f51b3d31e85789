//! New applications: registered by staff, or submitted through the public form.

use uuid::Uuid;

use super::super::model::{self, label_of, ApplicationForm, ApplicationInput};
use super::super::repo::{self, CaseRef};
use crate::audit::{self, Event};
use crate::auth::Role;
use crate::db::Tx;
use crate::web::ctx::{Actor, RequestMeta};
use crate::web::refusal::Outcome;

/// What a registration came to.
pub enum Registered {
    /// The new case.
    Saved(Uuid),
    /// Nothing saved: the applicant has these open applications here, and the caseworker
    /// has not confirmed that a new one is meant.
    OpenCases(Vec<CaseRef>),
}

/// The application, its applicant and household; (id, case number). Staff update known
/// persons with what they typed; the public form never does.
async fn insert_case(
    tx: &mut Tx,
    m: Uuid,
    input: &ApplicationInput,
    created_by: Option<Uuid>,
    caseworker: Option<Uuid>,
    public: bool,
) -> sqlx::Result<(Uuid, String)> {
    let applicant = repo::upsert_person(tx, m, &input.applicant, !public).await?;
    let (id, case_number) =
        repo::insert_application(tx, m, input, applicant, created_by, caseworker, public).await?;
    for member in &input.members {
        let person = repo::upsert_person(tx, m, &member.person, !public).await?;
        repo::add_member(tx, m, id, person, &member.relation).await?;
    }
    Ok((id, case_number))
}

/// Registers an application in municipality `m`, as typed by staff. A caseworker who
/// registers it becomes its caseworker.
pub async fn register(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    form: &ApplicationForm,
) -> Outcome<Registered> {
    let reasons: Vec<Uuid> = repo::reasons(tx, m, true)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let areas: Vec<Uuid> = repo::areas(tx, m)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let input = form.parse(actor.today, &reasons, &areas, false)?;
    // A person with an open application here: make the caseworker confirm.
    if let Some(n) = &input.applicant.national_id {
        let open = repo::open_cases_of_national_id(tx, m, n.as_str(), None).await?;
        if !open.is_empty() && !form.confirm_duplicate {
            return Ok(Registered::OpenCases(open));
        }
    }
    let caseworker = actor
        .user
        .has_role(m, Role::Caseworker)
        .then_some(actor.user.id);
    let (id, case_number) =
        insert_case(tx, m, &input, Some(actor.user.id), caseworker, false).await?;
    repo::record_event(
        tx,
        m,
        id,
        Some(actor.user.id),
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
        tx,
        &actor,
        Event::new("application.registered")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({
                "case_number": case_number,
                "channel": input.channel,
                "household": input.members.len() + 1,
            })),
    )
    .await?;
    Ok(Registered::Saved(id))
}

/// Saves an application sent through the public form (no login) in municipality `m`;
/// returns its case number. `verified`: the applicant's identity came from ID-porten.
pub async fn submit_publicly(
    tx: &mut Tx,
    meta: &RequestMeta,
    m: Uuid,
    input: &ApplicationInput,
    verified: bool,
) -> Outcome<String> {
    let (id, case_number) = insert_case(tx, m, input, None, None, true).await?;
    let a = &input.applicant;
    let contact = format!(
        "Kontaktopplysninger oppgitt i skjemaet: telefon {}, e-post {}, adresse {} {} {}",
        or_dash(&a.phone),
        or_dash(&a.email),
        or_dash(&a.street_address),
        a.postcode,
        a.postal_place
    );
    repo::record_event(
        tx,
        m,
        id,
        None,
        "registered",
        &format!("Søknad mottatt via digitalt skjema, saksnummer {case_number}"),
        &contact,
        None,
    )
    .await?;
    audit::record_as(
        tx,
        None,
        meta,
        Event::new("application.submitted_publicly")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({
                "case_number": case_number,
                "household": input.members.len() + 1,
                "verified": verified,
            })),
    )
    .await?;
    Ok(case_number)
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "–"
    } else {
        s
    }
}
