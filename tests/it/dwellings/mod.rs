//! HTTP and browser tests of the dwellings register.

mod browser;
mod crud;
mod import;
mod lists;

use uuid::Uuid;

use crate::common::{Client, Page, TestApp};

/// Runs `sql` (one scalar) as the owner within `municipality`'s tenant scope.
pub async fn scalar<T>(app: &TestApp, number: &str, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    app.tenant(number).await.scalar(sql, &[]).await
}

/// The id of a unit of the municipality (first by unit number).
pub async fn some_unit(app: &TestApp, number: &str, status: &str) -> Uuid {
    scalar(
        app,
        number,
        &format!(
            "SELECT id FROM dwellings WHERE status = '{status}' ORDER BY unit_number, id LIMIT 1"
        ),
    )
    .await
}

pub async fn type_id(app: &TestApp, number: &str, name: &str) -> Uuid {
    scalar(
        app,
        number,
        &format!("SELECT id FROM dwelling_types WHERE name = '{name}'"),
    )
    .await
}

/// A valid property form for Levanger.
pub fn property_fields(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        ("street_address", "Moanvegen 12".into()),
        ("postcode", "7604".into()),
        ("postal_place", "Levanger".into()),
        ("owner_type", "municipality".into()),
        ("has_lift", "1".into()),
    ]
}

pub async fn post_owned(c: &mut Client, path: &str, fields: &[(&'static str, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post(path, &borrowed).await
}

/// Registers a property as the client and returns its id.
pub async fn create_property(c: &mut Client, name: &str) -> Uuid {
    c.get("/eiendommer/ny").await;
    let res = post_owned(c, "/eiendommer/ny", &property_fields(name)).await;
    assert_eq!(res.status, reqwest::StatusCode::SEE_OTHER, "{}", res.text);
    let loc = res.location.unwrap();
    Uuid::parse_str(
        loc.trim_start_matches("/eiendommer/")
            .split('?')
            .next()
            .unwrap(),
    )
    .unwrap()
}

pub fn unit_fields(property: Uuid, t: Uuid, number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("property_id", property.to_string()),
        ("unit_number", number.to_string()),
        ("dwelling_type_id", t.to_string()),
        ("rooms", "2".into()),
        ("area", "54,5".into()),
        ("floor", "1".into()),
        ("monthly_rent", "8 500".into()),
        ("wheelchair_accessible", "1".into()),
        ("status", "vacant".into()),
    ]
}

/// Registers a unit and returns its id.
pub async fn create_unit(c: &mut Client, property: Uuid, t: Uuid, number: &str) -> Uuid {
    let res = post_owned(c, "/boliger/ny", &unit_fields(property, t, number)).await;
    assert_eq!(res.status, reqwest::StatusCode::SEE_OTHER, "{}", res.text);
    let loc = res.location.unwrap();
    Uuid::parse_str(
        loc.trim_start_matches("/boliger/")
            .split('?')
            .next()
            .unwrap(),
    )
    .unwrap()
}
