//! The schema as PostgreSQL's catalog describes it, for tests that must cover every table
//! (a new table is covered the day its migration lands), and a fingerprint of the data for
//! tests that must prove that nothing changed.

use std::collections::BTreeMap;

use sqlx::PgPool;
use uuid::Uuid;

use super::TestApp;

/// Global tables whose rows change by themselves while a test runs (a login writes a
/// session, throttle counts and audit events; reads are audited): not part of a
/// fingerprint of what users may change.
const VOLATILE: &[&str] = &[
    "sessions",
    "login_throttle",
    "audit_events",
    "job_runs",
    "app_secrets",
];

/// Every table of the application (not partitions, not sqlx's bookkeeping): its name and
/// whether it is marked global (`COMMENT ON TABLE … IS 'global: …'`).
pub async fn tables(owner: &PgPool) -> Vec<(String, bool)> {
    sqlx::query_as(
        "SELECT c.relname::text,
                coalesce(obj_description(c.oid, 'pg_class'), '') LIKE 'global:%'
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            AND c.relname NOT LIKE '\\_sqlx%'
          ORDER BY 1",
    )
    .fetch_all(owner)
    .await
    .expect("tables from the catalog")
}

/// Every tenant table: each table that is not marked global.
pub async fn tenant_tables(owner: &PgPool) -> Vec<String> {
    tables(owner)
        .await
        .into_iter()
        .filter(|(_, global)| !global)
        .map(|(t, _)| t)
        .collect()
}

/// Row count and a hash of every row's contents, per table (tenant tables in every
/// municipality, and the global tables users change): equal fingerprints mean that no row
/// was added, removed or changed.
pub async fn fingerprint(app: &TestApp) -> BTreeMap<String, (i64, String)> {
    fingerprint_of(&app.owner).await
}

/// [`fingerprint`] of the database `owner` connects to (a restored copy, say).
pub async fn fingerprint_of(owner: &PgPool) -> BTreeMap<String, (i64, String)> {
    let all: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(owner)
        .await
        .unwrap();
    let tables = fingerprint_tables(owner).await;
    hash_tables(owner, &all, tables.into_iter()).await
}

/// The tables a fingerprint covers: all but the volatile global ones.
pub async fn fingerprint_tables(owner: &PgPool) -> Vec<String> {
    tables(owner)
        .await
        .into_iter()
        .filter(|(t, _)| !VOLATILE.contains(&t.as_str()))
        .map(|(t, _)| t)
        .collect()
}

/// The fingerprint of one municipality's tenant tables only.
pub async fn tenant_fingerprint(
    app: &TestApp,
    municipality: Uuid,
) -> BTreeMap<String, (i64, String)> {
    let tables = tenant_tables(&app.owner).await;
    hash_tables(&app.owner, &[municipality], tables.into_iter()).await
}

async fn hash_tables(
    owner: &PgPool,
    visible: &[Uuid],
    tables: impl Iterator<Item = String>,
) -> BTreeMap<String, (i64, String)> {
    let mut tx = bosak::db::scoped_tx(owner, visible).await.unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let row: (i64, String) = sqlx::query_as(&format!(
            "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM \"{table}\" t"
        ))
        .fetch_one(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("fingerprint of {table}: {e}"));
        out.insert(table, row);
    }
    tx.rollback().await.unwrap();
    out
}

/// The tables whose fingerprint differs, for a readable failure.
pub fn changed(
    before: &BTreeMap<String, (i64, String)>,
    after: &BTreeMap<String, (i64, String)>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(t, v)| before.get(*t) != Some(*v))
        .map(|(t, (n, _))| format!("{t} ({} → {n} rows)", before.get(t).map_or(0, |b| b.0)))
        .collect()
}
