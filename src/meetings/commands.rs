//! Changes to a meeting, one function each: planning and editing it, building the agenda,
//! recording conclusions, the minutes and their approval, cancelling. A command takes the
//! write transaction (opened by [`crate::web::load`] on every municipality the meeting
//! covers, or on the item's for a conclusion), the actor and a typed input; it checks the
//! rules and the version, makes the change, writes the journal entries and the audit
//! events, and returns an outcome or a [`Refusal`]. It never commits.

use uuid::Uuid;

use super::model::{self, initials, ItemKind, MeetingForm, Participant, ValidMeeting};
use super::repo::{self, Invitable, ItemRow, MeetingRow};
use super::views::{self, meeting_path};
use crate::allocation::candidates;
use crate::applications::repo as apps;
use crate::audit::{self, Acting, Event};
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::{text, FormErrors};
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

// ---------------------------------------------------------------------------------------
// Planning

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

// ---------------------------------------------------------------------------------------
// The agenda

/// What the organiser adds: proposals picked (`<kind>:<id>`), a case by number, or another
/// item with a title; the municipality chosen for the last two (office meetings).
pub struct AddItems {
    pub version: i32,
    pub picks: Vec<String>,
    pub case_number: String,
    pub other_title: String,
    pub other_municipality: String,
}

/// One item to add: (municipality, kind, subject, title, reason).
type NewItem = (Uuid, ItemKind, Option<Uuid>, String, String);

/// Adds the chosen proposals, a case by number, or another item to the agenda.
pub async fn add_items(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    input: &AddItems,
) -> Outcome<Done> {
    if !m.is_open() {
        return Err(Refusal::conflict(
            "Møtet er avsluttet, og sakslisten kan ikke endres.",
        ));
    }
    let mut errors = FormErrors::new();
    let mut new = picked(tx, m, &input.picks).await?;
    // The municipality chosen for a typed case number or another item (office meetings).
    let chosen_muni = if m.covers.len() == 1 {
        Some(m.covers[0])
    } else {
        Uuid::parse_str(&input.other_municipality)
            .ok()
            .filter(|x| m.covers.contains(x))
    };
    let case_number = input.case_number.trim().to_string();
    if !case_number.is_empty() {
        let found: Vec<(Uuid, Uuid)> =
            repo::applications_by_case_number(tx, &m.covers, &case_number)
                .await?
                .into_iter()
                .filter(|(muni, _)| chosen_muni.is_none_or(|c| c == *muni))
                .collect();
        let on_agenda = repo::items(tx, m.id).await?;
        match found.as_slice() {
            [] => errors.add("case_number", format!("Fant ingen søknad med saksnummer {case_number} i kommunene møtet gjelder.")),
            [(muni, app)] => {
                if on_agenda.iter().any(|i| i.application_id == Some(*app)) {
                    errors.add("case_number", format!("Sak {case_number} står allerede på sakslisten."));
                } else {
                    new.push((*muni, ItemKind::Application, Some(*app), String::new(), "Lagt til for hånd".into()));
                }
            }
            _ => errors.add("other_municipality", format!("Saksnummer {case_number} finnes i flere kommuner. Velg kommunen saken gjelder.")),
        }
    }
    let title = model::one_line(&input.other_title);
    if !title.is_empty() {
        if title.chars().count() > 300 {
            errors.add("other_title", "Overskriften kan ha høyst 300 tegn.");
        } else {
            match chosen_muni {
                Some(muni) => new.push((muni, ItemKind::Other, None, title.clone(), String::new())),
                None => errors.add("other_municipality", "Velg hvilken kommune saken gjelder."),
            }
        }
    }
    if errors.is_empty() && new.is_empty() {
        errors.general = Some("Velg saker fra forslaget, skriv inn et saksnummer eller en overskrift for en annen sak.".into());
    }
    Refusal::unless_empty(errors)?;
    claim(tx, m, input.version).await?;
    let date = format::date(model::oslo_date(m.starts_at));
    let mut added = 0;
    for (muni, kind, subject, title, reason) in &new {
        let item = repo::NewItem {
            municipality_id: *muni,
            kind: *kind,
            subject: *subject,
            title,
            reason,
        };
        let Some(item_id) = repo::insert_item(tx, m.id, &item, actor.user.id).await? else {
            continue;
        };
        added += 1;
        let case = match (kind, subject) {
            (ItemKind::Application, _) => *subject,
            (ItemKind::Appeal, Some(a)) => repo::appeal_application(tx, *muni, *a).await?,
            _ => None,
        };
        if let Some(app) = case {
            apps::record_event(
                tx,
                *muni,
                app,
                Some(actor.user.id),
                "meeting_agenda",
                &format!("Satt på sakslisten til «{}» {date}", m.title),
                "",
                Some(&views::item_anchor(m.id, item_id)),
            )
            .await?;
        }
    }
    audit_parts(
        tx,
        &actor,
        "meeting.items_added",
        &m.covers,
        m.id,
        serde_json::json!({ "added": added }),
    )
    .await?;
    Ok(Done::Changed)
}

/// The proposals picked, checked against what Bosak proposes right now.
/// How far ahead of a meeting the leases ending are proposed for review.
pub const REVIEW_HORIZON_MONTHS: u32 = 6;

async fn picked(tx: &mut Tx, m: &MeetingRow, picks: &[String]) -> sqlx::Result<Vec<NewItem>> {
    let cases = repo::ready_applications(tx, &m.covers, m.id).await?;
    let appeals = repo::open_appeals(tx, &m.covers, m.id).await?;
    let day = model::oslo_date(m.starts_at);
    let leases =
        crate::leases::repo::reviews_due(tx, &m.covers, m.id, day, REVIEW_HORIZON_MONTHS).await?;
    // Only the units picked, checked against what is available right now.
    let picked_units: Vec<Uuid> = picks
        .iter()
        .filter_map(|v| v.strip_prefix("dwelling:"))
        .filter_map(|v| Uuid::parse_str(v).ok())
        .collect();
    let mut units = Vec::new();
    for muni in &m.covers {
        units.extend(
            crate::allocation::repo::available_units_among(tx, *muni, &picked_units).await?,
        );
    }
    let mut new = Vec::new();
    for pick in picks {
        let Some((kind, sid)) = pick.split_once(':') else {
            continue;
        };
        let Ok(sid) = Uuid::parse_str(sid) else {
            continue;
        };
        if kind == "lease" {
            if let Some(l) = leases.iter().find(|l| l.id == sid) {
                new.push((
                    l.municipality_id,
                    ItemKind::Other,
                    Some(sid),
                    views::lease_review_title(l),
                    format!("Utløper {}", format::date(l.ends_on)),
                ));
            }
            continue;
        }
        match ItemKind::from_key(kind) {
            Some(ItemKind::Application) => {
                if let Some(c) = cases.iter().find(|c| c.id == sid) {
                    new.push((
                        c.municipality_id,
                        ItemKind::Application,
                        Some(sid),
                        String::new(),
                        "Klar for møte".into(),
                    ));
                }
            }
            Some(ItemKind::Dwelling) => {
                if let Some(u) = units.iter().find(|u| u.id == sid) {
                    new.push((
                        u.municipality_id,
                        ItemKind::Dwelling,
                        Some(sid),
                        String::new(),
                        views::unit_reason(u),
                    ));
                }
            }
            Some(ItemKind::Appeal) => {
                if let Some(a) = appeals.iter().find(|a| a.id == sid) {
                    new.push((
                        a.municipality_id,
                        ItemKind::Appeal,
                        Some(sid),
                        String::new(),
                        format!("Klage mottatt {}", format::date(a.received_on)),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(new)
}

/// Moves an item one place up (`opp`) or down (`ned`).
pub async fn move_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    item: Uuid,
    direction: &str,
    version: i32,
) -> Outcome<()> {
    let mut order: Vec<Uuid> = repo::items(tx, m.id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let Some(at) = order.iter().position(|x| *x == item) else {
        return Err(AppError::NotFound.into());
    };
    let to = match direction {
        "opp" if at > 0 => at - 1,
        "ned" if at + 1 < order.len() => at + 1,
        _ => at,
    };
    claim(tx, m, version).await?;
    order.swap(at, to);
    repo::renumber(tx, m.id, &order).await?;
    audit_parts(
        tx,
        &actor,
        "meeting.item_moved",
        &m.covers,
        m.id,
        serde_json::json!({ "item": item, "from": at + 1, "to": to + 1 }),
    )
    .await?;
    Ok(())
}

/// Takes an item without a conclusion off the agenda.
pub async fn remove_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    item: Uuid,
    version: i32,
) -> Outcome<Done> {
    let row = repo::item(tx, m.id, item)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.conclusion.is_some() {
        return Err(Refusal::conflict(format!(
            "Punkt {} har en konklusjon og kan ikke fjernes fra sakslisten.",
            row.position
        )));
    }
    claim(tx, m, version).await?;
    if repo::delete_item(tx, m.id, item).await? != 1 {
        // Concluded (or removed) by someone else meanwhile.
        return Err(Refusal::Stale);
    }
    let order: Vec<Uuid> = repo::items(tx, m.id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    repo::renumber(tx, m.id, &order).await?;
    if let Some(app) = row.case_application_id {
        apps::record_event(
            tx,
            row.municipality_id,
            app,
            Some(actor.user.id),
            "meeting_agenda",
            &format!("Tatt av sakslisten til «{}»", m.title),
            "",
            Some(&meeting_path(m.id)),
        )
        .await?;
    }
    audit_parts(
        tx,
        &actor,
        "meeting.item_removed",
        &m.covers,
        m.id,
        serde_json::json!({ "item": item, "kind": row.kind.key() }),
    )
    .await?;
    Ok(Done::Changed)
}

// ---------------------------------------------------------------------------------------
// Conclusions

/// The current rank of every candidate for a unit (None: not a candidate).
async fn ranks(
    tx: &mut Tx,
    muni: Uuid,
    unit: Uuid,
    today: chrono::NaiveDate,
) -> sqlx::Result<Vec<(Uuid, i32)>> {
    let Some(u) = crate::allocation::repo::unit(tx, &[muni], unit).await? else {
        return Ok(Vec::new());
    };
    let (_, cands, _, _) = candidates::rank(tx, &u, today).await?;
    Ok(cands
        .iter()
        .enumerate()
        .map(|(i, c)| (c.applicant.application_id, i as i32 + 1))
        .collect())
}

/// Records the team's conclusion on one item (in the transaction on the item's
/// municipality): the case's timeline points at the item where the team discussed it.
pub async fn conclude(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: &MeetingRow,
    row: &ItemRow,
    form: &model::ConclusionForm,
) -> Outcome<Done> {
    let (id, item, muni) = (m.id, row.id, row.municipality_id);
    if !m.is_open() || !repo::lock_open_part(tx, muni, id).await? {
        return Err(Refusal::conflict(
            "Protokollen er godkjent eller møtet avlyst. Konklusjonen kan ikke endres.",
        ));
    }
    let ranking = match (row.kind, row.dwelling_id) {
        (ItemKind::Dwelling, Some(d)) => ranks(tx, muni, d, actor.today).await?,
        _ => Vec::new(),
    };
    let v = model::validate_conclusion(row.kind, form, |a| {
        ranking.iter().find(|(x, _)| *x == a).map(|(_, r)| *r)
    })?;
    let version: i32 = form.version.trim().parse().unwrap_or(0);
    // A second submit of the conclusion already recorded (a double click) changes nothing.
    if version != row.version
        && row.conclusion == Some(v.conclusion)
        && row.conclusion_text == v.text
        && row.justification == v.justification
        && row.chosen_application_id == v.chosen.map(|c| c.0)
    {
        return Ok(Done::Already);
    }
    if !repo::conclude(tx, muni, item, version, &v, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    let r = repo::item(tx, id, item).await?.ok_or(AppError::NotFound)?;
    let date = format::date(model::oslo_date(m.starts_at));
    let link = views::item_anchor(id, item);
    let heading = format!(
        "Tildelingsmøte {date}, punkt {}: {}",
        r.position,
        v.conclusion.label()
    );
    let mut cases: Vec<Uuid> = r.case_application_id.into_iter().collect();
    if let Some(chosen) = r.chosen_application_id {
        cases.push(chosen);
    }
    for app in cases {
        let summary = if Some(app) == r.chosen_application_id && r.kind == ItemKind::Dwelling {
            format!(
                "Tildelingsmøte {date}, punkt {}: valgt som kandidat til {}",
                r.position,
                r.unit_address.as_deref().unwrap_or("bolig")
            )
        } else {
            heading.clone()
        };
        apps::record_event(
            tx,
            muni,
            app,
            Some(actor.user.id),
            "meeting_conclusion",
            &summary,
            &v.text,
            Some(&link),
        )
        .await?;
    }
    audit_parts(
        tx,
        &actor,
        "meeting.conclusion_recorded",
        &[muni],
        id,
        serde_json::json!({
            "item": item,
            "conclusion": v.conclusion.key(),
            "chosen": v.chosen.map(|c| c.0),
            "rank": v.chosen.map(|c| c.1),
            "subject": initials(r.person_name.as_deref().unwrap_or("")),
        }),
    )
    .await?;
    Ok(Done::Changed)
}

// ---------------------------------------------------------------------------------------
// Minutes

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
