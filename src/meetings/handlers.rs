//! HTTP: the list of meetings, planning a meeting, and building its agenda.

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::commands::{self, audit_parts, Done};
use super::model::{self, external_text, first, oslo_date, oslo_time, MeetingForm, Pairs};
use super::repo::{self, Invitable, ListRow, MeetingRow, ProposedAppeal, ProposedCase};
use super::views::{self, meeting_path, ItemView};
use crate::allocation::repo::UnitFacts;
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id, Ids};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::{Outcome, Shown};
use crate::web::{format, render, render_status};

/// May the user organise this meeting (change it and its agenda)? Only someone who takes
/// part in every municipality it covers.
pub fn can_organise(ctx: &Ctx, m: &MeetingRow) -> bool {
    m.covers
        .iter()
        .all(|id| ctx.may(Permission::OrganiseMeetings, *id))
}

/// A read transaction over every municipality where the user reads meetings, whatever
/// the switcher shows (meetings span municipalities), and those municipalities.
pub async fn read_meeting(ctx: &Ctx) -> AppResult<(Tx, Vec<Uuid>)> {
    ctx.all_roles_tx(Permission::ReadCases).await
}

/// The meeting in a write transaction over every part of it, for its organiser: 404 when
/// the user cannot see the meeting, 403 when they do not take part in all its
/// municipalities.
pub async fn organise(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, MeetingRow)> {
    ctx.load_for_write::<MeetingRow>(Permission::ReadCases, Permission::OrganiseMeetings, id)
        .await
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
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
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
        can_plan: ctx.may_in_view(Permission::OrganiseMeetings),
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
        .filter(|m| ctx.may(Permission::OrganiseMeetings, m.id))
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
    let mut tx = ctx
        .write_tx_all(&v.municipalities, Permission::OrganiseMeetings)
        .await?;
    // Invited users must work in the meeting's own municipalities.
    let people = repo::invitable(&mut tx, &v.municipalities).await?;
    let input = commands::Plan { meeting: v, people };
    let outcome = commands::create(&mut tx, ctx.actor(), input).await;
    match db::commit(tx, outcome).await {
        Ok(id) => Ok(Redirect::to(&meeting_path(id)).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let page = form_page(&ctx, None, munis, f, shown.errors).await?;
            render_status(status, &page)
        }
    }
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

pub async fn edit_form(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (tx, m) = organise(&ctx, id).await?;
    tx.commit().await?;
    if !m.is_open() {
        return Ok(Redirect::to(&meeting_path(id)).into_response());
    }
    let munis = covered(&ctx, &m);
    render(&form_page(&ctx, Some(id), munis, form_of(&m), FormErrors::new()).await?)
}

pub async fn update(ctx: Ctx, Id(id): Id, Form(p): Form<Pairs>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let munis = covered(&ctx, &m);
    let mut f = MeetingForm::from_pairs(&p);
    // The municipalities of a meeting are fixed once planned (items belong to them).
    f.municipalities = m.covers.iter().map(Uuid::to_string).collect();
    let outcome = commands::update(&mut tx, ctx.actor(), &m, &f).await;
    let shown = match db::commit(tx, outcome).await {
        Ok(Done::Changed | Done::Already) => {
            return Ok(Redirect::to(&meeting_path(id)).into_response())
        }
        Err(refusal) => refusal.shown()?,
    };
    // After a conflict: keep the input, against the meeting as it is now.
    if shown.status() == StatusCode::CONFLICT {
        f.version = m.version.to_string();
    }
    let status = shown.status();
    let page = form_page(&ctx, Some(id), munis, f, shown.errors).await?;
    render_status(status, &page)
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
        views::unit_reason(&self.u)
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
    /// Leases ending soon with no review (husleieloven: the tenant's situation is
    /// reviewed before a time-limited lease ends).
    pub proposed_leases: Vec<crate::leases::repo::ReviewDue>,
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
        self.proposed_cases.len()
            + self.proposed_units.len()
            + self.proposed_appeals.len()
            + self.proposed_leases.len()
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
        let may_act = ctx.may(Permission::OrganiseMeetings, r.municipality_id);
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
    let (tx, m) = ctx.load::<MeetingRow>(Permission::ReadCases, id).await?;
    tx.commit().await?;
    let organise = can_organise(ctx, &m);
    // The organiser reads every part; everyone else what their roles show.
    let (mut tx, visible) = if organise {
        let (tx, m) = ctx
            .load_for_write::<MeetingRow>(Permission::ReadCases, Permission::OrganiseMeetings, id)
            .await?;
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
    let mut leases = Vec::new();
    let mut units_not_listed = 0;
    if organise && open {
        cases = repo::ready_applications(&mut tx, &m.covers, id).await?;
        appeals = repo::open_appeals(&mut tx, &m.covers, id).await?;
        leases = crate::leases::repo::reviews_due(
            &mut tx,
            &m.covers,
            id,
            super::model::oslo_date(m.starts_at),
            super::commands::REVIEW_HORIZON_MONTHS,
        )
        .await?;
        leases.truncate(PROPOSED_SHOWN);
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
        proposed_leases: leases,
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

pub async fn show(ctx: Ctx, Id(id): Id, Query(q): Query<ShowQuery>) -> AppResult<Response> {
    render(&show_page(&ctx, id, Pairs::new(), FormErrors::new(), &q.melding).await?)
}

/// The meeting page again with what the user typed and why nothing was saved.
async fn refuse(ctx: &Ctx, id: Uuid, add: Pairs, shown: Shown) -> AppResult<Response> {
    render_status(
        shown.status(),
        &show_page(ctx, id, add, shown.errors, "").await?,
    )
}

/// Where a change to the meeting page goes: the page (at `then`), or the page again.
async fn after(
    ctx: &Ctx,
    id: Uuid,
    add: Pairs,
    done: Outcome<Done>,
    then: String,
) -> AppResult<Response> {
    let shown = match done {
        Ok(Done::Changed | Done::Already) => return Ok(Redirect::to(&then).into_response()),
        Err(refusal) => refusal.shown()?,
    };
    refuse(ctx, id, add, shown).await
}

/// Adds the chosen proposals, a case by number, or another item to the agenda.
pub async fn add_items(ctx: Ctx, Id(id): Id, Form(p): Form<Pairs>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let input = commands::AddItems {
        version: extract::version(first(&p, "version")),
        picks: model::all(&p, "pick").map(str::to_string).collect(),
        case_number: first(&p, "case_number").to_string(),
        other_title: first(&p, "other_title").to_string(),
        other_municipality: first(&p, "other_municipality").to_string(),
    };
    let outcome = commands::add_items(&mut tx, ctx.actor(), &m, &input).await;
    let done = db::commit(tx, outcome).await;
    let then = format!("{}?melding=lagt-til#saksliste", meeting_path(id));
    after(&ctx, id, p, done, then).await
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
    Ids(id, item): Ids,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let version = extract::version(&f.version);
    let outcome = commands::move_item(&mut tx, ctx.actor(), &m, item, &f.direction, version).await;
    let done = db::commit(tx, outcome).await.map(|()| Done::Changed);
    let then = format!("{}#punkt-{item}", meeting_path(id));
    after(&ctx, id, Pairs::new(), done, then).await
}

pub async fn remove_item(
    ctx: Ctx,
    Ids(id, item): Ids,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let version = extract::version(&f.version);
    let outcome = commands::remove_item(&mut tx, ctx.actor(), &m, item, version).await;
    let done = db::commit(tx, outcome).await;
    let then = format!("{}?melding=fjernet#saksliste", meeting_path(id));
    after(&ctx, id, Pairs::new(), done, then).await
}

pub async fn send_agenda(ctx: Ctx, Id(id): Id, Form(f): Form<MoveForm>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let version = extract::version(&f.version);
    let outcome = commands::send_agenda(&mut tx, ctx.actor(), &m, version).await;
    let done = db::commit(tx, outcome).await.map(|()| Done::Changed);
    let then = format!("{}?melding=sendt", meeting_path(id));
    after(&ctx, id, Pairs::new(), done, then).await
}

#[derive(serde::Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    pub cancel_reason: String,
    #[serde(default)]
    pub version: String,
}

pub async fn cancel(ctx: Ctx, Id(id): Id, Form(f): Form<CancelForm>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let version = extract::version(&f.version);
    let outcome = commands::cancel(&mut tx, ctx.actor(), &m, version, &f.cancel_reason).await;
    let done = db::commit(tx, outcome).await;
    // The form again keeps the reason typed.
    let typed = vec![
        ("version".to_string(), f.version),
        ("cancel_reason".to_string(), f.cancel_reason),
    ];
    after(&ctx, id, typed, done, meeting_path(id)).await
}
