//! Changes to a meeting, one function each: planning and editing it, building the agenda,
//! recording conclusions, the minutes and their approval, cancelling. A command takes the
//! write transaction (opened by [`crate::web::load`] on every municipality the meeting
//! covers, or on the item's for a conclusion), the actor and a typed input; it checks the
//! rules and the version, makes the change, writes the journal entries and the audit
//! events, and returns an outcome or a [`Refusal`]. It never commits.

mod agenda;
mod conclusions;
mod minutes;
mod planning;

pub use agenda::{add_items, move_item, remove_item, AddItems, REVIEW_HORIZON_MONTHS};
pub use conclusions::conclude;
pub use minutes::{approve, save_minutes, SaveMinutes};
pub use planning::{cancel, create, send_agenda, update, Plan};

use uuid::Uuid;

use super::model::Participant;
use super::repo::{self, Invitable, MeetingRow};
use crate::audit::{self, Acting, Event};
use crate::db::Tx;
use crate::web::refusal::{Outcome, Refusal};

/// What a command did, when it did not refuse. A meeting approved or cancelled, or an item
/// concluded, is `Refusal::Conflict`: the page shows 409 and the reason, and nothing is
/// written before that is known.
pub enum Done {
    Changed,
    /// The same change again (a double click): nothing to do.
    Already,
}

/// Records an audit event in every part of the meeting the transaction wrote to (or read),
/// so each municipality's auditors see it.
pub async fn audit_parts(
    tx: &mut Tx,
    who: &impl Acting,
    action: &str,
    parts: &[Uuid],
    meeting: Uuid,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    for m in parts {
        audit::record(
            tx,
            who,
            Event::new(action)
                .municipality(*m)
                .entity("meeting", meeting)
                .details(details.clone()),
        )
        .await?;
    }
    Ok(())
}

/// Claims the meeting at the version the user saw: every part moves on together, or
/// nothing does (someone changed it meanwhile, or it is closed).
async fn claim(tx: &mut Tx, m: &MeetingRow, version: i32) -> Outcome<()> {
    if m.is_open() && repo::bump(tx, m.id, version).await? == m.covers.len() as u64 {
        Ok(())
    } else {
        Err(Refusal::Stale)
    }
}

/// The participant list: invited users (keeping attendance already recorded) and externals.
pub fn participants_of(
    users: &[Uuid],
    people: &[Invitable],
    external: Vec<Participant>,
    before: &[Participant],
) -> Vec<Participant> {
    let attended = |u: Option<Uuid>, name: &str| {
        before
            .iter()
            .find(|p| p.user_id == u && (u.is_some() || p.name == name))
            .is_some_and(|p| p.attended)
    };
    let mut out: Vec<Participant> = users
        .iter()
        .filter_map(|u| people.iter().find(|p| p.id == *u))
        .map(|p| Participant {
            user_id: Some(p.id),
            name: p.display_name.clone(),
            organisation: String::new(),
            attended: attended(Some(p.id), &p.display_name),
        })
        .collect();
    out.extend(external.into_iter().map(|mut p| {
        p.attended = attended(None, &p.name);
        p
    }));
    out
}
