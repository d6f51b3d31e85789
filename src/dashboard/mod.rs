//! The start page: what is in view for this user. Later issues add their counts here.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::auth::policy::Permission;
use crate::auth::Role;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::render;
use crate::AppState;

mod repo;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(start_page))
}

pub struct MunicipalityCard {
    /// The waiting list picks its municipality by id (`?kommune=<id>`), the other lists
    /// by number (`web::ctx::RequestMeta::narrowed_to`).
    pub id: uuid::Uuid,
    pub name: String,
    pub number: String,
    pub roles: Vec<Role>,
    pub letterhead: String,
    pub areas: i64,
    /// Case figures, shown only to those who may see cases.
    pub cases: Option<CaseFigures>,
    pub vacant: i64,
    pub becoming_vacant: i64,
    /// May the user open the dwelling register here (the vacancy figure links to it)?
    pub register: bool,
    /// May the user open the waiting list and the overdue offers here?
    pub allocate: bool,
}

#[derive(Default, Clone)]
pub struct CaseFigures {
    pub open: i64,
    pub mine: i64,
    pub interim_overdue: i64,
    pub waiting_list: i64,
    pub awaiting_approval: i64,
    pub open_appeals: i64,
    pub ready_for_meeting: i64,
    /// Open offers past their answer date (`/tilbud/forfalte`).
    pub offers_overdue: i64,
    /// The next allocation meeting covering the municipality: (id, "tirsdag 01.12.2026 kl. 09:00").
    pub next_meeting: Option<(uuid::Uuid, String)>,
    /// Running leases ending within six months or past their end (the expiry list).
    pub leases_ending: i64,
    /// Time-limited leases about to become open-ended (husleieloven § 9-2).
    pub leases_lapsing: i64,
}

#[derive(Template)]
#[template(path = "dashboard/start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub cards: Vec<MunicipalityCard>,
    pub notice: Option<&'static str>,
    /// What needs me today (`reporting::today`): the first items and how many in all.
    pub items: Vec<crate::reporting::today::DueView>,
    pub due_total: i64,
    pub several: bool,
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    melding: String,
}

pub async fn start_page(ctx: Ctx, Query(q): Query<StartQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx_or_empty(&Role::ALL).await?;
    let visible: Vec<uuid::Uuid> = munis.iter().map(|m| m.id).collect();
    let rows = repo::figures(&mut tx, &visible, ctx.user.id, ctx.today(), ctx.now()).await?;
    // The transaction sees every role's municipalities, a superset of the due scope's.
    let (items, due_total) = crate::reporting::today::due(
        &mut tx,
        &ctx,
        &crate::reporting::today::Scope::of(&ctx),
        ctx.today(),
        crate::reporting::today::START_PAGE_ITEMS,
    )
    .await?;
    tx.commit().await?;
    let cards = munis
        .iter()
        .map(|m| {
            let row = rows.iter().find(|r| r.municipality_id == m.id);
            MunicipalityCard {
                id: m.id,
                name: m.name.clone(),
                number: m.number.clone(),
                roles: ctx.user.roles_in(m.id),
                letterhead: row.map(|r| r.letterhead_name.clone()).unwrap_or_default(),
                areas: row.map(|r| r.areas).unwrap_or(0),
                cases: ctx.may(Permission::ReadCases, m.id).then(|| {
                    row.map(|r| CaseFigures {
                        open: r.open,
                        mine: r.mine,
                        interim_overdue: r.interim_overdue,
                        waiting_list: r.waiting_list,
                        awaiting_approval: r.awaiting_approval,
                        open_appeals: r.open_appeals,
                        ready_for_meeting: r.ready_for_meeting,
                        offers_overdue: r.offers_overdue,
                        leases_ending: r.leases_ending,
                        leases_lapsing: r.leases_lapsing,
                        next_meeting: r
                            .next_meeting_id
                            .zip(r.next_meeting_at)
                            .map(|(id, at)| (id, crate::meetings::views::when(at))),
                    })
                    .unwrap_or_default()
                }),
                vacant: row.map(|r| r.vacant).unwrap_or(0),
                becoming_vacant: row.map(|r| r.becoming_vacant).unwrap_or(0),
                register: ctx.may(Permission::ReadRegister, m.id),
                allocate: ctx.may(Permission::Allocate, m.id),
            }
        })
        .collect();
    let notice = match q.melding.as_str() {
        "passord" => Some("password_changed"),
        _ => None,
    };
    render(&StartPage {
        layout: Layout::new(&ctx, "oversikt"),
        several: munis.len() > 1,
        cards,
        notice,
        items,
        due_total,
    })
}
