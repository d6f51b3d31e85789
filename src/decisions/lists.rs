//! Lists: decisions awaiting approval, decisions sent in a period, open appeals; CSV.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::repo;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::format::{self, parse_date};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{csv_export, render};

const PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    /// "godkjenning" (awaiting approval, the default) or "sendt".
    #[serde(default)]
    pub visning: String,
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub etter: String,
}

pub use super::repo::ListRow as Row;

#[derive(Template)]
#[template(path = "decisions/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: ListQuery,
    pub rows: Vec<Row>,
    pub errors: FormErrors,
    pub next: Option<String>,
    pub show_municipality: bool,
    pub csv_query: String,
    /// Decisions ready for approval, in the view of those not sent.
    pub awaiting_approval: i64,
}

impl ListPage {
    pub fn date(&self, d: &Option<NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
}

async fn fetch(
    ctx: &Ctx,
    q: &ListQuery,
    errors: &mut FormErrors,
    limit: i64,
) -> AppResult<(crate::db::Tx, Vec<MunicipalityRef>, Vec<Row>, bool)> {
    let sent = q.visning == "sendt";
    let from = if q.fra.trim().is_empty() {
        None
    } else {
        let d = parse_date(&q.fra);
        if d.is_none() {
            errors.add("fra", "Skriv datoen som dd.mm.åååå.");
        }
        d
    };
    let to = if q.til.trim().is_empty() {
        None
    } else {
        let d = parse_date(&q.til);
        if d.is_none() {
            errors.add("til", "Skriv datoen som dd.mm.åååå.");
        }
        d
    };
    let cursor: Option<(String, Uuid)> = q
        .etter
        .split_once('_')
        .and_then(|(k, id)| Some((k.to_owned(), Uuid::parse_str(id).ok()?)));
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let filter = repo::ListFilter {
        sent,
        from,
        to,
        after: cursor,
        limit: limit + 1,
    };
    let rows = repo::list_decisions(&mut tx, &ids, &filter).await?;
    let more = rows.len() as i64 > limit;
    let mut rows = rows;
    rows.truncate(limit as usize);
    Ok((tx, munis, rows, more))
}

pub async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let mut errors = FormErrors::new();
    let (mut tx, munis, rows, more) = fetch(&ctx, &q, &mut errors, PAGE).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let awaiting_approval = repo::count_awaiting_approval(&mut tx, &ids).await?;
    tx.commit().await?;
    let sent = q.visning == "sendt";
    let next = if more {
        rows.last().map(|r| {
            let key = if sent {
                r.dispatched_on.map(|d| d.to_string()).unwrap_or_default()
            } else {
                r.updated_at.to_string()
            };
            serde_urlencoded::to_string([
                ("visning", q.visning.as_str()),
                ("fra", &q.fra),
                ("til", &q.til),
                ("etter", &format!("{key}_{}", r.id)),
            ])
            .unwrap_or_default()
        })
    } else {
        None
    };
    let csv_query = serde_urlencoded::to_string([
        ("visning", q.visning.as_str()),
        ("fra", &q.fra),
        ("til", &q.til),
    ])
    .unwrap_or_default();
    render(&ListPage {
        show_municipality: ctx.visible_municipalities().len() > 1,
        layout: Layout::new(&ctx, "vedtak"),
        q,
        rows,
        errors,
        next,
        csv_query,
        awaiting_approval,
    })
}

pub async fn export(ctx: Ctx, Query(mut q): Query<ListQuery>) -> AppResult<Response> {
    q.etter.clear();
    let mut errors = FormErrors::new();
    let (mut tx, munis, rows, _) = fetch(&ctx, &q, &mut errors, 10_000).await?;
    // The export names every applicant in it: a read of personal data, per municipality.
    for m in &munis {
        let decisions: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.municipality_id == m.id)
            .map(|r| r.id)
            .collect();
        if !decisions.is_empty() {
            audit::record(
                &mut tx,
                &ctx,
                Event::new("decision.list_exported")
                    .municipality(m.id)
                    .details(serde_json::json!({ "decisions": decisions })),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(csv_export::response(
        "vedtak.csv",
        &[
            "Kommune",
            "Saksnummer",
            "Søker",
            "Status",
            "Saksbehandler",
            "Vedtakspunkter",
            "Avslag",
            "Sendt",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.municipality,
                r.case_number,
                r.applicant,
                r.status,
                r.author,
                r.points.to_string(),
                r.refused.to_string(),
                r.dispatched_on.map(format::date).unwrap_or_default(),
            ]
        }),
    ))
}

pub use super::repo::AppealRow;

#[derive(Template)]
#[template(path = "decisions/appeals.html")]
pub struct AppealsPage {
    pub layout: Layout,
    pub rows: Vec<AppealRow>,
    pub show_municipality: bool,
    pub today: NaiveDate,
}

impl AppealsPage {
    pub fn date(&self, d: &NaiveDate) -> String {
        format::date(*d)
    }
    /// What happens next, and by when: a registered appeal should be reconsidered within
    /// three weeks (good practice); a forwarded one waits for the appeal body.
    pub fn next_step(&self, r: &AppealRow) -> String {
        match r.status.as_str() {
            "registered" => {
                let due = r.received_on + chrono::Duration::weeks(3);
                let overdue = if due < self.today { " (forfalt)" } else { "" };
                format!("Vurder klagen på nytt innen {}{overdue}", format::date(due))
            }
            "reversing" => "Nytt vedtak skrives – klagen avsluttes når det er sendt".to_string(),
            "forwarded" => format!(
                "Venter på klageinstansen (oversendt {})",
                r.forwarded_on.map(format::date).unwrap_or_default()
            ),
            _ => String::new(),
        }
    }
    /// The overdue interim reply, if any (shown with the next step).
    pub fn interim_overdue(&self, r: &AppealRow) -> String {
        match r.interim_due_on {
            Some(d) if d < self.today => {
                format!("Foreløpig svar skulle vært sendt innen {}", format::date(d))
            }
            _ => String::new(),
        }
    }
}

pub async fn open_appeals(ctx: Ctx) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let rows = repo::open_appeals(&mut tx, &ids).await?;
    tx.commit().await?;
    render(&AppealsPage {
        show_municipality: ctx.visible_municipalities().len() > 1,
        layout: Layout::new(&ctx, "vedtak"),
        rows,
        today: ctx.today(),
    })
}
