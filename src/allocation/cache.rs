//! The waiting applicants' facts per municipality, kept in memory for pages that only read
//! the ranking. Valid while the municipality's `allocation_epochs` row is unchanged (see
//! the migration `20261124520000_allocation_epochs.sql`); the epoch is read in the same
//! transaction as everything else the page shows, so cached facts are never older than
//! the page's own snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, WaitingRow};

/// The facts of one municipality's waiting applicants at one epoch.
type Entry = (i64, Arc<Vec<WaitingRow>>);

#[derive(Default)]
pub struct WaitingCache {
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl WaitingCache {
    fn get(&self, municipality: Uuid, epoch: i64) -> Option<Arc<Vec<WaitingRow>>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&municipality)
            .filter(|(e, _)| *e == epoch)
            .map(|(_, rows)| rows.clone())
    }

    fn put(&self, municipality: Uuid, epoch: i64, rows: Arc<Vec<WaitingRow>>) {
        if let Ok(mut entries) = self.entries.lock() {
            // A newer epoch stored by a concurrent request wins.
            let keep = entries.get(&municipality).is_some_and(|(e, _)| *e > epoch);
            if !keep {
                entries.insert(municipality, (epoch, rows));
            }
        }
    }
}

/// The waiting applicants of one municipality, from the cache when its epoch is current.
pub async fn waiting(
    conn: &mut PgConnection,
    cache: &WaitingCache,
    municipality: Uuid,
) -> sqlx::Result<Arc<Vec<WaitingRow>>> {
    let epoch = repo::epoch(&mut *conn, municipality).await?;
    if let Some(rows) = cache.get(municipality, epoch) {
        return Ok(rows);
    }
    let rows = Arc::new(repo::waiting(conn, &[municipality], None).await?);
    cache.put(municipality, epoch, rows.clone());
    Ok(rows)
}
