//! Administration of the municipality's dwelling types and adaptations (admins only).

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::handlers::parse_id;
use super::model::parse_list_name;
use super::repo::{self, ListItem, ListKind};
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::auth::Role;
use crate::db;
use crate::municipalities::handlers::ChoosePage;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Template)]
#[template(path = "dwellings/lists.html")]
pub struct ListsPage {
    pub layout: Layout,
    pub municipality: MunicipalityRef,
    pub sections: Vec<Section>,
    pub errors: FormErrors,
}

/// One of the two lists on the page, with its add form.
pub struct Section {
    pub kind: &'static str,
    pub heading: &'static str,
    pub anchor: &'static str,
    pub items: Vec<ListItem>,
    pub field: &'static str,
    pub typed: String,
    pub label: &'static str,
}

/// The municipality whose lists are edited: the one in view, or the only one administered.
fn admin_target(ctx: &Ctx) -> AppResult<Option<MunicipalityRef>> {
    let candidates = ctx.visible_with_role(&[Role::Admin]);
    match candidates.len() {
        0 => Err(AppError::Forbidden),
        1 => Ok(candidates.into_iter().next()),
        _ => Ok(None),
    }
}

async fn lists_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    type_name: String,
    adaptation_name: String,
    errors: FormErrors,
) -> AppResult<ListsPage> {
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    repo::ensure_defaults(&mut tx, m.id).await?;
    let types = repo::list_items(&mut tx, ListKind::Types, &[m.id], true).await?;
    let adaptations = repo::list_items(&mut tx, ListKind::Adaptations, &[m.id], true).await?;
    tx.commit().await?;
    Ok(ListsPage {
        layout: Layout::new(ctx, "boliger"),
        municipality: m,
        sections: vec![
            Section {
                kind: "type",
                heading: "Boligtyper",
                anchor: "boligtyper",
                items: types,
                field: "type_name",
                typed: type_name,
                label: "Ny boligtype",
            },
            Section {
                kind: "adaptation",
                heading: "Tilpasninger",
                anchor: "tilpasninger",
                items: adaptations,
                field: "adaptation_name",
                typed: adaptation_name,
                label: "Ny tilpasning",
            },
        ],
        errors,
    })
}

pub async fn page(ctx: Ctx) -> AppResult<Response> {
    let Some(m) = admin_target(&ctx)? else {
        return render(&ChoosePage {
            layout: Layout::new(&ctx, "boliger"),
        });
    };
    render(&lists_page(&ctx, m, String::new(), String::new(), FormErrors::new()).await?)
}

fn kind_of(raw: &str) -> AppResult<(ListKind, &'static str)> {
    match raw {
        "type" => Ok((ListKind::Types, "type_name")),
        "adaptation" => Ok((ListKind::Adaptations, "adaptation_name")),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

async fn rejected(
    ctx: &Ctx,
    m: MunicipalityRef,
    kind: ListKind,
    typed: String,
    errors: FormErrors,
) -> AppResult<Response> {
    let (t, a) = match kind {
        ListKind::Types => (typed, String::new()),
        ListKind::Adaptations => (String::new(), typed),
    };
    let page = lists_page(ctx, m, t, a, errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn duplicate(field: &'static str, name: &str) -> FormErrors {
    let mut e = FormErrors::new();
    e.add(field, format!("«{name}» finnes allerede i listen."));
    e
}

fn anchor(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Types => "boligtyper",
        ListKind::Adaptations => "tilpasninger",
    }
}

pub async fn add(ctx: Ctx, Form(form): Form<AddForm>) -> AppResult<Response> {
    let m = admin_target(&ctx)?.ok_or(AppError::NotFound)?;
    let (kind, field) = kind_of(&form.kind)?;
    let name = match parse_list_name(field, &form.name) {
        Ok(n) => n,
        Err(errors) => return rejected(&ctx, m, kind, form.name, errors).await,
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let Some(id) = repo::add_item(&mut tx, kind, m.id, &name).await? else {
        tx.rollback().await?;
        return rejected(&ctx, m, kind, form.name, duplicate(field, &name)).await;
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new(match kind {
            ListKind::Types => "dwelling_type.added",
            ListKind::Adaptations => "dwelling_adaptation.added",
        })
        .municipality(m.id)
        .entity(kind.key(), id)
        .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/innstillinger/boligtyper#{}", anchor(kind))).into_response())
}

#[derive(Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    let m = admin_target(&ctx)?.ok_or(AppError::NotFound)?;
    let (kind, field) = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let name = match parse_list_name(field, &form.name) {
        Ok(n) => n,
        Err(errors) => return rejected(&ctx, m, kind, String::new(), errors).await,
    };
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let before = match repo::rename_item(&mut tx, kind, m.id, id, &name).await {
        Ok(Some(before)) => before,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if db::is_unique_violation(&e, &format!("{}_name_key", kind.table())) => {
            tx.rollback().await?;
            return rejected(&ctx, m, kind, String::new(), duplicate(field, &name)).await;
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new(match kind {
            ListKind::Types => "dwelling_type.renamed",
            ListKind::Adaptations => "dwelling_adaptation.renamed",
        })
        .municipality(m.id)
        .entity(kind.key(), id)
        .details(serde_json::json!({ "before": before, "after": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/innstillinger/boligtyper#{}", anchor(kind))).into_response())
}

async fn set_active(ctx: Ctx, kind: String, id: String, active: bool) -> AppResult<Response> {
    let m = admin_target(&ctx)?.ok_or(AppError::NotFound)?;
    let (kind, _) = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let mut tx = ctx.write_tx(m.id, &[Role::Admin]).await?;
    let name = repo::set_item_active(&mut tx, kind, m.id, id, active)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = match (kind, active) {
        (ListKind::Types, true) => "dwelling_type.activated",
        (ListKind::Types, false) => "dwelling_type.deactivated",
        (ListKind::Adaptations, true) => "dwelling_adaptation.activated",
        (ListKind::Adaptations, false) => "dwelling_adaptation.deactivated",
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new(action)
            .municipality(m.id)
            .entity(kind.key(), id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/innstillinger/boligtyper#{}", anchor(kind))).into_response())
}

pub async fn deactivate(ctx: Ctx, Path((kind, id)): Path<(String, String)>) -> AppResult<Response> {
    set_active(ctx, kind, id, false).await
}

pub async fn activate(ctx: Ctx, Path((kind, id)): Path<(String, String)>) -> AppResult<Response> {
    set_active(ctx, kind, id, true).await
}
