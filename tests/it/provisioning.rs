//! Setting up a real (non-demo) municipality: `bosak municipality add` and `bosak user add`.

use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn a_new_municipality_gets_settings_and_its_first_admin_must_change_password() {
    let app = TestApp::spawn().await;
    let id = bosak::seed::add_municipality(&app.owner, "4601", "Bergen")
        .await
        .unwrap();
    assert!(
        bosak::seed::add_municipality(&app.owner, "4601", "Bergen")
            .await
            .is_err(),
        "numbers are unique"
    );
    assert!(bosak::seed::add_municipality(&app.owner, "46O1", "Feil")
        .await
        .is_err());
    bosak::seed::add_user(
        &app.owner,
        "bergen.admin",
        "Berit Bergen",
        "4601",
        bosak::auth::Role::Admin,
        "første passord for bergen",
    )
    .await
    .unwrap();
    let mut c = app.client();
    let login = c.login("bergen.admin", "første passord for bergen").await;
    assert_eq!(login.location.as_deref(), Some("/passord"));
    c.get("/passord").await;
    c.post(
        "/passord",
        &[
            ("current", "første passord for bergen"),
            ("new_password", "fjellet rundt byen min"),
            ("repeat", "fjellet rundt byen min"),
        ],
    )
    .await;
    let settings = c.get("/innstillinger").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert_eq!(
        settings.attr("#letterhead_name", "value").as_deref(),
        Some("Bergen kommune")
    );
    let is_demo: bool =
        sqlx::query_scalar("SELECT is_demo FROM users WHERE username = 'bergen.admin'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert!(!is_demo);
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, id).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM municipality_settings")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_new_municipality_has_the_default_dwelling_types() {
    let app = TestApp::spawn().await;
    let id = bosak::seed::add_municipality(&app.owner, "4602", "Trondheim")
        .await
        .unwrap();
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, id).await.unwrap();
    let types: i64 = sqlx::query_scalar("SELECT count(*) FROM dwelling_types")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(types >= 5, "{types}");
}
