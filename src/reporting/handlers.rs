//! HTTP for the reports: the municipality's figures, KOSTRA form 13 with the records
//! behind each figure, and the CSV exports. Every page asks `Permission::ReadCases` (the
//! figures describe casework; the lists name people) and shows only the municipalities
//! in view where the user holds it; `?kommune=` narrows to one of them (404 otherwise).

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::model::{self, BarChart, FilterForm, Period, KOSTRA_FIGURES};
use super::repo;
use crate::applications::model::Status;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db::Tx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{csv_export, render};

pub const NAV: &str = "rapporter";

/// The municipalities a report shows: those in view where the user may read cases, or the
/// one `kommune` names among them.
pub async fn scope(ctx: &Ctx, kommune: &str) -> AppResult<(Tx, Vec<MunicipalityRef>)> {
    let (tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    match kommune.trim() {
        "" => Ok((tx, munis)),
        number => {
            let one: Vec<MunicipalityRef> =
                munis.into_iter().filter(|m| m.number == number).collect();
            if one.is_empty() {
                return Err(AppError::NotFound);
            }
            Ok((tx, one))
        }
    }
}

fn ids(munis: &[MunicipalityRef]) -> Vec<Uuid> {
    munis.iter().map(|m| m.id).collect()
}

/// Column headings: each municipality, then "Totalt" when there are several.
fn headings(munis: &[MunicipalityRef]) -> Vec<String> {
    let mut h: Vec<String> = munis.iter().map(|m| m.name.clone()).collect();
    if munis.len() > 1 {
        h.push("Totalt".into());
    }
    h
}

/// (number, name) options for the municipality filter: every municipality the user may read.
pub fn municipality_options(ctx: &Ctx) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), "Alle".to_string())];
    o.extend(
        ctx.visible_with_role(Permission::ReadCases)
            .into_iter()
            .map(|m| (m.number, m.name)),
    );
    o
}

fn days(v: Option<f64>) -> String {
    match v {
        Some(d) => format!("{}", d.round() as i64),
        None => "–".into(),
    }
}

// ---------------------------------------------------------------------------------------
// The municipality's figures

/// A row of the figures table: label and one value per column; `key` names it for tests.
pub struct FigureRow {
    pub key: &'static str,
    pub label: String,
    pub values: Vec<String>,
    pub sub: bool,
}

pub struct FiguresData {
    pub munis: Vec<MunicipalityRef>,
    pub period: Period,
    pub errors: FormErrors,
    pub rows: Vec<FigureRow>,
    /// Open applications by status, all columns together: (label, n).
    pub status_totals: Vec<(String, i64)>,
    /// Arrears at each month end of the last twelve months (and today): (day, øre, leases).
    pub trend: Vec<(NaiveDate, i64, i64)>,
}

async fn figures_data(ctx: &Ctx, q: &FilterForm) -> AppResult<FiguresData> {
    let today = ctx.today();
    let (period, errors) = q.period(today);
    let (mut tx, munis) = scope(ctx, &q.kommune).await?;
    let visible = ids(&munis);
    let statuses = repo::open_by_status(&mut tx, &visible).await?;
    let figures = repo::figures(&mut tx, &visible, today, period.from, period.to).await?;
    let database = ctx.state.config.database_url.clone().unwrap_or_default();
    let mut trend = super::trend::past_month_ends(&mut tx, &database, &visible, today).await?;
    let (owed, leases) = repo::net_arrears_today(&mut tx, &visible, today).await?;
    let net_today = (today, owed, leases);
    tx.commit().await?;

    // Columns: each municipality, then the total row (municipality NULL) when several.
    let mut columns: Vec<Option<Uuid>> = munis.iter().map(|m| Some(m.id)).collect();
    if munis.len() > 1 {
        columns.push(None);
    }
    let fig = |c: &Option<Uuid>| {
        figures
            .iter()
            .find(|f| f.municipality_id == *c)
            .cloned()
            .unwrap_or_default()
    };
    let count = |c: &Option<Uuid>, status: &str| {
        statuses
            .iter()
            .find(|s| s.municipality_id == *c && s.status == status)
            .map(|s| s.n)
            .unwrap_or(0)
    };
    let mut rows = Vec::new();
    let mut row = |key, label: &str, sub, f: &dyn Fn(&Option<Uuid>) -> String| {
        rows.push(FigureRow {
            key,
            label: label.to_string(),
            values: columns.iter().map(f).collect(),
            sub,
        })
    };
    row("open", "Åpne søknader", false, &|c| {
        repo::OPEN_STATUSES
            .iter()
            .map(|s| count(c, s))
            .sum::<i64>()
            .to_string()
    });
    for s in repo::OPEN_STATUSES {
        let label = Status::from_key(s).map(|s| s.label()).unwrap_or(s);
        row(s, &format!("– {label}"), true, &|c| {
            count(c, s).to_string()
        });
    }
    row("waiting", "På venteliste", false, &|c| {
        fig(c).waiting.to_string()
    });
    row(
        "waiting_median",
        "Median ventetid på ventelisten (dager)",
        false,
        &|c| days(fig(c).waiting_median_days),
    );
    row("decided", "Søknader avgjort i perioden", false, &|c| {
        fig(c).decided.to_string()
    });
    row(
        "decision_median",
        "Saksbehandlingstid fra mottak til vedtak, median (dager)",
        false,
        &|c| days(fig(c).decision_median_days),
    );
    row(
        "decision_p90",
        "Saksbehandlingstid, 90-persentil (dager)",
        false,
        &|c| days(fig(c).decision_p90_days),
    );
    row(
        "decided_after_month",
        "Avgjort senere enn én måned etter mottak (forvaltningsloven § 11a)",
        false,
        &|c| {
            let f = fig(c);
            format!(
                "{} ({})",
                f.decided_after_month,
                model::percent(f.decided_after_month, f.decided)
            )
        },
    );
    row("vacant", "Ledige boliger nå", false, &|c| {
        fig(c).vacant.to_string()
    });
    row("vacant_median", "Median antall dager ledig", true, &|c| {
        days(fig(c).vacant_median_days)
    });
    row("vacant_max", "Lengst ledig (dager)", true, &|c| {
        fig(c)
            .vacant_max_days
            .map(|d| d.to_string())
            .unwrap_or_else(|| "–".into())
    });
    row(
        "becoming_vacant",
        "Blir ledige innen 90 dager (oppsagt)",
        false,
        &|c| fig(c).becoming_vacant.to_string(),
    );
    row(
        "leases_ending",
        "Leiekontrakter som utløper innen 6 måneder",
        false,
        &|c| fig(c).leases_ending.to_string(),
    );
    row("arrears_total", "Restanse nå", false, &|c| {
        format::kroner(fig(c).arrears_total)
    });
    row("arrears_leases", "Leieforhold i restanse", false, &|c| {
        fig(c).arrears_leases.to_string()
    });
    row(
        "evictions",
        "Utkastelser gjennomført i perioden",
        false,
        &|c| fig(c).evictions.to_string(),
    );
    // Today's point by the past points' definition (net balances), read live.
    trend.push(net_today);
    let status_totals = repo::OPEN_STATUSES
        .iter()
        .map(|s| {
            let label = Status::from_key(s).map(|s| s.label()).unwrap_or(s);
            (label.to_string(), count(&columns[columns.len() - 1], s))
        })
        .collect();
    Ok(FiguresData {
        munis,
        period,
        errors,
        rows,
        status_totals,
        trend,
    })
}

#[derive(Template)]
#[template(path = "reporting/figures.html")]
pub struct FiguresPage {
    pub layout: Layout,
    pub q: FilterForm,
    pub errors: FormErrors,
    pub period: String,
    pub headings: Vec<String>,
    pub rows: Vec<FigureRow>,
    pub status_chart: BarChart,
    pub trend_chart: BarChart,
    /// (month end, kroner, leases)
    pub trend: Vec<(String, String, i64)>,
    pub municipalities: Vec<(String, String)>,
    pub several: bool,
    pub csv: String,
}

fn query_string(q: &FilterForm) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("fra", &q.fra);
    s.append_pair("til", &q.til);
    s.append_pair("kommune", &q.kommune);
    s.finish()
}

/// `GET /rapporter`: the municipality's figures, side by side for several.
pub async fn figures(ctx: Ctx, Query(q): Query<FilterForm>) -> AppResult<Response> {
    let d = figures_data(&ctx, &q).await?;
    let status_chart = model::bar_chart(
        "soknader-status",
        "Åpne søknader etter status",
        &d.status_totals
            .iter()
            .map(|(l, n)| (l.clone(), *n, n.to_string()))
            .collect::<Vec<_>>(),
    );
    let trend_chart = model::bar_chart(
        "restanse-trend",
        "Restanse ved utgangen av hver måned, siste 12 måneder",
        &d.trend
            .iter()
            .map(|(day, o, _)| (model::month_short(*day), *o, format::kroner(*o)))
            .collect::<Vec<_>>(),
    );
    render(&FiguresPage {
        layout: Layout::new(&ctx, NAV),
        period: format!(
            "{}–{}",
            format::date(d.period.from),
            format::date(d.period.to)
        ),
        csv: format!("/rapporter/tall.csv?{}", query_string(&q)),
        q,
        errors: d.errors,
        headings: headings(&d.munis),
        rows: d.rows,
        status_chart,
        trend_chart,
        trend: d
            .trend
            .iter()
            .map(|(day, o, t)| (format::date(*day), format::kroner(*o), *t))
            .collect(),
        municipalities: municipality_options(&ctx),
        several: ctx.visible_with_role(Permission::ReadCases).len() > 1,
    })
}

/// `GET /rapporter/tall.csv`: the same table.
pub async fn figures_csv(ctx: Ctx, Query(q): Query<FilterForm>) -> AppResult<Response> {
    let d = figures_data(&ctx, &q).await?;
    let mut header = vec!["Tall".to_string()];
    header.extend(headings(&d.munis));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = d.rows.into_iter().map(|r| {
        let mut v = vec![r.label];
        v.extend(r.values);
        v
    });
    Ok(csv_export::response(
        &format!("nokkeltall-{}-{}.csv", d.period.from, d.period.to),
        &header,
        rows,
    ))
}

// ---------------------------------------------------------------------------------------
// KOSTRA form 13

#[derive(Deserialize, Default)]
pub struct KostraQuery {
    #[serde(default)]
    pub aar: String,
    #[serde(default)]
    pub kommune: String,
    #[serde(default)]
    pub tall: String,
    /// The list's keyset: reference and id of the last record shown.
    #[serde(default)]
    pub etter: String,
    #[serde(default)]
    pub etter_id: String,
}

/// Records on one page of a figure's list.
pub const LIST_PAGE: i64 = 500;

pub struct KostraRow {
    pub no: usize,
    pub key: &'static str,
    pub label: &'static str,
    /// (count, link to the records or None for the total)
    pub cells: Vec<(i64, Option<String>)>,
}

struct KostraData {
    year: i32,
    munis: Vec<MunicipalityRef>,
    rows: Vec<KostraRow>,
    wheelchair_share: Vec<String>,
}

async fn kostra_data(ctx: &Ctx, q: &KostraQuery) -> AppResult<KostraData> {
    let year = model::report_year(&q.aar, ctx.today()).ok_or(AppError::NotFound)?;
    let (mut tx, munis) = scope(ctx, &q.kommune).await?;
    let counts = repo::kostra_counts(&mut tx, &ids(&munis), year).await?;
    tx.commit().await?;
    let n = |key: &str, m: Uuid| {
        counts
            .iter()
            .find(|(f, mm, _)| f == key && *mm == m)
            .map(|c| c.2)
            .unwrap_or(0)
    };
    let rows: Vec<KostraRow> = KOSTRA_FIGURES
        .iter()
        .enumerate()
        .map(|(i, (key, label))| {
            let mut cells: Vec<(i64, Option<String>)> = munis
                .iter()
                .map(|m| {
                    (
                        n(key, m.id),
                        Some(format!(
                            "/rapporter/kostra/liste?aar={year}&tall={key}&kommune={}",
                            m.number
                        )),
                    )
                })
                .collect();
            if munis.len() > 1 {
                cells.push((cells.iter().map(|c| c.0).sum(), None));
            }
            KostraRow {
                no: i + 1,
                key,
                label,
                cells,
            }
        })
        .collect();
    let col = |key: &str, i: usize| {
        rows.iter()
            .find(|r| r.key == key)
            .map(|r| r.cells[i].0)
            .unwrap_or(0)
    };
    let wheelchair_share = (0..rows.first().map(|r| r.cells.len()).unwrap_or(0))
        .map(|i| model::percent(col("dwellings_wheelchair", i), col("dwellings_total", i)))
        .collect();
    Ok(KostraData {
        year,
        munis,
        rows,
        wheelchair_share,
    })
}

#[derive(Template)]
#[template(path = "reporting/kostra.html")]
pub struct KostraPage {
    pub layout: Layout,
    pub year: i32,
    pub years: Vec<i32>,
    pub kommune: String,
    pub headings: Vec<String>,
    pub rows: Vec<KostraRow>,
    pub wheelchair_share: Vec<String>,
    pub municipalities: Vec<(String, String)>,
    pub several: bool,
}

/// `GET /rapporter/kostra?aar=`: KOSTRA form 13 as of 31 December of the year.
pub async fn kostra(ctx: Ctx, Query(q): Query<KostraQuery>) -> AppResult<Response> {
    let d = kostra_data(&ctx, &q).await?;
    let this = ctx.today().year();
    render(&KostraPage {
        layout: Layout::new(&ctx, NAV),
        year: d.year,
        years: (this - 5..=this).rev().collect(),
        kommune: q.kommune.clone(),
        headings: headings(&d.munis),
        rows: d.rows,
        wheelchair_share: d.wheelchair_share,
        municipalities: municipality_options(&ctx),
        several: ctx.visible_with_role(Permission::ReadCases).len() > 1,
    })
}

/// `GET /rapporter/kostra.csv?aar=`: the figures in the form's order.
pub async fn kostra_csv(ctx: Ctx, Query(q): Query<KostraQuery>) -> AppResult<Response> {
    let d = kostra_data(&ctx, &q).await?;
    let mut header = vec!["Nr".to_string(), "Tall".to_string()];
    header.extend(d.munis.iter().map(|m| format!("{} ({})", m.name, m.number)));
    if d.munis.len() > 1 {
        header.push("Totalt".into());
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut rows: Vec<Vec<String>> = d
        .rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.no.to_string(),
                r.label.trim_start_matches("– ").to_string(),
            ];
            v.extend(r.cells.iter().map(|c| c.0.to_string()));
            v
        })
        .collect();
    let mut share = vec![
        String::new(),
        "Andel tilgjengelig for rullestolbrukere".to_string(),
    ];
    share.extend(d.wheelchair_share.iter().cloned());
    rows.insert(5, share);
    Ok(csv_export::response(
        &format!("kostra-skjema-13-{}.csv", d.year),
        &header,
        rows,
    ))
}

pub struct RecordView {
    pub reference: String,
    pub person: String,
    pub on_date: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "reporting/kostra_list.html")]
pub struct KostraListPage {
    pub layout: Layout,
    pub year: i32,
    pub label: &'static str,
    pub municipality: String,
    pub records: Vec<RecordView>,
    /// The figure (every record it counts), and the next page when there is one.
    pub total: i64,
    pub next: Option<String>,
    pub back: String,
}

/// `GET /rapporter/kostra/liste?aar=&tall=&kommune=`: the records one figure counts, so a
/// caseworker can check it. It names people, so reading it is audited.
pub async fn kostra_list(ctx: Ctx, Query(q): Query<KostraQuery>) -> AppResult<Response> {
    let year = model::report_year(&q.aar, ctx.today()).ok_or(AppError::NotFound)?;
    let (key, label) = KOSTRA_FIGURES
        .iter()
        .find(|(k, _)| *k == q.tall)
        .copied()
        .ok_or(AppError::NotFound)?;
    if q.kommune.trim().is_empty() {
        return Err(AppError::NotFound);
    }
    let (mut tx, munis) = scope(&ctx, &q.kommune).await?;
    let m = munis.into_iter().next().ok_or(AppError::NotFound)?;
    // A keyset that does not parse starts from the beginning.
    let after = q
        .etter_id
        .parse::<Uuid>()
        .ok()
        .map(|id| (q.etter.as_str(), id));
    let records = repo::kostra_records(&mut tx, m.id, year, key, after, LIST_PAGE).await?;
    let total = records.first().map(|r| r.total).unwrap_or(0);
    let next = records
        .last()
        .filter(|_| records.len() as i64 == LIST_PAGE)
        .map(|r| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.append_pair("aar", &year.to_string());
            s.append_pair("tall", key);
            s.append_pair("kommune", &m.number);
            s.append_pair("etter", &r.reference);
            s.append_pair("etter_id", &r.id.to_string());
            format!("/rapporter/kostra/liste?{}", s.finish())
        });
    audit::record(
        &mut tx,
        &ctx,
        Event::new("reporting.kostra_list_viewed")
            .municipality(m.id)
            .entity("kostra_figure", key)
            .details(json!({
                "year": year,
                "figure": key,
                "count": total,
                "shown": records.len(),
                "records": records.iter().map(|r| r.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let records = records
        .into_iter()
        .map(|r| RecordView {
            href: match r.kind.as_str() {
                "dwelling" => format!("/boliger/{}", r.id),
                "lease" => format!("/leiekontrakter/{}", r.id),
                _ => format!("/soknader/{}", r.id),
            },
            reference: match r.kind.as_str() {
                "lease" => format!("Kontrakt {}", r.reference),
                _ => r.reference,
            },
            person: r.person,
            on_date: r.on_date.map(format::date).unwrap_or_default(),
        })
        .collect();
    render(&KostraListPage {
        layout: Layout::new(&ctx, NAV),
        year,
        label: label.trim_start_matches("– "),
        municipality: m.name,
        records,
        total,
        next,
        back: format!("/rapporter/kostra?aar={year}"),
    })
}
