//! The offer letter: written from the offer, the case and the unit, archived when the
//! offer is made and shown live until then.

use askama::Template;

use super::model::OfferStatus;
use super::repo::{self, OfferRow};
use crate::applications::repo as apps;
use crate::db::Tx;
use crate::letters::{self, Block};
use crate::web::error::{AppError, AppResult};
use crate::web::format;

#[derive(Template)]
#[template(path = "allocation/offer_letter.txt", escape = "none")]
pub struct OfferLetterText {
    pub letterhead: String,
    pub address_lines: Vec<String>,
    pub date: String,
    pub case_number: String,
    pub recipient: String,
    pub recipient_address: Vec<String>,
    pub unit_address: String,
    pub type_name: String,
    pub rooms: i16,
    pub floor: String,
    pub rent: String,
    pub lease_months: i32,
    pub answer_due: String,
    pub decline_limit: i32,
    pub declines: usize,
    pub phone: String,
    pub email: String,
}

/// The offer letter from the data in `tx`: (author, footer, blocks, recipient).
pub async fn compose(tx: &mut Tx, o: &OfferRow) -> AppResult<(String, String, Vec<Block>, String)> {
    let m = o.municipality_id;
    let app = apps::application(tx, &[m], o.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let u = repo::unit(tx, &[m], o.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = apps::letterhead(tx, m).await?;
    let rules = repo::version(tx, m, o.rule_version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = repo::offers_of_application(tx, m, o.application_id).await?;
    let mut address_lines = Vec::new();
    if !head.street_address.is_empty() {
        address_lines.push(head.street_address.clone());
    }
    let place = format!("{} {}", head.postcode, head.postal_place)
        .trim()
        .to_string();
    if !place.is_empty() {
        address_lines.push(place);
    }
    let mut recipient_address = Vec::new();
    if !app.applicant_street_address.is_empty() {
        recipient_address.push(app.applicant_street_address.clone());
    }
    let rplace = format!("{} {}", app.applicant_postcode, app.applicant_postal_place)
        .trim()
        .to_string();
    if !rplace.is_empty() {
        recipient_address.push(rplace);
    }
    let text = OfferLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines,
        date: format::date(o.offered_on),
        case_number: app.case_number.clone(),
        recipient: app.applicant_name.clone(),
        recipient_address,
        unit_address: u.address(),
        type_name: u.type_name.clone(),
        rooms: u.rooms,
        floor: u.floor.map(|f| f.to_string()).unwrap_or_default(),
        rent: o.monthly_rent.map(format::kroner).unwrap_or_default(),
        lease_months: o.lease_months,
        answer_due: format::date(o.answer_due),
        decline_limit: rules.decline_limit,
        declines: history
            .iter()
            .filter(|h| h.status() == OfferStatus::Declined && h.id != o.id)
            .count(),
        phone: head.phone.clone(),
        email: head.email.clone(),
    };
    let blocks = letters::parse(&text.render()?);
    let footer = format!("{} · Saksnummer {}", head.letterhead_name, app.case_number);
    let recipient = std::iter::once(app.applicant_name.clone())
        .chain(text.recipient_address.iter().cloned())
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((head.letterhead_name, footer, blocks, recipient))
}
