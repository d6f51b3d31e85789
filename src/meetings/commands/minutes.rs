//! The minutes and their approval.

use crate::db::Tx;
use crate::meetings::model::Participant;
use crate::meetings::repo::{self, MeetingRow};
use crate::web::ctx::Actor;
use crate::web::forms::{text, FormErrors};
use crate::web::refusal::{Outcome, Refusal};

use super::{audit_parts, Done};

/// The minutes as typed: who attended (their places in the participant list) and notes.
pub struct SaveMinutes {
    pub version: i32,
    pub notes: String,
    pub attended: Vec<usize>,
}

/// Saves attendance and notes while the meeting is open.
pub async fn save_minutes(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    input: &SaveMinutes,
) -> Outcome<Done> {
    let mut e = FormErrors::new();
    let notes = text(&mut e, "notes", &input.notes, false, 20000, "Merknadene");
    Refusal::unless_empty(e)?;
    let participants: Vec<Participant> = m
        .participants
        .0
        .iter()
        .enumerate()
        .map(|(i, x)| Participant {
            attended: input.attended.contains(&i),
            ..x.clone()
        })
        .collect();
    if !m.is_open() {
        return Err(Refusal::conflict("Protokollen er godkjent og låst."));
    }
    let changed = repo::save_minutes(tx, m.id, input.version, &notes, &participants).await?;
    if changed != m.covers.len() as u64 {
        return Err(Refusal::Stale);
    }
    audit_parts(
        tx,
        &actor,
        "meeting.minutes_saved",
        &m.covers,
        m.id,
        serde_json::json!({ "present": participants.iter().filter(|p| p.attended).count() }),
    )
    .await?;
    Ok(Done::Changed)
}

/// Approves the minutes as read (`stamp`, see `repo::items_stamp`): every item concluded,
/// the meeting started, attendance recorded. The database locks the meeting after this.
pub async fn approve(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    version: i32,
    stamp: &str,
) -> Outcome<Done> {
    let items = repo::items(tx, m.id).await?;
    let open: Vec<String> = items
        .iter()
        .filter(|i| i.conclusion.is_none())
        .map(|i| i.position.to_string())
        .collect();
    if !m.is_open() {
        return Err(Refusal::general(
            "Møtet er avsluttet: protokollen er allerede godkjent, eller møtet er avlyst.",
        ));
    } else if stamp != repo::items_stamp(&items) {
        return Err(Refusal::general(
            "Sakslisten eller konklusjonene er endret siden du åpnet protokollen. Les den på nytt før du godkjenner.",
        ));
    } else if !open.is_empty() {
        return Err(Refusal::general(format!(
            "Punkt {} mangler konklusjon. Registrer konklusjonen (eventuelt «Utsatt») eller fjern punktet før protokollen godkjennes.",
            open.join(", ")
        )));
    } else if m.starts_at > actor.now {
        return Err(Refusal::general(
            "Protokollen kan godkjennes først når møtet har startet.",
        ));
    } else if !m.participants.0.iter().any(|p| p.attended) {
        return Err(Refusal::general(
            "Kryss av for hvem som var til stede, og lagre, før protokollen godkjennes.",
        ));
    }
    if repo::approve(tx, m.id, version, actor.user.id).await? != m.covers.len() as u64 {
        return Err(Refusal::Stale);
    }
    audit_parts(
        tx,
        &actor,
        "meeting.minutes_approved",
        &m.covers,
        m.id,
        serde_json::json!({ "items": items.len() }),
    )
    .await?;
    Ok(Done::Changed)
}
