//! Demo and benchmark leases. Demo: for each demo municipality ten or more tenancies on let
//! units (most three-year leases, some ending within six months with and without a
//! written demand to move, shorter ones with their § 11-1 basis, one on notice, one
//! ended), each with its initial rent and some with an older CPI adjustment, all relative
//! to `today`. Scale: 15 000 leases per factor, set-based, one current lease per let unit
//! and ended earlier ones before it, each with one to four rent changes.

use chrono::{Datelike, Duration, Months, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use super::import::repo::{self, NewLeases, NewPeople};
use super::rules;
use crate::applications::model::complete_national_id;
use crate::seed::with_tenant;

/// The municipality's active § 11-1 grounds (its defaults, `leases::settings`, when it has
/// none yet): the short demo and scale leases name them.
async fn ensure_grounds(conn: &mut PgConnection, m: Uuid) -> anyhow::Result<Vec<Uuid>> {
    let grounds = crate::leases::settings::repo::active_grounds(conn, m).await?;
    anyhow::ensure!(!grounds.is_empty(), "no § 11-1 grounds for {m}");
    Ok(grounds.into_iter().map(|g| g.id).collect())
}

const FIRST: &[&str] = &[
    "Åse", "Bjørn", "Kari", "Ola", "Sigrid", "Per", "Ingrid", "Nils", "Marte", "Jonas", "Sølvi",
    "Tor", "Hanne", "Øystein", "Leila", "Ahmed", "Maria", "Jan", "Eva", "Knut",
];
const LAST: &[&str] = &[
    "Ødegård",
    "Ås",
    "Hegre",
    "Vold",
    "Skogn",
    "Ekne",
    "Bakken",
    "Moen",
    "Haugen",
    "Lund",
    "Nilsen",
    "Berg",
    "Sæther",
    "Aune",
    "Hassan",
    "Kowalski",
];

fn sub_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(months)).unwrap_or(d)
}

/// One demo tenancy, before it is written.
struct DemoLease {
    unit: Uuid,
    rent: i64,
    status: &'static str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    signed_on: NaiveDate,
    ground: Option<(Uuid, NaiveDate)>,
    notice: Option<(NaiveDate, NaiveDate)>,
    ended: Option<(NaiveDate, &'static str)>,
    demand_on: Option<NaiveDate>,
    deposit: (&'static str, i64),
}

#[derive(sqlx::FromRow)]
struct DemoUnit {
    id: Uuid,
    status: String,
    status_since: NaiveDate,
    monthly_rent: Option<i64>,
}

/// The demo tenancies of one municipality on its let units (and one on notice, one ended
/// on a vacant unit), each unit used once.
fn plan_demo(
    units: &[DemoUnit],
    grounds: &[Uuid],
    three_year: i64,
    today: NaiveDate,
) -> Vec<DemoLease> {
    let of = |status: &'static str| units.iter().filter(move |u| u.status == status);
    let mut let_units = of("let");
    let mut out = Vec::new();
    let lease = |u: &DemoUnit, starts_on: NaiveDate, ends_on: Option<NaiveDate>| DemoLease {
        unit: u.id,
        rent: u.monthly_rent.unwrap_or(800_000),
        status: "active",
        starts_on,
        ends_on,
        signed_on: starts_on - Duration::days(7),
        ground: None,
        notice: None,
        ended: None,
        demand_on: None,
        deposit: if out_len_even(&u.id) {
            ("account", 3)
        } else {
            ("guarantee", 3)
        },
    };
    // Three-year leases started over the last two and a half years.
    for i in 0..three_year {
        let Some(u) = let_units.next() else { break };
        let start = today - Duration::days(60 + 150 * i);
        out.push(lease(u, start, Some(rules::end_after(start, 36))));
    }
    // Ending within six months: in 40 and 120 days without a demand to move (the § 9-2
    // warning), one in 75 days with it, one ended 20 days ago with the tenant still there.
    for (days, demand) in [(40i64, false), (120, false), (75, true), (-20, false)] {
        let Some(u) = let_units.next() else { break };
        let end = today + Duration::days(days);
        let start = sub_months(end + Duration::days(1), 36);
        let mut l = lease(u, start, Some(end));
        l.demand_on = demand.then(|| today - Duration::days(10));
        out.push(l);
    }
    // Shorter than three years, with a § 11-1 ground and the notice before signing.
    for (i, months) in [(0usize, 24u32), (1, 12)] {
        let Some(u) = let_units.next() else { break };
        let start = today - Duration::days(100 + 60 * i as i64);
        let mut l = lease(u, start, Some(rules::end_after(start, months)));
        l.signed_on = start - Duration::days(10);
        l.ground = grounds.get(i).map(|g| (*g, start - Duration::days(25)));
        l.deposit = ("none", 0);
        out.push(l);
    }
    // Notice given by the tenant, on a unit already on notice.
    if let Some(u) = of("notice_given").next() {
        let given = u.status_since.min(today);
        let start = sub_months(given, 30);
        let mut l = lease(u, start, None);
        l.status = "notice_given";
        l.notice = Some((given, rules::notice_effective_on(given)));
        out.push(l);
    }
    // Ended the day before a vacant unit became vacant.
    if let Some(u) = of("vacant").next() {
        let ended = u.status_since - Duration::days(1);
        let start = sub_months(ended, 44);
        let mut l = lease(u, start, None);
        l.status = "ended";
        l.ended = Some((ended, "own_home"));
        out.push(l);
    }
    out
}

fn out_len_even(id: &Uuid) -> bool {
    id.as_bytes()[15] % 2 == 0
}

/// A synthetic identity number (month + 40, NAV's synthetic numbers) for a birth date: never
/// a real person's, and never one of the demo applicants (month + 80), so demo tenants are
/// people of their own.
fn test_national_id(birth: NaiveDate, salt: usize) -> Option<String> {
    (0..400).find_map(|i| {
        let individual = (salt * 37 + i) % 500;
        complete_national_id(&format!(
            "{:02}{:02}{:02}{individual:03}",
            birth.day(),
            birth.month() + 40,
            birth.year() % 100
        ))
    })
}

async fn demo_one(
    conn: &mut PgConnection,
    m: Uuid,
    salt: usize,
    today: NaiveDate,
) -> anyhow::Result<()> {
    with_tenant(conn, m).await?;
    let grounds = ensure_grounds(conn, m).await?;
    let units: Vec<DemoUnit> = sqlx::query_as(
        "SELECT d.id, d.status::text AS status, d.status_since, d.monthly_rent FROM dwellings d
          WHERE d.municipality_id = $1 AND d.status IN ('let', 'notice_given', 'vacant')
            AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.municipality_id = d.municipality_id
                                                     AND l.dwelling_id = d.id)
          ORDER BY d.status_since, d.id",
    )
    .bind(m)
    .fetch_all(&mut *conn)
    .await?;
    // Levanger (the first) has the most; about thirty in all.
    let plan = plan_demo(&units, &grounds, if salt == 1 { 6 } else { 2 }, today);
    let mut people = NewPeople::default();
    let mut leases = NewLeases::default();
    for (i, l) in plan.iter().enumerate() {
        let birth = today - Duration::days(365 * 22 + 997 * i as i64 % (365 * 50));
        people.id.push(Uuid::now_v7());
        people
            .national_id
            .push(test_national_id(birth, salt * 100 + i));
        people.birth_date.push(Some(birth));
        people.name.push(format!(
            "{} {}",
            FIRST[(salt * 7 + i * 3) % FIRST.len()],
            LAST[(salt * 5 + i * 7) % LAST.len()]
        ));
        people.phone.push(format!(
            "9{:02} {:02} {:03}",
            10 + i,
            salt * 11 % 100,
            100 + i * 17
        ));
        people.email.push(String::new());
        leases.id.push(Uuid::now_v7());
        leases.rent_change_id.push(Uuid::now_v7());
        leases.dwelling_id.push(l.unit);
        leases.status.push(l.status.into());
        leases.starts_on.push(l.starts_on);
        leases.ends_on.push(l.ends_on);
        leases.monthly_rent.push(l.rent);
        leases.deposit_kind.push(l.deposit.0.into());
        leases.deposit_amount.push(l.deposit.1 * l.rent);
        leases.deposit_bank.push(if l.deposit.0 == "account" {
            "SpareBank 1 SMN".into()
        } else {
            String::new()
        });
        leases.deposit_account.push(if l.deposit.0 == "account" {
            "15031234562".into()
        } else {
            String::new()
        });
        leases.guarantor.push(if l.deposit.0 == "guarantee" {
            "NAV".into()
        } else {
            String::new()
        });
        leases
            .guarantee_reference
            .push(if l.deposit.0 == "guarantee" {
                format!("NAV-{}-{i:03}", l.starts_on.year())
            } else {
                String::new()
            });
        leases.ground_id.push(l.ground.map(|g| g.0));
        leases.ground_notice_on.push(l.ground.map(|g| g.1));
        leases.signed_on.push(l.signed_on);
        leases.notice_given_on.push(l.notice.map(|n| n.0));
        leases.notice_effective_on.push(l.notice.map(|n| n.1));
        leases.ended_on.push(l.ended.map(|e| e.0));
        leases.end_reason.push(l.ended.map(|e| e.1.to_string()));
        leases.demand_to_move_on.push(l.demand_on);
    }
    let (tenants, _) = repo::upsert_people(conn, m, &people).await?;
    leases.tenant_id = tenants;
    let house_rules = repo::newest_house_rules(conn, m).await?;
    repo::insert_leases(conn, m, &leases, house_rules, None).await?;
    // A CPI adjustment one year in for the leases that have run longer than that.
    sqlx::query(
        "INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent,
                previous_rent, reason, index_month, note)
         SELECT l.municipality_id, gen_random_uuid(), l.id, (l.starts_on + interval '1 year')::date,
                (l.starts_on + interval '1 year')::date - 40, (l.monthly_rent * 1035 / 100000) * 100,
                l.monthly_rent, 'cpi', date_trunc('month', l.starts_on + interval '10 months')::date,
                'KPI-regulering'
           FROM leases l
          WHERE l.municipality_id = $1 AND l.id = ANY($2) AND l.status <> 'ended'
            AND (l.starts_on + interval '1 year')::date <= $3",
    )
    .bind(m)
    .bind(&leases.id)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Demo leases for the demo municipalities: (id, number, name).
pub async fn seed_demo(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String, String)],
    today: NaiveDate,
) -> anyhow::Result<()> {
    for (salt, (m, _, _)) in municipalities.iter().enumerate() {
        demo_one(conn, *m, salt + 1, today).await?;
    }
    Ok(())
}

/// Benchmark leases: 15 000 per factor spread evenly over the municipalities.
pub async fn seed_scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    factor: u32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    if municipalities.is_empty() {
        return Ok(());
    }
    let each = 15_000 * factor.max(1) as i64 / municipalities.len() as i64;
    for m in municipalities {
        seed_leases(conn, *m, each, today).await?;
    }
    // An open CPI run with its proposals for the benchmark's run page.
    with_tenant(conn, municipalities[0]).await?;
    let by: Uuid = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN memberships g ON g.user_id = u.id
          WHERE g.municipality_id = $1 AND g.role = 'admin' ORDER BY u.username LIMIT 1",
    )
    .bind(municipalities[0])
    .fetch_one(&mut *conn)
    .await?;
    crate::leases::cpi::seed_scale_run(conn, municipalities[0], by, today).await?;
    Ok(())
}

/// `count` leases in municipality `m`, set-based (numbered in order of their start), on its let and notice-given units that
/// have no lease yet: lease k goes to unit k mod L; the first round is each unit's current
/// lease (from the date the unit was let; on notice for units on notice), later rounds are
/// ended leases before it, 1 500 days apart so they never overlap. Each has its initial
/// rent and up to three yearly CPI adjustments.
pub async fn seed_leases(
    conn: &mut PgConnection,
    m: Uuid,
    count: i64,
    today: NaiveDate,
) -> anyhow::Result<u64> {
    with_tenant(conn, m).await?;
    let grounds = ensure_grounds(conn, m).await?;
    sqlx::query(
        "CREATE TEMP TABLE seed_leases (id uuid, tenant_id uuid, k int4, gen int4, dwelling_id uuid,
           rent int8, h int4, starts_on date, signed_on date, ended_on date, short_term bool, ends_on date,
           status text, notice_given_on date, notice_effective_on date, deposit_kind text) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO seed_leases
         WITH u AS (
           SELECT d.id, d.status::text AS ustatus, d.status_since, d.expected_vacant_from,
                  COALESCE(d.monthly_rent, 800000) AS rent,
                  (row_number() OVER (ORDER BY d.id) - 1)::int AS i,
                  (hashtext(d.id::text) & 1073741823) AS h
             FROM dwellings d
            WHERE d.municipality_id = $1 AND d.status IN ('let', 'notice_given')
              AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.municipality_id = d.municipality_id
                                                       AND l.dwelling_id = d.id)
         ), n AS (SELECT count(*)::int AS l FROM u),
         k AS (
           SELECT gen * n.l + u.i AS k, gen, u.*,
                  CASE WHEN u.ustatus = 'let' THEN u.status_since
                       ELSE u.status_since - 700 - u.h % 500 END AS s0
             FROM u CROSS JOIN n
            CROSS JOIN LATERAL generate_series(0, ($2::int4 - 1 - u.i) / n.l) gen
            WHERE u.i < $2::int4
         ), d AS (
           SELECT k.*,
                  CASE WHEN gen = 0 THEN NULL ELSE s0 - 20 - (gen - 1) * 1500 - h % 10 END AS ended_on
             FROM k
         ), s AS (
           SELECT d.*, CASE WHEN gen = 0 THEN s0 ELSE ended_on - 600 - h % 800 END AS starts_on,
                  gen = 0 AND h % 10 = 0 AND s0 >= $3 - 600 AS short_term
             FROM d
         )
         SELECT gen_random_uuid() AS id, gen_random_uuid() AS tenant_id, k, gen, s.id AS dwelling_id,
                rent, h, starts_on, starts_on - 5 AS signed_on, ended_on, short_term,
                CASE WHEN short_term THEN (starts_on + interval '2 years')::date - 1
                     WHEN gen = 0 AND starts_on < $3 - 1000 THEN NULL
                     WHEN gen = 0 THEN ((starts_on + interval '3 years')::date - 1
                           + (extract(day FROM starts_on) <> extract(day FROM starts_on + interval '3 years'))::int)
                     WHEN ended_on - starts_on < 1095 THEN ((starts_on + interval '3 years')::date - 1
                           + (extract(day FROM starts_on) <> extract(day FROM starts_on + interval '3 years'))::int)
                     ELSE NULL END AS ends_on,
                CASE WHEN gen > 0 THEN 'ended' WHEN ustatus = 'notice_given' THEN 'notice_given'
                     ELSE 'active' END AS status,
                CASE WHEN gen = 0 AND ustatus = 'notice_given' THEN status_since END AS notice_given_on,
                CASE WHEN gen = 0 AND ustatus = 'notice_given'
                     THEN GREATEST(status_since, COALESCE(expected_vacant_from - 1, status_since + 90)) END
                  AS notice_effective_on,
                CASE h % 10 WHEN 0 THEN 'none' WHEN 1 THEN 'guarantee' WHEN 2 THEN 'guarantee'
                     WHEN 3 THEN 'guarantee' ELSE 'account' END AS deposit_kind
           FROM s",
    )
    .bind(m)
    .bind(count)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    let first: i32 = sqlx::query_scalar(
        "INSERT INTO lease_number_counters (municipality_id, next_no)
         SELECT $1, 1 + count(*) FROM seed_leases
         ON CONFLICT (municipality_id) DO UPDATE
           SET next_no = lease_number_counters.next_no + (SELECT count(*) FROM seed_leases)
         RETURNING next_no - (SELECT count(*) FROM seed_leases)::int4",
    )
    .bind(m)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO people (municipality_id, id, birth_date, name)
         SELECT $1, tenant_id, DATE '1940-01-01' + (h + 7 * k) % 24000,
                (ARRAY['Åse','Bjørn','Kari','Ola','Sigrid','Per','Ingrid','Nils','Marte','Jonas'])[1 + (h + k) % 10]
                || ' ' ||
                (ARRAY['Ødegård','Ås','Hegre','Vold','Skogn','Ekne','Bakken','Moen','Haugen','Lund'])[1 + (h / 10 + k) % 10]
           FROM seed_leases",
    )
    .bind(m)
    .execute(&mut *conn)
    .await?;
    let created = sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status, starts_on, ends_on,
                monthly_rent, deposit_kind, deposit_amount, deposit_bank, deposit_account, guarantor,
                guarantee_reference, short_term_ground_id, short_term_notice_on, signed_on, notice_by,
                notice_given_on, notice_effective_on, ended_on, end_reason, imported)
         SELECT $1, id, $2 + (row_number() OVER (ORDER BY starts_on, k))::int4 - 1, dwelling_id, tenant_id, status::lease_status, starts_on, ends_on, rent,
                deposit_kind, CASE WHEN deposit_kind = 'none' THEN 0 ELSE 3 * rent END,
                CASE WHEN deposit_kind = 'account' THEN 'SpareBank 1 SMN' ELSE '' END,
                CASE WHEN deposit_kind = 'account' THEN '15031234562' ELSE '' END,
                CASE WHEN deposit_kind = 'guarantee' THEN 'NAV' ELSE '' END,
                CASE WHEN deposit_kind = 'guarantee' THEN 'NAV-' || k ELSE '' END,
                CASE WHEN short_term THEN $3::uuid END, CASE WHEN short_term THEN starts_on - 20 END,
                signed_on, CASE WHEN notice_given_on IS NOT NULL THEN 'tenant' END, notice_given_on,
                notice_effective_on, ended_on,
                CASE WHEN status = 'ended'
                     THEN (ARRAY['own_home','municipal_dwelling','institution','evicted','died','other'])[1 + h % 6] END,
                true
           FROM seed_leases ORDER BY starts_on, k",
    )
    .bind(m)
    .bind(first)
    .bind(grounds[0])
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The rent history: the initial rent, then CPI adjustments of 3 % a year while the
    // lease ran, at most three.
    sqlx::query(
        "INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent,
                previous_rent, reason, index_month)
         SELECT $1, gen_random_uuid(), l.id, (l.starts_on + j * interval '1 year')::date,
                CASE WHEN j = 0 THEN LEAST(l.signed_on, l.starts_on)
                     ELSE (l.starts_on + j * interval '1 year')::date - 40 END,
                (floor(l.rent * power(1.03::numeric, j) / 100) * 100)::int8,
                CASE WHEN j > 0 THEN (floor(l.rent * power(1.03::numeric, j - 1) / 100) * 100)::int8 END,
                CASE WHEN j = 0 THEN 'initial' ELSE 'cpi' END,
                date_trunc('month', (l.starts_on + j * interval '1 year')::date - 70)::date
           FROM seed_leases l
          CROSS JOIN LATERAL generate_series(0, LEAST(3, l.h % 4,
                         (COALESCE(l.ended_on, $2) - l.starts_on) / 366)) j",
    )
    .bind(m)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DROP TABLE seed_leases")
        .execute(&mut *conn)
        .await?;
    Ok(created)
}
