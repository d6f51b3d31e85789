//! Scheduled jobs: a started server runs them by itself, one process at a time, and the
//! admin page shows each job's last run, result and next run.

use std::time::Duration;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::allocation::offers::{candidate_ids, offer};
use crate::allocation::{exec_on, prepared_unit, scalar};
use crate::common::TestApp;

/// Every registered job.
const JOBS: usize = bosak::jobs::Job::ALL.len();

async fn owner_scalar(app: &TestApp, sql: &str) -> i64 {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    let mut tx = bosak::db::scoped_tx(&app.owner, &ids).await.unwrap();
    let n = sqlx::query_scalar(sql)
        .bind(app.today())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

/// Refusals whose every deadline has passed without appeal, not yet closed.
const CLOSABLE: &str = "SELECT count(*) FROM decisions d WHERE d.status = 'sent' AND NOT d.closed_without_appeal
      AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id AND p.decision_id = d.id)
      AND NOT EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id AND p.decision_id = d.id
                       AND (p.outcome <> 'refused' OR p.appeal_deadline IS NULL OR p.appeal_deadline >= $1))
      AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.municipality_id = d.municipality_id AND a.decision_id = d.id)
      AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.municipality_id = d.municipality_id AND r.replaces_id = d.id)";

#[tokio::test]
async fn a_started_server_runs_the_due_jobs_by_itself() {
    // A server without a scheduler first, to set the scene.
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let ids = candidate_ids(&c.get(&format!("/boliger/{unit}/kandidater")).await);
    let res = offer(&mut c, unit, ids[0], "").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let offer_path = res.location.unwrap();
    exec_on(
        &app,
        "UPDATE offers SET offered_on = $2::date - 10, answer_due = $2::date - 3 WHERE municipality_id = $1",
    )
    .await;
    assert!(
        owner_scalar(&app, CLOSABLE).await > 0,
        "the demo data has old refusals nobody appealed"
    );

    // The same database behind a server whose scheduler looks every 100 ms.
    let running =
        TestApp::attach(&app, |cfg| cfg.job_tick = Some(Duration::from_millis(100))).await;
    let mut done = 0;
    for _ in 0..100 {
        done = sqlx::query_scalar::<_, i64>(
            "SELECT count(DISTINCT job) FROM job_runs WHERE ok AND finished_at IS NOT NULL",
        )
        .fetch_one(&app.owner)
        .await
        .unwrap();
        if done == JOBS as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs: Vec<(String, Option<bool>, String)> =
        sqlx::query_as("SELECT job, ok, result FROM job_runs ORDER BY started_at")
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(done, JOBS as i64, "every job ran: {runs:?}");
    assert_eq!(owner_scalar(&app, CLOSABLE).await, 0, "refusals closed");
    // The overdue offer is noted on its case once; the offer itself stays open.
    let offer_id = Uuid::parse_str(offer_path.trim_start_matches("/tilbud/")).unwrap();
    let status: String = scalar(&app, "SELECT status FROM offers WHERE id = $1", offer_id).await;
    assert_eq!(status, "open", "expiring an offer stays a person's act");
    let case = c.get(&format!("/soknader/{}", ids[0])).await;
    let timeline = case.text_of(".bosak-app-timeline");
    assert_eq!(
        timeline.matches("Svarfristen for tilbudet gikk ut").count(),
        1,
        "{timeline}"
    );
    // Not due again within the interval: one run per job so far, even with two servers.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM job_runs")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(runs, JOBS as i64);

    // The list and the dashboard count of overdue offers.
    let list = c.get("/tilbud/forfalte").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.count("#forfalte tbody tr"), 1);
    let start = c.get("/").await;
    assert!(start.text.contains("/tilbud/forfalte"));

    // The admin page shows each job's last run, result and next run.
    let mut admin = running.login("levanger.admin").await;
    let page = admin.get("/driftsjobber").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.texts("#jobber tbody tr");
    assert_eq!(rows.len(), JOBS, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.contains("OK") && r.contains("tidligst")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains("avslag avsluttet")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("1 tilbud med passert svarfrist merket")),
        "{rows:?}"
    );
    // Caseworkers do not run the deployment.
    let forbidden = c.get("/driftsjobber").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

/// Two processes sharing one database: each job runs once (the advisory lock and the
/// due check), however many schedulers look at the same moment.
#[tokio::test]
async fn concurrent_schedulers_run_each_job_once() {
    let app = TestApp::spawn().await;
    let other = TestApp::attach(&app, |_| {}).await;
    let (a, b, c) = tokio::join!(
        bosak::jobs::run_due(&app.state),
        bosak::jobs::run_due(&other.state),
        bosak::jobs::run_due(&app.state),
    );
    assert_eq!(a.len() + b.len() + c.len(), JOBS, "{a:?} {b:?} {c:?}");
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM job_runs")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(runs, JOBS as i64);
}
