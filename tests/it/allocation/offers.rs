use reqwest::StatusCode;
use uuid::Uuid;

use super::{exec, exec_on, prepared_unit, scalar};
use crate::common::{Client, Page, TestApp};

pub fn candidate_ids(p: &Page) -> Vec<Uuid> {
    let html = p.html();
    let sel = scraper::Selector::parse("tr.bosak-candidate").unwrap();
    html.select(&sel)
        .map(|e| Uuid::parse_str(e.value().attr("data-application").unwrap()).unwrap())
        .collect()
}

pub async fn offer(c: &mut Client, unit: Uuid, application: Uuid, justification: &str) -> Page {
    let a = application.to_string();
    c.post(
        &format!("/boliger/{unit}/tilbud"),
        &[("application_id", &a), ("justification", justification)],
    )
    .await
}

async fn unit_status(app: &TestApp, unit: Uuid) -> String {
    scalar(
        app,
        "SELECT status::text FROM dwellings WHERE id = $1 AND municipality_id = $2",
        unit,
    )
    .await
}

async fn case_status(app: &TestApp, application: Uuid) -> String {
    scalar(
        app,
        "SELECT status::text FROM applications WHERE id = $1 AND municipality_id = $2",
        application,
    )
    .await
}

#[tokio::test]
async fn candidates_are_ranked_with_reasons_and_skipping_the_top_needs_justification() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get(&format!("/boliger/{unit}/kandidater")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let ids = candidate_ids(&page);
    assert!(ids.len() >= 3, "{} candidates", ids.len());
    assert!(page
        .text_of("#excluded")
        .contains("Trenger rullestoltilpasset bolig"));
    assert!(page.text_of("#candidates").contains("Ventetid"));

    // Rank 2 without a justification: refused, nothing changes.
    let res = offer(&mut c, unit, ids[1], "").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of(".ds-error-summary").contains("rangert først"));
    assert_eq!(unit_status(&app, unit).await, "vacant");

    // With a justification: stored and shown, the unit reserved, the case offered.
    let res = offer(
        &mut c,
        unit,
        ids[1],
        "Nr. 1 er innlagt på sykehus i tre måneder.",
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let path = res.location.unwrap();
    let o = c.get(&path).await;
    assert!(o.text_of("#justification").contains("sykehus"));
    assert!(o.text_of("#rank").contains("Nr. 2"));
    assert!(o.text_of("#rank").contains("versjon 1"));
    assert_eq!(unit_status(&app, unit).await, "reserved");
    assert_eq!(case_status(&app, ids[1]).await, "offered");
    let changes: i64 = scalar(
        &app,
        "SELECT count(*) FROM dwelling_status_changes WHERE dwelling_id = $1 AND municipality_id = $2 AND to_status = 'reserved'",
        unit,
    )
    .await;
    assert_eq!(changes, 1);
    let events: i64 = scalar(
        &app,
        "SELECT count(*) FROM application_events WHERE application_id = $1 AND municipality_id = $2 AND kind = 'offer'",
        ids[1],
    )
    .await;
    assert_eq!(events, 1);

    // The letter says what the offer is.
    let letter = c.follow(&format!("{path}/brev")).await;
    assert_eq!(letter.status, StatusCode::OK);
    assert!(letter.text.contains("Tilbud om kommunal bolig"));
    assert!(letter.text.contains("Svarfrist"));
    assert!(letter.text.contains("Hvis du takker nei"));
}

#[tokio::test]
async fn accepting_keeps_the_unit_reserved_and_double_submits_are_harmless() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let ids = candidate_ids(&c.get(&format!("/boliger/{unit}/kandidater")).await);
    let first = offer(&mut c, unit, ids[0], "").await;
    assert_eq!(
        first.status,
        StatusCode::SEE_OTHER,
        "{}",
        first.text_of(".ds-error-summary")
    );
    // The same submit again finds the open offer.
    let again = offer(&mut c, unit, ids[0], "").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location, first.location);
    let n: i64 = scalar(
        &app,
        "SELECT count(*) FROM offers WHERE dwelling_id = $1 AND municipality_id = $2",
        unit,
    )
    .await;
    assert_eq!(n, 1);
    // One open offer per unit: another candidate is refused.
    let other = offer(&mut c, unit, ids[2], "Begrunnelse").await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    let path = first.location.unwrap();
    let page = c.get(&path).await;
    let v = page.attr("input[name=version]", "value").unwrap();
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "accepted")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Double submit of the answer is harmless.
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "accepted")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get(&path).await;
    assert_eq!(page.text_of("#offer-status"), "Takket ja");
    assert_eq!(unit_status(&app, unit).await, "reserved");
    assert_eq!(case_status(&app, ids[0]).await, "offered");
    // A different answer now is a conflict.
    let res = c
        .post(
            &format!("{path}/svar"),
            &[
                ("version", &v),
                ("answer", "declined"),
                ("decline_reason", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn declining_returns_the_unit_and_the_case_and_counts_against_the_limit() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    // Rules version 2 with a limit of one decline.
    exec_on(
        &app,
        "INSERT INTO allocation_rule_versions (municipality_id, id, version_no, effective_from, reason, criteria,
                room_norms, wish_policy, decline_limit, offer_days, lease_months, default_lease_months)
         SELECT municipality_id, gen_random_uuid(), 2, $2::date, 'Test', criteria, room_norms, wish_policy, 1,
                offer_days, lease_months, default_lease_months
           FROM allocation_rule_versions WHERE municipality_id = $1 AND version_no = 1",
    )
    .await;
    let mut c = app.login("levanger.team").await;
    let ids = candidate_ids(&c.get(&format!("/boliger/{unit}/kandidater")).await);
    let res = offer(&mut c, unit, ids[0], "").await;
    let path = res.location.unwrap();
    let page = c.get(&path).await;
    let v = page.attr("input[name=version]", "value").unwrap();
    // A decline needs a reason.
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "declined")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of(".ds-error-summary").contains("takket nei"));
    // Expiry before the deadline is refused.
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "expired")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post(
            &format!("{path}/svar"),
            &[
                ("version", &v),
                ("answer", "declined"),
                ("decline_reason", "For langt fra jobben"),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&path).await;
    assert!(page.text_of("#decline-reason").contains("jobben"));
    assert!(page.text_of("#review").contains("vurderes på nytt"));
    assert_eq!(unit_status(&app, unit).await, "vacant");
    assert_eq!(case_status(&app, ids[0]).await, "waiting_list");
    // The waiting list warns, and the unit's candidates show the history.
    let list = c.get("/venteliste").await;
    assert!(list
        .text_of(".bosak-review")
        .contains("Må vurderes på nytt"));
    let cands = c.get(&format!("/boliger/{unit}/kandidater")).await;
    assert!(cands.text_of("#unit-offers").contains("Takket nei"));
    // The applicant's units page shows the offer history too.
    let mine = c.get(&format!("/soknader/{}/boliger", ids[0])).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text_of("#applicant-offers").contains("Takket nei"));
    assert!(mine.count("#fits tbody tr") >= 1);
}

#[tokio::test]
async fn an_expired_offer_frees_the_unit_and_open_offers_are_unique_in_the_database() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let ids = candidate_ids(&c.get(&format!("/boliger/{unit}/kandidater")).await);
    let res = offer(&mut c, unit, ids[0], "").await;
    let path = res.location.unwrap();
    let offer_id = Uuid::parse_str(path.trim_start_matches("/tilbud/")).unwrap();

    // The database refuses a second open offer for the unit or for the applicant.
    let m = super::levanger(&app).await;
    for (d, a) in [(unit, ids[1]), (Uuid::nil(), ids[0])] {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        let other_unit: Uuid = if d.is_nil() {
            sqlx::query_scalar(
                "SELECT id FROM dwellings WHERE municipality_id = $1 AND id <> $2 LIMIT 1",
            )
            .bind(m)
            .bind(unit)
            .fetch_one(&mut *tx)
            .await
            .unwrap()
        } else {
            d
        };
        let r = sqlx::query(
            "INSERT INTO offers (municipality_id, id, dwelling_id, application_id, rule_version_id, offered_on, answer_due,
                    justification, rank_at_offer, score_at_offer, lease_months, created_by)
             SELECT municipality_id, gen_random_uuid(), $3, $4, rule_version_id, offered_on, answer_due, 'x', 2, 0, 36, created_by
               FROM offers WHERE municipality_id = $1 AND id = $2",
        )
        .bind(m)
        .bind(offer_id)
        .bind(other_unit)
        .bind(a)
        .execute(&mut *tx)
        .await;
        let e = r.unwrap_err().to_string();
        assert!(e.contains("offers_open_"), "{e}");
    }

    exec_on(&app, "UPDATE offers SET offered_on = $2::date - 10, answer_due = $2::date - 3 WHERE municipality_id = $1").await;
    let page = c.get(&path).await;
    assert_eq!(page.count("#answer-expired"), 1);
    let v = page.attr("input[name=version]", "value").unwrap();
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "expired")],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    assert_eq!(unit_status(&app, unit).await, "vacant");
    assert_eq!(case_status(&app, ids[0]).await, "waiting_list");
    assert_eq!(
        c.get(&path).await.text_of("#offer-status"),
        "Svarfristen gikk ut"
    );
}

#[tokio::test]
async fn offers_and_candidates_are_invisible_to_other_tenants_and_roles() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let ids = candidate_ids(&c.get(&format!("/boliger/{unit}/kandidater")).await);
    let path = offer(&mut c, unit, ids[0], "").await.location.unwrap();
    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(
        verdal
            .get(&format!("/boliger/{unit}/kandidater"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(verdal.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        verdal.get(&format!("{path}/brev")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        verdal
            .get(&format!("/soknader/{}/boliger", ids[0]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = offer(&mut verdal, unit, ids[1], "x").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = verdal
        .post(
            &format!("{path}/svar"),
            &[("version", "1"), ("answer", "accepted")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        verdal.get("/tilbud/not-a-uuid").await.status,
        StatusCode::NOT_FOUND
    );
    // The shared office sees Levanger's offer.
    let mut office = app.login("kontor.saksbehandler").await;
    assert_eq!(office.get(&path).await.status, StatusCode::OK);
    // An office admin without case roles gets nothing.
    let mut admin = app.login("kontor.admin").await;
    let s = admin.get(&path).await.status;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
}

#[tokio::test]
async fn ranking_five_thousand_applicants_against_one_unit_is_fast() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    // Clone a waiting application (with its sent decision and point) 5 000 times.
    exec(
        &app,
        "WITH src AS (SELECT a.* FROM applications a WHERE a.municipality_id = $1 AND a.status = 'waiting_list' ORDER BY a.case_number LIMIT 1),
              n AS (SELECT g FROM generate_series(1, 5000) g),
              apps AS (
                INSERT INTO applications (municipality_id, id, case_number, case_year, case_seq, received_on, channel, status,
                       applicant_id, situation, care_level, wished_area_ids)
                SELECT src.municipality_id, gen_random_uuid(), '2099/' || lpad(n.g::text, 5, '0'), 2099, n.g,
                       src.received_on - (n.g % 300), src.channel, 'waiting_list', src.applicant_id,
                       (ARRAY['without_home','at_risk','unsuitable'])[1 + n.g % 3]::housing_situation, 'none', '{}'
                  FROM src, n RETURNING municipality_id, id, received_on),
              dec AS (
                INSERT INTO decisions (municipality_id, id, application_id, status, author_id, decided_on, dispatched_on, channel, notified_on)
                SELECT apps.municipality_id, gen_random_uuid(), apps.id, 'sent', d.author_id, apps.received_on + 20,
                       apps.received_on + 20, 'digital', apps.received_on + 20
                  FROM apps, (SELECT author_id FROM decisions WHERE municipality_id = $1 LIMIT 1) d
                RETURNING municipality_id, id)
         INSERT INTO decision_points (municipality_id, id, decision_id, position, kind_id, outcome, description,
                dwelling_type_ids, rooms, legal_basis, appeal_body, appeal_weeks)
         SELECT dec.municipality_id, gen_random_uuid(), dec.id, 1, p.kind_id, 'granted', 'Innvilget', p.dwelling_type_ids,
                2, p.legal_basis, p.appeal_body, p.appeal_weeks
           FROM dec, (SELECT * FROM decision_points WHERE municipality_id = $1 AND outcome = 'granted' LIMIT 1) p",
    )
    .await;
    // As autovacuum would after a bulk import: the planner needs statistics.
    sqlx::query("ANALYZE").execute(&app.owner).await.unwrap();
    let mut c = app.login("levanger.saksbehandler").await;
    c.get(&format!("/boliger/{unit}/kandidater")).await;
    let t = std::time::Instant::now();
    let page = c.get(&format!("/boliger/{unit}/kandidater")).await;
    let took = t.elapsed();
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("tr.bosak-candidate"), 100);
    let n: usize = page
        .text_of("#kandidater")
        .trim_start_matches("Kandidater (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(n > 5000, "{n}");
    // Generous for a debug build on a shared machine.
    assert!(took.as_secs_f64() < 5.0, "took {took:?}");
}

/// The candidates page may reuse the ranking's inputs from memory, but never after one of
/// them changed: the epoch the change bumps (in the same transaction) retires them.
#[tokio::test]
async fn a_change_to_a_waiting_applicant_shows_at_once_on_the_candidates_page() {
    let app = TestApp::spawn().await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = format!("/boliger/{unit}/kandidater");
    let ids = candidate_ids(&c.get(&path).await);
    let top = ids[0];
    assert_eq!(
        candidate_ids(&c.get(&path).await)[0],
        top,
        "same answer from memory"
    );
    let before: i64 = scalar(
        &app,
        "SELECT epoch FROM allocation_epochs WHERE municipality_id = $2 AND $1 IS NOT NULL",
        top,
    )
    .await;
    // The top candidate turns out to need a wheelchair; the unit has none.
    exec(
        &app,
        &format!("UPDATE applications SET needs_wheelchair = true WHERE municipality_id = $1 AND id = '{top}'"),
    )
    .await;
    let after: i64 = scalar(
        &app,
        "SELECT epoch FROM allocation_epochs WHERE municipality_id = $2 AND $1 IS NOT NULL",
        top,
    )
    .await;
    assert!(after > before, "the change bumped the epoch");
    let page = c.get(&path).await;
    assert!(
        !candidate_ids(&page).contains(&top),
        "no longer a candidate"
    );
    assert_eq!(candidate_ids(&page)[0], ids[1]);
    // The waiting list follows too.
    let list = c.get("/venteliste").await;
    assert!(list.status.is_success());
}
