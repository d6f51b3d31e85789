//! Row level security, table by table, generated from the catalog: as the request role
//! with one municipality visible, another municipality's rows cannot be read, updated,
//! deleted or inserted, and no row can reference another municipality's parent; with no
//! municipality visible nothing is; a pooled connection never carries one request's
//! municipalities into the next. A table added by a migration is checked without editing
//! this file.

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::common::catalog;
use crate::common::TestApp;

/// The SQLSTATE of a refused privilege or a row level security violation.
const REFUSED: &str = "42501";

fn code(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.code().unwrap_or_default().to_string(),
        other => format!("{other}"),
    }
}

/// Whether the error names a real CHECK constraint of the table.
async fn is_check_constraint(app: &TestApp, table: &str, e: &sqlx::Error) -> bool {
    let Some(name) = e.as_database_error().and_then(|d| d.constraint()) else {
        return false;
    };
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2 AND contype = 'c')",
    )
    .bind(format!("\"{table}\""))
    .bind(name)
    .fetch_one(&app.owner)
    .await
    .unwrap()
}

/// A transaction as requests have it: the request role, `visible` municipalities.
async fn request_tx(app: &TestApp, visible: &[Uuid]) -> bosak::db::Tx {
    bosak::db::scoped_tx(&app.state.pool, visible)
        .await
        .unwrap()
}

/// Rows of `table` per municipality, counted by the owner with every municipality visible.
async fn rows_per_municipality(app: &TestApp, table: &str, all: &[Uuid]) -> Vec<(Uuid, i64)> {
    let mut tx = bosak::db::scoped_tx(&app.owner, all).await.unwrap();
    let rows = sqlx::query_as(&format!(
        "SELECT municipality_id, count(*) FROM \"{table}\" GROUP BY 1 ORDER BY 2 DESC, 1"
    ))
    .fetch_all(&mut *tx)
    .await
    .unwrap_or_else(|e| panic!("{table}: {e}"));
    tx.rollback().await.unwrap();
    rows
}

/// One row of `municipality` in `table`, as JSON (None when it has none).
async fn a_row(app: &TestApp, table: &str, municipality: Uuid) -> Option<serde_json::Value> {
    let mut tx = bosak::db::scoped_tx(&app.owner, &[municipality])
        .await
        .unwrap();
    let row = sqlx::query_scalar(&format!(
        "SELECT to_jsonb(t) FROM \"{table}\" t ORDER BY 1 LIMIT 1"
    ))
    .fetch_optional(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    row
}

/// Foreign keys from tenant tables to tenant tables that do not pair `municipality_id`
/// with `municipality_id`: each would let a row point at another municipality's parent
/// (the database checks foreign keys without row level security).
async fn unscoped_foreign_keys(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "WITH tenant AS (
             SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'global:%'
                AND c.relname NOT LIKE '\\_sqlx%')
         SELECT con.conname::text || ' on ' || con.conrelid::regclass::text
           FROM pg_constraint con
          WHERE con.contype = 'f'
            AND con.conrelid IN (SELECT oid FROM tenant)
            AND con.confrelid IN (SELECT oid FROM tenant)
            AND NOT EXISTS (
                SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(child, parent)
                  JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.child
                  JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.parent
                 WHERE ca.attname = 'municipality_id' AND pa.attname = 'municipality_id')
          ORDER BY 1",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_tenant_table_keeps_other_municipalities_out_for_the_request_role() {
    let app = TestApp::spawn().await;
    let all: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities ORDER BY number")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert!(all.len() >= 3, "the demo has three municipalities");

    // Every table with a municipality_id is a tenant table, or is marked global.
    let with_column: Vec<(String, bool)> = sqlx::query_as(
        "SELECT c.relname::text, coalesce(obj_description(c.oid, 'pg_class'), '') LIKE 'global:%'
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'municipality_id' AND NOT a.attisdropped
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          ORDER BY 1",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let tenant = catalog::tenant_tables(&app.owner).await;
    let tenant_with_column: Vec<&String> = with_column
        .iter()
        .filter(|(_, global)| !global)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        tenant_with_column
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
        tenant.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "every table that is not global has a municipality_id"
    );
    assert_eq!(
        unscoped_foreign_keys(&app).await,
        Vec::<String>::new(),
        "every foreign key between tenant tables includes municipality_id"
    );

    let mut checked = 0;
    let mut with_foreign_rows = 0;
    let mut child_checks = 0;
    let mut refused_by_trigger = Vec::new();
    let mut child_errors: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut failures = Vec::new();
    for table in &tenant {
        checked += 1;
        let per = rows_per_municipality(&app, table, &all).await;
        // The municipality with the most rows is "theirs"; "ours" is another one.
        let theirs = per.first().map(|(m, _)| *m).unwrap_or(all[0]);
        let ours = *all.iter().find(|m| **m != theirs).unwrap();
        if per.iter().any(|(m, n)| *m == theirs && *n > 0) {
            with_foreign_rows += 1;
        }

        // Read: nothing of theirs, nothing of anybody but ours.
        let mut tx = request_tx(&app, &[ours]).await;
        let foreign: Result<i64, _> = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{table}\" WHERE municipality_id <> $1"
        ))
        .bind(ours)
        .fetch_one(&mut *tx)
        .await;
        match foreign {
            Ok(0) => {}
            Ok(n) => failures.push(format!("{table}: {n} rows of another municipality read")),
            Err(e) if code(&e) == REFUSED => {} // not even SELECT is granted
            Err(e) => failures.push(format!("{table}: read failed oddly: {e}")),
        }
        drop(tx);

        // Update and delete touch nothing of theirs.
        for sql in [
            format!("UPDATE \"{table}\" SET municipality_id = municipality_id WHERE municipality_id = $1"),
            format!("DELETE FROM \"{table}\" WHERE municipality_id = $1"),
        ] {
            let mut tx = request_tx(&app, &[ours]).await;
            match sqlx::query(&sql).bind(theirs).execute(&mut *tx).await {
                Ok(r) if r.rows_affected() == 0 => {}
                Ok(r) => failures.push(format!("{sql}: {} rows of theirs", r.rows_affected())),
                Err(e) if code(&e) == REFUSED => {}
                // A trigger that refuses every change (locked minutes, ledgers) also
                // keeps them out.
                Err(e) if code(&e) == "P0001" => {}
                Err(e) => failures.push(format!("{sql}: {e}")),
            }
            tx.rollback().await.unwrap();
        }

        // A row of ours cannot be moved to them.
        if per.iter().any(|(m, n)| *m == ours && *n > 0) {
            let mut tx = request_tx(&app, &[ours]).await;
            let sql =
                format!("UPDATE \"{table}\" SET municipality_id = $1 WHERE municipality_id = $2");
            match sqlx::query(&sql)
                .bind(theirs)
                .bind(ours)
                .execute(&mut *tx)
                .await
            {
                Ok(r) if r.rows_affected() == 0 => {} // an update policy that sees none
                Ok(r) => {
                    failures.push(format!("{table}: {} rows moved to them", r.rows_affected()))
                }
                Err(e) if code(&e) == REFUSED || code(&e) == "P0001" => {}
                // Leases and CPI runs keep their keys (bosak_refuse_rekey), as a foreign
                // key once kept them.
                Err(e) if code(&e) == "23503" && e.to_string().contains("keeps its id") => {}
                Err(e) => failures.push(format!("{table}: moving a row failed oddly: {e}")),
            }
            tx.rollback().await.unwrap();
        }

        // Insert into them: refused by the policy's WITH CHECK (checked before the row's
        // own constraints, so a bare row tells).
        let mut tx = request_tx(&app, &[ours]).await;
        let sql = format!("INSERT INTO \"{table}\" (municipality_id) VALUES ($1)");
        match sqlx::query(&sql).bind(theirs).execute(&mut *tx).await {
            Ok(_) => failures.push(format!("{table}: a row inserted for them")),
            Err(e) if code(&e) == REFUSED => {}
            // A trigger that checks the row before the policy does refuses it too.
            // (A check_violation named after no CHECK constraint of the table comes from a
            // trigger: real CHECK constraints are evaluated after the policy.)
            Err(e)
                if code(&e) == "P0001"
                    || code(&e) == "23514" && !is_check_constraint(&app, table, &e).await =>
            {
                refused_by_trigger.push(table.clone())
            }
            Err(e) => failures.push(format!(
                "{table}: insert for them failed, not by the policy: {e}"
            )),
        }
        tx.rollback().await.unwrap();

        // A row of ours that points at their parents: one of theirs copied with our
        // municipality_id. Every composite foreign key then names a parent we do not
        // have; it must fail (never silently reference theirs).
        let has_fk: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass
                              AND coalesce(obj_description(confrelid, 'pg_class'), '') NOT LIKE 'global:%')",
        )
        .bind(format!("\"{table}\""))
        .fetch_one(&app.owner)
        .await
        .unwrap();
        if has_fk {
            if let Some(mut row) = a_row(&app, table, theirs).await {
                child_checks += 1;
                row["municipality_id"] = serde_json::json!(ours);
                let mut tx = request_tx(&app, &[ours]).await;
                let sql = format!(
                    "INSERT INTO \"{table}\" SELECT * FROM jsonb_populate_record(NULL::\"{table}\", $1)"
                );
                match sqlx::query(&sql).bind(&row).execute(&mut *tx).await {
                    Ok(_) => {
                        failures.push(format!("{table}: a row of ours references their parent"))
                    }
                    Err(e) => {
                        let c = code(&e);
                        child_errors.entry(c).or_default().push(table.clone());
                    }
                }
                tx.rollback().await.unwrap();
            }
        }

        // Nothing visible: nothing at all.
        let mut tx = request_tx(&app, &[]).await;
        match sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(&mut *tx)
            .await
        {
            Ok(0) => {}
            Ok(n) => failures.push(format!("{table}: {n} rows visible with no municipality")),
            Err(e) if code(&e) == REFUSED => {}
            Err(e) => failures.push(format!("{table}: {e}")),
        }
        tx.rollback().await.unwrap();
    }
    println!(
        "database isolation: {checked} tenant tables checked ({with_foreign_rows} with rows of another municipality, {child_checks} parent references tried)"
    );
    println!("parent references refused with: {child_errors:?}; inserts refused by a trigger before the policy: {refused_by_trigger:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        checked,
        tenant.len(),
        "every tenant table of the catalog was checked"
    );
    assert!(
        with_foreign_rows * 2 > checked,
        "the demo data gives most tables rows to hide ({with_foreign_rows} of {checked})"
    );
}

/// One pooled connection serves request after request: what one transaction made visible
/// is gone for the next, whether it committed, rolled back, failed or was dropped.
async fn pid(c: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(c)
        .await
        .unwrap()
}

async fn count_in(c: &mut PgConnection, m: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM dwellings WHERE municipality_id = $1")
        .bind(m)
        .fetch_one(c)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pooled_connection_never_carries_municipalities_into_the_next_request() {
    let app = TestApp::spawn().await;
    let levanger = app.municipality_id("5037").await;
    let verdal = app.municipality_id("5038").await;
    // One connection only, logged in as requests are.
    let login = bosak::db::request_login::request_options(&app.owner, &app.db_url, None)
        .await
        .unwrap();
    let pool = bosak::db::app_pool(login, 1).await.unwrap();
    let first_pid = {
        let mut c = pool.acquire().await.unwrap();
        pid(&mut c).await
    };
    let tables = catalog::tenant_tables(&app.owner).await;
    for ending in ["commit", "rollback", "error", "drop"] {
        let mut tx = bosak::db::scoped_tx(&pool, &[levanger]).await.unwrap();
        assert_eq!(pid(&mut tx).await, first_pid, "the same connection");
        assert!(count_in(&mut tx, levanger).await > 0, "Levanger is visible");
        match ending {
            "commit" => tx.commit().await.unwrap(),
            "rollback" => tx.rollback().await.unwrap(),
            "error" => {
                let _ = sqlx::query("SELECT 1/0").execute(&mut *tx).await;
                drop(tx);
            }
            _ => drop(tx),
        }
        // Outside a transaction, and in the next request's for Verdal: no Levanger row in
        // any tenant table.
        let mut c = pool.acquire().await.unwrap();
        assert_eq!(pid(&mut c).await, first_pid, "the same connection");
        let setting: Option<String> =
            sqlx::query_scalar("SELECT nullif(current_setting('bosak.municipalities', true), '')")
                .fetch_one(&mut *c)
                .await
                .unwrap();
        assert_eq!(setting, None, "after {ending}");
        drop(c);
        let mut tx = bosak::db::scoped_tx(&pool, &[verdal]).await.unwrap();
        for table in &tables {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM \"{table}\" WHERE municipality_id <> $1"
            ))
            .bind(verdal)
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
            assert_eq!(n, 0, "{table} after {ending}");
        }
        tx.rollback().await.unwrap();
    }
    pool.close().await;
    // And the connection as a whole is the request role: it cannot turn the policy off.
    let mut c = PgConnection::connect_with(
        &bosak::db::request_login::request_options(&app.owner, &app.db_url, None)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    for sql in [
        "ALTER TABLE dwellings NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE dwellings DISABLE ROW LEVEL SECURITY",
        "SET row_security = off",
    ] {
        let res = sqlx::query(sql).execute(&mut c).await;
        if sql.starts_with("SET") {
            // Allowed to set, but then a query that policies would filter fails instead
            // of returning everything.
            let n = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dwellings")
                .fetch_one(&mut c)
                .await;
            assert!(n.is_err() || n.unwrap() == 0, "{sql}");
        } else {
            assert!(res.is_err(), "{sql}");
        }
    }
}
