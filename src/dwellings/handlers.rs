//! HTTP handlers: properties and units (create, show, edit), status changes and condition
//! assessments. The changes themselves are in [`super::commands`].

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::commands::{self, Choices};
use super::model::{
    AssessmentForm, Condition, OwnerType, PropertyForm, Status, StatusForm, UnitForm,
};
use super::repo::{self, AssessmentRow, ListItem, PropertyRow, StatusChangeRow, UnitRow};
use super::views::{municipality_name, parse_cursor};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::municipalities::repo::{areas, Area};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Shown;
use crate::web::{render, render_status};

const READ: Permission = Permission::ReadRegister;
const EDIT: Permission = Permission::EditRegister;

/// A municipality the user may edit in, from the form (or the only one).
fn edit_municipality(ctx: &Ctx, raw: &str) -> AppResult<MunicipalityRef> {
    let mut editable = ctx.visible_with_role(EDIT);
    if editable.len() == 1 {
        return editable.pop().ok_or(AppError::Forbidden);
    }
    if editable.is_empty() {
        return Err(AppError::Forbidden);
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
        can_edit: ctx.may_in_view(EDIT),
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

/// The property form again, with what the user typed and why it was refused.
async fn property_refused(
    ctx: &Ctx,
    id: Option<Uuid>,
    munis: Vec<MunicipalityRef>,
    form: PropertyForm,
    shown: Shown,
) -> AppResult<Response> {
    let status = shown.status();
    let page = property_form_page(ctx, id, munis, form, shown.errors).await?;
    render_status(status, &page)
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

pub async fn create_property(ctx: Ctx, Form(form): Form<PropertyForm>) -> AppResult<Response> {
    let m = edit_municipality(&ctx, &form.municipality)?;
    let mut tx = ctx.write_tx(m.id, EDIT).await?;
    let outcome = commands::create_property(&mut tx, ctx.actor(), m.id, &form).await;
    match db::commit(tx, outcome).await {
        Ok(id) => Ok(Redirect::to(&format!("/eiendommer/{id}?melding=opprettet")).into_response()),
        Err(refusal) => {
            let munis = ctx.visible_with_role(EDIT);
            property_refused(&ctx, None, munis, form, refusal.shown()?).await
        }
    }
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
    Id(id): Id,
    Query(q): Query<MessageQuery>,
) -> AppResult<Response> {
    let (mut tx, property) = ctx.load::<PropertyRow>(READ, id).await?;
    let units = repo::units_of_property(&mut tx, property.municipality_id, id).await?;
    tx.commit().await?;
    render(&PropertyPage {
        layout: Layout::new(&ctx, "boliger"),
        municipality: municipality_name(&ctx.visible_municipalities(), property.municipality_id),
        show_municipality: ctx.visible_municipalities().len() > 1,
        can_edit: ctx.may(EDIT, property.municipality_id),
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

fn muni_ref(ctx: &Ctx, id: Uuid) -> Vec<MunicipalityRef> {
    ctx.user
        .municipalities()
        .into_iter()
        .filter(|m| m.id == id)
        .collect()
}

pub async fn edit_property(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (tx, p) = ctx.load_for_write::<PropertyRow>(READ, EDIT, id).await?;
    tx.commit().await?;
    let form = property_form_of(&p);
    let munis = muni_ref(&ctx, p.municipality_id);
    render(&property_form_page(&ctx, Some(id), munis, form, FormErrors::new()).await?)
}

pub async fn update_property(
    ctx: Ctx,
    Id(id): Id,
    Form(mut form): Form<PropertyForm>,
) -> AppResult<Response> {
    let (mut tx, p) = ctx.load_for_write::<PropertyRow>(READ, EDIT, id).await?;
    let outcome = commands::update_property(&mut tx, ctx.actor(), &p, &form).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("/eiendommer/{id}?melding=lagret")).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            if shown.status() == StatusCode::CONFLICT {
                // Saving again must be a deliberate overwrite of the colleague's version.
                let (tx, latest) = ctx.load::<PropertyRow>(READ, id).await?;
                tx.commit().await?;
                form.version = latest.version.to_string();
            }
            let munis = muni_ref(&ctx, p.municipality_id);
            property_refused(&ctx, Some(id), munis, form, shown).await
        }
    }
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

    /// The dwelling types as (value, label), after "choose".
    pub fn type_options(&self) -> Vec<(String, String)> {
        let choose = (String::new(), "Velg boligtype".to_string());
        let types = self
            .types
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone()));
        std::iter::once(choose).chain(types).collect()
    }

    /// The condition grades as (value, label), after "not assessed".
    pub fn condition_options(&self) -> Vec<(String, String)> {
        let none = (String::new(), "Ikke vurdert".to_string());
        let grades = self
            .conditions
            .iter()
            .map(|c| (c.key().to_string(), c.label().to_string()));
        std::iter::once(none).chain(grades).collect()
    }

    /// The statuses a new unit may start in, as (value, label).
    pub fn status_options(&self) -> Vec<(String, String)> {
        self.statuses
            .iter()
            .map(|s| (s.key().to_string(), s.label().to_string()))
            .collect()
    }

    fn new(
        ctx: &Ctx,
        id: Option<Uuid>,
        property: PropertyRow,
        choices: Choices,
        form: UnitForm,
        errors: FormErrors,
    ) -> Self {
        UnitFormPage {
            layout: Layout::new(ctx, "boliger"),
            id,
            property,
            types: choices.types,
            adaptations: choices.adaptations,
            conditions: Condition::ALL,
            statuses: if id.is_none() {
                new_unit_statuses()
            } else {
                Vec::new()
            },
            form,
            errors,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NewUnitQuery {
    #[serde(default)]
    pub eiendom: String,
}

pub async fn new_unit(ctx: Ctx, Query(q): Query<NewUnitQuery>) -> AppResult<Response> {
    if !ctx.may_in_view(EDIT) {
        return Err(AppError::Forbidden);
    }
    let Ok(pid) = Uuid::parse_str(&q.eiendom) else {
        return Ok(Redirect::to("/eiendommer?velg=1").into_response());
    };
    let (mut tx, property) = ctx.load_for_write::<PropertyRow>(READ, EDIT, pid).await?;
    let choices = Choices::read(&mut tx, property.municipality_id, None, &[]).await?;
    tx.commit().await?;
    let form = UnitForm {
        property_id: pid.to_string(),
        status: Status::Vacant.key().into(),
        ..Default::default()
    };
    render(&UnitFormPage::new(
        &ctx,
        None,
        property,
        choices,
        form,
        FormErrors::new(),
    ))
}

fn new_unit_statuses() -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Sold)
        .collect()
}

pub async fn create_unit(
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = UnitForm::from_pairs(&pairs);
    let pid = extract::parse_id(&form.property_id)?;
    let (mut tx, property) = ctx.load_for_write::<PropertyRow>(READ, EDIT, pid).await?;
    let choices = Choices::read(&mut tx, property.municipality_id, None, &[]).await?;
    let outcome = commands::create_unit(&mut tx, ctx.actor(), &property, &form, &choices).await;
    match db::commit(tx, outcome).await {
        Ok(id) => Ok(Redirect::to(&format!("/boliger/{id}?melding=opprettet")).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let page = UnitFormPage::new(&ctx, None, property, choices, form, shown.errors);
            render_status(status, &page)
        }
    }
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
    /// The unit's leases, for users who may read case contents (they name tenants).
    pub leases: Vec<crate::leases::repo::LeaseRef>,
    pub can_lease: bool,
    pub message: String,
}

pub async fn show_unit(ctx: Ctx, Id(id): Id, Query(q): Query<MessageQuery>) -> AppResult<Response> {
    let (mut tx, unit) = ctx.load::<UnitRow>(READ, id).await?;
    let m = unit.municipality_id;
    let adaptations = repo::unit_adaptations(&mut tx, m, id).await?;
    let history = repo::status_history(&mut tx, m, id).await?;
    let assessments = repo::assessments(&mut tx, m, id).await?;
    let reads_cases = ctx.may(Permission::ReadCases, m);
    let leases = if reads_cases {
        crate::leases::repo::leases_of_unit(&mut tx, m, id).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    render(&UnitPage {
        leases,
        can_lease: reads_cases && ctx.may(Permission::ManageLeases, m),
        layout: Layout::new(&ctx, "boliger"),
        municipality: municipality_name(&ctx.visible_municipalities(), m),
        show_municipality: ctx.visible_municipalities().len() > 1,
        can_edit: ctx.may(EDIT, m),
        can_allocate: ctx.may(Permission::Allocate, m),
        unit,
        adaptations,
        history,
        assessments,
        message: q.melding,
    })
}

/// The unit, its property and what its form may choose from, in a write transaction.
async fn editable_unit(ctx: &Ctx, id: Uuid) -> AppResult<(db::Tx, UnitRow, PropertyRow, Choices)> {
    let (mut tx, unit) = ctx.load_for_write::<UnitRow>(READ, EDIT, id).await?;
    let m = unit.municipality_id;
    let property = repo::property(&mut tx, &[m], unit.property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current: Vec<Uuid> = repo::unit_adaptations(&mut tx, m, id)
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    let choices = Choices::read(&mut tx, m, Some(unit.dwelling_type_id), &current).await?;
    Ok((tx, unit, property, choices))
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

pub async fn edit_unit(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, unit, property, choices) = editable_unit(&ctx, id).await?;
    let current = repo::unit_adaptations(&mut tx, unit.municipality_id, id).await?;
    tx.commit().await?;
    let form = unit_form_of(&unit, &current);
    render(&UnitFormPage::new(
        &ctx,
        Some(id),
        property,
        choices,
        form,
        FormErrors::new(),
    ))
}

pub async fn update_unit(
    ctx: Ctx,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (mut tx, unit, property, choices) = editable_unit(&ctx, id).await?;
    let mut form = UnitForm::from_pairs(&pairs);
    let outcome = commands::update_unit(&mut tx, ctx.actor(), &unit, &form, &choices).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("/boliger/{id}?melding=lagret")).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            if shown.status() == StatusCode::CONFLICT {
                // Saving again must be a deliberate overwrite of the colleague's version.
                let (tx, latest) = ctx.load::<UnitRow>(READ, id).await?;
                tx.commit().await?;
                form.version = latest.version.to_string();
            }
            let status = shown.status();
            let page = UnitFormPage::new(&ctx, Some(id), property, choices, form, shown.errors);
            render_status(status, &page)
        }
    }
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

impl StatusPage {
    fn new(ctx: &Ctx, unit: UnitRow, form: StatusForm, errors: FormErrors) -> Self {
        StatusPage {
            layout: Layout::new(ctx, "boliger"),
            choices: unit.status.may_become().to_vec(),
            unit,
            form,
            errors,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StatusQuery {
    #[serde(default)]
    pub til: String,
}

pub async fn status_page(
    ctx: Ctx,
    Id(id): Id,
    Query(q): Query<StatusQuery>,
) -> AppResult<Response> {
    let (tx, unit) = ctx.load_for_write::<UnitRow>(READ, EDIT, id).await?;
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
    render(&StatusPage::new(&ctx, unit, form, FormErrors::new()))
}

pub async fn change_status(
    ctx: Ctx,
    Id(id): Id,
    Form(mut form): Form<StatusForm>,
) -> AppResult<Response> {
    let (mut tx, unit) = ctx.load_for_write::<UnitRow>(READ, EDIT, id).await?;
    let outcome = commands::change_status(&mut tx, ctx.actor(), &unit, &form).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("/boliger/{id}?melding=status")).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let mut unit = unit;
            if shown.status() == StatusCode::CONFLICT {
                // The form shows the status that holds now.
                let (tx, latest) = ctx.load::<UnitRow>(READ, id).await?;
                tx.commit().await?;
                form.version = latest.version.to_string();
                unit = latest;
            }
            let status = shown.status();
            render_status(status, &StatusPage::new(&ctx, unit, form, shown.errors))
        }
    }
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

pub async fn assessment_page(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (tx, unit) = ctx.load_for_write::<UnitRow>(READ, EDIT, id).await?;
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
    Id(id): Id,
    Form(form): Form<AssessmentForm>,
) -> AppResult<Response> {
    let (mut tx, unit) = ctx.load_for_write::<UnitRow>(READ, EDIT, id).await?;
    let outcome = commands::add_assessment(&mut tx, ctx.actor(), &unit, &form).await;
    match db::commit(tx, outcome).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/boliger/{id}?melding=vurdert#tilstand")).into_response())
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let page = AssessmentPage {
                layout: Layout::new(&ctx, "boliger"),
                unit,
                conditions: Condition::ALL,
                form,
                errors: shown.errors,
            };
            render_status(status, &page)
        }
    }
}
