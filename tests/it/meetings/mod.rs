//! HTTP tests of allocation team meetings: planning, the proposed agenda, conclusions that
//! feed cases and offers, minutes that lock, permissions and office meetings across
//! municipalities. The keyboard journey through meeting mode is in `browser`.

mod browser;
mod minutes;
mod office;
mod workflow;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};

/// Runs `sql` as the owner inside one municipality's tenant scope, `$1` = the municipality.
pub async fn exec_in(app: &TestApp, number: &str, sql: &str, id: Option<Uuid>) {
    let mut args = vec![Arg::Municipality];
    args.extend(id.map(Arg::Id));
    app.tenant(number).await.exec(sql, &args).await;
}

/// One value from `sql` in a municipality's scope (`$1` = the municipality).
pub async fn value<T>(app: &TestApp, number: &str, sql: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    app.tenant(number)
        .await
        .scalar(sql, &[Arg::Municipality])
        .await
}

/// Plans a meeting through the form; returns its id.
pub async fn plan(
    c: &mut Client,
    municipalities: &[Uuid],
    date: &str,
    extra: &[(&str, &str)],
) -> Uuid {
    let ids: Vec<String> = municipalities.iter().map(Uuid::to_string).collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("title", "Tildelingsmøte"),
        ("date", date),
        ("time", "09:00"),
        ("place", "Rådhuset"),
    ];
    for id in &ids {
        fields.push(("municipality", id));
    }
    fields.extend_from_slice(extra);
    let res = c.post("/moter", &fields).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let loc = res.location.unwrap();
    Uuid::parse_str(loc.trim_start_matches("/moter/")).unwrap()
}

pub fn version(p: &Page) -> String {
    p.attr("#add-items input[name=version]", "value")
        .or_else(|| p.attr("input[name=version]", "value"))
        .unwrap()
}

/// Adds proposals / a case number / another item to the agenda.
pub async fn add(c: &mut Client, meeting: Uuid, fields: &[(&str, &str)]) -> Page {
    let page = c.get(&format!("/moter/{meeting}")).await;
    let v = version(&page);
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    c.post(&format!("/moter/{meeting}/saksliste"), &all).await
}

/// Item ids on the meeting page, in agenda order.
pub fn item_ids(p: &Page) -> Vec<Uuid> {
    let html = p.html();
    let sel = scraper::Selector::parse("#agenda > li").unwrap();
    html.select(&sel)
        .map(|e| {
            Uuid::parse_str(e.value().attr("id").unwrap().trim_start_matches("punkt-")).unwrap()
        })
        .collect()
}

/// A Levanger case set to "ready for the meeting", with its case number.
pub async fn ready_case(app: &TestApp, number: &str) -> (Uuid, String) {
    let m = app.municipality_id(number).await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let (id, case): (Uuid, String) = sqlx::query_as(
        "UPDATE applications SET status = 'ready_for_meeting', version = version + 1
          WHERE municipality_id = $1 AND id = (SELECT id FROM applications WHERE municipality_id = $1
                AND status = 'under_assessment' ORDER BY case_number LIMIT 1)
          RETURNING id, case_number",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, case)
}

pub async fn conclude(c: &mut Client, meeting: Uuid, number: i32, fields: &[(&str, &str)]) -> Page {
    let page = c
        .get(&format!("/moter/{meeting}/motemodus?punkt={number}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let action = page
        .attr("#conclusion-form", "action")
        .expect("conclusion form");
    let v = page
        .attr("#conclusion-form input[name=version]", "value")
        .unwrap();
    let mut all = vec![("version", v.as_str()), ("personvern", "1")];
    all.extend_from_slice(fields);
    c.post(&action, &all).await
}
