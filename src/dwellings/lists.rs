//! The register's lists: all units (search, filters, sorting, CSV), the vacancy overview,
//! moves in and out for a period, and units in poor condition.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{check_area, check_optional_date, check_rooms, format_area, Status};
use super::repo::{self, MoveCount, MoveRow, Sort, TypeCount, UnitFilter, UnitRow};
use super::views::{municipality_name, parse_cursor};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::web::csv_export;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format::{date, kroner};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::render;

/// Most rows a CSV export holds.
const EXPORT_LIMIT: i64 = 200_000;

/// What the user typed into a list's filter form (query string, Norwegian names).
#[derive(Deserialize, Default, Clone, Debug)]
pub struct Filter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub boligtype: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub rom_fra: String,
    #[serde(default)]
    pub rom_til: String,
    #[serde(default)]
    pub areal_fra: String,
    #[serde(default)]
    pub areal_til: String,
    #[serde(default)]
    pub rullestol: String,
    #[serde(default)]
    pub omrade: String,
    #[serde(default)]
    pub sorter: String,
    #[serde(default)]
    pub synkende: String,
    #[serde(default)]
    pub dager: String,
    #[serde(default)]
    pub etter: String,
    #[serde(default)]
    pub format: String,
}

impl Filter {
    /// Validates the filter; fields with errors are ignored and reported.
    pub fn parse(&self) -> (UnitFilter, FormErrors) {
        let mut e = FormErrors::new();
        let opt = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.chars().take(100).collect::<String>())
        };
        let mut rooms = |field: &'static str, raw: &str| {
            if raw.trim().is_empty() {
                return None;
            }
            check_rooms(raw).map_err(|m| e.add(field, m)).ok()
        };
        let rooms_min = rooms("rom_fra", &self.rom_fra);
        let rooms_max = rooms("rom_til", &self.rom_til);
        let mut area = |field: &'static str, raw: &str| {
            if raw.trim().is_empty() {
                return None;
            }
            check_area(raw).map_err(|m| e.add(field, m)).ok()
        };
        let area_min = area("areal_fra", &self.areal_fra);
        let area_max = area("areal_til", &self.areal_til);
        let status = if self.status.trim().is_empty() {
            None
        } else {
            let s = Status::from_key(self.status.trim());
            if s.is_none() {
                e.add("status", "Velg status fra listen.");
            }
            s
        };
        let f = UnitFilter {
            search: self.q.trim().chars().take(100).collect(),
            type_name: opt(&self.boligtype),
            status,
            rooms_min,
            rooms_max,
            area_min,
            area_max,
            wheelchair: !self.rullestol.is_empty(),
            area_name: opt(&self.omrade),
            include_sold: false,
        };
        (f, e)
    }

    /// Days ahead in the vacancy overview (default 90, at most five years).
    pub fn horizon_days(&self, errors: &mut FormErrors) -> i64 {
        let raw = self.dager.trim();
        if raw.is_empty() {
            return 90;
        }
        match raw.parse::<i64>() {
            Ok(n) if (0..=1830).contains(&n) => n,
            _ => {
                errors.add(
                    "dager",
                    "Antall dager fram i tid må være et helt tall mellom 0 og 1830.",
                );
                90
            }
        }
    }

    pub fn sort(&self) -> Sort {
        Sort::from_key(self.sorter.trim())
    }

    pub fn descending(&self) -> bool {
        !self.synkende.is_empty()
    }

    fn cursor(&self) -> Option<(&str, Uuid)> {
        parse_cursor(&self.etter)
    }

    /// The query string of this filter with another cursor/sort (for links).
    pub fn query(&self, sort: Option<&str>, descending: Option<bool>, after: &str) -> String {
        let desc = descending.unwrap_or(self.descending());
        serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("boligtype", &self.boligtype),
            ("status", &self.status),
            ("rom_fra", &self.rom_fra),
            ("rom_til", &self.rom_til),
            ("areal_fra", &self.areal_fra),
            ("areal_til", &self.areal_til),
            ("rullestol", &self.rullestol),
            ("omrade", &self.omrade),
            ("dager", &self.dager),
            ("sorter", sort.unwrap_or(&self.sorter)),
            ("synkende", if desc { "1" } else { "" }),
            ("etter", after),
        ])
        .map(|q| {
            // Leave out empty parameters: shorter, readable links.
            q.split('&')
                .filter(|p| !p.ends_with('='))
                .collect::<Vec<_>>()
                .join("&")
        })
        .unwrap_or_default()
    }
}

/// The filter form's options, common to the unit list and the vacancy overview.
pub struct FilterOptions {
    pub type_names: Vec<String>,
    pub area_names: Vec<String>,
    pub statuses: [Status; 7],
}

async fn filter_options(tx: &mut crate::db::Tx, ids: &[Uuid]) -> AppResult<FilterOptions> {
    let mut type_names: Vec<String> = repo::list_items(tx, repo::ListKind::Types, ids, false)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    dedup_ci(&mut type_names);
    let mut area_names = crate::municipalities::repo::area_names(tx, ids).await?;
    dedup_ci(&mut area_names);
    Ok(FilterOptions {
        type_names,
        area_names,
        statuses: Status::ALL,
    })
}

fn dedup_ci(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.to_lowercase()));
}

fn next_cursor(rows: &mut Vec<UnitRow>, limit: i64) -> Option<String> {
    if rows.len() as i64 > limit {
        rows.pop();
        rows.last().map(|r| format!("{}~{}", r.sort_key, r.id))
    } else {
        None
    }
}

async fn read_scope(ctx: &Ctx) -> AppResult<(crate::db::Tx, Vec<MunicipalityRef>, Vec<Uuid>)> {
    let (tx, munis) = ctx.read_tx(Permission::ReadRegister).await?;
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids = munis.iter().map(|m| m.id).collect();
    Ok((tx, munis, ids))
}

// ----- Unit list ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dwellings/units.html")]
pub struct UnitsPage {
    pub layout: Layout,
    pub munis: Vec<MunicipalityRef>,
    pub show_municipality: bool,
    pub can_edit: bool,
    pub is_admin: bool,
    pub filter: Filter,
    pub options: FilterOptions,
    pub errors: FormErrors,
    pub units: Vec<UnitRow>,
    pub next_query: Option<String>,
    pub sorts: [Sort; 7],
}

impl UnitsPage {
    pub fn muni(&self, id: &Uuid) -> String {
        municipality_name(&self.munis, *id)
    }

    /// aria-sort of a column header.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        if self.filter.sort().key() != key {
            "none"
        } else if self.filter.descending() {
            "descending"
        } else {
            "ascending"
        }
    }

    /// Link that sorts by `key` (toggling the direction when already sorted by it).
    pub fn sort_link(&self, key: &str) -> String {
        let desc = self.filter.sort().key() == key && !self.filter.descending();
        format!("/boliger?{}", self.filter.query(Some(key), Some(desc), ""))
    }

    pub fn csv_link(&self) -> String {
        format!("/boliger/eksport.csv?{}", self.filter.query(None, None, ""))
    }
}

pub async fn units(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    if filter.format == "csv" {
        return export(ctx, Query(filter)).await;
    }
    let (mut tx, munis, ids) = read_scope(&ctx).await?;
    let (f, errors) = filter.parse();
    let mut rows = repo::units(
        &mut tx,
        &ids,
        &f,
        filter.sort(),
        filter.descending(),
        filter.cursor(),
        repo::PAGE_SIZE + 1,
    )
    .await?;
    let options = filter_options(&mut tx, &ids).await?;
    tx.commit().await?;
    let next_query = next_cursor(&mut rows, repo::PAGE_SIZE).map(|c| filter.query(None, None, &c));
    render(&UnitsPage {
        layout: Layout::new(&ctx, "boliger"),
        show_municipality: munis.len() > 1 || ctx.visible_municipalities().len() > 1,
        can_edit: ctx.may_in_view(Permission::EditRegister),
        is_admin: ctx.may_in_view(Permission::Administer),
        munis,
        filter,
        options,
        errors,
        units: rows,
        next_query,
        sorts: Sort::ALL,
    })
}

/// CSV of the filtered unit list, every page, as Norwegian Excel opens it.
pub async fn export(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let (mut tx, munis, ids) = read_scope(&ctx).await?;
    let (f, _) = filter.parse();
    let rows = repo::units(
        &mut tx,
        &ids,
        &f,
        filter.sort(),
        filter.descending(),
        None,
        EXPORT_LIMIT,
    )
    .await?;
    tx.commit().await?;
    let header = [
        "Kommune",
        "Eiendom",
        "Adresse",
        "Postnummer",
        "Poststed",
        "Område",
        "Bruksenhetsnummer",
        "Boligtype",
        "Rom",
        "Areal",
        "Etasje",
        "Rullestoltilgjengelig",
        "Personalbase",
        "Månedsleie",
        "Tilstand",
        "Tilstand vurdert",
        "Status",
        "Status siden",
        "Forventet ledig fra",
    ];
    let yes = |b: bool| if b { "Ja" } else { "Nei" }.to_string();
    let out = rows.into_iter().map(|u| {
        vec![
            municipality_name(&munis, u.municipality_id),
            u.property_name.clone(),
            u.street_address.clone(),
            u.postcode.clone(),
            u.postal_place.clone(),
            u.area_name.clone().unwrap_or_default(),
            u.unit_number.clone(),
            u.type_name.clone(),
            u.rooms.to_string(),
            format_area(u.area).trim_end_matches(" m²").to_string(),
            u.floor.map(|f| f.to_string()).unwrap_or_default(),
            yes(u.wheelchair_accessible),
            yes(u.staff_base),
            u.monthly_rent
                .map(|r| {
                    kroner(r)
                        .trim_end_matches("\u{a0}kr")
                        .replace('\u{a0}', " ")
                })
                .unwrap_or_default(),
            u.condition.map(|c| c.label()).unwrap_or("").to_string(),
            u.condition_assessed_on.map(date).unwrap_or_default(),
            u.status.label().to_string(),
            date(u.status_since),
            u.expected_vacant_from.map(date).unwrap_or_default(),
        ]
    });
    Ok(csv_export::response(
        &format!("boliger-{}.csv", ctx.today()),
        &header,
        out,
    ))
}

// ----- Vacancy overview -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "dwellings/vacancy.html")]
pub struct VacancyPage {
    pub layout: Layout,
    pub munis: Vec<MunicipalityRef>,
    pub show_municipality: bool,
    pub can_edit: bool,
    pub filter: Filter,
    pub options: FilterOptions,
    pub errors: FormErrors,
    pub horizon_days: i64,
    pub horizon: String,
    pub counts: Vec<TypeCount>,
    pub totals: (i64, i64, i64),
    pub units: Vec<UnitRow>,
    pub next_query: Option<String>,
}

impl VacancyPage {
    pub fn muni(&self, id: &Uuid) -> String {
        municipality_name(&self.munis, *id)
    }
}

pub async fn vacancy(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let (mut tx, munis, ids) = read_scope(&ctx).await?;
    let (f, mut errors) = filter.parse();
    let days = filter.horizon_days(&mut errors);
    let horizon = ctx.today() + Duration::days(days);
    let counts = repo::counts_by_type(&mut tx, &ids, &f, horizon).await?;
    let mut rows = repo::vacancies(
        &mut tx,
        &ids,
        &f,
        horizon,
        filter.cursor(),
        repo::PAGE_SIZE + 1,
    )
    .await?;
    let options = filter_options(&mut tx, &ids).await?;
    tx.commit().await?;
    let next_query = next_cursor(&mut rows, repo::PAGE_SIZE).map(|c| filter.query(None, None, &c));
    let totals = counts.iter().fold((0, 0, 0), |a, c| {
        (a.0 + c.total, a.1 + c.vacant_now, a.2 + c.upcoming)
    });
    render(&VacancyPage {
        layout: Layout::new(&ctx, "boliger"),
        show_municipality: munis.len() > 1,
        can_edit: ctx.may_in_view(Permission::EditRegister),
        munis,
        filter,
        options,
        errors,
        horizon_days: days,
        horizon: date(horizon),
        counts,
        totals,
        units: rows,
        next_query,
    })
}

// ----- Moves in and out -----------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
pub struct MovesQuery {
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub etter: String,
}

#[derive(Template)]
#[template(path = "dwellings/moves.html")]
pub struct MovesPage {
    pub layout: Layout,
    pub munis: Vec<MunicipalityRef>,
    pub show_municipality: bool,
    pub fra: String,
    pub til: String,
    pub period: String,
    pub errors: FormErrors,
    pub counts: Vec<MoveCount>,
    pub totals: (i64, i64),
    pub moves: Vec<MoveRow>,
    pub next_query: Option<String>,
    /// Quick links to the half-years reviewed in February and September.
    pub presets: Vec<(String, String)>,
}

impl MovesPage {
    pub fn muni(&self, id: &Uuid) -> String {
        municipality_name(&self.munis, *id)
    }
}

/// The review periods: the half-year before each February and September review.
pub fn review_periods(today: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let y = today.year();
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(today);
    let mut out = Vec::new();
    for year in [y, y - 1] {
        // September review: February–August; February review: September–January.
        out.push((
            format!("Septembergjennomgang {year}"),
            ymd(year, 2, 1),
            ymd(year, 8, 31),
        ));
        out.push((
            format!("Februargjennomgang {year}"),
            ymd(year - 1, 9, 1),
            ymd(year, 1, 31),
        ));
    }
    out.retain(|(_, from, _)| *from <= today);
    out.sort_by_key(|p| std::cmp::Reverse(p.1));
    out.truncate(3);
    out
}

pub async fn moves(ctx: Ctx, Query(q): Query<MovesQuery>) -> AppResult<Response> {
    let today = ctx.today();
    let mut errors = FormErrors::new();
    let default = review_periods(today)
        .into_iter()
        .next()
        .map(|p| (p.1, p.2))
        .unwrap_or((today - Duration::days(180), today));
    let mut date_of =
        |field: &'static str, raw: &str, fallback: NaiveDate| match check_optional_date(raw) {
            Ok(Some(d)) => d,
            Ok(None) => fallback,
            Err(m) => {
                errors.add(field, m);
                fallback
            }
        };
    let from = date_of("fra", &q.fra, default.0);
    let mut to = date_of("til", &q.til, default.1);
    if to < from {
        errors.add("til", "Til-datoen må være etter fra-datoen.");
        to = from;
    }
    let after = q.etter.split_once('~').and_then(|(d, id)| {
        Some((
            NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
            Uuid::parse_str(id).ok()?,
        ))
    });
    let (mut tx, munis, ids) = read_scope(&ctx).await?;
    let counts = repo::move_counts(&mut tx, &ids, from, to).await?;
    let mut rows = repo::moves(&mut tx, &ids, from, to, after, repo::PAGE_SIZE + 1).await?;
    tx.commit().await?;
    let next_query = if rows.len() as i64 > repo::PAGE_SIZE {
        rows.pop();
        rows.last().map(|r| {
            serde_urlencoded::to_string([
                ("fra", from.to_string()),
                ("til", to.to_string()),
                ("etter", format!("{}~{}", r.moved_on, r.source_id)),
            ])
            .unwrap_or_default()
        })
    } else {
        None
    };
    let totals = counts
        .iter()
        .fold((0, 0), |a, c| (a.0 + c.moves_in, a.1 + c.moves_out));
    let presets = review_periods(today)
        .into_iter()
        .map(|(label, f, t)| (label, format!("/boliger/flytting?fra={f}&til={t}")))
        .collect();
    render(&MovesPage {
        layout: Layout::new(&ctx, "boliger"),
        show_municipality: munis.len() > 1,
        munis,
        fra: from.to_string(),
        til: to.to_string(),
        period: format!("{}–{}", date(from), date(to)),
        errors,
        counts,
        totals,
        moves: rows,
        next_query,
        presets,
    })
}

// ----- Condition ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub etter: String,
}

#[derive(Template)]
#[template(path = "dwellings/condition.html")]
pub struct ConditionPage {
    pub layout: Layout,
    pub munis: Vec<MunicipalityRef>,
    pub show_municipality: bool,
    pub can_edit: bool,
    pub units: Vec<UnitRow>,
    pub next_query: Option<String>,
}

impl ConditionPage {
    pub fn muni(&self, id: &Uuid) -> String {
        municipality_name(&self.munis, *id)
    }
}

pub async fn condition(ctx: Ctx, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let (mut tx, munis, ids) = read_scope(&ctx).await?;
    let after = parse_cursor(&q.etter);
    let mut rows = repo::poor_condition(&mut tx, &ids, after, repo::PAGE_SIZE + 1).await?;
    tx.commit().await?;
    let next_query = next_cursor(&mut rows, repo::PAGE_SIZE)
        .map(|c| serde_urlencoded::to_string([("etter", c)]).unwrap_or_default());
    render(&ConditionPage {
        layout: Layout::new(&ctx, "boliger"),
        show_municipality: munis.len() > 1,
        can_edit: ctx.may_in_view(Permission::EditRegister),
        munis,
        units: rows,
        next_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_reports_bad_values_and_keeps_good_ones() {
        let f = Filter {
            rom_fra: "2".into(),
            rom_til: "tolv".into(),
            areal_fra: "5".into(),
            status: "vacant".into(),
            rullestol: "1".into(),
            ..Default::default()
        };
        let (u, e) = f.parse();
        assert_eq!(u.rooms_min, Some(2));
        assert_eq!(u.rooms_max, None);
        assert!(e.has("rom_til"));
        assert!(e.has("areal_fra"));
        assert_eq!(u.status, Some(Status::Vacant));
        assert!(u.wheelchair);
        let mut errors = FormErrors::new();
        assert_eq!(Filter::default().horizon_days(&mut errors), 90);
        let f = Filter {
            dager: "-3".into(),
            ..Default::default()
        };
        f.horizon_days(&mut errors);
        assert!(errors.has("dager"));
    }

    #[test]
    fn query_links_drop_empty_parameters() {
        let f = Filter {
            q: "Moan".into(),
            ..Default::default()
        };
        assert_eq!(
            f.query(Some("rom"), Some(true), ""),
            "q=Moan&sorter=rom&synkende=1"
        );
    }

    #[test]
    fn review_periods_are_the_half_years_before_february_and_september() {
        let p = review_periods(NaiveDate::from_ymd_opt(2026, 9, 10).unwrap());
        assert_eq!(p[0].0, "Septembergjennomgang 2026");
        assert_eq!(p[0].1.to_string(), "2026-02-01");
        assert_eq!(p[0].2.to_string(), "2026-08-31");
        assert_eq!(p[1].0, "Februargjennomgang 2026");
        assert_eq!(p[1].1.to_string(), "2025-09-01");
    }
}
