//! The start page: what is in view for this user. Later issues add their counts here.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

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
}

pub async fn start_page(ctx: Ctx, Query(q): Query<StartQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(&Role::ALL).await?;
    // Row level security limits this to the municipalities in view.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.municipality_id, s.letterhead_name,
                (SELECT count(*) FROM areas a WHERE a.municipality_id = s.municipality_id AND a.active) AS areas
           FROM municipality_settings s
          WHERE s.municipality_id = ANY($1)",
    )
    .bind(munis.iter().map(|m| m.id).collect::<Vec<_>>())
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
