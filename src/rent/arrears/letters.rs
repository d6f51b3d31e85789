//! The ladder's letters, written once in the letter markup from the lease and its ledger
//! in the transaction that sends them, and archived as sent (`letters::archive`).

use askama::Template;
use chrono::NaiveDate;
use uuid::Uuid;

use super::model;
use crate::applications::repo as apps;
use crate::db::Tx;
use crate::leases::repo::LeaseRow;
use crate::letters::archive::{self, Kind, Outgoing};
use crate::letters::{self, Block};
use crate::rent::ladder::{Instalment, Step};
use crate::web::error::AppResult;
use crate::web::format;

pub fn archive_kind(step: Step) -> Option<Kind> {
    match step {
        Step::Reminder => Some(Kind::ArrearsReminder),
        Step::NavNotice => Some(Kind::ArrearsNavNotice),
        Step::PaymentPlan => Some(Kind::ArrearsPaymentPlan),
        Step::Warning => Some(Kind::ArrearsWarning),
        Step::EnforcementRequest => Some(Kind::ArrearsEnforcementRequest),
        _ => None,
    }
}

pub fn title(step: Step) -> &'static str {
    match step {
        Step::Reminder => "Purring på husleie",
        Step::NavNotice => "Varsel til NAV om mislighold av leieavtale (husleieloven § 9-11)",
        Step::PaymentPlan => "Bekreftelse på betalingsplan",
        Step::Warning => "Varsel om fravikelse (tvangsfullbyrdelsesloven § 4-18)",
        Step::EnforcementRequest => "Begjæring om fravikelse",
        _ => "",
    }
}

/// What the letter says beyond the lease.
pub struct Particulars<'a> {
    pub owed: i64,
    /// The unpaid charges: (due date, open øre).
    pub charges: &'a [(NaiveDate, i64)],
    pub oldest_due: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub fee: Option<i64>,
    pub instalments: &'a [Instalment],
    pub kid: Option<String>,
    pub nav_office: &'a str,
    pub warning_on: Option<NaiveDate>,
    pub nav_on: Option<NaiveDate>,
    pub nav_refused_on: Option<NaiveDate>,
    pub note: &'a str,
}

#[derive(Template)]
#[template(path = "rent/arrears_letter.txt", escape = "none")]
struct LetterText {
    step: Step,
    title: &'static str,
    letterhead: String,
    address_lines: Vec<String>,
    phone: String,
    email: String,
    date: String,
    lease_no: i32,
    kid: String,
    recipient_lines: Vec<String>,
    tenant: String,
    unit: String,
    owed: String,
    charges: Vec<String>,
    oldest_due: String,
    deadline: String,
    fee: String,
    instalments: Vec<String>,
    warning_on: String,
    nav_on: String,
    nav_refused_on: String,
    note: Vec<String>,
    nav_notice_text: &'static str,
    nav_refusal_text: &'static str,
    warning_text: &'static str,
    avoid_text: &'static str,
    request_text: &'static str,
    plan_text: &'static str,
}

fn address(text: &str) -> Vec<String> {
    text.split(", ")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Composes the step's letter on `date` and archives it as sent in `tx`; the letter's id.
pub async fn send(
    tx: &mut Tx,
    l: &LeaseRow,
    step: Step,
    date: NaiveDate,
    sent_by: Uuid,
    p: &Particulars<'_>,
) -> AppResult<Uuid> {
    let m = l.municipality_id;
    let head = apps::letterhead(tx, m).await?;
    let address_lines = head.address_lines();
    let mut recipient_lines = match step {
        Step::NavNotice => vec![if p.nav_office.is_empty() {
            format!("NAV {}", head.postal_place).trim().to_string()
        } else {
            p.nav_office.to_string()
        }],
        Step::EnforcementRequest => vec!["Namsmannen".to_string()],
        _ => std::iter::once(l.tenant_name.clone())
            .chain(address(&l.tenant_address))
            .collect(),
    };
    recipient_lines.retain(|x| !x.is_empty());
    let day = |d: Option<NaiveDate>| d.map(format::date).unwrap_or_default();
    let t = title(step);
    let text = LetterText {
        step,
        title: t,
        letterhead: head.letterhead_name.clone(),
        address_lines,
        phone: head.phone.clone(),
        email: head.email.clone(),
        date: format::date(date),
        lease_no: l.lease_no,
        kid: p.kid.clone().unwrap_or_default(),
        recipient_lines: recipient_lines.clone(),
        tenant: l.tenant_name.clone(),
        unit: l.unit_label.clone(),
        owed: format::kroner(p.owed),
        charges: p
            .charges
            .iter()
            .map(|(d, o)| format!("Forfalt {}: {}", format::date(*d), format::kroner(*o)))
            .collect(),
        oldest_due: day(p.oldest_due),
        deadline: day(p.deadline),
        fee: p.fee.map(format::kroner).unwrap_or_default(),
        instalments: p
            .instalments
            .iter()
            .map(|i| format!("{}: {}", format::date(i.due), format::kroner(i.amount_ore)))
            .collect(),
        warning_on: day(p.warning_on),
        nav_on: day(p.nav_on),
        nav_refused_on: day(p.nav_refused_on),
        note: letters::verbatim_lines(p.note)
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect(),
        nav_notice_text: model::NAV_NOTICE_TEXT,
        nav_refusal_text: model::NAV_REFUSAL_TEXT,
        warning_text: model::WARNING_TEXT,
        avoid_text: model::AVOID_TEXT,
        request_text: model::REQUEST_TEXT,
        plan_text: model::PLAN_TEXT,
    };
    let blocks: Vec<Block> = letters::parse(&text.render()?);
    let footer = format!("{} · Leiekontrakt nr. {}", head.letterhead_name, l.lease_no);
    let mut recipient = recipient_lines.join(", ");
    if step == Step::NavNotice {
        recipient = format!("{recipient}; kopi til {}", l.tenant_name);
    }
    let kind = archive_kind(step).ok_or_else(|| {
        crate::web::error::AppError::Internal(anyhow::anyhow!("no letter for {step:?}"))
    })?;
    archive::archive(
        tx,
        m,
        Outgoing {
            kind,
            application_id: l.application_id,
            entity_type: "lease",
            entity_id: l.id,
            title: t,
            recipient: &recipient,
            channel: "letter",
            sent_on: date,
            sent_by,
            author: &head.letterhead_name,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await
}
