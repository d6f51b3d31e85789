//! Changes to a case, one function each. A command takes the write transaction (opened
//! by [`crate::web::load`] on the case's municipality), the actor and a typed input; it
//! checks the rules and the version, makes the change, writes the journal entry and the
//! audit event, and returns an outcome or a [`Refusal`]. It never commits: the handler
//! commits on success and drops the transaction, rolling everything back, on a refusal.

mod interim;
mod reasons;
mod registration;

pub use interim::{mark_interim_sent, save_interim};
pub use reasons::{add_default_reasons, add_reason, set_reason_active, set_reason_kostra_group};
pub use registration::{register, submit_publicly, Registered};

use uuid::Uuid;

use super::model::{
    self, check_transition, label_of, AssessmentForm, DocumentInput, NoteForm, PersonForm, Status,
};
use super::repo::{self, ApplicationDetail};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::forms::FormErrors;
use crate::web::refusal::{Outcome, Refusal};

/// The page of a case.
pub fn case_path(id: Uuid) -> String {
    format!("/soknader/{id}")
}

/// Who a case goes to: a caseworker of its municipality, or nobody.
pub struct Assign {
    pub version: i32,
    pub to: Option<Uuid>,
}

/// Hands the case to a caseworker (or takes it from them).
pub async fn assign(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    input: Assign,
) -> Outcome<()> {
    let m = case.municipality_id;
    // Taking an unassigned case (or one's own) is everybody's; handing a case that has a
    // caseworker to somebody else is the team lead's or the administrator's.
    let own_move = case.caseworker_id.is_none() && input.to == Some(actor.user.id);
    let unchanged = case.caseworker_id == input.to;
    if !own_move && !unchanged && !actor.may(Permission::LeadCases, m) {
        return Err(AppError::Forbidden.into());
    }
    let caseworkers = repo::caseworkers(tx, &[m]).await?;
    let name = match input.to {
        None => None,
        Some(to) => match caseworkers.into_iter().find(|c| c.id == to) {
            Some(c) => Some(c.display_name),
            None => {
                return Err(Refusal::field(
                    "caseworker",
                    "Velg en saksbehandler i kommunen.",
                ))
            }
        },
    };
    if !repo::set_caseworker(tx, m, case.id, input.version, input.to).await? {
        return Err(Refusal::Stale);
    }
    let summary = match name {
        Some(name) => format!("Saken er tildelt {name}"),
        None => "Saken har ikke lenger en ansvarlig saksbehandler".to_string(),
    };
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "assigned",
        &summary,
        "",
        None,
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.assigned")
            .municipality(m)
            .entity("application", case.id)
            .details(serde_json::json!({ "from": case.caseworker_id, "to": input.to })),
    )
    .await?;
    Ok(())
}

/// A status change by hand, as the status form asks for it.
pub struct ChangeStatus {
    pub version: i32,
    /// None when the form named no status the system knows.
    pub to: Option<Status>,
    pub reason: String,
    /// A withdrawal: who said so, when and how.
    pub withdrawn_by: String,
    pub withdrawn_on: String,
    pub withdrawn_how: String,
}

/// Moves the case to another status (never to a decision outcome: that takes a decision).
pub async fn change_status(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    input: ChangeStatus,
) -> Outcome<()> {
    let m = case.municipality_id;
    let stale = input.version != case.version;
    let mut reason = input.reason.trim().to_string();
    let Some(to) = input.to else {
        return Err(if stale {
            Refusal::Stale
        } else {
            Refusal::field("new_status", "Velg ny status.")
        });
    };
    let transition = check_transition(case.status, to, &reason);
    // A decision outcome is refused as such, whatever version the form had; other
    // refusals of a stale form are about a status the case no longer has.
    if let Err(e) = &transition {
        if to.is_decision_outcome() {
            return Err(Refusal::field(e.field.name(), e.message));
        }
    }
    if stale {
        return Err(Refusal::Stale);
    }
    let mut errors = FormErrors::new();
    if let Err(e) = transition {
        errors.add(e.field.name(), e.message);
    }
    if to == Status::Withdrawn {
        match model::parse_withdrawal(
            &input.withdrawn_by,
            &input.withdrawn_on,
            &input.withdrawn_how,
            actor.today,
        ) {
            Ok(w) => reason = format!("{}. {reason}", w.summary()),
            Err(list) => {
                for (field, msg) in list {
                    errors.add(field, msg);
                }
            }
        }
    }
    Refusal::unless_empty(errors)?;
    if !repo::set_status(tx, m, case.id, input.version, to, &reason, actor.today).await? {
        return Err(Refusal::Stale);
    }
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "status_changed",
        &format!(
            "Status endret fra «{}» til «{}»",
            case.status.label(),
            to.label()
        ),
        &reason,
        None,
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.status_changed")
            .municipality(m)
            .entity("application", case.id)
            .details(serde_json::json!({
                "from": case.status.key(), "to": to.key(), "reason": reason,
            })),
    )
    .await?;
    Ok(())
}

/// Saves a new version of the assessment on top of the one the form was based on.
pub async fn add_assessment(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    form: &AssessmentForm,
) -> Outcome<()> {
    let input = form.parse()?;
    let m = case.municipality_id;
    let Some((aid, version)) =
        repo::insert_assessment(tx, m, case.id, &input, actor.user.id).await?
    else {
        return Err(Refusal::Stale);
    };
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "assessment",
        &format!("Kartlegging lagret (versjon {version})"),
        &input.conclusion,
        Some(&format!("{}#kartlegging", case_path(case.id))),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.assessment_saved")
            .municipality(m)
            .entity("assessment", aid)
            .details(serde_json::json!({ "application": case.id, "version": version })),
    )
    .await?;
    Ok(())
}

/// Writes a note or logs a contact in the journal.
pub async fn add_note(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    form: &NoteForm,
) -> Outcome<()> {
    let input = form.parse()?;
    let m = case.municipality_id;
    let eid = repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        input.kind,
        &input.summary,
        &input.body,
        None,
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new(if input.kind == "note" {
            "application.note_added"
        } else {
            "application.contact_logged"
        })
        .municipality(m)
        .entity("application", case.id)
        .details(serde_json::json!({ "event": eid, "summary": input.summary })),
    )
    .await?;
    Ok(())
}

/// Adds a person to the household.
pub async fn add_member(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    version: i32,
    person: &PersonForm,
) -> Outcome<()> {
    let input = model::parse_member(person, actor.today)?;
    let m = case.municipality_id;
    if !repo::bump_version(tx, m, case.id, version).await? {
        return Err(Refusal::Stale);
    }
    let pid = repo::upsert_person(tx, m, &input.person, true).await?;
    if !repo::add_member(tx, m, case.id, pid, &input.relation).await? {
        return Err(Refusal::field(
            "member_national_id_0",
            "Personen er allerede søker eller med i husstanden på denne søknaden.",
        ));
    }
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
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
        tx,
        &actor,
        Event::new("application.member_added")
            .municipality(m)
            .entity("application", case.id)
            .details(serde_json::json!({ "person": pid, "relation": input.relation })),
    )
    .await?;
    Ok(())
}

/// Takes a person out of the household; 404 when they are not in it.
pub async fn remove_member(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    version: i32,
    person: Uuid,
) -> Outcome<()> {
    let m = case.municipality_id;
    if !repo::bump_version(tx, m, case.id, version).await? {
        return Err(Refusal::Stale);
    }
    let Some(name) = repo::remove_member(tx, m, case.id, person).await? else {
        return Err(AppError::NotFound.into());
    };
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "household",
        &format!("{name} fjernet fra husstanden"),
        "",
        None,
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.member_removed")
            .municipality(m)
            .entity("application", case.id)
            .details(serde_json::json!({ "person": person })),
    )
    .await?;
    Ok(())
}

/// Adds an uploaded document to the case; it shows in the journal with a link.
pub async fn add_document(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    upload: &model::Upload,
) -> Outcome<()> {
    let DocumentInput {
        title,
        filename,
        content_type,
    } = model::parse_document(upload)?;
    let m = case.municipality_id;
    let doc = repo::insert_document(
        tx,
        m,
        case.id,
        &title,
        &filename,
        content_type,
        &upload.bytes,
        Some(actor.user.id),
    )
    .await?;
    repo::record_event(
        tx,
        m,
        case.id,
        Some(actor.user.id),
        "document",
        &format!("Dokument lagt til: {title}"),
        "",
        Some(&format!("{}/dokumenter/{doc}", case_path(case.id))),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.document_added")
            .municipality(m)
            .entity("document", doc)
            .details(serde_json::json!({
                "application": case.id, "content_type": content_type, "size": upload.bytes.len(),
            })),
    )
    .await?;
    Ok(())
}
