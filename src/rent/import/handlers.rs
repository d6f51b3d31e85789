//! The bank import over HTTP: `/husleie/innlesing` (the imports, and the upload of an OCR
//! file), `/husleie/innlesing/{id}` (a previewed file with its confirm, or an imported
//! file with its lines), and the queue `/husleie/innbetalinger` with each line's page,
//! where a caseworker assigns it to a lease or returns it.

use askama::Template;
use axum::extract::{Form, Multipart, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::commands;
use super::model::{self, AssignForm, LineStatus, PlannedLine, ReturnForm};
use super::repo::{self, ImportListRow, ImportRow, LineRow};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::rent::ocr;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{parse_id, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

const NAV: &str = "innbetalinger";
const MANAGE: Permission = Permission::ManageRent;
const IMPORTS_SHOWN: i64 = 50;
const LINES_SHOWN: i64 = 200;
const QUEUE_SHOWN: i64 = 50;

/// Body limit of the upload route: the largest file plus room for the other fields.
pub const UPLOAD_BODY_LIMIT: usize = model::MAX_BYTES + 256 * 1024;

fn name_of(munis: &[MunicipalityRef], m: Uuid) -> String {
    munis
        .iter()
        .find(|x| x.id == m)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    etter: String,
    #[serde(default)]
    melding: String,
}

fn cursor(raw: &str) -> AppResult<Option<Uuid>> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse_id(raw).map(Some)
    }
}

// ---------------------------------------------------------------------------------------
// The imports and the upload

pub struct ImportView {
    pub r: ImportListRow,
    pub municipality: String,
}

impl ImportView {
    pub fn total(&self) -> String {
        format::kroner(self.r.total)
    }
    pub fn settled(&self) -> String {
        format::date(self.r.settled_on)
    }
    pub fn when(&self) -> String {
        format::datetime(self.r.imported_at.unwrap_or(self.r.uploaded_at))
    }
    pub fn imported(&self) -> bool {
        self.r.status == "imported"
    }
}

#[derive(Template)]
#[template(path = "rent/import_list.html")]
pub struct ImportsPage {
    pub layout: Layout,
    pub municipalities: Vec<MunicipalityRef>,
    pub chosen: String,
    pub error: Option<String>,
    pub imports: Vec<ImportView>,
    pub several: bool,
    pub next: Option<Uuid>,
}

async fn imports_page(
    ctx: &Ctx,
    before: Option<Uuid>,
    chosen: String,
    error: Option<String>,
) -> AppResult<ImportsPage> {
    let managing = ctx.visible_with_role(MANAGE);
    if managing.is_empty() {
        return Err(AppError::Forbidden);
    }
    let (mut tx, munis) = ctx.read_tx(MANAGE).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mut rows = repo::imports(&mut tx, &ids, before, IMPORTS_SHOWN + 1).await?;
    tx.commit().await?;
    let next = if rows.len() as i64 > IMPORTS_SHOWN {
        rows.truncate(IMPORTS_SHOWN as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(ImportsPage {
        layout: Layout::new(ctx, NAV),
        municipalities: if managing.len() > 1 {
            managing
        } else {
            Vec::new()
        },
        chosen,
        error,
        imports: rows
            .into_iter()
            .map(|r| ImportView {
                municipality: name_of(&munis, r.municipality_id),
                r,
            })
            .collect(),
        several: munis.len() > 1,
        next,
    })
}

/// `GET /husleie/innlesing`
pub async fn imports(ctx: Ctx, Query(q): Query<PageQuery>) -> AppResult<Response> {
    render(&imports_page(&ctx, cursor(&q.etter)?, String::new(), None).await?)
}

/// `POST /husleie/innlesing` (multipart: `municipality`, `file`): parses the file; a
/// malformed one is refused whole with its line and reason next to the file field and
/// nothing is stored; one that parses is stored for its preview.
pub async fn upload(ctx: Ctx, mut multipart: Multipart) -> AppResult<Response> {
    let form = crate::leases::import::handlers::read_form(&mut multipart).await?;
    let chosen = form.as_ref().map(|f| f.0.clone()).unwrap_or_default();
    let ctx = &ctx;
    let reject = |status: StatusCode, msg: String| {
        let chosen = chosen.clone();
        async move { render_status(status, &imports_page(ctx, None, chosen, Some(msg)).await?) }
    };
    let Some((municipality, name, bytes)) = form else {
        return reject(StatusCode::UNPROCESSABLE_ENTITY, model::TOO_LARGE.into()).await;
    };
    let managed = ctx.visible_with_role(MANAGE);
    let m = match managed.as_slice() {
        [] => return Err(AppError::Forbidden),
        [one] => one.clone(),
        many => match many.iter().find(|m| m.number == municipality) {
            Some(m) => m.clone(),
            None => {
                return reject(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    model::CHOOSE_MUNICIPALITY.into(),
                )
                .await
            }
        },
    };
    if bytes.is_empty() {
        return reject(StatusCode::UNPROCESSABLE_ENTITY, model::NO_FILE.into()).await;
    }
    let t = match ocr::parse(&bytes) {
        Ok(t) => t,
        Err(e) => return reject(StatusCode::UNPROCESSABLE_ENTITY, model::refused(&e)).await,
    };
    if t.assignments.iter().all(|a| a.transactions.is_empty()) {
        return reject(
            StatusCode::UNPROCESSABLE_ENTITY,
            model::NO_TRANSACTIONS.into(),
        )
        .await;
    }
    let name = if name.is_empty() {
        "ocr.txt".to_string()
    } else {
        name
    };
    let mut tx = ctx.write_tx(m.id, MANAGE).await?;
    let outcome = commands::upload(&mut tx, ctx.actor(), m.id, &name, &bytes, &t).await;
    match db::commit(tx, outcome).await {
        Ok(id) => Ok(Redirect::to(&format!("/husleie/innlesing/{id}")).into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let msg = shown
                .errors
                .get("file")
                .map(str::to_string)
                .or(shown.errors.general.clone())
                .unwrap_or_default();
            reject(shown.status(), msg).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// One import: the preview, the confirm, the lines

pub struct AssignmentView {
    pub account: String,
    pub number: String,
    pub transactions: usize,
    pub total: String,
}

pub struct LineView {
    pub line_no: i32,
    pub kid: String,
    pub amount: String,
    pub paid_on: String,
    pub status: LineStatus,
    pub note: String,
    pub lease_no: Option<i32>,
    pub lease_id: Option<Uuid>,
    /// The queue line's page, when it has one.
    pub href: Option<String>,
}

impl LineView {
    fn planned(l: &PlannedLine) -> Self {
        LineView {
            line_no: l.line_no,
            kid: l.kid.clone().unwrap_or_default(),
            amount: format::kroner(l.amount),
            paid_on: format::date(l.paid_on),
            status: l.status,
            note: l.note.clone(),
            lease_no: None,
            lease_id: l.lease_id,
            href: None,
        }
    }

    fn stored(l: &LineRow) -> Self {
        LineView {
            line_no: l.line_no,
            kid: l.kid.clone().unwrap_or_default(),
            amount: format::kroner(l.amount),
            paid_on: format::date(l.paid_on),
            status: l.status(),
            note: l.note.clone(),
            lease_no: l.lease_no,
            lease_id: l.lease_id,
            href: Some(format!("/husleie/innbetalinger/{}", l.id)),
        }
    }
}

#[derive(Template)]
#[template(path = "rent/import_show.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub i: ImportRow,
    pub municipality: String,
    pub imported: bool,
    pub assignments: Vec<AssignmentView>,
    pub lines: i64,
    pub total: String,
    pub matched: i64,
    pub matched_total: String,
    pub queued: i64,
    /// The preview: the lines that go to the queue; an import: its lines.
    pub rows: Vec<LineView>,
    pub next: Option<i32>,
    pub message: String,
    pub errors: FormErrors,
}

impl ImportPage {
    pub fn uploaded(&self) -> String {
        format::datetime(self.i.uploaded_at)
    }
    pub fn imported_at(&self) -> String {
        self.i.imported_at.map(format::datetime).unwrap_or_default()
    }
    pub fn settled(&self) -> String {
        format::date(self.i.settled_on)
    }
}

async fn import_page(
    ctx: &Ctx,
    id: Uuid,
    after: i32,
    message: String,
    errors: FormErrors,
) -> AppResult<ImportPage> {
    let (mut tx, i) = ctx.load::<ImportRow>(MANAGE, id).await?;
    let m = i.municipality_id;
    let imported = i.status == "imported";
    let t = ocr::parse(&i.content).map_err(|_| AppError::NotFound)?;
    let assignments = t
        .assignments
        .iter()
        .map(|a| AssignmentView {
            account: a.account.clone(),
            number: a.number.clone(),
            transactions: a.transactions.len(),
            total: format::kroner(a.transactions.iter().map(|x| x.amount_ore).sum()),
        })
        .collect();
    let mut page = ImportPage {
        layout: Layout::new(ctx, NAV),
        municipality: name_of(&ctx.visible_with_role(MANAGE), m),
        imported,
        assignments,
        lines: i.lines as i64,
        total: format::kroner(i.total),
        matched: i.matched as i64,
        matched_total: format::kroner(i.matched_total),
        queued: i.queued as i64,
        rows: Vec::new(),
        next: None,
        message,
        errors,
        i,
    };
    if imported {
        let mut rows = repo::lines_of(&mut tx, m, id, after, LINES_SHOWN + 1).await?;
        if rows.len() as i64 > LINES_SHOWN {
            rows.truncate(LINES_SHOWN as usize);
            page.next = rows.last().map(|r| r.line_no);
        }
        page.rows = rows.iter().map(LineView::stored).collect();
    } else {
        let planned = commands::plan(&mut tx, &page.i)
            .await
            .map_err(AppError::from)?;
        let c = model::counts(&planned);
        page.lines = c.lines;
        page.total = format::kroner(c.total);
        page.matched = c.matched;
        page.matched_total = format::kroner(c.matched_total);
        page.queued = c.queued;
        page.rows = planned
            .iter()
            .filter(|l| l.status.is_queued())
            .take(LINES_SHOWN as usize)
            .map(LineView::planned)
            .collect();
    }
    tx.commit().await?;
    Ok(page)
}

#[derive(Deserialize, Default)]
pub struct LinesQuery {
    #[serde(default)]
    etter: String,
    #[serde(default)]
    melding: String,
}

/// `GET /husleie/innlesing/{id}`
pub async fn show(ctx: Ctx, Id(id): Id, Query(q): Query<LinesQuery>) -> AppResult<Response> {
    let after = if q.etter.is_empty() {
        0
    } else {
        q.etter.parse().map_err(|_| AppError::NotFound)?
    };
    let message = match q.melding.as_str() {
        "importert" => "Filen er importert.",
        _ => "",
    };
    render(&import_page(&ctx, id, after, message.into(), FormErrors::new()).await?)
}

/// `POST /husleie/innlesing/{id}/bekreft`: the import, all or nothing. A second submit
/// shows the import as it is.
pub async fn confirm(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, i) = ctx.load_for_write::<ImportRow>(MANAGE, MANAGE, id).await?;
    let outcome = commands::confirm(&mut tx, ctx.actor(), &i).await;
    let here = format!("/husleie/innlesing/{id}");
    match db::commit(tx, outcome).await {
        Ok(Some(_)) => Ok(Redirect::to(&format!("{here}?melding=importert")).into_response()),
        Ok(None) => Ok(Redirect::to(&here).into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let status = shown.status();
            render_status(
                status,
                &import_page(&ctx, id, 0, String::new(), shown.errors).await?,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// The queue

pub struct QueueRow {
    pub l: LineRow,
    pub municipality: String,
}

impl QueueRow {
    pub fn amount(&self) -> String {
        format::kroner(self.l.amount)
    }
    pub fn paid_on(&self) -> String {
        format::date(self.l.paid_on)
    }
    pub fn status_label(&self) -> &'static str {
        self.l.status().label()
    }
    pub fn kid(&self) -> &str {
        self.l.kid.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "rent/import_queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub rows: Vec<QueueRow>,
    pub several: bool,
    pub next: Option<Uuid>,
    pub message: String,
}

/// `GET /husleie/innbetalinger`: the unresolved lines, newest first.
pub async fn queue(ctx: Ctx, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let before = cursor(&q.etter)?;
    let (mut tx, munis) = ctx.read_tx(MANAGE).await?;
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mut rows = repo::queue(&mut tx, &ids, before, QUEUE_SHOWN + 1).await?;
    tx.commit().await?;
    let next = if rows.len() as i64 > QUEUE_SHOWN {
        rows.truncate(QUEUE_SHOWN as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let message = match q.melding.as_str() {
        "tildelt" => "Innbetalingen er ført på leiekontrakten.",
        "returnert" => "Innbetalingen er merket for tilbakebetaling.",
        "reversert" => "Reverseringen er ført som korrigering av innbetalingen på leiekontrakten.",
        _ => "",
    };
    render(&QueuePage {
        layout: Layout::new(&ctx, NAV),
        rows: rows
            .into_iter()
            .map(|l| QueueRow {
                municipality: name_of(&munis, l.municipality_id),
                l,
            })
            .collect(),
        several: munis.len() > 1,
        next,
        message: message.into(),
    })
}

#[derive(Template)]
#[template(path = "rent/import_line.html")]
pub struct LinePage {
    pub layout: Layout,
    pub l: QueueRow,
    pub type_name: &'static str,
    pub queued: bool,
    /// The bank took a payment back (a negative line): put on a lease, it reverses one.
    pub reversal: bool,
    pub resolved: String,
    pub assign: AssignForm,
    pub back: ReturnForm,
    pub errors: FormErrors,
}

async fn line_page(
    ctx: &Ctx,
    id: Uuid,
    assign: Option<AssignForm>,
    back: Option<ReturnForm>,
    errors: FormErrors,
) -> AppResult<LinePage> {
    let (tx, l) = ctx.load::<LineRow>(MANAGE, id).await?;
    tx.commit().await?;
    let version = l.version.to_string();
    let keep = |v: &str| {
        if v.is_empty() {
            version.clone()
        } else {
            v.to_string()
        }
    };
    let assign = assign.unwrap_or_default();
    let back = back.unwrap_or_default();
    Ok(LinePage {
        layout: Layout::new(ctx, NAV),
        type_name: ocr::transaction_type_name(l.transaction_type as u8).unwrap_or(""),
        queued: l.status().is_queued(),
        reversal: l.amount < 0,
        resolved: l.resolved_at.map(format::datetime).unwrap_or_default(),
        assign: AssignForm {
            version: keep(&assign.version),
            ..assign
        },
        back: ReturnForm {
            version: keep(&back.version),
            ..back
        },
        errors,
        l: QueueRow {
            municipality: name_of(&ctx.visible_with_role(MANAGE), l.municipality_id),
            l,
        },
    })
}

/// `GET /husleie/innbetalinger/{id}`
pub async fn line(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    render(&line_page(&ctx, id, None, None, FormErrors::new()).await?)
}

/// `POST /husleie/innbetalinger/{id}/tildel`: the line's payment on a lease.
pub async fn assign(ctx: Ctx, Id(id): Id, Form(f): Form<AssignForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx.load_for_write::<LineRow>(MANAGE, MANAGE, id).await?;
    let version = crate::web::extract::version(&f.version);
    let outcome = match f.parse() {
        Ok(lease) => commands::assign(&mut tx, ctx.actor(), &l, version, lease).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) if l.amount < 0 => {
            Ok(Redirect::to("/husleie/innbetalinger?melding=reversert").into_response())
        }
        Ok(_) => Ok(Redirect::to("/husleie/innbetalinger?melding=tildelt").into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let status = shown.status();
            render_status(
                status,
                &line_page(&ctx, id, Some(f), None, shown.errors).await?,
            )
        }
    }
}

/// `POST /husleie/innbetalinger/{id}/returner`: the line to be paid back, with the reason.
pub async fn return_line(ctx: Ctx, Id(id): Id, Form(f): Form<ReturnForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx.load_for_write::<LineRow>(MANAGE, MANAGE, id).await?;
    let version = crate::web::extract::version(&f.version);
    let outcome = match f.parse() {
        Ok(reason) => commands::return_line(&mut tx, ctx.actor(), &l, version, reason).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/husleie/innbetalinger?melding=returnert").into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let status = shown.status();
            render_status(
                status,
                &line_page(&ctx, id, None, Some(f), shown.errors).await?,
            )
        }
    }
}
