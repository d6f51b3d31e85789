//! Administration of the municipality's dwelling types and adaptations (admins only).

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commands;
use super::repo::{self, ListItem, ListKind};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::municipalities::views::{
    admin_target_for, posted_admin_target, ChoosePage, ForMunicipality,
};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::parse_id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{render, render_status};

const ADMINISTER: Permission = Permission::Administer;

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

async fn lists_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    type_name: String,
    adaptation_name: String,
    errors: FormErrors,
) -> AppResult<ListsPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
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

pub async fn page(ctx: Ctx, Query(target): Query<ForMunicipality>) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &target)? else {
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

/// The page again with the refusal next to the add field of `kind`.
async fn refused(
    ctx: &Ctx,
    m: MunicipalityRef,
    kind: ListKind,
    typed: String,
    refusal: Refusal,
) -> AppResult<Response> {
    let shown = refusal.shown()?;
    let (t, a) = match kind {
        ListKind::Types => (typed, String::new()),
        ListKind::Adaptations => (String::new(), typed),
    };
    let status = shown.status();
    let page = lists_page(ctx, m, t, a, shown.errors).await?;
    render_status(status, &page)
}

fn back_to(m: &MunicipalityRef, kind: ListKind) -> Response {
    let anchor = match kind {
        ListKind::Types => "boligtyper",
        ListKind::Adaptations => "tilpasninger",
    };
    Redirect::to(&format!(
        "/innstillinger/boligtyper?kommune={}#{anchor}",
        m.id
    ))
    .into_response()
}

pub async fn add(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let (kind, field) = kind_of(&form.kind)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome =
        commands::add_list_item(&mut tx, ctx.actor(), m.id, kind, field, &form.name).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(back_to(&m, kind)),
        Err(refusal) => refused(&ctx, m, kind, form.name, refusal).await,
    }
}

#[derive(Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
    Query(target): Query<ForMunicipality>,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let (kind, field) = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome =
        commands::rename_list_item(&mut tx, ctx.actor(), m.id, kind, field, id, &form.name).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(back_to(&m, kind)),
        // The rename field is in the list; the add field stays empty.
        Err(refusal) => refused(&ctx, m, kind, String::new(), refusal).await,
    }
}

async fn set_active(
    ctx: Ctx,
    target: ForMunicipality,
    kind: String,
    id: String,
    active: bool,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let (kind, _) = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome =
        commands::set_list_item_active(&mut tx, ctx.actor(), m.id, kind, id, active).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(back_to(&m, kind)),
        Err(refusal) => refused(&ctx, m, kind, String::new(), refusal).await,
    }
}

pub async fn deactivate(
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    set_active(ctx, target, kind, id, false).await
}

pub async fn activate(
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    set_active(ctx, target, kind, id, true).await
}
