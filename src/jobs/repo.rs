//! The `job_runs` table and the per-job advisory lock.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn try_lock(conn: &mut PgConnection, key: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(conn)
        .await
}

pub async fn unlock(conn: &mut PgConnection, key: i64) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Due when it never ran or its last run started at least `interval` ago.
pub async fn is_due(conn: &mut PgConnection, job: &str, interval: Duration) -> sqlx::Result<bool> {
    let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::hours(1));
    sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM job_runs WHERE job = $1 AND started_at > now() - $2::interval)",
    )
    .bind(job)
    .bind(interval)
    .fetch_one(conn)
    .await
}

pub async fn start(conn: &mut PgConnection, job: &str, run_for: NaiveDate) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO job_runs (id, job, run_for) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(job)
        .bind(run_for)
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn finish(conn: &mut PgConnection, id: Uuid, ok: bool, result: &str) -> sqlx::Result<()> {
    let result: String = result.chars().take(4000).collect();
    sqlx::query("UPDATE job_runs SET finished_at = now(), ok = $2, result = $3 WHERE id = $1")
        .bind(id)
        .bind(ok)
        .bind(result)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Run {
    pub job: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub ok: Option<bool>,
    pub result: String,
    pub run_for: NaiveDate,
}

/// The latest `per_job` runs of each of `jobs`, newest first.
pub async fn recent(
    conn: &mut PgConnection,
    jobs: &[&str],
    per_job: i64,
) -> sqlx::Result<Vec<Run>> {
    let jobs: Vec<String> = jobs.iter().map(|j| j.to_string()).collect();
    sqlx::query_as(
        "SELECT r.job, r.started_at, r.finished_at, r.ok, r.result, r.run_for
           FROM unnest($1::text[]) AS j(job)
           CROSS JOIN LATERAL (SELECT * FROM job_runs x WHERE x.job = j.job
                                ORDER BY x.started_at DESC LIMIT $2) r
          ORDER BY r.job, r.started_at DESC",
    )
    .bind(jobs)
    .bind(per_job)
    .fetch_all(conn)
    .await
}

/// Runs older than 90 days are of no use to anyone.
pub async fn prune(conn: &mut PgConnection) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM job_runs WHERE started_at < now() - interval '90 days'")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
