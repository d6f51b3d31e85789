//! The ranking of the waiting applicants for one unit, and how a candidate reads: what the
//! candidates page, the offer command and meeting mode share.

use std::sync::Arc;

use super::cache::WaitingCache;
use super::model;
use super::ranking::{self, Candidate, Excluded, Household};
use super::repo::{self, UnitFacts, VersionRow, WaitingRow};
use crate::db::Tx;
use crate::dwellings::model::Status as UnitStatus;

/// The rules in force, the ranked candidates, the excluded, and the facts they came from.
pub type Ranked = (
    VersionRow,
    Vec<Candidate>,
    Vec<Excluded>,
    Arc<Vec<WaitingRow>>,
);

/// The ranking for a unit from fresh data (before a write: an offer, a conclusion).
pub async fn rank(tx: &mut Tx, u: &UnitFacts, today: chrono::NaiveDate) -> sqlx::Result<Ranked> {
    let rows = Arc::new(repo::waiting(&mut *tx, &[u.municipality_id], None).await?);
    rank_among(tx, u, rows, today).await
}

/// The ranking for a unit for a page that only shows it: the waiting applicants' facts
/// may come from the cache (valid for this transaction's snapshot).
pub async fn rank_for_reading(
    tx: &mut Tx,
    cache: &WaitingCache,
    u: &UnitFacts,
    today: chrono::NaiveDate,
) -> sqlx::Result<Ranked> {
    let rows = super::cache::waiting(&mut *tx, cache, u.municipality_id).await?;
    rank_among(tx, u, rows, today).await
}

async fn rank_among(
    tx: &mut Tx,
    u: &UnitFacts,
    rows: Arc<Vec<WaitingRow>>,
    today: chrono::NaiveDate,
) -> sqlx::Result<Ranked> {
    let rules = repo::rules_now(tx, u.municipality_id, today).await?;
    let (c, e) = ranking::rank_for_unit(
        &u.unit(),
        &rules.criteria.0,
        &rules.room_norms.0,
        rules.wish_policy.0,
        rows.iter().map(WaitingRow::applicant).collect(),
        today,
    );
    Ok((rules, c, e, rows))
}

/// Statuses in which a unit can be offered: vacant now or becoming vacant.
pub fn offerable(u: &UnitFacts) -> bool {
    matches!(u.status, UnitStatus::Vacant | UnitStatus::NoticeGiven)
        || (matches!(u.status, UnitStatus::Let | UnitStatus::Maintenance)
            && u.expected_vacant_from.is_some())
}

pub fn household_text(h: Household, adults: i32, children: i32, visiting: i32) -> String {
    let mut s = model::household_label(h).to_string();
    let mut parts = vec![format!(
        "{adults} {}",
        if adults == 1 { "voksen" } else { "voksne" }
    )];
    if children > 0 {
        parts.push(format!("{children} barn"));
    }
    if visiting > 0 {
        parts.push(format!("{visiting} på samvær"));
    }
    s.push_str(&format!(" ({})", parts.join(", ")));
    s
}

pub fn breakdown_text(b: &[(String, i32)]) -> String {
    b.iter()
        .filter(|(_, p)| *p != 0)
        .map(|(n, p)| format!("{n}: {p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adults_are_counted_in_correct_norwegian() {
        assert!(household_text(Household::Single, 1, 0, 0).contains("(1 voksen)"));
        assert!(household_text(Household::Couple, 2, 0, 0).contains("(2 voksne)"));
    }
}
