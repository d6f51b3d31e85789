//! What must hold on a Citus cluster (issue 19, docs/SCALING.md "Citus: verified") and on
//! one PostgreSQL alike. Every test runs on both: `scripts/test` runs them on one node,
//! `scripts/citus test` on the cluster's coordinator, where the Citus-only facts (shards,
//! routing) are asserted as well.

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::common::TestApp;

async fn on_citus(app: &TestApp) -> bool {
    bosak::db::citus::has_citus(&app.owner).await.unwrap()
}

/// The request role's view: row level security decides on the node that holds the rows,
/// with the setting `db::scoped_tx` sends, and a one-municipality query goes to one shard.
#[tokio::test]
async fn policies_run_where_the_rows_are_and_one_municipality_is_one_task() {
    let app = TestApp::spawn().await;
    let levanger = app.municipality_id("5037").await;
    let verdal = app.municipality_id("5038").await;

    let mut tx = bosak::db::scoped_tx(&app.state.pool, &[levanger])
        .await
        .unwrap();
    // No filter of ours: only the policy keeps Verdal's rows out, on every shard.
    let seen: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT municipality_id FROM areas ORDER BY 1")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(seen, vec![levanger]);
    let verdal_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM applications WHERE municipality_id = $1")
            .bind(verdal)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(verdal_rows, 0);
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN (COSTS OFF) SELECT count(*) FROM applications WHERE municipality_id = $1",
    )
    .bind(levanger)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    tx.rollback().await.unwrap();

    if !on_citus(&app).await {
        // One node keeps the policy's init plan: the visible municipalities once per statement.
        assert!(plan.contains("InitPlan"), "{plan}");
        return;
    }
    // Distributed, the policy is a plain condition (Citus refuses a subquery in a policy).
    assert!(!plan.contains("InitPlan"), "{plan}");
    assert!(plan.contains("Task Count: 1"), "{plan}");
    // The policy exists on every shard of every tenant table.
    let missing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_dist_partition p,
                LATERAL run_command_on_shards(p.logicalrelid,
                  $$SELECT count(*) FROM pg_policy WHERE polrelid = '%s'::regclass
                      AND polname = 'tenant_isolation'$$) r
          WHERE p.partmethod = 'h' AND r.result <> '1'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(missing, 0, "shards without the tenant policy");
    // Both of the office's municipalities: the query still works, on their shards only.
    let mut tx = bosak::db::scoped_tx(&app.state.pool, &[levanger, verdal])
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(DISTINCT municipality_id) FROM areas")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 2);
    tx.rollback().await.unwrap();
}

/// Append-only tables refuse changes for the owner too: the trigger runs where the row is
/// (a shard of a distributed table, or the coordinator for audit_events).
#[tokio::test]
async fn append_only_tables_refuse_changes_on_every_node() {
    let app = TestApp::spawn().await;
    let levanger = app.municipality_id("5037").await;
    let mut conn = app.owner.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, levanger).await.unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM application_events")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(events > 0, "the demo data has case events to try");
    drop(tx);
    // An audit event of this test's own to try (the demo data may have none).
    let event = Uuid::now_v7();
    sqlx::query("INSERT INTO audit_events (id, action) VALUES ($1, 'citus.test')")
        .bind(event)
        .execute(&mut *conn)
        .await
        .unwrap();
    let audit_update =
        format!("UPDATE audit_events SET action = action || '!' WHERE id = '{event}'");
    for sql in [
        "UPDATE application_events SET summary = summary || '!'",
        "DELETE FROM application_events",
        audit_update.as_str(),
    ] {
        let mut tx = conn.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, levanger).await.unwrap();
        let err = sqlx::query(sql)
            .execute(&mut *tx)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

/// Advisory locks (the scheduled jobs' one-at-a-time lock) are taken on the coordinator's
/// session, as on one node.
#[tokio::test]
async fn advisory_locks_exclude_a_second_session() {
    let app = TestApp::spawn().await;
    let key: i64 = 0x0b05_a4c1_7005;
    let mut a = PgConnection::connect(&app.db_url).await.unwrap();
    let mut b = PgConnection::connect(&app.db_url).await.unwrap();
    let lock = "SELECT pg_try_advisory_lock($1)";
    assert!(sqlx::query_scalar::<_, bool>(lock)
        .bind(key)
        .fetch_one(&mut a)
        .await
        .unwrap());
    assert!(!sqlx::query_scalar::<_, bool>(lock)
        .bind(key)
        .fetch_one(&mut b)
        .await
        .unwrap());
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut a)
        .await
        .unwrap();
    assert!(sqlx::query_scalar::<_, bool>(lock)
        .bind(key)
        .fetch_one(&mut b)
        .await
        .unwrap());
}
