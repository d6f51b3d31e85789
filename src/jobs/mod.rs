//! Scheduled jobs: the periodic work the law and the housekeeping need, run by a
//! scheduler inside the server. Every server process runs the scheduler; a job runs in
//! one process at a time (a PostgreSQL advisory lock per job) and only when it is due
//! (its last run, recorded in `job_runs`, is older than its interval), so several
//! processes behind one database run each job once per interval.
//!
//! Legal dates come from the program's clock (`crate::clock`); when a job is due is
//! decided by the database's wall time, so moving the clock (demos, tests) never stops
//! the schedule.

pub mod page;
pub mod repo;

use std::time::Duration;

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/driftsjobber", get(page::show))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Refusals whose every appeal deadline passed without appeal are closed (the case
    /// leaves the open lists).
    CloseExpiredRefusals,
    /// Open offers past their answer date are noted on the case and listed.
    OverdueOffers,
    /// Undecided cases whose interim reply promised a decision by a date now passed get
    /// a new interim reply due (fvl. § 11a).
    InterimPromises,
    /// Expired sessions are deleted.
    ExpiredSessions,
    /// Closed cases past their municipality's retention period are anonymised (GDPR
    /// art. 5(1)(e)); the statistical skeleton stays.
    Retention,
    /// Signed leases whose start date has come become active.
    ActivateLeases,
    /// The notices of an approved CPI adjustment not yet written (husleieloven § 4-2).
    CpiNotices,
    /// The coming month's rent charges, from each municipality's charge day.
    RentCharges,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::CloseExpiredRefusals,
        Job::OverdueOffers,
        Job::InterimPromises,
        Job::ExpiredSessions,
        Job::Retention,
        Job::ActivateLeases,
        Job::CpiNotices,
        Job::RentCharges,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Job::CloseExpiredRefusals => "close_expired_refusals",
            Job::OverdueOffers => "overdue_offers",
            Job::InterimPromises => "interim_promises",
            Job::ExpiredSessions => "expired_sessions",
            Job::Retention => "retention",
            Job::ActivateLeases => "activate_leases",
            Job::CpiNotices => "cpi_notices",
            Job::RentCharges => "rent_charges",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Job::CloseExpiredRefusals => "Avslutte avslag når klagefristen er ute",
            Job::OverdueOffers => "Merke tilbud med passert svarfrist",
            Job::InterimPromises => "Nytt foreløpig svar når lovet dato er passert",
            Job::ExpiredSessions => "Slette utløpte innlogginger",
            Job::Retention => "Anonymisere saker etter oppbevaringstiden",
            Job::ActivateLeases => "Aktivere signerte leiekontrakter ved leiestart",
            Job::CpiNotices => "Skrive varsler om KPI-regulering",
            Job::RentCharges => "Kjøre neste måneds husleietermin",
        }
    }

    pub fn interval(self) -> Duration {
        match self {
            Job::CloseExpiredRefusals
            | Job::OverdueOffers
            | Job::InterimPromises
            | Job::ActivateLeases
            | Job::RentCharges => Duration::from_secs(3600),
            Job::ExpiredSessions => Duration::from_secs(900),
            Job::CpiNotices => Duration::from_secs(300),
            // Retention counts in years; once a day is early enough.
            Job::Retention => Duration::from_secs(24 * 3600),
        }
    }

    /// The advisory lock that lets one process at a time run the job.
    fn lock_key(self) -> i64 {
        0x6b6f_6a6f_0000 + self as i64
    }

    /// Does the work; returns what it did, for the admin page.
    async fn run(self, state: &AppState, today: chrono::NaiveDate) -> anyhow::Result<String> {
        match self {
            Job::CloseExpiredRefusals => {
                let n =
                    crate::decisions::appeals::close_expired_refusals(&state.pool, today).await?;
                Ok(format!("{n} avslag avsluttet"))
            }
            Job::OverdueOffers => {
                let n = crate::allocation::overdue::note_overdue(&state.pool, today).await?;
                Ok(format!("{n} tilbud med passert svarfrist merket"))
            }
            Job::InterimPromises => {
                let n = crate::applications::interim::reopen_due(&state.pool, today).await?;
                Ok(format!("{n} saker trenger nytt foreløpig svar"))
            }
            Job::ExpiredSessions => {
                let n =
                    crate::auth::session::delete_expired(&state.pool, state.config.session_idle)
                        .await?;
                let mut conn = state.pool.acquire().await?;
                repo::prune(&mut conn).await?;
                Ok(format!("{n} innlogginger slettet"))
            }
            Job::Retention => {
                let n = crate::privacy::retention::run(state, today).await?;
                Ok(format!("{n} saker anonymisert"))
            }
            Job::ActivateLeases => {
                let n = crate::leases::commands::activate_started(&state.pool, today).await?;
                Ok(format!("{n} leiekontrakter aktivert"))
            }
            Job::CpiNotices => {
                let n =
                    crate::leases::cpi::letters::write_due(&state.pool, Duration::from_secs(50))
                        .await?;
                Ok(format!("{n} varsler om KPI-regulering skrevet"))
            }
            Job::RentCharges => {
                let n = crate::rent::commands::run_due(&state.pool, today).await?;
                Ok(format!("{n} husleiekrav ført"))
            }
        }
    }
}

/// Runs every job that is due, each under its lock. Returns the jobs this call ran.
pub async fn run_due(state: &AppState) -> Vec<Job> {
    let mut ran = Vec::new();
    for job in Job::ALL {
        match run_if_due(state, job).await {
            Ok(true) => ran.push(job),
            Ok(false) => {}
            Err(e) => tracing::warn!(job = job.key(), error = %e, "scheduled job could not start"),
        }
    }
    ran
}

async fn run_if_due(state: &AppState, job: Job) -> anyhow::Result<bool> {
    let mut conn = state.pool.acquire().await?;
    if !repo::try_lock(&mut conn, job.lock_key()).await? {
        return Ok(false);
    }
    let outcome = async {
        if !repo::is_due(&mut conn, job.key(), job.interval()).await? {
            return Ok::<bool, anyhow::Error>(false);
        }
        let today = state.clock().today();
        let run = repo::start(&mut conn, job.key(), today).await?;
        let result = job.run(state, today).await;
        match &result {
            Ok(summary) => {
                tracing::info!(job = job.key(), %summary, "scheduled job ran");
                repo::finish(&mut conn, run, true, summary).await?;
            }
            Err(e) => {
                tracing::warn!(job = job.key(), error = %e, "scheduled job failed");
                repo::finish(&mut conn, run, false, &format!("Feil: {e}")).await?;
            }
        }
        Ok(true)
    }
    .await;
    // Unlock whatever happened; a lost connection releases the lock by itself.
    repo::unlock(&mut conn, job.lock_key()).await?;
    outcome
}

/// The scheduler: looks for due jobs every `tick` until the server stops.
pub fn spawn(state: AppState, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            run_due(&state).await;
        }
    })
}
