//! The annual mapping of applications by reason (the same weeks every year, so years can
//! be compared; DOMAIN.md §5) and the need overview of the 2023 act (§ 5): applicants
//! waiting by the kind of dwelling and adaptation they need, against units of that kind
//! and their expected vacancies.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::handlers::{municipality_options, scope, NAV};
use super::model;
use super::repo::{self, Windows};
use crate::applications::model::DWELLING_TYPES;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::{Outcome, Refusal};
use crate::web::{csv_export, render, render_status};

/// Years shown side by side.
const YEARS: i32 = 5;

#[derive(Deserialize, Default, Clone)]
pub struct MappingQuery {
    #[serde(default)]
    pub aar: String,
    #[serde(default)]
    pub kommune: String,
}

pub struct MappingData {
    pub year: i32,
    pub years: Vec<i32>,
    /// (municipality name, period shown as "20.08.–20.10.")
    pub periods: Vec<(String, String)>,
    /// (reason, count per year)
    pub by_reason: Vec<(String, Vec<i64>)>,
    pub by_group: Vec<(&'static str, Vec<i64>)>,
    pub totals: Vec<i64>,
}

pub const GROUPS: &[(&str, &str)] = &[
    ("refugee", "Flyktninger"),
    ("mental_health", "Psykiske lidelser"),
    ("substance", "Rusproblemer"),
    ("both", "Både psykiske lidelser og rusproblemer"),
    ("adapted", "Behov for tilpasset bolig"),
    ("other", "Andre"),
];

async fn mapping_data(ctx: &Ctx, q: &MappingQuery) -> AppResult<MappingData> {
    let today = ctx.today();
    // The mapping year defaults to this year: the period may be under way.
    let year = match q.aar.trim() {
        "" => today.year(),
        y => model::report_year(y, today).ok_or(AppError::NotFound)?,
    };
    let (mut tx, munis) = scope(ctx, &q.kommune).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let settings = repo::mapping_periods(&mut tx, &ids).await?;
    let years: Vec<i32> = (year - YEARS + 1..=year).collect();
    let mut w = Windows {
        municipalities: Vec::new(),
        years: Vec::new(),
        from: Vec::new(),
        to: Vec::new(),
    };
    let mut periods = Vec::new();
    for (m, from, to, _) in &settings {
        let name = munis
            .iter()
            .find(|x| x.id == *m)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        periods.push((
            name,
            format!(
                "{}–{}",
                model::show_month_day(from),
                model::show_month_day(to)
            ),
        ));
        for y in &years {
            let (Some(f), Some(t)) = (model::month_day(from, *y), model::month_day(to, *y)) else {
                continue;
            };
            // A period that runs over New Year ends in the next year.
            let t = if t < f {
                model::month_day(to, y + 1).unwrap_or(t)
            } else {
                t
            };
            w.municipalities.push(*m);
            w.years.push(*y);
            w.from.push(f);
            w.to.push(t);
        }
    }
    let counts = repo::mapping(&mut tx, &w).await?;
    tx.commit().await?;
    let index = |y: i32| years.iter().position(|x| *x == y);
    let mut totals = vec![0; years.len()];
    let mut reasons: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for c in counts {
        let Some(i) = index(c.year) else { continue };
        match c.kind.as_str() {
            "total" => totals[i] += c.n,
            "reason" => {
                reasons
                    .entry(c.label)
                    .or_insert_with(|| vec![0; years.len()])[i] += c.n
            }
            _ => {
                groups
                    .entry(c.label)
                    .or_insert_with(|| vec![0; years.len()])[i] += c.n
            }
        }
    }
    let by_group = GROUPS
        .iter()
        .map(|(k, label)| {
            (
                *label,
                groups.remove(*k).unwrap_or_else(|| vec![0; years.len()]),
            )
        })
        .collect();
    Ok(MappingData {
        year,
        years,
        periods,
        by_reason: reasons.into_iter().collect(),
        by_group,
        totals,
    })
}

#[derive(Template)]
#[template(path = "reporting/mapping.html")]
pub struct MappingPage {
    pub layout: Layout,
    pub d: MappingData,
    pub q: MappingQuery,
    pub municipalities: Vec<(String, String)>,
    pub several: bool,
    /// The period form, for an administrator of the one municipality in view.
    pub edit: Option<PeriodForm>,
    pub errors: FormErrors,
    pub saved: bool,
}

#[derive(Deserialize, Default, Clone)]
pub struct PeriodForm {
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub lagret: String,
}

/// The one municipality in view that the user administers, if any.
fn admin_of(ctx: &Ctx) -> Option<crate::auth::roles::MunicipalityRef> {
    ctx.current_municipality()
        .filter(|m| ctx.may(Permission::Administer, m.id))
}

async fn period_form(ctx: &Ctx) -> AppResult<Option<PeriodForm>> {
    let Some(m) = admin_of(ctx) else {
        return Ok(None);
    };
    let (mut tx, _) = ctx.read_tx(Permission::Administer).await?;
    let s = repo::mapping_periods(&mut tx, &[m.id]).await?;
    tx.commit().await?;
    Ok(s.into_iter().next().map(|(_, f, t, v)| PeriodForm {
        fra: model::show_month_day(&f),
        til: model::show_month_day(&t),
        version: v.to_string(),
        lagret: String::new(),
    }))
}

#[derive(Deserialize, Default)]
pub struct MappingPageQuery {
    #[serde(flatten)]
    pub q: MappingQuery,
    #[serde(default)]
    pub lagret: String,
}

/// `GET /rapporter/kartlegging?aar=`: applications received in the mapping period, by
/// reason and target group, the year and the four before it side by side.
pub async fn mapping(ctx: Ctx, Query(p): Query<MappingPageQuery>) -> AppResult<Response> {
    let d = mapping_data(&ctx, &p.q).await?;
    let edit = period_form(&ctx).await?;
    render(&MappingPage {
        layout: Layout::new(&ctx, NAV),
        d,
        q: p.q,
        municipalities: municipality_options(&ctx),
        several: ctx.visible_with_role(Permission::ReadCases).len() > 1,
        edit,
        errors: FormErrors::new(),
        saved: p.lagret == "1",
    })
}

pub async fn mapping_csv(ctx: Ctx, Query(q): Query<MappingQuery>) -> AppResult<Response> {
    let d = mapping_data(&ctx, &q).await?;
    let mut header = vec!["Gruppering".to_string(), "Kategori".to_string()];
    header.extend(d.years.iter().map(|y| y.to_string()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    let mut push = |kind: &str, label: &str, v: &[i64]| {
        let mut r = vec![kind.to_string(), label.to_string()];
        r.extend(v.iter().map(|n| n.to_string()));
        rows.push(r);
    };
    push("Søknader", "Søknader i alt", &d.totals);
    for (r, v) in &d.by_reason {
        push("Årsak", r, v);
    }
    for (g, v) in &d.by_group {
        push("Målgruppe", g, v);
    }
    Ok(csv_export::response(
        &format!("kartlegging-{}.csv", d.year),
        &header,
        rows,
    ))
}

/// `POST /rapporter/kartlegging/periode`: an administrator sets the mapping period of the
/// municipality in view.
pub async fn save_period(ctx: Ctx, Form(f): Form<PeriodForm>) -> AppResult<Response> {
    let m = admin_of(&ctx).ok_or(AppError::Forbidden)?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = save_period_command(&mut tx, &ctx, m.id, &f).await;
    match crate::db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/rapporter/kartlegging?lagret=1").into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let mut edit = f.clone();
            if status == axum::http::StatusCode::CONFLICT {
                // Saving again must be a deliberate overwrite of the colleague's version.
                if let Some(now) = period_form(&ctx).await? {
                    edit.version = now.version;
                }
            }
            let q = MappingQuery::default();
            let d = mapping_data(&ctx, &q).await?;
            render_status(
                status,
                &MappingPage {
                    layout: Layout::new(&ctx, NAV),
                    d,
                    q,
                    municipalities: municipality_options(&ctx),
                    several: ctx.visible_with_role(Permission::ReadCases).len() > 1,
                    edit: Some(edit),
                    errors: shown.errors,
                    saved: false,
                },
            )
        }
    }
}

async fn save_period_command(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    m: Uuid,
    f: &PeriodForm,
) -> Outcome<()> {
    let mut errors = FormErrors::new();
    let from = model::parse_month_day(&f.fra);
    let to = model::parse_month_day(&f.til);
    if from.is_none() {
        errors.add("fra", "Skriv dagen som dd.mm, for eksempel 20.08.");
    }
    if to.is_none() {
        errors.add("til", "Skriv dagen som dd.mm, for eksempel 20.10.");
    }
    let version: Option<i32> = f.version.trim().parse().ok();
    let (Some(from), Some(to), Some(version)) = (from, to, version) else {
        if errors.is_empty() {
            return Err(Refusal::Stale);
        }
        return Err(Refusal::Invalid(errors));
    };
    if !repo::set_mapping_period(tx, m, &from, &to, version, ctx.user.id).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        ctx,
        Event::new("reporting.mapping_period_changed")
            .municipality(m)
            .entity("municipality", m)
            .details(json!({ "from": from, "to": to })),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The need overview

/// The municipality's dwelling type names each kind an applicant asks for is met by
/// (the shipped type names, `dwellings::model::DEFAULT_TYPES`, lower case).
fn types_of_kind(kind: &str) -> &'static [&'static str] {
    match kind {
        "ordinary" => &["ordinær kommunal utleiebolig"],
        "transitional" => &["gjennomgangsbolig", "treningsleilighet"],
        "care" => &["omsorgsbolig"],
        "care_24h" => &["omsorgsbolig med heldøgns omsorg"],
        "welfare" => &["trygdebolig/velferdsbolig", "trygghetsbolig"],
        "shared" => &["bofellesskap", "bokollektiv"],
        "robust" => &["robust bolig"],
        "temporary" => &["midlertidig bolig/akutthybel"],
        "bedsit" => &["hybel"],
        _ => &[],
    }
}

pub struct NeedRow {
    pub label: String,
    pub waiting: i64,
    pub units: i64,
    pub vacant: i64,
    pub notice_given: i64,
    pub ending: i64,
}

impl NeedRow {
    /// Units expected to be free within a year: vacant now, notice given, leases ending.
    pub fn expected(&self) -> i64 {
        self.vacant + self.notice_given + self.ending
    }
}

pub struct NeedData {
    pub rows: Vec<NeedRow>,
    /// Wheelchair access and ground floor or lift: waiting applicants against units.
    pub adaptations: Vec<NeedRow>,
    pub date: NaiveDate,
}

async fn need_data(ctx: &Ctx, q: &MappingQuery) -> AppResult<NeedData> {
    let today = ctx.today();
    let (mut tx, munis) = scope(ctx, &q.kommune).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let waiting = repo::need_waiting(&mut tx, &ids).await?;
    let supply = repo::need_supply(&mut tx, &ids, today).await?;
    tx.commit().await?;
    let mut rows = Vec::new();
    let mut matched: Vec<&str> = Vec::new();
    let sum = |names: &[&str], f: &dyn Fn(&repo::UnitSupply) -> i64| -> i64 {
        supply
            .iter()
            .filter(|s| names.contains(&s.type_name.to_lowercase().as_str()))
            .map(f)
            .sum()
    };
    for (kind, label) in DWELLING_TYPES {
        let names = types_of_kind(kind);
        matched.extend(names.iter());
        rows.push(NeedRow {
            label: label.to_string(),
            waiting: waiting
                .iter()
                .find(|w| w.0 == *kind)
                .map(|w| w.1)
                .unwrap_or(0),
            units: sum(names, &|s| s.units),
            vacant: sum(names, &|s| s.vacant),
            notice_given: sum(names, &|s| s.notice_given),
            ending: sum(names, &|s| s.ending),
        });
    }
    // Waiting applicants who named no kind, and units of the municipality's own types.
    let other: Vec<&repo::UnitSupply> = supply
        .iter()
        .filter(|s| !matched.contains(&s.type_name.to_lowercase().as_str()))
        .collect();
    rows.push(NeedRow {
        label: "Annen eller ikke oppgitt boligtype".into(),
        waiting: waiting
            .iter()
            .filter(|w| w.0 != "*" && !DWELLING_TYPES.iter().any(|(k, _)| *k == w.0))
            .map(|w| w.1)
            .sum(),
        units: other.iter().map(|s| s.units).sum(),
        vacant: other.iter().map(|s| s.vacant).sum(),
        notice_given: other.iter().map(|s| s.notice_given).sum(),
        ending: other.iter().map(|s| s.ending).sum(),
    });
    // The adaptation needs count each applicant once (the '*' row).
    let (wheel, ground) = waiting
        .iter()
        .find(|w| w.0 == "*")
        .map(|w| (w.2, w.3))
        .unwrap_or((0, 0));
    let wheelchair = NeedRow {
        label: "Tilgjengelig for rullestolbruker".into(),
        waiting: wheel,
        units: supply.iter().map(|s| s.wheelchair).sum(),
        vacant: 0,
        notice_given: 0,
        ending: 0,
    };
    let ground_floor = NeedRow {
        label: "Bakkeplan eller heis".into(),
        waiting: ground,
        units: supply.iter().map(|s| s.step_free).sum(),
        vacant: 0,
        notice_given: 0,
        ending: 0,
    };
    Ok(NeedData {
        rows,
        adaptations: vec![wheelchair, ground_floor],
        date: today,
    })
}

#[derive(Template)]
#[template(path = "reporting/need.html")]
pub struct NeedPage {
    pub layout: Layout,
    pub d: NeedData,
    pub date: String,
    pub q: MappingQuery,
    pub municipalities: Vec<(String, String)>,
    pub several: bool,
}

/// `GET /rapporter/behov`: the need overview (boligsosial lov § 5).
pub async fn need(ctx: Ctx, Query(q): Query<MappingQuery>) -> AppResult<Response> {
    let d = need_data(&ctx, &q).await?;
    render(&NeedPage {
        layout: Layout::new(&ctx, NAV),
        date: format::date(d.date),
        d,
        q,
        municipalities: municipality_options(&ctx),
        several: ctx.visible_with_role(Permission::ReadCases).len() > 1,
    })
}

pub async fn need_csv(ctx: Ctx, Query(q): Query<MappingQuery>) -> AppResult<Response> {
    let d = need_data(&ctx, &q).await?;
    let header = [
        "Behov",
        "Søkere på venteliste",
        "Boliger",
        "Ledige nå",
        "Oppsagt",
        "Kontrakter som utløper innen 12 måneder",
        "Forventet ledige innen 12 måneder",
    ];
    let rows = d
        .rows
        .iter()
        .chain(&d.adaptations)
        .map(|r| {
            vec![
                r.label.clone(),
                r.waiting.to_string(),
                r.units.to_string(),
                r.vacant.to_string(),
                r.notice_given.to_string(),
                r.ending.to_string(),
                r.expected().to_string(),
            ]
        })
        .collect::<Vec<_>>();
    Ok(csv_export::response(
        &format!("behovsoversikt-{}.csv", d.date),
        &header,
        rows,
    ))
}
