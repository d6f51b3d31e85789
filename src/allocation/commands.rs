//! Changes in allocation, one function each: a new version of the rules, an offer of a
//! unit to a candidate, and the answer to an offer. A command takes the write transaction
//! (opened by [`crate::web::load`] on the record's municipality), the actor and a typed
//! input; it checks the rules and the version, makes the change, writes the journal entry
//! and the audit event, and returns an outcome or a [`Refusal`]. It never commits.

use uuid::Uuid;

use super::candidates::{self, offerable};
use super::model::{self, Fields, OfferStatus};
use super::repo::{self, OfferRow, UnitFacts};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::dwellings::model::{Status as UnitStatus, StatusChange};
use crate::dwellings::repo::{self as dwellings, ListKind};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::refusal::{Outcome, Refusal};

pub fn offer_path(id: Uuid) -> String {
    format!("/tilbud/{id}")
}

/// What an offer or answer did, when it did not refuse. A unit, applicant or offer
/// already taken by another offer or answer is `Refusal::Conflict`: the page shows 409 and
/// the reason, and nothing is written before that is known.
pub enum Done {
    /// The offer made, or the offer answered.
    Changed(Uuid),
    /// The same change again (a second click): the offer it made.
    Already(Uuid),
}

// ---------------------------------------------------------------------------------------
// Rules

/// A new version of the rules as typed: the rule form's fields (criteria, norms and lease
/// times are numbered rows) and the latest version the admin saw.
pub struct SaveRules {
    pub fields: Fields,
    pub latest_no: i32,
}

/// Saves a new version of the municipality's allocation rules.
pub async fn save_rules(
    tx: &mut Tx,
    actor: Actor<'_>,
    municipality: Uuid,
    input: &SaveRules,
) -> Outcome<()> {
    let m = municipality;
    repo::ensure_defaults(tx, m).await?;
    let types: Vec<Uuid> = dwellings::list_items(tx, ListKind::Types, &[m], false)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let v = model::parse_version(&input.fields, &types, actor.today)?;
    let Some((id, no)) = repo::insert_version(tx, m, actor.user.id, input.latest_no, &v).await?
    else {
        return Err(Refusal::Stale);
    };
    audit::record(
        tx,
        &actor,
        Event::new("allocation.rules_versioned")
            .municipality(m)
            .entity("allocation_rule_version", id)
            .details(serde_json::json!({
                "version_no": no,
                "effective_from": v.effective_from,
                "reason": v.reason,
            })),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Offers

/// An offer as typed: the candidate chosen and, when they are not first in line, why.
pub struct MakeOffer {
    pub application: Option<Uuid>,
    pub justification: String,
}

/// Offers the unit to one of its candidates: reserves a vacant unit, moves the case to
/// "offered", journals it and archives the letter as sent.
pub async fn make_offer(
    tx: &mut Tx,
    actor: Actor<'_>,
    u: &UnitFacts,
    input: MakeOffer,
) -> Outcome<Done> {
    let Some(app_id) = input.application else {
        return Err(Refusal::general("Velg søkeren som skal få tilbudet."));
    };
    let m = u.municipality_id;
    // A second submit of the same offer finds the open one and shows it.
    if let Some(open) = already_open(tx, u, app_id).await? {
        return Ok(open);
    }
    if !offerable(u) {
        return Err(Refusal::conflict(
            "Boligen er ikke ledig eller i ferd med å bli ledig.",
        ));
    }
    let today = actor.today;
    let (rules, cands, _, _) = candidates::rank(tx, u, today).await?;
    let Some((i, c)) = cands
        .iter()
        .enumerate()
        .find(|(_, c)| c.applicant.application_id == app_id)
    else {
        return Err(Refusal::general(
            "Søkeren står ikke på listen over kandidater til denne boligen.",
        ));
    };
    let rank_no = i + 1;
    let justification = input.justification.trim().to_string();
    if let Some(msg) = model::justification_error(rank_no, &justification) {
        return Err(Refusal::field("justification", msg));
    }
    let app = apps::application(tx, &[m], app_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lease_months = rules.rules().lease_months_for(u.dwelling_type_id);
    let new = repo::NewOffer {
        dwelling_id: u.id,
        application_id: app_id,
        rule_version_id: rules.id,
        offered_on: today,
        answer_due: today + chrono::Duration::days(rules.offer_days as i64),
        justification: &justification,
        rank: rank_no as i32,
        score: c.total,
        breakdown: &c.breakdown,
        wish_mismatch: c.wish_mismatch,
        lease_months,
        monthly_rent: u.monthly_rent,
    };
    let Some(offer_id) = repo::insert_offer(tx, m, actor.user.id, &new).await? else {
        // Lost a race with an identical submit (nothing inserted): show the offer that won.
        return already_open(tx, u, app_id).await?.ok_or_else(|| {
            Refusal::conflict("Boligen eller søkeren har allerede et åpent tilbud.")
        });
    };
    if u.status == UnitStatus::Vacant {
        let change = StatusChange {
            to: UnitStatus::Reserved,
            effective_on: today,
            expected_vacant_from: None,
            reason: format!("Tilbudt søker i sak {}", app.case_number),
        };
        if !dwellings::change_status(tx, m, u.id, u.status, &change, u.version, actor.user.id)
            .await?
        {
            return Err(Refusal::Stale);
        }
    }
    if !matches!(
        app.status,
        AppStatus::WaitingList | AppStatus::Approved | AppStatus::PartlyApproved
    ) || !apps::set_status(
        tx,
        m,
        app_id,
        app.version,
        AppStatus::Offered,
        "Tilbud om bolig",
        today,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    let summary = format!("Tilbud om bolig: {}", u.address());
    let detail = format!(
        "Rangert som nr. {rank_no} med {} poeng etter tildelingsregler versjon {}. Svarfrist {}.{}",
        c.total,
        rules.version_no,
        format::date(new.answer_due),
        if justification.is_empty() {
            String::new()
        } else {
            format!(" Begrunnelse for å gå forbi høyere rangerte: {justification}")
        }
    );
    apps::record_event(
        tx,
        m,
        app_id,
        Some(actor.user.id),
        "offer",
        &summary,
        &detail,
        Some(&offer_path(offer_id)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("offer.created")
            .municipality(m)
            .entity("offer", offer_id)
            .details(serde_json::json!({
                "dwelling": u.id, "application": app_id, "rank": rank_no, "score": c.total,
                "rules_version": rules.version_no, "justification": justification,
            })),
    )
    .await?;
    // The offer letter as sent goes to the archive with the offer.
    let made = repo::offer(tx, &[m], offer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (author, footer, blocks, recipient) = super::letter::compose(tx, &made).await?;
    crate::letters::archive::archive(
        tx,
        m,
        crate::letters::archive::Outgoing {
            kind: crate::letters::archive::Kind::Offer,
            application_id: Some(app_id),
            entity_type: "offer",
            entity_id: offer_id,
            title: "Tilbud om kommunal bolig",
            recipient: &recipient,
            channel: "letter",
            sent_on: made.offered_on,
            sent_by: actor.user.id,
            author: &author,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await?;
    Ok(Done::Changed(offer_id))
}

/// An open offer of this unit or to this applicant: the same offer again, or what keeps
/// the unit or the applicant busy.
async fn already_open(tx: &mut Tx, u: &UnitFacts, app_id: Uuid) -> Outcome<Option<Done>> {
    match repo::open_offer(tx, u.municipality_id, Some(u.id), Some(app_id)).await? {
        None => Ok(None),
        Some((oid, d, a)) if d == u.id && a == app_id => Ok(Some(Done::Already(oid))),
        Some((_, d, _)) if d == u.id => Err(Refusal::conflict(
            "Boligen har allerede et åpent tilbud. Registrer svaret på det før du gir et nytt.",
        )),
        Some(_) => Err(Refusal::conflict(
            "Søkeren har allerede et åpent tilbud på en annen bolig.",
        )),
    }
}

/// The answer as typed; `version` None answers the offer as it is now.
pub struct Answer {
    pub version: Option<i32>,
    pub fields: Fields,
}

/// Records the applicant's answer (or that the offer expired): a declined or expired
/// offer frees the unit and puts the case back on the waiting list.
pub async fn answer(tx: &mut Tx, actor: Actor<'_>, o: &OfferRow, input: &Answer) -> Outcome<Done> {
    let m = o.municipality_id;
    let today = actor.today;
    if o.status() != OfferStatus::Open {
        // A repeated submit of the same answer is harmless: show the offer.
        if model::field(&input.fields, "answer") == o.status().key() {
            return Ok(Done::Already(o.id));
        }
        return Err(Refusal::conflict(format!(
            "Tilbudet er allerede besvart ({}).",
            o.status().label().to_lowercase()
        )));
    }
    let a = model::parse_answer(&input.fields, today, o.offered_on)?;
    if a.status == OfferStatus::Expired && today <= o.answer_due {
        return Err(Refusal::field(
            "answer",
            format!(
                "Svarfristen går ut {}; tilbudet kan ikke registreres som utløpt før det.",
                format::date(o.answer_due)
            ),
        ));
    }
    let version = input.version.unwrap_or(o.version);
    if !repo::answer_offer(
        tx,
        m,
        o.id,
        version,
        a.status,
        a.answered_on,
        &a.reason,
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    let app = apps::application(tx, &[m], o.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = repo::unit(tx, &[m], o.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (summary, detail) = match a.status {
        OfferStatus::Accepted => (
            format!("Tilbud akseptert: {}", o.unit_label),
            "Søkeren takket ja. Boligen er reservert til leiekontrakten er skrevet.".to_string(),
        ),
        OfferStatus::Declined => (
            format!("Tilbud avslått: {}", o.unit_label),
            format!("Søkeren takket nei: {}", a.reason),
        ),
        _ => (
            format!("Tilbud utløpt: {}", o.unit_label),
            format!(
                "Svarfristen {} gikk ut uten svar.",
                format::date(o.answer_due)
            ),
        ),
    };
    if matches!(a.status, OfferStatus::Declined | OfferStatus::Expired) {
        if unit.status == UnitStatus::Reserved {
            let change = StatusChange {
                to: UnitStatus::Vacant,
                effective_on: today,
                expected_vacant_from: None,
                reason: summary.clone(),
            };
            if !dwellings::change_status(
                tx,
                m,
                unit.id,
                unit.status,
                &change,
                unit.version,
                actor.user.id,
            )
            .await?
            {
                return Err(Refusal::Stale);
            }
        }
        if app.status == AppStatus::Offered
            && !apps::set_status(
                tx,
                m,
                app.id,
                app.version,
                AppStatus::WaitingList,
                &summary,
                today,
            )
            .await?
        {
            return Err(Refusal::Stale);
        }
    }
    apps::record_event(
        tx,
        m,
        app.id,
        Some(actor.user.id),
        "offer",
        &summary,
        &detail,
        Some(&offer_path(o.id)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("offer.answered")
            .municipality(m)
            .entity("offer", o.id)
            .details(serde_json::json!({ "answer": a.status.key(), "reason": a.reason })),
    )
    .await?;
    Ok(Done::Changed(o.id))
}
