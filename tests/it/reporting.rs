//! Reports (issue 17): KOSTRA form 13 against hand-counted fixtures for each definition,
//! the figures page, side by side for the shared office, tenant isolation of every
//! figure, CSV content, what needs me today, the annual mapping and the need overview.
//! Fixture dates come from the clock: the KOSTRA year is last year, so 31 December is
//! always in the past, on today and on 2028-02-29 alike.

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::fixtures::Arg;
use crate::common::{Page, TestApp};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The KOSTRA table's figure in `key`'s row, column `col` (0 = the first municipality).
fn figure(page: &Page, key: &str, col: usize) -> i64 {
    let cells = page.texts(&format!("#kostra tr[data-key='{key}'] td.bosak-num"));
    cells
        .get(col)
        .unwrap_or_else(|| panic!("no {key} column {col}: {}", page.text))
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{key}: {cells:?}"))
}

const KEYS: &[&str] = &[
    "dwellings_total",
    "dwellings_owned",
    "dwellings_rented_in",
    "dwellings_allocation_right",
    "dwellings_wheelchair",
    "dwellings_let",
    "households_new",
    "households_refugee",
    "households_mental_health",
    "households_substance",
    "households_both",
    "households_adapted",
    "households_other",
    "applications_total",
    "applications_new",
    "applications_renewed",
    "refusals",
    "short_term_contracts",
    "temporary_accommodation",
    "deposits",
    "guarantees",
];

fn all_figures(page: &Page, col: usize) -> Vec<i64> {
    KEYS.iter().map(|k| figure(page, k, col)).collect()
}

/// The hand-counted fixtures of year `y` in one municipality, tagged `tag`:
/// - property with the municipality's right to allocate, units D1–D8 (rooms let one by one);
/// - D1 let from 31 December to a refugee (new household; a date on 31 December counts);
/// - tenant B moves from D3 (ended 31 May) to D2 on 1 June: a swap, not new; D3 not let;
/// - tenant C's lease on D7 is extended from 1 April by a renewal case: not new;
/// - tenant E gets D8 on 1 March, two years (§ 11-1), guarantee, reasons mental illness
///   and substance use: new, group "both", a short-term contract, a guarantee;
/// - D4 is wheelchair accessible and vacant on 31 December; tenant F moves in 1 January
///   the year after (not counted);
/// - D5 was sold in June, D6 came into the register the next year: neither counts;
/// - applications received in the year: A's and E's (new) and C's renewal;
/// - G (applied the year before) got a decision in January refusing a dwelling and
///   granting temporary accommodation.
///
/// Expected changes: dwellings +6 (all allocation right), wheelchair +1, let +4, new
/// households +2 (refugee 1, both 1), applications +3 (new 2, renewed 1), refusals +1,
/// short-term +1, temporary accommodation +1, guarantees +1, deposits 0.
async fn kostra_fixtures(app: &TestApp, number: &str, y: i32, tag: &str) {
    let t = app.tenant(number).await;
    let m = t.id;
    let mut tx = t.tx().await;
    let user = app.user_id("levanger.saksbehandler").await;
    let id = |_: &str| Uuid::now_v7();
    let property = id("p");
    sqlx::query(
        "INSERT INTO properties (municipality_id, id, name, street_address, postcode, postal_place, owner_type, owner_name)
         VALUES ($1, $2, $3, 'Storgata 1', '7600', 'Levanger', 'allocation_right', 'Boligbyggelaget')",
    )
    .bind(m)
    .bind(property)
    .bind(format!("Hybelhuset {tag}"))
    .execute(&mut *tx)
    .await
    .unwrap();
    let dtype: Uuid = sqlx::query_scalar(
        "SELECT id FROM dwelling_types WHERE municipality_id = $1 ORDER BY sort_order, id LIMIT 1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let mut units = Vec::new();
    for i in 1..=8 {
        let d = id("d");
        let (since, wheel) = match i {
            6 => (ymd(y + 1, 1, 1), false),
            4 => (ymd(y, 1, 1), true),
            _ => (ymd(y - 3, 1, 1), false),
        };
        sqlx::query(
            "INSERT INTO dwellings (municipality_id, id, property_id, unit_number, dwelling_type_id, rooms, area_m2,
                                    wheelchair_accessible, status, status_since)
             VALUES ($1, $2, $3, $4, $5, 1, 20, $6, 'vacant', $7)",
        )
        .bind(m)
        .bind(d)
        .bind(property)
        .bind(format!("{tag}-D{i}"))
        .bind(dtype)
        .bind(wheel)
        .bind(since)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO dwelling_status_changes (municipality_id, id, dwelling_id, effective_on, to_status)
             VALUES ($1, $2, $3, $4, 'vacant')",
        )
        .bind(m)
        .bind(id("s"))
        .bind(d)
        .bind(since)
        .execute(&mut *tx)
        .await
        .unwrap();
        units.push(d);
    }
    // D5 sold in June.
    sqlx::query(
        "INSERT INTO dwelling_status_changes (municipality_id, id, dwelling_id, effective_on, from_status, to_status)
         VALUES ($1, $2, $3, $4, 'vacant', 'sold')",
    )
    .bind(m)
    .bind(id("s"))
    .bind(units[4])
    .bind(ymd(y, 6, 1))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE dwellings SET status = 'sold', status_since = $3 WHERE municipality_id = $1 AND id = $2")
        .bind(m)
        .bind(units[4])
        .bind(ymd(y, 6, 1))
        .execute(&mut *tx)
        .await
        .unwrap();

    let mut people = std::collections::HashMap::new();
    for p in ["A", "B", "C", "E", "F", "G"] {
        let pid = id("person");
        sqlx::query(
            "INSERT INTO people (municipality_id, id, birth_date, name) VALUES ($1, $2, DATE '1980-05-05', $3)",
        )
        .bind(m)
        .bind(pid)
        .bind(format!("Person {p} {tag}"))
        .execute(&mut *tx)
        .await
        .unwrap();
        people.insert(p, pid);
    }
    let reason = |name: &'static str| name;
    let mut seq = 900_000 + (y % 100) * 100;
    let mut application = |applicant: Uuid,
                           received: NaiveDate,
                           renews: Option<Uuid>,
                           reasons: Vec<&'static str>,
                           status: &'static str| {
        seq += 1;
        let a = Uuid::now_v7();
        (a, applicant, received, renews, reasons, status, seq)
    };
    // Leases: (unit index, tenant, start, end, ended_on, deposit kind, short term)
    let lease_b_old = id("l");
    let lease_c_old = id("l");
    let app_a = application(
        people["A"],
        ymd(y, 10, 1),
        None,
        vec![reason("Flyktning / bosetting")],
        "housed",
    );
    let app_c = application(
        people["C"],
        ymd(y, 2, 1),
        Some(lease_c_old),
        vec![],
        "housed",
    );
    let app_e = application(
        people["E"],
        ymd(y, 1, 15),
        None,
        vec![reason("Psykiske helseproblemer"), reason("Rusproblemer")],
        "housed",
    );
    let app_g = application(people["G"], ymd(y - 1, 12, 20), None, vec![], "rejected");
    let leases_first = [
        (
            lease_b_old,
            2usize,
            "B",
            ymd(y - 1, 6, 1),
            Some(ymd(y + 2, 5, 31)),
            Some(ymd(y, 5, 31)),
            None,
        ),
        (
            lease_c_old,
            6,
            "C",
            ymd(y - 3, 4, 1),
            Some(ymd(y, 3, 31)),
            Some(ymd(y, 3, 31)),
            None,
        ),
    ];
    for (lid, unit, who, start, end, ended, app) in leases_first {
        insert_lease(
            &mut tx,
            m,
            lid,
            units[unit],
            people[who],
            start,
            end,
            ended,
            app,
            "none",
            false,
            tag,
        )
        .await;
    }
    for (a, applicant, received, renews, reasons, status, seq) in [&app_a, &app_c, &app_e, &app_g] {
        sqlx::query(
            "INSERT INTO applications (municipality_id, id, case_year, case_seq, case_number, received_on, channel,
                                       status, applicant_id, situation, renews_lease_id, caseworker_id, decided_on)
             VALUES ($1, $2, $3, $4, $5, $6, 'paper', $7::application_status, $8, 'unsuitable', $9, $10, $6 + 20)",
        )
        .bind(m)
        .bind(a)
        .bind(received.year())
        .bind(*seq)
        .bind(format!("{}/{seq} {tag}", received.year()))
        .bind(received)
        .bind(*status)
        .bind(applicant)
        .bind(renews)
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
        for r in reasons {
            sqlx::query(
                "INSERT INTO application_reason_links (municipality_id, application_id, reason_id)
                 SELECT $1, $2, id FROM application_reasons WHERE municipality_id = $1 AND name = $3",
            )
            .bind(m)
            .bind(a)
            .bind(*r)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    let leases_then = [
        (
            0usize,
            "A",
            ymd(y, 12, 31),
            Some(ymd(y + 3, 12, 30)),
            Some(app_a.0),
            "none",
            false,
        ),
        (
            1,
            "B",
            ymd(y, 6, 1),
            Some(ymd(y + 3, 5, 31)),
            None,
            "account",
            false,
        ),
        (
            6,
            "C",
            ymd(y, 4, 1),
            Some(ymd(y + 3, 3, 31)),
            Some(app_c.0),
            "none",
            false,
        ),
        (
            7,
            "E",
            ymd(y, 3, 1),
            Some(ymd(y + 2, 2, 28)),
            Some(app_e.0),
            "guarantee",
            true,
        ),
        // Signed on 22 December (start − 10) for next year, under three years: the form
        // counts a short-term contract in the year it was entered into, so it is this
        // year's (and no household of this year).
        (
            3,
            "F",
            ymd(y + 1, 1, 1),
            Some(ymd(y + 2, 12, 31)),
            None,
            "none",
            true,
        ),
    ];
    for (unit, who, start, end, app, deposit, short) in leases_then {
        insert_lease(
            &mut tx,
            m,
            id("l"),
            units[unit],
            people[who],
            start,
            end,
            None,
            app,
            deposit,
            short,
            tag,
        )
        .await;
    }
    // B's new lease (an internal move, no case) has the year's one account deposit:
    // deposits count new leases, not new households, so +1.

    // G's decision: a dwelling refused and temporary accommodation granted, in January.
    let decision = id("dec");
    sqlx::query(
        "INSERT INTO decisions (municipality_id, id, application_id, status, author_id, decided_on, dispatched_on,
                                channel, notified_on)
         VALUES ($1, $2, $3, 'sent', $4, $5, $5, 'digital', $5)",
    )
    .bind(m)
    .bind(decision)
    .bind(app_g.0)
    .bind(user)
    .bind(ymd(y, 1, 10))
    .execute(&mut *tx)
    .await
    .unwrap();
    for (pos, code, outcome) in [
        (1, "municipal_dwelling", "refused"),
        (2, "temporary_accommodation", "granted"),
    ] {
        sqlx::query(
            "INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                                          legal_basis, appeal_body, appeal_weeks)
             SELECT $1, $2, $3, $4, k.id, $6::decision_outcome, 'Vedtak', k.legal_basis, k.appeal_body, k.appeal_weeks
               FROM decision_kinds k WHERE k.municipality_id = $1 AND k.code = $5",
        )
        .bind(m)
        .bind(id("pt"))
        .bind(decision)
        .bind(pos)
        .bind(code)
        .bind(outcome)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[allow(clippy::too_many_arguments)]
async fn insert_lease(
    tx: &mut sqlx::PgConnection,
    m: Uuid,
    id: Uuid,
    unit: Uuid,
    tenant: Uuid,
    start: NaiveDate,
    end: Option<NaiveDate>,
    ended: Option<NaiveDate>,
    application: Option<Uuid>,
    deposit: &str,
    short: bool,
    tag: &str,
) {
    let _ = tag;
    sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status, starts_on, ends_on,
                             monthly_rent, signed_on, ended_on, end_reason, application_id, deposit_kind, deposit_amount,
                             deposit_account, guarantor, short_term_ground_id, short_term_notice_on)
         VALUES ($1, $2, (SELECT coalesce(max(lease_no), 0) + 1 FROM leases WHERE municipality_id = $1), $3, $4,
                 CASE WHEN $7::date IS NOT NULL THEN 'ended' ELSE 'active' END::lease_status, $5, $6, 500000, $5 - 10,
                 $7, CASE WHEN $7::date IS NOT NULL THEN 'municipal_dwelling' END, $8,
                 $9, CASE WHEN $9 = 'none' THEN 0 ELSE 1000000 END,
                 CASE WHEN $9 = 'account' THEN '12345678903' ELSE '' END,
                 CASE WHEN $9 = 'guarantee' THEN 'NAV' ELSE '' END,
                 CASE WHEN $10 THEN (SELECT id FROM short_term_grounds WHERE municipality_id = $1 ORDER BY sort_order, id LIMIT 1) END,
                 CASE WHEN $10 THEN $5 - 20 END)",
    )
    .bind(m)
    .bind(id)
    .bind(unit)
    .bind(tenant)
    .bind(start)
    .bind(end)
    .bind(ended)
    .bind(application)
    .bind(deposit)
    .bind(short)
    .execute(&mut *tx)
    .await
    .unwrap();
}

#[tokio::test]
async fn kostra_figures_follow_the_forms_definitions_and_list_what_they_count() {
    let app = TestApp::spawn().await;
    let y = app.today().year() - 1;
    let mut c = app.login("levanger.saksbehandler").await;
    let before = c.get(&format!("/rapporter/kostra?aar={y}")).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let before = all_figures(&before, 0);
    // Verdal through the office caseworker, who sees both side by side.
    let mut office = app.login("kontor.saksbehandler").await;
    let office_before = office.get(&format!("/rapporter/kostra?aar={y}")).await;
    assert_eq!(
        office_before.texts("#kostra thead th.bosak-num"),
        vec!["Levanger", "Verdal", "Totalt"]
    );
    let verdal_before = all_figures(&office_before, 1);

    kostra_fixtures(&app, "5037", y, "KX").await;

    let page = c.get(&format!("/rapporter/kostra?aar={y}")).await;
    let after = all_figures(&page, 0);
    let delta: Vec<(&str, i64)> = KEYS
        .iter()
        .zip(after.iter().zip(&before))
        .map(|(k, (a, b))| (*k, a - b))
        .collect();
    let expected: Vec<(&str, i64)> = vec![
        ("dwellings_total", 6),
        ("dwellings_owned", 0),
        ("dwellings_rented_in", 0),
        ("dwellings_allocation_right", 6),
        ("dwellings_wheelchair", 1),
        ("dwellings_let", 4),
        ("households_new", 2),
        ("households_refugee", 1),
        ("households_mental_health", 0),
        ("households_substance", 0),
        ("households_both", 1),
        ("households_adapted", 0),
        ("households_other", 0),
        ("applications_total", 3),
        ("applications_new", 2),
        ("applications_renewed", 1),
        ("refusals", 1),
        ("short_term_contracts", 2),
        ("temporary_accommodation", 1),
        ("deposits", 1),
        ("guarantees", 1),
    ];
    assert_eq!(delta, expected);
    // The groups add up to the households.
    assert_eq!(after[7..13].iter().sum::<i64>(), after[6]);

    // Each figure links to exactly what it counts.
    let href = page
        .attr("#kostra tr[data-key='dwellings_let'] td a", "href")
        .expect("a link to the let dwellings");
    let list = c.get(&href).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.count("#poster tbody tr") as i64, after[5]);
    let ours: Vec<String> = list
        .texts("#poster tbody td:first-child")
        .into_iter()
        .filter(|t| t.starts_with("KX-"))
        .collect();
    assert_eq!(ours, vec!["KX-D1", "KX-D2", "KX-D7", "KX-D8"]);
    assert_eq!(list.text_of("#antall").trim(), after[5].to_string());
    // The list pages by (reference, id): after the first row comes the second.
    let refs = list.texts("#poster tbody td:first-child");
    let first_id = list
        .attr("#poster tbody a", "href")
        .and_then(|h| h.rsplit('/').next().map(str::to_owned))
        .expect("the first record's id");
    let rest = c
        .get(&format!(
            "{href}&etter={}&etter_id={first_id}",
            url_encode(&refs[0])
        ))
        .await;
    assert_eq!(
        rest.texts("#poster tbody td:first-child"),
        refs[1..].to_vec()
    );
    assert_eq!(rest.text_of("#antall").trim(), after[5].to_string());
    let list_of =
        |figure: &str| format!("/rapporter/kostra/liste?aar={y}&tall={figure}&kommune=5037");
    let names = c
        .get(&list_of("households_new"))
        .await
        .texts("#poster tbody td:nth-child(2)");
    assert!(names.contains(&"Person A KX".to_string()), "{names:?}");
    assert!(names.contains(&"Person E KX".to_string()), "{names:?}");
    assert!(!names
        .iter()
        .any(|n| n == "Person B KX" || n == "Person C KX" || n == "Person F KX"));
    assert_eq!(app.audit_count("reporting.kostra_list_viewed").await, 3);
    // Short-term contracts by signing date: F's, signed this year to start next year.
    let short = c.get(&list_of("short_term_contracts")).await;
    let names = short.texts("#poster tbody td:nth-child(2)");
    assert!(names.contains(&"Person E KX".to_string()), "{names:?}");
    assert!(names.contains(&"Person F KX".to_string()), "{names:?}");
    let dates = short.texts("#poster tbody td:nth-child(3)");
    assert!(
        dates.contains(
            &(ymd(y + 1, 1, 1) - chrono::Duration::days(10))
                .format("%d.%m.%Y")
                .to_string()
        ),
        "{dates:?}"
    );

    // Tenant isolation: Verdal's figures did not move; a Verdal user cannot open
    // Levanger's list, and Levanger's caseworker cannot ask for Verdal.
    let office_after = office.get(&format!("/rapporter/kostra?aar={y}")).await;
    assert_eq!(all_figures(&office_after, 1), verdal_before);
    assert_eq!(
        figure(&office_after, "dwellings_total", 2),
        figure(&office_after, "dwellings_total", 0) + figure(&office_after, "dwellings_total", 1)
    );
    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(verdal.get(&href).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(&format!("/rapporter/kostra?aar={y}&kommune=5038"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let v = verdal.get(&format!("/rapporter/kostra?aar={y}")).await;
    assert_eq!(all_figures(&v, 0), verdal_before);
    // The auditor reads no case figures.
    let mut revisor = app.login("revisor").await;
    assert_eq!(
        revisor.get("/rapporter/kostra").await.status,
        StatusCode::FORBIDDEN
    );

    // CSV in the form's order, the share row after the wheelchair figure.
    let csv = c.get(&format!("/rapporter/kostra.csv?aar={y}")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Nr;Tall;Levanger (5037)");
    assert!(
        lines[1].starts_with("1;Kommunalt disponerte boliger i alt;"),
        "{}",
        lines[1]
    );
    assert!(
        lines[6].starts_with(";Andel tilgjengelig for rullestolbrukere;"),
        "{}",
        lines[6]
    );
    assert_eq!(
        lines[7],
        format!("6;Boliger utleid per 31. desember;{}", after[5])
    );
    assert_eq!(lines.len(), 1 + KEYS.len() + 1);
    // A year out of range is a 404, not a 500.
    assert_eq!(
        c.get("/rapporter/kostra?aar=1999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/rapporter/kostra?aar=abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&format!(
            "/rapporter/kostra/liste?aar={y}&tall=nope&kommune=5037"
        ))
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_figures_page_counts_from_the_database_side_by_side_for_the_office() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let ver = app.tenant("5038").await;
    let count = |sql: &'static str| sql;
    let open_sql = count(
        "SELECT count(*) FROM applications WHERE status IN ('received','under_assessment','ready_for_meeting','approved','partly_approved','waiting_list','offered')",
    );
    let vacant_sql = count("SELECT count(*) FROM dwellings WHERE status = 'vacant'");
    let (lo, vo): (i64, i64) = (
        lev.scalar(open_sql, &[]).await,
        ver.scalar(open_sql, &[]).await,
    );
    let (lv, vv): (i64, i64) = (
        lev.scalar(vacant_sql, &[]).await,
        ver.scalar(vacant_sql, &[]).await,
    );
    assert!(lo > 0 && vo > 0);

    let mut office = app.login("kontor.saksbehandler").await;
    let page = office.get("/rapporter").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(
        page.texts("#nokkeltall thead th.bosak-num"),
        vec!["Levanger", "Verdal", "Totalt"]
    );
    let row = |p: &Page, key: &str| p.texts(&format!("#nokkeltall tr[data-key='{key}'] td"));
    assert_eq!(
        row(&page, "open"),
        vec![lo.to_string(), vo.to_string(), (lo + vo).to_string()]
    );
    assert_eq!(
        row(&page, "vacant"),
        vec![lv.to_string(), vv.to_string(), (lv + vv).to_string()]
    );
    // Stjørdal is not the office's: never shown, and asking for it is a 404.
    assert!(!page.text.contains("Stjørdal</th>"));
    assert_eq!(
        office.get("/rapporter?kommune=5035").await.status,
        StatusCode::NOT_FOUND
    );
    let one = office.get("/rapporter?kommune=5038").await;
    assert_eq!(one.texts("#nokkeltall thead th.bosak-num"), vec!["Verdal"]);
    assert_eq!(row(&one, "open"), vec![vo.to_string()]);
    // Charts have a title and description and the numbers in a table.
    assert_eq!(page.count("svg[role='img'] > title"), 2);
    assert_eq!(page.count("svg[role='img'] > desc"), 2);
    assert!(page.count("#restanse-trend tbody tr") >= 12);

    // Bad dates: the message by the field, the input kept, the default period used.
    let bad = office.get("/rapporter?fra=i+fjor&til=").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text_of("#fra-err").contains("dd.mm.åååå"));
    assert_eq!(bad.attr("#fra", "value").as_deref(), Some("i fjor"));

    // The CSV holds the same table.
    let csv = office.get("/rapporter/tall.csv").await;
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Tall;Levanger;Verdal;Totalt");
    assert_eq!(lines[1], format!("Åpne søknader;{lo};{vo};{}", lo + vo));

    // Decision times against hand-computed values: three Verdal cases decided in a
    // period of their own, 10, 20 and 40 days after receipt.
    let today = app.today();
    let from = today - chrono::Duration::days(401);
    ver.exec(
        "UPDATE applications SET decided_on = decided_on - 1 WHERE decided_on = $1",
        &[from.into()],
    )
    .await;
    for (i, days) in [10i64, 20, 40].iter().enumerate() {
        ver.exec(
            "UPDATE applications SET received_on = $1, decided_on = $2
              WHERE id = (SELECT id FROM applications WHERE decided_on IS NULL ORDER BY case_number OFFSET $3 LIMIT 1)",
            &[
                (from - chrono::Duration::days(*days)).into(),
                from.into(),
                Arg::Int(i as i64),
            ],
        )
        .await;
    }
    let f = from.format("%d.%m.%Y").to_string();
    let page = office
        .get(&format!("/rapporter?kommune=5038&fra={f}&til={f}"))
        .await;
    assert_eq!(row(&page, "decided"), vec!["3"]);
    assert_eq!(row(&page, "decision_median"), vec!["20"]);
    // percentile_cont(0.9) of 10, 20, 40 = 20 + 0.8 × 20 = 36.
    assert_eq!(row(&page, "decision_p90"), vec!["36"]);
    assert_eq!(row(&page, "decided_after_month"), vec!["1 (33,3 %)"]);
}

#[tokio::test]
async fn what_needs_me_today_lists_my_deadlines_and_only_mine() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let me = app.user_id("levanger.saksbehandler").await;
    let today = app.today();
    // Two of my cases with the interim reply overdue, one of someone else's.
    let mine: Vec<Uuid> = lev
        .column(
            "SELECT id FROM applications WHERE status IN ('received','under_assessment') ORDER BY case_number LIMIT 3",
            &[],
        )
        .await;
    assert_eq!(mine.len(), 3);
    let other = app.user_id("levanger.team").await;
    for (i, a) in mine.iter().enumerate() {
        lev.exec(
            "UPDATE applications SET caseworker_id = $1, received_on = $2, interim_due_on = $2 + 31,
                    interim_sent_on = NULL, decided_on = NULL WHERE id = $3",
            &[
                (if i < 2 { me } else { other }).into(),
                (today - chrono::Duration::days(45)).into(),
                (*a).into(),
            ],
        )
        .await;
    }
    let numbers: Vec<String> = lev
        .column(
            "SELECT case_number FROM applications WHERE id = ANY(ARRAY[$1, $2, $3]::uuid[]) ORDER BY case_number",
            &[mine[0].into(), mine[1].into(), mine[2].into()],
        )
        .await;
    let mut c = app.login("levanger.saksbehandler").await;
    let all = c.get("/rapporter/frister").await;
    assert_eq!(all.status, StatusCode::OK);
    let refs = all.texts("#frister tbody td:nth-child(3)");
    assert!(
        refs.contains(&numbers[0]) && refs.contains(&numbers[1]),
        "{refs:?}"
    );
    assert!(!refs.contains(&numbers[2]), "{refs:?}");
    assert_eq!(app.audit_count("reporting.due_list_viewed").await, 1);
    // The start page shows the first ten, oldest first, and links to the rest.
    let page = c.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let shown = page.count("#frister tbody tr");
    assert_eq!(shown, all.count("#frister tbody tr").min(10));
    if all.count("#frister tbody tr") > 10 {
        assert_eq!(
            page.attr("#alle-frister", "href").as_deref(),
            Some("/rapporter/frister")
        );
    }
    // Each links to the record, which opens.
    let href = page
        .attr("#frister tbody a", "href")
        .expect("a link to the record");
    assert_eq!(c.get(&href).await.status, StatusCode::OK);
    // The team member's own list has the third case and not mine.
    let mut team = app.login("levanger.team").await;
    let refs = team
        .get("/rapporter/frister")
        .await
        .texts("#frister tbody td:nth-child(3)");
    assert!(
        refs.contains(&numbers[2]) && !refs.contains(&numbers[0]),
        "{refs:?}"
    );
}

#[tokio::test]
async fn the_annual_mapping_counts_the_period_by_reason_and_its_setting_is_the_admins() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let this = app.today().year();
    let y = this - 2;
    // Three applications in last-but-one year's period, one just outside it.
    let ids: Vec<Uuid> = lev
        .column(
            "SELECT id FROM applications ORDER BY case_number LIMIT 4",
            &[],
        )
        .await;
    let refugee: Uuid = lev
        .scalar(
            "SELECT id FROM application_reasons WHERE name = 'Flyktning / bosetting'",
            &[],
        )
        .await;
    for (i, (a, day)) in ids
        .iter()
        .zip([ymd(y, 8, 20), ymd(y, 9, 1), ymd(y, 10, 20), ymd(y, 10, 21)])
        .enumerate()
    {
        lev.exec(
            "UPDATE applications SET received_on = $1 WHERE id = $2",
            &[day.into(), (*a).into()],
        )
        .await;
        lev.exec(
            "DELETE FROM application_reason_links WHERE municipality_id = $1 AND application_id = $2",
            &[Arg::Municipality, (*a).into()],
        )
        .await;
        if i < 2 {
            lev.exec(
                "INSERT INTO application_reason_links (municipality_id, application_id, reason_id) VALUES ($1, $2, $3)",
                &[Arg::Municipality, (*a).into(), refugee.into()],
            )
            .await;
        }
    }
    let before: i64 = lev
        .scalar(
            "SELECT count(*) FROM applications WHERE received_on BETWEEN $1 AND $2 AND NOT (id = ANY(ARRAY[$3, $4, $5, $6]::uuid[]))",
            &[ymd(y, 8, 20).into(), ymd(y, 10, 20).into(), ids[0].into(), ids[1].into(), ids[2].into(), ids[3].into()],
        )
        .await;
    let mut c = app.login("levanger.admin").await;
    let page = c.get(&format!("/rapporter/kartlegging?aar={this}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let years = page.texts("#etter-aarsak thead th.bosak-num");
    let col = years
        .iter()
        .position(|t| *t == y.to_string())
        .expect("the year's column");
    let totals = page.texts("#etter-aarsak tr[data-key='total'] td");
    assert_eq!(totals[col], (before + 3).to_string());

    // The admin narrows the period to 1 September – 20 October: one fewer.
    let version = page.attr("input[name=version]", "value").unwrap();
    let bad = c
        .post(
            "/rapporter/kartlegging/periode",
            &[("fra", "31.02"), ("til", "20.10"), ("version", &version)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.attr("#fra", "value").as_deref(), Some("31.02"));
    let ok = c
        .post(
            "/rapporter/kartlegging/periode",
            &[("fra", "01.09"), ("til", "20.10"), ("version", &version)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // The same form again is a stale edit, saving nothing.
    let stale = c
        .post(
            "/rapporter/kartlegging/periode",
            &[("fra", "02.09"), ("til", "20.10"), ("version", &version)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(app.audit_count("reporting.mapping_period_changed").await, 1);
    let page = c.get(&format!("/rapporter/kartlegging?aar={this}")).await;
    let after: i64 = lev
        .scalar(
            "SELECT count(*) FROM applications WHERE received_on BETWEEN $1 AND $2",
            &[ymd(y, 9, 1).into(), ymd(y, 10, 20).into()],
        )
        .await;
    assert_eq!(
        page.texts("#etter-aarsak tr[data-key='total'] td")[col],
        after.to_string()
    );
    // A caseworker reads the mapping but has no period form, and may not post one.
    let mut cw = app.login("levanger.saksbehandler").await;
    let p = cw.get("/rapporter/kartlegging").await;
    assert_eq!(p.count("form[action='/rapporter/kartlegging/periode']"), 0);
    let refused = cw
        .post(
            "/rapporter/kartlegging/periode",
            &[("fra", "01.01"), ("til", "31.12"), ("version", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let csv = cw
        .get(&format!("/rapporter/kartlegging.csv?aar={this}"))
        .await;
    assert!(csv
        .text
        .trim_start_matches('\u{feff}')
        .starts_with("Gruppering;Kategori;"));

    // The need overview counts the waiting list and the units.
    let need = cw.get("/rapporter/behov").await;
    assert_eq!(need.status, StatusCode::OK);
    let wheel: i64 = lev
        .scalar(
            "SELECT count(*) FROM applications WHERE status = 'waiting_list' AND needs_wheelchair",
            &[],
        )
        .await;
    let units: i64 = lev
        .scalar(
            "SELECT count(*) FROM dwellings WHERE wheelchair_accessible AND status NOT IN ('sold', 'to_be_sold')",
            &[],
        )
        .await;
    assert_eq!(
        need.texts("#behov tbody tr:nth-last-child(2) td")[..2].to_vec(),
        vec![wheel.to_string(), units.to_string()]
    );
    let csv = cw.get("/rapporter/behov.csv").await;
    assert!(csv.text.contains("Søkere på venteliste"));
}

/// Øre from a kroner cell ("12 345,00 kr"): its digits, negative when it starts with −.
fn ore(cell: &str) -> i64 {
    let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
    let v: i64 = digits.parse().unwrap_or(0);
    if cell.trim_start().starts_with('−') {
        -v
    } else {
        v
    }
}

#[tokio::test]
async fn the_arrears_trend_counts_today_as_it_counts_the_month_ends() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let today = app.today();
    let user = app.user_id("levanger.saksbehandler").await;
    // A running lease, and its net balance today (entries dated ahead left out).
    let lease: Uuid = lev
        .scalar(
            "SELECT id FROM leases WHERE status = 'active' ORDER BY lease_no LIMIT 1",
            &[],
        )
        .await;
    let b0: i64 = lev
        .scalar(
            "SELECT coalesce(sum(amount), 0)::int8 FROM rent_entries WHERE lease_id = $1 AND applies_on <= $2",
            &[lease.into(), today.into()],
        )
        .await;
    let b1 = b0 + 200_000;
    let mut c = app.login("levanger.saksbehandler").await;
    let last = |p: &Page| {
        let cells = p.texts("#restanse-trend tbody tr:last-child td");
        (ore(&cells[1]), cells[2].parse::<i64>().unwrap_or(-1))
    };
    let now = |p: &Page| ore(&p.texts("#nokkeltall tr[data-key='arrears_total'] td")[0]);
    let page = c.get("/rapporter").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let (before, before_now) = (last(&page), now(&page));
    // A charge of 3 000 kr due ten days ago, a credit of 1 000 kr not set against it (both
    // stay open), and a charge of 500 kr due tomorrow.
    let entry = |kind: &str, amount: i64, on: NaiveDate| {
        let note = if kind == "credit" { "Kreditnota" } else { "" };
        (kind.to_string(), amount, on, note.to_string())
    };
    for (kind, amount, on, note) in [
        entry("charge", 300_000, today - chrono::Duration::days(10)),
        entry("credit", -100_000, today - chrono::Duration::days(5)),
        entry("charge", 50_000, today + chrono::Duration::days(1)),
    ] {
        lev.exec(
            "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, charge_kind, amount, applies_on, note, created_by)
             VALUES ($1, gen_random_uuid(), $2, $3::rent_entry_kind, CASE WHEN $3 = 'charge' THEN 'other' END, $4, $5, $6, $7)",
            &[
                Arg::Municipality,
                lease.into(),
                kind.as_str().into(),
                amount.into(),
                on.into(),
                note.as_str().into(),
                user.into(),
            ],
        )
        .await;
    }
    let page = c.get("/rapporter").await;
    // Today's point nets the lease's entries up to today, as each month end does: 2 000 kr
    // more on its balance, not the 3 000 kr charge, and nothing of tomorrow's.
    let after = last(&page);
    assert_eq!(
        after.0 - before.0,
        b1.max(0) - b0.max(0),
        "{before:?} → {after:?}"
    );
    assert_eq!(after.1 - before.1, i64::from(b1 > 0) - i64::from(b0 > 0));
    // "Arrears now" in the table is the unpaid charges due (the arrears list's figure).
    assert_eq!(now(&page) - before_now, 300_000);
    assert!(page.text_of("#trend-definisjon").contains("netto saldo"));
    // Each past point is that month end's positive net balances, from the whole ledger.
    let rows = page.texts("#restanse-trend tbody tr:first-child td");
    let day = NaiveDate::parse_from_str(&rows[0], "%d.%m.%Y").expect("a date");
    let (owed, leases): (i64, i64) = {
        let o: i64 = lev
            .scalar(
                "SELECT coalesce(sum(b) FILTER (WHERE b > 0), 0)::int8 FROM
                   (SELECT sum(amount) AS b FROM rent_entries WHERE applies_on <= $1 GROUP BY lease_id) x",
                &[day.into()],
            )
            .await;
        let n: i64 = lev
            .scalar(
                "SELECT count(*) FILTER (WHERE b > 0)::int8 FROM
                   (SELECT sum(amount) AS b FROM rent_entries WHERE applies_on <= $1 GROUP BY lease_id) x",
                &[day.into()],
            )
            .await;
        (o, n)
    };
    assert_eq!(ore(&rows[1]), owed);
    assert_eq!(rows[2].parse::<i64>().unwrap_or(-1), leases);
}

#[tokio::test]
async fn my_deadlines_list_as_many_as_the_start_page_counts() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let me = app.user_id("levanger.saksbehandler").await;
    let today = app.today();
    // Twelve of my cases with the interim reply overdue: more than the start page shows.
    let n = lev
        .exec(
            "UPDATE applications SET caseworker_id = $1, received_on = $2, interim_due_on = $2 + 31,
                    interim_sent_on = NULL, decided_on = NULL
              WHERE id IN (SELECT id FROM applications WHERE status IN ('received', 'under_assessment')
                            ORDER BY case_number LIMIT 12)",
            &[me.into(), (today - chrono::Duration::days(45)).into()],
        )
        .await;
    assert!(n >= 11, "{n}");
    let mut c = app.login("levanger.saksbehandler").await;
    let start = c.get("/").await;
    assert_eq!(start.count("#frister tbody tr"), 10);
    let link = start.text_of("#alle-frister");
    let counted: i64 = link
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("the count in the link");
    let all = c.get("/rapporter/frister").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.count("#frister tbody tr") as i64, counted);
    assert_eq!(all.text_of("#antall-frister").trim(), counted.to_string());
    // Someone with no role that has deadlines is refused, not shown an empty list.
    let mut revisor = app.login("revisor").await;
    assert_eq!(
        revisor.get("/rapporter/frister").await.status,
        StatusCode::FORBIDDEN
    );
}

const GROUP_SET: &str = "application.reason_kostra_group_set";

/// A reason's stored KOSTRA group and version.
async fn reason_row(t: &crate::common::fixtures::Tenant<'_>, id: Uuid) -> (Option<String>, i32) {
    let group: Option<String> = t
        .scalar(
            "SELECT kostra_group FROM application_reasons WHERE id = $1",
            &[id.into()],
        )
        .await;
    let version: i32 = t
        .scalar(
            "SELECT version FROM application_reasons WHERE id = $1",
            &[id.into()],
        )
        .await;
    (group, version)
}

#[tokio::test]
async fn the_admin_chooses_each_reasons_kostra_group() {
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    let mut a = app.login("levanger.admin").await;
    let page = a.get("/innstillinger/soknadsgrunner").await;
    assert_eq!(page.status, StatusCode::OK);
    let id: Uuid = lev
        .scalar(
            "SELECT id FROM application_reasons WHERE name = 'Rusproblemer'",
            &[],
        )
        .await;
    let (_, version) = reason_row(&lev, id).await;
    // The stored group is the one selected, labelled in Norwegian.
    let select = format!("#kostra-{id} option[selected]");
    assert_eq!(page.text_of(&select).trim(), "Rusproblemer");
    assert_eq!(
        page.attr(
            &format!("tr[data-reason='{id}'] input[name=version]"),
            "value"
        ),
        Some(version.to_string())
    );
    let path = format!("/innstillinger/soknadsgrunner/{id}/kostra");
    let v = version.to_string();
    let res = a
        .post(&path, &[("kostra_group", "mental_health"), ("version", &v)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let (stored, _) = reason_row(&lev, id).await;
    assert_eq!(stored.as_deref(), Some("mental_health"));
    assert_eq!(app.audit_count(GROUP_SET).await, 1);
    // A double submit changes nothing more.
    let again = a
        .post(&path, &[("kostra_group", "mental_health"), ("version", &v)])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count(GROUP_SET).await, 1);
    // The old version with another choice is a stale edit: refused with the one wording,
    // the choice kept in its row, nothing saved.
    let stale = a
        .post(&path, &[("kostra_group", "refugee"), ("version", &v)])
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text.contains("endret av noen andre"));
    assert_eq!(stale.text_of(&select).trim(), "Flyktninger");
    // A value not in the list: the message by the field.
    let (_, now) = reason_row(&lev, id).await;
    let bad = a
        .post(
            &path,
            &[("kostra_group", "everyone"), ("version", &now.to_string())],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of(&format!("#kostra-{id}-err")).contains("Velg"));
    // "None" stores NULL (counted as other).
    let none = a
        .post(
            &path,
            &[("kostra_group", ""), ("version", &now.to_string())],
        )
        .await;
    assert_eq!(none.status, StatusCode::SEE_OTHER);
    let (stored, _) = reason_row(&lev, id).await;
    assert_eq!(stored, None);
    // Only the admin; another municipality's reason is not found.
    let mut c = app.login("levanger.saksbehandler").await;
    assert_eq!(
        c.post(&path, &[("kostra_group", "refugee"), ("version", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Another municipality's reason is not found (nor changed).
    let ver = app.tenant("5038").await;
    let theirs: Uuid = ver
        .scalar(
            "SELECT id FROM application_reasons WHERE name = 'Rusproblemer'",
            &[],
        )
        .await;
    let (before, _) = reason_row(&ver, theirs).await;
    assert_eq!(
        a.post(
            &format!("/innstillinger/soknadsgrunner/{theirs}/kostra"),
            &[("kostra_group", "refugee"), ("version", "1")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(reason_row(&ver, theirs).await.0, before);
}

fn url_encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
