//! All SQL of the bank import: the import rows (a previewed file, an imported one), its
//! lines (one statement for any number), the queue, and the leases a caseworker names.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{Counts, LineStatus, PlannedLine};
use crate::rent::ocr::Transmission;

// ---------------------------------------------------------------------------------------
// Imports

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ImportRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub status: String,
    pub transmission_no: String,
    pub data_sender: String,
    pub data_recipient: String,
    pub settled_on: NaiveDate,
    pub file_name: String,
    pub content: Vec<u8>,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    pub imported_by_name: Option<String>,
    pub imported_at: Option<DateTime<Utc>>,
    pub lines: i32,
    pub total: i64,
    pub matched: i32,
    pub matched_total: i64,
    pub queued: i32,
}

const IMPORT_SQL: &str =
    "SELECT i.municipality_id, i.id, i.status, i.transmission_no, i.data_sender,
        i.data_recipient, i.settled_on, i.file_name, i.content, u.display_name AS uploaded_by_name,
        i.uploaded_at, v.display_name AS imported_by_name, i.imported_at, i.lines, i.total,
        i.matched, i.matched_total, i.queued
   FROM rent_imports i
   LEFT JOIN users u ON u.id = i.uploaded_by
   LEFT JOIN users v ON v.id = i.imported_by";

pub async fn import(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<ImportRow>> {
    sqlx::query_as(&format!(
        "{IMPORT_SQL} WHERE i.municipality_id = ANY($1) AND i.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

crate::web::load::located!(ImportRow => import);

/// When the same file — by its sender and transmission number, or by its content — was
/// imported in `m`: (transmission number, when).
pub async fn imported_before(
    conn: &mut PgConnection,
    sender: &str,
    transmission: &str,
    hash: &[u8],
) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
    // Across every municipality (the fingerprints are global): the same file is imported
    // once in all of Bosak.
    sqlx::query_as(
        "SELECT transmission_no, imported_at FROM rent_import_fingerprints
          WHERE fingerprint IN ('tx:' || $1 || ':' || $2, 'sha256:' || encode($3, 'hex'))
          ORDER BY imported_at LIMIT 1",
    )
    .bind(sender)
    .bind(transmission)
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Stores a parsed file for its preview (status 'previewed').
#[allow(clippy::too_many_arguments)]
pub async fn insert_import(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    t: &Transmission,
    hash: &[u8],
    file_name: &str,
    content: &[u8],
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rent_imports (municipality_id, id, transmission_no, data_sender, data_recipient,
                                   settled_on, content_hash, file_name, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m)
    .bind(id)
    .bind(&t.number)
    .bind(&t.data_sender)
    .bind(&t.data_recipient)
    .bind(t.settled_on)
    .bind(hash)
    .bind(file_name)
    .bind(content)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims a previewed import for the confirm: false when it was imported already (a
/// second confirm, also one that waited on the first). The same file imported under
/// another upload fails on `rent_imports_transmission_key` / `rent_imports_content_key`.
pub async fn mark_imported(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    by: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE rent_imports SET status = 'imported', imported_by = $3, imported_at = $4
          WHERE municipality_id = $1 AND id = $2 AND status = 'previewed'",
    )
    .bind(m)
    .bind(id)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_counts(conn: &mut PgConnection, m: Uuid, id: Uuid, c: Counts) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rent_imports SET lines = $3, total = $4, matched = $5, matched_total = $6, queued = $7
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(id)
    .bind(c.lines as i32)
    .bind(c.total)
    .bind(c.matched as i32)
    .bind(c.matched_total)
    .bind(c.queued as i32)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ImportListRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub status: String,
    pub transmission_no: String,
    pub settled_on: NaiveDate,
    pub file_name: String,
    pub uploaded_at: DateTime<Utc>,
    pub imported_by_name: Option<String>,
    pub imported_at: Option<DateTime<Utc>>,
    pub lines: i32,
    pub total: i64,
    pub matched: i32,
    pub queued: i32,
    /// Lines of the import still in the queue.
    pub open: i64,
}

/// The imports of `visible`, newest upload first (keyset: ids before `before`; ids are
/// UUIDv7, so in upload order).
pub async fn imports(
    conn: &mut PgConnection,
    visible: &[Uuid],
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ImportListRow>> {
    sqlx::query_as(
        "SELECT i.municipality_id, i.id, i.status, i.transmission_no, i.settled_on, i.file_name,
                i.uploaded_at, v.display_name AS imported_by_name, i.imported_at, i.lines, i.total,
                i.matched, i.queued,
                (SELECT count(*) FROM rent_import_lines l
                  WHERE l.municipality_id = i.municipality_id AND l.import_id = i.id
                    AND l.status IN ('unmatched', 'malformed_kid', 'ambiguous'))::int8 AS open
           FROM rent_imports i LEFT JOIN users v ON v.id = i.imported_by
          WHERE i.municipality_id = ANY($1)
            AND ($2::uuid IS NULL OR i.id < $2)
          ORDER BY i.id DESC LIMIT $3",
    )
    .bind(visible)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Lines

/// Writes every line of an import in one statement; returns the ids given, in order.
pub async fn insert_lines(
    conn: &mut PgConnection,
    m: Uuid,
    import: Uuid,
    lines: &[PlannedLine],
) -> sqlx::Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    let line_no: Vec<i32> = lines.iter().map(|l| l.line_no).collect();
    let account: Vec<&str> = lines
        .iter()
        .map(|l| l.assignment_account.as_str())
        .collect();
    let kid: Vec<Option<&str>> = lines.iter().map(|l| l.kid.as_deref()).collect();
    let amount: Vec<i64> = lines.iter().map(|l| l.amount).collect();
    let paid_on: Vec<NaiveDate> = lines.iter().map(|l| l.paid_on).collect();
    let ttype: Vec<i16> = lines.iter().map(|l| l.transaction_type).collect();
    let tno: Vec<i32> = lines.iter().map(|l| l.transaction_no).collect();
    let archive: Vec<&str> = lines.iter().map(|l| l.archive_reference.as_str()).collect();
    let status: Vec<&str> = lines.iter().map(|l| l.status.key()).collect();
    let lease: Vec<Option<Uuid>> = lines.iter().map(|l| l.lease_id).collect();
    let note: Vec<&str> = lines.iter().map(|l| l.note.as_str()).collect();
    sqlx::query(
        "INSERT INTO rent_import_lines (municipality_id, import_id, id, line_no, assignment_account, kid,
                                        amount, paid_on, transaction_type, transaction_no,
                                        archive_reference, status, lease_id, note)
         SELECT $1, $2, t.* FROM unnest($3::uuid[], $4::int4[], $5::text[], $6::text[], $7::int8[],
                                        $8::date[], $9::int2[], $10::int4[], $11::text[], $12::text[],
                                        $13::uuid[], $14::text[]) AS t",
    )
    .bind(m)
    .bind(import)
    .bind(&ids)
    .bind(&line_no)
    .bind(&account)
    .bind(&kid)
    .bind(&amount)
    .bind(&paid_on)
    .bind(&ttype)
    .bind(&tno)
    .bind(&archive)
    .bind(&status)
    .bind(&lease)
    .bind(&note)
    .execute(conn)
    .await?;
    Ok(ids)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LineRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub import_id: Uuid,
    pub transmission_no: String,
    pub line_no: i32,
    pub assignment_account: String,
    pub kid: Option<String>,
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub transaction_type: i16,
    pub transaction_no: i32,
    pub archive_reference: String,
    pub status: String,
    pub lease_id: Option<Uuid>,
    pub lease_no: Option<i32>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: String,
    pub version: i32,
}

impl LineRow {
    pub fn status(&self) -> LineStatus {
        LineStatus::parse(&self.status).unwrap_or(LineStatus::Unmatched)
    }
}

const LINE_SQL: &str = "SELECT l.municipality_id, l.id, l.import_id, i.transmission_no, l.line_no,
        l.assignment_account, l.kid, l.amount, l.paid_on, l.transaction_type, l.transaction_no,
        l.archive_reference, l.status, l.lease_id, le.lease_no, u.display_name AS resolved_by_name,
        l.resolved_at, l.note, l.version
   FROM rent_import_lines l
   JOIN rent_imports i ON i.municipality_id = l.municipality_id AND i.id = l.import_id
   LEFT JOIN leases le ON le.municipality_id = l.municipality_id AND le.id = l.lease_id
   LEFT JOIN users u ON u.id = l.resolved_by";

pub async fn line(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<LineRow>> {
    sqlx::query_as(&format!(
        "{LINE_SQL} WHERE l.municipality_id = ANY($1) AND l.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

crate::web::load::located!(LineRow => line);

/// The lines of an import by line number (keyset: after `after`).
pub async fn lines_of(
    conn: &mut PgConnection,
    m: Uuid,
    import: Uuid,
    after: i32,
    limit: i64,
) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query_as(&format!(
        "{LINE_SQL} WHERE l.municipality_id = $1 AND l.import_id = $2 AND l.line_no > $3
          ORDER BY l.line_no LIMIT $4"
    ))
    .bind(m)
    .bind(import)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The unresolved lines of `visible`, newest first (keyset: ids before `before`; line ids
/// are UUIDv7, so in the order they were imported).
pub async fn queue(
    conn: &mut PgConnection,
    visible: &[Uuid],
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query_as(&format!(
        "{LINE_SQL} WHERE l.municipality_id = ANY($1)
            AND l.status IN ('unmatched', 'malformed_kid', 'ambiguous')
            AND ($2::uuid IS NULL OR l.id < $2)
          ORDER BY l.id DESC LIMIT $3"
    ))
    .bind(visible)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Resolves a queued line at `version`: false when it changed since (resolved by someone
/// else, or a second submit).
#[allow(clippy::too_many_arguments)]
pub async fn resolve(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    version: i32,
    status: LineStatus,
    lease: Option<Uuid>,
    note: Option<&str>,
    by: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE rent_import_lines
            SET status = $4, lease_id = $5, note = coalesce($6, note), resolved_by = $7,
                resolved_at = $8, version = version + 1
          WHERE municipality_id = $1 AND id = $2 AND version = $3
            AND status IN ('unmatched', 'malformed_kid', 'ambiguous')",
    )
    .bind(m)
    .bind(id)
    .bind(version)
    .bind(status.key())
    .bind(lease)
    .bind(note)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A lease of `m` (not a draft) by its number or its KID: (lease, lease number).
pub async fn lease_by_number_or_kid(
    conn: &mut PgConnection,
    m: Uuid,
    number: Option<i32>,
    kid: Option<&str>,
) -> sqlx::Result<Option<(Uuid, i32)>> {
    sqlx::query_as(
        "SELECT l.id, l.lease_no FROM leases l
          WHERE l.municipality_id = $1 AND l.status <> 'draft'
            AND (l.lease_no = $2
                 OR l.id = (SELECT a.lease_id FROM rent_accounts a WHERE a.municipality_id = $1 AND a.kid = $3))
          LIMIT 1",
    )
    .bind(m)
    .bind(number)
    .bind(kid)
    .fetch_optional(conn)
    .await
}
