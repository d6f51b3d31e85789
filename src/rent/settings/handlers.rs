//! `/innstillinger/husleie` (admins): the KID scheme and charge day, the arrears routine,
//! and the bank accounts whose OCR files import into the municipality.

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commands;
use super::model::{account_text, parse_account, AccountForm, ArrearsForm, LedgerForm};
use super::repo::{self, AccountRow};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::municipalities::views::{
    admin_target_for, posted_admin_target, ChoosePage, ForMunicipality,
};
use crate::rent::arrears::repo as arrears;
use crate::rent::ladder::{self, FeeRules};
use crate::rent::repo as ledger;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::version;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

const ADMINISTER: Permission = Permission::Administer;
const NAV: &str = "innstillinger";
const PAGE: &str = "/innstillinger/husleie";

#[derive(Template)]
#[template(path = "rent/settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub ledger: LedgerForm,
    pub ledger_errors: FormErrors,
    pub arrears: ArrearsForm,
    pub arrears_errors: FormErrors,
    pub accounts: Vec<AccountRow>,
    pub account: AccountForm,
    pub account_errors: FormErrors,
    /// The highest reminder fee the law allows today, as text.
    pub fee_cap: String,
    pub saved: bool,
}

impl SettingsPage {
    pub fn account_text(&self, a: &AccountRow) -> String {
        account_text(&a.account_no)
    }
    pub fn added(&self, a: &AccountRow) -> String {
        format::datetime(a.created_at)
    }
    pub fn fee_description(&self) -> String {
        format!(
            "Tomt: ingen gebyr. Høyst {} i år (1/10 av inkassosatsen). Tas aldri når en betalingsavtale overholdes.",
            self.fee_cap
        )
    }
    pub fn kid_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("10", "Modulus 10 (Luhn), det vanligste"),
            ("11", "Modulus 11"),
        ]
    }
}

/// The forms that were not sent, as saved.
struct Saved {
    ledger: LedgerForm,
    arrears: ArrearsForm,
}

async fn saved_forms(tx: &mut db::Tx, m: uuid::Uuid) -> AppResult<Saved> {
    let l = ledger::settings(tx, m).await?;
    let a = arrears::settings(tx, m).await?;
    Ok(Saved {
        ledger: LedgerForm {
            kid_modulus: l.kid_modulus.to_string(),
            charge_day: l.charge_day.to_string(),
            ledger_version: repo::ledger_version(tx, m).await?.to_string(),
        },
        arrears: ArrearsForm::of(&a),
    })
}

/// Which form a page shows as sent (what was typed, and its messages).
enum Sent {
    Nothing,
    Ledger(LedgerForm, FormErrors),
    Arrears(ArrearsForm, FormErrors),
    Account(AccountForm, FormErrors),
}

/// `stale`: the sent form lost to a colleague's save; it is shown with what was typed and
/// the current version, so saving again is a deliberate overwrite.
async fn page(
    ctx: &Ctx,
    m: MunicipalityRef,
    sent: Sent,
    saved: bool,
    stale: bool,
) -> AppResult<SettingsPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let forms = saved_forms(&mut tx, m.id).await?;
    let accounts = repo::accounts(&mut tx, m.id).await?;
    tx.commit().await?;
    let fee_cap = ladder::max_reminder_fee(ctx.today(), &FeeRules::default())
        .map(format::kroner)
        .unwrap_or_default();
    let mut p = SettingsPage {
        layout: Layout::new(ctx, NAV),
        m,
        ledger: forms.ledger,
        ledger_errors: FormErrors::new(),
        arrears: forms.arrears,
        arrears_errors: FormErrors::new(),
        accounts,
        account: AccountForm::default(),
        account_errors: FormErrors::new(),
        fee_cap,
        saved,
    };
    match sent {
        Sent::Nothing => {}
        Sent::Ledger(mut f, e) => {
            if stale {
                f.ledger_version = p.ledger.ledger_version.clone();
            }
            (p.ledger, p.ledger_errors) = (f, e);
        }
        Sent::Arrears(mut f, e) => {
            if stale {
                f.arrears_version = p.arrears.arrears_version.clone();
            }
            (p.arrears, p.arrears_errors) = (f, e);
        }
        Sent::Account(f, e) => (p.account, p.account_errors) = (f, e),
    }
    Ok(p)
}

fn saved(m: &MunicipalityRef, anchor: &str) -> Response {
    Redirect::to(&format!("{PAGE}?kommune={}&lagret=1#{anchor}", m.id)).into_response()
}

/// A refused form on the page again, with its messages and what was typed.
async fn refused(
    ctx: &Ctx,
    m: MunicipalityRef,
    r: Refusal,
    sent: impl FnOnce(FormErrors) -> Sent,
) -> AppResult<Response> {
    let shown = r.shown()?;
    let status = shown.status();
    let stale = status == axum::http::StatusCode::CONFLICT;
    render_status(
        status,
        &page(ctx, m, sent(shown.errors), false, stale).await?,
    )
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    lagret: String,
}

/// `GET /innstillinger/husleie`
pub async fn show(
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &target)? else {
        return render(&ChoosePage {
            layout: Layout::new(&ctx, NAV),
        });
    };
    render(&page(&ctx, m, Sent::Nothing, !q.lagret.is_empty(), false).await?)
}

/// `POST /innstillinger/husleie`: KID scheme and charge day.
pub async fn save_ledger(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(f): Form<LedgerForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse() {
        Ok(x) => {
            commands::save_ledger(&mut tx, ctx.actor(), m.id, x, version(&f.ledger_version)).await
        }
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(saved(&m, "kid")),
        Err(r) => refused(&ctx, m, r, |e| Sent::Ledger(f, e)).await,
    }
}

/// `POST /innstillinger/husleie/restanser`: the arrears routine.
pub async fn save_arrears(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(f): Form<ArrearsForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse(ctx.today()) {
        Ok(x) => {
            commands::save_arrears(&mut tx, ctx.actor(), m.id, x, version(&f.arrears_version)).await
        }
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(saved(&m, "restanser")),
        Err(r) => refused(&ctx, m, r, |e| Sent::Arrears(f, e)).await,
    }
}

/// `POST /innstillinger/husleie/kontoer`: a new rent account.
pub async fn add_account(
    ctx: Ctx,
    Query(target): Query<ForMunicipality>,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse() {
        Ok(x) => commands::add_account(&mut tx, ctx.actor(), m.id, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(saved(&m, "kontoer")),
        Err(r) => refused(&ctx, m, r, |e| Sent::Account(f, e)).await,
    }
}

/// `POST /innstillinger/husleie/kontoer/{konto}/fjern`
pub async fn remove_account(
    ctx: Ctx,
    Path(account): Path<String>,
    Query(target): Query<ForMunicipality>,
) -> AppResult<Response> {
    let m = posted_admin_target(&ctx, &target)?;
    let account = parse_account(&account).ok_or(AppError::NotFound)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = commands::remove_account(&mut tx, ctx.actor(), m.id, &account).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(saved(&m, "kontoer")),
        Err(r) => Err(r.into()),
    }
}
