//! Advance notices (forhåndsvarsel, fvl. § 16): sending one (the letter archived as sent)
//! and recording the party's answer.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::applications::repo::{self as apps, ApplicationDetail};
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::decisions::advance_notice::{compose, notice_path, NoticeInput};
use crate::decisions::forms::required_date;
use crate::decisions::repo;
use crate::letters::archive::{self, Kind};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::{text, FormErrors};
use crate::web::refusal::{Outcome, Refusal};

/// Sends a notice about case `c`: the letter is archived as sent in the same
/// transaction. A second click on the same form finds the notice already sent today.
pub async fn send(
    tx: &mut Tx,
    actor: Actor<'_>,
    c: &ApplicationDetail,
    input: &NoticeInput,
) -> Outcome<()> {
    let m = c.municipality_id;
    let id = c.id;
    let today = actor.today;
    if repo::advance_notices(tx, m, id)
        .await?
        .iter()
        .any(|n| n.sent_on == today && n.intended == input.intended)
    {
        return Ok(());
    }
    let head = apps::letterhead(tx, m).await?;
    let author = c
        .caseworker_name
        .clone()
        .unwrap_or_else(|| actor.user.display_name.clone());
    let texts = crate::letters::mandatory::current(tx, m).await?;
    let (blocks, recipient, text_ids) = compose(c, &head, &author, input, &texts, today)?;
    let notice_id = Uuid::now_v7();
    let letter_id = archive::archive(
        tx,
        m,
        archive::Outgoing {
            kind: Kind::AdvanceNotice,
            application_id: Some(id),
            entity_type: "advance_notice",
            entity_id: notice_id,
            title: "Forhåndsvarsel om vedtak",
            recipient: &recipient,
            channel: "letter",
            sent_on: today,
            sent_by: actor.user.id,
            author: &head.letterhead_name,
            footer: &format!("{} · Saksnummer {}", head.letterhead_name, c.case_number),
            blocks,
            texts: text_ids,
        },
    )
    .await?;
    repo::insert_advance_notice(
        tx,
        m,
        &repo::NewAdvanceNotice {
            id: notice_id,
            application_id: id,
            intended: &input.intended,
            grounds: &input.grounds,
            sent_on: today,
            respond_by: input.respond_by,
            sent_by: actor.user.id,
            letter_id,
        },
    )
    .await?;
    apps::record_event(
        tx,
        m,
        id,
        Some(actor.user.id),
        "advance_notice",
        &format!(
            "Forhåndsvarsel sendt (forvaltningsloven § 16), svarfrist {}",
            format::date(input.respond_by)
        ),
        &input.intended,
        Some(&format!("/brev/{letter_id}")),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("advance_notice.sent")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({ "notice": notice_id, "respond_by": input.respond_by })),
    )
    .await?;
    Ok(())
}

/// The party's answer to a notice, as typed.
pub struct Answer<'a> {
    pub version: i32,
    pub answered_on: &'a str,
    pub how: &'a str,
    pub summary: &'a str,
}

/// Records the party's answer to notice `notice_id` (journaled); then the decision may be
/// sent.
pub async fn answer(
    tx: &mut Tx,
    actor: Actor<'_>,
    c: &ApplicationDetail,
    notice_id: Uuid,
    input: Answer<'_>,
) -> Outcome<()> {
    let m = c.municipality_id;
    let id = c.id;
    let today = actor.today;
    let n = repo::advance_notices(tx, m, id)
        .await?
        .into_iter()
        .find(|n| n.id == notice_id)
        .ok_or(AppError::NotFound)?;
    let mut e = FormErrors::new();
    let on = required_date(
        &mut e,
        "answered_on",
        input.answered_on,
        "Datoen svaret kom",
    );
    if let Some(d) = on {
        if d > today {
            e.add("answered_on", "Datoen kan ikke være fram i tid.");
        } else if d < n.sent_on {
            e.add(
                "answered_on",
                format!(
                    "Svaret kan ikke ha kommet før varselet ble sendt ({}).",
                    format::date(n.sent_on)
                ),
            );
        }
    }
    let how = text(
        &mut e,
        "answer_how",
        input.how,
        true,
        200,
        "Hvordan svaret kom",
    );
    let summary = text(
        &mut e,
        "answer_summary",
        input.summary,
        true,
        10000,
        "Hva søkeren svarte",
    );
    let Some(on): Option<NaiveDate> = on.filter(|_| e.is_empty()) else {
        return Err(Refusal::Invalid(e));
    };
    // A colleague answered (or changed) the notice since the form was opened.
    if input.version != n.version
        || !repo::answer_advance_notice(
            tx,
            m,
            notice_id,
            input.version,
            on,
            &how,
            &summary,
            actor.user.id,
        )
        .await?
    {
        return Err(Refusal::Stale);
    }
    apps::record_event(
        tx,
        m,
        id,
        Some(actor.user.id),
        "advance_notice",
        &format!(
            "Svar på forhåndsvarsel mottatt {} ({})",
            format::date(on),
            how
        ),
        &summary,
        Some(&notice_path(id)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("advance_notice.answered")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({ "notice": notice_id, "answered_on": on })),
    )
    .await?;
    Ok(())
}
