//! The decision letter: built from the decision, its points and the case, as letter blocks
//! (see `crate::letters`) that become both the print-ready HTML page and the PDF.

use std::collections::HashMap;

use askama::Template;
use uuid::Uuid;

use super::model::Outcome;
use super::repo::{Decision, Point};
use crate::applications::repo::{ApplicationDetail, Letterhead};
use crate::letters::mandatory::{TextKey, Texts};
use crate::letters::{self, verbatim_lines, Block};
use crate::web::format;

pub struct LetterPoint {
    pub number: usize,
    pub kind_name: String,
    pub outcome: &'static str,
    pub description_lines: Vec<String>,
    pub dwelling_types: String,
    pub rooms: Option<i32>,
    pub lease_months: Option<i32>,
    pub ground_floor_or_lift: bool,
    pub extent: String,
    pub period: String,
    pub conditions_lines: Vec<String>,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_weeks: i32,
    pub deadline: Option<String>,
    pub lapse_notice: bool,
}

#[derive(Template)]
#[template(path = "letters/decision.txt", escape = "none")]
pub struct DecisionLetterText {
    pub letterhead: String,
    pub address_lines: Vec<String>,
    pub phone: String,
    pub email: String,
    pub date: String,
    pub case_number: String,
    pub author: String,
    pub approver: Option<String>,
    pub recipient: String,
    pub recipient_address: Vec<String>,
    pub representative: String,
    pub draft: bool,
    pub combined: bool,
    pub points: Vec<LetterPoint>,
    pub grounds_omitted: bool,
    pub grounds_rules: Vec<String>,
    pub grounds_facts: Vec<String>,
    pub grounds_considerations: Vec<String>,
    pub appeal_rights: Vec<String>,
    pub access_to_documents: Vec<String>,
    pub costs: Vec<String>,
    pub legal_aid: Vec<String>,
}

/// The mandatory texts a decision letter prints (fvl. § 27 and the texts it points to).
pub const MANDATORY: [TextKey; 4] = [
    TextKey::AppealRights,
    TextKey::AccessToDocuments,
    TextKey::Costs,
    TextKey::LegalAid,
];

pub struct Letter {
    pub title: String,
    pub footer: String,
    pub author: String,
    pub blocks: Vec<Block>,
    /// The versions of the mandatory texts it printed.
    pub texts: Vec<Uuid>,
}

pub fn build(
    d: &Decision,
    points: &[Point],
    app: &ApplicationDetail,
    head: &Letterhead,
    type_names: &HashMap<Uuid, String>,
    texts: &Texts,
    today: chrono::NaiveDate,
) -> anyhow::Result<Letter> {
    let fully_granted = !points.is_empty() && points.iter().all(|p| p.outcome == Outcome::Granted);
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
    let letter_points = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let period = match (p.period_from, p.period_to) {
                (Some(a), Some(b)) => format!("{} – {}", format::date(a), format::date(b)),
                (Some(a), None) => format!("fra {}", format::date(a)),
                (None, Some(b)) => format!("til {}", format::date(b)),
                (None, None) => String::new(),
            };
            let granted = matches!(p.outcome, Outcome::Granted | Outcome::PartlyGranted);
            LetterPoint {
                number: i + 1,
                kind_name: p.kind_name.clone(),
                outcome: p.outcome.key(),
                description_lines: verbatim_lines(&p.description),
                dwelling_types: p
                    .dwelling_type_ids
                    .iter()
                    .filter_map(|id| type_names.get(id).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
                rooms: p.rooms,
                lease_months: p.lease_months,
                ground_floor_or_lift: p.needs_ground_floor_or_lift,
                extent: p.extent.clone(),
                period,
                conditions_lines: if p.conditions.trim().is_empty() {
                    Vec::new()
                } else {
                    verbatim_lines(&p.conditions)
                },
                legal_basis: p.legal_basis.clone(),
                appeal_body: p.appeal_body.clone(),
                appeal_weeks: p.appeal_weeks,
                deadline: p.appeal_deadline.map(format::date),
                lapse_notice: p.kind_is_dwelling && granted,
            }
        })
        .collect::<Vec<_>>();
    let date = d.decided_on.unwrap_or(today);
    let text = DecisionLetterText {
        letterhead: head.letterhead_name.clone(),
        address_lines,
        phone: head.phone.clone(),
        email: head.email.clone(),
        date: format::date(date),
        case_number: app.case_number.clone(),
        author: d.author_name.clone(),
        approver: d
            .approver_name
            .clone()
            .filter(|_| d.approver_id != Some(d.author_id)),
        recipient: app.applicant_name.clone(),
        recipient_address,
        representative: d.representative.clone(),
        draft: d.status != super::model::Status::Sent,
        combined: points.len() >= 2,
        points: letter_points,
        grounds_omitted: fully_granted && d.no_objection_expected,
        grounds_rules: verbatim_lines(&d.grounds_rules),
        grounds_facts: verbatim_lines(&d.grounds_facts),
        grounds_considerations: verbatim_lines(&d.grounds_considerations),
        appeal_rights: texts.lines(TextKey::AppealRights, &head.letterhead_name),
        access_to_documents: texts.lines(TextKey::AccessToDocuments, &head.letterhead_name),
        costs: texts.lines(TextKey::Costs, &head.letterhead_name),
        legal_aid: texts.lines(TextKey::LegalAid, &head.letterhead_name),
    };
    let blocks = letters::parse(&text.render()?);
    Ok(Letter {
        title: if points.len() >= 2 {
            "Samlevedtak".into()
        } else {
            "Vedtak".into()
        },
        footer: format!("{} · Saksnummer {}", head.letterhead_name, app.case_number),
        author: head.letterhead_name.clone(),
        blocks,
        texts: texts.ids(&MANDATORY),
    })
}

/// The sender's address lines under the letterhead.
pub fn sender_lines(head: &Letterhead) -> Vec<String> {
    let place = format!("{} {}", head.postcode, head.postal_place);
    [head.street_address.trim(), place.trim()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The applicant's address lines (without the name).
pub fn recipient_lines(app: &ApplicationDetail) -> Vec<String> {
    let place = format!("{} {}", app.applicant_postcode, app.applicant_postal_place);
    [app.applicant_street_address.trim(), place.trim()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "Name, street, postcode place": the recipient as the archive lists it.
pub fn recipient_summary(app: &ApplicationDetail) -> String {
    std::iter::once(app.applicant_name.trim().to_owned())
        .chain(recipient_lines(app))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The decision's letter as its data stands in `conn` (a draft's preview, or the letter
/// being sent), and its recipient line.
pub async fn compose(
    conn: &mut sqlx::PgConnection,
    d: &super::repo::Decision,
    today: chrono::NaiveDate,
) -> crate::web::error::AppResult<(Letter, String)> {
    use crate::applications::repo as apps;
    use crate::dwellings::repo::{self as dwellings, ListKind};
    let m = d.municipality_id;
    let app = apps::application(conn, &[m], d.application_id)
        .await?
        .ok_or(crate::web::error::AppError::NotFound)?;
    let points = super::repo::points(conn, m, d.id).await?;
    let head = apps::letterhead(conn, m).await?;
    let types = dwellings::list_items(conn, ListKind::Types, &[m], true).await?;
    let names: std::collections::HashMap<uuid::Uuid, String> =
        types.into_iter().map(|t| (t.id, t.name)).collect();
    let texts = crate::letters::mandatory::current(conn, m).await?;
    let l = build(d, &points, &app, &head, &names, &texts, today)?;
    let recipient = [
        app.applicant_name.clone(),
        app.applicant_street_address.clone(),
        format!("{} {}", app.applicant_postcode, app.applicant_postal_place),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    Ok((l, recipient))
}
