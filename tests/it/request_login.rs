//! The database login of request connections (OWASP ASVS 5.0 V8.2.x / V13.2.x: the
//! application's database account has the least privilege it needs). Request connections
//! log in as a role that is not the table owner, so that `RESET ROLE` (a bug, or an
//! injected statement) cannot reach the owner's rights.

use sqlx::{Connection, PgConnection};

use crate::common::TestApp;

/// SQLSTATE 42501, insufficient_privilege ("must be owner of table", "permission denied").
fn refused(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>, what: &str) {
    match result {
        Err(sqlx::Error::Database(db)) => assert_eq!(
            db.code().as_deref(),
            Some("42501"),
            "{what}: refused for the wrong reason: {db}"
        ),
        other => panic!("{what} must be refused on a request connection, got {other:?}"),
    }
}

async fn applications_owner(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tablename = 'applications'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap()
}

// ASVS 5.0 V13.2 (backend accounts with least privilege) and V8.2 (data-level access
// control that cannot be switched off from the application): the defect was that request
// connections logged in as the owner and only `SET ROLE bosak_app`.
#[tokio::test]
async fn a_request_connection_cannot_reset_role_into_the_owner() {
    let app = TestApp::spawn().await;
    let owner = applications_owner(&app).await;
    // Detached: this connection's role is changed on purpose and must not serve requests.
    let mut conn: PgConnection = app.state.pool.acquire().await.unwrap().detach();

    let (session, current): (String, String) =
        sqlx::query_as("SELECT session_user::text, current_user::text")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(current, "bosak_app");
    assert_eq!(session, bosak::db::request_login::REQUEST_ROLE);
    assert_ne!(
        session, owner,
        "requests must not log in as the table owner"
    );

    sqlx::query("RESET ROLE").execute(&mut conn).await.unwrap();
    let current: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        current, session,
        "RESET ROLE returns to the login role, not the owner"
    );

    refused(
        sqlx::query("ALTER TABLE applications NO FORCE ROW LEVEL SECURITY")
            .execute(&mut conn)
            .await,
        "turning off forced row level security",
    );
    refused(
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            .execute(&mut conn)
            .await,
        "disabling the audit log's append-only trigger",
    );
    refused(
        sqlx::query(&format!("SET ROLE \"{owner}\""))
            .execute(&mut conn)
            .await,
        "switching to the owner",
    );
    refused(
        sqlx::query("DELETE FROM audit_events")
            .execute(&mut conn)
            .await,
        "deleting the audit log",
    );

    // Without the tenancy setting, no tenant row is visible, owner rights or not.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    conn.close().await.unwrap();

    // Nothing above changed the schema: RLS is still forced and the trigger still on.
    let (forced, trigger): (bool, String) = sqlx::query_as(
        "SELECT c.relforcerowsecurity, \
                (SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'audit_events_append_only') \
           FROM pg_class c WHERE c.oid = 'applications'::regclass",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert!(forced);
    assert_eq!(trigger, "O", "the append-only trigger is enabled");
    // The demo data has applications: the zero above is row level security at work.
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, app.municipality_id("5037").await)
        .await
        .unwrap();
    let exist: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(exist > 0);
}

#[tokio::test]
async fn a_request_login_that_owns_the_tables_is_refused() {
    let app = TestApp::spawn().await;
    // An operator setting BOSAK_APP_DATABASE_URL to the owner's URL by mistake.
    let login =
        bosak::db::request_login::request_options(&app.owner, &app.db_url, Some(&app.db_url))
            .await
            .unwrap();
    let err = bosak::db::app_pool(login, 1)
        .await
        .expect_err("the owner must not serve requests");
    let msg = err.to_string();
    assert!(msg.contains("refusing to serve requests"), "{msg}");
    assert!(msg.contains("owns"), "{msg}");
}

#[tokio::test]
async fn every_server_derives_the_same_request_login() {
    let app = TestApp::spawn().await;
    // Several processes starting at once on one database (restarts, more replicas).
    let logins = futures_util::future::join_all(
        (0..4).map(|_| bosak::db::request_login::request_options(&app.owner, &app.db_url, None)),
    )
    .await;
    for login in logins {
        let pool = bosak::db::app_pool(login.unwrap(), 1).await.unwrap();
        let user: String = sqlx::query_scalar("SELECT session_user::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(user, bosak::db::request_login::REQUEST_ROLE);
        pool.close().await;
    }
    // The running server's pool still logs in (nobody changed the password under it).
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/").await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
}
