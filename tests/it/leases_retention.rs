//! Retention reaches leases: an ended lease past the municipality's period loses its free
//! text, its letters (a tenancy without a case), the agenda item that names its tenant and
//! its audit details, and the people only it names are anonymised; people a lease not yet
//! due still names stay. Dates are relative to the test's clock.

use chrono::{Duration, Months, NaiveDate};
use uuid::Uuid;

use crate::common::TestApp;

fn years_before(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(12 * years)).unwrap()
}

struct Fixture {
    m: Uuid,
    /// Ended the day after ten years ago: due tomorrow.
    due: Uuid,
    /// Ended a year ago: not due.
    recent: Uuid,
    tenant: Uuid,
    co_tenant: Uuid,
    child: Uuid,
    /// Household member of the due lease and tenant of the recent one.
    shared: Uuid,
    letter: Uuid,
    item: Uuid,
    due_on: NaiveDate,
}

async fn person(tx: &mut sqlx::PgConnection, m: Uuid, name: &str, nid: Option<&str>) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO people (municipality_id, id, national_id, birth_date, name, phone, email)
         VALUES ($1, $2, $3, '1980-02-01', $4, '90000000', 'navn@eksempel.no')",
    )
    .bind(m)
    .bind(id)
    .bind(nid)
    .bind(name)
    .execute(tx)
    .await
    .unwrap();
    id
}

#[allow(clippy::too_many_arguments)]
async fn ended_lease(
    tx: &mut sqlx::PgConnection,
    m: Uuid,
    unit: Uuid,
    no: i32,
    tenant: Uuid,
    starts_on: NaiveDate,
    ended_on: NaiveDate,
) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status,
                             starts_on, monthly_rent, signed_on, deposit_kind, deposit_amount,
                             deposit_bank, deposit_account, ended_on, end_reason, end_notes,
                             deposit_settlement, deposit_withheld, deposit_settlement_reason)
         VALUES ($1, $2, $3, $4, $5, 'ended', $6, 850000, $6, 'account', 1700000,
                 'Sparebanken Midt', '12345678903', $7, 'other', 'Flyttet til søsteren i Oslo',
                 'partly_withheld', 500000, 'Skade på kjøkkenbenken etter Kari')",
    )
    .bind(m)
    .bind(id)
    .bind(no)
    .bind(unit)
    .bind(tenant)
    .bind(starts_on)
    .bind(ended_on)
    .execute(tx)
    .await
    .unwrap();
    id
}

async fn fixture(app: &TestApp) -> Fixture {
    let m = app.municipality_id("5037").await;
    let today = app.today();
    let author = app.user_id("levanger.saksbehandler").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let units: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM dwellings WHERE municipality_id = $1 AND status = 'vacant' ORDER BY id LIMIT 2",
    )
    .bind(m)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let tenant = person(&mut tx, m, "Kari Leietaker", Some("01028040187")).await;
    let co_tenant = person(&mut tx, m, "Ola Medleietaker", None).await;
    let child = person(&mut tx, m, "Lise Barn", None).await;
    let shared = person(&mut tx, m, "Per Begge", None).await;
    // Due tomorrow: ended ten years ago less a day (the default period is ten years).
    let ended = years_before(today, 10) + Duration::days(1);
    let due_on = ended.checked_add_months(Months::new(120)).unwrap();
    let due = ended_lease(
        &mut tx,
        m,
        units[0],
        990101,
        tenant,
        ended - Duration::days(1500),
        ended,
    )
    .await;
    let recent_end = today - Duration::days(365);
    let recent = ended_lease(
        &mut tx,
        m,
        units[1],
        990102,
        shared,
        recent_end - Duration::days(1500),
        recent_end,
    )
    .await;
    for (p, role) in [
        (co_tenant, "co_tenant"),
        (child, "household"),
        (shared, "household"),
    ] {
        sqlx::query(
            "INSERT INTO lease_parties (municipality_id, lease_id, person_id, role) VALUES ($1, $2, $3, $4)",
        )
        .bind(m)
        .bind(due)
        .bind(p)
        .bind(role)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // The contract of a tenancy without a case, archived as sent.
    let letter = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO sent_letters (municipality_id, id, application_id, kind, entity_type, entity_id,
                                   title, recipient, channel, sent_on, blocks, body, pdf, sha256)
         VALUES ($1, $2, NULL, 'lease_contract', 'lease', $3, 'Leiekontrakt nr. 990101',
                 'Kari Leietaker, Sjøgata 4', 'post', $4, '[{\"p\": \"Kari Leietaker\"}]',
                 'Leietaker: Kari Leietaker', '\\x255044462d'::bytea, repeat('b', 64))",
    )
    .bind(m)
    .bind(letter)
    .bind(due)
    .bind(ended - Duration::days(1500))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO lease_reviews (municipality_id, id, lease_id, reviewed_on, situation, outcome, reviewed_by)
         VALUES ($1, $2, $3, $4, 'Kari har fått fast jobb og vil kjøpe', 'startlan', $5)",
    )
    .bind(m)
    .bind(Uuid::now_v7())
    .bind(due)
    .bind(ended - Duration::days(100))
    .bind(author)
    .execute(&mut *tx)
    .await
    .unwrap();
    // The review on the team's agenda, in minutes already approved.
    let meeting = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO meetings (municipality_id, id, covers, title, starts_at, created_by)
         VALUES ($1, $2, ARRAY[$1], 'Tildelingsmøte', $3::date + time '09:00', $4)",
    )
    .bind(m)
    .bind(meeting)
    .bind(ended - Duration::days(120))
    .bind(author)
    .execute(&mut *tx)
    .await
    .unwrap();
    let item = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO meeting_items (municipality_id, id, meeting_id, position, kind, lease_id, title,
                                    conclusion, conclusion_text, concluded_at, concluded_by, added_by)
         VALUES ($1, $2, $3, 1, 'other', $4, 'Leiekontrakt nr. 990101 (Kari Leietaker) utløper',
                 'postponed', 'Kari vil kjøpe selv', now(), $5, $5)",
    )
    .bind(m)
    .bind(item)
    .bind(meeting)
    .bind(due)
    .bind(author)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE meetings SET approved_at = now(), approved_by = $3 WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(meeting)
    .bind(author)
    .execute(&mut *tx)
    .await
    .unwrap();
    for lease in [due, recent] {
        sqlx::query(
            "INSERT INTO audit_events (id, username, municipality_id, action, entity_type, entity_id, details)
             VALUES (gen_random_uuid(), 'levanger.saksbehandler', $1, 'lease.ended', 'lease', $2,
                     '{\"notes\": \"Flyttet til søsteren i Oslo\"}')",
        )
        .bind(m)
        .bind(lease.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    Fixture {
        m,
        due,
        recent,
        tenant,
        co_tenant,
        child,
        shared,
        letter,
        item,
        due_on,
    }
}

async fn one<T>(app: &TestApp, m: Uuid, sql: &str, id: Uuid) -> T
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let r = sqlx::query_as(sql)
        .bind(m)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r
}

async fn name(app: &TestApp, f: &Fixture, person: Uuid) -> String {
    let (n,): (String,) = one(
        app,
        f.m,
        "SELECT name FROM people WHERE municipality_id = $1 AND id = $2",
        person,
    )
    .await;
    n
}

#[tokio::test]
async fn an_ended_lease_past_its_period_is_anonymised_with_the_people_only_it_names() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    assert_eq!(f.due_on, app.today() + Duration::days(1));

    // The day before the period ends nothing goes.
    bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    assert_eq!(name(&app, &f, f.tenant).await, "Kari Leietaker");
    let (notes,): (String,) = one(
        &app,
        f.m,
        "SELECT end_notes FROM leases WHERE municipality_id = $1 AND id = $2",
        f.due,
    )
    .await;
    assert_eq!(notes, "Flyttet til søsteren i Oslo");

    // On the day, the lease's personal content goes and its skeleton stays.
    app.set_today(f.due_on);
    let mut admin = app.login("levanger.admin").await;
    let dry = admin.get("/innstillinger/personvern").await;
    assert!(
        dry.text_of("#leases-due-count").starts_with("1 avsluttede"),
        "{}",
        dry.text_of("#leases-due-count")
    );
    bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    type LeaseRow = (
        String,
        String,
        String,
        String,
        Option<NaiveDate>,
        String,
        i64,
        i64,
    );
    let lease: LeaseRow = one(
        &app,
        f.m,
        "SELECT end_notes, deposit_bank, deposit_account, deposit_settlement_reason, anonymised_on,
                status::text, monthly_rent, deposit_withheld
           FROM leases WHERE municipality_id = $1 AND id = $2",
        f.due,
    )
    .await;
    assert_eq!(
        lease,
        (
            "Anonymisert".into(),
            String::new(),
            "00000000000".into(),
            "Anonymisert".into(),
            Some(f.due_on),
            "ended".into(),
            850000,
            500000
        )
    );
    // The people only this lease names.
    for p in [f.tenant, f.co_tenant, f.child] {
        assert_eq!(name(&app, &f, p).await, "Anonymisert");
    }
    let (nid, phone, birth): (Option<String>, String, Option<NaiveDate>) = one(
        &app,
        f.m,
        "SELECT national_id, phone, birth_date FROM people WHERE municipality_id = $1 AND id = $2",
        f.tenant,
    )
    .await;
    assert_eq!((nid, phone.as_str()), (None, ""));
    assert_eq!(
        birth,
        NaiveDate::from_ymd_opt(1980, 1, 1),
        "the birth year stays"
    );
    // … but not the one the recent lease still names.
    assert_eq!(name(&app, &f, f.shared).await, "Per Begge");
    // The letter of the tenancy without a case: blank, its hash and date kept.
    let (recipient, body, pdf_len, sha): (String, String, i32, String) = one(
        &app,
        f.m,
        "SELECT recipient, body, length(pdf), sha256 FROM sent_letters WHERE municipality_id = $1 AND id = $2",
        f.letter,
    )
    .await;
    assert_eq!(
        (recipient.as_str(), body.as_str(), pdf_len, sha),
        ("Anonymisert", "", 0, "b".repeat(64))
    );
    // The review's notes and the agenda item naming the tenant, in approved minutes.
    let (situation,): (String,) = one(
        &app,
        f.m,
        "SELECT situation FROM lease_reviews WHERE municipality_id = $1 AND lease_id = $2",
        f.due,
    )
    .await;
    assert_eq!(situation, "Anonymisert");
    let (title, conclusion): (String, String) = one(
        &app,
        f.m,
        "SELECT title, conclusion_text FROM meeting_items WHERE municipality_id = $1 AND id = $2",
        f.item,
    )
    .await;
    assert_eq!(
        (title.as_str(), conclusion.as_str()),
        ("Anonymisert", "Anonymisert")
    );
    // The lease's audit details go; the recent lease's stay.
    for (lease, expected) in [
        (f.due, serde_json::json!("Anonymisert")),
        (
            f.recent,
            serde_json::json!({"notes": "Flyttet til søsteren i Oslo"}),
        ),
    ] {
        let (details,): (serde_json::Value,) = one(
            &app,
            f.m,
            "SELECT details FROM audit_events WHERE municipality_id = $1 AND entity_type = 'lease'
                AND entity_id = $2::text AND action = 'lease.ended'",
            lease,
        )
        .await;
        assert_eq!(details, expected);
    }
    let (recent_notes,): (String,) = one(
        &app,
        f.m,
        "SELECT end_notes FROM leases WHERE municipality_id = $1 AND id = $2",
        f.recent,
    )
    .await;
    assert_eq!(recent_notes, "Flyttet til søsteren i Oslo");
    // Audited with the lease; a second run finds nothing.
    let audit: Vec<(serde_json::Value,)> = sqlx::query_as(
        "SELECT details->'leases' FROM audit_events WHERE action = 'privacy.retention_anonymised'",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(audit, vec![(serde_json::json!([f.due]),)]);
    bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    assert_eq!(app.audit_count("privacy.retention_anonymised").await, 1);
    let dry = admin.get("/innstillinger/personvern").await;
    assert!(dry.text_of("#leases-due-count").starts_with("0 avsluttede"));
}
