//! HTTP tests of allocation: rule versions, the waiting list, candidates for a unit,
//! offers (accept, decline, expire, limits, double submit), permissions and tenancy.

mod browser;
pub mod offers;
mod rules;

use std::collections::HashMap;

use uuid::Uuid;

use crate::common::fixtures::Arg;
use crate::common::{Page, TestApp};

pub async fn levanger(app: &TestApp) -> Uuid {
    app.municipality_id("5037").await
}

/// Runs `sql` (with `$1` = the municipality) as the owner inside Levanger's tenant scope.
pub async fn exec(app: &TestApp, sql: &str) {
    let t = app.tenant("5037").await;
    t.exec(sql, &[Arg::Municipality]).await;
}

/// Like `exec`, with `$2` = today by the server's clock.
pub async fn exec_on(app: &TestApp, sql: &str) {
    let t = app.tenant("5037").await;
    t.exec(sql, &[Arg::Municipality, app.today().into()]).await;
}

pub async fn scalar<
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
>(
    app: &TestApp,
    sql: &str,
    id: Uuid,
) -> T {
    let t = app.tenant("5037").await;
    t.scalar(sql, &[id.into(), Arg::Municipality]).await
}

/// A vacant two-room Levanger unit that every waiting applicant without special needs and
/// with at most one child may get: their grants are widened to its dwelling type. One
/// applicant needs a wheelchair, so at least one is excluded with that reason.
pub async fn prepared_unit(app: &TestApp) -> Uuid {
    let m = levanger(app).await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let (unit, ty): (Uuid, Uuid) = sqlx::query_as(
        "SELECT id, dwelling_type_id FROM dwellings WHERE municipality_id = $1 AND status = 'vacant' AND rooms = 2
          ORDER BY id LIMIT 1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE dwellings SET wheelchair_accessible = false, floor = 3 WHERE municipality_id = $1 AND id = $2")
        .bind(m)
        .bind(unit)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE applications SET needs_wheelchair = false, needs_ground_floor = false
          WHERE municipality_id = $1 AND status IN ('approved', 'partly_approved', 'waiting_list')",
    )
    .bind(m)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE decision_points SET dwelling_type_ids = ARRAY[$2]::uuid[], needs_ground_floor_or_lift = false
          WHERE municipality_id = $1 AND outcome IN ('granted', 'partly_granted')",
    )
    .bind(m)
    .bind(ty)
    .execute(&mut *tx)
    .await
    .unwrap();
    // The last waiting applicant by case number needs a wheelchair.
    sqlx::query(
        "UPDATE applications SET needs_wheelchair = true WHERE municipality_id = $1 AND id =
           (SELECT id FROM applications WHERE municipality_id = $1 AND status = 'waiting_list' ORDER BY case_number DESC LIMIT 1)",
    )
    .bind(m)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    unit
}

/// Every named field of the form matching `form`, as the browser would submit it.
pub fn form_fields(p: &Page, form: &str) -> HashMap<String, String> {
    let html = p.html();
    let mut out = HashMap::new();
    let sel = |s: &str| scraper::Selector::parse(&format!("{form} {s}")).unwrap();
    for e in html.select(&sel("input")) {
        let (Some(name), t) = (
            e.value().attr("name"),
            e.value().attr("type").unwrap_or("text"),
        ) else {
            continue;
        };
        if (t == "radio" || t == "checkbox") && e.value().attr("checked").is_none() {
            continue;
        }
        out.insert(
            name.to_string(),
            e.value().attr("value").unwrap_or("").to_string(),
        );
    }
    for e in html.select(&sel("textarea")) {
        if let Some(name) = e.value().attr("name") {
            out.insert(name.to_string(), e.text().collect());
        }
    }
    let opt = scraper::Selector::parse("option").unwrap();
    for e in html.select(&sel("select")) {
        if let Some(name) = e.value().attr("name") {
            let v = e
                .select(&opt)
                .find(|o| o.value().attr("selected").is_some())
                .or_else(|| e.select(&opt).next())
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("");
            out.insert(name.to_string(), v.to_string());
        }
    }
    out
}
