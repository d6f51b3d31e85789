//! Offers past their answer date: the scheduled job notes each on its case once, and a
//! list shows them. Expiring an offer stays a person's act (the answer may have arrived
//! by post), so nothing here changes an offer's status.

use askama::Template;
use axum::response::Response;
use uuid::Uuid;

use super::repo::{self, OfferRow};
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::{format, render};

const LIMIT: i64 = 200;

/// The scheduled job: every open offer past its answer date gets one journal entry on
/// its case. Returns how many were noted now.
pub async fn note_overdue(pool: &sqlx::PgPool, today: chrono::NaiveDate) -> anyhow::Result<u64> {
    let municipalities = crate::municipalities::repo::all_ids(pool).await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let noted = repo::mark_overdue_noted(&mut tx, today).await?;
    for (m, offer, application, due) in &noted {
        apps::record_event(
            &mut tx,
            *m,
            *application,
            None,
            "offer",
            &format!(
                "Svarfristen for tilbudet gikk ut {} uten registrert svar",
                format::date(*due)
            ),
            "Registrer svaret, eller at tilbudet er utløpt, på tilbudet.",
            Some(&format!("/tilbud/{offer}")),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(noted.len() as u64)
}

pub struct OverdueView {
    pub o: OfferRow,
    pub municipality: String,
    pub days_over: i64,
}

#[derive(Template)]
#[template(path = "allocation/overdue.html")]
pub struct OverduePage {
    pub layout: Layout,
    pub offers: Vec<OverdueView>,
    pub total: i64,
    pub several_municipalities: bool,
}

impl OverduePage {
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
}

pub async fn list(ctx: Ctx) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::Allocate).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let today = ctx.today();
    let (rows, total) = repo::overdue_offers(&mut tx, &ids, today, LIMIT).await?;
    if !rows.is_empty() {
        // The list names applicants: who read it is recorded.
        audit::record(
            &mut tx,
            &ctx,
            Event::new("offers.overdue_viewed").details(serde_json::json!({
                "applications": rows.iter().map(|o| o.application_id).collect::<Vec<_>>(),
            })),
        )
        .await?;
    }
    tx.commit().await?;
    let name = |m: Uuid| {
        munis
            .iter()
            .find(|x| x.id == m)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    render(&OverduePage {
        layout: Layout::new(&ctx, "venteliste"),
        several_municipalities: munis.len() > 1,
        offers: rows
            .into_iter()
            .map(|o| OverdueView {
                municipality: name(o.municipality_id),
                days_over: (today - o.answer_due).num_days(),
                o,
            })
            .collect(),
        total,
    })
}
