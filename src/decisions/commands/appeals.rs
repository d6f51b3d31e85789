//! Changes to appeals: registering one against a sent decision, the unit's
//! reconsideration (§ 33: reverse, or uphold and forward per appeal body), the appeal
//! bodies' outcomes, the § 31 assessment of a late appeal and § 11a interim replies.

use askama::Template;
use chrono::NaiveDate;
use uuid::Uuid;

use super::conflict;
use crate::applications::model::Status as AppStatus;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::decisions::appeal_interim::{send_reply, with_us, NewReply};
use crate::decisions::appeals::{appeal_path, timeliness_per_point, timeliness_summary, worst};
use crate::decisions::deadline::Timeliness;
use crate::decisions::forms::{self, DispatchInput, Fields};
use crate::decisions::forwarding::{chosen, groups, overall, BodyGroup, ForwardingLetterText};
use crate::decisions::handlers::decision_path;
use crate::decisions::late_appeals::{
    cleared, dismiss, late_state, not_cleared, point_lines, LateState,
};
use crate::decisions::letter::{recipient_lines, sender_lines};
use crate::decisions::model::Status;
use crate::decisions::repo::{self, Appeal, Decision, Point};
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::mandatory::TextKey;
use crate::letters::{self, verbatim_lines};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::{text, FormErrors};
use crate::web::refusal::{Outcome, Refusal};

/// What a change to an appeal came to, when it was not refused. A step where the appeal
/// stands does not allow (a late appeal not yet taken up, an appeal no longer with us) is
/// `Refusal::Conflict`: nothing is changed and the form shows why (409).
#[derive(Debug)]
pub enum Done<T> {
    /// The change was made.
    Made(T),
    /// Nothing to do: a second submit of a form already acted on, or a step the appeal
    /// is past. The page shows where it stands.
    Already,
}

/// The appeal with its decision and that decision's points: what every step reads.
struct Case {
    d: Decision,
    points: Vec<Point>,
}

async fn case_of(tx: &mut Tx, a: &Appeal) -> Outcome<Case> {
    let m = a.municipality_id;
    let d = repo::decision(tx, &[m], a.decision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let points = repo::points(tx, m, a.decision_id).await?;
    Ok(Case { d, points })
}

/// Claims the appeal at `version`.
async fn claim(tx: &mut Tx, a: &Appeal, version: i32) -> Outcome<()> {
    if repo::bump_appeal(tx, a.municipality_id, a.id, version).await? {
        Ok(())
    } else {
        Err(Refusal::Stale)
    }
}

/// A journal entry about the appeal on its case.
async fn journal(
    tx: &mut Tx,
    actor: &Actor<'_>,
    a: &Appeal,
    summary: &str,
    detail: &str,
    link: &str,
) -> Outcome<()> {
    apps::record_event(
        tx,
        a.municipality_id,
        a.application_id,
        Some(actor.user.id),
        "appeal",
        summary,
        detail,
        Some(link),
    )
    .await?;
    Ok(())
}

/// An audit event about the appeal.
async fn audited(
    tx: &mut Tx,
    actor: &Actor<'_>,
    a: &Appeal,
    action: &str,
    details: Option<serde_json::Value>,
) -> Outcome<()> {
    let mut event = Event::new(action)
        .municipality(a.municipality_id)
        .entity("appeal", a.id);
    if let Some(details) = details {
        event = event.details(details);
    }
    audit::record(tx, actor, event).await?;
    Ok(())
}

/// Registers an appeal against a sent decision (the form names the points appealed).
/// Returns the appeal: the one already registered, on a double submit.
pub async fn register(tx: &mut Tx, actor: Actor<'_>, d: &Decision, form: &Fields) -> Outcome<Uuid> {
    let m = d.municipality_id;
    if d.status != Status::Sent {
        return Err(conflict());
    }
    let points = repo::points(tx, m, d.id).await?;
    let ids: Vec<Uuid> = points.iter().map(|p| p.id).collect();
    let input = forms::parse_appeal(form, &ids, actor.today)?;
    let per_point = timeliness_per_point(
        d,
        &points,
        &input.points,
        input.received_on,
        input.posted_on,
    );
    let t = worst(per_point.iter().map(|(_, _, t)| *t));
    if t == Timeliness::BeyondOneYear {
        return Err(Refusal::field("received_on", "Klagen kom mer enn ett år etter vedtaket og kan ikke tas under behandling (forvaltningsloven § 31 tredje ledd). Registrer den som en henvendelse i journalen."));
    }
    // A double submit of the same appeal lands on the one already registered.
    let same = repo::appeals_of_decision(tx, m, d.id)
        .await?
        .into_iter()
        .find(|a| {
            a.received_on == input.received_on
                && a.appellant == input.appellant
                && a.received_how == input.received_how
        });
    if let Some(a) = same {
        return Ok(a.id);
    }
    let appeal = repo::insert_appeal(tx, m, d.id, &input, actor.user.id).await?;
    let summary = match t {
        Timeliness::InTime => "Klage mottatt i tide".to_string(),
        _ => format!(
            "Klage mottatt for sent ({})",
            timeliness_summary(&per_point)
        ),
    };
    apps::record_event(
        tx,
        m,
        d.application_id,
        Some(actor.user.id),
        "appeal",
        &summary,
        &input.appellant,
        Some(&appeal_path(appeal)),
    )
    .await?;
    audit::record(
        tx,
        &actor,
        Event::new("appeal.registered")
            .municipality(m)
            .entity("appeal", appeal)
            .details(serde_json::json!({ "decision": d.id, "late": t != Timeliness::InTime })),
    )
    .await?;
    Ok(appeal)
}

/// The new decision that replaces `d`: the one being written, or a new draft with the
/// old one's points.
async fn replacement(tx: &mut Tx, actor: &Actor<'_>, d: &Decision) -> Outcome<Uuid> {
    if let Some(existing) = d.replaced_by_id {
        return Ok(existing);
    }
    let m = d.municipality_id;
    let new_id = repo::insert_decision(tx, m, d.application_id, actor.user.id, Some(d.id)).await?;
    repo::copy_points(tx, m, d.id, new_id).await?;
    Ok(new_id)
}

/// § 33: the unit reverses its decision on `date` (as typed). A new decision (replacing
/// the old one) is drafted from the old one's content for the caseworker to change and
/// send; the appeal stays open ('reversing') until that decision is sent (see
/// [`on_decision_sent`]). Returns the new decision.
pub async fn reverse(
    tx: &mut Tx,
    actor: Actor<'_>,
    a: &Appeal,
    version: i32,
    date: &str,
) -> Outcome<Done<Uuid>> {
    let m = a.municipality_id;
    if a.status != "registered" {
        return Ok(Done::Already);
    }
    let Case { d, points } = case_of(tx, a).await?;
    let state = late_state(&d, &points, a);
    if !cleared(state) {
        return Err(Refusal::Conflict(not_cleared(state)));
    }
    let mut e = FormErrors::new();
    let Some(on) = forms::required_date(&mut e, "date", date, "Dato") else {
        return Err(Refusal::Invalid(e));
    };
    claim(tx, a, version).await?;
    let new_id = replacement(tx, &actor, &d).await?;
    repo::appeal_reversing(tx, m, a.id, on, new_id).await?;
    apps::record_event(
        tx,
        m,
        d.application_id,
        Some(actor.user.id),
        "appeal",
        "Klagen tas til følge: vedtaket omgjøres",
        "Klagen er åpen til det nye vedtaket er sendt",
        Some(&decision_path(new_id)),
    )
    .await?;
    let details = serde_json::json!({ "new_decision": new_id });
    audited(tx, &actor, a, "appeal.reversing", Some(details)).await?;
    Ok(Done::Made(new_id))
}

/// Called in the transaction that sends decision `d`: an appeal being reversed by it
/// (§ 33) is closed as reversed now that the new decision is sent.
pub async fn on_decision_sent(tx: &mut Tx, actor: &Actor<'_>, d: &Decision) -> Outcome<()> {
    if d.replaces_id.is_none() {
        return Ok(());
    }
    let m = d.municipality_id;
    for appeal in repo::close_reversed_appeals(tx, m, d.id).await? {
        apps::record_event(
            tx,
            m,
            d.application_id,
            Some(actor.user.id),
            "appeal",
            "Klagen er avsluttet: det nye vedtaket er sendt",
            "",
            Some(&appeal_path(appeal)),
        )
        .await?;
        audit::record(
            tx,
            actor,
            Event::new("appeal.reversed")
                .municipality(m)
                .entity("appeal", appeal)
                .details(serde_json::json!({ "new_decision": d.id })),
        )
        .await?;
    }
    Ok(())
}

/// The forwarding form, as typed.
pub struct Forward<'a> {
    pub version: i32,
    /// The appeal body; empty when only one has not had the appeal yet.
    pub body: &'a str,
    pub date: &'a str,
    pub note: &'a str,
}

/// § 33: the unit upholds its decision and forwards the appeal to one appeal body, with
/// its own forwarding letter (copy to the party, archived).
pub async fn forward(
    tx: &mut Tx,
    actor: Actor<'_>,
    a: &Appeal,
    input: Forward<'_>,
) -> Outcome<Done<()>> {
    let m = a.municipality_id;
    let id = a.id;
    if a.status != "registered" && a.status != "forwarded" {
        return Ok(Done::Already);
    }
    let Case { d, points } = case_of(tx, a).await?;
    let state = late_state(&d, &points, a);
    if !cleared(state) {
        return Err(Refusal::Conflict(not_cleared(state)));
    }
    let all = groups(repo::appeal_points(tx, m, id).await?);
    let mut e = FormErrors::new();
    let group = chosen(&all, input.body, |g| !g.is_forwarded());
    match &group {
        None => e.add("body", "Velg klageinstansen klagen skal sendes til."),
        // A second submit: this body already has the appeal.
        Some(g) if g.is_forwarded() => return Ok(Done::Already),
        Some(_) => {}
    }
    let on = forms::required_date(&mut e, "date", input.date, "Dato oversendt");
    let note = text(
        &mut e,
        "forwarding_note",
        input.note,
        true,
        20000,
        "Oversendelsesbrevet",
    );
    let (Some(on), Some(group)) = (on.filter(|_| e.is_empty()), group) else {
        return Err(Refusal::Invalid(e));
    };
    claim(tx, a, input.version).await?;
    let app = apps::application(tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(tx, m).await?;
    let ids = group.point_ids();
    let per_point = timeliness_per_point(&d, &points, &ids, a.received_on, a.posted_on);
    let texts = crate::letters::mandatory::current(tx, m).await?;
    let access = TextKey::AccessToDocuments;
    let body = ForwardingLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines: sender_lines(&head),
        date: format::date(on),
        case_number: app.case_number.clone(),
        author: actor.user.display_name.clone(),
        body: group.body.clone(),
        party: app.applicant_name.clone(),
        party_address: recipient_lines(&app),
        representative: d.representative.clone(),
        appellant: a.appellant.clone(),
        received_on: format::date(a.received_on),
        decided_on: d.decided_on.map(format::date).unwrap_or_default(),
        points: point_lines(&points, &ids),
        late: state == LateState::TakenUp,
        timeliness: timeliness_summary(&per_point),
        reason_lines: verbatim_lines(&a.late_reason),
        note_lines: verbatim_lines(&note),
        access_to_documents: texts.lines(access, &head.letterhead_name),
    }
    .render()?;
    let title = format!("Oversendelse av klage til {}", group.body);
    let recipient = format!("{}; kopi: {}", group.body, app.applicant_name);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let letter = archive::archive(
        tx,
        m,
        Outgoing {
            kind: Kind::Forwarding,
            application_id: Some(d.application_id),
            entity_type: "appeal",
            entity_id: id,
            title: &title,
            recipient: &recipient,
            channel: "letter",
            sent_on: on,
            sent_by: actor.user.id,
            author: &head.letterhead_name,
            footer: &footer,
            blocks: letters::parse(&body),
            texts: texts.ids(&[access]),
        },
    )
    .await?;
    repo::points_forwarded(tx, m, id, &ids, on, &note, letter).await?;
    repo::appeal_forwarded(tx, m, id, on, &note).await?;
    let summary = format!(
        "Vedtaket opprettholdt, klagen oversendt {} ({})",
        group.body,
        group.positions()
    );
    journal(tx, &actor, a, &summary, "", &format!("/brev/{letter}")).await?;
    let details = serde_json::json!({ "body": group.body, "letter": letter });
    audited(tx, &actor, a, "appeal.forwarded", Some(details)).await?;
    Ok(Done::Made(()))
}

/// An appeal body's outcome, as typed.
pub struct BodyOutcome<'a> {
    pub version: i32,
    /// The appeal body; empty when only one is still to give its outcome.
    pub body: &'a str,
    pub outcome: &'a str,
    pub date: &'a str,
    pub note: &'a str,
}

/// One appeal body's outcome, and what follows from it: reversed → a new decision is
/// drafted to implement it; sent back → the case is assessed again. The appeal is closed
/// when every body has given its outcome. Returns where to go next.
pub async fn outcome(
    tx: &mut Tx,
    actor: Actor<'_>,
    a: &Appeal,
    input: BodyOutcome<'_>,
) -> Outcome<Done<String>> {
    let m = a.municipality_id;
    let id = a.id;
    let Case { d, points } = case_of(tx, a).await?;
    let state = late_state(&d, &points, a);
    if !cleared(state) {
        return Err(Refusal::Conflict(not_cleared(state)));
    }
    if a.status != "forwarded" {
        return Ok(Done::Already);
    }
    let all = groups(repo::appeal_points(tx, m, id).await?);
    let mut e = FormErrors::new();
    let group = chosen(&all, input.body, |g| g.is_forwarded() && !g.is_decided());
    match &group {
        None => e.add("body", "Velg hvilken klageinstans avgjørelsen kommer fra."),
        Some(g) if !g.is_forwarded() => e.add(
            "body",
            "Klagen er ikke oversendt denne klageinstansen ennå.",
        ),
        // A second submit: this body's outcome is already recorded.
        Some(g) if g.is_decided() => return Ok(Done::Already),
        Some(_) => {}
    }
    let outcome = input.outcome;
    if !matches!(outcome, "upheld" | "reversed" | "sent_back") {
        e.add("body_outcome", "Velg klageinstansens avgjørelse.");
    }
    let on = forms::required_date(&mut e, "date", input.date, "Dato for avgjørelsen");
    let note = text(
        &mut e,
        "body_outcome_note",
        input.note,
        false,
        5000,
        "Merknaden",
    );
    let (Some(on), Some(group)) = (on.filter(|_| e.is_empty()), group) else {
        return Err(Refusal::Invalid(e));
    };
    claim(tx, a, input.version).await?;
    repo::points_outcome(tx, m, id, &group.point_ids(), outcome, on, &note).await?;
    let mut target = appeal_path(id);
    let summary = match outcome {
        "upheld" => format!("{} opprettholdt vedtaket", group.body),
        "reversed" => {
            target = decision_path(replacement(tx, &actor, &d).await?);
            format!(
                "{} omgjorde vedtaket ({}) – nytt vedtak må skrives",
                group.body,
                group.positions()
            )
        }
        _ => {
            let app = apps::application(tx, &[m], d.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if app.status != AppStatus::UnderAssessment
                && !apps::set_status(
                    tx,
                    m,
                    app.id,
                    app.version,
                    AppStatus::UnderAssessment,
                    "Sendt tilbake av klageinstansen",
                    actor.today,
                )
                .await?
            {
                return Err(conflict());
            }
            format!("{} sendte saken tilbake til ny behandling", group.body)
        }
    };
    // Finished when every body has given its outcome.
    let after = groups(repo::appeal_points(tx, m, id).await?);
    let outcomes: Vec<String> = after.iter().filter_map(BodyGroup::outcome).collect();
    let finished = outcomes.len() == after.len();
    if finished {
        let last = after
            .iter()
            .filter_map(BodyGroup::outcome_on)
            .max()
            .unwrap_or(on);
        repo::appeal_outcome(tx, m, id, overall(&outcomes), last, &note).await?;
    }
    journal(tx, &actor, a, &summary, &note, &target).await?;
    let details =
        serde_json::json!({ "outcome": outcome, "body": group.body, "finished": finished });
    audited(tx, &actor, a, "appeal.outcome", Some(details)).await?;
    Ok(Done::Made(target))
}

/// The § 31 assessment of a late appeal, as typed.
pub struct Assess<'a> {
    pub version: i32,
    /// "taken_up" or "dismissed".
    pub choice: &'a str,
    pub reason: &'a str,
    pub interest: &'a str,
    pub assessment: &'a str,
    /// A dismissal is sent: its dispatch fields are checked like a decision's.
    pub dispatch: &'a Fields,
}

/// What the § 31 assessment decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assessed {
    TakenUp,
    Dismissed,
}

/// § 31: a late appeal is taken up (only with the special reasons written down) or
/// dismissed (its own decision: a letter with grounds and appeal information, archived).
pub async fn assess_late(
    tx: &mut Tx,
    actor: Actor<'_>,
    a: &Appeal,
    input: Assess<'_>,
) -> Outcome<Done<Assessed>> {
    let m = a.municipality_id;
    let id = a.id;
    let Case { d, points } = case_of(tx, a).await?;
    let per_point = timeliness_per_point(&d, &points, &a.point_ids, a.received_on, a.posted_on);
    let t = worst(per_point.iter().map(|(_, _, t)| *t));
    if a.status != "registered" || late_state(&d, &points, a) != LateState::Pending {
        // Nothing to assess (in time, or already assessed: a second submit).
        return Ok(Done::Already);
    }
    let today = actor.today;
    let choice = input.choice;
    let (mut e, dispatch): (FormErrors, Option<DispatchInput>) = if choice == "dismissed" {
        match forms::parse_dispatch(input.dispatch, today) {
            Ok(x) => (FormErrors::new(), Some(x)),
            Err(e) => (e, None),
        }
    } else {
        (FormErrors::new(), None)
    };
    if !matches!(choice, "taken_up" | "dismissed") {
        e.add(
            "late_decision",
            "Velg om klagen skal behandles likevel eller avvises.",
        );
    }
    let reason = text(
        &mut e,
        "late_reason",
        input.reason,
        false,
        5000,
        "Særlige grunner",
    );
    let interest = text(
        &mut e,
        "late_interest",
        input.interest,
        false,
        5000,
        "Partens interesse",
    );
    let assessment = text(
        &mut e,
        "late_assessment",
        input.assessment,
        false,
        10000,
        "Vurderingen",
    );
    if choice == "taken_up" {
        if reason.is_empty() {
            e.add("late_reason", "Skriv de særlige grunnene til at klagen behandles selv om den kom for sent (forvaltningsloven § 31 første ledd). Uten dem kan en for sen klage ikke tas under behandling.");
        }
        if t == Timeliness::BeyondOneYear {
            e.add("late_decision", "Klagen kom mer enn ett år etter vedtaket og kan aldri tas under behandling (forvaltningsloven § 31 tredje ledd).");
        }
    }
    if choice == "dismissed" && assessment.is_empty() {
        e.add("late_assessment", "Skriv vurderingen: hvorfor det ikke er særlige grunner til å behandle klagen. Den er begrunnelsen i avvisningsvedtaket.");
    }
    Refusal::unless_empty(e)?;
    claim(tx, a, input.version).await?;
    let l = repo::LateAssessment {
        on: today,
        by: actor.user.id,
        reason: &reason,
        interest: &interest,
        assessment: &assessment,
    };
    let Some(dispatch) = dispatch else {
        repo::appeal_taken_up(tx, m, id, &l).await?;
        journal(
            tx,
            &actor,
            a,
            "Klagen kom for sent, men behandles likevel (forvaltningsloven § 31)",
            &reason,
            &appeal_path(id),
        )
        .await?;
        audited(tx, &actor, a, "appeal.late_taken_up", None).await?;
        return Ok(Done::Made(Assessed::TakenUp));
    };
    let (letter, deadline) =
        dismiss(tx, a, &d, &points, &l, &dispatch, &actor.user.display_name).await?;
    journal(
        tx,
        &actor,
        a,
        "Klagen avvist fordi den kom for sent (forvaltningsloven § 31)",
        &format!("Klagefrist for avvisningen {}", format::date(deadline)),
        &format!("/brev/{letter}"),
    )
    .await?;
    let details = serde_json::json!({ "letter": letter, "deadline": deadline });
    audited(tx, &actor, a, "appeal.dismissed", Some(details)).await?;
    Ok(Done::Made(Assessed::Dismissed))
}

/// An interim reply (fvl. § 11a), checked: why it takes time, and when to expect word.
pub struct InterimReply {
    pub version: i32,
    pub reason: String,
    pub expected: Option<NaiveDate>,
}

/// Parses the interim-reply form (pure: checked before the appeal is looked up).
pub fn parse_interim(
    version: i32,
    reason: &str,
    expected_on: &str,
    today: NaiveDate,
) -> Result<InterimReply, FormErrors> {
    let mut e = FormErrors::new();
    let reason = text(
        &mut e,
        "interim_reason",
        reason,
        true,
        5000,
        "Hvorfor behandlingen tar tid",
    );
    let expected =
        forms::optional_date(&mut e, "interim_expected_on", expected_on, "Forventet dato");
    if expected.is_some_and(|d| d <= today) {
        e.add(
            "interim_expected_on",
            "Forventet dato for svar må være etter i dag.",
        );
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(InterimReply {
        version,
        reason,
        expected,
    })
}

/// Writes, archives and records an interim reply while the appeal is with us.
pub async fn interim_reply(
    tx: &mut Tx,
    actor: Actor<'_>,
    a: &Appeal,
    input: InterimReply,
) -> Outcome<Done<()>> {
    let m = a.municipality_id;
    let unforwarded = groups(repo::appeal_points(tx, m, a.id).await?)
        .iter()
        .any(|g| !g.is_forwarded());
    if !with_us(a, unforwarded) {
        let mut e = FormErrors::new();
        e.add(
            "interim_reason",
            "Klagen er ikke lenger til behandling hos oss, så det sendes ikke foreløpig svar herfra.",
        );
        return Err(Refusal::Conflict(e));
    }
    claim(tx, a, input.version).await?;
    let app = apps::application(tx, &[m], a.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let author = app
        .caseworker_name
        .clone()
        .unwrap_or_else(|| actor.user.display_name.clone());
    let reply = NewReply {
        reason: &input.reason,
        expected: input.expected,
        today: actor.today,
        by: actor.user.id,
        author: &author,
    };
    let letter = send_reply(tx, a, &reply).await?;
    let details = serde_json::json!({ "letter": letter });
    audited(tx, &actor, a, "appeal.interim_reply_sent", Some(details)).await?;
    Ok(Done::Made(()))
}
