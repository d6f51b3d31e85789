//! Data protection (OWASP ASVS 5.0 chapter V14): the access-request export (innsyn) and
//! anonymisation after the retention period.

use chrono::{Duration, Months, NaiveDate};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::TestApp;

struct Person {
    id: Uuid,
    name: String,
    national_id: String,
    cases: Vec<String>,
}

/// An applicant in municipality `number` with an identity number, other than `not`.
async fn applicant(app: &TestApp, number: &str, not: &[Uuid]) -> Person {
    let m = app.municipality_id(number).await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let (id, name, national_id): (Uuid, String, String) = sqlx::query_as(
        "SELECT p.id, p.name, p.national_id FROM people p
          WHERE p.municipality_id = $1 AND p.national_id IS NOT NULL AND NOT p.id = ANY($2)
            AND EXISTS (SELECT 1 FROM applications a WHERE a.municipality_id = p.municipality_id AND a.applicant_id = p.id)
            AND NOT EXISTS (SELECT 1 FROM application_members am WHERE am.municipality_id = p.municipality_id AND am.person_id = p.id)
          ORDER BY (SELECT count(*) FROM sent_letters l JOIN applications a ON a.municipality_id = l.municipality_id
                     AND a.id = l.application_id WHERE a.municipality_id = p.municipality_id AND a.applicant_id = p.id) DESC, p.id
          LIMIT 1",
    )
    .bind(m)
    .bind(not)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let cases: Vec<String> = sqlx::query_scalar(
        "SELECT case_number FROM applications WHERE municipality_id = $1 AND applicant_id = $2 ORDER BY case_number",
    )
    .bind(m)
    .bind(id)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Person {
        id,
        name,
        national_id,
        cases,
    }
}

/// The id of the person's first case (Levanger).
async fn case_id(app: &TestApp, p: &Person) -> Uuid {
    let m = app.municipality_id("5037").await;
    let first: Vec<(Uuid,)> = rows(
        app,
        m,
        "SELECT id FROM applications WHERE municipality_id = $1 AND applicant_id = $2
          ORDER BY case_number LIMIT 1",
        p.id,
    )
    .await;
    first[0].0
}

/// V14.2.4 (access to sensitive data is logged), V14.2.6 (only the data asked for, no
/// other person's), V14.2.1 (the identity number travels in a POST body, not the URL):
/// the admin finds the person by identity number and gets their cases, letters and
/// access log as a page and as JSON, with nothing of another person or municipality.
#[tokio::test]
async fn the_access_export_holds_the_person_and_nothing_of_others() {
    let app = TestApp::spawn().await;
    let p = applicant(&app, "5037", &[]).await;
    let q = applicant(&app, "5037", &[p.id]).await;
    let verdal = applicant(&app, "5038", &[]).await;
    assert!(!p.cases.is_empty());
    let mut admin = app.login("levanger.admin").await;

    // A malformed number is refused next to the field and kept.
    let bad = admin.post("/personvern/innsyn", &[("fnr", "1234")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.text_of("#fnr-err").is_empty());
    assert_eq!(bad.attr("#fnr", "value").as_deref(), Some("1234"));
    // Verdal's person is not found from Levanger.
    let elsewhere = admin
        .post("/personvern/innsyn", &[("fnr", &verdal.national_id)])
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(elsewhere.text_of("#fnr-err").contains("ingen person"));

    let found = admin
        .post("/personvern/innsyn", &[("fnr", &p.national_id)])
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let path = found.location.unwrap();
    assert_eq!(path, format!("/personvern/innsyn/{}", p.id));
    assert!(!path.contains(&p.national_id));

    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text_of("h1").contains(&p.name));
    let shown: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("article[data-case]").unwrap())
        .filter_map(|e| e.value().attr("data-case").map(str::to_owned))
        .collect();
    assert_eq!(shown, p.cases);
    assert!(!page.text.contains(&q.name) && !page.text.contains(&q.national_id));
    assert!(!page.text.contains(&verdal.name) && !page.text.contains(&verdal.national_id));

    let json = admin.get(&format!("{path}/eksport.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    assert!(json
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment")));
    let v: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(v["person"]["national_id"], p.national_id.as_str());
    let mut cases: Vec<String> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_number"].as_str().unwrap().to_owned())
        .collect();
    cases.sort();
    assert_eq!(cases, p.cases);
    for l in v["letters"].as_array().unwrap() {
        assert!(p
            .cases
            .contains(&l["case_number"].as_str().unwrap().to_owned()));
        assert_eq!(l["sha256"].as_str().unwrap().len(), 64);
    }
    assert!(!json.text.contains(&q.name) && !json.text.contains(&q.national_id));
    assert!(!json.text.contains(&verdal.name) && !json.text.contains(&verdal.national_id));
    // The first export (the page) is itself in the access log of the second.
    assert!(v["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "privacy.access_export"));

    // Another municipality's person id is a 404 (RLS and the explicit filter).
    let foreign = admin
        .get(&format!("/personvern/innsyn/{}", verdal.id))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign = admin
        .get(&format!("/personvern/innsyn/{}/eksport.json", verdal.id))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(
        admin.get("/personvern/innsyn/ikke-en-id").await.status,
        StatusCode::NOT_FOUND
    );

    // Both reads are audited with who and whom.
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT username, entity_id, details->>'format' FROM audit_events
          WHERE action = 'privacy.access_export' ORDER BY at",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let pid = p.id.to_string();
    assert_eq!(
        events,
        vec![
            (
                "levanger.admin".to_string(),
                pid.clone(),
                "html".to_string()
            ),
            ("levanger.admin".to_string(), pid, "json".to_string()),
        ]
    );

    // The case page of an admin links to the export.
    let case = admin
        .get(&format!("/soknader/{}", case_id(&app, &p).await))
        .await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case.text.contains(&path));
}

/// V14.2.4 / V8 (access control on sensitive data): only a municipality admin exports;
/// caseworkers, auditors, office admins and other municipalities get 403 or 404, and a
/// refused attempt leaves no export behind.
#[tokio::test]
async fn only_the_municipality_admin_may_export() {
    let app = TestApp::spawn().await;
    let p = applicant(&app, "5037", &[]).await;
    let path = format!("/personvern/innsyn/{}", p.id);
    for user in [
        "levanger.saksbehandler",
        "levanger.team",
        "revisor",
        "kontor.admin",
        "verdal.saksbehandler",
    ] {
        let mut c = app.login(user).await;
        for url in [
            "/personvern/innsyn".to_string(),
            path.clone(),
            format!("{path}/eksport.json"),
            "/innstillinger/personvern".to_string(),
        ] {
            let res = c.get(&url).await;
            assert!(
                matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{user} {url}: {}",
                res.status
            );
        }
        let res = c
            .post("/personvern/innsyn", &[("fnr", &p.national_id)])
            .await;
        assert!(matches!(
            res.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
        let res = c
            .post("/innstillinger/personvern", &[("retention_years", "2")])
            .await;
        assert!(matches!(
            res.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
    }
    assert_eq!(app.audit_count("privacy.access_export").await, 0);
    // A caseworker's case page has no export link.
    let mut c = app.login("levanger.saksbehandler").await;
    let case = c
        .get(&format!("/soknader/{}", case_id(&app, &p).await))
        .await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(!case.text.contains("/personvern/innsyn/"));
}

/// V14.1.2 (retention is a documented, configured requirement): the admin edits the
/// period; bad input gets a Norwegian message next to the field and is kept, a stale
/// form is refused, the change is audited.
#[tokio::test]
async fn the_admin_sets_the_retention_period() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    let page = admin.get("/innstillinger/personvern").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#retention_years", "value").as_deref(),
        Some("10")
    );
    let version = page.attr("input[name=version]", "value").unwrap();
    for bad in ["1", "31", "ti", ""] {
        let res = admin
            .post(
                "/innstillinger/personvern",
                &[("retention_years", bad), ("version", &version)],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(!res.text_of("#retention_years-err").is_empty());
        assert_eq!(res.attr("#retention_years", "value").as_deref(), Some(bad));
    }
    let ok = admin
        .post(
            "/innstillinger/personvern",
            &[("retention_years", "12"), ("version", &version)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let stale = admin
        .post(
            "/innstillinger/personvern",
            &[("retention_years", "15"), ("version", &version)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        stale.attr("#retention_years", "value").as_deref(),
        Some("15")
    );
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let years: i32 = sqlx::query_scalar(
        "SELECT retention_years FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(years, 12);
    assert_eq!(app.audit_count("settings.retention_years").await, 1);
}

pub(crate) struct Fixture {
    pub(crate) m: Uuid,
    pub(crate) old: Uuid,
    pub(crate) old_number: String,
    pub(crate) keep: Uuid,
    pub(crate) applicant: Uuid,
    pub(crate) member: Uuid,
    pub(crate) keep_due: NaiveDate,
}

fn years_before(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(12 * years)).unwrap()
}

/// Two closed cases in Levanger, written straight to the database with every kind of
/// personal record: OLD ended 12 years ago (past the default 10), KEEP ends its 10 years
/// in 30 days. The child is a household member of both.
pub(crate) async fn retention_fixture(app: &TestApp) -> Fixture {
    let m = app.municipality_id("5037").await;
    let today = app.today();
    let author = app.user_id("levanger.saksbehandler").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let applicant = Uuid::now_v7();
    let member = Uuid::now_v7();
    let keeper = Uuid::now_v7();
    for (id, name, fnr) in [
        (applicant, "Gammel Søker", "01017012345"),
        (member, "Gammelt Barn", "02021254321"),
        (keeper, "Fersk Søker", "03038011111"),
    ] {
        sqlx::query(
            "INSERT INTO people (municipality_id, id, national_id, name, phone, street_address, postcode, postal_place)
             VALUES ($1, $2, $3, $4, '99999999', 'Storgata 1', '7600', 'Levanger')",
        )
        .bind(m)
        .bind(id)
        .bind(fnr)
        .bind(name)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let old = Uuid::now_v7();
    let keep = Uuid::now_v7();
    let old_received = years_before(today, 13);
    let old_decided = old_received + Duration::days(30);
    let keep_closed = years_before(today + Duration::days(30), 10);
    let keep_due = today + Duration::days(30);
    for (id, seq, applicant_id, status, received, decided, closed) in [
        (
            old,
            990001,
            applicant,
            "rejected",
            old_received,
            Some(old_decided),
            Some(old_decided),
        ),
        (
            keep,
            990002,
            keeper,
            "withdrawn",
            keep_closed - Duration::days(60),
            None,
            Some(keep_closed),
        ),
    ] {
        sqlx::query(
            "INSERT INTO applications (municipality_id, id, case_year, case_seq, case_number, received_on,
                    channel, status, applicant_id, situation, situation_notes, economy_notes,
                    monthly_income_ore, decided_on, closed_on)
             VALUES ($1, $2, 1999, $3, $4, $5, 'paper', $6::application_status, $7, 'without_home',
                     'Rus og gjeld, bor hos venner', 'Gjeld hos inkasso', 1234500, $8, $9)",
        )
        .bind(m)
        .bind(id)
        .bind(seq)
        .bind(format!("1999/{seq}"))
        .bind(received)
        .bind(status)
        .bind(applicant_id)
        .bind(decided)
        .bind(closed)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO application_members (municipality_id, application_id, person_id, relation)
             VALUES ($1, $2, $3, 'child')",
        )
        .bind(m)
        .bind(id)
        .bind(member)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO assessments (municipality_id, id, application_id, version_no, health_social, conclusion)
             VALUES ($1, $2, $3, 1, 'Psykisk helse: angst', 'Trenger tett oppfølging')",
        )
        .bind(m)
        .bind(Uuid::now_v7())
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO application_events (municipality_id, id, application_id, kind, summary, detail)
             VALUES ($1, $2, $3, 'note', 'Samtale med Gammel Søker', 'Fortalte om rusbruk')",
        )
        .bind(m)
        .bind(Uuid::now_v7())
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO application_documents (municipality_id, id, application_id, title, filename, content_type, size_bytes, content)
             VALUES ($1, $2, $3, 'Legeerklæring', 'lege.pdf', 'application/pdf', 4, '\\x25504446')",
        )
        .bind(m)
        .bind(Uuid::now_v7())
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sent_letters (municipality_id, id, application_id, kind, entity_type, entity_id, title,
                    recipient, channel, sent_on, blocks, body, pdf, sha256)
             VALUES ($1, $2, $3, 'interim_reply', 'application', $3, 'Foreløpig svar', 'Gammel Søker, Storgata 1',
                     'post', $4, '[{\"p\": \"Hei Gammel Søker\"}]', 'Hei Gammel Søker', '\\x25504446', repeat('a', 64))",
        )
        .bind(m)
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(received + Duration::days(20))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // OLD was refused by a sent decision whose appeal deadline passed long ago.
    let kind: Uuid = sqlx::query_scalar(
        "SELECT id FROM decision_kinds WHERE municipality_id = $1 ORDER BY sort_order LIMIT 1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let decision = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO decisions (municipality_id, id, application_id, status, author_id, grounds_facts,
                decided_on, dispatched_on, channel, notified_on, closed_without_appeal)
         VALUES ($1, $2, $3, 'sent', $4, 'Søkeren har rusproblemer', $5, $5, 'post', $5, true)",
    )
    .bind(m)
    .bind(decision)
    .bind(old)
    .bind(author)
    .bind(old_decided)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                legal_basis, appeal_body, appeal_weeks, appeal_deadline)
         VALUES ($1, $2, $3, 1, $4, 'refused', 'Avslag fordi Gammel Søker ikke bor i kommunen', 'Boligsosial lov',
                 'Klagenemnda', 3, $5)",
    )
    .bind(m)
    .bind(Uuid::now_v7())
    .bind(decision)
    .bind(kind)
    .bind(old_decided + Duration::days(21))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Fixture {
        m,
        old,
        old_number: "1999/990001".into(),
        keep,
        applicant,
        member,
        keep_due,
    }
}

/// Rows of one query in the fixture's municipality.
async fn rows<T>(app: &TestApp, m: Uuid, sql: &str, id: Uuid) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let r = sqlx::query_as(sql)
        .bind(m)
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r
}

async fn anonymised(app: &TestApp) -> Vec<Uuid> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    let mut tx = bosak::db::scoped_tx(&app.owner, &ids).await.unwrap();
    let r = sqlx::query_scalar(
        "SELECT id FROM applications WHERE anonymised_on IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    r
}

/// V14.2.7 (sensitive data is removed on a defined schedule once no longer needed):
/// the scheduled job anonymises exactly the closed cases past the retention period,
/// keeps the ones inside it, leaves the statistical skeleton, is audited, and a second
/// run changes nothing. The dry run shows the admin what the next run takes.
#[tokio::test]
async fn retention_anonymises_exactly_the_cases_past_the_period() {
    let app = TestApp::spawn().await;
    let f = retention_fixture(&app).await;
    let mut admin = app.login("levanger.admin").await;

    // The dry run lists OLD only; KEEP is among those due within a year.
    let dry = admin.get("/innstillinger/personvern").await;
    assert_eq!(dry.status, StatusCode::OK);
    assert_eq!(
        dry.texts("#due tbody tr td:first-child"),
        vec![f.old_number.clone()]
    );
    assert!(dry.text_of("#due-count").starts_with("1 saker"));
    assert!(anonymised(&app).await.is_empty());

    // Through the scheduler: the job is registered and reports a count only.
    bosak::jobs::run_due(&app.state).await;
    let result: String =
        sqlx::query_scalar("SELECT result FROM job_runs WHERE job = 'retention' AND ok")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(result, "1 saker anonymisert");
    assert_eq!(anonymised(&app).await, vec![f.old]);
    let jobs = admin.get("/driftsjobber").await;
    assert!(jobs
        .text
        .contains("Anonymisere saker etter oppbevaringstiden"));

    // Personal data is gone from OLD …
    let (name, fnr, birth, phone): (String, Option<String>, Option<NaiveDate>, String) = rows(
        &app,
        f.m,
        "SELECT name, national_id, birth_date, phone FROM people WHERE municipality_id = $1 AND id = $2",
        f.applicant,
    )
    .await
    .remove(0);
    assert_eq!(
        (name.as_str(), fnr, phone.as_str()),
        ("Anonymisert", None, "")
    );
    assert_eq!(
        birth,
        NaiveDate::from_ymd_opt(1970, 1, 1),
        "the birth year stays"
    );
    let texts: (String, String, Option<i64>, String, String, String, String, String, i64) = rows(
        &app,
        f.m,
        "SELECT a.situation_notes, a.economy_notes, a.monthly_income_ore,
                (SELECT string_agg(s.health_social || s.conclusion, '') FROM assessments s WHERE s.municipality_id = $1 AND s.application_id = $2),
                (SELECT string_agg(e.summary || e.detail, '') FROM application_events e WHERE e.municipality_id = $1 AND e.application_id = $2),
                (SELECT string_agg(l.recipient || l.body || l.blocks::text || length(l.pdf)::text, '') FROM sent_letters l WHERE l.municipality_id = $1 AND l.application_id = $2),
                (SELECT string_agg(d.grounds_facts, '') FROM decisions d WHERE d.municipality_id = $1 AND d.application_id = $2),
                (SELECT string_agg(p.description, '') FROM decision_points p JOIN decisions d ON d.municipality_id = p.municipality_id AND d.id = p.decision_id WHERE d.municipality_id = $1 AND d.application_id = $2),
                (SELECT count(*) FROM application_documents x WHERE x.municipality_id = $1 AND x.application_id = $2)
           FROM applications a WHERE a.municipality_id = $1 AND a.id = $2",
        f.old,
    )
    .await
    .remove(0);
    assert_eq!(
        texts,
        (
            String::new(),
            String::new(),
            None,
            "Anonymisert".into(),
            "Anonymisert".into(),
            "Anonymisert[]0".into(),
            String::new(),
            "Anonymisert".into(),
            0
        )
    );
    // … while the statistical skeleton stays.
    let skeleton: (String, NaiveDate, Option<NaiveDate>, String, String, i64, String) = rows(
        &app,
        f.m,
        "SELECT a.status::text, a.received_on, a.decided_on, a.situation::text,
                (SELECT string_agg(p.outcome::text, ',') FROM decision_points p JOIN decisions d ON d.municipality_id = p.municipality_id AND d.id = p.decision_id WHERE d.municipality_id = $1 AND d.application_id = $2),
                (SELECT count(*) FROM application_events e WHERE e.municipality_id = $1 AND e.application_id = $2),
                (SELECT string_agg(l.sha256, '') FROM sent_letters l WHERE l.municipality_id = $1 AND l.application_id = $2)
           FROM applications a WHERE a.municipality_id = $1 AND a.id = $2",
        f.old,
    )
    .await
    .remove(0);
    assert_eq!(skeleton.0, "rejected");
    assert_eq!(skeleton.1, years_before(app.today(), 13));
    assert!(skeleton.2.is_some());
    assert_eq!(
        (skeleton.3.as_str(), skeleton.4.as_str(), skeleton.5),
        ("without_home", "refused", 1)
    );
    assert_eq!(skeleton.6, "a".repeat(64));

    // KEEP and the child (member of KEEP too) are untouched.
    let keep: Vec<(String, Option<NaiveDate>)> = rows(
        &app,
        f.m,
        "SELECT situation_notes, anonymised_on FROM applications WHERE municipality_id = $1 AND id = $2",
        f.keep,
    )
    .await;
    assert_eq!(
        keep,
        vec![("Rus og gjeld, bor hos venner".to_string(), None)]
    );
    let child: Vec<(String,)> = rows(
        &app,
        f.m,
        "SELECT name FROM people WHERE municipality_id = $1 AND id = $2",
        f.member,
    )
    .await;
    assert_eq!(child, vec![("Gammelt Barn".to_string(),)]);

    // Audited: which cases, how many.
    let audit: Vec<(Option<Uuid>, i64, serde_json::Value)> = sqlx::query_as(
        "SELECT municipality_id, (details->>'count')::bigint, details->'applications'
           FROM audit_events WHERE action = 'privacy.retention_anonymised'",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(audit, vec![(Some(f.m), 1, serde_json::json!([f.old]))]);

    // A second run the same day does nothing more.
    assert_eq!(
        bosak::privacy::retention::run(&app.state, app.today())
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.audit_count("privacy.retention_anonymised").await, 1);
    let dry = admin.get("/innstillinger/personvern").await;
    assert_eq!(dry.count("#due"), 0);

    // The day before KEEP's period ends it stays; on the day it goes, and so does the
    // child, whose every case is now anonymised.
    app.set_today(f.keep_due - Duration::days(1));
    bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    assert!(!anonymised(&app).await.contains(&f.keep));
    app.set_today(f.keep_due);
    bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    assert!(anonymised(&app).await.contains(&f.keep));
    let child: Vec<(String,)> = rows(
        &app,
        f.m,
        "SELECT name FROM people WHERE municipality_id = $1 AND id = $2",
        f.member,
    )
    .await;
    assert_eq!(child, vec![("Anonymisert".to_string(),)]);
    // Never an open case, whatever the demo data holds.
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    let mut tx = bosak::db::scoped_tx(&app.owner, &ids).await.unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM applications WHERE anonymised_on IS NOT NULL
            AND status NOT IN ('rejected', 'housed', 'withdrawn', 'closed_without_decision')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(open, 0);
}

/// V14.2.4 / V8.2 (the exception to append-only is narrow): the request role can neither
/// call the anonymiser nor use the trigger exception by setting its flag, and even the
/// owner with the flag may only blank columns, never write new content or delete.
#[tokio::test]
async fn the_append_only_exception_is_closed_to_the_request_role() {
    let app = TestApp::spawn_on(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()).await;
    let f = retention_fixture(&app).await;

    let mut tx = bosak::db::scoped_tx(&app.state.pool, &[f.m]).await.unwrap();
    let err = sqlx::query("SELECT * FROM bosak_anonymise_due($1)")
        .bind(app.today())
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    tx.rollback().await.unwrap();

    let mut tx = bosak::db::scoped_tx(&app.state.pool, &[f.m]).await.unwrap();
    sqlx::query("SELECT set_config('bosak.anonymising', 'on', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("UPDATE sent_letters SET body = '' WHERE municipality_id = $1")
        .bind(f.m)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    tx.rollback().await.unwrap();

    // The owner with the flag: blanking passes the trigger, rewriting and deleting do not.
    for (sql, allowed) in [
        (
            "UPDATE sent_letters SET body = 'Forfalsket' WHERE municipality_id = $1",
            false,
        ),
        (
            "UPDATE sent_letters SET sent_on = sent_on - 1, body = '' WHERE municipality_id = $1",
            false,
        ),
        ("DELETE FROM sent_letters WHERE municipality_id = $1", false),
        (
            "UPDATE application_events SET kind = 'other' WHERE municipality_id = $1",
            false,
        ),
        (
            "UPDATE sent_letters SET body = '' WHERE municipality_id = $1",
            true,
        ),
    ] {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, f.m).await.unwrap();
        sqlx::query("SELECT set_config('bosak.anonymising', 'on', true)")
            .execute(&mut *tx)
            .await
            .unwrap();
        let r = sqlx::query(sql).bind(f.m).execute(&mut *tx).await;
        assert_eq!(r.is_ok(), allowed, "{sql}: {r:?}");
        tx.rollback().await.unwrap();
    }
    // Without the flag nothing changes at all.
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, f.m).await.unwrap();
    let r = sqlx::query("UPDATE sent_letters SET body = '' WHERE municipality_id = $1")
        .bind(f.m)
        .execute(&mut *tx)
        .await;
    assert!(r.is_err());
    tx.rollback().await.unwrap();
    assert!(anonymised(&app).await.is_empty());
}
