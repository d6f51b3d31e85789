//! The arrears pages: a lease's case `/leiekontrakter/{id}/restanse` (its steps with their
//! letters, the next possible steps with their earliest dates, the step form, the payment
//! plan and its state) and the overview `/husleie/restanser` (every lease in arrears,
//! aged, sorted by risk, filtered, with totals per municipality).

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::commands::{self, CaseState};
use super::model::{self, months_owed, step_label, RefusalForm, StepForm};
use super::repo::{self, Filter, OverviewRow, TotalRow};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::leases::repo::LeaseRow;
use crate::rent::ladder::{self, Instalment, PaymentPlan, PlanState, Rules, Step, Taken};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{parse_id, Id};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{render, render_status};

const CASE_NAV: &str = "leiekontrakter";
const OVERVIEW_NAV: &str = "restanser";
const PAGE_SIZE: i64 = 50;

// ---------------------------------------------------------------------------------------
// A lease's case

pub struct StepView {
    pub label: &'static str,
    pub key: String,
    pub on: String,
    pub by: String,
    pub letter: Option<Uuid>,
    pub extra: String,
    pub note: String,
}

pub struct NextView {
    pub key: &'static str,
    pub label: &'static str,
    pub earliest: String,
    pub earliest_iso: NaiveDate,
    pub due: bool,
}

#[derive(Template)]
#[template(path = "rent/arrears_case.html")]
pub struct CasePage {
    pub layout: Layout,
    pub l: LeaseRow,
    pub outstanding: String,
    pub outstanding_ore: i64,
    pub oldest_due: String,
    pub open: bool,
    pub opened_on: String,
    pub caseworker: String,
    pub nav_refused_on: String,
    pub steps: Vec<StepView>,
    pub next: Vec<NextView>,
    pub plan: Vec<(String, String)>,
    pub plan_state: String,
    pub plan_state_key: &'static str,
    pub closed: Vec<(String, String, &'static str, i64)>,
    pub may_write: bool,
    pub step_options: Vec<(String, String)>,
    pub fee_available: bool,
    pub form: StepForm,
    pub refusal: RefusalForm,
    pub version: String,
    pub message: String,
    pub errors: FormErrors,
}

fn plan_text(p: Option<PlanState>) -> (&'static str, String) {
    match p {
        None => ("", String::new()),
        Some(PlanState::Kept) => ("kept", "Overholdes".into()),
        Some(PlanState::Completed { on }) => {
            ("completed", format!("Fullført {}", format::date(on)))
        }
        Some(PlanState::Broken {
            on,
            instalment_due,
            missing_ore,
        }) => (
            "broken",
            format!(
                "Brutt {}: avdraget som forfalt {} mangler {}",
                format::date(on),
                format::date(instalment_due),
                format::kroner(missing_ore)
            ),
        ),
    }
}

fn closed_label(reason: &str) -> &'static str {
    match reason {
        "paid" => "Betalt i sin helhet",
        "carried_out" => "Utkastelse gjennomført",
        "avoided" => "Utkastelse avverget",
        _ => "",
    }
}

async fn case_page(
    ctx: &Ctx,
    id: Uuid,
    form: Option<StepForm>,
    refusal: Option<RefusalForm>,
    message: &str,
    errors: FormErrors,
) -> AppResult<CasePage> {
    let (mut tx, l) = ctx.load::<LeaseRow>(Permission::ReadCases, id).await?;
    let m = l.municipality_id;
    let today = ctx.today();
    let st: CaseState = commands::case_state(&mut tx, m, l.id, today, false).await?;
    let closed = repo::closed_cases(&mut tx, m, l.id).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("rent.arrears_viewed")
            .municipality(m)
            .entity("lease", l.id),
    )
    .await?;
    tx.commit().await?;
    let rules = st.settings.rules();
    let next: Vec<NextView> = if st.ledger.outstanding > 0 || st.case.is_some() {
        ladder::next_steps(&st.ladder, &rules)
            .into_iter()
            .map(|n| NextView {
                key: model::step_key(n.step),
                label: step_label(n.step),
                earliest: format::date(n.earliest),
                earliest_iso: n.earliest,
                due: n.earliest <= today,
            })
            .collect()
    } else {
        Vec::new()
    };
    let steps = st
        .steps
        .iter()
        .map(|s| {
            let step = model::parse_step(&s.step);
            let mut extra = Vec::new();
            if let Some(e) = s.eviction_on {
                extra.push(format!("Berammet til {}", format::date(e)));
            }
            if s.copy_to_tenant {
                extra.push("Kopi til leietaker".into());
            }
            if s.fee_entry_id.is_some() {
                extra.push("Med purregebyr".into());
            }
            StepView {
                label: step.map(step_label).unwrap_or(""),
                key: s.step.clone(),
                on: format::date(s.taken_on),
                by: s.responsible_name.clone(),
                letter: s.letter_id,
                extra: extra.join(". "),
                note: s.note.clone(),
            }
        })
        .collect();
    let (plan_state_key, plan_state) = plan_text(st.plan_state());
    let plan = commands::instalments_of(&st.plan)
        .iter()
        .map(|i: &Instalment| (format::date(i.due), format::kroner(i.amount_ore)))
        .collect();
    let mut form = form.unwrap_or_default();
    if form.taken_on.is_empty() {
        form.taken_on = format::date(today);
    }
    let mut step_options = vec![(String::new(), "Velg trinn".to_string())];
    step_options.extend(next.iter().map(|n| {
        (
            n.key.to_string(),
            format!("{} (tidligst {})", n.label, n.earliest),
        )
    }));
    let version = st
        .case
        .as_ref()
        .map(|c| c.version.to_string())
        .unwrap_or_default();
    Ok(CasePage {
        layout: Layout::new(ctx, CASE_NAV),
        outstanding: format::kroner(st.ledger.outstanding.max(0)),
        outstanding_ore: st.ledger.outstanding,
        oldest_due: st
            .ledger
            .oldest_unpaid_due
            .map(format::date)
            .unwrap_or_default(),
        open: st.case.is_some(),
        opened_on: st
            .case
            .as_ref()
            .map(|c| format::date(c.opened_on))
            .unwrap_or_default(),
        caseworker: st
            .steps
            .last()
            .map(|s| s.responsible_name.clone())
            .unwrap_or_default(),
        nav_refused_on: st
            .ladder
            .nav_refused_on
            .map(format::date)
            .unwrap_or_default(),
        steps,
        next,
        plan,
        plan_state,
        plan_state_key,
        closed: closed
            .into_iter()
            .map(|(o, c, r, n)| (format::date(o), format::date(c), closed_label(&r), n))
            .collect(),
        may_write: ctx.may(Permission::ManageRent, m),
        step_options,
        fee_available: st.settings.reminder_fee.is_some(),
        form,
        refusal: refusal.unwrap_or_default(),
        version,
        message: message.into(),
        errors,
        l,
    })
}

#[derive(Deserialize, Default)]
pub struct MessageQuery {
    #[serde(default)]
    melding: String,
}

/// `GET /leiekontrakter/{id}/restanse`
pub async fn case(ctx: Ctx, Id(id): Id, Query(q): Query<MessageQuery>) -> AppResult<Response> {
    let message = match q.melding.as_str() {
        "trinn" => "Trinnet er registrert.",
        "reservasjon" => "Reservasjonen mot varsel til NAV er registrert.",
        _ => "",
    };
    render(&case_page(&ctx, id, None, None, message, FormErrors::new()).await?)
}

/// `POST /leiekontrakter/{id}/restanse/trinn`
pub async fn take_step(ctx: Ctx, Id(id): Id, Form(f): Form<StepForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx
        .load_for_write::<LeaseRow>(Permission::ReadCases, Permission::ManageRent, id)
        .await?;
    let outcome = match f.parse(ctx.today()) {
        Ok(x) => commands::take_step(&mut tx, ctx.actor(), &l, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/leiekontrakter/{id}/restanse?melding=trinn")).into_response(),
        ),
        Err(r) => {
            let shown = r.shown()?;
            render_status(
                shown.status(),
                &case_page(&ctx, id, Some(f), None, "", shown.errors).await?,
            )
        }
    }
}

/// `POST /leiekontrakter/{id}/restanse/reservasjon`: the tenant refused the notice to NAV.
pub async fn nav_refusal(ctx: Ctx, Id(id): Id, Form(f): Form<RefusalForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx
        .load_for_write::<LeaseRow>(Permission::ReadCases, Permission::ManageRent, id)
        .await?;
    let outcome = match f.parse(ctx.today()) {
        Ok((on, version)) => {
            commands::record_nav_refusal(&mut tx, ctx.actor(), &l, on, version).await
        }
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/leiekontrakter/{id}/restanse?melding=reservasjon"
        ))
        .into_response()),
        Err(r) => {
            let shown = r.shown()?;
            render_status(
                shown.status(),
                &case_page(&ctx, id, None, Some(f), "", shown.errors).await?,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// The overview

pub struct Row {
    pub r: OverviewRow,
    pub municipality: String,
    pub current: &'static str,
    pub next: String,
    pub next_due: bool,
    pub months: String,
}

/// The next step on the ladder after the current one, and its earliest date.
fn next_of(r: &OverviewRow, today: NaiveDate, rules: &Rules) -> Option<ladder::Next> {
    let history: Vec<Taken> = r
        .steps
        .iter()
        .zip(&r.step_dates)
        .filter_map(|(k, d)| model::parse_step(k).map(|s| Taken::new(s, *d)))
        .collect();
    let plan = history
        .iter()
        .find(|t| t.step == Step::PaymentPlan)
        .map(|t| {
            let p = PaymentPlan {
                agreed_on: t.on,
                instalments: r
                    .plan_dues
                    .iter()
                    .zip(&r.plan_amounts)
                    .map(|(due, amount_ore)| Instalment {
                        due: *due,
                        amount_ore: *amount_ore,
                    })
                    .collect(),
            };
            let paid: Vec<(NaiveDate, i64)> = r
                .paid_dates
                .iter()
                .copied()
                .zip(r.paid_amounts.iter().copied())
                .collect();
            ladder::plan_state(&p, &paid, today, rules)
        });
    let case = ladder::Case {
        history,
        outstanding_ore: r.total,
        oldest_unpaid_due: Some(r.oldest_due),
        nav_refused_on: r.nav_refused_on,
        plan,
    };
    let current = case.current().map(|t| t.step);
    let next = ladder::next_steps(&case, rules);
    next.iter()
        .find(|n| n.step != Step::Contact && Some(n.step) > current)
        .or_else(|| next.first())
        .copied()
}

#[derive(Template)]
#[template(path = "rent/arrears_overview.html")]
pub struct OverviewPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub totals: Vec<(String, TotalRow)>,
    pub several: bool,
    pub municipalities: Vec<(String, String)>,
    pub caseworkers: Vec<(String, String)>,
    pub steps: Vec<(String, String)>,
    pub q: OverviewQuery,
    pub more: Option<String>,
}

impl OverviewPage {
    pub fn kr(&self, ore: &i64) -> String {
        format::kroner(*ore)
    }
}

#[derive(Deserialize, Default, Clone, Debug)]
pub struct OverviewQuery {
    #[serde(default)]
    pub kommune: String,
    #[serde(default)]
    pub saksbehandler: String,
    #[serde(default)]
    pub trinn: String,
    /// The cursor: "<risk>_<lease id>" of the last row of the page before.
    #[serde(default)]
    pub etter: String,
}

impl OverviewQuery {
    fn filter(&self) -> AppResult<Filter> {
        let id = |s: &str| -> AppResult<Option<Uuid>> {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                parse_id(s.trim()).map(Some)
            }
        };
        let step = match self.trinn.trim() {
            "" => None,
            "none" => Some("none".to_string()),
            k => Some(
                model::parse_step(k)
                    .map(|s| model::step_key(s).to_string())
                    .ok_or(AppError::NotFound)?,
            ),
        };
        Ok(Filter {
            municipality: id(&self.kommune)?,
            caseworker: id(&self.saksbehandler)?,
            step,
        })
    }

    fn cursor(&self) -> AppResult<Option<(i64, Uuid)>> {
        if self.etter.is_empty() {
            return Ok(None);
        }
        let (risk, lease) = self.etter.split_once('_').ok_or(AppError::NotFound)?;
        let risk = risk.parse().map_err(|_| AppError::NotFound)?;
        Ok(Some((risk, parse_id(lease)?)))
    }

    fn link(&self, etter: &str) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("kommune", &self.kommune),
            ("saksbehandler", &self.saksbehandler),
            ("trinn", &self.trinn),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", urlencoding(v)));
            }
        }
        parts.push(format!("etter={etter}"));
        format!("/husleie/restanser?{}", parts.join("&"))
    }
}

fn urlencoding(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// `GET /husleie/restanser`
pub async fn overview(ctx: Ctx, Query(q): Query<OverviewQuery>) -> AppResult<Response> {
    let filter = q.filter()?;
    let after = q.cursor()?;
    let (mut tx, munis) = ctx.read_tx(Permission::ManageRent).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    if filter.municipality.is_some_and(|m| !ids.contains(&m)) {
        return Err(AppError::NotFound);
    }
    let today = ctx.today();
    let mut rows = repo::overview(&mut tx, &ids, today, &filter, after, PAGE_SIZE + 1).await?;
    let totals = repo::totals(&mut tx, &ids, today, &filter).await?;
    let caseworkers = repo::caseworkers(&mut tx, &ids).await?;
    let rules = repo::rules_of(&mut tx, &ids).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("rent.arrears_overview_viewed").details(serde_json::json!({
            "rows": rows.len().min(PAGE_SIZE as usize),
        })),
    )
    .await?;
    tx.commit().await?;
    let more = if rows.len() as i64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last()
            .map(|r| q.link(&format!("{}_{}", r.risk, r.lease_id)))
    } else {
        None
    };
    let name = |m: Uuid| {
        munis
            .iter()
            .find(|x| x.id == m)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let defaults = Rules::default();
            let next = next_of(
                &r,
                today,
                rules.get(&r.municipality_id).unwrap_or(&defaults),
            );
            Row {
                municipality: name(r.municipality_id),
                current: r
                    .current_step
                    .as_deref()
                    .and_then(model::parse_step)
                    .map(step_label)
                    .unwrap_or("Ingen trinn ennå"),
                next: next
                    .map(|n| format!("{} fra {}", step_label(n.step), format::date(n.earliest)))
                    .unwrap_or_default(),
                next_due: next.is_some_and(|n| n.earliest <= today),
                months: months_owed(r.total, r.monthly_rent),
                r,
            }
        })
        .collect();
    let mut steps = vec![
        (String::new(), "Alle".to_string()),
        ("none".to_string(), "Ingen trinn ennå".to_string()),
    ];
    steps.extend(
        Step::ALL
            .iter()
            .map(|s| (model::step_key(*s).to_string(), step_label(*s).to_string())),
    );
    let mut municipalities = vec![(String::new(), "Alle".to_string())];
    municipalities.extend(munis.iter().map(|m| (m.id.to_string(), m.name.clone())));
    let mut workers = vec![(String::new(), "Alle".to_string())];
    workers.extend(caseworkers.into_iter().map(|(id, n)| (id.to_string(), n)));
    render(&OverviewPage {
        layout: Layout::new(&ctx, OVERVIEW_NAV),
        rows,
        totals: totals
            .into_iter()
            .map(|t| (name(t.municipality_id), t))
            .collect(),
        several: munis.len() > 1,
        municipalities,
        caseworkers: workers,
        steps,
        q,
        more,
    })
}

// ---------------------------------------------------------------------------------------
// Figures per municipality and year

pub struct FigureView {
    pub name: String,
    pub f: repo::FigureRow,
    /// (month end, owed, leases in arrears)
    pub months: Vec<(String, String, i64)>,
}

#[derive(Template)]
#[template(path = "rent/arrears_figures.html")]
pub struct FiguresPage {
    pub layout: Layout,
    pub year: i32,
    pub years: Vec<i32>,
    pub figures: Vec<FigureView>,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    ar: String,
}

/// `GET /husleie/restanser/tall?ar=yyyy`: the year's arrears figures per municipality.
pub async fn figures(ctx: Ctx, Query(q): Query<YearQuery>) -> AppResult<Response> {
    use chrono::Datelike;
    let today = ctx.today();
    let year = match q.ar.trim() {
        "" => today.year(),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=today.year()).contains(y))
            .ok_or(AppError::NotFound)?,
    };
    let (mut tx, munis) = ctx.read_tx(Permission::ManageRent).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let rows = repo::figures(&mut tx, &ids, year, today).await?;
    tx.commit().await?;
    let figures = rows
        .into_iter()
        .map(|f| FigureView {
            name: munis
                .iter()
                .find(|m| m.id == f.municipality_id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            months: f
                .month_ends
                .iter()
                .zip(&f.owed)
                .zip(&f.tenants)
                .map(|((d, o), t)| (format::date(*d), format::kroner(*o), *t))
                .collect(),
            f,
        })
        .collect();
    render(&FiguresPage {
        layout: Layout::new(&ctx, OVERVIEW_NAV),
        year,
        years: (today.year() - 4..=today.year()).rev().collect(),
        figures,
    })
}
