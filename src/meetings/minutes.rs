//! The printed agenda (saksliste) and the minutes (protokoll): written once as letter
//! blocks and shown as HTML or PDF. Minutes are editable until approved, then locked (the
//! database refuses changes to an approved meeting).
//!
//! Both documents go to external participants too, so applicants appear by case number and
//! initials only; the team sees the names in Bosak.

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::handlers::{
    audit_parts, can_organise, conflict_message, item_views, organiser_tx, parse_id, read_meeting,
};
use super::model::{self, first, Pairs, Participant};
use super::repo::{self, MeetingRow};
use super::views::{self, meeting_path, ItemView};
use crate::letters::{self, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{text, FormErrors};
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

pub async fn agenda_print(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (m, items, parts) = load(&ctx, id, "meeting.agenda_viewed").await?;
    render(&PrintPage {
        title: format!("Saksliste: {}", m.title),
        back: meeting_path(id),
        pdf: format!("/moter/{id}/saksliste.pdf"),
        blocks: agenda_blocks(&m, &items, &parts)?,
    })
}

pub async fn agenda_pdf(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (m, items, parts) = load(&ctx, id, "meeting.agenda_viewed").await?;
    let blocks = agenda_blocks(&m, &items, &parts)?;
    pdf_response("Saksliste", &m, blocks, format!("saksliste-{id}.pdf")).await
}

pub async fn minutes_print(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (m, items, parts) = load(&ctx, id, "meeting.minutes_viewed").await?;
    render(&PrintPage {
        title: format!("Protokoll: {}", m.title),
        back: format!("/moter/{id}/protokoll"),
        pdf: format!("/moter/{id}/protokoll.pdf"),
        blocks: minutes_blocks(&m, &items, &parts)?,
    })
}

pub async fn minutes_pdf(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
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

pub async fn minutes(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<MinutesQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    render(&minutes_page(&ctx, id, None, FormErrors::new(), &q.melding).await?)
}

pub async fn save_minutes(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let mut e = FormErrors::new();
    let notes = text(
        &mut e,
        "notes",
        first(&p, "notes"),
        false,
        20000,
        "Merknadene",
    );
    if !e.is_empty() {
        tx.rollback().await?;
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &minutes_page(&ctx, id, Some(p), e, "").await?,
        );
    }
    let participants: Vec<Participant> = m
        .participants
        .0
        .iter()
        .enumerate()
        .map(|(i, x)| Participant {
            attended: model::all(&p, "attended").any(|v| v == i.to_string()),
            ..x.clone()
        })
        .collect();
    let version: i32 = first(&p, "version").trim().parse().unwrap_or(0);
    let changed = if m.is_open() {
        repo::save_minutes(&mut tx, id, version, &notes, &participants).await?
    } else {
        0
    };
    if changed != m.covers.len() as u64 {
        tx.rollback().await?;
        let mut e = FormErrors::new();
        e.general = Some(if m.is_open() {
            conflict_message()
        } else {
            "Protokollen er godkjent og låst.".into()
        });
        // Keep the input, against the minutes as they are now.
        let mut p = p;
        p.retain(|(k, _)| k != "version");
        p.push(("version".into(), m.version.to_string()));
        return render_status(
            StatusCode::CONFLICT,
            &minutes_page(&ctx, id, Some(p), e, "").await?,
        );
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.minutes_saved",
        &m.covers,
        id,
        serde_json::json!({ "present": participants.iter().filter(|p| p.attended).count() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/moter/{id}/protokoll?melding=lagret")).into_response())
}

pub async fn approve(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, m) = organiser_tx(&ctx, id).await?;
    let items = repo::items(&mut tx, id).await?;
    let mut e = FormErrors::new();
    let open: Vec<String> = items
        .iter()
        .filter(|i| i.conclusion.is_none())
        .map(|i| i.position.to_string())
        .collect();
    if !m.is_open() {
        e.general = Some(
            "Møtet er avsluttet: protokollen er allerede godkjent, eller møtet er avlyst.".into(),
        );
    } else if first(&p, "stamp") != repo::items_stamp(&items) {
        e.general = Some(
            "Sakslisten eller konklusjonene er endret siden du åpnet protokollen. Les den på nytt før du godkjenner."
                .into(),
        );
    } else if !open.is_empty() {
        e.general = Some(format!(
            "Punkt {} mangler konklusjon. Registrer konklusjonen (eventuelt «Utsatt») eller fjern punktet før protokollen godkjennes.",
            open.join(", ")
        ));
    } else if m.starts_at > ctx.now() {
        e.general = Some("Protokollen kan godkjennes først når møtet har startet.".into());
    } else if !m.participants.0.iter().any(|p| p.attended) {
        e.general = Some(
            "Kryss av for hvem som var til stede, og lagre, før protokollen godkjennes.".into(),
        );
    }
    let version: i32 = first(&p, "version").trim().parse().unwrap_or(0);
    if e.is_empty()
        && repo::approve(&mut tx, id, version, ctx.user.id).await? != m.covers.len() as u64
    {
        e.general = Some(if m.is_open() {
            conflict_message()
        } else {
            "Protokollen er allerede godkjent.".into()
        });
        tx.rollback().await?;
        return render_status(
            StatusCode::CONFLICT,
            &minutes_page(&ctx, id, None, e, "").await?,
        );
    }
    if !e.is_empty() {
        tx.rollback().await?;
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &minutes_page(&ctx, id, None, e, "").await?,
        );
    }
    audit_parts(
        &mut tx,
        &ctx,
        "meeting.minutes_approved",
        &m.covers,
        id,
        serde_json::json!({ "items": items.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/moter/{id}/protokoll?melding=godkjent")).into_response())
}
