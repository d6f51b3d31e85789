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

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(start_page))
}

pub struct MunicipalityCard {
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
}

#[derive(Template)]
#[template(path = "dashboard/start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub cards: Vec<MunicipalityCard>,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    melding: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    municipality_id: uuid::Uuid,
    letterhead_name: String,
    areas: i64,
    open: i64,
    mine: i64,
    interim_overdue: i64,
    waiting_list: i64,
    awaiting_approval: i64,
    open_appeals: i64,
    ready_for_meeting: i64,
    offers_overdue: i64,
    next_meeting_id: Option<uuid::Uuid>,
    next_meeting_at: Option<chrono::DateTime<chrono::Utc>>,
    vacant: i64,
    becoming_vacant: i64,
}

pub async fn start_page(ctx: Ctx, Query(q): Query<StartQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx_or_empty(&Role::ALL).await?;
    // Row level security limits this to the municipalities in view.
    // One round trip; every count walks an index that starts with municipality_id.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.municipality_id, s.letterhead_name,
                (SELECT count(*) FROM areas a WHERE a.municipality_id = s.municipality_id AND a.active) AS areas,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                                    'partly_approved', 'waiting_list', 'offered')) AS open,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.caseworker_id = $2
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting', 'approved',
                                    'partly_approved', 'waiting_list', 'offered')) AS mine,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.interim_due_on < $3 AND a.interim_sent_on IS NULL
                   AND a.status IN ('received', 'under_assessment', 'ready_for_meeting')) AS interim_overdue,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status = 'waiting_list') AS waiting_list,
                (SELECT count(*) FROM decisions d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'ready_for_approval') AS awaiting_approval,
                (SELECT count(*) FROM appeals ap WHERE ap.municipality_id = s.municipality_id
                   AND ap.status IN ('registered', 'reversing', 'forwarded')) AS open_appeals,
                (SELECT count(*) FROM applications a WHERE a.municipality_id = s.municipality_id
                   AND a.status = 'ready_for_meeting') AS ready_for_meeting,
                (SELECT count(*) FROM offers o WHERE o.municipality_id = s.municipality_id
                   AND o.status = 'open' AND o.answer_due < $3) AS offers_overdue,
                nm.id AS next_meeting_id, nm.starts_at AS next_meeting_at,
                (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'vacant') AS vacant,
                (SELECT count(*) FROM dwellings d WHERE d.municipality_id = s.municipality_id
                   AND d.status = 'notice_given' AND d.expected_vacant_from <= $3 + 90) AS becoming_vacant
           FROM municipality_settings s
           LEFT JOIN LATERAL (SELECT mt.id, mt.starts_at FROM meetings mt
                               WHERE mt.municipality_id = s.municipality_id AND mt.cancelled_at IS NULL
                                 AND mt.starts_at >= $4 - interval '12 hours'
                               ORDER BY mt.starts_at LIMIT 1) nm ON true
          WHERE s.municipality_id = ANY($1)",
    )
    .bind(munis.iter().map(|m| m.id).collect::<Vec<_>>())
    .bind(ctx.user.id)
    .bind(ctx.today())
    .bind(ctx.now())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let cards = munis
        .iter()
        .map(|m| {
            let row = rows.iter().find(|r| r.municipality_id == m.id);
            MunicipalityCard {
                name: m.name.clone(),
                number: m.number.clone(),
                roles: ctx.user.roles_in(m.id),
                letterhead: row.map(|r| r.letterhead_name.clone()).unwrap_or_default(),
                areas: row.map(|r| r.areas).unwrap_or(0),
                cases: ctx
                    .user
                    .has_any_role(m.id, Permission::ReadCases.roles())
                    .then(|| {
                        row.map(|r| CaseFigures {
                            open: r.open,
                            mine: r.mine,
                            interim_overdue: r.interim_overdue,
                            waiting_list: r.waiting_list,
                            awaiting_approval: r.awaiting_approval,
                            open_appeals: r.open_appeals,
                            ready_for_meeting: r.ready_for_meeting,
                            offers_overdue: r.offers_overdue,
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
            }
        })
        .collect();
    let notice = match q.melding.as_str() {
        "passord" => Some("password_changed"),
        _ => None,
    };
    render(&StartPage {
        layout: Layout::new(&ctx, "oversikt"),
        cards,
        notice,
    })
}
