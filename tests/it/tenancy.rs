//! Tenant isolation: in the database itself (row level security as the request role), and
//! through the web (the office switcher, ids of other municipalities).

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::TestApp;

async fn app_tx(app: &TestApp, visible: &[Uuid]) -> bosak::db::Tx {
    bosak::db::scoped_tx(&app.state.pool, visible)
        .await
        .unwrap()
}

#[tokio::test]
async fn request_role_sees_and_writes_only_visible_municipalities() {
    let app = TestApp::spawn().await;
    let levanger = app.municipality_id("5037").await;
    let verdal = app.municipality_id("5038").await;

    // The pool's role is not superuser, not BYPASSRLS, and owns no table.
    let mut tx = app_tx(&app, &[levanger]).await;
    let (role, superuser, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(role, "bosak_app");
    assert!(!superuser && !bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(owned, 0);

    // Reads: only Levanger.
    let seen: Vec<Uuid> = sqlx::query_scalar("SELECT municipality_id FROM municipality_settings")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, vec![levanger]);
    let verdal_areas: i64 =
        sqlx::query_scalar("SELECT count(*) FROM areas WHERE municipality_id = $1")
            .bind(verdal)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(verdal_areas, 0);
    // Updates of Verdal rows touch nothing.
    let updated = sqlx::query("UPDATE areas SET name = name || '!' WHERE municipality_id = $1")
        .bind(verdal)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let moved = sqlx::query("UPDATE areas SET municipality_id = $2 WHERE municipality_id = $1")
        .bind(levanger)
        .bind(verdal)
        .execute(&mut *tx)
        .await;
    assert!(moved.is_err(), "a row cannot be moved into another tenant");
    tx.rollback().await.unwrap();

    // Inserts into Verdal are refused.
    let mut tx = app_tx(&app, &[levanger]).await;
    let insert =
        sqlx::query("INSERT INTO areas (municipality_id, id, name) VALUES ($1, $2, 'Innbrudd')")
            .bind(verdal)
            .bind(Uuid::now_v7())
            .execute(&mut *tx)
            .await;
    assert!(insert.is_err());
    tx.rollback().await.unwrap();

    // With nothing set, no tenant row is visible at all (fail closed).
    let mut tx = app_tx(&app, &[]).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM municipality_settings")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
    tx.rollback().await.unwrap();
    let mut conn = app.state.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM areas")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        n, 0,
        "outside a scoped transaction nothing is visible either"
    );

    // The setting is transaction-local: it does not leak to the next user of the connection.
    let mut tx = app_tx(&app, &[levanger, verdal]).await;
    let n: i64 = sqlx::query_scalar("SELECT count(DISTINCT municipality_id) FROM areas")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 2);
    tx.commit().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM areas")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn office_user_switches_between_its_municipalities() {
    let app = TestApp::spawn().await;
    let mut c = app.login("kontor.saksbehandler").await;
    let home = c.get("/").await;
    let options = home.texts("#kommunevelger option");
    assert_eq!(options, vec!["Alle mine kommuner", "Levanger", "Verdal"]);
    assert_eq!(home.count("section.ds-card"), 2, "all my municipalities");
    assert!(!home.text.contains("Stjørdal"));

    let res = c
        .post(
            "/velg-kommune",
            &[("municipality", "5038"), ("return_to", "/")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let home = c.get("/").await;
    assert!(home
        .text_of("#kommunevelger option[selected]")
        .contains("Verdal"));
    assert_eq!(home.count("section.ds-card"), 1);
    assert!(home.text_of("section.ds-card").contains("Verdal"));

    // Stjørdal is not one of the office's municipalities.
    let res = c
        .post(
            "/velg-kommune",
            &[("municipality", "5035"), ("return_to", "/")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = c
        .post(
            "/velg-kommune",
            &[("municipality", "alle"), ("return_to", "//evil.example")],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/"));
    assert_eq!(c.get("/").await.count("section.ds-card"), 2);
}

#[tokio::test]
async fn ids_from_another_municipality_are_not_found() {
    let app = TestApp::spawn().await;
    let verdal = app.municipality_id("5038").await;
    let verdal_area: Uuid = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, verdal).await.unwrap();
        sqlx::query_scalar("SELECT id FROM areas LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .unwrap()
    };
    let mut c = app.login("levanger.admin").await;
    c.get("/innstillinger").await;
    let res = c
        .post(&format!("/innstillinger/omrader/{verdal_area}/fjern"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = c.post("/innstillinger/omrader/not-a-uuid/fjern", &[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let still: bool = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, verdal).await.unwrap();
        sqlx::query_scalar("SELECT active FROM areas WHERE id = $1")
            .bind(verdal_area)
            .fetch_one(&mut *tx)
            .await
            .unwrap()
    };
    assert!(still);
    let verdal_user = app.user_id("verdal.saksbehandler").await;
    for path in [
        format!("/brukere/{verdal_user}"),
        format!("/brukere/{verdal_user}?enhet=k-5038"),
    ] {
        let res = c.get(&path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn auditor_in_all_municipalities_sees_all_of_them_read_only() {
    let app = TestApp::spawn().await;
    let mut c = app.login("revisor").await;
    let home = c.get("/").await;
    assert_eq!(home.texts("#kommunevelger option").len(), 4);
    assert_eq!(home.count("nav a[href='/revisjonslogg']"), 1);
    assert_eq!(home.count("nav a[href='/brukere']"), 0);
    assert_eq!(home.count("nav a[href='/innstillinger']"), 0);
}
