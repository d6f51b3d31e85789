//! Lists: decisions awaiting approval, decisions sent in a period, open appeals; CSV.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::handlers::READ_ROLES;
use crate::audit::{self, Event};
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

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub municipality_id: Uuid,
    pub municipality: String,
    pub case_number: String,
    pub applicant: String,
    pub status: String,
    pub author: String,
    pub points: i64,
    pub refused: i64,
    pub dispatched_on: Option<NaiveDate>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

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
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    // Sort key as text so one keyset cursor serves both views.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id, d.municipality_id, mu.name AS municipality, a.case_number, p.name AS applicant, d.status::text AS status,
                u.display_name AS author,
                (SELECT count(*) FROM decision_points dp WHERE dp.municipality_id = d.municipality_id AND dp.decision_id = d.id) AS points,
                (SELECT count(*) FROM decision_points dp WHERE dp.municipality_id = d.municipality_id AND dp.decision_id = d.id AND dp.outcome = 'refused') AS refused,
                d.dispatched_on, d.updated_at
           FROM decisions d
           JOIN municipalities mu ON mu.id = d.municipality_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
           JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id
           JOIN users u ON u.id = d.author_id
          WHERE d.municipality_id = ANY($1)
            AND (CASE WHEN $2 THEN d.status = 'sent' ELSE d.status <> 'sent' END)
            AND ($3::date IS NULL OR d.dispatched_on >= $3)
            AND ($4::date IS NULL OR d.dispatched_on <= $4)
            AND ($5::text IS NULL OR (CASE WHEN $2 THEN d.dispatched_on::text ELSE d.updated_at::text END, d.id) < ($5, $6))
          ORDER BY CASE WHEN $2 THEN d.dispatched_on::text ELSE d.updated_at::text END DESC, d.id DESC
          LIMIT $7",
    )
    .bind(&ids)
    .bind(sent)
    .bind(from)
    .bind(to)
    .bind(cursor.as_ref().map(|c| c.0.clone()))
    .bind(cursor.as_ref().map(|c| c.1))
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    let more = rows.len() as i64 > limit;
    let mut rows = rows;
    rows.truncate(limit as usize);
    Ok((tx, munis, rows, more))
}

pub async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let mut errors = FormErrors::new();
    let (tx, _, rows, more) = fetch(&ctx, &q, &mut errors, PAGE).await?;
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

#[derive(sqlx::FromRow)]
pub struct AppealRow {
    pub id: Uuid,
    pub municipality: String,
    pub case_number: String,
    pub appellant: String,
    pub received_on: NaiveDate,
    pub status: String,
    pub forwarded_on: Option<NaiveDate>,
    /// fvl. § 11a: the date by which an interim reply is owed, while the appeal is with us
    /// (a month after receipt until one is sent, then the date the last one promised).
    pub interim_due_on: Option<NaiveDate>,
}

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
    let (mut tx, munis) = ctx.read_tx(READ_ROLES).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let rows: Vec<AppealRow> = sqlx::query_as(
        "SELECT ap.id, mu.name AS municipality, a.case_number, ap.appellant, ap.received_on,
                ap.status::text AS status, ap.forwarded_on,
                CASE WHEN ap.status IN ('registered', 'reversing')
                       OR (ap.status = 'forwarded' AND EXISTS (
                             SELECT 1 FROM appeal_points p WHERE p.municipality_id = ap.municipality_id
                                AND p.appeal_id = ap.id AND p.forwarded_on IS NULL)) THEN
                  CASE WHEN r.sent_on IS NULL THEN (ap.received_on + interval '1 month')::date
                       ELSE r.expected_on END
                END AS interim_due_on
           FROM appeals ap
           JOIN municipalities mu ON mu.id = ap.municipality_id
           LEFT JOIN LATERAL (
             SELECT i.sent_on, i.expected_on FROM appeal_interim_replies i
              WHERE i.municipality_id = ap.municipality_id AND i.appeal_id = ap.id
              ORDER BY i.sent_on DESC, i.created_at DESC LIMIT 1) r ON true
           JOIN decisions d ON d.municipality_id = ap.municipality_id AND d.id = ap.decision_id
           JOIN applications a ON a.municipality_id = d.municipality_id AND a.id = d.application_id
          WHERE ap.municipality_id = ANY($1) AND ap.status IN ('registered', 'reversing', 'forwarded')
          ORDER BY ap.received_on, ap.id
          LIMIT 500",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    render(&AppealsPage {
        show_municipality: ctx.visible_municipalities().len() > 1,
        layout: Layout::new(&ctx, "vedtak"),
        rows,
        today: ctx.today(),
    })
}
