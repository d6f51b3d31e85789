//! Changes to decisions, one function each. A command takes the write transaction (opened
//! by [`crate::web::load`] on the record's municipality), the actor, the record and a typed
//! input; it checks the rules and the version, makes the change, writes the journal entry
//! and the audit event, and returns an outcome or a [`Refusal`]. It never commits: the
//! handler commits on success and drops the transaction, rolling everything back, on a
//! refusal.
//!
//! Appeals (register, reconsider, forward, outcome, late appeals, interim replies) are in
//! [`appeals`]; advance notices and the decision-kind admin in [`notices`] and [`admin`].

pub mod admin;
pub mod appeals;
pub mod notices;

use uuid::Uuid;

use super::deadline::{
    appeal_deadline, default_notification_date, grounds_given_error, grounds_request_error, Channel,
};
use super::forms::{self, field, DispatchInput, Fields};
use super::handlers::{decision_path, facts};
use super::model::{missing_for_dispatch, Outcome as PointOutcome, Status};
use super::repo::{self, Decision, Point};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo::{self as apps, ApplicationDetail};
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::dwellings::repo::{self as dwellings, ListKind};
use crate::letters::archive;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::refusal::{Outcome, Refusal};

/// A change the record's state does not allow (not a matter for a form): its own 409 page.
pub(crate) fn conflict() -> Refusal {
    Refusal::Error(AppError::Conflict)
}

/// Claims the decision at `version` (while it is still editable).
async fn claim(tx: &mut Tx, d: &Decision, version: i32) -> Outcome<()> {
    if repo::bump_version(tx, d.municipality_id, d.id, version).await? {
        Ok(())
    } else {
        Err(Refusal::Stale)
    }
}

/// A changed decision must be checked again before approval.
async fn back_to_draft(tx: &mut Tx, d: &Decision) -> Outcome<()> {
    if d.status == Status::ReadyForApproval {
        repo::set_status(tx, d.municipality_id, d.id, Status::Draft, None).await?;
    }
    Ok(())
}

/// A journal entry about the decision on its case.
async fn journal(
    tx: &mut Tx,
    actor: &Actor<'_>,
    d: &Decision,
    summary: &str,
    detail: &str,
) -> Outcome<()> {
    apps::record_event(
        tx,
        d.municipality_id,
        d.application_id,
        Some(actor.user.id),
        "decision",
        summary,
        detail,
        Some(&decision_path(d.id)),
    )
    .await?;
    Ok(())
}

/// An audit event about the decision.
async fn audited(
    tx: &mut Tx,
    actor: &Actor<'_>,
    d: &Decision,
    action: &str,
    details: Option<serde_json::Value>,
) -> Outcome<()> {
    let mut event = Event::new(action)
        .municipality(d.municipality_id)
        .entity("decision", d.id);
    if let Some(details) = details {
        event = event.details(details);
    }
    audit::record(tx, actor, event).await?;
    Ok(())
}

/// Starts a decision on the case, or returns the unsent one that exists: one unsent
/// decision per case at a time, so a second click (or a colleague) lands on the draft.
pub async fn create(tx: &mut Tx, actor: Actor<'_>, app: &ApplicationDetail) -> Outcome<Uuid> {
    let m = app.municipality_id;
    if matches!(
        app.status,
        AppStatus::Withdrawn | AppStatus::ClosedWithoutDecision | AppStatus::Housed
    ) {
        return Err(conflict());
    }
    repo::ensure_defaults(tx, m).await?;
    // Two drafts started at once (a double click): the second waits for the first and
    // then finds its draft (read after the lock, in a statement of its own).
    apps::lock_case(tx, m, app.id).await?;
    let existing = repo::decisions_of_application(tx, m, app.id).await?;
    if let Some(d) = existing.iter().find(|d| d.status != Status::Sent) {
        return Ok(d.id);
    }
    let id = repo::insert_decision(tx, m, app.id, actor.user.id, None).await?;
    apps::record_event(
        tx,
        m,
        app.id,
        Some(actor.user.id),
        "decision",
        "Vedtak påbegynt",
        "",
        Some(&decision_path(id)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("decision.created")
            .municipality(m)
            .entity("decision", id)
            .details(serde_json::json!({ "application": app.id })),
    )
    .await?;
    Ok(id)
}

/// A point as typed: checked against the municipality's kinds and dwelling types.
pub struct SavePoint<'a> {
    pub version: i32,
    /// The point being edited, or none for a new one.
    pub editing: Option<Uuid>,
    pub form: &'a Fields,
}

/// Adds a point to the decision or changes one.
pub async fn save_point(
    tx: &mut Tx,
    actor: Actor<'_>,
    d: &Decision,
    input: SavePoint<'_>,
) -> Outcome<()> {
    let m = d.municipality_id;
    let kinds = repo::kinds(tx, m).await?;
    let types: Vec<Uuid> = dwellings::list_items(tx, ListKind::Types, &[m], false)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let point = forms::parse_point(input.form, &kinds, &types)?;
    claim(tx, d, input.version).await?;
    let id = match input.editing {
        Some(pid) => {
            if !repo::update_point(tx, m, d.id, pid, &point).await? {
                return Err(AppError::NotFound.into());
            }
            pid
        }
        None => repo::insert_point(tx, m, d.id, &point).await?,
    };
    back_to_draft(tx, d).await?;
    let details = serde_json::json!({ "point": id, "outcome": point.outcome });
    audited(tx, &actor, d, "decision.point_saved", Some(details)).await
}

/// Removes a point from the decision.
pub async fn delete_point(
    tx: &mut Tx,
    actor: Actor<'_>,
    d: &Decision,
    version: i32,
    point: Uuid,
) -> Outcome<()> {
    claim(tx, d, version).await?;
    if !repo::delete_point(tx, d.municipality_id, d.id, point).await? {
        return Err(AppError::NotFound.into());
    }
    back_to_draft(tx, d).await?;
    let details = serde_json::json!({ "point": point });
    audited(tx, &actor, d, "decision.point_deleted", Some(details)).await
}

/// The three parts of the grounds: (the standard paragraphs' part, the form field).
pub const PARTS: [(&str, &str); 3] = [
    ("rules", "grounds_rules"),
    ("facts", "grounds_facts"),
    ("considerations", "grounds_considerations"),
];

/// The grounds form. When the caseworker asked to insert a standard paragraph
/// (`insert` names the part), it is appended to the form's text (placeholders filled
/// from the case), so a refused save still shows it.
pub struct SaveGrounds<'a> {
    pub version: i32,
    pub form: &'a mut Fields,
}

/// Saves the grounds (and the representative, and whether no objection is expected).
pub async fn save_grounds(
    tx: &mut Tx,
    actor: Actor<'_>,
    d: &Decision,
    input: SaveGrounds<'_>,
) -> Outcome<()> {
    let m = d.municipality_id;
    let f = input.form;
    let mut e = FormErrors::new();
    for (_, name) in PARTS {
        crate::web::forms::text(&mut e, name, field(f, name), false, 20000, "Begrunnelsen");
    }
    let representative = crate::web::forms::text(
        &mut e,
        "representative",
        field(f, "representative"),
        false,
        300,
        "Representant",
    );
    Refusal::unless_empty(e)?;
    let insert = field(f, "insert").to_owned();
    if let Some((part, name)) = PARTS.iter().find(|(part, _)| *part == insert) {
        let chosen = Uuid::parse_str(field(f, &format!("paragraph_{part}"))).ok();
        let paragraphs = repo::paragraphs(tx, m).await?;
        if let Some(p) = chosen.and_then(|c| {
            paragraphs
                .iter()
                .find(|p| p.id == c && p.part == *part && p.active)
        }) {
            let app = apps::application(tx, &[m], d.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let filled = super::model::fill_placeholders(
                &p.body,
                &[
                    ("navn", app.applicant_name.clone()),
                    ("kommune", app.municipality_name.clone()),
                    ("saksnummer", app.case_number.clone()),
                    ("mottatt", format::date(app.received_on)),
                ],
            );
            let current = field(f, name).trim_end().to_owned();
            let joined = if current.is_empty() {
                filled
            } else {
                format!("{current}\n\n{filled}")
            };
            f.insert((*name).to_owned(), joined);
        }
    }
    claim(tx, d, input.version).await?;
    repo::save_grounds(
        tx,
        m,
        d.id,
        field(f, "grounds_rules").trim(),
        field(f, "grounds_facts").trim(),
        field(f, "grounds_considerations").trim(),
        f.contains_key("no_objection_expected"),
        &representative,
    )
    .await?;
    back_to_draft(tx, d).await?;
    audited(tx, &actor, d, "decision.grounds_saved", None).await
}

/// Sends a complete draft for approval by a second caseworker.
pub async fn submit(tx: &mut Tx, actor: Actor<'_>, d: &Decision, version: i32) -> Outcome<()> {
    let m = d.municipality_id;
    if d.status != Status::Draft {
        return Err(conflict());
    }
    let points = repo::points(tx, m, d.id).await?;
    if !missing_for_dispatch(&facts(d, &points)).is_empty() {
        return Err(Refusal::general("Vedtaket er ikke komplett. Rett opp punktene i sjekklisten før det sendes til godkjenning."));
    }
    claim(tx, d, version).await?;
    repo::set_status(tx, m, d.id, Status::ReadyForApproval, Some(actor.user.id)).await?;
    journal(tx, &actor, d, "Vedtak sendt til godkjenning", "").await?;
    audited(tx, &actor, d, "decision.submitted", None).await
}

/// Takes a decision waiting for approval back to draft.
pub async fn reopen(tx: &mut Tx, actor: Actor<'_>, d: &Decision, version: i32) -> Outcome<()> {
    if d.status != Status::ReadyForApproval {
        return Err(conflict());
    }
    claim(tx, d, version).await?;
    repo::set_status(tx, d.municipality_id, d.id, Status::Draft, None).await?;
    audited(tx, &actor, d, "decision.reopened", None).await
}

/// The dispatch form: its version and the dispatch as parsed (or why it could not be),
/// checked only once the actor may send at all.
pub struct Send {
    pub version: i32,
    pub dispatch: Result<DispatchInput, FormErrors>,
}

/// Approves and sends: records dispatch and notification, computes each point's appeal
/// deadline, archives the letter as sent, locks the decision and moves the case on. A
/// second submit of the same form finds the decision sent and does nothing.
pub async fn send(tx: &mut Tx, actor: Actor<'_>, d: &Decision, input: Send) -> Outcome<()> {
    let m = d.municipality_id;
    let id = d.id;
    if d.status == Status::Sent {
        return Ok(());
    }
    let settings = repo::settings(tx, m).await?;
    if settings.decisions_need_second_approver
        && (d.status != Status::ReadyForApproval
            || d.author_id == actor.user.id
            || d.submitted_by == Some(actor.user.id))
    {
        return Err(AppError::Forbidden.into());
    }
    let today = actor.today;
    let dispatch = input.dispatch?;
    let points = repo::points(tx, m, id).await?;
    if let Some(msg) = super::advance_notice::send_blocked(tx, d, &points, today).await? {
        return Err(Refusal::general(msg));
    }
    if !missing_for_dispatch(&facts(d, &points)).is_empty() {
        return Err(Refusal::general(
            "Vedtaket er ikke komplett og kan ikke sendes. Se sjekklisten.",
        ));
    }
    claim(tx, d, input.version).await?;
    let notified_on = dispatch.notified_on.unwrap_or_else(|| {
        default_notification_date(
            dispatch.dispatched_on,
            dispatch.channel,
            settings.notification_post_days.max(0) as u32,
        )
    });
    // A letter is never sent with an appeal deadline that has already passed.
    let deadlines: Vec<(i32, chrono::NaiveDate)> = points
        .iter()
        .map(|p| {
            (
                p.position,
                appeal_deadline(notified_on, None, p.appeal_weeks.max(1) as u32),
            )
        })
        .collect();
    if let Some((pos, passed)) = deadlines.iter().find(|(_, dl)| *dl < today) {
        return Err(Refusal::field(
            "notified_on",
            format!(
                "Med denne mottaksdatoen ville klagefristen for punkt {pos} allerede ha gått ut ({}). Et vedtak sendes aldri med en frist som er passert.",
                format::date(*passed)
            ),
        ));
    }
    repo::mark_sent(
        tx,
        m,
        id,
        &repo::Dispatch {
            approver: actor.user.id,
            decided_on: today.min(dispatch.dispatched_on),
            dispatched_on: dispatch.dispatched_on,
            channel: dispatch.channel.key(),
            notified_on,
        },
    )
    .await?;
    for (p, (_, deadline)) in points.iter().zip(&deadlines) {
        repo::set_point_deadline(tx, m, p.id, *deadline).await?;
    }
    // The letter as sent goes to the archive in the same transaction.
    let sent = repo::decision(tx, &[m], id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (l, recipient) = super::letter::compose(tx, &sent, today).await?;
    archive::archive(
        tx,
        m,
        archive::Outgoing {
            kind: archive::Kind::Decision,
            application_id: Some(d.application_id),
            entity_type: "decision",
            entity_id: id,
            title: &l.title,
            recipient: &recipient,
            channel: dispatch.channel.key(),
            sent_on: dispatch.dispatched_on,
            sent_by: actor.user.id,
            author: &l.author,
            footer: &l.footer,
            blocks: l.blocks.clone(),
            texts: l.texts.clone(),
        },
    )
    .await?;
    appeals::on_decision_sent(tx, &actor, &sent).await?;
    move_case_on(tx, &actor, d, &points).await?;
    let summary = if points.len() >= 2 {
        "Samlevedtak sendt"
    } else {
        "Vedtak sendt"
    };
    let detail = format!(
        "Sendt {} ({}), regnes mottatt {}",
        format::date(dispatch.dispatched_on),
        match dispatch.channel {
            Channel::Digital => "digitalt",
            Channel::Post => "med post",
            Channel::InPerson => "levert personlig",
        },
        format::date(notified_on)
    );
    journal(tx, &actor, d, summary, &detail).await?;
    let details = serde_json::json!({
        "application": d.application_id, "points": points.len(), "notified_on": notified_on, "replaces": d.replaces_id,
    });
    audited(tx, &actor, d, "decision.sent", Some(details)).await
}

/// The outcome drives the case: a granted dwelling puts the applicant on the waiting list;
/// a refusal of everything marks the case rejected.
async fn move_case_on(
    tx: &mut Tx,
    actor: &Actor<'_>,
    d: &Decision,
    points: &[Point],
) -> Outcome<()> {
    let m = d.municipality_id;
    let app = apps::application(tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all_refused = points.iter().all(|p| p.outcome == PointOutcome::Refused);
    let all_granted = points.iter().all(|p| p.outcome == PointOutcome::Granted);
    let dwelling_granted = points.iter().any(|p| {
        p.kind_is_dwelling
            && matches!(
                p.outcome,
                PointOutcome::Granted | PointOutcome::PartlyGranted
            )
    });
    let decided = if all_refused {
        AppStatus::Rejected
    } else if all_granted {
        AppStatus::Approved
    } else {
        AppStatus::PartlyApproved
    };
    let target = if dwelling_granted {
        AppStatus::WaitingList
    } else {
        decided
    };
    // Offered and housed cases keep their place when a correction still grants a dwelling.
    let keep = dwelling_granted
        && matches!(
            app.status,
            AppStatus::WaitingList | AppStatus::Offered | AppStatus::Housed
        );
    if keep || app.status == target {
        return Ok(());
    }
    // A granted dwelling: the case is first decided, then on the waiting list.
    let mut steps = vec![target];
    if target == AppStatus::WaitingList && app.status != decided {
        steps.insert(0, decided);
    }
    for (version, status) in (app.version..).zip(steps) {
        if !apps::set_status(tx, m, app.id, version, status, "", actor.today).await? {
            return Err(conflict());
        }
        apps::record_event(
            tx,
            m,
            app.id,
            Some(actor.user.id),
            "status",
            status.label(),
            "Etter vedtak",
            Some(&decision_path(d.id)),
        )
        .await?;
    }
    Ok(())
}

/// A sent decision is never changed: a correction is a new decision that replaces it.
/// Returns the correction (the one already started, on a double submit).
pub async fn correct(tx: &mut Tx, actor: Actor<'_>, d: &Decision) -> Outcome<Uuid> {
    let m = d.municipality_id;
    if d.status != Status::Sent {
        return Err(conflict());
    }
    if let Some(existing) = d.replaced_by_id {
        return Ok(existing);
    }
    // Two corrections started at once (a double click): the second finds the first's.
    if let Some(existing) = repo::lock_for_correction(tx, m, d.id).await? {
        return Ok(existing);
    }
    let new_id = repo::insert_decision(tx, m, d.application_id, actor.user.id, Some(d.id)).await?;
    repo::copy_points(tx, m, d.id, new_id).await?;
    apps::record_event(
        tx,
        m,
        d.application_id,
        Some(actor.user.id),
        "decision",
        "Retting av vedtak påbegynt",
        "",
        Some(&decision_path(new_id)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("decision.correction_created")
            .municipality(m)
            .entity("decision", new_id)
            .details(serde_json::json!({ "replaces": d.id })),
    )
    .await?;
    Ok(new_id)
}

/// fvl. § 24: the party's request for grounds, as typed.
pub struct RequestGrounds<'a> {
    pub version: i32,
    pub requested_on: &'a str,
    pub note: &'a str,
}

/// Records that the party asked for grounds: the appeal deadlines stop running.
pub async fn request_grounds(
    tx: &mut Tx,
    actor: Actor<'_>,
    d: &Decision,
    input: RequestGrounds<'_>,
) -> Outcome<()> {
    let m = d.municipality_id;
    if d.status != Status::Sent {
        return Err(conflict());
    }
    let mut e = FormErrors::new();
    let requested = forms::required_date(
        &mut e,
        "requested_on",
        input.requested_on,
        "Datoen kravet kom",
    );
    let points = repo::points(tx, m, d.id).await?;
    let deadline = points.iter().filter_map(|p| p.appeal_deadline).max();
    if let (Some(r), Some(notified), Some(deadline)) = (requested, d.notified_on, deadline) {
        if let Some(msg) = grounds_request_error(notified, deadline, r, actor.today) {
            e.add("requested_on", msg);
        }
    }
    if d.grounds_requested_on.is_some() {
        e.general =
            Some("Det er allerede registrert et krav om begrunnelse for dette vedtaket.".into());
    }
    let Some(requested) = requested.filter(|_| e.is_empty()) else {
        return Err(Refusal::Invalid(e));
    };
    if !repo::request_grounds(tx, m, d.id, input.version, requested).await? {
        return Err(Refusal::Stale);
    }
    let summary = format!(
        "Krav om begrunnelse mottatt {}: klagefristen er avbrutt",
        format::date(requested)
    );
    journal(tx, &actor, d, &summary, input.note.trim()).await?;
    let details = serde_json::json!({ "requested_on": requested });
    audited(tx, &actor, d, "decision.grounds_requested", Some(details)).await
}

/// Records that the requested grounds were given (`given_on` as typed): new deadlines
/// run from that day for the interrupted points.
pub async fn grounds_given(
    tx: &mut Tx,
    actor: Actor<'_>,
    d: &Decision,
    version: i32,
    given_on: &str,
) -> Outcome<()> {
    let m = d.municipality_id;
    let (Status::Sent, Some(requested), Some(notified)) =
        (d.status, d.grounds_requested_on, d.notified_on)
    else {
        return Err(conflict());
    };
    let mut e = FormErrors::new();
    let given = forms::required_date(
        &mut e,
        "given_on",
        given_on,
        "Datoen parten mottok begrunnelsen",
    );
    if let Some(msg) = given.and_then(|g| grounds_given_error(requested, g, actor.today)) {
        e.add("given_on", msg);
    }
    let Some(given) = given.filter(|_| e.is_empty()) else {
        return Err(Refusal::Invalid(e));
    };
    if !repo::grounds_given(tx, m, d.id, version, given).await? {
        return Err(Refusal::Stale);
    }
    let mut latest = None;
    // Only the interrupted points (no running deadline) get new ones.
    for p in repo::points(tx, m, d.id)
        .await?
        .into_iter()
        .filter(|p| p.appeal_deadline.is_none())
    {
        let deadline = appeal_deadline(notified, Some(given), p.appeal_weeks.max(1) as u32);
        repo::set_point_deadline(tx, m, p.id, deadline).await?;
        latest = latest.max(Some(deadline));
    }
    let summary = format!(
        "Parten mottok begrunnelsen {}: ny klagefrist {}",
        format::date(given),
        latest.map(format::date).unwrap_or_default()
    );
    journal(tx, &actor, d, &summary, "").await?;
    let details = serde_json::json!({ "given_on": given, "deadline": latest });
    audited(tx, &actor, d, "decision.grounds_given", Some(details)).await
}
