//! The rent pages: `/husleie/terminer` (the charge runs, start a month's run, the month's
//! charges as CSV) and a lease's ledger `/leiekontrakter/{id}/husleie` (every entry with
//! the running balance, the open charges with their age, payments, credits and
//! corrections by hand, the ledger as CSV).

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::model::{
    self, kind_label, month_field, month_text, AdjustForm, Payer, PaymentForm, RunForm,
};
use super::{commands, repo};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::leases::repo::LeaseRow;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::Id;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{csv_export, format, render, render_status};

const RUNS_NAV: &str = "husleie";
const LEDGER_NAV: &str = "leiekontrakter";
const RUNS_SHOWN: i64 = 60;

// ---------------------------------------------------------------------------------------
// Charge runs

pub struct RunView {
    pub r: repo::RunRow,
    pub municipality: String,
}

impl RunView {
    pub fn month(&self) -> String {
        month_text(self.r.month)
    }
    pub fn total(&self) -> String {
        format::kroner(self.r.total)
    }
    pub fn started(&self) -> String {
        format::datetime(self.r.started_at)
    }
    pub fn csv(&self) -> String {
        format!(
            "/husleie/terminer/eksport.csv?maned={}&kommune={}",
            month_field(self.r.month),
            self.r.municipality_id
        )
    }
}

fn name_of(munis: &[MunicipalityRef], m: Uuid) -> String {
    munis
        .iter()
        .find(|x| x.id == m)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "rent/runs.html")]
pub struct RunsPage {
    pub layout: Layout,
    pub runs: Vec<RunView>,
    pub several: bool,
    pub start_in: Option<MunicipalityRef>,
    pub months: Vec<(String, String)>,
    pub form: RunForm,
    pub message: String,
    pub errors: FormErrors,
}

async fn runs_page(
    ctx: &Ctx,
    form: Option<RunForm>,
    message: String,
    errors: FormErrors,
) -> AppResult<RunsPage> {
    let (mut tx, munis) = ctx.read_tx(Permission::ManageRent).await?;
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let runs = repo::runs(&mut tx, &ids, None, RUNS_SHOWN).await?;
    tx.commit().await?;
    let mut managing = ctx.visible_with_role(Permission::ManageRent);
    let start_in = if managing.len() == 1 {
        managing.pop()
    } else {
        None
    };
    // The months one may start: from three months back to two ahead.
    let this = model::month_of(ctx.today());
    let months: Vec<(String, String)> = (-3..=2)
        .rev()
        .filter_map(|k: i32| {
            let d = if k >= 0 {
                this.checked_add_months(chrono::Months::new(k as u32))
            } else {
                this.checked_sub_months(chrono::Months::new((-k) as u32))
            }?;
            Some((month_field(d), month_text(d)))
        })
        .collect();
    let form = form.unwrap_or_else(|| RunForm {
        month: month_field(model::next_month(this)),
    });
    Ok(RunsPage {
        layout: Layout::new(ctx, RUNS_NAV),
        runs: runs
            .into_iter()
            .map(|r| RunView {
                municipality: name_of(&munis, r.municipality_id),
                r,
            })
            .collect(),
        several: munis.len() > 1,
        start_in,
        months,
        form,
        message,
        errors,
    })
}

#[derive(Deserialize, Default)]
pub struct MessageQuery {
    #[serde(default)]
    melding: String,
}

/// `GET /husleie/terminer`
pub async fn runs(ctx: Ctx, Query(q): Query<MessageQuery>) -> AppResult<Response> {
    let message = match q.melding.as_str() {
        "kjort" => "Terminen er kjørt.",
        _ => "",
    };
    render(&runs_page(&ctx, None, message.into(), FormErrors::new()).await?)
}

/// `POST /husleie/terminer`: the charges of a month for every lease that runs in it.
pub async fn start_run(ctx: Ctx, Form(f): Form<RunForm>) -> AppResult<Response> {
    let mut managing = ctx.visible_with_role(Permission::ManageRent);
    let m = match managing.len() {
        0 => return Err(AppError::Forbidden),
        1 => managing.pop().ok_or(AppError::Forbidden)?,
        _ => return Err(AppError::NotFound),
    };
    let mut tx = ctx.write_tx(m.id, Permission::ManageRent).await?;
    let outcome = match f.parse() {
        Ok(month) => commands::start_run(&mut tx, ctx.actor(), m.id, month).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(Redirect::to("/husleie/terminer?melding=kjort").into_response()),
        Err(r) => {
            let shown = r.shown()?;
            let status = shown.status();
            render_status(
                status,
                &runs_page(&ctx, Some(f), String::new(), shown.errors).await?,
            )
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    maned: String,
    #[serde(default)]
    kommune: String,
}

/// `GET /husleie/terminer/eksport.csv?maned=yyyy-mm&kommune=<id>`: the month's rent
/// charges with KID, for the accounts. Names tenants: the read is audited.
pub async fn export_month(ctx: Ctx, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    let month = model::parse_month(&q.maned).ok_or(AppError::NotFound)?;
    let m = crate::web::extract::parse_id(&q.kommune)?;
    let (mut tx, munis) = ctx.read_tx(Permission::ManageRent).await?;
    if !munis.iter().any(|x| x.id == m) {
        return Err(AppError::NotFound);
    }
    let rows = repo::month_charges(&mut tx, m, month).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("rent.charges_exported")
            .municipality(m)
            .details(serde_json::json!({ "month": month, "rows": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    let od = |d: Option<NaiveDate>| d.map(format::date).unwrap_or_default();
    Ok(csv_export::response(
        &format!("husleie-{}.csv", month_field(month)),
        &[
            "Kontrakt",
            "Leietaker",
            "KID",
            "Fra",
            "Til",
            "Beløp",
            "Ubetalt",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.lease_no.to_string(),
                r.tenant_name,
                r.kid.unwrap_or_default(),
                od(r.period_from),
                od(r.period_to),
                ore_csv(r.amount),
                ore_csv(r.open),
            ]
        }),
    ))
}

/// Øre as accounting software reads kroner: "6250,00", "-125,50".
fn ore_csv(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        ore.unsigned_abs() / 100,
        ore.unsigned_abs() % 100
    )
}

// ---------------------------------------------------------------------------------------
// A lease's ledger

pub struct EntryView {
    pub e: repo::EntryRow,
}

impl EntryView {
    pub fn kind(&self) -> &'static str {
        kind_label(&self.e.kind, self.e.charge_kind.as_deref())
    }
    pub fn day(&self) -> String {
        format::date(self.e.applies_on)
    }
    pub fn debit(&self) -> String {
        if self.e.amount > 0 {
            format::kroner(self.e.amount)
        } else {
            String::new()
        }
    }
    pub fn credit(&self) -> String {
        if self.e.amount < 0 {
            format::kroner(-self.e.amount)
        } else {
            String::new()
        }
    }
    pub fn balance(&self) -> String {
        format::kroner(self.e.balance)
    }
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(f), Some(t)) = (self.e.period_from, self.e.period_to) {
            parts.push(format!("{}–{}", format::date(f), format::date(t)));
        }
        if let Some(p) = self.e.payer.as_deref().and_then(Payer::parse) {
            parts.push(format!("Betalt av: {}", p.label()));
        }
        if let Some(k) = &self.e.kid {
            parts.push(format!("KID {k}"));
        }
        if !self.e.note.is_empty() {
            parts.push(self.e.note.clone());
        }
        parts.join(". ")
    }
    pub fn by(&self) -> String {
        match (
            &self.e.created_by_name,
            self.e.charge_run_id,
            self.e.import_line_id,
        ) {
            (Some(n), _, _) => n.clone(),
            (None, Some(_), _) => "Terminkjøring".into(),
            (None, None, Some(_)) => "Bankfil".into(),
            _ => String::new(),
        }
    }
    pub fn is_debit(&self) -> bool {
        self.e.amount > 0
    }
}

pub struct OpenCharge {
    pub id: Uuid,
    pub kind: &'static str,
    pub due: String,
    pub age_days: i64,
    pub amount: String,
    pub open: String,
}

#[derive(Template)]
#[template(path = "rent/ledger.html")]
pub struct LedgerPage {
    pub layout: Layout,
    pub l: LeaseRow,
    pub kid: Option<String>,
    pub entries: Vec<EntryView>,
    pub open: Vec<OpenCharge>,
    pub balance: i64,
    pub may_write: bool,
    pub payers: Vec<(String, String)>,
    pub directions: Vec<(String, String)>,
    pub correctable: Vec<(String, String)>,
    pub payment: PaymentForm,
    pub adjust: AdjustForm,
    /// Which form the errors belong to: "payment" or "adjust".
    pub failed: &'static str,
    pub message: String,
    pub errors: FormErrors,
}

impl LedgerPage {
    pub fn kr(&self, ore: &i64) -> String {
        format::kroner(*ore)
    }
}

struct Typed {
    payment: PaymentForm,
    adjust: AdjustForm,
    failed: &'static str,
    message: String,
    errors: FormErrors,
}

impl Typed {
    fn none(message: &str) -> Self {
        Typed {
            payment: PaymentForm::default(),
            adjust: AdjustForm::default(),
            failed: "",
            message: message.into(),
            errors: FormErrors::new(),
        }
    }
}

async fn ledger_page(ctx: &Ctx, id: Uuid, t: Typed) -> AppResult<LedgerPage> {
    let (mut tx, l) = ctx.load::<LeaseRow>(Permission::ReadCases, id).await?;
    let m = l.municipality_id;
    let kid = repo::kid_of(&mut tx, m, l.id).await?;
    let rows = repo::ledger(&mut tx, m, l.id).await?;
    // A ledger names the tenant and their money: who read it is recorded.
    audit::record(
        &mut tx,
        ctx,
        Event::new("rent.ledger_viewed")
            .municipality(m)
            .entity("lease", l.id),
    )
    .await?;
    tx.commit().await?;
    let today = ctx.today();
    let balance = rows.iter().map(|r| r.amount).sum();
    let open = rows
        .iter()
        .filter(|r| r.amount > 0 && r.open > 0)
        .map(|r| OpenCharge {
            id: r.id,
            kind: kind_label(&r.kind, r.charge_kind.as_deref()),
            due: format::date(r.applies_on),
            age_days: (today - r.applies_on).num_days().max(0),
            amount: format::kroner(r.amount),
            open: format::kroner(r.open),
        })
        .collect();
    let correctable = std::iter::once((String::new(), "Ingen post: kreditering".to_string()))
        .chain(rows.iter().rev().map(|r| {
            (
                r.id.to_string(),
                format!(
                    "{} {} {}",
                    format::date(r.applies_on),
                    kind_label(&r.kind, r.charge_kind.as_deref()),
                    format::kroner(r.amount)
                ),
            )
        }))
        .collect();
    let may_write = ctx.may(Permission::ManageRent, m);
    let mut payment = t.payment;
    if payment.paid_on.is_empty() {
        payment.paid_on = format::date(today);
    }
    let mut adjust = t.adjust;
    if adjust.adj_on.is_empty() {
        adjust.adj_on = format::date(today);
    }
    // A fresh one-time token for each form, unless a refused form keeps its own (so the
    // corrected submit still records one entry).
    if t.failed != "payment" || payment.token.is_empty() {
        payment.token = Uuid::new_v4().to_string();
    }
    if t.failed != "adjust" || adjust.adj_token.is_empty() {
        adjust.adj_token = Uuid::new_v4().to_string();
    }
    Ok(LedgerPage {
        layout: Layout::new(ctx, LEDGER_NAV),
        l,
        kid,
        entries: rows.into_iter().map(|e| EntryView { e }).collect(),
        open,
        balance,
        may_write,
        payers: Payer::ALL
            .iter()
            .map(|p| (p.key().to_string(), p.label().to_string()))
            .collect(),
        directions: vec![
            ("more".into(), "Leietaker skal skylde mer".into()),
            ("less".into(), "Leietaker skal skylde mindre".into()),
        ],
        correctable,
        payment,
        adjust,
        failed: t.failed,
        message: t.message,
        errors: t.errors,
    })
}

/// `GET /leiekontrakter/{id}/husleie`
pub async fn ledger(ctx: Ctx, Id(id): Id, Query(q): Query<MessageQuery>) -> AppResult<Response> {
    let message = match q.melding.as_str() {
        "innbetaling" => "Innbetalingen er registrert.",
        "justering" => "Krediteringen eller korrigeringen er registrert.",
        _ => "",
    };
    render(&ledger_page(&ctx, id, Typed::none(message)).await?)
}

fn to_ledger(id: Uuid, message: &str) -> Response {
    Redirect::to(&format!("/leiekontrakter/{id}/husleie?melding={message}")).into_response()
}

async fn refused(ctx: &Ctx, id: Uuid, r: Refusal, mut t: Typed) -> AppResult<Response> {
    let shown = r.shown()?;
    let status: StatusCode = shown.status();
    t.errors = shown.errors;
    render_status(status, &ledger_page(ctx, id, t).await?)
}

/// `POST /leiekontrakter/{id}/husleie/innbetaling`
pub async fn payment(ctx: Ctx, Id(id): Id, Form(f): Form<PaymentForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx
        .load_for_write::<LeaseRow>(Permission::ReadCases, Permission::ManageRent, id)
        .await?;
    let outcome = match f.parse(ctx.today()) {
        Ok(x) => commands::record_payment(&mut tx, ctx.actor(), &l, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(to_ledger(id, "innbetaling")),
        Err(r) => {
            let t = Typed {
                payment: f,
                adjust: AdjustForm::default(),
                failed: "payment",
                message: String::new(),
                errors: FormErrors::new(),
            };
            refused(&ctx, id, r, t).await
        }
    }
}

/// `POST /leiekontrakter/{id}/husleie/justering`: a credit, or a correction of an entry.
pub async fn adjust(ctx: Ctx, Id(id): Id, Form(f): Form<AdjustForm>) -> AppResult<Response> {
    let (mut tx, l) = ctx
        .load_for_write::<LeaseRow>(Permission::ReadCases, Permission::ManageRent, id)
        .await?;
    let outcome = match f.parse(ctx.today()) {
        Ok(x) => commands::record_adjustment(&mut tx, ctx.actor(), &l, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(to_ledger(id, "justering")),
        Err(r) => {
            let t = Typed {
                payment: PaymentForm::default(),
                adjust: f,
                failed: "adjust",
                message: String::new(),
                errors: FormErrors::new(),
            };
            refused(&ctx, id, r, t).await
        }
    }
}

/// `GET /leiekontrakter/{id}/husleie.csv`: the lease's ledger for the accounts (audited).
pub async fn export_ledger(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, l) = ctx.load::<LeaseRow>(Permission::ReadCases, id).await?;
    let m = l.municipality_id;
    let rows = repo::ledger(&mut tx, m, l.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("rent.ledger_exported")
            .municipality(m)
            .entity("lease", l.id),
    )
    .await?;
    tx.commit().await?;
    let od = |d: Option<NaiveDate>| d.map(format::date).unwrap_or_default();
    Ok(csv_export::response(
        &format!("reskontro-{}.csv", l.lease_no),
        &[
            "Kontrakt",
            "Dato",
            "Type",
            "Fra",
            "Til",
            "KID",
            "Betalt av",
            "Beløp",
            "Saldo",
            "Åpent",
            "Merknad",
            "Post",
        ],
        rows.into_iter().map(|r| {
            vec![
                l.lease_no.to_string(),
                format::date(r.applies_on),
                kind_label(&r.kind, r.charge_kind.as_deref()).to_string(),
                od(r.period_from),
                od(r.period_to),
                r.kid.unwrap_or_default(),
                r.payer
                    .as_deref()
                    .and_then(Payer::parse)
                    .map(|p| p.label().to_string())
                    .unwrap_or_default(),
                ore_csv(r.amount),
                ore_csv(r.balance),
                ore_csv(r.open),
                r.note,
                r.id.to_string(),
            ]
        }),
    ))
}
