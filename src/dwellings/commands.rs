//! Changes to the dwelling register, one function each. A command takes the write
//! transaction (opened by [`crate::web::load`] or `Ctx::write_tx` on the record's
//! municipality), the actor and the typed form; it checks the rules and the version,
//! makes the change, writes the audit event and returns an outcome or a [`Refusal`]. It
//! never commits: the handler commits on success and drops the transaction on a refusal.

use std::collections::HashMap;

use uuid::Uuid;

use super::import::Parsed;
use super::model::{
    self, AssessmentForm, NewUnit, PropertyForm, Status, StatusForm, UnitForm, PROPERTY_NAME_TAKEN,
    UNIT_NUMBER_TAKEN,
};
use super::repo::{self, ExistingUnit, ImportFile, ListItem, ListKind, PropertyRow, UnitRow};
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::municipalities;
use crate::web::ctx::Actor;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

const PROPERTY_NAME: &[(&str, &str, &str)] =
    &[("properties_name_key", "name", PROPERTY_NAME_TAKEN)];
const UNIT_NUMBER: &[(&str, &str, &str)] =
    &[("dwellings_unit_key", "unit_number", UNIT_NUMBER_TAKEN)];

async fn area_ids(tx: &mut Tx, m: Uuid) -> Outcome<Vec<Uuid>> {
    Ok(municipalities::repo::areas(tx, m)
        .await?
        .iter()
        .map(|a| a.id)
        .collect())
}

/// Registers a property in municipality `m`.
pub async fn create_property(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    form: &PropertyForm,
) -> Outcome<Uuid> {
    let input = form.parse(&area_ids(tx, m).await?)?;
    let id = repo::insert_property(tx, m, &input, actor.user.id)
        .await
        .map_err(|e| on_constraint(e, PROPERTY_NAME))?;
    audit::record(
        tx,
        &actor,
        Event::new("property.created")
            .municipality(m)
            .entity("property", id)
            .details(serde_json::json!({
                "name": input.name, "street_address": input.street_address,
                "owner_type": input.owner_type,
            })),
    )
    .await?;
    Ok(id)
}

/// Saves the property form over version `form.version`.
pub async fn update_property(
    tx: &mut Tx,
    actor: Actor<'_>,
    property: &PropertyRow,
    form: &PropertyForm,
) -> Outcome<()> {
    let (m, id) = (property.municipality_id, property.id);
    let input = form.parse(&area_ids(tx, m).await?)?;
    let saved = repo::update_property(tx, m, id, &input, form.version(), actor.user.id)
        .await
        .map_err(|e| on_constraint(e, PROPERTY_NAME))?;
    if !saved {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("property.updated")
            .municipality(m)
            .entity("property", id)
            .details(serde_json::json!({
                "name": input.name, "street_address": input.street_address,
                "owner_type": input.owner_type, "version": form.version() + 1,
            })),
    )
    .await?;
    Ok(())
}

/// What a unit form may choose from: the municipality's active dwelling types and
/// adaptations, plus any inactive one the unit already has.
pub struct Choices {
    pub types: Vec<ListItem>,
    pub adaptations: Vec<ListItem>,
}

impl Choices {
    pub async fn read(
        tx: &mut Tx,
        m: Uuid,
        current_type: Option<Uuid>,
        current_adaptations: &[Uuid],
    ) -> sqlx::Result<Self> {
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
        Ok(Choices { types, adaptations })
    }

    fn type_ids(&self) -> Vec<Uuid> {
        self.types.iter().map(|i| i.id).collect()
    }

    fn adaptation_ids(&self) -> Vec<Uuid> {
        self.adaptations.iter().map(|i| i.id).collect()
    }
}

/// Registers a unit of `property`.
pub async fn create_unit(
    tx: &mut Tx,
    actor: Actor<'_>,
    property: &PropertyRow,
    form: &UnitForm,
    choices: &Choices,
) -> Outcome<Uuid> {
    let m = property.municipality_id;
    let new = form.parse_new(&choices.type_ids(), &choices.adaptation_ids(), actor.today)?;
    let id = repo::insert_unit(tx, m, property.id, &new, actor.today, "", actor.user.id)
        .await
        .map_err(|e| on_constraint(e, UNIT_NUMBER))?;
    audit::record(
        tx,
        &actor,
        Event::new("dwelling.created")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "property": property.name, "unit_number": new.unit.unit_number,
                "rooms": new.unit.rooms, "status": new.status,
            })),
    )
    .await?;
    Ok(id)
}

/// Saves the unit form over version `form.version`.
pub async fn update_unit(
    tx: &mut Tx,
    actor: Actor<'_>,
    unit: &UnitRow,
    form: &UnitForm,
    choices: &Choices,
) -> Outcome<()> {
    let (m, id) = (unit.municipality_id, unit.id);
    let input = form.parse(&choices.type_ids(), &choices.adaptation_ids(), actor.today)?;
    let saved = repo::update_unit(tx, m, id, &input, form.version(), actor.user.id)
        .await
        .map_err(|e| on_constraint(e, UNIT_NUMBER))?;
    if !saved {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
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
    Ok(())
}

/// Changes the unit's status, if the form was made from the status it has now.
pub async fn change_status(
    tx: &mut Tx,
    actor: Actor<'_>,
    unit: &UnitRow,
    form: &StatusForm,
) -> Outcome<()> {
    let (m, id) = (unit.municipality_id, unit.id);
    // The status may be another now: the transitions offered no longer apply.
    if form.version() != unit.version {
        return Err(Refusal::Stale);
    }
    let change = form.parse(unit.status, actor.today)?;
    if !repo::change_status(tx, m, id, unit.status, &change, unit.version, actor.user.id).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("dwelling.status_changed")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "from": unit.status, "to": change.to, "effective_on": change.effective_on,
                "expected_vacant_from": change.expected_vacant_from, "reason": change.reason,
            })),
    )
    .await?;
    Ok(())
}

/// Records a condition assessment of the unit.
pub async fn add_assessment(
    tx: &mut Tx,
    actor: Actor<'_>,
    unit: &UnitRow,
    form: &AssessmentForm,
) -> Outcome<()> {
    let (m, id) = (unit.municipality_id, unit.id);
    let a = form.parse(actor.today)?;
    let aid = repo::add_assessment(tx, m, id, &a, actor.user.id).await?;
    audit::record(
        tx,
        &actor,
        Event::new("dwelling.assessed")
            .municipality(m)
            .entity("dwelling", id)
            .details(serde_json::json!({
                "assessment": aid, "assessed_on": a.assessed_on, "grade": a.grade,
                "cost_estimate": a.cost_estimate,
            })),
    )
    .await?;
    Ok(())
}

// ----- Import ---------------------------------------------------------------------------

/// Stores an uploaded spreadsheet of municipality `m`; nothing is applied yet.
pub async fn upload_import(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    filename: &str,
    content: &[u8],
) -> Outcome<Uuid> {
    let id = repo::insert_import(tx, m, filename, content, actor.user.id).await?;
    audit::record(
        tx,
        &actor,
        Event::new("dwelling.import_uploaded")
            .municipality(m)
            .entity("dwelling_import", id)
            .details(serde_json::json!({ "filename": filename, "bytes": content.len() })),
    )
    .await?;
    Ok(id)
}

/// Units registered under (lower-case property name, unit number).
pub type Existing = HashMap<(String, String), ExistingUnit>;

/// Checks the parsed rows against what is registered: which units exist, and whether
/// their status may change as the file says.
pub async fn check_import(
    tx: &mut Tx,
    m: Uuid,
    parsed: Parsed,
) -> sqlx::Result<(Parsed, Existing)> {
    let mut keys: Vec<String> = parsed
        .rows
        .iter()
        .map(|r| r.property_name.to_lowercase())
        .collect();
    keys.sort();
    keys.dedup();
    let existing: Existing = repo::existing_units(tx, m, &keys)
        .await?
        .into_iter()
        .map(|e| ((e.property_key.clone(), e.unit_number.clone()), e))
        .collect();
    let mut parsed = parsed;
    for row in &mut parsed.rows {
        match (existing.get(&row.key()), row.status) {
            (Some(e), Some(to)) if e.status != to => {
                if let Some(msg) = model::transition_error(e.status, to) {
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

/// What a confirmed import did.
pub struct Imported {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub properties: usize,
}

/// Applies every row of the file, all or nothing. None when it was applied already (a
/// second submit of the same confirmation). Rows with errors refuse the whole file; a
/// unit registered from elsewhere meanwhile is a stale preview.
pub async fn confirm_import(
    tx: &mut Tx,
    actor: Actor<'_>,
    file: &ImportFile,
    parsed: Parsed,
) -> Outcome<Option<Imported>> {
    let m = file.municipality_id;
    let (parsed, existing) = check_import(tx, m, parsed).await?;
    if parsed.error_count() > 0 {
        // The preview shows each row's errors.
        return Err(Refusal::Invalid(Default::default()));
    }
    if !repo::mark_import_applied(tx, m, file.id, actor.user.id).await? {
        return Ok(None);
    }
    let done = apply(tx, actor, m, &file.filename, &parsed, &existing)
        .await
        .map_err(|e| match on_constraint(e, UNIT_NUMBER) {
            Refusal::Invalid(_) => Refusal::Stale,
            other => other,
        })?;
    audit::record(
        tx,
        &actor,
        Event::new("dwelling.imported")
            .municipality(m)
            .entity("dwelling_import", file.id)
            .details(serde_json::json!({
                "filename": file.filename, "rows": parsed.rows.len(), "created": done.created,
                "updated": done.updated, "unchanged": done.unchanged,
                "properties_created": done.properties,
            })),
    )
    .await?;
    Ok(Some(done))
}

/// Writes every row in the caller's transaction.
async fn apply(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    filename: &str,
    parsed: &Parsed,
    existing: &Existing,
) -> sqlx::Result<Imported> {
    let today = actor.today;
    let by = actor.user.id;
    let reason = format!("Import fra fil «{filename}»");
    let mut property_ids: HashMap<String, Uuid> = HashMap::new();
    let mut done = Imported {
        created: 0,
        updated: 0,
        unchanged: 0,
        properties: 0,
    };
    for row in &parsed.rows {
        let (Some(p), Some(unit)) = (&row.property, &row.unit) else {
            continue;
        };
        let key = p.name.to_lowercase();
        let pid = match property_ids.get(&key) {
            Some(id) => *id,
            None => {
                let (id, was_created) = repo::upsert_property(tx, m, p, by).await?;
                if was_created {
                    done.properties += 1;
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
                if repo::import_update_unit(tx, m, e.id, unit, status, today, &reason, by).await? {
                    done.updated += 1;
                } else {
                    done.unchanged += 1;
                }
            }
            None => {
                let new = NewUnit {
                    unit: unit.clone(),
                    status: row.status.unwrap_or(Status::Vacant),
                    expected_vacant_from: row.expected_vacant_from,
                };
                repo::insert_unit(tx, m, pid, &new, today, &reason, by).await?;
                done.created += 1;
            }
        }
    }
    Ok(done)
}

// ----- Dwelling types and adaptations ---------------------------------------------------

fn list_action(kind: ListKind, verb: &str) -> &'static str {
    match (kind, verb) {
        (ListKind::Types, "added") => "dwelling_type.added",
        (ListKind::Types, "renamed") => "dwelling_type.renamed",
        (ListKind::Types, "activated") => "dwelling_type.activated",
        (ListKind::Types, _) => "dwelling_type.deactivated",
        (ListKind::Adaptations, "added") => "dwelling_adaptation.added",
        (ListKind::Adaptations, "renamed") => "dwelling_adaptation.renamed",
        (ListKind::Adaptations, "activated") => "dwelling_adaptation.activated",
        (ListKind::Adaptations, _) => "dwelling_adaptation.deactivated",
    }
}

/// Adds a dwelling type or adaptation to municipality `m`'s list (`field` is the form's).
pub async fn add_list_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    kind: ListKind,
    field: &'static str,
    name: &str,
) -> Outcome<()> {
    let name = model::parse_list_name(field, name)?;
    let Some(id) = repo::add_item(tx, kind, m, &name).await? else {
        return Err(Refusal::field(field, model::list_name_taken(&name)));
    };
    audit::record(
        tx,
        &actor,
        Event::new(list_action(kind, "added"))
            .municipality(m)
            .entity(kind.key(), id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}

/// Renames an item of the list; not found is a 404.
pub async fn rename_list_item(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    kind: ListKind,
    field: &'static str,
    id: Uuid,
    name: &str,
) -> Outcome<()> {
    let name = model::parse_list_name(field, name)?;
    let taken = model::list_name_taken(&name);
    let constraint = format!("{}_name_key", kind.table());
    let before = repo::rename_item(tx, kind, m, id, &name)
        .await
        .map_err(|e| on_constraint(e, &[(constraint.as_str(), field, taken.as_str())]))?
        .ok_or(crate::web::error::AppError::NotFound)?;
    audit::record(
        tx,
        &actor,
        Event::new(list_action(kind, "renamed"))
            .municipality(m)
            .entity(kind.key(), id)
            .details(serde_json::json!({ "before": before, "after": name })),
    )
    .await?;
    Ok(())
}

/// Takes an item out of use (or back); not found is a 404.
pub async fn set_list_item_active(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    kind: ListKind,
    id: Uuid,
    active: bool,
) -> Outcome<()> {
    let name = repo::set_item_active(tx, kind, m, id, active)
        .await?
        .ok_or(crate::web::error::AppError::NotFound)?;
    let verb = if active { "activated" } else { "deactivated" };
    audit::record(
        tx,
        &actor,
        Event::new(list_action(kind, verb))
            .municipality(m)
            .entity(kind.key(), id)
            .details(serde_json::json!({ "name": name })),
    )
    .await?;
    Ok(())
}
