//! Planning a meeting: creating, editing, sending the agenda, cancelling.

use crate::db::Tx;
use crate::meetings::model::{self, MeetingForm, ValidMeeting};
use crate::meetings::repo::{self, Invitable, MeetingRow};
use crate::web::ctx::Actor;
use crate::web::forms::{text, FormErrors};
use crate::web::refusal::{Outcome, Refusal};
use uuid::Uuid;

use super::{audit_parts, participants_of, Done};

/// A meeting as planned: checked against the municipalities the organiser plans for, with
/// the invited users' names.
pub struct Plan {
    pub meeting: ValidMeeting,
    pub people: Vec<Invitable>,
}

/// Plans a meeting: the new one, or the one the organiser planned just now (a double
/// submit).
pub async fn create(tx: &mut Tx, actor: Actor<'_>, input: Plan) -> Outcome<Uuid> {
    let v = input.meeting;
    // Invited users must work in the meeting's own municipalities.
    if v.users
        .iter()
        .any(|u| !input.people.iter().any(|p| p.id == *u))
    {
        return Err(Refusal::field(
            "users",
            "Noen av deltakerne arbeider ikke i kommunene møtet gjelder. Velg deltakere fra disse kommunene.",
        ));
    }
    let participants = participants_of(&v.users, &input.people, v.external.clone(), &[]);
    if let Some(first) =
        repo::just_planned(tx, actor.user.id, &v.title, v.starts_at, &v.municipalities).await?
    {
        return Ok(first);
    }
    let office = repo::office_of(tx, &v.municipalities).await?;
    let id = Uuid::now_v7();
    repo::insert_meeting(
        tx,
        &repo::NewMeeting {
            id,
            covers: &v.municipalities,
            office_id: office,
            title: &v.title,
            starts_at: v.starts_at,
            place: &v.place,
            participants: &participants,
            created_by: actor.user.id,
        },
    )
    .await?;
    audit_parts(
        tx,
        &actor,
        "meeting.created",
        &v.municipalities,
        id,
        serde_json::json!({ "title": v.title, "starts_at": v.starts_at, "participants": participants.len() }),
    )
    .await?;
    Ok(id)
}

/// Changes the title, time, place or participants; the municipalities stay as planned.
pub async fn update(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    form: &MeetingForm,
) -> Outcome<Done> {
    let people = repo::invitable(tx, &m.covers).await?;
    let v = model::validate_meeting(form, &m.covers, |u| people.iter().any(|p| p.id == u))?;
    if !m.is_open() {
        return Err(Refusal::conflict("Møtet er avsluttet og kan ikke endres."));
    }
    let version = form.version.trim().parse().unwrap_or(0);
    let participants = participants_of(&v.users, &people, v.external, &m.participants.0);
    let changed = repo::update_meeting(
        tx,
        m.id,
        version,
        &v.title,
        v.starts_at,
        &v.place,
        &participants,
    )
    .await?;
    if changed != m.covers.len() as u64 {
        return Err(Refusal::Stale);
    }
    audit_parts(
        tx,
        &actor,
        "meeting.updated",
        &m.covers,
        m.id,
        serde_json::json!({ "title": v.title, "starts_at": v.starts_at, "place": v.place, "participants": participants.len() }),
    )
    .await?;
    Ok(Done::Changed)
}

/// Marks the agenda as sent to the participants.
pub async fn send_agenda(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    version: i32,
) -> Outcome<()> {
    if !m.is_open() || repo::mark_agenda_sent(tx, m.id, version).await? != m.covers.len() as u64 {
        return Err(Refusal::Stale);
    }
    audit_parts(
        tx,
        &actor,
        "meeting.agenda_sent",
        &m.covers,
        m.id,
        serde_json::json!({ "participants": m.participants.0.len() }),
    )
    .await?;
    Ok(())
}

/// Cancels the meeting, with the reason.
pub async fn cancel(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    version: i32,
    reason: &str,
) -> Outcome<Done> {
    // Cancelled already (a colleague or a double click): what was asked is done, and the
    // meeting's page shows by whom and why. A refusal would promise the reason typed in a
    // form that a cancelled meeting no longer shows.
    if m.cancelled_at.is_some() {
        return Ok(Done::Already);
    }
    let mut e = FormErrors::new();
    let reason = text(&mut e, "cancel_reason", reason, true, 2000, "Begrunnelsen");
    Refusal::unless_empty(e)?;
    if !m.is_open() || repo::cancel(tx, m.id, version, &reason).await? != m.covers.len() as u64 {
        return Err(Refusal::Stale);
    }
    audit_parts(
        tx,
        &actor,
        "meeting.cancelled",
        &m.covers,
        m.id,
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    Ok(Done::Changed)
}
