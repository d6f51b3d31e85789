//! The printed agenda (saksliste) and the minutes (protokoll): written once as letter
//! blocks and shown as HTML or PDF. Minutes are editable until approved, then locked (the
//! database refuses changes to an approved meeting).
//!
//! Both documents go to external participants too, so applicants appear by case number and
//! initials only; the team sees the names in Bosak.

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, audit_parts, Done};
use super::handlers::{can_organise, item_views, organise, read_meeting};
use super::model::{self, first, Pairs, Participant};
use super::repo::{self, MeetingRow};
use super::views::{self, meeting_path, ItemView};
use crate::db;
use crate::letters::{self, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

#[derive(Template)]
#[template(path = "meetings/agenda.txt", escape = "none")]
struct AgendaText<'a> {
    m: &'a MeetingRow,
    items: &'a [ItemView],
    partial: String,
    when: String,
}

#[derive(Template)]
#[template(path = "meetings/minutes.txt", escape = "none")]
struct MinutesText<'a> {
    m: &'a MeetingRow,
    items: &'a [ItemView],
    partial: String,
    when: String,
    present: Vec<String>,
    absent: Vec<String>,
    approved: String,
}

impl MinutesText<'_> {
    fn lines(&self, s: &str) -> Vec<String> {
        letters::verbatim_lines(s)
    }
}

impl AgendaText<'_> {
    fn participants(&self) -> Vec<String> {
        self.m
            .participants
            .0
            .iter()
            .map(Participant::describe)
            .collect()
    }
}

/// A note for readers who see only some of an office meeting's municipalities: the
/// document leaves out the others' items, and says so.
fn partial(m: &MeetingRow, parts: &[Uuid]) -> String {
    if parts.len() >= m.covers.len() {
        return String::new();
    }
    let shown: Vec<&str> = m
        .covers
        .iter()
        .zip(&m.covers_names)
        .filter(|(id, _)| parts.contains(id))
        .map(|(_, n)| n.as_str())
        .collect();
    format!(
        "Utdrag: bare sakene fra {} (kommunene du har tilgang til).",
        shown.join(", ")
    )
}

fn covers_line(m: &MeetingRow) -> String {
    m.covers_names
        .iter()
        .map(|n| format!("{n} kommune"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the meeting and the items this user can see.
async fn load(
    ctx: &Ctx,
    id: Uuid,
    action: &str,
) -> AppResult<(MeetingRow, Vec<ItemView>, Vec<Uuid>)> {
    let (mut tx, visible) = read_meeting(ctx).await?;
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let items = item_views(&mut tx, ctx, &m).await?;
    let parts: Vec<Uuid> = m
        .covers
        .iter()
        .copied()
        .filter(|c| visible.contains(c))
        .collect();
    audit_parts(
        &mut tx,
        ctx,
        action,
        &parts,
        id,
        serde_json::json!({ "items": items.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok((m, items, parts))
}

fn agenda_blocks(m: &MeetingRow, items: &[ItemView], parts: &[Uuid]) -> AppResult<Vec<Block>> {
    let t = AgendaText {
        m,
        items,
        partial: partial(m, parts),
        when: views::when(m.starts_at),
    };
    Ok(letters::parse(&t.render()?))
}

fn minutes_blocks(m: &MeetingRow, items: &[ItemView], parts: &[Uuid]) -> AppResult<Vec<Block>> {
    let ps = &m.participants.0;
    let t = MinutesText {
        m,
        items,
        partial: partial(m, parts),
        when: views::when(m.starts_at),
        present: ps
            .iter()
            .filter(|p| p.attended)
            .map(Participant::describe)
            .collect(),
        absent: ps
            .iter()
            .filter(|p| !p.attended)
            .map(Participant::describe)
            .collect(),
        approved: match (&m.approved_at, &m.approved_by_name) {
            (Some(t), Some(n)) => format!("Protokollen ble godkjent {} av {n}.", views::stamp(*t)),
            _ => "UTKAST – protokollen er ikke godkjent.".into(),
        },
    };
    Ok(letters::parse(&t.render()?))
}

#[derive(Template)]
#[template(path = "meetings/print.html")]
pub struct PrintPage {
    pub title: String,
    pub back: String,
    pub pdf: String,
    pub blocks: Vec<Block>,
}

async fn pdf_response(
    title: &'static str,
    m: &MeetingRow,
    blocks: Vec<Block>,
    file: String,
) -> AppResult<Response> {
    let author = covers_line(m);
    let footer = format!(
        "{} · {}",
        m.title,
        format::date(model::oslo_date(m.starts_at))
    );
    let pdf =
        tokio::task::spawn_blocking(move || letters::pdf::render(title, &author, &footer, &blocks))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

pub async fn agenda_print(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (m, items, parts) = load(&ctx, id, "meeting.agenda_viewed").await?;
    render(&PrintPage {
        title: format!("Saksliste: {}", m.title),
        back: meeting_path(id),
        pdf: format!("/moter/{id}/saksliste.pdf"),
        blocks: agenda_blocks(&m, &items, &parts)?,
    })
}

pub async fn agenda_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (m, items, parts) = load(&ctx, id, "meeting.agenda_viewed").await?;
    let blocks = agenda_blocks(&m, &items, &parts)?;
    pdf_response("Saksliste", &m, blocks, format!("saksliste-{id}.pdf")).await
}

pub async fn minutes_print(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (m, items, parts) = load(&ctx, id, "meeting.minutes_viewed").await?;
    render(&PrintPage {
        title: format!("Protokoll: {}", m.title),
        back: format!("/moter/{id}/protokoll"),
        pdf: format!("/moter/{id}/protokoll.pdf"),
        blocks: minutes_blocks(&m, &items, &parts)?,
    })
}

pub async fn minutes_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (m, items, parts) = load(&ctx, id, "meeting.minutes_viewed").await?;
    let blocks = minutes_blocks(&m, &items, &parts)?;
    pdf_response("Protokoll", &m, blocks, format!("protokoll-{id}.pdf")).await
}

// ---------------------------------------------------------------------------------------
// Editing and approving the minutes

#[derive(Template)]
#[template(path = "meetings/minutes.html")]
pub struct MinutesPage {
    pub layout: Layout,
    pub m: MeetingRow,
    pub items: Vec<ItemView>,
    pub blocks: Vec<Block>,
    pub can_edit: bool,
    pub attended: Vec<bool>,
    pub notes: String,
    pub version: String,
    pub errors: FormErrors,
    pub notice: String,
}

impl MinutesPage {
    pub fn when(&self) -> String {
        views::when(self.m.starts_at)
    }
    pub fn stamp(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        views::stamp(*t)
    }
    pub fn was_there(&self, i: &usize) -> bool {
        self.attended.get(*i).copied().unwrap_or(false)
    }
    /// The agenda as read, for the approval (see `repo::items_stamp`).
    pub fn items_stamp(&self) -> String {
        let rows: Vec<repo::ItemRow> = self.items.iter().map(|i| i.r.clone()).collect();
        repo::items_stamp(&rows)
    }
    pub fn open_items(&self) -> usize {
        self.items.iter().filter(|i| !i.concluded()).count()
    }
}

#[derive(serde::Deserialize, Default)]
pub struct MinutesQuery {
    #[serde(default)]
    pub melding: String,
}

async fn minutes_page(
    ctx: &Ctx,
    id: Uuid,
    input: Option<Pairs>,
    errors: FormErrors,
    notice: &str,
) -> AppResult<MinutesPage> {
    let (m, items, parts) = load(ctx, id, "meeting.minutes_viewed").await?;
    let blocks = minutes_blocks(&m, &items, &parts)?;
    let (attended, notes, version) = match &input {
        Some(p) => (
            (0..m.participants.0.len())
                .map(|i| model::all(p, "attended").any(|v| v == i.to_string()))
                .collect(),
            first(p, "notes").to_string(),
            first(p, "version").to_string(),
        ),
        None => (
            m.participants.0.iter().map(|p| p.attended).collect(),
            m.minutes_notes.clone(),
            m.version.to_string(),
        ),
    };
    Ok(MinutesPage {
        layout: Layout::new(ctx, "moter"),
        can_edit: m.is_open() && can_organise(ctx, &m),
        blocks,
        attended,
        notes,
        version,
        m,
        items,
        errors,
        notice: notice.chars().take(40).collect(),
    })
}

pub async fn minutes(ctx: Ctx, Id(id): Id, Query(q): Query<MinutesQuery>) -> AppResult<Response> {
    render(&minutes_page(&ctx, id, None, FormErrors::new(), &q.melding).await?)
}

pub async fn save_minutes(ctx: Ctx, Id(id): Id, Form(p): Form<Pairs>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let input = commands::SaveMinutes {
        version: extract::version(first(&p, "version")),
        notes: first(&p, "notes").to_string(),
        attended: model::all(&p, "attended")
            .filter_map(|v| v.parse().ok())
            .collect(),
    };
    let outcome = commands::save_minutes(&mut tx, ctx.actor(), &m, &input).await;
    let shown = match db::commit(tx, outcome).await {
        Ok(Done::Changed | Done::Already) => {
            return Ok(
                Redirect::to(&format!("/moter/{id}/protokoll?melding=lagret")).into_response(),
            )
        }
        Err(refusal) => refusal.shown()?,
    };
    let mut p = p;
    if shown.status() == axum::http::StatusCode::CONFLICT {
        // Keep the input, against the minutes as they are now.
        p.retain(|(k, _)| k != "version");
        p.push(("version".into(), m.version.to_string()));
    }
    let status = shown.status();
    let page = minutes_page(&ctx, id, Some(p), shown.errors, "").await?;
    render_status(status, &page)
}

#[derive(serde::Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub stamp: String,
}

pub async fn approve(ctx: Ctx, Id(id): Id, Form(f): Form<ApproveForm>) -> AppResult<Response> {
    let (mut tx, m) = organise(&ctx, id).await?;
    let version = extract::version(&f.version);
    let outcome = commands::approve(&mut tx, ctx.actor(), &m, version, &f.stamp).await;
    let shown = match db::commit(tx, outcome).await {
        Ok(Done::Changed | Done::Already) => {
            return Ok(
                Redirect::to(&format!("/moter/{id}/protokoll?melding=godkjent")).into_response(),
            )
        }
        Err(refusal) => refusal.shown()?,
    };
    let status = shown.status();
    let page = minutes_page(&ctx, id, None, shown.errors, "").await?;
    render_status(status, &page)
}
