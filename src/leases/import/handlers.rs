//! The lease import over HTTP: the upload form, the template, the preview of every line
//! and the confirm.

use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, Action, Checked, Planned};
use super::parse::{self, Grounds, Parsed};
use super::repo::{self, ImportFile};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::{self, Tx};
use crate::web::csv_export;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

const MANAGE: Permission = Permission::ManageLeases;

/// The ground the template's example of a shorter lease names when the municipality has
/// none yet.
const EXAMPLE_GROUND: &str = "Gjennomgangsbolig";

#[derive(Template)]
#[template(path = "leases/import.html")]
pub struct UploadPage {
    pub layout: Layout,
    pub municipalities: Vec<MunicipalityRef>,
    pub chosen: String,
    pub error: Option<String>,
    pub columns: Vec<&'static str>,
}

fn upload_page_with(ctx: &Ctx, chosen: String, error: Option<String>) -> AppResult<UploadPage> {
    let munis = ctx.visible_with_role(MANAGE);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(UploadPage {
        layout: Layout::new(ctx, "leiekontrakter"),
        municipalities: if munis.len() > 1 { munis } else { Vec::new() },
        chosen,
        error,
        columns: parse::COLUMNS.iter().map(|(_, n)| n[0]).collect(),
    })
}

pub async fn upload_page(ctx: Ctx) -> AppResult<Response> {
    render(&upload_page_with(&ctx, String::new(), None)?)
}

pub async fn template_csv(ctx: Ctx) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(MANAGE).await?;
    let ground = match munis.first() {
        Some(m) => repo::grounds(&mut tx, m.id).await?.into_iter().next(),
        None => None,
    };
    tx.commit().await?;
    let label = ground.map(|g| g.0).unwrap_or_else(|| EXAMPLE_GROUND.into());
    let (header, rows) = parse::template_rows(&label);
    Ok(csv_export::response(
        "leiekontrakter-mal.csv",
        &header,
        rows,
    ))
}

/// Body limit of the upload route: the largest file taken plus room for the other fields.
pub const UPLOAD_BODY_LIMIT: usize = parse::MAX_BYTES + 256 * 1024;

/// The form's fields: the chosen municipality and the file, or None when the body was
/// over the limit.
pub(crate) async fn read_form(
    multipart: &mut Multipart,
) -> AppResult<Option<(String, String, Vec<u8>)>> {
    let too_large =
        |e: &axum::extract::multipart::MultipartError| e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let (mut municipality, mut name, mut bytes) = (String::new(), String::new(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(Some((municipality, name, bytes))),
            Err(e) if too_large(&e) => return Ok(None),
            Err(_) => return Err(AppError::BadRequest),
        };
        match field.name() {
            Some("municipality") => {
                municipality = field.text().await.map_err(|_| AppError::BadRequest)?;
            }
            Some("file") => {
                name = field
                    .file_name()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                bytes = match field.bytes().await {
                    Ok(b) => b.to_vec(),
                    Err(e) if too_large(&e) => return Ok(None),
                    Err(_) => return Err(AppError::BadRequest),
                };
            }
            _ => {}
        }
    }
}

pub async fn upload(ctx: Ctx, mut multipart: Multipart) -> AppResult<Response> {
    let form = read_form(&mut multipart).await?;
    let chosen = form.as_ref().map(|f| f.0.clone()).unwrap_or_default();
    let reject = |msg: &str| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &upload_page_with(&ctx, chosen.clone(), Some(msg.to_string()))?,
        )
    };
    let Some((municipality, name, bytes)) = form else {
        return reject(parse::TOO_LARGE);
    };
    let managed = ctx.visible_with_role(MANAGE);
    let m = match managed.as_slice() {
        [] => return Err(AppError::Forbidden),
        [one] => one.clone(),
        many => match many.iter().find(|m| m.number == municipality) {
            Some(m) => m.clone(),
            None => return reject("Velg hvilken kommune leieforholdene hører til."),
        },
    };
    let name = if name.is_empty() {
        "leiekontrakter.csv".to_string()
    } else {
        name
    };
    let name = match crate::dwellings::import::check_upload(name, &bytes) {
        Ok(name) => name,
        Err(msg) => return reject(msg),
    };
    let mut tx = ctx.write_tx(m.id, MANAGE).await?;
    let outcome = commands::upload(&mut tx, ctx.actor(), m.id, &name, &bytes).await;
    let id = db::commit(tx, outcome).await.map_err(AppError::from)?;
    Ok(Redirect::to(&format!("/leiekontrakter/import/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "leases/import_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub import_id: Uuid,
    pub filename: String,
    pub municipality: String,
    pub encoding: &'static str,
    pub delimiter: &'static str,
    pub file_errors: Vec<String>,
    pub rows: Vec<Planned>,
    pub error_rows: usize,
    pub new_leases: usize,
    pub existing: usize,
    pub applied: Option<String>,
    pub result: String,
}

impl PreviewPage {
    pub fn unit_text(&self, r: &Planned) -> String {
        match &r.unit {
            Some(u) => format!("{} {}", u.property_name, u.unit_number),
            None if r.line.property_name.is_empty() => r.line.unit_number.clone(),
            None => format!("{} {}", r.line.property_name, r.line.unit_number),
        }
    }

    pub fn is_new(&self, r: &Planned) -> bool {
        r.action == Action::New
    }

    pub fn exists(&self, r: &Planned) -> bool {
        r.action == Action::Exists
    }
}

/// The file parsed against its municipality's § 11-1 grounds (the parsing itself outside
/// any transaction), in a fresh write transaction.
async fn parsed(ctx: &Ctx, file: &ImportFile) -> AppResult<(Tx, Parsed)> {
    let m = file.municipality_id;
    let mut tx = ctx.write_tx(m, MANAGE).await?;
    let grounds = Grounds::new(repo::grounds(&mut tx, m).await?);
    tx.commit().await?;
    let parsed = parse::parse(&file.content, &grounds, ctx.today());
    Ok((ctx.write_tx(m, MANAGE).await?, parsed))
}

async fn preview(ctx: &Ctx, file: &ImportFile, result: String) -> AppResult<PreviewPage> {
    let m = file.municipality_id;
    let (mut tx, parsed) = parsed(ctx, file).await?;
    let checked: Checked = commands::check(&mut tx, m, parsed, ctx.today()).await?;
    // The preview names the tenants of the file: reading it is recorded.
    audit::record(
        &mut tx,
        ctx,
        Event::new("lease_import.viewed")
            .municipality(m)
            .entity("lease_import", file.id)
            .details(serde_json::json!({ "rows": checked.rows.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(PreviewPage {
        layout: Layout::new(ctx, "leiekontrakter"),
        import_id: file.id,
        filename: file.filename.clone(),
        municipality: ctx
            .user
            .municipalities()
            .into_iter()
            .find(|x| x.id == m)
            .map(|x| x.name)
            .unwrap_or_default(),
        encoding: checked.encoding,
        delimiter: match checked.delimiter {
            ',' => "komma",
            '\t' => "tabulator",
            _ => "semikolon",
        },
        error_rows: checked.error_count(),
        new_leases: checked.count(Action::New),
        existing: checked.count(Action::Exists),
        file_errors: checked.file_errors,
        rows: checked.rows,
        applied: file.applied_at.map(crate::web::format::datetime),
        result,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    pub resultat: String,
}

/// The import file, found among the municipalities where the user manages leases.
async fn load(ctx: &Ctx, id: Uuid) -> AppResult<ImportFile> {
    let (tx, file) = ctx.load::<ImportFile>(MANAGE, id).await?;
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
    let here = format!("/leiekontrakter/import/{id}");
    if file.applied_at.is_some() {
        // A second submit of the same confirmation shows the first result.
        return Ok(Redirect::to(&here).into_response());
    }
    let (mut tx, parsed) = parsed(&ctx, &file).await?;
    let outcome = commands::confirm(&mut tx, ctx.actor(), &file, parsed).await;
    match db::commit(tx, outcome).await {
        Ok(None) => Ok(Redirect::to(&here).into_response()),
        Ok(Some(done)) => Ok(Redirect::to(&format!(
            "{here}?resultat={}+nye+leiekontrakter%2C+{}+fantes+fra+f%C3%B8r%2C+{}+nye+personer",
            done.created, done.existing, done.people
        ))
        .into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let mut page = preview(&ctx, &file, String::new()).await?;
            // Lines with errors show them; a refusal of the file as a whole is said above.
            let before = page.file_errors.len();
            page.file_errors.extend(shown.errors.general.clone());
            page.file_errors.extend(
                shown
                    .errors
                    .summary()
                    .into_iter()
                    .map(|(_, m)| m.to_string()),
            );
            page.error_rows += page.file_errors.len() - before;
            render_status(status, &page)
        }
    }
}
