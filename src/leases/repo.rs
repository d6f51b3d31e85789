//! All SQL of the lease context.

use chrono::NaiveDate;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{Deposit, Status, Terms};
use super::rules;

/// A lease with what its page and its letters need.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LeaseRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub lease_no: i32,
    pub dwelling_id: Uuid,
    pub application_id: Option<Uuid>,
    pub offer_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub tenant_id: Uuid,
    pub tenant_name: String,
    pub tenant_national_id: Option<String>,
    pub tenant_birth_date: Option<NaiveDate>,
    pub tenant_address: String,
    pub unit_label: String,
    pub unit_number: String,
    pub property_name: String,
    pub rooms: i16,
    pub type_name: String,
    pub status: Status,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub monthly_rent: i64,
    pub includes: Vec<String>,
    pub deposit_kind: String,
    pub deposit_amount: i64,
    pub deposit_bank: String,
    pub deposit_account: String,
    pub guarantor: String,
    pub guarantee_reference: String,
    pub house_rules_id: Option<Uuid>,
    pub house_rules_no: Option<i32>,
    pub eviction_clause: bool,
    pub short_term_ground_id: Option<Uuid>,
    pub short_term_ground: Option<String>,
    pub short_term_notice_on: Option<NaiveDate>,
    pub short_term_letter_id: Option<Uuid>,
    pub signed_on: Option<NaiveDate>,
    pub contract_letter_id: Option<Uuid>,
    pub advance_notice_on: Option<NaiveDate>,
    pub advance_respond_by: Option<NaiveDate>,
    pub advance_notice_letter_id: Option<Uuid>,
    pub notice_by: Option<String>,
    pub notice_given_on: Option<NaiveDate>,
    pub notice_effective_on: Option<NaiveDate>,
    pub notice_reasons: String,
    pub notice_letter_id: Option<Uuid>,
    pub protest_on: Option<NaiveDate>,
    pub protest_text: String,
    pub demand_to_move_on: Option<NaiveDate>,
    pub demand_letter_id: Option<Uuid>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub end_notes: String,
    pub move_out_checklist: Json<Vec<String>>,
    pub deposit_settlement: Option<String>,
    pub deposit_withheld: i64,
    pub deposit_settlement_reason: String,
    pub imported: bool,
    pub version: i32,
}

impl LeaseRow {
    pub fn deposit(&self) -> Deposit {
        match self.deposit_kind.as_str() {
            "account" => Deposit::Account {
                amount: self.deposit_amount,
                bank: self.deposit_bank.clone(),
                account: self.deposit_account.clone(),
            },
            "guarantee" => Deposit::Guarantee {
                amount: self.deposit_amount,
                guarantor: self.guarantor.clone(),
                reference: self.guarantee_reference.clone(),
            },
            _ => Deposit::None,
        }
    }

    pub fn is_short_term(&self) -> bool {
        rules::is_short_term(self.starts_on, self.ends_on)
    }
}

// Unit, property, type and tenant are LATERAL lookups by their whole key (`LIMIT 1` keeps
// the planner from flattening them): as plain joins the prepared statement's plan probed
// `dwellings` by municipality alone, 15 ms a page at factor 10 (docs/BENCHMARKS.md).
const LEASE_SQL: &str = "SELECT l.municipality_id, l.id, l.lease_no, l.dwelling_id, l.application_id,
        l.offer_id, a.case_number, l.tenant_id, pe.name AS tenant_name,
        pe.national_id AS tenant_national_id, pe.birth_date AS tenant_birth_date,
        concat_ws(', ', nullif(pe.street_address, ''), nullif(btrim(pe.postcode || ' ' || pe.postal_place), '')) AS tenant_address,
        (p.street_address || ' ' || d.unit_number) AS unit_label, d.unit_number,
        p.name AS property_name, d.rooms, t.name AS type_name,
        l.status, l.starts_on, l.ends_on, l.monthly_rent,
        l.includes, l.deposit_kind, l.deposit_amount, l.deposit_bank, l.deposit_account,
        l.guarantor, l.guarantee_reference, l.house_rules_id, h.version_no AS house_rules_no,
        l.eviction_clause, l.short_term_ground_id, g.label AS short_term_ground,
        l.short_term_notice_on, l.short_term_letter_id, l.signed_on, l.contract_letter_id,
        l.advance_notice_on, l.advance_respond_by, l.advance_notice_letter_id,
        l.notice_by, l.notice_given_on, l.notice_effective_on, l.notice_reasons,
        l.notice_letter_id, l.protest_on, l.protest_text, l.demand_to_move_on,
        l.demand_letter_id, l.ended_on, l.end_reason, l.end_notes,
        coalesce((SELECT jsonb_agg(k) FROM jsonb_each(l.move_out_checklist) AS c(k, v)
                   WHERE v = 'true'::jsonb), '[]'::jsonb) AS move_out_checklist,
        l.deposit_settlement, l.deposit_withheld, l.deposit_settlement_reason, l.imported,
        l.version
   FROM leases l
   CROSS JOIN LATERAL (SELECT d.unit_number, d.rooms, d.property_id, d.dwelling_type_id FROM dwellings d
                        WHERE d.municipality_id = l.municipality_id AND d.id = l.dwelling_id LIMIT 1) d
   CROSS JOIN LATERAL (SELECT p.name, p.street_address FROM properties p
                        WHERE p.municipality_id = l.municipality_id AND p.id = d.property_id LIMIT 1) p
   CROSS JOIN LATERAL (SELECT t.name FROM dwelling_types t
                        WHERE t.municipality_id = l.municipality_id AND t.id = d.dwelling_type_id LIMIT 1) t
   CROSS JOIN LATERAL (SELECT pe.name, pe.national_id, pe.birth_date, pe.street_address, pe.postcode,
                              pe.postal_place FROM people pe
                        WHERE pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id LIMIT 1) pe
   LEFT JOIN applications a ON a.municipality_id = l.municipality_id AND a.id = l.application_id
   LEFT JOIN short_term_grounds g ON g.municipality_id = l.municipality_id AND g.id = l.short_term_ground_id
   LEFT JOIN house_rules_versions h ON h.municipality_id = l.municipality_id AND h.id = l.house_rules_id";

pub async fn lease(
    conn: &mut PgConnection,
    visible: &[Uuid],
    id: Uuid,
) -> sqlx::Result<Option<LeaseRow>> {
    // Planning this eight-table lookup under row level security cost 3–8 ms on every call
    // (a custom plan each time), executing it 0.2 ms: one generic plan per connection,
    // every probe by its whole key, serves every lease. SET LOCAL: only this statement's
    // transaction, and set back at once.
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query_as(&format!(
        "{LEASE_SQL} WHERE l.municipality_id = ANY($1) AND l.id = $2"
    ))
    .bind(visible)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query("SET LOCAL plan_cache_mode = auto")
        .execute(conn)
        .await?;
    Ok(row)
}

crate::web::load::located!(LeaseRow => lease);

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Party {
    pub person_id: Uuid,
    pub name: String,
    pub role: String,
    pub birth_date: Option<NaiveDate>,
}

pub async fn parties(conn: &mut PgConnection, m: Uuid, lease: Uuid) -> sqlx::Result<Vec<Party>> {
    sqlx::query_as(
        "SELECT lp.person_id, p.name, lp.role, p.birth_date
           FROM lease_parties lp
           JOIN people p ON p.municipality_id = lp.municipality_id AND p.id = lp.person_id
          WHERE lp.municipality_id = $1 AND lp.lease_id = $2
          ORDER BY lp.role, p.birth_date NULLS LAST, p.name",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

pub async fn add_party(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    person: Uuid,
    role: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO lease_parties (municipality_id, lease_id, person_id, role)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(m)
    .bind(lease)
    .bind(person)
    .bind(role)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person named on a lease, with what the lease form shows of them: the tenant
/// (`role` "tenant") and each co-tenant and household member.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct PartyPerson {
    pub person_id: Uuid,
    pub role: String,
    pub name: String,
    pub national_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub phone: String,
    pub email: String,
}

pub async fn party_people(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
) -> sqlx::Result<Vec<PartyPerson>> {
    sqlx::query_as(
        "SELECT p.id AS person_id, x.role, p.name, p.national_id, p.birth_date, p.phone, p.email
           FROM (SELECT l.tenant_id AS person_id, 'tenant' AS role, 0 AS o
                   FROM leases l WHERE l.municipality_id = $1 AND l.id = $2
                 UNION ALL
                 SELECT lp.person_id, lp.role, 1 FROM lease_parties lp
                  WHERE lp.municipality_id = $1 AND lp.lease_id = $2) x
           JOIN people p ON p.municipality_id = $1 AND p.id = x.person_id
          ORDER BY x.o, x.role, p.birth_date NULLS LAST, p.name",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

/// The phone and e-mail of a lease's tenant as the draft's form sent them.
pub async fn set_contact(
    conn: &mut PgConnection,
    m: Uuid,
    person: Uuid,
    phone: &str,
    email: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE people SET phone = $3, email = $4, version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND (phone, email) IS DISTINCT FROM ($3, $4)",
    )
    .bind(m)
    .bind(person)
    .bind(phone)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

/// A correction of a person without a national id, typed on a saved draft's form: the
/// name and date of birth as typed, and the national id when one is typed that nobody in
/// the municipality has yet. False when the person has a national id or the one typed
/// belongs to someone else (also when someone registers it meanwhile: the savepoint keeps
/// the transaction usable): then the row names another person.
pub async fn correct_person(
    conn: &mut PgConnection,
    m: Uuid,
    person: Uuid,
    name: &str,
    national_id: Option<&str>,
    birth_date: Option<NaiveDate>,
) -> sqlx::Result<bool> {
    let mut savepoint = sqlx::Connection::begin(&mut *conn).await?;
    let corrected = sqlx::query_scalar(
        "WITH target AS (
           SELECT p.id FROM people p
            WHERE p.municipality_id = $1 AND p.id = $2 AND p.national_id IS NULL
              AND ($4::text IS NULL OR NOT EXISTS (
                    SELECT 1 FROM people q WHERE q.municipality_id = $1 AND q.national_id = $4))
         ), changed AS (
           UPDATE people p
              SET name = $3, national_id = $4, birth_date = coalesce($5, p.birth_date),
                  version = p.version + 1, updated_at = now()
             FROM target t
            WHERE p.municipality_id = $1 AND p.id = t.id
              AND (p.name, p.national_id, p.birth_date)
                  IS DISTINCT FROM ($3, $4, coalesce($5, p.birth_date))
           RETURNING p.id
         )
         SELECT EXISTS (SELECT 1 FROM target)",
    )
    .bind(m)
    .bind(person)
    .bind(name)
    .bind(national_id)
    .bind(birth_date)
    .fetch_one(&mut *savepoint)
    .await;
    match corrected {
        Ok(c) => {
            savepoint.commit().await?;
            Ok(c)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// A draft's parties as edited: the tenant, and exactly `members` besides.
pub async fn replace_parties(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
    tenant: Uuid,
    members: &[(Uuid, &str)],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE leases SET tenant_id = $3 WHERE municipality_id = $1 AND id = $2 AND status = 'draft'",
    )
    .bind(m)
    .bind(lease)
    .bind(tenant)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM lease_parties WHERE municipality_id = $1 AND lease_id = $2")
        .bind(m)
        .bind(lease)
        .execute(&mut *conn)
        .await?;
    let (people, roles): (Vec<Uuid>, Vec<&str>) = members.iter().copied().unzip();
    sqlx::query(
        "INSERT INTO lease_parties (municipality_id, lease_id, person_id, role)
         SELECT $1, $2, t.person_id, t.role FROM unnest($3::uuid[], $4::text[]) AS t (person_id, role)
         ON CONFLICT DO NOTHING",
    )
    .bind(m)
    .bind(lease)
    .bind(&people)
    .bind(&roles)
    .execute(conn)
    .await?;
    Ok(())
}

/// The next lease number of the municipality (row-locked, so concurrent creations get
/// different numbers).
pub async fn next_lease_no(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "INSERT INTO lease_number_counters (municipality_id, next_no) VALUES ($1, 2)
         ON CONFLICT (municipality_id) DO UPDATE SET next_no = lease_number_counters.next_no + 1
         RETURNING next_no - 1",
    )
    .bind(m)
    .fetch_one(conn)
    .await
}

/// Where a new lease comes from.
pub struct Origin {
    pub dwelling_id: Uuid,
    pub application_id: Option<Uuid>,
    pub offer_id: Option<Uuid>,
    pub tenant_id: Uuid,
    pub house_rules_id: Option<Uuid>,
}

pub async fn insert_lease(
    conn: &mut PgConnection,
    m: Uuid,
    origin: &Origin,
    t: &Terms,
    by: Uuid,
) -> sqlx::Result<(Uuid, i32)> {
    let id = Uuid::now_v7();
    let no = next_lease_no(conn, m).await?;
    sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, application_id, offer_id,
                             tenant_id, starts_on, ends_on, monthly_rent, includes, deposit_kind,
                             deposit_amount, deposit_bank, deposit_account, guarantor,
                             guarantee_reference, house_rules_id, eviction_clause,
                             short_term_ground_id, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $21)",
    )
    .bind(m)
    .bind(id)
    .bind(no)
    .bind(origin.dwelling_id)
    .bind(origin.application_id)
    .bind(origin.offer_id)
    .bind(origin.tenant_id)
    .bind(t.starts_on)
    .bind(t.ends_on)
    .bind(t.monthly_rent)
    .bind(&t.includes)
    .bind(t.deposit.kind())
    .bind(t.deposit.amount())
    .bind(deposit_text(&t.deposit, 0))
    .bind(deposit_text(&t.deposit, 1))
    .bind(deposit_text(&t.deposit, 2))
    .bind(deposit_text(&t.deposit, 3))
    .bind(origin.house_rules_id)
    .bind(t.eviction_clause)
    .bind(t.short_term_ground_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok((id, no))
}

/// The deposit's text columns in table order: bank, account, guarantor, reference.
fn deposit_text(d: &Deposit, column: usize) -> String {
    match (d, column) {
        (Deposit::Account { bank, .. }, 0) => bank.clone(),
        (Deposit::Account { account, .. }, 1) => account.clone(),
        (Deposit::Guarantee { guarantor, .. }, 2) => guarantor.clone(),
        (Deposit::Guarantee { reference, .. }, 3) => reference.clone(),
        _ => String::new(),
    }
}

/// Serialises writing drafts directly for `unit` until the transaction ends, so that two
/// submits of the same form at once find each other's draft (see [`direct_draft`]).
pub async fn lock_direct_drafts(conn: &mut PgConnection, unit: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 1504))")
        .bind(unit)
        .execute(conn)
        .await?;
    Ok(())
}

/// The draft written directly (not from an offer) for `unit` from `starts_on` whose
/// tenant is `tenant`: the same national id, or without one the same name and date of
/// birth (such a person is not looked up elsewhere, so a second submit creates a new
/// one; `leases_direct_draft_key` holds the rule for the same person).
pub async fn direct_draft(
    conn: &mut PgConnection,
    m: Uuid,
    unit: Uuid,
    starts_on: NaiveDate,
    tenant: &super::model::PartyInput,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT l.id
           FROM leases l
           JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
          WHERE l.municipality_id = $1 AND l.dwelling_id = $2 AND l.starts_on = $3
            AND l.status = 'draft' AND l.offer_id IS NULL
            AND (p.national_id = $4
                 OR ($4 IS NULL AND p.national_id IS NULL AND p.birth_date = $5
                     AND lower(btrim(p.name)) = lower(btrim($6))))
          ORDER BY l.lease_no
          LIMIT 1",
    )
    .bind(m)
    .bind(unit)
    .bind(starts_on)
    .bind(tenant.national_id.as_ref().map(|n| n.as_str()))
    .bind(tenant.birth_date)
    .bind(&tenant.name)
    .fetch_optional(conn)
    .await
}

/// Saves the terms of a draft over `version`; false when it is no longer that version
/// or no longer a draft.
pub async fn update_terms(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    version: i32,
    t: &Terms,
    by: Uuid,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE leases SET starts_on = $4, ends_on = $5, monthly_rent = $6, includes = $7,
                deposit_kind = $8, deposit_amount = $9, deposit_bank = $10, deposit_account = $11,
                guarantor = $12, guarantee_reference = $13, eviction_clause = $14,
                short_term_ground_id = $15,
                -- A notice given for other terms says nothing about these.
                short_term_notice_on = CASE WHEN $15 IS NOT DISTINCT FROM short_term_ground_id
                                             AND $4 = starts_on AND $5 IS NOT DISTINCT FROM ends_on
                                            THEN short_term_notice_on END,
                short_term_letter_id = CASE WHEN $15 IS NOT DISTINCT FROM short_term_ground_id
                                             AND $4 = starts_on AND $5 IS NOT DISTINCT FROM ends_on
                                            THEN short_term_letter_id END,
                version = version + 1, updated_at = now(), updated_by = $16
          WHERE municipality_id = $1 AND id = $2 AND version = $3 AND status = 'draft'",
    )
    .bind(m)
    .bind(id)
    .bind(version)
    .bind(t.starts_on)
    .bind(t.ends_on)
    .bind(t.monthly_rent)
    .bind(&t.includes)
    .bind(t.deposit.kind())
    .bind(t.deposit.amount())
    .bind(deposit_text(&t.deposit, 0))
    .bind(deposit_text(&t.deposit, 1))
    .bind(deposit_text(&t.deposit, 2))
    .bind(deposit_text(&t.deposit, 3))
    .bind(t.eviction_clause)
    .bind(t.short_term_ground_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One step of the lease's life, written over `version`. Each names the columns it sets;
/// the others keep their values.
pub enum Step<'a> {
    ShortTermNotice {
        on: NaiveDate,
        letter: Uuid,
    },
    Signed {
        on: NaiveDate,
        status: Status,
        letter: Uuid,
    },
    AdvanceNotice {
        on: NaiveDate,
        respond_by: NaiveDate,
        letter: Uuid,
    },
    DemandToMove {
        on: NaiveDate,
        letter: Uuid,
    },
    Notice {
        by: &'a str,
        on: NaiveDate,
        effective: NaiveDate,
        reasons: &'a str,
        letter: Option<Uuid>,
    },
    Protest {
        on: NaiveDate,
        text: &'a str,
    },
    Ended {
        on: NaiveDate,
        reason: &'a str,
        notes: &'a str,
        checklist: serde_json::Value,
        settlement: Option<&'a str>,
        withheld: i64,
        settlement_reason: &'a str,
    },
}

pub async fn step(
    conn: &mut PgConnection,
    m: Uuid,
    id: Uuid,
    version: i32,
    step: &Step<'_>,
    by: Uuid,
) -> sqlx::Result<bool> {
    let (set, only) = match step {
        Step::ShortTermNotice { .. } => (
            "short_term_notice_on = $5, short_term_letter_id = $6",
            "AND status = 'draft'",
        ),
        Step::Signed { .. } => (
            "signed_on = $5, status = $6, contract_letter_id = $7",
            "AND status = 'draft'",
        ),
        Step::AdvanceNotice { .. } => (
            "advance_notice_on = $5, advance_respond_by = $6, advance_notice_letter_id = $7",
            "",
        ),
        Step::DemandToMove { .. } => ("demand_to_move_on = $5, demand_letter_id = $6", ""),
        Step::Notice { .. } => (
            "status = 'notice_given', notice_by = $5, notice_given_on = $6,
             notice_effective_on = $7, notice_reasons = $8, notice_letter_id = $9",
            "AND status IN ('signed', 'active')",
        ),
        Step::Protest { .. } => (
            "protest_on = $5, protest_text = $6",
            "AND status = 'notice_given'",
        ),
        Step::Ended { .. } => (
            "status = 'ended', ended_on = $5, end_reason = $6, end_notes = $7,
             move_out_checklist = $8, deposit_settlement = $9, deposit_withheld = $10,
             deposit_settlement_reason = $11",
            "AND status IN ('signed', 'active', 'notice_given')",
        ),
    };
    let sql = format!(
        "UPDATE leases SET version = version + 1, updated_at = now(), updated_by = $4, {set}
          WHERE municipality_id = $1 AND id = $2 AND version = $3 {only}"
    );
    let q = sqlx::query(&sql).bind(m).bind(id).bind(version).bind(by);
    let q = match step {
        Step::ShortTermNotice { on, letter } => q.bind(*on).bind(*letter),
        Step::Signed { on, status, letter } => q.bind(*on).bind(*status).bind(*letter),
        Step::AdvanceNotice {
            on,
            respond_by,
            letter,
        } => q.bind(*on).bind(*respond_by).bind(*letter),
        Step::DemandToMove { on, letter } => q.bind(*on).bind(*letter),
        Step::Notice {
            by,
            on,
            effective,
            reasons,
            letter,
        } => q
            .bind(*by)
            .bind(*on)
            .bind(*effective)
            .bind(*reasons)
            .bind(*letter),
        Step::Protest { on, text } => q.bind(*on).bind(*text),
        Step::Ended {
            on,
            reason,
            notes,
            checklist,
            settlement,
            withheld,
            settlement_reason,
        } => q
            .bind(*on)
            .bind(*reason)
            .bind(*notes)
            .bind(checklist.clone())
            .bind(*settlement)
            .bind(*withheld)
            .bind(*settlement_reason),
    };
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// The rent agreed at signing, as the first row of the rent history.
pub async fn insert_initial_rent(
    conn: &mut PgConnection,
    m: Uuid,
    lease: &LeaseRow,
    signed_on: NaiveDate,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on,
                                         monthly_rent, reason, created_by)
         VALUES ($1, $2, $3, $4, LEAST($5, $4), $6, 'initial', $7)",
    )
    .bind(m)
    .bind(Uuid::now_v7())
    .bind(lease.id)
    .bind(lease.starts_on)
    .bind(signed_on)
    .bind(lease.monthly_rent)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct RentChange {
    pub effective_on: NaiveDate,
    pub set_on: NaiveDate,
    pub monthly_rent: i64,
    pub previous_rent: Option<i64>,
    pub reason: String,
    pub note: String,
}

/// The rent in force on `day`: the latest change effective on or before it (the agreed
/// rent before the first).
pub async fn rent_in_force(
    conn: &mut PgConnection,
    m: Uuid,
    lease: &LeaseRow,
    day: NaiveDate,
) -> sqlx::Result<i64> {
    let r: Option<i64> = sqlx::query_scalar(
        "SELECT monthly_rent FROM lease_rent_changes
          WHERE municipality_id = $1 AND lease_id = $2 AND effective_on <= $3
          ORDER BY effective_on DESC LIMIT 1",
    )
    .bind(m)
    .bind(lease.id)
    .bind(day)
    .fetch_optional(conn)
    .await?;
    Ok(r.unwrap_or(lease.monthly_rent))
}

pub async fn rent_history(
    conn: &mut PgConnection,
    m: Uuid,
    lease: Uuid,
) -> sqlx::Result<Vec<RentChange>> {
    sqlx::query_as(
        "SELECT effective_on, set_on, monthly_rent, previous_rent, reason, note
           FROM lease_rent_changes WHERE municipality_id = $1 AND lease_id = $2
          ORDER BY effective_on DESC",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Review {
    pub reviewed_on: NaiveDate,
    pub situation: String,
    pub outcome: String,
    pub renewal_application_id: Option<Uuid>,
    pub renewal_case_number: Option<String>,
    pub reviewer: String,
}

pub async fn reviews(conn: &mut PgConnection, m: Uuid, lease: Uuid) -> sqlx::Result<Vec<Review>> {
    sqlx::query_as(
        "SELECT r.reviewed_on, r.situation, r.outcome, r.renewal_application_id,
                a.case_number AS renewal_case_number, u.display_name AS reviewer
           FROM lease_reviews r
           JOIN users u ON u.id = r.reviewed_by
           LEFT JOIN applications a ON a.municipality_id = r.municipality_id AND a.id = r.renewal_application_id
          WHERE r.municipality_id = $1 AND r.lease_id = $2
          ORDER BY r.reviewed_on DESC, r.created_at DESC",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(conn)
    .await
}

/// A review as recorded.
pub struct NewReview<'a> {
    pub lease: Uuid,
    pub on: NaiveDate,
    pub situation: &'a str,
    pub outcome: &'a str,
    pub renewal: Option<Uuid>,
    pub by: Uuid,
}

pub async fn insert_review(
    conn: &mut PgConnection,
    m: Uuid,
    r: &NewReview<'_>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO lease_reviews (municipality_id, id, lease_id, reviewed_on, situation, outcome,
                                    renewal_application_id, reviewed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(m)
    .bind(id)
    .bind(r.lease)
    .bind(r.on)
    .bind(r.situation)
    .bind(r.outcome)
    .bind(r.renewal)
    .bind(r.by)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Bumps the version (a change recorded elsewhere, such as a review, is a change of the
/// lease for stale-edit checks).
pub async fn touch(conn: &mut PgConnection, m: Uuid, id: Uuid, version: i32) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE leases SET version = version + 1, updated_at = now()
          WHERE municipality_id = $1 AND id = $2 AND version = $3",
    )
    .bind(m)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Ground {
    pub id: Uuid,
    pub label: String,
    pub notice_text: String,
    pub active: bool,
}

/// The municipality's § 11-1 grounds in their order.
pub async fn grounds(conn: &mut PgConnection, m: Uuid) -> sqlx::Result<Vec<Ground>> {
    sqlx::query_as(
        "SELECT id, label, notice_text, active FROM short_term_grounds
          WHERE municipality_id = $1 ORDER BY sort_order, label",
    )
    .bind(m)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct HouseRules {
    pub id: Uuid,
    pub version_no: i32,
    pub title: String,
    pub body: String,
}

pub async fn house_rules(
    conn: &mut PgConnection,
    m: Uuid,
    id: Option<Uuid>,
) -> sqlx::Result<Option<HouseRules>> {
    sqlx::query_as(
        "SELECT id, version_no, title, body FROM house_rules_versions
          WHERE municipality_id = $1 AND ($2::uuid IS NULL OR id = $2)
          ORDER BY version_no DESC LIMIT 1",
    )
    .bind(m)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The unit's other leases that hold it on any of the days `[start, end]` (open end:
/// from start on).
pub async fn overlapping(
    conn: &mut PgConnection,
    m: Uuid,
    dwelling: Uuid,
    except: Uuid,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "SELECT lease_no FROM leases
          WHERE municipality_id = $1 AND dwelling_id = $2 AND id <> $3 AND status <> 'draft'
            AND occupancy && daterange($4, $5, '[]')
          ORDER BY starts_on LIMIT 1",
    )
    .bind(m)
    .bind(dwelling)
    .bind(except)
    .bind(start)
    .bind(end)
    .fetch_optional(conn)
    .await
}

/// The lease written from an offer, if any.
pub async fn lease_of_offer(
    conn: &mut PgConnection,
    m: Uuid,
    offer: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM leases WHERE municipality_id = $1 AND offer_id = $2")
        .bind(m)
        .bind(offer)
        .fetch_optional(conn)
        .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LeaseRef {
    pub id: Uuid,
    pub lease_no: i32,
    pub status: Status,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub tenant_name: String,
}

/// A unit's leases, newest first (for the unit's page).
pub async fn leases_of_unit(
    conn: &mut PgConnection,
    m: Uuid,
    dwelling: Uuid,
) -> sqlx::Result<Vec<LeaseRef>> {
    sqlx::query_as(
        "SELECT l.id, l.lease_no, l.status, l.starts_on, l.ends_on, p.name AS tenant_name
           FROM leases l JOIN people p ON p.municipality_id = l.municipality_id AND p.id = l.tenant_id
          WHERE l.municipality_id = $1 AND l.dwelling_id = $2
          ORDER BY l.starts_on DESC LIMIT 50",
    )
    .bind(m)
    .bind(dwelling)
    .fetch_all(conn)
    .await
}

/// Signed leases whose start has come become active (the scheduled job and every
/// signing). Set-based; returns how many.
pub async fn activate_started(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<u64> {
    // The unit a lease reserved becomes let the day the lease starts, with its history.
    let n: i64 = sqlx::query_scalar(
        "WITH started AS (
           UPDATE leases SET status = 'active', version = version + 1, updated_at = now()
            WHERE status = 'signed' AND starts_on <= $1
           RETURNING municipality_id, dwelling_id, lease_no, starts_on),
         held AS (
           SELECT d.municipality_id, d.id, d.status AS from_status, d.status_since, s.lease_no, s.starts_on
             FROM dwellings d JOIN started s ON s.municipality_id = d.municipality_id AND s.dwelling_id = d.id
            WHERE d.status IN ('reserved', 'vacant')),
         moved AS (
           UPDATE dwellings d SET status = 'let', status_since = greatest(h.status_since, h.starts_on),
                  expected_vacant_from = NULL, version = d.version + 1, updated_at = now()
             FROM held h WHERE d.municipality_id = h.municipality_id AND d.id = h.id
           RETURNING d.id),
         noted AS (
           INSERT INTO dwelling_status_changes (municipality_id, id, dwelling_id, effective_on,
                                                from_status, to_status, reason)
           SELECT h.municipality_id, gen_random_uuid(), h.id, greatest(h.status_since, h.starts_on),
                  h.from_status, 'let', 'Leiekontrakt nr. ' || h.lease_no || ' startet'
             FROM held h
           RETURNING 1)
         SELECT (SELECT count(*) FROM started) + 0 * (SELECT count(*) FROM moved) + 0 * (SELECT count(*) FROM noted)",
    )
    .bind(today)
    .fetch_one(conn)
    .await?;
    Ok(n as u64)
}

// ---------------------------------------------------------------------------------------
// Lists

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ListRow {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub lease_no: i32,
    pub status: Status,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub monthly_rent: i64,
    pub tenant_name: String,
    pub unit_label: String,
    pub demand_to_move_on: Option<NaiveDate>,
    pub notice_effective_on: Option<NaiveDate>,
    pub review_outcome: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    pub renewal_application_id: Option<Uuid>,
    /// A renewal case is under way or granted (not refused, withdrawn or closed).
    pub renewal_pending: bool,
}

pub struct ListFilter {
    pub statuses: Vec<Status>,
    /// Tenant name, unit number or lease number.
    pub text: String,
    /// Only leases with an end date in `[from, to]` (the expiry list).
    pub ending: Option<(NaiveDate, NaiveDate)>,
}

/// A page of a lease list: `$1` the municipalities, `$2` the statuses, `$3` the search
/// text; `pick` the condition on `e` (the leases) that places a lease after the cursor, and
/// `order` the order of the page. The page's leases are picked first, per municipality by
/// an index walk in that order (LATERAL over the municipalities; `municipality_id =
/// ANY($1)` alone cannot walk an index in order, so the planner joined every lease of the
/// municipalities to tenant, unit and property and sorted them for 51 rows), merged, and
/// only those are joined to tenant, unit, property and review by key. Each of those is a
/// LATERAL lookup by its whole key (`LIMIT 1` keeps the planner from flattening it): as
/// plain joins, at factor 10 the planner probed `people` by municipality alone and
/// filtered 4 400 tenants for each of the 51 rows (docs/BENCHMARKS.md § Lease pages).
/// `limit` is the placeholder of the page size.
fn list_sql(pick: &str, order: &str, limit: &str) -> String {
    let order_e = order.replace("{t}", "e");
    let order_x = order.replace("{t}", "x");
    let order_l = order.replace("{t}", "l");
    format!(
        "WITH l AS MATERIALIZED (
           SELECT x.* FROM unnest($1::uuid[]) AS mm (id)
            CROSS JOIN LATERAL (
              SELECT e.municipality_id, e.id, e.lease_no, e.status, e.starts_on, e.ends_on, e.monthly_rent,
                     e.demand_to_move_on, e.notice_effective_on, e.tenant_id, e.dwelling_id
                FROM leases e
               WHERE e.municipality_id = mm.id AND e.status = ANY($2) AND {pick}
                 AND ($3 = ''
                      OR EXISTS (SELECT 1 FROM people pe WHERE pe.municipality_id = e.municipality_id
                                    AND pe.id = e.tenant_id AND pe.name ILIKE '%' || $3 || '%')
                      OR EXISTS (SELECT 1 FROM dwellings d WHERE d.municipality_id = e.municipality_id
                                    AND d.id = e.dwelling_id AND d.unit_number = upper($3))
                      OR e.lease_no::text = $3)
               ORDER BY {order_e} LIMIT {limit}) x
            ORDER BY {order_x} LIMIT {limit})
         SELECT l.municipality_id, l.id, l.lease_no, l.status, l.starts_on, l.ends_on,
                l.monthly_rent, pe.name AS tenant_name, (p.street_address || ' ' || d.unit_number) AS unit_label,
                l.demand_to_move_on, l.notice_effective_on, r.outcome AS review_outcome, r.reviewed_on,
                r.renewal_application_id, EXISTS (SELECT 1 FROM lease_reviews rv JOIN applications ra
                          ON ra.municipality_id = rv.municipality_id AND ra.id = rv.renewal_application_id
                        WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id
                          AND ra.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision')) AS renewal_pending
           FROM l
           CROSS JOIN LATERAL (SELECT d.unit_number, d.property_id FROM dwellings d
                                WHERE d.municipality_id = l.municipality_id AND d.id = l.dwelling_id LIMIT 1) d
           CROSS JOIN LATERAL (SELECT p.street_address FROM properties p
                                WHERE p.municipality_id = l.municipality_id AND p.id = d.property_id LIMIT 1) p
           CROSS JOIN LATERAL (SELECT pe.name FROM people pe
                                WHERE pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id LIMIT 1) pe
           LEFT JOIN LATERAL (SELECT x.outcome, x.reviewed_on, x.renewal_application_id FROM lease_reviews x
                               WHERE x.municipality_id = l.municipality_id AND x.lease_id = l.id
                               ORDER BY x.reviewed_on DESC, x.created_at DESC LIMIT 1) r ON true
          ORDER BY {order_l}"
    )
}

/// The lease list, newest lease number first, `limit` rows after `after` (keyset).
pub async fn list(
    conn: &mut PgConnection,
    visible: &[Uuid],
    f: &ListFilter,
    after: Option<(i32, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ListRow>> {
    let (no, id) = after.unwrap_or((i32::MAX, Uuid::max()));
    sqlx::query_as(&list_sql(
        "(e.lease_no, e.id) < ($4, $5)",
        "{t}.lease_no DESC, {t}.id DESC",
        "$6",
    ))
    .bind(visible)
    .bind(&f.statuses)
    .bind(&f.text)
    .bind(no)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// How many leases `f` finds with an end date in its window (the expiry list's total,
/// which the start page's "utløper innen 6 måneder" equals).
pub async fn count_ending(
    conn: &mut PgConnection,
    visible: &[Uuid],
    f: &ListFilter,
) -> sqlx::Result<i64> {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let (from, to) = f.ending.unwrap_or((first, last));
    sqlx::query_scalar(
        "SELECT count(*) FROM leases e
          WHERE e.municipality_id = ANY($1) AND e.status = ANY($2)
            AND e.ends_on BETWEEN $4 AND $5
            AND ($3 = ''
                 OR EXISTS (SELECT 1 FROM people pe WHERE pe.municipality_id = e.municipality_id
                               AND pe.id = e.tenant_id AND pe.name ILIKE '%' || $3 || '%')
                 OR EXISTS (SELECT 1 FROM dwellings d WHERE d.municipality_id = e.municipality_id
                               AND d.id = e.dwelling_id AND d.unit_number = upper($3))
                 OR e.lease_no::text = $3)",
    )
    .bind(visible)
    .bind(&f.statuses)
    .bind(&f.text)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await
}

/// Leases ending in the window, soonest first, `limit` rows after `after` (keyset).
pub async fn ending(
    conn: &mut PgConnection,
    visible: &[Uuid],
    f: &ListFilter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ListRow>> {
    // The widest dates PostgreSQL and every client agree on.
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let (from, to) = f.ending.unwrap_or((first, last));
    let (d, id) = after.unwrap_or((first, Uuid::nil()));
    sqlx::query_as(&list_sql(
        "e.ends_on BETWEEN $4 AND $5 AND (e.ends_on, e.id) > ($6, $7)",
        "{t}.ends_on, {t}.id",
        "$8",
    ))
    .bind(visible)
    .bind(&f.statuses)
    .bind(&f.text)
    .bind(from)
    .bind(to)
    .bind(d)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ReviewDue {
    pub municipality_id: Uuid,
    pub id: Uuid,
    pub lease_no: i32,
    pub tenant_name: String,
    pub unit_label: String,
    pub ends_on: NaiveDate,
}

/// Time-limited leases ending within `horizon` months of `day` with no review in the year
/// before their end, and not on `meeting`'s agenda: the team reviews them before the end.
pub async fn reviews_due(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    meeting: Uuid,
    day: NaiveDate,
    horizon: u32,
) -> sqlx::Result<Vec<ReviewDue>> {
    sqlx::query_as(
        "SELECT l.municipality_id, l.id, l.lease_no, pe.name AS tenant_name,
                (p.street_address || ' ' || d.unit_number) AS unit_label, l.ends_on
           FROM leases l
           JOIN dwellings d ON d.municipality_id = l.municipality_id AND d.id = l.dwelling_id
           JOIN properties p ON p.municipality_id = d.municipality_id AND p.id = d.property_id
           JOIN people pe ON pe.municipality_id = l.municipality_id AND pe.id = l.tenant_id
          WHERE l.municipality_id = ANY($1) AND l.status IN ('signed', 'active')
            AND l.ends_on IS NOT NULL AND l.ends_on <= ($3 + make_interval(months => $4))::date
            AND NOT EXISTS (SELECT 1 FROM lease_reviews r
                             WHERE r.municipality_id = l.municipality_id AND r.lease_id = l.id
                               AND r.reviewed_on >= (l.ends_on - interval '12 months')::date)
            AND NOT EXISTS (SELECT 1 FROM meeting_items i
                             WHERE i.municipality_id = l.municipality_id AND i.meeting_id = $2
                               AND i.lease_id = l.id)
          ORDER BY l.ends_on, l.lease_no
          LIMIT 200",
    )
    .bind(municipalities)
    .bind(meeting)
    .bind(day)
    .bind(horizon as i32)
    .fetch_all(conn)
    .await
}

/// Another running lease of the unit that still holds it on `start`: one past its end
/// date holds it until notice or a written demand to move fixes the day it is released.
pub async fn holding(
    conn: &mut PgConnection,
    m: Uuid,
    dwelling: Uuid,
    except: Uuid,
    start: NaiveDate,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "SELECT lease_no FROM leases
          WHERE municipality_id = $1 AND dwelling_id = $2 AND id <> $3
            AND status IN ('signed', 'active', 'notice_given') AND starts_on <= $4
            AND coalesce(CASE WHEN status = 'notice_given' THEN notice_effective_on
                              WHEN demand_to_move_on IS NOT NULL THEN ends_on END,
                         'infinity'::date) >= $4
          ORDER BY starts_on LIMIT 1",
    )
    .bind(m)
    .bind(dwelling)
    .bind(except)
    .bind(start)
    .fetch_optional(conn)
    .await
}

/// Is a renewal case of the lease under way or granted? (Then the § 9-2 warning rests.)
pub async fn renewal_pending(conn: &mut PgConnection, m: Uuid, lease: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(&format!(
        "SELECT {} FROM leases l WHERE l.municipality_id = $1 AND l.id = $2",
        RENEWAL_PENDING
    ))
    .bind(m)
    .bind(lease)
    .fetch_one(conn)
    .await
}

/// SQL: a renewal case of lease `l` that is neither refused, withdrawn nor closed.
pub const RENEWAL_PENDING: &str = "EXISTS (SELECT 1 FROM lease_reviews rv JOIN applications ra                   ON ra.municipality_id = rv.municipality_id AND ra.id = rv.renewal_application_id                 WHERE rv.municipality_id = l.municipality_id AND rv.lease_id = l.id                   AND ra.status NOT IN ('rejected', 'withdrawn', 'closed_without_decision'))";
