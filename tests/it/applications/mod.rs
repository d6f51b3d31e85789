//! HTTP and browser tests of the applications context.

mod browser;
mod cases;
mod public;

use bosak::applications::model::complete_national_id;
use uuid::Uuid;

use crate::common::{Client, Page, TestApp};

/// A valid identity number born on `ddmmyy` (synthetic: month + 80), distinct per `n`.
pub fn fnr(ddmmyy: &str, n: u32) -> String {
    let (d, rest) = ddmmyy.split_at(2);
    let (m, y) = rest.split_at(2);
    let month: u32 = m.parse::<u32>().unwrap() + 80;
    (n * 7 % 400..500)
        .chain(0..500)
        .find_map(|i| complete_national_id(&format!("{d}{month:02}{y}{i:03}")))
        .unwrap()
}

/// Today by the suite's clock (`BOSAK_TODAY` or the real date), as forms write it.
pub fn today() -> String {
    bosak::clock::Clock::from_env()
        .expect("BOSAK_TODAY")
        .today()
        .format("%d.%m.%Y")
        .to_string()
}

/// The fields of a complete, valid registration.
pub fn registration(name: &str, national_id: &str) -> Vec<(String, String)> {
    [
        ("received_on", today().as_str()),
        ("channel", "paper"),
        ("dwelling_types", "ordinary"),
        ("dwelling_types", "transitional"),
        ("services_wanted", "housing_guidance"),
        ("situation", "at_risk"),
        ("situation_notes", "Oppsagt fra privat leilighet."),
        ("needs_ground_floor", "1"),
        ("care_level", "none"),
        ("monthly_income", "18 500"),
        ("consent_nav", "1"),
        ("consent_given_on", today().as_str()),
        ("applicant_name", name),
        ("applicant_national_id", national_id),
        ("applicant_phone", "99887766"),
        ("applicant_street_address", "Storgata 1"),
        ("applicant_postcode", "7600"),
        ("applicant_postal_place", "Levanger"),
        ("member_name_0", "Lise Hansen"),
        ("member_birth_date_0", "01.02.2018"),
        ("member_relation_0", "child"),
        ("member_name_1", "Per Hansen"),
        ("member_birth_date_1", "03.04.2015"),
        ("member_relation_1", "visiting_child"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub async fn post_pairs(c: &mut Client, path: &str, pairs: &[(String, String)]) -> Page {
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post(path, &refs).await
}

/// Registers an application as `c` and returns its id.
pub async fn register(c: &mut Client, name: &str, national_id: &str) -> Uuid {
    c.get("/soknader/ny").await;
    let res = post_pairs(c, "/soknader/ny", &registration(name, national_id)).await;
    assert_eq!(res.status, reqwest::StatusCode::SEE_OTHER, "{}", res.text);
    id_from(res.location.as_deref().unwrap())
}

pub fn id_from(location: &str) -> Uuid {
    let rest = location.trim_start_matches("/soknader/");
    Uuid::parse_str(&rest[..36]).unwrap()
}

/// Runs `sql` with one bound uuid as the owner, scoped to `municipality`.
pub async fn scalar_i64(app: &TestApp, municipality: &str, sql: &str, id: Uuid) -> i64 {
    app.tenant(municipality)
        .await
        .scalar(sql, &[id.into()])
        .await
}

pub async fn version(app: &TestApp, id: Uuid) -> String {
    scalar_i64(
        app,
        "5037",
        "SELECT version::bigint FROM applications WHERE id = $1",
        id,
    )
    .await
    .to_string()
}
