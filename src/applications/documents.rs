//! Documents on a case: upload (PDF, JPEG, PNG, DOCX up to 20 MB, type judged by the
//! content) and download for those who may see the case.

use axum::extract::Multipart;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, case_path};
use super::handlers::{load_case, refuse, CaseForms};
use super::model::{Upload, MAX_DOCUMENT_BYTES};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{Id, Ids};

async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let mut up = Upload::default();
    while let Some(mut field) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        match field.name() {
            Some("title") => {
                let t = field.text().await.map_err(|_| AppError::BadRequest)?;
                up.title = t.chars().take(1000).collect();
            }
            Some("file") => {
                up.filename = field.file_name().unwrap_or("").to_owned();
                while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                    if up.bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                        up.too_large = true;
                        up.bytes.clear();
                        // Drain the rest without keeping it.
                        while field
                            .chunk()
                            .await
                            .map_err(|_| AppError::BadRequest)?
                            .is_some()
                        {}
                        break;
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    Ok(up)
}

pub async fn upload(ctx: Ctx, Id(id): Id, mp: Multipart) -> AppResult<Response> {
    let up = read_upload(mp).await?;
    let (mut tx, case) = load_case(&ctx, id).await?;
    let outcome = commands::add_document(&mut tx, ctx.actor(), &case, &up).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?melding=dokument#dokumenter", case_path(id))).into_response(),
        ),
        Err(refusal) => {
            let mut forms = CaseForms::refused("document", refusal.shown()?);
            forms.document_title = up.title;
            refuse(&ctx, id, forms).await
        }
    }
}

pub async fn download(ctx: Ctx, Ids(id, doc): Ids) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let d = repo::document(&mut tx, &visible, id, doc)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.document_downloaded")
            .municipality(d.municipality_id)
            .entity("document", doc)
            .details(serde_json::json!({ "application": id })),
    )
    .await?;
    tx.commit().await?;
    let ascii: String = d
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::web::error::urlencode(&d.filename).replace('+', "%20")
    );
    let mut res = d.content.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&d.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(res)
}
