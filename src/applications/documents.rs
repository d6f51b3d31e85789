//! Documents on a case: upload (PDF, JPEG, PNG, DOCX up to 20 MB, type judged by the
//! content) and download for those who may see the case.

use axum::extract::{Multipart, Path};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::handlers::{case_path, case_tx, parse_id, CaseForms, CASE_ROLES};
use super::model::{clean_filename, sniff_document, MAX_DOCUMENT_BYTES};
use super::repo;
use crate::audit::{self, Event};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{text, FormErrors};

struct Upload {
    title: String,
    filename: String,
    bytes: Vec<u8>,
    too_large: bool,
}

async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let mut up = Upload {
        title: String::new(),
        filename: String::new(),
        bytes: Vec::new(),
        too_large: false,
    };
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

pub async fn upload(ctx: Ctx, Path(id): Path<String>, mp: Multipart) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let up = read_upload(mp).await?;
    let mut errors = FormErrors::new();
    let title_typed = up.title.clone();
    let mut title = text(
        &mut errors,
        "document_title",
        &up.title,
        false,
        200,
        "Tittel",
    );
    let content_type = if up.too_large {
        errors.add(
            "document_file",
            "Filen er større enn 20 MB. Del den opp eller komprimer den, og prøv igjen.",
        );
        None
    } else if up.bytes.is_empty() {
        errors.add("document_file", "Velg en fil som skal lastes opp.");
        None
    } else {
        let t = sniff_document(&up.bytes);
        if t.is_none() {
            errors.add(
                "document_file",
                "Filtypen er ikke tillatt. Last opp PDF, JPEG, PNG eller Word-dokument (DOCX).",
            );
        }
        t
    };
    let Some(content_type) = content_type.filter(|_| errors.is_empty()) else {
        let forms = CaseForms {
            active: "document",
            errors,
            document_title: title_typed,
            ..Default::default()
        };
        let page = super::handlers::case_page(&ctx, id, forms, "", false).await?;
        return crate::web::render_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let filename = clean_filename(&up.filename, content_type);
    if title.is_empty() {
        title = filename.clone();
    }
    let (mut tx, m) = case_tx(&ctx, id).await?;
    let doc = repo::insert_document(
        &mut tx,
        m,
        id,
        &title,
        &filename,
        content_type,
        &up.bytes,
        Some(ctx.user.id),
    )
    .await?;
    repo::record_event(
        &mut tx,
        m,
        id,
        Some(ctx.user.id),
        "document",
        &format!("Dokument lagt til: {title}"),
        "",
        Some(&format!("{}/dokumenter/{doc}", case_path(id))),
    )
    .await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("application.document_added")
            .municipality(m)
            .entity("document", doc)
            .details(serde_json::json!({
                "application": id, "content_type": content_type, "size": up.bytes.len(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?melding=dokument#dokumenter", case_path(id))).into_response())
}

pub async fn download(ctx: Ctx, Path((id, doc)): Path<(String, String)>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let doc = parse_id(&doc)?;
    let (mut tx, munis) = ctx.read_tx(CASE_ROLES).await?;
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
