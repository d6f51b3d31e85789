//! The lease import's changes: storing an upload, checking the parsed lines against what
//! is registered (which unit, a lease already there, overlaps, the unit's status), and the
//! all-or-nothing confirm that creates the tenants, leases and initial rents and lets the
//! units. Never commits.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use super::parse::{Col, LeaseLine, LineError, LineStatus, Parsed};
use super::repo::{self, ImportFile, LeaseOnUnit, NewLeases, NewPeople, UnitRef};
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::dwellings::model::{transition_error, Status, StatusChange};
use crate::dwellings::repo as dwellings;
use crate::web::ctx::Actor;
use crate::web::format::date;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

/// The last guards in the database, as the preview explains them when a colleague
/// registered a lease between the preview and the confirm.
const CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "leases_no_overlap",
        "file",
        "Et av leieforholdene i filen overlapper med en leiekontrakt som ble registrert etter forhåndsvisningen. Ingenting er lagret. Last opp filen på nytt for å se hvilken linje det gjelder.",
    ),
    (
        "leases_short_term_basis",
        "file",
        "Et leieforhold kortere enn tre år mangler grunnlag og varsel etter husleieloven § 11-1. Ingenting er lagret.",
    ),
    (
        "leases_deposit_max",
        "file",
        "Et depositum er mer enn seks måneders leie (husleieloven § 3-5). Ingenting er lagret.",
    ),
];

/// Stores an uploaded spreadsheet of municipality `m`; nothing is applied yet.
pub async fn upload(
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
        Event::new("lease.import_uploaded")
            .municipality(m)
            .entity("lease_import", id)
            .details(serde_json::json!({ "filename": filename, "bytes": content.len() })),
    )
    .await?;
    Ok(id)
}

/// What a line will do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    New,
    /// A lease on the same unit from the same date is registered: skipped.
    Exists,
    Invalid,
}

#[derive(Clone, Debug)]
pub struct Planned {
    pub line: LeaseLine,
    pub unit: Option<UnitRef>,
    pub action: Action,
}

/// A unit's status after the import, with the line that decides it.
#[derive(Clone, Debug)]
pub struct UnitChange {
    pub unit: UnitRef,
    pub change: StatusChange,
}

#[derive(Clone, Debug)]
pub struct Checked {
    pub encoding: &'static str,
    pub delimiter: char,
    pub file_errors: Vec<String>,
    pub rows: Vec<Planned>,
    pub unit_changes: Vec<UnitChange>,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.file_errors.len()
            + self
                .rows
                .iter()
                .filter(|r| r.action == Action::Invalid)
                .count()
    }

    pub fn count(&self, action: Action) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }
}

fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|end| b.0 <= end) && b.1.is_none_or(|end| a.0 <= end)
}

fn until_text(until: Option<NaiveDate>) -> String {
    until.map(date).unwrap_or_else(|| "tidsubestemt".into())
}

/// Finds each line's unit: by property name and unit number, or by the number alone when
/// only one unit has it.
fn resolve_unit(row: &mut LeaseLine, units: &[&UnitRef]) -> Option<UnitRef> {
    if row.unit_number.is_empty() {
        return None;
    }
    let found: Vec<&&UnitRef> = if row.property_name.is_empty() {
        units.iter().collect()
    } else {
        units
            .iter()
            .filter(|u| u.property_name.to_lowercase() == row.property_name.to_lowercase())
            .collect()
    };
    match found.as_slice() {
        [one] => Some((**one).clone()),
        [] if row.property_name.is_empty() => {
            row.errors.push(LineError::new(
                Col::Unit,
                format!(
                    "Fant ingen bolig med bruksenhetsnummer {} i boligregisteret.",
                    row.unit_number
                ),
            ));
            None
        }
        [] => {
            row.errors.push(LineError::new(
                Col::Property,
                format!(
                    "Fant ingen bolig med bruksenhetsnummer {} i eiendommen «{}».",
                    row.unit_number, row.property_name
                ),
            ));
            None
        }
        many => {
            let mut names: Vec<&str> = many.iter().map(|u| u.property_name.as_str()).collect();
            names.sort();
            row.errors.push(LineError::new(
                Col::Property,
                format!(
                    "Bruksenhetsnummer {} finnes i flere eiendommer ({}). Oppgi eiendommen i kolonnen «Eiendom».",
                    row.unit_number,
                    names.join(", ")
                ),
            ));
            None
        }
    }
}

/// Checks the parsed lines against the register: the unit of each, leases already there
/// (skipped) or overlapping (refused), overlaps within the file, and whether each unit may
/// take the status its leases give it.
pub async fn check(
    tx: &mut Tx,
    m: Uuid,
    parsed: Parsed,
    today: NaiveDate,
) -> sqlx::Result<Checked> {
    let mut numbers: Vec<String> = parsed
        .rows
        .iter()
        .map(|r| r.unit_number.clone())
        .filter(|n| !n.is_empty())
        .collect();
    numbers.sort();
    numbers.dedup();
    let units = repo::units_numbered(tx, m, &numbers).await?;
    let mut by_number: HashMap<&str, Vec<&UnitRef>> = HashMap::new();
    for u in &units {
        by_number.entry(u.unit_number.as_str()).or_default().push(u);
    }
    let mut rows: Vec<Planned> = parsed
        .rows
        .into_iter()
        .map(|mut line| {
            let candidates = by_number
                .get(line.unit_number.as_str())
                .cloned()
                .unwrap_or_default();
            let unit = resolve_unit(&mut line, &candidates);
            Planned {
                line,
                unit,
                action: Action::New,
            }
        })
        .collect();
    let mut unit_ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| r.unit.as_ref().map(|u| u.id))
        .collect();
    unit_ids.sort();
    unit_ids.dedup();
    let mut registered: HashMap<Uuid, Vec<LeaseOnUnit>> = HashMap::new();
    for l in repo::leases_on(tx, m, &unit_ids).await? {
        registered.entry(l.dwelling_id).or_default().push(l);
    }
    // Lines of the file by unit: (line number, start, until) of the earlier new lines.
    let mut in_file: HashMap<Uuid, Vec<(usize, NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    for r in &mut rows {
        let (Some(unit), Some(start)) = (&r.unit, r.line.starts_on) else {
            continue;
        };
        let on_unit = registered.get(&unit.id).map(Vec::as_slice).unwrap_or(&[]);
        if on_unit.iter().any(|l| l.starts_on == start) {
            r.action = Action::Exists;
            r.line.errors.clear();
            continue;
        }
        if unit.status == Status::Sold {
            r.line.errors.push(LineError::new(
                Col::Unit,
                "Boligen er solgt eller avhendet; et leieforhold kan ikke importeres på den.",
            ));
        }
        let range = (start, r.line.occupied_until());
        for l in on_unit {
            if overlaps(range, (l.starts_on, l.until)) {
                r.line.errors.push(LineError::new(
                    Col::Start,
                    format!(
                        "Leieforholdet overlapper med leiekontrakt nr. {} for samme bolig ({} – {}). En bolig kan bare ha ett leieforhold om gangen.",
                        l.lease_no,
                        date(l.starts_on),
                        until_text(l.until)
                    ),
                ));
            }
        }
        let earlier = in_file.entry(unit.id).or_default();
        for (line, s, until) in earlier.iter() {
            if *s == start {
                r.line.errors.push(LineError::new(
                    Col::Start,
                    format!("Samme bolig og startdato står også på linje {line}."),
                ));
            } else if overlaps(range, (*s, *until)) {
                r.line.errors.push(LineError::new(
                    Col::Start,
                    format!(
                        "Leieforholdet overlapper med leieforholdet på linje {line} for samme bolig."
                    ),
                ));
            }
        }
        earlier.push((r.line.line, start, range.1));
    }
    let unit_changes = plan_units(&mut rows, &registered, today);
    for r in &mut rows {
        if r.action == Action::New && !r.line.errors.is_empty() {
            r.action = Action::Invalid;
        }
    }
    Ok(Checked {
        encoding: parsed.encoding,
        delimiter: parsed.delimiter,
        file_errors: parsed.file_errors,
        rows,
        unit_changes,
    })
}

/// The status each unit gets from its new leases: the current one lets it (or puts it on
/// notice), a future one reserves a vacant unit, and ended ones leave it vacant when no
/// other lease holds it. A status the unit may not take from the one it has is an error
/// on the line that decides it.
fn plan_units(
    rows: &mut [Planned],
    registered: &HashMap<Uuid, Vec<LeaseOnUnit>>,
    today: NaiveDate,
) -> Vec<UnitChange> {
    let mut by_unit: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let (Some(u), Action::New, true) = (&r.unit, r.action, r.line.errors.is_empty()) {
            by_unit.entry(u.id).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    let mut units: Vec<Uuid> = by_unit.keys().copied().collect();
    units.sort();
    for unit_id in units {
        let lines = &by_unit[&unit_id];
        let current = |s: LineStatus| {
            lines.iter().copied().find(|i| {
                let l = &rows[*i].line;
                l.status == s && l.starts_on.is_some_and(|st| st <= today)
            })
        };
        let future = lines.iter().copied().find(|i| {
            let l = &rows[*i].line;
            l.status == LineStatus::Active && l.starts_on.is_some_and(|st| st > today)
        });
        let Some(unit) = rows[lines[0]].unit.clone() else {
            continue;
        };
        let held_elsewhere = registered
            .get(&unit_id)
            .is_some_and(|ls| ls.iter().any(|l| !l.ended));
        let (decider, change) = if let Some(i) = current(LineStatus::Active) {
            let l = &rows[i].line;
            (
                i,
                Some((Status::Let, l.starts_on, None, "Leieforhold importert")),
            )
        } else if let Some(i) = current(LineStatus::NoticeGiven) {
            let l = &rows[i].line;
            (
                i,
                Some((
                    Status::NoticeGiven,
                    l.notice_given_on,
                    l.notice_effective_on.map(|d| d + Duration::days(1)),
                    "Leieforhold importert (oppsagt av leietaker)",
                )),
            )
        } else if let Some(i) = future {
            let reserve = unit.status == Status::Vacant;
            (
                i,
                reserve.then_some((
                    Status::Reserved,
                    Some(today),
                    None,
                    "Leiekontrakt importert (starter senere)",
                )),
            )
        } else {
            let i = lines[0];
            let last_end = lines.iter().filter_map(|i| rows[*i].line.ended_on).max();
            let vacate = unit.status.is_let() && !held_elsewhere;
            (
                i,
                vacate.then_some((
                    Status::Vacant,
                    last_end,
                    None,
                    "Avsluttet leieforhold importert",
                )),
            )
        };
        let Some((to, on, expected, reason)) = change else {
            continue;
        };
        if to == unit.status {
            continue;
        }
        if let Some(msg) = transition_error(unit.status, to) {
            rows[decider].line.errors.push(LineError::new(
                Col::Unit,
                format!("{msg} Endre boligens status i boligregisteret først."),
            ));
            continue;
        }
        out.push(UnitChange {
            unit,
            change: StatusChange {
                to,
                effective_on: on.unwrap_or(today).min(today),
                expected_vacant_from: expected,
                reason: reason.to_string(),
            },
        });
    }
    out
}

/// What a confirmed import did.
#[derive(Debug, Clone, Copy)]
pub struct Imported {
    pub created: usize,
    pub existing: usize,
    pub people: u64,
}

/// Applies every new line of the file, all or nothing. None when it was applied already
/// (a second submit of the same confirmation). Lines with errors refuse the whole file;
/// a unit changed meanwhile is a stale preview.
pub async fn confirm(
    tx: &mut Tx,
    actor: Actor<'_>,
    file: &ImportFile,
    parsed: Parsed,
) -> Outcome<Option<Imported>> {
    let m = file.municipality_id;
    let checked = check(tx, m, parsed, actor.today).await?;
    if checked.error_count() > 0 {
        // The preview shows each line's errors.
        return Err(Refusal::Invalid(Default::default()));
    }
    if !repo::mark_applied(tx, m, file.id, actor.user.id).await? {
        return Ok(None);
    }
    let new: Vec<&Planned> = checked
        .rows
        .iter()
        .filter(|r| r.action == Action::New)
        .collect();
    let mut people = NewPeople::default();
    for r in &new {
        let l = &r.line;
        people.id.push(Uuid::now_v7());
        people
            .national_id
            .push(l.national_id.as_ref().map(|n| n.as_str().to_string()));
        people.birth_date.push(l.birth_date);
        people.name.push(l.tenant_name.clone());
        people.phone.push(l.phone.clone());
        people.email.push(l.email.clone());
    }
    let (tenants, people_created) = repo::upsert_people(tx, m, &people).await?;
    let mut leases = NewLeases::default();
    for (r, tenant) in new.iter().zip(tenants) {
        let (Some(unit), Some(start)) = (&r.unit, r.line.starts_on) else {
            continue;
        };
        let l = &r.line;
        leases.id.push(Uuid::now_v7());
        leases.rent_change_id.push(Uuid::now_v7());
        leases.dwelling_id.push(unit.id);
        leases.tenant_id.push(tenant);
        leases.status.push(l.lease_status(actor.today).to_string());
        leases.starts_on.push(start);
        leases.ends_on.push(l.ends_on);
        leases.monthly_rent.push(l.monthly_rent);
        leases.deposit_kind.push(l.deposit.kind.to_string());
        leases.deposit_amount.push(l.deposit.amount);
        leases.deposit_bank.push(l.deposit.bank.clone());
        leases.deposit_account.push(l.deposit.account.clone());
        leases.guarantor.push(l.deposit.guarantor.clone());
        leases.guarantee_reference.push(l.deposit.reference.clone());
        leases.ground_id.push(l.ground_id);
        leases.ground_notice_on.push(l.ground_notice_on);
        leases.signed_on.push(l.signed_on.unwrap_or(start));
        leases.notice_given_on.push(l.notice_given_on);
        leases.notice_effective_on.push(l.notice_effective_on);
        leases.ended_on.push(l.ended_on);
        leases.end_reason.push(l.end_reason.map(str::to_string));
        leases.demand_to_move_on.push(None);
    }
    let house_rules = repo::newest_house_rules(tx, m).await?;
    let inserted = repo::insert_leases(tx, m, &leases, house_rules, Some(actor.user.id))
        .await
        .map_err(|e| on_constraint(e, CONSTRAINTS))?;
    for c in &checked.unit_changes {
        let u = &c.unit;
        if !dwellings::change_status(tx, m, u.id, u.status, &c.change, u.version, actor.user.id)
            .await?
        {
            return Err(Refusal::Stale);
        }
    }
    let done = Imported {
        created: inserted.len(),
        existing: checked.count(Action::Exists) + (new.len() - inserted.len()),
        people: people_created,
    };
    audit::record(
        tx,
        &actor,
        Event::new("lease.imported")
            .municipality(m)
            .entity("lease_import", file.id)
            .details(serde_json::json!({
                "filename": file.filename, "rows": checked.rows.len(), "created": done.created,
                "existing": done.existing, "people_created": done.people,
                "units_changed": checked.unit_changes.len(),
            })),
    )
    .await?;
    Ok(Some(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ranges_overlap_inclusively_and_open_ends_run_forever() {
        let a = (d(2026, 1, 1), Some(d(2026, 12, 31)));
        assert!(overlaps(a, (d(2026, 12, 31), None)));
        assert!(!overlaps(a, (d(2027, 1, 1), None)));
        assert!(overlaps(
            (d(2020, 1, 1), None),
            (d(2030, 1, 1), Some(d(2031, 1, 1)))
        ));
        assert!(!overlaps((d(2020, 1, 1), Some(d(2020, 6, 30))), a));
    }
}
