//! The CPI adjustment pages: `/leiekontrakter/kpi` (the runs and the start form) and
//! `/leiekontrakter/kpi/{id}` (the review: proposals, totals, leave out, approve, discard).

use std::time::Duration;

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{change_text, RunStatus, StartForm};
use super::repo::{self, MissingRow, ProposalRow, RunRow, Totals};
use super::{commands, letters};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::leases::rules::index_text;
use crate::leases::settings::model::{month_field, month_text};
use crate::leases::settings::repo as settings;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{parse_id, version, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

const NAV: &str = "leiekontrakter";
const PAGE: i64 = 50;
const MISSING_SHOWN: i64 = 100;
/// How long an approval writes notices before it leaves the rest to the scheduled job
/// (or the "write the remaining notices" button).
const NOTICE_BUDGET: Duration = Duration::from_secs(5);

/// The run as pages show it.
pub struct RunView {
    pub r: RunRow,
    pub municipality: String,
}

impl RunView {
    pub fn status(&self) -> &'static str {
        RunStatus::parse(&self.r.status).label()
    }
    pub fn is_open(&self) -> bool {
        RunStatus::parse(&self.r.status) == RunStatus::Proposed
    }
    pub fn index(&self) -> String {
        format!(
            "{} ({})",
            index_text(self.r.index_tenths),
            month_text(self.r.index_month)
        )
    }
    pub fn notice(&self) -> String {
        format::date(self.r.notice_on)
    }
    pub fn effective(&self) -> String {
        format::date(self.r.effective_on)
    }
    pub fn created(&self) -> String {
        format::datetime(self.r.created_at)
    }
    pub fn decided(&self) -> String {
        self.r.decided_at.map(format::datetime).unwrap_or_default()
    }
}

fn view(r: RunRow, munis: &[MunicipalityRef]) -> RunView {
    let municipality = munis
        .iter()
        .find(|m| m.id == r.municipality_id)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    RunView { r, municipality }
}

// ---------------------------------------------------------------------------------------
// The runs and the start form

#[derive(Template)]
#[template(path = "leases/cpi_runs.html")]
pub struct RunsPage {
    pub layout: Layout,
    pub runs: Vec<RunView>,
    pub several: bool,
    /// The municipality a run would be started in, when the user administers one in view.
    pub start_in: Option<MunicipalityRef>,
    pub months: Vec<(String, String)>,
    pub form: StartForm,
    pub errors: FormErrors,
}

async fn runs_page(ctx: &Ctx, form: Option<StartForm>, errors: FormErrors) -> AppResult<RunsPage> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let runs = repo::runs(&mut tx, &ids, 50).await?;
    let mut admin = ctx.visible_with_role(Permission::Administer);
    let start_in = if admin.len() == 1 { admin.pop() } else { None };
    let mut months = Vec::new();
    if let Some(m) = &start_in {
        months = settings::kpi_values(&mut tx, m.id)
            .await?
            .into_iter()
            .map(|k| {
                (
                    month_field(k.month),
                    format!("{} ({})", month_text(k.month), index_text(k.tenths)),
                )
            })
            .collect();
    }
    tx.commit().await?;
    let form = form.unwrap_or_else(|| {
        StartForm::defaults(
            ctx.today(),
            months
                .first()
                .and_then(|(v, _)| crate::leases::settings::model::parse_month(v)),
        )
    });
    Ok(RunsPage {
        layout: Layout::new(ctx, NAV),
        runs: runs.into_iter().map(|r| view(r, &munis)).collect(),
        several: munis.len() > 1,
        start_in,
        months,
        form,
        errors,
    })
}

/// `GET /leiekontrakter/kpi`
pub async fn runs(ctx: Ctx) -> AppResult<Response> {
    render(&runs_page(&ctx, None, FormErrors::new()).await?)
}

/// `POST /leiekontrakter/kpi`: starts a run.
pub async fn start(ctx: Ctx, Form(f): Form<StartForm>) -> AppResult<Response> {
    let mut admin = ctx.visible_with_role(Permission::Administer);
    let m = match admin.len() {
        0 => return Err(AppError::Forbidden),
        1 => admin.pop().ok_or(AppError::Forbidden)?,
        _ => return Err(AppError::NotFound),
    };
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let outcome = match f.parse(ctx.today()) {
        Ok(x) => commands::start(&mut tx, ctx.actor(), m.id, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(s) => Ok(Redirect::to(&format!("/leiekontrakter/kpi/{}", s.run)).into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let status = shown.status();
            render_status(status, &runs_page(&ctx, Some(f), shown.errors).await?)
        }
    }
}

// ---------------------------------------------------------------------------------------
// The review

#[derive(Template)]
#[template(path = "leases/cpi_run.html")]
pub struct RunPage {
    pub layout: Layout,
    pub run: RunView,
    pub totals: Totals,
    pub proposals: Vec<ProposalRow>,
    pub next: Option<i32>,
    pub missing: Vec<MissingRow>,
    pub missing_total: i64,
    pub may_decide: bool,
    pub errors: FormErrors,
}

impl RunPage {
    pub fn kroner(&self, ore: &i64) -> String {
        format::kroner(*ore)
    }
    pub fn change(&self, p: &ProposalRow) -> String {
        change_text(p.old_rent, p.new_rent)
    }
    pub fn total_change(&self) -> String {
        change_text(self.totals.old_total, self.totals.new_total)
    }
    pub fn base(&self, p: &ProposalRow) -> String {
        format!(
            "{} ({})",
            index_text(p.base_tenths),
            month_text(p.base_month)
        )
    }
    pub fn month(&self, d: &chrono::NaiveDate) -> String {
        month_text(*d)
    }
    pub fn notices_left(&self) -> i64 {
        self.totals.applied - self.totals.letters
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    etter: String,
}

async fn run_page(ctx: &Ctx, id: Uuid, after: i32, errors: FormErrors) -> AppResult<RunPage> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let r = repo::run(&mut tx, &ids, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = r.municipality_id;
    let totals = repo::totals(&mut tx, m, r.id).await?;
    let mut proposals = repo::proposals(&mut tx, m, r.id, after, PAGE + 1).await?;
    let next = if proposals.len() as i64 > PAGE {
        proposals.truncate(PAGE as usize);
        proposals.last().map(|p| p.lease_no)
    } else {
        None
    };
    let (missing, missing_total) = repo::missing_index(&mut tx, m, r.id, MISSING_SHOWN).await?;
    // The proposals name tenants: who read which is recorded.
    audit::record(
        &mut tx,
        ctx,
        Event::new("cpi_run.viewed")
            .municipality(m)
            .entity("cpi_run", r.id)
            .details(serde_json::json!({
                "leases": proposals.iter().map(|p| p.lease_id)
                    .chain(missing.iter().map(|x| x.lease_id)).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let may_decide = ctx.may(Permission::Administer, m);
    Ok(RunPage {
        layout: Layout::new(ctx, NAV),
        run: view(r, &munis),
        totals,
        proposals,
        next,
        missing,
        missing_total,
        may_decide,
        errors,
    })
}

/// `GET /leiekontrakter/kpi/{id}` (`?etter=<lease no.>` for the next page).
pub async fn show(ctx: Ctx, Id(id): Id, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let after = q.etter.trim().parse().unwrap_or(0);
    render(&run_page(&ctx, id, after, FormErrors::new()).await?)
}

fn to_run(id: Uuid) -> Response {
    Redirect::to(&format!("/leiekontrakter/kpi/{id}")).into_response()
}

/// The review again with the refusal (a stale version is 409 with the one wording).
async fn refused(ctx: &Ctx, id: Uuid, r: Refusal) -> AppResult<Response> {
    let shown = r.shown()?;
    let status = shown.status();
    render_status(status, &run_page(ctx, id, 0, shown.errors).await?)
}

#[derive(Deserialize, Default)]
pub struct IncludeForm {
    #[serde(default)]
    lease: String,
    #[serde(default)]
    included: String,
    #[serde(default)]
    version: String,
}

/// `POST /leiekontrakter/kpi/{id}/forslag`: leave a lease out (`included=0`) or take it
/// back in (`included=1`).
pub async fn set_included(ctx: Ctx, Id(id): Id, Form(f): Form<IncludeForm>) -> AppResult<Response> {
    let (mut tx, r) = ctx
        .load_for_write::<RunRow>(Permission::ReadCases, Permission::Administer, id)
        .await?;
    let lease = parse_id(&f.lease)?;
    let included = f.included.trim() == "1";
    let outcome = commands::set_included(
        &mut tx,
        ctx.actor(),
        &r,
        lease,
        included,
        version(&f.version),
    )
    .await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(to_run(id)),
        Err(refusal) => refused(&ctx, id, refusal).await,
    }
}

#[derive(Deserialize, Default)]
pub struct VersionForm {
    #[serde(default)]
    version: String,
}

/// `POST /leiekontrakter/kpi/{id}/forkast`
pub async fn discard(ctx: Ctx, Id(id): Id, Form(f): Form<VersionForm>) -> AppResult<Response> {
    let (mut tx, r) = ctx
        .load_for_write::<RunRow>(Permission::ReadCases, Permission::Administer, id)
        .await?;
    let outcome = commands::discard(&mut tx, ctx.actor(), &r, version(&f.version)).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(to_run(id)),
        Err(refusal) => refused(&ctx, id, refusal).await,
    }
}

/// `POST /leiekontrakter/kpi/{id}/godkjenn`: the rent changes in the approval's
/// transaction; then the notices, batch by batch, for a few seconds (the rest by the
/// scheduled job or the "write the remaining notices" button).
pub async fn approve(ctx: Ctx, Id(id): Id, Form(f): Form<VersionForm>) -> AppResult<Response> {
    let (mut tx, r) = ctx
        .load_for_write::<RunRow>(Permission::ReadCases, Permission::Administer, id)
        .await?;
    let outcome = commands::approve(&mut tx, ctx.actor(), &r, version(&f.version)).await;
    match db::commit(tx, outcome).await {
        Ok(_) => {
            // The rent changes are committed; a notice that fails here is written later.
            if let Err(e) =
                letters::write_for_run(&ctx.state.pool, r.municipality_id, id, NOTICE_BUDGET).await
            {
                tracing::warn!(run = %id, error = ?e, "CPI notices left to the scheduled job");
            }
            Ok(to_run(id))
        }
        Err(refusal) => refused(&ctx, id, refusal).await,
    }
}

/// `POST /leiekontrakter/kpi/{id}/brev`: writes the notices an approval left.
pub async fn write_notices(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (tx, r) = ctx
        .load_for_write::<RunRow>(Permission::ReadCases, Permission::Administer, id)
        .await?;
    tx.commit().await?;
    letters::write_for_run(&ctx.state.pool, r.municipality_id, id, NOTICE_BUDGET).await?;
    Ok(to_run(id))
}

/// A lease's rent history as the lease page shows it (`templates/leases/cpi_rent_history.html`:
/// include it with `history` in scope, or render this and embed it).
#[derive(Template)]
#[template(path = "leases/cpi_rent_history.html")]
pub struct RentHistory {
    pub history: Vec<super::RentChangeRow>,
}
