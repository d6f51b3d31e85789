//! The lease's letters, written once in the letter markup from the lease as it is in the
//! transaction that sends them: the contract (archived when signed, shown live before),
//! the § 11-1 notice, the § 16 advance notice, the landlord's notice and the demand to
//! move.

use askama::Template;
use chrono::NaiveDate;

use super::model::{self, Deposit};
use super::repo::{self, LeaseRow};
use crate::applications::repo as apps;
use crate::db::Tx;
use crate::letters::archive::Kind;
use crate::letters::{self, Block};
use crate::web::error::AppResult;
use crate::web::format;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetterKind {
    Contract,
    ShortTermNotice,
    AdvanceNotice,
    Notice,
    DemandToMove,
}

impl LetterKind {
    pub fn archive_kind(self) -> Kind {
        match self {
            LetterKind::Contract => Kind::LeaseContract,
            LetterKind::ShortTermNotice => Kind::ShortTermNotice,
            LetterKind::AdvanceNotice => Kind::LeaseAdvanceNotice,
            LetterKind::Notice => Kind::LeaseNotice,
            LetterKind::DemandToMove => Kind::DemandToMove,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            LetterKind::Contract => "Leiekontrakt for kommunal bolig",
            LetterKind::ShortTermNotice => "Orientering før signering (husleieloven § 11-1)",
            LetterKind::AdvanceNotice => "Forhåndsvarsel om oppsigelse",
            LetterKind::Notice => "Oppsigelse av leieforholdet",
            LetterKind::DemandToMove => "Oppfordring om å flytte",
        }
    }
}

/// What a letter says beyond the lease itself.
#[derive(Clone, Debug, Default)]
pub struct Particulars {
    pub reasons: String,
    pub respond_by: Option<NaiveDate>,
    pub effective_on: Option<NaiveDate>,
    pub move_by: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "leases/letter.txt", escape = "none")]
struct LetterText {
    kind: LetterKind,
    letterhead: String,
    address_lines: Vec<String>,
    phone: String,
    email: String,
    date: String,
    lease_no: i32,
    case_number: String,
    recipient: String,
    recipient_address: Vec<String>,
    tenant_born: String,
    co_tenants: Vec<String>,
    household: Vec<String>,
    unit_address: String,
    unit_number: String,
    type_name: String,
    rooms: i16,
    starts_on: String,
    ends_on: Option<String>,
    short_term_ground: String,
    short_term_notice_on: String,
    ground_notice: Vec<String>,
    rent: String,
    includes: String,
    deposit: String,
    eviction_clause: bool,
    house_rules_no: i32,
    house_rules_title: String,
    house_rules: Vec<String>,
    signed_place: String,
    reasons: Vec<String>,
    respond_by: String,
    effective_on: String,
    move_by: String,
    past_end: bool,
}

fn deposit_text(d: &Deposit) -> String {
    match d {
        Deposit::None => "Det er ikke avtalt depositum eller garanti.".into(),
        Deposit::Account {
            amount,
            bank,
            account,
        } => format!(
            "Leietaker betaler et depositum på {} til en egen depositumskonto i leietakers navn i {bank}, kontonummer {account} (husleieloven § 3-5). Depositumet kan ikke være mer enn seks måneders leie, og det frigis når leieforholdet er gjort opp.",
            format::kroner(*amount)
        ),
        Deposit::Guarantee {
            amount,
            guarantor,
            reference,
        } => format!(
            "Som sikkerhet for leien stiller {guarantor} en garanti på {}{} (husleieloven § 3-5).",
            format::kroner(*amount),
            if reference.is_empty() {
                String::new()
            } else {
                format!(", referanse {reference}")
            }
        ),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The letter from the lease in `tx` on `date`: (author, footer, blocks, recipient).
pub async fn compose(
    tx: &mut Tx,
    l: &LeaseRow,
    kind: LetterKind,
    date: NaiveDate,
    extra: &Particulars,
) -> AppResult<(String, String, Vec<Block>, String)> {
    let m = l.municipality_id;
    let head = apps::letterhead(tx, m).await?;
    let parties = repo::parties(tx, m, l.id).await?;
    let rules = repo::house_rules(tx, m, l.house_rules_id).await?;
    let ground_notice = match l.short_term_ground_id {
        Some(g) => repo::grounds(tx, m)
            .await?
            .into_iter()
            .find(|x| x.id == g)
            .map(|x| lines(&x.notice_text))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let rent = repo::rent_in_force(tx, m, l, date).await?;
    let mut address_lines = Vec::new();
    if !head.street_address.is_empty() {
        address_lines.push(head.street_address.clone());
    }
    let place = format!("{} {}", head.postcode, head.postal_place)
        .trim()
        .to_string();
    if !place.is_empty() {
        address_lines.push(place.clone());
    }
    let named = |role: &str| -> Vec<String> {
        parties
            .iter()
            .filter(|p| p.role == role)
            .map(|p| match p.birth_date {
                Some(b) => format!("{}, født {}", p.name, format::date(b)),
                None => p.name.clone(),
            })
            .collect()
    };
    let day = |d: Option<NaiveDate>| d.map(format::date).unwrap_or_default();
    let text = LetterText {
        kind,
        letterhead: head.letterhead_name.clone(),
        address_lines,
        phone: head.phone.clone(),
        email: head.email.clone(),
        date: format::date(date),
        lease_no: l.lease_no,
        case_number: l.case_number.clone().unwrap_or_default(),
        recipient: l.tenant_name.clone(),
        recipient_address: lines(&l.tenant_address.replace(", ", "\n")),
        tenant_born: day(l.tenant_birth_date),
        co_tenants: named("co_tenant"),
        household: named("household"),
        unit_address: l.unit_label.clone(),
        unit_number: l.unit_number.clone(),
        type_name: l.type_name.clone(),
        rooms: l.rooms,
        starts_on: format::date(l.starts_on),
        ends_on: l.ends_on.map(format::date),
        short_term_ground: l.short_term_ground.clone().unwrap_or_default(),
        short_term_notice_on: day(l.short_term_notice_on),
        ground_notice,
        rent: format::kroner(rent),
        includes: l
            .includes
            .iter()
            .map(|k| model::include_label(k).to_lowercase())
            .collect::<Vec<_>>()
            .join(", "),
        deposit: deposit_text(&l.deposit()),
        eviction_clause: l.eviction_clause,
        house_rules_no: rules.as_ref().map(|r| r.version_no).unwrap_or_default(),
        house_rules_title: rules.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
        house_rules: rules.as_ref().map(|r| lines(&r.body)).unwrap_or_default(),
        signed_place: if head.postal_place.is_empty() {
            format::date(date)
        } else {
            format!("{}, {}", head.postal_place, format::date(date))
        },
        reasons: lines(&extra.reasons),
        respond_by: day(extra.respond_by),
        effective_on: day(extra.effective_on),
        move_by: day(extra.move_by),
        past_end: l.ends_on.is_some_and(|e| e < date),
    };
    let blocks = letters::parse(&text.render()?);
    let footer = format!("{} · Leiekontrakt nr. {}", head.letterhead_name, l.lease_no);
    let recipient = std::iter::once(l.tenant_name.clone())
        .chain(text.recipient_address.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((head.letterhead_name, footer, blocks, recipient))
}

/// Composes the letter and archives it as sent in `tx`; returns the letter's id.
pub async fn send(
    tx: &mut Tx,
    l: &LeaseRow,
    kind: LetterKind,
    sent_on: NaiveDate,
    sent_by: uuid::Uuid,
    extra: &Particulars,
) -> AppResult<uuid::Uuid> {
    let (author, footer, blocks, recipient) = compose(tx, l, kind, sent_on, extra).await?;
    crate::letters::archive::archive(
        tx,
        l.municipality_id,
        crate::letters::archive::Outgoing {
            kind: kind.archive_kind(),
            application_id: l.application_id,
            entity_type: "lease",
            entity_id: l.id,
            title: kind.title(),
            recipient: &recipient,
            channel: "letter",
            sent_on,
            sent_by,
            author: &author,
            footer: &footer,
            blocks,
            texts: Vec::new(),
        },
    )
    .await
}
