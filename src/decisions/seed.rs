//! Demo and scale data: every decided application gets the sent decision that decided it,
//! so the waiting list (allocation) has real grants to work from. Set-based SQL.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::seed::with_tenant;

/// Creates a sent decision with one municipal-dwelling point for every application of the
/// municipality that is decided but has no decision yet. `author` writes them.
pub async fn decide_decided_applications(
    conn: &mut PgConnection,
    municipality: Uuid,
    author: Uuid,
    today: chrono::NaiveDate,
) -> anyhow::Result<u64> {
    with_tenant(conn, municipality).await?;
    super::repo::ensure_defaults(conn, municipality).await?;
    crate::dwellings::repo::ensure_defaults(conn, municipality).await?;
    let n = sqlx::query(
        "WITH kind AS (
            SELECT id, legal_basis, appeal_body, appeal_weeks FROM decision_kinds
             WHERE municipality_id = $1 AND code = 'municipal_dwelling'),
         types AS (
            SELECT array_agg(id ORDER BY sort_order, id) AS ids FROM dwelling_types WHERE municipality_id = $1 AND active),
         apps AS (
            SELECT a.id, a.status, a.received_on, a.caseworker_id,
                   (SELECT count(*) FROM application_members m WHERE m.municipality_id = a.municipality_id
                     AND m.application_id = a.id AND m.relation IN ('child', 'other_child')) AS children
              FROM applications a
             WHERE a.municipality_id = $1
               AND a.status IN ('approved', 'partly_approved', 'rejected', 'waiting_list', 'offered', 'housed')
               AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id)),
         made AS (
            INSERT INTO decisions (municipality_id, id, application_id, status, author_id, approver_id,
                                   grounds_rules, grounds_facts, grounds_considerations,
                                   decided_on, dispatched_on, channel, notified_on)
            SELECT $1, gen_random_uuid(), apps.id, 'sent', coalesce(apps.caseworker_id, $2), coalesce(apps.caseworker_id, $2),
                   'Kommunens tildelingsregler for kommunale boliger og lov om kommunenes ansvar på det boligsosiale feltet.',
                   'Opplysningene i søknaden og kartleggingen.',
                   'Behovet for bolig sammenlignet med andre søkere og muligheten til å skaffe bolig selv.',
                   least(apps.received_on + 25, $3::date), least(apps.received_on + 25, $3::date), 'digital',
                   least(apps.received_on + 25, $3::date)
              FROM apps
            RETURNING id, application_id, decided_on)
         INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                                      dwelling_type_ids, rooms, lease_months, legal_basis, appeal_body, appeal_weeks, appeal_deadline)
         SELECT $1, gen_random_uuid(), made.id, 1, kind.id,
                CASE WHEN apps.status = 'rejected' THEN 'refused'::decision_outcome
                     WHEN apps.status = 'partly_approved' THEN 'partly_granted'::decision_outcome
                     ELSE 'granted'::decision_outcome END,
                CASE WHEN apps.status = 'rejected' THEN 'Søknaden om kommunal bolig avslås.'
                     ELSE 'Søknaden om kommunal bolig innvilges.' END,
                CASE WHEN apps.status = 'rejected' OR types.ids IS NULL THEN '{}'::uuid[]
                     ELSE ARRAY[types.ids[1 + (abs(hashtext(apps.id::text)) % least(3, array_length(types.ids, 1)))]] END,
                CASE WHEN apps.status = 'rejected' THEN NULL ELSE least(4, 1 + apps.children::int + (abs(hashtext(apps.id::text)) % 2)) END,
                CASE WHEN apps.status = 'rejected' THEN NULL ELSE 36 END,
                kind.legal_basis, kind.appeal_body, kind.appeal_weeks,
                made.decided_on + kind.appeal_weeks * 7
           FROM made JOIN apps ON apps.id = made.application_id CROSS JOIN kind CROSS JOIN types",
    )
    .bind(municipality)
    .bind(author)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    Ok(n.rows_affected())
}

/// A caseworker of the municipality (directly or through an office) to sign seeded decisions.
pub async fn some_caseworker(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> anyhow::Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m
          WHERE m.role IN ('caseworker', 'admin') AND (m.municipality_id = $1 OR m.office_id IN
                (SELECT office_id FROM office_municipalities WHERE municipality_id = $1))
          ORDER BY m.municipality_id NULLS LAST, m.user_id LIMIT 1",
    )
    .bind(municipality)
    .fetch_optional(conn)
    .await?)
}

pub async fn seed(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    for m in municipalities {
        let Some(author) = some_caseworker(conn, *m).await? else {
            continue;
        };
        decide_decided_applications(conn, *m, author, today).await?;
    }
    Ok(())
}
