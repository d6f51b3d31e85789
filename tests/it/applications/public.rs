//! The public application form.

use reqwest::StatusCode;

use super::{fnr, register};
use crate::common::{Client, Page, TestApp};

fn public_fields(name: &str, national_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("applicant_name", name.to_string()),
        ("applicant_national_id", national_id.to_string()),
        ("applicant_phone", "41234567".into()),
        ("dwelling_types", "ordinary".into()),
        ("situation", "without_home".into()),
        ("situation_notes", "Bor hos venner.".into()),
        ("member_name_0", "Barn Barnesen".into()),
        ("member_birth_date_0", "05.06.2016".into()),
        ("member_relation_0", "child".into()),
        ("consent_nav", "1".into()),
        ("nettside", String::new()),
    ]
}

async fn submit(c: &mut Client, fields: &[(&'static str, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post("/soknad/5037", &refs).await
}

async fn count_public(app: &TestApp) -> i64 {
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(*) FROM applications WHERE submitted_publicly AND created_by IS NULL",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_visitor_applies_without_login_and_gets_a_receipt() {
    let app = TestApp::spawn().await;
    let before = count_public(&app).await;
    let mut c = app.client();
    let form = c.get("/soknad/5037").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text_of("h1").contains("Levanger"));
    assert!(
        form.headers.get("set-cookie").is_some(),
        "an anonymous session for the CSRF token"
    );
    assert_eq!(form.attr("#nettside", "tabindex").as_deref(), Some("-1"));
    let res = submit(&mut c, &public_fields("Åse Søker", &fnr("101099", 20))).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let location = res.location.unwrap();
    assert!(location.starts_with("/soknad/5037/kvittering?saksnummer="));
    let receipt = c.get(&location).await;
    assert_eq!(receipt.status, StatusCode::OK);
    let number = receipt.text_of("#saksnummer");
    assert!(number.contains('/'), "{number}");
    assert!(receipt.text.contains("Hva skjer nå?"));
    assert_eq!(count_public(&app).await, before + 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'application.submitted_publicly' AND user_id IS NULL",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // The caseworkers find it as an unassigned, received case.
    let mut staff = app.login("levanger.saksbehandler").await;
    let list = staff.get("/soknader?saksbehandler=ingen&q=%C3%85se").await;
    assert!(list.text_of("tbody").contains("Åse Søker"));
    assert!(list.text_of("tbody").contains(&number));
}

#[tokio::test]
async fn errors_keep_input_and_unknown_municipalities_are_404() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    assert_eq!(c.get("/soknad/9999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/soknad/abc").await.status, StatusCode::NOT_FOUND);
    c.get("/soknad/5037").await;
    let mut fields = public_fields("", "123");
    fields.retain(|(k, _)| *k != "situation");
    let res = submit(&mut c, &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of(".ds-error-summary")
        .contains("Navn må fylles ut"));
    assert!(res.text_of("#situation-err").contains("situasjon"));
    assert_eq!(
        res.attr("#applicant_national_id", "value").as_deref(),
        Some("123")
    );
    assert!(res.text_of("title").starts_with("Feil i skjemaet"));
    // Oversized input is refused, not truncated, and nothing is saved.
    let huge = "x".repeat(50_000);
    let mut fields = public_fields("Stor Tekst", &fnr("101099", 21));
    fields.push(("situation_notes", huge));
    let res = submit(&mut c, &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#situation_notes-err").contains("høyst"));
    let mut fields = public_fields("Enorm", "");
    fields.push(("applicant_birth_date", "y".repeat(2 * 1024 * 1024)));
    let res = submit(&mut c, &fields).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without the session's token: refused.
    let res = app
        .client()
        .post_raw("/soknad/5037", &[("applicant_name", "Robot")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(count_public(&app).await, before_zero(&app).await);
}

async fn before_zero(app: &TestApp) -> i64 {
    // Demo data has public-channel applications too, but none without a creator from this test.
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(*) FROM applications WHERE submitted_publicly AND created_by IS NULL AND NOT EXISTS (
           SELECT 1 FROM people p WHERE p.id = applicant_id AND p.name IN ('Stor Tekst', 'Enorm', 'Robot'))",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap()
}

#[tokio::test]
async fn spam_is_pretended_away_and_addresses_are_rate_limited() {
    let app = TestApp::spawn().await;
    let before = count_public(&app).await;
    let mut c = app.client();
    c.get("/soknad/5037").await;
    let mut spam = public_fields("Spam Bot", &fnr("101099", 22));
    spam.retain(|(k, _)| *k != "nettside");
    spam.push(("nettside", "http://spam.example".into()));
    let res = submit(&mut c, &spam).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/soknad/5037/kvittering"));
    assert_eq!(count_public(&app).await, before, "nothing saved");
    let receipt = c.get("/soknad/5037/kvittering").await;
    assert!(receipt.text.contains("Søknaden din er sendt"));

    // Five submissions an hour per address (the spam counted as one).
    for i in 0..4 {
        let res = submit(
            &mut c,
            &public_fields(&format!("Person {i}"), &fnr("101099", 30 + i)),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let res = submit(&mut c, &public_fields("For Mye", &fnr("101099", 40))).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text.contains("mange søknader"));
    assert_eq!(count_public(&app).await, before + 4);
}

#[tokio::test]
async fn the_form_never_reveals_known_people_and_never_overwrites_them() {
    let app = TestApp::spawn().await;
    let mut staff = app.login("levanger.saksbehandler").await;
    let nid = fnr("171177", 23);
    let existing = register(&mut staff, "Ekte Navn", &nid).await;
    let mut c = app.client();
    c.get("/soknad/5037").await;
    let known = submit(&mut c, &public_fields("Falskt Navn", &nid)).await;
    let mut c2 = app.client();
    c2.get("/soknad/5037").await;
    let unknown = submit(&mut c2, &public_fields("Helt Ny", &fnr("171177", 24))).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.status, StatusCode::SEE_OTHER);
    let k = c.get(known.location.as_deref().unwrap()).await;
    let u = c2.get(unknown.location.as_deref().unwrap()).await;
    assert_eq!(k.texts("h2"), u.texts("h2"), "the same receipt either way");
    // Linked to the known person on the staff side, whose name is unchanged.
    let page = staff.get(&format!("/soknader/{existing}")).await;
    assert!(page.text_of("h1").contains("Ekte Navn"));
    assert!(page.text.contains("Søkeren har også en annen åpen sak"));
}
