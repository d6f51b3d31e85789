//! ARCHITECTURE §8: logged in as each role of one municipality, every route with ids from
//! another municipality answers 403 or 404 — never a page, never a change.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::TestApp;

async fn verdal_id(app: &TestApp, sql: &str) -> String {
    tenant_id(app, "5038", sql).await
}

async fn tenant_id(app: &TestApp, number: &str, sql: &str) -> String {
    let m = app.municipality_id(number).await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let id: Uuid = sqlx::query_scalar(sql)
        .fetch_one(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    id.to_string()
}

/// A CPI run of Verdal's (with the KPI value it needs).
async fn verdal_cpi_run(app: &TestApp) -> String {
    let m = app.municipality_id("5038").await;
    let by = app.user_id("verdal.saksbehandler").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    bosak::leases::settings::ensure_defaults(&mut tx, m)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kpi_values (municipality_id, month, value, source) VALUES ($1, date '2026-01-01', 130.0, 'SSB')")
        .bind(m)
        .execute(&mut *tx)
        .await
        .unwrap();
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO cpi_runs (municipality_id, id, index_month, index_value, notice_on, effective_on, created_by)
         VALUES ($1, gen_random_uuid(), date '2026-01-01', 130.0, date '2026-12-01', date '2027-01-01', $2) RETURNING id",
    )
    .bind(m)
    .bind(by)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

/// A fingerprint of Verdal's data: row counts and version sums of the tables users change.
async fn verdal_fingerprint(app: &TestApp) -> Vec<i64> {
    let m = app.municipality_id("5038").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let mut out = Vec::new();
    for table in [
        "applications",
        "decisions",
        "dwellings",
        "properties",
        "municipality_settings",
        "people",
        "meetings",
        "meeting_items",
        "leases",
        "rent_import_lines",
    ] {
        let (n, v): (i64, i64) = sqlx::query_as(&format!(
            "SELECT count(*), coalesce(sum(version), 0)::bigint FROM {table}"
        ))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        out.push(n);
        out.push(v);
    }
    for table in [
        "application_events",
        "decision_points",
        "areas",
        "dwelling_status_changes",
        "application_documents",
        "rent_bank_accounts",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        out.push(n);
    }
    out
}

/// A running lease of Verdal's, on a vacant unit, for the first person of its cases.
async fn verdal_lease(app: &TestApp) -> String {
    let m = app.municipality_id("5038").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status, starts_on,
                             monthly_rent, signed_on)
         SELECT $1, $2, 900000, (SELECT id FROM dwellings WHERE status = 'vacant' ORDER BY id LIMIT 1),
                (SELECT applicant_id FROM applications ORDER BY case_number LIMIT 1), 'active', $3, 850000, $3",
    )
    .bind(m)
    .bind(id)
    .bind(app.today())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

/// An offer Verdal's caseworker makes to the top candidate of a vacant Verdal unit (the
/// demo data has no offers).
async fn verdal_offer(app: &TestApp) -> String {
    let t = app.tenant("5038").await;
    let units: Vec<Uuid> = t
        .column(
            "SELECT id FROM dwellings WHERE status = 'vacant' ORDER BY id LIMIT 20",
            &[],
        )
        .await;
    let mut c = app.login("verdal.saksbehandler").await;
    for unit in units {
        let page = c.get(&format!("/boliger/{unit}/kandidater")).await;
        let Some(first) = page.attr("[data-application]", "data-application") else {
            continue;
        };
        let res = c
            .post(
                &format!("/boliger/{unit}/tilbud"),
                &[("application_id", first.as_str()), ("justification", "")],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{}",
            res.text_of(".ds-error-summary")
        );
        let offer: Uuid = t
            .scalar(
                "SELECT id FROM offers WHERE dwelling_id = $1",
                &[unit.into()],
            )
            .await;
        return offer.to_string();
    }
    panic!("no vacant Verdal unit has a candidate");
}

/// A dwelling import of Verdal's (made for the test: the demo data has none).
async fn verdal_import(app: &TestApp) -> String {
    let m = app.municipality_id("5038").await;
    let user = app.user_id("verdal.saksbehandler").await;
    let id = Uuid::now_v7();
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query(
        "INSERT INTO dwelling_imports (municipality_id, id, filename, content, uploaded_by)
         VALUES ($1, $2, 'boliger.csv', convert_to('nummer;adresse', 'UTF8'), $3)",
    )
    .bind(m)
    .bind(id)
    .bind(user)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

/// A Verdal meeting with one item (the application), as Verdal's team would have it.
async fn verdal_meeting(app: &TestApp, application: &str) -> (String, String) {
    let m = app.municipality_id("5038").await;
    let user = app.user_id("verdal.saksbehandler").await;
    let (meeting, item) = (Uuid::now_v7(), Uuid::now_v7());
    let app_id = Uuid::parse_str(application).unwrap();
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query(
        "INSERT INTO meetings (municipality_id, id, covers, title, starts_at, created_by)
         VALUES ($1, $2, ARRAY[$1], 'Tildelingsmøte', $4::timestamptz + interval '7 days', $3)",
    )
    .bind(m)
    .bind(meeting)
    .bind(user)
    .bind(app.state.clock().now())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO meeting_items (municipality_id, id, meeting_id, position, kind, application_id, added_by)
         VALUES ($1, $2, $3, 1, 'application', $4, $5)",
    )
    .bind(m)
    .bind(item)
    .bind(meeting)
    .bind(app_id)
    .bind(user)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (meeting.to_string(), item.to_string())
}

#[tokio::test]
async fn every_route_with_another_municipalitys_ids_is_403_or_404() {
    let app = TestApp::spawn().await;
    let application = verdal_id(
        &app,
        "SELECT id FROM applications ORDER BY case_number LIMIT 1",
    )
    .await;
    let document = verdal_id(&app, "SELECT id FROM application_documents LIMIT 1").await;
    let doc_app = verdal_id(
        &app,
        "SELECT application_id FROM application_documents LIMIT 1",
    )
    .await;
    let person = verdal_id(&app, "SELECT person_id FROM application_members LIMIT 1").await;
    let decision = verdal_id(&app, "SELECT id FROM decisions LIMIT 1").await;
    let point = verdal_id(&app, "SELECT id FROM decision_points LIMIT 1").await;
    let dwelling = verdal_id(&app, "SELECT id FROM dwellings LIMIT 1").await;
    let property = verdal_id(&app, "SELECT id FROM properties LIMIT 1").await;
    let area = verdal_id(&app, "SELECT id FROM areas LIMIT 1").await;
    let dtype = verdal_id(&app, "SELECT id FROM dwelling_types LIMIT 1").await;
    let reason = verdal_id(&app, "SELECT id FROM application_reasons LIMIT 1").await;
    let kind = verdal_id(&app, "SELECT id FROM decision_kinds LIMIT 1").await;
    let paragraph = verdal_id(&app, "SELECT id FROM standard_paragraphs LIMIT 1").await;
    let (meeting, item) = verdal_meeting(&app, &application).await;

    let appeal = verdal_id(&app, "SELECT id FROM appeals LIMIT 1").await;
    let offer = verdal_offer(&app).await;
    let letter = verdal_id(&app, "SELECT id FROM sent_letters LIMIT 1").await;
    let import = verdal_import(&app).await;
    let verdal_user = app.user_id("verdal.saksbehandler").await.to_string();
    let notice = verdal_id(&app, "SELECT id FROM advance_notices LIMIT 1").await;
    let lease = verdal_lease(&app).await;
    let cpi_run = verdal_cpi_run(&app).await; // also seeds Verdal's § 11-1 grounds
    let ground = verdal_id(&app, "SELECT id FROM short_term_grounds LIMIT 1").await;
    let (rent_import, rent_line) = {
        let m = app.municipality_id("5038").await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        let (i, l) = crate::rent_ocr::stored_import(&mut tx, m, 1).await;
        tx.commit().await.unwrap();
        (i.to_string(), l[0].to_string())
    };
    let ids = |entity: &str| -> Option<String> {
        Some(match entity {
            "application" => application.clone(),
            "document_case" => doc_app.clone(),
            "document" => document.clone(),
            "person" => person.clone(),
            "decision" => decision.clone(),
            "point" => point.clone(),
            "appeal" => appeal.clone(),
            "dwelling" => dwelling.clone(),
            "import" => import.clone(),
            "property" => property.clone(),
            "meeting" => meeting.clone(),
            "item" => item.clone(),
            "offer" => offer.clone(),
            "letter" => letter.clone(),
            "user" => verdal_user.clone(),
            "area" => area.clone(),
            "dwelling_type" => dtype.clone(),
            "reason" => reason.clone(),
            "kind" => kind.clone(),
            "paragraph" => paragraph.clone(),
            "advance_notice" => notice.clone(),
            "lease" => lease.clone(),
            "cpi_run" => cpi_run.clone(),
            "short_term_ground" => ground.clone(),
            "rent_import" => rent_import.clone(),
            "rent_import_line" => rent_line.clone(),
            "rent_account" => bosak::rent::seed::demo_account("5038"),
            _ => return None,
        })
    };
    // Every route that takes an id, read from the router's definitions, so a new route is
    // covered the day it is added; one whose id this test cannot fill fails it.
    let mut gets = Vec::new();
    let mut posts = Vec::new();
    let mut unfilled = Vec::new();
    for (route, get, post) in crate::common::routes::all() {
        if !route.contains('{') || route.starts_with("/soknad/") || route.contains("{key}") {
            continue; // no id, the public form, or a text key per municipality
        }
        match crate::common::routes::fill(&route, &ids) {
            Some(path) => {
                if get {
                    gets.push(path.clone());
                }
                if post {
                    posts.push(path);
                }
            }
            None => unfilled.push(route),
        }
    }
    assert!(
        unfilled.is_empty(),
        "give these routes an id of Verdal's: {unfilled:?}"
    );
    assert!(
        gets.len() >= 20 && posts.len() >= 35,
        "{} GET, {} POST routes",
        gets.len(),
        posts.len()
    );
    let before = verdal_fingerprint(&app).await;
    for user in [
        "levanger.saksbehandler",
        "levanger.team",
        "levanger.admin",
        "stjordal.saksbehandler",
    ] {
        let mut c = app.login(user).await;
        for path in &gets {
            let res = c.get(path).await;
            assert!(
                res.status == StatusCode::NOT_FOUND || res.status == StatusCode::FORBIDDEN,
                "{user} GET {path}: {}",
                res.status
            );
        }
        for path in &posts {
            let res = c
                .post(
                    path,
                    &[
                        ("version", "1"),
                        ("status", "withdrawn"),
                        ("reason", "x"),
                        ("text", "x"),
                        ("active", "0"),
                        ("name", "x"),
                        ("outcome", "refused"),
                        ("description", "x"),
                        ("conclusion", "noted"),
                        ("direction", "ned"),
                        ("cancel_reason", "x"),
                        ("other_title", "x"),
                        ("notes", "x"),
                        ("requested_on", "20.11.2026"),
                        ("given_on", "23.11.2026"),
                    ],
                )
                .await;
            // An upload route refuses a body that is not multipart before it looks at the
            // id (400 for every id alike: it reveals nothing).
            let upload = path.ends_with("/dokumenter") && res.status == StatusCode::BAD_REQUEST;
            assert!(
                res.status == StatusCode::NOT_FOUND
                    || res.status == StatusCode::FORBIDDEN
                    || upload,
                "{user} POST {path}: {}",
                res.status
            );
        }
    }
    assert_eq!(
        before,
        verdal_fingerprint(&app).await,
        "nothing of Verdal's changed"
    );
}

/// ASVS 5.0 V8.2.1 (one access policy, `auth::policy`): the auditor reads the audit log
/// and the dwelling register, and no page with case contents — lists, case pages,
/// decisions, appeals, letters, meetings (agenda, meeting mode, minutes), the waiting list,
/// the candidates of a unit, or any export of them.
#[tokio::test]
async fn an_auditor_reads_the_audit_log_and_the_register_but_no_case_contents() {
    let app = TestApp::spawn().await;
    let id = |sql: &'static str| verdal_id(&app, sql);
    let application = id("SELECT id FROM applications ORDER BY case_number LIMIT 1").await;
    let decision = id("SELECT id FROM decisions WHERE status = 'sent' LIMIT 1").await;
    let appeal = id("SELECT id FROM appeals LIMIT 1").await;
    let letter = id("SELECT id FROM sent_letters LIMIT 1").await;
    let meeting = tenant_id(
        &app,
        "5037",
        "SELECT id FROM meetings ORDER BY starts_at LIMIT 1",
    )
    .await;
    let unit = id("SELECT id FROM dwellings ORDER BY id LIMIT 1").await;
    let mut c = app.login("revisor").await;
    let refused = [
        "/soknader".to_string(),
        "/soknader/mine".to_string(),
        format!("/soknader/{application}"),
        "/soknader/eksport.csv".to_string(),
        "/vedtak".to_string(),
        format!("/vedtak/{decision}"),
        format!("/vedtak/{decision}/brev"),
        "/vedtak/eksport.csv".to_string(),
        "/klager".to_string(),
        format!("/klager/{appeal}"),
        format!("/brev/{letter}"),
        format!("/brev/{letter}.pdf"),
        "/venteliste".to_string(),
        "/venteliste/eksport.csv".to_string(),
        format!("/boliger/{unit}/kandidater"),
        "/tilbud/forfalte".to_string(),
        "/moter".to_string(),
        format!("/moter/{meeting}"),
        format!("/moter/{meeting}/motemodus?punkt=1"),
        format!("/moter/{meeting}/protokoll"),
        format!("/moter/{meeting}/protokoll.pdf"),
    ];
    for path in &refused {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/revisjonslogg", "/boliger", &format!("/boliger/{unit}")] {
        assert_eq!(c.get(path).await.status, StatusCode::OK, "{path}");
    }
    // The menu offers what the policy allows, and nothing else.
    let home = c.get("/").await;
    for href in ["/soknader", "/moter", "/venteliste", "/vedtak"] {
        assert_eq!(
            home.count(&format!("nav a[href='{href}']")),
            0,
            "{href} in the auditor's menu"
        );
    }
    assert_eq!(home.count("nav a[href='/boliger']"), 1);
}

/// ASVS 5.0 V1.2.1 / V1.2.10 (output encoding): a hostile name stored for an applicant is
/// shown as text on every page type that prints it — list, case, waiting list, letter —
/// and reaches CSV exports with its formula neutralised.
#[tokio::test]
async fn a_hostile_name_is_text_on_every_page_and_inert_in_csv() {
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let hostile = "=HYPERLINK(\"x\")<script>alert('x')</script><img src=x onerror=alert(1)>";
    let (application, letter): (Uuid, Uuid) = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        let row: (Uuid, Uuid) = sqlx::query_as(
            "SELECT a.id, l.id FROM applications a JOIN sent_letters l
                 ON l.municipality_id = a.municipality_id AND l.application_id = a.id
              WHERE a.municipality_id = $1 AND a.status = 'waiting_list' ORDER BY l.sent_at LIMIT 1",
        )
        .bind(m)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE people SET name = $2 WHERE id = (SELECT applicant_id FROM applications WHERE id = $1)",
        )
        .bind(row.0)
        .bind(hostile)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row
    };
    let mut c = app.login("levanger.saksbehandler").await;
    for path in [
        format!("/soknader/{application}"),
        "/soknader?q=HYPERLINK".to_string(),
        "/venteliste".to_string(),
        format!("/brev/{letter}"),
    ] {
        let page = c.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.text.contains("<script>alert"), "{path}: unescaped");
        assert!(!page.text.contains("<img src=x"), "{path}: unescaped");
        assert_eq!(
            page.count("script:not([src])"),
            0,
            "{path}: an inline script"
        );
    }
    // The name is there, as text, where it is printed.
    assert!(c
        .get(&format!("/soknader/{application}"))
        .await
        .text_of("main")
        .contains("<script>alert('x')</script>"));
    for path in ["/soknader/eksport.csv", "/venteliste/eksport.csv"] {
        let csv = c.get(path).await.text;
        assert!(
            !csv.contains(";=HYPERLINK") && !csv.contains("\n=HYPERLINK"),
            "{path}"
        );
        assert!(
            csv.contains("'=HYPERLINK"),
            "{path}: neutralised, not dropped"
        );
    }
}
