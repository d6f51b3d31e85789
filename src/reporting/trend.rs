//! The arrears trend: what was owed at each of the last twelve month ends. Balances at a
//! past month end come from the whole ledger (`rent::arrears::repo::figures` sums every
//! entry up to each month end), far too much to read per request; past month ends hardly
//! change, so they are computed once a day per municipality and kept in this process.
//! Today's point is not cached: the page adds it live by the same definition (net balances
//! by lease, positive ones counted: `repo::net_arrears_today`).
//! A payment entered today with an earlier date shows in the past points tomorrow.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, Months, NaiveDate};
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
        let mut fresh: HashMap<Uuid, Vec<Point>> = HashMap::new();
        for year in start.year()..=today.year() {
            for f in crate::rent::arrears::repo::figures(tx, &missing, year, today).await? {
                let p = fresh.entry(f.municipality_id).or_default();
                for ((d, o), t) in f.month_ends.iter().zip(&f.owed).zip(&f.tenants) {
                    if *d > start && *d < today {
                        p.push((*d, *o, *t));
                    }
                }
            }
        }
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
