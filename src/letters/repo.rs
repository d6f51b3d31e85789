//! All SQL of the letters: the archive of sent letters and the versioned mandatory texts.

use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::archive::{Outgoing, Stored, Summary};
use super::mandatory::{TextKey, Version};

// ---------------------------------------------------------------------------------------
// The archive

/// Stores a typeset letter as sent (blocks, plain text, PDF and its SHA-256).
pub async fn insert_sent_letter(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    letter: &Outgoing<'_>,
    pdf: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sent_letters (municipality_id, id, application_id, kind, entity_type, entity_id,
                title, recipient, channel, sent_on, sent_by, blocks, body, pdf, sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(municipality)
    .bind(id)
    .bind(letter.application_id)
    .bind(letter.kind.key())
    .bind(letter.entity_type)
    .bind(letter.entity_id)
    .bind(letter.title)
    .bind(letter.recipient)
    .bind(letter.channel)
    .bind(letter.sent_on)
    .bind(letter.sent_by)
    .bind(Json(&letter.blocks))
    .bind(super::plain_text(&letter.blocks))
    .bind(pdf)
    .bind(super::archive::sha256_hex(pdf))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every letter sent in a case, oldest first.
pub async fn of_application(
    conn: &mut PgConnection,
    municipality: Uuid,
    application: Uuid,
) -> sqlx::Result<Vec<Summary>> {
    sqlx::query_as(
        "SELECT id, kind, title, recipient, channel, sent_on, sent_at, sha256 FROM sent_letters
          WHERE municipality_id = $1 AND application_id = $2 ORDER BY sent_at, id",
    )
    .bind(municipality)
    .bind(application)
    .fetch_all(conn)
    .await
}

/// Every letter sent about a record (a lease), oldest first.
pub async fn of_entity(
    conn: &mut PgConnection,
    municipality: Uuid,
    entity: Uuid,
) -> sqlx::Result<Vec<Summary>> {
    sqlx::query_as(
        "SELECT id, kind, title, recipient, channel, sent_on, sent_at, sha256 FROM sent_letters
          WHERE municipality_id = $1 AND entity_id = $2 ORDER BY sent_at, id",
    )
    .bind(municipality)
    .bind(entity)
    .fetch_all(conn)
    .await
}

/// The latest letter sent about a record (a decision, an offer), if any.
pub async fn latest_for(
    conn: &mut PgConnection,
    municipality: Uuid,
    entity: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM sent_letters WHERE municipality_id = $1 AND entity_id = $2
          ORDER BY sent_at DESC, id DESC LIMIT 1",
    )
    .bind(municipality)
    .bind(entity)
    .fetch_optional(conn)
    .await
}

pub async fn stored(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as(
        "SELECT municipality_id, id, application_id, entity_type, entity_id, title, sent_on, blocks, pdf, sha256
           FROM sent_letters WHERE municipality_id = ANY($1) AND id = $2",
    )
    .bind(visible)
    .bind(id)
    .fetch_optional(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Mandatory texts

/// Version 1 of every text the municipality does not have yet. Idempotent and safe under
/// concurrency (the unique key decides).
pub async fn ensure_defaults(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<()> {
    let keys: Vec<&str> = TextKey::ALL.iter().map(|k| k.key()).collect();
    let bodies: Vec<&str> = TextKey::ALL.iter().map(|k| k.default_body()).collect();
    let ids: Vec<Uuid> = TextKey::ALL.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "INSERT INTO mandatory_texts (municipality_id, id, key, version, body)
         SELECT $1, t.id, t.key, 1, t.body FROM unnest($2::uuid[], $3::text[], $4::text[]) AS t (id, key, body)
         WHERE NOT EXISTS (SELECT 1 FROM mandatory_texts m WHERE m.municipality_id = $1 AND m.key = t.key)
         ON CONFLICT (municipality_id, key, version) DO NOTHING",
    )
    .bind(municipality)
    .bind(&ids)
    .bind(&keys)
    .bind(&bodies)
    .execute(conn)
    .await?;
    Ok(())
}

const VERSION_COLUMNS: &str =
    "t.id, t.key, t.version, t.body, t.created_at, u.display_name AS created_by_name
      FROM mandatory_texts t LEFT JOIN users u ON u.id = t.created_by";

/// The newest version of each text (seeding version 1 where missing).
pub async fn current_texts(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Vec<Version>> {
    ensure_defaults(&mut *conn, municipality).await?;
    sqlx::query_as(&format!(
        "SELECT DISTINCT ON (t.key) {VERSION_COLUMNS}
          WHERE t.municipality_id = $1 ORDER BY t.key, t.version DESC"
    ))
    .bind(municipality)
    .fetch_all(conn)
    .await
}

/// Every version of every text, newest first within each text.
pub async fn text_history(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> sqlx::Result<Vec<Version>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} WHERE t.municipality_id = $1 ORDER BY t.key, t.version DESC"
    ))
    .bind(municipality)
    .fetch_all(conn)
    .await
}

/// The versions a sent letter printed.
pub async fn of_letter(
    conn: &mut PgConnection,
    municipality: Uuid,
    letter: Uuid,
) -> sqlx::Result<Vec<Version>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} JOIN sent_letter_texts s
             ON s.municipality_id = t.municipality_id AND s.text_id = t.id
          WHERE s.municipality_id = $1 AND s.letter_id = $2 ORDER BY t.key"
    ))
    .bind(municipality)
    .bind(letter)
    .fetch_all(conn)
    .await
}

/// Records on a sent letter which text versions it printed (in the sending transaction).
pub async fn record_on_letter(
    conn: &mut PgConnection,
    municipality: Uuid,
    letter: Uuid,
    texts: &[Uuid],
) -> sqlx::Result<()> {
    if texts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO sent_letter_texts (municipality_id, letter_id, text_id)
         SELECT $1, $2, unnest($3::uuid[])",
    )
    .bind(municipality)
    .bind(letter)
    .bind(texts)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest version of one text: (version, body).
pub async fn latest_text(
    conn: &mut PgConnection,
    municipality: Uuid,
    key: TextKey,
) -> sqlx::Result<(i32, String)> {
    sqlx::query_as(
        "SELECT version, body FROM mandatory_texts WHERE municipality_id = $1 AND key = $2
          ORDER BY version DESC LIMIT 1",
    )
    .bind(municipality)
    .bind(key.key())
    .fetch_one(conn)
    .await
}

/// A new version of one text; refused by the unique key on (municipality, key, version)
/// when a colleague saved that version first.
pub async fn insert_text_version(
    conn: &mut PgConnection,
    municipality: Uuid,
    id: Uuid,
    key: TextKey,
    version: i32,
    body: &str,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mandatory_texts (municipality_id, id, key, version, body, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(municipality)
    .bind(id)
    .bind(key.key())
    .bind(version)
    .bind(body)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}
