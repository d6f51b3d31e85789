//! The interim reply (foreløpig svar, forvaltningsloven § 11a): its text, and that it was sent.

use super::super::interim::{author, compose, interim_letters};
use super::super::model::InterimForm;
use super::super::repo::{self, ApplicationDetail};
use super::case_path;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::letters::archive::{self, Kind};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{Outcome, Refusal};

/// Saves the letter's text (reason and expected date); the letter then shows for printing.
pub async fn save_interim(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    form: &InterimForm,
) -> Outcome<()> {
    let (reason, expected, version) = form.parse(actor.today)?;
    let m = case.municipality_id;
    if !repo::save_interim(tx, m, case.id, version, &reason, expected, actor.today).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("application.interim_reply_drafted")
            .municipality(m)
            .entity("application", case.id),
    )
    .await?;
    Ok(())
}

/// Records that the printed letter was sent today, and archives it as sent. Refused as
/// stale when the case changed, the reply is already recorded sent, or it has no text.
pub async fn mark_interim_sent(
    tx: &mut Tx,
    actor: Actor<'_>,
    case: &ApplicationDetail,
    version: i32,
) -> Outcome<()> {
    let (m, id, today) = (case.municipality_id, case.id, actor.today);
    if !repo::mark_interim_sent(tx, m, id, version, today).await? {
        return Err(Refusal::Stale);
    }
    // The letter as sent goes to the archive in the same transaction.
    let c = repo::application(tx, &[m], id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = repo::letterhead(tx, m).await?;
    let earlier = interim_letters(archive::of_application(tx, m, id).await?).len();
    let author = author(&c, &actor.user.display_name);
    let (blocks, letterhead, footer, recipient) =
        compose(&c, &head, &author, today, earlier, false)?;
    archive::archive(
        tx,
        m,
        archive::Outgoing {
            kind: Kind::InterimReply,
            application_id: Some(id),
            entity_type: "application",
            entity_id: id,
            title: "Foreløpig svar på søknaden",
            recipient: &recipient,
            channel: "letter",
            sent_on: today,
            sent_by: actor.user.id,
            author: &letterhead,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await?;
    repo::record_event(
        tx,
        m,
        id,
        Some(actor.user.id),
        "interim_reply",
        "Foreløpig svar sendt til søker",
        "",
        Some(&format!("{}/forelopig-svar", case_path(id))),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("application.interim_reply_sent")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    Ok(())
}
