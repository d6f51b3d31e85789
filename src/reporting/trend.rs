//! The arrears trend: what was owed at each of the last twelve month ends, by the
//! definition of `rent::arrears::repo::figures` (positive net balances of the leases).
//! Balances at a past month end come from the whole ledger (`repo::net_arrears_at`, one
//! pass), too much to read per request; past month ends hardly change, so they are
//! computed once a day per municipality and kept in this process.
//! Today's point is not cached: the page adds it live by the same definition (net balances
//! by lease, positive ones counted: `repo::net_arrears_today`).
//! A payment entered today with an earlier date shows in the past points tomorrow.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, Days, Months, NaiveDate};
use uuid::Uuid;

use crate::db::Tx;
use crate::web::error::AppResult;

/// (database, municipality): several test servers share one process.
type Key = (String, Uuid);
/// A month end, the øre owed then, and the leases in arrears.
pub type Point = (NaiveDate, i64, i64);
/// The day computed, and its points.
type Points = (NaiveDate, Vec<Point>);

fn cache() -> &'static Mutex<HashMap<Key, Points>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Points>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The month ends after a year ago and before today, summed over `visible`.
pub async fn past_month_ends(
    tx: &mut Tx,
    database: &str,
    visible: &[Uuid],
    today: NaiveDate,
) -> AppResult<Vec<Point>> {
    let mut points: Vec<(Uuid, Vec<Point>)> = Vec::new();
    let mut missing = Vec::new();
    {
        let c = cache().lock().unwrap_or_else(|e| e.into_inner());
        for m in visible {
            match c.get(&(database.to_string(), *m)) {
                Some((day, p)) if *day == today => points.push((*m, p.clone())),
                _ => missing.push(*m),
            }
        }
    }
    if !missing.is_empty() {
        let start = today.checked_sub_months(Months::new(12)).unwrap_or(today);
        // The month ends after a year ago and before today.
        let ends: Vec<NaiveDate> = (1..=12)
            .filter_map(|k| start.checked_add_months(Months::new(k)))
            .filter_map(|d| {
                NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
                    .and_then(|f| f.checked_sub_days(Days::new(1)))
            })
            .filter(|d| *d > start && *d < today)
            .collect();
        let owed: HashMap<(Uuid, NaiveDate), (i64, i64)> =
            super::repo::net_arrears_at(tx, &missing, &ends)
                .await?
                .into_iter()
                .map(|(m, d, o, t)| ((m, d), (o, t)))
                .collect();
        // Every month end for every municipality, 0 where nothing was owed.
        let mut fresh: HashMap<Uuid, Vec<Point>> = missing
            .iter()
            .map(|m| {
                let p = ends
                    .iter()
                    .map(|d| {
                        let (o, t) = owed.get(&(*m, *d)).copied().unwrap_or((0, 0));
                        (*d, o, t)
                    })
                    .collect();
                (*m, p)
            })
            .collect();
        let mut c = cache().lock().unwrap_or_else(|e| e.into_inner());
        // Yesterday's entries are worth nothing today.
        c.retain(|_, (day, _)| *day == today);
        for m in missing {
            let p = fresh.remove(&m).unwrap_or_default();
            c.insert((database.to_string(), m), (today, p.clone()));
            points.push((m, p));
        }
    }
    let mut by_day: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for (_, p) in points {
        for (d, o, t) in p {
            let e = by_day.entry(d).or_default();
            e.0 += o;
            e.1 += t;
        }
    }
    Ok(by_day.into_iter().map(|(d, (o, t))| (d, o, t)).collect())
}
