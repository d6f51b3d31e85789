use reqwest::StatusCode;

use super::{form_fields, levanger, scalar};
use crate::common::TestApp;

const FORM: &str = "form[action='/innstillinger/tildeling']";

#[tokio::test]
async fn rules_are_versioned_with_reason_and_only_admins_edit() {
    let app = TestApp::spawn().await;
    let m = levanger(&app).await;
    let mut admin = app.login("levanger.admin").await;
    let page = admin.get("/innstillinger/tildeling").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text_of("#gjeldende").contains("versjon 1"));
    assert!(page
        .text_of(".ds-alert")
        .contains("kommunestyret har vedtatt"));
    assert!(page.text_of("table.bosak-criteria").contains("Uten bolig"));

    // No reason: refused, nothing saved, input kept.
    let mut f = form_fields(&page, FORM);
    f.insert("c0_points".into(), "55".into());
    f.insert("reason".into(), "".into());
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = admin.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of(".ds-error-summary")
        .contains("hvorfor reglene endres"));
    assert_eq!(
        res.attr("input[name=c0_points]", "value").as_deref(),
        Some("55")
    );

    // A lease length under the three years of husleieloven § 9-3: refused.
    let mut short = f.clone();
    short.insert("reason".into(), "Kortere leietid".into());
    short.insert("default_lease_months".into(), "24".into());
    let pairs: Vec<(&str, &str)> = short
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = admin.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#default_lease_months-err").contains("fra 36"));

    // With a reason: version 2, in force today, version 1 still readable.
    f.insert(
        "reason".into(),
        "Kommunestyret 12.11.2026, sak 45/26".into(),
    );
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = admin.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = admin.get("/innstillinger/tildeling").await;
    assert!(page.text_of("#gjeldende").contains("versjon 2"));
    assert!(page.text_of("#current-meta").contains("sak 45/26"));
    assert!(
        page.text_of("#current-rules").contains("55 poeng"),
        "{}",
        page.text_of("#current-rules")
    );
    assert_eq!(page.count("details.bosak-version"), 2);
    assert!(page.text_of("#versjon-1").contains("40 poeng"));
    let n: i64 = scalar(
        &app,
        "SELECT count(*) FROM allocation_rule_versions WHERE municipality_id = $2 AND author_id = $1",
        app.user_id("levanger.admin").await,
    )
    .await;
    assert_eq!(n, 1);
    assert_eq!(app.audit_count("allocation.rules_versioned").await, 1);

    // The same stale form again (latest_no 1) is a conflict, not a silent overwrite.
    let res = admin.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(res.status, StatusCode::CONFLICT);

    // A future version is listed but not in force.
    let page = admin.get("/innstillinger/tildeling").await;
    let mut f = form_fields(&page, FORM);
    f.insert("effective_from".into(), "01.01.2099".into());
    f.insert("c0_points".into(), "60".into());
    f.insert("reason".into(), "Nye regler fra 2099".into());
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = admin.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = admin.get("/innstillinger/tildeling").await;
    assert!(page.text_of("#gjeldende").contains("versjon 2"));
    assert!(page.text_of("#versjon-3").contains("fremtidig"));

    // A caseworker reads the rules in force but cannot change them.
    let mut cw = app.login("levanger.saksbehandler").await;
    let page = cw.get("/innstillinger/tildeling").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text_of("#gjeldende").contains("versjon 2"));
    assert_eq!(page.count(FORM), 0);
    let res = cw.post("/innstillinger/tildeling", &pairs).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Appending is the only change: old versions cannot be edited even by the owner.
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let r =
        sqlx::query("UPDATE allocation_rule_versions SET reason = 'x' WHERE municipality_id = $1")
            .bind(m)
            .execute(&mut *tx)
            .await;
    assert!(r.is_err());
}

#[tokio::test]
async fn waiting_list_is_ranked_explained_filtered_and_exported() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/venteliste").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let rows = page.count("tr.bosak-waiting-row");
    assert!(rows >= 10, "{rows} rows");
    let scores: Vec<i32> = page
        .texts("strong.bosak-score")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let ranks: Vec<usize> = page
        .texts("td.bosak-rank")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(ranks, (1..=rows).collect::<Vec<_>>());
    assert!(page.text_of(".bosak-breakdown").contains("Ventetid"));
    assert!(page.text_of("#summary").contains("versjon 1"));
    // The menu has the waiting list.
    assert!(page
        .text_of("nav a[aria-current=page]")
        .contains("Venteliste"));

    // Filter on a need.
    let f = c.get("/venteliste?behov=care").await;
    assert!(f.count("tr.bosak-waiting-row") <= rows);

    // CSV with a header and one line per applicant.
    let csv = c.get("/venteliste/eksport.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.contains("Plass;Saksnummer;Søker;Poeng"));
    assert_eq!(csv.text.lines().count(), rows + 1);
    assert_eq!(app.audit_count("allocation.waiting_list_exported").await, 1);

    // Other tenants and roles.
    let mut verdal = app.login("verdal.saksbehandler").await;
    let v = verdal.get("/venteliste").await;
    assert!(v.text_of("h1").contains("Verdal"));
    let levanger_case = page.attr("tr.bosak-waiting-row td a", "href").unwrap();
    assert!(!v.text.contains(&levanger_case));
    let m = levanger(&app).await;
    let v = verdal.get(&format!("/venteliste?kommune={m}")).await;
    assert_eq!(v.status, StatusCode::NOT_FOUND);
    let mut office_admin = app.login("kontor.admin").await;
    assert_eq!(
        office_admin.get("/venteliste").await.status,
        StatusCode::FORBIDDEN
    );
}

/// ASVS 5.0 V16.2.1 (security issue, defect 8): reading the waiting list, its export and
/// the candidates for a unit records who read which applicants.
#[tokio::test]
async fn reading_the_waiting_list_and_candidates_records_who_was_read() {
    let app = TestApp::spawn().await;
    let unit = crate::allocation::prepared_unit(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/venteliste").await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
    c.get("/venteliste/eksport.csv").await;
    let cands = c.get(&format!("/boliger/{unit}/kandidater")).await;
    let listed = crate::allocation::offers::candidate_ids(&cands);
    assert!(!listed.is_empty());
    for (action, must_name) in [
        ("allocation.waiting_list_viewed", listed[0]),
        ("allocation.waiting_list_exported", listed[0]),
        ("allocation.candidates_viewed", listed[0]),
    ] {
        let details: serde_json::Value = sqlx::query_scalar(
            "SELECT details FROM audit_events WHERE action = $1 ORDER BY at DESC LIMIT 1",
        )
        .bind(action)
        .fetch_one(&app.owner)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"));
        let ids = details["applications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!ids.is_empty(), "{action} names the applicants read");
        if action != "allocation.waiting_list_viewed" {
            assert!(
                ids.iter()
                    .any(|v| v.as_str() == Some(&must_name.to_string())),
                "{action}: {details}"
            );
        }
    }
}
