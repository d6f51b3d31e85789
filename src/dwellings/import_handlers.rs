//! Spreadsheet import over HTTP: upload (stored, nothing applied), preview of every row with
//! its errors, and an all-or-nothing confirm that updates by unit number.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::handlers::parse_id;
use super::import::{self, ImportRow, Lookups, Parsed};
use super::model::{transition_error, NewUnit, Status};
use super::repo::{self, ImportFile, ListKind};
use super::views::EDIT;
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::municipalities::repo::areas;
use crate::web::csv_export;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::Layout;
use crate::web::{render, render_status};

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
    if ctx.visible_with_role(EDIT).is_empty() {
        return Err(AppError::Forbidden);
    }
    let (header, rows) = import::template_rows();
    Ok(csv_export::response("boliger-mal.csv", &header, rows))
}

/// Body limit of the upload route: the largest file we take plus room for the other
/// fields. A bigger body stops being read and gets the same message as a big file.
pub const UPLOAD_BODY_LIMIT: usize = import::MAX_BYTES + 256 * 1024;

const TOO_LARGE: &str =
    "Filen er for stor. Største tillatte størrelse er 5 MB; del den opp i flere filer.";

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
        return reject(TOO_LARGE);
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
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return reject("Velg en CSV-fil å laste opp.");
    };
    if bytes.len() > import::MAX_BYTES {
        return reject(TOO_LARGE);
    }
    if std::str::from_utf8(&bytes).is_err() && bytes.iter().take(4096).any(|b| *b == 0) {
        return reject(
            "Filen ser ikke ut som en CSV-fil. Lagre regnearket som «CSV (semikolondelt)» i Excel og prøv igjen.",
        );
    }
    let name = if name.is_empty() {
        "boliger.csv".to_string()
    } else {
        name
    };
    let mut tx = ctx.write_tx(m.id, EDIT).await?;
    let id = repo::insert_import(&mut tx, m.id, &name, &bytes, ctx.user.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.import_uploaded")
            .municipality(m.id)
            .entity("dwelling_import", id)
            .details(serde_json::json!({ "filename": name, "bytes": bytes.len() })),
    )
    .await?;
    tx.commit().await?;
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

/// The import file, in a transaction of its municipality that may edit.
async fn load(ctx: &Ctx, id: Uuid) -> AppResult<ImportFile> {
    let (mut tx, munis) = ctx.read_tx(EDIT).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let file = repo::import_file(&mut tx, &ids, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(file)
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

/// Checks the parsed rows against what is registered: which units exist, and whether
/// their status may change as the file says.
async fn check(
    tx: &mut Tx,
    m: Uuid,
    parsed: Parsed,
) -> AppResult<(Parsed, HashMap<(String, String), repo::ExistingUnit>)> {
    let mut keys: Vec<String> = parsed
        .rows
        .iter()
        .map(|r| r.property_name.to_lowercase())
        .collect();
    keys.sort();
    keys.dedup();
    let existing: HashMap<(String, String), repo::ExistingUnit> =
        repo::existing_units(tx, m, &keys)
            .await?
            .into_iter()
            .map(|e| ((e.property_key.clone(), e.unit_number.clone()), e))
            .collect();
    let mut parsed = parsed;
    for row in &mut parsed.rows {
        match (existing.get(&row.key()), row.status) {
            (Some(e), Some(to)) if e.status != to => {
                if let Some(msg) = transition_error(e.status, to) {
                    row.errors.push(msg);
                }
            }
            (None, Some(Status::Sold)) => row
                .errors
                .push("En ny bolig kan ikke registreres som solgt.".into()),
            _ => {}
        }
    }
    Ok((parsed, existing))
}

fn preview_rows(
    parsed: &Parsed,
    existing: &HashMap<(String, String), repo::ExistingUnit>,
) -> Vec<PreviewRow> {
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
    let mut tx = ctx.write_tx(m, EDIT).await?;
    let lookups = lookups(&mut tx, m).await?;
    tx.commit().await?;
    // Parsing happens outside any transaction.
    let parsed = import::parse(&file.content, &lookups, ctx.today());
    let mut tx = ctx.write_tx(m, EDIT).await?;
    let (parsed, existing) = check(&mut tx, m, parsed).await?;
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
                .format("%d.%m.%Y kl. %H:%M")
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

pub async fn preview_page(
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PreviewQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let file = load(&ctx, id).await?;
    render(&preview(&ctx, &file, q.resultat).await?)
}

pub async fn confirm(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let file = load(&ctx, id).await?;
    if file.applied_at.is_some() {
        // A second submit of the same confirmation shows the first result.
        return Ok(Redirect::to(&format!("/boliger/import/{id}")).into_response());
    }
    let m = file.municipality_id;
    let mut tx = ctx.write_tx(m, EDIT).await?;
    let lookups = lookups(&mut tx, m).await?;
    tx.commit().await?;
    let parsed = import::parse(&file.content, &lookups, ctx.today());
    let mut tx = ctx.write_tx(m, EDIT).await?;
    let (parsed, existing) = check(&mut tx, m, parsed).await?;
    if parsed.error_count() > 0 {
        tx.rollback().await?;
        let page = preview(&ctx, &file, String::new()).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if !repo::mark_import_applied(&mut tx, m, id, ctx.user.id).await? {
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("/boliger/import/{id}")).into_response());
    }
    let outcome = apply(&mut tx, &ctx, m, &file.filename, &parsed, &existing).await;
    let (created, updated, unchanged, properties) = match outcome {
        Ok(v) => v,
        Err(AppError::Database(e)) if db::is_unique_violation(&e, "dwellings_unit_key") => {
            tx.rollback().await?;
            let mut page = preview(&ctx, &file, String::new()).await?;
            page.file_errors.push(
                "Noen registrerte boliger fra filen mens du så på forhåndsvisningen. Ingenting er lagret. Se over forhåndsvisningen og bekreft på nytt."
                    .into(),
            );
            return render_status(StatusCode::CONFLICT, &page);
        }
        Err(e) => return Err(e),
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.imported")
            .municipality(m)
            .entity("dwelling_import", id)
            .details(serde_json::json!({
                "filename": file.filename, "rows": parsed.rows.len(), "created": created,
                "updated": updated, "unchanged": unchanged, "properties_created": properties,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/boliger/import/{id}?resultat={created}+nye%2C+{updated}+oppdatert%2C+{unchanged}+uendret%2C+{properties}+nye+eiendommer"
    ))
    .into_response())
}

/// Writes every row in the caller's transaction: (created, updated, unchanged, new properties).
async fn apply(
    tx: &mut Tx,
    ctx: &Ctx,
    m: Uuid,
    filename: &str,
    parsed: &Parsed,
    existing: &HashMap<(String, String), repo::ExistingUnit>,
) -> AppResult<(usize, usize, usize, usize)> {
    let today = ctx.today();
    let reason = format!("Import fra fil «{filename}»");
    let mut property_ids: HashMap<String, Uuid> = HashMap::new();
    let (mut created, mut updated, mut unchanged, mut new_properties) = (0, 0, 0, 0);
    for row in &parsed.rows {
        let (Some(p), Some(unit)) = (&row.property, &row.unit) else {
            continue;
        };
        let key = p.name.to_lowercase();
        let pid = match property_ids.get(&key) {
            Some(id) => *id,
            None => {
                let (id, was_created) = repo::upsert_property(tx, m, p, ctx.user.id).await?;
                if was_created {
                    new_properties += 1;
                }
                property_ids.insert(key, id);
                id
            }
        };
        match existing.get(&row.key()) {
            Some(e) => {
                let status = row
                    .status
                    .filter(|s| *s != e.status)
                    .map(|to| (e.status, to, row.expected_vacant_from));
                if repo::import_update_unit(tx, m, e.id, unit, status, today, &reason, ctx.user.id)
                    .await?
                {
                    updated += 1;
                } else {
                    unchanged += 1;
                }
            }
            None => {
                let new = NewUnit {
                    unit: unit.clone(),
                    status: row.status.unwrap_or(Status::Vacant),
                    expected_vacant_from: row.expected_vacant_from,
                };
                repo::insert_unit(tx, m, pid, &new, today, &reason, ctx.user.id).await?;
                created += 1;
            }
        }
    }
    Ok((created, updated, unchanged, new_properties))
}
