//! The admin page of the scheduled jobs: each job's last run, result and next run.

use askama::Template;
use axum::response::Response;

use super::{repo, Job};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::Layout;
use crate::web::render;

pub struct JobView {
    pub label: &'static str,
    pub every: String,
    pub last_started: String,
    pub last_result: String,
    pub state: &'static str,
    pub state_color: &'static str,
    pub next: String,
    pub history: Vec<RunView>,
}

pub struct RunView {
    pub started: String,
    pub finished: String,
    pub run_for: String,
    pub result: String,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "jobs/page.html")]
pub struct JobsPage {
    pub layout: Layout,
    pub jobs: Vec<JobView>,
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::web::format::datetime(t)
}

fn every(d: std::time::Duration) -> String {
    match d.as_secs() / 60 {
        60 => "hver time".into(),
        1440 => "hver dag".into(),
        m if m % 60 == 0 => format!("hver {}. time", m / 60),
        m => format!("hvert {m}. minutt"),
    }
}

/// Administrators (of a municipality or an office) see the deployment's jobs: the page
/// shows counts only, never personal data.
pub async fn show(ctx: Ctx) -> AppResult<Response> {
    if ctx.user.admin_scopes().is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut tx = ctx.global_tx().await?;
    let keys: Vec<&str> = Job::ALL.iter().map(|j| j.key()).collect();
    let runs = repo::recent(&mut tx, &keys, 10).await?;
    tx.commit().await?;
    let jobs = Job::ALL
        .iter()
        .map(|job| {
            let mine: Vec<&repo::Run> = runs.iter().filter(|r| r.job == job.key()).collect();
            let last = mine.first();
            let (state, state_color) = match last.map(|r| (r.finished_at.is_some(), r.ok)) {
                None => ("Ikke kjørt ennå", "neutral"),
                Some((false, _)) => ("Kjører", "info"),
                Some((true, Some(true))) => ("OK", "success"),
                Some((true, _)) => ("Feilet", "danger"),
            };
            let interval =
                chrono::Duration::from_std(job.interval()).unwrap_or(chrono::Duration::hours(1));
            JobView {
                label: job.label(),
                every: every(job.interval()),
                last_started: last.map(|r| when(r.started_at)).unwrap_or_default(),
                last_result: last.map(|r| r.result.clone()).unwrap_or_default(),
                state,
                state_color,
                next: match last {
                    Some(r) => format!("tidligst {}", when(r.started_at + interval)),
                    None => "ved neste kontroll (hvert minutt)".into(),
                },
                history: mine
                    .iter()
                    .map(|r| RunView {
                        started: when(r.started_at),
                        finished: r.finished_at.map(when).unwrap_or_default(),
                        run_for: crate::web::format::date(r.run_for),
                        result: r.result.clone(),
                        ok: r.ok == Some(true),
                    })
                    .collect(),
            }
        })
        .collect();
    render(&JobsPage {
        layout: Layout::new(&ctx, "driftsjobber"),
        jobs,
    })
}
