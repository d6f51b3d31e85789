//! HTTP: the list of meetings, planning a meeting, and building its agenda.

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{
    self, external_text, first, oslo_date, oslo_time, ItemKind, MeetingForm, Pairs, Participant,
};
use super::repo::{self, Invitable, ListRow, MeetingRow, ProposedAppeal, ProposedCase};
use super::views::{self, meeting_path, ItemView};
use crate::allocation::repo::UnitFacts;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::auth::Role;
use crate::db::Tx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

/// Who takes part in meetings: plans them, builds the agenda and records conclusions.
pub const PARTICIPATE: &[Role] = &[Role::Caseworker, Role::Team, Role::Admin];
/// Who may read meetings, agendas and minutes.
/// Meetings show applicants, their needs and the team's assessments: case contents.
pub const READ: &[Role] = crate::auth::policy::CASE_READERS;

pub fn parse_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub fn conflict_message() -> String {
    "Møtet ble endret av noen andre mens du arbeidet. Ingenting er lagret. Se over møtet slik det er nå, og prøv igjen."
        .into()
}

/// Records an audit event in every part of the meeting the transaction wrote to, so each
/// municipality's auditors see it.
pub async fn audit_parts(
    tx: &mut Tx,
    ctx: &Ctx,
    action: &str,
    parts: &[Uuid],
    meeting: Uuid,
    details: serde_json::Value,
) -> AppResult<()> {
    for m in parts {
        audit::record(
            tx,
            ctx,
            Event::new(action)
                .municipality(*m)
                .entity("meeting", meeting)
                .details(details.clone()),
        )
        .await?;
    }
    Ok(())
}

/// May the user organise this meeting (change it and its agenda)? Only someone who takes
/// part in every municipality it covers.
pub fn can_organise(ctx: &Ctx, m: &MeetingRow) -> bool {
    m.covers
        .iter()
        .all(|id| ctx.user.has_any_role(*id, PARTICIPATE))
}

/// Loads the meeting for reading; 404 when no part of it is visible to the user.
pub async fn read_meeting(ctx: &Ctx) -> AppResult<(Tx, Vec<Uuid>)> {
    ctx.all_roles_tx(READ).await
}

/// Opens a transaction over every part of the meeting for its organiser: 404 when the user
/// cannot see the meeting, 403 when they do not take part in all its municipalities.
pub async fn organiser_tx(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, MeetingRow)> {
    let (mut tx, _) = read_meeting(ctx).await?;
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if !can_organise(ctx, &m) {
        return Err(AppError::Forbidden);
    }
    let mut tx = ctx.write_tx_all(&m.covers, PARTICIPATE).await?;
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, m))
}

// ---------------------------------------------------------------------------------------
// List

pub struct ListView {
    pub r: ListRow,
    now: chrono::DateTime<Utc>,
}

impl ListView {
    pub fn when(&self) -> String {
        views::when(self.r.starts_at)
    }
    pub fn state(&self) -> &'static str {
        if self.r.cancelled_at.is_some() {
            "Avlyst"
        } else if self.r.approved_at.is_some() {
            "Protokoll godkjent"
        } else if self.r.starts_at < self.now {
            "Holdt, protokoll ikke godkjent"
        } else {
            "Planlagt"
        }
    }
}

#[derive(Template)]
#[template(path = "meetings/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub upcoming: Vec<ListView>,
    pub past: Vec<ListView>,
    pub next: Option<String>,
    pub can_plan: bool,
    pub show_municipality: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub etter: String,
}

fn parse_cursor(s: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (t, id) = s.split_once('_')?;
    let t = DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc);
    Some((t, Uuid::parse_str(id).ok()?))
}

pub async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(READ).await?;
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    // Meetings earlier today still count as upcoming: the team is in them.
    let (today, now) = (ctx.today(), ctx.now());
    let from = model::oslo_instant(today, chrono::NaiveTime::MIN).unwrap_or(now);
    let after = parse_cursor(&q.etter);
    let upcoming = if after.is_none() {
        repo::list(&mut tx, &ids, from, true, None, 50).await?
    } else {
        Vec::new()
    };
    let mut past = repo::list(&mut tx, &ids, from, false, after, repo::PAGE_SIZE + 1).await?;
    tx.commit().await?;
    let next = if past.len() as i64 > repo::PAGE_SIZE {
        past.truncate(repo::PAGE_SIZE as usize);
        past.last()
            // "Z", not "+00:00": a "+" in a query string reads as a space.
            .map(|r| {
                format!(
                    "{}_{}",
                    r.starts_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    r.id
                )
            })
    } else {
        None
    };
    render(&ListPage {
        layout: Layout::new(&ctx, "moter"),
        upcoming: upcoming.into_iter().map(|r| ListView { r, now }).collect(),
        past: past.into_iter().map(|r| ListView { r, now }).collect(),
        next,
        can_plan: !ctx.visible_with_role(PARTICIPATE).is_empty(),
        show_municipality: ctx.user.municipalities().len() > 1,
    })
}

// ---------------------------------------------------------------------------------------
// Planning

#[derive(Template)]
#[template(path = "meetings/form.html")]
pub struct FormPage {
    pub layout: Layout,
    /// None: a new meeting.
    pub meeting: Option<Uuid>,
    pub municipalities: Vec<MunicipalityRef>,
    pub people: Vec<Invitable>,
    pub form: MeetingForm,
    pub errors: FormErrors,
}

/// Municipalities the user can plan a meeting for.
fn plannable(ctx: &Ctx) -> Vec<MunicipalityRef> {
    ctx.user
        .municipalities()
        .into_iter()
        .filter(|m| ctx.user.has_any_role(m.id, PARTICIPATE))
        .collect()
}

async fn form_page(
    ctx: &Ctx,
    meeting: Option<Uuid>,
    munis: Vec<MunicipalityRef>,
    f: MeetingForm,
    errors: FormErrors,
) -> AppResult<FormPage> {
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mut tx = ctx.global_tx().await?;
    let people = repo::invitable(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(FormPage {
        layout: Layout::new(ctx, "moter"),
        meeting,
        municipalities: munis,
        people,
        form: f,
        errors,
    })
}

pub async fn new_form(ctx: Ctx) -> AppResult<Response> {
    let munis = plannable(&ctx);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let chosen: Vec<String> = match ctx.current_municipality() {
        Some(c) if munis.iter().any(|m| m.id == c.id) => vec![c.id.to_string()],
        _ => munis.iter().map(|m| m.id.to_string()).collect(),
    };
    let f = MeetingForm {
        title: "Tildelingsmøte".into(),
        time: "09:00".into(),
        municipalities: chosen,
        users: vec![ctx.user.id.to_string()],
        ..Default::default()
    };
    render(&form_page(&ctx, None, munis, f, FormErrors::new()).await?)
}

pub async fn create(ctx: Ctx, Form(p): Form<Pairs>) -> AppResult<Response> {
    let munis = plannable(&ctx);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let f = MeetingForm::from_pairs(&p);
    let allowed: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mut g = ctx.global_tx().await?;
    let people = repo::invitable(&mut g, &allowed).await?;
    g.commit().await?;
    let v = match model::validate_meeting(&f, &allowed, |u| people.iter().any(|p| p.id == u)) {
        Ok(v) => v,
        Err(e) => {
            let page = form_page(&ctx, None, munis, f, e).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    // Invited users must work in the meeting's own municipalities.
    let mut g = ctx.global_tx().await?;
    let people = repo::invitable(&mut g, &v.municipalities).await?;
    g.commit().await?;
    if v.users.iter().any(|u| !people.iter().any(|p| p.id == *u)) {
        let mut e = FormErrors::new();
        e.add(
            "users",
            "Noen av deltakerne arbeider ikke i kommunene møtet gjelder. Velg deltakere fra disse kommunene.",
        );
        let page = form_page(&ctx, None, munis, f, e).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let participants = participants_of(&v.users, &people, v.external.clone(), &[]);
    let mut tx = ctx.write_tx_all(&v.municipalities, PARTICIPATE).await?;
    if let Some(first) = repo::just_planned(
        &mut tx,
        ctx.user.id,
        &v.title,
        v.starts_at,
        &v.municipalities,
    )
    .await?
    {
        tx.rollback().await?;
        return Ok(Redirect::to(&meeting_path(first)).into_response());
    }
    let office = repo::office_of(&mut tx, &v.municipalities).await?;
    let id = Uuid::now_v7();
    repo::insert_meeting(
        &mut tx,
        &repo::NewMeeting {
            id,
            covers: &v.municipalities,
            office_id: office,
            title: &v.title,
            starts_at: v.starts_at,
            place: &v.place,
            participants: &participants,
            created_by: ctx.user.id,
        },
    )
    .await?;
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.created",
        &v.municipalities,
        id,
        serde_json::json!({ "title": v.title, "starts_at": v.starts_at, "participants": participants.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&meeting_path(id)).into_response())
}

/// The participant list: invited users (keeping attendance already recorded) and externals.
fn participants_of(
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

fn form_of(m: &MeetingRow) -> MeetingForm {
    MeetingForm {
        title: m.title.clone(),
        date: format::date(oslo_date(m.starts_at)),
        time: oslo_time(m.starts_at),
        place: m.place.clone(),
        municipalities: m.covers.iter().map(Uuid::to_string).collect(),
        users: m
            .participants
            .0
            .iter()
            .filter_map(|p| p.user_id.map(|u| u.to_string()))
            .collect(),
        external: external_text(&m.participants.0),
        version: m.version.to_string(),
    }
}

fn covered(ctx: &Ctx, m: &MeetingRow) -> Vec<MunicipalityRef> {
    ctx.user
        .municipalities()
        .into_iter()
        .filter(|x| m.covers.contains(&x.id))
        .collect()
}

pub async fn edit_form(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (tx, m) = organiser_tx(&ctx, id).await?;
    tx.commit().await?;
    if !m.is_open() {
        return Ok(Redirect::to(&meeting_path(id)).into_response());
    }
    let munis = covered(&ctx, &m);
    render(&form_page(&ctx, Some(id), munis, form_of(&m), FormErrors::new()).await?)
}

pub async fn update(ctx: Ctx, Path(id): Path<String>, Form(p): Form<Pairs>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let munis = covered(&ctx, &m);
    let mut f = MeetingForm::from_pairs(&p);
    // The municipalities of a meeting are fixed once planned (items belong to them).
    f.municipalities = m.covers.iter().map(Uuid::to_string).collect();
    let people = repo::invitable(&mut tx, &m.covers).await?;
    let v = match model::validate_meeting(&f, &m.covers, |u| people.iter().any(|p| p.id == u)) {
        Ok(v) => v,
        Err(e) => {
            tx.rollback().await?;
            let page = form_page(&ctx, Some(id), munis, f, e).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let version: i32 = f.version.trim().parse().unwrap_or(0);
    let participants = participants_of(&v.users, &people, v.external, &m.participants.0);
    let changed = if m.is_open() {
        repo::update_meeting(
            &mut tx,
            id,
            version,
            &v.title,
            v.starts_at,
            &v.place,
            &participants,
        )
        .await?
    } else {
        0
    };
    if changed != m.covers.len() as u64 {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some(if m.is_open() {
            conflict_message()
        } else {
            "Møtet er avsluttet og kan ikke endres.".into()
        });
        // Keep the input, against the meeting as it is now.
        let f = MeetingForm {
            version: m.version.to_string(),
            ..f
        };
        let page = form_page(&ctx, Some(id), munis, f, e).await?;
        return render_status(StatusCode::CONFLICT, &page);
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.updated",
        &m.covers,
        id,
        serde_json::json!({ "title": v.title, "starts_at": v.starts_at, "place": v.place, "participants": participants.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&meeting_path(id)).into_response())
}

// ---------------------------------------------------------------------------------------
// The meeting page with its agenda

/// How many proposals of each kind the meeting page lists.
pub const PROPOSED_SHOWN: usize = 40;

pub struct ProposedUnit {
    pub u: UnitFacts,
    pub municipality_name: String,
}

impl ProposedUnit {
    pub fn why(&self) -> String {
        use crate::dwellings::model::Status;
        match (self.u.status, self.u.expected_vacant_from) {
            (Status::Vacant, _) => "Ledig nå".into(),
            (_, Some(d)) => format!("Blir ledig {}", format::date(d)),
            (s, None) => format!("{} – ledig dato ikke satt", s.label()),
        }
    }
}

#[derive(Template)]
#[template(path = "meetings/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub m: MeetingRow,
    pub items: Vec<ItemView>,
    pub can_organise: bool,
    pub open: bool,
    pub proposed_cases: Vec<ProposedCase>,
    pub proposed_units: Vec<ProposedUnit>,
    pub proposed_appeals: Vec<ProposedAppeal>,
    /// Proposals not shown: (cases, units, appeals).
    pub more: (usize, usize, usize),
    pub hidden_items: bool,
    pub show_municipality: bool,
    pub mailto: String,
    pub add: Pairs,
    pub errors: FormErrors,
    pub notice: String,
}

impl ShowPage {
    pub fn when(&self) -> String {
        views::when(self.m.starts_at)
    }
    pub fn stamp(&self, t: &DateTime<Utc>) -> String {
        views::stamp(*t)
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn covers_text(&self) -> String {
        self.m.covers_names.join(", ")
    }
    pub fn add_val(&self, k: &str) -> &str {
        first(&self.add, k)
    }
    pub fn last_number(&self) -> i32 {
        self.items.last().map(|i| i.r.position).unwrap_or(0)
    }
    pub fn proposals(&self) -> usize {
        self.proposed_cases.len() + self.proposed_units.len() + self.proposed_appeals.len()
    }
    pub fn muni_name(&self, id: &Uuid) -> String {
        self.layout
            .municipalities
            .iter()
            .find(|m| m.id == *id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    pub melding: String,
}

/// The items of a meeting for this user, with what they may do and the offers made.
pub async fn item_views(tx: &mut Tx, ctx: &Ctx, m: &MeetingRow) -> AppResult<Vec<ItemView>> {
    let rows = repo::items(tx, m.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let offer = match (r.conclusion, r.dwelling_id, r.chosen_application_id) {
            (Some(model::Conclusion::CandidateChosen), Some(d), Some(a)) => {
                repo::offer_for(tx, r.municipality_id, d, a)
                    .await?
                    .map(|(id, s)| (id, offer_status_label(&s)))
            }
            _ => None,
        };
        let may_act = ctx.user.has_any_role(r.municipality_id, PARTICIPATE);
        out.push(ItemView {
            can_conclude: m.is_open() && may_act,
            may_act,
            offer,
            r,
        });
    }
    Ok(out)
}

fn offer_status_label(s: &str) -> &'static str {
    match s {
        "open" => "Tilbud sendt, venter på svar",
        "accepted" => "Tilbudet er takket ja til",
        "declined" => "Tilbudet er takket nei til",
        "expired" => "Svarfristen gikk ut",
        _ => "Tilbudet er trukket",
    }
}

pub async fn show_page(
    ctx: &Ctx,
    id: Uuid,
    add: Pairs,
    errors: FormErrors,
    notice: &str,
) -> AppResult<ShowPage> {
    let organise = {
        let (mut tx, _) = read_meeting(ctx).await?;
        let m = repo::meeting(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        can_organise(ctx, &m)
    };
    // The organiser reads every part; everyone else what their roles show.
    let (mut tx, visible) = if organise {
        let (tx, m) = organiser_tx(ctx, id).await?;
        (tx, m.covers)
    } else {
        read_meeting(ctx).await?
    };
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let items = item_views(&mut tx, ctx, &m).await?;
    let open = m.is_open();
    let (mut cases, mut units, mut appeals) = (Vec::new(), Vec::new(), Vec::new());
    let mut units_not_listed = 0;
    if organise && open {
        cases = repo::ready_applications(&mut tx, &m.covers, id).await?;
        appeals = repo::open_appeals(&mut tx, &m.covers, id).await?;
        let on = repo::dwellings_on(&mut tx, id).await?;
        for (i, muni) in m.covers.iter().enumerate() {
            let (page, total) = crate::allocation::repo::available_units_page(
                &mut tx,
                *muni,
                &on,
                PROPOSED_SHOWN as i64,
            )
            .await?;
            units_not_listed += (total as usize).saturating_sub(page.len());
            units.extend(page.into_iter().map(|u| ProposedUnit {
                municipality_name: m.covers_names.get(i).cloned().unwrap_or_default(),
                u,
            }));
        }
    }
    // A long list of checkboxes helps nobody: the first ones (oldest cases, units vacant
    // now before those becoming vacant) and how many more there are.
    let more = (
        cases.len().saturating_sub(PROPOSED_SHOWN),
        units.len().saturating_sub(PROPOSED_SHOWN) + units_not_listed,
        appeals.len().saturating_sub(PROPOSED_SHOWN),
    );
    cases.truncate(PROPOSED_SHOWN);
    units.truncate(PROPOSED_SHOWN);
    appeals.truncate(PROPOSED_SHOWN);
    let parts: Vec<Uuid> = m
        .covers
        .iter()
        .copied()
        .filter(|c| visible.contains(c))
        .collect();
    audit_parts(
        &mut tx,
        ctx,
        "meeting.viewed",
        &parts,
        id,
        serde_json::json!({ "items": items.len() }),
    )
    .await?;
    tx.commit().await?;
    let emails: Vec<String> = {
        let ids: Vec<Uuid> = m.participants.0.iter().filter_map(|p| p.user_id).collect();
        let mut g = ctx.global_tx().await?;
        let people = repo::invitable(&mut g, &m.covers).await?;
        g.commit().await?;
        people
            .into_iter()
            .filter(|p| ids.contains(&p.id))
            .filter_map(|p| p.email)
            .filter(|e| !e.is_empty())
            .collect()
    };
    let mailto = mailto(&m, &emails);
    Ok(ShowPage {
        layout: Layout::new(ctx, "moter"),
        hidden_items: m.covers.iter().any(|c| !visible.contains(c)),
        show_municipality: m.covers.len() > 1,
        can_organise: organise,
        open,
        proposed_cases: cases,
        proposed_units: units,
        more,
        proposed_appeals: appeals,
        items,
        mailto,
        m,
        add,
        errors,
        notice: notice.chars().take(40).collect(),
    })
}

/// A mail to the participants with a link to the agenda in Bosak. It carries no personal
/// data: only the meeting and where to read it.
fn mailto(m: &MeetingRow, emails: &[String]) -> String {
    let subject = format!("Saksliste: {} {}", m.title, views::when(m.starts_at));
    let body = format!(
        "Sakslisten til {} {} ligger i Bosak under Møter.\n\nSted: {}",
        m.title,
        views::when(m.starts_at),
        if m.place.is_empty() {
            "ikke satt"
        } else {
            &m.place
        }
    );
    // Mail clients read "+" literally in mailto links; spaces must be %20.
    let query = serde_urlencoded::to_string([("subject", subject), ("body", body)])
        .unwrap_or_default()
        .replace('+', "%20");
    format!("mailto:{}?{query}", emails.join(","))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    render(&show_page(&ctx, id, Pairs::new(), FormErrors::new(), &q.melding).await?)
}

async fn refuse(
    ctx: &Ctx,
    id: Uuid,
    add: Pairs,
    status: StatusCode,
    e: FormErrors,
) -> AppResult<Response> {
    render_status(status, &show_page(ctx, id, add, e, "").await?)
}

/// Refuses a change made on an old view of the meeting (409), nothing saved.
async fn stale(ctx: &Ctx, id: Uuid, add: Pairs) -> AppResult<Response> {
    refuse(
        ctx,
        id,
        add,
        StatusCode::CONFLICT,
        general(conflict_message()),
    )
    .await
}

/// Claims the meeting at the version the user saw: every part moves on together, or
/// nothing does (someone changed it meanwhile, or it is closed).
async fn claim(tx: &mut Tx, m: &MeetingRow, version: i32) -> AppResult<bool> {
    Ok(m.is_open() && repo::bump(tx, m.id, version).await? == m.covers.len() as u64)
}

fn general(msg: impl Into<String>) -> FormErrors {
    let mut e = FormErrors::new();
    e.general = Some(msg.into());
    e
}

/// Adds the chosen proposals, a case by number, or another item to the agenda.
pub async fn add_items(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let version: i32 = first(&p, "version").trim().parse().unwrap_or(0);
    if !m.is_open() {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            p,
            StatusCode::CONFLICT,
            general("Møtet er avsluttet, og sakslisten kan ikke endres."),
        )
        .await;
    }
    let mut errors = FormErrors::new();
    let mut new: Vec<(Uuid, ItemKind, Option<Uuid>, String, String)> = Vec::new();
    // Proposals: "<kind>:<id>", checked against what Bosak proposes right now.
    let cases = repo::ready_applications(&mut tx, &m.covers, id).await?;
    let appeals = repo::open_appeals(&mut tx, &m.covers, id).await?;
    // Only the units picked, checked against what is available right now.
    let picked_units: Vec<Uuid> = model::all(&p, "pick")
        .filter_map(|v| v.strip_prefix("dwelling:"))
        .filter_map(|v| Uuid::parse_str(v).ok())
        .collect();
    let mut units = Vec::new();
    for muni in &m.covers {
        units.extend(
            crate::allocation::repo::available_units_among(&mut tx, *muni, &picked_units).await?,
        );
    }
    for pick in model::all(&p, "pick") {
        let Some((kind, sid)) = pick.split_once(':') else {
            continue;
        };
        let Ok(sid) = Uuid::parse_str(sid) else {
            continue;
        };
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
                    let why = ProposedUnit {
                        u: u.clone(),
                        municipality_name: String::new(),
                    }
                    .why();
                    new.push((
                        u.municipality_id,
                        ItemKind::Dwelling,
                        Some(sid),
                        String::new(),
                        why,
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
    // The municipality chosen for a typed case number or another item (office meetings).
    let chosen_muni = if m.covers.len() == 1 {
        Some(m.covers[0])
    } else {
        Uuid::parse_str(first(&p, "other_municipality"))
            .ok()
            .filter(|x| m.covers.contains(x))
    };
    let case_number = first(&p, "case_number").trim().to_string();
    if !case_number.is_empty() {
        let found: Vec<(Uuid, Uuid)> =
            repo::applications_by_case_number(&mut tx, &m.covers, &case_number)
                .await?
                .into_iter()
                .filter(|(muni, _)| found_in(chosen_muni, *muni))
                .collect();
        let on_agenda = repo::items(&mut tx, id).await?;
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
    let title = model::one_line(first(&p, "other_title"));
    if !title.is_empty() {
        if title.chars().count() > 300 {
            errors.add("other_title", "Overskriften kan ha høyst 300 tegn.");
        } else {
            let muni = chosen_muni;
            match muni {
                Some(muni) => new.push((muni, ItemKind::Other, None, title.clone(), String::new())),
                None => errors.add("other_municipality", "Velg hvilken kommune saken gjelder."),
            }
        }
    }
    if errors.is_empty() && new.is_empty() {
        errors.general = Some("Velg saker fra forslaget, skriv inn et saksnummer eller en overskrift for en annen sak.".into());
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        return refuse(&ctx, id, p, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    }
    if !claim(&mut tx, &m, version).await? {
        tx.rollback().await?;
        return stale(&ctx, id, p).await;
    }
    let date = format::date(oslo_date(m.starts_at));
    let mut added = 0;
    for (muni, kind, subject, title, reason) in &new {
        let item = repo::NewItem {
            municipality_id: *muni,
            kind: *kind,
            subject: *subject,
            title,
            reason,
        };
        let Some(item_id) = repo::insert_item(&mut tx, id, &item, ctx.user.id).await? else {
            continue;
        };
        added += 1;
        let case = match (kind, subject) {
            (ItemKind::Application, _) => *subject,
            (ItemKind::Appeal, Some(a)) => appeal_application(&mut tx, *muni, *a).await?,
            _ => None,
        };
        if let Some(app) = case {
            apps::record_event(
                &mut tx,
                *muni,
                app,
                Some(ctx.user.id),
                "meeting_agenda",
                &format!("Satt på sakslisten til «{}» {date}", m.title),
                "",
                Some(&views::item_anchor(id, item_id)),
            )
            .await?;
        }
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.items_added",
        &m.covers,
        id,
        serde_json::json!({ "added": added }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=lagt-til#saksliste", meeting_path(id))).into_response())
}

/// With no municipality chosen, a case number may match in any of them.
fn found_in(chosen: Option<Uuid>, muni: Uuid) -> bool {
    chosen.is_none_or(|c| c == muni)
}

/// The application an appeal is about (its decision's case).
pub async fn appeal_application(tx: &mut Tx, muni: Uuid, appeal: Uuid) -> AppResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT d.application_id FROM appeals ap
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
          WHERE ap.municipality_id = $1 AND ap.id = $2",
    )
    .bind(muni)
    .bind(appeal)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub version: String,
}

pub async fn move_item(
    ctx: Ctx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let (id, item) = (parse_id(&id)?, parse_id(&item)?);
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let mut order: Vec<Uuid> = repo::items(&mut tx, id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let Some(at) = order.iter().position(|x| *x == item) else {
        return Err(AppError::NotFound);
    };
    let to = match f.direction.as_str() {
        "opp" if at > 0 => at - 1,
        "ned" if at + 1 < order.len() => at + 1,
        _ => at,
    };
    let version: i32 = f.version.trim().parse().unwrap_or(0);
    if !claim(&mut tx, &m, version).await? {
        tx.rollback().await?;
        return stale(&ctx, id, Pairs::new()).await;
    }
    order.swap(at, to);
    repo::renumber(&mut tx, id, &order).await?;
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.item_moved",
        &m.covers,
        id,
        serde_json::json!({ "item": item, "from": at + 1, "to": to + 1 }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}#punkt-{item}", meeting_path(id))).into_response())
}

pub async fn remove_item(
    ctx: Ctx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let (id, item) = (parse_id(&id)?, parse_id(&item)?);
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let row = repo::item(&mut tx, id, item)
        .await?
        .ok_or(AppError::NotFound)?;
    let version: i32 = f.version.trim().parse().unwrap_or(0);
    if row.conclusion.is_some() {
        tx.rollback().await?;
        return refuse(
            &ctx,
            id,
            Pairs::new(),
            StatusCode::CONFLICT,
            general(format!(
                "Punkt {} har en konklusjon og kan ikke fjernes fra sakslisten.",
                row.position
            )),
        )
        .await;
    }
    if !claim(&mut tx, &m, version).await? {
        tx.rollback().await?;
        return stale(&ctx, id, Pairs::new()).await;
    }
    if repo::delete_item(&mut tx, id, item).await? != 1 {
        // Concluded (or removed) by someone else meanwhile.
        tx.rollback().await?;
        return stale(&ctx, id, Pairs::new()).await;
    }
    let order: Vec<Uuid> = repo::items(&mut tx, id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    repo::renumber(&mut tx, id, &order).await?;
    if let Some(app) = row.case_application_id {
        apps::record_event(
            &mut tx,
            row.municipality_id,
            app,
            Some(ctx.user.id),
            "meeting_agenda",
            &format!("Tatt av sakslisten til «{}»", m.title),
            "",
            Some(&meeting_path(id)),
        )
        .await?;
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.item_removed",
        &m.covers,
        id,
        serde_json::json!({ "item": item, "kind": row.kind.key() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=fjernet#saksliste", meeting_path(id))).into_response())
}

pub async fn send_agenda(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let version: i32 = f.version.trim().parse().unwrap_or(0);
    if !m.is_open() || repo::mark_agenda_sent(&mut tx, id, version).await? != m.covers.len() as u64
    {
        tx.rollback().await?;
        return stale(&ctx, id, Pairs::new()).await;
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.agenda_sent",
        &m.covers,
        id,
        serde_json::json!({ "participants": m.participants.0.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=sendt", meeting_path(id))).into_response())
}

pub async fn cancel(ctx: Ctx, Path(id): Path<String>, Form(p): Form<Pairs>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let version: i32 = first(&p, "version").trim().parse().unwrap_or(0);
    let mut e = FormErrors::new();
    let reason = crate::web::forms::text(
        &mut e,
        "cancel_reason",
        first(&p, "cancel_reason"),
        true,
        2000,
        "Begrunnelsen",
    );
    if !e.is_empty() {
        tx.rollback().await?;
        return refuse(&ctx, id, p, StatusCode::UNPROCESSABLE_ENTITY, e).await;
    }
    if !m.is_open() || repo::cancel(&mut tx, id, version, &reason).await? != m.covers.len() as u64 {
        tx.rollback().await?;
        return stale(&ctx, id, p).await;
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.cancelled",
        &m.covers,
        id,
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&meeting_path(id)).into_response())
}
