//! Forwarding an upheld appeal to its appeal body (fvl. § 33 fourth paragraph) and that
//! body's outcome, per appeal body: the points of a samlevedtak may go to different bodies
//! (kommunal klagenemnd, Statsforvalteren). Each body gets its own forwarding letter
//! (oversendelsesbrev, copy to the party, archived) and gives its own outcome; the appeal
//! is finished when every body has given its outcome.

use askama::Template;
use axum::extract::Form;
use axum::response::Response;
use chrono::NaiveDate;
use uuid::Uuid;

use super::appeals::{appeal_path, finish, load};
use super::commands;
use super::forms::{field, Fields};
use super::repo::AppealPoint;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;
use crate::web::extract::{version, Id};

/// The appealed points that go to one appeal body, and where they stand.
#[derive(Clone, Debug)]
pub struct BodyGroup {
    pub body: String,
    pub points: Vec<AppealPoint>,
}

impl BodyGroup {
    pub fn point_ids(&self) -> Vec<Uuid> {
        self.points.iter().map(|p| p.point_id).collect()
    }
    pub fn positions(&self) -> String {
        self.points
            .iter()
            .map(|p| format!("punkt {} ({})", p.position, p.kind_name))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn first(&self) -> Option<&AppealPoint> {
        self.points.first()
    }
    pub fn forwarded_on(&self) -> Option<NaiveDate> {
        self.first().and_then(|p| p.forwarded_on)
    }
    pub fn letter_id(&self) -> Option<Uuid> {
        self.first().and_then(|p| p.forwarding_letter_id)
    }
    pub fn outcome(&self) -> Option<String> {
        self.first().and_then(|p| p.body_outcome.clone())
    }
    pub fn outcome_on(&self) -> Option<NaiveDate> {
        self.first().and_then(|p| p.body_outcome_on)
    }
    pub fn outcome_note(&self) -> String {
        self.first()
            .map(|p| p.body_outcome_note.clone())
            .unwrap_or_default()
    }
    pub fn is_forwarded(&self) -> bool {
        self.forwarded_on().is_some()
    }
    pub fn is_decided(&self) -> bool {
        self.outcome().is_some()
    }
}

/// Groups the appealed points by their appeal body, in point order.
pub fn groups(points: Vec<AppealPoint>) -> Vec<BodyGroup> {
    let mut out: Vec<BodyGroup> = Vec::new();
    for p in points {
        match out.iter_mut().find(|g| g.body == p.appeal_body) {
            Some(g) => g.points.push(p),
            None => out.push(BodyGroup {
                body: p.appeal_body.clone(),
                points: vec![p],
            }),
        }
    }
    out
}

/// The group the form is about: the one named by `body`, or the only one that `pending`
/// accepts when the form names none.
pub(super) fn chosen(
    groups: &[BodyGroup],
    body: &str,
    pending: impl Fn(&BodyGroup) -> bool,
) -> Option<BodyGroup> {
    if body.is_empty() {
        let open: Vec<&BodyGroup> = groups.iter().filter(|g| pending(g)).collect();
        return match open.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        };
    }
    groups.iter().find(|g| g.body == body).cloned()
}

#[derive(Template)]
#[template(path = "letters/forwarding.txt", escape = "none")]
pub(super) struct ForwardingLetterText {
    pub(super) letterhead: String,
    pub(super) address_lines: Vec<String>,
    pub(super) date: String,
    pub(super) case_number: String,
    pub(super) author: String,
    pub(super) body: String,
    pub(super) party: String,
    pub(super) party_address: Vec<String>,
    pub(super) representative: String,
    pub(super) appellant: String,
    pub(super) received_on: String,
    pub(super) decided_on: String,
    pub(super) points: Vec<String>,
    pub(super) late: bool,
    pub(super) timeliness: String,
    pub(super) reason_lines: Vec<String>,
    pub(super) note_lines: Vec<String>,
    pub(super) access_to_documents: Vec<String>,
}

/// § 33: the unit upholds its decision and forwards the appeal, one appeal body at a time,
/// each with its own forwarding letter.
pub async fn forward(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, a) = load(&ctx, id).await?;
    let input = commands::appeals::Forward {
        version: version(field(&f, "version")),
        body: field(&f, "body"),
        date: field(&f, "date"),
        note: field(&f, "forwarding_note"),
    };
    let outcome = commands::appeals::forward(&mut tx, ctx.actor(), &a, input).await;
    finish(&ctx, id, f, tx, outcome, |()| {
        format!("{}?melding=oversendt", appeal_path(id))
    })
    .await
}

/// The most far-reaching of the bodies' outcomes, for the appeal as a whole.
pub(super) fn overall(outcomes: &[String]) -> &'static str {
    if outcomes.iter().any(|o| o == "reversed") {
        "reversed"
    } else if outcomes.iter().any(|o| o == "sent_back") {
        "sent_back"
    } else {
        "upheld"
    }
}

/// One appeal body's outcome, and what follows from it: reversed → a new decision is
/// drafted to implement it; sent back → the case is assessed again. The appeal is closed
/// when every body has given its outcome.
pub async fn outcome(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let (mut tx, a) = load(&ctx, id).await?;
    let input = commands::appeals::BodyOutcome {
        version: version(field(&f, "version")),
        body: field(&f, "body"),
        outcome: field(&f, "body_outcome"),
        date: field(&f, "date"),
        note: field(&f, "body_outcome_note"),
    };
    let outcome = commands::appeals::outcome(&mut tx, ctx.actor(), &a, input).await;
    finish(&ctx, id, f, tx, outcome, |target| target).await
}
