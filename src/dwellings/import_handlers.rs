//! Spreadsheet import over HTTP: upload (stored, nothing applied), preview of every row with
//! its errors, and an all-or-nothing confirm that updates by unit number.

use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, Existing};
use super::import::{self, ImportRow, Lookups, Parsed};
use super::model::Status;
use super::repo::{self, ImportFile, ListKind};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::municipalities::repo::areas;
use crate::web::csv_export;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{render, render_status};

const EDIT: Permission = Permission::EditRegister;

/// A refusal where no form can show it: storing an upload refuses nothing of the user's.
fn refused(refusal: Refusal) -> AppError {
    match refusal.shown() {
        Ok(_) => AppError::Conflict,
        Err(e) => e,
    }
}

#[derive(Template)]
#[template(path = "dwellings/import.html")]
pub struct UploadPage {
    pub layout: Layout,
    pub municipalities: Vec<MunicipalityRef>,
    pub chosen: String,
    pub error: Option<String>,
    pub columns: Vec<&'static str>,
}

fn upload_page_with(ctx: &Ctx, chosen: String, error: Option<String>) -> AppResult<UploadPage> {
    let munis = ctx.visible_with_role(EDIT);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(UploadPage {
        layout: Layout::new(ctx, "boliger"),
        municipalities: if munis.len() > 1 { munis } else { Vec::new() },
        chosen,
        error,
        columns: import::COLUMNS.iter().map(|(_, n)| n[0]).collect(),
    })
}

pub async fn upload_page(ctx: Ctx) -> AppResult<Response> {
    render(&upload_page_with(&ctx, String::new(), None)?)
}

pub async fn template_csv(ctx: Ctx) -> AppResult<Response> {
    if !ctx.may_in_view(EDIT) {
        return Err(AppError::Forbidden);
    }
    let (header, rows) = import::template_rows();
    Ok(csv_export::response("boliger-mal.csv", &header, rows))
}

/// Body limit of the upload route: the largest file we take plus room for the other
/// fields. A bigger body stops being read and gets the same message as a big file.
pub const UPLOAD_BODY_LIMIT: usize = import::MAX_BYTES + 256 * 1024;

pub async fn upload(ctx: Ctx, mut multipart: Multipart) -> AppResult<Response> {
    let mut municipality = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    // Over the body limit the multipart reader fails with 413: say so in Norwegian.
    let read_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            None
        } else {
            Some(AppError::BadRequest)
        }
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => match read_error(e) {
                None => {
                    too_large = true;
                    break;
                }
                Some(err) => return Err(err),
            },
        };
        match field.name() {
            Some("municipality") => {
                municipality = field.text().await.map_err(|_| AppError::BadRequest)?;
            }
            Some("file") => {
                let name = field
                    .file_name()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(e) => match read_error(e) {
                        None => {
                            too_large = true;
                            break;
                        }
                        Some(err) => return Err(err),
                    },
                }
            }
            _ => {}
        }
    }
    let reject = |msg: &str| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &upload_page_with(&ctx, municipality.clone(), Some(msg.to_string()))?,
        )
    };
    if too_large {
        return reject(import::TOO_LARGE);
    }
    let editable = ctx.visible_with_role(EDIT);
    let m = match editable.len() {
        0 => return Err(AppError::Forbidden),
        1 => editable[0].clone(),
        _ => match editable.iter().find(|m| m.number == municipality) {
            Some(m) => m.clone(),
            None => return reject("Velg hvilken kommune boligene hører til."),
        },
    };
    let (name, bytes) = file.unwrap_or_default();
    let name = match import::check_upload(name, &bytes) {
        Ok(name) => name,
        Err(msg) => return reject(msg),
    };
    let mut tx = ctx.write_tx(m.id, EDIT).await?;
    let outcome = commands::upload_import(&mut tx, ctx.actor(), m.id, &name, &bytes).await;
    let id = db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to(&format!("/boliger/import/{id}")).into_response())
}

/// What an import row will do.
pub struct PreviewRow {
    pub row: ImportRow,
    /// "ny", "oppdateres", or "" when the row has errors.
    pub action: &'static str,
    pub status_change: String,
}

#[derive(Template)]
#[template(path = "dwellings/import_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub import_id: Uuid,
    pub filename: String,
    pub municipality: String,
    pub encoding: &'static str,
    pub delimiter: String,
    pub file_errors: Vec<String>,
    pub rows: Vec<PreviewRow>,
    pub error_rows: usize,
    pub new_units: usize,
    pub updated_units: usize,
    pub applied: Option<String>,
    pub result: String,
}

async fn lookups(tx: &mut Tx, m: Uuid) -> AppResult<Lookups> {
    repo::ensure_defaults(tx, m).await?;
    let area_list = areas(tx, m).await?;
    let types = repo::list_items(tx, ListKind::Types, &[m], false).await?;
    let adaptations = repo::list_items(tx, ListKind::Adaptations, &[m], false).await?;
    Ok(Lookups::new(
        area_list.into_iter().map(|a| (a.name, a.id)),
        types.into_iter().map(|t| (t.name, t.id)),
        adaptations.into_iter().map(|a| (a.name, a.id)),
    ))
}

/// The file parsed against its municipality's lists, in a fresh write transaction (the
/// parsing itself happens outside any transaction).
async fn parsed(ctx: &Ctx, file: &ImportFile) -> AppResult<(Tx, Parsed)> {
    let m = file.municipality_id;
    let mut tx = ctx.write_tx(m, EDIT).await?;
    let lookups = lookups(&mut tx, m).await?;
    tx.commit().await?;
    let parsed = import::parse(&file.content, &lookups, ctx.today());
    Ok((ctx.write_tx(m, EDIT).await?, parsed))
}

fn preview_rows(parsed: &Parsed, existing: &Existing) -> Vec<PreviewRow> {
    parsed
        .rows
        .iter()
        .map(|r| {
            let e = existing.get(&r.key());
            let status_change = match (e, r.status) {
                (Some(e), Some(to)) if e.status != to => {
                    format!("{} → {}", e.status.label(), to.label())
                }
                (None, s) => s.unwrap_or(Status::Vacant).label().to_string(),
                _ => String::new(),
            };
            PreviewRow {
                row: r.clone(),
                action: if !r.errors.is_empty() {
                    ""
                } else if e.is_some() {
                    "oppdateres"
                } else {
                    "ny"
                },
                status_change,
            }
        })
        .collect()
}

async fn preview(ctx: &Ctx, file: &ImportFile, result: String) -> AppResult<PreviewPage> {
    let m = file.municipality_id;
    let (mut tx, parsed) = parsed(ctx, file).await?;
    let (parsed, existing) = commands::check_import(&mut tx, m, parsed).await?;
    tx.commit().await?;
    let rows = preview_rows(&parsed, &existing);
    Ok(PreviewPage {
        layout: Layout::new(ctx, "boliger"),
        import_id: file.id,
        filename: file.filename.clone(),
        municipality: ctx
            .user
            .municipalities()
            .into_iter()
            .find(|x| x.id == m)
            .map(|x| x.name)
            .unwrap_or_default(),
        encoding: parsed.encoding,
        delimiter: match parsed.delimiter {
            ',' => "komma",
            '\t' => "tabulator",
            _ => "semikolon",
        }
        .into(),
        error_rows: parsed.error_count(),
        new_units: rows.iter().filter(|r| r.action == "ny").count(),
        updated_units: rows.iter().filter(|r| r.action == "oppdateres").count(),
        file_errors: parsed.file_errors,
        rows,
        applied: file.applied_at.map(|t| {
            t.with_timezone(&chrono_tz::Europe::Oslo)
                .format("%d.%m.%Y kl. %H.%M")
                .to_string()
        }),
        result,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    pub resultat: String,
}

/// The import file, found among the municipalities where the user may edit the register.
async fn load(ctx: &Ctx, id: Uuid) -> AppResult<ImportFile> {
    let (tx, file) = ctx.load::<ImportFile>(EDIT, id).await?;
    tx.commit().await?;
    Ok(file)
}

pub async fn preview_page(
    ctx: Ctx,
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<PreviewQuery>,
) -> AppResult<Response> {
    let file = load(&ctx, id).await?;
    render(&preview(&ctx, &file, q.resultat).await?)
}

pub async fn confirm(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let file = load(&ctx, id).await?;
    if file.applied_at.is_some() {
        // A second submit of the same confirmation shows the first result.
        return Ok(Redirect::to(&format!("/boliger/import/{id}")).into_response());
    }
    let (mut tx, parsed) = parsed(&ctx, &file).await?;
    let outcome = commands::confirm_import(&mut tx, ctx.actor(), &file, parsed).await;
    match db::commit(tx, outcome).await {
        Ok(None) => Ok(Redirect::to(&format!("/boliger/import/{id}")).into_response()),
        Ok(Some(done)) => Ok(Redirect::to(&format!(
            "/boliger/import/{id}?resultat={}+nye%2C+{}+oppdatert%2C+{}+uendret%2C+{}+nye+eiendommer",
            done.created, done.updated, done.unchanged, done.properties
        ))
        .into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let mut page = preview(&ctx, &file, String::new()).await?;
            // Rows with errors show them; a stale preview says so above the rows.
            page.file_errors.extend(shown.errors.general.clone());
            render_status(shown.status(), &page)
        }
    }
}
