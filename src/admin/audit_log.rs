//! The audit log for auditors (and municipality admins for their own municipality):
//! filterable, newest first, keyset-paginated.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::repo::{self, EventRow};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
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

/// The keyset of the next page: `<at, RFC 3339>_<id>`; anything else is the first page.
fn cursor(raw: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (t, id) = raw.split_once('_')?;
    Some((
        DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc),
        Uuid::parse_str(id).ok()?,
    ))
}

impl EventView {
    fn of(r: EventRow, munis: &[MunicipalityRef]) -> Self {
        EventView {
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
        }
    }
}

pub async fn list(ctx: Ctx, Query(filter): Query<Filter>) -> AppResult<Response> {
    let munis = ctx.visible_with_role(Permission::ReadAudit);
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
    let cursor = cursor(&filter.etter);
    let action = filter.handling.trim();
    let user = filter.bruker.trim().to_lowercase();
    let mut tx = ctx.global_tx().await?;
    let visible: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mut rows = repo::audit_events(
        &mut tx,
        &repo::AuditQuery {
            visible: &visible,
            audited: &audited,
            action: &action.chars().take(100).collect::<String>(),
            user: &user.chars().take(100).collect::<String>(),
            from,
            to,
            before: cursor,
            limit: PAGE_SIZE + 1,
            me: ctx.user.id,
        },
    )
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
    let events = rows.into_iter().map(|r| EventView::of(r, &munis)).collect();
    render(&AuditPage {
        layout: Layout::new(&ctx, "revisjonslogg"),
        filter,
        errors,
        events,
        next_query,
    })
}
