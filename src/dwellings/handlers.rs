//! HTTP handlers: properties and units (create, show, edit), status changes and condition
//! assessments.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{
    AssessmentForm, Condition, OwnerType, PropertyForm, Status, StatusForm, UnitForm,
};
use super::repo::{self, AssessmentRow, ListItem, ListKind, PropertyRow, StatusChangeRow, UnitRow};
use super::views::{municipality_name, parse_cursor, EDIT, READ};
use crate::audit::{self, Event};
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::municipalities::repo::{areas, Area};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

pub fn parse_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

const CONFLICT_MESSAGE: &str =
    "Noen andre har lagret endringer på denne boligen mens du arbeidet. \
Det du skrev er ikke lagret, men står fortsatt i skjemaet. Sammenlign med det som er lagret nå \
(åpne boligen i en ny fane) og lagre igjen om du fortsatt vil gjøre endringen.";

const PROPERTY_CONFLICT: &str =
    "Noen andre har lagret endringer på denne eiendommen mens du arbeidet. \
Det du skrev er ikke lagret, men står fortsatt i skjemaet. Sammenlign med det som er lagret nå \
(åpne eiendommen i en ny fane) og lagre igjen om du fortsatt vil gjøre endringen.";

fn conflict_errors(message: &str) -> FormErrors {
    let mut e = FormErrors::new();
    e.general = Some(message.into());
    e
}

/// A municipality the user may edit in, from the form (or the only one).
fn edit_municipality(ctx: &Ctx, raw: &str) -> AppResult<MunicipalityRef> {
    let editable = ctx.visible_with_role(EDIT);
    if editable.is_empty() {
        return Err(AppError::Forbidden);
    }
    if editable.len() == 1 {
        return Ok(editable
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!()));
    }
    editable
        .into_iter()
        .find(|m| m.number == raw.trim() || m.id.to_string() == raw.trim())
        .ok_or(AppError::NotFound)
}

// ----- Properties -----------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PropertiesQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub etter: String,
    #[serde(default)]
    pub velg: String,
}

#[derive(Template)]
#[template(path = "dwellings/properties.html")]
pub struct PropertiesPage {
    pub layout: Layout,
    pub munis: Vec<MunicipalityRef>,
    pub show_municipality: bool,
    pub can_edit: bool,
    pub q: String,
    pub choosing: bool,
    pub errors: FormErrors,
    pub properties: Vec<PropertyRow>,
    pub next_query: Option<String>,
}

impl PropertiesPage {
    pub fn muni(&self, id: &Uuid) -> String {
        municipality_name(&self.munis, *id)
    }
}

pub async fn properties(ctx: Ctx, Query(q): Query<PropertiesQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(READ).await?;
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let after = parse_cursor(&q.etter);
    let mut rows = repo::properties(&mut tx, &ids, &q.q, after, repo::PAGE_SIZE + 1).await?;
    tx.commit().await?;
    let next_query = if rows.len() as i64 > repo::PAGE_SIZE {
        rows.pop();
        rows.last().map(|r| {
            serde_urlencoded::to_string([
                ("q", q.q.as_str()),
                ("etter", &format!("{}~{}", r.name.to_lowercase(), r.id)),
            ])
            .unwrap_or_default()
        })
    } else {
        None
    };
    render(&PropertiesPage {
        layout: Layout::new(&ctx, "boliger"),
        show_municipality: ctx.visible_municipalities().len() > 1,
        can_edit: !ctx.visible_with_role(EDIT).is_empty(),
        munis,
        q: q.q,
        choosing: !q.velg.is_empty(),
        errors: FormErrors::new(),
        properties: rows,
        next_query,
    })
}

#[derive(Template)]
#[template(path = "dwellings/property_form.html")]
pub struct PropertyFormPage {
    pub layout: Layout,
    /// None for a new property.
    pub id: Option<Uuid>,
    pub municipalities: Vec<MunicipalityRef>,
    pub areas: Vec<(MunicipalityRef, Vec<Area>)>,
    pub owner_types: [OwnerType; 4],
    pub form: PropertyForm,
    pub errors: FormErrors,
}

impl PropertyFormPage {
    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/eiendommer/{id}/rediger"),
            None => "/eiendommer/ny".into(),
        }
    }
}

async fn property_form_page(
    ctx: &Ctx,
    id: Option<Uuid>,
    munis: Vec<MunicipalityRef>,
    form: PropertyForm,
    errors: FormErrors,
) -> AppResult<PropertyFormPage> {
    let (mut tx, _) = ctx.read_tx(EDIT).await?;
    let mut with_areas = Vec::new();
    for m in &munis {
        with_areas.push((m.clone(), areas(&mut tx, m.id).await?));
    }
    tx.commit().await?;
    Ok(PropertyFormPage {
        layout: Layout::new(ctx, "boliger"),
        id,
        municipalities: if id.is_none() && munis.len() > 1 {
            munis
        } else {
            Vec::new()
        },
        areas: with_areas,
        owner_types: OwnerType::ALL,
        form,
        errors,
    })
}

pub async fn new_property(ctx: Ctx) -> AppResult<Response> {
    let munis = ctx.visible_with_role(EDIT);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let form = PropertyForm {
        owner_type: OwnerType::Municipality.key().into(),
        ..Default::default()
    };
    render(&property_form_page(&ctx, None, munis, form, FormErrors::new()).await?)
}

fn name_taken() -> FormErrors {
    let mut e = FormErrors::new();
    e.add(
        "name",
        "Det finnes allerede en eiendom med dette navnet. Bruk et navn som skiller dem, for eksempel med gatenummer.",
    );
    e
}

async fn new_property_rejected(
    ctx: &Ctx,
    form: PropertyForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let page = property_form_page(ctx, None, ctx.visible_with_role(EDIT), form, errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn create_property(
    ctx: Ctx,
    Form(fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let form = PropertyForm::from_fields(&fields);
    let m = edit_municipality(&ctx, &form.municipality)?;
    let mut tx = ctx.write_tx(m.id, EDIT).await?;
    let area_ids: Vec<Uuid> = areas(&mut tx, m.id).await?.iter().map(|a| a.id).collect();
    let input = match form.parse(&area_ids) {
        Ok(p) => p,
        Err(errors) => {
            tx.rollback().await?;
            return new_property_rejected(&ctx, form, errors).await;
        }
    };
    let id = match repo::insert_property(&mut tx, m.id, &input, ctx.user.id).await {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e, "properties_name_key") => {
            tx.rollback().await?;
            return new_property_rejected(&ctx, form, name_taken()).await;
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("property.created")
            .municipality(m.id)
            .entity("property", id)
            .details(serde_json::json!({
                "name": input.name, "street_address": input.street_address,
                "owner_type": input.owner_type,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/eiendommer/{id}?melding=opprettet")).into_response())
}

#[derive(Deserialize, Default)]
pub struct MessageQuery {
    #[serde(default)]
    pub melding: String,
}

#[derive(Template)]
#[template(path = "dwellings/property.html")]
pub struct PropertyPage {
    pub layout: Layout,
    pub property: PropertyRow,
    pub municipality: String,
    pub show_municipality: bool,
    pub units: Vec<UnitRow>,
    pub can_edit: bool,
    pub message: String,
}

pub async fn show_property(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<MessageQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, munis) = ctx.read_tx(READ).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let property = repo::property(&mut tx, &ids, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let units = repo::units_of_property(&mut tx, property.municipality_id, id).await?;
    tx.commit().await?;
    render(&PropertyPage {
        layout: Layout::new(&ctx, "boliger"),
        municipality: municipality_name(&munis, property.municipality_id),
        show_municipality: ctx.visible_municipalities().len() > 1,
        can_edit: ctx.user.has_any_role(property.municipality_id, EDIT),
        property,
        units,
        message: q.melding,
    })
}

fn property_form_of(p: &PropertyRow) -> PropertyForm {
    PropertyForm {
        municipality: String::new(),
        name: p.name.clone(),
        street_address: p.street_address.clone(),
        postcode: p.postcode.clone(),
        postal_place: p.postal_place.clone(),
        area_id: p.area_id.map(|a| a.to_string()).unwrap_or_default(),
        gnr: p.gnr.map(|v| v.to_string()).unwrap_or_default(),
        bnr: p.bnr.map(|v| v.to_string()).unwrap_or_default(),
        owner_type: p.owner_type.key().into(),
        owner_name: p.owner_name.clone(),
        agreement_ends: p.agreement_ends.map(|d| d.to_string()).unwrap_or_default(),
        has_lift: p.has_lift,
        notes: p.notes.clone(),
        version: p.version.to_string(),
    }
}

/// The property, in a transaction that may edit it.
async fn editable_property(ctx: &Ctx, id: Uuid) -> AppResult<(db::Tx, PropertyRow)> {
    let (mut tx, munis) = ctx.read_tx(READ).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let p = repo::property(&mut tx, &ids, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let tx = ctx.write_tx(p.municipality_id, EDIT).await?;
    Ok((tx, p))
}

fn muni_ref(ctx: &Ctx, id: Uuid) -> Vec<MunicipalityRef> {
    ctx.user
        .municipalities()
        .into_iter()
        .filter(|m| m.id == id)
        .collect()
}

pub async fn edit_property(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (tx, p) = editable_property(&ctx, id).await?;
    tx.commit().await?;
    let form = property_form_of(&p);
    let page = property_form_page(
        &ctx,
        Some(id),
        muni_ref(&ctx, p.municipality_id),
        form,
        FormErrors::new(),
    )
    .await?;
    render(&page)
}

pub async fn update_property(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, p) = editable_property(&ctx, id).await?;
    let m = p.municipality_id;
    let mut form = PropertyForm::from_fields(&fields);
    let area_ids: Vec<Uuid> = areas(&mut tx, m).await?.iter().map(|a| a.id).collect();
    let input = match form.parse(&area_ids) {
        Ok(i) => i,
        Err(errors) => {
            tx.rollback().await?;
            let page = property_form_page(&ctx, Some(id), muni_ref(&ctx, m), form, errors).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let saved = match repo::update_property(&mut tx, m, id, &input, form.version(), ctx.user.id)
        .await
    {
        Ok(s) => s,
        Err(e) if db::is_unique_violation(&e, "properties_name_key") => {
            tx.rollback().await?;
            let page =
                property_form_page(&ctx, Some(id), muni_ref(&ctx, m), form, name_taken()).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return Err(e.into()),
    };
    if !saved {
        tx.rollback().await?;
        // Saving again must be a deliberate overwrite of the colleague's version.
        let (tx, latest) = editable_property(&ctx, id).await?;
        tx.commit().await?;
        form.version = latest.version.to_string();
        let page = property_form_page(
            &ctx,
            Some(id),
            muni_ref(&ctx, m),
            form,
            conflict_errors(PROPERTY_CONFLICT),
        )
        .await?;
        return render_status(StatusCode::CONFLICT, &page);
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("property.updated")
            .municipality(m)
            .entity("property", id)
            .details(serde_json::json!({
                "name": input.name, "street_address": input.street_address,
                "owner_type": input.owner_type, "version": form.version() + 1,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/eiendommer/{id}?melding=lagret")).into_response())
}

// ----- Units ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dwellings/unit_form.html")]
pub struct UnitFormPage {
    pub layout: Layout,
    pub id: Option<Uuid>,
    pub property: PropertyRow,
    pub types: Vec<ListItem>,
    pub adaptations: Vec<ListItem>,
    pub conditions: [Condition; 4],
    pub statuses: Vec<Status>,
    pub form: UnitForm,
    pub errors: FormErrors,
}

impl UnitFormPage {
    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/boliger/{id}/rediger"),
            None => "/boliger/ny".into(),
        }
    }
}

/// The lists a unit form offers: active items plus any inactive one the unit already has.
async fn unit_choices(
    tx: &mut db::Tx,
    m: Uuid,
    current_type: Option<Uuid>,
    current_adaptations: &[Uuid],
) -> AppResult<(Vec<ListItem>, Vec<ListItem>)> {
    let types = repo::list_items(tx, ListKind::Types, &[m], true)
        .await?
        .into_iter()
        .filter(|t| t.active || Some(t.id) == current_type)
        .collect();
    let adaptations = repo::list_items(tx, ListKind::Adaptations, &[m], true)
        .await?
        .into_iter()
        .filter(|a| a.active || current_adaptations.contains(&a.id))
        .collect();
    Ok((types, adaptations))
}

fn ids(items: &[ListItem]) -> Vec<Uuid> {
    items.iter().map(|i| i.id).collect()
}

#[derive(Deserialize, Default)]
pub struct NewUnitQuery {
    #[serde(default)]
    pub eiendom: String,
}

pub async fn new_unit(ctx: Ctx, Query(q): Query<NewUnitQuery>) -> AppResult<Response> {
    if ctx.visible_with_role(EDIT).is_empty() {
        return Err(AppError::Forbidden);
    }
    let Ok(pid) = Uuid::parse_str(&q.eiendom) else {
        return Ok(Redirect::to("/eiendommer?velg=1").into_response());
    };
    let (mut tx, property) = editable_property(&ctx, pid).await?;
    let (types, adaptations) = unit_choices(&mut tx, property.municipality_id, None, &[]).await?;
    tx.commit().await?;
    let form = UnitForm {
        property_id: pid.to_string(),
        status: Status::Vacant.key().into(),
        ..Default::default()
    };
    render(&UnitFormPage {
        layout: Layout::new(&ctx, "boliger"),
        id: None,
        property,
        types,
        adaptations,
        conditions: Condition::ALL,
        statuses: new_unit_statuses(),
        form,
        errors: FormErrors::new(),
    })
}

fn new_unit_statuses() -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Sold)
        .collect()
}

fn unit_number_taken() -> FormErrors {
    let mut e = FormErrors::new();
    e.add(
        "unit_number",
        "Eiendommen har allerede en boenhet med dette bruksenhetsnummeret.",
    );
    e
}

pub async fn create_unit(
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = UnitForm::from_pairs(&pairs);
    let pid = parse_id(&form.property_id)?;
    let (mut tx, property) = editable_property(&ctx, pid).await?;
    let m = property.municipality_id;
    let (types, adaptations) = unit_choices(&mut tx, m, None, &[]).await?;
    let today = ctx.today();
    let result = match form.parse_new(&ids(&types), &ids(&adaptations), today) {
        Ok(new) => repo::insert_unit(&mut tx, m, pid, &new, today, "", ctx.user.id)
            .await
            .map(|id| Ok((id, new))),
        Err(e) => Ok(Err(e)),
    };
    let (id, new) = match result {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => {
            tx.rollback().await?;
            return unit_form_rejected(&ctx, None, property, types, adaptations, form, errors);
        }
        Err(e) if db::is_unique_violation(&e, "dwellings_unit_key") => {
            tx.rollback().await?;
            let errors = unit_number_taken();
            return unit_form_rejected(&ctx, None, property, types, adaptations, form, errors);
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.created")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "property": property.name, "unit_number": new.unit.unit_number,
                "rooms": new.unit.rooms, "status": new.status,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/boliger/{id}?melding=opprettet")).into_response())
}

fn unit_form_rejected(
    ctx: &Ctx,
    id: Option<Uuid>,
    property: PropertyRow,
    types: Vec<ListItem>,
    adaptations: Vec<ListItem>,
    form: UnitForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let status = if errors.general.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &UnitFormPage {
            layout: Layout::new(ctx, "boliger"),
            id,
            property,
            types,
            adaptations,
            conditions: Condition::ALL,
            statuses: new_unit_statuses(),
            form,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "dwellings/unit.html")]
pub struct UnitPage {
    pub layout: Layout,
    pub unit: UnitRow,
    pub municipality: String,
    pub show_municipality: bool,
    pub adaptations: Vec<ListItem>,
    pub history: Vec<StatusChangeRow>,
    pub assessments: Vec<AssessmentRow>,
    pub can_edit: bool,
    /// May the user see who the unit could go to (case contents)?
    pub can_allocate: bool,
    pub message: String,
}

async fn load_unit(ctx: &Ctx, id: Uuid) -> AppResult<(db::Tx, UnitRow, Vec<MunicipalityRef>)> {
    let (mut tx, munis) = ctx.read_tx(READ).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let unit = repo::unit(&mut tx, &ids, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, unit, munis))
}

pub async fn show_unit(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<MessageQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, unit, munis) = load_unit(&ctx, id).await?;
    let m = unit.municipality_id;
    let adaptations = repo::unit_adaptations(&mut tx, m, id).await?;
    let history = repo::status_history(&mut tx, m, id).await?;
    let assessments = repo::assessments(&mut tx, m, id).await?;
    tx.commit().await?;
    render(&UnitPage {
        layout: Layout::new(&ctx, "boliger"),
        municipality: municipality_name(&munis, m),
        show_municipality: ctx.visible_municipalities().len() > 1,
        can_edit: ctx.user.has_any_role(m, EDIT),
        can_allocate: ctx.may(crate::auth::policy::Permission::Allocate, m),
        unit,
        adaptations,
        history,
        assessments,
        message: q.melding,
    })
}

/// The unit and its property, in a transaction that may edit them.
async fn editable_unit(ctx: &Ctx, id: Uuid) -> AppResult<(db::Tx, UnitRow, PropertyRow)> {
    let (mut tx, unit, munis) = load_unit(ctx, id).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let property = repo::property(&mut tx, &ids, unit.property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let tx = ctx.write_tx(unit.municipality_id, EDIT).await?;
    Ok((tx, unit, property))
}

fn unit_form_of(u: &UnitRow, adaptations: &[ListItem]) -> UnitForm {
    let opt = |v: Option<String>| v.unwrap_or_default();
    UnitForm {
        property_id: u.property_id.to_string(),
        unit_number: u.unit_number.clone(),
        dwelling_type_id: u.dwelling_type_id.to_string(),
        rooms: u.rooms.to_string(),
        area: super::model::format_area(u.area)
            .trim_end_matches(" m²")
            .to_string(),
        floor: opt(u.floor.map(|f| f.to_string())),
        wheelchair_accessible: u.wheelchair_accessible,
        staff_base: u.staff_base,
        adaptations: adaptations.iter().map(|a| a.id.to_string()).collect(),
        monthly_rent: opt(u.monthly_rent.map(|r| {
            crate::web::format::kroner(r)
                .trim_end_matches("\u{a0}kr")
                .to_string()
        })),
        condition: opt(u.condition.map(|c| c.key().to_string())),
        condition_assessed_on: opt(u.condition_assessed_on.map(|d| d.to_string())),
        status: u.status.key().into(),
        expected_vacant_from: opt(u.expected_vacant_from.map(|d| d.to_string())),
        notes: u.notes.clone(),
        version: u.version.to_string(),
    }
}

pub async fn edit_unit(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, unit, property) = editable_unit(&ctx, id).await?;
    let current = repo::unit_adaptations(&mut tx, unit.municipality_id, id).await?;
    let (types, adaptations) = unit_choices(
        &mut tx,
        unit.municipality_id,
        Some(unit.dwelling_type_id),
        &ids(&current),
    )
    .await?;
    tx.commit().await?;
    render(&UnitFormPage {
        layout: Layout::new(&ctx, "boliger"),
        id: Some(id),
        property,
        types,
        adaptations,
        conditions: Condition::ALL,
        statuses: Vec::new(),
        form: unit_form_of(&unit, &current),
        errors: FormErrors::new(),
    })
}

pub async fn update_unit(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, unit, property) = editable_unit(&ctx, id).await?;
    let m = unit.municipality_id;
    let mut form = UnitForm::from_pairs(&pairs);
    let current = repo::unit_adaptations(&mut tx, m, id).await?;
    let (types, adaptations) =
        unit_choices(&mut tx, m, Some(unit.dwelling_type_id), &ids(&current)).await?;
    let input = match form.parse(&ids(&types), &ids(&adaptations), ctx.today()) {
        Ok(i) => i,
        Err(errors) => {
            tx.rollback().await?;
            return unit_form_rejected(&ctx, Some(id), property, types, adaptations, form, errors);
        }
    };
    match repo::update_unit(&mut tx, m, id, &input, form.version(), ctx.user.id).await {
        Ok(true) => {}
        Ok(false) => {
            tx.rollback().await?;
            let (tx, latest, _) = load_unit(&ctx, id).await?;
            tx.commit().await?;
            form.version = latest.version.to_string();
            let errors = conflict_errors(CONFLICT_MESSAGE);
            return unit_form_rejected(&ctx, Some(id), property, types, adaptations, form, errors);
        }
        Err(e) if db::is_unique_violation(&e, "dwellings_unit_key") => {
            tx.rollback().await?;
            let errors = unit_number_taken();
            return unit_form_rejected(&ctx, Some(id), property, types, adaptations, form, errors);
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.updated")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "unit_number": input.unit_number, "rooms": input.rooms, "area_dm2": input.area * 10,
                "monthly_rent": input.monthly_rent, "condition": input.condition,
                "version": form.version() + 1,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/boliger/{id}?melding=lagret")).into_response())
}

// ----- Status ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dwellings/status_form.html")]
pub struct StatusPage {
    pub layout: Layout,
    pub unit: UnitRow,
    pub choices: Vec<Status>,
    pub form: StatusForm,
    pub errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct StatusQuery {
    #[serde(default)]
    pub til: String,
}

pub async fn status_page(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (tx, unit, _) = editable_unit(&ctx, id).await?;
    tx.commit().await?;
    let form = StatusForm {
        status: q.til,
        effective_on: ctx.today().to_string(),
        expected_vacant_from: unit
            .expected_vacant_from
            .map(|d| d.to_string())
            .unwrap_or_default(),
        reason: String::new(),
        version: unit.version.to_string(),
    };
    render(&StatusPage {
        layout: Layout::new(&ctx, "boliger"),
        choices: unit.status.may_become().to_vec(),
        unit,
        form,
        errors: FormErrors::new(),
    })
}

pub async fn change_status(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(mut form): Form<StatusForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, unit, _) = editable_unit(&ctx, id).await?;
    let m = unit.municipality_id;
    let reject = |unit: UnitRow, form: StatusForm, errors: FormErrors, status: StatusCode| {
        render_status(
            status,
            &StatusPage {
                layout: Layout::new(&ctx, "boliger"),
                choices: unit.status.may_become().to_vec(),
                unit,
                form,
                errors,
            },
        )
    };
    if form.version() != unit.version {
        tx.rollback().await?;
        form.version = unit.version.to_string();
        let errors = conflict_errors(
            "Boligen er endret av noen andre siden du åpnet skjemaet, og statusen kan være en annen nå. \
             Ingenting er lagret. Se over statusen som gjelder nå og lagre igjen om endringen fortsatt er riktig.",
        );
        return reject(unit, form, errors, StatusCode::CONFLICT);
    }
    let change = match form.parse(unit.status, ctx.today()) {
        Ok(c) => c,
        Err(errors) => {
            tx.rollback().await?;
            return reject(unit, form, errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    if !repo::change_status(
        &mut tx,
        m,
        id,
        unit.status,
        &change,
        form.version(),
        ctx.user.id,
    )
    .await?
    {
        tx.rollback().await?;
        let (tx, latest, _) = load_unit(&ctx, id).await?;
        tx.commit().await?;
        form.version = latest.version.to_string();
        let errors = conflict_errors(CONFLICT_MESSAGE);
        return reject(latest, form, errors, StatusCode::CONFLICT);
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.status_changed")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "from": unit.status, "to": change.to, "effective_on": change.effective_on,
                "expected_vacant_from": change.expected_vacant_from, "reason": change.reason,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/boliger/{id}?melding=status")).into_response())
}

// ----- Condition assessments -------------------------------------------------------------

#[derive(Template)]
#[template(path = "dwellings/assessment_form.html")]
pub struct AssessmentPage {
    pub layout: Layout,
    pub unit: UnitRow,
    pub conditions: [Condition; 4],
    pub form: AssessmentForm,
    pub errors: FormErrors,
}

pub async fn assessment_page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (tx, unit, _) = editable_unit(&ctx, id).await?;
    tx.commit().await?;
    render(&AssessmentPage {
        layout: Layout::new(&ctx, "boliger"),
        unit,
        conditions: Condition::ALL,
        form: AssessmentForm {
            assessed_on: ctx.today().to_string(),
            ..Default::default()
        },
        errors: FormErrors::new(),
    })
}

pub async fn add_assessment(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<AssessmentForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (mut tx, unit, _) = editable_unit(&ctx, id).await?;
    let m = unit.municipality_id;
    let a = match form.parse(ctx.today()) {
        Ok(a) => a,
        Err(errors) => {
            tx.rollback().await?;
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &AssessmentPage {
                    layout: Layout::new(&ctx, "boliger"),
                    unit,
                    conditions: Condition::ALL,
                    form,
                    errors,
                },
            );
        }
    };
    let aid = repo::add_assessment(&mut tx, m, id, &a, ctx.user.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("dwelling.assessed")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "assessment": aid, "assessed_on": a.assessed_on, "grade": a.grade,
                "cost_estimate": a.cost_estimate,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/boliger/{id}?melding=vurdert#tilstand")).into_response())
}
