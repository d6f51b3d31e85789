//! The lease lists: every lease (by status, searchable, CSV), and the leases ending soon
//! with their review status and the § 9-2 warning.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::model::{self, Status};
use super::repo::{self, ListFilter, ListRow};
use super::rules::{self, OpenEnded};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::{csv_export, render};

const PAGE: i64 = 50;
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct Filter {
    /// A status key, "lopende" (signed, active, under notice; the default) or "alle".
    pub status: String,
    pub q: String,
    /// The expiry list's horizon in months (default 6).
    pub maneder: String,
    pub etter: String,
}

impl Filter {
    fn statuses(&self) -> Vec<Status> {
        match self.status.as_str() {
            "alle" => Status::ALL.to_vec(),
            s => match Status::parse(s) {
                Some(x) => vec![x],
                None => vec![Status::Signed, Status::Active, Status::NoticeGiven],
            },
        }
    }

    fn horizon(&self) -> u32 {
        self.maneder
            .trim()
            .parse()
            .ok()
            .filter(|m| (1..=36).contains(m))
            .unwrap_or(6)
    }

    fn repo(&self, ending: Option<(NaiveDate, NaiveDate)>) -> ListFilter {
        ListFilter {
            statuses: self.statuses(),
            text: self.q.trim().chars().take(100).collect(),
            ending,
        }
    }

    fn query(&self, after: &str) -> String {
        serde_urlencoded::to_string([
            ("status", self.status.as_str()),
            ("q", self.q.as_str()),
            ("maneder", self.maneder.as_str()),
            ("etter", after),
        ])
        .unwrap_or_default()
    }
}

/// A row as the lists show it.
pub struct Row {
    pub r: ListRow,
    pub municipality: String,
    pub warning: Option<OpenEnded>,
}

impl Row {
    fn of(r: ListRow, munis: &[MunicipalityRef], today: NaiveDate) -> Row {
        let settled = r.status == Status::NoticeGiven || r.renewal_pending;
        // Only a running lease can become open-ended.
        let warning = if r.status.is_running() {
            rules::open_ended_warning(r.ends_on, r.demand_to_move_on.is_some(), settled, today)
        } else {
            None
        };
        Row {
            municipality: munis
                .iter()
                .find(|m| m.id == r.municipality_id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            warning,
            r,
        }
    }

    pub fn term(&self) -> String {
        match self.r.ends_on {
            Some(e) => format!("{}–{}", format::date(self.r.starts_on), format::date(e)),
            None => format!("Fra {}", format::date(self.r.starts_on)),
        }
    }

    pub fn rent(&self) -> String {
        format::kroner(self.r.monthly_rent)
    }

    pub fn review(&self) -> String {
        match (&self.r.review_outcome, self.r.reviewed_on) {
            (Some(o), Some(d)) => {
                format!("{} ({})", model::review_outcome_label(o), format::date(d))
            }
            _ => "Ikke vurdert".into(),
        }
    }

    pub fn ends(&self) -> String {
        self.r.ends_on.map(format::date).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "leases/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub expiry: bool,
    pub filter: Filter,
    pub rows: Vec<Row>,
    pub show_municipality: bool,
    pub next_query: Option<String>,
    pub horizon: u32,
    pub lapsing: usize,
    pub can_write: bool,
    /// The expiry list's total over all pages (None on the plain lease list).
    pub total: Option<i64>,
}

impl ListPage {
    pub fn status_options(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("lopende".to_string(), "Løpende".to_string()),
            ("alle".to_string(), "Alle".to_string()),
        ];
        v.extend(
            Status::ALL
                .iter()
                .map(|s| (s.key().to_string(), s.label().to_string())),
        );
        v
    }

    pub fn chosen_status(&self) -> &str {
        if self.filter.status.is_empty() {
            "lopende"
        } else {
            &self.filter.status
        }
    }

    pub fn csv_link(&self) -> String {
        format!("/leiekontrakter/eksport.csv?{}", self.filter.query(""))
    }

    pub fn horizon_options(&self) -> Vec<(String, String)> {
        [3u32, 6, 9, 12, 24]
            .iter()
            .map(|m| (m.to_string(), format!("{m} måneder")))
            .collect()
    }
}

async fn scope(ctx: &Ctx) -> AppResult<(crate::db::Tx, Vec<MunicipalityRef>, Vec<Uuid>)> {
    let (tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids = munis.iter().map(|m| m.id).collect();
    Ok((tx, munis, ids))
}

fn cursor<T: std::str::FromStr>(raw: &str) -> Option<(T, Uuid)> {
    let (a, b) = raw.rsplit_once('~')?;
    Some((a.parse().ok()?, Uuid::parse_str(b).ok()?))
}

pub async fn list(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let (mut tx, munis, ids) = scope(&ctx).await?;
    let mut rows = repo::list(
        &mut tx,
        &ids,
        &filter.repo(None),
        cursor(&filter.etter),
        PAGE + 1,
    )
    .await?;
    tx.commit().await?;
    let next_query = (rows.len() as i64 > PAGE).then(|| {
        rows.truncate(PAGE as usize);
        let last = &rows[rows.len() - 1];
        filter.query(&format!("{}~{}", last.lease_no, last.id))
    });
    let today = ctx.today();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| Row::of(r, &munis, today))
        .collect();
    render(&ListPage {
        layout: Layout::new(&ctx, "leiekontrakter"),
        expiry: false,
        show_municipality: munis.len() > 1,
        lapsing: rows.iter().filter(|r| r.warning.is_some()).count(),
        total: None,
        can_write: munis
            .iter()
            .any(|m| ctx.may(Permission::ManageLeases, m.id)),
        horizon: filter.horizon(),
        filter,
        rows,
        next_query,
    })
}

/// Leases ending within the horizon, and those past their end that still run (they
/// become open-ended without a written demand to move).
pub async fn expiry(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let (mut tx, munis, ids) = scope(&ctx).await?;
    let today = ctx.today();
    let horizon = filter.horizon();
    // Everything already past its end too: a lapsed lease stays on the list until it is
    // ended, renewed or given notice.
    let window = (
        chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default(),
        rules::add_months(today, horizon),
    );
    let mut rows = repo::ending(
        &mut tx,
        &ids,
        &filter.repo(Some(window)),
        cursor(&filter.etter),
        PAGE + 1,
    )
    .await?;
    let total = repo::count_ending(&mut tx, &ids, &filter.repo(Some(window))).await?;
    tx.commit().await?;
    let next_query = (rows.len() as i64 > PAGE).then(|| {
        rows.truncate(PAGE as usize);
        let last = &rows[rows.len() - 1];
        filter.query(&format!("{}~{}", last.ends_on.unwrap_or(today), last.id))
    });
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| Row::of(r, &munis, today))
        .collect();
    render(&ListPage {
        layout: Layout::new(&ctx, "leiekontrakter"),
        expiry: true,
        show_municipality: munis.len() > 1,
        lapsing: rows.iter().filter(|r| r.warning.is_some()).count(),
        total: Some(total),
        can_write: munis
            .iter()
            .any(|m| ctx.may(Permission::ManageLeases, m.id)),
        horizon,
        filter,
        rows,
        next_query,
    })
}

pub async fn export(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let (mut tx, munis, ids) = scope(&ctx).await?;
    let rows = repo::list(&mut tx, &ids, &filter.repo(None), None, EXPORT_LIMIT).await?;
    crate::audit::record(
        &mut tx,
        &ctx,
        crate::audit::Event::new("lease.list_exported")
            .details(serde_json::json!({ "rows": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    let header = [
        "Kommune",
        "Kontraktnr",
        "Status",
        "Leietaker",
        "Bolig",
        "Start",
        "Slutt",
        "Månedsleie",
        "Fraflyttingsvarsel",
        "Siste vurdering",
    ];
    let today = ctx.today();
    let out = rows.into_iter().map(|r| {
        let row = Row::of(r, &munis, today);
        vec![
            row.municipality.clone(),
            row.r.lease_no.to_string(),
            row.r.status.label().to_string(),
            row.r.tenant_name.clone(),
            row.r.unit_label.clone(),
            format::date(row.r.starts_on),
            row.ends(),
            format!(
                "{},{:02}",
                row.r.monthly_rent / 100,
                row.r.monthly_rent % 100
            ),
            row.r
                .demand_to_move_on
                .map(format::date)
                .unwrap_or_default(),
            row.review(),
        ]
    });
    Ok(csv_export::response("leiekontrakter.csv", &header, out))
}
