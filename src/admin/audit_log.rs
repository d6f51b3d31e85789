//! The audit log for auditors (and municipality admins for their own municipality):
//! filterable, newest first, keyset-paginated.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Role;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::render;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    pub handling: String,
    #[serde(default)]
    pub bruker: String,
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub etter: String,
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub username: Option<String>,
    pub municipality_id: Option<Uuid>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub details: String,
    pub ip: Option<String>,
}

pub struct EventView {
    pub at: String,
    pub username: String,
    pub municipality: String,
    pub action: String,
    pub entity: String,
    pub details: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit_log.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub filter: Filter,
    pub errors: FormErrors,
    pub events: Vec<EventView>,
    pub next_query: Option<String>,
}

fn parse_date(errors: &mut FormErrors, field: &'static str, v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                "Skriv datoen som åååå-mm-dd, for eksempel 2026-01-31.",
            );
            None
        }
    }
}

pub async fn list(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let munis = ctx.visible_with_role(crate::auth::policy::AUDIT_READERS);
    if munis.is_empty() {
        return Err(AppError::Forbidden);
    }
    let audited: Vec<Uuid> = munis
        .iter()
        .filter(|m| ctx.user.has_role(m.id, Role::Auditor))
        .map(|m| m.id)
        .collect();
    let mut errors = FormErrors::new();
    let from = parse_date(&mut errors, "fra", &filter.fra);
    let to = parse_date(&mut errors, "til", &filter.til);
    let cursor: Option<(DateTime<Utc>, Uuid)> = filter.etter.split_once('_').and_then(|(t, id)| {
        Some((
            DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc),
            Uuid::parse_str(id).ok()?,
        ))
    });
    let action = filter.handling.trim();
    let user = filter.bruker.trim().to_lowercase();
    let mut tx = ctx.global_tx().await?;
    // Events without a municipality (logins, password changes, office-level events) are
    // shown to the user they concern, and to auditors only when they concern staff of the
    // municipalities they audit (by user id, or by the user name typed at a failed login);
    // events of the deployment as a whole are shown to nobody here (ASVS 5.0 V16, V8).
    let mut rows: Vec<EventRow> = sqlx::query_as(
        "WITH staff AS (
            SELECT u.id, u.username FROM users u
             WHERE EXISTS (SELECT 1 FROM memberships ms
                            WHERE ms.user_id = u.id
                              AND (ms.municipality_id = ANY($2)
                                   OR ms.office_id IN (SELECT office_id FROM office_municipalities
                                                        WHERE municipality_id = ANY($2)))))
         SELECT id, at, username, municipality_id, action, entity_type, entity_id, details::text AS details, ip
           FROM audit_events
          WHERE (municipality_id = ANY($1)
                 OR (municipality_id IS NULL
                     AND (user_id = $10
                          OR user_id IN (SELECT id FROM staff)
                          OR (user_id IS NULL AND details->>'username' IN (SELECT username FROM staff)))))
            AND ($3 = '' OR action LIKE $3 || '%')
            AND ($4 = '' OR username = $4 OR details->>'username' = $4)
            AND ($5::date IS NULL OR at >= $5::date::timestamptz)
            AND ($6::date IS NULL OR at < ($6::date + 1)::timestamptz)
            AND ($7::timestamptz IS NULL OR (at, id) < ($7, $8))
          ORDER BY at DESC, id DESC
          LIMIT $9",
    )
    .bind(munis.iter().map(|m| m.id).collect::<Vec<_>>())
    .bind(&audited)
    .bind(action.chars().take(100).collect::<String>())
    .bind(user.chars().take(100).collect::<String>())
    .bind(from)
    .bind(to)
    .bind(cursor.map(|c| c.0))
    .bind(cursor.map(|c| c.1))
    .bind(PAGE_SIZE + 1)
    .bind(ctx.user.id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let next_query = if rows.len() as i64 > PAGE_SIZE {
        rows.pop();
        rows.last().map(|r| {
            serde_urlencoded::to_string([
                ("handling", filter.handling.as_str()),
                ("bruker", filter.bruker.as_str()),
                ("fra", filter.fra.as_str()),
                ("til", filter.til.as_str()),
                ("etter", &format!("{}_{}", r.at.to_rfc3339(), r.id)),
            ])
            .unwrap_or_default()
        })
    } else {
        None
    };
    let events = rows
        .into_iter()
        .map(|r| EventView {
            at: r
                .at
                .with_timezone(&chrono_tz::Europe::Oslo)
                .format("%d.%m.%Y %H:%M:%S")
                .to_string(),
            username: r.username.unwrap_or_default(),
            municipality: r
                .municipality_id
                .and_then(|id| munis.iter().find(|m| m.id == id).map(|m| m.name.clone()))
                .unwrap_or_default(),
            action: r.action,
            entity: match (r.entity_type, r.entity_id) {
                (Some(t), Some(id)) => format!("{t} {id}"),
                _ => String::new(),
            },
            details: r.details,
            ip: r.ip.unwrap_or_default(),
        })
        .collect();
    render(&AuditPage {
        layout: Layout::new(&ctx, "revisjonslogg"),
        filter,
        errors,
        events,
        next_query,
    })
}
