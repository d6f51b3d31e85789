//! Changes to the rent settings, one function each: check, change, audit, never commit.

use uuid::Uuid;

use super::model::{account_text, AccountInput, LedgerInput};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::rent::arrears::repo::{self as arrears, Settings as ArrearsSettings};
use crate::rent::repo as ledger;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

fn administer(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::Administer, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// The KID scheme (for KIDs issued from now on) and the day the charge job runs.
pub async fn save_ledger(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    x: LedgerInput,
    version: i32,
) -> Outcome<()> {
    administer(&actor, m)?;
    let before = ledger::settings(tx, m).await?;
    if !repo::save_ledger(tx, m, x, version).await? {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent_settings.saved")
            .municipality(m)
            .details(serde_json::json!({
                "before": { "kid_modulus": before.kid_modulus, "charge_day": before.charge_day },
                "after": { "kid_modulus": x.kid_modulus.to_db(), "charge_day": x.charge_day },
            })),
    )
    .await?;
    Ok(())
}

/// The arrears routine: reminder fee, NAV office and the municipality's own periods.
pub async fn save_arrears(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    x: ArrearsSettings,
    version: i32,
) -> Outcome<()> {
    administer(&actor, m)?;
    let before = arrears::settings(tx, m).await?;
    if !arrears::save_settings(tx, m, &x, version).await? {
        return Err(Refusal::Stale);
    }
    let shown = |s: &ArrearsSettings| {
        serde_json::json!({
            "reminder_fee": s.reminder_fee, "nav_office": s.nav_office,
            "reminder_after_due_days": s.reminder_after_due_days,
            "reminder_deadline_days": s.reminder_deadline_days,
            "require_nav_notice": s.require_nav_notice,
            "instalment_grace_days": s.instalment_grace_days,
        })
    };
    audit::record(
        tx,
        &actor,
        Event::new("rent_arrears_settings.saved")
            .municipality(m)
            .details(serde_json::json!({ "before": shown(&before), "after": shown(&x) })),
    )
    .await?;
    Ok(())
}

pub const ACCOUNT_HERE: &str = "Kontoen er allerede registrert.";
pub const ACCOUNT_ELSEWHERE: &str = "Kontoen er registrert på en annen kommune. En konto kan bare høre til én kommune, fordi det er kontoen som viser hvilken kommune en innbetaling gjelder.";

/// Registers a bank account the municipality's rent is paid to: files for it import here.
pub async fn add_account(tx: &mut Tx, actor: Actor<'_>, m: Uuid, x: AccountInput) -> Outcome<()> {
    administer(&actor, m)?;
    const KEYS: &[(&str, &str, &str)] = &[
        ("rent_bank_accounts_pkey", "account_no", ACCOUNT_HERE),
        (
            "rent_bank_account_claims_pkey",
            "account_no",
            ACCOUNT_ELSEWHERE,
        ),
    ];
    repo::insert_account(tx, m, &x.account_no, &x.label, actor.user.id)
        .await
        .map_err(|e| on_constraint(e, KEYS))?;
    audit::record(
        tx,
        &actor,
        Event::new("rent_account.added").municipality(m).details(
            serde_json::json!({ "account": account_text(&x.account_no), "label": x.label }),
        ),
    )
    .await?;
    Ok(())
}

/// Removes an account: its files no longer import here (those imported stay). An account
/// the municipality does not have (another's, or one removed already) is not found.
pub async fn remove_account(
    tx: &mut Tx,
    actor: Actor<'_>,
    m: Uuid,
    account_no: &str,
) -> Outcome<()> {
    administer(&actor, m)?;
    if !repo::delete_account(tx, m, account_no).await? {
        return Err(AppError::NotFound.into());
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent_account.removed")
            .municipality(m)
            .details(serde_json::json!({ "account": account_text(account_no) })),
    )
    .await?;
    Ok(())
}
