//! What needs me today: the user's cases with a deadline due or overdue, for the start
//! page (capped) and `/rapporter/frister` (all of them).

use askama::Template;
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, DueItem, DueScope};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::render;

/// How many the start page shows before "show all".
pub const START_PAGE_ITEMS: i64 = 10;
/// The whole list is the user's own deadlines; this only guards the page's size.
const ALL_ITEMS: i64 = 1000;

pub struct DueView {
    pub what: &'static str,
    pub municipality: String,
    pub href: String,
    pub reference: String,
    pub due_on: String,
    pub overdue: bool,
}

pub fn label(kind: &str) -> &'static str {
    match kind {
        "interim" => "Foreløpig svar skal sendes (forvaltningsloven § 11a)",
        "approval" => "Vedtak venter på godkjenning",
        "advance_notice" => "Fristen for å uttale seg etter forhåndsvarsel er ute (§ 16)",
        "appeal_deadline" => "Klagefristen løper ut",
        "offer" => "Tilbudet har passert svarfristen",
        "lease_review" => "Leiekontrakten utløper uten gjennomgang",
        "lease_lapsing" => "Kontrakten kan bli tidsubestemt (husleieloven § 9-2)",
        "arrears_eviction" => "Utkastelsesdatoen er nådd: registrer utfallet",
        "arrears_request" => "Fristen etter varsel (tvangsfullbyrdelsesloven § 4-18) er ute",
        _ => "Frist",
    }
}

/// Where the user's deadlines come from: the municipalities in view where they may read
/// cases, approve decisions and work on rent. The start page's count and the full list
/// both come from [`due`] with this scope, so they always agree.
pub struct Scope {
    cases: Vec<Uuid>,
    approve: Vec<Uuid>,
    rent: Vec<Uuid>,
}

impl Scope {
    pub fn of(ctx: &Ctx) -> Self {
        let of = |p: Permission| -> Vec<Uuid> {
            ctx.visible_with_role(p).into_iter().map(|m| m.id).collect()
        };
        Scope {
            cases: of(Permission::ReadCases),
            approve: of(Permission::WriteDecisions),
            rent: of(Permission::ManageRent),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.approve.is_empty() && self.rent.is_empty()
    }

    /// Every municipality an item can come from: what the transaction must see.
    pub fn municipalities(&self) -> Vec<Uuid> {
        let mut all: Vec<Uuid> = [&self.cases, &self.approve, &self.rent]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The user's due items in `scope`, at most `limit`, and how many there are in all. The
/// transaction must see `scope.municipalities()`.
pub async fn due(
    conn: &mut PgConnection,
    ctx: &Ctx,
    scope: &Scope,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<(Vec<DueView>, i64)> {
    if scope.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let scope = DueScope {
        cases: &scope.cases,
        approve: &scope.approve,
        rent: &scope.rent,
    };
    let items = repo::due_items(conn, &scope, ctx.user.id, today, limit).await?;
    let total = items.first().map(|i| i.total).unwrap_or(0);
    let names = ctx.visible_municipalities();
    Ok((
        items
            .into_iter()
            .map(|i: DueItem| DueView {
                what: label(&i.kind),
                municipality: names
                    .iter()
                    .find(|m| m.id == i.municipality_id)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                href: i.href,
                reference: i.reference,
                overdue: i.due_on < today,
                due_on: format::date(i.due_on),
            })
            .collect(),
        total,
    ))
}

#[derive(Template)]
#[template(path = "reporting/due.html")]
pub struct DuePage {
    pub layout: Layout,
    pub items: Vec<DueView>,
    pub total: i64,
    pub several: bool,
}

/// `GET /rapporter/frister`: all of the user's due items. It names cases, so it is audited.
/// Same query and scope as the start page's count ([`Scope`]): the transaction sees every
/// municipality an item can come from, not only those where the user reads cases.
pub async fn due_list(ctx: Ctx) -> AppResult<Response> {
    let scope = Scope::of(&ctx);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let visible = scope.municipalities();
    let mut tx = db::scoped_tx(&ctx.state.pool, &visible).await?;
    let (items, total) = due(&mut tx, &ctx, &scope, ctx.today(), ALL_ITEMS).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("reporting.due_list_viewed").details(json!({
            "count": total,
            "municipalities": visible,
        })),
    )
    .await?;
    tx.commit().await?;
    render(&DuePage {
        layout: Layout::new(&ctx, "oversikt"),
        items,
        total,
        several: visible.len() > 1,
    })
}
