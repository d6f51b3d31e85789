//! The arrears follow-up's changes, one function each: take a step of the ladder on a
//! lease in arrears (with its letter, archived as sent, and for a reminder the optional
//! fee as a ledger entry), and record the tenant's written refusal of the notice to NAV.
//! The ladder's rules are `rent::ladder`; the case they judge is read here from the
//! database ([`case_state`]). Each command checks, writes, audits and never commits.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::letters::{self, Particulars};
use super::model::{self, StepInput};
use super::repo::{self, CaseRow, LedgerState, NewStep, StepRow};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::Tx;
use crate::leases::repo::LeaseRow;
use crate::rent::ladder::{self, FeeRules, Instalment, PaymentPlan, PlanState, Step, Taken};
use crate::rent::repo as ledger;
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::refusal::{on_constraint, Outcome, Refusal};

pub const NO_FEE_SETTING: &str = "Kommunen har ikke satt et purregebyr.";
pub const NO_CASE: &str =
    "Det er ingen åpen restansesak på leieforholdet. Registrer purring først.";

/// A lease's arrears case as the ladder sees it on `today`.
#[derive(Clone, Debug)]
pub struct CaseState {
    /// The open case, when it is current (opened after the lease last owed nothing).
    pub case: Option<CaseRow>,
    /// An open case the arrears were paid in full since: closed by the next step.
    pub paid_case: Option<CaseRow>,
    pub steps: Vec<StepRow>,
    pub ledger: LedgerState,
    /// The case's payment plan: (agreed on, instalments).
    pub plan: Option<PaymentPlan>,
    pub ladder: ladder::Case,
    /// The municipality's arrears settings, and so the ladder's rules for this case.
    pub settings: repo::Settings,
}

impl CaseState {
    pub fn plan_state(&self) -> Option<PlanState> {
        self.ladder.plan
    }
}

/// Reads the lease's case, its steps and plan, and the ledger facts, as `ladder::Case`.
/// `lock` locks the open case's row for the transaction (a command's read).
pub async fn case_state(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    today: NaiveDate,
    lock: bool,
) -> sqlx::Result<CaseState> {
    let settings = repo::settings(conn, m).await?;
    let led = repo::ledger_state(conn, m, lease, today).await?;
    let open = repo::open_case(conn, m, lease, lock).await?;
    let steps_of_open = match &open {
        Some(c) => repo::steps(conn, m, c.id).await?,
        None => Vec::new(),
    };
    // A case the arrears were paid in full since is over, except that once eviction was
    // requested the payment is what avoided it: the case stays current, with its history,
    // while nothing is owed, so "avoided" can be recorded on it (`ladder::bounds` allows
    // only that step then).
    let requested = steps_of_open
        .iter()
        .any(|s| s.step == "enforcement_request");
    let (case, paid_case, steps) = match open {
        Some(c) if requested && led.outstanding <= 0 => (Some(c), None, steps_of_open),
        Some(c) if led.last_clear.is_some_and(|d| c.opened_on <= d) || led.outstanding <= 0 => {
            (None, Some(c), Vec::new())
        }
        other => (other, None, steps_of_open),
    };
    let mut plan = None;
    let mut state = None;
    if let Some(p) = steps.iter().find(|s| s.step == "payment_plan") {
        let instalments = repo::instalments(conn, m, p.id).await?;
        let pp = PaymentPlan {
            agreed_on: p.taken_on,
            instalments,
        };
        let paid = repo::payments_since(conn, m, lease, p.taken_on, today).await?;
        state = Some(ladder::plan_state(&pp, &paid, today, &settings.rules()));
        plan = Some(pp);
    }
    let history = steps
        .iter()
        .filter_map(|s| {
            model::parse_step(&s.step).map(|step| Taken {
                step,
                on: s.taken_on,
                copy_to_tenant: s.copy_to_tenant,
            })
        })
        .collect();
    let ladder = ladder::Case {
        history,
        outstanding_ore: led.outstanding,
        oldest_unpaid_due: led.oldest_unpaid_due,
        nav_refused_on: case.as_ref().and_then(|c| c.nav_refused_on),
        plan: state,
    };
    Ok(CaseState {
        case,
        paid_case,
        steps,
        ledger: led,
        plan,
        ladder,
        settings,
    })
}

fn may_manage(actor: &Actor<'_>, m: Uuid) -> Outcome<()> {
    if actor.may(Permission::ManageRent, m) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

const CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("rent_arrears_steps_once_key", "step", model::STEP_TAKEN),
    ("rent_arrears_steps_order", "step", model::OUT_OF_ORDER),
    (
        "rent_arrears_steps_case_open",
        "taken_on",
        model::NOT_IN_ARREARS,
    ),
    ("rent_arrears_cases_open_key", "step", model::STEP_TAKEN),
];

/// Takes a step of the ladder on the lease: refused with `ladder::check`'s reason next to
/// the date when too early (or without the step it needs), a plan checked with
/// `validate_plan`, a reminder fee with `check_reminder_fee`. Sends and archives the
/// step's letter. Returns the step's id.
pub async fn take_step(
    tx: &mut Tx,
    actor: Actor<'_>,
    lease: &LeaseRow,
    x: StepInput,
) -> Outcome<Uuid> {
    let m = lease.municipality_id;
    may_manage(&actor, m)?;
    // Steps and the fee entry change what the ledger and the case say: one writer at a time.
    ledger::lock_ledger(tx, m).await?;
    let today = actor.today;
    let st = case_state(tx, m, lease.id, today, true).await?;
    if x.version != st.case.as_ref().map(|c| c.version) {
        return Err(Refusal::Stale);
    }
    if model::sends_letter(x.step) && x.taken_on != today {
        return Err(Refusal::field("taken_on", model::LETTER_TODAY));
    }
    let rules = st.settings.rules();
    let taken = Taken {
        step: x.step,
        on: x.taken_on,
        copy_to_tenant: x.step == Step::NavNotice,
    };
    ladder::check(&st.ladder, &taken, &rules).map_err(|r| Refusal::field("taken_on", r.message))?;
    // An eviction is carried out on the day set for it, not before.
    if x.step == Step::CarriedOut {
        let set_for = st
            .steps
            .iter()
            .filter(|s| s.step == model::step_key(Step::EvictionDate))
            .filter_map(|s| s.eviction_on)
            .max();
        if let Some(day) = set_for.filter(|d| x.taken_on < *d) {
            return Err(Refusal::field(
                "taken_on",
                format!(
                    "Utkastelsen er berammet til {}; den kan ikke registreres som gjennomført før den dagen.",
                    crate::web::format::date(day)
                ),
            ));
        }
    }
    let settings = &st.settings;
    if x.step == Step::PaymentPlan {
        let plan = PaymentPlan {
            agreed_on: x.taken_on,
            instalments: x.instalments.clone(),
        };
        let errors = ladder::validate_plan(&plan, st.ledger.outstanding);
        if let Some((_, message)) = errors.into_iter().next() {
            return Err(Refusal::field("instalments", message));
        }
    }
    let mut fee = None;
    if x.step == Step::Reminder && x.fee {
        let amount = settings
            .reminder_fee
            .ok_or_else(|| Refusal::field("fee", NO_FEE_SETTING))?;
        let due = st.ledger.oldest_unpaid_due.unwrap_or(x.taken_on);
        let charged = st.steps.iter().filter(|s| s.fee_entry_id.is_some()).count() as u32;
        let kept = matches!(st.ladder.plan, Some(PlanState::Kept));
        ladder::check_reminder_fee(amount, due, x.taken_on, charged, kept, &FeeRules::default())
            .map_err(|r| Refusal::field("fee", r.message))?;
        fee = Some(amount);
    }

    // The case: a case paid in full since it opened is closed; a first step opens one.
    if let Some(old) = &st.paid_case {
        let on = st.ledger.last_clear.unwrap_or(today);
        repo::close_case(tx, m, old.id, on, "paid").await?;
    }
    let case_id = match &st.case {
        Some(c) => {
            if !repo::update_case(tx, m, c.id, c.version, Some(actor.user.id), None).await? {
                return Err(Refusal::Stale);
            }
            c.id
        }
        None => {
            let id = Uuid::now_v7();
            repo::insert_case(tx, m, id, lease.id, x.taken_on, actor.user.id)
                .await
                .map_err(|e| on_constraint(e, CONSTRAINTS))?;
            id
        }
    };

    let fee_entry_id = match fee {
        Some(amount) => {
            let id = Uuid::now_v7();
            let entry = ledger::NewEntry {
                id,
                lease_id: lease.id,
                kind: "fee",
                charge_kind: None,
                amount,
                applies_on: x.taken_on,
                kid: ledger::kid_of(tx, m, lease.id).await?,
                payer: None,
                corrects_id: None,
                settles_first: None,
                note: "Purregebyr".into(),
                created_by: Some(actor.user.id),
                import_line_id: None,
                idempotency_key: None,
            };
            ledger::insert_entry(tx, m, &entry).await?;
            ledger::settle(tx, m, Some(&[lease.id])).await?;
            Some(id)
        }
        None => None,
    };

    let letter_id = if model::sends_letter(x.step) {
        let rows = ledger::ledger(tx, m, lease.id).await?;
        let charges: Vec<(NaiveDate, i64)> = rows
            .iter()
            .filter(|r| r.amount > 0 && r.open > 0 && r.applies_on <= today)
            .map(|r| (r.applies_on, r.open))
            .collect();
        let latest = |s: Step| {
            st.ladder
                .history
                .iter()
                .filter(|t| t.step == s)
                .map(|t| t.on)
                .max()
        };
        let deadline = match x.step {
            Step::Reminder => Some(x.taken_on + chrono::Days::new(rules.reminder_deadline_days)),
            Step::Warning => Some(x.taken_on + chrono::Days::new(rules.warning_days)),
            _ => None,
        };
        let p = Particulars {
            owed: st.ledger.outstanding + fee.unwrap_or(0),
            charges: &charges,
            oldest_due: st.ledger.oldest_unpaid_due,
            deadline,
            fee,
            instalments: &x.instalments,
            kid: ledger::kid_of(tx, m, lease.id).await?,
            nav_office: &settings.nav_office,
            warning_on: latest(Step::Warning),
            nav_on: latest(Step::NavNotice),
            nav_refused_on: st.ladder.nav_refused_on,
            note: &x.note,
        };
        Some(letters::send(tx, lease, x.step, x.taken_on, actor.user.id, &p).await?)
    } else {
        None
    };

    let id = Uuid::now_v7();
    repo::insert_step(
        tx,
        m,
        &NewStep {
            id,
            case_id,
            lease_id: lease.id,
            step: model::step_key(x.step),
            taken_on: x.taken_on,
            user: actor.user.id,
            letter_id,
            copy_to_tenant: x.step == Step::NavNotice,
            eviction_on: x.eviction_on,
            fee_entry_id,
            note: &x.note,
        },
    )
    .await
    .map_err(|e| on_constraint(e, CONSTRAINTS))?;
    if x.step == Step::PaymentPlan {
        repo::insert_instalments(tx, m, id, &x.instalments).await?;
    }
    match x.step {
        Step::CarriedOut => repo::close_case(tx, m, case_id, x.taken_on, "carried_out").await?,
        Step::Avoided => repo::close_case(tx, m, case_id, x.taken_on, "avoided").await?,
        _ => {}
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent.arrears_step_taken")
            .municipality(m)
            .entity("lease", lease.id)
            .details(serde_json::json!({
                "case": case_id, "step": model::step_key(x.step), "taken_on": x.taken_on,
                "letter": letter_id, "fee": fee, "instalments": x.instalments.len(),
            })),
    )
    .await?;
    Ok(id)
}

/// Records the day the tenant refused in writing that NAV be notified (husleieloven
/// § 9-11); from then the ladder refuses a notice to NAV, and the request for eviction
/// does not need one.
pub async fn record_nav_refusal(
    tx: &mut Tx,
    actor: Actor<'_>,
    lease: &LeaseRow,
    refused_on: NaiveDate,
    version: Option<i32>,
) -> Outcome<()> {
    let m = lease.municipality_id;
    may_manage(&actor, m)?;
    let st = case_state(tx, m, lease.id, actor.today, true).await?;
    let Some(case) = st.case else {
        return Err(Refusal::field("refused_on", NO_CASE));
    };
    if version != Some(case.version)
        || !repo::update_case(tx, m, case.id, case.version, None, Some(refused_on)).await?
    {
        return Err(Refusal::Stale);
    }
    audit::record(
        tx,
        &actor,
        Event::new("rent.arrears_nav_refused")
            .municipality(m)
            .entity("lease", lease.id)
            .details(serde_json::json!({ "case": case.id, "refused_on": refused_on })),
    )
    .await?;
    Ok(())
}

/// The plan's instalments for display.
pub fn instalments_of(plan: &Option<PaymentPlan>) -> &[Instalment] {
    plan.as_ref()
        .map(|p| p.instalments.as_slice())
        .unwrap_or(&[])
}
